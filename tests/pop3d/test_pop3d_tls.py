"""sluice-pop3d with TLS: STLS (RFC 2595) with poplib and openssl
s_client, implicit TLS on the pop3s port (POP3D_MODE=tls), plaintext
pipelined after STLS thrown away, and plaintext logins refused before STLS
on a non-loopback connection unless pop3plaintext=1."""
import os
import socket
import ssl
import subprocess
import sys
import poplib
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pop3util import MiniRoot, Pop3Server, Raw, check_sanitizer, harness  # noqa: E402

USER = "tls@example.test"
PASS = "tls-pass"


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def s_client(args, data, timeout=30):
    p = subprocess.run(["openssl", "s_client", "-quiet", "-ign_eof"] + args,
                       input=data, capture_output=True, timeout=timeout)
    return p.stdout


class TestStls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = MiniRoot()
        cls.r.set("authfaildelay", 0)
        cls.r.add_user(USER, PASS)
        cls.r.deliver(USER, b"Subject: tls\n\nhello over tls\n")
        cls.srv = Pop3Server(cls.r.root)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()       # fails on a sanitizer report
        finally:
            cls.r.cleanup()

    def test_poplib_stls(self):
        p = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
        self.assertIn("STLS", p.capa())
        p.stls(ctx())
        caps = p.capa()
        self.assertNotIn("STLS", caps)
        self.assertIn("USER", caps)
        p.user(USER)
        p.pass_(PASS)
        self.assertEqual(p.retr(1)[1][-1], b"hello over tls")
        p.quit()
        self.assertIn("stls ", self.srv.log())

    def test_s_client_starttls(self):
        out = s_client(["-starttls", "pop3", "-connect", "%s:%d" % (self.srv.ip, self.srv.port)],
                       ("CAPA\r\nUSER %s\r\nPASS %s\r\nSTAT\r\nQUIT\r\n" % (USER, PASS)).encode())
        self.assertIn(b"IMPLEMENTATION sluice", out)
        self.assertIn(b"+OK mailbox ready", out)
        self.assertIn(b"+OK 1 ", out)
        self.assertIn(b"+OK bye", out)

    def test_stls_twice_refused(self):
        p = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
        p.stls(ctx())
        with self.assertRaises(poplib.error_proto):
            p._shortcmd("STLS")
        p.quit()

    def test_pipelined_plaintext_discarded(self):
        c = Raw(self.srv.ip, self.srv.port)
        c.line()
        # one segment: STLS and a login the attacker wants to slip in
        c.send(("STLS\r\nUSER %s\r\nPASS %s\r\n" % (USER, PASS)).encode())
        self.assertTrue(c.line().startswith(b"+OK"))
        self.assertEqual(c.buf, b"")
        s = ctx().wrap_socket(c.s)
        s.sendall(b"PASS " + PASS.encode() + b"\r\n")
        resp = s.recv(1000)
        self.assertTrue(resp.startswith(b"-ERR USER first"), resp)
        s.sendall(b"QUIT\r\n")
        self.assertTrue(s.recv(1000).startswith(b"+OK"))
        s.close()


class TestImplicitTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = MiniRoot()
        cls.r.set("authfaildelay", 0)
        cls.r.add_user(USER, PASS)
        cls.r.deliver(USER, b"Subject: 995\n\nimplicit\n")
        cls.srv = Pop3Server(cls.r.root, mode="tls")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()       # fails on a sanitizer report
        finally:
            cls.r.cleanup()

    def test_poplib_ssl(self):
        p = poplib.POP3_SSL(self.srv.ip, self.srv.port, context=ctx(), timeout=15)
        self.assertTrue(p.getwelcome().startswith(b"+OK"))
        caps = p.capa()
        self.assertNotIn("STLS", caps)
        self.assertIn("SASL", caps)
        p.user(USER)
        p.pass_(PASS)
        self.assertEqual(p.retr(1)[1][-1], b"implicit")
        p.quit()

    def test_s_client(self):
        out = s_client(["-connect", "%s:%d" % (self.srv.ip, self.srv.port)],
                       ("USER %s\r\nPASS %s\r\nLIST\r\nQUIT\r\n" % (USER, PASS)).encode())
        self.assertIn(b"POP3 ready", out)
        self.assertIn(b"+OK listing follows", out)
        self.assertIn(b"+OK bye", out)

    def test_plaintext_client_gets_nothing_useful(self):
        c = Raw(self.srv.ip, self.srv.port, timeout=5)
        c.send(b"USER x\r\n")
        self.assertTrue(c.closed(timeout=10))
        self.assertNotIn(b"+OK", c.buf)
        c.close()


class TestNonLoopback(unittest.TestCase):
    """The server on a socket pair with TCPREMOTEIP set to a public
    address, as tcpserver would set it for a remote client."""

    def setUp(self):
        self.r = MiniRoot()
        self.r.set("authfaildelay", 0)
        self.r.add_user(USER, PASS)

    def tearDown(self):
        try:
            with open(self.r.path("direct.log")) as f:
                check_sanitizer(f.read())
        except FileNotFoundError:
            pass
        finally:
            self.r.cleanup()

    def start(self):
        a, b = socket.socketpair()
        env = dict(os.environ, SLUICE_ROOT=self.r.root, TCPREMOTEIP="192.0.2.7", POP3D_MODE="plain")
        if os.geteuid() == 0:
            env["SLUICE_DROP"] = "sluiced"
        log = open(self.r.path("direct.log"), "ab")
        p = subprocess.Popen([harness.prog("sluice-pop3d")], stdin=b, stdout=b, stderr=log, env=env)
        log.close()
        b.close()
        a.settimeout(15)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait(10)))
        self.addCleanup(a.close)
        f = a.makefile("rb")
        self.assertTrue(f.readline().startswith(b"+OK"))
        return a, f

    def cmd(self, sock, f, line):
        sock.sendall(line.encode() + b"\r\n")
        return f.readline()

    def test_refused_before_stls(self):
        a, f = self.start()
        a.sendall(b"CAPA\r\n")
        caps = []
        while True:
            ln = f.readline().strip()
            if ln == b".":
                break
            caps.append(ln)
        self.assertIn(b"STLS", caps)
        self.assertNotIn(b"USER", caps)
        self.assertNotIn(b"SASL PLAIN", caps)
        self.assertTrue(self.cmd(a, f, "USER " + USER).startswith(b"-ERR [AUTH]"))
        self.assertTrue(self.cmd(a, f, "AUTH PLAIN AHRsc0B4AHk=").startswith(b"-ERR [AUTH]"))
        self.assertTrue(self.cmd(a, f, "STLS").startswith(b"+OK"))
        s = ctx().wrap_socket(a)
        s.sendall(("USER %s\r\nPASS %s\r\n" % (USER, PASS)).encode())
        got = b""
        while got.count(b"\r\n") < 2:
            got += s.recv(1000)
        self.assertIn(b"+OK mailbox ready", got)
        s.sendall(b"QUIT\r\n")
        s.recv(1000)
        s.close()
        with open(self.r.path("direct.log")) as lf:
            self.assertIn("login %s 192.0.2.7" % USER, lf.read())

    def test_allowed_by_setting(self):
        self.r.set("pop3plaintext", 1)
        a, f = self.start()
        self.assertTrue(self.cmd(a, f, "USER " + USER).startswith(b"+OK"))
        self.assertTrue(self.cmd(a, f, "PASS " + PASS).startswith(b"+OK mailbox"))
        self.assertTrue(self.cmd(a, f, "QUIT").startswith(b"+OK"))


class TestSocketActivation(unittest.TestCase):
    """As under systemd Accept=yes: the connection on fd 0/1 and no
    TCPREMOTEIP; the peer comes from the socket.  Over IPv6 loopback, which
    counts as loopback for plaintext logins."""

    def test_peer_from_socket(self):
        r = MiniRoot()
        self.addCleanup(r.cleanup)
        r.set("authfaildelay", 0)
        r.add_user(USER, PASS)
        lsock = socket.socket(socket.AF_INET6)
        lsock.bind(("::1", 0))
        lsock.listen(1)
        self.addCleanup(lsock.close)
        c = socket.create_connection(("::1", lsock.getsockname()[1]), timeout=15)
        self.addCleanup(c.close)
        conn, _ = lsock.accept()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TCP")}
        env.update(SLUICE_ROOT=r.root, POP3D_MODE="plain")
        if os.geteuid() == 0:
            env["SLUICE_DROP"] = "sluiced"
        log = open(r.path("sa.log"), "ab")
        p = subprocess.Popen([harness.prog("sluice-pop3d")], stdin=conn, stdout=conn, stderr=log, env=env)
        log.close()
        conn.close()
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait(10)))
        f = c.makefile("rb")
        self.assertTrue(f.readline().startswith(b"+OK"))
        c.sendall(("USER %s\r\nPASS %s\r\nQUIT\r\n" % (USER, PASS)).encode())
        self.assertTrue(f.readline().startswith(b"+OK"))
        self.assertTrue(f.readline().startswith(b"+OK mailbox"))
        self.assertTrue(f.readline().startswith(b"+OK bye"))
        p.wait(10)
        with open(r.path("sa.log")) as lf:
            text = lf.read()
        check_sanitizer(text)
        self.assertIn("login %s ::1" % USER, text)


if __name__ == "__main__":
    unittest.main()
