// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the in-kernel loop, /sys/kernel/debug/kds/<backend>/loop.  A write
 * of "OP ORDER SEED FIRST COUNT VSIZE" runs COUNT operations on the
 * structure alone; the next read answers "ops=COUNT ns=ELAPSED hits=H".
 * The entries it puts are ordinary entries of the store.
 */
#include "kds_test.h"

#include <sys/mount.h>

#define KLOOP_DIR	"/sys/kernel/debug/kds"

/* The splitmix64 finalizer, as in the module and kdsctl bench. */
static __u64 mix64(__u64 x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct answer {
	unsigned long long ops, ns, hits;
};

/* Write @line to @path and read the answer: 0 or -errno of the write. */
static int kloop(const char *path, const char *line, struct answer *a)
{
	char buf[128];
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, line, strlen(line));
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	if (n != (ssize_t)strlen(line) || lseek(fd, 0, SEEK_SET)) {
		ret = -EIO;
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) {
		ret = -EIO;
		goto out;
	}
	buf[n] = '\0';
	if (sscanf(buf, "ops=%llu ns=%llu hits=%llu\n", &a->ops, &a->ns,
		   &a->hits) != 3 || buf[n - 1] != '\n')
		ret = -EPROTO;
out:
	close(fd);
	return ret;
}

FIXTURE(kloop) {
	int fd;
	char path[128];
};

FIXTURE_VARIANT(kloop) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(kloop);

FIXTURE_SETUP(kloop)
{
	KDS_SETUP_OPEN();
	if (access(KLOOP_DIR, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	snprintf(self->path, sizeof(self->path), KLOOP_DIR "/%s/loop",
		 variant->backend);
	ASSERT_EQ(0, access(self->path, W_OK))
		TH_LOG("%s: %s", self->path, strerror(errno));
}

FIXTURE_TEARDOWN(kloop)
{
	KDS_TEARDOWN_CLOSE();
}

TEST_F(kloop, seq_put_get_miss_del)
{
	struct answer a = {};
	char buf[64];
	__u32 len = 0;

	ASSERT_EQ(0, kloop(self->path, "put seq 0 0 100 16\n", &a));
	EXPECT_EQ(100ULL, a.ops);
	EXPECT_EQ(100ULL, a.hits);
	EXPECT_LT(0ULL, a.ns);
	ASSERT_EQ(100, kds_nr_entries(self->fd));
	/* keys 1..100, values of 16 bytes */
	ASSERT_EQ(0, kds_get(self->fd, 1, buf, sizeof(buf), &len));
	EXPECT_EQ(16U, len);
	ASSERT_EQ(0, kds_get(self->fd, 100, buf, sizeof(buf), &len));
	EXPECT_EQ(-ENOENT, kds_get(self->fd, 101, buf, sizeof(buf), NULL));

	ASSERT_EQ(0, kloop(self->path, "get seq 0 0 100 16\n", &a));
	EXPECT_EQ(100ULL, a.hits);
	ASSERT_EQ(0, kloop(self->path, "get seq 0 100 50 16\n", &a));
	EXPECT_EQ(50ULL, a.ops);
	EXPECT_EQ(0ULL, a.hits);
	ASSERT_EQ(0, kloop(self->path, "del seq 0 0 60 0\n", &a));
	EXPECT_EQ(60ULL, a.hits);
	ASSERT_EQ(40, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kloop(self->path, "del seq 0 0 100 0\n", &a));
	EXPECT_EQ(40ULL, a.hits);
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

/*
 * Keys mix64(42 + 5) .. mix64(42 + 14); those the backend cannot hold
 * (above 4294967295 for xarray and maple on a 32-bit kernel, see
 * kds_key_fits()) are misses, and EOVERFLOW for a get from user space.
 */
TEST_F(kloop, rand_keys_are_the_bench_keys)
{
	unsigned long long want = 0;
	struct answer a = {};
	char buf[64];
	__u32 len = 0, i;

	for (i = 5; i < 15; i++)
		want += kds_key_fits(variant->backend, mix64(42 + i));
	ASSERT_EQ(0, kloop(self->path, "put rand 42 5 10 3\n", &a));
	EXPECT_EQ(10ULL, a.ops);
	EXPECT_EQ(want, a.hits);
	ASSERT_EQ((long long)want, kds_nr_entries(self->fd));
	for (i = 4; i < 16; i++) {
		__u64 key = mix64(42 + i);
		int ret = kds_get(self->fd, key, buf, sizeof(buf), &len);

		if (!kds_key_fits(variant->backend, key)) {
			ASSERT_EQ(-EOVERFLOW, ret) TH_LOG("seed + %u", i);
		} else if (i < 5 || i >= 15) {
			ASSERT_EQ(-ENOENT, ret) TH_LOG("seed + %u", i);
		} else {
			ASSERT_EQ(0, ret) TH_LOG("seed + %u", i);
			EXPECT_EQ(3U, len);
		}
	}
	ASSERT_EQ(0, kloop(self->path, "get rand 42 0 20 0\n", &a));
	EXPECT_EQ(want, a.hits);
}

TEST_F(kloop, bad_lines_are_refused)
{
	struct answer a = {};
	char line[96];
	__u64 mvs = 0;

	EXPECT_EQ(-EINVAL, kloop(self->path, "peek seq 0 0 1 1\n", &a));
	EXPECT_EQ(-EINVAL, kloop(self->path, "get up 0 0 1 1\n", &a));
	EXPECT_EQ(-EINVAL, kloop(self->path, "get seq 0 0 0 1\n", &a));
	EXPECT_EQ(-EINVAL, kloop(self->path, "get seq 0 0\n", &a));
	EXPECT_EQ(-EINVAL, kloop(self->path, "get seq 0 0 99999999999 1\n",
				 &a));
	ASSERT_EQ(0, kds_param_u64("kds", "max_value_size", &mvs));
	snprintf(line, sizeof(line), "put seq 0 0 1 %llu\n",
		 (unsigned long long)mvs + 1);
	EXPECT_EQ(-E2BIG, kloop(self->path, line, &a));
	EXPECT_EQ(0, kds_nr_entries(self->fd));
}

TEST_HARNESS_MAIN
