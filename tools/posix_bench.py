#!/usr/bin/env python3
"""The POSIX server's benchmark on Skoll and on Linux (docs/bench.md, "The POSIX server").

One static Linux program, tests/linux/posixbench.c (musl build, in the boot archive at
/usr/lib/skoll-tests/musl/posixbench), runs unchanged on both systems in the same QEMU
machine and prints `bench posix_<name> <value> <unit>` lines:

- Skoll: the release build boots with the POSIX server running posixbench as its first
  program, at -smp 2 (every case) and at -smp 1 (getppid alone: client and server share the
  CPU); posix_getppid_ns is renamed posix_getppid_2cpu_ns / posix_getppid_1cpu_ns.
- Linux: Debian's kernel (tools/linux_kernel.py) boots Skoll's own boot archive (so every
  path is the same) with rdinit=posixbench, at -smp 2, once with idle CPUs halting and once
  with idle=poll (names tagged _idlepoll_, as tools/linux_bench.py does): Skoll's idle CPUs
  watch for work before halting.
- Boot time: Skoll from starting QEMU to busybox's shell prompt on the serial console (the
  system boot of `make run`), posix_boot_to_prompt_ms; Linux from starting QEMU to its first
  process printing a line (posixbench boot as /init), posix_boot_to_init_ms; medians.

Run alone it prints both sides' lines and the comparison rows of tools/bench_compare.py;
tools/bench.py imports skoll_figures() and linux_figures().
"""
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_compare import IDLE_POLL_TAG, idle_poll_name, parse_lines  # noqa: E402
from linux_kernel import (APPEND, DEFAULT_CACHE, ROOT, LinuxUnavailable,  # noqa: E402
                          boot, fetch_kernel, note)
from linux_ref import pack_initramfs  # noqa: E402
from skoll_qemu import EXIT_PASS, qemu_cmd  # noqa: E402

PROGRAM = "/usr/lib/skoll-tests/musl/posixbench"
SKOLL_RUN = "usertests=posix posix.args=%s qemu_exit" % PROGRAM
PROMPT = re.compile(rb"skoll:/# ")
LINUX_MARK = b"posixbench: init reached"
BOOT_RUNS = int(os.environ.get("BENCH_BOOT_RUNS", "5"))
# Both systems get this much memory here: Linux unpacks the whole boot archive (every test
# binary) into RAM before it starts, and no longer could at the test machine's 128 MiB.
MEM = "256M"
TIMEOUT_S = 900


def _serial_lines(text):
    """The program's `bench` and `#` lines from a serial log (user lines may be prefixed)."""
    out = []
    for ln in text.replace("\r", "").splitlines():
        ln = ln.strip()
        if ln.startswith("| "):
            ln = ln[2:]
        if ln.startswith(("bench posix_", "#   posix_", "# posix")):
            out.append(ln)
    return out


def _renamed(figures, old, new):
    if old in figures:
        figures[new] = figures.pop(old)
    return figures


def _time_to(cmd, pattern, after=None, timeout=120):
    """Starts QEMU (serial on stdout) and returns the ms until pattern appears; then writes
    `after` (if any) and waits for QEMU to end (killing it after a while)."""
    start = time.monotonic()
    proc = subprocess.Popen(["timeout", str(timeout)] + cmd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    seen = b""
    ms = None
    try:
        while True:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            seen += chunk
            if pattern.search(seen) if hasattr(pattern, "search") else pattern in seen:
                ms = (time.monotonic() - start) * 1000.0
                break
        if ms is not None and after:
            proc.stdin.write(after)
            proc.stdin.flush()
        proc.wait(timeout=30)
    except (subprocess.TimeoutExpired, OSError):
        proc.kill()
        proc.wait()
    if ms is None:
        raise RuntimeError("the boot never printed %r; output ended with %r" %
                           (getattr(pattern, "pattern", pattern), seen[-300:]))
    return ms


def skoll_figures(out, log):
    """Skoll's side from the build in out; returns ({name: (value, unit)}, [lines])."""
    figures, lines = {}, []
    for smp, args, tag in ((2, "", "2cpu"), (1, ",getppid", "1cpu")):
        cmd = qemu_cmd("kernel", out, smp=smp, cmdline=SKOLL_RUN.replace(PROGRAM, PROGRAM + args),
                       serial=log, mem=MEM)
        if os.path.exists(log):
            os.remove(log)
        proc = subprocess.run(["timeout", str(TIMEOUT_S)] + cmd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(log, errors="replace") as f:
            text = f.read()
        if proc.returncode != EXIT_PASS or "PASS posixbench" not in text:
            raise RuntimeError("posixbench on Skoll (-smp %d) failed, QEMU status %d (see %s)"
                               % (smp, proc.returncode, log))
        found = _renamed(parse_lines(text), "posix_getppid_ns", "posix_getppid_%s_ns" % tag)
        figures.update(found)
        lines += [ln.replace("posix_getppid_ns", "posix_getppid_%s_ns" % tag)
                  for ln in _serial_lines(text)]
    times = []
    for _ in range(BOOT_RUNS):
        times.append(_time_to(qemu_cmd("kernel", out, smp=2, cmdline="", mem=MEM), PROMPT,
                              after=b"poweroff -f\r"))
    figures["posix_boot_to_prompt_ms"] = (statistics.median(times), "ms")
    lines.append("bench posix_boot_to_prompt_ms %.0f ms" % statistics.median(times))
    lines.append("#   posix_boot_to_prompt_ms: median of %d boots at -smp 2 (QEMU start to "
                 "busybox's prompt); min %.0f, max %.0f" % (BOOT_RUNS, min(times), max(times)))
    return figures, lines


def linux_figures(out, cache=DEFAULT_CACHE):
    """Linux's side, the same program in Skoll's archive; returns ({name: (value, unit)},
    [`linux ...` and `#` lines]). Raises LinuxUnavailable when it cannot run."""
    vmlinuz, desc = fetch_kernel(cache)
    work = os.path.join(ROOT, "build", "linux-posixbench")
    os.makedirs(work, exist_ok=True)
    initramfs = pack_initramfs(os.path.join(out, "initrd.cpio"),
                               os.path.join(work, "initramfs.cpio"))
    log = os.path.join(work, "serial.log")
    figures, lines = {}, ["# linux posixbench: %s" % desc]
    base = APPEND + " loglevel=1 rdinit=" + PROGRAM
    for extra, tag in (("", None), (" idle=poll", IDLE_POLL_TAG)):
        status, stderr, text, secs = boot(vmlinuz, initramfs, log, 2, base + extra, TIMEOUT_S,
                                          mem=MEM)
        if "PASS posixbench" not in text:
            raise LinuxUnavailable("posixbench on Linux%s did not finish (QEMU status %d, %s; "
                                   "see %s)" % (extra, status, stderr[-200:], log))
        found = parse_lines(text)
        for name, fig in found.items():
            figures[idle_poll_name(name) if tag else name] = fig
        for ln in _serial_lines(text):
            if ln.startswith("bench "):
                name = ln.split()[1]
                ln = "linux " + ln[len("bench "):].replace(
                    name, idle_poll_name(name) if tag else name, 1)
            lines.append(ln)
    times = []
    cmd = qemu_cmd("kernel", None, smp=2, cmdline=base + " -- boot", kernel=vmlinuz,
                   initrd=initramfs, mem=MEM)
    for _ in range(BOOT_RUNS):
        times.append(_time_to(cmd, LINUX_MARK))
    figures["posix_boot_to_init_ms"] = (statistics.median(times), "ms")
    lines.append("linux posix_boot_to_init_ms %.0f ms" % statistics.median(times))
    lines.append("#   posix_boot_to_init_ms: median of %d boots at -smp 2 (QEMU start to "
                 "/init's first line); min %.0f, max %.0f" % (BOOT_RUNS, min(times), max(times)))
    return figures, lines


def main():
    from bench_compare import print_comparison
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "release")
    skoll, lines = skoll_figures(out, os.path.join(out, "posixbench.log"))
    print("\n".join(lines), flush=True)
    try:
        linux, llines = linux_figures(out)
        print("\n".join(llines), flush=True)
    except LinuxUnavailable as e:
        note("linux: UNAVAILABLE: %s" % e)
        linux = {}
    print_comparison(skoll, linux)


if __name__ == "__main__":
    main()
