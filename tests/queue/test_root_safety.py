"""Root never follows a name inside ROOT/queue, which sluiceq (and, in
mess/, group sluiceq) can change.  A user with those rights plants links
and odd files; the queue service started as root (the installed
sluice-start) and the queue tools run as root must leave every file they
lead to as it was, and refuse with one log line where the layout itself
is not what it should be.  Also: the installed sluice-start reads no test
hook from its environment."""
import os
import signal
import stat
import subprocess
import tempfile
import time
import unittest

import harness
from qtest import QueueInstance

QID = "6b02c3ed8bae1.a74760"


def victim_file(d, content=b"root's secret\n"):
    p = os.path.join(d, "victim")
    with open(p, "wb") as f:
        f.write(content)
    os.chown(p, 0, 0)
    os.chmod(p, 0o600)
    return p


@unittest.skipUnless(os.geteuid() == 0, "needs root (multi-uid instance)")
class RootSafety(unittest.TestCase):
    def setUp(self):
        self.q = QueueInstance()
        self.q.prepare()            # sluice-start made the layout once
        self.tmp = tempfile.mkdtemp(prefix="sluice-victim-")
        self.victim = victim_file(self.tmp)
        self.before = os.stat(self.victim)
        self.started = []

    def tearDown(self):
        for p in self.started:
            self.stop(p)
        self.q.cleanup()
        subprocess.run(["rm", "-rf", self.tmp])

    def stop(self, p):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
        # the delivery programs go with their manager; reap the group
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.killpg(p.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def start_installed(self, env=None, wait=20):
        """The installed sluice-start as root, as the supervisor runs it:
        (exit status or None if it kept running, its log)."""
        e = {"SLUICE_ROOT": self.q.root, "PATH": "/usr/bin:/bin"}
        e.update(env or {})
        log = open(self.q.path("start.log"), "w+b")
        p = subprocess.Popen([harness.prog("sluice-start")], env=e, stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log, start_new_session=True, cwd="/")
        self.started.append(p)
        deadline = time.time() + wait
        while time.time() < deadline and p.poll() is None:
            log.seek(0)
            if b"started with" in log.read():
                break
            time.sleep(0.05)
        rc = p.poll()
        log.seek(0)
        out = log.read().decode(errors="replace")
        log.close()
        return rc, out

    def assert_victim_untouched(self):
        st = os.lstat(self.victim)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
                         (self.before.st_uid, self.before.st_gid, stat.S_IMODE(self.before.st_mode)))
        with open(self.victim, "rb") as f:
            self.assertEqual(f.read(), b"root's secret\n")

    def plant(self, rel, target):
        p = self.q.path("queue", rel)
        if os.path.isdir(p) and not os.path.islink(p):
            os.rmdir(p)
        else:
            os.unlink(p)
        os.symlink(target, p)
        return p

    # -- sluice-start -----------------------------------------------------
    def refused(self, rel, target=None):
        self.plant(rel, target or self.victim)
        rc, log = self.start_installed()
        self.assert_victim_untouched()
        self.assertEqual(rc, 111, log)
        self.assertIn("refusing to start: queue/" + rel, log)
        self.assertEqual(len(log.strip().splitlines()), 1, log)

    def test_symlinked_bucket_to_a_file(self):
        self.refused("mess/05")

    def test_symlinked_bucket_to_a_directory(self):
        d = os.path.join(self.tmp, "vdir")
        os.mkdir(d, 0o700)
        self.refused("mess/37", d)
        st = os.stat(d)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, 0, 0o700))

    def test_symlinked_mess_tmp_and_trigger(self):
        for rel in ("mess", "tmp", "trigger"):
            with self.subTest(rel=rel):
                saved = self.q.path("queue", rel + ".saved")
                os.rename(self.q.path("queue", rel), saved)
                os.symlink(self.victim, self.q.path("queue", rel))
                rc, log = self.start_installed()
                self.assert_victim_untouched()
                self.assertEqual(rc, 111, log)
                self.assertIn("refusing to start: queue/" + rel, log)
                os.unlink(self.q.path("queue", rel))
                os.rename(saved, self.q.path("queue", rel))

    def test_trigger_of_the_wrong_type(self):
        os.unlink(self.q.path("queue", "trigger"))
        with open(self.q.path("queue", "trigger"), "w") as f:
            f.write("not a fifo\n")
        rc, log = self.start_installed()
        self.assertEqual(rc, 111, log)
        self.assertIn("refusing to start: queue/trigger", log)

    def test_links_in_a_bucket_being_repaired_are_left_alone(self):
        """A bucket with the wrong group is repaired, and its message files
        get group sluiceq; a symbolic link or a second hard link named like
        a message is not followed: the service starts, the victims stay."""
        bucket = self.q.path("queue", "mess", "07")
        os.chown(bucket, os.stat(bucket).st_uid, 0)        # wrong group
        os.symlink(self.victim, os.path.join(bucket, QID))
        hard = os.path.join(self.tmp, "hard")
        with open(hard, "wb") as f:
            f.write(b"x")
        os.chmod(hard, 0o600)
        os.link(hard, os.path.join(bucket, "6b02c3ed8bae2.a74761"))
        rc, log = self.start_installed()
        self.assertIsNone(rc, log)
        self.assert_victim_untouched()
        st = os.stat(hard)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, 0, 0o600))
        self.assertEqual(os.stat(bucket).st_gid, os.stat(self.q.path("queue")).st_gid)
        self.assertIn("left alone", log)

    def test_root_writable_by_others_refused(self):
        os.chmod(self.q.root, 0o777)
        try:
            rc, log = self.start_installed()
        finally:
            os.chmod(self.q.root, 0o755)
        self.assertEqual(rc, 111, log)
        self.assertIn("writable by a user other than root", log)

    def test_installed_start_has_no_test_hooks(self):
        marker = os.path.join(self.tmp, "hook-ran")
        hook = os.path.join(self.tmp, "hook.sh")
        with open(hook, "w") as f:
            f.write("#!/bin/sh\ntouch %s\nexec sleep 60\n" % marker)
        os.chmod(hook, 0o755)
        os.chmod(self.tmp, 0o777)
        rc, log = self.start_installed({"SLUICE_TEST_LOCAL": hook, "SLUICE_TEST_REMOTE": hook})
        self.assertIsNone(rc, log)
        self.assertIn("started with", log)
        time.sleep(1)
        self.assertFalse(os.path.exists(marker), "the installed sluice-start ran a test hook")
        with open(harness.prog("sluice-start"), "rb") as f:
            self.assertNotIn(b"SLUICE_TEST_", f.read())

    # -- the queue tools as root ------------------------------------------
    def test_qctl_never_writes_through_a_symlinked_trigger(self):
        self.plant("trigger", self.victim)
        p = self.q.run("sluice-qctl", "flush")
        self.assert_victim_untouched()
        self.assertEqual(p.returncode, 111, p.stderr)
        self.assertIn(b"not a FIFO", p.stderr)

    def test_qctl_refuses_a_regular_trigger(self):
        os.unlink(self.q.path("queue", "trigger"))
        with open(self.q.path("queue", "trigger"), "wb") as f:
            f.write(b"")
        p = self.q.run("sluice-qctl", "flush")
        self.assertEqual(p.returncode, 111, p.stderr)
        with open(self.q.path("queue", "trigger"), "rb") as f:
            self.assertEqual(f.read(), b"")

    def test_tools_do_not_follow_or_block_in_buckets(self):
        """A FIFO named like a message would make root's sluice-qread hang
        for ever; a link would make it read the file it leads to."""
        os.mkfifo(self.q.path("queue", "mess", "03", QID))
        os.symlink(self.victim, self.q.path("queue", "mess", "04", "6b02c3ed8bae3.a74762"))
        for tool in ("sluice-qread", "sluice-qstat"):
            p = self.q.run(tool, timeout=20)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn(b"secret", p.stdout + p.stderr)
        self.assert_victim_untouched()


if __name__ == "__main__":
    unittest.main()
