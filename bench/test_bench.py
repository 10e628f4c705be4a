"""Self-test of the benchmark machinery (bash bench/run --selftest; root).

Real programs, loopback only: a throwaway Postfix (with STARTTLS, ten
mailboxes and a relay domain routed to smtp-sink) receives held sessions,
a short smtp-source run, a 10-recipient run, STARTTLS sessions from the
bench's own client, a remote drain to smtp-sink and an strace-counted
burst; smtp-sink (accepts, never delivers) must make a run fail as a stall
within its bound; the table renders medians, ratios, targets, n/a and
FAILED cells; nothing is left behind.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))
sys.path.insert(0, HERE)

import harness          # noqa: E402
import lib_cpu          # noqa: E402
import lib_load         # noqa: E402
import lib_drain        # noqa: E402
import lib_strace       # noqa: E402
import lib_table        # noqa: E402
import lib_tls          # noqa: E402
from lib_postfix import Postfix   # noqa: E402
from bench import measure_memory, make_cert, server_options  # noqa: E402


def leftovers(pf_dir, cg_dir):
    out = []
    if os.path.exists(pf_dir):
        out.append(pf_dir)
    if cg_dir and os.path.exists(cg_dir):
        out.append(cg_dir)
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/cmdline" % name, "rb") as f:
                    if pf_dir.encode() in f.read():
                        out.append("pid %s" % name)
            except OSError:
                pass
    return out


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class PostfixHalf(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bench-selftest-")
        cls.sink = lib_drain.Sink(harness.pick_ip())
        try:
            cls.sink.wait_ready()
            cls.pf = Postfix("bench.test", "user", **server_options(make_cert(cls.tmp), cls.sink))
        except BaseException:
            cls.sink.stop()
            subprocess.run(["rm", "-rf", cls.tmp])
            raise
        cls.pf.sink = cls.sink
        cls.pf.cpu = lib_cpu.CpuMeter("selftest")
        cls.cg_dir = cls.pf.cpu.dir
        try:
            with cls.pf.cpu.member():
                cls.pf.start()
            cls.pf.cpu.set_root(cls.pf.master_pid())
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pf.cleanup()
        cls.pf.cpu.close()
        cls.sink.stop()
        subprocess.run(["rm", "-rf", cls.tmp])

    def test_1_memory_of_held_sessions(self):
        m = measure_memory(self.pf, 4096)
        self.assertNotIn("error", m)
        self.assertEqual(m["procs"], 20)
        self.assertGreater(m["hwm"], 1000)
        self.assertGreater(m["hwm"], m["procpss"])
        # the instance grew by about the sessions' own processes
        self.assertGreater(m["pss"], 0.5 * m["procpss"])
        self.assertLess(m["pss"], 2 * m["procpss"])
        self.assertGreater(m["total"], 20 * m["pss"])

    def test_2_run_delivers_exactly(self):
        res = lib_load.Run(self.pf, 5, 200, 4096).execute()
        self.assertIsNone(res["error"])
        self.assertEqual(lib_load.maildir_count(self.pf.maildir), 200)
        self.assertGreater(res["cpu_s"], 0.01)
        self.assertLessEqual(res["accept_s"], res["deliver_s"] + lib_load.POLL + 0.3)
        name = os.listdir(os.path.join(self.pf.maildir, "new"))[0]
        with open(os.path.join(self.pf.maildir, "new", name), "rb") as f:
            msg = f.read()
        self.assertIn(b"Delivered-To: user@bench.test", msg)
        self.assertGreater(len(msg), 4096)
        self.assertEqual(self.pf.queue_count(), 0)
        self.assertEqual(self.pf.log_problems(), [])

    def test_2b_ten_recipients(self):
        res = lib_load.Run(self.pf, 5, 20, 1000, rcpts=10).execute()
        self.assertIsNone(res["error"])
        dirs = self.pf.rcpt_maildirs(10)
        self.assertEqual([lib_load.maildir_count(d) for d in dirs], [20] * 10)

    def test_2c_starttls_sessions(self):
        res = lib_tls.TlsRun(self.pf, 12, 3, 1000).execute()
        self.assertIsNone(res["error"])
        self.assertGreater(res["tls_s"], 0)
        self.assertEqual(lib_load.maildir_count(self.pf.maildir), 12)
        with open(self.pf.maillog, errors="replace") as f:
            self.assertEqual(f.read().count(" starttls=1 mail=1 "), 12)   # smtpd's disconnect lines

    def test_2d_remote_drain(self):
        base = self.sink.received()
        res = lib_drain.Drain(self.pf, self.sink, 50, 1000).execute()
        self.assertIsNone(res["error"])
        self.assertEqual(self.sink.received() - base, 50)
        self.assertGreater(res["drain_s"], 0)
        self.assertEqual(self.pf.queue_count(), 0)
        self.assertEqual(self.pf.log_problems(), [])

    def test_2e_strace_counts(self):
        res = lib_strace.syscall_profile(self.pf, 20, 2, 1000)
        self.assertIsNone(res["error"])
        self.assertGreater(res["syscalls"], 20)       # smtpd, cleanup, qmgr, virtual
        self.assertGreaterEqual(res["forks"], 0)
        self.assertLess(res["execs"], 0.5)             # Postfix starts no programs per message

    def test_3_cpu_is_the_servers_own(self):
        """The bench process's own work is not charged to the server."""
        if not self.pf.cpu.dir:
            self.skipTest("no cgroup")
        before = self.pf.cpu.usage()
        t = time.process_time()
        while time.process_time() - t < 0.3:
            pass
        self.assertLess(self.pf.cpu.usage() - before, 0.1)

    def test_4_cleanup_leaves_nothing(self):
        system = system_postfix_state()
        pf = Postfix("bench.test", "user")
        cpu = lib_cpu.CpuMeter("selftest2")
        with cpu.member():
            pf.start()
        self.assertTrue(pf.master_pid())
        pf.cleanup()
        cg = cpu.dir
        cpu.close()
        self.assertEqual(leftovers(pf.dir, cg), [])
        self.assertEqual(system_postfix_state(), system)   # the system's instance untouched


def system_postfix_state():
    """Names, modes, owners, sizes and mtimes under the system's Postfix dirs."""
    out = []
    for top in ("/etc/postfix", "/var/spool/postfix", "/var/lib/postfix"):
        for d, dirs, files in os.walk(top):
            for name in [d] + [os.path.join(d, f) for f in files]:
                try:
                    st = os.lstat(name)
                except OSError:
                    continue
                out.append((name, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns))
    return sorted(out)


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class SluiceHalf(unittest.TestCase):
    """The sluice half through the harness, when the programs work."""

    def test_probe_memory_runs(self):
        from lib_sluice import Sluice, NotAvailable
        tmp = tempfile.mkdtemp(prefix="bench-selftest-")
        sink = lib_drain.Sink(harness.pick_ip())
        try:
            sink.wait_ready()
            s = Sluice("bench.test", "user", **server_options(make_cert(tmp), sink))
        except BaseException as e:
            sink.stop()
            subprocess.run(["rm", "-rf", tmp])
            if isinstance(e, NotAvailable):
                self.skipTest(str(e))
            raise
        s.sink = sink
        s.cpu = lib_cpu.CpuMeter("selftest-sluice")
        root, cg, dns = s.inst.root, s.cpu.dir, s.dns.proc
        try:
            try:
                s.start(s.cpu)
                s.probe()
            except NotAvailable as e:
                self.skipTest(str(e).splitlines()[0])
            m = measure_memory(s, 4096)
            self.assertNotIn("error", m)
            self.assertGreater(m["pss"], 0)
            res = lib_load.Run(s, 5, 100, 4096).execute()
            self.assertIsNone(res["error"])
            self.assertEqual(lib_load.maildir_count(s.maildir), 100)
            self.assertGreater(res["cpu_s"], 0.01)
            res = lib_load.Run(s, 5, 10, 1000, rcpts=10).execute()
            self.assertIsNone(res["error"])
            res = lib_tls.TlsRun(s, 6, 2, 1000).execute()
            self.assertIsNone(res["error"])
            base = sink.received()
            res = lib_drain.Drain(s, sink, 30, 1000).execute()
            self.assertIsNone(res["error"])
            self.assertEqual(sink.received() - base, 30)
            res = lib_strace.syscall_profile(s, 10, 2, 1000)
            self.assertIsNone(res["error"])
            self.assertGreater(res["syscalls"], 20)
        finally:
            s.cleanup()
            s.cpu.close()
            sink.stop()
            subprocess.run(["rm", "-rf", tmp])
        self.assertEqual(leftovers(root, cg), [])
        self.assertIsNotNone(dns.poll())        # our dnsmasq is gone too


class Stall(unittest.TestCase):
    def test_accepted_but_never_delivered_is_a_stall(self):
        ip = harness.pick_ip()
        port = harness.free_port(ip)
        sink = subprocess.Popen(["/usr/sbin/smtp-sink", "-u", "nobody", "%s:%d" % (ip, port), "64"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tmp = tempfile.mkdtemp()
        try:
            harness.wait_port(ip, port)

            class Server:
                address = "user@bench.test"
                maildir = tmp
                cpu = lib_cpu.CpuMeter("stall")

                def queue_count(self):
                    return 0
            srv = Server()
            srv.ip, srv.port = ip, port
            saved, lib_load.STALL = lib_load.STALL, 2.0
            try:
                t = time.time()
                res = lib_load.Run(srv, 2, 20, 1000).execute()
            finally:
                lib_load.STALL = saved
                srv.cpu.close()
            self.assertIn("stalled: 0 of 20", res["error"])
            self.assertLess(time.time() - t, 15)
        finally:
            sink.kill()
            sink.wait()
            os.rmdir(tmp)


class Qstat(unittest.TestCase):
    def test_parse(self):
        from lib_sluice import parse_qstat
        text = ("messages: 3 (12288 bytes)\nrecipients pending: 2\nrecipients deferred: 0\n"
                "recipients failed, bounce pending: 0\nrecipients done: 7\n"
                "injections in progress: 1\n")
        self.assertEqual(parse_qstat(text), 4)
        self.assertEqual(parse_qstat("messages: 0 (0 bytes)\ninjections in progress: 0\n"), 0)
        self.assertEqual(parse_qstat("queued 2\npreprocess 1\n"), 3)


class StraceSummary(unittest.TestCase):
    def test_parse(self):
        text = """% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 40.00    0.004000          10       400        12 read
 30.00    0.003000          30       100           clone
 20.00    0.002000          20        50         5 execve
 10.00    0.001000          10        10           clone3
------ ----------- ----------- --------- --------- ----------------
100.00    0.010000                   560        17 total
"""
        calls = lib_strace.parse_summary(text)
        self.assertEqual(calls, {"read": (400, 12), "clone": (100, 0), "execve": (50, 5),
                                 "clone3": (10, 0)})


class SinkCounter(unittest.TestCase):
    def test_counts_messages(self):
        sink = lib_drain.Sink(harness.pick_ip())
        try:
            sink.wait_ready()
            subprocess.run([lib_load.SMTP_SOURCE, "-s", "3", "-m", "25", "-d",
                            "%s:%d" % (sink.ip, sink.port)], check=True, timeout=60,
                           stdout=subprocess.DEVNULL)
            harness.wait_for(lambda: sink.received() == 25, 10, what="25 at the sink")
        finally:
            sink.stop()
        self.assertIsNotNone(sink.proc.poll())


class Table(unittest.TestCase):
    def args(self):
        return argparse.Namespace(size=4096, count1=100, count20=500, reuse=500, rcpt10=50,
                                  tls=100, drain=1000, strace=50)

    def results(self):
        r = lib_table.Results()
        a = self.args()
        for acc, dl, cpu in ((1.0, 1.2, 2.8), (1.1, 1.3, 2.9), (0.9, 1.1, 3.0)):
            r.add("Postfix", "new20", {"accept_s": acc, "deliver_s": dl, "cpu_s": cpu}, a)
        for acc, dl, cpu in ((0.25, 0.5, 0.7),):
            r.add("sluice", "new20", {"accept_s": acc, "deliver_s": dl, "cpu_s": cpu}, a)
        r.add("sluice", "new1", {"error": "stalled: 3 of 100 delivered"}, a)
        r.add("Postfix", "new1", {"accept_s": 1.0, "deliver_s": 1.0, "cpu_s": 0.3}, a)
        r.add("Postfix", "tls", {"tls_s": 0.5, "cpu_s": 0.4}, a)
        r.add("sluice", "tls", {"tls_s": 0.25, "cpu_s": 0.4}, a)
        r.add("Postfix", "drain", {"drain_s": 2.0, "cpu_s": 1.0}, a)
        r.add("Postfix", "rcpt10", {"accept_s": 1.0, "deliver_s": 1.0, "cpu_s": 0.5}, a)
        r.add("sluice", "rcpt10", {"accept_s": 1.0, "deliver_s": 0.5, "cpu_s": 0.5}, a)
        r.memory = {"Postfix": {"pss": 1500.0, "total": 40000, "procs": 20, "hwm": 8000.0,
                                "procpss": 1400.0},
                    "sluice": {"error": "holding 20 sessions: refused"}}
        r.strace = {"Postfix": {"error": None, "forks": 0.0, "execs": 0.0, "syscalls": 400.0},
                    "sluice": {"error": None, "forks": 3.0, "execs": 2.0, "syscalls": 600.0,
                               "top": [("read", 40.0)]}}
        return r

    def test_render(self):
        meta = {"date": "d", "machine": "m", "versions": "v", "cpu_method": "c",
                "args": self.args(), "sluice_note": None, "elapsed": 1}
        text = lib_table.render(self.results(), meta)
        rows = {}
        for line in text.splitlines():
            if "is better)" in line:
                label, rest = line.split("is better)", 1)
                rows[label.split("(")[0].strip()] = rest
        acc20 = rows["accepted msg/s, 20 sessions, new connection per message"]
        self.assertIn("500 (455-556)", acc20)       # median of 500, 455, 556
        self.assertIn("2000", acc20)
        self.assertIn("4.00", acc20)                # ratio
        self.assertIn(">= 2.0x met", acc20)
        cpu20 = rows["CPU ms per message, all processes, 20 sessions"]
        self.assertIn("5.80 (5.60-6.00)", cpu20)
        self.assertIn("1.40", cpu20)
        self.assertIn("0.24", cpu20)
        self.assertIn("<= 0.5x met", cpu20)
        self.assertIn("FAILED", rows["accepted msg/s, 1 session, new connection per message"])
        self.assertIn("FAILED sluice new1: stalled", text)
        tls = rows["STARTTLS every connection: sessions/s"]
        self.assertIn("200", tls)
        self.assertIn("400", tls)
        self.assertIn(">= 1.5x met", tls)
        drain = rows["remote drain to smtp-sink: msg/s"]
        self.assertIn("500", drain)
        self.assertIn("n/a", drain)
        self.assertIn(">= 1.5x", drain)
        self.assertIn("1000", rows["10 recipients: Maildir deliveries/s end to end"])
        self.assertIn("2.00", rows["10 recipients: Maildir deliveries/s end to end"])
        self.assertIn("1.00", rows["10 recipients: CPU ms per delivery"])  # 0.5 s / 500
        self.assertIn("FAILED", rows["PSS per idle SMTP session, KiB"])
        self.assertIn("1500", rows["PSS per idle SMTP session, KiB"])
        self.assertIn("FAILED sluice memory: holding", text)
        self.assertIn("1.50", rows["system calls per message"])
        self.assertIn("3.00", rows["processes+threads started per message"])
        self.assertNotIn("reused connections", text.split("\n\n")[1])   # no runs: no row
        self.assertTrue(self.results().any_failed())


if __name__ == "__main__":
    unittest.main(verbosity=2)
