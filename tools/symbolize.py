#!/usr/bin/env python3
"""Add source lines to a kernel log's backtrace: symbolize.py [ELF] < log

Every kernel text address (0xffffffff8...) in a backtrace line gets the function and
file:line from addr2line appended. The kernel already names functions itself; this adds
the source positions, e.g. for a log saved by the test runner.
"""
import re
import subprocess
import sys

ADDR_RE = re.compile(r"0x(ffffffff8[0-9a-f]{7})")


def main():
    elf = sys.argv[1] if len(sys.argv) > 1 else "build/skoll.elf"
    lines = sys.stdin.read().splitlines()
    addrs = sorted({m for line in lines if "#" in line for m in ADDR_RE.findall(line)})
    where = {}
    if addrs:
        out = subprocess.run(["addr2line", "-f", "-e", elf] + ["0x" + a for a in addrs],
                             stdout=subprocess.PIPE, check=True).stdout.decode().splitlines()
        for i, a in enumerate(addrs):
            where[a] = out[2 * i + 1] if 2 * i + 1 < len(out) else "?"
    for line in lines:
        m = ADDR_RE.search(line) if "#" in line else None
        print(line + ("   " + where[m.group(1)] if m else ""))


if __name__ == "__main__":
    main()
