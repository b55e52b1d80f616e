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
 */
#include <linux/build_bug.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kds_internal.h"

/* Values up to this size cross through the stack, with no allocation. */
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
	a->features = ops->features | KDS_FEAT_BATCH;
	a->max_entries = kds_max_entries;
	a->max_value_size = kds_max_value_size;
	strscpy_pad(a->backend, ops->name, sizeof(a->backend));
	return kds_ucmd_respond(ucmd);
}

/* Put @len bytes from user address @uval, through the stack if small. */
static int kds_do_put(struct kds_store *s, u64 key, u64 uval, u32 len,
		      u32 flags)
{
	u8 stack[KDS_STACK_VALUE];
	void *val = stack;
	int ret;

	if (len > kds_max_value_size)
		return -E2BIG;
	if (len > sizeof(stack)) {
		val = kvmalloc(len, GFP_KERNEL);
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
 * Get @key's value to user address @uval.  *@len is in: the caller's buffer
 * size; out: the value's length, when the key was found.  The value comes
 * out of the backend into the stack; one longer than that is read again
 * into a buffer of its size (again if it grew meanwhile), unless it is too
 * long for the caller anyway.
 */
static int kds_do_get(struct kds_store *s, u64 key, u64 uval, u32 *len)
{
	u8 stack[KDS_STACK_VALUE];
	void *heap = NULL;
	void *val = stack;
	u32 cap = sizeof(stack);
	long vlen;
	int ret;

	this_cpu_inc(s->stats->gets);
	for (;;) {
		vlen = s->ops->get(s, key, val, cap);
		if (vlen < 0) {
			ret = vlen;
			goto out_free_heap;
		}
		if (vlen <= cap || vlen > *len)
			break;
		kvfree(heap);
		heap = kvmalloc(vlen, GFP_KERNEL);
		if (!heap) {
			ret = -ENOMEM;
			goto out_free_heap;
		}
		val = heap;
		cap = vlen;
	}
	this_cpu_inc(s->stats->hits);

	if (vlen > *len) {
		*len = vlen;
		ret = -ERANGE;
		goto out_free_heap;
	}
	ret = 0;
	if (copy_to_user(u64_to_user_ptr(uval), val, vlen))
		ret = -EFAULT;
	else
		*len = vlen;
out_free_heap:
	kvfree(heap);
	return ret;
}

static int kds_ioc_put(struct kds_ucmd *ucmd)
{
	struct kds_kv *kv = ucmd->cmd;

	if ((kv->flags & ~KDS_PUT_NOREPLACE) || kv->reserved)
		return -EINVAL;
	return kds_do_put(ucmd->s, kv->key, kv->value, kv->value_len,
			  kv->flags);
}

static int kds_ioc_get(struct kds_ucmd *ucmd)
{
	struct kds_kv *kv = ucmd->cmd;
	int ret;

	if (kv->flags || kv->reserved)
		return -EINVAL;
	ret = kds_do_get(ucmd->s, kv->key, kv->value, &kv->value_len);
	if (ret && ret != -ERANGE)
		return ret;
	/* on ERANGE too: value_len tells the length needed */
	return kds_ucmd_respond(ucmd) ?: ret;
}

static int kds_ioc_del(struct kds_ucmd *ucmd)
{
	struct kds_kv *kv = ucmd->cmd;

	if (kv->flags || kv->value || kv->value_len || kv->reserved)
		return -EINVAL;
	return kds_op_del(ucmd->s, kv->key);
}

/* Run one operation of a batch; its outcome. */
static int kds_batch_run(struct kds_store *s, struct kds_batch_op *op)
{
	if (op->reserved)
		return -EINVAL;
	switch (op->op) {
	case KDS_OP_PUT:
		return kds_do_put(s, op->key, op->value, op->value_len, 0);
	case KDS_OP_GET:
		return kds_do_get(s, op->key, op->value, &op->value_len);
	case KDS_OP_DEL:
		if (op->value || op->value_len)
			return -EINVAL;
		return kds_op_del(s, op->key);
	default:
		return -EINVAL;
	}
}

/*
 * Read the operation at @uop, run it and write back its result and
 * value_len.  *@result is the operation's outcome; the return value is
 * -EFAULT if the array is not accessible, which fails the whole batch.
 */
static int kds_batch_one(struct kds_store *s,
			 struct kds_batch_op __user *uop, u32 op_size,
			 int *result)
{
	struct kds_batch_op op;
	int ret;

	ret = copy_struct_from_user(&op, sizeof(op), uop, op_size);
	if (ret == -EFAULT)
		return ret;
	if (!ret) {
		ret = kds_batch_run(s, &op);
		if (put_user(op.value_len, &uop->value_len))
			return -EFAULT;
	}
	*result = ret;
	if (put_user(ret, &uop->result))
		return -EFAULT;
	return 0;
}

static int kds_ioc_batch(struct kds_ucmd *ucmd)
{
	struct kds_batch *b = ucmd->cmd;
	struct kds_store *s = ucmd->s;
	u8 __user *uops = u64_to_user_ptr(b->ops);
	int ret, result;
	u32 i;

	if ((b->flags & ~KDS_BATCH_STOP_ON_ERROR) || b->reserved)
		return -EINVAL;
	if (b->count > KDS_BATCH_MAX)
		return -E2BIG;
	if (b->op_size < sizeof(struct kds_batch_op))
		return -EINVAL;

	b->done = 0;
	for (i = 0; i < b->count; i++) {
		struct kds_batch_op __user *uop;

		uop = (struct kds_batch_op __user *)(uops +
						     (size_t)i * b->op_size);
		ret = kds_batch_one(s, uop, b->op_size, &result);
		if (ret)
			return ret;
		b->done++;
		if (result < 0) {
			this_cpu_inc(s->stats->errors);
			if (b->flags & KDS_BATCH_STOP_ON_ERROR)
				break;
		}
		cond_resched();
	}
	return kds_ucmd_respond(ucmd);
}

/* Replace the (empty) range chunk by one of @size bytes. */
static int kds_range_chunk(void **chunk, size_t *cap, size_t size)
{
	void *p;

	p = kvmalloc(size, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	kvfree(*chunk);
	*chunk = p;
	*cap = size;
	return 0;
}

static int kds_ioc_range(struct kds_ucmd *ucmd)
{
	struct kds_range *r = ucmd->cmd;
	struct kds_store *s = ucmd->s;
	struct kds_iter it = { .pos = r->lo, .hi = r->hi, .records = true };
	u8 __user *ubuf = u64_to_user_ptr(r->buf);
	void *chunk = NULL;
	size_t cap = 0, room;
	u32 written = 0, count = 0;
	int ret;

	if (!(s->ops->features & KDS_FEAT_RANGE))
		return -EOPNOTSUPP;
	if (r->flags || r->lo > r->hi)
		return -EINVAL;
	r->next = 0;

	if (r->buf_len) {
		ret = kds_range_chunk(&chunk, &cap,
				      min_t(size_t, r->buf_len,
					    KDS_RANGE_CHUNK));
		if (ret)
			return ret;
	}
	for (;;) {
		room = r->buf_len - written;
		it.buf = chunk;
		it.cap = min(room, cap);
		it.len = 0;
		it.need = 0;
		it.count = 0;
		s->ops->iter(s, &it);

		if (it.len) {
			if (copy_to_user(ubuf + written, chunk, it.len)) {
				ret = -EFAULT;
				goto out_free_chunk;
			}
			written += it.len;
			count += it.count;
		} else if (!it.done) {
			/* the next record did not fit */
			if (it.need > room) {
				if (!count) {
					ret = -ERANGE;
					goto out_free_chunk;
				}
				r->flags |= KDS_RANGE_MORE;
				r->next = it.pos;
				break;
			}
			/* it fits the caller's buffer but not the chunk */
			if (WARN_ON_ONCE(it.need <= cap))
				break;
			ret = kds_range_chunk(&chunk, &cap, it.need);
			if (ret)
				goto out_free_chunk;
			continue;
		}
		if (it.done)
			break;
		cond_resched();
	}
	r->count = count;
	ret = kds_ucmd_respond(ucmd);
out_free_chunk:
	kvfree(chunk);
	return ret;
}

static int kds_ioc_stats(struct kds_ucmd *ucmd)
{
	struct kds_stats *st = ucmd->cmd;

	if (st->flags)
		return -EINVAL;
	kds_stats_fill(ucmd->s, st);
	return kds_ucmd_respond(ucmd);
}

static int kds_ioc_clear(struct kds_ucmd *ucmd)
{
	if (ucmd->arg)
		return -EINVAL;
	kds_op_clear(ucmd->s);
	return 0;
}

/* The cost of crossing into the driver and back, and nothing else. */
static int kds_ioc_noop(struct kds_ucmd *ucmd)
{
	return 0;
}

union kds_ucmd_buffer {
	struct kds_api api;
	struct kds_kv kv;
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
	KDS_IOCTL_OP(KDS_IOC_PUT, kds_ioc_put, struct kds_kv, reserved),
	KDS_IOCTL_OP(KDS_IOC_GET, kds_ioc_get, struct kds_kv, reserved),
	KDS_IOCTL_OP(KDS_IOC_DEL, kds_ioc_del, struct kds_kv, reserved),
	KDS_IOCTL_OP(KDS_IOC_BATCH, kds_ioc_batch, struct kds_batch, reserved),
	KDS_IOCTL_OP(KDS_IOC_RANGE, kds_ioc_range, struct kds_range, next),
	KDS_IOCTL_OP(KDS_IOC_STATS, kds_ioc_stats, struct kds_stats, buckets),
	KDS_IOCTL_OP_ARG(KDS_IOC_CLEAR, kds_ioc_clear),
	KDS_IOCTL_OP_ARG(KDS_IOC_NOOP, kds_ioc_noop),
};

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
	struct kds_file *f = file->private_data;
	const struct kds_ioctl_op *op;
	union kds_ucmd_buffer buf;
	struct kds_ucmd ucmd = {
		.s		= f->s,
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
		ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
		if (ret)
			goto out;
		if (ucmd.user_size < op->min_size) {
			ret = -EINVAL;
			goto out;
		}
		ucmd.size = op->size;
		ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
					    ucmd.user_size);
		if (ret)
			goto out;
	}
	ret = op->execute(&ucmd);
out:
	if (ret < 0)
		this_cpu_inc(f->s->stats->errors);
	return ret;
}
EXPORT_SYMBOL_GPL(kds_ioctl);
