"""sluice-smtpd against attacks an outside review proved on a real
server, each on a raw socket over loopback: a client that trickles a
command line or the data one octet at a time (each read in time, the
whole never), an endless command line, NUL octets next to the end-of-data
dot (smtpsmug), <Postmaster> with a `me` of 255 octets, and the AUTH
timing oracle (an unknown user must cost what a known one costs)."""
import os
import statistics
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpdlib  # noqa: E402
from smtpdlib import Raw  # noqa: E402

TIMEOUT = 5     # timeoutsmtpd for these tests (its minimum)


class Attacks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = smtpdlib.SmtpdServer(mode="mx", settings={
            "timeoutsmtpd": str(TIMEOUT), "maxbadcommands": "10"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        for n in os.listdir(self.srv.path("spool")):
            os.unlink(self.srv.path("spool", n))

    def raw(self):
        r = Raw(self.srv.ip, self.srv.port, timeout=60)
        self.addCleanup(r.close)
        self.assertEqual(r.reply()[0], 220)
        return r

    def trickle_until_closed(self, r, data, limit):
        """send data one octet a second until the server hangs up;
        returns (seconds until it did, what it said last)"""
        t = time.time()
        r.sock.settimeout(0)
        i = 0
        while time.time() - t < limit:
            try:
                r.sock.send(data[i % len(data):i % len(data) + 1])
            except OSError:
                break
            i += 1
            time.sleep(1)
            try:
                chunk = r.sock.recv(65536)
                if not chunk:
                    break
                r.buf += chunk
            except BlockingIOError:
                pass
            except OSError:
                break
        return time.time() - t, r.buf.decode("utf-8", "replace")

    def test_trickled_command_line_times_out_as_a_whole(self):
        r = self.raw()
        took, said = self.trickle_until_closed(r, b"NOOP and some more words ", 4 * TIMEOUT + 10)
        self.assertLess(took, TIMEOUT + 6, "one octet a second kept the session open: %r" % said)
        self.assertIn("421 4.4.2", said)
        self.srv.wait_log("end=timeout")

    def test_trickled_data_times_out_as_a_whole(self):
        r = self.raw()
        self.assertEqual(r.cmd("EHLO x.example")[0], 250)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test>")[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<alice@example.test>")[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 354)
        # timeoutsmtpd plus a second per KiB received: a few octets buy nothing
        took, said = self.trickle_until_closed(r, b"Subject: slow\r\n\r\nbody\r\n", 4 * TIMEOUT + 10)
        self.assertLess(took, TIMEOUT + 6, "a trickled DATA kept the session open: %r" % said)
        self.assertIn("421 4.4.2", said)
        self.srv.wait_log("timeout in data")
        self.assertEqual(self.srv.queued(), [])

    def test_trickled_bdat_times_out_as_a_whole(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        r.cmd("RCPT TO:<alice@example.test>")
        r.send(b"BDAT 100000 LAST\r\n")
        took, said = self.trickle_until_closed(r, b"x", 4 * TIMEOUT + 10)
        self.assertLess(took, TIMEOUT + 6, "a trickled BDAT chunk kept the session open: %r" % said)
        self.assertIn("421 4.4.2", said)

    def test_a_fast_big_message_is_not_cut(self):
        # the rule must not hurt a client that sends at a decent rate
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        r.cmd("RCPT TO:<alice@example.test>")
        self.assertEqual(r.cmd("DATA")[0], 354)
        line = b"z" * 998 + b"\r\n"
        r.send(b"Subject: big\r\n\r\n")
        for _ in range(8):          # 8 s at 32 KiB/s: past timeoutsmtpd, above the rate
            r.send(line * 32)
            time.sleep(1)
        code, text = r.cmd(b".\r\n")
        self.assertEqual(code, 250, text)
        self.assertEqual(len(self.srv.queued()), 1)

    def test_endless_command_line_is_cut(self):
        r = self.raw()
        r.sock.settimeout(30)
        chunk = b"x" * 8192
        sent = 0
        try:
            r.sock.sendall(b"NOOP ")
            while sent < 64 * 1024 * 1024:
                r.sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        self.assertLess(sent, 64 * 1024 * 1024, "the server read 64 MiB of one line")
        self.assertTrue(r.closed(timeout=10))
        self.assertIn(b"500 5.5.2 Line too long", r.buf)
        self.srv.wait_log("end=line too long")

    def test_long_line_then_more_commands(self):
        # a merely long line is still answered and the session goes on
        r = self.raw()
        code, text = r.cmd("NOOP " + "x" * 20000)
        self.assertEqual(code, 500, text)
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def smuggle(self, data):
        r = self.raw()
        r.cmd("EHLO x.example")
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test>")[0], 250)
        self.assertEqual(r.cmd("RCPT TO:<alice@example.test>")[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 354)
        r.send(data)
        code, text = r.reply()
        self.assertEqual(code, 554, text)
        self.assertIn("NUL", text)
        # the smuggled commands were data: the next command is answered alone
        self.assertEqual(r.cmd("NOOP")[0], 250)
        self.assertEqual(self.srv.queued(), [], "nothing may be queued")

    def test_smtpsmug_nul_before_dot(self):
        self.smuggle(b"Subject: a\r\n\r\nx\r\n\0.\r\nMAIL FROM:<evil@b.test>\r\n"
                     b"RCPT TO:<alice@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n")

    def test_smtpsmug_nul_after_dot(self):
        self.smuggle(b"Subject: a\r\n\r\nx\r\n.\0\r\nMAIL FROM:<evil@b.test>\r\n"
                     b"RCPT TO:<alice@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n")

    def test_nul_in_bdat(self):
        r = self.raw()
        r.cmd("EHLO x.example")
        r.cmd("MAIL FROM:<a@b.test>")
        r.cmd("RCPT TO:<alice@example.test>")
        body = b"Subject: b\r\n\r\na\0b\r\n"
        code, text = r.cmd(b"BDAT %d LAST\r\n" % len(body) + body)
        self.assertEqual(code, 554, text)
        self.assertEqual(self.srv.queued(), [])


def long_name(n):
    """a valid domain name of exactly n octets"""
    labels = []
    left = n
    while left > 0:
        take = min(63, left)
        if left - take == 1:        # never leave a lone dot
            take -= 1
        labels.append("a" * take)
        left -= take + 1
    name = ".".join(labels)
    assert len(name) == n, len(name)
    return name


class LongMe(unittest.TestCase):
    """<Postmaster> is postmaster@me: with me as long as a domain can be
    (255 octets) that is longer than any parsed path, and overflowed a
    stack buffer (seen with an ASan build)."""

    def test_postmaster_with_long_me(self):
        for n in (248, 254, 255):
            with self.subTest(me_octets=n):
                self.postmaster(long_name(n))

    def postmaster(self, me):
        srv = smtpdlib.SmtpdServer(mode="mx", settings={"me": me}).start()
        self.addCleanup(srv.cleanup)
        r = Raw(srv.ip, srv.port)
        self.addCleanup(r.close)
        code, text = r.reply()
        self.assertEqual(code, 220, text)
        self.assertIn(me, text, "a me of 255 octets is used as it is")
        self.assertEqual(r.cmd("EHLO x.example")[0], 250)
        self.assertEqual(r.cmd("MAIL FROM:<a@b.test>")[0], 250)
        code, text = r.cmd("RCPT TO:<Postmaster>")
        self.assertEqual(code, 250, text)
        self.assertEqual(r.cmd("DATA")[0], 354)
        code, text = r.cmd(b"Subject: pm\r\n\r\nhello\r\n.\r\n")
        self.assertEqual(code, 250, text)
        self.assertEqual(r.cmd("QUIT")[0], 221)
        q = srv.queued()
        self.assertEqual(len(q), 1)
        self.assertEqual(q[0][1], ["postmaster@" + me])
        srv.stop()
        self.assertNotIn("AddressSanitizer", srv.logtext())


if __name__ == "__main__":
    unittest.main()


class LongMeLocalMode(unittest.TestCase):
    """sendmail -bs (local mode) makes the sender LOGIN@me: with a `me` of
    255 octets that no longer fits an address (it overflowed a buffer);
    the session is refused instead."""

    def run_local(self, me):
        root = smtpdlib.harness.Root(prefix="sluice-smtpd-local-")
        self.addCleanup(root.cleanup)
        root.set("me", me)      # (init makes no certificate for a name this long)
        return root.run("sluice-smtpd", input=b"QUIT\r\n", timeout=30, env={"SMTPD_MODE": "local"})

    def test_local_mode_with_long_me(self):
        p = self.run_local(long_name(255))
        self.assertTrue(p.stdout.startswith(b"421 "), p.stdout)
        self.assertIn(b"LOGIN@me would be longer", p.stderr)
        self.assertNotIn(b"Sanitizer", p.stderr)
        p = self.run_local(long_name(100))
        self.assertTrue(p.stdout.startswith(b"220 "), p.stdout + p.stderr)


class AuthTiming(unittest.TestCase):
    """AUTH for an unknown login must take as long as a wrong password for
    an existing one, or the answer time tells which addresses exist.
    Medians of many tries, interleaved, with a generous tolerance (the
    machine is shared)."""

    def medians(self, ip, port, known_user):
        import base64
        import ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        r = Raw(ip, port, timeout=60)
        self.addCleanup(r.close)
        self.assertEqual(r.reply()[0], 220)
        r.cmd("EHLO x.example")
        self.assertEqual(r.cmd("STARTTLS")[0], 220)
        r.sock = ctx.wrap_socket(r.sock, server_hostname="x")
        r.buf = b""
        r.cmd("EHLO x.example")

        def attempt(user):
            token = base64.b64encode(b"\0" + user.encode() + b"\0wrong-password").decode()
            t = time.perf_counter()
            code, text = r.cmd("AUTH PLAIN " + token)
            took = time.perf_counter() - t
            self.assertEqual(code, 535, text)
            return took

        known, unknown = [], []
        for i in range(15):
            known.append(attempt(known_user))
            unknown.append(attempt("nobody%d@example.test" % i))
        mk, mu = statistics.median(known), statistics.median(unknown)
        why = "unknown %.1f ms, known %.1f ms" % (mu * 1000, mk * 1000)
        print("AUTH medians: " + why, file=sys.stderr)
        self.assertGreater(mu, 0.5 * mk, why)
        self.assertGreater(mk, 0.5 * mu, why)

    def test_unknown_user_costs_what_a_known_one_costs(self):
        # a real instance: hashes made by sluice-conf
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
        import harness
        inst = harness.Instance()
        self.addCleanup(inst.cleanup)
        inst.conf("domain", "add", "example.test")
        inst.add_user("alice@example.test", "Alice-pw-1")
        inst.set("authfaildelay", "0")
        inst.set("maxauthfailures", "100")
        inst.set("maxauthfailip", "0")   # this test fails 30 logins on purpose
        inst.start(wait=("submission",))
        self.medians(inst.ip, inst.ports["submission"], "alice@example.test")

    def test_same_cost_with_imported_sha512_hashes(self):
        # users.cdb with SHA-512-crypt hashes of a high cost (imported, not
        # the kind sluice-conf makes): an unknown user must cost the same,
        # neither nothing nor the cost of a default hash
        import warnings
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import crypt
        srv = smtpdlib.SmtpdServer(mode="mx", settings={"maxauthfailures": "100"})
        self.addCleanup(srv.cleanup)
        h = crypt.crypt("Alice-pw-1", "$6$rounds=200000$saltsaltsalt$")
        # imported as an administrator would: the users text source
        # (sluice(5)) edited to hold alice alone with that hash, then
        # sluice-conf rebuild compiles users.cdb
        with open(srv.path("users", "users")) as f:
            alice = [line.split(":") for line in f if line.startswith("alice@example.test:")][0]
        alice[1] = h
        with open(srv.path("users", "users"), "w") as f:
            f.write(":".join(alice))
        srv.conf("rebuild")
        srv.start()
        self.medians(srv.ip, srv.port, "alice@example.test")


if __name__ == "__main__":
    unittest.main()
