"""sluice-send has one writer of the message journals, its keeper: the
scheduler's own records (holds, cancellations, bounces, delay warnings)
go to the keeper as requests, and a keeper killed around such a request
neither loses nor doubles it."""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from qtest import QueueInstance  # noqa: E402

MSG = b"Subject: journal\n\nhello\n"


def children(ppid, comm):
    out = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        name, rest = st.split(" (", 1)[1].rsplit(")", 1)
        if name == comm and int(rest.split()[1]) == ppid:
            out.append(int(d))
    return out


class Strace:
    """strace -p PID (not its children) with its output in a file."""

    def __init__(self, pid, path, *opts):
        self.path = path
        self.proc = subprocess.Popen(["strace", "-o", path, "-e", "signal=none"] + list(opts)
                                     + ["-p", str(pid)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        line = self.proc.stderr.readline().decode(errors="replace")
        if "attached" not in line:
            raise AssertionError("strace did not attach: " + line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc.stderr.close()
        with open(self.path, errors="replace") as f:
            return f.read()


@unittest.skipUnless(os.path.exists("/usr/bin/strace"), "strace is not installed")
class OneWriter(unittest.TestCase):
    def setUp(self):
        self.q = QueueInstance()
        self.straces = []

    def tearDown(self):
        for s in self.straces:
            s.stop()
        self.q.cleanup()

    def strace(self, pid, name, *opts):
        s = Strace(pid, self.q.path(name), *opts)
        self.straces.append(s)
        return s

    def keeper(self):
        sched = self.q.proc.pid
        return self.q.wait(lambda: children(sched, "sluice-send"), 30, "the keeper")[0]

    def file_of(self, qid):
        mess = self.q.path("queue", "mess")
        for b in os.listdir(mess):
            if qid in os.listdir(os.path.join(mess, b)):
                return os.path.join(mess, b, qid)
        return None

    def journal(self, qid):
        """the lines of the queue file's tail (envelope and journal)"""
        with open(self.file_of(qid), "rb") as f:
            return f.read().decode(errors="replace").splitlines()

    def qctl(self, *args):
        p = self.q.run("sluice-qctl", *args)
        self.assertEqual(p.returncode, 0, p.stderr)

    def qid_waiting(self, rcpts):
        """a message whose recipients all failed once and wait (retrymin
        is 300 s, so nothing runs meanwhile)"""
        q = self.q
        self.assertEqual(q.inject(MSG, "a@sender.test", rcpts), 0)
        qid = q.wait(lambda: q.queued(), 30, "queued")[0]
        q.wait(lambda: q.log().count("qid=%s delivery " % qid) >= len(rcpts), 30,
               "the first attempts")
        return qid

    def test_only_the_keeper_opens_a_journal_for_writing(self):
        """The scheduler holds, releases, cancels, bounces, gives up and
        compacts only through the keeper: under strace it never opens a
        queue file for writing nor renames one; the keeper does."""
        q = self.q
        q.start()
        sched, keeper = q.proc.pid, self.keeper()
        st = self.strace(sched, "sched.trace", "-e", "trace=open,openat,rename,renameat,renameat2,"
                         "truncate,ftruncate")
        kt = self.strace(keeper, "keeper.trace", "-e", "trace=open,openat,rename,renameat,renameat2")
        qid = self.qid_waiting(["always1@remote.test", "always2@other.test"])
        self.qctl("hold", qid)
        self.qctl("release", qid)
        self.qctl("delete", "-d", "other.test")
        self.qctl("delete", qid)
        # a permanent failure: the keeper records D, the scheduler's bounce B
        self.assertEqual(q.inject(MSG, "b@sender.test", ["perm1@remote.test"]), 0)
        q.wait(lambda: q.log().count(" end msg") >= 3 and not q.queued(), 60,
               "every message done (the bounce delivered)")
        strace_sched, strace_keeper = st.stop(), kt.stop()
        self.straces = []
        writes = [line for line in strace_sched.splitlines() if "mess/" in line
                  and re.search(r"O_WRONLY|O_RDWR|rename|truncate", line)]
        self.assertEqual(writes, [], "the scheduler wrote a queue file:\n" + "\n".join(writes))
        kwrites = [line for line in strace_keeper.splitlines()
                   if "mess/" in line and "O_APPEND" in line]
        self.assertTrue(kwrites, "the keeper wrote no journal:\n" + strace_keeper[-2000:])
        log = q.log()
        for what in ("holding", "releasing", "deleting"):
            self.assertIn("qid=%s %s" % (qid, what), log)

    def test_keeper_killed_after_writing_a_hold_writes_it_once(self):
        """The keeper is killed right after it appended an administrator's
        hold (at its fdatasync, before its acknowledgement goes out): the
        scheduler sends the request again to the new keeper, which finds it
        in the journal and does not write it twice."""
        q = self.q
        q.start()
        qid = self.qid_waiting(["always1@remote.test", "always2@other.test"])
        keeper = self.keeper()
        self.strace(keeper, "inject.trace", "-e", "trace=fdatasync", "-e",
                    "inject=fdatasync:signal=SIGKILL")
        self.qctl("hold", qid)
        q.wait(lambda: "the keeper died" in q.log(), 30, "the keeper to die")
        self.keeper()
        time.sleep(1)
        holds = [line for line in self.journal(qid) if re.fullmatch(r"H \d+", line)]
        self.assertEqual(len(holds), 1, "one H record:\n" + "\n".join(self.journal(qid)[-10:]))
        q.run("sluice-qctl", "flush", qid)
        time.sleep(1)
        self.assertEqual(q.log().count("qid=%s starting" % qid), 2, "held: nothing started")
        self.assertEqual(q.log().count("started with"), 1, "the manager did not restart")

    def test_keeper_killed_before_reading_a_delete_writes_it_once(self):
        """The keeper is killed while a cancellation it has not read waits
        in its socket (it is stopped meanwhile): the scheduler sends it to
        the new keeper; the journal has it exactly once, and the cancelled
        recipient is never tried again."""
        q = self.q
        q.start()
        qid = self.qid_waiting(["always1@remote.test", "always2@other.test"])
        keeper = self.keeper()
        os.kill(keeper, signal.SIGSTOP)
        try:
            self.qctl("delete", "-d", "other.test")
            q.wait(lambda: "qid=%s deleting domain=other.test" % qid in q.log(), 30,
                   "the scheduler to take the command")
            time.sleep(0.3)
        finally:
            os.kill(keeper, signal.SIGKILL)
        q.wait(lambda: "the keeper died" in q.log(), 30, "the keeper to die")

        def cancels():
            return [line for line in self.journal(qid) if re.fullmatch(r"X\d+ \d+", line)]
        q.wait(lambda: cancels(), 30, "the X record")
        time.sleep(1)
        self.assertEqual(len(cancels()), 1, "one X record:\n" + "\n".join(self.journal(qid)[-10:]))
        # after a restart the cancelled recipient stays cancelled
        q.stop()
        q.start()
        self.qctl("flush", qid)
        q.wait(lambda: q.log().count("qid=%s delivery to=<always1@remote.test>" % qid) >= 2, 30,
               "the other recipient tried again")
        time.sleep(1)
        self.assertEqual(q.log().count("delivery to=<always2@other.test>"), 1,
                         "the cancelled recipient was not tried again")


if __name__ == "__main__":
    unittest.main()
