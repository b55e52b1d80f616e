// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the modules loaded and unloaded over and over, with files open.
 *
 * Each cycle loads the five backends with modprobe (every few cycles with
 * other parameters), opens every device, one to three times, fills the
 * stores, leaves a dump half read, then tries to unload every backend and
 * kds while those files are open: each attempt must be refused (the
 * delete_module syscall and, every few cycles, modprobe -r) and the device
 * must work on.  Then the files close one by one, with operations on those
 * still open in between, and modprobe -r unloads everything; the entries
 * left in the stores are freed by the unload (the VM's kmemleak scan
 * checks it).  A last test races opens against the unload.
 *
 * 200 cycles on the debug kernel, 10 on Debian's kernels;
 * KDS_LOAD_CYCLES overrides.  The program puts the five backends back with
 * default parameters when it exits.
 */
#include "kds_rel.h"

#define CYCLE_TIMEOUT	3000

KDS_RESTORE_DEFAULTS_AT_EXIT();

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static bool node_exists(const char *backend)
{
	char path[64];

	kds_path(path, sizeof(path), backend);
	return access(path, F_OK) == 0;
}

/*
 * Load the five backends; with @other, kds and kds_hash first with
 * parameters other than their defaults.
 */
static int load_all(struct kds_run *r, bool other)
{
	if (other && kds_run(r, KDS_MODPROBE, "kds", "max_value_size=65536"))
		return -EIO;
	if (other && kds_run(r, KDS_MODPROBE, "kds_hash", "bits=6", "hashfn=hash_64"))
		return -EIO;
	return kds_run(r, KDS_MODPROBE, "-a", "kds_list", "kds_hash", "kds_rbtree",
		       "kds_xarray", "kds_maple") ? -EIO : 0;
}

/* modprobe -r of the backends that are loaded: kds goes with the last. */
static int unload_all(struct kds_run *r)
{
	char mods[KDS_NR_BACKENDS][32];
	char *argv[KDS_NR_BACKENDS + 3] = { KDS_MODPROBE, "-r" };
	size_t b, n = 2;

	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		kds_module_of(mods[b], sizeof(mods[b]), kds_backends[b]);
		if (kds_module_loaded(mods[b]))
			argv[n++] = mods[b];
	}
	if (n > 2)
		kds_runv(r, argv);
	if (kds_module_loaded("kds"))
		kds_run(r, KDS_MODPROBE, "-r", "kds");
	return kds_module_loaded("kds") ? -EBUSY : 0;
}

FIXTURE(cycles) {
	struct kds_run r;
	int fd[KDS_NR_BACKENDS][3];
	char *buf;
};

FIXTURE_SETUP(cycles)
{
	size_t b, i;

	for (b = 0; b < KDS_NR_BACKENDS; b++)
		for (i = 0; i < 3; i++)
			self->fd[b][i] = -1;
	self->buf = malloc(1 << 20);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, kds_restore_defaults());
	ASSERT_EQ(0, unload_all(&self->r));
}

FIXTURE_TEARDOWN(cycles)
{
	size_t b, i;

	for (b = 0; b < KDS_NR_BACKENDS; b++)
		for (i = 0; i < 3; i++)
			if (self->fd[b][i] >= 0)
				close(self->fd[b][i]);
	free(self->buf);
}

/*
 * Fill a store a little: small values, one long one, both end keys (the
 * top one the largest key @backend holds, see kds_key_max()).
 */
static int fill(int fd, const char *backend, unsigned int cycle)
{
	static const char cmds[] = "put 77 seventy-seven\ndel 77\nput 78 x\n";
	char val[4096];
	unsigned int k;
	int ret = 0;

	kds_pattern(val, sizeof(val), cycle);
	for (k = 0; k < 32 && !ret; k++)
		ret = kds_put(fd, (__u64)k * 1000003 + cycle, val, 1 + (k * 37) % 200);
	return ret ?: kds_put(fd, 0, val, sizeof(val)) ?:
	       kds_put(fd, kds_key_max(backend), "max", 3) ?:
	       kds_text(fd, cmds) == (ssize_t)strlen(cmds) ? 0 : -EIO;
}

TEST_F_TIMEOUT(cycles, unload_with_files_open_is_refused_every_time_and_frees_everything,
	       CYCLE_TIMEOUT)
{
	unsigned long long cycles, refused = 0, modprobe_refused = 0, ops = 0;
	__u64 rng = 93;
	char mod[32];
	size_t b, i;
	unsigned int c;
	double t0 = kds_now();

	cycles = kds_env_ull("KDS_LOAD_CYCLES", kds_debug_kernel() ? 200 : 10);
	for (c = 0; c < cycles; c++) {
		bool odd = c % 10 == 9;
		unsigned int open_fds = 0;

		/* every tenth cycle with other parameters */
		ASSERT_EQ(0, load_all(&self->r, odd))
			TH_LOG("cycle %u: load: %s", c, self->r.err);

		for (b = 0; b < KDS_NR_BACKENDS; b++) {
			unsigned int nfd = 1 + (unsigned int)kds_rand_below(&rng, 3);
			char chunk[100];

			for (i = 0; i < nfd; i++) {
				self->fd[b][i] = kds_open(kds_backends[b]);
				ASSERT_LE(0, self->fd[b][i]) TH_LOG("cycle %u: open %s", c, kds_backends[b]);
				open_fds++;
			}
			ASSERT_EQ(0, fill(self->fd[b][0], kds_backends[b], c));
			/* a dump left half read on the last fd */
			ASSERT_LT(0, read(self->fd[b][nfd - 1], chunk, sizeof(chunk)));
			ops += 38;
		}

		/* every backend, and kds, refuse to go while files are open */
		for (b = 0; b < KDS_NR_BACKENDS; b++) {
			kds_module_of(mod, sizeof(mod), kds_backends[b]);
			ASSERT_EQ(-EWOULDBLOCK, delete_module(mod)) TH_LOG("cycle %u: %s", c, mod);
			refused++;
			ASSERT_TRUE(kds_module_loaded(mod));
			ASSERT_TRUE(node_exists(kds_backends[b]));
		}
		ASSERT_EQ(-EWOULDBLOCK, delete_module("kds"));
		refused++;
		if (c % 20 == 0) {
			b = c / 20 % KDS_NR_BACKENDS;
			kds_module_of(mod, sizeof(mod), kds_backends[b]);
			ASSERT_NE(0, kds_run(&self->r, KDS_MODPROBE, "-r", mod));
			ASSERT_TRUE(kds_module_loaded(mod));
			modprobe_refused++;
		}

		/* close in a random order, using the files still open */
		while (open_fds) {
			int fd;

			b = (size_t)kds_rand_below(&rng, KDS_NR_BACKENDS);
			i = (size_t)kds_rand_below(&rng, 3);
			fd = self->fd[b][i];
			if (fd < 0)
				continue;
			ASSERT_EQ(0, kds_holds(fd, kds_key_max(kds_backends[b]),
					       "max"));
			ASSERT_EQ(0, kds_put(fd, 5, "five", 4));
			ASSERT_EQ(0, kds_del(fd, 5));
			ops += 3;
			close(fd);
			self->fd[b][i] = -1;
			open_fds--;
		}

		ASSERT_EQ(0, unload_all(&self->r)) TH_LOG("cycle %u: unload", c);
		for (b = 0; b < KDS_NR_BACKENDS; b++)
			ASSERT_FALSE(node_exists(kds_backends[b]));
		if ((c + 1) % 20 == 0 && c + 1 < cycles) {
			printf("# %u of %llu cycles, %.0f s\n", c + 1, cycles, kds_now() - t0);
			fflush(stdout);
		}
	}
	printf("# %llu load/unload cycles, %llu unloads refused while open (%llu by modprobe -r), %llu operations, %.0f s\n",
	       cycles, refused, modprobe_refused, ops, kds_now() - t0);
}

/*
 * Opens and closes race an unload: the unload either goes through (and a
 * later open finds no device) or is refused (and the module stays whole);
 * an open never reaches a module that is going away.
 */
TEST_F_TIMEOUT(cycles, opens_racing_an_unload_never_reach_a_module_going_away, CYCLE_TIMEOUT)
{
	unsigned long long rounds = kds_debug_kernel() ? 40 : 5, unloaded = 0, refused = 0;
	unsigned int r;

	for (r = 0; r < rounds; r++) {
		pid_t pid;
		int status, ret;

		ASSERT_EQ(0, load_all(&self->r, false));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			/* open, use, close as fast as possible until the node goes */
			double end = kds_now() + 5;

			while (kds_now() < end) {
				int fd = kds_open("rbtree");

				if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
					_exit(0);
				if (fd < 0)
					_exit(10);
				if (kds_put(fd, 1, "x", 1) || kds_del(fd, 1))
					_exit(11);
				close(fd);
			}
			_exit(0);
		}
		usleep((useconds_t)(1000 * (r % 20)));
		ret = delete_module("kds_rbtree");
		if (ret) {
			ASSERT_EQ(-EWOULDBLOCK, ret);
			refused++;
		} else {
			unloaded++;
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("round %u: the opener exited %d", r, WEXITSTATUS(status));
		ASSERT_EQ(!ret, !kds_module_loaded("kds_rbtree"));
		ASSERT_EQ(!ret, !node_exists("rbtree"));
		ASSERT_EQ(0, unload_all(&self->r));
	}
	printf("# %llu races: %llu unloads went through, %llu were refused\n",
	       rounds, unloaded, refused);
}

TEST_HARNESS_MAIN
