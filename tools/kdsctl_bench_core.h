/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - the bench's state, what all its files share:
 * kdsctl_bench_core.c.
 */
#ifndef KDSCTL_BENCH_CORE_H
#define KDSCTL_BENCH_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libkds.h"
#include "kdsctl_bench_peers.h"

/* ---- the bench's state --------------------------------------------- */

#define BENCH_PROG		"kdsctl bench"

#define MAX_LIST		8
#define MAX_SAMPLES		64
#define MAX_TARGETS		8
#define MAX_BATCH		KDS_BATCH_MAX
/* Fills run in batches of this many puts. */
#define FILL_BATCH		256U
/* A progress line at most this often (ns). */
#define PROGRESS_NS		2000000000ULL

/* Groups of figures (--only). */
#define G_FLOOR			(1U << 0)
#define G_KDS			(1U << 1)
#define G_BPF			(1U << 2)
#define G_URING			(1U << 3)
#define G_USER			(1U << 4)
#define G_MEM			(1U << 5)
#define G_SCALE			(1U << 6)
#define G_DEFAULT		(G_FLOOR | G_KDS | G_BPF | G_URING | G_USER | G_MEM)

#define NR_BACKENDS		5	/* list, hash, rbtree, xarray, maple */

enum fmt { FMT_TABLE, FMT_TSV, FMT_JSON };

/* The four operations of a measured group, in the order a sample runs them. */
enum op { OP_GET_HIT, OP_GET_MISS, OP_PUT, OP_DEL, NR_OPS };

enum kind { T_KDS, T_BPF, T_USER };

/**
 * struct target - something that stores keys: a kds backend or a peer
 * @kind: T_KDS, T_BPF or T_USER
 * @name: the backend column: "hash", "bpf-hash", "user-hash"
 * @path: the device node (T_KDS)
 * @dev: the open device (T_KDS)
 * @present: the device opened and answered the handshake
 * @occupied: the store held entries and --clear was not given: the bench
 *	takes only the crossing floor on it and leaves the store alone
 * @ordered: it supports KDS_IOC_RANGE
 * @uring_cmd: it answered the uring_cmd probe
 * @kloop: path of its in-kernel loop file, "" when it has none
 * @map: the map (T_BPF)
 * @tab: the table (T_USER)
 * @count: the store holds the keys of indices 0..@count-1
 */
struct target {
	enum kind kind;
	char name[24];
	char path[80];
	struct kds_dev dev;
	bool present;
	bool occupied;
	bool ordered;
	bool uring_cmd;
	char kloop[96];
	struct bpfmap map;
	struct utab tab;
	uint64_t count;
};

/**
 * struct fig - one output line
 * @what: the operation
 * @backend: the target ("-" for floors)
 * @n: store size (0: not applicable)
 * @vsize: value size (UINT32_MAX: not applicable)
 * @batch: operations per call (0: single operations)
 * @order: "seq", "rand" or "-"
 * @threads: threads measuring
 * @unit: "ns/op", "B/entry", "ops/s", "x"
 * @v: the samples
 * @nv: samples taken
 * @ops: operations per sample
 * @failed: an error stopped it (see @note)
 * @note: a remark, or the reason it failed
 */
struct fig {
	const char *what;
	const char *backend;
	uint64_t n;
	uint32_t vsize;
	uint32_t batch;
	const char *order;
	unsigned int threads;
	const char *unit;
	double v[MAX_SAMPLES];
	unsigned int nv;
	uint64_t ops;
	bool failed;
	char note[200];
};

struct bench {
	/* configuration */
	const char *backends[NR_BACKENDS];
	unsigned int nbackends;
	const char *dev_path;
	uint64_t n[MAX_LIST];
	unsigned int nn;
	uint32_t vsizes[MAX_LIST];
	unsigned int nvsizes;
	uint32_t batches[MAX_LIST];
	unsigned int nbatches;
	uint32_t depths[MAX_LIST];
	unsigned int ndepths;
	int orders[2];
	unsigned int norders;
	uint32_t ops;
	unsigned int samples;
	unsigned int warmup;
	uint64_t seed;
	uint64_t list_max_n;
	unsigned int groups;
	double scale_secs;
	unsigned int scale_samples;
	uint64_t scale_n;
	unsigned int scale_threads;
	double settle;
	enum fmt format;
	bool smoke;
	bool quiet;
	bool clear;

	/* buffers */
	uint64_t nmax;		/* largest N planned */
	uint32_t vmax;		/* largest value size */
	uint32_t bmax;		/* largest batch or depth */
	uint64_t *keys;		/* keys of indices 0..nmax-1 */
	uint64_t *fresh;	/* keys to put and del */
	uint64_t *miss;		/* keys that are absent */
	uint64_t *win;		/* keys of one get-hit sample */
	char *val;		/* the value every put stores */
	char *buf;		/* get buffers, bmax of vmax bytes */
	char *rbuf;		/* range records */
	struct kds_batch_op *bops;
	uint64_t *bkeys;
	char *bvals;		/* bmax values for bpf batches */

	/* state */
	struct target t[MAX_TARGETS];
	unsigned int nt;
	struct uring cmd_ring;	/* SQE128, for uring_cmd */
	uint64_t mem_avail;
	uint64_t started;
	uint64_t last_progress;
	unsigned int step;
	unsigned int steps;
	bool header_done;
	unsigned int produced;
	unsigned int skipped;
	unsigned int failed;
};

/* ---- helpers of the plan and the buffers ---------------------------- */

uint64_t round_up(uint64_t v, uint64_t to);
uint64_t ops_max(const struct bench *b);
void fill_bvals(struct bench *b, uint32_t vsize);
void make_keys(struct bench *b, int order);

#endif /* KDSCTL_BENCH_CORE_H */
