// SPDX-License-Identifier: GPL-2.0
/*
 * kds: who may open a device, and that no caller gets past the limits.
 *
 * The guest's nodes are 0600 root:root (devtmpfs; the packages' udev rule
 * makes them 0660 root:kds).  A process of user nobody outside group kds
 * cannot open any of them, for reading or writing; with the node 0660
 * root:kds, a member of kds can and an outsider still cannot.  A file
 * opened by root and handed to an unprivileged process keeps working
 * (permission is checked at open) but cannot exceed max_value_size,
 * KDS_BATCH_MAX or max_entries, whatever the lengths and counts it passes.
 *
 * The program puts the nodes' owner and mode back, and the five backends
 * with default parameters, when it exits.
 */
#include "kds_rel.h"

#include <grp.h>

#define NOBODY		65534
#define KDS_GID		999	/* group kds in the guest's /etc/group */

KDS_RESTORE_DEFAULTS_AT_EXIT();

/* Become user nobody with @gid as the only group; false if it failed. */
static bool become_nobody(gid_t gid)
{
	gid_t groups[1] = { gid };

	return !setgroups(1, groups) && !setgid(NOBODY) && !setuid(NOBODY) &&
	       getuid() == NOBODY && geteuid() == NOBODY;
}

/*
 * Run @fn(@backend, @fd) in a child that is user nobody with group @gid:
 * its exit code (0 success), 100 if it could not drop privileges.
 */
static int as_nobody(gid_t gid, int (*fn)(const char *backend, int fd),
		     const char *backend, int fd)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (!become_nobody(gid))
			_exit(100);
		_exit(fn(backend, fd));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* 0 when every open mode is refused with EACCES; else which was not. */
static int opens_are_refused(const char *backend, int fd)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	char path[64];
	size_t i;

	(void)fd;
	kds_path(path, sizeof(path), backend);
	for (i = 0; i < 3; i++) {
		int f = open(path, modes[i] | O_CLOEXEC);

		if (f >= 0)
			return 10 + (int)i;
		if (errno != EACCES)
			return 20 + (int)i;
	}
	return 0;
}

/* 0 when a put, get and del work through a fresh open. */
static int open_and_use(const char *backend, int fd)
{
	(void)fd;
	fd = kds_open(backend);
	if (fd < 0)
		return 10;
	if (kds_put_str(fd, 4242, "member") || kds_holds(fd, 4242, "member") ||
	    kds_del(fd, 4242))
		return 11;
	close(fd);
	return 0;
}

/*
 * Through a file root opened: the file works, and nothing gets past the
 * limits.  Each refused call must leave the store as it was.
 */
static int limits_hold(const char *backend, int fd)
{
	static char big[KDS_DEFAULT_VALUE_SIZE + 2];
	struct kds_batch_op ops[2] = {};
	struct kds_batch b = {
		.size = sizeof(b), .ops = kds_ptr(ops), .op_size = sizeof(ops[0]),
	};
	char cmd[KDS_DEFAULT_VALUE_SIZE + 64];
	char small[4];
	__u32 len = 0;
	int n;

	if (opens_are_refused(backend, -1))
		return 1;
	if (kds_put_str(fd, 1, "root opened it") || kds_holds(fd, 1, "root opened it"))
		return 2;
	memset(big, 'v', sizeof(big));
	/* max_value_size, through every interface */
	if (kds_put(fd, 2, big, KDS_DEFAULT_VALUE_SIZE + 1) != -E2BIG)
		return 3;
	if (kds_put(fd, 2, big, 0xffffffffU) != -E2BIG)
		return 4;
	n = snprintf(cmd, sizeof(cmd), "put 2 %.*s\n", KDS_DEFAULT_VALUE_SIZE + 1, big);
	if (kds_write(fd, cmd, (size_t)n) != -E2BIG)
		return 5;
	ops[0] = (struct kds_batch_op){ .op = KDS_OP_PUT, .key = 2,
					.value = kds_ptr(big), .value_len = 0x80000000U };
	b.count = 1;
	if (kds_ioctl(fd, KDS_IOC_BATCH, &b) || ops[0].result != -E2BIG)
		return 6;
	/* KDS_BATCH_MAX */
	b.count = KDS_BATCH_MAX + 1;
	if (kds_ioctl(fd, KDS_IOC_BATCH, &b) != -E2BIG)
		return 7;
	b.count = 0xffffffffU;
	if (kds_ioctl(fd, KDS_IOC_BATCH, &b) != -E2BIG)
		return 8;
	/* a get never writes past the buffer it was given */
	if (kds_put(fd, 3, big, 100) || kds_get(fd, 3, small, sizeof(small), &len) != -ERANGE ||
	    len != 100)
		return 9;
	if (kds_holds(fd, 2, "") != -ENOENT || kds_nr_entries(fd) != 2)
		return 10;
	return kds_clear(fd) ? 11 : 0;
}

FIXTURE(perm) {
	char path[64];
	int fd;
};

FIXTURE_VARIANT(perm) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(perm);

FIXTURE_SETUP(perm)
{
	struct stat st;

	kds_path(self->path, sizeof(self->path), variant->backend);
	self->fd = kds_open(variant->backend);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0, stat(self->path, &st));
	if (st.st_uid || st.st_gid || (st.st_mode & 07777) != 0600)
		SKIP(return, "%s is not 0600 root:root here (udev?): these tests assume the bare node",
		     self->path);
}

FIXTURE_TEARDOWN(perm)
{
	chown(self->path, 0, 0);
	chmod(self->path, 0600);
	KDS_TEARDOWN_CLOSE();
}

TEST_F(perm, node_is_a_char_device_0600_root_root)
{
	struct stat st;

	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0600U, st.st_mode & 07777);
	ASSERT_EQ(0U, st.st_uid);
	ASSERT_EQ(0U, st.st_gid);
}

TEST_F(perm, user_outside_group_kds_cannot_open_the_device)
{
	ASSERT_EQ(0, as_nobody(NOBODY, opens_are_refused, variant->backend, -1));
}

TEST_F(perm, member_of_kds_opens_a_0660_root_kds_node_and_an_outsider_still_cannot)
{
	ASSERT_EQ(0, chown(self->path, 0, KDS_GID));
	ASSERT_EQ(0, chmod(self->path, 0660));
	ASSERT_EQ(0, as_nobody(KDS_GID, open_and_use, variant->backend, -1));
	ASSERT_EQ(0, as_nobody(NOBODY, opens_are_refused, variant->backend, -1));
}

TEST_F(perm, file_opened_by_root_works_unprivileged_but_not_past_the_limits)
{
	ASSERT_EQ(0, as_nobody(NOBODY, limits_hold, variant->backend, self->fd));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(perm, nobody_cannot_change_the_stats_or_parameters_in_sysfs)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/class/misc/kds-%s/entries", variant->backend);
	ASSERT_EQ(0, access(path, R_OK));
	if (!fork()) {
		if (!become_nobody(NOBODY))
			_exit(100);
		fd = open(path, O_WRONLY);
		if (fd >= 0 || errno != EACCES)
			_exit(1);
		fd = open("/sys/module/kds/parameters/max_entries", O_WRONLY);
		if (fd >= 0 || errno != EACCES)
			_exit(2);
		fd = open(path, O_RDONLY);
		_exit(fd < 0 ? 3 : 0);
	}
	ASSERT_EQ(0, (wait(&fd), WIFEXITED(fd) ? WEXITSTATUS(fd) : -1));
}

/* ---- max_entries, with kds reloaded --------------------------------------- */

#define FULL	16

static int full_store_holds(const char *backend, int fd)
{
	static struct kds_batch_op ops[KDS_BATCH_MAX];
	struct kds_batch b = {
		.size = sizeof(b), .ops = kds_ptr(ops), .count = KDS_BATCH_MAX,
		.op_size = sizeof(ops[0]),
	};
	unsigned int i, ok = 0, nospc = 0;

	(void)backend;
	for (i = 0; i < KDS_BATCH_MAX; i++)
		ops[i] = (struct kds_batch_op){ .op = KDS_OP_PUT, .key = i,
						.value = kds_ptr("v"), .value_len = 1 };
	if (kds_ioctl(fd, KDS_IOC_BATCH, &b) || b.done != KDS_BATCH_MAX)
		return 1;
	for (i = 0; i < KDS_BATCH_MAX; i++) {
		ok += ops[i].result == 0;
		nospc += ops[i].result == -ENOSPC;
	}
	if (ok != FULL || nospc != KDS_BATCH_MAX - FULL)
		return 2;
	if (kds_nr_entries(fd) != FULL)
		return 3;
	if (kds_text(fd, "put 100000 a\nput 100001 b\n") != -ENOSPC)
		return 4;
	if (kds_put_str(fd, 100002, "c") != -ENOSPC)
		return 5;
	/* replacing stays possible */
	if (kds_put_str(fd, 0, "replaced") || kds_nr_entries(fd) != FULL)
		return 6;
	return 0;
}

FIXTURE(full) {
	struct kds_run r;
};

FIXTURE_SETUP(full)
{
	char param[32];

	ASSERT_EQ(0, kds_unload_all());
	snprintf(param, sizeof(param), "max_entries=%d", FULL);
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds", param));
	kds_load_missing_backends();
}

FIXTURE_TEARDOWN(full)
{
}

TEST_F(full, no_caller_fills_a_store_past_max_entries)
{
	size_t b;

	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		int fd = kds_open(kds_backends[b]);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, as_nobody(NOBODY, full_store_holds, kds_backends[b], fd))
			TH_LOG("%s", kds_backends[b]);
		close(fd);
	}
}

TEST_HARNESS_MAIN
