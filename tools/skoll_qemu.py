"""How Skoll is booted under QEMU: one place for the machine configuration.

Used by the test runner, the benchmark and `make run` / `make debug`.
"""
import os

QEMU = "qemu-system-x86_64"
OVMF = "/usr/share/ovmf/OVMF.fd"
# QEMU's own default; the memory self tests walk all of RAM, so tests and benchmarks use this.
DEFAULT_MEM = "128M"


def qemu_cmd(kind, out, smp=2, mem=DEFAULT_MEM, cmdline="", serial=None, iso=None, extra=(),
             machine="q35", kernel=None, initrd=None, reboot=False):
    """Build the QEMU argument list.

    kind: "kernel" (PVH direct boot of <out>/skoll.elf with the initrd as module),
          "iso" (GRUB ISO under SeaBIOS) or "iso-uefi" (GRUB ISO under OVMF).
    serial: a file path for the serial log, or None for stdio (^C goes to the guest, not to
          QEMU: signal=off).
    reboot: a guest reset restarts the machine (make run) instead of ending QEMU.
    machine: "q35" (default; has MCFG) or "pc" (i440FX).
    kernel, initrd: other files for "kernel" boots (the Linux reference run boots Debian's
          kernel in exactly this machine; tools/linux_bench.py).
    """
    cmd = [QEMU, "-accel", "tcg", "-M", machine, "-m", mem, "-smp", str(smp),
           "-display", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           # QEMU's educational PCI device: a real interrupt source for test-irq (INTx and MSI)
           "-device", "edu"]
    if not reboot:
        cmd.append("-no-reboot")
    if serial:
        cmd += ["-serial", "file:" + serial, "-monitor", "none"]
    else:
        cmd += ["-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con", "-monitor", "none"]
    if kind == "kernel":
        cmd += ["-kernel", kernel or os.path.join(out, "skoll.elf"),
                "-initrd", initrd or os.path.join(out, "initrd.cpio"),
                "-append", cmdline]
    elif kind in ("iso", "iso-uefi"):
        cmd += ["-cdrom", iso or os.path.join(out, "skoll.iso")]
        if kind == "iso-uefi":
            cmd += ["-bios", OVMF]
    else:
        raise ValueError("unknown boot kind " + kind)
    return cmd + list(extra)


# QEMU's exit status through isa-debug-exit is (value << 1) | 1; values from kernel/include/k/qemu.h.
EXIT_PASS = 1
EXIT_FAIL = 3
EXIT_PANIC = 5
PANIC_MARKER = "*** SKOLL PANIC ***"
