// SPDX-License-Identifier: GPL-2.0
/*
 * kds - io_uring passthrough: IORING_OP_URING_CMD on a kds device.
 *
 * On a ring set up with IORING_SETUP_SQE128, an SQE with cmd_op
 * KDS_IOC_GET, KDS_IOC_PUT or KDS_IOC_DEL carries a struct kds_kv inline
 * in its 80-byte command area.  The operation runs inline, in the
 * submitter's context, as the ioctl would: the struct is copied out of
 * the SQE once (user space may rewrite the ring meanwhile) and runs
 * through kds_user_op(), with the ioctl's checks.  The CQE's res is the
 * value length for a get, 0 for put and del, or -errno.  No lock is
 * held here, and the command always completes before it returns, so
 * io_uring_cmd_done() (whose arguments differ between kernel lines) is
 * never needed.
 *
 * An issue with IO_URING_F_NONBLOCK (io_uring's first, inline attempt)
 * must not sleep: a put (it allocates) and a del (most backends take a
 * sleeping lock or free memory) answer -EAGAIN, and io_uring issues them
 * again from a worker thread, where they may.  A get is always answered
 * inline: its result is the value's length, and 6.1's worker drops a
 * positive result (the request never completes).  Lookups take no
 * sleeping lock, except the list's, which waits at most for one writer's
 * walk of the list.
 */
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "kds_internal.h"

/* The command area of a 128-byte SQE: 128 - offsetof(sqe, cmd). */
#define KDS_URING_CMD_AREA	80

/* Copy the struct kds_kv out of the SQE and check its size and tail. */
static int kds_uring_kv(struct kds_kv *kv, struct io_uring_cmd *ioucmd,
			unsigned int issue_flags)
{
	const u8 *area = kds_uring_cmd_area(ioucmd);

	/* A 64-byte SQE has 16 bytes of command area: too small. */
	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	*kv = *(const struct kds_kv *)area;
	if (kv->size < sizeof(*kv))
		return -EINVAL;
	/* as the ioctl answers a struct larger than the kernel takes */
	if (kv->size > KDS_URING_CMD_AREA)
		return -E2BIG;
	if (kv->size > sizeof(*kv) &&
	    memchr_inv(area + sizeof(*kv), 0, kv->size - sizeof(*kv)))
		return -E2BIG;
	return 0;
}

static int kds_uring_run(struct kds_store *s, struct io_uring_cmd *ioucmd,
			 unsigned int issue_flags)
{
	struct kds_kv kv;
	u32 op;
	int ret;

	switch (ioucmd->cmd_op) {
	case KDS_IOC_PUT:
		op = KDS_OP_PUT;
		break;
	case KDS_IOC_GET:
		op = KDS_OP_GET;
		break;
	case KDS_IOC_DEL:
		op = KDS_OP_DEL;
		break;
	default:
		return -ENOTTY;
	}
	/* Registered buffers are not used: values travel by address. */
	if (ioucmd->flags & IORING_URING_CMD_FIXED)
		return -EINVAL;
	ret = kds_uring_kv(&kv, ioucmd, issue_flags);
	if (ret)
		return ret;
	if (kv.reserved)
		return -EINVAL;
	ret = kds_user_op(s, op, kv.key, kv.value, &kv.value_len, kv.flags);
	return op == KDS_OP_GET && !ret ? kv.value_len : ret;
}

/**
 * kds_uring_cmd - uring_cmd of a kds device
 * @ioucmd: the command: cmd_op is a KDS_IOC_* number
 * @issue_flags: IO_URING_F_* flags of this issue
 *
 * Return: the value length (get) or 0 (put, del), or -errno as documented
 * in <uapi/linux/kds.h>; it becomes the CQE's res.
 */
int kds_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct kds_file *f = kds_file_of(ioucmd->file);
	struct kds_store *s = f->s;
	int ret;

	if ((issue_flags & IO_URING_F_NONBLOCK) && ioucmd->cmd_op != KDS_IOC_GET)
		return -EAGAIN;
	ret = kds_uring_run(s, ioucmd, issue_flags);
	if (ret < 0)
		this_cpu_inc(s->stats->errors);
	return ret;
}
EXPORT_SYMBOL_GPL(kds_uring_cmd);
