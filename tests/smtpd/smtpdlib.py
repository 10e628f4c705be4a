"""A sluice-smtpd under tcpserver on a loopback address, for tests.

    srv = SmtpdServer(mode="mx", settings={"smtpgreetdelay": "0"})
    srv.start()
    ... talk to srv.ip:srv.port ...
    srv.queued()          # [(envelope_sender, [rcpts], message_bytes)]
    srv.stop()            # and srv.cleanup()

The instance is a harness.Root (the real `sluice-conf init`, its
certificate for mx.example.test, no listeners and no supervisor), with
the domains example.test and catchall.test, the users alice and bob
(password PASSWORD), the aliases info@example.test and @catchall.test
added by sluice-conf, and the settings given set by sluice-conf, so the
server can be tested on its own.  By default messages go to a fake queue
program (QMAILQUEUE) that stores what it gets in ROOT/spool and exits
with the code in ROOT/spool/exitcode (0 when missing); with queue="real",
the server uses BIN/sluice-queue.

Run as root, the server starts as root and drops to sluiced after
loading the key (SLUICE_DROP), as in production.
"""
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "s3cret pass"

FAKE_QUEUE = r'''#!/usr/bin/python3
# fake qmail-queue: message on fd 0, envelope on fd 1; stores both
import os, sys
spool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spool")
msg = sys.stdin.buffer.read()
env = os.fdopen(1, "rb").read()
code = 0
try:
    code = int(open(os.path.join(spool, "exitcode")).read().strip() or 0)
except OSError:
    pass
if not env.endswith(b"\0\0") or not env.startswith(b"F"):
    sys.exit(91)   # no envelope: the server gave up on the message
if code:
    sys.exit(code)
name = "%d.%d" % (os.getpid(), len(os.listdir(spool)))
tmp = os.path.join(spool, "tmp." + name)
with open(tmp, "wb") as f:
    f.write(len(env).to_bytes(8, "big") + env + msg)
os.rename(tmp, os.path.join(spool, "msg." + name))
if os.environ.get("SLUICE_QUEUEID_FD") == "3":
    os.write(3, b"fake-" + name.encode() + b"\n")
'''


class SmtpdServer(harness.Root):
    def __init__(self, mode="mx", settings=None, queue="fake", tls=True, env=None, ip=None):
        super().__init__(me="mx.example.test", prefix="sluice-smtpd-test-")
        self.mode = mode
        self.ip = ip or harness.pick_ip()
        self.port = harness.free_port(self.ip)
        self.proc = None
        self.extra_env = env or {}
        os.mkdir(self.path("spool"))
        os.chmod(self.path("spool"), 0o777)
        s = {"smtpgreetdelay": "0", "authfaildelay": "0"}
        s.update(settings or {})
        for k, v in s.items():
            self.set(k, v)
        self.add_domain("example.test")
        self.add_domain("catchall.test")
        self.add_user("alice@example.test", PASSWORD)
        self.add_user("bob@example.test", PASSWORD)
        self.add_alias("info@example.test", "alice@example.test")
        self.add_alias("@catchall.test", "alice@example.test")
        if not tls:
            # a server without a certificate
            for f in ("cert.pem", "key.pem"):
                os.unlink(self.path("tls", f))
        if queue == "fake":
            q = self.path("fakequeue")
            with open(q, "w") as f:
                f.write(FAKE_QUEUE)
            os.chmod(q, 0o755)
            self.queueprog = q
        else:
            self.queueprog = None

    def set_relay(self, lines):
        """control/relay, the relay list's text source, written as an
        administrator may edit it by hand (sluice(5)), comments and all."""
        with open(self.path("control", "relay"), "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.path("control", "relay"), 0o644)

    def queue_exit(self, code):
        with open(self.path("spool", "exitcode"), "w") as f:
            f.write(str(code))

    def start(self, extra_env=None):
        env = {"PATH": "/usr/bin:/bin", "SLUICE_ROOT": self.root, "SMTPD_MODE": self.mode}
        if os.geteuid() == 0:
            env["SLUICE_DROP"] = "sluiced"
        if self.queueprog:
            env["QMAILQUEUE"] = self.queueprog
        env.update(self.extra_env)
        env.update(extra_env or {})
        self.log = open(self.path("smtpd.log"), "ab")
        self.proc = subprocess.Popen(
            ["tcpserver", "-H", "-R", "-l", "0", "-c", "40", self.ip, str(self.port),
             harness.prog("sluice-smtpd")],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        if not harness.wait_port(self.ip, self.port, timeout=15):
            raise RuntimeError("tcpserver did not start")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def logtext(self):
        with open(self.path("smtpd.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, text, timeout=10.0):
        return harness.wait_for(lambda: text in self.logtext(), timeout=timeout, what="log: " + text)

    def queued(self):
        """[(sender, [rcpts], message)] in arrival order"""
        spool = self.path("spool")
        out = []
        names = [n for n in os.listdir(spool) if n.startswith("msg.")]
        names.sort(key=lambda n: os.stat(os.path.join(spool, n)).st_mtime_ns)
        for n in names:
            with open(os.path.join(spool, n), "rb") as f:
                data = f.read()
            elen = int.from_bytes(data[:8], "big")
            env, msg = data[8:8 + elen], data[8 + elen:]
            fields = env.split(b"\0")
            sender = fields[0][1:].decode()
            rcpts = [x[1:].decode() for x in fields[1:] if x.startswith(b"T")]
            out.append((sender, rcpts, msg))
        return out


class Raw:
    """A raw SMTP client on a socket, for hostile input."""

    def __init__(self, ip, port, timeout=10.0):
        self.sock = socket.create_connection((ip, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        """one whole (possibly multi-line) reply: (code, text)"""
        lines = []
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("connection closed; got %r" % (lines,))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            line = line.rstrip(b"\r").decode("utf-8", "replace")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), "\n".join(lines)

    def cmd(self, line):
        self.send(line.encode() + b"\r\n" if isinstance(line, str) else line)
        return self.reply()

    def closed(self, timeout=5.0):
        """True when the server has closed the connection (after any reply)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def starttls(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname="mx.example.test")
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def client_tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def wait(pred, timeout=10.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)
