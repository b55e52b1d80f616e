// SPDX-License-Identifier: GPL-2.0
/*
 * kds_hash - kds backend on an hlist hash table, in bucket order.
 *
 * DEFINE_HASHTABLE() fixes the number of buckets at compile time; here the
 * bucket array is sized at load time from the module parameter "bits"
 * (2^bits buckets) and allocated with kvmalloc_array(), so the helpers of
 * linux/hashtable.h and linux/rculist.h that work on any hlist_head array
 * do the work: __hash_init(), hlist_add_head_rcu(), hlist_add_behind_rcu(),
 * hlist_del_rcu(), hlist_replace_rcu(), hlist_for_each_entry_rcu().
 *
 * Anyone who may write to the device chooses the keys, so the bucket of a
 * key comes from a keyed hash by default: hsiphash (see
 * Documentation/security/siphash.rst) under a random key drawn when the
 * store is made.  Whoever does not know that key cannot choose keys that
 * share a bucket: they land as random keys do.  hashfn=hash_64 picks the
 * unkeyed multiplicative hash instead, for comparison only: keys i * c,
 * with c the inverse of GOLDEN_RATIO_64, all land in bucket 0.
 *
 * Readers (get, iter, shape) take no lock: they walk a chain under
 * rcu_read_lock() and only copy a value out (kds_value_out(), which
 * never sleeps).  A writer takes the lock of its bucket alone, from an
 * array of spinlocks hashed by bucket number
 * (alloc_bucket_spinlocks(), as rhashtable does), so writers of different
 * buckets run side by side; each frees what it unlinks with
 * kds_entry_free_rcu(), after every reader that could still see it has
 * left its read-side section.
 *
 * Each chain is kept in ascending key order.  A lookup stops at the first
 * larger key; a walk visits bucket after bucket and emits the entries of
 * a chain in one pass, in chain order: its cursor is (bucket, first key to
 * visit there), and a whole dump costs O(entries + buckets).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "compat.h"
#include "kds.h"

#define KDS_HASH_BITS_MIN	4
#define KDS_HASH_BITS_MAX	24

/* Buckets handled per lock hold or read-side section by clear and shape. */
#define KDS_HASH_CHUNK		1024U

/*
 * Writer locks per possible CPU (a power of two), at most one per bucket:
 * two writers on different buckets share a lock with a chance of about
 * 1 in (this times the CPUs).
 */
#define KDS_HASH_LOCKS_PER_CPU	64U
#define KDS_HASH_LOCKS_MAX	8192U

static unsigned int bits = 16;
module_param(bits, uint, 0444);
MODULE_PARM_DESC(bits, "log2 of the number of buckets, "
		 __stringify(KDS_HASH_BITS_MIN) ".." __stringify(KDS_HASH_BITS_MAX)
		 " (default 16)");

static char *hashfn = "hsiphash";
module_param(hashfn, charp, 0444);
MODULE_PARM_DESC(hashfn,
		 "bucket hash: hsiphash (default; keyed, a random key per store) or hash_64 (unkeyed, unsafe with untrusted writers: chosen keys can share one bucket)");

/**
 * struct kds_hash_entry - one key and its value
 * @node: link on its bucket's chain
 * @key: the key
 * @rcu: for freeing once unlinked (kds_entry_free_rcu(): right before @val)
 * @val: the value (kds_entry_new())
 */
struct kds_hash_entry {
	struct hlist_node node;
	u64 key;
	struct rcu_head rcu;
	struct kds_value val;
};

#define KDS_HASH_HEAD	offsetof(struct kds_hash_entry, val)
static_assert(offsetofend(struct kds_hash_entry, rcu) == KDS_HASH_HEAD);

/**
 * struct kds_hash - the hash table of one store
 * @locks: see below
 * @lock_mask: the number of @locks less one (a power of two less one)
 * @buckets: see below
 * @buckets_used: buckets whose chain is not empty; changed by a writer
 *	under its bucket's lock, read with no lock
 * @bits: log2 of the number of buckets, fixed at load
 * @keyed: bucket hash is hsiphash under @key rather than hash_64()
 * @key: the random hsiphash key of this store, drawn at init
 */
struct kds_hash {
	/*
	 * @locks serialise the writers of a bucket: put, del and clear
	 * change bucket b's chain only while holding kds_hash_lock(h, b),
	 * @locks[b & @lock_mask].  One writer holds one of them at a time.
	 * Taken in process context, never from an interrupt; holders do
	 * not sleep (allocation happens before, and freeing is deferred
	 * past a grace period).  Readers never take them.  Order (kds.h):
	 * after the core's mutexes, if held; no lock is taken inside one,
	 * and nothing but allocation-free work runs there (atomic
	 * counters, kds_entry_free_rcu()).
	 */
	spinlock_t *locks;
	unsigned int lock_mask;
	/*
	 * @buckets: 2^@bits chain heads.  A chain changes under its lock with
	 * the _rcu list helpers and are read under rcu_read_lock(); an entry
	 * is immutable once on a chain (a put replaces the whole entry).
	 *
	 * Every chain is in strictly ascending key order: a new entry is
	 * linked behind the last smaller key (hlist_add_behind_rcu(), or
	 * hlist_add_head_rcu() when there is none), a new value replaces
	 * its entry in place (hlist_replace_rcu()), a delete unlinks
	 * (hlist_del_rcu()).  Each of these stores into a next pointer (or
	 * the head) only the node that then follows in key order, and none
	 * ever writes the next pointer of an unlinked node, which keeps the
	 * successor it had when it was unlinked.  So every next pointer,
	 * even of an unlinked node a reader may still stand on, points to
	 * NULL or to a larger key, and a reader under rcu_read_lock() sees
	 * keys strictly increasing along a chain, whatever writers do
	 * meanwhile (no key twice: a replaced entry and its replacement are
	 * never both on one reader's path).
	 *
	 * Nor does such a reader miss an entry E that stays on the chain
	 * for the whole of its pass.  Each node N it reaches was on the
	 * chain at some moment of the pass (it came from the head or from a
	 * linked node, so N was linked then; or from a node unlinked during
	 * the pass, which pointed to its successor of that moment).  The
	 * pointer it follows out of N is N's successor at a moment of the
	 * pass too: when it reads it, or when N was unlinked.  At that
	 * moment E was on the chain, so if N's key is below E's, that
	 * successor's key is at most E's: keys only grow, so the reader
	 * comes to E before it can pass it.  Hence a lookup may stop at
	 * the first larger key, and a walk that emits what it meets in one
	 * pass emits each entry present throughout exactly once, in key
	 * order.  Every node a reader can reach is freed only after a
	 * grace period, so none is freed under it.
	 */
	struct hlist_head *buckets;
	atomic_long_t buckets_used;
	unsigned int bits;
	bool keyed;
	hsiphash_key_t key;
};

static __always_inline u32 kds_hash_bucket(const struct kds_hash *h, u64 key)
{
	if (likely(h->keyed))
		return hsiphash_2u32(lower_32_bits(key), upper_32_bits(key),
				     &h->key) & (BIT(h->bits) - 1);
	return hash_64(key, h->bits);
}

static u32 kds_hash_nr_buckets(const struct kds_hash *h)
{
	return BIT(h->bits);
}

/* The lock of bucket @b's writers (see struct kds_hash). */
static spinlock_t *kds_hash_lock(const struct kds_hash *h, u32 b)
{
	return &h->locks[b & h->lock_mask];
}

static const u8 *kds_hash_value(const struct kds_hash_entry *e)
{
	return kds_value_bytes(&e->val);
}

/*
 * @key's entry on bucket @b's chain, or NULL; *@prev is set to the entry
 * of the largest key below @key (NULL if none), behind which a new entry
 * for @key keeps the chain in key order.
 */
static struct kds_hash_entry *kds_hash_find_locked(struct kds_hash *h, u32 b,
						   u64 key,
						   struct kds_hash_entry **prev)
{
	struct kds_hash_entry *e;

	lockdep_assert_held(kds_hash_lock(h, b));

	*prev = NULL;
	hlist_for_each_entry(e, &h->buckets[b], node) {
		if (e->key >= key)
			return e->key == key ? e : NULL;
		*prev = e;
	}
	return NULL;
}

/* Link @e into bucket @b behind @prev (at the head if NULL): key order. */
static void kds_hash_link(struct kds_hash *h, u32 b, struct kds_hash_entry *e,
			  struct kds_hash_entry *prev)
{
	struct hlist_head *head = &h->buckets[b];

	lockdep_assert_held(kds_hash_lock(h, b));

	if (hlist_empty(head))
		atomic_long_inc(&h->buckets_used);
	if (prev)
		hlist_add_behind_rcu(&e->node, &prev->node);
	else
		hlist_add_head_rcu(&e->node, head);
}

/* Unlink @e from bucket @b; readers still on it go on to its successor. */
static void kds_hash_unlink(struct kds_hash *h, u32 b, struct kds_hash_entry *e)
{
	lockdep_assert_held(kds_hash_lock(h, b));

	hlist_del_rcu(&e->node);
	if (hlist_empty(&h->buckets[b]))
		atomic_long_dec(&h->buckets_used);
}

static int kds_hash_check_params(void)
{
	int ret = 0;

	if (bits < KDS_HASH_BITS_MIN || bits > KDS_HASH_BITS_MAX) {
		pr_err("bits=%u is out of range (valid %u..%u)\n",
		       bits, KDS_HASH_BITS_MIN, KDS_HASH_BITS_MAX);
		ret = -EINVAL;
	}
	if (!hashfn ||
	    (strcmp(hashfn, "hsiphash") && strcmp(hashfn, "hash_64"))) {
		pr_err("hashfn=%s is not valid (valid hsiphash, hash_64)\n",
		       hashfn ?: "");
		ret = -EINVAL;
	}
	return ret;
}

static int kds_hash_init(struct kds_store *s)
{
	struct kds_hash *h;
	unsigned int nlocks;

	if (kds_hash_check_params())
		return -EINVAL;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->bits = bits;
	h->keyed = !strcmp(hashfn, "hsiphash");
	if (h->keyed)
		get_random_bytes(&h->key, sizeof(h->key));
	/* a power of two: the helper's mask is its size less one */
	nlocks = roundup_pow_of_two(min(num_possible_cpus(), 64U)) *
		 KDS_HASH_LOCKS_PER_CPU;
	nlocks = min3(nlocks, KDS_HASH_LOCKS_MAX, kds_hash_nr_buckets(h));
	if (alloc_bucket_spinlocks(&h->locks, &h->lock_mask, nlocks, 0,
				   GFP_KERNEL))
		goto err_free_table;
	h->buckets = kvmalloc_array(kds_hash_nr_buckets(h),
				    sizeof(*h->buckets), GFP_KERNEL);
	if (!h->buckets)
		goto err_free_locks;
	__hash_init(h->buckets, kds_hash_nr_buckets(h));
	kds_set_priv(s, h);
	return 0;

err_free_locks:
	free_bucket_spinlocks(h->locks);
err_free_table:
	kfree(h);
	return -ENOMEM;
}

static int kds_hash_put(struct kds_store *s, u64 key, const void *val,
			u32 len, u32 flags)
{
	struct kds_hash *h = kds_priv(s);
	u32 b = kds_hash_bucket(h, key);
	struct kds_hash_entry *e, *old, *prev;
	int ret;

	e = kds_entry_new(s, KDS_HASH_HEAD, val, len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	e->key = key;

	spin_lock(kds_hash_lock(h, b));
	old = kds_hash_find_locked(h, b, key, &prev);
	ret = kds_put_admit(s, old, flags);
	if (ret)
		goto unlock;
	if (old)	/* a reader on this chain sees either the old or the new */
		hlist_replace_rcu(&old->node, &e->node);
	else
		kds_hash_link(h, b, e, prev);
unlock:
	spin_unlock(kds_hash_lock(h, b));

	/* the new entry, on error, no reader saw: the old one, some may have */
	if (ret)
		kds_entry_free(s, e, KDS_HASH_HEAD);
	else
		kds_entry_free_rcu(s, old, KDS_HASH_HEAD);
	return ret;
}

/*
 * @key's entry, or NULL; under rcu_read_lock().  Chains are in key order
 * even for a reader racing with writers (see struct kds_hash): the search
 * ends at the first larger key.
 */
static __always_inline struct kds_hash_entry *
kds_hash_find_rcu(struct kds_hash *h, u64 key)
{
	struct kds_hash_entry *e;

	hlist_for_each_entry_rcu(e, &h->buckets[kds_hash_bucket(h, key)], node) {
		if (e->key >= key)
			return e->key == key ? e : NULL;
	}
	return NULL;
}

static long kds_hash_get(struct kds_store *s, u64 key, struct kds_out *out)
{
	struct kds_hash_entry *e;
	long ret = -ENOENT;

	rcu_read_lock();
	e = kds_hash_find_rcu(kds_priv(s), key);
	if (e)
		ret = kds_value_out(out, &e->val);
	rcu_read_unlock();
	return ret;
}

static int kds_hash_del(struct kds_store *s, u64 key)
{
	struct kds_hash *h = kds_priv(s);
	u32 b = kds_hash_bucket(h, key);
	struct kds_hash_entry *e, *prev;

	spin_lock(kds_hash_lock(h, b));
	e = kds_hash_find_locked(h, b, key, &prev);
	if (e) {
		kds_hash_unlink(h, b, e);
		kds_store_forget(s);
	}
	spin_unlock(kds_hash_lock(h, b));

	kds_entry_free_rcu(s, e, KDS_HASH_HEAD);
	return e ? 0 : -ENOENT;
}

static void kds_hash_empty_bucket(struct kds_store *s, struct kds_hash *h,
				  u32 b)
{
	struct kds_hash_entry *e;
	struct hlist_node *tmp;

	lockdep_assert_held(kds_hash_lock(h, b));

	hlist_for_each_entry_safe(e, tmp, &h->buckets[b], node) {
		kds_hash_unlink(h, b, e);
		kds_store_forget(s);
		kds_entry_free_rcu(s, e, KDS_HASH_HEAD);
	}
}

/*
 * Bucket by bucket, each under its own lock, so that a clear of a large
 * table stalls no writer longer than one chain takes; it may sleep after
 * each chunk of buckets.
 */
static int kds_hash_clear(struct kds_store *s)
{
	struct kds_hash *h = kds_priv(s);
	u32 n = kds_hash_nr_buckets(h);
	u32 b;

	for (b = 0; b < n; b++) {
		spin_lock(kds_hash_lock(h, b));
		kds_hash_empty_bucket(s, h, b);
		spin_unlock(kds_hash_lock(h, b));
		if ((b + 1) % KDS_HASH_CHUNK == 0)
			cond_resched();
	}
	return 0;
}

/*
 * No caller is left.  The entries still waiting for a grace period need
 * neither the table nor this module: kds_unregister() waits for them.
 */
static void kds_hash_destroy(struct kds_store *s)
{
	struct kds_hash *h = kds_priv(s);

	kds_hash_clear(s);
	kvfree(h->buckets);
	free_bucket_spinlocks(h->locks);
	kfree(h);
}

/*
 * Cursor: it->pos is the bucket, it->pos2 the first key to visit in it.
 * After key k of bucket b the cursor is (b, k + 1), or (b + 1, 0) when k
 * is U64_MAX, so it never wraps around within a bucket.
 *
 * One pass per bucket: chains are in key order (see struct kds_hash), so
 * the entries at or after the cursor are emitted as the pass meets them,
 * and a call rescans only the part of one chain before its cursor.  Every
 * bucket visited and every entry looked at is a step; past
 * KDS_ITER_BUDGET steps the call returns at the next bucket, so that a
 * table of many empty buckets is not walked in one read-side section.  A
 * call always ends the bucket it started (or fills the core's buffer):
 * each call makes progress.
 */
static void kds_hash_iter(struct kds_store *s, struct kds_iter *it)
{
	struct kds_hash *h = kds_priv(s);
	u64 n = kds_hash_nr_buckets(h);
	u64 b = it->pos, from = it->pos2;
	struct kds_hash_entry *e;
	bool emitted = false;
	u64 steps = 0;

	rcu_read_lock();
	for (; b < n; b++, from = 0) {
		if (steps >= KDS_ITER_BUDGET) {
			/* nothing taken: the core learns where to go on */
			if (!emitted) {
				it->pos = b;
				it->pos2 = 0;
			}
			goto unlock;
		}
		steps++;
		hlist_for_each_entry_rcu(e, &h->buckets[b], node) {
			steps++;
			if (e->key < from)
				continue;
			if (!kds_iter_emit(it, e->key, kds_hash_value(e), e->val.len,
					   e->key == U64_MAX ? b + 1 : b,
					   e->key == U64_MAX ? 0 : e->key + 1))
				goto unlock;
			emitted = true;
		}
	}
	it->done = true;
unlock:
	rcu_read_unlock();
	it->steps += steps;
}

/*
 * The longest chain is counted under rcu_read_lock() in chunks of
 * buckets, never under the writers' locks; the occupied buckets are a
 * counter the writers keep.
 */
static void kds_hash_shape(struct kds_store *s, struct kds_shape *shape)
{
	struct kds_hash *h = kds_priv(s);
	u32 n = kds_hash_nr_buckets(h);
	u64 longest = 0, chain;
	struct kds_hash_entry *e;
	u32 b, end;

	for (b = 0; b < n; b = end) {
		end = min(n, b + KDS_HASH_CHUNK);
		rcu_read_lock();
		for (; b < end; b++) {
			chain = 0;
			hlist_for_each_entry_rcu(e, &h->buckets[b], node)
				chain++;
			longest = max(longest, chain);
		}
		rcu_read_unlock();
		cond_resched();
	}
	shape->longest_chain = longest;
	shape->buckets_used = atomic_long_read(&h->buckets_used);
	shape->buckets = n;
}

KDS_DEFINE_FOPS(kds_hash_fops);

VISIBLE_IF_KUNIT const struct kds_ops kds_hash_ops = {
	.name		= "hash",
	.features	= 0,
	.shape_kind	= KDS_SHAPE_CHAIN,
	.init		= kds_hash_init,
	.destroy	= kds_hash_destroy,
	.put		= kds_hash_put,
	.get		= kds_hash_get,
	.del		= kds_hash_del,
	.clear		= kds_hash_clear,
	.iter		= kds_hash_iter,
	.shape		= kds_hash_shape,
	.fops		= &kds_hash_fops,
};
EXPORT_SYMBOL_IF_KUNIT(kds_hash_ops);

KDS_BACKEND_MODULE(kds_hash_ops);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kds developers");
MODULE_DESCRIPTION("kds backend on an hlist hash table (bucket order)");
MODULE_VERSION(KDS_VERSION);
