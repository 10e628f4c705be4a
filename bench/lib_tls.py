"""STARTTLS on every connection: sessions per second.

    res = TlsRun(server, sessions, workers, size).execute()
        -> dict tls_s (wall time), cpu_s, error (None if fine)

smtp-source cannot do STARTTLS, so this is a small client of its own,
the same for both servers: WORKERS processes (forked before the clock
starts, so Python's start-up is not measured) each run their share of
SESSIONS sessions one after another: connect, EHLO, STARTTLS, a full TLS
handshake (no session resumption, certificate not verified), EHLO again,
one message of SIZE bytes to one recipient, QUIT.  The time runs from
releasing the workers until the last one is done; the server's CPU (its
cgroup) from then until it is idle again, its queue delivered.  Every
socket has a timeout, every worker a deadline.
"""
import os
import select
import signal
import socket
import ssl
import time

import lib_load

TIMEOUT = 30.0          # per socket operation
MAX_RUN = 180.0         # the whole run


def _reply(f):
    while True:
        line = f.readline(1024)
        if not line:
            raise ConnectionError("connection closed")
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), line


def _cmd(sock, f, data, want):
    if data is not None:
        sock.sendall(data)
    code, line = _reply(f)
    if code != want:
        raise ConnectionError("%r: expected %d, got %r" % (data[:20] if data else None,
                                                          want, line[:80]))


def one_session(ip, port, ctx, rcpt, body):
    with socket.create_connection((ip, port), timeout=TIMEOUT) as raw:
        f = raw.makefile("rb")
        _cmd(raw, f, None, 220)
        _cmd(raw, f, b"EHLO client.bench.test\r\n", 250)
        _cmd(raw, f, b"STARTTLS\r\n", 220)
        f.close()
        with ctx.wrap_socket(raw, server_hostname="mail.bench.test") as tls:
            f = tls.makefile("rb")
            _cmd(tls, f, b"EHLO client.bench.test\r\n", 250)
            _cmd(tls, f, b"MAIL FROM:<sender@client.bench.test>\r\n", 250)
            _cmd(tls, f, b"RCPT TO:<%s>\r\n" % rcpt.encode(), 250)
            _cmd(tls, f, b"DATA\r\n", 354)
            _cmd(tls, f, body, 250)
            _cmd(tls, f, b"QUIT\r\n", 221)
            f.close()


def message(size):
    lines = [b"Subject: bench STARTTLS session", b""]
    line = b"x" * 74
    n = 0
    while n < size:
        lines.append(line)
        n += len(line) + 2
    return b"\r\n".join(lines) + b"\r\n.\r\n"


def _worker(go_fd, out_fd, ip, port, n, rcpt, size):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    body = message(size)
    status = b"ok"
    os.read(go_fd, 1)
    try:
        for _ in range(n):
            one_session(ip, port, ctx, rcpt, body)
    except Exception as e:      # any failure ends this worker's share
        status = ("%s: %s" % (type(e).__name__, e)).encode("utf-8", "replace")[:300]
    os.write(out_fd, status)
    os._exit(0)


class TlsRun:
    def __init__(self, server, sessions, workers, size):
        self.server = server
        self.sessions, self.workers, self.size = sessions, workers, size

    def execute(self):
        s = self.server
        res = {"error": None, "tls_s": None, "cpu_s": None}
        if not lib_load.wait_idle(s, 30):
            res["error"] = "server not idle before the run"
            return res
        lib_load.clear_maildir(s.maildir)
        share = [self.sessions // self.workers + (1 if i < self.sessions % self.workers else 0)
                 for i in range(self.workers)]
        go_r, go_w = os.pipe()
        kids = {}
        for n in share:
            out_r, out_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    os.close(go_w)
                    os.close(out_r)
                    _worker(go_r, out_w, s.ip, s.port, n, s.address, self.size)
                finally:
                    os._exit(1)
            os.close(out_w)
            kids[pid] = out_r
        os.close(go_r)
        statuses = {}
        try:
            cpu0 = s.cpu.usage()
            t0 = time.monotonic()
            os.write(go_w, b"g" * len(kids))
            pending = dict((fd, pid) for pid, fd in kids.items())
            while pending:
                left = t0 + MAX_RUN - time.monotonic()
                if left <= 0:
                    res["error"] = "too slow: %d of %d workers done after %.0f s" % (
                        len(kids) - len(pending), len(kids), MAX_RUN)
                    break
                ready, _, _ = select.select(list(pending), [], [], left)
                for fd in ready:
                    statuses[pending.pop(fd)] = os.read(fd, 400).decode("utf-8", "replace")
            res["tls_s"] = time.monotonic() - t0
        finally:
            os.close(go_w)
            for pid, fd in kids.items():
                if pid not in statuses:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                os.waitpid(pid, 0)
                os.close(fd)
        bad = [v for v in statuses.values() if v != "ok"]
        if bad and not res["error"]:
            res["error"] = "%d worker(s) failed, first: %s" % (len(bad), bad[0] or "no status")
        if not lib_load.wait_idle(s, 60) and not res["error"]:
            res["error"] = "queue not drained 60 s after the run"
        res["cpu_s"] = s.cpu.usage() - cpu0
        return res
