#!/bin/bash
# make check: layers 1 and 2 of DESIGN.md ("How it is tested").
#
# For every kernel line: build the modules against that line's headers
# (W=1, warnings are errors), run sparse and checkstack.pl (no frame over
# 1024 bytes, KDS_STACK_MAX), boot the line's own vmlinuz under
# QEMU (TCG) with an initramfs holding the modules and the test programs,
# run the tests there and check the guest's kernel log. Once: checkpatch
# --strict on the kernel sources. Beside all that, from the start, the
# package end-to-end test (tests/e2e, make check-pkg; KDS_E2E=0 skips
# it). Prints a table and a last line "N passed, N failed"; exits non-zero
# on any failure.
#
# Environment:
#   KERNELS="6.1 7.3"  kernel lines to run (default: all, see lib.sh)
#   KDS_CACHE          cache directory (default /var/cache/kds-test)
#   KDS_OUT            logs and artefacts (default build/runs/check-<pid>
#                      in the tree, build/check a link to the latest run:
#                      runs side by side never share a log directory)
#   KDS_E2E=0          skip the package end-to-end test (make check-pkg:
#                      full Debian VMs: bookworm five boots, trixie
#                      four, beside the kernel lines); default 1
#   KDS_VM_TIMEOUT     seconds one VM may run (default 1500)
#   KDS_STACK_MAX      largest stack frame a module function may have, in
#                      bytes (default 1024)
#   KDS_DEBUG=0|1|auto add the debug kernel line (1: building the kernel if
#                      needed, about 20 minutes; auto, the default: only if
#                      it is already built, as make check-debug leaves it).
#                      In make check it runs the suite with the reliability
#                      programs at their short lengths (about 15 minutes);
#                      make check-debug runs them at full length
#   KDS_DEBUG_PARTS    split the debug line over several boots, '|' between
#                      them, each a list of guest-init variables (make
#                      check-debug sets it; see tests/vm/guest-init)
#   KDS_SHELL=1        (with one kernel line) boot with a shell, run nothing
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

lines=${KERNELS:-$KDS_LINES}
if [ -n "${KDS_OUT:-}" ]; then
	out=$KDS_OUT
else
	# Runs of other users of this tree that are over leave their logs
	# until the next run: only the latest is kept, behind build/check.
	for d in "$top"/build/runs/check-*; do
		[ -d "$d" ] || continue
		kill -0 "${d##*-}" 2>/dev/null || rm -rf --one-file-system "$d"
	done
	out=$top/build/runs/check-$$
	mkdir -p "$out"
	# (A directory of that name from an older run stays as it is.)
	if [ -L "$top/build/check" ] || [ ! -e "$top/build/check" ]; then
		ln -sfn "runs/check-$$" "$top/build/check"
	fi
fi
vm_timeout=${KDS_VM_TIMEOUT:-1500}
started=$(date +%s)

npass=0
nfail=0
nskip=0
declare -A row
failures=()

# shellcheck source=tests/vm/harness.sh
. "$here/harness.sh"
qemu_extra=()

# Read results.log of one line: TAP lines, program exit codes, unload,
# taint, kernel log.
judge() {
	local line=$1
	local d=$out/$line res=$out/$line/results.txt
	# The guest writes through a tty: drop the carriage returns.
	tr -d '\r' <"$d/results.log" >"$res"
	local tp=0 tf=0 ts=0 prog="" l
	if ! grep -q '^KDS-DONE' "$res"; then
		local last
		last=$(grep -E '^(KDS-PROG-BEGIN|#  RUN)' "$res" | tail -n 1 |
			sed -E 's/^KDS-PROG-BEGIN /program /; s/^#  RUN +/test /; s/ \.\.\.$//' || true)
		fail "$line: the VM did not finish${last:+, during $last} (see $d/console.log)"
		# A VM that never reached the tests: say why here, since CI
		# shows only this output (QEMU's own errors, the console's end).
		if [ -z "$last" ]; then
			tail -n 5 "$d/qemu.log" "$d/console.log" 2>/dev/null | sed 's/^/    /' >&2 || true
		fi
		row[$line.boot]=FAIL
	else
		pass
		row[$line.boot]=ok
	fi
	if grep -q '^KDS-LOAD ok' "$res"; then pass; else fail "$line: modprobe of the five backends"; fi
	while IFS= read -r l; do
		case "$l" in
		KDS-PROG-BEGIN\ *) prog=${l#KDS-PROG-BEGIN }; local pf=0 ;;
		KDS-PROG-END\ *)
			local rc=${l##* }
			if [ "$rc" != 0 ] && [ "$pf" = 0 ]; then
				tf=$((tf + 1))
				fail "$line: $prog exited $rc"
			fi
			prog="" ;;
		"ok "[0-9]*)
			[ -n "$prog" ] || continue
			if [[ "$l" == *"# SKIP"* ]]; then ts=$((ts + 1)); else tp=$((tp + 1)); fi ;;
		"not ok "[0-9]*)
			[ -n "$prog" ] || continue
			tf=$((tf + 1)); pf=1
			fail "$line: $prog: $l" ;;
		KDS-KUNIT-BEGIN) prog=kunit ;;
		KDS-KUNIT-END) prog="" ;;
		KDS-KUNIT-LOAD-FAIL*) tf=$((tf + 1)); fail "$line: ${l#KDS-}" ;;
		"    ok "[0-9]*)
			[ "$prog" = kunit ] && tp=$((tp + 1)) ;;
		"    not ok "[0-9]*)
			[ "$prog" = kunit ] || continue
			tf=$((tf + 1))
			fail "$line: kunit: $l" ;;
		esac
	done <"$res"
	if grep -q '^KDS-KMEMLEAK-BEGIN' "$res"; then
		if sed -n '/^KDS-KMEMLEAK-BEGIN/,/^KDS-KMEMLEAK-END/p' "$res" | grep -q 'unreferenced object'; then
			fail "$line: kmemleak reports leaks (see $res)"
		else
			pass
		fi
	fi
	npass=$((npass + tp))
	nskip=$((nskip + ts))
	row[$line.tests]="$tp/$tf"
	[ "$ts" = 0 ] || row[$line.tests]="$tp/$tf (skip $ts)"
	if grep -q '^KDS-UNLOAD-FAIL' "$res"; then
		fail "$line: unload: $(grep '^KDS-UNLOAD-FAIL' "$res" | tr '\n' ' ')"
	else
		pass
	fi
	sed -n '/^KDS-DMESG-BEGIN/,/^KDS-DMESG-END/p' "$res" >"$d/dmesg.log"
	local bad taint
	# The debug kernel announces its checkers at boot: those lines are no
	# report. The OOM killer and page allocation failure warnings are: a
	# writer must get ENOMEM or ENOSPC instead (DESIGN.md).
	bad=$(grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t|lockdep|KASAN|UBSAN|kernel BUG|Call Trace|possible (circular|recursive)|INFO: task|rcu.*stall|kmemleak|list_(add|del) corruption|invoked oom-killer|Out of memory|page allocation failure' \
		"$d/dmesg.log" "$d/console.log" |
		grep -vE 'RCU lockdep checking is enabled|kmemleak: Kernel memory leak detector initialized' |
		head -n 5 || true)
	taint=$(sed -n 's/^KDS-TAINT //p' "$res")
	# Allowed taints: O (out-of-tree, 4096) and E (unsigned, 8192); where
	# KUnit suites were loaded, N (test module, 262144) too.
	local allowed=12288
	[ ! -d "$d/kunit" ] || allowed=$((allowed | 262144))
	if [ -n "$bad" ]; then
		fail "$line: kernel log: $bad"
		row[$line.log]=FAIL
	elif [ -z "$taint" ] || [ $((taint & ~allowed)) -ne 0 ]; then
		fail "$line: kernel taint '${taint:-unknown}'"
		row[$line.log]="taint:$taint"
	else
		pass
		row[$line.log]=clean
	fi
	[ -z "${row[$line.retried]:-}" ] || row[$line.log]="${row[$line.log]} (2nd boot)"
}

run_line() {
	local line=$1 rel c kver kdir image moddir mem=1024
	rel=$(line_chroot "$line")
	c=$KDS_CACHE/chroot-$rel
	mkdir -p "$out/$line"
	row[$line.kver]=-
	if [ -n "${chroot_skip[$rel]:-}" ]; then
		if [ "$line" = sid ]; then
			nskip=$((nskip + 1))
			row[$line.build]="SKIP"
			note "SKIP: sid: the archive is not installable: ${chroot_skip[$rel]}"
			failures+=("SKIP sid: the archive is not installable: ${chroot_skip[$rel]}")
		else
			fail "$line: build chroot: ${chroot_skip[$rel]}"
			row[$line.build]=FAIL
		fi
		return 0
	fi
	if [ "$line" = debug ]; then
		# The debug kernel's own build tree (tests/debug/build-kernel.sh).
		kdir=${debug_tree#"$c"}
		kver=$(cat "$debug_tree/include/config/kernel.release")
		image=$debug_tree/arch/x86/boot/bzImage
		moddir=$kdir
		mem=2048
	elif [ "$(line_arch "$line")" != amd64 ]; then
		# A foreign line: kernel and headers from its own root; the
		# headers are built against in the chroot, whose linux-kbuild of
		# the same version serves their scripts.
		local fr=$KDS_CACHE/rootfs-$line h
		if [ -n "${chroot_skip[rootfs-$line]:-}" ]; then
			fail "$line: root of its architecture: ${chroot_skip[rootfs-$line]}"
			row[$line.build]=FAIL
			return 0
		fi
		kver=$(cd "$fr/usr/src" && ls -d "linux-headers-"*"-$(line_flavour "$line")" 2>/dev/null |
			sed 's/^linux-headers-//' | sort -V | tail -n 1)
		if [ -z "$kver" ]; then
			fail "$line: no kernel headers found in $fr"
			return 0
		fi
		for h in "$fr/usr/src/linux-headers-"*; do
			[ -d "$c/usr/src/${h##*/}" ] || cp -a "$h" "$c/usr/src/"
		done
		# The host's linux-kbuild of the headers' version, when the
		# chroot's kernel is another (mkrootfs.sh unpacks it beside).
		for h in "$fr/host-kbuild/usr/lib/linux-kbuild-"*; do
			if [ -d "$h" ] && [ ! -d "$c/usr/lib/${h##*/}" ]; then
				cp -a "$h" "$c/usr/lib/"
			fi
		done
		[ ! -f "$fr/.kds-kernel" ] || note "$line: $(cat "$fr/.kds-kernel")"
		kdir=/usr/src/linux-headers-$kver
		image=$fr/boot/vmlinuz-$kver
		moddir=/lib/modules/$kver
	else
		kver=$(line_kver "$c" "$line")
		if [ -z "$kver" ]; then
			fail "$line: no kernel headers found in $c"
			return 0
		fi
		kdir=/usr/src/linux-headers-$kver
		image=$c/boot/vmlinuz-$kver
		moddir=/lib/modules/$kver
	fi
	row[$line.kver]=$kver
	note "$line ($kver): build"
	build_modules "$c" "$line" "$kdir" || return 0
	local u=$out/user
	[ "$(line_arch "$line")" = amd64 ] || u=$out/user-$(line_arch "$line")
	[ -f "$u/kdsctl" ] || { fail "$line: no user-space build to test with"; return 0; }
	if ! line_boots "$line"; then
		row[$line.boot]="-"
		row[$line.tests]="built only"
		row[$line.log]="-"
		return 0
	fi
	note "$line ($kver): initramfs"
	make_initramfs "$c" "$line" "$kver" "$moddir"
	if [ "$line" = debug ] && [ -n "${KDS_DEBUG_PARTS:-}" ] && [ "${KDS_SHELL:-0}" != 1 ]; then
		boot_parts "$line" "$kver" "$image" "$mem"
		return 0
	fi
	note "$line ($kver): boot and test (TCG; progress in $out/$line/results.log)"
	if [ "$line" = debug ]; then
		# One boot for everything: the reliability programs at the
		# lengths of Debian's lines, under the debug kernel's checkers.
		local vm_timeout=$((vm_timeout > 3000 ? vm_timeout : 3000))
		guest_append=${KDS_DEBUG_SHORT-KDS_FUZZ_CALLS=10000 KDS_STRESS_SECONDS=4 KDS_LOAD_CYCLES=10} \
			boot "$line" "$image" "$mem"
	else
		boot "$line" "$image" "$mem"
	fi
	[ "${KDS_SHELL:-0}" = 1 ] && return 0
	judge "$line"
}

# A line's tests over several boots of one initramfs, one per part of
# KDS_DEBUG_PARTS ('|' between parts; a part is more of the kernel command
# line, such as KDS_TESTS=91 KDS_BACKENDS=hash, see guest-init).  Each
# part is judged as a line of its own, <line>.<n>, with its own VM timeout.
boot_parts() {
	local line=$1 kver=$2 image=$3 mem=$4 part pl n=0
	local -a parts
	IFS='|' read -ra parts <<<"$KDS_DEBUG_PARTS"
	row[$line.boot]="${#parts[@]} parts"
	row[$line.tests]="see $line.*"
	row[$line.log]="see $line.*"
	for part in "${parts[@]}"; do
		n=$((n + 1))
		pl=$line.$n
		mkdir -p "$out/$pl"
		ln -f "$out/$line/initrd.gz" "$out/$pl/initrd.gz"
		[ ! -d "$out/$line/kunit" ] || ln -sfn "../$line/kunit" "$out/$pl/kunit"
		row[$pl.kver]=$kver
		row[$pl.build]=${row[$line.build]:--}
		row[$pl.sparse]=${row[$line.sparse]:--}
		row[$pl.stack]=${row[$line.stack]:--}
		part_lines="$part_lines $pl"
		note "$pl ($part): boot and test (progress in $out/$pl/results.log)"
		guest_append=$part boot "$pl" "$image" "$mem"
		judge "$pl"
	done
}

# The package end-to-end test (make check-pkg) needs none of the kernel
# lines' work: it runs beside them, from the start. Its VMs and the
# lines' VM share the 2 cores, which one line's VM at a time leaves half
# idle. It runs in a session of its own, so that a run that stops early
# takes the e2e's VMs with it.
e2e_log=""
e2e_pid=""
e2e_kill() {
	[ -z "$e2e_pid" ] || kill -TERM -- "-$e2e_pid" 2>/dev/null || true
}
e2e_start() {
	if [ "${KDS_E2E:-1}" != 1 ]; then
		row[e2e]="not run (KDS_E2E=0)"
		return 0
	fi
	[ -f "$top/mk/packaging.mk" ] || return 0
	e2e_log=$out/e2e.log
	note "package end-to-end test, beside the kernel lines (make check-pkg; log in $e2e_log)"
	e2e_t0=$(date +%s)
	setsid make -C "$top" --no-print-directory check-pkg >"$e2e_log" 2>&1 &
	e2e_pid=$!
	trap e2e_kill EXIT
}

e2e_end() {
	local last p f s=0 t
	[ -n "$e2e_pid" ] || return 0
	note "package end-to-end test: waiting for it to end"
	wait "$e2e_pid" || true
	e2e_pid=""
	t=$(($(date +%s) - e2e_t0))
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$e2e_log" | tail -n 1 || true)
	if [ -z "$last" ]; then
		fail "package end-to-end test: no summary (see $e2e_log)"
		row[e2e]="FAIL: no summary (${t} s)"
		return 0
	fi
	p=${last%% passed*}
	f=${last#*passed, }
	f=${f%% failed*}
	case "$last" in *skipped*) s=${last##*failed, }; s=${s%% skipped*} ;; esac
	npass=$((npass + p))
	nfail=$((nfail + f))
	nskip=$((nskip + s))
	row[e2e]="$p/$f (ok/fail), ${t} s"
	[ "$s" = 0 ] || row[e2e]="$p/$f (ok/fail, skip $s), ${t} s"
	[ "$f" = 0 ] || failures+=("package end-to-end test: $f failed (see $e2e_log)")
	# Each failed check by name, and what the e2e said of the host's side
	# ("kds-e2e: ..."), in the summary: the end of the output is what a CI
	# log keeps.
	while IFS= read -r l; do
		failures+=("  e2e: $l")
	done < <(grep -E '^not ok|^kds-e2e: .*(no kernel|timed out|failed|busy)' "$e2e_log" | head -n 12)
}

summary() {
	local line
	printf '\n%-9s %-7s %-28s %-6s %-6s %-8s %-5s %-12s %s\n' line arch kernel build sparse stack boot tests:ok/fail log
	for line in $lines; do
		printf '%-9s %-7s %-28s %-6s %-6s %-8s %-5s %-12s %s\n' "$line" "$(line_arch "${line%%.*}")" "${row[$line.kver]:--}" \
			"${row[$line.build]:--}" "${row[$line.sparse]:--}" "${row[$line.stack]:--}" \
			"${row[$line.boot]:--}" "${row[$line.tests]:--}" "${row[$line.log]:--}"
	done
	[ -n "${row[e2e]:-}" ] && printf 'package end-to-end: %s\n' "${row[e2e]}"
	if [ ${#failures[@]} -gt 0 ]; then
		printf '\nProblems:\n'
		printf '  %s\n' "${failures[@]}"
	fi
	printf '\ntime: %ds; logs: %s\n' $(($(date +%s) - started)) "$out"
	if [ "$nskip" -gt 0 ]; then
		printf '%d passed, %d failed, %d skipped\n' "$npass" "$nfail" "$nskip"
	else
		printf '%d passed, %d failed\n' "$npass" "$nfail"
	fi
}

main() {
	local line rel
	declare -gA chroot_skip
	debug_tree=""
	# The debug kernel (KASAN, lockdep, kmemleak, fault injection) joins the
	# run with KDS_DEBUG=1 (built if needed) or KDS_DEBUG=auto (if built,
	# the default).
	if [ -z "${KERNELS:-}" ]; then
		case "${KDS_DEBUG:-auto}" in
		1) lines="$lines debug" ;;
		auto) if "$here/../debug/build-kernel.sh" --cached >/dev/null 2>&1; then
			lines="$lines debug"
		fi ;;
		esac
	fi
	for line in $lines; do line_chroot "$line" >/dev/null; done
	mkdir -p "$out" "$KDS_CACHE"
	ensure_host_tools
	e2e_start
	# bookworm is always needed: user space, checkpatch, kselftest harness.
	local rels="bookworm"
	for line in $lines; do
		rel=$(line_chroot "$line")
		case " $rels " in *" $rel "*) ;; *) rels="$rels $rel" ;; esac
	done
	# The chroots download and unpack in parallel (cold: minutes each).
	note "build chroots: $rels (cached in $KDS_CACHE)"
	local -A pid
	for rel in $rels; do
		if [ "$rel" = kbuild ]; then
			"$here/../debug/build-kernel.sh" >"$out/chroot-$rel.log" 2>&1 &
		else
			"$here/mkchroot.sh" "$rel" >"$out/chroot-$rel.log" 2>&1 &
		fi
		pid[$rel]=$!
	done
	# The unpacked roots of the foreign lines, beside them.
	for line in $lines; do
		[ "$(line_arch "$line")" != amd64 ] || continue
		"$here/mkrootfs.sh" "$line" >"$out/chroot-rootfs-$line.log" 2>&1 &
		pid[rootfs-$line]=$!
		rels="$rels rootfs-$line"
	done
	for rel in $rels; do
		if ! wait "${pid[$rel]}"; then
			chroot_skip[$rel]=$(grep -E '^E:' "$out/chroot-$rel.log" | head -n 2 | tr '\n' ' ')
			[ -n "${chroot_skip[$rel]}" ] || chroot_skip[$rel]="mmdebstrap failed (see $out/chroot-$rel.log)"
		fi
	done
	[ -z "${pid[kbuild]:-}" ] || debug_tree=$(tail -n 1 "$out/chroot-kbuild.log")
	local c=$KDS_CACHE/chroot-bookworm
	if [ -n "${chroot_skip[bookworm]:-}" ]; then
		fail "bookworm chroot: ${chroot_skip[bookworm]}"
	else
		ksrc_extract "$c"
		note "user space and tests: build"
		build_user "$c" || true
		local a uc
		for a in $(for line in $lines; do line_arch "$line"; done | sort -u); do
			[ "$a" = amd64 ] && continue
			uc=$KDS_CACHE/chroot-$(arch_user_chroot "$a")
			if [ "$uc" != "$c" ]; then
				[ -z "${chroot_skip[$(arch_user_chroot "$a")]:-}" ] || continue
				rm -rf --one-file-system "$uc/build/ksrc"
				mkdir -p "$uc/build"
				cp -a "$c/build/ksrc" "$uc/build/ksrc"
			fi
			note "user space and tests ($a): build"
			build_user "$uc" "$a" || true
		done
		note "checkpatch --strict"
		lint_sources "$c"
	fi
	part_lines=""
	for line in $lines; do
		run_line "$line"
	done
	lines="$lines$part_lines"
	e2e_end
	# This run's staging directories in the chroots.
	for rel in $rels; do
		rm -rf --one-file-system "${KDS_CACHE:?}/chroot-$rel/build/${KDS_RUN:?}"
	done
	summary
	[ "$nfail" -eq 0 ]
}

main "$@"
