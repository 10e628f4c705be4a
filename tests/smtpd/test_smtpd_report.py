"""sluice-report and the fail2ban filter on real logs: an instance under
svscan gets mail (smtplib on ports 25 and 587), refusals, failed SMTP and
POP3 logins (smtplib, a raw POP3 dialogue); then sluice-report summarises ROOT/log and
fail2ban-regex (Debian's fail2ban) finds every failed login with the
filter conf/fail2ban/sluice-auth.conf."""
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

FILTER = os.path.join(harness.TOP, "conf", "fail2ban", "sluice-auth.conf")


def tls_ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = inst = harness.Instance()
        cls.addClassCleanup(inst.cleanup)
        inst.conf("domain", "add", "example.test")
        inst.add_user("alice@example.test", "Alice-pw-1")
        inst.add_user("bob@example.test", "Bob-pw-2")
        inst.set("smtpgreetdelay", "0")
        inst.set("authfaildelay", "0")
        inst.set("pop3plaintext", "1")
        inst.start(wait=("smtp", "submission", "pop3"))
        cls.bad_ip = harness.pick_ip()
        cls.generate()

    @classmethod
    def generate(cls):
        inst = cls.inst
        # two messages from alice on 587, one from a stranger on 25
        c = smtplib.SMTP(inst.ip, inst.ports["submission"], timeout=30)
        c.ehlo("c.test")
        c.starttls(context=tls_ctx())
        c.ehlo("c.test")
        c.login("alice@example.test", "Alice-pw-1")
        for _ in range(2):
            c.sendmail("alice@example.test", ["bob@example.test"], b"Subject: a\r\n\r\nx\r\n")
        c.quit()
        c = smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30)
        c.ehlo("far.test")
        c.mail("s@far.test")
        c.rcpt("nobody@example.test")          # 550 5.1.1
        c.rcpt("x@elsewhere.test")             # 554 relay
        c.rcpt("bob@example.test")
        c.data(b"Subject: b\r\n\r\ny\r\n")
        c.quit()
        # failed logins from one address: two on SMTP (PLAIN then LOGIN), one on POP3
        c = smtplib.SMTP(inst.ip, inst.ports["submission"], timeout=30, source_address=(cls.bad_ip, 0))
        c.ehlo("x.test")
        c.starttls(context=tls_ctx())
        c.ehlo("x.test")
        try:
            c.login("alice@example.test", "wrong")
        except smtplib.SMTPAuthenticationError:
            pass
        c.close()
        # POP3 USER/PASS from that address (poplib cannot choose its source)
        s = socket.create_connection((inst.ip, inst.ports["pop3"]), timeout=30,
                                     source_address=(cls.bad_ip, 0))
        f = s.makefile("rb")
        assert f.readline().startswith(b"+OK")
        s.sendall(b"USER bob@example.test\r\n")
        assert f.readline().startswith(b"+OK")
        s.sendall(b"PASS wrong\r\n")
        assert f.readline().startswith(b"-ERR")
        s.sendall(b"QUIT\r\n")
        f.readline()
        s.close()
        inst.wait_mail("bob@example.test", 3)
        harness.wait_for(lambda: inst.log("send").count("status=sent") >= 3, 30, what="deliveries")
        harness.wait_for(lambda: "auth failed" in inst.log("pop3d"), 20, what="the POP3 failure")

    def test_report_summarises_the_logs(self):
        p = self.inst.run("sluice-report")
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, p.stderr)
        day = re.search(r"^(\d{4}-\d\d-\d\d) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$", out, re.M)
        self.assertTrue(day, out)
        received, delivered, deferred, bounced, refused, authfail = map(int, day.groups()[1:])
        self.assertEqual((received, delivered, refused), (3, 3, 2), out)
        self.assertEqual(authfail, 3, out)
        self.assertRegex(out, r"Top senders by login\n +2  alice@example\.test")
        self.assertIn("550 5.1.1 Recipient address rejected: user unknown", out)
        self.assertIn("554 5.7.1 Relay access denied", out)
        self.assertRegex(out, r"Failed logins by client IP\n +3  %s" % re.escape(self.bad_ip))
        # files named on the command line, and -n
        p = self.inst.run("sluice-report", "-n", "1", self.inst.path("log", "submission", "current"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(b"Relay access denied", p.stdout)
        self.assertEqual(self.inst.run("sluice-report", "-n", "x").returncode, 1)

    @unittest.skipUnless(shutil.which("fail2ban-regex"), "fail2ban not installed")
    def test_fail2ban_filter_matches_failed_logins(self):
        found = 0
        for svc, want in (("submission", 2), ("pop3d", 1), ("smtpd", 0)):
            p = subprocess.run(["fail2ban-regex", self.inst.path("log", svc, "current"), FILTER],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            m = re.search(r"Lines: \d+ lines, \d+ ignored, (\d+) matched", p.stdout)
            self.assertTrue(m, p.stdout)
            self.assertEqual(int(m.group(1)), want, (svc, p.stdout))
            if want:
                self.assertIn(self.bad_ip, p.stdout)
            found += int(m.group(1))
        self.assertEqual(found, 3)


if __name__ == "__main__":
    unittest.main()
