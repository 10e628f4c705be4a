"""sluice-pop3d with a 50,000-message Maildir: login (snapshot and sort),
STAT, LIST and UIDL each well under a second; a large new/ is moved to
cur/ at first sight."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pop3util import IS_ROOT, MiniRoot, Pop3Server, Raw, mailbox_ids  # noqa: E402

USER = "big@example.test"
PASS = "pw"
COUNT = 50000
BODY = b"Subject: bulk\n\nsmall body\n"


def fill(md, sub, count, suffix=""):
    uid, gid = mailbox_ids()
    d = os.path.join(md, sub)
    for i in range(count):
        name = "%d.M%dP1Q%dR%016x.bulk.example.test,S=%d,W=%d%s" % (
            1700000000 + i, i, i, i, len(BODY), len(BODY) + 3, suffix)
        p = os.path.join(d, name)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, BODY)
        if IS_ROOT:
            os.fchown(fd, uid, gid)
        os.close(fd)


class TestBig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = MiniRoot()
        cls.md = cls.r.add_user(USER, PASS)
        fill(cls.md, "cur", COUNT, ":2,S")
        cls.srv = Pop3Server(cls.r.root)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()       # fails on a sanitizer report
        finally:
            cls.r.cleanup()

    def timed(self, c, cmd, multi):
        t = time.time()
        first = c.cmd(cmd)
        lines = c.multi() if multi else []
        return time.time() - t, first, lines

    def test_list_50000(self):
        c = Raw(self.srv.ip, self.srv.port, timeout=30)
        c.line()
        c.cmd("USER " + USER)
        t_login, first, _ = self.timed(c, "PASS " + PASS, False)
        self.assertTrue(first.startswith(b"+OK mailbox ready, %d messages" % COUNT), first)
        t_stat, first, _ = self.timed(c, "STAT", False)
        self.assertEqual(first, b"+OK %d %d" % (COUNT, COUNT * (len(BODY) + 3)))
        t_list, first, lines = self.timed(c, "LIST", True)
        self.assertEqual(len(lines), COUNT)
        self.assertEqual(lines[0], b"1 %d" % (len(BODY) + 3))
        t_uidl, first, lines = self.timed(c, "UIDL", True)
        self.assertEqual(len(lines), COUNT)
        i = COUNT - 1
        self.assertEqual(lines[-1].split()[1], b"%d.M%dP1Q%dR%016x.bulk.example.test,S=%d,W=%d" % (
            1700000000 + i, i, i, i, len(BODY), len(BODY) + 3))
        c.cmd("QUIT")
        c.close()
        print("50000 messages: login %.3fs STAT %.3fs LIST %.3fs UIDL %.3fs"
              % (t_login, t_stat, t_list, t_uidl))
        self.assertLess(t_list, 1.0)
        self.assertLess(t_uidl, 1.0)
        self.assertLess(t_stat, 0.5)
        self.assertLess(t_login, 2.0)

    def test_new_moved_at_first_sight(self):
        r = MiniRoot()
        self.addCleanup(r.cleanup)
        md = r.add_user(USER, PASS)
        fill(md, "new", 5000)
        srv = Pop3Server(r.root)
        self.addCleanup(srv.stop)
        c = Raw(srv.ip, srv.port, timeout=30)
        c.line()
        c.cmd("USER " + USER)
        self.assertTrue(c.cmd("PASS " + PASS).startswith(b"+OK mailbox ready, 5000 "))
        c.cmd("QUIT")
        c.close()
        self.assertEqual(os.listdir(os.path.join(md, "new")), [])
        cur = os.listdir(os.path.join(md, "cur"))
        self.assertEqual(len(cur), 5000)
        self.assertTrue(all(n.endswith(":2,") for n in cur))


class TestConcurrent(unittest.TestCase):
    def test_30_users_at_once(self):
        import poplib
        import threading
        r = MiniRoot()
        self.addCleanup(r.cleanup)
        r.set("authfaildelay", 0)
        users = ["u%d@example.test" % i for i in range(30)]
        for u in users:
            r.add_user(u, "pw-" + u)
            for j in range(20):
                r.deliver(u, b"Subject: %s %d\n\nfor %s\n" % (u.encode(), j, u.encode()))
        srv = Pop3Server(r.root)
        self.addCleanup(srv.stop)
        errors = []

        def client(u):
            try:
                p = poplib.POP3(srv.ip, srv.port, timeout=60)
                p.user(u)
                p.pass_("pw-" + u)
                n, _ = p.stat()
                assert n == 20, n
                for k in range(1, n + 1):
                    lines = p.retr(k)[1]
                    assert lines[-1] == b"for " + u.encode(), lines
                    p.dele(k)
                p.quit()
            except Exception as e:      # reported below
                errors.append("%s: %r" % (u, e))

        threads = [threading.Thread(target=client, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        for u in users:
            f = r.files(u)
            self.assertEqual(f["new"] + f["cur"], [], u)


if __name__ == "__main__":
    unittest.main()
