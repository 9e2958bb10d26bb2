#!/usr/bin/env python3
"""Skoll test runner: the host unit tests and the boot cases, one summary line at the end.

usage: runner.py [--unit BINARY] [--pyunit] [--cases FILE] [--jobs N] [--only NAME,...]
                 [--timeout-scale X]

--unit runs the C unit tests' binary, --pyunit the Python tools' tests (tools/pyunit.py);
both print PASS/FAIL lines that are counted like the boots' results.

Each boot case runs QEMU (TCG) under a timeout with the serial port in a log file
(build/test-logs/<case>.log) and is classified as
  pass   QEMU left through isa-debug-exit with the pass status and a clean summary for
         each tier the command line asked for (selftest=, usertests=),
  fail   the kernel reported failed self tests (or an unexpected exit status),
  panic  the panic marker appeared in the log,
  hang   the timeout expired,
  poweroff / reset
         (cases that end the machine on purpose) QEMU exited with status 0, its QMP SHUTDOWN
         event gave the reason guest-shutdown (ACPI S5) or guest-reset (a reset under
         -no-reboot), and the kernel logged its `power: off (...)` or `power: reset (...)` line.
In a case expected to pass, every PASS/FAIL/SKIP line the kernel prints counts as one
test (named case/test); every boot counts as one more (boot/case), passing when its
outcome is the expected one (cases expecting fail, panic or hang check the runner itself).

What must report: whoever runs tests first announces them with `PLAN <name>` lines, the
names its PASS/FAIL/SKIP lines will carry (the kernel its self tests and no_page_leak,
init the programs it will run, each test program its cases). Every planned name that
never reports is a failure of its own ("planned, never reported": the program or the
boot ended or hung first). For usertests=all the runner also expects init to run every
tests/system/test-*.c (what the Makefile builds), so a program left out of the boot
archive fails by name too. Nothing here lists tests by hand.

Timeouts are liveness bounds, generous on purpose (a loaded host may run the guest many
times slower than usual); --timeout-scale (or SKOLL_TIMEOUT_SCALE) multiplies them for
hosts slower still. Cases that expect a hang keep their own timeout.
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from skoll_qemu import (DEFAULT_MEM, EXIT_FAIL, EXIT_PANIC, EXIT_PASS,  # noqa: E402
                        PANIC_MARKER, qemu_cmd)

LOG_DIR = os.path.join(ROOT, "build", "test-logs")
RESULT_RE = re.compile(r"^(?:\| )?(PASS|FAIL|SKIP) ([^\s:]+)(?::\s*(.*))?$")
PLAN_RE = re.compile(r"^(?:\| )?PLAN ([^\s:]+)$")
SUMMARY_RE = re.compile(r"^(?:\| )?(selftests|usertests): (\d+) passed, (\d+) failed")
FRAME_RE = re.compile(r"#\d+\s+0x[0-9a-f]+ (?:\? )?([A-Za-z_][\w.]*)\+0x[0-9a-f]+")
# Power cases: QEMU's QMP on stdio says why it stopped (SHUTDOWN event, after the handshake).
POWER_CASES = {"poweroff": ("guest-shutdown", "power: off ("),
               "reset": ("guest-reset", "power: reset (")}
QMP_HELLO = b'{"execute": "qmp_capabilities"}\n'
SHUTDOWN_RE = re.compile(r'"event": "SHUTDOWN".*?"reason": "([a-z-]+)"')


class Case:
    def __init__(self, line, timeout_scale=1.0):
        f = line.split()
        self.name, self.kind, self.config = f[0], f[1], f[2]
        self.smp, self.expect, self.timeout = int(f[3]), f[4], float(f[5])
        self.scale = timeout_scale
        if self.expect != "hang":
            self.timeout *= timeout_scale
        words = f[6:]
        self.want = [w[5:] for w in words if w.startswith("want=")]
        mems = [w[4:] for w in words if w.startswith("mem=")]
        self.mem = mems[-1] if mems else DEFAULT_MEM
        machines = [w[8:] for w in words if w.startswith("machine=")]
        self.machine = machines[-1] if machines else "q35"
        cpus = [w[4:] for w in words if w.startswith("cpu=")]
        self.cpu = cpus[-1] if cpus else None
        # linux=1: the boot runs the differential driver (tests/linux/driver.sh) on the POSIX
        # server; every case it runs is compared with its golden file from Linux
        self.linux = "linux=1" in words
        kernel_words = [w for w in words
                        if not w.startswith(("want=", "mem=", "machine=", "cpu=", "linux="))]
        # the boot progress lines (quiet by default) make a failed boot's log readable
        if not any(w.startswith("loglevel=") for w in kernel_words):
            kernel_words.append("loglevel=info")
        self.cmdline = " ".join(kernel_words + ["qemu_exit"])
        # a shell session boots the system itself: no qemu_exit, the kernel's quiet log
        self.shell_cmdline = " ".join(w for w in words if not w.startswith(
            ("want=", "mem=", "machine=", "cpu=", "linux=")))
        self.out = os.path.join(ROOT, "build") if self.config == "debug" else \
            os.path.join(ROOT, "build", "release")

    def required_programs(self):
        """Programs init must run and report: with usertests=all every tests/system/test-*.c
        (the Makefile builds and packs exactly those), else the names listed."""
        lists = [w[len("usertests="):] for w in self.cmdline.split() if w.startswith("usertests=")]
        if not lists:
            return []
        if lists[-1] == "all":
            src = os.path.join(ROOT, "tests", "system")
            return sorted(f[:-2] for f in os.listdir(src)
                          if f.startswith("test-") and f.endswith(".c"))
        return [n for n in lists[-1].split(",") if n]


def load_cases(path, timeout_scale=1.0):
    cases = []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith("#"):
                cases.append(Case(line, timeout_scale))
    return cases


def build_iso(case):
    """ISOs bake the command line in; build one per (config, cmdline)."""
    tag = re.sub(r"[^A-Za-z0-9]+", "_", case.config + "_" + case.cmdline)
    iso = os.path.join(ROOT, "build", "test-iso", tag + ".iso")
    elf = os.path.join(case.out, "skoll.elf")
    initrd = os.path.join(case.out, "initrd.cpio")
    if not os.path.exists(iso) or os.path.getmtime(iso) < max(os.path.getmtime(elf),
                                                                 os.path.getmtime(initrd)):
        os.makedirs(os.path.dirname(iso), exist_ok=True)
        subprocess.run([os.path.join(HERE, "mkiso.sh"), iso, elf, initrd, case.cmdline],
                       check=True)
    return iso


def summaries_ok(case, summaries):
    """Every tier the command line asked for reported, with tests run and none failed."""
    want = [k for k, word in (("selftests", "selftest="), ("usertests", "usertests="))
            if word in case.cmdline]
    return bool(want) and all(k in summaries and summaries[k][0] > 0 and summaries[k][1] == 0
                              for k in want)


def parse_log(text):
    """The PLAN names (in order, once each), the results [(status, name, reason)] and the
    tier summaries {tier: (passed, failed)} of a serial log."""
    planned, results, summaries = [], [], {}
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = PLAN_RE.match(line)
        if m:
            if m.group(1) not in planned:
                planned.append(m.group(1))
            continue
        m = RESULT_RE.match(line)
        if m:
            results.append((m.group(1), m.group(2), m.group(3) or ""))
        m = SUMMARY_RE.match(line)
        if m:
            summaries[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return planned, results, summaries


def missing_tests(case, planned, results, outcome):
    """A FAIL for every name that had to report and did not: each planned one, and each
    program init had to run. results: (status, name, reason) with names as logged."""
    by_name = {name: (st, why) for st, name, why in results}

    def last_of(prefix):
        inside = [name for _, name, _ in results if name.startswith(prefix)]
        return inside[-1] if inside else "none"

    missing = []
    for name in planned:
        if name in by_name:
            continue
        prog = name.rsplit("/", 1)[0] if "/" in name else None
        if prog and prog in by_name:  # the program ended (init reported it) without it
            st, why = by_name[prog]
            how = "with status 0" if st == "PASS" else why
            where = "%s ended %s; its last result: %s" % (prog, how, last_of(prog + "/"))
        elif prog:
            where = "the boot ended (%s) while %s ran; its last result: %s" % (
                outcome, prog, last_of(prog + "/"))
        else:
            where = "the boot ended (%s); last result: %s" % (
                outcome, results[-1][1] if results else "none")
        missing.append(("FAIL", name, "planned, never reported: " + where))
    for prog in case.required_programs():
        if prog not in by_name and prog not in planned:
            missing.append(("FAIL", prog, "not run by init (not in the boot archive?)"))
    # the cases of a program that was running when the boot ended first: one of them hung
    return sorted(missing, key=lambda m: " ran; " not in m[2])


def run_case(case):
    """Boot one case; returns (outcome, detail, [(status, name, reason)], seconds)."""
    log = os.path.join(LOG_DIR, case.name + ".log")
    if os.path.exists(log):
        os.remove(log)
    iso = build_iso(case) if case.kind.startswith("iso") else None
    power = case.expect in POWER_CASES
    extra = (("-cpu", case.cpu) if case.cpu else ()) + (("-qmp", "stdio") if power else ())
    cmd = qemu_cmd(case.kind, case.out, smp=case.smp, mem=case.mem, cmdline=case.cmdline,
                   serial=log, iso=iso, machine=case.machine, extra=extra)
    start = time.monotonic()
    try:
        stdin = {"input": QMP_HELLO} if power else {"stdin": subprocess.DEVNULL}
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=case.timeout, **stdin)
        status, qemu_out = proc.returncode, proc.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        status, qemu_out = None, (e.stdout or b"").decode(errors="replace")
    secs = time.monotonic() - start
    text = open(log, errors="replace").read() if os.path.exists(log) else ""
    planned, logged, summaries = parse_log(text)
    if PANIC_MARKER in text:
        frames = FRAME_RE.findall(text[text.index(PANIC_MARKER):])
        outcome = "panic"
        detail = "backtrace: " + " < ".join(frames[:6]) if frames else "no symbolised backtrace"
        if case.expect == "panic":
            missing = [w for w in case.want if w not in frames]
            if not frames or missing or status != EXIT_PANIC:
                outcome = "bad-panic"
                detail += "; missing %s; status %s" % (",".join(missing) or "-", status)
    elif status is None:
        outcome, detail = "hang", "no exit within %ds" % case.timeout
    elif power:
        reasons = SHUTDOWN_RE.findall(qemu_out)
        said = [ln.strip() for ln in text.splitlines()
                if " N power: " in ln or ln.startswith("power: ")]
        detail = "QEMU status %s, QMP SHUTDOWN reason %s; kernel: %s" % (
            status, ",".join(reasons) or "none", " / ".join(said) or "no power line")
        outcome = "error"
        for kind, (reason, line) in POWER_CASES.items():
            if status == 0 and reasons == [reason] and any(line in ln for ln in said):
                outcome = kind
    elif status == EXIT_PASS and summaries_ok(case, summaries):
        outcome = "pass"
        detail = ", ".join("%d %s" % (p, k) for k, (p, _) in sorted(summaries.items()))
    elif status == EXIT_FAIL or any(f for _, f in summaries.values()):
        failed = [name for st, name, _ in logged if st == "FAIL"]
        outcome, detail = "fail", "self tests failed: " + ",".join(failed)
        if case.expect == "fail" and [w for w in case.want if w not in failed]:
            outcome = "bad-fail"
    else:
        outcome = "error"
        detail = "QEMU status %s, summaries %s; %s" % (status, summaries, qemu_out.strip()[-200:])
    if case.expect == "pass":
        logged += missing_tests(case, planned, logged, outcome)
    if case.linux:
        import linux_diff  # noqa: E402 (only the differential boots need it)
        logged += linux_diff.compare(text, require_all=True)
    results = [(st, case.name + "/" + name, why) for st, name, why in logged]
    return outcome, detail, results, secs


def run_console(case):
    """Type tests/system/console.script into the serial console; returns like run_case."""
    script = os.path.join(ROOT, "tests", "system", "console.script")
    steps = []
    for line in open(script):
        line = line.rstrip("\n")
        if line.startswith("> "):
            steps.append([line[2:], []])
        elif line.startswith("< ") and steps:
            steps[-1][1].append(re.compile(line[2:]))
    log = os.path.join(LOG_DIR, case.name + ".log")
    cmd = qemu_cmd("kernel", case.out, smp=case.smp, mem=case.mem, cmdline="kconsole")
    proc = subprocess.Popen(["timeout", str(int(case.timeout))] + cmd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    start = time.monotonic()
    text, results = "", []

    def read_until_prompt():
        """Output up to the next prompt, and whether the prompt came (False at EOF)."""
        nonlocal text
        chunk = b""
        while not chunk.endswith(b"> "):
            b = proc.stdout.read(1)
            if not b:
                break
            chunk += b
        out = chunk.decode(errors="replace").replace("\r", "")
        text += out
        return out, chunk.endswith(b"> ")

    _, alive = read_until_prompt()
    for typed, wants in steps:
        if not alive:
            break
        proc.stdin.write(typed.encode() + b"\r")
        proc.stdin.flush()
        out, alive = read_until_prompt()
        missing = [w.pattern for w in wants if not w.search(out)]
        results.append(("FAIL" if missing else "PASS", "%s/%s" % (case.name, typed.split()[0]),
                        "output lacks %s" % missing if missing else ""))
    status = proc.wait()
    open(log, "w").write(text)
    secs = time.monotonic() - start
    # every command of the script is a test: one the session never got to fails by name
    for typed, _ in steps[len(results):]:
        results.append(("FAIL", "%s/%s" % (case.name, typed.split()[0]),
                        "never typed: the session ended first"))
    if PANIC_MARKER in text:
        return "panic", "panic in console session", results, secs
    if len(results) != len(steps) or status != 0 or any(r[0] != "PASS" for r in results):
        return "fail", "console session failed (QEMU status %s)" % status, results, secs
    return "pass", "%d commands" % len(steps), results, secs


def run_shell(case):
    """Drive the booted system's console (busybox sh on the POSIX server's serial tty) like a
    person at a terminal, from tests/system/shell.script. Lines:
        = name      a test starts (its steps follow)
        > text      typed, then Enter (a carriage return, as a terminal sends)
        >> text     typed as is, Python escapes allowed (\x03 is ^C, \x1b is Esc)
        >>* text    the same, typed again every SHELL_RETRY seconds until the next "<" regex
                    appears (as a person presses ^C again when a program goes on running)
        < regex     must appear in the output since the test's last typed text; waited for
                    (a liveness bound only: SHELL_WAIT seconds, stretched by the scale)
    A test passes when every regex of it appeared. Returns like run_case."""
    import threading
    script = os.path.join(ROOT, "tests", "system", "shell.script")
    tests = []
    for line in open(script):
        line = line.rstrip("\n")
        if line.startswith("= "):
            tests.append((line[2:].strip(), []))
        elif line.startswith(">>* ") and tests:
            tests[-1][1].append(("retype", line[4:].encode().decode("unicode_escape").encode("latin-1")))
        elif line.startswith(">> ") and tests:
            tests[-1][1].append(("type", line[3:].encode().decode("unicode_escape").encode("latin-1")))
        elif line.startswith("> ") and tests:
            tests[-1][1].append(("type", line[2:].encode() + b"\r"))
        elif line.startswith("< ") and tests:
            tests[-1][1].append(("want", re.compile(line[2:])))
    log = os.path.join(LOG_DIR, case.name + ".log")
    cmd = qemu_cmd("kernel", case.out, smp=case.smp, mem=case.mem, cmdline=case.shell_cmdline)
    proc = subprocess.Popen(["timeout", str(int(case.timeout))] + cmd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    start = time.monotonic()
    out = bytearray()
    lock = threading.Condition()

    def reader():
        while True:
            b = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(1)
            with lock:
                if not b:
                    out.extend(b"\0EOF")
                    lock.notify_all()
                    return
                out.extend(b)
                lock.notify_all()

    threading.Thread(target=reader, daemon=True).start()
    wait_s = SHELL_WAIT * case.scale
    results = []
    mark = 0
    def type_text(text):
        try:
            proc.stdin.write(text)
            proc.stdin.flush()
        except OSError:
            return "QEMU is gone"
        return None

    for name, steps in tests:
        failed = None
        retype = None
        for kind, arg in steps:
            if failed:
                break
            if kind in ("type", "retype"):
                with lock:
                    mark = len(out)
                failed = type_text(arg)
                retype = arg if kind == "retype" else None
                continue
            deadline = time.monotonic() + wait_s
            next_retype = time.monotonic() + SHELL_RETRY
            with lock:
                while True:
                    seen = bytes(out[mark:]).decode(errors="replace").replace("\r", "")
                    if arg.search(seen):
                        break
                    if seen.endswith("\0EOF") or time.monotonic() > deadline:
                        failed = "output lacks %r (got %r)" % (arg.pattern, seen[-160:])
                        break
                    if retype and time.monotonic() > next_retype:
                        failed = type_text(retype)
                        next_retype = time.monotonic() + SHELL_RETRY
                        if failed:
                            break
                    lock.wait(0.2)
            retype = None
        results.append(("FAIL" if failed else "PASS", "%s/%s" % (case.name, name), failed or ""))
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        status = proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait()
    with lock:
        text = bytes(out).decode(errors="replace").replace("\r", "")
    open(log, "w").write(text)
    secs = time.monotonic() - start
    if PANIC_MARKER in text:
        return "panic", "panic in the shell session", results, secs
    if any(r[0] != "PASS" for r in results):
        return "fail", "shell session failed (QEMU status %s)" % status, results, secs
    if status != 0:
        return "fail", "QEMU status %s after the session (poweroff ends it with 0)" % status, \
            results, secs
    return "pass", "%d tests" % len(results), results, secs


SHELL_WAIT = 60  # seconds a shell step may wait for its output (liveness only)
SHELL_RETRY = 3  # seconds before a ">>*" step's text is typed again
UNIT_TIMEOUT = 600  # a liveness bound on the whole binary: it takes seconds


def run_unit(binary, timeout_scale=1.0):
    """Runs a unit test program (a path, or an argument list); returns its result lines."""
    cmd = [binary] if isinstance(binary, str) else list(binary)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=UNIT_TIMEOUT * timeout_scale)
        out, status = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as e:
        out, status = e.stdout or b"", None
    results = []
    for line in out.decode(errors="replace").splitlines():
        m = RESULT_RE.match(line)
        if m:
            results.append((m.group(1), m.group(2), m.group(3) or ""))
    if status is None:
        results.append(("FAIL", "unit", "no exit within %ds (a test hangs after %s)" % (
            UNIT_TIMEOUT * timeout_scale, results[-1][1] if results else "none")))
    elif status != 0 and all(st != "FAIL" for st, _, _ in results):
        results.append(("FAIL", "unit", "test binary exited with status %d" % status))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unit")
    ap.add_argument("--pyunit", action="store_true")
    ap.add_argument("--cases")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only")
    ap.add_argument("--timeout-scale", type=float,
                    default=float(os.environ.get("SKOLL_TIMEOUT_SCALE", "1")))
    args = ap.parse_args()
    os.makedirs(LOG_DIR, exist_ok=True)
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

    def report(status, name, reason=""):
        counts[status] += 1
        print("%s %s%s" % (status, name, ": " + reason if status != "PASS" else ""), flush=True)

    if args.unit:
        for status, name, reason in run_unit(args.unit, args.timeout_scale):
            report(status, name, reason)
    if args.pyunit:
        for status, name, reason in run_unit([sys.executable, os.path.join(HERE, "pyunit.py")],
                                             args.timeout_scale):
            report(status, name, reason)
    if args.cases:
        cases = load_cases(args.cases, args.timeout_scale)
        if args.only:
            keep = args.only.split(",")
            cases = [c for c in cases if c.name in keep]
        # ISOs are built up front, one at a time (grub-mkrescue is not parallel-safe here)
        for c in cases:
            if c.kind.startswith("iso"):
                build_iso(c)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            runners = {"console": run_console, "shell": run_shell}
            futures = [(c, pool.submit(runners.get(c.expect, run_case), c)) for c in cases]
            for case, fut in futures:
                outcome, detail, results, secs = fut.result()
                if case.expect in ("pass", "console", "shell"):
                    for status, name, reason in results:
                        report(status, name, reason)
                expected = "pass" if case.expect in ("console", "shell") else case.expect
                ok = outcome == expected
                print("# boot %s: %s (%s) in %.1fs" % (case.name, outcome, detail, secs))
                report("PASS" if ok else "FAIL", "boot/" + case.name, "%s: %s (log %s)" % (
                    outcome, detail, os.path.relpath(os.path.join(LOG_DIR, case.name + ".log"),
                                                     ROOT)))
                if not ok:
                    log = os.path.join(LOG_DIR, case.name + ".log")
                    if os.path.exists(log):
                        tail = open(log, errors="replace").read().splitlines()[-25:]
                        print("\n".join("#   | " + t for t in tail))
    print("%d passed, %d failed, %d skipped" % (counts["PASS"], counts["FAIL"], counts["SKIP"]))
    sys.exit(1 if counts["FAIL"] or counts["PASS"] == 0 else 0)


if __name__ == "__main__":
    main()
