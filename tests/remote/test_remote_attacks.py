"""sluice-remote against what an outside review proved:

- a smarthost password went to whoever answered with any certificate:
  a fake smarthost (aiosmtpd with STARTTLS and AUTH, a self-signed
  certificate) must get no AUTH unless the route verifies its certificate
  (tls=verify, cafile=) or pins it (tls=fingerprint:); the delivery defers
  with the reason in the log;
- mail exchangers on loopback addresses other than 127.0.0.1, on ::1, or
  on this instance's own listen address were not seen as this host (the
  MX loop check), with dnsmasq serving the records;
- a queue file with bare CR, bare LF or NUL must not put them on the wire
  (a raw capturing server records the DATA octets).
"""
import os
import shutil
import socket
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402
import remotelib  # noqa: E402

USER, PASSWORD = "relayuser", "relay-Secret-9"


fingerprint = remotelib.cert_fingerprint


class SmarthostCredentials(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-remote-smarthost-")
        cls.ip = harness.pick_ip()
        cls.port = harness.free_port(cls.ip)
        ctx = remotelib.tls_context(cls.tmp, "smart.test")
        cls.cert = os.path.join(cls.tmp, "cert.pem")
        cls.other = tempfile.mkdtemp(prefix="sluice-remote-othercert-")
        harness.make_cert(cls.other, "smart.test")
        cls.rec = remotelib.Recorder(cls.ip, cls.port, tls_context=ctx, logins={USER: PASSWORD})
        cls.dns = harness.Dnsmasq(hosts=[("smart.test", cls.ip)])

    @classmethod
    def tearDownClass(cls):
        cls.rec.stop()
        cls.dns.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        shutil.rmtree(cls.other, ignore_errors=True)

    def deliver(self, *options, env=None):
        del self.rec.logins[:]
        del self.rec.messages[:]
        root = remotelib.Root(resolvers=self.dns.resolver)
        try:
            root.routes({".": ("smart.test:%d" % self.port,) + options})
            root.remoteauth("smart.test %s %s\n" % (USER, PASSWORD))
            return root.run("example.org", ["x@example.org"],
                            env=env or {"SSL_CERT_FILE": "/nonexistent"})
        finally:
            root.cleanup()

    def assert_no_password(self, rc, lines, err):
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.7."), lines)
        self.assertEqual(self.rec.logins, [], "the password went to an unverified server")
        self.assertEqual(self.rec.messages, [])

    def test_opportunistic_tls_sends_no_password(self):
        rc, lines, err, _ = self.deliver()
        self.assert_no_password(rc, lines, err)
        self.assertIn("not sending credentials: TLS certificate not verified", lines[0])
        self.assertIn("not sending credentials", err)      # the log says why

    def test_tls_verify_with_an_untrusted_certificate_sends_no_password(self):
        rc, lines, err, _ = self.deliver("tls=verify")
        self.assert_no_password(rc, lines, err)
        self.assertIn("certificate verification failed", lines[0])

    def test_wrong_fingerprint_sends_no_password(self):
        rc, lines, err, _ = self.deliver("tls=fingerprint:" + fingerprint(os.path.join(self.other, "cert.pem")))
        self.assert_no_password(rc, lines, err)
        self.assertIn("does not match the route's tls=fingerprint", lines[0])

    def test_cafile_that_does_not_sign_it_sends_no_password(self):
        rc, lines, err, _ = self.deliver("cafile=" + os.path.join(self.other, "cert.pem"))
        self.assert_no_password(rc, lines, err)

    def assert_delivered_with_login(self, rc, lines, err):
        self.assertEqual(rc, 0, err)
        self.assertEqual([l[1] for l in self.rec.logins], [USER])
        self.assertEqual(len(self.rec.messages), 1)
        self.assertTrue(self.rec.messages[0][3], "over TLS")
        self.assertTrue(self.rec.messages[0][4], "authenticated")

    def test_pinned_fingerprint_sends_password(self):
        fp = fingerprint(self.cert)
        rc, lines, err, _ = self.deliver("tls=fingerprint:" + fp)
        self.assert_delivered_with_login(rc, lines, err)
        # without colons, lower case, and beside a second (rollover) pin
        other = fingerprint(os.path.join(self.other, "cert.pem"))
        rc, lines, err, _ = self.deliver("tls=fingerprint:" + other,
                                         "tls=fingerprint:" + fp.replace(":", "").lower())
        self.assert_delivered_with_login(rc, lines, err)

    def test_cafile_sends_password(self):
        rc, lines, err, _ = self.deliver("cafile=" + self.cert)
        self.assert_delivered_with_login(rc, lines, err)

    def test_tls_verify_with_trusted_certificate_sends_password(self):
        rc, lines, err, _ = self.deliver("tls=verify", env={"SSL_CERT_FILE": self.cert})
        self.assert_delivered_with_login(rc, lines, err)


class SmarthostInQueue(unittest.TestCase):
    """The whole way: sluice-sendmail into a real instance whose smarthost
    route has credentials but no verification; the message stays in the
    queue, the log says why, and the fake smarthost saw no AUTH."""

    def test_message_stays_queued(self):
        tmp = tempfile.mkdtemp(prefix="sluice-remote-smartq-")
        self.addCleanup(shutil.rmtree, tmp, True)
        ip = harness.pick_ip()
        port = harness.free_port(ip)
        rec = remotelib.Recorder(ip, port, tls_context=remotelib.tls_context(tmp, "smart.test"),
                                 logins={USER: PASSWORD})
        self.addCleanup(rec.stop)
        dns = harness.Dnsmasq(hosts=[("smart.test", ip)])
        self.addCleanup(dns.stop)
        inst = harness.Instance()
        self.addCleanup(inst.cleanup)
        inst.set("resolvers", dns.resolver)
        inst.conf("route", "add", ".", "smart.test:%d" % port)
        inst.conf("remoteauth", "add", "smart.test", USER, input=PASSWORD + "\n", check=False)
        if not os.path.exists(inst.path("control", "remoteauth")):
            self.skipTest("sluice-conf has no remoteauth command here")
        inst.start(wait=())
        p = inst.run("sluice-sendmail", "-f", "a@example.test", "x@example.org",
                     input=b"Subject: to the smarthost\n\nhello\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        harness.wait_for(lambda: "not sending credentials" in inst.log("send"), timeout=60,
                         what="the reason in the log")
        self.assertEqual(rec.logins, [])
        self.assertEqual(rec.messages, [])
        q = inst.run("sluice-qstat")
        self.assertIn(b"1", q.stdout + q.stderr)


class LoopbackMx(unittest.TestCase):
    """Every loopback address is this host; so are the instance's own
    listen addresses, unless notipme says otherwise (never for those)."""

    @classmethod
    def setUpClass(cls):
        cls.listen_ip = harness.pick_ip()
        cls.other_ip = harness.pick_ip()
        mx = [("lo2.test", "mx.lo2.test", 10), ("lo6.test", "mx.lo6.test", 10),
              ("bind.test", "mx.bind.test", 10), ("other.test", "mx.other.test", 10),
              ("backup.test", "mx1.backup.test", 10), ("backup.test", "mx2.backup.test", 20)]
        hosts = [("mx.lo2.test", "127.0.0.2"), ("mx.lo6.test", "::1"),
                 ("mx.bind.test", cls.listen_ip), ("mx.other.test", cls.other_ip),
                 ("mx1.backup.test", cls.other_ip), ("mx2.backup.test", "127.0.0.3")]
        cls.dns = harness.Dnsmasq(mx=mx, hosts=hosts)

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()

    def setUp(self):
        self.root = remotelib.Root(resolvers=self.dns.resolver)
        with open(self.root.path("control", "listen"), "w") as f:
            f.write("smtp %s 25\nsubmission %s 587\n" % (self.listen_ip, self.listen_ip))

    def tearDown(self):
        self.root.cleanup()

    def assert_loop(self, domain):
        rc, lines, err, _ = self.root.run(domain, ["x@" + domain])
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5.4.6 "), lines)
        self.assertIn("loops back to this host", lines[0])

    def test_mx_on_127_0_0_2_is_this_host(self):
        self.assert_loop("lo2.test")

    def test_mx_on_ipv6_loopback_is_this_host(self):
        self.assert_loop("lo6.test")

    def test_mx_on_a_listen_address_is_this_host(self):
        self.assert_loop("bind.test")
        # notipme cannot make a listen address someone else
        self.root.set("notipme", "%s,127.0.0.0/8" % self.listen_ip)
        self.assert_loop("bind.test")

    def test_address_literal_on_loopback_is_this_host(self):
        self.assert_loop("[127.0.0.2]")
        self.assert_loop("[IPv6:::1]")

    def test_backup_mx_on_loopback_leaves_the_better_one(self):
        # mx2 (127.0.0.3) is this host: only mx1 (another loopback address
        # that notipme names a different server, with nothing on port 25)
        self.root.set("notipme", self.other_ip)
        rc, lines, err, _ = self.root.run("backup.test", ["x@backup.test"])
        self.assertEqual(rc, 111, err)
        self.assertIn("mx1.backup.test[%s]" % self.other_ip, lines[0])
        self.assertNotIn("127.0.0.3", err)

    def test_notipme_names_another_server(self):
        self.assert_loop("other.test")
        self.root.set("notipme", self.other_ip + "/32")
        rc, lines, err, _ = self.root.run("other.test", ["x@other.test"])
        self.assertEqual(rc, 111, err)          # tried (nothing listens), not a loop
        self.assertIn("mx.other.test[%s]" % self.other_ip, lines[0])


class Capture:
    """A minimal SMTP server that records the raw octets of DATA."""

    def __init__(self):
        self.ip = harness.pick_ip()
        self.sock = socket.socket()
        self.sock.bind((self.ip, 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(4)
        self.sock.settimeout(30)
        self.data = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            c, _ = self.sock.accept()
        except OSError:
            return
        c.settimeout(30)
        f = c.makefile("rb")
        c.sendall(b"220 capture\r\n")
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line[:4].upper()
                if cmd == b"DATA":
                    c.sendall(b"354 go\r\n")
                    raw = b""
                    while not raw.endswith(b"\r\n.\r\n"):
                        chunk = f.readline()
                        if not chunk:
                            return
                        raw += chunk
                    self.data.append(raw)
                    c.sendall(b"250 ok\r\n")
                elif cmd == b"QUIT":
                    c.sendall(b"221 bye\r\n")
                    return
                else:
                    c.sendall(b"250 ok\r\n")
        finally:
            c.close()

    def stop(self):
        self.sock.close()
        self.thread.join(timeout=10)


class NoBareOctetsOnTheWire(unittest.TestCase):
    def test_bare_cr_lf_and_nul_never_sent(self):
        cap = Capture()
        self.addCleanup(cap.stop)
        root = remotelib.Root()
        self.addCleanup(root.cleanup)
        root.routes({"example.org": "%s:%d" % (cap.ip, cap.port)})
        msg = (b"Subject: smuggle\n\nline\r.\rMAIL FROM:<evil@x>\rDATA\r\n"
               b"x\n\0.\nRCPT TO:<y@x>\n.\0\nend\0\r")
        rc, lines, err, _ = root.run("example.org", ["x@example.org"], msg=msg)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(cap.data), 1)
        raw = cap.data[0]
        self.assertNotIn(b"\0", raw)
        body = raw.replace(b"\r\n", b"")
        self.assertNotIn(b"\r", body, "bare CR on the wire: %r" % raw)
        self.assertNotIn(b"\n", body, "bare LF on the wire: %r" % raw)
        # the only line that is "." is the last
        self.assertEqual(raw.split(b"\r\n").count(b"."), 1, raw)


class TricklingServer(unittest.TestCase):
    """A peer that sends its greeting one continuation line a second
    (every line in time, the reply never complete) is given up after
    timeoutremote, not after one timeout per line."""

    def test_trickled_greeting(self):
        ip = harness.pick_ip()
        srv = socket.socket()
        srv.bind((ip, 0))
        srv.listen(4)
        port = srv.getsockname()[1]
        stop = threading.Event()

        def serve():
            srv.settimeout(30)
            try:
                c, _ = srv.accept()
            except OSError:
                return
            with c:
                while not stop.is_set():
                    try:
                        c.sendall(b"220-still greeting\r\n")
                    except OSError:
                        return
                    stop.wait(1)

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        self.addCleanup(t.join, 10)
        self.addCleanup(stop.set)
        self.addCleanup(srv.close)
        root = remotelib.Root(timeoutremote=5)
        self.addCleanup(root.cleanup)
        root.routes({"example.org": "%s:%d" % (ip, port)})
        rc, lines, err, secs = root.run("example.org", ["x@example.org"])
        self.assertEqual(rc, 111, err)
        self.assertIn("timed out waiting for the reply to the greeting", lines[0])
        self.assertLess(secs, 12, "a trickled reply held the delivery for %.0f s" % secs)


if __name__ == "__main__":
    unittest.main()
