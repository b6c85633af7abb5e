#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A tiny master with literal bytes, for the `ampshare sim slaves` tests.

Usage: sim_slaves_peer.py tcp HOST PORT | pty PATH

Expects the slaves started with --count 3 --car tesla,none,bmw-i3-idle --linkready-ms 1000 and
the defaults (v2, 32 A, trailer FE, IDs 2019/2431/4085). Frames and checksums below were summed
by hand (twc-gen2.md §3). Exits 0 when every check passes.
"""
import os
import select
import socket
import sys
import termios
import time
import tty

H = bytes.fromhex
LINKREADY = {
    "2019": H("c0 fd e2 20 19 59 0c 80 00 00 00 00 00 00 00 00 00 c0 fe"),
    "2431": H("c0 fd e2 24 31 51 0c 80 00 00 00 00 00 00 00 00 14 c0 fe"),
    "4085": H("c0 fd e2 40 85 55 0c 80 00 00 00 00 00 00 00 00 88 c0 fe"),
}
# (heartbeat from master 7777, the reply it must get)
EXCHANGES = [
    # 09 16.00 A to the Tesla: it asks to start, 04, limit echoed, nothing drawn yet.
    (H("c0 fb e0 77 77 20 19 09 06 40 00 00 00 00 00 00 56 c0"),
     H("c0 fd e0 20 19 77 77 04 06 40 00 00 00 00 00 00 51 c0 fe")),
    # keep-alive to the slave without a car: 00, limit 0, actual 0 (twc-gen2.md §5.2).
    (H("c0 fb e0 77 77 24 31 00 00 00 00 00 00 00 00 00 23 c0"),
     H("c0 fd e0 24 31 77 77 00 00 00 00 00 00 00 00 00 23 c0 fe")),
    # a 14-byte (v1-length) 09 6.00 A to the idle i3: answered in its own 16 bytes (§7.5), 03.
    (H("c0 fb e0 77 77 40 85 09 02 58 00 00 00 00 f6 c0"),
     H("c0 fd e0 40 85 77 77 03 02 58 00 00 00 00 00 00 f0 c0 fe")),
]


class Link:
    def __init__(self, argv):
        self.buf = b""
        if argv[0] == "tcp":
            deadline = time.monotonic() + 10
            while True:
                try:
                    self.sock = socket.create_connection((argv[1], int(argv[2])), timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            self.fd = self.sock.fileno()
            self.write = self.sock.sendall
        else:
            self.fd = os.open(argv[1], os.O_RDWR | os.O_NOCTTY)
            tty.setraw(self.fd)
            attrs = termios.tcgetattr(self.fd)
            attrs[4] = attrs[5] = termios.B9600
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
            self.write = lambda b: os.write(self.fd, b)

    def frames(self, timeout):
        """Yields whole wire frames (C0 ... C0 plus the FE trailer) until timeout."""
        deadline = time.monotonic() + timeout
        while True:
            while True:
                start = self.buf.find(b"\xc0")
                end = self.buf.find(b"\xc0", start + 1) if start >= 0 else -1
                if end < 0 or len(self.buf) < end + 2:
                    break
                frame, self.buf = self.buf[start:end + 2], self.buf[end + 2:]
                yield frame
            left = deadline - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                data = os.read(self.fd, 4096)
                if not data:
                    return
                self.buf += data


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    link = Link(sys.argv[1:])
    seen = set()
    for f in link.frames(12):
        for sid, want in LINKREADY.items():
            if f == want:
                seen.add(sid)
            elif f[:5] == want[:5] and f != want:
                fail("linkready %s is %s, want %s" % (sid, f.hex(" "), want.hex(" ")))
        if len(seen) == 3:
            break
    if len(seen) != 3:
        fail("linkreadies seen from %s only" % sorted(seen))
    print("ok: three linkreadies, byte-exact")
    for hb, want in EXCHANGES:
        link.write(hb)
        got = None
        for f in link.frames(3):
            if f[1:3] == b"\xfd\xe0":
                got = f
                break
        if got != want:
            fail("heartbeat %s got %s, want %s" % (hb.hex(" "), got.hex(" ") if got else None,
                                                   want.hex(" ")))
        print("ok: reply " + got.hex(" "))
    # Linked: 2019 stops sending linkready while heartbeats flow (§6.2 step 4).
    for f in link.frames(1.5):
        link.write(EXCHANGES[0][0])
        if f == LINKREADY["2019"]:
            fail("linked slave 2019 still sends linkready")
    print("ok: no linkready from a linked slave")


main()
