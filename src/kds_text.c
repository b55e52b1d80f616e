// SPDX-License-Identifier: GPL-2.0
/*
 * kds - the text protocol, for shells.
 *
 * write() takes commands, one per line: "put <key> <value>", "del <key>",
 * "clear".  read() returns a dump, one "<key> <value>\n" line per entry in
 * the backend's iteration order; lseek(fd, 0, SEEK_SET) starts it over.
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

/* read() hands the dump out through this many bytes of stack at a time. */
#define KDS_READ_BOUNCE		256

/* Start the dump of an open file over. */
static void kds_text_rewind(struct kds_file *f)
{
	mutex_lock(&f->lock);
	memset(&f->it, 0, sizeof(f->it));
	f->it.hi = U64_MAX;
	f->len = 0;
	f->off = 0;
	f->gen++;
	mutex_unlock(&f->lock);
}

/**
 * kds_open - open() of a kds device: per-file dump state
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

	f = kzalloc(sizeof(*f), KDS_GFP);
	if (!f)
		return -ENOMEM;
	f->s = container_of(misc, struct kds_store, misc);
	mutex_init(&f->lock);
	kds_text_rewind(f);
	file->private_data = f;
	return 0;
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
	struct kds_file *f = file->private_data;

	kvfree(f->buf);
	kvfree(f->part);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
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
	struct kds_file *f = file->private_data;

	if (offset)
		return -EINVAL;
	switch (whence) {
	case SEEK_SET:
		kds_text_rewind(f);
		file->f_pos = 0;
		return 0;
	case SEEK_CUR:
		return file->f_pos;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_GPL(kds_llseek);

/* Replace the (empty) line buffer by one of at least @need bytes. */
static int kds_text_grow(struct kds_file *f, size_t need)
{
	size_t cap = PAGE_ALIGN(need);
	char *buf;

	lockdep_assert_held(&f->lock);
	buf = kvmalloc(cap, KDS_GFP);
	if (!buf)
		return -ENOMEM;
	kvfree(f->buf);
	f->buf = buf;
	f->cap = cap;
	return 0;
}

/*
 * Take the next lines of the dump into the line buffer, which is empty.
 * The backend formats them under its read-side lock; when one line alone
 * does not fit, the buffer grows here, outside that lock, and the walk
 * resumes at the same entry.  Leaves f->len at 0 at the end of the dump.
 */
static int kds_text_fill(struct kds_file *f)
{
	struct kds_store *s = f->s;
	struct kds_iter *it = &f->it;
	int ret;

	lockdep_assert_held(&f->lock);
	f->len = 0;
	f->off = 0;
	if (it->done)
		return 0;
	if (!f->buf) {
		ret = kds_text_grow(f, PAGE_SIZE);
		if (ret)
			return ret;
	}
	for (;;) {
		it->buf = f->buf;
		it->cap = f->cap;
		ret = kds_iter_run(s, it);
		if (ret == -EAGAIN)
			continue;
		if (ret)
			return ret;
		if (it->len || it->done)
			break;
		/* A backend that stops on an entry that fits is broken. */
		if (WARN_ON_ONCE(it->need <= f->cap)) {
			it->done = true;
			break;
		}
		ret = kds_text_grow(f, it->need);
		if (ret)
			return ret;
	}
	f->len = it->len;
	return 0;
}

/*
 * Move up to @max bytes of the dump to @dst.  Returns how many (0 at the
 * end of the dump) or -errno; *@gen identifies this take for
 * kds_text_untake().
 */
static ssize_t kds_text_take(struct kds_file *f, char *dst, size_t max,
			     u64 *gen)
{
	size_t n;
	int ret;

	mutex_lock(&f->lock);
	if (f->off == f->len) {
		ret = kds_text_fill(f);
		if (ret) {
			mutex_unlock(&f->lock);
			return ret;
		}
	}
	n = min(max, f->len - f->off);
	if (n)
		memcpy(dst, f->buf + f->off, n);
	f->off += n;
	*gen = ++f->gen;
	mutex_unlock(&f->lock);
	return n;
}

/*
 * Give back @n bytes that could not be copied to user space, unless the
 * buffer moved on since they were taken (another reader of the same file,
 * or a rewind).
 */
static void kds_text_untake(struct kds_file *f, size_t n, u64 gen)
{
	mutex_lock(&f->lock);
	if (f->gen == gen && f->off >= n) {
		f->off -= n;
		f->gen++;
	}
	mutex_unlock(&f->lock);
}

/**
 * kds_text_read - read() of a kds device: the dump
 * @file: the open file
 * @ubuf: user buffer
 * @count: its size
 * @ppos: file position, advanced by the bytes read
 *
 * A line taken from the store is handed out whole, across as many reads
 * as the caller needs; the per-file lock is never held while copying to
 * user space.
 *
 * Return: bytes read, 0 at the end of the dump, or -errno.
 */
ssize_t kds_text_read(struct file *file, char __user *ubuf, size_t count,
		      loff_t *ppos)
{
	struct kds_file *f = file->private_data;
	char bounce[KDS_READ_BOUNCE];
	size_t done = 0;
	ssize_t n = 0;
	u64 gen;

	while (done < count) {
		n = kds_text_take(f, bounce, min(count - done, sizeof(bounce)),
				  &gen);
		if (n <= 0)
			break;
		if (copy_to_user(ubuf + done, bounce, n)) {
			kds_text_untake(f, n, gen);
			n = -EFAULT;
			break;
		}
		done += n;
	}
	if (!done)
		return n;
	*ppos += done;
	return done;
}
EXPORT_SYMBOL_GPL(kds_text_read);

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
	struct kds_file *f = file->private_data;
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
	struct kds_file *f = file->private_data;
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
