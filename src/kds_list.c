// SPDX-License-Identifier: GPL-2.0
/*
 * kds_list - kds backend on a struct list_head, in insertion order.
 *
 * The simplest structure a store can sit on: every lookup walks the list,
 * so put, get and del cost O(n).  New keys go to the tail; a put of an
 * existing key replaces its node in place, so the key keeps its place in
 * insertion order.
 *
 * Each node carries a sequence number, given when its key is first put and
 * kept across replaces, so sequence numbers strictly increase along the
 * list.  A walk resumes at the first node whose number is at or after its
 * cursor: a node that stays on the list for a whole walk is met once.
 */
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "kds.h"

/**
 * struct kds_list_entry - one key and its value
 * @node: link on kds_list.head
 * @seq: sequence number, strictly increasing along the list
 * @key: the key
 * @val: the value (kds_entry_new())
 */
struct kds_list_entry {
	struct list_head node;
	u64 seq;
	u64 key;
	struct kds_value val;
};

#define KDS_LIST_HEAD	offsetof(struct kds_list_entry, val)

/**
 * struct kds_list - the list of one store
 * @lock: see below
 * @head: the entries, oldest key first
 * @next_seq: sequence number of the next new key
 * @length: entries on @head; changed under @lock, read by shape with no
 *	lock (READ_ONCE)
 */
struct kds_list {
	/*
	 * @lock protects @head, @next_seq, @length and every entry on the
	 * list.  Taken for reading by get and iter, for writing by put, del
	 * and clear; always in process context.  A sleeping lock: every
	 * operation walks the list, so waiters sleep rather than spin.
	 * Order (kds.h): after the core's mutexes, if held; no lock is
	 * taken inside it: entries are allocated before it, freed after it.
	 */
	struct rw_semaphore lock;
	struct list_head head;
	u64 next_seq;
	u64 length;
};

static struct kds_list_entry *kds_list_find(struct kds_list *l, u64 key)
{
	struct kds_list_entry *e;

	lockdep_assert_held(&l->lock);

	list_for_each_entry(e, &l->head, node) {
		if (e->key == key)
			return e;
	}
	return NULL;
}

static int kds_list_init(struct kds_store *s)
{
	struct kds_list *l;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	init_rwsem(&l->lock);
	INIT_LIST_HEAD(&l->head);
	kds_set_priv(s, l);
	return 0;
}

static int kds_list_put(struct kds_store *s, u64 key, const void *val,
			u32 len, u32 flags)
{
	struct kds_list *l = kds_priv(s);
	struct kds_list_entry *e, *old;
	int ret;

	e = kds_entry_new(s, KDS_LIST_HEAD, val, len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	e->key = key;

	down_write(&l->lock);
	old = kds_list_find(l, key);
	ret = kds_put_admit(s, old, flags);
	if (ret)
		goto unlock;
	if (old) {
		/* Same place in insertion order, same cursor position. */
		e->seq = old->seq;
		list_replace(&old->node, &e->node);
	} else {
		e->seq = l->next_seq++;
		list_add_tail(&e->node, &l->head);
		WRITE_ONCE(l->length, l->length + 1);
	}
unlock:
	up_write(&l->lock);

	/* the entry not on the list: the new one on error, else the old */
	kds_entry_free(s, ret ? e : old, KDS_LIST_HEAD);
	return ret;
}

static long kds_list_get(struct kds_store *s, u64 key, struct kds_out *out)
{
	struct kds_list *l = kds_priv(s);
	struct kds_list_entry *e;
	long ret = -ENOENT;

	down_read(&l->lock);
	e = kds_list_find(l, key);
	if (e)
		ret = kds_value_out(out, &e->val);
	up_read(&l->lock);
	return ret;
}

static int kds_list_del(struct kds_store *s, u64 key)
{
	struct kds_list *l = kds_priv(s);
	struct kds_list_entry *e;

	down_write(&l->lock);
	e = kds_list_find(l, key);
	if (e) {
		list_del(&e->node);
		WRITE_ONCE(l->length, l->length - 1);
		kds_store_forget(s);
	}
	up_write(&l->lock);

	kds_entry_free(s, e, KDS_LIST_HEAD);
	return e ? 0 : -ENOENT;
}

/* Detach the whole list under the lock, free it outside. */
static int kds_list_clear(struct kds_store *s)
{
	struct kds_list *l = kds_priv(s);
	struct kds_list_entry *e, *tmp;
	LIST_HEAD(doomed);

	down_write(&l->lock);
	list_splice_init(&l->head, &doomed);
	WRITE_ONCE(l->length, 0);
	up_write(&l->lock);

	list_for_each_entry_safe(e, tmp, &doomed, node) {
		kds_store_forget(s);
		kds_entry_free(s, e, KDS_LIST_HEAD);
		cond_resched();
	}
	return 0;
}

static void kds_list_destroy(struct kds_store *s)
{
	struct kds_list *l = kds_priv(s);

	kds_list_clear(s);
	kfree(l);
}

static void kds_list_iter(struct kds_store *s, struct kds_iter *it)
{
	struct kds_list *l = kds_priv(s);
	struct kds_list_entry *e;

	/*
	 * Finding the cursor costs a walk from the head: the list's O(n)
	 * per call, not held to the budget, which only bounds what one call
	 * emits (the cursor cannot move while nodes are skipped).
	 */
	down_read(&l->lock);
	list_for_each_entry(e, &l->head, node) {
		it->steps++;
		if (e->seq < it->pos)
			continue;
		if (it->count == KDS_ITER_BUDGET ||
		    !kds_iter_emit(it, e->key, kds_value_bytes(&e->val),
				   e->val.len, e->seq + 1, 0))
			goto unlock;
	}
	it->done = true;
unlock:
	up_read(&l->lock);
}

static void kds_list_shape(struct kds_store *s, struct kds_shape *shape)
{
	struct kds_list *l = kds_priv(s);

	shape->length = READ_ONCE(l->length);
}

KDS_DEFINE_FOPS(kds_list_fops);

VISIBLE_IF_KUNIT const struct kds_ops kds_list_ops = {
	.name		= "list",
	.features	= 0,
	.shape_kind	= KDS_SHAPE_LENGTH,
	.init		= kds_list_init,
	.destroy	= kds_list_destroy,
	.put		= kds_list_put,
	.get		= kds_list_get,
	.del		= kds_list_del,
	.clear		= kds_list_clear,
	.iter		= kds_list_iter,
	.shape		= kds_list_shape,
	.fops		= &kds_list_fops,
};
EXPORT_SYMBOL_IF_KUNIT(kds_list_ops);

KDS_BACKEND_MODULE(kds_list_ops);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kds developers");
MODULE_DESCRIPTION("kds backend on struct list_head (insertion order)");
MODULE_VERSION(KDS_VERSION);
