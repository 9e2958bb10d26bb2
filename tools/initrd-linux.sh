#!/bin/sh
# The Linux part of the boot archive (docs/build.md, "The boot archive"), added to the staging
# directory ROOT after initrd/ and the native programs: Debian's static busybox as bin/busybox
# with every applet as a symlink to it, the empty directories a root file system needs, and the
# Linux test programs with their driver under usr/lib/skoll-tests/.
#   usage: DEBROOT=DIR tools/initrd-linux.sh ROOT LINUX_TEST_DIR PROGRAM...
# DEBROOT holds the unpacked Debian packages of tools/debian-pkgs.sh (bash, libtinfo6).
# LINUX_TEST_DIR holds musl/<program> and glibc/<program> for each PROGRAM (tests/linux/*.c,
# built by the Makefile). Run from the top of the tree.
set -e
root=$1
tests=$2
shift 2
BUSYBOX=/bin/busybox
PKG=busybox-static
fail() {
    echo "initrd-linux: $*" >&2
    exit 1
}

# The busybox must be the one Debian's busybox-static installed, unchanged (another busybox may
# be dynamically linked, or configured differently from the one the golden files came from).
owner=$(dpkg-query -S "$BUSYBOX" 2>/dev/null) || owner=
[ "$owner" = "$PKG: $BUSYBOX" ] ||
    fail "$BUSYBOX is not the file of Debian's $PKG package (dpkg says: '${owner:-no package}'); install it with tools/setup.sh (apt-get install $PKG)"
changed=$(dpkg --verify "$PKG") || fail "dpkg --verify $PKG failed"
case "$changed" in
*"$BUSYBOX"*) fail "$BUSYBOX differs from what $PKG installed (dpkg --verify: $changed); reinstall $PKG" ;;
esac
cp "$BUSYBOX" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"

# Applet links at the paths busybox itself lists (bin/sh, sbin/init, usr/bin/awk...). A path
# taken already (a native program in bin/, a file of initrd/) is an error, not an overwrite.
applets=$("$root/bin/busybox" --list-full) || fail "$BUSYBOX --list-full failed"
n=0
for a in $applets; do
    [ "$a" = bin/busybox ] && continue
    if [ -e "$root/$a" ] || [ -L "$root/$a" ]; then
        fail "busybox applet /$a clashes with a file already in the boot archive (a native program or a file of initrd/)"
    fi
    mkdir -p "$root/$(dirname "$a")"
    ln -s /bin/busybox "$root/$a"
    n=$((n + 1))
done
[ "$n" -gt 100 ] || fail "only $n applets listed by busybox --list-full"

# Debian's C library for the dynamically linked programs (the test programs of dyn.list, built
# against it here): the files of the installed libc6 package, unchanged, at their Debian paths.
# (libgcc_s: glibc loads it with dlopen to unwind a thread's stack, pthread_exit/cancel)
mkdir -p "$root/lib/x86_64-linux-gnu" "$root/lib64"
for pf in libc6:amd64:/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
    libc6:amd64:/lib/x86_64-linux-gnu/libc.so.6 libgcc-s1:amd64:/lib/x86_64-linux-gnu/libgcc_s.so.1; do
    f=/${pf#*:/}
    pkg=${pf%%:/*}
    owner=$(dpkg-query -S "$f" 2>/dev/null) || owner=
    [ "$owner" = "$pkg: $f" ] || fail "$f is not the file of Debian's $pkg (dpkg says: '${owner:-no package}')"
    cp "$f" "$root$f"
done
ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"

# Debian's bash and the library it needs besides libc, unpacked from the downloaded packages
# (tools/debian-pkgs.sh, into $DEBROOT)
[ -n "$DEBROOT" ] && [ -x "$DEBROOT/bin/bash" ] || fail "no bash unpacked in DEBROOT ('$DEBROOT'): tools/debian-pkgs.sh"
[ ! -e "$root/bin/bash" ] || fail "bin/bash is taken already in the boot archive"
cp "$DEBROOT/bin/bash" "$root/bin/bash"
cp -P "$DEBROOT"/lib/x86_64-linux-gnu/libtinfo.so.6* "$root/lib/x86_64-linux-gnu/"

# Directories git cannot hold because they are empty.
for d in proc dev sys tmp root mnt home; do
    mkdir -p "$root/$d"
done
chmod 1777 "$root/tmp"
chmod 700 "$root/root"

# The Linux test programs, their case list and sh scripts, the driver and the benchmark's
# shell script.
t=$root/usr/lib/skoll-tests
mkdir -p "$t/musl" "$t/glibc" "$t/dyn" "$t/sh"
for p in "$@"; do
    cp "$tests/musl/$p" "$t/musl/$p"
    cp "$tests/glibc/$p" "$t/glibc/$p"
    [ ! -f "$tests/dyn/$p" ] || cp "$tests/dyn/$p" "$t/dyn/$p"
done
for s in tests/linux/sh/*.sh; do
    [ -f "$s" ] && cp "$s" "$t/sh/"
done
mkdir -p "$t/bench"
cp tests/linux/bench/script.sh "$t/bench/script.sh"
chmod 755 "$t/bench/script.sh"
cp tests/linux/cases.list "$t/cases.list"
cp tests/linux/dyn.list "$t/dyn.list"
cp tests/linux/driver.sh "$t/driver"
chmod 755 "$t/driver"
