# SPDX-License-Identifier: BSD-3-Clause
"""FUNCTION DUMP and RESTORE between respite and Redis 7.4, both ways.

Libraries are loaded into one server, dumped, restored into the other, and must come back
the same: FUNCTION LIST WITHCODE (sorted, since Redis lists its libraries in hash order)
and every function's FCALL reply. The libraries are short (stored verbatim), long and
repetitive (stored LZF-compressed: respite must decompress Redis's and write what Redis
decompresses), and numerous. A payload that crossed is then restored back with REPLACE,
FLUSH and APPEND (which must fail on the clash). Skipped without Redis 7.4.

Then the scripting figures of INFO memory on a fresh server, after scripts and libraries
were loaded and after SCRIPT FLUSH / FUNCTION FLUSH: which are non-zero (both
interpreters exist from the start, as Redis 7.4's), Lua's heap counted in whole KiB, and
the totals; the same flow on Redis 7.4 when it is there.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RedisServer, ServerTestCase, main, redis74_path  # noqa: E402

import redis  # noqa: E402


def library(i):
    """Library i: a short one, or (every third) one of repetitive code long enough for LZF."""
    name = "lib%d" % i
    if i % 3 == 0:
        body = "".join("local v%d = '%s'\n" % (k, "x" * (k + 20)) for k in range(30))
        return ("#!lua name=%s\n%sredis.register_function{function_name='f%d', "
                "callback=function(keys, args) return {v29, #keys, args[1]} end, "
                "flags={'no-writes'}, description='long %d'}\n" % (name, body, i, i))
    return ("#!lua name=%s\nredis.register_function('f%d', function(keys, args) "
            "return {'%s', #keys, args[1]} end)" % (name, i, name))


def listing(r):
    libs = r.execute_command("FUNCTION", "LIST", "WITHCODE")
    return sorted(repr(lib) for lib in libs)


def calls(r, n):
    return [r.execute_command("FCALL", "f%d" % i, 1, "k", "a%d" % i) for i in range(n)]


@unittest.skipUnless(redis74_path(), "needs Redis 7.4 (RESPITE_REDIS74)")
class DumpRestoreWithRedis74(ServerTestCase):
    N = 40

    def setUp(self):
        self.ref = RedisServer(redis74_path()).start()
        self.addCleanup(self.ref.stop)
        self.redis = self.ref.client()
        self.respite = self.server.client()
        self.respite.execute_command("FUNCTION", "FLUSH")

    def crossing(self, src, dst):
        for i in range(self.N):
            self.assertEqual(src.execute_command("FUNCTION", "LOAD", library(i)),
                             b"lib%d" % i)
        payload = src.execute_command("FUNCTION", "DUMP")
        self.assertEqual(dst.execute_command("FUNCTION", "RESTORE", payload), b"OK")
        self.assertEqual(listing(dst), listing(src))
        self.assertEqual(calls(dst, self.N), calls(src, self.N))
        stats = dst.execute_command("FUNCTION", "STATS")
        self.assertEqual(stats[3], [b"LUA", [b"libraries_count", self.N,
                                             b"functions_count", self.N]])
        # And back: what dst dumps, src restores, whatever the policy says of clashes.
        back = dst.execute_command("FUNCTION", "DUMP")
        with self.assertRaisesRegex(redis.ResponseError, "^Library lib[0-9]+ already exists"):
            src.execute_command("FUNCTION", "RESTORE", back)
        self.assertEqual(src.execute_command("FUNCTION", "RESTORE", back, "REPLACE"), b"OK")
        self.assertEqual(src.execute_command("FUNCTION", "RESTORE", back, "FLUSH"), b"OK")
        self.assertEqual(listing(src), listing(dst))
        self.assertEqual(calls(src, self.N), calls(dst, self.N))

    def test_redis_dump_restores_into_respite(self):
        self.crossing(self.redis, self.respite)

    def test_respite_dump_restores_into_redis(self):
        self.crossing(self.respite, self.redis)

    def test_one_library_dumps_to_the_same_bytes(self):
        for r in (self.redis, self.respite):
            r.execute_command("FUNCTION", "LOAD", library(3))
        self.assertEqual(self.respite.execute_command("FUNCTION", "DUMP"),
                         self.redis.execute_command("FUNCTION", "DUMP"))


SCRIPT_MEMORY = ("used_memory_lua", "used_memory_vm_eval", "used_memory_scripts_eval",
                 "number_of_cached_scripts", "used_memory_vm_functions", "used_memory_vm_total",
                 "used_memory_functions", "used_memory_scripts")


def script_memory_flow(r):
    """For each stage (fresh, loaded, flushed): which INFO scripting figures are non-zero,
    and whether their sums and units hold."""
    out = []

    def stage():
        i = r.info("memory")
        out.append(([k for k in SCRIPT_MEMORY if i[k] > 0],
                     i["used_memory_lua"] == i["used_memory_vm_eval"],
                     i["used_memory_vm_total"] == i["used_memory_vm_eval"]
                     + i["used_memory_vm_functions"],
                     i["used_memory_scripts"] == i["used_memory_scripts_eval"]
                     + i["used_memory_functions"],
                     i["used_memory_vm_eval"] % 1024 == 0
                     and i["used_memory_vm_functions"] % 1024 == 0,
                     i["number_of_cached_scripts"]))

    stage()
    r.execute_command("EVAL", "return 1", 0)
    r.execute_command("SCRIPT", "LOAD", "return 2")
    r.execute_command("FUNCTION", "LOAD", library(1))
    stage()
    r.execute_command("SCRIPT", "FLUSH")
    r.execute_command("FUNCTION", "FLUSH")
    stage()
    return out


class ScriptMemoryInfo(ServerTestCase):
    ALL_BUT_EVAL_CACHE = ["used_memory_lua", "used_memory_vm_eval", "used_memory_vm_functions",
                          "used_memory_vm_total", "used_memory_functions", "used_memory_scripts"]
    WANT = [(ALL_BUT_EVAL_CACHE, True, True, True, True, 0),
            (list(SCRIPT_MEMORY), True, True, True, True, 2),
            (ALL_BUT_EVAL_CACHE, True, True, True, True, 0)]

    def test_respite(self):
        self.assertEqual(script_memory_flow(self.spawn().client()), self.WANT)

    @unittest.skipUnless(redis74_path(), "needs Redis 7.4 (RESPITE_REDIS74)")
    def test_redis74(self):
        ref = RedisServer(redis74_path()).start()
        self.addCleanup(ref.stop)
        self.assertEqual(script_memory_flow(ref.client()), self.WANT)


if __name__ == "__main__":
    main()
