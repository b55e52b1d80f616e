#!/bin/bash
# Build (or reuse) the disk image of the end-to-end test VM for one release:
#   mkimage.sh bookworm|trixie
# A full Debian (systemd, udev) with what `apt install ./kds-dkms_*.deb`
# needs offline: dkms, gcc, make, openssl and the release's kernel image and
# headers; no recommends, no documentation or translations (dpkg
# path-exclude, as Debian's minimal images do; man pages stay, the test
# checks kdsctl(1)).  It has a machine-id, as an installed system does, so
# its first boot is not systemd's "first boot".  Beside the image, upgrade/
# holds the .debs of the next kernel line (the kernel-upgrade step),
# downloaded for exactly this image, since the VM has no network.
#
# Result in $KDS_CACHE/e2e/<release>/: disk.img (raw ext4, no partition
# table: the host boots its kernel directly, see run.sh), upgrade/*.deb,
# .kds-stamp.  Cache key: the contents of this script (package list,
# options) and of the guest files, and the release.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"
# shellcheck source=tests/e2e/image-root.sh
. "$here/image-root.sh"

rel=${1:?usage: mkimage.sh RELEASE}
case "$rel" in
bookworm | trixie) ;;
*) die "mkimage: unknown release '$rel' (bookworm or trixie)" ;;
esac
suites="$rel $rel-updates $rel-backports"
upgrade_suite="$rel-backports"
pkgs="systemd-sysv,udev,kmod,login,passwd,procps,e2fsprogs,zstd,initramfs-tools"
pkgs="$pkgs,linux-image-amd64,linux-headers-amd64,dkms,gcc,make,openssl"

dir="$KDS_CACHE/e2e/$rel"
new="$dir.new"
want="$(cat "$here/mkimage.sh" "$here/image-root.sh" "$here/guest/"* | sha256sum | cut -c1-16) $rel"
if [ -f "$dir/.kds-stamp" ] && [ -f "$dir/disk.img" ] &&
	[ "$(cat "$dir/.kds-stamp")" = "$want" ]; then
	exit 0
fi

trap 'remove_tree "$new/root"' EXIT

remove_tree "$new"
mkdir -p "$new/upgrade"
say "kds-e2e: building the $rel VM image (suites: $suites)"
image_root "$new/root" "$new/upgrade" kds-e2e "/dev/vda / ext4 rw,errors=remount-ro 0 1" \
	"$pkgs" "$suites" "$upgrade_suite"

# initramfs-tools keeps Debian's default MODULES=most: the upgrade
# kernel's initramfs is built in a chroot of the disk (run.sh), where
# MODULES=dep would look at the host's root device.

mkfs.ext4 -q -F -L kds-root -d "$new/root" "$new/disk.img" 6G
remove_tree "$new/root"
echo "$want" >"$new/.kds-stamp"
trap - EXIT
remove_tree "$dir"
mv "$new" "$dir"
say "kds-e2e: $rel image ready ($(du -sh --apparent-size "$dir/disk.img" | cut -f1) apparent, $(du -sh "$dir/disk.img" | cut -f1) used)"
