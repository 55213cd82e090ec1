# SPDX-License-Identifier: BSD-3-Clause
"""Scripts given bad input, too big for the compat corpus (tests/compat/cases_lua/
bad_input.txt holds the small ones): huge KEYS and ARGV counts, redis.call with more
arguments than Lua's stack holds, return values nested past Lua's stack limit. Replies
are compared byte for byte with a real redis-server 7.4.1 (harness.redis74_path; skipped
without it). And a leak check: 10,000 EVALs of distinct scripts (RESPITE_SCRIPT_EVALS),
then SCRIPT FLUSH; the sanitizer build reports no leak when the server stops, and the
interpreter's memory comes back. And setfenv(0, t), which replaces the interpreter's globals: respite puts
the sandbox's back after the run (7.4.1 fails every later script until SCRIPT FLUSH).
"""
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RedisServer, RespConn, RespError, Server, encode,  # noqa: E402
                     main, redis74_path)


def raw_reply(c):
    """The raw bytes of one reply, read without recursion (replies here nest deeply)."""
    out, need = [], 1
    while need:
        line = c._line()
        out.append(line + b"\r\n")
        need -= 1
        t, rest = line[:1], line[1:]
        if t in (b"*", b"~", b">", b"%") and int(rest) > 0:
            need += int(rest) * (2 if t == b"%" else 1)
        elif t in (b"$", b"=") and int(rest) >= 0:
            out.append(c._bytes(int(rest)) + b"\r\n")
    return b"".join(out)


def raw_conn(port):
    return RespConn(socket.create_connection((HOST, port), timeout=30.0))


def run(c, *args):
    c.send(encode(*args))
    return raw_reply(c)


def scenario(c):
    out = []
    keys = ["key:%d" % i for i in range(200000)]
    out.append(run(c, "EVAL", "return #KEYS", len(keys), *keys))
    out.append(run(c, "EVAL", "return {#KEYS, #ARGV, KEYS[200000], ARGV[100000]}", 100000,
                   *keys))
    out.append(run(c, "EVAL", "return KEYS", 50000, *keys[:50000]))
    # unpack past Lua's stack, and just inside it, into redis.call.
    out.append(run(c, "EVAL", "return redis.call('del', unpack(KEYS))", 10000, *keys[:10000]))
    out.append(run(c, "EVAL", "return redis.call('mset', unpack(ARGV))", 0, *keys[:7000]))
    out.append(run(c, "EVAL", "return redis.call('exists', unpack(ARGV))", 0, *keys[:7000]))
    # Nested past Lua's stack limit: an error in place of the deepest levels.
    for depth in (1000, 10000, 100000):
        out.append(run(c, "EVAL", "local t = {} for i = 1, %d do t = {t} end return t" % depth,
                       0))
        out.append(run(c, "EVAL", "local t = {'x'} for i = 1, %d do t = {map = {a = t}} end "
                                  "return t" % depth, 0))
    out.append(run(c, "HELLO", "3").startswith(b"%"))
    out.append(run(c, "EVAL", "local t = {} for i = 1, 10000 do t = {map = {[i] = t}} end "
                              "return t", 0))
    out.append(run(c, "EVAL", "local t = {} for i = 1, 10000 do t = {set = {[t] = true}} end "
                              "return t", 0))
    return out


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class BadInput(unittest.TestCase):

    def test_same_replies_as_redis(self):
        redis = RedisServer(redis74_path()).start()
        try:
            c = raw_conn(redis.port)
            want = scenario(c)
            c.close()
        finally:
            redis.stop()
        srv = Server().start()
        try:
            c = raw_conn(srv.port)
            got = scenario(c)
            c.close()
            srv.assert_alive()
        finally:
            srv.stop()
        self.assertEqual(len(got), len(want))
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                self.fail("reply %d differs: %r... vs %r..." % (i, g[-300:], w[-300:]))


class Leak(unittest.TestCase):

    def test_distinct_scripts_then_flush(self):
        srv = Server().start()
        try:
            c = srv.conn()
            before = int(info(c)["used_memory_lua"])
            # RESPITE_SCRIPT_EVALS: 100,000 under valgrind (tests/valgrind/server.sh)
            n = int(os.environ.get("RESPITE_SCRIPT_EVALS", "10000")) // 500 * 500
            batch = 500
            for start in range(0, n, batch):
                c.send(b"".join(encode("EVAL", "return {%d, KEYS[1], ARGV[1]}" % i, 1, "k", "a")
                                for i in range(start, start + batch)))
                for i in range(start, start + batch):
                    self.assertEqual(c.reply(), [i, b"k", b"a"])
            fields = info(c)
            self.assertEqual(fields["number_of_cached_scripts"], "500")  # the EVAL LRU
            self.assertEqual(fields["evicted_scripts"], str(n - 500))
            self.assertEqual(c.cmd("SCRIPT", "FLUSH"), b"OK")
            fields = info(c)
            self.assertEqual(fields["number_of_cached_scripts"], "0")
            self.assertLessEqual(int(fields["used_memory_lua"]), before * 2 + 65536)
            c.close()
        finally:
            srv.stop()  # fails on a LeakSanitizer report


class GlobalsReplaced(unittest.TestCase):

    def test_setfenv_0_lasts_one_run(self):
        srv = Server().start()
        try:
            c = srv.conn()
            # Within the run, t is the globals of what it compiles.
            self.assertEqual(c.cmd("EVAL", "setfenv(0, {v = 8, loadstring = loadstring}) "
                                           "return loadstring('return v')()", 0), 8)
            # Later runs: a chunk that assigns a global, and loadstring, are on the
            # sandbox's globals again.
            err = c.cmd("EVAL", "y = 1 return v", 0)
            self.assertIsInstance(err, RespError)
            self.assertIn("Attempt to modify a readonly table", str(err))
            err = c.cmd("EVAL", "return loadstring('return v')()", 0)
            self.assertIsInstance(err, RespError)
            self.assertIn("nonexistent global variable 'v'", str(err))
            self.assertEqual(c.cmd("EVAL", "return type(redis.call)", 0), b"function")
            # The same in a function.
            self.assertEqual(c.cmd("FUNCTION", "LOAD", "#!lua name=g0\n"
                                   "redis.register_function('g0', function() setfenv(0, {}) "
                                   "return 1 end)\n"
                                   "redis.register_function('g1', function() "
                                   "return loadstring('return type(redis)')() end)"), b"g0")
            self.assertEqual(c.cmd("FCALL", "g0", 0), 1)
            self.assertEqual(c.cmd("FCALL", "g1", 0), b"table")
            c.close()
        finally:
            srv.stop()


def info(c):
    text = c.cmd("INFO").decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


if __name__ == "__main__":
    main()
