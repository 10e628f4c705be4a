"""sluice-remote as an SMTP client, by static route (control/routes.cdb),
against receiving servers nobody here wrote: aiosmtpd and postfix's
smtp-sink.  Covers delivery, the wire format (CRLF, dot-stuffing),
451 then 250 on retry, 550 for one of two recipients, a dead or silent
peer, STARTTLS (opportunistic and tls=verify), AUTH to a smarthost over
TLS only, SIZE, PIPELINING, HELO fallback, 4xx/5xx greetings, IPv6.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402
import remotelib  # noqa: E402
from remotelib import MSG  # noqa: E402

WIRE = MSG.replace(b"\n", b"\r\n")


def has_ipv6_loopback():
    try:
        return harness.can_bind("::1", 0)
    except OSError:
        return False


class StaticRouteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-remote-tls-")
        cls.ctx = remotelib.tls_context(cls.tmp)
        # credentials only go to a verified or pinned certificate
        cls.pin = "tls=fingerprint:" + remotelib.cert_fingerprint(os.path.join(cls.tmp, "cert.pem"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.root = remotelib.Root()
        self.peers = []

    def tearDown(self):
        for p in self.peers:
            p.stop()
        self.root.cleanup()

    def sink(self, **kw):
        s = harness.SmtpSink(**kw)
        self.peers.append(s)
        return s

    def route_to(self, peer, *opts, domain="example.net"):
        self.root.routes({domain: ("%s:%d" % (peer.ip, peer.port),) + opts})

    def test_static_route_delivers_both_recipients(self):
        s = self.sink()
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net", "y@example.net"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(lines), 2)
        for line in lines:
            self.assertTrue(line.startswith("K2.0.0 "), line)
            self.assertIn("[%s] said: 250" % s.ip, line)
        self.assertEqual(len(s.messages), 1)
        mail_from, rcpts, content = s.messages[0]
        self.assertEqual(mail_from, "a@sender.test")
        self.assertEqual(rcpts, ["x@example.net", "y@example.net"])
        # aiosmtpd undoes the dot-stuffing: the content is the message with CRLF
        self.assertEqual(content, WIRE)
        self.assertIn("qid=oneshot attempt relay=%s[%s]:%d tls=none accepted=2/2: delivered"
                      % (s.ip, s.ip, s.port), err)

    def test_smarthost_route(self):
        s = self.sink()
        self.route_to(s, domain=".")
        rc, lines, err, _ = self.root.run("anywhere.example", ["x@anywhere.example"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(s.messages), 1)

    def test_smarthost_takes_address_literals(self):
        s = self.sink()
        self.route_to(s, domain=".")
        lit = "[%s]" % harness.pick_ip()     # loopback, so a bug cannot reach out
        rc, lines, err, _ = self.root.run(lit, ["x@" + lit])
        self.assertEqual(rc, 0, err)
        self.assertEqual(s.messages[0][1], ["x@" + lit])

    def test_domain_route_beats_smarthost(self):
        good, other = self.sink(), self.sink()
        self.root.routes({"example.net": "%s:%d" % (good.ip, good.port),
                          ".": "%s:%d" % (other.ip, other.port)})
        rc, _, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 0, err)
        self.assertEqual((len(good.messages), len(other.messages)), (1, 0))

    def test_451_then_250_on_retry(self):
        s = self.sink()
        s.data_replies = ["451 4.3.0 try again later"]
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.3.0 "), lines)
        self.assertIn("said: 451 4.3.0 try again later", lines[0])
        self.assertEqual(s.messages, [])
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 0, err)
        self.assertTrue(lines[0].startswith("K2.0.0 "), lines)
        self.assertEqual(len(s.messages), 1)

    def test_550_for_one_of_two_recipients(self):
        s = self.sink()
        s.rcpt_replies["bad@example.net"] = "550 5.1.1 no such user here"
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["good@example.net", "bad@example.net"])
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("K2.0.0 "), lines)
        self.assertTrue(lines[1].startswith("D5.1.1 "), lines)
        self.assertIn("[%s] said: 550 5.1.1 no such user here (in reply to RCPT TO)" % s.ip, lines[1])
        self.assertEqual([m[1] for m in s.messages], [["good@example.net"]])

    def test_450_for_one_recipient_defers_only_it(self):
        s = self.sink()
        s.rcpt_replies["later@example.net"] = "450 4.2.1 mailbox busy"
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["later@example.net", "now@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.2.1 "), lines)
        self.assertTrue(lines[1].startswith("K2.0.0 "), lines)

    def test_all_recipients_refused_sends_no_data(self):
        s = self.sink()
        s.rcpt_replies["a@example.net"] = "550 5.1.1 nope"
        s.rcpt_replies["b@example.net"] = "553 5.1.3 bad"
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["a@example.net", "b@example.net"])
        self.assertEqual(rc, 100, err)
        self.assertEqual([l[:6] for l in lines], ["D5.1.1", "D5.1.3"])
        self.assertEqual(s.sessions, [])   # DATA never reached the handler

    def test_dead_peer_defers(self):
        ip = harness.pick_ip()
        port = harness.free_port(ip)
        self.root.routes({"example.net": "%s:%d" % (ip, port)})
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net", "y@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertEqual(len(lines), 2)
        for line in lines:
            self.assertTrue(line.startswith("Z4.4.1 "), line)
            self.assertIn("cannot connect", line)
        self.assertIn("tls=none accepted=0/2: ", err)

    def test_silent_peer_times_out_and_defers(self):
        ip = harness.pick_ip()
        peer = remotelib.SilentServer(ip, harness.free_port(ip))
        self.peers.append(peer)
        self.route_to(peer)
        rc, lines, err, secs = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.4.2 "), lines)
        self.assertIn("timed out", lines[0])
        self.assertLess(secs, 20)

    def test_starttls_used_when_offered(self):
        s = self.sink(tls_context=self.ctx)
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(s.messages), 1)
        self.assertEqual([x["tls"] for x in s.sessions], [True])
        self.assertRegex(err, r"tls=TLSv1\.[23] \S+ \d+ accepted=1/1: delivered")

    def test_tls_verify_to_an_ip_route_defers(self):
        # no name to check the certificate against: never "verified"
        s = self.sink(tls_context=self.ctx)
        self.route_to(s, "tls=verify")
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"],
                                          env={"SSL_CERT_FILE": os.path.join(self.tmp, "cert.pem")})
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.7.5 "), lines)
        self.assertIn("tls=verify needs a route to a host name", lines[0])
        self.assertEqual(s.messages, [])

    def test_tls_verify_without_starttls_defers(self):
        s = self.sink()
        self.route_to(s, "tls=verify")
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.7.4 "), lines)
        self.assertEqual(s.messages, [])

    def test_unknown_route_option_is_a_config_error(self):
        s = self.sink()
        # sluice-conf refuses the option, so this one routes.cdb is written
        # by hand (tinycdb's cdb), on purpose
        k, v = b"example.net", b"%s:%d\0tls=sometimes" % (s.ip.encode(), s.port)
        subprocess.run(["cdb", "-c", self.root.path("control", "routes.cdb")], check=True, timeout=30,
                       input=b"+%d,%d:%s->%s\n\n" % (len(k), len(v), k, v))
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.3.5 "), lines)

    def recorder(self, **kw):
        ip = harness.pick_ip()
        r = remotelib.Recorder(ip, harness.free_port(ip), **kw)
        self.peers.append(r)
        return r

    def test_auth_plain_to_smarthost_over_tls(self):
        r = self.recorder(tls_context=self.ctx, logins={"alice": "s3cret pw"})
        self.root.routes({".": ("%s:%d" % (r.ip, r.port), self.pin)})
        self.root.remoteauth("# smarthost login\n%s alice s3cret pw\n" % r.ip)
        rc, lines, err, _ = self.root.run("example.org", ["x@example.org"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(r.logins, [("PLAIN", "alice", "s3cret pw")])
        self.assertEqual(len(r.messages), 1)
        self.assertTrue(r.messages[0][3])      # over TLS
        self.assertNotIn("s3cret", err)

    def test_auth_refused_defers(self):
        r = self.recorder(tls_context=self.ctx, logins={"alice": "right"})
        self.root.routes({".": ("%s:%d" % (r.ip, r.port), self.pin)})
        self.root.remoteauth("%s alice wrong\n" % r.ip)
        rc, lines, err, _ = self.root.run("example.org", ["x@example.org"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4."), lines)
        self.assertIn("(in reply to AUTH)", lines[0])
        self.assertEqual(r.messages, [])

    def test_auth_login_when_plain_is_not_offered(self):
        r = self.recorder(tls_context=self.ctx, logins={"bob": "pw"}, exclude_auth=["PLAIN"])
        self.root.routes({".": ("%s:%d" % (r.ip, r.port), self.pin)})
        self.root.remoteauth("%s bob pw\n" % r.ip)
        rc, lines, err, _ = self.root.run("example.org", ["x@example.org"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(r.logins, [("LOGIN", "bob", "pw")])
        self.assertEqual(len(r.messages), 1)

    def test_remoteauth_readable_by_others_is_refused(self):
        r = self.recorder(tls_context=self.ctx, logins={"alice": "pw"})
        self.root.routes({".": "%s:%d" % (r.ip, r.port)})
        self.root.remoteauth("%s alice pw\n" % r.ip, mode=0o644)
        rc, lines, err, _ = self.root.run("example.org", ["x@example.org"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.3.5 "), lines)
        self.assertIn("0600", lines[0])
        self.assertEqual(r.logins, [])

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_started_as_root_it_runs_as_sluicer(self):
        # a root-owned remoteauth is not "its own" file any more: proof of the switch
        r = self.recorder(tls_context=self.ctx, logins={"alice": "pw"})
        self.root.routes({".": "%s:%d" % (r.ip, r.port)})
        self.root.remoteauth("%s alice pw\n" % r.ip)
        os.chown(self.root.path("control", "remoteauth"), 0, 0)
        rc, lines, err, _ = self.root.run("example.org", ["x@example.org"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.3.5 "), lines)
        self.assertEqual(r.logins, [])

    def test_no_credentials_without_tls(self):
        r = self.recorder(logins={"alice": "pw"})      # AUTH offered, no STARTTLS
        self.root.routes({".": "%s:%d" % (r.ip, r.port)})
        self.root.remoteauth("%s alice pw\n" % r.ip)
        rc, lines, err, _ = self.root.run("example.org", ["x@example.org"])
        self.assertEqual(rc, 111, err)
        self.assertIn("without TLS", lines[0])
        self.assertEqual(r.logins, [])

    def test_size_declared_and_limit_respected(self):
        r = self.recorder()
        self.route_to(r)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 0, err)
        self.assertIn("SIZE=%d" % len(WIRE), r.mail_options[0])
        small = self.recorder(data_size_limit=50)
        self.route_to(small)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5.3.4 "), lines)
        self.assertEqual(small.mail_options, [])

    def test_8bit_body_declared(self):
        r = self.recorder()
        self.route_to(r)
        msg = "Subject: caf\u00e9\n\nna\u00efve\n".encode()
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"], msg=msg)
        self.assertEqual(rc, 0, err)
        self.assertIn("BODY=8BITMIME", r.mail_options[0])
        self.assertEqual(r.messages[0][2], msg.replace(b"\n", b"\r\n"))

    def test_smtputf8_address(self):
        r = self.recorder()
        self.route_to(r)
        rc, lines, err, _ = self.root.run("example.net", ["j\u00f6rg@example.net"])
        self.assertEqual(rc, 0, err)
        self.assertIn("SMTPUTF8", r.mail_options[0])
        self.assertEqual(r.messages[0][1], ["j\u00f6rg@example.net"])

    def test_smtputf8_address_refused_without_support(self):
        s = self.smtp_sink()
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["j\u00f6rg@example.net", "x@example.net"])
        self.assertEqual(rc, 100, err)
        self.assertEqual([l[:6] for l in lines], ["D5.6.7", "K2.0.0"])
        d = harness.wait_for(lambda: s.dumps(), 10, what="smtp-sink dump")[0]
        self.assertIn(b"X-Rcpt-Args: <x@example.net>", d)
        self.assertNotIn(b"SMTPUTF8", d)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"], sender="j\u00f6rg@sender.test")
        self.assertEqual(rc, 100, err)
        self.assertEqual([l[:6] for l in lines], ["D5.6.7"])

    def test_tls_handshake_failure_retries_in_plaintext(self):
        import ssl
        bad = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        bad.load_cert_chain(os.path.join(self.tmp, "cert.pem"), os.path.join(self.tmp, "key.pem"))
        bad.maximum_version = ssl.TLSVersion.TLSv1_1     # below our TLS 1.2 minimum
        s = self.sink(tls_context=bad)
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 0, err)
        self.assertEqual([x["tls"] for x in s.sessions], [False])
        self.assertIn("TLS failed", err)
        self.assertIn("tls=none accepted=1/1: delivered", err)

    def test_null_sender(self):
        s = self.sink()
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"], sender="")
        self.assertEqual(rc, 0, err)
        self.assertEqual(s.messages[0][0], "<>")

    def smtp_sink(self, *opts):
        ip = harness.pick_ip()
        s = remotelib.SmtpSinkProc(ip, harness.free_port(ip), *opts)
        self.peers.append(s)
        return s

    def test_smtp_sink_pipelining_many_recipients(self):
        s = self.smtp_sink()
        self.route_to(s)
        rcpts = ["u%d@example.net" % i for i in range(150)]
        rc, lines, err, _ = self.root.run("example.net", rcpts)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(lines), 150)
        self.assertTrue(all(l.startswith("K2.0.0 ") for l in lines))
        dumps = harness.wait_for(lambda: s.dumps(), 10, what="smtp-sink dump")
        d = dumps[0]
        self.assertIn(b"X-Client-Proto: ESMTP", d)
        self.assertIn(b"X-Mail-Args: <a@sender.test>\n", d)   # smtp-sink offers no SIZE
        self.assertEqual(d.count(b"X-Rcpt-Args: <u"), 150)
        self.assertIn(b"\nfirst line\n.starts with a dot\n..two dots\n.\nlast line\n", d)

    def test_helo_fallback(self):
        s = self.smtp_sink("-e")
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 0, err)
        d = harness.wait_for(lambda: s.dumps(), 10, what="smtp-sink dump")[0]
        self.assertIn(b"X-Client-Proto: SMTP", d)
        self.assertIn(b"X-Helo-Args: me.sluice.test", d)

    def test_5xx_greeting_bounces_when_it_is_the_only_host(self):
        s = self.smtp_sink("-f", "connect")
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("D5."), lines)
        self.assertIn("(in reply to the greeting)", lines[0])

    def test_4xx_greeting_defers(self):
        s = self.smtp_sink("-r", "connect")
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4."), lines)

    def test_5xx_mail_from_bounces_all(self):
        s = self.smtp_sink("-f", "mail")
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net", "y@example.net"])
        self.assertEqual(rc, 100, err)
        self.assertEqual(len(lines), 2)
        self.assertTrue(all(l.startswith("D5.") and "MAIL FROM" in l for l in lines), lines)

    def test_data_refused(self):
        hard = self.smtp_sink("-f", "data")
        self.route_to(hard)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net", "y@example.net"])
        self.assertEqual(rc, 100, err)
        self.assertTrue(all(l.startswith("D5.") and "(in reply to DATA)" in l for l in lines), lines)
        soft = self.smtp_sink("-r", "data")
        self.route_to(soft)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4."), lines)

    def test_disconnect_after_data_defers(self):
        s = self.smtp_sink("-q", ".")
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.4.2 "), lines)
        self.assertIn("may have been delivered", lines[0])

    def test_slow_data_reply_times_out(self):
        s = self.smtp_sink("-w", "30")         # 30 s before answering DATA; timeoutremote is 5
        self.route_to(s)
        rc, lines, err, secs = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 111, err)
        self.assertTrue(lines[0].startswith("Z4.4.2 "), lines)
        self.assertIn("timed out waiting for the reply to DATA", lines[0])
        self.assertLess(secs, 20)

    @unittest.skipUnless(has_ipv6_loopback(), "no IPv6 loopback")
    def test_ipv6_route(self):
        s = self.sink(ip="::1", port=harness.free_port("::1"))
        self.root.routes({"example.net": "[::1]:%d" % s.port})
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net"])
        self.assertEqual(rc, 0, err)
        self.assertIn("[::1] said: 250", lines[0])
        self.assertEqual(len(s.messages), 1)

    def test_bad_recipient_syntax(self):
        s = self.sink()
        self.route_to(s)
        rc, lines, err, _ = self.root.run("example.net", ["x@example.net", "y>@example.net"])
        self.assertEqual(rc, 100, err)
        self.assertTrue(lines[0].startswith("K"), lines)
        self.assertTrue(lines[1].startswith("D5.1.3 "), lines)


if __name__ == "__main__":
    unittest.main()
