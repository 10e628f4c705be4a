"""sluice-pop3d against hostile input: long lines, bad arguments, commands
in the wrong state, NUL bytes and binary junk, the bad-command limit, and
the idle timeout.  Every answer is checked, and the server keeps working
after each abuse."""
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pop3util import MiniRoot, Pop3Server, Raw  # noqa: E402

USER = "eve@example.test"
PASS = "pw"


class TestHostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = MiniRoot()
        cls.r.set("authfaildelay", 0)
        cls.r.set("maxauthfailures", 50)
        cls.r.set("maxbadcommands", 30)
        cls.r.set("timeoutpop3d", 5)
        cls.r.add_user(USER, PASS)
        cls.r.deliver(USER, b"Subject: one\n\nbody\n")
        cls.r.deliver(USER, b"Subject: two\n\nbody\n")
        cls.srv = Pop3Server(cls.r.root)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()       # fails on a sanitizer report
        finally:
            cls.r.cleanup()

    def conn(self):
        c = Raw(self.srv.ip, self.srv.port)
        self.assertTrue(c.line().startswith(b"+OK"))
        self.addCleanup(c.close)
        return c

    def login(self, c):
        self.assertTrue(c.cmd("USER " + USER).startswith(b"+OK"))
        self.assertTrue(c.cmd("PASS " + PASS).startswith(b"+OK mailbox"))

    def test_long_lines(self):
        c = self.conn()
        self.assertEqual(c.cmd("USER " + "a" * 5000), b"-ERR line too long")
        # a megabyte without a line end, then the end: one answer
        c.send(b"X" * (1 << 20))
        self.assertEqual(c.cmd(""), b"-ERR line too long")
        self.assertEqual(c.cmd("USER " + "b" * 300), b"-ERR bad arguments")
        self.login(c)
        self.assertEqual(c.cmd("RETR 1" + " " * 3000), b"-ERR line too long")
        self.assertTrue(c.cmd("STAT").startswith(b"+OK 2 "))

    def test_wrong_state(self):
        c = self.conn()
        for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 1", "UIDL"):
            self.assertEqual(c.cmd(cmd), b"-ERR not valid before login", cmd)
        self.assertEqual(c.cmd("PASS " + PASS), b"-ERR USER first")
        self.assertTrue(c.cmd("APOP eve 0123456789abcdef").startswith(b"-ERR"))
        self.login(c)
        for cmd in ("USER " + USER, "PASS x", "AUTH PLAIN", "STLS", "APOP a b"):
            self.assertEqual(c.cmd(cmd), b"-ERR already logged in", cmd)
        self.assertTrue(c.cmd("NOOP").startswith(b"+OK"))

    def test_bad_arguments(self):
        c = self.conn()
        self.login(c)
        cases = {
            "LIST abc": b"-ERR bad arguments",
            "LIST 1 2": b"-ERR bad arguments",
            "RETR": b"-ERR bad arguments",
            "RETR 0": b"-ERR bad arguments",
            "RETR -1": b"-ERR bad arguments",
            "RETR 99": b"-ERR no such message",
            "RETR 4294967297": b"-ERR bad arguments",
            "TOP 1": b"-ERR bad arguments",
            "TOP 1 x": b"-ERR bad arguments",
            "DELE": b"-ERR bad arguments",
            "STAT now": b"-ERR bad arguments",
            "UIDL 3": b"-ERR no such message",
            "XTND XMIT": b"-ERR unknown command",
            "": b"-ERR unknown command",
        }
        for cmd, want in cases.items():
            self.assertEqual(c.cmd(cmd), want, cmd)
        self.assertTrue(c.cmd("DELE 1").startswith(b"+OK"))
        self.assertEqual(c.cmd("DELE 1"), b"-ERR message is deleted")
        self.assertEqual(c.cmd("RETR 1"), b"-ERR message is deleted")
        self.assertEqual(c.cmd("LIST 1"), b"-ERR message is deleted")
        self.assertTrue(c.cmd("RSET").startswith(b"+OK"))
        self.assertTrue(c.cmd("LIST 1").startswith(b"+OK 1 "))

    def test_nul_and_binary(self):
        c = self.conn()
        c.send(b"US\0ER x\r\n")
        self.assertEqual(c.line(), b"-ERR unknown command")
        c.send(b"USER a\0b\r\n")
        self.assertEqual(c.line(), b"-ERR bad arguments")
        rnd = random.Random(7)
        for _ in range(5):
            junk = bytes(rnd.randrange(256) for _ in range(200)).replace(b"\n", b"")
            c.send(junk + b"\r\n")
            self.assertTrue(c.line().startswith(b"-ERR"))
        self.login(c)
        self.assertTrue(c.cmd("STAT").startswith(b"+OK 2 "))

    def test_bad_command_limit(self):
        c = self.conn()
        for _ in range(29):
            self.assertTrue(c.cmd("BOGUS").startswith(b"-ERR"))
        c.send(b"BOGUS\r\n")
        self.assertTrue(c.closed())
        self.assertIn(b"too many bad commands", c.buf)
        self.srv.wait_log("before login: too many bad commands")

    def test_bad_command_limit_after_login(self):
        c = self.conn()
        self.login(c)
        for _ in range(29):
            self.assertTrue(c.cmd("RETR x").startswith(b"-ERR"))
        c.send(b"RETR x\r\n")
        self.assertTrue(c.closed())
        self.assertIn(b"too many bad commands", c.buf)

    def test_idle_timeout(self):
        c = self.conn()
        t = time.time()
        self.assertTrue(c.closed(timeout=20))
        self.assertGreater(time.time() - t, 2.5)   # 5 s timeout; the clock starts late on a loaded box
        c2 = self.conn()
        self.login(c2)
        c2.cmd("DELE 1")
        t = time.time()
        self.assertTrue(c2.closed(timeout=20))     # autologout: no UPDATE
        self.assertGreater(time.time() - t, 2.5)
        self.assertEqual(len(self.r.files(USER)["cur"]), 2)

    def test_quit_before_login_and_crlf_variants(self):
        c = self.conn()
        c.send(b"capa\n")            # bare LF and lower case are accepted
        self.assertTrue(c.line().startswith(b"+OK"))
        c.multi()
        self.assertEqual(c.cmd("QUIT"), b"+OK bye")
        self.assertTrue(c.closed())


if __name__ == "__main__":
    unittest.main()
