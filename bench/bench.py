#!/usr/bin/python3
"""make bench: sluice and Postfix side by side on this machine, loopback only.

Both servers run at once, each on its own 127.x.y.z and port picked at run
time, each in a cgroup of its own for CPU accounting (lib_cpu.py), each
with STARTTLS on the same certificate, ten mailboxes and a relay domain
routed to an smtp-sink of its own.  First, memory: 20 sessions each send
one message and stay open while the instance's Pss is read.  Then rounds:
each round runs every cell once per server, the servers taking turns (the
order alternating), no round starting that would (judging by the last one)
end after BUDGET seconds:
  new1, new20   smtp-source, a new connection per message (lib_load.py)
  reuse         smtp-source -d, 20 sessions
  rcpt10        smtp-source -r 10: Maildir deliveries end to end
  tls           STARTTLS sessions from our own client (lib_tls.py)
  drain         held remote mail released to smtp-sink (lib_drain.py)
Last, strace -c -f on every process of each instance during a burst
(lib_strace.py).  The table (medians over the rounds, lib_table.py) goes to
stdout and to bench/results/last.txt; progress goes to stderr.

    bench/bench.py [--quick] [--rounds N] [--count1 N] [--count20 N] [--reuse N]
                   [--rcpt10 N] [--tls N] [--drain N] [--strace N] [--size B]
                   [--budget SECONDS] [--only postfix|sluice] [--skip CELLS]

Exit status 0 when everything measured cleanly or the sluice half is "not
available yet", 1 on any failed measurement, 2 on a setup error.  Runs as
root (Postfix's queue belongs to the postfix user; sluice is a multi-uid
instance).  Every process and temp dir it makes is removed on exit, on
error and on SIGINT/SIGTERM.
"""
import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
sys.path.insert(0, HERE)

import harness          # noqa: E402
import lib_cpu          # noqa: E402
import lib_drain        # noqa: E402
import lib_load         # noqa: E402
import lib_strace       # noqa: E402
import lib_tls          # noqa: E402
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


def env_int(names, default):
    for n in names:
        if os.environ.get(n):
            return int(os.environ[n])
    return default


# what each kind of run does, with its full and quick message counts
# (name, full count, quick count, help)
COUNTS = (
    ("count1", 500, 50, "messages at 1 session, a new connection each"),
    ("count20", 2000, 200, "messages at 20 sessions, a new connection each"),
    ("reuse", 2000, 200, "messages at 20 sessions over reused connections (smtp-source -d)"),
    ("rcpt10", 300, 30, "messages of 10 recipients each, at 20 sessions"),
    ("tls", 500, 60, "STARTTLS sessions, one message each"),
    ("drain", 2000, 200, "messages held for the remote domain, then drained to smtp-sink"),
    ("strace", 200, 50, "messages of the strace burst"),
)
TLS_WORKERS = 8
REMOTE = "remote.bench.test"
RCPTS = 10


def parse_args():
    ap = argparse.ArgumentParser(description="sluice vs Postfix benchmark")
    quick_env = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    ap.add_argument("--quick", action="store_true", default=quick_env,
                    help="small counts and one round (a smoke test); BENCH_QUICK=1")
    ap.add_argument("--rounds", "--runs", dest="runs", type=int,
                    default=env_int(("BENCH_ROUNDS", "BENCH_RUNS"), 0),
                    help="rounds (each runs every cell once per server); BENCH_ROUNDS")
    for name, full, quick, what in COUNTS:
        ap.add_argument("--" + name, type=int,
                        default=env_int(("BENCH_" + name.upper(),), 0),
                        help="%s (%d; --quick %d)" % (what, full, quick))
    ap.add_argument("--budget", type=int, default=int(os.environ.get("BENCH_BUDGET", "600")),
                    help="no round starts that would end after this many seconds (600)")
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--only", choices=("postfix", "sluice"))
    ap.add_argument("--skip", default=os.environ.get("BENCH_SKIP", ""),
                    help="comma-separated cells not to run: new1,new20,reuse,rcpt10,tls,drain,"
                         "strace,memory")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "last.txt"))
    a = ap.parse_args()
    for name, full, quick, _ in COUNTS:
        if not getattr(a, name):
            setattr(a, name, quick if a.quick else full)
    if not a.runs:
        a.runs = 1 if a.quick else 3
    a.skip = set(x for x in a.skip.split(",") if x)
    for k in [c[0] for c in COUNTS] + ["runs", "size", "budget"]:
        if not 1 <= getattr(a, k) <= 1000000:
            ap.error("--%s out of range" % k)
    return a


def make_cert(tmp):
    """One self-signed ECDSA P-256 certificate for both servers (the kind
    sluice-conf init makes), so STARTTLS costs the same key operations."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=mail.bench.test",
                    "-addext", "subjectAltName=DNS:mail.bench.test", "-days", "2",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    return cert, key


def server_options(tls, sink):
    return {"extra_users": ["%d%s" % (i, USER) for i in range(2, RCPTS + 1)],
            "tls": tls, "remote": (REMOTE, sink.ip, sink.port)}


def start_postfix(made, opts, attempts=3):
    """Postfix started in a cgroup of its own; a new address and port are
    tried when the picked ones were taken before master could bind them."""
    for attempt in range(attempts):
        pf = Postfix(DOMAIN, USER, **opts)
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


def start_sluice(made, opts):
    """The sluice server, or a reason string when it is not available yet."""
    try:
        s = Sluice(DOMAIN, USER, **opts)
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


def total_pss(server):
    """Sum of Pss over every live process of the server (KiB), and how many."""
    mems = [m for m in map(lib_cpu.memory_kib, server.cpu.pids()) if m]
    return sum(m.get("pss", 0) for m in mems), len(mems)


def measure_memory(server, size):
    """Memory of HOLD idle SMTP sessions (each through one message, then
    left open).  pss: the instance's total Pss with them held minus before,
    per session, whatever processes the sessions live in (a process per
    connection, a pool, one event loop); total: the instance's Pss with
    them held; hwm, procs: mean VmHWM and Pss of the per-connection server
    processes (by name) when there is one per session."""
    if not lib_load.wait_idle(server, 30):
        return {"error": "server not idle before the memory measurement"}
    time.sleep(0.5)
    before, nbefore = total_pss(server)
    try:
        socks = lib_load.hold_sessions(server.ip, server.port, HOLD, size,
                                       "sender@client.bench.test", server.address)
    except OSError as e:        # refused, reset, timed out, unexpected reply
        return {"error": "holding %d sessions: %s" % (HOLD, e)}
    try:
        # let the messages be delivered and the processes settle
        lib_load.wait_idle(server, 30)
        time.sleep(0.5)
        held, nheld = total_pss(server)
        procs = [p for p in server.cpu.pids()
                 if (lib_cpu.proc_stat(p) or ("",))[0] == server.smtpd_comm]
        mems = [m for m in map(lib_cpu.memory_kib, procs) if m]
    finally:
        lib_load.release_sessions(socks)
    out = {"pss": (held - before) / HOLD, "total": held, "nprocs": (nbefore, nheld)}
    if len(mems) >= HOLD:
        out.update(procs=len(mems), hwm=sum(m["hwm"] for m in mems) / len(mems),
                   procpss=sum(m.get("pss", 0) for m in mems) / len(mems))
    return out


def cells(args):
    """(cell name, what runs it): each returns a result dict with error."""
    return [
        ("new1", lambda s: lib_load.Run(s, 1, args.count1, args.size).execute()),
        ("new20", lambda s: lib_load.Run(s, 20, args.count20, args.size).execute()),
        ("reuse", lambda s: lib_load.Run(s, 20, args.reuse, args.size, reuse=True).execute()),
        ("rcpt10", lambda s: lib_load.Run(s, 20, args.rcpt10, args.size, rcpts=RCPTS).execute()),
        ("tls", lambda s: lib_tls.TlsRun(s, args.tls, TLS_WORKERS, args.size).execute()),
        ("drain", lambda s: lib_drain.Drain(s, s.sink, args.drain, args.size).execute()),
    ]


def run_matrix(servers, args, results, deadline):
    """Round r runs every (cell, server) pair once, the servers taking turns
    (the order alternating between rounds), so that stopping at the time
    budget leaves the same number of runs in every cell."""
    round_time = 0
    todo = [c for c in cells(args) if c[0] not in args.skip]
    for r in range(args.runs):
        if r and time.time() + round_time > deadline:
            results.note = ("time budget (--budget %d s) would be exceeded: %d round(s) instead of %d"
                            % (args.budget, r, args.runs))
            log(results.note)
            return
        round_start = time.time()
        for i, (cell, fn) in enumerate(todo):
            order = servers if (r + i) % 2 == 0 else servers[::-1]
            for s in order:
                if s.name not in results.stopped and not results.failed(s.name, cell):
                    one_run(s, cell, fn, r, args, results)
        round_time = time.time() - round_start


def one_run(s, cell, fn, r, args, results):
    try:
        res = fn(s)
    except (OSError, subprocess.SubprocessError, RuntimeError) as e:
        res = {"error": "%s: %s" % (type(e).__name__, e)}
    results.add(s.name, cell, res, args)
    if res["error"]:
        log("%s %s round %d: FAILED: %s" % (s.name, cell, r + 1, res["error"]))
        tail = s.log_tail()
        if tail:
            log("last log lines:\n" + tail)
        # a server that recovers (idle, queue empty) goes on with the other
        # cells; one that does not is stopped, so that a backlog it still
        # works on cannot slow the other one down
        if not lib_load.wait_idle(s, 60):
            log("%s is not idle 60 s after the failure: stopped" % s.name)
            results.stopped.add(s.name)
            s.cleanup()
            s.cpu.close()
        return
    log("%s %s round %d/%d: %s" % (s.name, cell, r + 1, args.runs, ", ".join(
        "%s %.2f" % kv for kv in sorted(results.runs[(s.name, cell)][-1].items()))))


def run_strace(servers, args, results):
    for s in servers:
        if s.name in results.stopped:
            continue
        log("%s: strace -c -f during %d messages" % (s.name, args.strace))
        res = lib_strace.syscall_profile(s, args.strace, 5, args.size)
        results.strace[s.name] = res
        log("%s strace: %s" % (s.name, res))


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
    sinks = []
    results = lib_table.Results()
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="bench-run-")
    try:
        tls = make_cert(tmp)
        if args.only != "sluice":
            sink = lib_drain.Sink(harness.pick_ip(), 0)
            sinks.append(sink)
        if args.only != "postfix":
            sinks.append(lib_drain.Sink(harness.pick_ip(), 0))
        for sink in sinks:
            sink.wait_ready()
        if args.only != "sluice":
            pf = start_postfix(made, server_options(tls, sinks[0]))
            pf.sink = sinks[0]
            servers.append(pf)
        sluice_note = None
        if args.only != "postfix":
            s = start_sluice(made, server_options(tls, sinks[-1]))
            if isinstance(s, str):
                sluice_note = "not available yet: " + s
                log("sluice " + sluice_note)
            else:
                s.sink = sinks[-1]
                servers.append(s)
                if s.tls_note:
                    results.log_notes.append("sluice: " + s.tls_note)
        if "memory" not in args.skip:
            for s in servers:
                results.memory[s.name] = measure_memory(s, args.size)
                log("%s memory: %s" % (s.name, results.memory[s.name]))
        run_matrix(servers, args, results, started + args.budget)
        if "strace" not in args.skip:
            run_strace(servers, args, results)
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": "%d CPUs, Linux %s, %s, load average %s at the end"
                       % (os.cpu_count(), platform.release(),
                          lib_table.fs_of(tempfile.gettempdir()),
                          " ".join("%.1f" % x for x in os.getloadavg())),
            "versions": "; ".join("%s %s" % (s.name, s.version_str) for s in servers),
            "cpu_method": "; ".join("%s: %s" % (s.name, s.cpu.method) for s in servers),
            "config": "Postfix: smtpd without postscreen, virtual(8) Maildir delivery; sluice: %s"
                      % ", ".join("%s=%s" % kv for kv in lib_sluice.BENCH_SETTINGS),
            "args": args, "sluice_note": sluice_note,
            "elapsed": time.time() - started,
        }
        for s in servers:
            if s.name in results.stopped:
                continue
            problems = s.log_problems()
            if problems:
                results.log_notes.append("%s logged %d problem line(s), first: %s"
                                         % (s.name, len(problems), problems[0].strip()))
        text = lib_table.render(results, meta)
        sys.stdout.write(text)
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
        log("table written to %s" % os.path.relpath(args.out))
        return 1 if results.any_failed() else 0
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
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
        for sink in sinks:
            sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
