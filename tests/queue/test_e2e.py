"""The queue with the real delivery programs, under svscan, on an instance
made by sluice-conf: sluice-queue, sluice-sendmail and SMTP injection
delivered to a Maildir and to a remote SMTP sink; kill -9 of the
supervised sluice-send during 200 local deliveries, restarted by
supervise, ends with 200 messages in the Maildir, each once."""
import collections
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402
from qtest import envelope  # noqa: E402

NEEDED = ("sluice-conf", "sluice-queue", "sluice-send", "sluice-start", "sluice-local",
          "sluice-remote", "sluice-smtpd", "sluice-sendmail")


def built():
    return all(os.path.exists(os.path.join(harness.TOP, "bin", p)) for p in NEEDED)


def send_pid(inst):
    out = subprocess.run(["svstat", inst.path("service", "send")], capture_output=True,
                         text=True, timeout=10).stdout
    m = re.search(r"up \(pid (\d+)\)", out)
    return int(m.group(1)) if m else None


@unittest.skipUnless(built(), "the programs are not all built")
class EndToEnd(unittest.TestCase):
    def setUp(self):
        self.sink = harness.SmtpSink()
        self.inst = inst = harness.Instance()
        try:
            inst.conf("domain", "add", "example.test")
            inst.add_user("alice@example.test", "pw")
            inst.conf("route", "add", "remote.test", "%s:%d" % (self.sink.ip, self.sink.port))
            inst.start(wait=("smtp",))
            harness.wait_for(lambda: "started with" in inst.log("send"), 20, what="the queue service")
        except Exception:
            self.tearDown()
            raise

    def tearDown(self):
        self.last_logs = (self.inst.log("send")[-4000:], self.inst.log("smtpd")[-2000:])
        self.inst.cleanup()
        self.sink.stop()

    def run(self, result=None):
        """On failure, show the queue's and the SMTP server's logs."""
        n = len(result.failures) + len(result.errors) if result else 0
        r = super().run(result)
        if result and len(result.failures) + len(result.errors) > n:
            print("--- send log ---\n%s\n--- smtpd log ---\n%s" % (self.last_logs))
        return r

    def inject(self, msg, sender, rcpts):
        r, w = os.pipe()
        os.write(w, envelope(sender, rcpts))
        os.close(w)
        p = subprocess.run([harness.prog("sluice-queue")], input=msg, stdout=r,
                           stderr=subprocess.PIPE, env=self.inst.env, timeout=60)
        os.close(r)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_three_ways_in(self):
        inst = self.inst
        self.inject(b"Subject: by sluice-queue\n\nq\n", "x@example.org",
                    ["alice@example.test", "far@remote.test"])
        p = inst.run("sluice-sendmail", "-t", input=b"To: alice@example.test\nSubject: by sendmail\n\ns\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as s:
            s.sendmail("y@example.org", ["alice@example.test"], b"Subject: by smtp\r\n\r\nm\r\n")
        msgs = inst.wait_mail("alice@example.test", 3, 30)
        self.assertEqual(sorted(m["Subject"] for m in msgs), ["by sendmail", "by sluice-queue", "by smtp"])
        harness.wait_for(lambda: self.sink.messages, 30, what="the remote delivery")
        frm, rcpts, data = self.sink.messages[0]
        self.assertEqual((frm, rcpts), ("x@example.org", ["far@remote.test"]))
        self.assertIn(b"Subject: by sluice-queue", data)
        harness.wait_for(lambda: "queue empty" in inst.run("sluice-qread").stdout.decode(), 20,
                         what="an empty queue")
        log = inst.log("send")
        self.assertRegex(log, r"new msg [0-9a-f]{13}\.[0-9a-f]+ from <x@example.org>")
        # the SMTP server learnt the queue id (SLUICE_QUEUEID_FD) and logged it
        qid = re.search(r"qid=([0-9a-f]{13}\.[0-9a-f]+)", inst.log("smtpd")).group(1)
        self.assertIn("new msg %s from <y@example.org>" % qid, log)

    def test_no_bare_cr_from_local_injection_reaches_the_wire(self):
        """sluice-sendmail turns a lone CR into a line end (body) or a space
        (header); sluice-queue refuses one; so the remote server sees CRLF
        line ends only, never a bare CR (SMTP smuggling downstream)."""
        inst = self.inst
        p = inst.run("sluice-sendmail", "-i", "far@remote.test",
                     input=b"Subject: a\rb\n\nline1\r.\rMAIL FROM:<evil@example.org>\r\nend\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        r, w = os.pipe()
        os.write(w, envelope("x@example.org", ["far@remote.test"]))
        os.close(w)
        q = subprocess.run([harness.prog("sluice-queue")], input=b"Subject: q\n\nx\r.\rRSET\n", stdout=r,
                           stderr=subprocess.PIPE, env=inst.env, timeout=60)
        os.close(r)
        self.assertEqual(q.returncode, 31, q.stderr)
        harness.wait_for(lambda: self.sink.messages, 30, what="the remote delivery")
        data = self.sink.messages[0][2]
        self.assertIsNone(re.search(rb"\r(?!\n)", data), data)
        self.assertIn(b"Subject: a b\r\n", data)
        self.assertIn(b"line1\r\n.\r\nMAIL FROM:<evil@example.org>\r\nend\r\n", data)
        time.sleep(1)
        self.assertEqual(len(self.sink.messages), 1)

    def test_kill9_of_supervised_send(self):
        inst = self.inst
        self.inst.svc("-d", "send")
        harness.wait_for(lambda: not send_pid(inst), 20, what="the queue service to stop")
        for i in range(200):
            self.inject(b"Subject: n%d\n\nbody %d\n" % (i, i), "x@example.org", ["alice@example.test"])
        self.inst.svc("-u", "send")
        harness.wait_for(lambda: len(os.listdir(os.path.join(inst.maildir("alice@example.test"), "new")))
                         >= 40, 60, what="40 deliveries")
        os.kill(send_pid(inst), signal.SIGKILL)
        first = len(os.listdir(os.path.join(inst.maildir("alice@example.test"), "new")))
        self.assertLess(first, 200, "killed too late to prove anything")
        msgs = inst.wait_mail("alice@example.test", 200, 120)
        harness.wait_for(lambda: "queue empty" in inst.run("sluice-qread").stdout.decode(), 30,
                         what="an empty queue")
        time.sleep(1)
        msgs = inst.messages("alice@example.test")
        counts = collections.Counter(m["Subject"] for m in msgs)
        self.assertEqual(len(counts), 200)
        self.assertEqual([s for s, n in counts.items() if n != 1], [])


if __name__ == "__main__":
    unittest.main()
