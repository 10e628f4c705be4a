"""sluice-smtpd in a real instance: `sluice-conf init` wrote the service
directories, svscan runs them (tcpserver as root, the server dropping to
sluiced after loading the key), users/aliases/domains come from
sluice-conf, and messages go to the real sluice-queue.  Clients: swaks on
port 25, msmtp on the submission and smtps ports, smtplib."""
import os
import re
import smtplib
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import smtpdlib  # noqa: E402

ALICE_PW = "Alice-pw-1"



def queue_under_lsan():
    """Under `make asan` with root, sluice-queue is setuid sluiceq, and
    LeakSanitizer cannot work in a setuid process (not dumpable; it cannot
    even read ASAN_OPTIONS from /proc/self/environ): it exits 1, so every
    message would get 451.  Tests that need the real queue skip then."""
    if os.geteuid() != 0:
        return False
    p = subprocess.run(["ldd", harness.prog("sluice-queue")], capture_output=True, text=True, timeout=30)
    return "libasan" in p.stdout


def setUpModule():
    global inst
    inst = harness.Instance()
    try:
        inst.conf("domain", "add", "example.test")
        inst.add_user("alice@example.test", ALICE_PW)
        inst.add_user("bob@example.test", "Bob-pw-2")
        inst.conf("alias", "add", "sales@example.test", "bob@example.test")
        inst.set("smtpgreetdelay", "0")
        inst.start(wait=("smtp", "submission", "smtps"))
    except Exception:
        inst.cleanup()
        raise


def tearDownModule():
    inst.cleanup()


def need_queue(test):
    if queue_under_lsan():
        test.skipTest("setuid sluice-queue cannot run under LeakSanitizer")


def arrived(address, before):
    """wait for the message in the Maildir (smtpd -> sluice-queue ->
    sluice-send -> sluice-local); returns the newest message"""
    msgs = inst.wait_mail(address, before + 1, timeout=30)
    return sorted(msgs, key=lambda m: os.stat(m.sluice_path).st_mtime_ns)[-1]


class Instance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if "inst" not in globals():   # a runner without module fixtures
            setUpModule()
            cls.addClassCleanup(tearDownModule)

    def test_port25_swaks_to_alias(self):
        need_queue(self)
        before = len(inst.messages("bob@example.test"))
        p = subprocess.run(["swaks", "--server", "%s:%d" % (inst.ip, inst.ports["smtp"]),
                            "--from", "someone@far.test", "--to", "sales@example.test",
                            "--helo", "far.test", "--pipeline"], capture_output=True, timeout=60)
        out = p.stdout.decode() + p.stderr.decode()
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("250 2.0.0 Ok: queued", out)
        m = arrived("bob@example.test", before)
        received = m.get_all("Received")
        self.assertTrue(any(re.search(r"^from far\.test \(\[127\.[0-9.]+\]\)\s+by mail\.example\.test "
                                      r"\(sluice\) with ESMTP\s+for <sales@example\.test>;", r)
                            for r in received), received)
        harness.wait_for(lambda: "queued ip=" in inst.log("smtpd"), timeout=10, what="smtpd log")

    def test_queue_id_in_reply_and_log(self):
        """sluice-queue reports its id on fd 3 (HACKING.md); the 250 reply
        and the log line carry it"""
        need_queue(self)
        with open(harness.prog("sluice-queue"), "rb") as f:
            if b"SLUICE_QUEUEID_FD" not in f.read():
                self.skipTest("this sluice-queue does not report its id yet")
        c = smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=20)
        self.addCleanup(c.close)
        c.ehlo("far.test")
        c.mail("someone@far.test")
        c.rcpt("bob@example.test")
        code, text = c.data(b"Subject: id\r\n\r\nx\r\n")
        self.assertEqual(code, 250)
        m = re.search(rb"queued as ([0-9a-f]+\.[0-9a-f]+)$", text)
        self.assertTrue(m, text)
        c.quit()
        harness.wait_for(lambda: "qid=" + m.group(1).decode() in inst.log("smtpd"), timeout=10,
                         what="queue id in the smtpd log")

    def test_port25_unknown_user_and_relay(self):
        c = smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=20)
        self.addCleanup(c.close)
        c.ehlo("far.test")
        c.mail("someone@far.test")
        self.assertEqual(c.rcpt("nobody@example.test")[0], 550)
        self.assertEqual(c.rcpt("x@elsewhere.test")[0], 554)
        self.assertEqual(c.rcpt("postmaster@example.test")[0], 250)
        c.quit()

    def msmtp(self, port, starttls, rcpt):
        d = tempfile.mkdtemp(prefix="msmtp-")
        conf = os.path.join(d, "rc")
        with open(conf, "w") as f:
            f.write("account default\nhost %s\nport %d\nfrom alice@example.test\nauth on\n"
                    "user alice@example.test\npassword %s\ntls on\ntls_starttls %s\n"
                    "tls_certcheck off\ntimeout 20\n" % (inst.ip, port, ALICE_PW, "on" if starttls else "off"))
        os.chmod(conf, 0o600)
        try:
            return subprocess.run(["msmtp", "-C", conf, rcpt], input=b"Subject: m\n\nbody\n",
                                  capture_output=True, timeout=60)
        finally:
            os.unlink(conf)
            os.rmdir(d)

    def test_submission_msmtp(self):
        need_queue(self)
        before = len(inst.messages("bob@example.test"))
        p = self.msmtp(inst.ports["submission"], True, "bob@example.test")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = arrived("bob@example.test", before)
        r = " ".join(m.get_all("Received"))
        self.assertIn("with ESMTPSA", r)
        self.assertIn("(TLSv1.", r)
        self.assertNotIn("alice", r, "the login is named only with receivedauth=1")

    def test_smtps_msmtp(self):
        need_queue(self)
        before = len(inst.messages("bob@example.test"))
        p = self.msmtp(inst.ports["smtps"], False, "bob@example.test")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("with ESMTPSA", " ".join(arrived("bob@example.test", before).get_all("Received")))

    def test_submission_requires_auth(self):
        c = smtplib.SMTP(inst.ip, inst.ports["submission"], timeout=20)
        self.addCleanup(c.close)
        c.ehlo("x.test")
        c.starttls(context=smtpdlib.client_tls_context())
        c.ehlo("x.test")
        code, _ = c.mail("alice@example.test")
        self.assertEqual(code, 530)
        with self.assertRaises(smtplib.SMTPAuthenticationError):
            c.login("alice@example.test", "wrong")

    def test_runs_as_sluiced(self):
        """the server of a connection (a pool worker) holds no root
        privileges; only the pool masters, which never read the network,
        run as root"""
        import pwd
        import socket
        s = socket.create_connection((inst.ip, inst.ports["smtp"]), timeout=10)
        self.addCleanup(s.close)
        self.assertTrue(s.recv(100).startswith(b"220"))
        uids = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % pid) as f:
                    if f.read().strip() != "sluice-smtpd":
                        continue
                with open("/proc/%s/environ" % pid, "rb") as f:
                    if b"SLUICE_ROOT=" + inst.root.encode() + b"\0" not in f.read():
                        continue
                with open("/proc/%s/status" % pid) as f:
                    status = f.read()
                ppid = re.search(r"(?m)^PPid:\s+(\d+)", status).group(1)
                with open("/proc/%s/comm" % ppid) as f:
                    if f.read().strip() == "supervise":
                        continue        # a pool master
                uids.append(set(int(x) for x in re.search(r"(?m)^Uid:(.*)$", status).group(1).split()))
            except OSError:
                continue
        self.assertTrue(uids, "no sluice-smtpd process of this instance seen")
        if os.geteuid() == 0:
            want = pwd.getpwnam("sluiced").pw_uid
            for u in uids:
                self.assertEqual(u, {want}, "real, effective, saved and fs uid are all sluiced")


if __name__ == "__main__":
    unittest.main()
