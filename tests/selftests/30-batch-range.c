// SPDX-License-Identifier: GPL-2.0
/*
 * kds: KDS_IOC_BATCH (many operations in one call, a result per
 * operation) and KDS_IOC_RANGE (entries lo..hi in key order, in a buffer
 * of records, resumable) on the ordered backends; list and hash refuse
 * a range with EOPNOTSUPP.
 */
#include "kds_test.h"

/* ---- batch ----------------------------------------------------------- */

FIXTURE(batch) {
	int fd;
	__u32 max_value_size;
};

FIXTURE_VARIANT(batch) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(batch);

FIXTURE_SETUP(batch)
{
	KDS_SETUP_OPEN();
	KDS_SETUP_MAX_VALUE_SIZE();
}

FIXTURE_TEARDOWN(batch)
{
	KDS_TEARDOWN_CLOSE();
}

static void op_set(struct kds_batch_op *op, __u32 what, __u64 key,
		   const void *val, __u32 len)
{
	memset(op, 0, sizeof(*op));
	op->op = what;
	op->key = key;
	op->value = kds_ptr(val);
	op->value_len = len;
	op->result = 12345;	/* the kernel must overwrite it */
}

static void op_put(struct kds_batch_op *op, __u64 key, const char *val)
{
	op_set(op, KDS_OP_PUT, key, val, (__u32)strlen(val));
}

/* KDS_IOC_BATCH: 0 or -errno; *@done gets kds_batch.done. */
static int do_batch(int fd, struct kds_batch_op *ops, __u32 count,
		    __u32 flags, __u32 *done)
{
	struct kds_batch b = {
		.size = sizeof(b),
		.flags = flags,
		.ops = kds_ptr(ops),
		.count = count,
		.op_size = sizeof(*ops),
		.done = 12345,
	};
	int ret = kds_ioctl(fd, KDS_IOC_BATCH, &b);

	if (done)
		*done = b.done;
	return ret;
}

static bool is_too_big(int err)
{
	return err == -E2BIG || err == -EMSGSIZE;
}

TEST_F(batch, each_op_gets_its_own_result)
{
	struct kds_batch_op ops[7];
	__u32 big = self->max_value_size + 1, done = 0;
	char *bigval = calloc(1, big);
	char out[16] = "";

	ASSERT_NE(NULL, bigval);
	ASSERT_EQ(0, kds_put_str(self->fd, 50, "old"));
	op_put(&ops[0], 1, "one");				/* put: ok */
	op_set(&ops[1], KDS_OP_GET, 1, out, sizeof(out));	/* get: hit */
	op_set(&ops[2], KDS_OP_GET, 2, out, sizeof(out));	/* get: miss */
	op_set(&ops[3], KDS_OP_DEL, 3, NULL, 0);		/* del: miss */
	op_set(&ops[4], KDS_OP_PUT, 50, bigval, big);		/* too big */
	op_put(&ops[5], 4, "four");				/* put: ok */
	op_set(&ops[6], KDS_OP_DEL, 50, NULL, 0);		/* del: ok */
	ASSERT_EQ(0, do_batch(self->fd, ops, 7, 0, &done));
	ASSERT_EQ(7U, done);
	ASSERT_EQ(0, ops[0].result);
	ASSERT_EQ(0, ops[1].result);
	ASSERT_EQ(3U, ops[1].value_len);
	ASSERT_EQ(0, memcmp(out, "one", 3));
	ASSERT_EQ(-ENOENT, ops[2].result);
	ASSERT_EQ(-ENOENT, ops[3].result);
	ASSERT_TRUE(is_too_big(ops[4].result)) TH_LOG("result %d", ops[4].result);
	ASSERT_EQ(0, ops[5].result);
	ASSERT_EQ(0, ops[6].result);
	ASSERT_EQ(0, kds_holds(self->fd, 1, "one"));
	ASSERT_EQ(0, kds_holds(self->fd, 4, "four"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 50, "old"));
	ASSERT_EQ(2, kds_nr_entries(self->fd));
	free(bigval);
}

TEST_F(batch, ops_run_in_order)
{
	struct kds_batch_op ops[5];
	char out[16];
	__u32 done = 0;

	op_put(&ops[0], 9, "a");
	op_put(&ops[1], 9, "bb");
	op_set(&ops[2], KDS_OP_GET, 9, out, sizeof(out));
	op_set(&ops[3], KDS_OP_DEL, 9, NULL, 0);
	op_set(&ops[4], KDS_OP_GET, 9, out, sizeof(out));
	ASSERT_EQ(0, do_batch(self->fd, ops, 5, 0, &done));
	ASSERT_EQ(5U, done);
	ASSERT_EQ(0, ops[2].result);
	ASSERT_EQ(2U, ops[2].value_len);
	ASSERT_EQ(0, memcmp(out, "bb", 2));
	ASSERT_EQ(0, ops[3].result);
	ASSERT_EQ(-ENOENT, ops[4].result);
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(batch, stop_on_error_stops_at_the_first_failing_op)
{
	struct kds_batch_op ops[4];
	char out[8];
	__u32 done = 0;

	op_put(&ops[0], 1, "a");
	op_set(&ops[1], KDS_OP_GET, 2, out, sizeof(out));	/* miss */
	op_put(&ops[2], 3, "c");
	op_put(&ops[3], 4, "d");
	ASSERT_EQ(0, do_batch(self->fd, ops, 4, KDS_BATCH_STOP_ON_ERROR, &done));
	/* The failing op was carried out (it has its result), no more. */
	ASSERT_EQ(2U, done);
	ASSERT_EQ(0, ops[0].result);
	ASSERT_EQ(-ENOENT, ops[1].result);
	ASSERT_EQ(0, kds_holds(self->fd, 1, "a"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 3, "c"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 4, "d"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(batch, stop_on_error_without_errors_runs_everything)
{
	struct kds_batch_op ops[3];
	__u32 done = 0;

	op_put(&ops[0], 1, "a");
	op_put(&ops[1], 2, "b");
	op_set(&ops[2], KDS_OP_DEL, 1, NULL, 0);
	ASSERT_EQ(0, do_batch(self->fd, ops, 3, KDS_BATCH_STOP_ON_ERROR, &done));
	ASSERT_EQ(3U, done);
	ASSERT_EQ(1, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_holds(self->fd, 2, "b"));
}

TEST_F(batch, get_into_a_small_buffer_is_erange_with_the_length)
{
	struct kds_batch_op ops[1];
	char out[4] = "###";
	__u32 done = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "0123456789"));
	op_set(&ops[0], KDS_OP_GET, 1, out, 3);
	ASSERT_EQ(0, do_batch(self->fd, ops, 1, 0, &done));
	ASSERT_EQ(1U, done);
	ASSERT_EQ(-ERANGE, ops[0].result);
	ASSERT_EQ(10U, ops[0].value_len);
	ASSERT_EQ(0, memcmp(out, "###", 3));
}

/*
 * A run of gets may be looked up in one go (kds_ops.get_many): each get
 * of the run still gets its own value, length and result, whatever the
 * value's length, with misses and short buffers among them, and the
 * counters see each get once.
 */
TEST_F(batch, a_run_of_gets_answers_each_get_on_its_own)
{
	static const __u32 lens[] = { 0, 5, 8, 16, 31, 32, 33, 100, 300, 17 };
	enum { NLENS = sizeof(lens) / sizeof(lens[0]), NOPS = NLENS + 3 };
	struct kds_batch_op ops[NOPS];
	char val[NLENS][300], out[NOPS][320], small[4] = "###";
	struct kds_stats a, b;
	__u32 done = 0, i;

	for (i = 0; i < NLENS; i++) {
		memset(val[i], 'a' + i, lens[i]);
		ASSERT_EQ(0, kds_put(self->fd, 100 + i, val[i], lens[i]));
	}
	memset(out, '#', sizeof(out));
	for (i = 0; i < NLENS; i++)
		op_set(&ops[i], KDS_OP_GET, 100 + i, out[i], sizeof(out[i]));
	op_set(&ops[NLENS], KDS_OP_GET, 99, out[NLENS], 300);	/* miss */
	op_set(&ops[NLENS + 1], KDS_OP_GET, 107, small, 3);	/* 100 > 3 */
	op_set(&ops[NLENS + 2], KDS_OP_GET, 101, out[NLENS + 2], 5);
	ASSERT_EQ(0, kds_stats(self->fd, &a));
	ASSERT_EQ(0, do_batch(self->fd, ops, NOPS, 0, &done));
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	ASSERT_EQ((__u32)NOPS, done);
	for (i = 0; i < NLENS; i++) {
		ASSERT_EQ(0, ops[i].result) TH_LOG("get %u (%u bytes)", i, lens[i]);
		ASSERT_EQ(lens[i], ops[i].value_len);
		ASSERT_EQ(0, memcmp(out[i], val[i], lens[i]));
		ASSERT_EQ('#', out[i][lens[i]]) TH_LOG("a byte past value %u", i);
	}
	ASSERT_EQ(-ENOENT, ops[NLENS].result);
	ASSERT_EQ(-ERANGE, ops[NLENS + 1].result);
	ASSERT_EQ(100U, ops[NLENS + 1].value_len);
	ASSERT_EQ(0, memcmp(small, "###", 3));
	ASSERT_EQ(0, ops[NLENS + 2].result);
	ASSERT_EQ(5U, ops[NLENS + 2].value_len);
	ASSERT_EQ(0, memcmp(out[NLENS + 2], val[1], 5));
	ASSERT_EQ((__u64)NOPS, b.gets - a.gets);
	ASSERT_EQ((__u64)NOPS - 1, b.hits - a.hits);
	ASSERT_EQ(2U, b.errors - a.errors);
}

TEST_F(batch, stop_on_error_stops_within_a_run_of_gets)
{
	struct kds_batch_op ops[5];
	char out[5][8];
	__u32 done = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));
	ASSERT_EQ(0, kds_put_str(self->fd, 3, "c"));
	memset(out, '#', sizeof(out));
	op_set(&ops[0], KDS_OP_GET, 1, out[0], 8);
	op_set(&ops[1], KDS_OP_GET, 2, out[1], 8);	/* miss */
	op_set(&ops[2], KDS_OP_GET, 3, out[2], 8);
	op_set(&ops[3], KDS_OP_GET, 3, out[3], 8);
	op_put(&ops[4], 4, "d");
	ops[2].result = ops[3].result = 77;
	ASSERT_EQ(0, do_batch(self->fd, ops, 5, KDS_BATCH_STOP_ON_ERROR, &done));
	ASSERT_EQ(2U, done);
	ASSERT_EQ(0, ops[0].result);
	ASSERT_EQ(0, memcmp(out[0], "a", 1));
	ASSERT_EQ(-ENOENT, ops[1].result);
	/* the gets after it were not answered, the put did not run */
	ASSERT_EQ(77, ops[2].result);
	ASSERT_EQ(77, ops[3].result);
	ASSERT_EQ('#', out[2][0]);
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 4, "d"));
}

TEST_F(batch, bad_op_fields_are_einval_for_that_op_alone)
{
	struct kds_batch_op ops[6];
	__u32 done = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 7, "kept"));
	op_put(&ops[0], 1, "x");
	ops[0].op = 0;					/* no such op */
	op_put(&ops[1], 2, "x");
	ops[1].op = 99;					/* no such op */
	op_put(&ops[2], 3, "x");
	ops[2].flags = 1U << 1;				/* no such flag */
	op_set(&ops[3], KDS_OP_DEL, 7, NULL, 1);	/* del: value_len */
	op_put(&ops[4], 5, "good");
	op_set(&ops[5], KDS_OP_GET, 7, NULL, 0);
	ops[5].flags = 0x80000000U;
	ASSERT_EQ(0, do_batch(self->fd, ops, 6, 0, &done));
	ASSERT_EQ(6U, done);
	ASSERT_EQ(-EINVAL, ops[0].result);
	ASSERT_EQ(-EINVAL, ops[1].result);
	ASSERT_EQ(-EINVAL, ops[2].result);
	ASSERT_EQ(-EINVAL, ops[3].result);
	ASSERT_EQ(0, ops[4].result);
	ASSERT_EQ(-EINVAL, ops[5].result);
	ASSERT_EQ(0, kds_holds(self->fd, 7, "kept"));
	ASSERT_EQ(0, kds_holds(self->fd, 5, "good"));
	ASSERT_EQ(2, kds_nr_entries(self->fd));
}

TEST_F(batch, put_with_noreplace_of_an_existing_key_is_eexist_and_keeps_it)
{
	struct kds_batch_op ops[4];
	char out[8] = "#######";
	__u32 done = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	op_put(&ops[0], 1, "new");
	ops[0].flags = KDS_PUT_NOREPLACE;
	op_put(&ops[1], 2, "two");
	ops[1].flags = KDS_PUT_NOREPLACE;
	op_set(&ops[2], KDS_OP_GET, 1, out, sizeof(out));
	op_put(&ops[3], 2, "again");
	ops[3].flags = KDS_PUT_NOREPLACE;
	ASSERT_EQ(0, do_batch(self->fd, ops, 4, 0, &done));
	ASSERT_EQ(4U, done);
	ASSERT_EQ(-EEXIST, ops[0].result);
	ASSERT_EQ(0, ops[1].result);
	/* the get after the refused put sees the old value */
	ASSERT_EQ(0, ops[2].result);
	ASSERT_EQ(3U, ops[2].value_len);
	ASSERT_EQ(0, memcmp(out, "old", 3));
	/* a key the same batch put is one that exists */
	ASSERT_EQ(-EEXIST, ops[3].result);
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
	ASSERT_EQ(0, kds_holds(self->fd, 2, "two"));
	ASSERT_EQ(2, kds_nr_entries(self->fd));
}

TEST_F(batch, put_without_noreplace_still_replaces)
{
	struct kds_batch_op ops[1];
	__u32 done = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	op_put(&ops[0], 1, "new");
	ASSERT_EQ(0, do_batch(self->fd, ops, 1, 0, &done));
	ASSERT_EQ(1U, done);
	ASSERT_EQ(0, ops[0].result);
	ASSERT_EQ(0, kds_holds(self->fd, 1, "new"));
}

TEST_F(batch, eexist_of_noreplace_stops_a_batch_on_error)
{
	struct kds_batch_op ops[2];
	__u32 done = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	op_put(&ops[0], 1, "new");
	ops[0].flags = KDS_PUT_NOREPLACE;
	op_put(&ops[1], 2, "two");
	ASSERT_EQ(0, do_batch(self->fd, ops, 2, KDS_BATCH_STOP_ON_ERROR,
			      &done));
	ASSERT_EQ(1U, done);
	ASSERT_EQ(-EEXIST, ops[0].result);
	ASSERT_EQ(12345, ops[1].result);
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 2, "two"));
}

TEST_F(batch, flags_on_a_get_or_a_del_are_einval_for_that_op)
{
	struct kds_batch_op ops[4];
	char out[8] = "#######";
	__u32 done = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "kept"));
	op_set(&ops[0], KDS_OP_GET, 1, out, sizeof(out));
	ops[0].flags = KDS_PUT_NOREPLACE;
	op_set(&ops[1], KDS_OP_DEL, 1, NULL, 0);
	ops[1].flags = KDS_PUT_NOREPLACE;
	op_set(&ops[2], KDS_OP_DEL, 1, NULL, 0);
	ops[2].flags = 1U << 31;
	op_set(&ops[3], KDS_OP_GET, 1, out, sizeof(out));
	ASSERT_EQ(0, do_batch(self->fd, ops, 4, 0, &done));
	ASSERT_EQ(4U, done);
	ASSERT_EQ(-EINVAL, ops[0].result);
	ASSERT_EQ(-EINVAL, ops[1].result);
	ASSERT_EQ(-EINVAL, ops[2].result);
	/* the good get after them still runs */
	ASSERT_EQ(0, ops[3].result);
	ASSERT_EQ(4U, ops[3].value_len);
	ASSERT_EQ(0, memcmp(out, "kept", 4));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
}

TEST_F(batch, unknown_put_flags_are_einval_and_change_nothing)
{
	const __u32 bad[] = { 1U << 1, 1U << 31, KDS_PUT_NOREPLACE | 1U << 4 };
	struct kds_batch_op ops[2 * ARRAY_SIZE(bad)];
	__u32 done = 0, i;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* of an existing key and of a new one */
		op_put(&ops[2 * i], 1, "new");
		ops[2 * i].flags = bad[i];
		op_put(&ops[2 * i + 1], 100 + i, "new");
		ops[2 * i + 1].flags = bad[i];
	}
	ASSERT_EQ(0, do_batch(self->fd, ops, ARRAY_SIZE(ops), 0, &done));
	ASSERT_EQ((__u32)ARRAY_SIZE(ops), done);
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		ASSERT_EQ(-EINVAL, ops[i].result) TH_LOG("op %u", i);
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(batch, zero_ops_do_nothing)
{
	__u32 done = 99;

	ASSERT_EQ(0, do_batch(self->fd, NULL, 0, 0, &done));
	ASSERT_EQ(0U, done);
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(batch, batch_max_ops_work_and_one_more_is_e2big)
{
	struct kds_batch_op *ops = calloc(KDS_BATCH_MAX + 1, sizeof(*ops));
	__u32 i, done = 0;

	ASSERT_NE(NULL, ops);
	for (i = 0; i <= KDS_BATCH_MAX; i++)
		op_put(&ops[i], i, "v");
	ASSERT_EQ(-E2BIG, do_batch(self->fd, ops, KDS_BATCH_MAX + 1, 0, &done));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
	ASSERT_EQ(-E2BIG, do_batch(self->fd, ops, 0xffffffffU, 0, &done));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
	ASSERT_EQ(0, do_batch(self->fd, ops, KDS_BATCH_MAX, 0, &done));
	ASSERT_EQ((__u32)KDS_BATCH_MAX, done);
	ASSERT_EQ(0, ops[KDS_BATCH_MAX - 1].result);
	ASSERT_EQ(KDS_BATCH_MAX, kds_nr_entries(self->fd));
	free(ops);
}

TEST_F(batch, op_array_that_faults_is_efault_and_changes_nothing)
{
	ASSERT_EQ(-EFAULT, do_batch(self->fd, kds_unmapped(), 4, 0, NULL));
	ASSERT_EQ(-EFAULT, do_batch(self->fd, NULL, 4, 0, NULL));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

/*
 * An array of @count ops whose first @nr end where an unmapped page begins:
 * those @nr run and done counts them (the kernel reads the array a few ops
 * at a time: a fault inside a later chunk must stop at the same op).
 */
static void array_faults_after(struct __test_metadata *_metadata,
			       FIXTURE_DATA(batch) *self, int nr, __u32 count)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kds_batch_op *ops;
	char *p;
	__u32 done = 0;
	int i;

	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + page, page));
	ops = (struct kds_batch_op *)(p + page) - nr;
	for (i = 0; i < nr; i++)
		op_put(&ops[i], 10 + i, "ran");
	EXPECT_EQ(-EFAULT, do_batch(self->fd, ops, count, 0, &done));
	EXPECT_EQ((__u32)nr, done);
	for (i = 0; i < nr; i++) {
		EXPECT_EQ(0, ops[i].result);
		EXPECT_EQ(0, kds_holds(self->fd, 10 + i, "ran"));
	}
	EXPECT_EQ(nr, kds_nr_entries(self->fd));
	munmap(p, page);
}

TEST_F(batch, array_that_faults_part_way_runs_the_ops_before_and_counts_them)
{
	array_faults_after(_metadata, self, 3, 5);
}

TEST_F(batch, array_that_faults_after_eleven_ops_runs_eleven)
{
	array_faults_after(_metadata, self, 11, 20);
}

/* A newer caller's larger op: a zero tail runs, a non-zero tail is E2BIG. */
struct big_op {
	struct kds_batch_op op;
	__u64 tail;
};

TEST_F(batch, larger_ops_run_with_a_zero_tail_and_are_e2big_without)
{
	struct big_op ops[10];
	struct kds_batch b = {
		.size = sizeof(b),
		.ops = kds_ptr(ops),
		.count = 10,
		.op_size = sizeof(ops[0]),
	};
	char out[8] = "";
	int i;

	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 9; i++)
		op_put(&ops[i].op, 200 + i, "big");
	ops[3].tail = 1;
	op_set(&ops[9].op, KDS_OP_GET, 208, out, sizeof(out));
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_BATCH, &b));
	ASSERT_EQ(10U, b.done);
	for (i = 0; i < 9; i++)
		EXPECT_EQ(i == 3 ? -E2BIG : 0, ops[i].op.result);
	EXPECT_EQ(0, ops[9].op.result);
	EXPECT_EQ(3U, ops[9].op.value_len);
	EXPECT_EQ(0, memcmp(out, "big", 3));
	EXPECT_EQ(-ENOENT, kds_holds(self->fd, 203, "big"));
	EXPECT_EQ(8, kds_nr_entries(self->fd));
}

/*
 * A read-only array: the first op runs, its answer cannot be written: the
 * batch stops there with EFAULT, done counts that op, and the second never
 * runs.
 */
TEST_F(batch, read_only_array_is_efault_at_the_first_answer)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kds_batch_op *ops;
	__u32 done = 0;

	ops = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ops);
	op_put(&ops[0], 1, "one");
	op_put(&ops[1], 2, "two");
	ASSERT_EQ(0, mprotect(ops, page, PROT_READ));
	EXPECT_EQ(-EFAULT, do_batch(self->fd, ops, 2, 0, &done));
	EXPECT_EQ(1U, done);
	EXPECT_EQ(0, kds_holds(self->fd, 1, "one"));
	EXPECT_EQ(1, kds_nr_entries(self->fd));
	munmap(ops, page);
}

TEST_F(batch, op_value_that_faults_is_efault_and_changes_nothing)
{
	struct kds_batch_op ops[1];
	__u32 done = 0;
	int ret;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	op_set(&ops[0], KDS_OP_PUT, 1, kds_unmapped(), 8);
	ret = do_batch(self->fd, ops, 1, 0, &done);
	/* Either the op reports it, or the whole batch does. */
	if (ret == 0) {
		ASSERT_EQ(1U, done);
		ASSERT_EQ(-EFAULT, ops[0].result);
	} else {
		ASSERT_EQ(-EFAULT, ret);
	}
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(batch, bad_batch_header_is_einval_and_changes_nothing)
{
	struct kds_batch_op ops[1];
	struct kds_batch b;

	op_put(&ops[0], 1, "x");
#define FRESH() do {							\
		memset(&b, 0, sizeof(b));				\
		b.size = sizeof(b);					\
		b.ops = kds_ptr(ops);					\
		b.count = 1;						\
		b.op_size = sizeof(ops[0]);				\
	} while (0)
	FRESH();
	b.flags = 1U << 7;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_BATCH, &b));
	FRESH();
	b.reserved = 1;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_BATCH, &b));
	FRESH();
	b.op_size = sizeof(ops[0]) - 1;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_BATCH, &b));
	FRESH();
	b.op_size = 0;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_BATCH, &b));
	FRESH();
	b.op_size = (__u32)sysconf(_SC_PAGESIZE) + 1;
	ASSERT_EQ(-E2BIG, kds_ioctl(self->fd, KDS_IOC_BATCH, &b));
	FRESH();
	b.size = sizeof(b) - 1;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_BATCH, &b));
	FRESH();
	b.size = 0;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_BATCH, &b));
#undef FRESH
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(batch, larger_batch_struct_follows_the_growth_rules)
{
	struct kds_batch_op ops[1];
	struct {
		struct kds_batch b;
		__u64 tail;
	} g = {
		.b = {
			.size = sizeof(g), .ops = kds_ptr(ops), .count = 1,
			.op_size = sizeof(ops[0]),
		},
		.tail = 1,
	};

	op_put(&ops[0], 1, "x");
	ASSERT_EQ(-E2BIG, kds_ioctl(self->fd, KDS_IOC_BATCH, &g));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
	g.tail = 0;
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_BATCH, &g));
	ASSERT_EQ(1U, g.b.done);
	ASSERT_EQ(0, ops[0].result);
	ASSERT_EQ(0, kds_holds(self->fd, 1, "x"));
}

/* ---- range ----------------------------------------------------------- */

/*
 * Keys up to the backend's largest (kds_key_max(): KDS_U64_MAX, or
 * 4294967295 for xarray and maple on a 32-bit kernel), set by
 * FIXTURE_SETUP(range): max, 1000, 0, 7, max - 1, 1, 1 << 32 (1 << 31
 * where keys are 32 bits), 999.
 */
static __u64 some_keys[8];
/* The same, sorted. */
static __u64 some_keys_sorted[8];

static void set_some_keys(const char *backend)
{
	const __u64 max = kds_key_max(backend);
	const __u64 mid = max > KDS_ULONG32_MAX ? 1ULL << 32 : 1ULL << 31;
	const __u64 keys[] = { max, 1000, 0, 7, max - 1, 1, mid, 999 };
	const __u64 sorted[] = { 0, 1, 7, 999, 1000, mid, max - 1, max };

	_Static_assert(sizeof(keys) == sizeof(some_keys), "some_keys");
	_Static_assert(sizeof(sorted) == sizeof(some_keys_sorted), "sorted");
	memcpy(some_keys, keys, sizeof(keys));
	memcpy(some_keys_sorted, sorted, sizeof(sorted));
}

FIXTURE(range) {
	int fd;
	__u64 buf[8192];	/* 64 KiB, 8-byte aligned */
};

FIXTURE_VARIANT(range) {
	KDS_VARIANT_FIELDS;
};

KDS_ORDERED_VARIANTS(range);

FIXTURE_SETUP(range)
{
	KDS_SETUP_OPEN();
	set_some_keys(variant->backend);
}

FIXTURE_TEARDOWN(range)
{
	KDS_TEARDOWN_CLOSE();
}

static int do_range(int fd, __u64 lo, __u64 hi, void *buf, __u32 len,
		    struct kds_range *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->lo = lo;
	r->hi = hi;
	r->buf = kds_ptr(buf);
	r->buf_len = len;
	r->count = 12345;
	return kds_ioctl(fd, KDS_IOC_RANGE, r);
}

/* One record of a range buffer. */
struct rec {
	__u64 key;
	const char *val;
	__u32 len;
};

/*
 * Walk @count records of @buf (@len bytes): each header and value in
 * bounds, pad and padding zero.  Returns 0, or the index of the first bad
 * record plus one.
 */
static int parse_recs(const void *buf, __u32 len, __u32 count,
		      struct rec *out)
{
	const char *p = buf;
	__u32 off = 0, i, j;

	for (i = 0; i < count; i++) {
		struct kds_rec h;
		__u32 sz;

		if (off + sizeof(h) > len)
			return (int)i + 1;
		memcpy(&h, p + off, sizeof(h));
		sz = KDS_REC_SIZE(h.value_len);
		if (h.pad || off + sz > len)
			return (int)i + 1;
		for (j = (__u32)sizeof(h) + h.value_len; j < sz; j++)
			if (p[off + j])
				return (int)i + 1;
		out[i].key = h.key;
		out[i].val = p + off + sizeof(h);
		out[i].len = h.value_len;
		off += sz;
	}
	return 0;
}

static bool rec_is(const struct rec *r, __u64 key, const char *val)
{
	return r->key == key && r->len == strlen(val) &&
	       !memcmp(r->val, val, r->len);
}

static void val_of(char *buf, size_t cap, __u64 key)
{
	snprintf(buf, cap, "v%" PRIu64, (uint64_t)key);
}

/* Put each key with the value val_of(key). */
static int put_keys(int fd, const __u64 *keys, size_t n)
{
	char v[32];
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		val_of(v, sizeof(v), keys[i]);
		ret = kds_put_str(fd, keys[i], v);
		if (ret)
			return ret;
	}
	return 0;
}

TEST_F(range, all_keys_come_back_in_key_order)
{
	struct kds_range r;
	struct rec recs[16];
	char v[32];
	size_t i;

	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	ASSERT_EQ(0, do_range(self->fd, 0, KDS_U64_MAX, self->buf,
			      sizeof(self->buf), &r));
	ASSERT_EQ(ARRAY_SIZE(some_keys), r.count);
	ASSERT_EQ(0U, r.out_flags & KDS_RANGE_MORE);
	ASSERT_EQ(0, parse_recs(self->buf, sizeof(self->buf), r.count, recs));
	for (i = 0; i < ARRAY_SIZE(some_keys_sorted); i++) {
		val_of(v, sizeof(v), some_keys_sorted[i]);
		ASSERT_TRUE(rec_is(&recs[i], some_keys_sorted[i], v))
			TH_LOG("record %zu: key %llu", i, (unsigned long long)recs[i].key);
	}
}

TEST_F(range, bounds_are_inclusive)
{
	const __u64 max = kds_key_max(variant->backend);
	struct kds_range r;
	struct rec recs[16];

	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	ASSERT_EQ(0, do_range(self->fd, 7, 1000, self->buf, sizeof(self->buf), &r));
	ASSERT_EQ(3U, r.count);
	ASSERT_EQ(0, parse_recs(self->buf, sizeof(self->buf), r.count, recs));
	ASSERT_TRUE(rec_is(&recs[0], 7, "v7"));
	ASSERT_TRUE(rec_is(&recs[1], 999, "v999"));
	ASSERT_TRUE(rec_is(&recs[2], 1000, "v1000"));
	/* The extremes. */
	ASSERT_EQ(0, do_range(self->fd, 0, 1, self->buf, sizeof(self->buf), &r));
	ASSERT_EQ(2U, r.count);
	ASSERT_EQ(0, parse_recs(self->buf, sizeof(self->buf), r.count, recs));
	ASSERT_TRUE(rec_is(&recs[0], 0, "v0"));
	ASSERT_TRUE(rec_is(&recs[1], 1, "v1"));
	ASSERT_EQ(0, do_range(self->fd, max - 1, max, self->buf,
			      sizeof(self->buf), &r));
	ASSERT_EQ(2U, r.count);
	ASSERT_EQ(0, parse_recs(self->buf, sizeof(self->buf), r.count, recs));
	ASSERT_EQ(max - 1, recs[0].key);
	ASSERT_EQ(max, recs[1].key);
	ASSERT_EQ(0, do_range(self->fd, max - 1, KDS_U64_MAX, self->buf,
			      sizeof(self->buf), &r));
	ASSERT_EQ(2U, r.count);
	ASSERT_EQ(0U, r.out_flags);
}

TEST_F(range, single_key_range_returns_that_entry)
{
	const __u64 max = kds_key_max(variant->backend);
	struct kds_range r;
	struct rec recs[2];

	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	ASSERT_EQ(0, do_range(self->fd, 999, 999, self->buf, sizeof(self->buf), &r));
	ASSERT_EQ(1U, r.count);
	ASSERT_EQ(0, parse_recs(self->buf, sizeof(self->buf), r.count, recs));
	ASSERT_TRUE(rec_is(&recs[0], 999, "v999"));
	ASSERT_EQ(0, do_range(self->fd, max, max, self->buf,
			      sizeof(self->buf), &r));
	ASSERT_EQ(1U, r.count);
	ASSERT_EQ(0, parse_recs(self->buf, sizeof(self->buf), r.count, recs));
	ASSERT_EQ(max, recs[0].key);
	ASSERT_EQ(0, do_range(self->fd, 0, 0, self->buf, sizeof(self->buf), &r));
	ASSERT_EQ(1U, r.count);
}

TEST_F(range, range_without_keys_returns_nothing)
{
	struct kds_range r;

	ASSERT_EQ(0, do_range(self->fd, 0, KDS_U64_MAX, self->buf,
			      sizeof(self->buf), &r));
	ASSERT_EQ(0U, r.count);
	ASSERT_EQ(0U, r.out_flags);
	ASSERT_EQ(0U, r.next);
	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	ASSERT_EQ(0, do_range(self->fd, 8, 998, self->buf, sizeof(self->buf), &r));
	ASSERT_EQ(0U, r.count);
	ASSERT_EQ(0U, r.out_flags);
	ASSERT_EQ(0U, r.next);
	ASSERT_EQ(0, do_range(self->fd, 2, 2, self->buf, sizeof(self->buf), &r));
	ASSERT_EQ(0U, r.count);
}

TEST_F(range, lo_above_hi_is_einval)
{
	struct kds_range r;

	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	ASSERT_EQ(-EINVAL, do_range(self->fd, 1000, 7, self->buf,
				    sizeof(self->buf), &r));
	ASSERT_EQ(-EINVAL, do_range(self->fd, KDS_U64_MAX, 0, self->buf,
				    sizeof(self->buf), &r));
}

TEST_F(range, small_buffer_sets_more_and_resuming_loses_nothing)
{
	__u64 keys[40], lo = 0, last = 0;
	struct kds_range r;
	struct rec recs[8];
	size_t seen = 0, calls = 0;
	/* Room for three records of "v<key>" with up to 7 digits. */
	const __u32 len = 3 * KDS_REC_SIZE(8);
	char v[32];
	__u32 i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		keys[i] = (__u64)i * 37 + 5;
	ASSERT_EQ(0, put_keys(self->fd, keys, ARRAY_SIZE(keys)));
	for (;;) {
		ASSERT_EQ(0, do_range(self->fd, lo, KDS_U64_MAX, self->buf, len, &r));
		ASSERT_LT(0U, r.count);
		ASSERT_GE(3U, r.count);
		ASSERT_EQ(0, parse_recs(self->buf, len, r.count, recs));
		for (i = 0; i < r.count; i++) {
			ASSERT_GT(ARRAY_SIZE(keys), seen);
			val_of(v, sizeof(v), keys[seen]);
			ASSERT_TRUE(rec_is(&recs[i], keys[seen], v))
				TH_LOG("call %zu record %u: key %llu", calls, i,
				       (unsigned long long)recs[i].key);
			last = recs[i].key;
			seen++;
		}
		calls++;
		ASSERT_GT(100U, calls);
		if (!(r.out_flags & KDS_RANGE_MORE))
			break;
		ASSERT_LT(last, r.next);
		ASSERT_GE(keys[seen], r.next);
		lo = r.next;
	}
	ASSERT_EQ(ARRAY_SIZE(keys), seen);
	ASSERT_LE(ARRAY_SIZE(keys) / 3, calls);
}

/*
 * KDS_RANGE_MORE comes back in out_flags, flags is left as it was: the
 * same struct, with lo = next, asks for the rest.
 */
TEST_F(range, full_buffer_sets_out_flags_more_and_next_gives_the_rest)
{
	const __u64 keys[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	const __u32 len = 4 * KDS_REC_SIZE(2);	/* four of "v<digit>" */
	const __u32 want_count[] = { 4, 4, 2 };
	struct kds_range r;
	struct rec recs[4];
	__u32 call, i, seen = 0;
	char v[32];

	ASSERT_EQ(0, put_keys(self->fd, keys, ARRAY_SIZE(keys)));
	ASSERT_EQ(0, do_range(self->fd, 0, KDS_U64_MAX, self->buf, len, &r));
	for (call = 0; call < ARRAY_SIZE(want_count); call++) {
		bool last = call + 1 == ARRAY_SIZE(want_count);

		if (call) {
			r.lo = r.next;
			ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_RANGE, &r))
				TH_LOG("call %u, lo %llu", call,
				       (unsigned long long)r.lo);
		}
		ASSERT_EQ(0U, r.flags);
		ASSERT_EQ(want_count[call], r.count) TH_LOG("call %u", call);
		ASSERT_EQ(last ? 0U : KDS_RANGE_MORE, r.out_flags)
			TH_LOG("call %u", call);
		ASSERT_EQ(last ? 0U : seen + r.count, r.next)
			TH_LOG("call %u", call);
		ASSERT_EQ(0U, r.reserved[0] | r.reserved[1] | r.reserved[2]);
		ASSERT_EQ(0, parse_recs(self->buf, len, r.count, recs));
		for (i = 0; i < r.count; i++, seen++) {
			val_of(v, sizeof(v), keys[seen]);
			ASSERT_TRUE(rec_is(&recs[i], keys[seen], v))
				TH_LOG("call %u record %u", call, i);
		}
	}
	ASSERT_EQ(ARRAY_SIZE(keys), seen);
}

TEST_F(range, more_as_an_input_flag_is_einval)
{
	struct kds_range r;
	char v[32];

	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	memset(self->buf, 0xee, sizeof(self->buf));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = KDS_RANGE_MORE;
	r.hi = KDS_U64_MAX;
	r.buf = kds_ptr(self->buf);
	r.buf_len = sizeof(self->buf);
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_RANGE, &r));
	memset(v, 0xee, sizeof(v));
	ASSERT_EQ(0, memcmp(self->buf, v, sizeof(v)));
	r.flags = 1U << 31;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_RANGE, &r));
	r.flags = 0;
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_RANGE, &r));
	ASSERT_EQ(ARRAY_SIZE(some_keys), r.count);
}

TEST_F(range, nonzero_reserved_is_einval)
{
	struct kds_range r;
	__u32 i;

	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	for (i = 0; i < ARRAY_SIZE(r.reserved); i++) {
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.hi = KDS_U64_MAX;
		r.buf = kds_ptr(self->buf);
		r.buf_len = sizeof(self->buf);
		r.reserved[i] = i == 1 ? 1U << 31 : 1;
		ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_RANGE, &r))
			TH_LOG("reserved[%u]", i);
	}
	r.reserved[ARRAY_SIZE(r.reserved) - 1] = 0;
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_RANGE, &r));
	ASSERT_EQ(ARRAY_SIZE(some_keys), r.count);
}

/*
 * At the backend's largest key (KDS_U64_MAX; see kds_key_max()) a resumed
 * range ends without wrapping; above it (4294967295 for xarray and maple
 * on a 32-bit kernel) a range finds nothing.
 */
TEST_F(range, resume_ends_cleanly_at_the_largest_key)
{
	const __u64 max = kds_key_max(variant->backend);
	const __u64 keys[] = { max - 1, max };
	struct kds_range r;
	struct rec recs[2];
	char v[32], vmax[32];
	__u32 one;

	val_of(v, sizeof(v), max - 1);
	val_of(vmax, sizeof(vmax), max);
	one = KDS_REC_SIZE(strlen(vmax));
	ASSERT_EQ(KDS_REC_SIZE(strlen(v)), one);
	ASSERT_EQ(0, put_keys(self->fd, keys, ARRAY_SIZE(keys)));
	ASSERT_EQ(0, do_range(self->fd, max - 1, KDS_U64_MAX, self->buf,
			      one, &r));
	ASSERT_EQ(1U, r.count);
	ASSERT_EQ(KDS_RANGE_MORE, r.out_flags & KDS_RANGE_MORE);
	ASSERT_EQ(max, r.next);
	ASSERT_EQ(0, parse_recs(self->buf, one, 1, recs));
	ASSERT_TRUE(rec_is(&recs[0], max - 1, v));
	ASSERT_EQ(0, do_range(self->fd, r.next, KDS_U64_MAX, self->buf, one, &r));
	ASSERT_EQ(1U, r.count);
	ASSERT_EQ(0U, r.out_flags & KDS_RANGE_MORE);
	ASSERT_EQ(0U, r.next);
	ASSERT_EQ(0, parse_recs(self->buf, one, 1, recs));
	ASSERT_TRUE(rec_is(&recs[0], max, vmax));
	if (max < KDS_U64_MAX) {
		ASSERT_EQ(0, do_range(self->fd, max + 1, KDS_U64_MAX,
				      self->buf, sizeof(self->buf), &r));
		ASSERT_EQ(0U, r.count);
		ASSERT_EQ(0U, r.out_flags);
		ASSERT_EQ(0U, r.next);
	}
}

TEST_F(range, records_are_padded_to_eight_bytes)
{
	const __u32 lens[] = { 0, 1, 7, 8, 9, 15, 16, 17 };
	struct kds_range r;
	struct rec recs[8];
	char val[32];
	__u32 i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		memset(val, 'a' + (int)i, sizeof(val));
		ASSERT_EQ(0, kds_put(self->fd, 100 + i, val, lens[i]));
	}
	memset(self->buf, 0xee, sizeof(self->buf));
	ASSERT_EQ(0, do_range(self->fd, 0, KDS_U64_MAX, self->buf,
			      sizeof(self->buf), &r));
	ASSERT_EQ(ARRAY_SIZE(lens), r.count);
	ASSERT_EQ(0, parse_recs(self->buf, sizeof(self->buf), r.count, recs));
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		ASSERT_EQ(100U + i, recs[i].key);
		ASSERT_EQ(lens[i], recs[i].len);
		if (lens[i]) {
			ASSERT_EQ('a' + (int)i, recs[i].val[0]);
			ASSERT_EQ('a' + (int)i, recs[i].val[lens[i] - 1]);
		}
	}
}

TEST_F(range, first_record_that_does_not_fit_is_erange)
{
	struct kds_range r;

	ASSERT_EQ(0, kds_put_str(self->fd, 5, "0123456789"));
	ASSERT_EQ(-ERANGE, do_range(self->fd, 0, KDS_U64_MAX, self->buf,
				    KDS_REC_SIZE(10) - 1, &r));
	ASSERT_EQ(-ERANGE, do_range(self->fd, 0, KDS_U64_MAX, self->buf, 8, &r));
	ASSERT_EQ(0, do_range(self->fd, 0, KDS_U64_MAX, self->buf,
			      KDS_REC_SIZE(10), &r));
	ASSERT_EQ(1U, r.count);
}

TEST_F(range, buffer_that_faults_is_efault)
{
	struct kds_range r;
	char *fault, *half;

	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	ASSERT_EQ(-EFAULT, do_range(self->fd, 0, KDS_U64_MAX, kds_unmapped(),
				    4096, &r));
	/* Good for one record, then a fault. */
	half = kds_fault_buf(KDS_REC_SIZE(2), &fault);
	ASSERT_NE(NULL, half);
	ASSERT_EQ(-EFAULT, do_range(self->fd, 0, KDS_U64_MAX, half, 4096, &r));
	ASSERT_EQ((long)ARRAY_SIZE(some_keys), kds_nr_entries(self->fd));
}

TEST_F(range, bad_range_struct_is_einval)
{
	struct kds_range r;

	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = KDS_RANGE_MORE;	/* out only, in out_flags */
	r.hi = KDS_U64_MAX;
	r.buf = kds_ptr(self->buf);
	r.buf_len = sizeof(self->buf);
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_RANGE, &r));
	r.flags = 0;
	r.size = sizeof(r) - 1;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_RANGE, &r));
	r.size = 0;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_RANGE, &r));
}

TEST_F(range, larger_range_struct_follows_the_growth_rules)
{
	struct {
		struct kds_range r;
		__u64 tail;
	} g;

	ASSERT_EQ(0, put_keys(self->fd, some_keys, ARRAY_SIZE(some_keys)));
	memset(&g, 0, sizeof(g));
	g.r.size = sizeof(g);
	g.r.hi = KDS_U64_MAX;
	g.r.buf = kds_ptr(self->buf);
	g.r.buf_len = sizeof(self->buf);
	g.tail = 1;
	ASSERT_EQ(-E2BIG, kds_ioctl(self->fd, KDS_IOC_RANGE, &g));
	g.tail = 0;
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_RANGE, &g));
	ASSERT_EQ(ARRAY_SIZE(some_keys), g.r.count);
}

/* ---- range on list and hash ------------------------------------------ */

/*
 * A store tall enough for a four-level maple tree (40960 keys), cleared in
 * one call: every backend that keeps key order empties it and keeps
 * working.  Regression: maple's clear crashed 6.1 in an RCU callback.
 */
TEST_F(range, clear_of_a_tall_store_empties_it)
{
	static struct kds_batch_op ops[KDS_BATCH_MAX];
	__u32 done = 0, i, round;

	for (round = 0; round < 10; round++) {
		for (i = 0; i < KDS_BATCH_MAX; i++)
			op_set(&ops[i], KDS_OP_PUT, (__u64)round * KDS_BATCH_MAX + i + 1,
			       "v", 1);
		ASSERT_EQ(0, do_batch(self->fd, ops, KDS_BATCH_MAX, 0, &done));
		ASSERT_EQ((__u32)KDS_BATCH_MAX, done);
	}
	ASSERT_EQ(10LL * KDS_BATCH_MAX, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0LL, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_put_str(self->fd, 7, "after"));
	ASSERT_EQ(0, kds_holds(self->fd, 7, "after"));
}

FIXTURE(range_unordered) {
	int fd;
	__u64 buf[512];
};

FIXTURE_VARIANT(range_unordered) {
	KDS_VARIANT_FIELDS;
};

KDS_UNORDERED_VARIANTS(range_unordered);

FIXTURE_SETUP(range_unordered)
{
	KDS_SETUP_OPEN();
}

FIXTURE_TEARDOWN(range_unordered)
{
	KDS_TEARDOWN_CLOSE();
}

TEST_F(range_unordered, range_is_eopnotsupp_and_changes_nothing)
{
	struct kds_range r;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "one"));
	ASSERT_EQ(-EOPNOTSUPP, do_range(self->fd, 0, KDS_U64_MAX, self->buf,
					sizeof(self->buf), &r));
	ASSERT_EQ(-EOPNOTSUPP, do_range(self->fd, 1, 1, self->buf,
					sizeof(self->buf), &r));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "one"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_HARNESS_MAIN
