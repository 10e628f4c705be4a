"""sluice-local through the real queue: sluice-queue -> sluice-send ->
sluice-local (started by sluice-start under svscan), on an instance made
by sluice-conf.  Virtual users, extensions, catch-all, aliases with a
local and a remote target (the remote one arrives at an SMTP sink through
a static route), per-user files with a program, and bounces for loops and
quotas coming back to a local sender.
"""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402

NEEDED = ("sluice-conf", "sluice-queue", "sluice-send", "sluice-start", "sluice-local", "sluice-remote")


def built():
    return all(os.path.exists(os.path.join(harness.TOP, "bin", p)) for p in NEEDED)


def inject(inst, sender, rcpts, msg):
    """qmail-queue protocol: message on fd 0, envelope on fd 1."""
    envelope = b"F" + sender.encode() + b"\0" + b"".join(b"T" + r.encode() + b"\0" for r in rcpts) + b"\0"
    r, w = os.pipe()
    os.write(w, envelope)
    os.close(w)
    # as root, run it as sluiceq (a trusted parent) rather than through the
    # setuid bit: LeakSanitizer cannot work in a setuid process (asan
    # builds).  Its leaks are the queue tests' business, not ours.
    kw = {"user": "sluiceq", "group": "sluiceq", "extra_groups": []} if os.geteuid() == 0 else {}
    env = dict(inst.env, ASAN_OPTIONS="detect_leaks=0")
    p = subprocess.run([harness.prog("sluice-queue")], input=msg.encode(), stdout=r,
                       stderr=subprocess.PIPE, env=env, timeout=60, **kw)
    os.close(r)
    if p.returncode != 0:
        raise RuntimeError("sluice-queue exit %d: %s" % (p.returncode, p.stderr.decode()))


MSG = "From: x@example.test\nSubject: through the queue\n\nhello\n"


@unittest.skipUnless(built(), "sluice-conf is not built yet")
class ConfInstance(unittest.TestCase):
    """One-shot deliveries on an instance made by sluice-conf (its file
    formats, owners and modes), without the queue."""

    def setUp(self):
        self.inst = harness.Instance()

    def tearDown(self):
        self.inst.cleanup()

    def deliver(self, rcpt, msg=MSG):
        p = self.inst.run("sluice-local", "-1", "L", "s@remote.test", "", rcpt, input=msg.encode())
        return p.returncode, p.stdout.decode().strip()

    def test_users_aliases_quota_programs(self):
        inst = self.inst
        inst.conf("domain", "add", "example.test", "programs")
        inst.conf("domain", "add", "plain.test")
        inst.add_user("alice@example.test", "pw")
        inst.add_user("dave@plain.test", "pw")
        inst.conf("user", "add", "q@example.test", "--quota", "100", input="pw\n")
        inst.conf("alias", "add", "team@example.test", "alice")
        self.assertEqual(self.deliver("alice+x@example.test")[0], 0)
        self.assertEqual(self.deliver("team@example.test")[0], 0)
        self.assertEqual(self.deliver("postmaster@plain.test")[0], 0)
        self.assertEqual(len(inst.messages("alice@example.test")), 2)
        rc, res = self.deliver("q@example.test", "Subject: x\n\n" + "x" * 200 + "\n")
        self.assertEqual((rc, res[:6]), (100, "D5.2.3"))
        home = os.path.dirname(inst.maildir("alice@example.test"))
        with open(os.path.join(home, ".sluice"), "w") as f:
            f.write("|cat > prog-out\n")
        self.assertEqual(self.deliver("alice@example.test")[0], 0)
        self.assertTrue(os.path.exists(os.path.join(home, "prog-out")))
        home = os.path.dirname(inst.maildir("dave@plain.test"))
        os.makedirs(home, exist_ok=True)
        with open(os.path.join(home, ".sluice"), "w") as f:
            f.write("|cat > prog-out\n")
        rc, res = self.deliver("dave@plain.test")
        self.assertEqual((rc, res[:6]), (100, "D5.7.1"))


@unittest.skipUnless(built(), "the queue programs and sluice-conf are not built yet")
class ThroughQueue(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = harness.SmtpSink()
        cls.inst = inst = harness.Instance()
        try:
            inst.conf("domain", "add", "example.test", "programs")
            for u in ("alice", "bob", "carol"):
                inst.add_user("%s@example.test" % u, "pw")
            inst.conf("user", "add", "q@example.test", "--quota", "3000", input="pw\n")
            inst.conf("alias", "add", "team@example.test", "alice", "far@remote.test")
            inst.conf("alias", "add", "@example.test", "carol")
            inst.conf("route", "add", "remote.test", "%s:%d" % (cls.sink.ip, cls.sink.port))
            inst.set("retrymin", "10")
            inst.start(wait=())
            inject(inst, "bob@example.test", ["alice@example.test"], "Subject: probe\n\nprobe\n")
        except Exception:
            cls.tearDownClass()
            raise
        try:
            inst.wait_mail("alice@example.test", 1, 30)
            cls.broken = None
        except TimeoutError:
            cls.broken = "the queue delivered nothing in 30 s; send log:\n" + inst.log("send")[-2000:]

    def setUp(self):
        if self.broken:
            self.fail(self.broken)

    def wait_bounce(self, rcpt, dsn):
        """Wait for a bounce to bob naming rcpt with status dsn."""
        def find():
            for m in self.inst.messages("bob@example.test"):
                text = m.as_string()
                if "Final-Recipient: rfc822;" in text and rcpt in text and "Status: " + dsn in text:
                    return m
            return None
        return harness.wait_for(find, 60, what="a %s bounce for %s" % (dsn, rcpt))

    def tearDown(self):
        # (in sanitizer builds the setuid sluice-queue logs "LeakSanitizer
        # has encountered a fatal error": LSan cannot run setuid; that is
        # the queue's to solve, so only real reports count here)
        log = self.inst.log("send")
        for bad in ("runtime error", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer: detected",
                    "delivery process crashed"):
            self.assertNotIn(bad, log)

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()
        cls.sink.stop()

    def test_user_alias_catchall_and_remote_target(self):
        inst = self.inst
        inject(inst, "bob@example.test", ["alice@example.test", "team@example.test",
                                          "whoever@example.test"], MSG)
        def delivered_to(address, dt):
            return [m for m in inst.messages(address) if m["Delivered-To"] == dt]

        for address, dt in (("alice@example.test", "alice@example.test"),
                            ("alice@example.test", "team@example.test"),
                            ("carol@example.test", "whoever@example.test")):
            m = harness.wait_for(lambda: delivered_to(address, dt), 30, what="%s via %s" % (address, dt))
            self.assertEqual(m[-1]["Return-Path"], "<bob@example.test>")
        harness.wait_for(lambda: self.sink.messages, 60, what="the remote alias target")
        frm, rcpts, data = self.sink.messages[0]
        self.assertEqual((frm, rcpts), ("bob@example.test", ["far@remote.test"]))
        self.assertIn(b"Delivered-To: team@example.test", data)

    def test_loop_bounces_to_sender(self):
        inst = self.inst
        inject(inst, "bob@example.test", ["alice+loop@example.test"],
               "Delivered-To: alice+loop@example.test\n" + MSG)
        self.wait_bounce("alice+loop@example.test", "5.4.6")

    def test_program_and_quota(self):
        inst = self.inst
        home = os.path.dirname(inst.maildir("carol@example.test"))
        with open(os.path.join(home, ".sluice"), "w") as f:
            f.write("|cat > got-it\n./Maildir/\n")
        os.chmod(os.path.join(home, ".sluice"), 0o644)
        inject(inst, "bob@example.test", ["carol+p@example.test"], MSG)
        harness.wait_for(lambda: os.path.exists(os.path.join(home, "got-it")), 60, what="program ran")
        inst.set("quotadefer", "0")
        inject(inst, "bob@example.test", ["q@example.test"], "Subject: big\n\n" + "x" * 5000 + "\n")
        self.wait_bounce("q@example.test", "5.2.3")


    def test_over_quota_defers_then_bounces(self):
        inst = self.inst
        inst.conf("user", "add", "q2@example.test", "--quota", "3000", input="pw\n")
        inst.set("quotadefer", "3")
        msg = "Subject: half\n\n" + "h" * 1999 + "\n"
        inject(inst, "bob@example.test", ["q2@example.test"], msg)
        inst.wait_mail("q2@example.test", 1)
        inject(inst, "bob@example.test", ["q2@example.test"], msg)
        harness.wait_for(lambda: "q2@example.test> result=Z dsn=4.2.2" in inst.log("send"), 30,
                         what="a temporary over-quota failure")
        time.sleep(3.5)
        inst.svc("-a", "send")
        self.wait_bounce("q2@example.test", "5.2.2")
        self.assertEqual(len(inst.messages("q2@example.test")), 1)

    def test_full_disk_defers_then_delivers(self):
        inst = self.inst
        inst.add_user("full@example.test", "pw")
        home = os.path.dirname(inst.maildir("full@example.test"))
        os.makedirs(home, exist_ok=True)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k,mode=0700", "tmpfs", home],
                           capture_output=True, timeout=30)
        if p.returncode != 0:
            self.skipTest("cannot mount a tmpfs: %s" % p.stderr.decode().strip())
        try:
            st = os.stat(os.path.dirname(home))
            os.chown(home, st.st_uid, st.st_gid)
            inject(inst, "bob@example.test", ["full@example.test"],
                   "Subject: big\n\n" + ("z" * 99 + "\n") * 3000)
            harness.wait_for(lambda: "full@example.test> result=Z dsn=4.3.1" in inst.log("send"), 30,
                             what="a temporary failure for the full disk")
            self.assertEqual(inst.messages("full@example.test"), [])
            self.assertEqual(os.listdir(os.path.join(home, "Maildir", "tmp")), [])
            subprocess.run(["mount", "-o", "remount,size=4m", home], check=True, timeout=30)
            inst.svc("-a", "send")      # retry deferred mail now
            m = inst.wait_mail("full@example.test", 1, 60)
            self.assertEqual(len(m[0].get_content()), 300000)
        finally:
            subprocess.run(["umount", "-l", home], timeout=30)


if __name__ == "__main__":
    unittest.main()
