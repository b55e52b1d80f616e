#!/bin/bash
# The packages of the next version, built from the same tree, for the
# upgrade and downgrade steps of the end-to-end test (run.sh):
#   mknext.sh [VERSION]
# VERSION defaults to src/VERSION with its last number one higher (0.1.0
# gives 0.1.1).  The tree is staged as `make deb` stages it, but into
# $PKG_OUT/next (so that this runs beside `make rpm`, which stages anew),
# given VERSION where a release sets it (version-tree.sh) and built with
# `make deb`; the .debs land in $PKG_OUT/next/.  Nothing of the tree
# itself changes.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
top=$(readlink -f "$here/../..")
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"

PKG_OUT=${PKG_OUT:-$top/build/pkg}
cur=$(cat "$top/src/VERSION")
next=${1:-${cur%.*}.$((${cur##*.} + 1))}
out="$PKG_OUT/next"

remove_tree "$out"
make --no-print-directory -f "$top/mk/packaging.mk" TOP="$top" PKG_OUT="$out/src" pkg-stage
bash "$here/version-tree.sh" "$out/src/stage/kds-$cur" "$out/tree" "$next"
remove_tree "$out/src"
make --no-print-directory -f "$top/mk/packaging.mk" TOP="$out/tree" PKG_OUT="$out" deb
remove_tree "$out/tree"
remove_tree "$out/stage"
