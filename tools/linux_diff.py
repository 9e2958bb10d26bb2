#!/usr/bin/env python3
"""Differential tests: a serial log of tests/linux/driver.sh against the golden files.

The driver (docs/testing.md, "Differential tests against Linux") prints
    === PLAN <variant>/<case>             for every case it will run, first
    === BEGIN <variant>/<case>
    <the case's stdout and stderr, merged>
    === END <variant>/<case> status <n>[ noeol]
    === DONE
and tools/linux_ref.py keeps what Linux printed for each case as the golden file
tests/linux/golden/<variant>/<case>.out: the output lines, then one line
`=== status <n>[ noeol]` (noeol: the output had no final newline; the driver added one).

compare() reads another system's log (Skoll's, once the POSIX server runs the driver) and
returns one result per planned case, named linux/<variant>/<case>: PASS when the output and
the status equal the golden file's, else FAIL with the first differing line.

Only text that differs between systems for reasons that are not bugs is filtered, the same
way on both sides; each filter says why:
  - carriage returns: a serial console may turn "\\n" into "\\r\\n" (Linux's tty does);
  - kernel log lines, `[ seconds.micros] ...` at the start of a line: Linux's printk and
    Skoll's kernel log share the serial port with the driver and may land between its lines;
  - LINE_FILTERS below: substitutions inside output lines (none yet; a case that prints
    something system-specific, a pid or a time, should rather not print it).

usage: linux_diff.py LOG [--golden DIR] [--prefix TEXT] [--all]
  --prefix: text the system puts before every console line of user programs (Skoll's init
            marks them with "| "), removed first; --all: every golden file must have been
            planned (without it, a driver given patterns is checked on what it ran).
Prints PASS/FAIL lines and `N passed, N failed`; exit status 1 if any failed.
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTS_DIR = os.path.join(ROOT, "tests", "linux")
DEFAULT_GOLDEN = os.path.join(TESTS_DIR, "golden")
VARIANTS = ("musl", "glibc")  # the C libraries the driver runs each C case with

PLAN_RE = re.compile(r"^=== PLAN (\S+)$")
BEGIN_RE = re.compile(r"^=== BEGIN (\S+)$")
END_RE = re.compile(r"^=== END (\S+) status (\d+)( noeol)?$")
DONE_LINE = "=== DONE"
KERNEL_LOG_RE = re.compile(r"^\[\s*\d+\.\d+\] ")
# The POSIX server's own log on Skoll's console when it runs as a test program (its notices,
# e.g. a system call it does not implement yet; "| " is the test harness's prefix), never a
# program's output.
SERVER_LOG_RE = re.compile(r"^\| posix: ")
# (pattern, replacement, why): applied to every output line of both sides, in order.
LINE_FILTERS = []


class Run:
    """What a log says: planned names in order, finished cases, a case cut short, DONE."""

    def __init__(self):
        self.planned = []
        self.results = {}     # name -> (output lines, status line "=== status <n>[ noeol]")
        self.unfinished = None  # (name, lines so far) of a case begun and never ended
        self.done = False


def normalize(text, prefix=""):
    """The log's lines with carriage returns, the prefix, and kernel and server log lines
    removed."""
    lines = []
    for line in text.replace("\r", "").split("\n"):
        if prefix and line.startswith(prefix):
            line = line[len(prefix):]
        if KERNEL_LOG_RE.match(line) or SERVER_LOG_RE.match(line):
            continue
        lines.append(line)
    return lines


def filter_line(line, filters=None):
    for pattern, repl, _why in (LINE_FILTERS if filters is None else filters):
        line = re.sub(pattern, repl, line)
    return line


def parse_log(text, prefix=""):
    """Splits a driver's serial log into a Run."""
    run = Run()
    current, lines = None, []
    for line in normalize(text, prefix):
        if current is None:
            m = PLAN_RE.match(line)
            if m:
                run.planned.append(m.group(1))
            elif BEGIN_RE.match(line):
                current, lines = BEGIN_RE.match(line).group(1), []
            elif line == DONE_LINE:
                run.done = True
            continue
        m = END_RE.match(line)
        if m and m.group(1) == current:
            run.results[current] = (lines, "=== status %s%s" % (m.group(2), m.group(3) or ""))
            current = None
        else:
            lines.append(line)
    if current is not None:
        # a trailing empty string is only the log's last newline
        run.unfinished = (current, lines[:-1] if lines and lines[-1] == "" else lines)
    return run


def golden_text(lines, status):
    """A golden file's contents: the output lines, then the status line."""
    return "".join(line + "\n" for line in lines + [status])


def read_golden(path):
    """(output lines, status line) of a golden file."""
    with open(path, errors="replace") as f:
        lines = f.read().replace("\r", "").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[-1].startswith("=== status "):
        return lines, "(no status line)"
    return lines[:-1], lines[-1]


def expected_cases(tests_dir=TESTS_DIR):
    """The cases the driver runs with no patterns, in its order (as driver.sh lists them):
    <variant>/<case> for each line of cases.list and each variant, then sh/<name> for each
    sh/<name>.sh."""
    cases = []
    dyn = set()
    dyn_list = os.path.join(tests_dir, "dyn.list")
    if os.path.exists(dyn_list):
        with open(dyn_list) as f:
            dyn = {w.split()[0] for w in f if w.split() and not w.startswith("#")}
    with open(os.path.join(tests_dir, "cases.list")) as f:
        for line in f:
            words = line.split()
            if words and not words[0].startswith("#"):
                cases += ["%s/%s" % (v, words[0]) for v in VARIANTS]
                if words[0] in dyn:
                    cases.append("dyn/" + words[0])
    sh = os.path.join(tests_dir, "sh")
    if os.path.isdir(sh):
        cases += ["sh/" + f[:-3] for f in sorted(os.listdir(sh)) if f.endswith(".sh")]
    return cases


def golden_cases(golden_dir):
    """{<variant>/<case>: path} of every golden file."""
    cases = {}
    if not os.path.isdir(golden_dir):
        return cases
    for variant in sorted(os.listdir(golden_dir)):
        vdir = os.path.join(golden_dir, variant)
        if not os.path.isdir(vdir):
            continue
        for f in sorted(os.listdir(vdir)):
            if f.endswith(".out"):
                cases["%s/%s" % (variant, f[:-4])] = os.path.join(vdir, f)
    return cases


def _show(line, limit=100):
    r = repr(line)
    return r if len(r) <= limit else r[:limit] + "..."


def first_difference(want, got, filters=None):
    """None if the line lists match after filtering, else a phrase naming the first difference."""
    want = [filter_line(x, filters) for x in want]
    got = [filter_line(x, filters) for x in got]
    for i in range(max(len(want), len(got))):
        if i >= len(want):
            return "line %d: expected the end of the output, got %s" % (i + 1, _show(got[i]))
        if i >= len(got):
            return "line %d: expected %s, got the end of the output" % (i + 1, _show(want[i]))
        if want[i] != got[i]:
            return "line %d: expected %s, got %s" % (i + 1, _show(want[i]), _show(got[i]))
    return None


def compare(text, golden_dir=DEFAULT_GOLDEN, prefix="", require_all=False, filters=None):
    """Results [(PASS|FAIL, name, reason)] of a driver's log against the golden files."""
    run = parse_log(text, prefix)
    golden = golden_cases(golden_dir)
    results = []

    def fail(name, why):
        results.append(("FAIL", name, why))

    if not run.planned:
        fail("linux", "the driver printed no plan (=== PLAN lines): it did not start or "
             "could not list its cases")
        return results
    rel = os.path.relpath(golden_dir, ROOT)
    for case in run.planned:
        name = "linux/" + case
        if case not in golden:
            fail(name, "no golden file %s/%s.out (make linux-golden)" % (rel, case))
        elif case in run.results:
            lines, status = run.results[case]
            want_lines, want_status = read_golden(golden[case])
            diff = first_difference(want_lines, lines, filters)
            if diff:
                fail(name, diff)
            elif status != want_status:
                fail(name, "%s, expected %s" % (status[4:], want_status[4:]))
            else:
                results.append(("PASS", name, ""))
        elif run.unfinished and run.unfinished[0] == case:
            out = run.unfinished[1]
            fail(name, "began but never ended (%d line%s of output%s)" % (
                len(out), "" if len(out) == 1 else "s",
                ", the last %s" % _show(out[-1]) if out else ""))
        else:
            fail(name, "planned, never ran")
    for case in sorted(set(run.results) - set(run.planned)):
        fail("linux/" + case, "ran without being planned")
    if require_all:
        for case in sorted(set(golden) - set(run.planned)):
            fail("linux/" + case, "has a golden file but the driver did not plan it")
    if not run.done and all(c in run.results for c in run.planned):
        fail("linux", "the driver never printed %s after its last case" % DONE_LINE)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("log")
    ap.add_argument("--golden", default=DEFAULT_GOLDEN)
    ap.add_argument("--prefix", default="")
    ap.add_argument("--all", action="store_true")
    args = ap.parse_args()
    with open(args.log, errors="replace") as f:
        text = f.read()
    counts = {"PASS": 0, "FAIL": 0}
    for status, name, reason in compare(text, args.golden, args.prefix, args.all):
        counts[status] += 1
        print("%s %s%s" % (status, name, ": " + reason if reason else ""))
    print("%d passed, %d failed" % (counts["PASS"], counts["FAIL"]))
    return 1 if counts["FAIL"] or not counts["PASS"] else 0


if __name__ == "__main__":
    sys.exit(main())
