// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - its options: the help, the defaults (--smoke has
 * its own) and the parsing.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdsctl_bench_opt.h"
#include "kdsctl_common.h"

static const char *const group_names[] = {
	"floor", "kds", "bpf", "uring", "user", "mem", "scale",
};

static const char *const all_backends[] = {
	"list", "hash", "rbtree", "xarray", "maple",
};
_Static_assert(sizeof(all_backends) / sizeof(all_backends[0]) ==
	       NR_BACKENDS, "NR_BACKENDS counts all_backends");

static const char help_text[] =
"Usage: kdsctl [-b BACKEND | -d PATH] bench [OPTION]...\n"
"Measure what each operation of each kds backend costs, next to the floors\n"
"(getppid(), an unknown command on the kds device and an unknown ioctl on\n"
"/dev/null, both ENOTTY) and the peers (a bpf() hash map, io_uring NOP, a\n"
"hash table in user space), with the same keys, values and key order.\n"
"Each figure: warm-up samples, then timed samples; the minimum and the\n"
"median ns per operation are reported (CLOCK_MONOTONIC: under QEMU -icount\n"
"one ns is one guest instruction).\n"
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
"      --scale-n=N        keys of the scaling runs (default 1e5)\n"
"      --scale-seconds=S  seconds per scaling sample (default 2)\n"
"      --scale-samples=N  scaling samples (default 3)\n"
"      --scale-threads=N  threads of the second run (default 2)\n"
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
		return usage_error("bench", "--%s: list too long", opt);
	strcpy(buf, arg);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (!parse_count(tok, &v) || v < lo || v > hi)
			return usage_error("bench", "--%s: bad value '%s' (%"
					   PRIu64 "..%" PRIu64 ")", opt, tok,
					   lo, hi);
		if (*n == max)
			return usage_error("bench", "--%s: at most %u values",
					   opt, max);
		out[(*n)++] = v;
	}
	if (!*n)
		return usage_error("bench", "--%s: empty list", opt);
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
		return usage_error("bench", "--%s: list too long", opt);
	strcpy(buf, arg);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nnames; i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == nnames)
			return usage_error("bench", "--%s: unknown name '%s'",
					   opt, tok);
		*mask |= 1U << i;
	}
	if (!*mask)
		return usage_error("bench", "--%s: empty list", opt);
	return EXIT_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void set_backends_mask(struct bench *b, unsigned int mask)
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
		return usage_error("bench", "--%s: bad value '%s' (%" PRIu64
				   "..%" PRIu64 ")", opt, arg, lo, hi);
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
			ret = usage_error("bench",
					  "--scale-seconds: bad value '%s'",
					  arg);
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
			ret = usage_error("bench", "--settle: bad value '%s'",
					  arg);
		break;
	case OPT_FORMAT:
		if (!strcmp(arg, "table"))
			b->format = FMT_TABLE;
		else if (!strcmp(arg, "tsv"))
			b->format = FMT_TSV;
		else if (!strcmp(arg, "json"))
			b->format = FMT_JSON;
		else
			ret = usage_error("bench",
					  "--format: unknown format '%s' (table, tsv, json)",
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
int parse_args(struct bench *b, int argc, char **argv)
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
			return usage_error("bench",
					   "option '%s' needs an argument",
					   argv[optind - 1]);
		case '?':
			if (optopt > 0 && optopt < 128)
				return usage_error("bench",
						   "unknown option '-%c'",
						   optopt);
			return usage_error("bench", "unknown option '%s'",
					   argv[optind - 1]);
		default:
			ret = parse_one(b, c, optarg);
			if (ret)
				return ret;
		}
	}
	if (optind < argc)
		return usage_error("bench", "unexpected argument '%s'",
				   argv[optind]);
	qsort(b->n, b->nn, sizeof(b->n[0]), cmp_u64);
	return -1;
}
