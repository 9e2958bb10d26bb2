#!/bin/sh
# Install what building and testing Skoll needs on Debian 12 (called by make; see docs/build.md).
# Does nothing when everything is present already. As root it runs apt-get itself; otherwise it
# uses sudo when there is one, and without sudo it says what to install and fails.
set -e
# busybox-static: its /bin/busybox goes into the boot archive (docs/build.md); libc6-dev: glibc's
# static libc.a for the Linux test programs (gcc only recommends it).
PKGS="gcc make binutils cpio python3 pkg-config check qemu-system-x86 grub-common grub-pc-bin
grub-efi-amd64-bin xorriso mtools ovmf musl-tools busybox-static libc6-dev"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get; Skoll's build expects Debian 12. Install the equivalents of:" >&2
    echo "setup:$missing" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then
    SUDO=
elif command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
else
    echo "setup: these Debian packages are missing and there is no sudo to install them:" >&2
    echo "setup:$missing" >&2
    echo "setup: as root, run:  apt-get install --no-install-recommends$missing" >&2
    echo "setup: (or run this make command as root), then run make again." >&2
    exit 1
fi
echo "setup: installing$missing"
# (env after sudo: sudo drops the caller's environment.) An earlier run interrupted inside dpkg
# leaves packages half configured, and apt-get refuses to install anything until they are done.
$SUDO env DEBIAN_FRONTEND=noninteractive dpkg --configure -a
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
