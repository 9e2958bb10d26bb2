#!/usr/bin/env python3
"""Guest instructions per function, exactly (docs/testing.md, "Profiling").

Boots the release build under QEMU with `-d in_asm,exec,nochain`: QEMU logs every
translated block once with its instructions, and every execution of a block. Weighting each
execution by its block's instruction count gives the guest instructions each function ran,
deterministically (no sampling). Reported per execution of a marker function (e.g. the
provider of the operation under study), over the last part of the run (--from, a fraction of
the log, skips the boot). The log is large (about 1 GB per second of guest time): keep the
workload short.

usage: tools/insn-profile.py [--out build/release] [--smp 2] [--user bench-ipc]
                             [--marker k:async_submit_ipc] [--from 0.6] [--top 40]
                             [--blocks k:fn] [--callers k:fn] [--log qemu.log]
                             "usertests=bench-ipc qemu_exit"
Function names are "k:" (kernel) or "u:" (the program named by --user); the figures are per
call of the marker (executions of the block at its first instruction).
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skoll_qemu import qemu_cmd  # noqa: E402
from elfsyms import resolve, symbols  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmdline")
    ap.add_argument("--out", default="build/release")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--user", default=None)
    ap.add_argument("--marker", default=None)
    ap.add_argument("--from", dest="start", type=float, default=0.5)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--blocks", default=None,
                    help="also list this function's blocks (start address, size, instructions)")
    ap.add_argument("--callers", default=None,
                    help="also count, per function, the entries into this function that "
                         "came straight from it (the block run before the entry)")
    ap.add_argument("--log", default=None,
                    help="keep QEMU's log in this file, or analyse it again if it exists")
    args = ap.parse_args()

    ksyms = symbols(os.path.join(args.out, "skoll.elf"))
    usyms = symbols(os.path.join(args.out, "user", args.user + ".elf")) if args.user else []
    kaddr, uaddr = [a for a, _ in ksyms], [a for a, _ in usyms]

    # the marker counts executions of the block at the function's first instruction (calls,
    # not loop iterations)
    mark_pc = None
    if args.marker:
        syms = ksyms if args.marker.startswith("k:") else usyms
        mark_pc = next((a for a, n in syms if n == args.marker[2:]), None)
        if mark_pc is None:
            sys.exit("insn-profile: no symbol " + args.marker)
    calls = 0
    starts = {a for a, _ in ksyms} | {a for a, _ in usyms}
    entered = collections.Counter()  # calls of each function (its first block run)
    callers = collections.Counter()  # --callers: the function run just before each entry

    def name(pc):
        if pc >= 0xffff800000000000:
            return "k:" + resolve(ksyms, kaddr, pc)
        return "u:" + resolve(usyms, uaddr, pc)

    with tempfile.TemporaryDirectory() as tmp:
        log, serial = args.log or os.path.join(tmp, "qemu.log"), os.path.join(tmp, "serial.log")
        if not (args.log and os.path.exists(args.log)):
            cmd = qemu_cmd("kernel", args.out, smp=args.smp, cmdline=args.cmdline,
                           serial=serial)
            cmd += ["-d", "in_asm,exec,nochain", "-D", log]
            subprocess.run(["timeout", "600"] + cmd, stdin=subprocess.DEVNULL, check=False)
        with open(log, errors="replace") as f:
            lines = sum(1 for _ in f)
        size, insns, blocks = {}, collections.Counter(), collections.Counter()
        addr = re.compile(r"^0x([0-9a-f]+):")
        block, count = None, 0
        prev = None
        with open(log, errors="replace") as f:
            for n, line in enumerate(f):
                if line.startswith("IN:"):
                    block, count = None, 0
                    continue
                m = addr.match(line)
                if m:
                    block = int(m.group(1), 16) if block is None else block
                    count += 1
                    continue
                if not line.startswith("Trace"):
                    continue
                if block is not None:
                    size[block] = count
                    block = None
                if n < lines * args.start:
                    continue
                try:
                    pc = int(line.split("[")[1].split("/")[1], 16)
                except (IndexError, ValueError):
                    continue
                fn = name(pc)
                insns[fn] += size.get(pc, 1)
                if fn == args.blocks:
                    blocks[pc] += size.get(pc, 1)
                calls += pc == mark_pc
                if pc in starts:
                    entered[fn] += 1
                    if fn == args.callers:
                        callers[prev] += 1
                prev = fn
    per = calls or 1
    total = sum(insns.values())
    print("%d instructions%s" % (total / per, " per call of %s" % args.marker if per > 1 else ""))
    for fn, v in insns.most_common(args.top):
        print("%10.1f  %8.2f calls  %s" % (v / per, entered[fn] / per, fn))
    for fn, v in callers.most_common(20):
        print("%10.2f calls from %s" % (v / per, fn))
    for pc, v in sorted(blocks.items()):
        print("%#x  %3d insns  %10.1f" % (pc, size.get(pc, 1), v / per))


if __name__ == "__main__":
    main()
