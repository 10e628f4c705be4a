#!/usr/bin/python3
"""Run one unittest file; print one PASS/FAIL/ERROR/SKIP line per test,
with tracebacks for failures, for tests/run.py to count."""
import importlib.util
import os
import sys
import traceback
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))


class Result(unittest.TestResult):
    def startTest(self, test):
        super().startTest(test)
        print("START %s" % test.id(), flush=True)

    def addSuccess(self, test):
        print("PASS %s" % test.id(), flush=True)

    def addFailure(self, test, err):
        print("FAIL %s\n%s" % (test.id(), "".join(traceback.format_exception(*err))), flush=True)
        self.failures.append((test, ""))

    def addError(self, test, err):
        print("ERROR %s\n%s" % (test.id(), "".join(traceback.format_exception(*err))), flush=True)
        self.errors.append((test, ""))

    def addSkip(self, test, reason):
        print("SKIP %s: %s" % (test.id(), reason), flush=True)


def main():
    path = os.path.abspath(sys.argv[1])
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod    # unittest finds setUpModule through sys.modules
    try:
        spec.loader.exec_module(mod)
    except Exception:
        print("ERROR import %s\n%s" % (path, traceback.format_exc()), flush=True)
        sys.exit(1)
    suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
    r = Result()
    suite.run(r)
    sys.exit(0 if r.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
