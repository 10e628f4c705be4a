"""A minimal instance for sluice-local tests, built without sluice-conf.

Writes control/domains.cdb, users/users.cdb and users/aliases.cdb in
userdb.h's formats with tinycdb's `cdb -c`, and runs bin/sluice-local in
one-shot mode (`-1 L SENDER "" RCPT`) or in spawner mode over a
SOCK_SEQPACKET socketpair, the way sluice-start does.

Users: run as root, sluice-local switches to sluicev itself; when the
sluicev user does not exist yet, the tests run it as `nobody` instead.
The instance's files are given to that user.
"""
import mailbox
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402


def run_user():
    """(name, uid, gid, run_as_root): who sluice-local runs as."""
    if os.geteuid() != 0:
        return (pwd.getpwuid(os.geteuid()).pw_name, os.geteuid(), os.getegid(), False)
    for name, as_root in (("sluicev", True), ("nobody", False)):
        try:
            pw = pwd.getpwnam(name)
            return (name, pw.pw_uid, pw.pw_gid, as_root)
        except KeyError:
            pass
    raise RuntimeError("no sluicev and no nobody user")


def cdb_make(path, items):
    """Write a cdb of (bytes key, bytes value) pairs with tinycdb's cdb -c."""
    data = b"".join(b"+%d,%d:%s->%s\n" % (len(k), len(v), k, v) for k, v in items) + b"\n"
    subprocess.run(["cdb", "-c", path], input=data, check=True, timeout=30)


class LocalInstance:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-local-")
        os.chmod(self.tmp, 0o755)
        self.root = os.path.join(self.tmp, "root")
        for d in ("control", "users", "mail"):
            os.makedirs(os.path.join(self.root, d))
        self.user, self.uid, self.gid, self.as_root = run_user()
        self.domains = {}
        self.users = {}
        self.aliases = {}
        self.env = dict(os.environ, SLUICE_ROOT=self.root)
        self.env.pop("QMAILQUEUE", None)
        self.procs = []

    # -- configuration ---------------------------------------------------
    def add_domain(self, domain, programs=False):
        self.domains[domain] = b"programs" if programs else b""

    def add_user(self, address, quota=0, home=None):
        local, domain = address.split("@")
        home = home or os.path.join(self.root, "mail", domain, local)
        self.users[address] = (home, quota)
        return home

    def add_alias(self, key, *targets):
        self.aliases[key] = targets

    def set(self, key, value):
        with open(os.path.join(self.root, "control", key), "w") as f:
            f.write("%s\n" % value)

    def write(self):
        """Compile the cdb files and give the tree to the delivery user."""
        cdb_make(os.path.join(self.root, "control", "domains.cdb"),
                 [(d.encode(), o) for d, o in self.domains.items()])
        cdb_make(os.path.join(self.root, "users", "users.cdb"),
                 [(a.encode(), b"!\0%s\0%d\0%d\0%d" % (h.encode(), q, self.uid, self.gid))
                  for a, (h, q) in self.users.items()])
        cdb_make(os.path.join(self.root, "users", "aliases.cdb"),
                 [(k.encode(), b"\0".join(t.encode() for t in ts)) for k, ts in self.aliases.items()])
        self.chown()

    def chown(self, top=None):
        for dirpath, dirs, files in os.walk(top or self.root):
            for n in [dirpath] + [os.path.join(dirpath, f) for f in files + dirs]:
                if os.geteuid() == 0:
                    os.lchown(n, self.uid, self.gid)

    def home(self, address):
        return self.users[address][0]

    def write_file(self, path, text, mode=0o644):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        self.chown(os.path.dirname(path))

    def maildir(self, path):
        return mailbox.Maildir(path, factory=None, create=False)

    def inbox(self, address):
        return self.maildir(os.path.join(self.home(address), "Maildir"))

    def count(self, address):
        """Messages in the user's inbox (0 when the Maildir does not exist)."""
        path = os.path.join(self.home(address), "Maildir")
        return len(self.maildir(path).keys()) if os.path.isdir(path) else 0

    def new_names(self, path):
        d = os.path.join(path, "new")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    # -- running sluice-local --------------------------------------------
    def popen_args(self):
        kw = {"env": self.env}
        if os.geteuid() == 0 and not self.as_root:
            kw["user"] = self.uid
            kw["group"] = self.gid
            kw["extra_groups"] = []
        return kw

    def deliver(self, rcpt, msg, sender="sender@remote.test", env=None, timeout=60):
        """One-shot delivery; returns (exit code, result line, stderr)."""
        if isinstance(msg, str):
            msg = msg.encode()
        kw = self.popen_args()
        if env:
            kw["env"] = dict(kw["env"], **env)
        p = subprocess.run([harness.prog("sluice-local"), "-1", "L", sender, "", rcpt],
                           input=msg, capture_output=True, timeout=timeout, **kw)
        return p.returncode, p.stdout.decode(errors="replace").strip(), p.stderr.decode(errors="replace")

    def spawner(self, env=None):
        return Spawner(self, env)

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Spawner:
    """sluice-local in spawner mode, fed job packets over SOCK_SEQPACKET."""

    def __init__(self, inst, env=None):
        self.inst = inst
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        kw = inst.popen_args()
        if env:
            kw["env"] = dict(kw["env"], **env)
        self.errfile = tempfile.TemporaryFile(dir=inst.tmp)    # a pipe could fill up
        self.proc = subprocess.Popen([harness.prog("sluice-local")], stdin=theirs,
                                     stdout=subprocess.DEVNULL, stderr=self.errfile, **kw)
        inst.procs.append(self.proc)
        theirs.close()
        self.next_id = 1

    def job(self, rcpt, msg, sender="sender@remote.test", arrival=None, prefix=b"", suffix=b"",
            qid="q1"):
        """Send one job (the message inside a file at an offset); returns the id."""
        if isinstance(msg, str):
            msg = msg.encode()
        fd, path = tempfile.mkstemp(dir=self.inst.tmp)
        os.write(fd, prefix + msg + suffix)
        os.unlink(path)
        jid = self.next_id
        self.next_id += 1
        arrival = int(time.time()) if arrival is None else int(arrival)
        fields = [b"J1", b"%d" % jid, qid.encode(), b"L", sender.encode(), b"%d" % arrival,
                  b"%d" % len(prefix), b"%d" % len(msg), b"", rcpt.encode()]
        rdonly = os.open("/proc/self/fd/%d" % fd, os.O_RDONLY)
        os.close(fd)
        socket.send_fds(self.sock, [b"".join(f + b"\0" for f in fields)], [rdonly])
        os.close(rdonly)
        return jid

    def result(self, timeout=30):
        """Next result packet as (id, [status, ...])."""
        self.sock.settimeout(timeout)
        data = self.sock.recv(200000)
        f = data.split(b"\0")
        assert f[0] == b"R1" and f[2] == b"0", data   # one packet: FIRST 0
        return int(f[1]), [x.decode() for x in f[3:-1]]

    def close(self, timeout=30):
        self.sock.close()
        self.proc.wait(timeout)
        self.errfile.seek(0)
        err = self.errfile.read().decode(errors="replace")
        self.errfile.close()
        return self.proc.returncode, err
