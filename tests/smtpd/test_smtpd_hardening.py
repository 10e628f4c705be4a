"""sluice-smtpd hardening: every hostile input is sent
on a raw socket; each test checks the reply and that nothing was queued."""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpdlib  # noqa: E402
from smtpdlib import Raw  # noqa: E402


class Hardening(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = smtpdlib.SmtpdServer(mode="mx", settings={
            "maxrcpt": "3", "maxbadcommands": "4", "timeoutsmtpd": "5", "maxhops": "5",
            "maxauthfailures": "2", "authfaildelay": "1"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        for n in os.listdir(self.srv.path("spool")):
            os.unlink(self.srv.path("spool", n))

    def tearDown(self):
        self.assertEqual(self.srv.queued(), [], "nothing may be queued")

    def raw(self, greet=True):
        r = Raw(self.srv.ip, self.srv.port)
        self.addCleanup(r.close)
        if greet:
            code, text = r.reply()
            self.assertEqual(code, 220, text)
        return r

    def transaction(self, r):
        self.assertEqual(r.cmd("EHLO x.example")[0], 250)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test>")[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<alice@example.test>")[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 354)

    def test_long_command_line(self):
        r = self.raw()
        code, text = r.cmd("NOOP " + "x" * 5000)
        self.assertEqual(code, 500)
        self.assertIn("5.5.2", text)
        self.assertEqual(r.cmd("NOOP")[0], 250, "the session goes on after the long line")
        code, _ = r.cmd("MAIL FROM:<" + "a" * 300 + "@b.test>")
        self.assertIn(code, (501, 503))

    def test_long_address(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        self.assertEqual(r.cmd("MAIL FROM:<" + "a" * 70 + "@b.test>")[0], 501)
        self.assertEqual(r.cmd("MAIL FROM:<a@" + "b" * 260 + ".test>")[0], 501)

    def test_maxrcpt_452(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        for i in range(3):
            self.assertEqual(r.cmd("RCPT TO:<alice@example.test>")[0], 250)
        code, text = r.cmd("RCPT TO:<alice@example.test>")
        self.assertEqual(code, 452)
        self.assertIn("4.5.3", text)

    def test_bad_commands_then_disconnect(self):
        r = self.raw()
        for i in range(3):
            self.assertEqual(r.cmd("XYZZY %d" % i)[0], 500)
        code, text = r.cmd(b"\x00\x01\x02\r\n")
        self.assertEqual(code, 500)
        code, text = r.reply()
        self.assertEqual(code, 421, text)
        self.assertTrue(r.closed())

    def test_junk_commands_limited(self):
        r = self.raw()
        r.send(b"NOOP\r\n" * 100)
        self.assertEqual({r.reply()[0] for _ in range(100)}, {250})
        codes = [r.cmd("RSET")[0] for _ in range(4)]   # maxbadcommands is 4
        self.assertEqual(codes, [250, 250, 250, 250])
        t = time.time()
        code, text = r.reply()
        self.assertEqual(code, 421, text)
        self.assertIn("Too many errors", text)
        self.assertLess(time.time() - t, 4)     # at once, not after the 5 s timeout
        self.assertTrue(r.closed())

    def test_nul_and_bare_cr_in_command(self):
        r = self.raw()
        self.assertEqual(r.cmd(b"NO\x00OP\r\n")[0], 500)
        self.assertEqual(r.cmd(b"NOOP\rQUIT\r\n")[0], 500)
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_http_is_refused(self):
        r = self.raw()
        r.send(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        self.assertEqual(r.reply()[0], 421)
        self.assertTrue(r.closed())

    def test_command_timeout(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        t = time.time()
        code, text = r.reply()
        self.assertEqual(code, 421, text)
        self.assertIn("4.4.2", text)
        self.assertGreater(time.time() - t, 2.5)   # 5 s timeout; our clock starts after the reply
        self.assertTrue(r.closed())

    def test_data_timeout(self):
        r = self.raw()
        self.transaction(r)
        r.send(b"Subject: half\r\n\r\nhalf a message")
        code, text = r.reply()
        self.assertEqual(code, 421, text)
        self.assertTrue(r.closed())
        self.srv.wait_log("timeout in data")

    def test_bdat_timeout(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        r.cmd("RCPT TO:<alice@example.test>")
        r.send(b"BDAT 1000 LAST\r\nonly a part")
        code, text = r.reply()
        self.assertEqual(code, 421, text)
        self.assertTrue(r.closed())

    def test_bdat_chunk_beyond_any_limit(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        r.cmd("RCPT TO:<alice@example.test>")
        code, text = r.cmd("BDAT 99999999999 LAST")
        self.assertEqual(code, 552, text)
        self.assertTrue(r.closed())

    def test_harvesting_unknown_users(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        codes = [r.cmd("RCPT TO:<guess%d@example.test>" % i)[0] for i in range(4)]
        self.assertEqual(codes, [550] * 4)
        code, text = r.reply()
        self.assertEqual(code, 421, "unknown recipients count as bad commands: " + text)
        self.assertTrue(r.closed())

    def test_connection_lost_in_data(self):
        r = self.raw()
        self.transaction(r)
        r.send(b"Subject: lost\r\n\r\nbody\r\n")
        r.close()
        self.srv.wait_log("connection lost in data")

    def test_early_talker(self):
        self.srv.set("smtpgreetdelay", "1500")
        try:
            r = self.raw(greet=False)
            r.send(b"EHLO fast.example\r\nMAIL FROM:<a@b.test>\r\n")
            code, text = r.reply()
            self.assertEqual(code, 554, text)
            self.assertTrue(r.closed())
            self.srv.wait_log("early talker")
            # a patient client is served after the delay
            r = self.raw(greet=True)
            self.assertEqual(r.cmd("EHLO slow.example")[0], 250)
        finally:
            self.srv.set("smtpgreetdelay", "0")

    def smuggle(self, data):
        r = self.raw()
        self.transaction(r)
        r.send(data)
        code, text = r.reply()
        self.assertEqual(code, 554, text)
        self.assertIn("5.6.0", text)
        # the smuggled commands were data, not commands: nothing else answers
        self.assertEqual(r.cmd("NOOP")[0], 250)
        return r

    def test_smuggling_lf_dot_lf(self):
        self.smuggle(b"Subject: a\r\n\r\nx\n.\nMAIL FROM:<evil@b.test>\nRCPT TO:<alice@example.test>\n"
                     b"DATA\nSubject: smuggled\n\ny\r\n.\r\n")

    def test_smuggling_lf_dot_crlf(self):
        self.smuggle(b"Subject: a\r\n\r\nx\n.\r\nMAIL FROM:<evil@b.test>\r\nRCPT TO:<alice@example.test>\r\n"
                     b"DATA\r\nsmuggled\r\n.\r\n")

    def test_smuggling_cr_dot_cr(self):
        self.smuggle(b"Subject: a\r\n\r\nx\r.\rMAIL FROM:<evil@b.test>\r\n.\r\n")

    def test_bare_lf_and_bare_cr(self):
        self.smuggle(b"Subject: lf\n\nbody\r\n.\r\n")
        self.smuggle(b"Subject: cr\r\n\r\nbo\rdy\r\n.\r\n")

    def test_long_text_line(self):
        r = self.raw()
        self.transaction(r)
        r.send(b"Subject: long\r\n\r\n" + b"y" * 1001 + b"\r\n.\r\n")
        code, text = r.reply()
        self.assertEqual(code, 554, text)
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_mail_loop(self):
        r = self.raw()
        self.transaction(r)
        r.send(b"Received: from a by b\r\n" * 6 + b"Subject: loop\r\n\r\nx\r\n.\r\n")
        code, text = r.reply()
        self.assertEqual(code, 554, text)
        self.assertIn("5.4.6", text)

    def test_starttls_plaintext_injection_discarded(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        # CVE-2011-0411: plaintext pipelined after STARTTLS must be thrown away
        r.send(b"STARTTLS\r\nHELP\r\n")
        self.assertEqual(r.reply()[0], 220)
        r.starttls()
        code, text = r.cmd("NOOP")
        self.assertEqual(code, 250, "the injected HELP must not be answered: %s" % text)
        self.srv.wait_log("pipelined after STARTTLS")
        # after TLS the client must say EHLO again
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test>")[0], 503)

    def test_auth_needs_tls(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        code, text = r.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzM2NyZXQgcGFzcw==")
        self.assertEqual(code, 538, text)

    def test_auth_failures_delayed_and_limited(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("STARTTLS")
        r.starttls()
        code, text = r.cmd("EHLO x.example")
        self.assertIn("AUTH PLAIN LOGIN", text)
        t = time.time()
        # alice@example.test / wrong
        code, text = r.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdAB3cm9uZw==")
        self.assertEqual(code, 535, text)
        self.assertGreaterEqual(time.time() - t, 0.9, "failed logins are answered late")
        code, text = r.cmd("AUTH LOGIN")
        self.assertEqual(code, 334)
        self.assertEqual(r.cmd("bm9ib2R5QGV4YW1wbGUudGVzdA==")[0], 334)   # nobody@example.test
        code, text = r.cmd("d3Jvbmc=")
        self.assertEqual(code, 421, text)
        self.assertTrue(r.closed())
        self.srv.wait_log("auth failed")

    def test_auth_garbage(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("STARTTLS")
        r.starttls()
        r.cmd("EHLO x.example")
        self.assertEqual(r.cmd("AUTH CRAM-MD5")[0], 504)
        self.assertEqual(r.cmd("AUTH PLAIN !!!notbase64")[0], 501)
        self.assertEqual(r.cmd("AUTH PLAIN")[0], 334)
        self.assertEqual(r.cmd("*")[0], 501)
        self.assertEqual(r.cmd("AUTH PLAIN " + "QUFB" * 400)[0], 500)   # line too long
        self.assertEqual(r.cmd("NOOP")[0], 250)


class QueueHangs(unittest.TestCase):
    """A queue program (or QMAILQUEUE filter) that stops reading or never
    exits is killed after timeoutsmtpd; the client gets 451."""

    def test_queue_program_hangs(self):
        srv = smtpdlib.SmtpdServer(mode="mx", settings={"timeoutsmtpd": "5"})
        self.addCleanup(srv.cleanup)
        hang = srv.path("hangqueue")
        with open(hang, "w") as f:
            f.write("#!/bin/sh\nexec sleep 120\n")
        os.chmod(hang, 0o755)
        srv.start(extra_env={"QMAILQUEUE": hang})
        for size in (100, 300000):       # fits the pipe; fills it
            r = Raw(srv.ip, srv.port)
            self.addCleanup(r.close)
            self.assertEqual(r.reply()[0], 220)
            r.cmd("EHLO x.example")
            r.cmd("MAIL FROM:<a@b.test>")
            r.cmd("RCPT TO:<alice@example.test>")
            self.assertEqual(r.cmd("DATA")[0], 354)
            t = time.time()
            r.send(b"Subject: x\r\n\r\n" + (b"z" * 70 + b"\r\n") * (size // 72) + b".\r\n")
            code, text = r.reply()
            self.assertEqual(code, 451, text)
            self.assertLess(time.time() - t, 20)
            self.assertEqual(r.cmd("QUIT")[0], 221)
        srv.wait_log("queue exit=timeout")
        out = subprocess.run(["pgrep", "-f", "sleep 120"], capture_output=True, text=True).stdout.split()
        for pid in out:
            with open("/proc/%s/environ" % pid, "rb") as f:
                self.assertNotIn(srv.root.encode(), f.read(), "the hung queue program was killed")


if __name__ == "__main__":
    unittest.main()
