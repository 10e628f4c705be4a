"""Load, bounded: 500 concurrent SMTP sessions held open while mail still
flows, and 200 idle connections that never speak are timed out without
hurting anyone else.  Loopback only."""
import socket
import smtplib
import time
import unittest

import harness


def setUpModule():
    global inst
    inst = harness.Instance()
    inst.conf("domain", "add", "example.test")
    inst.add_user("bob@example.test", "bob-pw-123")
    inst.set("concurrencyincoming", 800)
    inst.set("smtpgreetdelay", 0)
    # every session comes from this one client address: no per-IP limit
    inst.set("maxconnip", 0)
    inst.start()


def tearDownModule():
    inst.cleanup()


def open_many(n, read_greeting):
    socks = []
    for _ in range(n):
        s = socket.create_connection((inst.ip, inst.ports["smtp"]), timeout=30)
        socks.append(s)
    if read_greeting:
        for s in socks:
            data = s.recv(512)
            assert data.startswith(b"220"), data
    return socks


def send(n, tag):
    for i in range(n):
        with smtplib.SMTP(inst.ip, inst.ports["smtp"], timeout=30) as c:
            c.sendmail("load@elsewhere.test", ["bob@example.test"],
                       b"Subject: %s-%d\r\n\r\nunder load\r\n" % (tag.encode(), i))


class Load(unittest.TestCase):
    def test_500_sessions_held_while_mail_flows(self):
        inst.set("timeoutsmtpd", 300)
        socks = open_many(500, read_greeting=True)
        try:
            # every held session is alive and answers
            for s in socks[::50]:
                s.sendall(b"NOOP\r\n")
                reply = s.recv(512)
                self.assertTrue(reply.startswith(b"250"), reply)
            before = len(inst.messages("bob@example.test"))
            send(20, "held")
            msgs = inst.wait_mail("bob@example.test", before + 20, 60)
            self.assertEqual(len([m for m in msgs if m["subject"].startswith("held-")]), 20)
        finally:
            for s in socks:
                s.close()

    def test_200_idle_connections_time_out(self):
        inst.set("timeoutsmtpd", 5)     # read by each new session
        socks = open_many(200, read_greeting=False)
        try:
            start = time.time()
            before = len(inst.messages("bob@example.test"))
            send(5, "idle")
            inst.wait_mail("bob@example.test", before + 5, 60)
            closed = 0
            for s in socks:
                s.settimeout(max(1, 25 - (time.time() - start)))
                try:
                    data = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    closed += 1
                    self.assertTrue(data.startswith(b"220"), data[:100])
                except socket.timeout:
                    pass
            self.assertEqual(closed, 200, "every idle connection was closed by the server")
            self.assertLess(time.time() - start, 25)
            # and the server still serves new clients
            send(1, "after-idle")
        finally:
            for s in socks:
                s.close()


if __name__ == "__main__":
    unittest.main()
