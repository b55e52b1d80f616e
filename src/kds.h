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
 *  - No callback is called with a core lock held, and none copies to or
 *    from user space: values arrive and leave in kernel buffers.
 *  - get and iter run in atomic context if the backend's read side is
 *    RCU or a spinlock: they must not sleep, so they only memcpy.
 *  - put allocates its entry with kds_entry_alloc() before taking its
 *    write lock, and frees it with kds_entry_free() if it is not used.
 *  - A new key is admitted only through kds_store_admit(), which
 *    enforces kds.max_entries; every entry that leaves the store goes
 *    through kds_store_forget().
 */
#ifndef _KDS_H
#define _KDS_H

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/atomic.h>
#include <linux/types.h>
#include <uapi/linux/kds.h>

struct kds_store;
struct kds_iter;
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

/* kds_ops.shape_kind: which fields of struct kds_shape are shown in sysfs */
#define KDS_SHAPE_LENGTH	1	/* length */
#define KDS_SHAPE_CHAIN		2	/* longest_chain, buckets_used, buckets */
#define KDS_SHAPE_HEIGHT	3	/* height */

/**
 * struct kds_get_req - one lookup of kds_ops.get_many
 * @key: the key
 * @buf: where its value goes, if it fits
 * @cap: bytes at @buf
 * @ret: out: the value's length, or -ENOENT
 */
struct kds_get_req {
	u64 key;
	void *buf;
	u32 cap;
	long ret;
};

/**
 * struct kds_ops - what a backend provides to the core
 * @name: backend name: device "kds-<name>", node /dev/kds/<name>
 * @features: KDS_FEAT_* bits of the uapi (KDS_FEAT_RANGE for backends
 *	that keep key order)
 * @shape_kind: KDS_SHAPE_* value naming the sysfs shape attributes
 * @init: allocate the empty structure; store its pointer with
 *	kds_set_priv().  Returns 0 or -errno.
 * @destroy: free every entry and the structure; runs after the device is
 *	gone, with no caller left.
 * @put: insert @key with a copy of @len bytes at @val, or replace its
 *	value.  With KDS_PUT_NOREPLACE in @flags, -EEXIST if present.
 *	Returns 0, -ENOSPC (kds_store_admit() said no), -EEXIST or -ENOMEM,
 *	and leaves the store unchanged on error.
 * @get: copy @key's value to @buf if it fits in @cap bytes (a longer one
 *	is not copied at all) and return the value length, or -ENOENT;
 *	kds_value_out() does the first part.
 * @get_many: optional: @n lookups as @get does them, in one read-side
 *	section or lock hold: @req[i].ret gets what @get would return for
 *	@req[i].key, @req[i].buf and @req[i].cap.  KDS_IOC_BATCH uses it
 *	for runs of gets.
 * @del: remove @key: 0 or -ENOENT.
 * @clear: remove every entry.
 * @iter: call kds_iter_emit() for each entry at or after the cursor in
 *	@it, in iteration order, until it returns false or the entries end
 *	(then set @it->done); see struct kds_iter.
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
	long (*get)(struct kds_store *s, u64 key, void *buf, u32 cap);
	void (*get_many)(struct kds_store *s, struct kds_get_req *req, u32 n);
	int (*del)(struct kds_store *s, u64 key);
	void (*clear)(struct kds_store *s);
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
 *	this call; the core adds it to the store's walk_steps counter
 *	(debugfs).
 *
 * The core starts a walk with everything zero (and @hi = U64_MAX for a
 * dump).  The backend passes to kds_iter_emit() the cursor that follows
 * each entry; the core stores it only if it accepted the entry, so an
 * entry that did not fit is visited again by the next call.  An entry
 * that stays in the store for a whole walk is emitted exactly once.
 *
 * A backend may return early, with @done false, once it has looked at
 * KDS_ITER_BUDGET steps; if it emitted nothing in that call, it first
 * sets the cursor (@pos, @pos2) itself to where it stopped, so that the
 * next call goes on from there.  The core yields the CPU between calls.
 */
struct kds_iter {
	u64 pos;
	u64 pos2;
	u64 hi;
	bool done;
	u64 steps;
	/* private to the core */
	void *buf;
	size_t len;
	size_t cap;
	size_t need;
	u32 count;
	bool records;
};

/* Steps (see struct kds_iter) after which a backend's iter may return. */
#define KDS_ITER_BUDGET		4096

/**
 * kds_iter_emit - hand one entry of a walk to the core
 * @it: the walk
 * @key: the entry's key
 * @val: its value (kernel memory, stable while the backend holds it)
 * @len: value length
 * @pos: the cursor that follows this entry
 * @pos2: second word of that cursor
 *
 * Return: true if the entry was taken (the walk may go on), false to
 * stop the walk here; the entry will be offered again next time.
 * Only memcpy: safe in atomic context.
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
 * @nr_entries: entries in the store; raised only by kds_store_admit()
 * @nr_bytes: bytes of values in the store
 * @stats: per-CPU counters
 * @misc: the misc device "kds-<name>"
 * @devname: "kds-<name>"
 * @nodename: "kds/<name>"
 * @kloop: the in-kernel loop's debugfs state (kds_debugfs.c), or NULL
 *
 * nr_entries and nr_bytes are atomics: writers of lockless backends may
 * run on several CPUs at once.
 */
struct kds_store {
	const struct kds_ops *ops;
	void *priv;
	atomic_long_t nr_entries;
	atomic_long_t nr_bytes;
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
ssize_t kds_text_read(struct file *file, char __user *ubuf, size_t count,
		      loff_t *ppos);
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
	.read		= kds_text_read,				\
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
 * kds_value_copy - copy a value out of a backend's entry
 * @dst: the core's buffer
 * @src: the value
 * @len: bytes to copy
 *
 * memcpy() for the short values most stores hold.  From 8 to 32 bytes it
 * moves two or four words, the last one overlapping the one before, with
 * no call and no string instruction (the kernel's memcpy() is an
 * out-of-line "rep movsb", whose start-up outweighs a copy this short);
 * any other length goes to memcpy().
 */
static __always_inline void kds_value_copy(void *dst, const void *src,
					   size_t len)
{
	u64 a, b, y, z;

	if (len < 8 || len > 32) {
		memcpy(dst, src, len);
		return;
	}
	memcpy(&a, src, 8);
	memcpy(&z, src + len - 8, 8);
	if (len > 16) {
		memcpy(&b, src + 8, 8);
		memcpy(&y, src + len - 16, 8);
		memcpy(dst + 8, &b, 8);
		memcpy(dst + len - 16, &y, 8);
	}
	memcpy(dst, &a, 8);
	memcpy(dst + len - 8, &z, 8);
}

/**
 * kds_value_out - hand a value found by a backend's get to the core
 * @buf: the core's buffer
 * @cap: its size
 * @val: the value
 * @len: its length
 *
 * A value longer than @cap is not copied at all: the core, told its
 * length, asks again with a buffer that size (copying a part would be
 * wasted work).
 *
 * Return: @len, for the get to return.
 */
static __always_inline long kds_value_out(void *buf, u32 cap, const void *val,
					  u32 len)
{
	if (len <= cap)
		kds_value_copy(buf, val, len);
	return len;
}

bool kds_store_admit(struct kds_store *s, u32 len);
void kds_store_forget(struct kds_store *s, u32 len);
void kds_store_resize(struct kds_store *s, u32 old_len, u32 new_len);
void *kds_entry_alloc(size_t size);
void kds_entry_free(const void *entry);
bool __kds_entry_keep_apart(size_t head, size_t ptr, u32 len);

/* An entry of at most this many bytes keeps its value inline. */
#define KDS_ENTRY_INLINE_MAX	256

/**
 * kds_entry_keep_apart - should a value live apart from its entry?
 * @head: bytes of the entry before an inline value
 * @ptr: bytes the entry needs instead to point to a value kept apart
 * @len: the value's length
 *
 * Return: true when the value should have an allocation of its own.
 */
static inline bool kds_entry_keep_apart(size_t head, size_t ptr, u32 len)
{
	return head + len > KDS_ENTRY_INLINE_MAX &&
	       __kds_entry_keep_apart(head, ptr, len);
}

#endif /* _KDS_H */
