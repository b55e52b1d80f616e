#!/bin/sh
# Stand-in for the kernel's scripts/checker-valid.sh, which Debian's
# linux-headers packages of 7.x do not ship: Kbuild runs it before C=1/C=2
# and skips sparse unless it prints 1. It prints 1 when the checker named by
# the arguments parses a construct of current kernel headers
# (__typeof_unqual__) without an error, else 0.
set -eu
command -v "$1" >/dev/null 2>&1 || { echo 0; exit 0; }
probe=$(mktemp --suffix=.c)
trap 'rm -f "$probe"' EXIT
printf 'static inline int u(const int *q)\n{\n\t__typeof_unqual__(*q) v = *q;\n\treturn v;\n}\n' >"$probe"
if "$@" "$probe" 2>&1 | grep -q error; then
	echo 0
else
	echo 1
fi
