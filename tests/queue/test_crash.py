"""Crash safety of the queue manager: kill -9 of sluice-send in the middle
of delivering 200 messages, then a restart, ends with every recipient
delivered exactly once; concurrency limits hold."""
import collections
import unittest

from qtest import ME, QueueInstance

MSG = b"From: a@example.org\nSubject: crash test\n\nhello\n"


def max_overlap(lines, kind):
    """Largest number of jobs of a kind running at once, from the fake's log."""
    events = []
    for f in lines:
        if f[1] != kind:
            continue
        events.append((float(f[3]), 1 if f[0] == "start" else -1))
    cur = best = 0
    for _t, d in sorted(events, key=lambda e: (e[0], e[1])):
        cur += d
        best = max(best, cur)
    return best


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.q = QueueInstance()

    def tearDown(self):
        self.q.cleanup()

    def test_kill9_during_200_deliveries(self):
        q = self.q
        q.env["FAKE_SLOW"] = "0.03"
        q.set("concurrencylocal", 5)
        q.set("concurrencyremote", 5)
        q.prepare()
        rcpts = []
        for i in range(200):
            rcpt = "slow%d@%s" % (i, ME if i % 2 else "remote%d.test" % (i % 7))
            rcpts.append(rcpt)
            self.assertEqual(q.inject(MSG, "a@example.org", [rcpt]), 0)
        self.assertEqual(len(q.queued()), 200)
        q.start()
        q.wait(lambda: len(q.delivered()) >= 50, 60, "50 deliveries")
        q.kill_send()
        first = len(q.delivered())
        self.assertLess(first, 200, "killed too late to prove anything")
        q.start()
        q.wait(lambda: len(q.delivered()) >= 200, 120, "200 deliveries")
        q.wait(lambda: not q.queued(), 20, "the queue to empty")
        got = collections.Counter(d[2] for d in q.delivered())
        self.assertEqual(sorted(got), sorted(rcpts))
        self.assertEqual([r for r, n in got.items() if n != 1], [])
        self.assertEqual(len(q.delivered()), 200)

    def test_concurrency_limits(self):
        q = self.q
        q.env["FAKE_SLOW"] = "0.2"
        q.set("concurrencylocal", 3)
        q.set("concurrencyremote", 4)
        q.set("concurrencydomain", 2)
        q.prepare()
        for i in range(12):
            self.assertEqual(q.inject(MSG, "a@example.org", ["slow%d@%s" % (i, ME)]), 0)
            self.assertEqual(q.inject(MSG, "a@example.org", ["slow%d@one.test" % i]), 0)
            self.assertEqual(q.inject(MSG, "a@example.org", ["slow%d@two.test" % i]), 0)
        q.start()
        q.wait(lambda: len(q.delivered()) >= 36, 60, "36 deliveries")
        with open(q.fake + "/jobs") as f:
            lines = [line.split() for line in f]
        self.assertEqual(max_overlap(lines, "L"), 3)
        self.assertEqual(max_overlap(lines, "R"), 4)
        per_dom = collections.defaultdict(list)
        qid_dom = {d[1]: d[2].split("@")[1] for d in q.delivered()}
        for f in lines:
            if f[1] == "R":
                per_dom[qid_dom[f[2]]].append(f)
        for dom, ls in per_dom.items():
            self.assertLessEqual(max_overlap(ls, "R"), 2, dom)


if __name__ == "__main__":
    unittest.main()
