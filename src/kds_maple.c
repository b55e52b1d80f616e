// SPDX-License-Identifier: GPL-2.0
/*
 * kds_maple - kds backend on a maple tree, in key order.
 *
 * Each key is a range of one index, [key, key], whose stored pointer is the
 * entry.  The tree runs in RCU mode (MT_FLAGS_USE_RCU): a get takes no
 * lock, looking up with mtree_load() under rcu_read_lock() and copying the
 * value before unlocking; a walk (range, dump) holds the writer mutex.
 * The mtree_*() calls take the tree's own spinlock; a mutex around them
 * makes "is the key there?" and "store it" one step, so admission against
 * max_entries is exact.  Unlinked entries are freed with kvfree_rcu().
 *
 * In RCU mode every change copies the nodes it touches, so even removing
 * a key allocates and may fail.  mtree_erase() does not say so: on a
 * failed allocation it returns the entry it left in the tree.  Delete
 * therefore stores NULL with mtree_store(), which returns the error (the
 * delete fails, the entry stays); clear, which cannot fail, erases key by
 * key and tries a failed erase again; destroy, with no reader left, frees
 * the entries in place and erases nothing.
 */
#include <linux/kernel.h>
#include <linux/maple_tree.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "kds.h"

/**
 * struct kds_mt_entry - one key and its value: a single allocation
 * @rcu: for kvfree_rcu() once erased
 * @key: the key (the one index of its range)
 * @len: bytes in @data
 * @data: the value
 */
struct kds_mt_entry {
	struct rcu_head rcu;
	u64 key;
	u32 len;
	u8 data[];
};

/**
 * struct kds_mt - the maple tree of one store
 * @lock: see below
 * @mt: see below
 */
struct kds_mt {
	/*
	 * @lock serialises the writers of @mt: put, del, clear and shape
	 * (which reads the height the writers keep).  Process context only
	 * (it sleeps; the tree allocates nodes with GFP_KERNEL under it).
	 * Readers never take it.
	 */
	struct mutex lock;
	/*
	 * @mt maps [key, key] -> struct kds_mt_entry.  Changed only under
	 * @lock (its internal spinlock is taken inside mtree_insert(),
	 * mtree_store() and mtree_erase()); read under rcu_read_lock().  An
	 * entry is immutable once stored: a put replaces the whole entry.
	 */
	struct maple_tree mt;
};

static int kds_mt_init(struct kds_store *s)
{
	struct kds_mt *m;

	/* Keys are maple tree indices: every u64 must fit. */
	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(u64));

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
	int ret;

	e = kds_entry_alloc(struct_size(e, data, len));
	if (!e)
		return -ENOMEM;
	e->key = key;
	e->len = len;
	memcpy(e->data, val, len);

	mutex_lock(&m->lock);
	/* Stable under @lock: only writers remove entries. */
	old = mtree_load(&m->mt, key);
	if (old) {
		if (flags & KDS_PUT_NOREPLACE) {
			ret = -EEXIST;
			goto err_unlock;
		}
		/* In RCU mode even an overwrite may allocate: it may fail. */
		ret = mtree_store(&m->mt, key, e, GFP_KERNEL);
		if (ret)
			goto err_unlock;
		kds_store_resize(s, old->len, len);
	} else {
		if (!kds_store_admit(s, len)) {
			ret = -ENOSPC;
			goto err_unlock;
		}
		ret = mtree_insert(&m->mt, key, e, GFP_KERNEL);
		if (ret)
			goto err_forget;
	}
	mutex_unlock(&m->lock);

	if (old)
		kvfree_rcu(old, rcu);
	return 0;

err_forget:
	kds_store_forget(s, len);
err_unlock:
	mutex_unlock(&m->lock);
	kds_entry_free(e);
	return ret;
}

static long kds_mt_get(struct kds_store *s, u64 key, void *buf, u32 cap)
{
	struct kds_mt *m = kds_priv(s);
	struct kds_mt_entry *e;
	long ret = -ENOENT;

	rcu_read_lock();
	e = mtree_load(&m->mt, key);
	if (e)
		ret = kds_value_out(buf, cap, e->data, e->len);
	rcu_read_unlock();
	return ret;
}

/* Returns 0, -ENOENT, or -ENOMEM with the entry still in place. */
static int kds_mt_del(struct kds_store *s, u64 key)
{
	struct kds_mt *m = kds_priv(s);
	struct kds_mt_entry *e;
	int ret;

	mutex_lock(&m->lock);
	e = mtree_load(&m->mt, key);
	if (!e) {
		ret = -ENOENT;
		goto unlock;
	}
	ret = mtree_store(&m->mt, key, NULL, GFP_KERNEL);
	if (ret)
		goto unlock;
	kds_store_forget(s, e->len);
	mutex_unlock(&m->lock);

	kvfree_rcu(e, rcu);
	return 0;

unlock:
	mutex_unlock(&m->lock);
	return ret;
}

/*
 * Erase the entries one by one, in key order, under the writer lock: each
 * goes to kvfree_rcu() once no new reader can find it.  Not mtree_destroy()
 * on the live tree: in RCU mode it hands the whole tree to an RCU walk that
 * crashed 6.1 (NULL dereference in mt_free_walk()) once the tree had four
 * levels.  In RCU mode even an erase allocates, and a clear cannot fail
 * (it reports nothing, and the caller was told the store is empty): a
 * failed erase, which leaves the tree as it was, is tried again after a
 * pause, the way the allocator itself retries small allocations, rather
 * than leave entries behind.  (Not __GFP_NOFAIL: the tree's bulk node
 * allocation does not promise to honour it on every kernel.)  Only a
 * task being killed gives up, leaving whole entries that a later clear
 * or the module's unload frees.
 */
static void kds_mt_clear(struct kds_store *s)
{
	struct kds_mt *m = kds_priv(s);
	struct kds_mt_entry *e;
	unsigned long index = 0;

	mutex_lock(&m->lock);
	while ((e = mt_find(&m->mt, &index, ULONG_MAX))) {
		if (mtree_store(&m->mt, e->key, NULL, GFP_KERNEL)) {
			if (fatal_signal_pending(current))
				break;
			memalloc_retry_wait(GFP_KERNEL);
			index = e->key;
			continue;
		}
		kds_store_forget(s, e->len);
		kvfree_rcu(e, rcu);
		cond_resched();
	}
	mutex_unlock(&m->lock);
}

/*
 * No caller is left, so no reader either: the entries are freed where
 * they are, without erasing them (which would allocate), then the tree's
 * nodes, at once.  Entries deleted earlier are still on their way through
 * kvfree_rcu(), which runs no code of this module: nothing has to be
 * waited for.
 */
static void kds_mt_destroy(struct kds_store *s)
{
	struct kds_mt *m = kds_priv(s);
	struct kds_mt_entry *e;
	unsigned long index = 0;

	mt_for_each(&m->mt, e, index, ULONG_MAX) {
		kds_store_forget(s, e->len);
		kds_entry_free(e);
		cond_resched();
	}
	mt_clear_in_rcu(&m->mt);
	mtree_destroy(&m->mt);
	mutex_destroy(&m->lock);
	kfree(m);
}

/*
 * Entries with it->pos <= key <= it->hi, in key order.  The cursor after
 * key k is k + 1; the walk ends at it->hi (at the latest at U64_MAX)
 * without asking mt_find() to step past it, so it never wraps.
 */
static void kds_mt_iter(struct kds_store *s, struct kds_iter *it)
{
	struct kds_mt *m = kds_priv(s);
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
	if (it->pos > it->hi)
		goto done;
	while ((e = mt_find(&m->mt, &index, it->hi))) {
		if (!kds_iter_emit(it, e->key, e->data, e->len, e->key + 1, 0))
			goto unlock;
		if (e->key >= it->hi)
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

	mutex_lock(&m->lock);
	shape->height = mt_height(&m->mt);
	if (!shape->height && !mtree_empty(&m->mt))
		shape->height = 1;
	mutex_unlock(&m->lock);
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
