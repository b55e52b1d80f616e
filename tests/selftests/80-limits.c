// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the store's limits with kds reloaded under other parameters.
 * max_entries=8: a ninth key is ENOSPC through every interface, also when
 * many processes race for the last places.  max_value_size=1 MiB: values
 * that large work, and unloading a backend gives their memory back.
 * max_bytes=1 MiB: the stores together hold no more, a put past it is
 * ENOSPC; a max_bytes above the RAM fails the load.
 *
 * A fixture reloads kds only when its parameters differ from what the
 * fixture needs, so the tests of one fixture share one load.  The program
 * restores the five backends with default parameters when it exits.
 */
#include "kds_test.h"

#define LIMIT_TIMEOUT	120
#define FULL		8

KDS_RESTORE_DEFAULTS_AT_EXIT();

/*
 * Make sure kds runs with its parameter @name set to @value: if it does
 * not, unload every kds module and load kds with it.  0 or -errno.
 */
static int kds_loaded_with(const char *name, const char *value)
{
	struct kds_run r;
	char param[64], cur[64];

	if (kds_module_loaded("kds") && !kds_param("kds", name, cur, sizeof(cur)) &&
	    !strcmp(cur, value))
		return 0;
	if (kds_unload_all())
		return -EBUSY;
	snprintf(param, sizeof(param), "%s=%s", name, value);
	return kds_run(&r, KDS_MODPROBE, "kds", param) ? -EIO : 0;
}

/* ---- a store of eight entries ---------------------------------------- */

FIXTURE(full) {
	int fd;
	struct kds_run r;
	char *dump;
	struct kds_line lines[64];
};

FIXTURE_VARIANT(full) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(full);

FIXTURE_SETUP(full)
{
	char mod[32];

	self->fd = -1;
	self->dump = malloc(65536);
	ASSERT_NE(NULL, self->dump);
	ASSERT_EQ(0, kds_loaded_with("max_entries", "8"));
	kds_module_of(mod, sizeof(mod), variant->backend);
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, mod));
	self->fd = kds_open(variant->backend);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kds_clear(self->fd));
}

FIXTURE_TEARDOWN(full)
{
	KDS_TEARDOWN_CLOSE();
	free(self->dump);
}

/* Keys 0..n-1 with value "v". */
static int fill(int fd, int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = kds_put_str(fd, (__u64)i, "v");
		if (ret)
			return ret;
	}
	return 0;
}

TEST_F_TIMEOUT(full, put_of_one_key_too_many_is_enospc_and_changes_nothing, LIMIT_TIMEOUT)
{
	struct kds_api api;
	struct kds_stats a, b;

	ASSERT_EQ(0, kds_api_of(self->fd, &api));
	ASSERT_EQ((__u64)FULL, api.max_entries);
	ASSERT_EQ(0, fill(self->fd, FULL));
	ASSERT_EQ(0, kds_stats(self->fd, &a));
	ASSERT_EQ(-ENOSPC, kds_put_str(self->fd, 100, "ninth"));
	/* the backend's largest key (KDS_U64_MAX; see kds_key_max()) */
	ASSERT_EQ(-ENOSPC, kds_put_str(self->fd, kds_key_max(variant->backend),
				       "ninth"));
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	ASSERT_EQ((__u64)FULL, b.entries);
	ASSERT_EQ(a.bytes, b.bytes);
	ASSERT_EQ(a.puts, b.puts);
	ASSERT_EQ(2U, b.errors - a.errors);
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 100, "ninth"));
}

TEST_F_TIMEOUT(full, a_full_store_still_replaces_existing_keys, LIMIT_TIMEOUT)
{
	ASSERT_EQ(0, fill(self->fd, FULL));
	ASSERT_EQ(0, kds_put_str(self->fd, 3, "replaced"));
	ASSERT_EQ(0, kds_holds(self->fd, 3, "replaced"));
	ASSERT_EQ(-EEXIST, kds_put_flags(self->fd, 4, "x", 1, KDS_PUT_NOREPLACE));
	ASSERT_EQ(-ENOSPC, kds_put_flags(self->fd, 99, "x", 1, KDS_PUT_NOREPLACE));
	ASSERT_EQ(FULL, kds_nr_entries(self->fd));
}

TEST_F_TIMEOUT(full, del_and_clear_make_room_again, LIMIT_TIMEOUT)
{
	ASSERT_EQ(0, fill(self->fd, FULL));
	ASSERT_EQ(0, kds_del(self->fd, 0));
	ASSERT_EQ(0, kds_put_str(self->fd, 100, "new"));
	ASSERT_EQ(-ENOSPC, kds_put_str(self->fd, 101, "new"));
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0, fill(self->fd, FULL));
	ASSERT_EQ(FULL, kds_nr_entries(self->fd));
}

TEST_F_TIMEOUT(full, text_put_into_a_full_store_is_enospc_after_the_lines_before, LIMIT_TIMEOUT)
{
	ASSERT_EQ(0, fill(self->fd, FULL - 1));
	ASSERT_EQ(10, kds_text(self->fd, "put 100 a\nput 101 b\nput 102 c\n"));
	ASSERT_EQ(0, kds_holds(self->fd, 100, "a"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 101, "b"));
	ASSERT_EQ(-ENOSPC, kds_text(self->fd, "put 101 b\n"));
	ASSERT_EQ(10, kds_text(self->fd, "put 100 z\n"));
	ASSERT_EQ(FULL, kds_nr_entries(self->fd));
}

TEST_F_TIMEOUT(full, batch_put_into_a_full_store_is_enospc_for_that_op, LIMIT_TIMEOUT)
{
	struct kds_batch_op ops[3];
	struct kds_batch b = {
		.size = sizeof(b), .ops = kds_ptr(ops), .count = 3,
		.op_size = sizeof(ops[0]),
	};

	ASSERT_EQ(0, fill(self->fd, FULL - 1));
	memset(ops, 0, sizeof(ops));
	ops[0].op = KDS_OP_PUT;
	ops[0].key = 200;
	ops[0].value = kds_ptr("a");
	ops[0].value_len = 1;
	ops[1] = ops[0];
	ops[1].key = 201;
	ops[2] = ops[0];
	ops[2].key = 0;		/* exists: a replace */
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_BATCH, &b));
	ASSERT_EQ(3U, b.done);
	ASSERT_EQ(0, ops[0].result);
	ASSERT_EQ(-ENOSPC, ops[1].result);
	ASSERT_EQ(0, ops[2].result);
	ASSERT_EQ(FULL, kds_nr_entries(self->fd));
}

#define RACERS		4
#define RACER_KEYS	40

TEST_F_TIMEOUT(full, racing_processes_never_fill_past_max_entries, LIMIT_TIMEOUT)
{
	int *won = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pids[RACERS];
	int gate[2], p, status, total = 0;
	size_t bad;
	ssize_t len;
	long n;

	ASSERT_NE(MAP_FAILED, won);
	ASSERT_EQ(0, pipe(gate));
	for (p = 0; p < RACERS; p++) {
		fflush(stdout);
		fflush(stderr);
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			int fd = kds_open(variant->backend), i, ret;
			char c;

			close(gate[1]);
			if (fd < 0 || read(gate[0], &c, 1) < 0)
				_exit(2);
			for (i = 0; i < RACER_KEYS; i++) {
				ret = kds_put_str(fd, (__u64)p * 1000 + (__u64)i, "r");
				if (!ret)
					__atomic_fetch_add(&won[p], 1, __ATOMIC_SEQ_CST);
				else if (ret != -ENOSPC)
					_exit(3);
			}
			_exit(0);
		}
	}
	close(gate[1]);
	for (p = 0; p < RACERS; p++) {
		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("racer %d: status %#x", p, status);
		total += won[p];
	}
	ASSERT_EQ(FULL, total);
	ASSERT_EQ(FULL, kds_nr_entries(self->fd));
	len = kds_dump(self->fd, self->dump, 65536);
	ASSERT_LE(0, len);
	n = kds_parse_dump(self->dump, (size_t)len, self->lines,
			   ARRAY_SIZE(self->lines), &bad);
	ASSERT_EQ(FULL, n);
}

/* ---- 1 MiB values, and their memory back on unload ------------------- */

#define MIB		(1U << 20)
#define BIG_VALUES	24

FIXTURE(memory) {
	int fd;
	char mod[32];
	struct kds_run r;
	char *val;
	char *back;
};

FIXTURE_VARIANT(memory) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(memory);

FIXTURE_SETUP(memory)
{
	self->fd = -1;
	/* Touched now, so that their pages count before the first reading. */
	self->val = malloc(MIB + 1);
	self->back = malloc(MIB + 1);
	ASSERT_NE(NULL, self->val);
	ASSERT_NE(NULL, self->back);
	memset(self->val, 0, MIB + 1);
	memset(self->back, 0, MIB + 1);
	ASSERT_EQ(0, kds_loaded_with("max_value_size", "1048576"));
	kds_module_of(self->mod, sizeof(self->mod), variant->backend);
	ASSERT_EQ(0, kds_rmmod_if_loaded(self->mod));
}

FIXTURE_TEARDOWN(memory)
{
	if (self->fd >= 0)
		close(self->fd);
	kds_rmmod_if_loaded(self->mod);
	free(self->val);
	free(self->back);
}

static void big_value(char *buf, int i)
{
	memset(buf, 'a' + i % 26, MIB);
	snprintf(buf, 32, "value %d", i);
	buf[strlen(buf)] = '#';
	memcpy(buf + MIB - 8, "the end", 7);
}

TEST_F_TIMEOUT(memory, one_mib_values_work_and_unload_frees_them, LIMIT_TIMEOUT)
{
	long long mem0, mem1, mem2 = 0, used, left = 0, free0, free2;
	const char *mod = self->mod;
	__u32 len = 0;
	int i, ret;

	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, (char *)mod));
	self->fd = kds_open(variant->backend);
	ASSERT_LE(0, self->fd);

	mem0 = kds_kernel_mem_kb();
	free0 = kds_meminfo_kb("MemFree");
	ASSERT_LT(0, mem0);
	for (i = 0; i < BIG_VALUES; i++) {
		big_value(self->val, i);
		ASSERT_EQ(0, kds_put(self->fd, (__u64)i * 1000, self->val, MIB))
			TH_LOG("value %d", i);
	}
	ret = kds_put(self->fd, 1, self->val, MIB + 1);
	ASSERT_TRUE(ret == -E2BIG || ret == -EMSGSIZE) TH_LOG("put returned %d", ret);
	big_value(self->val, 7);
	ASSERT_EQ(0, kds_get(self->fd, 7000, self->back, MIB, &len));
	ASSERT_EQ(MIB, len);
	ASSERT_EQ(0, memcmp(self->val, self->back, MIB));
	close(self->fd);
	self->fd = -1;

	mem1 = kds_kernel_mem_kb();
	used = mem1 - mem0;
	TH_LOG("%s: %d MiB of values hold %lld KiB of slab and vmalloc memory",
	       variant->backend, BIG_VALUES, used);
	ASSERT_LE((long long)BIG_VALUES * 1024 * 3 / 4, used);

	ASSERT_EQ(0, kds_run(&self->r, KDS_RMMOD, (char *)mod)) TH_LOG("%s", self->r.err);
	/*
	 * Entries freed with kvfree_rcu() come back in batches, seconds
	 * later (the batch timer, then a grace period): wait up to 30 s.
	 */
	for (i = 0; i < 150; i++) {
		mem2 = kds_kernel_mem_kb();
		left = mem2 - mem0;
		if (left < used / 8)
			break;
		usleep(200 * 1000);
	}
	free2 = kds_meminfo_kb("MemFree");
	TH_LOG("%s: %.1f s after the unload %lld KiB are still held (MemFree %+lld KiB)",
	       variant->backend, i * 0.2, left, free2 - free0);
	/* Noise is allowed; keeping the store (or half of it) is not. */
	ASSERT_GT(used / 4, left);
}

#define KIB_VALUES	4000

/*
 * The slab rounds an allocation up to its size class: a 1-KiB value and
 * its entry's header in one allocation would take 2 KiB.  Every backend
 * keeps such a value apart, in an allocation of its exact size: 4000
 * values of 1 KiB take about 1 KiB and a header each, in the kernel's
 * slab and vmalloc memory and in the store's bytes alike.  The xarray and
 * the maple tree add their nodes: keys 0..3999 fill an XArray's leaves
 * (64 keys each, 576 bytes: 63 leaves and a root, 10 bytes an entry).
 * The maple tree's nodes (256 bytes) cost more than its half-full leaves
 * suggest: 1161 to 1249 bytes an entry in all were read on 6.1 and 6.12,
 * varying from run to run with the nodes it replaces as it grows, which
 * it frees after a grace period.  Its bound is what its store charges,
 * a maple node per entry: the memory kds really takes stays within what
 * it counts against kds.max_bytes.
 * The slab and vmalloc figure is an upper bound only: on 7.3 it reads
 * about 600 bytes per value for rbtree and xarray, most likely slabs the
 * previous backend's run left cached and that are reused without
 * counting again.
 */
TEST_F_TIMEOUT(memory, one_kib_values_cost_about_their_size, LIMIT_TIMEOUT)
{
	long long mem0, used, per_bytes;
	long per, bound, node_share = 0, stat_share = 0;
	struct kds_stats st;
	__u32 len = 0;
	char buf[32];
	int i;

	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, self->mod));
	self->fd = kds_open(variant->backend);
	ASSERT_LE(0, self->fd);

	mem0 = kds_kernel_mem_kb();
	ASSERT_LT(0, mem0);
	for (i = 0; i < KIB_VALUES; i++) {
		memset(self->val, 'a' + i % 26, 1024);
		ASSERT_EQ(0, kds_put(self->fd, i, self->val, 1024)) TH_LOG("value %d", i);
	}
	used = kds_kernel_mem_kb() - mem0;
	ASSERT_EQ(0, kds_stats(self->fd, &st));
	per = (long)(used * 1024 / KIB_VALUES);
	per_bytes = (long long)st.bytes / KIB_VALUES;
	TH_LOG("%s: %d values of 1 KiB take %lld KiB, %ld bytes each; the store counts %llu bytes, %lld each",
	       variant->backend, KIB_VALUES, used, per,
	       (unsigned long long)st.bytes, per_bytes);
	memset(self->val, 'a' + 1234 % 26, 1024);
	ASSERT_EQ(0, kds_get(self->fd, 1234, self->back, 1024, &len));
	ASSERT_EQ(1024U, len);
	ASSERT_EQ(0, memcmp(self->val, self->back, 1024));
	/* the entries are really there: a quarter of their size at least */
	ASSERT_LE(KIB_VALUES / 4, used);
	ASSERT_EQ((__u64)KIB_VALUES, st.entries);

	if (!strcmp(variant->backend, "xarray")) {
		node_share = 64 * 576 / KIB_VALUES + 1;
		stat_share = node_share;
	} else if (!strcmp(variant->backend, "maple")) {
		node_share = 256;
		stat_share = node_share;
	}
	/* the value, its key, and no size class above: what the store counts */
	ASSERT_LE(1024 + 8, per_bytes);
	ASSERT_GE(1100 + stat_share, per_bytes);
	/*
	 * The bound holds where a 1-KiB slab object takes 1 KiB; a debug
	 * kernel (KASAN, kmemleak) adds its own bytes to every object.
	 */
	if (kds_read_file("/sys/kernel/slab/kmalloc-1k/slab_size", buf,
			  sizeof(buf)) > 0 && atoi(buf) != 1024)
		SKIP(return, "kmalloc-1k objects take %d bytes here (slab debugging)",
		     atoi(buf));
	/* 1024 bytes and a 64-byte header; 2048 when they share a slab object */
	bound = 1100 + node_share;
	TH_LOG("%s: at most %ld bytes each allowed", variant->backend, bound);
	ASSERT_GE(bound, per);
}

/* ---- kds.max_bytes: every store together ------------------------------- */

#define BUDGET		1048576
#define BUDGET_VALUE	4000
/*
 * An XArray's nodes are counted when the XArray makes them, even past
 * max_bytes (the memory is already taken): a few of them may go over.
 */
#define BUDGET_OVER	(4 * 1024)

FIXTURE(budget) {
	int fds[KDS_NR_BACKENDS];
	int fd;
	char *val;
};

FIXTURE_VARIANT(budget) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(budget);

FIXTURE_SETUP(budget)
{
	char value[32];
	size_t b;

	self->fd = -1;
	for (b = 0; b < KDS_NR_BACKENDS; b++)
		self->fds[b] = -1;
	self->val = malloc(BUDGET_VALUE);
	ASSERT_NE(NULL, self->val);
	snprintf(value, sizeof(value), "%d", BUDGET);
	ASSERT_EQ(0, kds_loaded_with("max_bytes", value));
	kds_load_missing_backends();
	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		self->fds[b] = kds_open(kds_backends[b]);
		ASSERT_LE(0, self->fds[b]) TH_LOG("%s", kds_backends[b]);
		ASSERT_EQ(0, kds_clear(self->fds[b]));
		if (!strcmp(kds_backends[b], variant->backend))
			self->fd = self->fds[b];
	}
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(budget)
{
	size_t b;

	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		if (self->fds[b] < 0)
			continue;
		kds_clear(self->fds[b]);
		close(self->fds[b]);
	}
	free(self->val);
}

/* Bytes of every store together. */
static long long bytes_of_all(FIXTURE_DATA(budget) *self)
{
	long long sum = 0, n;
	size_t b;

	for (b = 0; b < KDS_NR_BACKENDS; b++) {
		n = kds_nr_bytes(self->fds[b]);
		if (n < 0)
			return n;
		sum += n;
	}
	return sum;
}

/*
 * With max_bytes=1 MiB, some entries in each of the other stores and then
 * 4000-byte values into this one until the limit: the put past it fails
 * with ENOSPC near 1 MiB of bytes across the stores, and changes nothing
 * (entries, bytes, the value not there); a delete in this store, or two
 * in another, make room for a put again.
 */
TEST_F_TIMEOUT(budget, put_past_max_bytes_is_enospc_and_changes_nothing, LIMIT_TIMEOUT)
{
	struct kds_stats a, b;
	long long total, before = 0;
	__u64 key = 0, mb = 0;
	int i, n, ret = 0, other = -1;
	char *line;
	size_t s;

	ASSERT_EQ(0, kds_param_u64("kds", "max_bytes", &mb));
	ASSERT_EQ((__u64)BUDGET, mb);
	kds_pattern(self->val, BUDGET_VALUE, 7);
	for (s = 0; s < KDS_NR_BACKENDS; s++) {
		if (self->fds[s] == self->fd)
			continue;
		other = (int)s;
		for (i = 0; i < 20; i++)
			ASSERT_EQ(0, kds_put(self->fds[s], (__u64)i, self->val, BUDGET_VALUE))
				TH_LOG("%s, value %d", kds_backends[s], i);
	}
	ASSERT_LE(0, other);
	for (key = 0; key < 2 * BUDGET / BUDGET_VALUE; key++) {
		ASSERT_EQ(0, kds_stats(self->fd, &a));
		before = bytes_of_all(self);
		ret = kds_put(self->fd, key, self->val, BUDGET_VALUE);
		if (ret)
			break;
		ASSERT_GE((long long)BUDGET + BUDGET_OVER, bytes_of_all(self));
	}
	ASSERT_EQ(-ENOSPC, ret) TH_LOG("put %llu: %s", (unsigned long long)key, strerror(-ret));
	ASSERT_EQ(0, kds_stats(self->fd, &b));
	total = bytes_of_all(self);
	TH_LOG("%s: the put of key %llu is ENOSPC with %lld bytes in the stores (max_bytes %d)",
	       variant->backend, (unsigned long long)key, total, BUDGET);
	/* near the limit: not even one more value would have fitted */
	ASSERT_LE((long long)BUDGET - 2 * (BUDGET_VALUE + 512), total);
	ASSERT_GE((long long)BUDGET + BUDGET_OVER, total);
	/* the failed put changed nothing */
	ASSERT_EQ(before, total);
	ASSERT_EQ(a.entries, b.entries);
	ASSERT_EQ(a.bytes, b.bytes);
	ASSERT_EQ(a.puts, b.puts);
	ASSERT_EQ(a.errors + 1, b.errors);
	ASSERT_EQ(-ENOENT, kds_get(self->fd, key, self->val, BUDGET_VALUE, NULL));
	/* the text protocol says the same */
	line = malloc(BUDGET_VALUE + 32);
	ASSERT_NE(NULL, line);
	n = snprintf(line, 32, "put %llu ", (unsigned long long)key);
	kds_pattern(line + n, BUDGET_VALUE, 7);
	line[n + BUDGET_VALUE] = '\n';
	ASSERT_EQ(-ENOSPC, kds_write(self->fd, line, (size_t)n + BUDGET_VALUE + 1));
	free(line);
	ASSERT_EQ(total, bytes_of_all(self));
	ASSERT_EQ(b.entries, (__u64)kds_nr_entries(self->fd));

	/* a delete here makes room for one put */
	ASSERT_EQ(0, kds_del(self->fd, 0));
	kds_pattern(self->val, BUDGET_VALUE, 8);
	ASSERT_EQ(0, kds_put(self->fd, key, self->val, BUDGET_VALUE));
	ASSERT_EQ(-ENOSPC, kds_put(self->fd, key + 1, self->val, BUDGET_VALUE));
	/* the limit is shared: deletes in another store make room here */
	ASSERT_EQ(0, kds_del(self->fds[other], 0));
	ASSERT_EQ(0, kds_del(self->fds[other], 1));
	ASSERT_EQ(0, kds_put(self->fd, key + 1, self->val, BUDGET_VALUE))
		TH_LOG("after two deletes in %s", kds_backends[other]);
	ASSERT_GE((long long)BUDGET + BUDGET_OVER, bytes_of_all(self));
	/* a replace by a value of the same size needs no more room */
	kds_pattern(self->val, BUDGET_VALUE, 9);
	ASSERT_EQ(0, kds_put(self->fd, key, self->val, BUDGET_VALUE));
}

/* ---- parameters the load refuses ---------------------------------------- */

FIXTURE(refused) {
	struct kds_run r;
};

FIXTURE_SETUP(refused)
{
	ASSERT_EQ(0, kds_unload_all());
}

FIXTURE_TEARDOWN(refused)
{
	kds_restore_defaults();
}

TEST_F_TIMEOUT(refused, max_bytes_over_the_ram_fails_the_load, LIMIT_TIMEOUT)
{
	long long kb = kds_meminfo_kb("MemTotal");
	char param[64], line[512];
	int kmsg;

	ASSERT_LT(0LL, kb);
	snprintf(param, sizeof(param), "max_bytes=%llu",
		 (unsigned long long)kb * 1024 * 2);
	kmsg = kds_kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_NE(0, kds_run(&self->r, KDS_MODPROBE, "kds", param)) TH_LOG("modprobe kds %s", param);
	ASSERT_FALSE(kds_module_loaded("kds"));
	ASSERT_TRUE(kds_kmsg_has(kmsg, "max_bytes", line, sizeof(line)))
		TH_LOG("modprobe said: %s", self->r.err);
	TH_LOG("modprobe kds %s: exit %d; the kernel log: %s", param, self->r.status, line);
	close(kmsg);
	/* and the next load, with a valid figure, works */
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds", "max_bytes=1048576"));
	ASSERT_TRUE(kds_module_loaded("kds"));
}

TEST_HARNESS_MAIN
