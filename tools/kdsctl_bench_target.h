/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - the targets: kdsctl_bench_target.c.
 */
#ifndef KDSCTL_BENCH_TARGET_H
#define KDSCTL_BENCH_TARGET_H

#include "kdsctl_bench_core.h"

/*
 * The crossing floor: a command number the module does not know.  0x08
 * was the no-op of API version 1 and is retired: it is ENOTTY, as any
 * unknown number, once the module has looked at it.
 */
#define KDS_IOC_RETIRED		_IO(KDS_TYPE, 0x08)

int kds_unknown_cmd(const struct kds_dev *dev);
int unknown_cmd_check(const struct target *t, char *why, size_t size);
int target_ops(struct bench *b, struct target *t, enum op op,
	       uint32_t vsize, uint32_t batch, const uint64_t *keys,
	       uint64_t n);
int fill(struct bench *b, struct target *t, uint32_t vsize, uint64_t n);
int empty(struct target *t, uint32_t vsize, uint64_t cap);
void open_targets(struct bench *b);
void close_targets(struct bench *b);

#endif /* KDSCTL_BENCH_TARGET_H */
