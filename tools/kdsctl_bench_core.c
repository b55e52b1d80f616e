// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - the helpers of the plan and the buffers that the bench's
 * files share.
 */
#include <string.h>

#include "kdsctl_bench_core.h"

uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

/*
 * Most operations one sample of any figure takes: --ops rounded up to a
 * whole number of batches, for any batch or depth up to bmax.
 */
uint64_t ops_max(const struct bench *b)
{
	return (uint64_t)b->ops + b->bmax;
}

/* The values of a bpf batch: bmax copies of the value, back to back. */
void fill_bvals(struct bench *b, uint32_t vsize)
{
	uint32_t i;

	for (i = 0; i < b->bmax; i++)
		memcpy(b->bvals + (size_t)i * vsize, b->val, vsize);
}

/* The keys of one order; the fresh and missing ones depend on N too. */
void make_keys(struct bench *b, int order)
{
	uint64_t i;

	for (i = 0; i < b->nmax; i++)
		b->keys[i] = bench_key(order, b->seed, i);
}
