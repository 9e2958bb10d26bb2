"""Skoll-versus-Linux comparison: which figures correspond, and the ratio rows.

Skoll's rule is that a performance figure means something only as a ratio against Debian's
Linux in the same QEMU machine (docs/bench.md). COUNTERPARTS says which Linux figure (from
tools/linuxbench, run by tools/linux_bench.py) each Skoll `bench` figure is read against.
To add a comparison, add a row; nothing else changes.

    skoll = parse_lines(serial_text)             # {"null_syscall_ns": (85.0, "ns"), ...}
    linux = parse_lines(linux_text, "linux")     # or linux_bench.linux_figures()[0]
    print_comparison(skoll, linux)

The ratio is always Skoll's cost over Linux's, so below 1 means Skoll is faster on every row:
skoll / linux for times per operation (unit ns), linux / skoll for throughputs (a unit in
RATE_UNITS, e.g. MB/s, where higher is better); the table marks the inverted rows.
"""
import sys

# Units of figures where higher is better (throughputs): their ratio is inverted.
RATE_UNITS = {"MB/s"}

# (Skoll bench name, Linux bench name, what the Linux side runs). A Skoll name may appear in
# several rows (one per Linux figure it is read against).
COUNTERPARTS = [
    ("null_syscall_ns", "null_syscall_ns", "getppid()"),
    ("thread_switch_ns", "thread_switch_ns", "futex handoff between threads, one CPU"),
    ("page_fault_ns", "page_fault_ns", "anonymous first-touch write fault"),
    ("thread_switch_2cpu_ns", "futex_pingpong_2cpu_ns", "futex handoff across two CPUs"),
    # IPC between two processes: a 16-byte request and its 16-byte reply, client and server
    # on one CPU or on two; read against pipes (the first row, the reference), an AF_UNIX
    # SOCK_SEQPACKET socketpair and a futex word in shared memory.
    ("ipc_roundtrip_1cpu_ns", "pipe_roundtrip_1cpu_ns", "16-byte request+reply, pipes, 1 CPU"),
    ("ipc_roundtrip_1cpu_ns", "unix_roundtrip_1cpu_ns", "16-byte request+reply, socketpair"),
    ("ipc_roundtrip_1cpu_ns", "futex_roundtrip_1cpu_ns", "shared futex word, 1 CPU"),
    ("ipc_roundtrip_2cpu_ns", "pipe_roundtrip_2cpu_ns", "16-byte request+reply, pipes, 2 CPUs"),
    ("ipc_roundtrip_2cpu_ns", "unix_roundtrip_2cpu_ns", "16-byte request+reply, socketpair"),
    ("ipc_roundtrip_2cpu_ns", "futex_roundtrip_2cpu_ns", "shared futex word, 2 CPUs"),
    # The same over an established stream (as the pipes are established): one chain per side
    # per request.
    ("ipc_stream_roundtrip_1cpu_ns", "pipe_roundtrip_1cpu_ns", "16-byte request+reply, pipes"),
    ("ipc_stream_roundtrip_2cpu_ns", "pipe_roundtrip_2cpu_ns", "16-byte request+reply, pipes"),
    # 64 requests outstanding, per request and reply: pipes, server on the other CPU (the
    # reference, as bench-ipc runs it) and on the client's.
    ("ipc_inflight64_ns", "pipe_inflight64_ns", "64 requests in flight, pipes, 2 CPUs"),
    ("ipc_inflight64_ns", "pipe_inflight64_1cpu_ns", "64 requests in flight, pipes, 1 CPU"),
    # Requests on one stream and replies on another: the pipe pair's shape.
    ("ipc_stream_inflight64_ns", "pipe_inflight64_ns", "64 requests in flight, pipes, 2 CPUs"),
    # The same with requests and replies sent and received in chains of 16 actions.
    ("ipc_batch_inflight64_ns", "pipe_inflight64_ns", "64 requests in flight, pipes, 2 CPUs"),
    # Received through receive rings (many messages per wake-up, read with no system call):
    # against the pipes, and against pipes read in bulk (every whole message per read).
    ("ipc_ring_inflight64_ns", "pipe_inflight64_ns", "64 requests in flight, pipes, 2 CPUs"),
    ("ipc_ring_inflight64_ns", "pipe_inflight64_bulk_ns", "64 in flight, pipes read in bulk"),
    # Bulk transfer, MB/s (higher is better: the ratio is linux / skoll): writer and reader on
    # two CPUs (the reference) and on one.
    ("ipc_bandwidth_4k_mbps", "pipe_bandwidth_4k_mbps", "4 KiB writes through a pipe, 2 CPUs"),
    ("ipc_bandwidth_4k_mbps", "pipe_bandwidth_4k_1cpu_mbps", "4 KiB writes, pipe, 1 CPU"),
    ("ipc_bandwidth_1m_mbps", "pipe_bandwidth_1m_mbps", "1 MiB writes through a pipe, 2 CPUs"),
    ("ipc_bandwidth_1m_mbps", "pipe_bandwidth_1m_1cpu_mbps", "1 MiB writes, pipe, 1 CPU"),
    # The queue runtime: a nop submitted and completed through the queue, against the cheapest
    # Linux system call (goal: async_nop_128_ns <= 0.05 x getppid).
    ("async_nop_1_ns", "null_syscall_ns", "getppid() (1 nop per drive)"),
    ("async_nop_16_ns", "null_syscall_ns", "getppid() (16 nops per drive)"),
    ("async_nop_128_ns", "null_syscall_ns", "getppid() (128 nops per drive)"),
    # The same 128 nops through the raw ABI (no dispatcher): the kernel's and the ring's share.
    ("async_nop_raw_128_ns", "null_syscall_ns", "getppid() (128 raw nops per drive)"),
    ("drive_wait_wakeup_ns", "futex_pingpong_2cpu_ns", "futex handoff across two CPUs"),
    ("drive_wait_wakeup_ns", "eventfd_pingpong_2cpu_ns", "eventfd handoff across two CPUs"),
    # Thread observation: a supercall stops the thread, the supervisor resumes it. Linux:
    # ptrace(PTRACE_SYSEMU) syscall interception, the tracee a forked process (how a POSIX
    # process will sit under Skoll's server) and a CLONE_VM one (one address space, as
    # bench-core's observed thread shares its supervisor's).
    ("observe_roundtrip_ns", "observe_roundtrip_ns", "PTRACE_SYSEMU stop+resume, fork, 1 CPU"),
    ("observe_roundtrip_ns", "observe_roundtrip_sharedvm_ns",
     "PTRACE_SYSEMU stop+resume, CLONE_VM, 1 CPU"),
]


def parse_lines(text, prefix="bench"):
    """Figures from `<prefix> <name> <value> <unit>` lines in text: {name: (value, unit)}.

    Lines may carry serial-port noise around them (carriage returns, leading text before
    the prefix on the same line is not accepted). A later line for the same name wins.
    """
    figures = {}
    for line in text.replace("\r", "").splitlines():
        line = line.strip()
        if line.startswith("| "):  # a user program's line on the kernel console
            line = line[2:]
        parts = line.split()
        if len(parts) != 4 or parts[0] != prefix:
            continue
        try:
            figures[parts[1]] = (float(parts[2]), parts[3])
        except ValueError:
            continue
    return figures


def comparison_rows(skoll, linux):
    """One dict per COUNTERPARTS row: skoll_name, linux_name, what, skoll, linux (each a
    (value, unit) or None), ratio (float or None: Skoll's cost over Linux's), inverted (True
    when the unit is a rate, so ratio = linux / skoll) and status (a short reason when no
    ratio).
    """
    rows = []
    for s_name, l_name, what in COUNTERPARTS:
        s, lx = skoll.get(s_name), linux.get(l_name)
        ratio, status = None, ""
        inverted = (s or lx or (0, ""))[1] in RATE_UNITS
        if s is None and lx is None:
            status = "no Skoll figure yet, no Linux figure"
        elif s is None:
            status = "no Skoll figure yet"
        elif lx is None:
            status = "no Linux figure"
        elif s[1] != lx[1]:
            status = "units differ (%s vs %s)" % (s[1], lx[1])
        elif inverted and s[0] <= 0:
            status = "Skoll figure is zero"
        elif not inverted and lx[0] <= 0:
            status = "Linux figure is zero"
        else:
            ratio = lx[0] / s[0] if inverted else s[0] / lx[0]
        rows.append({"skoll_name": s_name, "linux_name": l_name, "what": what, "skoll": s,
                     "linux": lx, "ratio": ratio, "inverted": inverted, "status": status})
    return rows


def _fmt(fig):
    return "%g %s" % (round(fig[0], 1), fig[1]) if fig else "-"


def print_comparison(skoll, linux, out=sys.stdout):
    """Prints the comparison table, one `#` line per COUNTERPARTS row."""
    out.write("# Skoll vs Linux (ratio = Skoll's cost / Linux's: skoll / linux for times,\n"
              "# linux / skoll for rates (%s), marked; below 1 Skoll is faster)\n"
              % ", ".join(sorted(RATE_UNITS)))
    out.write("#   %-22s %-10s %-29s %-10s %s\n" % ("skoll", "", "linux", "", "ratio"))
    for row in comparison_rows(skoll, linux):
        if row["ratio"] is None:
            tail = row["status"]
        elif row["inverted"]:
            tail = "%.2f (rate: linux / skoll)" % row["ratio"]
        else:
            tail = "%.2f" % row["ratio"]
        out.write("#   %-22s %-10s %-29s %-10s %s\n" % (
            row["skoll_name"], _fmt(row["skoll"]), row["linux_name"], _fmt(row["linux"]), tail))
    out.flush()
