#!/bin/bash
# `make check-pkg`: the packaging, checked as a user meets it.
#   - the version agrees everywhere, `make deb` and `make rpm` build,
#     lintian and rpmlint are clean;
#   - the rpm scriptlets run in a Debian chroot with dkms (rpm-scriptlets.sh);
#   - the end-to-end test in a full Debian VM per release (run.sh).
# Prints "ok N name" / "not ok N name" lines and "N passed, N failed"
# (", N skipped"); exits 1 when anything failed.
#
# Environment: E2E_RELEASES (default "bookworm trixie"; empty skips the
# VMs), KDS_CACHE, PKG_OUT.
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
if [ "$deb_ok" = 1 ]; then
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
echo "# packaging checks: $(($(date +%s) - t0)) s" >&2

if [ "$deb_ok" = 1 ]; then
	for rel in $releases; do
		t1=$(date +%s)
		results_of < <({
			bash "$here/run.sh" "$rel"
			echo "KDS-RC $? e2e $rel: run.sh completed every boot"
		} 2>&1 | tee -a "$logs/e2e-$rel.log")
		echo "# e2e $rel: $(($(date +%s) - t1)) s" >&2
	done
elif [ -n "$releases" ]; then
	result "not ok - e2e: not run, make deb failed"
fi

echo "# check-pkg: $(($(date +%s) - t0)) s" >&2
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
