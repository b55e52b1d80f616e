/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kds - every difference between the kernel lines kds builds on.
 *
 * The .c files are written against one kernel API.  When an interface
 * they use changed between 6.1 and the newest kernel, the shim goes here,
 * keyed on LINUX_VERSION_CODE or on the presence of a header, with a
 * comment naming the change, so that the logic reads as if there were one
 * kernel.
 */
#ifndef _KDS_COMPAT_H
#define _KDS_COMPAT_H

#include <linux/kconfig.h>
#include <linux/version.h>

/*
 * Each backend's ops table is static, except on a kernel built with KUnit
 * (only our debug kernel, 6.12: Debian's kernels have CONFIG_KUNIT unset),
 * where the KUnit suites (tests/kunit) reach it in the namespace
 * EXPORTED_FOR_KUNIT_TESTING of <kunit/visibility.h> (6.2 and later).
 * Without CONFIG_KUNIT a table stays exactly a static table.
 */
#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/visibility.h>
#define KDS_KUNIT_VISIBLE	1
#else
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#define VISIBLE_IF_KUNIT	static
#define KDS_KUNIT_VISIBLE	0
#endif

#if KDS_KUNIT_VISIBLE
struct kds_ops;
extern const struct kds_ops kds_list_ops;
extern const struct kds_ops kds_hash_ops;
extern const struct kds_ops kds_rb_ops;
extern const struct kds_ops kds_xa_ops;
extern const struct kds_ops kds_mt_ops;
#endif

/*
 * io_uring passthrough (kds_uring.c).  struct io_uring_cmd moved from
 * <linux/io_uring.h> to <linux/io_uring/cmd.h> in 6.7, and its command
 * area, the pointer ->cmd up to 6.5, is ->sqe->cmd there (since 6.6, a
 * release no Debian line ships).  The helper io_uring_sqe_cmd() took one
 * argument in 6.x and became a macro taking the type, sized for 64-byte
 * SQEs, in 7.x: reading the field needs neither.  Keyed on the header,
 * which Kbuild looks for (KDS_HAVE_IO_URING_CMD_H).
 * The file operation's signature, (cmd, issue_flags) returning the result
 * or -EIOCBQUEUED, and the flag IO_URING_F_SQE128 (its value changed, not
 * its name) are the same on every line; kds completes inline and never
 * calls io_uring_cmd_done(), whose arguments changed too.
 */
#ifdef KDS_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#define kds_uring_cmd_area(ioucmd)	((const void *)(ioucmd)->sqe->cmd)
#else
#include <linux/io_uring.h>
#define kds_uring_cmd_area(ioucmd)	((ioucmd)->cmd)
#endif

#endif /* _KDS_COMPAT_H */
