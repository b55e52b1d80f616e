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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdsctl_bench.h"
#include "kdsctl_bench_mem.h"
#include "kdsctl_bench_ops.h"
#include "kdsctl_bench_opt.h"
#include "kdsctl_bench_out.h"
#include "kdsctl_bench_scale.h"
#include "kdsctl_bench_target.h"
#include "kdsctl_common.h"

/* ---- plan and buffers ---------------------------------------------------- */

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

/* ---- the run ------------------------------------------------------------- */

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
		fprintf(stderr, "%s: %s\n", BENCH_PROG, strerror(ENOMEM));
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
		fprintf(stderr, "%s: %s\n", BENCH_PROG, strerror(ENOMEM));
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
			BENCH_PROG, b->produced, b->skipped, b->failed,
			(double)(bench_now_ns() - b->started) / 1e9);
	status = b->failed || (b->smoke && b->skipped) ? EXIT_FAIL : EXIT_OK;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: stdout: %s\n", BENCH_PROG,
			strerror(errno));
		status = EXIT_FAIL;
	}
out_free_buffers:
	free_buffers(b);
out_free:
	free(b);
	return status;
}
