// SPDX-License-Identifier: GPL-2.0
/*
 * kds: seeded random calls at every entry point of each device.
 *
 * ioctl() with random command numbers (ours and other drivers' types) and
 * random argument structs: sizes around and far from the real ones, bad,
 * unaligned and kernel pointers, huge lengths, random flags and reserved
 * fields; write() of random bytes and of random command lines, valid and
 * broken; read(), pread() and lseek() at random offsets and sizes; fds
 * opened and closed in the middle of a dump.  Every call must return
 * success or one of the errnos its interface documents; after each batch
 * of calls the store must still be coherent: its dump parses, has one
 * line per entry and no key twice, counts no bytes when empty and
 * otherwise bytes within what its entries may take, and on an ordered
 * backend the keys ascend and a full range returns the same entries.
 *
 * 10^6 calls per backend on the debug kernel (whose KASAN, lockdep and
 * kmemleak do the rest of the checking), 10^4 on Debian's kernels.
 * KDS_FUZZ_CALLS and KDS_FUZZ_SEED override, KDS_BACKENDS=hash,maple
 * picks backends (the others skip); the seed is printed, and a failing
 * call is printed with its number, so a run can be repeated.
 * tests/fuzz/kds.txt describes the same interface for syzkaller.
 */
#include "kds_rel.h"

#define FUZZ_TIMEOUT	3600
#define ARENA		(1U << 20)	/* structs and output buffers */
#define VALUES		(1U << 20)	/* put values: read-only, no '\n' */
#define BATCH_EVERY	4096		/* calls between coherence checks */
#define STORE_LIMIT	4096		/* clear the store above this */

struct fuzz {
	const char *backend;
	bool ordered;
	bool kernel32;		/* kds_kernel_is_32bit() */
	bool ptr32;		/* a user pointer is 32 bits to the kernel */
	__u64 key_max;		/* kds_key_max() of the backend */
	__u64 rng;
	unsigned long long call;
	unsigned long long ok;	/* calls that succeeded */
	int fd[3];
	char *arena;		/* RW, a PROT_NONE page after it */
	char *values;		/* RO, no '\n', a PROT_NONE page after it */
	char *ro;		/* one read-only page */
	char *none;		/* one PROT_NONE page */
	/* the current call, for a failure message (formatted only then) */
	const char *what;
	__u64 arg1, arg2;
};

#define WHAT(z, _what, _a1, _a2)					\
	do {								\
		(z)->what = (_what);					\
		(z)->arg1 = (__u64)(_a1);				\
		(z)->arg2 = (__u64)(_a2);				\
	} while (0)

static __u64 rnd(struct fuzz *z)
{
	return kds_rand(&z->rng);
}

static __u64 below(struct fuzz *z, __u64 n)
{
	return kds_rand_below(&z->rng, n);
}

static bool chance(struct fuzz *z, unsigned int percent)
{
	return below(z, 100) < percent;
}

/*
 * Keys: mostly a few small ones so the store stays small, some extremes
 * (where the backend's largest key is below KDS_U64_MAX, that one too).
 */
static __u64 rkey(struct fuzz *z)
{
	switch (below(z, 10)) {
	case 0:
		if (z->key_max != KDS_U64_MAX && chance(z, 50))
			return z->key_max - below(z, 4);
		return KDS_U64_MAX - below(z, 4);
	case 1:
		return rnd(z);
	case 2:
		return 1ULL << below(z, 64);
	default:
		return below(z, 128);
	}
}

/* Lengths: edges of every limit, and nonsense. */
static __u32 rlen(struct fuzz *z)
{
	static const __u32 edges[] = {
		0, 1, 7, 8, 9, 15, 16, 24, 255, 256, 257, 4095, 4096, 4097,
		8192, 65535, 65536, 65537, 0x100000, 0x100001, 0x7fffffff,
		0x80000000, 0xfffffff0, 0xffffffff,
	};

	if (chance(z, 50))
		return (__u32)below(z, 64);
	if (chance(z, 50))
		return edges[below(z, sizeof(edges) / sizeof(edges[0]))];
	return (__u32)below(z, 8192);
}

/* A size field: the real one, near it, or anything. */
static __u32 rsize(struct fuzz *z, __u32 real, __u32 first)
{
	switch (below(z, 12)) {
	case 0:
		return 0;
	case 1:
		return first - 1 - (__u32)below(z, first);
	case 2:
		return first;
	case 3:
		return real + 1 + (__u32)below(z, 64);
	case 4:
		return (__u32)rnd(z);
	case 5:
		return 4096 + (__u32)below(z, 8192);
	default:
		return real;
	}
}

/* Flags: mostly 0, some low bits, sometimes anything. */
static __u32 rflags(struct fuzz *z)
{
	if (chance(z, 80))
		return 0;
	if (chance(z, 50))
		return 1U << below(z, 32);
	return (__u32)rnd(z);
}

/*
 * A 32-bit address the kernel may only fail on: below mmap_min_addr, the
 * PROT_NONE page, or the last page (the kernel's on a 32-bit kernel, past
 * TASK_SIZE of a 32-bit process on a 64-bit one).
 */
static __u64 rbad32(struct fuzz *z)
{
	switch (below(z, 3)) {
	case 0:
		return below(z, 65536);
	case 1:
		return (__u64)(uintptr_t)z->none + below(z, 4096);
	default:
		return 0xfffff000ULL + below(z, 4096);
	}
}

/*
 * An address the kernel may only fail on, never write through into us.
 * Where a user pointer is 32 bits (a 32-bit kernel takes the low 32 bits
 * of a __u64 pointer field, a 32-bit process those of its own pointers),
 * the high bits are kept and the low ones are a bad 32-bit address.
 */
static __u64 rbad(struct fuzz *z)
{
	__u64 a;

	switch (below(z, 8)) {
	case 0:
		return 0;
	case 1:
		return below(z, 65536);			/* below mmap_min_addr */
	case 2:
		return (__u64)(uintptr_t)z->none + below(z, 4096);
	case 3:
		a = 0xffff888000000000ULL + below(z, 1ULL << 30);	/* kernel */
		break;
	case 4:
		a = 0xffffffff81000000ULL + below(z, 1ULL << 24);
		break;
	case 5:
		a = 0x8000000000000000ULL | rnd(z);	/* non-canonical */
		break;
	case 6:
		return KDS_U64_MAX - below(z, 16);
	default:
		a = rnd(z) | (1ULL << 63);
		break;
	}
	if (z->ptr32)
		a = (a & ~0xffffffffULL) | rbad32(z);
	return a;
}

/* Where the kernel may write: the arena (often unaligned), or bad. */
static __u64 rout(struct fuzz *z, size_t want)
{
	size_t off, edge = want < ARENA ? want : ARENA;

	if (chance(z, 15))
		return rbad(z);
	if (chance(z, 5))
		return (__u64)(uintptr_t)z->ro + below(z, 4096);
	if (chance(z, 10)) /* runs into the guard page after the arena */
		return (__u64)(uintptr_t)(z->arena + ARENA - below(z, edge + 1));
	off = (size_t)below(z, ARENA - (want < ARENA ? want : 0));
	return (__u64)(uintptr_t)(z->arena + off);
}

/* Where the kernel reads a value from: the value pool, or bad. */
static __u64 rin(struct fuzz *z, size_t want)
{
	size_t edge = want < VALUES ? want : VALUES;

	if (chance(z, 15))
		return rbad(z);
	if (chance(z, 10))
		return (__u64)(uintptr_t)(z->values + VALUES - below(z, edge + 1));
	if (chance(z, 3))
		return (__u64)(uintptr_t)z->none;
	return (__u64)(uintptr_t)(z->values + below(z, VALUES - (want < VALUES ? want : 0)));
}

/* A struct of @size bytes somewhere in the arena, filled at random. */
static void *rstruct(struct fuzz *z, size_t size)
{
	char *p = z->arena + below(z, ARENA - size - 72);
	size_t i;

	if (chance(z, 70))
		p = (char *)((uintptr_t)p & ~(uintptr_t)7);
	for (i = 0; i < size + 64; i += 8) {
		__u64 r = rnd(z);

		memcpy(p + i, &r, 8);
	}
	return p;
}

/* ---- what each call may return ----------------------------------------- */

static bool ioctl_errno_ok(const struct fuzz *z, int e)
{
	/* a key above 4294967295 on xarray and maple of a 32-bit kernel */
	if (e == EOVERFLOW)
		return z->key_max != KDS_U64_MAX;
	switch (e) {
	case ENOENT: case ENOSPC: case E2BIG: case ERANGE: case EFAULT:
	case EINVAL: case ENOTTY: case EOPNOTSUPP: case EEXIST: case ENOMEM:
		return true;
	}
	return false;
}

static bool write_errno_ok(const struct fuzz *z, int e)
{
	/* the device is a stream: a pwrite() at an offset is ESPIPE, always */
	if (!strcmp(z->what, "pwrite(buf, len)"))
		return e == ESPIPE;
	if (e == EOVERFLOW)	/* as for an ioctl */
		return z->key_max != KDS_U64_MAX;
	return e == EINVAL || e == ENOENT || e == E2BIG || e == EFAULT ||
	       e == ENOSPC || e == ENOMEM;
}

/* The same for a pread(). */
static bool read_errno_ok(const struct fuzz *z, int e)
{
	if (!strcmp(z->what, "pread(buf, len)"))
		return e == ESPIPE;
	/* a 32-bit kernel's VFS refuses a count of 2^31 or more */
	if (e == EINVAL)
		return z->kernel32 && z->arg2 >= 0x80000000ULL;
	return e == EFAULT || e == ENOMEM;
}

/* ---- the calls ---------------------------------------------------------- */

static int pick_fd(struct fuzz *z)
{
	return z->fd[below(z, 3)];
}

static void fill_kv(struct fuzz *z, struct kds_kv *kv, unsigned int nr)
{
	kv->size = rsize(z, sizeof(*kv), offsetof(struct kds_kv, reserved) + 4);
	kv->flags = nr == 1 && chance(z, 20) ? KDS_PUT_NOREPLACE : rflags(z);
	kv->key = rkey(z);
	kv->value_len = rlen(z);
	if (nr == 1)
		kv->value = rin(z, kv->value_len);
	else if (nr == 2)
		kv->value = rout(z, kv->value_len);
	else
		kv->value = chance(z, 80) ? 0 : rout(z, 16);
	if (nr == 3 && chance(z, 80))
		kv->value_len = 0;
	kv->reserved = chance(z, 90) ? 0 : (__u32)rnd(z);
}

static void fill_batch(struct fuzz *z, struct kds_batch *b)
{
	__u32 count = (__u32)below(z, 17), op_size = sizeof(struct kds_batch_op);
	struct kds_batch_op *ops;
	__u32 i;

	if (chance(z, 5))
		count = chance(z, 50) ? KDS_BATCH_MAX + 1 + (__u32)below(z, 4) : (__u32)rnd(z);
	if (chance(z, 10))
		op_size = rsize(z, sizeof(*ops), sizeof(*ops));
	b->size = rsize(z, sizeof(*b), offsetof(struct kds_batch, reserved) + 4);
	b->flags = chance(z, 30) ? KDS_BATCH_STOP_ON_ERROR : rflags(z);
	b->count = count;
	b->op_size = op_size;
	b->reserved = chance(z, 95) ? 0 : (__u32)rnd(z);
	if (chance(z, 10) || count > 64 || op_size > 256) {
		b->ops = chance(z, 50) ? rbad(z) : rout(z, 64);
		return;
	}
	ops = rstruct(z, (size_t)count * op_size);
	b->ops = (__u64)(uintptr_t)ops;
	for (i = 0; i < count && op_size == sizeof(*ops); i++) {
		struct kds_batch_op *op = &ops[i];

		op->op = chance(z, 90) ? 1 + (__u32)below(z, 3) : (__u32)rnd(z);
		op->result = (__s32)rnd(z);
		op->key = rkey(z);
		op->value_len = rlen(z);
		if (op->op == KDS_OP_PUT)
			op->value = rin(z, op->value_len);
		else if (op->op == KDS_OP_GET)
			op->value = rout(z, op->value_len);
		else
			op->value = 0;
		if (op->op == KDS_OP_DEL && chance(z, 80))
			op->value_len = 0;
		if (op->op == KDS_OP_PUT && chance(z, 30))
			op->flags = KDS_PUT_NOREPLACE;
		else
			op->flags = chance(z, 90) ? 0 : rflags(z);
	}
}

static void fill_range(struct fuzz *z, struct kds_range *r)
{
	size_t i;

	r->size = rsize(z, sizeof(*r), sizeof(*r));
	r->flags = rflags(z);
	r->lo = rkey(z);
	r->hi = chance(z, 30) ? KDS_U64_MAX : rkey(z);
	if (chance(z, 50) && r->lo > r->hi) {
		__u64 t = r->lo;

		r->lo = r->hi;
		r->hi = t;
	}
	r->buf_len = chance(z, 70) ? (__u32)below(z, 65536) : rlen(z);
	r->buf = rout(z, r->buf_len < ARENA ? r->buf_len : 0);
	r->out_flags = (__u32)rnd(z);
	r->count = (__u32)rnd(z);
	r->next = rnd(z);
	for (i = 0; i < ARRAY_SIZE(r->reserved); i++)
		r->reserved[i] = chance(z, 95) ? 0 : (__u32)rnd(z);
}

/*
 * One ioctl of ours with a made-up argument: the seven commands, and
 * 0x08, the no-op of version 1, which is retired and must be ENOTTY.
 */
static int fuzz_our_ioctl(struct fuzz *z, bool *must_enotty)
{
	static const unsigned int weights[] = { 5, 25, 20, 15, 12, 10, 1, 1, 5 };
	unsigned int nr = 0, w = (unsigned int)below(z, 94);
	unsigned long cmd, arg;
	void *p;

	while (w >= weights[nr]) {
		w -= weights[nr];
		nr++;
	}
	cmd = _IO(KDS_TYPE, nr);
	switch (nr) {
	case 0:		/* API */
		p = rstruct(z, sizeof(struct kds_api));
		((struct kds_api *)p)->size = rsize(z, sizeof(struct kds_api),
						    sizeof(struct kds_api));
		((struct kds_api *)p)->flags = rflags(z);
		break;
	case 1: case 2: case 3:
		p = rstruct(z, sizeof(struct kds_kv));
		fill_kv(z, p, nr);
		break;
	case 4:
		p = rstruct(z, sizeof(struct kds_batch));
		fill_batch(z, p);
		break;
	case 5:
		p = rstruct(z, sizeof(struct kds_range));
		fill_range(z, p);
		break;
	case 6:
		p = rstruct(z, sizeof(struct kds_stats));
		((struct kds_stats *)p)->size = rsize(z, sizeof(struct kds_stats),
						      sizeof(struct kds_stats));
		((struct kds_stats *)p)->flags = rflags(z);
		((struct kds_stats *)p)->reserved = chance(z, 95) ? 0 :
						    (__u32)rnd(z);
		break;
	case 7:		/* CLEAR: rarely one that empties the store */
		if (chance(z, 10)) {
			/* version 1's integer argument */
			arg = chance(z, 50) ? 0 : rnd(z) | 1;
			WHAT(z, "ioctl(CLEAR, arg)", KDS_IOC_CLEAR, arg);
			return ioctl(pick_fd(z), cmd, arg);
		}
		p = rstruct(z, sizeof(struct kds_clear));
		((struct kds_clear *)p)->size =
			rsize(z, sizeof(struct kds_clear),
			      sizeof(struct kds_clear));
		((struct kds_clear *)p)->flags = chance(z, 10) ? 0 :
			rflags(z) | 1U << below(z, 32);
		break;
	case 8:		/* retired */
		*must_enotty = true;
		p = (void *)(uintptr_t)rnd(z);
		break;
	default:
		p = (void *)(uintptr_t)rnd(z);
		break;
	}
	if (chance(z, 5))
		p = (void *)(uintptr_t)rbad(z);
	WHAT(z, "ioctl(cmd, arg)", cmd, (uintptr_t)p);
	return ioctl(pick_fd(z), cmd, p);
}

/*
 * Types whose numbers the VFS handles before any driver (FS_IOC_*,
 * FIFREEZE, FICLONE, FIGETBSZ, FIONBIO, ...): they act on the node or its
 * filesystem (FS_IOC_SETFLAGS could make /dev/kds/x immutable), so they
 * are no test of kds and are left out.
 */
static bool vfs_type(unsigned int type)
{
	return type == 'f' || type == 'X' || type == 0x94 || type == 0x15 ||
	       type == 'T' || type == 0x00;
}

/* A command number that is not one of ours: ENOTTY. */
static int fuzz_other_ioctl(struct fuzz *z, bool *must_enotty)
{
	unsigned long cmd;
	unsigned int type;

	if (chance(z, 50)) {
		/* our type with size or direction bits, or an unknown nr */
		do {
			cmd = _IOC(below(z, 4), KDS_TYPE, below(z, 256), below(z, 1U << 14));
		} while (cmd == _IO(KDS_TYPE, _IOC_NR(cmd)) &&
			 _IOC_NR(cmd) <= 7);
	} else {
		do {
			type = (unsigned int)below(z, 256);
		} while (type == KDS_TYPE || vfs_type(type));
		cmd = _IOC(below(z, 4), type, below(z, 256), below(z, 1U << 14));
	}
	*must_enotty = true;
	WHAT(z, "ioctl(cmd of another type)", cmd, 0);
	return ioctl(pick_fd(z), cmd, (unsigned long)rout(z, 256));
}

/* A random command line (with its '\n' unless it is the last one). */
static size_t rline(struct fuzz *z, char *p, size_t room)
{
	static const char *const badkeys[] = {
		"-1", "0x", "0xg", "18446744073709551616", "0x10000000000000000",
		" 5", "5 ", "abc", "", "1.5", "+3", "0X1F", "00012", "0x0",
	};
	char key[40];
	size_t n = 0, vlen, i;

	if (chance(z, 85))
		snprintf(key, sizeof(key), chance(z, 30) ? "%#llx" : "%llu",
			 (unsigned long long)rkey(z));
	else
		snprintf(key, sizeof(key), "%s", badkeys[below(z, sizeof(badkeys) / sizeof(badkeys[0]))]);

	switch (below(z, 12)) {
	case 0: case 1: case 2: case 3: case 4:
		vlen = chance(z, 90) ? below(z, 64) : below(z, KDS_DEFAULT_VALUE_SIZE + 8);
		n = (size_t)snprintf(p, room, "put %s ", key);
		for (i = 0; i < vlen && n + 2 < room; i++) {
			char c = (char)(0x20 + below(z, 95));

			p[n++] = chance(z, 1) ? (char)below(z, 10) : c;	/* some control bytes */
		}
		break;
	case 5: case 6: case 7:
		n = (size_t)snprintf(p, room, "del %s", key);
		break;
	case 8:
		/* a real clear empties the store: rarely */
		n = (size_t)snprintf(p, room, "clear%s",
				     chance(z, 3) ? "" : chance(z, 50) ? " " : "x");
		break;
	case 9:
		n = (size_t)snprintf(p, room, "%s %s", chance(z, 50) ? "PUT" : "get", key);
		break;
	case 10:
		n = (size_t)snprintf(p, room, "put %s", key);
		break;
	default:
		n = 0;		/* an empty line */
		break;
	}
	if (n + 2 > room)
		n = room - 2;
	if (chance(z, 3))
		p[n++] = '\r';
	p[n++] = '\n';
	return n;
}

static ssize_t fuzz_write(struct fuzz *z)
{
	char *buf = z->arena + below(z, ARENA / 2);
	size_t len = 0, i;

	if (chance(z, 25)) {
		/* random bytes */
		len = below(z, 512);
		for (i = 0; i < len; i++)
			buf[i] = (char)rnd(z);
	} else {
		unsigned int lines = 1 + (unsigned int)below(z, 8);

		while (lines--)
			len += rline(z, buf + len, ARENA / 2 - len);
		if (chance(z, 20))
			len--;	/* the last line without its '\n' */
	}
	if (chance(z, 5)) {
		WHAT(z, "write(bad pointer, len)", 0, len);
		return write(pick_fd(z), (void *)(uintptr_t)rbad(z), len ? len : 1);
	}
	if (chance(z, 3))	/* runs into the guard page after the arena */
		buf = z->arena + ARENA - len / 2 - 1;
	if (chance(z, 10)) {
		WHAT(z, "pwrite(buf, len)", (uintptr_t)buf, len);
		return pwrite(pick_fd(z), buf, len, (off_t)below(z, 1ULL << 40));
	}
	WHAT(z, "write(buf, len)", (uintptr_t)buf, len);
	return write(pick_fd(z), buf, len);
}

static ssize_t fuzz_read(struct fuzz *z)
{
	size_t len = chance(z, 70) ? below(z, 512) : rlen(z);
	__u64 buf = rout(z, len < ARENA ? len : 0);

	if (chance(z, 10)) {
		WHAT(z, "pread(buf, len)", buf, len);
		return pread(pick_fd(z), (void *)(uintptr_t)buf, len, (off_t)below(z, 1ULL << 40));
	}
	WHAT(z, "read(buf, len)", buf, len);
	return read(pick_fd(z), (void *)(uintptr_t)buf, len);
}

static void fuzz_seek(struct fuzz *z)
{
	static const off_t offs[] = { 0, 0, 0, 1, -1, 4096, 1LL << 40 };
	off_t off = chance(z, 80) ? offs[below(z, 7)] : (off_t)rnd(z);
	int whence = (int)below(z, 6);

	/* a rewind makes the next read walk the whole store: rarely */
	if (!off && whence == SEEK_SET && !chance(z, 20))
		whence = SEEK_CUR;
	WHAT(z, "lseek(off, whence)", (__u64)off, (__u64)whence);
	lseek(pick_fd(z), off, whence);
}

static void fuzz_reopen(struct fuzz *z, struct __test_metadata *_metadata)
{
	unsigned int i = (unsigned int)below(z, 3);

	close(z->fd[i]);
	z->fd[i] = kds_open(z->backend);
	ASSERT_LE(0, z->fd[i]);
}

/* One call; fails the test if it returned what it must not. */
static void fuzz_one(struct fuzz *z, struct __test_metadata *_metadata)
{
	unsigned int what = (unsigned int)below(z, 100);
	bool must_enotty = false;
	ssize_t ret;
	int e;

	errno = 0;
	if (what < 50) {
		ret = fuzz_our_ioctl(z, &must_enotty);
	} else if (what < 58) {
		ret = fuzz_other_ioctl(z, &must_enotty);
	} else if (what < 95) {
		bool wr = what < 82;

		ret = wr ? fuzz_write(z) : fuzz_read(z);
		e = errno;
		z->ok += ret >= 0;
		ASSERT_TRUE(ret >= 0 || (wr ? write_errno_ok(z, e) : read_errno_ok(z, e)))
			TH_LOG("call %llu: %s with %#llx, %#llx: %s", z->call, z->what,
			       (unsigned long long)z->arg1, (unsigned long long)z->arg2, strerror(e));
		return;
	} else if (what < 99) {
		fuzz_seek(z);
		return;
	} else {
		fuzz_reopen(z, _metadata);
		return;
	}
	e = errno;
	z->ok += ret >= 0;
	if (must_enotty)
		ASSERT_TRUE(ret < 0 && e == ENOTTY)
			TH_LOG("call %llu: %s with %#llx, %#llx returned %zd (%s)", z->call,
			       z->what, (unsigned long long)z->arg1,
			       (unsigned long long)z->arg2, ret, strerror(e));
	ASSERT_TRUE(ret == 0 || (ret < 0 && ioctl_errno_ok(z, e)))
		TH_LOG("call %llu: %s with %#llx, %#llx returned %zd (%s)", z->call,
			       z->what, (unsigned long long)z->arg1,
			       (unsigned long long)z->arg2, ret, strerror(e));
}

/* The store is coherent; an ordered one also ranges to its dump. */
static void check_store(struct fuzz *z, struct __test_metadata *_metadata,
			struct kds_snap *sn, char *rbuf, size_t rcap)
{
	const char *why;
	long i = 0;
	__u64 lo = 0;

	kds_snap_free(sn);
	ASSERT_EQ(0, kds_snap_take(z->backend, sn)) TH_LOG("after call %llu", z->call);
	why = kds_snap_check(sn, z->backend);
	ASSERT_EQ(NULL, why) TH_LOG("after call %llu: %s", z->call, why);
	if (!z->ordered)
		return;
	for (;;) {
		struct kds_range r = {
			.size = sizeof(r), .lo = lo, .hi = KDS_U64_MAX,
			.buf = kds_ptr(rbuf), .buf_len = (__u32)rcap,
		};
		size_t off = 0;
		__u32 k;

		ASSERT_EQ(0, kds_ioctl(z->fd[0], KDS_IOC_RANGE, &r));
		for (k = 0; k < r.count; k++, i++) {
			const struct kds_rec *rec = (const void *)(rbuf + off);

			ASSERT_LT(i, sn->n);
			ASSERT_EQ(sn->lines[i].key, rec->key);
			ASSERT_EQ(sn->lines[i].len, rec->value_len);
			ASSERT_EQ(0, memcmp(sn->lines[i].val, rec + 1, rec->value_len));
			off += KDS_REC_SIZE(rec->value_len);
		}
		if (!(r.out_flags & KDS_RANGE_MORE))
			break;
		lo = r.next;
	}
	ASSERT_EQ(sn->n, i);
}

/*
 * What the fuzzing processes of one backend share: a barrier, so that the
 * store is checked while none of them is calling, and the first failure.
 */
struct fuzz_shared {
	int count;
	int gen;
	int failed;
	unsigned long long checks;
	unsigned long long ok;
};

/* Wait until all @procs processes are here (or one has failed). */
static void fuzz_barrier(struct fuzz_shared *sh, int procs)
{
	int gen = __atomic_load_n(&sh->gen, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&sh->count, 1, __ATOMIC_ACQ_REL) == procs) {
		__atomic_store_n(&sh->count, 0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&sh->gen, 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&sh->gen, __ATOMIC_ACQUIRE) == gen &&
	       !__atomic_load_n(&sh->failed, __ATOMIC_RELAXED))
		usleep(100);
}

FIXTURE(fuzz) {
	struct fuzz z;
	struct kds_snap sn;
	char *rbuf;
	struct fuzz_shared *sh;
	pid_t pid[8];
	int procs;
};

FIXTURE_VARIANT(fuzz) {
	KDS_VARIANT_FIELDS;
};

KDS_BACKEND_VARIANTS(fuzz);

static char *map_guarded(size_t size, int prot)
{
	char *p = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + size, 4096, PROT_NONE) || mprotect(p, size, prot))
		return NULL;
	return p;
}

FIXTURE_SETUP(fuzz)
{
	struct fuzz *z = &self->z;
	size_t i;
	int fd;

	memset(z, 0, sizeof(*z));
	memset(self->pid, 0, sizeof(self->pid));
	z->backend = variant->backend;
	z->ordered = variant->ordered;
	z->kernel32 = kds_kernel_is_32bit();
	z->ptr32 = z->kernel32 || sizeof(void *) == 4;
	z->key_max = kds_key_max(variant->backend);
	for (i = 0; i < 3; i++)
		z->fd[i] = -1;
	fd = kds_open(variant->backend);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kds_clear(fd));
	close(fd);
	z->arena = map_guarded(ARENA, PROT_READ | PROT_WRITE);
	z->values = map_guarded(VALUES, PROT_READ | PROT_WRITE);
	z->ro = map_guarded(4096, PROT_READ | PROT_WRITE);
	z->none = map_guarded(4096, PROT_NONE);
	self->rbuf = malloc(1 << 20);
	ASSERT_TRUE(z->arena && z->values && z->ro && z->none && self->rbuf);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
	z->rng = 0x6b6473;
	for (i = 0; i < VALUES; i++) {
		z->values[i] = (char)rnd(z);
		if (z->values[i] == '\n')
			z->values[i] = ' ';
	}
	ASSERT_EQ(0, mprotect(z->values, VALUES, PROT_READ));
	ASSERT_EQ(0, mprotect(z->ro, 4096, PROT_READ));
}

FIXTURE_TEARDOWN(fuzz)
{
	int i, fd;

	for (i = 0; i < 8; i++) {
		if (self->pid[i] > 0) {
			kill(self->pid[i], SIGKILL);
			waitpid(self->pid[i], NULL, 0);
		}
	}
	fd = kds_open(variant->backend);
	if (fd >= 0) {
		kds_clear(fd);
		close(fd);
	}
	kds_snap_free(&self->sn);
	free(self->rbuf);
}

/*
 * One fuzzing process: @calls calls from seed @seed; every BATCH_EVERY
 * calls all processes meet, and process 0 checks the store.  Leaves
 * through exit(): 0, or the harness's abort on a failed assertion.
 */
static void fuzz_process(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fuzz) *self, int me,
			 unsigned long long calls, unsigned long long seed)
{
	struct fuzz *z = &self->z;
	int i;

	z->rng = seed;
	for (i = 0; i < 3; i++) {
		z->fd[i] = kds_open(z->backend);
		ASSERT_LE(0, z->fd[i]);
	}
	for (z->call = 0; z->call < calls; z->call++) {
		fuzz_one(z, _metadata);
		if ((z->call + 1) % BATCH_EVERY && z->call + 1 != calls)
			continue;
		fuzz_barrier(self->sh, self->procs);
		if (!me) {
			check_store(z, _metadata, &self->sn, self->rbuf, 1 << 20);
			self->sh->checks++;
			if (self->sn.st.entries > STORE_LIMIT)
				ASSERT_EQ(0, kds_clear(z->fd[0]));
			/* progress, about every 10^5 calls of all processes */
			if (self->sh->checks % 13 == 0) {
				printf("# %s: %llu of %llu calls\n", z->backend,
				       (z->call + 1) * self->procs, calls * self->procs);
				fflush(stdout);
			}
		}
		fuzz_barrier(self->sh, self->procs);
		ASSERT_FALSE(__atomic_load_n(&self->sh->failed, __ATOMIC_RELAXED));
	}
	__atomic_add_fetch(&self->sh->ok, z->ok, __ATOMIC_RELAXED);
	_exit(0);
}

/*
 * KDS_FUZZ_PROCS processes (default 2, one per vCPU) share the calls;
 * process i runs from seed KDS_FUZZ_SEED + 16 * backend + i.  With one
 * process a run repeats exactly.
 */
TEST_F_TIMEOUT(fuzz, random_calls_keep_the_store_coherent, FUZZ_TIMEOUT)
{
	unsigned long long calls, seed;
	double t0 = kds_now();
	int i, status, bad = 0;
	size_t b;

	if (!kds_backend_wanted(variant->backend))
		SKIP(return, "not in KDS_BACKENDS=%s", getenv("KDS_BACKENDS"));
	for (b = 0; b < KDS_NR_BACKENDS; b++)
		if (!strcmp(kds_backends[b], variant->backend))
			break;
	calls = kds_env_ull("KDS_FUZZ_CALLS", kds_debug_kernel() ? 1000000 : 10000);
	seed = kds_env_ull("KDS_FUZZ_SEED", 20251123) + 16 * b;
	self->procs = (int)kds_env_ull("KDS_FUZZ_PROCS", 2);
	ASSERT_TRUE(self->procs >= 1 && self->procs <= 8);

	fflush(stdout);
	for (i = 0; i < self->procs; i++) {
		self->pid[i] = fork();
		ASSERT_LE(0, self->pid[i]);
		if (!self->pid[i])
			fuzz_process(_metadata, self, i, calls / (unsigned long long)self->procs,
				     seed + (unsigned long long)i);
	}
	for (i = 0; i < self->procs; i++) {
		pid_t pid = wait(&status);
		int j;

		ASSERT_LT(0, pid);
		for (j = 0; j < self->procs; j++)
			if (self->pid[j] == pid)
				self->pid[j] = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			/* the others stop at their next meeting */
			__atomic_store_n(&self->sh->failed, 1, __ATOMIC_RELAXED);
			bad++;
		}
	}
	ASSERT_EQ(0, bad) TH_LOG("%d of %d fuzzing processes failed", bad, self->procs);
	calls = calls / (unsigned long long)self->procs * (unsigned long long)self->procs;
	printf("# %s: %llu calls fuzzed by %d processes (seeds %llu..%llu), %llu succeeded, store checked %llu times, %.0f s\n",
	       variant->backend, calls, self->procs, seed,
	       seed + (unsigned long long)self->procs - 1, self->sh->ok,
	       self->sh->checks, kds_now() - t0);
}

TEST_HARNESS_MAIN
