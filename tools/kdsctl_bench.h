/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl bench - its entry, what kdsctl calls.  The bench's files, from
 * the top down (each file's header declares what that file defines):
 *
 * kdsctl_bench.c		the entry, the plan, the run loop
 * kdsctl_bench_opt.c		the help, the defaults, the option parsing
 * kdsctl_bench_ops.c		the groups of figures of one target at one N
 * kdsctl_bench_mem.c		memory figures, the memory estimate, the floors
 * kdsctl_bench_scale.c		reader scaling over several CPUs
 * kdsctl_bench_target.c	the targets: opening them, operations, fills
 * kdsctl_bench_out.c		messages and output: table, TSV, JSON; progress
 * kdsctl_bench_core.c		the bench's state, its buffers' helpers
 * kdsctl_bench_peers.c		the peers (bpf() hash map, io_uring, a hash
 *				table in user space), the clock, the keys
 */
#ifndef KDSCTL_BENCH_H
#define KDSCTL_BENCH_H

/**
 * kds_bench_main - "kdsctl bench [OPTION]..."
 * @argc: arguments from "bench" on
 * @argv: argv[0] is "bench"
 * @backend: the backend named with kdsctl -b, or NULL
 * @path: the device named with kdsctl -d, or NULL
 *
 * Return: the exit status: 0 when every figure planned was produced (or,
 * outside --smoke, skipped for a reason stated in its note); 1 when a
 * figure failed, or with --smoke when one was skipped; 2 on usage errors.
 */
int kds_bench_main(int argc, char **argv, const char *backend,
		   const char *path);

#endif /* KDSCTL_BENCH_H */
