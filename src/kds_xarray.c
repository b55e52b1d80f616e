// SPDX-License-Identifier: GPL-2.0
/*
 * kds_xarray - kds backend on an XArray indexed by key, in key order.
 *
 * The key is the XArray index itself (unsigned long is 64 bits wide on the
 * machines this builds for), and the stored pointer is the entry.  Readers
 * take no lock: xa_load() or xa_find() under rcu_read_lock(), then memcpy
 * before unlocking.  Writers are serialised by a mutex, so that "is the key
 * there?" and "store it" are one step: admission against max_entries is
 * exact and KDS_PUT_NOREPLACE needs no retry.  Unlinked entries are freed
 * with kvfree_rcu().
 */
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "compat.h"
#include "kds.h"

/**
 * struct kds_xa_entry - one key and its value: a single allocation
 * @rcu: for kvfree_rcu() once erased
 * @key: the key (also its index)
 * @len: bytes in @data
 * @data: the value
 */
struct kds_xa_entry {
	struct rcu_head rcu;
	u64 key;
	u32 len;
	u8 data[];
};

/**
 * struct kds_xa - the XArray of one store
 * @lock: see below
 * @xa: see below
 */
struct kds_xa {
	/*
	 * @lock serialises the writers of @xa: put, del and clear.  Process
	 * context only (it sleeps; xa_store() may allocate with GFP_KERNEL
	 * under it).  Readers never take it.
	 */
	struct mutex lock;
	/*
	 * @xa maps key -> struct kds_xa_entry.  Changed only under @lock
	 * (its own xa_lock is taken inside xa_insert(), xa_store() and
	 * xa_erase()); read under rcu_read_lock().  An entry is immutable
	 * once stored: a put replaces the whole entry.
	 */
	struct xarray xa;
};

static int kds_xa_init(struct kds_store *s)
{
	struct kds_xa *x;

	/* Keys are XArray indices: every u64 must fit. */
	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(u64));

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	mutex_init(&x->lock);
	xa_init(&x->xa);
	kds_set_priv(s, x);
	return 0;
}

static int kds_xa_put(struct kds_store *s, u64 key, const void *val, u32 len,
		      u32 flags)
{
	struct kds_xa *x = kds_priv(s);
	struct kds_xa_entry *e, *old;
	int ret;

	e = kds_entry_alloc(struct_size(e, data, len));
	if (!e)
		return -ENOMEM;
	e->key = key;
	e->len = len;
	memcpy(e->data, val, len);

	mutex_lock(&x->lock);
	/* Stable under @lock: only writers remove entries. */
	old = xa_load(&x->xa, key);
	if (old) {
		if (flags & KDS_PUT_NOREPLACE) {
			ret = -EEXIST;
			goto err_unlock;
		}
		ret = xa_err(xa_store(&x->xa, key, e, GFP_KERNEL));
		if (ret)
			goto err_unlock;
		kds_store_resize(s, old->len, len);
	} else {
		if (!kds_store_admit(s, len)) {
			ret = -ENOSPC;
			goto err_unlock;
		}
		ret = xa_insert(&x->xa, key, e, GFP_KERNEL);
		if (ret)
			goto err_forget;
	}
	mutex_unlock(&x->lock);

	if (old)
		kvfree_rcu(old, rcu);
	return 0;

err_forget:
	kds_store_forget(s, len);
err_unlock:
	mutex_unlock(&x->lock);
	kds_entry_free(e);
	return ret;
}

static long kds_xa_get(struct kds_store *s, u64 key, void *buf, u32 cap)
{
	struct kds_xa *x = kds_priv(s);
	struct kds_xa_entry *e;
	long ret = -ENOENT;

	rcu_read_lock();
	e = xa_load(&x->xa, key);
	if (e)
		ret = kds_value_out(buf, cap, e->data, e->len);
	rcu_read_unlock();
	return ret;
}

static int kds_xa_del(struct kds_store *s, u64 key)
{
	struct kds_xa *x = kds_priv(s);
	struct kds_xa_entry *e;

	mutex_lock(&x->lock);
	e = xa_erase(&x->xa, key);
	if (e)
		kds_store_forget(s, e->len);
	mutex_unlock(&x->lock);

	if (!e)
		return -ENOENT;
	kvfree_rcu(e, rcu);
	return 0;
}

static void kds_xa_clear(struct kds_store *s)
{
	struct kds_xa *x = kds_priv(s);
	struct kds_xa_entry *e;
	unsigned long index;

	mutex_lock(&x->lock);
	xa_for_each(&x->xa, index, e) {
		xa_erase(&x->xa, index);
		kds_store_forget(s, e->len);
		kvfree_rcu(e, rcu);
		cond_resched();
	}
	mutex_unlock(&x->lock);
}

/*
 * No caller is left; entries go through kvfree_rcu(), which runs no code
 * of this module, so nothing has to be waited for.
 */
static void kds_xa_destroy(struct kds_store *s)
{
	struct kds_xa *x = kds_priv(s);

	kds_xa_clear(s);
	xa_destroy(&x->xa);
	mutex_destroy(&x->lock);
	kfree(x);
}

/*
 * Entries with it->pos <= key <= it->hi, in key order.  The cursor after
 * key k is k + 1; the walk ends at it->hi (at the latest at U64_MAX)
 * without asking xa_find_after() to step past it, so it never wraps.
 */
static void kds_xa_iter(struct kds_store *s, struct kds_iter *it)
{
	struct kds_xa *x = kds_priv(s);
	unsigned long index = it->pos;
	struct kds_xa_entry *e = NULL;

	rcu_read_lock();
	if (it->pos <= it->hi)
		e = xa_find(&x->xa, &index, it->hi, XA_PRESENT);
	while (e) {
		if (!kds_iter_emit(it, e->key, e->data, e->len, e->key + 1, 0))
			goto unlock;
		if (index >= it->hi)
			break;
		e = xa_find_after(&x->xa, &index, it->hi, XA_PRESENT);
	}
	it->done = true;
unlock:
	rcu_read_unlock();
}

/*
 * Levels of the XArray: 0 when empty, 1 when a single entry at index 0
 * sits in the root pointer itself, otherwise the levels of nodes, which the
 * root node's shift gives (each level resolves XA_CHUNK_SHIFT bits).
 */
static void kds_xa_shape(struct kds_store *s, struct kds_shape *shape)
{
	struct kds_xa *x = kds_priv(s);
	void *head;

	rcu_read_lock();
	head = xa_head(&x->xa);
	if (!head)
		shape->height = 0;
	else if (!xa_is_node(head))
		shape->height = 1;
	else
		shape->height = xa_to_node(head)->shift / XA_CHUNK_SHIFT + 1;
	rcu_read_unlock();
}

KDS_DEFINE_FOPS(kds_xa_fops);

VISIBLE_IF_KUNIT const struct kds_ops kds_xa_ops = {
	.name		= "xarray",
	.features	= KDS_FEAT_RANGE,
	.shape_kind	= KDS_SHAPE_HEIGHT,
	.init		= kds_xa_init,
	.destroy	= kds_xa_destroy,
	.put		= kds_xa_put,
	.get		= kds_xa_get,
	.del		= kds_xa_del,
	.clear		= kds_xa_clear,
	.iter		= kds_xa_iter,
	.shape		= kds_xa_shape,
	.fops		= &kds_xa_fops,
};
EXPORT_SYMBOL_IF_KUNIT(kds_xa_ops);

KDS_BACKEND_MODULE(kds_xa_ops);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kds developers");
MODULE_DESCRIPTION("kds backend on struct xarray (key order)");
MODULE_VERSION(KDS_VERSION);
