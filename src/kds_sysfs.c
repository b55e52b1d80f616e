// SPDX-License-Identifier: GPL-2.0
/*
 * kds - read-only attributes of each misc device, in
 * /sys/class/misc/kds-<name>/: the counters of KDS_IOC_STATS, one number
 * per file, and the shape attributes that fit the backend's structure.
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/stddef.h>
#include <linux/sysfs.h>

#include "kds_internal.h"

/**
 * struct kds_attr - one attribute: a field of struct kds_stats
 * @dattr: the device attribute
 * @offset: offset of its __u64 in struct kds_stats
 * @shape_kind: 0 if every device shows it, else the KDS_SHAPE_* bit of
 *	the backends that do
 */
struct kds_attr {
	struct device_attribute dattr;
	size_t offset;
	u32 shape_kind;
};

static struct kds_store *kds_dev_store(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct kds_store, misc);
}

static ssize_t kds_attr_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct kds_attr *ka = container_of(attr, struct kds_attr, dattr);
	struct kds_stats st = {};
	const u64 *field;

	/*
	 * Any user may read these: no lock is taken (kds_stats_fill() sums
	 * atomics and per-CPU counters, ops->shape reads without the writers'
	 * lock), and the structure is walked only for a shape.
	 */
	kds_stats_fill(kds_dev_store(dev), &st, ka->shape_kind);
	field = (const u64 *)((const u8 *)&st + ka->offset);
	return sysfs_emit(buf, "%llu\n", *field);
}

#define KDS_ATTR(_name, _field, _kind)					\
	struct kds_attr kds_attr_##_name = {				\
		.dattr = __ATTR(_name, 0444, kds_attr_show, NULL),	\
		.offset = offsetof(struct kds_stats, _field),		\
		.shape_kind = _kind,					\
	}

static KDS_ATTR(entries, entries, 0);
static KDS_ATTR(bytes, bytes, 0);
static KDS_ATTR(puts, puts, 0);
static KDS_ATTR(gets, gets, 0);
static KDS_ATTR(hits, hits, 0);
static KDS_ATTR(dels, dels, 0);
static KDS_ATTR(clears, clears, 0);
static KDS_ATTR(errors, errors, 0);
static KDS_ATTR(length, length, KDS_SHAPE_LENGTH);
static KDS_ATTR(longest_chain, longest_chain, KDS_SHAPE_CHAIN);
static KDS_ATTR(buckets_used, buckets_used, KDS_SHAPE_CHAIN);
static KDS_ATTR(buckets, buckets, KDS_SHAPE_CHAIN);
static KDS_ATTR(height, height, KDS_SHAPE_HEIGHT);

static struct attribute *kds_attrs[] = {
	&kds_attr_entries.dattr.attr,
	&kds_attr_bytes.dattr.attr,
	&kds_attr_puts.dattr.attr,
	&kds_attr_gets.dattr.attr,
	&kds_attr_hits.dattr.attr,
	&kds_attr_dels.dattr.attr,
	&kds_attr_clears.dattr.attr,
	&kds_attr_errors.dattr.attr,
	&kds_attr_length.dattr.attr,
	&kds_attr_longest_chain.dattr.attr,
	&kds_attr_buckets_used.dattr.attr,
	&kds_attr_buckets.dattr.attr,
	&kds_attr_height.dattr.attr,
	NULL
};

/* Show a shape attribute only on the devices whose structure has it. */
static umode_t kds_attr_visible(struct kobject *kobj, struct attribute *attr,
				int n)
{
	struct kds_store *s = kds_dev_store(kobj_to_dev(kobj));
	struct kds_attr *ka = container_of(attr, struct kds_attr, dattr.attr);

	if (ka->shape_kind && ka->shape_kind != s->ops->shape_kind)
		return 0;
	return attr->mode;
}

static const struct attribute_group kds_attr_group = {
	.attrs		= kds_attrs,
	.is_visible	= kds_attr_visible,
};

/* misc.groups of every kds device */
const struct attribute_group *kds_attr_groups[] = {
	&kds_attr_group,
	NULL
};
