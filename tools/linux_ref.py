#!/usr/bin/env python3
"""The differential tests' reference: the driver's cases run on Debian's Linux kernel.

`make linux-golden` runs this (docs/testing.md, "Differential tests against Linux"):

1. kernel: Debian's, from tools/linux_kernel.py (cached in build/linux/, shared with the
   Linux benchmark).
2. initramfs: Skoll's own boot archive (build/initrd.cpio: busybox and its applet links, the
   Linux test programs, the driver, /etc; Skoll's native programs ride along unused), followed
   by a small archive adding /dev/console. So every path a case sees is the one it sees on
   Skoll, by construction.
3. boot: the same QEMU machine as Skoll's test boots (TCG, q35, 128 MiB), with
   `rdinit=/usr/lib/skoll-tests/driver`: the driver is Linux's first process. It runs the
   cases (all, or those the patterns after `--` choose), framing each one's output, then
   powers off.
4. golden files: each case's output and status as tests/linux/golden/<variant>/<case>.out
   (format in tools/linux_diff.py). Nothing is written unless every planned case ended and the
   driver printed `=== DONE`; a full run (no patterns) also removes golden files of cases that
   no longer exist.

--check compares the run with the golden files instead of writing them (is Linux's output
stable?). The serial log is build/linux-ref/serial.log.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from linux_diff import DEFAULT_GOLDEN, compare, golden_cases, golden_text, parse_log  # noqa: E402
from linux_kernel import (APPEND, DEFAULT_CACHE, ROOT, LinuxUnavailable, boot,  # noqa: E402
                          cpio_entry, fetch_kernel, note)

DRIVER = "/usr/lib/skoll-tests/driver"
WORK = os.path.join(ROOT, "build", "linux-ref")
BOOT_TIMEOUT_S = 300
# Kernel messages at warning level would land among the cases' output; loglevel=1 leaves
# only emergencies (a panic) on the console.
REF_APPEND = APPEND + " loglevel=1 rdinit=" + DRIVER


def pack_initramfs(archive, path):
    """Skoll's boot archive followed by /dev and /dev/console; returns path."""
    with open(archive, "rb") as f:
        data = f.read()
    data += b"\0" * (-len(data) % 4)
    data += (cpio_entry("dev", 0o040755, ino=900001)
             + cpio_entry("dev/console", 0o020600, rdev=(5, 1), ino=900002)
             + cpio_entry("TRAILER!!!", 0, ino=0))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    return path


def run_linux(archive, cache=DEFAULT_CACHE, smp=2, refresh=False, patterns=()):
    """Boots Linux with the driver; returns (serial text, kernel description).

    Raises LinuxUnavailable when the run cannot be had or did not complete.
    """
    if not os.path.exists(archive):
        raise LinuxUnavailable("no boot archive %s (run make first)" % archive)
    vmlinuz, desc = fetch_kernel(cache, refresh)
    initramfs = pack_initramfs(archive, os.path.join(WORK, "initramfs.cpio"))
    log = os.path.join(WORK, "serial.log")
    append = REF_APPEND + ("" if not patterns else " -- " + " ".join(patterns))
    note("booting %s with %s as init (log %s)" % (os.path.basename(vmlinuz), DRIVER,
                                                   os.path.relpath(log, ROOT)))
    # (more memory than the test machine's: Linux unpacks the whole boot archive, every test
    # binary, into its RAM-backed root and ran out at 128 MiB; no golden output depends on it)
    status, stderr, text, secs = boot(vmlinuz, initramfs, log, smp, append, BOOT_TIMEOUT_S,
                                      mem="512M")
    note("QEMU ran %.1f s" % secs)
    run = parse_log(text)
    why = None
    if status == 124:
        why = "timed out after %d s" % BOOT_TIMEOUT_S
    elif status != 0:
        why = "QEMU exit status %d%s" % (status, ": " + stderr if stderr else "")
    elif not run.planned:
        why = "the driver planned no case"
    elif run.unfinished:
        why = "case %s began and never ended" % run.unfinished[0]
    elif any(c not in run.results for c in run.planned):
        why = "planned cases never ran: %s" % ", ".join(
            c for c in run.planned if c not in run.results)
    elif not run.done:
        why = "no === DONE from the driver"
    if why:
        raise LinuxUnavailable("the Linux reference run failed (%s; serial log %s)"
                               % (why, os.path.relpath(log, ROOT)))
    return text, desc


def write_golden(text, golden_dir, full, report=note):
    """Writes one golden file per case of the log; with full, removes the others.

    Returns (cases written, files changed, files removed); report() is told each change.
    """
    run = parse_log(text)
    written = changed = 0
    for case in run.planned:
        lines, status = run.results[case]
        path = os.path.join(golden_dir, case + ".out")
        new = golden_text(lines, status)
        old = None
        if os.path.exists(path):
            with open(path) as f:
                old = f.read()
        if old != new:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(new)
            changed += 1
            report("%s %s" % ("updated" if old is not None else "new", os.path.relpath(path, ROOT)))
        written += 1
    removed = 0
    if full:
        for case, path in golden_cases(golden_dir).items():
            if case not in run.results:
                os.remove(path)
                removed += 1
                report("removed %s (no such case)" % os.path.relpath(path, ROOT))
    return written, changed, removed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("patterns", nargs="*", help="cases to run (driver patterns, e.g. 'musl/*')")
    ap.add_argument("--archive", default=os.path.join(ROOT, "build", "initrd.cpio"))
    ap.add_argument("--golden", default=DEFAULT_GOLDEN)
    ap.add_argument("--cache", default=DEFAULT_CACHE, help="kernel cache (build/linux)")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--refresh", action="store_true", help="fetch the current Debian kernel")
    ap.add_argument("--check", action="store_true",
                    help="compare with the golden files instead of writing them")
    args = ap.parse_args()
    try:
        text, desc = run_linux(args.archive, args.cache, args.smp, args.refresh, args.patterns)
    except LinuxUnavailable as e:
        note("unavailable: %s" % e)
        return 1
    if args.check:
        results = compare(text, args.golden, require_all=not args.patterns)
        for status, name, reason in results:
            print("%s %s%s" % (status, name, ": " + reason if reason else ""))
        failed = sum(1 for r in results if r[0] == "FAIL")
        print("%d passed, %d failed" % (len(results) - failed, failed))
        return 1 if failed else 0
    written, changed, removed = write_golden(text, args.golden, not args.patterns)
    print("linux-golden: %d cases from %s: %d changed, %d removed (%s)"
          % (written, desc, changed, removed, os.path.relpath(args.golden, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
