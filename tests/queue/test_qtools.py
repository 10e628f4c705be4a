"""The queue tools against a real instance (svscan, sluice-send, the real
sluice-remote and sluice-local) with real failures: remote routes to a
peer that answers 451 at RCPT (an aiosmtpd SmtpSink) and to a loopback
port where nothing listens.

  - hold survives a restart of the queue service, flush does not move a
    held message, release delivers it
  - delete -d removes only the recipients at that domain; delete -f
    removes the messages of one sender
  - sluice-qcat shows the envelope and the exact queued bytes
  - sluice-qstat -d counts by domain and age
  - every tool refuses bad arguments with a usage line and exit 1
  - one delay warning (RFC 3464, Action: delayed) after delaywarning,
    none for null-sender mail
  - mailq, newaliases and sendmail -bs by link name / option
"""
import email
import email.policy
import os
import pwd
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


class Base(unittest.TestCase):
    retrymin = 3600
    delaywarning = 0

    @classmethod
    def setUpClass(cls):
        cls.inst = inst = harness.Instance()
        cls.sink = harness.SmtpSink()
        inst.conf("domain", "add", "example.test")
        inst.add_user("alice@example.test", "secret-a")
        inst.conf("route", "add", "sink.test", "%s:%d" % (cls.sink.ip, cls.sink.port))
        inst.conf("route", "add", "dead.test", "127.0.0.1:%d" % harness.free_port("127.0.0.1"))
        inst.set("retrymin", cls.retrymin)
        inst.set("delaywarning", cls.delaywarning)
        inst.start(wait=("smtp",))
        harness.wait_for(lambda: "started with" in inst.log("send"), 30, what="the queue manager")

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()
        cls.sink.stop()

    def run_tool(self, name, *args, **kw):
        return self.inst.run(name, *args, **kw)

    def send(self, sender, rcpts, text=b"Subject: test\n\nhello\n"):
        log = self.inst.log
        n = log("send").count(" new msg ")
        p = self.run_tool("sluice-sendmail", "-f", sender, *rcpts, input=text)
        self.assertEqual(p.returncode, 0, p.stderr)
        harness.wait_for(lambda: log("send").count(" new msg ") > n, 20, what="the new message")
        return re.findall(r"qid=(\S+) new msg ", log("send"))[n]

    def ids(self):
        return set(re.findall(r"^([0-9a-f]{13}\.[0-9a-f]+) ", self.run_tool("sluice-qread").stdout.decode(),
                              re.M))

    def wait_deferred(self, qid, rcpt, count=1):
        harness.wait_for(lambda: self.inst.log("send").count("qid=%s delivery to=<%s> status=deferred" % (qid, rcpt)) >= count,
                         30, what="deferral of %s" % rcpt)

    def wait_log(self, text, count=1):
        harness.wait_for(lambda: self.inst.log("send").count(text) >= count, 20, what=text)


class QueueToolsTest(Base):
    def test_1_hold_survives_restart_and_release_delivers(self):
        inst, sink = self.inst, self.sink
        sink.rcpt_replies["held@sink.test"] = "451 4.3.0 not now"
        qid = self.send("alice@example.test", ["held@sink.test"])
        self.wait_deferred(qid, "held@sink.test")
        p = self.run_tool("sluice-qctl", "hold", qid)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.wait_log("qid=%s holding" % qid)
        # the keeper writes the H record just after the scheduler logs it
        held = qid + (r"  age \S+  size \d+  from <alice@example.test>  held\n  deferred  "
                      r"<held@sink.test> attempts 1: 4\.")
        harness.wait_for(lambda: re.search(held, self.run_tool("sluice-qread").stdout.decode()), 10,
                         what="the hold in the journal")
        del sink.rcpt_replies["held@sink.test"]
        # neither a flush of everything nor of this message moves it
        self.assertEqual(self.run_tool("sluice-qctl", "flush").returncode, 0)
        self.wait_log("flush requested")
        # a restart of the queue service: the hold is in the journal
        n = inst.log("send").count("started with")
        inst.svc("-t", "send")
        harness.wait_for(lambda: inst.log("send").count("started with") > n, 30, what="the restart")
        self.assertEqual(self.run_tool("sluice-qctl", "flush", qid).returncode, 0)
        self.wait_log("qid=%s flushing" % qid)
        time.sleep(2)
        self.assertEqual([m for m in sink.messages if "held@sink.test" in m[1]], [])
        self.assertIn(qid, self.ids())
        self.assertIn("  held\n", self.run_tool("sluice-qcat", "-e", qid).stdout.decode())
        # release: delivered at once
        self.assertEqual(self.run_tool("sluice-qctl", "release", qid).returncode, 0)
        harness.wait_for(lambda: [m for m in sink.messages if "held@sink.test" in m[1]], 30,
                         what="delivery after release")
        harness.wait_for(lambda: qid not in self.ids(), 30, what="the message to leave the queue")

    def test_2_qcat_qstat_delete_by_domain_and_sender(self):
        sink = self.sink
        for r in ("b@sink.test", "d@sink.test"):
            sink.rcpt_replies[r] = "451 4.3.0 not now"
        text = (b"From: alice@example.test\nTo: a@dead.test\nDate: Mon, 7 Dec 2026 10:00:00 +0000\n"
                b"Message-ID: <qcat@example.test>\nSubject: exact\n\nline 1\n\nline 3 \xc3\xa9\n")
        b = self.send("alice@example.test", ["a@dead.test", "b@sink.test"], text)
        c = self.send("alice@example.test", ["c@dead.test"])
        d = self.send("bob@example.test", ["d@sink.test"])
        self.wait_deferred(b, "a@dead.test")
        self.wait_deferred(b, "b@sink.test")
        self.wait_deferred(c, "c@dead.test")
        self.wait_deferred(d, "d@sink.test")

        # qcat: the envelope, an empty line, the exact bytes of the queue file
        path = [os.path.join(dp, f) for dp, _, fs in os.walk(self.inst.path("queue", "mess"))
                for f in fs if f == b][0]
        with open(path, "rb") as f:
            raw = f.read()
        msglen = int(raw[5:31])
        queued = raw[32:32 + msglen]
        self.assertTrue(queued.startswith(b"Received: ") and queued.endswith(text), queued)
        p = self.run_tool("sluice-qcat", "-b", b)
        self.assertEqual((p.returncode, p.stdout), (0, queued))
        p = self.run_tool("sluice-qcat", b)
        self.assertEqual(p.returncode, 0, p.stderr)
        env, _, body = p.stdout.partition(b"\n\n")
        self.assertEqual(body, queued)
        self.assertRegex(env.decode(), r"^%s  age \S+  size %d  from <alice@example.test>\n"
                         r"  deferred  <a@dead.test> attempts 1, next in \S+: 4\.\d\.\d .*\n"
                         r"  deferred  <b@sink.test> attempts 1, next in \S+: 4\.3\.0 .*not now .*$"
                         % (re.escape(b), msglen))
        self.assertEqual(self.run_tool("sluice-qcat", "-e", b).stdout, env + b"\n")

        # qstat -d: recipients by domain and age (all younger than 5 minutes)
        p = self.run_tool("sluice-qstat", "-d")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = {line.split()[0]: [int(x) for x in line.split()[1:]] for line in p.stdout.decode().splitlines()[1:]}
        self.assertEqual(p.stdout.decode().split("\n")[0].split(),
                         ["T", "5", "10", "20", "40", "80", "160", "320", "640", "1280", "1280+"])
        self.assertEqual(rows["dead.test"], [2, 2] + [0] * 9)
        self.assertEqual(rows["sink.test"], [2, 2] + [0] * 9)
        self.assertEqual(rows["TOTAL"], [4, 4] + [0] * 9)
        self.assertEqual(list(rows)[:1], ["TOTAL"])

        # delete -d: the dead.test recipients only
        p = self.run_tool("sluice-qctl", "delete", "-d", "DEAD.test")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"2 messages matched\n")
        harness.wait_for(lambda: c not in self.ids(), 30, what="c's message to go")
        out = self.run_tool("sluice-qcat", "-e", b).stdout.decode()
        self.assertRegex(out, r"cancelled <a@dead.test>")
        self.assertRegex(out, r"deferred  <b@sink.test>")
        rows = self.run_tool("sluice-qstat", "-d").stdout.decode()
        self.assertNotIn("dead.test", rows)
        self.assertRegex(rows, r"\n +sink.test +2 ")
        # delete -f: bob's message, nothing else
        p = self.run_tool("sluice-qctl", "delete", "-f", "bob@example.test")
        self.assertEqual((p.returncode, p.stdout), (0, b"1 messages matched\n"))
        harness.wait_for(lambda: d not in self.ids(), 30, what="bob's message to go")
        self.assertIn(b, self.ids())
        # flush -d: one more attempt for the sink.test recipient, now accepted
        del sink.rcpt_replies["b@sink.test"]
        p = self.run_tool("sluice-qctl", "flush", "-d", "sink.test")
        self.assertEqual((p.returncode, p.stdout), (0, b"1 messages matched\n"))
        harness.wait_for(lambda: [m for m in sink.messages if m[1] == ["b@sink.test"]], 30, what="b's delivery")
        harness.wait_for(lambda: b not in self.ids(), 30, what="b's message to go")
        self.assertEqual(self.inst.messages("alice@example.test"), [])   # no bounce for a deletion

    def test_3_usage(self):
        for args in (("sluice-qread", "x"), ("sluice-qread", "-v"), ("sluice-qstat", "-x"),
                     ("sluice-qstat", "-d", "x"), ("sluice-qcat",), ("sluice-qcat", "-x", "1"),
                     ("sluice-qcat", "-e"), ("sluice-qctl", "hold"), ("sluice-qctl", "release"),
                     ("sluice-qctl", "delete", "-d"), ("sluice-qctl", "delete", "-x", "y"),
                     ("sluice-qctl", "flush", "-d", "a", "b"), ("sluice-qctl", "flush", "-f", "a@b"),
                     ("sluice-qctl", "rescan", "x"), ("sluice-qctl", "hold", "-d", "x.test"),
                     ("sluice-qctl", "delete", "-d", "bad domain")):
            p = self.run_tool(*args)
            self.assertEqual(p.returncode, 1, args)
            self.assertRegex(p.stderr.decode(), r"^%s: (usage: |fatal: not a domain)" % args[0], args)
            self.assertEqual(p.stdout, b"", args)
        for args in (("sluice-qcat", "../../etc/passwd"), ("sluice-qcat", "6b02c3ed8bae1.a74760"),
                     ("sluice-qctl", "hold", "6b02c3ed8bae1.a74760")):
            p = self.run_tool(*args)
            self.assertEqual(p.returncode, 1, args)
            self.assertRegex(p.stderr.decode(), r"not a queue id|no such message")

    def test_4_mailq_newaliases_and_bs(self):
        inst = self.inst
        d = tempfile.mkdtemp(prefix="sluice-links-")
        try:
            for name in ("mailq", "newaliases"):
                os.symlink(harness.prog("sluice-sendmail"), os.path.join(d, name))
            p = subprocess.run([os.path.join(d, "mailq")], capture_output=True, env=inst.env, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            timeless = lambda t: re.sub(rb"age \S+|next in \S+:", b"", t)  # noqa: E731
            self.assertEqual(timeless(p.stdout), timeless(self.run_tool("sluice-qread").stdout))
            p = subprocess.run([os.path.join(d, "mailq"), "extra"], capture_output=True, env=inst.env, timeout=30)
            self.assertEqual(p.returncode, 64)
            # newaliases compiles users/aliases after a hand edit
            with open(inst.path("users", "aliases"), "a") as f:
                f.write("handmade@example.test: alice@example.test\n")
            self.assertNotIn(b"handmade", subprocess.run(["cdb", "-d", inst.path("users", "aliases.cdb")],
                                                         capture_output=True).stdout)
            p = subprocess.run([os.path.join(d, "newaliases")], capture_output=True, env=inst.env, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(b"handmade", subprocess.run(["cdb", "-d", inst.path("users", "aliases.cdb")],
                                                      capture_output=True).stdout)
        finally:
            shutil.rmtree(d)
        # sendmail -bs: SMTP on stdin/stdout as the caller, with smtplib
        login = pwd.getpwuid(os.getuid()).pw_name
        n = len(inst.messages("alice@example.test"))
        ours, theirs = socket.socketpair()
        proc = subprocess.Popen([harness.prog("sluice-sendmail"), "-bs"], stdin=theirs, stdout=theirs,
                                stderr=subprocess.PIPE, env=inst.env)
        theirs.close()
        try:
            s = smtplib.SMTP()
            s.sock = ours
            code, banner = s.getreply()
            self.assertEqual(code, 220, banner)
            s.ehlo("client.local")
            self.assertFalse(s.has_extn("starttls") or s.has_extn("auth"))
            refused = s.sendmail("forged@elsewhere.test", ["alice@example.test", "handmade@example.test"],
                                 b"Subject: via -bs\r\n\r\nbody\r\n")
            self.assertEqual(refused, {})
            s.quit()
        finally:
            ours.close()
            proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 0)
        # a script may pipe the whole session before the greeting
        p = subprocess.run([harness.prog("sluice-sendmail"), "-bs"], capture_output=True, env=inst.env,
                           timeout=30, input=b"HELO script\r\nMAIL FROM:<x@y.test>\r\n"
                           b"RCPT TO:<alice@example.test>\r\nDATA\r\nSubject: piped\r\n\r\nx\r\n.\r\nQUIT\r\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, rb"\r\n354 [^\r]*\r\n250 [^\r]*\r\n221 ")
        msgs = inst.wait_mail("alice@example.test", n + 3)
        self.assertEqual(len([x for x in msgs if x["Subject"] == "piped"]), 1)
        m = [x for x in msgs if x["Subject"] == "via -bs"][0]
        self.assertEqual(m["Return-Path"], "<%s@%s>" % (login, inst.me))
        self.assertIn("(local user %s uid %d)" % (login, os.getuid()), " ".join(m.get_all("Received")))


class DelayWarningTest(Base):
    retrymin = 10
    delaywarning = 6

    def test_one_warning_then_none(self):
        inst = self.inst
        qid = self.send("alice@example.test", ["late@dead.test", "fine@sink.test"])
        nullq = self.send("<>", ["null@dead.test"])
        self.wait_deferred(qid, "late@dead.test")
        msgs = inst.wait_mail("alice@example.test", 1, timeout=40)
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertTrue(m["Subject"].startswith("Delayed Mail"), m["Subject"])
        self.assertEqual(m.get_content_type(), "multipart/report")
        self.assertEqual(m.get_param("report-type"), "delivery-status")
        parts = list(m.iter_parts())
        ds = parts[1].get_payload()
        self.assertEqual(ds[1]["Final-Recipient"], "rfc822; late@dead.test")
        self.assertEqual(ds[1]["Action"], "delayed")
        self.assertTrue(ds[1]["Status"].startswith("4."), ds[1]["Status"])
        self.assertTrue(ds[1]["Will-Retry-Until"])
        self.assertEqual(len(ds), 2)         # fine@sink.test was delivered: not listed
        self.assertEqual(m["Return-Path"], "<>")
        # more retries, still deferred: no second warning; never one for <>
        self.wait_deferred(qid, "late@dead.test", 3)
        self.assertEqual(len(inst.messages("alice@example.test")), 1)
        log = inst.log("send")
        self.assertEqual(log.count("qid=%s delay warning to=" % qid), 1)
        self.assertNotIn("qid=%s delay warning" % nullq, log)
        self.assertIn("(the sender was told the message is delayed)",
                      self.run_tool("sluice-qcat", "-e", qid).stdout.decode())
        # the warning is journaled: a restart does not send another one
        n = log.count("started with")
        inst.svc("-t", "send")
        harness.wait_for(lambda: inst.log("send").count("started with") > n, 30, what="the restart")
        self.assertEqual(self.run_tool("sluice-qctl", "flush").returncode, 0)
        self.wait_deferred(qid, "late@dead.test", 4)
        self.assertEqual(len(inst.messages("alice@example.test")), 1)


if __name__ == "__main__":
    unittest.main()
