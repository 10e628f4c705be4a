"""SRS: forwarded mail passes SPF at the next hop, and its bounces come back.

An instance for example.test forwards fwd@example.test to
carol@remote.test (a static route to an aiosmtpd sink).  A dnsmasq on
loopback serves the SPF record `sluice-conf dns example.test` printed, an
A record for the host, and for origin.test an SPF record that allows only
192.0.2.1.  pyspf (python3-spf) judges the forward as the next hop would:

  - the forward's envelope sender is an SRS0 address at example.test, and
    SPF passes for it from the address sluice connected from, where the
    original sender would have failed
  - a bounce to that SRS address is accepted at RCPT and delivered to the
    original sender; a forged or damaged SRS address gets 550 at RCPT
  - `set srssecret ""` turns rewriting off
"""
import re
import smtplib
import unittest

import harness


def setUpModule():
    global inst, dns, sink
    sink = harness.SmtpSink()
    inst = harness.Instance()
    inst.conf("domain", "add", "example.test")
    inst.add_user("bob@example.test", "bob-Secret-2")
    inst.conf("alias", "add", "fwd@example.test", "carol@remote.test")
    inst.conf("route", "add", "remote.test", "%s:%d" % (sink.ip, sink.port))
    inst.conf("route", "add", "origin.test", "%s:%d" % (sink.ip, sink.port))
    spf = re.search(r'^example\.test\. IN TXT "(v=spf1[^"]*)"$', inst.conf("dns", "example.test").stdout, re.M)
    assert spf, "sluice-conf dns printed no SPF record"
    dns = harness.Dnsmasq(
        mx=[("example.test", inst.me, 10)],
        hosts=[(inst.me, "127.0.0.1")],
        extra=["--txt-record=example.test,%s" % spf.group(1),
               "--txt-record=origin.test,v=spf1 ip4:192.0.2.1 -all"])
    inst.start()


def tearDownModule():
    inst.cleanup()
    dns.stop()
    sink.stop()


def spf_check(ip, sender, helo):
    import dns.resolver
    import spf
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [dns_ip()]
    r.port = dns_port()
    dns.resolver.default_resolver = r
    return spf.check2(i=ip, s=sender, h=helo)[0]


def dns_ip():
    return dns.ip


def dns_port():
    return dns.port


def send(frm, to, subject, port_name="smtp"):
    msg = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nbody\r\n" % (frm or "MAILER-DAEMON@origin.test", to, subject)
    with smtplib.SMTP(inst.ip, inst.ports[port_name], timeout=30) as c:
        return c.sendmail(frm, [to], msg)


def at_sink(subject, timeout=30):
    def find():
        for i, (frm, rcpts, data) in enumerate(sink.messages):
            if ("Subject: %s" % subject).encode() in data:
                return frm, rcpts, data, sink.sessions[i]["peer"] if i < len(sink.sessions) else None
        return None
    return harness.wait_for(find, timeout, what="%r at the sink" % subject)


class Srs(unittest.TestCase):
    def test_forward_passes_spf_and_bounce_returns(self):
        send("someone@origin.test", "fwd@example.test", "srs-1")
        frm, rcpts, data, peer = at_sink("srs-1")
        self.assertEqual(rcpts, ["carol@remote.test"])
        self.assertRegex(frm, r"^SRS0=[a-z2-7]{6}=[a-z2-7]{2}=origin\.test=someone@example\.test$")
        self.assertEqual(spf_check(peer, frm, inst.me), "pass")
        self.assertEqual(spf_check(peer, "someone@origin.test", inst.me), "fail",
                         "without SRS the forward would have failed SPF")
        # the next hop bounces: to the SRS address, which leads back
        send("", frm, "srs-bounce-1")
        bfrm, brcpts, bdata, _ = at_sink("srs-bounce-1")
        self.assertEqual(brcpts, ["someone@origin.test"])
        self.assertIn(bfrm, ("", "<>"))

    def test_forged_srs_address_is_refused(self):
        send("someone@origin.test", "fwd@example.test", "srs-2")
        frm = at_sink("srs-2")[0]
        local, dom = frm.split("@")
        forged = local[:5] + ("a" if local[5] != "a" else "b") + local[6:] + "@" + dom
        for bad in (forged, "SRS0=zzzzzz=zz=origin.test=someone@example.test", "SRS0=x@example.test",
                    local.replace("=someone", "=mallory") + "@" + dom):
            with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as c:
                c.ehlo("bouncer.test")
                c.mail("")
                code, text = c.rcpt(bad)
                self.assertEqual(code, 550, bad)

    def test_no_secret_no_rewriting(self):
        old = inst.conf("get", "srssecret").stdout.strip()
        self.assertRegex(old, r"^[0-9a-f]{32}$", "init made a secret")
        inst.set("srssecret", "")
        try:
            send("someone@origin.test", "fwd@example.test", "srs-3")
            self.assertEqual(at_sink("srs-3")[0], "someone@origin.test")
        finally:
            inst.set("srssecret", old)

    def test_secret_is_not_world_readable(self):
        import os
        st = os.stat(inst.path("control", "srssecret"))
        self.assertEqual(st.st_mode & 0o007, 0)


if __name__ == "__main__":
    unittest.main()
