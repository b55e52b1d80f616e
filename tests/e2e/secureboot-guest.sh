#!/bin/bash
# The guest's half of the Secure Boot test (secureboot.sh): run by
# kds-e2e-boot at each boot of the VM, as root, with this boot's phase.
# Each check prints "KDS-TAP ok|not ok <name>"; the rest is the log.
#
# Boots, in order:
#   install    Secure Boot and lockdown are on; apt install of the .debs:
#              the postinst's one line, DKMS signed the six modules, none
#              is loaded
#   unenrolled after the reboot: no failed unit, the journal says what to
#              do, the modules are not loaded; mokutil --import of DKMS's
#              key with a password
#   (the host drives MokManager over the serial console: enrolment)
#   enrolled   the modules loaded at boot, signed by DKMS's key, /dev/kds/*;
#              a kds module signed with a fresh key is refused
#   upgrade    the next kernel line's signed image and headers installed
#              (apt): DKMS built and signed kds for it
#   upgraded   on that kernel, the modules loaded at boot with no new step
set -uo pipefail
phase=${1:?usage: secureboot-guest.sh PHASE}
share=${KDS_SHARE:?}
# KDS_VERSION, KDS_K2 (the upgrade kernel's release), KDS_MOK_PASSWORD
# shellcheck source=/dev/null
. "$share/env"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

# MODULES, BACKENDS, APTLOG, tap, check, stamp
# shellcheck source=tests/e2e/guest-lib.sh
. "$share/guest-lib.sh"
CERT=/var/lib/dkms/mok.pub

# ---- checks -------------------------------------------------------------

secure_boot_on() {
	mokutil --sb-state
	mokutil --sb-state 2>&1 | grep -qx 'SecureBoot enabled'
}

# Lockdown as Debian's kernel sets it under Secure Boot: integrity (or
# confidentiality), the level that refuses unsigned modules.
locked_down() {
	cat /sys/kernel/security/lockdown
	grep -qE '\[(integrity|confidentiality)\]' /sys/kernel/security/lockdown
}

install_debs() {
	rm -rf /tmp/kds-debs && mkdir /tmp/kds-debs &&
		cp "$share"/debs/*.deb /tmp/kds-debs/ || return 1
	apt-get install -y -q /tmp/kds-debs/kds-dkms_*.deb \
		/tmp/kds-debs/kds-utils_*.deb /tmp/kds-debs/libkds-dev_*.deb 2>&1 |
		tee "$APTLOG" | stamp
	return "${PIPESTATUS[0]}"
}

# The postinst's hint: exactly one line, naming the command to run.
one_hint_line() {
	local n
	grep -i 'secure boot' "$APTLOG"
	n=$(grep -ci 'secure boot' "$APTLOG")
	[ "$n" = 1 ] && grep -i 'secure boot' "$APTLOG" | grep -qF "mokutil --import $CERT"
}

dkms_signer() {
	openssl x509 -inform DER -in "$CERT" -noout -subject \
		-nameopt multiline 2>/dev/null | sed -n 's/^ *commonName *= *//p'
}

# signed_by_dkms KVER: every module's modinfo signer is DKMS's key.
signed_by_dkms() {
	local k=$1 signer m got rc=0
	signer=$(dkms_signer)
	[ -n "$signer" ] || { echo "no DKMS certificate $CERT"; return 1; }
	for m in $MODULES; do
		got=$(modinfo -k "$k" -F signer "$m" 2>&1)
		echo "$m signer: $got"
		[ "$got" = "$signer" ] || rc=1
	done
	return "$rc"
}

none_loaded() {
	local m rc=0
	for m in $MODULES; do
		if [ -d "/sys/module/$m" ]; then
			echo "$m is loaded"
			rc=1
		fi
	done
	[ ! -e /dev/kds ] || { ls -l /dev/kds; rc=1; }
	return "$rc"
}

all_loaded() {
	local m rc=0
	for m in $MODULES; do
		[ -d "/sys/module/$m" ] || { echo "$m is not loaded"; rc=1; }
	done
	return "$rc"
}

devices_present() {
	local b rc=0
	ls -l /dev/kds/ 2>&1
	for b in $BACKENDS; do
		[ -c "/dev/kds/$b" ] || { echo "no /dev/kds/$b"; rc=1; }
	done
	return "$rc"
}

no_failed_unit() {
	local failed
	systemctl --failed --no-legend --plain
	failed=$(systemctl --failed --no-legend --plain | wc -l)
	[ "$failed" = 0 ]
}

# What this boot's journal says about kds (and what modules-load said).
boot_journal() {
	journalctl -b -o short-monotonic --no-pager | sed "s/^\(\[[^]]*\]\) $(hostname) /\1 /" |
		grep -iE 'kds|modules-load|key was rejected|lockdown|x\.509' | grep -v 'kds-e2e' | head -n 40
}

# What systemd-modules-load.service does with kds.conf at this boot when
# nothing leaves the modules out: the same program on the same file, run
# now; it fails, naming the kernel's refusal.
modules_load_refused() {
	local out rc=0
	out=$(/lib/systemd/systemd-modules-load /usr/lib/modules-load.d/kds.conf 2>&1) || rc=$?
	echo "systemd-modules-load /usr/lib/modules-load.d/kds.conf: exit $rc"
	echo "$out"
	[ "$rc" != 0 ] && case "$out" in *"Key was rejected by service"*) true ;; *) false ;; esac
}

# kds-secure-boot.service left the modules out of this boot, and
# systemd-modules-load.service did not fail.
left_out_by_kds_secure_boot() {
	systemctl --no-pager status kds-secure-boot.service systemd-modules-load.service 2>&1 | head -n 20
	cat /run/modules-load.d/kds.conf || return 1
	! systemctl -q is-failed systemd-modules-load.service
}

# The journal of this boot holds one line saying how to enrol the key.
journal_hint() {
	local n
	boot_journal
	n=$(journalctl -b --no-pager | grep -c "mokutil --import $CERT")
	echo "lines naming 'mokutil --import $CERT': $n"
	[ "$n" = 1 ]
}

mok_import() {
	printf '%s\n%s\n' "$KDS_MOK_PASSWORD" "$KDS_MOK_PASSWORD" |
		mokutil --import "$CERT" || return 1
	mokutil --list-new | grep -E 'Subject:|CN ?='
	mokutil --list-new | grep -q "CN *= *$(dkms_signer)"
}

# (mokutil --test-key exits 1 when the key is enrolled.)
key_enrolled() {
	local out
	out=$(mokutil --test-key "$CERT" 2>&1)
	echo "$out"
	case "$out" in
	*"is already enrolled"*) return 0 ;;
	esac
	return 1
}

# A kds module signed with a key made here, that the kernel does not
# trust: its load is refused as the kernel refuses it under lockdown.
# The signature DKMS appended is cut off first (struct module_signature,
# 12 bytes ending in the big-endian length of the signature, then the
# 28-byte marker).
foreign_key_refused() {
	local k ko tmp size siglen out kbuild
	k=$(uname -r)
	ko=$(modinfo -n kds_list) || return 1
	tmp=$(mktemp -d) || return 1
	case "$ko" in
	*.ko) cp "$ko" "$tmp/m.ko" ;;
	*.ko.xz) xz -dc "$ko" >"$tmp/m.ko" ;;
	*.ko.zst) zstd -qdc "$ko" >"$tmp/m.ko" ;;
	*) echo "unknown module file $ko"; return 1 ;;
	esac
	size=$(stat -c %s "$tmp/m.ko")
	tail -c 28 "$tmp/m.ko" | grep -q 'Module signature appended' ||
		{ echo "$ko carries no signature"; return 1; }
	siglen=$(od -An -tu1 -j $((size - 32)) -N4 "$tmp/m.ko" |
		awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	head -c $((size - 28 - 12 - siglen)) "$tmp/m.ko" >"$tmp/bare.ko"
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=kds test foreign key/" \
		-keyout "$tmp/key.pem" -outform DER -out "$tmp/cert.der" 2>/dev/null || return 1
	kbuild=$(dirname "$(readlink -f "/lib/modules/$k/build/scripts/sign-file" 2>/dev/null)")
	[ -x "$kbuild/sign-file" ] || kbuild=$(dirname "$(find /usr/lib/linux-kbuild-* -name sign-file | head -n 1)")
	"$kbuild/sign-file" sha256 "$tmp/key.pem" "$tmp/cert.der" "$tmp/bare.ko" "$tmp/foreign.ko" ||
		return 1
	echo "foreign.ko signer: $(modinfo -F signer "$tmp/foreign.ko")"
	modprobe -r kds_list || return 1
	out=$(insmod "$tmp/foreign.ko" 2>&1)
	echo "insmod: $out"
	modprobe kds_list
	rm -rf "$tmp"
	case "$out" in
	*"Key was rejected by service"*) return 0 ;;
	esac
	return 1
}

upgrade_kernel() {
	apt-get install -y -q "$share"/upgrade/*.deb 2>&1 | stamp
	return "${PIPESTATUS[0]}"
}

dkms_installed() {
	local k=$1 st
	st=$(dkms status -m kds -v "$KDS_VERSION" -k "$k")
	echo "dkms status: $st"
	case "$st" in
	*": installed"*) return 0 ;;
	esac
	return 1
}

vmlinuz_is_k2() {
	readlink /vmlinuz
	[ "$(readlink /vmlinuz)" = "boot/vmlinuz-$KDS_K2" ]
}

booted_k2() {
	uname -r
	[ "$(uname -r)" = "$KDS_K2" ]
}

# ---- phases -------------------------------------------------------------

echo "phase $phase on $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"
systemd-analyze 2>/dev/null | head -n 1
case "$phase" in
install)
	check "Secure Boot is on (mokutil --sb-state)" secure_boot_on
	check "the kernel is locked down (integrity or confidentiality)" locked_down
	check "apt install of the three .debs" install_debs
	check "the postinst says in one line how to enrol DKMS's key" one_hint_line
	check "DKMS signed the six modules with its key (modinfo -F signer)" signed_by_dkms "$(uname -r)"
	check "no kds module is loaded after the install" none_loaded
	;;
unenrolled)
	check "Secure Boot is on after the reboot" secure_boot_on
	check "the boot before enrolment has no failed unit (systemctl --failed)" no_failed_unit
	check "the boot's journal says in one line how to enrol the key" journal_hint
	check "no kds module is loaded at boot before enrolment" none_loaded
	check "kds-secure-boot.service left them out, systemd-modules-load.service did not fail" \
		left_out_by_kds_secure_boot
	check "without it, systemd-modules-load fails on kds.conf: Key was rejected by service" \
		modules_load_refused
	check "mokutil --import of DKMS's key with a password queues it" mok_import
	;;
enrolled)
	boot_journal
	check "Secure Boot is on after enrolment" secure_boot_on
	check "mokutil --test-key: DKMS's key is enrolled" key_enrolled
	check "the six modules are loaded at boot after enrolment" all_loaded
	check "the loaded modules are signed by DKMS's key" signed_by_dkms "$(uname -r)"
	check "/dev/kds/* exist" devices_present
	check "the boot after enrolment has no failed unit" no_failed_unit
	check "a kds module signed with a fresh key is refused (Key was rejected by service)" \
		foreign_key_refused
	;;
upgrade)
	check "apt install of the $KDS_K2 signed kernel image and headers" upgrade_kernel
	check "DKMS built kds for $KDS_K2" dkms_installed "$KDS_K2"
	check "DKMS signed the $KDS_K2 modules with its key" signed_by_dkms "$KDS_K2"
	check "/vmlinuz, which GRUB boots, is $KDS_K2's" vmlinuz_is_k2
	;;
upgraded)
	boot_journal
	check "the upgraded kernel $KDS_K2 is the one booted" booted_k2
	check "Secure Boot is on after the kernel upgrade" secure_boot_on
	check "the kernel is locked down on $KDS_K2" locked_down
	check "mokutil --test-key: DKMS's key is still enrolled" key_enrolled
	check "the six modules are loaded at boot on $KDS_K2 with no new step" all_loaded
	check "they are signed by DKMS's key" signed_by_dkms "$(uname -r)"
	check "/dev/kds/* exist on $KDS_K2" devices_present
	check "the boot on $KDS_K2 has no failed unit" no_failed_unit
	;;
*)
	echo "unknown phase '$phase'"
	exit 2
	;;
esac
echo "phase $phase done, up $(cut -d' ' -f1 /proc/uptime) s"
exit 0
