"""The milter client of sluice-smtpd, against a scripted milter (lib
fakemilter.py): every step is offered, every verdict and edit is honoured
before the reply to DATA, and a milter that misbehaves costs the message a
451 (milterfail tempfail) or is skipped (accept), never a hang or a crash.
Real filters (OpenDKIM, rspamd) are in test_milter_real.py.
"""
import smtplib
import ssl
import time
import unittest

import harness
from fakemilter import FakeMilter

MSG = ("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: %s\r\n"
       "X-Remove: me\r\n\r\nHello,  body.\r\n.dot line\r\n")


def setUpModule():
    global inst, m1, m2
    m1 = FakeMilter()
    m2 = FakeMilter()
    inst = harness.Instance()
    inst.conf("domain", "add", "example.test")
    inst.add_user("alice@example.test", "alice-Secret-1")
    inst.add_user("bob@example.test", "bob-Secret-2")
    inst.set("milters", m1.spec)
    inst.set("timeoutmilter", 3)
    inst.start()


def tearDownModule():
    inst.cleanup()
    m1.stop()
    m2.stop()


def send(subject, auth=False):
    """(code, text) of the reply to DATA"""
    c = smtplib.SMTP(inst.ip, inst.ports["submission" if auth else "smtp"], timeout=60)
    try:
        c.ehlo("client.test")
        if auth:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c.starttls(context=ctx)
            c.ehlo("client.test")
            c.login("alice@example.test", "alice-Secret-1")
        c.mail("alice@example.test")
        c.rcpt("bob@example.test")
        return c.data((MSG % subject).encode())
    finally:
        try:
            c.quit()
        except smtplib.SMTPException:
            pass


def delivered(subject, timeout=20):
    def find():
        for msg in inst.messages("bob@example.test"):
            if msg["Subject"] and subject in msg["Subject"]:
                return msg
        return None
    return harness.wait_for(find, timeout, what=subject)


def never_delivered(subject, wait=2.0):
    time.sleep(wait)
    return not any(m["Subject"] and subject in m["Subject"] for m in inst.messages("bob@example.test"))


class Milter(unittest.TestCase):
    def setUp(self):
        for m in (m1, m2):
            m.eob = [("c", b"")]
            m.at = {}
            m.mode = ""
        inst.set("milters", m1.spec)
        inst.set("milterfail", "tempfail")

    def test_every_step_is_offered(self):
        code, _ = send("steps-1", auth=True)
        self.assertEqual(code, 250)
        delivered("steps-1")
        cmds = [c for c, _ in m1.seen[-1]]
        for c in "OCHMRTLNBE":
            self.assertIn(c, cmds)
        self.assertEqual(m1.last("M")[0], b"<alice@example.test>\0")
        self.assertEqual(m1.last("R")[0], b"<bob@example.test>\0")
        self.assertTrue(m1.last("H")[0].startswith(b"client.test"))
        names = [d.split(b"\0")[0] for d in m1.last("L")]
        self.assertEqual(names[0], b"Received", "our Received field comes first")
        self.assertIn(b"X-Remove", names)
        body = b"".join(m1.last("B"))
        self.assertEqual(body, b"Hello,  body.\r\n.dot line\r\n")
        macros = b"".join(m1.last("D"))
        self.assertIn(b"{auth_authen}\0alice@example.test\0", macros)
        self.assertIn(b"{client_addr}\0", macros)

    def test_header_edits_and_new_body(self):
        m1.eob = [("h", b"X-Spam-Flag\0NO\0"),
                  ("i", b"\0\0\0\0Authentication-Results\0mx.example.test; spf=pass\0"),
                  ("m", b"\0\0\0\1Subject\0edited-1 (changed)\0"),
                  ("m", b"\0\0\0\1X-Remove\0\0"),
                  ("b", b"New body\r\nline two\r\n"), ("c", b"")]
        code, _ = send("edited-1")
        self.assertEqual(code, 250)
        msg = delivered("edited-1")
        self.assertEqual(msg["Subject"], "edited-1 (changed)")
        self.assertEqual(msg["X-Spam-Flag"], "NO")
        self.assertIsNone(msg["X-Remove"])
        self.assertEqual(msg.get_content(), "New body\nline two\n")
        raw = msg.as_bytes()
        # inserted at the top of what the milter saw: above smtpd's Received
        self.assertLess(raw.find(b"Authentication-Results"), raw.find(b"Received: from"))

    def test_reject_tempfail_and_custom_reply(self):
        for script, want in ((("r", b""), 550), (("t", b""), 451),
                             (("y", b"554 5.7.1 Go away, spammer\0"), 554)):
            m1.eob = [script]
            code, text = send("verdict-%d" % want)
            self.assertEqual(code, want)
            if want == 554:
                self.assertIn(b"Go away", text)
            self.assertTrue(never_delivered("verdict-%d" % want, 0.5))

    def test_reject_at_rcpt_step(self):
        m1.at = {"R": ("r", b"")}
        code, _ = send("rcptrej-1")
        self.assertEqual(code, 550)
        self.assertTrue(never_delivered("rcptrej-1"))

    def test_discard(self):
        m1.eob = [("d", b"")]
        code, _ = send("discard-1")
        self.assertEqual(code, 250)
        self.assertTrue(never_delivered("discard-1"))
        self.assertIn("discarded message", inst.log("smtpd"))

    def test_misbehaving_milter_costs_a_451(self):
        for mode in ("garbage", "huge", "stall", "close"):
            m1.mode = mode
            t = time.time()
            code, text = send("bad-" + mode)
            self.assertEqual(code, 451, mode)
            self.assertLess(time.time() - t, 20, mode)
            self.assertTrue(never_delivered("bad-" + mode, 0.2))
        self.assertIn("milter", inst.log("smtpd"))

    def test_injected_header_line_is_refused(self):
        m1.eob = [("h", b"X-A\0a\nX-Injected: yes\0"), ("c", b"")]
        code, _ = send("inject-1")
        self.assertEqual(code, 451)

    def test_unreachable_milter_and_milterfail_accept(self):
        dead = "inet:%s:%d" % (harness.pick_ip(), 9)
        inst.set("milters", dead)
        code, _ = send("dead-1")
        self.assertEqual(code, 451)
        inst.set("milterfail", "accept")
        code, _ = send("dead-2")
        self.assertEqual(code, 250)
        delivered("dead-2")
        m1.mode = "garbage"
        inst.set("milters", "%s,%s" % (m1.spec, m2.spec))
        m2.eob = [("h", b"X-Second\0yes\0"), ("c", b"")]
        code, _ = send("dead-3")
        self.assertEqual(code, 250)
        msg = delivered("dead-3")
        self.assertEqual(msg["X-Second"], "yes", "the next milter still runs")

    def test_two_milters_in_a_row(self):
        inst.set("milters", "%s,%s" % (m1.spec, m2.spec))
        m1.eob = [("h", b"X-First\0one\0"), ("c", b"")]
        m2.eob = [("h", b"X-Second\0two\0"), ("c", b"")]
        code, _ = send("chain-1")
        self.assertEqual(code, 250)
        msg = delivered("chain-1")
        self.assertEqual((msg["X-First"], msg["X-Second"]), ("one", "two"))
        names = [d.split(b"\0")[0] for d in m2.last("L")]
        self.assertIn(b"X-First", names, "the second sees what the first added")

    def test_bad_settings_refused(self):
        for v in ("tcp:1.2.3.4:5", "inet:localhost:10025", "inet:127.0.0.1", "unix:relative", "unix:"):
            self.assertEqual(inst.conf("set", "milters", v, check=False).returncode, 1, v)
        self.assertEqual(inst.conf("set", "milterfail", "maybe", check=False).returncode, 1)


if __name__ == "__main__":
    unittest.main()
