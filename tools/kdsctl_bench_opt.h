/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - the help, the defaults, the options:
 * kdsctl_bench_opt.c.
 */
#ifndef KDSCTL_BENCH_OPT_H
#define KDSCTL_BENCH_OPT_H

#include "kdsctl_bench_core.h"

void set_backends_mask(struct bench *b, unsigned int mask);
int parse_args(struct bench *b, int argc, char **argv);

#endif /* KDSCTL_BENCH_OPT_H */
