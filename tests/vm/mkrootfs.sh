#!/bin/bash
# Build (or reuse) the cached root of a foreign kernel line:
#   mkrootfs.sh LINE        (i386, arm64, armhf, riscv64: line_arch in lib.sh)
# Debian's own packages of that architecture, unpacked, never run (the
# host cannot run i386 binaries, nor arm64 without emulation): the
# headers the modules are built against and, for a line that boots, the
# kernel image and its modules' tree, and the static busybox and kmod
# (with its libraries) that go into the line's initramfs.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

line=${1:?usage: mkrootfs.sh LINE}
arch=$(line_arch "$line")
flavour=$(line_flavour "$line")
rel=$(line_chroot "$line")
mirror=$(debian_mirror)
case "$rel" in
bookworm) suites="bookworm bookworm-updates" ;;
trixie) suites="trixie trixie-updates" ;;
*) die "no foreign root for release '$rel'" ;;
esac
pkgs="linux-headers-$flavour"
line_boots "$line" && pkgs="busybox-static,kmod,linux-image-$flavour,$pkgs"

dir="$KDS_CACHE/rootfs-$line"
stamp="$dir/.kds-stamp"

dates=$(suite_dates "$mirror" $suites)
want="$(sha256sum <"$here/mkrootfs.sh" | cut -c1-16) $(echo "$dates" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then
	[ "$(cat "$stamp")" = "$want" ] && exit 0
	case "$dates" in *unreachable*) exit 0 ;; esac
fi
rm -rf --one-file-system "$dir.new"
mkdir -p "$KDS_CACHE"
sources=()
for s in $suites; do
	sources+=("deb $mirror $s main")
done
say "kds-test: unpacking the $arch root of line $line ($pkgs)"
mmdebstrap --quiet --mode=root --variant=extract --architectures="$arch" \
	--include="$pkgs" --aptopt='Acquire::Check-Valid-Until "false"' \
	"$rel" "$dir.new" "${sources[@]}"
echo "$want" >"$dir.new/.kds-stamp"
rm -rf --one-file-system "$dir"
mv "$dir.new" "$dir"
