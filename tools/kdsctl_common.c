// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl - what kdsctl's commands and its bench share.
 */
#include <stdarg.h>
#include <stdio.h>

#include "kdsctl_common.h"

#define PROG		KDSCTL_PROG

/* kdsctl's one usage-error message, for its commands and for bench. */
int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try '" PROG "%s%s --help')\n", cmd ? " " : "",
		cmd ? cmd : "");
	return EXIT_USAGE;
}
