#!/bin/bash
# Shared helpers for the VM test harness: cache location, mirror discovery,
# kernel-line table. Sourced, never run.

KDS_CACHE=${KDS_CACHE:-/var/cache/kds-test}

say() { printf '%s\n' "$*" >&2; }
die() { say "kds-test: $*"; exit 1; }

# The Debian mirror this machine already uses: the first URI ending in
# /debian in an active deb822 .sources file, else a one-line sources.list.
debian_mirror() {
	local uri
	uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources |
		tr ' ' '\n' | grep -E '^[a-z]+://.*/debian/?$' | head -n 1)
	if [ -z "$uri" ]; then
		uri=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
			tr ' ' '\n' | grep -E '^[a-z]+://.*/debian/?$' | head -n 1)
	fi
	[ -n "$uri" ] || die "no Debian mirror found in the host's apt configuration"
	printf '%s\n' "${uri%/}"
}

# Kernel lines: name, chroot, apt suite the kernel comes from.
# The chroot is the suite whose compiler built that kernel.
KDS_LINES="6.1 6.12-bpo 6.12 7.3 sid i386 arm64 armhf riscv64 ppc64el s390x"
line_chroot() {
	case "$1" in
	6.1|6.12-bpo|i386) echo bookworm ;;
	6.12|7.3|arm64|armhf|riscv64|ppc64el|s390x) echo trixie ;;
	sid) echo sid ;;
	debug) echo kbuild ;;
	*) die "unknown kernel line '$1' (known: $KDS_LINES debug)" ;;
	esac
}
line_suite() {
	case "$1" in
	6.1|i386) echo bookworm ;;
	6.12-bpo) echo bookworm-backports ;;
	6.12|arm64|armhf|riscv64|ppc64el|s390x) echo trixie ;;
	7.3) echo trixie-backports ;;
	sid) echo sid ;;
	debug) echo trixie ;;
	*) die "unknown kernel line '$1'" ;;
	esac
}

# The Debian architecture a line boots, and its kernel flavour.  A line of
# another architecture than the host's takes its kernel, headers, busybox
# and kmod from an unpacked root of that architecture (mkrootfs.sh), and
# is built with the compiler of its chroot for that target.
line_arch() {
	case "$1" in
	i386|arm64|armhf|riscv64|ppc64el|s390x) echo "$1" ;;
	*) echo amd64 ;;
	esac
}
line_flavour() {
	case "$1" in
	i386) echo 686-pae ;;
	arm64) echo arm64 ;;
	armhf) echo armmp ;;
	riscv64) echo riscv64 ;;
	ppc64el) echo powerpc64le ;;
	s390x) echo s390x ;;
	*) echo amd64 ;;
	esac
}
# Whether the harness boots a line; the others are built only (their
# modules, kdsctl and the test programs, warnings as errors): arm64, i386
# (32-bit) and s390x (big-endian) stand for the architectures booted.
line_boots() {
	case "$1" in
	armhf|riscv64|ppc64el) return 1 ;;
	*) return 0 ;;
	esac
}

# The Date: of each suite's InRelease on mirror $1 (suites $2...), one line
# each ("unreachable" when it cannot be read): a cache key that changes
# with every upload to those suites.
suite_dates() {
	local mirror=$1 s tmp
	shift
	tmp=$(mktemp -d)
	for s in "$@"; do
		if /usr/lib/apt/apt-helper -q download-file \
			"$mirror/dists/$s/InRelease" "$tmp/$s" >/dev/null 2>&1; then
			grep -m1 '^Date:' "$tmp/$s" || echo "Date: unknown"
		else
			echo "Date: unreachable"
		fi
	done
	rm -rf "$tmp"
}

# Delete a tree that had /dev, /proc or /sys mounted into it: unmount what
# is mounted below it, then delete without crossing into another
# filesystem.
remove_tree() {
	local t=$1 m
	[ -e "$t" ] || return 0
	while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done < <(findmnt -rn -o TARGET | grep -E "^$(readlink -f "$t")(/|$)" | sort -r)
	rm -rf --one-file-system "$t"
}
