"""sluice-pop3d in a real instance made by sluice-conf and run by svscan
(ROOT/service/pop3d and pop3s, as administrators run it): the password
hash sluice-conf writes, mail that came in over SMTP through the queue and
local delivery, read and deleted over POP3 with STLS and on the pop3s
port."""
import os
import poplib
import smtplib
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402

USER = "bob@example.test"
PASS = "bob's password"


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class TestInstance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = harness.Dnsmasq()
        cls.inst = harness.Instance()
        try:
            cls.inst.set("resolvers", cls.dns.resolver)
            cls.inst.conf("domain", "add", "example.test")
            cls.inst.add_user(USER, PASS)
            cls.inst.start(wait=("smtp", "pop3", "pop3s"))
        except Exception:
            cls.inst.cleanup()
            cls.dns.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()
        cls.dns.stop()

    def test_smtp_in_pop3_out(self):
        body = "Subject: through the whole chain\r\n\r\nhello bob\r\n.leading dot\r\n"
        with smtplib.SMTP(self.inst.ip, self.inst.ports["smtp"], timeout=30) as s:
            s.sendmail("sender@elsewhere.test", [USER], body)
        self.inst.wait_mail(USER, 1)
        p = poplib.POP3(self.inst.ip, self.inst.ports["pop3"], timeout=15)
        p.stls(ctx())
        p.user(USER)
        p.pass_(PASS)
        count, octets = p.stat()
        self.assertEqual(count, 1)
        resp, lines, _ = p.retr(1)
        data = b"\r\n".join(lines) + b"\r\n"
        self.assertIn(b"hello bob\r\n.leading dot\r\n", data)
        self.assertEqual(len(data), octets)       # LIST size == bytes sent
        p.dele(1)
        p.quit()
        self.assertEqual(self.inst.messages(USER), [])
        log = harness.wait_for(lambda: (lambda t: t if "logout " + USER in t else None)(self.inst.log("pop3d")),
                               15, what="pop3d log")
        self.assertIn("login %s" % USER, log)

    def test_mpop_and_s_client_on_pop3s(self):
        import shutil
        import subprocess
        import tempfile
        user = "carol@example.test"
        self.inst.add_user(user, "carol pw")
        with smtplib.SMTP(self.inst.ip, self.inst.ports["smtp"], timeout=30) as s:
            for i in range(3):
                s.sendmail("sender@elsewhere.test", [user], "Subject: mpop %d\r\n\r\nbody %d\r\n" % (i, i))
        self.inst.wait_mail(user, 3)
        out = subprocess.run(["openssl", "s_client", "-quiet", "-ign_eof", "-connect",
                              "%s:%d" % (self.inst.ip, self.inst.ports["pop3s"])],
                             input=b"USER carol@example.test\r\nPASS carol pw\r\nSTAT\r\nQUIT\r\n",
                             capture_output=True, timeout=30).stdout
        self.assertIn(b"+OK 3 ", out)
        tmp = tempfile.mkdtemp(prefix="sluice-pop3-mpop-")
        self.addCleanup(shutil.rmtree, tmp, True)
        md = os.path.join(tmp, "md")
        for d in ("", "new", "cur", "tmp"):
            os.mkdir(os.path.join(md, d))
        conf = os.path.join(tmp, "mpoprc")
        with open(conf, "w") as f:
            f.write("account i\nhost %s\nport %d\nuser %s\npassword carol pw\nauth plain\n"
                    "tls on\ntls_starttls off\ntls_certcheck off\ndelivery maildir %s\n"
                    "keep off\nuidls_file %s/uidls\ntimeout 20\n"
                    % (self.inst.ip, self.inst.ports["pop3s"], user, md, tmp))
        os.chmod(conf, 0o600)
        p = subprocess.run(["mpop", "-C", conf, "i"], capture_output=True, timeout=60,
                           env=dict(os.environ, HOME=tmp))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(os.listdir(os.path.join(md, "new"))), 3)
        self.assertEqual(self.inst.messages(user), [])

    def test_pop3s_port(self):
        p = poplib.POP3_SSL(self.inst.ip, self.inst.ports["pop3s"], context=ctx(), timeout=15)
        self.assertIn("SASL", p.capa())
        p.user(USER)
        with self.assertRaises(poplib.error_proto):
            p.pass_("not the password")
        p.user(USER)
        p.pass_(PASS)
        p.stat()
        p.quit()

    def pass_time(self, user, password):
        """Seconds from PASS to its answer (loopback: USER/PASS allowed)."""
        s = socket.create_connection((self.inst.ip, self.inst.ports["pop3"]), timeout=30)
        f = s.makefile("rb")
        try:
            self.assertTrue(f.readline().startswith(b"+OK"))
            s.sendall(b"USER " + user.encode() + b"\r\n")
            self.assertTrue(f.readline().startswith(b"+OK"))
            t = time.monotonic()
            s.sendall(b"PASS " + password.encode() + b"\r\n")
            answer = f.readline()
            t = time.monotonic() - t
            self.assertTrue(answer.startswith(b"-ERR [AUTH]"), answer)
            s.sendall(b"QUIT\r\n")
            f.readline()
            self.client_ip = s.getsockname()[0]
        finally:
            f.close()
            s.close()
        return t

    def test_failed_logins_take_the_same_time(self):
        """With the hashes sluice-conf writes: a login for a user who does
        not exist, or may not log in, takes as long as a wrong password
        (a dummy hash is checked), so answer times do not tell which users
        exist.  Every failure is delayed and logged with the client's IP."""
        self.inst.conf("user", "add", "locked@example.test", "--nologin")
        users = {"wrong password": USER, "unknown user": "nobody@example.test",
                 "login disabled": "locked@example.test"}
        times = {k: [] for k in users}
        self.inst.set("authfaildelay", 0)
        try:
            for _ in range(7):
                for why, user in users.items():
                    times[why].append(self.pass_time(user, "not the password"))
        finally:
            self.inst.set("authfaildelay", 1)
        med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
        sys.stderr.write("# PASS answer, median ms: %s\n" % ", ".join(
            "%s %.1f" % (k, v * 1000) for k, v in med.items()))
        real = med["wrong password"]
        for why in ("unknown user", "login disabled"):
            self.assertGreater(med[why], real * 0.5, (why, med))
            self.assertLess(med[why], real * 2 + 0.03, (why, med))
        # the delay, and the log line with the client's address
        t = self.pass_time("nobody@example.test", "x")
        self.assertGreaterEqual(t, 0.9)
        ip = self.client_ip
        log = harness.wait_for(lambda: (lambda t: t if "authfail %s nobody@example.test unknown user"
                                        % ip in t else None)(self.inst.log("pop3d")),
                               15, what="authfail in the pop3d log")
        for why, user in users.items():
            self.assertIn("authfail %s %s %s" % (ip, user, why), log)
        self.assertNotIn("not the password", log)
        self.inst.set("authfaildelay", 2)


if __name__ == "__main__":
    unittest.main()
