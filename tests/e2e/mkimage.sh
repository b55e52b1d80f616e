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
want="$(cat "$here/mkimage.sh" "$here/guest/"* | sha256sum | cut -c1-16) $rel"
if [ -f "$dir/.kds-stamp" ] && [ -f "$dir/disk.img" ] &&
	[ "$(cat "$dir/.kds-stamp")" = "$want" ]; then
	exit 0
fi

trap 'remove_tree "$new/root"' EXIT

remove_tree "$new"
mkdir -p "$new/upgrade"
mirror=$(debian_mirror)
sources=()
for s in $suites; do
	sources+=("deb $mirror $s main")
done

# Periodic maintenance a machine without network has no use for in a test:
# it would compete for the two cores and the dpkg lock.
masked="apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer"
masked="$masked e2scrub_reap.service fstrim.timer man-db.timer"

say "kds-e2e: building the $rel VM image (suites: $suites)"
# The mirror may serve a dated snapshot whose Release files carry an
# expired Valid-Until: the signatures still hold.  In the hooks, $1 is the
# tree mmdebstrap builds.
# shellcheck disable=SC2016
mmdebstrap --quiet --mode=root --variant=apt --include="$pkgs" \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--aptopt='APT::Install-Recommends "false"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--customize-hook='echo kds-e2e >"$1/etc/hostname"' \
	--customize-hook='printf "/dev/vda / ext4 rw,errors=remount-ro 0 1\n" >"$1/etc/fstab"' \
	--customize-hook='chroot "$1" passwd -d root >/dev/null' \
	--customize-hook="install -m 0755 '$here/guest/kds-e2e-boot' \"\$1/usr/local/sbin/kds-e2e-boot\"" \
	--customize-hook="install -m 0644 '$here/guest/kds-e2e.service' \"\$1/etc/systemd/system/kds-e2e.service\"" \
	--customize-hook='chroot "$1" systemctl enable kds-e2e.service' \
	--customize-hook="for u in $masked; do ln -sf /dev/null \"\$1/etc/systemd/system/\$u\"; done" \
	--customize-hook='mkdir -p "$1/var/cache/kds-upgrade/partial"' \
	--customize-hook="chroot \"\$1\" apt-get install -q -y --download-only -t $upgrade_suite \
		-o Dir::Cache::Archives=/var/cache/kds-upgrade linux-image-amd64 linux-headers-amd64" \
	--customize-hook="mv \"\$1\"/var/cache/kds-upgrade/*.deb '$new/upgrade/'" \
	--customize-hook='rm -rf "$1/var/cache/kds-upgrade"' \
	"$rel" "$new/root" "${sources[@]}"

# mmdebstrap leaves /etc/machine-id "uninitialized" (first boot).
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$new/root/etc/machine-id"
echo >>"$new/root/etc/machine-id"

# initramfs-tools keeps Debian's default MODULES=most: the upgrade
# kernel's initramfs is built in a chroot of the disk (run.sh), where
# MODULES=dep would look at the host's root device.

ls "$new"/upgrade/linux-image-[0-9]*.deb >/dev/null 2>&1 ||
	die "mkimage: no kernel image from $upgrade_suite was downloaded"
mkfs.ext4 -q -F -L kds-root -d "$new/root" "$new/disk.img" 6G
remove_tree "$new/root"
echo "$want" >"$new/.kds-stamp"
trap - EXIT
remove_tree "$dir"
mv "$new" "$dir"
say "kds-e2e: $rel image ready ($(du -sh --apparent-size "$dir/disk.img" | cut -f1) apparent, $(du -sh "$dir/disk.img" | cut -f1) used)"
