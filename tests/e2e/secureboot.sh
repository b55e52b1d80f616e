#!/bin/bash
# The Secure Boot end-to-end test (make check-secureboot; not part of make
# check): the packaging contract's path 5 on a VM that boots as a Secure
# Boot PC does (secureboot-image.sh): q35 with SMM, OVMF's Secure Boot
# firmware (OVMF_CODE_4M.secboot.fd, read-only) and a copy of its
# variables with Microsoft's keys enrolled (OVMF_VARS_4M.ms.fd), so that
# the firmware checks shim, shim checks GRUB and the kernel, and the
# kernel locks itself down and refuses modules signed by a key it does not
# trust.
#
# Boots (TCG, 2 vCPUs, no network; the share, the phases and the results
# as in run.sh; the variables file persists across them, as a PC's NVRAM):
#   install     Secure Boot and lockdown on; the .debs installed
#   unenrolled  the boot before enrolment; mokutil --import
#   mokmanager  the user's enrolment: mokmanager.exp drives MokManager
#               over the serial console (Enroll MOK, Continue, Yes, the
#               password, Reboot)
#   enrolled    the modules load; a foreign key is refused
#   upgrade     (SB_UPGRADE=1) apt install of bookworm-backports' signed
#               kernel image and headers: DKMS builds and signs kds for it
#   upgraded    (SB_UPGRADE=1) the rebuilt modules load with no new step
#
# Prints "ok - <name>" / "not ok - <name>" per check and a last line
# "N passed, N failed"; progress on stderr; exit status 1 when a check
# failed.  Logs (consoles, the guest's logs, times.txt) in
# $PKG_OUT/secureboot.
#
# Environment: KDS_CACHE (the image), PKG_OUT (the .debs of make deb),
# SB_BOOT_TIMEOUT (seconds per boot; SB_UPGRADE_TIMEOUT for the kernel
# upgrade's), SB_UPGRADE (1: steps of the kernel
# upgrade, over 40 more minutes under TCG); SB_PHASES (the boots to run,
# in order) and SB_KEEP=1 (keep the disk and variables of the last run and
# go on from them), to rerun a later step.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
top=$(readlink -f "$here/../..")
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"

PKG_OUT=${PKG_OUT:-$top/build/pkg}
timeout_s=${SB_BOOT_TIMEOUT:-2400}
# The kernel upgrade's boot builds kds and an initramfs under TCG: it was
# still in update-initramfs when 2400 s ran out on the shared 2 cores.
upgrade_timeout_s=${SB_UPGRADE_TIMEOUT:-5400}
upgrade=${SB_UPGRADE:-0}
version=$(cat "$top/src/VERSION")
rel=bookworm
code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
# What the user types at mokutil --import and again in MokManager.
password=kds-enrol

bash "$top/mk/need.sh" check-secureboot ovmf qemu-system-x86 mmdebstrap \
	dosfstools mtools fdisk e2fsprogs expect
bash "$here/secureboot-image.sh"
img_dir="$KDS_CACHE/secureboot/$rel"

debs=("$PKG_OUT/kds-dkms_${version}_all.deb" "$PKG_OUT"/kds-utils_"${version}"_*.deb
	"$PKG_OUT"/libkds-dev_"${version}"_*.deb)
for d in "${debs[@]}"; do
	[ -f "$d" ] || die "secureboot: no $d: run 'make deb' first"
done

logs="$PKG_OUT/secureboot"
work="$KDS_CACHE/secureboot/run"
keep=${SB_KEEP:-0}
fresh=1
if [ "$keep" = 1 ] && [ -f "$work/disk.img" ] && [ -f "$work/vars.fd" ]; then
	fresh=0
	rm -rf --one-file-system "$work/share"
else
	rm -rf --one-file-system "$work" "$logs"
fi
[ "$keep" = 1 ] || trap 'rm -rf --one-file-system "$work"' EXIT
mkdir -p "$logs" "$work/share/debs" "$work/share/out" "$work/share/upgrade"

cp "${debs[@]}" "$work/share/debs/"
cp "$here/secureboot-guest.sh" "$work/share/guest.sh"
cp "$here/guest-lib.sh" "$work/share/guest-lib.sh"
k2=
for d in "$img_dir"/upgrade/linux-image-[0-9]*.deb; do
	k2=$(dpkg-deb -f "$d" Package)
	k2=${k2#linux-image-}
done
[ -n "$k2" ] || die "secureboot: no upgrade kernel image in $img_dir/upgrade"
phases="install unenrolled mokmanager enrolled"
[ "$upgrade" = 1 ] && phases="$phases upgrade upgraded"
phases=${SB_PHASES:-$phases}
case " $phases " in
*" upgrade "*) cp "$img_dir"/upgrade/*.deb "$work/share/upgrade/" ;;
esac
cat >"$work/share/env" <<EOF
KDS_VERSION=$version
KDS_K2=$k2
KDS_MOK_PASSWORD=$password
EOF
if [ "$fresh" = 1 ]; then
	say "kds-sb: copying the image and the firmware's variables"
	cp --sparse=always "$img_dir/disk.img" "$work/disk.img"
	cp "$vars" "$work/vars.fd"
fi

# shellcheck disable=SC2054 # the commas are QEMU's
qemu=(qemu-system-x86_64 -machine q35,smm=on -accel tcg,thread=multi -cpu max -smp 2 -m 2048
	-global driver=cfi.pflash01,property=secure,value=on
	-drive "if=pflash,format=raw,unit=0,file=$code,readonly=on"
	-drive "if=pflash,format=raw,unit=1,file=$work/vars.fd"
	-display none -monitor none -no-reboot -nic none
	-drive "file=$work/disk.img,format=raw,if=virtio,cache=unsafe"
	-device virtio-rng-pci
	-virtfs "local,path=$work/share,mount_tag=kds,security_model=none,id=kds")

passed=0
failed=0
result() {
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "ok - secureboot: $2"
	else
		failed=$((failed + 1))
		echo "not ok - secureboot: $2"
	fi
}

# Where a boot's seconds went: the guest's uptime (since the kernel
# started) when its phase began and ended; the rest of QEMU's run is the
# firmware, shim and GRUB before, and the power-off after.
boot_seconds() {
	local phase=$1 total=$2 up down
	up=$(sed -n 's/^phase [^ ]* on [^ ]*, up \([0-9.]*\) s$/\1/p' "$work/share/out/$phase.log" 2>/dev/null)
	down=$(sed -n 's/^phase [^ ]* done, up \([0-9.]*\) s$/\1/p' "$work/share/out/$phase.log" 2>/dev/null)
	[ -n "$up" ] && [ -n "$down" ] || return 0
	echo "boot $phase: kernel start to the phase ${up%.*} s, phase done at ${down%.*} s;" \
		"firmware, loaders and power-off $((total - ${down%.*})) s of $total s"
}

# boot PHASE: one boot running secureboot-guest.sh PHASE; 0 when it ran
# to its end.
boot() {
	local phase=$1 start rc limit=$timeout_s
	[ "$phase" != upgrade ] || limit=$upgrade_timeout_s
	echo "$phase" >"$work/share/phase"
	rm -f "$work/share/out/$phase.log"
	say "kds-sb: boot '$phase'"
	start=$(date +%s)
	rc=0
	timeout --foreground -k 10 "$limit" "${qemu[@]}" \
		-serial "file:$logs/console-$phase.log" </dev/null >"$logs/qemu-$phase.log" 2>&1 || rc=$?
	say "kds-sb: boot '$phase' took $(($(date +%s) - start)) s (qemu exit $rc)"
	echo "boot $phase: $(($(date +%s) - start)) s (qemu exit $rc)" >>"$logs/times.txt"
	[ -f "$work/share/out/$phase.log" ] && cp "$work/share/out/$phase.log" "$logs/$phase.log"
	boot_seconds "$phase" "$(($(date +%s) - start))" >>"$logs/times.txt"
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		say "kds-sb: boot '$phase' timed out"
		return 1
	fi
	grep -q "^KDS-E2E-END $phase 0\$" "$work/share/out/$phase.log" 2>/dev/null
}

report() {
	local phase=$1 line
	[ -f "$work/share/out/$phase.log" ] || return 0
	while IFS= read -r line; do
		case "$line" in
		"ok "*) result ok "${line#ok }" ;;
		"not ok "*) result "not ok" "${line#not ok }" ;;
		esac
	done < <(sed -n 's/^KDS-TAP //p' "$work/share/out/$phase.log")
}

run_phase() {
	local phase=$1 ok=0
	boot "$phase" && ok=1
	report "$phase"
	if [ "$ok" = 1 ]; then
		result ok "boot '$phase' ran to its end"
		return 0
	fi
	result "not ok" "boot '$phase' ran to its end (logs: $logs)"
	tail -n 40 "$logs/$phase.log" "$logs/console-$phase.log" 2>/dev/null | sed 's/^/  | /' >&2
	return 1
}

# The enrolment boot: MokManager at the console, as the user drives it.
mokmanager() {
	local start rc=0
	say "kds-sb: boot 'mokmanager' (MokManager driven over the serial console)"
	start=$(date +%s)
	timeout --foreground -k 10 "$timeout_s" expect -f "$here/mokmanager.exp" "$password" \
		"${qemu[@]}" -serial stdio >"$logs/console-mokmanager.log" 2>"$logs/mokmanager.log" || rc=$?
	say "kds-sb: boot 'mokmanager' took $(($(date +%s) - start)) s: $(tail -n 1 "$logs/mokmanager.log")"
	echo "boot mokmanager: $(($(date +%s) - start)) s (expect exit $rc)" >>"$logs/times.txt"
	if [ "$rc" = 0 ]; then
		result ok "MokManager enrols the key over the serial console (Enroll MOK, Continue, Yes, password, Reboot)"
		return 0
	fi
	result "not ok" "MokManager enrols the key over the serial console ($(tail -n 1 "$logs/mokmanager.log"))"
	return 1
}

t0=$(date +%s)
for phase in $phases; do
	if [ "$phase" = mokmanager ]; then
		mokmanager || break
	else
		run_phase "$phase" || break
	fi
done
say "kds-sb: $(($(date +%s) - t0)) s from the first boot (logs: $logs)"
echo "total $(($(date +%s) - t0)) s" >>"$logs/times.txt"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
