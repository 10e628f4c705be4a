"""A throwaway Postfix instance for the side-by-side benchmark.

Debian's Postfix (/usr/sbin/postfix) runs from its own directory tree made
here: config and meta directory, queue directory, data directory and a
virtual Maildir base, all under one temp dir.  It listens on a 127.x.y.z
address and port picked at run time and checked free, and delivers mail for
one virtual domain into Maildirs with the virtual(8) agent, as an
unprivileged uid.  Optionally (the arguments below) STARTTLS with a given
certificate, more mailboxes, and one relay domain whose mail goes over SMTP
to a sink on loopback (transport_maps to [IP]:PORT; the smtp transport is
in defer_transports, so that mail waits until release_remote() flushes it).
Nothing else is configured: no filters, no content checks, no other SMTP
destination (default and relay transports are `error`), no DNS (smtpd does
no peer name lookups, DNS support disabled), logs into a file in the temp
dir, not syslog.

Every postfix command is run with `-c DIR` and MAIL_CONFIG=DIR, so the
system's /etc/postfix instance is never started, stopped or changed (its
files are only read: none of them, except the programs).

    pf = Postfix("bench.test", "user", extra_users=("2user",),
                 tls=(certfile, keyfile), remote=("remote.test", ip, port))
    pf.start(); pf.ip, pf.port, pf.maildir, pf.master_pid()
    pf.rcpt_maildirs(n)     # Maildirs of user, 2user ... nuser
    pf.queue_count()        # messages still in incoming/active/deferred
    pf.held_count(); pf.release_remote()   # the remote domain's held mail
    pf.stop(); pf.cleanup() # stop + remove the temp dir (idempotent)

Must run as root (the queue belongs to the postfix user).  Failures raise
RuntimeError with the command's output.
"""
import os
import pwd
import re
import shlex
import grp
import shutil
import signal
import subprocess
import tempfile
import time

import harness

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
DELIVERY_USER = "nobody"        # virtual mailbox owner (not root, not postfix)
DIR_PREFIX = "bench-postfix-"
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")

# Services a queue-and-deliver-locally Postfix needs; nothing that talks
# SMTP outward.  No chroot (the chroot would need copies of /etc files).
MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
{listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
smtp      unix  -       -       n       -       -       smtp
"""


class Postfix:
    name = "Postfix"
    smtpd_comm = "smtpd"        # the per-connection SMTP server processes

    def __init__(self, domain, user, tmpdir=None, extra_users=(), tls=None, remote=None):
        """extra_users: more local parts with a Maildir each (the 10-recipient
        runs); tls: (certfile, keyfile) for STARTTLS; remote: (domain, ip,
        port) relayed over SMTP to that sink, held until flush_remote()."""
        self.domain = domain
        self.user = user
        self.address = "%s@%s" % (user, domain)
        self.extra_users = tuple(extra_users)
        self.tls = tls
        self.remote = remote
        self.remote_domain = remote[0] if remote else None
        self.dir = tempfile.mkdtemp(prefix="%s%d-" % (DIR_PREFIX, os.getpid()), dir=tmpdir)
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "conf")
        self.spool = os.path.join(self.dir, "spool")
        self.data = os.path.join(self.dir, "data")
        self.vmail = os.path.join(self.dir, "vmail")
        self.maildir = os.path.join(self.vmail, domain, user, "Maildir")
        self.maillog = os.path.join(self.dir, "maillog")
        self.ip = harness.pick_ip()
        self.port = harness.free_port(self.ip)
        self.env = dict(os.environ, MAIL_CONFIG=self.conf)
        self.started = False
        self._write_config()

    # -- setup -----------------------------------------------------------
    def _write_config(self):
        pw = pwd.getpwnam(DELIVERY_USER)
        for d in (self.conf, self.spool, self.vmail):
            os.mkdir(d, 0o755)
        os.mkdir(self.data, 0o700)
        os.chown(self.data, pwd.getpwnam("postfix").pw_uid, grp.getgrnam("postfix").gr_gid)
        os.chown(self.vmail, pw.pw_uid, pw.pw_gid)
        # postfix-files and dynamicmaps.cf are read from meta_directory: use
        # private copies so that nothing of /etc/postfix is involved at all.
        for name in ("postfix-files", "dynamicmaps.cf"):
            src = os.path.join("/etc/postfix", name)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.conf, name))
        for name in ("postfix-files.d", "dynamicmaps.cf.d"):
            os.mkdir(os.path.join(self.conf, name), 0o755)
        vmap = os.path.join(self.conf, "vmailbox")
        with open(vmap, "w") as f:
            for u in (self.user,) + self.extra_users:
                f.write("%s@%s %s/%s/Maildir/\n" % (u, self.domain, self.domain, u))
        main = {
            "compatibility_level": "3.6",
            "config_directory": self.conf,
            "meta_directory": self.conf,
            "queue_directory": self.spool,
            "data_directory": self.data,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "postfix.bench.test",
            "mydomain": "bench.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            # Postfix wants inet_interfaces configured on an interface;
            # 127.0.0.1 always is.  The one listener binds the picked
            # address explicitly in master.cf; nothing else listens.
            "inet_interfaces": "127.0.0.1",
            "proxy_interfaces": self.ip,
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "relayhost": "",
            "default_transport": "error:benchmark sends nothing off loopback",
            "relay_transport": "error:benchmark sends nothing off loopback",
            "disable_dns_lookups": "yes",
            "smtp_dns_support_level": "disabled",
            "smtpd_peername_lookup": "no",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            "virtual_mailbox_domains": self.domain,
            "virtual_mailbox_maps": "texthash:" + vmap,
            "virtual_mailbox_base": self.vmail,
            "virtual_uid_maps": "static:%d" % pw.pw_uid,
            "virtual_gid_maps": "static:%d" % pw.pw_gid,
            "virtual_minimum_uid": "1",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_client_restrictions": "",
            "smtpd_helo_restrictions": "",
            "smtpd_sender_restrictions": "",
            "smtpd_data_restrictions": "",
            "header_checks": "",
            "body_checks": "",
            "content_filter": "",
            "smtpd_milters": "",
            "non_smtpd_milters": "",
            "receive_override_options": "",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.dir,
            "smtputf8_enable": "no",
        }
        if self.tls:
            # the same certificate and key as sluice's (bench.py makes them);
            # read by smtpd as root before it drops privileges
            for src, name in zip(self.tls, ("cert.pem", "key.pem")):
                dst = os.path.join(self.conf, name)
                shutil.copy(src, dst)
                os.chmod(dst, 0o644 if name == "cert.pem" else 0o600)
            main.update({
                "smtpd_tls_security_level": "may",
                "smtpd_tls_cert_file": os.path.join(self.conf, "cert.pem"),
                "smtpd_tls_key_file": os.path.join(self.conf, "key.pem"),
                "smtpd_tls_loglevel": "0",
            })
        if self.remote:
            # one relay domain sent over SMTP to a sink on loopback; its
            # transport is deferred (held) until flush_remote()
            rdomain, rip, rport = self.remote
            tmap = os.path.join(self.conf, "transport")
            with open(tmap, "w") as f:
                f.write("%s smtp:[%s]:%d\n" % (rdomain, rip, rport))
            main.update({
                "relay_domains": rdomain,
                "transport_maps": "texthash:" + tmap,
                "defer_transports": "smtp",
                "smtp_tls_security_level": "none",
                "smtp_host_lookup": "native",
            })
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(listen="%s:%d" % (self.ip, self.port)))

    def _postfix(self, *args, timeout=60):
        # postfix(1) prints its errors only to a terminal (else to the log
        # service, which is not running when start fails): give it one.
        cmd = " ".join(shlex.quote(a) for a in [POSTFIX, "-c", self.conf] + list(args))
        p = subprocess.run(["script", "-qec", cmd, "/dev/null"], env=self.env,
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise RuntimeError("postfix %s failed (%d): %s%s" % (" ".join(args), p.returncode,
                                                                  p.stdout, p.stderr))
        return p

    def version(self):
        p = subprocess.run([POSTCONF, "-c", self.conf, "-h", "mail_version"], env=self.env,
                           capture_output=True, text=True, timeout=20)
        return p.stdout.strip() or "?"

    # -- running -----------------------------------------------------------
    def start(self, timeout=30.0):
        """Start master (it daemonizes) and wait until smtpd's port answers."""
        self._postfix("start")
        self.started = True
        harness.wait_port(self.ip, self.port, timeout)

    def master_pid(self):
        try:
            with open(os.path.join(self.spool, "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _alive(pid) else None

    def queue_count(self):
        """Queue files not yet delivered and removed."""
        n = 0
        for q in QUEUES:
            for _, _, files in os.walk(os.path.join(self.spool, q)):
                n += len(files)
        return n

    def rcpt_maildirs(self, n):
        """Maildirs of USER, 2USER ... nUSER (smtp-source -r n's recipients)."""
        return [os.path.join(self.vmail, self.domain, "%s%s" % ("" if i == 1 else i, self.user),
                             "Maildir") for i in range(1, n + 1)]

    def hold_remote(self):
        """Nothing to do: the remote transport is held until flushed."""

    def held_count(self):
        """Messages waiting in the deferred queue."""
        return sum(len(files) for _, _, files in os.walk(os.path.join(self.spool, "deferred")))

    def release_remote(self):
        """Send the held messages now (postqueue -f)."""
        subprocess.run(["/usr/sbin/postqueue", "-c", self.conf, "-f"], check=True, env=self.env,
                       timeout=60, capture_output=True, stdin=subprocess.DEVNULL)

    def log_tail(self, lines=20):
        try:
            with open(self.maillog, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def log_problems(self):
        """Log lines that say something went wrong: warnings, errors,
        rejections, mail not delivered, or a relay other than virtual."""
        bad = re.compile(r"warning:|fatal:|panic:|error:|reject:|status=(?!sent)|"
                         r"relay=(?!virtual,|127\.)")
        held = "status=deferred (deferred transport)"      # the remote drain's hold
        try:
            with open(self.maillog, errors="replace") as f:
                return [line.rstrip("\n") for line in f if bad.search(line) and held not in line]
        except OSError:
            return []

    def stop(self, timeout=20.0):
        """postfix stop, then make sure master and all its children are gone."""
        if not self.started:
            return
        self.started = False
        pid = self.master_pid()
        try:
            self._postfix("stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        deadline = time.time() + timeout
        while pid and _alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        if pid and _alive(pid):
            # master is a process group leader: take the whole group down
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(pid, sig)
                except ProcessLookupError:
                    break
                time.sleep(0.5)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def reap_stale_dirs(tmpdir=None):
    """Remove the temp dirs of bench runs that died (their PID is gone);
    run lib_cpu.reap_stale() first so that their processes are gone."""
    tmpdir = tmpdir or tempfile.gettempdir()
    for name in os.listdir(tmpdir):
        if not name.startswith(DIR_PREFIX):
            continue
        try:
            owner = int(name[len(DIR_PREFIX):].split("-", 1)[0])
        except ValueError:
            continue
        if not os.path.exists("/proc/%d" % owner):
            shutil.rmtree(os.path.join(tmpdir, name), ignore_errors=True)


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
