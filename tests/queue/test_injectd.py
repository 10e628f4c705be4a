"""The injection service sluice-injectd (lib/inject.h, queue/injectd.c).

 * SMTP, sendmail, bounces and forwards reach the queue through
   ROOT/run/inject.sock: no sluice-queue is started (strace counts the
   execve calls of the smtpd listener, sendmail, sluice-send and
   sluice-local), the queue id is in the 250 reply and on disk.
 * With the socket gone, every client falls back to sluice-queue.
 * kill -9 of injector workers during many concurrent SMTP sessions: each
   message that got 250 is delivered exactly once, and the pool is whole
   again afterwards; kill -9 of the master restarts the queue service.
 * The wire protocol is checked: malformed, over-long and stalling
   clients get a clear error and queue nothing, a CR is refused, a client
   that leaves before the envelope's end queues nothing, and only root or
   the queue's group can set the bounce level.
"""
import collections
import glob
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402

HDR = b"INJECT/1 sign=0 bounce=0\n"
USER = "u@example.test"


def env(sender, rcpts):
    return b"F" + sender.encode() + b"\0" + b"".join(b"T" + r.encode() + b"\0" for r in rcpts) + b"\0"


def procs(root):
    """{pid: (ppid, comm)} of the processes of this instance."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                if ("SLUICE_ROOT=%s" % root).encode() not in f.read().split(b"\0"):
                    continue
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            comm = st[st.index("(") + 1:st.rindex(")")]
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            out[int(d)] = (ppid, comm, cmd)
        except (OSError, ValueError):
            continue
    return out


class Strace:
    """strace -f -e trace=execve on running processes (or a command)."""

    def __init__(self, pids):
        self.out = tempfile.mktemp(prefix="inj-strace-")
        args = ["strace", "-f", "-qq", "-e", "trace=execve,accept,accept4", "-o", self.out]
        for p in pids:
            args += ["-p", str(p)]
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)     # attached

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=20)
        try:
            with open(self.out, errors="replace") as f:
                text = f.read()
        finally:
            os.unlink(self.out)
        # the connections served (proof that strace saw the sessions)
        self.accepts = [line for line in text.splitlines() if "accept" in line and "= -1" not in line]
        return [line for line in text.splitlines() if "execve(" in line and "= -1" not in line]


class InjectService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = harness.SmtpSink()
        cls.inst = inst = harness.Instance()
        try:
            inst.conf("domain", "add", "example.test")
            inst.add_user(USER, "pw")
            inst.conf("alias", "add", "fwd@example.test", "far@remote.test")
            inst.conf("route", "add", "remote.test", "%s:%d" % (cls.sink.ip, cls.sink.port))
            # nothing listens there: mail for stuck.test stays in the queue
            inst.conf("route", "add", "stuck.test", "127.0.0.1:9")
            inst.set("timeoutinject", "3")
            inst.set("injectors", "3")
            inst.set("retrymin", "300")
            inst.start()
            cls.wait_pool(3)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()
        cls.sink.stop()

    # -- helpers -------------------------------------------------------
    @classmethod
    def injectd(cls):
        """(master pid, [worker pids])"""
        ps = procs(cls.inst.root)
        inj = {p: v for p, v in ps.items() if v[1] == "sluice-injectd"}
        masters = [p for p, v in inj.items() if v[0] not in inj]
        if len(masters) != 1:
            return None, []
        return masters[0], [p for p, v in inj.items() if v[0] == masters[0]]

    @classmethod
    def wait_pool(cls, n, old_master=None):
        def ok():
            m, w = cls.injectd()
            if m and m != old_master and len(w) == n and os.path.exists(cls.inst.path("run", "inject.sock")):
                return m, w
            return None
        return harness.wait_for(ok, 60, what="an injector pool of %d" % n)

    def pid_of(self, comm, top=True, arg=""):
        ps = procs(self.inst.root)
        found = [p for p, v in ps.items() if v[1] == comm and (not top or ps.get(v[0], (0, ""))[1] != comm)
                 and (" %s " % arg in v[2] if arg else True)]
        self.assertTrue(found, comm)
        return found[0]

    def smtp_server_pids(self):
        """what serves port 25: the SMTP pool's master and its workers
        (or tcpserver when the instance runs it)"""
        port = str(self.inst.ports["smtp"])
        ps = procs(self.inst.root)
        top = [p for p, v in ps.items() if v[1] in ("sluice-smtpd", "tcpserver")
               and ps.get(v[0], (0, ""))[1] != v[1] and (" %s " % port) in v[2] + " "]
        self.assertTrue(top, "the SMTP server of port %s" % port)
        return top + [p for p, v in ps.items() if v[0] in top]

    def smtp_send(self, subject, rcpt=USER):
        s = smtplib.SMTP(self.inst.ip, self.inst.ports["smtp"], timeout=60)
        try:
            s.ehlo("client.test")
            s.mail("sender@remote.test")
            s.rcpt(rcpt)
            return s.data(("Subject: %s\r\n\r\nbody of %s\r\n" % (subject, subject)).encode())
        finally:
            try:
                s.quit()
            except Exception:
                pass

    def delivered(self, subject):
        return [m for m in self.inst.messages(USER) if m["Subject"] == subject]

    def queue_file(self, qid):
        f = glob.glob(self.inst.path("queue", "mess", "*", qid))
        return open(f[0], "rb").read() if f else None

    def raw(self, data, close_write=True, wait=30):
        """Send data on the socket, return the reply (b"" if none)."""
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(wait)
        c.connect(self.inst.path("run", "inject.sock"))
        try:
            c.sendall(data)
            if close_write:
                c.shutdown(socket.SHUT_WR)
            out = b""
            while not out.endswith(b"\n"):
                b = c.recv(512)
                if not b:
                    break
                out += b
            return out
        finally:
            c.close()

    def nothing_queued(self, marker):
        time.sleep(1.5)
        for f in glob.glob(self.inst.path("queue", "mess", "*", "*")):
            with open(f, "rb") as fh:
                self.assertNotIn(marker, fh.read())
        self.assertEqual([m for m in self.inst.messages(USER) if marker.decode() in m.as_string()], [])

    # -- through the service -----------------------------------------
    def test_smtp_sendmail_bounce_forward_start_no_queue_program(self):
        send = self.pid_of("sluice-send")
        local = self.pid_of("sluice-local")
        tr = Strace(self.smtp_server_pids() + [send, local])
        try:
            qids = []
            for i in range(3):
                code, text = self.smtp_send("svc-%d" % i)
                self.assertEqual(code, 250, text)
                self.assertIn(b"queued as ", text)
                qids.append(text.split(b"queued as ")[1].decode())
            # a bounce (no such user) and a forward (alias to remote.test)
            p = self.inst.run("sluice-sendmail", "-f", USER, "nosuchuser2@example.test",
                              input=b"Subject: svc-bounce2\n\nx\n")
            self.assertEqual(p.returncode, 0, p.stderr)
            code, text = self.smtp_send("svc-fwd", "fwd@example.test")
            self.assertEqual(code, 250, text)
            for i in range(3):
                harness.wait_for(lambda: self.delivered("svc-%d" % i), 30, what="svc-%d" % i)
                self.assertIn(qids[i], self.delivered("svc-%d" % i)[0].as_string())
            harness.wait_for(lambda: any(b"svc-fwd" in m[2] for m in self.sink.messages), 60,
                             what="the forward at the sink")
            harness.wait_for(lambda: [m for m in self.inst.messages(USER)
                                      if "svc-bounce2" in m.as_string() and m["Subject"] != "svc-bounce2"],
                             60, what="the bounce to the sender")
        finally:
            execs = tr.stop()
        self.assertGreaterEqual(len(tr.accepts), 4, "strace saw the SMTP sessions")
        self.assertEqual([e for e in execs if "sluice-queue" in e], [])

    def test_sendmail_no_queue_program(self):
        out = tempfile.mktemp(prefix="inj-strace-")
        try:
            p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", out,
                                harness.prog("sluice-sendmail"), USER],
                               input=b"Subject: sm-direct\n\nhello\n",
                               env=dict(self.inst.env, ASAN_OPTIONS="detect_leaks=0"),  # LSan cannot run under ptrace
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out, errors="replace") as f:
                execs = [line for line in f if "execve(" in line]
        finally:
            os.unlink(out)
        self.assertEqual(len(execs), 1, execs)      # sendmail itself only
        harness.wait_for(lambda: self.delivered("sm-direct"), 30, what="the sendmail message")

    def test_fallback_without_the_service(self):
        sock = self.inst.path("run", "inject.sock")
        os.rename(sock, sock + ".away")
        try:
            tr = Strace(self.smtp_server_pids())
            try:
                code, text = self.smtp_send("fallback")
            finally:
                execs = tr.stop()
            self.assertEqual(code, 250, text)
            self.assertIn(b"queued as ", text)
            self.assertTrue([e for e in execs if "sluice-queue" in e], execs)
            p = self.inst.run("sluice-sendmail", USER, input=b"Subject: fallback-sm\n\nx\n")
            self.assertEqual(p.returncode, 0, p.stderr)
        finally:
            os.rename(sock + ".away", sock)
        harness.wait_for(lambda: self.delivered("fallback") and self.delivered("fallback-sm"), 30,
                         what="the fallback messages")

    # -- kill -9 -------------------------------------------------------
    def test_kill_workers_during_concurrent_injections(self):
        """5 SMTP clients send until 10 workers have been killed (kill -9 at
        random moments): every 250 is delivered once, nothing twice."""
        results = {}
        kills = []
        stop = threading.Event()
        master, _ = self.injectd()

        def workers_of(pid):
            try:
                with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                    return [int(w) for w in f.read().split()]
            except OSError:
                return []

        def client(k):
            i = 0
            while not stop.is_set() and i < 150:
                subj = "kill-%d-%d" % (k, i)
                i += 1
                try:
                    results[subj] = self.smtp_send(subj)
                except (smtplib.SMTPException, OSError) as e:
                    results[subj] = (0, str(e).encode())

        def killer():
            deadline = time.time() + 240
            while len(kills) < 10 and time.time() < deadline:
                time.sleep(random.uniform(0.02, 0.2))
                workers = workers_of(master)
                if workers:
                    try:
                        os.kill(random.choice(workers), signal.SIGKILL)
                        kills.append(1)
                    except ProcessLookupError:
                        pass
            stop.set()

        ts = [threading.Thread(target=client, args=(n,)) for n in range(5)]
        for t in ts:
            t.start()
        k = threading.Thread(target=killer)
        k.start()
        k.join(300)
        stop.set()
        for t in ts:
            t.join(300)
        ok = [s for s, r in results.items() if r[0] == 250]
        self.assertEqual(len(kills), 10)
        self.assertTrue(all(r[0] in (250, 451) for r in results.values()), results)
        self.assertGreater(len(ok), 0)
        def counts():
            return collections.Counter(m["Subject"] for m in self.inst.messages(USER))
        harness.wait_for(lambda: all(counts()[s] for s in ok), 120, what="every 250 delivered")
        time.sleep(2)
        got = counts()
        for s in results:
            self.assertLessEqual(got[s], 1, s)
        for s in ok:
            self.assertEqual(got[s], 1, s)
        self.wait_pool(3)
        code, text = self.smtp_send("after-kill")
        self.assertEqual(code, 250, text)

    def test_zz_kill_master_restarts_the_service(self):
        master, _ = self.injectd()
        os.kill(master, signal.SIGKILL)
        self.wait_pool(3, old_master=master)
        code, text = self.smtp_send("after-master-kill")
        self.assertEqual(code, 250, text)
        harness.wait_for(lambda: self.delivered("after-master-kill"), 60, what="delivery after the restart")
        self.assertIn("sluice-injectd went away", self.inst.log("send"))

    # -- the protocol --------------------------------------------------
    def test_ok_reply_and_queue_file(self):
        r = self.raw(HDR + b"To: x@stuck.test\nSubject: proto-ok\n\nhi\n\0" + env("a@b.test", ["x@stuck.test"]))
        self.assertTrue(r.startswith(b"ok "), r)
        qid = r[3:].strip().decode()
        data = self.queue_file(qid)
        self.assertIsNotNone(data, qid)
        self.assertIn(b"Received: (sluice-queue invoked by uid 0)", data)
        self.assertIn(b"Subject: proto-ok", data)
        self.assertIn(b"\nN0\nFa@b.test\nTx@stuck.test\nE\n", data)

    def test_malformed_and_overlong_headers(self):
        for bad in (b"HELLO\n", b"INJECT/1 sign=2 bounce=0\n", b"INJECT/1 sign=1 bounce=3\n",
                    b"INJECT/1 sign=1 bounce=0 \n", b"X" * 100):
            with self.subTest(bad=bad):
                r = self.raw(bad + b"Subject: proto-bad\n\nx\n\0" + env("a@b.test", [USER]))
                self.assertTrue(r.startswith(b"91 "), r)
                self.assertTrue(b"header" in r, r)
        self.nothing_queued(b"proto-bad")

    def test_over_long_address_and_envelope_errors(self):
        r = self.raw(HDR + b"Subject: proto-addr\n\nx\n\0" + env("a" * 300 + "@b.test", [USER]))
        self.assertTrue(r.startswith(b"11 "), r)
        r = self.raw(HDR + b"Subject: proto-env\n\nx\n\0" + b"Xjunk\0\0")
        self.assertTrue(r.startswith(b"91 "), r)
        r = self.raw(HDR + b"Subject: proto-env\n\nx\n\0" + b"Fa@b\0\0")   # no recipient
        self.assertTrue(r.startswith(b"91 "), r)
        self.nothing_queued(b"proto-addr")
        self.nothing_queued(b"proto-env")

    def test_cr_refused(self):
        r = self.raw(HDR + b"Subject: proto-cr\r\n\r\nx\r\n\0" + env("a@b.test", [USER]))
        self.assertTrue(r.startswith(b"31 "), r)
        self.assertIn(b"CR or NUL", r)
        self.nothing_queued(b"proto-cr")

    def test_too_big_refused(self):
        self.inst.set("databytes", "2000")
        try:
            r = self.raw(HDR + b"Subject: proto-big\n\n" + b"x" * 80000 + b"\n\0" + env("a@b.test", [USER]))
        finally:
            self.inst.set("databytes", "26214400")
        self.assertTrue(r.startswith(b"31 "), r)
        self.assertIn(b"too big", r)
        self.nothing_queued(b"proto-big")

    def test_client_leaving_before_the_end_queues_nothing(self):
        for cut in (b"", b"Fa@b.test\0", b"Fa@b.test\0T" + USER.encode() + b"\0"):
            with self.subTest(cut=cut):
                r = self.raw(HDR + b"Subject: proto-cut\n\nx\n" + (b"\0" + cut if cut else b""))
                self.assertFalse(r.startswith(b"ok"), r)
        self.nothing_queued(b"proto-cut")

    def test_stalling_client_dropped(self):
        t0 = time.time()
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(60)
        c.connect(self.inst.path("run", "inject.sock"))
        c.sendall(HDR + b"Subject: proto-stall\n\npartial")
        r = c.recv(512)
        c.close()
        self.assertTrue(r.startswith(b"54 "), r)
        self.assertIn(b"timed out", r)
        self.assertLess(time.time() - t0, 30)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(60)
        c.connect(self.inst.path("run", "inject.sock"))
        r = c.recv(512)     # not even a header
        c.close()
        self.assertTrue(r.startswith(b"54 "), r)
        self.nothing_queued(b"proto-stall")

    def bounce_level_as(self, uid, subject):
        def child():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(uid)
        req = HDR.replace(b"bounce=0", b"bounce=2") + ("Subject: %s\n\nx\n\0" % subject).encode() + \
            env("", ["y@stuck.test"])
        code = ("import socket,sys\nc=socket.socket(socket.AF_UNIX)\nc.connect(sys.argv[1])\n"
                "c.sendall(sys.stdin.buffer.read())\nsys.stdout.buffer.write(c.recv(512))\n")
        p = subprocess.run([sys.executable, "-c", code, self.inst.path("run", "inject.sock")], input=req,
                           capture_output=True, timeout=60, preexec_fn=child if uid else None)
        self.assertTrue(p.stdout.startswith(b"ok "), (p.stdout, p.stderr))
        return self.queue_file(p.stdout[3:].strip().decode())

    def test_bounce_level_only_for_the_queue(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to connect as another user")
        data = self.bounce_level_as(65534, "proto-lvl-nobody")
        self.assertIn(b"\nN0\nF\n", data)
        self.assertIn(b"invoked by uid 65534)", data)
        data = self.bounce_level_as(0, "proto-lvl-root")
        self.assertIn(b"\nN2\nF\n", data)


if __name__ == "__main__":
    unittest.main()
