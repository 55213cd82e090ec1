# SPDX-License-Identifier: BSD-3-Clause
"""Bit operations over the wire, against redis-server 7.4.1 (harness.redis74_path; skipped
without it) and with a real client.

BadInput: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO given huge,
negative and non-integer offsets, bits, ranges and values, binary junk, wrong types, 1,000
source keys and 10,000 operations in one command, pipelined; every reply is compared with
Redis 7.4's and the server must stay up (under ASan in the test build).

Watch: which bit commands break another client's WATCH, scenario by scenario, on both
servers: Redis 7.4 tells WATCH only of a change (a SETBIT that finds its bit as asked, or a
BITFIELD whose writes all failed under OVERFLOW FAIL, leaves it alone, even when it created
the key).

Docs: COMMAND DOCS of the seven commands equals 7.4's (summary, since, group, complexity,
arguments with their types, tokens, flags and key spec indexes), but for the fields
respite's docs give for no command yet (display_text, an argument's since, history).

Client: redis-py's setbit/getbit/bitcount/bitpos/bitop and its bitfield() builder (Debian's
redis-py 4.3 speaks RESP2 only; tests/compat/cases_bits has the RESP3 replies) on presence
bitmaps and packed counters of the dashboard's shape.
"""
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, SOCK_TIMEOUT, RespConn, RespiteAndRedis,  # noqa: E402
                     ServerTestCase, encode, main, redis74_path)

import redis  # noqa: E402  (Debian's python3-redis, under /usr/bin/python3)

MAX = "9223372036854775807"
MIN = "-9223372036854775808"
JUNK = b"\x00\xff\r\n*1\r\n$-1 "

# Setup shared by the bad-input commands: a string, an int-encoded string, a list.
SETUP = [["SET", "s", "foobar"], ["SET", "i", "12345"], ["RPUSH", "l", "x"],
         ["SETBIT", "b", "100", "1"]]


def bad_commands():
    """Each a list of arguments (str or bytes)."""
    cmds = []
    offsets = ["-1", MIN, MAX, "4294967296", "4294967295x", "99999999999999999999", "1e3",
               "0x10", " 1", "1 ", "+1", "-0", "", JUNK, "#1", "#" + MAX]
    for key in ("nokey", "s", "i", "l"):
        for off in offsets:
            cmds.append(["GETBIT", key, off])
            cmds.append(["SETBIT", key, off, "1"])
            cmds.append(["BITFIELD", key, "GET", "u8", off])
            cmds.append(["BITFIELD", key, "SET", "i8", off, "1"])
            cmds.append(["BITFIELD_RO", key, "GET", "i64", off])
        for bit in ("2", "-1", MAX, MIN, "x", "", JUNK, "1.0"):
            cmds.append(["SETBIT", key, "0", bit])
            cmds.append(["BITPOS", key, bit])
            cmds.append(["BITPOS", key, bit, "0", "-1", "BIT"])
        for start, end in ((MIN, MAX), (MAX, MIN), ("-1", MIN), ("x", "0"), ("0", "x"),
                           ("99999999999999999999", "0"), ("0", "-1")):
            for unit in ([], ["BIT"], ["BYTE"], ["bit"], [JUNK]):
                cmds.append(["BITCOUNT", key, start, end] + unit)
                cmds.append(["BITPOS", key, "1", start, end] + unit)
                cmds.append(["BITPOS", key, "0", start, end] + unit)
        for typ in ("u64", "i65", "u0", "i", "", JUNK, "u-1", "u+1", "i99999999999999999999"):
            cmds.append(["BITFIELD", key, "GET", typ, "0"])
            cmds.append(["BITFIELD", key, "INCRBY", typ, "0", "1"])
        for value in (MAX, MIN, "99999999999999999999", "x", JUNK, "-0"):
            cmds.append(["BITFIELD", key, "SET", "i64", "0", value])
            cmds.append(["BITFIELD", key, "OVERFLOW", "SAT", "INCRBY", "u63", "0", value])
            cmds.append(["BITFIELD", key, "OVERFLOW", "FAIL", "INCRBY", "i16", "#3", value])
        cmds.append(["BITFIELD", key, "OVERFLOW", JUNK, "GET", "u8", "0"])
        cmds.append(["BITFIELD", key, JUNK, "u8", "0"])
        cmds.append(["BITOP", "AND", key, "s", "i"])
        cmds.append(["BITOP", JUNK, key, "s"])
        cmds.append(["BITOP", "NOT", key, "s", "i"])
        cmds.append(["BITOP", "OR", "dest", key, "nokey"])
        cmds.append(["GET", key])
    # 1,000 sources, some missing, some of another type (the first wrong one answers).
    sources = ["src%d" % n for n in range(1000)]
    cmds.append(["BITOP", "XOR", "many"] + sources)
    cmds.append(["GET", "many"])
    cmds.append(["BITOP", "AND", "many"] + sources + ["l"] + sources)
    cmds.append(["BITOP", "OR", "many"] + ["nokey%d" % n for n in range(1000)])
    cmds.append(["EXISTS", "many"])
    # 10,000 operations in one BITFIELD, and one whose last operation is bad.
    ops = []
    for n in range(2500):
        ops += ["INCRBY", "u%d" % (n % 63 + 1), "#%d" % n, str(n * 7919)]
        ops += ["OVERFLOW", ("WRAP", "SAT", "FAIL")[n % 3]]
        ops += ["GET", "i%d" % (n % 64 + 1), str(n * 13)]
    cmds.append(["BITFIELD", "bf"] + ops)
    cmds.append(["BITFIELD", "bf"] + ops + ["GET", "u64", "0"])
    cmds.append(["BITFIELD_RO", "bf"] + ["GET", "u8", "#9"] * 3000)
    cmds.append(["BITCOUNT", "bf"])
    cmds.append(["GET", "bf"])
    return cmds


def setup_sources(conn):
    for n in range(0, 1000, 3):
        conn.cmd("SET", "src%d" % n, "v" * (n % 37) + str(n))


@unittest.skipIf(redis74_path() is None, "no Redis 7.4.1 reference (RESPITE_REDIS74)")
class BadInput(RespiteAndRedis):
    reference_binary = redis74_path()

    def replies(self, server):
        c = RespConn(socket.create_connection((HOST, server.port), timeout=SOCK_TIMEOUT))
        c.cmd("FLUSHALL")
        for cmd in SETUP:
            c.cmd(*cmd)
        setup_sources(c)
        cmds = bad_commands()
        # Pipelined, 200 a write.
        out = []
        for k in range(0, len(cmds), 200):
            batch = cmds[k:k + 200]
            c.send(b"".join(encode(*cmd) for cmd in batch))
            out += [c.reply() for _ in batch]
        c.close()
        return cmds, out

    def test_every_reply_is_redis_74s(self):
        cmds, want = self.replies(self.reference)
        _, got = self.replies(self.respite)
        self.assertEqual(len(got), len(want))
        self.assertGreater(len(cmds), 1000)
        for cmd, w, g in zip(cmds, want, got):
            self.assertEqual(g, w, "after %r" % ([a[:40] for a in cmd[:8]],))
        self.respite.assert_alive()


# ---- WATCH ------------------------------------------------------------------------------
# Each scenario: setup commands, then (after client A watches w) client B's command; the
# result is whether A's EXEC went through.
WATCH_SCENARIOS = [
    ("setbit_changes", [["SET", "w", "abc"]], ["SETBIT", "w", "1", "0"]),
    ("setbit_same_bit", [["SET", "w", "abc"]], ["SETBIT", "w", "1", "1"]),
    ("setbit_same_bit_int", [["SET", "w", "123"]], ["SETBIT", "w", "2", "1"]),
    ("setbit_grows_with_zero", [["SET", "w", "a"]], ["SETBIT", "w", "100", "0"]),
    ("setbit_creates", [], ["SETBIT", "w", "0", "0"]),
    ("setbit_bad_offset", [["SET", "w", "a"]], ["SETBIT", "w", "-1", "1"]),
    ("bitfield_fail_creates", [], ["BITFIELD", "w", "OVERFLOW", "FAIL", "SET", "u8", "0", "300"]),
    ("bitfield_fail_grows", [["SET", "w", "a"]],
     ["BITFIELD", "w", "OVERFLOW", "FAIL", "INCRBY", "u8", "40", "300"]),
    ("bitfield_same_value", [["SET", "w", "\x01"]], ["BITFIELD", "w", "SET", "u8", "0", "1"]),
    ("bitfield_new_value", [["SET", "w", "\x01"]], ["BITFIELD", "w", "SET", "u8", "0", "2"]),
    ("bitfield_grows_same", [["SET", "w", "a"]], ["BITFIELD", "w", "SET", "u8", "100", "0"]),
    ("bitfield_sat_same", [["SET", "w", "\x00"]],
     ["BITFIELD", "w", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "-5"]),
    ("bitfield_get", [["SET", "w", "a"]], ["BITFIELD", "w", "GET", "u8", "0"]),
    ("bitfield_ro", [["SET", "w", "a"]], ["BITFIELD_RO", "w", "GET", "u8", "0"]),
    ("bitop_sets", [], ["BITOP", "NOT", "w", "s"]),
    ("bitop_deletes", [["SET", "w", "a"]], ["BITOP", "AND", "w", "nokey"]),
    ("bitop_deletes_nothing", [], ["BITOP", "AND", "w", "nokey"]),
    ("bitop_wrongtype", [["SET", "w", "a"], ["RPUSH", "l", "x"]], ["BITOP", "OR", "w", "l"]),
    ("bitop_reads_it", [["SET", "w", "a"]], ["BITOP", "OR", "d", "w"]),
]


def watch_results(server):
    out = {}
    for name, setup, cmd in WATCH_SCENARIOS:
        a, b = server.client(), server.client()
        a.flushall()
        a.set("s", "xyz")
        for s in setup:
            a.execute_command(*s)
        p = a.pipeline()
        p.watch("w")
        p.multi()
        p.ping()
        try:
            b.execute_command(*cmd)
        except redis.ResponseError:
            pass
        try:
            p.execute()
            out[name] = "exec"
        except redis.WatchError:
            out[name] = "aborted"
        a.close()
        b.close()
    return out


@unittest.skipIf(redis74_path() is None, "no Redis 7.4.1 reference (RESPITE_REDIS74)")
class Watch(RespiteAndRedis):
    reference_binary = redis74_path()

    def test_watch_breaks_exactly_where_redis_74s_does(self):
        want = watch_results(self.reference)
        self.assertEqual(want["setbit_changes"], "aborted")  # the scenarios do tell apart
        self.assertEqual(want["setbit_same_bit"], "exec")
        self.assertEqual(watch_results(self.respite), want)


# ---- COMMAND DOCS ----------------------------------------------------------------------
BIT_COMMANDS = ["setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"]
# Fields of 7.4's COMMAND DOCS that respite's docs (docs.c) do not give for any command yet.
DOCS_NOT_YET = (b"display_text", b"since", b"history")


def docs_of(server):
    """COMMAND DOCS of the bit commands in RESP3 (maps as dicts), without DOCS_NOT_YET."""
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in DOCS_NOT_YET}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x
    c = RespConn(socket.create_connection((HOST, server.port), timeout=SOCK_TIMEOUT))
    c.cmd("HELLO", "3")
    docs = c.cmd("COMMAND", "DOCS", *BIT_COMMANDS)
    c.close()
    return strip(docs)


@unittest.skipIf(redis74_path() is None, "no Redis 7.4.1 reference (RESPITE_REDIS74)")
class Docs(RespiteAndRedis):
    reference_binary = redis74_path()

    def test_command_docs_are_redis_74s(self):
        want = docs_of(self.reference)
        self.assertEqual(sorted(want), sorted(c.encode() for c in BIT_COMMANDS))
        got = docs_of(self.respite)
        for name in want:
            self.assertEqual(got.get(name), want[name], name)


# ---- a real client ---------------------------------------------------------------------

class Client(ServerTestCase):

    def test_redis_py(self):
        r = self.server.client()
        self.addCleanup(r.close)
        r.flushall()
        # A presence bitmap: user n is bit n of the day's key.
        day = "project:p1:active:2026-12-07"
        for user in (0, 5, 9, 1000, 4095):
            self.assertEqual(r.setbit(day, user, 1), 0)
        self.assertEqual(r.setbit(day, 5, 1), 1)
        self.assertEqual(r.getbit(day, 1000), 1)
        self.assertEqual(r.getbit(day, 1001), 0)
        self.assertEqual(r.strlen(day), 512)
        self.assertEqual(r.bitcount(day), 5)
        self.assertEqual(r.bitcount(day, 0, 1), 3)
        self.assertEqual(r.bitcount(day, 5, 1000, "BIT"), 3)
        self.assertEqual(r.bitpos(day, 1), 0)
        self.assertEqual(r.bitpos(day, 1, 1), 9)
        self.assertEqual(r.bitpos(day, 0, 0, -1), 1)
        self.assertEqual(r.bitpos(day, 1, 10, 4094, "BIT"), 1000)
        other = "project:p1:active:2026-12-08"
        r.setbit(other, 9, 1)
        r.setbit(other, 7, 1)
        self.assertEqual(r.bitop("AND", "both", day, other), 512)
        self.assertEqual(r.bitcount("both"), 1)
        self.assertEqual(r.bitop("OR", "either", day, other), 512)
        self.assertEqual(r.bitcount("either"), 6)
        self.assertEqual(r.bitop("XOR", "one", day, other), 512)
        self.assertEqual(r.bitcount("one"), 5)
        self.assertEqual(r.bitop("NOT", "none", other), 2)
        self.assertEqual(r.get("none"), b"\xfe\xbf")
        self.assertEqual(r.bitop("AND", "none", "nokey"), 0)
        self.assertFalse(r.exists("none"))
        # Packed counters through redis-py's bitfield() builder.
        bf = r.bitfield("counters")
        bf.set("u8", "#0", 200).incrby("u8", "#0", 100).get("u8", "#0")
        bf.overflow("SAT").incrby("u8", "#1", 300)
        bf.overflow("FAIL").incrby("i5", "#4", 100).incrby("i5", "#4", -3)
        self.assertEqual(bf.execute(), [0, 44, 44, 255, None, -3])
        self.assertEqual(r.bitfield("counters", default_overflow="SAT")
                         .incrby("u4", 100, 20).execute(), [15])
        self.assertEqual(r.execute_command("BITFIELD_RO", "counters", "GET", "u8", 0, "GET", "u8",
                                           "#1", "GET", "i5", "#4"), [44, 255, -3])
        with self.assertRaises(redis.ResponseError):
            r.bitfield("counters").get("u64", 0).execute()
        with self.assertRaises(redis.ResponseError):
            r.setbit(day, 1 << 32, 1)
        r.rpush("list", "x")
        with self.assertRaises(redis.ResponseError):
            r.bitcount("list")
        # The TTL of a session bitmap stays across SETBIT and BITFIELD.
        r.set("project:p1:session:flags", b"\x00", ex=300)
        r.setbit("project:p1:session:flags", 3, 1)
        r.bitfield("project:p1:session:flags").set("u4", 4, 9).execute()
        self.assertEqual(r.get("project:p1:session:flags"), b"\x19")
        self.assertGreater(r.ttl("project:p1:session:flags"), 290)
        # In a transaction.
        p = r.pipeline(transaction=True)
        p.setbit("tx", 1, 1).getbit("tx", 1).bitcount("tx")
        self.assertEqual(p.execute(), [0, 1, 1])


if __name__ == "__main__":
    main()
