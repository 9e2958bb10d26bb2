#!/usr/bin/env python3
"""`make bench`: benchmarks that print `bench <name> <value> <unit>` lines.

boot_to_selftests_ms: wall time from starting QEMU (TCG, direct PVH boot, -smp 2, 128M)
to QEMU's exit after the kernel ran all self tests; the median of several runs, with
min and max beside it. Goal (issue 2): under 300 ms.
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from skoll_qemu import EXIT_PASS, qemu_cmd  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def boot_once(out, smp, log):
    cmd = qemu_cmd("kernel", out, smp=smp, cmdline="selftest=all qemu_exit", serial=log)
    # timeout(1) rather than subprocess's timeout, which polls in 50 ms steps
    start = time.monotonic()
    proc = subprocess.run(["timeout", "60"] + cmd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = (time.monotonic() - start) * 1000.0
    if proc.returncode != EXIT_PASS:
        sys.exit("bench: boot failed with QEMU status %d (see %s)" % (proc.returncode, log))
    return elapsed


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build"
    log = os.path.join(out, "bench-boot.log")
    for smp in (1, 2, 4):
        times = [boot_once(out, smp, log) for _ in range(RUNS)]
        name = "boot_to_selftests_ms" if smp == 2 else "boot_to_selftests_smp%d_ms" % smp
        print("bench %s %.0f ms" % (name, statistics.median(times)))
        print("#   median of %d runs at -smp %d; min %.0f, max %.0f" % (
            RUNS, smp, min(times), max(times)), flush=True)


if __name__ == "__main__":
    main()
