// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the counters and the structure's shape (on request, KDS_STATS_SHAPE),
 * through KDS_IOC_STATS and
 * through sysfs (/sys/class/misc/kds-<backend>/).  Counters run since the
 * module was loaded, so the tests compare deltas across known operations.
 *
 * bytes is the memory the store holds as the kernel allocated it (entries,
 * values and structure nodes, rounded up to their slab size), not the sum
 * of the value lengths: the tests hold it to what a user can rely on.  It
 * is 0 for an empty store, grows with every new entry by at least the
 * value's length, stays put when a value is replaced by one of the same
 * length, comes back exactly when a put is undone by a delete (list, hash,
 * rbtree; the trees of xarray and maple may keep or drop a node, but an
 * emptied store holds 0), and is the same for equal contents.
 */
#include "kds_rel.h"

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

/* Do a put and its delete give back exactly what the put took here? */
static bool exact_undo(const char *backend)
{
	return !strcmp(backend, "list") || !strcmp(backend, "hash") ||
	       !strcmp(backend, "rbtree");
}

TEST_F(stats, puts_count_and_entries_and_bytes_follow_the_contents)
{
	struct kds_stats a, b;
	long long b1, b2, b3, b4;

	ASSERT_EQ(0, kds_stats(self->fd, &a));
	ASSERT_EQ(0U, a.bytes);
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));		/* new, 1 byte */
	b1 = kds_nr_bytes(self->fd);
	ASSERT_LE(1LL, b1);
	ASSERT_EQ(0, kds_put_str(self->fd, 2, "bb"));		/* new, 2 bytes */
	b2 = kds_nr_bytes(self->fd);
	ASSERT_LE(b1 + 2, b2);
	ASSERT_EQ(0, kds_put_str(self->fd, 3, "ccc"));		/* new, 3 bytes */
	b3 = kds_nr_bytes(self->fd);
	ASSERT_LE(b2 + 3, b3);
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "z"));		/* replace: 1 */
	ASSERT_EQ(b3, kds_nr_bytes(self->fd));
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "aaaaa"));	/* replace: 5 */
	ASSERT_EQ(3, kds_text(self->fd, "\n\n\n"));		/* nothing */
	b4 = kds_nr_bytes(self->fd);
	ASSERT_EQ(9, kds_text(self->fd, "put 4 dd\n"));	/* new, 2 bytes */
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	ASSERT_LE((__u64)b4 + 2, b.bytes);
	TH_LOG("%s: bytes after 1, 2, 3 puts: %lld, %lld, %lld; with 4 entries: %llu",
	       variant->backend, b1, b2, b3, (unsigned long long)b.bytes);
	ASSERT_EQ(6U, b.puts - a.puts);
	ASSERT_EQ(4U, b.entries);
	ASSERT_EQ(a.dels, b.dels);
	ASSERT_EQ(a.gets, b.gets);
	ASSERT_EQ(a.errors, b.errors);
}

/* Value lengths around the slab's size classes and the value-apart limit. */
static const __u32 lengths[] = {
	0, 1, 7, 8, 16, 100, 200, 255, 256, 257, 500, 1000, 1024, 1500, 2048,
	3000, 4000, 4096,
};

TEST_F(stats, bytes_grow_with_every_new_entry_by_at_least_its_value)
{
	static char val[KDS_DEFAULT_VALUE_SIZE];
	long long before, after, grew;
	__u32 len;
	size_t i;

	kds_pattern(val, sizeof(val), 1);
	before = kds_nr_bytes(self->fd);
	ASSERT_EQ(0LL, before);
	for (i = 0; i < ARRAY_SIZE(lengths); i++) {
		len = lengths[i];
		ASSERT_EQ(0, kds_put(self->fd, i + 1, val, len));
		after = kds_nr_bytes(self->fd);
		grew = after - before;
		TH_LOG("%s: a new entry of a %u-byte value: +%lld bytes",
		       variant->backend, len, grew);
		/* the value, and something for the entry, even when empty */
		ASSERT_LE((long long)len + 1, grew) TH_LOG("%u-byte value", len);
		/*
		 * About its size: a short value in at most 256 bytes with its
		 * entry, a power of two from 1 KiB up in its own allocation
		 * beside a header (and at most a node of the structure).
		 */
		if (len <= 100)
			ASSERT_GE(256 + (long long)kds_node_allowance(variant->backend),
				  grew) TH_LOG("%u-byte value", len);
		if (len == 1024 || len == 2048 || len == 4096)
			ASSERT_GE((long long)len + 128 +
				  (long long)kds_node_allowance(variant->backend), grew)
				TH_LOG("%u-byte value", len);
		ASSERT_GE((long long)kds_entry_max_bytes(variant->backend, len), grew);
		before = after;
	}
	ASSERT_EQ((long long)ARRAY_SIZE(lengths), kds_nr_entries(self->fd));
}

TEST_F(stats, replace_with_a_value_of_the_same_length_leaves_bytes_unchanged)
{
	static char val[KDS_DEFAULT_VALUE_SIZE];
	long long before;
	size_t i;

	kds_pattern(val, sizeof(val), 2);
	for (i = 0; i < ARRAY_SIZE(lengths); i++)
		ASSERT_EQ(0, kds_put(self->fd, i + 1, val, lengths[i]));
	before = kds_nr_bytes(self->fd);
	for (i = 0; i < ARRAY_SIZE(lengths); i++) {
		kds_pattern(val, sizeof(val), 3 + (unsigned int)i);
		ASSERT_EQ(0, kds_put(self->fd, i + 1, val, lengths[i]));
		ASSERT_EQ(before, kds_nr_bytes(self->fd))
			TH_LOG("replace of a %u-byte value", lengths[i]);
	}
	/* through the text protocol too */
	ASSERT_EQ(0, kds_put_str(self->fd, 100, "text value"));
	before = kds_nr_bytes(self->fd);
	ASSERT_EQ(19, kds_text(self->fd, "put 100 TEXT VALUE\n"));
	ASSERT_EQ(before, kds_nr_bytes(self->fd));
	ASSERT_EQ(0, kds_holds(self->fd, 100, "TEXT VALUE"));
}

TEST_F(stats, a_delete_gives_back_what_the_put_took)
{
	static char val[KDS_DEFAULT_VALUE_SIZE];
	long long base, put, del;
	int i;
	size_t j;

	kds_pattern(val, sizeof(val), 4);
	/* a store with something in it */
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, kds_put(self->fd, (__u64)i * 1000, val, (__u32)i * 3));
	for (j = 0; j < ARRAY_SIZE(lengths); j++) {
		base = kds_nr_bytes(self->fd);
		ASSERT_EQ(0, kds_put(self->fd, 123457, val, lengths[j]));
		put = kds_nr_bytes(self->fd);
		ASSERT_EQ(0, kds_del(self->fd, 123457));
		del = kds_nr_bytes(self->fd);
		ASSERT_LE(base + (long long)lengths[j] + 1, put);
		if (exact_undo(variant->backend)) {
			ASSERT_EQ(base, del) TH_LOG("put and del of a %u-byte value: %+lld, then %+lld",
						    lengths[j], put - base, del - put);
		} else if (base != del) {
			TH_LOG("%s: put and del of a %u-byte value leave %+lld bytes (nodes)",
			       variant->backend, lengths[j], del - base);
		}
		/* and by text */
		ASSERT_EQ(0, kds_put(self->fd, 123457, val, lengths[j]));
		ASSERT_EQ(put, kds_nr_bytes(self->fd));
		ASSERT_EQ(11, kds_text(self->fd, "del 123457\n"));
		ASSERT_EQ(del, kds_nr_bytes(self->fd));
	}
	/* deleting everything gives back everything, on every backend */
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, kds_del(self->fd, (__u64)i * 1000));
	ASSERT_EQ(0LL, kds_nr_entries(self->fd));
	ASSERT_EQ(0LL, kds_nr_bytes(self->fd));
}

TEST_F(stats, equal_contents_count_equal_bytes_whatever_their_history)
{
	static char val[KDS_DEFAULT_VALUE_SIZE];
	const int n = 300;
	long long first, second;
	int i;

	kds_pattern(val, sizeof(val), 5);
	/* keys spread and clustered, short and long values */
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, kds_put(self->fd, (__u64)i * 2654435761ULL % 100003,
				     val, (__u32)(i * 37) % 1500));
	first = kds_nr_bytes(self->fd);
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0LL, kds_nr_bytes(self->fd));
	/* the same contents in the other order, with detours on the way */
	for (i = n - 1; i >= 0; i--) {
		__u64 key = (__u64)i * 2654435761ULL % 100003;

		ASSERT_EQ(0, kds_put(self->fd, key, val, 4000));
		ASSERT_EQ(0, kds_put(self->fd, key + 1000000, val, 10));
		ASSERT_EQ(0, kds_put(self->fd, key, val, (__u32)(i * 37) % 1500));
		ASSERT_EQ(0, kds_del(self->fd, key + 1000000));
	}
	second = kds_nr_bytes(self->fd);
	TH_LOG("%s: %d entries count %lld bytes, built again %lld",
	       variant->backend, n, first, second);
	ASSERT_EQ((long long)n, kds_nr_entries(self->fd));
	ASSERT_EQ(first, second);
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
	long long one;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));
	one = kds_nr_bytes(self->fd);
	ASSERT_EQ(0, kds_put_str(self->fd, 2, "bb"));
	ASSERT_EQ(0, kds_put_str(self->fd, 3, "ccc"));
	ASSERT_EQ(0, kds_stats(self->fd, &a));
	ASSERT_EQ(0, kds_del(self->fd, 2));
	ASSERT_EQ(6, kds_text(self->fd, "del 3\n"));
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	ASSERT_EQ(2U, b.dels - a.dels);
	ASSERT_EQ(1U, b.entries);
	ASSERT_LT(b.bytes, a.bytes);
	ASSERT_LE(1U, b.bytes);
	/* what is left is what the one key took */
	if (exact_undo(variant->backend))
		ASSERT_EQ((__u64)one, b.bytes);
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
	ASSERT_EQ(a.bytes, b.bytes);
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
	/* "ten" and "twenty", and their entries */
	ASSERT_LE(9U + 2, st.bytes);
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

/*
 * Fill the store of @backend with @n keys spread over the keys it holds
 * (all 64 bits; 32 for xarray and maple on a 32-bit kernel).
 */
static int fill(int fd, const char *backend, int n)
{
	const __u64 max = kds_key_max(backend);
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = kds_put_str(fd, ((__u64)i * 2654435761ULL) & max, "v");
		if (ret)
			return ret;
	}
	return 0;
}

/* The least l with 2^l >= n. */
static unsigned int log2_ceil(__u64 n)
{
	unsigned int l = 0;

	while ((1ULL << l) < n)
		l++;
	return l;
}

/* The most l with 2^l <= n (n >= 1). */
static unsigned int log2_floor(__u64 n)
{
	unsigned int l = 0;

	while (l < 63 && (1ULL << (l + 1)) <= n)
		l++;
	return l;
}

/*
 * The heights a red-black tree of n nodes can have:
 * log2(n+1) <= h <= 2 log2(n+1), i.e. 2^h >= n+1 and 2^h <= (n+1)^2.
 */
static unsigned int rb_height_min(__u64 n)
{
	return log2_ceil(n + 1);
}

static unsigned int rb_height_max(__u64 n)
{
	return log2_floor((n + 1) * (n + 1));
}

/* The KDS_SHAPE_* bit of a backend: the shape fields it fills. */
static __u32 shape_bit(const char *backend)
{
	if (!strcmp(backend, "list"))
		return KDS_SHAPE_LENGTH;
	if (!strcmp(backend, "hash"))
		return KDS_SHAPE_CHAIN;
	return KDS_SHAPE_HEIGHT;
}

/* The shape fields of struct kds_stats: sysfs name, the bit that fills it. */
static const struct shape_field {
	const char *name;
	__u32 bit;
	size_t off;
} shape_fields[] = {
	{ "length", KDS_SHAPE_LENGTH, offsetof(struct kds_stats, length) },
	{ "longest_chain", KDS_SHAPE_CHAIN,
	  offsetof(struct kds_stats, longest_chain) },
	{ "buckets_used", KDS_SHAPE_CHAIN,
	  offsetof(struct kds_stats, buckets_used) },
	{ "buckets", KDS_SHAPE_CHAIN, offsetof(struct kds_stats, buckets) },
	{ "height", KDS_SHAPE_HEIGHT, offsetof(struct kds_stats, height) },
};

static __u64 shape_value(const struct kds_stats *st,
			 const struct shape_field *f)
{
	__u64 v;

	memcpy(&v, (const char *)st + f->off, sizeof(v));
	return v;
}

/*
 * With KDS_STATS_SHAPE: shape holds exactly the backend's bit, each field
 * it names is what sysfs shows, the others are 0.
 */
TEST_F(stats, shape_fields_are_the_backends_and_match_sysfs)
{
	const int sizes[] = { 0, 1, 200 };
	__u32 bit = shape_bit(variant->backend);
	struct kds_stats st;
	size_t i, j;
	int ret;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ASSERT_EQ(0, kds_clear(self->fd));
		ASSERT_EQ(0, fill(self->fd, variant->backend, sizes[i]));
		/* nothing touches the store between the two reads */
		ASSERT_EQ(0, kds_stats_shape(self->fd, &st));
		ASSERT_EQ((__u64)sizes[i], st.entries);
		ASSERT_EQ(bit, st.shape) TH_LOG("%d entries", sizes[i]);
		ASSERT_EQ(0U, st.reserved);
		for (j = 0; j < ARRAY_SIZE(shape_fields); j++) {
			const struct shape_field *f = &shape_fields[j];
			__u64 v = 0;

			if (!(f->bit & bit)) {
				ASSERT_EQ(0U, shape_value(&st, f))
					TH_LOG("%s, %d entries", f->name,
					       sizes[i]);
				continue;
			}
			ret = kds_sysfs_u64(variant->backend, f->name, &v);
			ASSERT_EQ(0, ret) TH_LOG("sysfs %s", f->name);
			ASSERT_EQ(v, shape_value(&st, f))
				TH_LOG("%s, %d entries", f->name, sizes[i]);
		}
	}
}

TEST_F(stats, shape_describes_the_structure)
{
	const int n = 200;
	struct kds_stats st;
	__u64 bits = 0;

	ASSERT_EQ(0, fill(self->fd, variant->backend, n));
	ASSERT_EQ(0, kds_stats_shape(self->fd, &st));
	ASSERT_EQ((__u64)n, st.entries);
	if (!strcmp(variant->backend, "list")) {
		ASSERT_EQ((__u64)n, st.length);
	} else if (!strcmp(variant->backend, "hash")) {
		ASSERT_EQ(0, kds_param_u64("kds_hash", "bits", &bits));
		ASSERT_EQ(1ULL << bits, st.buckets);
		/* Every entry is in one used bucket, at most n in one chain. */
		ASSERT_LE(1U, st.longest_chain);
		ASSERT_GE((__u64)n, st.longest_chain);
		ASSERT_LE(1U, st.buckets_used);
		ASSERT_GE((__u64)n, st.buckets_used);
		ASSERT_LE((__u64)n, st.longest_chain * st.buckets_used);
	} else {
		ASSERT_LE(1U, st.height);
		if (!strcmp(variant->backend, "rbtree")) {
			/* A red-black tree: log2(n+1) <= height <= 2 log2(n+1). */
			ASSERT_LE(rb_height_min(n), st.height);
			ASSERT_GE(rb_height_max(n), st.height);
		} else {
			ASSERT_GE(64U, st.height);
		}
	}
}

TEST_F(stats, shape_of_an_empty_store)
{
	struct kds_stats st;

	ASSERT_EQ(0, fill(self->fd, variant->backend, 50));
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0, kds_stats_shape(self->fd, &st));
	ASSERT_EQ(shape_bit(variant->backend), st.shape);
	ASSERT_EQ(0U, st.length);
	ASSERT_EQ(0U, st.longest_chain);
	ASSERT_EQ(0U, st.buckets_used);
	ASSERT_EQ(0U, st.height);
	if (!strcmp(variant->backend, "hash")) {
		ASSERT_LT(0U, st.buckets);
	} else {
		ASSERT_EQ(0U, st.buckets);
	}
}

/* The shape may walk the structure: only on request. */
TEST_F(stats, without_the_shape_flag_shape_and_its_fields_are_zero)
{
	struct kds_stats st;
	size_t j;

	ASSERT_EQ(0, fill(self->fd, variant->backend, 50));
	ASSERT_EQ(0, kds_stats(self->fd, &st));
	ASSERT_EQ(50U, st.entries);
	ASSERT_EQ(0U, st.shape);
	ASSERT_EQ(0U, st.reserved);
	for (j = 0; j < ARRAY_SIZE(shape_fields); j++) {
		const struct shape_field *f = &shape_fields[j];

		ASSERT_EQ(0U, shape_value(&st, f)) TH_LOG("%s", f->name);
	}
	/* the same store, asked with the flag, has a shape */
	ASSERT_EQ(0, kds_stats_shape(self->fd, &st));
	ASSERT_EQ(shape_bit(variant->backend), st.shape);
}

TEST_F(stats, unknown_stats_flags_and_nonzero_reserved_are_einval)
{
	const __u32 bad[] = { 0x2, 0x4, KDS_STATS_SHAPE | 0x2, 1U << 31 };
	struct kds_stats st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		st.flags = bad[i];
		ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_STATS, &st))
			TH_LOG("flags %#x", bad[i]);
	}
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.flags = KDS_STATS_SHAPE;
	st.reserved = 1;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_STATS, &st));
	st.reserved = 0;
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_STATS, &st));
	ASSERT_EQ(shape_bit(variant->backend), st.shape);
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
	g.st.flags = 0x2;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_STATS, &g));
	g.st.flags = 0;
	g.st.size = sizeof(g);
	g.tail = 5;
	ASSERT_EQ(-E2BIG, kds_ioctl(self->fd, KDS_IOC_STATS, &g));
	g.tail = 0;
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_STATS, &g));
}

/* ---- the rbtree's height, kept by the tree itself ----------------------- */

/* The height the stats show for the rbtree store, and its entry count. */
static int rb_height(int fd, __u64 *h, __u64 *n)
{
	struct kds_stats st;
	__u64 v = 0;
	int ret;

	ret = kds_stats_shape(fd, &st);
	if (ret)
		return ret;
	ret = kds_sysfs_u64("rbtree", "height", &v);
	if (ret)
		return ret;
	/* nothing changes the store between the two */
	if (!(st.shape & KDS_SHAPE_HEIGHT) || v != st.height)
		return -EPROTO;
	*h = st.height;
	*n = st.entries;
	return 0;
}

/*
 * The height stat is the root's augmented height, kept by every insert,
 * erase and rotation: it must be the tree's true height at every moment,
 * which user space sees through the bounds every red-black tree obeys.
 * A height left stale by a rotation or an erase breaks them as the tree
 * grows or shrinks past it.
 */
FIXTURE(rbtree) {
	int fd;
	bool *in;
};

FIXTURE_SETUP(rbtree)
{
	self->in = NULL;
	self->fd = kds_open("rbtree");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kds_clear(self->fd));
}

FIXTURE_TEARDOWN(rbtree)
{
	free(self->in);
	KDS_TEARDOWN_CLOSE();
}

TEST_F(rbtree, rbtree_height_follows_puts_and_dels)
{
	const unsigned int want[] = { 0, 1, 2, 2 };
	const int keys = 5000, ops = 16000;
	__u64 h = 0, n = 0, rng = 2024;
	int fd = self->fd, i, checks = 0;
	bool *in;

	in = self->in = calloc((size_t)keys, sizeof(*in));
	ASSERT_NE(NULL, in);

	/* 0, 1, 2, 3 keys in order: a root, a chain of two, a balanced three */
	for (i = 0; i < 4; i++) {
		if (i)
			ASSERT_EQ(0, kds_put_str(fd, (__u64)i, "v"));
		ASSERT_EQ(0, rb_height(fd, &h, &n));
		ASSERT_EQ((__u64)i, n);
		ASSERT_EQ(want[i], h) TH_LOG("after %d puts", i);
	}

	/* sequential puts rotate on every other insert */
	for (i = 4; i <= 1000; i++)
		ASSERT_EQ(0, kds_put_str(fd, (__u64)i, "v"));
	ASSERT_EQ(0, rb_height(fd, &h, &n));
	TH_LOG("1000 sequential keys: height %llu (bounds %u..%u)",
	       (unsigned long long)h, rb_height_min(n), rb_height_max(n));
	ASSERT_EQ(1000U, n);
	ASSERT_LE(rb_height_min(n), h);
	ASSERT_GE(rb_height_max(n), h);

	/* all but key 500, from both ends inwards */
	for (i = 0; i < 1000; i++) {
		__u64 key = i % 2 ? (__u64)(1000 - i / 2) : (__u64)(1 + i / 2);

		if (key == 500)
			continue;
		ASSERT_EQ(0, kds_del(fd, key)) TH_LOG("key %llu", (unsigned long long)key);
		if (i % 100 == 99) {
			ASSERT_EQ(0, rb_height(fd, &h, &n));
			ASSERT_LE(rb_height_min(n), h) TH_LOG("%llu keys left", (unsigned long long)n);
			ASSERT_GE(rb_height_max(n), h) TH_LOG("%llu keys left", (unsigned long long)n);
		}
	}
	ASSERT_EQ(0, rb_height(fd, &h, &n));
	ASSERT_EQ(1U, n);
	ASSERT_EQ(1U, h);
	ASSERT_EQ(0, kds_clear(fd));
	ASSERT_EQ(0, rb_height(fd, &h, &n));
	ASSERT_EQ(0U, h);

	/*
	 * Random puts and dels of 5000 keys, seeded: growing (three puts to
	 * a del, towards three quarters of the keys), then shrinking (a put
	 * to three dels, towards a quarter), checked every 2000 operations;
	 * then the keys left go one by one, checked after each.
	 */
	for (i = 0; i < 2 * ops; i++) {
		bool growing = i < ops;
		int k = (int)kds_rand_below(&rng, (__u64)keys);
		bool put = kds_rand_below(&rng, 4) < (growing ? 3U : 1U);
		char val[16];

		if (put) {
			snprintf(val, sizeof(val), "r%d", i);
			ASSERT_EQ(0, kds_put_str(fd, (__u64)k * 7919, val));
			in[k] = true;
		} else {
			int ret = kds_del(fd, (__u64)k * 7919);

			ASSERT_EQ(in[k] ? 0 : -ENOENT, ret) TH_LOG("del of key %d", k);
			in[k] = false;
		}
		if ((i + 1) % 2000 == 0) {
			ASSERT_EQ(0, rb_height(fd, &h, &n));
			ASSERT_LE(rb_height_min(n), h)
				TH_LOG("after %d operations, %llu keys", i + 1, (unsigned long long)n);
			ASSERT_GE(rb_height_max(n), h)
				TH_LOG("after %d operations, %llu keys", i + 1, (unsigned long long)n);
			checks++;
			if (i + 1 == ops || i + 1 == 2 * ops)
				TH_LOG("after %d random operations: %llu keys, height %llu",
				       i + 1, (unsigned long long)n, (unsigned long long)h);
		}
	}
	/* and the last few out, one by one */
	for (i = 0; i < keys; i++) {
		if (!in[i])
			continue;
		ASSERT_EQ(0, kds_del(fd, (__u64)i * 7919));
		in[i] = false;
		ASSERT_EQ(0, rb_height(fd, &h, &n));
		ASSERT_LE(rb_height_min(n), h) TH_LOG("%llu keys left", (unsigned long long)n);
		ASSERT_GE(rb_height_max(n), h) TH_LOG("%llu keys left", (unsigned long long)n);
		checks++;
	}
	ASSERT_EQ(0, rb_height(fd, &h, &n));
	ASSERT_EQ(0U, n);
	ASSERT_EQ(0U, h);
	TH_LOG("%d checkpoints within the bounds", checks);
}

/* ---- kds.max_bytes ------------------------------------------------------ */

FIXTURE(params) {
	int unused;
};

FIXTURE_SETUP(params)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(params)
{
}

TEST_F(params, max_bytes_is_shown_and_is_an_eighth_of_ram_by_default)
{
	long long kb = kds_meminfo_kb("MemTotal");
	__u64 max_bytes = 0, eighth;
	char buf[64];

	/* the other parameters as loaded by default: kds itself was too */
	ASSERT_EQ(0, kds_param("kds", "max_entries", buf, sizeof(buf)));
	if (strcmp(buf, "1048576"))
		SKIP(return, "kds is loaded with max_entries=%s, not its defaults", buf);
	ASSERT_EQ(0, kds_param_u64("kds", "max_bytes", &max_bytes));
	ASSERT_LT(0LL, kb);
	eighth = (__u64)kb * 1024 / 8;
	TH_LOG("max_bytes %llu; MemTotal %lld KiB, an eighth %llu bytes (%+lld)",
	       (unsigned long long)max_bytes, kb, (unsigned long long)eighth,
	       (long long)max_bytes - (long long)eighth);
	/* never 0 once loaded: it shows the limit in force */
	ASSERT_LT(0U, max_bytes);
	/* within 2% */
	ASSERT_TRUE(kds_max_bytes_is_default(max_bytes, 2));
}

TEST_HARNESS_MAIN
