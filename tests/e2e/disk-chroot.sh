#!/bin/bash
# shellcheck disable=SC2015 # each "a && b || fail" ends in fail, which exits
# disk-chroot.sh DISK MNT SHARE PHASE: guest.sh PHASE (from SHARE) in a
# chroot of the powered-off VM disk DISK, mounted at MNT; its output on
# stdout, its exit status ours.  run.sh's chroot phases.
#
# Everything is mounted in a mount and PID namespace of its own, never in
# the host's.  A mount namespace starts as a copy of its creator's mounts:
# a chroot the kernel lines start meanwhile (in_chroot, in_root) would
# otherwise hold the disk's filesystem, which an unmount on the host then
# only detaches.  The filesystem is not written back, debugfs on the host
# reads what it held before the chroot (seen as "no kernel with an
# initrd" after the downgrade) and the next boot writes the disk while it
# is still mounted.  Here the filesystem lives while this script does: a
# process that the chroot left running (a daemon a maintainer script
# started) dies with the PID namespace, and the disk is unmounted, not
# lazily, before the script ends.  Exit status 125: the disk would not
# mount or unmount.
set -uo pipefail
# PID 1 is this script in its namespaces.
if [ "$$" != 1 ]; then
	exec unshare --mount --propagation private --pid --fork --mount-proc -- \
		bash "$0" "$@"
fi
disk=$1 mnt=$2 share=$3 phase=$4

fail() {
	echo "disk-chroot: $*" >&2
	exit 125
}

mount -o loop "$disk" "$mnt" || fail "cannot mount $disk at $mnt"
mount -t proc proc "$mnt/proc" &&
	mount --bind "$share" "$mnt/mnt" &&
	mount -t tmpfs -o mode=0755,size=1m tmpfs "$mnt/dev" ||
	fail "cannot mount /proc, /mnt or /dev in $mnt"
for n in null zero full random urandom tty; do
	touch "$mnt/dev/$n" && mount --bind "/dev/$n" "$mnt/dev/$n" ||
		fail "cannot bind /dev/$n into $mnt"
done
ln -s /proc/self/fd "$mnt/dev/fd" && ln -s /proc/self/fd/0 "$mnt/dev/stdin" &&
	ln -s /proc/self/fd/1 "$mnt/dev/stdout" && ln -s /proc/self/fd/2 "$mnt/dev/stderr" ||
	fail "cannot link /dev/fd and /dev/std* in $mnt"

rc=0
chroot "$mnt" /usr/bin/env -i HOME=/root KDS_SHARE=/mnt \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	bash /mnt/guest.sh "$phase" || rc=$?

# What the chroot left running: named, then ended (we are PID 1 here).
for p in /proc/[0-9]*; do
	[ "${p#/proc/}" != 1 ] || continue
	[ "$(readlink "$p/root" 2>/dev/null)" = "$(readlink -f "$mnt")" ] || continue
	echo "disk-chroot: ending pid ${p#/proc/} ($(cat "$p/comm" 2>/dev/null)), left running in the chroot" >&2
	kill -KILL "${p#/proc/}" 2>/dev/null
done
sleep 1

# Deepest first; a busy one is tried again for 10 s.
while read -r m; do
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		umount "$m" 2>/dev/null && continue 2
		sleep 1
	done
	fail "$m stayed busy: the disk is not unmounted"
done < <(findmnt -rn -o TARGET | grep -E "^$(readlink -f "$mnt")(/|\$)" | sort -r)
exit "$rc"
