"""sluice-remote's routing by DNS against a real DNS server (dnsmasq on
loopback with made-up records) and receiving servers (aiosmtpd) bound to
port 25 of addresses picked at run time (the tests run as root): MX by
preference with fallback when the first MX is dead or greets with 4xx,
A and AAAA fallback when there is no MX, null MX, NXDOMAIN bounces while
SERVFAIL, REFUSED and a silent resolver defer, and an MX that is this
host (by name or address) is a loop.
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402
import remotelib  # noqa: E402

ME = "me.sluice.test"


@unittest.skipUnless(os.geteuid() == 0, "MX targets need port 25 (run as root)")
class MxRoutingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.peers = []
        cls.dns = None
        try:
            cls.ip_a = remotelib.free_ip_for_port(25)
            cls.ip_b = remotelib.free_ip_for_port(25)
            cls.ip_dead = remotelib.free_ip_for_port(25)
            cls.ip_4xx = remotelib.free_ip_for_port(25)
            cls.a = harness.SmtpSink(ip=cls.ip_a, port=25)
            cls.peers.append(cls.a)
            cls.b = harness.SmtpSink(ip=cls.ip_b, port=25)
            cls.peers.append(cls.b)
            cls.soft = remotelib.SmtpSinkProc(cls.ip_4xx, 25, "-r", "connect")
            cls.peers.append(cls.soft)
            cls.ip_mail4xx = remotelib.free_ip_for_port(25)
            cls.mailsoft = remotelib.SmtpSinkProc(cls.ip_mail4xx, 25, "-r", "mail")
            cls.peers.append(cls.mailsoft)
            mx = [
                ("pref.test", "mxa.pref.test", 10), ("pref.test", "mxb.pref.test", 20),
                ("fallback.test", "dead.fallback.test", 5), ("fallback.test", "mxb.fallback.test", 50),
                ("greet.test", "soft.greet.test", 1), ("greet.test", "mxb.greet.test", 2),
                ("mail.test", "soft.mail.test", 1), ("mail.test", "mxb.mail.test", 2),
                ("nullmx.test", ".", 0),
                ("loop.test", ME, 10),
                ("lo.test", "localhost.lo.test", 10),
                ("backup.test", "mxa.backup.test", 10), ("backup.test", ME, 20),
                ("nohost.test", "missing.nohost.test", 10),
                ("equal.test", "mxa.equal.test", 10), ("equal.test", "mxb.equal.test", 10),
            ]
            hosts = [
                ("mxa.pref.test", cls.ip_a), ("mxb.pref.test", cls.ip_b),
                ("dead.fallback.test", cls.ip_dead), ("mxb.fallback.test", cls.ip_b),
                ("soft.greet.test", cls.ip_4xx), ("mxb.greet.test", cls.ip_b),
                ("soft.mail.test", cls.ip_mail4xx), ("mxb.mail.test", cls.ip_b),
                ("afallback.test", cls.ip_a),
                (ME, "127.0.0.1"), ("localhost.lo.test", "127.0.0.1"),
                ("mxa.backup.test", cls.ip_a),
                ("mxa.equal.test", cls.ip_a), ("mxb.equal.test", cls.ip_b),
            ]
            cls.dns = harness.Dnsmasq(mx=mx, hosts=hosts)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for p in cls.peers:
            p.stop()
        if cls.dns:
            cls.dns.stop()

    def setUp(self):
        # the sinks are on loopback addresses, which are this host unless
        # notipme says they are another mail server
        others = [self.ip_a, self.ip_b, self.ip_dead, self.ip_4xx, self.ip_mail4xx]
        self.root = remotelib.Root(resolvers=self.dns.resolver, me=ME, notipme=",".join(others))
        for s in (self.a, self.b):
            del s.messages[:]
            del s.sessions[:]

    def tearDown(self):
        self.root.cleanup()

    def deliver(self, domain, rcpts=None):
        return self.root.run(domain, rcpts or ["x@" + domain])

    def test_mx_preference(self):
        rc, lines, err, _ = self.deliver("pref.test")
        self.assertEqual(rc, 0, err)
        self.assertIn("mxa.pref.test[%s] said: 250" % self.ip_a, lines[0])
        self.assertEqual((len(self.a.messages), len(self.b.messages)), (1, 0))

    def test_first_mx_dead_falls_back(self):
        rc, lines, err, _ = self.deliver("fallback.test", ["x@fallback.test", "y@fallback.test"])
        self.assertEqual(rc, 0, err)
        self.assertTrue(all("mxb.fallback.test[%s] said: 250" % self.ip_b in l for l in lines), lines)
        self.assertEqual(len(self.b.messages), 1)
        # one log line per attempt: the dead one, then the good one
        self.assertIn("dead.fallback.test[%s]:25 tls=none accepted=0/2: " % self.ip_dead, err)
        self.assertIn("cannot connect", err)
        self.assertIn("mxb.fallback.test[%s]:25 tls=none accepted=2/2: delivered" % self.ip_b, err)

    def test_4xx_greeting_falls_back(self):
        rc, lines, err, _ = self.deliver("greet.test")
        self.assertEqual(rc, 0, err)
        self.assertIn("mxb.greet.test", lines[0])
        self.assertIn("soft.greet.test[%s]:25" % self.ip_4xx, err)

    def test_4xx_to_mail_from_falls_back(self):
        rc, lines, err, _ = self.deliver("mail.test")
        self.assertEqual(rc, 0, err)
        self.assertIn("mxb.mail.test", lines[0])
        self.assertIn("soft.mail.test[%s]:25 tls=none accepted=0/1: " % self.ip_mail4xx, err)
        self.assertIn("(in reply to MAIL FROM)", err)

    def test_equal_preferences_both_used(self):
        seen = set()
        for _ in range(12):
            rc, lines, err, _ = self.deliver("equal.test")
            self.assertEqual(rc, 0, err)
            seen.add("mxa" if "mxa.equal.test" in lines[0] else "mxb")
            if len(seen) == 2:
                break
        self.assertEqual(seen, {"mxa", "mxb"})   # 2**-11 chance of a false failure

    def test_a_fallback_without_mx(self):
        rc, lines, err, _ = self.deliver("afallback.test")
        self.assertEqual(rc, 0, err)
        self.assertIn("afallback.test[%s] said: 250" % self.ip_a, lines[0])
        self.assertEqual(len(self.a.messages), 1)

    def test_null_mx_bounces(self):
        rc, lines, err, _ = self.deliver("nullmx.test")
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5.1.10 "), lines)
        self.assertIn("null MX", lines[0])

    def test_nxdomain_bounces(self):
        rc, lines, err, _ = self.deliver("nonexistent.test", ["x@nonexistent.test", "y@nonexistent.test"])
        self.assertEqual(rc, 100, err)
        self.assertEqual([l[:6] for l in lines], ["D5.1.2", "D5.1.2"])
        self.assertIn("does not exist", lines[0])

    def test_mx_host_without_address_bounces(self):
        rc, lines, err, _ = self.deliver("nohost.test")
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5.4.4 "), lines)

    def test_refused_by_resolver_defers(self):
        # dnsmasq refuses names outside the domains it serves
        rc, lines, err, _ = self.deliver("example.invalid")
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.4.3 "), lines)

    def test_mx_is_me_by_name(self):
        rc, lines, err, _ = self.deliver("loop.test")
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5.4.6 "), lines)

    def test_mx_is_a_local_address(self):
        rc, lines, err, _ = self.deliver("lo.test")
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5.4.6 "), lines)

    def test_backup_mx_that_is_me_uses_better_ones(self):
        rc, lines, err, _ = self.deliver("backup.test")
        self.assertEqual(rc, 0, err)
        self.assertIn("mxa.backup.test", lines[0])

    def test_address_literal(self):
        rc, lines, err, _ = self.root.run("[%s]" % self.ip_a, ["x@[%s]" % self.ip_a])
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(self.a.messages), 1)
        rc, lines, err, _ = self.root.run("[127.0.0.1]", ["x@[127.0.0.1]"])
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5.4.6 "), lines)

    def test_static_route_beats_mx(self):
        self.root.routes({"pref.test": "%s:25" % self.ip_b})
        rc, lines, err, _ = self.deliver("pref.test")
        self.assertEqual(rc, 0, err)
        self.assertEqual((len(self.a.messages), len(self.b.messages)), (0, 1))

    def test_static_route_by_name(self):
        self.root.routes({"other.example": "mxb.pref.test"})
        rc, lines, err, _ = self.deliver("other.example")
        self.assertEqual(rc, 0, err)
        self.assertIn("mxb.pref.test[%s] said: 250" % self.ip_b, lines[0])


class TlsVerifyTest(unittest.TestCase):
    """tls=verify on a route by name: a self-signed certificate fails, the
    same certificate made trusted (SSL_CERT_FILE, read by OpenSSL's default
    verify paths) passes for its name and fails for another name."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-remote-verify-")
        cls.cert = os.path.join(cls.tmp, "cert.pem")
        cls.ip = harness.pick_ip()
        cls.sink = harness.SmtpSink(ip=cls.ip, tls_context=remotelib.tls_context(cls.tmp, "tls.verify.test"))
        cls.dns = harness.Dnsmasq(hosts=[("tls.verify.test", cls.ip), ("other.verify.test", cls.ip)])

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        cls.dns.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def deliver(self, host, trusted):
        root = remotelib.Root(resolvers=self.dns.resolver)
        try:
            root.routes({"example.org": ("%s:%d" % (host, self.sink.port), "tls=verify")})
            env = {"SSL_CERT_FILE": self.cert} if trusted else {"SSL_CERT_FILE": "/nonexistent"}
            return root.run("example.org", ["x@example.org"], env=env)
        finally:
            root.cleanup()

    def test_self_signed_fails(self):
        n = len(self.sink.messages)
        rc, lines, err, _ = self.deliver("tls.verify.test", trusted=False)
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.7.5 "), lines)
        self.assertIn("certificate verification failed", lines[0])
        self.assertEqual(len(self.sink.messages), n)

    def test_trusted_certificate_for_the_name_passes(self):
        n = len(self.sink.messages)
        rc, lines, err, _ = self.deliver("tls.verify.test", trusted=True)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(self.sink.messages), n + 1)
        self.assertIn("tls=TLSv1.", err)

    def test_trusted_certificate_for_another_name_fails(self):
        n = len(self.sink.messages)
        rc, lines, err, _ = self.deliver("other.verify.test", trusted=True)
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.7.5 "), lines)
        self.assertEqual(len(self.sink.messages), n)


@unittest.skipUnless(harness.can_bind("::1", 0), "no IPv6 loopback")
class Ipv6ByNameTest(unittest.TestCase):
    """A route to a host name that has only an AAAA record."""

    def test_aaaa_only_host(self):
        sink = harness.SmtpSink(ip="::1", port=harness.free_port("::1"))
        dns = harness.Dnsmasq(hosts=[("v6only.test", "::1")])
        root = remotelib.Root(resolvers=dns.resolver)
        try:
            root.routes({"example.org": "v6only.test:%d" % sink.port})
            rc, lines, err, _ = root.run("example.org", ["x@example.org"])
        finally:
            root.cleanup()
            dns.stop()
            sink.stop()
        self.assertEqual(rc, 0, err)
        self.assertIn("v6only.test[::1] said: 250", lines[0])
        self.assertEqual(len(sink.messages), 1)


class ResolverFailureTest(unittest.TestCase):
    """Resolver failures must defer, never bounce."""

    def run_with(self, resolver, domain="example.test", by_hand=False, **settings):
        root = remotelib.Root(resolvers=None if by_hand else resolver, **settings)
        if by_hand:
            # a resolvers file sluice-conf would refuse, written on purpose
            root.write_control("resolvers", resolver)
        try:
            return root.run(domain, ["x@" + domain])
        finally:
            root.cleanup()

    def test_servfail_defers(self):
        bad = remotelib.BadDns()
        try:
            rc, lines, err, secs = self.run_with(bad.resolver)
        finally:
            bad.stop()
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.4.3 "), lines)
        self.assertGreater(bad.queries, 0)
        self.assertLess(secs, 10)

    def test_silent_resolver_times_out_and_defers(self):
        bad = remotelib.BadDns(silent=True)
        try:
            rc, lines, err, secs = self.run_with(bad.resolver, timeoutdns=1)
        finally:
            bad.stop()
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.4.3 "), lines)
        self.assertGreater(bad.queries, 0)
        self.assertLess(secs, 6)

    @unittest.skipUnless(harness.can_bind("::1", 0), "no IPv6 loopback")
    def test_ipv6_resolver_address(self):
        dns = harness.Dnsmasq(mx=[], hosts=[], extra=["--listen-address=::1"])
        try:
            rc, lines, err, _ = self.run_with("[::1]:%d" % dns.port, domain="gone.test")
        finally:
            dns.stop()
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5.1.2 "), lines)

    def test_resolvers_one_per_line_second_used(self):
        dns = harness.Dnsmasq()
        dead = harness.free_port("127.0.0.1")       # nothing answers there
        try:
            rc, lines, err, secs = self.run_with(" 127.0.0.1:%d \n%s\n" % (dead, dns.resolver),
                                                 domain="gone.test", by_hand=True)
        finally:
            dns.stop()
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5.1.2 "), lines)

    def test_bad_resolvers_setting_defers(self):
        rc, lines, err, _ = self.run_with("not-an-ip", by_hand=True)
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.3.5 "), lines)


if __name__ == "__main__":
    unittest.main()
