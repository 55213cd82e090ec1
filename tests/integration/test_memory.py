# SPDX-License-Identifier: BSD-3-Clause
"""MEMORY and DEBUG DIGEST over the wire.

Against Redis 7.4.1 (harness.redis74_path; skipped without it): the same dataset -- every
type in every encoding, keys with TTLs, hash fields with TTLs, projects, two databases --
built on both gives the same DEBUG DIGEST and the same DEBUG DIGEST-VALUE of each key, and
each change (a TTL, a field TTL, a list's order, a score, a stream entry deleted, a key moved
to another database) changes both alike; MEMORY USAGE of each encoding is within the factor
stated in README ("Deliberate differences") of Redis's figure for the same value.

Without the reference: the digest survives DEBUG RELOAD and RDB round trips unchanged,
MEMORY USAGE follows its SAMPLES (0 measures all; a sampled estimate of a uniform hash is
close to it), grows with the value and counts what INFO used_memory counts, MEMORY STATS
has 7.4's fields in their order and INFO's figures, MEMORY DOCTOR's empty-instance text,
DEBUG CHANGE-REPL-ID changes INFO's master_replid.
"""
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RespConn, RespiteAndRedis, ServerTestCase, encode, main,  # noqa: E402
                     redis74_path)

LONG = "x" * 100  # past every *-max-listpack-value: a table, a tree, a raw string

# (key, commands building it, OBJECT ENCODING on both servers)
VALUES = [
    ("s:int", [["SET", "s:int", "12345"]], "int"),
    ("s:emb", [["SET", "s:emb", "hello world"]], "embstr"),
    ("s:raw", [["SET", "s:raw", LONG * 3]], "raw"),
    ("s:app", [["SET", "s:app", "ab"], ["APPEND", "s:app", "cd"]], "raw"),
    ("l:lp", [["RPUSH", "l:lp", "a", "1", "-2", "bb", "007"]], "listpack"),
    ("l:ql", [["RPUSH", "l:ql"] + ["element-%d" % i for i in range(2000)]], "quicklist"),
    ("l:big", [["RPUSH", "l:big"] + [LONG * 40 for _ in range(6)]], "quicklist"),
    ("st:int", [["SADD", "st:int", "1", "2", "-3", "100000000000"]], "intset"),
    ("st:lp", [["SADD", "st:lp", "a", "b", "1"]], "listpack"),
    ("st:ht", [["SADD", "st:ht", LONG] + ["m%d" % i for i in range(300)]], "hashtable"),
    ("z:lp", [["ZADD", "z:lp", "1", "a", "1.5", "b", "-0", "c", "100000000", "d", "1e17",
               "e", "inf", "f", "-inf", "g", "0.1", "h", "3", "7"]], "listpack"),
    ("z:sl", [["ZADD", "z:sl", "1e20", LONG, "-1e-7", "tiny"] +
              sum([[str(i * 1.25), "m%d" % i] for i in range(300)], [])], "skiplist"),
    ("h:lp", [["HSET", "h:lp", "f", "v", "n", "12", "e", ""]], "listpack"),
    ("h:lpex", [["HSET", "h:lpex", "a", "1", "b", "2"],
                ["HEXPIRE", "h:lpex", "1000", "FIELDS", "1", "a"]], "listpackex"),
    ("h:ht", [["HSET", "h:ht", "long", LONG] +
              sum([["f%d" % i, "v%d" % i] for i in range(300)], [])], "hashtable"),
    ("h:htex", [["HSET", "h:htex", "long", LONG] +
                sum([["f%d" % i, "v%d" % i] for i in range(300)], []),
                ["HEXPIRE", "h:htex", "1000", "FIELDS", "2", "f1", "f7"],
                ["EXPIRE", "h:htex", "2000"]], "hashtable"),
    ("x", [["XADD", "x", "1-1", "a", "1", "b", "2"], ["XADD", "x", "1-2", "a", "3", "b", "4"],
           ["XADD", "x", "2-0", "other", "v"], ["XADD", "x", "3-0", "a", "1", "b", "2"],
           ["XDEL", "x", "1-2"], ["XGROUP", "CREATE", "x", "g", "0"],
           ["XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "x", ">"]], "stream"),
    ("s:ttl", [["SET", "s:ttl", "v", "EX", "1000"]], "embstr"),
    ("project:p1:k", [["SET", "project:p1:k", "v"]], "embstr"),
    ("project:p1:h", [["HSET", "project:p1:h", "a", "b"]], "listpack"),
    ("project:p2:l", [["RPUSH", "project:p2:l", "x", "y"]], "listpack"),
]

# MEMORY USAGE respite / Redis 7.4 for the same value stays in [1/FACTOR, FACTOR]; a stream
# in [1/STREAM_FACTOR, FACTOR]: Redis gives a stream's node 4 KB at once, respite grows it.
FACTOR = 4
STREAM_FACTOR = 16


def conn(srv):
    return RespConn(socket.create_connection((HOST, srv.port), timeout=30))


def build(c):
    for _, cmds, _ in VALUES:
        for cmd in cmds:
            c.cmd(*cmd)
    c.cmd("SELECT", "3")
    c.cmd("SET", "k3", "v3")
    c.cmd("SADD", "s3", "z")
    c.cmd("SELECT", "0")


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class DigestAndUsageAsRedis74(RespiteAndRedis):
    reference_binary = redis74_path()
    reference_args = ("--enable-debug-command", "yes")

    def setUp(self):
        self.conns = [conn(self.reference), conn(self.respite)]
        for c in self.conns:
            self.assertEqual(c.cmd("FLUSHALL"), b"OK")
            build(c)

    def tearDown(self):
        for c in self.conns:
            c.close()
        super().tearDown()

    def both(self, *cmd):
        return [c.cmd(*cmd) for c in self.conns]

    def assert_same(self, *cmd):
        ref, rs = self.both(*cmd)
        self.assertEqual(rs, ref, cmd)
        return rs

    def test_every_type_and_encoding_digests_as_redis(self):
        keys = [k for k, _, _ in VALUES]
        for key, _, enc in VALUES:
            self.assertEqual(self.both("OBJECT", "ENCODING", key), [enc.encode()] * 2, key)
        digest = self.assert_same("DEBUG", "DIGEST")
        self.assertNotEqual(digest, b"0" * 40)
        values = self.assert_same("DEBUG", "DIGEST-VALUE", *keys, "nokey")
        self.assertEqual(len(set(values)), len(keys) + 1, "every value digests apart")
        self.assertEqual(values[-1], b"0" * 40)
        self.assert_same("SELECT", "3")
        self.assert_same("DEBUG", "DIGEST-VALUE", "k3", "s3", "s:int")

    def test_each_change_changes_both_digests_alike(self):
        seen = {self.assert_same("DEBUG", "DIGEST")}
        for cmd in (["PERSIST", "s:ttl"], ["EXPIRE", "s:emb", "100"],
                    ["HPERSIST", "h:lpex", "FIELDS", "1", "a"],
                    ["HEXPIRE", "h:ht", "100", "FIELDS", "1", "f3"],
                    ["LMOVE", "l:lp", "l:lp", "LEFT", "RIGHT"], ["ZADD", "z:lp", "2", "a"],
                    ["ZADD", "z:sl", "0.30000000000000004", "m1"], ["XDEL", "x", "2-0"],
                    ["SREM", "st:ht", "m7"], ["MOVE", "s:int", "5"],
                    ["SET", "project:p1:k", "12"], ["DEL", "project:p2:l"]):
            self.assert_same(*cmd)
            digest = self.assert_same("DEBUG", "DIGEST")
            self.assertNotIn(digest, seen, cmd)
            seen.add(digest)

    def test_memory_usage_is_within_the_stated_factor_of_redis(self):
        for key, _, enc in VALUES:
            for samples in ([], ["SAMPLES", "0"]):
                ref, rs = self.both("MEMORY", "USAGE", key, *samples)
                low = 1 / (STREAM_FACTOR if enc == "stream" else FACTOR)
                self.assertTrue(low <= rs / ref <= FACTOR,
                                "%s (%s): respite %d, Redis %d" % (key, enc, rs, ref))


class MemoryAndDigest(ServerTestCase):

    def setUp(self):
        self.c = conn(self.server)
        self.assertEqual(self.c.cmd("FLUSHALL"), b"OK")
        self.addCleanup(self.c.close)

    def info(self, section):
        text = self.c.cmd("INFO", section).decode()
        return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)

    def test_digest_survives_reload(self):
        build(self.c)
        before = self.c.cmd("DEBUG", "DIGEST")
        values = self.c.cmd("DEBUG", "DIGEST-VALUE", *[k for k, _, _ in VALUES])
        self.assertEqual(self.c.cmd("DEBUG", "RELOAD"), b"OK")
        self.assertEqual(self.c.cmd("DEBUG", "DIGEST"), before)
        self.assertEqual(self.c.cmd("DEBUG", "DIGEST-VALUE", *[k for k, _, _ in VALUES]),
                         values)
        self.assertEqual(self.c.cmd("FLUSHALL"), b"OK")
        self.assertEqual(self.c.cmd("DEBUG", "DIGEST"), b"0" * 40)

    def test_usage_samples_and_growth(self):
        for i in range(2000):
            self.c.cmd("HSET", "h", "field:%05d" % i, "value:%05d" % i)
        exact = self.c.cmd("MEMORY", "USAGE", "h", "SAMPLES", "0")
        sampled = self.c.cmd("MEMORY", "USAGE", "h")
        self.assertEqual(self.c.cmd("MEMORY", "USAGE", "h", "SAMPLES", "5"), sampled)
        # uniform fields: five of them tell the mean of all
        self.assertLess(abs(sampled - exact), exact / 10, (sampled, exact))
        self.assertGreater(exact, 2000 * 40)
        self.c.cmd("SET", "s", "x" * 10)
        small = self.c.cmd("MEMORY", "USAGE", "s")
        self.c.cmd("SET", "s", "x" * 10000)
        self.assertGreaterEqual(self.c.cmd("MEMORY", "USAGE", "s"), small + 10000 - 10)
        self.assertIsNone(self.c.cmd("MEMORY", "USAGE", "nokey"))

    def test_sorted_set_usage_samples_after_reload(self):
        # members added in order, then loaded again (an RDB holds them from the end, so
        # the tree's first leaf holds a few): the sample is of members, not of leaves
        pipe = b"".join(encode("ZADD", "z", *[x for i in range(lo, lo + 25)
                                            for x in (str(i), "member:%06d" % i)])
                        for lo in range(0, 10025, 25))
        self.c.send(pipe)
        for _ in range(401):
            self.assertEqual(self.c.reply(), 25)
        usages = []
        for _ in range(2):
            exact = self.c.cmd("MEMORY", "USAGE", "z", "SAMPLES", "0")
            for samples in ([], ["SAMPLES", "1"]):
                sampled = self.c.cmd("MEMORY", "USAGE", "z", *samples)
                self.assertLess(abs(sampled - exact), exact / 10, (samples, sampled, exact))
            usages.append(exact)
            self.assertEqual(self.c.cmd("DEBUG", "RELOAD"), b"OK")
        self.assertLess(abs(usages[1] - usages[0]), usages[0] / 10, usages)

    def test_stats_fields_and_doctor(self):
        doctor = self.c.cmd("MEMORY", "DOCTOR")
        self.assertTrue(doctor.startswith(b"Hi Sam, this instance is empty"), doctor)
        self.c.cmd("SET", "a", "1")
        self.c.cmd("SELECT", "2")
        self.c.cmd("SET", "b", "2", "EX", "100")
        stats = self.c.cmd("MEMORY", "STATS")
        names = [n.decode() for n in stats[0::2]]
        self.assertEqual(names, [
            "peak.allocated", "total.allocated", "startup.allocated", "replication.backlog",
            "clients.slaves", "clients.normal", "cluster.links", "aof.buffer", "lua.caches",
            "functions.caches", "db.0", "db.2", "overhead.db.hashtable.lut",
            "overhead.db.hashtable.rehashing", "overhead.total", "db.dict.rehashing.count",
            "keys.count", "keys.bytes-per-key", "dataset.bytes", "dataset.percentage",
            "peak.percentage", "allocator.allocated", "allocator.active", "allocator.resident",
            "allocator.muzzy", "allocator-fragmentation.ratio", "allocator-fragmentation.bytes",
            "allocator-rss.ratio", "allocator-rss.bytes", "rss-overhead.ratio",
            "rss-overhead.bytes", "fragmentation", "fragmentation.bytes"])
        s = dict(zip(names, stats[1::2]))
        mem = self.info("memory")
        self.assertEqual(s["total.allocated"], int(mem["used_memory"]))
        self.assertEqual(s["dataset.bytes"], int(mem["used_memory_dataset"]))
        self.assertEqual(s["overhead.total"], int(mem["used_memory_overhead"]))
        self.assertEqual(s["keys.count"], 2)
        self.assertGreaterEqual(s["peak.allocated"], s["total.allocated"])
        self.assertEqual(s["db.2"][0::2], [b"overhead.hashtable.main",
                                           b"overhead.hashtable.expires"])
        self.assertGreater(s["db.2"][3], 0, "db 2's key has a TTL")

    def test_usage_counts_what_used_memory_counts(self):
        base = int(self.info("memory")["used_memory_dataset"])
        for i in range(200):
            self.c.cmd("SET", "k%d" % i, "v" * 50)
        grown = int(self.info("memory")["used_memory_dataset"]) - base
        usage = sum(self.c.cmd("MEMORY", "USAGE", "k%d" % i) for i in range(200))
        # The allocator's sizes round up what the accounting asks for, by less than half.
        self.assertTrue(grown <= usage <= grown * 1.5, (grown, usage))

    def test_change_repl_id(self):
        before = self.info("replication")["master_replid"]
        self.assertEqual(self.c.cmd("DEBUG", "CHANGE-REPL-ID"), b"OK")
        after = self.info("replication")["master_replid"]
        self.assertNotEqual(after, before)
        self.assertRegex(after, "^[0-9a-f]{40}$")


if __name__ == "__main__":
    main()
