// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the io_uring passthrough (KDS_FEAT_URING_CMD).  IORING_OP_URING_CMD
 * with cmd_op KDS_IOC_GET, PUT or DEL and a struct kds_kv in the command
 * area of a 128-byte SQE: results in the CQE, the ioctl's errnos, and the
 * same store the ioctls see.  A put on a backend whose writers sleep
 * (xarray) is handed back to io_uring under IO_URING_F_NONBLOCK and
 * completes from an io-wq worker thread ("iou-wrk-<pid>").
 */
#include <linux/io_uring.h>

#include "kds_test.h"

#include <dirent.h>

#define SQE_SIZE	128
#define CMD_AREA	80	/* 128 - offsetof(struct io_uring_sqe, cmd) */

/* A minimal ring on the raw system calls: one submission at a time. */
struct ring {
	int fd;
	bool sqe128;
	unsigned int entries;
	void *sq_ptr, *cq_ptr;
	size_t sq_len, cq_len, sqes_len;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	unsigned char *sqes;
};

static int ring_setup(struct ring *r, unsigned int entries, bool sqe128)
{
	struct io_uring_params p;
	size_t sqe_size = sqe128 ? SQE_SIZE : sizeof(struct io_uring_sqe);

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	if (sqe128)
		p.flags = IORING_SETUP_SQE128;
	r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return -errno;
	r->sqe128 = sqe128;
	r->entries = p.sq_entries;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p.sq_entries * sqe_size;
	r->sq_ptr = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 r->fd, IORING_OFF_SQ_RING);
	r->cq_ptr = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       r->fd, IORING_OFF_SQES);
	if (r->sq_ptr == MAP_FAILED || r->cq_ptr == MAP_FAILED ||
	    r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = (unsigned int *)((char *)r->sq_ptr + p.sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq_ptr + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)r->sq_ptr + p.sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq_ptr + p.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq_ptr + p.cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq_ptr + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_ptr + p.cq_off.cqes);
	return 0;
}

static void ring_close(struct ring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_ptr && r->cq_ptr != MAP_FAILED)
		munmap(r->cq_ptr, r->cq_len);
	if (r->sq_ptr && r->sq_ptr != MAP_FAILED)
		munmap(r->sq_ptr, r->sq_len);
	if (r->fd > 0)
		close(r->fd);
}

/*
 * Queue @n uring_cmds on device @dfd, command @cmd_op, the command area of
 * SQE i holding @cmd_len bytes at @cmds + i * @cmd_len; submit, wait, and
 * put each CQE's res in @res (by user_data).  0 or -errno of the syscall.
 */
static int ring_cmds(struct ring *r, int dfd, __u32 cmd_op, const void *cmds,
		     size_t cmd_len, unsigned int n, __s32 *res)
{
	size_t sqe_size = r->sqe128 ? SQE_SIZE : sizeof(struct io_uring_sqe);
	unsigned int tail = *r->sq_tail, head, i;
	int ret;

	for (i = 0; i < n; i++) {
		unsigned int idx = (tail + i) & *r->sq_mask;
		struct io_uring_sqe *sqe;

		sqe = (struct io_uring_sqe *)(r->sqes + idx * sqe_size);
		memset(sqe, 0, sqe_size);
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = dfd;
		sqe->cmd_op = cmd_op;
		sqe->user_data = i;
		memcpy(sqe->cmd, (const char *)cmds + i * cmd_len, cmd_len);
		r->sq_array[idx] = idx;
	}
	__atomic_store_n(r->sq_tail, tail + n, __ATOMIC_RELEASE);
	ret = (int)syscall(__NR_io_uring_enter, r->fd, n, n,
			   IORING_ENTER_GETEVENTS, NULL, 0);
	if (ret < 0)
		return -errno;
	if ((unsigned int)ret != n)
		return -EIO;
	head = *r->cq_head;
	for (i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;

		if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
			return -EIO;
		cqe = &r->cqes[head & *r->cq_mask];
		if (cqe->user_data < n)
			res[cqe->user_data] = cqe->res;
		head++;
	}
	__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	return 0;
}

/* One command; its CQE res, or the syscall's -errno. */
static int ring_cmd(struct ring *r, int dfd, __u32 cmd_op, const void *cmd,
		    size_t cmd_len)
{
	__s32 res = 0;
	int ret;

	ret = ring_cmds(r, dfd, cmd_op, cmd, cmd_len, 1, &res);
	return ret ? ret : res;
}

/*
 * No ring, no passthrough to test: on a kernel without io_uring, with it
 * disabled (kernel.io_uring_disabled) or without SQE128 each test skips.
 * The setup keeps io_uring_setup()'s errno and the test skips, not the
 * setup: some versions of the harness run a test whose setup skipped.
 */
#define RING_OR_SKIP()							\
	do {								\
		if (self->ring_err)					\
			SKIP(return, "io_uring_setup(SQE128): %s",	\
			     strerror(-self->ring_err));		\
	} while (0)

/* A ring of @entries 128-byte SQEs in @r: 0, or -errno with r->fd -1. */
static int ring_setup_or_none(struct ring *r, unsigned int entries)
{
	int ret = ring_setup(r, entries, true);

	if (ret) {
		ring_close(r);
		r->fd = -1;
	}
	return ret;
}

FIXTURE(uring) {
	int fd;
	struct ring r;
	int ring_err;
};

FIXTURE_VARIANT(uring) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(uring);

FIXTURE_SETUP(uring)
{
	self->r.fd = -1;
	KDS_SETUP_OPEN();
	self->ring_err = ring_setup_or_none(&self->r, 64);
}

FIXTURE_TEARDOWN(uring)
{
	ring_close(&self->r);
	KDS_TEARDOWN_CLOSE();
}

/*
 * KDS_FEAT_URING_CMD is reported only by a module built with io_uring:
 * where a ring works, the module must say it takes uring_cmds.
 */
TEST_F(uring, api_reports_the_feature_where_a_ring_works)
{
	struct kds_api api;

	RING_OR_SKIP();
	ASSERT_EQ(0, kds_api_of(self->fd, &api));
	ASSERT_EQ(KDS_FEAT_URING_CMD, api.features & KDS_FEAT_URING_CMD);
}

TEST_F(uring, put_get_del_round_trip_and_match_the_ioctls)
{
	char buf[64] = "", val[] = "a value through the ring";
	struct kds_kv kv;
	__u32 len = 0;

	RING_OR_SKIP();
	kv = kds_kv_of(7, val, sizeof(val));
	ASSERT_EQ(0, ring_cmd(&self->r, self->fd, KDS_IOC_PUT, &kv, sizeof(kv)));
	/* the ioctl sees what the ring put */
	ASSERT_EQ(0, kds_get(self->fd, 7, buf, sizeof(buf), &len));
	ASSERT_EQ(sizeof(val), len);
	ASSERT_EQ(0, memcmp(buf, val, sizeof(val)));

	/* the ring sees what the ioctl put; res is the value length */
	ASSERT_EQ(0, kds_put_str(self->fd, 8, "eight"));
	memset(buf, 0, sizeof(buf));
	kv = kds_kv_of(8, buf, sizeof(buf));
	ASSERT_EQ(5, ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv, sizeof(kv)));
	ASSERT_EQ(0, memcmp(buf, "eight", 5));
	ASSERT_EQ(0, buf[5]);

	kv = kds_kv_of(8, NULL, 0);
	ASSERT_EQ(0, ring_cmd(&self->r, self->fd, KDS_IOC_DEL, &kv, sizeof(kv)));
	ASSERT_EQ(-ENOENT, kds_get(self->fd, 8, buf, sizeof(buf), NULL));
	ASSERT_EQ(-ENOENT, ring_cmd(&self->r, self->fd, KDS_IOC_DEL, &kv,
				    sizeof(kv)));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(uring, many_per_submit_each_with_its_own_result)
{
	enum { N = 32 };
	struct kds_kv kv[N];
	char vals[N][8], out[N][8];
	__s32 res[N];
	unsigned int i;

	RING_OR_SKIP();
	for (i = 0; i < N; i++) {
		snprintf(vals[i], sizeof(vals[i]), "v%u", i);
		kv[i] = kds_kv_of(100 + i, vals[i], (__u32)strlen(vals[i]));
	}
	ASSERT_EQ(0, ring_cmds(&self->r, self->fd, KDS_IOC_PUT, kv, sizeof(kv[0]),
			       N, res));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, res[i]);
	ASSERT_EQ(N, kds_nr_entries(self->fd));

	/* every other key is absent */
	for (i = 0; i < N; i++)
		kv[i] = kds_kv_of(i % 2 ? 100 + i : 1000 + i, out[i], sizeof(out[i]));
	ASSERT_EQ(0, ring_cmds(&self->r, self->fd, KDS_IOC_GET, kv, sizeof(kv[0]),
			       N, res));
	for (i = 0; i < N; i++) {
		if (i % 2) {
			ASSERT_EQ((__s32)strlen(vals[i]), res[i]);
			ASSERT_EQ(0, memcmp(out[i], vals[i], strlen(vals[i])));
		} else {
			ASSERT_EQ(-ENOENT, res[i]);
		}
	}
}

TEST_F(uring, errnos_of_the_ioctl)
{
	char buf[16], big[64];
	struct kds_kv kv;
	void *bad = kds_unmapped();
	__u64 mvs = 0;
	char *huge;

	RING_OR_SKIP();
	ASSERT_NE(NULL, bad);
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "0123456789abcdef0123"));

	kv = kds_kv_of(2, buf, sizeof(buf));
	EXPECT_EQ(-ENOENT, ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv,
				    sizeof(kv)));
	/* a buffer too small: ERANGE, nothing copied */
	memset(buf, 'x', sizeof(buf));
	kv = kds_kv_of(1, buf, sizeof(buf));
	EXPECT_EQ(-ERANGE, ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv,
				    sizeof(kv)));
	EXPECT_EQ('x', buf[0]);
	/* values at addresses that fault */
	kv = kds_kv_of(1, bad, 64);
	EXPECT_EQ(-EFAULT, ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv,
				    sizeof(kv)));
	kv = kds_kv_of(3, bad, 8);
	EXPECT_EQ(-EFAULT, ring_cmd(&self->r, self->fd, KDS_IOC_PUT, &kv,
				    sizeof(kv)));
	EXPECT_EQ(-ENOENT, kds_get(self->fd, 3, buf, sizeof(buf), NULL));
	/* flags and reserved */
	kv = kds_kv_of(1, big, sizeof(big));
	kv.flags = 0x80;
	EXPECT_EQ(-EINVAL, ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv,
				    sizeof(kv)));
	kv = kds_kv_of(1, big, sizeof(big));
	kv.reserved = 1;
	EXPECT_EQ(-EINVAL, ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv,
				    sizeof(kv)));
	kv = kds_kv_of(4, big, 4);
	kv.flags = 0x80;
	EXPECT_EQ(-EINVAL, ring_cmd(&self->r, self->fd, KDS_IOC_PUT, &kv,
				    sizeof(kv)));
	kv = kds_kv_of(1, big, 4);
	EXPECT_EQ(-EINVAL, ring_cmd(&self->r, self->fd, KDS_IOC_DEL, &kv,
				    sizeof(kv)));
	/* NOREPLACE on a key that exists */
	kv = kds_kv_of(1, big, 4);
	kv.flags = KDS_PUT_NOREPLACE;
	EXPECT_EQ(-EEXIST, ring_cmd(&self->r, self->fd, KDS_IOC_PUT, &kv,
				    sizeof(kv)));
	/* a value longer than max_value_size */
	ASSERT_EQ(0, kds_param_u64("kds", "max_value_size", &mvs));
	huge = calloc(1, mvs + 1);
	ASSERT_NE(NULL, huge);
	kv = kds_kv_of(5, huge, (__u32)mvs + 1);
	EXPECT_EQ(-E2BIG, ring_cmd(&self->r, self->fd, KDS_IOC_PUT, &kv,
				   sizeof(kv)));
	free(huge);
	/* another command number */
	kv = kds_kv_of(1, big, sizeof(big));
	EXPECT_EQ(-ENOTTY, ring_cmd(&self->r, self->fd, KDS_IOC_STATS, &kv,
				    sizeof(kv)));
	/* the store is as it was */
	EXPECT_EQ(1, kds_nr_entries(self->fd));
	EXPECT_EQ(0, kds_holds(self->fd, 1, "0123456789abcdef0123"));
}

TEST_F(uring, size_rules_of_the_command_area)
{
	unsigned char area[CMD_AREA];
	struct kds_kv kv;
	char buf[32];

	RING_OR_SKIP();
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "one"));
	/* smaller than the first version */
	kv = kds_kv_of(1, buf, sizeof(buf));
	kv.size = 16;
	EXPECT_EQ(-EINVAL, ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv,
				    sizeof(kv)));
	/* larger than the command area: E2BIG, as a struct too large */
	kv.size = CMD_AREA + 1;
	EXPECT_EQ(-E2BIG, ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv,
				   sizeof(kv)));
	kv.size = CMD_AREA + 8;
	EXPECT_EQ(-E2BIG, ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv,
				   sizeof(kv)));
	kv.size = 4096;
	EXPECT_EQ(-E2BIG, ring_cmd(&self->r, self->fd, KDS_IOC_PUT, &kv,
				   sizeof(kv)));
	EXPECT_EQ(0, kds_holds(self->fd, 1, "one"));
	/* the whole command area, zero past the struct */
	memset(area, 0, sizeof(area));
	kv = kds_kv_of(1, buf, sizeof(buf));
	kv.size = CMD_AREA;
	memcpy(area, &kv, sizeof(kv));
	EXPECT_EQ(3, ring_cmd(&self->r, self->fd, KDS_IOC_GET, area,
			      sizeof(area)));
	/* a newer, larger struct: its tail must be zero */
	memset(area, 0, sizeof(area));
	kv = kds_kv_of(1, buf, sizeof(buf));
	kv.size = sizeof(kv) + 8;
	memcpy(area, &kv, sizeof(kv));
	EXPECT_EQ(3, ring_cmd(&self->r, self->fd, KDS_IOC_GET, area,
			      sizeof(area)));
	area[sizeof(kv) + 7] = 1;
	EXPECT_EQ(-E2BIG, ring_cmd(&self->r, self->fd, KDS_IOC_GET, area,
				   sizeof(area)));
	/* non-zero bytes past kv.size are not looked at */
	kv.size = sizeof(kv);
	memcpy(area, &kv, sizeof(kv));
	EXPECT_EQ(3, ring_cmd(&self->r, self->fd, KDS_IOC_GET, area,
			      sizeof(area)));
}

TEST_F(uring, a_ring_without_sqe128_is_refused)
{
	struct ring small;
	char cmd[16];
	int ret;

	RING_OR_SKIP();
	ret = ring_setup(&small, 8, false);
	ASSERT_EQ(0, ret) TH_LOG("io_uring_setup: %s", strerror(-ret));
	/* the 16 bytes it has: the start of a struct kds_kv */
	memset(cmd, 0, sizeof(cmd));
	cmd[0] = sizeof(struct kds_kv);
	EXPECT_EQ(-EINVAL, ring_cmd(&small, self->fd, KDS_IOC_GET, cmd,
				    sizeof(cmd)));
	ring_close(&small);
}

/* ---- a put whose writer sleeps runs from an io-wq worker ------------- */

#define WORKER_PREFIX	"iou-wrk"	/* io-wq.c: "iou-wrk-<pid>" (6.1 to 7.x) */

/*
 * Threads of this process whose comm starts with @prefix: their number,
 * the first one's comm in @first.  Other threads than the main one are
 * counted in *@others with the first one's comm in @other.
 */
static int threads_named(const char *prefix, char *first, size_t cap,
			 int *others, char *other, size_t ocap)
{
	char path[300], comm[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	*others = 0;
	d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		ssize_t len;

		if (de->d_name[0] == '.' || atoi(de->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		len = kds_read_file(path, comm, sizeof(comm));
		if (len <= 0)
			continue;
		if (comm[len - 1] == '\n')
			comm[len - 1] = '\0';
		if (!strncmp(comm, prefix, strlen(prefix))) {
			if (!n++)
				snprintf(first, cap, "%s", comm);
		} else if (!(*others)++) {
			snprintf(other, ocap, "%s", comm);
		}
	}
	closedir(d);
	return n;
}

/*
 * How does this kernel name the io-wq workers?  A child submits a NOP with
 * IOSQE_ASYNC, which always runs from a worker, and looks at its threads.
 * 0 when one is named WORKER_PREFIX..., else 1 with what it saw in @seen.
 */
static int workers_are_named_iou_wrk(char *seen, size_t cap)
{
	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status;
	pid_t pid;

	if (shared == MAP_FAILED)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct io_uring_sqe *sqe;
		char first[64] = "", other[64] = "";
		struct ring r;
		unsigned int idx;
		int n, others;

		if (ring_setup(&r, 4, false))
			_exit(2);
		idx = *r.sq_tail & *r.sq_mask;
		sqe = (struct io_uring_sqe *)(r.sqes + idx * sizeof(*sqe));
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_NOP;
		sqe->flags = IOSQE_ASYNC;
		r.sq_array[idx] = idx;
		__atomic_store_n(r.sq_tail, *r.sq_tail + 1, __ATOMIC_RELEASE);
		if (syscall(__NR_io_uring_enter, r.fd, 1, 1, IORING_ENTER_GETEVENTS,
			    NULL, 0) != 1)
			_exit(3);
		n = threads_named(WORKER_PREFIX, first, sizeof(first), &others,
				  other, sizeof(other));
		snprintf(shared, 4096, "%s", others ? other : "no thread besides the main one");
		_exit(n > 0 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	snprintf(seen, cap, "%s", shared);
	munmap(shared, 4096);
	return WEXITSTATUS(status);
}

/*
 * The xarray's writers sleep (a mutex, allocations that may wait): a put
 * issued with IO_URING_F_NONBLOCK goes back to io_uring with -EAGAIN, and
 * io_uring runs it again from an io-wq worker thread of this process.
 * The CQE reads 0 and the value is there.
 */
FIXTURE(uring_xarray) {
	int fd;
	struct ring r;
	int ring_err;
};

FIXTURE_SETUP(uring_xarray)
{
	self->r.fd = -1;
	self->fd = kds_open("xarray");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kds_clear(self->fd));
	self->ring_err = ring_setup_or_none(&self->r, 8);
}

FIXTURE_TEARDOWN(uring_xarray)
{
	ring_close(&self->r);
	if (self->fd >= 0) {
		kds_clear(self->fd);
		close(self->fd);
	}
}

TEST_F(uring_xarray, put_whose_writer_sleeps_completes_from_an_io_wq_worker)
{
	char val[] = "put from a worker", buf[64] = "", first[64] = "", other[64] = "";
	char seen[128] = "";
	struct kds_kv kv;
	int ret, workers, others;
	__u32 len = 0;

	RING_OR_SKIP();
	/* nothing of this process has gone to a worker yet */
	ASSERT_EQ(0, threads_named(WORKER_PREFIX, first, sizeof(first), &others,
				   other, sizeof(other)));

	kv = kds_kv_of(0x35a, val, sizeof(val));
	ASSERT_EQ(0, ring_cmd(&self->r, self->fd, KDS_IOC_PUT, &kv, sizeof(kv)));
	workers = threads_named(WORKER_PREFIX, first, sizeof(first), &others,
				other, sizeof(other));
	/* the value is readable through the ioctl and through the ring */
	ASSERT_EQ(0, kds_get(self->fd, 0x35a, buf, sizeof(buf), &len));
	ASSERT_EQ(sizeof(val), len);
	ASSERT_EQ(0, memcmp(buf, val, sizeof(val)));
	memset(buf, 0, sizeof(buf));
	kv = kds_kv_of(0x35a, buf, sizeof(buf));
	ASSERT_EQ((int)sizeof(val), ring_cmd(&self->r, self->fd, KDS_IOC_GET, &kv,
					     sizeof(kv)));
	ASSERT_EQ(0, memcmp(buf, val, sizeof(val)));
	/* and a del through the ring completes the same way */
	kv = kds_kv_of(0x35a, NULL, 0);
	ASSERT_EQ(0, ring_cmd(&self->r, self->fd, KDS_IOC_DEL, &kv, sizeof(kv)));
	ASSERT_EQ(-ENOENT, kds_get(self->fd, 0x35a, buf, sizeof(buf), NULL));

	ret = workers_are_named_iou_wrk(seen, sizeof(seen));
	ASSERT_LE(0, ret) TH_LOG("the probe of the workers' names failed: %d", ret);
	if (ret)
		SKIP(return, "an IOSQE_ASYNC request shows no \"" WORKER_PREFIX
		     "\" thread here (%s): workers are named differently", seen);
	TH_LOG("after the put: %d \"" WORKER_PREFIX "\" thread(s)%s%s", workers,
	       workers ? ", " : "", first);
	ASSERT_LT(0, workers)
		TH_LOG("the put ran in the submitting task (other threads: %d%s%s)",
		       others, others ? ", " : "", other);
}

TEST_HARNESS_MAIN
