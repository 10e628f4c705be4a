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
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402

NEEDED = ("sluice-conf", "sluice-queue", "sluice-send", "sluice-start", "sluice-local", "sluice-remote")


def built():
    return all(os.path.exists(os.path.join(harness.TOP, "bin", p)) for p in NEEDED)


def inject(inst, sender, rcpts, msg):
    """qmail-queue protocol: message on fd 0, envelope on fd 1."""
    env = b"F" + sender.encode() + b"\0" + b"".join(b"T" + r.encode() + b"\0" for r in rcpts) + b"\0"
    r, w = os.pipe()
    os.write(w, env)
    os.close(w)
    p = subprocess.run([harness.prog("sluice-queue")], input=msg.encode(), stdout=r,
                       stderr=subprocess.PIPE, env=inst.env, timeout=60)
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

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()
        cls.sink.stop()

    def test_user_alias_catchall_and_remote_target(self):
        inst = self.inst
        inject(inst, "bob@example.test", ["alice@example.test", "team@example.test",
                                          "whoever@example.test"], MSG)
        msgs = inst.wait_mail("alice@example.test", 3)
        dts = sorted(m["Delivered-To"] for m in msgs)
        self.assertEqual(dts, ["alice@example.test", "alice@example.test", "team@example.test"])
        self.assertEqual(msgs[0]["Return-Path"], "<bob@example.test>")
        c = inst.wait_mail("carol@example.test", 1)
        self.assertEqual(c[0]["Delivered-To"], "whoever@example.test")
        harness.wait_for(lambda: self.sink.messages, 60, what="the remote alias target")
        frm, rcpts, data = self.sink.messages[0]
        self.assertEqual((frm, rcpts), ("bob@example.test", ["far@remote.test"]))
        self.assertIn(b"Delivered-To: team@example.test", data)

    def test_loop_bounces_to_sender(self):
        inst = self.inst
        before = len(inst.messages("bob@example.test"))
        inject(inst, "bob@example.test", ["alice+loop@example.test"],
               "Delivered-To: alice+loop@example.test\n" + MSG)
        msgs = inst.wait_mail("bob@example.test", before + 1, 60)
        text = msgs[-1].as_string()
        self.assertIn("5.4.6", text)

    def test_program_and_quota(self):
        inst = self.inst
        home = os.path.dirname(inst.maildir("carol@example.test"))
        with open(os.path.join(home, ".sluice"), "w") as f:
            f.write("|cat > got-it\n./Maildir/\n")
        os.chmod(os.path.join(home, ".sluice"), 0o644)
        inject(inst, "bob@example.test", ["carol+p@example.test"], MSG)
        harness.wait_for(lambda: os.path.exists(os.path.join(home, "got-it")), 60, what="program ran")
        before = len(inst.messages("bob@example.test"))
        inst.set("quotadefer", "0")
        inject(inst, "bob@example.test", ["q@example.test"], "Subject: big\n\n" + "x" * 5000 + "\n")
        msgs = inst.wait_mail("bob@example.test", before + 1, 60)
        self.assertIn("5.2.3", msgs[-1].as_string())


if __name__ == "__main__":
    unittest.main()
