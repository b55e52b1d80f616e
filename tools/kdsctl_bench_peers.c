// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - the peers kds is measured against, in the same run:
 * the kernel's own generic map (a bpf() hash map), io_uring, and a hash
 * table in user space (no crossing at all).  All through raw system
 * calls, so that the static kdsctl needs no other library.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kdsctl_bench_peers.h"
#include "libkds.h"

/*
 * The io_uring passthrough by number, so that uapi headers older than
 * 5.19 (which lack its names) still build: they are ABI and never change.
 */
#ifndef IORING_SETUP_SQE128
#define IORING_SETUP_SQE128	(1U << 10)
#endif
#define BENCH_OP_URING_CMD	46	/* IORING_OP_URING_CMD */
#define SQE_CMD_OP_OFFSET	8	/* __u32 cmd_op: the low half of off */
#define SQE_CMD_OFFSET		48	/* the command area, addr3 on: 80 bytes */

/* ---- keys and the clock -------------------------------------------------- */

uint64_t bench_mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t bench_key(int order, uint64_t seed, uint64_t i)
{
	if (order == BENCH_SEQ)
		return i + 1;
	return bench_mix64(seed + i);
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void bench_sleep(double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- user-space hash table ----------------------------------------------- */

struct utab_slot {
	uint64_t key;
	void *val;		/* NULL: the slot is free */
	uint32_t len;
};

int utab_init(struct utab *t, size_t keys)
{
	size_t n = 16;

	/* At most half full, so that probes stay short. */
	while (n < 2 * keys)
		n *= 2;
	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = n - 1;
	t->count = 0;
	return 0;
}

void utab_free(struct utab *t)
{
	size_t i;

	if (!t->slots)
		return;
	for (i = 0; i <= t->mask; i++)
		free(t->slots[i].val);
	free(t->slots);
	t->slots = NULL;
	t->count = 0;
}

/* The slot holding @key, or the free slot where it would go. */
static size_t utab_find(const struct utab *t, uint64_t key)
{
	size_t i = bench_mix64(key) & t->mask;

	while (t->slots[i].val && t->slots[i].key != key)
		i = (i + 1) & t->mask;
	return i;
}

int utab_put(struct utab *t, uint64_t key, const void *val, uint32_t len)
{
	struct utab_slot *s = &t->slots[utab_find(t, key)];
	void *copy;

	if (s->val && s->len == len) {
		memcpy(s->val, val, len);
		return 0;
	}
	if (!s->val && 2 * (t->count + 1) > t->mask + 1)
		return -ENOSPC;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, val, len);
	if (s->val)
		free(s->val);
	else
		t->count++;
	s->key = key;
	s->val = copy;
	s->len = len;
	return 0;
}

int utab_get(const struct utab *t, uint64_t key, void *buf, uint32_t cap,
	     uint32_t *len)
{
	const struct utab_slot *s = &t->slots[utab_find(t, key)];

	if (!s->val)
		return -ENOENT;
	*len = s->len;
	if (s->len > cap)
		return -ERANGE;
	memcpy(buf, s->val, s->len);
	return 0;
}

/* Linear probing deletes by shifting the rest of the run back. */
int utab_del(struct utab *t, uint64_t key)
{
	size_t i = utab_find(t, key), j = i;

	if (!t->slots[i].val)
		return -ENOENT;
	free(t->slots[i].val);
	t->slots[i].val = NULL;
	t->count--;
	for (;;) {
		size_t home;

		j = (j + 1) & t->mask;
		if (!t->slots[j].val)
			return 0;
		home = bench_mix64(t->slots[j].key) & t->mask;
		/* Leave it if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j].val = NULL;
		i = j;
	}
}

/* ---- bpf() hash map ------------------------------------------------------ */

static uint64_t ptr_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	long ret = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

	return ret < 0 ? -errno : (int)ret;
}

int bpfmap_create(struct bpfmap *m, uint32_t vsize, uint32_t max_entries)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_HASH;
	attr.key_size = sizeof(uint64_t);
	attr.value_size = vsize;
	attr.max_entries = max_entries;
	fd = sys_bpf(BPF_MAP_CREATE, &attr);
	if (fd < 0)
		return fd;
	m->fd = fd;
	m->vsize = vsize;
	m->cursor_valid = false;
	return 0;
}

void bpfmap_close(struct bpfmap *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

static int bpfmap_elem(struct bpfmap *m, int cmd, uint64_t key,
		       const void *val, uint64_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)m->fd;
	attr.key = ptr_u64(&key);
	attr.value = ptr_u64(val);
	attr.flags = flags;
	return sys_bpf(cmd, &attr);
}

int bpfmap_update(struct bpfmap *m, uint64_t key, const void *val)
{
	return bpfmap_elem(m, BPF_MAP_UPDATE_ELEM, key, val, BPF_ANY);
}

int bpfmap_lookup(struct bpfmap *m, uint64_t key, void *val)
{
	return bpfmap_elem(m, BPF_MAP_LOOKUP_ELEM, key, val, 0);
}

int bpfmap_delete(struct bpfmap *m, uint64_t key)
{
	return bpfmap_elem(m, BPF_MAP_DELETE_ELEM, key, NULL, 0);
}

static int bpfmap_batch(struct bpfmap *m, int cmd, const uint64_t *keys,
			const void *vals, uint32_t *count)
{
	union bpf_attr attr;
	int ret;

	memset(&attr, 0, sizeof(attr));
	attr.batch.map_fd = (uint32_t)m->fd;
	attr.batch.keys = ptr_u64(keys);
	attr.batch.values = ptr_u64(vals);
	attr.batch.count = *count;
	attr.batch.elem_flags = 0;
	ret = sys_bpf(cmd, &attr);
	*count = attr.batch.count;
	return ret;
}

int bpfmap_update_batch(struct bpfmap *m, const uint64_t *keys,
			const void *vals, uint32_t count)
{
	uint32_t done = count;
	int ret;

	ret = bpfmap_batch(m, BPF_MAP_UPDATE_BATCH, keys, vals, &done);
	if (!ret && done != count)
		return -EIO;
	return ret;
}

int bpfmap_delete_batch(struct bpfmap *m, const uint64_t *keys,
			uint32_t count)
{
	uint32_t done = count;
	int ret;

	ret = bpfmap_batch(m, BPF_MAP_DELETE_BATCH, keys, NULL, &done);
	if (!ret && done != count)
		return -EIO;
	return ret;
}

/*
 * The map's batch lookup is a dump: it walks the buckets from a cursor
 * and returns up to @count elements of whole buckets.  At the end of the
 * map (ENOENT) it starts over.  *@got is what one call returned.
 */
int bpfmap_lookup_batch(struct bpfmap *m, uint64_t *keys, void *vals,
			uint32_t count, uint32_t *got)
{
	union bpf_attr attr;
	uint64_t out = 0;
	int ret;

	memset(&attr, 0, sizeof(attr));
	attr.batch.map_fd = (uint32_t)m->fd;
	attr.batch.in_batch = m->cursor_valid ? ptr_u64(&m->cursor) : 0;
	attr.batch.out_batch = ptr_u64(&out);
	attr.batch.keys = ptr_u64(keys);
	attr.batch.values = ptr_u64(vals);
	attr.batch.count = count;
	ret = sys_bpf(BPF_MAP_LOOKUP_BATCH, &attr);
	*got = 0;
	if (ret == -ENOENT) {
		/* the last elements, if any, came with the end mark */
		*got = attr.batch.count;
		m->cursor_valid = false;
		return 0;
	}
	if (ret)
		return ret;
	*got = attr.batch.count;
	m->cursor = out;
	m->cursor_valid = true;
	return 0;
}

/* ---- io_uring ------------------------------------------------------------ */

static void *ring_field(void *ring, uint32_t off)
{
	return (char *)ring + off;
}

int uring_setup(struct uring *u, unsigned int entries, bool sqe128)
{
	struct io_uring_params p;
	size_t sqe_size = sqe128 ? 128 : sizeof(struct io_uring_sqe);
	long fd;
	int err;

	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->fixed_fd = -1;
	memset(&p, 0, sizeof(p));
	if (sqe128)
		p.flags |= IORING_SETUP_SQE128;
	fd = syscall(__NR_io_uring_setup, entries, &p);
	if (fd < 0)
		return -errno;
	u->fd = (int)fd;
	u->sqe128 = sqe128;
	u->entries = p.sq_entries;
	u->sq_ring_size = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	u->cq_ring_size = p.cq_off.cqes +
			  p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (u->cq_ring_size > u->sq_ring_size)
			u->sq_ring_size = u->cq_ring_size;
		u->cq_ring_size = 0;
	}
	u->sq_ring = mmap(NULL, u->sq_ring_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
	if (u->sq_ring == MAP_FAILED) {
		u->sq_ring = NULL;
		goto err_close;
	}
	u->cq_ring = u->sq_ring;
	if (u->cq_ring_size) {
		u->cq_ring = mmap(NULL, u->cq_ring_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_POPULATE, u->fd,
				  IORING_OFF_CQ_RING);
		if (u->cq_ring == MAP_FAILED) {
			u->cq_ring = NULL;
			goto err_close;
		}
	}
	u->sqes_size = p.sq_entries * sqe_size;
	u->sqes = mmap(NULL, u->sqes_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED) {
		u->sqes = NULL;
		goto err_close;
	}
	u->sq_head = ring_field(u->sq_ring, p.sq_off.head);
	u->sq_tail = ring_field(u->sq_ring, p.sq_off.tail);
	u->sq_mask = ring_field(u->sq_ring, p.sq_off.ring_mask);
	u->sq_array = ring_field(u->sq_ring, p.sq_off.array);
	u->cq_head = ring_field(u->cq_ring, p.cq_off.head);
	u->cq_tail = ring_field(u->cq_ring, p.cq_off.tail);
	u->cq_mask = ring_field(u->cq_ring, p.cq_off.ring_mask);
	u->cqes = ring_field(u->cq_ring, p.cq_off.cqes);
	return 0;

err_close:
	err = -errno;
	uring_close(u);
	return err;
}

void uring_close(struct uring *u)
{
	if (u->sqes)
		munmap(u->sqes, u->sqes_size);
	if (u->cq_ring && u->cq_ring != u->sq_ring)
		munmap(u->cq_ring, u->cq_ring_size);
	if (u->sq_ring)
		munmap(u->sq_ring, u->sq_ring_size);
	if (u->fd >= 0)
		close(u->fd);
	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->fixed_fd = -1;
}

/* Make @fd the ring's fixed file 0. */
static int uring_fix_file(struct uring *u, int fd)
{
	if (u->fixed_fd == fd)
		return 0;
	if (u->fixed_fd >= 0) {
		if (syscall(__NR_io_uring_register, u->fd,
			    IORING_UNREGISTER_FILES, NULL, 0) < 0)
			return -errno;
		u->fixed_fd = -1;
	}
	if (syscall(__NR_io_uring_register, u->fd, IORING_REGISTER_FILES,
		    &fd, 1) < 0)
		return -errno;
	u->fixed_fd = fd;
	return 0;
}

static struct io_uring_sqe *uring_sqe(struct uring *u, unsigned int idx)
{
	size_t size = u->sqe128 ? 128 : sizeof(struct io_uring_sqe);

	return (struct io_uring_sqe *)((char *)u->sqes + idx * size);
}

/* Fill @n SQEs with @fill_sqe and publish them; the kernel reads them later. */
typedef void (*sqe_fill_fn)(struct io_uring_sqe *sqe, unsigned int i,
			    void *arg);

static void uring_queue(struct uring *u, unsigned int n, sqe_fill_fn fill_sqe,
			void *arg)
{
	unsigned int tail = *u->sq_tail, mask = *u->sq_mask, i;

	for (i = 0; i < n; i++) {
		unsigned int idx = (tail + i) & mask;

		fill_sqe(uring_sqe(u, idx), i, arg);
		u->sq_array[idx] = idx;
	}
	__atomic_store_n(u->sq_tail, tail + n, __ATOMIC_RELEASE);
}

/* Submit what was queued and wait for @n completions. */
static int uring_enter(struct uring *u, unsigned int n)
{
	long ret;

	do {
		ret = syscall(__NR_io_uring_enter, u->fd, n, n,
			      IORING_ENTER_GETEVENTS, NULL, 0);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if ((unsigned long)ret != n)
		return -EIO;
	return 0;
}

/*
 * Reap @n completions; each result that is not @expect is counted in
 * *@bad, the first one kept in *@first_err.
 */
static int uring_reap(struct uring *u, unsigned int n, int expect,
		      unsigned int *bad, int *first_err)
{
	unsigned int head = *u->cq_head, mask = *u->cq_mask, got = 0;
	const struct io_uring_cqe *cqes = u->cqes;

	while (got < n) {
		unsigned int tail = __atomic_load_n(u->cq_tail,
						    __ATOMIC_ACQUIRE);

		if (head == tail)
			return -EIO;	/* enter said they were there */
		for (; head != tail && got < n; head++, got++) {
			int res = cqes[head & mask].res;

			if (res != expect) {
				if (!*bad)
					*first_err = res;
				(*bad)++;
			}
		}
	}
	__atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
	return 0;
}

static void fill_nop(struct io_uring_sqe *sqe, unsigned int i, void *arg)
{
	(void)arg;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_NOP;
	sqe->user_data = i;
}

int uring_nop(struct uring *u, unsigned int depth)
{
	unsigned int bad = 0;
	int first = 0, ret;

	if (depth > u->entries)
		return -EINVAL;
	uring_queue(u, depth, fill_nop, NULL);
	ret = uring_enter(u, depth);
	if (!ret)
		ret = uring_reap(u, depth, 0, &bad, &first);
	if (!ret && bad)
		ret = first < 0 ? first : -EIO;
	return ret;
}

struct kds_cmd_args {
	int fd;
	unsigned int cmd;
	const uint64_t *keys;
	char *buf;
	uint32_t vsize;
};

static void fill_kds(struct io_uring_sqe *sqe, unsigned int i, void *arg)
{
	const struct kds_cmd_args *a = arg;
	struct kds_kv kv = {
		.size	= sizeof(kv),
		.key	= a->keys[i],
	};

	memset(sqe, 0, 128);
	sqe->opcode = BENCH_OP_URING_CMD;
	sqe->fd = 0;			/* fixed file 0: the device */
	sqe->flags = IOSQE_FIXED_FILE;
	memcpy((char *)sqe + SQE_CMD_OP_OFFSET, &a->cmd, sizeof(a->cmd));
	sqe->user_data = i;
	if (a->cmd == KDS_IOC_GET) {
		kv.value = ptr_u64(a->buf + (size_t)i * a->vsize);
		kv.value_len = a->vsize;
	} else if (a->cmd == KDS_IOC_PUT) {
		kv.value = ptr_u64(a->buf);
		kv.value_len = a->vsize;
	}
	memcpy((char *)sqe + SQE_CMD_OFFSET, &kv, sizeof(kv));
}

int uring_kds(struct uring *u, int fd, unsigned int cmd, const uint64_t *keys,
	      unsigned int n, void *buf, uint32_t vsize, int expect,
	      unsigned int *bad, int *first_err)
{
	struct kds_cmd_args a = {
		.fd	= fd,
		.cmd	= cmd,
		.keys	= keys,
		.buf	= buf,
		.vsize	= vsize,
	};
	int ret;

	if (!u->sqe128 || n > u->entries)
		return -EINVAL;
	ret = uring_fix_file(u, fd);
	if (ret)
		return ret;
	uring_queue(u, n, fill_kds, &a);
	ret = uring_enter(u, n);
	if (!ret)
		ret = uring_reap(u, n, expect, bad, first_err);
	return ret;
}
