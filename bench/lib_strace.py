"""System calls and process starts per message, from strace -c -f.

    res = syscall_profile(server, count, sessions, size)
        -> dict syscalls, forks, execs, traced (processes attached), error

strace attaches to every live process of the server (its cgroup, or the
process tree under its supervisor: Postfix's master, sluice's svscan) and
follows the processes they start (-f), counting calls (-c) until a burst
of COUNT messages (smtp-source, SESSIONS sessions, a new connection per
message, one recipient) is delivered into the Maildir and the server is
idle again.  Forks counts fork, vfork, clone and clone3 calls that
succeeded (processes and threads started); execs, execve and execveat
calls that succeeded (programs started).  Tracing slows everything down,
so no time is measured here, only counts.
"""
import os
import signal
import subprocess
import tempfile
import time

import lib_load

STRACE = "/usr/bin/strace"
FORKS = ("fork", "vfork", "clone", "clone3")
EXECS = ("execve", "execveat")


def parse_summary(text):
    """{syscall: (calls, errors)} from strace -c's table."""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) < 5 or not f[0][0].isdigit() or f[-1] == "total":
            continue
        try:
            calls = int(f[3])
            errors = int(f[4]) if len(f) == 6 else 0
        except ValueError:
            continue
        name = f[-1]
        c, e = out.get(name, (0, 0))
        out[name] = (c + calls, e + errors)
    return out


def _tracer_of(pid):
    """TracerPid of every thread of pid being the same: that pid (0: none);
    None when the process is gone."""
    tracers = set()
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith("TracerPid:"):
                        tracers.add(int(line.split()[1]))
        except OSError:
            continue
    if not tracers:
        return None
    return tracers.pop() if len(tracers) == 1 else 0


def syscall_profile(server, count, sessions, size):
    res = {"error": None}
    if not os.access(STRACE, os.X_OK):
        res["error"] = "strace is not installed"
        return res
    if not lib_load.wait_idle(server, 30):
        res["error"] = "server not idle before the run"
        return res
    pids = [p for p in server.cpu.pids() if p != os.getpid()]
    if not pids:
        res["error"] = "no processes found for %s" % server.name
        return res
    out = tempfile.NamedTemporaryFile(prefix="bench-strace-", suffix=".txt", delete=False)
    out.close()
    cmd = [STRACE, "-c", "-f", "-q", "-o", out.name] + [a for p in pids for a in ("-p", str(p))]
    tracer = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        # attaching takes a moment per process: wait until every one that
        # is still alive names strace as its tracer
        deadline = time.time() + 30
        while time.time() < deadline and tracer.poll() is None:
            if all(_tracer_of(p) in (tracer.pid, None) for p in pids):
                break
            time.sleep(0.1)
        else:
            if tracer.poll() is None:
                res["error"] = "strace did not attach to every process in 30 s"
                return res
        if tracer.poll() is not None:
            res["error"] = "strace exited %d: %s" % (
                tracer.returncode, tracer.stderr.read().decode("utf-8", "replace").strip()[:200])
            return res
        run = lib_load.Run(server, sessions, count, size)
        run.stall = 60.0
        r = run.execute()
        if r["error"]:
            res["error"] = r["error"]
            return res
    finally:
        if tracer.poll() is None:
            tracer.send_signal(signal.SIGINT)
            try:
                tracer.wait(timeout=30)
            except subprocess.TimeoutExpired:
                tracer.kill()
                tracer.wait()
        tracer.stderr.close()
        try:
            with open(out.name) as f:
                text = f.read()
        finally:
            os.unlink(out.name)
    calls = parse_summary(text)
    if not calls:
        res["error"] = "strace printed no summary"
        return res
    res["traced"] = len(pids)
    res["syscalls"] = sum(c for c, e in calls.values()) / count
    res["forks"] = sum(calls.get(n, (0, 0))[0] - calls.get(n, (0, 0))[1] for n in FORKS) / count
    res["execs"] = sum(calls.get(n, (0, 0))[0] - calls.get(n, (0, 0))[1] for n in EXECS) / count
    res["top"] = sorted(((n, c / count) for n, (c, e) in calls.items()), key=lambda kv: -kv[1])[:8]
    return res
