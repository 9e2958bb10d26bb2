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

Linux's 2-CPU cases are measured in two boot configurations (tools/linux_bench.py): idle CPUs
halting (the default, `<name>`) and polling (`idle=poll`, `<name>_idlepoll_<unit>`), since
Skoll's idle CPUs watch for work before halting. A row is read against the faster of the
two and says which. A row may also name several Linux figures (a tuple): it is read against
the best of them (in either configuration) and says which that was.
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
    # 1 MiB sends, 8 in flight, one copy: the like-for-like reference is the best Linux way
    # to move 1 MiB to another process: a pipe (64 KiB, two copies, blocking every 64 KiB),
    # a pipe enlarged to 1 MiB (F_SETPIPE_SZ), or process_vm_writev (one copy, 8 in flight).
    ("ipc_bandwidth_1m_mbps",
     ("pipe_bandwidth_1m_mbps", "pipe1m_bandwidth_1m_mbps", "pvm_bandwidth_1m_mbps"),
     "best of: pipe, 1 MiB pipe, process_vm_writev, 2 CPUs"),
    ("ipc_bandwidth_1m_mbps", "pipe_bandwidth_1m_mbps", "1 MiB writes through a pipe, 2 CPUs"),
    ("ipc_bandwidth_1m_mbps", "pipe1m_bandwidth_1m_mbps", "1 MiB writes, 1 MiB pipe, 2 CPUs"),
    ("ipc_bandwidth_1m_mbps", "pvm_bandwidth_1m_mbps", "1 MiB process_vm_writev, 2 CPUs"),
    ("ipc_bandwidth_1m_mbps", "pipe_bandwidth_1m_1cpu_mbps", "1 MiB writes, pipe, 1 CPU"),
    # The queue runtime: N nops submitted and completed through the queue with one drive,
    # against N io_uring nops with one io_uring_enter (the same work), per nop.
    ("async_nop_1_ns", "uring_nop_1_ns", "io_uring nop, 1 per io_uring_enter"),
    ("async_nop_16_ns", "uring_nop_16_ns", "io_uring nops, 16 per io_uring_enter"),
    ("async_nop_128_ns", "uring_nop_128_ns", "io_uring nops, 128 per io_uring_enter"),
    # The raw ABI (no dispatcher: SQEs written and CQEs read by hand), as the io_uring rows
    # use io_uring's: like for like.
    ("async_nop_raw_128_ns", "uring_nop_128_ns", "io_uring nops, 128 per io_uring_enter"),
    # Against the cheapest Linux system call: one nop per drive is one trip into the kernel
    # and back, as getppid is; the batched rows do 1/16 or 1/128 of a trip per nop (unequal
    # work: the goal async_nop_128_ns <= 0.05 x getppid was set this way).
    ("async_nop_1_ns", "null_syscall_ns", "getppid() (1 nop per drive)"),
    ("async_nop_128_ns", "null_syscall_ns", "getppid() (128 nops per drive; unequal work)"),
    ("async_nop_raw_128_ns", "null_syscall_ns", "getppid() (128 raw nops; unequal work)"),
    ("drive_wait_wakeup_ns", "futex_pingpong_2cpu_ns", "futex handoff across two CPUs"),
    ("drive_wait_wakeup_ns", "eventfd_pingpong_2cpu_ns", "eventfd handoff across two CPUs"),
    # Thread observation: a supercall stops the thread, the supervisor resumes it. Linux:
    # ptrace(PTRACE_SYSEMU) syscall interception, the tracee a forked process (how a POSIX
    # process will sit under Skoll's server) and a CLONE_VM one (one address space, as
    # bench-core's observed thread shares its supervisor's).
    ("observe_roundtrip_ns", "observe_roundtrip_ns", "PTRACE_SYSEMU stop+resume, fork, 1 CPU"),
    ("observe_roundtrip_ns", "observe_roundtrip_sharedvm_ns",
     "PTRACE_SYSEMU stop+resume, CLONE_VM, 1 CPU"),
    # The POSIX server (tools/posix_bench.py): the same Linux program, tests/linux/posixbench.c,
    # on both systems. getppid is a round trip to the server on Skoll, native on Linux (the
    # issue's goals: <= 10x with server and client on two CPUs, <= 40x on one).
    ("posix_getppid_2cpu_ns", "posix_getppid_ns", "getppid(), native (goal <= 10x)"),
    ("posix_getppid_1cpu_ns", "posix_getppid_ns", "getppid(), native, 1 CPU (goal <= 40x)"),
    ("posix_fork_exit_wait_us", "posix_fork_exit_wait_us", "fork + _exit + wait (goal <= 1x)"),
    ("posix_fork_exec_wait_us", "posix_fork_exec_wait_us", "fork + execve + wait (goal <= 1x)"),
    ("posix_pipe_roundtrip_ns", "posix_pipe_roundtrip_ns", "16 bytes there and back, pipes"),
    ("posix_pipe_mbps", "posix_pipe_mbps", "64 KiB writes through a pipe (goal >= 1x)"),
    ("posix_tmpfs_read4k_ns", "posix_tmpfs_read4k_ns", "4 KiB pread, tmpfs (goal <= 3x)"),
    ("posix_script_ms", "posix_script_ms", "busybox sh script, ~1,000 processes (<= 1.5x)"),
    ("posix_boot_to_prompt_ms", "posix_boot_to_init_ms", "boot to /init (goal <= 0.1x)"),
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


IDLE_POLL_TAG = "idlepoll"
CONFIG_HALT, CONFIG_POLL = "halt", "idle=poll"


def idle_poll_name(name):
    """The name of a Linux figure measured in the idle=poll boot: pipe_roundtrip_2cpu_ns ->
    pipe_roundtrip_2cpu_idlepoll_ns (tools/linuxbench/main.c, lbtag=)."""
    base, unit = name.rsplit("_", 1)
    return "%s_%s_%s" % (base, IDLE_POLL_TAG, unit)


def _better(a, b, rate):
    """True when figure value a is better than b (higher for a rate, lower for a time)."""
    return a > b if rate else a < b


def linux_candidates(names, linux):
    """The Linux figures a row may be read against: [(name, config, (value, unit))] for each
    of names (a str or a tuple) in each configuration measured; config is CONFIG_HALT or
    CONFIG_POLL when the idle=poll boot measured that figure too, else None."""
    out = []
    for name in (names,) if isinstance(names, str) else names:
        poll = linux.get(idle_poll_name(name))
        if name in linux:
            out.append((name, CONFIG_HALT if poll else None, linux[name]))
        if poll:
            out.append((name, CONFIG_POLL, poll))
    return out


def comparison_rows(skoll, linux):
    """One dict per COUNTERPARTS row: skoll_name, linux_name (the Linux figure read against:
    of several, the best), what, skoll, linux (each a (value, unit) or None), config (the
    chosen figure's boot configuration, CONFIG_HALT or CONFIG_POLL, or None when only one
    was measured), others ([(name, config, ratio)] for the alternatives not chosen), group
    (how many Linux figures the row names), ratio (float or None: Skoll's cost over Linux's),
    inverted (True when the unit is a rate, so ratio = linux / skoll) and status (a short
    reason when no ratio).
    """
    rows = []
    for s_name, l_names, what in COUNTERPARTS:
        s = skoll.get(s_name)
        cands = linux_candidates(l_names, linux)
        group = 1 if isinstance(l_names, str) else len(l_names)
        first = l_names if isinstance(l_names, str) else l_names[0]
        unit = s[1] if s else (cands[0][2][1] if cands else "")
        inverted = unit in RATE_UNITS
        same = [c for c in cands if s is None or c[2][1] == s[1]]
        best = None
        for c in same:
            if best is None or _better(c[2][0], best[2][0], inverted):
                best = c
        chosen = best or (cands[0] if cands else None)
        lx = chosen[2] if chosen else None
        ratio, status = None, ""
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

        def ratio_of(fig):
            if s is None or fig[0] <= 0 or s[0] <= 0:
                return None
            return fig[0] / s[0] if inverted else s[0] / fig[0]

        others = [(n, cfg, ratio_of(fig)) for n, cfg, fig in same if (n, cfg) !=
                  (chosen[0], chosen[1])] if ratio is not None else []
        rows.append({"skoll_name": s_name, "linux_name": chosen[0] if chosen else first,
                     "what": what, "skoll": s, "linux": lx,
                     "config": chosen[1] if chosen else None, "others": others,
                     "group": group, "ratio": ratio, "inverted": inverted, "status": status})
    return rows


def _fmt(fig):
    """A figure as the `bench` and `linux` lines print it: whole from 100 up, else three
    significant digits."""
    if not fig:
        return "-"
    return ("%.0f %s" if fig[0] >= 100 else "%.3g %s") % fig


def ratio_note(row):
    """What a row's ratio was read against, for the table: '' or e.g. 'vs idle=poll; halt
    0.12' or 'best of 3, halt'."""
    parts = []
    if row["group"] > 1:
        parts.append("best of %d%s" % (row["group"], ", " + row["config"] if row["config"]
                                       else ""))
    elif row["config"]:
        other = [r for n, cfg, r in row["others"] if r is not None]
        parts.append("vs %s%s" % (row["config"], "; %s %.2f" % (
            CONFIG_HALT if row["config"] == CONFIG_POLL else CONFIG_POLL, other[0])
            if other else ""))
    if row["inverted"]:
        parts.append("rate: linux / skoll")
    return "(%s)" % "; ".join(parts) if parts else ""


def print_comparison(skoll, linux, out=None):
    """Prints the comparison table, one `#` line per COUNTERPARTS row, to out (default: the
    sys.stdout of the moment)."""
    out = out or sys.stdout
    out.write("# Skoll vs Linux (ratio = Skoll's cost / Linux's: skoll / linux for times,\n"
              "# linux / skoll for rates (%s), marked; below 1 Skoll is faster). A 2-CPU\n"
              "# row is read against the faster Linux boot, idle CPUs halting (halt, the\n"
              "# default) or polling (idle=poll), and names it with the other's ratio;\n"
              "# \"best of N\": the best of N Linux figures (and configurations)\n"
              % ", ".join(sorted(RATE_UNITS)))
    out.write("#   %-28s %-11s %-29s %-11s %s\n" % ("skoll", "", "linux", "", "ratio"))
    for row in comparison_rows(skoll, linux):
        if row["ratio"] is None:
            tail = row["status"]
        else:
            tail = ("%.2f %s" % (row["ratio"], ratio_note(row))).rstrip()
        out.write("#   %-28s %-11s %-29s %-11s %s\n" % (
            row["skoll_name"], _fmt(row["skoll"]), row["linux_name"], _fmt(row["linux"]), tail))
    out.flush()
