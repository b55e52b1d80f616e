#!/bin/bash
# `make check-pkg`: the packaging, checked as a user meets it.
#   - the version agrees everywhere, `make deb` and `make rpm` build,
#     lintian and rpmlint are clean;
#   - the rpm scriptlets run in a Debian chroot with dkms: install, upgrade
#     to the next version, erase (rpm-scriptlets.sh);
#   - a downstream's changelog version builds, a wrong upstream one is
#     refused (deb-versions.sh);
#   - a program builds and links with libkds-dev's and kds-devel's files
#     (dev-link.sh);
#   - make repo: the apt repository's InRelease and Release.gpg and the rpm
#     repository's repomd.xml verify with the exported key; Debian's dnf
#     reads the rpm repository and refuses it changed (dnf-repo.sh);
#   - the README's build-and-install commands in a fresh Debian 12 with
#     only make and git (fresh-install.sh, beside the VMs; E2E_FRESH=0
#     skips it);
#   - the next version's .debs build (mknext.sh, for the e2e upgrade);
#   - the end-to-end test in a full Debian VM per release (run.sh);
#   - with E2E_FOREIGN, apt install of the packages on i386 and arm64 and
#     DKMS's modules booted there (foreign.sh; make check-arch, for its
#     time, see there).
# Prints "ok N name" / "not ok N name" lines and "N passed, N failed"
# (", N skipped"); exits 1 when anything failed.
#
# Environment: E2E_RELEASES (default "bookworm trixie"; empty skips the
# VMs), E2E_PARALLEL (default 1: the releases' VMs run at the same time,
# which is quicker on 2 cores than one after the other; 0: in turn),
# E2E_FOREIGN ("i386 arm64" runs foreign.sh; default empty, see there),
# E2E_FRESH (0 skips fresh-install.sh; default 1), E2E_LIFECYCLE (the
# releases whose VM also upgrades and downgrades the package, see run.sh;
# default bookworm),
# KDS_CACHE, PKG_OUT.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
top=$(readlink -f "$here/../..")
export KDS_CACHE=${KDS_CACHE:-/var/cache/kds-test}
export PKG_OUT=${PKG_OUT:-$top/build/pkg}
releases=${E2E_RELEASES-bookworm trixie}
logs="$PKG_OUT/logs"
mkdir -p "$logs"

n=0 passed=0 failed=0 skipped=0
# result LINE: "ok - name", "not ok - name" or "ok - name # SKIP why".
result() {
	local line=$1
	n=$((n + 1))
	case "$line" in
	"not ok - "*)
		failed=$((failed + 1))
		echo "not ok $n ${line#not ok - }"
		;;
	*"# SKIP"*)
		skipped=$((skipped + 1))
		echo "ok $n ${line#ok - }"
		;;
	*)
		passed=$((passed + 1))
		echo "ok $n ${line#ok - }"
		;;
	esac
}

# step NAME COMMAND...: a host-side check; its output goes to a log file.
step() {
	local name=$1 log
	shift
	log="$logs/$(echo "$name" | tr -c 'A-Za-z0-9\n' '-').log"
	if "$@" >"$log" 2>&1; then
		result "ok - $name"
	else
		result "not ok - $name"
		tail -n 30 "$log" | sed 's/^/  | /' >&2
	fi
}

pkgmake() {
	make --no-print-directory -f "$top/mk/packaging.mk" TOP="$top" \
		KDS_CACHE="$KDS_CACHE" PKG_OUT="$PKG_OUT" "$@"
}

# Each printed line, numbered.
results_of() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "* | "not ok - "*) result "$line" ;;
		"KDS-RC "*)
			# KDS-RC <status> <name>: how a whole script ended.
			line=${line#KDS-RC }
			if [ "${line%% *}" = 0 ]; then
				result "ok - ${line#* }"
			else
				result "not ok - ${line#* } (exit status ${line%% *})"
			fi
			;;
		*) echo "$line" >&2 ;;
		esac
	done
}

t0=$(date +%s)
# The VM images (cached; cold, minutes of downloading and unpacking) are
# built while the packages are: run.sh then finds them ready.
declare -A img_pid
for rel in $releases; do
	bash "$here/mkimage.sh" "$rel" >"$logs/mkimage-$rel.log" 2>&1 &
	img_pid[$rel]=$!
done
step "packaging: src/VERSION, dkms.conf, debian/changelog and kds.spec agree" \
	pkgmake pkg-version-check
deb_ok=0
if pkgmake deb >"$logs/make-deb.log" 2>&1; then
	deb_ok=1
	result "ok - packaging: make deb"
else
	result "not ok - packaging: make deb"
	tail -n 30 "$logs/make-deb.log" | sed 's/^/  | /' >&2
fi
next_pid=
if [ "$deb_ok" = 1 ]; then
	# The next version's .debs (the e2e upgrade), built beside make rpm.
	bash "$here/mknext.sh" >"$logs/mknext.log" 2>&1 &
	next_pid=$!
	step "packaging: lintian reports no error and no warning" pkgmake lintian
fi
rpm_ok=0
if pkgmake rpm >"$logs/make-rpm.log" 2>&1; then
	rpm_ok=1
	result "ok - packaging: make rpm"
else
	result "not ok - packaging: make rpm"
	tail -n 30 "$logs/make-rpm.log" | sed 's/^/  | /' >&2
fi
if [ "$rpm_ok" = 1 ]; then
	step "packaging: rpmlint reports no error and no warning" pkgmake rpmlint
	results_of < <(bash "$here/rpm-scriptlets.sh" 2>>"$logs/rpm-scriptlets.log")
fi
# deb-versions.sh copies the stage tree (which `make rpm` leaves clean);
# dev-link.sh unpacks the .debs and the .rpms.
if [ "$deb_ok" = 1 ]; then
	results_of < <(bash "$here/deb-versions.sh" 2>"$logs/deb-versions.log")
fi
if [ "$deb_ok" = 1 ] && [ "$rpm_ok" = 1 ]; then
	results_of < <(bash "$here/dev-link.sh" 2>"$logs/dev-link.log")
fi
# make repo, of the packages just built: what apt and dnf check verifies
# with the key users are given.
rpm_signed() {
	local db out rc=0 rpms
	db=$(mktemp -d)
	rpms=("$1"/rpm/*.rpm)
	rpm --dbpath "$db" --import "$1/kds-archive-keyring.asc" &&
		out=$(rpm --dbpath "$db" -Kv "${rpms[@]}") || rc=1
	printf '%s\n' "$out"
	# Each rpm: its header's signature, by the exported key, good.
	[ "$(grep -c 'Signature, key ID .*: OK' <<<"$out")" = "${#rpms[@]}" ] || rc=1
	rm -rf "$db"
	return "$rc"
}
repo_verifies() {
	local r=$PKG_OUT/repo k=$PKG_OUT/repo/kds-archive-keyring.gpg
	pkgmake repo REPO_BUILD= REPO_OUT="$r" &&
		gpgv --keyring "$k" "$r/dists/stable/InRelease" &&
		gpgv --keyring "$k" "$r/dists/stable/Release.gpg" "$r/dists/stable/Release" &&
		gpgv --keyring "$k" "$r/rpm/repodata/repomd.xml.asc" "$r/rpm/repodata/repomd.xml" &&
		rpm_signed "$r" &&
		grep -qx 'Package: kds-dkms' "$r/dists/stable/main/binary-$(dpkg --print-architecture)/Packages" &&
		grep -qx 'Package: kds-utils' "$r/dists/stable/main/binary-$(dpkg --print-architecture)/Packages"
}
if [ "$deb_ok" = 1 ] && [ "$rpm_ok" = 1 ]; then
	step "repo: make repo's apt and rpm repositories verify with the exported key" repo_verifies
fi
if [ -n "$next_pid" ]; then
	if wait "$next_pid"; then
		result "ok - packaging: the next version's .debs build from the same tree (mknext.sh)"
	else
		result "not ok - packaging: the next version's .debs build from the same tree (mknext.sh)"
		tail -n 30 "$logs/mknext.log" | sed 's/^/  | /' >&2
	fi
fi
echo "# packaging checks: $(($(date +%s) - t0)) s" >&2

# Debian's dnf reads the rpm repository (a cached chroot), beside the VMs.
dnf_pid=
if [ "$deb_ok" = 1 ] && [ "$rpm_ok" = 1 ]; then
	bash "$here/dnf-repo.sh" 2>"$logs/dnf-repo.log" >"$logs/dnf-repo.out" &
	dnf_pid=$!
fi

# The README's install from a clone on a fresh Debian 12, beside the VMs.
fresh_pid=
if [ "${E2E_FRESH:-1}" = 1 ]; then
	( t1=$(date +%s)
	  bash "$here/fresh-install.sh" 2>>"$logs/fresh-install.err"
	  echo "# fresh install: $(($(date +%s) - t1)) s" >&2 ) >"$logs/fresh-install.out" &
	fresh_pid=$!
fi

# The packages on other architectures (foreign.sh: a chroot of each,
# through qemu-user), beside the VMs below.
foreign=${E2E_FOREIGN-}
declare -A foreign_pid
if [ "$deb_ok" = 1 ]; then
	for a in $foreign; do
		( t1=$(date +%s)
		  bash "$here/foreign.sh" "$a" 2>>"$logs/foreign-$a.err"
		  echo "# foreign $a: $(($(date +%s) - t1)) s" >&2 ) >"$logs/foreign-$a.out" &
		foreign_pid[$a]=$!
	done
fi

for rel in $releases; do
	# A failed build is reported by run.sh, which tries again.
	wait "${img_pid[$rel]}" || tail -n 20 "$logs/mkimage-$rel.log" >&2
done
echo "# packaging checks and VM images: $(($(date +%s) - t0)) s" >&2

# e2e_one RELEASE: run.sh's lines, then how it ended; progress and timing
# in $logs/e2e-RELEASE.log.
e2e_one() {
	local rel=$1 t1 rc
	t1=$(date +%s)
	bash "$here/run.sh" "$rel" 2>>"$logs/e2e-$rel.log"
	rc=$?
	echo "KDS-RC $rc e2e $rel: run.sh completed every boot"
	echo "# e2e $rel: $(($(date +%s) - t1)) s" | tee -a "$logs/e2e-$rel.log" >&2
}

if [ "$deb_ok" = 1 ] && [ -n "$releases" ]; then
	t1=$(date +%s)
	for rel in $releases; do
		rm -f "$logs/e2e-$rel.log" "$logs/e2e-$rel.out"
	done
	if [ "${E2E_PARALLEL:-1}" = 1 ]; then
		pids=()
		for rel in $releases; do
			e2e_one "$rel" >"$logs/e2e-$rel.out" &
			pids+=($!)
		done
		wait "${pids[@]}"
		for rel in $releases; do
			results_of <"$logs/e2e-$rel.out"
		done
	else
		for rel in $releases; do
			e2e_one "$rel" >"$logs/e2e-$rel.out"
			results_of <"$logs/e2e-$rel.out"
		done
	fi
	echo "# e2e (${releases// /, }): $(($(date +%s) - t1)) s" >&2
	for rel in $releases; do
		sed "s/^/# $rel: /" "$PKG_OUT/e2e/$rel/times.txt" 2>/dev/null >&2
	done
elif [ -n "$releases" ]; then
	result "not ok - e2e: not run, make deb failed"
fi

for a in "${!foreign_pid[@]}"; do
	wait "${foreign_pid[$a]}"
	results_of <"$logs/foreign-$a.out"
done

if [ -n "$dnf_pid" ]; then
	wait "$dnf_pid"
	results_of <"$logs/dnf-repo.out"
fi

if [ -n "$fresh_pid" ]; then
	wait "$fresh_pid"
	results_of <"$logs/fresh-install.out"
fi

echo "# check-pkg: $(($(date +%s) - t0)) s" >&2
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
