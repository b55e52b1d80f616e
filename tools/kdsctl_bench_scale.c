// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - reader scaling: the same lookups from one thread, then
 * from several, each pinned to its own CPU and holding its own open file,
 * for a fixed time.  The ratio of the totals says how well the backend's
 * read side scales (RCU lookups should not share a cache line).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kdsctl_bench.h"

#define SCALE_MAX_THREADS	64
/* Look at the stop flag once per this many operations. */
#define SCALE_CHECK_EVERY	64U

struct scale_shared {
	const char *path;
	int what;
	const uint64_t *keys;
	size_t nkeys;
	uint32_t vsize;
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
	case SCALE_NOOP:
		return kds_noop(dev);
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
	size_t i = (size_t)t->cpu * 7919U;
	char *buf;
	int err = 0;

	pin_to(t->cpu);
	buf = malloc(sh->vsize ? sh->vsize : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out_ready;
	}
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
				i = i + 1 < sh->nkeys ? i + 1 : 0;
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

static void sleep_secs(double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
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
		sleep_secs(secs);
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
		.nkeys	= what == SCALE_GET ? nkeys : 0,
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
