/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kds selftests: helpers of the reliability programs (9x-*.c: fault
 * injection, fuzzing, stress, load/unload, permissions), on top of
 * kds_test.h.
 *
 * Those programs run long on the debug kernel (tests/debug: KASAN,
 * lockdep, kmemleak, fault injection) and briefly on Debian's kernels,
 * which have none of the checkers: kds_debug_kernel() tells them apart.
 */
#ifndef KDS_REL_H
#define KDS_REL_H

#include "kds_test.h"

/* The debug kernel, recognised by lockdep: run the full lengths. */
static inline bool kds_debug_kernel(void)
{
	return access("/proc/lockdep", F_OK) == 0;
}

/* Environment variable @name as a number, or @def when unset or bad. */
static inline unsigned long long kds_env_ull(const char *name,
					     unsigned long long def)
{
	const char *v = getenv(name);
	unsigned long long n;
	char *end;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoull(v, &end, 0);
	return errno || *end ? def : n;
}

/*
 * Is @backend one of KDS_BACKENDS (names separated by commas; unset or
 * empty: every backend)?  A long run split over several boots takes one
 * backend per boot.
 */
static inline bool kds_backend_wanted(const char *backend)
{
	const char *v = getenv("KDS_BACKENDS");
	size_t n = strlen(backend);

	if (!v || !*v)
		return true;
	for (; v; v = strchr(v, ',') ? strchr(v, ',') + 1 : NULL)
		if (!strncmp(v, backend, n) && (v[n] == ',' || !v[n]))
			return true;
	return false;
}

/* splitmix64: small, fast, and the same sequence for the same seed. */
static inline __u64 kds_rand(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in 0..@n-1. */
static inline __u64 kds_rand_below(__u64 *state, __u64 n)
{
	return n ? kds_rand(state) % n : 0;
}

/* Seconds on the monotonic clock. */
static inline double kds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write @val to the file @path: 0 or -errno. */
static inline int kds_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

/* ---- a store's state: its dump and its counters ------------------------ */

#define KDS_SNAP_CAP	(16U << 20)

/**
 * struct kds_snap - what a store holds at one moment
 * @dump: the whole dump, NUL-terminated
 * @len: its length
 * @st: KDS_IOC_STATS with the shape (KDS_STATS_SHAPE), taken after the
 *	dump
 * @lines: the parsed lines (pointing into @dump)
 * @n: number of lines
 */
struct kds_snap {
	char *dump;
	size_t len;
	struct kds_stats st;
	struct kds_line *lines;
	long n;
};

static inline void kds_snap_free(struct kds_snap *sn)
{
	free(sn->dump);
	free(sn->lines);
	memset(sn, 0, sizeof(*sn));
}

/*
 * Dump and counters of @backend through a fresh fd (so that no fd of the
 * caller changes).  0, -EPROTO when the dump does not parse, or -errno.
 */
static inline int kds_snap_take(const char *backend, struct kds_snap *sn)
{
	size_t i, nl = 0;
	ssize_t len;
	int fd, ret;

	memset(sn, 0, sizeof(*sn));
	fd = kds_open(backend);
	if (fd < 0)
		return fd;
	sn->dump = malloc(KDS_SNAP_CAP);
	if (!sn->dump) {
		close(fd);
		return -ENOMEM;
	}
	len = kds_dump(fd, sn->dump, KDS_SNAP_CAP);
	ret = len < 0 ? (int)len : kds_stats_shape(fd, &sn->st);
	close(fd);
	if (ret)
		return ret;
	sn->len = (size_t)len;
	for (i = 0; i < sn->len; i++)
		nl += sn->dump[i] == '\n';
	sn->lines = calloc(nl + 1, sizeof(*sn->lines));
	if (!sn->lines)
		return -ENOMEM;
	sn->n = kds_parse_dump(sn->dump, sn->len, sn->lines, nl + 1, NULL);
	return sn->n < 0 ? -EPROTO : 0;
}

static inline int kds_cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Is @backend's a store with key order (range works)? */
static inline bool kds_backend_ordered(const char *backend)
{
	return strcmp(backend, "list") && strcmp(backend, "hash");
}

/*
 * Bytes a store may count per entry for the nodes of its structure, on
 * top of the entry and its value: an XArray node per level on the
 * entry's path (64-bit keys, 6 bits a level: 11 levels), a maple node per
 * entry; each allowed 1 KiB.  The other backends' links live in their
 * entries.
 */
static inline __u64 kds_node_allowance(const char *backend)
{
	if (!strcmp(backend, "xarray"))
		return 11 * 1024;
	if (!strcmp(backend, "maple"))
		return 1024;
	return 0;
}

/*
 * Least and most bytes (the stat: memory as the kernel allocated it) a
 * store of @backend may count for one entry of a @len-byte value: the
 * value and its 8-byte key at least; at most twice the value (a slab
 * size class is at most twice what it holds) and 512 bytes of entry,
 * plus the nodes of kds_node_allowance().
 */
static inline __u64 kds_entry_min_bytes(__u64 len)
{
	return len + 8;
}

static inline __u64 kds_entry_max_bytes(const char *backend, __u64 len)
{
	return 2 * len + 512 + kds_node_allowance(backend);
}

/*
 * The invariants of a store of @backend nobody is changing: one dump line
 * per entry, no key twice, keys ascending on an ordered backend; no bytes
 * when it holds nothing, and otherwise bytes within what its entries may
 * take (kds_entry_min_bytes() and kds_entry_max_bytes() summed over them).
 * NULL, or what is wrong (static).
 */
static inline const char *kds_snap_check(const struct kds_snap *sn,
					 const char *backend)
{
	bool ordered = kds_backend_ordered(backend);
	__u64 *keys, least = 0, most = 0;
	static char why[256];
	long i;

	if (sn->n < 0)
		return "the dump does not parse";
	if ((__u64)sn->n != sn->st.entries) {
		snprintf(why, sizeof(why), "%ld dump lines but %llu entries",
			 sn->n, (unsigned long long)sn->st.entries);
		return why;
	}
	keys = malloc(((size_t)sn->n + 1) * sizeof(*keys));
	if (!keys)
		return "out of memory";
	for (i = 0; i < sn->n; i++) {
		keys[i] = sn->lines[i].key;
		least += kds_entry_min_bytes(sn->lines[i].len);
		most += kds_entry_max_bytes(backend, sn->lines[i].len);
		if (ordered && i && sn->lines[i - 1].key >= sn->lines[i].key) {
			snprintf(why, sizeof(why), "key %llu after %llu",
				 (unsigned long long)sn->lines[i].key,
				 (unsigned long long)sn->lines[i - 1].key);
			free(keys);
			return why;
		}
	}
	qsort(keys, (size_t)sn->n, sizeof(*keys), kds_cmp_u64);
	for (i = 1; i < sn->n; i++) {
		if (keys[i] == keys[i - 1]) {
			snprintf(why, sizeof(why), "key %llu twice",
				 (unsigned long long)keys[i]);
			free(keys);
			return why;
		}
	}
	free(keys);
	if (sn->st.bytes < least || sn->st.bytes > most) {
		snprintf(why, sizeof(why),
			 "%ld entries count %llu bytes; they take %llu..%llu",
			 sn->n, (unsigned long long)sn->st.bytes,
			 (unsigned long long)least, (unsigned long long)most);
		return why;
	}
	return NULL;
}

#endif /* KDS_REL_H */
