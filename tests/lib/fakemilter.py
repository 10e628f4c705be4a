"""A scriptable milter (Sendmail milter protocol 6) on loopback, for tests.

    m = FakeMilter()                      # 127.x.y.z, a free port, a thread
    m.spec                                # "inet:IP:PORT" for `set milters`
    m.eob = [("h", b"X-Test\\0yes\\0"), ("c", b"")]   # replies at end of message
    m.at = {"R": ("r", b"")}              # a reply for a step instead of 'c'
    m.mode = "garbage" | "huge" | "stall" | "close" | ""   (at end of message)
    m.seen                                # per connection: list of (cmd, data)
    m.stop()

Negotiates version 6, asks for header and body changes, and answers every
step (no skipped steps, no "no reply" flags), so a test sees everything
the MTA offers.
"""
import socket
import struct
import threading
import time

import harness


def packet(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd.encode() + data


class FakeMilter:
    def __init__(self):
        self.ip = harness.pick_ip()
        self.port = harness.free_port(self.ip)
        self.spec = "inet:%s:%d" % (self.ip, self.port)
        self.eob = [("c", b"")]
        self.at = {}
        self.mode = ""
        self.actions = 0x01 | 0x02 | 0x10
        self.seen = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.ip, self.port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def stop(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()

    def _serve(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._conn, args=(c,), daemon=True).start()

    def _read(self, c, n):
        buf = b""
        while len(buf) < n:
            d = c.recv(n - len(buf))
            if not d:
                raise EOFError
            buf += d
        return buf

    def _conn(self, c):
        seen = []
        self.seen.append(seen)
        c.settimeout(30)
        try:
            while True:
                n = struct.unpack(">I", self._read(c, 4))[0]
                data = self._read(c, n)
                cmd, body = chr(data[0]), data[1:]
                seen.append((cmd, body))
                if cmd == "O":
                    c.sendall(packet("O", struct.pack(">III", 6, self.actions, 0)))
                elif cmd in ("D", "A"):
                    continue
                elif cmd in ("Q", "K"):
                    return
                elif cmd == "E":
                    self._end(c)
                elif cmd in self.at:
                    r, d = self.at[cmd]
                    c.sendall(packet(r, d))
                else:
                    c.sendall(packet("c"))
        except (EOFError, OSError, socket.timeout):
            pass
        finally:
            c.close()

    def _end(self, c):
        if self.mode == "garbage":
            c.sendall(b"\x00\x00\x00\x05Zjunk")
        elif self.mode == "huge":
            c.sendall(struct.pack(">I", 0x7fffffff) + b"h")
        elif self.mode == "stall":
            time.sleep(60)
        elif self.mode == "close":
            c.close()
        else:
            for cmd, data in self.eob:
                c.sendall(packet(cmd, data))

    # -- what the MTA offered, from the last connection ------------------
    def last(self, cmd):
        return [d for (c, d) in (self.seen[-1] if self.seen else []) if c == cmd]
