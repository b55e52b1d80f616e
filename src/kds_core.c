// SPDX-License-Identifier: GPL-2.0
/*
 * kds - kernel data structures behind a misc device: the core.
 *
 * The core owns what user space sees: one misc device per backend, its file
 * operations, the limits (module parameters) and the counters.  A backend
 * registers a struct kds_ops with kds_register() and gets a store; from then
 * on every call into the backend comes from here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "kds_internal.h"

#define KDS_MAX_ENTRIES_DEFAULT		1048576UL
/* 2^32, or on a 32-bit kernel the most an unsigned long holds */
#define KDS_MAX_ENTRIES_LIMIT		min_t(u64, BIT_ULL(32), ULONG_MAX)
#define KDS_MAX_VALUE_SIZE_DEFAULT	4096U

unsigned long kds_max_entries = KDS_MAX_ENTRIES_DEFAULT;
module_param_named(max_entries, kds_max_entries, ulong, 0444);
MODULE_PARM_DESC(max_entries,
		 "entries one store may hold, 1..4294967296 (1..4294967295 on 32-bit; default 1048576)");

unsigned int kds_max_value_size = KDS_MAX_VALUE_SIZE_DEFAULT;
module_param_named(max_value_size, kds_max_value_size, uint, 0444);
MODULE_PARM_DESC(max_value_size,
		 "longest value in bytes, 1..1048576 (default 4096)");

unsigned long kds_max_bytes;
module_param_named(max_bytes, kds_max_bytes, ulong, 0444);
MODULE_PARM_DESC(max_bytes,
		 "bytes all stores together may hold, as the kernel allocates them; 0: 1/8 of RAM (default)");

/*
 * Bytes every store together holds: the sum that kds.max_bytes bounds.
 * No lock: an atomic, which the writers of every store change.
 */
static atomic_long_t kds_bytes_held = ATOMIC_LONG_INIT(0);

/**
 * kds_put_admit - decide a put once its backend has looked the key up
 * @s: the store
 * @old: the entry that holds the key now, or NULL
 * @flags: the put's KDS_PUT_* flags
 *
 * The backend calls it under its write lock, between its lookup and its
 * link, so that no other writer comes in between.  A new key raises the
 * entry count unless the store already holds kds.max_entries, exactly
 * even when writers on several CPUs race; a backend that then fails to
 * link the entry undoes that with kds_store_forget().
 *
 * Return: 0 to go on (replace @old, or link the new key), -EEXIST
 * (KDS_PUT_NOREPLACE and the key is there) or -ENOSPC (the store is full).
 */
int kds_put_admit(struct kds_store *s, const void *old, u32 flags)
{
	if (old)
		return flags & KDS_PUT_NOREPLACE ? -EEXIST : 0;
	if (!atomic_long_add_unless(&s->nr_entries, 1, kds_max_entries))
		return -ENOSPC;
	return 0;
}
EXPORT_SYMBOL_GPL(kds_put_admit);

/**
 * kds_store_forget - account one entry that left a store
 * @s: the store
 *
 * The reverse of kds_put_admit() for a new key, for every entry that
 * leaves the store (delete, clear, destroy) and for a new key the backend
 * could not link.
 */
void kds_store_forget(struct kds_store *s)
{
	atomic_long_dec(&s->nr_entries);
}
EXPORT_SYMBOL_GPL(kds_store_forget);

/**
 * kds_mem_charge - count memory a store is about to hold
 * @s: the store
 * @bytes: bytes, as the kernel allocates them
 * @force: count them even past kds.max_bytes (memory a structure has
 *	already allocated, such as xarray nodes)
 *
 * Every store together may hold kds.max_bytes.  The sum is raised first
 * and lowered again if that went past the limit, so that writers racing
 * on several CPUs never hold more than the limit together.
 *
 * Return: 0, or -ENOSPC (nothing counted).
 */
int kds_mem_charge(struct kds_store *s, long bytes, bool force)
{
	if (atomic_long_add_return(bytes, &kds_bytes_held) > kds_max_bytes &&
	    !force) {
		atomic_long_sub(bytes, &kds_bytes_held);
		return -ENOSPC;
	}
	atomic_long_add(bytes, &s->nr_bytes);
	return 0;
}
EXPORT_SYMBOL_GPL(kds_mem_charge);

/**
 * kds_mem_uncharge - count memory a store no longer holds
 * @s: the store
 * @bytes: what kds_mem_charge() counted for it
 */
void kds_mem_uncharge(struct kds_store *s, long bytes)
{
	atomic_long_sub(bytes, &s->nr_bytes);
	atomic_long_sub(bytes, &kds_bytes_held);
}
EXPORT_SYMBOL_GPL(kds_mem_uncharge);

/*
 * Entries up to KMALLOC_MAX_CACHE_SIZE come from the slab (kvmalloc);
 * larger ones from vmalloc directly, because kmalloc would round them up
 * to a power of two pages (a 1 MiB value would take 2 MiB) where vmalloc
 * takes whole pages.  May sleep.
 */
static void *kds_alloc(size_t size)
{
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kvmalloc(size, KDS_GFP);
	return __vmalloc(size, KDS_GFP);
}

/* What an allocation of @size bytes by kds_alloc() takes. */
static size_t kds_footprint(size_t size)
{
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_size_roundup(size);
	return PAGE_ALIGN(size);
}

/* An entry of at most this many bytes keeps its value inline. */
#define KDS_ENTRY_INLINE_MAX	256

/*
 * Bytes of the entry before the value's bytes, and of the entry when the
 * value is kept apart.
 */
#define KDS_INLINE_HEAD(head)	((head) + offsetof(struct kds_value, data))
#define KDS_APART_SIZE(head)	((head) + sizeof(struct kds_value))

/*
 * Should a value of @len bytes live apart from an entry of @head bytes
 * before its struct kds_value?  The slab rounds an allocation up to its
 * size class: a header of a few dozen bytes with a 1-KiB value in one
 * allocation takes 2 KiB, while the two apart take 64 bytes and exactly
 * 1 KiB.  Entries up to KDS_ENTRY_INLINE_MAX bytes stay whole without
 * asking: the few bytes saved there are not worth a second allocation
 * and a pointer to follow on every lookup.
 */
static bool kds_keep_apart(size_t head, u32 len)
{
	size_t whole = KDS_INLINE_HEAD(head) + len;

	return whole > KDS_ENTRY_INLINE_MAX &&
	       kds_footprint(whole) >
	       kds_footprint(KDS_APART_SIZE(head)) + kds_footprint(len);
}

/* The bytes an entry of @head bytes with a value of @len bytes takes. */
static size_t kds_entry_bytes(size_t head, u32 len, bool apart)
{
	if (apart)
		return kds_footprint(KDS_APART_SIZE(head)) + kds_footprint(len);
	return kds_footprint(KDS_INLINE_HEAD(head) + len);
}

static struct kds_value *kds_entry_value(const void *entry, size_t head)
{
	return (struct kds_value *)((const u8 *)entry + head);
}

/**
 * kds_entry_new - allocate a backend's entry holding a copy of a value
 * @s: the store it is for
 * @head: bytes of the entry before its struct kds_value (offsetof())
 * @val: the value
 * @len: its length
 *
 * Charged to the caller's memory cgroup and counted against
 * kds.max_bytes (kds_mem_charge()).  The entry's struct kds_value is
 * filled; the bytes before it are the backend's to fill.  May sleep: call
 * it before taking a spinlock or entering an RCU read-side section.
 *
 * Return: the entry, ERR_PTR(-ENOSPC) past kds.max_bytes or
 * ERR_PTR(-ENOMEM).
 */
void *kds_entry_new(struct kds_store *s, size_t head, const void *val,
		    u32 len)
{
	bool apart = kds_keep_apart(head, len);
	struct kds_value *v;
	void *entry;
	u8 *ext = NULL;
	int ret;

	ret = kds_mem_charge(s, kds_entry_bytes(head, len, apart), false);
	if (ret)
		return ERR_PTR(ret);
	if (apart) {
		ext = kds_alloc(len);
		if (!ext)
			goto err_uncharge;
		entry = kds_alloc(KDS_APART_SIZE(head));
	} else {
		entry = kds_alloc(KDS_INLINE_HEAD(head) + len);
	}
	if (!entry)
		goto err_free_ext;

	v = kds_entry_value(entry, head);
	v->len = len;
	v->apart = apart;
	v->head = head;
	if (apart)
		v->ext = ext;
	memcpy(apart ? ext : v->data, val, len);
	return entry;

err_free_ext:
	kvfree(ext);
err_uncharge:
	kds_mem_uncharge(s, kds_entry_bytes(head, len, apart));
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_GPL(kds_entry_new);

/* Stop counting the memory of an entry from kds_entry_new(). */
static void kds_entry_uncharge(struct kds_store *s, const void *entry,
			       size_t head)
{
	const struct kds_value *v = kds_entry_value(entry, head);

	kds_mem_uncharge(s, kds_entry_bytes(head, v->len, v->apart));
}

/* Free an entry whose memory is no longer counted; safe in RCU callbacks. */
static void kds_entry_release(void *entry, size_t head)
{
	struct kds_value *v = kds_entry_value(entry, head);

	if (v->apart)
		kvfree(v->ext);
	kvfree(entry);
}

/**
 * kds_entry_free - free an entry no reader can see, and stop counting it
 * @s: the store
 * @entry: an entry from kds_entry_new(), or an ERR_PTR() or NULL
 * @head: as given to kds_entry_new()
 */
void kds_entry_free(struct kds_store *s, void *entry, size_t head)
{
	if (IS_ERR_OR_NULL(entry))
		return;
	kds_entry_uncharge(s, entry, head);
	kds_entry_release(entry, head);
}
EXPORT_SYMBOL_GPL(kds_entry_free);

/*
 * The RCU callback of kds_entry_free_rcu(): the entry's struct rcu_head
 * is followed by its struct kds_value, which tells where the entry starts.
 */
static void kds_entry_free_rcu_cb(struct rcu_head *rcu)
{
	struct kds_value *v = (struct kds_value *)(rcu + 1);

	kds_entry_release((u8 *)v - v->head, v->head);
}

/**
 * kds_entry_free_rcu - free an unlinked entry once no reader can see it
 * @s: the store
 * @entry: an entry from kds_entry_new(), unlinked; or NULL
 * @head: as given to kds_entry_new()
 *
 * For the backends whose readers walk under rcu_read_lock(): the entry's
 * memory stops counting now, and it is freed after a grace period, by a
 * callback of the core (kds_unregister() waits for those).  The entry must
 * have a struct rcu_head right before its struct kds_value.  Takes no
 * lock and allocates nothing: safe under a spinlock.
 */
void kds_entry_free_rcu(struct kds_store *s, void *entry, size_t head)
{
	if (!entry)
		return;
	kds_entry_uncharge(s, entry, head);
	call_rcu((struct rcu_head *)kds_entry_value(entry, head) - 1,
		 kds_entry_free_rcu_cb);
}
EXPORT_SYMBOL_GPL(kds_entry_free_rcu);

/**
 * kds_iter_emit - hand one entry of a walk to the frontend
 * @it: the walk
 * @key: the entry's key
 * @val: its value
 * @len: value length
 * @pos: the cursor that follows this entry
 * @pos2: second word of that cursor
 *
 * The frontend's @it->emit formats the entry; the cursor moves to (@pos,
 * @pos2) only for an entry it took.
 *
 * Return: true if the entry was taken, false to stop the walk here.
 */
bool kds_iter_emit(struct kds_iter *it, u64 key, const void *val, u32 len,
		   u64 pos, u64 pos2)
{
	if (!it->emit(it, key, val, len)) {
		it->stopped = true;
		return false;
	}
	it->pos = pos;
	it->pos2 = pos2;
	it->count++;
	return true;
}
EXPORT_SYMBOL_GPL(kds_iter_emit);

/* Operations shared by the text protocol and the ioctls; they count. */

int kds_op_put(struct kds_store *s, u64 key, const void *val, u32 len,
	       u32 flags)
{
	int ret;

	if (len > kds_max_value_size)
		return -E2BIG;
	ret = s->ops->put(s, key, val, len, flags);
	if (!ret)
		this_cpu_inc(s->stats->puts);
	return ret;
}

int kds_op_del(struct kds_store *s, u64 key)
{
	int ret;

	ret = s->ops->del(s, key);
	if (!ret)
		this_cpu_inc(s->stats->dels);
	return ret;
}

int kds_op_clear(struct kds_store *s)
{
	int ret;

	ret = s->ops->clear(s);
	if (!ret)
		this_cpu_inc(s->stats->clears);
	return ret;
}

/**
 * kds_iter_run - one call of the backend's walk
 * @s: the store
 * @it: the walk, with its @emit set
 *
 * Return: 0 when the call took entries, stopped on one the frontend had
 * no room for, or ended the walk; -EAGAIN when it spent its budget of
 * steps on nothing and the CPU was given up before the caller calls
 * again; -EINTR when a fatal signal came meanwhile.
 */
int kds_iter_run(struct kds_store *s, struct kds_iter *it)
{
	it->steps = 0;
	it->count = 0;
	it->stopped = false;
	s->ops->iter(s, it);
	atomic64_add(it->steps, &s->walk_steps);
	if (it->count || it->stopped || it->done)
		return 0;
	cond_resched();
	return fatal_signal_pending(current) ? -EINTR : -EAGAIN;
}

/*
 * Fill every output field of @st; its size and flags are left alone.
 * Counters are summed over CPUs without stopping writers: each sum is a
 * moment's snapshot, good for statistics.  The shape fields, which may
 * walk the structure (a hash table's buckets), only with @with_shape;
 * else they and st->shape read 0.
 */
void kds_stats_fill(struct kds_store *s, struct kds_stats *st,
		    bool with_shape)
{
	struct kds_pcpu_stats sum = {};
	struct kds_shape shape = {};
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct kds_pcpu_stats *p = per_cpu_ptr(s->stats, cpu);

		sum.puts += READ_ONCE(p->puts);
		sum.gets += READ_ONCE(p->gets);
		sum.hits += READ_ONCE(p->hits);
		sum.dels += READ_ONCE(p->dels);
		sum.clears += READ_ONCE(p->clears);
		sum.errors += READ_ONCE(p->errors);
	}
	st->shape = 0;
	if (with_shape && s->ops->shape) {
		s->ops->shape(s, &shape);
		st->shape = s->ops->shape_kind;
	}

	st->entries = atomic_long_read(&s->nr_entries);
	st->bytes = atomic_long_read(&s->nr_bytes);
	st->puts = sum.puts;
	st->gets = sum.gets;
	st->hits = sum.hits;
	st->dels = sum.dels;
	st->clears = sum.clears;
	st->errors = sum.errors;
	st->reserved = 0;
	st->length = shape.length;
	st->longest_chain = shape.longest_chain;
	st->buckets_used = shape.buckets_used;
	st->buckets = shape.buckets;
	st->height = shape.height;
}

static int kds_ops_check(const struct kds_ops *ops)
{
	if (!ops->name || !ops->name[0] ||
	    strlen(ops->name) >= sizeof_field(struct kds_api, backend))
		return -EINVAL;
	if (!ops->init || !ops->destroy || !ops->put || !ops->get ||
	    !ops->del || !ops->clear || !ops->iter)
		return -EINVAL;
	/* The backend's KDS_DEFINE_FOPS() table: owned by it, run by us. */
	if (!ops->fops || !ops->fops->owner || ops->fops->open != kds_open)
		return -EINVAL;
	if (ops->shape_kind && !ops->shape)
		return -EINVAL;
	switch (ops->shape_kind) {
	case 0:
	case KDS_SHAPE_LENGTH:
	case KDS_SHAPE_CHAIN:
	case KDS_SHAPE_HEIGHT:
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * kds_register - register a backend and create its device
 * @ops: the backend's operations (static, outlives the store); @ops->fops
 *	comes from KDS_DEFINE_FOPS() in the backend, so an open file of the
 *	device pins the backend module
 *
 * Allocates the store, lets the backend build its empty structure
 * (@ops->init) and registers the misc device "kds-<name>" with node
 * /dev/kds/<name>.
 *
 * Return: the store, or an ERR_PTR(): -EINVAL for an incomplete @ops,
 * -ENOMEM, or what @ops->init or misc_register() returned.
 */
struct kds_store *kds_register(const struct kds_ops *ops)
{
	struct kds_store *s;
	int ret;

	ret = kds_ops_check(ops);
	if (ret) {
		pr_err("kds-%s: incomplete or invalid kds_ops\n",
		       ops->name ? ops->name : "(null)");
		return ERR_PTR(ret);
	}

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->ops = ops;
	atomic_long_set(&s->nr_entries, 0);
	atomic_long_set(&s->nr_bytes, 0);
	atomic64_set(&s->walk_steps, 0);

	s->stats = alloc_percpu(struct kds_pcpu_stats);
	if (!s->stats) {
		ret = -ENOMEM;
		goto err_free_store;
	}

	ret = ops->init(s);
	if (ret)
		goto err_free_stats;

	snprintf(s->devname, sizeof(s->devname), "kds-%s", ops->name);
	snprintf(s->nodename, sizeof(s->nodename), "kds/%s", ops->name);
	s->misc.minor = MISC_DYNAMIC_MINOR;
	s->misc.name = s->devname;
	s->misc.nodename = s->nodename;
	s->misc.fops = ops->fops;
	s->misc.groups = kds_attr_groups;
	s->misc.mode = 0600;

	ret = misc_register(&s->misc);
	if (ret)
		goto err_destroy;
	kds_debugfs_add(s);
	return s;

err_destroy:
	ops->destroy(s);
err_free_stats:
	free_percpu(s->stats);
err_free_store:
	kfree(s);
	pr_err("kds-%s: registration failed: %d\n", ops->name, ret);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(kds_register);

/**
 * kds_unregister - remove a backend's device and free its store
 * @s: the store from kds_register()
 *
 * Called from the backend's module exit: no file of the device is open
 * (each would hold a reference on the backend module), so nobody can be
 * inside the store.  Undoes kds_register() in reverse order, and waits
 * for the entries that wait for a grace period (kds_entry_free_rcu()):
 * once a backend's module is gone, so is all of its memory, and the
 * core's callback has no call left to make.
 */
void kds_unregister(struct kds_store *s)
{
	kds_debugfs_remove(s);
	misc_deregister(&s->misc);
	s->ops->destroy(s);
	rcu_barrier();
	free_percpu(s->stats);
	kfree(s);
}
EXPORT_SYMBOL_GPL(kds_unregister);

static int kds_params_check(void)
{
	unsigned long ram = min_t(u64, (u64)totalram_pages() << PAGE_SHIFT,
				  ULONG_MAX);
	int ret = 0;

	if (kds_max_entries < 1 ||
	    (u64)kds_max_entries > KDS_MAX_ENTRIES_LIMIT) {
		pr_err("max_entries=%lu is out of range (valid 1..%llu)\n",
		       kds_max_entries, (u64)KDS_MAX_ENTRIES_LIMIT);
		ret = -EINVAL;
	}
	if (kds_max_value_size < 1 ||
	    kds_max_value_size > KDS_VALUE_SIZE_LIMIT) {
		pr_err("max_value_size=%u is out of range (valid 1..%u)\n",
		       kds_max_value_size, KDS_VALUE_SIZE_LIMIT);
		ret = -EINVAL;
	}
	if (!kds_max_bytes)
		kds_max_bytes = ram / 8;
	if (kds_max_bytes > ram) {
		pr_err("max_bytes=%lu is out of range (valid 1..%lu, the RAM; 0 for 1/8 of it)\n",
		       kds_max_bytes, ram);
		ret = -EINVAL;
	}
	return ret;
}

static int __init kds_init(void)
{
	int ret;

	/* Stores are created by the backends; the core checks limits. */
	ret = kds_params_check();
	if (ret)
		return ret;
	kds_debugfs_init();
	return 0;
}

static void __exit kds_exit(void)
{
	/* Every backend unregistered before kds can go. */
	kds_debugfs_exit();
}

module_init(kds_init);
module_exit(kds_exit);

MODULE_DESCRIPTION("kds: kernel data structures behind a misc device (core)");
MODULE_AUTHOR("kds developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KDS_VERSION);
