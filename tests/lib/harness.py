"""Throwaway sluice instances and test peers for integration tests.

Everything listens on 127.0.0.0/8 only; addresses and ports are picked at
run time and checked free (the machine is shared).  Every wait is bounded.

Root is the one builder of instance roots for every test (the per-area
helpers, tests/local/localinst.py, tests/pop3d/pop3util.py,
tests/queue/qtest.py, tests/remote/remotelib.py and
tests/smtpd/smtpdlib.py, take theirs from it): the real `sluice-conf
init` makes the tree (control/, users/, tls/ with a self-signed
certificate for ME, queue/, mail/, owners and modes as in production),
and domains, users, aliases, routes and settings go through the real
sluice-conf commands, the one writer of their formats.  No test writes a
cdb by hand; a test that feeds a program a hostile file on purpose says
so where it writes it, and a hash sluice-conf would not make (an import)
goes into the users text source followed by `sluice-conf rebuild`, as an
administrator would do it.  Nothing runs: a Root has no listeners and no
supervisor; a test starts the program it tests itself.

    r = harness.Root(me="pop.example.test")   # every listener off
    r.add_domain("example.test", programs=False)
    r.add_user("alice@example.test", "secret")          # sluice-conf user add
    r.add_user("bob@example.test", None, quota=5000)    # --nologin --quota
    r.add_alias("team@example.test", "alice", "x@remote.test")
    r.conf("route", "add", ...)        # any other sluice-conf command
    r.set("authfaildelay", 0)          # sluice-conf set (bounds checked)
    r.root, r.path("control", "me"), r.env (SLUICE_ROOT set)
    r.maildir(address), r.home(address), r.messages(address)
    r.owner()                          # (uid, gid) of mailboxes: sluicev
                                       # as root, else ourselves
    r.run("sluice-local", ...), r.cleanup()

Instance is a Root with listeners and daemontools supervision:

    import harness
    inst = harness.Instance()          # temp ROOT, a 127.x.y.z, free ports,
                                       # `sluice-conf init` already run, and
                                       # `resolvers` set to a dead loopback
                                       # port (never /etc/resolv.conf)
    inst.conf("domain", "add", "example.test")
    inst.add_user("alice@example.test", "secret")
    inst.start()                       # svscan ROOT/service, waits for ports
    inst.ip, inst.ports["smtp"|"submission"|"smtps"|"pop3"|"pop3s"]
    harness.Instance(extra_ports=("imap", "imaps", "webmail"))
                                       # also Dovecot and Roundcube
    msgs = inst.wait_mail("alice@example.test", 1)   # email.message objects
    inst.stop()                        # svscan and every supervised process
    inst.cleanup()                     # stop + remove the temp dir

    with harness.Instance() as inst: ...   # the same, cleaned up on exit

Also: harness.bin_dir() (the programs; as root a world-readable copy when
the build tree is not reachable by the sluice system users), pick_ip(),
free_port(ip), wait_port(ip, port), Dnsmasq (a loopback DNS server with
made-up records), SmtpSink (an aiosmtpd server that records messages and
can be scripted to answer 4xx/5xx).
"""
import email
import email.policy
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORT_NAMES = ("smtp", "submission", "smtps", "pop3", "pop3s")


def _reachable_by_others(path):
    """True when every directory on the way to path is traversable by other users."""
    p = os.path.abspath(path)
    while True:
        st = os.stat(p)
        if not st.st_mode & 0o001:
            return False
        parent = os.path.dirname(p)
        if parent == p:
            return True
        p = parent


def bin_dir():
    """Directory holding the sluice programs under test.

    $SLUICE_BIN wins.  Running as root with a build tree the system users
    cannot reach (say, under /root), the programs are copied once into a
    world-readable temporary directory, as `make install` would place them."""
    env = os.environ.get("SLUICE_BIN")
    if env:
        return env
    src = os.path.join(TOP, "bin")
    if os.geteuid() != 0 or _reachable_by_others(src):
        return src
    dst = tempfile.mkdtemp(prefix="sluice-bin-")
    os.chmod(dst, 0o755)
    for name in os.listdir(src):
        p = os.path.join(src, name)
        if os.path.isfile(p):
            shutil.copy2(p, os.path.join(dst, name))
    os.environ["SLUICE_BIN"] = dst
    return dst


def prog(name):
    return os.path.join(bin_dir(), name)


def can_bind(ip, port, kind=socket.SOCK_STREAM):
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    s = socket.socket(fam, kind)
    try:
        s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_ip():
    """A random 127.x.y.z that nothing is bound to on the ports we probe."""
    for _ in range(100):
        ip = "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 254), random.randint(2, 254))
        if can_bind(ip, 0):
            return ip
    raise RuntimeError("no free loopback address")


def free_port(ip="127.0.0.1", avoid=()):
    """A TCP port free on ip now (and UDP too, for DNS servers)."""
    for _ in range(200):
        port = random.randint(20000, 60000)
        if port in avoid:
            continue
        if can_bind(ip, port) and can_bind(ip, port, socket.SOCK_DGRAM):
            return port
    raise RuntimeError("no free port on %s" % ip)


def wait_port(ip, port, timeout=20.0):
    """Wait until something accepts TCP connections on ip:port."""
    deadline = time.time() + timeout
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    while time.time() < deadline:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(1)
        try:
            s.connect((ip, port))
            return True
        except OSError:
            time.sleep(0.1)
        finally:
            s.close()
    raise TimeoutError("nothing listens on %s:%d after %.0fs" % (ip, port, timeout))


def wait_for(pred, timeout=20.0, interval=0.1, what="condition"):
    """Poll pred() until it returns something true; return that value."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            raise TimeoutError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def read_maildir(path):
    """Messages in a Maildir's new/ and cur/ as email.message objects, by name."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                m = email.message_from_binary_file(f, policy=email.policy.default)
            m.sluice_path = os.path.join(d, name)
            out.append(m)
    return out


class Root:
    """A throwaway instance root made by `sluice-conf init`, nothing running
    (see the module docstring).

    ports: {name: port} for the listeners (None: every one off, so init
    writes no service directory for them); bind: their address;
    extra_init: more init arguments."""

    def __init__(self, me="mail.example.test", ports=None, bind="127.0.0.1", extra_init=(), init=True,
                 prefix="sluice-test-"):
        self.root = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.root, 0o755)
        self.me = me
        self.env = dict(os.environ, SLUICE_ROOT=self.root)
        if init:
            if ports is None:
                ports = dict((name, "off") for name in PORT_NAMES)
            ports = ",".join("%s=%s" % (k, v) for k, v in ports.items())
            self.conf("init", "--me", me, "--ports", ports, "--bind", bind, *extra_init)
            # Never ask /etc/resolv.conf's servers (they are off this machine):
            # until a test points `resolvers` at its own dnsmasq, DNS goes to
            # a loopback port where nothing answers, so lookups fail fast and
            # temporarily.
            self.set("resolvers", "127.0.0.1:9")

    # -- configuration -------------------------------------------------
    def conf(self, *args, input=None, check=True):
        """Run sluice-conf -d ROOT ARGS; returns CompletedProcess (text)."""
        p = subprocess.run([prog("sluice-conf"), "-d", self.root] + list(args),
                           input=input, capture_output=True, text=True, timeout=60, env=self.env)
        if check and p.returncode != 0:
            raise RuntimeError("sluice-conf %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr.strip()))
        return p

    def add_domain(self, domain, programs=False):
        return self.conf("domain", "add", domain, *(("programs",) if programs else ()))

    def add_user(self, address, password, quota=None):
        """sluice-conf user add; password None adds it --nologin."""
        args = ["user", "add", address]
        if quota is not None:
            args += ["--quota", str(quota)]
        if password is None:
            return self.conf(*args, "--nologin")
        return self.conf(*args, input=password + "\n")

    def add_alias(self, address, *targets):
        return self.conf("alias", "add", address, *targets)

    def set(self, key, value):
        return self.conf("set", key, str(value))

    def write_control(self, key, text):
        """Write control/KEY as "TEXT\\n", past sluice-conf's checks: only
        for a test that feeds a program a setting sluice-conf refuses, on
        purpose (say so where it is called)."""
        with open(self.path("control", key), "w") as f:
            f.write("%s\n" % text)
        os.chmod(self.path("control", key), 0o644)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def owner(self):
        """(uid, gid) that sluice-conf gives mailboxes: sluicev as root."""
        if os.geteuid() == 0:
            st = os.stat(self.path("mail"))
            return st.st_uid, st.st_gid
        return os.getuid(), os.getgid()

    def home(self, address):
        local, domain = address.rsplit("@", 1)
        return self.path("mail", domain, local)

    def maildir(self, address):
        return os.path.join(self.home(address), "Maildir")

    def messages(self, address):
        return read_maildir(self.maildir(address))

    def wait_mail(self, address, count, timeout=30.0):
        """Wait until the address's Maildir holds at least count messages."""
        return wait_for(lambda: (lambda m: m if len(m) >= count else None)(self.messages(address)),
                        timeout, what="%d message(s) for %s" % (count, address))

    def log(self, service):
        """Text of ROOT/log/SERVICE/current (multilog), or ''."""
        try:
            with open(self.path("log", service, "current"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def run(self, name, *args, input=None, timeout=60, env=None):
        """Run one of the sluice programs with SLUICE_ROOT set."""
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.run([prog(name)] + list(args), input=input, capture_output=True,
                              timeout=timeout, env=e)

    def stop(self):
        """Nothing runs in a bare Root: whoever starts a program stops it
        (Instance stops its svscan here)."""

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


class Instance(Root):
    """A throwaway sluice instance in a temp dir (see the module docstring):
    a Root with a 127.x.y.z address, free ports for its listeners and
    svscan on ROOT/service."""

    def __init__(self, me="mail.example.test", init=True, extra_init=(), extra_ports=()):
        self.ip = pick_ip()
        self.ports = {}
        used = set()
        # extra_ports: listeners that are off unless given, e.g.
        # ("imap", "imaps", "webmail") for Dovecot and Roundcube
        for name in PORT_NAMES + tuple(extra_ports):
            p = free_port(self.ip, used)
            used.add(p)
            self.ports[name] = p
        self.svscan = None
        super().__init__(me=me, ports=self.ports, bind=self.ip, extra_init=extra_init, init=init)

    # -- supervision ---------------------------------------------------
    def services(self):
        d = self.path("service")
        return sorted(os.path.join(d, n) for n in os.listdir(d)) if os.path.isdir(d) else []

    def start(self, wait=PORT_NAMES, timeout=30.0):
        """Start svscan on ROOT/service and wait for the named ports."""
        log = open(self.path("svscan.log"), "ab")
        self.svscan = subprocess.Popen(["svscan", self.path("service")], stdout=log, stderr=log,
                                       stdin=subprocess.DEVNULL, start_new_session=True, env=self.env)
        log.close()
        for name in wait:
            wait_port(self.ip, self.ports[name], timeout)

    def svc(self, flags, service):
        subprocess.run(["svc", flags, self.path("service", service)], timeout=10,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def service_down(self, service, timeout=15.0):
        """Stop one service (svc -d) and wait until supervise reports it down.
        Waits first for svscan to have started its supervise."""
        d = self.path("service", service)
        wait_for(lambda: subprocess.run(["svok", d]).returncode == 0, timeout,
                 what="supervise of %s" % service)
        self.svc("-d", service)
        wait_for(lambda: b": down " in subprocess.run(["svstat", d], capture_output=True).stdout,
                 timeout, what="%s down" % service)

    def service_up(self, service, timeout=15.0):
        d = self.path("service", service)
        self.svc("-u", service)
        wait_for(lambda: b": up " in subprocess.run(["svstat", d], capture_output=True).stdout,
                 timeout, what="%s up" % service)

    def stop(self, timeout=15.0):
        """Stop svscan first (or it restarts services), then every service."""
        if not self.svscan:
            return
        pgid = self.svscan.pid
        try:
            self.svscan.terminate()
            self.svscan.wait(timeout=5)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            self.svscan.kill()
        dirs = []
        for s in self.services():
            dirs.append(s)
            if os.path.isdir(os.path.join(s, "log")):
                dirs.append(os.path.join(s, "log"))
        if dirs:
            subprocess.run(["svc", "-dx"] + dirs, timeout=10,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(subprocess.run(["svok", d], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode != 0 for d in dirs):
                break
            time.sleep(0.1)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        self.svscan = None


class Dnsmasq:
    """dnsmasq on a loopback address with made-up records, authoritative
    for the domains given; nothing is forwarded anywhere.

        dns = Dnsmasq(mx=[("example.test", "mx1.example.test", 10)],
                      hosts=[("mx1.example.test", "127.1.2.3")],
                      txt=[...], extra=["--some-option"])
        dns.ip, dns.port, dns.resolver  ("IP:PORT", for `resolvers`)
        dns.stop()
    """

    def __init__(self, mx=(), hosts=(), extra=(), local=("test",)):
        # a shared machine: another program can take the address or port
        # between our check and dnsmasq's bind, so try a few fresh ones
        why = ""
        for _ in range(3):
            why = self._start(mx, hosts, extra, local)
            if not why:
                return
        raise RuntimeError("dnsmasq did not start: " + why)

    def _start(self, mx, hosts, extra, local):
        self.ip = pick_ip()
        self.port = free_port(self.ip)
        args = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                "--no-hosts", "--listen-address=" + self.ip, "--bind-interfaces",
                "--port=%d" % self.port, "--log-facility=-", "--user=root", "--pid-file="]
        for d in local:
            args.append("--local=/%s/" % d)
        for dom, target, pref in mx:
            args.append("--mx-host=%s,%s,%d" % (dom, target, pref))
        for name, ip in hosts:
            args.append("--host-record=%s,%s" % (name, ip))
        args += list(extra)
        self.errlog = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.errlog,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.resolver = "%s:%d" % (self.ip, self.port)
        deadline = time.time() + 20
        while can_bind(self.ip, self.port, socket.SOCK_DGRAM):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                self.errlog.seek(0)
                return self.errlog.read().decode(errors="replace").strip()[-300:] or "no answer"
            time.sleep(0.05)
        return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


class SmtpSink:
    """A receiving SMTP server (aiosmtpd, in this process) that records
    every message and can be scripted.

        sink = SmtpSink(ip=None, port=None, tls_context=None)
        sink.rcpt_replies["bad@x.test"] = "550 5.1.1 no such user"
        sink.data_replies = ["451 4.3.0 try later"]   # popped per DATA, then 250
        sink.messages -> list of (mail_from, [rcpts], bytes)
        sink.stop()
    """

    def __init__(self, ip=None, port=None, tls_context=None, require_starttls=False):
        from aiosmtpd.controller import Controller
        self.ip = ip or pick_ip()
        self.port = port or free_port(self.ip)
        self.messages = []
        self.rcpt_replies = {}
        self.data_replies = []
        self.sessions = []
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                r = sink.rcpt_replies.get(address.lower())
                if r:
                    return r
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                sink.sessions.append({"tls": session.ssl is not None,
                                      "peer": session.peer[0] if session.peer else None,
                                      "mail_from": envelope.mail_from})
                if sink.data_replies:
                    return sink.data_replies.pop(0)
                sink.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
                return "250 2.0.0 OK queued"

        kw = {}
        if tls_context is not None:
            kw["tls_context"] = tls_context
            kw["require_starttls"] = require_starttls
        self.controller = Controller(Handler(), hostname=self.ip, port=self.port, **kw)
        self.controller.start()

    def stop(self):
        self.controller.stop()


def make_cert(dirpath, cn="localhost"):
    """A throwaway self-signed certificate: returns (certfile, keyfile)."""
    cert = os.path.join(dirpath, "cert.pem")
    key = os.path.join(dirpath, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn,
                    "-days", "2", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key
