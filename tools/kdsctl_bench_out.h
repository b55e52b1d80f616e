/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - messages and output: kdsctl_bench_out.c.
 */
#ifndef KDSCTL_BENCH_OUT_H
#define KDSCTL_BENCH_OUT_H

#include "kdsctl_bench_core.h"

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

#endif /* KDSCTL_BENCH_OUT_H */
