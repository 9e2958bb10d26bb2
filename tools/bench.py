#!/usr/bin/env python3
"""`make bench`: benchmarks that print `bench <name> <value> <unit>` lines.

boot_to_selftests_ms: wall time from starting QEMU (TCG, direct PVH boot, -smp 2, 128M)
to QEMU's exit after the kernel ran all self tests; the median of several runs, with
min and max beside it. Goal (issue 2): under 300 ms.

Skoll's own figures also come from its serial port: any `bench <name> <value> <unit>` line
that the kernel or a user program prints during the boots below is collected, and the
median over the boots printed. Then the Linux reference run (tools/linux_bench.py) prints
its `linux` lines, and a table reads each Skoll figure against its Linux counterpart
(tools/bench_compare.py; docs/bench.md).

Everything printed also goes to a results file (BENCH_RESULTS, default docs/bench-results.txt),
headed by the date, the git commit and the host's load (/proc/loadavg) at the start and ended
by the same at the end; the README's "Last run" figures are printed from it by
tools/bench_readme.py (`make bench-readme`). The file is written as build/bench-results.partial
while the run goes and moved into place only when it completes.

Environment: BENCH_RUNS (boots per configuration, 7), BENCH_LINUX (1: run the Linux side
when it can, say why when it cannot; 0: skip it; require: fail when it cannot run),
BENCH_RESULTS (the results file; empty: none).
"""
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_compare import parse_lines, print_comparison  # noqa: E402
from skoll_qemu import EXIT_PASS, qemu_cmd  # noqa: E402

ROOT = os.path.dirname(HERE)
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
LINUX = os.environ.get("BENCH_LINUX", "1")
RESULTS = os.environ.get("BENCH_RESULTS", os.path.join(ROOT, "docs", "bench-results.txt"))

# Boots whose only purpose is the `bench` lines Skoll prints on its serial port (the self-test
# boots are read as well): (what, kernel command line, -smp, timeout in s). Each runs RUNS
# times. One "user" boot runs every benchmark program in turn, at -smp 2, the machine the
# Linux figures come from: bench-core pins its threads to CPU 0 (as Linux's one-CPU cases
# pin theirs), bench-async's wake-up figures and bench-ipc's 2-CPU rows use both CPUs.
# (bench-async once had boots of its own because a program started after it measured 100
# times slower: fixed by zeroing every block the heap takes from the PMM; docs/bench.md.)
# Every boot here has loglevel=info: the kernel's boot lines, quiet by default since, are
# printed as when the earlier figures were taken (boot_to_selftests_ms includes them).
SERIAL_BENCH_BOOTS = [("user", "usertests=bench-core,bench-async,bench-ipc loglevel=info qemu_exit", 2, 600)]


def boot_once(out, smp, log, cmdline, timeout=60):
    """Boots Skoll once; returns (wall ms, `bench` figures from the serial log, the user
    programs' `bench` and `#` lines in order)."""
    cmd = qemu_cmd("kernel", out, smp=smp, cmdline=cmdline, serial=log)
    # timeout(1) rather than subprocess's timeout, which polls in 50 ms steps
    start = time.monotonic()
    proc = subprocess.run(["timeout", str(timeout)] + cmd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = (time.monotonic() - start) * 1000.0
    if proc.returncode != EXIT_PASS:
        sys.exit("bench: boot failed with QEMU status %d (see %s)" % (proc.returncode, log))
    with open(log, errors="replace") as f:
        text = f.read()
    notes = [ln.strip()[2:] for ln in text.replace("\r", "").splitlines()
             if ln.strip().startswith(("| #", "| bench "))]
    return elapsed, parse_lines(text), notes


class Figures:
    """Skoll's figures: printed as `bench` lines and kept for the comparison."""

    def __init__(self):
        self.figures = {}
        self.serial = {}  # name -> ([values], unit) pooled over boots

    def report(self, name, value, unit, note=None):
        print("bench %s %s %s" % (name, "%.0f" % value if value >= 100 else "%.3g" % value, unit))
        if note:
            print("#   " + note)
        sys.stdout.flush()
        self.figures[name] = (value, unit)

    def add_serial(self, found):
        for name, (value, unit) in found.items():
            self.serial.setdefault(name, ([], unit))[0].append(value)

    def report_serial(self, what):
        for name, (values, unit) in sorted(self.serial.items()):
            self.report(name, statistics.median(values), unit,
                        "median of %d %s; min %g, max %g" % (len(values), what, min(values),
                                                             max(values)))
        self.serial = {}


def run_linux(out):
    """The Linux side (tools/linux_bench.py, then posixbench through tools/posix_bench.py
    on the archive of the build in out); returns its figures ({} when it could not run,
    having said why)."""
    if LINUX == "0":
        print("# linux: skipped (BENCH_LINUX=0)")
        return {}
    from linux_bench import LinuxUnavailable, linux_figures
    import posix_bench
    try:
        figures, lines, _ = linux_figures()
        pfigures, plines = posix_bench.linux_figures(out)
        figures.update(pfigures)
        lines += plines
    except LinuxUnavailable as e:
        print("# linux: UNAVAILABLE, no Linux comparison: %s" % e, flush=True)
        if LINUX == "require":
            sys.exit("bench: the Linux side could not run (BENCH_LINUX=require)")
        return {}
    print("\n".join(lines), flush=True)
    return figures


class Tee:
    """stdout that also writes to a file."""

    def __init__(self, stream, f):
        self.stream, self.f = stream, f

    def write(self, text):
        self.stream.write(text)
        self.f.write(text)

    def flush(self):
        self.stream.flush()
        self.f.flush()


def _cmd_out(cmd, strip=True):
    try:
        out = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout
    except OSError:
        return ""
    return out.strip() if strip else out


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _load():
    with open("/proc/loadavg") as f:
        return f.read().strip()


def print_header():
    """Date, commit, host and load: what a figure in the results file came from."""
    commit = _cmd_out(["git", "log", "-1", "--format=%H %s"]) or "unknown"
    # tracked files changed since the commit, but for this run's own output and Python's
    # byte code (which running these scripts rewrites)
    dirty = [ln[3:] for ln in _cmd_out(["git", "status", "--porcelain", "--untracked-files=no"],
                                      strip=False).splitlines()
             if ln[3:] and not ln[3:].startswith("docs/bench-results") and
             not ln.endswith(".pyc")]
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f
                          if ln.startswith("model name")), "")
    except OSError:
        pass
    qemu = _cmd_out(["qemu-system-x86_64", "--version"]).splitlines()
    print("# make bench: started %s" % _utc_now())
    print("# git: %s" % commit)
    print("# work tree: %s" % ("changed: " + ", ".join(dirty) if dirty else
                               "clean (as committed)"))
    print("# host: %s, %d CPUs (%s), %s" % (platform.node(), os.cpu_count() or 0, model,
                                            qemu[0] if qemu else "qemu unknown"))
    print("# host load at start (/proc/loadavg): %s" % _load())
    print("# BENCH_RUNS=%d BENCH_LINUX=%s" % (RUNS, LINUX), flush=True)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build"
    partial = None
    if RESULTS:
        partial = os.path.join(ROOT, "build", "bench-results.partial")
        os.makedirs(os.path.dirname(partial), exist_ok=True)
        sys.stdout = Tee(sys.stdout, open(partial, "w"))
    started = time.monotonic()
    print_header()
    log = os.path.join(out, "bench-boot.log")
    skoll = Figures()
    for smp in (1, 2, 4):
        times = []
        for _ in range(RUNS):
            ms, found, _ = boot_once(out, smp, log, "selftest=all loglevel=info qemu_exit")
            times.append(ms)
            if smp == 2:
                skoll.add_serial(found)
        name = "boot_to_selftests_ms" if smp == 2 else "boot_to_selftests_smp%d_ms" % smp
        skoll.report(name, statistics.median(times), "ms",
                     "median of %d runs at -smp %d; min %.0f, max %.0f" % (
                         RUNS, smp, min(times), max(times)))
    skoll.report_serial("self-test boots at -smp 2")
    for what, cmdline, smp, timeout in SERIAL_BENCH_BOOTS:
        for _ in range(RUNS):
            _, found, notes = boot_once(out, smp, log, cmdline, timeout)
            skoll.add_serial(found)
        skoll.report_serial("%s boots at -smp %d (%s)" % (what, smp, cmdline))
        # the programs' own lines from the last boot, with their comments (spreads, splits,
        # where threads ran)
        print("# the last %s boot's lines:" % what)
        for note in notes:
            print("#   | " + note)
    # The POSIX server: posixbench, one Linux program, on Skoll (tools/posix_bench.py)
    import posix_bench
    try:
        figures, lines = posix_bench.skoll_figures(out, log)
    except RuntimeError as e:
        sys.exit("bench: %s" % e)
    for ln in lines:
        print(ln)
    skoll.figures.update(figures)
    print("# host load before the Linux side (/proc/loadavg): %s" % _load(), flush=True)
    linux = run_linux(out)
    print_comparison(skoll.figures, linux)
    print("# make bench: ended %s after %.1f min" % (_utc_now(),
                                                   (time.monotonic() - started) / 60))
    print("# host load at end (/proc/loadavg): %s" % _load(), flush=True)
    if partial:
        sys.stdout.f.close()
        sys.stdout = sys.stdout.stream
        os.replace(partial, RESULTS)
        print("bench: results in %s" % os.path.relpath(RESULTS, ROOT))


if __name__ == "__main__":
    main()
