/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - the targets: kdsctl_bench_target.c.
 */
#ifndef KDSCTL_BENCH_TARGET_H
#define KDSCTL_BENCH_TARGET_H

#include "kdsctl_bench_core.h"

int target_ops(struct bench *b, struct target *t, enum op op,
	       uint32_t vsize, uint32_t batch, const uint64_t *keys,
	       uint64_t n);
int fill(struct bench *b, struct target *t, uint32_t vsize, uint64_t n);
int empty(struct target *t, uint32_t vsize, uint64_t cap);
void open_targets(struct bench *b);
void close_targets(struct bench *b);

#endif /* KDSCTL_BENCH_TARGET_H */
