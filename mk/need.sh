#!/bin/bash
# What a make target needs from Debian, installed when it is missing.
#
#   need.sh GOAL PACKAGE...        these packages
#   need.sh GOAL --build-dep DIR   the Build-Depends of DIR/debian/control
#
# Nothing missing: silent, and no apt-get at all.  Something missing, as
# root: apt-get update, then the install.  As another user: the one
# apt-get line to run as root, and exit status 1.
set -euo pipefail

say() { printf '%s\n' "$*" >&2; }

goal=$1
shift

apt_get() {
	DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 "$@"
}

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# unmet DIR: what dpkg-checkbuilddeps finds missing for DIR, or nothing.
unmet() {
	local out
	command -v dpkg-checkbuilddeps >/dev/null 2>&1 ||
		{ echo "dpkg-dev (dpkg-checkbuilddeps not found)"; return; }
	out=$(cd "$1" && dpkg-checkbuilddeps 2>&1) && return
	out=${out#*dependencies: }
	echo "${out//$'\n'/ }"
}

# get WHAT LINE: install WHAT with apt-get LINE as root, or say LINE.
get() {
	local what=$1 line=$2
	if [ "$(id -u)" != 0 ]; then
		say "make $goal: missing $what"
		say "make $goal: as root, run: apt-get $line"
		exit 1
	fi
	say "make $goal: installing $what"
	apt_get update
	# shellcheck disable=SC2086 # the line is words
	apt_get $line
}

if [ "${1-}" = --build-dep ]; then
	dir=$(readlink -f "$2")
	what=$(unmet "$dir")
	[ -n "$what" ] || exit 0
	get "build dependencies: $what" "build-dep --no-install-recommends $dir"
	what=$(unmet "$dir")
	[ -z "$what" ] || { say "make $goal: still missing after apt-get build-dep: $what"; exit 1; }
	exit 0
fi

missing=()
for p in "$@"; do
	installed "$p" || missing+=("$p")
done
[ "${#missing[@]}" -gt 0 ] || exit 0
get "${missing[*]}" "install --no-install-recommends ${missing[*]}"
for p in "${missing[@]}"; do
	installed "$p" || { say "make $goal: $p is still not installed"; exit 1; }
done
