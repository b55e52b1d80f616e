// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - the targets: opening the kds devices and the
 * peers, and the operations on them (single, batched, the fills).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kdsctl_bench_target.h"
#include "kdsctl_bench_out.h"

#define KLOOP_DIR		"/sys/kernel/debug/kds"

/* ---- operations on a target ---------------------------------------------- */

/*
 * One KDS_IOC_RETIRED: 0 when it failed with ENOTTY, as it must; -EPROTO
 * when it succeeded; another errno as it came.
 */
int kds_unknown_cmd(const struct kds_dev *dev)
{
	if (ioctl(dev->fd, KDS_IOC_RETIRED, NULL) != -1)
		return -EPROTO;
	return errno == ENOTTY ? 0 : -errno;
}

/*
 * Whether the crossing floor can be taken on @t: the retired number must
 * be ENOTTY, or the floor would time something else.  0, or -EPROTO
 * with the reason in @why.
 */
int unknown_cmd_check(const struct target *t, char *why, size_t size)
{
	int ret = kds_unknown_cmd(&t->dev);

	if (ret == -EPROTO)
		snprintf(why, size, "%s: ioctl 0x08 succeeded, where an unknown"
			 " command must fail with ENOTTY (a module of API"
			 " version 1?)", t->path);
	else if (ret)
		snprintf(why, size, "%s: ioctl 0x08 failed with %s, where an"
			 " unknown command must fail with ENOTTY", t->path,
			 errtext(ret));
	return ret ? -EPROTO : 0;
}

/* What each operation must return. */
static int op_expect(enum op op)
{
	return op == OP_GET_MISS ? -ENOENT : 0;
}

static int kds_single(struct bench *b, struct target *t, enum op op,
		      uint32_t vsize, uint64_t key)
{
	size_t len;
	int ret;

	switch (op) {
	case OP_GET_HIT:
	case OP_GET_MISS:
		ret = kds_get(&t->dev, key, b->buf, vsize, &len);
		if (!ret && len != vsize)
			ret = -EPROTO;
		return ret;
	case OP_PUT:
		return kds_put(&t->dev, key, b->val, vsize, 0);
	default:
		return kds_del(&t->dev, key);
	}
}

static int kds_batched(struct bench *b, struct target *t, enum op op,
		       uint32_t vsize, const uint64_t *keys, uint32_t n)
{
	static const uint32_t kop[NR_OPS] = {
		[OP_GET_HIT] = KDS_OP_GET, [OP_GET_MISS] = KDS_OP_GET,
		[OP_PUT] = KDS_OP_PUT, [OP_DEL] = KDS_OP_DEL,
	};
	uint32_t i, done;
	int ret;

	for (i = 0; i < n; i++) {
		struct kds_batch_op *o = &b->bops[i];

		o->op = kop[op];
		o->key = keys[i];
		if (op == OP_DEL) {
			o->value = 0;
			o->value_len = 0;
		} else {
			o->value = (uint64_t)(uintptr_t)(op == OP_PUT ? b->val :
					b->buf + (size_t)i * vsize);
			o->value_len = vsize;
		}
	}
	ret = kds_batch(&t->dev, b->bops, n, 0, &done);
	if (ret)
		return ret;
	if (done != n)
		return -EPROTO;
	for (i = 0; i < n; i++)
		if (b->bops[i].result != op_expect(op))
			return b->bops[i].result ? b->bops[i].result : -EPROTO;
	return 0;
}

static int bpf_single(struct bench *b, struct target *t, enum op op,
		      uint64_t key)
{
	switch (op) {
	case OP_GET_HIT:
	case OP_GET_MISS:
		return bpfmap_lookup(&t->map, key, b->buf);
	case OP_PUT:
		return bpfmap_update(&t->map, key, b->val);
	default:
		return bpfmap_delete(&t->map, key);
	}
}

static int user_single(struct bench *b, struct target *t, enum op op,
		       uint32_t vsize, uint64_t key)
{
	uint32_t len;

	switch (op) {
	case OP_GET_HIT:
	case OP_GET_MISS:
		return utab_get(&t->tab, key, b->buf, vsize, &len);
	case OP_PUT:
		return utab_put(&t->tab, key, b->val, vsize);
	default:
		return utab_del(&t->tab, key);
	}
}

/*
 * @n operations @op on @keys, in calls of @batch (0: one per call).
 * Returns 0, or the first unexpected result.
 */
int target_ops(struct bench *b, struct target *t, enum op op,
	       uint32_t vsize, uint32_t batch, const uint64_t *keys,
	       uint64_t n)
{
	int want = op_expect(op), ret = 0;
	uint64_t i;

	if (batch) {
		for (i = 0; i < n && !ret; i += batch) {
			uint32_t c = (uint32_t)(n - i < batch ? n - i : batch);

			if (t->kind == T_KDS)
				ret = kds_batched(b, t, op, vsize, keys + i, c);
			else if (op == OP_PUT)
				ret = bpfmap_update_batch(&t->map, keys + i,
							  b->bvals, c);
			else
				ret = bpfmap_delete_batch(&t->map, keys + i, c);
		}
		return ret;
	}
	for (i = 0; i < n; i++) {
		if (t->kind == T_KDS)
			ret = kds_single(b, t, op, vsize, keys[i]);
		else if (t->kind == T_BPF)
			ret = bpf_single(b, t, op, keys[i]);
		else
			ret = user_single(b, t, op, vsize, keys[i]);
		if (ret != want)
			return ret ? ret : -EPROTO;
	}
	return 0;
}

/* Untimed: bring the store from t->count to @n keys. */
int fill(struct bench *b, struct target *t, uint32_t vsize, uint64_t n)
{
	bool batched = t->kind == T_BPF ||
		(t->kind == T_KDS && (t->dev.api.features & KDS_FEAT_BATCH));
	int ret;

	while (t->count < n) {
		uint64_t c = n - t->count < FILL_BATCH ? n - t->count : FILL_BATCH;

		ret = target_ops(b, t, OP_PUT, vsize,
				 batched ? FILL_BATCH : 0,
				 b->keys + t->count, c);
		if (ret)
			return ret;
		t->count += c;
		progress(b, "%s: filling N=%" PRIu64 " (%" PRIu64 " so far)",
			 t->name, n, t->count);
	}
	return 0;
}

/* Empty the store: clear for kds, remove and recreate the others. */
int empty(struct target *t, uint32_t vsize, uint64_t cap)
{
	int ret = 0;

	t->count = 0;
	switch (t->kind) {
	case T_KDS:
		return kds_clear(&t->dev);
	case T_BPF:
		bpfmap_close(&t->map);
		if (cap)
			ret = bpfmap_create(&t->map, vsize, (uint32_t)cap);
		return ret;
	default:
		utab_free(&t->tab);
		if (cap)
			ret = utab_init(&t->tab, cap);
		return ret;
	}
}

/* ---- targets ------------------------------------------------------------- */

/* Does the device take the bench's uring_cmd?  A miss must say ENOENT. */
static void probe_uring_cmd(struct bench *b, struct target *t)
{
	uint64_t key = bench_key(BENCH_RAND, b->seed, BENCH_MISS - 1);
	unsigned int bad = 0;
	int first = 0, ret;

	if (b->cmd_ring.fd < 0)
		return;
	ret = uring_kds(&b->cmd_ring, t->dev.fd, KDS_IOC_GET, &key, 1, b->buf,
			b->vmax, -ENOENT, &bad, &first);
	if (!ret && !bad) {
		t->uring_cmd = true;
		return;
	}
	if (!ret)
		ret = first;
	note(b, "%s: no uring_cmd passthrough (probe: %s)", t->name,
	     errtext(ret ? ret : -EPROTO));
}

static void probe_kloop(struct bench *b, struct target *t)
{
	char path[sizeof(t->kloop)];

	snprintf(path, sizeof(path), "%s/%s/loop", KLOOP_DIR,
		 t->dev.api.backend);
	if (access(path, W_OK)) {
		note(b, "%s: no in-kernel loop (%s: %s)", t->name, path,
		     strerror(errno));
		return;
	}
	memcpy(t->kloop, path, sizeof(path));
}

/* An empty target of @kind: nothing open yet. */
static void target_init(struct target *t, enum kind kind)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->dev.fd = -1;
	t->map.fd = -1;
}

static void open_kds(struct bench *b, struct target *t, const char *backend,
		     const char *path)
{
	int ret;

	target_init(t, T_KDS);
	if (path)
		snprintf(t->path, sizeof(t->path), "%s", path);
	else
		kds_backend_path(t->path, sizeof(t->path), backend);
	snprintf(t->name, sizeof(t->name), "%s", backend ? backend : path);
	ret = kds_open_path(&t->dev, t->path);
	if (ret == -ENOENT && backend) {
		skip(b, "%s: %s: %s (is kds_%s loaded?)", t->name, t->path,
		     errtext(ret), backend);
		return;
	}
	if (ret) {
		skip(b, "%s: %s: %s", t->name, t->path, errtext(ret));
		return;
	}
	ret = kds_api(&t->dev);
	if (ret) {
		skip(b, "%s: %s: api: %s%s", t->name, t->path, errtext(ret),
		     ret == -ENOTTY ? " (not a kds device)" : "");
		kds_close(&t->dev);
		return;
	}
	if (!backend)
		snprintf(t->name, sizeof(t->name), "%s", t->dev.api.backend);
	t->present = true;
	t->ordered = t->dev.api.features & KDS_FEAT_RANGE;
	note(b, "%s: %s, api %u, max_entries %" PRIu64 ", max_value_size %"
	     PRIu64 "%s", t->name, t->path, t->dev.api.version,
	     (uint64_t)t->dev.api.max_entries,
	     (uint64_t)t->dev.api.max_value_size,
	     t->ordered ? ", ordered" : "");
	/* The bench empties the stores it measures: never without asking. */
	if (!b->clear && (b->groups & (G_KDS | G_MEM | G_SCALE))) {
		struct kds_stats st;

		ret = kds_stats(&t->dev, &st, 0);
		if (ret || st.entries) {
			t->occupied = true;
			if (ret)
				skip(b, "%s: stats: %s", t->name, errtext(ret));
			else
				skip(b, "%s: the store holds %" PRIu64
				     " entries, which the bench would delete"
				     " (give --clear to allow it)", t->name,
				     (uint64_t)st.entries);
		}
	}
}

void open_targets(struct bench *b)
{
	unsigned int i;
	int ret;

	b->cmd_ring.fd = -1;
	if (b->groups & G_USER) {
		struct target *t = &b->t[b->nt++];

		target_init(t, T_USER);
		t->present = true;
		snprintf(t->name, sizeof(t->name), "user-hash");
	}
	if (b->groups & G_BPF) {
		struct target *t = &b->t[b->nt++];

		target_init(t, T_BPF);
		snprintf(t->name, sizeof(t->name), "bpf-hash");
		/* a small map tells whether bpf() is there and allowed */
		ret = bpfmap_create(&t->map, 16, 16);
		if (ret)
			skip(b, "bpf-hash: BPF_MAP_CREATE: %s%s", errtext(ret),
			     ret == -EPERM ? " (needs CAP_BPF, or root)" :
			     ret == -ENOSYS ? " (kernel without bpf())" : "");
		else
			t->present = true;
		bpfmap_close(&t->map);
	}
	if (!(b->groups & (G_KDS | G_FLOOR | G_SCALE | G_MEM)))
		return;
	if ((b->groups & (G_KDS | G_URING)) == (G_KDS | G_URING)) {
		ret = uring_setup(&b->cmd_ring, b->bmax, true);
		if (ret) {
			note(b, "no uring_cmd figures: io_uring_setup(SQE128): %s",
			     errtext(ret));
			b->cmd_ring.fd = -1;
		}
	}
	for (i = 0; i < (b->dev_path ? 1 : b->nbackends); i++) {
		struct target *t = &b->t[b->nt++];

		if (b->dev_path)
			open_kds(b, t, NULL, b->dev_path);
		else
			open_kds(b, t, b->backends[i], NULL);
		if (!t->present || t->occupied || !(b->groups & G_KDS))
			continue;
		if (b->groups & G_URING)
			probe_uring_cmd(b, t);
		probe_kloop(b, t);
	}
}

void close_targets(struct bench *b)
{
	unsigned int i;

	for (i = 0; i < b->nt; i++) {
		struct target *t = &b->t[i];

		if (t->kind == T_KDS && t->present && !t->occupied)
			kds_clear(&t->dev);
		kds_close(&t->dev);
		bpfmap_close(&t->map);
		utab_free(&t->tab);
	}
	if (b->cmd_ring.fd >= 0)
		uring_close(&b->cmd_ring);
}
