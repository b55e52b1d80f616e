# What the package checks of tests/e2e share; sourced, after the script
# has set `here` (its own directory), by deb-versions.sh, dev-link.sh,
# rpm-scriptlets.sh and foreign.sh.  Sets top, PKG_OUT (default build/pkg)
# and version (src/VERSION); brings tests/vm/lib.sh (say, die,
# debian_mirror, remove_tree, the kernel lines).
# shellcheck shell=bash disable=SC2034,SC2154
top=$(readlink -f "$here/../..")
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"
PKG_OUT=${PKG_OUT:-$top/build/pkg}
version=$(cat "$top/src/VERSION")

# check NAME COMMAND...: the line "ok - $check_prefix: NAME" when COMMAND
# succeeds, else "not ok - ..."; COMMAND's output goes to stderr.
check_prefix=${check_prefix:-e2e}
check() {
	local name=$1
	shift
	if "$@" >&2; then
		echo "ok - $check_prefix: $name"
	else
		echo "not ok - $check_prefix: $name"
	fi
}

# cached_root DIR STAMP [MMDEBSTRAP-OPTION...] SUITE SOURCE...: DIR, a
# root that mmdebstrap makes of SUITE from the SOURCE lines with those
# options, unless DIR's .kds-stamp already says STAMP.  Made beside DIR,
# which it replaces only once complete; 1 when mmdebstrap failed (DIR is
# then as it was).
cached_root() {
	local dir=$1 stamp=$2 suite
	local -a opts=()
	shift 2
	while [ "${1#-}" != "$1" ]; do
		opts+=("$1")
		shift
	done
	suite=$1
	shift
	if [ -f "$dir/.kds-stamp" ] && [ "$(cat "$dir/.kds-stamp")" = "$stamp" ]; then
		return 0
	fi
	say "kds-e2e: building $dir ($suite, mmdebstrap)"
	mkdir -p "${dir%/*}"
	remove_tree "$dir.new"
	mmdebstrap --quiet --mode=root --variant=apt \
		--aptopt='Acquire::Check-Valid-Until "false"' "${opts[@]}" \
		"$suite" "$dir.new" "$@" || {
		remove_tree "$dir.new"
		return 1
	}
	echo "$stamp" >"$dir.new/.kds-stamp"
	remove_tree "$dir"
	mv "$dir.new" "$dir"
}

# in_root COMMAND...: COMMAND in the chroot $root, with a clean
# environment.  DKMS needs /proc: it is mounted in a private mount
# namespace that ends with the command, so no mount outlives it or
# reaches the host.
in_root() {
	unshare --mount --pid --fork --mount-proc="$root/proc" \
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
