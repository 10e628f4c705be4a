"""Faults: kill -9 of each long-running program in turn during a steady flow
(the supervisor restarts it) ends with every acknowledged message delivered,
local ones exactly once; a full queue filesystem gives 4xx at DATA and never
a 250 for a message that is not on disk."""
import collections
import os
import smtplib
import subprocess
import time
import unittest

import harness
from util import Flow, instance_pids, kill9, parent_process


class KillEachInTurn(unittest.TestCase):
    def setUp(self):
        self.sink = harness.SmtpSink()
        self.inst = harness.Instance()
        self.inst.conf("domain", "add", "example.test")
        self.inst.add_user("bob@example.test", "bob-pw-123")
        self.inst.conf("route", "add", "routed.test", "%s:%d" % (self.sink.ip, self.sink.port))
        self.inst.set("smtpgreetdelay", 0)
        self.inst.set("retrymin", 10)
        self.inst.conf("relay", "add", "127.0.0.0/8")
        self.inst.start()

    def tearDown(self):
        self.inst.cleanup()
        self.sink.stop()

    def test_kill9_each_program_during_flow(self):
        inst = self.inst
        flow = Flow(inst.ip, inst.ports["smtp"], ["bob@example.test"], "flow",
                    extra_every=4, extra_rcpt="friend@routed.test").start()
        killed = []
        try:
            time.sleep(2)
            for name in ("sluice-send", "sluice-local", "sluice-remote", "smtp listener", "sluice-send"):
                if name == "smtp listener":
                    # port 25's pool master (or tcpserver, smtpdtcpserver=1)
                    pids = [p for p, _ in instance_pids(inst.root, "sluice-smtpd") +
                            instance_pids(inst.root, "tcpserver")]
                    pid = None
                    for p in pids:
                        with open("/proc/%d/cmdline" % p, "rb") as f:
                            argv = f.read().split(b"\0")
                        if (b"%d" % inst.ports["smtp"]) in argv and (b"--pool" in argv or
                                                                    b"tcpserver" in argv[0]):
                            pid = p
                else:
                    pid = parent_process(inst.root, name)
                self.assertIsNotNone(pid, "%s is running" % name)
                self.assertTrue(kill9(pid))
                killed.append((name, pid))
                time.sleep(3)
        finally:
            flow.stop()
        self.assertGreater(len(flow.acked), 20, "mail kept flowing: %d acked, failures %s"
                           % (len(flow.acked), flow.failed[:3]))
        want_local = {n for n, _ in flow.acked}
        want_remote = {n for n, r in flow.acked if "friend@routed.test" in r}
        self.assertGreater(len(want_remote), 3, "the flow relays to the routed domain too")

        def local_counts():
            c = collections.Counter()
            for m in inst.messages("bob@example.test"):
                s = m["subject"] or ""
                if s.startswith("flow-"):
                    c[int(s.split("-")[1])] += 1
            return c

        # SIGALRM to the queue manager retries deferred mail at once
        def nudge():
            for p, _ in instance_pids(inst.root, "sluice-send"):
                try:
                    os.kill(p, 14)
                except ProcessLookupError:
                    pass
            c = local_counts()
            return want_local <= set(c) or None
        try:
            harness.wait_for(nudge, 120, interval=1, what="every acknowledged local message")
        except TimeoutError:
            missing = sorted(want_local - set(local_counts()))
            queue = inst.run("sluice-qread").stdout.decode()
            ids = [l.split()[0] for l in queue.splitlines() if l and not l[0].isspace()]
            self.fail("acknowledged but not delivered: %s (killed %s)\nqueue:\n%s\nlog lines about them:\n%s"
                      % (missing, killed, queue[-3000:], all_log_lines(inst, ids)[-8000:]))
        counts = local_counts()
        dups = {n: k for n, k in counts.items() if k > 1}
        self.assertEqual(dups, {}, "local deliveries exactly once (killed: %s)" % killed)
        remote = lambda: {int(email_subject(d).split("-")[1]) for _, _, d in self.sink.messages}
        harness.wait_for(lambda: want_remote <= remote() or nudge() and False, 120, interval=1,
                         what="every acknowledged remote message")


def all_log_lines(inst, words):
    """Lines of every log file (current and rotated) that mention a word,
    plus starts and fatal errors."""
    out = []
    for service in ("smtpd", "send"):
        d = inst.path("log", service)
        for name in sorted(os.listdir(d)):
            if name.startswith("@") or name == "current":
                with open(os.path.join(d, name), errors="replace") as f:
                    for line in f:
                        if any(w in line for w in words) or "started" in line or "fatal" in line:
                            out.append(line)
    return "".join(out)


def email_subject(data):
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"subject:"):
            return line.split(b":", 1)[1].strip().decode()
    return ""


class QueueDiskFull(unittest.TestCase):
    def setUp(self):
        self.inst = harness.Instance()
        self.inst.conf("domain", "add", "example.test")
        self.inst.add_user("bob@example.test", "bob-pw-123")
        self.inst.set("smtpgreetdelay", 0)
        q = self.inst.path("queue")
        st = os.stat(q)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=%o,uid=%d,gid=%d"
                        % (st.st_mode & 0o7777, st.st_uid, st.st_gid), "tmpfs", q], check=True)
        self.mounted = q

    def tearDown(self):
        self.inst.stop()
        subprocess.run(["umount", "-l", self.mounted])
        self.inst.cleanup()

    def test_full_queue_gives_4xx_never_false_250(self):
        inst = self.inst
        # no delivery: the queue manager is down, so the queue only fills
        inst.start(wait=("smtp",))
        inst.service_down("send")
        body = b"x" * 76 + b"\r\n"
        big = b"Subject: fill-%d\r\n\r\n" + body * 3000   # ~234 KB
        acked, refused = [], []
        for i in range(40):
            try:
                with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as c:
                    c.sendmail("fill@elsewhere.test", ["bob@example.test"], big.replace(b"%d", b"%d" % i))
                acked.append(i)
            except smtplib.SMTPDataError as e:
                self.assertTrue(400 <= e.smtp_code < 500, "refused with 4xx, got %d" % e.smtp_code)
                refused.append(i)
            except smtplib.SMTPResponseException as e:
                self.fail("unexpected reply %d %s" % (e.smtp_code, e.smtp_error))
        self.assertTrue(acked and refused, "some accepted (%d), then 4xx (%d)" % (len(acked), len(refused)))
        # free space, start delivery: every acknowledged message arrives, whole
        inst.service_up("send")
        msgs = inst.wait_mail("bob@example.test", len(acked), 90)
        got = sorted(int(m["subject"].split("-")[1]) for m in msgs)
        self.assertEqual(got, sorted(acked))
        for m in msgs:
            self.assertEqual(m.get_payload().count("x" * 76), 3000, "message is whole")


if __name__ == "__main__":
    unittest.main()
