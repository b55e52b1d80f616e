// SPDX-License-Identifier: GPL-2.0
/*
 * kds_rbtree - kds backend on a red-black tree (struct rb_root), in key
 * order.
 *
 * Lookups and updates cost O(log n); a walk starts with a lower-bound
 * search for its cursor and then follows rb_next(), so it supports ranges.
 * A put of an existing key swaps the new node into the old one's place with
 * rb_replace_node(): no rebalancing, no change of shape.
 *
 * The tree is augmented (linux/rbtree_augmented.h) with each node's
 * height, the levels of the subtree it roots, kept up to date by every
 * insert, erase and rotation, so the height stat is the root's, read in
 * O(1) without the lock rather than by a walk of the whole tree that
 * would keep writers waiting.
 */
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/rbtree.h>
#include <linux/rbtree_augmented.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "compat.h"
#include "kds.h"

/**
 * struct kds_rb_entry - one key and its value
 * @node: link in kds_rb.root, ordered by @key
 * @key: the key
 * @height: levels of the subtree this node roots (1 for a leaf)
 * @val: the value (kds_entry_new())
 */
struct kds_rb_entry {
	struct rb_node node;
	u64 key;
	u32 height;
	struct kds_value val;
};

#define KDS_RB_HEAD	offsetof(struct kds_rb_entry, val)

/**
 * struct kds_rb - the tree of one store
 * @lock: see below
 * @root: the entries, by key
 * @height: the root's height, or 0 when empty; written under @lock for
 *	writing, read with no lock
 */
struct kds_rb {
	/*
	 * @lock protects @root and every entry in it.  Taken for reading by
	 * get and iter, for writing by put, del and clear; always in process
	 * context, never from an interrupt.  Holders do not sleep: they only
	 * walk the tree and copy a value out (kds_value_out(), which never
	 * sleeps).  Order (kds.h): after the core's mutexes, if held; no
	 * lock is taken inside it: entries are allocated before it, freed
	 * after it.
	 */
	rwlock_t lock;
	struct rb_root root;
	u32 height;
};

static u32 kds_rb_height_of(struct rb_node *n)
{
	return n ? rb_entry(n, struct kds_rb_entry, node)->height : 0;
}

static u32 kds_rb_compute(struct rb_node *n)
{
	return 1 + max(kds_rb_height_of(n->rb_left),
		       kds_rb_height_of(n->rb_right));
}

/*
 * The augment callbacks.  Unlike a subtree maximum, a height changes when
 * a rotation reshapes the subtree, so both rotated nodes are recomputed
 * (the one that went down first), and propagation always goes to @stop.
 * They run under @lock for writing, from kds_rb_insert(), kds_rb_erase()
 * and the rbtree library they call (which does not pass the tree).
 */
static void kds_rb_propagate(struct rb_node *n, struct rb_node *stop)
{
	while (n != stop) {
		rb_entry(n, struct kds_rb_entry, node)->height =
			kds_rb_compute(n);
		n = rb_parent(n);
	}
}

static void kds_rb_copy(struct rb_node *old, struct rb_node *new)
{
	rb_entry(new, struct kds_rb_entry, node)->height =
		rb_entry(old, struct kds_rb_entry, node)->height;
}

static void kds_rb_rotate(struct rb_node *old, struct rb_node *new)
{
	rb_entry(old, struct kds_rb_entry, node)->height = kds_rb_compute(old);
	rb_entry(new, struct kds_rb_entry, node)->height = kds_rb_compute(new);
}

static const struct rb_augment_callbacks kds_rb_heights = {
	.propagate	= kds_rb_propagate,
	.copy		= kds_rb_copy,
	.rotate		= kds_rb_rotate,
};

/*
 * After a change that may have rotated the nodes above @n: every node
 * whose height could be stale is on the path from @n to the root.
 */
static void kds_rb_settle(struct kds_rb *t, struct rb_node *n)
{
	lockdep_assert_held_write(&t->lock);

	kds_rb_propagate(n, NULL);
	WRITE_ONCE(t->height, kds_rb_height_of(t->root.rb_node));
}

/* Link @e, already placed by rb_link_node(), and rebalance. */
static void kds_rb_insert(struct kds_rb *t, struct kds_rb_entry *e)
{
	struct rb_node *n = &e->node;

	lockdep_assert_held_write(&t->lock);

	e->height = 1;
	/* heights right before the rotations, so that they compute right */
	kds_rb_propagate(rb_parent(n), NULL);
	rb_insert_augmented(n, &t->root, &kds_rb_heights);
	kds_rb_settle(t, n);
}

/*
 * Erase @e and rebalance.  The tree loses a node where @e was, or, when
 * @e has two children, where its successor was (the successor takes @e's
 * place): the heights are settled from the parent of that place.
 */
static void kds_rb_erase(struct kds_rb *t, struct kds_rb_entry *e)
{
	struct rb_node *n = &e->node, *next, *from;

	lockdep_assert_held_write(&t->lock);

	if (!n->rb_left || !n->rb_right) {
		from = rb_parent(n);
	} else {
		next = n->rb_right;
		while (next->rb_left)
			next = next->rb_left;
		from = rb_parent(next) == n ? next : rb_parent(next);
	}
	rb_erase_augmented(n, &t->root, &kds_rb_heights);
	kds_rb_settle(t, from);
}

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

	e = kds_entry_new(s, KDS_RB_HEAD, val, len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	e->key = key;

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

	ret = kds_put_admit(s, old, flags);
	if (ret)
		goto unlock;
	if (old) {
		/* same place, same subtree: same height */
		e->height = old->height;
		rb_replace_node(&old->node, &e->node, &t->root);
	} else {
		rb_link_node(&e->node, parent, link);
		kds_rb_insert(t, e);
	}
unlock:
	write_unlock(&t->lock);

	/* the entry not in the tree: the new one on error, else the old */
	kds_entry_free(s, ret ? e : old, KDS_RB_HEAD);
	return ret;
}

static long kds_rb_get(struct kds_store *s, u64 key, struct kds_out *out)
{
	struct kds_rb *t = kds_priv(s);
	struct kds_rb_entry *e;
	long ret = -ENOENT;

	read_lock(&t->lock);
	e = kds_rb_find(t, key);
	if (e)
		ret = kds_value_out(out, &e->val);
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
		kds_rb_erase(t, e);
		kds_store_forget(s);
	}
	write_unlock(&t->lock);

	kds_entry_free(s, e, KDS_RB_HEAD);
	return e ? 0 : -ENOENT;
}

/*
 * Detach the whole tree under the lock, free it outside, giving up the
 * CPU as it goes (a free cannot fail, and stopping half way would leak
 * the detached rest, so a fatal signal does not stop it).
 */
static int kds_rb_clear(struct kds_store *s)
{
	struct kds_rb *t = kds_priv(s);
	struct kds_rb_entry *e, *tmp;
	struct rb_root doomed;

	write_lock(&t->lock);
	doomed = t->root;
	t->root = RB_ROOT;
	WRITE_ONCE(t->height, 0);
	write_unlock(&t->lock);

	rbtree_postorder_for_each_entry_safe(e, tmp, &doomed, node) {
		kds_store_forget(s);
		kds_entry_free(s, e, KDS_RB_HEAD);
		cond_resched();
	}
	return 0;
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
		if (it->steps++ == KDS_ITER_BUDGET ||
		    !kds_iter_emit(it, e->key, kds_value_bytes(&e->val),
				   e->val.len, e->key + 1, 0))
			goto unlock;
		n = rb_next(&e->node);
		e = n ? rb_entry(n, struct kds_rb_entry, node) : NULL;
	}
	it->done = true;
unlock:
	read_unlock(&t->lock);
}

/* The root's height, kept by every change: no walk, no lock. */
static void kds_rb_shape(struct kds_store *s, struct kds_shape *shape)
{
	struct kds_rb *t = kds_priv(s);

	shape->height = READ_ONCE(t->height);
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
