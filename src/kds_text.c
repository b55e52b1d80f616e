// SPDX-License-Identifier: GPL-2.0
/*
 * kds - the text protocol, for shells.
 *
 * write() takes commands, one per line: "put <key> <value>", "del <key>",
 * "clear".  read() returns a dump, one "<key> <value>\n" line per entry in
 * the backend's iteration order; lseek(fd, 0, SEEK_SET) starts it over.
 * The device is a stream: pread() and pwrite() fail with ESPIPE, and
 * lseek() to any other place with EINVAL.
 * The state of an open file (struct kds_file) is the text protocol's: it
 * is made at open() and freed at release() here.
 */
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/miscdevice.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kds_internal.h"

/*
 * The dump is a seq_file whose every record is one call of the backend's
 * walk: as many "<key> <value>\n" lines as fit in the seq_file's buffer.
 * The walk's cursor moves past an entry only once its line is in that
 * buffer, and seq_file hands out what its buffer holds before it asks for
 * more (it keeps what a failed copy to user space left), so each entry
 * that stays in the store for the whole dump is read exactly once.  An
 * entry whose line does not fit in an empty buffer makes seq_file retry
 * with one twice the size.
 */

/* kds_iter.emit of the dump: one line, if it fits. */
static bool kds_dump_emit(struct kds_iter *it, u64 key, const void *val,
			  u32 len)
{
	struct kds_file *f = container_of(it, struct kds_file, dump);
	struct seq_file *m = f->m;
	char digits[24];
	int n;

	n = snprintf(digits, sizeof(digits), "%llu", key);
	/*
	 * Strictly less: seq_file takes a buffer filled to its last byte
	 * for one that overflowed, and would drop the lines in it.
	 */
	if ((size_t)n + 1 + len + 1 >= m->size - m->count)
		return false;
	seq_write(m, digits, n);
	seq_putc(m, ' ');
	seq_write(m, val, len);
	seq_putc(m, '\n');
	return true;
}

static void *kds_dump_start(struct seq_file *m, loff_t *pos)
{
	struct kds_file *f = m->private;

	if (!*pos) {
		memset(&f->dump, 0, sizeof(f->dump));
		f->dump.hi = U64_MAX;
		f->dump.emit = kds_dump_emit;
	}
	return f->dump.done ? NULL : f;
}

static void *kds_dump_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct kds_file *f = v;

	++*pos;
	return f->dump.done ? NULL : f;
}

static void kds_dump_stop(struct seq_file *m, void *v)
{
}

/* The next lines of the dump, as many as fit in the buffer. */
static int kds_dump_show(struct seq_file *m, void *v)
{
	struct kds_file *f = v;
	int ret;

	do {
		ret = kds_iter_run(f->s, &f->dump);
	} while (ret == -EAGAIN);
	if (ret)
		return ret;
	/*
	 * Not even one line fitted: mark the buffer overflowed, as seq_file's
	 * own (static) seq_set_overflow() does, and seq_file retries with one
	 * twice the size.
	 */
	if (!f->dump.count && f->dump.stopped)
		m->count = m->size;
	return 0;
}

static const struct seq_operations kds_dump_ops = {
	.start	= kds_dump_start,
	.next	= kds_dump_next,
	.stop	= kds_dump_stop,
	.show	= kds_dump_show,
};

/**
 * kds_open - open() of a kds device: per-file state
 * @inode: the device inode
 * @file: the new file
 *
 * Return: 0 or -ENOMEM.
 */
int kds_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our struct miscdevice here */
	struct miscdevice *misc = file->private_data;
	struct kds_file *f;
	int ret;

	f = kzalloc(sizeof(*f), KDS_GFP);
	if (!f)
		return -ENOMEM;
	f->s = container_of(misc, struct kds_store, misc);
	mutex_init(&f->lock);
	file->private_data = NULL;
	ret = seq_open(file, &kds_dump_ops);
	if (ret)
		goto err_free;
	f->m = file->private_data;
	f->m->private = f;
	/*
	 * A stream: an offset means nothing to the dump or to commands.
	 * seq_open() already took pwrite() away.
	 */
	file->f_mode &= ~FMODE_PREAD;
	return 0;

err_free:
	mutex_destroy(&f->lock);
	kfree(f);
	return ret;
}
EXPORT_SYMBOL_GPL(kds_open);

/**
 * kds_release - release() of a kds device
 * @inode: the device inode
 * @file: the file going away
 *
 * Return: 0.
 */
int kds_release(struct inode *inode, struct file *file)
{
	struct kds_file *f = kds_file_of(file);

	kvfree(f->part);
	mutex_destroy(&f->lock);
	kfree(f);
	return seq_release(inode, file);
}
EXPORT_SYMBOL_GPL(kds_release);

/**
 * kds_llseek - llseek() of a kds device
 * @file: the file
 * @offset: must be 0
 * @whence: SEEK_SET rewinds the dump; SEEK_CUR tells the position
 *
 * The dump is a stream with one way back; nothing else has a meaning.
 *
 * Return: the new position, or -EINVAL.
 */
loff_t kds_llseek(struct file *file, loff_t offset, int whence)
{
	if (offset || (whence != SEEK_SET && whence != SEEK_CUR))
		return -EINVAL;
	/* the next read, at position 0, starts the walk over */
	return seq_lseek(file, offset, whence);
}
EXPORT_SYMBOL_GPL(kds_llseek);

/* The value of digit @c in base 10 or 16, or -1. */
static int kds_digit(char c, int base)
{
	int d = -1;

	if (isdigit(c))
		d = c - '0';
	else if (isxdigit(c))
		d = _tolower(c) - 'a' + 10;
	return d < base ? d : -1;
}

/* @n digits of @base at @p: the number, or -EINVAL (a non-digit, overflow). */
static int kds_parse_digits(const char *p, size_t n, int base, u64 *key)
{
	u64 v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int d = kds_digit(p[i], base);

		if (d < 0)
			return -EINVAL;
		if (check_mul_overflow(v, (u64)base, &v) ||
		    check_add_overflow(v, (u64)d, &v))
			return -EINVAL;
	}
	*key = v;
	return 0;
}

/* A key: decimal, or 0x/0X and hex digits; nothing else, no overflow. */
static int kds_parse_key(const char *p, size_t n, u64 *key)
{
	if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return kds_parse_digits(p + 2, n - 2, 16, key);
	if (!n)
		return -EINVAL;
	return kds_parse_digits(p, n, 10, key);
}

/* Apply one command line of @len bytes, without its newline. */
static int kds_text_line(struct kds_store *s, const char *line, size_t len)
{
	const char *arg, *val;
	size_t alen;
	u64 key;
	int ret;

	if (!len)
		return 0;
	if (len == 5 && !memcmp(line, "clear", 5))
		return kds_op_clear(s);
	if (len < 4)
		return -EINVAL;
	arg = line + 4;
	alen = len - 4;

	if (!memcmp(line, "put ", 4)) {
		/* the value is everything after the space that ends the key */
		val = memchr(arg, ' ', alen);
		if (!val)
			return -EINVAL;
		ret = kds_parse_key(arg, val - arg, &key);
		if (ret)
			return ret;
		val++;
		return kds_op_put(s, key, val, arg + alen - val, 0);
	}
	if (!memcmp(line, "del ", 4)) {
		ret = kds_parse_key(arg, alen, &key);
		if (ret)
			return ret;
		return kds_op_del(s, key);
	}
	return -EINVAL;
}

/*
 * Can @n bytes (n > 0) that no newline ends yet still begin a command?
 * 0 if some rest of the line can make them one, else -EINVAL: they do not
 * begin "put ", "del " or "clear", or the key so far cannot be one.
 */
static int kds_text_may_begin(const char *p, size_t n)
{
	const char *sp;
	bool put;
	u64 key;

	if (!memcmp(p, "clear", min_t(size_t, n, 5)))
		return n <= 5 ? 0 : -EINVAL;
	put = !memcmp(p, "put ", min_t(size_t, n, 4));
	if (!put && memcmp(p, "del ", min_t(size_t, n, 4)))
		return -EINVAL;
	if (n <= 4)
		return 0;
	p += 4;
	n -= 4;
	sp = memchr(p, ' ', n);
	if (sp)		/* the key is complete: a put's value may follow */
		return put ? kds_parse_key(p, sp - p, &key) : -EINVAL;
	if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return kds_parse_digits(p + 2, n - 2, 16, &key);
	return kds_parse_digits(p, n, 10, &key);
}

/*
 * Take the unfinished line an earlier write left in @f: *@part (kvmalloc'd,
 * the caller's to free) and its length, 0 if none.
 */
static size_t kds_text_take_part(struct kds_file *f, char **part)
{
	size_t len;

	mutex_lock(&f->lock);
	*part = f->part;
	len = f->part_len;
	f->part = NULL;
	f->part_len = 0;
	mutex_unlock(&f->lock);
	return len;
}

/* Leave @part, @len bytes of an unfinished line, in @f for the next write. */
static void kds_text_keep_part(struct kds_file *f, char *part, size_t len)
{
	char *old;

	mutex_lock(&f->lock);
	old = f->part;
	f->part = part;
	f->part_len = len;
	mutex_unlock(&f->lock);
	kvfree(old);
}

/**
 * kds_text_write - write() of a kds device: commands
 * @file: the open file
 * @ubuf: user buffer
 * @count: its size
 * @ppos: unused: commands do not move the dump
 *
 * Applies the lines in order and stops at the first one that fails.  The
 * data is read through one buffer of at most the longest line, whatever
 * @count is; a line longer than that is refused with E2BIG.
 *
 * Writes may cut lines anywhere, as cat(1) and stdio do: what follows the
 * last newline of a write waits in the file for the rest of its line from
 * the next write, or for close (kds_text_flush()).  So no line is applied
 * in part and no value is cut short.  A tail that can begin no command is
 * refused at once with EINVAL.
 *
 * Return: bytes of this write taken (lines applied, and an unfinished
 * line kept), or the errno of the first line when it failed.  A line
 * that fails is dropped whole, with the part an earlier write gave.
 */
ssize_t kds_text_write(struct file *file, const char __user *ubuf,
		       size_t count, loff_t *ppos)
{
	struct kds_file *f = kds_file_of(file);
	struct kds_store *s = f->s;
	size_t max = KDS_TEXT_MAX_LINE(kds_max_value_size);
	size_t fetched = 0, have, consumed = 0, pre, size;
	bool ended = false;
	char *buf, *part;
	int ret = 0;

	if (!count)
		return 0;
	/* a part is shorter than max: a longer one was refused */
	pre = kds_text_take_part(f, &part);
	size = min(pre + count, max);
	buf = kvmalloc(size, KDS_GFP);
	if (!buf) {
		ret = -ENOMEM;
		goto out_restore;
	}
	memcpy(buf, part, pre);
	have = pre;

	for (;;) {
		size_t n = min(size - have, count - fetched), used = 0;
		char *nl;

		if (copy_from_user(buf + have, ubuf + fetched, n)) {
			ret = -EFAULT;
			break;
		}
		have += n;
		fetched += n;

		while ((nl = memchr(buf + used, '\n', have - used))) {
			size_t len = nl - (buf + used);

			ended = true;
			ret = kds_text_line(s, buf + used, len);
			if (ret)
				goto out_free;
			used += len + 1;
			consumed += len + 1;
			cond_resched();
		}
		if (used) {
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		/* a full buffer without a newline: the line is too long */
		if (have == max) {
			ended = true;	/* it is refused, with its part */
			ret = -E2BIG;
			break;
		}
		if (fetched == count)
			break;
		/* a write of gigabytes: let a kill in between buffers */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	if (!ret && have) {
		/* an unfinished line: it waits for its rest, if it may have one */
		ended = true;
		ret = kds_text_may_begin(buf, have);
		if (!ret) {
			kds_text_keep_part(f, buf, have);
			consumed += have;
			buf = NULL;
		}
	}
out_free:
	kvfree(buf);
	if (ret)
		this_cpu_inc(s->stats->errors);
out_restore:
	/* an error before the earlier part's line ended: it waits on */
	if (!ended && pre)
		kds_text_keep_part(f, part, pre);
	else
		kvfree(part);
	return consumed ? consumed - pre : ret;
}
EXPORT_SYMBOL_GPL(kds_text_write);

/**
 * kds_text_flush - flush() of a kds device, at every close()
 * @file: the open file
 * @id: unused
 *
 * Applies the unfinished line a write left, if any: a file whose last
 * line has no newline.
 *
 * Return: 0, or the line's errno, which close() returns.
 */
int kds_text_flush(struct file *file, fl_owner_t id)
{
	struct kds_file *f = kds_file_of(file);
	size_t len;
	char *part;
	int ret;

	len = kds_text_take_part(f, &part);
	if (!part)
		return 0;
	ret = kds_text_line(f->s, part, len);
	kvfree(part);
	if (ret)
		this_cpu_inc(f->s->stats->errors);
	return ret;
}
EXPORT_SYMBOL_GPL(kds_text_flush);
