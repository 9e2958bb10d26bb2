#!/usr/bin/env python3
"""The host tests of the Python tools: every tools/test_*.py (unittest), one line per test,
`PASS pyunit.<module>.<test>` or `FAIL pyunit.<module>.<test>: reason`, as the C unit tests
print theirs (docs/testing.md). Exit status 1 if any failed. Run by `make unit` and, through
tools/runner.py --pyunit, by `make test`."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class LineResult(unittest.TestResult):
    def _name(self, test):
        module = test.__class__.__module__
        if module.startswith("test_"):
            module = module[len("test_"):]
        return "pyunit.%s.%s" % (module, test._testMethodName)

    def addSuccess(self, test):
        super().addSuccess(test)
        print("PASS %s" % self._name(test), flush=True)

    def _fail(self, test, err):
        exc = err[1]
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print("FAIL %s: %s: %s" % (self._name(test), type(exc).__name__, first), flush=True)
        print(self._exc_info_to_string(err, test), file=sys.stderr, flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        print("SKIP %s: %s" % (self._name(test), reason), flush=True)


def main():
    sys.path.insert(0, HERE)
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = LineResult()
    suite.run(result)
    if result.testsRun == 0:
        print("FAIL pyunit: no tests found in %s" % HERE)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
