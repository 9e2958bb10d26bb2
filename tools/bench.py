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

Environment: BENCH_RUNS (boots per configuration, 7), BENCH_LINUX (1: run the Linux side
when it can, say why when it cannot; 0: skip it; require: fail when it cannot run).
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_compare import parse_lines, print_comparison  # noqa: E402
from skoll_qemu import EXIT_PASS, qemu_cmd  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
LINUX = os.environ.get("BENCH_LINUX", "1")

# Extra boots whose only purpose is the `bench` lines Skoll prints on its serial port:
# (name, kernel command line, -smp). Each runs RUNS times; e.g. once user space has its
# benchmark program: ("user", "bench qemu_exit", 2). The self-test boots are read as well.
# (what, kernel command line, -smp) boots whose `bench` lines are collected; bench-core's
# thread switch is measured on one CPU, as Linux's is (pinned).
# bench-async (the queue runtime) runs in boots of its own at -smp 2: its wake-up figure is
# across two CPUs, and a program started right after it measures slow (see docs/bench.md).
SERIAL_BENCH_BOOTS = [("user", "usertests=bench-core qemu_exit", 1),
                      ("async", "usertests=bench-async qemu_exit", 2),
                      ("ipc", "usertests=bench-ipc qemu_exit", 2)]


def boot_once(out, smp, log, cmdline):
    """Boots Skoll once; returns (wall ms, `bench` figures from the serial log)."""
    cmd = qemu_cmd("kernel", out, smp=smp, cmdline=cmdline, serial=log)
    # timeout(1) rather than subprocess's timeout, which polls in 50 ms steps
    start = time.monotonic()
    proc = subprocess.run(["timeout", "60"] + cmd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = (time.monotonic() - start) * 1000.0
    if proc.returncode != EXIT_PASS:
        sys.exit("bench: boot failed with QEMU status %d (see %s)" % (proc.returncode, log))
    with open(log, errors="replace") as f:
        return elapsed, parse_lines(f.read())


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


def run_linux():
    """The Linux side; returns its figures ({} when it could not run, having said why)."""
    if LINUX == "0":
        print("# linux: skipped (BENCH_LINUX=0)")
        return {}
    from linux_bench import LinuxUnavailable, linux_figures
    try:
        figures, lines, _ = linux_figures()
    except LinuxUnavailable as e:
        print("# linux: UNAVAILABLE, no Linux comparison: %s" % e, flush=True)
        if LINUX == "require":
            sys.exit("bench: the Linux side could not run (BENCH_LINUX=require)")
        return {}
    print("\n".join(lines), flush=True)
    return figures


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build"
    log = os.path.join(out, "bench-boot.log")
    skoll = Figures()
    for smp in (1, 2, 4):
        times = []
        for _ in range(RUNS):
            ms, found = boot_once(out, smp, log, "selftest=all qemu_exit")
            times.append(ms)
            if smp == 2:
                skoll.add_serial(found)
        name = "boot_to_selftests_ms" if smp == 2 else "boot_to_selftests_smp%d_ms" % smp
        skoll.report(name, statistics.median(times), "ms",
                     "median of %d runs at -smp %d; min %.0f, max %.0f" % (
                         RUNS, smp, min(times), max(times)))
    skoll.report_serial("self-test boots at -smp 2")
    for what, cmdline, smp in SERIAL_BENCH_BOOTS:
        for _ in range(RUNS):
            skoll.add_serial(boot_once(out, smp, log, cmdline)[1])
        skoll.report_serial("%s boots at -smp %d" % (what, smp))
    linux = run_linux()
    print_comparison(skoll.figures, linux)


if __name__ == "__main__":
    main()
