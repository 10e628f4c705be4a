"""Load generation and observation for the benchmark.

    run = Run(server, sessions, count, size, reuse=False)
    run.execute()   -> dict accept_s, deliver_s, cpu_s, breakdown (CPU by
                       program), error (None if fine)
        server: any object with ip, port, address, maildir, cpu (a
        lib_cpu.CpuMeter) and queue_count() -- lib_postfix.Postfix and
        lib_sluice.Sluice are the two
    hold_sessions(ip, port, n, size, sender, rcpt) -> open sockets, each
                     having sent one message and waiting in the session
    maildir_count(path), clear_maildir(path)

The load is Postfix's smtp-source: SESSIONS parallel sessions, COUNT
messages of SIZE payload bytes, one recipient each, a new connection per
message (smtp-source's default).  Accept time is smtp-source's wall time;
delivery time runs from the same start until the Maildir holds COUNT
messages; CPU is the server's CpuMeter from the start until the queue is
drained and the server idle.  Every wait is bounded; a stall (no progress
for STALL seconds) or a run longer than MAX_RUN seconds ends it with an
error.
"""
import os
import socket
import subprocess
import time

import lib_cpu

SMTP_SOURCE = "/usr/sbin/smtp-source"
STALL = 30.0            # seconds without a new delivery: give up
MAX_RUN = 180.0         # seconds for one run, whatever the progress
POLL = 0.01             # Maildir polling interval near the end of a run
MAX_POLL = 0.25         # and at most this far from it
IDLE_CPU = 0.01         # < 1 % of one CPU over IDLE_WINDOW counts as idle
IDLE_WINDOW = 0.5


def _next_poll(remaining, rate):
    """Sleep long while far from done (counting a big Maildir costs CPU
    that the servers would miss), POLL seconds when close."""
    if rate <= 0 or remaining <= 0:
        return POLL
    return min(MAX_POLL, max(POLL, 0.5 * remaining / rate))


def maildir_count(path):
    n = 0
    for sub in ("new", "cur"):
        try:
            with os.scandir(os.path.join(path, sub)) as it:
                for _ in it:
                    n += 1
        except FileNotFoundError:
            pass
    return n


def clear_maildir(path):
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        for name in names:
            try:
                os.unlink(os.path.join(d, name))
            except FileNotFoundError:
                pass


def wait_idle(server, timeout=60.0):
    """Wait until the server's queue is empty and its CPU use has stopped
    (without a cgroup of its own, the machine's CPU says nothing about the
    server: then an empty queue and a second's settling).  Returns True when
    idle, False on timeout."""
    deadline = time.time() + timeout
    own = server.cpu.dir is not None
    last = server.cpu.usage()
    while time.time() < deadline:
        time.sleep(IDLE_WINDOW)
        now = server.cpu.usage()
        if not server.queue_count():
            if not own:
                time.sleep(1.0)
                return True
            if now - last < IDLE_CPU * IDLE_WINDOW:
                return True
        last = now
    return False


class Run:
    def __init__(self, server, sessions, count, size, reuse=False, rcpts=1):
        """rcpts > 1: smtp-source -r RCPTS, recipients USER, 2USER ... RCPTSUSER
        (the server has a Maildir for each: server.rcpt_maildirs(rcpts));
        delivery is done when all COUNT x RCPTS files are there."""
        self.reuse = reuse
        self.server = server
        self.sessions = sessions
        self.count = count
        self.size = size
        self.rcpts = rcpts
        self.stall = STALL
        self.maildirs = (server.rcpt_maildirs(rcpts) if rcpts > 1 else [server.maildir])
        self.expect = count * rcpts

    def delivered(self):
        return sum(maildir_count(m) for m in self.maildirs)

    def command(self):
        s = self.server
        return ([SMTP_SOURCE, "-4", "-s", str(self.sessions), "-m", str(self.count),
                 "-l", str(self.size), "-M", "client.bench.test",
                 "-f", "sender@client.bench.test", "-t", s.address]
                + (["-d"] if self.reuse else [])
                + (["-r", str(self.rcpts)] if self.rcpts > 1 else [])
                + ["%s:%d" % (s.ip, s.port)])

    def execute(self):
        s = self.server
        if not wait_idle(s, 30):
            return {"error": "server not idle before the run (queue %s)" % s.queue_count()}
        for m in self.maildirs:
            clear_maildir(m)
        if self.delivered():
            return {"error": "Maildir not empty before the run"}
        res = {"error": None, "accept_s": None, "deliver_s": None, "cpu_s": None}
        snap0 = lib_cpu.cpu_snapshot(s.cpu.pids())
        cpu0 = s.cpu.usage()
        t0 = time.monotonic()
        src = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self._watch(src, t0, res)
        finally:
            if src.poll() is None:
                src.kill()
            src.wait()
            src.stderr.close()
        if not wait_idle(s, 60):
            res["error"] = res["error"] or "queue not drained 60 s after delivery"
        res["cpu_s"] = s.cpu.usage() - cpu0
        res["breakdown"] = lib_cpu.cpu_breakdown(snap0, lib_cpu.cpu_snapshot(s.cpu.pids()))
        final = self.delivered()
        if res["error"] is None and final != self.expect:
            res["error"] = "%d messages in the Maildir(s), expected %d" % (final, self.expect)
        return res

    def _watch(self, src, t0, res):
        """Poll smtp-source and the Maildir until all is delivered."""
        progress_at, seen = time.monotonic(), 0
        while True:
            now = time.monotonic()
            if res["accept_s"] is None and src.poll() is not None:
                res["accept_s"] = now - t0
                if src.returncode != 0:
                    err = src.stderr.read().decode("utf-8", "replace").strip().splitlines()
                    res["error"] = "smtp-source exit %d: %s" % (src.returncode,
                                                                (err or ["?"])[-1])
                    return
            n = self.delivered()
            if n >= self.expect and res["accept_s"] is not None:
                res["deliver_s"] = (res["deliver_s"] or now - t0)
                return
            if n >= self.expect and res["deliver_s"] is None:
                res["deliver_s"] = now - t0     # delivered before smtp-source quit
            if n != seen:
                seen, progress_at = n, now
            elif now - progress_at > self.stall:
                res["error"] = "stalled: %d of %d delivered, no progress for %.0f s" % (
                    n, self.expect, self.stall)
                return
            if now - t0 > MAX_RUN:
                res["error"] = "too slow: %d of %d delivered after %.0f s" % (
                    n, self.expect, MAX_RUN)
                return
            time.sleep(_next_poll(self.expect - n, n / max(now - t0, 1e-3)))


# -- sessions held open, for memory --------------------------------------
def _reply(f):
    """Read one SMTP reply; returns (code, text)."""
    lines = []
    while True:
        line = f.readline(1024)
        if not line:
            raise ConnectionError("connection closed")
        lines.append(line.decode("ascii", "replace").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            break
        if len(lines) > 100:
            raise ConnectionError("endless reply")
    return int(lines[-1][:3]), "\n".join(lines)


def _expect(f, sock, cmd, want):
    if cmd is not None:
        sock.sendall(cmd)
    code, text = _reply(f)
    if code != want:
        raise ConnectionError("%r: expected %d, got %s" % (cmd, want, text))


def hold_sessions(ip, port, n, size, sender, rcpt, timeout=30.0):
    """n sessions, each through one whole message transaction, left open."""
    body = b"".join(b"%05d %s\r\n" % (i, b"x" * 70) for i in range(size // 78 + 1))
    socks = []
    try:
        for i in range(n):
            sock = socket.create_connection((ip, port), timeout=timeout)
            socks.append(sock)
            f = sock.makefile("rb")
            _expect(f, sock, None, 220)
            _expect(f, sock, b"EHLO client.bench.test\r\n", 250)
            _expect(f, sock, b"MAIL FROM:<%s>\r\n" % sender.encode(), 250)
            _expect(f, sock, b"RCPT TO:<%s>\r\n" % rcpt.encode(), 250)
            _expect(f, sock, b"DATA\r\n", 354)
            _expect(f, sock, b"Subject: held session %d\r\n\r\n" % i + body + b".\r\n", 250)
    except BaseException:
        release_sessions(socks)
        raise
    return socks


def release_sessions(socks):
    for sock in socks:
        try:
            sock.sendall(b"QUIT\r\n")
        except OSError:
            pass
        sock.close()
