/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - reader and writer scaling: kdsctl_bench_scale.c.
 */
#ifndef KDSCTL_BENCH_SCALE_H
#define KDSCTL_BENCH_SCALE_H

#include "kdsctl_bench_core.h"

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

/* What each thread does in a loop. */
#define SCALE_GET	0	/* KDS_IOC_GET of a present key */
#define SCALE_NOOP	1	/* an unknown command (ENOTTY) */
#define SCALE_GETPPID	2	/* getppid(), a control without kds */
#define SCALE_PUT_DISJOINT 3	/* a put replacing a present key; keys of its own */
#define SCALE_PUT_SHARED 4	/* the same, every thread on the same keys */

/**
 * bench_scale - @threads threads, each pinned to its own CPU, for @secs
 * @path: the kds device (unused for SCALE_GETPPID)
 * @what: SCALE_*
 * @keys: @nkeys present keys (SCALE_GET, SCALE_PUT_*)
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

void run_scaling(struct bench *b);

#endif /* KDSCTL_BENCH_SCALE_H */
