/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kds selftests: helpers shared by the test programs.
 *
 * Every program includes this file first.  It pulls in the kselftest
 * harness and <linux/kds.h> and adds small wrappers that turn each ioctl,
 * text command and sysfs read into one call returning 0 or -errno, so that
 * a test reads as ASSERT_EQ(-ENOENT, kds_get(...)).
 *
 * The tests are written from the contract (DESIGN.md and the uapi header),
 * not from the module's code.
 */
#ifndef KDS_TEST_H
#define KDS_TEST_H

#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/personality.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kds.h>

/* The harness has an unused handler parameter; our own code stays -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

/*
 * The harness gives a test 30 s.  On the debug kernel (KASAN, lockdep)
 * under TCG, on cores that other VMs share, one batch of KDS_BATCH_MAX
 * puts can take longer; and after a timeout the harness goes on while the
 * killed test's ioctl still runs, so the tests after it see its entries.
 * A hung test is still caught, later.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	300

#define KDS_U64_MAX		UINT64_MAX
#define KDS_DEFAULT_MAX_ENTRIES	1048576ULL
#define KDS_DEFAULT_VALUE_SIZE	4096U
#define KDS_DEFAULT_HASH_BITS	16U

/*
 * The layout of the uapi structs, the same on every architecture (32 or
 * 64 bits): a build for any of them proves it.
 */
_Static_assert(KDS_API_VERSION == 2, "the tests are written for API version 2");

#define KDS_LAYOUT(type, field, off)					\
	_Static_assert(offsetof(struct type, field) == (off),		\
		       #type "." #field " at " #off)

_Static_assert(sizeof(struct kds_api) == 48, "struct kds_api is 48 bytes");
KDS_LAYOUT(kds_api, version, 8);
KDS_LAYOUT(kds_api, features, 12);
KDS_LAYOUT(kds_api, max_entries, 16);
KDS_LAYOUT(kds_api, max_value_size, 24);
KDS_LAYOUT(kds_api, backend, 32);
_Static_assert(sizeof(struct kds_kv) == 32, "struct kds_kv is 32 bytes");
KDS_LAYOUT(kds_kv, key, 8);
KDS_LAYOUT(kds_kv, value, 16);
KDS_LAYOUT(kds_kv, value_len, 24);
KDS_LAYOUT(kds_kv, reserved, 28);
_Static_assert(sizeof(struct kds_batch_op) == 32,
	       "struct kds_batch_op is 32 bytes");
KDS_LAYOUT(kds_batch_op, result, 4);
KDS_LAYOUT(kds_batch_op, key, 8);
KDS_LAYOUT(kds_batch_op, value, 16);
KDS_LAYOUT(kds_batch_op, value_len, 24);
KDS_LAYOUT(kds_batch_op, flags, 28);
_Static_assert(sizeof(struct kds_batch) == 32, "struct kds_batch is 32 bytes");
KDS_LAYOUT(kds_batch, ops, 8);
KDS_LAYOUT(kds_batch, count, 16);
KDS_LAYOUT(kds_batch, op_size, 20);
KDS_LAYOUT(kds_batch, done, 24);
KDS_LAYOUT(kds_batch, reserved, 28);
_Static_assert(sizeof(struct kds_rec) == 16, "struct kds_rec is 16 bytes");
KDS_LAYOUT(kds_rec, value_len, 8);
KDS_LAYOUT(kds_rec, pad, 12);
_Static_assert(sizeof(struct kds_range) == 64, "struct kds_range is 64 bytes");
KDS_LAYOUT(kds_range, lo, 8);
KDS_LAYOUT(kds_range, hi, 16);
KDS_LAYOUT(kds_range, buf, 24);
KDS_LAYOUT(kds_range, buf_len, 32);
KDS_LAYOUT(kds_range, out_flags, 36);
KDS_LAYOUT(kds_range, next, 40);
KDS_LAYOUT(kds_range, count, 48);
KDS_LAYOUT(kds_range, reserved, 52);
_Static_assert(sizeof(struct kds_stats) == 120,
	       "struct kds_stats is 120 bytes");
KDS_LAYOUT(kds_stats, entries, 8);
KDS_LAYOUT(kds_stats, errors, 64);
KDS_LAYOUT(kds_stats, shape, 72);
KDS_LAYOUT(kds_stats, reserved, 76);
KDS_LAYOUT(kds_stats, length, 80);
KDS_LAYOUT(kds_stats, longest_chain, 88);
KDS_LAYOUT(kds_stats, buckets_used, 96);
KDS_LAYOUT(kds_stats, buckets, 104);
KDS_LAYOUT(kds_stats, height, 112);
_Static_assert(sizeof(struct kds_clear) == 8, "struct kds_clear is 8 bytes");
KDS_LAYOUT(kds_clear, flags, 4);

/* The backends, in the order the VM loads them. */
static const char *const kds_backends[] = {
	"list", "hash", "rbtree", "xarray", "maple",
};

#define KDS_NR_BACKENDS	(sizeof(kds_backends) / sizeof(kds_backends[0]))

/*
 * One fixture variant per backend.  A fixture declares
 *	FIXTURE_VARIANT(name) { KDS_VARIANT_FIELDS };
 * and then KDS_BACKEND_VARIANTS(name) (all five), or the ordered or
 * unordered subset.
 */
#define KDS_VARIANT_FIELDS	const char *backend; bool ordered

#define KDS_UNORDERED_VARIANTS(f)					\
	FIXTURE_VARIANT_ADD(f, list) { .backend = "list", .ordered = false };	\
	FIXTURE_VARIANT_ADD(f, hash) { .backend = "hash", .ordered = false }

#define KDS_ORDERED_VARIANTS(f)						\
	FIXTURE_VARIANT_ADD(f, rbtree) { .backend = "rbtree", .ordered = true }; \
	FIXTURE_VARIANT_ADD(f, xarray) { .backend = "xarray", .ordered = true }; \
	FIXTURE_VARIANT_ADD(f, maple) { .backend = "maple", .ordered = true }

#define KDS_BACKEND_VARIANTS(f)						\
	KDS_UNORDERED_VARIANTS(f);					\
	KDS_ORDERED_VARIANTS(f)

/* ---- the kernel's word size ----------------------------------------- */

/*
 * Is the running kernel a 32-bit one (unsigned long of 32 bits)?  From
 * uname(2)'s machine, which kds does not touch, so a backend that refused
 * big keys on a 64-bit kernel would still fail the tests.  Under the
 * PER_LINUX32 personality a 64-bit kernel calls itself i686 or armv8l:
 * uname() is then asked with the plain personality.
 */
static inline bool kds_kernel_is_32bit(void)
{
	static const char *const wide[] = { "64", "s390x", "alpha" };
	int persona = personality(0xffffffff);
	struct utsname u;
	size_t i;
	int ret;

	if (persona != -1 && (persona & PER_MASK) == PER_LINUX32)
		personality((persona & ~PER_MASK) | PER_LINUX);
	ret = uname(&u);
	if (persona != -1 && (persona & PER_MASK) == PER_LINUX32)
		personality(persona);
	if (ret)
		return false;
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (strstr(u.machine, wide[i]))
			return false;
	return true;
}

/* The largest unsigned long of the kernel: the bound of an index. */
#define KDS_ULONG32_MAX		4294967295ULL

static inline __u64 kds_kernel_ulong_max(void)
{
	return kds_kernel_is_32bit() ? KDS_ULONG32_MAX : KDS_U64_MAX;
}

/* Does @backend index by unsigned long (xarray, maple)? */
static inline bool kds_backend_ulong_keys(const char *backend)
{
	return !strcmp(backend, "xarray") || !strcmp(backend, "maple");
}

/*
 * The largest key @backend holds on this kernel: KDS_U64_MAX, or 4294967295
 * for xarray and maple on a 32-bit kernel (a key above it is EOVERFLOW).
 */
static inline __u64 kds_key_max(const char *backend)
{
	return kds_backend_ulong_keys(backend) ? kds_kernel_ulong_max() :
						 KDS_U64_MAX;
}

/* Does @backend hold @key on this kernel? */
static inline bool kds_key_fits(const char *backend, __u64 key)
{
	return key <= kds_key_max(backend);
}

/* ---- the device ------------------------------------------------------ */

static inline void kds_path(char *buf, size_t cap, const char *backend)
{
	snprintf(buf, cap, "/dev/kds/%s", backend);
}

/* open() of /dev/kds/<backend>: the fd, or -errno. */
static inline int kds_open(const char *backend)
{
	char path[64];
	int fd;

	kds_path(path, sizeof(path), backend);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Steps of a FIXTURE_SETUP/FIXTURE_TEARDOWN on one device, whose fixture
 * has int fd (and __u32 max_value_size for KDS_SETUP_MAX_VALUE_SIZE):
 * open the variant's device and empty it; read kds.max_value_size;
 * empty and close the device again.
 */
#define KDS_SETUP_OPEN()						\
	do {								\
		self->fd = kds_open(variant->backend);			\
		ASSERT_LE(0, self->fd)					\
			TH_LOG("open /dev/kds/%s: %s", variant->backend, \
			       strerror(-self->fd));			\
		ASSERT_EQ(0, kds_clear(self->fd));			\
	} while (0)

#define KDS_SETUP_MAX_VALUE_SIZE()					\
	do {								\
		__u64 __mvs = 0;					\
									\
		ASSERT_EQ(0, kds_param_u64("kds", "max_value_size",	\
					   &__mvs));			\
		self->max_value_size = (__u32)__mvs;			\
	} while (0)

#define KDS_TEARDOWN_CLOSE()						\
	do {								\
		if (self->fd >= 0) {					\
			kds_clear(self->fd);				\
			close(self->fd);				\
		}							\
	} while (0)

static inline __u64 kds_ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* One ioctl: 0 or -errno. */
static inline int kds_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* A struct kds_kv of the current size for @key and the buffer @buf. */
static inline struct kds_kv kds_kv_of(__u64 key, const void *buf, __u32 len)
{
	struct kds_kv kv = {
		.size = sizeof(kv),
		.key = key,
		.value = kds_ptr(buf),
		.value_len = len,
	};

	return kv;
}

static inline int kds_put_flags(int fd, __u64 key, const void *val,
				__u32 len, __u32 flags)
{
	struct kds_kv kv = kds_kv_of(key, val, len);

	kv.flags = flags;
	return kds_ioctl(fd, KDS_IOC_PUT, &kv);
}

static inline int kds_put(int fd, __u64 key, const void *val, __u32 len)
{
	return kds_put_flags(fd, key, val, len, 0);
}

static inline int kds_put_str(int fd, __u64 key, const char *val)
{
	return kds_put(fd, key, val, (__u32)strlen(val));
}

/* KDS_IOC_GET into @buf of @cap bytes; *@len gets value_len (also on ERANGE). */
static inline int kds_get(int fd, __u64 key, void *buf, __u32 cap, __u32 *len)
{
	struct kds_kv kv = kds_kv_of(key, buf, cap);
	int ret;

	ret = kds_ioctl(fd, KDS_IOC_GET, &kv);
	if (len)
		*len = kv.value_len;
	return ret;
}

static inline int kds_del(int fd, __u64 key)
{
	struct kds_kv kv = { .size = sizeof(kv), .key = key };

	return kds_ioctl(fd, KDS_IOC_DEL, &kv);
}

static inline int kds_clear(int fd)
{
	struct kds_clear c = { .size = sizeof(c) };

	return kds_ioctl(fd, KDS_IOC_CLEAR, &c);
}

/* KDS_IOC_STATS with @flags (0: the counters; the shape fields read 0). */
static inline int kds_stats_flags(int fd, struct kds_stats *st, __u32 flags)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = flags;
	return kds_ioctl(fd, KDS_IOC_STATS, st);
}

static inline int kds_stats(int fd, struct kds_stats *st)
{
	return kds_stats_flags(fd, st, 0);
}

/* The counters and the shape fields (KDS_STATS_SHAPE). */
static inline int kds_stats_shape(int fd, struct kds_stats *st)
{
	return kds_stats_flags(fd, st, KDS_STATS_SHAPE);
}

static inline int kds_api_of(int fd, struct kds_api *api)
{
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	return kds_ioctl(fd, KDS_IOC_API, api);
}

/*
 * Does @key hold exactly @want?  0 yes, 1 it holds something else,
 * -errno when the get fails (-ENOENT: absent).
 */
static inline int kds_holds(int fd, __u64 key, const char *want)
{
	static char buf[8192];
	size_t n = strlen(want);
	__u32 len = 0;
	int ret;

	ret = kds_get(fd, key, buf, sizeof(buf), &len);
	if (ret)
		return ret;
	return (len == n && !memcmp(buf, want, n)) ? 0 : 1;
}

/* Number of entries the store reports (KDS_IOC_STATS), or -errno. */
static inline long long kds_nr_entries(int fd)
{
	struct kds_stats st;
	int ret = kds_stats(fd, &st);

	return ret ? ret : (long long)st.entries;
}

/*
 * Bytes the store reports (KDS_IOC_STATS): the memory its entries, values
 * and nodes take as the kernel allocated them; or -errno.
 */
static inline long long kds_nr_bytes(int fd)
{
	struct kds_stats st;
	int ret = kds_stats(fd, &st);

	return ret ? ret : (long long)st.bytes;
}

/* ---- the text protocol ----------------------------------------------- */

/* write() of @len bytes: the count written, or -errno. */
static inline ssize_t kds_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
}

static inline ssize_t kds_text(int fd, const char *cmds)
{
	return kds_write(fd, cmds, strlen(cmds));
}

/*
 * Rewind and read the whole dump in reads of @chunk bytes into @buf
 * (NUL-terminated).  Returns the dump's length, -ENOBUFS if it does not
 * fit, or -errno of a failing read.
 */
static inline ssize_t kds_dump_chunked(int fd, char *buf, size_t cap,
				       size_t chunk)
{
	size_t len = 0;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		size_t want = chunk;

		if (len + want >= cap)
			want = cap - len - 1;
		if (!want)
			return -ENOBUFS;
		n = read(fd, buf + len, want);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

static inline ssize_t kds_dump(int fd, char *buf, size_t cap)
{
	return kds_dump_chunked(fd, buf, cap, 65536);
}

/* One parsed dump line: the value points into the dump buffer. */
struct kds_line {
	__u64 key;
	const char *val;
	size_t len;
};

/*
 * Parse the line from @d to @nl (its '\n') into @l: "<decimal key>
 * <value>", digits without a sign or a leading zero, one space, then the
 * value.  False when it is malformed.
 */
static inline bool kds_parse_line(const char *d, const char *nl,
				  struct kds_line *l)
{
	const char *p = d;
	__u64 key = 0;

	while (p < nl && isdigit((unsigned char)*p)) {
		unsigned int dg = (unsigned int)(*p - '0');

		if (key > (KDS_U64_MAX - dg) / 10)
			return false;
		key = key * 10 + dg;
		p++;
	}
	if (p == d || (p - d > 1 && *d == '0'))
		return false;
	if (p >= nl || *p != ' ')
		return false;
	l->key = key;
	l->val = p + 1;
	l->len = (size_t)(nl - p - 1);
	return true;
}

/*
 * Parse a dump of @len bytes into at most @max lines.  Returns the number
 * of lines, or -1 (with *@bad_at the offset) when a line is malformed or
 * unterminated, or @max is short.
 */
static inline long kds_parse_dump(const char *d, size_t len,
				  struct kds_line *lines, size_t max,
				  size_t *bad_at)
{
	size_t pos = 0, n = 0;

	while (pos < len) {
		const char *nl = memchr(d + pos, '\n', len - pos);

		if (!nl || n == max || !kds_parse_line(d + pos, nl, &lines[n])) {
			if (bad_at)
				*bad_at = pos;
			return -1;
		}
		n++;
		pos = (size_t)(nl - d) + 1;
	}
	return (long)n;
}

/* Index of the first line holding @key, or -1. */
static inline long kds_find_line(const struct kds_line *lines, long n,
				 __u64 key)
{
	long i;

	for (i = 0; i < n; i++)
		if (lines[i].key == key)
			return i;
	return -1;
}

static inline bool kds_line_is(const struct kds_line *l, const char *want)
{
	return l->len == strlen(want) && !memcmp(l->val, want, l->len);
}

/* ---- sysfs, procfs --------------------------------------------------- */

/* Read a small file into @buf (NUL-terminated): its length or -errno. */
static inline ssize_t kds_read_file(const char *path, char *buf, size_t cap)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)len < cap - 1) {
		n = read(fd, buf + len, cap - 1 - (size_t)len);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

/*
 * A file holding one decimal number and '\n' (nothing else): 0 and the
 * number, -EPROTO when the format is wrong, -errno when unreadable.
 */
static inline int kds_read_u64_file(const char *path, __u64 *val)
{
	char buf[64], *end;
	ssize_t n = kds_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (n < 2 || buf[n - 1] != '\n' || !isdigit((unsigned char)buf[0]))
		return -EPROTO;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno || end != buf + n - 1)
		return -EPROTO;
	return 0;
}

/* /sys/class/misc/kds-<backend>/<attr> as a number. */
static inline int kds_sysfs_u64(const char *backend, const char *attr,
				__u64 *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/misc/kds-%s/%s", backend, attr);
	return kds_read_u64_file(path, val);
}

static inline bool kds_sysfs_has(const char *backend, const char *attr)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/misc/kds-%s/%s", backend, attr);
	return access(path, F_OK) == 0;
}

/* /sys/module/<mod>/parameters/<param> without its '\n'. */
static inline int kds_param(const char *mod, const char *param,
			    char *buf, size_t cap)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", mod, param);
	n = kds_read_file(path, buf, cap);
	if (n < 0)
		return (int)n;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static inline int kds_param_u64(const char *mod, const char *param,
				__u64 *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", mod, param);
	return kds_read_u64_file(path, val);
}

/* Field @name of /proc/meminfo, in KiB; -1 if missing. */
static inline long long kds_meminfo_kb(const char *name)
{
	char buf[8192], key[64];
	const char *p;

	/* each field at the start of a line, the first one too */
	buf[0] = '\n';
	if (kds_read_file("/proc/meminfo", buf + 1, sizeof(buf) - 1) < 0)
		return -1;
	snprintf(key, sizeof(key), "\n%s:", name);
	p = strstr(buf, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* Is module @name listed in /proc/modules? */
static inline bool kds_module_loaded(const char *name)
{
	static char buf[65536];
	size_t n = strlen(name);
	const char *p = buf;

	if (kds_read_file("/proc/modules", buf, sizeof(buf)) < 0)
		return false;
	while (p && *p) {
		if (!strncmp(p, name, n) && p[n] == ' ')
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* ---- running programs ------------------------------------------------ */

/* What a program printed and how it ended. */
struct kds_run {
	int status;		/* exit code, or 128 + signal */
	char out[16384];	/* stdout, NUL-terminated (truncated) */
	char err[4096];		/* stderr, NUL-terminated (truncated) */
};

static inline void kds_slurp(int fd, char *buf, size_t cap)
{
	ssize_t n;
	size_t len = 0;

	lseek(fd, 0, SEEK_SET);
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
}

/*
 * Run @argv (a path, no PATH search) with stdin from /dev/null and its
 * output captured in @r.  Returns r->status, or -errno if it could not
 * be started.
 */
static inline int kds_runv(struct kds_run *r, char *const argv[])
{
	int ofd, efd, status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	ofd = memfd_create("kds-out", MFD_CLOEXEC);
	efd = memfd_create("kds-err", MFD_CLOEXEC);
	if (ofd < 0 || efd < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);

		if (in < 0 || dup2(in, 0) < 0 || dup2(ofd, 1) < 0 ||
		    dup2(efd, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
	kds_slurp(ofd, r->out, sizeof(r->out));
	kds_slurp(efd, r->err, sizeof(r->err));
	return r->status;
}

/* kds_runv() with the arguments listed, ending in NULL. */
#define kds_run(r, ...)	kds_runv((r), (char *const[]){ __VA_ARGS__, NULL })

/* ---- loading and unloading the modules ------------------------------- */

#define KDS_MODPROBE	"/sbin/modprobe"
#define KDS_RMMOD	"/sbin/rmmod"

/* "kds_<backend>" */
static inline void kds_module_of(char *buf, size_t cap, const char *backend)
{
	snprintf(buf, cap, "kds_%s", backend);
}

/* rmmod of one module if it is loaded: 0 when it is gone afterwards. */
static inline int kds_rmmod_if_loaded(const char *mod)
{
	struct kds_run r;

	if (!kds_module_loaded(mod))
		return 0;
	kds_run(&r, KDS_RMMOD, (char *)mod);
	return kds_module_loaded(mod) ? -EBUSY : 0;
}

/* Unload the five backends, then kds: 0 when none is left. */
static inline int kds_unload_all(void)
{
	char mod[32];
	size_t i;
	int ret = 0;

	for (i = 0; i < KDS_NR_BACKENDS; i++) {
		kds_module_of(mod, sizeof(mod), kds_backends[i]);
		if (kds_rmmod_if_loaded(mod))
			ret = -EBUSY;
	}
	if (kds_rmmod_if_loaded("kds"))
		ret = -EBUSY;
	return ret;
}

/*
 * kds.max_bytes as kds sets it when loaded without it: 1/8 of the RAM.
 * The kernel takes the RAM from totalram_pages(), which /proc/meminfo's
 * MemTotal also shows; @pct is the tolerance, in percent, for RAM that
 * the kernel counts differently by the time the test reads it.
 */
static inline bool kds_max_bytes_is_default(__u64 max_bytes, unsigned int pct)
{
	long long kb = kds_meminfo_kb("MemTotal");
	__u64 eighth;

	if (kb <= 0)
		return false;
	eighth = (__u64)kb * 1024 / 8;
	return max_bytes * 100 >= eighth * (100 - pct) &&
	       max_bytes * 100 <= eighth * (100 + pct);
}

/* Are kds, and kds_hash if loaded, running with default parameters? */
static inline bool kds_default_params(void)
{
	__u64 max_bytes = 0;
	char buf[64];

	if (kds_param("kds", "max_entries", buf, sizeof(buf)) ||
	    strcmp(buf, "1048576"))
		return false;
	if (kds_param("kds", "max_value_size", buf, sizeof(buf)) ||
	    strcmp(buf, "4096"))
		return false;
	if (kds_param_u64("kds", "max_bytes", &max_bytes) ||
	    !kds_max_bytes_is_default(max_bytes, 2))
		return false;
	if (!kds_module_loaded("kds_hash"))
		return true;
	if (kds_param("kds_hash", "bits", buf, sizeof(buf)) || strcmp(buf, "16"))
		return false;
	if (kds_param("kds_hash", "hashfn", buf, sizeof(buf)) ||
	    strcmp(buf, "hsiphash"))
		return false;
	return true;
}

/* The state every test program starts from and must leave behind. */
static inline bool kds_defaults_in_place(void)
{
	char mod[32];
	size_t i;

	for (i = 0; i < KDS_NR_BACKENDS; i++) {
		kds_module_of(mod, sizeof(mod), kds_backends[i]);
		if (!kds_module_loaded(mod))
			return false;
	}
	return kds_default_params();
}

/* modprobe each backend that is not loaded. */
static inline void kds_load_missing_backends(void)
{
	struct kds_run r;
	char mod[32];
	size_t i;

	for (i = 0; i < KDS_NR_BACKENDS; i++) {
		kds_module_of(mod, sizeof(mod), kds_backends[i]);
		if (!kds_module_loaded(mod))
			kds_run(&r, KDS_MODPROBE, mod);
	}
}

/*
 * Back to five backends with default parameters: 0 on success.  Loads
 * only what is missing when kds itself runs with its defaults (and
 * kds_hash again if its parameters differ); otherwise reloads everything.
 * The caller holds no kds fd.
 */
static inline int kds_restore_defaults(void)
{
	if (kds_defaults_in_place())
		return 0;
	if (kds_module_loaded("kds")) {
		if (kds_module_loaded("kds_hash") && !kds_default_params())
			kds_rmmod_if_loaded("kds_hash");
		if (kds_default_params()) {
			kds_load_missing_backends();
			if (kds_defaults_in_place())
				return 0;
		}
	}
	kds_unload_all();
	kds_load_missing_backends();
	return kds_defaults_in_place() ? 0 : -1;
}

/*
 * For a program that reloads modules: when the harness process exits
 * (its test children leave with _exit()), put the five backends back with
 * default parameters, even after a test was killed by its timeout; if
 * that fails, so does the program.
 */
#define KDS_RESTORE_DEFAULTS_AT_EXIT()					\
static pid_t kds_harness_pid;						\
static void __attribute__((constructor)) kds_remember_harness_pid(void) \
{									\
	kds_harness_pid = getpid();					\
}									\
static void __attribute__((destructor)) kds_restore_at_exit(void)	\
{									\
	if (getpid() != kds_harness_pid)				\
		return;							\
	if (kds_restore_defaults()) {					\
		printf("# could not restore the five backends with default parameters\n"); \
		fflush(stdout);						\
		_exit(1);						\
	}								\
}									\
struct kds_restore_defaults_at_exit_semicolon

/* ---- the kernel log -------------------------------------------------- */

/* /dev/kmsg positioned after the last record: new records only. */
static inline int kds_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Read the records logged since kds_kmsg_open(); true if the text of one
 * contains any of the @n strings at @needles (the first such record is
 * copied to @line).
 */
static inline bool kds_kmsg_has_any(int fd, const char *const *needles,
				    size_t n_needles, char *line, size_t cap)
{
	char rec[8192];
	bool found = false;
	ssize_t n;
	size_t i;

	if (fd < 0)
		return false;
	for (;;) {
		const char *msg;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		for (i = 0; !found && i < n_needles; i++) {
			if (strstr(msg, needles[i])) {
				size_t len = strlen(msg);

				if (len >= cap)
					len = cap - 1;
				memcpy(line, msg, len);
				line[len] = '\0';
				found = true;
			}
		}
	}
	return found;
}

/* kds_kmsg_has_any() of one string. */
static inline bool kds_kmsg_has(int fd, const char *needle, char *line,
				size_t cap)
{
	return kds_kmsg_has_any(fd, &needle, 1, line, cap);
}

/*
 * Kernel memory that a store's entries can occupy, in KiB: slab objects
 * and large kmalloc pages (both in SUnreclaim) plus vmalloc pages
 * (VmallocUsed).  Unlike MemFree, it does not count pages freed into
 * per-CPU lists as still in use.
 */
static inline long long kds_kernel_mem_kb(void)
{
	long long slab = kds_meminfo_kb("SUnreclaim");
	long long vmalloc = kds_meminfo_kb("VmallocUsed");

	return slab < 0 || vmalloc < 0 ? -1 : slab + vmalloc;
}

/* ---- memory that faults ---------------------------------------------- */

/*
 * A page with no access (PROT_NONE) directly after @valid readable and
 * writable bytes: a buffer that starts good and runs into a fault.
 * Returns the start of the good bytes; *@fault gets the bad page.
 */
static inline char *kds_fault_buf(size_t valid, char **fault)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t good = ((valid + (size_t)pg - 1) / (size_t)pg) * (size_t)pg;
	char *p;

	if (!good)
		good = (size_t)pg;
	p = mmap(NULL, good + (size_t)pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + good, (size_t)pg, PROT_NONE))
		return NULL;
	*fault = p + good;
	return p + good - valid;
}

/* An address with nothing mapped at it. */
static inline void *kds_unmapped(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)pg, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, (size_t)pg);
	return p;
}

/* Fill @buf with a pattern that depends on @seed, so values differ. */
static inline void kds_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (unsigned char)('a' + (i * 7 + seed) % 26);
}

#endif /* KDS_TEST_H */
