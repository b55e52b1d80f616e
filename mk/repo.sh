#!/bin/bash
# make repo: the packages of PKG_OUT as a signed apt repository and an rpm
# repository, in one directory (REPO_OUT) that any web server or a file://
# URL serves as it is:
#   dists/SUITE/Release, InRelease, Release.gpg      signed by the key
#   dists/SUITE/main/binary-ARCH/Packages, .gz       one per architecture
#   pool/main/k/kds/*.deb
#   rpm/*.rpm (signed), rpm/repodata/ (createrepo_c; repomd.xml.asc)
#   kds-archive-keyring.gpg, .asc                    the public key
#   kds.sources (apt, deb822), kds.repo (dnf)        for REPO_URL
# The pool and rpm/ keep the versions built into them before, so that the
# repository offers an upgrade; delete REPO_OUT to start over.
#
# The key: KDS_SIGNING_KEY, a key id in the user's keyring; else the key
# this script creates once in REPO_GNUPGHOME ("kds repository signing key",
# no passphrase), kept there for the next versions.
#
# Environment (set by mk/repo.mk): PKG_OUT, PKG_VERSION, PKG_DEB_VERSION,
# REPO_OUT,
# REPO_SUITE, REPO_URL, REPO_GNUPGHOME, KDS_SIGNING_KEY, REPO_KINDS ("deb
# rpm", or "deb" for the apt repository alone).
set -euo pipefail

say() { printf '%s\n' "$*" >&2; }
die() { say "make repo: $*"; exit 1; }

version=$PKG_VERSION
deb_version=${PKG_DEB_VERSION:-$PKG_VERSION}
out=$REPO_OUT
suite=$REPO_SUITE
url=${REPO_URL:-file://$out}
kinds=" ${REPO_KINDS:-deb rpm} "
name="kds repository signing key"

# The key, by fingerprint, and gpg pointed at its keyring.
if [ -n "${KDS_SIGNING_KEY-}" ]; then
	gpg=(gpg --batch)
	home=${GNUPGHOME:-$HOME/.gnupg}
	key=$KDS_SIGNING_KEY
	"${gpg[@]}" --list-secret-keys "$key" >/dev/null 2>&1 ||
		die "KDS_SIGNING_KEY=$key: no secret key of that id in the keyring"
else
	home=$REPO_GNUPGHOME
	gpg=(gpg --batch --homedir "$home")
	if ! "${gpg[@]}" --list-secret-keys "$name" >/dev/null 2>&1; then
		mkdir -p "$home" || die "cannot create $home: set REPO_GNUPGHOME or KDS_SIGNING_KEY"
		chmod 700 "$home"
		say "make repo: creating the signing key '$name' in $home"
		"${gpg[@]}" --passphrase '' --quick-gen-key "$name" ed25519 sign never
	fi
	key=$name
	trap 'gpgconf --homedir "$home" --kill gpg-agent 2>/dev/null || true' EXIT
fi
fpr=$("${gpg[@]}" --with-colons --list-secret-keys "$key" | awk -F: '$1 == "fpr" { print $10; exit }')
[ -n "$fpr" ] || die "no fingerprint for key '$key'"
sign=("${gpg[@]}" --yes --local-user "$fpr" --digest-algo SHA512)

shopt -s nullglob
debs=("$PKG_OUT"/*_"$deb_version"_*.deb)
rpms=()
for f in "$PKG_OUT"/*-"$version"-*.rpm; do
	case "$f" in *.src.rpm) ;; *) rpms+=("$f") ;; esac
done
[ "${#debs[@]}" -gt 0 ] || die "no .deb of version $deb_version in $PKG_OUT: run 'make deb' first"
[ "${#rpms[@]}" -gt 0 ] || [[ "$kinds" != *" rpm "* ]] || die "no .rpm of version $version in $PKG_OUT: run 'make rpm' first"

# apt: the pool, one Packages per architecture (with the arch-all
# packages in each), then the Release the key signs.
mkdir -p "$out/pool/main/k/kds"
cp -f "${debs[@]}" "$out/pool/main/k/kds/"
rm -rf "$out/dists/$suite"
archs=$(for d in "$out"/pool/main/k/kds/*.deb; do dpkg-deb -f "$d" Architecture; done |
	grep -vx all | sort -u | tr '\n' ' ')
archs=${archs% }
[ -n "$archs" ] || archs=$(dpkg --print-architecture)
for a in $archs; do
	d=$out/dists/$suite/main/binary-$a
	mkdir -p "$d"
	(cd "$out" && apt-ftparchive --arch "$a" packages pool) >"$d/Packages"
	gzip -9n <"$d/Packages" >"$d/Packages.gz"
done
r=APT::FTPArchive::Release
(cd "$out/dists/$suite" && apt-ftparchive \
	-o "$r::Origin=kds" -o "$r::Label=kds" -o "$r::Suite=$suite" -o "$r::Codename=$suite" \
	-o "$r::Architectures=$archs" -o "$r::Components=main" \
	-o "$r::Description=kds: kernel data structures behind a misc device" \
	release .) >"$out/Release.new"
mv "$out/Release.new" "$out/dists/$suite/Release"
"${sign[@]}" --clearsign -o "$out/dists/$suite/InRelease" "$out/dists/$suite/Release"
"${sign[@]}" --armor --detach-sign -o "$out/dists/$suite/Release.gpg" "$out/dists/$suite/Release"

if [[ "$kinds" == *" rpm "* ]]; then
	# rpm: the binary packages, signed, and their repodata, whose repomd.xml
	# is signed too.  (Debian's rpm calls gpg gpg2.)
	mkdir -p "$out/rpm"
	cp -f "${rpms[@]}" "$out/rpm/"
	(cd "$out/rpm" && rpmsign --addsign --define "__gpg $(command -v gpg)" --define "_gpg_path $home" \
		--define "_gpg_name $fpr" "${rpms[@]##*/}") </dev/null
	createrepo_c --quiet "$out/rpm"
	"${sign[@]}" --armor --detach-sign -o "$out/rpm/repodata/repomd.xml.asc" \
		"$out/rpm/repodata/repomd.xml"
fi
# The public key, binary (for /etc/apt/keyrings) and armored (for dnf).
"${gpg[@]}" --export --export-options export-minimal "$fpr" >"$out/kds-archive-keyring.gpg"
"${gpg[@]}" --armor --export --export-options export-minimal "$fpr" >"$out/kds-archive-keyring.asc"

cat >"$out/kds.sources" <<EOF
Types: deb
URIs: $url
Suites: $suite
Components: main
Signed-By: /etc/apt/keyrings/kds-archive-keyring.gpg
EOF
[[ "$kinds" != *" rpm "* ]] ||
	cat >"$out/kds.repo" <<EOF
[kds]
name=kds
baseurl=$url/rpm
enabled=1
repo_gpgcheck=1
gpgcheck=1
gpgkey=$url/kds-archive-keyring.asc
EOF

say "make repo: $out (suite $suite, $archs; signed by $fpr)"
