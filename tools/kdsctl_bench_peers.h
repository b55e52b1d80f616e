/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - the peers (bpf() hash map, io_uring, a hash table in
 * user space), the clock, the keys: kdsctl_bench_peers.c.
 */
#ifndef KDSCTL_BENCH_PEERS_H
#define KDSCTL_BENCH_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- keys and the clock --------------------------------------------- */

#define BENCH_SEQ	0
#define BENCH_RAND	1

/*
 * Index regions: the store holds indices 0..N-1; puts use fresh indices
 * from BENCH_FRESH, misses come from BENCH_MISS (random order; in
 * sequential order both are the keys just past the end, N + 1 + j).
 */
#define BENCH_FRESH	(1ULL << 40)
#define BENCH_MISS	(1ULL << 41)

/**
 * bench_mix64 - the splitmix64 finalizer, a bijection on 64-bit numbers
 * @x: input
 *
 * Return: the mixed value; distinct inputs give distinct outputs.
 */
uint64_t bench_mix64(uint64_t x);

/**
 * bench_key - the key of index @i
 * @order: BENCH_SEQ (key i + 1) or BENCH_RAND (key bench_mix64(seed + i))
 * @seed: the run's seed
 * @i: the index
 *
 * Return: the key; distinct indices give distinct keys.
 */
uint64_t bench_key(int order, uint64_t seed, uint64_t i);

/* CLOCK_MONOTONIC in ns: in the icount VM, one ns is one instruction. */
uint64_t bench_now_ns(void);

/* Sleep @secs seconds, through signals. */
void bench_sleep(double secs);

/* ---- user-space hash table: the no-crossing lower bound ------------- */

struct utab_slot;

/**
 * struct utab - open addressing, linear probing, one malloc'd value per key
 * @slots: 2^k slots
 * @mask: number of slots - 1
 * @count: keys held
 */
struct utab {
	struct utab_slot *slots;
	size_t mask;
	size_t count;
};

int utab_init(struct utab *t, size_t keys);
void utab_free(struct utab *t);
int utab_put(struct utab *t, uint64_t key, const void *val, uint32_t len);
int utab_get(const struct utab *t, uint64_t key, void *buf, uint32_t cap,
	     uint32_t *len);
int utab_del(struct utab *t, uint64_t key);

/* ---- bpf() hash map --------------------------------------------------- */

/**
 * struct bpfmap - a BPF_MAP_TYPE_HASH with u64 keys
 * @fd: the map, -1 when none
 * @vsize: value size
 * @cursor: LOOKUP_BATCH position (bucket token)
 * @cursor_valid: false to start over from the first bucket
 */
struct bpfmap {
	int fd;
	uint32_t vsize;
	uint64_t cursor;
	bool cursor_valid;
};

int bpfmap_create(struct bpfmap *m, uint32_t vsize, uint32_t max_entries);
void bpfmap_close(struct bpfmap *m);
int bpfmap_update(struct bpfmap *m, uint64_t key, const void *val);
int bpfmap_lookup(struct bpfmap *m, uint64_t key, void *val);
int bpfmap_delete(struct bpfmap *m, uint64_t key);
int bpfmap_update_batch(struct bpfmap *m, const uint64_t *keys,
			const void *vals, uint32_t count);
int bpfmap_delete_batch(struct bpfmap *m, const uint64_t *keys,
			uint32_t count);
int bpfmap_lookup_batch(struct bpfmap *m, uint64_t *keys, void *vals,
			uint32_t count, uint32_t *got);

/* ---- io_uring --------------------------------------------------------- */

/**
 * struct uring - one io_uring, set up with the raw system calls
 * @fd: the ring, -1 when none
 * @sqe128: set up with IORING_SETUP_SQE128 (80 bytes of command per SQE)
 * @entries: SQ entries
 * @sq_ring, @sq_ring_size, @cq_ring, @cq_ring_size, @sqes, @sqes_size: maps
 * @sq_head, @sq_tail, @sq_mask, @sq_array: the SQ ring's fields
 * @cq_head, @cq_tail, @cq_mask, @cqes: the CQ ring's fields
 * @fixed_fd: the device registered as fixed file 0, -1 when none
 */
struct uring {
	int fd;
	int fixed_fd;
	bool sqe128;
	unsigned int entries;
	void *sq_ring;
	size_t sq_ring_size;
	void *cq_ring;
	size_t cq_ring_size;
	void *sqes;
	size_t sqes_size;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	void *cqes;
};

int uring_setup(struct uring *u, unsigned int entries, bool sqe128);
void uring_close(struct uring *u);
int uring_nop(struct uring *u, unsigned int depth);

/*
 * One uring_cmd per key on a kds device (the proposed passthrough: the
 * command number in cmd_op, struct kds_kv inline in the 128-byte SQE, the
 * value length or -errno in the CQE).  @cmd is KDS_IOC_GET, _PUT or _DEL;
 * for get, @buf holds @n buffers of @vsize bytes.  *@bad counts the CQEs
 * whose result was not @expect (0 for put and del, @vsize for a get hit,
 * -ENOENT for a miss); *@first_err is the first such result.  The device
 * goes in as a registered (fixed) file, as io_uring's own benchmarks of
 * passthrough do, so that no operation pays fget()/fput(); @fd is
 * registered on first use (re-registered when it changes).
 */
int uring_kds(struct uring *u, int fd, unsigned int cmd, const uint64_t *keys,
	      unsigned int n, void *buf, uint32_t vsize, int expect,
	      unsigned int *bad, int *first_err);

#endif /* KDSCTL_BENCH_PEERS_H */
