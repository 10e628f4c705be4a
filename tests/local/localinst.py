"""A minimal instance for sluice-local tests.

The root is a harness.Root: made by the real `sluice-conf init`, with
domains, users (without passwords: sluice-local needs none) and aliases
added through sluice-conf, so sluice-local reads the files production
writes.  Runs bin/sluice-local in one-shot mode (`-1 L SENDER "" RCPT`)
or in spawner mode over a SOCK_SEQPACKET socketpair, the way sluice-start
does.  Scratch files (messages, capture programs) live in inst.tmp,
outside the root.

Users: run as root, sluice-local switches to sluicev itself (the owner
sluice-conf gives the mailboxes, inst.uid and inst.gid); otherwise
everything runs as we are.
"""
import mailbox
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402


class LocalInstance(harness.Root):
    def __init__(self):
        super().__init__(prefix="sluice-local-")
        self.tmp = tempfile.mkdtemp(prefix="sluice-local-tmp-")
        os.chmod(self.tmp, 0o755)
        self.uid, self.gid = self.owner()
        self.env.pop("QMAILQUEUE", None)
        # forwards keep their envelope sender here (init turns SRS on;
        # tests/local/test_srs.py tests it)
        self.set("srssecret", "")
        self.procs = []

    # -- configuration ---------------------------------------------------
    def add_user(self, address, quota=0):
        """A user without a password (sluice-conf user add --nologin);
        returns the home directory."""
        super().add_user(address, None, quota or None)
        return self.home(address)

    def write(self):
        """Nothing to do: sluice-conf has compiled each change already."""

    def chown(self, top):
        """Give what a test made under top to the mailbox owner."""
        for dirpath, dirs, files in os.walk(top):
            for n in [dirpath] + [os.path.join(dirpath, f) for f in files + dirs]:
                if os.geteuid() == 0:
                    os.lchown(n, self.uid, self.gid)

    def write_file(self, path, text, mode=0o644):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        self.chown(os.path.dirname(path))

    def maildir(self, path):
        """The Maildir at path (a directory here, not an address as in
        harness.Root) as a mailbox.Maildir."""
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
        return {"env": self.env}

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
        super().cleanup()


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
