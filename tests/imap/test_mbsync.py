"""A real IMAP client downloads a mailbox over TLS: mbsync (isync) pulls
alice's INBOX and Sent from the instance's Dovecot on the IMAPS port into
a local Maildir, and the messages are the delivered bytes.  mbsync checks
a certificate against the host name it dials, so the TLS is made by
`openssl s_client` (its Tunnel), which verifies the instance certificate
and its name mail.example.test."""
import imaplib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imaputil  # noqa: E402

SKIP = imaputil.skip_reason() or (None if imaputil.have("mbsync") else "isync (mbsync) is not installed")
ALICE = "alice@example.test"


@unittest.skipIf(SKIP, SKIP)
class TestMbsync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = imaputil.start()

    @classmethod
    def tearDownClass(cls):
        cls.inst.cleanup()

    def test_mbsync_downloads_the_mailbox(self):
        subjects = ["mbsync one", "mbsync two", "mbsync three"]
        stored = {}
        for s in subjects:
            imaputil.send(self.inst, ALICE, s, "body of %s\n" % s)
        for s in subjects:
            with open(imaputil.maildir_file(self.inst, ALICE, s), "rb") as f:
                stored[s] = f.read()
        m = imaplib.IMAP4_SSL(self.inst.ip, self.inst.ports["imaps"],
                              ssl_context=imaputil.tls_context(self.inst), timeout=60)
        m.login(ALICE, imaputil.USERS[ALICE])
        m.append("Sent", None, None, b"From: alice@example.test\r\nSubject: kept in sent\r\n\r\nx\r\n")
        m.logout()

        work = tempfile.mkdtemp(prefix="sluice-mbsync-")
        self.addCleanup(shutil.rmtree, work, True)
        local = os.path.join(work, "mail")
        os.makedirs(local)
        rc = os.path.join(work, "mbsyncrc")
        tunnel = ("openssl s_client -quiet -connect %s:%d -CAfile %s -verify_return_error "
                  "-verify_hostname %s" % (self.inst.ip, self.inst.ports["imaps"],
                                           self.inst.path("tls", "cert.pem"), imaputil.ME))
        with open(rc, "w") as f:
            f.write('IMAPAccount sluice\nTunnel "%s"\nUser %s\nPass "%s"\n'
                    "AuthMechs LOGIN\nSSLType None\n\n"
                    "IMAPStore remote\nAccount sluice\n\n"
                    "MaildirStore local\nPath %s/\nInbox %s/INBOX\nSubFolders Verbatim\n\n"
                    "Channel pull\nFar :remote:\nNear :local:\nPatterns INBOX Sent\n"
                    "Create Near\nSync Pull\nSyncState *\n"
                    % (tunnel, ALICE, imaputil.USERS[ALICE], local, local))
        p = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, text=True,
                           timeout=180, cwd=work)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        got = {}
        for box in ("INBOX", "Sent"):
            for sub in ("new", "cur"):
                d = os.path.join(local, box, sub)
                for n in os.listdir(d) if os.path.isdir(d) else ():
                    with open(os.path.join(d, n), "rb") as f:
                        got.setdefault(box, []).append(f.read())
        for s in subjects:
            # mbsync adds its own X-TUID header locally
            self.assertIn(stored[s], [re.sub(rb"X-TUID: [^\n]*\n", b"", g.replace(b"\r\n", b"\n"))
                                      for g in got.get("INBOX", [])], s)
        self.assertTrue(any(b"Subject: kept in sent" in g for g in got.get("Sent", [])), got.keys())


if __name__ == "__main__":
    unittest.main()
