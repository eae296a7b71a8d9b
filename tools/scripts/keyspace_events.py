#!/usr/bin/env python3
"""Records the keyspace events redis-server emits for command sequences.

Reads a cases file (default core/testdata/keyspace_cases.txt) and writes
core/testdata/keyspace_events.txt, which core's notify tests replay
against corekv's commands and compare event for event.

Cases file: `## name` starts a case (the server is FLUSHALLed first); each
other non-empty line is one command, arguments split on whitespace (so
no argument may hold a space or be empty). Directives:
  @sleep MS     wait MS milliseconds (the test advances its clock by MS)
  @expire KEY   expire KEY if its time has passed: here a TYPE (lazy
                expiry), in the test corekv's COREKV.EXPIREIF (active
                expiry's apply)

Output: the same lines, each command followed by the events it emitted,
indented: `  <event> <key>`. Active expiry is off (DEBUG
SET-ACTIVE-EXPIRE 0) so events come only from the commands.

Usage: tools/scripts/keyspace_events.py [CASES] [OUT]
Needs redis-server 7.0.15 on PATH (started here on a free port).
"""
import os
import socket
import subprocess
import sys
import time


def enc(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.s.recv(65536)
        d, self.buf = self.buf[:n], self.buf[n + 2:]
        return d

    def reply(self):
        l = self.line()
        t, rest = l[:1], l[1:]
        if t in (b"+", b"-", b":"):
            return l
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError(l)

    def cmd(self, *args):
        self.s.sendall(enc(args))
        return self.reply()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cases = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "core/testdata/keyspace_cases.txt")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "core/testdata/keyspace_events.txt")
    port = free_port()
    srv = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
         "--notify-keyspace-events", "KEAn", "--enable-debug-command", "yes"],
        stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                c = Conn(port)
                break
            except OSError:
                time.sleep(0.05)
        sub = Conn(port)
        sub.cmd("PSUBSCRIBE", "__keyevent@*__:*")
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        marker = "__keyevent@0__:zz-marker"
        lines = []
        for raw in open(cases):
            l = raw.rstrip("\n")
            if not l.strip() or l.startswith("#") and not l.startswith("##"):
                lines.append(l)
                continue
            if l.startswith("##"):
                c.cmd("FLUSHALL")
                lines.append(l)
                continue
            args = l.split()
            if args[0] == "@sleep":
                time.sleep(int(args[1]) / 1000.0 + 0.002)
                lines.append(l)
                continue
            if args[0] == "@expire":
                c.cmd("TYPE", args[1])
            else:
                r = c.cmd(*args)
            lines.append(l)
            c.cmd("PUBLISH", marker, "end")
            while True:
                m = sub.reply()
                ch, payload = m[2].decode(), m[3].decode()
                if ch == marker:
                    break
                lines.append("  %s %s" % (ch.split(":", 1)[1], payload))
        with open(out, "w") as f:
            f.write("# Recorded by tools/scripts/keyspace_events.py from redis-server "
                    "7.0.15 (notify-keyspace-events KEAn); do not edit, edit "
                    "keyspace_cases.txt and rerun.\n")
            f.write("\n".join(lines) + "\n")
    finally:
        srv.terminate()
        srv.wait()


main()
