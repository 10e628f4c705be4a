"""A throwaway sluice instance for the side-by-side benchmark.

Made through tests/lib/harness.py: `sluice-conf init` in a temp dir on a
127.x.y.z with free ports, one domain, one user, the `resolvers` setting
pointed at a dnsmasq of our own on loopback (so nothing ever asks the
system's DNS), svscan on ROOT/service.  The services of ports the benchmark
does not use (POP3, submission, SMTPS) are taken down with svc -d so that
they cannot spend CPU that would be counted against sluice; every other
service (smtpd, the queue manager, anvil, and whatever long-lived helpers
sluice-conf init writes) stays up.  BENCH_SETTINGS lists
the settings changed from sluice's defaults, and why (printed in the table).

    s = Sluice("bench.test", "user", extra_users=("2user",),
               tls=(certfile, keyfile), remote=("remote.test", ip, port))
                                          # raises NotAvailable(reason)
    s.start(meter)                        # svscan inside meter.member()
    s.probe()                             # one message end to end, or NotAvailable
    s.ip, s.port, s.address, s.maildir, s.queue_count(), s.log_tail()
    s.rcpt_maildirs(n)                    # Maildirs of user, 2user ... nuser
    s.hold_remote(); s.held_count(); s.release_remote()
                                          # queue manager down / count / up
    s.cleanup()                           # svscan and every service, temp dirs

Must run as root when the tree is not reachable by the system users
(harness.bin_dir copies the programs; cleanup removes that copy).
"""
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time

import harness

# sluice-start runs sluice-send with sluice-local and sluice-remote: all are needed
NEEDED = ("sluice-conf", "sluice-smtpd", "sluice-queue", "sluice-start", "sluice-send",
          "sluice-local", "sluice-remote", "sluice-anvil")
# Services taken down: those serving a port the benchmark does not use
# (POP3, submission, ...).  Every other service stays up, whatever it is
# called: smtpd, the queue manager, anvil (every smtpd session asks it, as
# in production), and whatever long-lived helpers later versions add.
UNUSED_PORTS = ("submission", "smtps", "pop3", "pop3s")
LOGS = ("smtpd", "send")        # logs read for problems and failures
MARK_PREFIX = "bench-sluice-"   # TMPDIR/bench-sluice-PID holds the instance's path
# Settings that make sluice comparable with the Postfix set up here: Postfix
# runs smtpd without postscreen, so no pause before the greeting either
# (sluice's default smtpgreetdelay of 500 ms would cap a connection per
# message at 2 messages/s per session).
BENCH_SETTINGS = (("smtpgreetdelay", "0"),)


class NotAvailable(Exception):
    pass


class Sluice:
    name = "sluice"
    smtpd_comm = "sluice-smtpd"

    def __init__(self, domain, user, extra_users=(), tls=None, remote=None):
        """extra_users: more users of the domain (the 10-recipient runs);
        tls: (certfile, keyfile) put in place of the instance's own, so that
        both servers use the same key; remote: (domain, ip, port) a relay
        domain routed to that sink (the remote drain)."""
        top_bin = os.path.join(harness.TOP, "bin")
        missing = [p for p in NEEDED if not os.access(os.path.join(top_bin, p), os.X_OK)]
        if missing:
            raise NotAvailable("bin/%s not built yet (lands with merges from main)"
                               % ", bin/".join(missing))
        self.domain, self.user = domain, user
        self.address = "%s@%s" % (user, domain)
        self.inst = self.dns = self.marker = None
        self._own_bin = "SLUICE_BIN" not in os.environ
        try:
            self.inst = harness.Instance(me="mail.bench.test")
            self.inst.conf("domain", "add", domain)
            self.inst.add_user(self.address, "bench-password-1")
            for u in extra_users:
                self.inst.add_user("%s@%s" % (u, domain), "bench-password-1")
            self.remote_domain = None
            if remote:
                rdomain, rip, rport = remote
                self.inst.conf("relaydomain", "add", rdomain)
                self.inst.conf("route", "add", rdomain, "%s:%d" % (rip, rport))
                self.remote_domain = rdomain
            self.tls_note = self._use_cert(tls) if tls else None
            self.dns = harness.Dnsmasq()
            self.inst.set("resolvers", self.dns.resolver)
            for key, value in BENCH_SETTINGS:
                self.inst.set(key, value)
        except Exception as e:
            self.cleanup()
            raise NotAvailable("instance setup failed: %s" % _first_line(e))
        self._mark()
        self.ip = self.inst.ip
        self.port = self.inst.ports["smtp"]
        self.maildir = self.inst.maildir(self.address)

    def _use_cert(self, tls):
        """Write the bench's certificate and key over the instance's own
        (same files, modes and owners); a note when there are none."""
        for src, name in zip(tls, ("cert.pem", "key.pem")):
            dst = self.inst.path("tls", name)
            if not os.path.exists(dst):
                return "no %s: sluice kept its own certificate" % dst
        for src, name in zip(tls, ("cert.pem", "key.pem")):
            with open(src, "rb") as f:
                data = f.read()
            with open(self.inst.path("tls", name), "r+b") as f:
                f.truncate(0)
                f.write(data)
        return None

    def rcpt_maildirs(self, n):
        """Maildirs of USER, 2USER ... nUSER (smtp-source -r n's recipients)."""
        return [self.inst.maildir("%s%s@%s" % ("" if i == 1 else i, self.user, self.domain))
                for i in range(1, n + 1)]

    def _queue_service(self):
        """The service directory of the queue manager: the one whose run
        script starts sluice-start (or sluice-send); "send" otherwise."""
        for d in self.inst.services():
            try:
                with open(os.path.join(d, "run")) as f:
                    text = f.read()
            except OSError:
                continue
            if "sluice-start" in text or "sluice-send" in text:
                return d
        return self.inst.path("service", "send")

    def hold_remote(self):
        """Take the queue manager down (svc -d) so that mail stays queued."""
        d = self._queue_service()
        subprocess.run(["svc", "-d", d], timeout=10, check=True)
        harness.wait_for(lambda: b": down " in subprocess.run(["svstat", d], capture_output=True,
                                                               timeout=10).stdout,
                         30, what="%s down" % os.path.basename(d))

    def release_remote(self):
        subprocess.run(["svc", "-u", self._queue_service()], timeout=10, check=True)

    def held_count(self):
        """Messages in the queue (sluice-qstat's "messages: N")."""
        try:
            p = self.inst.run("sluice-qstat", timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return 0
        for line in p.stdout.decode("ascii", "replace").splitlines():
            key, _, rest = line.partition(":")
            if key.strip() == "messages" and rest.split() and rest.split()[0].isdigit():
                return int(rest.split()[0])
        return 0

    def _mark(self):
        """Note the instance's temp dir where a later run finds it if this
        one is killed before its cleanup (reap_stale_dirs)."""
        self.marker = os.path.join(tempfile.gettempdir(), "%s%d" % (MARK_PREFIX, os.getpid()))
        with open(self.marker, "w") as f:
            f.write("%s\n%d %s\n" % (self.inst.root, self.dns.proc.pid, self.dns.ip))

    def version(self):
        p = subprocess.run(["git", "-C", harness.TOP, "describe", "--always", "--dirty"],
                           capture_output=True, text=True, timeout=20)
        return "git " + (p.stdout.strip() or "?")

    def start(self, meter):
        try:
            with meter.member():
                self.inst.start(wait=("smtp",), timeout=30)
        except Exception as e:
            raise NotAvailable("svscan did not bring up SMTP on %s:%d: %s\n%s" % (
                self.ip, self.port, _first_line(e), self.log_tail()))
        meter.set_root(self.inst.svscan.pid)
        self._quiet_other_services()

    def _unused_service(self, svc_dir):
        """True when the service's run script listens on a port of
        UNUSED_PORTS (the instance's address followed by that port) and
        not on the SMTP port."""
        try:
            with open(os.path.join(svc_dir, "run")) as f:
                words = f.read().split()
        except OSError:
            return False
        def listens(ports):
            # "IP PORT" (tcpserver's arguments) or "IP:PORT"
            return any((w in ports and i and words[i - 1].strip("'\"") == self.ip) or
                       any(w.strip("'\"") == "%s:%s" % (self.ip, p) for p in ports)
                       for i, w in enumerate(words))
        unused = {str(self.inst.ports[p]) for p in UNUSED_PORTS if p in self.inst.ports}
        return listens(unused) and not listens({str(self.port)})

    def _quiet_other_services(self):
        """svc -d every service (and its logger) that serves only a port the
        benchmark does not use, so that it cannot spend CPU counted
        against sluice."""
        for svc_dir in self.inst.services():
            if not self._unused_service(svc_dir):
                continue
            for d in (svc_dir, os.path.join(svc_dir, "log")):
                deadline = time.time() + 10
                # supervise may not have made its control fifo yet
                while time.time() < deadline:
                    if os.path.exists(os.path.join(d, "supervise", "control")):
                        subprocess.run(["svc", "-d", d], timeout=10,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                        break
                    if not os.path.isdir(d):
                        break
                    time.sleep(0.1)

    def probe(self, timeout=30):
        """One message through SMTP into the Maildir, or NotAvailable."""
        try:
            with smtplib.SMTP(self.ip, self.port, timeout=timeout) as c:
                c.sendmail("probe@client.bench.test", [self.address],
                           b"Subject: bench probe\r\n\r\nprobe\r\n")
        except Exception as e:
            raise NotAvailable("SMTP probe failed: %s\n%s" % (_first_line(e), self.log_tail()))
        try:
            self.inst.wait_mail(self.address, 1, timeout=timeout)
        except Exception as e:
            raise NotAvailable("probe message accepted but not delivered: %s\n%s" % (
                _first_line(e), self.log_tail()))

    def queue_count(self):
        """Messages in the queue or being injected, from sluice-qstat
        ("messages: N (B bytes)", "injections in progress: N"; any other
        format: the sum of the numbers it prints); 0 without the tool."""
        try:
            p = self.inst.run("sluice-qstat", timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return 0
        if p.returncode != 0:
            return 0
        return parse_qstat(p.stdout.decode("ascii", "replace"))

    def log_problems(self):
        """Warnings and fatal errors in the smtpd and send logs."""
        if not self.inst:
            return []
        out = []
        for svc in LOGS:
            out += [line for line in self.inst.log(svc).splitlines()
                    if "warning:" in line or "fatal:" in line]
        return out

    def log_tail(self, lines=15):
        out = []
        for svc in ("smtpd", "send"):
            text = self.inst.log(svc).splitlines()[-lines:] if self.inst else []
            if text:
                out.append("  log/%s:" % svc)
                out.extend("    " + line for line in text)
        return "\n".join(out)

    def cleanup(self):
        try:
            if self.inst:
                self.inst.cleanup()
                self.inst = None
                if self.marker:
                    os.unlink(self.marker)
                    self.marker = None
        finally:
            if self.dns:
                self.dns.stop()
                self.dns = None
        if self._own_bin:
            b = os.environ.pop("SLUICE_BIN", None)
            if b and b != os.path.join(harness.TOP, "bin"):
                shutil.rmtree(b, ignore_errors=True)


def reap_stale_dirs():
    """Remove the instance dirs of bench runs that died (their PID gone);
    lib_cpu.reap_stale() has already ended their processes."""
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        if not name.startswith(MARK_PREFIX) or not name[len(MARK_PREFIX):].isdigit():
            continue
        if os.path.exists("/proc/" + name[len(MARK_PREFIX):]):
            continue
        path = os.path.join(tmp, name)
        with open(path) as f:
            lines = f.read().split("\n")
        root = lines[0]
        if os.path.dirname(root) == tmp and os.path.basename(root).startswith("sluice-test-"):
            shutil.rmtree(root, ignore_errors=True)
        if len(lines) > 1 and len(lines[1].split()) == 2:
            _kill_dnsmasq(*lines[1].split())
        os.unlink(path)


def _kill_dnsmasq(pid, ip):
    """End the dnsmasq a dead run started: that pid, if it still is a
    dnsmasq on that address (the pid may have been reused since)."""
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return
    if argv and os.path.basename(argv[0]) == b"dnsmasq" and \
            ("--listen-address=" + ip).encode() in argv:
        os.kill(int(pid), signal.SIGTERM)


def parse_qstat(text):
    known = {"messages", "injections in progress"}
    total, seen = 0, False
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key.strip() in known and rest.split() and rest.split()[0].isdigit():
            total += int(rest.split()[0])
            seen = True
    if seen:
        return total
    return sum(int(w) for w in text.split() if w.isdigit())


def _first_line(e):
    s = str(e).strip()
    return s.splitlines()[0] if s else type(e).__name__
