"""Helpers for the queue tests: a throwaway instance whose queue service
(sluice-start -> sluice-send) runs as a child of the test, with the fake
delivery program of fakedeliver.py in place of sluice-local and
sluice-remote (SLUICE_TEST_LOCAL / SLUICE_TEST_REMOTE of sluice-start-test,
the test build of sluice-start: queue/qstart.h), so the manager can
be signalled and killed by pid.

    q = QueueInstance()            # a harness.Root: sluice-conf init,
                                   # nothing running, no listeners
    q.set("retrymin", 10)          # sluice-conf set
    q.start()                      # sluice-start, as root or as we are
    q.inject(b"Subject: x\\n\\nhi\\n", "a@b.test", ["c@d.test"]) -> exit code
    q.delivered()                  # [(kind, qid, rcpt, sender)]
    q.wait(lambda: ..., timeout)
    q.queued()                     # ids of messages in mess/
    q.kill_send(); q.stop(); q.cleanup()
"""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ME = "mail.example.test"


def envelope(sender, rcpts):
    return b"F" + sender.encode() + b"\0" + b"".join(b"T" + r.encode() + b"\0" for r in rcpts) + b"\0"


def _feed(fd, data):
    try:
        os.write(fd, data)
    except OSError:
        pass
    finally:
        os.close(fd)


class QueueInstance:
    def __init__(self):
        self.inst = harness.Root(me=ME, prefix="sluice-q-")
        self.root = self.inst.root
        self.fake = self.path("fake")
        for d in ("", "attempts", "mail"):
            os.makedirs(os.path.join(self.fake, d), exist_ok=True)
            os.chmod(os.path.join(self.fake, d), 0o777)
        self.fakeprog = self.path("fakedeliver.py")
        shutil.copy(os.path.join(HERE, "fakedeliver.py"), self.fakeprog)
        os.chmod(self.fakeprog, 0o755)
        self.env = dict(os.environ, SLUICE_ROOT=self.root, FAKE_DIR=self.fake,
                        SLUICE_TEST_LOCAL=self.fakeprog, SLUICE_TEST_REMOTE=self.fakeprog)
        self.proc = None
        self.old_groups = []
        self.logf = self.path("send.log")

    def path(self, *p):
        return os.path.join(self.root, *p)

    def set(self, key, value):
        self.inst.set(key, value)

    # -- the service -----------------------------------------------------
    def start(self):
        n = self.log().count("started with")
        log = open(self.logf, "ab")
        self.proc = subprocess.Popen([harness.prog("sluice-start-test")], env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log, start_new_session=True,
                                     cwd="/")
        log.close()
        self.wait(lambda: self.log().count("started with") > n, 30, "sluice-send to start")

    def prepare(self):
        """Start and stop the service once, as an administrator would after
        sluice-conf init: sluice-start makes the queue layout."""
        self.start()
        self.stop()

    def log(self):
        try:
            with open(self.logf, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill_send(self):
        """kill -9 sluice-send alone, as a crash would: its keeper and the
        delivery programs finish on their own (a restart may overlap)."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.old_groups.append(self.proc.pid)
        self.proc = None

    @staticmethod
    def _reap_group(pgid):
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self):
        if self.proc:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            self._reap_group(self.proc.pid)
            self.proc = None
        for g in self.old_groups:
            self._reap_group(g)
        self.old_groups = []

    def cleanup(self):
        self.stop()
        self.inst.cleanup()

    # -- injection and checks -------------------------------------------
    def run(self, name, *args, input=b"", env=None, pass_fds=(), stdout=None, timeout=30):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.run([harness.prog(name)] + list(args), input=input, env=e,
                              stdout=stdout if stdout is not None else subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout, pass_fds=pass_fds)

    def inject_raw(self, msg, env_bytes, extra_env=None):
        """sluice-queue with msg on fd 0 and env_bytes on fd 1; (rc, stderr)."""
        r, w = os.pipe()
        t = threading.Thread(target=_feed, args=(w, env_bytes))
        t.start()
        e = dict(self.env)
        e.update(extra_env or {})
        try:
            p = subprocess.run([harness.prog("sluice-queue")], input=msg, stdout=r, stderr=subprocess.PIPE,
                               env=e, timeout=30)
        finally:
            os.close(r)
            t.join(10)
        return p.returncode, p.stderr.decode(errors="replace")

    def inject(self, msg, sender, rcpts):
        return self.inject_raw(msg, envelope(sender, rcpts))[0]

    def delivered(self):
        try:
            with open(os.path.join(self.fake, "delivered")) as f:
                return [tuple(line.split()) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def mail(self, rcpt):
        d = os.path.join(self.fake, "mail", rcpt)
        if not os.path.isdir(d):
            return []
        out = []
        for n in sorted(x for x in os.listdir(d) if not x.startswith(".")):
            with open(os.path.join(d, n), "rb") as f:
                out.append(f.read())
        return out

    def queued(self):
        out = []
        mess = self.path("queue", "mess")
        if os.path.isdir(mess):
            for b in os.listdir(mess):
                out += os.listdir(os.path.join(mess, b))
        return out

    def wait(self, pred, timeout=20, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = pred()
            if v:
                return v
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s\n--- log ---\n%s" % (what, self.log()[-3000:]))
