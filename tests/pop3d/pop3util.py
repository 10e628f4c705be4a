"""Helpers for the sluice-pop3d integration tests.

MiniRoot: a harness.Root (the real `sluice-conf init`: control/, users/,
tls/ with a self-signed certificate for ME, owners and modes as in a
production instance) whose users are added with `sluice-conf user add`,
and a way to put messages into their Maildirs as a delivery agent would.

Pop3Server: sluice-pop3d under `tcpserver -H -R` on a free port of a
127.x.y.z address, stopped by its pid.

Every wait is bounded; everything is removed by cleanup().
"""
import os
import pwd
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
import harness  # noqa: E402

IS_ROOT = os.geteuid() == 0
_seq = [0]


def mailbox_ids():
    """uid and gid of the mailbox owner (sluicev as root, else ourselves)."""
    if IS_ROOT:
        pw = pwd.getpwnam("sluicev")
        return pw.pw_uid, pw.pw_gid
    return os.getuid(), os.getgid()


def to_crlf(data):
    """What POP3 sends for a Maildir file: LF -> CRLF, CRLF kept."""
    out = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if data.endswith(b"\r") or (data and not data.endswith(b"\n")):
        out += b"\r\n"
    return out


class MiniRoot(harness.Root):
    def __init__(self, me="pop.example.test"):
        super().__init__(me=me, prefix="sluice-pop3-")
        self.domains = set()

    def add_user(self, address, password, login=True):
        """sluice-conf user add (and domain add the first time); login=False
        adds it --nologin.  Returns the Maildir."""
        domain = address.rsplit("@", 1)[1]
        if domain not in self.domains:
            self.add_domain(domain)
            self.domains.add(domain)
        super().add_user(address, password if login else None)
        return self.maildir(address)

    def deliver(self, address, data, where="new", wsize=True, name=None):
        """Put a message into the Maildir as a delivery agent would.
        Returns the file name."""
        md = self.maildir(address)
        if name is None:
            _seq[0] += 1
            name = "%d.M%dP%dQ%dR%016x.%s,S=%d" % (time.time(), _seq[0], os.getpid(), _seq[0],
                                                     _seq[0] * 7919, "host.example.test", len(data))
            if wsize:
                name += ",W=%d" % len(to_crlf(data))
            if where == "cur":
                name += ":2,"
        p = os.path.join(md, where, name)
        with open(p, "wb") as f:
            f.write(data)
        if IS_ROOT:
            u, g = mailbox_ids()
            os.chown(p, u, g)
        return name

    def files(self, address):
        md = self.maildir(address)
        return {sub: sorted(os.listdir(os.path.join(md, sub))) for sub in ("new", "cur", "tmp")}


class Pop3Server:
    """sluice-pop3d under tcpserver; log lines collected in a file."""

    def __init__(self, root, mode="plain", args=(), env=None, ip=None):
        self.ip = ip or harness.pick_ip()
        self.port = harness.free_port(self.ip)
        self.logpath = os.path.join(root, "pop3d-%d.log" % self.port)
        e = dict(os.environ, SLUICE_ROOT=root, POP3D_MODE=mode)
        if IS_ROOT:
            e["SLUICE_DROP"] = "sluiced"
        if env:
            e.update(env)
        log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            ["tcpserver", "-H", "-R", "-l", "pop.example.test", "-c", "40", self.ip, str(self.port),
             harness.prog("sluice-pop3d")] + list(args),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=e, start_new_session=True)
        log.close()
        harness.wait_port(self.ip, self.port, 20)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def wait_log(self, text, timeout=10):
        return harness.wait_for(lambda: (lambda t: t if text in t else None)(self.log()),
                                timeout, what=repr(text))

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        check_sanitizer(self.log())


def check_sanitizer(log):
    """Fail when an ASan/UBSan build of the server reported anything, or
    when a confined process was killed (sluice-pop3d logs "killed by
    signal": SIGSYS for a system call outside its seccomp allowlist)."""
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   " killed by signal "):
        if marker in log:
            raise AssertionError("sanitizer report in the server log:\n" + log[-4000:])


class Raw:
    """A line-level POP3 client on a plain socket (for hostile input)."""

    def __init__(self, ip, port, timeout=10):
        self.s = socket.create_connection((ip, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.line()

    def multi(self):
        lines = []
        while True:
            ln = self.line()
            if ln == b".":
                return lines
            lines.append(ln)

    def closed(self, timeout=10):
        """True when the server closes the connection (after any data)."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def session_pids(server_pid):
    """The sluice-pop3d processes below tcpserver: {pid: (ppid, uid)}."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/status" % d) as f:
                st = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"sluice-pop3d" not in cmd.split(b"\0")[0]:
            continue
        fields = dict(line.split(":\t", 1) for line in st.splitlines() if ":\t" in line)
        out[int(d)] = (int(fields["PPid"]), int(fields["Uid"].split()[0]))
    return out
