// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - the groups of figures of one target at one N:
 * get-hit, get-miss, put and del, single and batched; range; the
 * bpf map's dump; uring_cmd; the in-kernel loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "kdsctl_bench_ops.h"
#include "kdsctl_bench_out.h"
#include "kdsctl_bench_target.h"

/* The @mask of group_ops() that takes all four. */
#define ALL_OPS		((1U << NR_OPS) - 1)

static const char *const op_names[NR_OPS] = {
	"get-hit", "get-miss", "put", "del",
};

/* ---- one group of figures: get-hit, get-miss, put, del ------------------- */

/*
 * The keys of sample @s of get-hit: a window of @ops present keys, in the
 * order of the key list.  The windows of the warm-up and timed samples
 * start at even intervals across the N keys, so that a structure whose
 * cost depends on when a key went in (a hash chain holds its newest
 * entries first, a list its oldest) is measured across the whole store,
 * not only on the keys put first.
 */
static void hit_window(struct bench *b, uint64_t n, unsigned int s,
		       uint64_t ops)
{
	uint64_t i, off = (uint64_t)s * n / (b->warmup + b->samples);

	for (i = 0; i < ops; i++)
		b->win[i] = b->keys[(off + i) % n];
}

/* Time @op over @keys; its ns per operation, or the error. */
static int timed(struct bench *b, struct target *t, enum op op,
		 uint32_t vsize, uint32_t batch, const uint64_t *keys,
		 uint64_t ops, double *ns)
{
	uint64_t t0, t1;
	int ret;

	t0 = bench_now_ns();
	ret = target_ops(b, t, op, vsize, batch, keys, ops);
	t1 = bench_now_ns();
	*ns = (double)(t1 - t0) / (double)ops;
	return ret;
}

/* The keys a sample runs operation @o on. */
static const uint64_t *op_keys(const struct bench *b, unsigned int o)
{
	return o == OP_GET_HIT ? b->win : o == OP_GET_MISS ? b->miss : b->fresh;
}

/*
 * The figures of the operations in @mask; when one failed (@stop), the
 * others say that they were not measured.
 */
static void emit_ops(struct bench *b, struct fig *f, unsigned int mask,
		     bool stop)
{
	unsigned int o;

	for (o = 0; o < NR_OPS; o++) {
		if (!(mask & (1U << o)))
			continue;
		if (stop && !f[o].failed)
			fig_fail(&f[o], "not measured: an operation of the same sample failed");
		emit(b, &f[o]);
	}
}

/*
 * The four operations at N, single (batch 0) or batched; @mask says which
 * of them to take.  Each sample: get-hit, get-miss, put of fresh keys,
 * del of the same keys, so the store is back to N keys after it.
 */
static void group_ops(struct bench *b, struct target *t, uint64_t n,
		      uint32_t vsize, int order, uint32_t batch,
		      unsigned int mask)
{
	uint64_t ops = round_up(b->ops, batch ? batch : 1);
	struct fig f[NR_OPS];
	unsigned int s, o;
	bool stop = false;

	for (o = 0; o < NR_OPS; o++)
		fig_init(&f[o], op_names[o], t->name, n, vsize, batch,
			 order_name(order), ops);
	for (s = 0; s < b->warmup + b->samples && !stop; s++) {
		bool keep = s >= b->warmup;

		hit_window(b, n, s, ops);
		for (o = 0; o < NR_OPS; o++) {
			const uint64_t *keys = op_keys(b, o);
			double ns;
			int ret;

			if (!(mask & (1U << o)))
				continue;
			ret = timed(b, t, (enum op)o, vsize, batch, keys, ops,
				    &ns);
			if (ret) {
				fig_fail(&f[o], "%s %s: %s", t->name, op_names[o],
					 errtext(ret));
				stop = true;
				break;
			}
			if (keep)
				f[o].v[f[o].nv++] = ns;
		}
	}
	if (stop) {
		uint64_t i;

		/* Take back whatever fresh keys went in; ignore ENOENT. */
		for (i = 0; i < ops; i++)
			target_ops(b, t, OP_DEL, vsize, 0, b->fresh + i, 1);
	}
	emit_ops(b, f, mask, stop);
}

/* Read @want records from @lo on, @per records per call; wrap at the end. */
static int range_walk(struct bench *b, struct target *t, uint32_t vsize,
		      uint64_t lo, uint32_t per, uint64_t want)
{
	uint64_t got = 0;
	int wraps = 0;

	while (got < want) {
		struct kds_range r = {
			.lo	= lo,
			.hi	= UINT64_MAX,
			.buf	= (uint64_t)(uintptr_t)b->rbuf,
			.buf_len = per * KDS_REC_SIZE(vsize),
		};
		int ret = kds_range_once(&t->dev, &r);

		if (ret)
			return ret;
		got += r.count;
		if (r.out_flags & KDS_RANGE_MORE) {
			lo = r.next;
		} else {
			if (++wraps > 2 && !r.count)
				return -EPROTO;
			lo = 0;
		}
	}
	return 0;
}

static void group_range(struct bench *b, struct target *t, uint64_t n,
			uint32_t vsize, int order, uint32_t per)
{
	uint64_t ops = round_up(b->ops, per);
	unsigned int s;
	struct fig f;

	fig_init(&f, "range", t->name, n, vsize, per, order_name(order), ops);
	snprintf(f.note, sizeof(f.note), "ns per record, %u per call", per);
	for (s = 0; s < b->warmup + b->samples; s++) {
		uint64_t t0, t1, lo = b->keys[(uint64_t)s * ops % n];
		int ret;

		t0 = bench_now_ns();
		ret = range_walk(b, t, vsize, lo, per, ops);
		t1 = bench_now_ns();
		if (ret) {
			fig_fail(&f, "%s range: %s", t->name, errtext(ret));
			break;
		}
		if (s >= b->warmup)
			f.v[f.nv++] = (double)(t1 - t0) / (double)ops;
	}
	emit(b, &f);
}

/* The bpf map's batch lookup: a dump, @per elements per call. */
static void group_dump(struct bench *b, struct target *t, uint64_t n,
		       uint32_t vsize, int order, uint32_t per)
{
	uint64_t ops = round_up(b->ops, per);
	unsigned int s;
	struct fig f;

	fig_init(&f, "dump", t->name, n, vsize, per, order_name(order), ops);
	snprintf(f.note, sizeof(f.note),
		 "BPF_MAP_LOOKUP_BATCH: ns per element, up to %u per call", per);
	for (s = 0; s < b->warmup + b->samples; s++) {
		uint64_t t0, t1, got = 0;
		unsigned int empty_calls = 0;
		int ret = 0;

		t0 = bench_now_ns();
		while (got < ops && !ret) {
			uint32_t c;

			ret = bpfmap_lookup_batch(&t->map, b->bkeys, b->bvals,
						  per, &c);
			got += c;
			if (!c && ++empty_calls > 2)
				ret = -EPROTO;
		}
		t1 = bench_now_ns();
		if (ret == -ENOSPC) {
			snprintf(f.note, sizeof(f.note),
				 "n/a: a bucket holds more than %u elements (ENOSPC)",
				 per);
			f.nv = 0;
			break;
		}
		if (ret) {
			fig_fail(&f, "bpf-hash lookup_batch: %s", errtext(ret));
			break;
		}
		if (s >= b->warmup)
			f.v[f.nv++] = (double)(t1 - t0) / (double)got;
	}
	/* the values came back from the map: the same bytes, but be sure */
	fill_bvals(b, vsize);
	emit(b, &f);
}

/* uring_cmd get, put and del, @depth per submit. */
static void group_uring_cmd(struct bench *b, struct target *t, uint64_t n,
			    uint32_t vsize, int order, uint32_t depth)
{
	static const unsigned int cmds[NR_OPS] = {
		KDS_IOC_GET, KDS_IOC_GET, KDS_IOC_PUT, KDS_IOC_DEL,
	};
	static const char *const what[NR_OPS] = {
		"uring-get-hit", "uring-get-miss", "uring-put", "uring-del",
	};
	uint64_t ops = round_up(b->ops, depth);
	struct fig f[NR_OPS];
	unsigned int s, o;
	bool stop = false;

	for (o = 0; o < NR_OPS; o++)
		fig_init(&f[o], what[o], t->name, n, vsize, depth,
			 order_name(order), ops);
	for (s = 0; s < b->warmup + b->samples && !stop; s++) {
		hit_window(b, n, s, ops);
		for (o = 0; o < NR_OPS && !stop; o++) {
			const uint64_t *keys = op_keys(b, o);
			int expect = o == OP_GET_HIT ? (int)vsize :
				o == OP_GET_MISS ? -ENOENT : 0;
			unsigned int bad = 0;
			int first = 0, ret = 0;
			uint64_t t0, t1, i;

			t0 = bench_now_ns();
			for (i = 0; i < ops && !ret; i += depth)
				ret = uring_kds(&b->cmd_ring, t->dev.fd, cmds[o],
						keys + i, depth,
						o == OP_PUT ? b->val : b->buf,
						vsize, expect, &bad, &first);
			t1 = bench_now_ns();
			if (!ret && bad)
				ret = first < 0 ? first : -EPROTO;
			if (ret) {
				fig_fail(&f[o], "%s %s: %s", t->name, what[o],
					 errtext(ret));
				stop = true;
			} else if (s >= b->warmup) {
				f[o].v[f[o].nv++] = (double)(t1 - t0) /
						    (double)ops;
			}
		}
	}
	if (stop) {
		uint64_t i;

		for (i = 0; i < ops; i++)
			kds_del(&t->dev, b->fresh[i]);
	}
	emit_ops(b, f, ALL_OPS, stop);
}

/*
 * The in-kernel loop (debugfs): "OP ORDER SEED FIRST COUNT VSIZE" runs
 * COUNT operations on the keys of indices FIRST.., reading back
 * "ops=COUNT ns=ELAPSED hits=H".
 */
static int kloop_run(struct target *t, const char *op, int order,
		     uint64_t seed, uint64_t first, uint64_t count,
		     uint32_t vsize, double *ns, uint64_t *hits)
{
	char cmd[160], ans[160];
	uint64_t ops = 0, elapsed = 0;
	ssize_t len;
	int fd, ret = 0;

	fd = open(t->kloop, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(cmd, sizeof(cmd), "%s %s %" PRIu64 " %" PRIu64 " %"
		       PRIu64 " %u\n", op, order_name(order), seed, first,
		       count, vsize);
	if (write(fd, cmd, (size_t)len) != len) {
		ret = -errno;
		goto out_close;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		ret = -errno;
		goto out_close;
	}
	len = read(fd, ans, sizeof(ans) - 1);
	if (len <= 0) {
		ret = len < 0 ? -errno : -EPROTO;
		goto out_close;
	}
	ans[len] = '\0';
	if (sscanf(ans, "ops=%" SCNu64 " ns=%" SCNu64 " hits=%" SCNu64,
		   &ops, &elapsed, hits) != 3 || ops != count || !ops) {
		ret = -EPROTO;
		goto out_close;
	}
	*ns = (double)elapsed / (double)ops;
out_close:
	close(fd);
	return ret;
}

static void group_kloop(struct bench *b, struct target *t, uint64_t n,
			uint32_t vsize, int order)
{
	static const char *const ops_name[NR_OPS] = { "get", "get", "put", "del" };
	static const char *const what[NR_OPS] = {
		"kloop-get-hit", "kloop-get-miss", "kloop-put", "kloop-del",
	};
	uint64_t ops = b->ops < n ? b->ops : n;
	struct fig f[NR_OPS];
	unsigned int s, o;

	for (o = 0; o < NR_OPS; o++) {
		fig_init(&f[o], what[o], t->name, n, vsize, 0,
			 order_name(order), ops);
		snprintf(f[o].note, sizeof(f[o].note), "in-kernel loop");
	}
	for (s = 0; s < b->warmup + b->samples; s++) {
		uint64_t start[NR_OPS], hits = 0, want[NR_OPS];

		/* windows spread across the keys, as in hit_window() */
		start[OP_GET_HIT] = (uint64_t)s * (n - ops + 1) /
				    (b->warmup + b->samples);
		start[OP_GET_MISS] = order == BENCH_SEQ ? n : BENCH_MISS;
		start[OP_PUT] = order == BENCH_SEQ ? n : BENCH_FRESH;
		start[OP_DEL] = start[OP_PUT];
		want[OP_GET_HIT] = ops;
		want[OP_GET_MISS] = 0;
		want[OP_PUT] = ops;
		want[OP_DEL] = ops;
		for (o = 0; o < NR_OPS; o++) {
			double ns = 0;
			int ret;

			if (f[o].failed)
				continue;
			ret = kloop_run(t, ops_name[o], order, b->seed, start[o],
					ops, vsize, &ns, &hits);
			if (!ret && hits != want[o])
				ret = -EPROTO;
			if (ret)
				fig_fail(&f[o], "%s: %s", t->kloop, errtext(ret));
			else if (s >= b->warmup)
				f[o].v[f[o].nv++] = ns;
		}
	}
	for (o = 0; o < NR_OPS; o++)
		emit(b, &f[o]);
}

/* All figures of one target at one N, the store holding N keys. */
void figures_at(struct bench *b, struct target *t, uint64_t n,
		uint32_t vsize, int order)
{
	unsigned int i;

	group_ops(b, t, n, vsize, order, 0, ALL_OPS);
	if (t->kind == T_USER)
		return;
	for (i = 0; i < b->nbatches; i++) {
		uint32_t bs = b->batches[i];

		progress(b, "%s N=%" PRIu64 " %uB %s batch %u", t->name, n,
			 vsize, order_name(order), bs);
		if (t->kind == T_BPF) {
			group_ops(b, t, n, vsize, order, bs,
				  (1U << OP_PUT) | (1U << OP_DEL));
			/* one per call stops at the first bucket of two */
			if (bs > 1)
				group_dump(b, t, n, vsize, order, bs);
			continue;
		}
		if (t->dev.api.features & KDS_FEAT_BATCH)
			group_ops(b, t, n, vsize, order, bs, ALL_OPS);
		if (t->ordered)
			group_range(b, t, n, vsize, order, bs);
	}
	if (t->kind != T_KDS)
		return;
	if (t->uring_cmd)
		for (i = 0; i < b->ndepths; i++)
			group_uring_cmd(b, t, n, vsize, order, b->depths[i]);
	if (t->kloop[0])
		group_kloop(b, t, n, vsize, order);
}
