#!/bin/bash
# Build (or reuse) the cached build chroot for one Debian release:
#   mkchroot.sh bookworm|trixie|sid
# It holds the compiler of that release and the linux-image and
# linux-headers of every kernel line built with it (see lib.sh).
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

rel=${1:?usage: mkchroot.sh RELEASE}
mirror=$(debian_mirror)
case "$rel" in
bookworm) suites="bookworm bookworm-updates bookworm-backports"; extra="bookworm-backports" ;;
trixie) suites="trixie trixie-updates trixie-backports"; extra="trixie-backports" ;;
sid) suites="sid"; extra="" ;;
*) die "unknown release '$rel'" ;;
esac
pkgs="build-essential,kmod,cpio,busybox-static,linux-image-amd64,linux-headers-amd64,sparse,perl,ca-certificates"
[ "$rel" = bookworm ] && pkgs="$pkgs,linux-source-6.1,xz-utils"

# Key the cache on this script and the suites' Release dates are too slow to
# fetch each time; key on the script and the day, so suites refresh daily.
key=$(cat "$here/mkchroot.sh" "$here/lib.sh" | sha256sum | cut -c1-12)
dir="$KDS_CACHE/chroot-$rel"
stamp="$dir/.kds-stamp"
want="$key $(date +%Y-%m-%d)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi
rm -rf --one-file-system "$dir.new"
mkdir -p "$KDS_CACHE"
sources=()
for s in $suites; do
	sources+=("deb $mirror $s main")
done
say "kds-test: building $rel chroot (suites: $suites)"
# The mirror may serve a dated snapshot whose Release files (sid,
# backports) carry an expired Valid-Until: the signatures still hold.
mmdebstrap --quiet --mode=root --variant=apt --include="$pkgs" \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--customize-hook="chroot \"\$1\" apt-get update -q" \
	${extra:+--customize-hook="chroot \"\$1\" apt-get install -q -y -t $extra linux-image-amd64 linux-headers-amd64"} \
	"$rel" "$dir.new" "${sources[@]}"
echo "$want" >"$dir.new/.kds-stamp"
rm -rf --one-file-system "$dir"
mv "$dir.new" "$dir"
