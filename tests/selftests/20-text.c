// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the text interface.  write() takes "put <key> <value>", "del <key>"
 * and "clear" lines and stops at the first bad one; read() dumps
 * "<key> <value>\n" lines in the backend's order; lseek(0) rewinds.
 */
#include "kds_test.h"

#define DUMP_CAP	(1 << 20)

FIXTURE(text) {
	int fd;
	__u32 max_value_size;
	char *dump;
	struct kds_line lines[512];
};

FIXTURE_VARIANT(text) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(text);

FIXTURE_SETUP(text)
{
	KDS_SETUP_OPEN();
	KDS_SETUP_MAX_VALUE_SIZE();
	self->dump = malloc(DUMP_CAP);
	ASSERT_NE(NULL, self->dump);
}

FIXTURE_TEARDOWN(text)
{
	KDS_TEARDOWN_CLOSE();
	free(self->dump);
}

/* Write @s and expect all of it to be taken. */
#define TEXT_OK(s)	ASSERT_EQ((ssize_t)strlen(s), kds_text(self->fd, (s)))

/* Dump the store and parse it into self->lines; the line count. */
static long dump_lines(struct __test_metadata *_metadata,
		       FIXTURE_DATA(text) *self)
{
	size_t bad = 0;
	ssize_t len;
	long n;

	len = kds_dump(self->fd, self->dump, DUMP_CAP);
	EXPECT_LE(0, len);
	if (len < 0)
		return -1;
	n = kds_parse_dump(self->dump, (size_t)len, self->lines,
			   ARRAY_SIZE(self->lines), &bad);
	EXPECT_LE(0, n) TH_LOG("malformed dump at byte %zu: %.40s", bad,
			       self->dump + bad);
	return n;
}

/* close() of @fd: 0 or -errno (the errno of a line it applied). */
static int close_err(int fd)
{
	return close(fd) ? -errno : 0;
}

/*
 * Write @len bytes of @buf to @fd in writes of @block bytes (0: in one
 * write); each must take all its bytes.  0, the -errno of the first write
 * that failed, or -EIO if one took less.
 */
static int write_in_blocks(int fd, const char *buf, size_t len, size_t block)
{
	size_t done, n;
	ssize_t ret;

	for (done = 0; done < len; done += n) {
		n = block && block < len - done ? block : len - done;
		ret = kds_write(fd, buf + done, n);
		if (ret < 0)
			return (int)ret;
		if ((size_t)ret != n)
			return -EIO;
	}
	return 0;
}

/* @n bytes of a value: every byte but '\n', in an order set by @seed. */
static void fill_value(char *v, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)(i * 31 + seed);

		v[i] = c == '\n' ? 'n' : (char)c;
	}
}

/*
 * "put <key> <val>", with a newline or not, through a file of its own in
 * writes of @block bytes, then close(): 0, or the first -errno of a write
 * or the close.
 */
static int put_in_blocks(const char *backend, const char *key,
			 const char *val, size_t vlen, size_t block,
			 bool newline)
{
	char *line = malloc(vlen + strlen(key) + 8);
	size_t len;
	int fd, ret, cret;

	if (!line)
		return -ENOMEM;
	len = (size_t)sprintf(line, "put %s ", key);
	memcpy(line + len, val, vlen);
	len += vlen;
	if (newline)
		line[len++] = '\n';
	fd = kds_open(backend);
	if (fd < 0) {
		free(line);
		return fd;
	}
	ret = write_in_blocks(fd, line, len, block);
	cret = close_err(fd);
	free(line);
	return ret ? ret : cret;
}

/* Does @key hold exactly the @vlen bytes at @val (through a get)? */
static bool holds_bytes(int fd, __u64 key, const char *val, size_t vlen,
			size_t cap)
{
	char *buf = malloc(cap ? cap : 1);
	__u32 len = 0;
	bool same;

	if (!buf)
		return false;
	same = !kds_get(fd, key, buf, (__u32)cap, &len) && len == vlen &&
	       !memcmp(buf, val, vlen);
	free(buf);
	return same;
}

TEST_F(text, put_is_seen_by_ioctl_get)
{
	TEXT_OK("put 42 hello\n");
	ASSERT_EQ(0, kds_holds(self->fd, 42, "hello"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, put_value_is_the_rest_of_the_line_with_its_spaces)
{
	TEXT_OK("put 1 hello  world \t x \n");
	ASSERT_EQ(0, kds_holds(self->fd, 1, "hello  world \t x "));
	TEXT_OK("put 2  leading space\n");
	ASSERT_EQ(0, kds_holds(self->fd, 2, " leading space"));
}

TEST_F(text, put_with_a_trailing_space_stores_an_empty_value)
{
	char buf[4];
	__u32 len = 99;

	TEXT_OK("put 5 \n");
	ASSERT_EQ(0, kds_get(self->fd, 5, buf, sizeof(buf), &len));
	ASSERT_EQ(0U, len);
}

TEST_F(text, put_without_a_value_separator_is_einval)
{
	ASSERT_EQ(-EINVAL, kds_text(self->fd, "put 5\n"));
	ASSERT_EQ(-EINVAL, kds_text(self->fd, "put\n"));
	ASSERT_EQ(-EINVAL, kds_text(self->fd, "put \n"));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(text, put_replaces_an_existing_value)
{
	TEXT_OK("put 3 one\n");
	TEXT_OK("put 3 two\n");
	ASSERT_EQ(0, kds_holds(self->fd, 3, "two"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

/* The backend's largest key (kds_key_max()) in hex: 0xffffffffffffffff. */
TEST_F(text, hex_keys_are_accepted)
{
	const __u64 max = kds_key_max(variant->backend);
	char cmds[128];

	snprintf(cmds, sizeof(cmds),
		 "put 0x10 sixteen\nput %#llx max\nput 0xAb mixed\n",
		 (unsigned long long)max);
	TEXT_OK(cmds);
	ASSERT_EQ(0, kds_holds(self->fd, 16, "sixteen"));
	ASSERT_EQ(0, kds_holds(self->fd, max, "max"));
	ASSERT_EQ(0, kds_holds(self->fd, 0xab, "mixed"));
	TEXT_OK("del 0x10\n");
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 16, "sixteen"));
}

/* The backend's largest key (kds_key_max()): 18446744073709551615. */
TEST_F(text, decimal_largest_key_is_a_key)
{
	const __u64 max = kds_key_max(variant->backend);
	char cmds[128];

	snprintf(cmds, sizeof(cmds), "put %llu max\nput 0 zero\n",
		 (unsigned long long)max);
	TEXT_OK(cmds);
	ASSERT_EQ(0, kds_holds(self->fd, max, "max"));
	ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
}

/*
 * Keys above 4294967295 in text: on a 32-bit kernel xarray and maple
 * refuse a put or del of one with EOVERFLOW (a write stops at that line,
 * after the lines before it) and nothing changes, while 4294967295 is an
 * ordinary key; every other backend, and every backend on a 64-bit
 * kernel, takes them like any key.
 */
TEST_F(text, keys_over_32_bits_are_eoverflow_only_where_indices_are_32_bits)
{
	static const char *const big[] = {
		"4294967296", "0x100000000", "4294967297", "1099511627776",
		"18446744073709551614", "0xffffffffffffffff",
	};
	const bool narrow = kds_kernel_is_32bit() &&
			    kds_backend_ulong_keys(variant->backend);
	char cmds[128];
	size_t i;
	long n, at;

	TEXT_OK("put 4294967295 ulong max\nput 0 zero\n");
	for (i = 0; i < ARRAY_SIZE(big); i++) {
		if (!narrow) {
			snprintf(cmds, sizeof(cmds), "put %s big\n", big[i]);
			TEXT_OK(cmds);
			ASSERT_EQ(3, kds_nr_entries(self->fd)) TH_LOG("%s", cmds);
			snprintf(cmds, sizeof(cmds), "del %s\n", big[i]);
			TEXT_OK(cmds);
			ASSERT_EQ(-ENOENT, kds_text(self->fd, cmds));
			ASSERT_EQ(2, kds_nr_entries(self->fd));
			continue;
		}
		snprintf(cmds, sizeof(cmds), "put %s big\n", big[i]);
		ASSERT_EQ(-EOVERFLOW, kds_text(self->fd, cmds)) TH_LOG("%s", cmds);
		snprintf(cmds, sizeof(cmds), "del %s\n", big[i]);
		ASSERT_EQ(-EOVERFLOW, kds_text(self->fd, cmds)) TH_LOG("%s", cmds);
		snprintf(cmds, sizeof(cmds), "put 1 a\nput %s b\nput 2 c\n",
			 big[i]);
		ASSERT_EQ(8, kds_text(self->fd, cmds)) TH_LOG("%s", cmds);
		snprintf(cmds, sizeof(cmds), "del 1\ndel %s\nput 2 c\n", big[i]);
		ASSERT_EQ(6, kds_text(self->fd, cmds)) TH_LOG("%s", cmds);
		ASSERT_EQ(-ENOENT, kds_holds(self->fd, 1, ""));
		ASSERT_EQ(-ENOENT, kds_holds(self->fd, 2, ""));
		ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
		ASSERT_EQ(0, kds_holds(self->fd, KDS_ULONG32_MAX, "ulong max"));
		ASSERT_EQ(2, kds_nr_entries(self->fd));
	}
	n = dump_lines(_metadata, self);
	ASSERT_EQ(2, n);
	at = kds_find_line(self->lines, n, 0);
	ASSERT_LE(0, at);
	ASSERT_TRUE(kds_line_is(&self->lines[at], "zero"));
	at = kds_find_line(self->lines, n, KDS_ULONG32_MAX);
	ASSERT_LE(0, at);
	ASSERT_TRUE(kds_line_is(&self->lines[at], "ulong max"));
	TEXT_OK("del 4294967295\n");
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, KDS_ULONG32_MAX, ""));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, key_overflow_is_einval)
{
	ASSERT_EQ(-EINVAL, kds_text(self->fd, "put 18446744073709551616 x\n"));
	ASSERT_EQ(-EINVAL, kds_text(self->fd, "put 0x10000000000000000 x\n"));
	ASSERT_EQ(-EINVAL, kds_text(self->fd, "put 99999999999999999999999 x\n"));
	ASSERT_EQ(-EINVAL, kds_text(self->fd, "del 18446744073709551616\n"));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(text, keys_with_a_sign_or_junk_are_einval)
{
	const char *bad[] = {
		"put -1 x\n", "put +1 x\n", "put 1a x\n", "put a x\n",
		"put 0x x\n", "put  1 x\n", "del -1\n", "del 1x\n",
		"del\n", "del \n",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(-EINVAL, kds_text(self->fd, bad[i])) TH_LOG("%s", bad[i]);
	}
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(text, unknown_commands_are_einval)
{
	const char *bad[] = {
		"get 1\n", "PUT 1 x\n", "insert 1 x\n", " put 1 x\n",
		"clear now\n", "del 1 2\n", "x\n",
	};
	size_t i;

	TEXT_OK("put 1 kept\n");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(-EINVAL, kds_text(self->fd, bad[i])) TH_LOG("%s", bad[i]);
	}
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, del_removes_the_key)
{
	TEXT_OK("put 1 a\nput 2 b\n");
	TEXT_OK("del 1\n");
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 1, "a"));
	ASSERT_EQ(0, kds_holds(self->fd, 2, "b"));
}

TEST_F(text, del_of_a_missing_key_is_enoent)
{
	TEXT_OK("put 1 a\n");
	ASSERT_EQ(-ENOENT, kds_text(self->fd, "del 2\n"));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "a"));
}

TEST_F(text, clear_empties_the_store)
{
	TEXT_OK("put 1 a\nput 2 b\nput 3 c\n");
	TEXT_OK("clear\n");
	ASSERT_EQ(0, kds_nr_entries(self->fd));
	TEXT_OK("clear\nput 4 d\n");
	ASSERT_EQ(0, kds_holds(self->fd, 4, "d"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, lines_apply_in_order)
{
	TEXT_OK("put 1 a\nput 2 b\nput 1 c\ndel 2\nput 3 d\n");
	ASSERT_EQ(0, kds_holds(self->fd, 1, "c"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 2, "b"));
	ASSERT_EQ(0, kds_holds(self->fd, 3, "d"));
	TEXT_OK("put 9 x\nclear\nput 8 y\n");
	ASSERT_EQ(0, kds_holds(self->fd, 8, "y"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, bad_line_stops_the_write_and_earlier_lines_stay)
{
	const char *cmds = "put 1 a\nput 2 b\nbogus\nput 3 c\n";

	/* Consumed: the two good lines, 16 bytes. */
	ASSERT_EQ(16, kds_text(self->fd, cmds));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "a"));
	ASSERT_EQ(0, kds_holds(self->fd, 2, "b"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 3, "c"));
	ASSERT_EQ(2, kds_nr_entries(self->fd));
	/* Writing the rest again starts with the bad line. */
	ASSERT_EQ(-EINVAL, kds_text(self->fd, cmds + 16));
	ASSERT_EQ(2, kds_nr_entries(self->fd));
}

TEST_F(text, del_of_a_missing_key_stops_a_write_after_the_lines_before)
{
	ASSERT_EQ(8, kds_text(self->fd, "put 1 a\ndel 99\nput 3 c\n"));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "a"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 3, "c"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, key_overflow_stops_a_write_after_the_lines_before)
{
	ASSERT_EQ(8, kds_text(self->fd,
			      "put 1 a\nput 18446744073709551616 b\nput 2 c\n"));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "a"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, first_line_bad_fails_the_write_and_changes_nothing)
{
	TEXT_OK("put 1 kept\n");
	ASSERT_EQ(-EINVAL, kds_text(self->fd, "frob 1\nput 1 new\nput 2 x\n"));
	ASSERT_EQ(-ENOENT, kds_text(self->fd, "del 7\nput 1 new\n"));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, empty_lines_are_skipped)
{
	const char *cmds = "\n\nput 1 a\n\n\nput 2 b\n\n";

	TEXT_OK(cmds);
	ASSERT_EQ(0, kds_holds(self->fd, 1, "a"));
	ASSERT_EQ(0, kds_holds(self->fd, 2, "b"));
	TEXT_OK("\n");
	ASSERT_EQ(2, kds_nr_entries(self->fd));
}

TEST_F(text, bytes_consumed_run_up_to_the_bad_line)
{
	/* "put 1 a\n" and two empty lines come before the bad line. */
	ASSERT_EQ(10, kds_text(self->fd, "put 1 a\n\n\nput x\nput 2 b\n"));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "a"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, a_long_write_of_many_lines_applies_every_line)
{
	const int lines = 1000;
	size_t len = 0, done = 0;
	char *cmds = malloc((size_t)lines * 40);
	char val[32];
	ssize_t n;
	int i;

	ASSERT_NE(NULL, cmds);
	for (i = 0; i < lines; i++)
		len += (size_t)sprintf(cmds + len, "put %d value %d\n", i * 3, i);
	/* A short write is allowed; the rest is written again. */
	while (done < len) {
		n = kds_write(self->fd, cmds + done, len - done);
		ASSERT_LT(0, n) TH_LOG("write at byte %zu of %zu: %zd", done, len, n);
		ASSERT_EQ('\n', cmds[done + (size_t)n - 1]);	/* whole lines */
		done += (size_t)n;
	}
	ASSERT_EQ(lines, kds_nr_entries(self->fd));
	for (i = 0; i < lines; i += 97) {
		snprintf(val, sizeof(val), "value %d", i);
		ASSERT_EQ(0, kds_holds(self->fd, (__u64)i * 3, val));
	}
	free(cmds);
}

/* A write without a newline waits for close(), which applies it. */
TEST_F(text, a_write_without_a_newline_is_applied_at_close)
{
	int fd = kds_open(variant->backend);

	ASSERT_LE(0, fd);
	ASSERT_EQ(7, kds_text(fd, "put 2 b"));
	EXPECT_EQ(-ENOENT, kds_holds(self->fd, 2, "b"));
	ASSERT_EQ(0, close_err(fd));
	ASSERT_EQ(0, kds_holds(self->fd, 2, "b"));

	fd = kds_open(variant->backend);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, kds_text(fd, "del 2"));
	EXPECT_EQ(0, kds_holds(self->fd, 2, "b"));
	ASSERT_EQ(0, close_err(fd));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 2, "b"));

	fd = kds_open(variant->backend);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, kds_text(fd, "put 3 c\n"));
	ASSERT_EQ(5, kds_text(fd, "clear"));
	EXPECT_EQ(1, kds_nr_entries(self->fd));
	ASSERT_EQ(0, close_err(fd));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

/* The errno of a line that close() applies is close()'s. */
TEST_F(text, a_bad_write_without_a_newline_fails_the_close)
{
	int fd = kds_open(variant->backend);

	ASSERT_LE(0, fd);
	ASSERT_EQ(5, kds_text(fd, "del 7"));
	ASSERT_EQ(-ENOENT, close_err(fd));

	fd = kds_open(variant->backend);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, kds_text(fd, "put 5"));	/* no value separator */
	ASSERT_EQ(-EINVAL, close_err(fd));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

/*
 * A last line without its newline, after lines that have one, waits for
 * its rest from the next write, or for close().
 */
TEST_F(text, an_unfinished_last_line_waits_for_its_rest_or_for_close)
{
	int fd = kds_open(variant->backend);

	ASSERT_LE(0, fd);
	ASSERT_EQ(15, kds_text(fd, "put 1 a\nput 2 b"));
	EXPECT_EQ(0, kds_holds(self->fd, 1, "a"));
	EXPECT_EQ(-ENOENT, kds_holds(self->fd, 2, "b"));
	EXPECT_EQ(5, kds_text(fd, "ravo\n"));
	EXPECT_EQ(0, kds_holds(self->fd, 2, "bravo"));
	EXPECT_EQ(11, kds_text(fd, "put 3 c\nput"));
	/* no newline, but it goes on with a line: it waits too */
	EXPECT_EQ(8, kds_text(fd, " 4 delta"));
	EXPECT_EQ(0, kds_holds(self->fd, 3, "c"));
	EXPECT_EQ(-ENOENT, kds_holds(self->fd, 4, "delta"));
	EXPECT_EQ(3, kds_nr_entries(self->fd));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(0, kds_holds(self->fd, 4, "delta"));
	EXPECT_EQ(4, kds_nr_entries(self->fd));
}

/* The errno of an unfinished last line comes with close(). */
TEST_F(text, an_unfinished_bad_last_line_fails_the_close)
{
	int fd = kds_open(variant->backend);

	ASSERT_LE(0, fd);
	ASSERT_EQ(14, kds_text(fd, "put 1 a\ndel 99"));
	errno = 0;
	EXPECT_EQ(-1, close(fd));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, kds_holds(self->fd, 1, "a"));
	EXPECT_EQ(1, kds_nr_entries(self->fd));
}

/* A bad line whose first piece came in an earlier write fails whole. */
TEST_F(text, a_bad_line_in_two_pieces_fails_whole)
{
	int fd = kds_open(variant->backend);

	ASSERT_LE(0, fd);
	ASSERT_EQ(11, kds_text(fd, "put 1 a\nput"));
	EXPECT_EQ(-EINVAL, kds_text(fd, "x 5\nput 2 b\n"));
	EXPECT_EQ(8, kds_text(fd, "put 2 b\n"));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(0, kds_holds(self->fd, 1, "a"));
	EXPECT_EQ(0, kds_holds(self->fd, 2, "b"));
	EXPECT_EQ(-ENOENT, kds_holds(self->fd, 5, ""));
	EXPECT_EQ(2, kds_nr_entries(self->fd));
}

/*
 * cat(1) and stdio write a file in blocks that cut lines anywhere: every
 * line is applied whole, the last one (without a newline) at close().
 */
TEST_F(text, lines_cut_anywhere_by_block_writes_are_applied_whole)
{
	static const size_t blocks[] = { 4093, 1000, 64 };
	const int lines = 3000;
	char *cmds = malloc((size_t)lines * 48);
	size_t len, done, b;
	char val[48];
	int i, fd;
	ssize_t n;

	ASSERT_NE(NULL, cmds);
	for (b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		len = 0;
		for (i = 0; i < lines; i++)
			len += (size_t)sprintf(cmds + len, "put %d block %zu line %d\n",
					       i, blocks[b], i);
		len--;	/* no newline at the end of the file */
		fd = kds_open(variant->backend);
		ASSERT_LE(0, fd);
		for (done = 0; done < len; done += (size_t)n) {
			n = kds_write(fd, cmds + done, blocks[b] < len - done ?
				      blocks[b] : len - done);
			ASSERT_LT(0, n) TH_LOG("write at byte %zu: %zd", done, n);
		}
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(lines, kds_nr_entries(self->fd));
		for (i = 0; i < lines; i++) {
			snprintf(val, sizeof(val), "block %zu line %d", blocks[b], i);
			ASSERT_EQ(0, kds_holds(self->fd, (__u64)i, val)) TH_LOG("key %d", i);
		}
	}
	free(cmds);
}

/*
 * A value of each of these sizes up to max_value_size, and of that size,
 * put in writes of @block bytes (0: one write), with and without a last
 * newline, comes back byte for byte through a get and through the dump.
 * Key 2 * i + nl holds the value of the i-th size.
 */
static void values_in_blocks_are_stored_whole(struct __test_metadata *_metadata,
					      FIXTURE_DATA(text) *self,
					      const char *backend, size_t block)
{
	static const size_t listed[] = {
		0, 1, 100, 994, 1000, 3000, 4095, 4096, 4097,
	};
	size_t max = self->max_value_size, sizes[ARRAY_SIZE(listed) + 1];
	size_t nr_sizes = 0, i;
	char *val = malloc(max), key[32];
	int nl;
	long n;

	ASSERT_NE(NULL, val);
	for (i = 0; i < ARRAY_SIZE(listed) && listed[i] < max; i++)
		sizes[nr_sizes++] = listed[i];
	sizes[nr_sizes++] = max;
	for (i = 0; i < nr_sizes; i++) {
		for (nl = 0; nl < 2; nl++) {
			__u64 k = i * 2 + (__u64)nl;

			snprintf(key, sizeof(key), "%llu", (unsigned long long)k);
			fill_value(val, sizes[i], (unsigned int)k);
			ASSERT_EQ(0, put_in_blocks(backend, key, val, sizes[i],
						   block, nl))
				TH_LOG("%zu bytes, %s newline", sizes[i],
				       nl ? "a" : "no");
			ASSERT_TRUE(holds_bytes(self->fd, k, val, sizes[i], max))
				TH_LOG("%zu bytes, %s newline", sizes[i],
				       nl ? "a" : "no");
		}
	}
	ASSERT_EQ((long long)(2 * nr_sizes), kds_nr_entries(self->fd));
	n = dump_lines(_metadata, self);
	ASSERT_EQ((long)(2 * nr_sizes), n);
	for (i = 0; i < (size_t)n; i++) {
		const struct kds_line *l = &self->lines[i];

		ASSERT_GT(2 * nr_sizes, l->key);
		fill_value(val, sizes[l->key / 2], (unsigned int)l->key);
		ASSERT_EQ(sizes[l->key / 2], l->len)
			TH_LOG("key %llu", (unsigned long long)l->key);
		ASSERT_EQ(0, memcmp(val, l->val, l->len));
	}
	free(val);
}

TEST_F(text, value_written_in_1_byte_blocks_is_stored_whole)
{
	values_in_blocks_are_stored_whole(_metadata, self, variant->backend, 1);
}

TEST_F(text, value_written_in_7_byte_blocks_is_stored_whole)
{
	values_in_blocks_are_stored_whole(_metadata, self, variant->backend, 7);
}

TEST_F(text, value_written_in_1000_byte_blocks_is_stored_whole)
{
	values_in_blocks_are_stored_whole(_metadata, self, variant->backend, 1000);
}

TEST_F(text, value_written_in_4096_byte_blocks_is_stored_whole)
{
	values_in_blocks_are_stored_whole(_metadata, self, variant->backend, 4096);
}

TEST_F(text, value_written_in_65536_byte_blocks_is_stored_whole)
{
	values_in_blocks_are_stored_whole(_metadata, self, variant->backend, 65536);
}

TEST_F(text, value_written_in_one_write_is_stored_whole)
{
	values_in_blocks_are_stored_whole(_metadata, self, variant->backend, 0);
}

/*
 * The longest command, a put with a 20-digit key and a value of
 * max_value_size, is taken in pieces; one byte more (a leading zero on
 * the key) is a line too long: E2BIG, and nothing is stored.
 */
TEST_F(text, longest_line_in_pieces_is_stored_and_one_byte_more_is_e2big)
{
	const __u64 kmax = kds_key_max(variant->backend);
	size_t max = self->max_value_size;
	char *val = malloc(max), key20[32], key21[32];

	ASSERT_NE(NULL, val);
	fill_value(val, max, 5);
	/* 18446744073709551615; the backend's largest key in 20 digits */
	snprintf(key20, sizeof(key20), "%020llu", (unsigned long long)kmax);
	snprintf(key21, sizeof(key21), "%021llu", (unsigned long long)kmax - 1);
	ASSERT_EQ(20U, strlen(key20));
	ASSERT_EQ(0, put_in_blocks(variant->backend, key20, val, max, 1000,
				   true));
	ASSERT_TRUE(holds_bytes(self->fd, kmax, val, max, max));
	ASSERT_EQ(-E2BIG, put_in_blocks(variant->backend, key21, val, max, 1000,
					true));
	ASSERT_EQ(-E2BIG, put_in_blocks(variant->backend, key21, val, max, 0,
					false));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, kmax - 1, ""));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
	free(val);
}

/*
 * A line that grows past the longest over several writes is refused with
 * E2BIG when it does, whole: nothing of it is stored or left to close(),
 * and the file's next line starts afresh.
 */
TEST_F(text, line_over_the_longest_in_pieces_is_e2big_and_nothing_is_stored)
{
	size_t vlen = 2 * (size_t)self->max_value_size + 100, done, n;
	char *val = malloc(vlen);
	int fd = kds_open(variant->backend);
	ssize_t ret = 0;

	ASSERT_NE(NULL, val);
	ASSERT_LE(0, fd);
	memset(val, 'v', vlen);
	TEXT_OK("put 7 old\n");
	ASSERT_EQ(6, kds_text(fd, "put 7 "));
	for (done = 0; done < vlen; done += n) {
		n = vlen - done < 1000 ? vlen - done : 1000;
		ret = kds_write(fd, val + done, n);
		if (ret < 0)
			break;
		ASSERT_EQ((ssize_t)n, ret);
	}
	ASSERT_EQ(-E2BIG, ret) TH_LOG("after %zu value bytes", done);
	ASSERT_GT(vlen, done);
	EXPECT_EQ(9, kds_text(fd, "put 8 ok\n"));
	ASSERT_EQ(0, close_err(fd));
	ASSERT_EQ(0, kds_holds(self->fd, 7, "old"));
	ASSERT_EQ(0, kds_holds(self->fd, 8, "ok"));
	ASSERT_EQ(2, kds_nr_entries(self->fd));
	free(val);
}

/* Over max_value_size, in pieces or not, a value is E2BIG and not stored. */
TEST_F(text, value_over_max_value_size_in_blocks_is_e2big_and_not_stored)
{
	static const size_t blocks[] = { 1, 7, 1000, 4096, 65536, 0 };
	size_t vlen = (size_t)self->max_value_size + 1, b;
	char *val = malloc(vlen);
	int nl;

	ASSERT_NE(NULL, val);
	fill_value(val, vlen, 9);
	for (b = 0; b < ARRAY_SIZE(blocks); b++) {
		for (nl = 0; nl < 2; nl++) {
			ASSERT_EQ(-E2BIG, put_in_blocks(variant->backend, "7", val,
							vlen, blocks[b], nl))
				TH_LOG("blocks of %zu, %s newline", blocks[b],
				       nl ? "a" : "no");
		}
	}
	ASSERT_EQ(0, kds_nr_entries(self->fd));
	free(val);
}

/* Every first part of a command waits for the rest, which completes it. */
TEST_F(text, a_command_cut_at_any_byte_is_applied_whole)
{
	const __u64 max = kds_key_max(variant->backend);
	char put_max[64];
	const char *const cmds[] = {
		"put 0x1F a b\n", "del 31\n", put_max, "clear\n",
	};
	size_t i, k, len;
	int fd;

	/* put 18446744073709551615 x: the backend's largest key */
	snprintf(put_max, sizeof(put_max), "put %llu x\n",
		 (unsigned long long)max);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		len = strlen(cmds[i]);
		for (k = 1; k < len; k++) {
			fd = kds_open(variant->backend);
			ASSERT_LE(0, fd);
			if (i == 1) {
				ASSERT_EQ(0, kds_put_str(self->fd, 31, "a b"));
			}
			if (i == 3) {
				ASSERT_EQ(0, kds_put_str(self->fd, 1, "one"));
			}
			ASSERT_EQ((ssize_t)k, kds_write(fd, cmds[i], k))
				TH_LOG("%.*s", (int)k, cmds[i]);
			ASSERT_EQ((ssize_t)(len - k), kds_text(fd, cmds[i] + k))
				TH_LOG("%.*s|%s", (int)k, cmds[i], cmds[i] + k);
			ASSERT_EQ(0, close_err(fd));
			if (i == 0) {
				ASSERT_EQ(0, kds_holds(self->fd, 31, "a b"));
			} else if (i == 1) {
				ASSERT_EQ(-ENOENT, kds_holds(self->fd, 31, "a b"));
			} else if (i == 2) {
				ASSERT_EQ(0, kds_holds(self->fd, max, "x"));
			} else {
				ASSERT_EQ(0, kds_nr_entries(self->fd));
			}
		}
	}
}

/*
 * A write whose unfinished tail can begin no command fails at once with
 * EINVAL (not at close): nothing of it waits, nothing is stored.
 */
TEST_F(text, a_tail_that_can_begin_no_command_fails_the_write_at_once)
{
	static const char *const bad[] = {
		"x", "get 1", "PUT 1 x", " put", "pux", "deL", "put x",
		"put 1x", "put -1", "put 0xg", "put  1", "put 0x 1",
		"put 18446744073709551616", "del 1 ", "del 0x1 2", "clear ",
		"clearx", "\r",
	};
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		fd = kds_open(variant->backend);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EINVAL, kds_text(fd, bad[i])) TH_LOG("\"%s\"", bad[i]);
		EXPECT_EQ(0, close_err(fd)) TH_LOG("\"%s\"", bad[i]);
	}
	ASSERT_EQ(0, kds_nr_entries(self->fd));

	/* after good lines: they stay, and the write stops before the tail */
	fd = kds_open(variant->backend);
	ASSERT_LE(0, fd);
	EXPECT_EQ(8, kds_text(fd, "put 1 a\nput x"));
	EXPECT_EQ(0, close_err(fd));
	EXPECT_EQ(0, kds_holds(self->fd, 1, "a"));

	/* a waiting part that the next bytes make impossible goes with them */
	fd = kds_open(variant->backend);
	ASSERT_LE(0, fd);
	EXPECT_EQ(5, kds_text(fd, "put 2"));
	EXPECT_EQ(-EINVAL, kds_text(fd, "x b"));
	EXPECT_EQ(8, kds_text(fd, "put 3 c\n"));
	EXPECT_EQ(0, close_err(fd));
	EXPECT_EQ(0, kds_holds(self->fd, 3, "c"));
	EXPECT_EQ(2, kds_nr_entries(self->fd));
}

/* A write that faults leaves the line an earlier write began waiting. */
TEST_F(text, a_faulting_write_leaves_the_waiting_line_as_it_was)
{
	int fd = kds_open(variant->backend);

	ASSERT_LE(0, fd);
	ASSERT_EQ(7, kds_text(fd, "put 1 a"));
	ASSERT_EQ(-EFAULT, kds_write(fd, kds_unmapped(), 16));
	ASSERT_EQ(3, kds_text(fd, "bc\n"));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "abc"));
	ASSERT_EQ(0, close_err(fd));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(text, put_of_max_value_size_bytes_is_taken)
{
	size_t n = self->max_value_size;
	char *cmd = malloc(n + 32), *buf = malloc(n);
	int head;
	__u32 len = 0;

	ASSERT_NE(NULL, cmd);
	ASSERT_NE(NULL, buf);
	head = sprintf(cmd, "put 7 ");
	kds_pattern(cmd + head, n, 3);
	cmd[head + n] = '\n';
	cmd[head + n + 1] = '\0';
	ASSERT_EQ((ssize_t)(head + n + 1), kds_text(self->fd, cmd));
	ASSERT_EQ(0, kds_get(self->fd, 7, buf, (__u32)n, &len));
	ASSERT_EQ(n, len);
	ASSERT_EQ(0, memcmp(buf, cmd + head, n));
	free(cmd);
	free(buf);
}

TEST_F(text, put_over_max_value_size_is_e2big_and_keeps_the_old_value)
{
	size_t n = self->max_value_size + 1;
	char *cmd = malloc(n + 64);
	int head;
	ssize_t ret;

	ASSERT_NE(NULL, cmd);
	TEXT_OK("put 7 old\n");
	head = sprintf(cmd, "put 7 ");
	memset(cmd + head, 'v', n);
	strcpy(cmd + head + n, "\n");
	ret = kds_text(self->fd, cmd);
	ASSERT_TRUE(ret == -E2BIG || ret == -EMSGSIZE) TH_LOG("write returned %zd", ret);
	ASSERT_EQ(0, kds_holds(self->fd, 7, "old"));
	/* After a good line, the long one stops the write there. */
	head = sprintf(cmd, "put 8 new\nput 7 ");
	memset(cmd + head, 'v', n);
	strcpy(cmd + head + n, "\nput 9 no\n");
	ASSERT_EQ(10, kds_text(self->fd, cmd));
	ASSERT_EQ(0, kds_holds(self->fd, 8, "new"));
	ASSERT_EQ(0, kds_holds(self->fd, 7, "old"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 9, "no"));
	free(cmd);
}

TEST_F(text, write_from_a_buffer_that_faults_is_efault)
{
	char *fault;
	char *p = kds_fault_buf(8, &fault);
	ssize_t ret;

	ASSERT_NE(NULL, p);
	memcpy(p, "put 1 a\n", 8);
	ASSERT_EQ(-EFAULT, kds_write(self->fd, kds_unmapped(), 16));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
	/*
	 * A good line, then a fault: either the line is taken and counted,
	 * or the whole write fails and nothing changes.
	 */
	ret = kds_write(self->fd, p, 16);
	ASSERT_TRUE(ret == 8 || ret == -EFAULT) TH_LOG("write returned %zd", ret);
	ASSERT_EQ(ret == 8 ? 1 : 0, kds_nr_entries(self->fd));
	ASSERT_EQ(ret == 8 ? 0 : -ENOENT, kds_holds(self->fd, 1, "a"));
	ASSERT_EQ(8, kds_write(self->fd, p, 8));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "a"));
}

TEST_F(text, dump_of_an_empty_store_is_empty)
{
	char buf[16];

	ASSERT_EQ(0, kds_dump(self->fd, buf, sizeof(buf)));
	ASSERT_EQ(0, read(self->fd, buf, sizeof(buf)));
}

TEST_F(text, dump_lines_are_decimal_key_space_value_newline)
{
	const __u64 max = kds_key_max(variant->backend);
	char cmds[128], line[64];
	long n;

	/* 18446744073709551615: the backend's largest key */
	snprintf(cmds, sizeof(cmds),
		 "put 0x2a forty two\nput 0 \nput %llu m\n",
		 (unsigned long long)max);
	snprintf(line, sizeof(line), "%llu m\n", (unsigned long long)max);
	TEXT_OK(cmds);
	n = dump_lines(_metadata, self);
	ASSERT_EQ(3, n);
	ASSERT_NE(NULL, strstr(self->dump, "42 forty two\n"));
	ASSERT_NE(NULL, strstr(self->dump, line));
	ASSERT_TRUE(!strncmp(self->dump, "0 \n", 3) || strstr(self->dump, "\n0 \n"));
}

TEST_F(text, dump_shows_each_entry_once_in_the_backends_order)
{
	/* the backend's largest key; a 10-digit one that fits its indices */
	const __u64 max = kds_key_max(variant->backend);
	const __u64 keys[] = {
		500, 3, 0, 70000, max, 12,
		max > 9999999999ULL ? 9999999999ULL : 3999999999ULL,
	};
	char val[32];
	size_t i, j;
	long n, at;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		snprintf(val, sizeof(val), "v%zu", i);
		ASSERT_EQ(0, kds_put_str(self->fd, keys[i], val));
	}
	/* Replacing a value does not move the entry. */
	ASSERT_EQ(0, kds_put_str(self->fd, 3, "v1"));
	n = dump_lines(_metadata, self);
	ASSERT_EQ((long)ARRAY_SIZE(keys), n);
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		snprintf(val, sizeof(val), "v%zu", i);
		at = kds_find_line(self->lines, n, keys[i]);
		ASSERT_LE(0, at);
		ASSERT_TRUE(kds_line_is(&self->lines[at], val));
		for (j = (size_t)at + 1; j < (size_t)n; j++) {
			ASSERT_NE(keys[i], self->lines[j].key);
		}
		/* list: insertion order */
		if (!strcmp(variant->backend, "list")) {
			ASSERT_EQ((long)i, at);
		}
	}
	if (variant->ordered) {
		for (i = 1; i < (size_t)n; i++) {
			ASSERT_LT(self->lines[i - 1].key, self->lines[i].key);
		}
	}
}

TEST_F(text, dump_order_after_replace_and_del_follows_the_backend)
{
	const __u64 list_order[] = { 30, 20, 10 }, key_order[] = { 10, 20, 30 };
	const __u64 *want = NULL;
	long n, i;

	if (!strcmp(variant->backend, "list"))
		want = list_order;	/* insertion order; replace keeps it */
	else if (variant->ordered)
		want = key_order;
	TEXT_OK("put 30 a\nput 10 b\nput 20 c\nput 30 d\ndel 10\nput 10 e\n");
	n = dump_lines(_metadata, self);
	ASSERT_EQ(3, n);
	for (i = 0; i < n; i++) {
		if (want) {
			ASSERT_EQ(want[i], self->lines[i].key);
		}
		if (self->lines[i].key == 30) {
			ASSERT_TRUE(kds_line_is(&self->lines[i], "d"));
		}
		if (self->lines[i].key == 10) {
			ASSERT_TRUE(kds_line_is(&self->lines[i], "e"));
		}
		if (self->lines[i].key == 20) {
			ASSERT_TRUE(kds_line_is(&self->lines[i], "c"));
		}
	}
	ASSERT_LE(0, kds_find_line(self->lines, n, 10));
	ASSERT_LE(0, kds_find_line(self->lines, n, 20));
	ASSERT_LE(0, kds_find_line(self->lines, n, 30));
}

TEST_F(text, dump_reads_eof_at_the_end_and_lseek_rewinds)
{
	char first[256], second[256], extra[8];
	ssize_t a, b;

	TEXT_OK("put 1 one\nput 2 two\n");
	a = kds_dump(self->fd, first, sizeof(first));
	ASSERT_LT(0, a);
	/* At the end, read() keeps returning 0. */
	ASSERT_EQ(0, read(self->fd, extra, sizeof(extra)));
	ASSERT_EQ(0, read(self->fd, extra, sizeof(extra)));
	b = kds_dump(self->fd, second, sizeof(second));
	ASSERT_EQ(a, b);
	ASSERT_EQ(0, memcmp(first, second, (size_t)a));
	/* A rewind shows entries added since. */
	TEXT_OK("put 3 three\n");
	b = kds_dump(self->fd, second, sizeof(second));
	ASSERT_EQ(a + 8, b);
	ASSERT_NE(NULL, strstr(second, "3 three\n"));
}

TEST_F(text, device_is_a_stream_pread_pwrite_espipe_lseek_only_rewinds)
{
	char buf[64];

	TEXT_OK("put 1 one\n");
	ASSERT_EQ(-1, pwrite(self->fd, "put 2 two\n", 10, 0));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, pread(self->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, pread(self->fd, buf, sizeof(buf), 4));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, lseek(self->fd, 4, SEEK_SET));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, lseek(self->fd, 0, SEEK_END));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(6, read(self->fd, buf, sizeof(buf)));
	ASSERT_EQ(6, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(6, read(self->fd, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "1 one\n", 6));
}

TEST_F(text, dump_read_in_small_pieces_equals_one_read)
{
	static char whole[16384], bytes[16384], odd[16384];
	char val[64];
	ssize_t a, b, c;
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(val, sizeof(val), "value %d with some length %*s", i, i % 17, "");
		ASSERT_EQ(0, kds_put_str(self->fd, (__u64)i * 7919, val));
	}
	a = kds_dump(self->fd, whole, sizeof(whole));
	b = kds_dump_chunked(self->fd, bytes, sizeof(bytes), 1);
	c = kds_dump_chunked(self->fd, odd, sizeof(odd), 13);
	ASSERT_LT(0, a);
	ASSERT_EQ(a, b);
	ASSERT_EQ(a, c);
	ASSERT_EQ(0, memcmp(whole, bytes, (size_t)a));
	ASSERT_EQ(0, memcmp(whole, odd, (size_t)a));
}

TEST_F(text, dump_of_a_long_value_in_small_reads_is_whole)
{
	size_t n = self->max_value_size;
	char *val = malloc(n + 1);
	struct kds_line *l;
	ssize_t len;
	long cnt;

	ASSERT_NE(NULL, val);
	kds_pattern(val, n, 4);
	val[n] = '\0';
	ASSERT_EQ(0, kds_put(self->fd, 99, val, (__u32)n));
	ASSERT_EQ(0, kds_put_str(self->fd, 100, "short"));
	len = kds_dump_chunked(self->fd, self->dump, DUMP_CAP, 100);
	ASSERT_LT(0, len);
	cnt = kds_parse_dump(self->dump, (size_t)len, self->lines,
			     ARRAY_SIZE(self->lines), NULL);
	ASSERT_EQ(2, cnt);
	ASSERT_LE(0, kds_find_line(self->lines, cnt, 99));
	l = &self->lines[kds_find_line(self->lines, cnt, 99)];
	ASSERT_TRUE(kds_line_is(l, val));
	free(val);
}

TEST_F(text, two_fds_dump_independently)
{
	static char a[4096], b[4096];
	int fd2 = kds_open(variant->backend);
	char c;

	ASSERT_LE(0, fd2);
	TEXT_OK("put 1 one\nput 2 two\n");
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(1, read(self->fd, &c, 1));
	/* fd2 starts at its own beginning. */
	ASSERT_LT(0, kds_dump(fd2, a, sizeof(a)));
	ASSERT_LT(0, kds_dump(self->fd, b, sizeof(b)));
	ASSERT_STREQ(a, b);
	close(fd2);
}

TEST_HARNESS_MAIN
