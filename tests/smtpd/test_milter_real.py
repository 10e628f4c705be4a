"""The milter client of sluice-smtpd against real filters, each started here
with a configuration of its own on a loopback address and stopped by pid:

- OpenDKIM (Debian's opendkim) verifying inbound signatures: a message
  signed by python's dkimpy, whose key the test's dnsmasq serves, arrives on
  port 25 and is delivered with OpenDKIM's "Authentication-Results: ...;
  dkim=pass"; the same message changed on the way gets dkim=fail.
- rspamd (Debian's rspamd) in milter mode (a proxy worker scanning by
  itself, no Redis): a message through sluice gets rspamd's X-Spamd-Result
  and Authentication-Results fields, and a GTUBE message is refused at DATA
  with rspamd's own 5xx.

A filter that is not installed skips its class.
"""
import base64
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
import unittest

import harness

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
SELECTOR, SIGNER = "real", "signer.test"


def setUpModule():
    global inst, dns, workdir, key_pem
    workdir = tempfile.mkdtemp(prefix="sluice-milter-real-")
    os.chmod(workdir, 0o755)
    keyfile = os.path.join(workdir, "dkim.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", keyfile], check=True, capture_output=True, timeout=120)
    with open(keyfile, "rb") as f:
        key_pem = f.read()
    der = subprocess.run(["openssl", "pkey", "-in", keyfile, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True, timeout=60).stdout
    txt = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    parts = [txt[i:i + 255] for i in range(0, len(txt), 255)]
    dns = harness.Dnsmasq(extra=["--txt-record=%s._domainkey.%s,%s" % (SELECTOR, SIGNER, ",".join(parts)),
                                 "--txt-record=%s,v=spf1 ip4:127.0.0.0/8 -all" % SIGNER,
                                 "--txt-record=_dmarc.%s,v=DMARC1; p=reject" % SIGNER])
    inst = harness.Instance()
    inst.conf("domain", "add", "example.test")
    inst.add_user("bob@example.test", "bob-Secret-2")
    inst.set("resolvers", dns.resolver)
    inst.set("timeoutmilter", 60)
    inst.start()


def tearDownModule():
    inst.cleanup()
    dns.stop()
    if not os.environ.get("KEEP"):
        shutil.rmtree(workdir, ignore_errors=True)


def message(subject, body="Hello from the signer.\r\n", extra=""):
    return ("From: Carol <carol@%s>\r\nTo: bob@example.test\r\nSubject: %s\r\n"
            "Date: Mon, 07 Dec 2026 22:00:00 +0000\r\nMessage-ID: <%s@%s>\r\n%s\r\n%s"
            % (SIGNER, subject, subject.replace(" ", "."), SIGNER, extra, body)).encode()


def signed(subject, body="Hello from the signer.\r\n"):
    import dkim
    msg = message(subject, body)
    sig = dkim.sign(msg, SELECTOR.encode(), SIGNER.encode(), key_pem,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return sig + msg


def send(msg, source=None):
    """(code, reply text) of the reply to DATA, from outside on port 25."""
    c = smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=180,
                     source_address=(source, 0) if source else None)
    try:
        c.ehlo("mx.signer.test")
        c.mail("carol@" + SIGNER)
        c.rcpt("bob@example.test")
        return c.data(msg)
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error
    finally:
        try:
            c.quit()
        except smtplib.SMTPException:
            pass


def delivered(subject, timeout=60):
    def find():
        for m in inst.messages("bob@example.test"):
            if m["Subject"] and subject in m["Subject"]:
                return m
        return None
    return harness.wait_for(find, timeout, what="delivery of " + subject)


def ar_fields(msg):
    return [str(v) for v in (msg.get_all("Authentication-Results") or [])]


class Daemon:
    """A filter process started in its own session, stopped by its pid."""

    proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def log_text(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""


class OpenDKIM(Daemon):
    def __init__(self, d):
        self.ip = harness.pick_ip()
        self.port = harness.free_port(self.ip)
        self.spec = "inet:%s:%d" % (self.ip, self.port)
        os.makedirs(d, exist_ok=True)
        ub = os.path.join(d, "unbound.conf")
        with open(ub, "w") as f:
            # OpenDKIM's libunbound refuses to ask 127.x servers and answers
            # .test itself unless told otherwise
            f.write('server:\n\tdo-not-query-localhost: no\n\tlocal-zone: "test." nodefault\n'
                    'forward-zone:\n\tname: "."\n\tforward-addr: %s@%d\n' % (dns.ip, dns.port))
        conf = os.path.join(d, "opendkim.conf")
        with open(conf, "w") as f:
            f.write("Mode v\nSyslog no\nSocket inet:%d@%s\nPidFile %s\nAuthservID verifier.test\n"
                    "AlwaysAddARHeader yes\nResolverConfiguration %s\nUMask 022\n"
                    % (self.port, self.ip, os.path.join(d, "opendkim.pid"), ub))
        self.logfile = os.path.join(d, "opendkim.log")
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(["opendkim", "-f", "-x", conf], stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            harness.wait_port(self.ip, self.port, 60)
        except TimeoutError:
            self.stop()
            raise


class Rspamd(Daemon):
    """rspamd's own configuration (/etc/rspamd) with a local.d and
    override.d of ours: only the proxy worker, in milter mode and scanning
    by itself, on a loopback address; DNS from the test's dnsmasq; no
    Redis (the modules that need it turn themselves off); the modules that
    would ask servers on the Internet turned off; milter_headers adding
    its fields for every message, local and authenticated ones included."""

    # rspamd compiles its regular expressions (hyperscan) at start: slow on
    # a loaded machine; the cache lives in DBDIR for this run only
    START_TIMEOUT = 180

    def __init__(self, d):
        self.ip = harness.pick_ip()
        ports = []
        for _ in range(4):
            ports.append(harness.free_port(self.ip, ports))
        self.port = ports[0]
        self.spec = "inet:%s:%d" % (self.ip, self.port)
        for sub in ("local.d", "override.d", "db", "run", "log"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)

        def put(name, text):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        # override.d (priority 10) replaces rspamd.conf's bind_socket
        # instead of adding to it
        put("override.d/worker-proxy.inc",
            'bind_socket = "%s:%d";\nmilter = yes;\ntimeout = 120s;\ncount = 1;\n'
            'upstream "local" { default = yes; self_scan = yes; }\n' % (self.ip, ports[0]))
        for name, port in (("normal", ports[1]), ("controller", ports[2]), ("fuzzy", ports[3])):
            put("override.d/worker-%s.inc" % name, 'bind_socket = "%s:%d";\ncount = -1;\n' % (self.ip, port))
        # the test's clients are on loopback, which rspamd counts as local
        # and would not check (DKIM, SPF, DMARC) otherwise
        put("local.d/options.inc", 'dns { nameserver = ["%s:%d"]; timeout = 1s; retransmits = 1; }\n'
            'check_local = true;\ncheck_authed = true;\n'
            # GTUBE variants for "add header" and "rewrite subject"
            'enable_test_patterns = true;\n' % (dns.ip, dns.port))
        put("local.d/dkim.conf", "check_local = true;\ncheck_authed = true;\n")
        self.logfile = os.path.join(d, "log", "rspamd.log")
        put("override.d/logging.inc", 'type = "file";\nfilename = "%s";\nlevel = "info";\n' % self.logfile)
        put("local.d/milter_headers.conf",
            'use = ["x-spamd-result", "x-rspamd-server", "authentication-results", "x-spam-status"];\n'
            'authenticated_headers = ["authentication-results"];\n'
            'skip_local = false;\nskip_authenticated = false;\n')
        for m in ("fuzzy_check", "rbl", "surbl", "asn", "rspamd_update", "emails", "url_redirector"):
            put("local.d/%s.conf" % m, "enabled = false;\n")
        args = ["rspamd", "-f", "-i", "-u", "root", "-g", "root", "-c", "/etc/rspamd/rspamd.conf"]
        args += ["--var=%s=%s" % kv for kv in (("LOCAL_CONFDIR", d), ("DBDIR", os.path.join(d, "db")),
                                                ("RUNDIR", os.path.join(d, "run")),
                                                ("LOGDIR", os.path.join(d, "log")))]
        with open(os.path.join(d, "stderr"), "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         start_new_session=True, cwd=d)
        try:
            harness.wait_for(lambda: self.proc.poll() is not None or not harness.can_bind(self.ip, self.port),
                             self.START_TIMEOUT, interval=0.5, what="rspamd's milter port")
            if self.proc.poll() is not None:
                raise RuntimeError("rspamd exited with %d: %s" % (self.proc.returncode, self.log_text()))
            harness.wait_port(self.ip, self.port, 30)
        except BaseException:
            self.stop()
            raise


@unittest.skipUnless(shutil.which("rspamd"), "rspamd is not installed")
class RspamdScans(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rs = Rspamd(os.path.join(workdir, "rspamd"))
        inst.set("milters", cls.rs.spec)

    @classmethod
    def tearDownClass(cls):
        cls.rs.stop()

    def test_headers_are_added(self):
        code, text = send(signed("rspamd ham"))
        self.assertEqual(code, 250, text)
        got = delivered("rspamd ham")
        res = str(got["X-Spamd-Result"] or "")
        self.assertTrue(res.startswith("default: False"), "%s\nrspamd log: %s" % (got.items(), self.rs.log_text()))
        self.assertIn("R_DKIM_ALLOW", res)
        self.assertTrue(got["X-Rspamd-Server"])
        self.assertTrue(str(got["X-Spam-Status"]).startswith("No"), res)
        ars = [a for a in ar_fields(got) if "dkim=pass" in a]
        self.assertTrue(ars, ar_fields(got))
        for want in ("header.d=" + SIGNER, "spf=pass", "dmarc=pass"):
            self.assertIn(want, ars[0])
        # sluice's own fields are still in front, the body is untouched
        self.assertIn("Hello from the signer.", got.get_payload())
        self.assertIn("by " + inst.me, str(got.get_all("Received")[-1]))

    @unittest.skipUnless(shutil.which("opendkim"), "opendkim is not installed")
    def test_two_real_filters_in_a_row(self):
        od = OpenDKIM(os.path.join(workdir, "opendkim-chain"))
        try:
            inst.set("milters", "%s,%s" % (self.rs.spec, od.spec))
            code, text = send(signed("rspamd chain"))
            self.assertEqual(code, 250, text)
            got = delivered("rspamd chain")
        finally:
            inst.set("milters", self.rs.spec)
            od.stop()
        self.assertTrue(str(got["X-Spamd-Result"]).startswith("default: False"))
        # OpenDKIM saw rspamd's added fields and still verified the signature
        self.assertTrue([a for a in ar_fields(got) if "verifier.test" in a and "dkim=pass" in a],
                        ar_fields(got))

    def test_spam_verdicts_edit_the_header(self):
        # rspamd's "add header" action adds its spam flag; "rewrite subject"
        # changes the Subject field in place (a change-header reply)
        code, text = send(message("rspamd addhdr", "%s\r\n" % GTUBE.replace("X", "Y", 1)))
        self.assertEqual(code, 250, text)
        got = delivered("rspamd addhdr")
        self.assertEqual(got["X-Spam"], "Yes", got.items())
        code, text = send(message("rspamd subject", "%s\r\n" % GTUBE.replace("X", "Z", 1)))
        self.assertEqual(code, 250, text)
        got = delivered("rspamd subject")
        self.assertEqual(got.get_all("Subject"), ["*** SPAM *** rspamd subject"], got.items())

    def test_gtube_is_refused_at_data(self):
        code, text = send(message("rspamd gtube", "Buy now.\r\n%s\r\n" % GTUBE))
        self.assertEqual(code, 554, text)
        self.assertIn(b"Gtube pattern", text)
        time.sleep(2)
        self.assertFalse([m for m in inst.messages("bob@example.test")
                          if "rspamd gtube" in str(m["Subject"])])
        self.assertIn("rejected the message: 554", inst.log("smtpd"))


@unittest.skipUnless(shutil.which("opendkim"), "opendkim is not installed")
class OpenDKIMVerifies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.od = OpenDKIM(os.path.join(workdir, "opendkim"))
        inst.set("milters", cls.od.spec)

    @classmethod
    def tearDownClass(cls):
        cls.od.stop()

    def check(self, msg, subject, want):
        code, text = send(msg, source=harness.pick_ip())
        self.assertEqual(code, 250, text)
        got = delivered(subject)
        ars = [a for a in ar_fields(got) if "verifier.test" in a]
        self.assertTrue(ars, "no Authentication-Results from OpenDKIM in %s\nopendkim log: %s"
                        % (got.items(), self.od.log_text()))
        self.assertIn("dkim=" + want, ars[0], ars[0])
        self.assertIn("header.d=" + SIGNER, ars[0])
        return got

    def test_signed_message_passes(self):
        got = self.check(signed("odkim good"), "odkim good", "pass")
        # the signature itself is delivered untouched
        self.assertIn("s=" + SELECTOR, str(got["DKIM-Signature"]))

    def test_changed_message_fails(self):
        msg = signed("odkim bad", "Pay 10 EUR to the usual account.\r\n")
        msg = msg.replace(b"Pay 10 EUR", b"Pay 90 EUR")
        self.check(msg, "odkim bad", "fail")

    def test_folded_and_long_message_passes(self):
        # many body chunks (more than one 64 KiB B packet) and folded fields
        body = "".join("line %05d of a long signed message, with  two spaces\r\n" % i
                       for i in range(3000))
        self.check(signed("odkim long", body), "odkim long", "pass")


if __name__ == "__main__":
    unittest.main()
