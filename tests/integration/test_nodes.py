# SPDX-License-Identifier: BSD-3-Clause
"""Stream and list nodes side by side with redis-server 7.4.1 (harness.redis74_path; skipped,
saying so, when it is absent).

The same seeded workloads run on both servers under several stream-node-max-entries /
stream-node-max-bytes and list-max-listpack-size settings and packed thresholds (DEBUG
QUICKLIST-PACKED-THRESHOLD), and every reply is compared: XLEN after each approximate
XTRIM (MAXLEN ~, MINID ~, LIMIT), XINFO STREAM's radix-tree counts, OBJECT ENCODING after
every list write (listpack <-> quicklist), LRANGE/LINDEX/LSET/LINSERT/LREM/LPOS over plain
nodes, and DUMP payloads, which must be byte-equal. Redis's stream payloads with nodes of
any size RESTORE in respite and DUMP back the same; DEBUG RELOAD keeps the nodes; the
settings given on the command line are in force from the start.
"""
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RespiteAndRedis, Server, main, redis74_path  # noqa: E402

STREAM_LIMITS = [(100, 4096), (0, 4096), (7, 0), (1, 0), (0, 0), (500, 4096), (250, 100000),
                 (100, 64), (130, 9000)]
LIST_FILLS = [-1, -2, -3, -5, 1, 2, 5, 17, 128, 0]


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class NodesAsRedis74(RespiteAndRedis):
    reference_binary = redis74_path()
    reference_args = ("--enable-debug-command", "yes")

    def setUp(self):
        self.r = self.respite.client()
        self.ref = self.reference.client()
        self.addCleanup(self.r.close)
        self.addCleanup(self.ref.close)
        for c in (self.r, self.ref):
            c.flushall()
            c.config_set("stream-node-max-entries", 100)
            c.config_set("stream-node-max-bytes", 4096)
            c.config_set("list-max-listpack-size", -2)
            c.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", 0)

    def both(self, *args):
        """The command on both servers; their replies (or errors) must be equal."""
        out = []
        for c in (self.ref, self.r):
            try:
                out.append(c.execute_command(*args))
            except Exception as e:  # an error reply: compared by its text
                out.append(("error", str(e)))
        self.assertEqual(out[1], out[0], args[:4])
        return out[0]

    def stream_workload(self, rnd, key, n):
        ms = 1000
        for i in range(n):
            ms += rnd.choice([0, 0, 1, 300])
            fv = []
            for j in range(rnd.choice([1, 1, 2, 3])):
                fv += [rnd.choice(["a", "b", "f%d" % j]),
                       rnd.choice(["1", "300", str(rnd.randrange(-10**12, 10**12)),
                                   "x" * rnd.randrange(0, 200)])]
            trim = []
            r = rnd.random()
            if r < 0.04:
                trim = ["MAXLEN", "~", rnd.randrange(0, 300)]
            elif r < 0.07:
                trim = ["MINID", "~", ms - rnd.randrange(0, 500)]
            elif r < 0.09:
                trim = ["MAXLEN", "~", rnd.randrange(0, 300), "LIMIT", rnd.randrange(0, 300)]
            self.both("XADD", key, *trim, "%d-*" % ms, *fv)
            if rnd.random() < 0.03:
                ids = [e[0] for e in self.both("XRANGE", key, "-", "+", "COUNT", 30)]
                if ids:
                    self.both("XDEL", key, *rnd.sample(ids, min(len(ids), 6)))
        return ms

    def test_approximate_trims_and_dumps_of_streams(self):
        rnd = random.Random(74)
        for ents, byts in STREAM_LIMITS:
            with self.subTest(entries=ents, bytes=byts):
                self.both("CONFIG", "SET", "stream-node-max-entries", ents)
                self.both("CONFIG", "SET", "stream-node-max-bytes", byts)
                self.both("DEL", "s")
                last = self.stream_workload(rnd, "s", rnd.choice([300, 1200]))
                self.both("XINFO", "STREAM", "s")
                self.both("DUMP", "s")
                self.both("XREVRANGE", "s", "+", "-", "COUNT", 50)
                for m in [1000, 500, 300, 200, 101, 100, 99, 50, 1, 0]:
                    self.both("XTRIM", "s", "MAXLEN", "~", m)
                    self.both("XLEN", "s")
                    self.both("XINFO", "STREAM", "s")
                self.both("DUMP", "s")
                self.both("DEL", "s")
                last = self.stream_workload(rnd, "s", 400)
                for cut in range(1000, last + 2, max(1, (last - 1000) // 8)):
                    self.both("XTRIM", "s", "MINID", "~", cut, "LIMIT", rnd.randrange(0, 200))
                    self.both("XLEN", "s")
                self.both("DUMP", "s")

    def test_redis_stream_payloads_restore_and_dump_back(self):
        rnd = random.Random(7)
        for ents, byts in [(0, 0), (1000, 0), (3, 4096)]:
            with self.subTest(entries=ents, bytes=byts):
                self.ref.config_set("stream-node-max-entries", ents)
                self.ref.config_set("stream-node-max-bytes", byts)
                self.ref.delete("s")
                for i in range(1500):
                    self.ref.execute_command("XADD", "s", "%d-%d" % (1 + i // 7, i % 7),
                                             "f", rnd.choice(["1", "v" * rnd.randrange(40)]))
                self.ref.execute_command("XDEL", "s", "2-3", "100-1", "150-0")
                payload = self.ref.dump("s")
                self.r.delete("s")
                self.r.restore("s", 0, payload)
                self.assertEqual(self.r.dump("s"), payload)
                self.both("XREVRANGE", "s", "+", "-")
                self.both("XINFO", "STREAM", "s")
                self.r.execute_command("DEBUG", "RELOAD")
                self.assertEqual(self.r.dump("s"), payload)

    def test_list_encodings_and_dumps(self):
        rnd = random.Random(17)
        for thr in [0, 100]:
            self.both("DEBUG", "QUICKLIST-PACKED-THRESHOLD", thr)
            for fill in LIST_FILLS:
                with self.subTest(threshold=thr, fill=fill):
                    self.both("CONFIG", "SET", "list-max-listpack-size", fill)
                    self.both("DEL", "l")
                    for _ in range(250):
                        self.list_op(rnd, "l")
                        self.both("OBJECT", "ENCODING", "l")
                    self.both("LRANGE", "l", 0, -1)
                    self.both("DUMP", "l")

    def list_op(self, rnd, key):
        size = rnd.choice([3, 60, 99, 100, 101, 150, 500, 5000])
        v = ("x" * rnd.randrange(1, size + 1) if rnd.random() < 0.8
             else str(rnd.randrange(-10**6, 10**6)))
        op = rnd.choice(["LPUSH", "RPUSH", "RPUSH", "LPOP", "RPOP", "LSET", "LINSERT", "LREM",
                         "LTRIM", "LINDEX", "LPOS"])
        if op in ("LPUSH", "RPUSH"):
            self.both(op, key, v)
        elif op in ("LPOP", "RPOP"):
            self.both(op, key, rnd.randrange(1, 4))
        elif op in ("LSET", "LINDEX"):
            self.both(op, key, rnd.randrange(-6, 6), *([v] if op == "LSET" else []))
        elif op == "LINSERT":
            elems = self.both("LRANGE", key, 0, -1) or [b"none"]
            self.both(op, key, rnd.choice(["BEFORE", "AFTER"]), rnd.choice(elems), v)
        elif op in ("LREM", "LPOS"):
            elems = self.both("LRANGE", key, 0, -1) or [b"none"]
            if op == "LREM":
                self.both(op, key, rnd.randrange(-2, 3), rnd.choice(elems))
            else:
                self.both(op, key, rnd.choice(elems), "RANK", rnd.choice([1, -1]))
        else:
            self.both(op, key, rnd.randrange(0, 3), rnd.randrange(-300, 300))

    def test_plain_nodes_under_a_lowered_threshold(self):
        self.both("DEBUG", "QUICKLIST-PACKED-THRESHOLD", 100)
        big = [c * n for c, n in zip("PQRSTU", [100, 150, 99, 101, 400, 100])]
        self.both("RPUSH", "p", "a", big[0], "b", big[1], big[2], "c", big[3])
        self.both("OBJECT", "ENCODING", "p")
        self.both("DEBUG", "QUICKLIST-PACKED-THRESHOLD", 0)
        # the threshold decides when an element is written, not afterwards
        self.both("DUMP", "p")
        self.both("DEBUG", "QUICKLIST-PACKED-THRESHOLD", 100)
        for i in range(-8, 8):
            self.both("LINDEX", "p", i)
        self.both("LSET", "p", 1, "small")
        self.both("LSET", "p", 2, big[4])
        self.both("LSET", "p", 3, big[5])
        self.both("LINSERT", "p", "BEFORE", big[5], big[1])
        self.both("LINSERT", "p", "AFTER", big[5], "tiny")
        self.both("LINSERT", "p", "AFTER", "small", big[0])
        self.both("RPUSH", "p", big[5], big[5])
        self.both("LREM", "p", 2, big[5])
        self.both("LREM", "p", -1, big[5])
        self.both("LREM", "p", 0, "tiny")
        self.both("LPOS", "p", big[0], "COUNT", 0)
        self.both("LRANGE", "p", 0, -1)
        self.both("LRANGE", "p", -3, 2)
        self.both("DUMP", "p")
        payload = self.ref.dump("p")
        self.r.execute_command("DEBUG", "RELOAD")
        self.assertEqual(self.r.dump("p"), payload)
        self.both("LTRIM", "p", 1, -2)
        self.both("DUMP", "p")


class NodeSettingsAtStart(unittest.TestCase):
    def test_command_line_settings_are_in_force(self):
        s = Server(["--stream-node-max-entries", "5", "--stream-node-max-bytes", "0",
                    "--list-max-listpack-size", "3"]).start()
        self.addCleanup(s.stop)
        c = s.client()
        self.addCleanup(c.close)
        got = c.execute_command("CONFIG", "GET", "stream-node-max-*")
        self.assertEqual(dict(zip(got[::2], got[1::2])),
                         {b"stream-node-max-entries": b"5", b"stream-node-max-bytes": b"0"})
        for i in range(1, 23):
            c.execute_command("XADD", "s", "%d-1" % i, "f", "v")
        info = c.execute_command("XINFO", "STREAM", "s")
        self.assertEqual(info[info.index(b"radix-tree-keys") + 1], 5)
        c.rpush("l", 1, 2, 3)
        self.assertEqual(c.object("encoding", "l"), b"listpack")
        c.rpush("l", 4)
        self.assertEqual(c.object("encoding", "l"), b"quicklist")
        self.assertIn("ql_nodes:2 ", c.execute_command("DEBUG", "OBJECT", "l").decode())


if __name__ == "__main__":
    main()
