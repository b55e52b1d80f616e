#!/bin/bash
# Build (or reuse) the cached root of a foreign kernel line:
#   mkrootfs.sh LINE        (i386, arm64, armhf, riscv64, ppc64el, s390x:
#                           line_arch in lib.sh)
# Debian's own packages of that architecture, unpacked, never run (the
# host cannot run i386 binaries, nor arm64 without emulation): the
# headers the modules are built against and, for a line that boots, the
# kernel image and its modules' tree, and the static busybox and kmod
# (with its libraries) that go into the line's initramfs.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

line=${1:?usage: mkrootfs.sh LINE}
arch=$(line_arch "$line")
flavour=$(line_flavour "$line")
rel=$(line_chroot "$line")
mirror=$(debian_mirror)
case "$rel" in
bookworm) suites="bookworm bookworm-updates" ;;
trixie) suites="trixie trixie-updates" ;;
*) die "no foreign root for release '$rel'" ;;
esac

# The newest kernel of the suites' $arch index whose image (for a line that
# boots), headers and the packages the headers depend on (their -common
# and linux-kbuild) the mirror serves: a mirror may list a point release
# before it has that architecture's files (trixie's 6.12.117 of s390x and
# ppc64el answered 404 while 6.12.107 was there). Prints "<abi> <kbuild
# package>", writes the pool paths of its image, headers and -common to
# $dir.new.debs, and says on stderr which version was taken and why.
served_kernel() {
	local tmp s v p f code why="" got=""
	tmp=$(mktemp -d)
	for s in $suites; do
		/usr/lib/apt/apt-helper -q download-file \
			"$mirror/dists/$s/main/binary-$arch/Packages.xz" "$tmp/$s.xz" >/dev/null 2>&1 ||
			continue
		xz -dc "$tmp/$s.xz"
		echo
	done |
		awk '/^Package: /{ p = $2 } /^Depends: /{ d = $0 } /^Filename: /{ f = $2 }
			/^$/ { if (p ~ /^linux-(image|headers|kbuild)-/) print p, f, d; p = d = f = "" }' \
			>"$tmp/index"
	# "<abi>" of every linux-image-<abi>-<flavour>, newest first: 6.12.117+deb13, 6.1.0-50.
	while read -r v; do
		local need=("linux-headers-$v-$flavour") kb=""
		line_boots "$line" && need+=("linux-image-$v-$flavour")
		while read -r p; do
			need+=("$p")
			case "$p" in linux-kbuild-*) kb=$p ;; esac
		done < <(grep -m1 "^linux-headers-$v-$flavour " "$tmp/index" | sed 's/.* Depends: //' |
			grep -oE 'linux-(headers|kbuild)-[^ ,]+')
		got=$v
		: >"$dir.new.debs"
		for p in "${need[@]}"; do
			f=$(awk -v p="$p" '$1 == p { print $2 }' "$tmp/index" | sort -V | tail -n 1)
			code="not in the index"
			[ -z "$f" ] || code=$(curl -s -o /dev/null -I -w '%{http_code}' "$mirror/$f" || true)
			if [ "$code" != 200 ]; then
				why="$why${why:+; }$p: $code"
				got=""
				break
			fi
			case "$p" in linux-kbuild-*) ;; *) echo "$f" >>"$dir.new.debs" ;; esac
		done
		if [ -n "$got" ]; then
			say "kds-test: line $line: kernel $v${why:+ (newer ones not served: $why)}"
			printf "kernel %s%s" "$v" "${why:+ (newer not served: $why)}" >"$dir.new.why"
			echo "$v $kb"
			break
		fi
	done < <(sed -nE "s/^linux-headers-([0-9][^- ]*(-[0-9]+)?)-$flavour .*/\1/p" "$tmp/index" |
		sort -uVr)
	[ -n "$got" ] || say "kds-test: line $line: no $flavour kernel the mirror serves (${why:-none in the index})"
	rm -rf "$tmp"
	[ -n "$got" ]
}

dir="$KDS_CACHE/rootfs-$line"
stamp="$dir/.kds-stamp"

dates=$(suite_dates "$mirror" $suites)
want="$(sha256sum <"$here/mkrootfs.sh" | cut -c1-16) $(echo "$dates" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then
	[ "$(cat "$stamp")" = "$want" ] && exit 0
	case "$dates" in *unreachable*) exit 0 ;; esac
fi
rm -rf --one-file-system "$dir.new" "$dir.new.why" "$dir.new.debs" "$dir.new.user"
mkdir -p "$KDS_CACHE"
read -r _ kbuild < <(served_kernel) || die "line $line: no kernel to unpack"
# The kernel's packages, unpacked from the pool without their
# dependencies (a root of libraries is not needed to build against the
# headers, and the newest libc6 of s390x answered 404 too).
mkdir -p "$dir.new"
while read -r f; do
	say "kds-test: unpacking ${f##*/}"
	/usr/lib/apt/apt-helper -q download-file "$mirror/$f" "$dir.new/.pkg.deb" >/dev/null 2>&1 ||
		die "line $line: cannot download $f"
	dpkg-deb -x "$dir.new/.pkg.deb" "$dir.new"
	rm -f "$dir.new/.pkg.deb"
done <"$dir.new.debs"
rm -f "$dir.new.debs"
# For a line that boots: busybox-static and kmod with its libraries, of
# the line's release, else of bookworm (the amd64 lines run bookworm's
# kmod on every kernel too) when the mirror lacks some of the release's.
if line_boots "$line"; then
	for r in "$rel" bookworm; do
		sources=()
		for s in $suites; do
			sources+=("deb $mirror ${s/#$rel/$r} main")
		done
		say "kds-test: unpacking $r's busybox-static and kmod for $arch"
		if mmdebstrap --quiet --mode=root --variant=extract --architectures="$arch" \
			--include=busybox-static,kmod --aptopt='Acquire::Check-Valid-Until "false"' \
			"$r" "$dir.new.user" "${sources[@]}"; then
			cp -a "$dir.new.user/." "$dir.new/"
			printf ", busybox and kmod of %s" "$r" >>"$dir.new.why"
			break
		fi
		rm -rf --one-file-system "$dir.new.user"
		[ "$r" = bookworm ] && die "line $line: no busybox-static and kmod of $arch the mirror serves"
	done
	rm -rf --one-file-system "$dir.new.user"
fi
# The headers' scripts are the host's linux-kbuild of their version,
# which the build chroot may not have (its kernel may be newer): it is
# unpacked beside, in host-kbuild/, and check.sh copies it in.
if [ -n "$kbuild" ]; then
	f=$(/usr/lib/apt/apt-helper -q download-file "$mirror/dists/$rel/main/binary-$(dpkg --print-architecture)/Packages.xz" \
		"$dir.new/.index.xz" >/dev/null 2>&1 && xz -dc "$dir.new/.index.xz" |
		awk -v p="$kbuild" '/^Package: /{ q = $2 } /^Filename: /{ if (q == p) print $2 }' | sort -V | tail -n 1)
	rm -f "$dir.new/.index.xz"
	[ -n "$f" ] || die "line $line: no $kbuild for $(dpkg --print-architecture) in $rel"
	/usr/lib/apt/apt-helper -q download-file "$mirror/$f" "$dir.new/.kbuild.deb" >/dev/null 2>&1 ||
		die "line $line: cannot download $f"
	dpkg-deb -x "$dir.new/.kbuild.deb" "$dir.new/host-kbuild"
	rm -f "$dir.new/.kbuild.deb"
fi
mv "$dir.new.why" "$dir.new/.kds-kernel"
echo "$want" >"$dir.new/.kds-stamp"
rm -rf --one-file-system "$dir"
mv "$dir.new" "$dir"
