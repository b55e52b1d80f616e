/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kds - what the files of the core module share.  Backends never include
 * this header: their whole interface is kds.h.
 */
#ifndef _KDS_INTERNAL_H
#define _KDS_INTERNAL_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/sysfs.h>
#include <linux/types.h>

#include "compat.h"
#include "kds.h"

/* Module parameters (kds_core.c); read-only once the module is loaded. */
extern unsigned long kds_max_entries;
extern unsigned int kds_max_value_size;
extern unsigned long kds_max_bytes;

/*
 * The longest text command: "put " + a key of 20 digits + " " + the
 * longest value + "\n".  A longer line is refused with E2BIG.
 */
#define KDS_TEXT_MAX_LINE(max_value)	(4 + 20 + 1 + (size_t)(max_value) + 1)

/**
 * struct kds_file - one open file of a kds device
 * @s: the store behind the device
 * @m: the file's seq_file (file->private_data), which hands out the dump
 * @dump: the dump's walk; used only under @m's lock, which seq_file
 *	holds through each read() and lseek(); the backend's read-side lock
 *	is taken inside it, by ops->iter
 * @lock: protects @part and @part_len; taken in process context only,
 *	with no other lock inside it and never across a copy to or from
 *	user space
 * @part: the unfinished line a write() left for the next (kvmalloc'd;
 *	NULL if none), applied at the latest by kds_text_flush()
 * @part_len: its bytes
 */
struct kds_file {
	struct kds_store *s;
	struct seq_file *m;
	struct kds_iter dump;
	struct mutex lock;	/* part, part_len */
	char *part;
	size_t part_len;
};

/* The struct kds_file of an open kds device. */
static inline struct kds_file *kds_file_of(struct file *file)
{
	struct seq_file *m = file->private_data;

	return m->private;
}

/* kds_core.c: operations on a store shared by the text and ioctl paths */
int kds_op_put(struct kds_store *s, u64 key, const void *val, u32 len,
	       u32 flags);
int kds_op_del(struct kds_store *s, u64 key);
int kds_op_clear(struct kds_store *s);
int kds_iter_run(struct kds_store *s, struct kds_iter *it);
void kds_stats_fill(struct kds_store *s, struct kds_stats *st, bool shape);

/* kds_ioctl.c: put, get or del with a value in user space (KDS_OP_*) */
int kds_user_op(struct kds_store *s, u32 op, u64 key, u64 uval, u32 *len,
		u32 flags);

/* kds_debugfs.c: the in-kernel loop, /sys/kernel/debug/kds/<name>/loop */
void kds_debugfs_init(void);
void kds_debugfs_exit(void);
void kds_debugfs_add(struct kds_store *s);
void kds_debugfs_remove(struct kds_store *s);

/* kds_sysfs.c: attributes of the misc device */
extern const struct attribute_group *kds_attr_groups[];

#endif /* _KDS_INTERNAL_H */
