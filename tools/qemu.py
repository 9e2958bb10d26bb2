#!/usr/bin/env python3
"""`make run` and `make debug`: boot Skoll with the serial console on this terminal.

usage: qemu.py run|debug OUT_DIR [extra kernel command line words]
Environment: SMP (default 4), MEM (default 512M), CMDLINE (kernel command line).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skoll_qemu import qemu_cmd  # noqa: E402


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("run", "debug"):
        sys.exit(__doc__)
    mode, out = sys.argv[1], sys.argv[2]
    cmdline = " ".join([os.environ.get("CMDLINE", "")] + sys.argv[3:]).strip()
    extra = []
    if mode == "debug":
        extra = ["-s", "-S"]
        elf = os.path.join(out, "skoll.elf")
        print("QEMU is waiting for a debugger on localhost:1234. In another terminal:\n"
              f"  gdb {elf} -ex 'target remote localhost:1234'\n"
              "then 'hbreak kmain' and 'continue'. The serial console is below.\n", flush=True)
    cmd = qemu_cmd("kernel", out, smp=int(os.environ.get("SMP", "4")),
                   mem=os.environ.get("MEM", "512M"), cmdline=cmdline, extra=extra,
                   reboot=True)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
