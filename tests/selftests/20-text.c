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
	ASSERT_EQ(-EINVAL, kds_text(self->fd, "put 5"));
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

TEST_F(text, hex_keys_are_accepted)
{
	TEXT_OK("put 0x10 sixteen\nput 0xffffffffffffffff max\nput 0xAb mixed\n");
	ASSERT_EQ(0, kds_holds(self->fd, 16, "sixteen"));
	ASSERT_EQ(0, kds_holds(self->fd, KDS_U64_MAX, "max"));
	ASSERT_EQ(0, kds_holds(self->fd, 0xab, "mixed"));
	TEXT_OK("del 0x10\n");
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 16, "sixteen"));
}

TEST_F(text, decimal_u64_max_is_a_key)
{
	TEXT_OK("put 18446744073709551615 max\nput 0 zero\n");
	ASSERT_EQ(0, kds_holds(self->fd, KDS_U64_MAX, "max"));
	ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
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

/* A write without a newline that begins a line is one whole command. */
TEST_F(text, a_write_without_a_newline_is_one_command)
{
	ASSERT_EQ(7, kds_text(self->fd, "put 2 b"));
	ASSERT_EQ(0, kds_holds(self->fd, 2, "b"));
	ASSERT_EQ(5, kds_text(self->fd, "del 2"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 2, "b"));
	ASSERT_EQ(-ENOENT, kds_text(self->fd, "del 2"));
	ASSERT_EQ(7, kds_text(self->fd, "put 3 c"));
	ASSERT_EQ(5, kds_text(self->fd, "clear"));
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
	long n;

	TEXT_OK("put 0x2a forty two\nput 0 \nput 18446744073709551615 m\n");
	n = dump_lines(_metadata, self);
	ASSERT_EQ(3, n);
	ASSERT_NE(NULL, strstr(self->dump, "42 forty two\n"));
	ASSERT_NE(NULL, strstr(self->dump, "18446744073709551615 m\n"));
	ASSERT_TRUE(!strncmp(self->dump, "0 \n", 3) || strstr(self->dump, "\n0 \n"));
}

TEST_F(text, dump_shows_each_entry_once_in_the_backends_order)
{
	const __u64 keys[] = { 500, 3, 0, 70000, KDS_U64_MAX, 12, 9999999999ULL };
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
