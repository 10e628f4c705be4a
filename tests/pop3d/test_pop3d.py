"""sluice-pop3d end to end with python poplib: RFC 1939 commands, sizes,
Maildir semantics (new -> cur, snapshot, UIDL, DELE only at QUIT, a
dropped connection deletes nothing), the [IN-USE] lock, pipelining."""
import grp
import os
import poplib
import pwd
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pop3util import IS_ROOT, MiniRoot, Pop3Server, Raw, mailbox_ids, session_pids, to_crlf  # noqa: E402

USER = "alice@example.test"
PASS = "s3cret pass"


def msg(n, body=b"body\n"):
    return b"Subject: message %d\nFrom: x@example.test\n\n" % n + body


class Base(unittest.TestCase):
    def setUp(self):
        self.r = MiniRoot()
        self.r.set("authfaildelay", 0)
        self.r.add_user(USER, PASS)
        self.srv = Pop3Server(self.r.root)

    def tearDown(self):
        try:
            self.srv.stop()       # fails on a sanitizer report
        finally:
            self.r.cleanup()

    def login(self, user=USER, password=PASS):
        p = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
        p.user(user)
        p.pass_(password)
        return p


class TestSession(Base):
    def test_retrieve_and_delete(self):
        bodies = [msg(1), msg(2, b".starts with a dot\n..two\nlast\n"), msg(3)]
        for b in bodies:
            self.r.deliver(USER, b)
        p = self.login()
        self.assertEqual(p.stat(), (3, sum(len(to_crlf(b)) for b in bodies)))
        resp, lines, _ = p.list()
        self.assertEqual(lines, [b"%d %d" % (i + 1, len(to_crlf(b))) for i, b in enumerate(bodies)])
        for i, b in enumerate(bodies):
            resp, lines, octets = p.retr(i + 1)
            self.assertEqual(b"\r\n".join(lines) + b"\r\n", to_crlf(b))
            self.assertTrue(resp.startswith(b"+OK %d" % len(to_crlf(b))))
        # first sight moved everything from new/ to cur/ with ":2,"
        f = self.r.files(USER)
        self.assertEqual(f["new"], [])
        self.assertEqual(len(f["cur"]), 3)
        self.assertTrue(all(n.endswith(":2,") for n in f["cur"]))
        p.dele(2)
        with self.assertRaises(poplib.error_proto):
            p.retr(2)
        self.assertEqual(p.stat()[0], 2)
        p.quit()
        f = self.r.files(USER)
        self.assertEqual(len(f["cur"]), 2)
        self.assertIn("logout %s" % USER, self.srv.wait_log("logout"))

    def test_top(self):
        self.r.deliver(USER, b"A: 1\nB: 2\n\nl1\n.l2\nl3\n")
        p = self.login()
        self.assertEqual(p.top(1, 0)[1], [b"A: 1", b"B: 2", b""])
        self.assertEqual(p.top(1, 2)[1], [b"A: 1", b"B: 2", b"", b"l1", b".l2"])
        self.assertEqual(p.top(1, 99)[1], [b"A: 1", b"B: 2", b"", b"l1", b".l2", b"l3"])
        p.quit()

    def test_sizes_without_w(self):
        """Sizes computed from the file when the name has no W=; CRLF
        files, a missing final newline and an empty message."""
        bodies = [b"a\nb\n", b"crlf\r\nalready\r\n", b"no final newline", b"", b"x\r"]
        for b in bodies:
            self.r.deliver(USER, b, wsize=False)
        p = self.login()
        resp, lines, _ = p.list()
        sizes = [int(l.split()[1]) for l in lines]
        for i, b in enumerate(bodies):
            resp, got, _ = p.retr(i + 1)
            data = b"\r\n".join(got) + b"\r\n" if got else b""
            self.assertEqual(data, to_crlf(b), repr(b))
            self.assertEqual(sizes[i], len(data), repr(b))
        p.quit()

    def test_uidl_stable(self):
        n1 = self.r.deliver(USER, msg(1))
        self.r.deliver(USER, msg(2), where="cur")
        p = self.login()
        first = p.uidl()[1]
        p.quit()
        self.assertEqual(first[0], b"1 " + n1.encode())     # the unique name itself
        p = self.login()
        self.assertEqual(p.uidl()[1], first)
        self.assertEqual(p.uidl(2), b"+OK " + first[1])
        p.quit()
        for line in first:
            uid = line.split()[1]
            self.assertTrue(0 < len(uid) <= 70 and all(0x21 <= c <= 0x7e for c in uid))

    def test_uidl_of_long_and_odd_names(self):
        long_name = "1700000001.M1P1Q1R" + "a" * 80 + ".host"          # base > 70 bytes
        self.r.deliver(USER, msg(1), name=long_name)
        self.r.deliver(USER, msg(2), name="1700000002.M2P2.host,S=60,W=64")
        over70 = "1700000003.M123456P12345Q1R0123456789abcdef.mail.example.test,S=1234,W=1270"
        self.r.deliver(USER, msg(3), name=over70)
        p = self.login()
        uids = [l.split()[1] for l in p.uidl()[1]]
        p.quit()
        self.assertEqual(len(uids[0]), 64)                 # hex SHA-256
        self.assertTrue(all(c in b"0123456789abcdef" for c in uids[0]))
        self.assertEqual(uids[1], b"1700000002.M2P2.host,S=60,W=64")
        self.assertEqual(uids[2], over70.split(",")[0].encode())   # too long: base
        p = self.login()
        self.assertEqual([l.split()[1] for l in p.uidl()[1]], uids)
        p.quit()

    def test_dropped_connection_deletes_nothing(self):
        for i in range(3):
            self.r.deliver(USER, msg(i))
        p = self.login()
        p.dele(1)
        p.dele(2)
        p.close()           # no QUIT
        self.srv.wait_log("dropped")
        self.assertEqual(len(self.r.files(USER)["cur"]), 3)

    def test_rset(self):
        for i in range(2):
            self.r.deliver(USER, msg(i))
        p = self.login()
        p.dele(1)
        self.assertEqual(p.stat()[0], 1)
        p.rset()
        self.assertEqual(p.stat()[0], 2)
        p.quit()
        self.assertEqual(len(self.r.files(USER)["cur"]), 2)

    def test_snapshot(self):
        self.r.deliver(USER, msg(1))
        p = self.login()
        self.r.deliver(USER, msg(2))   # arrives during the session
        self.assertEqual(p.stat()[0], 1)
        p.dele(1)
        p.quit()
        f = self.r.files(USER)
        self.assertEqual(len(f["new"]), 1)
        self.assertEqual(f["cur"], [])
        p = self.login()
        self.assertEqual(p.stat()[0], 1)
        p.quit()

    def test_in_use(self):
        self.r.deliver(USER, msg(1))
        p1 = self.login()
        p2 = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
        p2.user(USER)
        with self.assertRaises(poplib.error_proto) as e:
            p2.pass_(PASS)
        self.assertIn(b"[IN-USE]", e.exception.args[0])
        # still in AUTHORIZATION: a retry after the other session ends works
        p1.quit()
        p2.user(USER)
        p2.pass_(PASS)
        self.assertEqual(p2.stat()[0], 1)
        p2.quit()

    def test_reconnect_right_after_quit(self):
        self.r.deliver(USER, msg(1))
        for _ in range(20):
            p = self.login()        # never [IN-USE] from the session just ended
            p.stat()
            p.quit()

    def test_crashed_session_leaves_no_lock(self):
        self.r.deliver(USER, msg(1))
        p1 = self.login()
        p1.noop()
        # this server's session: P under tcpserver, A and B under P (the
        # port probe's session may still be on its way out)
        deadline = time.time() + 10
        while True:
            procs = session_pids(self.srv.proc.pid)
            top = [pid for pid, (pp, _) in procs.items() if pp == self.srv.proc.pid]
            if len(top) <= 1 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(len(top), 1, procs)
        kids = [pid for pid, (pp, _) in procs.items() if pp == top[0]]
        self.assertEqual(len(kids), 2, procs)
        for k in kids:
            try:
                os.kill(k, signal.SIGKILL)
            except ProcessLookupError:
                pass                # ended with its partner
        p2 = self.login()
        self.assertEqual(p2.stat()[0], 1)
        p2.quit()

    def test_vanished_message(self):
        self.r.deliver(USER, msg(1))
        self.r.deliver(USER, msg(2))
        p = self.login()
        cur = os.path.join(self.r.maildir(USER), "cur")
        for name in os.listdir(cur):            # another reader takes message 1
            with open(os.path.join(cur, name), "rb") as f:
                if f.read().startswith(b"Subject: message 1\n"):
                    os.unlink(os.path.join(cur, name))
        with self.assertRaises(poplib.error_proto) as e:
            p.retr(1)
        self.assertIn(b"removed", e.exception.args[0])
        self.assertEqual(p.retr(2)[1][0], b"Subject: message 2")
        p.dele(1)
        self.assertTrue(p.quit().startswith(b"+OK"))

    def test_capa_after_login(self):
        p = self.login()
        caps = p.capa()
        for c in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"):
            self.assertIn(c, caps)
        self.assertNotIn("USER", caps)
        self.assertNotIn("STLS", caps)
        p.quit()

    def test_pipelining(self):
        for i in range(3):
            self.r.deliver(USER, msg(i))
        c = Raw(self.srv.ip, self.srv.port)
        self.assertTrue(c.line().startswith(b"+OK"))
        c.send(("USER %s\r\nPASS %s\r\nSTAT\r\nLIST\r\nRETR 1\r\nUIDL 3\r\nQUIT\r\n" % (USER, PASS)).encode())
        self.assertTrue(c.line().startswith(b"+OK"))
        self.assertTrue(c.line().startswith(b"+OK mailbox"))
        self.assertTrue(c.line().startswith(b"+OK 3 "))
        self.assertTrue(c.line().startswith(b"+OK"))
        self.assertEqual(len(c.multi()), 3)
        self.assertTrue(c.line().startswith(b"+OK"))
        self.assertEqual(b"\r\n".join(c.multi()) + b"\r\n", to_crlf(msg(0)))
        self.assertTrue(c.line().startswith(b"+OK 3 "))
        self.assertTrue(c.line().startswith(b"+OK"))
        self.assertTrue(c.closed())
        c.close()

    def half_closed_session(self, cmds):
        c = Raw(self.srv.ip, self.srv.port)
        c.send(("USER %s\r\nPASS %s\r\n%s" % (USER, PASS, cmds)).encode())
        c.s.shutdown(socket.SHUT_WR)        # like `printf ... | nc`
        self.assertTrue(c.closed())
        c.close()
        return c.buf

    def test_half_close_answers_everything(self):
        self.r.deliver(USER, msg(1))
        out = self.half_closed_session("LIST\r\nDELE 1\r\nQUIT\r\n")
        self.assertIn(b"+OK listing follows\r\n1 ", out)
        self.assertIn(b"+OK bye", out)
        self.assertEqual(self.r.files(USER)["cur"], [])

    def test_half_close_without_quit_deletes_nothing(self):
        self.r.deliver(USER, msg(1))
        out = self.half_closed_session("RETR 1\r\nDELE 1\r\n")
        self.assertIn(b"Subject: message 1", out)
        self.assertIn(b"+OK message marked", out)
        self.srv.wait_log("dropped")
        self.assertEqual(len(self.r.files(USER)["cur"]), 1)

    def test_heavy_pipelining_does_not_wedge(self):
        """Lots of commands in flight while the answers pile up: the
        relay between the front and the mailbox process must keep both
        directions moving."""
        import threading
        self.r.deliver(USER, msg(1, b"x" * 3000 + b"\n"))
        c = Raw(self.srv.ip, self.srv.port, timeout=30)
        c.line()
        c.cmd("USER " + USER)
        c.cmd("PASS " + PASS)
        n = 20000
        t = threading.Thread(target=c.send, args=(b"TOP 1 1\r\nNOOP\r\n" * n,))
        t.start()
        got = 0
        deadline = time.time() + 60
        while got < 2 * n and time.time() < deadline:
            d = c.s.recv(1 << 20)
            if not d:
                break
            got += d.count(b"+OK")
        t.join(30)
        self.assertEqual(got, 2 * n)
        self.assertTrue(c.cmd("QUIT").startswith(b"+OK") if not c.buf else True)
        c.close()

    def test_big_message_streams(self):
        body = b"".join(b"line %07d %s\n" % (i, b"x" * 60) for i in range(120000))
        big = b"Subject: big\n\n" + body
        self.r.deliver(USER, big)
        p = self.login()
        resp, lines, _ = p.retr(1)
        self.assertEqual(b"\r\n".join(lines) + b"\r\n", to_crlf(big))
        p.quit()

    @unittest.skipUnless(IS_ROOT, "privilege separation needs root")
    def test_privileges(self):
        import pwd
        self.r.deliver(USER, msg(1))
        p = self.login()
        p.noop()
        # the previous test's session may still be on its way out
        deadline = time.time() + 10
        while True:
            procs = session_pids(self.srv.proc.pid)
            top = [pid for pid, (pp, _) in procs.items() if pp == self.srv.proc.pid]
            if len(top) <= 1 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(len(top), 1)
        self.assertEqual(procs[top[0]][1], 0)          # P: root, no network
        kids = {pid: uid for pid, (pp, uid) in procs.items() if pp == top[0]}
        uids = sorted(kids.values())
        self.assertEqual(uids, sorted([pwd.getpwnam("sluiced").pw_uid, pwd.getpwnam("sluicev").pw_uid]))
        for pid, uid in kids.items():
            with open("/proc/%d/status" % pid) as f:
                self.assertIn("Seccomp:\t2", f.read())      # A and B both
            if uid == pwd.getpwnam("sluicev").pw_uid:
                # B is chrooted into the Maildir, under a seccomp filter
                self.assertEqual(os.path.realpath("/proc/%d/root" % pid),
                                 os.path.realpath(self.r.maildir(USER)))
                with open("/proc/%d/status" % pid) as f:
                    st = f.read()
                self.assertIn("Seccomp:\t2", st)
                self.assertIn("NoNewPrivs:\t1", st)
        # P does not hold the client connection: only A does
        fd0 = os.readlink("/proc/%d/fd/0" % top[0])
        self.assertEqual(fd0, "/dev/null")
        p.quit()


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)


def can_open_as(path, uid, gid, groups):
    """Whether a process with exactly these credentials can open path."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
            with open(path, "rb") as f:
                f.read(1)
            os._exit(0)
        except PermissionError:
            os._exit(1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise AssertionError("probe failed: %d" % code)
    return code == 0


class TestFrontCannotReadPasswords(Base):
    """The process that parses the network (A) has no way to read
    users.cdb: not by its credentials (sluiced without the sluice group)
    and not by any system call (no open at all under its filter)."""

    def session_child(self, user):
        """The one process of this server's session running as user (the
        previous session may still be on its way out)."""
        uid = pwd.getpwnam(user).pw_uid
        deadline = time.time() + 10
        while True:
            procs = session_pids(self.srv.proc.pid)
            top = [pid for pid, (pp, _) in procs.items() if pp == self.srv.proc.pid]
            found = [pid for pid, (pp, u) in procs.items() if pp in top and u == uid]
            if len(found) == 1 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(len(found), 1)
        return found[0]

    @unittest.skipUnless(IS_ROOT, "privilege separation needs root")
    def test_front_credentials_and_filter(self):
        self.r.deliver(USER, msg(1))
        cdb = self.r.path("users", "users.cdb")
        sluice_gid = grp.getgrnam("sluice").gr_gid
        pw = pwd.getpwnam("sluiced")
        for logged_in in (False, True):
            p = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
            p.capa()
            if logged_in:
                p.user(USER)
                p.pass_(PASS)
                p.stat()
            st = proc_status(self.session_child("sluiced"))
            uids = [int(x) for x in st["Uid"].split()]
            gids = [int(x) for x in st["Gid"].split()]
            groups = [int(x) for x in st["Groups"].split()]
            self.assertEqual(set(uids), {pw.pw_uid})
            self.assertEqual(set(gids), {pw.pw_gid})
            self.assertNotIn(sluice_gid, groups)
            self.assertLessEqual(set(groups), {pw.pw_gid})
            self.assertEqual(st["Seccomp"].strip(), "2")
            self.assertEqual(st["Seccomp_filters"].strip(), "1")
            self.assertEqual(st["NoNewPrivs"].strip(), "1")
            # those credentials cannot open users.cdb ...
            self.assertFalse(can_open_as(cdb, uids[0], gids[0], groups))
            p.quit()
        # ... while sluiced with its groups (what A had before) could
        self.assertIn("sluiced", grp.getgrgid(sluice_gid).gr_mem)
        self.assertTrue(can_open_as(cdb, pw.pw_uid, pw.pw_gid,
                                    os.getgrouplist("sluiced", pw.pw_gid)))

    @unittest.skipUnless(IS_ROOT, "privilege separation needs root")
    def test_mailbox_process_has_no_sluice_group(self):
        p = self.login()
        p.stat()
        st = proc_status(self.session_child("sluicev"))
        self.assertNotIn(grp.getgrnam("sluice").gr_gid,
                         [int(x) for x in st["Groups"].split()])
        self.assertEqual(st["Seccomp"].strip(), "2")
        p.quit()


class TestAuth(Base):
    def test_wrong_password_and_logging(self):
        p = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
        p.user(USER)
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("wrong")
        self.assertIn(b"[AUTH]", e.exception.args[0])
        p.user("nobody@example.test")
        with self.assertRaises(poplib.error_proto):
            p.pass_("x")
        p.user(USER.upper())        # addresses are looked up in lower case
        p.pass_(PASS)
        ip = p.sock.getsockname()[0]
        p.quit()
        log = self.srv.wait_log("login ")
        self.assertIn("auth failed ip=%s user=%s wrong password" % (ip, USER), log)
        self.assertIn("auth failed ip=%s user=nobody@example.test unknown user" % ip, log)
        self.assertIn("login %s %s" % (USER, ip), log)
        self.assertNotIn("wrong\n", log)     # passwords are never logged

    def test_failure_limit_and_delay(self):
        self.srv.stop()
        self.r.set("authfaildelay", 1)
        self.r.set("maxauthfailures", 2)
        self.srv = Pop3Server(self.r.root)
        c = Raw(self.srv.ip, self.srv.port)
        c.line()
        c.cmd("USER " + USER)
        t = time.time()
        self.assertTrue(c.cmd("PASS bad").startswith(b"-ERR [AUTH]"))
        self.assertGreaterEqual(time.time() - t, 0.9)
        c.cmd("USER " + USER)
        self.assertTrue(c.cmd("PASS bad").startswith(b"-ERR [AUTH]"))
        self.assertTrue(c.closed())
        c.close()

    def test_auth_plain(self):
        import base64
        tok = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASS.encode()).decode()
        c = Raw(self.srv.ip, self.srv.port)
        c.line()
        self.assertEqual(c.cmd("AUTH"), b"+OK mechanisms follow")
        self.assertEqual(c.multi(), [b"PLAIN"])
        self.assertTrue(c.cmd("AUTH CRAM-MD5").startswith(b"-ERR"))
        self.assertTrue(c.cmd("AUTH PLAIN !!!!").startswith(b"-ERR"))
        self.assertEqual(c.cmd("AUTH PLAIN"), b"+ ")
        self.assertTrue(c.cmd("*").startswith(b"-ERR"))
        bad = base64.b64encode(b"bob@example.test\0" + USER.encode() + b"\0" + PASS.encode()).decode()
        self.assertTrue(c.cmd("AUTH PLAIN " + bad).startswith(b"-ERR"))
        self.assertEqual(c.cmd("AUTH PLAIN"), b"+ ")
        self.assertTrue(c.cmd(tok).startswith(b"+OK mailbox"))
        self.assertTrue(c.cmd("QUIT").startswith(b"+OK"))
        c.close()
        c = Raw(self.srv.ip, self.srv.port)
        c.line()
        self.assertTrue(c.cmd("AUTH PLAIN " + tok).startswith(b"+OK mailbox"))
        c.cmd("QUIT")
        c.close()

    def test_missing_maildir_is_made(self):
        import shutil
        md = self.r.add_user("new@example.test", "pw")
        shutil.rmtree(md)
        p = self.login("new@example.test", "pw")
        self.assertEqual(p.stat(), (0, 0))
        p.quit()
        for sub in ("cur", "new", "tmp"):
            st = os.stat(os.path.join(md, sub))
            self.assertEqual((st.st_uid, st.st_gid), mailbox_ids())

    def test_auth_continuation_too_long(self):
        c = Raw(self.srv.ip, self.srv.port)
        c.line()
        self.assertEqual(c.cmd("AUTH PLAIN"), b"+ ")
        self.assertEqual(c.cmd("A" * 5000), b"-ERR line too long")
        self.assertTrue(c.cmd("CAPA").startswith(b"+OK"))
        c.close()

    def test_disabled_login(self):
        self.r.add_user("locked@example.test", "pw", login=False)
        p = poplib.POP3(self.srv.ip, self.srv.port, timeout=15)
        p.user("locked@example.test")
        with self.assertRaises(poplib.error_proto):
            p.pass_("!")
        p.quit()


if __name__ == "__main__":
    unittest.main()
