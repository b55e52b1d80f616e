#!/bin/bash
# The packages on another architecture, as its user installs them:
#   foreign.sh i386|arm64
# A chroot of that architecture (bookworm i386 with the 686-pae headers,
# trixie arm64), whose programs run through qemu-user: kds-utils is built
# there from the same source as the host's packages, apt installs
# kds-dkms and kds-utils, and DKMS builds the six modules for that
# kernel.  Then that kernel (the same package, from tests/vm/mkrootfs.sh)
# boots under qemu-system with the modules DKMS built, loads the five
# backends and uses each device.
# Prints "ok - name" / "not ok - name" lines (check-pkg.sh numbers them).
# Environment: KDS_CACHE, PKG_OUT (make deb's products and its stage).
# Run by make check-arch (E2E_FOREIGN="i386 arm64" make check-pkg), not by
# make check: cold, on 2 shared cores, i386 took 39 min (its chroot 21)
# and arm64 60 min (its chroot 49), far over what make check can add;
# with the chroots cached, 4 and 8 min.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# The .debs are named with the changelog's version (a downstream
# revision included, the epoch left out), as make deb's are.
debver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version | sed 's/^[0-9]*://')

arch=${1:?usage: foreign.sh i386|arm64}
case "$arch" in
i386) line=i386 ;;
arm64) line=arm64 ;;
*) die "no package test for architecture '$arch'" ;;
esac
rel=$(line_chroot "$line")
flavour=$(line_flavour "$line")
base="$KDS_CACHE/e2e/foreign-$arch"
root="$KDS_CACHE/e2e/foreign-$arch.run"
logdir="$PKG_OUT/logs"
mkdir -p "$logdir"

ok() { echo "ok - $arch: $*"; }
# took PHASE: the seconds since the last phase, to the log and stderr.
t_phase=$(date +%s)
took() {
	local t
	t=$(date +%s)
	echo "# foreign $arch: $1: $((t - t_phase)) s" | tee -a "$logdir/foreign-$arch.log" >&2
	t_phase=$t
}
notok() { echo "not ok - $arch: $*"; }

# qemu-user for the chroot's programs: binfmt_misc is mounted and the
# entry registered by hand, as nothing else on this host does it (no
# systemd as PID 1).  Debian ships no i386 entry for an amd64 host: the
# ELF header magic of i386 executables goes to the register file.
binfmt_setup() {
	local bm=/proc/sys/fs/binfmt_misc
	# make pkg-deps installs them (mmdebstrap wants arch-test for a
	# foreign architecture); run alone, the first of the architectures
	# (they run at the same time) does, the other waits.
	mkdir -p "$KDS_CACHE"
	flock "$KDS_CACHE/.foreign-qemu.lock" sh -c '
		command -v qemu-aarch64-static >/dev/null && command -v arch-test >/dev/null && exit 0
		apt-get update -q >/dev/null &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-user-static arch-test >/dev/null'
	[ -e "$bm/register" ] || mount -t binfmt_misc binfmt_misc "$bm"
	case "$arch" in
	arm64)
		[ -e "$bm/qemu-aarch64" ] ||
			/lib/systemd/systemd-binfmt /usr/lib/binfmt.d/qemu-aarch64.conf
		;;
	i386)
		[ -e "$bm/qemu-i386" ] ||
			printf '%s' ':qemu-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-i386-static:F' \
				>"$bm/register"
		;;
	esac
}

# The cached chroot: dkms, the kernel headers, what builds kds-utils
# (build-essential and the Build-Depends), systemd for the sysusers.d
# file kds-dkms's postinst applies.  Its suites are mkrootfs.sh's, so
# that the headers are those of the kernel that boots; the apt lists are
# kept (mmdebstrap removes them by default) for apt to resolve with.
# Rebuilt when what it holds, how or the suites change.  dpkg under
# qemu-user is slow at each fsync and each file: it is told not to sync
# (a half-built chroot is thrown away anyway), nor to unpack manuals,
# documentation and translations (the headers' tens of thousands of
# files stay).
pkgs="dkms,linux-headers-$flavour,kmod,build-essential,debhelper,dh-dkms,xz-utils,systemd"
mmopts=(--dpkgopt=force-unsafe-io --dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*')
make_base() {
	local want mirror dates s
	local -a sources=()
	mirror=$(debian_mirror)
	dates=$(suite_dates "$mirror" "$rel" "$rel-updates")
	want="$(echo "$pkgs ${mmopts[*]}" | sha256sum | cut -c1-16) $(echo "$dates" | sha256sum | cut -c1-16)"
	# A mirror that does not say when its suites changed: the chroot
	# there is kept.
	if [ -f "$base/.kds-stamp" ]; then
		case "$dates" in *unreachable*) return 0 ;; esac
	fi
	for s in "$rel" "$rel-updates"; do
		sources+=("deb $mirror $s main")
	done
	cached_root "$base" "$want" --architectures="$arch" --include="$pkgs" \
		--skip=cleanup/apt/lists "${mmopts[@]}" "$rel" "${sources[@]}"
}

# The line's kernel boots with the modules DKMS built: it loads kds and
# the five backends and writes and reads each device.
boot_dkms_modules() {
	local kver=$1 fr=$KDS_CACHE/rootfs-$line ir=$root/build/ir log=$logdir/foreign-$arch-boot.log
	local bb qemu cpu console f taint
	local -a machine=()
	"$here/../vm/mkrootfs.sh" "$line" >"$logdir/foreign-$arch-rootfs.log" 2>&1 || return 1
	[ -f "$fr/boot/vmlinuz-$kver" ] || { echo "no vmlinuz-$kver in $fr" >"$log"; return 1; }
	bb=$fr/bin/busybox
	[ -e "$bb" ] || bb=$fr/usr/bin/busybox
	rm -rf "$ir"
	mkdir -p "$ir/bin" "$ir/dev" "$ir/proc" "$ir/sys" "$ir/ko"
	cp "$bb" "$ir/bin/busybox"
	for f in sh mount insmod cat echo poweroff; do
		ln -s busybox "$ir/bin/$f"
	done
	for f in $(find "$root/lib/modules/$kver/updates" -name 'kds*.ko*'); do
		cp "$f" "$ir/ko/"
	done
	for f in "$ir"/ko/*.xz; do [ -e "$f" ] && xz -d "$f"; done
	for f in "$ir"/ko/*.zst; do [ -e "$f" ] && zstd -q -d --rm "$f"; done
	cat >"$ir/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
if insmod /ko/kds.ko; then
	for b in list hash rbtree xarray maple; do
		if insmod "/ko/kds_$b.ko" && [ -c "/dev/kds/$b" ] &&
			echo "put 7 seven" >"/dev/kds/$b" &&
			[ "$(cat "/dev/kds/$b")" = "7 seven" ]; then
			echo "KDS-FOREIGN $b ok"
		else
			echo "KDS-FOREIGN $b fail"
		fi
	done
fi
echo "KDS-FOREIGN-TAINT $(cat /proc/sys/kernel/tainted)"
echo KDS-FOREIGN-DONE
poweroff -f
EOF
	chmod 755 "$ir/init"
	(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) >"$root/build/initrd.gz"
	case "$arch" in
	i386) qemu=qemu-system-i386 cpu=max,vendor=GenuineIntel console=ttyS0 ;;
	arm64) qemu=qemu-system-aarch64 cpu=max console=ttyAMA0; machine=(-M virt) ;;
	esac
	timeout 600 "$qemu" -nodefaults "${machine[@]}" -accel tcg -cpu "$cpu" -m 512 \
		-display none -no-reboot -serial "file:$log" \
		-kernel "$fr/boot/vmlinuz-$kver" -initrd "$root/build/initrd.gz" \
		-append "console=$console panic=-1 loglevel=5" >/dev/null 2>&1 || true
	# Five backends used, the kernel log as make check wants it (no
	# warning, oops or trace), no taint but O and E (out of tree,
	# unsigned).
	tr -d '\r' <"$log" >"$log.txt"
	[ "$(grep -c '^KDS-FOREIGN [a-z]* ok$' "$log.txt")" = 5 ] || return 1
	if grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t|kernel BUG|Call Trace|list_(add|del) corruption' "$log.txt"; then
		return 1
	fi
	taint=$(sed -n 's/^KDS-FOREIGN-TAINT //p' "$log.txt")
	[ -n "$taint" ] && [ $((taint & ~12288)) = 0 ]
}

main() {
	local kver deb=$PKG_OUT/kds-dkms_${debver}_all.deb stage=$PKG_OUT/stage/kds-$version
	local utils log=$logdir/foreign-$arch.log
	: >"$log"
	if ! [ -f "$deb" ] || ! [ -d "$stage" ]; then
		notok "make deb's kds-dkms and source stage are there"
		return 0
	fi
	binfmt_setup >>"$log" 2>&1
	if ! make_base >>"$log" 2>&1; then
		notok "a $rel chroot of this architecture builds (see $log)"
		return 0
	fi
	took "the chroot (cached or built)"
	remove_tree "$root"
	cp -a "$base" "$root"
	kver=$(cd "$root/usr/src" && ls -d "linux-headers-"*"-$flavour" 2>/dev/null |
		sed 's/^linux-headers-//' | sort -V | tail -n 1)
	mkdir -p "$root/build"
	cp -a "$stage" "$root/build/"
	cp "$deb" "$root/build/"
	if in_root sh -c "cd /build/kds-$version && DEB_BUILD_OPTIONS=noddebs dpkg-buildpackage -B -us -uc" \
		>>"$log" 2>&1; then
		ok "kds-utils builds from the same source"
	else
		notok "kds-utils builds from the same source (see $log)"
	fi
	took "kds-utils built"
	utils=$(cd "$root/build" && ls kds-utils_"$debver"_"$arch".deb 2>/dev/null)
	local rc=0
	in_root apt-get install -y -q "/build/kds-dkms_${debver}_all.deb" ${utils:+"/build/$utils"} \
		>>"$log" 2>&1 || rc=$?
	echo "apt-get install: exit status $rc" >>"$log"
	took "apt install (DKMS's build)"
	if [ "$rc" = 0 ] && [ "$(in_root dpkg-query -W -f='${Status}\n' kds-dkms kds-utils 2>>"$log" |
		grep -c -x 'install ok installed')" = 2 ]; then
		ok "apt install kds-dkms kds-utils configures both"
	else
		notok "apt install kds-dkms kds-utils configures both (see $log)"
	fi
	# kds-utils's kdsctl is a program of this architecture, and runs.
	local machine
	case "$arch" in
	i386) machine="Intel 80386" ;;
	arm64) machine="AArch64" ;;
	esac
	if readelf -h "$root/usr/bin/kdsctl" 2>>"$log" | grep -q "Machine: *$machine\$" &&
		[ "$(in_root kdsctl --version 2>>"$log")" = "kdsctl $version" ]; then
		ok "kdsctl is a $machine program and kdsctl --version says $version"
	else
		notok "kdsctl is a $machine program and kdsctl --version says $version (see $log)"
	fi
	in_root dkms status >>"$log" 2>&1
	if in_root dkms status -k "$kver" 2>/dev/null | grep -q "^kds/$version, $kver, .*: installed"; then
		ok "dkms status: kds/$version installed for $kver"
	else
		notok "dkms status: kds/$version installed for $kver (see $log)"
	fi
	if [ "$(find "$root/lib/modules/$kver/updates" -name 'kds*.ko*' 2>/dev/null | wc -l)" = 6 ]; then
		ok "DKMS built and installed the six modules"
	else
		notok "DKMS built and installed the six modules (see $log)"
	fi
	if boot_dkms_modules "$kver"; then
		ok "$kver boots and loads the five backends DKMS built; each device takes a put and dumps it"
	else
		notok "$kver boots and loads the five backends DKMS built (see $logdir/foreign-$arch-boot.log)"
	fi
	took "the boot (and the kernel's root)"
	remove_tree "$root"
}

main
