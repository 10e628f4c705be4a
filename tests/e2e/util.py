"""Helpers shared by the end-to-end, load and fault tests."""
import os
import signal
import smtplib
import threading
import time


def instance_pids(root, name):
    """PIDs of processes called name whose environment has SLUICE_ROOT=root
    (so tests never touch another instance on this shared machine)."""
    want = ("SLUICE_ROOT=" + root).encode()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                comm = f.read().strip()
            if comm != name[:15]:
                continue
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if want in env and fields[0] != "Z":
                out.append((int(d), int(fields[1])))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return out


def parent_process(root, name):
    """The first process of that name whose parent is not of the same name
    (the spawner, not its per-job children)."""
    procs = instance_pids(root, name)
    pids = {p for p, _ in procs}
    tops = [p for p, pp in procs if pp not in pids]
    return min(tops) if tops else None


def kill9(pid):
    try:
        os.kill(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False


class Flow:
    """A steady flow of numbered messages over SMTP in a thread; records which
    ones got a 250 (acknowledged) and which failed."""

    def __init__(self, ip, port, rcpts, tag, extra_every=0, extra_rcpt=None, pause=0.01):
        self.ip, self.port, self.rcpts, self.tag = ip, port, rcpts, tag
        self.extra_every, self.extra_rcpt, self.pause = extra_every, extra_rcpt, pause
        self.acked, self.failed = [], []
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def message(self, n):
        return ("From: flow@elsewhere.test\r\nTo: %s\r\nSubject: %s-%d\r\n\r\nmessage %d of the flow\r\n"
                % (self.rcpts[0], self.tag, n, n)).encode()

    def run(self):
        n = 0
        while not self.stopping:
            n += 1
            rcpts = list(self.rcpts)
            if self.extra_every and n % self.extra_every == 0:
                rcpts.append(self.extra_rcpt)
            try:
                with smtplib.SMTP(self.ip, self.port, timeout=20) as c:
                    refused = c.sendmail("flow@elsewhere.test", rcpts, self.message(n))
                self.acked.append((n, [r for r in rcpts if r not in refused]))
            except (smtplib.SMTPException, OSError) as e:
                self.failed.append((n, str(e)))
                time.sleep(0.05)
            time.sleep(self.pause)

    def stop(self):
        self.stopping = True
        self.thread.join(60)
