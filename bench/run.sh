#!/bin/bash
# make bench: the figures of "kdsctl bench" from one kernel line in QEMU.
#
# Builds kdsctl and the modules in the line's chroot (tests/vm harness),
# then boots the line's own Debian kernel twice:
#   1. one vCPU under -accel tcg -icount shift=0,sleep=off: the guest
#      clock counts instructions, so every figure is guest instructions
#      per operation and repeats exactly;
#   2. two vCPUs under plain TCG: reader scaling (one reader against two).
# Writes bench/RESULTS.md, bench/cost-vs-n.svg and the raw figures
# bench/results-icount.tsv and bench/results-smp2.tsv.
#
# Environment:
#   BENCH_KERNEL=6.1     kernel line (6.1, 6.12-bpo, 6.12, 7.3, sid)
#   BENCH_QUICK=1        a smoke run of each pass (seconds of bench time);
#                        its results stay in BENCH_OUT, bench/ is untouched
#   BENCH_ARGS="..."     kdsctl bench options of pass 1 (default below)
#   BENCH_SCALE_ARGS="..." the same for pass 2
#   BENCH_MEM=2048       guest memory, MiB
#   BENCH_HASH_BITS=N    load kds_hash with bits=N (default: its default)
#   BENCH_HASH_FN=hash_64  load kds_hash with that hashfn (default: its
#                        default, hsiphash); hash_64 is unkeyed, for comparison
#   BENCH_PASSES="icount smp2"  the passes to run
#   BENCH_OUT            logs and artefacts (default build/bench)
#   BENCH_TIMEOUT=14400  seconds one VM may run
#   BENCH_REMARK="..."   a sentence for RESULTS.md on why this run differs
#   KDS_CACHE            the harness's cache (default /var/cache/kds-test)
set -euo pipefail

bench=$(dirname "$(readlink -f "$0")")
top=$(cd "$bench/.." && pwd)
here=$top/tests/vm
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

line=${BENCH_KERNEL:-6.1}
quick=${BENCH_QUICK:-0}
out=${BENCH_OUT:-$top/build/bench}
vm_timeout=${BENCH_TIMEOUT:-14400}
mem=${BENCH_MEM:-2048}
passes=${BENCH_PASSES:-icount smp2}
started=$(date +%s)

npass=0
nfail=0
nskip=0
failures=()
declare -A row

# shellcheck source=tests/vm/harness.sh
. "$here/harness.sh"
qemu_extra=()

# The modules' limits: 10^6 keys plus the fresh keys of the put figures,
# and 1-KiB values with room to spare; the stores may take three quarters
# of the guest's memory (not the default eighth), so that the sizes the
# bench measures are bounded by the memory, as before kds.max_bytes.
kds_params="max_entries=2000000 max_value_size=4096 max_bytes=$((mem * 1024 * 1024 / 4 * 3))"
hash_params="${BENCH_HASH_BITS:+bits=$BENCH_HASH_BITS}${BENCH_HASH_FN:+ hashfn=$BENCH_HASH_FN}"

# Pass 1, measured on this machine (TCG, icount, 1 vCPU): every N, both
# value sizes and orders, all batch sizes.  The list backend stops at 10^4
# keys (each of its lookups walks the list); 1-KiB values at 10^6 keys
# need more guest memory than BENCH_MEM gives and are skipped with a note.
full_args="--format=tsv -n 1e3,1e4,1e5,1e6 --samples=5 --warmup=1 --ops=1024"
quick_args="--format=tsv --smoke"
full_scale_args="--format=tsv --only=scale --scale-n=1e5 --scale-seconds=1 --scale-samples=5"
quick_scale_args="--format=tsv --only=scale --scale-n=1e3 --scale-seconds=0.2 --scale-samples=1"
if [ "$quick" = 1 ]; then
	args=${BENCH_ARGS:-$quick_args}
	scale_args=${BENCH_SCALE_ARGS:-$quick_scale_args}
	dest=$out
else
	args=${BENCH_ARGS:-$full_args}
	scale_args=${BENCH_SCALE_ARGS:-$full_scale_args}
	dest=$bench
fi

# The guest's /init for one pass, from bench/guest-init.
make_guest_init() {
	local pass=$1 bargs=$2 f=$out/guest-init-$1
	sed -e "s|@KDS_PARAMS@|$kds_params|" -e "s|@HASH_PARAMS@|$hash_params|" \
		-e "s|@BENCH_ARGS@|$bargs|" -e "s|@PASS@|$pass|" \
		"$bench/guest-init" >"$f"
	printf '%s\n' "$f"
}

# Boot in the background and show the bench's last progress line now and
# then (the guest writes them to its console).
boot_watch() {
	local vline=$1 image=$2 d=$out/$1 pid last shown=""
	boot "$vline" "$image" "$mem" &
	pid=$!
	# shellcheck disable=SC2064
	trap "pkill -TERM -P $pid; exit 130" INT TERM
	while kill -0 "$pid" 2>/dev/null; do
		sleep 20
		last=$(grep -a 'kdsctl bench: \[' "$d/console.log" 2>/dev/null | tail -n 1 | tr -d '\r' || true)
		if [ -n "$last" ] && [ "$last" != "$shown" ]; then
			note "$last"
			shown=$last
		fi
	done
	wait "$pid" || true
	trap - INT TERM
}

# Judge one pass's results.log and keep it as $out/<pass>.tsv.
collect() {
	local pass=$1 d=$out/$2 res=$out/$2/results.log rc
	tr -d '\r' <"$res" >"$out/$pass.tsv"
	cp "$d/console.log" "$out/$pass.console.log"
	if ! grep -q '^#done' "$out/$pass.tsv"; then
		fail "$pass: the VM did not finish (see $out/$pass.console.log)"
		return 0
	fi
	grep -q '^#info load ok' "$out/$pass.tsv" || fail "$pass: loading the modules"
	rc=$(sed -n 's/^#info rc //p' "$out/$pass.tsv")
	if [ "$rc" = 0 ]; then
		pass
	else
		fail "$pass: kdsctl bench exited ${rc:-?}: $(grep -a 'failed' "$out/$pass.tsv" | head -n 3 | tr '\n' ' ')"
	fi
	if grep -q '^#dmesg' "$out/$pass.tsv"; then
		fail "$pass: kernel log: $(grep '^#dmesg' "$out/$pass.tsv" | head -n 3 | tr '\n' ' ')"
	fi
}

# This run's staging directories in the chroots (the harness stages each
# run into /build/$KDS_RUN).
cleanup_staging() {
	local rel
	for rel in bookworm "$(line_chroot "$line")"; do
		rm -rf --one-file-system "${KDS_CACHE:?}/chroot-$rel/build/${KDS_RUN:?}"
	done
}

# The chroots, kdsctl and the modules of $line, for the VM named $vline:
# sets kver, image and moddir (and kdir) of the caller, from its rel and c.
prepare_line() {
	note "build chroots: bookworm $rel (cached in $KDS_CACHE)"
	"$here/mkchroot.sh" bookworm >"$out/chroot-bookworm.log" 2>&1 ||
		die "bookworm chroot failed (see $out/chroot-bookworm.log)"
	if [ "$rel" != bookworm ]; then
		"$here/mkchroot.sh" "$rel" >"$out/chroot-$rel.log" 2>&1 ||
			die "$rel chroot failed (see $out/chroot-$rel.log)"
	fi
	ksrc_extract "$KDS_CACHE/chroot-bookworm"
	note "user space: build"
	build_user "$KDS_CACHE/chroot-bookworm" || die "user-space build failed"
	kver=$(line_kver "$c" "$line")
	[ -n "$kver" ] || die "no kernel headers for $line in $c"
	kdir=/usr/src/linux-headers-$kver
	image=$c/boot/vmlinuz-$kver
	moddir=/lib/modules/$kver
	note "$line ($kver): modules"
	build_modules "$c" "$vline" "$kdir" || die "module build failed (see $out/$vline/build.log)"
}

main() {
	local rel c kver kdir image moddir vline=bench-$line pass_name
	local load_before host_load=""
	local -a files=()
	rel=$(line_chroot "$line")
	c=$KDS_CACHE/chroot-$rel
	mkdir -p "$out/$vline" "$KDS_CACHE"
	trap cleanup_staging EXIT
	ensure_host_tools
	prepare_line
	for pass_name in $passes; do
		case "$pass_name" in
		icount)
			guest_init=$(make_guest_init icount "$args")
			vm_smp=1
			qemu_extra=(-icount "shift=0,sleep=off")
			;;
		smp2)
			guest_init=$(make_guest_init smp2 "$scale_args")
			vm_smp=2
			qemu_extra=()
			;;
		*) die "unknown pass '$pass_name' (icount, smp2)" ;;
		esac
		make_initramfs "$c" "$vline" "$kver" "$moddir"
		note "$line ($kver): pass $pass_name: $vm_smp vCPU ${qemu_extra[*]:-}; kdsctl bench $(sed -n "s/^bench_args='\(.*\)'$/\1/p" "$guest_init")"
		load_before=$(cut -d ' ' -f 1 /proc/loadavg)
		boot_watch "$vline" "$image"
		host_load+="${host_load:+; }$pass_name: $load_before, $(cut -d ' ' -f 1 /proc/loadavg)"
		collect "$pass_name" "$vline"
	done
	for pass_name in $passes; do
		[ -f "$out/$pass_name.tsv" ] && files+=("--$pass_name" "$out/$pass_name.tsv")
	done
	# A failed pass does not overwrite the results in bench/.
	if [ "$nfail" -gt 0 ] && [ "$dest" = "$bench" ]; then
		note "a pass failed: the report goes to $out, bench/ keeps its results"
		dest=$out
	fi
	mkdir -p "$dest"
	if [ "$dest" = "$bench" ]; then
		for pass_name in $passes; do
			cp "$out/$pass_name.tsv" "$bench/results-$pass_name.tsv"
		done
	fi
	local cmd="make bench"
	[ "$line" = 6.1 ] || cmd="BENCH_KERNEL=$line $cmd"
	[ "$quick" = 1 ] && cmd="BENCH_QUICK=1 $cmd"
	[ -n "${BENCH_HASH_BITS:-}" ] && cmd="BENCH_HASH_BITS=$BENCH_HASH_BITS $cmd"
	[ -n "${BENCH_HASH_FN:-}" ] && cmd="BENCH_HASH_FN=$BENCH_HASH_FN $cmd"
	[ "$mem" = 2048 ] || cmd="BENCH_MEM=$mem $cmd"
	[ -z "${BENCH_SCALE_ARGS:-}" ] || cmd="BENCH_SCALE_ARGS='$BENCH_SCALE_ARGS' $cmd"
	[ -z "${BENCH_ARGS:-}" ] || cmd="BENCH_ARGS='$BENCH_ARGS' $cmd"
	[ "$passes" = "icount smp2" ] || cmd="BENCH_PASSES='$passes' $cmd"
	python3 "$bench/report.py" "${files[@]}" --command "$cmd" \
		--qemu "$(qemu-system-x86_64 --version | head -n 1)" \
		--host-cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		--seconds $(($(date +%s) - started)) --host-load "$host_load" \
		--remark "${BENCH_REMARK:-}" \
		--markdown "$dest/RESULTS.md" --svg "$dest/cost-vs-n.svg" ||
		fail "report: bench/report.py failed"
	printf '\nresults: %s/RESULTS.md, %s/cost-vs-n.svg; logs: %s\n' "$dest" "$dest" "$out"
	if [ ${#failures[@]} -gt 0 ]; then
		printf 'Problems:\n'
		printf '  %s\n' "${failures[@]}"
	fi
	printf 'time: %ds\n%d passed, %d failed\n' $(($(date +%s) - started)) "$npass" "$nfail"
	[ "$nfail" -eq 0 ]
}

main "$@"
