// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the store's limits with kds reloaded under other parameters.
 * max_entries=8: a ninth key is ENOSPC through every interface, also when
 * many processes race for the last places.  max_value_size=1 MiB: values
 * that large work, and unloading a backend gives their memory back.
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
	ASSERT_EQ(-ENOSPC, kds_put_str(self->fd, KDS_U64_MAX, "ninth"));
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
 * its entry's header in one allocation take 2 KiB.  kds_hash keeps such
 * a value apart, in an allocation of its exact size; the other backends
 * keep every value inline and are only reported.
 */
TEST_F_TIMEOUT(memory, one_kib_values_cost_about_their_size_in_hash, LIMIT_TIMEOUT)
{
	long long mem0, used;
	__u32 len = 0;
	char buf[32];
	long per;
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
	per = (long)(used * 1024 / KIB_VALUES);
	TH_LOG("%s: %d values of 1 KiB take %lld KiB, %ld bytes each",
	       variant->backend, KIB_VALUES, used, per);
	memset(self->val, 'a' + 1234 % 26, 1024);
	ASSERT_EQ(0, kds_get(self->fd, 1234, self->back, 1024, &len));
	ASSERT_EQ(1024U, len);
	ASSERT_EQ(0, memcmp(self->val, self->back, 1024));
	/* the entries are really there: a quarter of their size at least */
	ASSERT_LE(KIB_VALUES / 4, used);
	if (strcmp(variant->backend, "hash"))
		return;
	/*
	 * The bound holds where a 1-KiB slab object takes 1 KiB; a debug
	 * kernel (KASAN, kmemleak) adds its own bytes to every object.
	 */
	if (kds_read_file("/sys/kernel/slab/kmalloc-1k/slab_size", buf,
			  sizeof(buf)) > 0 && atoi(buf) != 1024)
		SKIP(return, "kmalloc-1k objects take %d bytes here (slab debugging)",
		     atoi(buf));
	/* 1024 bytes and a 64-byte header; 2048 when they share a slab object */
	ASSERT_GT(1536, per);
}

TEST_HARNESS_MAIN
