/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kds - the core's registration API for backend modules.
 *
 * The core (module kds) owns everything user space sees: the misc device,
 * its file operations (text protocol, ioctls, llseek), limits, counters
 * and sysfs.  A backend (module kds_<name>) owns one data structure and
 * hands the core a struct kds_ops; the core never knows which structure
 * it drives.
 *
 * Rules every backend follows:
 *  - put/get/del/clear/iter may run concurrently from many CPUs; each
 *    backend documents its lock beside its data.
 *  - Callbacks are called in process context with no spinlock held.  The
 *    core may hold a mutex around them: a text dump its seq_file's mutex
 *    around iter (in read()), the debugfs loop its own mutex around put,
 *    get and del.  Lock order: those mutexes, then the backend's lock,
 *    then the structure's own (xa_lock, a maple tree's spinlock); RCU
 *    readers take none, and a backend takes no lock of the core's.  As
 *    those are mutexes, a callback may sleep where its backend allows.
 *  - No callback copies from user space: values arrive in kernel
 *    buffers.  A get hands its value to kds_value_out(), which writes it
 *    where the core said: a kernel buffer, or the caller's user buffer
 *    with page faults disabled (copy_to_user_nofault(), which never
 *    sleeps); the core copies a value that could not be written so
 *    through a kernel buffer after the backend's lock is dropped.
 *  - get and iter run in atomic context if the backend's read side is
 *    RCU or a spinlock: they must not sleep, so they only copy a value
 *    out through kds_value_out().
 *  - put allocates its entry with kds_entry_new() before taking its
 *    write lock (the memory is charged to the caller's memory cgroup and
 *    counted against kds.max_bytes), looks its key up under that lock and
 *    lets kds_put_admit() decide (KDS_PUT_NOREPLACE, kds.max_entries)
 *    before it links the entry; it frees the entry with kds_entry_free()
 *    if it is not used.  Every entry ends with a struct kds_value.
 *  - Every entry that leaves the store goes through kds_store_forget(),
 *    and its memory through kds_entry_free(), or kds_entry_free_rcu()
 *    where readers may still see it.
 *  - Memory a structure allocates itself (xarray and maple nodes) is
 *    counted with kds_mem_charge() and kds_mem_uncharge().
 *  - Loops over user-chosen data are bounded: a walk stops after
 *    KDS_ITER_BUDGET steps, a clear gives the CPU up between chunks and
 *    stops on a fatal signal.
 */
#ifndef _KDS_H
#define _KDS_H

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/uaccess.h>
#include <uapi/linux/kds.h>

/*
 * How kds allocates what a user's call causes: charged to the caller's
 * memory cgroup, and failing with NULL (ENOMEM) after reclaim rather than
 * waking the OOM killer or warning in the kernel log.
 */
#define KDS_GFP		(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* Steps (entries and empty slots looked at) of one call of kds_ops.iter. */
#define KDS_ITER_BUDGET	4096

struct kds_store;
struct kds_iter;
struct kds_out;
struct kds_kloop;
struct io_uring_cmd;

/**
 * struct kds_shape - the structure's shape, for sysfs and KDS_IOC_STATS
 * @length: list: number of nodes on the list
 * @longest_chain: hash: entries in the longest bucket
 * @buckets_used: hash: buckets holding at least one entry
 * @buckets: hash: number of buckets (2^bits)
 * @height: rbtree, xarray, maple: levels from root to deepest leaf
 *
 * A backend fills only the fields that apply to it.
 */
struct kds_shape {
	u64 length;
	u64 longest_chain;
	u64 buckets_used;
	u64 buckets;
	u64 height;
};

/**
 * struct kds_ops - what a backend provides to the core
 * @name: backend name: device "kds-<name>", node /dev/kds/<name>
 * @features: KDS_FEAT_* bits of the uapi (KDS_FEAT_RANGE for backends
 *	that keep key order)
 * @shape_kind: the one KDS_SHAPE_* bit of the uapi naming the fields of
 *	struct kds_shape that @shape fills (the sysfs attributes shown and
 *	the KDS_IOC_STATS fields filled)
 * @init: allocate the empty structure; store its pointer with
 *	kds_set_priv().  Returns 0 or -errno.
 * @destroy: free every entry and the structure; runs after the device is
 *	gone, with no caller left.
 * @put: insert @key with a copy of @len bytes at @val, or replace its
 *	value.  With KDS_PUT_NOREPLACE in @flags, -EEXIST if present.
 *	Returns 0, -ENOSPC (kds.max_bytes or kds.max_entries), -EEXIST or
 *	-ENOMEM, and leaves the store unchanged on error.
 * @get: hand @key's value to kds_value_out() with @out, under the
 *	backend's read-side lock, and return what it returns (the value's
 *	length), or -ENOENT.
 * @del: remove @key: 0 or -ENOENT.
 * @clear: remove every entry: 0, or -ENOMEM or -EINTR (a fatal signal)
 *	with the entries not yet removed left whole.
 * @iter: call kds_iter_emit() for each entry at or after the cursor in
 *	@it, in iteration order, until it returns false, the entries end
 *	(then set @it->done) or KDS_ITER_BUDGET steps are spent; see struct
 *	kds_iter.
 * @shape: fill @shape.
 * @fops: the device's file operations, defined in the backend with
 *	KDS_DEFINE_FOPS() so that an open file pins the backend module.
 */
struct kds_ops {
	const char *name;
	u32 features;
	u32 shape_kind;
	int (*init)(struct kds_store *s);
	void (*destroy)(struct kds_store *s);
	int (*put)(struct kds_store *s, u64 key, const void *val, u32 len,
		   u32 flags);
	long (*get)(struct kds_store *s, u64 key, struct kds_out *out);
	int (*del)(struct kds_store *s, u64 key);
	int (*clear)(struct kds_store *s);
	void (*iter)(struct kds_store *s, struct kds_iter *it);
	void (*shape)(struct kds_store *s, struct kds_shape *shape);
	const struct file_operations *fops;
};

/**
 * struct kds_iter - a resumable walk over a store
 * @pos: the backend's cursor, first word: where to resume (inclusive).
 *	Ordered backends: the first key to visit.  Hash: the bucket.
 *	List: the sequence number of the first node to visit.
 * @pos2: second word of the cursor (hash: the first key to visit within
 *	bucket @pos, in key order); 0 for the others.
 * @hi: ordered backends stop after the last key <= @hi.
 * @done: set by the backend when no entry is left after the cursor.
 * @steps: entries and empty slots (hash buckets) the backend looked at in
 *	this call; the core adds them to the store's walk_steps (debugfs).
 *	Once they reach KDS_ITER_BUDGET the backend may return with @done
 *	false; if it emitted nothing in this call it first moves the cursor
 *	to where it stopped, and the core, after giving up the CPU, calls
 *	again.
 *
 * @emit: set by the frontend that walks (the text dump, KDS_IOC_RANGE):
 *	takes one entry in its own format, or returns false when it has no
 *	room for it.  Called by kds_iter_emit() only, in the backend's
 *	read-side section: it may not sleep, so it only copies.
 * @count: entries taken in this call (set by the core)
 * @stopped: @emit refused an entry in this call (set by the core)
 *
 * The frontend embeds the walk in its own state, sets @emit and the
 * cursor (everything zero, and @hi = U64_MAX for a dump) and calls
 * kds_iter_run().  The backend passes to kds_iter_emit() the cursor that
 * follows each entry; it is stored only if the entry was taken, so an
 * entry that did not fit is visited again by the next call.  An entry
 * that stays in the store for a whole walk is emitted exactly once.
 */
struct kds_iter {
	u64 pos;
	u64 pos2;
	u64 hi;
	bool done;
	u64 steps;
	bool (*emit)(struct kds_iter *it, u64 key, const void *val, u32 len);
	u32 count;
	bool stopped;
};

/**
 * kds_iter_emit - hand one entry of a walk to the frontend
 * @it: the walk
 * @key: the entry's key
 * @val: its value (kernel memory, stable while the backend holds it)
 * @len: value length
 * @pos: the cursor that follows this entry
 * @pos2: second word of that cursor
 *
 * Return: true if the entry was taken (the walk may go on), false to
 * stop the walk here; the entry will be offered again next time.
 * Only copies: safe in atomic context.
 */
bool kds_iter_emit(struct kds_iter *it, u64 key, const void *val, u32 len,
		   u64 pos, u64 pos2);

/**
 * struct kds_pcpu_stats - per-CPU operation counters of one store
 * @puts: successful puts
 * @gets: gets (hits and misses)
 * @hits: gets that found their key
 * @dels: successful deletes
 * @clears: clears
 * @errors: operations refused with an errno
 *
 * Per CPU so that readers on many CPUs never share a cache line.
 */
struct kds_pcpu_stats {
	u64 puts;
	u64 gets;
	u64 hits;
	u64 dels;
	u64 clears;
	u64 errors;
};

/**
 * struct kds_store - one backend's store and its device
 * @ops: the backend
 * @priv: the backend's structure (kds_set_priv())
 * @nr_entries: entries in the store; raised only by kds_put_admit()
 * @nr_bytes: bytes the store holds as the kernel allocated them: entries,
 *	values and structure nodes, rounded up to their slab size
 * @walk_steps: steps of every walk so far (struct kds_iter), for debugfs
 * @stats: per-CPU counters
 * @misc: the misc device "kds-<name>"
 * @devname: "kds-<name>"
 * @nodename: "kds/<name>"
 * @kloop: the in-kernel loop's debugfs state (kds_debugfs.c), or NULL
 *
 * No lock: nr_entries and nr_bytes are atomics, which writers change
 * with or without their backend's lock held (a clear frees what it has
 * detached) and readers read without one.
 */
struct kds_store {
	const struct kds_ops *ops;
	void *priv;
	atomic_long_t nr_entries;
	atomic_long_t nr_bytes;
	atomic64_t walk_steps;
	struct kds_pcpu_stats __percpu *stats;
	struct miscdevice misc;
	char devname[24];
	char nodename[24];
	struct kds_kloop *kloop;
};

static inline void kds_set_priv(struct kds_store *s, void *priv)
{
	s->priv = priv;
}

static inline void *kds_priv(struct kds_store *s)
{
	return s->priv;
}

struct kds_store *kds_register(const struct kds_ops *ops);
void kds_unregister(struct kds_store *s);

/* The file operations of every kds device, implemented by the core. */
int kds_open(struct inode *inode, struct file *file);
int kds_release(struct inode *inode, struct file *file);
ssize_t kds_text_write(struct file *file, const char __user *ubuf,
		       size_t count, loff_t *ppos);
int kds_text_flush(struct file *file, fl_owner_t id);
loff_t kds_llseek(struct file *file, loff_t offset, int whence);
long kds_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int kds_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

/**
 * KDS_DEFINE_FOPS - define a backend's file operations
 * @name: the static const struct file_operations to define
 *
 * The core implements every operation; the table lives in the backend
 * module so that .owner is the backend: while a file of the device is
 * open, the backend module cannot be unloaded.
 */
#define KDS_DEFINE_FOPS(name)						\
static const struct file_operations name = {				\
	.owner		= THIS_MODULE,					\
	.open		= kds_open,					\
	.release	= kds_release,					\
	.read		= seq_read,					\
	.write		= kds_text_write,				\
	.flush		= kds_text_flush,				\
	.llseek		= kds_llseek,					\
	.unlocked_ioctl	= kds_ioctl,					\
	.compat_ioctl	= compat_ptr_ioctl,				\
	.uring_cmd	= kds_uring_cmd,				\
}

/**
 * KDS_BACKEND_MODULE - define a backend module's init and exit
 * @ops: the backend's struct kds_ops
 *
 * A backend module does nothing at load but register its store (creating
 * /dev/kds/<name>) and nothing at unload but remove it; a load fails with
 * what kds_register() returned.  Like module_platform_driver().
 */
#define KDS_BACKEND_MODULE(ops)						\
static struct kds_store *ops##_store;					\
static int __init ops##_module_init(void)				\
{									\
	ops##_store = kds_register(&(ops));				\
	return PTR_ERR_OR_ZERO(ops##_store);				\
}									\
module_init(ops##_module_init);						\
static void __exit ops##_module_exit(void)				\
{									\
	kds_unregister(ops##_store);					\
}									\
module_exit(ops##_module_exit)

/**
 * struct kds_value - a value as an entry holds it
 * @len: bytes of the value
 * @apart: the bytes are in an allocation of their own, at @ext
 * @head: bytes of the entry before this struct (kds_entry_new()'s @head),
 *	by which kds_entry_free_rcu()'s callback finds the entry
 * @ext: the bytes, when @apart
 * @data: the bytes, when not @apart
 *
 * The last member of every backend's entry, filled by kds_entry_new().
 * A value stays in the entry's own allocation when that costs no more
 * memory than two; otherwise (a 1-KiB value would round a 40-byte entry
 * up to 2 KiB) the entry points to an allocation of the value's size.
 */
struct kds_value {
	u32 len;
	bool apart;
	u16 head;
	union {
		u8 *ext;
		DECLARE_FLEX_ARRAY(u8, data);
	};
};

/* The bytes of @v. */
static inline const u8 *kds_value_bytes(const struct kds_value *v)
{
	return v->apart ? v->ext : v->data;
}

/**
 * struct kds_out - where a get's value goes (the core fills it)
 * @kbuf: a kernel buffer
 * @kcap: its size: a value of at most @kcap bytes is copied there
 * @ubuf: the caller's buffer in user space, or NULL
 * @ucap: its size: a longer value (than @kcap) of at most @ucap bytes is
 *	written there, with page faults disabled
 * @faulted: set by kds_value_out() when @ubuf could not be written so
 *
 * An ioctl get takes a small value through @kbuf on its stack, and
 * writes a larger one once, from the entry straight to the caller, under
 * the backend's read-side lock: copy_to_user_nofault() never sleeps (it
 * is allowed under RCU and spinlocks) and fails on a page not present.
 * Only then does the core read the value again into a kernel buffer, for
 * a copy_to_user() that may fault with no lock held.  A value that fits
 * neither is not copied: the caller, told its length, decides (ERANGE,
 * or a larger buffer).
 */
struct kds_out {
	void *kbuf;
	u32 kcap;
	u32 ucap;
	void __user *ubuf;
	bool faulted;
};

/**
 * kds_value_out - copy a value found by a backend's get where @out says
 * @out: the destination
 * @v: the value
 *
 * Never sleeps.
 *
 * Return: the value's length, for the get to return.
 */
static inline long kds_value_out(struct kds_out *out, const struct kds_value *v)
{
	if (v->len <= out->kcap)
		memcpy(out->kbuf, kds_value_bytes(v), v->len);
	else if (v->len <= out->ucap &&
		 copy_to_user_nofault(out->ubuf, kds_value_bytes(v), v->len))
		out->faulted = true;
	return v->len;
}

/**
 * kds_key_index - a key as the index of a structure indexed by unsigned long
 * @key: the key
 * @index: out: @key as an index
 *
 * For xarray and maple.  On a 64-bit kernel every key fits; on a 32-bit
 * one a key above ULONG_MAX does not, and is refused (as the uapi header
 * says) rather than cut to its low bits.
 *
 * Return: 0, or -EOVERFLOW.
 */
static inline int kds_key_index(u64 key, unsigned long *index)
{
	*index = key;
	return *index == key ? 0 : -EOVERFLOW;
}

/*
 * The last index of a walk to @hi over such a structure: @hi, or on a
 * 32-bit kernel at most ULONG_MAX.
 */
static inline unsigned long kds_hi_index(u64 hi)
{
	return min_t(u64, hi, ULONG_MAX);
}

int kds_put_admit(struct kds_store *s, const void *old, u32 flags);
void kds_store_forget(struct kds_store *s);
void *kds_entry_new(struct kds_store *s, size_t head, const void *val,
		    u32 len);
void kds_entry_free(struct kds_store *s, void *entry, size_t head);
void kds_entry_free_rcu(struct kds_store *s, void *entry, size_t head);
int kds_mem_charge(struct kds_store *s, long bytes, bool force);
void kds_mem_uncharge(struct kds_store *s, long bytes);

#endif /* _KDS_H */
