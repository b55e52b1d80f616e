#!/bin/bash
# The guest's half of the kds end-to-end test: run by kds-e2e-boot (from the
# VM image, see mkimage.sh) at each boot, as root, with the phase this boot
# is for.  Each check prints one line "KDS-TAP ok|not ok|skip <name>" that
# the host (run.sh) numbers and counts; everything else is the log.
#
# Phases, in order (the numbers are the steps of the packaging contract,
# the letters the lifecycle paths: U upgrade, D downgrade, H headers
# later, R kernel removal, N no headers); "chroot" ones run on the host in
# a chroot of the powered-off disk (run.sh), the others at a boot:
#   install   1: the kds repository added as the README says (a changed
#             copy of it refused), apt install kds-dkms kds-utils libkds-dev
#   boot      2 after the reboot; 4: modprobe -r with the device open;
#             3: options set in /etc/modprobe.d for the next boot;
#             U: apt upgrade, the repository holding the next version
#   kernel    (chroot) 5 and H: the next kernel line's image, then its
#             headers, which build kds for it
#   upgraded  3: the options in force after the reboot; 5: it is the new
#             kernel booted, 2 holds again; U: the next version runs
#   downgrade (chroot) D: apt install --allow-downgrades of the first
#             version (U ran at a boot, where Debian's DKMS builds for
#             the running kernel; here kds-dkms's postinst builds for the
#             kernels that have headers either way, and two DKMS builds
#             under TCG took 15 minutes)
#   downgraded  D: the first version runs; R: apt purge of the first
#             kernel; 6: apt purge of the packages
#   purged    6: nothing of kds after the next boot
#   noheaders (chroot) N: every linux-headers package purged, then
#             apt install of the packages, then of the headers
# and, for `make demo`: demo-install, demo-tour.  A release whose run is
# short (KDS_LIFE=short, run.sh) has no U, downgrade nor downgraded: its
# upgraded phase ends with R and 6.
set -uo pipefail
phase=${1:?usage: guest.sh PHASE}
share=${KDS_SHARE:?}
# KDS_RELEASE, KDS_VERSION (src/VERSION), KDS_NEXT (the next version),
# KDS_K1 and KDS_K2 (the image's kernel and the upgrade kernel)
# shellcheck source=/dev/null
. "$share/env"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

# MODULES, BACKENDS, APTLOG, tap, check, stamp
# shellcheck source=tests/e2e/guest-lib.sh
. "$share/guest-lib.sh"
MEMBER=kdsuser  # in group kds
OUTSIDER=kdsnobody
KVER=$(uname -r)
# KDS_LIFE (run.sh): full runs the upgrade and the downgrade, short (the
# other releases, for the time) neither.  RUNNING: the version installed
# from the boot phase on, until the downgrade.
KDS_LIFE=${KDS_LIFE:-full}
RUNNING=$KDS_VERSION
[ "$KDS_LIFE" != full ] || RUNNING=$KDS_NEXT

as() {
	local user=$1
	shift
	runuser -u "$user" -- "$@"
}

# ---- checks -------------------------------------------------------------

# The packages come as a user gets them: by name from the signed kds
# repository that run.sh made, read at file:///srv/kds-repo, a link into
# the share made anew at each phase: repo-1 (src/VERSION's packages) at
# the install, repo-2 (the next version's too) after it.  With run.sh's
# make_repos, the one place that says where packages come from.
repo_link() {
	local r=$share/repo-2
	case "$phase" in install | demo-install) r=$share/repo-1 ;; esac
	[ -d "$r" ] || r=$share/repo-1
	mkdir -p /srv && ln -sfn "$r" /srv/kds-repo
}

# apt-get update of the kds source alone: the image's Debian
# sources cannot be reached from the VM (it has no network), and in a
# chroot on the host they are not what is tested.
kds_update() {
	apt-get update -q -o Dir::Etc::SourceList=/etc/apt/sources.list.d/kds.sources \
		-o Dir::Etc::SourceParts=/nonexistent -o APT::List-Cleanup=0
}

# The README's repository lines (curl there, a copy here: the same files):
# the key under /etc/apt/keyrings, the deb822 kds.sources that names it.
repo_setup() {
	mkdir -p /etc/apt/keyrings &&
		cp /srv/kds-repo/kds-archive-keyring.gpg /etc/apt/keyrings/ &&
		cp /srv/kds-repo/kds.sources /etc/apt/sources.list.d/ || return 1
	cat /etc/apt/sources.list.d/kds.sources
	grep -qx 'Signed-By: /etc/apt/keyrings/kds-archive-keyring.gpg' /etc/apt/sources.list.d/kds.sources &&
		! grep -qi 'trusted' /etc/apt/sources.list.d/kds.sources
}

# A copy of the repository with one changed line in its signed Release:
# apt update of it fails, calls the repository not signed (having said
# why: BADSIG from gpgv on bookworm, "Message has been manipulated" from
# sqv on trixie), and leaves no package list.
tampered_refused() {
	local t=/tmp/kds-tampered out rc=0
	rm -rf "$t" && mkdir -p "$t/lists/partial" "$t/parts" &&
		cp -a /srv/kds-repo/. "$t/repo" || return 1
	sed -i 's/^Label: kds$/Label: kds-changed/' "$t/repo/dists/stable/InRelease" \
		"$t/repo/dists/stable/Release"
	grep -q '^Label: kds-changed$' "$t/repo/dists/stable/InRelease" || return 1
	sed "s|^URIs: .*|URIs: file://$t/repo|" /etc/apt/sources.list.d/kds.sources >"$t/kds.sources"
	out=$(apt-get update -q -o Dir::Etc::SourceList="$t/kds.sources" \
		-o Dir::Etc::SourceParts="$t/parts" -o Dir::State::Lists="$t/lists" 2>&1) || rc=$?
	echo "$out"
	echo "apt-get update: exit status $rc"
	[ "$rc" != 0 ] && grep -q "^E: The repository 'file:$t/repo stable InRelease' is not signed" <<<"$out" &&
		grep -qE 'BADSIG|Message has been manipulated' <<<"$out" &&
		! ls "$t"/lists/*Packages* 2>/dev/null
}

# pkg_install [VERSION]: apt install of kds-dkms, kds-utils and libkds-dev
# by name from the repository (of VERSION, up or down, if given).
# shellcheck disable=SC2120 # check passes its arguments
pkg_install() {
	local v=${1:+=$1}
	kds_update 2>&1 | stamp
	[ "${PIPESTATUS[0]}" = 0 ] || return 1
	apt-get install -y -q --allow-downgrades "kds-dkms$v" "kds-utils$v" "libkds-dev$v" 2>&1 |
		tee "$APTLOG" | stamp
	return "${PIPESTATUS[0]}"
}

# pkg_upgrade VERSION: apt upgrade from the repository brings the three
# packages to VERSION.
pkg_upgrade() {
	local v=$1 p got rc
	kds_update 2>&1 | stamp
	[ "${PIPESTATUS[0]}" = 0 ] || return 1
	apt-get upgrade -y -q 2>&1 | tee "$APTLOG" | stamp
	rc=${PIPESTATUS[0]}
	for p in kds-dkms kds-utils libkds-dev; do
		got=$(dpkg-query -W -f '${Version}' "$p")
		echo "$p: $got"
		[ "$got" = "$v" ] || rc=1
	done
	return "$rc"
}

# The kernels whose headers are installed.
kernels_with_headers() {
	local d
	for d in /lib/modules/*/build/include; do
		[ -d "$d" ] || continue
		d=${d#/lib/modules/}
		echo "${d%/build/include}"
	done
}

# only_version V: DKMS knows kds V only, built and installed for every
# kernel that has headers, and /usr/src holds only its tree.
only_version() {
	local v=$1 k st got rc=0 n=0
	st=$(dkms status -m kds 2>/dev/null)
	echo "dkms status -m kds:"
	printf '  %s\n' "$st"
	# DKMS 3 says "kds/V, KVER, ARCH: state", DKMS 2 "kds, V, KVER, ARCH: state";
	# its stderr has readelf's warnings.
	if echo "$st" | grep -v -e "^kds/$v, " -e "^kds, $v, " | grep .; then
		echo "lines of another version or module"
		rc=1
	fi
	for k in $(kernels_with_headers); do
		n=$((n + 1))
		echo "$st" | grep -F ", $k, " | grep -q ': installed' ||
			{ echo "not installed for $k"; rc=1; }
	done
	echo "kernels with headers: $n"
	[ "$n" -gt 0 ] || rc=1
	# The tree: a directory per version, a link kernel-KVER-ARCH per
	# installed build into it.
	got=$(find /var/lib/dkms/kds -mindepth 1 -maxdepth 1 \( -type l -printf '%f -> %l\n' \
		-o -printf '%f\n' \) 2>&1)
	echo "/var/lib/dkms/kds: $(echo "$got" | tr '\n' ' ')"
	echo "$got" | grep -v -e "^$v\$" -e "^kernel-.* -> $v/" && rc=1
	got=$(find /usr/src -mindepth 1 -maxdepth 1 -name 'kds*' -printf '%f\n')
	echo "/usr/src: $(echo "$got" | tr '\n' ' ')"
	[ "$got" = "kds-$v" ] || rc=1
	return "$rc"
}

# running_version V: all six modules are loaded, and each says version V.
running_version() {
	local v=$1 m got rc=0
	for m in $MODULES; do
		got=$(cat "/sys/module/$m/version" 2>&1)
		echo "/sys/module/$m/version: $got"
		[ "$got" = "$v" ] || rc=1
	done
	while read -r m _; do
		[[ "$m" != kds* || " $MODULES " == *" $m "* ]] ||
			{ echo "unknown kds module loaded: $m"; rc=1; }
	done </proc/modules
	return "$rc"
}

# dkms_installed KVER [VERSION]: DKMS built and installed all six modules
# of VERSION (src/VERSION) for KVER.
dkms_installed() {
	local k=$1 v=${2:-$KDS_VERSION} m f st
	st=$(dkms status -m kds -v "$v" -k "$k")
	echo "dkms status: $st"
	case "$st" in
	*": installed"*) ;;
	*) return 1 ;;
	esac
	for m in $MODULES; do
		f=$(find "/lib/modules/$k/updates/dkms" -name "$m.ko*" 2>/dev/null | head -n 1)
		[ -n "$f" ] || { echo "no $m.ko* in /lib/modules/$k/updates/dkms"; return 1; }
	done
}

# modinfo_all KVER FIELD WANT: every module's modinfo FIELD is WANT.
modinfo_all() {
	local k=$1 field=$2 want=$3 m got rc=0
	for m in $MODULES; do
		got=$(modinfo -k "$k" -F "$field" "$m" 2>&1)
		echo "$m $field: $got"
		[ "$got" = "$want" ] || rc=1
	done
	return "$rc"
}

# The DKMS signing certificate's subject CN: what modinfo calls signer.
dkms_signer() {
	openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -subject \
		-nameopt multiline 2>/dev/null | sed -n 's/^ *commonName *= *//p'
}

signed_by_dkms() {
	local signer
	signer=$(dkms_signer)
	[ -n "$signer" ] || { echo "no DKMS certificate /var/lib/dkms/mok.pub"; return 1; }
	modinfo_all "$1" signer "$signer"
}

package_files_present() {
	local f rc=0
	for f in /usr/lib/udev/rules.d/60-kds.rules /usr/lib/modprobe.d/kds.conf \
		/usr/lib/modules-load.d/kds.conf /usr/lib/sysusers.d/kds.conf \
		"/usr/src/kds-$KDS_VERSION/dkms.conf" /usr/bin/kdsctl \
		/usr/include/linux/kds.h /usr/include/libkds.h \
		/usr/share/man/man1/kdsctl.1.gz; do
		[ -e "$f" ] || { echo "missing: $f"; rc=1; }
	done
	return "$rc"
}

dkms_tree_is_src_only() {
	local got
	got=$(find "/usr/src/kds-$KDS_VERSION" -mindepth 1 -maxdepth 1 -printf '%f\n' |
		sort | tr '\n' ' ')
	echo "/usr/src/kds-$KDS_VERSION: $got"
	[ "$got" = "dkms.conf src " ]
}

no_secure_boot_line() {
	! grep -i 'secure boot' "$APTLOG"
}

# The postinst's Secure Boot hint, run with a stand-in mokutil: one line
# naming the command when the key is not enrolled, nothing when it is.
secure_boot_hint() {
	local script=/var/lib/dpkg/info/kds-dkms.postinst fns out n
	fns=$(mktemp) || return 1
	sed -n '/^kds_mok_certificate()/,/^}/p; /^kds_secure_boot_hint()/,/^}/p' \
		"$script" >"$fns"
	mkdir -p /tmp/fake-mok
	cat >/tmp/fake-mok/mokutil <<-'EOF'
		#!/bin/sh
		case "$1" in
		--sb-state) echo "SecureBoot enabled" ;;
		--test-key) echo "$2 is $(cat /tmp/fake-mok/state)" ;;
		esac
	EOF
	chmod +x /tmp/fake-mok/mokutil
	echo "not enrolled" >/tmp/fake-mok/state
	out=$(PATH=/tmp/fake-mok:$PATH sh -c ". $fns; kds_secure_boot_hint")
	echo "key not enrolled: [$out]"
	n=$(printf '%s' "$out" | grep -c .)
	[ "$n" -eq 1 ] && printf '%s' "$out" | grep -q "mokutil --import /var/lib/dkms/mok.pub" ||
		return 1
	echo "already enrolled" >/tmp/fake-mok/state
	out=$(PATH=/tmp/fake-mok:$PATH sh -c ". $fns; kds_secure_boot_hint")
	echo "key enrolled: [$out]"
	rm -rf /tmp/fake-mok "$fns"
	[ -z "$out" ]
}

udev_verify() {
	udevadm verify /usr/lib/udev/rules.d/60-kds.rules
}

all_loaded() {
	local m rc=0
	for m in $MODULES; do
		grep -q "^$m " /proc/modules || { echo "not loaded: $m"; rc=1; }
	done
	return "$rc"
}

nodes_root_kds_0660() {
	local b got rc=0
	udevadm settle
	for b in $BACKENDS; do
		got=$(stat -c '%U:%G %a' "/dev/kds/$b" 2>&1)
		echo "/dev/kds/$b: $got"
		[ "$got" = "root:kds 660" ] || rc=1
	done
	return "$rc"
}

member_kdsctl() {
	local b got rc=0
	for b in $BACKENDS; do
		as "$MEMBER" kdsctl -b "$b" put 42 "hello $b" || rc=1
		got=$(as "$MEMBER" kdsctl -b "$b" get 42)
		echo "$b: get 42 -> $got"
		[ "$got" = "hello $b" ] || rc=1
	done
	return "$rc"
}

member_text() {
	local b got rc=0
	for b in $BACKENDS; do
		as "$MEMBER" sh -c "printf 'put 7 seven words\nput 8 eight\n' >/dev/kds/$b" || rc=1
		got=$(as "$MEMBER" cat "/dev/kds/$b")
		echo "$b dump: $(echo "$got" | tr '\n' '|')"
		echo "$got" | grep -qx '7 seven words' && echo "$got" | grep -qx '8 eight' || rc=1
	done
	return "$rc"
}

outsider_kdsctl_eacces() {
	local err rc
	err=$(as "$OUTSIDER" kdsctl -b hash get 42 2>&1 >/dev/null)
	rc=$?
	echo "exit $rc: $err"
	[ "$rc" -eq 1 ] && [[ "$err" == *"Permission denied"* ]]
}

outsider_open_eacces() {
	local err
	# EACCES is "Permission denied"; the shell reports the open's errno.
	err=$(as "$OUTSIDER" sh -c 'exec 3</dev/kds/hash' 2>&1) && return 1
	echo "$err"
	[[ "$err" == *"Permission denied"* ]] || return 1
	err=$(as "$OUTSIDER" sh -c 'exec 3>/dev/kds/list' 2>&1) && return 1
	echo "$err"
	[[ "$err" == *"Permission denied"* ]]
}

kernel_log_clean() {
	! dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace|kmemleak'
}

step2() {
	local tag=$1
	check "$tag: kds and the five backends are loaded at boot" all_loaded
	check "$tag: /dev/kds/* are root:kds 0660" nodes_root_kds_0660
	check "$tag: a member of group kds puts and gets with kdsctl" member_kdsctl
	check "$tag: a member of group kds puts and dumps through the text interface" member_text
	check "$tag: a user outside group kds gets EACCES from kdsctl" outsider_kdsctl_eacces
	check "$tag: a user outside group kds gets EACCES opening /dev/kds/*" outsider_open_eacces
}

rmmod_while_open_fails() {
	local pid out rc
	# A process that holds the device open and waits.
	bash -c 'exec 3</dev/kds/hash; exec sleep 600' &
	pid=$!
	sleep 1
	out=$(modprobe -r kds_hash 2>&1)
	rc=$?
	echo "modprobe -r kds_hash (open by $pid): exit $rc: $out"
	echo "$pid" >/tmp/kds-holder
	[ "$rc" -ne 0 ] && grep -q '^kds_hash ' /proc/modules
}

rmmod_after_close_works() {
	local pid out rc
	pid=$(cat /tmp/kds-holder)
	kill "$pid" && wait "$pid" 2>/dev/null
	out=$(modprobe -r kds_hash 2>&1)
	rc=$?
	echo "modprobe -r kds_hash (closed): exit $rc: $out"
	lsmod | grep kds
	[ "$rc" -eq 0 ] && ! lsmod | grep -q '^kds_hash ' &&
		grep -q '^kds ' /proc/modules
}

OPT_CONF="options kds max_entries=1000 max_value_size=512
options kds_hash bits=10 hashfn=hash_64"

set_options() {
	printf '# the kds end-to-end test\n%s\n' "$OPT_CONF" >/etc/modprobe.d/kds.conf
}

params_in_force() {
	local mod param want got rc=0
	while read -r mod param want; do
		got=$(cat "/sys/module/$mod/parameters/$param" 2>&1)
		echo "/sys/module/$mod/parameters/$param: $got (want $want)"
		[ "$got" = "$want" ] || rc=1
	done <<-EOF
		kds max_entries 1000
		kds max_value_size 512
		kds_hash bits 10
		kds_hash hashfn hash_64
	EOF
	return "$rc"
}

max_value_size_enforced() {
	local v rc
	v=$(head -c 600 /dev/zero | tr '\0' x)
	as "$MEMBER" kdsctl -b list put 1 "$v"
	rc=$?
	echo "put of 600 bytes with max_value_size=512: exit $rc"
	[ "$rc" -eq 1 ]
}

# Every loaded kds module is the file DKMS installed for the running kernel.
loaded_from_dkms() {
	local m f rc=0
	for m in $MODULES; do
		f=$(modinfo -F filename "$m" 2>&1)
		echo "$m: $f"
		[[ "$f" == */lib/modules/"$KVER"/updates/dkms/"$m".ko* ]] || rc=1
		grep -q "^$m " /proc/modules || { echo "not loaded: $m"; rc=1; }
	done
	return "$rc"
}

purge() {
	apt-get purge -y -q kds-dkms kds-utils libkds-dev
}

purge_removed_modules() {
	local left rc=0
	left=$(find /lib/modules -path '*/updates/dkms/kds*' 2>/dev/null)
	[ -z "$left" ] || { echo "left: $left"; rc=1; }
	[ ! -e /var/lib/dkms/kds ] || { echo "left: /var/lib/dkms/kds"; rc=1; }
	ls -d /usr/src/kds-* 2>/dev/null && rc=1
	return "$rc"
}

purge_removed_files() {
	local f rc=0
	for f in /usr/lib/udev/rules.d/60-kds.rules /usr/lib/modprobe.d/kds.conf \
		/usr/lib/modules-load.d/kds.conf /usr/lib/sysusers.d/kds.conf \
		/etc/modprobe.d/kds.conf /usr/bin/kdsctl /usr/include/linux/kds.h \
		/usr/include/libkds.h /lib/systemd/system/kds-secure-boot.service \
		/etc/systemd/system/sysinit.target.wants/kds-secure-boot.service \
		/usr/lib/kds/kds-secure-boot; do
		[ ! -e "$f" ] || { echo "left: $f"; rc=1; }
	done
	if dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' kds-dkms kds-utils libkds-dev 2>/dev/null |
		grep -v '^un'; then
		rc=1
	fi
	return "$rc"
}

nothing_loaded() {
	local rc=0
	grep -E '^kds(_[a-z]+)? ' /proc/modules && rc=1
	ls -d /dev/kds /sys/module/kds* /sys/class/misc/kds-* 2>/dev/null && rc=1
	return "$rc"
}

modules_load_ok() {
	systemctl --no-pager status systemd-modules-load.service | head -n 5
	! systemctl -q is-failed systemd-modules-load.service
}

# The next kernel line's packages, from the host (run.sh): the image
# first, the headers later.
kernel_debs() {
	local want=$1 f
	for f in "$share"/kernel/*.deb; do
		case "${f##*/}" in
		linux-headers-* | linux-kbuild-*) [ "$want" = headers ] && echo "$f" ;;
		*) [ "$want" = image ] && echo "$f" ;;
		esac
	done
}

kernel_install() {
	local d=/tmp/kds-kernel rc
	rm -rf "$d" && mkdir "$d" || return 1
	# shellcheck disable=SC2046
	cp $(kernel_debs "$1") "$d/" || return 1
	apt-get install -y -q "$d"/*.deb 2>&1 | stamp
	rc=${PIPESTATUS[0]}
	rm -rf "$d"
	return "$rc"
}

# not_built_for KVER: nothing of kds installed for KVER, in DKMS or in
# /lib/modules/KVER.
not_built_for() {
	local k=$1 st left rc=0
	st=$(dkms status -m kds -k "$k" 2>/dev/null)
	echo "dkms status -m kds -k $k: $st"
	echo "$st" | grep -F ", $k, " && rc=1
	left=$(find "/lib/modules/$k" -name 'kds*.ko*' 2>/dev/null)
	[ -z "$left" ] || { echo "left: $left"; rc=1; }
	ls -d /var/lib/dkms/kds/*/"$k" /var/lib/dkms/kds/kernel-"$k"-* 2>/dev/null && rc=1
	return "$rc"
}

kernel_purge() {
	apt-get purge -y -q "linux-image-$1" "linux-headers-$1" 2>&1 | stamp
	return "${PIPESTATUS[0]}"
}

# Every linux-headers and linux-kbuild package purged: no kernel has its
# headers.
purge_headers() {
	local p
	p=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 'linux-headers-*' 'linux-kbuild-*' \
		2>/dev/null | awk '$1 ~ /^i/ { print $2 }')
	echo "purging: $(echo "$p" | tr '\n' ' ')"
	[ -n "$p" ] || return 1
	# shellcheck disable=SC2086
	apt-get purge -y -q $p 2>&1 | stamp
	[ "${PIPESTATUS[0]}" = 0 ] && [ -z "$(kernels_with_headers)" ]
}

# Of the install's output, one line names the headers package of the
# newest kernel (ours) or of the running one (DKMS 3.1's own line; in a
# chroot the running kernel is the host's).
one_headers_line() {
	local lines
	lines=$(grep 'linux-headers-' "$APTLOG")
	echo "lines naming linux-headers-: [$lines]"
	[ "$(printf '%s\n' "$lines" | grep -c .)" = 1 ] &&
		[[ "$lines" == *"linux-headers-$KDS_K2"* || "$lines" == *"linux-headers-$(uname -r)"* ]]
}

booted() {
	echo "running $KVER, want $1"
	[ "$KVER" = "$1" ]
}

# R, then 6: the first kernel removed, then the packages purged (kds of
# src/VERSION installed, for the second kernel).
remove_kernel_and_purge() {
	check "R: apt purge of the $KDS_K1 kernel image and headers" kernel_purge "$KDS_K1"
	check "R: nothing of kds left for $KDS_K1 in DKMS or /lib/modules/$KDS_K1" \
		not_built_for "$KDS_K1"
	check "R: kds stays installed for $KDS_K2" dkms_installed "$KDS_K2"
	rm -f /etc/modprobe.d/kds.conf
	check "6: apt purge kds-dkms kds-utils libkds-dev" purge
	check "6: purge removed the modules and the DKMS tree" purge_removed_modules
	check "6: purge removed the udev, modprobe.d, modules-load.d, sysusers.d files and tools" \
		purge_removed_files
}

# ---- phases -------------------------------------------------------------

echo "uptime: $(cut -d' ' -f1 /proc/uptime) s; $(systemd-analyze time 2>/dev/null | head -n 1)"
systemd-analyze blame 2>/dev/null | head -n 8 | sed 's/^/  blame: /'
repo_link
case "$phase" in
install)
	# A throw-away test machine: dpkg need not fsync every file it unpacks
	# (the kernel packages of step 5 are large, and TCG is slow).
	echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/kds-e2e
	echo "$KVER" >"$share/k1"
	check "1: the README's repository lines: the key in /etc/apt/keyrings, kds.sources with Signed-By, no trusted=yes" \
		repo_setup
	check "1: a copy of the repository with a changed Release is refused by apt update (not signed, no package list)" \
		tampered_refused
	check "1: apt install kds-dkms kds-utils libkds-dev, by name from the signed repository" \
		pkg_install
	check "1: DKMS built and installed the six modules for $KVER during the install" \
		dkms_installed "$KVER"
	check "1: modinfo version of every module is src/VERSION ($KDS_VERSION)" \
		modinfo_all "$KVER" version "$KDS_VERSION"
	check "1: every installed module carries the DKMS signature" signed_by_dkms "$KVER"
	check "1: sysusers created system group kds" getent group kds
	check "1: udev, modprobe.d, modules-load.d, sysusers.d files under /usr/lib" \
		package_files_present
	check "1: the DKMS tree is dkms.conf and src/ only" dkms_tree_is_src_only
	check "1: the install says nothing of Secure Boot when it is off" no_secure_boot_line
	check "1: postinst prints one mokutil line with Secure Boot on and the key not enrolled" \
		secure_boot_hint
	if udevadm verify --help >/dev/null 2>&1; then
		check "1: udevadm verify accepts 60-kds.rules" udev_verify
	else
		tap skip "1: udevadm verify accepts 60-kds.rules # this udev has no verify"
	fi
	useradd -m -G kds "$MEMBER" && useradd -m "$OUTSIDER"
	;;
boot)
	step2 2
	check "2: the kernel log has no warning, BUG or Oops" kernel_log_clean
	check "4: modprobe -r kds_hash fails while /dev/kds/hash is open" rmmod_while_open_fails
	check "4: after close modprobe -r kds_hash works, lsmod shows it gone, kds stays" \
		rmmod_after_close_works
	check "3: options written to /etc/modprobe.d/kds.conf" set_options
	if [ "$KDS_LIFE" = full ]; then
		check "U: apt upgrade from the repository, which now holds $KDS_NEXT too ($KDS_VERSION -> $KDS_NEXT)" \
			pkg_upgrade "$KDS_NEXT"
		check "U: DKMS holds only kds $KDS_NEXT, installed for every kernel with headers; /usr/src only its tree" \
			only_version "$KDS_NEXT"
	fi
	;;
kernel)
	check "5: apt install of the $KDS_K2 kernel image, without its headers" \
		kernel_install image
	check "H: with no headers, nothing of kds is built for $KDS_K2" not_built_for "$KDS_K2"
	check "H: apt install of the $KDS_K2 headers later" kernel_install headers
	check "H, 5: DKMS built and installed kds $RUNNING for $KDS_K2 with no manual step" \
		dkms_installed "$KDS_K2" "$RUNNING"
	check "5: the modules for $KDS_K2 carry the DKMS signature" signed_by_dkms "$KDS_K2"
	check "5: DKMS holds only kds $RUNNING, installed for every kernel with headers" \
		only_version "$RUNNING"
	;;
upgraded)
	# The reboot after step 3's option change is the one into the upgraded
	# kernel: the options come from /etc/modprobe.d all the same.
	check "3: after reboot /sys/module/*/parameters show the options from modprobe.d" \
		params_in_force
	check "3: the new max_value_size is enforced" max_value_size_enforced
	check "5: booted the upgraded kernel $KDS_K2" booted "$KDS_K2"
	check "5: the loaded kds modules are DKMS's build for $KDS_K2" loaded_from_dkms
	check "5: after the reboot all six modules run version $RUNNING" running_version "$RUNNING"
	step2 "5 (step 2 on $KDS_K2)"
	check "5: the kernel log has no warning, BUG or Oops" kernel_log_clean
	[ "$KDS_LIFE" = full ] || remove_kernel_and_purge
	;;
downgrade)
	check "D: apt install --allow-downgrades kds-dkms=$KDS_VERSION kds-utils=$KDS_VERSION libkds-dev=$KDS_VERSION" \
		pkg_install "$KDS_VERSION"
	check "D: DKMS holds only kds $KDS_VERSION, installed for every kernel with headers ($KDS_K1 and $KDS_K2); /usr/src only its tree" \
		only_version "$KDS_VERSION"
	;;
downgraded)
	check "D: after the reboot all six modules run version $KDS_VERSION" \
		running_version "$KDS_VERSION"
	check "D: the loaded kds modules are DKMS's build for $KDS_K2" loaded_from_dkms
	check "D: a member of group kds puts and gets with kdsctl" member_kdsctl
	remove_kernel_and_purge
	;;
purged)
	check "6: after the next boot nothing of kds is loaded" nothing_loaded
	check "6: systemd-modules-load did not fail" modules_load_ok
	;;
noheaders)
	check "N: every linux-headers package purged" purge_headers
	check "N: apt install with no headers at all exits 0" pkg_install
	check "N: one line of its output names linux-headers-$KDS_K2" one_headers_line
	check "N: nothing of kds is built for $KDS_K2" not_built_for "$KDS_K2"
	check "N: apt install of linux-headers-$KDS_K2" kernel_install headers
	check "N: DKMS built and installed kds $KDS_NEXT for $KDS_K2 with no other step" \
		dkms_installed "$KDS_K2" "$KDS_NEXT"
	;;
demo-install)
	{ repo_setup && pkg_install; } >/dev/null || { tail -n 30 "$APTLOG"; exit 1; }
	useradd -m -G kds demo && useradd -m stranger
	echo "kds-dkms, kds-utils and libkds-dev installed; DKMS built the modules for $KVER."
	;;
demo-tour)
	run() {
		echo "demo\$ $*"
		as demo bash -c "$*" 2>&1
		echo
	}
	echo "== kds demo on Debian $KDS_RELEASE, kernel $KVER =="
	echo "Installed from the kds repository with: apt install kds-dkms kds-utils libkds-dev; rebooted."
	echo
	run "lsmod 2>/dev/null | grep ^kds"
	run "ls -l /dev/kds/"
	run "id"
	run "kdsctl put 1 'hello world'"
	run "kdsctl get 1"
	run "kdsctl -b rbtree put 30 thirty; kdsctl -b rbtree put 10 ten; kdsctl -b rbtree put 20 twenty"
	run "kdsctl -b rbtree dump"
	run "kdsctl -b rbtree range 10 20"
	run "printf 'put 5 five, from a shell\ndel 10\n' > /dev/kds/rbtree; cat /dev/kds/rbtree"
	run "kdsctl get 404; echo exit \$?"
	run "kdsctl stats"
	run "kdsctl -b rbtree stats"
	run "cat /sys/module/kds/parameters/max_entries /sys/module/kds/parameters/max_value_size"
	echo "stranger\$ kdsctl get 1     (stranger is not in group kds)"
	as stranger kdsctl get 1 2>&1
	echo "exit $?"
	;;
*)
	echo "guest.sh: unknown phase '$phase'" >&2
	exit 2
	;;
esac
