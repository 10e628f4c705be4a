"""Shared pieces of the IMAP and webmail tests: why a test must be skipped,
an instance with Dovecot running, TLS contexts that trust the instance's
own certificate, and SMTP delivery through the instance."""
import os
import shutil
import smtplib
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402

ME = "mail.example.test"
USERS = {"alice@example.test": "alice pw 1", "bob@example.test": "bob pw 2"}


def skip_reason(webmail=False):
    """None when Dovecot (and, for webmail, nginx, php-fpm and Roundcube)
    can run here: they need root (own users, privileged mail uid)."""
    if os.geteuid() != 0:
        return ("not root: these tests run Dovecot and Roundcube in a root instance "
                "(mail as sluicev, Roundcube as sluicew), as CI does")
    if not os.access("/usr/sbin/dovecot", os.X_OK):
        return "dovecot-imapd is not installed"
    if webmail:
        for p in ("/usr/sbin/nginx", "/usr/sbin/php-fpm8.2", "/usr/share/roundcube/index.php",
                  "/usr/bin/chromedriver"):
            if not os.path.exists(p):
                return "%s is missing (conf/install-deps.sh installs it)" % p
    return None


def tls_context(inst):
    """Verifies the instance's self-signed certificate and its name."""
    ctx = ssl.create_default_context(cafile=inst.path("tls", "cert.pem"))
    ctx.check_hostname = False    # we dial the IP; the name is checked below
    return ctx


def start(webmail=False, users=USERS):
    names = ("imap", "imaps", "webmail") if webmail else ("imap", "imaps")
    inst = harness.Instance(me=ME, extra_ports=names)
    try:
        inst.conf("domain", "add", "example.test")
        for u, p in users.items():
            inst.add_user(u, p)
        with open(harness.prog("sluice-checkpassword"), "rb") as f:
            if b"__asan_init" in f.read():
                # Dovecot limits its auth process to 256 MB of address
                # space; ASan needs more for its shadow memory
                with open(inst.path("imap", "local.conf"), "w") as f:
                    f.write("service auth {\n  vsz_limit = 0\n}\n")
        inst.start(wait=harness.PORT_NAMES + names, timeout=60)
    except BaseException:
        inst.cleanup()
        raise
    return inst


def send(inst, rcpt, subject, body="hello\n", sender="carol@elsewhere.test"):
    """SMTP on port 25's listener; returns the message text sent."""
    text = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\n%s" % (sender, rcpt, subject,
                                                             body.replace("\n", "\r\n"))
    with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as s:
        s.sendmail(sender, [rcpt], text)
    return text


def maildir_file(inst, user, subject, folder="", timeout=60):
    """Path of the message with this subject in the user's Maildir (or
    its .FOLDER), waiting for it."""
    base = inst.maildir(user)
    if folder:
        base = os.path.join(base, "." + folder)

    def find():
        for sub in ("new", "cur"):
            d = os.path.join(base, sub)
            if not os.path.isdir(d):
                continue
            for n in os.listdir(d):
                p = os.path.join(d, n)
                try:
                    with open(p, "rb") as f:
                        if b"Subject: " + subject.encode() in f.read():
                            return p
                except FileNotFoundError:
                    pass
        return None
    return harness.wait_for(find, timeout, what="%r in %s" % (subject, base))


def have(prog):
    return shutil.which(prog) is not None
