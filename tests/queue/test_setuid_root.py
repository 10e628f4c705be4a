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


def inject_as_nobody(root, msg=b"Subject: t\n\nhi\n", env=None):
    nobody = pwd.getpwnam("nobody")

    def drop():
        os.setgid(nobody.pw_gid)
        os.setgroups([])
        os.setuid(nobody.pw_uid)
    r, w = os.pipe()
    os.write(w, ENVELOPE)
    os.close(w)
    e = {"SLUICE_ROOT": root, "PATH": "/usr/bin:/bin"}
    e.update(env or {})
    p = subprocess.run([harness.prog("sluice-queue")], input=msg, stdout=r,
                       capture_output=False, stderr=subprocess.PIPE, preexec_fn=drop,
                       env=e, timeout=30, cwd="/")
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

    def queue_files(self):
        out = []
        mess = self.inst.path("queue", "mess")
        for b in sorted(os.listdir(mess)):
            for n in os.listdir(os.path.join(mess, b)):
                with open(os.path.join(mess, b, n), "rb") as f:
                    out.append(f.read())
        return out

    def fake_instance_over_the_real_queue(self, databytes):
        """What any user can make: a ROOT of its own whose queue is a link
        to the real queue (owned by sluiceq, as checked) and whose control/
        says what the caller likes."""
        os.rmdir(os.path.join(self.fake, "queue"))
        os.symlink(self.inst.path("queue"), os.path.join(self.fake, "queue"))
        with open(os.path.join(self.fake, "control", "databytes"), "w") as f:
            f.write("%d\n" % databytes)
        os.chmod(os.path.join(self.fake, "control", "databytes"), 0o644)

    def test_limits_come_from_the_queue_s_own_instance(self):
        self.inst.set("databytes", 1024)
        self.fake_instance_over_the_real_queue(100000000)
        big = b"Subject: big\n\n" + (b"x" * 99 + b"\n") * 2000      # 200 KB
        rc, err = inject_as_nobody(self.inst.root, big)
        self.assertEqual(rc, 31, err)
        rc, err = inject_as_nobody(self.fake, big)
        self.assertEqual(rc, 31, err)
        self.assertIn("too big", err)
        self.assertEqual(self.queue_files(), [])
        # a message within the instance's own limit still gets in that way
        rc, err = inject_as_nobody(self.fake, b"Subject: small\n\nhi\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(self.queue_files()), 1)

    def test_a_queue_that_is_not_an_instance_s_is_refused(self):
        """mess/NN and tmp/ are sluiceq's too, but no instance holds them
        as its queue: their settings would be whatever lies beside them."""
        self.assertEqual(inject_as_nobody(self.inst.root)[0], 0)      # makes the layout
        link = os.path.join(self.fake, "queue")
        os.rmdir(link)
        for inner in ("tmp", "mess/05"):
            os.symlink(os.path.join(self.inst.path("queue"), inner), link)
            rc, err = inject_as_nobody(self.fake)
            self.assertEqual(rc, 61, err)
            self.assertIn("not the queue directory of an instance", err)
            os.unlink(link)
        self.assertEqual(len(self.queue_files()), 1)

    def test_bounce_level_from_a_caller_is_ignored(self):
        rc, err = inject_as_nobody(self.inst.root, env={"SLUICE_BOUNCE_LEVEL": "2"})
        self.assertEqual(rc, 0, err)
        [f] = self.queue_files()
        self.assertIn(b"\nN0\n", f)
        # root (and sluice-send, whose group is sluiceq) may set it
        r, w = os.pipe()
        os.write(w, ENVELOPE)
        os.close(w)
        p = subprocess.run([harness.prog("sluice-queue")], input=b"Subject: r\n\nhi\n", stdout=r,
                           stderr=subprocess.PIPE, timeout=30, cwd="/",
                           env={"SLUICE_ROOT": self.inst.root, "SLUICE_BOUNCE_LEVEL": "1"})
        os.close(r)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(b"\nN1\n" in f for f in self.queue_files()), [False, True])

    def test_tools_on_a_fresh_instance(self):
        p = self.inst.run("sluice-qstat")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("messages: 0 ", p.stdout.decode())
        p = self.inst.run("sluice-qread")
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
