/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkds - a small C library over the kds ioctls (<linux/kds.h>).
 *
 * Open a device, do the API handshake, then call one function per
 * command:
 *
 *	struct kds_dev dev = KDS_DEV_INIT;
 *	char buf[64];
 *	size_t len;
 *	int err;
 *
 *	err = kds_open_backend(&dev, "hash");
 *	if (!err)
 *		err = kds_api(&dev);
 *	if (!err)
 *		err = kds_put(&dev, 42, "hello", 5, 0);
 *	if (!err)
 *		err = kds_get(&dev, 42, buf, sizeof(buf), &len);
 *	kds_close(&dev);
 *
 * Every function returns 0 on success or a negative errno (-ENOENT,
 * -E2BIG, ...; the meaning of each is documented in <linux/kds.h>).
 * The library never prints and never exits; errno is left as the failing
 * system call set it.
 */
#ifndef LIBKDS_H
#define LIBKDS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kds.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where the backends' device nodes live: /dev/kds/<backend>. */
#define KDS_DEV_DIR	"/dev/kds"

/**
 * struct kds_dev - one open kds device
 * @fd: the open file, -1 when closed
 * @api: what the module reported in the handshake (kds_api()); all zero
 *	until then
 *
 * Initialise with KDS_DEV_INIT.  One struct per open file; the library
 * keeps no other state, so separate threads may each use their own.
 */
struct kds_dev {
	int fd;
	struct kds_api api;
};

#define KDS_DEV_INIT	{ .fd = -1 }

/**
 * kds_backend_path - build the device node path of a backend
 * @buf: where to write "/dev/kds/<backend>", NUL-terminated
 * @size: bytes at @buf
 * @backend: the backend name ("hash", "rbtree", ...)
 *
 * Return: 0; -EINVAL if @backend is empty, "." or "..", or holds a '/';
 * -ENAMETOOLONG if the path does not fit in @size bytes.
 */
int kds_backend_path(char *buf, size_t size, const char *backend);

/**
 * kds_open_path - open a kds device node by path
 * @dev: the device, closed (fd -1)
 * @path: the node, for example "/dev/kds/hash"
 *
 * Opens read-write with close-on-exec.  Does not talk to the device:
 * call kds_api() next to learn what it is.
 *
 * Return: 0, or the negative errno of open(2) (-ENOENT when the node is
 * missing, usually because the backend module is not loaded; -EACCES
 * without permission).
 */
int kds_open_path(struct kds_dev *dev, const char *path);

/**
 * kds_open_backend - open /dev/kds/<backend>
 * @dev: the device, closed (fd -1)
 * @backend: the backend name
 *
 * Return: as kds_backend_path(), then as kds_open_path().
 */
int kds_open_backend(struct kds_dev *dev, const char *backend);

/**
 * kds_close - close a device
 * @dev: the device; closing a closed device does nothing
 *
 * Leaves @dev closed (fd -1) with its handshake data cleared.
 */
void kds_close(struct kds_dev *dev);

/**
 * kds_api - the handshake: ask the module what it offers (KDS_IOC_API)
 * @dev: an open device
 *
 * Fills @dev->api: API version, KDS_FEAT_* features, the store's
 * max_entries and max_value_size, and the backend name.
 *
 * Return: 0; -ENOTTY if the file is not a kds device; -EPROTO if the
 * module reports no API version.
 */
int kds_api(struct kds_dev *dev);

/**
 * kds_put - store a value under a key (KDS_IOC_PUT)
 * @dev: an open device
 * @key: the key
 * @value: @len bytes to store (may be NULL when @len is 0)
 * @len: bytes at @value, 0 allowed
 * @flags: 0, or KDS_PUT_NOREPLACE to fail if the key exists
 *
 * Inserts the key or replaces its value.
 *
 * Return: 0; -E2BIG if @len exceeds max_value_size; -ENOSPC if the store
 * holds max_entries keys and @key is new; -EEXIST with
 * KDS_PUT_NOREPLACE; -ENOMEM.  On error the store is unchanged.
 */
int kds_put(struct kds_dev *dev, uint64_t key, const void *value,
	    size_t len, uint32_t flags);

/**
 * kds_get - fetch the value of a key into a buffer (KDS_IOC_GET)
 * @dev: an open device
 * @key: the key
 * @buf: where to copy the value
 * @cap: bytes at @buf
 * @len: out: the value's length, on success and on -ERANGE
 *
 * Return: 0; -ENOENT if the key is not in the store; -ERANGE if the
 * value is longer than @cap (nothing copied, *@len says how much room
 * it needs).
 */
int kds_get(struct kds_dev *dev, uint64_t key, void *buf, size_t cap,
	    size_t *len);

/**
 * kds_get_alloc - fetch the value of a key into a new buffer
 * @dev: an open device
 * @key: the key
 * @value: out: malloc()ed copy of the value; free() it
 * @len: out: the value's length
 *
 * Sizes the buffer from the handshake (done here if kds_api() was not
 * called) and grows it if the value is longer than expected.  *@value
 * is set only on success.
 *
 * Return: 0, -ENOENT, -ENOMEM, or an error of kds_api().
 */
int kds_get_alloc(struct kds_dev *dev, uint64_t key, void **value,
		  size_t *len);

/**
 * kds_del - delete a key (KDS_IOC_DEL)
 * @dev: an open device
 * @key: the key
 *
 * Return: 0; -ENOENT if the key is not in the store.
 */
int kds_del(struct kds_dev *dev, uint64_t key);

/**
 * kds_clear - delete every entry of the store (KDS_IOC_CLEAR)
 * @dev: an open device
 *
 * Return: 0 or a negative errno.
 */
int kds_clear(struct kds_dev *dev);

/**
 * kds_stats - read the store's counters and shape (KDS_IOC_STATS)
 * @dev: an open device
 * @stats: out: the counters; with KDS_STATS_SHAPE also the shape fields,
 *	and stats->shape's KDS_SHAPE_* bits say which of them the backend
 *	filled
 * @flags: 0 for the counters alone (the shape fields read 0), or
 *	KDS_STATS_SHAPE, which may walk the structure (a hash table's
 *	buckets)
 *
 * Return: 0; -EINVAL for an unknown bit in @flags; another negative errno.
 */
int kds_stats(struct kds_dev *dev, struct kds_stats *stats, uint32_t flags);

/**
 * kds_batch - run many operations in one call (KDS_IOC_BATCH)
 * @dev: an open device
 * @ops: @count operations; fill op, key, value, value_len and flags of
 *	each (a put's flags take KDS_PUT_* bits, a get's and a del's must
 *	be 0; the library zeroes result)
 * @count: operations at @ops, at most KDS_BATCH_MAX
 * @flags: 0, or KDS_BATCH_STOP_ON_ERROR to stop at the first failing op
 * @done: out (may be NULL): operations carried out
 *
 * Return: 0 when the kernel processed the array, even if some operations
 * failed: each op's result field holds 0 or its own negative errno
 * (-EEXIST for a put with KDS_PUT_NOREPLACE of a key in the store,
 * -EINVAL for bad flags).  A negative errno only for the batch as a
 * whole: -E2BIG if @count exceeds KDS_BATCH_MAX, -EFAULT, -EINVAL.
 */
int kds_batch(struct kds_dev *dev, struct kds_batch_op *ops, uint32_t count,
	      uint32_t flags, uint32_t *done);

/**
 * kds_range_once - one KDS_IOC_RANGE call, without resuming
 * @dev: an open device
 * @range: in: lo, hi, buf and buf_len; out: out_flags (KDS_RANGE_MORE),
 *	next and count.  The library sets size and clears flags, out_flags
 *	and reserved.
 *
 * The buffer receives @range->count struct kds_rec records, each followed
 * by its value and padded to KDS_REC_SIZE(value_len) bytes.  When
 * out_flags has KDS_RANGE_MORE, call again with lo = next to get the rest.
 *
 * Return: 0; -EOPNOTSUPP on a backend without key order (list, hash);
 * -EINVAL if lo > hi; -ERANGE if the first record does not fit.
 */
int kds_range_once(struct kds_dev *dev, struct kds_range *range);

/**
 * typedef kds_range_fn - called by kds_range() for each entry
 * @key: the entry's key
 * @value: its value (valid only during the call)
 * @len: bytes at @value
 * @arg: the caller's pointer, passed through
 *
 * Return: 0 to go on; anything else stops the walk and becomes the
 * return value of kds_range() (a negative errno, by convention).
 */
typedef int (*kds_range_fn)(uint64_t key, const void *value, uint32_t len,
			    void *arg);

/**
 * kds_range - visit every entry with lo <= key <= hi, in key order
 * @dev: an open device
 * @lo: first key (inclusive)
 * @hi: last key (inclusive)
 * @fn: called once per entry
 * @arg: passed to @fn
 *
 * Calls KDS_IOC_RANGE with a buffer sized from the handshake (done here
 * if kds_api() was not called) so that the largest allowed value fits,
 * and resumes while the kernel answers KDS_RANGE_MORE.  An entry that
 * stays in the store for the whole walk is visited exactly once.
 *
 * Return: 0 when the range is exhausted; what @fn returned if it stopped
 * the walk; -EOPNOTSUPP on a backend without key order; -EINVAL if
 * @lo > @hi; -ENOMEM; -EPROTO if the kernel's answer is malformed.
 */
int kds_range(struct kds_dev *dev, uint64_t lo, uint64_t hi,
	      kds_range_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* LIBKDS_H */
