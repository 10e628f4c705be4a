"""End-to-end paths through the whole suite, each with real clients.

One instance for the module: domain example.test with alice and bob, a
dnsmasq on loopback serving MX records for mx.test, an aiosmtpd receiving
server for the static route of routed.test, and another on port 25 of a
loopback address as the MX of mx.test.

  - an outside server delivers on port 25; bob downloads it with mpop (STLS)
    and it is deleted from the Maildir
  - alice submits on 587 (STARTTLS + AUTH, swaks) to bob and to routed.test
  - alice submits to mx.test, delivered through the MX record
  - a remote 550 becomes an RFC 3464 bounce that alice reads over POP3
  - sluice-sendmail -t from the command line reaches bob, Bcc removed
"""
import email
import email.policy
import os
import poplib
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import time
import unittest

import harness

ALICE_PW = "alice-Secret-1"
BOB_PW = "bob-Secret-2"


def setUpModule():
    global inst, dns, sink, mxsink
    sink = harness.SmtpSink()
    mxsink = harness.SmtpSink(ip=harness.pick_ip(), port=25)
    dns = harness.Dnsmasq(mx=[("mx.test", "mx1.mx.test", 10)], hosts=[("mx1.mx.test", mxsink.ip)])
    inst = harness.Instance()
    inst.conf("domain", "add", "example.test")
    inst.add_user("alice@example.test", ALICE_PW)
    inst.add_user("bob@example.test", BOB_PW)
    inst.conf("route", "add", "routed.test", "%s:%d" % (sink.ip, sink.port))
    inst.set("resolvers", dns.resolver)
    inst.set("notipme", mxsink.ip)      # loopback, but another mail server
    inst.start()


def tearDownModule():
    inst.cleanup()
    dns.stop()
    sink.stop()
    mxsink.stop()


def submit_tls(frm, to, msg):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP(inst.ip, inst.ports["submission"], timeout=30) as c:
        c.starttls(context=ctx)
        c.login("alice@example.test", ALICE_PW)
        return c.sendmail(frm, to, msg)


class EndToEnd(unittest.TestCase):
    def test_1_mx_in_then_mpop_download_and_delete(self):
        before = len(inst.messages("bob@example.test"))
        with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as c:
            c.sendmail("carol@elsewhere.test", ["bob@example.test"],
                       b"From: carol@elsewhere.test\r\nTo: bob@example.test\r\n"
                       b"Subject: e2e mpop\r\n\r\nhello bob via port 25\r\n")
        inst.wait_mail("bob@example.test", before + 1)
        work = tempfile.mkdtemp()
        try:
            mbox = os.path.join(work, "mbox")
            open(mbox, "w").close()
            conf = os.path.join(work, "mpoprc")
            with open(conf, "w") as f:
                f.write("account default\nhost %s\nport %d\ntls on\ntls_starttls on\n"
                        "tls_certcheck off\nauth user\nuser bob@example.test\npassword %s\n"
                        "delivery mbox %s\nkeep off\nonly_new off\n"
                        % (inst.ip, inst.ports["pop3"], BOB_PW, mbox))
            os.chmod(conf, 0o600)
            p = subprocess.run(["mpop", "-C", conf, "-q"], capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, HOME=work))
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(mbox) as f:
                text = f.read()
            self.assertIn("hello bob via port 25", text)
            self.assertIn("Subject: e2e mpop", text)
            self.assertEqual(inst.messages("bob@example.test"), [], "mpop deleted the messages")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_2_submission_local_and_routed(self):
        before = len(inst.messages("bob@example.test"))
        n = len(sink.messages)
        p = subprocess.run(["swaks", "--server", "%s:%d" % (inst.ip, inst.ports["submission"]), "-tls",
                            "--auth", "PLAIN", "--auth-user", "alice@example.test",
                            "--auth-password", ALICE_PW, "--from", "alice@example.test",
                            "--to", "bob@example.test,friend@routed.test",
                            "--header", "Subject: e2e submission", "--body", "to bob and a friend"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        msgs = inst.wait_mail("bob@example.test", before + 1)
        self.assertIn("e2e submission", [m["subject"] for m in msgs])
        harness.wait_for(lambda: len(sink.messages) > n, 30, what="routed delivery")
        frm, rcpts, data = sink.messages[-1]
        self.assertEqual(frm, "alice@example.test")
        self.assertEqual(rcpts, ["friend@routed.test"])
        self.assertIn(b"to bob and a friend", data)
        got = email.message_from_bytes(data, policy=email.policy.default)
        self.assertIn("ESMTPSA", " ".join(got.get_all("received")))

    def test_3_submission_through_mx(self):
        n = len(mxsink.messages)
        submit_tls("alice@example.test", ["someone@mx.test"],
                   b"From: alice@example.test\r\nTo: someone@mx.test\r\nSubject: via mx\r\n\r\nmx path\r\n")
        harness.wait_for(lambda: len(mxsink.messages) > n, 30, what="MX delivery")
        self.assertEqual(mxsink.messages[-1][1], ["someone@mx.test"])
        self.assertIn(b"mx path", mxsink.messages[-1][2])

    def test_4_remote_550_bounce_read_by_pop3(self):
        sink.rcpt_replies["nobody@routed.test"] = "550 5.1.1 no such user here"
        submit_tls("alice@example.test", ["nobody@routed.test"],
                   b"From: alice@example.test\r\nTo: nobody@routed.test\r\nSubject: will bounce\r\n"
                   b"Message-ID: <bounce-me@example.test>\r\n\r\nbody\r\n")
        inst.wait_mail("alice@example.test", 1, 60)
        c = poplib.POP3(inst.ip, inst.ports["pop3"], timeout=30)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c.stls(context=ctx)
        c.user("alice@example.test")
        c.pass_(ALICE_PW)
        count, _ = c.stat()
        self.assertGreaterEqual(count, 1)
        lines = c.retr(count)[1]
        c.quit()
        m = email.message_from_bytes(b"\r\n".join(lines), policy=email.policy.default)
        self.assertEqual(m.get_content_type(), "multipart/report")
        self.assertEqual(m.get_param("report-type"), "delivery-status")
        parts = list(m.iter_parts())
        ds = [p for p in parts if p.get_content_type() == "message/delivery-status"]
        self.assertEqual(len(ds), 1)
        text = ds[0].as_string()
        self.assertIn("nobody@routed.test", text)
        self.assertRegex(text, r"(?i)Status:\s*5\.1\.1")
        self.assertRegex(text, r"(?i)Action:\s*failed")
        self.assertIn("no such user here", text)
        self.assertIn("bounce-me@example.test", m.as_string())

    def test_5_sendmail_t_reaches_bob(self):
        before = len(inst.messages("bob@example.test"))
        msg = (b"From: root@example.test\nTo: bob@example.test\nBcc: alice@example.test\n"
               b"Subject: from the command line\n\ncron says hi\n")
        p = inst.run("sluice-sendmail", "-t", "-i", input=msg)
        self.assertEqual(p.returncode, 0, p.stderr)
        msgs = inst.wait_mail("bob@example.test", before + 1)
        m = [x for x in msgs if x["subject"] == "from the command line"]
        self.assertEqual(len(m), 1)
        self.assertIsNone(m[0]["bcc"], "Bcc header removed")
        self.assertIsNotNone(m[0]["message-id"])
        self.assertIsNotNone(m[0]["date"])
        copies = harness.wait_for(lambda: [x for x in inst.messages("alice@example.test")
                                           if x["subject"] == "from the command line"], 30,
                                  what="the Bcc copy")
        self.assertIsNone(copies[0]["bcc"], "the Bcc recipient does not see the Bcc line either")

    def test_6_postmaster_of_this_host_is_delivered(self):
        """RFC 5321: postmaster@<this host> and a bare <Postmaster> are
        always accepted, and then delivered, never bounced (no backscatter)."""
        box = inst.path("mail", "postmaster", "Maildir")
        before = len(harness.read_maildir(box))
        with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as c:
            c.sendmail("dave@elsewhere.test", ["postmaster@%s" % inst.me],
                       b"Subject: to postmaster at me\r\n\r\nhi\r\n")
            c.ehlo()
            c.mail("dave@elsewhere.test")
            code, _ = c.rcpt("<Postmaster>")
            self.assertEqual(code, 250)
            code, _ = c.data(b"Subject: to bare Postmaster\r\n\r\nhi\r\n")
            self.assertEqual(code, 250)
        msgs = harness.wait_for(lambda: (lambda m: m if len(m) >= before + 2 else None)(
            harness.read_maildir(box)), 30, what="two messages for the postmaster")
        self.assertEqual({m["subject"] for m in msgs[-2:]},
                         {"to postmaster at me", "to bare Postmaster"})
        self.assertNotIn("5.1.2", inst.log("send"))


if __name__ == "__main__":
    unittest.main()
