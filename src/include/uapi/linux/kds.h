/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kds - kernel data structures behind a misc device: user-space ABI.
 *
 * Each backend is a misc device /dev/kds/<backend> (list, hash, rbtree,
 * xarray, maple) holding one store of (__u64 key, byte-string value)
 * pairs shared by every opener.
 *
 * Rules every struct here follows, and every future field must:
 *  1. A command takes a pointer to a struct that starts with
 *	__u32 size;	 sizeof() the caller compiled against
 *	__u32 flags;	 input only; unknown bits are rejected with EINVAL
 *     A caller with an older, smaller struct is zero-extended; a caller
 *     with a newer, larger struct is accepted only when the bytes past
 *     what this kernel knows are zero (E2BIG otherwise) and the struct is
 *     at most a page (E2BIG otherwise); a size below the first version of
 *     the struct is EINVAL.
 *  2. A new field goes at the end, and its zero value means what the
 *     kernel did before the field existed.
 *  3. Fields are __u32, __s32 or __aligned_u64, placed so that no padding
 *     is implied: the layout is the same on every architecture, 32 or 64
 *     bits, little or big endian.  User pointers travel as __aligned_u64.
 *  4. flags is input only: bits the kernel reports go in a field of
 *     their own (out_flags, shape).  A field that is output only is
 *     ignored on input; one that is both (a get's value_len) says so.
 *  5. Fields named "reserved" must be zero on input (EINVAL otherwise)
 *     and read zero on output.
 *  6. A feature bit is reported by KDS_IOC_API only when the running
 *     module can do it.
 *  7. A new command takes the next free number of the block below;
 *     a number once used is never reused.
 *
 * Errors (returned as -1 with errno set):
 *	ENOENT		get/del of a key that is not in the store
 *	ENOSPC		put of a new key into a store holding max_entries, or
 *			any put whose memory would take every store together
 *			past max_bytes
 *	E2BIG		value longer than max_value_size; or a struct larger
 *			than the kernel knows with a non-zero tail; or a batch
 *			longer than KDS_BATCH_MAX
 *	ERANGE		get: the value is longer than the buffer (value_len
 *			then holds the length needed; nothing is copied)
 *	EFAULT		a pointer (the struct itself, a value, a batch array
 *			or a range buffer) is not accessible
 *	EINVAL		bad size, unknown flag bit, non-zero reserved field
 *	EOVERFLOW	xarray and maple on a 32-bit kernel, whose indices
 *			are 32 bits: a key above 4294967295 (ULONG_MAX)
 *	ENOTTY		unknown command
 *	EOPNOTSUPP	range on a backend without key order (list, hash)
 *	EEXIST		put with KDS_PUT_NOREPLACE of a key already present
 *	ENOMEM		the kernel could not allocate memory (also when the
 *			caller's memory cgroup is at its limit); a clear
 *			that fails so leaves the entries it did not reach
 *	EINTR		a fatal signal stopped a long call (clear, range,
 *			batch) of a process being killed
 * A command that fails leaves the store as it was (a batch whose array
 * faults half way: see struct kds_batch).
 */
#ifndef _UAPI_LINUX_KDS_H
#define _UAPI_LINUX_KDS_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * All commands use _IO(KDS_TYPE, nr) with nr in the block 0x00..0x3f of
 * type 0xDC (free in Documentation/userspace-api/ioctl/ioctl-number.rst):
 * the struct size travels inside the struct, not in the command number.
 */
#define KDS_TYPE		0xDC

#define KDS_API_VERSION		2

/* Largest value the max_value_size parameter may allow (1 MiB). */
#define KDS_VALUE_SIZE_LIMIT	0x100000U
/* Most operations one KDS_IOC_BATCH call takes. */
#define KDS_BATCH_MAX		4096

/* Features reported by KDS_IOC_API, each only where it works. */
#define KDS_FEAT_RANGE		0x1U	/* KDS_IOC_RANGE works */
#define KDS_FEAT_BATCH		0x2U	/* KDS_IOC_BATCH works */
#define KDS_FEAT_URING_CMD	0x4U	/* io_uring passthrough (see below) */

/**
 * struct kds_api - KDS_IOC_API: what the running module offers
 * @size: sizeof(struct kds_api)
 * @flags: must be 0
 * @version: out: KDS_API_VERSION
 * @features: out: KDS_FEAT_* bits
 * @max_entries: out: the store's entry limit (kds.max_entries)
 * @max_value_size: out: longest value in bytes (kds.max_value_size)
 * @backend: out: backend name, NUL-terminated ("hash", "rbtree", ...)
 */
struct kds_api {
	__u32 size;
	__u32 flags;
	__u32 version;
	__u32 features;
	__aligned_u64 max_entries;
	__aligned_u64 max_value_size;
	char backend[16];
};

/* kds_kv.flags for KDS_IOC_PUT */
#define KDS_PUT_NOREPLACE	0x1U	/* EEXIST if the key exists */

/**
 * struct kds_kv - KDS_IOC_PUT, KDS_IOC_GET, KDS_IOC_DEL: one key
 * @size: sizeof(struct kds_kv)
 * @flags: put: KDS_PUT_* bits; get and del: must be 0
 * @key: the key
 * @value: user pointer: put: the value; get: the buffer; del: unused (0)
 * @value_len: put: bytes at @value; get: in: buffer size, out: the
 *	value's length (also on ERANGE); del: must be 0
 * @reserved: must be 0
 *
 * Put inserts the key, or replaces its value (returns 0 either way).
 * A put that fails leaves the old value in place.
 */
struct kds_kv {
	__u32 size;
	__u32 flags;
	__aligned_u64 key;
	__aligned_u64 value;
	__u32 value_len;
	__u32 reserved;
};

/* kds_batch_op.op */
#define KDS_OP_PUT		1
#define KDS_OP_GET		2
#define KDS_OP_DEL		3

/**
 * struct kds_batch_op - one operation of a batch
 * @op: KDS_OP_PUT, KDS_OP_GET or KDS_OP_DEL
 * @result: out: 0 or a negative errno for this operation alone
 * @key: the key
 * @value: user pointer, as in struct kds_kv
 * @value_len: as in struct kds_kv (out for get)
 * @flags: as kds_kv.flags: put: KDS_PUT_* bits; get and del: must be 0
 */
struct kds_batch_op {
	__u32 op;
	__s32 result;
	__aligned_u64 key;
	__aligned_u64 value;
	__u32 value_len;
	__u32 flags;
};

/* kds_batch.flags */
#define KDS_BATCH_STOP_ON_ERROR	0x1U	/* stop at the first failing op */

/**
 * struct kds_batch - KDS_IOC_BATCH: many operations in one call
 * @size: sizeof(struct kds_batch)
 * @flags: KDS_BATCH_* bits
 * @ops: user pointer to @count struct kds_batch_op
 * @count: number of operations, 0..KDS_BATCH_MAX
 * @op_size: sizeof(struct kds_batch_op), at most a page (E2BIG)
 * @done: out: operations carried out (each has its own @result)
 * @reserved: must be 0
 *
 * Operations run in order.  The call returns 0 when it processed the
 * array, even if some operations failed: read each op's @result.  It
 * returns an errno only for the batch itself (EINVAL, EFAULT, E2BIG).
 * An op with a bad field gets -EINVAL in @result and changes nothing.
 * An array that faults part way stops the batch there with EFAULT: an op
 * that cannot be read does not run; an op whose answer cannot be written
 * has run.  @done, when the struct can be written, counts the operations
 * that ran.  The array is read a few operations ahead of the one that
 * runs: a get's buffer must not overlap the operations after it.
 */
struct kds_batch {
	__u32 size;
	__u32 flags;
	__aligned_u64 ops;
	__u32 count;
	__u32 op_size;
	__u32 done;
	__u32 reserved;
};

/**
 * struct kds_rec - one record in a KDS_IOC_RANGE buffer
 * @key: the key
 * @value_len: bytes of value that follow this header
 * @pad: 0
 *
 * The value follows, then zero padding up to the next multiple of 8:
 * the next record starts KDS_REC_SIZE(value_len) bytes after this one.
 */
struct kds_rec {
	__aligned_u64 key;
	__u32 value_len;
	__u32 pad;
};

#define KDS_REC_SIZE(len)	\
	((__u32)sizeof(struct kds_rec) + (((__u32)(len) + 7U) & ~7U))

/* kds_range.out_flags */
#define KDS_RANGE_MORE		0x1U	/* more keys <= hi: resume at next */

/**
 * struct kds_range - KDS_IOC_RANGE: entries with lo <= key <= hi, in order
 * @size: sizeof(struct kds_range)
 * @flags: must be 0
 * @lo: first key (inclusive)
 * @hi: last key (inclusive); lo > hi is EINVAL
 * @buf: user pointer to the output buffer of struct kds_rec records
 * @buf_len: bytes at @buf
 * @out_flags: out: KDS_RANGE_MORE when the buffer filled up
 * @next: out: with KDS_RANGE_MORE, the key to pass as @lo to resume;
 *	else 0
 * @count: out: records written
 * @reserved: must be 0
 *
 * Only backends that keep keys in order (rbtree, xarray, maple) support
 * it; list and hash return EOPNOTSUPP.  If the first record does not fit
 * in @buf_len, the call fails with ERANGE.
 */
struct kds_range {
	__u32 size;
	__u32 flags;
	__aligned_u64 lo;
	__aligned_u64 hi;
	__aligned_u64 buf;
	__u32 buf_len;
	__u32 out_flags;
	__aligned_u64 next;
	__u32 count;
	__u32 reserved[3];
};

/* kds_stats.flags */
#define KDS_STATS_SHAPE		0x1U	/* fill the shape fields too */

/* kds_stats.shape (out): which shape fields hold the structure's figures */
#define KDS_SHAPE_LENGTH	0x1U	/* list: length */
#define KDS_SHAPE_CHAIN		0x2U	/* hash: longest_chain, buckets_used, buckets */
#define KDS_SHAPE_HEIGHT	0x4U	/* rbtree, xarray, maple: height */

/**
 * struct kds_stats - KDS_IOC_STATS: counters of one store
 * @size: sizeof(struct kds_stats)
 * @flags: KDS_STATS_SHAPE to ask for the shape fields, which may walk
 *	the structure (a hash table's buckets); else they read 0
 * @entries: entries in the store
 * @bytes: memory the store holds, as the kernel allocated it (entries,
 *	values, structure nodes, rounded up to their slab size)
 * @puts: successful puts since load
 * @gets: gets since load (hits + misses)
 * @hits: gets that found their key
 * @dels: successful deletes since load
 * @clears: clears since load
 * @errors: operations refused with an errno since load
 * @shape: out: KDS_SHAPE_* bits naming the fields below that were
 *	filled; 0 without KDS_STATS_SHAPE
 * @reserved: must be 0
 * @length: list: entries on the list
 * @longest_chain: hash: entries in the longest bucket
 * @buckets_used: hash: buckets holding at least one entry
 * @buckets: hash: number of buckets (2^kds_hash.bits)
 * @height: rbtree, xarray, maple: levels from the root to the deepest
 *	leaf (0 when empty)
 */
struct kds_stats {
	__u32 size;
	__u32 flags;
	__aligned_u64 entries;
	__aligned_u64 bytes;
	__aligned_u64 puts;
	__aligned_u64 gets;
	__aligned_u64 hits;
	__aligned_u64 dels;
	__aligned_u64 clears;
	__aligned_u64 errors;
	__u32 shape;
	__u32 reserved;
	__aligned_u64 length;
	__aligned_u64 longest_chain;
	__aligned_u64 buckets_used;
	__aligned_u64 buckets;
	__aligned_u64 height;
};

/**
 * struct kds_clear - KDS_IOC_CLEAR: remove every entry of the store
 * @size: sizeof(struct kds_clear)
 * @flags: must be 0
 */
struct kds_clear {
	__u32 size;
	__u32 flags;
};

/*
 * Command numbers.  0x08 was a no-op in version 1 and is retired: like any
 * number not listed here it is ENOTTY.
 */
#define KDS_IOC_API	_IO(KDS_TYPE, 0x00)	/* struct kds_api */
#define KDS_IOC_PUT	_IO(KDS_TYPE, 0x01)	/* struct kds_kv */
#define KDS_IOC_GET	_IO(KDS_TYPE, 0x02)	/* struct kds_kv */
#define KDS_IOC_DEL	_IO(KDS_TYPE, 0x03)	/* struct kds_kv */
#define KDS_IOC_BATCH	_IO(KDS_TYPE, 0x04)	/* struct kds_batch */
#define KDS_IOC_RANGE	_IO(KDS_TYPE, 0x05)	/* struct kds_range */
#define KDS_IOC_STATS	_IO(KDS_TYPE, 0x06)	/* struct kds_stats */
#define KDS_IOC_CLEAR	_IO(KDS_TYPE, 0x07)	/* struct kds_clear */

/*
 * io_uring passthrough (KDS_FEAT_URING_CMD): get, put and del without an
 * ioctl per operation.  On a ring set up with IORING_SETUP_SQE128, an SQE
 * with opcode IORING_OP_URING_CMD, fd a kds device, cmd_op KDS_IOC_GET,
 * KDS_IOC_PUT or KDS_IOC_DEL and a struct kds_kv (size set, as for the
 * ioctl) at the start of its 80-byte command area (sqe->cmd) runs that
 * operation with the ioctl's checks.  The kernel reads the struct from
 * the SQE and never writes it back.  The operation runs at submission in
 * the submitting task (in an io_uring worker with IOSQE_ASYNC), as the
 * ioctl would: it may sleep on an allocation or a writer's lock.  The
 * CQE's res is:
 *	get	the value's length (the value is at kv.value), or -errno;
 *		on -ERANGE the length needed is not reported (the ioctl
 *		reports it)
 *	put/del	0, or -errno
 * Errors are the ioctl's (ENOENT, ENOSPC, E2BIG, EEXIST, ERANGE, EFAULT,
 * EINVAL, ENOMEM), and also: EINVAL for a ring without SQE128 and for
 * IORING_URING_CMD_FIXED; E2BIG for kv.size above 80, the command area;
 * ENOTTY for another cmd_op.  Bytes of the command area between
 * sizeof(struct kds_kv) and kv.size must be zero (E2BIG).  Some kernels (6.1 among them) count any
 * res but 0 as a failed request: there, an SQE linked (IOSQE_IO_LINK)
 * after a get that found its key is cancelled; link after put and del.
 */

#endif /* _UAPI_LINUX_KDS_H */
