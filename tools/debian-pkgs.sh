#!/bin/sh
# Debian packages whose files go into the boot archive unchanged (docs/build.md, "The boot
# archive"): downloaded with apt-get download (apt checks them against the archive's signed
# indexes) into CACHE, once per version, and unpacked with dpkg-deb -x into DEST. Nothing is
# installed on the build machine.
#   usage: tools/debian-pkgs.sh CACHE DEST PACKAGE...
set -e
cache=$1
dest=$2
shift 2
fail() {
    echo "debian-pkgs: $*" >&2
    exit 1
}
command -v apt-get >/dev/null 2>&1 || fail "no apt-get: the boot archive takes Debian's own packages (Debian 12 expected)"
mkdir -p "$cache"
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
for pkg in "$@"; do
    ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
    [ -n "$ver" ] && [ "$ver" != "(none)" ] ||
        fail "apt knows no version of $pkg to download (run apt-get update, as tools/setup.sh does)"
    # the file apt-get download names it (an epoch's colon is written %3a; amd64 or all)
    v=$(echo "$ver" | sed 's/:/%3a/')
    deb=$(ls "$cache/${pkg}_${v}_"*.deb 2>/dev/null | head -n 1)
    if [ -z "$deb" ]; then
        (cd "$cache" && apt-get download -q "$pkg=$ver") >&2 || fail "apt-get download $pkg=$ver failed"
        deb=$(ls "$cache/${pkg}_${v}_"*.deb 2>/dev/null | head -n 1)
    fi
    [ -n "$deb" ] && [ -s "$deb" ] || fail "apt-get download left no ${pkg}_${v}_*.deb in $cache"
    dpkg-deb -x "$deb" "$dest.tmp" || fail "dpkg-deb -x $deb failed"
done
rm -rf "$dest"
mv "$dest.tmp" "$dest"
