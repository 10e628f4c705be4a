"""Connection reuse and delivery workers through the real queue:
sluice-queue -> sluice-send -> sluice-remote (under sluice-start and
svscan, an instance made by sluice-conf) to a scripted SMTP server on
loopback reached by a static route.  A drain of messages held in the
queue uses far fewer connections than messages and delivers each once;
a delivery worker killed with SIGKILL in the middle of a job has its
recipient deferred by the queue manager and delivered once on the retry,
by a new worker of the same sluice-remote."""
import os
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "local"))
import harness  # noqa: E402
from test_local_queue import inject, built  # noqa: E402
from test_remote_reuse import MiniSmtp, children  # noqa: E402


def remote_parent(root):
    """The pid of this instance's sluice-remote parent (its parent is not
    a sluice-remote), found through /proc by program and SLUICE_ROOT."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%d/cmdline" % ppid, "rb") as f:
                pargv0 = f.read().split(b"\0")[0]
        except OSError:
            continue
        if (os.path.basename(argv0) == b"sluice-remote" and b"SLUICE_ROOT=" + root.encode() in env
                and os.path.basename(pargv0) != b"sluice-remote"):
            found.append(int(d))
    return found[0] if len(found) == 1 else None


@unittest.skipUnless(built(), "the queue programs are not built yet")
class QueueReuse(unittest.TestCase):
    def setUp(self):
        self.sink = MiniSmtp()
        self.inst = inst = harness.Instance()
        try:
            inst.conf("route", "add", "remote.test", "%s:%d" % (self.sink.ip, self.sink.port))
            inst.set("retrymin", "10")
            inst.start(wait=())
        except Exception:
            self.tearDown()
            raise

    def tearDown(self):
        self.inst.cleanup()
        self.sink.stop()

    def rcpts_at_sink(self):
        with self.sink.lock:
            return [r for _, rs, _ in self.sink.messages for r in rs]

    def test_drain_uses_few_connections(self):
        n = 40
        self.inst.service_down("send")
        for i in range(n):
            inject(self.inst, "s@example.test", ["r%d@remote.test" % i],
                   "From: s@example.test\nSubject: drain %d\n\nbody %d\n" % (i, i))
        self.inst.service_up("send")
        harness.wait_for(lambda: len(self.rcpts_at_sink()) >= n, 90,
                         what="%d messages at the sink" % n)
        time.sleep(1)
        got = self.rcpts_at_sink()
        self.assertEqual(sorted(got), sorted("r%d@remote.test" % i for i in range(n)))
        # concurrencydomain (10) connections at most, and some slack
        self.assertLessEqual(self.sink.connections, 12,
                             "%d connections for %d messages" % (self.sink.connections, n))
        self.assertIn("conn=reused", self.inst.log("send"))

    def test_killed_worker_defers_then_delivers_once(self):
        self.sink.rcpt_delay = 4
        inject(self.inst, "s@example.test", ["k@remote.test"],
               "From: s@example.test\nSubject: kill\n\nbody\n")
        harness.wait_for(lambda: self.sink.connections >= 1, 30, what="a connection")
        parent = harness.wait_for(lambda: remote_parent(self.inst.root), 10,
                                  what="the sluice-remote parent")
        workers = harness.wait_for(lambda: children(parent), 10, what="a worker")
        time.sleep(1)
        for w in workers:
            os.kill(w, signal.SIGKILL)
        self.sink.rcpt_delay = 0
        harness.wait_for(lambda: "to=<k@remote.test> status=deferred" in self.inst.log("send"),
                         30, what="the deferral")
        harness.wait_for(lambda: "k@remote.test" in self.rcpts_at_sink(), 90,
                         what="the retry's delivery")
        time.sleep(1)
        self.assertEqual(self.rcpts_at_sink(), ["k@remote.test"])
        log = self.inst.log("send")
        self.assertIn("crashed or timed out", log)
        self.assertIn("to=<k@remote.test> status=sent", log)
        self.assertEqual(remote_parent(self.inst.root), parent)
        now = children(parent)
        self.assertTrue(now and not (now & workers), (now, workers))


if __name__ == "__main__":
    unittest.main()
