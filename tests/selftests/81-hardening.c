// SPDX-License-Identifier: GPL-2.0
/*
 * kds: what a writer cannot do to the machine (DESIGN.md, "What a user of
 * the devices cannot do"), with the default parameters.
 *
 * - Filling all five stores ends in ENOSPC (kds.max_bytes, default 1/8 of
 *   RAM) or ENOMEM, never in the OOM killer; `bytes` of the five stores
 *   adds up to what max_bytes limits; unloading gives the memory back.
 * - A writer in a memory cgroup of 16 MiB gets ENOMEM or ENOSPC near its
 *   limit (every allocation is charged to the caller's cgroup), and a
 *   writer outside it goes on putting.
 * - A reader of the world-readable stats in sysfs, as user nobody, leaves
 *   writers at least half their throughput (reading a stat is O(1) or
 *   lock-free).  The same reader of the driver core's files only (dev,
 *   uevent) is measured too: what the emulation and the host's load cost
 *   the writer whatever kds does, which the ratio then leaves out.
 *
 * The fill stops by itself, and fails, when the stores take far more than
 * max_bytes allows, so that a kernel without the limit fails these tests
 * instead of running the guest out of memory.  The program restores the
 * five backends with default parameters when it exits.
 */
#include "kds_rel.h"

#include <dirent.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>

#define KIB		1024LL
#define MIB		(1024LL * 1024)
#define VALUE_LEN	KDS_DEFAULT_VALUE_SIZE
#define NOBODY		65534

KDS_RESTORE_DEFAULTS_AT_EXIT();

/* Kernel-log lines that no writer may cause. */
static const char *const oom_lines[] = {
	"invoked oom-killer", "Out of memory", "page allocation failure",
};

/* A kernel-log record since kds_kmsg_open() holding any of oom_lines. */
static bool kmsg_has_oom(int fd, char *line, size_t cap)
{
	return kds_kmsg_has_any(fd, oom_lines, ARRAY_SIZE(oom_lines), line, cap);
}

static long long mem_available_kb(void)
{
	return kds_meminfo_kb("MemAvailable");
}

/* ---- filling the five stores ----------------------------------------- */

/* Puts per store and turn: one batch of 256 KiB of values. */
#define FILL_BATCH	64
/* The stores are back within this much of MemAvailable after the unload. */
#define FILL_MARGIN_KB	(64 * 1024LL)

FIXTURE(fill) {
	int fd[KDS_NR_BACKENDS];
	int kmsg;
	char *val;
	struct kds_batch_op ops[FILL_BATCH];
};

FIXTURE_SETUP(fill)
{
	size_t b;

	for (b = 0; b < KDS_NR_BACKENDS; b++)
		self->fd[b] = -1;
	self->kmsg = -1;
	self->val = malloc(VALUE_LEN);
	ASSERT_NE(NULL, self->val);
	kds_pattern(self->val, VALUE_LEN, 81);
	ASSERT_EQ(0, kds_restore_defaults())
		TH_LOG("could not load the five backends with default parameters");
}

FIXTURE_TEARDOWN(fill)
{
	size_t b;

	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		if (self->fd[b] >= 0) {
			kds_clear(self->fd[b]);
			close(self->fd[b]);
		}
	}
	if (self->kmsg >= 0)
		close(self->kmsg);
	free(self->val);
}

/*
 * One batch of FILL_BATCH puts of random keys (masked with @key_max, one
 * less than a power of two) into @fd, stopping at the first that fails:
 * 0 with *@ok the puts done, or the failing errno (also of the batch
 * itself).
 */
static int fill_batch(FIXTURE_DATA(fill) *self, int fd, __u64 key_max,
		      __u64 *rng, unsigned int *ok)
{
	struct kds_batch bt = {
		.size = sizeof(bt), .flags = KDS_BATCH_STOP_ON_ERROR,
		.ops = kds_ptr(self->ops), .count = FILL_BATCH,
		.op_size = sizeof(self->ops[0]),
	};
	unsigned int i;
	int ret;

	*ok = 0;
	for (i = 0; i < FILL_BATCH; i++)
		self->ops[i] = (struct kds_batch_op){
			.op = KDS_OP_PUT, .key = kds_rand(rng) & key_max,
			.value = kds_ptr(self->val), .value_len = VALUE_LEN,
		};
	ret = kds_ioctl(fd, KDS_IOC_BATCH, &bt);
	if (ret)
		return ret;
	for (i = 0; i < bt.done && i < FILL_BATCH; i++) {
		if (self->ops[i].result)
			return self->ops[i].result;
		(*ok)++;
	}
	/* a batch that stopped without a failing op: say so */
	return bt.done == FILL_BATCH ? 0 : -EPROTO;
}

TEST_F_TIMEOUT(fill, fill_all_five_stores_ends_in_enospc_or_enomem_without_oom, 900)
{
	long long avail0, avail_full, avail_end = 0, total_kb, limit_kb, stop_kb;
	unsigned long long count[KDS_NR_BACKENDS] = {}, entries = 0;
	__u64 max_bytes = 0, sum = 0, rng = 0x81f111ULL;
	struct kds_stats st[KDS_NR_BACKENDS];
	size_t b, failed_at = 0;
	char line[512] = "";
	bool have_max_bytes;
	int err = 0, i;

	total_kb = kds_meminfo_kb("MemTotal");
	ASSERT_LT(0, total_kb);
	have_max_bytes = !kds_param_u64("kds", "max_bytes", &max_bytes);
	EXPECT_TRUE(have_max_bytes)
		TH_LOG("no /sys/module/kds/parameters/max_bytes");
	/* default: 1/8 of RAM at load */
	if (have_max_bytes)
		EXPECT_TRUE(kds_max_bytes_is_default(max_bytes, 2))
			TH_LOG("max_bytes %llu, MemTotal %lld KiB",
			       (unsigned long long)max_bytes, total_kb);
	/* what the stores may take: max_bytes, or its documented default */
	limit_kb = have_max_bytes ? (long long)(max_bytes / 1024) : total_kb / 8;
	/*
	 * The kernel's memory for the stores shows as MemAvailable going
	 * down.  Past twice the limit and 64 MiB more, no limit is working:
	 * stop there, before the guest runs out of memory.
	 */
	stop_kb = 2 * limit_kb + 64 * 1024;

	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		self->fd[b] = kds_open(kds_backends[b]);
		ASSERT_LE(0, self->fd[b]) TH_LOG("open %s", kds_backends[b]);
		ASSERT_EQ(0, kds_clear(self->fd[b]));
	}
	self->kmsg = kds_kmsg_open();
	ASSERT_LE(0, self->kmsg);
	avail0 = mem_available_kb();
	ASSERT_LT(0, avail0);
	TH_LOG("MemTotal %lld KiB, MemAvailable %lld KiB, max_bytes %s%llu",
	       total_kb, avail0, have_max_bytes ? "" : "(missing; taking 1/8 of RAM) ",
	       (unsigned long long)limit_kb * 1024);

	while (!err) {
		for (b = 0; b < KDS_NR_BACKENDS && !err; b++) {
			unsigned int ok;

			/* random keys the backend holds (kds_key_max()) */
			err = fill_batch(self, self->fd[b],
					 kds_key_max(kds_backends[b]), &rng, &ok);
			count[b] += ok;
			failed_at = b;
		}
		if (!err && avail0 - mem_available_kb() > stop_kb)
			break;
	}
	avail_full = mem_available_kb();
	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		ASSERT_EQ(0, kds_stats(self->fd[b], &st[b]));
		sum += st[b].bytes;
		entries += st[b].entries;
		TH_LOG("%-6s %llu puts, %llu entries, bytes %llu", kds_backends[b],
		       count[b], (unsigned long long)st[b].entries,
		       (unsigned long long)st[b].bytes);
	}
	TH_LOG("%s after %llu entries: sum of bytes %llu, max_bytes %llu; MemAvailable %lld -> %lld KiB",
	       err ? strerror(-err) : "no put failed", entries,
	       (unsigned long long)sum, (unsigned long long)limit_kb * 1024,
	       avail0, avail_full);
	if (err)
		TH_LOG("the failing put was on %s", kds_backends[failed_at]);
	EXPECT_NE(0, err)
		TH_LOG("the stores took %lld KiB of MemAvailable, over twice max_bytes, and no put failed",
		       avail0 - avail_full);
	EXPECT_TRUE(err == -ENOSPC || err == -ENOMEM || !err)
		TH_LOG("the put failed with %d (%s), not ENOSPC or ENOMEM",
		       err, strerror(-err));
	if (err == -ENOSPC && have_max_bytes) {
		/*
		 * bytes is the figure max_bytes limits: never above it, and
		 * at ENOSPC within one entry's worth (and some) of it.
		 */
		EXPECT_GE(max_bytes, sum);
		EXPECT_LE(max_bytes - max_bytes / 8, sum)
			TH_LOG("at ENOSPC the stores' bytes add up to %llu of max_bytes %llu",
			       (unsigned long long)sum, (unsigned long long)max_bytes);
	}
	EXPECT_FALSE(kmsg_has_oom(self->kmsg, line, sizeof(line)))
		TH_LOG("kernel log: %s", line);

	/* Clear, unload: the memory comes back. */
	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		ASSERT_EQ(0, kds_clear(self->fd[b]));
		ASSERT_EQ(0, kds_nr_entries(self->fd[b]));
		close(self->fd[b]);
		self->fd[b] = -1;
	}
	ASSERT_EQ(0, kds_unload_all());
	/* Entries freed with kvfree_rcu() come back in batches: up to 30 s. */
	for (i = 0; i < 150; i++) {
		avail_end = mem_available_kb();
		if (avail0 - avail_end < FILL_MARGIN_KB)
			break;
		usleep(200 * 1000);
	}
	TH_LOG("MemAvailable: %lld KiB at the start, %lld full, %lld %.1f s after the unload",
	       avail0, avail_full, avail_end, i * 0.2);
	EXPECT_GT(FILL_MARGIN_KB, avail0 - avail_end);
	EXPECT_FALSE(kmsg_has_oom(self->kmsg, line, sizeof(line)))
		TH_LOG("kernel log: %s", line);
	kds_load_missing_backends();
	ASSERT_TRUE(kds_defaults_in_place());
}

/* ---- a writer in a memory cgroup of 16 MiB --------------------------- */

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_LIMIT	(16 * MIB)
/* The group's limit plus slack for the charge batches and the process. */
#define CG_BOUND	(CG_LIMIT + 8 * MIB)
#define CG_KEY		0x8100000000ULL
#define OUT_KEY		0x8200000000ULL
#define OUT_PUTS	256

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif

/* What the writer in the group saw. */
struct cg_result {
	int err;		/* errno of the put that failed, 0 if none */
	int step;		/* where the writer stopped, 0 when it put */
	long long puts;		/* puts that succeeded */
};

FIXTURE(cg) {
	char dir[96];
	bool mounted, enabled, made;
	pid_t child;
	int go[2], ready[2];
	int kmsg;
	struct cg_result *res;
};

FIXTURE_SETUP(cg)
{
	self->child = 0;
	self->kmsg = -1;
	self->go[0] = self->go[1] = self->ready[0] = self->ready[1] = -1;
	snprintf(self->dir, sizeof(self->dir), CG_ROOT "/kds-81-%d", getpid());
	self->res = mmap(NULL, sizeof(*self->res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
	ASSERT_EQ(0, kds_restore_defaults());
}

static void cg_hash_clear(void)
{
	int fd = kds_open("hash");

	if (fd >= 0) {
		kds_clear(fd);
		close(fd);
	}
}

FIXTURE_TEARDOWN(cg)
{
	int i;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	for (i = 0; i < 2; i++) {
		if (self->go[i] >= 0)
			close(self->go[i]);
		if (self->ready[i] >= 0)
			close(self->ready[i]);
	}
	/* the store's memory first, then the group it is charged to */
	cg_hash_clear();
	if (self->made) {
		for (i = 0; i < 50 && rmdir(self->dir) && errno == EBUSY; i++)
			usleep(100 * 1000);
	}
	if (self->enabled)
		kds_write_file(CG_ROOT "/cgroup.subtree_control", "-memory");
	if (self->mounted)
		umount(CG_ROOT);
	if (self->kmsg >= 0)
		close(self->kmsg);
	munmap(self->res, sizeof(*self->res));
}

/* Is the file @path one whose words include @word? */
static bool file_has_word(const char *path, const char *word)
{
	char buf[1024], *tok, *save = NULL;

	if (kds_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

/* Field @key of a flat-keyed cgroup file (memory.events): -1 if missing. */
static long long cg_field(const char *dir, const char *file, const char *key)
{
	char path[160], buf[1024], k[64];
	const char *p = buf;
	long long v;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (kds_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	while (p && *p) {
		if (sscanf(p, "%63s %lld", k, &v) == 2 && !strcmp(k, key))
			return v;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/*
 * cgroup2 with the memory controller at CG_ROOT, mounting it if needed:
 * NULL, or why the kernel cannot (for a SKIP).
 */
static const char *cg_prepare(FIXTURE_DATA(cg) *self)
{
	static char why[160];
	struct statfs sfs;

	if (statfs(CG_ROOT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		mkdir(CG_ROOT, 0755);
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL)) {
			snprintf(why, sizeof(why), "cannot mount cgroup2 at " CG_ROOT ": %s",
				 strerror(errno));
			return why;
		}
		self->mounted = true;
	}
	if (!file_has_word(CG_ROOT "/cgroup.controllers", "memory"))
		return "cgroup2 has no memory controller here";
	if (!file_has_word(CG_ROOT "/cgroup.subtree_control", "memory")) {
		if (kds_write_file(CG_ROOT "/cgroup.subtree_control", "+memory")) {
			snprintf(why, sizeof(why), "cannot enable the memory controller: %s",
				 strerror(errno));
			return why;
		}
		self->enabled = true;
	}
	return NULL;
}

/*
 * The writer in the group: join it, put 4-KiB values into the hash store
 * until one fails (or CG_BOUND worth went in), tell the parent, wait for
 * its word, exit.
 */
static void cg_writer(FIXTURE_DATA(cg) *self)
{
	struct cg_result *r = self->res;
	char path[160], *val, c = 0;
	long long i, n = CG_BOUND / VALUE_LEN;
	int fd, ret;

	close(self->go[1]);
	close(self->ready[0]);
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->dir);
	if (kds_write_file(path, "0")) {
		r->step = 1;
		goto out;
	}
	fd = kds_open("hash");
	val = malloc(VALUE_LEN);
	if (fd < 0 || !val) {
		r->step = 2;
		goto out;
	}
	kds_pattern(val, VALUE_LEN, 16);
	for (i = 0; i < n; i++) {
		ret = kds_put(fd, CG_KEY + (__u64)i, val, VALUE_LEN);
		if (ret) {
			r->err = ret;
			break;
		}
		r->puts++;
	}
out:
	if (write(self->ready[1], &c, 1) != 1 || read(self->go[0], &c, 1) < 0)
		_exit(3);
	_exit(0);
}

TEST_F_TIMEOUT(cg, writer_in_small_memory_cgroup_gets_enomem_or_enospc, 600)
{
	char path[160], line[512] = "", *val, c = 1;
	long long oom, oom_kill, hits, cur;
	const char *why;
	__u64 v = 0;
	int fd, status, i;
	__u32 len = 0;

	why = cg_prepare(self);
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, mkdir(self->dir, 0755)) TH_LOG("mkdir %s: %s", self->dir, strerror(errno));
	self->made = true;
	snprintf(path, sizeof(path), "%s/memory.max", self->dir);
	if (access(path, W_OK))
		SKIP(return, "no memory.max in a child group");
	ASSERT_EQ(0, kds_write_file(path, "16M"));
	cg_hash_clear();
	self->kmsg = kds_kmsg_open();
	ASSERT_LE(0, self->kmsg);
	ASSERT_EQ(0, pipe(self->go));
	ASSERT_EQ(0, pipe(self->ready));

	fflush(stdout);
	fflush(stderr);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		cg_writer(self);
	}
	close(self->go[0]);
	close(self->ready[1]);
	self->go[0] = self->ready[1] = -1;

	/* The group's writer is done (or dead): the group is at its limit. */
	ASSERT_LE(0, (int)read(self->ready[0], &c, 1));
	snprintf(path, sizeof(path), "%s/memory.current", self->dir);
	cur = kds_read_u64_file(path, &v) ? -1 : (long long)v;
	TH_LOG("in the group: %lld puts of %u bytes, then %s; memory.current %lld",
	       self->res->puts, VALUE_LEN,
	       self->res->err ? strerror(-self->res->err) : "no failure", cur);
	ASSERT_EQ(0, self->res->step) TH_LOG("the writer could not %s",
					     self->res->step == 1 ? "join the group" : "open the device");

	/* Meanwhile, a writer outside the group still puts. */
	fd = kds_open("hash");
	ASSERT_LE(0, fd);
	val = malloc(VALUE_LEN + 1);
	ASSERT_NE(NULL, val);
	kds_pattern(val, VALUE_LEN, 99);
	for (i = 0; i < OUT_PUTS; i++)
		ASSERT_EQ(0, kds_put(fd, OUT_KEY + (__u64)i, val, VALUE_LEN))
			TH_LOG("put %d outside the group", i);
	ASSERT_EQ(0, kds_get(fd, OUT_KEY + OUT_PUTS - 1, val + 1, VALUE_LEN, &len));
	ASSERT_EQ(VALUE_LEN, len);
	free(val);
	close(fd);

	/* Let the writer go. */
	close(self->go[1]);
	self->go[1] = -1;
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the writer in the group: %s %d",
		       WIFSIGNALED(status) ? "killed by signal" : "exit",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));

	oom = cg_field(self->dir, "memory.events", "oom");
	oom_kill = cg_field(self->dir, "memory.events", "oom_kill");
	hits = cg_field(self->dir, "memory.events", "max");
	TH_LOG("memory.events: max %lld, oom %lld, oom_kill %lld", hits, oom, oom_kill);
	EXPECT_NE(0, self->res->err)
		TH_LOG("no put failed in a group of 16 MiB after %lld MiB of values",
		       self->res->puts * VALUE_LEN / MIB);
	EXPECT_TRUE(self->res->err == -ENOMEM || self->res->err == -ENOSPC || !self->res->err)
		TH_LOG("the put in the group failed with %s, not ENOMEM or ENOSPC",
		       strerror(-self->res->err));
	EXPECT_EQ(0, oom_kill);
	EXPECT_FALSE(kmsg_has_oom(self->kmsg, line, sizeof(line)))
		TH_LOG("kernel log: %s", line);
}

/* ---- a sysfs reader as nobody and the writers' throughput ------------ */

/*
 * Entries per store: enough that a walk of the structure costs far more
 * than a put; the list, whose every operation walks it, holds fewer.
 */
#define TP_ENTRIES	100000
#define TP_LIST_ENTRIES	20000
#define TP_ROUNDS	3
#define TP_MAX_ROUNDS	9
#define TP_OPS		40000	/* writer operations per measurement */
#define TP_VALUE	"sixteen bytes..."

struct tp_shared {
	volatile unsigned long long reads;	/* files the reader read */
	volatile int failed;			/* the reader's step that failed */
	volatile int core_only;			/* read only dev and uevent */
	volatile int backend;			/* whose directory to read */
};

FIXTURE(tp) {
	pid_t reader;
	int fd;
	struct tp_shared *sh;
	__u64 *keys;
	unsigned int nkeys;
	struct kds_batch_op *ops;
};

FIXTURE_SETUP(tp)
{
	self->reader = 0;
	self->fd = -1;
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	self->sh->backend = -1;
	self->keys = calloc(TP_ENTRIES, sizeof(*self->keys));
	self->ops = calloc(KDS_BATCH_MAX, sizeof(*self->ops));
	ASSERT_NE(NULL, self->keys);
	ASSERT_NE(NULL, self->ops);
	ASSERT_EQ(0, kds_restore_defaults());
}

FIXTURE_TEARDOWN(tp)
{
	size_t b;

	if (self->reader > 0) {
		kill(self->reader, SIGKILL);
		waitpid(self->reader, NULL, 0);
	}
	if (self->fd >= 0)
		close(self->fd);
	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		int fd = kds_open(kds_backends[b]);

		if (fd >= 0) {
			kds_clear(fd);
			close(fd);
		}
	}
	free(self->keys);
	free(self->ops);
	munmap(self->sh, sizeof(*self->sh));
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * Read every regular file in /sys/class/misc/kds-<backend>/ once (the
 * backend sh->backend, or all five when it is negative), counting each in
 * sh->reads: false if none could be read.  With sh->core_only, only the
 * files the driver core shows for every device (dev, uevent): the same
 * reader without kds's stats, to tell what the emulation and the host's
 * own load cost the writer.
 */
static bool read_all_stats(struct tp_shared *sh)
{
	unsigned long long n = 0;
	char path[128], buf[4096];
	size_t b;

	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		struct dirent *de;
		DIR *d;

		if (sh->backend >= 0 && (size_t)sh->backend != b)
			continue;
		snprintf(path, sizeof(path), "/sys/class/misc/kds-%s", kds_backends[b]);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			struct stat st;
			int fd;

			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
			    !S_ISREG(st.st_mode))
				continue;
			if (sh->core_only && strcmp(de->d_name, "dev") &&
			    strcmp(de->d_name, "uevent"))
				continue;
			fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;	/* write-only, or not for nobody */
			if (read(fd, buf, sizeof(buf)) >= 0) {
				n++;
				sh->reads++;
			}
			close(fd);
		}
		closedir(d);
	}
	return n > 0;
}

/* The reader: user nobody, outside group kds, reading the stats forever. */
static void tp_reader(struct tp_shared *sh, int cpu)
{
	gid_t groups[1] = { NOBODY };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cpu >= 0 && pin_to(cpu)) {
		sh->failed = 1;
		_exit(1);
	}
	if (cpu < 0)
		setpriority(PRIO_PROCESS, 0, 19);
	if (setgroups(1, groups) || setgid(NOBODY) || setuid(NOBODY) ||
	    geteuid() != NOBODY) {
		sh->failed = 2;
		_exit(2);
	}
	if (!read_all_stats(sh)) {
		sh->failed = 3;
		_exit(3);
	}
	raise(SIGSTOP);		/* the parent lets it go */
	for (;;)
		read_all_stats(sh);
}

/*
 * Writer operations per second: @n puts and gets (half each) on @fd, of
 * the @nkeys keys at @keys.
 */
static double tp_measure(int fd, const __u64 *keys, unsigned int nkeys,
			 unsigned int n)
{
	char buf[64];
	unsigned int i;
	double t0, t;

	t0 = kds_now();
	for (i = 0; i < n; i++) {
		if (i & 1) {
			if (kds_get(fd, keys[(i * 7) % nkeys], buf, sizeof(buf), NULL))
				return -1;
		} else if (kds_put_str(fd, keys[i % nkeys], TP_VALUE)) {
			return -1;
		}
	}
	t = kds_now() - t0;
	return t > 0 ? n / t : -1;
}

/* Stop the reader, and wait until it is stopped. */
static int reader_stop(pid_t pid)
{
	int status;

	if (kill(pid, SIGSTOP))
		return -errno;
	if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status))
		return -ECHILD;
	return 0;
}

/* Let the reader run (reading only dev and uevent with @core_only). */
static int reader_run(pid_t pid, struct tp_shared *sh, bool core_only)
{
	unsigned long long r0;
	int i;

	sh->core_only = core_only;
	r0 = sh->reads;
	if (kill(pid, SIGCONT))
		return -errno;
	/* running: it has read a file */
	for (i = 0; i < 5000 && sh->reads == r0; i++)
		usleep(1000);
	return sh->reads == r0 ? -ETIMEDOUT : 0;
}

/*
 * Fill @fd with self->nkeys entries: the keys 0..nkeys-1 (dense, so that
 * the xarray's nodes stay few) in a random order, kept in self->keys.
 */
static int tp_fill(FIXTURE_DATA(tp) *self, int fd, __u64 seed)
{
	struct kds_batch bt = {
		.size = sizeof(bt), .ops = kds_ptr(self->ops),
		.op_size = sizeof(self->ops[0]),
	};
	unsigned int i, j, n;
	int ret;

	for (i = 0; i < self->nkeys; i++)
		self->keys[i] = i;
	for (i = self->nkeys - 1; i > 0; i--) {
		__u64 t = self->keys[i];

		j = (unsigned int)kds_rand_below(&seed, i + 1);
		self->keys[i] = self->keys[j];
		self->keys[j] = t;
	}
	for (i = 0; i < self->nkeys; i += n) {
		n = self->nkeys - i < KDS_BATCH_MAX ? self->nkeys - i : KDS_BATCH_MAX;
		for (j = 0; j < n; j++)
			self->ops[j] = (struct kds_batch_op){
				.op = KDS_OP_PUT, .key = self->keys[i + j],
				.value = kds_ptr(TP_VALUE), .value_len = strlen(TP_VALUE),
			};
		bt.count = n;
		ret = kds_ioctl(fd, KDS_IOC_BATCH, &bt);
		if (ret)
			return ret;
		for (j = 0; j < n; j++)
			if (self->ops[j].result)
				return self->ops[j].result;
	}
	return 0;
}

/*
 * What the writer's rate is compared with: alone, or, when the host slows
 * it more than that (a second busy vCPU on shared cores), with the reader
 * reading only the driver core's files, where kds takes no part.
 */
static double tp_base(double alone, double core)
{
	return core < alone ? core : alone;
}

/* What the reader does during a measurement. */
enum tp_mode { TP_ALONE, TP_STATS, TP_CORE };

/*
 * One measurement of @n writer operations, the reader stopped (TP_ALONE)
 * or reading all files (TP_STATS) or only dev and uevent (TP_CORE); the
 * files it read meanwhile are added to *@reads, and *@best keeps the best
 * rate so far.  0 or -errno.
 */
static int tp_round(FIXTURE_DATA(tp) *self, unsigned int n, enum tp_mode mode,
		    unsigned long long *reads, double *best)
{
	unsigned long long r0 = 0;
	double r;
	int ret;

	if (mode != TP_ALONE) {
		ret = reader_run(self->reader, self->sh, mode == TP_CORE);
		if (ret)
			return ret;
		r0 = self->sh->reads;
	}
	r = tp_measure(self->fd, self->keys, self->nkeys, n);
	if (mode != TP_ALONE) {
		*reads += self->sh->reads - r0;
		ret = reader_stop(self->reader);
		if (ret)
			return ret;
	}
	if (r <= 0)
		return -EIO;	/* a put or get failed */
	if (r > *best)
		*best = r;
	return 0;
}

/*
 * Each backend in turn holds TP_ENTRIES entries (TP_LIST_ENTRIES for the
 * list: a walk of the structure would be costly) while the writer, alone on CPU 0, does a fixed number
 * of puts and gets: with the reader stopped, with it reading every file of
 * that backend's sysfs directory on CPU 1 (so that one slow attribute is
 * not diluted by the other four devices'), and with it reading only dev
 * and uevent.  The ratio asserted is the rate with the reader over the
 * rate alone, or over the rate with the dev-and-uevent reader when that
 * is lower: under TCG on shared host cores, any busy second vCPU can slow
 * the writer, and that is no cost of kds's stats.
 */
TEST_F_TIMEOUT(tp, sysfs_reader_outside_group_leaves_writers_throughput, 900)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int reader_cpu = ncpu >= 2 ? 1 : -1;
	size_t b;

	if (ncpu >= 2)
		ASSERT_EQ(0, pin_to(0));
	fflush(stdout);
	fflush(stderr);
	self->reader = fork();
	ASSERT_LE(0, self->reader);
	if (!self->reader)
		tp_reader(self->sh, reader_cpu);
	{
		int status;

		ASSERT_EQ(self->reader, waitpid(self->reader, &status, WUNTRACED));
		ASSERT_TRUE(WIFSTOPPED(status))
			TH_LOG("the reader failed at step %d", self->sh->failed);
	}
	TH_LOG("%ld CPUs: %s", ncpu, ncpu >= 2 ? "writer on CPU 0, reader on CPU 1" :
	       "one CPU, the reader at nice 19");

	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		const char *be = kds_backends[b];
		/* every list operation walks the list: fewer of them */
		unsigned int n = strcmp(be, "list") ? TP_OPS : TP_OPS / 10;
		double alone = 0, with = 0, core = 0, ratio, core_ratio, base;
		unsigned long long reads = 0, core_reads = 0;
		int round;

		self->sh->backend = (int)b;
		self->nkeys = strcmp(be, "list") ? TP_ENTRIES : TP_LIST_ENTRIES;
		self->fd = kds_open(be);
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, kds_clear(self->fd));
		ASSERT_EQ(0, tp_fill(self, self->fd, 0x81c0ULL + b)) TH_LOG("%s: fill", be);
		ASSERT_EQ(self->nkeys, kds_nr_entries(self->fd));
		/* once, unmeasured: the caches warm */
		ASSERT_LT(0, tp_measure(self->fd, self->keys, self->nkeys, n / 4));
		/*
		 * The best of a few rounds: the host's own load only slows.
		 * Under the bound, more rounds, up to TP_MAX_ROUNDS: a
		 * writer that a reader blocks stays blocked in every round.
		 */
		for (round = 0; round < TP_MAX_ROUNDS &&
		     (round < TP_ROUNDS || with < tp_base(alone, core) / 2); round++) {
			ASSERT_EQ(0, tp_round(self, n, TP_ALONE, NULL, &alone)) TH_LOG("%s", be);
			ASSERT_EQ(0, tp_round(self, n, TP_STATS, &reads, &with)) TH_LOG("%s", be);
			ASSERT_EQ(0, tp_round(self, n, TP_CORE, &core_reads, &core))
				TH_LOG("%s", be);
		}
		base = tp_base(alone, core);
		ratio = with / base;
		core_ratio = core / alone;
		TH_LOG("%-6s %u ops, best of %d rounds: %.0f ops/s alone, %.0f with the reader (%llu files read), %.0f with it reading only dev and uevent (%llu files, %.2f of alone): ratio %.2f",
		       be, n, round, alone, with, reads, core, core_reads, core_ratio, ratio);
		EXPECT_LT(0ULL, reads) TH_LOG("%s: the reader read nothing meanwhile", be);
		EXPECT_LE(0.5, ratio) TH_LOG("%s: reading the stats halves the writer", be);
		ASSERT_EQ(0, kds_clear(self->fd));
		close(self->fd);
		self->fd = -1;
	}
}

TEST_HARNESS_MAIN
