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
# bookworm also builds the user space of the i386 line (gcc -m32).
[ "$rel" = bookworm ] && pkgs="$pkgs,linux-source-6.1,xz-utils,gcc-multilib"
# trixie also builds the modules and user space of the arm64, armhf,
# riscv64, ppc64el and s390x lines.
[ "$rel" = trixie ] && pkgs="$pkgs,gcc-aarch64-linux-gnu,libc6-dev-arm64-cross,gcc-arm-linux-gnueabihf,libc6-dev-armhf-cross,gcc-riscv64-linux-gnu,libc6-dev-riscv64-cross,gcc-powerpc64le-linux-gnu,libc6-dev-ppc64el-cross,gcc-s390x-linux-gnu,libc6-dev-s390x-cross"

dir="$KDS_CACHE/chroot-$rel"
stamp="$dir/.kds-stamp"

# The cache key: this script, and the Date: of each suite's InRelease, so
# that a new upload to any suite (a new kernel) rebuilds the chroot.
dates=$(suite_dates "$mirror" $suites)
want="$(sha256sum <"$here/mkchroot.sh" | cut -c1-16) $(echo "$dates" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then
	[ "$(cat "$stamp")" = "$want" ] && exit 0
	# Mirror unreachable: keep what we have rather than fail.
	case "$dates" in *unreachable*) exit 0 ;; esac
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
# INITRD=No: the kernels boot with our own initramfs, skip building theirs.
INITRD=No mmdebstrap --quiet --mode=root --variant=apt --include="$pkgs" \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--customize-hook="chroot \"\$1\" apt-get update -q" \
	${extra:+--customize-hook="chroot \"\$1\" apt-get install -q -y -t $extra linux-image-amd64 linux-headers-amd64"} \
	"$rel" "$dir.new" "${sources[@]}"
echo "$want" >"$dir.new/.kds-stamp"
rm -rf --one-file-system "$dir"
mv "$dir.new" "$dir"
