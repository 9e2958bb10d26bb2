#!/bin/sh
# Install what building and testing Skoll needs on Debian 12 (run as root; called by make).
# Does nothing when everything is present already.
set -e
PKGS="gcc make binutils cpio python3 pkg-config check qemu-system-x86 grub-common grub-pc-bin
grub-efi-amd64-bin xorriso mtools ovmf musl-tools"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "setup: installing$missing"
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
