// SPDX-License-Identifier: GPL-2.0
/*
 * kds - the binary protocol: the ioctls of <uapi/linux/kds.h>.
 *
 * A put, from ioctl() to the backend and back: kds_ioctl() finds the
 * command in kds_ioctl_ops[], and kds_ucmd_fetch() reads its struct: the
 * size field with get_user(), then copy_struct_from_user() (an older,
 * smaller struct is zero-extended; a newer, larger one needs a zero tail,
 * else E2BIG).  kds_ioc_put() checks the flags and calls kds_user_put(),
 * which copies the value in with copy_from_user() and calls kds_op_put()
 * in the core; the backend takes its lock inside ops->put and copies the
 * value into its entry.  A get goes the other way: kds_user_get() has
 * ops->get copy a small value into a buffer on the stack under the
 * backend's read-side lock (RCU in most), for copy_to_user() once that
 * lock is dropped, and write a larger one from its entry straight to the
 * caller's buffer with page faults disabled (kds_value_out()); only a
 * buffer that would fault gets it through a kernel buffer.  put_user()
 * answers value_len.
 *
 * No lock is held in this file.  Values up to KDS_STACK_VALUE bytes cross
 * through a buffer on the stack, a put's larger ones through kvmalloc().
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

/*
 * The layout of every struct is the same on every architecture (rule 3
 * of the header): these sizes and offsets hold on 32 and 64 bits.
 */
static_assert(sizeof(struct kds_api) == 48);
static_assert(sizeof(struct kds_kv) == 32);
static_assert(sizeof(struct kds_batch_op) == 32);
static_assert(sizeof(struct kds_batch) == 32);
static_assert(sizeof(struct kds_rec) == 16);
static_assert(sizeof(struct kds_range) == 64);
static_assert(offsetof(struct kds_range, next) == 40);
static_assert(sizeof(struct kds_stats) == 120);
static_assert(offsetof(struct kds_stats, shape) == 72);
static_assert(offsetof(struct kds_stats, length) == 80);
static_assert(sizeof(struct kds_clear) == 8);

/*
 * Values up to this size cross through the stack, with no allocation.
 * It saves a kvmalloc() and kvfree() per call: on 6.1 (make bench,
 * N=10^3, 16-byte values) a hash get costs 1191 guest instructions with
 * it and 1662 with a buffer allocated per call, a put 1705 and 2166.
 */
#define KDS_STACK_VALUE		256
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
 * @cmd: the struct, copied in
 */
struct kds_ucmd {
	struct kds_store *s;
	void __user *ubuffer;
	u32 user_size;
	u32 size;
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
	a->features = ops->features | KDS_FEAT_BATCH;
	if (IS_ENABLED(CONFIG_IO_URING))
		a->features |= KDS_FEAT_URING_CMD;
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
 * Return: 0 or -errno, as kds_op_put(); -EFAULT if @uval is not readable.
 */
static int kds_user_put(struct kds_store *s, u64 key, u64 uval, u32 len,
			u32 flags)
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
 * A get whose value ops->get could not write to the caller's buffer
 * without a page fault (a page not yet touched, swapped out, or not
 * writable): read it again into a kernel buffer of its length, for a
 * copy_to_user() that may fault with no lock held.  A value that grew
 * meanwhile is read again into a larger buffer, up to @max bytes.
 * Returns the value's length (in @out->kbuf if it is at most
 * @out->kcap), or -ENOENT or -ENOMEM; @out->kbuf, a kvmalloc() buffer or
 * NULL, is the caller's to free.
 */
static long kds_get_bounce(struct kds_store *s, u64 key, struct kds_out *out,
			   u32 max, long vlen)
{
	*out = (struct kds_out){};
	do {
		kvfree(out->kbuf);
		out->kcap = vlen;
		out->kbuf = kvmalloc(vlen, KDS_GFP);
		if (!out->kbuf)
			return -ENOMEM;
		vlen = s->ops->get(s, key, out);
	} while (vlen > out->kcap && vlen <= max);
	return vlen;
}

/**
 * kds_user_get - get @key's value to user space
 * @s: the store
 * @key: the key
 * @uval: user address of the caller's buffer
 * @len: in: the buffer's size; out: the value's length, when found
 *
 * ops->get copies a value of up to KDS_STACK_VALUE bytes into a buffer
 * on the stack, for copy_to_user() once the backend's lock is dropped,
 * and writes a longer one once, from its entry straight to the caller's
 * buffer (struct kds_out): no bounce buffer and no second lookup, unless
 * that buffer is not writable without a page fault (kds_get_bounce()).
 * Two ways, because each wins where it is used: a small value costs less
 * through the stack than the hardened-usercopy check of a slab object
 * that a direct copy makes (6.1, N=10^3, 16 bytes: a hash get costs 1191
 * guest instructions through the stack, 1325 straight), while a 1-KiB
 * value straight is one copy and one lookup instead of two each (4859
 * through a kvmalloc() buffer, 2328 straight).
 *
 * Return: 0; -ENOENT; -ERANGE if the value is longer than the buffer
 * (*@len then holds its length, nothing is copied); -EFAULT; -ENOMEM.
 */
static int kds_user_get(struct kds_store *s, u64 key, u64 uval, u32 *len)
{
	u8 stack[KDS_STACK_VALUE] __uninitialized;
	struct kds_out out = {
		.kbuf = stack,
		.kcap = min_t(u32, *len, sizeof(stack)),
		.ubuf = u64_to_user_ptr(uval),
		.ucap = *len,
	};
	long vlen;
	int ret = 0;

	this_cpu_inc(s->stats->gets);
	vlen = s->ops->get(s, key, &out);
	if (out.faulted)
		vlen = kds_get_bounce(s, key, &out, *len, vlen);
	if (vlen < 0) {
		ret = vlen;
		goto out_free_buf;
	}
	this_cpu_inc(s->stats->hits);
	if (vlen > *len)
		ret = -ERANGE;
	else if (vlen <= out.kcap &&
		 copy_to_user(u64_to_user_ptr(uval), out.kbuf, vlen))
		ret = -EFAULT;
	if (ret != -EFAULT)
		*len = vlen;
out_free_buf:
	if (out.kbuf != stack)
		kvfree(out.kbuf);
	return ret;
}

/**
 * kds_user_op - one put, get or del whose value is in user space
 * @s: the store
 * @op: KDS_OP_PUT, KDS_OP_GET or KDS_OP_DEL
 * @key: the key
 * @uval: user address of the value (put) or of the buffer (get); del: 0
 * @len: put: the value's length; get: in: the buffer's size, out: the
 *	value's length; del: 0
 * @flags: put: KDS_PUT_* bits; get and del: 0
 *
 * What the ioctl, a batch operation and a uring_cmd all run, with the
 * same checks: an argument the operation does not take must be zero.
 *
 * Return: 0 or -errno as documented in <uapi/linux/kds.h>.
 */
int kds_user_op(struct kds_store *s, u32 op, u64 key, u64 uval, u32 *len,
		u32 flags)
{
	switch (op) {
	case KDS_OP_PUT:
		if (flags & ~KDS_PUT_NOREPLACE)
			return -EINVAL;
		return kds_user_put(s, key, uval, *len, flags);
	case KDS_OP_GET:
		if (flags)
			return -EINVAL;
		return kds_user_get(s, key, uval, len);
	case KDS_OP_DEL:
		if (flags || uval || *len)
			return -EINVAL;
		return kds_op_del(s, key);
	default:
		return -EINVAL;
	}
}

/* KDS_IOC_PUT, _GET and _DEL: a get answers value_len (on ERANGE too). */
static int kds_ioc_kv(struct kds_ucmd *ucmd, u32 op)
{
	struct kds_kv __user *ukv = ucmd->ubuffer;
	struct kds_kv *kv = ucmd->cmd;
	int ret;

	if (kv->reserved)
		return -EINVAL;
	ret = kds_user_op(ucmd->s, op, kv->key, kv->value, &kv->value_len,
			  kv->flags);
	if (op == KDS_OP_GET && (!ret || ret == -ERANGE) &&
	    put_user(kv->value_len, &ukv->value_len))
		return -EFAULT;
	return ret;
}

static int kds_ioc_put(struct kds_ucmd *ucmd)
{
	return kds_ioc_kv(ucmd, KDS_OP_PUT);
}

static int kds_ioc_get(struct kds_ucmd *ucmd)
{
	return kds_ioc_kv(ucmd, KDS_OP_GET);
}

static int kds_ioc_del(struct kds_ucmd *ucmd)
{
	return kds_ioc_kv(ucmd, KDS_OP_DEL);
}

/*
 * A batch reads its operations this many at a time with one copy (one
 * user access instead of one per operation), then runs them in order.
 */
#define KDS_BATCH_CHUNK		8

/*
 * Read the next operations of a batch into @ops: up to KDS_BATCH_CHUNK of
 * our size with one copy_from_user(), else one with copy_struct_from_user()
 * (an op_size larger than ours needs a zero tail: *@err is then -E2BIG for
 * that op alone).  Return: how many were read, or -EFAULT for none.
 */
static int kds_batch_fetch(struct kds_batch_op *ops, const u8 __user *uops,
			   u32 op_size, u32 want, int *err)
{
	unsigned long left;

	*err = 0;
	if (op_size != sizeof(*ops)) {
		*err = copy_struct_from_user(ops, sizeof(*ops), uops, op_size);
		return *err == -EFAULT ? -EFAULT : 1;
	}
	want = min_t(u32, want, KDS_BATCH_CHUNK);
	left = copy_from_user(ops, uops, want * sizeof(*ops));
	if (!left)
		return want;
	/*
	 * Short of a fault: some architectures (arm64) stop copying well
	 * before the faulting byte, so what was copied does not tell which
	 * ops are whole.  Read the first op alone: the ops up to the fault
	 * are then read one at a time.
	 */
	return copy_from_user(ops, uops, sizeof(*ops)) ? -EFAULT : 1;
}

/*
 * Operations run in order, read ahead a chunk at a time (kds_batch_fetch())
 * and each answered with put_user() before the next runs.  An array that
 * faults ends the batch with EFAULT; done then counts the operations that
 * ran.
 */
static int kds_ioc_batch(struct kds_ucmd *ucmd)
{
	struct kds_batch *b = ucmd->cmd;
	struct kds_store *s = ucmd->s;
	u8 __user *uops = u64_to_user_ptr(b->ops);
	struct kds_batch_op ops[KDS_BATCH_CHUNK], *op;
	struct kds_batch_op __user *uop;
	int ret = 0, have = 0, next = 0, err = 0, result;

	if ((b->flags & ~KDS_BATCH_STOP_ON_ERROR) || b->reserved)
		return -EINVAL;
	if (b->count > KDS_BATCH_MAX)
		return -E2BIG;
	if (b->op_size < sizeof(*op))
		return -EINVAL;
	if (b->op_size > PAGE_SIZE)
		return -E2BIG;

	b->done = 0;
	while (b->done < b->count) {
		/* up to KDS_BATCH_MAX values of max_value_size: let a kill in */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
		uop = (struct kds_batch_op __user *)(uops + (size_t)b->done *
						     b->op_size);
		if (next == have) {
			have = kds_batch_fetch(ops, (const u8 __user *)uop,
					       b->op_size, b->count - b->done,
					       &err);
			if (have < 0) {
				ret = have;
				break;
			}
			next = 0;
		}
		op = &ops[next++];
		result = err ?: kds_user_op(s, op->op, op->key, op->value,
					    &op->value_len, op->flags);
		/* it ran, whether or not its answer reaches the array */
		b->done++;
		/* value_len is answered only by a get that was read whole */
		if ((!result || result == -ERANGE) && op->op == KDS_OP_GET &&
		    put_user(op->value_len, &uop->value_len)) {
			ret = -EFAULT;
			break;
		}
		if (put_user(result, &uop->result)) {
			ret = -EFAULT;
			break;
		}
		if (result < 0) {
			this_cpu_inc(s->stats->errors);
			if (b->flags & KDS_BATCH_STOP_ON_ERROR)
				break;
		}
	}
	/* on EFAULT and EINTR too, done tells how far it got */
	return kds_ucmd_respond(ucmd) ?: ret;
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
	if (r->flags || memchr_inv(r->reserved, 0, sizeof(r->reserved)) ||
	    r->lo > r->hi)
		return -EINVAL;
	r->out_flags = 0;
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
				r->out_flags |= KDS_RANGE_MORE;
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

	if ((st->flags & ~KDS_STATS_SHAPE) || st->reserved)
		return -EINVAL;
	kds_stats_fill(ucmd->s, st, st->flags & KDS_STATS_SHAPE);
	return kds_ucmd_respond(ucmd);
}

static int kds_ioc_clear(struct kds_ucmd *ucmd)
{
	struct kds_clear *c = ucmd->cmd;

	if (c->flags)
		return -EINVAL;
	return kds_op_clear(ucmd->s);
}

union kds_ucmd_buffer {
	struct kds_api api;
	struct kds_kv kv;
	struct kds_batch batch;
	struct kds_range range;
	struct kds_stats stats;
	struct kds_clear clear;
};

/**
 * struct kds_ioctl_op - one command of the dispatch table
 * @size: sizeof the command's struct
 * @min_size: the size of its first version: smaller is EINVAL
 * @execute: the handler
 *
 * The table is indexed by _IOC_NR(); every command is _IO(KDS_TYPE, nr).
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

static const struct kds_ioctl_op kds_ioctl_ops[] = {
	KDS_IOCTL_OP(KDS_IOC_API, kds_ioc_api, struct kds_api, backend),
	KDS_IOCTL_OP(KDS_IOC_PUT, kds_ioc_put, struct kds_kv, reserved),
	KDS_IOCTL_OP(KDS_IOC_GET, kds_ioc_get, struct kds_kv, reserved),
	KDS_IOCTL_OP(KDS_IOC_DEL, kds_ioc_del, struct kds_kv, reserved),
	KDS_IOCTL_OP(KDS_IOC_BATCH, kds_ioc_batch, struct kds_batch, reserved),
	KDS_IOCTL_OP(KDS_IOC_RANGE, kds_ioc_range, struct kds_range, reserved),
	KDS_IOCTL_OP(KDS_IOC_STATS, kds_ioc_stats, struct kds_stats, height),
	KDS_IOCTL_OP(KDS_IOC_CLEAR, kds_ioc_clear, struct kds_clear, flags),
};

/*
 * Read the command's struct: its size field, at least @op->min_size and
 * at most a page (a larger struct's tail must be zero: not worth more),
 * then copy_struct_from_user().
 */
static int kds_ucmd_fetch(struct kds_ucmd *ucmd, const struct kds_ioctl_op *op)
{
	if (get_user(ucmd->user_size, (u32 __user *)ucmd->ubuffer))
		return -EFAULT;
	if (ucmd->user_size < op->min_size)
		return -EINVAL;
	if (ucmd->user_size > PAGE_SIZE)
		return -E2BIG;
	ucmd->size = op->size;
	return copy_struct_from_user(ucmd->cmd, op->size, ucmd->ubuffer,
				     ucmd->user_size);
}

/**
 * kds_ioctl - unlocked_ioctl of a kds device
 * @file: the open file
 * @cmd: a KDS_IOC_* command
 * @arg: user pointer to the command's struct
 *
 * Return: 0 or -errno as documented in <uapi/linux/kds.h>; an unknown
 * command is -ENOIOCTLCMD, which reaches user space as ENOTTY.
 */
long kds_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kds_store *s = kds_file_of(file)->s;
	const struct kds_ioctl_op *op;
	union kds_ucmd_buffer buf;
	struct kds_ucmd ucmd = {
		.s		= s,
		.ubuffer	= (void __user *)arg,
		.cmd		= &buf,
	};
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (cmd != _IO(KDS_TYPE, nr) || nr >= ARRAY_SIZE(kds_ioctl_ops))
		return -ENOIOCTLCMD;
	op = &kds_ioctl_ops[array_index_nospec(nr, ARRAY_SIZE(kds_ioctl_ops))];
	if (!op->execute)
		return -ENOIOCTLCMD;

	ret = kds_ucmd_fetch(&ucmd, op);
	if (!ret)
		ret = op->execute(&ucmd);
	if (ret < 0)
		this_cpu_inc(s->stats->errors);
	return ret;
}
EXPORT_SYMBOL_GPL(kds_ioctl);
