"""sluice-conf ports and bind: change the listeners after init, and init
--ports with imap, imaps and webmail.  Refused input (unknown name, port
out of range, the same port twice, a bad IP, webmail without IMAP or
submission) exits 1 with one line and changes no file; accepted changes
rewrite control/listen, the run scripts and Dovecot's and the web
server's configuration, keep an edited tcp.rules, stop a listener turned
off, and `sluice-conf check` then agrees.  As root, a changed IMAPS port
answers after the printed svc restart."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "imap"))
from test_conf import ConfCase, IS_ROOT, harness  # noqa: E402
import imaputil  # noqa: E402

APPS = ("imap", "imaps", "webmail")


def listen(inst):
    with open(inst.path("control", "listen")) as f:
        return dict((l.split()[0], (l.split()[1], int(l.split()[2]))) for l in f if l.strip())


class PortsCase(ConfCase):
    def setUp(self):
        self.inst = harness.Instance(extra_ports=APPS)
        self.addCleanup(self.inst.cleanup)


class TestRefused(PortsCase):
    def test_bad_input_changes_nothing(self):
        p = self.inst.ports
        for args in (["ports", "imap4=143"], ["ports", "imap=70000"], ["ports", "imap=0x10"],
                     ["ports", "imap="], ["ports", "imap=%d" % p["smtp"]],
                     ["ports", "imap=2001,imaps=2001"], ["ports", "imap=2001,"], ["ports", ""],
                     ["ports", "smtp"], ["ports"], ["ports", "imap=1", "x"],
                     ["ports", "imap=off,imaps=off"],          # webmail needs IMAP
                     ["ports", "submission=off"],              # webmail sends through it
                     ["bind", "300.1.1.1"], ["bind", "localhost"], ["bind", ""], ["bind"]):
            err = self.refused(*args)
            self.assertNotIn("\n", err.rstrip("\n"))


class TestChanges(PortsCase):
    def test_ports_rewrites_everything_and_keeps_tcp_rules(self):
        rules = self.path("service", "smtpd", "tcp.rules")
        with open(rules, "a") as f:
            f.write("192.0.2.7:allow,RELAYCLIENT=\"\"\n")
        new = {n: harness.free_port(self.inst.ip, set(self.inst.ports.values()))
               for n in ("imaps", "webmail", "smtp")}
        out = self.ok("ports", "imaps=%d,webmail=%d,smtp=%d" % (new["imaps"], new["webmail"],
                                                                 new["smtp"]))
        self.assertRegex(out, r"^sluice-conf: restart to apply: svc -u -t .*/service/imapd")
        l = listen(self.inst)
        self.assertEqual(l["imaps"][1], new["imaps"])
        self.assertEqual(l["webmail"][1], new["webmail"])
        self.assertEqual(l["smtpd"][1], new["smtp"])
        dc = self.read("imap", "dovecot.conf")
        self.assertIn("port = %d\n    ssl = yes" % new["imaps"], dc)
        self.assertIn("port = %d\n" % self.inst.ports["imap"], dc)
        self.assertIn("listen %s:%d ssl;" % (self.inst.ip, new["webmail"]),
                      self.read("webmail", "nginx.conf"))
        self.assertIn("'ssl://%s:%d'" % (self.inst.ip, new["imaps"]),
                      self.read("webmail", "config", "config.inc.php"))
        self.assertIn(" %s %d " % (self.inst.ip, new["smtp"]), self.read("service", "smtpd", "run"))
        self.assertIn("192.0.2.7:allow", self.read("service", "smtpd", "tcp.rules"))
        self.assertEqual(self.conf("check").stderr, "")

    def test_bind_moves_every_listener(self):
        ip = harness.pick_ip()
        self.ok("bind", ip)
        l = listen(self.inst)
        self.assertEqual({v[0] for v in l.values()}, {ip})
        self.assertIn("listen = %s\n" % ip, self.read("imap", "dovecot.conf"))
        self.assertIn("address = %s\n" % ip, self.read("imap", "dovecot.conf"))
        self.assertIn("listen %s:" % ip, self.read("webmail", "nginx.conf"))
        self.assertIn("tls://%s:%d" % (ip, self.inst.ports["submission"]),
                      self.read("webmail", "config", "config.inc.php"))
        for s in ("smtpd", "submission", "smtps", "pop3d", "pop3s"):
            self.assertIn(" %s %d " % (ip, self.inst.ports[{"smtpd": "smtp", "pop3d": "pop3"}
                                                           .get(s, s)]), self.read("service", s, "run"))
        self.assertNotIn(self.inst.ip, self.read("imap", "dovecot.conf"))
        self.assertEqual(self.conf("check").stderr, "")

    def test_off_stops_a_listener_and_on_brings_it_back(self):
        self.ok("ports", "pop3=off,webmail=off")
        l = listen(self.inst)
        self.assertNotIn("pop3d", l)
        self.assertNotIn("webmail", l)
        for s in ("pop3d", "webmail", "webmail-php"):
            self.assertTrue(os.path.exists(self.path("service", s, "down")), s)
            self.assertIn("svc -d", self.read("service", s, "run"))
        self.assertEqual(self.conf("check").stderr, "")
        self.ok("ports", "pop3=%d" % self.inst.ports["pop3"])
        self.assertFalse(os.path.exists(self.path("service", "pop3d", "down")))
        self.assertIn("sluice-pop3d", self.read("service", "pop3d", "run"))

    def test_check_reports_a_broken_configuration_in_one_line(self):
        with open(self.path("imap", "dovecot.conf"), "a") as f:
            f.write("ssl = no\n")
        p = self.conf("check")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertIn("dovecot.conf", p.stderr)
        self.ok("bind", self.inst.ip)          # rewrites it
        self.assertEqual(self.conf("check").stderr, "")

    def test_systemd_units_for_imap_and_webmail(self):
        out = self.ok("systemd", "--dir", self.path("units"))
        for u in ("sluice-imapd.service", "sluice-webmail.service", "sluice-webmail-php.service"):
            self.assertIn(u, out)
            text = self.read("units", u)
            self.assertIn("ExecStart=/bin/sh %s/run" % self.path("service", u[7:-8]), text)
        self.assertNotIn("sluice-imaps", out)
        self.assertNotIn("sluice-imapd@", out)


class TestInitApps(unittest.TestCase):
    def test_init_without_imap_writes_no_dovecot(self):
        inst = harness.Instance()
        self.addCleanup(inst.cleanup)
        self.assertFalse(os.path.exists(inst.path("imap")))
        self.assertFalse(os.path.exists(inst.path("service", "imapd")))
        self.assertNotIn("imap", open(inst.path("control", "listen")).read())

    @unittest.skipUnless(IS_ROOT, "the sluicew user is made as root")
    def test_webmail_files_private_to_sluicew(self):
        inst = harness.Instance(extra_ports=APPS)
        self.addCleanup(inst.cleanup)
        import pwd
        import grp
        for rel, owner, group, mode in ((("webmail", "config"), "root", "sluicew", 0o750),
                                        (("webmail", "config", "config.inc.php"), "root", "sluicew", 0o640),
                                        (("webmail", "config", "secret.inc.php"), "root", "sluicew", 0o640),
                                        (("webmail", "db"), "sluicew", "sluicew", 0o700),
                                        (("imap", "dovecot.conf"), "root", "root", 0o644)):
            st = os.stat(inst.path(*rel))
            self.assertEqual((pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
                              st.st_mode & 0o7777), (owner, group, mode), rel)
        self.assertRegex(open(inst.path("webmail", "config", "secret.inc.php")).read(),
                         r"des_key'\] = '[A-Za-z0-9]{24}'")


@unittest.skipIf(imaputil.skip_reason(), imaputil.skip_reason())
class TestLive(unittest.TestCase):
    def test_new_imaps_port_answers_after_restart(self):
        inst = imaputil.start()
        self.addCleanup(inst.cleanup)
        new = harness.free_port(inst.ip, set(inst.ports.values()))
        p = inst.conf("ports", "imaps=%d" % new)
        self.assertIn(inst.path("service", "imapd"), p.stdout)
        subprocess.run(["svc", "-u", "-t", inst.path("service", "imapd")], timeout=10)
        harness.wait_port(inst.ip, new, 60)
        import imaplib
        m = imaplib.IMAP4_SSL(inst.ip, new, ssl_context=imaputil.tls_context(inst), timeout=60)
        m.login("alice@example.test", imaputil.USERS["alice@example.test"])
        m.logout()


if __name__ == "__main__":
    unittest.main()
