#!/bin/bash
# The rpm scriptlets of kds-dkms, run for real: there is no Fedora kernel to
# boot here, so they run in a cached Debian chroot that has rpm, dkms,
# systemd-sysusers and kernel headers, and DKMS builds there natively.
#   install (rpm -i)      %post: group kds, dkms add/build/install
#   upgrade (rpm -U)      %preun with $1 = 1 must leave DKMS alone
#   erase (rpm -e)        %preun with $1 = 0 removes kds from DKMS
# Prints "ok - name" / "not ok - name" lines (check-pkg.sh numbers them).
# Environment: KDS_CACHE, PKG_OUT (the .rpm files).
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
top=$(readlink -f "$here/../..")
# shellcheck source=tests/vm/lib.sh
. "$here/../vm/lib.sh"
PKG_OUT=${PKG_OUT:-$top/build/pkg}
version=$(cat "$top/src/VERSION")
root="$KDS_CACHE/e2e/rpm-chroot-bookworm"

make_chroot() {
	local want mirror
	want=$(sha256sum <"$here/rpm-scriptlets.sh" | cut -c1-16)
	if [ -f "$root/.kds-stamp" ] && [ "$(cat "$root/.kds-stamp")" = "$want" ]; then
		return 0
	fi
	mirror=$(debian_mirror)
	remove_tree "$root.new"
	say "kds-e2e: building the rpm scriptlet chroot"
	mmdebstrap --quiet --mode=root --variant=apt \
		--include=rpm,dkms,systemd,kmod,openssl,linux-headers-amd64 \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		bookworm "$root.new" "deb $mirror bookworm main" || {
		remove_tree "$root.new"
		return 1
	}
	echo "$want" >"$root.new/.kds-stamp"
	remove_tree "$root"
	mv "$root.new" "$root"
}

# DKMS needs /proc: it is mounted in a private mount namespace that ends
# with the command, so no mount outlives it or reaches the host.
in_root() {
	unshare --mount --pid --fork --mount-proc="$root/proc" \
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
}

# check NAME COMMAND...: one result line; output on stderr.
check() {
	local name=$1
	shift
	if "$@" >&2; then
		echo "ok - rpm scriptlets: $name"
	else
		echo "not ok - rpm scriptlets: $name"
	fi
}

# The kernel whose headers the chroot has.
kver() {
	local d
	for d in "$root"/lib/modules/*; do
		[ -e "$root/usr/src/linux-headers-${d##*/}/Makefile" ] && echo "${d##*/}"
	done | sort -V | tail -n 1
}

installed() {
	local k st
	k=$(kver)
	st=$(in_root dkms status -m kds -v "$version" -k "$k")
	echo "dkms status: $st"
	[[ "$st" == *": installed"* ]] &&
		[ -n "$(find "$root/lib/modules/$k/updates/dkms" -name 'kds_maple.ko*' 2>/dev/null)" ]
}

rpm_install() {
	in_root rpm -i --nodeps "/tmp/kds-rpm/kds-dkms-$version-1.noarch.rpm" &&
		in_root rpm -i --nodeps /tmp/kds-rpm/kds-utils-"$version"-1.*.rpm
}

group_created() {
	in_root getent group kds
}

files_placed() {
	local f rc=0
	for f in /usr/lib/udev/rules.d/60-kds.rules /usr/lib/modprobe.d/kds.conf \
		/usr/lib/modules-load.d/kds.conf /usr/lib/sysusers.d/kds.conf \
		"/usr/src/kds-$version/dkms.conf" "/usr/src/kds-$version/src/Kbuild" \
		/usr/bin/kdsctl /usr/include/linux/kds.h; do
		[ -e "$root$f" ] || { echo "missing: $f"; rc=1; }
	done
	return "$rc"
}

rpm_upgrade() {
	in_root rpm -U --replacepkgs --nodeps "/tmp/kds-rpm/kds-dkms-$version-1.noarch.rpm"
}

rpm_erase() {
	in_root rpm -e kds-dkms kds-utils
}

erased() {
	local rc=0
	[ ! -e "$root/var/lib/dkms/kds" ] || { echo "left: /var/lib/dkms/kds"; rc=1; }
	[ ! -e "$root/usr/src/kds-$version" ] || { echo "left: /usr/src/kds-$version"; rc=1; }
	find "$root/lib/modules" -path '*/updates/dkms/kds*' | grep . && rc=1
	return "$rc"
}

if ! make_chroot >&2; then
	echo "not ok - rpm scriptlets: the Debian chroot with rpm and dkms could be built"
	exit 1
fi
# Start clean, whatever an interrupted run left.
in_root rpm -e --nodeps --noscripts kds-dkms kds-utils >/dev/null 2>&1
in_root dkms remove -m kds -v "$version" --all >/dev/null 2>&1
rm -rf "$root/usr/src/kds-$version" "$root/var/lib/dkms/kds" "$root/tmp/kds-rpm"
mkdir -p "$root/tmp/kds-rpm"
cp "$PKG_OUT"/kds-dkms-"$version"-1.noarch.rpm "$PKG_OUT"/kds-utils-"$version"-1.*.rpm \
	"$root/tmp/kds-rpm/"

check "rpm -i kds-dkms kds-utils" rpm_install
check "%post created group kds through sysusers" group_created
check "files in place under /usr/lib, /usr/src, /usr/bin, /usr/include" files_placed
check "%post had DKMS build and install kds for $(kver)" installed
check "rpm -U (upgrade) of kds-dkms" rpm_upgrade
check "%preun on upgrade (\$1 = 1) left kds built and installed" installed
check "rpm -e kds-dkms kds-utils" rpm_erase
check "%preun on erase (\$1 = 0) removed kds from DKMS and the modules" erased
rm -rf "$root/tmp/kds-rpm"
