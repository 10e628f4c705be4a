"""sluice-local's long-lived delivery workers (lib/spawner.h): a stream
of deliveries is served by the same worker process (no process per
delivery), also across program deliveries (which fork a child of their
own); a worker killed mid-job gets its recipient deferred (Z) and a retry
delivers once; EOF from the manager ends every worker.

Runs bin/sluice-local over a SOCK_SEQPACKET socketpair against an
instance built by localinst.py; worker pids are read from
/proc/PID/task/PID/children of the spawner."""
import os
import signal
import sys
import time
import unittest

import localinst

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402
from test_local_queue import inject, built  # noqa: E402

MSG = "From: a@remote.test\nTo: b@example.test\nSubject: hello\n\nline one\n"


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return {int(x) for x in f.read().split()}
    except OSError:
        return set()


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Workers(unittest.TestCase):
    def setUp(self):
        self.inst = localinst.LocalInstance()
        self.inst.add_domain("example.test", programs=True)
        self.alice = self.inst.add_user("alice@example.test")
        self.bob = self.inst.add_user("bob@example.test")
        self.inst.write()
        self.sp = self.inst.spawner()
        self.strays = []

    def tearDown(self):
        workers = children(self.sp.proc.pid)
        err = ""
        try:
            err = self.sp.close()[1]
        except Exception:
            pass
        for pid in workers | set(self.strays):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.inst.cleanup()
        for bad in ("runtime error", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer"):
            self.assertNotIn(bad, err)

    def deliver(self, rcpt, **kw):
        jid = self.sp.job(rcpt, MSG, **kw)
        got, st = self.sp.result(60)
        self.assertEqual(got, jid)
        self.assertEqual(len(st), 1)
        return st[0]

    def test_one_worker_serves_many_deliveries(self):
        self.inst.write_file(os.path.join(self.bob, ".sluice"), "|cat > /dev/null\n./Maildir/\n")
        pids = set()
        for i in range(40):
            st = self.deliver("bob@example.test" if i % 10 == 9 else "alice@example.test",
                              qid="w%d" % i)
            self.assertTrue(st.startswith("K2.0.0"), st)
            pids |= children(self.sp.proc.pid)
        self.assertEqual(len(pids), 1, "one worker for 40 sequential deliveries: %s" % pids)
        self.assertTrue(all(alive(p) for p in pids))
        self.assertEqual(self.inst.count("alice@example.test"), 36)
        self.assertEqual(self.inst.count("bob@example.test"), 4)
        rc, err = self.sp.close()
        self.assertEqual(rc, 0, err)
        self.assertNotIn("exits after a job", err)
        for p in pids:
            self.assertFalse(alive(p))

    def test_killed_worker_defers_and_is_replaced(self):
        marker = os.path.join(self.bob, "ran")
        self.inst.write_file(os.path.join(self.bob, ".sluice"),
                             "|test -e ran && exit 0; touch ran; sleep 30\n./Maildir/\n")
        st = self.deliver("alice@example.test", qid="k1")
        self.assertTrue(st.startswith("K2.0.0"), st)
        (worker,) = children(self.sp.proc.pid)
        jid = self.sp.job("bob@example.test", MSG, qid="k2")
        deadline = time.time() + 30
        while not os.path.exists(marker) and time.time() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(marker), "the program started")
        self.strays += children(worker)
        os.kill(worker, signal.SIGKILL)
        got, st = self.sp.result(30)
        self.assertEqual(got, jid)
        self.assertTrue(st[0].startswith("Z4.3.0"), st)
        self.assertIn("crashed", st[0])
        for p in self.strays:
            try:
                os.killpg(p, signal.SIGKILL)
            except OSError:
                pass
        # the queue's retry: delivered once, by a new worker
        st = self.deliver("bob@example.test", qid="k2")
        self.assertTrue(st.startswith("K2.0.0"), st)
        self.assertEqual(self.inst.count("bob@example.test"), 1)
        now = children(self.sp.proc.pid)
        self.assertEqual(len(now), 1)
        self.assertNotIn(worker, now)

    def test_eof_ends_every_worker(self):
        jids = [self.sp.job("alice@example.test", MSG, qid="e%d" % i) for i in range(6)]
        got = {self.sp.result(60)[0] for _ in jids}
        self.assertEqual(got, set(jids))
        workers = children(self.sp.proc.pid)
        self.assertTrue(1 <= len(workers) <= 6, workers)
        rc, err = self.sp.close()
        self.assertEqual(rc, 0, err)
        for p in workers:
            self.assertFalse(alive(p))
        self.assertEqual(self.inst.count("alice@example.test"), 6)


@unittest.skipUnless(built(), "the queue programs are not built yet")
class ThroughTheQueue(unittest.TestCase):
    """The same on an instance made by sluice-conf, under sluice-start:
    there the workers start in ROOT/queue, which sluicev cannot read, and
    must still not be taken for doubtful after each job."""

    def test_workers_stay_across_a_drain(self):
        inst = harness.Instance()
        try:
            inst.conf("domain", "add", "example.test")
            inst.add_user("alice@example.test", "pw")
            inst.start(wait=())
            inst.service_down("send")
            for i in range(30):
                inject(inst, "s@example.test", ["alice@example.test"],
                       "From: s@example.test\nSubject: %d\n\nbody\n" % i)
            inst.service_up("send")
            inst.wait_mail("alice@example.test", 30, 90)
            log = inst.log("send")
            self.assertNotIn("exits after a job", log)
            self.assertNotIn("crashed", log)
            self.assertEqual(log.count("status=sent"), 30)
        finally:
            inst.cleanup()


if __name__ == "__main__":
    unittest.main()
