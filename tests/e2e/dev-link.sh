#!/bin/bash
# The development packages as a programmer meets them: the .deb and the
# .rpm of each split unpacked on the host (dpkg-deb -x, rpm2cpio), then
# a small C program that includes <libkds.h> and <linux/kds.h> from
# libkds-dev (kds-devel) is compiled and linked against its libkds.a
# alone, and run.  kds-utils holds kdsctl and its man page, and none of
# those files.
# Prints "ok - name" / "not ok - name" lines (check-pkg.sh numbers them).
# Environment: PKG_OUT (the .deb and .rpm files, of src/VERSION).
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
check_prefix="dev packages"
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
work="$PKG_OUT/dev-link"
arch=$(dpkg --print-architecture)
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
rpm_arch=$(uname -m)

# has ROOT FILE...: each FILE is in ROOT.
has() {
	local root=$1 f rc=0
	shift
	for f in "$@"; do
		[ -e "$root/$f" ] || { echo "missing in ${root##*/}: $f"; rc=1; }
	done
	return "$rc"
}

# lacks ROOT FILE...: none is in ROOT.
lacks() {
	local root=$1 f rc=0
	shift
	for f in "$@"; do
		[ ! -e "$root/$f" ] || { echo "in ${root##*/}: $f"; rc=1; }
	done
	return "$rc"
}

# The program: the uapi header's constants and libkds's calls; it opens a
# node that is not there and must be told ENOENT.
cat_program() {
	cat <<'EOC'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libkds.h>
#include <linux/kds.h>

int main(void)
{
	struct kds_dev dev = KDS_DEV_INIT;
	char path[64];
	int err;

	err = kds_backend_path(path, sizeof(path), "rbtree");
	if (err) {
		fprintf(stderr, "kds_backend_path: %s\n", strerror(-err));
		return 1;
	}
	err = kds_open_path(&dev, "/nonexistent/kds/rbtree");
	printf("%s; KDS_IOC_API %#lx; kds_open_path of a missing node: %s\n",
	       path, (unsigned long)KDS_IOC_API, strerror(-err));
	return err == -ENOENT ? 0 : 1;
}
EOC
}

# links ROOT LIBDIR: the program built with ROOT's headers and libkds.a
# (no other kds headers on the path) runs.
links() {
	local root=$1 libdir=$2 out
	cat_program >"$work/prog.c"
	gcc -std=c11 -Wall -Wextra -Werror -I"$root/usr/include" -o "$work/prog" \
		"$work/prog.c" -L"$root$libdir" -lkds || return 1
	out=$("$work/prog") || { echo "prog: $out"; return 1; }
	echo "prog: $out"
}

dev_files=(usr/include/libkds.h usr/include/linux/kds.h)

# utils_only ROOT LIBDIR MANPAGE: kdsctl and its man page, no dev file.
utils_only() {
	has "$1" usr/bin/kdsctl "$3" && lacks "$1" "${dev_files[@]}" "${2#/}/libkds.a"
}
remove_tree "$work"
mkdir -p "$work/deb-utils" "$work/deb-dev" "$work/rpm-utils" "$work/rpm-devel"

if dpkg-deb -x "$PKG_OUT/kds-utils_${version}_$arch.deb" "$work/deb-utils" &&
	dpkg-deb -x "$PKG_OUT/libkds-dev_${version}_$arch.deb" "$work/deb-dev"; then
	check "libkds-dev holds libkds.a, libkds.h and linux/kds.h" \
		has "$work/deb-dev" "${dev_files[@]}" "usr/lib/$triplet/libkds.a"
	check "kds-utils holds kdsctl and its man page, and none of those" \
		utils_only "$work/deb-utils" "/usr/lib/$triplet" usr/share/man/man1/kdsctl.1.gz
	check "a program with libkds-dev's headers links its libkds.a and runs" \
		links "$work/deb-dev" "/usr/lib/$triplet"
else
	echo "not ok - dev packages: the .debs of $version could be unpacked"
fi

# rpm2cpio ARCHIVE DIR: unpack an rpm's files in DIR.
unrpm() {
	(cd "$2" && rpm2cpio "$1" | cpio -idm --quiet)
}
if unrpm "$PKG_OUT/kds-utils-$version-1.$rpm_arch.rpm" "$work/rpm-utils" &&
	unrpm "$PKG_OUT/kds-devel-$version-1.$rpm_arch.rpm" "$work/rpm-devel"; then
	libdir=$(rpm --eval '%{_libdir}')
	check "kds-devel holds libkds.a, libkds.h and linux/kds.h" \
		has "$work/rpm-devel" "${dev_files[@]}" "${libdir#/}/libkds.a"
	man=$(cd "$work/rpm-utils" && echo usr/share/man/man1/kdsctl.1*)
	check "kds-utils (rpm) holds kdsctl and its man page, and none of those" \
		utils_only "$work/rpm-utils" "$libdir" "$man"
	check "a program with kds-devel's headers links its libkds.a and runs" \
		links "$work/rpm-devel" "$libdir"
else
	echo "not ok - dev packages: the .rpms of $version could be unpacked"
fi
remove_tree "$work"
