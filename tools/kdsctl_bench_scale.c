// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - reader and writer scaling: the same operations from one
 * thread, then from several, each pinned to its own CPU and holding its
 * own open file, for a fixed time.  The ratio of the totals says how well
 * the backend's read side scales (RCU lookups should not share a cache
 * line), and its write side: puts that replace present keys, each thread
 * on keys of its own (disjoint) or every thread on the same keys in the
 * same order (overlapping, so that they meet on one bucket or node).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kdsctl_bench_scale.h"
#include "kdsctl_bench_mem.h"
#include "kdsctl_bench_out.h"
#include "kdsctl_bench_target.h"

#define SCALE_MAX_THREADS	64
/* Look at the stop flag once per this many operations. */
#define SCALE_CHECK_EVERY	64U

struct scale_shared {
	const char *path;
	int what;
	const uint64_t *keys;
	size_t nkeys;
	uint32_t vsize;
	unsigned int threads;
	int ready;		/* threads ready to start */
	int go;			/* 1: start; 2: stop */
};

struct scale_thread {
	pthread_t tid;
	struct scale_shared *sh;
	unsigned int cpu;
	uint64_t ops;
	int err;
};

static void pin_to(unsigned int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* not fatal: an unpinned reader still reads */
	(void)sched_setaffinity(0, sizeof(set), &set);
}

static int scale_op(struct scale_thread *t, struct kds_dev *dev, char *buf,
		    size_t i)
{
	const struct scale_shared *sh = t->sh;
	size_t len;

	switch (sh->what) {
	case SCALE_GET:
		return kds_get(dev, sh->keys[i], buf, sh->vsize, &len);
	case SCALE_PUT_DISJOINT:
	case SCALE_PUT_SHARED:
		return kds_put(dev, sh->keys[i], buf, sh->vsize, 0);
	case SCALE_NOOP:
		return kds_unknown_cmd(dev);
	default:
		syscall(SYS_getppid);
		return 0;
	}
}

static void *scale_reader(void *arg)
{
	struct scale_thread *t = arg;
	struct scale_shared *sh = t->sh;
	struct kds_dev dev = KDS_DEV_INIT;
	size_t i = (size_t)t->cpu * 7919U, step = 1;
	char *buf;
	int err = 0;

	/*
	 * Readers start apart; disjoint writers take every threads-th key
	 * from their own first; overlapping writers all start at key 0.
	 */
	if (sh->what == SCALE_PUT_DISJOINT) {
		i = t->cpu;
		step = sh->threads;
	} else if (sh->what == SCALE_PUT_SHARED) {
		i = 0;
	}
	pin_to(t->cpu);
	buf = malloc(sh->vsize ? sh->vsize : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out_ready;
	}
	memset(buf, 'v', sh->vsize ? sh->vsize : 1);
	if (sh->nkeys && i >= sh->nkeys)
		i %= sh->nkeys;
	if (sh->what != SCALE_GETPPID)
		err = kds_open_path(&dev, sh->path);
out_ready:
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		sched_yield();
	while (!err) {
		unsigned int k;

		for (k = 0; k < SCALE_CHECK_EVERY && !err; k++) {
			if (sh->nkeys)
				/* past the end: this thread's first key */
				i = i + step < sh->nkeys ? i + step : i % step;
			err = scale_op(t, &dev, buf, i);
			t->ops++;
		}
		if (__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE) == 2)
			break;
	}
	t->err = err;
	kds_close(&dev);
	free(buf);
	return NULL;
}

/* One sample: start the readers together, stop them after @secs. */
static int scale_sample(struct scale_shared *sh, unsigned int threads,
			double secs, double *ops_per_s)
{
	struct scale_thread t[SCALE_MAX_THREADS];
	uint64_t t0, t1, ops = 0;
	unsigned int i, started = 0;
	int err = 0;

	memset(t, 0, sizeof(t));
	sh->threads = threads;
	sh->ready = 0;
	sh->go = 0;
	for (i = 0; i < threads; i++) {
		t[i].sh = sh;
		t[i].cpu = i;
		if (pthread_create(&t[i].tid, NULL, scale_reader, &t[i])) {
			err = -EAGAIN;
			break;
		}
		started++;
	}
	while (__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE) < (int)started)
		sched_yield();
	t0 = bench_now_ns();
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	if (!err)
		bench_sleep(secs);
	__atomic_store_n(&sh->go, 2, __ATOMIC_RELEASE);
	for (i = 0; i < started; i++) {
		pthread_join(t[i].tid, NULL);
		ops += t[i].ops;
		if (t[i].err && !err)
			err = t[i].err;
	}
	t1 = bench_now_ns();
	*ops_per_s = t1 > t0 ? (double)ops * 1e9 / (double)(t1 - t0) : 0;
	return err;
}

void bench_scale(const char *path, int what, const uint64_t *keys,
		 size_t nkeys, uint32_t vsize, unsigned int threads,
		 double secs, unsigned int samples, struct scale_result *res)
{
	struct scale_shared sh = {
		.path	= path,
		.what	= what,
		.keys	= keys,
		.nkeys	= what == SCALE_GET || what == SCALE_PUT_DISJOINT ||
			  what == SCALE_PUT_SHARED ? nkeys : 0,
		.vsize	= vsize,
	};
	unsigned int s;

	memset(res, 0, sizeof(*res));
	if (threads > SCALE_MAX_THREADS)
		threads = SCALE_MAX_THREADS;
	if (samples > sizeof(res->ops_per_s) / sizeof(res->ops_per_s[0]))
		samples = sizeof(res->ops_per_s) / sizeof(res->ops_per_s[0]);
	for (s = 0; s < samples; s++) {
		res->err = scale_sample(&sh, threads, secs,
					&res->ops_per_s[s]);
		if (res->err)
			return;
		res->nsamples++;
	}
}

/* ---- reader scaling ------------------------------------------------------ */

static void scale_fig(struct bench *b, const char *what, const char *backend,
		      uint64_t n, uint32_t vsize, unsigned int threads,
		      const struct scale_result *r, struct fig *f)
{
	unsigned int s;

	fig_init(f, what, backend, n, n ? vsize : UINT32_MAX, 0,
		 n ? "seq" : "-", 0);
	f->threads = threads;
	f->unit = "ops/s";
	if (r->err)
		fig_fail(f, "%s: %s", what, errtext(r->err));
	for (s = 0; s < r->nsamples; s++)
		f->v[f->nv++] = r->ops_per_s[s];
	snprintf(f->note + strlen(f->note), sizeof(f->note) - strlen(f->note),
		 "%s%.1fs per sample", f->failed ? "; " : "", b->scale_secs);
	emit(b, f);
}

static void scale_pair(struct bench *b, const char *what, const char *backend,
		       const char *path, int kind, uint64_t n, uint32_t vsize)
{
	struct scale_result r1, r2;
	struct fig f1, f2, ratio;
	double min1, med1, min2, med2;

	struct scale_result one;
	unsigned int s;

	/*
	 * One reader, then several, in turn: a host that is busier for a
	 * while then weighs on both sides alike.
	 */
	progress(b, "scaling: %s %s", what, backend);
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	for (s = 0; s < b->scale_samples && !r1.err && !r2.err; s++) {
		bench_scale(path, kind, b->keys, n, vsize, 1, b->scale_secs, 1,
			    &one);
		r1.err = one.err;
		if (one.nsamples)
			r1.ops_per_s[r1.nsamples++] = one.ops_per_s[0];
		bench_scale(path, kind, b->keys, n, vsize, b->scale_threads,
			    b->scale_secs, 1, &one);
		r2.err = one.err;
		if (one.nsamples)
			r2.ops_per_s[r2.nsamples++] = one.ops_per_s[0];
	}
	scale_fig(b, what, backend, n, vsize, 1, &r1, &f1);
	scale_fig(b, what, backend, n, vsize, b->scale_threads, &r2, &f2);
	fig_init(&ratio, "scale-ratio", backend, n, n ? vsize : UINT32_MAX, 0,
		 n ? "seq" : "-", 0);
	ratio.threads = b->scale_threads;
	ratio.unit = "x";
	if (f1.failed || f2.failed || !f1.nv || !f2.nv) {
		fig_fail(&ratio, "%s: no ratio without both runs", what);
	} else {
		double best1 = 0, best2 = 0;
		unsigned int i;

		fig_stats(&f1, &min1, &med1);
		fig_stats(&f2, &min2, &med2);
		for (i = 0; i < f1.nv; i++)
			best1 = f1.v[i] > best1 ? f1.v[i] : best1;
		for (i = 0; i < f2.nv; i++)
			best2 = f2.v[i] > best2 ? f2.v[i] : best2;
		ratio.v[ratio.nv++] = med1 > 0 ? med2 / med1 : 0;
		snprintf(ratio.note, sizeof(ratio.note),
			 "%s: median ops/s of %u threads over one; best over best %.2f",
			 what, b->scale_threads, best1 > 0 ? best2 / best1 : 0);
	}
	emit(b, &ratio);
}

void run_scaling(struct bench *b)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const uint32_t vsize = 16;
	uint64_t n = b->scale_n;
	struct target *noop_t = NULL;
	unsigned int i;
	char why[200];
	int ret;

	if (cpus < (long)b->scale_threads) {
		skip(b, "reader scaling: %ld CPU(s) online, %u readers need as many",
		     cpus, b->scale_threads);
		return;
	}
	make_keys(b, BENCH_SEQ);
	scale_pair(b, "scale-getppid", "-", NULL, SCALE_GETPPID, 0, vsize);
	for (i = 0; i < b->nt; i++) {
		struct target *t = &b->t[i];

		if (t->kind != T_KDS || !t->present)
			continue;
		if (!noop_t) {
			noop_t = t;
			if (unknown_cmd_check(t, why, sizeof(why)))
				skip(b, "reader scaling: %s", why);
			else
				scale_pair(b, "scale-noop", t->name, t->path,
					   SCALE_NOOP, 0, vsize);
		}
		if (t->occupied)
			continue;
		if (cannot(b, t, n, vsize, BENCH_SEQ, why, sizeof(why))) {
			skip(b, "reader scaling %s: %s", t->name, why);
			continue;
		}
		t->count = 0;
		ret = kds_clear(&t->dev);
		if (!ret)
			ret = fill(b, t, vsize, n);
		if (ret) {
			skip(b, "reader scaling %s: filling: %s", t->name,
			     errtext(ret));
			continue;
		}
		scale_pair(b, "scale-get-hit", t->name, t->path, SCALE_GET, n,
			   vsize);
		scale_pair(b, "scale-put-disjoint", t->name, t->path,
			   SCALE_PUT_DISJOINT, n, vsize);
		scale_pair(b, "scale-put-shared", t->name, t->path,
			   SCALE_PUT_SHARED, n, vsize);
		kds_clear(&t->dev);
		t->count = 0;
	}
}
