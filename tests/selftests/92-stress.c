// SPDX-License-Identifier: GPL-2.0
/*
 * kds: eight processes of mixed operations on all five backends at once.
 *
 * Each worker owns its keys (key k belongs to worker k mod 8, at both
 * ends of the key space and in the middle) on every backend, and mixes
 * puts (ioctl and text, plain and NOREPLACE), gets, deletes (ioctl and
 * text), batches, ranges, full dumps read in pieces of random size, and
 * stats.  Nobody else writes a worker's keys, so every result it sees on
 * them is checked on the spot: a get returns exactly the last value it
 * put, a dump or a range shows each of its present keys exactly once with
 * that value and none of its absent ones, whatever the seven others do
 * meanwhile.  Every operation goes to the worker's log.
 *
 * The run is cut in phases.  Between two phases the workers stop; the
 * coordinator replays every log from the start, compares the model with
 * each store's dump and counters, then clears some stores (ioctl or text)
 * and logs that.  Clears thus hit stores full of every worker's keys, and
 * the outcome stays deterministic.
 *
 * 60 s on the debug kernel (its lockdep, KASAN and RCU stall detector
 * watch), a few seconds on Debian's kernels; KDS_STRESS_SECONDS overrides.
 */
#include "kds_rel.h"

#include <stdarg.h>

#define WORKERS		8
#define SLOTS		64		/* keys per worker per backend */
#define NB		KDS_NR_BACKENDS
#define MAX_PHASES	64
#define MAX_VALUE	KDS_DEFAULT_VALUE_SIZE
#define LOG_FMT		"/tmp/kds-stress.%d.log"

enum op {
	OP_PUT, OP_PUT_TEXT, OP_PUT_NOREPLACE, OP_GET, OP_DEL, OP_DEL_TEXT,
	OP_BATCH, OP_RANGE, OP_DUMP, OP_STATS, NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"put", "text put", "put noreplace", "get", "del", "text del",
	"batch", "range", "dump", "stats",
};

/* One logged operation: 16 bytes.  Batch ops are logged one by one. */
struct rec {
	__u8 backend;
	__u8 op;
	__u16 slot;
	__s32 result;		/* 0 or -errno */
	__u32 len;		/* value length (puts) */
	__u32 seed;		/* value seed (puts) */
};

/* What the coordinator and the workers share (MAP_SHARED). */
struct shared {
	int phase;		/* the phase workers may run (-1: none yet) */
	int quit;		/* workers leave */
	int arrived;		/* workers done with their phase, in all */
	__u64 deadline_ns;	/* CLOCK_MONOTONIC end of the phase */
	unsigned int cleared[MAX_PHASES];	/* backends cleared after phase p */
	unsigned long long ops[WORKERS][NR_OPS];
	int failed;
	char error[1024];
};

/* A worker's own keys: what it last did to each. */
struct slot {
	bool present;
	__u32 len;
	__u32 seed;
};

/*
 * The middle and the top of each backend's key space: 1 << 40 and
 * KDS_U64_MAX; 1 << 31 and 4294967295 for xarray and maple on a 32-bit
 * kernel (kds_key_max()).  Set by key_space_init() before the workers
 * start.
 */
static __u64 key_mid[NB], key_top[NB];

static void key_space_init(void)
{
	size_t b;

	for (b = 0; b < NB; b++) {
		key_top[b] = kds_key_max(kds_backends[b]);
		key_mid[b] = key_top[b] == KDS_U64_MAX ? 1ULL << 40 : 1ULL << 31;
	}
}

static __u64 key_of(int b, int w, unsigned int slot)
{
	if (slot < 48)
		return (__u64)slot << 3 | (__u64)w;
	if (slot < 56)
		return key_mid[b] + ((__u64)(slot - 48) << 3 | (__u64)w);
	return key_top[b] - ((__u64)(slot - 56) << 3 | (__u64)w);
}

/* Worker and slot of @key on backend @b; false for a key no worker owns. */
static bool owner_of(int b, __u64 key, int *w, unsigned int *slot)
{
	__u64 d;

	if (key < 48 * 8) {
		*w = (int)(key & 7);
		*slot = (unsigned int)(key >> 3);
		return true;
	}
	if (key >= key_mid[b] && key < key_mid[b] + 64) {
		d = key - key_mid[b];
		*w = (int)(d & 7);
		*slot = 48 + (unsigned int)(d >> 3);
		return true;
	}
	if (key >= key_top[b] - 63 && key <= key_top[b]) {
		d = key_top[b] - key;
		*w = (int)(d & 7);
		*slot = 56 + (unsigned int)(d >> 3);
		return true;
	}
	return false;
}

/* The value of (@seed, @len): printable, never '\n'. */
static void value_of(char *buf, __u32 seed, __u32 len)
{
	__u32 x = seed * 2654435761U + 1;
	__u32 i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245U + 12345U;
		buf[i] = (char)(33 + (x >> 16) % 94);
	}
}

static bool value_is(const char *got, __u32 got_len, __u32 seed, __u32 len)
{
	static char want[MAX_VALUE];

	if (got_len != len)
		return false;
	value_of(want, seed, len);
	return !memcmp(got, want, len);
}

/* ---- a worker ------------------------------------------------------------ */

struct worker {
	int w;
	__u64 rng;
	__u32 seq;
	int fd[NB];
	struct slot slots[NB][SLOTS];
	struct shared *sh;
	struct rec *log;
	size_t nlog, caplog;
	int logfd;
	char *buf;		/* dump and range buffer */
	size_t bufcap;
	char val[MAX_VALUE + 64];
	char line[MAX_VALUE + 128];
};

static void worker_fail(struct worker *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void worker_fail(struct worker *k, const char *fmt, ...)
{
	va_list ap;

	if (!__atomic_exchange_n(&k->sh->failed, 1, __ATOMIC_SEQ_CST)) {
		int n = snprintf(k->sh->error, sizeof(k->sh->error), "worker %d: ", k->w);

		va_start(ap, fmt);
		vsnprintf(k->sh->error + n, sizeof(k->sh->error) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	_exit(1);
}

static void logrec(struct worker *k, int b, enum op op, unsigned int slot,
		   int result, __u32 len, __u32 seed)
{
	if (k->nlog == k->caplog) {
		k->caplog = k->caplog ? 2 * k->caplog : 65536;
		k->log = realloc(k->log, k->caplog * sizeof(*k->log));
		if (!k->log)
			worker_fail(k, "out of memory for the log");
	}
	k->log[k->nlog++] = (struct rec){
		.backend = (__u8)b, .op = (__u8)op, .slot = (__u16)slot,
		.result = result, .len = len, .seed = seed,
	};
}

static void log_flush(struct worker *k)
{
	size_t len = k->nlog * sizeof(*k->log);

	if (len && write(k->logfd, k->log, len) != (ssize_t)len)
		worker_fail(k, "log write: %s", strerror(errno));
	k->nlog = 0;
}

/* A new value for a put: mostly short, sometimes long, sometimes empty. */
static __u32 new_len(struct worker *k, bool text)
{
	__u64 r = kds_rand_below(&k->rng, 100);

	if (r < 3)
		return 0;
	if (r < 75)
		return 1 + (__u32)kds_rand_below(&k->rng, 32);
	if (r < 96 || text)
		return 33 + (__u32)kds_rand_below(&k->rng, 268);
	return 301 + (__u32)kds_rand_below(&k->rng, MAX_VALUE - 300);
}

static void do_put(struct worker *k, int b, unsigned int s, enum op op)
{
	struct slot *sl = &k->slots[b][s];
	__u32 len = new_len(k, op == OP_PUT_TEXT);
	__u32 seed = ++k->seq * WORKERS + (__u32)k->w;
	__u64 key = key_of(b, k->w, s);
	int ret, want = 0;

	value_of(k->val, seed, len);
	if (op == OP_PUT_TEXT) {
		int n = snprintf(k->line, sizeof(k->line), "put %llu %.*s\n",
				 (unsigned long long)key, (int)len, k->val);
		ssize_t wr = kds_write(k->fd[b], k->line, (size_t)n);

		ret = wr == n ? 0 : wr < 0 ? (int)wr : -EIO;
	} else if (op == OP_PUT_NOREPLACE) {
		ret = kds_put_flags(k->fd[b], key, k->val, len, KDS_PUT_NOREPLACE);
		want = sl->present ? -EEXIST : 0;
	} else {
		ret = kds_put(k->fd[b], key, k->val, len);
	}
	logrec(k, b, op, s, ret, len, seed);
	if (ret != want)
		worker_fail(k, "%s: %s of key %llu returned %d, not %d",
			    kds_backends[b], op_names[op], (unsigned long long)key, ret, want);
	if (!ret)
		*sl = (struct slot){ .present = true, .len = len, .seed = seed };
}

static void do_get(struct worker *k, int b, unsigned int s)
{
	struct slot *sl = &k->slots[b][s];
	__u64 key = key_of(b, k->w, s);
	__u32 len = 0;
	int ret;

	ret = kds_get(k->fd[b], key, k->val, sizeof(k->val), &len);
	logrec(k, b, OP_GET, s, ret, len, 0);
	if (sl->present ? ret || !value_is(k->val, len, sl->seed, sl->len) : ret != -ENOENT)
		worker_fail(k, "%s: get of key %llu: %d, len %u; it holds %s (len %u)",
			    kds_backends[b], (unsigned long long)key, ret, len,
			    sl->present ? "a value" : "nothing", sl->len);
}

static void do_del(struct worker *k, int b, unsigned int s, enum op op)
{
	struct slot *sl = &k->slots[b][s];
	__u64 key = key_of(b, k->w, s);
	int ret;

	if (op == OP_DEL_TEXT) {
		int n = snprintf(k->line, sizeof(k->line), "del %#llx\n",
				 (unsigned long long)key);
		ssize_t wr = kds_write(k->fd[b], k->line, (size_t)n);

		ret = wr == n ? 0 : wr < 0 ? (int)wr : -EIO;
	} else {
		ret = kds_del(k->fd[b], key);
	}
	logrec(k, b, op, s, ret, 0, 0);
	if (ret != (sl->present ? 0 : -ENOENT))
		worker_fail(k, "%s: del of key %llu returned %d with the key %s",
			    kds_backends[b], (unsigned long long)key, ret,
			    sl->present ? "present" : "absent");
	sl->present = false;
}

static void do_batch(struct worker *k, int b)
{
	struct kds_batch_op ops[16];
	static char vals[16][MAX_VALUE];
	static char gets[16][MAX_VALUE];
	__u32 seeds[16], count = 1 + (__u32)kds_rand_below(&k->rng, 16), i;
	unsigned int slots[16];
	struct kds_batch bt = {
		.size = sizeof(bt), .ops = kds_ptr(ops), .count = count,
		.op_size = sizeof(ops[0]),
		.flags = kds_rand_below(&k->rng, 4) ? 0 : KDS_BATCH_STOP_ON_ERROR,
	};
	int ret;

	memset(ops, 0, sizeof(ops));
	for (i = 0; i < count; i++) {
		unsigned int s = (unsigned int)kds_rand_below(&k->rng, SLOTS);
		__u64 r = kds_rand_below(&k->rng, 3);

		slots[i] = s;
		ops[i].key = key_of(b, k->w, s);
		if (r == 0) {
			__u32 len = new_len(k, false);

			seeds[i] = ++k->seq * WORKERS + (__u32)k->w;
			value_of(vals[i], seeds[i], len);
			ops[i].op = KDS_OP_PUT;
			ops[i].value = kds_ptr(vals[i]);
			ops[i].value_len = len;
		} else if (r == 1) {
			ops[i].op = KDS_OP_GET;
			ops[i].value = kds_ptr(gets[i]);
			ops[i].value_len = MAX_VALUE;
		} else {
			ops[i].op = KDS_OP_DEL;
		}
	}
	ret = kds_ioctl(k->fd[b], KDS_IOC_BATCH, &bt);
	if (ret)
		worker_fail(k, "%s: batch of %u returned %d", kds_backends[b], count, ret);
	for (i = 0; i < bt.done; i++) {
		struct slot *sl = &k->slots[b][slots[i]];
		int want;

		switch (ops[i].op) {
		case KDS_OP_PUT:
			logrec(k, b, OP_PUT, slots[i], ops[i].result, ops[i].value_len, seeds[i]);
			if (ops[i].result)
				worker_fail(k, "%s: batch put %u: %d", kds_backends[b], i, ops[i].result);
			*sl = (struct slot){ .present = true, .len = ops[i].value_len,
					     .seed = seeds[i] };
			break;
		case KDS_OP_GET:
			logrec(k, b, OP_GET, slots[i], ops[i].result, ops[i].value_len, 0);
			want = sl->present ? 0 : -ENOENT;
			if (ops[i].result != want ||
			    (!want && !value_is(gets[i], ops[i].value_len, sl->seed, sl->len)))
				worker_fail(k, "%s: batch get %u of key %llu: %d",
					    kds_backends[b], i,
					    (unsigned long long)ops[i].key, ops[i].result);
			break;
		default:
			logrec(k, b, OP_DEL, slots[i], ops[i].result, 0, 0);
			if (ops[i].result != (sl->present ? 0 : -ENOENT))
				worker_fail(k, "%s: batch del %u of key %llu: %d",
					    kds_backends[b], i,
					    (unsigned long long)ops[i].key, ops[i].result);
			sl->present = false;
			break;
		}
		if (ops[i].result && (bt.flags & KDS_BATCH_STOP_ON_ERROR) &&
		    i + 1 != bt.done)
			worker_fail(k, "%s: batch went on after op %u failed", kds_backends[b], i);
	}
	if (bt.done != count &&
	    !((bt.flags & KDS_BATCH_STOP_ON_ERROR) && bt.done && ops[bt.done - 1].result))
		worker_fail(k, "%s: batch of %u did %u", kds_backends[b], count, bt.done);
	k->sh->ops[k->w][OP_BATCH]++;
}

/*
 * Check what a dump or range showed of this worker's keys with @lo <= key
 * <= @hi: each present one exactly once with its value, no absent one.
 */
static void check_view(struct worker *k, int b, const char *what,
		       const __u64 *keys, const char *const *vals,
		       const __u32 *lens, size_t n, __u64 lo, __u64 hi)
{
	unsigned char seen[SLOTS] = {};
	unsigned int s;
	size_t i;
	int w;

	for (i = 0; i < n; i++) {
		if (!owner_of(b, keys[i], &w, &s))
			worker_fail(k, "%s: %s shows key %llu, which nobody puts",
				    kds_backends[b], what, (unsigned long long)keys[i]);
		if (w != k->w)
			continue;
		if (!k->slots[b][s].present)
			worker_fail(k, "%s: %s shows my deleted key %llu",
				    kds_backends[b], what, (unsigned long long)keys[i]);
		if (seen[s]++)
			worker_fail(k, "%s: %s shows my key %llu twice",
				    kds_backends[b], what, (unsigned long long)keys[i]);
		if (!value_is(vals[i], lens[i], k->slots[b][s].seed, k->slots[b][s].len))
			worker_fail(k, "%s: %s shows a wrong value of my key %llu",
				    kds_backends[b], what, (unsigned long long)keys[i]);
	}
	for (s = 0; s < SLOTS; s++) {
		__u64 key = key_of(b, k->w, s);

		if (k->slots[b][s].present && key >= lo && key <= hi && !seen[s])
			worker_fail(k, "%s: %s misses my key %llu",
				    kds_backends[b], what, (unsigned long long)key);
	}
}

static void do_dump(struct worker *k, int b)
{
	static struct kds_line lines[WORKERS * SLOTS * 2 + 16];
	static __u64 keys[WORKERS * SLOTS * 2 + 16];
	static const char *vals[WORKERS * SLOTS * 2 + 16];
	static __u32 lens[WORKERS * SLOTS * 2 + 16];
	size_t chunk = 1 + (size_t)kds_rand_below(&k->rng, 4096);
	ssize_t len;
	long n, i;

	len = kds_dump_chunked(k->fd[b], k->buf, k->bufcap, chunk);
	logrec(k, b, OP_DUMP, 0, len < 0 ? (int)len : 0, 0, 0);
	if (len < 0)
		worker_fail(k, "%s: dump: %s", kds_backends[b], strerror((int)-len));
	n = kds_parse_dump(k->buf, (size_t)len, lines, sizeof(lines) / sizeof(lines[0]), NULL);
	if (n < 0)
		worker_fail(k, "%s: the dump (read %zu bytes at a time) does not parse",
			    kds_backends[b], chunk);
	for (i = 0; i < n; i++) {
		keys[i] = lines[i].key;
		vals[i] = lines[i].val;
		lens[i] = (__u32)lines[i].len;
		if (kds_backend_ordered(kds_backends[b]) && i && keys[i - 1] >= keys[i])
			worker_fail(k, "%s: dump key %llu after %llu", kds_backends[b],
				    (unsigned long long)keys[i], (unsigned long long)keys[i - 1]);
	}
	check_view(k, b, "the dump", keys, vals, lens, (size_t)n, 0, KDS_U64_MAX);
	k->sh->ops[k->w][OP_DUMP]++;
}

static void do_range(struct worker *k, int b)
{
	static __u64 keys[WORKERS * SLOTS * 2 + 16];
	static const char *vals[WORKERS * SLOTS * 2 + 16];
	static __u32 lens[WORKERS * SLOTS * 2 + 16];
	__u64 lo = kds_rand_below(&k->rng, 2) ? 0 : key_of(b, (int)kds_rand_below(&k->rng, WORKERS),
							      (unsigned int)kds_rand_below(&k->rng, SLOTS));
	__u64 hi = kds_rand_below(&k->rng, 2) ? KDS_U64_MAX : key_of(b, (int)kds_rand_below(&k->rng, WORKERS),
								    (unsigned int)kds_rand_below(&k->rng, SLOTS));
	__u64 at = lo, last = 0;
	size_t n = 0, used = 0;
	bool any = false;

	if (lo > hi) {
		__u64 t = lo;

		lo = hi;
		hi = t;
		at = lo;
	}
	for (;;) {
		/* a small buffer, so that long ranges resume */
		__u32 cap = 8192;
		struct kds_range r = {
			.size = sizeof(r), .lo = at, .hi = hi,
			.buf = kds_ptr(k->buf + used), .buf_len = cap,
		};
		size_t off = 0;
		__u32 i;
		int ret;

		if (used + cap > k->bufcap)
			worker_fail(k, "%s: range bigger than its buffer", kds_backends[b]);
		ret = kds_ioctl(k->fd[b], KDS_IOC_RANGE, &r);
		if (ret)
			worker_fail(k, "%s: range %llu..%llu: %d", kds_backends[b],
				    (unsigned long long)at, (unsigned long long)hi, ret);
		for (i = 0; i < r.count; i++) {
			const struct kds_rec *rec = (const void *)(k->buf + used + off);

			if (rec->key < lo || rec->key > hi || (any && rec->key <= last))
				worker_fail(k, "%s: range %llu..%llu gave key %llu after %llu",
					    kds_backends[b], (unsigned long long)lo,
					    (unsigned long long)hi, (unsigned long long)rec->key,
					    (unsigned long long)last);
			keys[n] = rec->key;
			vals[n] = (const char *)(rec + 1);
			lens[n] = rec->value_len;
			n++;
			last = rec->key;
			any = true;
			off += KDS_REC_SIZE(rec->value_len);
		}
		used += off;
		if (!(r.out_flags & KDS_RANGE_MORE))
			break;
		at = r.next;
	}
	logrec(k, b, OP_RANGE, 0, 0, (__u32)n, 0);
	check_view(k, b, "a range", keys, vals, lens, n, lo, hi);
	k->sh->ops[k->w][OP_RANGE]++;
}

/* The mix of operations: each is drawn with r < below, r in [0, 100). */
static const struct {
	unsigned int below;
	enum op op;
} op_mix[] = {
	{ 22, OP_PUT }, { 30, OP_PUT_TEXT }, { 34, OP_PUT_NOREPLACE },
	{ 54, OP_GET }, { 64, OP_DEL }, { 67, OP_DEL_TEXT }, { 80, OP_BATCH },
	{ 93, OP_RANGE }, { 100, OP_STATS },
};

static void do_one(struct worker *k)
{
	int b = (int)kds_rand_below(&k->rng, NB);
	unsigned int s = (unsigned int)kds_rand_below(&k->rng, SLOTS);
	__u64 r = kds_rand_below(&k->rng, 100);
	struct kds_stats st;
	unsigned int i;
	enum op op;

	for (i = 0; r >= op_mix[i].below; i++)
		;
	op = op_mix[i].op;
	/* a third of the walks are dumps on the ordered backends too */
	if (op == OP_RANGE && (!kds_backend_ordered(kds_backends[b]) || r >= 89))
		op = OP_DUMP;

	switch (op) {
	case OP_PUT: case OP_PUT_TEXT: case OP_PUT_NOREPLACE:
		do_put(k, b, s, op);
		break;
	case OP_GET:
		do_get(k, b, s);
		break;
	case OP_DEL: case OP_DEL_TEXT:
		do_del(k, b, s, op);
		break;
	case OP_BATCH:
		do_batch(k, b);
		return;
	case OP_RANGE:
		do_range(k, b);
		return;
	case OP_DUMP:
		do_dump(k, b);
		return;
	default:
		/* the shape, which walks a hash table, every other time */
		if (kds_stats_flags(k->fd[b], &st, r % 2 ? KDS_STATS_SHAPE : 0))
			worker_fail(k, "%s: stats: %s", kds_backends[b], strerror(errno));
		break;
	}
	k->sh->ops[k->w][op]++;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void worker_main(struct shared *sh, int w)
{
	struct worker *k = calloc(1, sizeof(*k));
	char path[64];
	int p, b;

	if (!k)
		_exit(1);
	k->w = w;
	k->sh = sh;
	k->rng = kds_env_ull("KDS_STRESS_SEED", 20251123) * 131 + (__u64)w;
	k->bufcap = 4 << 20;
	k->buf = malloc(k->bufcap);
	snprintf(path, sizeof(path), LOG_FMT, w);
	/* O_APPEND: the coordinator appends the phase marks */
	k->logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (!k->buf || k->logfd < 0)
		worker_fail(k, "setup: %s", strerror(errno));
	for (b = 0; b < (int)NB; b++) {
		k->fd[b] = kds_open(kds_backends[b]);
		if (k->fd[b] < 0)
			worker_fail(k, "open %s: %s", kds_backends[b], strerror(-k->fd[b]));
	}
	for (p = 0;; p++) {
		while (__atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE) < p &&
		       !__atomic_load_n(&sh->quit, __ATOMIC_ACQUIRE))
			usleep(1000);
		if (__atomic_load_n(&sh->quit, __ATOMIC_ACQUIRE))
			_exit(0);
		if (p) {
			unsigned int mask = sh->cleared[p - 1], s;

			for (b = 0; b < (int)NB; b++)
				for (s = 0; s < SLOTS && (mask & (1U << b)); s++)
					k->slots[b][s].present = false;
		}
		while (now_ns() < __atomic_load_n(&sh->deadline_ns, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&sh->failed, __ATOMIC_RELAXED))
			do_one(k);
		log_flush(k);
		__atomic_add_fetch(&sh->arrived, 1, __ATOMIC_RELEASE);
	}
}

/* ---- the coordinator ---------------------------------------------------- */

/*
 * Replay every worker's log and the clears after phases 0..@last into the
 * model; false with a message when a log says something impossible.
 */
static bool replay(struct slot model[WORKERS][NB][SLOTS], const struct shared *sh,
		   int last, unsigned long long *records, char *why, size_t cap)
{
	static struct rec recs[4096];
	int w, p, b;

	memset(model, 0, sizeof(struct slot) * WORKERS * NB * SLOTS);
	*records = 0;
	/*
	 * A worker's ops in a phase touch only its keys, and clears sit
	 * between phases: replaying each log whole, then the clears, is
	 * only right for one phase at a time.  So the logs are read phase
	 * by phase: each phase's records of a worker end where it flushed.
	 */
	for (w = 0; w < WORKERS; w++) {
		char path[64];
		FILE *fp;
		size_t n, i;

		snprintf(path, sizeof(path), LOG_FMT, w);
		fp = fopen(path, "r");
		if (!fp) {
			snprintf(why, cap, "%s: %s", path, strerror(errno));
			return false;
		}
		p = 0;
		while ((n = fread(recs, sizeof(recs[0]), sizeof(recs) / sizeof(recs[0]), fp))) {
			for (i = 0; i < n; i++) {
				const struct rec *r = &recs[i];
				struct slot *sl;

				if (r->op == NR_OPS) {	/* end of a phase */
					if (p < last && sh->cleared[p])
						for (b = 0; b < (int)NB; b++)
							if (sh->cleared[p] & (1U << b))
								memset(model[w][b], 0, sizeof(model[w][b]));
					p++;
					continue;
				}
				(*records)++;
				if (r->backend >= NB || r->slot >= SLOTS) {
					snprintf(why, cap, "worker %d: bad log record", w);
					fclose(fp);
					return false;
				}
				sl = &model[w][r->backend][r->slot];
				if (r->result)
					continue;
				switch (r->op) {
				case OP_PUT: case OP_PUT_TEXT: case OP_PUT_NOREPLACE:
					*sl = (struct slot){ .present = true, .len = r->len,
							     .seed = r->seed };
					break;
				case OP_DEL: case OP_DEL_TEXT:
					sl->present = false;
					break;
				}
			}
		}
		fclose(fp);
		if (p != last + 1) {
			snprintf(why, cap, "worker %d logged %d phases, not %d", w, p, last + 1);
			return false;
		}
	}
	return true;
}

/*
 * What one entry of a @len-byte value adds to the bytes of list, hash and
 * rbtree, whose entries hold all their memory (no shared nodes): the
 * same whatever else the store holds.  Measured once per length, with
 * the workers stopped, by a put and a delete of a key no worker owns;
 * -1 when it cannot be measured.
 */
#define PROBE_KEY(b)	(key_top[b] == KDS_U64_MAX ? 1ULL << 50 : 1ULL << 30)

static long long entry_cost(size_t b, __u32 len)
{
	static long long cost[NB][MAX_VALUE + 1];
	static char val[MAX_VALUE];
	long long before, after, undone;
	int fd;

	if (len > MAX_VALUE)
		return -1;
	if (cost[b][len])
		return cost[b][len];
	fd = kds_open(kds_backends[b]);
	if (fd < 0)
		return -1;
	value_of(val, len, len);
	before = kds_nr_bytes(fd);
	after = kds_put(fd, PROBE_KEY(b), val, len) ? -1 : kds_nr_bytes(fd);
	undone = kds_del(fd, PROBE_KEY(b)) ? -1 : kds_nr_bytes(fd);
	close(fd);
	if (before < 0 || after < 0 || undone != before)
		return -1;
	cost[b][len] = after - before;
	return cost[b][len];
}

static bool bytes_exact(size_t b)
{
	return strcmp(kds_backends[b], "xarray") && strcmp(kds_backends[b], "maple");
}

/*
 * Does each store hold exactly what the model says?  Its bytes too: on
 * list, hash and rbtree exactly the sum of what each entry costs alone
 * (entry_cost()); on xarray and maple, whose nodes are shared, within
 * the bounds of kds_snap_check().
 */
static bool compare(struct slot model[WORKERS][NB][SLOTS], struct kds_snap *sn,
		    char *why, size_t cap)
{
	size_t b;

	for (b = 0; b < NB; b++) {
		unsigned long long want = 0, bytes = 0;
		const char *bad;
		unsigned int s;
		long i;
		int w;

		kds_snap_free(sn);
		if (kds_snap_take(kds_backends[b], sn)) {
			snprintf(why, cap, "%s: no dump", kds_backends[b]);
			return false;
		}
		bad = kds_snap_check(sn, kds_backends[b]);
		if (bad) {
			snprintf(why, cap, "%s: %s", kds_backends[b], bad);
			return false;
		}
		for (w = 0; w < WORKERS; w++)
			for (s = 0; s < SLOTS; s++)
				if (model[w][b][s].present) {
					long long c = entry_cost(b, model[w][b][s].len);

					if (c < 0) {
						snprintf(why, cap, "%s: a put and del of %u bytes do not undo each other",
							 kds_backends[b], model[w][b][s].len);
						return false;
					}
					want++;
					bytes += (unsigned long long)c;
				}
		if (sn->st.entries != want ||
		    (bytes_exact(b) && sn->st.bytes != bytes)) {
			snprintf(why, cap, "%s: %llu entries, %llu bytes; the logs say %llu entries, which cost %llu bytes one by one",
				 kds_backends[b], (unsigned long long)sn->st.entries,
				 (unsigned long long)sn->st.bytes, want, bytes);
			return false;
		}
		for (i = 0; i < sn->n; i++) {
			const struct kds_line *l = &sn->lines[i];
			const struct slot *m;

			if (!owner_of((int)b, l->key, &w, &s)) {
				snprintf(why, cap, "%s: unknown key %llu", kds_backends[b],
					 (unsigned long long)l->key);
				return false;
			}
			m = &model[w][b][s];
			if (!m->present || !value_is(l->val, (__u32)l->len, m->seed, m->len)) {
				snprintf(why, cap, "%s: key %llu is not what the logs say",
					 kds_backends[b], (unsigned long long)l->key);
				return false;
			}
		}
	}
	return true;
}

/* Append a phase mark to every log (the workers have flushed). */
static void mark_phase_end(void)
{
	struct rec mark = { .op = NR_OPS };
	char path[64];
	int w, fd;

	for (w = 0; w < WORKERS; w++) {
		snprintf(path, sizeof(path), LOG_FMT, w);
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, &mark, sizeof(mark)) != sizeof(mark))
				perror(path);
			close(fd);
		}
	}
}

FIXTURE(stress) {
	struct shared *sh;
	pid_t pid[WORKERS];
	struct kds_snap sn;
	struct slot (*model)[NB][SLOTS];
};

FIXTURE_SETUP(stress)
{
	size_t b;
	int fd;

	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
	self->sh->phase = -1;
	key_space_init();
	self->model = calloc(WORKERS, sizeof(*self->model));
	ASSERT_NE(NULL, self->model);
	memset(self->pid, 0, sizeof(self->pid));
	for (b = 0; b < NB; b++) {
		fd = kds_open(kds_backends[b]);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, kds_clear(fd));
		close(fd);
	}
}

FIXTURE_TEARDOWN(stress)
{
	char path[64];
	size_t b;
	int w, fd;

	__atomic_store_n(&self->sh->quit, 1, __ATOMIC_RELEASE);
	for (w = 0; w < WORKERS; w++) {
		if (self->pid[w] > 0) {
			kill(self->pid[w], SIGKILL);
			waitpid(self->pid[w], NULL, 0);
		}
		snprintf(path, sizeof(path), LOG_FMT, w);
		unlink(path);
	}
	for (b = 0; b < NB; b++) {
		fd = kds_open(kds_backends[b]);
		if (fd >= 0) {
			kds_clear(fd);
			close(fd);
		}
	}
	kds_snap_free(&self->sn);
	free(self->model);
}

TEST_F_TIMEOUT(stress, eight_processes_on_every_backend_leave_what_their_logs_replay, 900)
{
	unsigned long long seconds, records = 0, total = 0, per_op[NR_OPS] = {};
	struct shared *sh = self->sh;
	int phases, p, w, o, fds[NB];
	double phase_s, t0, ran = 0;
	__u64 rng = 77;
	char why[512];
	size_t b;

	seconds = kds_env_ull("KDS_STRESS_SECONDS", kds_debug_kernel() ? 60 : 4);
	phases = seconds >= 30 ? 6 : 4;
	phase_s = (double)seconds / phases;
	for (b = 0; b < NB; b++) {
		fds[b] = kds_open(kds_backends[b]);
		ASSERT_LE(0, fds[b]);
	}
	for (w = 0; w < WORKERS; w++) {
		self->pid[w] = fork();
		ASSERT_LE(0, self->pid[w]);
		if (!self->pid[w])
			worker_main(sh, w);
	}

	for (p = 0; p < phases; p++) {
		double deadline;

		t0 = kds_now();
		__atomic_store_n(&sh->deadline_ns,
				 now_ns() + (__u64)(phase_s * 1e9), __ATOMIC_RELEASE);
		__atomic_store_n(&sh->phase, p, __ATOMIC_RELEASE);
		deadline = t0 + phase_s + 120;
		while (__atomic_load_n(&sh->arrived, __ATOMIC_ACQUIRE) < WORKERS * (p + 1)) {
			ASSERT_FALSE(sh->failed) TH_LOG("%s", sh->error);
			ASSERT_GT(deadline, kds_now()) TH_LOG("phase %d: workers did not stop", p);
			usleep(10000);
		}
		ran += kds_now() - t0;
		ASSERT_FALSE(sh->failed) TH_LOG("%s", sh->error);

		mark_phase_end();
		ASSERT_TRUE(replay(self->model, sh, p, &records, why, sizeof(why))) TH_LOG("%s", why);
		ASSERT_TRUE(compare(self->model, &self->sn, why, sizeof(why)))
			TH_LOG("after phase %d: %s", p, why);

		/* clear some stores before the next phase; all after the last */
		sh->cleared[p] = p + 1 == phases ? 0 : (unsigned int)kds_rand_below(&rng, 1U << NB);
		for (b = 0; b < NB; b++) {
			if (!(sh->cleared[p] & (1U << b)))
				continue;
			if (kds_rand_below(&rng, 2)) {
				ASSERT_EQ(0, kds_clear(fds[b]));
			} else {
				ASSERT_EQ(6, kds_text(fds[b], "clear\n"));
			}
			ASSERT_EQ(0, kds_nr_entries(fds[b]));
			ASSERT_EQ(0, kds_nr_bytes(fds[b]));
		}
	}
	__atomic_store_n(&sh->quit, 1, __ATOMIC_RELEASE);
	for (w = 0; w < WORKERS; w++) {
		int status;

		ASSERT_EQ(self->pid[w], waitpid(self->pid[w], &status, 0));
		self->pid[w] = 0;
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("%s", sh->error);
	}
	/* emptied, every store gives back every byte it counted */
	for (b = 0; b < NB; b++) {
		ASSERT_EQ(0, kds_clear(fds[b]));
		ASSERT_EQ(0, kds_nr_entries(fds[b]));
		ASSERT_EQ(0, kds_nr_bytes(fds[b])) TH_LOG("%s", kds_backends[b]);
		close(fds[b]);
	}

	for (w = 0; w < WORKERS; w++)
		for (o = 0; o < NR_OPS; o++) {
			per_op[o] += sh->ops[w][o];
			total += sh->ops[w][o];
		}
	printf("# %d workers, %d phases, %.1f s of operations, %llu operations, %llu log records replayed\n",
	       WORKERS, phases, ran, total, records);
	for (o = 0; o < NR_OPS; o++)
		printf("#   %-14s %llu\n", op_names[o], per_op[o]);
}

TEST_HARNESS_MAIN
