"""IMAP served by Dovecot over sluice's users and Maildirs, with python
imaplib (and poplib on the same mailbox): LOGIN only after STARTTLS or on
993, FETCH returns the delivered bytes, flags and expunges agree with
sluice-pop3d, IDLE hears a new delivery, APPEND and LIST, wrong passwords
are slow and logged with the client IP, unknown users look the same, and
`sluice-conf user add|passwd|del` alone takes effect at once."""
import imaplib
import os
import poplib
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imaputil  # noqa: E402
from imaputil import harness  # noqa: E402

SKIP = imaputil.skip_reason()
ALICE, BOB = "alice@example.test", "bob@example.test"
PW = imaputil.USERS


@unittest.skipIf(SKIP, SKIP)
class TestImap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = imaputil.start()
        cls.ctx = imaputil.tls_context(cls.inst)

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()

    def imaps(self, user=ALICE, password=None):
        m = imaplib.IMAP4_SSL(self.inst.ip, self.inst.ports["imaps"], ssl_context=self.ctx,
                              timeout=60)
        m.login(user, password or PW[user])
        return m

    def pop3(self, user=ALICE):
        p = poplib.POP3(self.inst.ip, self.inst.ports["pop3"], timeout=60)
        p.stls(self.ctx)
        p.user(user)
        p.pass_(PW[user])
        return p

    def uid_of(self, m, subject):
        typ, data = m.uid("SEARCH", None, "HEADER", "Subject", '"%s"' % subject)
        uids = data[0].split()
        self.assertEqual(len(uids), 1, "one message %r" % subject)
        return uids[0]

    def store(self, user, subject, flags, expunge=False):
        """+FLAGS on the one message with this subject; its FLAGS after."""
        m = self.imaps(user)
        try:
            m.select("INBOX")
            uid = self.uid_of(m, subject)
            m.uid("STORE", uid, "+FLAGS", flags)
            typ, data = m.uid("FETCH", uid, "(FLAGS)")
            if expunge:
                m.expunge()
            return data[0]
        finally:
            m.logout()

    # -- TLS and login -------------------------------------------------
    def test_login_refused_before_starttls(self):
        m = imaplib.IMAP4(self.inst.ip, self.inst.ports["imap"], timeout=60)
        try:
            self.assertIn("LOGINDISABLED", m.capabilities)
            with self.assertRaises(imaplib.IMAP4.error):
                m.login(ALICE, PW[ALICE])
            m.starttls(self.ctx)
            self.assertNotIn("LOGINDISABLED", m.capabilities)
            typ, _ = m.login(ALICE, PW[ALICE])
            self.assertEqual(typ, "OK")
        finally:
            m.logout()

    def test_imaps_certificate_is_the_instance_certificate(self):
        m = imaplib.IMAP4_SSL(self.inst.ip, self.inst.ports["imaps"], ssl_context=self.ctx,
                              timeout=60)
        try:
            cert = m.sock.getpeercert()
            names = [v for k, v in cert["subjectAltName"] if k == "DNS"]
            self.assertEqual(names, [imaputil.ME])
        finally:
            m.logout()

    def test_nothing_listens_beyond_the_configured_address(self):
        self.assertNotEqual(self.inst.ip, "127.0.0.1")
        for port in (self.inst.ports["imap"], self.inst.ports["imaps"]):
            s = socket.socket()
            s.settimeout(5)
            try:
                self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0,
                                    "port %d answers on 127.0.0.1" % port)
            finally:
                s.close()

    def test_wrong_password_and_unknown_user_look_the_same(self):
        answers = []
        for user, password in ((ALICE, "wrong"), ("nobody@example.test", "wrong"),
                               ("alice@nowhere.test", PW[ALICE])):
            m = imaplib.IMAP4_SSL(self.inst.ip, self.inst.ports["imaps"], ssl_context=self.ctx,
                                  timeout=60)
            t = time.time()
            with self.assertRaises(imaplib.IMAP4.error) as cm:
                m.login(user, password)
            elapsed = time.time() - t
            answers.append(str(cm.exception))
            self.assertGreaterEqual(elapsed, 0.5, "a failed login is delayed")
            try:
                m.logout()
            except Exception:
                pass
        self.assertEqual(len(set(answers)), 1, answers)
        self.assertIn("AUTHENTICATIONFAILED", answers[0])
        log = harness.wait_for(lambda: (lambda t: t if "nobody@example.test" in t else None)(
            self.inst.log("imapd")), 30, what="failed logins in the imapd log")
        self.assertRegex(log, r"authfail 127\.0\.0\.1 alice@example\.test")
        self.assertRegex(log, r"auth failed.*user=<alice@example\.test>.*rip=127\.0\.0\.1")

    # -- messages -----------------------------------------------------------
    def test_fetch_equals_the_delivered_bytes(self):
        imaputil.send(self.inst, ALICE, "fetch me", "line one\n.dot line\n\nlast\n")
        path = imaputil.maildir_file(self.inst, ALICE, "fetch me")
        with open(path, "rb") as f:
            stored = f.read()
        m = self.imaps()
        try:
            m.select("INBOX")
            uid = self.uid_of(m, "fetch me")
            typ, data = m.uid("FETCH", uid, "(BODY.PEEK[] RFC822.SIZE)")
            fetched = data[0][1]
            self.assertEqual(fetched, stored.replace(b"\n", b"\r\n"))
            size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0][0]).group(1))
            self.assertEqual(size, len(fetched))
        finally:
            m.logout()

    def test_flags_keep_the_message_in_pop3_and_uidls_stable(self):
        imaputil.send(self.inst, ALICE, "flag me")
        imaputil.maildir_file(self.inst, ALICE, "flag me")
        p = self.pop3()
        before = dict(l.split()[::-1] for l in p.uidl()[1])
        p.quit()
        flags = self.store(ALICE, "flag me", r"(\Seen \Flagged)")
        self.assertIn(rb"\Seen", flags)
        self.assertIn(rb"\Flagged", flags)
        path = imaputil.maildir_file(self.inst, ALICE, "flag me")
        self.assertTrue(path.endswith(":2,FS"), path)
        p = self.pop3()
        after = dict(l.split()[::-1] for l in p.uidl()[1])
        p.quit()
        self.assertEqual(set(after), set(before), "same UIDLs after IMAP set flags")

    def test_expunge_in_imap_is_gone_in_pop3(self):
        imaputil.send(self.inst, ALICE, "expunge me")
        imaputil.maildir_file(self.inst, ALICE, "expunge me")
        p = self.pop3()
        n_before = p.stat()[0]
        p.quit()
        self.store(ALICE, "expunge me", r"(\Deleted)", expunge=True)
        p = self.pop3()
        try:
            self.assertEqual(p.stat()[0], n_before - 1)
            for i in range(1, n_before):
                self.assertNotIn(b"Subject: expunge me", b"\n".join(p.top(i, 0)[1]))
        finally:
            p.quit()

    def test_dele_in_pop3_is_gone_in_imap(self):
        imaputil.send(self.inst, BOB, "pop deletes me")
        imaputil.maildir_file(self.inst, BOB, "pop deletes me")
        m = self.imaps(BOB)
        try:
            m.select("INBOX")
            self.uid_of(m, "pop deletes me")
            p = self.pop3(BOB)
            n = p.stat()[0]
            for i in range(1, n + 1):
                if b"Subject: pop deletes me" in b"\n".join(p.top(i, 0)[1]):
                    p.dele(i)
            p.quit()
            m.noop()
            typ, data = m.uid("SEARCH", None, "HEADER", "Subject", '"pop deletes me"')
            self.assertEqual(data[0].split(), [])
        finally:
            m.logout()
        # and Dovecot's index files never show up in POP3
        p = self.pop3(BOB)
        try:
            for line in p.uidl()[1]:
                self.assertNotIn(b"dovecot", line)
        finally:
            p.quit()

    def test_idle_hears_a_new_delivery(self):
        m = self.imaps(BOB)
        try:
            typ, data = m.select("INBOX")
            exists = int(data[0])
            tag = m._new_tag()
            m.send(tag + b" IDLE\r\n")
            self.assertTrue(m.readline().startswith(b"+"))
            imaputil.send(self.inst, BOB, "idle news")
            m.sock.settimeout(90)
            line = m.readline()
            while line and not line.endswith(b"EXISTS\r\n"):
                line = m.readline()
            self.assertEqual(int(line.split()[1]), exists + 1)
            m.send(b"DONE\r\n")
            while not m.readline().startswith(tag):
                pass
        finally:
            m.logout()

    def test_append_and_list(self):
        m = self.imaps()
        try:
            typ, data = m.list()
            names = [l.decode() for l in data]
            for box in ("INBOX", "Sent", "Drafts", "Trash"):
                self.assertTrue(any(n.endswith(' "%s"' % box) or n.endswith(" " + box)
                                    for n in names), (box, names))
            self.assertEqual(m.create("Projects")[0], "OK")
            msg = b"From: alice@example.test\r\nSubject: appended\r\n\r\nkept\r\n"
            typ, _ = m.append("Projects", r"(\Seen)", None, msg)
            self.assertEqual(typ, "OK")
            path = imaputil.maildir_file(self.inst, ALICE, "appended", folder="Projects")
            with open(path, "rb") as f:
                self.assertEqual(f.read().replace(b"\r\n", b"\n"), msg.replace(b"\r\n", b"\n"))
            typ, data = m.list()
            self.assertTrue(any(l.endswith(b"Projects") for l in data), data)
        finally:
            m.logout()
        # a folder is no message to POP3
        p = self.pop3()
        try:
            for i in range(1, p.stat()[0] + 1):
                self.assertNotIn(b"Subject: appended", b"\n".join(p.top(i, 0)[1]))
        finally:
            p.quit()

    def test_quota_is_the_users_quota_and_maildirsize_shared(self):
        q = "quota@example.test"
        self.inst.conf("user", "add", q, "--quota", "5120000", input="quota pw\n")
        imaputil.send(self.inst, q, "counted", ("x" * 70 + "\n") * 40)
        path = imaputil.maildir_file(self.inst, q, "counted")
        m = imaplib.IMAP4_SSL(self.inst.ip, self.inst.ports["imaps"], ssl_context=self.ctx,
                              timeout=60)
        try:
            m.login(q, "quota pw")
            typ, data = m.getquotaroot("INBOX")
            used, limit = map(int, re.search(rb"STORAGE (\d+) (\d+)", b" ".join(data[1])).groups())
            self.assertEqual(limit, 5000)                        # KiB
            self.assertEqual(used, (os.path.getsize(path) + 1023) // 1024)
            m.append("INBOX", None, None, b"Subject: appended\r\n\r\n" + (b"y" * 98 + b"\r\n") * 20)
        finally:
            m.logout()
        # Maildir++: one maildirsize, its quota line and running sum kept by
        # sluice-local and Dovecot alike
        with open(os.path.join(self.inst.maildir(q), "maildirsize")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "5120000S")
        total = sum(int(l.split()[0]) for l in lines[1:])
        count = sum(int(l.split()[1]) for l in lines[1:])
        self.assertEqual(count, 2, lines)                        # delivered + appended
        self.assertGreater(total, os.path.getsize(path) + 1900, lines)

    # -- user management ------------------------------------------------
    def test_user_add_passwd_del_take_effect_at_once(self):
        dave = "dave@example.test"
        self.inst.add_user(dave, "first pw")
        imaputil.send(self.inst, dave, "welcome dave")
        imaputil.maildir_file(self.inst, dave, "welcome dave")
        m = self.imaps(dave, "first pw")
        m.select("INBOX")
        self.uid_of(m, "welcome dave")
        m.logout()
        p = poplib.POP3(self.inst.ip, self.inst.ports["pop3"], timeout=60)
        p.stls(self.ctx)
        p.user(dave)
        p.pass_("first pw")
        self.assertEqual(p.stat()[0], 1)
        p.quit()
        self.inst.conf("user", "passwd", dave, input="second pw\n")
        with self.assertRaises(imaplib.IMAP4.error):
            self.imaps(dave, "first pw")
        self.imaps(dave, "second pw").logout()
        self.inst.conf("user", "del", dave)
        with self.assertRaises(imaplib.IMAP4.error):
            self.imaps(dave, "second pw")
        # --nologin: mail is delivered, no login with any password
        self.inst.conf("user", "add", "frank@example.test", "--nologin")
        for pw in ("!", "", "x"):
            with self.assertRaises(imaplib.IMAP4.error):
                self.imaps("frank@example.test", pw or '""')

    def test_check_is_happy(self):
        p = self.inst.conf("check", check=False)
        self.assertEqual((p.returncode, p.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
