#!/bin/bash
# The packages of the next version, built from the same tree, for the
# upgrade and downgrade steps of the end-to-end test (run.sh):
#   mknext.sh [VERSION]
# VERSION defaults to src/VERSION with its last number one higher (0.1.0
# gives 0.1.1).  A copy of the stage tree `make deb` built from
# ($PKG_OUT/stage/kds-<v>) gets the new version where a release sets it
# (src/VERSION, dkms.conf, debian/changelog, rpm/kds.spec) and is built as
# `make deb` builds; the .debs land in $PKG_OUT/next/.  Nothing of the
# tree itself changes.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
top=$(readlink -f "$here/../..")
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"

PKG_OUT=${PKG_OUT:-$top/build/pkg}
cur=$(cat "$top/src/VERSION")
next=${1:-${cur%.*}.$((${cur##*.} + 1))}
stage="$PKG_OUT/stage/kds-$cur"
out="$PKG_OUT/next"
[ -f "$stage/dkms.conf" ] || die "mknext: no $stage: run 'make deb' first"

rm -rf "$out"
mkdir -p "$out/stage"
cp -a "$stage" "$out/stage/kds-$next"
cd "$out/stage/kds-$next"
echo "$next" >src/VERSION
sed -i "s/^PACKAGE_VERSION=\".*\"\$/PACKAGE_VERSION=\"$next\"/" dkms.conf
sed -i "s/^\(Version:[[:space:]]*\).*/\1$next/" rpm/kds.spec
maint=$(dpkg-parsechangelog -S Maintainer)
{
	echo "kds ($next) unstable; urgency=medium"
	echo
	echo "  * The next version, built by the end-to-end test for its upgrade step."
	echo
	echo " -- $maint  $(date -R)"
	echo
	cat debian/changelog
} >debian/changelog.new
mv debian/changelog.new debian/changelog
for f in "src/VERSION:$(cat src/VERSION)" \
	"dkms.conf:$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)" \
	"debian/changelog:$(dpkg-parsechangelog -S Version)" \
	"rpm/kds.spec:$(sed -n 's/^Version:[[:space:]]*//p' rpm/kds.spec)"; do
	[ "${f#*:}" = "$next" ] || die "mknext: ${f%%:*} says '${f#*:}', not $next"
done
DEB_BUILD_OPTIONS="noddebs ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -b -us -uc
mv "$out"/stage/*.deb "$out/"
rm -rf "$out/stage"
ls -l "$out"/*.deb
