"""Faults on the delivery path of the queue manager, each reproduced with
the real programs: a message whose recipients do not fit one job packet,
a result bigger than a packet, a journal that cannot be written (a full
queue filesystem), a killed keeper, a delivery program that forges
results, and a journal that keeps growing.  In every case the manager
keeps running, nothing delivered is delivered again and nothing accepted
is lost."""
import asyncio
import os
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
from qtest import QueueInstance  # noqa: E402
from util import instance_pids, parent_process  # noqa: E402

MSG = b"From: a@sender.test\nSubject: fault test\n\nhello\n"


class Sink:
    """aiosmtpd on loopback: records every transaction; the DATA reply and
    a delay before it can be set."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.ip = harness.pick_ip()
        self.port = harness.free_port(self.ip)
        self.messages = []          # (rcpts, data)
        self.data_reply = "250 2.0.0 OK queued"
        self.delay = 0
        self.in_data = 0
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.in_data += 1
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                sink.messages.append((list(envelope.rcpt_tos), envelope.content))
                return sink.data_reply

        self.controller = Controller(Handler(), hostname=self.ip, port=self.port,
                                     data_size_limit=0)
        self.controller.start()

    def rcpt_counts(self):
        c = {}
        for rcpts, _ in self.messages:
            for r in rcpts:
                c[r] = c.get(r, 0) + 1
        return c

    def stop(self):
        self.controller.stop()


class RealRemote(unittest.TestCase):
    """sluice-send with the real sluice-remote, relaying to the sink."""

    def setUp(self):
        self.sink = Sink()
        self.inst = harness.Instance()
        self.inst.set("retrymin", 10)
        self.mounted = None

    def tearDown(self):
        self.inst.stop()
        if self.mounted:
            subprocess.run(["umount", "-l", self.mounted])
        self.inst.cleanup()
        self.sink.stop()

    def route(self, domain):
        self.inst.conf("route", "add", domain, "%s:%d" % (self.sink.ip, self.sink.port))

    def sendmail(self, rcpts, msg=MSG):
        p = self.inst.run("sluice-sendmail", "-f", "a@sender.test", *rcpts, input=msg)
        self.assertEqual(p.returncode, 0, p.stderr)

    def starts(self):
        return self.inst.log("send").count("sluice-send: started with")

    def queued(self):
        mess = self.inst.path("queue", "mess")
        return [n for b in os.listdir(mess) for n in os.listdir(os.path.join(mess, b))]

    def nudge(self, times=1):
        """SIGALRM to the scheduler: every deferred recipient is due now."""
        for _ in range(times):
            pid = parent_process(self.inst.root, "sluice-send")
            if pid:
                os.kill(pid, signal.SIGALRM)
            time.sleep(1)

    def keeper(self):
        sched = parent_process(self.inst.root, "sluice-send")
        kids = [p for p, pp in instance_pids(self.inst.root, "sluice-send") if pp == sched]
        return kids[0] if kids else None

    def test_600_long_recipients_at_one_domain(self):
        """Their addresses pass the job packet limit: the manager splits the
        job by size and delivers them all, without restarting."""
        domain = ".".join(["d" + "x" * 58, "y" * 60, "z" * 60, "test"])
        self.route(domain)
        self.inst.start(wait=())
        harness.wait_for(lambda: self.starts() == 1, 30, what="sluice-send started")
        rcpts = ["u%03d%s@%s" % (i, "a" * 56, domain) for i in range(600)]
        self.assertGreater(sum(len(r) + 1 for r in rcpts), 128 * 1024)
        self.sendmail(rcpts)
        harness.wait_for(lambda: len(self.sink.rcpt_counts()) == 600 or None, 90,
                         what="600 recipients at the sink; log:\n" + self.inst.log("send")[-2000:])
        self.assertEqual(set(self.sink.rcpt_counts().values()), {1}, "each once")
        self.assertGreaterEqual(len(self.sink.messages), 2, "split into jobs")
        harness.wait_for(lambda: not self.queued(), 30, what="the queue to empty")
        self.assertEqual(self.starts(), 1, "the manager never restarted:\n" + self.inst.log("send")[-3000:])

    def test_big_result_is_recorded_once(self):
        """400 recipients with a long 250 reply (kept to 400 bytes): the result passes a
        packet; it is still journaled, so a retry round delivers nothing
        again."""
        self.route("long.test")
        self.sink.data_reply = "250 2.0.0 " + "q" * 700
        self.inst.start(wait=())
        harness.wait_for(lambda: self.starts() == 1, 30, what="sluice-send started")
        self.sendmail(["r%d@long.test" % i for i in range(400)])
        harness.wait_for(lambda: self.sink.messages, 60, what="the delivery")
        harness.wait_for(lambda: not self.queued(), 30,
                         what="the queue to empty; log:\n" + self.inst.log("send")[-3000:])
        self.nudge(3)
        self.assertEqual(len(self.sink.messages), 1, "delivered once")
        self.assertIn("delivery ", self.inst.log("send"))
        self.assertEqual(self.starts(), 1)

    def test_kill9_of_the_keeper_during_a_delivery(self):
        """The keeper dies while the remote server is taking the message: a
        new keeper takes the result, so the message is not sent again."""
        self.route("slow.test")
        self.sink.delay = 4
        self.inst.start(wait=())
        harness.wait_for(lambda: self.starts() == 1, 30, what="sluice-send started")
        self.sendmail(["x@slow.test"])
        harness.wait_for(lambda: self.sink.in_data, 30, what="the delivery to begin")
        keeper = self.keeper()
        self.assertIsNotNone(keeper, "the keeper runs")
        os.kill(keeper, signal.SIGKILL)
        harness.wait_for(lambda: self.sink.messages, 30, what="the delivery to end")
        harness.wait_for(lambda: not self.queued(), 30,
                         what="the queue to empty; log:\n" + self.inst.log("send")[-3000:])
        self.nudge(3)
        time.sleep(self.sink.delay + 1)
        self.assertEqual(len(self.sink.messages), 1, "delivered once:\n" + self.inst.log("send")[-3000:])
        self.assertIn("the keeper died", self.inst.log("send"))

    def test_full_queue_disk_holds_results_and_never_repeats(self):
        """The journal cannot be written (tmpfs full): the result is held in
        memory, no delivery starts, the manager does not restart and deliver
        again; once there is room the result is written and the message
        finished."""
        q = self.inst.path("queue")
        st = os.stat(q)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=%o,uid=%d,gid=%d"
                        % (st.st_mode & 0o7777, st.st_uid, st.st_gid), "tmpfs", q], check=True)
        self.mounted = q
        self.route("full.test")
        self.sink.data_reply = "250 2.0.0 " + "f" * 800
        self.inst.start(wait=())
        harness.wait_for(lambda: self.starts() == 1, 30, what="sluice-send started")
        self.inst.service_down("send")
        self.sendmail(["a%d@full.test" % i for i in range(10)])
        fill = os.path.join(q, "fill")
        subprocess.run(["dd", "if=/dev/zero", "of=" + fill, "bs=4096"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.inst.service_up("send")
        harness.wait_for(lambda: self.sink.messages, 60, what="the first delivery")
        self.nudge(10)
        log = self.inst.log("send")
        self.assertEqual(len(self.sink.messages), 1, "nothing delivered again:\n" + log[-3000:])
        self.assertEqual(self.starts(), 2, "no restart:\n" + log[-3000:])
        self.assertEqual(log.count("cannot write the journal"), 1, log[-3000:])
        os.unlink(fill)
        harness.wait_for(lambda: not self.queued(), 60,
                         what="the queue to empty; log:\n" + self.inst.log("send")[-3000:])
        self.assertIn("can be written again", self.inst.log("send"))
        counts = self.sink.rcpt_counts()
        self.assertEqual(len(counts), 10)
        self.assertEqual(set(counts.values()), {1}, "each recipient once")


class FakeDelivery(unittest.TestCase):
    """sluice-send with fakedeliver.py as the delivery programs."""

    def setUp(self):
        self.q = QueueInstance()

    def tearDown(self):
        self.q.cleanup()

    def test_forged_results_are_ignored(self):
        """A compromised sluice-remote answers for a local job and for
        recipients its own job does not have: ignored."""
        q = self.q
        q.env["FAKE_FORGE"] = "1"
        q.env["FAKE_SLOW"] = "3"
        q.start()
        self.assertEqual(q.inject(MSG, "a@sender.test", ["slowbob@" + "mail.example.test",
                                                         "x@remote.test"]), 0)
        q.wait(lambda: len(q.delivered()) == 2 and not q.queued(), 30, "both delivered")
        log = q.log()
        self.assertFalse([l for l in log.splitlines() if " delivery " in l and "forged" in l],
                         "forged results taken")
        self.assertIn("for a job it does not have ignored", log)
        self.assertIn("recipients the job does not have ignored", log)
        self.assertNotIn("bounce", log)

    def test_journal_stays_small(self):
        """Every round of temporary failures adds 2,000 records of about a
        kilobyte; the journal is compacted, so the file stays small (it used
        to grow until it passed 64 MiB and was set aside, undelivered)."""
        q = self.q
        q.start()
        rcpts = ["longtemp%d@remote.test" % i for i in range(2000)]
        self.assertEqual(q.inject(MSG, "a@sender.test", rcpts), 0)
        qid = q.wait(lambda: q.queued(), 30, "queued")[0]
        path = [os.path.join(d, qid) for d, _, f in os.walk(q.path("queue", "mess")) if qid in f][0]
        biggest = 0
        for rnd in range(1, 9):
            q.wait(lambda: q.log().count("status=deferred dsn=4.2.2") >= 2000 * rnd, 60,
                   "round %d" % rnd)
            time.sleep(0.5)
            biggest = max(biggest, os.path.getsize(path))
            q.signal(signal.SIGALRM)
        self.assertTrue("qid=%s compacted the journal" % qid in q.log(), "no compaction")
        self.assertLess(biggest, 9 * 1024 * 1024, "8 rounds of 2 MB each")
        # the compacted file still knows every recipient's attempts
        out = q.run("sluice-qread").stdout.decode()
        self.assertIn(qid, out)
        q.stop()
        self.assertFalse(os.path.exists(path + ".bad"))
        self.assertTrue(os.path.exists(path))

    def test_keeper_killed_again_and_again(self):
        """kill -9 of the keeper three times while 80 messages are being
        delivered: every recipient exactly once, the manager never
        restarts."""
        q = self.q
        q.env["FAKE_SLOW"] = "0.3"
        q.set("concurrencyremote", 5)
        q.set("concurrencylocal", 5)
        q.start()
        for i in range(80):
            self.assertEqual(q.inject(MSG, "a@sender.test", ["slow%d@mail.example.test" % i,
                                                             "slow%d@remote.test" % i]), 0)
        sched = q.proc.pid
        for _ in range(3):
            time.sleep(1.5)
            kids = [p for p, pp in instance_pids(q.root, "sluice-send") if pp == sched]
            if not kids:
                for d in filter(str.isdigit, os.listdir("/proc")):
                    try:
                        with open("/proc/%s/stat" % d) as f:
                            st = f.read()
                    except OSError:
                        continue
                    fields = st.rsplit(")", 1)[1].split()
                    if "(sluice-send)" in st and int(fields[1]) == sched:
                        kids.append(int(d))
            self.assertTrue(kids, "the keeper runs")
            os.kill(kids[0], signal.SIGKILL)
        q.wait(lambda: len(q.delivered()) >= 160 and not q.queued(), 120,
               "every recipient delivered")
        time.sleep(1)
        got = [(qid, r) for _, qid, r, _ in q.delivered()]
        self.assertEqual(len(got), 160)
        self.assertEqual(len(set(got)), 160, "each once")
        self.assertEqual(q.log().count("the keeper died"), 3)
        self.assertEqual(q.log().count("started with"), 1)

    def jobs(self):
        """(jobs started, jobs ended) by the fake delivery programs."""
        try:
            with open(os.path.join(self.q.fake, "jobs")) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return 0, 0
        return (sum(1 for x in lines if x.startswith("start ")),
                sum(1 for x in lines if x.startswith("end ")))

    def test_results_waiting_for_a_new_keeper_are_taken(self):
        """The keeper is killed and every running job ends before the
        scheduler notices (it is stopped meanwhile, as a loaded machine
        may leave it): the results wait in the delivery sockets, and the
        new keeper takes each of them once its job is handed over; none is
        ignored, no slot stays taken, each recipient is delivered once."""
        q = self.q
        q.env["FAKE_SLOW"] = "2"
        q.set("concurrencyremote", 5)
        q.set("concurrencylocal", 5)
        q.start()
        for i in range(10):
            self.assertEqual(q.inject(MSG, "a@sender.test", ["slow%d@mail.example.test" % i,
                                                             "slow%d@remote.test" % i]), 0)
        sched = q.proc.pid
        for _ in range(20):
            q.wait(lambda: self.jobs()[0] > self.jobs()[1], 60, "a job to run")
            os.kill(sched, signal.SIGSTOP)
            started, ended = self.jobs()
            if started > ended:
                break
            os.kill(sched, signal.SIGCONT)      # missed them: the next ones
        try:
            self.assertGreater(started, ended, "jobs run when the keeper is killed")
            keeper = [p for p, pp in instance_pids(q.root, "sluice-send") if pp == sched]
            self.assertTrue(keeper, "the keeper runs")
            os.kill(keeper[0], signal.SIGKILL)
            q.wait(lambda: self.jobs()[0] == self.jobs()[1], 60, "the running jobs to end")
            time.sleep(0.5)         # their results are sent after the "end" line
        finally:
            os.kill(sched, signal.SIGCONT)
        q.wait(lambda: len(q.delivered()) >= 20 and not q.queued(), 90,
               "every recipient delivered (a result dropped keeps its job for an hour)")
        time.sleep(1)
        log = q.log()
        self.assertNotIn("for a job it does not have ignored", log)
        got = [(qid, r) for _, qid, r, _ in q.delivered()]
        self.assertEqual(len(got), 20)
        self.assertEqual(len(set(got)), 20, "each once")
        self.assertEqual(log.count("the keeper died"), 1)
        self.assertEqual(log.count("started with"), 1)

    def test_journal_past_64_mib_is_not_set_aside(self):
        """A queue file whose journal already passed 64 MiB (grown before
        journals were compacted) is read in pieces and compacted: what was
        delivered is not delivered again, the rest is delivered, nothing is
        set aside."""
        q = self.q
        q.prepare()
        self.assertEqual(q.inject(MSG, "a@sender.test", ["done@remote.test", "again@remote.test",
                                                         "new@remote.test"]), 0)
        qid = q.queued()[0]
        path = [os.path.join(d, qid) for d, _, f in os.walk(q.path("queue", "mess")) if qid in f][0]
        t = int(time.time()) - 60
        with open(path, "ab") as f:
            f.write(b"K0 %d 2.0.0 delivered before\n" % t)
            z = b"Z1 %d 4.2.2 mailbox full %s\n" % (t, b"z" * 1000)
            block = z * 1024
            for _ in range(66):
                f.write(block)
            f.write(b"Z1 %d 4.2.2 torn" % t)
        self.assertGreater(os.path.getsize(path), 64 * 1024 * 1024)
        q.set("retrymin", 10)
        q.start()
        q.signal(signal.SIGALRM)
        q.wait(lambda: not q.queued(), 60, "the message to be finished")
        got = sorted(r for _, _, r, _ in q.delivered())
        self.assertEqual(got, ["again@remote.test", "new@remote.test"])
        self.assertFalse(os.path.exists(path + ".bad"))
        self.assertIn("qid=%s compacted the journal" % qid, q.log())


if __name__ == "__main__":
    unittest.main()
