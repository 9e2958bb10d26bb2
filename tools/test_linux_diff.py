"""Host tests of the differential comparison (tools/linux_diff.py) and of the golden files
tools/linux_ref.py writes, on small made-up serial logs. Run by tools/pyunit.py (make unit,
make test)."""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linux_diff  # noqa: E402
import linux_ref  # noqa: E402


def log(*cases, plan=None, done=True, crlf=False, prefix=""):
    """A driver's log: cases are (name, output text, status, noeol)."""
    out = []
    for name in (plan if plan is not None else [c[0] for c in cases]):
        out.append("=== PLAN %s\n" % name)
    for name, text, status, noeol in cases:
        out.append("=== BEGIN %s\n" % name)
        out.append(text + ("\n" if noeol else ""))
        out.append("=== END %s status %d%s\n" % (name, status, " noeol" if noeol else ""))
    if done:
        out.append("=== DONE\n")
    text = "".join(out)
    if prefix:
        text = "".join(prefix + line + "\n" for line in text.split("\n")[:-1])
    return text.replace("\n", "\r\n") if crlf else text


def quiet(_msg):
    pass


HELLO = ("musl/hello", "hello, world\n", 0, False)
EXIT = ("glibc/exitcode", "exiting with 42\n", 42, False)
NOEOL = ("sh/echo", "a\nb", 0, True)
EMPTY = ("sh/quiet", "", 0, False)


class LinuxDiffTest(unittest.TestCase):
    def setUp(self):
        self.golden = tempfile.mkdtemp(prefix="golden-")
        self.addCleanup(shutil.rmtree, self.golden)
        reference = log(HELLO, EXIT, NOEOL, EMPTY)
        linux_ref.write_golden(reference, self.golden, full=True, report=quiet)

    def results(self, text, **kw):
        return [(s, n, r) for s, n, r in linux_diff.compare(text, self.golden, **kw)]

    def fails(self, text, **kw):
        return {n: r for s, n, r in self.results(text, **kw) if s == "FAIL"}

    def test_golden_files(self):
        with open(os.path.join(self.golden, "sh", "echo.out")) as f:
            self.assertEqual(f.read(), "a\nb\n=== status 0 noeol\n")
        with open(os.path.join(self.golden, "glibc", "exitcode.out")) as f:
            self.assertEqual(f.read(), "exiting with 42\n=== status 42\n")
        with open(os.path.join(self.golden, "sh", "quiet.out")) as f:
            self.assertEqual(f.read(), "=== status 0\n")

    def test_same_output_passes(self):
        res = self.results(log(HELLO, EXIT, NOEOL, EMPTY))
        self.assertEqual(res, [("PASS", "linux/musl/hello", ""),
                               ("PASS", "linux/glibc/exitcode", ""),
                               ("PASS", "linux/sh/echo", ""),
                               ("PASS", "linux/sh/quiet", "")])

    def test_carriage_returns_and_kernel_lines_are_filtered(self):
        text = log(HELLO, EXIT, crlf=True)
        text = text.replace("hello, world", "[    1.234567] I some: kernel line\r\nhello, world")
        self.assertEqual(self.fails(text), {})

    def test_server_log_lines_are_filtered(self):
        text = log(HELLO, EXIT)
        text = text.replace("hello, world", "| posix: pid 3 (x): system call 41 (socket) is not "
                            "implemented: ENOSYS\nhello, world")
        self.assertEqual(self.fails(text), {})
        # a program's own line that merely starts with "| " is output
        text = log(HELLO, EXIT).replace("hello, world", "| hello, world")
        self.assertIn("linux/musl/hello", self.fails(text))

    def test_prefix_is_removed(self):
        self.assertEqual(self.fails(log(HELLO, NOEOL, prefix="| "), prefix="| "), {})

    def test_first_differing_line(self):
        f = self.fails(log(("sh/echo", "a\nx", 0, True)))
        self.assertEqual(f, {"linux/sh/echo": "line 2: expected 'b', got 'x'"})

    def test_output_shorter_and_longer(self):
        f = self.fails(log(("musl/hello", "", 0, False)))
        self.assertEqual(f["linux/musl/hello"],
                         "line 1: expected 'hello, world', got the end of the output")
        f = self.fails(log(("musl/hello", "hello, world\nmore\n", 0, False)))
        self.assertEqual(f["linux/musl/hello"],
                         "line 2: expected the end of the output, got 'more'")

    def test_status_and_final_newline(self):
        f = self.fails(log(("glibc/exitcode", "exiting with 42\n", 139, False)))
        self.assertEqual(f["linux/glibc/exitcode"], "status 139, expected status 42")
        f = self.fails(log(("sh/echo", "a\nb\n", 0, False)))
        self.assertEqual(f["linux/sh/echo"], "status 0, expected status 0 noeol")

    def test_case_cut_short_and_never_run(self):
        text = log(HELLO, plan=["musl/hello", "glibc/exitcode", "sh/echo"], done=False)
        text += "=== BEGIN glibc/exitcode\nexiting\n"
        f = self.fails(text)
        self.assertEqual(f["linux/glibc/exitcode"],
                         "began but never ended (1 line of output, the last 'exiting')")
        self.assertEqual(f["linux/sh/echo"], "planned, never ran")
        self.assertNotIn("linux", f)  # the missing DONE is told by the cases
        self.assertNotIn("linux/musl/hello", f)

    def test_no_plan_no_done(self):
        self.assertEqual(list(self.fails("boot messages only\n")), ["linux"])
        f = self.fails(log(HELLO, done=False))
        self.assertIn("never printed === DONE", f["linux"])

    def test_missing_golden_and_unplanned(self):
        f = self.fails(log(HELLO, ("musl/new", "x\n", 0, False)))
        self.assertIn("no golden file", f["linux/musl/new"])
        f = self.fails(log(HELLO, plan=[]) + "=== PLAN musl/hello\n")
        self.assertEqual(f, {})
        text = log(HELLO, ("sh/echo", "a\nb", 0, True), plan=["musl/hello"])
        self.assertEqual(self.fails(text), {"linux/sh/echo": "ran without being planned"})

    def test_require_all(self):
        text = log(HELLO)
        self.assertEqual(self.fails(text), {})
        f = self.fails(text, require_all=True)
        self.assertEqual(sorted(f), ["linux/glibc/exitcode", "linux/sh/echo", "linux/sh/quiet"])

    def test_marker_like_output_of_another_case(self):
        odd = ("musl/hello", "=== END sh/echo status 0\n=== BEGIN x\n", 0, False)
        linux_ref.write_golden(log(odd), self.golden, full=False, report=quiet)
        self.assertEqual(self.fails(log(odd)), {})

    def test_line_filters(self):
        filters = [(r"pid \d+", "pid N", "pids differ between systems")]
        linux_ref.write_golden(log(("sh/quiet", "pid 17\n", 0, False)), self.golden, False,
                               report=quiet)
        text = log(("sh/quiet", "pid 4242\n", 0, False))
        self.assertIn("linux/sh/quiet", self.fails(text))
        self.assertEqual(self.fails(text, filters=filters), {})

    def test_full_rewrite_removes_stale_golden(self):
        written, changed, removed = linux_ref.write_golden(log(HELLO), self.golden, full=True,
                                                           report=quiet)
        self.assertEqual((written, changed, removed), (1, 0, 3))
        self.assertEqual(list(linux_diff.golden_cases(self.golden)), ["musl/hello"])


class GoldenFilesTest(unittest.TestCase):
    """The committed golden files match the cases: `make linux-golden` was run after the
    last change to tests/linux/cases.list or tests/linux/sh/."""

    def test_every_case_has_a_golden_file(self):
        golden = linux_diff.golden_cases(linux_diff.DEFAULT_GOLDEN)
        cases = linux_diff.expected_cases()
        self.assertIn("musl/hello", cases)
        self.assertEqual(sorted(set(cases) - set(golden)), [], "cases without a golden file")
        self.assertEqual(sorted(set(golden) - set(cases)), [], "golden files of no case")

    def test_golden_files_end_with_a_status(self):
        for case, path in linux_diff.golden_cases(linux_diff.DEFAULT_GOLDEN).items():
            _, status = linux_diff.read_golden(path)
            self.assertRegex(status, r"^=== status \d+( noeol)?$", case)


if __name__ == "__main__":
    unittest.main()
