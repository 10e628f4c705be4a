"""What local injection lets into the queue, and bounces that must always
fit back into it.

 * A bare CR (or NUL) in the queue would go out by remote delivery as a
   bare CR, which receivers read in different ways (SMTP smuggling):
   sluice-queue refuses both (exit 31), sluice-sendmail turns a lone CR
   into a space in the header (it must not start a header field: with -t
   that would add a recipient) and into a line end in the body, and
   refuses NUL (exit 65).
 * A bounce is cut to what sluice-queue accepts (databytes + 64 KiB):
   before, a message near the limit with bouncemaxbytes above it gave a
   bounce that sluice-queue refused at every retry, for ever.
"""
import email
import email.policy
import os
import unittest

from qtest import ME, QueueInstance, envelope


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


class Injection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.q = QueueInstance()
        cls.q.start()

    @classmethod
    def tearDownClass(cls):
        cls.q.cleanup()

    def queue_bytes(self):
        out = []
        mess = self.q.path("queue", "mess")
        for b in os.listdir(mess):
            for n in os.listdir(os.path.join(mess, b)):
                try:
                    with open(os.path.join(mess, b, n), "rb") as f:
                        out.append(f.read())
                except FileNotFoundError:
                    pass
        return out

    def test_queue_refuses_cr_and_nul(self):
        n = len(self.q.delivered())
        for msg in (b"Subject: a\r\n\r\nCRLF lines\r\n",
                    b"Subject: b\n\nsmuggled\n\r.\r\nMAIL FROM:<x@y>\n",
                    b"Subject: c\n\nnul\x00.\n"):
            with self.subTest(msg=msg):
                rc, err = self.q.inject_raw(msg, envelope("a@example.org", ["crnul@remote.test"]))
                self.assertEqual(rc, 31, err)
                self.assertIn("CR or NUL", err)
        self.assertEqual(len(self.q.delivered()), n)
        self.assertFalse(any(b"smuggled" in f or b"nul\x00" in f for f in self.queue_bytes()))

    def test_sendmail_normalises_a_lone_cr(self):
        text = (b"To: cr-to@remote.test\r\nSubject: hi\rBcc: cr-evil@remote.test\r\n\r\n"
                b"line1\rline2\r\n\r.\r\nlast\r")
        p = self.q.run("sluice-sendmail", "-t", "-i", input=text)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = self.q.wait(lambda: self.q.mail("cr-to@remote.test"), 20, "the message")
        raw = got[0]
        self.assertNotIn(b"\r", raw)
        m = parse(raw)
        self.assertEqual(m["Subject"], "hi Bcc: cr-evil@remote.test")
        self.assertIn(b"\n\nline1\nline2\n\n.\nlast\n", raw)
        self.assertEqual([d for d in self.q.delivered() if "cr-evil" in d[2]], [])

    def test_sendmail_refuses_nul(self):
        p = self.q.run("sluice-sendmail", "nul-to@remote.test", input=b"Subject: x\n\na\x00b\n")
        self.assertEqual(p.returncode, 65, p.stderr)
        self.assertIn(b"NUL", p.stderr)
        self.assertEqual(self.q.mail("nul-to@remote.test"), [])


class BigBounce(unittest.TestCase):
    def setUp(self):
        self.q = QueueInstance()

    def tearDown(self):
        self.q.cleanup()

    def test_bounce_of_a_message_at_the_limit_is_cut(self):
        q = self.q
        q.set("databytes", 100000)
        q.set("bouncemaxbytes", 10000000)      # whole originals, when they fit
        q.start()
        msg = b"Subject: big one\nX-Big: yes\n\n"
        msg += (b"b" * 99 + b"\n") * ((100000 + 65536 - 10 - len(msg)) // 100)
        msg += b"b" * (100000 + 65536 - 10 - len(msg) - 1) + b"\n"     # 10 below the limit
        self.assertEqual(q.inject(msg, "big-sender@" + ME, ["perm-big@remote.test"]), 0)
        raw = q.wait(lambda: q.mail("big-sender@" + ME), 30, "the bounce")[0]
        self.assertLessEqual(len(raw), 100000 + 65536 + 1000)     # + sluice-queue's Received
        m = parse(raw)
        self.assertEqual(m.get_content_type(), "multipart/report")
        parts = list(m.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/delivery-status", "text/rfc822-headers"])
        self.assertIn("too big to be returned", parts[0].get_content())
        self.assertIn(b"X-Big: yes", parts[2].as_bytes())
        self.assertNotIn(b"bbbbbbbbbb", raw)
        self.assertNotIn("refused a bounce", q.log())
        q.wait(lambda: not q.queued(), 20, "the queue to empty")


if __name__ == "__main__":
    unittest.main()
