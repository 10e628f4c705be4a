"""The systemd units of `sluice-conf systemd`, run the way systemd runs
them: every unit passes `systemd-analyze verify`; the SMTP pool takes its
listening socket from systemd (Accept=no) and serves every connection
from the same workers; the per-IP rules of tcp.rules apply under socket
activation (the pool, and Accept=yes with smtpdtcpserver=1) as under
tcpserver; stopping the queue service lets a delivery in progress
finish."""
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402


def stop_group(proc, sig, timeout):
    """signal a process group we started, then reap its leader"""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    proc.wait(timeout=timeout)


def unit_env(text):
    return dict(e.split("=", 1) for e in re.findall(r'(?m)^Environment="([^"]+)"$', text))


class SlowSmtp:
    """A receiving SMTP server that takes `delay` seconds to answer the end
    of DATA, so a delivery is surely in progress when the test acts."""

    def __init__(self, delay):
        self.delay = delay
        self.ip = harness.pick_ip()
        self.port = harness.free_port(self.ip)
        self.got_data = threading.Event()
        self.accepted = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.ip, self.port))
        self.sock.listen(5)
        self.sock.settimeout(1)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            try:
                self._session(c)
            except OSError:
                pass
            finally:
                c.close()

    def _session(self, c):
        c.settimeout(120)
        f = c.makefile("rb")
        c.sendall(b"220 slow.test ESMTP\r\n")
        while True:
            line = f.readline(2000)
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                c.sendall(b"250 slow.test\r\n")
            elif verb == b"DATA":
                c.sendall(b"354 go on\r\n")
                body = b""
                while True:
                    l2 = f.readline(2000)
                    if not l2 or l2 == b".\r\n":
                        break
                    body += l2
                self.got_data.set()
                time.sleep(self.delay)
                self.accepted.append(body)
                c.sendall(b"250 2.0.0 taken, slowly\r\n")
            elif verb == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                c.sendall(b"250 ok\r\n")

    def stop(self):
        self.running = False
        self.sock.close()
        self.thread.join(timeout=5)


class TestUnits(unittest.TestCase):
    def setUp(self):
        self.inst = harness.Instance()
        self.addCleanup(self.inst.cleanup)
        self.inst.conf("domain", "add", "example.test")
        self.inst.add_user("alice@example.test", "a")
        self.inst.conf("systemd")
        self.units = self.inst.path("systemd")

    def unit(self, name):
        with open(os.path.join(self.units, name)) as f:
            return f.read()

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze not installed")
    def test_every_unit_verifies(self):
        files = sorted(os.path.join(self.units, n) for n in os.listdir(self.units))
        # 5 sockets, 3 SMTP pool services, 2 POP3 templates, the queue, anvil
        self.assertEqual(len(files), 12)
        p = subprocess.run(["systemd-analyze", "verify"] + files, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout + p.stderr, "")

    def test_queue_unit_stops_gently(self):
        send = self.unit("sluice-send.service")
        self.assertIn("\nKillMode=mixed\n", send)
        self.assertIn("\nTimeoutStopSec=90\n", send)     # sluice-send waits at most 60 s
        for name in ("smtpd", "submission", "smtps"):
            svc = self.unit("sluice-%s.service" % name)
            env = unit_env(svc)
            self.assertEqual(env["SLUICE_TCPRULES"], self.inst.path("service", name, "tcp.cdb"))
            self.assertRegex(svc, r'(?m)^ExecStart="[^"]+/sluice-smtpd" --pool$')
            self.assertIn("\nKillMode=mixed\n", svc)   # SIGTERM to the master alone
            self.assertIn("\nAccept=no\n", self.unit("sluice-%s.socket" % name))
        for name in ("pop3d", "pop3s"):
            env = unit_env(self.unit("sluice-%s@.service" % name))
            self.assertEqual(env["SLUICE_TCPRULES"], self.inst.path("service", name, "tcp.cdb"))
            self.assertIn("\nAccept=yes\n", self.unit("sluice-%s.socket" % name))

    def activate(self, svc_name, accept):
        svc = self.unit(svc_name)
        m = re.search(r'(?m)^ExecStart="([^"]+)"(.*)$', svc)
        prog, extra = m.group(1), m.group(2).split()
        listen = re.search(r"(?m)^ListenStream=(.+)$", self.unit("sluice-smtpd.socket")).group(1)
        args = ["systemd-socket-activate", "-l", listen] + (["-a", "--inetd"] if accept else [])
        for k, v in unit_env(svc).items():
            args += ["-E", "%s=%s" % (k, v)]
        log = open(self.inst.path("activate.log"), "wb")
        act = subprocess.Popen(args + [prog] + extra, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                               start_new_session=True)
        log.close()
        self.addCleanup(stop_group, act, signal.SIGTERM, 40)
        harness.wait_port(self.inst.ip, self.inst.ports["smtp"], 20)
        return act

    def rules_hold(self):
        denied, relay, other = harness.pick_ip(), harness.pick_ip(), harness.pick_ip()
        with open(self.inst.path("service", "smtpd", "tcp.rules"), "w") as f:
            f.write("%s:deny\n%s:allow,RELAYCLIENT=\"\"\n:allow\n" % (denied, relay))
        self.inst.conf("rebuild")

        def rcpt_remote(src):
            with smtplib.SMTP(self.inst.ip, self.inst.ports["smtp"], timeout=30,
                              source_address=(src, 0)) as s:
                s.ehlo("client.test")
                s.mail("a@elsewhere.test")
                return s.rcpt("b@far-away.test")[0]

        for _ in range(3):
            self.assertEqual(rcpt_remote(relay), 250, "RELAYCLIENT from tcp.rules")
            self.assertEqual(rcpt_remote(other), 554, "no relaying for everyone else")
        with self.assertRaises((smtplib.SMTPServerDisconnected, ConnectionError)):
            rcpt_remote(denied)
        self.assertIn("deny %s by %s" % (denied, self.inst.path("service", "smtpd", "tcp.cdb")),
                      open(self.inst.path("activate.log"), errors="replace").read())

    @unittest.skipUnless(shutil.which("systemd-socket-activate"), "systemd-socket-activate not installed")
    def test_tcp_rules_under_socket_activation(self):
        """smtpdtcpserver=1: Accept=yes, a server per connection; what
        tcprules says for an IP holds: deny drops it, allow,RELAYCLIENT=""
        lets it relay."""
        self.inst.set("smtpdtcpserver", "1")
        self.inst.conf("systemd")
        self.assertIn("\nAccept=yes\n", self.unit("sluice-smtpd.socket"))
        self.activate("sluice-smtpd@.service", accept=True)
        self.rules_hold()

    @unittest.skipUnless(shutil.which("systemd-socket-activate"), "systemd-socket-activate not installed")
    def test_pool_under_socket_activation(self):
        """the default: the pool master gets the listening socket from
        systemd (LISTEN_FDS); the rules hold, and the sessions are served
        by the few workers it forked, not a process per connection"""
        act = self.activate("sluice-smtpd.service", accept=False)
        self.rules_hold()
        log = open(self.inst.path("activate.log"), errors="replace").read()
        pids = set(re.findall(r"sid=[0-9a-f]+\.[0-9a-f]+\.([0-9a-f]+) session ", log))
        self.assertGreaterEqual(len(re.findall(r" session ip=", log)), 7)
        self.assertLessEqual(len(pids), 3, log)
        self.assertNotIn("%x" % act.pid, pids, "the master serves nobody itself")


class TestQueueStop(unittest.TestCase):
    """The queue service is stopped while a remote delivery is in
    progress: the delivery finishes, then everything exits."""

    def stop_during_delivery(self, whole_group):
        sink = SlowSmtp(delay=4)
        self.addCleanup(sink.stop)
        inst = harness.Instance()
        self.addCleanup(inst.cleanup)
        inst.conf("route", "add", "remote.test", "%s:%d" % (sink.ip, sink.port))
        log = open(inst.path("send.log"), "wb")
        # as sluice-send.service runs it
        q = subprocess.Popen([harness.prog("sluice-start")], env=dict(os.environ, SLUICE_ROOT=inst.root),
                             stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd="/",
                             start_new_session=True)
        log.close()
        self.addCleanup(stop_group, q, signal.SIGKILL, 10)
        harness.wait_for(lambda: "started with" in open(inst.path("send.log"), errors="replace").read(),
                         30, what="the queue manager to start")
        p = inst.run("sluice-sendmail", "-f", "a@example.test", "x@remote.test",
                     input=b"Subject: in flight\n\nbody\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(sink.got_data.wait(60), "the delivery never started")
        if whole_group:
            os.killpg(q.pid, signal.SIGTERM)     # KillMode=control-group
        else:
            q.send_signal(signal.SIGTERM)        # KillMode=mixed, svc -d
        self.assertEqual(q.wait(timeout=75), 0)
        self.assertEqual(len(sink.accepted), 1, "the delivery in progress was cut short")
        text = open(inst.path("send.log"), errors="replace").read()
        self.assertIn("stopping", text)
        mess = inst.path("queue", "mess")
        left = [f for d, _, fs in os.walk(mess) for f in fs]
        self.assertEqual(left, [], "the delivered message is still queued:\n" + text)
        try:
            harness.wait_for(lambda: self.group_gone(q.pid), 20, what="the delivery programs to exit")
        except TimeoutError:
            ps = subprocess.run(["ps", "-o", "pid,ppid,user,stat,wchan:20,args", "-g", str(q.pid)],
                                stdout=subprocess.PIPE, universal_newlines=True).stdout
            for pid in re.findall(r"^ *(\d+) ", ps, re.M):
                try:
                    ps += "".join(l for l in open("/proc/%s/status" % pid) if l.startswith(("Sig", "Shd", "PPid")))
                except OSError:
                    pass
            raise AssertionError("still running after the manager stopped:\n%s\n%s" % (
                ps, open(inst.path("send.log"), errors="replace").read()[-3000:]))

    @staticmethod
    def group_gone(pgid):
        try:
            os.killpg(pgid, 0)
            return False
        except ProcessLookupError:
            return True

    def test_sigterm_to_the_manager(self):
        self.stop_during_delivery(whole_group=False)

    def test_sigterm_to_the_whole_service(self):
        self.stop_during_delivery(whole_group=True)


if __name__ == "__main__":
    unittest.main()
