#!/usr/bin/env python3
"""Sampling profiler for Skoll under QEMU (docs/testing.md, "Profiling").

Boots the kernel with the given command line and, through QEMU's human monitor, reads
every CPU's instruction pointer at a fixed rate (`info registers -a`), then prints the
hottest functions: kernel addresses resolved with the kernel's symbols, user addresses
with the symbols of the user program named by --user (all of them, if the samples of
several programs mix: only one program's names are known).

usage: tools/profile.py [--out build/release] [--smp 2] [--hz 400] [--user bench-ipc]
                        [--top 40] [--seconds 60] "usertests=bench-ipc qemu_exit"
"""
import argparse
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skoll_qemu import qemu_cmd  # noqa: E402
from elfsyms import resolve, symbols  # noqa: E402

KERNEL_BASE = 0xffff800000000000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmdline")
    ap.add_argument("--out", default="build/release")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--hz", type=int, default=400)
    ap.add_argument("--user", default=None, help="user program whose symbols to use")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--seconds", type=int, default=120)
    args = ap.parse_args()

    ksyms = symbols(os.path.join(args.out, "skoll.elf"))
    usyms = symbols(os.path.join(args.out, "user", args.user + ".elf")) if args.user else []
    kaddrs = [a for a, _ in ksyms]
    uaddrs = [a for a, _ in usyms]

    tmp = tempfile.mkdtemp()
    mon = os.path.join(tmp, "mon.sock")
    log = os.path.join(tmp, "serial.log")
    cmd = qemu_cmd("kernel", args.out, smp=args.smp, cmdline=args.cmdline, serial=log)
    cmd = [c for c in cmd]
    i = cmd.index("-monitor")
    cmd[i + 1] = "unix:%s,server,nowait" % mon
    q = subprocess.Popen(["timeout", str(args.seconds)] + cmd)
    for _ in range(100):
        if os.path.exists(mon):
            break
        time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX)
    s.connect(mon)
    s.settimeout(2)
    buf = b""

    def command(text):
        nonlocal buf
        s.sendall(text.encode() + b"\n")
        while b"(qemu) " not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise EOFError
            buf += chunk
        reply, _, buf = buf.partition(b"(qemu) ")
        return reply.decode(errors="replace")

    command("")  # the banner and first prompt
    rip_re = re.compile(r"RIP=([0-9a-f]{16})")
    hits = collections.Counter()
    where = collections.Counter()
    samples = 0
    period = 1.0 / args.hz
    try:
        while q.poll() is None:
            t0 = time.time()
            for rip in rip_re.findall(command("info registers -a")):
                a = int(rip, 16)
                samples += 1
                if a >= KERNEL_BASE:
                    hits["k " + resolve(ksyms, kaddrs, a)] += 1
                    where["kernel"] += 1
                elif usyms:
                    hits["u " + resolve(usyms, uaddrs, a)] += 1
                    where["user"] += 1
                else:
                    where["user"] += 1
            time.sleep(max(0.0, period - (time.time() - t0)))
    except (EOFError, OSError, socket.timeout):
        pass
    q.wait()
    print("# %d samples (%s)" % (samples, ", ".join("%s %d" % kv for kv in where.items())))
    for name, n in hits.most_common(args.top):
        print("%6.2f%%  %6d  %s" % (100.0 * n / max(samples, 1), n, name))
    idle = hits.get("k sched_idle_loop", 0)
    if idle:
        print("# (sched_idle_loop: CPUs halted or about to)")


if __name__ == "__main__":
    main()
