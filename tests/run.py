#!/usr/bin/python3
"""Run every sluice test and print "N passed, N failed" last.

C unit tests: every executable in bin/tests/ (one "ok"/"not ok" line per
check).  Python tests: every tests/**/test_*.py, each file in its own
process through tests/lib/pyrunner.py (one PASS/FAIL/SKIP line per test).
Each file has a time limit; a file that times out or crashes counts as one
failure.  Files run two at a time (the machine has two cores and the
integration tests mostly wait).

  tests/run.py [-k SUBSTRING] [-j N]    run only files whose path contains it
"""
import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILE_TIMEOUT = int(os.environ.get("SLUICE_TEST_TIMEOUT", "600"))


def discover(pattern):
    items = []
    tdir = os.path.join(TOP, "bin", "tests")
    if os.path.isdir(tdir):
        for name in sorted(os.listdir(tdir)):
            p = os.path.join(tdir, name)
            if os.access(p, os.X_OK) and os.path.isfile(p):
                items.append(("c", p))
    for root, dirs, files in os.walk(os.path.join(TOP, "tests")):
        dirs.sort()
        for name in sorted(files):
            if name.startswith("test_") and name.endswith(".py"):
                items.append(("py", os.path.join(root, name)))
    if pattern:
        items = [i for i in items if pattern in i[1]]
    return items


def run_one(item):
    kind, path = item
    rel = os.path.relpath(path, TOP)
    if kind == "c":
        cmd = [path]
    else:
        cmd = [sys.executable, os.path.join(TOP, "tests", "lib", "pyrunner.py"), path]
    start = time.time()
    try:
        p = subprocess.run(cmd, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=FILE_TIMEOUT)
        out = p.stdout.decode("utf-8", "replace")
        rc = p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace") + "\nTIMEOUT after %ds\n" % FILE_TIMEOUT
        rc = -1
    passed = failed = skipped = 0
    for line in out.splitlines():
        if kind == "c":
            if line.startswith("ok "):
                passed += 1
            elif line.startswith("not ok "):
                failed += 1
        else:
            if line.startswith("PASS "):
                passed += 1
            elif line.startswith("FAIL ") or line.startswith("ERROR "):
                failed += 1
            elif line.startswith("SKIP "):
                skipped += 1
    if rc != 0 and failed == 0:
        failed = 1          # crashed, timed out, or exited non-zero without saying why
    return rel, passed, failed, skipped, out, time.time() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="")
    ap.add_argument("-j", type=int, default=int(os.environ.get("SLUICE_TEST_JOBS", "2")))
    ap.add_argument("-v", action="store_true", help="print all output")
    args = ap.parse_args()
    items = discover(args.k)
    # one world-readable copy of the programs for all test files when the
    # build tree is not reachable by the sluice system users (root, /root/...)
    sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
    import harness
    copied = "SLUICE_BIN" not in os.environ
    bindir = harness.bin_dir()
    os.environ["SLUICE_BIN"] = bindir
    tp = tf = ts = 0
    failures = []
    with ThreadPoolExecutor(max_workers=max(1, args.j)) as ex:
        for rel, p, f, s, out, secs in ex.map(run_one, items):
            tp += p
            tf += f
            ts += s
            status = "ok" if f == 0 else "FAILED"
            print("%-48s %4d passed %3d failed %3d skipped %6.1fs  %s" % (rel, p, f, s, secs, status))
            if f or args.v:
                for line in out.splitlines():
                    print("    | " + line)
            if f:
                failures.append((rel, out))
            sys.stdout.flush()
    if copied and bindir != os.path.join(TOP, "bin"):
        import shutil
        shutil.rmtree(bindir, ignore_errors=True)
    # the end of the output is often all that is kept (CI shows its tail):
    # name what failed there again, each with the end of its output
    for rel, out in failures:
        lines = out.splitlines()
        named = [l for l in lines if l.startswith(("FAIL ", "ERROR ", "not ok ", "TIMEOUT"))]
        print("FAILED %s: %s" % (rel, "; ".join(named) or "exited non-zero"))
        for line in lines[-25:]:
            print("    | " + line)
    print("%d passed, %d failed, %d skipped" % (tp, tf, ts))
    sys.exit(1 if tf or not items else 0)


if __name__ == "__main__":
    main()
