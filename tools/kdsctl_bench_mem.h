/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - memory figures, the memory estimate, the floors:
 * kdsctl_bench_mem.c.
 */
#ifndef KDSCTL_BENCH_MEM_H
#define KDSCTL_BENCH_MEM_H

#include "kdsctl_bench_core.h"

struct memsnap {
	uint64_t slab;		/* active objects of /proc/slabinfo, bytes */
	uint64_t meminfo;	/* Slab + VmallocUsed of /proc/meminfo, bytes */
	bool slab_ok;
	bool meminfo_ok;
};

uint64_t read_meminfo_kb(const char *field);
const char *too_big(const struct bench *b, const char *backend,
		    uint64_t n, uint32_t vsize, int order, char *why,
		    size_t size);
void mem_snap(struct bench *b, struct memsnap *m);
void mem_emit(struct bench *b, struct target *t,
	      const struct memsnap *before, uint64_t n, uint32_t vsize,
	      int order);
void run_floors(struct bench *b);
void run_uring_floors(struct bench *b);

/* Why @t cannot hold N keys of @vsize bytes, or NULL. */
const char *cannot(const struct bench *b, const struct target *t,
		   uint64_t n, uint32_t vsize, int order, char *why,
		   size_t size);

#endif /* KDSCTL_BENCH_MEM_H */
