#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Argument checks of every command respite shares with redis-server 7.4.1 (harness.redis74_path;
skipped, saying so, without it), where 7.4 changed 7.0's rules or respite might differ: for each
command, a line its 7.4 documentation allows (built from COMMAND DOCS: every argument, the
optional ones too, one alternative of each choice) on a missing key and on a key of each type,
then that line with each argument in turn replaced by a bad value (empty, a word, negative,
fractional, past 64 bits, infinite, with a blank), one argument less and one more. Both
servers get the same lines, pipelined, after the same FLUSHALL and setup for each command, and
every reply must be byte-equal. Commands that block, change the connection, or answer with
time, randomness or the server's own state are left out; so is LSET of an index past 32 bits on
a small list, where 7.4.1 cuts the index (README: Lists).
"""
import socket
import unittest

from harness import (HOST, SOCK_TIMEOUT, RespConn, RespiteAndRedis, encode, main,
                     redis74_path)
from test_command74 import raw_replies, sample_line

SKIP = {
    # block, or change the connection, the server or every database
    "blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop",
    "xread", "xreadgroup", "wait", "waitaof", "subscribe", "psubscribe", "ssubscribe",
    "unsubscribe", "punsubscribe", "sunsubscribe", "monitor", "quit", "reset", "hello", "auth",
    "select", "multi", "exec", "discard", "watch", "shutdown", "debug", "save", "bgsave",
    "bgrewriteaof", "flushall", "flushdb", "swapdb", "client|kill", "client|reply", "client|pause",
    "client|setname", "client|setinfo", "client|tracking", "client|caching", "client|no-evict",
    "client|no-touch", "client|unblock", "config|set", "config|resetstat", "config|rewrite",
    "function|flush", "function|restore", "script|flush", "script|kill", "function|kill",
    # answer with time, randomness, or the server's own state
    "spop", "srandmember", "hrandfield", "zrandmember", "randomkey", "scan", "time", "lastsave",
    "info", "dbsize", "keys", "command", "command|docs", "command|info", "command|list",
    "command|count", "config|get", "client|list", "client|info", "client|id", "client|getname",
    "object|freq", "object|idletime", "function|stats", "function|dump", "pubsub|numsub",
    "pubsub|channels", "memory|usage", "memory|stats", "memory|doctor", "memory|malloc-stats",
    "echo", "ping", "xadd", "xautoclaim", "xclaim", "xinfo|stream", "xinfo|consumers", "xpending",
    # list subcommands respite lacks (or has) beside 7.4's
    "client|help", "config|help", "command|help",
}
SETUP = [("SET", "s", "abc"), ("SET", "n", "10"), ("RPUSH", "l", "a", "b", "c"),
         ("HSET", "h", "f", "v", "g", "1"), ("SADD", "st", "a", "b"), ("ZADD", "z", "1", "a", "2", "b"),
         ("XADD", "x", "1-1", "f", "v"), ("XGROUP", "CREATE", "x", "g", "0")]
KEYS = ["nokey", "s", "l", "h", "st", "z", "x", "n"]
BAD = ["", "x", "-1", "0", "abc", "1.5", "9223372036854775808", "-9223372036854775808", "inf",
       "4294967296", " 1"]
def lines_of(name, doc):
    parts = name.split("|")
    seen, out = set(), []
    for key in KEYS:
        for alt in range(2):
            base = sample_line(doc.get(b"arguments", []), alt, key)
            variants = [base, base[:-1], base + ["x"]]
            for i in range(len(base)):
                variants += [base[:i] + [v] + base[i + 1:] for v in BAD]
            for v in variants:
                line = tuple(parts + v)
                if name == "lset" and len(v) > 1 and v[1] in BAD[6:8] + ["4294967296"]:
                    continue  # 7.4.1 cuts the index to 32 bits (README: Lists)
                if line not in seen:
                    seen.add(line)
                    out.append(line)
    return out


def conn(server):
    c = RespConn(socket.create_connection((HOST, server.port), timeout=SOCK_TIMEOUT))
    c.cmd("HELLO", "3")
    return c


@unittest.skipIf(redis74_path() is None, "no Redis 7.4.1 reference (RESPITE_REDIS74)")
class BadArgs74(RespiteAndRedis):
    reference_binary = redis74_path()

    def commands(self):
        """The shared commands and subcommands, with their 7.4 documentation."""
        c = conn(self.reference)
        ours = conn(self.respite)
        try:
            names = [n.decode() for n in ours.cmd("COMMAND", "LIST")]
            c.send(b"".join(encode("COMMAND", "DOCS", n) for n in names))
            docs = [c.reply() for _ in names]
        finally:
            c.close()
            ours.close()
        out = []
        for name, doc in zip(names, docs):
            if not doc or name in SKIP:
                continue
            (entry,) = doc.values()
            if b"subcommands" not in entry:
                out.append((name, entry))
        return out

    def replies(self, server, proto, lines):
        """The raw replies to lines, after FLUSHALL and SETUP."""
        c = conn(server)
        try:
            c.cmd("FLUSHALL")
            for cmd in SETUP:
                c.cmd(*cmd)
        finally:
            c.close()
        return raw_replies(server, lines, proto)

    def test_bad_arguments_answered_as_74(self):
        commands = self.commands()
        self.assertGreater(len(commands), 150)
        total, differ = 0, []
        for proto in (2, 3):
            for name, doc in commands:
                lines = lines_of(name, doc)
                want = self.replies(self.reference, proto, lines)
                got = self.replies(self.respite, proto, lines)
                total += len(lines)
                differ += [(proto, line, g, w) for line, w, g in zip(lines, want, got) if g != w]
        self.assertGreater(total, 20000)
        self.assertEqual(differ[:20], [], "%d lines differ" % len(differ))


if __name__ == "__main__":
    main()
