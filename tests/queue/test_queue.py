"""Integration tests of the queue: sluice-queue, sluice-start, sluice-send
with the fake delivery program (qtest.py, fakedeliver.py)."""
import email
import email.policy
import os
import re
import signal
import subprocess
import time
import unittest

import harness
from qtest import ME, QueueInstance, envelope

MSG = b"From: a@example.org\nTo: b@remote.test\nSubject: test\n\nhello\n"


class QueueTest(unittest.TestCase):
    def setUp(self):
        self.q = QueueInstance()

    def tearDown(self):
        self.q.cleanup()

    def test_inject_delivers_local_and_remote(self):
        q = self.q
        q.start()
        rc = q.inject(MSG, "a@example.org", ["alice@" + ME, "bob@remote.test", "carol@remote.test",
                                             "dave@other.test"])
        self.assertEqual(rc, 0)
        got = q.wait(lambda: len(q.delivered()) >= 4 and q.delivered(), 20, "4 deliveries")
        kinds = sorted((k, r) for k, _qid, r, _s in got)
        self.assertEqual(kinds, [("L", "alice@" + ME), ("R", "bob@remote.test"),
                                 ("R", "carol@remote.test"), ("R", "dave@other.test")])
        # remote recipients of one domain share one job
        with open(os.path.join(q.fake, "jobs")) as f:
            starts = [line.split() for line in f if line.startswith("start R")]
        self.assertEqual(sorted(int(s[4]) for s in starts), [1, 2])
        body = q.mail("bob@remote.test")[0]
        self.assertTrue(body.startswith(b"Received: (sluice-queue invoked by uid "), body[:80])
        self.assertTrue(body.endswith(MSG))
        q.wait(lambda: not q.queued(), 30, "the queue to empty")
        qid = got[0][1]
        # the manager logs "end msg" just after the unlink: wait for it
        q.wait(lambda: "qid=%s end msg" % qid in q.log(), 30, "end msg")
        self.assertEqual(len(got), 4)

    def test_tempfail_retried_then_delivered(self):
        q = self.q
        q.set("retrymin", 10)
        q.start()
        t0 = time.time()
        self.assertEqual(q.inject(MSG, "a@example.org", ["temp@remote.test"]), 0)
        q.wait(lambda: "status=deferred dsn=4.2.2" in q.log(), 30, "the first attempt")
        self.assertEqual(q.delivered(), [])
        self.assertTrue(q.queued())
        q.wait(lambda: q.delivered(), 25, "the retry")
        self.assertGreaterEqual(time.time() - t0, 9)
        q.wait(lambda: not q.queued(), 30, "the queue to empty")

    def test_sigalrm_retries_now(self):
        q = self.q
        q.set("retrymin", 3600)
        q.start()
        self.assertEqual(q.inject(MSG, "a@example.org", ["temp@" + ME]), 0)
        q.wait(lambda: "status=deferred dsn=4.2.2" in q.log(), 30, "the first attempt")
        time.sleep(0.5)
        self.assertEqual(q.delivered(), [])
        q.signal(signal.SIGALRM)
        q.wait(lambda: q.delivered(), 30, "the retry after SIGALRM")

    def _report(self, rcpt):
        msgs = self.q.wait(lambda: self.q.mail(rcpt), 20, "a bounce for " + rcpt)
        return email.message_from_bytes(msgs[0], policy=email.policy.default)

    def test_permanent_failure_bounces(self):
        q = self.q
        q.start()
        self.assertEqual(q.inject(MSG, "sender@" + ME, ["perm@remote.test", "ok@remote.test"]), 0)
        m = self._report("sender@" + ME)
        self.assertEqual(m.get_content_type(), "multipart/report")
        self.assertEqual(m.get_param("report-type"), "delivery-status")
        parts = list(m.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/delivery-status", "text/rfc822-headers"])
        ds = parts[1].get_payload()
        per_msg, per_rcpt = ds[0], ds[1:]
        self.assertEqual(per_msg["Reporting-MTA"], "dns; " + ME)
        self.assertTrue(per_msg["Arrival-Date"])
        self.assertEqual(len(per_rcpt), 1)
        r = per_rcpt[0]
        self.assertEqual(r["Final-Recipient"], "rfc822; perm@remote.test")
        self.assertEqual(r["Action"], "failed")
        self.assertEqual(r["Status"], "5.1.1")
        self.assertEqual(r["Remote-MTA"], "dns; mx.remote.test")
        self.assertIn("550 5.1.1 no such user", r["Diagnostic-Code"])
        self.assertIn(b"Subject: test", parts[2].get_payload(decode=True) or parts[2].as_bytes())
        # the bounce has the null sender and reached the sender only
        got = q.delivered()
        bounce = [d for d in got if d[2] == "sender@" + ME]
        self.assertEqual(bounce[0][3], "<>")
        self.assertIn(("R", "ok@remote.test"), [(d[0], d[2]) for d in got])
        q.wait(lambda: not q.queued(), 30, "the queue to empty")

    def test_null_sender_failure_goes_to_postmaster(self):
        q = self.q
        q.start()
        self.assertEqual(q.inject(MSG, "", ["perm@remote.test"]), 0)
        m = self._report("postmaster@" + ME)
        self.assertEqual(m.get_content_type(), "multipart/report")
        self.assertIn("bounce", q.log())

    def test_failed_double_bounce_is_dropped(self):
        q = self.q
        q.set("doublebounceto", "permpm@remote.test")
        q.start()
        self.assertEqual(q.inject(MSG, "", ["perm@remote.test"]), 0)
        q.wait(lambda: "dropped" in q.log(), 20, "the double bounce to be dropped")
        q.wait(lambda: not q.queued(), 30, "the queue to empty")
        self.assertEqual(q.delivered(), [])
        # and nothing loops: a moment later still nothing new
        n = q.log().count("new msg")
        time.sleep(1)
        self.assertEqual(q.log().count("new msg"), n)
        self.assertEqual(n, 2)

    def test_corrupt_file_is_set_aside(self):
        q = self.q
        q.prepare()
        bad = q.path("queue", "mess", "07", "6b02c3ed8bae1.7")
        with open(bad, "wb") as f:
            f.write(b"SLQ1 00000000000000000000000005\nhelloA1\nN0\nF\n")   # no recipient, no E
        self.assertEqual(q.inject(MSG, "a@example.org", ["good@remote.test"]), 0)
        q.start()
        q.wait(lambda: q.delivered(), 30, "the good message")
        self.assertIn("malformed queue file mess/07/6b02c3ed8bae1.7", q.log())
        self.assertTrue(os.path.exists(bad + ".bad"))
        self.assertFalse(os.path.exists(bad))
        self.assertNotIn("6b02c3ed8bae1.7", q.run("sluice-qread").stdout.decode())

    def test_expired_message_bounces_with_its_last_error(self):
        q = self.q
        q.prepare()
        self.assertEqual(q.inject(MSG, "owner@" + ME, ["always@remote.test"]), 0)
        path = q.path("queue", "mess", "%02d" % (int(q.queued()[0].split(".")[1], 16) % 64), q.queued()[0])
        with open(path, "rb") as f:
            data = f.read()
        arrival = re.search(rb"\nA(\d+)\nN0\n", data).group(1)
        old = str(int(arrival) - 8 * 86400).encode()
        self.assertEqual(len(old), len(arrival))
        with open(path, "r+b") as f:
            f.write(data.replace(b"\nA" + arrival + b"\n", b"\nA" + old + b"\n"))
        q.start()
        m = self._report("owner@" + ME)
        ds = list(m.iter_parts())[1].get_payload()
        self.assertEqual(ds[1]["Action"], "failed")
        self.assertEqual(ds[1]["Status"], "4.2.2")
        self.assertIn("452 4.2.2 mailbox full", ds[1]["Diagnostic-Code"])
        self.assertIn("gave up", list(m.iter_parts())[0].get_content())
        self.assertIn("giving up to=", q.log())
        q.wait(lambda: not q.queued(), 30, "the queue to empty")

    def test_sigterm_exits_cleanly(self):
        q = self.q
        q.start()
        q.signal(signal.SIGTERM)
        self.assertEqual(q.proc.wait(timeout=15), 0)
        self.assertIn("stopping", q.log())


class InjectTest(unittest.TestCase):
    """sluice-queue's refusals: exit codes and nothing left behind."""

    def setUp(self):
        self.q = QueueInstance()
        self.q.prepare()

    def tearDown(self):
        self.q.cleanup()

    def assertRefused(self, code, msg, env):
        rc, err = self.q.inject_raw(msg, env)
        self.assertEqual(rc, code, err)
        self.assertEqual(self.q.queued(), [])
        self.assertEqual(os.listdir(self.q.path("queue", "tmp")), [])

    def test_bad_envelopes(self):
        self.assertRefused(91, MSG, b"")
        self.assertRefused(91, MSG, b"Fa@b\0")
        self.assertRefused(91, MSG, b"Fa@b\0\0")            # no recipient
        self.assertRefused(91, MSG, b"Xa@b\0Tc@d\0\0")
        self.assertRefused(91, MSG, b"Fa@b\0Tc@d\0Q\0\0")
        self.assertRefused(91, MSG, b"Fa@b\0Tc@d")           # no terminator
        self.assertRefused(91, MSG, b"Fa@b\0T\0\0")          # empty recipient
        self.assertRefused(91, MSG, b"Fa\nb@c\0Tc@d\0\0")    # control character
        self.assertRefused(11, MSG, b"F" + b"x" * 300 + b"\0Tc@d\0\0")
        self.assertRefused(11, MSG, b"Fa@b\0T" + b"x" * 300 + b"\0\0")

    def _inject_with_id_pipe(self, announce):
        """sluice-queue with a pipe as an extra descriptor, named in
        SLUICE_QUEUEID_FD when announce; returns what it wrote there."""
        q = self.q
        ir, iw = os.pipe()
        er, ew = os.pipe()
        os.write(ew, envelope("a@b", ["c@d"]))
        os.close(ew)
        env = dict(q.env)
        if announce:
            env["SLUICE_QUEUEID_FD"] = str(iw)
        p = subprocess.run([harness.prog("sluice-queue")], input=MSG, stdout=er, stderr=subprocess.PIPE,
                           env=env, pass_fds=(iw,), timeout=30)
        os.close(er)
        os.close(iw)
        got = os.read(ir, 100).decode()
        os.close(ir)
        self.assertEqual(p.returncode, 0, p.stderr)
        return got

    def test_queue_id_reported_on_request(self):
        qid = self._inject_with_id_pipe(True)
        self.assertRegex(qid, r"^[0-9a-f]{13}\.[0-9a-f]+\n$")
        self.assertEqual(self.q.queued(), [qid.strip()])
        self.assertEqual(self._inject_with_id_pipe(False), "")
        self.assertEqual(len(self.q.queued()), 2)

    def test_oversize(self):
        q = self.q
        q.set("databytes", 2048)
        self.assertRefused(31, b"x" * (2048 + 70000), envelope("a@b", ["c@d"]))
        self.assertRefused(31, MSG, envelope("a@b", ["r%d@d" % i for i in range(10001)]))
        self.assertEqual(q.inject_raw(MSG, envelope("a@b", ["r%d@d" % i for i in range(3000)]))[0], 0)

    def test_interrupted_injection_leaves_no_message(self):
        q = self.q
        q.start()
        r, w = os.pipe()
        p = subprocess.Popen([harness.prog("sluice-queue")], stdin=subprocess.PIPE,
                             stdout=r, stderr=subprocess.PIPE, env=q.env)
        os.close(r)
        p.stdin.write(MSG * 1000)
        p.stdin.flush()
        time.sleep(0.3)            # it is waiting for the rest now
        self.assertIsNone(p.poll())
        p.kill()
        p.wait(timeout=10)
        p.stdin.close()
        p.stderr.close()
        os.close(w)
        time.sleep(0.3)
        self.assertEqual(q.queued(), [])
        self.assertEqual(os.listdir(q.path("queue", "tmp")), [])
        self.assertEqual(q.delivered(), [])
        self.assertNotIn("new msg", q.log())

    def test_cleaner_removes_stale_named_temporary_files(self):
        # where O_TMPFILE is missing, a killed injection leaves tmp/PID.USEC
        q = self.q
        q.start()
        q.stop()
        stale = q.path("queue", "tmp", "12345.678")
        fresh = q.path("queue", "tmp", "12346.678")
        for f in (stale, fresh):
            with open(f, "wb") as fh:
                fh.write(b"SLQ1 half a message")
        old = time.time() - 3 * 86400
        os.utime(stale, (old, old))
        q.start()
        q.wait(lambda: not os.path.exists(stale), 30, "the cleaner")
        self.assertIn("removed stale injection tmp/12345.678", q.log())
        self.assertTrue(os.path.exists(fresh))
        self.assertEqual(q.queued(), [])


class FreshInstanceTest(unittest.TestCase):
    """Before the queue service ever ran, a setuid sluice-queue creates
    nothing (its files would get the caller's group); after, it works."""

    def setUp(self):
        self.q = QueueInstance()

    def tearDown(self):
        self.q.cleanup()

    @unittest.skipUnless(os.geteuid() == 0, "a root (multi-uid) instance is needed")
    def test_layout_made_by_sluice_start(self):
        q = self.q
        st = os.stat(harness.prog("sluice-queue"))
        if not st.st_mode & 0o4000:
            self.skipTest("sluice-queue is not setuid here")
        # sluice-conf init makes the queue directory setgid sluiceq, so an
        # injection before the queue service ever ran already works and
        # everything it creates has group sluiceq
        self.assertTrue(os.stat(q.path("queue")).st_mode & 0o2000)
        self.assertEqual(q.inject(MSG, "a@b", ["c@d"]), 0)
        self.assertEqual(len(q.queued()), 1)
        for dirpath, dirs, files in os.walk(q.path("queue")):
            for n in dirs + files:
                self.assertEqual(os.stat(os.path.join(dirpath, n)).st_gid,
                                 os.stat(q.path("queue")).st_gid, n)



if __name__ == "__main__":
    unittest.main()
