"""sluice-pop3d with real mail clients downloading and deleting (mpop over
STLS, fetchmail with an MDA), and with a checkpassword program instead of
users.cdb (the qmail-popup interface)."""
import os
import poplib
import pwd
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pop3util import IS_ROOT, MiniRoot, Pop3Server, mailbox_ids, to_crlf  # noqa: E402

USER = "client@example.test"
PASS = "client pass"


def messages(n):
    return [b"From: s%d@example.test\nSubject: client test %d\n\nline\n.dot line %d\n" % (i, i, i)
            for i in range(n)]


class Clients(unittest.TestCase):
    def setUp(self):
        self.r = MiniRoot()
        self.r.set("authfaildelay", 0)
        self.r.add_user(USER, PASS)
        self.msgs = messages(5)
        for m in self.msgs:
            self.r.deliver(USER, m)
        self.srv = Pop3Server(self.r.root)
        self.tmp = tempfile.mkdtemp(prefix="sluice-pop3-client-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def tearDown(self):
        try:
            self.srv.stop()       # fails on a sanitizer report
        finally:
            self.r.cleanup()

    def test_mpop_stls_download_and_delete(self):
        out = os.path.join(self.tmp, "out")
        for d in ("", "new", "cur", "tmp"):
            os.mkdir(os.path.join(out, d))
        conf = os.path.join(self.tmp, "mpoprc")
        with open(conf, "w") as f:
            f.write("account test\nhost %s\nport %d\nuser %s\npassword %s\n"
                    "auth user\ntls on\ntls_starttls on\ntls_certcheck off\n"
                    "delivery maildir %s\nkeep off\nuidls_file %s\ntimeout 20\n"
                    % (self.srv.ip, self.srv.port, USER, PASS, out, os.path.join(self.tmp, "uidls")))
        os.chmod(conf, 0o600)
        p = subprocess.run(["mpop", "-C", conf, "test"], capture_output=True, timeout=60,
                           env=dict(os.environ, HOME=self.tmp))
        self.assertEqual(p.returncode, 0, p.stderr)
        got = []
        for name in os.listdir(os.path.join(out, "new")):
            with open(os.path.join(out, "new", name), "rb") as f:
                got.append(f.read())
        self.assertEqual(len(got), 5)
        # mpop prepends Received:/Return-Path; the message itself follows intact
        for m in self.msgs:
            self.assertTrue(any(g.endswith(m) for g in got), m)
        files = self.r.files(USER)
        self.assertEqual(files["new"] + files["cur"], [])
        self.assertIn("stls ", self.srv.log())

    def test_fetchmail_mda(self):
        outdir = os.path.join(self.tmp, "fm")
        os.mkdir(outdir)
        mda = os.path.join(self.tmp, "mda.sh")
        with open(mda, "w") as f:
            f.write('#!/bin/sh\ncat > "%s/msg.$$"\n' % outdir)
        os.chmod(mda, 0o755)
        rc = os.path.join(self.tmp, "fetchmailrc")
        with open(rc, "w") as f:
            f.write('poll %s service %d protocol pop3 auth password timeout 20\n'
                    '  user "%s" password "%s"\n'
                    '  nokeep fetchall sslproto "" mda "%s"\n' % (self.srv.ip, self.srv.port, USER, PASS, mda))
        os.chmod(rc, 0o600)
        p = subprocess.run(["fetchmail", "-f", rc, "--idfile", os.path.join(self.tmp, "ids"),
                            "--pidfile", os.path.join(self.tmp, "pid"), "--nosyslog", "-v"],
                           capture_output=True, timeout=90, env=dict(os.environ, HOME=self.tmp))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        got = []
        for name in os.listdir(outdir):
            with open(os.path.join(outdir, name), "rb") as f:
                got.append(f.read())
        self.assertEqual(len(got), 5)
        for m in self.msgs:
            self.assertTrue(any(g.endswith(m) for g in got), m)
        files = self.r.files(USER)
        self.assertEqual(files["new"] + files["cur"], [])


CHECKPW = r'''#!/usr/bin/python3
import os, sys
data = b""
while len(data) < 600:
    d = os.read(3, 600)
    if not d:
        break
    data += d
f = data.split(b"\0")
if len(f) < 3 or f[0] != b"cpuser" or f[1] != b"cp-secret":
    sys.exit(1)
home = %(home)r
os.environ["HOME"] = home
os.chdir(home)
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(%(gid)d)
    os.setuid(%(uid)d)
os.execvp(sys.argv[1], sys.argv[1:])
'''


class CheckPassword(unittest.TestCase):
    def setUp(self):
        self.r = MiniRoot()
        self.r.set("authfaildelay", 0)
        md = self.r.add_user("cpuser@example.test", "not used")
        self.home = os.path.dirname(md)
        uid, gid = mailbox_ids()
        self.prog = self.r.path("checkpw.py")
        with open(self.prog, "w") as f:
            f.write(CHECKPW % {"home": self.home, "uid": uid, "gid": gid})
        os.chmod(self.prog, 0o755)
        self.r.deliver("cpuser@example.test", b"Subject: cp\n\nvia checkpassword\n")
        self.srv = Pop3Server(self.r.root, args=[self.prog])

    def tearDown(self):
        try:
            self.srv.stop()       # fails on a sanitizer report
        finally:
            self.r.cleanup()

    def test_login_through_checkpassword(self):
        p = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
        p.user("cpuser")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("wrong")
        self.assertIn(b"[AUTH]", e.exception.args[0])
        p.user("cpuser")
        p.pass_("cp-secret")
        resp, lines, _ = p.retr(1)
        self.assertEqual(b"\r\n".join(lines) + b"\r\n", to_crlf(b"Subject: cp\n\nvia checkpassword\n"))
        p.dele(1)
        p.quit()
        self.assertEqual(self.r.files("cpuser@example.test")["cur"], [])
        log = self.srv.wait_log("login cpuser")
        self.assertIn("rejected by checkpassword", log)

    def test_users_cdb_not_consulted(self):
        p = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
        p.user("cpuser@example.test")
        with self.assertRaises(poplib.error_proto):
            p.pass_("not used")
        p.quit()

    @unittest.skipUnless(IS_ROOT, "uid check needs root")
    def test_root_from_checkpassword_refused(self):
        with open(self.prog, "w") as f:
            f.write(CHECKPW % {"home": self.home, "uid": 0, "gid": 0})
        p = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
        p.user("cpuser")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("cp-secret")
        self.assertIn(b"[SYS/TEMP]", e.exception.args[0])
        p.quit()
        self.assertIn("checkpassword failed", self.srv.log())


if __name__ == "__main__":
    unittest.main()
