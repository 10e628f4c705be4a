"""sluice-queue runs setuid sluiceq with SLUICE_ROOT taken from its caller:
it must refuse a queue directory that does not belong to sluiceq (a caller
could otherwise aim its privileges at a directory of its choosing), and
still accept injections from any user into a real instance."""
import os
import pwd
import shutil
import subprocess
import tempfile
import unittest

import harness

ENVELOPE = b"Fa@example.test\0Tbob@example.test\0\0"


def inject_as_nobody(root):
    nobody = pwd.getpwnam("nobody")

    def drop():
        os.setgid(nobody.pw_gid)
        os.setgroups([])
        os.setuid(nobody.pw_uid)
    r, w = os.pipe()
    os.write(w, ENVELOPE)
    os.close(w)
    p = subprocess.run([harness.prog("sluice-queue")], input=b"Subject: t\n\nhi\n", stdout=r,
                       capture_output=False, stderr=subprocess.PIPE, preexec_fn=drop,
                       env={"SLUICE_ROOT": root, "PATH": "/usr/bin:/bin"}, timeout=30, cwd="/")
    os.close(r)
    return p.returncode, p.stderr.decode()


@unittest.skipUnless(os.geteuid() == 0, "needs root (multi-uid instance)")
class SetuidRoot(unittest.TestCase):
    def setUp(self):
        self.inst = harness.Instance()
        self.inst.conf("domain", "add", "example.test")
        self.inst.add_user("bob@example.test", "pw-bob-123")
        self.fake = tempfile.mkdtemp(prefix="sluice-fake-")
        os.chmod(self.fake, 0o755)
        for d in ("queue", "control"):
            os.mkdir(os.path.join(self.fake, d))
            os.chmod(os.path.join(self.fake, d), 0o777)

    def tearDown(self):
        self.inst.cleanup()
        shutil.rmtree(self.fake, ignore_errors=True)

    def test_foreign_queue_directory_refused(self):
        st = os.stat(harness.prog("sluice-queue"))
        self.assertTrue(st.st_mode & 0o4000, "sluice-queue is setuid after init")
        rc, err = inject_as_nobody(self.fake)
        self.assertEqual(rc, 61, err)
        self.assertIn("not a queue directory owned", err)
        self.assertEqual(os.listdir(os.path.join(self.fake, "queue")), [])

    def test_any_user_injects_into_a_real_instance(self):
        rc, err = inject_as_nobody(self.inst.root)
        self.assertEqual(rc, 0, err)
        self.assertIn("messages: 1 ", self.inst.run("sluice-qstat").stdout.decode())

    def test_tools_on_a_fresh_instance(self):
        p = self.inst.run("sluice-qstat")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("messages: 0 ", p.stdout.decode())
        p = self.inst.run("sluice-qread")
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
