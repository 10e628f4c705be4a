"""Helpers for the sluice-remote tests: an instance root (a harness.Root:
the real `sluice-conf init`, nothing running) whose settings and static
routes are set with sluice-conf, sluice-remote run in one-shot mode,
receiving servers nobody here wrote (aiosmtpd, postfix's smtp-sink), and
two DNS misbehaviours dnsmasq cannot play (SERVFAIL and silence).
Everything on 127.0.0.0/8 or ::1, ports picked at run time.
"""
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import harness

MSG = (b"From: a@sender.test\nTo: x@example.net\nSubject: remote test\n\n"
       b"first line\n.starts with a dot\n..two dots\n.\nlast line\n")


REMOTE_USER = "sluicer"      # sluice-remote switches to it when started as root


class Root(harness.Root):
    """An instance root for sluice-remote with short timeouts; dir is the
    root.  Run as root, sluice-conf init has made the system users."""

    def __init__(self, resolvers=None, me="me.sluice.test", **settings):
        super().__init__(me=me, prefix="sluice-remote-")
        self.dir = self.root
        self.set("timeoutremote", 5)
        self.set("timeoutconnect", 3)
        self.set("timeoutdns", 2)
        if resolvers:
            self.set("resolvers", resolvers)
        for k, v in settings.items():
            self.set(k, v)

    def unset(self, key):
        self.conf("unset", key)

    def routes(self, table):
        """Replace the static routes with table (sluice-conf route del and
        route add): {domain or ".": "HOST[:PORT]" or ("HOST[:PORT]", "opt", ...)}"""
        for line in self.conf("route", "list").stdout.splitlines():
            self.conf("route", "del", line.split()[0])
        for key, val in table.items():
            if isinstance(val, str):
                val = (val,)
            self.conf("route", "add", key, *val)

    def remoteauth(self, text, mode=0o600):
        """control/remoteauth, owned by the user sluice-remote runs as.
        Written by hand: its exact text (comments, a password with a
        space), a mode others can read and a route without verification
        are what the tests feed sluice-remote on purpose."""
        p = self.path("control", "remoteauth")
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        if os.geteuid() == 0:
            pw = pwd.getpwnam(REMOTE_USER)
            os.chown(p, pw.pw_uid, pw.pw_gid)

    def run(self, domain, rcpts, sender="a@sender.test", msg=MSG, timeout=90, env=None):
        """sluice-remote -1 R ...: (exit code, [result lines], stderr text, seconds)"""
        env = dict(os.environ, SLUICE_ROOT=self.dir, **(env or {}))
        start = time.time()
        p = subprocess.run([harness.prog("sluice-remote"), "-1", "R", sender, domain] + list(rcpts),
                           input=msg, capture_output=True, timeout=timeout, env=env)
        lines = p.stdout.decode("utf-8", "replace").splitlines()
        return p.returncode, lines, p.stderr.decode("utf-8", "replace"), time.time() - start


def free_ip_for_port(port):
    """A 127.x.y.z on which TCP port (25 for MX targets) is free."""
    for _ in range(50):
        ip = harness.pick_ip()
        if harness.can_bind(ip, port):
            return ip
    raise RuntimeError("no loopback address with port %d free" % port)


def tls_context(tmpdir, cn="mx.example.net"):
    """a server context with a self-signed certificate for cn; the
    certificate (not the key) readable by sluicer, for SSL_CERT_FILE"""
    cert, key = harness.make_cert(tmpdir, cn)
    os.chmod(tmpdir, 0o755)
    os.chmod(cert, 0o644)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def cert_fingerprint(cert):
    """SHA-256 fingerprint as openssl prints it ("AB:CD:..."), for a
    route's tls=fingerprint: option"""
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return out.strip().split("=", 1)[1]


class Recorder:
    """An aiosmtpd server with the knobs the harness sink lacks: AUTH,
    a size limit, and a record of MAIL parameters."""

    def __init__(self, ip, port, tls_context=None, data_size_limit=33554432, logins=None,
                 exclude_auth=()):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult
        self.ip, self.port = ip, port
        self.messages = []
        self.mail_options = []
        self.logins = []
        rec = self

        class Handler:
            async def handle_MAIL(self, server, session, envelope, address, mail_options):
                rec.mail_options.append(list(mail_options))
                envelope.mail_from = address
                envelope.mail_options.extend(mail_options)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                rec.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                                     session.ssl is not None, getattr(session, "authenticated", False)))
                return "250 2.0.0 OK recorded"

        def authenticator(server, session, envelope, mechanism, auth_data):
            user = auth_data.login.decode()
            password = auth_data.password.decode()
            rec.logins.append((mechanism, user, password))
            ok = logins is not None and logins.get(user) == password
            return AuthResult(success=ok) if ok else AuthResult(success=False, handled=False, message="535 5.7.8 bad credentials")

        kw = dict(data_size_limit=data_size_limit, enable_SMTPUTF8=True)
        if tls_context is not None:
            kw["tls_context"] = tls_context
        if logins is not None:
            kw["authenticator"] = authenticator
            kw["auth_require_tls"] = True
            kw["auth_exclude_mechanism"] = list(exclude_auth)
        self.controller = Controller(Handler(), hostname=ip, port=port, **kw)
        self.controller.start()

    def stop(self):
        self.controller.stop()


class SmtpSinkProc:
    """postfix's smtp-sink on ip:port, dumping each message into a dir."""

    def __init__(self, ip, port, *opts):
        self.ip, self.port = ip, port
        self.dir = tempfile.mkdtemp(prefix="smtp-sink-")
        user = []
        if os.geteuid() == 0:       # smtp-sink insists on dropping root
            import pwd
            pw = pwd.getpwnam("nobody")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            user = ["-u", "nobody"]
        args = ["/usr/sbin/smtp-sink", *user, "-d", os.path.join(self.dir, "%M."), *opts,
                "%s:%d" % (ip, port), "256"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.dir)
        try:
            harness.wait_port(ip, port, 10)
        except Exception:
            self.stop()             # nobody else will: the caller gets no object
            raise

    def dumps(self):
        out = []
        for root, _, files in os.walk(self.dir):
            for name in sorted(files):
                with open(os.path.join(root, name), "rb") as f:
                    out.append(f.read())
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


class BadDns:
    """A UDP DNS 'server' that answers every query with SERVFAIL, or (silent)
    never answers at all: the failures dnsmasq does not produce."""

    def __init__(self, silent=False):
        self.ip = harness.pick_ip()
        self.port = harness.free_port(self.ip)
        self.resolver = "%s:%d" % (self.ip, self.port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.ip, self.port))
        self.sock.settimeout(0.2)
        self.silent = silent
        self.queries = 0
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            try:
                q, addr = self.sock.recvfrom(1500)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1
            if self.silent or len(q) < 12:
                continue
            # same id and question; QR=1, opcode copied, RD copied, RA=1, RCODE=2
            flags = bytes([0x80 | (q[2] & 0x79), 0x80 | 2])
            self.sock.sendto(q[:2] + flags + q[4:6] + b"\0\0\0\0\0\0" + q[12:], addr)

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


class SilentServer:
    """Accepts TCP connections and never says a word (greeting timeout)."""

    def __init__(self, ip, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(16)
        self.ip, self.port = ip, port

    def stop(self):
        self.sock.close()
