# The root of a test VM's disk, as mkimage.sh (the end-to-end VM) and
# secureboot-image.sh (the Secure Boot VM) build it; sourced by both
# (after tests/vm/lib.sh), and part of both images' cache keys.
# Uses `here` (the sourcing script's directory, which holds guest/).
# shellcheck shell=bash disable=SC2154

# image_root ROOT UPGRADE HOSTNAME FSTAB-LINE PKGS SUITES UPGRADE-SUITE:
# a full Debian of SUITES' first suite in ROOT, from the mirror's SUITES,
# with PKGS (comma-separated) and no recommends, documentation or
# translations (dpkg path-exclude, as Debian's minimal images do; man
# pages stay, the test checks kdsctl(1)); the guest's boot hook
# (guest/kds-e2e-boot, started by kds-e2e.service); no periodic
# maintenance; root without a password; and a machine-id, as an
# installed system has, so that its first boot is not systemd's "first
# boot".  UPGRADE gets the .debs of UPGRADE-SUITE's kernel image and
# headers, downloaded for exactly this root, since the VM has no network.
image_root() {
	local root=$1 upgrade=$2 hostname=$3 fstab=$4 pkgs=$5 suites=$6 upgrade_suite=$7
	local mirror s masked
	local -a sources=()
	mirror=$(debian_mirror)
	for s in $suites; do
		sources+=("deb $mirror $s main")
	done
	# Periodic maintenance a machine without network has no use for in
	# a test: it would compete for the two cores and the dpkg lock.
	masked="apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer"
	masked="$masked e2scrub_reap.service fstrim.timer man-db.timer"
	# The mirror may serve a dated snapshot whose Release files carry an
	# expired Valid-Until: the signatures still hold.  In the hooks, $1
	# is the tree mmdebstrap builds.
	# shellcheck disable=SC2016
	mmdebstrap --quiet --mode=root --variant=apt --include="$pkgs" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--customize-hook="echo '$hostname' >\"\$1/etc/hostname\"" \
		--customize-hook="printf '%s\n' '$fstab' >\"\$1/etc/fstab\"" \
		--customize-hook='chroot "$1" passwd -d root >/dev/null' \
		--customize-hook="install -m 0755 '$here/guest/kds-e2e-boot' \"\$1/usr/local/sbin/kds-e2e-boot\"" \
		--customize-hook="install -m 0644 '$here/guest/kds-e2e.service' \"\$1/etc/systemd/system/kds-e2e.service\"" \
		--customize-hook='chroot "$1" systemctl enable kds-e2e.service' \
		--customize-hook="for u in $masked; do ln -sf /dev/null \"\$1/etc/systemd/system/\$u\"; done" \
		--customize-hook='mkdir -p "$1/var/cache/kds-upgrade/partial"' \
		--customize-hook="chroot \"\$1\" apt-get install -q -y --download-only -t $upgrade_suite \
			-o Dir::Cache::Archives=/var/cache/kds-upgrade linux-image-amd64 linux-headers-amd64" \
		--customize-hook="mv \"\$1\"/var/cache/kds-upgrade/*.deb '$upgrade/'" \
		--customize-hook='rm -rf "$1/var/cache/kds-upgrade"' \
		"${suites%% *}" "$root" "${sources[@]}" || return 1
	# mmdebstrap leaves /etc/machine-id "uninitialized" (first boot).
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
	echo >>"$root/etc/machine-id"
	ls "$upgrade"/linux-image-[0-9]*.deb >/dev/null 2>&1 ||
		die "no kernel image from $upgrade_suite was downloaded into $upgrade"
}
