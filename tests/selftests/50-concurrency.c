// SPDX-License-Identifier: GPL-2.0
/*
 * kds: several processes on one device at once.  Workers are forked
 * children that report through their exit code (no harness asserts in a
 * child); the test then checks the store against what they did.
 */
#include "kds_rel.h"

#include <sys/prctl.h>

#define DUMP_CAP	(256 * 1024)
#define MAX_LINES	4096

FIXTURE(conc) {
	int fd;
	char *dump;
	struct kds_line *lines;
	volatile int *stop;	/* shared with the workers */
	pid_t pids[8];
	int npids;
};

FIXTURE_VARIANT(conc) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(conc);

FIXTURE_SETUP(conc)
{
	KDS_SETUP_OPEN();
	self->dump = malloc(DUMP_CAP);
	self->lines = calloc(MAX_LINES, sizeof(*self->lines));
	ASSERT_NE(NULL, self->dump);
	ASSERT_NE(NULL, self->lines);
	self->stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->stop);
	*self->stop = 0;
}

FIXTURE_TEARDOWN(conc)
{
	int i;

	/* Never leave a worker behind holding the device. */
	if (self->stop != MAP_FAILED && self->stop)
		*self->stop = 1;
	for (i = 0; i < self->npids; i++) {
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	}
	KDS_TEARDOWN_CLOSE();
	free(self->dump);
	free(self->lines);
}

typedef int (*worker_fn)(int fd, int id, volatile int *stop);

/*
 * Fork a worker: it opens its own fd, waits until the parent closes the
 * write end of the pipe @gate (so all start together), runs @fn and exits
 * with its result.
 */
static pid_t spawn(FIXTURE_DATA(conc) *self, const char *backend,
		   worker_fn fn, int id, const int gate[2])
{
	pid_t parent = getpid(), pid;
	char c;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0) {
		if (pid > 0)
			self->pids[self->npids++] = pid;
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(100);
	close(gate[1]);
	{
		int fd = kds_open(backend);

		if (fd < 0)
			_exit(101);
		if (read(gate[0], &c, 1) < 0)
			_exit(102);
		_exit(fn(fd, id, self->stop));
	}
}

/* Wait for worker @i; its exit code (or 128 + signal). */
static int reap(FIXTURE_DATA(conc) *self, int i)
{
	int status;

	if (waitpid(self->pids[i], &status, 0) < 0)
		return -1;
	self->pids[i] = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Dump the store in reads of @chunk bytes and parse it. */
static long dump_lines(FIXTURE_DATA(conc) *self, size_t chunk, size_t *bad)
{
	ssize_t len = kds_dump_chunked(self->fd, self->dump, DUMP_CAP, chunk);

	*bad = 0;
	if (len < 0)
		return -2;
	return kds_parse_dump(self->dump, (size_t)len, self->lines, MAX_LINES, bad);
}

static ssize_t text_put(int fd, __u64 key, const char *val)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "put %" PRIu64 " %s\n", (uint64_t)key, val);

	return kds_write(fd, line, (size_t)n) == n ? 0 : -1;
}

static ssize_t text_del(int fd, __u64 key)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "del %" PRIu64 "\n", (uint64_t)key);

	return kds_write(fd, line, (size_t)n) == n ? 0 : -1;
}

/* ---- four processes, own keys and shared keys ------------------------ */

#define NPROC		4
#define NKEYS		128
#define ROUNDS		4
#define NSHARED		8
#define SHARED_BASE	900000000ULL

static __u64 own_key(int p, int i)
{
	return (__u64)(p + 1) * 1000000 + (__u64)i;
}

static void own_val(char *b, size_t cap, int p, int i, int r)
{
	snprintf(b, cap, "p%d-k%d-r%d", p, i, r);
}

/* Is @v (@len bytes) a value some worker wrote to shared key @s? */
static bool shared_ok(const char *v, size_t len, int s)
{
	char buf[64];
	int p, r, i, n = 0;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (sscanf(buf, "shared-%d-%d-%d%n", &p, &r, &i, &n) != 3 ||
	    (size_t)n != len)
		return false;
	return p >= 0 && p < NPROC && r >= 0 && r < ROUNDS &&
	       i >= 0 && i < NKEYS && i % NSHARED == s;
}

static int mixed_worker(int fd, int p, volatile int *stop)
{
	char v[64], sv[64], buf[64];
	struct kds_batch_op ops[8];
	struct kds_batch b;
	int r, i;
	__u32 len;

	(void)stop;
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NKEYS; i++) {
			__u64 key = own_key(p, i);
			int s = i % NSHARED;

			own_val(v, sizeof(v), p, i, r);
			if ((i + r) % 2 ? kds_put_str(fd, key, v) : text_put(fd, key, v))
				return 2;
			if (kds_holds(fd, key, v))
				return 3;
			snprintf(sv, sizeof(sv), "shared-%d-%d-%d", p, r, i);
			if (kds_put_str(fd, SHARED_BASE + (__u64)s, sv))
				return 4;
			if (kds_get(fd, SHARED_BASE + (__u64)s, buf, sizeof(buf), &len) ||
			    !shared_ok(buf, len, s))
				return 5;
		}
		for (i = 3; i < NKEYS; i += 4) {
			if (i % 8 == 3 ? kds_del(fd, own_key(p, i)) :
					 text_del(fd, own_key(p, i)))
				return 6;
		}
		/* A batch of gets of the first eight keys. */
		memset(ops, 0, sizeof(ops));
		for (i = 0; i < 8; i++) {
			ops[i].op = KDS_OP_GET;
			ops[i].key = own_key(p, i);
			ops[i].value = kds_ptr(buf);
			ops[i].value_len = sizeof(buf);
		}
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.ops = kds_ptr(ops);
		b.count = 8;
		b.op_size = sizeof(ops[0]);
		if (ioctl(fd, KDS_IOC_BATCH, &b) || b.done != 8)
			return 7;
		for (i = 0; i < 8; i++)
			if (ops[i].result != (i % 4 == 3 ? -ENOENT : 0))
				return 8;
	}
	return 0;
}

TEST_F_TIMEOUT(conc, four_processes_with_mixed_ops_leave_what_they_did, 120)
{
	int gate[2], i, p, s;
	char v[64], buf[64];
	size_t bad;
	long n, at;
	__u32 len;

	ASSERT_EQ(0, pipe(gate));
	for (p = 0; p < NPROC; p++) {
		ASSERT_LT(0, spawn(self, variant->backend, mixed_worker, p, gate));
	}
	close(gate[1]);		/* go */
	for (p = 0; p < NPROC; p++) {
		ASSERT_EQ(0, reap(self, p)) TH_LOG("worker %d", p);
	}

	for (p = 0; p < NPROC; p++) {
		for (i = 0; i < NKEYS; i++) {
			own_val(v, sizeof(v), p, i, ROUNDS - 1);
			ASSERT_EQ(i % 4 == 3 ? -ENOENT : 0,
				  kds_holds(self->fd, own_key(p, i), v))
				TH_LOG("worker %d key %d", p, i);
		}
	}
	for (s = 0; s < NSHARED; s++) {
		ASSERT_EQ(0, kds_get(self->fd, SHARED_BASE + (__u64)s, buf,
				     sizeof(buf), &len));
		ASSERT_TRUE(shared_ok(buf, len, s)) TH_LOG("shared %d: %.*s", s, (int)len, buf);
	}
	ASSERT_EQ(NPROC * (NKEYS - NKEYS / 4) + NSHARED, kds_nr_entries(self->fd));

	n = dump_lines(self, 4096, &bad);
	ASSERT_EQ(NPROC * (NKEYS - NKEYS / 4) + NSHARED, n) TH_LOG("bad at %zu", bad);
	for (p = 0; p < NPROC; p++) {
		for (i = 0; i < NKEYS; i += 4) {
			at = kds_find_line(self->lines, n, own_key(p, i));
			ASSERT_LE(0, at);
			own_val(v, sizeof(v), p, i, ROUNDS - 1);
			ASSERT_TRUE(kds_line_is(&self->lines[at], v));
		}
	}
	for (at = 1; at < n; at++) {
		if (variant->ordered) {
			ASSERT_LT(self->lines[at - 1].key, self->lines[at].key);
		}
	}
}

/* ---- a dump read in small pieces while others churn ------------------ */

#define NSTABLE		200
#define CHURN_WRITERS	2

/* Stable keys are even, churning keys odd, interleaved in key order. */
static __u64 stable_key(int k)
{
	return 2 * (__u64)k;
}

static void stable_val(char *b, size_t cap, __u64 key)
{
	snprintf(b, cap, "stable-%" PRIu64, (uint64_t)key);
}

static int churn_worker(int fd, int w, volatile int *stop)
{
	char v[64];
	unsigned int gen;
	int k, ret;

	for (gen = 0; !*stop; gen++) {
		for (k = w; k < NSTABLE && !*stop; k += CHURN_WRITERS) {
			__u64 key = stable_key(k) + 1;

			snprintf(v, sizeof(v), "churn-%" PRIu64 "-%u", (uint64_t)key, gen);
			if (k % 3 ? kds_put_str(fd, key, v) : text_put(fd, key, v))
				return 2;
		}
		for (k = w; k < NSTABLE && !*stop; k += CHURN_WRITERS) {
			__u64 key = stable_key(k) + 1;

			if (gen % 2 && k % 5 == 0)
				continue;	/* some stay a while */
			ret = kds_del(fd, key);
			if (ret && ret != -ENOENT)
				return 3;
		}
		stop[1 + w] = (int)gen + 1;
	}
	return 0;
}

TEST_F_TIMEOUT(conc, dump_in_small_reads_during_churn_shows_stable_keys_once, 150)
{
	const size_t chunks[] = { 1, 7, 64, 4096 };
	unsigned char seen[NSTABLE];
	char v[64], prefix[64];
	int gate[2], w, k;
	size_t c, bad;
	long n, i;

	for (k = 0; k < NSTABLE; k++) {
		stable_val(v, sizeof(v), stable_key(k));
		ASSERT_EQ(0, kds_put_str(self->fd, stable_key(k), v));
	}
	ASSERT_EQ(0, pipe(gate));
	for (w = 0; w < CHURN_WRITERS; w++) {
		ASSERT_LT(0, spawn(self, variant->backend, churn_worker, w, gate));
	}
	close(gate[1]);
	/* Let the writers get going before the first dump. */
	for (k = 0; k < 30000 && (!self->stop[1] || !self->stop[2]); k++)
		usleep(1000);
	ASSERT_TRUE(self->stop[1] && self->stop[2]) TH_LOG("the writers did not start");

	for (c = 0; c < ARRAY_SIZE(chunks); c++) {
		memset(seen, 0, sizeof(seen));
		n = dump_lines(self, chunks[c], &bad);
		ASSERT_LE(NSTABLE, n) TH_LOG("chunk %zu: malformed at %zu: %.60s",
					     chunks[c], bad, self->dump + bad);
		for (i = 0; i < n; i++) {
			const struct kds_line *l = &self->lines[i];

			ASSERT_GT(stable_key(NSTABLE), l->key);
			if (l->key % 2 == 0) {
				stable_val(v, sizeof(v), l->key);
				ASSERT_TRUE(kds_line_is(l, v)) TH_LOG("key %llu",
					(unsigned long long)l->key);
				seen[l->key / 2]++;
			} else {
				int len = snprintf(prefix, sizeof(prefix), "churn-%" PRIu64 "-",
						   (uint64_t)l->key);

				ASSERT_LT((size_t)len, l->len);
				ASSERT_EQ(0, memcmp(l->val, prefix, (size_t)len));
			}
			if (i && variant->ordered) {
				ASSERT_LT(self->lines[i - 1].key, l->key);
			}
		}
		for (k = 0; k < NSTABLE; k++) {
			ASSERT_EQ(1, seen[k]) TH_LOG("chunk %zu: stable key %d seen %d times",
						     chunks[c], 2 * k, seen[k]);
		}
	}
	*self->stop = 1;
	for (w = 0; w < CHURN_WRITERS; w++) {
		ASSERT_EQ(0, reap(self, w)) TH_LOG("writer %d", w);
	}
}

/* ---- readers never see a torn value ---------------------------------- */

#define TORN_KEY	5
#define SHORT_LEN	100
#define LONG_LEN	3000
#define TORN_PUTS	1000

static bool whole_value(const char *v, size_t len)
{
	size_t i;
	char c = len ? v[0] : 0;

	if (!((c == 'A' && len == SHORT_LEN) || (c == 'B' && len == LONG_LEN)))
		return false;
	for (i = 0; i < len; i++)
		if (v[i] != c)
			return false;
	return true;
}

static int torn_writer(int fd, int w, volatile int *stop)
{
	static char v[LONG_LEN + 1];
	char line[LONG_LEN + 32];
	int i, n;

	(void)stop;
	memset(v, w ? 'B' : 'A', sizeof(v) - 1);
	v[w ? LONG_LEN : SHORT_LEN] = '\0';
	n = snprintf(line, sizeof(line), "put %d %s\n", TORN_KEY, v);
	for (i = 0; i < TORN_PUTS; i++) {
		if (i % 2 ? kds_put_str(fd, TORN_KEY, v) :
			    kds_write(fd, line, (size_t)n) != n)
			return 2;
	}
	return 0;
}

static int torn_reader(int fd, int id, volatile int *stop)
{
	static char buf[LONG_LEN + 64];
	__u32 len;
	ssize_t n;

	while (!*stop) {
		if (id % 2) {
			if (kds_get(fd, TORN_KEY, buf, sizeof(buf), &len))
				return 2;
			if (!whole_value(buf, len))
				return 3;
		} else {
			n = kds_dump_chunked(fd, buf, sizeof(buf), 512);
			if (n < 3 || buf[n - 1] != '\n' || strncmp(buf, "5 ", 2))
				return 4;
			if (!whole_value(buf + 2, (size_t)n - 3))
				return 5;
		}
	}
	return 0;
}

TEST_F_TIMEOUT(conc, readers_see_only_whole_values_while_writers_replace_them, 120)
{
	int gate[2], i;
	char a[SHORT_LEN + 1];

	memset(a, 'A', SHORT_LEN);
	a[SHORT_LEN] = '\0';
	ASSERT_EQ(0, kds_put_str(self->fd, TORN_KEY, a));
	ASSERT_EQ(0, pipe(gate));
	/* pids[0..1]: writers; pids[2..3]: a getter and a dumper. */
	for (i = 0; i < 2; i++) {
		ASSERT_LT(0, spawn(self, variant->backend, torn_writer, i, gate));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_LT(0, spawn(self, variant->backend, torn_reader, i, gate));
	}
	close(gate[1]);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, reap(self, i)) TH_LOG("writer %d", i);
	}
	*self->stop = 1;
	for (i = 2; i < 4; i++) {
		ASSERT_EQ(0, reap(self, i)) TH_LOG("reader %d", i - 2);
	}
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

/* ---- counters stay consistent under put, del and clear --------------- */

#define CHURN_OPS	2000
#define CHURN_KEYS	128

static int counter_worker(int fd, int id, volatile int *stop)
{
	unsigned int seed = 12345u + (unsigned int)id * 7919u;
	char v[32];
	int i;

	(void)stop;
	for (i = 0; i < CHURN_OPS; i++) {
		__u64 key;
		unsigned int len;

		seed = seed * 1103515245u + 12345u;
		key = (seed >> 8) % CHURN_KEYS;
		len = (seed >> 20) % 16;
		memset(v, 'a' + id, len);
		v[len] = '\0';
		/* the last clear comes before the last 50 ops: a store is left */
		if (id == 2 && i % 100 == 49) {
			if (kds_clear(fd))
				return 2;
		} else if ((seed >> 4) % 3) {
			if (kds_put(fd, key, v, len))
				return 3;
		} else {
			int ret = kds_del(fd, key);

			if (ret && ret != -ENOENT)
				return 4;
		}
	}
	return 0;
}

/*
 * After the churn the counters describe what the dump shows: as many
 * entries as lines, bytes within what those entries may take, the same
 * in sysfs; and the same contents built again from nothing, one put at a
 * time, count exactly the same bytes (no race of the churn left a byte
 * counted twice or not at all).
 */
TEST_F_TIMEOUT(conc, counters_match_the_contents_after_concurrent_put_del_clear, 120)
{
	struct {
		__u64 key;
		size_t len;
		char val[16];
	} *copy;
	const char *why;
	struct kds_snap sn;
	struct kds_stats st;
	__u64 v;
	int gate[2], i;
	size_t bad;
	long n;

	ASSERT_EQ(0, pipe(gate));
	for (i = 0; i < 3; i++) {
		ASSERT_LT(0, spawn(self, variant->backend, counter_worker, i, gate));
	}
	close(gate[1]);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, reap(self, i)) TH_LOG("worker %d", i);
	}
	n = dump_lines(self, 4096, &bad);
	ASSERT_LE(0, n) TH_LOG("malformed at %zu", bad);
	copy = calloc((size_t)n + 1, sizeof(*copy));
	ASSERT_NE(NULL, copy);
	for (i = 0; i < n; i++) {
		ASSERT_GT((__u64)CHURN_KEYS, self->lines[i].key);
		ASSERT_EQ(i, kds_find_line(self->lines, n, self->lines[i].key));
		ASSERT_GT(sizeof(copy[i].val), self->lines[i].len);
		copy[i].key = self->lines[i].key;
		copy[i].len = self->lines[i].len;
		memcpy(copy[i].val, self->lines[i].val, copy[i].len);
	}
	ASSERT_EQ(0, kds_stats_shape(self->fd, &st));
	ASSERT_EQ((__u64)n, st.entries);
	ASSERT_EQ(0, kds_sysfs_u64(variant->backend, "entries", &v));
	ASSERT_EQ((__u64)n, v);
	ASSERT_EQ(0, kds_sysfs_u64(variant->backend, "bytes", &v));
	ASSERT_EQ(st.bytes, v);
	if (!strcmp(variant->backend, "list")) {
		ASSERT_EQ(KDS_SHAPE_LENGTH, st.shape);
		ASSERT_EQ((__u64)n, st.length);
	}
	ASSERT_EQ(0, kds_snap_take(variant->backend, &sn));
	why = kds_snap_check(&sn, variant->backend);
	kds_snap_free(&sn);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);

	/* And the store still works from a clean slate. */
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0LL, kds_nr_entries(self->fd));
	ASSERT_EQ(0LL, kds_nr_bytes(self->fd));
	/* the same contents, put again in the dump's order */
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, kds_put(self->fd, copy[i].key, copy[i].val,
				     (__u32)copy[i].len));
	for (i = 0; i < n; i++) {
		copy[i].val[copy[i].len] = '\0';
		ASSERT_EQ(0, kds_holds(self->fd, copy[i].key, copy[i].val));
	}
	TH_LOG("%s: %ld entries after the churn count %llu bytes; put again, %lld",
	       variant->backend, n, (unsigned long long)st.bytes, kds_nr_bytes(self->fd));
	ASSERT_EQ((long long)n, kds_nr_entries(self->fd));
	ASSERT_EQ((long long)st.bytes, kds_nr_bytes(self->fd));
	free(copy);
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0, kds_stats(self->fd, &st));
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(0U, st.bytes);
}

TEST_HARNESS_MAIN
