"""DKIM signing, checked by verifiers nobody here wrote.

One instance: example.test with alice and bob, `sluice-conf dkim add
example.test`, a route for remote.test to an aiosmtpd sink, and a dnsmasq
on loopback serving the TXT records exactly as `dkim add` printed them.
python's dkimpy and OpenDKIM (opendkim -t, resolving through that dnsmasq
with its Unbound library) verify what arrives at the sink:

  - alice submitting on 587 (STARTTLS + AUTH): an RSA and an Ed25519
    signature, both valid
  - a relay client on port 25 and a local sluice-sendmail user: signed
  - mail from outside on port 25, even with a From: of example.test, and
    mail from a domain without keys: not signed
  - `dkim rotate` switches to new selectors; `dkim del` stops signing
  - the keys are readable by sluiceq (sluice-queue signs) and not by
    sluiced (the network-facing smtpd)
  - `sluice-conf dns` prints MX, SPF, DKIM, DMARC and the SRV records
"""
import os
import re
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import time
import unittest

import harness

ALICE_PW = "alice-Secret-1"


def parse_records(text):
    """{name: txt} from `dkim add`'s zone-file lines."""
    recs = {}
    for line in text.splitlines():
        m = re.match(r'^(\S+)\. IN TXT ((?:"[^"]*"\s*)+)$', line)
        if m and "._domainkey." in m.group(1):
            recs[m.group(1)] = "".join(re.findall(r'"([^"]*)"', m.group(2)))
    return recs


def setUpModule():
    global inst, dns, sink, records, workdir, clientip
    workdir = tempfile.mkdtemp(prefix="sluice-dkim-")
    sink = harness.SmtpSink()
    inst = harness.Instance()
    inst.conf("domain", "add", "example.test")
    inst.add_user("alice@example.test", ALICE_PW)
    inst.add_user("bob@example.test", "bob-Secret-2")
    inst.conf("route", "add", "remote.test", "%s:%d" % (sink.ip, sink.port))
    out = inst.conf("dkim", "add", "example.test").stdout
    records = parse_records(out)
    extra = []
    for name, txt in records.items():
        parts = [txt[i:i + 255] for i in range(0, len(txt), 255)]
        extra.append("--txt-record=%s,%s" % (name, ",".join(parts)))
    dns = harness.Dnsmasq(extra=extra)
    clientip = harness.pick_ip()
    inst.conf("relay", "add", clientip + "/32")
    inst.start()


def tearDownModule():
    inst.cleanup()
    dns.stop()
    sink.stop()
    shutil.rmtree(workdir, ignore_errors=True) if not os.environ.get("KEEP") else None


def dns_txt(name):
    """The TXT record from the test's dnsmasq, strings joined, or None."""
    p = subprocess.run(["dig", "+short", "+time=2", "+tries=2", "@" + dns.ip, "-p", str(dns.port),
                        "TXT", name], capture_output=True, text=True, timeout=20)
    parts = re.findall(r'"([^"]*)"', p.stdout)
    return "".join(parts) if parts else None


def dkimpy_verify(msg, idx):
    import dkim

    def dnsfunc(name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        txt = dns_txt(n.rstrip("."))
        return txt.encode() if txt else None

    d = dkim.DKIM(msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    try:
        return d.verify(idx=idx, dnsfunc=dnsfunc)
    except dkim.ValidationError:
        return False


def only_signature(msg, keep):
    """msg with only its keep-th DKIM-Signature field (0-based)."""
    head, sep, body = msg.replace(b"\r\n", b"\n").partition(b"\n\n")
    fields, cur = [], []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and cur:
            cur.append(line)
        else:
            if cur:
                fields.append(cur)
            cur = [line]
    if cur:
        fields.append(cur)
    out, n = [], 0
    for f in fields:
        if f[0].lower().startswith(b"dkim-signature:"):
            n += 1
            if n - 1 != keep:
                continue
        out.extend(f)
    return b"\n".join(out) + sep + body


def opendkim_verify(msg, idx):
    """OpenDKIM's verdict on the idx-th signature alone: its stderr line."""
    ub = os.path.join(workdir, "unbound.conf")
    with open(ub, "w") as f:
        # Unbound refuses 127.x servers and answers .test itself unless told
        f.write('server:\n\tdo-not-query-localhost: no\n\tlocal-zone: "test." nodefault\n'
                'forward-zone:\n\tname: "."\n\tforward-addr: %s@%d\n' % (dns.ip, dns.port))
    conf = os.path.join(workdir, "opendkim.conf")
    with open(conf, "w") as f:
        f.write("Mode v\nSyslog no\nResolverConfiguration %s\n" % ub)
    path = os.path.join(workdir, "msg%d.eml" % idx)
    with open(path, "wb") as f:
        f.write(only_signature(msg, idx))
    p = subprocess.run(["opendkim", "-x", conf, "-t", path], capture_output=True, text=True, timeout=60)
    return (p.stdout + p.stderr).strip()


def sigs(msg):
    """The DKIM-Signature fields of msg, folding kept."""
    return re.findall(rb"(?im)^dkim-signature:[^\n]*(?:\n[ \t][^\n]*)*", msg.replace(b"\r\n", b"\n"))


def wait_sink(subject, timeout=30):
    def find():
        for frm, rcpts, data in sink.messages:
            if ("Subject: %s" % subject).encode() in data:
                return data
        return None
    return harness.wait_for(find, timeout, what="message %r at the sink" % subject)


def message(frm, to, subject):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 07 Dec 2026 21:00:00 +0000\r\n"
            "Message-ID: <%s@example.test>\r\n\r\nHello  there,\r\n\r\n  a test.  \r\n\r\n\r\n"
            % (frm, to, subject, subject)).encode()


def submit(frm, to, subject):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP(inst.ip, inst.ports["submission"], timeout=30) as c:
        c.starttls(context=ctx)
        c.login("alice@example.test", ALICE_PW)
        c.sendmail("alice@example.test", [to], message(frm, to, subject))


class Signing(unittest.TestCase):
    def test_submission_has_two_valid_signatures(self):
        submit("Alice <alice@example.test>", "bob@remote.test", "sub-1")
        msg = wait_sink("sub-1")
        s = sigs(msg)
        self.assertEqual(len(s), 2, msg)
        algs = sorted(re.search(rb"a=([a-z0-9-]+)", x).group(1) for x in s)
        self.assertEqual(algs, [b"ed25519-sha256", b"rsa-sha256"])
        for x in s:
            self.assertIn(b"c=relaxed/relaxed", x)
            self.assertIn(b"d=example.test", x)
        self.assertTrue(dkimpy_verify(msg, 0), "dkimpy: first signature")
        self.assertTrue(dkimpy_verify(msg, 1), "dkimpy: second signature")
        for i in range(2):
            verdict = opendkim_verify(msg, i)
            self.assertIn("succeeded", verdict, verdict)
        # signed once, below sluice's own Received lines
        head = msg.split(b"\r\n\r\n", 1)[0]
        self.assertLess(head.find(b"Received:"), head.find(b"DKIM-Signature:"))

    def test_a_changed_message_fails(self):
        submit("alice@example.test", "bob@remote.test", "sub-2")
        msg = wait_sink("sub-2").replace(b"a test.", b"a fake.")
        self.assertFalse(dkimpy_verify(msg, 0))
        self.assertIn("failed", opendkim_verify(msg, 1))

    def test_relay_client_is_signed(self):
        with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30, source_address=(clientip, 0)) as c:
            c.sendmail("app@example.test", ["bob@remote.test"], message("app@example.test", "bob@remote.test", "relay-1"))
        msg = wait_sink("relay-1")
        self.assertEqual(len(sigs(msg)), 2)
        self.assertTrue(dkimpy_verify(msg, 0) and dkimpy_verify(msg, 1))

    def test_sendmail_user_is_signed(self):
        p = inst.run("sluice-sendmail", "-f", "alice@example.test", "bob@remote.test",
                     input=message("alice@example.test", "bob@remote.test", "local-1").replace(b"\r\n", b"\n"))
        self.assertEqual(p.returncode, 0, p.stderr)
        msg = wait_sink("local-1")
        self.assertEqual(len(sigs(msg)), 2)
        self.assertTrue(dkimpy_verify(msg, 0) and dkimpy_verify(msg, 1))

    def test_mail_from_outside_is_never_signed(self):
        with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as c:
            c.sendmail("alice@example.test", ["bob@example.test"],
                       message("alice@example.test", "bob@example.test", "outside-1"))
        msgs = inst.wait_mail("bob@example.test", 1)
        m = [x for x in msgs if x["Subject"] == "outside-1"]
        self.assertEqual(len(m), 1)
        self.assertIsNone(m[0]["DKIM-Signature"])

    def test_domain_without_keys_is_not_signed(self):
        submit("someone@elsewhere.test", "bob@remote.test", "nokeys-1")
        self.assertEqual(sigs(wait_sink("nokeys-1")), [])

    def test_two_from_addresses_are_not_signed(self):
        submit("alice@example.test, bob@example.test", "bob@remote.test", "twofrom-1")
        self.assertEqual(sigs(wait_sink("twofrom-1")), [])

    def test_keys_belong_to_the_signer_alone(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (system users)")
        d = inst.path("dkim", "example.test")
        st = os.stat(inst.path("dkim"))
        import pwd
        self.assertEqual(st.st_uid, pwd.getpwnam("sluiceq").pw_uid)
        self.assertEqual(st.st_mode & 0o777, 0o700)
        for name in os.listdir(d):
            self.assertEqual(os.stat(os.path.join(d, name)).st_mode & 0o077, 0, name)
        key = [n for n in os.listdir(d) if n.endswith(".pem")][0]
        p = subprocess.run(["setpriv", "--reuid=sluiced", "--regid=sluiced", "--init-groups",
                            "cat", os.path.join(d, key)], capture_output=True, timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn(b"PRIVATE KEY", p.stdout)


class Commands(unittest.TestCase):
    def test_dns_prints_every_record(self):
        out = inst.conf("dns", "example.test").stdout
        me = inst.me
        self.assertIn("example.test. IN MX 10 %s." % me, out)
        self.assertIn('example.test. IN TXT "v=spf1 mx a:%s ~all"' % me, out)
        self.assertIn('_dmarc.example.test. IN TXT "v=DMARC1; p=quarantine', out)
        self.assertIn("_mta-sts.example.test. IN TXT", out)
        self.assertIn("_smtp._tls.example.test. IN TXT", out)
        self.assertIn("_submission._tcp.example.test. IN SRV 0 1 %d %s." % (inst.ports["submission"], me), out)
        self.assertIn("_pop3s._tcp.example.test. IN SRV 0 1 %d %s." % (inst.ports["pop3s"], me), out)
        self.assertEqual(parse_records(out), records)
        for line in out.splitlines():
            for s in re.findall(r'"([^"]*)"', line):
                self.assertLessEqual(len(s), 255)

    def test_bad_input_is_refused(self):
        for args in (("dkim", "add", "not-local.test"), ("dkim", "add", "bad..name"),
                     ("dkim", "add", "example.test"), ("dkim", "del", "nokeys.test"),
                     ("dkim", "frob"), ("dns", "not-local.test"), ("dns",)):
            p = inst.conf(*args, check=False)
            self.assertEqual(p.returncode, 1, args)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_rotate_then_delete(self):
        inst.conf("domain", "add", "rot.test")
        first = parse_records(inst.conf("dkim", "add", "rot.test").stdout)
        out = inst.conf("dkim", "rotate", "rot.test").stdout
        second = parse_records(out)
        self.assertEqual(len(second), 2)
        self.assertFalse(set(first) & set(second))
        listing = inst.conf("dkim", "list").stdout
        for name in first:
            self.assertIn("rot.test %s" % name.split(".")[0], listing)
        self.assertEqual(listing.count("rot.test"), 4)
        submit("x@rot.test", "bob@remote.test", "rot-1")
        s = sigs(wait_sink("rot-1"))
        used = sorted(re.search(rb"s=([a-z0-9]+)", x).group(1).decode() for x in s)
        self.assertEqual(used, sorted(n.split(".")[0] for n in second))
        old = sorted(first)[0].split(".")[0]
        inst.conf("dkim", "del", "rot.test", old)
        self.assertNotIn("rot.test %s " % old, inst.conf("dkim", "list").stdout)
        cur = sorted(second)[0].split(".")[0]
        self.assertEqual(inst.conf("dkim", "del", "rot.test", cur, check=False).returncode, 1)
        inst.conf("dkim", "del", "rot.test")
        self.assertNotIn("rot.test", inst.conf("dkim", "list").stdout)
        submit("x@rot.test", "bob@remote.test", "rot-2")
        self.assertEqual(sigs(wait_sink("rot-2")), [])


if __name__ == "__main__":
    unittest.main()
