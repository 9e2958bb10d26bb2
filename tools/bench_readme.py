#!/usr/bin/env python3
"""The README's "Last run:" figures, printed from a committed `make bench` results file.

Every figure the README quotes must come from a committed run: `make bench` writes its whole
output to docs/bench-results.txt (tools/bench.py), and this script reads that file's header
and its ratio table (the rows tools/bench_compare.py printed: both figures, the ratio and which
Linux configuration it was read against) and prints the paragraph with the figures and ratios
exactly as the table has them. Nothing is typed by hand. With --update README.md it replaces the paragraph in the README (from the line starting
"  Last run" to the line before "  Where the time goes").

    tools/bench_readme.py [--results docs/bench-results.txt] [--update README.md]
"""
import argparse
import os
import re
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_compare import CONFIG_HALT, CONFIG_POLL  # noqa: E402

ROOT = os.path.dirname(HERE)
DEFAULT_RESULTS = os.path.join(ROOT, "docs", "bench-results.txt")
START, END = "  Last run", "  Where the time goes"


class Missing(Exception):
    """A row the paragraph quotes has no ratio in the results file."""


def fmt_ns(ns):
    if ns < 1000:
        return "%d ns" % round(ns)
    us = ns / 1000.0
    return "%.1f µs" % us if us < 10 else "{:,} µs".format(round(us))


def fmt_fig(fig):
    value, unit = fig
    if unit == "ns":
        return fmt_ns(value)
    return "{:,} {}".format(round(value), unit)


def num_ns(ns):
    """A bare figure in ns for a list of them, e.g. '1,100'."""
    return "{:,}".format(round(ns))


# A ratio-table row: "#   skoll 85 ns  linux_name 547 ns  0.16 (note)".
ROW_RE = re.compile(r"^#   (\S+)\s+([\d.]+) (\S+)\s+(\S+)\s+([\d.]+) (\S+)\s+([\d.]+)"
                    r"(?:\s+\((.*)\))?\s*$")


class Rows:
    """The ratio table of a results file."""

    def __init__(self, text):
        self.rows = []
        for line in text.splitlines():
            m = ROW_RE.match(line)
            if not m:
                continue
            note = m.group(8) or ""
            cfg = None
            if "idle=poll" in note.split(";")[0]:
                cfg = CONFIG_POLL
            elif "halt" in note.split(";")[0]:
                cfg = CONFIG_HALT
            self.rows.append({
                "skoll_name": m.group(1), "skoll": (float(m.group(2)), m.group(3)),
                "linux_name": m.group(4), "linux": (float(m.group(5)), m.group(6)),
                "ratio": m.group(7), "config": cfg, "best": note.startswith("best of")})

    def get(self, skoll_name, linux_name):
        """The row reading skoll_name against linux_name (not a best-of row)."""
        for r in self.rows:
            if r["skoll_name"] == skoll_name and r["linux_name"] == linux_name and \
                    not r["best"]:
                return r
        raise Missing("%s vs %s" % (skoll_name, linux_name))

    def best(self, skoll_name):
        for r in self.rows:
            if r["skoll_name"] == skoll_name and r["best"]:
                return r
        raise Missing("%s vs the best Linux figure" % skoll_name)


def ratio(r):
    return r["ratio"]


def config(r):
    """', Linux idle=poll' for a 2-CPU row read against the idle=poll boot."""
    if r["config"] is None:
        return ""
    return ", Linux " + ("idle=poll" if r["config"] == CONFIG_POLL else "halting")


def pair(r, what_skoll, what_linux=""):
    """'<what> 2.6 µs vs <linux what> 42 µs (0.06)'."""
    return "%s %s vs %s%s (%s%s)" % (what_skoll, fmt_fig(r["skoll"]), what_linux,
                                     fmt_fig(r["linux"]), ratio(r), config(r))


def paragraph(text):
    """The README's 'Last run' paragraph from a results file's text."""
    head = {}
    for key, pat in (("date", r"^# make bench: started (\S+)"), ("commit", r"^# git: (\S+)"),
                     ("load0", r"^# host load at start \(/proc/loadavg\): (\S+)"),
                     ("load1", r"^# host load at end \(/proc/loadavg\): (\S+)")):
        m = re.search(pat, text, re.M)
        head[key] = m.group(1) if m else "?"
    R = Rows(text)
    nul = R.get("null_syscall_ns", "null_syscall_ns")
    sw = R.get("thread_switch_ns", "thread_switch_ns")
    pf = R.get("page_fault_ns", "page_fault_ns")
    sw2 = R.get("thread_switch_2cpu_ns", "futex_pingpong_2cpu_ns")
    n1, n16, n128 = (R.get("async_nop_%d_ns" % n, "uring_nop_%d_ns" % n) for n in (1, 16, 128))
    raw = R.get("async_nop_raw_128_ns", "uring_nop_128_ns")
    n1p = R.get("async_nop_1_ns", "null_syscall_ns")
    wake = R.get("drive_wait_wakeup_ns", "eventfd_pingpong_2cpu_ns")
    obs = R.get("observe_roundtrip_ns", "observe_roundtrip_ns")
    obsvm = R.get("observe_roundtrip_ns", "observe_roundtrip_sharedvm_ns")
    srt1 = R.get("ipc_stream_roundtrip_1cpu_ns", "pipe_roundtrip_1cpu_ns")
    rt1 = R.get("ipc_roundtrip_1cpu_ns", "pipe_roundtrip_1cpu_ns")
    srt2 = R.get("ipc_stream_roundtrip_2cpu_ns", "pipe_roundtrip_2cpu_ns")
    rt2 = R.get("ipc_roundtrip_2cpu_ns", "pipe_roundtrip_2cpu_ns")
    ring = R.get("ipc_ring_inflight64_ns", "pipe_inflight64_ns")
    ringb = R.get("ipc_ring_inflight64_ns", "pipe_inflight64_bulk_ns")
    batch = R.get("ipc_batch_inflight64_ns", "pipe_inflight64_ns")
    stream = R.get("ipc_stream_inflight64_ns", "pipe_inflight64_ns")
    calls = R.get("ipc_inflight64_ns", "pipe_inflight64_ns")
    bw1m = R.best("ipc_bandwidth_1m_mbps")
    bw1m_pipe = R.get("ipc_bandwidth_1m_mbps", "pipe_bandwidth_1m_mbps")
    bw4k = R.get("ipc_bandwidth_4k_mbps", "pipe_bandwidth_4k_mbps")
    way = {"pipe_bandwidth_1m_mbps": "a pipe", "pipe1m_bandwidth_1m_mbps": "a 1 MiB pipe",
           "pvm_bandwidth_1m_mbps": "process_vm_writev"}.get(bw1m["linux_name"],
                                                             bw1m["linux_name"])

    pg2 = R.get("posix_getppid_2cpu_ns", "posix_getppid_ns")
    pg1 = R.get("posix_getppid_1cpu_ns", "posix_getppid_ns")
    pfork = R.get("posix_fork_exit_wait_us", "posix_fork_exit_wait_us")
    pexec = R.get("posix_fork_exec_wait_us", "posix_fork_exec_wait_us")
    ppipe = R.get("posix_pipe_roundtrip_ns", "posix_pipe_roundtrip_ns")
    pbw = R.get("posix_pipe_mbps", "posix_pipe_mbps")
    pread = R.get("posix_tmpfs_read4k_ns", "posix_tmpfs_read4k_ns")
    pscript = R.get("posix_script_ms", "posix_script_ms")
    pboot = R.get("posix_boot_to_prompt_ms", "posix_boot_to_init_ms")
    mem = {}
    for name in ("posix_server_bytes_per_process", "posix_server_bytes_per_call"):
        m = re.search(r"^bench %s (\d+) B$" % name, text, re.M)
        if not m:
            raise Missing(name)
        mem[name] = "{:,} B".format(int(m.group(1)))

    parts = [
        "Last run (`docs/bench-results.txt`: %s, commit %s, host load %s at the start and "
        "%s at the end; 2-CPU rows against the faster of Linux halting or `idle=poll`, "
        "named):" % (head["date"], head["commit"][:7], head["load0"], head["load1"]),
        "null syscall %s vs Linux getppid %s (%s)," % (fmt_fig(nul["skoll"]),
                                                       fmt_fig(nul["linux"]), ratio(nul)),
        "on one CPU of two: thread switch %s vs %s (%s), page fault %s vs %s (%s);" % (
            fmt_fig(sw["skoll"]), fmt_fig(sw["linux"]), ratio(sw), fmt_fig(pf["skoll"]),
            fmt_fig(pf["linux"]), ratio(pf)),
        pair(sw2, "futex hand-off across two CPUs") + ";",
        "async nops at 1, 16 and 128 per drive %s, %s and %s ns vs io_uring nops at 1, 16 and "
        "128 per `io_uring_enter` %s, %s and %s ns (%s, %s, %s), 128 per drive on the raw "
        "ABI %s (%s), one per drive against getppid %s;" % (
            num_ns(n1["skoll"][0]), num_ns(n16["skoll"][0]), num_ns(n128["skoll"][0]),
            num_ns(n1["linux"][0]), num_ns(n16["linux"][0]), num_ns(n128["linux"][0]),
            ratio(n1), ratio(n16), ratio(n128), fmt_fig(raw["skoll"]), ratio(raw),
            ratio(n1p)),
        pair(wake, "cross-CPU queue wake-up", "an eventfd hand-off ") + ";",
        "observe round trip %s vs PTRACE_SYSEMU %s (%s; %s against a CLONE_VM tracee);" % (
            fmt_fig(obs["skoll"]), fmt_fig(obs["linux"]), ratio(obs), ratio(obsvm)),
        "IPC request/reply between two processes on one CPU %s over an established stream "
        "and %s as a call vs a pipe round trip of %s (%s, %s), on two CPUs %s and %s vs %s "
        "(%s, %s%s);" % (
            fmt_fig(srt1["skoll"]), fmt_fig(rt1["skoll"]), fmt_fig(srt1["linux"]),
            ratio(srt1), ratio(rt1), fmt_fig(srt2["skoll"]), fmt_fig(rt2["skoll"]),
            fmt_fig(srt2["linux"]), ratio(srt2), ratio(rt2), config(srt2)),
        "with 64 requests in flight %s per request through receive rings vs %s for pipes "
        "(%s%s) and %s for pipes read in bulk (%s%s), %s when both sides batch 16 per "
        "submission (%s), %s one submission per message (%s), %s as calls (%s);" % (
            fmt_fig(ring["skoll"]), fmt_fig(ring["linux"]), ratio(ring), config(ring),
            fmt_fig(ringb["linux"]), ratio(ringb), config(ringb), fmt_fig(batch["skoll"]),
            ratio(batch), fmt_fig(stream["skoll"]), ratio(stream), fmt_fig(calls["skoll"]),
            ratio(calls)),
        "1 MiB sends %s vs %s with %s, the best Linux way of three (%s%s; a 64 KiB pipe: "
        "%s, %s), 4 KiB sends %s vs %s through a pipe (%s%s)." % (
            fmt_fig(bw1m["skoll"]), fmt_fig(bw1m["linux"]), way, ratio(bw1m), config(bw1m),
            fmt_fig(bw1m_pipe["linux"]), ratio(bw1m_pipe), fmt_fig(bw4k["skoll"]),
            fmt_fig(bw4k["linux"]), ratio(bw4k), config(bw4k)),
        "Linux programs under the POSIX server (one static program, tests/linux/posixbench.c, "
        "on both systems): %s; %s; %s; %s; %s; %s; %s; %s; %s." % (
            pair(pg2, "getppid through the server, two CPUs,", "native "),
            pair(pg1, "on one CPU"), pair(pfork, "fork+exit+wait"),
            pair(pexec, "fork+exec+wait"), pair(ppipe, "pipe round trip"),
            pair(pbw, "64 KiB pipe writes"), pair(pread, "4 KiB tmpfs read"),
            pair(pscript, "a 1,000-process busybox script"),
            pair(pboot, "boot to the shell prompt", "Linux's boot to /init ")),
        "The server's memory: %s per process (its heap, page tables aside), %s per call in "
        "flight." % (mem["posix_server_bytes_per_process"], mem["posix_server_bytes_per_call"]),
        "Ratios are Skoll's cost over Linux's (below 1 Skoll is faster; for MB/s Linux's "
        "rate over Skoll's).",
    ]
    return textwrap.fill(" ".join(parts), width=98, initial_indent="  ",
                         subsequent_indent="  ", break_on_hyphens=False,
                         break_long_words=False)


def update(readme, para):
    """Replaces the 'Last run' paragraph of readme with para; returns 0, or 1 if the README
    has no such paragraph."""
    with open(readme) as f:
        lines = f.read().split("\n")
    start = next((i for i, ln in enumerate(lines) if ln.startswith(START)), None)
    if start is None:
        print("bench_readme: no line starting %r in %s" % (START.strip(), readme))
        return 1
    end = start + 1
    while end < len(lines) and lines[end].startswith("  ") and not lines[end].startswith(END):
        end += 1
    lines[start:end] = para.split("\n")
    with open(readme, "w") as f:
        f.write("\n".join(lines))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=DEFAULT_RESULTS)
    ap.add_argument("--update", metavar="README", help="replace the paragraph in this file")
    args = ap.parse_args()
    with open(args.results) as f:
        text = f.read()
    try:
        para = paragraph(text)
    except Missing as e:
        print("bench_readme: %s has no figure for %s" % (args.results, e))
        return 1
    if args.update:
        return update(args.update, para)
    print(para)
    return 0


if __name__ == "__main__":
    sys.exit(main())
