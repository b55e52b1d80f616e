#!/bin/bash
# Functions shared by the VM harnesses (tests/vm/check.sh, bench/run.sh):
# host tools, build chroots, staging, builds, initramfs, QEMU boot.
# Sourced after lib.sh; the caller sets: here (tests/vm), top, out,
# vm_timeout, started, and the counters npass/nfail/failures.
# Optional: guest_init (the /init to use), guest_append (more of the kernel
# command line: KDS_TESTS=... and the like, see guest-init), vm_smp,
# qemu_extra (array).
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034

# Each run stages into /build/$KDS_RUN of the chroots, so that runs side by
# side (a developer's and a helper's) never share a build directory.
export KDS_RUN=${KDS_RUN:-run-$$}

# Run a command in a chroot with its own /proc (objtool of 7.x kernels reads
# /proc/self/maps). The mount lives in a private mount namespace: it goes
# away with the command and can never reach the host's tree.
in_chroot() {
	local c=$1
	shift
	# shellcheck disable=SC2016
	unshare --mount --propagation private -- \
		sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$c" "$@"
}

note() { printf '[%4ds] %s\n' $(($(date +%s) - started)) "$*" >&2; }
pass() { npass=$((npass + 1)); }
fail() { nfail=$((nfail + 1)); failures+=("$*"); note "FAIL: $*"; }

ensure_host_tools() {
	local need=()
	command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
	command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
	command -v qemu-system-s390x >/dev/null || need+=(qemu-system-misc)
	command -v curl >/dev/null || need+=(curl)
	command -v readelf >/dev/null || need+=(binutils)
	command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
	command -v cpio >/dev/null || need+=(cpio)
	command -v gzip >/dev/null || need+=(gzip)
	[ ${#need[@]} -eq 0 ] && return 0
	note "installing host tools: ${need[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
}

# The kernel release of a line inside its chroot.
line_kver() {
	local c=$1 line=$2 pat
	case "$line" in
	6.1) pat='6.1.*-amd64' ;;
	6.12-bpo) pat='6.12.*-amd64' ;;
	6.12) pat='6.12.*-amd64' ;;
	7.3) pat='7.3.*-amd64' ;;
	sid) pat='*-amd64' ;;
	esac
	# shellcheck disable=SC2086
	(cd "$c/usr/src" && ls -d linux-headers-$pat 2>/dev/null) |
		sed 's/^linux-headers-//' | sort -V | tail -n 1
}

# Fresh copy of the sources into a chroot's /build/<name>.
stage_tree() {
	local c=$1 name=$2
	rm -rf --one-file-system "${c:?}/build/$KDS_RUN/$name"
	mkdir -p "$c/build/$KDS_RUN/$name/tests"
	cp -a "$top/src" "$top/tools" "$c/build/$KDS_RUN/$name/"
	cp -a "$top/tests/selftests" "$c/build/$KDS_RUN/$name/tests/"
}

# checkpatch and the kselftest harness come from Debian's linux-source.
ksrc_extract() {
	local c=$1 tarball
	[ -f "$c/build/ksrc/.done" ] && return 0
	tarball=$(cd "$c/usr/src" && find . -maxdepth 1 -name 'linux-source-*.tar.xz' -printf '%f\n' | head -n 1)
	local base=${tarball%.tar.xz}
	rm -rf --one-file-system "$c/build/ksrc"
	mkdir -p "$c/build/ksrc"
	chroot "$c" tar -xJf "/usr/src/$tarball" -C /build/ksrc --strip-components=1 \
		"$base/scripts/checkpatch.pl" "$base/scripts/spelling.txt" \
		"$base/scripts/const_structs.checkpatch" \
		"$base/tools/testing/selftests/kselftest_harness.h" \
		"$base/tools/testing/selftests/kselftest.h"
	touch "$c/build/ksrc/.done"
}

lint_sources() {
	local c=$1 f rel log=$out/checkpatch.log
	: >"$log"
	for f in "$top"/src/*.c "$top"/src/*.h "$top"/src/include/uapi/linux/kds.h; do
		[ -f "$f" ] || continue
		rel=${f#"$top"/}
		if chroot "$c" perl /build/ksrc/scripts/checkpatch.pl --strict --no-tree \
			--quiet --no-summary --show-types -f "/build/$KDS_RUN/user/$rel" >>"$log" 2>&1; then
			pass
		else
			fail "checkpatch --strict: $rel (see $log)"
		fi
	done
}

# The user space of one architecture (default amd64): kdsctl and the
# test programs, static, in $out/user (amd64) or $out/user-<arch>.
build_user() {
	local c=$1 arch=${2:-amd64}
	local name=user u=$out/user cc
	if [ "$arch" != amd64 ]; then
		name=user-$arch
		u=$out/user-$arch
	fi
	cc=$(arch_cc "$arch")
	stage_tree "$c" "$name"
	mkdir -p "$u"
	# shellcheck disable=SC2016
	if ! chroot "$c" sh -c 'make -j"$(nproc)" -C "$0/tools" STATIC=1 CC="$1" &&
		make -j"$(nproc)" -C "$0/tests/selftests" CC="$1" \
			HARNESS_DIR=/build/ksrc/tools/testing/selftests \
			OUT="$0/out"' "/build/$KDS_RUN/$name" "$cc" >"$u/build.log" 2>&1; then
		fail "user space ($arch): build (see $u/build.log)"
		return 1
	fi
	pass
	rm -rf "$u/tests"
	mkdir -p "$u/tests"
	cp "$c/build/$KDS_RUN/$name/out/"*.test "$u/tests/"
	cp "$c/build/$KDS_RUN/$name/tools/kdsctl" "$u/kdsctl"
}

# What each architecture is built and booted with, a row per architecture:
# the C compiler of its user space | make's arguments for its modules |
# checkstack.pl's name of it | the objdump that reads its modules | the
# QEMU that boots it | its CPU | the chroot whose compilers build it.  On
# i386, TCG's "max" CPU has Intel's vendor string: as an AMD part of that
# family, a 32-bit kernel warns (with a trace) that it is no SMP CPU.
arch_field() {
	local row
	case "$1" in
	i386) row='gcc -m32|ARCH=x86|i386|objdump|qemu-system-i386|max,vendor=GenuineIntel|bookworm' ;;
	arm64) row='aarch64-linux-gnu-gcc|ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-|aarch64|aarch64-linux-gnu-objdump|qemu-system-aarch64|max|trixie' ;;
	armhf) row='arm-linux-gnueabihf-gcc|ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf-|arm|arm-linux-gnueabihf-objdump|-|-|trixie' ;;
	riscv64) row='riscv64-linux-gnu-gcc|ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-|riscv64|riscv64-linux-gnu-objdump|-|-|trixie' ;;
	ppc64el) row='powerpc64le-linux-gnu-gcc|ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu-|ppc64le|powerpc64le-linux-gnu-objdump|-|-|trixie' ;;
	s390x) row='s390x-linux-gnu-gcc|ARCH=s390 CROSS_COMPILE=s390x-linux-gnu-|s390x|s390x-linux-gnu-objdump|qemu-system-s390x|max|trixie' ;;
	*) row='gcc||x86_64|objdump|qemu-system-x86_64|max|bookworm' ;;
	esac
	echo "$row" | cut -d '|' -f "$2"
}
arch_cc() { arch_field "$1" 1; }
arch_kmake() { arch_field "$1" 2; }
arch_checkstack() { arch_field "$1" 3; }
arch_objdump() { arch_field "$1" 4; }
arch_qemu() { arch_field "$1" 5; }
arch_cpu() { arch_field "$1" 6; }
arch_user_chroot() { arch_field "$1" 7; }

# The file at @path of the root @root, which may have merged /usr (then
# /bin/x and /lib/x are at /usr/bin/x and /usr/lib/x, with no /bin or /lib
# link in an unpacked root).
root_file() {
	if [ -e "$1$2" ] || [ -L "$1$2" ]; then
		echo "$1$2"
	else
		echo "$1/usr$2"
	fi
}

# The shared libraries that the ELF file @file (a path inside the root
# @root of a foreign architecture) needs, recursively, and its program
# interpreter: paths inside @root, read with readelf (nothing is run).
elf_deps() {
	local root=$1 f n d lib interp
	local -A seen=()
	local -a todo=("$2")
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		interp=$(readelf -l "$(root_file "$root" "$f")" | sed -n 's/.*program interpreter: \(.*\)\]$/\1/p')
		if [ -n "$interp" ] && [ -z "${seen[$interp]:-}" ]; then
			seen[$interp]=1
			echo "$interp"
		fi
		for n in $(readelf -d "$(root_file "$root" "$f")" | sed -n 's/.*Shared library: \[\(.*\)\]$/\1/p'); do
			lib=""
			for d in "$root"/lib/*-linux-gnu* "$root"/usr/lib/*-linux-gnu* "$root/lib" "$root/usr/lib"; do
				if [ -e "$d/$n" ]; then
					lib=${d#"$root"}/$n
					break
				fi
			done
			[ -n "$lib" ] || die "$f needs $n, which $root does not have"
			[ -z "${seen[$lib]:-}" ] || continue
			seen[$lib]=1
			echo "$lib"
			todo+=("$lib")
		done
	done
}

# Build the modules for one line; W=1 and -Werror, then sparse.
build_modules() {
	local c=$1 line=$2 kdir=$3
	local d=$out/$line
	local -a kmake
	read -ra kmake <<<"$(arch_kmake "$(line_arch "$line")")"
	stage_tree "$c" "kds-$line"
	if in_chroot "$c" make -C "$kdir" M="/build/$KDS_RUN/kds-$line/src" "${kmake[@]}" \
		W=1 KCFLAGS=-Werror modules >"$d/build.log" 2>&1; then
		pass
		row[$line.build]=ok
	else
		fail "$line: module build (see $d/build.log)"
		row[$line.build]=FAIL
		return 1
	fi
	mkdir -p "$d/ko"
	cp "$c/build/$KDS_RUN/kds-$line/src/"*.ko "$d/ko/"
	check_stack "$c" "$line" "$kdir"
	# sparse: a second pass that checks every file (C=2) and must be silent.
	local common check=sparse sv
	common=$(readlink -f "$c$kdir/scripts" | sed 's|/scripts$||')
	[ -e "$common/scripts/checker-valid.sh" ] ||
		install -m 755 "$here/checker-valid.sh" "$common/scripts/checker-valid.sh"
	sv=$(chroot "$c" sparse --version)
	in_chroot "$c" make -C "$kdir" M="/build/$KDS_RUN/kds-$line/src" "${kmake[@]}" \
		C=2 CHECK="$check" modules >"$d/sparse.log" 2>&1 || true
	local sid=$KDS_CACHE/chroot-sid/usr/bin/sparse
	if grep -q 'not available or not up to date' "$d/sparse.log" && [ -x "$sid" ]; then
		# This release's sparse cannot parse the line's headers (trixie's
		# 0.6.4 and the 7.x __typeof_unqual__): borrow sid's, which can,
		# and which needs nothing but the newer libc trixie has.
		install -D -m 755 "$sid" "$c/build/$KDS_RUN/bin/sparse"
		check=/build/$KDS_RUN/bin/sparse
		sv="$(chroot "$c" "$check" --version) (sid's)"
		in_chroot "$c" make -C "$kdir" M="/build/$KDS_RUN/kds-$line/src" "${kmake[@]}" \
			C=2 CHECK="$check" modules >"$d/sparse.log" 2>&1 || true
	fi
	if grep -q 'not available or not up to date' "$d/sparse.log"; then
		# No sparse here can parse these headers: say so, loudly.
		nskip=$((nskip + 1))
		row[$line.sparse]=SKIP
		failures+=("SKIP $line: sparse: $sv cannot parse this kernel's headers")
		note "SKIP: $line: sparse $sv cannot parse this kernel's headers"
	elif grep -E '(warning|error):' "$d/sparse.log" >/dev/null; then
		fail "$line: sparse $sv (see $d/sparse.log)"
		row[$line.sparse]=FAIL
	elif ! grep -q ' CHECK ' "$d/sparse.log"; then
		# Kbuild ran no checker at all: that is no pass.
		fail "$line: sparse $sv checked nothing (see $d/sparse.log)"
		row[$line.sparse]=FAIL
	else
		pass
		row[$line.sparse]=ok
		note "$line: sparse $sv: clean"
	fi
	[ "$line" != debug ] || build_kunit "$c" "$line" "$kdir"
}

# Stack frames: the kernel tree's scripts/checkstack.pl on objdump -d of
# every module just built. A frame over KDS_STACK_MAX bytes (default 1024)
# fails the line, naming the function; the largest frame is printed.
check_stack() {
	local c=$1 line=$2 kdir=$3
	local d=$out/$line src=/build/$KDS_RUN/kds-$line/src
	local cs=$kdir/scripts/checkstack.pl max=${KDS_STACK_MAX:-1024}
	local top size fn over
	if [ ! -f "$c$cs" ]; then
		fail "$line: stack frames: no scripts/checkstack.pl in $kdir"
		row[$line.stack]=FAIL
		return 0
	fi
	# shellcheck disable=SC2016
	local arch
	arch=$(line_arch "$line")
	in_chroot "$c" sh -c 'for k in "$0"/*.ko; do "$3" -d "$k" || exit 1; done |
		perl "$1" "$2" 0' "$src" "$cs" "$(arch_checkstack "$arch")" "$(arch_objdump "$arch")" \
		>"$d/checkstack.log" 2>&1 || true
	# Lines "0x<addr> <function> [<module>]:<tabs><bytes>", largest first.
	top=$(grep -E '^0x[0-9a-f]+ .*:[[:space:]]+[0-9]+$' "$d/checkstack.log" | head -n 1)
	if [ -z "$top" ]; then
		fail "$line: stack frames: checkstack.pl found no frame (see $d/checkstack.log)"
		row[$line.stack]=FAIL
		return 0
	fi
	size=${top##*[[:space:]]}
	fn=$(printf '%s\n' "$top" | awk '{ print $2, $3 }' | sed 's/:$//')
	note "$line: largest stack frame: $fn, $size bytes"
	over=$(awk -v max="$max" '/^0x[0-9a-f]+ / && $NF + 0 > max { sub(/:$/, "", $3); printf "%s %s (%d bytes), ", $2, $3, $NF }' \
		"$d/checkstack.log")
	if [ -n "$over" ]; then
		fail "$line: stack frames over $max bytes: ${over%, } (see $d/checkstack.log)"
		row[$line.stack]="FAIL"
	else
		pass
		row[$line.stack]="ok $size"
	fi
}

# The KUnit suites (tests/kunit), for the debug kernel only (the one line
# with CONFIG_KUNIT): built against the modules just built, shipped in
# $out/<line>/kunit/ for make_initramfs. A failed build is a failure; the
# line still boots and runs its other tests.
build_kunit() {
	local c=$1 line=$2 kdir=$3
	local d=$out/$line b=/build/$KDS_RUN/kds-$line
	rm -rf "$d/kunit"
	cp -a "$top/tests/kunit" "$c$b/tests/"
	if in_chroot "$c" make -C "$kdir" M="$b/tests/kunit" \
		KBUILD_EXTRA_SYMBOLS="$b/src/Module.symvers" \
		W=1 KCFLAGS=-Werror modules >"$d/kunit-build.log" 2>&1; then
		pass
		mkdir -p "$d/kunit"
		cp "$c$b/tests/kunit/"*.ko "$d/kunit/"
	else
		fail "$line: KUnit module build (see $d/kunit-build.log)"
	fi
}

# The initramfs: busybox and kmod from the bookworm chroot (for every
# line: static busybox, and a kmod that reads any kernel's modules.dep),
# the modules, the test programs, kdsctl and guest-init as /init.
make_initramfs() {
	local c=$1 line=$2 kver=$3 moddir=$4
	local d=$out/$line ub=$KDS_CACHE/chroot-bookworm
	local r=/build/$KDS_RUN/ir-$line
	local root=$ub$r a lib libs
	rm -rf --one-file-system "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,etc,proc,sys,dev,tmp,kds/tests} \
		"$root/lib/modules/$kver/extra"
	# A foreign line's busybox and kmod come from its own root.
	local arch sys=$ub u=$out/user mods=$c$moddir
	arch=$(line_arch "$line")
	if [ "$arch" != amd64 ]; then
		sys=$KDS_CACHE/rootfs-$line
		u=$out/user-$arch
		mods=$(root_file "$sys" "/lib/modules/$kver")
	fi
	cp "$(root_file "$sys" /bin/busybox)" "$root/bin/busybox"
	for a in $(chroot "$ub" /bin/busybox --list); do
		case "$a" in
		busybox|modprobe|rmmod|insmod|lsmod|modinfo|depmod) ;;
		*) ln -sf busybox "$root/bin/$a" ;;
		esac
	done
	cp -L "$(root_file "$sys" /bin/kmod)" "$root/sbin/kmod"
	if [ "$arch" = amd64 ]; then
		libs=$(chroot "$ub" ldd /bin/kmod | grep -oE '/[^ ]+')
	else
		libs=$(elf_deps "$sys" "$(root_file "$sys" /bin/kmod | sed "s|^$sys||")")
	fi
	for lib in $libs; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$(root_file "$sys" "$lib")" "$root$lib"
	done
	for a in modprobe rmmod insmod lsmod modinfo depmod; do
		ln -sf kmod "$root/sbin/$a"
	done
	cp "$d/ko/"*.ko "$root/lib/modules/$kver/extra/"
	for a in modules.builtin modules.builtin.modinfo modules.order; do
		[ -f "$mods/$a" ] && cp "$mods/$a" "$root/lib/modules/$kver/"
	done
	chroot "$ub" depmod -b "$r" "$kver"
	cp "$u/tests/"*.test "$root/kds/tests/"
	cp "$u/kdsctl" "$root/usr/bin/kdsctl"
	cp "${guest_init:-$here/guest-init}" "$root/init"
	if [ -d "$d/kunit" ]; then
		mkdir -p "$root/kds/kunit"
		cp "$d/kunit/"*.ko "$root/kds/kunit/"
	fi
	chmod 755 "$root/init"
	printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nkds:x:999:\nnogroup:x:65534:\n' >"$root/etc/group"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$d/initrd.gz"
	rm -rf --one-file-system "$root"
}

boot() {
	local line=$1 image=$2 mem=$3
	local d=$out/$line arch
	local append="console=ttyS0 panic=-1 loglevel=5${guest_append:+ $guest_append}"
	local -a serial=(-serial "file:$d/console.log" -serial "file:$d/results.log")
	local -a machine=()
	arch=$(line_arch "${line%%.*}")
	if [ "$arch" = arm64 ]; then
		# One PL011 for the console; the results go through a virtio
		# console (/dev/hvc0 in the guest), as ttyS1 on a PC.
		append="console=ttyAMA0 panic=-1 loglevel=5${guest_append:+ $guest_append}"
		machine=(-M virt)
		serial=(-serial "file:$d/console.log" -device virtio-serial-pci
			-chardev "file,id=results,path=$d/results.log"
			-device virtconsole,chardev=results)
	elif [ "$arch" = s390x ]; then
		# The SCLP's VT220 console (ttysclp0) for the console; the
		# results through a virtio console on the channel subsystem
		# (hvc0), as on arm64.
		append="console=ttysclp0 panic=-1 loglevel=5${guest_append:+ $guest_append}"
		machine=(-M s390-ccw-virtio)
		serial=(-serial "file:$d/console.log" -device virtio-serial-ccw
			-chardev "file,id=results,path=$d/results.log"
			-device virtconsole,chardev=results)
	fi
	if [ "${KDS_SHELL:-0}" = 1 ]; then
		append="$append kds.shell=1"
		serial=(-serial mon:stdio)
	fi
	local try
	for try in 1 2; do
		: >"$d/results.log"
		timeout "$vm_timeout" "$(arch_qemu "$arch")" -nodefaults "${machine[@]}" -accel tcg -cpu "$(arch_cpu "$arch")" \
			-smp "${vm_smp:-2}" "${qemu_extra[@]}" -m "$mem" -display none -no-reboot \
			-kernel "$image" -initrd "$d/initrd.gz" \
			-append "$append" "${serial[@]}" >"$d/qemu.log" 2>&1 || true
		# A kernel that died before /init wrote a line cannot have met
		# kds (nothing of ours is loaded before /init): under TCG with
		# two vCPUs, 6.12 once hit an int3 of its own code patching in
		# sched_clock_cpu() 3.8 s into boot.  Such a boot is tried once
		# more, and the run says so; its console stays beside.
		[ "${KDS_SHELL:-0}" = 1 ] || [ -s "$d/results.log" ] || [ "$try" = 2 ] && break
		mv "$d/console.log" "$d/console-first-boot.log"
		note "$line: the kernel died before /init (see $d/console-first-boot.log): booting it again"
		row[$line.retried]=1
	done
}

