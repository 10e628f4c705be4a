"""Quota at RCPT time and the 90 % warning, on a real instance (svscan,
sluice-smtpd on port 25, sluice-send, sluice-local), with swaks.

  - deliveries that take a mailbox to 90 % of its quota put one warning
    message into it (once per crossing, not once per message)
  - a message that no longer fits is deferred (4.2.2) and from then on the
    SMTP server answers 452 4.2.2 at RCPT for that mailbox, instead of
    accepting mail it would have to bounce later
  - after the user makes room, the deferred message is delivered, the
    RCPT check accepts again, and the next crossing warns again
"""
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402

QUOTA = 10000
BODY = b"x" * 70 + b"\n"          # 71 bytes a line


def swaks(inst, to, body_lines, quit_after=None, size=None):
    args = ["swaks", "--server", "%s:%d" % (inst.ip, inst.ports["smtp"]), "--from", "sender@remote.test",
            "--to", to, "--helo", "client.test", "--timeout", "30", "--header", "Subject: fill"]
    if quit_after:
        args += ["--quit-after", quit_after]
    else:
        args += ["--body", (BODY * body_lines).decode()]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


class QuotaNotesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = inst = harness.Instance()
        inst.conf("domain", "add", "example.test")
        inst.conf("user", "add", "q@example.test", "--quota", str(QUOTA), input="secret\n")
        inst.add_user("free@example.test", "secret")
        inst.set("retrymin", 10)
        inst.start(wait=("smtp",))

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()

    def note(self):
        try:
            with open(self.inst.path("quota", "q@example.test")) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def warnings(self):
        return [m for m in self.inst.messages("q@example.test") if m["Subject"].startswith("Your mailbox is")]

    def sizes(self):
        """{name: S= size} of the messages in the mailbox."""
        md = self.inst.maildir("q@example.test")
        out = {}
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(md, sub)):
                out[name] = int(re.search(r",S=(\d+)", name).group(1))
        return out

    def fill(self, lines):
        """One message of `lines` body lines through port 25; its size."""
        before = self.sizes()
        p = swaks(self.inst, "q@example.test", lines)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        new = harness.wait_for(lambda: [n for n in self.sizes() if n not in before and
                                        ".sluice" not in n or n not in before], 30, what="the delivery")
        return max(self.sizes()[n] for n in new)

    def fill_to(self, percent):
        want = QUOTA * percent // 100 - sum(self.sizes().values()) - self.overhead
        self.assertGreater(want, 0)
        return self.fill(want // len(BODY))

    def test_warning_once_then_452_then_room_again(self):
        inst = self.inst
        st = os.stat(inst.path("quota"))
        self.assertEqual(st.st_mode & 0o7777, 0o2750)
        self.overhead = self.fill(20) - 20 * len(BODY)
        self.fill_to(60)
        self.assertIsNone(self.note())
        self.assertEqual(self.warnings(), [])
        self.fill_to(95)                           # the crossing
        w = harness.wait_for(self.warnings, 20, what="the quota warning")
        self.assertEqual(len(w), 1)
        self.assertEqual(w[0]["Auto-Submitted"], "auto-generated")
        self.assertRegex(w[0].get_content(), r"uses \d+ of its %d bytes \(9\d%%\)" % QUOTA)
        self.assertRegex(self.note(), r"^\d+ %d near\n$" % QUOTA)
        # does not fit: accepted (the note says only "near"), then deferred
        p = swaks(inst, "q@example.test", 20)
        self.assertEqual(p.returncode, 0, p.stdout)
        harness.wait_for(lambda: "4.2.2 mailbox full" in inst.log("send"), 30, what="the quota deferral")
        harness.wait_for(lambda: (self.note() or "").endswith(" full\n"), 10, what="the note to say full")
        self.assertEqual(len(self.warnings()), 1)         # once per crossing
        # now the SMTP server refuses at RCPT, for this mailbox only
        p = swaks(inst, "q@example.test", 0, quit_after="RCPT")
        self.assertIn("452 4.2.2", p.stdout)
        self.assertNotEqual(p.returncode, 0)
        p = swaks(inst, "free@example.test", 0, quit_after="RCPT")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("452 4.2.2", inst.log("smtpd"))
        # the user makes room (a mail client that deletes also updates
        # maildirsize: here it is removed, so it is recounted)
        md = inst.maildir("q@example.test")
        for m in inst.messages("q@example.test"):
            if m["Subject"] == "fill":
                os.unlink(m.sluice_path)
        os.unlink(os.path.join(md, "maildirsize"))
        self.assertEqual(inst.run("sluice-qctl", "flush").returncode, 0)
        harness.wait_for(lambda: self.note() is None, 30, what="the delivery and the note to go")
        self.assertEqual(len(inst.messages("q@example.test")), 2)     # the warning, the deferred one
        p = swaks(inst, "q@example.test", 0, quit_after="RCPT")
        self.assertEqual(p.returncode, 0, p.stdout)
        # the next crossing warns again
        self.fill_to(95)
        harness.wait_for(lambda: len(self.warnings()) == 2, 20, what="the second warning")
        time.sleep(1)
        self.assertEqual(len(self.warnings()), 2)


if __name__ == "__main__":
    unittest.main()
