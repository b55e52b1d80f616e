/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - what the bench's source files share, and what kdsctl
 * and its bench share (the exit statuses, the usage-error message).
 *
 * kdsctl_bench.c		the entry, the plan, the buffers, the run loop
 * kdsctl_bench_opt.c		the help, the defaults, the option parsing
 * kdsctl_bench_out.c		messages and output: table, TSV, JSON; progress
 * kdsctl_bench_target.c	the targets: opening them, operations, fills
 * kdsctl_bench_ops.c		the groups of figures of one target at one N
 * kdsctl_bench_mem.c		memory figures, the memory estimate, the floors
 * kdsctl_bench_peers.c		the peers (bpf() hash map, io_uring, a hash
 *				table in user space), the clock, the keys
 * kdsctl_bench_scale.c		reader scaling over several CPUs
 */
#ifndef KDSCTL_BENCH_H
#define KDSCTL_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libkds.h"

/* ---- kdsctl and its bench ------------------------------------------- */

#define EXIT_OK		0
#define EXIT_FAIL	1	/* not found, refused by the kernel, no device */
#define EXIT_USAGE	2	/* bad command line */

/**
 * usage_error - report a bad command line
 * @cmd: the command whose --help describes what was wrong ("bench"), or
 *	NULL for kdsctl's own
 * @fmt: printf format of the reason
 *
 * Prints "kdsctl: [CMD: ]<reason> (try 'kdsctl [CMD ]--help')" as one line
 * on stderr.
 *
 * Return: EXIT_USAGE.
 */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * kds_bench_main - "kdsctl bench [OPTION]..."
 * @argc: arguments from "bench" on
 * @argv: argv[0] is "bench"
 * @backend: the backend named with kdsctl -b, or NULL
 * @path: the device named with kdsctl -d, or NULL
 *
 * Return: the exit status: 0 when every figure planned was produced (or,
 * outside --smoke, skipped for a reason stated in its note); 1 when a
 * figure failed, or with --smoke when one was skipped; 2 on usage errors.
 */
int kds_bench_main(int argc, char **argv, const char *backend,
		   const char *path);

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

/* ---- reader scaling ------------------------------------------------- */

/**
 * struct scale_result - one reader-scaling measurement
 * @ops_per_s: total operations per second of all threads, per sample
 * @nsamples: samples taken
 * @err: 0, or the negative errno that stopped a thread
 */
struct scale_result {
	double ops_per_s[16];
	unsigned int nsamples;
	int err;
};

/* What each reader thread does in a loop. */
#define SCALE_GET	0	/* KDS_IOC_GET of a present key */
#define SCALE_NOOP	1	/* KDS_IOC_NOOP */
#define SCALE_GETPPID	2	/* getppid(), a control without kds */

/**
 * bench_scale - @threads readers, each pinned to its own CPU, for @secs
 * @path: the kds device (unused for SCALE_GETPPID)
 * @what: SCALE_*
 * @keys: @nkeys present keys (SCALE_GET)
 * @nkeys: keys at @keys
 * @vsize: the values' size
 * @threads: reader threads
 * @secs: seconds per sample
 * @samples: samples, at most 16
 * @res: out
 */
void bench_scale(const char *path, int what, const uint64_t *keys,
		 size_t nkeys, uint32_t vsize, unsigned int threads,
		 double secs, unsigned int samples, struct scale_result *res);

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
 *	takes only the no-op floor on it and leaves the store alone
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

struct memsnap {
	uint64_t slab;		/* active objects of /proc/slabinfo, bytes */
	uint64_t meminfo;	/* Slab + VmallocUsed of /proc/meminfo, bytes */
	bool slab_ok;
	bool meminfo_ok;
};

/* ---- the functions the bench's files share --------------------------- */

/* kdsctl_bench.c */
uint64_t round_up(uint64_t v, uint64_t to);
void fill_bvals(struct bench *b, uint32_t vsize);
void make_keys(struct bench *b, int order);
const char *cannot(const struct bench *b, const struct target *t,
		   uint64_t n, uint32_t vsize, int order, char *why,
		   size_t size);

/* kdsctl_bench_opt.c */
void set_backends_mask(struct bench *b, unsigned int mask);
int parse_args(struct bench *b, int argc, char **argv);

/* kdsctl_bench_out.c */
void note(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void skip(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void fig_stats(const struct fig *f, double *min, double *median);
void print_header(struct bench *b);
void emit(struct bench *b, struct fig *f);
void fig_init(struct fig *f, const char *what, const char *backend,
	      uint64_t n, uint32_t vsize, uint32_t batch,
	      const char *order, uint64_t ops);
void fig_fail(struct fig *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void progress(struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *order_name(int order);
const char *errtext(int err);

/* kdsctl_bench_target.c */
int target_ops(struct bench *b, struct target *t, enum op op,
	       uint32_t vsize, uint32_t batch, const uint64_t *keys,
	       uint64_t n);
int fill(struct bench *b, struct target *t, uint32_t vsize, uint64_t n);
int empty(struct target *t, uint32_t vsize, uint64_t cap);
void open_targets(struct bench *b);
void close_targets(struct bench *b);

/* kdsctl_bench_ops.c */
void figures_at(struct bench *b, struct target *t, uint64_t n,
		uint32_t vsize, int order);

/* kdsctl_bench_mem.c */
uint64_t read_meminfo_kb(const char *field);
const char *too_big(const struct bench *b, const char *backend,
		    uint64_t n, uint32_t vsize, int order, char *why,
		    size_t size);
void mem_snap(struct bench *b, struct memsnap *m);
void mem_emit(struct bench *b, struct target *t,
	      const struct memsnap *before, uint64_t n, uint32_t vsize,
	      int order);
void run_floors(struct bench *b);
void run_uring_floors(struct bench *b);

/* kdsctl_bench_scale.c */
void run_scaling(struct bench *b);

#endif /* KDSCTL_BENCH_H */
