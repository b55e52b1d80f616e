// SPDX-License-Identifier: GPL-2.0
/*
 * kds: the binary interface, one key at a time (KDS_IOC_API, PUT, GET,
 * DEL, CLEAR), the retired number of version 1's no-op, and how each
 * command refuses bad input: the errno of the uapi header, and a store
 * left as it was.  The layout of the structs is checked at build time, in
 * kds_test.h.
 */
#include "kds_test.h"

FIXTURE(ioctl) {
	int fd;
	__u32 max_value_size;
};

FIXTURE_VARIANT(ioctl) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(ioctl);

FIXTURE_SETUP(ioctl)
{
	KDS_SETUP_OPEN();
	KDS_SETUP_MAX_VALUE_SIZE();
}

FIXTURE_TEARDOWN(ioctl)
{
	KDS_TEARDOWN_CLOSE();
}

/* A struct followed by 8 more bytes, for the size-growth rules. */
struct kv_grown {
	struct kds_kv kv;
	__u64 tail;
};

TEST_F(ioctl, api_handshake_reports_version_features_and_limits)
{
	struct kds_api api;
	__u64 max_entries = 0, mvs = 0;

	ASSERT_EQ(0, kds_api_of(self->fd, &api));
	ASSERT_EQ((__u32)KDS_API_VERSION, api.version);
	/* only bits the header names (the uring bit is 35-uring's) */
	ASSERT_EQ(0U, api.features & ~(KDS_FEAT_RANGE | KDS_FEAT_BATCH |
				       KDS_FEAT_URING_CMD));
	ASSERT_EQ(KDS_FEAT_BATCH, api.features & KDS_FEAT_BATCH);
	ASSERT_EQ(variant->ordered ? KDS_FEAT_RANGE : 0U,
		  api.features & KDS_FEAT_RANGE);
	ASSERT_EQ(0, kds_param_u64("kds", "max_entries", &max_entries));
	ASSERT_EQ(0, kds_param_u64("kds", "max_value_size", &mvs));
	ASSERT_EQ(max_entries, api.max_entries);
	ASSERT_EQ(mvs, api.max_value_size);
	ASSERT_NE(NULL, memchr(api.backend, '\0', sizeof(api.backend)));
	ASSERT_STREQ(variant->backend, api.backend);
}

TEST_F(ioctl, api_with_nonzero_flags_is_einval)
{
	struct kds_api api = { .size = sizeof(api), .flags = 1 };

	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_API, &api));
}

/* 0x08 was KDS_IOC_NOOP in version 1: retired, it is an unknown number. */
TEST_F(ioctl, retired_noop_number_is_enotty_like_an_unused_one)
{
	struct kds_kv kv = kds_kv_of(1, "x", 1);
	const unsigned long cmds[] = {
		_IO(KDS_TYPE, 0x08),
		_IO(KDS_TYPE, 0x3f),
	};
	size_t i;

	ASSERT_EQ(0, kds_put_str(self->fd, 2, "kept"));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		/* as version 1's callers made it, and with a struct */
		errno = 0;
		ASSERT_EQ(-1, ioctl(self->fd, cmds[i], 0))
			TH_LOG("command %#lx", cmds[i]);
		ASSERT_EQ(ENOTTY, errno) TH_LOG("command %#lx", cmds[i]);
		ASSERT_EQ(-ENOTTY, kds_ioctl(self->fd, cmds[i], &kv))
			TH_LOG("command %#lx", cmds[i]);
	}
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 1, "x"));
	ASSERT_EQ(0, kds_holds(self->fd, 2, "kept"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(ioctl, put_then_get_returns_the_value)
{
	char buf[64];
	__u32 len = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 42, "hello world"));
	ASSERT_EQ(0, kds_get(self->fd, 42, buf, sizeof(buf), &len));
	ASSERT_EQ(11U, len);
	ASSERT_EQ(0, memcmp(buf, "hello world", 11));
}

TEST_F(ioctl, put_of_an_existing_key_replaces_its_value)
{
	ASSERT_EQ(0, kds_put_str(self->fd, 7, "first"));
	ASSERT_EQ(0, kds_put_str(self->fd, 7, "second, longer"));
	ASSERT_EQ(0, kds_holds(self->fd, 7, "second, longer"));
	ASSERT_EQ(0, kds_put_str(self->fd, 7, "x"));
	ASSERT_EQ(0, kds_holds(self->fd, 7, "x"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(ioctl, put_of_an_empty_value_stores_zero_bytes)
{
	char buf[8] = "unset";
	__u32 len = 99;

	ASSERT_EQ(0, kds_put(self->fd, 3, "", 0));
	ASSERT_EQ(0, kds_get(self->fd, 3, buf, sizeof(buf), &len));
	ASSERT_EQ(0U, len);
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(ioctl, binary_values_round_trip_byte_for_byte)
{
	const char val[] = { 0, '\n', ' ', (char)0xff, 0, 'a', '\r', 0 };
	char buf[16];
	__u32 len = 0;

	ASSERT_EQ(0, kds_put(self->fd, 5, val, sizeof(val)));
	ASSERT_EQ(0, kds_get(self->fd, 5, buf, sizeof(buf), &len));
	ASSERT_EQ(sizeof(val), len);
	ASSERT_EQ(0, memcmp(buf, val, sizeof(val)));
}

/* 0 and the largest key of the backend (KDS_U64_MAX, see kds_key_max()) */
TEST_F(ioctl, keys_zero_and_the_largest_are_ordinary_keys)
{
	const __u64 max = kds_key_max(variant->backend);

	ASSERT_EQ(0, kds_put_str(self->fd, 0, "zero"));
	ASSERT_EQ(0, kds_put_str(self->fd, max, "max"));
	ASSERT_EQ(0, kds_put_str(self->fd, max - 1, "max-1"));
	ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
	ASSERT_EQ(0, kds_holds(self->fd, max, "max"));
	ASSERT_EQ(0, kds_holds(self->fd, max - 1, "max-1"));
	ASSERT_EQ(0, kds_del(self->fd, max));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, max, "max"));
	ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
	ASSERT_EQ(2, kds_nr_entries(self->fd));
}

/*
 * Keys above 4294967295 (ULONG_MAX of a 32-bit kernel): on a 32-bit
 * kernel xarray and maple refuse them with EOVERFLOW in put, get and del
 * and leave the store as it was, while 4294967295 is an ordinary key;
 * every other backend, and every backend on a 64-bit kernel, holds them
 * like any key.
 */
TEST_F(ioctl, keys_over_32_bits_are_eoverflow_only_where_indices_are_32_bits)
{
	const __u64 big[] = {
		KDS_ULONG32_MAX + 1, KDS_ULONG32_MAX + 2, 1ULL << 40,
		KDS_U64_MAX - 1, KDS_U64_MAX,
	};
	const bool narrow = kds_kernel_is_32bit() &&
			    kds_backend_ulong_keys(variant->backend);
	char buf[16];
	__u32 len = 99;
	size_t i;

	ASSERT_EQ(0, kds_put_str(self->fd, KDS_ULONG32_MAX, "ulong max"));
	ASSERT_EQ(0, kds_put_str(self->fd, 0, "zero"));
	for (i = 0; i < ARRAY_SIZE(big); i++) {
		__u64 k = big[i];

		if (!narrow) {
			ASSERT_EQ(0, kds_put_str(self->fd, k, "big"))
				TH_LOG("key %llu", (unsigned long long)k);
			ASSERT_EQ(0, kds_holds(self->fd, k, "big"));
			ASSERT_EQ(0, kds_put_str(self->fd, k, "bigger"));
			ASSERT_EQ(0, kds_holds(self->fd, k, "bigger"));
			ASSERT_EQ(3, kds_nr_entries(self->fd));
			ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
			ASSERT_EQ(0, kds_holds(self->fd, KDS_ULONG32_MAX,
					       "ulong max"));
			ASSERT_EQ(0, kds_del(self->fd, k));
			ASSERT_EQ(-ENOENT, kds_del(self->fd, k));
			continue;
		}
		ASSERT_EQ(-EOVERFLOW, kds_put_str(self->fd, k, "big"))
			TH_LOG("key %llu", (unsigned long long)k);
		ASSERT_EQ(-EOVERFLOW, kds_put_flags(self->fd, k, "big", 3,
						    KDS_PUT_NOREPLACE));
		len = 99;
		ASSERT_EQ(-EOVERFLOW, kds_get(self->fd, k, buf, sizeof(buf),
					      &len));
		ASSERT_EQ(-EOVERFLOW, kds_del(self->fd, k));
		/* nor taken as the 32-bit key it truncates to */
		ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
		ASSERT_EQ(0, kds_holds(self->fd, KDS_ULONG32_MAX, "ulong max"));
		if ((__u32)k != 0 && (__u32)k != KDS_ULONG32_MAX)
			ASSERT_EQ(-ENOENT, kds_holds(self->fd, (__u32)k, ""));
		ASSERT_EQ(2, kds_nr_entries(self->fd));
	}
	ASSERT_EQ(0, kds_holds(self->fd, KDS_ULONG32_MAX, "ulong max"));
	ASSERT_EQ(0, kds_holds(self->fd, 0, "zero"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 1, ""));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 2, ""));
	ASSERT_EQ(2, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_del(self->fd, KDS_ULONG32_MAX));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, KDS_ULONG32_MAX, ""));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(ioctl, put_of_max_value_size_bytes_round_trips)
{
	__u32 n = self->max_value_size, len = 0;
	char *val = malloc(n), *buf = malloc(n);

	ASSERT_NE(NULL, val);
	ASSERT_NE(NULL, buf);
	kds_pattern(val, n, 1);
	ASSERT_EQ(0, kds_put(self->fd, 1, val, n));
	ASSERT_EQ(0, kds_get(self->fd, 1, buf, n, &len));
	ASSERT_EQ(n, len);
	ASSERT_EQ(0, memcmp(val, buf, n));
	free(val);
	free(buf);
}

TEST_F(ioctl, put_over_max_value_size_is_e2big_and_keeps_the_old_value)
{
	__u32 n = self->max_value_size + 1;
	char *val = malloc(n);
	int ret;

	ASSERT_NE(NULL, val);
	kds_pattern(val, n, 2);
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	ret = kds_put(self->fd, 1, val, n);
	ASSERT_TRUE(ret == -E2BIG || ret == -EMSGSIZE) TH_LOG("put returned %d", ret);
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
	ret = kds_put(self->fd, 2, val, n);
	ASSERT_TRUE(ret == -E2BIG || ret == -EMSGSIZE) TH_LOG("put returned %d", ret);
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 2, ""));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
	free(val);
}

TEST_F(ioctl, put_of_a_huge_length_is_e2big_not_a_fault)
{
	int ret;

	/* The length is checked before anything is read from user space. */
	ret = kds_put(self->fd, 1, "x", 0xffffffffU);
	ASSERT_TRUE(ret == -E2BIG || ret == -EMSGSIZE) TH_LOG("put returned %d", ret);
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(ioctl, put_noreplace_of_an_existing_key_is_eexist)
{
	ASSERT_EQ(0, kds_put_flags(self->fd, 9, "a", 1, KDS_PUT_NOREPLACE));
	ASSERT_EQ(-EEXIST, kds_put_flags(self->fd, 9, "b", 1, KDS_PUT_NOREPLACE));
	ASSERT_EQ(0, kds_holds(self->fd, 9, "a"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(ioctl, get_of_a_missing_key_is_enoent)
{
	char buf[8];

	ASSERT_EQ(-ENOENT, kds_get(self->fd, 12345, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, kds_put_str(self->fd, 12344, "near"));
	ASSERT_EQ(-ENOENT, kds_get(self->fd, 12345, buf, sizeof(buf), NULL));
}

TEST_F(ioctl, get_into_a_small_buffer_is_erange_with_the_needed_length)
{
	char buf[8] = "#######";
	__u32 len = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 4, "0123456789"));
	ASSERT_EQ(-ERANGE, kds_get(self->fd, 4, buf, 4, &len));
	ASSERT_EQ(10U, len);
	/* Nothing was copied. */
	ASSERT_EQ(0, memcmp(buf, "#######", 8));
	ASSERT_EQ(-ERANGE, kds_get(self->fd, 4, buf, 0, &len));
	ASSERT_EQ(10U, len);
	ASSERT_EQ(0, kds_holds(self->fd, 4, "0123456789"));
}

TEST_F(ioctl, get_into_an_exact_buffer_succeeds)
{
	char buf[10];
	__u32 len = 0;

	ASSERT_EQ(0, kds_put_str(self->fd, 4, "0123456789"));
	ASSERT_EQ(0, kds_get(self->fd, 4, buf, sizeof(buf), &len));
	ASSERT_EQ(10U, len);
	ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
}

TEST_F(ioctl, del_removes_only_its_key)
{
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "one"));
	ASSERT_EQ(0, kds_put_str(self->fd, 2, "two"));
	ASSERT_EQ(0, kds_del(self->fd, 1));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 1, "one"));
	ASSERT_EQ(0, kds_holds(self->fd, 2, "two"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(ioctl, del_of_a_missing_key_is_enoent)
{
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "one"));
	ASSERT_EQ(-ENOENT, kds_del(self->fd, 2));
	ASSERT_EQ(0, kds_del(self->fd, 1));
	ASSERT_EQ(-ENOENT, kds_del(self->fd, 1));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(ioctl, clear_empties_the_store)
{
	char d[64];
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, kds_put_str(self->fd, (__u64)i * 1000, "v"));
	}
	ASSERT_EQ(20, kds_nr_entries(self->fd));
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(-ENOENT, kds_holds(self->fd, (__u64)i * 1000, "v"));
	}
	ASSERT_EQ(0, kds_dump(self->fd, d, sizeof(d)));
	/* The store is usable again. */
	ASSERT_EQ(0, kds_put_str(self->fd, 5, "again"));
	ASSERT_EQ(0, kds_holds(self->fd, 5, "again"));
	ASSERT_EQ(0, kds_clear(self->fd));
	ASSERT_EQ(0, kds_clear(self->fd));
}

TEST_F(ioctl, clear_with_nonzero_flags_is_einval_and_changes_nothing)
{
	struct kds_clear c = { .size = sizeof(c) };
	const __u32 flags[] = { 1, 2, 1U << 31 };
	size_t i;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "kept"));
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		c.flags = flags[i];
		ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_CLEAR, &c))
			TH_LOG("flags %#x", flags[i]);
	}
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

/* Version 1 took the integer 0: now that is a NULL struct pointer. */
TEST_F(ioctl, clear_with_a_null_pointer_is_efault_and_changes_nothing)
{
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "kept"));
	ASSERT_EQ(-EFAULT, kds_ioctl(self->fd, KDS_IOC_CLEAR, NULL));
	ASSERT_EQ(-1, ioctl(self->fd, KDS_IOC_CLEAR, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-EFAULT, kds_ioctl(self->fd, KDS_IOC_CLEAR, kds_unmapped()));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
}

TEST_F(ioctl, clear_with_a_size_below_8_is_einval_and_changes_nothing)
{
	struct kds_clear c = { 0 };
	const __u32 sizes[] = { 0, 1, 4, 7 };
	size_t i;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "kept"));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		c.size = sizes[i];
		ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_CLEAR, &c))
			TH_LOG("size %u", sizes[i]);
	}
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
}

TEST_F(ioctl, clear_of_a_larger_struct_follows_the_size_rules)
{
	struct {
		struct kds_clear c;
		__u64 tail;
	} g = { .c = { .size = sizeof(g) }, .tail = 1 };

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "kept"));
	ASSERT_EQ(-E2BIG, kds_ioctl(self->fd, KDS_IOC_CLEAR, &g));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
	g.tail = 0;
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_CLEAR, &g));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(ioctl, unknown_commands_are_enotty)
{
	struct kds_kv kv = {
		.size = sizeof(kv), .key = 1, .value = kds_ptr("x"), .value_len = 1,
	};
	const unsigned long cmds[] = {
		_IO(KDS_TYPE, 0x08),	/* retired */
		_IO(KDS_TYPE, 0x09),
		_IO(KDS_TYPE, 0x3f),
		_IO(KDS_TYPE - 1, 0x01),	/* PUT's number, another type */
		_IO('T', 0x01),
		_IOWR(KDS_TYPE, 0x01, struct kds_kv),	/* not how PUT is spelt */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		ASSERT_EQ(-ENOTTY, kds_ioctl(self->fd, cmds[i], &kv))
			TH_LOG("command %#lx", cmds[i]);
	}
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

TEST_F(ioctl, unknown_put_flag_is_einval_and_changes_nothing)
{
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	ASSERT_EQ(-EINVAL, kds_put_flags(self->fd, 1, "new", 3, 1U << 31));
	ASSERT_EQ(-EINVAL, kds_put_flags(self->fd, 2, "new", 3, 1U << 1));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 2, "new"));
}

TEST_F(ioctl, flags_on_get_and_del_are_einval)
{
	struct kds_kv kv = { .size = sizeof(kv), .flags = 1, .key = 1 };
	char buf[8];

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "kept"));
	kv.value = kds_ptr(buf);
	kv.value_len = sizeof(buf);
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_GET, &kv));
	memset(&kv, 0, sizeof(kv));
	kv.size = sizeof(kv);
	kv.flags = KDS_PUT_NOREPLACE;
	kv.key = 1;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_DEL, &kv));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
}

TEST_F(ioctl, nonzero_reserved_is_einval_and_changes_nothing)
{
	struct kds_kv kv = {
		.size = sizeof(kv), .key = 1, .value = kds_ptr("new"),
		.value_len = 3, .reserved = 1,
	};
	char buf[8];

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_PUT, &kv));
	kv.value = kds_ptr(buf);
	kv.value_len = sizeof(buf);
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_GET, &kv));
	kv.value = 0;
	kv.value_len = 0;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_DEL, &kv));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
}

TEST_F(ioctl, del_with_a_nonzero_value_len_is_einval)
{
	struct kds_kv kv = { .size = sizeof(kv), .key = 1, .value_len = 1 };

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "kept"));
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_DEL, &kv));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
}

TEST_F(ioctl, size_below_the_first_version_is_einval)
{
	struct kds_kv kv = {
		.key = 1, .value = kds_ptr("new"), .value_len = 3,
	};
	struct kds_api api = { 0 };
	struct kds_stats st = { 0 };
	const __u32 sizes[] = { 0, 1, 8, sizeof(kv) - 4, sizeof(kv) - 1 };
	size_t i;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		kv.size = sizes[i];
		ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_PUT, &kv))
			TH_LOG("size %u", sizes[i]);
		ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_DEL, &kv))
			TH_LOG("size %u", sizes[i]);
	}
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
	api.size = sizeof(api) - 1;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_API, &api));
	st.size = sizeof(st) - 1;
	ASSERT_EQ(-EINVAL, kds_ioctl(self->fd, KDS_IOC_STATS, &st));
}

TEST_F(ioctl, larger_struct_with_nonzero_tail_is_e2big)
{
	struct kv_grown g = {
		.kv = {
			.size = sizeof(g), .key = 1, .value = kds_ptr("new"),
			.value_len = 3,
		},
		.tail = 1,
	};

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	ASSERT_EQ(-E2BIG, kds_ioctl(self->fd, KDS_IOC_PUT, &g));
	g.tail = 1ULL << 63;
	ASSERT_EQ(-E2BIG, kds_ioctl(self->fd, KDS_IOC_PUT, &g));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
}

TEST_F(ioctl, larger_struct_with_zero_tail_is_accepted)
{
	struct kv_grown g = {
		.kv = {
			.size = sizeof(g), .key = 1, .value = kds_ptr("new"),
			.value_len = 3,
		},
	};
	struct {
		struct kds_api api;
		__u64 tail[4];
	} api = { .api = { .size = sizeof(api) } };
	struct {
		struct kds_stats st;
		__u64 tail;
	} st = { .st = { .size = sizeof(st) } };
	char buf[8];

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_PUT, &g));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "new"));
	g.kv.value = kds_ptr(buf);
	g.kv.value_len = sizeof(buf);
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_GET, &g));
	ASSERT_EQ(3U, g.kv.value_len);
	ASSERT_EQ(0, memcmp(buf, "new", 3));
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_API, &api));
	ASSERT_EQ((__u32)KDS_API_VERSION, api.api.version);
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_STATS, &st));
	ASSERT_EQ(1U, st.st.entries);
	g.kv.value = 0;
	g.kv.value_len = 0;
	ASSERT_EQ(0, kds_ioctl(self->fd, KDS_IOC_DEL, &g));
	ASSERT_EQ(0, kds_nr_entries(self->fd));
}

/* Zero tails are read up to a page; a larger struct is refused unread. */
TEST_F(ioctl, struct_larger_than_a_page_is_e2big_and_changes_nothing)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kds_kv *kv = calloc(1, 2 * page);

	ASSERT_NE(NULL, kv);
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	*kv = (struct kds_kv){ .key = 1, .value = kds_ptr("new"), .value_len = 3 };
	kv->size = (__u32)page;
	EXPECT_EQ(0, kds_ioctl(self->fd, KDS_IOC_PUT, kv));
	EXPECT_EQ(0, kds_holds(self->fd, 1, "new"));
	kv->value = kds_ptr("newer");
	kv->value_len = 5;
	kv->size = (__u32)page + 1;
	EXPECT_EQ(-E2BIG, kds_ioctl(self->fd, KDS_IOC_PUT, kv));
	EXPECT_EQ(0, kds_holds(self->fd, 1, "new"));
	free(kv);
}

TEST_F(ioctl, struct_pointer_that_faults_is_efault)
{
	void *bad = kds_unmapped();
	const unsigned long cmds[] = {
		KDS_IOC_API, KDS_IOC_PUT, KDS_IOC_GET, KDS_IOC_DEL,
		KDS_IOC_BATCH, KDS_IOC_RANGE, KDS_IOC_STATS,
	};
	size_t i;

	ASSERT_NE(NULL, bad);
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "kept"));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		/* Unordered backends may refuse a range before reading it. */
		if (cmds[i] == KDS_IOC_RANGE && !variant->ordered)
			continue;
		ASSERT_EQ(-EFAULT, kds_ioctl(self->fd, cmds[i], bad))
			TH_LOG("command %#lx", cmds[i]);
		ASSERT_EQ(-EFAULT, kds_ioctl(self->fd, cmds[i], NULL))
			TH_LOG("command %#lx with NULL", cmds[i]);
	}
	ASSERT_EQ(0, kds_holds(self->fd, 1, "kept"));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
}

TEST_F(ioctl, struct_cut_by_a_fault_is_efault)
{
	char *fault;
	struct kds_kv *kv;

	/* The struct's last 8 bytes lie in an unmapped page. */
	kv = (struct kds_kv *)kds_fault_buf(sizeof(*kv) - 8, &fault);
	ASSERT_NE(NULL, kv);
	kv->size = sizeof(*kv);
	kv->key = 1;
	kv->value = kds_ptr("new");
	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	ASSERT_EQ(-EFAULT, kds_ioctl(self->fd, KDS_IOC_PUT, kv));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
}

TEST_F(ioctl, put_value_pointer_that_faults_is_efault_and_keeps_the_old_value)
{
	char *fault, *half;
	int i;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "old"));
	ASSERT_EQ(-EFAULT, kds_put(self->fd, 1, kds_unmapped(), 16));
	ASSERT_EQ(-EFAULT, kds_put(self->fd, 1, NULL, 16));
	/* A value that starts readable and runs into an unmapped page. */
	half = kds_fault_buf(100, &fault);
	ASSERT_NE(NULL, half);
	for (i = 0; i < 100; i++)
		half[i] = 'h';
	ASSERT_EQ(-EFAULT, kds_put(self->fd, 1, half, 200));
	ASSERT_EQ(-EFAULT, kds_put(self->fd, 2, half, 200));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "old"));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 2, ""));
	ASSERT_EQ(1, kds_nr_entries(self->fd));
	/* The same 100 good bytes are fine on their own. */
	ASSERT_EQ(0, kds_put(self->fd, 2, half, 100));
}

TEST_F(ioctl, get_buffer_that_faults_is_efault)
{
	char *ro;

	ASSERT_EQ(0, kds_put_str(self->fd, 1, "value"));
	ASSERT_EQ(-EFAULT, kds_get(self->fd, 1, kds_unmapped(), 16, NULL));
	/* A read-only buffer cannot take the value either. */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(-EFAULT, kds_get(self->fd, 1, ro, 16, NULL));
	ASSERT_EQ(0, kds_holds(self->fd, 1, "value"));
}

/*
 * The kernel writes a value straight from its entry to the caller's
 * buffer with page faults disabled; a buffer whose pages are not there
 * yet (never touched, or given back with MADV_DONTNEED) takes the other
 * way, through a kernel buffer.  Either way the caller gets every byte:
 * here a 3000-byte value into fresh pages, then across a page that is
 * there and one that is not.
 */
TEST_F(ioctl, get_into_pages_not_yet_present_returns_the_whole_value)
{
	const __u32 n = 3000;
	char val[3000], *map;
	long page = sysconf(_SC_PAGESIZE);
	__u32 len = 0;

	if (n > self->max_value_size)
		SKIP(return, "kds.max_value_size is below %u", n);
	kds_pattern(val, n, 7);
	ASSERT_EQ(0, kds_put(self->fd, 1, val, n));
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, kds_get(self->fd, 1, map, n, &len));
	ASSERT_EQ(n, len);
	ASSERT_EQ(0, memcmp(val, map, n));
	/* The first page there, the second given back: the value spans both. */
	memset(map, 0, page);
	ASSERT_EQ(0, madvise(map + page, page, MADV_DONTNEED));
	len = 0;
	ASSERT_EQ(0, kds_get(self->fd, 1, map + page - n / 2, n, &len));
	ASSERT_EQ(n, len);
	ASSERT_EQ(0, memcmp(val, map + page - n / 2, n));
	ASSERT_EQ(0, munmap(map, 2 * page));
}

TEST_F(ioctl, output_struct_in_read_only_memory_is_efault)
{
	struct kds_stats *st;
	struct kds_api *api;
	char *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	st = (struct kds_stats *)p;
	st->size = sizeof(*st);
	api = (struct kds_api *)(p + 1024);
	api->size = sizeof(*api);
	ASSERT_EQ(0, mprotect(p, 4096, PROT_READ));
	ASSERT_EQ(-EFAULT, kds_ioctl(self->fd, KDS_IOC_STATS, st));
	ASSERT_EQ(-EFAULT, kds_ioctl(self->fd, KDS_IOC_API, api));
}

TEST_F(ioctl, fds_share_one_store)
{
	int fd2 = kds_open(variant->backend);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kds_put_str(self->fd, 77, "shared"));
	ASSERT_EQ(0, kds_holds(fd2, 77, "shared"));
	ASSERT_EQ(0, kds_del(fd2, 77));
	ASSERT_EQ(-ENOENT, kds_holds(self->fd, 77, "shared"));
	close(fd2);
}

TEST_F(ioctl, stores_of_different_backends_are_separate)
{
	const char *other = strcmp(variant->backend, "hash") ? "hash" : "list";
	int fd2 = kds_open(other);

	ASSERT_LE(0, fd2);
	kds_del(fd2, 4242);
	ASSERT_EQ(0, kds_put_str(self->fd, 4242, "mine"));
	ASSERT_EQ(-ENOENT, kds_holds(fd2, 4242, "mine"));
	close(fd2);
}

TEST_HARNESS_MAIN
