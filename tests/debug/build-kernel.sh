#!/bin/bash
# Build (or reuse) the debug kernel: Debian's linux-source-6.12 with
# x86_64_defconfig + kvm_guest.config + debug.config. Cached under
# $KDS_CACHE/chroot-kbuild/build/debug-<key>, where the key covers the
# config fragment, the make goals and the linux-source version. Prints the
# build dir. With --cached, only prints it if it is already built (exit 3
# otherwise): a quick test that builds nothing.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# (The chroot starts where this script was started, which it lacks.)
cd /
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"

pkgs=build-essential,bc,bison,flex,libelf-dev,libssl-dev,cpio,kmod,python3,xz-utils,rsync,linux-source-6.12,sparse,perl
goals="x86_64_defconfig kvm_guest.config kds_debug.config / bzImage modules"
c=$KDS_CACHE/chroot-kbuild

kernel_dir() {
	local tarball
	tarball=$(cd "$c/usr/src" 2>/dev/null &&
		find . -maxdepth 1 -name 'linux-source-6.12*.tar.xz' -printf '%f\n' | head -n 1)
	[ -n "$tarball" ] || return 1
	echo "/build/debug-$(cat "$here/debug.config" <(echo "$tarball $goals") | sha256sum | cut -c1-16)"
}

if [ "${1:-}" = --cached ]; then
	kb=$(kernel_dir) || exit 3
	[ -f "$c$kb/.kds-done" ] || exit 3
	echo "$c$kb"
	exit 0
fi

ckey=$(echo "$pkgs" | sha256sum | cut -c1-16)
if [ ! -f "$c/.kds-stamp" ] || [ "$(cat "$c/.kds-stamp")" != "$ckey" ]; then
	mirror=$(debian_mirror)
	say "kds-debug: building the kernel build chroot"
	rm -rf --one-file-system "$c.new" "$c"
	mmdebstrap --quiet --mode=root --variant=apt \
		--aptopt='Acquire::Check-Valid-Until "false"' --include="$pkgs" \
		trixie "$c.new" "deb $mirror trixie main" "deb $mirror trixie-updates main"
	echo "$ckey" >"$c.new/.kds-stamp"
	mv "$c.new" "$c"
fi
kb=$(kernel_dir) || die "no linux-source-6.12 in $c"
if [ -f "$c$kb/.kds-done" ]; then
	echo "$c$kb"
	exit 0
fi
tarball=$(cd "$c/usr/src" && find . -maxdepth 1 -name 'linux-source-6.12*.tar.xz' -printf '%f\n' | head -n 1)
# A build cut short (a run stopped, the machine shut down) goes on where
# it stopped: the tree is configured once (.kds-configured), and make
# rebuilds only what is missing.
if [ ! -f "$c$kb/.kds-configured" ]; then
	say "kds-debug: building the debug kernel ($tarball; tens of minutes on 2 cores)"
	rm -rf --one-file-system "$c$kb"
	mkdir -p "$c$kb"
	chroot "$c" tar -xJf "/usr/src/$tarball" -C "$kb" --strip-components=1
	cp "$here/debug.config" "$c$kb/kernel/configs/kds_debug.config"
	chroot "$c" make -C "$kb" -s x86_64_defconfig kvm_guest.config kds_debug.config
	# The fragment must have taken: a missing dependency silently drops options.
	for opt in KASAN PROVE_LOCKING DEBUG_KMEMLEAK FAILSLAB FAIL_PAGE_ALLOC KUNIT DEBUG_ATOMIC_SLEEP; do
		grep -q "^CONFIG_$opt=y" "$c$kb/.config" || die "debug kernel: CONFIG_$opt did not stick"
	done
	touch "$c$kb/.kds-configured"
else
	say "kds-debug: going on with the debug kernel's build in $c$kb"
	KDS_DEBUG_ANEW=0
fi
KDS_DEBUG_ANEW=${KDS_DEBUG_ANEW:-1}
if ! chroot "$c" nice -n 10 make -C "$kb" -s -j"$(nproc)" bzImage modules; then
	# A build killed mid-file may leave an object that make takes for
	# done: a resumed build that fails starts over once.
	[ "${KDS_DEBUG_ANEW:-0}" = 0 ] || die "debug kernel: the build failed"
	say "kds-debug: the resumed build failed: building anew"
	rm -f "$c$kb/.kds-configured"
	KDS_DEBUG_ANEW=1 exec bash "$here/build-kernel.sh" "$@"
fi
touch "$c$kb/.kds-done"
echo "$c$kb"
