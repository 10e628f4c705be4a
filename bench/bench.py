#!/usr/bin/python3
"""make bench: sluice and Postfix side by side on this machine, loopback only.

Both servers run at once, each on its own 127.x.y.z and port picked at run
time, each in a cgroup of its own for CPU accounting (lib_cpu.py).  First,
memory: 20 sessions each send one message and stay open while the memory
of the per-connection SMTP server processes is read.  Then rounds: each
round runs every cell once (1 session with COUNT1 messages, 20 sessions
with COUNT20, Postfix and sluice taking turns, the order alternating
between rounds) with smtp-source (lib_load.py); no round starts that would
(judging by the last one) end after BUDGET seconds, so that make bench stays
bounded however slow a server is.
The table (medians over the runs) goes to stdout and to
bench/results-latest.txt; progress goes to stderr.

    bench/bench.py [--quick] [--runs N] [--count1 N] [--count20 N] [--size B]
                   [--budget SECONDS] [--reuse] [--only postfix|sluice]

Exit status 0 when the Postfix half measured cleanly (the sluice half may
be "not available yet"), 1 on any failed measurement, 2 on a setup error.
Runs as root (Postfix's queue belongs to the postfix user; sluice is a
multi-uid instance).  Every process and temp dir it makes is removed on
exit, on error and on SIGINT/SIGTERM.
"""
import argparse
import os
import platform
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
sys.path.insert(0, HERE)

import lib_cpu          # noqa: E402
import lib_load         # noqa: E402
import lib_postfix      # noqa: E402
from lib_postfix import Postfix          # noqa: E402
import lib_sluice       # noqa: E402
from lib_sluice import Sluice, NotAvailable   # noqa: E402
import lib_table        # noqa: E402

DOMAIN, USER = "bench.test", "user"
HOLD = 20               # sessions held open for the memory measurement


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def parse_args():
    ap = argparse.ArgumentParser(description="sluice vs Postfix benchmark")
    ap.add_argument("--quick", action="store_true", help="small counts, one run (a smoke test)")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")))
    ap.add_argument("--count1", type=int, default=int(os.environ.get("BENCH_COUNT1", "500")))
    ap.add_argument("--count20", type=int, default=int(os.environ.get("BENCH_COUNT20", "2000")))
    ap.add_argument("--budget", type=int, default=int(os.environ.get("BENCH_BUDGET", "300")),
                    help="no round of runs starts that would end after this many seconds")
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--only", choices=("postfix", "sluice"))
    ap.add_argument("--reuse", action="store_true",
                    help="smtp-source -d: several messages per connection")
    ap.add_argument("--out", default=os.path.join(HERE, "results-latest.txt"))
    a = ap.parse_args()
    if a.quick:
        a.runs, a.count1, a.count20 = 1, 100, 400
    for k in ("runs", "count1", "count20", "size", "budget"):
        if not 1 <= getattr(a, k) <= 1000000:
            ap.error("--%s out of range" % k)
    return a


def start_postfix(made, attempts=3):
    """Postfix started in a cgroup of its own; a new address and port are
    tried when the picked ones were taken before master could bind them."""
    for attempt in range(attempts):
        pf = Postfix(DOMAIN, USER)
        made.append(pf)
        pf.cpu = lib_cpu.CpuMeter("postfix%d" % attempt)
        try:
            with pf.cpu.member():
                pf.start()
            break
        except (RuntimeError, TimeoutError) as e:
            log("Postfix did not start on %s:%d: %s" % (pf.ip, pf.port, e))
            pf.cleanup()
            pf.cpu.close()
            if attempt == attempts - 1:
                raise
    pf.cpu.set_root(pf.master_pid())
    pf.version_str = pf.version()
    log("Postfix %s on %s:%d (%s)" % (pf.version_str, pf.ip, pf.port, pf.dir))
    return pf


def start_sluice(made):
    """The sluice server, or a reason string when it is not available yet."""
    try:
        s = Sluice(DOMAIN, USER)
    except NotAvailable as e:
        return str(e)
    made.append(s)
    s.cpu = lib_cpu.CpuMeter("sluice")
    try:
        s.start(s.cpu)
        s.probe()
    except NotAvailable as e:
        return str(e)
    s.version_str = s.version()
    log("sluice %s on %s:%d (%s)" % (s.version_str, s.ip, s.port, s.inst.root))
    return s


def measure_memory(server, size):
    """Per-session memory of the SMTP server processes with HOLD sessions open."""
    try:
        socks = lib_load.hold_sessions(server.ip, server.port, HOLD, size,
                                       "sender@client.bench.test", server.address)
    except OSError as e:        # refused, reset, timed out, unexpected reply
        return {"error": "holding %d sessions: %s" % (HOLD, e)}
    try:
        deadline = time.time() + 10
        while True:
            procs = [p for p in server.cpu.pids()
                     if (lib_cpu.proc_stat(p) or ("",))[0] == server.smtpd_comm]
            if len(procs) >= HOLD or time.time() > deadline:
                break
            time.sleep(0.1)
        mems = [m for m in map(lib_cpu.memory_kib, procs) if m]
    finally:
        lib_load.release_sessions(socks)
    if len(mems) < HOLD:
        return {"error": "found %d %s processes for %d sessions" % (len(mems), server.smtpd_comm, HOLD)}
    return {"procs": len(mems),
            "hwm": sum(m["hwm"] for m in mems) / len(mems),
            "pss": sum(m.get("pss", 0) for m in mems) / len(mems)}


def run_matrix(servers, args, results, deadline):
    """Round r runs every (sessions, server) cell once, so that stopping at
    the time budget leaves the same number of runs in every cell."""
    round_time = 0
    for r in range(args.runs):
        if r and time.time() + round_time > deadline:
            results.note = ("time budget (--budget %d s) would be exceeded: %d run(s) instead of %d"
                            % (args.budget, r, args.runs))
            log(results.note)
            return
        round_start = time.time()
        for sessions, count in ((1, args.count1), (20, args.count20)):
            order = servers if r % 2 == 0 else servers[::-1]
            for s in order:
                if not results.failed(s.name):
                    one_run(s, sessions, count, r, args, results)
        round_time = time.time() - round_start


def one_run(s, sessions, count, r, args, results):
    res = lib_load.Run(s, sessions, count, args.size, args.reuse).execute()
    results.add(s.name, sessions, res, count)
    if res["error"]:
        log("%s %d sessions run %d: FAILED: %s" % (s.name, sessions, r + 1, res["error"]))
        tail = s.log_tail()
        if tail:
            log("last log lines:\n" + tail)
        # a server that failed is stopped, so that a backlog it still works
        # on cannot slow the other one down
        s.cleanup()
        s.cpu.close()
        return
    log("%s %d sessions run %d/%d: %.0f msg/s accepted, %.0f msg/s delivered, "
        "%.2f ms CPU/msg" % (s.name, sessions, r + 1, args.runs, count / res["accept_s"],
                             count / res["deliver_s"], 1000 * res["cpu_s"] / count))


def main():
    args = parse_args()
    if os.geteuid() != 0:
        log("must run as root (Postfix's queue and sluice's system users)")
        return 2
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *a: sys.exit(129))
    lib_cpu.reap_stale()
    lib_postfix.reap_stale_dirs()
    lib_sluice.reap_stale_dirs()
    made = []           # everything to clean up
    servers = []        # what gets measured
    results = lib_table.Results()
    started = time.time()
    try:
        if args.only != "sluice":
            servers.append(start_postfix(made))
        sluice_note = None
        if args.only != "postfix":
            s = start_sluice(made)
            if isinstance(s, str):
                sluice_note = "not available yet: " + s
                log("sluice " + sluice_note)
            else:
                servers.append(s)
        for s in servers:
            results.memory[s.name] = measure_memory(s, args.size)
            log("%s memory: %s" % (s.name, results.memory[s.name]))
        run_matrix(servers, args, results, started + args.budget)
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": "%d CPUs, Linux %s, %s" % (os.cpu_count(), platform.release(),
                                                   lib_table.fs_of(tempfile.gettempdir())),
            "versions": "; ".join("%s %s" % (s.name, s.version_str) for s in servers),
            "cpu_method": "; ".join("%s: %s" % (s.name, s.cpu.method) for s in servers),
            "config": "Postfix: smtpd without postscreen, virtual(8) Maildir delivery; sluice: %s"
                      % ", ".join("%s=%s" % kv for kv in lib_sluice.BENCH_SETTINGS),
            "args": args, "sluice_note": sluice_note,
            "elapsed": time.time() - started,
        }
        for s in servers:
            problems = s.log_problems()
            if problems:
                results.log_notes.append("%s logged %d problem line(s), first: %s"
                                         % (s.name, len(problems), problems[0].strip()))
        text = lib_table.render(results, meta)
        sys.stdout.write(text)
        with open(args.out, "w") as f:
            f.write(text)
        log("table written to %s" % os.path.relpath(args.out))
        return 1 if results.any_failed() else 0
    except (RuntimeError, OSError) as e:
        log("setup failed: %s" % e)
        return 2
    finally:
        for s in made:
            try:
                s.cleanup()
            except Exception as e:      # keep cleaning up the others
                log("cleanup of %s: %s" % (s.name, e))
            if getattr(s, "cpu", None):
                s.cpu.close()


if __name__ == "__main__":
    sys.exit(main())
