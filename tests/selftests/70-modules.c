// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the modules as an administrator handles them.  Parameters and
 * their bounds (a bad value fails the load with a message naming it and
 * loads nothing), the dependency of every backend on kds, and unloading
 * (refused while a file is open, a new empty store after a reload).
 *
 * The tests of the first fixture start from the five backends with
 * default parameters (its setup reloads what a test before changed); those
 * of the second start with every kds module unloaded.  The program puts
 * the five backends back with default parameters when it exits.
 */
#include "kds_test.h"

#define MOD_TIMEOUT	90

KDS_RESTORE_DEFAULTS_AT_EXIT();

FIXTURE(modules) {
	int fd;
	int kmsg;
	struct kds_run r;
};

FIXTURE_SETUP(modules)
{
	self->fd = -1;
	self->kmsg = -1;
	ASSERT_EQ(0, kds_restore_defaults()) TH_LOG("could not load the five backends");
}

FIXTURE_TEARDOWN(modules)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->kmsg >= 0)
		close(self->kmsg);
}

static bool node_exists(const char *backend)
{
	char path[64];

	kds_path(path, sizeof(path), backend);
	return access(path, F_OK) == 0;
}

/* Put, get and delete one key through a fresh fd. */
static int device_works(const char *backend)
{
	int fd = kds_open(backend), ret;

	if (fd < 0)
		return fd;
	ret = kds_put_str(fd, 31337, "alive");
	if (!ret)
		ret = kds_holds(fd, 31337, "alive");
	if (!ret)
		ret = kds_del(fd, 31337);
	close(fd);
	return ret;
}

/*
 * modprobe @mod @param must fail, log a line naming @name, and leave @mod
 * unloaded.
 */
static void load_must_fail(struct __test_metadata *_metadata,
			   struct kds_run *r, int *kmsg, const char *mod,
			   const char *param, const char *name)
{
	char line[1024];

	*kmsg = kds_kmsg_open();
	ASSERT_LE(0, *kmsg);
	ASSERT_NE(0, kds_run(r, KDS_MODPROBE, (char *)mod, (char *)param))
		TH_LOG("modprobe %s %s succeeded", mod, param);
	ASSERT_FALSE(kds_module_loaded(mod));
	ASSERT_TRUE(kds_kmsg_has(*kmsg, name, line, sizeof(line)))
		TH_LOG("no kernel message names %s", name);
	TH_LOG("modprobe %s %s: %s", mod, param, line);
}

/* kds_hash must fail to load while kds and the other backends stay. */
static void hash_load_must_fail(struct __test_metadata *_metadata,
				FIXTURE_DATA(modules) *self, const char *param,
				const char *name)
{
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "-r", "kds_hash"));
	ASSERT_FALSE(kds_module_loaded("kds_hash"));
	load_must_fail(_metadata, &self->r, &self->kmsg, "kds_hash", param, name);
	ASSERT_FALSE(node_exists("hash"));
	ASSERT_TRUE(kds_module_loaded("kds"));
	ASSERT_TRUE(kds_module_loaded("kds_rbtree"));
	ASSERT_EQ(0, device_works("rbtree"));
}

TEST_F_TIMEOUT(modules, parameters_show_their_defaults_read_only, MOD_TIMEOUT)
{
	static const char *const params[][3] = {
		{ "kds", "max_entries", "1048576" },
		{ "kds", "max_value_size", "4096" },
		{ "kds_hash", "bits", "16" },
		{ "kds_hash", "hashfn", "hsiphash" },
	};
	char buf[64], path[128];
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(params); i++) {
		ASSERT_EQ(0, kds_param(params[i][0], params[i][1], buf, sizeof(buf)));
		ASSERT_STREQ(params[i][2], buf);
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s",
			 params[i][0], params[i][1]);
		ASSERT_EQ(0, stat(path, &st));
		ASSERT_EQ(0444U, st.st_mode & 0777) TH_LOG("%s: %o", path, st.st_mode);
	}
}

TEST_F_TIMEOUT(modules, modinfo_lists_every_parameter, MOD_TIMEOUT)
{
	ASSERT_EQ(0, kds_run(&self->r, "/sbin/modinfo", "-F", "parm", "kds"));
	ASSERT_NE(NULL, strstr(self->r.out, "max_entries:"));
	ASSERT_NE(NULL, strstr(self->r.out, "max_value_size:"));
	ASSERT_EQ(0, kds_run(&self->r, "/sbin/modinfo", "-F", "parm", "kds_hash"));
	ASSERT_NE(NULL, strstr(self->r.out, "bits:"));
	ASSERT_NE(NULL, strstr(self->r.out, "hashfn:"));
}

TEST_F_TIMEOUT(modules, kds_hash_bits_3_fails_to_load, MOD_TIMEOUT)
{
	hash_load_must_fail(_metadata, self, "bits=3", "bits");
}

TEST_F_TIMEOUT(modules, kds_hash_bits_25_fails_to_load, MOD_TIMEOUT)
{
	hash_load_must_fail(_metadata, self, "bits=25", "bits");
}

TEST_F_TIMEOUT(modules, kds_hash_unknown_hashfn_fails_to_load, MOD_TIMEOUT)
{
	hash_load_must_fail(_metadata, self, "hashfn=nope", "hashfn");
}

TEST_F_TIMEOUT(modules, kds_hash_bits_4_with_hash_64_loads_and_works, MOD_TIMEOUT)
{
	char buf[32];
	__u64 v = 0;
	int i;

	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "-r", "kds_hash"));
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds_hash", "bits=4",
			     "hashfn=hash_64"));
	ASSERT_EQ(0, kds_param("kds_hash", "hashfn", buf, sizeof(buf)));
	ASSERT_STREQ("hash_64", buf);
	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets", &v));
	ASSERT_EQ(16U, v);
	self->fd = kds_open("hash");
	ASSERT_LE(0, self->fd);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, kds_put_str(self->fd, (__u64)i, "v"));
	}
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, kds_holds(self->fd, (__u64)i, "v"));
	}
	/* 100 entries in 16 buckets: some chain holds at least 7. */
	ASSERT_EQ(0, kds_sysfs_u64("hash", "longest_chain", &v));
	ASSERT_LE(7U, v);
	ASSERT_EQ(0, kds_sysfs_u64("hash", "buckets_used", &v));
	ASSERT_GE(16U, v);
	ASSERT_LE(7U, v);	/* a hash function spreads 100 keys */
	close(self->fd);
	self->fd = -1;
}

TEST_F_TIMEOUT(modules, modprobe_r_of_one_backend_leaves_kds_for_the_others, MOD_TIMEOUT)
{
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "-r", "kds_hash"));
	ASSERT_FALSE(kds_module_loaded("kds_hash"));
	ASSERT_FALSE(node_exists("hash"));
	ASSERT_TRUE(kds_module_loaded("kds"));
	ASSERT_EQ(0, device_works("rbtree"));
	ASSERT_EQ(0, device_works("list"));
}

TEST_F_TIMEOUT(modules, rmmod_of_kds_fails_while_backends_use_it, MOD_TIMEOUT)
{
	size_t i;

	ASSERT_NE(0, kds_run(&self->r, KDS_RMMOD, "kds"));
	ASSERT_NE(0, kds_run(&self->r, KDS_MODPROBE, "-r", "kds"));
	ASSERT_TRUE(kds_module_loaded("kds"));
	for (i = 0; i < KDS_NR_BACKENDS; i++) {
		ASSERT_EQ(0, device_works(kds_backends[i])) TH_LOG("%s", kds_backends[i]);
	}
}

TEST_F_TIMEOUT(modules, unload_of_a_backend_held_open_fails_until_it_is_closed, MOD_TIMEOUT)
{
	__u64 refcnt = 0;
	long ret;

	self->fd = kds_open("rbtree");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "held"));
	ASSERT_EQ(0, kds_read_u64_file("/sys/module/kds_rbtree/refcnt", &refcnt));
	ASSERT_LE(1U, refcnt);

	ASSERT_NE(0, kds_run(&self->r, KDS_RMMOD, "kds_rbtree"));
	ASSERT_NE(NULL, strstr(self->r.err, "in use")) TH_LOG("rmmod: %s", self->r.err);
	ASSERT_NE(0, kds_run(&self->r, KDS_MODPROBE, "-r", "kds_rbtree"));
	/* The kernel itself refuses: busy (EWOULDBLOCK is its word for it). */
	ret = syscall(SYS_delete_module, "kds_rbtree", O_NONBLOCK);
	ASSERT_EQ(-1, ret);
	ASSERT_TRUE(errno == EBUSY || errno == EWOULDBLOCK) TH_LOG("errno %d", errno);
	ASSERT_TRUE(kds_module_loaded("kds_rbtree"));
	/* The open file still works. */
	ASSERT_EQ(0, kds_holds(self->fd, 1, "held"));
	ASSERT_EQ(0, kds_put_str(self->fd, 2, "still"));

	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, kds_run(&self->r, KDS_RMMOD, "kds_rbtree")) TH_LOG("%s", self->r.err);
	ASSERT_FALSE(kds_module_loaded("kds_rbtree"));
	ASSERT_FALSE(node_exists("rbtree"));
	ASSERT_TRUE(kds_module_loaded("kds"));

	/* A reload starts with an empty store. */
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds_rbtree"));
	self->fd = kds_open("rbtree");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kds_nr_entries(self->fd));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 1, "held"));
	close(self->fd);
	self->fd = -1;
}

TEST_F_TIMEOUT(modules, every_backend_unloads_with_entries_and_reloads_empty, MOD_TIMEOUT)
{
	char mod[32];
	size_t i;
	int k;

	for (i = 0; i < KDS_NR_BACKENDS; i++) {
		int fd = kds_open(kds_backends[i]);

		ASSERT_LE(0, fd);
		for (k = 0; k < 50; k++) {
			ASSERT_EQ(0, kds_put_str(fd, (__u64)k * 3, "left behind"));
		}
		close(fd);
	}
	for (i = 0; i < KDS_NR_BACKENDS; i++) {
		kds_module_of(mod, sizeof(mod), kds_backends[i]);
		ASSERT_EQ(0, kds_run(&self->r, KDS_RMMOD, mod)) TH_LOG("%s", self->r.err);
		ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, mod));
		self->fd = kds_open(kds_backends[i]);
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, kds_nr_entries(self->fd));
		close(self->fd);
		self->fd = -1;
	}
}

TEST_F_TIMEOUT(modules, modprobe_r_of_every_backend_unloads_kds_too, MOD_TIMEOUT)
{
	char mod[32];
	size_t i;

	for (i = 0; i < KDS_NR_BACKENDS; i++) {
		kds_module_of(mod, sizeof(mod), kds_backends[i]);
		ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "-r", mod))
			TH_LOG("modprobe -r %s: %s", mod, self->r.err);
		ASSERT_FALSE(node_exists(kds_backends[i]));
	}
	ASSERT_FALSE(kds_module_loaded("kds"));
}

/*
 * ---- kds itself, with nothing of ours loaded ---------------------------
 *
 * These tests start with every kds module unloaded and leave it so; the
 * program restores the defaults when it exits.
 */

FIXTURE(unloaded) {
	int fd;
	int kmsg;
	struct kds_run r;
};

FIXTURE_SETUP(unloaded)
{
	self->fd = -1;
	self->kmsg = -1;
	ASSERT_EQ(0, kds_unload_all()) TH_LOG("could not unload the kds modules");
}

FIXTURE_TEARDOWN(unloaded)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->kmsg >= 0)
		close(self->kmsg);
	EXPECT_EQ(0, kds_unload_all()) TH_LOG("could not unload the kds modules");
}

/*
 * modprobe kds @param fails, naming @name, loads no backend, and kds
 * loads again without it: nothing of the failed load is left.
 */
static void kds_load_must_fail(struct __test_metadata *_metadata,
			       FIXTURE_DATA(unloaded) *self, const char *param,
			       const char *name)
{
	size_t i;
	char mod[32];

	load_must_fail(_metadata, &self->r, &self->kmsg, "kds", param, name);
	for (i = 0; i < KDS_NR_BACKENDS; i++) {
		kds_module_of(mod, sizeof(mod), kds_backends[i]);
		ASSERT_FALSE(kds_module_loaded(mod));
		ASSERT_FALSE(node_exists(kds_backends[i]));
	}
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds"));
	ASSERT_TRUE(kds_module_loaded("kds"));
}

TEST_F_TIMEOUT(unloaded, kds_max_value_size_0_fails_to_load, MOD_TIMEOUT)
{
	kds_load_must_fail(_metadata, self, "max_value_size=0", "max_value_size");
}

TEST_F_TIMEOUT(unloaded, kds_max_value_size_over_1_mib_fails_to_load, MOD_TIMEOUT)
{
	kds_load_must_fail(_metadata, self, "max_value_size=1048577", "max_value_size");
}

TEST_F_TIMEOUT(unloaded, kds_max_entries_0_fails_to_load, MOD_TIMEOUT)
{
	kds_load_must_fail(_metadata, self, "max_entries=0", "max_entries");
}

/*
 * The bound of kds.max_entries: 2^32, or 4294967295 (ULONG_MAX) on a
 * 32-bit kernel, where the parameter is an unsigned long too.
 */
static const char *max_entries_bound(void)
{
	return kds_kernel_is_32bit() ? "4294967295" : "4294967296";
}

/* The least value over that bound. */
TEST_F_TIMEOUT(unloaded, kds_max_entries_over_its_bound_fails_to_load, MOD_TIMEOUT)
{
	kds_load_must_fail(_metadata, self, kds_kernel_is_32bit() ?
			   "max_entries=4294967296" : "max_entries=4294967297",
			   "max_entries");
}

TEST_F_TIMEOUT(unloaded, kds_max_entries_not_a_number_fails_to_load, MOD_TIMEOUT)
{
	kds_load_must_fail(_metadata, self, "max_entries=lots", "max_entries");
}

TEST_F_TIMEOUT(unloaded, kds_limits_at_their_upper_bounds_load, MOD_TIMEOUT)
{
	const char *bound = max_entries_bound();
	char buf[32], param[64];
	struct kds_api api;

	snprintf(param, sizeof(param), "max_entries=%s", bound);
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds",
			     "max_value_size=1048576", param))
		TH_LOG("stderr: %s", self->r.err);
	ASSERT_EQ(0, kds_param("kds", "max_value_size", buf, sizeof(buf)));
	ASSERT_STREQ("1048576", buf);
	ASSERT_EQ(0, kds_param("kds", "max_entries", buf, sizeof(buf)));
	ASSERT_STREQ(bound, buf);
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds_rbtree"));
	self->fd = kds_open("rbtree");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kds_api_of(self->fd, &api));
	ASSERT_EQ(1048576U, api.max_value_size);
	ASSERT_EQ(strtoull(bound, NULL, 10), api.max_entries);
	close(self->fd);
	self->fd = -1;
}

TEST_F_TIMEOUT(unloaded, kds_limits_at_their_lower_bounds_load_and_apply, MOD_TIMEOUT)
{
	struct kds_api api;
	int ret;

	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds", "max_value_size=1",
			     "max_entries=1"));
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds_maple"));
	self->fd = kds_open("maple");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kds_api_of(self->fd, &api));
	ASSERT_EQ(1U, api.max_value_size);
	ASSERT_EQ(1U, api.max_entries);
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "a"));
	ret = kds_put_str(self->fd, 1, "ab");
	ASSERT_TRUE(ret == -E2BIG || ret == -EMSGSIZE) TH_LOG("put returned %d", ret);
	ASSERT_EQ(-ENOSPC, kds_put_str(self->fd, 2, "b"));
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "c"));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "c"));
	close(self->fd);
	self->fd = -1;
}

TEST_F_TIMEOUT(unloaded, modprobe_of_a_backend_loads_kds_first, MOD_TIMEOUT)
{
	ASSERT_FALSE(kds_module_loaded("kds"));
	ASSERT_EQ(0, kds_run(&self->r, KDS_MODPROBE, "kds_rbtree"));
	ASSERT_TRUE(kds_module_loaded("kds"));
	ASSERT_TRUE(kds_module_loaded("kds_rbtree"));
	ASSERT_EQ(0, access("/sys/module/kds/holders/kds_rbtree", F_OK));
	ASSERT_EQ(0, device_works("rbtree"));
}

TEST_HARNESS_MAIN
