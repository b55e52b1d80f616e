// SPDX-License-Identifier: GPL-2.0
/*
 * kds_rbtree - kds backend on a red-black tree (struct rb_root), in key
 * order.
 *
 * Lookups and updates cost O(log n); a walk starts with a lower-bound
 * search for its cursor and then follows rb_next(), so it supports ranges.
 * A put of an existing key swaps the new node into the old one's place with
 * rb_replace_node(): no rebalancing, no change of shape.
 */
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "compat.h"
#include "kds.h"

/**
 * struct kds_rb_entry - one key and its value: a single allocation
 * @node: link in kds_rb.root, ordered by @key
 * @key: the key
 * @len: bytes in @data
 * @data: the value
 */
struct kds_rb_entry {
	struct rb_node node;
	u64 key;
	u32 len;
	u8 data[];
};

/**
 * struct kds_rb - the tree of one store
 * @lock: see below
 * @root: the entries, by key
 */
struct kds_rb {
	/*
	 * @lock protects @root and every entry in it.  Taken for reading by
	 * get, iter and shape, for writing by put, del and clear; always in
	 * process context, never from an interrupt.  Holders do not sleep:
	 * they only walk the tree and memcpy, and allocation and freeing
	 * happen outside the lock.
	 */
	rwlock_t lock;
	struct rb_root root;
};

static struct kds_rb_entry *kds_rb_find(struct kds_rb *t, u64 key)
{
	struct rb_node *n = t->root.rb_node;

	lockdep_assert_held(&t->lock);

	while (n) {
		struct kds_rb_entry *e = rb_entry(n, struct kds_rb_entry, node);

		if (key < e->key)
			n = n->rb_left;
		else if (key > e->key)
			n = n->rb_right;
		else
			return e;
	}
	return NULL;
}

/* The entry with the smallest key >= @key, or NULL. */
static struct kds_rb_entry *kds_rb_lower_bound(struct kds_rb *t, u64 key)
{
	struct rb_node *n = t->root.rb_node;
	struct kds_rb_entry *best = NULL;

	lockdep_assert_held(&t->lock);

	while (n) {
		struct kds_rb_entry *e = rb_entry(n, struct kds_rb_entry, node);

		if (e->key >= key) {
			best = e;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

static int kds_rb_init(struct kds_store *s)
{
	struct kds_rb *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	rwlock_init(&t->lock);
	t->root = RB_ROOT;
	kds_set_priv(s, t);
	return 0;
}

static int kds_rb_put(struct kds_store *s, u64 key, const void *val, u32 len,
		      u32 flags)
{
	struct kds_rb *t = kds_priv(s);
	struct rb_node **link, *parent = NULL;
	struct kds_rb_entry *e, *old = NULL;
	int ret;

	e = kds_entry_alloc(struct_size(e, data, len));
	if (!e)
		return -ENOMEM;
	e->key = key;
	e->len = len;
	memcpy(e->data, val, len);

	write_lock(&t->lock);
	link = &t->root.rb_node;
	while (*link) {
		struct kds_rb_entry *cur;

		parent = *link;
		cur = rb_entry(parent, struct kds_rb_entry, node);
		if (key < cur->key) {
			link = &parent->rb_left;
		} else if (key > cur->key) {
			link = &parent->rb_right;
		} else {
			old = cur;
			break;
		}
	}

	if (old) {
		if (flags & KDS_PUT_NOREPLACE) {
			ret = -EEXIST;
			goto err_unlock;
		}
		rb_replace_node(&old->node, &e->node, &t->root);
		kds_store_resize(s, old->len, len);
	} else {
		if (!kds_store_admit(s, len)) {
			ret = -ENOSPC;
			goto err_unlock;
		}
		rb_link_node(&e->node, parent, link);
		rb_insert_color(&e->node, &t->root);
	}
	write_unlock(&t->lock);

	if (old)
		kds_entry_free(old);
	return 0;

err_unlock:
	write_unlock(&t->lock);
	kds_entry_free(e);
	return ret;
}

static long kds_rb_get(struct kds_store *s, u64 key, void *buf, u32 cap)
{
	struct kds_rb *t = kds_priv(s);
	struct kds_rb_entry *e;
	long ret = -ENOENT;

	read_lock(&t->lock);
	e = kds_rb_find(t, key);
	if (e)
		ret = kds_value_out(buf, cap, e->data, e->len);
	read_unlock(&t->lock);
	return ret;
}

static int kds_rb_del(struct kds_store *s, u64 key)
{
	struct kds_rb *t = kds_priv(s);
	struct kds_rb_entry *e;

	write_lock(&t->lock);
	e = kds_rb_find(t, key);
	if (e) {
		rb_erase(&e->node, &t->root);
		kds_store_forget(s, e->len);
	}
	write_unlock(&t->lock);

	if (!e)
		return -ENOENT;
	kds_entry_free(e);
	return 0;
}

static void kds_rb_clear(struct kds_store *s)
{
	struct kds_rb *t = kds_priv(s);
	struct kds_rb_entry *e, *tmp;
	struct rb_root doomed;

	/* Detach the whole tree under the lock, free it outside. */
	write_lock(&t->lock);
	doomed = t->root;
	t->root = RB_ROOT;
	write_unlock(&t->lock);

	rbtree_postorder_for_each_entry_safe(e, tmp, &doomed, node) {
		kds_store_forget(s, e->len);
		kds_entry_free(e);
		cond_resched();
	}
}

static void kds_rb_destroy(struct kds_store *s)
{
	struct kds_rb *t = kds_priv(s);

	kds_rb_clear(s);
	kfree(t);
}

/*
 * Entries with it->pos <= key <= it->hi, in key order.  The cursor after
 * key k is k + 1; after U64_MAX there is nothing left (rb_next() ends the
 * walk before the cursor could wrap around).
 */
static void kds_rb_iter(struct kds_store *s, struct kds_iter *it)
{
	struct kds_rb *t = kds_priv(s);
	struct kds_rb_entry *e = NULL;
	struct rb_node *n;

	read_lock(&t->lock);
	if (it->pos <= it->hi)
		e = kds_rb_lower_bound(t, it->pos);
	while (e && e->key <= it->hi) {
		if (!kds_iter_emit(it, e->key, e->data, e->len, e->key + 1, 0))
			goto unlock;
		n = rb_next(&e->node);
		e = n ? rb_entry(n, struct kds_rb_entry, node) : NULL;
	}
	it->done = true;
unlock:
	read_unlock(&t->lock);
}

/*
 * Nodes on the longest path from the root to a leaf: an in-order walk
 * that steps like rb_next() and keeps the depth of the node it is on,
 * so it costs O(n) and needs no stack.
 */
static u64 kds_rb_height(struct kds_rb *t)
{
	struct rb_node *n = t->root.rb_node, *p;
	u64 height = 0, depth = 1;

	lockdep_assert_held(&t->lock);

	if (!n)
		return 0;
	while (n->rb_left) {
		n = n->rb_left;
		depth++;
	}
	while (n) {
		height = max(height, depth);
		if (n->rb_right) {
			/* Down one step right, then left as far as it goes. */
			n = n->rb_right;
			depth++;
			while (n->rb_left) {
				n = n->rb_left;
				depth++;
			}
			continue;
		}
		/* Up while we come from a right child, then one more step. */
		while ((p = rb_parent(n)) && n == p->rb_right) {
			n = p;
			depth--;
		}
		n = p;
		depth--;
	}
	return height;
}

static void kds_rb_shape(struct kds_store *s, struct kds_shape *shape)
{
	struct kds_rb *t = kds_priv(s);

	read_lock(&t->lock);
	shape->height = kds_rb_height(t);
	read_unlock(&t->lock);
}

KDS_DEFINE_FOPS(kds_rb_fops);

VISIBLE_IF_KUNIT const struct kds_ops kds_rb_ops = {
	.name		= "rbtree",
	.features	= KDS_FEAT_RANGE,
	.shape_kind	= KDS_SHAPE_HEIGHT,
	.init		= kds_rb_init,
	.destroy	= kds_rb_destroy,
	.put		= kds_rb_put,
	.get		= kds_rb_get,
	.del		= kds_rb_del,
	.clear		= kds_rb_clear,
	.iter		= kds_rb_iter,
	.shape		= kds_rb_shape,
	.fops		= &kds_rb_fops,
};
EXPORT_SYMBOL_IF_KUNIT(kds_rb_ops);

KDS_BACKEND_MODULE(kds_rb_ops);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kds developers");
MODULE_DESCRIPTION("kds backend on struct rb_root (key order)");
MODULE_VERSION(KDS_VERSION);
