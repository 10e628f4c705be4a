"""sluice-local: delivery to virtual users, extensions, catch-alls,
aliases (local and remote targets), postmaster, per-user files (forwards,
Maildirs, programs), quotas, loops, a full disk, and the spawner mode.

Runs bin/sluice-local directly (one-shot and over a SOCK_SEQPACKET
socketpair) against an instance built by localinst.py; Maildirs are read
back with Python's mailbox module; forwards are captured with a
QMAILQUEUE program.
"""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import localinst

MSG = "Received: from x by y\nFrom: a@remote.test\nTo: b@example.test\nSubject: hello\n\nline one\nline two\n"
SENDER = "sender@remote.test"

CAPTURE = """#!/bin/sh
# fake qmail-queue: message from fd 0, envelope from fd 1
n=$$
cat > "%(dir)s/msg.$n" || exit 54
cat 0<&1 > "%(dir)s/env.$n" || exit 54
exit %(code)d
"""


class Base(unittest.TestCase):
    PROGRAMS = False     # example.test lets delivery files pipe to programs

    def setUp(self):
        self.inst = localinst.LocalInstance()
        self.inst.add_domain("example.test", programs=self.PROGRAMS)
        self.alice = self.inst.add_user("alice@example.test")
        self.inst.add_user("bob@example.test")
        self.inst.write()

    def tearDown(self):
        self.inst.cleanup()

    def capture(self, code=0):
        """A QMAILQUEUE program that records what it is given."""
        d = tempfile.mkdtemp(dir=self.inst.tmp)
        os.chmod(d, 0o777)
        path = os.path.join(d, "qq")
        with open(path, "w") as f:
            f.write(CAPTURE % {"dir": d, "code": code})
        os.chmod(path, 0o755)
        return d, {"QMAILQUEUE": path}

    def captured(self, d):
        """[(message bytes, envelope bytes)] injected into the capture dir."""
        out = []
        for n in sorted(os.listdir(d)):
            if n.startswith("msg."):
                with open(os.path.join(d, n), "rb") as m, open(os.path.join(d, "env." + n[4:]), "rb") as e:
                    out.append((m.read(), e.read()))
        return out

    def one(self, address, folder=None):
        md = self.inst.inbox(address) if folder is None else self.inst.maildir(folder)
        keys = md.keys()
        self.assertEqual(len(keys), 1, "one message in %s" % address)
        return md.get_bytes(keys[0])

    def ok(self, rcpt, msg=MSG, **kw):
        rc, res, err = self.inst.deliver(rcpt, msg, **kw)
        self.assertEqual(rc, 0, (res, err))
        self.assertTrue(res.startswith("K2.0.0"), res)
        return res


class VirtualUsers(Base):
    def test_delivery_headers_and_maildir_name(self):
        res = self.ok("alice@example.test")
        data = self.one("alice@example.test")
        self.assertEqual(data, ("Return-Path: <%s>\nDelivered-To: alice@example.test\n" % SENDER).encode()
                         + MSG.encode())
        names = self.inst.new_names(os.path.join(self.alice, "Maildir"))
        self.assertEqual(len(names), 1)
        self.assertIn(",S=%d" % len(data), names[0])
        self.assertEqual(os.listdir(os.path.join(self.alice, "Maildir", "tmp")), [])
        self.assertIn("mailbox", res)

    def test_never_runs_as_root(self):
        self.ok("alice@example.test")
        md = self.inst.inbox("alice@example.test")
        st = os.stat(os.path.join(self.alice, "Maildir", "new", md.keys()[0].split(":")[0]))
        self.assertNotEqual(st.st_uid, 0)
        self.assertEqual(st.st_uid, self.inst.uid)

    def test_null_sender(self):
        self.ok("bob@example.test", sender="")
        self.assertTrue(self.one("bob@example.test").startswith(b"Return-Path: <>\n"))

    def test_sender_cannot_inject_headers(self):
        self.ok("bob@example.test", sender="a@b.test>\nX-Injected: yes\nX: <")
        data = self.one("bob@example.test")
        self.assertNotIn(b"\nX-Injected", data)
        self.assertTrue(data.startswith(b"Return-Path: <a@b.test>?X-Injected: yes?X: <>\n"), data[:80])

    def test_unknown_user_and_domain(self):
        rc, res, _ = self.inst.deliver("nobody@example.test", MSG)
        self.assertEqual((rc, res[:6]), (100, "D5.1.1"))
        rc, res, _ = self.inst.deliver("alice@other.test", MSG)
        self.assertEqual((rc, res[:6]), (100, "D5.1.2"))

    def test_large_message_intact(self):
        body = "".join("line %06d %s\n" % (i, "x" * 60) for i in range(40000))
        msg = "Subject: big\n\n" + body
        self.ok("alice@example.test", msg)
        self.assertTrue(self.one("alice@example.test").endswith(msg.encode()))

    def test_home_created_when_missing(self):
        shutil.rmtree(self.inst.add_user("new@example.test"))    # sluice-conf made it
        self.ok("new@example.test")
        self.assertEqual(self.inst.count("new@example.test"), 1)


class Extensions(Base):
    def test_plus_and_dash_into_folder(self):
        os.makedirs(os.path.join(self.alice, "Maildir", ".lists", "new"))
        for s in ("cur", "tmp"):
            os.makedirs(os.path.join(self.alice, "Maildir", ".lists", s))
        self.inst.chown(self.alice)
        self.ok("alice+lists@example.test")
        self.ok("alice-lists@example.test")
        folder = self.inst.maildir(os.path.join(self.alice, "Maildir", ".lists"))
        self.assertEqual(len(folder.keys()), 2)
        self.assertEqual(self.inst.count("alice@example.test"), 0)
        self.assertEqual(self.inst.inbox("alice@example.test").list_folders(), ["lists"])

    def test_missing_folder_goes_to_inbox(self):
        self.ok("alice+nofolder@example.test")
        data = self.one("alice@example.test")
        self.assertIn(b"Delivered-To: alice+nofolder@example.test\n", data)

    def test_unsafe_extension_goes_to_inbox(self):
        os.makedirs(os.path.join(self.alice, "Maildir", ".x", "new"))
        self.inst.chown(self.alice)
        self.ok("alice+.x@example.test")
        self.ok("alice+a/b@example.test")
        self.assertEqual(self.inst.count("alice@example.test"), 2)

    def test_custom_delimiter(self):
        self.inst.set("recipientdelimiter", "=")
        self.ok("alice=x@example.test")
        self.one("alice@example.test")
        rc, res, _ = self.inst.deliver("alice+x@example.test", MSG)
        self.assertEqual(res[:6], "D5.1.1")


class Aliases(Base):
    def test_catch_all(self):
        self.inst.add_alias("@example.test", "bob")
        self.inst.write()
        self.ok("whoever@example.test")
        self.assertIn(b"Delivered-To: whoever@example.test\n", self.one("bob@example.test"))
        self.ok("alice@example.test")    # users win over the catch-all
        self.one("alice@example.test")

    def test_local_and_remote_targets(self):
        self.inst.add_alias("team@example.test", "alice", "bob@example.test", "x@remote.test", "y@remote.test",
                            "x@remote.test")
        self.inst.write()
        cap, env = self.capture()
        self.ok("team@example.test", env=env)
        self.one("alice@example.test")
        self.one("bob@example.test")
        got = self.captured(cap)
        self.assertEqual(len(got), 1, "one injection for all remote targets")
        msg, envelope = got[0]
        self.assertEqual(envelope, b"F%s\0Tx@remote.test\0Ty@remote.test\0\0" % SENDER.encode())
        self.assertEqual(msg, b"Delivered-To: team@example.test\n" + MSG.encode())

    def test_one_copy_per_mailbox(self):
        self.inst.add_alias("a@example.test", "alice", "alice@example.test", "b", "ALICE@example.test")
        self.inst.add_alias("b@example.test", "alice", "bob")
        self.inst.write()
        self.ok("a@example.test")
        self.one("alice@example.test")
        self.one("bob@example.test")

    def test_forward_keeps_null_sender(self):
        self.inst.add_alias("a@example.test", "x@remote.test")
        self.inst.write()
        cap, env = self.capture()
        self.ok("a@example.test", sender="", env=env)
        (msg, envelope), = self.captured(cap)
        self.assertEqual(envelope, b"F\0Tx@remote.test\0\0")

    def test_nested_aliases(self):
        self.inst.add_alias("a@example.test", "b")
        self.inst.add_alias("b@example.test", "alice")
        self.inst.write()
        self.ok("a@example.test")
        self.one("alice@example.test")

    def test_alias_loop(self):
        self.inst.add_alias("a@example.test", "b")
        self.inst.add_alias("b@example.test", "a")
        self.inst.write()
        rc, res, _ = self.inst.deliver("a@example.test", MSG)
        self.assertEqual((rc, res[:6]), (100, "D5.4.6"))

    def test_bad_target_bounces_but_others_delivered(self):
        self.inst.add_alias("a@example.test", "alice", "ghost")
        self.inst.write()
        rc, res, _ = self.inst.deliver("a@example.test", MSG)
        self.assertEqual((rc, res[:6]), (100, "D5.1.1"))
        self.assertIn("ghost@example.test", res)
        self.one("alice@example.test")

    def test_retry_after_temporary_failure_makes_no_second_copy(self):
        self.inst.add_alias("team@example.test", "alice", "bob")
        self.inst.write()
        self.ok("bob@example.test")                     # creates bob's Maildir
        self.one("bob@example.test")
        tmp = os.path.join(self.inst.home("bob@example.test"), "Maildir", "tmp")
        os.chmod(tmp, 0)
        sp = self.inst.spawner()
        try:
            sp.job("team@example.test", MSG, qid="6b0abc.d1")
            st = sp.result()[1][0]
            self.assertEqual(st[:6], "Z4.3.0", st)
            os.chmod(tmp, 0o700)
            sp.job("team@example.test", MSG, qid="6b0abc.d1")   # the queue's retry
            st = sp.result()[1][0]
            self.assertEqual(st[:6], "K2.0.0", st)
            self.assertIn("already delivered", st)
            sp.job("team@example.test", MSG, qid="6b0abc.d2")   # another message
            self.assertEqual(sp.result()[1][0][:6], "K2.0.0")
        finally:
            os.chmod(tmp, 0o700)
            sp.close()
        self.assertEqual(self.inst.count("alice@example.test"), 2)
        self.assertEqual(self.inst.count("bob@example.test"), 3)

    def test_injector_failures(self):
        self.inst.add_alias("a@example.test", "alice", "x@remote.test")
        self.inst.write()
        cap, env = self.capture(71)
        rc, res, _ = self.inst.deliver("a@example.test", MSG, env=env)
        self.assertEqual((rc, res[:6]), (111, "Z4.3.0"))
        cap, env = self.capture(31)
        rc, res, _ = self.inst.deliver("a@example.test", MSG, env=env)
        self.assertEqual((rc, res[:6]), (100, "D5.3.0"))
        rc, res, _ = self.inst.deliver("a@example.test", MSG, env={"QMAILQUEUE": "/nonexistent/qq"})
        self.assertEqual((rc, res[:1]), (111, "Z"))


class Postmaster(Base):
    def test_default_mailbox(self):
        for rcpt in ("postmaster@example.test", "abuse@example.test", "PostMaster@example.test"):
            self.ok(rcpt)
        md = self.inst.maildir(os.path.join(self.inst.root, "mail", "postmaster", "Maildir"))
        self.assertEqual(len(md.keys()), 3)

    def test_instance_alias(self):
        self.inst.add_alias("postmaster", "bob@example.test")
        self.inst.write()
        self.ok("abuse@example.test")
        self.one("bob@example.test")


class Loops(Base):
    def test_our_delivered_to(self):
        rc, res, _ = self.inst.deliver("alice@example.test", "Delivered-To: ALICE@example.test\n" + MSG)
        self.assertEqual((rc, res[:6]), (100, "D5.4.6"))
        self.assertEqual(self.inst.count("alice@example.test"), 0)
        self.ok("alice@example.test", "Delivered-To: someone@example.test\n" + MSG)

    def test_delivered_to_of_alias_target(self):
        self.inst.add_alias("a@example.test", "alice")
        self.inst.write()
        rc, res, _ = self.inst.deliver("a@example.test", "Delivered-To: alice@example.test\n" + MSG)
        self.assertEqual(res[:6], "D5.4.6")

    def test_maxhops(self):
        self.inst.set("maxhops", "5")
        hops = "Received: from a by b\n" * 3 + "Delivered-To: x@y.test\n" * 2
        self.ok("alice@example.test", hops + MSG[len("Received: from x by y\n"):])
        rc, res, _ = self.inst.deliver("alice@example.test", hops + MSG)
        self.assertEqual((rc, res[:6]), (100, "D5.4.6"))
        self.assertIn("hops", res)

    def test_delivered_to_in_body_is_no_loop(self):
        self.ok("alice@example.test", MSG + "Delivered-To: alice@example.test\n")


class Quota(Base):
    def setUp(self):
        super().setUp()
        self.q = self.inst.add_user("q@example.test", quota=1000)
        self.inst.write()
        self.msg = "Subject: q\n\n" + "x" * 500 + "\n"

    def test_over_quota_defers_then_bounces(self):
        self.ok("q@example.test", self.msg)
        with open(os.path.join(self.q, "Maildir", "maildirsize")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "1000S")
        rc, res, _ = self.inst.deliver("q@example.test", self.msg)
        self.assertEqual((rc, res[:6]), (111, "Z4.2.2"))
        sp = self.inst.spawner()
        try:
            sp.job("q@example.test", self.msg, arrival=time.time() - 2 * 86400)
            _, st = sp.result()
            self.assertEqual(st[0][:6], "D5.2.2", st)
            self.assertIn("quota", st[0])
            sp.job("q@example.test", self.msg, arrival=time.time() - 3600)
            self.assertEqual(sp.result()[1][0][:6], "Z4.2.2")
        finally:
            sp.close()
        self.inst.set("quotadefer", "60")
        sp = self.inst.spawner()
        try:
            sp.job("q@example.test", self.msg, arrival=time.time() - 3600)
            self.assertEqual(sp.result()[1][0][:6], "D5.2.2")
        finally:
            sp.close()
        self.assertEqual(self.inst.count("q@example.test"), 1)

    def test_retry_of_a_delivered_job_is_not_over_quota(self):
        sp = self.inst.spawner()
        try:
            sp.job("q@example.test", self.msg, qid="6b1.q1")
            self.assertEqual(sp.result()[1][0][:6], "K2.0.0")
            sp.job("q@example.test", self.msg, qid="6b1.q1")   # e.g. the result was lost
            st = sp.result()[1][0]
            self.assertEqual(st[:6], "K2.0.0", st)
            sp.job("q@example.test", self.msg, qid="6b1.q2")   # a new message is over
            self.assertEqual(sp.result()[1][0][:6], "Z4.2.2")
        finally:
            sp.close()
        self.assertEqual(self.inst.count("q@example.test"), 1)

    def test_message_larger_than_quota(self):
        rc, res, _ = self.inst.deliver("q@example.test", "Subject: big\n\n" + "y" * 2000 + "\n")
        self.assertEqual((rc, res[:6]), (100, "D5.2.3"))

    def test_recalculated_after_mail_is_removed(self):
        self.ok("q@example.test", self.msg)
        md = self.inst.inbox("q@example.test")
        for k in md.keys():
            md.remove(k)
        path = os.path.join(self.q, "Maildir", "maildirsize")
        old = time.time() - 3600
        os.utime(path, (old, old))     # stale, so an over-quota verdict is rechecked
        self.ok("q@example.test", self.msg)

    def test_garbage_maildirsize_is_recalculated(self):
        self.ok("q@example.test", self.msg)
        path = os.path.join(self.q, "Maildir", "maildirsize")
        with open(path, "w") as f:
            f.write("garbage\n")
        rc, res, _ = self.inst.deliver("q@example.test", self.msg)
        self.assertEqual(res[:6], "Z4.2.2")     # the recount still sees the first message
        with open(path) as f:
            first, count = f.read().splitlines()[:2]
        self.assertEqual(first, "1000S")
        self.assertTrue(count.endswith(" 1"), count)


class DeliveryFile(Base):
    def dotfile(self, text, address="alice@example.test"):
        self.inst.write_file(os.path.join(self.inst.home(address), ".sluice"), text)

    def test_forward_and_maildirs(self):
        self.dotfile("# keep a copy and forward\n&fwd@remote.test\nother@remote.test\n./Maildir/\n./Other/\n")
        cap, env = self.capture()
        self.ok("alice@example.test", env=env)
        self.one("alice@example.test")
        self.one("alice@example.test", os.path.join(self.alice, "Other"))
        (msg, envelope), = self.captured(cap)
        self.assertEqual(envelope, b"F%s\0Tfwd@remote.test\0Tother@remote.test\0\0" % SENDER.encode())
        self.assertTrue(msg.startswith(b"Delivered-To: alice@example.test\n"))

    def test_not_a_regular_file(self):
        os.makedirs(self.alice, exist_ok=True)
        self.inst.chown(self.alice)
        os.mkfifo(os.path.join(self.alice, ".sluice"))
        t = time.time()
        rc, res, _ = self.inst.deliver("alice@example.test", MSG)
        self.assertEqual((rc, res[:6]), (111, "Z4.3.5"))
        self.assertLess(time.time() - t, 10)
        os.unlink(os.path.join(self.alice, ".sluice"))
        os.symlink("/etc/passwd", os.path.join(self.alice, ".sluice"))
        rc, res, _ = self.inst.deliver("alice@example.test", MSG)
        self.assertEqual((rc, res[:6]), (111, "Z4.3.5"))

    def test_extension_files(self):
        cap, env = self.capture()
        self.dotfile("&base@remote.test\n")
        self.inst.write_file(os.path.join(self.alice, ".sluice-lists"), "&lists@remote.test\n")
        self.inst.write_file(os.path.join(self.alice, ".sluice-a:b"), "&dots@remote.test\n")
        self.ok("alice+LISTS@example.test", env=env)
        self.ok("alice-a.b@example.test", env=env)
        self.ok("alice+other@example.test", env=env)    # no file of its own: .sluice
        self.inst.write_file(os.path.join(self.alice, ".sluice-default"), "./Maildir/\n")
        self.ok("alice+other@example.test", env=env)    # now .sluice-default
        self.ok("alice@example.test", env=env)          # no extension: .sluice
        got = sorted(e for m, e in self.captured(cap))
        self.assertEqual(got, sorted(b"F%s\0T%s@remote.test\0\0" % (SENDER.encode(), w)
                                     for w in (b"lists", b"dots", b"base", b"base")))
        self.assertEqual(self.inst.count("alice@example.test"), 1)
        self.inst.write_file(os.path.join(self.alice, ".sluice-bad"), "./mbox\n")
        rc, res, _ = self.inst.deliver("alice+bad@example.test", MSG)
        self.assertEqual(res[:6], "Z4.3.5")
        self.assertIn(".sluice-bad line 1", res)

    def test_only_comments_is_default(self):
        self.dotfile("# nothing\n\n")
        self.ok("alice@example.test")
        self.one("alice@example.test")

    def test_paths_outside_home_refused(self):
        for line in ("/tmp/elsewhere/", "./../bob/Maildir/", "./Maildir/../../x/"):
            self.dotfile(line + "\n")
            rc, res, _ = self.inst.deliver("alice@example.test", MSG)
            self.assertEqual((rc, res[:6]), (111, "Z4.3.5"), line)
        os.symlink("/tmp", os.path.join(self.alice, "link"))
        self.dotfile("./link/md/\n")
        rc, res, _ = self.inst.deliver("alice@example.test", MSG)
        self.assertEqual(res[:6], "Z4.3.5")
        self.assertEqual(self.inst.count("alice@example.test"), 0)

    def test_bad_lines_deliver_nothing(self):
        cap, env = self.capture()
        self.dotfile("&fwd@remote.test\n./Maildir/\n./mbox\n")
        rc, res, _ = self.inst.deliver("alice@example.test", MSG, env=env)
        self.assertEqual((rc, res[:6]), (111, "Z4.3.5"))
        self.assertIn("line 3", res)
        self.dotfile("&not an address\n")
        rc, res, _ = self.inst.deliver("alice@example.test", MSG, env=env)
        self.assertEqual(res[:6], "Z4.3.5")
        self.assertEqual(self.captured(cap), [])
        self.assertEqual(self.inst.count("alice@example.test"), 0)

    def test_programs_refused_when_not_enabled(self):
        self.dotfile("./Maildir/\n|touch $HOME/ran\n")
        rc, res, _ = self.inst.deliver("alice@example.test", MSG)
        self.assertEqual((rc, res[:6]), (100, "D5.7.1"))
        self.assertFalse(os.path.exists(os.path.join(self.alice, "ran")))
        self.assertEqual(self.inst.count("alice@example.test"), 0)


class Programs(Base):
    PROGRAMS = True

    def dotfile(self, text):
        self.inst.write_file(os.path.join(self.alice, ".sluice"), text)

    def test_environment_and_stdin(self):
        self.dotfile("|cat > out; env > env; umask > umask; ulimit -c > core; echo done\n")
        self.ok("alice+ext@example.test")
        with open(os.path.join(self.alice, "out"), "rb") as f:
            self.assertEqual(f.read(), MSG.encode())
        with open(os.path.join(self.alice, "env")) as f:
            env = f.read()
        with open(os.path.join(self.alice, "umask")) as f:
            self.assertEqual(f.read().strip(), "0077")
        with open(os.path.join(self.alice, "core")) as f:
            self.assertEqual(f.read().strip(), "0")
        for line in ("SENDER=" + SENDER, "RECIPIENT=alice+ext@example.test", "LOCAL=alice+ext",
                     "HOST=example.test", "EXT=ext", "HOME=" + self.alice,
                     "DTLINE=Delivered-To: alice+ext@example.test", "RPLINE=Return-Path: <%s>" % SENDER):
            self.assertIn(line + "\n", env)

    def test_exit_codes(self):
        for code, want in ((100, (100, "D5.3.0")), (111, (111, "Z4.3.0")), (3, (111, "Z4.3.0"))):
            self.dotfile("|echo 'sorry, code %d'; exit %d\n./Maildir/\n" % (code, code))
            rc, res, _ = self.inst.deliver("alice@example.test", MSG)
            self.assertEqual((rc, res[:6]), want, res)
            self.assertIn("sorry, code %d" % code, res)
        self.assertEqual(self.inst.count("alice@example.test"), 0)

    def test_exit_99_stops_processing(self):
        self.dotfile("|exit 99\n./Maildir/\n")
        self.ok("alice@example.test")
        self.assertEqual(self.inst.count("alice@example.test"), 0)
        self.dotfile("|exit 0\n./Maildir/\n")
        self.ok("alice@example.test")
        self.assertEqual(self.inst.count("alice@example.test"), 1)

    def test_background_child_does_not_hold_up_delivery(self):
        self.dotfile("|sleep 20 >/dev/null 2>&1 & exit 0\n")
        t = time.time()
        self.ok("alice@example.test")
        self.assertLess(time.time() - t, 10)

    def test_killed_by_signal(self):
        self.dotfile("|kill -9 $$\n")
        rc, res, _ = self.inst.deliver("alice@example.test", MSG)
        self.assertEqual((rc, res[:6]), (111, "Z4.3.0"))
        self.assertIn("signal 9", res)

    def test_forwards_before_stop_are_sent(self):
        cap, env = self.capture()
        self.dotfile("&fwd@remote.test\n|exit 99\n&never@remote.test\n")
        self.ok("alice@example.test", env=env)
        (msg, envelope), = self.captured(cap)
        self.assertEqual(envelope, b"F%s\0Tfwd@remote.test\0\0" % SENDER.encode())

    def test_time_limit(self):
        self.inst.set("timeoutprogram", "1")
        self.dotfile("|sleep 30\n")
        t = time.time()
        rc, res, _ = self.inst.deliver("alice@example.test", MSG)
        self.assertLess(time.time() - t, 15)
        self.assertEqual((rc, res[:6]), (111, "Z4.3.0"))
        self.assertIn("timed out", res)

    def test_endless_output_still_times_out(self):
        self.inst.set("timeoutprogram", "2")
        self.dotfile("|yes\n")
        t = time.time()
        rc, res, _ = self.inst.deliver("alice@example.test", MSG)
        self.assertLess(time.time() - t, 20)
        self.assertEqual((rc, res[:6]), (111, "Z4.3.0"))
        self.assertIn("timed out: y y y", res)
        self.assertLess(len(res), 1100)

    def test_crash_mid_delivery_then_retry_makes_one_copy(self):
        self.dotfile("./Maildir/\n|sleep 4\n")
        sp = self.inst.spawner()
        try:
            sp.job("alice@example.test", MSG, qid="6b2.c1")
            def children(pid):
                with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                    return [int(x) for x in f.read().split()]

            child = localinst.harness.wait_for(
                lambda: self.inst.count("alice@example.test") and children(sp.proc.pid),
                20, what="the Maildir copy, with the program still running")[0]
            prog = localinst.harness.wait_for(lambda: children(child), 20, what="the program")[0]
            os.kill(child, 9)
            os.killpg(prog, 9)      # the program has its own process group
            st = sp.result()[1][0]
            self.assertEqual(st[:6], "Z4.3.0", st)     # answered for by the spawner
            self.dotfile("./Maildir/\n")
            sp.job("alice@example.test", MSG, qid="6b2.c1")   # the queue's retry
            st = sp.result()[1][0]
            self.assertIn("already delivered", st)
        finally:
            sp.close()
        self.assertEqual(self.inst.count("alice@example.test"), 1)

    def test_closed_output_costs_no_cpu(self):
        import resource
        self.dotfile("|exec >&- 2>&-; sleep 2\n")
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.ok("alice@example.test")
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.assertLess((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), 0.5)

    def test_stdin_is_seekable(self):
        self.dotfile("|cat > /dev/null; python3 -c 'import sys; sys.stdin.buffer.seek(0); "
                     "open(\"again\", \"wb\").write(sys.stdin.buffer.read())'\n")
        self.ok("alice@example.test")
        with open(os.path.join(self.alice, "again"), "rb") as f:
            self.assertEqual(f.read(), MSG.encode())


class SpawnerMode(Base):
    def test_jobs_at_offsets_in_parallel(self):
        sp = self.inst.spawner()
        try:
            ids = {}
            for i in range(20):
                rcpt = ("alice@example.test", "bob@example.test", "ghost@example.test")[i % 3]
                jid = sp.job(rcpt, MSG + "n %d\n" % i, prefix=b"junk before\n" * 3, suffix=b"junk after\n",
                             qid="q%d" % i)
                ids[jid] = rcpt
            for _ in range(20):
                jid, st = sp.result()
                self.assertEqual(len(st), 1)
                want = "D5.1.1" if ids[jid].startswith("ghost") else "K2.0.0"
                self.assertEqual(st[0][:6], want, (ids[jid], st[0]))
                del ids[jid]
        finally:
            rc, err = sp.close()
        self.assertEqual(rc, 0, err)
        self.assertIn("q3", err)       # one log line per delivery, with the queue id
        for who, n in (("alice@example.test", 7), ("bob@example.test", 7)):
            md = self.inst.inbox(who)
            self.assertEqual(len(md.keys()), n)
            for k in md.keys():
                data = md.get_bytes(k)
                self.assertNotIn(b"junk", data)
                self.assertTrue(data.split(b"\n")[2:].__len__() > 5)


class Crash(Base):
    def test_kill_during_delivery_leaves_only_complete_messages(self):
        body = ("c" * 1023 + "\n") * (16 * 1024)       # 16 MiB
        msg = ("Subject: crash\n\n" + body + "THE END\n").encode()
        path = os.path.join(self.inst.tmp, "msg")
        with open(path, "wb") as f:
            f.write(msg)
        import random
        import signal
        for i in range(8):
            with open(path, "rb") as f:
                p = subprocess.Popen([localinst.harness.prog("sluice-local"), "-1", "L", SENDER, "",
                                      "alice@example.test"], stdin=f, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, **self.inst.popen_args())
            time.sleep(random.uniform(0.0, 0.08))
            p.send_signal(signal.SIGKILL)
            p.wait(30)
        md = os.path.join(self.alice, "Maildir")
        size = len(msg) + len("Return-Path: <%s>\nDelivered-To: alice@example.test\n" % SENDER)
        for name in self.inst.new_names(md):
            with open(os.path.join(md, "new", name), "rb") as f:
                data = f.read()
            self.assertEqual(len(data), size, name)
            self.assertTrue(data.endswith(b"THE END\n"))
            self.assertIn(",S=%d" % size, name)
        self.ok("alice@example.test", msg)      # still deliverable afterwards


class Concurrency(Base):
    def test_parallel_deliveries_with_quota(self):
        self.inst.add_user("q@example.test", quota=100000)
        self.inst.write()
        sp = self.inst.spawner()
        msg = "Subject: q\n\n" + "x" * 999 + "\n"
        try:
            for i in range(40):
                sp.job("q@example.test", msg, qid="c%d" % i)
            st = [sp.result()[1][0] for _ in range(40)]
        finally:
            sp.close()
        self.assertEqual([s[:6] for s in st], ["K2.0.0"] * 40, st)
        self.assertEqual(self.inst.count("q@example.test"), 40)
        with open(os.path.join(self.inst.home("q@example.test"), "Maildir", "maildirsize")) as f:
            lines = f.read().splitlines()
        used = sum(int(l.split()[0]) for l in lines[1:])
        self.assertEqual(used, 40 * (len(msg) + len("Return-Path: <%s>\nDelivered-To: q@example.test\n" % SENDER)))


@unittest.skipUnless(os.geteuid() == 0, "mounting a tmpfs needs root")
class DiskFull(Base):
    def setUp(self):
        super().setUp()
        # the user's home on a small tmpfs, empty: sluice-local makes the Maildir
        self.home = self.mnt = self.inst.add_user("full@example.test")
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", self.mnt],
                           capture_output=True, timeout=30)
        if p.returncode != 0:
            self.skipTest("cannot mount tmpfs: %s" % p.stderr.decode().strip())
        self.inst.chown(self.mnt)

    def tearDown(self):
        subprocess.run(["umount", "-l", self.mnt], timeout=30)
        super().tearDown()

    def test_full_disk_defers_and_leaves_nothing(self):
        big = "Subject: big\n\n" + ("z" * 99 + "\n") * 4000     # 400 KB > 256 KB
        rc, res, _ = self.inst.deliver("full@example.test", big)
        self.assertEqual((rc, res[:6]), (111, "Z4.3.1"), res)
        md = os.path.join(self.home, "Maildir")
        self.assertEqual(os.listdir(os.path.join(md, "new")), [])
        self.assertEqual(os.listdir(os.path.join(md, "tmp")), [])
        subprocess.run(["mount", "-o", "remount,size=2m", self.mnt], check=True, timeout=30)
        self.ok("full@example.test", big)
        self.assertEqual(len(self.inst.maildir(md).keys()), 1)


if __name__ == "__main__":
    unittest.main()
