#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""COMMAND's introspection against redis-server 7.4.1 (harness.redis74_path; skipped, saying
so, without it): COMMAND INFO and COMMAND DOCS of every command and subcommand respite lists
(COMMAND LIST) that 7.4 has, byte for byte in RESP2 and RESP3, and GETKEYS, GETKEYSANDFLAGS
and LIST FILTERBY on a set of command lines and on lines built from each command's 7.4
documentation. A container's reply (CLIENT, CONFIG...) lists
its subcommands, of which respite has fewer: its other parts are compared, and each
subcommand on its own. Everything is pipelined: one round trip per table a server.
"""
import socket
import unittest

from harness import (HOST, SOCK_TIMEOUT, RespConn, RespiteAndRedis, encode, main,
                     redis74_path)


def reply_end(buf, pos):
    """The end of the RESP reply at buf[pos:], and the spans of its elements (an
    aggregate's, a map's keys and values in turn; [] for a simple reply)."""
    eol = buf.index(b"\r\n", pos)
    kind, head, nxt = buf[pos:pos + 1], buf[pos + 1:eol], eol + 2
    if kind in b"$=!":
        n = int(head)
        return (nxt if n < 0 else nxt + n + 2), []
    if kind in b"*~>%|":
        n = int(head)
        if n < 0:
            return nxt, []
        n *= 2 if kind in b"%|" else 1
        spans = []
        for _ in range(n):
            end, _ = reply_end(buf, nxt)
            spans.append(buf[nxt:end])
            nxt = end
        return nxt, spans
    return nxt, []


def elements(reply):
    """The elements of one whole aggregate reply, as raw bytes."""
    end, spans = reply_end(reply, 0)
    assert end == len(reply), reply[:80]
    return spans


def raw_replies(server, cmds, proto):
    """The raw bytes of the replies to cmds, pipelined on one connection."""
    c = RespConn(socket.create_connection((HOST, server.port), timeout=SOCK_TIMEOUT))
    try:
        if proto == 3:
            c.cmd("HELLO", "3")
        c.send(b"".join(encode(*cmd) for cmd in cmds))
        out = []
        while len(out) < len(cmds):
            while True:
                try:
                    end, _ = reply_end(c.buf, 0)
                    break
                except (ValueError, IndexError):
                    c._fill()
            out.append(bytes(c.buf[:end]))
            c.buf = c.buf[end:]
        return out
    finally:
        c.close()


# Command lines for GETKEYS and GETKEYSANDFLAGS: specs by index, keyword and count, SORT's own
# way, SET's and BITFIELD's flags from their arguments, not_key channels, EVAL's keys that may
# be none, subcommands, and each error.
GETKEYS_LINES = [
    ("get", "k"), ("set", "k", "v"), ("set", "k", "v", "get"), ("set", "k", "v", "GET", "EX", "1"),
    ("mset", "a", "1", "b", "2"), ("mget", "a", "b", "c"), ("lmove", "a", "b", "left", "right"),
    ("blmove", "a", "b", "left", "right", "0"), ("rename", "a", "b"), ("copy", "a", "b"),
    ("zunionstore", "d", "2", "a", "b"), ("zunionstore", "d", "3", "a", "b"),
    ("zinter", "2", "a", "b", "WEIGHTS", "1", "2"), ("zintercard", "1", "a"),
    ("lmpop", "2", "a", "b", "left"), ("blmpop", "0", "1", "a", "left"), ("zmpop", "1", "z", "min"),
    ("sintercard", "2", "a", "b"), ("sinterstore", "d", "a", "b"), ("bitop", "and", "d", "a", "b"),
    ("sort", "k"), ("sort", "k", "by", "x", "store", "d"), ("sort", "k", "store", "d1", "store", "d2"),
    ("sort", "k", "get", "store", "limit", "0", "1"), ("sort_ro", "k", "by", "x"),
    ("bitfield", "k", "get", "u8", "0"), ("bitfield", "k", "get", "u8", "0", "set", "u8", "0", "1"),
    ("bitfield", "k", "incrby", "u8", "0"), ("bitfield", "k", "get", "u8"), ("bitfield", "k", "foo"),
    ("bitfield", "k", "overflow", "wrap", "get", "i8", "0"), ("bitfield", "k", "overflow"), ("bitfield", "k", "overflow", "sat", "incrby", "u8", "0", "1"),
    ("bitfield_ro", "k", "get", "u8", "0"), ("eval", "s", "0"), ("eval", "s", "2", "a", "b", "c"),
    ("eval", "s", "3", "a"), ("eval_ro", "s", "1", "a"), ("evalsha", "x", "1", "a"),
    ("fcall", "f", "0"), ("fcall_ro", "f", "1", "a"), ("xread", "streams", "a", "b", "0", "0"),
    ("xread", "count", "1", "streams", "a", "0"), ("xread", "count", "1"),
    ("xreadgroup", "group", "g", "c", "streams", "a", ">"), ("xadd", "s", "*", "f", "v"),
    ("xgroup", "create", "k", "g", "0"), ("xinfo", "stream", "k"), ("object", "encoding", "k"),
    ("spublish", "ch", "m"), ("ssubscribe", "a", "b"), ("publish", "a", "b"), ("ping",),
    ("client", "kill"), ("client",), ("client", "foo"), ("get",), ("get", "a", "b"), ("nosuch",),
    ("hexpire", "h", "10", "fields", "1", "f"), ("del", "a", "b", "c"), ("exists", "a"),
    ("watch", "a", "b"), ("unlink", "a"),
]
LIST_LINES = [
    ("command", "list"), ("command", "list", "filterby", "aclcat", "hash"),
    ("command", "list", "filterby", "ACLCAT", "DANGEROUS"), ("command", "list", "filterby", "aclcat", "nosuch"),
    ("command", "list", "filterby", "pattern", "x*"), ("command", "list", "filterby", "pattern", "CLIENT|*"),
    ("command", "list", "filterby", "module", "x"), ("command", "list", "filterby", "pattern"),
    ("command", "list", "filterby", "nosuch", "x"), ("command", "list", "foo"),
    ("command", "getkeys"), ("command", "getkeysandflags"),
]


# A sample value of each argument type, for command lines built from 7.4's COMMAND DOCS;
# times are far from now, so no reply depends on the clock.
SAMPLES = {b"integer": "1", b"double": "1.5", b"pattern": "*", b"unix-time": "100",
           b"string": "x"}
TIMES = {b"seconds", b"milliseconds"}


def sample_line(args, alt, key="k"):
    """A command line that 7.4's documentation (COMMAND DOCS's arguments, parsed) allows:
    every argument once, optional ones too, the alt-th alternative of each oneof, key for
    each key."""
    out = []
    for a in args:
        kind = a[b"type"]
        if b"token" in a:
            out.append(a[b"token"].decode())
        if kind == b"key":
            out.append(key)
        elif a[b"name"] in TIMES:
            out.append("100000")
        elif kind in SAMPLES:
            out.append(SAMPLES[kind])
        elif kind == b"oneof":
            out += sample_line([a[b"arguments"][alt % len(a[b"arguments"])]], alt, key)
        elif kind == b"block":
            out += sample_line(a[b"arguments"], alt, key)
    return out


@unittest.skipIf(redis74_path() is None, "no Redis 7.4.1 reference (RESPITE_REDIS74)")
class Command74(RespiteAndRedis):
    reference_binary = redis74_path()

    def names(self):
        """respite's commands and subcommands that 7.4 has too; containers apart."""
        listed = raw_replies(self.respite, [("COMMAND", "LIST")], 2)[0]
        names = [e.split(b"\r\n")[1].decode() for e in elements(listed)]
        infos = raw_replies(self.reference, [("COMMAND", "INFO", n) for n in names], 2)
        shared = [n for n, r in zip(names, infos) if r != b"*1\r\n$-1\r\n"]
        containers = {n.split("|")[0] for n in shared if "|" in n}
        return shared, containers

    def test_info_and_docs_are_74s(self):
        shared, containers = self.names()
        self.assertGreater(len(shared), 250)
        for proto in (2, 3):
            for what in ("INFO", "DOCS"):
                cmds = [("COMMAND", what, n) for n in shared]
                want = raw_replies(self.reference, cmds, proto)
                got = raw_replies(self.respite, cmds, proto)
                for name, w, g in zip(shared, want, got):
                    if name in containers:
                        w, g = self.without_subcommands(what, w), self.without_subcommands(what, g)
                    self.assertEqual(g, w, "COMMAND %s %s, RESP%d" % (what, name, proto))

    def without_subcommands(self, what, reply):
        """A container's INFO or DOCS reply less its list of subcommands."""
        (entry,) = elements(reply) if what == "INFO" else elements(reply)[1:]
        parts = elements(entry)
        if what == "INFO":
            return parts[:9]
        pairs = list(zip(parts[0::2], parts[1::2]))
        return [p for p in pairs if p[0] != b"$11\r\nsubcommands\r\n"]

    def test_getkeys_of_every_documented_shape_are_74s(self):
        """GETKEYS and GETKEYSANDFLAGS of command lines built from each shared command's
        documentation (three alternatives, and each with one argument more and one less)."""
        shared, _ = self.names()
        c = RespConn(socket.create_connection((HOST, self.reference.port), timeout=SOCK_TIMEOUT))
        try:
            c.cmd("HELLO", "3")
            c.send(b"".join(encode("COMMAND", "DOCS", n) for n in shared))
            docs = [c.reply() for _ in shared]
        finally:
            c.close()
        cmds = []
        for name, doc in zip(shared, docs):
            (entry,) = doc.values()
            for alt in range(3):
                line = name.split("|") + sample_line(entry.get(b"arguments", []), alt)
                for shape in (line, line + ["x"], line[:-1]):
                    cmds += [("COMMAND", "GETKEYS") + tuple(shape),
                             ("COMMAND", "GETKEYSANDFLAGS") + tuple(shape)]
        self.assertGreater(len(cmds), 3000)
        for proto in (2, 3):
            want = raw_replies(self.reference, cmds, proto)
            got = raw_replies(self.respite, cmds, proto)
            differ = [(cmd, g, w) for cmd, w, g in zip(cmds, want, got) if g != w]
            self.assertEqual(differ, [], "RESP%d" % proto)
            # Most lines name keys: the lines are what the commands accept.
            self.assertGreater(sum(w[:1] == b"*" for w in want), len(cmds) // 3)

    def test_getkeys_and_list_are_74s(self):
        cmds = [("COMMAND", sub) + line for line in GETKEYS_LINES
                for sub in ("GETKEYS", "GETKEYSANDFLAGS")] + LIST_LINES
        for proto in (2, 3):
            want = raw_replies(self.reference, cmds, proto)
            got = raw_replies(self.respite, cmds, proto)
            ref_all = set(elements(raw_replies(self.reference, [("COMMAND", "LIST")], proto)[0]))
            our_all = set(elements(raw_replies(self.respite, [("COMMAND", "LIST")], proto)[0]))
            for cmd, w, g in zip(cmds, want, got):
                # Each lists commands the other lacks: LIST is compared on the names both
                # have.
                if cmd[1] == "list" and w[:1] == b"*" and g[:1] == b"*":
                    w, g = set(elements(w)) & our_all, set(elements(g)) & ref_all
                self.assertEqual(g, w, "%r, RESP%d" % (cmd, proto))


if __name__ == "__main__":
    main()
