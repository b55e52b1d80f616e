// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the counters and the structure's shape, through KDS_IOC_STATS and
 * through sysfs (/sys/class/misc/kds-<backend>/).  Counters run since the
 * module was loaded, so the tests compare deltas across known operations.
 */
#include "kds_test.h"

FIXTURE(stats) {
	int fd;
};

FIXTURE_VARIANT(stats) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(stats);

FIXTURE_SETUP(stats)
{
	KDS_SETUP_OPEN();
}

FIXTURE_TEARDOWN(stats)
{
	KDS_TEARDOWN_CLOSE();
}

static const char *const counters[] = {
	"entries", "bytes", "puts", "gets", "hits", "dels", "clears", "errors",
};

/* The counters of struct kds_stats, in the order of counters[]. */
static void stats_vec(const struct kds_stats *st, __u64 *v)
{
	v[0] = st->entries;
	v[1] = st->bytes;
	v[2] = st->puts;
	v[3] = st->gets;
	v[4] = st->hits;
	v[5] = st->dels;
	v[6] = st->clears;
	v[7] = st->errors;
}

TEST_F(stats, an_empty_store_has_no_entries_and_no_bytes)
{
	struct kds_stats st;
	__u64 v = 1;

	ASSERT_EQ(0, kds_stats(self->fd, &st));
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(0U, st.bytes);
	ASSERT_EQ(0, kds_sysfs_u64(variant->backend, "entries", &v));
	ASSERT_EQ(0U, v);
	ASSERT_EQ(0, kds_sysfs_u64(variant->backend, "bytes", &v));
	ASSERT_EQ(0U, v);
}

TEST_F(stats, puts_count_and_entries_and_bytes_follow_the_contents)
{
	struct kds_stats a, b;

	ASSERT_EQ(0, kds_stats(self->fd, &a));
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));		/* new, 1 byte */
	ASSERT_EQ(0, kds_put_str(self->fd, 2, "bb"));		/* new, 2 bytes */
	ASSERT_EQ(0, kds_put_str(self->fd, 3, "ccc"));		/* new, 3 bytes */
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "aaaaa"));	/* replace: 5 */
	ASSERT_EQ(3, kds_text(self->fd, "\n\n\n"));		/* nothing */
	ASSERT_EQ(9, kds_text(self->fd, "put 4 dd\n"));	/* new, 2 bytes */
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	ASSERT_EQ(5U, b.puts - a.puts);
	ASSERT_EQ(4U, b.entries);
	ASSERT_EQ(5U + 2 + 3 + 2, b.bytes);
	ASSERT_EQ(a.dels, b.dels);
	ASSERT_EQ(a.gets, b.gets);
	ASSERT_EQ(a.errors, b.errors);
}

TEST_F(stats, gets_count_hits_and_misses)
{
	struct kds_stats a, b;
	char buf[8];

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));
	ASSERT_EQ(0, kds_stats(self->fd, &a));
	ASSERT_EQ(0, kds_get(self->fd, 1, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, kds_get(self->fd, 1, buf, sizeof(buf), NULL));
	ASSERT_EQ(-ENOENT, kds_get(self->fd, 2, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	ASSERT_EQ(3U, b.gets - a.gets);
	ASSERT_EQ(2U, b.hits - a.hits);
	ASSERT_EQ(a.puts, b.puts);
	ASSERT_EQ(1U, b.entries);
}

TEST_F(stats, dels_and_clears_count_and_empty_the_store)
{
	struct kds_stats a, b;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));
	ASSERT_EQ(0, kds_put_str(self->fd, 2, "bb"));
	ASSERT_EQ(0, kds_put_str(self->fd, 3, "ccc"));
	ASSERT_EQ(0, kds_stats(self->fd, &a));
	ASSERT_EQ(0, kds_del(self->fd, 2));
	ASSERT_EQ(6, kds_text(self->fd, "del 3\n"));
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	ASSERT_EQ(2U, b.dels - a.dels);
	ASSERT_EQ(1U, b.entries);
	ASSERT_EQ(1U, b.bytes);
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(6, kds_text(self->fd, "clear\n"));
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	ASSERT_EQ(2U, b.clears - a.clears);
	ASSERT_EQ(0U, b.entries);
	ASSERT_EQ(0U, b.bytes);
}

TEST_F(stats, refused_operations_count_as_errors_and_change_nothing_else)
{
	struct kds_stats a, b;
	__u64 mvs = 0;
	char *big;

	ASSERT_EQ(0, kds_param_u64("kds", "max_value_size", &mvs));
	big = calloc(1, mvs + 1);
	ASSERT_NE(NULL, big);
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));
	ASSERT_EQ(0, kds_stats(self->fd, &a));
	ASSERT_EQ(-ENOENT, kds_del(self->fd, 2));
	ASSERT_NE(0, kds_put(self->fd, 1, big, (__u32)mvs + 1));
	ASSERT_EQ(-ENOENT, kds_text(self->fd, "del 2\n"));
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	ASSERT_EQ(3U, b.errors - a.errors);
	ASSERT_EQ(a.puts, b.puts);
	ASSERT_EQ(a.dels, b.dels);
	ASSERT_EQ(1U, b.entries);
	ASSERT_EQ(1U, b.bytes);
	free(big);
}

TEST_F(stats, sysfs_counters_match_the_ioctl)
{
	struct kds_stats st;
	__u64 v[8], s;
	char buf[8];
	size_t i;

	ASSERT_EQ(0, kds_put_str(self->fd, 10, "ten"));
	ASSERT_EQ(0, kds_put_str(self->fd, 20, "twenty"));
	ASSERT_EQ(0, kds_get(self->fd, 10, buf, sizeof(buf), NULL));
	ASSERT_EQ(-ENOENT, kds_del(self->fd, 30));
	/* Nothing touches the store between the two reads. */
	ASSERT_EQ(0, kds_stats(self->fd, &st));
	stats_vec(&st, v);
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		ASSERT_EQ(0, kds_sysfs_u64(variant->backend, counters[i], &s))
			TH_LOG("sysfs %s", counters[i]);
		ASSERT_EQ(v[i], s) TH_LOG("sysfs %s", counters[i]);
	}
	ASSERT_EQ(2U, st.entries);
	ASSERT_EQ(9U, st.bytes);
}

TEST_F(stats, sysfs_files_are_one_decimal_number_and_a_newline)
{
	const char *shape[3];
	char path[128], buf[64];
	size_t i, n = 0;
	ssize_t len;

	if (!strcmp(variant->backend, "list")) {
		shape[n++] = "length";
	} else if (!strcmp(variant->backend, "hash")) {
		shape[n++] = "longest_chain";
		shape[n++] = "buckets_used";
		shape[n++] = "buckets";
	} else {
		shape[n++] = "height";
	}
	for (i = 0; i < ARRAY_SIZE(counters) + n; i++) {
		const char *f = i < ARRAY_SIZE(counters) ? counters[i] :
				shape[i - ARRAY_SIZE(counters)];
		__u64 v;

		snprintf(path, sizeof(path), "/sys/class/misc/kds-%s/%s",
			 variant->backend, f);
		len = kds_read_file(path, buf, sizeof(buf));
		ASSERT_LT(1, len) TH_LOG("%s", path);
		ASSERT_EQ(0, kds_read_u64_file(path, &v)) TH_LOG("%s: '%s'", path, buf);
	}
}

TEST_F(stats, sysfs_shows_only_the_backends_shape)
{
	bool list = !strcmp(variant->backend, "list");
	bool hash = !strcmp(variant->backend, "hash");

	ASSERT_EQ(list, kds_sysfs_has(variant->backend, "length"));
	ASSERT_EQ(hash, kds_sysfs_has(variant->backend, "longest_chain"));
	ASSERT_EQ(hash, kds_sysfs_has(variant->backend, "buckets_used"));
	ASSERT_EQ(hash, kds_sysfs_has(variant->backend, "buckets"));
	ASSERT_EQ(variant->ordered, kds_sysfs_has(variant->backend, "height"));
}

TEST_F(stats, sysfs_stats_are_read_only)
{
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		struct stat sb;

		snprintf(path, sizeof(path), "/sys/class/misc/kds-%s/%s",
			 variant->backend, counters[i]);
		ASSERT_EQ(0, stat(path, &sb));
		ASSERT_EQ(0U, sb.st_mode & 0222) TH_LOG("%s mode %o", path, sb.st_mode);
	}
}

/* Fill the store with @n keys spread over the key space. */
static int fill(int fd, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = kds_put_str(fd, (__u64)i * 2654435761ULL, "v");
		if (ret)
			return ret;
	}
	return 0;
}

static unsigned int log2_ceil(__u64 n)
{
	unsigned int l = 0;

	while ((1ULL << l) < n)
		l++;
	return l;
}

TEST_F(stats, shape_describes_the_structure)
{
	const int n = 200;
	struct kds_stats st;
	__u64 v = 0, bits = 0;

	ASSERT_EQ(0, fill(self->fd, n));
	ASSERT_EQ(0, kds_stats(self->fd, &st));
	ASSERT_EQ((__u64)n, st.entries);
	if (!strcmp(variant->backend, "list")) {
		ASSERT_EQ((__u64)n, st.shape);
		ASSERT_EQ(0, kds_sysfs_u64("list", "length", &v));
		ASSERT_EQ((__u64)n, v);
		ASSERT_EQ(0U, st.shape2);
		ASSERT_EQ(0U, st.buckets);
	} else if (!strcmp(variant->backend, "hash")) {
		ASSERT_EQ(0, kds_param_u64("kds_hash", "bits", &bits));
		ASSERT_EQ(1ULL << bits, st.buckets);
		/* Every entry is in one used bucket, at most n in one chain. */
		ASSERT_LE(1U, st.shape);
		ASSERT_GE((__u64)n, st.shape);
		ASSERT_LE(1U, st.shape2);
		ASSERT_GE((__u64)n, st.shape2);
		ASSERT_LE((__u64)n, st.shape * st.shape2);
		ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets", &v));
		ASSERT_EQ(st.buckets, v);
		ASSERT_EQ(0, kds_sysfs_u64("hash", "longest_chain", &v));
		ASSERT_EQ(st.shape, v);
		ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets_used", &v));
		ASSERT_EQ(st.shape2, v);
	} else {
		ASSERT_EQ(0, kds_sysfs_u64(variant->backend, "height", &v));
		ASSERT_EQ(st.shape, v);
		ASSERT_LE(1U, st.shape);
		ASSERT_EQ(0U, st.shape2);
		ASSERT_EQ(0U, st.buckets);
		if (!strcmp(variant->backend, "rbtree")) {
			/* A red-black tree: log2(n+1) <= height <= 2 log2(n+1). */
			ASSERT_LE(log2_ceil(n + 1), st.shape);
			ASSERT_GE(2 * log2_ceil(n + 1), st.shape);
		} else {
			ASSERT_GE(64U, st.shape);
		}
	}
}

TEST_F(stats, shape_of_an_empty_store)
{
	struct kds_stats st;

	ASSERT_EQ(0, fill(self->fd, 50));
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0, kds_stats(self->fd, &st));
	if (!strcmp(variant->backend, "hash")) {
		ASSERT_EQ(0U, st.shape);
		ASSERT_EQ(0U, st.shape2);
		ASSERT_LT(0U, st.buckets);
	} else {
		ASSERT_EQ(0U, st.shape);
	}
}

TEST_F(stats, counters_of_one_backend_do_not_move_anothers)
{
	const char *other = strcmp(variant->backend, "maple") ? "maple" : "rbtree";
	struct kds_stats a, b;
	int fd2 = kds_open(other);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kds_stats(fd2, &a));
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));
	ASSERT_EQ(0, kds_del(self->fd, 1));
	ASSERT_EQ(0, kds_stats(fd2, &b));
	ASSERT_EQ(a.puts, b.puts);
	ASSERT_EQ(a.dels, b.dels);
	ASSERT_EQ(a.entries, b.entries);
	close(fd2);
}

TEST_F(stats, stats_with_flags_or_a_nonzero_tail_is_refused)
{
	struct {
		struct kds_stats st;
		__u64 tail;
	} g;

	memset(&g, 0, sizeof(g));
	g.st.size = sizeof(g.st);
	g.st.flags = 1;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_STATS, &g));
	g.st.flags = 0;
	g.st.size = sizeof(g);
	g.tail = 5;
	ASSERT_EQ(-E2BIG, kds_ioctl(self->fd, KDS_IOC_STATS, &g));
	g.tail = 0;
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_STATS, &g));
}

TEST_HARNESS_MAIN
