#!/bin/bash
# The guest's half of the kds end-to-end test: run by kds-e2e-boot (from the
# VM image, see mkimage.sh) at each boot, as root, with the phase this boot
# is for.  Each check prints one line "KDS-TAP ok|not ok|skip <name>" that
# the host (run.sh) numbers and counts; everything else is the log.
#
# Boots, in order (the numbers are the steps of the packaging contract):
#   install   1: apt install ./kds-dkms_*.deb ./kds-utils_*.deb ./libkds-dev_*.deb
#   boot      2 after the reboot; 4: modprobe -r with the device open;
#             3: options set in /etc/modprobe.d for the next boot
#   (the host installs the next kernel line's image and headers: 5)
#   upgraded  3: the options in force after the reboot; 5: DKMS built kds
#             for the new kernel, it is the one booted, 2 holds again;
#             6: apt purge
#   purged    6: nothing of kds after the next boot
# and, for `make demo`: demo-install, demo-tour.
set -uo pipefail
phase=${1:?usage: guest.sh PHASE}
share=${KDS_SHARE:?}
# KDS_RELEASE, KDS_VERSION, KDS_K2 (the upgrade kernel's release)
# shellcheck source=/dev/null
. "$share/env"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

MODULES="kds kds_list kds_hash kds_rbtree kds_xarray kds_maple"
BACKENDS="list hash rbtree xarray maple"
MEMBER=kdsuser  # in group kds
OUTSIDER=kdsnobody
KVER=$(uname -r)

tap() {
	echo "KDS-TAP $1 $2"
}

# check NAME COMMAND [ARG]...: one test line; the command's output is log.
check() {
	local name=$1 t0=$SECONDS
	shift
	echo "--- $name"
	if "$@"; then
		tap ok "$name"
	else
		tap "not ok" "$name"
	fi
	echo "    ($((SECONDS - t0)) s)"
}

as() {
	local user=$1
	shift
	runuser -u "$user" -- "$@"
}

# The apt output of an install, for later checks.
APTLOG=/root/kds-apt.log

# Each line prefixed with the seconds since the phase began.
stamp() {
	local line
	while IFS= read -r line; do
		printf '%4d| %s\n' "$SECONDS" "$line"
	done
}

# ---- checks -------------------------------------------------------------

install_debs() {
	rm -rf /tmp/kds-debs && mkdir /tmp/kds-debs &&
		cp "$share"/debs/*.deb /tmp/kds-debs/ || return 1
	apt-get install -y -q /tmp/kds-debs/kds-dkms_*.deb \
		/tmp/kds-debs/kds-utils_*.deb /tmp/kds-debs/libkds-dev_*.deb 2>&1 |
		tee "$APTLOG" | stamp
	return "${PIPESTATUS[0]}"
}

# dkms_installed KVER: DKMS built and installed all six modules for KVER.
dkms_installed() {
	local k=$1 m f st
	st=$(dkms status -m kds -v "$KDS_VERSION" -k "$k")
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

booted() {
	echo "running $KVER, want $1"
	[ "$KVER" = "$1" ]
}

# ---- phases -------------------------------------------------------------

echo "uptime: $(cut -d' ' -f1 /proc/uptime) s; $(systemd-analyze time 2>/dev/null | head -n 1)"
systemd-analyze blame 2>/dev/null | head -n 8 | sed 's/^/  blame: /'
case "$phase" in
install)
	# A throw-away test machine: dpkg need not fsync every file it unpacks
	# (the kernel packages of step 5 are large, and TCG is slow).
	echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/kds-e2e
	echo "$KVER" >"$share/k1"
	check "1: apt install ./kds-dkms_*.deb ./kds-utils_*.deb ./libkds-dev_*.deb" install_debs
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
	;;
upgraded)
	# The reboot after step 3's option change is the one into the upgraded
	# kernel: the options come from /etc/modprobe.d all the same.
	check "3: after reboot /sys/module/*/parameters show the options from modprobe.d" \
		params_in_force
	check "3: the new max_value_size is enforced" max_value_size_enforced
	check "5: DKMS built and installed kds for $KDS_K2 with no manual step" \
		dkms_installed "$KDS_K2"
	check "5: the modules for $KDS_K2 carry the DKMS signature" signed_by_dkms "$KDS_K2"
	check "5: booted the upgraded kernel $KDS_K2" booted "$KDS_K2"
	check "5: the loaded kds modules are DKMS's build for $KDS_K2" loaded_from_dkms
	step2 "5 (step 2 on $KDS_K2)"
	check "5: the kernel log has no warning, BUG or Oops" kernel_log_clean
	rm -f /etc/modprobe.d/kds.conf
	check "6: apt purge kds-dkms kds-utils libkds-dev" purge
	check "6: purge removed the modules and the DKMS tree" purge_removed_modules
	check "6: purge removed the udev, modprobe.d, modules-load.d, sysusers.d files and tools" \
		purge_removed_files
	;;
purged)
	check "6: after the next boot nothing of kds is loaded" nothing_loaded
	check "6: systemd-modules-load did not fail" modules_load_ok
	;;
demo-install)
	install_debs >/dev/null || { tail -n 30 "$APTLOG"; exit 1; }
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
	echo "Installed with: apt install ./kds-dkms_$KDS_VERSION""_all.deb ./kds-utils_*.deb ./libkds-dev_*.deb; rebooted."
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
