// SPDX-License-Identifier: GPL-2.0
/*
 * kds: every allocation of every operation fails, one at a time.
 *
 * Writing n to /proc/thread-self/fail-nth makes the n-th allocation (slab
 * or page) this thread makes from then on fail (the kernel's fault
 * injection: CONFIG_FAULT_INJECTION, failslab, fail_page_alloc).  For each
 * operation that allocates, n runs 1, 2, ... until the operation no
 * longer reaches an n-th allocation.  Every run starts from the same
 * store.  A call whose allocation failed must fail with ENOMEM and leave
 * the store exactly as it was (dump and counters), or, when an allocator
 * fell back and the call succeeded anyway, have done all of its work.
 * The VM's kmemleak scan after the run finds what a failure path leaked.
 *
 * The second fixture makes several allocations in a row fail (failslab's
 * task filter), which a single fault cannot: a maple tree in RCU mode
 * allocates to remove a key, and a failed removal must not free an entry
 * that is still in the tree.  A clear is the one call that may fail half
 * way: it stops with ENOMEM at the allocation that failed, the entries
 * it did not reach left whole, and a clear after it empties the store.
 *
 * Debian's kernels have no fault injection: there every test is skipped.
 * The program prints how many faults it injected.
 */
#include "kds_rel.h"

#include <sys/utsname.h>

#define FAULT_TIMEOUT	300
/* No operation of kds comes near this many allocations. */
#define MAX_NTH		4000
#define BIG		4096
#define FS		"/sys/kernel/debug/failslab/"
#define FPA		"/sys/kernel/debug/fail_page_alloc/"
#define TALLY		"/tmp/kds-faults.tally"

/* ---- fault injection ---------------------------------------------------- */

/* The knobs this program turns, and what they held before. */
static const char *const fault_knobs[] = {
	FS "ignore-gfp-wait", FS "verbose", FS "task-filter", FS "probability",
	FS "interval", FS "times", FS "space",
	FPA "ignore-gfp-wait", FPA "verbose", FPA "min-order",
};

#define NR_KNOBS	(sizeof(fault_knobs) / sizeof(fault_knobs[0]))

static bool fault_injection_available(void)
{
	return access("/proc/thread-self/fail-nth", W_OK) == 0 &&
	       access(FS "ignore-gfp-wait", W_OK) == 0 &&
	       access(FPA "ignore-gfp-wait", W_OK) == 0;
}

static void knobs_save(char saved[][32])
{
	size_t i;

	for (i = 0; i < NR_KNOBS; i++) {
		if (kds_read_file(fault_knobs[i], saved[i], 32) < 0)
			saved[i][0] = '\0';
	}
}

static void knobs_restore(char saved[][32])
{
	size_t i;

	for (i = 0; i < NR_KNOBS; i++) {
		if (saved[i][0])
			kds_write_file(fault_knobs[i], saved[i]);
	}
}

/*
 * Count GFP_KERNEL allocations too (by default only atomic ones can
 * fail), page allocations of any order, and print nothing: a failure
 * injected on purpose is not a finding.
 */
static int knobs_for_fail_nth(void)
{
	return kds_write_file(FS "ignore-gfp-wait", "N") ?:
	       kds_write_file(FS "verbose", "0") ?:
	       kds_write_file(FPA "ignore-gfp-wait", "N") ?:
	       kds_write_file(FPA "min-order", "0") ?:
	       kds_write_file(FPA "verbose", "0");
}

/**
 * struct injector - what a fixture needs to inject faults
 * @saved: the knobs as they were, restored at the end
 * @nth: /proc/thread-self/fail-nth
 * @mif: /proc/thread-self/make-it-fail (failslab's task filter)
 * @prob: failslab/probability
 *
 * The files are opened before any fault is pending: an open() would then
 * fail itself.  -1: not open.
 */
struct injector {
	char saved[NR_KNOBS][32];
	int nth, mif, prob;
};

static void injector_init(struct injector *in)
{
	in->saved[0][0] = '\0';
	in->nth = -1;
	in->mif = -1;
	in->prob = -1;
}

/* Save the knobs, set them for fail-nth, open the files: 0 or -errno. */
static int injector_arm(struct injector *in)
{
	knobs_save(in->saved);
	if (knobs_for_fail_nth())
		return -EIO;
	in->nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	in->mif = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
	in->prob = open(FS "probability", O_WRONLY | O_CLOEXEC);
	return in->nth < 0 || in->mif < 0 || in->prob < 0 ? -errno : 0;
}

/* Switch every fault off, close the files, restore the knobs: 0 or -EIO. */
static int injector_disarm(struct injector *in)
{
	int *fds[] = { &in->nth, &in->mif, &in->prob };
	int ret = 0;
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] < 0)
			continue;
		if (write(*fds[i], "0", 1) != 1)
			ret = -EIO;
		close(*fds[i]);
		*fds[i] = -1;
	}
	if (in->saved[0][0])
		knobs_restore(in->saved);
	return ret;
}

/* Add one test's figures to the program's tally. */
static void tally(unsigned long faults, unsigned long failed)
{
	char line[64];
	int fd;

	fd = open(TALLY, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	snprintf(line, sizeof(line), "%lu %lu\n", faults, failed);
	if (write(fd, line, strlen(line)) < 0)
		perror(TALLY);
	close(fd);
}

static pid_t harness_pid;

static void __attribute__((constructor)) tally_start(void)
{
	harness_pid = getpid();
	unlink(TALLY);
}

/* The harness prints its totals; this adds the faults behind them. */
static void __attribute__((destructor)) tally_print(void)
{
	unsigned long f, c, faults = 0, failed = 0;
	FILE *fp;

	if (getpid() != harness_pid)
		return;
	fp = fopen(TALLY, "r");
	if (!fp)
		return;
	while (fscanf(fp, "%lu %lu", &f, &c) == 2) {
		faults += f;
		failed += c;
	}
	fclose(fp);
	unlink(TALLY);
	printf("# faults injected: %lu; calls that failed with ENOMEM: %lu\n",
	       faults, failed);
	fflush(stdout);
}

/* ---- a model of the store ----------------------------------------------- */

#define MODEL_MAX	16

/* What a store holds: at most MODEL_MAX keys; values are not owned. */
struct model {
	int n;
	struct {
		__u64 key;
		__u32 len;
		const char *val;
	} e[MODEL_MAX];
};

static int model_find(const struct model *m, __u64 key)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].key == key)
			return i;
	return -1;
}

static void model_set(struct model *m, __u64 key, const char *val, __u32 len)
{
	int i = model_find(m, key);

	if (i < 0) {
		if (m->n == MODEL_MAX)
			abort();
		i = m->n++;
	}
	m->e[i].key = key;
	m->e[i].val = val;
	m->e[i].len = len;
}

static void model_del(struct model *m, __u64 key)
{
	int i = model_find(m, key);

	if (i >= 0)
		m->e[i] = m->e[--m->n];
}

/* Does the snapshot hold exactly what the model says (in any order)? */
/* Is every entry of @sn one of @m, whole, and do the counters say so? */
static bool model_holds_all_of(const struct model *m, const struct kds_snap *sn)
{
	long i;

	if ((long long)sn->st.entries != sn->n || sn->n > m->n)
		return false;
	for (i = 0; i < sn->n; i++) {
		int j = model_find(m, sn->lines[i].key);

		if (j < 0 || m->e[j].len != sn->lines[i].len ||
		    memcmp(m->e[j].val, sn->lines[i].val, m->e[j].len))
			return false;
	}
	return true;
}

static bool model_is(const struct model *m, const struct kds_snap *sn)
{
	return sn->n == m->n && model_holds_all_of(m, sn);
}

/*
 * What a clear that failed (ENOMEM) may leave: some of the entries of
 * @m, each whole, and the counters saying so (kds_snap_check()).
 */
static bool model_has_part(const struct model *m, const struct kds_snap *sn)
{
	return model_holds_all_of(m, sn);
}

/* The same store: same dump, byte for byte, and the same counts. */
static bool same_store(const struct kds_snap *a, const struct kds_snap *b)
{
	return a->len == b->len && !memcmp(a->dump, b->dump, a->len) &&
	       a->st.entries == b->st.entries && a->st.bytes == b->st.bytes &&
	       a->st.puts == b->st.puts && a->st.dels == b->st.dels &&
	       a->st.clears == b->st.clears && a->st.shape == b->st.shape &&
	       a->st.length == b->st.length &&
	       a->st.longest_chain == b->st.longest_chain &&
	       a->st.buckets_used == b->st.buckets_used &&
	       a->st.buckets == b->st.buckets && a->st.height == b->st.height;
}

/* ---- the operations ----------------------------------------------------- */

enum fop {
	PUT_NEW, PUT_NEW_LARGE, PUT_REPLACE, PUT_REPLACE_LARGE, GET_LARGE,
	BATCH, TEXT_PUT, TEXT_LINES, TEXT_DEL, DUMP_LARGE, RANGE, DEL, CLEAR,
};

/* Values: big[0] is in the base store, big[1..2] are put by operations. */
static char big[3][BIG];
static char text_lines[BIG + 64];
static char getbuf[2 * BIG];
static char dumpbuf[1 << 16];
static char rangebuf[1 << 16];

/*
 * The harness runs a test even when its setup skipped: setup leaves the
 * reason here and each test starts with NEED_FAULT_INJECTION().
 */
#define NO_FAULTS	"no fault injection (/proc/thread-self/fail-nth, failslab, fail_page_alloc in debugfs)"
#define NEED_FAULT_INJECTION()						\
	do {								\
		if (self->skip)						\
			SKIP(return, "%s", self->skip);			\
	} while (0)

FIXTURE(faults) {
	const char *skip;
	int fd;
	struct injector in;
	struct kds_snap before, after;
	struct model base;
	unsigned long faults, failed, recovered;
};

FIXTURE_VARIANT(faults) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(faults);

FIXTURE_SETUP(faults)
{
	int i;

	self->fd = -1;
	injector_init(&self->in);
	self->skip = fault_injection_available() ? NULL : NO_FAULTS;
	if (self->skip)
		return;
	ASSERT_EQ(0, injector_arm(&self->in));
	self->fd = kds_open(variant->backend);
	ASSERT_LE(0, self->fd);

	for (i = 0; i < 3; i++)
		kds_pattern(big[i], BIG, (unsigned int)i + 1);
	snprintf(text_lines, sizeof(text_lines), "put 301 a\nput 2 %.*s\ndel 3\nput 302 b\n",
		 4000, big[1]);
	memset(getbuf, 0, sizeof(getbuf));
	memset(dumpbuf, 0, sizeof(dumpbuf));
	memset(rangebuf, 0, sizeof(rangebuf));
	self->base.n = 0;
	model_set(&self->base, 1, "one", 3);
	model_set(&self->base, 2, big[0], BIG);
	model_set(&self->base, 3, "three", 5);
	/*
	 * Every page this process uses is present from now on: a copy to or
	 * from user space never allocates, so every fault lands in the kernel
	 * code under test.
	 */
	ASSERT_EQ(0, mlockall(MCL_CURRENT));
}

FIXTURE_TEARDOWN(faults)
{
	ASSERT_EQ(0, injector_disarm(&self->in));
	KDS_TEARDOWN_CLOSE();
	kds_snap_free(&self->before);
	kds_snap_free(&self->after);
	tally(self->faults, self->failed);
	if (self->faults)
		TH_LOG("%s: %lu faults injected: %lu calls failed with ENOMEM, %lu recovered",
		       variant->backend, self->faults, self->failed, self->recovered);
}

/* The store every run starts from: 1 -> "one", 2 -> 4 KiB, 3 -> "three". */
static int base_store(int fd)
{
	return kds_clear(fd) ?: kds_put(fd, 1, "one", 3) ?:
	       kds_put(fd, 2, big[0], BIG) ?: kds_put(fd, 3, "three", 5);
}

/* A batch of five: put new, replace large, get large, del, put new large. */
static int run_batch(int fd, struct model *want, bool *partial)
{
	struct kds_batch_op ops[5] = {
		{ .op = KDS_OP_PUT, .key = 200, .value = kds_ptr("batch"), .value_len = 5 },
		{ .op = KDS_OP_PUT, .key = 2, .value = kds_ptr(big[1]), .value_len = BIG },
		{ .op = KDS_OP_GET, .key = 2, .value = kds_ptr(getbuf), .value_len = sizeof(getbuf) },
		{ .op = KDS_OP_DEL, .key = 3 },
		{ .op = KDS_OP_PUT, .key = 201, .value = kds_ptr(big[2]), .value_len = BIG },
	};
	struct kds_batch b = {
		.size = sizeof(b), .ops = kds_ptr(ops), .count = 5,
		.op_size = sizeof(ops[0]),
	};
	int ret, i;

	ret = kds_ioctl(fd, KDS_IOC_BATCH, &b);
	if (ret)
		return ret;
	if (b.done != 5)
		return -EPROTO;
	for (i = 0; i < 5; i++) {
		if (ops[i].result == -ENOMEM) {
			*partial = true;
			continue;
		}
		if (ops[i].result)
			return -EPROTO;
		switch (ops[i].op) {
		case KDS_OP_PUT:
			model_set(want, ops[i].key, (const char *)(uintptr_t)ops[i].value,
				  ops[i].value_len);
			break;
		case KDS_OP_GET:
			/* the op before it may have failed: either value */
			if (ops[i].value_len != BIG ||
			    (memcmp(getbuf, big[0], BIG) && memcmp(getbuf, big[1], BIG)))
				return -EPROTO;
			break;
		case KDS_OP_DEL:
			model_del(want, ops[i].key);
			break;
		}
	}
	return 0;
}

/*
 * Several lines in one write: the write stops at the line whose
 * allocation failed, having applied the lines before it.
 */
static int run_text_lines(int fd, struct model *want, bool *partial)
{
	size_t len = strlen(text_lines), done = 0;
	ssize_t n = write(fd, text_lines, len);

	if (n < 0)
		return -errno;
	if ((size_t)n < len && (!n || text_lines[n - 1] != '\n'))
		return -EPROTO;
	*partial = (size_t)n < len;
	while (done < (size_t)n) {
		const char *l = text_lines + done;

		if (!strncmp(l, "put 301 ", 8))
			model_set(want, 301, "a", 1);
		else if (!strncmp(l, "put 2 ", 6))
			model_set(want, 2, big[1], 4000);
		else if (!strncmp(l, "del 3\n", 6))
			model_del(want, 3);
		else if (!strncmp(l, "put 302 ", 8))
			model_set(want, 302, "b", 1);
		done = (size_t)(strchr(l, '\n') - text_lines) + 1;
	}
	return 0;
}

static int run_text(int fd, const char *cmd)
{
	ssize_t n = kds_text(fd, cmd);

	if (n < 0)
		return (int)n;
	return (size_t)n == strlen(cmd) ? 0 : -EPROTO;
}

/*
 * The first read of a fresh fd over a store whose dump has a line longer
 * than a page: the line buffer grows.  Whatever the read returns, reading
 * on gives the rest: a failed read loses no line and repeats none.
 */
static int run_dump(int dfd, const struct kds_snap *whole)
{
	size_t len = 0;
	ssize_t n;
	int ret = 0;

	n = read(dfd, dumpbuf, sizeof(dumpbuf));
	if (n < 0)
		ret = -errno;
	else
		len = (size_t)n;
	/* the rest, with no fault pending */
	for (;;) {
		n = read(dfd, dumpbuf + len, sizeof(dumpbuf) - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n < 0 || len != whole->len || memcmp(dumpbuf, whole->dump, len))
		return -EPROTO;
	return ret;
}

static int run_range(int fd, const struct kds_snap *whole)
{
	struct kds_range r = {
		.size = sizeof(r), .lo = 0, .hi = KDS_U64_MAX,
		.buf = kds_ptr(rangebuf), .buf_len = sizeof(rangebuf),
	};
	int ret = kds_ioctl(fd, KDS_IOC_RANGE, &r);

	if (ret)
		return ret;
	return r.count == whole->n && !(r.out_flags & KDS_RANGE_MORE) ?
	       0 : -EPROTO;
}

/* A put of @key; on success the model holds it too. */
static int run_put(int fd, struct model *want, __u64 key, const void *val,
		   __u32 len)
{
	int ret = kds_put(fd, key, val, len);

	if (!ret)
		model_set(want, key, val, len);
	return ret;
}

/*
 * Run @op once.  Returns 0 or the -errno of the call (-EPROTO: it did
 * something it must not); *@want becomes what the store must now hold.
 */
static int run_op(FIXTURE_DATA(faults) *self, enum fop op, int dfd,
		  struct model *want, bool *partial)
{
	int fd = self->fd, ret;
	__u32 len = 0;

	switch (op) {
	case PUT_NEW:
		return run_put(fd, want, 100, "sixteen bytes!!!", 16);
	case PUT_NEW_LARGE:
		return run_put(fd, want, 101, big[1], BIG);
	case PUT_REPLACE:
		return run_put(fd, want, 1, "uno", 3);
	case PUT_REPLACE_LARGE:
		return run_put(fd, want, 2, big[2], BIG);
	case GET_LARGE:
		ret = kds_get(fd, 2, getbuf, sizeof(getbuf), &len);
		if (!ret && (len != BIG || memcmp(getbuf, big[0], BIG)))
			return -EPROTO;
		return ret;
	case BATCH:
		return run_batch(fd, want, partial);
	case TEXT_PUT:
		ret = run_text(fd, "put 300 hello world\n");
		if (!ret)
			model_set(want, 300, "hello world", 11);
		return ret;
	case TEXT_LINES:
		return run_text_lines(fd, want, partial);
	case TEXT_DEL:
		ret = run_text(fd, "del 1\n");
		if (!ret)
			model_del(want, 1);
		return ret;
	case DUMP_LARGE:
		return run_dump(dfd, &self->before);
	case RANGE:
		return run_range(fd, &self->before);
	case DEL:
		ret = kds_del(fd, 3);
		if (!ret)
			model_del(want, 3);
		return ret;
	case CLEAR:
		ret = kds_clear(fd);
		if (!ret)
			want->n = 0;
		return ret;
	}
	return -EINVAL;
}

static void set_fail_nth(struct __test_metadata *_metadata, int fd, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	ASSERT_EQ(len, write(fd, buf, (size_t)len));
}

/* What is left of fail-nth: 0 once the fault was injected. */
static int get_fail_nth(struct __test_metadata *_metadata, int fd)
{
	char buf[16] = {};

	ASSERT_LT(0, pread(fd, buf, sizeof(buf) - 1, 0));
	return atoi(buf);
}

/*
 * Fail the 1st, 2nd, ... allocation of @op until it makes no n-th one.
 * A failed call is ENOMEM with the store unchanged; a call that went
 * through anyway did all its work.
 */
static void inject_each(struct __test_metadata *_metadata,
			FIXTURE_DATA(faults) *self, const char *backend,
			enum fop op)
{
	const char *why;
	int n, ret, left;

	for (n = 1; n < MAX_NTH; n++) {
		struct model want = self->base;
		bool partial = false;
		int dfd = -1;

		ASSERT_EQ(0, base_store(self->fd));
		ASSERT_EQ(0, kds_snap_take(backend, &self->before));
		if (op == DUMP_LARGE) {
			dfd = kds_open(backend);
			ASSERT_LE(0, dfd);
		}

		set_fail_nth(_metadata, self->in.nth, n);
		ret = run_op(self, op, dfd, &want, &partial);
		left = get_fail_nth(_metadata, self->in.nth);
		set_fail_nth(_metadata, self->in.nth, 0);
		if (dfd >= 0)
			close(dfd);

		ASSERT_NE(-EPROTO, ret) TH_LOG("fault %d: the operation did something wrong", n);
		kds_snap_free(&self->after);
		ASSERT_EQ(0, kds_snap_take(backend, &self->after));
		why = kds_snap_check(&self->after, backend);
		ASSERT_EQ(NULL, why) TH_LOG("fault %d: %s", n, why);

		if (left > 0) {
			/* the operation no longer reaches an n-th allocation */
			ASSERT_EQ(0, ret);
			ASSERT_FALSE(partial);
			ASSERT_TRUE(model_is(&want, &self->after));
			break;
		}
		self->faults++;
		if (ret && op == CLEAR) {
			/*
			 * A clear stops at the allocation that failed (maple:
			 * an erase in RCU mode allocates), the entries not yet
			 * removed left whole; another clear empties the store.
			 */
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("fault %d: %s", n, strerror(-ret));
			ASSERT_TRUE(model_has_part(&self->base, &self->after))
				TH_LOG("fault %d: a failed clear left what was not there", n);
			ASSERT_EQ(0, kds_clear(self->fd));
			ASSERT_EQ(0LL, kds_nr_entries(self->fd));
			ASSERT_EQ(0LL, kds_nr_bytes(self->fd));
			self->failed++;
		} else if (ret) {
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("fault %d: %s", n, strerror(-ret));
			ASSERT_TRUE(same_store(&self->before, &self->after))
				TH_LOG("fault %d: a failed call changed the store", n);
			self->failed++;
		} else {
			ASSERT_TRUE(model_is(&want, &self->after))
				TH_LOG("fault %d: the store is not what the call reported", n);
			if (partial)
				self->failed++;
			else
				self->recovered++;
		}
		kds_snap_free(&self->before);
	}
	ASSERT_LT(n, MAX_NTH);
}

TEST_F_TIMEOUT(faults, put_of_a_new_key_fails_cleanly_at_every_allocation, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, PUT_NEW);
}

TEST_F_TIMEOUT(faults, put_of_a_new_large_value_fails_cleanly_at_every_allocation, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, PUT_NEW_LARGE);
}

TEST_F_TIMEOUT(faults, replace_fails_cleanly_and_keeps_the_old_value, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, PUT_REPLACE);
}

TEST_F_TIMEOUT(faults, replace_with_a_large_value_fails_cleanly, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, PUT_REPLACE_LARGE);
}

TEST_F_TIMEOUT(faults, get_of_a_large_value_fails_cleanly, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, GET_LARGE);
}

TEST_F_TIMEOUT(faults, batch_fails_only_the_op_whose_allocation_failed, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, BATCH);
}

TEST_F_TIMEOUT(faults, text_put_fails_cleanly_at_every_allocation, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, TEXT_PUT);
}

TEST_F_TIMEOUT(faults, text_write_stops_at_the_line_whose_allocation_failed, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, TEXT_LINES);
}

TEST_F_TIMEOUT(faults, text_del_fails_cleanly_at_every_allocation, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, TEXT_DEL);
}

TEST_F_TIMEOUT(faults, dump_read_of_a_long_line_fails_and_resumes_exactly, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, DUMP_LARGE);
}

TEST_F_TIMEOUT(faults, range_fails_cleanly_at_every_allocation, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	if (!variant->ordered)
		SKIP(return, "%s has no range", variant->backend);
	inject_each(_metadata, self, variant->backend, RANGE);
}

TEST_F_TIMEOUT(faults, del_fails_cleanly_at_every_allocation, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, DEL);
}

TEST_F_TIMEOUT(faults, clear_empties_the_store_or_fails_leaving_whole_entries, FAULT_TIMEOUT)
{
	NEED_FAULT_INJECTION();
	inject_each(_metadata, self, variant->backend, CLEAR);
}

/*
 * ---- several failures in a row ------------------------------------------
 *
 * failslab with its task filter: the next @times slab allocations of this
 * thread fail (probability 100), then none.  Switching it off must not
 * allocate (an open() would fail while failures are left): make-it-fail
 * and probability are written through files opened beforehand.
 */
static int fail_next_allocations(int mif, int prob, int times)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", times);
	if (kds_write_file(FS "task-filter", "Y") || kds_write_file(FS "interval", "1") ||
	    kds_write_file(FS "space", "0") || kds_write_file(FS "times", buf) ||
	    write(prob, "100", 3) != 3)
		return -EIO;
	return write(mif, "1", 1) == 1 ? 0 : -EIO;
}

/* Returns how many of the failures were used. */
static int stop_failing(int mif, int prob, int times)
{
	char buf[16] = {};

	if (write(mif, "0", 1) != 1 || write(prob, "0", 1) != 1)
		return -1;
	if (kds_read_file(FS "times", buf, sizeof(buf)) < 0)
		return 0;
	return times - atoi(buf);
}

TEST_F_TIMEOUT(faults, del_whose_allocations_fail_in_a_row_removes_the_key_or_nothing, FAULT_TIMEOUT)
{
	const char *why;
	int times, ret, used;

	NEED_FAULT_INJECTION();
	for (times = 1; times <= 12; times++) {
		ASSERT_EQ(0, base_store(self->fd));
		ASSERT_EQ(0, kds_snap_take(variant->backend, &self->before));
		ASSERT_EQ(0, fail_next_allocations(self->in.mif, self->in.prob, times));
		ret = kds_del(self->fd, 3);
		used = stop_failing(self->in.mif, self->in.prob, times);
		ASSERT_LE(0, used);
		kds_snap_free(&self->after);
		ASSERT_EQ(0, kds_snap_take(variant->backend, &self->after));
		why = kds_snap_check(&self->after, variant->backend);
		ASSERT_EQ(NULL, why) TH_LOG("%d failures: %s", times, why);
		self->faults += (unsigned long)used;
		if (ret) {
			ASSERT_EQ(-ENOMEM, ret);
			ASSERT_TRUE(same_store(&self->before, &self->after));
			ASSERT_EQ(0, kds_holds(self->fd, 3, "three"));
			self->failed++;
		} else {
			ASSERT_EQ(-ENOENT, kds_holds(self->fd, 3, "three"))
				TH_LOG("%d failures: del returned 0, the key is still there", times);
			ASSERT_EQ(2ULL, self->after.st.entries);
		}
		kds_snap_free(&self->before);
	}
}

/*
 * A clear whose allocations fail: it empties the store (0), or stops with
 * ENOMEM leaving the entries it did not reach whole and counted; then a
 * clear with nothing failing empties it, and the bytes go back to 0.
 */
TEST_F_TIMEOUT(faults, clear_whose_allocations_fail_in_a_row_empties_or_leaves_whole_entries, FAULT_TIMEOUT)
{
	char val[32];
	const char *why;
	int times, i, used, ret;
	long j;

	NEED_FAULT_INJECTION();
	for (times = 1; times <= 24; times += 3) {
		/* enough keys for a tree of several nodes */
		ASSERT_EQ(0, kds_clear(self->fd));
		for (i = 0; i < 300; i++) {
			snprintf(val, sizeof(val), "v%d", i);
			ASSERT_EQ(0, kds_put_str(self->fd, (__u64)i * 7919, val));
		}
		ASSERT_EQ(0, fail_next_allocations(self->in.mif, self->in.prob, times));
		ret = kds_clear(self->fd);
		used = stop_failing(self->in.mif, self->in.prob, times);
		ASSERT_LE(0, used);
		self->faults += (unsigned long)used;
		kds_snap_free(&self->after);
		ASSERT_EQ(0, kds_snap_take(variant->backend, &self->after));
		why = kds_snap_check(&self->after, variant->backend);
		ASSERT_EQ(NULL, why) TH_LOG("%d failures: %s", times, why);
		if (ret) {
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("%d failures: %s", times, strerror(-ret));
			self->failed++;
			for (j = 0; j < self->after.n; j++) {
				const struct kds_line *l = &self->after.lines[j];

				ASSERT_EQ(0ULL, l->key % 7919);
				snprintf(val, sizeof(val), "v%llu",
					 (unsigned long long)(l->key / 7919));
				ASSERT_TRUE(kds_line_is(l, val))
					TH_LOG("%d failures: key %llu", times,
					       (unsigned long long)l->key);
			}
			ASSERT_EQ(0, kds_clear(self->fd));
			kds_snap_free(&self->after);
			ASSERT_EQ(0, kds_snap_take(variant->backend, &self->after));
		}
		ASSERT_EQ(0, self->after.n) TH_LOG("%d failures: clear left %ld entries",
						   times, self->after.n);
		ASSERT_EQ(0ULL, self->after.st.entries);
		ASSERT_EQ(0ULL, self->after.st.bytes);
		ASSERT_EQ(-ENOENT, kds_holds(self->fd, 7919, "v1"));
	}
}

/* ---- loading a module --------------------------------------------------- */

KDS_RESTORE_DEFAULTS_AT_EXIT();

FIXTURE(load) {
	const char *skip;
	int ko;
	struct injector in;
	unsigned long faults, failed;
};

FIXTURE_SETUP(load)
{
	char path[256];
	struct utsname u;

	self->ko = -1;
	injector_init(&self->in);
	self->skip = fault_injection_available() ? NULL : NO_FAULTS;
	if (self->skip)
		return;
	ASSERT_EQ(0, uname(&u));
	snprintf(path, sizeof(path), "/lib/modules/%s/extra/kds_hash.ko", u.release);
	self->ko = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->ko) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, injector_arm(&self->in));
	ASSERT_EQ(0, kds_rmmod_if_loaded("kds_hash"));
	ASSERT_TRUE(kds_module_loaded("kds"));
	ASSERT_EQ(0, mlockall(MCL_CURRENT));
}

FIXTURE_TEARDOWN(load)
{
	ASSERT_EQ(0, injector_disarm(&self->in));
	if (self->ko >= 0)
		close(self->ko);
	kds_rmmod_if_loaded("kds_hash");
	tally(self->faults, self->failed);
	if (self->faults)
		TH_LOG("kds_hash load: %lu faults injected, %lu loads failed with ENOMEM",
		       self->faults, self->failed);
}

/* Allocations a call of finit_module() on @fd makes, faulting none. */
static int allocations_of_load(struct __test_metadata *_metadata, int nth,
			       int fd, const char *params, int *err)
{
	const int budget = 1000000;
	int ret;

	set_fail_nth(_metadata, nth, budget);
	ret = (int)syscall(SYS_finit_module, fd, params, 0);
	*err = ret ? errno : 0;
	ret = budget - get_fail_nth(_metadata, nth);
	set_fail_nth(_metadata, nth, 0);
	return ret;
}

/*
 * The backend's init (its store, the bucket array of 2^bits, the misc
 * device and its sysfs files) fails at each of its allocations: the load
 * fails with ENOMEM, leaves no module, node or sysfs file behind, and the
 * next load works.
 *
 * Only the init's allocations: the module loader's own, before it, warn
 * with a stack trace when they fail (module memory and its KASAN shadow
 * come from vmalloc), which is the kernel's business, not kds's.  So n
 * runs down from the last allocation of a whole load: allocations after
 * the init (the load succeeds), then the init's, whose failures after the
 * store's own allocation log "registration failed", down to that first
 * one, which logs nothing; the scan stops there.
 */
TEST_F_TIMEOUT(load, kds_hash_init_with_parameters_fails_cleanly_at_every_allocation, FAULT_TIMEOUT)
{
	const char *params = "bits=12 hashfn=hash_64";
	int n, ret, left, total, err, kmsg;
	bool in_init = false;
	char line[512];

	NEED_FAULT_INJECTION();
	total = allocations_of_load(_metadata, self->in.nth, self->ko, params, &err);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, kds_rmmod_if_loaded("kds_hash"));

	for (n = total; n > 0; n--) {
		kmsg = kds_kmsg_open();
		ASSERT_LE(0, kmsg);
		set_fail_nth(_metadata, self->in.nth, n);
		ret = (int)syscall(SYS_finit_module, self->ko, params, 0);
		ret = ret ? -errno : 0;
		left = get_fail_nth(_metadata, self->in.nth);
		set_fail_nth(_metadata, self->in.nth, 0);
		if (!ret) {
			/* after the init, or an allocator fell back */
			self->faults += !left;
			ASSERT_EQ(0, kds_rmmod_if_loaded("kds_hash"));
			close(kmsg);
			continue;
		}
		self->faults++;
		self->failed++;
		ASSERT_EQ(-ENOMEM, ret) TH_LOG("fault %d of %d: %s", n, total, strerror(-ret));
		ASSERT_FALSE(kds_module_loaded("kds_hash"));
		ASSERT_NE(0, access("/dev/kds/hash", F_OK));
		ASSERT_NE(0, access("/sys/class/misc/kds-hash", F_OK));
		if (kds_kmsg_has(kmsg, "kds-hash: registration failed", line, sizeof(line))) {
			in_init = true;
		} else if (in_init) {
			close(kmsg);
			break;	/* the store's allocation: the init's first */
		}
		close(kmsg);
	}
	ASSERT_TRUE(in_init) TH_LOG("no allocation of the init failed");
	TH_LOG("a whole load makes %d allocations, the init and what follows %d",
	       total, total - n + 1);
	ASSERT_EQ(0, syscall(SYS_finit_module, self->ko, params, 0));
	ASSERT_TRUE(kds_module_loaded("kds_hash"));
	ASSERT_EQ(0, kds_rmmod_if_loaded("kds_hash"));
}

/* ---- unloading with entries in the stores --------------------------------- */

FIXTURE(unload) {
	const char *skip;
	struct injector in;
	unsigned long faults, failed;
};

FIXTURE_SETUP(unload)
{
	injector_init(&self->in);
	self->skip = fault_injection_available() ? NULL : NO_FAULTS;
	if (self->skip)
		return;
	ASSERT_EQ(0, injector_arm(&self->in));
	ASSERT_EQ(0, kds_restore_defaults());
}

FIXTURE_TEARDOWN(unload)
{
	ASSERT_EQ(0, injector_disarm(&self->in));
	tally(self->faults, self->failed);
	if (self->faults)
		TH_LOG("unload: %lu faults injected", self->faults);
}

/*
 * A backend unloaded while its allocations fail still frees every entry
 * of its store (the VM's kmemleak scan after the run finds any it did
 * not): destroy must not depend on an allocation.
 */
TEST_F_TIMEOUT(unload, unload_whose_allocations_fail_still_frees_every_entry, FAULT_TIMEOUT)
{
	char mod[32], val[32];
	size_t b;
	int fd, i, ret, used;

	NEED_FAULT_INJECTION();
	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		fd = kds_open(kds_backends[b]);
		ASSERT_LE(0, fd);
		for (i = 0; i < 300; i++) {
			snprintf(val, sizeof(val), "unload %d", i);
			ASSERT_EQ(0, kds_put_str(fd, (__u64)i * 7919, val));
		}
		close(fd);
		kds_module_of(mod, sizeof(mod), kds_backends[b]);
		ASSERT_EQ(0, fail_next_allocations(self->in.mif, self->in.prob, 8));
		ret = (int)syscall(SYS_delete_module, mod, O_NONBLOCK);
		used = stop_failing(self->in.mif, self->in.prob, 8);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", mod, strerror(errno));
		ASSERT_LE(0, used);
		self->faults += (unsigned long)used;
		ASSERT_FALSE(kds_module_loaded(mod));
	}
	ASSERT_EQ(0, kds_restore_defaults());
}

TEST_HARNESS_MAIN
