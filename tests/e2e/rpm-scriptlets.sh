#!/bin/bash
# The rpm scriptlets of kds-dkms, run for real: there is no Fedora kernel to
# boot here, so they run in a cached Debian chroot that has rpm, dkms
# (3.0.10), systemd-sysusers and kernel headers, and DKMS builds there
# natively.
#   %post alone, with a stand-in dkms: DKMS 2's and DKMS 3's `dkms status`
#                         lines are both read; a failed build fails it
#   install (rpm -i)      %post: group kds, dkms add/build/install; a kernel
#                         older than 6.1 (its headers faked) is skipped
#   upgrade (rpm -U)      to the next version, built from the same tree:
#                         only it is left in DKMS and /usr/src
#   erase (rpm -e)        %preun with $1 = 0 removes kds from DKMS
# Prints "ok - name" / "not ok - name" lines (check-pkg.sh numbers them).
# Environment: KDS_CACHE, PKG_OUT (the .rpm files and `make rpm`'s stage
# tree, from which the next version is built).
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
check_prefix="rpm scriptlets"
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
root="$KDS_CACHE/e2e/rpm-chroot-bookworm"

# What the chroot holds: it is rebuilt when this list changes.
chroot_packages=rpm,dkms,systemd,kmod,openssl,linux-headers-amd64

make_chroot() {
	local want
	want=$(echo "bookworm $chroot_packages" | sha256sum | cut -c1-16)
	cached_root "$root" "$want" --include="$chroot_packages" \
		bookworm "deb $(debian_mirror) bookworm main"
}

# The kernel whose headers the chroot has.
kver() {
	local d
	for d in "$root"/lib/modules/*; do
		[ -e "$root/usr/src/linux-headers-${d##*/}/Makefile" ] && echo "${d##*/}"
	done | sort -V | tail -n 1
}

# The version after src/VERSION's (0.1.0: 0.1.1), and a kernel kds is too
# new for, whose headers are the real kernel's under its name.
next=${version%.*}.$((${version##*.} + 1))
old_kernel=5.10.0-30-amd64
work="$PKG_OUT/rpm-scriptlets"

# build_next: the rpms of $next, from a copy of `make rpm`'s stage tree.
build_next() {
	bash "$here/version-tree.sh" "$PKG_OUT/stage/kds-$version" "$work/tree" "$next" &&
		make --no-print-directory -f "$top/mk/packaging.mk" TOP="$work/tree" \
			PKG_OUT="$work/out" rpm >"$work/make-rpm.log" 2>&1 || {
		tail -n 20 "$work/make-rpm.log"
		return 1
	}
	ls "$work/out/kds-dkms-$next-1.noarch.rpm"
}

# post_with_stub FORMAT BUILD_RC: kds-dkms's %post of $version, run as for
# an upgrade ($1 = 2) with a dkms that logs its arguments, says that kds
# 0.0.9 is installed in the `dkms status` FORMAT (2 or 3), and ends
# `dkms build` with BUILD_RC; prints the log and how %post ended.
post_with_stub() {
	local stub="$root/tmp/kds-stub"
	rm -rf "$stub"
	mkdir -p "$stub"
	rpm -qp --qf '%{POSTIN}' "$PKG_OUT/kds-dkms-$version-1.noarch.rpm" >"$stub/post"
	case "$1" in
	2) echo "kds, 0.0.9, $(kver), x86_64: installed" >"$stub/status" ;;
	3) echo "kds/0.0.9, $(kver), x86_64: installed" >"$stub/status" ;;
	esac
	cat >"$stub/dkms" <<EOS
#!/bin/sh
echo "dkms \$*" >>/tmp/kds-stub/log
case "\$1" in
status) cat /tmp/kds-stub/status ;;
build) exit $2 ;;
esac
exit 0
EOS
	chmod 0755 "$stub/dkms"
	# The group's sysusers.d file, as the package would have put it.
	install -D -m 0644 "$top/sysusers.d/kds.conf" "$root/usr/lib/sysusers.d/kds.conf"
	in_root /usr/bin/env PATH=/tmp/kds-stub:/usr/sbin:/usr/bin:/sbin:/bin \
		sh /tmp/kds-stub/post 2 >"$stub/out" 2>&1
	echo "exit $?" >>"$stub/out"
	rm -f "$root/usr/lib/sysusers.d/kds.conf"
	cat "$stub/log" "$stub/out"
}

# stub_reads FORMAT: %post removes the 0.0.9 that DKMS FORMAT's status
# names, adds $version with --rpm_safe_upgrade, builds and installs it.
stub_reads() {
	local out k
	k=$(kver)
	out=$(post_with_stub "$1" 0)
	echo "$out"
	grep -qx "dkms remove -m kds -v 0.0.9 --all" <<<"$out" &&
		grep -qx "dkms add -m kds -v $version --rpm_safe_upgrade" <<<"$out" &&
		grep -qx "dkms build -m kds -v $version -k $k" <<<"$out" &&
		grep -qx "dkms install -m kds -v $version -k $k" <<<"$out" &&
		grep -qx "exit 0" <<<"$out"
}

# stub_build_fails: a build that fails is said, and %post exits 1.
stub_build_fails() {
	local out
	out=$(post_with_stub 3 10)
	echo "$out"
	! grep -q "^dkms install" <<<"$out" &&
		grep -q "DKMS could not build or install kds $version for $(kver)" <<<"$out" &&
		grep -qx "exit 1" <<<"$out"
}

# installed VERSION: DKMS holds VERSION alone, installed for the kernel,
# and its modules are in place; /usr/src holds its tree alone.
installed() {
	local v=$1 k st rc=0
	k=$(kver)
	st=$(in_root dkms status -m kds)
	echo "dkms status: $st"
	[ "$(grep -c . <<<"$st")" = 1 ] && [[ "$st" == "kds/$v, $k, "*": installed"* ]] || rc=1
	[ -n "$(find "$root/lib/modules/$k/updates/dkms" -name 'kds_maple.ko*' 2>/dev/null)" ] ||
		{ echo "no kds_maple.ko in /lib/modules/$k/updates/dkms"; rc=1; }
	echo "/usr/src: $(cd "$root/usr/src" && echo kds-*)"
	[ "$(cd "$root/usr/src" && echo kds-*)" = "kds-$v" ] || rc=1
	return "$rc"
}

# rpm_install: rpm -i of the three packages, and %post exited 0.
rpm_install() {
	in_root rpm -i --nodeps /tmp/kds-rpm/kds-dkms-"$version"-1.noarch.rpm \
		/tmp/kds-rpm/kds-utils-"$version"-1.*.rpm /tmp/kds-rpm/kds-devel-"$version"-1.*.rpm
}

group_created() {
	in_root getent group kds
}

files_placed() {
	local f rc=0
	for f in /usr/lib/udev/rules.d/60-kds.rules /usr/lib/modprobe.d/kds.conf \
		/usr/lib/modules-load.d/kds.conf /usr/lib/sysusers.d/kds.conf \
		"/usr/src/kds-$version/dkms.conf" "/usr/src/kds-$version/src/Kbuild" \
		/usr/bin/kdsctl /usr/include/linux/kds.h /usr/include/libkds.h \
		/usr/lib/systemd/system/kds-secure-boot.service; do
		[ -e "$root$f" ] || { echo "missing: $f"; rc=1; }
	done
	# The unit is enabled by the package, whatever the presets say, and
	# runs a program the package installed.
	f=/usr/lib/systemd/system/sysinit.target.wants/kds-secure-boot.service
	[ "$(readlink "$root$f")" = ../kds-secure-boot.service ] || { echo "not a link to the unit: $f"; rc=1; }
	f=$(sed -n 's/^ExecStart=//p' "$root/usr/lib/systemd/system/kds-secure-boot.service")
	echo "ExecStart=$f"
	[ "$f" = /usr/libexec/kds/kds-secure-boot ] && [ -x "$root$f" ] ||
		{ echo "ExecStart is not the package's program: $f"; rc=1; }
	return "$rc"
}

# old_kernel_skipped: DKMS built no kds for the older kernel (%post went
# on), and a build for it is refused with exit 77 and says why.
old_kernel_skipped() {
	local st out rc
	st=$(in_root dkms status -m kds -k "$old_kernel")
	echo "dkms status for $old_kernel: ${st:-(nothing)}"
	out=$(in_root dkms build -m kds -v "$version" -k "$old_kernel" 2>&1)
	rc=$?
	echo "dkms build for $old_kernel: exit $rc: $out"
	[[ "$st" != *"$old_kernel"* ]] && [ "$rc" = 77 ] && grep -q BUILD_EXCLUSIVE <<<"$out"
}

rpm_upgrade() {
	local q
	in_root rpm -U --nodeps /tmp/kds-rpm/kds-dkms-"$next"-1.noarch.rpm \
		/tmp/kds-rpm/kds-utils-"$next"-1.*.rpm /tmp/kds-rpm/kds-devel-"$next"-1.*.rpm || return 1
	q=$(in_root rpm -q kds-dkms kds-utils kds-devel)
	echo "$q"
	[ "$(grep -c "^kds-[a-z]*-$next-1\." <<<"$q")" = 3 ]
}

rpm_erase() {
	in_root rpm -e kds-dkms kds-utils kds-devel
}

erased() {
	local rc=0
	[ ! -e "$root/var/lib/dkms/kds" ] || { echo "left: /var/lib/dkms/kds"; rc=1; }
	compgen -G "$root/usr/src/kds-*" && rc=1
	compgen -G "$root/usr/lib/systemd/system/*kds*" && rc=1
	compgen -G "$root/usr/lib/systemd/system/sysinit.target.wants/kds*" && rc=1
	[ ! -e "$root/usr/libexec/kds" ] || { echo "left: /usr/libexec/kds"; rc=1; }
	find "$root/lib/modules" -path '*/updates/dkms/kds*' | grep . && rc=1
	in_root rpm -qa | grep '^kds-' && rc=1
	return "$rc"
}

# clean: nothing of kds in the chroot, whatever an interrupted run left.
clean() {
	local v
	in_root rpm -e --nodeps --noscripts kds-dkms kds-utils kds-devel >/dev/null 2>&1
	for v in $(in_root dkms status -m kds 2>/dev/null | sed -n 's|^kds/\([^,:]*\).*|\1|p'); do
		in_root dkms remove -m kds -v "$v" --all >/dev/null 2>&1
	done
	in_root groupdel kds >/dev/null 2>&1
	rm -rf "$root"/usr/src/kds-* "$root/var/lib/dkms/kds" "$root/tmp/kds-rpm" \
		"$root/tmp/kds-stub" "$root/lib/modules/$old_kernel"
}

if ! make_chroot >&2; then
	echo "not ok - rpm scriptlets: the Debian chroot with rpm and dkms could be built"
	exit 1
fi
clean
remove_tree "$work"
mkdir -p "$root/tmp/kds-rpm" "$work"
cp "$PKG_OUT"/kds-dkms-"$version"-1.noarch.rpm "$PKG_OUT"/kds-utils-"$version"-1.*.rpm \
	"$PKG_OUT"/kds-devel-"$version"-1.*.rpm "$root/tmp/kds-rpm/"

check "%post reads DKMS 2's status (kds, 0.0.9, ...) and replaces 0.0.9" stub_reads 2
check "%post reads DKMS 3's status (kds/0.0.9, ...) and replaces 0.0.9" stub_reads 3
check "%post says which build failed and exits 1" stub_build_fails
# The stand-in's run made group kds: the package must make it again.
rm -rf "$root/tmp/kds-stub"
in_root groupdel kds
# The older kernel's "headers" are the real ones under its name: only
# dkms.conf's BUILD_EXCLUSIVE keeps DKMS from building for it.
mkdir -p "$root/lib/modules/$old_kernel"
ln -s "/usr/src/linux-headers-$(kver)" "$root/lib/modules/$old_kernel/build"
check "rpm -i kds-dkms kds-utils kds-devel ($version)" rpm_install
check "%post created group kds through sysusers" group_created
check "files in place under /usr/lib, /usr/src, /usr/bin, /usr/include; kds-secure-boot.service enabled by the package" files_placed
check "%post had DKMS build and install kds $version for $(kver)" installed "$version"
check "DKMS skipped kernel $old_kernel (older than 6.1) and says why" old_kernel_skipped
rm -rf "$root/lib/modules/$old_kernel"
if build_next >&2 && cp "$work"/out/kds-*-"$next"-1.*.rpm "$root/tmp/kds-rpm/"; then
	check "rpm -U to $next (built from the same tree)" rpm_upgrade
	check "after rpm -U, DKMS and /usr/src hold $next alone, installed for $(kver)" \
		installed "$next"
else
	echo "not ok - rpm scriptlets: the rpms of $next could be built from the stage tree"
fi
check "rpm -e kds-dkms kds-utils kds-devel" rpm_erase
check "%preun on erase (\$1 = 0) left nothing of kds in DKMS, /usr/src, the modules or rpm" erased
clean
remove_tree "$work"
