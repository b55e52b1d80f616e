#!/bin/bash
# The rpm repository as dnf reads it: Debian's dnf (4.14) in a cached
# bookworm chroot, given make repo's kds.repo (gpgcheck and repo_gpgcheck
# on) for a copy of the repository:
#   dnf imports the key from the repository and lists kds-dkms, kds-utils
#   and kds-devel of src/VERSION;
#   a repomd.xml changed after it was signed is refused.
# That is as far as Debian's dnf goes: an install stops at what only a
# Fedora system's rpm database provides (/bin/sh, dkms, kmod, glibc as
# rpms), so nothing is installed here (rpm-scriptlets.sh runs the
# scriptlets with rpm itself).
# Prints "ok - name" / "not ok - name" lines (check-pkg.sh numbers them).
# Environment: KDS_CACHE, PKG_OUT (make repo's output in $PKG_OUT/repo).
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
check_prefix="dnf"
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
root="$KDS_CACHE/e2e/dnf-chroot-bookworm"
repo="$PKG_OUT/repo"

dnf_kds() {
	in_root dnf -y --disablerepo='*' --enablerepo=kds --releasever=12 "$@"
}

# A fresh copy of the repository in the chroot, and kds.repo pointing at it.
repo_copy() {
	rm -rf "$root/srv/kds-repo" && mkdir -p "$root/srv/kds-repo" "$root/etc/yum.repos.d" &&
		cp -a "$repo/." "$root/srv/kds-repo/" &&
		sed -e 's|^baseurl=.*|baseurl=file:///srv/kds-repo/rpm|' \
			-e 's|^gpgkey=.*|gpgkey=file:///srv/kds-repo/kds-archive-keyring.asc|' \
			"$repo/kds.repo" >"$root/etc/yum.repos.d/kds.repo" &&
		grep -qx 'repo_gpgcheck=1' "$root/etc/yum.repos.d/kds.repo" &&
		grep -qx 'gpgcheck=1' "$root/etc/yum.repos.d/kds.repo" &&
		in_root dnf clean all >/dev/null || return 1
	# What an earlier run imported (the chroot is cached; dnf clean all
	# keeps both): the repository's keyring and the rpm database's key,
	# gone, so that dnf imports the key from the repository again.
	rm -rf "$root"/var/cache/dnf/kds-* "$root/root/.rpmdb"
}

lists_all() {
	local out p rc=0
	repo_copy || return 1
	out=$(dnf_kds list --available 2>&1)
	echo "$out"
	grep -q 'Fingerprint:' <<<"$out" || { echo "no key imported"; rc=1; }
	for p in kds-dkms.noarch kds-utils.x86_64 kds-devel.x86_64; do
		grep -qE "^$p +$version-1 +kds\$" <<<"$out" || { echo "not listed: $p $version"; rc=1; }
	done
	return "$rc"
}

changed_refused() {
	local out
	repo_copy || return 1
	sed -i 's|<revision>|<revision>1|' "$root/srv/kds-repo/rpm/repodata/repomd.xml"
	grep -q '<revision>1' "$root/srv/kds-repo/rpm/repodata/repomd.xml" || return 1
	out=$(dnf_kds list --available 2>&1)
	echo "$out"
	grep -q 'GPG signature verification error' <<<"$out" && ! grep -q '^kds-dkms' <<<"$out"
}

if [ ! -f "$repo/kds.repo" ]; then
	echo "not ok - dnf: no $repo/kds.repo (make repo did not run)"
	exit 0
fi
if ! cached_root "$root" "$(echo "bookworm dnf" | sha256sum | cut -c1-16)" --include=dnf \
	bookworm "deb $(debian_mirror) bookworm main" >&2; then
	echo "not ok - dnf: a bookworm chroot with dnf (mmdebstrap failed)"
	exit 0
fi
check "Debian's dnf imports the key and lists kds-dkms, kds-utils and kds-devel $version from the signed rpm repository" \
	lists_all
check "a repomd.xml changed after signing is refused (GPG signature verification error)" changed_refused
rm -rf "$root/srv/kds-repo" "$root/etc/yum.repos.d/kds.repo"
