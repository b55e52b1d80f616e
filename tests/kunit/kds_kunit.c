// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the kds backends: every test drives one backend's ops
 * table directly, on a store of its own with no device behind it, and runs
 * once per backend (list, hash, rbtree, xarray, maple).
 *
 * A walk is read back in the core's record format (struct kds_rec), as
 * KDS_IOC_RANGE delivers it.  A buffer of KDS_TEST_ONE bytes holds exactly
 * one record of a value of 1..8 bytes, so a walk through it takes one
 * entry per call and the cursor can be checked after each.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "compat.h"
#include "kds.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Room for one record of a 1..8 byte value, never for two. */
#define KDS_TEST_ONE		(KDS_REC_SIZE(8) + KDS_REC_SIZE(8) - 1)
#define KDS_TEST_MAX_SEEN	2048
#define KDS_TEST_BUF		(KDS_TEST_MAX_SEEN * KDS_REC_SIZE(8))

/**
 * struct kds_seen - one entry a walk delivered
 * @key: its key
 * @len: its value's length
 * @val: the first bytes of its value, NUL-terminated
 * @pos: the walk's cursor after it (only for one-entry steps)
 * @pos2: second word of that cursor
 */
struct kds_seen {
	u64 key;
	u32 len;
	char val[9];
	u64 pos;
	u64 pos2;
};

/**
 * struct kds_test - the state of one test
 * @ops: the backend under test
 * @s: its store
 * @buf: the walk buffer, KDS_TEST_BUF bytes
 * @seen: what the last walk delivered
 * @n: entries in @seen
 */
struct kds_test {
	const struct kds_ops *ops;
	struct kds_store *s;
	void *buf;
	struct kds_seen *seen;
	unsigned int n;
};

static const struct kds_ops *const kds_test_backends[] = {
	&kds_list_ops, &kds_hash_ops, &kds_rb_ops, &kds_xa_ops, &kds_mt_ops,
};

static void kds_test_backend_desc(const struct kds_ops *const *ops, char *desc)
{
	strscpy(desc, (*ops)->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kds_backend, kds_test_backends, kds_test_backend_desc);

static bool kds_test_ordered(const struct kds_test *t)
{
	return t->ops->features & KDS_FEAT_RANGE;
}

static bool kds_test_is(const struct kds_test *t, const char *name)
{
	return !strcmp(t->ops->name, name);
}

/* The i-th test key: distinct for distinct i, spread over all 64 bits. */
static u64 kds_test_key(unsigned int i)
{
	return (u64)i * 0x9e3779b97f4a7c15ULL;
}

/* A small deterministic generator (splitmix64) for the churn tests. */
static u64 kds_test_rand(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ops->get into a kernel buffer of @cap bytes, as the debugfs loop does. */
static long kds_test_get(struct kds_test *t, u64 key, void *buf, u32 cap)
{
	struct kds_out out = { .kbuf = buf, .kcap = cap };

	return kds_test_get(t, key, &out);
}

static int kds_test_put(struct kds_test *t, u64 key, const char *val)
{
	return t->ops->put(t->s, key, val, strlen(val), 0);
}

/* Put @key with the 8-byte value derived from it and @gen. */
static int kds_test_put_gen(struct kds_test *t, u64 key, unsigned int gen)
{
	char val[9];

	snprintf(val, sizeof(val), "%02x%06llx", gen & 0xff, key & 0xffffff);
	return kds_test_put(t, key, val);
}

/* Is @key's value exactly @want?  -ENOENT when absent. */
static int kds_test_holds(struct kds_test *t, u64 key, const char *want)
{
	char buf[64] = {};
	long len;

	len = kds_test_get(t, key, buf, sizeof(buf) - 1);
	if (len < 0)
		return len;
	return len == strlen(want) && !strcmp(buf, want) ? 0 : 1;
}

static long kds_test_entries(struct kds_test *t)
{
	return atomic_long_read(&t->s->nr_entries);
}

/*
 * The store's bytes: memory as the kernel allocated it (entries, values,
 * nodes), not the values' lengths.  The cases hold it to what follows
 * from that: 0 when empty, at least the values, unchanged by a replace of
 * the same length, given back by a delete.
 */
static long kds_test_bytes(struct kds_test *t)
{
	return atomic_long_read(&t->s->nr_bytes);
}

/* Do a put and its delete give back exactly the bytes the put took? */
static bool kds_test_exact_undo(const struct kds_test *t)
{
	return kds_test_is(t, "list") || kds_test_is(t, "hash") ||
	       kds_test_is(t, "rbtree");
}

static void kds_test_clear(struct kunit *test, struct kds_test *t)
{
	KUNIT_EXPECT_EQ(test, t->ops->clear(t->s), 0);
}

/**
 * struct kds_test_walk - a walk as a frontend runs it, into the test
 * @it: the walk
 * @test: the test
 * @t: its state: the entries taken are appended to t->seen
 * @cap: bytes the frontend has room for in this call (records of
 *	KDS_REC_SIZE() bytes, as KDS_IOC_RANGE takes them)
 * @len: bytes taken in this call
 * @need: when the first entry of a call did not fit: the bytes it needs
 */
struct kds_test_walk {
	struct kds_iter it;
	struct kunit *test;
	struct kds_test *t;
	size_t cap;
	size_t len;
	size_t need;
};

#define KDS_TEST_WALK(lo, hi)						\
	{ .it = { .pos = (lo), .hi = (hi), .emit = kds_test_emit } }

/* kds_iter.emit of the tests: note the entry in t->seen, if it fits. */
static bool kds_test_emit(struct kds_iter *it, u64 key, const void *val,
			  u32 len)
{
	struct kds_test_walk *w = container_of(it, struct kds_test_walk, it);
	size_t need = KDS_REC_SIZE(len);
	struct kds_test *t = w->t;
	struct kds_seen *e;

	if (need > w->cap - w->len) {
		if (!w->len)
			w->need = need;
		return false;
	}
	/* in the backend's read-side section: no assertion may end the test */
	if (t->n >= KDS_TEST_MAX_SEEN) {
		KUNIT_FAIL(w->test, "more than %d entries seen", KDS_TEST_MAX_SEEN);
		return false;
	}
	e = &t->seen[t->n++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->len = len;
	memcpy(e->val, val, min_t(u32, len, 8));
	w->len += need;
	return true;
}

/*
 * One call of a walk with room for @cap bytes, as the core makes it:
 * ops->iter again while a call spends its KDS_ITER_BUDGET on nothing
 * (empty buckets).  Returns how many entries it took.
 */
static unsigned int kds_test_iter(struct kunit *test, struct kds_test *t,
				  struct kds_test_walk *w, size_t cap)
{
	struct kds_iter *it = &w->it;
	unsigned int calls = 0;

	w->test = test;
	w->t = t;
	w->cap = cap;
	do {
		KUNIT_ASSERT_LT(test, calls++, 1U << 16);
		w->len = 0;
		w->need = 0;
		it->count = 0;
		it->stopped = false;
		it->steps = 0;
		t->ops->iter(t->s, it);
		cond_resched();
	} while (!it->count && !it->stopped && !it->done);

	if (it->count == 1) {
		t->seen[t->n - 1].pos = it->pos;
		t->seen[t->n - 1].pos2 = it->pos2;
	}
	return it->count;
}

/* Walk keys @lo..@hi in calls of @cap bytes; the result is in t->seen. */
static void kds_test_walk(struct kunit *test, struct kds_test *t, u64 lo,
			  u64 hi, size_t cap)
{
	struct kds_test_walk w = KDS_TEST_WALK(lo, hi);
	unsigned int calls = 0;

	t->n = 0;
	while (!w.it.done) {
		kds_test_iter(test, t, &w, cap);
		KUNIT_ASSERT_LT(test, ++calls, KDS_TEST_MAX_SEEN + 2);
	}
}

static void kds_test_dump(struct kunit *test, struct kds_test *t)
{
	kds_test_walk(test, t, 0, U64_MAX, KDS_TEST_BUF);
}

static int kds_test_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Did the last walk deliver exactly the keys kds_test_key(i) for the i
 * below @n with (i % @step == @rest), each once?  Sorting both sides keeps
 * it O(n log n) for large stores.
 */
static void kds_test_expect_keys(struct kunit *test, struct kds_test *t,
				 unsigned int n, unsigned int step,
				 unsigned int rest)
{
	u64 *want, *got;
	unsigned int i, m = 0;

	want = kunit_kcalloc(test, n, sizeof(*want), GFP_KERNEL);
	got = kunit_kcalloc(test, t->n + 1, sizeof(*got), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	KUNIT_ASSERT_NOT_NULL(test, got);
	for (i = 0; i < n; i++)
		if (i % step == rest)
			want[m++] = kds_test_key(i);
	for (i = 0; i < t->n; i++)
		got[i] = t->seen[i].key;
	KUNIT_ASSERT_EQ(test, t->n, m);
	sort(want, m, sizeof(*want), kds_test_cmp_u64, NULL);
	sort(got, m, sizeof(*got), kds_test_cmp_u64, NULL);
	KUNIT_EXPECT_MEMEQ(test, got, want, m * sizeof(*want));
}

static unsigned int kds_test_seen_count(const struct kds_test *t, u64 key)
{
	unsigned int i, c = 0;

	for (i = 0; i < t->n; i++)
		c += t->seen[i].key == key;
	return c;
}

static int kds_test_init(struct kunit *test)
{
	const struct kds_ops *const *ops = test->param_value;
	struct kds_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->ops = *ops;
	t->buf = kunit_kzalloc(test, KDS_TEST_BUF, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->buf);
	t->seen = kunit_kcalloc(test, KDS_TEST_MAX_SEEN, sizeof(*t->seen),
				GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->seen);
	t->s = kunit_kzalloc(test, sizeof(*t->s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->s);
	t->s->ops = t->ops;
	atomic_long_set(&t->s->nr_entries, 0);
	atomic_long_set(&t->s->nr_bytes, 0);
	KUNIT_ASSERT_EQ(test, t->ops->init(t->s), 0);
	test->priv = t;
	return 0;
}

/* Destroy forgets every entry that is left. */
static void kds_test_exit(struct kunit *test)
{
	struct kds_test *t = test->priv;

	if (!t)
		return;
	t->ops->destroy(t->s);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 0);
	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), 0);
}

/* ---- put, get, del ---------------------------------------------------- */

static void kds_test_put_then_get_returns_the_value(struct kunit *test)
{
	struct kds_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, kds_test_put(t, 42, "answer"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, 42, "answer"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 1);
	KUNIT_EXPECT_GE(test, kds_test_bytes(t), 6 + 8);
}

static void kds_test_get_of_a_missing_key_is_enoent(struct kunit *test)
{
	struct kds_test *t = test->priv;
	char buf[8];

	KUNIT_EXPECT_EQ(test, kds_test_get(t, 1, buf, sizeof(buf)), -ENOENT);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 2, "two"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_get(t, 1, buf, sizeof(buf)), -ENOENT);
	KUNIT_EXPECT_EQ(test, kds_test_get(t, 3, buf, sizeof(buf)), -ENOENT);
}

static void kds_test_get_copies_a_value_only_if_it_fits(struct kunit *test)
{
	struct kds_test *t = test->priv;
	char buf[12];

	memset(buf, '#', sizeof(buf));
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 7, "abcdefghij"), 0);
	/* too long for the buffer: its length, and nothing copied */
	KUNIT_EXPECT_EQ(test, kds_test_get(t, 7, buf, 4), 10);
	KUNIT_EXPECT_MEMEQ(test, buf, "############", 12);
	KUNIT_EXPECT_EQ(test, kds_test_get(t, 7, buf, 9), 10);
	KUNIT_EXPECT_MEMEQ(test, buf, "############", 12);
	/* exactly the buffer's size: copied, and not a byte past it */
	KUNIT_EXPECT_EQ(test, kds_test_get(t, 7, buf, 10), 10);
	KUNIT_EXPECT_MEMEQ(test, buf, "abcdefghij##", 12);
}

static void kds_test_empty_value_is_a_value(struct kunit *test)
{
	struct kds_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, t->ops->put(t->s, 5, "", 0, 0), 0);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, 5, ""), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 1);
	/* no value, but an entry: memory all the same */
	KUNIT_EXPECT_GT(test, kds_test_bytes(t), 0);
	kds_test_dump(test, t);
	KUNIT_ASSERT_EQ(test, t->n, 1);
	KUNIT_EXPECT_EQ(test, t->seen[0].len, 0);
}

static void kds_test_keys_0_and_u64_max_are_ordinary_keys(struct kunit *test)
{
	struct kds_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, kds_test_put(t, 0, "zero"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, U64_MAX, "max"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, 0, "zero"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, U64_MAX, "max"), 0);
	kds_test_dump(test, t);
	KUNIT_EXPECT_EQ(test, t->n, 2);
	KUNIT_EXPECT_EQ(test, kds_test_seen_count(t, 0), 1);
	KUNIT_EXPECT_EQ(test, kds_test_seen_count(t, U64_MAX), 1);
	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, 0), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 0);
}

static void kds_test_del_removes_only_its_key(struct kunit *test)
{
	struct kds_test *t = test->priv;
	long two;

	/* before: 1 -> one, 2 -> two, 3 -> three */
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 1, "one"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 3, "three"), 0);
	two = kds_test_bytes(t);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 2, "two"), 0);
	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, 2), 0);
	/* after: 1 -> one, 3 -> three */
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, 1, "one"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, 2, "two"), -ENOENT);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, 3, "three"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 2);
	if (kds_test_exact_undo(t))
		KUNIT_EXPECT_EQ(test, kds_test_bytes(t), two);
	KUNIT_EXPECT_GE(test, kds_test_bytes(t), 8 + 2 * 8);
}

static void kds_test_del_of_a_missing_key_is_enoent(struct kunit *test)
{
	struct kds_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, 9), -ENOENT);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 9, "nine"), 0);
	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, 9), 0);
	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, 9), -ENOENT);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 0);
	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), 0);
}

/* ---- replace ----------------------------------------------------------- */

static void kds_test_put_of_a_present_key_replaces_its_value(struct kunit *test)
{
	struct kds_test *t = test->priv;
	long bytes;

	KUNIT_EXPECT_EQ(test, kds_test_put(t, 10, "new"), 0);
	bytes = kds_test_bytes(t);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 10, "old value"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 10, "new"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, 10, "new"), 0);
	/* one entry, holding what the new value takes, no more */
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 1);
	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), bytes);
	kds_test_dump(test, t);
	KUNIT_ASSERT_EQ(test, t->n, 1);
	KUNIT_EXPECT_STREQ(test, t->seen[0].val, "new");
}

static void kds_test_noreplace_of_a_present_key_is_eexist(struct kunit *test)
{
	struct kds_test *t = test->priv;
	long bytes;

	KUNIT_EXPECT_EQ(test, kds_test_put(t, 11, "first"), 0);
	bytes = kds_test_bytes(t);
	KUNIT_EXPECT_EQ(test, t->ops->put(t->s, 11, "second", 6,
					  KDS_PUT_NOREPLACE), -EEXIST);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, 11, "first"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 1);
	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), bytes);
	KUNIT_EXPECT_EQ(test, t->ops->put(t->s, 12, "new", 3,
					  KDS_PUT_NOREPLACE), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 2);
}

static void kds_test_replace_keeps_the_keys_place_in_the_walk(struct kunit *test)
{
	struct kds_test *t = test->priv;
	u64 before[8];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(before); i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, kds_test_key(i + 1), 0), 0);
	kds_test_dump(test, t);
	KUNIT_ASSERT_EQ(test, t->n, ARRAY_SIZE(before));
	for (i = 0; i < ARRAY_SIZE(before); i++)
		before[i] = t->seen[i].key;

	/* replace the first, a middle and the last entry of the walk */
	KUNIT_EXPECT_EQ(test, kds_test_put_gen(t, before[0], 1), 0);
	KUNIT_EXPECT_EQ(test, kds_test_put_gen(t, before[3], 1), 0);
	KUNIT_EXPECT_EQ(test, kds_test_put_gen(t, before[7], 1), 0);
	kds_test_dump(test, t);
	KUNIT_ASSERT_EQ(test, t->n, ARRAY_SIZE(before));
	for (i = 0; i < ARRAY_SIZE(before); i++)
		KUNIT_EXPECT_EQ(test, t->seen[i].key, before[i]);
	KUNIT_EXPECT_EQ(test, t->seen[3].val[1], '1');
}

/* ---- order ------------------------------------------------------------- */

static void kds_test_walk_follows_the_backends_order(struct kunit *test)
{
	struct kds_test *t = test->priv;
	const unsigned int n = 64;
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, kds_test_key(i), 0), 0);
	kds_test_walk(test, t, 0, U64_MAX, KDS_TEST_ONE);
	KUNIT_ASSERT_EQ(test, t->n, n);

	for (i = 0; i < n; i++) {
		const struct kds_seen *e = &t->seen[i], *p = e - 1;

		KUNIT_EXPECT_EQ(test, kds_test_seen_count(t, kds_test_key(i)), 1);
		if (kds_test_is(t, "list")) {
			/* insertion order */
			KUNIT_EXPECT_EQ(test, e->key, kds_test_key(i));
		} else if (kds_test_is(t, "hash") && i) {
			/* buckets in order, keys ascending within a bucket */
			u64 b = e->key == U64_MAX ? e->pos - 1 : e->pos;
			u64 pb = p->key == U64_MAX ? p->pos - 1 : p->pos;

			KUNIT_EXPECT_TRUE(test, pb < b || (pb == b && p->key < e->key));
		} else if (kds_test_ordered(t) && i) {
			KUNIT_EXPECT_LT(test, p->key, e->key);
		}
	}
}

static void kds_test_walk_of_an_empty_store_is_done_at_once(struct kunit *test)
{
	struct kds_test *t = test->priv;
	struct kds_test_walk w = KDS_TEST_WALK(0, U64_MAX);

	t->n = 0;
	KUNIT_EXPECT_EQ(test, kds_test_iter(test, t, &w, KDS_TEST_BUF), 0);
	KUNIT_EXPECT_TRUE(test, w.it.done);
	KUNIT_EXPECT_EQ(test, w.len, 0);
}

static void kds_test_walk_of_a_single_entry(struct kunit *test)
{
	struct kds_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, kds_test_put(t, 77, "only"), 0);
	kds_test_walk(test, t, 0, U64_MAX, KDS_TEST_ONE);
	KUNIT_ASSERT_EQ(test, t->n, 1);
	KUNIT_EXPECT_EQ(test, t->seen[0].key, 77);
	KUNIT_EXPECT_STREQ(test, t->seen[0].val, "only");
}

static void kds_test_entry_that_does_not_fit_is_offered_again(struct kunit *test)
{
	struct kds_test *t = test->priv;
	struct kds_test_walk w = KDS_TEST_WALK(0, U64_MAX);

	KUNIT_EXPECT_EQ(test, kds_test_put(t, 3, "12345678"), 0);
	t->n = 0;
	/* too small: nothing taken, the size it needs is noted */
	KUNIT_EXPECT_EQ(test, kds_test_iter(test, t, &w, KDS_REC_SIZE(8) - 1), 0);
	KUNIT_EXPECT_FALSE(test, w.it.done);
	KUNIT_EXPECT_EQ(test, w.need, KDS_REC_SIZE(8));
	/* the same entry comes with room for it */
	KUNIT_EXPECT_EQ(test, kds_test_iter(test, t, &w, KDS_REC_SIZE(8)), 1);
	KUNIT_ASSERT_EQ(test, t->n, 1);
	KUNIT_EXPECT_EQ(test, t->seen[0].key, 3);
	if (!w.it.done)
		kds_test_iter(test, t, &w, KDS_TEST_BUF);
	KUNIT_EXPECT_TRUE(test, w.it.done);
	KUNIT_EXPECT_EQ(test, t->n, 1);
}

/* ---- ranges (ordered backends) ----------------------------------------- */

static void kds_test_skip_unordered(struct kunit *test)
{
	struct kds_test *t = test->priv;

	if (!kds_test_ordered(t))
		kunit_skip(test, "%s keeps no key order: no ranges", t->ops->name);
}

static void kds_test_range_of_an_empty_store_is_empty(struct kunit *test)
{
	struct kds_test *t = test->priv;

	kds_test_skip_unordered(test);
	kds_test_walk(test, t, 0, U64_MAX, KDS_TEST_BUF);
	KUNIT_EXPECT_EQ(test, t->n, 0);
	kds_test_walk(test, t, 5, 5, KDS_TEST_BUF);
	KUNIT_EXPECT_EQ(test, t->n, 0);
}

static void kds_test_range_bounds_are_inclusive(struct kunit *test)
{
	struct kds_test *t = test->priv;
	unsigned int i;

	kds_test_skip_unordered(test);
	/* keys 10, 20, ..., 100 */
	for (i = 1; i <= 10; i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, i * 10, 0), 0);
	kds_test_walk(test, t, 20, 50, KDS_TEST_ONE);
	KUNIT_ASSERT_EQ(test, t->n, 4);
	KUNIT_EXPECT_EQ(test, t->seen[0].key, 20);
	KUNIT_EXPECT_EQ(test, t->seen[3].key, 50);
	kds_test_walk(test, t, 21, 49, KDS_TEST_BUF);
	KUNIT_ASSERT_EQ(test, t->n, 2);
	KUNIT_EXPECT_EQ(test, t->seen[0].key, 30);
	KUNIT_EXPECT_EQ(test, t->seen[1].key, 40);
}

static void kds_test_range_of_one_key_returns_that_entry(struct kunit *test)
{
	struct kds_test *t = test->priv;

	kds_test_skip_unordered(test);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, 99, "a"), 0);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, 100, "b"), 0);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, 101, "c"), 0);
	kds_test_walk(test, t, 100, 100, KDS_TEST_BUF);
	KUNIT_ASSERT_EQ(test, t->n, 1);
	KUNIT_EXPECT_EQ(test, t->seen[0].key, 100);
	KUNIT_EXPECT_STREQ(test, t->seen[0].val, "b");
}

static void kds_test_range_between_keys_is_empty(struct kunit *test)
{
	struct kds_test *t = test->priv;

	kds_test_skip_unordered(test);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, 10, "a"), 0);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, 20, "b"), 0);
	kds_test_walk(test, t, 11, 19, KDS_TEST_BUF);
	KUNIT_EXPECT_EQ(test, t->n, 0);
	kds_test_walk(test, t, 21, U64_MAX, KDS_TEST_BUF);
	KUNIT_EXPECT_EQ(test, t->n, 0);
	kds_test_walk(test, t, 0, 9, KDS_TEST_BUF);
	KUNIT_EXPECT_EQ(test, t->n, 0);
}

static void kds_test_range_at_0_and_u64_max_does_not_wrap(struct kunit *test)
{
	struct kds_test *t = test->priv;

	kds_test_skip_unordered(test);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, 0, "lo"), 0);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, 1, "one"), 0);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, U64_MAX - 1, "pen"), 0);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, U64_MAX, "hi"), 0);

	kds_test_walk(test, t, 0, 0, KDS_TEST_ONE);
	KUNIT_ASSERT_EQ(test, t->n, 1);
	KUNIT_EXPECT_EQ(test, t->seen[0].key, 0);

	kds_test_walk(test, t, U64_MAX, U64_MAX, KDS_TEST_ONE);
	KUNIT_ASSERT_EQ(test, t->n, 1);
	KUNIT_EXPECT_EQ(test, t->seen[0].key, U64_MAX);

	/* one entry per call up to the last key: the walk ends there */
	kds_test_walk(test, t, U64_MAX - 1, U64_MAX, KDS_TEST_ONE);
	KUNIT_ASSERT_EQ(test, t->n, 2);
	KUNIT_EXPECT_EQ(test, t->seen[0].key, U64_MAX - 1);
	KUNIT_EXPECT_EQ(test, t->seen[1].key, U64_MAX);

	kds_test_walk(test, t, 0, U64_MAX, KDS_TEST_ONE);
	KUNIT_EXPECT_EQ(test, t->n, 4);
}

/* ---- walks while the store changes -------------------------------------- */

static void kds_test_deleting_the_entry_just_visited_keeps_the_walk(struct kunit *test)
{
	struct kds_test *t = test->priv;
	struct kds_test_walk w = KDS_TEST_WALK(0, U64_MAX);
	const unsigned int n = 16;
	unsigned int i, calls = 0;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, kds_test_key(i + 1), 0), 0);
	t->n = 0;
	while (!w.it.done && calls++ < 2 * n) {
		if (kds_test_iter(test, t, &w, KDS_TEST_ONE))
			KUNIT_EXPECT_EQ(test, t->ops->del(t->s, t->seen[t->n - 1].key), 0);
	}
	KUNIT_EXPECT_TRUE(test, w.it.done);
	KUNIT_EXPECT_EQ(test, t->n, n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, kds_test_seen_count(t, kds_test_key(i + 1)), 1);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 0);
}

static void kds_test_entries_deleted_ahead_of_the_walk_are_not_visited(struct kunit *test)
{
	struct kds_test *t = test->priv;
	struct kds_test_walk w = KDS_TEST_WALK(0, U64_MAX);
	const unsigned int n = 16;
	unsigned int i;
	u64 order[16];

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, kds_test_key(i + 1), 0), 0);
	kds_test_dump(test, t);
	KUNIT_ASSERT_EQ(test, t->n, n);
	for (i = 0; i < n; i++)
		order[i] = t->seen[i].key;

	/* take the first entry, then delete every other one still ahead */
	t->n = 0;
	KUNIT_ASSERT_EQ(test, kds_test_iter(test, t, &w, KDS_TEST_ONE), 1);
	for (i = 2; i < n; i += 2)
		KUNIT_EXPECT_EQ(test, t->ops->del(t->s, order[i]), 0);
	while (!w.it.done)
		kds_test_iter(test, t, &w, KDS_TEST_ONE);
	KUNIT_ASSERT_EQ(test, t->n, n / 2 + 1);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, kds_test_seen_count(t, order[i]),
				i >= 2 && !(i % 2) ? 0 : 1);
}

/*
 * Stable entries stay for the whole walk; churn entries come and go and
 * stable ones are replaced after every step.  Each stable entry is visited
 * exactly once; a churn key at most once, except on the list, where a key
 * put again after its delete is a new entry at the tail.
 */
static void kds_test_stable_entries_are_visited_once_during_churn(struct kunit *test)
{
	struct kds_test *t = test->priv;
	struct kds_test_walk w = KDS_TEST_WALK(0, U64_MAX);
	const unsigned int stable = 48, churn = 48;
	unsigned int i, calls = 0;
	u64 rng = 5;

	for (i = 0; i < stable + churn; i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, kds_test_key(i), 0), 0);
	t->n = 0;
	while (!w.it.done) {
		u64 r = kds_test_rand(&rng);
		u64 ck = kds_test_key(stable + r % churn);
		u64 sk = kds_test_key((r >> 16) % stable);

		kds_test_iter(test, t, &w, KDS_TEST_ONE);
		KUNIT_ASSERT_LT(test, ++calls, 4 * (stable + churn));
		if ((r >> 32) & 1)
			t->ops->del(t->s, ck);
		else
			KUNIT_EXPECT_EQ(test, kds_test_put_gen(t, ck, calls), 0);
		KUNIT_EXPECT_EQ(test, kds_test_put_gen(t, sk, calls), 0);
	}
	for (i = 0; i < stable; i++)
		KUNIT_EXPECT_EQ(test, kds_test_seen_count(t, kds_test_key(i)), 1);
	if (kds_test_is(t, "list"))
		return;
	for (i = stable; i < stable + churn; i++)
		KUNIT_EXPECT_LE(test, kds_test_seen_count(t, kds_test_key(i)), 1);
}

static void kds_test_walk_resumes_after_a_replace_of_the_next_entry(struct kunit *test)
{
	struct kds_test *t = test->priv;
	struct kds_test_walk w = KDS_TEST_WALK(0, U64_MAX);
	u64 order[3];
	unsigned int i;

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, kds_test_key(i + 1), 0), 0);
	kds_test_dump(test, t);
	for (i = 0; i < 3; i++)
		order[i] = t->seen[i].key;
	t->n = 0;
	KUNIT_ASSERT_EQ(test, kds_test_iter(test, t, &w, KDS_TEST_ONE), 1);
	KUNIT_EXPECT_EQ(test, kds_test_put_gen(t, order[1], 9), 0);
	while (!w.it.done)
		kds_test_iter(test, t, &w, KDS_TEST_ONE);
	KUNIT_ASSERT_EQ(test, t->n, 3);
	KUNIT_EXPECT_EQ(test, t->seen[1].key, order[1]);
	KUNIT_EXPECT_EQ(test, t->seen[1].val[1], '9');
}

/* ---- accounting and clear ---------------------------------------------- */

static void kds_test_counts_follow_puts_replaces_and_dels(struct kunit *test)
{
	struct kds_test *t = test->priv;
	long one, both;

	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), 0);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 1, "aaaa"), 0);
	one = kds_test_bytes(t);
	KUNIT_EXPECT_GE(test, one, 4);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 2, "bb"), 0);
	both = kds_test_bytes(t);
	KUNIT_EXPECT_GE(test, both, one + 2);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 2);
	/* a replace of the same length: the same bytes */
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 1, "zzzz"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), both);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 1, "a"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 2);
	KUNIT_EXPECT_LE(test, kds_test_bytes(t), both);
	both = kds_test_bytes(t);
	KUNIT_EXPECT_EQ(test, t->ops->put(t->s, 2, "zzzzzz", 6,
					  KDS_PUT_NOREPLACE), -EEXIST);
	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), both);
	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, 2), 0);
	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, 2), -ENOENT);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 1);
	KUNIT_EXPECT_LT(test, kds_test_bytes(t), both);
	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, 1), 0);
	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), 0);
}

/*
 * A value that would round its entry up to the next size class lives in
 * an allocation of its own: a 1-KiB value costs 1 KiB and a small header,
 * not 2 KiB (and on xarray and maple a node's share at most).
 */
static void kds_test_large_values_take_about_their_size(struct kunit *test)
{
	struct kds_test *t = test->priv;
	static const u32 lens[] = { 1024, 2048, 4096 };
	long before, grew, nodes;
	unsigned int i;
	char *val;

	nodes = kds_test_exact_undo(t) ? 0 : 1024;
	val = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, val);
	memset(val, 'v', 4096);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		before = kds_test_bytes(t);
		KUNIT_ASSERT_EQ(test, t->ops->put(t->s, i + 1, val, lens[i], 0), 0);
		grew = kds_test_bytes(t) - before;
		KUNIT_EXPECT_GE(test, grew, lens[i] + 8);
		KUNIT_EXPECT_LE(test, grew, lens[i] + 128 + nodes);
	}
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		KUNIT_EXPECT_EQ(test, t->ops->del(t->s, i + 1), 0);
	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), 0);
}

static void kds_test_thousand_keys_come_back_exactly(struct kunit *test)
{
	struct kds_test *t = test->priv;
	const unsigned int n = 1000;
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, kds_test_key(i), 0), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), n);
	KUNIT_EXPECT_GE(test, kds_test_bytes(t), (8 + 8) * n);
	kds_test_dump(test, t);
	kds_test_expect_keys(test, t, n, 1, 0);

	/* after: the odd ones */
	for (i = 0; i < n; i += 2)
		KUNIT_ASSERT_EQ(test, t->ops->del(t->s, kds_test_key(i)), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), n / 2);
	kds_test_dump(test, t);
	kds_test_expect_keys(test, t, n, 2, 1);
}

static void kds_test_clear_forgets_every_entry(struct kunit *test)
{
	struct kds_test *t = test->priv;
	unsigned int i;

	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, kds_test_key(i), 0), 0);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, 0, "zero"), 0);
	KUNIT_ASSERT_EQ(test, kds_test_put(t, U64_MAX, "max"), 0);
	kds_test_clear(test, t);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 0);
	KUNIT_EXPECT_EQ(test, kds_test_bytes(t), 0);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, kds_test_key(7), ""), -ENOENT);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, U64_MAX, "max"), -ENOENT);
	kds_test_dump(test, t);
	KUNIT_EXPECT_EQ(test, t->n, 0);
}

static void kds_test_store_works_again_after_clear(struct kunit *test)
{
	struct kds_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, kds_test_put(t, 1, "before"), 0);
	kds_test_clear(test, t);
	kds_test_clear(test, t);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 1, "after"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_put(t, 2, "two"), 0);
	KUNIT_EXPECT_EQ(test, kds_test_holds(t, 1, "after"), 0);
	KUNIT_EXPECT_EQ(test, t->ops->del(t->s, 2), 0);
	KUNIT_EXPECT_EQ(test, kds_test_entries(t), 1);
	kds_test_dump(test, t);
	KUNIT_ASSERT_EQ(test, t->n, 1);
	KUNIT_EXPECT_STREQ(test, t->seen[0].val, "after");
}

static void kds_test_shape_follows_the_contents(struct kunit *test)
{
	struct kds_test *t = test->priv;
	struct kds_shape empty = {}, full = {};
	unsigned int i;

	t->ops->shape(t->s, &empty);
	KUNIT_EXPECT_EQ(test, empty.length, 0);
	KUNIT_EXPECT_EQ(test, empty.longest_chain, 0);
	KUNIT_EXPECT_EQ(test, empty.buckets_used, 0);
	KUNIT_EXPECT_EQ(test, empty.height, 0);

	for (i = 0; i < 200; i++)
		KUNIT_ASSERT_EQ(test, kds_test_put_gen(t, kds_test_key(i), 0), 0);
	t->ops->shape(t->s, &full);
	switch (t->ops->shape_kind) {
	case KDS_SHAPE_LENGTH:
		KUNIT_EXPECT_EQ(test, full.length, 200);
		break;
	case KDS_SHAPE_CHAIN:
		KUNIT_EXPECT_GE(test, full.longest_chain, 1);
		KUNIT_EXPECT_GE(test, full.buckets_used, 1);
		KUNIT_EXPECT_LE(test, full.buckets_used, 200);
		KUNIT_EXPECT_GE(test, full.buckets, full.buckets_used);
		KUNIT_EXPECT_EQ(test, empty.buckets, full.buckets);
		break;
	case KDS_SHAPE_HEIGHT:
		/* 200 keys need more than one level, and never 200 */
		KUNIT_EXPECT_GE(test, full.height, 2);
		KUNIT_EXPECT_LE(test, full.height, 20);
		break;
	default:
		KUNIT_FAIL(test, "unknown shape kind %u", t->ops->shape_kind);
	}
}

/* Seconds under KASAN and TCG: KUnit asks that such cases say so. */
#define KDS_TEST_SLOW	{ .speed = KUNIT_SPEED_SLOW }

static struct kunit_case kds_backend_cases[] = {
	KUNIT_CASE_PARAM(kds_test_put_then_get_returns_the_value, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_get_of_a_missing_key_is_enoent, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_get_copies_a_value_only_if_it_fits,
			 kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_empty_value_is_a_value, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_keys_0_and_u64_max_are_ordinary_keys, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_del_removes_only_its_key, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_del_of_a_missing_key_is_enoent, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_put_of_a_present_key_replaces_its_value,
			 kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_noreplace_of_a_present_key_is_eexist, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_replace_keeps_the_keys_place_in_the_walk,
			 kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_walk_follows_the_backends_order, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_walk_of_an_empty_store_is_done_at_once,
			 kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_walk_of_a_single_entry, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_entry_that_does_not_fit_is_offered_again,
			 kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_range_of_an_empty_store_is_empty, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_range_bounds_are_inclusive, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_range_of_one_key_returns_that_entry, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_range_between_keys_is_empty, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_range_at_0_and_u64_max_does_not_wrap, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_deleting_the_entry_just_visited_keeps_the_walk,
			 kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_entries_deleted_ahead_of_the_walk_are_not_visited,
			 kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_stable_entries_are_visited_once_during_churn,
			 kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_walk_resumes_after_a_replace_of_the_next_entry,
			 kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_counts_follow_puts_replaces_and_dels, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_large_values_take_about_their_size, kds_backend_gen_params),
	KUNIT_CASE_PARAM_ATTR(kds_test_thousand_keys_come_back_exactly, kds_backend_gen_params,
			      KDS_TEST_SLOW),
	KUNIT_CASE_PARAM(kds_test_clear_forgets_every_entry, kds_backend_gen_params),
	KUNIT_CASE_PARAM(kds_test_store_works_again_after_clear, kds_backend_gen_params),
	KUNIT_CASE_PARAM_ATTR(kds_test_shape_follows_the_contents, kds_backend_gen_params,
			      KDS_TEST_SLOW),
	{}
};

static struct kunit_suite kds_backend_suite = {
	.name = "kds_backend",
	.init = kds_test_init,
	.exit = kds_test_exit,
	.test_cases = kds_backend_cases,
};

kunit_test_suite(kds_backend_suite);

MODULE_DESCRIPTION("KUnit tests of the kds backends' data structures");
MODULE_LICENSE("GPL");
