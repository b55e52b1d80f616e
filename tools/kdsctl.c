// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl - put, get and list keys of a kds backend from the shell.
 *
 *	kdsctl [-b BACKEND | -d PATH] COMMAND [ARG]...
 *
 * Exit status: 0 success; 1 key not found, the kernel refused, or the
 * device could not be opened; 2 usage error.  Every error is reported
 * as one line on stderr naming the device and the reason.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdsctl_bench.h"
#include "kdsctl_common.h"
#include "libkds.h"

#ifndef KDS_VERSION
#error "build with -DKDS_VERSION=\"<version>\" (the Makefile does)"
#endif

#define PROG		KDSCTL_PROG

#define DEFAULT_BACKEND	"hash"

/* Buffer for one read() of the text dump: whole lines only. */
#define DUMP_BUF_MIN	(64U * 1024)
/* "<20 digits> " before the value and "\n" after it. */
#define DUMP_LINE_EXTRA	32U

#define BACKEND_NAMES	"list, hash, rbtree, xarray, maple"
static const char *const known_backends[] = {
	"list", "hash", "rbtree", "xarray", "maple",
};

/**
 * struct ctl - what one run of kdsctl works on
 * @path: the device node, named in every message
 * @backend: the backend chosen with -b (NULL when -d named the node)
 * @backend_given: -b named @backend (it is not just the default)
 * @path_buf: storage for @path when built from @backend
 * @dev: the open device
 */
struct ctl {
	const char *path;
	const char *backend;
	bool backend_given;
	char path_buf[64];
	struct kds_dev dev;
};

/**
 * struct command - one kdsctl command
 * @name: what the user types
 * @args: its arguments, for messages
 * @nargs: how many arguments it takes
 * @nkeys: how many of them, from the first, are keys
 * @run: does the work once the device is open; returns an exit status
 * @main: instead of @run, for a command that parses its own arguments
 *	(argv[0] is the command) and opens its own devices
 */
struct command {
	const char *name;
	const char *args;
	int nargs;
	int nkeys;
	int (*run)(struct ctl *ctl, const uint64_t *keys, char **args);
	int (*main)(struct ctl *ctl, int argc, char **argv);
};

static const char help_text[] =
"Usage: " PROG " [OPTION]... COMMAND [ARG]...\n"
"Store and fetch keys in a kds backend, the kernel data structure behind\n"
"/dev/kds/BACKEND.\n"
"\n"
"Commands:\n"
"  put KEY VALUE   store VALUE under KEY (VALUE '-' reads it from stdin)\n"
"  get KEY         print the value of KEY and a newline\n"
"  del KEY         delete KEY\n"
"  dump            print every entry as a '<key> <value>' line\n"
"  range LO HI     print the entries with LO <= key <= HI, in key order\n"
"                  (rbtree, xarray and maple only)\n"
"  clear           delete every entry\n"
"  stats           print the store's counters and shape\n"
"  bench [OPTION]...\n"
"                  measure what each operation costs, next to the system\n"
"                  call floor and the kernel's own map (bench --help)\n"
"\n"
"Options:\n"
"  -b, --backend=NAME  list, hash, rbtree, xarray or maple (default: hash)\n"
"  -d, --device=PATH   use the device node PATH instead of /dev/kds/NAME\n"
"  -h, --help          print this help and exit\n"
"      --version       print the version and exit\n"
"\n"
"KEY, LO and HI are unsigned 64-bit numbers, decimal or 0x-hex.\n"
"Exit status: 0 on success, 1 if a key is not found or the kernel refuses\n"
"the operation, 2 on a usage error.\n";

/* ---- messages ---------------------------------------------------------- */

/* A few errnos deserve the number or the fact that explains them. */
static void explain(const struct ctl *ctl, int err, char *buf, size_t size)
{
	const struct kds_api *api = &ctl->dev.api;

	buf[0] = '\0';
	switch (err) {
	case E2BIG:
		snprintf(buf, size, " (max_value_size is %" PRIu64 ")",
			 (uint64_t)api->max_value_size);
		break;
	case ENOSPC:
		snprintf(buf, size, " (max_entries is %" PRIu64 ")",
			 (uint64_t)api->max_entries);
		break;
	case EOPNOTSUPP:
		snprintf(buf, size, " (%s keeps no key order)", api->backend);
		break;
	case EOVERFLOW:
		snprintf(buf, size, " (%s keys are at most 4294967295 on a"
			 " 32-bit kernel)", api->backend);
		break;
	}
}

/*
 * "kdsctl: <device>: <what>: <errno text>[ (why)]" for an operation
 * the kernel refused; returns the exit status for it.
 */
static int op_failed(const struct ctl *ctl, const char *what, int err)
{
	char why[96];

	explain(ctl, -err, why, sizeof(why));
	fprintf(stderr, "%s: %s: %s: %s%s\n", PROG, ctl->path, what,
		strerror(-err), why);
	return EXIT_FAIL;
}

/* The same for an operation on one key: "put 42", "get 7". */
static int key_op_failed(const struct ctl *ctl, const char *op, uint64_t key,
			 int err)
{
	char what[32];

	snprintf(what, sizeof(what), "%s %" PRIu64, op, key);
	return op_failed(ctl, what, err);
}

/* ---- command line ------------------------------------------------------ */

/* The value of one hex digit, or -1. */
static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A u64 in decimal or 0x-hex; no sign, no spaces, no overflow. */
static bool parse_key(const char *s, uint64_t *key)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		int d = digit_value(*s);

		if (d < 0 || (unsigned int)d >= base)
			return false;
		if (v > (UINT64_MAX - (unsigned int)d) / base)
			return false;
		v = v * base + (unsigned int)d;
	}
	*key = v;
	return true;
}

static bool is_known_backend(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(known_backends) / sizeof(known_backends[0]); i++)
		if (!strcmp(name, known_backends[i]))
			return true;
	return false;
}

static int unknown_option(char **argv)
{
	/* getopt leaves optopt 0 for an unknown long option. */
	if (optopt > 0 && optopt < 128 && !strchr("bdh", optopt))
		return usage_error(NULL, "unknown option '-%c'", optopt);
	return usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
}

/*
 * Options come before the command.  Returns -1 to go on, or the exit
 * status (after --help, --version or an error).
 */
static int parse_options(int argc, char **argv, struct ctl *ctl)
{
	static const struct option longopts[] = {
		{ "backend",	required_argument,	NULL, 'b' },
		{ "device",	required_argument,	NULL, 'd' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:b:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!is_known_backend(optarg))
				return usage_error(NULL,
						   "unknown backend '%s' (%s)",
						   optarg, BACKEND_NAMES);
			ctl->backend = optarg;
			ctl->backend_given = true;
			ctl->path = NULL;
			break;
		case 'd':
			ctl->path = optarg;
			ctl->backend = NULL;
			ctl->backend_given = false;
			break;
		case 'h':
			fputs(help_text, stdout);
			return EXIT_OK;
		case 'V':
			puts(PROG " " KDS_VERSION);
			return EXIT_OK;
		case ':':
			return usage_error(NULL,
					   "option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return unknown_option(argv);
		}
	}
	return -1;
}

/* Parse the command's keys; two keys are a range, LO <= HI. */
static int parse_keys(const struct command *cmd, char **args, uint64_t *keys)
{
	int i;

	for (i = 0; i < cmd->nkeys; i++)
		if (!parse_key(args[i], &keys[i]))
			return usage_error(NULL,
					   "%s: bad key '%s' (decimal or 0x-hex, 0 to 2^64-1)",
					   cmd->name, args[i]);
	if (cmd->nkeys == 2 && keys[0] > keys[1])
		return usage_error(NULL, "%s: LO %" PRIu64 " is above HI %"
				   PRIu64, cmd->name, keys[0], keys[1]);
	return EXIT_OK;
}

/* ---- output ------------------------------------------------------------ */

/* One "<key> <value>" line, as in the device's text dump. */
static void print_entry(uint64_t key, const void *value, size_t len)
{
	printf("%" PRIu64 " ", key);
	fwrite(value, 1, len, stdout);
	putchar('\n');
}

static void print_stat(const char *name, uint64_t value)
{
	printf("%s: %" PRIu64 "\n", name, value);
}

/* Output errors (full disk, closed pipe) are errors too. */
static int finish_output(int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: stdout: %s\n", PROG, strerror(errno));
		return EXIT_FAIL;
	}
	return status;
}

/* ---- commands ---------------------------------------------------------- */

/*
 * Read all of stdin, keeping up to one byte more than any module accepts:
 * an oversized value then reaches the kernel, which says E2BIG, and is
 * never silently cut to size.
 */
static int read_stdin(void **value, size_t *len)
{
	size_t cap = KDS_VALUE_SIZE_LIMIT + 1, got = 0;
	char *buf;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	while (got < cap) {
		ssize_t n = read(STDIN_FILENO, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	*value = buf;
	*len = got;
	return 0;
}

static int cmd_put(struct ctl *ctl, const uint64_t *keys, char **args)
{
	const char *arg = args[1];
	void *value = NULL;
	size_t len = 0;
	int err;

	if (!strcmp(arg, "-")) {
		err = read_stdin(&value, &len);
		if (err) {
			fprintf(stderr, "%s: stdin: %s\n", PROG, strerror(-err));
			return EXIT_FAIL;
		}
		err = kds_put(&ctl->dev, keys[0], value, len, 0);
		free(value);
	} else {
		err = kds_put(&ctl->dev, keys[0], arg, strlen(arg), 0);
	}
	if (err)
		return key_op_failed(ctl, "put", keys[0], err);
	return EXIT_OK;
}

static int cmd_get(struct ctl *ctl, const uint64_t *keys, char **args)
{
	void *value;
	size_t len;
	int err;

	(void)args;
	err = kds_get_alloc(&ctl->dev, keys[0], &value, &len);
	if (err)
		return key_op_failed(ctl, "get", keys[0], err);
	fwrite(value, 1, len, stdout);
	putchar('\n');
	free(value);
	return EXIT_OK;
}

static int cmd_del(struct ctl *ctl, const uint64_t *keys, char **args)
{
	int err;

	(void)args;
	err = kds_del(&ctl->dev, keys[0]);
	if (err)
		return key_op_failed(ctl, "del", keys[0], err);
	return EXIT_OK;
}

/* Room for at least one line holding the longest value. */
static size_t dump_buf_size(const struct kds_api *api)
{
	size_t longest = KDS_VALUE_SIZE_LIMIT;

	if (api->max_value_size < longest)
		longest = (size_t)api->max_value_size;
	if (longest + DUMP_LINE_EXTRA < DUMP_BUF_MIN)
		return DUMP_BUF_MIN;
	return longest + DUMP_LINE_EXTRA;
}

/* The device's read() already gives "<key> <value>\n" lines: copy them. */
static int cmd_dump(struct ctl *ctl, const uint64_t *keys, char **args)
{
	size_t cap = dump_buf_size(&ctl->dev.api);
	ssize_t n;
	char *buf;

	(void)keys;
	(void)args;
	buf = malloc(cap);
	if (!buf)
		return op_failed(ctl, "dump", -ENOMEM);
	while ((n = read(ctl->dev.fd, buf, cap)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return op_failed(ctl, "dump", err);
		}
		fwrite(buf, 1, (size_t)n, stdout);
	}
	free(buf);
	return EXIT_OK;
}

static int print_range_entry(uint64_t key, const void *value, uint32_t len,
			     void *arg)
{
	(void)arg;
	print_entry(key, value, len);
	return 0;
}

static int cmd_range(struct ctl *ctl, const uint64_t *keys, char **args)
{
	int err;

	(void)args;
	err = kds_range(&ctl->dev, keys[0], keys[1], print_range_entry, NULL);
	if (err)
		return op_failed(ctl, "range", err);
	return EXIT_OK;
}

static int cmd_clear(struct ctl *ctl, const uint64_t *keys, char **args)
{
	int err;

	(void)keys;
	(void)args;
	err = kds_clear(&ctl->dev);
	if (err)
		return op_failed(ctl, "clear", err);
	return EXIT_OK;
}

static int cmd_stats(struct ctl *ctl, const uint64_t *keys, char **args)
{
	struct kds_stats st;
	int err;

	(void)keys;
	(void)args;
	err = kds_stats(&ctl->dev, &st, KDS_STATS_SHAPE);
	if (err)
		return op_failed(ctl, "stats", err);
	print_stat("entries", st.entries);
	print_stat("bytes", st.bytes);
	print_stat("puts", st.puts);
	print_stat("gets", st.gets);
	print_stat("hits", st.hits);
	print_stat("dels", st.dels);
	print_stat("clears", st.clears);
	print_stat("errors", st.errors);
	/* the shape fields the backend filled, as sysfs names them */
	if (st.shape & KDS_SHAPE_LENGTH)
		print_stat("length", st.length);
	if (st.shape & KDS_SHAPE_CHAIN) {
		print_stat("longest_chain", st.longest_chain);
		print_stat("buckets_used", st.buckets_used);
		print_stat("buckets", st.buckets);
	}
	if (st.shape & KDS_SHAPE_HEIGHT)
		print_stat("height", st.height);
	return EXIT_OK;
}

/* kdsctl bench: its options follow the command; see kdsctl_bench.c. */
static int cmd_bench(struct ctl *ctl, int argc, char **argv)
{
	return kds_bench_main(argc, argv,
			      ctl->backend_given ? ctl->backend : NULL,
			      ctl->path);
}

static const struct command commands[] = {
	{ "put",	"KEY VALUE",	2, 1, cmd_put,	 NULL },
	{ "get",	"KEY",		1, 1, cmd_get,	 NULL },
	{ "del",	"KEY",		1, 1, cmd_del,	 NULL },
	{ "dump",	"",		0, 0, cmd_dump,	 NULL },
	{ "range",	"LO HI",	2, 2, cmd_range, NULL },
	{ "clear",	"",		0, 0, cmd_clear, NULL },
	{ "stats",	"",		0, 0, cmd_stats, NULL },
	{ "bench",	"[OPTION]...",	0, 0, NULL,	 cmd_bench },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int check_arg_count(const struct command *cmd, int nargs)
{
	const char *sep = cmd->nargs ? " " : "";

	if (nargs < cmd->nargs)
		return usage_error(NULL,
				   "%s: missing argument (usage: %s%s%s)",
				   cmd->name, cmd->name, sep, cmd->args);
	if (nargs > cmd->nargs)
		return usage_error(NULL,
				   "%s: too many arguments (usage: %s%s%s)",
				   cmd->name, cmd->name, sep, cmd->args);
	return EXIT_OK;
}

/* ---- the device -------------------------------------------------------- */

/* Open the node and do the handshake; returns an exit status. */
static int open_device(struct ctl *ctl)
{
	int err;

	if (!ctl->path) {
		err = kds_backend_path(ctl->path_buf, sizeof(ctl->path_buf),
				       ctl->backend);
		if (err)
			return usage_error(NULL, "bad backend name '%s'",
					   ctl->backend);
		ctl->path = ctl->path_buf;
	}
	err = kds_open_path(&ctl->dev, ctl->path);
	if (err == -ENOENT && ctl->backend) {
		fprintf(stderr, "%s: %s: %s (is kds_%s loaded?)\n", PROG,
			ctl->path, strerror(-err), ctl->backend);
		return EXIT_FAIL;
	}
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", PROG, ctl->path, strerror(-err));
		return EXIT_FAIL;
	}
	err = kds_api(&ctl->dev);
	if (err == -ENOTTY) {
		fprintf(stderr, "%s: %s: api: %s (not a kds device)\n", PROG,
			ctl->path, strerror(-err));
		return EXIT_FAIL;
	}
	if (err)
		return op_failed(ctl, "api", err);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct ctl ctl = {
		.backend	= DEFAULT_BACKEND,
		.dev		= KDS_DEV_INIT,
	};
	const struct command *cmd;
	uint64_t keys[2] = { 0, 0 };
	int status;

	status = parse_options(argc, argv, &ctl);
	if (status >= 0)
		return finish_output(status);
	argc -= optind;
	argv += optind;
	if (!argc)
		return usage_error(NULL, "missing command");
	cmd = find_command(argv[0]);
	if (!cmd)
		return usage_error(NULL, "unknown command '%s'", argv[0]);
	if (cmd->main)
		return finish_output(cmd->main(&ctl, argc, argv));
	status = check_arg_count(cmd, argc - 1);
	if (status)
		return status;
	status = parse_keys(cmd, argv + 1, keys);
	if (status)
		return status;
	status = open_device(&ctl);
	if (!status)
		status = cmd->run(&ctl, keys, argv + 1);
	kds_close(&ctl.dev);
	return finish_output(status);
}
