"""sluice-conf: every command, good and bad input, on real instances.

Each test makes a throwaway instance with tests/lib/harness.py (as root in
CI: a multi-uid instance with the system users).  Refused commands must
exit 1 with exactly one line on stderr and leave every file of the
instance byte-identical (with the same mode and owner).
"""
import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402

TOP = harness.TOP
IS_ROOT = os.geteuid() == 0


def snapshot(root):
    """path -> (kind, mode, uid, gid, content) for every file under root,
    leaving out what supervise and multilog change by themselves."""
    snap = {}
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x != "supervise"]
        rel = os.path.relpath(d, root)
        if rel.startswith("log" + os.sep):
            continue
        st = os.lstat(d)
        snap[rel] = ("d", st.st_mode, st.st_uid, st.st_gid, None)
        for f in files:
            p = os.path.join(d, f)
            st = os.lstat(p)
            data = open(p, "rb").read() if stat.S_ISREG(st.st_mode) else os.readlink(p)
            snap[os.path.relpath(p, root)] = ("f", st.st_mode, st.st_uid, st.st_gid, data)
    return snap


def cdb_get(path, key):
    """The value of key in a cdb file (tinycdb's cdb -q), or None."""
    p = subprocess.run(["cdb", "-q", path, key], capture_output=True, timeout=10)
    return p.stdout if p.returncode == 0 else None


def crypt_ok(password, hashed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    return crypt.crypt(password, hashed) == hashed


class ConfCase(unittest.TestCase):
    def setUp(self):
        self.inst = harness.Instance()
        self.addCleanup(self.inst.cleanup)

    def conf(self, *args, input=None):
        return self.inst.conf(*args, input=input, check=False)

    def ok(self, *args, input=None):
        p = self.conf(*args, input=input)
        self.assertEqual(p.returncode, 0, "sluice-conf %s: %s" % (" ".join(args), p.stderr))
        self.assertEqual(p.stderr, "")
        return p.stdout

    def refused(self, *args, input=None):
        """The command must fail with one line on stderr and change nothing."""
        before = snapshot(self.inst.root)
        p = self.conf(*args, input=input)
        self.assertEqual(p.returncode, 1, "sluice-conf %s: rc %d %r" % (" ".join(args), p.returncode, p.stderr))
        self.assertTrue(p.stderr.startswith("sluice-conf: "), repr(p.stderr))
        self.assertEqual(p.stderr.count("\n"), 1, repr(p.stderr))
        after = snapshot(self.inst.root)
        self.assertEqual(sorted(before), sorted(after), "files appeared or vanished: %s" % " ".join(args))
        for k in before:
            self.assertEqual(before[k], after[k], "%s changed by: %s" % (k, " ".join(args)))
        return p.stderr

    def path(self, *p):
        return self.inst.path(*p)

    def owner(self, *p):
        st = os.stat(self.path(*p))
        return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)

    def read(self, *p):
        with open(self.path(*p)) as f:
            return f.read()


class TestInit(ConfCase):
    @unittest.skipUnless(IS_ROOT, "multi-uid instance needs root")
    def test_system_users_and_groups(self):
        users = {"sluiced": "sluiced", "sluiceq": "sluiceq", "sluices": "sluiceq",
                 "sluicer": "sluicer", "sluicev": "sluicev", "sluicel": "sluicel",
                 "sluicew": "sluicew"}
        for user, group in users.items():
            pw = pwd.getpwnam(user)
            self.assertEqual(grp.getgrgid(pw.pw_gid).gr_name, group, user)
            self.assertIn(pw.pw_shell, ("/usr/sbin/nologin", "/sbin/nologin"))
            self.assertLess(pw.pw_uid, 1000, "not a system user: " + user)
        members = grp.getgrnam("sluice").gr_mem
        self.assertEqual(sorted(m for m in members if m.startswith("sluice")), ["sluiced", "sluicev"])
        # every instance made since (the harness makes many) reused them
        for path, names in (("/etc/passwd", users), ("/etc/group", list(users) + ["sluice"])):
            lines = open(path).read().splitlines()
            for name in set(names) - {"sluices"} if path == "/etc/group" else names:
                self.assertEqual(sum(1 for l in lines if l.startswith(name + ":")), 1, (path, name))

    @unittest.skipUnless(IS_ROOT, "multi-uid instance needs root")
    def test_owners_and_modes(self):
        expect = {
            ("control",): ("root", "root", 0o755),
            ("users",): ("root", "sluice", 0o750),
            ("users", "users"): ("root", "root", 0o600),
            ("users", "users.cdb"): ("root", "sluice", 0o640),
            ("users", "aliases.cdb"): ("root", "root", 0o644),
            ("control", "domains.cdb"): ("root", "root", 0o644),
            ("control", "routes.cdb"): ("root", "root", 0o644),
            ("queue",): ("sluiceq", "sluiceq", 0o2750),
            ("mail",): ("sluicev", "sluicev", 0o750),
            ("tls", "key.pem"): ("root", "root", 0o600),
            ("tls", "cert.pem"): ("root", "root", 0o644),
            ("log", "smtpd"): ("sluicel", "sluicel", 0o750),
            ("service", "send", "run"): ("root", "root", 0o755),
        }
        for p, want in expect.items():
            self.assertEqual(self.owner(*p), want, os.path.join(*p))
        self.assertEqual(self.read("control", "me"), "mail.example.test\n")

    @unittest.skipUnless(IS_ROOT, "setuid needs root")
    def test_sluice_queue_setuid_when_present(self):
        bindir = tempfile.mkdtemp(prefix="sluice-conf-bin-")
        self.addCleanup(shutil.rmtree, bindir, True)
        os.chmod(bindir, 0o755)
        shutil.copy2(harness.prog("sluice-conf"), bindir)
        with open(os.path.join(bindir, "sluice-queue"), "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        root = tempfile.mkdtemp(prefix="sluice-conf-")
        self.addCleanup(shutil.rmtree, root, True)
        p = subprocess.run([os.path.join(bindir, "sluice-conf"), "-d", root, "init", "--me", "a.example.test",
                            "--ports", "smtp=off,submission=off,smtps=off,pop3=off,pop3s=off"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        st = os.stat(os.path.join(bindir, "sluice-queue"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o6711)
        self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, "sluiceq")
        run = open(os.path.join(root, "service", "send", "run")).read()
        self.assertIn("BIN='%s'" % bindir, run)
        self.assertEqual(sorted(os.listdir(os.path.join(root, "service"))), ["anvil", "send"])
        # a symbolic link in its place is refused before anything is made
        os.rename(os.path.join(bindir, "sluice-queue"), os.path.join(bindir, "victim"))
        os.chmod(os.path.join(bindir, "victim"), 0o755)
        os.symlink("victim", os.path.join(bindir, "sluice-queue"))
        root2 = tempfile.mkdtemp(prefix="sluice-conf-")
        self.addCleanup(shutil.rmtree, root2, True)
        p = subprocess.run([os.path.join(bindir, "sluice-conf"), "-d", root2, "init", "--me", "a.example.test"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("symbolic link", p.stderr)
        self.assertEqual(os.listdir(root2), [])
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(bindir, "victim")).st_mode), 0o755)

    def test_certificate(self):
        p = subprocess.run(["openssl", "x509", "-in", self.path("tls", "cert.pem"), "-noout",
                            "-subject", "-ext", "subjectAltName", "-checkend", "86400"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("CN = mail.example.test", p.stdout)
        self.assertIn("DNS:mail.example.test", p.stdout)
        k = subprocess.run(["openssl", "pkey", "-in", self.path("tls", "key.pem"), "-pubout"],
                           capture_output=True, timeout=30)
        c = subprocess.run(["openssl", "x509", "-in", self.path("tls", "cert.pem"), "-pubkey", "-noout"],
                           capture_output=True, timeout=30)
        self.assertEqual(k.stdout, c.stdout)

    def test_service_directories(self):
        names = {"smtpd": ("smtp", "sluice-smtpd", "SMTPD_MODE=mx"),
                 "submission": ("submission", "sluice-smtpd", "SMTPD_MODE=submission"),
                 "smtps": ("smtps", "sluice-smtpd", "SMTPD_MODE=smtps"),
                 "pop3d": ("pop3", "sluice-pop3d", "POP3D_MODE=plain"),
                 "pop3s": ("pop3s", "sluice-pop3d", "POP3D_MODE=tls")}
        self.assertEqual(sorted(os.listdir(self.path("service"))),
                         sorted(list(names) + ["send", "anvil"]))
        for svc, (port, prog, mode) in names.items():
            run = self.read("service", svc, "run")
            self.assertIn("exec tcpserver -H -R -l \"$ME\" -c \"${CONC:-200}\" -x tcp.cdb %s %d \"$BIN/%s\""
                          % (self.inst.ip, self.inst.ports[port], prog), run)
            self.assertIn(mode + ";", run)
            self.assertIn("SLUICE_ROOT=$ROOT", run)
            self.assertIn("ROOT='%s'" % self.inst.root, run)
            self.assertEqual("SLUICE_DROP=sluiced" in run, IS_ROOT)
            self.assertTrue(os.path.getsize(self.path("service", svc, "tcp.cdb")) > 2048)
            self.assertIn(":allow", self.read("service", svc, "tcp.rules"))
        for svc in list(names) + ["send", "anvil"]:
            for script in (("run",), ("log", "run")):
                p = subprocess.run(["sh", "-n", self.path("service", svc, *script)], capture_output=True,
                                   timeout=10)
                self.assertEqual(p.returncode, 0, p.stderr)
            log = self.read("service", svc, "log", "run")
            self.assertIn("multilog t", log)
            self.assertIn(self.path("log", svc), log)
            self.assertEqual("setuidgid sluicel" in log, IS_ROOT)
        send = self.read("service", "send", "run")
        self.assertIn('exec "$BIN/sluice-start"', send)
        anvil = self.read("service", "anvil", "run")
        self.assertIn('exec "$BIN/sluice-anvil"', anvil)
        self.assertEqual("SLUICE_DROP=sluiced" in anvil, IS_ROOT)
        # retention from the logsize and logcount settings
        log = self.read("service", "smtpd", "log", "run")
        self.assertIn('"s${SIZE:-1000000}" "n${COUNT:-20}"', log)
        self.assertIn('control/logsize', log)
        self.assertIn("BIN='%s'" % harness.bin_dir(), send)

    def test_root_from_environment_and_help(self):
        conf = harness.prog("sluice-conf")
        env = dict(os.environ, SLUICE_ROOT=self.inst.root)
        p = subprocess.run([conf, "get", "me"], capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual((p.returncode, p.stdout), (0, "mail.example.test\n"), p.stderr)
        p = subprocess.run([conf, "help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        for word in ("init", "domain", "user", "alias", "route", "relay", "remoteauth", "set", "get", "check",
                     "rebuild", "systemd"):
            self.assertRegex(p.stdout, r"(?m)(^  |\| )%s " % word)
        for args in ([], ["frobnicate"], ["help", "frob"], ["-d"]):
            p = subprocess.run([conf] + args, capture_output=True, text=True, timeout=30, env=env)
            self.assertEqual(p.returncode, 1, args)
            self.assertTrue(p.stderr.startswith(("sluice-conf: ", "usage: ")), p.stderr)

    def test_run_scripts_with_awkward_paths(self):
        """Run each script with stand-ins for tcpserver, sluice-smtpd and
        sluice-start (first in the scripts' PATH, from BIN): they must get
        exactly the arguments and environment HACKING.md asks for, even
        when the paths hold spaces and quotes: the SMTP pool by default,
        tcpserver for POP3, and for SMTP too with smtpdtcpserver=1."""
        parent = tempfile.mkdtemp(prefix="sluice conf '")
        self.addCleanup(shutil.rmtree, parent, True)
        os.chmod(parent, 0o755)
        bindir = os.path.join(parent, "b in")
        root = os.path.join(parent, "in'st")
        os.mkdir(bindir)
        shutil.copy2(harness.prog("sluice-conf"), bindir)
        out = os.path.join(parent, "args")
        for prog in ("tcpserver", "sluice-start", "sluice-smtpd"):
            with open(os.path.join(bindir, prog), "w") as f:
                f.write('#!/bin/sh\n{ echo "$0"; for a; do echo "$a"; done; '
                        'echo "root=$SLUICE_ROOT smtpd=$SMTPD_MODE pop3d=$POP3D_MODE drop=$SLUICE_DROP"; '
                        'echo "rules=$SLUICE_TCPRULES"; pwd; } > "$ARGS"\n')
            os.chmod(os.path.join(bindir, prog), 0o755)
        p = subprocess.run([os.path.join(bindir, "sluice-conf"), "-d", root, "init", "--me", "Run.Example.TEST",
                            "--bind", "127.0.0.1", "--ports",
                            "smtp=2525,submission=2587,smtps=2465,pop3=2110,pop3s=2995"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        subprocess.run([os.path.join(bindir, "sluice-conf"), "-d", root, "set", "concurrencyincoming", "7"],
                       check=True, timeout=30)
        drop = "sluiced" if IS_ROOT else ""
        expect = {"smtpd": ("2525", "sluice-smtpd", "smtpd=mx pop3d="),
                  "submission": ("2587", "sluice-smtpd", "smtpd=submission pop3d="),
                  "smtps": ("2465", "sluice-smtpd", "smtpd=smtps pop3d="),
                  "pop3d": ("2110", "sluice-pop3d", "smtpd= pop3d=plain"),
                  "pop3s": ("2995", "sluice-pop3d", "smtpd= pop3d=tls")}
        env = {"ARGS": out, "PATH": "/usr/bin:/bin"}
        for svc, (port, prog, modes) in expect.items():
            sdir = os.path.join(root, "service", svc)
            subprocess.run(["sh", "./run"], cwd=sdir, env=env, check=True, timeout=30)
            got = open(out).read().split("\n")
            if prog == "sluice-smtpd":
                self.assertEqual(got[:7], [os.path.join(bindir, prog), "--pool", "127.0.0.1", port,
                                           "root=%s %s drop=%s" % (root, modes, drop),
                                           "rules=" + os.path.join(sdir, "tcp.cdb"), sdir])
                continue
            self.assertEqual(got[:15], [os.path.join(bindir, "tcpserver"), "-H", "-R", "-l", "run.example.test",
                                        "-c", "7", "-x", "tcp.cdb", "127.0.0.1", port,
                                        os.path.join(bindir, prog),
                                        "root=%s %s drop=%s" % (root, modes, drop), "rules=", sdir])
        subprocess.run([os.path.join(bindir, "sluice-conf"), "-d", root, "set", "smtpdtcpserver", "1"],
                       check=True, timeout=30)
        for svc in ("smtpd", "submission", "smtps"):
            port, prog, modes = expect[svc]
            sdir = os.path.join(root, "service", svc)
            subprocess.run(["sh", "./run"], cwd=sdir, env=env, check=True, timeout=30)
            got = open(out).read().split("\n")
            self.assertEqual(got[:15], [os.path.join(bindir, "tcpserver"), "-H", "-R", "-l", "run.example.test",
                                        "-c", "7", "-x", "tcp.cdb", "127.0.0.1", port,
                                        os.path.join(bindir, prog),
                                        "root=%s %s drop=%s" % (root, modes, drop), "rules=", sdir])
        subprocess.run(["sh", "./run"], cwd=os.path.join(root, "service", "send"), env=env, check=True,
                       timeout=30)
        got = open(out).read().split("\n")
        self.assertEqual(got[:2], [os.path.join(bindir, "sluice-start"), "root=%s smtpd= pop3d= drop=" % root])

    def test_check_is_clean_after_init(self):
        self.assertEqual(self.ok("check"), "")

    def test_refuses_to_overwrite(self):
        self.refused("init", "--me", "other.example.test")

    def test_bad_arguments(self):
        root = tempfile.mkdtemp(prefix="sluice-conf-")
        self.addCleanup(shutil.rmtree, root, True)
        bad = [
            [],
            ["--me"],
            ["--me", "no_underscores.example"],
            ["--me", "nodot"],
            ["--me", "a.example.test", "--ports", "smtp=70000"],
            ["--me", "a.example.test", "--ports", "smtp=25x"],
            ["--me", "a.example.test", "--ports", "smtp="],
            ["--me", "a.example.test", "--ports", "imap4=143"],
            ["--me", "a.example.test", "--ports", "webmail=8443"],   # needs imap
            ["--me", "a.example.test", "--ports", "smtp=2525,pop3=2525"],
            ["--me", "a.example.test", "--ports", "smtp=2525,"],
            ["--me", "a.example.test", "--bind", "300.1.1.1"],
            ["--me", "a.example.test", "--bind", "localhost"],
            ["--me", "a.example.test", "--frobnicate", "1"],
        ]
        for args in bad:
            p = subprocess.run([harness.prog("sluice-conf"), "-d", root, "init"] + args,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 1, "%s: %s" % (args, p.stderr))
            self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
            self.assertEqual(os.listdir(root), [], args)

    def test_failure_half_way_leaves_nothing(self):
        """tcprules missing (no PATH): init fails after creating most of the
        instance, and removes it again."""
        parent = tempfile.mkdtemp(prefix="sluice-conf-")
        self.addCleanup(shutil.rmtree, parent, True)
        os.chmod(parent, 0o755)
        root = os.path.join(parent, "inst")
        p = subprocess.run([harness.prog("sluice-conf"), "-d", root, "init", "--me", "a.example.test",
                            "--ports", "smtp=2525,submission=off,smtps=off,pop3=off,pop3s=off"],
                           capture_output=True, text=True, timeout=60, env={"PATH": "/nonexistent"})
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("tcprules", p.stderr)
        self.assertEqual(os.listdir(parent), [])
        os.mkdir(root)          # an existing, empty ROOT stays
        p = subprocess.run([harness.prog("sluice-conf"), "-d", root, "init", "--me", "a.example.test",
                            "--ports", "smtp=2525,submission=off,smtps=off,pop3=off,pop3s=off"],
                           capture_output=True, text=True, timeout=60, env={"PATH": "/nonexistent"})
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(os.listdir(root), [])

    @unittest.skipUnless(IS_ROOT, "needs root to become another user")
    def test_single_uid_instance_as_non_root(self):
        parent = tempfile.mkdtemp(prefix="sluice-conf-")
        self.addCleanup(shutil.rmtree, parent, True)
        os.chmod(parent, 0o755)
        root = os.path.join(parent, "dev")
        os.mkdir(root)
        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        ip = harness.pick_ip()
        ports = ",".join("%s=%d" % (n, harness.free_port(ip)) for n in harness.PORT_NAMES)

        def as_nobody(*args, input=None):
            return subprocess.run([harness.prog("sluice-conf"), "-d", root] + list(args), input=input,
                                  capture_output=True, text=True, timeout=60, user=nobody.pw_uid,
                                  group=nobody.pw_gid, extra_groups=[])
        p = as_nobody("init", "--me", "dev.example.test", "--ports", ports, "--bind", ip)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("single-uid", p.stdout)
        self.assertEqual(as_nobody("domain", "add", "dev.test").returncode, 0)
        p = as_nobody("user", "add", "u@dev.test", input="pw\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(as_nobody("check").returncode, 0)
        for d, dirs, files in os.walk(root):
            for n in dirs + files:
                st = os.lstat(os.path.join(d, n))
                self.assertEqual(st.st_uid, nobody.pw_uid, os.path.join(d, n))
                self.assertFalse(st.st_mode & 0o6000)
        run = open(os.path.join(root, "service", "smtpd", "run")).read()
        self.assertNotIn("SLUICE_DROP", run)
        self.assertNotIn("setuidgid", open(os.path.join(root, "service", "smtpd", "log", "run")).read())
        value = cdb_get(os.path.join(root, "users", "users.cdb"), "u@dev.test").split(b"\0")
        self.assertEqual(value[3:], [str(nobody.pw_uid).encode(), str(nobody.pw_gid).encode()])


class TestDomains(ConfCase):
    def test_add_list_del(self):
        self.ok("domain", "add", "Example.TEST")
        self.ok("domain", "add", "other.test", "programs")
        self.assertEqual(self.ok("domain", "list"), "example.test\nother.test\n")
        self.assertEqual(cdb_get(self.path("control", "domains.cdb"), "example.test"), b"")
        self.assertEqual(cdb_get(self.path("control", "domains.cdb"), "other.test"), b"programs")
        self.assertTrue(os.path.isdir(self.path("mail", "example.test")))
        if IS_ROOT:
            self.assertEqual(self.owner("mail", "example.test")[0], "sluicev")
        self.ok("domain", "del", "other.test")
        self.assertEqual(self.ok("domain", "list"), "example.test\n")
        self.assertIsNone(cdb_get(self.path("control", "domains.cdb"), "other.test"))
        self.ok("check")

    def test_bad_input(self):
        self.ok("domain", "add", "example.test")
        self.inst.add_user("a@example.test", "pw")
        for args in (["add", "example.test"], ["add", "EXAMPLE.test"], ["add", "bad..test"],
                     ["add", "-bad.test"], ["add", "x" * 64 + ".test"], ["add", "a.test", "frob"],
                     ["add", "nodot"], ["add", ""], ["add", "a b.test"], ["add", "a.test\n"],
                     ["del", "missing.test"], ["del", "example.test"], ["frob", "x.test"], ["add"], []):
            self.refused("domain", *args)


class TestUsers(ConfCase):
    def setUp(self):
        super().setUp()
        self.ok("domain", "add", "example.test")

    def user(self, addr):
        v = cdb_get(self.path("users", "users.cdb"), addr)
        return v.split(b"\0") if v is not None else None

    def test_add(self):
        self.ok("user", "add", "Alice@Example.Test", input="s3cret pass\n")
        h, home, quota, uid, gid = [x.decode() for x in self.user("alice@example.test")]
        self.assertTrue(crypt_ok("s3cret pass", h))
        self.assertFalse(crypt_ok("s3cret", h))
        self.assertRegex(h, r"^\$(6|y|7|2b)\$")
        self.assertEqual(home, self.path("mail", "example.test", "alice"))
        self.assertEqual(quota, "0")
        vuid = pwd.getpwnam("sluicev").pw_uid if IS_ROOT else os.getuid()
        self.assertEqual(int(uid), vuid)
        for sub in ("", "/new", "/cur", "/tmp"):
            st = os.stat(home + "/Maildir" + sub)
            self.assertEqual(st.st_uid, vuid)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        self.assertIn("alice@example.test:" + h + ":" + home + ":0:", self.read("users", "users"))
        self.ok("check")

    def test_quota_list_passwd_del(self):
        self.ok("user", "add", "bob@example.test", "--quota", "1048576", input="one\n")
        self.ok("user", "add", "carol@example.test", input="two\r\n")
        self.ok("domain", "add", "other.test")
        self.ok("user", "add", "dave@other.test", input="three")
        self.assertEqual(self.user("bob@example.test")[2], b"1048576")
        self.assertTrue(crypt_ok("two", self.user("carol@example.test")[0].decode()))
        self.assertTrue(crypt_ok("three", self.user("dave@other.test")[0].decode()))
        self.assertEqual(self.ok("user", "list"), "bob@example.test\ncarol@example.test\ndave@other.test\n")
        self.assertEqual(self.ok("user", "list", "other.test"), "dave@other.test\n")
        old = self.user("bob@example.test")
        self.ok("user", "passwd", "bob@example.test", input="new one\n")
        new = self.user("bob@example.test")
        self.assertTrue(crypt_ok("new one", new[0].decode()))
        self.assertEqual(old[1:], new[1:])
        self.ok("user", "add", "nopw@example.test", "--nologin", "--quota", "10")
        self.assertEqual(self.user("nopw@example.test")[0:1] + self.user("nopw@example.test")[2:3], [b"!", b"10"])
        self.ok("user", "quota", "bob@example.test", "0002000")
        self.assertEqual(self.user("bob@example.test"), new[:2] + [b"2000"] + new[3:])
        self.ok("user", "del", "carol@example.test")
        self.assertIsNone(self.user("carol@example.test"))
        self.assertTrue(os.path.isdir(self.path("mail", "example.test", "carol", "Maildir")), "mail kept")
        self.ok("check")

    def test_bad_input(self):
        self.inst.add_user("a@example.test", "pw")
        self.ok("alias", "add", "info@example.test", "a")
        bad = [
            (["add", "a@example.test"], "pw\n"),            # exists
            (["add", "A@EXAMPLE.TEST"], "pw\n"),            # exists, other case
            (["add", "info@example.test"], "pw\n"),         # is an alias
            (["add", "b@nowhere.test"], "pw\n"),            # domain not local
            (["add", "b"], "pw\n"),
            (["add", "b@"], "pw\n"),
            (["add", "@example.test"], "pw\n"),
            (["add", "b/c@example.test"], "pw\n"),
            (["add", "../x@example.test"], "pw\n"),
            (["add", ".b@example.test"], "pw\n"),
            (["add", "b..c@example.test"], "pw\n"),
            (["add", '"b c"@example.test'], "pw\n"),
            (["add", "b@[127.0.0.1]"], "pw\n"),
            (["add", "b" * 65 + "@example.test"], "pw\n"),
            (["add", "b@example.test"], ""),                # no password
            (["add", "b@example.test"], "\n"),
            (["add", "b@example.test"], "x" * 5000),
            (["add", "b@example.test"], "p\0w\n"),
            (["add", "b@example.test", "--quota", "-1"], "pw\n"),
            (["add", "b@example.test", "--quota", "1k"], "pw\n"),
            (["add", "b@example.test", "--quota"], "pw\n"),
            (["add", "b@example.test", "--frob", "1"], "pw\n"),
            (["add", "b@example.test", "--nologin", "x"], None),
            (["add", "b@example.test", "--quota", "5", "--quota"], "pw\n"),
            (["del", "nobody@example.test"], None),
            (["del", "bad address"], None),
            (["passwd", "nobody@example.test"], "pw\n"),
            (["passwd", "a@example.test"], ""),
            (["passwd", "a@example.test", "extra"], "pw\n"),
            (["quota", "a@example.test"], None),
            (["quota", "a@example.test", "1k"], None),
            (["quota", "a@example.test", ""], None),
            (["quota", "nobody@example.test", "100"], None),
            (["list", "bad..domain"], None),
            (["frob"], None),
            ([], None),
        ]
        for args, stdin in bad:
            self.refused("user", *args, input=stdin)

    def test_concurrent_adds_lose_nothing(self):
        procs = []
        for i in range(12):
            r, w = os.pipe()
            os.write(w, b"pw\n")
            os.close(w)
            procs.append(subprocess.Popen([harness.prog("sluice-conf"), "-d", self.inst.root, "user", "add",
                                           "u%d@example.test" % i], stdin=r, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            os.close(r)
        for p in procs:
            self.assertEqual(p.wait(timeout=60), 0)
        self.assertEqual(len(self.ok("user", "list").split()), 12)
        self.ok("check")


class TestAliases(ConfCase):
    def setUp(self):
        super().setUp()
        self.ok("domain", "add", "example.test")
        self.inst.add_user("alice@example.test", "pw")

    def alias(self, key):
        v = cdb_get(self.path("users", "aliases.cdb"), key)
        return v.split(b"\0") if v is not None else None

    def test_add_extend_del(self):
        self.ok("alias", "add", "Info@example.test", "alice", "Bob@Remote.TEST")
        self.assertEqual(self.alias("info@example.test"), [b"alice", b"Bob@remote.test"])
        self.ok("alias", "add", "info@example.test", "carol@remote.test", "alice")
        self.assertEqual(self.alias("info@example.test"), [b"alice", b"Bob@remote.test", b"carol@remote.test"])
        self.ok("alias", "add", "@example.test", "alice")
        self.ok("alias", "add", "postmaster", "alice@example.test")
        self.assertEqual(self.alias("@example.test"), [b"alice"])
        self.assertEqual(self.alias("postmaster"), [b"alice@example.test"])
        self.assertIn("info@example.test: alice, Bob@remote.test, carol@remote.test\n", self.read("users", "aliases"))
        self.assertEqual(self.ok("alias", "list", "example.test"),
                         "info@example.test: alice, Bob@remote.test, carol@remote.test\n@example.test: alice\n")
        self.ok("alias", "del", "info@example.test", "Bob@remote.test")
        self.assertEqual(self.alias("info@example.test"), [b"alice", b"carol@remote.test"])
        self.ok("alias", "del", "info@example.test", "alice", "carol@remote.test")
        self.assertIsNone(self.alias("info@example.test"))
        self.ok("alias", "del", "@example.test")
        self.assertIsNone(self.alias("@example.test"))
        self.ok("check")

    def test_bad_input(self):
        self.ok("alias", "add", "info@example.test", "alice")
        for args in (["add", "info@example.test"], ["add", "info@example.test", "alice"],
                     ["add", "alice@example.test", "x@remote.test"],     # is a user
                     ["add", "x@nowhere.test", "alice@example.test"],
                     ["add", "@nowhere.test", "alice@example.test"],
                     ["add", "postmaster", "alice"],                     # needs a domain
                     ["add", "x@example.test", "a,b@remote.test"],
                     ["add", "x@example.test", "bad@@remote.test"],
                     ["add", "x@example.test", "<x@remote.test>"],
                     ["add", "x@example.test", '"a b"@remote.test'],
                     ["add", "x@example.test", "ok@remote.test", "bad target"],
                     ["add", "x@example.test", "x"], ["add", "info@example.test", "INFO@example.test"],
                     ["add", "x y@example.test", "alice"],
                     ["del", "missing@example.test"],
                     ["del", "info@example.test", "notthere@remote.test"],
                     ["list", "not_a_domain"], ["frob"], []):
            self.refused("alias", *args)


class TestRoutesRelay(ConfCase):
    def test_routes(self):
        self.ok("route", "add", "Remote.TEST", "MX.Remote.test:2525")
        self.ok("route", "add", ".", "smart.example.net", "tls=verify")
        self.ok("route", "add", "v6.test", "[::1]:26")
        rc = self.path("control", "routes.cdb")
        self.assertEqual(cdb_get(rc, "remote.test"), b"mx.remote.test:2525")
        self.assertEqual(cdb_get(rc, "."), b"smart.example.net\0tls=verify")
        self.assertEqual(cdb_get(rc, "v6.test"), b"[::1]:26")
        self.assertEqual(self.ok("route", "list"),
                         "remote.test mx.remote.test:2525\n. smart.example.net tls=verify\nv6.test [::1]:26\n")
        self.ok("route", "del", "remote.test")
        self.assertIsNone(cdb_get(rc, "remote.test"))
        self.ok("check")
        for args in (["add", "remote2.test"], ["add", ".", "other.test"], ["add", "x.test", "h.test:0"],
                     ["add", "x.test", "h.test:65536"], ["add", "x.test", "h.test:port"],
                     ["add", "x.test", "bad_host"], ["add", "x.test", "h.test", "tls=maybe"],
                     ["add", "bad..test", "h.test"], ["add", "x.test", "h.test", "tls=verify", "more"],
                     ["del", "missing.test"], ["del", "bad..test"], ["frob"], []):
            self.refused("route", *args)

    def test_relay(self):
        self.ok("relay", "add", "10.1.0.0/16")
        self.ok("relay", "add", "192.0.2.7")
        self.ok("relay", "add", "2001:db8::/32")
        self.assertEqual(self.ok("relay", "list"), "10.1.0.0/16\n192.0.2.7/32\n2001:db8::/32\n")
        self.ok("relay", "del", "192.0.2.7/32")
        self.assertEqual(self.read("control", "relay"), "10.1.0.0/16\n2001:db8::/32\n")
        for args in (["add", "10.1.0.0/16"], ["add", "10.1.0.0/16 "], ["add", "10.1.0.1/16"], ["add", "10.0.0.0/33"],
                     ["add", "300.0.0.0/8"], ["add", "0.0.0.0/0"], ["add", "::/0"], ["add", "example.test"], ["add", "10.0.0.0/8 x"], ["add", ""],
                     ["del", "192.0.2.7"], ["del", "junk"], ["frob"], []):
            self.refused("relay", *args)
        self.ok("check")

    def test_remoteauth(self):
        self.ok("remoteauth", "add", "smart.example.net", "me@example.test", input="secret word\n")
        self.assertEqual(self.ok("remoteauth", "list"), "smart.example.net me@example.test\n")
        self.assertEqual(self.read("control", "remoteauth"), "smart.example.net me@example.test secret word\n")
        if IS_ROOT:
            self.assertEqual(self.owner("control", "remoteauth"), ("sluicer", "sluicer", 0o600))
        self.ok("check")
        for args, stdin in ((["add", "smart.example.net", "x"], "pw\n"), (["add", "bad_host", "x"], "pw\n"),
                            (["add", "h.test", "x"], ""), (["add", "h.test", "x"], "a\tb\n"),
                            (["add", "h.test"], "pw\n"), (["del", "nothere.test"], None),
                            (["add", "h.test", "u" * 256], "pw\n"), (["add", "h.test", "x"], "p" * 256 + "\n")):
            self.refused("remoteauth", *args, input=stdin)
        self.ok("remoteauth", "del", "smart.example.net")
        self.assertEqual(self.ok("remoteauth", "list"), "")


def settings_keys():
    src = open(os.path.join(TOP, "lib", "settings.c")).read()
    return re.findall(r'^\s*\{ "([a-z0-9]+)", ST_', src, re.M)


class TestSettings(ConfCase):
    def test_empty_delimiter_means_no_extensions(self):
        self.assertEqual(self.ok("get", "recipientdelimiter"), "+\n")
        self.ok("set", "recipientdelimiter", "")
        self.assertEqual(self.read("control", "recipientdelimiter"), "")
        self.assertEqual(self.ok("get", "recipientdelimiter"), "\n")
        self.ok("unset", "recipientdelimiter")
        self.assertEqual(self.ok("get", "recipientdelimiter"), "+\n")

    def test_set_get_unset(self):
        self.assertEqual(self.ok("get", "databytes"), "26214400\n")
        self.assertEqual(self.ok("get", "me"), "mail.example.test\n")
        self.ok("unset", "resolvers")       # the harness sets a loopback one
        self.assertEqual(self.ok("get", "resolvers"), "\n")
        self.ok("set", "databytes", "1000000")
        self.assertEqual(self.read("control", "databytes"), "1000000\n")
        self.assertEqual(self.ok("get", "databytes"), "1000000\n")
        self.ok("set", "resolvers", "127.0.0.1:5353,[::1]:53")
        self.assertEqual(self.ok("get", "resolvers"), "127.0.0.1:5353,[::1]:53\n")
        self.ok("set", "me", "Other.Example.TEST")
        self.assertEqual(self.ok("get", "me"), "other.example.test\n")
        # the certificate made at init names the old host name
        self.assertIn("does not name other.example.test", self.conf("check").stderr)
        self.ok("set", "me", "mail.example.test")
        self.ok("unset", "databytes")
        self.assertFalse(os.path.exists(self.path("control", "databytes")))
        self.assertEqual(self.ok("get", "databytes"), "26214400\n")
        self.ok("check")

    def test_every_key_documented(self):
        out = self.ok("help", "settings")
        keys = settings_keys()
        self.assertIn("queuelifetime", keys)
        for k in keys:
            self.assertRegex(out, r"(?m)^%s\n    default: .*; allowed: .+\n    \S" % k)
            self.assertEqual(self.conf("get", k).returncode, 0, k)
        self.assertIn("default: 604800; allowed: 60..31536000", out)

    def test_bad_input(self):
        for args in (["set", "databyte", "1"], ["set", "databytes", "1023"], ["set", "databytes", "x"],
                     ["set", "databytes", "99999999999"], ["set", "databytes", ""], ["set", "databytes", "-5"],
                     ["set", "databytes"], ["set", "receivedauth", "2"], ["set", "me", "not a host"],
                     ["set", "resolvers", "dns.example"], ["set", "resolvers", "1.2.3.4:99999"],
                     ["set", "bouncefrom", "a b"], ["set", "recipientdelimiter", "+-+-+"],
                     ["set", "bouncefrom", "x\ny"], ["get", "nosuchkey"], ["get"], ["unset", "nosuch"],
                     ["unset", "me"], ["set", "databytes", "1000", "2000"]):
            self.refused(*args)

    def test_get_reports_bad_file(self):
        with open(self.path("control", "maxrcpt"), "w") as f:
            f.write("0\n")
        self.refused("get", "maxrcpt")


class TestCheck(ConfCase):
    def setUp(self):
        super().setUp()
        self.ok("domain", "add", "example.test")
        self.inst.add_user("alice@example.test", "pw")
        self.ok("check")

    def broken(self, fix=None):
        p = self.conf("check")
        self.assertEqual(p.returncode, 1, "check did not notice")
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        if fix:
            fix()
            self.ok("check")
        return p.stderr

    def test_stale_cdb_then_rebuild(self):
        with open(self.path("control", "domains"), "a") as f:
            f.write("# hand edit\nnew.test\n")
        self.assertIn("domains.cdb", self.broken())
        self.ok("rebuild")
        self.assertEqual(cdb_get(self.path("control", "domains.cdb"), "new.test"), b"")
        self.ok("check")

    def test_rebuild_refuses_a_bad_file_before_writing_any(self):
        with open(self.path("control", "domains"), "a") as f:
            f.write("new.test\n")
        with open(self.path("users", "aliases"), "a") as f:
            f.write("x@example.test: bad target\n")
        before = snapshot(self.inst.root)
        p = self.conf("rebuild")
        self.assertEqual(p.returncode, 1)
        self.assertIn("users/aliases line 1", p.stderr)
        self.assertEqual(before, snapshot(self.inst.root))

    def test_bad_lines(self):
        for rel, line in ((("users", "users"), "bob@example.test:x:relative:0:1:1\n"),
                          (("users", "aliases"), "x@example.test:\n"),
                          (("control", "routes"), "r.test h.test:0\n"),
                          (("control", "relay"), "10.0.0.1/8\n"),
                          (("control", "domains"), "example.test\n")):
            orig = self.read(*rel)
            with open(self.path(*rel), "a") as f:
                f.write(line)
            err = self.broken()
            self.assertIn(rel[-1], err)
            with open(self.path(*rel), "w") as f:
                f.write(orig)
            self.ok("check")

    def test_settings_and_unknown_files(self):
        with open(self.path("control", "maxrcpt"), "w") as f:
            f.write("abc\n")
        self.assertIn("maxrcpt", self.broken(lambda: os.unlink(self.path("control", "maxrcpt"))))
        with open(self.path("control", "databyte"), "w") as f:
            f.write("5\n")
        self.assertIn("unknown", self.broken(lambda: os.unlink(self.path("control", "databyte"))))
        with open(self.path("control", "routes.tmp.123"), "w") as f:
            f.write("half")
        self.assertIn("temporary", self.broken(lambda: os.unlink(self.path("control", "routes.tmp.123"))))

    def test_tls_and_mailbox(self):
        os.chmod(self.path("tls", "key.pem"), 0o644)
        self.assertIn("key.pem", self.broken(lambda: os.chmod(self.path("tls", "key.pem"), 0o600)))
        orig = open(self.path("tls", "cert.pem"), "rb").read()
        with open(self.path("tls", "cert.pem"), "w") as f:
            f.write("junk\n")
        self.assertIn("cert.pem", self.broken(lambda: open(self.path("tls", "cert.pem"), "wb").write(orig)))
        md = self.path("mail", "example.test", "alice", "Maildir", "cur")
        os.rmdir(md)
        self.assertIn("mailbox", self.broken(lambda: os.mkdir(md)))

    def test_tcp_rules_newer_than_cdb(self):
        rules = self.path("service", "smtpd", "tcp.rules")
        cdb = self.path("service", "smtpd", "tcp.cdb")
        with open(rules, "a") as f:
            f.write("192.0.2.1:deny\n")
        st = os.stat(rules)
        os.utime(cdb, ns=(st.st_atime_ns, st.st_mtime_ns - 10 ** 9))
        self.assertIn("tcp.cdb", self.broken())
        self.ok("rebuild")
        self.ok("check")

    def test_copied_instance(self):
        copy = self.inst.root + ".copy"
        shutil.copytree(self.inst.root, copy, symlinks=True)
        self.addCleanup(shutil.rmtree, copy, True)
        p = subprocess.run([harness.prog("sluice-conf"), "-d", copy, "check"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("another instance root", p.stderr)

    def test_no_instance(self):
        root = tempfile.mkdtemp(prefix="sluice-conf-")
        self.addCleanup(shutil.rmtree, root, True)
        for args in (["check"], ["domain", "list"], ["get", "me"]):
            p = subprocess.run([harness.prog("sluice-conf"), "-d", root] + args, capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(p.returncode, 1)
            self.assertIn("no sluice instance", p.stderr)
            self.assertEqual(os.listdir(root), [])


class TestRobustness(ConfCase):
    def test_readers_never_see_a_partial_file(self):
        """While users are added, every read of users.cdb is a whole cdb and
        every read of users/users ends with a complete line."""
        import threading
        self.ok("domain", "add", "example.test")
        stop = threading.Event()
        bad = []
        reads = [0]

        def reader():
            while not stop.is_set():
                p = subprocess.run(["cdb", "-s", self.path("users", "users.cdb")], capture_output=True,
                                   timeout=10)
                if p.returncode != 0:
                    bad.append(p.stderr)
                with open(self.path("users", "users"), "rb") as f:
                    text = f.read()
                if text and not text.endswith(b"\n"):
                    bad.append(text[-40:])
                reads[0] += 1
        t = threading.Thread(target=reader)
        t.start()
        try:
            for i in range(25):
                self.inst.add_user("r%d@example.test" % i, "pw")
        finally:
            stop.set()
            t.join(30)
        self.assertEqual(bad, [])
        self.assertGreater(reads[0], 10)
        self.assertEqual(len(self.ok("user", "list").split()), 25)

    def test_random_arguments(self):
        """Random bytes as arguments: exit 0 with a valid instance, or exit 1
        with one line and nothing changed; never a crash."""
        import random
        rnd = random.Random(2026)
        self.ok("domain", "add", "example.test")
        self.inst.add_user("a@example.test", "pw")
        alphabet = "abcxyz019.-_+@:[]/,;= \t\"'<>%!#$*" + "\x01\x7f\u00e9"
        commands = (["domain", "add"], ["user", "add"], ["user", "del"], ["alias", "add", "x@example.test"],
                    ["alias", "add"], ["route", "add", "r.test"], ["route", "add"], ["relay", "add"],
                    ["remoteauth", "add", "h.test"], ["set", "databytes"], ["set", "resolvers"],
                    ["set", "recipientdelimiter"], ["set", "me"], ["get"], ["alias", "del"])
        for n in range(150):
            cmd = list(rnd.choice(commands))
            word = "".join(rnd.choice(alphabet) for _ in range(rnd.choice((1, 3, 8, 20, 70, 300))))
            if rnd.random() < 0.5:
                word = "x" + word + "@example.test"
            before = snapshot(self.inst.root)
            p = self.conf(*(cmd + [word]), input="pw\n")
            self.assertIn(p.returncode, (0, 1), "%r %r: %s" % (cmd, word, p.stderr))
            if p.returncode == 1:
                self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
                self.assertEqual(before, snapshot(self.inst.root), "%r %r" % (cmd, word))
            else:
                self.ok("check")


class TestSystemd(ConfCase):
    def test_units(self):
        # a bin directory with stand-ins for the programs, so that
        # systemd-analyze finds every ExecStart executable
        bindir = tempfile.mkdtemp(prefix="sluice-conf-bin-")
        self.addCleanup(shutil.rmtree, bindir, True)
        os.chmod(bindir, 0o755)
        shutil.copy2(harness.prog("sluice-conf"), bindir)
        for prog in ("sluice-smtpd", "sluice-pop3d", "sluice-start", "sluice-anvil"):
            with open(os.path.join(bindir, prog), "w") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(os.path.join(bindir, prog), 0o755)
        root = tempfile.mkdtemp(prefix="sluice-conf-")
        self.addCleanup(shutil.rmtree, root, True)
        os.chmod(root, 0o755)
        conf = [os.path.join(bindir, "sluice-conf"), "-d", root]
        p = subprocess.run(conf + ["init", "--me", "a.example.test", "--bind", "::1", "--ports",
                                   "smtp=2525,submission=2587,smtps=off,pop3=off,pop3s=2995"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        subprocess.run(conf + ["set", "concurrencyincoming", "50"], check=True, timeout=30)
        p = subprocess.run(conf + ["systemd"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        units = os.path.join(root, "systemd")
        names = sorted(os.listdir(units))
        self.assertEqual(names, sorted(["sluice-send.service", "sluice-anvil.service",
                                        "sluice-smtpd.socket", "sluice-smtpd.service",
                                        "sluice-submission.socket", "sluice-submission.service",
                                        "sluice-pop3s.socket", "sluice-pop3s@.service"]))
        self.assertEqual(sorted(p.stdout.split()), [os.path.join(units, n) for n in names])
        sock = open(os.path.join(units, "sluice-smtpd.socket")).read()
        self.assertIn("ListenStream=[::1]:2525\nAccept=no\n", sock)
        self.assertIn('ExecStart="%s/sluice-smtpd" --pool\n' % bindir,
                      open(os.path.join(units, "sluice-smtpd.service")).read())
        sock = open(os.path.join(units, "sluice-pop3s.socket")).read()
        self.assertIn("ListenStream=[::1]:2995\nAccept=yes\nMaxConnections=50\n", sock)
        svc = open(os.path.join(units, "sluice-pop3s@.service")).read()
        self.assertIn('Environment="SLUICE_ROOT=%s"' % root, svc)
        self.assertIn('Environment="POP3D_MODE=tls"', svc)
        self.assertIn('ExecStart="%s/sluice-pop3d"' % bindir, svc)
        self.assertIn("StandardInput=socket", svc)
        self.assertIn("Restart=always", open(os.path.join(units, "sluice-send.service")).read())
        self.assertIn("ProtectSystem=full", svc)
        self.assertNotIn("NoNewPrivileges", svc)      # sluice-queue is setuid
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze not installed")
        files = [os.path.join(units, n) for n in names if not n.endswith("@.service")]
        p = subprocess.run(["systemd-analyze", "verify"] + files, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # and the check can fail: a unit pointing at a missing program
        os.unlink(os.path.join(bindir, "sluice-start"))
        p = subprocess.run(["systemd-analyze", "verify", os.path.join(units, "sluice-send.service")],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)

    @unittest.skipUnless(shutil.which("systemd-socket-activate"), "systemd-socket-activate not installed")
    def test_units_serve_under_socket_activation(self):
        """Run what the units say (ListenStream, Accept=no for the SMTP
        pool and Accept=yes for POP3, Environment, ExecStart) through
        systemd-socket-activate: the servers answer."""
        import poplib
        import smtplib
        import ssl
        self.ok("systemd")
        ctx = ssl.create_default_context(cafile=self.path("tls", "cert.pem"))
        ctx.check_hostname = False
        served = 0
        for name, port, unit in (("smtpd", "smtp", "sluice-smtpd.service"),
                                 ("pop3s", "pop3s", "sluice-pop3s@.service")):
            svc = open(self.path("systemd", unit)).read()
            m = re.search(r'(?m)^ExecStart="([^"]+)"(.*)$', svc)
            prog, extra = m.group(1), m.group(2).split()
            if not os.path.exists(prog):
                continue
            listen = re.search(r"(?m)^ListenStream=(.+)$",
                               open(self.path("systemd", "sluice-%s.socket" % name)).read()).group(1)
            self.assertEqual(listen, "%s:%d" % (self.inst.ip, self.inst.ports[port]))
            args = ["systemd-socket-activate", "-l", listen]
            if "@" in unit:
                args += ["-a", "--inetd"]
            for env in re.findall(r'(?m)^Environment="([^"]+)"$', svc):
                args += ["-E", env]
            act = subprocess.Popen(args + [prog] + extra, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
            try:
                harness.wait_port(self.inst.ip, self.inst.ports[port], 20)
                if name == "smtpd":
                    c = smtplib.SMTP(self.inst.ip, self.inst.ports[port], timeout=20)
                    self.assertEqual(c.ehlo("client.test")[0], 250)
                    c.quit()
                else:
                    c = poplib.POP3_SSL(self.inst.ip, self.inst.ports[port], timeout=20, context=ctx)
                    self.assertTrue(c.getwelcome().startswith(b"+OK"))
                    c.quit()
                served += 1
            finally:
                act.terminate()
                act.wait(timeout=10)
        if os.path.exists(harness.prog("sluice-smtpd")) and os.path.exists(harness.prog("sluice-pop3d")):
            self.assertEqual(served, 2)

    def test_other_dir_and_bad_input(self):
        d = tempfile.mkdtemp(prefix="sluice-units-")
        self.addCleanup(shutil.rmtree, d, True)
        out = self.ok("systemd", "--dir", d)
        self.assertIn(os.path.join(d, "sluice-send.service"), out)
        self.refused("systemd", "--frob")
        self.refused("systemd", "--dir")


class TestSupervision(ConfCase):
    def servers_answer(self):
        """The servers that have landed answer on every port, TLS with the
        certificate init made, and run as sluiced once connected."""
        import poplib
        import smtplib
        import ssl
        ctx = ssl.create_default_context(cafile=self.path("tls", "cert.pem"))
        ctx.check_hostname = False      # the test connects by IP
        ip, ports = self.inst.ip, self.inst.ports
        if os.path.exists(harness.prog("sluice-smtpd")):
            s = smtplib.SMTP(ip, ports["smtp"], timeout=20)
            self.assertEqual(s.ehlo("client.test")[0], 250)
            if IS_ROOT:         # the workers of this instance's pool master
                st = subprocess.run(["svstat", self.path("service", "smtpd")], capture_output=True,
                                    text=True, timeout=10).stdout
                master = re.search(r"\(pid (\d+)\)", st).group(1)
                ps = subprocess.run(["ps", "--ppid", master, "-o", "user=,comm="], capture_output=True,
                                    text=True, timeout=10).stdout.split()
                self.assertTrue(ps)
                self.assertEqual(set(zip(ps[0::2], ps[1::2])), {("sluiced", "sluice-smtpd")})
            s.quit()
            s = smtplib.SMTP(ip, ports["submission"], timeout=20)
            s.starttls(context=ctx)
            self.assertEqual(s.ehlo("client.test")[0], 250)
            s.quit()
            s = smtplib.SMTP_SSL(ip, ports["smtps"], timeout=20, context=ctx)
            self.assertEqual(s.ehlo("client.test")[0], 250)
            s.quit()
        if os.path.exists(harness.prog("sluice-pop3d")):
            p = poplib.POP3(ip, ports["pop3"], timeout=20)
            self.assertTrue(p.getwelcome().startswith(b"+OK"))
            p.quit()
            p = poplib.POP3_SSL(ip, ports["pop3s"], timeout=20, context=ctx)
            self.assertTrue(p.getwelcome().startswith(b"+OK"))
            p.quit()

    def test_services_start_under_svscan(self):
        self.inst.start()            # waits for every listening port
        services = self.inst.services()

        def all_up():
            for s in services:
                for d in (s, os.path.join(s, "log")):
                    p = subprocess.run(["svstat", d], capture_output=True, text=True, timeout=10)
                    if ": up " not in p.stdout:
                        return False
            return True
        harness.wait_for(all_up, 20, what="every service and log up")
        harness.wait_for(lambda: os.path.exists(self.path("log", "send", "current")), 20,
                         what="multilog of send")
        if IS_ROOT:
            self.assertEqual(self.owner("log", "send", "current")[0], "sluicel")
        ps = subprocess.run(["ps", "-eo", "user:20,args"], capture_output=True, text=True, timeout=10).stdout
        port = str(self.inst.ports["smtp"])
        self.assertTrue(any(l.startswith("root ") and "sluice-smtpd --pool" in l and port in l
                            for l in ps.splitlines()) or not IS_ROOT, "no pool master on " + port)
        port = str(self.inst.ports["pop3"])
        self.assertTrue(any("tcpserver" in l and port in l for l in ps.splitlines()), "no tcpserver on " + port)
        if IS_ROOT:
            self.assertTrue(any(l.startswith("sluicel ") and "multilog" in l and self.inst.root in l
                                for l in ps.splitlines()), "multilog not running as sluicel")
        self.servers_answer()
        self.inst.stop()

        def refused(port):
            import socket
            try:
                socket.create_connection((self.inst.ip, port), timeout=2).close()
                return False
            except ConnectionRefusedError:
                return True
        for port in self.inst.ports.values():
            harness.wait_for(lambda: refused(port), 15, what="nothing listening on %d after stop" % port)


class TestIPv6(unittest.TestCase):
    def test_listeners_on_ipv6_loopback(self):
        if not harness.can_bind("::1", 0):
            self.skipTest("no IPv6 loopback")
        inst = harness.Instance(extra_init=("--bind", "::1"))    # the last --bind wins
        self.addCleanup(inst.cleanup)
        self.assertIn("smtpd ::1 %d\n" % inst.ports["smtp"], open(inst.path("control", "listen")).read())
        inst.start(wait=())
        for port in inst.ports.values():
            harness.wait_port("::1", port, 20)
        if os.path.exists(harness.prog("sluice-smtpd")):
            import smtplib
            c = smtplib.SMTP("::1", inst.ports["smtp"], timeout=20)
            self.assertEqual(c.ehlo("client.test")[0], 250)
            c.quit()


if __name__ == "__main__":
    unittest.main()
