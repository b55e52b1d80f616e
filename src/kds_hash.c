// SPDX-License-Identifier: GPL-2.0
/*
 * kds_hash - kds backend on an hlist hash table, in bucket order.
 *
 * DEFINE_HASHTABLE() fixes the number of buckets at compile time; here the
 * bucket array is sized at load time from the module parameter "bits"
 * (2^bits buckets) and allocated with kvmalloc_array(), so the helpers of
 * linux/hashtable.h and linux/rculist.h that work on any hlist_head array
 * do the work: __hash_init(), hash_64(), hlist_add_head_rcu(),
 * hlist_del_rcu(), hlist_replace_rcu(), hlist_for_each_entry_rcu().
 *
 * Readers (get, iter, shape) take no lock: they walk a chain under
 * rcu_read_lock() and only memcpy.  Writers are serialised by one spinlock
 * and free what they unlink with kvfree_rcu() or call_rcu(), after every
 * reader that could still see it has left its read-side section.
 *
 * A walk visits bucket after bucket and, within a bucket, keys in
 * ascending order: its cursor is (bucket, first key to visit there).
 * Chains are short, so each step looks for the smallest key at or after
 * the cursor in the chain.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "compat.h"
#include "kds.h"

#define KDS_HASH_BITS_MIN	4
#define KDS_HASH_BITS_MAX	24

/* Buckets handled per lock hold or read-side section by clear and shape. */
#define KDS_HASH_CHUNK		1024U

static unsigned int bits = 16;
module_param(bits, uint, 0444);
MODULE_PARM_DESC(bits, "log2 of the number of buckets, "
		 __stringify(KDS_HASH_BITS_MIN) ".." __stringify(KDS_HASH_BITS_MAX)
		 " (default 16)");

static char *hashfn = "hash_64";
module_param(hashfn, charp, 0444);
MODULE_PARM_DESC(hashfn, "bucket hash: hash_64 (default, multiplicative) or jhash");

/**
 * struct kds_hash_entry - one key and its value
 * @node: link on its bucket's chain
 * @rcu: for freeing once unlinked
 * @key: the key
 * @val: the value (kds_entry_new())
 */
struct kds_hash_entry {
	struct hlist_node node;
	struct rcu_head rcu;
	u64 key;
	struct kds_value val;
};

#define KDS_HASH_HEAD	offsetof(struct kds_hash_entry, val)

/**
 * struct kds_hash - the hash table of one store
 * @lock: see below
 * @buckets: see below
 * @bits: log2 of the number of buckets, fixed at load
 * @use_jhash: bucket hash is jhash_2words() rather than hash_64()
 */
struct kds_hash {
	/*
	 * @lock serialises writers: put, del and clear change the chains
	 * only while holding it.  Taken in process context, never from an
	 * interrupt; holders do not sleep (allocation happens before, and
	 * freeing is deferred past a grace period).  Readers never take it.
	 */
	spinlock_t lock;
	/*
	 * @buckets: 2^@bits chain heads.  Chains change under @lock with
	 * the _rcu list helpers and are read under rcu_read_lock(); an entry
	 * is immutable once on a chain (a put replaces the whole entry).
	 */
	struct hlist_head *buckets;
	unsigned int bits;
	bool use_jhash;
};

static __always_inline u32 kds_hash_bucket(const struct kds_hash *h, u64 key)
{
	if (h->use_jhash)
		return jhash_2words(lower_32_bits(key), upper_32_bits(key), 0) &
		       (BIT(h->bits) - 1);
	return hash_64(key, h->bits);
}

static u32 kds_hash_nr_buckets(const struct kds_hash *h)
{
	return BIT(h->bits);
}

static const u8 *kds_hash_value(const struct kds_hash_entry *e)
{
	return kds_value_bytes(&e->val);
}

static void kds_hash_entry_free_rcu(struct rcu_head *rcu)
{
	kds_entry_release(container_of(rcu, struct kds_hash_entry, rcu),
			  KDS_HASH_HEAD);
}

/*
 * Free an unlinked entry once every reader that could still see it has
 * left its read-side section; its memory stops counting now.  The
 * callback is this module's: kds_hash_destroy() waits for those with
 * rcu_barrier().
 */
static void kds_hash_entry_free(struct kds_store *s, struct kds_hash_entry *e)
{
	kds_entry_uncharge(s, e, KDS_HASH_HEAD);
	call_rcu(&e->rcu, kds_hash_entry_free_rcu);
}

static struct kds_hash_entry *kds_hash_find_locked(struct kds_hash *h,
						   struct hlist_head *head,
						   u64 key)
{
	struct kds_hash_entry *e;

	lockdep_assert_held(&h->lock);

	hlist_for_each_entry(e, head, node) {
		if (e->key == key)
			return e;
	}
	return NULL;
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
	    (strcmp(hashfn, "hash_64") && strcmp(hashfn, "jhash"))) {
		pr_err("hashfn=%s is not valid (valid hash_64, jhash)\n",
		       hashfn);
		ret = -EINVAL;
	}
	return ret;
}

static int kds_hash_init(struct kds_store *s)
{
	struct kds_hash *h;

	if (kds_hash_check_params())
		return -EINVAL;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	spin_lock_init(&h->lock);
	h->bits = bits;
	h->use_jhash = !strcmp(hashfn, "jhash");
	h->buckets = kvmalloc_array(kds_hash_nr_buckets(h),
				    sizeof(*h->buckets), GFP_KERNEL);
	if (!h->buckets)
		goto err_free_table;
	__hash_init(h->buckets, kds_hash_nr_buckets(h));
	kds_set_priv(s, h);
	return 0;

err_free_table:
	kfree(h);
	return -ENOMEM;
}

static int kds_hash_put(struct kds_store *s, u64 key, const void *val,
			u32 len, u32 flags)
{
	struct kds_hash *h = kds_priv(s);
	struct hlist_head *head = &h->buckets[kds_hash_bucket(h, key)];
	struct kds_hash_entry *e, *old;
	int ret;

	e = kds_entry_new(s, KDS_HASH_HEAD, val, len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	e->key = key;

	spin_lock(&h->lock);
	old = kds_hash_find_locked(h, head, key);
	if (old) {
		if (flags & KDS_PUT_NOREPLACE) {
			ret = -EEXIST;
			goto err_unlock;
		}
		/* A reader on this chain sees either the old or the new. */
		hlist_replace_rcu(&old->node, &e->node);
	} else {
		if (!kds_store_admit(s)) {
			ret = -ENOSPC;
			goto err_unlock;
		}
		hlist_add_head_rcu(&e->node, head);
	}
	spin_unlock(&h->lock);

	if (old)
		kds_hash_entry_free(s, old);
	return 0;

err_unlock:
	spin_unlock(&h->lock);
	kds_entry_free(s, e, KDS_HASH_HEAD);
	return ret;
}

/* @key's entry, or NULL; under rcu_read_lock(). */
static __always_inline struct kds_hash_entry *
kds_hash_find_rcu(struct kds_hash *h, u64 key)
{
	struct kds_hash_entry *e;

	hlist_for_each_entry_rcu(e, &h->buckets[kds_hash_bucket(h, key)], node) {
		if (e->key == key)
			return e;
	}
	return NULL;
}

static long kds_hash_get(struct kds_store *s, u64 key, void *buf, u32 cap)
{
	struct kds_hash_entry *e;
	long ret = -ENOENT;

	rcu_read_lock();
	e = kds_hash_find_rcu(kds_priv(s), key);
	if (e)
		ret = kds_value_out(buf, cap, &e->val);
	rcu_read_unlock();
	return ret;
}

static int kds_hash_del(struct kds_store *s, u64 key)
{
	struct kds_hash *h = kds_priv(s);
	struct hlist_head *head = &h->buckets[kds_hash_bucket(h, key)];
	struct kds_hash_entry *e;

	spin_lock(&h->lock);
	e = kds_hash_find_locked(h, head, key);
	if (e) {
		hlist_del_rcu(&e->node);
		kds_store_forget(s);
	}
	spin_unlock(&h->lock);

	if (!e)
		return -ENOENT;
	kds_hash_entry_free(s, e);
	return 0;
}

static void kds_hash_empty_bucket(struct kds_store *s, struct kds_hash *h,
				  struct hlist_head *head)
{
	struct kds_hash_entry *e;
	struct hlist_node *tmp;

	lockdep_assert_held(&h->lock);

	hlist_for_each_entry_safe(e, tmp, head, node) {
		hlist_del_rcu(&e->node);
		kds_store_forget(s);
		kds_hash_entry_free(s, e);
	}
}

/*
 * Bucket by bucket, in chunks: the lock is not held across the whole
 * table, so a clear of a large table neither stalls other CPUs spinning on
 * it nor this one (it may sleep between chunks).
 */
static int kds_hash_clear(struct kds_store *s)
{
	struct kds_hash *h = kds_priv(s);
	u32 n = kds_hash_nr_buckets(h);
	u32 b, end;

	for (b = 0; b < n; b = end) {
		end = min(n, b + KDS_HASH_CHUNK);
		spin_lock(&h->lock);
		for (; b < end; b++)
			kds_hash_empty_bucket(s, h, &h->buckets[b]);
		spin_unlock(&h->lock);
		cond_resched();
	}
	return 0;
}

/*
 * No caller is left.  An entry whose value is kept apart is freed by a
 * callback of this module: wait for those before the module text goes.
 */
static void kds_hash_destroy(struct kds_store *s)
{
	struct kds_hash *h = kds_priv(s);

	kds_hash_clear(s);
	rcu_barrier();
	kvfree(h->buckets);
	kfree(h);
}

/* The entry of @head with the smallest key >= @from, or NULL. */
static struct kds_hash_entry *kds_hash_first_from(struct hlist_head *head,
						  u64 from)
{
	struct kds_hash_entry *e, *best = NULL;

	hlist_for_each_entry_rcu(e, head, node) {
		if (e->key >= from && (!best || e->key < best->key))
			best = e;
	}
	return best;
}

/*
 * Cursor: it->pos is the bucket, it->pos2 the first key to visit in it.
 * After key k of bucket b the cursor is (b, k + 1), or (b + 1, 0) when k
 * is U64_MAX, so it never wraps around within a bucket.
 */
static void kds_hash_iter(struct kds_store *s, struct kds_iter *it)
{
	struct kds_hash *h = kds_priv(s);
	u64 n = kds_hash_nr_buckets(h);
	u64 b = it->pos, from = it->pos2;
	u64 next_b, next_from;
	struct kds_hash_entry *e;

	rcu_read_lock();
	while (b < n) {
		e = kds_hash_first_from(&h->buckets[b], from);
		if (!e) {
			b++;
			from = 0;
			continue;
		}
		if (e->key == U64_MAX) {
			next_b = b + 1;
			next_from = 0;
		} else {
			next_b = b;
			next_from = e->key + 1;
		}
		if (!kds_iter_emit(it, e->key, kds_hash_value(e), e->val.len,
				   next_b, next_from))
			goto unlock;
		b = next_b;
		from = next_from;
	}
	it->done = true;
unlock:
	rcu_read_unlock();
}

static void kds_hash_shape(struct kds_store *s, struct kds_shape *shape)
{
	struct kds_hash *h = kds_priv(s);
	u32 n = kds_hash_nr_buckets(h);
	u64 longest = 0, used = 0, chain;
	struct kds_hash_entry *e;
	u32 b, end;

	for (b = 0; b < n; b = end) {
		end = min(n, b + KDS_HASH_CHUNK);
		rcu_read_lock();
		for (; b < end; b++) {
			chain = 0;
			hlist_for_each_entry_rcu(e, &h->buckets[b], node)
				chain++;
			if (chain)
				used++;
			longest = max(longest, chain);
		}
		rcu_read_unlock();
		cond_resched();
	}
	shape->longest_chain = longest;
	shape->buckets_used = used;
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
