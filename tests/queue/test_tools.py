"""sluice-sendmail and the queue tools (sluice-qread, sluice-qstat,
sluice-qctl) against a running queue with the fake delivery program."""
import email
import email.policy
import os
import re
import unittest

from qtest import ME, QueueInstance


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


class SendmailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.q = QueueInstance()
        cls.q.start()

    @classmethod
    def tearDownClass(cls):
        cls.q.cleanup()

    def sendmail(self, args, text):
        return self.q.run("sluice-sendmail", *args, input=text)

    def delivered_to(self, rcpt, n=1):
        return self.q.wait(lambda: len(self.q.mail(rcpt)) >= n and self.q.mail(rcpt), 20,
                           "mail for " + rcpt)

    def test_plain_recipient_adds_headers(self):
        p = self.sendmail(["plain@remote.test"], b"Subject: plain\n\nhello\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        m = parse(self.delivered_to("plain@remote.test")[0])
        self.assertEqual(m["Subject"], "plain")
        self.assertTrue(m["Date"])
        self.assertTrue(re.match(r"<[^@>]+@" + re.escape(ME) + ">$", m["Message-ID"]), m["Message-ID"])
        self.assertIn("@" + ME, m["From"])
        self.assertEqual(m.get_content().strip(), "hello")
        got = [d for d in self.q.delivered() if d[2] == "plain@remote.test"]
        self.assertTrue(got[0][3].endswith("@" + ME), got)

    def test_t_reads_headers_and_drops_bcc(self):
        text = (b"From: Me <me@example.org>\r\n"
                b"To: \"Doe, John\" <t1@remote.test>, t2@remote.test (second)\r\n"
                b"Cc: friends: t3@remote.test, <t4@remote.test>;\r\n"
                b"Bcc: hidden@remote.test\r\n"
                b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                b"Message-ID: <keep@example.org>\r\n"
                b"Subject: -t\r\n\r\nbody line\r\n.\r\nafter dot\r\n")
        p = self.sendmail(["-t", "-f", "bounces@example.org", "-F", "Ignored Name"], text)
        self.assertEqual(p.returncode, 0, p.stderr)
        for r in ("t1", "t2", "t3", "t4", "hidden"):
            raw = self.delivered_to(r + "@remote.test")[0]
            self.assertNotIn(b"Bcc", raw)
            self.assertNotIn(b"\r", raw)
            self.assertNotIn(b"after dot", raw)      # "." ended the input
            m = parse(raw)
            self.assertEqual(m["Message-ID"], "<keep@example.org>")
            self.assertEqual(m["From"], "Me <me@example.org>")
        got = [d for d in self.q.delivered() if d[2] == "t1@remote.test"]
        self.assertEqual(got[0][3], "bounces@example.org")

    def test_i_keeps_dot_lines_and_F_names_sender(self):
        p = self.sendmail(["-oi", "-fwho@example.org", "-FWho Ever", "dot@remote.test"],
                          b"Subject: dots\n\nline\n.\nmore\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        raw = self.delivered_to("dot@remote.test")[0]
        self.assertIn(b"\n.\nmore\n", raw)
        self.assertEqual(parse(raw)["From"], "Who Ever <who@example.org>")

    def test_unqualified_recipient_gets_me(self):
        p = self.sendmail(["-i", "localuser"], b"Subject: local\n\nx\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.delivered_to("localuser@" + ME)

    def test_errors(self):
        p = self.sendmail([], b"Subject: none\n\nx\n")
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn(b"no recipients", p.stderr)
        p = self.sendmail(["bad address@@x"], b"x\n")
        self.assertEqual(p.returncode, 65, p.stderr)
        p = self.sendmail(["-t"], b"To: a@b, <unbalanced\n\nx\n")
        self.assertEqual(p.returncode, 65, p.stderr)
        p = self.sendmail(["-Z", "x@y.test"], b"")
        self.assertEqual(p.returncode, 64, p.stderr)
        p = self.sendmail(["-f", "not an address", "x@y.test"], b"x\n")
        self.assertEqual(p.returncode, 65, p.stderr)


class ToolsTest(unittest.TestCase):
    def setUp(self):
        self.q = QueueInstance()
        self.q.set("retrymin", 3600)
        self.q.start()

    def tearDown(self):
        self.q.cleanup()

    def deferred_message(self, rcpt):
        q = self.q
        self.assertEqual(q.inject(b"Subject: stuck\n\nx\n", "owner@" + ME, [rcpt, "ok@remote.test"]), 0)
        q.wait(lambda: "<%s> status=deferred" % rcpt in q.log(), 30, "a deferral")
        q.wait(lambda: len([i for i in q.queued()]) == 1 and "<ok@remote.test> status=sent" in q.log(), 30, "the ok")
        return q.queued()[0]

    def test_list_count_delete(self):
        q = self.q
        qid = self.deferred_message("always@remote.test")
        out = q.run("sluice-qread").stdout.decode()
        self.assertIn(qid, out)
        self.assertIn("from <owner@%s>" % ME, out)
        self.assertRegex(out, r"deferred +<always@remote.test> attempts 1, next in (59m\d+s|1h0m): 4.2.2")
        self.assertRegex(out, r"delivered +<ok@remote.test>")
        def timeless(text):
            return re.sub(r"age \S+|next in \S+:", "", text)
        self.assertEqual(timeless(q.run("sluice-sendmail", "-bp").stdout.decode()), timeless(out))
        st = q.run("sluice-qstat").stdout.decode()
        self.assertIn("messages: 1 ", st)
        self.assertIn("recipients deferred: 1\n", st)
        self.assertIn("recipients done: 1\n", st)
        # flush: one more attempt now
        self.assertEqual(q.run("sluice-qctl", "flush").returncode, 0)
        q.wait(lambda: q.log().count("<always@remote.test> status=deferred") == 2, 30, "the flushed retry")
        self.assertRegex(q.run("sluice-qread").stdout.decode(), r"attempts 2, next in (1h59m|2h0m)")
        # delete: gone without a bounce
        self.assertEqual(q.run("sluice-qctl", "delete", qid).returncode, 0)
        q.wait(lambda: not q.queued(), 30, "the deletion")
        self.assertEqual(q.mail("owner@" + ME), [])
        self.assertEqual(q.run("sluice-qread").stdout.decode(), "queue empty\n")

    def test_bounce_now(self):
        q = self.q
        qid = self.deferred_message("always@remote.test")
        self.assertEqual(q.run("sluice-qctl", "bounce", qid).returncode, 0)
        raw = q.wait(lambda: q.mail("owner@" + ME), 30, "the bounce")[0]
        m = parse(raw)
        ds = list(m.iter_parts())[1].get_payload()
        self.assertEqual(len(ds), 2)
        self.assertEqual(ds[1]["Final-Recipient"], "rfc822; always@remote.test")
        self.assertEqual(ds[1]["Status"], "5.0.0")
        q.wait(lambda: not q.queued(), 30, "the queue to empty")

    def test_qctl_errors(self):
        q = self.q
        self.assertEqual(q.run("sluice-qctl", "delete", "../../etc").returncode, 1)
        self.assertEqual(q.run("sluice-qctl", "delete", "6b02c3ed8bae1.a74760").returncode, 1)
        self.assertEqual(q.run("sluice-qctl", "frobnicate").returncode, 1)
        q.stop()
        p = q.run("sluice-qctl", "flush")
        self.assertEqual(p.returncode, 111)
        self.assertIn(b"not running", p.stderr)


if __name__ == "__main__":
    unittest.main()
