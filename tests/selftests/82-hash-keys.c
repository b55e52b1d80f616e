// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the hash backend against keys chosen to collide.  Under hash_64()
 * on a 64-bit kernel, bucket(k) = (k * GOLDEN_RATIO_64) >> (64 - bits), so
 * the keys k_i = i * c, with c the inverse of GOLDEN_RATIO_64 mod 2^64,
 * all land in bucket 0.  With the default hashfn (hsiphash under a random
 * key per store) they must spread as random keys do, and a dump of them
 * must cost O(entries + buckets) steps (debugfs walk_steps).
 *
 * The tests reload kds_hash with other parameters (hashfn=hash_64,
 * bits=24); the program restores the five backends with default
 * parameters when it exits.  Counts and stats only, no timing.
 */
#include "kds_test.h"

#define KEYS_TIMEOUT	600
#define NKEYS		40000
#define GOLDEN_RATIO_64	0x61C8864680B583EBULL
/* longest chain of the chosen keys over that of random keys, at most */
#define CHAIN_SLACK	5
#define WALK_STEPS	"/sys/kernel/debug/kds/hash/walk_steps"
#define DUMP_CAP	(4U << 20)

KDS_RESTORE_DEFAULTS_AT_EXIT();

/* The inverse of odd @a mod 2^64 (Newton: each step doubles the bits). */
static __u64 inverse64(__u64 a)
{
	__u64 x = a;	/* right to 3 bits: a * a = 1 mod 8 */
	int i;

	for (i = 0; i < 5; i++)
		x *= 2 - a * x;
	return x;
}

/* The splitmix64 step, for random keys that every run repeats. */
static __u64 splitmix64(__u64 *state)
{
	__u64 x = (*state += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64_desc(const void *a, const void *b)
{
	return cmp_u64(b, a);
}

/*
 * Make sure kds_hash runs with hashfn @fn and bits @bits (NULL: the
 * module's default, loaded with no parameter): if it does not, reload it.
 * 0 or -errno.  The caller holds no fd of the device.
 */
static int hash_loaded_with(const char *fn, const char *bits)
{
	const char *want_fn = fn ? fn : "hsiphash";
	const char *want_bits = bits ? bits : "16";
	char cur_fn[64], cur_bits[64], a1[64], a2[64];
	struct kds_run r;

	if (kds_module_loaded("kds_hash") &&
	    !kds_param("kds_hash", "hashfn", cur_fn, sizeof(cur_fn)) &&
	    !kds_param("kds_hash", "bits", cur_bits, sizeof(cur_bits)) &&
	    !strcmp(cur_fn, want_fn) && !strcmp(cur_bits, want_bits))
		return 0;
	if (kds_rmmod_if_loaded("kds_hash"))
		return -EBUSY;
	snprintf(a1, sizeof(a1), "hashfn=%s", want_fn);
	snprintf(a2, sizeof(a2), "bits=%s", want_bits);
	if (!fn && !bits)
		kds_run(&r, KDS_MODPROBE, "kds_hash");
	else
		kds_run(&r, KDS_MODPROBE, "kds_hash", a1, a2);
	if (kds_param("kds_hash", "hashfn", cur_fn, sizeof(cur_fn)) ||
	    kds_param("kds_hash", "bits", cur_bits, sizeof(cur_bits)) ||
	    strcmp(cur_fn, want_fn) || strcmp(cur_bits, want_bits))
		return -EIO;
	return 0;
}

/* Put each of @keys[0..@n) with the value "v": 0 or the first error. */
static int put_all(int fd, const __u64 *keys, size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = kds_put_str(fd, keys[i], "v");
		if (ret)
			return ret;
	}
	return 0;
}

/* debugfs walk_steps of the hash store: 0, or -errno if it is absent. */
static int walk_steps(__u64 *v)
{
	return kds_read_u64_file(WALK_STEPS, v);
}

FIXTURE(keys) {
	int fd;
	__u64 *chosen;	/* k_i = i * inverse(GOLDEN_RATIO_64), i = 1..NKEYS */
	__u64 *random;
	char *dump;
	struct kds_line *lines;
};

FIXTURE_SETUP(keys)
{
	__u64 inv = inverse64(GOLDEN_RATIO_64), state = 82;
	size_t i;

	self->fd = -1;
	ASSERT_EQ(1U, (__u64)(GOLDEN_RATIO_64 * inv));
	self->chosen = calloc(NKEYS, sizeof(*self->chosen));
	self->random = calloc(NKEYS, sizeof(*self->random));
	self->dump = malloc(DUMP_CAP);
	self->lines = calloc(NKEYS + 1, sizeof(*self->lines));
	ASSERT_NE(NULL, self->chosen);
	ASSERT_NE(NULL, self->random);
	ASSERT_NE(NULL, self->dump);
	ASSERT_NE(NULL, self->lines);
	for (i = 0; i < NKEYS; i++) {
		self->chosen[i] = (__u64)(i + 1) * inv;
		self->random[i] = splitmix64(&state);
	}
}

FIXTURE_TEARDOWN(keys)
{
	KDS_TEARDOWN_CLOSE();
	free(self->chosen);
	free(self->random);
	free(self->dump);
	free(self->lines);
}

/* Open the (reloaded) device and empty it. */
static int open_empty(int *fd)
{
	*fd = kds_open("hash");
	if (*fd < 0)
		return *fd;
	return kds_clear(*fd);
}

/*
 * Dump the store with read() and check that it holds exactly the @n keys
 * of @keys (which it sorts), each once.  Returns the number of lines, or
 * -1 after logging what is wrong.
 */
static long dump_holds(struct __test_metadata *_metadata,
		       FIXTURE_DATA(keys) *self, __u64 *keys, size_t n)
{
	__u64 *got;
	ssize_t len;
	long lines, i;

	len = kds_dump(self->fd, self->dump, DUMP_CAP);
	if (len < 0) {
		TH_LOG("dump: %s", strerror((int)-len));
		return -1;
	}
	lines = kds_parse_dump(self->dump, (size_t)len, self->lines, n + 1,
			       NULL);
	if (lines != (long)n) {
		TH_LOG("dump of %zd bytes: %ld lines, want %zu", len, lines, n);
		return -1;
	}
	got = calloc(n, sizeof(*got));
	if (!got)
		return -1;
	for (i = 0; i < lines; i++)
		got[i] = self->lines[i].key;
	qsort(got, n, sizeof(*got), cmp_u64);
	qsort(keys, n, sizeof(*keys), cmp_u64);
	for (i = 0; i < lines; i++) {
		if (got[i] != keys[i]) {
			TH_LOG("dump key %ld: %llu, want %llu", i,
			       (unsigned long long)got[i],
			       (unsigned long long)keys[i]);
			free(got);
			return -1;
		}
	}
	free(got);
	return lines;
}

TEST_F_TIMEOUT(keys, colliding_keys_spread_like_random_keys, KEYS_TIMEOUT)
{
	__u64 rnd = 0, chosen = 0, rnd_used = 0, chosen_used = 0, v = 1;

	ASSERT_EQ(0, hash_loaded_with(NULL, NULL));
	ASSERT_EQ(0, open_empty(&self->fd));

	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets_used", &v));
	ASSERT_EQ(0U, v);
	ASSERT_EQ(0, put_all(self->fd, self->random, NKEYS));
	ASSERT_EQ(NKEYS, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "longest_chain", &rnd));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets_used", &rnd_used));
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets_used", &v));
	ASSERT_EQ(0U, v);

	ASSERT_EQ(0, put_all(self->fd, self->chosen, NKEYS));
	ASSERT_EQ(NKEYS, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "longest_chain", &chosen));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets_used", &chosen_used));
	TH_LOG("%u keys in 65536 buckets, hsiphash: random keys longest chain %llu (%llu buckets used), chosen keys %llu (%llu used)",
	       NKEYS, (unsigned long long)rnd, (unsigned long long)rnd_used,
	       (unsigned long long)chosen, (unsigned long long)chosen_used);
	ASSERT_LE(chosen, rnd + CHAIN_SLACK);
	/* about 65536 * (1 - e^(-40000/65536)) = 29925 for random keys */
	ASSERT_LE(chosen_used, rnd_used + 2000);
	ASSERT_LE(rnd_used, chosen_used + 2000);

	/* the buckets-used counter follows deletes down to an empty table */
	ASSERT_EQ(0, kds_del(self->fd, self->chosen[0]));
	ASSERT_EQ(0, kds_holds(self->fd, self->chosen[1], "v"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, self->chosen[0], "v"));
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets_used", &v));
	ASSERT_EQ(0U, v);
}

TEST_F_TIMEOUT(keys, colliding_keys_do_collide_under_hash_64, KEYS_TIMEOUT)
{
	__u64 chain = 0, used = 0, *keys;
	size_t i;

	if (sizeof(long) != 8)
		SKIP(return, "hash_64() mixes differently on a 32-bit kernel");
	ASSERT_EQ(0, hash_loaded_with("hash_64", "16"));
	ASSERT_EQ(0, open_empty(&self->fd));

	/*
	 * In descending key order each put finds its place at the head of
	 * the sorted chain: the test costs O(n) even with one chain of n.
	 */
	keys = self->chosen;
	qsort(keys, NKEYS, sizeof(*keys), cmp_u64_desc);
	ASSERT_EQ(0, put_all(self->fd, keys, NKEYS));
	ASSERT_EQ(NKEYS, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "longest_chain", &chain));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets_used", &used));
	TH_LOG("%u chosen keys, hash_64: longest chain %llu, buckets used %llu",
	       NKEYS, (unsigned long long)chain, (unsigned long long)used);
	ASSERT_EQ((__u64)NKEYS, chain);
	ASSERT_EQ(1U, used);

	/* one sorted chain: lookups, a replace and deletes keep it whole */
	for (i = 0; i < NKEYS; i += 997)
		ASSERT_EQ(0, kds_holds(self->fd, keys[i], "v"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, keys[0] + 1, "v"));
	ASSERT_EQ(0, kds_put_str(self->fd, keys[NKEYS / 2], "w"));
	ASSERT_EQ(0, kds_holds(self->fd, keys[NKEYS / 2], "w"));
	ASSERT_EQ(0, kds_del(self->fd, keys[0]));
	ASSERT_EQ(0, kds_del(self->fd, keys[NKEYS - 1]));
	ASSERT_EQ(-ENOENT, kds_del(self->fd, keys[0]));
	ASSERT_EQ(NKEYS - 2, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "longest_chain", &chain));
	ASSERT_EQ((__u64)NKEYS - 2, chain);

	ASSERT_EQ(0, kds_clear(self->fd));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, hash_loaded_with(NULL, NULL));
}

TEST_F_TIMEOUT(keys, dump_of_colliding_keys_is_linear, KEYS_TIMEOUT)
{
	__u64 before = 0, after = 0, buckets = 0, bound;
	bool steps;

	ASSERT_EQ(0, hash_loaded_with(NULL, NULL));
	ASSERT_EQ(0, open_empty(&self->fd));
	ASSERT_EQ(0, put_all(self->fd, self->chosen, NKEYS));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets", &buckets));

	steps = !walk_steps(&before);
	ASSERT_EQ(NKEYS, dump_holds(_metadata, self, self->chosen, NKEYS));
	if (!steps)
		SKIP(return, "%s is absent", WALK_STEPS);
	ASSERT_EQ(0, walk_steps(&after));
	bound = 4 * (NKEYS + buckets);
	TH_LOG("dump of %u keys in %llu buckets: %llu walk steps (bound %llu)",
	       NKEYS, (unsigned long long)buckets,
	       (unsigned long long)(after - before),
	       (unsigned long long)bound);
	ASSERT_LE(NKEYS + buckets, after - before);
	ASSERT_LE(after - before, bound);
}

TEST_F_TIMEOUT(keys, dump_of_a_nearly_empty_table_of_2_24_buckets, KEYS_TIMEOUT)
{
	__u64 keys[] = { 0, 1, 42, 1ULL << 40, self->chosen[7], KDS_U64_MAX };
	const size_t n = sizeof(keys) / sizeof(keys[0]);
	__u64 before = 0, after = 0, buckets = 0;
	bool steps;

	ASSERT_EQ(0, hash_loaded_with("hsiphash", "24"));
	ASSERT_EQ(0, open_empty(&self->fd));
	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets", &buckets));
	ASSERT_EQ(1ULL << 24, buckets);

	/* an empty table of 2^24 buckets: the dump is empty, and ends */
	steps = !walk_steps(&before);
	ASSERT_EQ(0, dump_holds(_metadata, self, keys, 0));
	ASSERT_EQ(0, put_all(self->fd, keys, n));
	ASSERT_EQ((long)n, dump_holds(_metadata, self, keys, n));
	/* read in small pieces, the same */
	ASSERT_LT(0, kds_dump_chunked(self->fd, self->dump, DUMP_CAP, 7));
	ASSERT_EQ((long)n, kds_parse_dump(self->dump, strlen(self->dump),
					  self->lines, n + 1, NULL));
	if (steps) {
		ASSERT_EQ(0, walk_steps(&after));
		TH_LOG("three dumps of at most %zu keys in %llu buckets: %llu walk steps",
		       n, (unsigned long long)buckets,
		       (unsigned long long)(after - before));
		ASSERT_LE(3 * buckets, after - before);
		ASSERT_LE(after - before, 3 * 4 * (n + buckets));
	}

	ASSERT_EQ(0, kds_clear(self->fd));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, hash_loaded_with(NULL, NULL));
}

TEST_HARNESS_MAIN
