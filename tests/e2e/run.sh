#!/bin/bash
# The host's half of the kds end-to-end test, for one release:
#   run.sh RELEASE            the test (steps 1-6 of the packaging contract)
#   run.sh --demo RELEASE     `make demo`: install, reboot, a scripted tour
#
# Boots a copy of the release's cached image (mkimage.sh) under QEMU (TCG,
# 2 vCPUs, no network) once per phase of guest.sh.  The host shares one
# directory with the guest over 9p: the .debs, the upgrade kernel's .debs,
# guest.sh, and the phase to run; the guest writes its log there and powers
# off.  Between boots the host plays the boot loader: it boots the newest
# kernel in the image's /boot (what GRUB's default entry is on Debian),
# read from the powered-off disk with debugfs.
#
# Prints one line per check, "ok - <name>", "not ok - <name>" or
# "ok - <name> # SKIP <why>" (check-pkg.sh numbers them); progress on
# stderr.  Exit status 1 when any check failed.
#
# Environment: KDS_CACHE (images), PKG_OUT (where make deb put the .debs;
# logs go to $PKG_OUT/e2e/<release>), E2E_BOOT_TIMEOUT (seconds, per boot).
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
top=$(readlink -f "$here/../..")
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"

demo=0
if [ "${1:-}" = --demo ]; then
	demo=1
	shift
fi
rel=${1:?usage: run.sh [--demo] RELEASE}
PKG_OUT=${PKG_OUT:-$top/build/pkg}
timeout_s=${E2E_BOOT_TIMEOUT:-2400}
version=$(cat "$top/src/VERSION")

bash "$here/mkimage.sh" "$rel"
img_dir="$KDS_CACHE/e2e/$rel"

debs=("$PKG_OUT/kds-dkms_${version}_all.deb" "$PKG_OUT"/kds-utils_"${version}"_*.deb)
for d in "${debs[@]}"; do
	[ -f "$d" ] || die "e2e: no $d: run 'make deb' first"
done

logs="$PKG_OUT/e2e/$rel"
work="$KDS_CACHE/e2e/run-$rel"
rm -rf "$logs" "$work"
mkdir -p "$logs" "$work/share/debs" "$work/share/upgrade" "$work/share/out" "$work/boot"
trap 'rm -rf "$work"' EXIT

cp "${debs[@]}" "$work/share/debs/"
cp "$img_dir"/upgrade/*.deb "$work/share/upgrade/"
cp "$here/guest.sh" "$work/share/guest.sh"
k2=
for d in "$work"/share/upgrade/linux-image-[0-9]*.deb; do
	k2=$(dpkg-deb -f "$d" Package)
	k2=${k2#linux-image-}
done
[ -n "$k2" ] || die "e2e: no upgrade kernel image in $img_dir/upgrade"
cat >"$work/share/env" <<EOF
KDS_RELEASE=$rel
KDS_VERSION=$version
KDS_K2=$k2
EOF
say "kds-e2e: $rel: copying the image"
cp --sparse=always "$img_dir/disk.img" "$work/disk.img"

# The newest kernel in the image's /boot that has its initrd: its release.
newest_kernel() {
	debugfs -R 'ls -p /boot' "$work/disk.img" 2>/dev/null |
		awk -F/ '{ print $6 }' | sed -n 's/^vmlinuz-//p' | sort -V |
		while read -r v; do
			if debugfs -R "stat /boot/initrd.img-$v" "$work/disk.img" 2>/dev/null |
				grep -q '^Inode:'; then
				echo "$v"
			fi
		done | tail -n 1
}

# boot PHASE: one boot of the VM running guest.sh PHASE; 0 when guest.sh
# ran to its end.
boot() {
	local phase=$1 kver start rc
	kver=$(newest_kernel)
	[ -n "$kver" ] || { say "kds-e2e: no kernel with an initrd in the image's /boot"; return 1; }
	rm -f "$work/boot/"*
	debugfs -R "dump /boot/vmlinuz-$kver $work/boot/vmlinuz" "$work/disk.img" 2>/dev/null
	debugfs -R "dump /boot/initrd.img-$kver $work/boot/initrd.img" "$work/disk.img" 2>/dev/null
	echo "$phase" >"$work/share/phase"
	say "kds-e2e: $rel: boot '$phase' on $kver"
	start=$(date +%s)
	rc=0
	timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
		-display none -monitor none -no-reboot -nic none \
		-serial "file:$logs/console-$phase.log" \
		-kernel "$work/boot/vmlinuz" -initrd "$work/boot/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 panic=10 quiet systemd.show_status=error" \
		-drive "file=$work/disk.img,format=raw,if=virtio,cache=unsafe" \
		-device virtio-rng-pci \
		-virtfs "local,path=$work/share,mount_tag=kds,security_model=none,id=kds" \
		</dev/null >"$logs/qemu-$phase.log" 2>&1 || rc=$?
	say "kds-e2e: $rel: boot '$phase' took $(($(date +%s) - start)) s (qemu exit $rc)"
	[ -f "$work/share/out/$phase.log" ] && cp "$work/share/out/$phase.log" "$logs/$phase.log"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		say "kds-e2e: $rel: boot '$phase' timed out after $timeout_s s"
		return 1
	fi
	grep -q "^KDS-E2E-END $phase 0\$" "$work/share/out/$phase.log" 2>/dev/null
}

failed=0
# report PHASE: the phase's checks as result lines.
report() {
	local phase=$1 line
	[ -f "$work/share/out/$phase.log" ] || return 0
	while IFS= read -r line; do
		case "$line" in
		"ok "*) echo "ok - $rel: ${line#ok }" ;;
		"not ok "*)
			echo "not ok - $rel: ${line#not ok }"
			failed=1
			;;
		"skip "*)
			line=${line#skip }
			echo "ok - $rel: ${line% \# *} # SKIP ${line##* \# }"
			;;
		esac
	done < <(sed -n 's/^KDS-TAP //p' "$work/share/out/$phase.log")
}

run_phase() {
	local phase=$1
	if boot "$phase"; then
		report "$phase"
		echo "ok - $rel: boot '$phase' ran to its end"
		return 0
	fi
	report "$phase"
	echo "not ok - $rel: boot '$phase' ran to its end (logs: $logs)"
	failed=1
	if [ -f "$logs/$phase.log" ]; then
		tail -n 40 "$logs/$phase.log" | sed 's/^/  | /' >&2
	else
		tail -n 40 "$logs/console-$phase.log" 2>/dev/null | sed 's/^/  | /' >&2
	fi
	return 1
}

if [ "$demo" = 1 ]; then
	boot demo-install || {
		tail -n 40 "$logs/demo-install.log" "$logs/console-demo-install.log" 2>/dev/null >&2
		die "e2e: demo: the install failed"
	}
	boot demo-tour || true
	sed -e '/^KDS-E2E-END/d' "$logs/demo-tour.log"
	exit 0
fi

t0=$(date +%s)
for phase in install boot options upgraded purged; do
	run_phase "$phase" || break
done
say "kds-e2e: $rel: $(($(date +%s) - t0)) s in the VM (logs: $logs)"
exit "$failed"
