// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - what each operation of each kds backend costs, next to
 * the floors and the peers, measured in one run with the same keys,
 * values and key order.
 *
 * A figure is one operation (put, get-hit, get-miss, del, range, ...)
 * on one target (a backend, the bpf() hash map, the user-space table)
 * at one store size N, value size, batch size and key order.  It is
 * measured as warm-up samples, then timed samples of --ops operations
 * each; the minimum and the median of the samples' ns per operation are
 * reported.  The store is filled once per N (sizes ascending, each fill
 * adds the missing keys); puts insert fresh keys that the following dels
 * remove, so every sample sees a store of N keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kdsctl_bench.h"

#define PROG			"kdsctl bench"

#define EXIT_OK			0
#define EXIT_FAIL		1
#define EXIT_USAGE		2

#define MAX_LIST		8
#define MAX_SAMPLES		64
#define MAX_TARGETS		8
#define MAX_BATCH		KDS_BATCH_MAX
/* Fills run in batches of this many puts. */
#define FILL_BATCH		256U
/* A progress line at most this often (ns). */
#define PROGRESS_NS		2000000000ULL

/* An unknown ioctl command for /dev/null (no driver claims it). */
#define DEVNULL_CMD		_IO(KDS_TYPE, 0x3f)

#define KLOOP_DIR		"/sys/kernel/debug/kds"

/* Groups of figures (--only). */
#define G_FLOOR			(1U << 0)
#define G_KDS			(1U << 1)
#define G_BPF			(1U << 2)
#define G_URING			(1U << 3)
#define G_USER			(1U << 4)
#define G_MEM			(1U << 5)
#define G_SCALE			(1U << 6)
#define G_DEFAULT		(G_FLOOR | G_KDS | G_BPF | G_URING | G_USER | G_MEM)

static const char *const group_names[] = {
	"floor", "kds", "bpf", "uring", "user", "mem", "scale",
};

static const char *const all_backends[] = {
	"list", "hash", "rbtree", "xarray", "maple",
};

#define NR_BACKENDS	(sizeof(all_backends) / sizeof(all_backends[0]))

enum fmt { FMT_TABLE, FMT_TSV, FMT_JSON };

/* The four operations of a measured group, in the order a sample runs them. */
enum op { OP_GET_HIT, OP_GET_MISS, OP_PUT, OP_DEL, NR_OPS };

static const char *const op_names[NR_OPS] = {
	"get-hit", "get-miss", "put", "del",
};

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

static const char help_text[] =
"Usage: kdsctl [-b BACKEND | -d PATH] bench [OPTION]...\n"
"Measure what each operation of each kds backend costs, next to the floors\n"
"(getppid(), KDS_IOC_NOOP, an unknown ioctl on /dev/null) and the peers (a\n"
"bpf() hash map, io_uring NOP, a hash table in user space), with the same\n"
"keys, values and key order.  Each figure: warm-up samples, then timed\n"
"samples; the minimum and the median ns per operation are reported\n"
"(CLOCK_MONOTONIC: under QEMU -icount one ns is one guest instruction).\n"
"\n"
"Options:\n"
"      --backends=LIST    backends to measure (default: list,hash,rbtree,\n"
"                         xarray,maple, or the one named with -b or -d)\n"
"  -n, --n=LIST           store sizes N (default 1e3,1e4,1e5,1e6)\n"
"  -s, --value-sizes=LIST value sizes in bytes (default 16,1024)\n"
"      --batches=LIST     operations per KDS_IOC_BATCH and per bpf batch,\n"
"                         records per KDS_IOC_RANGE (default 1,16,64,256)\n"
"      --depths=LIST      io_uring operations per submit (default 1,8,32,128)\n"
"      --orders=LIST      seq (keys 1..N in order), rand (seeded random\n"
"                         64-bit keys) (default seq,rand)\n"
"      --ops=COUNT        operations per sample (default 1024)\n"
"      --samples=COUNT    timed samples per figure (default 5, at most 64)\n"
"      --warmup=COUNT     untimed samples before them (default 1)\n"
"      --seed=NUMBER      seed of the random keys (default 1)\n"
"      --only=LIST        groups of figures: floor, kds, bpf, uring, user,\n"
"                         mem, scale (default: all but scale)\n"
"      --list-max-n=N     largest N for the list backend, whose lookups\n"
"                         walk the list (default 1e4)\n"
"      --scale-n=N        keys of the reader-scaling runs (default 1e5)\n"
"      --scale-seconds=S  seconds per reader-scaling sample (default 2)\n"
"      --scale-samples=N  reader-scaling samples (default 3)\n"
"      --scale-threads=N  readers of the second run (default 2)\n"
"      --settle=SECONDS   wait before a memory reading, for RCU frees\n"
"                         (default 0.5)\n"
"      --format=FORMAT    table (default), tsv or json: one line per figure\n"
"      --smoke            a run of a few seconds over every kind of figure;\n"
"                         exit 1 unless every figure was produced\n"
"      --clear            measure stores that hold entries too: the bench\n"
"                         deletes them (by default it leaves such a store\n"
"                         alone, with a note)\n"
"  -q, --quiet            no progress lines on stderr\n"
"  -h, --help             print this help and exit\n"
"\n"
"A LIST is comma-separated; sizes may be written 1e5.  Columns: what,\n"
"backend, n, value_size, batch (- for single operations), order, threads,\n"
"unit, min, median, samples, ops (per sample), note.  Figures that cannot\n"
"be taken (module not loaded, N above max_entries, bpf() not permitted)\n"
"are skipped with a note.\n"
"Exit status: 0 when every figure was produced or skipped with a note,\n"
"1 when one failed (or, with --smoke, was skipped), 2 on a usage error.\n";

/* ---- messages and output ------------------------------------------------- */

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'kdsctl bench --help'.\n", stderr);
	return EXIT_USAGE;
}

static void fmt_u64(char *buf, size_t size, uint64_t v, bool na)
{
	if (na)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%" PRIu64, v);
}

static void fmt_val(char *buf, size_t size, double v, bool na,
		    const char *unit)
{
	if (na)
		snprintf(buf, size, "n/a");
	else if (!strcmp(unit, "x"))
		snprintf(buf, size, "%.2f", v);
	else if (v >= 100000)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.1f", v);
}

/* JSON string: the notes are ours, but quote what needs quoting. */
static void json_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			putc(*s, f);
	}
	putc('"', f);
}

/* A line that is not a figure: why something was skipped, and the like. */
static void note(struct bench *b, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	switch (b->format) {
	case FMT_TSV:
		printf("#note\t%s\n", msg);
		break;
	case FMT_JSON:
		fputs("{\"note\":", stdout);
		json_str(stdout, msg);
		puts("}");
		break;
	default:
		printf("note: %s\n", msg);
		break;
	}
	fflush(stdout);
}

static void skip(struct bench *b, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->skipped++;
	note(b, "skipped: %s", msg);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void fig_stats(const struct fig *f, double *min, double *median)
{
	double v[MAX_SAMPLES];
	unsigned int n = f->nv;

	memcpy(v, f->v, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_double);
	*min = v[0];
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_header(struct bench *b)
{
	if (b->header_done)
		return;
	b->header_done = true;
	if (b->format == FMT_TSV)
		puts("#what\tbackend\tn\tvalue_size\tbatch\torder\tthreads"
		     "\tunit\tmin\tmedian\tsamples\tops\tnote");
	else if (b->format == FMT_TABLE)
		printf("%-16s %-9s %8s %5s %5s %-5s %3s %10s %10s %-7s %s\n",
		       "what", "backend", "N", "value", "batch", "order",
		       "thr", "min", "median", "unit", "note");
}

static void emit(struct bench *b, struct fig *f)
{
	char n[24], vs[16], bt[16], mn[32], md[32];
	bool na = f->failed || !f->nv;
	double min = 0, median = 0;

	if (!na)
		fig_stats(f, &min, &median);
	if (f->failed)
		b->failed++;
	else if (na)
		b->skipped++;
	else
		b->produced++;
	fmt_u64(n, sizeof(n), f->n, !f->n);
	fmt_u64(vs, sizeof(vs), f->vsize, f->vsize == UINT32_MAX);
	fmt_u64(bt, sizeof(bt), f->batch, !f->batch);
	fmt_val(mn, sizeof(mn), min, na, f->unit);
	fmt_val(md, sizeof(md), median, na, f->unit);
	print_header(b);
	switch (b->format) {
	case FMT_TSV:
		printf("%s\t%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s\t%s\t%u\t%" PRIu64 "\t%s\n",
		       f->what, f->backend, n, vs, bt, f->order, f->threads,
		       f->unit, mn, md, f->nv, f->ops, f->note);
		break;
	case FMT_JSON:
		fputs("{\"what\":", stdout);
		json_str(stdout, f->what);
		fputs(",\"backend\":", stdout);
		json_str(stdout, f->backend);
		printf(",\"n\":%s,\"value_size\":%s,\"batch\":%s,\"order\":",
		       f->n ? n : "null", f->vsize == UINT32_MAX ? "null" : vs,
		       f->batch ? bt : "null");
		json_str(stdout, f->order);
		printf(",\"threads\":%u,\"unit\":", f->threads);
		json_str(stdout, f->unit);
		printf(",\"min\":%s,\"median\":%s,\"samples\":%u,\"ops\":%" PRIu64
		       ",\"note\":", na ? "null" : mn, na ? "null" : md, f->nv,
		       f->ops);
		json_str(stdout, f->note);
		puts("}");
		break;
	default:
		printf("%-16s %-9s %8s %5s %5s %-5s %3u %10s %10s %-7s %s\n",
		       f->what, f->backend, n, vs, bt, f->order, f->threads,
		       mn, md, f->unit, f->note);
		break;
	}
	fflush(stdout);
}

static void fig_init(struct fig *f, const char *what, const char *backend,
		     uint64_t n, uint32_t vsize, uint32_t batch,
		     const char *order, uint64_t ops)
{
	memset(f, 0, sizeof(*f));
	f->what = what;
	f->backend = backend;
	f->n = n;
	f->vsize = vsize;
	f->batch = batch;
	f->order = order;
	f->threads = 1;
	f->unit = "ns/op";
	f->ops = ops;
}

static void fig_fail(struct fig *f, const char *fmt, ...)
{
	va_list ap;

	if (f->failed)
		return;
	f->failed = true;
	va_start(ap, fmt);
	vsnprintf(f->note, sizeof(f->note), fmt, ap);
	va_end(ap);
}

static void progress(struct bench *b, const char *fmt, ...)
{
	uint64_t now = bench_now_ns();
	char msg[160];
	va_list ap;

	if (b->quiet || now - b->last_progress < PROGRESS_NS)
		return;
	b->last_progress = now;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b->steps)
		fprintf(stderr, "%s: [%3u%%] step %u/%u, %.0fs: %s\n", PROG,
			100 * b->step / b->steps, b->step, b->steps,
			(double)(now - b->started) / 1e9, msg);
	else
		fprintf(stderr, "%s: [%.0fs] %s\n", PROG,
			(double)(now - b->started) / 1e9, msg);
}

static const char *order_name(int order)
{
	return order == BENCH_SEQ ? "seq" : "rand";
}

/* ---- options ------------------------------------------------------------- */

/* A count: digits, optionally followed by eDIGITS (1e6). */
static bool parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p == 'e' || *p == 'E') {
		unsigned int e = 0;

		p++;
		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++)
			e = e * 10 + (unsigned int)(*p - '0');
		if (e > 18)
			return false;
		while (e--) {
			if (v > UINT64_MAX / 10)
				return false;
			v *= 10;
		}
	}
	if (*p)
		return false;
	*out = v;
	return true;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 3600)
		return false;
	*out = v;
	return true;
}

/* "a,b,c" into at most @max counts within [@lo, @hi]. */
static int parse_count_list(const char *opt, const char *arg, uint64_t *out,
			    unsigned int max, unsigned int *n, uint64_t lo,
			    uint64_t hi)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		return usage_error("--%s: list too long", opt);
	strcpy(buf, arg);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (!parse_count(tok, &v) || v < lo || v > hi)
			return usage_error("--%s: bad value '%s' (%" PRIu64
					   "..%" PRIu64 ")", opt, tok, lo, hi);
		if (*n == max)
			return usage_error("--%s: at most %u values", opt, max);
		out[(*n)++] = v;
	}
	if (!*n)
		return usage_error("--%s: empty list", opt);
	return EXIT_OK;
}

static int parse_u32_list(const char *opt, const char *arg, uint32_t *out,
			  unsigned int *n, uint64_t lo, uint64_t hi)
{
	uint64_t v[MAX_LIST];
	unsigned int i;
	int ret;

	ret = parse_count_list(opt, arg, v, MAX_LIST, n, lo, hi);
	for (i = 0; !ret && i < *n; i++)
		out[i] = (uint32_t)v[i];
	return ret;
}

static int parse_names(const char *opt, const char *arg,
		       const char *const *names, unsigned int nnames,
		       unsigned int *mask)
{
	char buf[256], *tok, *save = NULL;
	unsigned int i;

	if (strlen(arg) >= sizeof(buf))
		return usage_error("--%s: list too long", opt);
	strcpy(buf, arg);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nnames; i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == nnames)
			return usage_error("--%s: unknown name '%s'", opt, tok);
		*mask |= 1U << i;
	}
	if (!*mask)
		return usage_error("--%s: empty list", opt);
	return EXIT_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void set_backends_mask(struct bench *b, unsigned int mask)
{
	unsigned int i;

	b->nbackends = 0;
	for (i = 0; i < NR_BACKENDS; i++)
		if (mask & (1U << i))
			b->backends[b->nbackends++] = all_backends[i];
}

static void set_defaults(struct bench *b, bool smoke)
{
	static const uint64_t n_full[] = { 1000, 10000, 100000, 1000000 };
	static const uint32_t batches_full[] = { 1, 16, 64, 256 };
	static const uint32_t batches_smoke[] = { 1, 64 };
	static const uint32_t depths_full[] = { 1, 8, 32, 128 };
	static const uint32_t depths_smoke[] = { 1, 32 };
	unsigned int i;

	b->nn = smoke ? 1 : 4;
	for (i = 0; i < b->nn; i++)
		b->n[i] = n_full[i];
	b->nvsizes = 2;
	b->vsizes[0] = 16;
	b->vsizes[1] = 1024;
	b->nbatches = smoke ? 2 : 4;
	for (i = 0; i < b->nbatches; i++)
		b->batches[i] = smoke ? batches_smoke[i] : batches_full[i];
	b->ndepths = smoke ? 2 : 4;
	for (i = 0; i < b->ndepths; i++)
		b->depths[i] = smoke ? depths_smoke[i] : depths_full[i];
	b->norders = 2;
	b->orders[0] = BENCH_SEQ;
	b->orders[1] = BENCH_RAND;
	b->ops = smoke ? 64 : 1024;
	b->samples = smoke ? 2 : 5;
	b->warmup = 1;
	b->seed = 1;
	b->list_max_n = 10000;
	b->groups = G_DEFAULT;
	/* the smoke run covers reader scaling too, where it can */
	if (smoke && sysconf(_SC_NPROCESSORS_ONLN) >= 2)
		b->groups |= G_SCALE;
	b->scale_n = smoke ? 1000 : 100000;
	b->scale_secs = smoke ? 0.1 : 2;
	b->scale_samples = smoke ? 1 : 3;
	b->scale_threads = 2;
	b->settle = smoke ? 0.05 : 0.5;
}

enum {
	OPT_BACKENDS = 256, OPT_BATCHES, OPT_DEPTHS, OPT_ORDERS, OPT_OPS,
	OPT_SAMPLES, OPT_WARMUP, OPT_SEED, OPT_ONLY, OPT_LIST_MAX_N,
	OPT_SCALE_N, OPT_SCALE_SECONDS, OPT_SCALE_SAMPLES, OPT_SCALE_THREADS,
	OPT_SETTLE, OPT_FORMAT, OPT_SMOKE, OPT_CLEAR,
};

static const struct option longopts[] = {
	{ "backends",		required_argument, NULL, OPT_BACKENDS },
	{ "n",			required_argument, NULL, 'n' },
	{ "value-sizes",	required_argument, NULL, 's' },
	{ "batches",		required_argument, NULL, OPT_BATCHES },
	{ "depths",		required_argument, NULL, OPT_DEPTHS },
	{ "orders",		required_argument, NULL, OPT_ORDERS },
	{ "ops",		required_argument, NULL, OPT_OPS },
	{ "samples",		required_argument, NULL, OPT_SAMPLES },
	{ "warmup",		required_argument, NULL, OPT_WARMUP },
	{ "seed",		required_argument, NULL, OPT_SEED },
	{ "only",		required_argument, NULL, OPT_ONLY },
	{ "list-max-n",		required_argument, NULL, OPT_LIST_MAX_N },
	{ "scale-n",		required_argument, NULL, OPT_SCALE_N },
	{ "scale-seconds",	required_argument, NULL, OPT_SCALE_SECONDS },
	{ "scale-samples",	required_argument, NULL, OPT_SCALE_SAMPLES },
	{ "scale-threads",	required_argument, NULL, OPT_SCALE_THREADS },
	{ "settle",		required_argument, NULL, OPT_SETTLE },
	{ "format",		required_argument, NULL, OPT_FORMAT },
	{ "smoke",		no_argument,	   NULL, OPT_SMOKE },
	{ "clear",		no_argument,	   NULL, OPT_CLEAR },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL,			0,		   NULL, 0 },
};

static int one_count(const char *opt, const char *arg, uint64_t lo,
		     uint64_t hi, uint64_t *out)
{
	if (!parse_count(arg, out) || *out < lo || *out > hi)
		return usage_error("--%s: bad value '%s' (%" PRIu64 "..%" PRIu64
				   ")", opt, arg, lo, hi);
	return EXIT_OK;
}

static int parse_one(struct bench *b, int c, const char *arg)
{
	unsigned int mask;
	uint64_t v = 0;
	int ret = EXIT_OK;

	switch (c) {
	case OPT_BACKENDS:
		ret = parse_names("backends", arg, all_backends, NR_BACKENDS,
				  &mask);
		if (!ret)
			set_backends_mask(b, mask);
		b->dev_path = NULL;
		break;
	case 'n':
		ret = parse_count_list("n", arg, b->n, MAX_LIST, &b->nn, 1,
				       1ULL << 32);
		break;
	case 's':
		ret = parse_u32_list("value-sizes", arg, b->vsizes, &b->nvsizes,
				     0, KDS_VALUE_SIZE_LIMIT);
		break;
	case OPT_BATCHES:
		ret = parse_u32_list("batches", arg, b->batches, &b->nbatches,
				     1, MAX_BATCH);
		break;
	case OPT_DEPTHS:
		ret = parse_u32_list("depths", arg, b->depths, &b->ndepths, 1,
				     4096);
		break;
	case OPT_ORDERS: {
		static const char *const orders[] = { "seq", "rand" };

		ret = parse_names("orders", arg, orders, 2, &mask);
		b->norders = 0;
		if (mask & 1)
			b->orders[b->norders++] = BENCH_SEQ;
		if (mask & 2)
			b->orders[b->norders++] = BENCH_RAND;
		break;
	}
	case OPT_OPS:
		ret = one_count("ops", arg, 1, 1U << 20, &v);
		b->ops = (uint32_t)v;
		break;
	case OPT_SAMPLES:
		ret = one_count("samples", arg, 1, MAX_SAMPLES, &v);
		b->samples = (unsigned int)v;
		break;
	case OPT_WARMUP:
		ret = one_count("warmup", arg, 0, 100, &v);
		b->warmup = (unsigned int)v;
		break;
	case OPT_SEED:
		ret = one_count("seed", arg, 0, UINT64_MAX, &b->seed);
		break;
	case OPT_ONLY:
		ret = parse_names("only", arg, group_names,
				  sizeof(group_names) / sizeof(group_names[0]),
				  &b->groups);
		break;
	case OPT_LIST_MAX_N:
		ret = one_count("list-max-n", arg, 0, UINT64_MAX, &b->list_max_n);
		break;
	case OPT_SCALE_N:
		ret = one_count("scale-n", arg, 1, 1ULL << 32, &b->scale_n);
		break;
	case OPT_SCALE_SECONDS:
		if (!parse_seconds(arg, &b->scale_secs) || b->scale_secs <= 0)
			ret = usage_error("--scale-seconds: bad value '%s'", arg);
		break;
	case OPT_SCALE_SAMPLES:
		ret = one_count("scale-samples", arg, 1, 16, &v);
		b->scale_samples = (unsigned int)v;
		break;
	case OPT_SCALE_THREADS:
		ret = one_count("scale-threads", arg, 2, 64, &v);
		b->scale_threads = (unsigned int)v;
		break;
	case OPT_SETTLE:
		if (!parse_seconds(arg, &b->settle))
			ret = usage_error("--settle: bad value '%s'", arg);
		break;
	case OPT_FORMAT:
		if (!strcmp(arg, "table"))
			b->format = FMT_TABLE;
		else if (!strcmp(arg, "tsv"))
			b->format = FMT_TSV;
		else if (!strcmp(arg, "json"))
			b->format = FMT_JSON;
		else
			ret = usage_error("--format: unknown format '%s' (table, tsv, json)",
					  arg);
		break;
	case 'q':
		b->quiet = true;
		break;
	case OPT_CLEAR:
		b->clear = true;
		break;
	}
	return ret;
}

/*
 * --smoke changes the defaults, so it is looked for first; the other
 * options then apply on top.  Returns -1 to go on, or an exit status.
 */
static int parse_args(struct bench *b, int argc, char **argv)
{
	int c, i, ret;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--smoke"))
			b->smoke = true;
	set_defaults(b, b->smoke);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:s:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(help_text, stdout);
			return EXIT_OK;
		case OPT_SMOKE:
			break;
		case ':':
			return usage_error("option '%s' needs an argument",
					   argv[optind - 1]);
		case '?':
			if (optopt > 0 && optopt < 128)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		default:
			ret = parse_one(b, c, optarg);
			if (ret)
				return ret;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	qsort(b->n, b->nn, sizeof(b->n[0]), cmp_u64);
	return -1;
}

/* ---- plan and buffers ---------------------------------------------------- */

static uint64_t read_meminfo_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	uint64_t kb = 0;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* XArray nodes: 64 slots of 8 bytes and a header, 6 bits of index each. */
#define XA_NODE_BYTES	576U
#define XA_LEVELS_U64	11U

/*
 * Rough bytes one entry takes, to stay inside the memory: the entry
 * (kmalloc rounds up to a power of two) and what the structure adds.  An
 * XArray indexed by random 64-bit keys holds a chain of nodes per key
 * below the levels that N keys share: kilobytes per entry.
 */
static uint64_t entry_estimate(const char *backend, uint64_t n,
			       uint32_t vsize, int order)
{
	uint64_t size = 32, shared = 0, m;

	while (size < (uint64_t)vsize + 64)
		size *= 2;
	size += 64;
	if (backend && !strcmp(backend, "xarray") && order == BENCH_RAND) {
		for (m = n; m >= 64; m /= 64)
			shared++;
		size += XA_NODE_BYTES * (XA_LEVELS_U64 - shared);
	}
	return size;
}

/* Why N cannot be measured with this value size here, or NULL. */
static const char *too_big(const struct bench *b, const char *backend,
			   uint64_t n, uint32_t vsize, int order, char *why,
			   size_t size)
{
	uint64_t need = n * entry_estimate(backend, n, vsize, order);

	if (b->mem_avail && need > b->mem_avail / 2) {
		snprintf(why, size,
			 "N=%" PRIu64 " of %u-byte values needs ~%" PRIu64
			 " MiB, more than half of MemAvailable %" PRIu64 " MiB",
			 n, vsize, need >> 20, b->mem_avail >> 20);
		return why;
	}
	return NULL;
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

/*
 * Most operations one sample of any figure takes: --ops rounded up to a
 * whole number of batches, for any batch or depth up to bmax.
 */
static uint64_t ops_max(const struct bench *b)
{
	return (uint64_t)b->ops + b->bmax;
}

static int alloc_buffers(struct bench *b)
{
	unsigned int i;

	b->nmax = b->n[b->nn - 1];
	if (b->scale_n > b->nmax && (b->groups & G_SCALE))
		b->nmax = b->scale_n;
	b->vmax = 1;
	for (i = 0; i < b->nvsizes; i++)
		if (b->vsizes[i] > b->vmax)
			b->vmax = b->vsizes[i];
	b->bmax = FILL_BATCH;
	for (i = 0; i < b->nbatches; i++)
		if (b->batches[i] > b->bmax)
			b->bmax = b->batches[i];
	for (i = 0; i < b->ndepths; i++)
		if (b->depths[i] > b->bmax)
			b->bmax = b->depths[i];
	b->keys = calloc(b->nmax, sizeof(*b->keys));
	b->fresh = calloc(ops_max(b), sizeof(*b->fresh));
	b->miss = calloc(ops_max(b), sizeof(*b->miss));
	b->win = calloc(ops_max(b), sizeof(*b->win));
	b->val = malloc(b->vmax);
	b->buf = malloc((size_t)b->bmax * b->vmax);
	b->rbuf = malloc((size_t)b->bmax * KDS_REC_SIZE(b->vmax));
	b->bops = calloc(b->bmax, sizeof(*b->bops));
	b->bkeys = calloc(b->bmax, sizeof(*b->bkeys));
	b->bvals = malloc((size_t)b->bmax * b->vmax);
	if (!b->keys || !b->fresh || !b->miss || !b->win || !b->val ||
	    !b->buf || !b->rbuf || !b->bops || !b->bkeys || !b->bvals)
		return -ENOMEM;
	for (i = 0; i < b->vmax; i++)
		b->val[i] = (char)('a' + i % 26);
	return 0;
}

/* The values of a bpf batch: bmax copies of the value, back to back. */
static void fill_bvals(struct bench *b, uint32_t vsize)
{
	uint32_t i;

	for (i = 0; i < b->bmax; i++)
		memcpy(b->bvals + (size_t)i * vsize, b->val, vsize);
}

static void free_buffers(struct bench *b)
{
	free(b->keys);
	free(b->fresh);
	free(b->miss);
	free(b->win);
	free(b->val);
	free(b->buf);
	free(b->rbuf);
	free(b->bops);
	free(b->bkeys);
	free(b->bvals);
}

/* The keys of one order; the fresh and missing ones depend on N too. */
static void make_keys(struct bench *b, int order)
{
	uint64_t i;

	for (i = 0; i < b->nmax; i++)
		b->keys[i] = bench_key(order, b->seed, i);
}

static void make_extra_keys(struct bench *b, int order, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < ops_max(b); i++) {
		b->fresh[i] = order == BENCH_SEQ ? n + 1 + i :
			bench_key(order, b->seed, BENCH_FRESH + i);
		b->miss[i] = order == BENCH_SEQ ? n + 1 + i :
			bench_key(order, b->seed, BENCH_MISS + i);
	}
}

/* ---- operations on a target ---------------------------------------------- */

static const char *errtext(int err)
{
	return strerror(err < 0 ? -err : err);
}

/* What each operation must return. */
static int op_expect(enum op op)
{
	return op == OP_GET_MISS ? -ENOENT : 0;
}

static int kds_single(struct bench *b, struct target *t, enum op op,
		      uint32_t vsize, uint64_t key)
{
	size_t len;
	int ret;

	switch (op) {
	case OP_GET_HIT:
	case OP_GET_MISS:
		ret = kds_get(&t->dev, key, b->buf, vsize, &len);
		if (!ret && len != vsize)
			ret = -EPROTO;
		return ret;
	case OP_PUT:
		return kds_put(&t->dev, key, b->val, vsize, 0);
	default:
		return kds_del(&t->dev, key);
	}
}

static int kds_batched(struct bench *b, struct target *t, enum op op,
		       uint32_t vsize, const uint64_t *keys, uint32_t n)
{
	static const uint32_t kop[NR_OPS] = {
		[OP_GET_HIT] = KDS_OP_GET, [OP_GET_MISS] = KDS_OP_GET,
		[OP_PUT] = KDS_OP_PUT, [OP_DEL] = KDS_OP_DEL,
	};
	uint32_t i, done;
	int ret;

	for (i = 0; i < n; i++) {
		struct kds_batch_op *o = &b->bops[i];

		o->op = kop[op];
		o->key = keys[i];
		if (op == OP_DEL) {
			o->value = 0;
			o->value_len = 0;
		} else {
			o->value = (uint64_t)(uintptr_t)(op == OP_PUT ? b->val :
					b->buf + (size_t)i * vsize);
			o->value_len = vsize;
		}
	}
	ret = kds_batch(&t->dev, b->bops, n, 0, &done);
	if (ret)
		return ret;
	if (done != n)
		return -EPROTO;
	for (i = 0; i < n; i++)
		if (b->bops[i].result != op_expect(op))
			return b->bops[i].result ? b->bops[i].result : -EPROTO;
	return 0;
}

static int bpf_single(struct bench *b, struct target *t, enum op op,
		      uint64_t key)
{
	switch (op) {
	case OP_GET_HIT:
	case OP_GET_MISS:
		return bpfmap_lookup(&t->map, key, b->buf);
	case OP_PUT:
		return bpfmap_update(&t->map, key, b->val);
	default:
		return bpfmap_delete(&t->map, key);
	}
}

static int user_single(struct bench *b, struct target *t, enum op op,
		       uint32_t vsize, uint64_t key)
{
	uint32_t len;

	switch (op) {
	case OP_GET_HIT:
	case OP_GET_MISS:
		return utab_get(&t->tab, key, b->buf, vsize, &len);
	case OP_PUT:
		return utab_put(&t->tab, key, b->val, vsize);
	default:
		return utab_del(&t->tab, key);
	}
}

/*
 * @n operations @op on @keys, in calls of @batch (0: one per call).
 * Returns 0, or the first unexpected result.
 */
static int target_ops(struct bench *b, struct target *t, enum op op,
		      uint32_t vsize, uint32_t batch, const uint64_t *keys,
		      uint64_t n)
{
	int want = op_expect(op), ret = 0;
	uint64_t i;

	if (batch) {
		for (i = 0; i < n && !ret; i += batch) {
			uint32_t c = (uint32_t)(n - i < batch ? n - i : batch);

			if (t->kind == T_KDS)
				ret = kds_batched(b, t, op, vsize, keys + i, c);
			else if (op == OP_PUT)
				ret = bpfmap_update_batch(&t->map, keys + i,
							  b->bvals, c);
			else
				ret = bpfmap_delete_batch(&t->map, keys + i, c);
		}
		return ret;
	}
	for (i = 0; i < n; i++) {
		if (t->kind == T_KDS)
			ret = kds_single(b, t, op, vsize, keys[i]);
		else if (t->kind == T_BPF)
			ret = bpf_single(b, t, op, keys[i]);
		else
			ret = user_single(b, t, op, vsize, keys[i]);
		if (ret != want)
			return ret ? ret : -EPROTO;
	}
	return 0;
}

/* Untimed: bring the store from t->count to @n keys. */
static int fill(struct bench *b, struct target *t, uint32_t vsize, uint64_t n)
{
	bool batched = t->kind == T_BPF ||
		(t->kind == T_KDS && (t->dev.api.features & KDS_FEAT_BATCH));
	int ret;

	while (t->count < n) {
		uint64_t c = n - t->count < FILL_BATCH ? n - t->count : FILL_BATCH;

		ret = target_ops(b, t, OP_PUT, vsize,
				 batched ? FILL_BATCH : 0,
				 b->keys + t->count, c);
		if (ret)
			return ret;
		t->count += c;
		progress(b, "%s: filling N=%" PRIu64 " (%" PRIu64 " so far)",
			 t->name, n, t->count);
	}
	return 0;
}

/* Empty the store: clear for kds, remove and recreate the others. */
static int empty(struct target *t, uint32_t vsize, uint64_t cap)
{
	int ret = 0;

	t->count = 0;
	switch (t->kind) {
	case T_KDS:
		return kds_clear(&t->dev);
	case T_BPF:
		bpfmap_close(&t->map);
		if (cap)
			ret = bpfmap_create(&t->map, vsize, (uint32_t)cap);
		return ret;
	default:
		utab_free(&t->tab);
		if (cap)
			ret = utab_init(&t->tab, cap);
		return ret;
	}
}

/* ---- one group of figures: get-hit, get-miss, put, del ------------------- */

/*
 * The keys of sample @s of get-hit: a window of @ops present keys, in the
 * order of the key list.  The windows of the warm-up and timed samples
 * start at even intervals across the N keys, so that a structure whose
 * cost depends on when a key went in (a hash chain holds its newest
 * entries first, a list its oldest) is measured across the whole store,
 * not only on the keys put first.
 */
static void hit_window(struct bench *b, uint64_t n, unsigned int s,
		       uint64_t ops)
{
	uint64_t i, off = (uint64_t)s * n / (b->warmup + b->samples);

	for (i = 0; i < ops; i++)
		b->win[i] = b->keys[(off + i) % n];
}

/* Time @op over @keys; its ns per operation, or the error. */
static int timed(struct bench *b, struct target *t, enum op op,
		 uint32_t vsize, uint32_t batch, const uint64_t *keys,
		 uint64_t ops, double *ns)
{
	uint64_t t0, t1;
	int ret;

	t0 = bench_now_ns();
	ret = target_ops(b, t, op, vsize, batch, keys, ops);
	t1 = bench_now_ns();
	*ns = (double)(t1 - t0) / (double)ops;
	return ret;
}

/*
 * The four operations at N, single (batch 0) or batched; @mask says which
 * of them to take.  Each sample: get-hit, get-miss, put of fresh keys,
 * del of the same keys, so the store is back to N keys after it.
 */
static void group_ops(struct bench *b, struct target *t, uint64_t n,
		      uint32_t vsize, int order, uint32_t batch,
		      unsigned int mask)
{
	uint64_t ops = round_up(b->ops, batch ? batch : 1);
	struct fig f[NR_OPS];
	unsigned int s, o;
	bool stop = false;

	for (o = 0; o < NR_OPS; o++)
		fig_init(&f[o], op_names[o], t->name, n, vsize, batch,
			 order_name(order), ops);
	for (s = 0; s < b->warmup + b->samples && !stop; s++) {
		bool keep = s >= b->warmup;

		hit_window(b, n, s, ops);
		for (o = 0; o < NR_OPS; o++) {
			const uint64_t *keys = o == OP_GET_HIT ? b->win :
				o == OP_GET_MISS ? b->miss : b->fresh;
			double ns;
			int ret;

			if (!(mask & (1U << o)))
				continue;
			ret = timed(b, t, (enum op)o, vsize, batch, keys, ops,
				    &ns);
			if (ret) {
				fig_fail(&f[o], "%s %s: %s", t->name, op_names[o],
					 errtext(ret));
				stop = true;
				break;
			}
			if (keep)
				f[o].v[f[o].nv++] = ns;
		}
	}
	if (stop) {
		uint64_t i;

		/* Take back whatever fresh keys went in; ignore ENOENT. */
		for (i = 0; i < ops; i++)
			target_ops(b, t, OP_DEL, vsize, 0, b->fresh + i, 1);
	}
	for (o = 0; o < NR_OPS; o++) {
		if (!(mask & (1U << o)))
			continue;
		if (stop && !f[o].failed)
			fig_fail(&f[o], "not measured: an operation of the same sample failed");
		emit(b, &f[o]);
	}
}

/* Read @want records from @lo on, @per records per call; wrap at the end. */
static int range_walk(struct bench *b, struct target *t, uint32_t vsize,
		      uint64_t lo, uint32_t per, uint64_t want)
{
	uint64_t got = 0;
	int wraps = 0;

	while (got < want) {
		struct kds_range r = {
			.lo	= lo,
			.hi	= UINT64_MAX,
			.buf	= (uint64_t)(uintptr_t)b->rbuf,
			.buf_len = per * KDS_REC_SIZE(vsize),
		};
		int ret = kds_range_once(&t->dev, &r);

		if (ret)
			return ret;
		got += r.count;
		if (r.flags & KDS_RANGE_MORE) {
			lo = r.next;
		} else {
			if (++wraps > 2 && !r.count)
				return -EPROTO;
			lo = 0;
		}
	}
	return 0;
}

static void group_range(struct bench *b, struct target *t, uint64_t n,
			uint32_t vsize, int order, uint32_t per)
{
	uint64_t ops = round_up(b->ops, per);
	unsigned int s;
	struct fig f;

	fig_init(&f, "range", t->name, n, vsize, per, order_name(order), ops);
	snprintf(f.note, sizeof(f.note), "ns per record, %u per call", per);
	for (s = 0; s < b->warmup + b->samples; s++) {
		uint64_t t0, t1, lo = b->keys[(uint64_t)s * ops % n];
		int ret;

		t0 = bench_now_ns();
		ret = range_walk(b, t, vsize, lo, per, ops);
		t1 = bench_now_ns();
		if (ret) {
			fig_fail(&f, "%s range: %s", t->name, errtext(ret));
			break;
		}
		if (s >= b->warmup)
			f.v[f.nv++] = (double)(t1 - t0) / (double)ops;
	}
	emit(b, &f);
}

/* The bpf map's batch lookup: a dump, @per elements per call. */
static void group_dump(struct bench *b, struct target *t, uint64_t n,
		       uint32_t vsize, int order, uint32_t per)
{
	uint64_t ops = round_up(b->ops, per);
	unsigned int s;
	struct fig f;

	fig_init(&f, "dump", t->name, n, vsize, per, order_name(order), ops);
	snprintf(f.note, sizeof(f.note),
		 "BPF_MAP_LOOKUP_BATCH: ns per element, up to %u per call", per);
	for (s = 0; s < b->warmup + b->samples; s++) {
		uint64_t t0, t1, got = 0;
		unsigned int empty_calls = 0;
		int ret = 0;

		t0 = bench_now_ns();
		while (got < ops && !ret) {
			uint32_t c;

			ret = bpfmap_lookup_batch(&t->map, b->bkeys, b->bvals,
						  per, &c);
			got += c;
			if (!c && ++empty_calls > 2)
				ret = -EPROTO;
		}
		t1 = bench_now_ns();
		if (ret == -ENOSPC) {
			snprintf(f.note, sizeof(f.note),
				 "n/a: a bucket holds more than %u elements (ENOSPC)",
				 per);
			f.nv = 0;
			break;
		}
		if (ret) {
			fig_fail(&f, "bpf-hash lookup_batch: %s", errtext(ret));
			break;
		}
		if (s >= b->warmup)
			f.v[f.nv++] = (double)(t1 - t0) / (double)got;
	}
	/* the values came back from the map: the same bytes, but be sure */
	fill_bvals(b, vsize);
	emit(b, &f);
}

/* uring_cmd get, put and del, @depth per submit. */
static void group_uring_cmd(struct bench *b, struct target *t, uint64_t n,
			    uint32_t vsize, int order, uint32_t depth)
{
	static const unsigned int cmds[NR_OPS] = {
		KDS_IOC_GET, KDS_IOC_GET, KDS_IOC_PUT, KDS_IOC_DEL,
	};
	static const char *const what[NR_OPS] = {
		"uring-get-hit", "uring-get-miss", "uring-put", "uring-del",
	};
	uint64_t ops = round_up(b->ops, depth);
	struct fig f[NR_OPS];
	unsigned int s, o;
	bool stop = false;

	for (o = 0; o < NR_OPS; o++)
		fig_init(&f[o], what[o], t->name, n, vsize, depth,
			 order_name(order), ops);
	for (s = 0; s < b->warmup + b->samples && !stop; s++) {
		hit_window(b, n, s, ops);
		for (o = 0; o < NR_OPS && !stop; o++) {
			const uint64_t *keys = o == OP_GET_HIT ? b->win :
				o == OP_GET_MISS ? b->miss : b->fresh;
			int expect = o == OP_GET_HIT ? (int)vsize :
				o == OP_GET_MISS ? -ENOENT : 0;
			unsigned int bad = 0;
			int first = 0, ret = 0;
			uint64_t t0, t1, i;

			t0 = bench_now_ns();
			for (i = 0; i < ops && !ret; i += depth)
				ret = uring_kds(&b->cmd_ring, t->dev.fd, cmds[o],
						keys + i, depth,
						o == OP_PUT ? b->val : b->buf,
						vsize, expect, &bad, &first);
			t1 = bench_now_ns();
			if (!ret && bad)
				ret = first < 0 ? first : -EPROTO;
			if (ret) {
				fig_fail(&f[o], "%s %s: %s", t->name, what[o],
					 errtext(ret));
				stop = true;
			} else if (s >= b->warmup) {
				f[o].v[f[o].nv++] = (double)(t1 - t0) /
						    (double)ops;
			}
		}
	}
	if (stop) {
		uint64_t i;

		for (i = 0; i < ops; i++)
			kds_del(&t->dev, b->fresh[i]);
	}
	for (o = 0; o < NR_OPS; o++) {
		if (stop && !f[o].failed)
			fig_fail(&f[o], "not measured: an operation of the same sample failed");
		emit(b, &f[o]);
	}
}

/*
 * The in-kernel loop (debugfs): "OP ORDER SEED FIRST COUNT VSIZE" runs
 * COUNT operations on the keys of indices FIRST.., reading back
 * "ops=COUNT ns=ELAPSED hits=H".
 */
static int kloop_run(struct target *t, const char *op, int order,
		     uint64_t seed, uint64_t first, uint64_t count,
		     uint32_t vsize, double *ns, uint64_t *hits)
{
	char cmd[160], ans[160];
	uint64_t ops = 0, elapsed = 0;
	ssize_t len;
	int fd, ret = 0;

	fd = open(t->kloop, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(cmd, sizeof(cmd), "%s %s %" PRIu64 " %" PRIu64 " %"
		       PRIu64 " %u\n", op, order_name(order), seed, first,
		       count, vsize);
	if (write(fd, cmd, (size_t)len) != len) {
		ret = -errno;
		goto out_close;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		ret = -errno;
		goto out_close;
	}
	len = read(fd, ans, sizeof(ans) - 1);
	if (len <= 0) {
		ret = len < 0 ? -errno : -EPROTO;
		goto out_close;
	}
	ans[len] = '\0';
	if (sscanf(ans, "ops=%" SCNu64 " ns=%" SCNu64 " hits=%" SCNu64,
		   &ops, &elapsed, hits) != 3 || ops != count || !ops) {
		ret = -EPROTO;
		goto out_close;
	}
	*ns = (double)elapsed / (double)ops;
out_close:
	close(fd);
	return ret;
}

static void group_kloop(struct bench *b, struct target *t, uint64_t n,
			uint32_t vsize, int order)
{
	static const char *const ops_name[NR_OPS] = { "get", "get", "put", "del" };
	static const char *const what[NR_OPS] = {
		"kloop-get-hit", "kloop-get-miss", "kloop-put", "kloop-del",
	};
	uint64_t ops = b->ops < n ? b->ops : n;
	struct fig f[NR_OPS];
	unsigned int s, o;

	for (o = 0; o < NR_OPS; o++) {
		fig_init(&f[o], what[o], t->name, n, vsize, 0,
			 order_name(order), ops);
		snprintf(f[o].note, sizeof(f[o].note), "in-kernel loop");
	}
	for (s = 0; s < b->warmup + b->samples; s++) {
		uint64_t start[NR_OPS], hits = 0, want[NR_OPS];

		/* windows spread across the keys, as in hit_window() */
		start[OP_GET_HIT] = (uint64_t)s * (n - ops + 1) /
				    (b->warmup + b->samples);
		start[OP_GET_MISS] = order == BENCH_SEQ ? n : BENCH_MISS;
		start[OP_PUT] = order == BENCH_SEQ ? n : BENCH_FRESH;
		start[OP_DEL] = start[OP_PUT];
		want[OP_GET_HIT] = ops;
		want[OP_GET_MISS] = 0;
		want[OP_PUT] = ops;
		want[OP_DEL] = ops;
		for (o = 0; o < NR_OPS; o++) {
			double ns = 0;
			int ret;

			if (f[o].failed)
				continue;
			ret = kloop_run(t, ops_name[o], order, b->seed, start[o],
					ops, vsize, &ns, &hits);
			if (!ret && hits != want[o])
				ret = -EPROTO;
			if (ret)
				fig_fail(&f[o], "%s: %s", t->kloop, errtext(ret));
			else if (s >= b->warmup)
				f[o].v[f[o].nv++] = ns;
		}
	}
	for (o = 0; o < NR_OPS; o++)
		emit(b, &f[o]);
}

/* ---- memory -------------------------------------------------------------- */

struct memsnap {
	uint64_t slab;		/* active objects of /proc/slabinfo, bytes */
	uint64_t meminfo;	/* Slab + VmallocUsed of /proc/meminfo, bytes */
	bool slab_ok;
	bool meminfo_ok;
};

static bool read_slabinfo(uint64_t *bytes)
{
	char line[512];
	uint64_t sum = 0;
	bool ok = false;
	FILE *f;

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned long long active, total, objsize;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%127s %llu %llu %llu", name, &active, &total,
			   &objsize) == 4) {
			sum += (uint64_t)active * objsize;
			ok = true;
		}
	}
	fclose(f);
	*bytes = sum;
	return ok;
}

static void settle(double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void mem_snap(struct bench *b, struct memsnap *m)
{
	uint64_t slab_kb, vm_kb;

	settle(b->settle);
	m->slab_ok = read_slabinfo(&m->slab);
	slab_kb = read_meminfo_kb("Slab");
	vm_kb = read_meminfo_kb("VmallocUsed");
	m->meminfo_ok = slab_kb > 0;
	m->meminfo = (slab_kb + vm_kb) * 1024;
}

static void mem_emit_one(struct bench *b, struct target *t, const char *what,
			 bool ok, uint64_t before, uint64_t after, uint64_t n,
			 uint32_t vsize, int order, const char *extra)
{
	struct fig f;
	double per;

	fig_init(&f, what, t->name, n, vsize, 0, order_name(order), n);
	f.unit = "B/entry";
	if (!ok) {
		snprintf(f.note, sizeof(f.note), "n/a: %s unreadable",
			 !strcmp(what, "mem-slab") ? "/proc/slabinfo" :
			 "/proc/meminfo");
		emit(b, &f);
		return;
	}
	per = ((double)after - (double)before) / (double)n;
	f.v[f.nv++] = per - (double)sizeof(uint64_t) - (double)vsize;
	snprintf(f.note, sizeof(f.note),
		 "beyond key+value; %.0f B/entry in all, +%.0f KiB; %s", per,
		 ((double)after - (double)before) / 1024, extra);
	emit(b, &f);
}

static void mem_emit(struct bench *b, struct target *t,
		     const struct memsnap *before, uint64_t n, uint32_t vsize,
		     int order)
{
	struct kds_stats st;
	struct memsnap after;
	char extra[128];
	int ret;

	mem_snap(b, &after);
	ret = kds_stats(&t->dev, &st);
	if (ret)
		snprintf(extra, sizeof(extra), "stats: %s", errtext(ret));
	else
		snprintf(extra, sizeof(extra),
			 "stats: entries %" PRIu64 ", bytes %" PRIu64 ", shape %"
			 PRIu64 "/%" PRIu64, (uint64_t)st.entries,
			 (uint64_t)st.bytes, (uint64_t)st.shape,
			 (uint64_t)st.shape2);
	mem_emit_one(b, t, "mem-slab", before->slab_ok && after.slab_ok,
		     before->slab, after.slab, n, vsize, order, extra);
	mem_emit_one(b, t, "mem-meminfo", before->meminfo_ok && after.meminfo_ok,
		     before->meminfo, after.meminfo, n, vsize, order, extra);
}

/* ---- floors -------------------------------------------------------------- */

static void floor_fig(struct bench *b, const char *what, const char *backend,
		      uint32_t batch, const char *note_text,
		      int (*fn)(struct bench *b, void *arg, uint64_t ops),
		      void *arg)
{
	uint64_t ops = round_up(b->ops, batch ? batch : 1);
	unsigned int s;
	struct fig f;

	fig_init(&f, what, backend, 0, UINT32_MAX, batch, "-", ops);
	snprintf(f.note, sizeof(f.note), "%s", note_text);
	for (s = 0; s < b->warmup + b->samples; s++) {
		uint64_t t0, t1;
		int ret;

		t0 = bench_now_ns();
		ret = fn(b, arg, ops);
		t1 = bench_now_ns();
		if (ret) {
			fig_fail(&f, "%s: %s", what, errtext(ret));
			break;
		}
		if (s >= b->warmup)
			f.v[f.nv++] = (double)(t1 - t0) / (double)ops;
	}
	emit(b, &f);
}

static int loop_getppid(struct bench *b, void *arg, uint64_t ops)
{
	uint64_t i;

	(void)b;
	(void)arg;
	for (i = 0; i < ops; i++)
		syscall(SYS_getppid);
	return 0;
}

static int loop_devnull(struct bench *b, void *arg, uint64_t ops)
{
	int fd = *(int *)arg;
	uint64_t i;

	(void)b;
	for (i = 0; i < ops; i++)
		if (ioctl(fd, DEVNULL_CMD, 0) != -1 || errno != ENOTTY)
			return errno ? -errno : -EPROTO;
	return 0;
}

static int loop_noop(struct bench *b, void *arg, uint64_t ops)
{
	struct target *t = arg;
	uint64_t i;
	int ret;

	(void)b;
	for (i = 0; i < ops; i++) {
		ret = kds_noop(&t->dev);
		if (ret)
			return ret;
	}
	return 0;
}

struct nop_arg {
	struct uring *u;
	uint32_t depth;
};

static int loop_uring_nop(struct bench *b, void *arg, uint64_t ops)
{
	struct nop_arg *a = arg;
	uint64_t i;
	int ret;

	(void)b;
	for (i = 0; i < ops; i += a->depth) {
		ret = uring_nop(a->u, a->depth);
		if (ret)
			return ret;
	}
	return 0;
}

static void run_floors(struct bench *b)
{
	unsigned int i;
	int fd;

	progress(b, "floors");
	floor_fig(b, "getppid", "-", 0, "system call floor", loop_getppid, NULL);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		skip(b, "ioctl-devnull: /dev/null: %s", strerror(errno));
	} else {
		floor_fig(b, "ioctl-devnull", "-", 0,
			  "unknown ioctl on /dev/null (ENOTTY)", loop_devnull,
			  &fd);
		close(fd);
	}
	for (i = 0; i < b->nt; i++)
		if (b->t[i].kind == T_KDS && b->t[i].present)
			floor_fig(b, "noop", b->t[i].name, 0, "KDS_IOC_NOOP",
				  loop_noop, &b->t[i]);
}

static void run_uring_floors(struct bench *b)
{
	struct nop_arg a;
	struct uring u;
	unsigned int i;
	uint32_t entries = 1;
	int ret;

	for (i = 0; i < b->ndepths; i++)
		if (b->depths[i] > entries)
			entries = b->depths[i];
	ret = uring_setup(&u, entries, false);
	if (ret) {
		skip(b, "uring-nop: io_uring_setup: %s", errtext(ret));
		return;
	}
	a.u = &u;
	for (i = 0; i < b->ndepths; i++) {
		a.depth = b->depths[i];
		floor_fig(b, "uring-nop", "-", a.depth,
			  "IORING_OP_NOP, ns per operation", loop_uring_nop, &a);
	}
	uring_close(&u);
}

/* ---- targets ------------------------------------------------------------- */

/* Does the device take the bench's uring_cmd?  A miss must say ENOENT. */
static void probe_uring_cmd(struct bench *b, struct target *t)
{
	uint64_t key = bench_key(BENCH_RAND, b->seed, BENCH_MISS - 1);
	unsigned int bad = 0;
	int first = 0, ret;

	if (b->cmd_ring.fd < 0)
		return;
	ret = uring_kds(&b->cmd_ring, t->dev.fd, KDS_IOC_GET, &key, 1, b->buf,
			b->vmax, -ENOENT, &bad, &first);
	if (!ret && !bad) {
		t->uring_cmd = true;
		return;
	}
	if (!ret)
		ret = first;
	note(b, "%s: no uring_cmd passthrough (probe: %s)", t->name,
	     errtext(ret ? ret : -EPROTO));
}

static void probe_kloop(struct bench *b, struct target *t)
{
	char path[sizeof(t->kloop)];

	snprintf(path, sizeof(path), "%s/%s/loop", KLOOP_DIR,
		 t->dev.api.backend);
	if (access(path, W_OK)) {
		note(b, "%s: no in-kernel loop (%s: %s)", t->name, path,
		     strerror(errno));
		return;
	}
	memcpy(t->kloop, path, sizeof(path));
}

static void open_kds(struct bench *b, struct target *t, const char *backend,
		     const char *path)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->kind = T_KDS;
	t->dev.fd = -1;
	t->map.fd = -1;
	if (path)
		snprintf(t->path, sizeof(t->path), "%s", path);
	else
		kds_backend_path(t->path, sizeof(t->path), backend);
	snprintf(t->name, sizeof(t->name), "%s", backend ? backend : path);
	ret = kds_open_path(&t->dev, t->path);
	if (ret == -ENOENT && backend) {
		skip(b, "%s: %s: %s (is kds_%s loaded?)", t->name, t->path,
		     errtext(ret), backend);
		return;
	}
	if (ret) {
		skip(b, "%s: %s: %s", t->name, t->path, errtext(ret));
		return;
	}
	ret = kds_api(&t->dev);
	if (ret) {
		skip(b, "%s: %s: api: %s%s", t->name, t->path, errtext(ret),
		     ret == -ENOTTY ? " (not a kds device)" : "");
		kds_close(&t->dev);
		return;
	}
	if (!backend)
		snprintf(t->name, sizeof(t->name), "%s", t->dev.api.backend);
	t->present = true;
	t->ordered = t->dev.api.features & KDS_FEAT_RANGE;
	note(b, "%s: %s, api %u, max_entries %" PRIu64 ", max_value_size %"
	     PRIu64 "%s", t->name, t->path, t->dev.api.version,
	     (uint64_t)t->dev.api.max_entries,
	     (uint64_t)t->dev.api.max_value_size,
	     t->ordered ? ", ordered" : "");
	/* The bench empties the stores it measures: never without asking. */
	if (!b->clear && (b->groups & (G_KDS | G_MEM | G_SCALE))) {
		struct kds_stats st;

		ret = kds_stats(&t->dev, &st);
		if (ret || st.entries) {
			t->occupied = true;
			if (ret)
				skip(b, "%s: stats: %s", t->name, errtext(ret));
			else
				skip(b, "%s: the store holds %" PRIu64
				     " entries, which the bench would delete"
				     " (give --clear to allow it)", t->name,
				     (uint64_t)st.entries);
		}
	}
}

static void open_targets(struct bench *b)
{
	unsigned int i;
	int ret;

	b->cmd_ring.fd = -1;
	if (b->groups & G_USER) {
		struct target *t = &b->t[b->nt++];

		memset(t, 0, sizeof(*t));
		t->kind = T_USER;
		t->map.fd = -1;
		t->dev.fd = -1;
		t->present = true;
		snprintf(t->name, sizeof(t->name), "user-hash");
	}
	if (b->groups & G_BPF) {
		struct target *t = &b->t[b->nt++];

		memset(t, 0, sizeof(*t));
		t->kind = T_BPF;
		t->map.fd = -1;
		t->dev.fd = -1;
		snprintf(t->name, sizeof(t->name), "bpf-hash");
		/* a small map tells whether bpf() is there and allowed */
		ret = bpfmap_create(&t->map, 16, 16);
		if (ret)
			skip(b, "bpf-hash: BPF_MAP_CREATE: %s%s", errtext(ret),
			     ret == -EPERM ? " (needs CAP_BPF, or root)" :
			     ret == -ENOSYS ? " (kernel without bpf())" : "");
		else
			t->present = true;
		bpfmap_close(&t->map);
	}
	if (!(b->groups & (G_KDS | G_FLOOR | G_SCALE | G_MEM)))
		return;
	if ((b->groups & (G_KDS | G_URING)) == (G_KDS | G_URING)) {
		ret = uring_setup(&b->cmd_ring, b->bmax, true);
		if (ret) {
			note(b, "no uring_cmd figures: io_uring_setup(SQE128): %s",
			     errtext(ret));
			b->cmd_ring.fd = -1;
		}
	}
	for (i = 0; i < (b->dev_path ? 1 : b->nbackends); i++) {
		struct target *t = &b->t[b->nt++];

		if (b->dev_path)
			open_kds(b, t, NULL, b->dev_path);
		else
			open_kds(b, t, b->backends[i], NULL);
		if (!t->present || t->occupied || !(b->groups & G_KDS))
			continue;
		if (b->groups & G_URING)
			probe_uring_cmd(b, t);
		probe_kloop(b, t);
	}
}

static void close_targets(struct bench *b)
{
	unsigned int i;

	for (i = 0; i < b->nt; i++) {
		struct target *t = &b->t[i];

		if (t->kind == T_KDS && t->present && !t->occupied)
			kds_clear(&t->dev);
		kds_close(&t->dev);
		bpfmap_close(&t->map);
		utab_free(&t->tab);
	}
	if (b->cmd_ring.fd >= 0)
		uring_close(&b->cmd_ring);
}

/* ---- the run ------------------------------------------------------------- */

/* Why @t cannot hold N keys of @vsize bytes, or NULL. */
static const char *cannot(const struct bench *b, const struct target *t,
			  uint64_t n, uint32_t vsize, int order, char *why,
			  size_t size)
{
	uint64_t extra = ops_max(b);

	if (too_big(b, t->kind == T_KDS ? t->dev.api.backend : NULL, n, vsize,
		    order, why, size))
		return why;
	if (t->kind != T_KDS)
		return NULL;
	if (vsize > t->dev.api.max_value_size) {
		snprintf(why, size, "%u-byte values: above max_value_size %"
			 PRIu64, vsize, (uint64_t)t->dev.api.max_value_size);
		return why;
	}
	if (n + extra > t->dev.api.max_entries) {
		snprintf(why, size, "N=%" PRIu64 " + %" PRIu64
			 " fresh keys: above max_entries %" PRIu64, n, extra,
			 (uint64_t)t->dev.api.max_entries);
		return why;
	}
	if (!strcmp(t->dev.api.backend, "list") && n > b->list_max_n) {
		snprintf(why, size, "N=%" PRIu64 ": above --list-max-n %"
			 PRIu64 " (each list lookup walks the list)", n,
			 b->list_max_n);
		return why;
	}
	return NULL;
}

/* All figures of one target at one N, the store holding N keys. */
static void figures_at(struct bench *b, struct target *t, uint64_t n,
		       uint32_t vsize, int order)
{
	const unsigned int all = (1U << NR_OPS) - 1;
	unsigned int i;

	group_ops(b, t, n, vsize, order, 0, all);
	if (t->kind == T_USER)
		return;
	for (i = 0; i < b->nbatches; i++) {
		uint32_t bs = b->batches[i];

		progress(b, "%s N=%" PRIu64 " %uB %s batch %u", t->name, n,
			 vsize, order_name(order), bs);
		if (t->kind == T_BPF) {
			group_ops(b, t, n, vsize, order, bs,
				  (1U << OP_PUT) | (1U << OP_DEL));
			/* one per call stops at the first bucket of two */
			if (bs > 1)
				group_dump(b, t, n, vsize, order, bs);
			continue;
		}
		if (t->dev.api.features & KDS_FEAT_BATCH)
			group_ops(b, t, n, vsize, order, bs, all);
		if (t->ordered)
			group_range(b, t, n, vsize, order, bs);
	}
	if (t->kind != T_KDS)
		return;
	if (t->uring_cmd)
		for (i = 0; i < b->ndepths; i++)
			group_uring_cmd(b, t, n, vsize, order, b->depths[i]);
	if (t->kloop[0])
		group_kloop(b, t, n, vsize, order);
}

static uint64_t largest_n(const struct bench *b, const struct target *t,
			  uint32_t vsize, int order)
{
	char why[200];
	uint64_t last = 0;
	unsigned int i;

	for (i = 0; i < b->nn; i++)
		if (!cannot(b, t, b->n[i], vsize, order, why, sizeof(why)))
			last = b->n[i];
	return last;
}

static void run_target(struct bench *b, struct target *t, uint32_t vsize,
		       int order)
{
	uint64_t last = largest_n(b, t, vsize, order);
	bool mem = t->kind == T_KDS && (b->groups & G_MEM);
	struct memsnap before;
	unsigned int i;
	char why[200];
	int ret;

	fill_bvals(b, vsize);
	/* the bpf map is made for each N below */
	ret = empty(t, vsize, last && t->kind != T_BPF ?
		    last + ops_max(b) : 0);
	if (ret) {
		skip(b, "%s: cannot start empty: %s", t->name, errtext(ret));
		b->step += b->nn;
		return;
	}
	if (mem && last)
		mem_snap(b, &before);
	for (i = 0; i < b->nn; i++) {
		uint64_t n = b->n[i];

		b->step++;
		progress(b, "%s N=%" PRIu64 " %uB %s", t->name, n, vsize,
			 order_name(order));
		if (cannot(b, t, n, vsize, order, why, sizeof(why))) {
			skip(b, "%s N=%" PRIu64 " %uB %s: %s", t->name, n,
			     vsize, order_name(order), why);
			continue;
		}
		/*
		 * The bpf map gets max_entries for this N, as a user would
		 * size it: its bucket array (and its batch dump, which walks
		 * every bucket) follows max_entries.
		 */
		if (t->kind == T_BPF)
			ret = empty(t, vsize, n + ops_max(b));
		if (!ret)
			ret = fill(b, t, vsize, n);
		if (ret) {
			struct fig f;

			fig_init(&f, "fill", t->name, n, vsize, 0,
				 order_name(order), n);
			fig_fail(&f, "%s: filling to N=%" PRIu64 " failed at %"
				 PRIu64 ": %s", t->name, n, t->count,
				 errtext(ret));
			emit(b, &f);
			break;
		}
		make_extra_keys(b, order, n);
		if (mem && n == last)
			mem_emit(b, t, &before, n, vsize, order);
		if (t->kind != T_KDS || (b->groups & G_KDS))
			figures_at(b, t, n, vsize, order);
	}
	empty(t, vsize, 0);
}

/* ---- reader scaling ------------------------------------------------------ */

static void scale_fig(struct bench *b, const char *what, const char *backend,
		      uint64_t n, uint32_t vsize, unsigned int threads,
		      const struct scale_result *r, struct fig *f)
{
	unsigned int s;

	fig_init(f, what, backend, n, n ? vsize : UINT32_MAX, 0,
		 n ? "seq" : "-", 0);
	f->threads = threads;
	f->unit = "ops/s";
	if (r->err)
		fig_fail(f, "%s: %s", what, errtext(r->err));
	for (s = 0; s < r->nsamples; s++)
		f->v[f->nv++] = r->ops_per_s[s];
	snprintf(f->note + strlen(f->note), sizeof(f->note) - strlen(f->note),
		 "%s%.1fs per sample", f->failed ? "; " : "", b->scale_secs);
	emit(b, f);
}

static void scale_pair(struct bench *b, const char *what, const char *backend,
		       const char *path, int kind, uint64_t n, uint32_t vsize)
{
	struct scale_result r1, r2;
	struct fig f1, f2, ratio;
	double min1, med1, min2, med2;

	struct scale_result one;
	unsigned int s;

	/*
	 * One reader, then several, in turn: a host that is busier for a
	 * while then weighs on both sides alike.
	 */
	progress(b, "reader scaling: %s %s", what, backend);
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	for (s = 0; s < b->scale_samples && !r1.err && !r2.err; s++) {
		bench_scale(path, kind, b->keys, n, vsize, 1, b->scale_secs, 1,
			    &one);
		r1.err = one.err;
		if (one.nsamples)
			r1.ops_per_s[r1.nsamples++] = one.ops_per_s[0];
		bench_scale(path, kind, b->keys, n, vsize, b->scale_threads,
			    b->scale_secs, 1, &one);
		r2.err = one.err;
		if (one.nsamples)
			r2.ops_per_s[r2.nsamples++] = one.ops_per_s[0];
	}
	scale_fig(b, what, backend, n, vsize, 1, &r1, &f1);
	scale_fig(b, what, backend, n, vsize, b->scale_threads, &r2, &f2);
	fig_init(&ratio, "scale-ratio", backend, n, n ? vsize : UINT32_MAX, 0,
		 n ? "seq" : "-", 0);
	ratio.threads = b->scale_threads;
	ratio.unit = "x";
	if (f1.failed || f2.failed || !f1.nv || !f2.nv) {
		fig_fail(&ratio, "%s: no ratio without both runs", what);
	} else {
		double best1 = 0, best2 = 0;
		unsigned int i;

		fig_stats(&f1, &min1, &med1);
		fig_stats(&f2, &min2, &med2);
		for (i = 0; i < f1.nv; i++)
			best1 = f1.v[i] > best1 ? f1.v[i] : best1;
		for (i = 0; i < f2.nv; i++)
			best2 = f2.v[i] > best2 ? f2.v[i] : best2;
		ratio.v[ratio.nv++] = med1 > 0 ? med2 / med1 : 0;
		snprintf(ratio.note, sizeof(ratio.note),
			 "%s: median ops/s of %u readers over one; best over best %.2f",
			 what, b->scale_threads, best1 > 0 ? best2 / best1 : 0);
	}
	emit(b, &ratio);
}

static void run_scaling(struct bench *b)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const uint32_t vsize = 16;
	uint64_t n = b->scale_n;
	struct target *noop_t = NULL;
	unsigned int i;
	char why[200];
	int ret;

	if (cpus < (long)b->scale_threads) {
		skip(b, "reader scaling: %ld CPU(s) online, %u readers need as many",
		     cpus, b->scale_threads);
		return;
	}
	make_keys(b, BENCH_SEQ);
	scale_pair(b, "scale-getppid", "-", NULL, SCALE_GETPPID, 0, vsize);
	for (i = 0; i < b->nt; i++) {
		struct target *t = &b->t[i];

		if (t->kind != T_KDS || !t->present)
			continue;
		if (!noop_t) {
			noop_t = t;
			scale_pair(b, "scale-noop", t->name, t->path, SCALE_NOOP,
				   0, vsize);
		}
		if (t->occupied)
			continue;
		if (cannot(b, t, n, vsize, BENCH_SEQ, why, sizeof(why))) {
			skip(b, "reader scaling %s: %s", t->name, why);
			continue;
		}
		t->count = 0;
		ret = kds_clear(&t->dev);
		if (!ret)
			ret = fill(b, t, vsize, n);
		if (ret) {
			skip(b, "reader scaling %s: filling: %s", t->name,
			     errtext(ret));
			continue;
		}
		scale_pair(b, "scale-get-hit", t->name, t->path, SCALE_GET, n,
			   vsize);
		kds_clear(&t->dev);
		t->count = 0;
	}
}

/* ---- main ---------------------------------------------------------------- */

static void count_steps(struct bench *b)
{
	unsigned int targets = 0, i;

	if (!(b->groups & (G_KDS | G_BPF | G_USER | G_MEM)))
		return;
	for (i = 0; i < b->nt; i++)
		if (b->t[i].present && !b->t[i].occupied)
			targets++;
	b->steps = b->nvsizes * b->norders * targets * b->nn;
}

static void run_all(struct bench *b)
{
	unsigned int vi, oi, i;

	if (b->groups & G_FLOOR)
		run_floors(b);
	if (b->groups & G_URING)
		run_uring_floors(b);
	if (b->groups & (G_KDS | G_BPF | G_USER | G_MEM)) {
		for (vi = 0; vi < b->nvsizes; vi++) {
			for (oi = 0; oi < b->norders; oi++) {
				make_keys(b, b->orders[oi]);
				for (i = 0; i < b->nt; i++) {
					if (!b->t[i].present || b->t[i].occupied)
						continue;
					if (b->t[i].kind == T_KDS &&
					    !(b->groups & (G_KDS | G_MEM)))
						continue;
					run_target(b, &b->t[i], b->vsizes[vi],
						   b->orders[oi]);
				}
			}
		}
	}
	if (b->groups & G_SCALE)
		run_scaling(b);
}

int kds_bench_main(int argc, char **argv, const char *backend,
		   const char *path)
{
	struct bench *b;
	int status;

	b = calloc(1, sizeof(*b));
	if (!b) {
		fprintf(stderr, "%s: %s\n", PROG, strerror(ENOMEM));
		return EXIT_FAIL;
	}
	set_backends_mask(b, (1U << NR_BACKENDS) - 1);
	if (backend) {
		b->backends[0] = backend;
		b->nbackends = 1;
	}
	b->dev_path = path;
	status = parse_args(b, argc, argv);
	if (status >= 0)
		goto out_free;
	if (alloc_buffers(b)) {
		fprintf(stderr, "%s: %s\n", PROG, strerror(ENOMEM));
		status = EXIT_FAIL;
		goto out_free_buffers;
	}
	b->mem_avail = read_meminfo_kb("MemAvailable") * 1024;
	b->started = bench_now_ns();
	b->last_progress = b->started - PROGRESS_NS;
	print_header(b);
	open_targets(b);
	count_steps(b);
	run_all(b);
	close_targets(b);
	if (!b->quiet || b->failed || (b->smoke && b->skipped))
		fprintf(stderr, "%s: %u figures produced, %u skipped, %u failed in %.1fs\n",
			PROG, b->produced, b->skipped, b->failed,
			(double)(bench_now_ns() - b->started) / 1e9);
	status = b->failed || (b->smoke && b->skipped) ? EXIT_FAIL : EXIT_OK;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: stdout: %s\n", PROG, strerror(errno));
		status = EXIT_FAIL;
	}
out_free_buffers:
	free_buffers(b);
out_free:
	free(b);
	return status;
}
