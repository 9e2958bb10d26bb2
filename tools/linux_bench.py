#!/usr/bin/env python3
"""The Linux reference run: Debian's kernel in Skoll's QEMU machine, running tools/linuxbench.

Every Skoll performance figure is read as a ratio against Linux measured the same way; this
produces the Linux side (docs/bench.md). Steps, each cached in build/linux/:

1. kernel: Debian's, fetched once by tools/linux_kernel.py (shared with the differential
   tests' reference run, tools/linux_ref.py) into build/linux/vmlinuz; `--refresh` (or
   removing build/linux) fetches the current one.
2. benchmark: tools/linuxbench/*.c built with `musl-gcc -static -O2`, rebuilt when a source is
   newer than the binary.
3. initramfs: a newc cpio holding /dev/console and the benchmark as /init.
4. boot: qemu_cmd() from skoll_qemu.py (TCG, q35, same -m and -smp as Skoll) with
   `-kernel vmlinuz -initrd initramfs`; /init leaves QEMU through isa-debug-exit when done.
5. a second boot with `idle=poll` (IDLE_POLL_APPEND) running only the cases that need two
   CPUs, their names tagged `_idlepoll` (pipe_roundtrip_2cpu_idlepoll_ns): Skoll's idle CPUs
   and blocking drives watch for work before halting, Linux's halt, so every 2-CPU row is
   also measured with Linux's idle CPUs polling; the comparison reads Skoll against the
   faster of the two (tools/bench_compare.py).

Run alone it prints the benchmark's `linux <name> <value> <unit>` lines; tools/bench.py
imports linux_figures().
"""
import argparse
import glob
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_compare import parse_lines  # noqa: E402
from linux_kernel import (APPEND, DEFAULT_CACHE, ROOT, LinuxUnavailable,  # noqa: E402,F401
                          cpio_entry, fetch_kernel, note, run)
from linux_kernel import boot as boot_kernel  # noqa: E402
from skoll_qemu import EXIT_PASS  # noqa: E402

SRC_DIR = os.path.join(HERE, "linuxbench")
# The second boot configuration: idle CPUs poll instead of halting (docs/bench.md); only
# the 2-CPU cases run, printed as <name>_idlepoll_<unit>.
IDLE_POLL_APPEND = "idle=poll lbmincpus=2 lbtag=idlepoll"
BOOT_TIMEOUT_S = 180
CFLAGS = ["-static", "-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-pthread"]


def build_benchmark(cache):
    """Builds the static benchmark when a source is newer; returns its path."""
    out = os.path.join(cache, "linuxbench")
    srcs = sorted(glob.glob(os.path.join(SRC_DIR, "*.c")))
    deps = srcs + glob.glob(os.path.join(SRC_DIR, "*.h")) + [os.path.abspath(__file__)]
    if os.path.exists(out) and os.path.getmtime(out) >= max(os.path.getmtime(d) for d in deps):
        return out
    if not shutil.which("musl-gcc"):
        raise LinuxUnavailable("musl-gcc not found (package musl-tools, which tools/setup.sh "
                               "installs)")
    os.makedirs(cache, exist_ok=True)
    note("building %s with musl-gcc" % os.path.relpath(out, ROOT))
    proc = run(["musl-gcc"] + CFLAGS + ["-o", out + ".tmp"] + srcs)
    if proc.returncode != 0:
        raise LinuxUnavailable("building the benchmark failed:\n" + proc.stdout)
    os.replace(out + ".tmp", out)
    return out


def pack_initramfs(binary, path):
    """Writes the initramfs (uncompressed newc) when the binary is newer; returns path."""
    if os.path.exists(path) and os.path.getmtime(path) >= os.path.getmtime(binary):
        return path
    with open(binary, "rb") as f:
        init = f.read()
    # Written by hand rather than with cpio(1) so /dev/console needs no mknod (and no root).
    archive = (cpio_entry("dev", 0o040755, ino=1)
               + cpio_entry("dev/console", 0o020600, rdev=(5, 1), ino=2)
               + cpio_entry("init", 0o100755, init, ino=3)
               + cpio_entry("TRAILER!!!", 0, ino=0))
    with open(path + ".tmp", "wb") as f:
        f.write(archive)
    os.replace(path + ".tmp", path)
    return path


def boot(vmlinuz, initramfs, log, smp, scale=None, extra=""):
    """Boots Debian's kernel with the benchmark as /init; returns (figures, lines, seconds).

    figures: {name: (value, unit)} from the `linux` lines; lines: the benchmark's `linux` and
    `#` lines in order, as printed. extra: more words for the kernel command line.
    """
    append = APPEND + (" lbscale=%d" % scale if scale else "") + (" " + extra if extra else "")
    if os.environ.get("LINUX_BENCH_APPEND"):
        append += " " + os.environ["LINUX_BENCH_APPEND"]
    status, stderr, text, secs = boot_kernel(vmlinuz, initramfs, log, smp, append,
                                             BOOT_TIMEOUT_S)
    if status != EXIT_PASS:
        why = "timed out after %d s" % BOOT_TIMEOUT_S if status == 124 else \
            "QEMU exit status %d" % status
        raise LinuxUnavailable("Linux benchmark boot failed (%s; serial log %s)%s"
                               % (why, os.path.relpath(log, ROOT),
                                  (": " + stderr) if stderr else ""))
    figures = parse_lines(text, "linux")
    lines = [ln for ln in text.splitlines() if ln.startswith(("linux ", "#"))]
    if not figures:
        raise LinuxUnavailable("no `linux` lines in %s" % os.path.relpath(log, ROOT))
    return figures, lines, secs


def linux_figures(cache=DEFAULT_CACHE, smp=2, refresh=False, scale=None, idle_poll=True):
    """The whole Linux side. Returns (figures, lines, kernel description); see boot().

    With idle_poll (and two or more CPUs) Linux boots a second time with IDLE_POLL_APPEND
    and the 2-CPU cases' figures are added under their `_idlepoll` names.
    Raises LinuxUnavailable with a readable reason when any step cannot be done.
    """
    vmlinuz, desc = fetch_kernel(cache, refresh)
    binary = build_benchmark(cache)
    initramfs = pack_initramfs(binary, os.path.join(cache, "initramfs.cpio"))
    log = os.path.join(cache, "serial-smp%d.log" % smp)
    figures, lines, secs = boot(vmlinuz, initramfs, log, smp, scale)
    lines.append("# linux: %s, -smp %d, idle CPUs halt (default), QEMU ran %.1f s"
                 % (desc, smp, secs))
    if idle_poll and smp >= 2:
        log = os.path.join(cache, "serial-smp%d-idlepoll.log" % smp)
        more, more_lines, secs = boot(vmlinuz, initramfs, log, smp, scale, IDLE_POLL_APPEND)
        figures.update(more)
        lines += more_lines
        lines.append("# linux: %s, -smp %d, `%s`, QEMU ran %.1f s"
                     % (desc, smp, IDLE_POLL_APPEND, secs))
    return figures, lines, desc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", default=DEFAULT_CACHE, help="cache directory (build/linux)")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--refresh", action="store_true", help="fetch the current Debian kernel")
    ap.add_argument("--scale", type=int, help="iteration counts in percent (lbscale=)")
    ap.add_argument("--no-idle-poll", action="store_true",
                    help="skip the second boot (idle=poll, the 2-CPU cases)")
    args = ap.parse_args()
    try:
        _, lines, _ = linux_figures(args.cache, args.smp, args.refresh, args.scale,
                                    not args.no_idle_poll)
    except LinuxUnavailable as e:
        note("unavailable: %s" % e)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
