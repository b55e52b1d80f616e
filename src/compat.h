/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kds - every difference between the kernel lines kds builds on.
 *
 * The .c files are written against one kernel API.  When an interface
 * they use changed between 6.1 and the newest kernel, the shim goes here,
 * keyed on LINUX_VERSION_CODE, with a comment naming the change, so that
 * the logic reads as if there were one kernel.
 */
#ifndef _KDS_COMPAT_H
#define _KDS_COMPAT_H

#include <linux/version.h>

#endif /* _KDS_COMPAT_H */
