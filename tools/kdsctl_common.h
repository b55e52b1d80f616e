/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdsctl - what kdsctl's commands and its bench share: the program's
 * name, the exit statuses, the usage-error message.
 */
#ifndef KDSCTL_COMMON_H
#define KDSCTL_COMMON_H

#define KDSCTL_PROG	"kdsctl"

#define EXIT_OK		0
#define EXIT_FAIL	1	/* not found, refused by the kernel, no device */
#define EXIT_USAGE	2	/* bad command line */

/**
 * usage_error - report a bad command line
 * @cmd: the command whose --help describes what was wrong ("bench"), or
 *	NULL for kdsctl's own
 * @fmt: printf format of the reason
 *
 * Prints "kdsctl: [CMD: ]<reason> (try 'kdsctl [CMD ]--help')" as one line
 * on stderr.
 *
 * Return: EXIT_USAGE.
 */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* KDSCTL_COMMON_H */
