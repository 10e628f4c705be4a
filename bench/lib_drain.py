"""Remote drain: a held queue of messages for one remote domain sent to
Postfix's smtp-sink on loopback.

    sink = Sink(ip, port)       # smtp-sink -c on that address, as nobody
    sink.received()             # messages it has taken so far (its counter)
    sink.stop()
    res = Drain(server, sink, count, size).execute()
        -> dict drain_s, cpu_s, inject_s, error (None if fine)

The server holds mail for its remote domain while smtp-source hands it
COUNT messages over SMTP (20 sessions); once the server reports all of
them held, the clock starts, the server releases them (Postfix: postqueue
-f with the smtp transport in defer_transports; sluice: its queue
manager's service comes up again) and stops when the sink has counted
COUNT more messages.  The server's CPU (its cgroup) is read over the same
span plus the time it takes to go idle.  Both servers send with their
default concurrency and connection reuse.
"""
import os
import re
import subprocess
import threading
import time

import harness
import lib_load

SMTP_SINK = "/usr/sbin/smtp-sink"
HOLD_TIMEOUT = 120.0    # seconds for COUNT messages to be accepted and held
DRAIN_TIMEOUT = 180.0   # seconds for the drain itself
STALL = 30.0


class Sink:
    """smtp-sink -c: its running counters on stdout ("sess=N quit=N mesg=N\\r")."""

    def __init__(self, ip, port=0):
        """port 0: a free one picked on ip."""
        self.ip, self.port = ip, port or harness.free_port(ip)
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen([SMTP_SINK, "-c", *user, "%s:%d" % (self.ip, self.port), "1024"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self._mesg = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        pat = re.compile(rb"mesg=(\d+)")
        buf = b""
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                return
            buf = (buf + chunk)[-256:]          # bounded: only the newest counter matters
            found = pat.findall(buf)
            if found:
                with self._lock:
                    self._mesg = int(found[-1])

    def wait_ready(self, timeout=10.0):
        harness.wait_port(self.ip, self.port, timeout)

    def received(self):
        with self._lock:
            return self._mesg

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc.stdout.close()


class Drain:
    def __init__(self, server, sink, count, size, sessions=20):
        self.server, self.sink = server, sink
        self.count, self.size, self.sessions = count, size, sessions

    def execute(self):
        s = self.server
        res = {"error": None, "drain_s": None, "cpu_s": None, "inject_s": None}
        if not lib_load.wait_idle(s, 30):
            res["error"] = "server not idle before the run"
            return res
        try:
            s.hold_remote()
        except Exception as e:     # a service that would not go down
            res["error"] = "could not hold the remote queue: %s" % e
            s.release_remote()
            return res
        t0 = time.monotonic()
        cmd = [lib_load.SMTP_SOURCE, "-4", "-s", str(self.sessions), "-m", str(self.count),
               "-l", str(self.size), "-M", "client.bench.test", "-f", "sender@client.bench.test",
               "-t", "x@%s" % s.remote_domain, "%s:%d" % (s.ip, s.port)]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=HOLD_TIMEOUT)
        if p.returncode != 0:
            res["error"] = "smtp-source exit %d: %s" % (
                p.returncode, (p.stderr.decode("utf-8", "replace").strip().splitlines() or ["?"])[-1])
            s.release_remote()
            return res
        while s.held_count() < self.count:
            if time.monotonic() - t0 > HOLD_TIMEOUT:
                res["error"] = "only %d of %d messages held after %.0f s" % (
                    s.held_count(), self.count, HOLD_TIMEOUT)
                s.release_remote()
                return res
            time.sleep(0.2)
        res["inject_s"] = time.monotonic() - t0
        base = self.sink.received()
        cpu0 = s.cpu.usage()
        t1 = time.monotonic()
        s.release_remote()
        seen, progress_at = 0, t1
        while True:
            now = time.monotonic()
            n = self.sink.received() - base
            if n >= self.count:
                res["drain_s"] = now - t1
                break
            if n != seen:
                seen, progress_at = n, now
            elif now - progress_at > STALL:
                res["error"] = "stalled: %d of %d at the sink, no progress for %.0f s" % (
                    n, self.count, STALL)
                break
            if now - t1 > DRAIN_TIMEOUT:
                res["error"] = "too slow: %d of %d at the sink after %.0f s" % (
                    n, self.count, DRAIN_TIMEOUT)
                break
            time.sleep(0.01 if self.count - n < 50 else 0.05)
        if not lib_load.wait_idle(s, 60) and not res["error"]:
            res["error"] = "queue not empty 60 s after the drain"
        res["cpu_s"] = s.cpu.usage() - cpu0
        extra = self.sink.received() - base - self.count
        if extra > 0 and not res["error"]:
            res["error"] = "the sink got %d messages more than were sent" % extra
        return res
