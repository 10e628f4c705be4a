"""sluice-remote driven the way the queue manager drives it: job packets
(lib/job.h) on a SOCK_SEQPACKET socket as fd 0, each carrying the message
as a read-only descriptor and an offset/length inside it; results come back
one packet per job, one status per recipient in order.  Several jobs run
at once; the message is taken from the middle of a larger file.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402
import remotelib  # noqa: E402


def job_packet(jid, sender, domain, rcpts, offset, length):
    fields = ["J1", str(jid), "q%d" % jid, "R", sender, str(int(time.time())), str(offset),
              str(length), domain] + rcpts
    return b"\0".join(f.encode() for f in fields) + b"\0"


class JobSocketTest(unittest.TestCase):
    def setUp(self):
        self.root = remotelib.Root()
        self.sink = harness.SmtpSink()
        self.sink.rcpt_replies["bad@example.net"] = "550 5.1.1 unknown"
        self.root.routes({"example.net": "%s:%d" % (self.sink.ip, self.sink.port)})
        self.mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen([harness.prog("sluice-remote")], stdin=theirs,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=dict(os.environ, SLUICE_ROOT=self.root.dir))
        theirs.close()

    def tearDown(self):
        self.mine.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc.stderr.close()
        self.sink.stop()
        self.root.cleanup()

    def test_jobs_in_parallel_with_offsets(self):
        msgs = {}
        with tempfile.TemporaryFile() as f:
            f.write(b"X" * 1000)          # the message does not start at 0
            jobs = []
            for i in range(1, 9):
                body = b"Subject: job %d\n\nbody of job %d\n.dot\n" % (i, i)
                jobs.append((i, f.tell(), len(body)))
                msgs[i] = body
                f.write(body)
            f.write(b"trailing garbage that is not part of any message\n")
            f.flush()
            ro = os.open("/proc/self/fd/%d" % f.fileno(), os.O_RDONLY)
            try:
                for jid, off, length in jobs:
                    rcpts = ["a%d@example.net" % jid, "bad@example.net", "b%d@example.net" % jid]
                    socket.send_fds(self.mine, [job_packet(jid, "s@sender.test", "example.net",
                                                           rcpts, off, length)], [ro])
            finally:
                os.close(ro)
            results = {}
            self.mine.settimeout(60)
            while len(results) < len(jobs):
                pkt = self.mine.recv(65536)
                self.assertTrue(pkt, "sluice-remote closed the socket")
                fields = pkt.split(b"\0")
                self.assertEqual(fields[0], b"R1")
                self.assertEqual(fields[-1], b"")
                self.assertEqual(fields[2], b"0")
                results[int(fields[1])] = [x.decode() for x in fields[3:-1]]
        for jid, _, _ in jobs:
            st = results[jid]
            self.assertEqual(len(st), 3, st)
            self.assertTrue(st[0].startswith("K2.0.0 "), st)
            self.assertTrue(st[1].startswith("D5.1.1 "), st)
            self.assertTrue(st[2].startswith("K2.0.0 "), st)
        got = {}
        for mail_from, rcpts, content in self.sink.messages:
            jid = int(rcpts[0][1:rcpts[0].index("@")])
            self.assertEqual(rcpts, ["a%d@example.net" % jid, "b%d@example.net" % jid])
            got[jid] = content
        self.assertEqual(sorted(got), sorted(msgs))
        for jid, body in msgs.items():
            self.assertEqual(got[jid], body.replace(b"\n", b"\r\n"))
        self.mine.close()
        self.proc.wait(timeout=30)
        log = self.proc.stderr.read().decode()
        for jid in msgs:
            self.assertIn("delivery q%d: " % jid, log)

    def test_loop_ends_when_the_manager_closes(self):
        self.mine.close()
        self.assertEqual(self.proc.wait(timeout=30), 0)


if __name__ == "__main__":
    unittest.main()
