// SPDX-License-Identifier: GPL-2.0
/*
 * kds - the binary protocol: the ioctls of <uapi/linux/kds.h>.
 *
 * Every command struct starts with its __u32 size.  kds_ioctl() reads it,
 * refuses a size below the command's first version (EINVAL), copies the
 * struct in with copy_struct_from_user() (a larger struct needs a zero
 * tail, else E2BIG) and calls the command's handler, which checks flags
 * and reserved fields, runs, and writes the struct back with
 * kds_ucmd_respond().  No lock is held here: the backend takes its own
 * inside each call, and values cross to and from user space through
 * kernel buffers outside those calls.
 *
 * The hot commands (get, put, del and the no-op) skip the table: a
 * switch calls them directly, struct kds_kv is read field by field under
 * one access check, a get writes back only value_len and the value's own
 * bytes, and values up to KDS_STACK_VALUE bytes cross through an
 * uninitialised stack buffer (the backend fills what is copied out), so
 * a get of a small value allocates nothing and zeroes nothing.  A batch
 * reads and answers its operations a chunk at a time.
 */
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kds_internal.h"

/* Values up to this size cross through the stack, with no allocation. */
#define KDS_STACK_VALUE		256
/* Batch operations read, then answered, under one access check each way. */
#define KDS_BATCH_CHUNK		8
/*
 * RANGE formats records into a kernel chunk of at most this size at a time
 * (more only for a single record that needs it), then copies it out.
 */
#define KDS_RANGE_CHUNK		(64 * 1024)

/**
 * struct kds_ucmd - one ioctl call in progress
 * @s: the store
 * @ubuffer: the caller's struct
 * @user_size: its size field
 * @size: sizeof the kernel's struct
 * @arg: the ioctl argument (for commands without a struct)
 * @cmd: the struct, copied in
 */
struct kds_ucmd {
	struct kds_store *s;
	void __user *ubuffer;
	u32 user_size;
	u32 size;
	unsigned long arg;
	void *cmd;
};

/* Copy the struct back, as much of it as the caller knows. */
static int kds_ucmd_respond(struct kds_ucmd *ucmd)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min(ucmd->user_size, ucmd->size)))
		return -EFAULT;
	return 0;
}

static int kds_ioc_api(struct kds_ucmd *ucmd)
{
	const struct kds_ops *ops = ucmd->s->ops;
	struct kds_api *a = ucmd->cmd;

	if (a->flags)
		return -EINVAL;
	a->version = KDS_API_VERSION;
	a->features = ops->features | KDS_FEAT_BATCH | KDS_FEAT_URING_CMD;
	a->max_entries = kds_max_entries;
	a->max_value_size = kds_max_value_size;
	strscpy_pad(a->backend, ops->name, sizeof(a->backend));
	return kds_ucmd_respond(ucmd);
}

/**
 * kds_user_put - put a value that is in user space
 * @s: the store
 * @key: the key
 * @uval: user address of the value
 * @len: its length
 * @flags: KDS_PUT_* bits
 *
 * The value crosses through the stack if small, else through kvmalloc().
 *
 * Return: 0 or -errno, as kds_op_put(); -EFAULT if @uval is not readable.
 */
int kds_user_put(struct kds_store *s, u64 key, u64 uval, u32 len, u32 flags)
{
	u8 stack[KDS_STACK_VALUE] __uninitialized;
	void *val = stack;
	int ret;

	if (len > kds_max_value_size)
		return -E2BIG;
	if (len > sizeof(stack)) {
		val = kvmalloc(len, KDS_GFP);
		if (!val)
			return -ENOMEM;
	}
	if (copy_from_user(val, u64_to_user_ptr(uval), len)) {
		ret = -EFAULT;
		goto out_free_val;
	}
	ret = kds_op_put(s, key, val, len, flags);
out_free_val:
	if (val != stack)
		kvfree(val);
	return ret;
}

/*
 * Copy @len bytes of a value from the stack to user address @uval: one
 * access check, then plain stores (no call, no object-size walk: @val is
 * our own buffer and @len is at most its size).  From 8 to 32 bytes, two
 * or four words, the last one overlapping the one before, as in
 * kds_value_copy(), read before the user access opens: nothing but user
 * accesses runs between its start and its end.
 */
static __always_inline int kds_value_to_user(u64 uval, const void *val,
					     u32 len)
{
	u8 __user *dst = u64_to_user_ptr(uval);
	u64 a, b, y, z;

	if (len < 8 || len > 32) {
		if (!user_access_begin(dst, len))
			return -EFAULT;
		unsafe_copy_to_user(dst, val, len, efault);
		user_access_end();
		return 0;
	}
	memcpy(&a, val, 8);
	memcpy(&z, val + len - 8, 8);
	memcpy(&b, val + (len > 16 ? 8 : 0), 8);
	memcpy(&y, val + (len > 16 ? len - 16 : 0), 8);
	if (!user_access_begin(dst, len))
		return -EFAULT;
	if (len > 16) {
		unsafe_put_user(b, (u64 __user *)(dst + 8), efault);
		unsafe_put_user(y, (u64 __user *)(dst + len - 16), efault);
	}
	unsafe_put_user(a, (u64 __user *)dst, efault);
	unsafe_put_user(z, (u64 __user *)(dst + len - 8), efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/*
 * A value longer than the stack buffer: read it again into a buffer of
 * its size (again if it grew meanwhile), unless it shrank back.  *@len:
 * as for kds_user_get(); @vlen: the length the first lookup saw.
 */
static noinline int kds_user_get_heap(struct kds_store *s, u64 key,
				      u64 uval, u32 *len, long vlen)
{
	void *heap = NULL;
	int ret;

	do {
		kvfree(heap);
		heap = kvmalloc(vlen, KDS_GFP);
		if (!heap)
			return -ENOMEM;
		ret = vlen;
		vlen = s->ops->get(s, key, heap, ret);
		if (vlen < 0) {
			ret = vlen;
			goto out_free_heap;
		}
	} while (vlen > ret && vlen <= *len);
	this_cpu_inc(s->stats->hits);

	if (vlen > *len) {
		*len = vlen;
		ret = -ERANGE;
	} else if (copy_to_user(u64_to_user_ptr(uval), heap, vlen)) {
		ret = -EFAULT;
	} else {
		*len = vlen;
		ret = 0;
	}
out_free_heap:
	kvfree(heap);
	return ret;
}

/*
 * Answer a get whose lookup returned @vlen (the value's length, or
 * -errno) and copied the value to @buf: *@len in: the caller's buffer
 * size; out: the value's length.  Counts the hit.
 */
static __always_inline int kds_get_reply(struct kds_store *s, long vlen,
					 const void *buf, u64 uval, u32 *len)
{
	int ret;

	if (vlen < 0)
		return vlen;
	this_cpu_inc(s->stats->hits);
	if (vlen > *len) {
		*len = vlen;
		return -ERANGE;
	}
	ret = kds_value_to_user(uval, buf, vlen);
	if (!ret)
		*len = vlen;
	return ret;
}

/**
 * __kds_user_get - get @key's value to user space
 * @s: the store
 * @key: the key
 * @uval: user address of the caller's buffer
 * @len: in: the buffer's size; out: the value's length, when found
 *
 * The value comes out of the backend into the stack; one longer than
 * that is read again into a buffer of its size, unless it is too long
 * for the caller anyway.
 *
 * Return: 0; -ENOENT; -ERANGE if the value is longer than the buffer
 * (*@len then holds its length, nothing is copied); -EFAULT; -ENOMEM.
 */
static __always_inline int __kds_user_get(struct kds_store *s, u64 key,
					  u64 uval, u32 *len)
{
	u8 stack[KDS_STACK_VALUE] __uninitialized;
	long vlen;

	this_cpu_inc(s->stats->gets);
	vlen = s->ops->get(s, key, stack, sizeof(stack));
	if (unlikely(vlen > KDS_STACK_VALUE && vlen <= *len))
		return kds_user_get_heap(s, key, uval, len, vlen);
	return kds_get_reply(s, vlen, stack, uval, len);
}

/* __kds_user_get() out of line, for the batch and the other files. */
noinline int kds_user_get(struct kds_store *s, u64 key, u64 uval, u32 *len)
{
	return __kds_user_get(s, key, uval, len);
}

/*
 * Read the struct at @usrc the general way: its size field, at least
 * @min_size, then copy_struct_from_user() into @dst of @size bytes.
 */
static noinline int kds_struct_fetch(void *dst, u32 size, u32 min_size,
				     void __user *usrc, u32 *user_size)
{
	if (get_user(*user_size, (u32 __user *)usrc))
		return -EFAULT;
	if (*user_size < min_size)
		return -EINVAL;
	/* a larger struct's tail must be zero: not worth more than a page */
	if (*user_size > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(dst, size, usrc, *user_size);
}

/*
 * Read a struct kds_kv.  The common case, a caller compiled against this
 * header, is read field by field under one access check; any other size,
 * or a fault, goes the general way, which gives the documented errno.
 * Either way every field of @kv is written when it returns 0, so callers
 * need not zero it first.
 */
static __always_inline int kds_kv_fetch(struct kds_kv *kv,
					struct kds_kv __user *ukv)
{
	const u64 __user *uw = (const u64 __user *)ukv;
	u64 *w = (u64 *)kv;
	u32 user_size;

	BUILD_BUG_ON(sizeof(*kv) != 4 * sizeof(*w));
	if (!user_access_begin(ukv, sizeof(*ukv)))
		goto slow;
	/* four words, byte for byte: the struct's fields on any endianness */
	unsafe_get_user(w[0], &uw[0], fault);
	unsafe_get_user(w[1], &uw[1], fault);
	unsafe_get_user(w[2], &uw[2], fault);
	unsafe_get_user(w[3], &uw[3], fault);
	user_access_end();
	if (likely(kv->size == sizeof(*kv)))
		return 0;
	goto slow;
fault:
	user_access_end();
slow:
	return kds_struct_fetch(kv, sizeof(*kv),
				offsetofend(struct kds_kv, reserved), ukv,
				&user_size);
}

static int kds_ioctl_put(struct kds_store *s, struct kds_kv __user *ukv)
{
	struct kds_kv kv __uninitialized;
	int ret;

	ret = kds_kv_fetch(&kv, ukv);
	if (ret)
		return ret;
	if ((kv.flags & ~KDS_PUT_NOREPLACE) || kv.reserved)
		return -EINVAL;
	return kds_user_put(s, kv.key, kv.value, kv.value_len, kv.flags);
}

static int kds_ioctl_get(struct kds_store *s, struct kds_kv __user *ukv)
{
	struct kds_kv kv __uninitialized;
	u32 cap;
	int ret;

	ret = kds_kv_fetch(&kv, ukv);
	if (ret)
		return ret;
	if (kv.flags || kv.reserved)
		return -EINVAL;
	cap = kv.value_len;
	ret = __kds_user_get(s, kv.key, kv.value, &kv.value_len);
	if (ret && ret != -ERANGE)
		return ret;
	/*
	 * value_len is all a get changes (on ERANGE: the length needed); it
	 * stays as it is when the value fills the buffer exactly.
	 */
	if (kv.value_len != cap && put_user(kv.value_len, &ukv->value_len))
		return -EFAULT;
	return ret;
}

static int kds_ioctl_del(struct kds_store *s, struct kds_kv __user *ukv)
{
	struct kds_kv kv __uninitialized;
	int ret;

	ret = kds_kv_fetch(&kv, ukv);
	if (ret)
		return ret;
	if (kv.flags || kv.value || kv.value_len || kv.reserved)
		return -EINVAL;
	return kds_op_del(s, kv.key);
}

/*
 * Run one operation of a batch; its outcome.  Out of line, as are the
 * value paths it calls, so that no stack frame holds the chunk of
 * operations and a value buffer together.
 */
static noinline int kds_batch_run(struct kds_store *s, struct kds_batch_op *op)
{
	if (op->reserved)
		return -EINVAL;
	switch (op->op) {
	case KDS_OP_PUT:
		return kds_user_put(s, op->key, op->value, op->value_len, 0);
	case KDS_OP_GET:
		return kds_user_get(s, op->key, op->value, &op->value_len);
	case KDS_OP_DEL:
		if (op->value || op->value_len)
			return -EINVAL;
		return kds_op_del(s, op->key);
	default:
		return -EINVAL;
	}
}

/*
 * Read the operation at @uop (of @op_size bytes) into @op and run it: its
 * outcome in *@result, 0 or -errno.  Return: 0 when it ran; else, and
 * nothing run, -EFAULT (it cannot be read) or -E2BIG (a non-zero tail).
 */
static int kds_batch_one(struct kds_store *s, struct kds_batch_op *op,
			 struct kds_batch_op __user *uop, u32 op_size,
			 int *result)
{
	int ret;

	ret = copy_struct_from_user(op, sizeof(*op), uop, op_size);
	if (!ret)
		*result = kds_batch_run(s, op);
	return ret;
}

/* Read @n operations at @uops (of the current size) under one check. */
static int kds_batch_fetch(struct kds_batch_op *ops,
			   const struct kds_batch_op __user *uops, u32 n)
{
	const u64 __user *uw = (const u64 __user *)uops;
	u64 *w = (u64 *)ops;
	u32 i;

	/* n operations of four words each, copied byte for byte */
	BUILD_BUG_ON(sizeof(*ops) != 4 * sizeof(*w));
	if (!user_access_begin(uops, n * sizeof(*uops)))
		return -EFAULT;
	for (i = 0; i < 4 * n; i += 4) {
		unsafe_get_user(w[i], &uw[i], efault);
		unsafe_get_user(w[i + 1], &uw[i + 1], efault);
		unsafe_get_user(w[i + 2], &uw[i + 2], efault);
		unsafe_get_user(w[i + 3], &uw[i + 3], efault);
	}
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/* Write back value_len and result of @n operations under one check. */
static int kds_batch_answer(struct kds_batch_op __user *uops,
			    const struct kds_batch_op *ops, u32 n)
{
	u32 i;

	if (!user_access_begin(uops, n * sizeof(*uops)))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		unsafe_put_user(ops[i].value_len, &uops[i].value_len, efault);
		unsafe_put_user(ops[i].result, &uops[i].result, efault);
	}
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/*
 * Run the next @n operations of batch @b, at most KDS_BATCH_CHUNK: read
 * them in one go, run them, answer them in one go.  An array of another
 * op_size, or one that faults while being read, is run op by op, so
 * that the operations before a fault are carried out, as documented.
 * Return: -EFAULT to fail the whole batch, else 0; *@stop when
 * KDS_BATCH_STOP_ON_ERROR met a failing operation.
 */
static int kds_batch_chunk(struct kds_store *s, struct kds_batch *b,
			   u8 __user *uops, u32 n, bool *stop)
{
	struct kds_batch_op ops[KDS_BATCH_CHUNK] __uninitialized;
	bool stop_on_error = b->flags & KDS_BATCH_STOP_ON_ERROR;
	struct kds_batch_op __user *uop;
	int ret, result = 0;
	u32 i;

	uop = (struct kds_batch_op __user *)(uops +
					     (size_t)b->done * b->op_size);
	if (b->op_size == sizeof(*uop) && !kds_batch_fetch(ops, uop, n)) {
		for (i = 0; i < n && !*stop; i++) {
			ops[i].result = kds_batch_run(s, &ops[i]);
			if (ops[i].result < 0) {
				this_cpu_inc(s->stats->errors);
				*stop = stop_on_error;
			}
		}
		/* they ran, whether or not their answers reach the array */
		b->done += i;
		return kds_batch_answer(uop, ops, i);
	}

	for (i = 0; i < n && !*stop; i++) {
		uop = (struct kds_batch_op __user *)(uops +
						     (size_t)b->done *
						     b->op_size);
		ret = kds_batch_one(s, &ops[0], uop, b->op_size, &result);
		if (ret == -EFAULT)
			return ret;
		if (ret)
			result = ret;
		b->done++;
		if (result < 0) {
			this_cpu_inc(s->stats->errors);
			*stop = stop_on_error;
		}
		/* it ran: answer it; value_len only if it was read whole */
		if ((!ret && put_user(ops[0].value_len, &uop->value_len)) ||
		    put_user(result, &uop->result))
			return -EFAULT;
	}
	return 0;
}

static int kds_ioc_batch(struct kds_ucmd *ucmd)
{
	struct kds_batch *b = ucmd->cmd;
	struct kds_store *s = ucmd->s;
	u8 __user *uops = u64_to_user_ptr(b->ops);
	bool stop = false;
	int ret;

	if ((b->flags & ~KDS_BATCH_STOP_ON_ERROR) || b->reserved)
		return -EINVAL;
	if (b->count > KDS_BATCH_MAX)
		return -E2BIG;
	if (b->op_size < sizeof(struct kds_batch_op))
		return -EINVAL;
	if (b->op_size > PAGE_SIZE)
		return -E2BIG;

	b->done = 0;
	while (b->done < b->count && !stop) {
		ret = kds_batch_chunk(s, b, uops,
				      min_t(u32, b->count - b->done,
					    KDS_BATCH_CHUNK), &stop);
		if (ret) {
			/* done tells how far it got, if the struct takes it */
			kds_ucmd_respond(ucmd);
			return ret;
		}
		/* up to KDS_BATCH_MAX values of max_value_size: let a kill in */
		if (fatal_signal_pending(current)) {
			kds_ucmd_respond(ucmd);
			return -EINTR;
		}
		cond_resched();
	}
	return kds_ucmd_respond(ucmd);
}

/**
 * struct kds_range_walk - a KDS_IOC_RANGE walk: records into a kernel chunk
 * @it: the walk
 * @chunk: kvmalloc'd buffer of @cap bytes, copied out when a call ends
 * @cap: its size
 * @len: bytes of records in it
 * @need: when the first record did not fit: the bytes it needs
 */
struct kds_range_walk {
	struct kds_iter it;
	u8 *chunk;
	size_t cap;
	size_t len;
	size_t need;
};

/* kds_iter.emit of a range: one struct kds_rec record and its value. */
static bool kds_range_emit(struct kds_iter *it, u64 key, const void *val,
			   u32 len)
{
	struct kds_range_walk *w = container_of(it, struct kds_range_walk, it);
	struct kds_rec rec = { .key = key, .value_len = len };
	size_t need = KDS_REC_SIZE(len);
	u8 *p = w->chunk + w->len;

	if (need > w->cap - w->len) {
		if (!w->len)
			w->need = need;
		return false;
	}
	memcpy(p, &rec, sizeof(rec));
	if (len)
		memcpy(p + sizeof(rec), val, len);
	memset(p + sizeof(rec) + len, 0, need - sizeof(rec) - len);
	w->len += need;
	return true;
}

/* Replace the (empty) chunk of @w by one of @size bytes. */
static int kds_range_chunk(struct kds_range_walk *w, size_t size)
{
	u8 *p;

	p = kvmalloc(size, KDS_GFP);
	if (!p)
		return -ENOMEM;
	kvfree(w->chunk);
	w->chunk = p;
	w->cap = size;
	return 0;
}

static int kds_ioc_range(struct kds_ucmd *ucmd)
{
	struct kds_range *r = ucmd->cmd;
	struct kds_store *s = ucmd->s;
	struct kds_range_walk w = {
		.it = { .pos = r->lo, .hi = r->hi, .emit = kds_range_emit },
	};
	u8 __user *ubuf = u64_to_user_ptr(r->buf);
	u32 written = 0, count = 0;
	size_t room;
	int ret;

	if (!(s->ops->features & KDS_FEAT_RANGE))
		return -EOPNOTSUPP;
	if (r->flags || r->lo > r->hi)
		return -EINVAL;
	r->next = 0;

	if (r->buf_len) {
		ret = kds_range_chunk(&w, min_t(size_t, r->buf_len,
						KDS_RANGE_CHUNK));
		if (ret)
			return ret;
	}
	for (;;) {
		room = r->buf_len - written;
		/* the chunk never takes more than the caller's buffer has left */
		w.cap = min(room, w.cap);
		w.len = 0;
		w.need = 0;
		ret = kds_iter_run(s, &w.it);
		if (ret == -EAGAIN)
			continue;
		if (ret)
			goto out_free_chunk;

		if (w.len) {
			if (copy_to_user(ubuf + written, w.chunk, w.len)) {
				ret = -EFAULT;
				goto out_free_chunk;
			}
			written += w.len;
			count += w.it.count;
		} else if (!w.it.done) {
			/* the next record did not fit */
			if (w.need > room) {
				if (!count) {
					ret = -ERANGE;
					goto out_free_chunk;
				}
				r->flags |= KDS_RANGE_MORE;
				r->next = w.it.pos;
				break;
			}
			/* it fits the caller's buffer but not the chunk */
			ret = kds_range_chunk(&w, w.need);
			if (ret)
				goto out_free_chunk;
			continue;
		}
		if (w.it.done)
			break;
		/* a buffer of gigabytes: let a kill in between chunks */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out_free_chunk;
		}
		cond_resched();
	}
	r->count = count;
	ret = kds_ucmd_respond(ucmd);
out_free_chunk:
	kvfree(w.chunk);
	return ret;
}

static int kds_ioc_stats(struct kds_ucmd *ucmd)
{
	struct kds_stats *st = ucmd->cmd;

	if (st->flags)
		return -EINVAL;
	kds_stats_fill(ucmd->s, st, true);
	return kds_ucmd_respond(ucmd);
}

static int kds_ioc_clear(struct kds_ucmd *ucmd)
{
	if (ucmd->arg)
		return -EINVAL;
	return kds_op_clear(ucmd->s);
}

union kds_ucmd_buffer {
	struct kds_api api;
	struct kds_batch batch;
	struct kds_range range;
	struct kds_stats stats;
};

/**
 * struct kds_ioctl_op - one command of the dispatch table
 * @size: sizeof the command's struct; 0 for a command without one
 * @min_size: the size of its first version: smaller is EINVAL
 * @execute: the handler
 *
 * The table is indexed by _IOC_NR(); every command is _IO(KDS_TYPE, nr).
 * The hot commands (get, put, del, no-op) are not in it: kds_ioctl()
 * calls them first.
 */
struct kds_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct kds_ucmd *ucmd);
};

#define KDS_IOCTL_OP(_ioctl, _fn, _struct, _last)			\
	[_IOC_NR(_ioctl)] = {						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union kds_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.execute = _fn,						\
	}

/* A command whose argument is a plain value, not a struct. */
#define KDS_IOCTL_OP_ARG(_ioctl, _fn)					\
	[_IOC_NR(_ioctl)] = {						\
		.execute = _fn,						\
	}

static const struct kds_ioctl_op kds_ioctl_ops[] = {
	KDS_IOCTL_OP(KDS_IOC_API, kds_ioc_api, struct kds_api, backend),
	KDS_IOCTL_OP(KDS_IOC_BATCH, kds_ioc_batch, struct kds_batch, reserved),
	KDS_IOCTL_OP(KDS_IOC_RANGE, kds_ioc_range, struct kds_range, next),
	KDS_IOCTL_OP(KDS_IOC_STATS, kds_ioc_stats, struct kds_stats, buckets),
	KDS_IOCTL_OP_ARG(KDS_IOC_CLEAR, kds_ioc_clear),
};

/* The commands of the table: every one but the hot ones. */
static int kds_ioctl_table(struct kds_store *s, unsigned int cmd,
			   unsigned long arg)
{
	const struct kds_ioctl_op *op;
	union kds_ucmd_buffer buf;
	struct kds_ucmd ucmd = {
		.s		= s,
		.ubuffer	= (void __user *)arg,
		.arg		= arg,
		.cmd		= &buf,
	};
	unsigned int nr;
	int ret;

	nr = _IOC_NR(cmd);
	if (cmd != _IO(KDS_TYPE, nr) || nr >= ARRAY_SIZE(kds_ioctl_ops))
		return -ENOIOCTLCMD;
	op = &kds_ioctl_ops[array_index_nospec(nr, ARRAY_SIZE(kds_ioctl_ops))];
	if (!op->execute)
		return -ENOIOCTLCMD;

	if (op->size) {
		ucmd.size = op->size;
		ret = kds_struct_fetch(ucmd.cmd, op->size, op->min_size,
				       ucmd.ubuffer, &ucmd.user_size);
		if (ret)
			return ret;
	}
	return op->execute(&ucmd);
}

/**
 * kds_ioctl - unlocked_ioctl of a kds device
 * @file: the open file
 * @cmd: a KDS_IOC_* command
 * @arg: user pointer to the command's struct (or the value 0 for CLEAR)
 *
 * Return: 0 or -errno as documented in <uapi/linux/kds.h>; an unknown
 * command is -ENOIOCTLCMD, which reaches user space as ENOTTY.
 */
long kds_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kds_file *f = kds_file_of(file);
	struct kds_store *s = f->s;
	void __user *uarg = (void __user *)arg;
	int ret;

	switch (cmd) {
	case KDS_IOC_GET:
		ret = kds_ioctl_get(s, uarg);
		break;
	case KDS_IOC_PUT:
		ret = kds_ioctl_put(s, uarg);
		break;
	case KDS_IOC_DEL:
		ret = kds_ioctl_del(s, uarg);
		break;
	case KDS_IOC_NOOP:
		/* the cost of crossing into the driver and back, nothing else */
		return 0;
	default:
		ret = kds_ioctl_table(s, cmd, arg);
		if (ret == -ENOIOCTLCMD)
			return ret;
		break;
	}
	if (ret < 0)
		this_cpu_inc(s->stats->errors);
	return ret;
}
EXPORT_SYMBOL_GPL(kds_ioctl);
