"""Self-test of the benchmark machinery (bash bench/run --selftest; root).

Real programs, loopback only: a throwaway Postfix receives a short
smtp-source run and held sessions; smtp-sink (accepts, never delivers)
must make a run fail as a stall within its bound; the table renders
medians, ratios, targets, n/a and FAILED cells; nothing is left behind.
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
import lib_table        # noqa: E402
from lib_postfix import Postfix   # noqa: E402
from bench import measure_memory  # noqa: E402


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
        cls.pf = Postfix("bench.test", "user")
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

    def test_1_memory_of_held_sessions(self):
        m = measure_memory(self.pf, 4096)
        self.assertNotIn("error", m)
        self.assertEqual(m["procs"], 20)
        self.assertGreater(m["hwm"], 1000)
        self.assertGreater(m["hwm"], m["pss"])

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

    def test_probe_memory_run(self):
        from lib_sluice import Sluice, NotAvailable
        try:
            s = Sluice("bench.test", "user")
        except NotAvailable as e:
            self.skipTest(str(e))
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
            self.assertGreaterEqual(m["procs"], 20)
            res = lib_load.Run(s, 5, 100, 4096).execute()
            self.assertIsNone(res["error"])
            self.assertEqual(lib_load.maildir_count(s.maildir), 100)
            self.assertGreater(res["cpu_s"], 0.01)
        finally:
            s.cleanup()
            s.cpu.close()
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


class Table(unittest.TestCase):
    def results(self):
        r = lib_table.Results()
        for acc, dl, cpu in ((1.0, 1.2, 2.8), (1.1, 1.3, 2.9), (0.9, 1.1, 3.0)):
            r.add("Postfix", 20, {"accept_s": acc, "deliver_s": dl, "cpu_s": cpu}, 500)
        for acc, dl, cpu in ((0.25, 0.5, 0.7),):
            r.add("sluice", 20, {"accept_s": acc, "deliver_s": dl, "cpu_s": cpu}, 500)
        r.add("sluice", 1, {"error": "stalled: 3 of 100 delivered"}, 100)
        r.add("Postfix", 1, {"accept_s": 1.0, "deliver_s": 1.0, "cpu_s": 0.3}, 100)
        r.memory = {"Postfix": {"procs": 20, "hwm": 8000.0, "pss": 1500.0},
                    "sluice": {"error": "found 3 sluice-smtpd processes for 20 sessions"}}
        return r

    def test_render(self):
        meta = {"date": "d", "machine": "m", "versions": "v", "cpu_method": "c",
                "args": argparse.Namespace(size=4096, runs=3, reuse=False),
                "sluice_note": None, "elapsed": 1}
        text = lib_table.render(self.results(), meta)
        rows = {}
        for line in text.splitlines():
            if "is better)" in line:
                label, rest = line.split("is better)", 1)
                rows[(label.split("(")[0].strip(), rest.split()[0])] = line
        acc20 = rows[("messages/s accepted", "20")]
        self.assertIn("500 (455-556)", acc20)       # median of 500, 455, 556
        self.assertIn("2000", acc20)
        self.assertIn("4.00", acc20)                # ratio
        self.assertIn(">= 2.0 met", acc20)
        cpu20 = rows[("CPU seconds per 1,000 messages", "20")]
        self.assertIn("5.80 (5.60-6.00)", cpu20)
        self.assertIn("1.40", cpu20)
        self.assertIn("0.24", cpu20)
        self.assertIn("<= 0.5 met", cpu20)
        self.assertIn("FAILED", rows[("messages/s accepted", "1")])
        self.assertIn("FAILED sluice at 1 session(s): stalled", text)
        self.assertIn("FAILED sluice memory: found 3", text)
        self.assertTrue(self.results().any_failed())


if __name__ == "__main__":
    unittest.main(verbosity=2)
