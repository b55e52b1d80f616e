#!/bin/bash
# The README's build-and-install commands, as written, on a fresh Debian 12
# that has only make and git: a git clone of this repository's HEAD, then
# the lines the README marks (make deb, then the apt install of the .debs),
# run as root; before that, the same make deb as a user, which must stop
# and say the apt-get line to run.  Then make repo in the clone, and the
# README's lines for a user of the repository, with REPO its file:// URL,
# install the packages again by name (curl installed first: those lines
# use it, and a minimal Debian has none).
# Prints "ok - ..." / "not ok - ..." lines (check-pkg.sh numbers them);
# exits 1 when one failed.
#
# The root is unpacked each time from a tarball of mmdebstrap's minbase
# bookworm with make and git, from the host's Debian mirror, cached in
# $KDS_CACHE/fresh-bookworm.tar and made again when the mirror's bookworm
# changes.  The root has no sudo: the README's `sudo` is there a function
# that runs its command (root's), and apt's question is answered yes
# (APT::Get::Assume-Yes), as the user would.
#
# Environment: KDS_CACHE, PKG_OUT (the log: $PKG_OUT/logs/fresh-install.log).
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
top=$(readlink -f "$here/../..")
# shellcheck source=../vm/lib.sh
. "$top/tests/vm/lib.sh"
PKG_OUT=${PKG_OUT:-$top/build/pkg}
mkdir -p "$PKG_OUT/logs" "$KDS_CACHE"
log=$PKG_OUT/logs/fresh-install.log
: >"$log"
t0=$(date +%s)

failed=0
check() {
	local name=$1
	shift
	if "$@" >>"$log" 2>&1; then
		echo "ok - fresh install: $name"
	else
		echo "not ok - fresh install: $name"
		failed=1
	fi
}

# readme_commands MARK: the commands between the README's marker MARK
# and its end.
readme_commands() {
	sed -n "/fresh-install.sh runs these $1/,/<!-- end -->/{s/^    //p}" "$top/README.md"
}
cmds=$(readme_commands 'in a fresh Debian 12 clone') || cmds=
repo_cmds=$(readme_commands "with REPO at make repo's output") || repo_cmds=
if [ -z "$cmds" ] || [ -z "$repo_cmds" ]; then
	echo "not ok - fresh install: README.md marks the build-and-install and the repository commands"
	exit 1
fi

mirror=$(debian_mirror)
tarball=$KDS_CACHE/fresh-bookworm.tar
want="$mirror $(suite_dates "$mirror" bookworm bookworm-updates | tr '\n' ' ')"
if [ ! -f "$tarball" ] || [ "$(cat "$tarball.key" 2>/dev/null)" != "$want" ]; then
	say "fresh install: making $tarball"
	rm -f "${tarball%.tar}.new.tar"
	mmdebstrap --quiet --mode=root --variant=minbase --include=make,git \
		--aptopt='Acquire::Check-Valid-Until "false"' bookworm "${tarball%.tar}.new.tar" \
		"deb $mirror bookworm main" "deb $mirror bookworm-updates main" >>"$log" 2>&1 ||
		{ echo "not ok - fresh install: mmdebstrap made a bookworm root"; exit 1; }
	mv "${tarball%.tar}.new.tar" "$tarball"
	echo "$want" >"$tarball.key"
fi

root=$(mktemp -d /tmp/kds-fresh.XXXXXX)
trap 'remove_tree "$root"' EXIT
tar -C "$root" -xf "$tarball" ||
	{ echo "not ok - fresh install: the bookworm root unpacks"; exit 1; }
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
echo 'APT::Get::Assume-Yes "true";' >"$root/etc/apt/apt.conf.d/90kds-yes"
# What the clone is made from: this repository's HEAD, as a bare one.
git clone -q --bare "$top" "$root/srv/kds.git"

in_root() {
	unshare --mount --pid --fork --mount-proc="$root/proc" \
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# As a user: make deb stops, non-zero, with the apt-get line.
as_user() {
	local out rc=0
	# (cloned by root: git refuses a clone from a repository of another
	# owner)
	in_root sh -c 'useradd -m kdsuser && git clone -q /srv/kds.git /home/kdsuser/kds &&
		chown -R kdsuser: /home/kdsuser/kds' || return 1
	out=$(in_root su kdsuser -c 'cd ~/kds && make deb' 2>&1) || rc=$?
	printf '%s\n' "$out"
	[ "$rc" != 0 ] && printf '%s\n' "$out" | grep -q 'as root, run: apt-get build-dep '
}
check "as a user, make deb stops and says the apt-get line to run as root" as_user

# As root: the README's lines, as written, in the clone.
as_root() {
	in_root bash -c 'set -eux
		sudo() { "$@"; }
		git clone -q /srv/kds.git /root/kds
		cd /root/kds
		'"$cmds"
}
check "README's commands (${cmds//$'\n'/; }) in a fresh clone with only make and git" as_root
check "kds-dkms and kds-utils are installed" \
	in_root dpkg-query -W -f='${Package} ${Status}\n' kds-dkms kds-utils
check "kdsctl runs" in_root kdsctl --version
# apt installs dkms's Recommends, linux-headers-amd64 among them: DKMS
# builds kds for that kernel.
check "DKMS built and installed kds for the kernel whose headers apt installed" \
	in_root sh -c 'dkms status kds; dkms status kds | grep -q ": installed" &&
		ls /lib/modules/*/updates/dkms/kds.ko*'

# Nothing missing now: make deb installs nothing and reads no package list.
again() {
	local out
	out=$(in_root sh -c 'cd /root/kds && make deb' 2>&1) || { printf '%s\n' "$out"; return 1; }
	printf '%s\n' "$out"
	! printf '%s\n' "$out" | grep -E '^(Get|Hit|Ign):|installing'
}
check "make deb again runs no apt-get" again

repo=/root/kds/build/pkg/repo
check "make repo in the clone (as root, with the tools it installs)" \
	in_root sh -c "cd /root/kds && make repo REPO_URL=file://$repo"
from_repo() {
	in_root bash -c 'set -eux
		sudo() { "$@"; }
		apt-get purge kds-dkms kds-utils
		apt-get install --no-install-recommends curl
		REPO=file://'"$repo"'
		'"$repo_cmds"'
		test "$(dpkg-query -W -f="\${db:Status-Status} " kds-dkms kds-utils)" = "installed installed "
		apt-cache madison kds-dkms kds-utils
		test "$(apt-cache madison kds-dkms kds-utils | grep -c "file:'"$repo"' ")" = 2'
}
check "README's lines install kds-dkms and kds-utils by name from make repo's signed repository" \
	from_repo

say "fresh install: $(($(date +%s) - t0)) s (log: $log)"
exit "$failed"
