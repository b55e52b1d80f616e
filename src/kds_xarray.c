// SPDX-License-Identifier: GPL-2.0
/*
 * kds_xarray - kds backend on an XArray indexed by key, in key order.
 *
 * The key is the XArray index itself, and the stored pointer is the
 * entry; on a 32-bit kernel, where an index is 32 bits, keys above
 * ULONG_MAX are refused with EOVERFLOW (kds_key_index()).  Readers
 * take no lock: xa_load() or xa_find() under rcu_read_lock(), then copy
 * the value out (kds_value_out(), which never sleeps) before unlocking.
 * Writers are serialised by a mutex, so that "is the key there?" and
 * "store it" are one step: admission against max_entries is exact and
 * KDS_PUT_NOREPLACE needs no retry.  Erased entries are freed
 * after a grace period.  The XArray's nodes are charged to the writer's
 * memory cgroup (XA_FLAGS_ACCOUNT) and counted in the store's bytes
 * through the XArray's update callback (kds_xa_node_update()).
 */
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "compat.h"
#include "kds.h"

/**
 * struct kds_xa_entry - one key and its value
 * @key: the key (also its index)
 * @rcu: for freeing once erased (kds_entry_free_rcu(): right before @val)
 * @val: the value (kds_entry_new())
 */
struct kds_xa_entry {
	u64 key;
	struct rcu_head rcu;
	struct kds_value val;
};

#define KDS_XA_HEAD	offsetof(struct kds_xa_entry, val)
static_assert(offsetofend(struct kds_xa_entry, rcu) == KDS_XA_HEAD);

/* Entries erased per lock hold by clear. */
#define KDS_XA_CHUNK	1024

/* Bytes of the most nodes one store makes: one per level of the array. */
#define KDS_XA_STORE_NODES_MAX \
	(DIV_ROUND_UP(BITS_PER_LONG, XA_CHUNK_SHIFT) * sizeof(struct xa_node))

/**
 * struct kds_xa - the XArray of one store
 * @lock: see below
 * @xa: see below
 * @nodes: see below
 * @s: the store, whose bytes count the nodes
 */
struct kds_xa {
	/*
	 * @lock serialises the writers of @xa: put, del and clear.  Process
	 * context only (it sleeps: nodes are allocated under it).  Readers
	 * never take it.  Order (kds.h): after the core's mutexes, if held;
	 * before the XArray's own xa_lock, the only lock taken inside it
	 * but the memory allocator's.
	 */
	struct mutex lock;
	/*
	 * @xa maps key -> struct kds_xa_entry.  Changed only under @lock,
	 * through kds_xa_store(), which takes xa_lock inside it (a spinlock:
	 * nodes are allocated between two holds, by xas_nomem()); read under
	 * rcu_read_lock().  An entry is immutable once stored: a put replaces
	 * the whole entry.
	 */
	struct xarray xa;
	/*
	 * @nodes: the XArray's nodes that the store's bytes count, linked
	 * by their private_list (the XArray leaves that field to the user of
	 * an update callback, as the page cache's workingset does).  Changed
	 * under xa_lock: by kds_xa_node_update() and kds_xa_destroy().
	 */
	struct list_head nodes;
	struct kds_store *s;
};

/*
 * The XArray calls this, under xa_lock, for a node whose count of
 * children changed, and with a count of 0 just before it frees the node:
 * a node is counted the first time it is seen in use, and uncounted when
 * it goes.  So the store's bytes hold its nodes exactly (a node made by
 * a store that then failed for want of memory stays uncounted until it
 * is used).
 */
static void kds_xa_node_update(struct xa_node *node)
{
	struct kds_xa *x = container_of(node->array, struct kds_xa, xa);

	lockdep_assert_held(&x->xa.xa_lock);

	if (node->count) {
		if (list_empty(&node->private_list)) {
			list_add(&node->private_list, &x->nodes);
			kds_mem_charge(x->s, sizeof(*node), true);
		}
	} else if (!list_empty(&node->private_list)) {
		list_del_init(&node->private_list);
		kds_mem_uncharge(x->s, sizeof(*node));
	}
}

/*
 * Store @entry at @index (NULL erases it), the old entry in *@old: 0 or
 * -ENOMEM.  Nodes are allocated with KDS_GFP and counted.
 */
static int kds_xa_store(struct kds_xa *x, unsigned long index, void *entry,
			void **old)
{
	XA_STATE(xas, &x->xa, index);

	lockdep_assert_held(&x->lock);
	xas_set_update(&xas, kds_xa_node_update);
	do {
		xas_lock(&xas);
		*old = xas_store(&xas, entry);
		xas_unlock(&xas);
	} while (xas_nomem(&xas, KDS_GFP));
	return xas_error(&xas);
}

static int kds_xa_init(struct kds_store *s)
{
	struct kds_xa *x;

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	mutex_init(&x->lock);
	xa_init_flags(&x->xa, XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&x->nodes);
	x->s = s;
	kds_set_priv(s, x);
	return 0;
}

static int kds_xa_put(struct kds_store *s, u64 key, const void *val, u32 len,
		      u32 flags)
{
	struct kds_xa *x = kds_priv(s);
	struct kds_xa_entry *e, *old;
	unsigned long index;
	void *was;
	int ret;

	ret = kds_key_index(key, &index);
	if (ret)
		return ret;
	e = kds_entry_new(s, KDS_XA_HEAD, val, len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	e->key = key;

	mutex_lock(&x->lock);
	/* Stable under @lock: only writers change the array. */
	old = xa_load(&x->xa, index);
	ret = kds_put_admit(s, old, flags);
	if (ret)
		goto unlock;
	/*
	 * The nodes the store may make are counted as the XArray makes
	 * them, which cannot fail; room for the most one store can make is
	 * held meanwhile, so that they never take the stores past
	 * kds.max_bytes.
	 */
	ret = kds_mem_charge(s, KDS_XA_STORE_NODES_MAX, false);
	if (ret)
		goto forget;
	ret = kds_xa_store(x, index, e, &was);
	kds_mem_uncharge(s, KDS_XA_STORE_NODES_MAX);
forget:
	if (ret && !old)	/* a new key that could not be stored */
		kds_store_forget(s);
unlock:
	mutex_unlock(&x->lock);

	/* the new entry, on error, no reader saw: the old one, some may have */
	if (ret)
		kds_entry_free(s, e, KDS_XA_HEAD);
	else
		kds_entry_free_rcu(s, old, KDS_XA_HEAD);
	return ret;
}

static long kds_xa_get(struct kds_store *s, u64 key, struct kds_out *out)
{
	struct kds_xa *x = kds_priv(s);
	struct kds_xa_entry *e;
	unsigned long index;
	long ret;

	ret = kds_key_index(key, &index);
	if (ret)
		return ret;
	ret = -ENOENT;
	rcu_read_lock();
	e = xa_load(&x->xa, index);
	if (e)
		ret = kds_value_out(out, &e->val);
	rcu_read_unlock();
	return ret;
}

static int kds_xa_del(struct kds_store *s, u64 key)
{
	struct kds_xa *x = kds_priv(s);
	unsigned long index;
	void *e = NULL;
	int ret;

	ret = kds_key_index(key, &index);
	if (ret)
		return ret;
	mutex_lock(&x->lock);
	if (xa_load(&x->xa, index)) {
		/* erasing allocates nothing: it cannot fail */
		kds_xa_store(x, index, NULL, &e);
		kds_store_forget(s);
	}
	mutex_unlock(&x->lock);

	kds_entry_free_rcu(s, e, KDS_XA_HEAD);
	return e ? 0 : -ENOENT;
}

/*
 * Erase every entry, KDS_XA_CHUNK per hold of the writer lock, giving up
 * the CPU between chunks; with @killable, a fatal signal stops it.
 */
static int kds_xa_erase_all(struct kds_store *s, bool killable)
{
	struct kds_xa *x = kds_priv(s);
	unsigned long index = 0;
	struct kds_xa_entry *e;
	void *was;
	u32 n;

	for (;;) {
		mutex_lock(&x->lock);
		for (n = 0; n < KDS_XA_CHUNK; n++) {
			e = xa_find(&x->xa, &index, ULONG_MAX, XA_PRESENT);
			if (!e)
				break;
			kds_xa_store(x, index, NULL, &was);
			kds_store_forget(s);
			kds_entry_free_rcu(s, e, KDS_XA_HEAD);
		}
		mutex_unlock(&x->lock);
		if (!e)
			return 0;
		cond_resched();
		if (killable && fatal_signal_pending(current))
			return -EINTR;
	}
}

static int kds_xa_clear(struct kds_store *s)
{
	return kds_xa_erase_all(s, true);
}

/*
 * No caller is left.  The entries still waiting for a grace period need
 * neither the array nor this module: kds_unregister() waits for them.
 */
static void kds_xa_destroy(struct kds_store *s)
{
	struct kds_xa *x = kds_priv(s);
	struct xa_node *node, *tmp;

	kds_xa_erase_all(s, false);
	/*
	 * A store that failed for want of memory may have left empty nodes,
	 * which xa_destroy() frees without telling the callback.
	 */
	xa_lock(&x->xa);
	list_for_each_entry_safe(node, tmp, &x->nodes, private_list) {
		list_del_init(&node->private_list);
		kds_mem_uncharge(s, sizeof(*node));
	}
	xa_unlock(&x->xa);
	xa_destroy(&x->xa);
	mutex_destroy(&x->lock);
	kfree(x);
}

/*
 * Entries with it->pos <= key <= it->hi, in key order.  The cursor after
 * key k is k + 1; the walk ends at it->hi (at the latest at the last
 * index) without asking xa_find_after() to step past it, so it never
 * wraps.
 */
static void kds_xa_iter(struct kds_store *s, struct kds_iter *it)
{
	struct kds_xa *x = kds_priv(s);
	unsigned long hi = kds_hi_index(it->hi);
	unsigned long index = it->pos;
	struct kds_xa_entry *e = NULL;

	rcu_read_lock();
	if (it->pos <= hi)
		e = xa_find(&x->xa, &index, hi, XA_PRESENT);
	while (e) {
		if (it->steps++ == KDS_ITER_BUDGET ||
		    !kds_iter_emit(it, e->key, kds_value_bytes(&e->val),
				   e->val.len, e->key + 1, 0))
			goto unlock;
		if (index >= hi)
			break;
		e = xa_find_after(&x->xa, &index, hi, XA_PRESENT);
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
