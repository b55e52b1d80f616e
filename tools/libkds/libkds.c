// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkds - a small C library over the kds ioctls.
 *
 * Each function fills the command's struct (size first, flags, reserved
 * fields zero), makes one ioctl and turns -1/errno into -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libkds.h"

/* A range buffer holds at least this much, so small values come in bulk. */
#define RANGE_BUF_MIN		(64U * 1024)
/* kds_get_alloc() gives up if the value keeps growing under it. */
#define GET_ALLOC_TRIES		4

static int kds_ioctl(const struct kds_dev *dev, unsigned long cmd, void *arg)
{
	if (ioctl(dev->fd, cmd, arg) < 0)
		return -errno;
	return 0;
}

/* Values travel as __u64 user pointers. */
static uint64_t ptr_to_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* max_value_size as reported, never above what any module allows. */
static uint32_t value_size_limit(const struct kds_dev *dev)
{
	if (dev->api.max_value_size > KDS_VALUE_SIZE_LIMIT)
		return KDS_VALUE_SIZE_LIMIT;
	return (uint32_t)dev->api.max_value_size;
}

/* Do the handshake unless it is done already. */
static int ensure_api(struct kds_dev *dev)
{
	if (dev->api.version)
		return 0;
	return kds_api(dev);
}

int kds_backend_path(char *buf, size_t size, const char *backend)
{
	int n;

	if (!backend[0] || strchr(backend, '/') ||
	    !strcmp(backend, ".") || !strcmp(backend, ".."))
		return -EINVAL;
	n = snprintf(buf, size, "%s/%s", KDS_DEV_DIR, backend);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int kds_open_path(struct kds_dev *dev, const char *path)
{
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(dev, 0, sizeof(*dev));
	dev->fd = fd;
	return 0;
}

int kds_open_backend(struct kds_dev *dev, const char *backend)
{
	char path[64];
	int err;

	err = kds_backend_path(path, sizeof(path), backend);
	if (err)
		return err;
	return kds_open_path(dev, path);
}

void kds_close(struct kds_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
}

int kds_api(struct kds_dev *dev)
{
	struct kds_api api = { .size = sizeof(api) };
	int err;

	err = kds_ioctl(dev, KDS_IOC_API, &api);
	if (err)
		return err;
	if (!api.version)
		return -EPROTO;
	/* Never trust the kernel to have terminated the name. */
	api.backend[sizeof(api.backend) - 1] = '\0';
	dev->api = api;
	return 0;
}

int kds_put(struct kds_dev *dev, uint64_t key, const void *value,
	    size_t len, uint32_t flags)
{
	struct kds_kv kv = {
		.size		= sizeof(kv),
		.flags		= flags,
		.key		= key,
		.value		= ptr_to_u64(value),
		.value_len	= (uint32_t)len,
	};

	if (len > UINT32_MAX)
		return -E2BIG;
	return kds_ioctl(dev, KDS_IOC_PUT, &kv);
}

int kds_get(struct kds_dev *dev, uint64_t key, void *buf, size_t cap,
	    size_t *len)
{
	struct kds_kv kv = {
		.size		= sizeof(kv),
		.key		= key,
		.value		= ptr_to_u64(buf),
		.value_len	= cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap,
	};
	int err;

	err = kds_ioctl(dev, KDS_IOC_GET, &kv);
	if (!err || err == -ERANGE)
		*len = kv.value_len;
	return err;
}

int kds_get_alloc(struct kds_dev *dev, uint64_t key, void **value,
		  size_t *len)
{
	size_t cap, need = 0;
	void *buf = NULL;
	int tries, err;

	err = ensure_api(dev);
	if (err)
		return err;
	cap = value_size_limit(dev);
	for (tries = 0; tries < GET_ALLOC_TRIES; tries++) {
		void *bigger = realloc(buf, cap ? cap : 1);

		if (!bigger) {
			err = -ENOMEM;
			break;
		}
		buf = bigger;
		err = kds_get(dev, key, buf, cap, &need);
		if (err != -ERANGE)
			break;
		/* The value is longer than max_value_size said: grow. */
		cap = need;
	}
	if (err) {
		free(buf);
		return err;
	}
	*value = buf;
	*len = need;
	return 0;
}

int kds_del(struct kds_dev *dev, uint64_t key)
{
	struct kds_kv kv = {
		.size	= sizeof(kv),
		.key	= key,
	};

	return kds_ioctl(dev, KDS_IOC_DEL, &kv);
}

int kds_clear(struct kds_dev *dev)
{
	struct kds_clear clear = { .size = sizeof(clear) };

	return kds_ioctl(dev, KDS_IOC_CLEAR, &clear);
}

int kds_stats(struct kds_dev *dev, struct kds_stats *stats, uint32_t flags)
{
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	stats->flags = flags;
	return kds_ioctl(dev, KDS_IOC_STATS, stats);
}

int kds_batch(struct kds_dev *dev, struct kds_batch_op *ops, uint32_t count,
	      uint32_t flags, uint32_t *done)
{
	struct kds_batch batch = {
		.size		= sizeof(batch),
		.flags		= flags,
		.ops		= ptr_to_u64(ops),
		.count		= count,
		.op_size	= sizeof(*ops),
	};
	uint32_t i;
	int err;

	for (i = 0; i < count && i < KDS_BATCH_MAX; i++)
		ops[i].result = 0;
	err = kds_ioctl(dev, KDS_IOC_BATCH, &batch);
	if (done)
		*done = err ? 0 : batch.done;
	return err;
}

int kds_range_once(struct kds_dev *dev, struct kds_range *range)
{
	range->size = sizeof(*range);
	range->flags = 0;
	range->out_flags = 0;
	memset(range->reserved, 0, sizeof(range->reserved));
	return kds_ioctl(dev, KDS_IOC_RANGE, range);
}

/*
 * Hand each of the @count records in @buf (@len bytes) to @fn.  The
 * records come from the kernel, but a malformed answer must not make us
 * read past the buffer.
 */
static int walk_records(const unsigned char *buf, size_t len, uint32_t count,
			kds_range_fn fn, void *arg)
{
	size_t off = 0;
	uint32_t i;
	int ret;

	for (i = 0; i < count; i++) {
		struct kds_rec rec;

		if (len - off < sizeof(rec))
			return -EPROTO;
		memcpy(&rec, buf + off, sizeof(rec));
		off += sizeof(rec);
		if (len - off < rec.value_len)
			return -EPROTO;
		ret = fn(rec.key, buf + off, rec.value_len, arg);
		if (ret)
			return ret;
		off += KDS_REC_SIZE(rec.value_len) - sizeof(rec);
		if (off > len)
			off = len;
	}
	return 0;
}

/* A buffer that holds at least one record of the largest value. */
static uint32_t range_buf_size(uint32_t max_value)
{
	uint32_t need = KDS_REC_SIZE(max_value);

	return need > RANGE_BUF_MIN ? need : RANGE_BUF_MIN;
}

/* After KDS_RANGE_MORE the walk must move forward and stay below hi. */
static int check_resume(const struct kds_range *r, uint64_t lo, uint64_t hi)
{
	if (!r->count || r->next <= lo || r->next > hi)
		return -EPROTO;
	return 0;
}

int kds_range(struct kds_dev *dev, uint64_t lo, uint64_t hi,
	      kds_range_fn fn, void *arg)
{
	uint32_t cap, cap_max = KDS_REC_SIZE(KDS_VALUE_SIZE_LIMIT);
	struct kds_range r;
	void *buf = NULL;
	int err;

	err = ensure_api(dev);
	if (err)
		return err;
	cap = range_buf_size(value_size_limit(dev));
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		memset(&r, 0, sizeof(r));
		r.lo = lo;
		r.hi = hi;
		r.buf = ptr_to_u64(buf);
		r.buf_len = cap;
		err = kds_range_once(dev, &r);
		if (err == -ERANGE && cap < cap_max) {
			/* A value longer than the handshake said: grow once. */
			void *bigger = realloc(buf, cap_max);

			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			buf = bigger;
			cap = cap_max;
			continue;
		}
		if (err)
			break;
		err = walk_records(buf, cap, r.count, fn, arg);
		if (err || !(r.out_flags & KDS_RANGE_MORE))
			break;
		err = check_resume(&r, lo, hi);
		if (err)
			break;
		lo = r.next;
	}
	free(buf);
	return err;
}
