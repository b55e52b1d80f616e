// SPDX-License-Identifier: GPL-2.0
/*
 * kds - the in-kernel loop: what the structure alone costs, in the manner
 * of lib/rbtree_test.c.
 *
 * Each store has a root-only debugfs file /sys/kernel/debug/kds/<name>/loop.
 * A write() of one line
 *	OP ORDER SEED FIRST COUNT VSIZE
 * (OP: get, put or del; ORDER: seq or rand) runs COUNT operations through
 * the backend's ops, with no crossing, no user copy and no counters, on
 * the keys of indices FIRST .. FIRST+COUNT-1: key i + 1 for seq,
 * kds_mix64(SEED + i) for rand (the keys of kdsctl bench).  put stores
 * VSIZE bytes; get copies the value into a kernel buffer.  The loop is
 * timed with ktime_get_ns(); the next read() from offset 0 returns
 *	ops=COUNT ns=ELAPSED hits=H
 * where H counts the gets that found their key, or the puts and dels that
 * succeeded.  Loops on one store run one at a time; they run beside the
 * device's users like any other caller of the ops.
 *
 * Beside it, walk_steps reads the steps every walk of the store took so
 * far (entries and empty slots looked at, struct kds_iter): a test of
 * what a dump costs counts them.
 */
#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kds_internal.h"

/* Most operations one write may ask for. */
#define KDS_KLOOP_MAX_COUNT	BIT_ULL(24)
/* Operations between two chances to reschedule or be interrupted. */
#define KDS_KLOOP_STRIDE	1024

/**
 * struct kds_kloop - the loop file of one store
 * @s: the store
 * @dir: /sys/kernel/debug/kds/<name>
 * @lock: protects @answer and @len, and runs one loop at a time.  It is
 *	held around the backend's ops: order kl->lock, then the backend's
 *	own locks; nothing else takes it.  A mutex, so the ops may sleep.
 * @answer: the result line of the last loop
 * @len: its length
 */
struct kds_kloop {
	struct kds_store *s;
	struct dentry *dir;
	struct mutex lock;	/* answer, len; one loop at a time */
	char answer[96];
	size_t len;
};

static struct dentry *kds_debugfs_root;

/* The splitmix64 finalizer: a bijection on 64-bit numbers. */
static u64 kds_mix64(u64 x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

enum kds_kloop_op { KDS_KLOOP_GET, KDS_KLOOP_PUT, KDS_KLOOP_DEL };

/**
 * struct kds_kloop_req - one loop
 * @op: what to run
 * @rand: keys kds_mix64(@seed + i) rather than i + 1
 * @seed: see @rand
 * @first: first index
 * @count: operations
 * @vsize: bytes per put
 */
struct kds_kloop_req {
	enum kds_kloop_op op;
	bool rand;
	u64 seed;
	u64 first;
	u64 count;
	u32 vsize;
};

static int kds_kloop_parse(char *line, struct kds_kloop_req *r)
{
	char op[8], order[8];

	if (sscanf(line, "%7s %7s %llu %llu %llu %u", op, order, &r->seed,
		   &r->first, &r->count, &r->vsize) != 6)
		return -EINVAL;
	if (!strcmp(op, "get"))
		r->op = KDS_KLOOP_GET;
	else if (!strcmp(op, "put"))
		r->op = KDS_KLOOP_PUT;
	else if (!strcmp(op, "del"))
		r->op = KDS_KLOOP_DEL;
	else
		return -EINVAL;
	if (!strcmp(order, "rand"))
		r->rand = true;
	else if (!strcmp(order, "seq"))
		r->rand = false;
	else
		return -EINVAL;
	/* the indices first .. first + count - 1 (and key i + 1) must not wrap */
	if (!r->count || r->count > KDS_KLOOP_MAX_COUNT ||
	    r->first >= U64_MAX - r->count)
		return -EINVAL;
	if (r->vsize > kds_max_value_size)
		return -E2BIG;
	return 0;
}

/* Run @r on @s; *@ns is the elapsed time, *@hits the successes. */
static int kds_kloop_run(struct kds_store *s, const struct kds_kloop_req *r,
			 u64 *ns, u64 *hits)
{
	const struct kds_ops *ops = s->ops;
	u32 cap = r->op == KDS_KLOOP_GET ? kds_max_value_size : r->vsize;
	u64 i, key, t0, elapsed = 0, done = 0;
	struct kds_out out = { .kcap = cap };
	void *buf;
	int ret = 0;

	lockdep_assert_held(&s->kloop->lock);
	buf = kvmalloc(max(cap, 1U), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	memset(buf, 'k', cap);
	out.kbuf = buf;

	while (done < r->count) {
		u64 n = min_t(u64, r->count - done, KDS_KLOOP_STRIDE);

		t0 = ktime_get_ns();
		for (i = r->first + done; i < r->first + done + n; i++) {
			key = r->rand ? kds_mix64(r->seed + i) : i + 1;
			switch (r->op) {
			case KDS_KLOOP_GET:
				*hits += ops->get(s, key, &out) >= 0;
				break;
			case KDS_KLOOP_PUT:
				*hits += !ops->put(s, key, buf, r->vsize, 0);
				break;
			case KDS_KLOOP_DEL:
				*hits += !ops->del(s, key);
				break;
			}
		}
		elapsed += ktime_get_ns() - t0;
		done += n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kvfree(buf);
	*ns = elapsed;
	return ret;
}

static ssize_t kds_kloop_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct kds_kloop *kl = file->private_data;
	struct kds_kloop_req r;
	char line[96];
	u64 ns = 0, hits = 0;
	int ret;

	if (count >= sizeof(line))
		return -EINVAL;
	if (copy_from_user(line, ubuf, count))
		return -EFAULT;
	line[count] = '\0';
	ret = kds_kloop_parse(line, &r);
	if (ret)
		return ret;

	mutex_lock(&kl->lock);
	ret = kds_kloop_run(kl->s, &r, &ns, &hits);
	if (!ret)
		kl->len = scnprintf(kl->answer, sizeof(kl->answer),
				    "ops=%llu ns=%llu hits=%llu\n",
				    r.count, ns, hits);
	mutex_unlock(&kl->lock);
	return ret ?: count;
}

static ssize_t kds_kloop_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct kds_kloop *kl = file->private_data;
	char answer[sizeof(kl->answer)];
	size_t len;

	mutex_lock(&kl->lock);
	len = kl->len;
	memcpy(answer, kl->answer, len);
	mutex_unlock(&kl->lock);
	return simple_read_from_buffer(ubuf, count, ppos, answer, len);
}

static const struct file_operations kds_kloop_fops = {
	.owner		= THIS_MODULE,
	.open		= simple_open,
	.read		= kds_kloop_read,
	.write		= kds_kloop_write,
	.llseek		= default_llseek,
};

/* walk_steps: what every walk of the store looked at (struct kds_iter). */
static int kds_walk_steps_get(void *data, u64 *val)
{
	struct kds_store *s = data;

	*val = atomic64_read(&s->walk_steps);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(kds_walk_steps_fops, kds_walk_steps_get, NULL,
			 "%llu\n");

/* Create /sys/kernel/debug/kds; debugfs may be absent, and that is fine. */
void kds_debugfs_init(void)
{
	kds_debugfs_root = debugfs_create_dir("kds", NULL);
}

void kds_debugfs_exit(void)
{
	debugfs_remove(kds_debugfs_root);
}

/* Give @s its loop file; a store without one works all the same. */
void kds_debugfs_add(struct kds_store *s)
{
	struct kds_kloop *kl;

	kl = kzalloc(sizeof(*kl), GFP_KERNEL);
	if (!kl)
		return;
	kl->s = s;
	mutex_init(&kl->lock);
	kl->dir = debugfs_create_dir(s->ops->name, kds_debugfs_root);
	debugfs_create_file("loop", 0600, kl->dir, kl, &kds_kloop_fops);
	debugfs_create_file_unsafe("walk_steps", 0400, kl->dir, s,
				   &kds_walk_steps_fops);
	s->kloop = kl;
}

/* Remove @s's loop file; returns once no loop runs on @s any more. */
void kds_debugfs_remove(struct kds_store *s)
{
	struct kds_kloop *kl = s->kloop;

	if (!kl)
		return;
	debugfs_remove(kl->dir);
	mutex_destroy(&kl->lock);
	kfree(kl);
	s->kloop = NULL;
}
