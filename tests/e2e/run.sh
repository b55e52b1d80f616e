#!/bin/bash
# The host's half of the kds end-to-end test, for one release:
#   run.sh RELEASE            the test (steps 1-6 of the packaging contract)
#   run.sh --demo RELEASE     `make demo`: install, reboot, a scripted tour
#
# Boots a copy of the release's cached image (mkimage.sh) under QEMU (TCG,
# 2 vCPUs, no network) once per phase of guest.sh.  The host shares one
# directory with the guest over 9p: the .debs, guest.sh, and the phase to
# run; the guest writes its log there and powers off.  Between boots the
# host plays the boot loader: it boots the newest kernel in the image's
# /boot (what GRUB's default entry is on Debian), read from the powered-off
# disk with debugfs, with mitigations=off on the command line (CPU
# vulnerability mitigations cost much under TCG and touch nothing kds does).
#
# Boots (guest.sh says what each checks): install (step 1), boot (steps
# 2 and 4; step 3's option written; the package upgrade to the next
# version, at a boot: which kernels Debian's DKMS builds for depends on
# the running one), upgraded (steps 3, 5 and 2 on the new kernel, the
# next version running), downgraded (the first version running; a
# kernel removed; step 6's purge), purged (step 6 after the next boot).
#
# Three phases run in a chroot of the powered-off disk on the host,
# natively: kernel, between boot and upgraded (step 5, the next line's
# kernel image, then its headers: apt, dpkg, the kernel's postinst hooks
# and DKMS autoinstall on the same disk, for a kernel that is not the
# running one in either case; in the chroot `uname -r` is the host's,
# whose headers the image lacks: a dkms.conf that used it fails to build
# there, as its modules would fail to load on the new kernel after a
# guest-side install; in the guest under TCG it took 950 s, natively
# minutes); downgrade, between upgraded and downgraded (the first
# version installed again, built for both kernels: 15 minutes in the
# guest); and noheaders, after purged (every headers package purged,
# then the packages installed, then the headers).  What DKMS built in a
# chroot is then booted in the guest.
#
# Prints one line per check, "ok - <name>", "not ok - <name>" or
# "ok - <name> # SKIP <why>" (check-pkg.sh numbers them); progress on
# stderr.  Exit status 1 when any check failed.
#
# Environment: KDS_CACHE (images), PKG_OUT (where make deb put the .debs;
# logs go to $PKG_OUT/e2e/<release>), E2E_BOOT_TIMEOUT (seconds, per boot),
# E2E_LIFECYCLE (the releases that also upgrade and downgrade the
# package; default bookworm).
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
# The releases that go through the package upgrade and downgrade (two
# boots and a DKMS build under TCG more); the others go from install to
# purge with the new kernel, headers later, the kernel removal and no
# headers (guest.sh, KDS_LIFE).
life=short
case " ${E2E_LIFECYCLE-bookworm} " in *" $rel "*) life=full ;; esac
version=$(cat "$top/src/VERSION")

bash "$here/mkimage.sh" "$rel"
img_dir="$KDS_CACHE/e2e/$rel"

next=
if [ "$demo" = 0 ]; then
	d=$(echo "$PKG_OUT"/next/kds-dkms_*_all.deb)
	[ -f "$d" ] || die "e2e: no $d: run tests/e2e/mknext.sh first"
	next=$(dpkg-deb -f "$d" Version)
fi

logs="$PKG_OUT/e2e/$rel"
work="$KDS_CACHE/e2e/run-$rel"
mnt="$work/mnt"

# The chroot phases mount the disk in namespaces of their own
# (disk-chroot.sh says why), never at $mnt in the host's; what an older
# run left mounted there goes lazily.  The loop device, which the kernel
# lets go after the unmount, is waited for.
unmount_disk() {
	local m
	[ -d "$mnt" ] || return 0
	while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done < <(findmnt -rn -o TARGET | grep -E "^$(readlink -f "$mnt")(/|\$)" | sort -r)
	for _ in $(seq 60); do
		[ -n "$(losetup -j "$work/disk.img" 2>/dev/null)" ] || break
		sleep 1
	done
}
cleanup() {
	unmount_disk
	rm -rf --one-file-system "$work"
}
cleanup
rm -rf "$logs"
mkdir -p "$logs" "$work/share/out" "$work/share/kernel" "$work/boot" "$mnt"
trap cleanup EXIT

# The packages reach the guest as a user gets them: by name from a signed
# repository (make repo), in the share, which guest.sh links at
# /srv/kds-repo.  repo-1 holds src/VERSION's packages; repo-2 adds the
# next version's (mknext.sh) to a copy of it, whose pool keeps the first:
# the upgrade is apt upgrade, the downgrade an install by version.  With
# guest.sh's repo_link and pkg_install, the one place that says where
# packages come from.  The two releases' runs take turns with the key.
# repo_add DIR PKG_DIR [MAKE-VARIABLE...]: make repo of PKG_DIR's packages
# into DIR, the apt repository alone.
repo_add() {
	local dir=$1 pkgs=$2
	shift 2
	flock "$KDS_CACHE/.repo-key.lock" make --no-print-directory -f "$top/mk/packaging.mk" \
		TOP="$top" KDS_CACHE="$KDS_CACHE" PKG_OUT="$pkgs" REPO_BUILD= REPO_KINDS=deb \
		REPO_OUT="$dir" REPO_URL=file:///srv/kds-repo "$@" repo
}
make_repos() {
	local r=$work/share
	repo_add "$r/repo-1" "$PKG_OUT" || return 1
	[ -n "$next" ] || return 0
	cp -a "$r/repo-1" "$r/repo-2"
	repo_add "$r/repo-2" "$PKG_OUT/next" PKG_VERSION="$next" PKG_DEB_VERSION="$next"
}
make_repos >"$logs/repo.log" 2>&1 || {
	tail -n 20 "$logs/repo.log" >&2
	die "e2e: make repo of the packages failed (log: $logs/repo.log)"
}
cp "$img_dir"/upgrade/*.deb "$work/share/kernel/"
cp "$here/guest.sh" "$work/share/guest.sh"
cp "$here/guest-lib.sh" "$work/share/guest-lib.sh"
k2=
for d in "$work"/share/kernel/linux-image-[0-9]*.deb; do
	k2=$(dpkg-deb -f "$d" Package)
	k2=${k2#linux-image-}
done
[ -n "$k2" ] || die "e2e: no upgrade kernel image in $img_dir/upgrade"
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

cat >"$work/share/env" <<EOF
KDS_RELEASE=$rel
KDS_VERSION=$version
KDS_NEXT=$next
KDS_LIFE=$life
KDS_K1=$(newest_kernel)
KDS_K2=$k2
EOF

# boot PHASE: one boot of the VM running guest.sh PHASE; 0 when guest.sh
# ran to its end.
boot() {
	local phase=$1 kver start rc cpu
	kver=$(newest_kernel)
	if [ -z "$kver" ]; then
		say "kds-e2e: no kernel with an initrd in the image's /boot"
		debugfs -R 'ls -l /boot' "$work/disk.img" 2>&1 | sed 's/^/  | /' >&2
		return 1
	fi
	rm -f "$work/boot/"*
	debugfs -R "dump /boot/vmlinuz-$kver $work/boot/vmlinuz" "$work/disk.img" 2>/dev/null
	debugfs -R "dump /boot/initrd.img-$kver $work/boot/initrd.img" "$work/disk.img" 2>/dev/null
	echo "$phase" >"$work/share/phase"
	say "kds-e2e: $rel: boot '$phase' on $kver"
	start=$(date +%s)
	rc=0
	# The CPU seconds QEMU used: the work, whatever else shares the cores.
	# No VGA device: its DRM driver warns in the kernel log when a busy
	# host misses its vblank (7.3, "drm_crtc_wait_one_vblank", seen
	# under load), which the kernel-log checks would count.
	local TIMEFORMAT='%U %S'
	{ time timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
		-display none -vga none -monitor none -no-reboot -nic none \
		-serial "file:$logs/console-$phase.log" \
		-kernel "$work/boot/vmlinuz" -initrd "$work/boot/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 panic=10 quiet systemd.show_status=error mitigations=off" \
		-drive "file=$work/disk.img,format=raw,if=virtio,cache=unsafe" \
		-device virtio-rng-pci \
		-virtfs "local,path=$work/share,mount_tag=kds,security_model=none,id=kds" \
		</dev/null >"$logs/qemu-$phase.log" 2>&1 || rc=$?; } 2>"$work/cpu"
	cpu=$(awk '{ printf "%d", $1 + $2 }' "$work/cpu")
	say "kds-e2e: $rel: boot '$phase' took $(($(date +%s) - start)) s, QEMU $cpu CPU s (qemu exit $rc)"
	echo "boot $phase $kver: $(($(date +%s) - start)) s, QEMU $cpu CPU s" >>"$logs/times.txt"
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

# Did the guest kernel die on its own before user space ran the phase?
# Multi-threaded TCG now and then trips over the kernel patching its own
# code at boot (seen once in 5 runs: "Oops: int3" in sched_clock_cpu()
# right after "sched_clock: Marking stable", 1.7 s into a 7.3 boot, no
# module loaded): such a boot never reached the disk and says nothing of
# kds.
died_before_user_space() {
	local phase=$1
	[ ! -f "$work/share/out/$phase.log" ] &&
		grep -qE 'Oops:|Kernel panic' "$logs/console-$phase.log" 2>/dev/null &&
		grep -qE ' Not tainted ' "$logs/console-$phase.log"
}

run_phase() {
	local phase=$1 ok=0
	boot "$phase" && ok=1
	if [ "$ok" = 0 ] && died_before_user_space "$phase"; then
		mv "$logs/console-$phase.log" "$logs/console-$phase.died.log"
		echo "# $rel: boot '$phase': the guest kernel died before user space," \
			"untainted (console-$phase.died.log): booting again"
		boot "$phase" && ok=1
	fi
	if [ "$ok" = 1 ]; then
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

# chroot_phase PHASE: guest.sh PHASE in a chroot of the powered-off disk
# (see the top), the share bound to its /mnt; its checks reported as a
# boot's are.  Only /proc and a few device nodes are given to the chroot.
chroot_phase() {
	local phase=$1 rc=0 start out="$work/share/out/$1.log"
	say "kds-e2e: $rel: '$phase' in a chroot of the disk"
	start=$(date +%s)
	bash "$here/disk-chroot.sh" "$work/disk.img" "$mnt" "$work/share" "$phase" \
		>"$out" 2>&1 || rc=$?
	echo "KDS-E2E-END $phase $rc" >>"$out"
	if [ "$rc" = 125 ]; then
		echo "not ok - $rel: '$phase': the disk mounted and unmounted in its own namespace (log: $logs/$phase.log)"
		grep '^disk-chroot: ' "$out" | sed 's/^/  | /' >&2
	fi
	unmount_disk
	cp "$out" "$logs/$phase.log" 2>/dev/null || true
	echo "host chroot $phase: $(($(date +%s) - start)) s" >>"$logs/times.txt"
	say "kds-e2e: $rel: '$phase' took $(($(date +%s) - start)) s"
	report "$phase"
	if [ "$rc" = 0 ]; then
		echo "ok - $rel: '$phase' (chroot of the powered-off disk) ran to its end"
		return 0
	fi
	echo "not ok - $rel: '$phase' (chroot of the powered-off disk) ran to its end (log: $logs/$phase.log)"
	tail -n 40 "$logs/$phase.log" 2>/dev/null | sed 's/^/  | /' >&2
	failed=1
	return 1
}

t0=$(date +%s)
phases="install boot kernel upgraded downgrade downgraded purged noheaders"
[ "$life" = full ] || phases="install boot kernel upgraded purged noheaders"
for phase in $phases; do
	case "$phase" in
	kernel | downgrade | noheaders) chroot_phase "$phase" || break ;;
	*) run_phase "$phase" || break ;;
	esac
done
say "kds-e2e: $rel: $(($(date +%s) - t0)) s from the first boot (logs: $logs)"
echo "total $(($(date +%s) - t0)) s" >>"$logs/times.txt"
exit "$failed"
