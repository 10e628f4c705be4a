"""sluice-pop3d shares lib/netio with the SMTP server: a client that
trickles a command one octet a second (every read in time, the line
never) is disconnected within timeoutpop3d, before and after login."""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pop3util import MiniRoot, Pop3Server, Raw  # noqa: E402

USER = "eve@example.test"
PASS = "pw"
TIMEOUT = 5


def trickle_until_closed(c, data, limit):
    """one octet a second until the server hangs up: seconds it took"""
    t = time.time()
    c.s.settimeout(0)
    i = 0
    while time.time() - t < limit:
        try:
            c.s.send(data[i % len(data):i % len(data) + 1])
            i += 1
            time.sleep(1)
            if not c.s.recv(65536):
                break
        except BlockingIOError:
            continue
        except OSError:
            break
    return time.time() - t


class TestSlowloris(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = MiniRoot()
        cls.r.set("timeoutpop3d", TIMEOUT)
        cls.r.set("authfaildelay", 0)
        cls.r.add_user(USER, PASS)
        cls.r.deliver(USER, b"Subject: one\n\nbody\n")
        cls.srv = Pop3Server(cls.r.root)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.r.cleanup()

    def conn(self):
        c = Raw(self.srv.ip, self.srv.port)
        self.addCleanup(c.close)
        self.assertTrue(c.line().startswith(b"+OK"))
        return c

    def test_trickled_command_before_login(self):
        c = self.conn()
        took = trickle_until_closed(c, b"USER someone-with-a-long-name@example.test ", 4 * TIMEOUT + 10)
        self.assertLess(took, TIMEOUT + 6, "one octet a second kept the session open")

    def test_trickled_command_after_login(self):
        c = self.conn()
        self.assertTrue(c.cmd("USER " + USER).startswith(b"+OK"))
        self.assertTrue(c.cmd("PASS " + PASS).startswith(b"+OK"))
        took = trickle_until_closed(c, b"NOOP and more and more ", 4 * TIMEOUT + 80)
        # the mailbox process allows timeoutpop3d + 60 s per line
        self.assertLess(took, TIMEOUT + 60 + 8, "one octet a second kept the session open")


if __name__ == "__main__":
    unittest.main()
