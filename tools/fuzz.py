#!/usr/bin/env python3
"""`make fuzz`: boot Skoll and run the in-system fuzzer (test-fuzz) for as long as asked.

usage: fuzz.py OUT_DIR [--calls N] [--seed S] [--procs P] [--threads T] [--smp C] [--timeout S]

The seed is chosen here when none is given and printed before the boot, so that any outcome,
a panic included, can be repeated: `make fuzz FUZZ_SEED=<seed> FUZZ_CALLS=<n>` (with the same
FUZZ_PROCS, FUZZ_THREADS and FUZZ_SMP; the children's interleaving still varies from run to
run, so a rare failure may need a few). The serial log is kept in build/fuzz-logs/. Prints
the fuzzer's own result lines and figures, then one verdict: pass, fail, panic (with the
backtrace symbolised) or hang. Exit status 0 only for pass. docs/testing.md, "The fuzzer".
"""
import argparse
import os
import random
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from skoll_qemu import EXIT_PASS, PANIC_MARKER, qemu_cmd  # noqa: E402

SHOW = re.compile(r"^(?:\| )?(fuzz|bench|PASS|FAIL|test-fuzz:|usertests:)|PANIC|no_page_leak")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--calls", type=int, default=1000000)
    ap.add_argument("--seed", default="")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=3)
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=0,
                    help="seconds; default: 120 + one per 2,000 calls")
    args = ap.parse_args()
    seed = args.seed or "0x%x" % random.getrandbits(64)
    timeout = args.timeout or 120 + args.calls // 2000
    logdir = os.path.join(ROOT, "build", "fuzz-logs")
    os.makedirs(logdir, exist_ok=True)
    log = os.path.join(logdir, "fuzz-%s.log" % seed)
    cmdline = ("usertests=test-fuzz test-fuzz.args=%s,%d,%d,%d usertests.timeout=%d loglevel=info qemu_exit" %
               (seed, args.calls, args.procs, args.threads, timeout))
    print("fuzz: %s, seed %s, %d calls, %d processes x %d threads, -smp %d, timeout %d s" %
          (args.out, seed, args.calls, args.procs, args.threads, args.smp, timeout), flush=True)
    print("fuzz: repeat with: make fuzz%s FUZZ_SEED=%s FUZZ_CALLS=%d FUZZ_PROCS=%d "
          "FUZZ_THREADS=%d FUZZ_SMP=%d" % (
              " CONFIG=release" if "release" in args.out else "", seed, args.calls, args.procs,
              args.threads, args.smp), flush=True)
    print("fuzz: serial log %s" % os.path.relpath(log, ROOT), flush=True)
    cmd = qemu_cmd("kernel", args.out, smp=args.smp, cmdline=cmdline, serial=log)
    start = time.monotonic()
    proc = subprocess.run(["timeout", str(timeout + 30)] + cmd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    secs = time.monotonic() - start
    text = open(log, errors="replace").read() if os.path.exists(log) else ""
    for line in text.splitlines():
        line = line.rstrip("\r")
        if SHOW.search(line):
            print(line)
    if PANIC_MARKER in text:
        verdict = "panic"
        sym = subprocess.run([sys.executable, os.path.join(HERE, "symbolize.py"),
                              os.path.join(args.out, "skoll.elf")], input=text.encode(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        tail = sym.stdout.decode(errors="replace").splitlines()
        at = max(i for i, l in enumerate(tail) if PANIC_MARKER in l)
        print("\n".join(tail[at:at + 40]))
    elif proc.returncode == 124:
        verdict = "hang"
    elif proc.returncode == EXIT_PASS and "PASS no_page_leak" in text:
        verdict = "pass"
    else:
        verdict = "fail"
    print("fuzz: %s after %.0f s (seed %s, log %s)" % (verdict, secs, seed,
                                                     os.path.relpath(log, ROOT)))
    sys.exit(0 if verdict == "pass" else 1)


if __name__ == "__main__":
    main()
