#!/bin/bash
# version-tree.sh SRC DEST VERSION [DEB_VERSION]: DEST, a copy of SRC (a
# package tree: `make deb`'s or `make rpm`'s stage directory) with another
# version, as the next release or a downstream rebuild would carry it:
# src/VERSION, dkms.conf and rpm/kds.spec say VERSION, and debian/changelog
# starts with a stanza of DEB_VERSION (default: VERSION).  Build it with
#   make -f mk/packaging.mk TOP=DEST PKG_OUT=... deb rpm
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"

[ "$#" -ge 3 ] || die "usage: version-tree.sh SRC DEST VERSION [DEB_VERSION]"
src=$1 dest=$2 version=$3 deb_version=${4:-$3}
[ -f "$src/debian/changelog" ] && [ -f "$src/src/VERSION" ] ||
	die "version-tree.sh: $src is no package tree"

remove_tree "$dest"
mkdir -p "$dest"
cp -a "$src/." "$dest/"
echo "$version" >"$dest/src/VERSION"
sed -i "s/^PACKAGE_VERSION=\".*\"\$/PACKAGE_VERSION=\"$version\"/" "$dest/dkms.conf"
sed -i "s/^Version:\\([[:space:]]*\\).*/Version:\\1$version/" "$dest/rpm/kds.spec"
maint=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$src/debian/changelog" | head -n 1)
{
	printf 'kds (%s) unstable; urgency=medium\n\n' "$deb_version"
	printf '  * Built as %s from the tree of %s.\n\n' "$deb_version" "$(cat "$src/src/VERSION")"
	printf ' -- %s  %s\n\n' "$maint" "$(date -R)"
	cat "$src/debian/changelog"
} >"$dest/debian/changelog.new"
mv "$dest/debian/changelog.new" "$dest/debian/changelog"
