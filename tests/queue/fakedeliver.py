#!/usr/bin/python3
"""A fake delivery program for the queue tests: it speaks the job protocol
of lib/job.h on fd 0 (a SOCK_SEQPACKET socket, the message arriving as a
descriptor) exactly as sluice-local and sluice-remote do, and forks one
child per job.  sluice-start-test (the test build of sluice-start) runs it
instead of the real programs when SLUICE_TEST_LOCAL / SLUICE_TEST_REMOTE
name it.

What it does with a recipient depends on the local part:
  perm...      permanent failure (D 5.1.1; remote jobs name a remote MTA)
  temp...      temporary failure (Z 4.2.2) on the first attempt, then ok
  always...    temporary failure every time
  longtemp...  temporary failure every time, with a 900-byte text
  slow...      ok after FAKE_SLOW seconds (default 0.05)
  anything     ok
A delivery appends "KIND QID RCPT SENDER\n" to $FAKE_DIR/delivered (one
write, O_APPEND) and stores the message in $FAKE_DIR/mail/RCPT/N.  Before
that commit it checks that the manager is still there (the socket not hung
up), as a real delivery program should, so a killed manager means "not
delivered" rather than "delivered but unrecorded".  Start and end times of
jobs go to $FAKE_DIR/jobs for the concurrency checks.
With FAKE_FORGE set, it plays a compromised sluice-remote: before each
remote job's own result it sends forged results ("D5.1.1 forged") for
every lower job id, and for its own job's recipients past the last.
"""
import os
import select
import signal
import socket
import sys
import time

FAKE = os.environ["FAKE_DIR"]


def attempts(qid, rcpt):
    """Count this attempt; return how many there were before it."""
    path = os.path.join(FAKE, "attempts", "%s-%s" % (qid, rcpt.replace("/", "_")))
    n = 0
    try:
        with open(path) as f:
            n = int(f.read() or "0")
    except FileNotFoundError:
        pass
    with open(path, "w") as f:
        f.write(str(n + 1))
    return n


def append(name, line):
    fd = os.open(os.path.join(FAKE, name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    os.write(fd, line.encode())
    os.close(fd)


def manager_alive(sock):
    p = select.poll()
    p.register(sock.fileno(), select.POLLHUP | select.POLLRDHUP)
    return not p.poll(0)


def store(rcpt, data):
    d = os.path.join(FAKE, "mail", rcpt.replace("/", "_"))
    os.makedirs(d, exist_ok=True)
    n = len(os.listdir(d))
    tmp = os.path.join(d, ".tmp.%d" % os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(d, "%d.%d" % (n, os.getpid())))


def deliver_one(sock, kind, qid, sender, rcpt, data):
    local = rcpt.split("@")[0].lower()
    said = "mx.remote.test[127.0.0.1] said: " if kind == "R" else ""
    if local.startswith("perm"):
        return "D5.1.1 %s550 5.1.1 no such user here" % said
    if local.startswith("longtemp"):
        return "Z4.2.2 %s452 4.2.2 mailbox full %s" % (said, "l" * 900)
    if local.startswith("always"):
        attempts(qid, rcpt)
        return "Z4.2.2 %s452 4.2.2 mailbox full" % said
    if local.startswith("temp") and attempts(qid, rcpt) == 0:
        return "Z4.2.2 %s452 4.2.2 mailbox full, try later" % said
    if local.startswith("slow"):
        time.sleep(float(os.environ.get("FAKE_SLOW", "0.05")))
    if not manager_alive(sock):
        os._exit(0)
    store(rcpt, data)
    append("delivered", "%s %s %s %s\n" % (kind, qid, rcpt, sender or "<>"))
    return "K2.0.0 delivered to %s" % rcpt


def job(sock, pkt, fd):
    f = pkt.split(b"\0")
    assert f[0] == b"J1", f[0]
    jid, qid, kind, sender = f[1].decode(), f[2].decode(), f[3].decode(), f[4].decode()
    offset, length = int(f[6]), int(f[7])
    rcpts = [x.decode() for x in f[9:] if x]
    data = os.pread(fd, length, offset)
    os.close(fd)
    append("jobs", "start %s %s %f %d\n" % (kind, qid, time.time(), len(rcpts)))
    if kind == "R" and os.environ.get("FAKE_FORGE"):
        for other in range(1, int(jid)):
            sock.send(b"R1\0" + str(other).encode() + b"\0" + b"0\0D5.1.1 forged\0")
        sock.send(b"R1\0%s\0%d\0D5.1.1 forged\0" % (jid.encode(), len(rcpts)))
    res = []
    for r in rcpts:
        res.append(deliver_one(sock, kind, qid, sender, r, data).encode())
    append("jobs", "end %s %s %f\n" % (kind, qid, time.time()))
    send_result(sock, jid, res)


def send_result(sock, jid, statuses):
    """As lib/job.c does: packets of at most 128 KiB, each saying which
    recipient its first status is for."""
    first = 0
    while first < len(statuses):
        n, size = 0, 32
        while first + n < len(statuses) and (n == 0 or size + len(statuses[first + n]) + 1 <= 131072):
            size += len(statuses[first + n]) + 1
            n += 1
        fields = [b"R1", jid.encode(), str(first).encode()] + statuses[first:first + n]
        sock.send(b"\0".join(fields) + b"\0")
        first += n


def main():
    os.umask(0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    sock = socket.socket(fileno=0)
    while True:
        try:
            pkt, fds, _flags, _addr = socket.recv_fds(sock, 200000, 1)
        except InterruptedError:
            continue
        if not pkt:
            break
        if not fds:
            continue
        if os.fork() == 0:
            try:
                job(sock, pkt, fds[0])
            finally:
                os._exit(0)
        os.close(fds[0])
    sys.exit(0)


if __name__ == "__main__":
    main()
