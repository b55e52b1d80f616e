#!/bin/bash
# Downstream rebuilds, as a distribution makes them: its own changelog
# version over the same upstream one.  Each is built from a copy of the
# stage tree with a changelog stanza on top (version-tree.sh):
#   0.1.0-1 and 0.1.0+deb12u1 build, and each .deb's Version is that;
#   0.1.0-1ubuntu1 passes pkg-version-check;
#   0.0.9-1 is refused by `make deb` and by debian/rules alone, with a
#   message that names both versions;
#   without dpkg-parsechangelog, pkg-version-check names the missing tool
#   (not a version mismatch).
# Prints "ok - name" / "not ok - name" lines (check-pkg.sh numbers them).
# Environment: PKG_OUT (its stage directory, from `make deb` or `make rpm`).
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
check_prefix="deb versions"
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
stage="$PKG_OUT/stage/kds-$version"
work="$PKG_OUT/deb-versions"
arch=$(dpkg --print-architecture)
upstream_next=0.0.9

# tree DEB_VERSION: the stage tree with DEB_VERSION in its changelog.
tree() {
	bash "$here/version-tree.sh" "$stage" "$work/tree-$1" "$version" "$1"
}

pkgmake() {
	local v=$1
	shift
	make --no-print-directory -f "$top/mk/packaging.mk" TOP="$work/tree-$v" \
		PKG_OUT="$work/out-$v" "$@"
}

# builds DEB_VERSION: `make deb` of it, and the three .debs say DEB_VERSION.
builds() {
	local v=$1 p f got rc=0
	tree "$v" && pkgmake "$v" deb >"$work/make-deb-$v.log" 2>&1 || {
		tail -n 20 "$work/make-deb-$v.log"
		return 1
	}
	for p in kds-dkms_"${v}"_all kds-utils_"${v}_$arch" libkds-dev_"${v}_$arch"; do
		f="$work/out-$v/$p.deb"
		got=$(dpkg-deb -f "$f" Version 2>&1)
		echo "$p.deb: Version: $got"
		[ "$got" = "$v" ] || rc=1
	done
	return "$rc"
}

version_check_passes() {
	tree "$1" && pkgmake "$1" pkg-version-check
}

# refused DEB_VERSION: `make deb` and, on its own, dpkg-buildpackage stop,
# build no .deb, and say both src/VERSION and DEB_VERSION.
refused() {
	local v=$1 out rc=0
	tree "$v" || return 1
	out=$(pkgmake "$v" deb 2>&1) && { echo "make deb built $v"; rc=1; }
	echo "make deb: $(grep -i mismatch <<<"$out")"
	grep -i mismatch <<<"$out" | grep -F "$v" | grep -qF "src/VERSION='$version'" || rc=1
	out=$(cd "$work/tree-$v" && dpkg-buildpackage -b -us -uc 2>&1) &&
		{ echo "dpkg-buildpackage built $v"; rc=1; }
	echo "dpkg-buildpackage: $(grep -i mismatch <<<"$out")"
	grep -i mismatch <<<"$out" | grep -F "$v" | grep -qF "src/VERSION=$version" || rc=1
	if compgen -G "$work/*.deb" >/dev/null || compgen -G "$work/out-$v/*.deb" >/dev/null; then
		echo "a .deb of $v was built"
		rc=1
	fi
	return "$rc"
}

# The tools pkg-version-check needs, but for dpkg-parsechangelog.
no_parsechangelog() {
	local bin="$work/bin" t out
	mkdir -p "$bin"
	for t in make sh cat sed dpkg uname; do
		ln -sf "$(command -v "$t")" "$bin/$t"
	done
	out=$(PATH=$bin pkgmake "$version" pkg-version-check 2>&1) && {
		echo "pkg-version-check passed without dpkg-parsechangelog"
		return 1
	}
	echo "pkg-version-check: $out"
	grep -q 'dpkg-parsechangelog not found.*dpkg-dev' <<<"$out" && ! grep -qi mismatch <<<"$out"
}

if [ ! -f "$stage/debian/changelog" ]; then
	echo "not ok - deb versions: no stage tree $stage (make deb or make rpm first)"
	exit 1
fi
remove_tree "$work"
mkdir -p "$work"
check "a changelog of $version-1 builds, and the .debs are $version-1" builds "$version-1"
check "a changelog of $version+deb12u1 builds, and the .debs are $version+deb12u1" \
	builds "$version+deb12u1"
check "a changelog of $version-1ubuntu1 passes pkg-version-check" \
	version_check_passes "$version-1ubuntu1"
check "a changelog of $upstream_next-1 is refused by make deb and debian/rules, naming both versions" \
	refused "$upstream_next-1"
check "without dpkg-parsechangelog, pkg-version-check names the tool, not a mismatch" \
	no_parsechangelog
remove_tree "$work"
