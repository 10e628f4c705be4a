"""The SMTP worker pool (`sluice-smtpd --pool`, the default run script of
ports 25, 587 and 465) in real instances under svscan: many sessions over
smtplib, swaks and raw sockets are served by the same few worker
processes (no process is started per connection: pids before and after,
and strace on the master and workers); STARTTLS, 465 and AUTH on 587;
tcprules deny/allow/RELAYCLIENT; maxconnip and the connection limit
(concurrencyincoming: a connection over it waits for a free worker);
nothing of one session is seen by the next in the same worker; kill -9
of a worker in DATA queues nothing and the master replaces it; kill -9
of the master: the supervisor restarts it, idle workers go at once, a
busy one finishes its session; SIGTERM lets a session finish; 500
sessions leave no descriptor behind; smtpdtcpserver=1 runs tcpserver."""
import os
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ALICE_PW = "Alice-pw-1"
SUBJECT_KILLED = "killed-in-the-middle-of-data"


def queue_under_lsan():
    if os.geteuid() != 0:
        return False
    p = subprocess.run(["ldd", harness.prog("sluice-queue")], capture_output=True, text=True, timeout=30)
    return "libasan" in p.stdout


def need_queue(test):
    if queue_under_lsan():
        test.skipTest("setuid sluice-queue cannot run under LeakSanitizer")


def proc_table():
    """{pid: (ppid, uid, argv)} of every process we can see"""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
            with open("/proc/%s/status" % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(re.search(r"(?m)^PPid:\s+(\d+)", st).group(1))
        uid = int(re.search(r"(?m)^Uid:\s+(\d+)", st).group(1))
        out[int(d)] = (ppid, uid, [a.decode(errors="replace") for a in argv if a])
    return out


def pool_of(inst, name):
    """(master pid, set of worker pids) of one listener's pool; (None, set())
    when it is not running"""
    port = str(inst.ports["smtp" if name == "smtpd" else name])
    t = proc_table()
    masters = [p for p, (pp, uid, argv) in t.items()
               if "--pool" in argv and argv[-1] == port and argv[-2] == inst.ip
               and "supervise" in " ".join(t.get(pp, (0, 0, []))[2])]
    if not masters:
        return None, set()
    m = masters[0]
    return m, {p for p, (pp, uid, argv) in t.items() if pp == m}


def wait_pool(inst, name, timeout=30, min_workers=1):
    holder = {}

    def ready():
        m, w = pool_of(inst, name)
        holder["r"] = (m, w)
        return m is not None and len(w) >= min_workers
    harness.wait_for(ready, timeout, what="pool of %s" % name)
    return holder["r"]


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def server_pid(client_sock):
    """pid of the process that holds the server side of this connection"""
    lip, lport = client_sock.getsockname()[:2]
    rip, rport = client_sock.getpeername()[:2]
    p = subprocess.run(["ss", "-Htnp", "state", "established", "src", "%s:%d" % (rip, rport),
                        "dst", "%s:%d" % (lip, lport)], capture_output=True, text=True, timeout=10)
    m = re.search(r"pid=(\d+)", p.stdout)
    return int(m.group(1)) if m else None


def session_pids(log):
    """{sid: pid} of every session line in a log (sid = sec.usec.PIDHEX)"""
    return {m.group(1): int(m.group(2), 16)
            for m in re.finditer(r"sid=([0-9a-f]+\.[0-9a-f]+\.([0-9a-f]+)) session ", log)}


class Raw:
    """an SMTP client on a plain socket, for what smtplib hides"""

    def __init__(self, ip, port, src=None, timeout=20):
        self.s = socket.create_connection((ip, port), timeout=timeout,
                                          source_address=(src, 0) if src else None)
        self.f = self.s.makefile("rb")

    def reply(self):
        lines = []
        while True:
            line = self.f.readline(2000)
            if not line:
                raise EOFError("connection closed")
            lines.append(line.decode().rstrip("\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                return lines

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.f.close()
            self.s.close()
        except OSError:
            pass


def make(settings, rules=None):
    inst = harness.Instance()
    try:
        inst.conf("domain", "add", "example.test")
        inst.add_user("alice@example.test", ALICE_PW)
        inst.add_user("bob@example.test", "Bob-pw-2")
        for k, v in settings.items():
            inst.set(k, v)
        if rules:
            with open(inst.path("service", "smtpd", "tcp.rules"), "w") as f:
                f.write(rules(inst))
            inst.conf("rebuild")
        inst.start(wait=("smtp", "submission", "smtps"))
    except Exception:
        inst.cleanup()
        raise
    return inst


DENIED, RELAY = harness.pick_ip(), harness.pick_ip()
OTHER, FILTERED = harness.pick_ip(), harness.pick_ip()

FILTER = """#!/bin/sh
# a qmail-queue filter: notes its environment, then queues
env > "%s/env.$$"
exec "%s"
"""


def rules(inst):
    """deny one IP; RELAYCLIENT, a mark and a QMAILQUEUE filter for
    another; the filter alone for a third"""
    spool = inst.path("envs")
    os.mkdir(spool)
    os.chmod(spool, 0o1777)
    filt = inst.path("filter")
    with open(filt, "w") as f:
        f.write(FILTER % (spool, harness.prog("sluice-queue")))
    os.chmod(filt, 0o755)
    return ('%s:deny\n%s:allow,RELAYCLIENT="",SLUICE_TEST_MARK="relay",QMAILQUEUE="%s"\n'
            '%s:allow,QMAILQUEUE="%s"\n:allow\n' % (DENIED, RELAY, filt, FILTERED, filt))


def setUpModule():
    global inst
    inst = make({"smtpgreetdelay": "0", "smtpdmaxuse": "5000"}, rules=rules)


def tearDownModule():
    inst.cleanup()


class Pool(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if "inst" not in globals():
            setUpModule()
            cls.addClassCleanup(tearDownModule)

    def plain_session(self, src=None):
        r = Raw(inst.ip, inst.ports["smtp"], src=src)
        try:
            self.assertTrue(r.reply()[0].startswith("220 "))
            r.cmd("EHLO client.test")
            self.assertTrue(r.cmd("QUIT")[0].startswith("221"))
        finally:
            r.close()

    def settle(self, name="smtp"):
        """a few sessions, so the pool reaches its steady size"""
        for _ in range(4):
            if name == "smtp":
                self.plain_session()
        time.sleep(0.5)

    def test_workers_serve_many_sessions(self):
        """60 smtplib messages and 10 swaks sessions: the same worker
        processes (sluiced, children of the root master) serve them all"""
        need_queue(self)
        self.settle()
        master, before = wait_pool(inst, "smtpd", min_workers=2)
        t = proc_table()
        self.assertEqual(t[master][1], 0, "the master runs as root")
        for w in before:
            self.assertNotEqual(t[w][1], 0, "workers are not root")
        mark = len(inst.log("smtpd"))
        nmsg = len(inst.messages("alice@example.test"))
        for i in range(60):
            with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as c:
                c.ehlo("client.test")
                c.sendmail("someone@far.test", ["alice@example.test"],
                           "Subject: pool %d\r\n\r\nbody %d\r\n" % (i, i))
        for i in range(10):
            p = subprocess.run(["swaks", "--server", "%s:%d" % (inst.ip, inst.ports["smtp"]),
                                "--from", "s@far.test", "--to", "alice@example.test",
                                "--helo", "far.test", "--header", "Subject: swaks %d" % i],
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m2, after = pool_of(inst, "smtpd")
        self.assertEqual(m2, master)
        # the master may add a worker when a client reconnects before the
        # last worker said it is idle again (it keeps smtpdminidle idle)
        self.assertLessEqual(before, after, "no worker ended")
        self.assertLessEqual(len(after), len(before) + 2, "not a process per connection")
        harness.wait_for(lambda: len(session_pids(inst.log("smtpd")[mark:])) >= 70, 20,
                         what="70 session lines")
        served = set(session_pids(inst.log("smtpd")[mark:]).values())
        self.assertLessEqual(served, after, "every session ran in one of these workers")
        inst.wait_mail("alice@example.test", nmsg + 70, timeout=120)

    def test_no_process_per_connection_strace(self):
        """strace on the master and every worker: 30 sessions make no fork,
        clone or execve anywhere"""
        self.settle()
        master, workers = wait_pool(inst, "smtpd", min_workers=2)
        out = os.path.join(inst.root, "strace.out")
        args = ["strace", "-f", "-qq", "-o", out, "-e", "trace=fork,vfork,clone,clone3,execve"]
        for p in [master] + sorted(workers):
            args += ["-p", str(p)]
        st = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.5)     # attached
            for _ in range(30):
                self.plain_session()
            time.sleep(0.5)
        finally:
            st.send_signal(signal.SIGINT)
            st.wait(timeout=20)
        with open(out) as f:
            text = f.read()
        self.assertNotRegex(text, r"\b(fork|vfork|clone|clone3|execve)\(", text)
        self.assertEqual(pool_of(inst, "smtpd")[1], workers)

    def test_starttls_smtps_and_submission_auth(self):
        need_queue(self)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        nmsg = len(inst.messages("bob@example.test"))
        for _ in range(3):
            with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as c:
                c.starttls(context=ctx)
                c.ehlo("client.test")
                self.assertTrue(c.has_extn("auth"))
                c.sendmail("s@far.test", ["bob@example.test"], "Subject: starttls 25\r\n\r\nx\r\n")
            with smtplib.SMTP_SSL(inst.ip, inst.ports["smtps"], timeout=30, context=ctx) as c:
                c.ehlo("client.test")
                c.login("alice@example.test", ALICE_PW)
                c.sendmail("alice@example.test", ["bob@example.test"], "Subject: smtps\r\n\r\nx\r\n")
            with smtplib.SMTP(inst.ip, inst.ports["submission"], timeout=30) as c:
                c.ehlo("client.test")
                self.assertEqual(c.docmd("MAIL FROM:<alice@example.test>")[0], 530)
                c.starttls(context=ctx)
                c.ehlo("client.test")
                c.login("alice@example.test", ALICE_PW)
                c.sendmail("alice@example.test", ["bob@example.test"], "Subject: 587\r\n\r\nx\r\n")
        p = subprocess.run(["swaks", "--server", "%s:%d" % (inst.ip, inst.ports["submission"]),
                            "--tls", "--auth", "PLAIN", "--auth-user", "alice@example.test",
                            "--auth-password", ALICE_PW, "--from", "alice@example.test",
                            "--to", "bob@example.test", "--helo", "client.test"],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        msgs = inst.wait_mail("bob@example.test", nmsg + 10, timeout=120)
        rcvd = " ".join(" ".join(m.get_all("Received")) for m in msgs[-10:])
        self.assertIn("with ESMTPSA", rcvd)
        for name in ("smtpd", "submission", "smtps"):
            self.assertIsNotNone(pool_of(inst, name)[0], name)

    def test_tcprules_deny_allow_relayclient(self):
        """the rule of each connection, and only its own: a relay client
        and a stranger take turns on the same few workers"""
        r = Raw(inst.ip, inst.ports["smtp"], src=DENIED)
        try:
            self.assertEqual(r.f.readline(), b"", "denied: closed without a word")
        finally:
            r.close()

        def rcpt_far(src):
            with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30, source_address=(src, 0)) as c:
                c.ehlo("client.test")
                c.mail("a@elsewhere.test")
                return c.rcpt("b@far-away.test")[0]
        for _ in range(6):
            self.assertEqual(rcpt_far(RELAY), 250, "RELAYCLIENT from tcp.rules")
            self.assertEqual(rcpt_far(OTHER), 554, "the next session has no RELAYCLIENT")
        self.assertIn("deny %s by " % DENIED, inst.log("smtpd"))

    def test_rule_variables_reach_the_queue_program_of_that_session_only(self):
        """a QMAILQUEUE filter (set by tcp.rules) sees its session's
        TCPREMOTEIP and rule variables, as under tcpserver, and never
        those of an earlier session in the same worker"""
        need_queue(self)
        spool = inst.path("envs")
        for name in os.listdir(spool):
            os.unlink(os.path.join(spool, name))
        nmsg = len(inst.messages("alice@example.test"))
        for src in (RELAY, FILTERED) * 4:
            with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30, source_address=(src, 0)) as c:
                c.ehlo("client.test")
                c.sendmail("a@far.test", ["alice@example.test"], "Subject: from %s\r\n\r\nx\r\n" % src)
        msgs = inst.wait_mail("alice@example.test", nmsg + 8, timeout=60)
        for m in msgs[-8:]:
            src = m["Subject"].split()[-1]
            self.assertIn("[%s]" % src, " ".join(m.get_all("Received")))
        envs = []
        for name in os.listdir(spool):
            with open(os.path.join(spool, name)) as f:
                envs.append(dict(l.split("=", 1) for l in f.read().splitlines() if "=" in l))
        self.assertEqual(len(envs), 8)
        for e in envs:
            self.assertEqual(e.get("PROTO"), "TCP")
            self.assertEqual(e.get("TCPLOCALIP"), inst.ip)
            if e["TCPREMOTEIP"] == RELAY:
                self.assertEqual((e.get("SLUICE_TEST_MARK"), e.get("RELAYCLIENT")), ("relay", ""))
            else:
                self.assertEqual(e["TCPREMOTEIP"], FILTERED)
                self.assertNotIn("SLUICE_TEST_MARK", e)
                self.assertNotIn("RELAYCLIENT", e)
        # mail from a stranger is not signed, from a relay client it is:
        # the per-message variable follows each message, never the last one
        for e in envs:
            self.assertEqual(e.get("SLUICE_DKIM"), None if e["TCPREMOTEIP"] == RELAY else "no")

    def test_maxconnip_with_the_pool(self):
        """maxconnip counts the open connections of an IP across workers;
        a finished session is no longer counted (the next one in the same
        worker is not refused)"""
        inst.set("maxconnip", "2")
        self.addCleanup(inst.set, "maxconnip", "50")
        held = []
        try:
            for _ in range(2):
                r = Raw(inst.ip, inst.ports["smtp"])
                held.append(r)
                self.assertTrue(r.reply()[0].startswith("220"))
            r = Raw(inst.ip, inst.ports["smtp"])
            held.append(r)
            self.assertTrue(r.reply()[0].startswith("421 4.7.0"), "third connection")
        finally:
            for r in held:
                r.close()
        time.sleep(0.5)
        for _ in range(10):
            self.plain_session()

    def test_kill_worker_in_data(self):
        """kill -9 of the worker serving a DATA: the client sees the
        connection drop, nothing is queued, the master forks a replacement
        and the next sessions work"""
        need_queue(self)
        self.settle()
        master, workers = wait_pool(inst, "smtpd", min_workers=2)
        r = Raw(inst.ip, inst.ports["smtp"])
        try:
            r.reply()
            r.cmd("EHLO client.test")
            self.assertTrue(r.cmd("MAIL FROM:<s@far.test>")[0].startswith("250"))
            self.assertTrue(r.cmd("RCPT TO:<alice@example.test>")[0].startswith("250"))
            self.assertTrue(r.cmd("DATA")[0].startswith("354"))
            r.s.sendall(("Subject: %s\r\n\r\nthe first half of the body\r\n" % SUBJECT_KILLED).encode())
            time.sleep(0.5)
            victim = server_pid(r.s)
            self.assertIn(victim, workers)
            os.kill(victim, signal.SIGKILL)
            r.s.settimeout(20)
            try:
                got = r.s.recv(100)
            except ConnectionResetError:
                got = b""
            self.assertEqual(got, b"", "the client sees the connection end")
        finally:
            r.close()
        harness.wait_for(lambda: victim not in pool_of(inst, "smtpd")[1] and
                         len(pool_of(inst, "smtpd")[1]) >= 2, 20, what="a new worker")
        self.assertEqual(pool_of(inst, "smtpd")[0], master)
        for _ in range(3):
            self.plain_session()
        time.sleep(3)
        for m in inst.messages("alice@example.test"):
            self.assertNotEqual(m["Subject"], SUBJECT_KILLED)
        qtext = subprocess.run(["grep", "-rl", SUBJECT_KILLED, inst.path("queue")],
                               capture_output=True, text=True).stdout
        self.assertEqual(qtext, "", "nothing of the unfinished message in the queue")
        self.assertIn("killed by signal 9", inst.log("smtpd"))

    def test_many_sessions_leave_no_descriptors(self):
        """500 sessions (plain, STARTTLS, failed AUTH, transactions left
        open): every worker has the descriptors it had before"""
        self.settle()
        master, workers = wait_pool(inst, "smtpd", min_workers=2)
        before = {p: fd_count(p) for p in [master] + list(workers)}
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for i in range(500):
            if i % 25 == 0:
                # a login, or (five times, from an address of its own, as
                # maxauthfailip counts them) a failed one
                src = OTHER if i % 100 == 50 else None
                with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30,
                                  source_address=(src, 0) if src else None) as c:
                    c.starttls(context=ctx)
                    c.ehlo("client.test")
                    try:
                        c.login("alice@example.test", "wrong" if src else ALICE_PW)
                    except smtplib.SMTPAuthenticationError:
                        self.assertTrue(src)
                continue
            r = Raw(inst.ip, inst.ports["smtp"])
            try:
                r.reply()
                r.cmd("EHLO client.test")
                r.cmd("MAIL FROM:<s@far.test>")
                r.cmd("RCPT TO:<alice@example.test>")
                if i % 2:
                    r.cmd("QUIT")
            finally:
                r.close()
        time.sleep(1)
        m2, after = pool_of(inst, "smtpd")
        self.assertEqual(m2, master)
        self.assertLessEqual(workers, after, "no worker replaced (smtpdmaxuse is 5000 here)")
        self.assertLessEqual(len(after), len(workers) + 2)
        self.assertEqual({p: fd_count(p) for p in [master] + list(workers)}, before)
        self.assertNotIn("left descriptors open", inst.log("smtpd"))
        self.plain_session()


class StopAndRestart(unittest.TestCase):
    """SIGTERM and kill -9 of the master (own instance: they restart it)"""

    @classmethod
    def setUpClass(cls):
        cls.inst = make({"smtpgreetdelay": "0"})
        cls.addClassCleanup(cls.inst.cleanup)

    def test_kill_master(self):
        """kill -9 of the master: idle workers go at once, a busy one
        finishes its session, supervise starts a new master that binds
        while that session is still open"""
        inst = self.inst
        wait_pool(inst, "smtpd", min_workers=2)
        r = Raw(inst.ip, inst.ports["smtp"])
        try:
            self.assertTrue(r.reply()[0].startswith("220"))
            master, workers = wait_pool(inst, "smtpd", min_workers=2)
            busy = server_pid(r.s)
            os.kill(master, signal.SIGKILL)
            alive = lambda p: os.path.exists("/proc/%d" % p) and \
                "zombie" not in open("/proc/%d/status" % p).read()   # noqa: E731
            harness.wait_for(lambda: not any(alive(p) for p in workers - {busy}), 20,
                             what="idle workers gone")
            harness.wait_for(lambda: pool_of(inst, "smtpd")[0] not in (None, master), 30,
                             what="a new master")
            s2 = Raw(inst.ip, inst.ports["smtp"])
            try:
                self.assertTrue(s2.reply()[0].startswith("220"), "the new master serves")
            finally:
                s2.close()
            self.assertTrue(alive(busy), "the busy worker finishes its session")
            self.assertTrue(r.cmd("EHLO client.test")[0].startswith("250"))
            self.assertTrue(r.cmd("QUIT")[0].startswith("221"))
        finally:
            r.close()
        harness.wait_for(lambda: not alive(busy), 20, what="the old worker gone")

    def test_sigterm_lets_the_session_finish(self):
        need_queue(self)
        inst = self.inst
        master, workers = wait_pool(inst, "smtpd", min_workers=2)
        nmsg = len(inst.messages("alice@example.test"))
        c = smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30)
        try:
            c.ehlo("client.test")
            inst.svc("-d", "smtpd")
            harness.wait_for(lambda: not self._accepts(), 20, what="the port closed")
            c.sendmail("s@far.test", ["alice@example.test"], "Subject: after sigterm\r\n\r\nx\r\n")
            c.quit()
        finally:
            c.close()
        d = inst.path("service", "smtpd")
        harness.wait_for(lambda: b": down " in subprocess.run(["svstat", d], capture_output=True).stdout,
                         30, what="the master exits once its sessions are over")
        self.assertEqual(pool_of(inst, "smtpd"), (None, set()))
        for p in workers:
            self.assertFalse(os.path.exists("/proc/%d/cmdline" % p) and
                             open("/proc/%d/cmdline" % p, "rb").read(), "worker %d outlived" % p)
        inst.wait_mail("alice@example.test", nmsg + 1, timeout=60)
        inst.svc("-u", "smtpd")
        harness.wait_port(inst.ip, inst.ports["smtp"], 30)

    def test_sigterm_to_one_worker(self):
        """SIGTERM to a busy worker alone: it finishes its session and
        exits, the listener goes on serving, the master forks another"""
        inst = self.inst
        wait_pool(inst, "smtpd", min_workers=2)
        r = Raw(inst.ip, inst.ports["smtp"])
        try:
            self.assertTrue(r.reply()[0].startswith("220"))
            pid = server_pid(r.s)
            os.kill(pid, signal.SIGTERM)
            for _ in range(3):
                s2 = Raw(inst.ip, inst.ports["smtp"])
                try:
                    self.assertTrue(s2.reply()[0].startswith("220"), "still listening")
                    s2.cmd("QUIT")
                finally:
                    s2.close()
            self.assertTrue(r.cmd("EHLO client.test")[0].startswith("250"))
            self.assertTrue(r.cmd("QUIT")[0].startswith("221"))
        finally:
            r.close()
        harness.wait_for(lambda: pid not in pool_of(inst, "smtpd")[1], 20, what="the worker gone")

    def _accepts(self):
        try:
            socket.create_connection((self.inst.ip, self.inst.ports["smtp"]), timeout=2).close()
            return True
        except OSError:
            return False


class OneWorker(unittest.TestCase):
    """concurrencyincoming 1: one worker serves every session in turn"""

    @classmethod
    def setUpClass(cls):
        cls.inst = make({"smtpgreetdelay": "0", "concurrencyincoming": "1", "smtpdmaxuse": "4"})
        cls.addClassCleanup(cls.inst.cleanup)

    def test_nothing_of_a_session_reaches_the_next(self):
        """a session with TLS, a login, a sender and a recipient, cut off in
        the middle; the next one in the same worker has none of them"""
        inst = self.inst
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        same = 0
        for _ in range(4):
            mark = len(inst.log("smtpd"))
            c = smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30)
            c.starttls(context=ctx)
            c.ehlo("first.test")
            c.login("alice@example.test", ALICE_PW)
            self.assertEqual(c.mail("alice@example.test")[0], 250)
            self.assertEqual(c.rcpt("someone@far-away.test")[0], 250, "authenticated: relays")
            c.close()           # gone without QUIT, transaction open
            r = Raw(inst.ip, inst.ports["smtp"])
            try:
                r.reply()
                ehlo = " ".join(r.cmd("EHLO second.test"))
                self.assertNotIn("AUTH", ehlo, "no TLS, so no AUTH")
                self.assertIn("STARTTLS", ehlo)
                self.assertTrue(r.cmd("RCPT TO:<bob@example.test>")[0].startswith("503"), "no sender")
                self.assertTrue(r.cmd("DATA")[0].startswith("503"))
                self.assertTrue(r.cmd("MAIL FROM:<x@far.test>")[0].startswith("250"))
                self.assertTrue(r.cmd("RCPT TO:<someone@far-away.test>")[0].startswith("554"),
                                "not authenticated: no relaying")
                self.assertTrue(r.cmd("QUIT")[0].startswith("221"))
            finally:
                r.close()
            harness.wait_for(lambda: len(session_pids(inst.log("smtpd")[mark:])) >= 2, 20,
                             what="two session lines")
            log = inst.log("smtpd")[mark:]
            lines = [l for l in log.splitlines() if " session " in l]
            self.assertIn("auth=alice@example.test", lines[0])
            self.assertRegex(lines[1], r"helo=second\.test tls=no auth=- ")
            pids = list(session_pids(log).values())
            same += pids[0] == pids[1]
        self.assertGreater(same, 0, "some pairs ran in the same worker")

    def test_connection_over_the_limit_waits(self):
        """the worker limit is concurrencyincoming (1 here): a second
        client waits in the listen queue, greeted once the first leaves"""
        inst = self.inst
        a = Raw(inst.ip, inst.ports["smtp"])
        b = None
        try:
            self.assertTrue(a.reply()[0].startswith("220"))
            b = Raw(inst.ip, inst.ports["smtp"])
            b.s.settimeout(3)
            with self.assertRaises(socket.timeout):
                b.f.readline()
            self.assertEqual(len(pool_of(inst, "smtpd")[1]), 1)
            a.cmd("QUIT")
            a.close()
            b.s.settimeout(20)
            b.f = b.s.makefile("rb")
            self.assertTrue(b.reply()[0].startswith("220"))
            self.assertTrue(b.cmd("QUIT")[0].startswith("221"))
        finally:
            a.close()
            if b:
                b.close()

    def test_workers_are_replaced_after_maxuse(self):
        inst = self.inst
        mark = len(inst.log("smtpd"))
        for _ in range(9):
            r = Raw(inst.ip, inst.ports["smtp"])
            try:
                r.reply()
                r.cmd("QUIT")
            finally:
                r.close()
        harness.wait_for(lambda: len(session_pids(inst.log("smtpd")[mark:])) >= 9, 20,
                         what="nine session lines")
        pids = list(session_pids(inst.log("smtpd")[mark:]).values())
        self.assertGreaterEqual(len(set(pids)), 3)
        for p in set(pids):
            self.assertLessEqual(pids.count(p), 4, "smtpdmaxuse 4")


class Tcpserver(unittest.TestCase):
    """smtpdtcpserver=1: the run script runs tcpserver, as before the pool"""

    def test_tcpserver_on_request(self):
        need_queue(self)
        inst = make({"smtpgreetdelay": "0", "smtpdtcpserver": "1"})
        self.addCleanup(inst.cleanup)
        t = proc_table()
        self.assertTrue(any(argv and argv[0] == "tcpserver" and str(inst.ports["smtp"]) in argv
                            for _, _, argv in t.values()))
        self.assertEqual(pool_of(inst, "smtpd"), (None, set()))
        p = subprocess.run(["swaks", "--server", "%s:%d" % (inst.ip, inst.ports["smtp"]),
                            "--from", "s@far.test", "--to", "alice@example.test", "--helo", "far.test"],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        inst.wait_mail("alice@example.test", 1, timeout=60)


if __name__ == "__main__":
    unittest.main()
