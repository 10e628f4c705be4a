"""sluice-conf's questions an administrator asks (show, user info, auth
test) and check reporting every problem, on real instances with real mail
delivered through SMTP."""
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import shutil
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402

IS_ROOT = os.geteuid() == 0


class AdminCase(unittest.TestCase):
    def setUp(self):
        self.inst = harness.Instance()
        self.addCleanup(self.inst.cleanup)
        self.inst.conf("domain", "add", "example.test")
        self.inst.add_user("alice@example.test", "alice-pw")

    def conf(self, *args, input=None):
        return self.inst.conf(*args, input=input, check=False)

    def ok(self, *args, input=None):
        p = self.conf(*args, input=input)
        self.assertEqual(p.returncode, 0, "sluice-conf %s: %s" % (" ".join(args), p.stderr))
        return p.stdout


class TestShow(AdminCase):
    def test_only_settings_that_differ(self):
        out = self.ok("show").splitlines()
        # me always; resolvers because the harness points it at loopback;
        # a secret made at init is named, never shown
        self.assertIn("me = mail.example.test", out)
        self.assertIn("resolvers = 127.0.0.1:9", out)
        secret = [l for l in out if l.startswith("srssecret")]
        self.assertEqual(secret, ["srssecret = (secret, not shown)"] if secret else [])
        self.assertNotIn(open(self.inst.path("control", "srssecret")).read().strip() or "-", "\n".join(out))
        self.assertLessEqual(len(out), 3, out)
        self.ok("set", "databytes", "52428800")
        self.ok("set", "maxrcpt", "100")          # the default: not shown
        self.ok("set", "recipientdelimiter", "")  # empty differs from "+"
        out = self.ok("show")
        self.assertIn("databytes = 52428800\n", out)
        self.assertIn("recipientdelimiter = \n", out)
        self.assertNotIn("maxrcpt", out)
        self.ok("unset", "databytes")
        self.assertNotIn("databytes", self.ok("show"))

    def test_bad_file_and_arguments(self):
        with open(self.inst.path("control", "maxrcpt"), "w") as f:
            f.write("lots\n")
        p = self.conf("show")
        self.assertEqual(p.returncode, 1)
        self.assertIn("control/maxrcpt: bad value", p.stderr)
        self.assertIn("me = mail.example.test", p.stdout)
        p = self.conf("show", "extra")
        self.assertEqual(p.returncode, 1)
        self.assertIn("usage", p.stderr)


class TestAuthTest(AdminCase):
    def test_as_the_servers_check(self):
        p = self.conf("auth", "test", "Alice@Example.TEST", input="alice-pw\n")
        self.assertEqual((p.returncode, p.stdout), (0, "auth succeeded\n"))
        for who, pw, why in (("alice@example.test", "wrong\n", "wrong password"),
                             ("nobody@example.test", "x\n", "unknown user")):
            p = self.conf("auth", "test", who, input=pw)
            self.assertEqual((p.returncode, p.stdout), (1, "auth failed\n"))
            self.assertIn(why, p.stderr)
        self.ok("user", "add", "nol@example.test", "--nologin")
        p = self.conf("auth", "test", "nol@example.test", input="\n")
        self.assertEqual((p.returncode, p.stdout), (1, "auth failed\n"))
        self.assertIn("login disabled", p.stderr)
        p = self.conf("auth", "test", "not an address", input="x\n")
        self.assertEqual(p.returncode, 1)
        p = self.conf("auth", "check", "alice@example.test", input="x\n")
        self.assertEqual(p.returncode, 1)
        self.assertIn("usage", p.stderr)

    def test_agrees_with_smtp_auth(self):
        self.inst.start(wait=("submission",))
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for pw, want in (("alice-pw", 0), ("nope", 1)):
            p = self.conf("auth", "test", "alice@example.test", input=pw + "\n")
            self.assertEqual(p.returncode, want)
            with smtplib.SMTP(self.inst.ip, self.inst.ports["submission"], timeout=30) as s:
                s.starttls(context=ctx)
                try:
                    s.login("alice@example.test", pw)
                    smtp = 0
                except smtplib.SMTPAuthenticationError:
                    smtp = 1
            self.assertEqual(smtp, want, "sluice-conf auth test and SMTP AUTH disagree")


class TestUserInfo(AdminCase):
    def test_mailbox_quota_aliases_forwards(self):
        self.ok("user", "quota", "alice@example.test", "1000000")
        self.ok("alias", "add", "sales@example.test", "alice", "partner@elsewhere.test")
        self.ok("alias", "add", "postmaster", "alice@example.test")
        self.ok("alias", "add", "other@example.test", "bob@example.test")
        self.inst.add_user("carol@example.test", "c")
        self.inst.start(wait=("smtp",))
        with smtplib.SMTP(self.inst.ip, self.inst.ports["smtp"], timeout=30) as s:
            s.sendmail("sender@elsewhere.test", ["alice@example.test"],
                       "Subject: one\r\n\r\n" + ("x" * 70 + "\r\n") * 70)
        self.inst.wait_mail("alice@example.test", 1)
        home = os.path.dirname(self.inst.maildir("carol@example.test"))
        with open(os.path.join(home, ".sluice"), "w") as f:
            f.write("# keep a copy\n./Maildir/\n&carol@elsewhere.test\n")
        with open(os.path.join(home, ".sluice-lists"), "w") as f:
            f.write("lists@elsewhere.test\n")
        if IS_ROOT:
            for n in (".sluice", ".sluice-lists"):
                shutil.chown(os.path.join(home, n), "sluicev", "sluicev")

        out = self.ok("user", "info", "alice@example.test")
        lines = dict(l.split(": ", 1) for l in out.splitlines())
        self.assertEqual(lines["user"], "alice@example.test")
        self.assertEqual(lines["mailbox"], self.inst.maildir("alice@example.test"))
        self.assertEqual(lines["login"], "enabled")
        self.assertEqual(lines["quota"], "1000000 bytes")
        size = sum(os.path.getsize(os.path.join(d, f)) for sub in ("new", "cur")
                   for d in [os.path.join(self.inst.maildir("alice@example.test"), sub)]
                   for f in os.listdir(d))
        self.assertTrue(lines["used"].startswith("%d bytes in 1 messages (0%%)" % size), lines["used"])
        self.assertIn("maildirsize", lines["used"])
        self.assertEqual(sorted(lines["aliases"].split(", ")), ["postmaster", "sales@example.test"])
        self.assertEqual(lines["forwards"], "none")

        out = self.ok("user", "info", "carol@example.test")
        lines = dict(l.split(": ", 1) for l in out.splitlines())
        self.assertEqual(lines["quota"], "none")
        self.assertEqual(lines["used"], "0 bytes in 0 messages (counted)")
        self.assertEqual(lines["aliases"], "none")
        self.assertIn("carol@elsewhere.test (.sluice)", lines["forwards"])
        self.assertIn("lists@elsewhere.test (.sluice-lists)", lines["forwards"])

    @unittest.skipUnless(IS_ROOT, "the link trick matters only to root")
    def test_planted_link_is_not_followed(self):
        home = os.path.dirname(self.inst.maildir("alice@example.test"))
        os.symlink("/etc/shadow", os.path.join(home, ".sluice"))
        out = self.ok("user", "info", "alice@example.test")
        self.assertIn("bad file: .sluice: not a regular file", out)
        self.assertNotIn("root:", out)

    def test_unknown_and_bad(self):
        p = self.conf("user", "info", "nobody@example.test")
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not exist", p.stderr)
        p = self.conf("user", "info")
        self.assertEqual(p.returncode, 1)


class TestCheckEveryProblem(AdminCase):
    def problems(self):
        p = self.conf("check")
        self.assertEqual(p.returncode, 1, "check did not notice")
        self.assertEqual(p.stdout, "")
        return p.stderr.splitlines()

    def test_several_problems_at_once(self):
        self.ok("check")
        with open(self.inst.path("control", "databyte"), "w") as f:
            f.write("5\n")
        with open(self.inst.path("users", "aliases"), "a") as f:
            f.write("not a line\n")
        os.chmod(self.inst.path("tls", "key.pem"), 0o644)
        os.rmdir(os.path.join(self.inst.maildir("alice@example.test"), "cur"))
        os.unlink(self.inst.path("service", "send", "log", "run"))
        lines = self.problems()
        text = "\n".join(lines)
        self.assertEqual(len(lines), 5, text)
        for want in ("control/databyte: unknown file", "users/aliases line", "key.pem: readable by others",
                     "mailbox missing", "send/log/run: missing"):
            self.assertIn(want, text)

    def test_certificate_name_and_expiry(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        tls = self.inst.path("tls")
        cert, key = harness.make_cert(tmp, cn="other.example.test")   # 2 days
        shutil.copy(cert, os.path.join(tls, "cert.pem"))
        shutil.copy(key, os.path.join(tls, "key.pem"))
        self.assertIn("does not name mail.example.test", "\n".join(self.problems()))
        cert, key = harness.make_cert(tmp, cn="mail.example.test")    # 2 days
        shutil.copy(cert, os.path.join(tls, "cert.pem"))
        shutil.copy(key, os.path.join(tls, "key.pem"))
        self.assertIn("expires within 30 days", "\n".join(self.problems()))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=x",
                        "-addext", "subjectAltName=DNS:mail.example.test", "-days", "90",
                        "-keyout", os.path.join(tls, "key.pem"), "-out", os.path.join(tls, "cert.pem")],
                       check=True, capture_output=True, timeout=60)
        self.ok("check")

    @unittest.skipUnless(IS_ROOT, "owners matter in a root instance")
    def test_owner_ids_after_a_restore(self):
        """A restore with numeric ids from another machine: the queue, a
        mailbox and users/users carry numbers that are nobody here."""
        self.inst.start(wait=("smtp",))
        with smtplib.SMTP(self.inst.ip, self.inst.ports["smtp"], timeout=30) as s:
            s.sendmail("s@elsewhere.test", ["alice@example.test"], "Subject: x\r\n\r\nx\r\n")
        self.inst.wait_mail("alice@example.test", 1)
        self.inst.stop()
        self.ok("check")
        for d, _, files in os.walk(self.inst.path("queue")):
            os.chown(d, 4242, 4242)
            for f in files:
                os.chown(os.path.join(d, f), 4242, 4242)
        os.chown(os.path.dirname(self.inst.maildir("alice@example.test")), 4242, 4242)
        users = self.inst.path("users", "users")
        text = open(users).read()
        fields = text.strip().split(":")
        fields[-2], fields[-1] = "4242", "4242"
        with open(users, "w") as f:
            f.write(":".join(fields) + "\n")
        os.chmod(users, 0o600)
        self.ok("rebuild")
        lines = self.problems()
        text = "\n".join(lines)
        self.assertRegex(text, r"/queue: \d+ entries not owned by sluiceq or sluices .* has 4242:4242")
        self.assertIn("alice@example.test: delivered as uid:gid (4242:4242), but sluicev is now", text)
        self.assertIn("/mail/example.test/alice: owner 4242:4242, expected sluicev", text)
        self.assertEqual(len(lines), 3, text)


class TestHostMail(unittest.TestCase):
    """Mail for the host itself: root, postmaster, mailer-daemon and the
    host's own accounts at `me` go to the postmaster set at init."""

    def setUp(self):
        self.inst = harness.Instance(extra_init=("--postmaster", "alice@example.test"))
        self.addCleanup(self.inst.cleanup)
        self.inst.conf("domain", "add", "example.test")
        self.inst.add_user("alice@example.test", "a")
        self.inst.add_user("bob@example.test", "b")
        self.inst.start(wait=("smtp",))

    def subjects(self, address, count):
        return sorted(m["subject"] for m in self.inst.wait_mail(address, count, timeout=60))

    def test_sendmail_and_smtp_to_system_accounts(self):
        p = self.inst.run("sluice-sendmail", "root", input=b"Subject: cron: root\n\nout\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.inst.run("sluice-sendmail", "-t", input=b"To: daemon\nSubject: cron: daemon\n\nout\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        me = self.inst.me
        with smtplib.SMTP(self.inst.ip, self.inst.ports["smtp"], timeout=30) as s:
            for who in ("root", "ROOT", "mailer-daemon", "postmaster", "abuse", "nobody"):
                s.sendmail("dave@elsewhere.test", ["%s@%s" % (who, me)],
                           "Subject: smtp: %s\r\n\r\nhi\r\n" % who)
            s.ehlo()
            s.mail("dave@elsewhere.test")
            code, _ = s.rcpt("no-such-account-here@%s" % me)
            self.assertEqual(code, 550, "only real accounts of the host are accepted")
            code, _ = s.rcpt("root@example.test")
            self.assertEqual(code, 550, "root is the host's, not every domain's")
            s.rset()
        got = self.subjects("alice@example.test", 8)
        self.assertEqual(got, sorted(["cron: root", "cron: daemon"] +
                                     ["smtp: %s" % w for w in ("root", "ROOT", "mailer-daemon",
                                                               "postmaster", "abuse", "nobody")]))
        self.assertEqual(self.inst.messages("bob@example.test"), [])
        self.assertNotIn("5.1.1", self.inst.log("send"))

    def test_postmaster_changed_later(self):
        self.inst.conf("alias", "del", "postmaster")
        self.inst.conf("alias", "add", "postmaster", "bob@example.test")
        p = self.inst.run("sluice-sendmail", "root", input=b"Subject: to the new postmaster\n\nx\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.subjects("bob@example.test", 1), ["to the new postmaster"])
        self.assertEqual(self.inst.messages("alice@example.test"), [])

    def test_init_refuses_a_postmaster_at_me(self):
        for bad in ("root@mail.example.test", "not an address", "bare"):
            root = tempfile.mkdtemp()
            self.addCleanup(shutil.rmtree, root, True)
            p = subprocess.run([harness.prog("sluice-conf"), "-d", os.path.join(root, "i"), "init",
                                "--me", "mail.example.test", "--postmaster", bad],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn("--postmaster", p.stderr)
            self.assertFalse(os.path.exists(os.path.join(root, "i")))


if __name__ == "__main__":
    unittest.main()
