"""sluice-smtpd with TLS and AUTH in its three modes, with real clients:
swaks (STARTTLS, AUTH PLAIN/LOGIN, pipelining, implicit TLS), msmtp
(submission with STARTTLS, and port-465 style implicit TLS), smtplib."""
import os
import smtplib
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpdlib  # noqa: E402
from smtpdlib import PASSWORD, Raw  # noqa: E402

USER = "alice@example.test"


def swaks(srv, *args):
    p = subprocess.run(["swaks", "--server", "%s:%d" % (srv.ip, srv.port), "--from", USER,
                        "--helo", "swaks.example", "--header", "Subject: swaks"] + list(args),
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")


def msmtp(srv, starttls, rcpt):
    d = tempfile.mkdtemp(prefix="msmtp-")
    conf = os.path.join(d, "msmtprc")
    with open(conf, "w") as f:
        f.write("account default\nhost %s\nport %d\nfrom %s\nauth plain\nuser %s\npassword %s\n"
                "tls on\ntls_starttls %s\ntls_certcheck off\ntimeout 20\n"
                % (srv.ip, srv.port, USER, USER, PASSWORD, "on" if starttls else "off"))
    os.chmod(conf, 0o600)
    try:
        p = subprocess.run(["msmtp", "-C", conf, rcpt], input=b"Subject: msmtp\n\nfrom msmtp\n",
                           capture_output=True, timeout=60)
    finally:
        os.unlink(conf)
        os.rmdir(d)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


class Base(unittest.TestCase):
    mode = "mx"

    @classmethod
    def setUpClass(cls):
        cls.srv = smtpdlib.SmtpdServer(mode=cls.mode).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        for n in os.listdir(self.srv.path("spool")):
            os.unlink(self.srv.path("spool", n))


class MX(Base):
    def test_swaks_starttls_auth_plain_relays(self):
        rc, out = swaks(self.srv, "--to", "someone@far.test", "--tls", "--auth", "PLAIN",
                        "--auth-user", USER, "--auth-password", PASSWORD)
        self.assertEqual(rc, 0, out)
        (sender, rcpts, msg), = self.srv.queued()
        self.assertEqual(rcpts, ["someone@far.test"])
        self.assertIn(b"with ESMTPSA\n\t(TLSv1.", msg)
        self.assertNotIn(b"authenticated as", msg, "login named only with receivedauth=1")
        self.srv.wait_log("auth=alice@example.test queued=1")

    def test_swaks_auth_login_pipelining(self):
        rc, out = swaks(self.srv, "--to", USER, "--tls", "--auth", "LOGIN", "--pipeline",
                        "--auth-user", USER, "--auth-password", PASSWORD)
        self.assertEqual(rc, 0, out)
        self.assertEqual(len(self.srv.queued()), 1)

    def test_swaks_starttls_without_auth(self):
        rc, out = swaks(self.srv, "--to", USER, "--tls")
        self.assertEqual(rc, 0, out)
        (_, _, msg), = self.srv.queued()
        self.assertIn(b"with ESMTPS\n", msg)
        rc, out = swaks(self.srv, "--to", "x@far.test", "--tls")
        self.assertNotEqual(rc, 0, "no relaying without AUTH")
        self.assertIn("554 5.7.1", out)

    def test_swaks_wrong_password(self):
        rc, out = swaks(self.srv, "--to", USER, "--tls", "--auth", "PLAIN",
                        "--auth-user", USER, "--auth-password", "wrong")
        self.assertNotEqual(rc, 0)
        self.assertIn("535 5.7.8", out)
        self.assertEqual(self.srv.queued(), [])

    def test_smtplib_receivedauth(self):
        self.srv.set("receivedauth", "1")
        try:
            c = smtplib.SMTP(self.srv.ip, self.srv.port, timeout=15)
            self.addCleanup(c.close)
            c.ehlo("py.example")
            c.starttls(context=smtpdlib.client_tls_context())
            c.ehlo("py.example")
            c.login(USER, PASSWORD)
            c.sendmail(USER, ["x@far.test"], b"Subject: py\r\n\r\nhello\r\n")
            c.quit()
        finally:
            self.srv.set("receivedauth", "0")
        (_, _, msg), = self.srv.queued()
        self.assertIn(b"(authenticated as alice@example.test)", msg)


class Submission(Base):
    mode = "submission"

    def test_starttls_then_auth_required(self):
        r = Raw(self.srv.ip, self.srv.port)
        self.addCleanup(r.close)
        self.assertEqual(r.reply()[0], 220)
        code, text = r.cmd("EHLO x.example")
        self.assertIn("STARTTLS", text)
        self.assertNotIn("AUTH", text)
        code, text = r.cmd("MAIL FROM:<%s>" % USER)
        self.assertEqual(code, 530, text)
        self.assertIn("STARTTLS", text)
        self.assertEqual(r.cmd("AUTH LOGIN")[0], 538)
        self.assertEqual(r.cmd("STARTTLS")[0], 220)
        r.starttls()
        code, text = r.cmd("EHLO x.example")
        self.assertIn("AUTH PLAIN LOGIN", text)
        self.assertNotIn("STARTTLS", text)
        code, text = r.cmd("MAIL FROM:<%s>" % USER)
        self.assertEqual(code, 530, text)
        self.assertIn("Authentication required", text)
        self.assertEqual(r.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzM2NyZXQgcGFzcw==")[0], 235)
        self.assertEqual(r.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzM2NyZXQgcGFzcw==")[0], 503)
        self.assertEqual(r.cmd("MAIL FROM:<%s>" % USER)[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<friend@far.test>")[0], 250)
        self.assertEqual(r.cmd("QUIT")[0], 221)

    def test_msmtp_submission(self):
        rc, out = msmtp(self.srv, True, "friend@far.test")
        self.assertEqual(rc, 0, out)
        (sender, rcpts, msg), = self.srv.queued()
        self.assertEqual((sender, rcpts), (USER, ["friend@far.test"]))
        self.assertIn(b"with ESMTPSA", msg)
        self.assertTrue(msg.endswith(b"\nfrom msmtp\n"))


class SMTPS(Base):
    mode = "smtps"

    def test_smtplib_ssl(self):
        c = smtplib.SMTP_SSL(self.srv.ip, self.srv.port, timeout=15,
                             context=smtpdlib.client_tls_context())
        self.addCleanup(c.close)
        code, text = c.ehlo("py.example")
        self.assertIn(b"AUTH PLAIN LOGIN", text)
        self.assertNotIn(b"STARTTLS", text)
        self.assertEqual(c.docmd("STARTTLS")[0], 503)
        c.login(USER, PASSWORD)
        c.sendmail(USER, ["x@far.test"], b"Subject: 465\r\n\r\nimplicit\r\n")
        c.quit()
        (_, _, msg), = self.srv.queued()
        self.assertIn(b"with ESMTPSA\n\t(TLSv1.", msg)

    def test_msmtp_implicit_tls(self):
        rc, out = msmtp(self.srv, False, USER)
        self.assertEqual(rc, 0, out)
        self.assertEqual(len(self.srv.queued()), 1)

    def test_swaks_tls_on_connect(self):
        rc, out = swaks(self.srv, "--to", USER, "--tls-on-connect")
        self.assertEqual(rc, 0, out)
        self.assertEqual(len(self.srv.queued()), 1)

    def test_plaintext_client_gets_nothing(self):
        r = Raw(self.srv.ip, self.srv.port)
        self.addCleanup(r.close)
        r.send(b"EHLO plain.example\r\n")
        self.assertTrue(r.closed(timeout=10))
        self.assertNotIn(b"220", r.buf)
        self.srv.wait_log("TLS handshake failed")


if __name__ == "__main__":
    unittest.main()
