"""sluice-smtpd, port 25 mode: the SMTP dialogue, recipient checks, relay
policy, queue hand-off and its exit codes, pipelining, BDAT.  The server
runs under tcpserver on a loopback address with a fake queue program
(smtpdlib.py) that stores what it receives."""
import os
import smtplib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpdlib  # noqa: E402
from smtpdlib import Raw  # noqa: E402


class Basic(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = smtpdlib.SmtpdServer(mode="mx", settings={"databytes": "20000"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        for n in os.listdir(self.srv.path("spool")):
            os.unlink(self.srv.path("spool", n))
        for k in ("relay",):
            try:
                os.unlink(self.srv.path("control", k))
            except FileNotFoundError:
                pass

    def smtp(self):
        c = smtplib.SMTP(self.srv.ip, self.srv.port, timeout=15)
        self.addCleanup(c.close)
        return c

    def raw(self):
        r = Raw(self.srv.ip, self.srv.port)
        self.addCleanup(r.close)
        code, text = r.reply()
        self.assertEqual(code, 220, text)
        return r

    def test_local_delivery_envelope_and_received(self):
        c = self.smtp()
        code, text = c.ehlo("client.example")
        self.assertEqual(code, 250)
        for ext in (b"PIPELINING", b"SIZE 20000", b"8BITMIME", b"ENHANCEDSTATUSCODES",
                    b"SMTPUTF8", b"STARTTLS", b"CHUNKING"):
            self.assertIn(ext, text)
        self.assertNotIn(b"AUTH", text, "AUTH must not be offered before TLS")
        c.mail("sender@remote.test")
        c.rcpt("alice@example.test")
        c.rcpt("Bob@Example.Test")
        code, text = c.data("Subject: t\r\n\r\nline one\r\n.dot line\r\n..two dots\r\n")
        self.assertEqual(code, 250)
        self.assertRegex(text, rb"^2\.0\.0 Ok: queued as fake-\d+\.\d+$")
        c.quit()
        q = self.srv.queued()
        self.assertEqual(len(q), 1)
        sender, rcpts, msg = q[0]
        self.assertEqual(sender, "sender@remote.test")
        self.assertEqual(rcpts, ["alice@example.test", "Bob@example.test"])
        self.assertTrue(msg.startswith(b"Received: from client.example ([127."), msg)
        self.assertIn(b"by mx.example.test (sluice) with ESMTP;\n", msg)
        self.assertNotIn(b"\r", msg)
        self.assertTrue(msg.endswith(b"Subject: t\n\nline one\n.dot line\n..two dots\n"), msg)
        self.srv.wait_log("queued ip=")
        self.srv.wait_log("qid=fake-")

    def test_unknown_user_550_nothing_queued(self):
        c = self.smtp()
        c.ehlo("x.example")
        c.mail("a@remote.test")
        code, text = c.rcpt("nobody@example.test")
        self.assertEqual(code, 550)
        self.assertIn(b"5.1.1", text)
        code, _ = c.rcpt("alice@example.test")
        self.assertEqual(code, 250)
        c.quit()
        self.assertEqual(self.srv.queued(), [])
        self.srv.wait_log("refused rcpt")

    def test_postmaster_alias_catchall_extension(self):
        c = self.smtp()
        c.ehlo("x.example")
        c.mail("")
        for r in ("postmaster@example.test", "Postmaster", "info@example.test",
                  "whatever@catchall.test", "alice+tag@example.test", "abuse@example.test"):
            code, text = c.docmd("RCPT TO:<%s>" % r)
            self.assertEqual(code, 250, (r, text))
        code, _ = c.data(b"Subject: x\r\n\r\nhi\r\n")
        self.assertEqual(code, 250)
        c.quit()
        (sender, rcpts, msg), = self.srv.queued()
        self.assertEqual(sender, "")
        self.assertIn("postmaster@mx.example.test", rcpts)
        self.assertNotIn(b"\n\tfor <", msg, "no 'for' clause with several recipients")

    def test_relay_denied(self):
        c = self.smtp()
        c.ehlo("x.example")
        c.mail("a@remote.test")
        code, text = c.rcpt("someone@elsewhere.test")
        self.assertEqual(code, 554)
        self.assertIn(b"5.7.1", text)
        code, text = c.rcpt("x@[192.0.2.1]")
        self.assertEqual(code, 554)
        c.quit()

    def test_relay_list_allows(self):
        self.srv.set_relay(["# comment", "10.0.0.0/8", "127.0.0.0/8"])
        c = self.smtp()
        c.ehlo("x.example")
        c.mail("a@remote.test")
        code, _ = c.rcpt("someone@elsewhere.test")
        self.assertEqual(code, 250)
        code, _ = c.data(b"Subject: relay\r\n\r\nx\r\n")
        self.assertEqual(code, 250)
        c.quit()
        self.assertEqual(self.srv.queued()[0][1], ["someone@elsewhere.test"])

    def test_small_commands_and_sequence(self):
        r = self.raw()
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test>")[0], 503)
        self.assertEqual(r.cmd("NOOP")[0], 250)
        self.assertEqual(r.cmd("HELO x.example")[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<alice@example.test>")[0], 503)
        self.assertEqual(r.cmd("DATA")[0], 503)
        self.assertEqual(r.cmd("VRFY alice")[0], 252)
        self.assertEqual(r.cmd("EXPN list")[0], 502)
        self.assertEqual(r.cmd("HELP")[0], 214)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test>")[0], 250)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test>")[0], 503)
        self.assertEqual(r.cmd("DATA")[0], 554)    # no valid recipients
        self.assertEqual(r.cmd("RSET")[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<alice@example.test>")[0], 503)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test> SIZE=999999")[0], 552)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test> RET=HDRS")[0], 555)
        self.assertEqual(r.cmd("MAIL FROM:a@b.test")[0], 501)
        self.assertEqual(r.cmd("MAIL FROM:<j\xf6rg@b.test>")[0], 553)
        code, text = r.cmd("QUIT")
        self.assertEqual(code, 221)
        self.assertTrue(r.closed())

    def test_smtputf8(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        self.assertEqual(r.cmd("MAIL FROM:<j\u00f6rg@b.test> SMTPUTF8")[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<alice@example.test>")[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 354)
        self.assertEqual(r.cmd("Subject: \u00fc\r\n\r\nx\r\n.")[0], 250)
        (sender, _, msg), = self.srv.queued()
        self.assertEqual(sender, "j\u00f6rg@b.test")
        self.assertIn(b"with UTF8SMTP", msg)

    def test_8bit_body_kept_intact(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test> BODY=8BITMIME")[0], 250)
        r.cmd("RCPT TO:<alice@example.test>")
        self.assertEqual(r.cmd("DATA")[0], 354)
        body = bytes(b for b in range(1, 256) if b not in (10, 13)) + b"\r\n"
        r.send(b"Subject: 8bit\r\n\r\n" + body + b".\r\n")
        self.assertEqual(r.reply()[0], 250)
        (_, _, msg), = self.srv.queued()
        self.assertTrue(msg.endswith(b"\n\n" + body[:-2] + b"\n"))

    def test_message_too_big(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        r.cmd("RCPT TO:<alice@example.test>")
        self.assertEqual(r.cmd("DATA")[0], 354)
        r.send((b"x" * 900 + b"\r\n") * 30)
        code, text = r.cmd(".")
        self.assertEqual(code, 552, text)
        self.assertEqual(r.cmd("NOOP")[0], 250)
        self.assertEqual(self.srv.queued(), [])

    def test_queue_exit_codes(self):
        for exitcode, want in ((31, 554), (71, 451), (53, 451), (81, 451)):
            self.srv.queue_exit(exitcode)
            try:
                c = self.smtp()
                c.ehlo("x.example")
                c.mail("a@b.test")
                c.rcpt("alice@example.test")
                code, text = c.data(b"Subject: q\r\n\r\nx\r\n")
                self.assertEqual(code, want, (exitcode, text))
                c.quit()
            finally:
                os.unlink(self.srv.path("spool", "exitcode"))
        self.assertEqual(self.srv.queued(), [])
        self.srv.wait_log("queue exit=31")

    def test_pipelining(self):
        r = self.raw()
        r.send(b"EHLO x.example\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice@example.test>\r\n"
               b"RCPT TO:<nobody@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        codes = [r.reply()[0] for _ in range(6)]
        self.assertEqual(codes, [250, 250, 250, 550, 250, 354])
        r.send(b"Subject: p\r\n\r\nbody\r\n.\r\nMAIL FROM:<c@d.test>\r\nRCPT TO:<alice@example.test>\r\n"
               b"DATA\r\n")
        codes = [r.reply()[0] for _ in range(4)]
        self.assertEqual(codes, [250, 250, 250, 354])
        r.send(b"second\r\n.\r\nQUIT\r\n")
        self.assertEqual([r.reply()[0] for _ in range(2)], [250, 221])
        q = self.srv.queued()
        self.assertEqual(len(q), 2)
        self.assertEqual(q[0][1], ["alice@example.test", "bob@example.test"])
        self.assertTrue(q[1][2].endswith(b"\nsecond\n"))

    def test_bdat(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        r.cmd("RCPT TO:<alice@example.test>")
        part1 = b"Subject: chunks\r\n\r\nline\r"
        part2 = b"\n.\r\nlast line"
        r.send(b"BDAT %d\r\n" % len(part1) + part1)
        self.assertEqual(r.reply()[0], 250)
        r.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
        code, text = r.reply()
        self.assertEqual(code, 250, text)
        self.assertEqual(r.cmd("NOOP")[0], 250)
        (_, _, msg), = self.srv.queued()
        self.assertTrue(msg.endswith(b"Subject: chunks\n\nline\n.\nlast line\n"), msg)

    def test_bdat_without_recipient_is_read_and_refused(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        r.cmd("RCPT TO:<nobody@example.test>")
        r.send(b"BDAT 12 LAST\r\nQUIT\r\nQUIT\r\n")
        self.assertEqual(r.reply()[0], 554)
        self.assertEqual(r.cmd("NOOP")[0], 250, "the chunk was consumed, not run as commands")
        self.assertEqual(self.srv.queued(), [])

    def test_bdat_bare_lf_refused(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        r.cmd("RCPT TO:<alice@example.test>")
        data = b"Subject: x\n\nbare\n"
        r.send(b"BDAT %d LAST\r\n" % len(data) + data)
        self.assertEqual(r.reply()[0], 554)
        self.assertEqual(self.srv.queued(), [])

    def test_swaks_plain_and_pipelining(self):
        for extra in ([], ["--pipeline"]):
            p = subprocess.run(["swaks", "--server", "%s:%d" % (self.srv.ip, self.srv.port),
                                "--from", "s@remote.test", "--to", "alice@example.test",
                                "--helo", "swaks.example", "--header", "Subject: swaks"] + extra,
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout.decode() + p.stderr.decode())
        self.assertEqual(len(self.srv.queued()), 2)

    def test_session_log_line(self):
        c = self.smtp()
        c.ehlo("logger.example")
        c.quit()
        self.srv.wait_log("mode=mx helo=logger.example tls=no auth=- queued=0 refused=0 end=quit")


class Environment(unittest.TestCase):
    """RELAYCLIENT from the environment (tcprules), and a server without TLS."""

    def test_relayclient_and_no_tls(self):
        srv = smtpdlib.SmtpdServer(mode="mx", tls=False, env={"RELAYCLIENT": ""}).start()
        self.addCleanup(srv.cleanup)
        c = smtplib.SMTP(srv.ip, srv.port, timeout=15)
        self.addCleanup(c.close)
        code, text = c.ehlo("x.example")
        self.assertNotIn(b"STARTTLS", text)
        self.assertEqual(c.docmd("STARTTLS")[0], 454)
        c.mail("a@b.test")
        self.assertEqual(c.rcpt("x@far.test")[0], 250)
        c.quit()


if __name__ == "__main__":
    unittest.main()

    def test_ipv6_peer(self):
        if not harness_can_bind("::1"):
            self.skipTest("no IPv6 loopback")
        srv = smtpdlib.SmtpdServer(mode="mx", ip="::1")
        self.addCleanup(srv.cleanup)
        srv.set_relay(["::1/128"])
        srv.start()
        c = smtplib.SMTP("::1", srv.port, timeout=15)
        self.addCleanup(c.close)
        c.ehlo("v6.example")
        c.sendmail("a@b.test", ["x@far.test"], b"Subject: v6\r\n\r\nx\r\n")
        c.quit()
        (_, _, msg), = srv.queued()
        self.assertTrue(msg.startswith(b"Received: from v6.example ([IPv6:::1])"), msg)
        srv.wait_log("session ip=::1 mode=mx")


def harness_can_bind(ip):
    import harness
    try:
        return harness.can_bind(ip, 0)
    except OSError:
        return False


class SocketActivation(unittest.TestCase):
    """systemd Accept=yes: no TCPREMOTEIP; the peer comes from getpeername."""

    def test_peer_from_socket(self):
        import socket
        import harness
        srv = smtpdlib.SmtpdServer(mode="mx")
        self.addCleanup(srv.cleanup)
        srv.set_relay([srv.ip + "/32", "127.0.0.1"])
        lsock = socket.socket()
        self.addCleanup(lsock.close)
        lsock.bind((srv.ip, 0))
        lsock.listen(1)
        client = socket.create_connection(lsock.getsockname(), timeout=10)
        self.addCleanup(client.close)
        conn, _ = lsock.accept()
        env = {"PATH": "/usr/bin:/bin", "SLUICE_ROOT": srv.root, "QMAILQUEUE": srv.queueprog}
        if os.geteuid() == 0:
            env["SLUICE_DROP"] = "sluiced"
        with open(srv.path("smtpd.log"), "ab") as log:
            p = subprocess.Popen([harness.prog("sluice-smtpd")], stdin=conn.fileno(),
                                 stdout=conn.fileno(), stderr=log, env=env)
        conn.close()
        try:
            f = client.makefile("rb")
            self.assertTrue(f.readline().startswith(b"220 "))
            client.sendall(b"HELO sd.example\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@far.test>\r\nQUIT\r\n")
            replies = [f.readline()[:3] for _ in range(4)]
            self.assertEqual(replies, [b"250", b"250", b"250", b"221"], "relay list matched the socket peer")
        finally:
            self.assertEqual(p.wait(timeout=15), 0)
        srv.wait_log("session ip=127.0.0.1 mode=mx helo=sd.example")


class BrokenKey(unittest.TestCase):
    """The TLS context is built at the first STARTTLS: a key that does not
    match the certificate gives 454 there, and the session goes on."""

    def test_mismatched_key(self):
        import shutil
        import tempfile
        import harness
        srv = smtpdlib.SmtpdServer(mode="mx")
        self.addCleanup(srv.cleanup)
        other = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, other, True)
        harness.make_cert(other)
        shutil.copy(os.path.join(other, "key.pem"), srv.path("tls", "key.pem"))
        srv.start()
        c = smtplib.SMTP(srv.ip, srv.port, timeout=15)
        self.addCleanup(c.close)
        code, text = c.ehlo("x.example")
        self.assertIn(b"STARTTLS", text)
        self.assertEqual(c.docmd("STARTTLS")[0], 454)
        self.assertEqual(c.noop()[0], 250)
        c.quit()
        srv.wait_log("TLS not available")
