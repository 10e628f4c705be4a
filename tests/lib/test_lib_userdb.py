"""lib/userdb.c reads what sluice-conf writes.

sluice-conf builds users.cdb, aliases.cdb and domains.cdb in a throwaway
instance; bin/tests/t_userdb (query mode) then resolves addresses, checks
passwords and local domains through the real lib code.  As root the
reader also runs as the SMTP server's user (sluiced, with its
supplementary groups) to prove it can read the 0640 users.cdb, and as a
user outside group sluice to prove it cannot.
"""
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

TOP = harness.TOP
HELPER = os.path.join(TOP, "bin", "tests", "t_userdb")


def as_user(name):
    """preexec_fn: become the named user with its groups."""
    pw = pwd.getpwnam(name)

    def drop():
        os.initgroups(name, pw.pw_gid)
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return drop


@unittest.skipUnless(os.path.exists(HELPER), "bin/tests/t_userdb not built")
class ConfToUserdb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = harness.Instance()
        i = cls.inst
        i.conf("domain", "add", "example.test")
        i.conf("domain", "add", "Other.Test")
        i.add_user("alice@example.test", "secret")
        i.add_user("Bob.Smith@example.test", "pw2")
        i.conf("alias", "add", "sales@example.test", "alice", "bob.smith@example.test")
        i.conf("alias", "add", "@other.test", "alice@example.test")
        i.conf("alias", "add", "postmaster", "alice@example.test")
        # a world-readable copy of the helper for the system users
        cls.bindir = tempfile.mkdtemp(prefix="t_userdb-bin-")
        os.chmod(cls.bindir, 0o755)
        cls.helper = os.path.join(cls.bindir, "t_userdb")
        shutil.copy2(HELPER, cls.helper)
        os.chmod(cls.helper, 0o755)

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()
        shutil.rmtree(cls.bindir, ignore_errors=True)

    def q(self, *args, user=None):
        p = subprocess.run([self.helper] + list(args), capture_output=True, text=True,
                           timeout=30, env=self.inst.env,
                           preexec_fn=as_user(user) if user else None)
        return p.stdout.strip()

    def test_user_exact_and_case(self):
        out = self.q("resolve", "alice", "example.test", "+")
        self.assertTrue(out.startswith("1 [alice@example.test] [] "), out)
        self.assertIn("[%s]" % os.path.join(self.inst.root, "mail", "example.test", "alice"), out)
        self.assertTrue(self.q("resolve", "ALICE", "example.test", "+").startswith("1 [alice@example.test]"))
        self.assertTrue(self.q("resolve", "bob.smith", "example.test", "+").startswith("1 [bob.smith@example.test]"))

    def test_extension(self):
        self.assertTrue(self.q("resolve", "alice+News", "example.test", "+")
                        .startswith("1 [alice@example.test] [News] "))
        self.assertTrue(self.q("resolve", "alice-list", "example.test", "+")
                        .startswith("1 [alice@example.test] [list] "))
        self.assertTrue(self.q("resolve", "alice+x", "example.test", "").startswith("0 "))

    def test_aliases(self):
        out = self.q("resolve", "sales", "example.test", "+")
        self.assertTrue(out.startswith("2 [sales@example.test] [] "), out)
        self.assertTrue(out.endswith("[alice,bob.smith@example.test]") or
                        out.endswith("[alice@example.test,bob.smith@example.test]"), out)
        out = self.q("resolve", "anyone", "other.test", "+")
        self.assertTrue(out.startswith("2 [@other.test] "), out)
        self.assertTrue(out.endswith("[alice@example.test]"), out)

    def test_postmaster_and_unknown(self):
        out = self.q("resolve", "abuse", "example.test", "+")
        self.assertTrue(out.startswith("3 [postmaster] "), out)
        self.assertTrue(out.endswith("[alice@example.test]"), out)
        self.assertTrue(self.q("resolve", "nobody", "example.test", "+").startswith("0 "))

    def test_passwords(self):
        self.assertEqual(self.q("login", "alice@example.test", "secret"), "1")
        self.assertEqual(self.q("login", "Alice@Example.Test", "secret"), "1")
        self.assertEqual(self.q("login", "alice@example.test", "Secret"), "0")
        self.assertEqual(self.q("login", "bob.smith@example.test", "pw2"), "1")
        self.assertEqual(self.q("login", "nobody@example.test", "secret"), "0")

    def test_domains(self):
        self.assertEqual(self.q("domain", "example.test"), "1")
        self.assertEqual(self.q("domain", "OTHER.test"), "1")
        self.assertEqual(self.q("domain", "example.org"), "0")

    @unittest.skipUnless(os.geteuid() == 0, "needs root for the system users")
    def test_read_as_system_users(self):
        for user in ("sluiced", "sluicev"):
            self.assertEqual(self.q("login", "alice@example.test", "secret", user=user), "1", user)
            self.assertTrue(self.q("resolve", "sales", "example.test", "+", user=user)
                            .startswith("2 "), user)
        # sluicer (remote delivery) is not in group sluice: users.cdb is closed to it
        out = self.q("login", "alice@example.test", "secret", user="sluicer")
        self.assertTrue(out.startswith("error"), out)


if __name__ == "__main__":
    unittest.main()
