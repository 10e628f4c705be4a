"""Long-lived delivery workers and outbound connection reuse in
sluice-remote, driven the way the queue manager drives it (job packets on
a SOCK_SEQPACKET socket as fd 0): a stream of messages to one destination
travels over far fewer connections than messages, each message arrives
once, a kept connection that died is replaced without a failed attempt, a
kept connection is never used under another route policy, a worker killed
mid-job gets its recipients deferred and is replaced, and EOF from the
manager ends everything, kept connections included."""
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402
import remotelib  # noqa: E402


class MiniSmtp:
    """A scripted SMTP server on loopback (threads, plain sockets) that
    counts connections and QUITs.  rset: "ok", "421" (answer 421 and
    close), "silent" (never answer); close_after_data: close each connection right after a
    message; rcpt_delay: seconds before each RCPT reply."""

    def __init__(self):
        self.ip = harness.pick_ip()
        self.port = harness.free_port(self.ip)
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((self.ip, self.port))
        self.lsock.listen(64)
        self.lock = threading.Lock()
        self.connections = 0
        self.open = 0
        self.quits = 0
        self.rsets = 0
        self.messages = []
        self.rset = "ok"
        self.close_after_data = False
        self.rcpt_delay = 0
        self.stopping = False
        self.conns = []
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()

    def accept_loop(self):
        # the listening socket is closed here, by this thread, never under
        # a blocked accept() (its descriptor number could be reused by the
        # next test's server, which this thread would then serve)
        try:
            while not self.stopping:
                r, _, _ = select.select([self.lsock], [], [], 0.2)
                if not r:
                    continue
                try:
                    c, _ = self.lsock.accept()
                except OSError:
                    continue
                self.take(c)
        finally:
            self.lsock.close()

    def take(self, c):
        with self.lock:
            self.connections += 1
            self.open += 1
            self.conns.append(c)
        threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        f = c.makefile("rb")
        try:
            c.sendall(b"220 mini ESMTP\r\n")
            rcpts, sender = [], None
            while True:
                line = f.readline(4096)
                if not line:
                    return
                cmd = line.strip().upper()
                if cmd.startswith(b"EHLO"):
                    c.sendall(b"250-mini\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif cmd.startswith(b"MAIL"):
                    sender, rcpts = line.strip()[10:], []
                    c.sendall(b"250 ok\r\n")
                elif cmd.startswith(b"RCPT"):
                    if self.rcpt_delay:
                        time.sleep(self.rcpt_delay)
                    rcpts.append(line.strip()[8:].strip(b"<>").decode())
                    c.sendall(b"250 ok\r\n")
                elif cmd == b"DATA":
                    c.sendall(b"354 go\r\n")
                    body = b""
                    while True:
                        ln = f.readline(100000)
                        if not ln or ln == b".\r\n":
                            break
                        body += ln
                    if not ln:
                        return
                    with self.lock:
                        self.messages.append((sender, rcpts, body))
                    c.sendall(b"250 2.0.0 queued\r\n")
                    if self.close_after_data:
                        return
                elif cmd == b"RSET":
                    with self.lock:
                        self.rsets += 1
                    if self.rset == "421":
                        c.sendall(b"421 4.4.2 going away\r\n")
                        return
                    if self.rset == "silent":
                        continue
                    c.sendall(b"250 ok\r\n")
                elif cmd == b"QUIT":
                    with self.lock:
                        self.quits += 1
                    c.sendall(b"221 bye\r\n")
                    return
                else:
                    c.sendall(b"502 what\r\n")
        except OSError:
            pass
        finally:
            with self.lock:
                self.open -= 1
            try:
                c.close()
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        self.thread.join(10)
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def job_packet(jid, domain, rcpts, length, sender="s@sender.test"):
    fields = ["J1", str(jid), "q%d" % jid, "R", sender, str(int(time.time())), "0",
              str(length), domain] + rcpts
    return b"\0".join(f.encode() for f in fields) + b"\0"


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return {int(x) for x in f.read().split()}
    except OSError:
        return set()


class ReuseTest(unittest.TestCase):
    def setUp(self):
        self.root = remotelib.Root()
        self.sink = MiniSmtp()
        self.hp = "%s:%d" % (self.sink.ip, self.sink.port)
        self.root.routes({"example.net": self.hp, "other.net": self.hp})
        self.proc = None

    def start(self):
        self.mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.errfile = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([harness.prog("sluice-remote")], stdin=theirs,
                                     stdout=subprocess.DEVNULL, stderr=self.errfile,
                                     env=dict(os.environ, SLUICE_ROOT=self.root.dir))
        theirs.close()
        self.jid = 0

    def tearDown(self):
        if self.proc:
            workers = children(self.proc.pid)
            try:
                self.mine.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            for w in workers:
                try:
                    os.kill(w, signal.SIGKILL)
                except OSError:
                    pass
            log = self.log()
            self.errfile.close()
            for bad in ("runtime error", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer"):
                self.assertNotIn(bad, log)
        self.sink.stop()
        self.root.cleanup()

    def log(self):
        self.errfile.seek(0)
        return self.errfile.read().decode(errors="replace")

    def send(self, domain, rcpts, body=None):
        self.jid += 1
        body = body or b"Subject: m%d\n\nmessage %d\n" % (self.jid, self.jid)
        with tempfile.TemporaryFile() as f:     # one file per job
            f.write(body)
            f.flush()
            ro = os.open("/proc/self/fd/%d" % f.fileno(), os.O_RDONLY)
        try:
            socket.send_fds(self.mine, [job_packet(self.jid, domain, rcpts, len(body))], [ro])
        finally:
            os.close(ro)
        return self.jid

    def result(self, timeout=60):
        self.mine.settimeout(timeout)
        pkt = self.mine.recv(200000)
        self.assertTrue(pkt, "sluice-remote closed the socket")
        f = pkt.split(b"\0")
        self.assertEqual(f[0], b"R1")
        return int(f[1]), [x.decode() for x in f[3:-1]]

    def deliver(self, domain, rcpts):
        jid = self.send(domain, rcpts)
        got, st = self.result()
        self.assertEqual(got, jid)
        return st

    def test_drain_uses_few_connections(self):
        self.start()
        n, inflight, results = 60, 4, {}
        sent = 0
        while len(results) < n:
            while sent < n and sent - len(results) < inflight:
                self.send("example.net", ["r%d@example.net" % (sent + 1)])
                sent += 1
            jid, st = self.result()
            self.assertNotIn(jid, results)
            results[jid] = st
        for jid, st in results.items():
            self.assertEqual(len(st), 1)
            self.assertTrue(st[0].startswith("K2.0.0 "), st)
        got = sorted(r[0] for _, r, _ in self.sink.messages)
        self.assertEqual(got, sorted("r%d@example.net" % i for i in range(1, n + 1)))
        self.assertLessEqual(self.sink.connections, inflight + 2,
                             "%d connections for %d messages\n%s" % (self.sink.connections, n,
                                                                      self.log()))
        self.assertIn(" conn=reused ", self.log())
        # a fixed set of workers served them
        self.assertLessEqual(len(children(self.proc.pid)), inflight)

    def test_reuse_off_opens_one_connection_per_message(self):
        self.root.set("remotecachetime", "0")
        self.start()
        for i in range(5):
            self.assertTrue(self.deliver("example.net", ["a%d@example.net" % i])[0].startswith("K"))
        self.assertEqual(self.sink.connections, 5)
        self.assertNotIn("conn=reused", self.log())

    def test_kept_connection_idles_out_with_quit(self):
        self.root.set("remotecachetime", "1")
        self.start()
        self.assertTrue(self.deliver("example.net", ["a@example.net"])[0].startswith("K"))
        harness.wait_for(lambda: self.sink.quits == 1 and self.sink.open == 0, 15,
                         what="the idle connection closed with QUIT")
        self.assertTrue(self.deliver("example.net", ["b@example.net"])[0].startswith("K"))
        self.assertEqual(self.sink.connections, 2)

    def test_dead_kept_connection_falls_back(self):
        self.start()
        self.assertTrue(self.deliver("example.net", ["a@example.net"])[0].startswith("K"))
        self.sink.rset = "421"
        st = self.deliver("example.net", ["b@example.net", "c@example.net"])
        self.assertTrue(all(s.startswith("K2.0.0 ") for s in st), st)
        self.assertEqual(self.sink.connections, 2)
        self.assertIn("conn=stale", self.log())
        self.assertEqual(sorted(r for _, rs, _ in self.sink.messages for r in rs),
                         ["a@example.net", "b@example.net", "c@example.net"])

    def test_silent_kept_connection_times_out_and_falls_back(self):
        self.root.set("timeoutremote", "60")
        self.root.set("remotecachetime", "30")
        self.start()
        self.assertTrue(self.deliver("example.net", ["a@example.net"])[0].startswith("K"))
        self.sink.rset = "silent"
        t0 = time.time()
        st = self.deliver("example.net", ["b@example.net"])
        self.assertTrue(st[0].startswith("K2.0.0 "), st)
        self.assertLess(time.time() - t0, 40, "the RSET probe is bounded, not timeoutremote")
        self.assertEqual(self.sink.connections, 2)
        self.assertIn("conn=stale: ", self.log())
        self.assertIn("timed out waiting for the reply to RSET", self.log())

    def test_peer_closing_kept_connection(self):
        self.sink.close_after_data = True
        self.start()
        for rcpt in ("a@example.net", "b@example.net", "c@example.net"):
            self.assertTrue(self.deliver("example.net", [rcpt])[0].startswith("K"))
            time.sleep(0.3)
        self.assertEqual(self.sink.connections, 3)
        self.assertEqual(len(self.sink.messages), 3)

    def test_never_reused_under_another_route_policy(self):
        # other.net reaches the same host and port but pins a certificate:
        # the plain connection kept for example.net must not carry it
        self.root.routes({"example.net": self.hp,
                          "other.net": (self.hp, "tls=fingerprint:" + "ab" * 32)})
        self.start()
        self.assertTrue(self.deliver("example.net", ["a@example.net"])[0].startswith("K"))
        st = self.deliver("other.net", ["b@other.net"])
        self.assertTrue(st[0].startswith("Z4.7.4 "), st)
        self.assertEqual([rs for _, rs, _ in self.sink.messages], [["a@example.net"]])

    def test_each_job_goes_where_its_own_route_says(self):
        # one worker, two jobs: nothing of the first job's plan (hosts,
        # addresses, ports) may leak into the second, kept connection or not
        dead = "127.0.0.1:%d" % harness.free_port("127.0.0.1")
        self.root.routes({"example.net": self.hp, "dead.net": dead})
        for cachetime in ("2", "0"):
            self.root.set("remotecachetime", cachetime)
            self.start()
            self.assertTrue(self.deliver("example.net", ["a@example.net"])[0].startswith("K"))
            st = self.deliver("dead.net", ["b@dead.net"])
            self.assertTrue(st[0].startswith("Z4.4.1 ") and "127.0.0.1[127.0.0.1]" in st[0], st)
            self.assertEqual(len(children(self.proc.pid)), 1)
            self.mine.close()
            self.proc.wait(timeout=30)
        self.assertEqual([rs for _, rs, _ in self.sink.messages], [["a@example.net"]] * 2)

    def test_killed_worker_is_answered_and_replaced(self):
        self.start()
        self.assertTrue(self.deliver("example.net", ["a@example.net"])[0].startswith("K"))
        (worker,) = children(self.proc.pid)
        self.sink.rcpt_delay = 3
        jid = self.send("example.net", ["b@example.net", "c@example.net"])
        time.sleep(1)
        os.kill(worker, signal.SIGKILL)
        got, st = self.result()
        self.assertEqual(got, jid)
        self.assertEqual(len(st), 2)
        self.assertTrue(all(s.startswith("Z4.3.0 ") for s in st), st)
        self.sink.rcpt_delay = 0
        st = self.deliver("example.net", ["b@example.net", "c@example.net"])
        self.assertTrue(all(s.startswith("K2.0.0 ") for s in st), st)
        self.assertNotIn(worker, children(self.proc.pid))
        self.assertEqual(len(children(self.proc.pid)), 1)
        self.assertEqual(sorted(r for _, rs, _ in self.sink.messages for r in rs),
                         ["a@example.net", "b@example.net", "c@example.net"])

    def test_eof_ends_workers_and_kept_connections(self):
        self.root.set("remotecachetime", "300")
        self.start()
        jids = [self.send(d, [r]) for d, r in (("example.net", "a@example.net"),
                                               ("other.net", "b@other.net"),
                                               ("example.net", "c@example.net"))]
        seen = {self.result()[0] for _ in jids}
        self.assertEqual(seen, set(jids))
        workers = children(self.proc.pid)
        self.assertTrue(workers)
        harness.wait_for(lambda: self.sink.open >= 1, 10, what="kept connections")
        self.mine.close()
        self.assertEqual(self.proc.wait(timeout=30), 0)
        for w in workers:
            self.assertFalse(os.path.exists("/proc/%d/stat" % w) and
                             open("/proc/%d/stat" % w).read().split()[2] != "Z", w)
        harness.wait_for(lambda: self.sink.open == 0, 15, what="kept connections closed")
        self.assertEqual(self.sink.quits, self.sink.connections)


if __name__ == "__main__":
    unittest.main()
