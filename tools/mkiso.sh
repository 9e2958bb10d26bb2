#!/bin/sh
# Build a GRUB rescue ISO (BIOS and UEFI) booting the kernel with multiboot2.
# usage: mkiso.sh out.iso kernel.elf initrd.cpio "kernel command line"
set -e
out=$1 kernel=$2 initrd=$3 cmdline=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$kernel" "$dir/boot/skoll.elf"
cp "$initrd" "$dir/boot/initrd.cpio"
cat > "$dir/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "Skoll" {
    multiboot2 /boot/skoll.elf $cmdline
    module2 /boot/initrd.cpio initrd
    boot
}
CFG
grub-mkrescue -o "$out.tmp" "$dir" >/dev/null 2>&1 || {
    echo "mkiso: grub-mkrescue failed"; grub-mkrescue -o "$out.tmp" "$dir"; rm -f "$out.tmp"; exit 1; }
mv "$out.tmp" "$out"
