#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The count of changes since the last save (INFO's rdb_changes_since_last_save, Redis's
server.dirty) against redis-server 7.4.1 (harness.redis74_path; skipped, saying so, without
it): every write command respite shares with 7.4, with effect and as a no-op (a missing key,
a member already there, an error), blocking pops served by a later push, MULTI/EXEC and a
script. After each step the change in the count must be 7.4's; so must the step's replies
(the servers' clocks and random picks aside, which the steps avoid).
"""
import socket
import time
import unittest

from harness import (HOST, SOCK_TIMEOUT, RespConn, RespiteAndRedis, encode, main,
                     redis74_path)

DUMPED = b"\x00\x01a\x0c\x00t\x88\xdb[u\x1c\xe3\xfd"  # DUMP of the string "a"
LIB = "#!lua name=dirtylib\nredis.register_function('f', function(k, a) return 1 end)"

# One step: a command (a tuple), a list of commands (a transaction), or ("BLOCKED", blocking
# command, waking commands...): the blocking command is sent on a second connection, and the
# step ends once it is answered.
STEPS = [
    # strings
    ("SET", "s", "1"), ("SET", "s", "1"), ("SET", "s", "2", "NX"), ("SET", "s", "3", "XX", "GET"),
    ("SET", "nx", "1", "XX"), ("SET", "s", "x", "EX", "abc"), ("SETNX", "s", "1"), ("SETNX", "s2", "1"),
    ("SETEX", "se", "100", "v"), ("PSETEX", "se", "100000", "v"), ("GETSET", "s", "4"),
    ("GETSET", "gs", "1"), ("GETDEL", "gs"), ("GETDEL", "gs"), ("GETEX", "s"), ("GETEX", "s", "EX", "100"),
    ("GETEX", "s", "PERSIST"), ("GETEX", "nokey", "EX", "5"), ("MSET", "a", "1", "b", "2", "c", "3"),
    ("MSET", "a", "1"), ("MSETNX", "a", "1", "z", "2"), ("MSETNX", "y", "1", "z", "2"),
    ("APPEND", "s", "xy"), ("APPEND", "s", ""), ("APPEND", "ap", "abc"), ("SETRANGE", "s", "1", "zz"),
    ("SETRANGE", "s", "0", ""), ("SETRANGE", "sr", "0", ""), ("SETRANGE", "sr", "2", "a"),
    ("INCR", "n"), ("INCR", "s"), ("DECR", "n"), ("INCRBY", "n", "10"), ("DECRBY", "n", "0"),
    ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "0"),
    # bitmaps
    ("SETBIT", "bm", "7", "1"), ("SETBIT", "bm", "7", "1"), ("SETBIT", "bm", "100", "0"),
    ("BITOP", "AND", "bd", "bm", "nokey"), ("BITOP", "OR", "bd", "nokey", "nokey2"),
    ("BITFIELD", "bf", "SET", "u8", "0", "5", "INCRBY", "u8", "0", "1", "GET", "u8", "0"),
    ("BITFIELD", "bf", "GET", "u8", "0"), ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"),
    ("BITFIELD", "nokey", "GET", "u8", "0"),
    # hashes
    ("HSET", "h", "a", "1", "b", "2", "c", "3"), ("HSET", "h", "a", "1"), ("HSET", "h", "a", "9", "d", "4"),
    ("HSETNX", "h", "a", "1"), ("HSETNX", "h", "e", "5"), ("HMSET", "h", "a", "1", "f", "6"),
    ("HDEL", "h", "nofield"), ("HDEL", "h", "e", "f", "nofield"), ("HINCRBY", "h", "a", "1"),
    ("HINCRBY", "h", "a", "0"), ("HINCRBYFLOAT", "h", "b", "0.5"), ("HINCRBY", "h", "x", "x"),
    ("HEXPIRE", "h", "100", "FIELDS", "2", "a", "nofield"), ("HEXPIRE", "h", "100", "NX", "FIELDS", "1", "a"),
    ("HPEXPIRE", "h", "100000", "FIELDS", "1", "b"), ("HEXPIREAT", "h", "4000000000", "FIELDS", "1", "c"),
    ("HPEXPIREAT", "h", "4000000000000", "FIELDS", "1", "d"), ("HPERSIST", "h", "FIELDS", "2", "a", "nofield"),
    ("HPERSIST", "h", "FIELDS", "1", "a"), ("HEXPIRE", "h", "0", "FIELDS", "1", "d"),
    ("HEXPIRE", "nokey", "10", "FIELDS", "1", "a"),
    # keys
    ("DEL", "a", "b", "nokey"), ("DEL", "nokey"), ("UNLINK", "c", "nokey"), ("RENAME", "s", "s3"),
    ("RENAME", "s3", "s3"), ("RENAME", "nokey", "x"), ("RENAMENX", "s3", "n"), ("RENAMENX", "s3", "s4"),
    ("COPY", "s4", "cp"), ("COPY", "s4", "cp"), ("COPY", "s4", "cp", "REPLACE"), ("COPY", "nokey", "cp2"),
    ("EXPIRE", "s4", "100"), ("EXPIRE", "s4", "100", "NX"), ("EXPIRE", "nokey", "1"),
    ("PEXPIRE", "s4", "100000"), ("EXPIREAT", "s4", "4000000000"), ("PEXPIREAT", "s4", "4000000000000"),
    ("PERSIST", "s4"), ("PERSIST", "s4"), ("EXPIRE", "cp", "0"), ("EXPIRE", "cp", "-1"),
    ("SET", "cp", "1"), ("PEXPIREAT", "cp", "1"), ("MOVE", "s4", "1"), ("MOVE", "s4", "1"),
    ("SWAPDB", "0", "1"), ("SWAPDB", "0", "1"), ("SELECT", "1"), ("FLUSHDB",), ("SELECT", "0"),
    ("RESTORE", "rs", "0", DUMPED), ("RESTORE", "rs", "0", DUMPED), ("RESTORE", "rs", "0", DUMPED, "REPLACE"),
    ("RESTORE", "rs", "1", DUMPED, "REPLACE", "ABSTTL"), ("RESTORE", "rs", "1", DUMPED, "REPLACE", "ABSTTL"),
    # lists
    ("RPUSH", "l", "a", "b", "c", "d"), ("LPUSH", "l", "z"), ("LPUSHX", "nokey", "a"), ("RPUSHX", "l", "e", "f"),
    ("LPOP", "l"), ("RPOP", "l", "2"), ("LPOP", "nokey"), ("LSET", "l", "0", "x"), ("LSET", "l", "99", "x"),
    ("LINSERT", "l", "BEFORE", "x", "w"), ("LINSERT", "l", "BEFORE", "nopivot", "w"), ("LREM", "l", "0", "w"),
    ("LREM", "l", "0", "nothere"), ("LTRIM", "l", "0", "-1"), ("LTRIM", "l", "1", "1"), ("RPUSH", "l", "p", "q"),
    ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("LMOVE", "l", "l", "LEFT", "RIGHT"), ("RPOPLPUSH", "nokey", "l2"),
    ("LMPOP", "2", "nokey", "l", "LEFT", "COUNT", "5"), ("LMPOP", "1", "nokey", "LEFT"),
    ("BLPOP", "l2", "0"), ("BRPOP", "nokey", "0.01"),
    ("BLOCKED", ("BLPOP", "bl", "0"), ("RPUSH", "bl", "a", "b")),
    ("BLOCKED", ("BRPOP", "bl2", "0"), ("LPUSH", "bl2", "a")),
    ("BLOCKED", ("BLMOVE", "bl3", "bl4", "LEFT", "LEFT", "0"), ("RPUSH", "bl3", "a")),
    ("BLOCKED", ("BRPOPLPUSH", "bl5", "bl6", "0"), ("RPUSH", "bl5", "a")),
    ("BLOCKED", ("BLMPOP", "0", "1", "bl7", "LEFT", "COUNT", "3"), ("RPUSH", "bl7", "a", "b")),
    ("BLOCKED", ("BLPOP", "bl8", "0"), ("MULTI",), ("RPUSH", "bl8", "a"), ("LPOP", "bl8"), ("RPUSH", "bl8", "b"),
     ("EXEC",)),
    # sets
    ("SADD", "st", "a", "b", "c", "1"), ("SADD", "st", "a"), ("SADD", "st", "a", "d"), ("SREM", "st", "nothere"),
    ("SREM", "st", "d", "1", "nothere"), ("SPOP", "nokey"), ("SPOP", "st", "0"), ("SMOVE", "st", "st2", "a"),
    ("SMOVE", "st", "st2", "nothere"), ("SMOVE", "st2", "st2", "a"), ("SADD", "o", "b", "x"),
    ("SINTERSTORE", "si", "st", "o"), ("SINTERSTORE", "si", "nokey"), ("SUNIONSTORE", "su", "st", "o"),
    ("SDIFFSTORE", "sd", "st", "o"), ("SDIFFSTORE", "sd", "st", "st"),
    # sorted sets
    ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "5", "a", "2", "b"),
    ("ZADD", "z", "CH", "6", "a", "7", "n"), ("ZADD", "z", "NX", "1", "a"), ("ZADD", "z", "INCR", "1", "a"),
    ("ZADD", "z", "XX", "INCR", "1", "nothere"), ("ZINCRBY", "z", "0", "a"), ("ZINCRBY", "z", "1", "new"),
    ("ZREM", "z", "nothere"), ("ZREM", "z", "new", "n", "x"), ("ZRANGESTORE", "zd", "z", "0", "-1"),
    ("ZRANGESTORE", "zd", "z", "5", "9"), ("ZREMRANGEBYRANK", "z", "5", "9"), ("ZADD", "z", "8", "d", "9", "e"),
    ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZREMRANGEBYSCORE", "z", "8", "9"), ("ZREMRANGEBYSCORE", "z", "100", "200"),
    ("ZADD", "zl", "0", "a", "0", "b", "0", "c"), ("ZREMRANGEBYLEX", "zl", "[a", "[b"), ("ZREMRANGEBYLEX", "zl", "[x", "[y"),
    ("ZADD", "zp", "1", "a", "2", "b", "3", "c"), ("ZPOPMIN", "zp"), ("ZPOPMAX", "zp", "5"), ("ZPOPMIN", "nokey"),
    ("ZADD", "zp", "1", "a", "2", "b"), ("ZMPOP", "1", "zp", "MIN", "COUNT", "2"), ("ZMPOP", "1", "nokey", "MAX"),
    ("ZADD", "z1", "1", "a", "2", "b"), ("ZADD", "z2", "1", "b"), ("ZUNIONSTORE", "zu", "2", "z1", "z2"),
    ("ZINTERSTORE", "zi", "2", "z1", "z2"), ("ZINTERSTORE", "zi", "2", "z1", "nokey"), ("ZDIFFSTORE", "zf", "2", "z1", "z2"),
    ("BZPOPMIN", "z1", "0"), ("BZPOPMAX", "nokey", "0.01"),
    ("BLOCKED", ("BZPOPMIN", "bz", "0"), ("ZADD", "bz", "1", "a", "2", "b")),
    ("BLOCKED", ("BZMPOP", "0", "1", "bz2", "MAX", "COUNT", "2"), ("ZADD", "bz2", "1", "a", "2", "b", "3", "c")),
    # streams
    ("XADD", "x", "1-1", "f", "v"), ("XADD", "x", "2-1", "f", "v", "g", "w"), ("XADD", "x", "1-1", "f", "v"),
    ("XADD", "nokey", "NOMKSTREAM", "*", "f", "v"), ("XADD", "x", "MAXLEN", "1", "3-1", "f", "v"),
    ("XADD", "x", "4-1", "f", "v"), ("XADD", "x", "5-1", "f", "v"), ("XDEL", "x", "4-1", "9-9"), ("XDEL", "x", "9-9"),
    ("XTRIM", "x", "MAXLEN", "10"), ("XTRIM", "x", "MAXLEN", "0"), ("XSETID", "x", "10-0"), ("XSETID", "x", "10-0"),
    ("XADD", "x", "11-1", "a", "1"), ("XADD", "x", "12-1", "a", "2"), ("XADD", "x", "13-1", "a", "3"),
    ("XGROUP", "CREATE", "x", "g", "0"), ("XGROUP", "CREATE", "x", "g", "0"), ("XGROUP", "CREATE", "nokey", "g", "$"),
    ("XGROUP", "CREATE", "nk", "g", "$", "MKSTREAM"), ("XGROUP", "CREATECONSUMER", "x", "g", "c1"),
    ("XGROUP", "CREATECONSUMER", "x", "g", "c1"), ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "x", ">"),
    ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "x", "0"), ("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "x", ">"),
    ("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "x", ">"), ("XREADGROUP", "GROUP", "g", "c3", "STREAMS", "x", "0"),
    ("XREADGROUP", "GROUP", "g", "c4", "NOACK", "STREAMS", "x", "0"),
    ("XACK", "x", "g", "11-1", "99-0"), ("XACK", "x", "g", "99-0"),
    ("XCLAIM", "x", "g", "c9", "0", "12-1"), ("XCLAIM", "x", "g", "c9", "0", "99-0"),
    ("XCLAIM", "x", "g", "c9", "0", "12-1", "JUSTID"), ("XAUTOCLAIM", "x", "g", "c8", "0", "0"),
    ("XAUTOCLAIM", "x", "g", "c8", "0", "0", "JUSTID"), ("XAUTOCLAIM", "x", "g", "c7", "99999999", "0"),
    ("XGROUP", "SETID", "x", "g", "0"), ("XGROUP", "SETID", "x", "g", "$", "ENTRIESREAD", "3"),
    ("XGROUP", "DELCONSUMER", "x", "g", "c1"), ("XGROUP", "DELCONSUMER", "x", "g", "nobody"),
    ("XGROUP", "DESTROY", "x", "g"), ("XGROUP", "DESTROY", "x", "g"),
    ("XGROUP", "CREATE", "bx", "g", "$", "MKSTREAM"),
    ("BLOCKED", ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "bx", ">"), ("XADD", "bx", "1-1", "f", "v")),
    ("BLOCKED", ("XREAD", "BLOCK", "0", "STREAMS", "bx", "$"), ("XADD", "bx", "2-1", "f", "v")),
    # sort
    ("RPUSH", "sl", "3", "1", "2"), ("SORT", "sl"), ("SORT", "sl", "STORE", "sorted"), ("SORT", "nokey", "STORE", "sorted"),
    # scripts, functions, transactions
    ("EVAL", "redis.call('set', KEYS[1], 'x') redis.call('incr', 'en') return 1", "1", "ev"),
    ("EVAL", "return redis.call('get', KEYS[1])", "1", "ev"),
    ("FUNCTION", "LOAD", LIB), ("FUNCTION", "LOAD", LIB), ("FUNCTION", "LOAD", "REPLACE", LIB),
    ("FCALL", "f", "0"), ("FUNCTION", "DELETE", "dirtylib"), ("FUNCTION", "DELETE", "dirtylib"),
    ("FUNCTION", "FLUSH"), [("MULTI",), ("SET", "m1", "1"), ("SET", "m2", "2"), ("GET", "m1"), ("EXEC",)],
    [("MULTI",), ("INCR", "m1"), ("DISCARD",)], [("MULTI",), ("SET", "m3", "1"), ("NOSUCH",), ("EXEC",)],
    [("MULTI",), ("SET", "m3", "1"), ("INCR", "m3"), ("HSET", "m3", "a", "1"), ("EXEC",)], ("FLUSHDB",), ("FLUSHDB",), ("SET", "a", "1"), ("FLUSHALL",),
    ("FLUSHALL",),
]


def changes(conn):
    info = conn.cmd("INFO", "persistence")
    for line in info.split(b"\r\n"):
        if line.startswith(b"rdb_changes_since_last_save:"):
            return int(line.split(b":")[1])
    raise AssertionError("no rdb_changes_since_last_save in INFO")


@unittest.skipIf(redis74_path() is None, "no Redis 7.4.1 reference (RESPITE_REDIS74)")
class DirtyAs74(RespiteAndRedis):
    reference_binary = redis74_path()

    def run_steps(self, server):
        """[(step, replies, change in the count)] for STEPS on server."""
        conn = RespConn(socket.create_connection((HOST, server.port), timeout=SOCK_TIMEOUT))
        waiter = RespConn(socket.create_connection((HOST, server.port), timeout=SOCK_TIMEOUT))
        try:
            conn.cmd("FLUSHALL")
            conn.cmd("FUNCTION", "FLUSH")
            out = []
            for step in STEPS:
                before = changes(conn)
                if step[0] == "BLOCKED":
                    waiter.send(encode(*step[1]))
                    deadline = time.monotonic() + 5
                    while b"blocked_clients:1" not in conn.cmd("INFO", "clients"):
                        self.assertLess(time.monotonic(), deadline, "never blocked: %r" % (step,))
                        time.sleep(0.002)
                    replies = [conn.cmd(*cmd) for cmd in step[2:]] + [waiter.reply()]
                elif isinstance(step, list):
                    replies = [conn.cmd(*cmd) for cmd in step]
                else:
                    replies = [conn.cmd(*step)]
                out.append((step, replies, changes(conn) - before))
            return out
        finally:
            conn.close()
            waiter.close()

    def test_changes_counted_as_74(self):
        want = self.run_steps(self.reference)
        got = self.run_steps(self.respite)
        self.assertGreater(len(STEPS), 200)
        self.assertGreater(sum(n for _, _, n in want), 150)
        differ = ["%r: respite %r, 7.4 %r" % (step, (gr, gn), (wr, wn))
                  for (step, wr, wn), (_, gr, gn) in zip(want, got) if (gr, gn) != (wr, wn)]
        self.assertEqual(differ, [], "\n".join(differ))


if __name__ == "__main__":
    main()
