// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl, the command-line tool, as a user meets it: what it prints,
 * its exit status (0 ok, 1 refused or not found, 2 usage), and a one-line
 * message on stderr naming the device and the errno text.  The store is
 * checked through the ioctls after each command.
 */
#include "kds_test.h"

#include <stdarg.h>

#define KDSCTL	"/usr/bin/kdsctl"

FIXTURE(kdsctl) {
	int fd;
	char dev[64];
	struct kds_run r;
};

FIXTURE_VARIANT(kdsctl) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(kdsctl);

FIXTURE_SETUP(kdsctl)
{
	ASSERT_EQ(0, access(KDSCTL, X_OK)) TH_LOG("%s is missing", KDSCTL);
	KDS_SETUP_OPEN();
	kds_path(self->dev, sizeof(self->dev), variant->backend);
}

FIXTURE_TEARDOWN(kdsctl)
{
	KDS_TEARDOWN_CLOSE();
}

/* kdsctl -b <backend> <args...> */
#define CTL(...)	kds_run(&self->r, KDSCTL, "-b", (char *)variant->backend, __VA_ARGS__)

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * The failure message: one line on stderr, naming the device and the
 * text of one of the errnos given (0 ends the list).
 */
static bool one_line_naming(const char *err, const char *dev, ...)
{
	va_list ap;
	bool found = false;
	int e;

	if (count_lines(err) != 1 || err[strlen(err) - 1] != '\n' ||
	    !strstr(err, dev))
		return false;
	va_start(ap, dev);
	while ((e = va_arg(ap, int)) != 0)
		if (strstr(err, strerror(e)))
			found = true;
	va_end(ap);
	return found;
}

TEST_F(kdsctl, put_then_get_prints_the_value_and_a_newline)
{
	ASSERT_EQ(0, CTL("put", "42", "hello world"));
	ASSERT_STREQ("", self->r.out);
	ASSERT_STREQ("", self->r.err);
	ASSERT_EQ(0, kds_holds(self->fd, 42, "hello world"));
	ASSERT_EQ(0, CTL("get", "42"));
	ASSERT_STREQ("hello world\n", self->r.out);
	ASSERT_STREQ("", self->r.err);
}

TEST_F(kdsctl, get_of_an_empty_value_prints_just_a_newline)
{
	ASSERT_EQ(0, kds_put(self->fd, 1, "", 0));
	ASSERT_EQ(0, CTL("get", "1"));
	ASSERT_STREQ("\n", self->r.out);
}

/*
 * The extremes: 0 and the backend's largest key, 18446744073709551615
 * (4294967295 for xarray and maple on a 32-bit kernel, which refuse the
 * keys above it with EOVERFLOW; see kds_key_max()).
 */
TEST_F(kdsctl, hex_and_extreme_keys_are_accepted)
{
	const __u64 max = kds_key_max(variant->backend);
	char dec[32], hex[32];

	snprintf(dec, sizeof(dec), "%llu", (unsigned long long)max);
	snprintf(hex, sizeof(hex), "%#llx", (unsigned long long)max);
	ASSERT_EQ(0, CTL("put", "0x10", "sixteen"));
	ASSERT_EQ(0, kds_holds(self->fd, 16, "sixteen"));
	ASSERT_EQ(0, CTL("put", dec, "max"));
	ASSERT_EQ(0, kds_holds(self->fd, max, "max"));
	ASSERT_EQ(0, CTL("get", hex));
	ASSERT_STREQ("max\n", self->r.out);
	ASSERT_EQ(0, CTL("put", "0", "zero"));
	ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
	if (max == KDS_U64_MAX)
		return;
	snprintf(dec, sizeof(dec), "%llu", (unsigned long long)max + 1);
	ASSERT_EQ(1, CTL("put", dec, "over"));
	ASSERT_TRUE(one_line_naming(self->r.err, self->dev, EOVERFLOW, 0))
		TH_LOG("stderr: %s", self->r.err);
	ASSERT_EQ(1, CTL("get", "0xffffffffffffffff"));
	ASSERT_STREQ("", self->r.out);
	ASSERT_TRUE(one_line_naming(self->r.err, self->dev, EOVERFLOW, 0))
		TH_LOG("stderr: %s", self->r.err);
	ASSERT_EQ(3, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
}

TEST_F(kdsctl, get_of_a_missing_key_exits_1_naming_the_device_and_enoent)
{
	ASSERT_EQ(1, CTL("get", "12345"));
	ASSERT_STREQ("", self->r.out);
	ASSERT_TRUE(one_line_naming(self->r.err, self->dev, ENOENT, 0))
		TH_LOG("stderr: %s", self->r.err);
}

TEST_F(kdsctl, del_removes_the_key_and_a_missing_key_exits_1)
{
	ASSERT_EQ(0, kds_put_str(self->fd, 5, "five"));
	ASSERT_EQ(0, CTL("del", "5"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 5, "five"));
	ASSERT_EQ(1, CTL("del", "5"));
	ASSERT_TRUE(one_line_naming(self->r.err, self->dev, ENOENT, 0))
		TH_LOG("stderr: %s", self->r.err);
}

TEST_F(kdsctl, put_over_max_value_size_exits_1_and_keeps_the_old_value)
{
	__u64 mvs = 0;
	char *big;

	ASSERT_EQ(0, kds_param_u64("kds", "max_value_size", &mvs));
	big = malloc(mvs + 2);
	ASSERT_NE(NULL, big);
	memset(big, 'x', mvs + 1);
	big[mvs + 1] = '\0';
	ASSERT_EQ(0, kds_put_str(self->fd, 3, "old"));
	ASSERT_EQ(1, CTL("put", "3", big));
	ASSERT_TRUE(one_line_naming(self->r.err, self->dev, E2BIG, EMSGSIZE, 0))
		TH_LOG("stderr: %s", self->r.err);
	ASSERT_EQ(0, kds_holds(self->fd, 3, "old"));
	/* Exactly max_value_size bytes are fine. */
	big[mvs] = '\0';
	ASSERT_EQ(0, CTL("put", "3", big));
	free(big);
}

TEST_F(kdsctl, dump_prints_the_devices_lines)
{
	static char want[8192];
	ssize_t n;

	ASSERT_EQ(0, kds_put_str(self->fd, 30, "thirty"));
	ASSERT_EQ(0, kds_put_str(self->fd, 10, "ten with spaces"));
	ASSERT_EQ(0, kds_put_str(self->fd, 20, ""));
	ASSERT_EQ(0, CTL("dump"));
	n = kds_dump(self->fd, want, sizeof(want));
	ASSERT_LT(0, n);
	ASSERT_STREQ(want, self->r.out);
	ASSERT_NE(NULL, strstr(self->r.out, "10 ten with spaces\n"));
	ASSERT_NE(NULL, strstr(self->r.out, "20 \n"));
	ASSERT_EQ(3, count_lines(self->r.out));
}

TEST_F(kdsctl, dump_of_an_empty_store_prints_nothing)
{
	ASSERT_EQ(0, CTL("dump"));
	ASSERT_STREQ("", self->r.out);
	ASSERT_STREQ("", self->r.err);
}

TEST_F(kdsctl, range_prints_lines_in_key_order_or_refuses_on_unordered)
{
	ASSERT_EQ(0, kds_put_str(self->fd, 30, "thirty"));
	ASSERT_EQ(0, kds_put_str(self->fd, 10, "ten"));
	ASSERT_EQ(0, kds_put_str(self->fd, 20, "twenty"));
	ASSERT_EQ(0, kds_put_str(self->fd, 40, "forty"));
	if (variant->ordered) {
		ASSERT_EQ(0, CTL("range", "10", "30"));
		ASSERT_STREQ("10 ten\n20 twenty\n30 thirty\n", self->r.out);
		ASSERT_EQ(0, CTL("range", "0", "18446744073709551615"));
		ASSERT_STREQ("10 ten\n20 twenty\n30 thirty\n40 forty\n", self->r.out);
		ASSERT_EQ(0, CTL("range", "11", "19"));
		ASSERT_STREQ("", self->r.out);
	} else {
		ASSERT_EQ(1, CTL("range", "10", "30"));
		ASSERT_STREQ("", self->r.out);
		ASSERT_TRUE(one_line_naming(self->r.err, self->dev, EOPNOTSUPP, 0))
			TH_LOG("stderr: %s", self->r.err);
	}
}

TEST_F(kdsctl, dump_and_range_of_many_keys_print_each_once)
{
	char val[64], line[96];
	int i;

	for (i = 0; i < 300; i++) {
		snprintf(val, sizeof(val), "value-%d-%020d", i, 0);
		ASSERT_EQ(0, kds_put_str(self->fd, (__u64)i, val));
	}
	ASSERT_EQ(0, CTL("dump"));
	ASSERT_EQ(300, count_lines(self->r.out));
	for (i = 0; i < 300; i += 37) {
		snprintf(line, sizeof(line), "%d value-%d-%020d\n", i, i, 0);
		ASSERT_NE(NULL, strstr(self->r.out, line)) TH_LOG("%s", line);
	}
	if (!variant->ordered)
		return;
	ASSERT_EQ(0, CTL("range", "0", "299"));
	ASSERT_EQ(300, count_lines(self->r.out));
	ASSERT_EQ(0, strncmp(self->r.out, "0 value-0-", 10));
	for (i = 0; i < 300; i += 37) {
		snprintf(line, sizeof(line), "%d value-%d-%020d\n", i, i, 0);
		ASSERT_NE(NULL, strstr(self->r.out, line)) TH_LOG("%s", line);
	}
	ASSERT_EQ(0, CTL("range", "100", "149"));
	ASSERT_EQ(50, count_lines(self->r.out));
	ASSERT_EQ(0, strncmp(self->r.out, "100 value-100-", 14));
}

TEST_F(kdsctl, clear_empties_the_store)
{
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));
	ASSERT_EQ(0, kds_put_str(self->fd, 2, "b"));
	ASSERT_EQ(0, CTL("clear"));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(kdsctl, stats_prints_the_counters_the_ioctl_reports)
{
	struct kds_stats st;
	char want[64];

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "abc"));
	ASSERT_EQ(0, kds_put_str(self->fd, 2, "de"));
	ASSERT_EQ(0, CTL("stats"));
	ASSERT_EQ(0, kds_stats(self->fd, &st));
	ASSERT_TRUE(!strncmp(self->r.out, "entries: 2\n", 11)) TH_LOG("%s", self->r.out);
	/* the memory the two entries take: their values, 5 bytes, and more */
	ASSERT_LE(5U + 2, st.bytes);
	snprintf(want, sizeof(want), "\nbytes: %llu\n", (unsigned long long)st.bytes);
	ASSERT_NE(NULL, strstr(self->r.out, want)) TH_LOG("%s", self->r.out);
	snprintf(want, sizeof(want), "\nclears: %llu\n", (unsigned long long)st.clears);
	ASSERT_NE(NULL, strstr(self->r.out, want));
	ASSERT_STREQ("", self->r.err);
}

/*
 * After the counters, the shape lines under their sysfs names: list:
 * length; hash: longest_chain, buckets_used, buckets; the trees: height.
 */
TEST_F(kdsctl, stats_prints_the_backends_shape_under_its_sysfs_names)
{
	static const char *const names[] = {
		"length", "longest_chain", "buckets_used", "buckets", "height",
	};
	bool list = !strcmp(variant->backend, "list");
	bool hash = !strcmp(variant->backend, "hash");
	const bool has[] = { list, hash, hash, hash, !list && !hash };
	char want[64], *tail;
	size_t i;
	int ret;
	__u64 v;

	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, kds_put_str(self->fd, i * 977, "v"));
	ASSERT_EQ(0, CTL("stats"));
	/* the shape lines follow the last counter */
	tail = strstr(self->r.out, "\nerrors: ");
	ASSERT_NE(NULL, tail) TH_LOG("%s", self->r.out);
	tail = strchr(tail + 1, '\n');
	ASSERT_NE(NULL, tail);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(want, sizeof(want), "\n%s: ", names[i]);
		if (!has[i]) {
			ASSERT_EQ(NULL, strstr(self->r.out, want))
				TH_LOG("%s", self->r.out);
			continue;
		}
		ret = kds_sysfs_u64(variant->backend, names[i], &v);
		ASSERT_EQ(0, ret) TH_LOG("sysfs %s", names[i]);
		snprintf(want, sizeof(want), "\n%s: %llu\n", names[i],
			 (unsigned long long)v);
		ASSERT_NE(NULL, strstr(tail, want)) TH_LOG("%s", self->r.out);
	}
	ASSERT_STREQ("", self->r.err);
}

TEST_F(kdsctl, usage_errors_exit_2_and_change_nothing)
{
	static const char *const cases[][4] = {
		{ NULL },
		{ "frob", NULL },
		{ "get", NULL },
		{ "get", "1", "2", NULL },
		{ "get", "-1", NULL },
		{ "get", "one", NULL },
		{ "get", "18446744073709551616", NULL },
		{ "put", "1", NULL },
		{ "del", "0x", NULL },
		{ "range", "5", "1", NULL },
		{ "clear", "now", NULL },
	};
	size_t i;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "kept"));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *argv[8] = { KDSCTL, "-b", (char *)variant->backend };
		int j;

		for (j = 0; j < 4 && cases[i][j]; j++)
			argv[3 + j] = (char *)cases[i][j];
		ASSERT_EQ(2, kds_runv(&self->r, argv)) TH_LOG("case %zu", i);
		ASSERT_STREQ("", self->r.out);
		ASSERT_EQ(0, strncmp(self->r.err, "kdsctl: ", 8)) TH_LOG("case %zu", i);
	}
	ASSERT_EQ(2, kds_run(&self->r, KDSCTL, "-b", "nosuch", "get", "1"));
	ASSERT_EQ(2, kds_run(&self->r, KDSCTL, "--no-such-option", "dump"));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

/* Tests of kdsctl itself, not of one backend. */
FIXTURE(cli) {
	struct kds_run r;
};

FIXTURE_SETUP(cli)
{
	ASSERT_EQ(0, access(KDSCTL, X_OK)) TH_LOG("%s is missing", KDSCTL);
}

FIXTURE_TEARDOWN(cli)
{
}

TEST_F(cli, help_exits_0_with_the_usage_on_stdout)
{
	struct kds_run *r = &self->r;

	ASSERT_EQ(0, kds_run(r, KDSCTL, "--help"));
	ASSERT_NE(NULL, strstr(r->out, "put"));
	ASSERT_NE(NULL, strstr(r->out, "range"));
	ASSERT_STREQ("", r->err);
	ASSERT_EQ(0, kds_run(r, KDSCTL, "-h"));
	ASSERT_NE(NULL, strstr(r->out, "get"));
}

TEST_F(cli, default_backend_is_hash)
{
	int fd = kds_open("hash");

	ASSERT_LE(0, fd);
	kds_del(fd, 777);
	ASSERT_EQ(0, kds_run(&self->r, KDSCTL, "put", "777", "in hash"));
	ASSERT_EQ(0, kds_holds(fd, 777, "in hash"));
	ASSERT_EQ(0, kds_del(fd, 777));
	close(fd);
}

/* kdsctl bench's usage errors: the same one line as kdsctl's own. */
TEST_F(cli, bench_usage_errors_exit_2_with_one_line)
{
	static const char *const cases[] = {
		"--ops=0", "--no-such-option", "--only=nosuch", "extra", "--format",
	};
	struct kds_run *r = &self->r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(2, kds_run(r, KDSCTL, "bench", (char *)cases[i]))
			TH_LOG("case %zu", i);
		ASSERT_STREQ("", r->out);
		ASSERT_EQ(1, count_lines(r->err)) TH_LOG("stderr: %s", r->err);
		ASSERT_EQ(0, strncmp(r->err, "kdsctl: bench: ", 15))
			TH_LOG("stderr: %s", r->err);
		ASSERT_NE(NULL, strstr(r->err, " (try 'kdsctl bench --help')\n"))
			TH_LOG("stderr: %s", r->err);
	}
}

TEST_F(cli, missing_device_exits_1_naming_it)
{
	ASSERT_EQ(1, kds_run(&self->r, KDSCTL, "-d", "/dev/kds/nosuch", "get", "1"));
	ASSERT_NE(NULL, strstr(self->r.err, "/dev/kds/nosuch"));
	ASSERT_NE(NULL, strstr(self->r.err, strerror(ENOENT)));
}

/* The value of column @col (0-based) of the first TSV line starting with @prefix. */
static double tsv_value(const char *out, const char *prefix, int col)
{
	const char *p = out;
	int i;

	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix))) {
			for (i = 0; i < col && p; i++) {
				p = strchr(p, '\t');
				if (p)
					p++;
			}
			return p ? strtod(p, NULL) : -1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/*
 * A short run of the bench, as make check's smoke test of it: it runs and
 * reports its figures.  No timing is asserted, only that each figure is a
 * positive number of ns per operation.
 */
TEST_F_TIMEOUT(cli, bench_runs_and_reports_its_figures, 300)
{
	static const char *const rows[] = {
		"noop\thash\t", "get-hit\thash\t1000\t16\t-\t",
		"get-hit\thash\t1000\t16\t16\t", "get-miss\thash\t1000\t16\t-\t",
		"put\thash\t1000\t16\t-\t", "del\thash\t1000\t16\t-\t",
	};
	struct kds_run *r = &self->r;
	unsigned int i;
	double v;

	ASSERT_EQ(0, kds_run(r, KDSCTL, "bench", "--backends=hash", "--only=floor,kds",
			     "-n", "1e3", "-s", "16", "--batches=16", "--orders=seq",
			     "--samples=1", "--warmup=0", "--ops=64", "--clear",
			     "--format=tsv", "-q")) TH_LOG("%s", r->err);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* columns: what, backend, n, value_size, batch, order, threads, unit, min */
		v = tsv_value(r->out, rows[i], 8);
		ASSERT_LT(0, v) TH_LOG("no figure for '%s' in:\n%s", rows[i], r->out);
	}
}

TEST_HARNESS_MAIN
