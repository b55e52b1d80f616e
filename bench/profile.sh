#!/bin/bash
# make profile: where the instructions of one kds operation go, kernel
# function by kernel function.
#
# Builds kdsctl and the modules as make bench does (bench/run.sh), then
# boots the line's Debian kernel with one vCPU under -icount shift=0,
# sleep=off, nokaslr, QEMU's gdbstub and -S.  The guest (bench/guest-init,
# pass "profile") runs one kdsctl bench per step, each after a sync;
# bench/profile.py, through gdb, stops at each sync (ksys_sync), arms the
# step's trigger on the system call entry (entry_SYSCALL_64, a condition
# on the call's number and arguments), and single-steps the matching call
# from its entry to the return to user space, one pc per instruction.
# The pcs are symbolised with the kernel's /proc/kallsyms (read once by a
# boot of its own and cached: Debian ships no System.map) and the kds
# modules' symbols of the same boot.  Writes build/profile/PROFILE.md and
# the raw trace build/profile/<step>.pcs (a line per instruction: pc, and
# rax before it, which gives the return values).  A run of every step on
# the bench's line (6.1) also copies the report to bench/PROFILE.md.
#
# Environment:
#   PROFILE_KERNEL=6.1   kernel line
#   PROFILE_STEPS="..."  the steps to take (default: all; see profile.py)
#   PROFILE_MEM=1024     guest memory, MiB
#   PROFILE_OUT          logs and report (default build/profile)
#   PROFILE_TIMEOUT=1800 seconds one VM may run
#   KDS_CACHE            the harness's cache (default /var/cache/kds-test)
set -euo pipefail

bench=$(dirname "$(readlink -f "$0")")
# shellcheck source=bench/run.sh
. "$bench/run.sh"

line=${PROFILE_KERNEL:-6.1}
out=${PROFILE_OUT:-$top/build/profile}
vm_timeout=${PROFILE_TIMEOUT:-1800}
mem=${PROFILE_MEM:-1024}
steps=${PROFILE_STEPS:-}
started=$(date +%s)

# A TCP port nobody listens on, for QEMU's gdbstub.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The kernel's text symbols, from its /proc/kallsyms under nokaslr: one
# boot without the debugger, cached per kernel image.
kernel_symbols() {
	local c=$1 vline=$2 kver=$3 image=$4 moddir=$5 f=$6 tmp
	[ -s "$f" ] && return 0
	note "$line ($kver): kernel symbols: one boot to read /proc/kallsyms (cached in $f)"
	guest_init=$(make_guest_init kallsyms "")
	vm_smp=1
	qemu_extra=()
	guest_append=nokaslr
	make_initramfs "$c" "$vline" "$kver" "$moddir"
	boot "$vline" "$image" "$mem"
	mkdir -p "$(dirname "$f")"
	tmp=$f.tmp-$$
	tr -d '\r' <"$out/$vline/results.log" | sed -n 's/^#ksym //p' >"$tmp"
	if ! grep -q ' ksys_sync$' "$tmp" || ! grep -q ' entry_SYSCALL_64$' "$tmp"; then
		rm -f "$tmp"
		cp "$out/$vline/console.log" "$out/kallsyms.console.log"
		die "no kernel symbols from the guest (see $out/kallsyms.console.log)"
	fi
	mv "$tmp" "$f"
}

main() {
	local rel c kver kdir image moddir vline=profile-$line ksyms port qpid
	local rc=0
	local -a step_opt=()
	[ -z "$steps" ] || step_opt=(--steps "$steps")
	rel=$(line_chroot "$line")
	c=$KDS_CACHE/chroot-$rel
	mkdir -p "$out/$vline" "$KDS_CACHE"
	trap cleanup_staging EXIT
	ensure_host_tools
	if ! command -v gdb >/dev/null; then
		note "installing host tools: gdb"
		apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q gdb >/dev/null
	fi
	prepare_line
	ksyms=$KDS_CACHE/profile/kallsyms-$kver-$(sha256sum "$image" | cut -c 1-16).txt
	kernel_symbols "$c" "$vline" "$kver" "$image" "$moddir" "$ksyms"

	guest_init=$(make_guest_init profile "$(python3 "$bench/profile.py" guest-args "${step_opt[@]}")")
	vm_smp=1
	port=$(free_port)
	qemu_extra=(-icount "shift=0,sleep=off" -gdb "tcp:127.0.0.1:$port" -S)
	guest_append=nokaslr
	make_initramfs "$c" "$vline" "$kver" "$moddir"
	note "$line ($kver): profile boot: 1 vCPU ${qemu_extra[*]}, $guest_append"
	rm -f "$out"/*.pcs "$out/trace.json"
	boot "$vline" "$image" "$mem" &
	qpid=$!
	# shellcheck disable=SC2064
	trap "pkill -TERM -P $qpid; exit 130" INT TERM
	python3 "$bench/profile.py" trace --port "$port" --ksyms "$ksyms" \
		"${step_opt[@]}" --out "$out" --started "$started" || rc=$?
	if [ "$rc" != 0 ]; then
		# the debugger gave up: the VM may wait for it forever
		pkill -TERM -P "$qpid" || true
	fi
	wait "$qpid" || true
	trap - INT TERM
	cp "$out/$vline/console.log" "$out/console.log"
	tr -d '\r' <"$out/$vline/results.log" >"$out/results.log"
	[ "$rc" = 0 ] || die "the trace failed (see $out/console.log)"
	python3 "$bench/profile.py" report --ksyms "$ksyms" --results "$out/results.log" \
		"${step_opt[@]}" --out "$out" \
		--qemu "$(qemu-system-x86_64 --version | head -n 1)" \
		--seconds $(($(date +%s) - started)) || die "report: bench/profile.py failed"
	# The full profile of the bench's kernel line goes beside RESULTS.md.
	if [ -z "$steps" ] && [ "$line" = 6.1 ]; then
		cp "$out/PROFILE.md" "$bench/PROFILE.md"
		note "copied to $bench/PROFILE.md"
	fi
	printf '\nreport: %s/PROFILE.md; pcs: %s/<step>.pcs\ntime: %ds\n' "$out" "$out" \
		$(($(date +%s) - started))
}

main "$@"
