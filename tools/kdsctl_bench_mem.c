// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - memory and floors: what a store takes per entry
 * (/proc/slabinfo, /proc/meminfo), the estimate that keeps a run
 * inside the memory, and the floors: getppid(), an unknown ioctl on
 * /dev/null, an unknown command on a kds device and io_uring NOP.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kdsctl_bench_mem.h"
#include "kdsctl_bench_out.h"
#include "kdsctl_bench_target.h"

/* An unknown ioctl command for /dev/null (no driver claims it). */
#define DEVNULL_CMD		_IO(KDS_TYPE, 0x3f)

/* ---- memory -------------------------------------------------------------- */

uint64_t read_meminfo_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	uint64_t kb = 0;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* XArray nodes: 64 slots of 8 bytes and a header, 6 bits of index each. */
#define XA_NODE_BYTES	576U
#define XA_LEVELS_U64	11U

/*
 * Rough bytes one entry takes, to stay inside the memory: the entry
 * (kmalloc rounds up to a power of two) and what the structure adds.  An
 * XArray indexed by random 64-bit keys holds a chain of nodes per key
 * below the levels that N keys share: kilobytes per entry.
 */
static uint64_t entry_estimate(const char *backend, uint64_t n,
			       uint32_t vsize, int order)
{
	uint64_t size = 32, shared = 0, m;

	while (size < (uint64_t)vsize + 64)
		size *= 2;
	size += 64;
	if (backend && !strcmp(backend, "xarray") && order == BENCH_RAND) {
		for (m = n; m >= 64; m /= 64)
			shared++;
		size += XA_NODE_BYTES * (XA_LEVELS_U64 - shared);
	}
	return size;
}

/* Why N cannot be measured with this value size here, or NULL. */
const char *too_big(const struct bench *b, const char *backend,
		    uint64_t n, uint32_t vsize, int order, char *why,
		    size_t size)
{
	uint64_t need = n * entry_estimate(backend, n, vsize, order);

	if (b->mem_avail && need > b->mem_avail / 2) {
		snprintf(why, size,
			 "N=%" PRIu64 " of %u-byte values needs ~%" PRIu64
			 " MiB, more than half of MemAvailable %" PRIu64 " MiB",
			 n, vsize, need >> 20, b->mem_avail >> 20);
		return why;
	}
	return NULL;
}

/* Why @t cannot hold N keys of @vsize bytes, or NULL. */
const char *cannot(const struct bench *b, const struct target *t,
		   uint64_t n, uint32_t vsize, int order, char *why,
		   size_t size)
{
	uint64_t extra = ops_max(b);

	if (too_big(b, t->kind == T_KDS ? t->dev.api.backend : NULL, n, vsize,
		    order, why, size))
		return why;
	if (t->kind != T_KDS)
		return NULL;
	if (vsize > t->dev.api.max_value_size) {
		snprintf(why, size, "%u-byte values: above max_value_size %"
			 PRIu64, vsize, (uint64_t)t->dev.api.max_value_size);
		return why;
	}
	if (n + extra > t->dev.api.max_entries) {
		snprintf(why, size, "N=%" PRIu64 " + %" PRIu64
			 " fresh keys: above max_entries %" PRIu64, n, extra,
			 (uint64_t)t->dev.api.max_entries);
		return why;
	}
	if (!strcmp(t->dev.api.backend, "list") && n > b->list_max_n) {
		snprintf(why, size, "N=%" PRIu64 ": above --list-max-n %"
			 PRIu64 " (each list lookup walks the list)", n,
			 b->list_max_n);
		return why;
	}
	return NULL;
}

static bool read_slabinfo(uint64_t *bytes)
{
	char line[512];
	uint64_t sum = 0;
	bool ok = false;
	FILE *f;

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned long long active, total, objsize;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%127s %llu %llu %llu", name, &active, &total,
			   &objsize) == 4) {
			sum += (uint64_t)active * objsize;
			ok = true;
		}
	}
	fclose(f);
	*bytes = sum;
	return ok;
}

void mem_snap(struct bench *b, struct memsnap *m)
{
	uint64_t slab_kb, vm_kb;

	bench_sleep(b->settle);
	m->slab_ok = read_slabinfo(&m->slab);
	slab_kb = read_meminfo_kb("Slab");
	vm_kb = read_meminfo_kb("VmallocUsed");
	m->meminfo_ok = slab_kb > 0;
	m->meminfo = (slab_kb + vm_kb) * 1024;
}

static void mem_emit_one(struct bench *b, struct target *t, const char *what,
			 bool ok, uint64_t before, uint64_t after, uint64_t n,
			 uint32_t vsize, int order, const char *extra)
{
	struct fig f;
	double per;

	fig_init(&f, what, t->name, n, vsize, 0, order_name(order), n);
	f.unit = "B/entry";
	if (!ok) {
		snprintf(f.note, sizeof(f.note), "n/a: %s unreadable",
			 !strcmp(what, "mem-slab") ? "/proc/slabinfo" :
			 "/proc/meminfo");
		emit(b, &f);
		return;
	}
	per = ((double)after - (double)before) / (double)n;
	f.v[f.nv++] = per - (double)sizeof(uint64_t) - (double)vsize;
	snprintf(f.note, sizeof(f.note),
		 "beyond key+value; %.0f B/entry in all, +%.0f KiB; %s", per,
		 ((double)after - (double)before) / 1024, extra);
	emit(b, &f);
}

/*
 * The two shape figures of a memory line, as version 1 of the ABI gave
 * them: list: length; hash: longest chain and buckets used; the trees:
 * height.
 */
static uint64_t shape_first(const struct kds_stats *st)
{
	if (st->shape & KDS_SHAPE_LENGTH)
		return st->length;
	if (st->shape & KDS_SHAPE_CHAIN)
		return st->longest_chain;
	return st->height;
}

static uint64_t shape_second(const struct kds_stats *st)
{
	return st->shape & KDS_SHAPE_CHAIN ? st->buckets_used : 0;
}

void mem_emit(struct bench *b, struct target *t,
	      const struct memsnap *before, uint64_t n, uint32_t vsize,
	      int order)
{
	struct kds_stats st;
	struct memsnap after;
	char extra[128];
	int ret;

	mem_snap(b, &after);
	ret = kds_stats(&t->dev, &st, KDS_STATS_SHAPE);
	if (ret)
		snprintf(extra, sizeof(extra), "stats: %s", errtext(ret));
	else
		snprintf(extra, sizeof(extra),
			 "stats: entries %" PRIu64 ", bytes %" PRIu64 ", shape %"
			 PRIu64 "/%" PRIu64, (uint64_t)st.entries,
			 (uint64_t)st.bytes, shape_first(&st),
			 shape_second(&st));
	mem_emit_one(b, t, "mem-slab", before->slab_ok && after.slab_ok,
		     before->slab, after.slab, n, vsize, order, extra);
	mem_emit_one(b, t, "mem-meminfo", before->meminfo_ok && after.meminfo_ok,
		     before->meminfo, after.meminfo, n, vsize, order, extra);
}

/* ---- floors -------------------------------------------------------------- */

static void floor_fig(struct bench *b, const char *what, const char *backend,
		      uint32_t batch, const char *note_text,
		      int (*fn)(struct bench *b, void *arg, uint64_t ops),
		      void *arg)
{
	uint64_t ops = round_up(b->ops, batch ? batch : 1);
	unsigned int s;
	struct fig f;

	fig_init(&f, what, backend, 0, UINT32_MAX, batch, "-", ops);
	snprintf(f.note, sizeof(f.note), "%s", note_text);
	for (s = 0; s < b->warmup + b->samples; s++) {
		uint64_t t0, t1;
		int ret;

		t0 = bench_now_ns();
		ret = fn(b, arg, ops);
		t1 = bench_now_ns();
		if (ret) {
			fig_fail(&f, "%s: %s", what, errtext(ret));
			break;
		}
		if (s >= b->warmup)
			f.v[f.nv++] = (double)(t1 - t0) / (double)ops;
	}
	emit(b, &f);
}

static int loop_getppid(struct bench *b, void *arg, uint64_t ops)
{
	uint64_t i;

	(void)b;
	(void)arg;
	for (i = 0; i < ops; i++)
		syscall(SYS_getppid);
	return 0;
}

static int loop_devnull(struct bench *b, void *arg, uint64_t ops)
{
	int fd = *(int *)arg;
	uint64_t i;

	(void)b;
	for (i = 0; i < ops; i++)
		if (ioctl(fd, DEVNULL_CMD, 0) != -1 || errno != ENOTTY)
			return errno ? -errno : -EPROTO;
	return 0;
}

static int loop_unknown(struct bench *b, void *arg, uint64_t ops)
{
	struct target *t = arg;
	uint64_t i;
	int ret;

	(void)b;
	for (i = 0; i < ops; i++) {
		ret = kds_unknown_cmd(&t->dev);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The crossing floor of a kds device, under the name "noop" that the
 * no-op command of version 1 gave it.  A device that does not answer the
 * retired number with ENOTTY gets a failed figure saying so.
 */
static void floor_unknown(struct bench *b, struct target *t)
{
	char why[160];
	struct fig f;

	if (!unknown_cmd_check(t, why, sizeof(why))) {
		floor_fig(b, "noop", t->name, 0,
			  "unknown command (ENOTTY): the crossing cost",
			  loop_unknown, t);
		return;
	}
	fig_init(&f, "noop", t->name, 0, UINT32_MAX, 0, "-", b->ops);
	fig_fail(&f, "%s", why);
	emit(b, &f);
}

struct nop_arg {
	struct uring *u;
	uint32_t depth;
};

static int loop_uring_nop(struct bench *b, void *arg, uint64_t ops)
{
	struct nop_arg *a = arg;
	uint64_t i;
	int ret;

	(void)b;
	for (i = 0; i < ops; i += a->depth) {
		ret = uring_nop(a->u, a->depth);
		if (ret)
			return ret;
	}
	return 0;
}

void run_floors(struct bench *b)
{
	unsigned int i;
	int fd;

	progress(b, "floors");
	floor_fig(b, "getppid", "-", 0, "system call floor", loop_getppid, NULL);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		skip(b, "ioctl-devnull: /dev/null: %s", strerror(errno));
	} else {
		floor_fig(b, "ioctl-devnull", "-", 0,
			  "unknown ioctl on /dev/null (ENOTTY)", loop_devnull,
			  &fd);
		close(fd);
	}
	for (i = 0; i < b->nt; i++)
		if (b->t[i].kind == T_KDS && b->t[i].present)
			floor_unknown(b, &b->t[i]);
}

void run_uring_floors(struct bench *b)
{
	struct nop_arg a;
	struct uring u;
	unsigned int i;
	uint32_t entries = 1;
	int ret;

	for (i = 0; i < b->ndepths; i++)
		if (b->depths[i] > entries)
			entries = b->depths[i];
	ret = uring_setup(&u, entries, false);
	if (ret) {
		skip(b, "uring-nop: io_uring_setup: %s", errtext(ret));
		return;
	}
	a.u = &u;
	for (i = 0; i < b->ndepths; i++) {
		a.depth = b->depths[i];
		floor_fig(b, "uring-nop", "-", a.depth,
			  "IORING_OP_NOP, ns per operation", loop_uring_nop, &a);
	}
	uring_close(&u);
}
