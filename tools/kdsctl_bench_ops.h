/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - the groups of figures: kdsctl_bench_ops.c.
 */
#ifndef KDSCTL_BENCH_OPS_H
#define KDSCTL_BENCH_OPS_H

#include "kdsctl_bench_core.h"

void figures_at(struct bench *b, struct target *t, uint64_t n,
		uint32_t vsize, int order);

#endif /* KDSCTL_BENCH_OPS_H */
