#!/bin/bash
# Build (or reuse) the disk image of the Secure Boot test VM (bookworm):
#   secureboot-image.sh
# A disk that boots as a Secure Boot PC with Debian does: a GPT with an
# EFI system partition holding shim (shim-signed) as the removable-media
# loader EFI/BOOT/BOOTX64.EFI, MokManager (mmx64.efi, shim-helpers) and
# GRUB (grub-efi-amd64-signed) beside it, and a grub.cfg that boots the
# root's /vmlinuz and /initrd.img (the symlinks the kernel packages keep
# on the newest kernel, so an upgraded kernel boots with no update-grub);
# the root is a full Debian as mkimage.sh builds it, with Debian's signed
# linux-image-amd64, mokutil, and the packages of both loaders installed.
# No fallback loader (fbx64.efi) on the ESP: the firmware has no boot
# entries, and shim then boots GRUB directly from its own directory.
# Beside the image, upgrade/ holds bookworm-backports' signed kernel image
# and headers (the kernel-upgrade step; the VM has no network).
#
# Built without loop devices: mkfs.vfat and mtools fill the ESP, mkfs.ext4
# -d the root, sfdisk writes the table and dd puts both in place.
#
# Result in $KDS_CACHE/secureboot/bookworm/: disk.img (raw, GPT),
# upgrade/*.deb, .kds-stamp.  Cache key: this script, the guest files, the
# release.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"
# shellcheck source=tests/e2e/image-root.sh
. "$here/image-root.sh"

rel=bookworm
suites="$rel $rel-updates $rel-backports"
upgrade_suite="$rel-backports"
pkgs="systemd-sysv,udev,kmod,login,passwd,procps,e2fsprogs,zstd,initramfs-tools"
pkgs="$pkgs,linux-image-amd64,linux-headers-amd64,dkms,gcc,make,openssl"
pkgs="$pkgs,mokutil,shim-signed,grub-efi-amd64-signed,efibootmgr"

# Partitions, in MiB: the ESP from 1 MiB, the root after it.
esp_mib=64
root_mib=6144
# The kernel's command line (grub.cfg); as in run.sh, mitigations=off
# (they cost much under TCG and touch nothing kds does).
cmdline="root=LABEL=kds-root ro console=ttyS0 panic=10 quiet systemd.show_status=error mitigations=off"

dir="$KDS_CACHE/secureboot/$rel"
new="$dir.new"
want="$(cat "$here/secureboot-image.sh" "$here/image-root.sh" "$here/guest/"* | sha256sum | cut -c1-16) $rel"
if [ -f "$dir/.kds-stamp" ] && [ -f "$dir/disk.img" ] &&
	[ "$(cat "$dir/.kds-stamp")" = "$want" ]; then
	exit 0
fi

trap 'remove_tree "$new/root"' EXIT

remove_tree "$new"
mkdir -p "$new/upgrade" "$new/esp"
say "kds-sb: building the $rel Secure Boot VM image (suites: $suites)"
# shim-signed's postinst runs grub-install only on an EFI system with
# /boot/efi/EFI/debian, which the tree is not.
image_root "$new/root" "$new/upgrade" kds-sb "LABEL=kds-root / ext4 rw,errors=remount-ro 0 1" \
	"$pkgs" "$suites" "$upgrade_suite"
[ -e "$new/root/vmlinuz" ] && [ -e "$new/root/initrd.img" ] ||
	die "secureboot-image: no /vmlinuz or /initrd.img symlink in the root"

# The ESP: what a Debian install puts there, at the removable-media path.
cat >"$new/esp/grub.cfg" <<EOF
set timeout=0
search --no-floppy --label kds-root --set=root
linux /vmlinuz $cmdline
initrd /initrd.img
boot
EOF
mkfs.vfat -C -F 32 -n KDS-ESP "$new/esp.img" $((esp_mib * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$new/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$new/esp.img" "$new/root/usr/lib/shim/shimx64.efi.signed" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$new/esp.img" "$new/root/usr/lib/shim/mmx64.efi.signed" ::/EFI/BOOT/mmx64.efi
mcopy -i "$new/esp.img" "$new/root/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" \
	::/EFI/BOOT/grubx64.efi
# GRUB reads $prefix/grub.cfg (/EFI/debian) or the one beside itself.
mcopy -i "$new/esp.img" "$new/esp/grub.cfg" ::/EFI/BOOT/grub.cfg
mcopy -i "$new/esp.img" "$new/esp/grub.cfg" ::/EFI/debian/grub.cfg

mkfs.ext4 -q -F -L kds-root -d "$new/root" "$new/root.img" "${root_mib}M"
remove_tree "$new/root"

truncate -s $(((1 + esp_mib + root_mib + 1) * 1024 * 1024)) "$new/disk.img"
sfdisk -q "$new/disk.img" <<EOF
label: gpt
start=1MiB, size=${esp_mib}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"
start=$((1 + esp_mib))MiB, size=${root_mib}MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
EOF
dd if="$new/esp.img" of="$new/disk.img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$new/root.img" of="$new/disk.img" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none
rm -f "$new/esp.img" "$new/root.img"
rm -rf "$new/esp"

echo "$want" >"$new/.kds-stamp"
trap - EXIT
remove_tree "$dir"
mv "$new" "$dir"
say "kds-sb: $rel image ready ($(du -sh --apparent-size "$dir/disk.img" | cut -f1) apparent, $(du -sh "$dir/disk.img" | cut -f1) used)"
