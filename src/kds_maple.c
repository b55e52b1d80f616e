// SPDX-License-Identifier: GPL-2.0
/*
 * kds_maple - kds backend on a maple tree, in key order.
 *
 * Each key is a range of one index, [key, key], whose stored pointer is the
 * entry (on a 32-bit kernel keys above ULONG_MAX are refused with
 * EOVERFLOW: kds_key_index()).  The tree runs in RCU mode (MT_FLAGS_USE_RCU): a get takes no
 * lock, looking up with mtree_load() under rcu_read_lock() and copying the
 * value before unlocking; a walk (range, dump) holds the writer mutex.
 * The mtree_*() calls take the tree's own spinlock; a mutex around them
 * makes "is the key there?" and "store it" one step, so admission against
 * max_entries is exact.  Unlinked entries are freed after a grace period.
 *
 * In RCU mode every change copies the nodes it touches, so even removing
 * a key allocates and may fail.  mtree_erase() does not say so: on a
 * failed allocation it returns the entry it left in the tree.  Delete
 * therefore stores NULL with mtree_store(), which returns the error (the
 * delete fails, the entry stays); clear erases key by key and stops at a
 * failed erase; destroy, with no reader left, frees the entries in place
 * and erases nothing.
 */
#include <linux/kernel.h>
#include <linux/maple_tree.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "kds.h"

/* Entries erased per hold of the writer lock by clear. */
#define KDS_MT_CHUNK	1024

/**
 * struct kds_mt_entry - one key and its value
 * @key: the key (the one index of its range)
 * @rcu: for freeing once erased (kds_entry_free_rcu(): right before @val)
 * @val: the value (kds_entry_new())
 */
struct kds_mt_entry {
	u64 key;
	struct rcu_head rcu;
	struct kds_value val;
};

#define KDS_MT_HEAD	offsetof(struct kds_mt_entry, val)
static_assert(offsetofend(struct kds_mt_entry, rcu) == KDS_MT_HEAD);

/*
 * The tree's nodes, counted in the store's bytes: the tree says nothing of
 * the nodes it allocates, so each entry counts one node, which bounds what
 * the tree takes for it (a leaf holds up to 16 slots and a split leaves
 * each half at least about half full; a lone key takes two slots, itself
 * and the gap before it).  tests/selftests/80-limits.c checks the bound
 * against the slab's own count.
 */
#define KDS_MT_NODE_BYTES	sizeof(struct maple_node)

/**
 * struct kds_mt - the maple tree of one store
 * @lock: see below
 * @mt: see below
 */
struct kds_mt {
	/*
	 * @lock serialises the writers of @mt (put, del, clear) and the
	 * walks (iter).  Process context only (it sleeps; the tree allocates
	 * nodes under it).  Lookups never take it, nor shape, which reads
	 * the height the tree keeps in its flags.  Order (kds.h): after the
	 * core's mutexes, if held; before the tree's own spinlock, the only
	 * lock taken inside it but the memory allocator's (iter also enters
	 * an RCU read-side section).
	 */
	struct mutex lock;
	/*
	 * @mt maps [key, key] -> struct kds_mt_entry.  Changed only under
	 * @lock (its internal spinlock is taken inside mtree_insert() and
	 * mtree_store(), which let it go to allocate); read under
	 * rcu_read_lock().  An entry is immutable once stored: a put
	 * replaces the whole entry.
	 */
	struct maple_tree mt;
};

/* An entry left the tree: it no longer counts, nor does the node for it. */
static void kds_mt_forget(struct kds_store *s)
{
	kds_store_forget(s);
	kds_mem_uncharge(s, KDS_MT_NODE_BYTES);
}

static int kds_mt_init(struct kds_store *s)
{
	struct kds_mt *m;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	mutex_init(&m->lock);
	mt_init_flags(&m->mt, MT_FLAGS_USE_RCU);
	kds_set_priv(s, m);
	return 0;
}

static int kds_mt_put(struct kds_store *s, u64 key, const void *val, u32 len,
		      u32 flags)
{
	struct kds_mt *m = kds_priv(s);
	struct kds_mt_entry *e, *old;
	unsigned long index;
	int ret;

	ret = kds_key_index(key, &index);
	if (ret)
		return ret;
	e = kds_entry_new(s, KDS_MT_HEAD, val, len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	e->key = key;

	mutex_lock(&m->lock);
	/* Stable under @lock: only writers remove entries. */
	old = mtree_load(&m->mt, index);
	ret = kds_put_admit(s, old, flags);
	if (ret)
		goto unlock;
	if (old) {
		/* In RCU mode even an overwrite may allocate: it may fail. */
		ret = mtree_store(&m->mt, index, e, KDS_GFP);
		goto unlock;
	}
	ret = kds_mem_charge(s, KDS_MT_NODE_BYTES, false);
	if (ret) {
		kds_store_forget(s);
		goto unlock;
	}
	ret = mtree_insert(&m->mt, index, e, KDS_GFP);
	if (ret)
		kds_mt_forget(s);
unlock:
	mutex_unlock(&m->lock);

	/* the new entry, on error, no reader saw: the old one, some may have */
	if (ret)
		kds_entry_free(s, e, KDS_MT_HEAD);
	else
		kds_entry_free_rcu(s, old, KDS_MT_HEAD);
	return ret;
}

static long kds_mt_get(struct kds_store *s, u64 key, struct kds_out *out)
{
	struct kds_mt *m = kds_priv(s);
	struct kds_mt_entry *e;
	unsigned long index;
	long ret;

	ret = kds_key_index(key, &index);
	if (ret)
		return ret;
	ret = -ENOENT;
	rcu_read_lock();
	e = mtree_load(&m->mt, index);
	if (e)
		ret = kds_value_out(out, &e->val);
	rcu_read_unlock();
	return ret;
}

/* Returns 0, -ENOENT, or -ENOMEM with the entry still in place. */
static int kds_mt_del(struct kds_store *s, u64 key)
{
	struct kds_mt *m = kds_priv(s);
	struct kds_mt_entry *e;
	unsigned long index;
	int ret;

	ret = kds_key_index(key, &index);
	if (ret)
		return ret;
	mutex_lock(&m->lock);
	e = mtree_load(&m->mt, index);
	ret = e ? mtree_store(&m->mt, index, NULL, KDS_GFP) : -ENOENT;
	if (!ret)
		kds_mt_forget(s);
	mutex_unlock(&m->lock);

	if (!ret)
		kds_entry_free_rcu(s, e, KDS_MT_HEAD);
	return ret;
}

/*
 * Erase the entries one by one, in key order, under the writer lock: each
 * goes to be freed once no new reader can find it.  Not mtree_destroy()
 * on the live tree: in RCU mode it hands the whole tree to an RCU walk that
 * crashed 6.1 (NULL dereference in mt_free_walk()) once the tree had four
 * levels.  In RCU mode even an erase allocates, so a clear can fail: it
 * then stops with -ENOMEM, the entries not yet erased left whole, as does
 * a fatal signal with -EINTR.  The lock is let go between chunks.
 */
static int kds_mt_clear(struct kds_store *s)
{
	struct kds_mt *m = kds_priv(s);
	struct kds_mt_entry *e;
	unsigned long index = 0;
	int ret = 0;
	u32 n;

	do {
		mutex_lock(&m->lock);
		for (n = 0; n < KDS_MT_CHUNK; n++) {
			e = mt_find(&m->mt, &index, ULONG_MAX);
			if (!e)
				break;
			ret = mtree_store(&m->mt, e->key, NULL, KDS_GFP);
			if (ret)
				break;
			kds_mt_forget(s);
			kds_entry_free_rcu(s, e, KDS_MT_HEAD);
		}
		mutex_unlock(&m->lock);
		cond_resched();
		if (!ret && e && fatal_signal_pending(current))
			ret = -EINTR;
	} while (!ret && e);
	return ret;
}

/*
 * No caller is left, so no reader either: the entries are freed where
 * they are, without erasing them (which would allocate), then the tree's
 * nodes, at once.  The entries erased earlier that still wait for a grace
 * period need neither the tree nor this module: kds_unregister() waits
 * for them.
 */
static void kds_mt_destroy(struct kds_store *s)
{
	struct kds_mt *m = kds_priv(s);
	struct kds_mt_entry *e;
	unsigned long index = 0;

	mt_for_each(&m->mt, e, index, ULONG_MAX) {
		kds_mt_forget(s);
		kds_entry_free(s, e, KDS_MT_HEAD);
		cond_resched();
	}
	mt_clear_in_rcu(&m->mt);
	mtree_destroy(&m->mt);
	mutex_destroy(&m->lock);
	kfree(m);
}

/*
 * Entries with it->pos <= key <= it->hi, in key order.  The cursor after
 * key k is k + 1; the walk ends at it->hi (at the latest at the last
 * index) without asking mt_find() to step past it, so it never wraps.
 */
static void kds_mt_iter(struct kds_store *s, struct kds_iter *it)
{
	struct kds_mt *m = kds_priv(s);
	unsigned long hi = kds_hi_index(it->hi);
	unsigned long index = it->pos;
	struct kds_mt_entry *e;

	/*
	 * A walk holds the writer mutex: on 6.12 an mt_find() walk under RCU
	 * alone, racing deletes and inserts, once followed a NULL node
	 * (91-fuzz, maple).  A get stays lockless; a walk fills a kernel
	 * buffer only, so nothing here sleeps on user memory.
	 */
	mutex_lock(&m->lock);
	rcu_read_lock();
	if (it->pos > hi)
		goto done;
	while ((e = mt_find(&m->mt, &index, hi))) {
		if (it->steps++ == KDS_ITER_BUDGET ||
		    !kds_iter_emit(it, e->key, kds_value_bytes(&e->val),
				   e->val.len, e->key + 1, 0))
			goto unlock;
		if (e->key >= hi)
			break;
		index = e->key + 1;
	}
done:
	it->done = true;
unlock:
	rcu_read_unlock();
	mutex_unlock(&m->lock);
}

/*
 * The tree keeps its height (levels of nodes) in its flags; a lone entry
 * at index 0 sits in the root pointer with no node, which counts as one
 * level, as in the xarray backend.
 */
static void kds_mt_shape(struct kds_store *s, struct kds_shape *shape)
{
	struct kds_mt *m = kds_priv(s);

	shape->height = mt_height(&m->mt);
	if (!shape->height && !mtree_empty(&m->mt))
		shape->height = 1;
}

KDS_DEFINE_FOPS(kds_mt_fops);

VISIBLE_IF_KUNIT const struct kds_ops kds_mt_ops = {
	.name		= "maple",
	.features	= KDS_FEAT_RANGE,
	.shape_kind	= KDS_SHAPE_HEIGHT,
	.init		= kds_mt_init,
	.destroy	= kds_mt_destroy,
	.put		= kds_mt_put,
	.get		= kds_mt_get,
	.del		= kds_mt_del,
	.clear		= kds_mt_clear,
	.iter		= kds_mt_iter,
	.shape		= kds_mt_shape,
	.fops		= &kds_mt_fops,
};
EXPORT_SYMBOL_IF_KUNIT(kds_mt_ops);

KDS_BACKEND_MODULE(kds_mt_ops);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kds developers");
MODULE_DESCRIPTION("kds backend on struct maple_tree (key order)");
MODULE_VERSION(KDS_VERSION);
