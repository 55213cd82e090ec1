# SPDX-License-Identifier: BSD-3-Clause
"""Streams over the wire with python3-redis: the dashboard's parameter-change
stream (project:{id}:parameter_changes, entries shaped as in
shared/seeds/000_fe5a8426e5df7159.txt), group delivery to two workers,
acknowledgement, a worker that dies and whose pending entries another one
claims with XCLAIM and XAUTOCLAIM once the server's test clock has moved
(DEBUG CLOCK ADVANCE), idle times, RESP3 shapes, and XREAD BLOCK on data
that is already there.

Blocking reads that would wait are not tested: respite cannot park clients
yet, and answers them as an expired timeout at once.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ServerTestCase, encode, main, recv_exactly  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis, under /usr/bin/python3)

KEY = "project:{42}:parameter_changes"


def change(i):
    return {"user_id": "u%d" % (i % 3), "parameter_name": "p%d" % i,
            "old_value": str(i), "new_value": str(i + 1),
            "timestamp": str(1700000000 + i)}


class StreamCase(ServerTestCase):

    def setUp(self):
        self.r = self.server.client(decode_responses=True)
        self.addCleanup(self.r.close)
        self.r.flushall()
        # a frozen clock: idle times are exact
        now = self.r.execute_command("DEBUG", "CLOCK", "GET")
        self.r.execute_command("DEBUG", "CLOCK", "SET", now)
        self.addCleanup(self.r.execute_command, "DEBUG", "CLOCK", "REAL")

    def advance(self, ms):
        self.assertEqual(self.r.execute_command("DEBUG", "CLOCK", "ADVANCE", ms), "OK")

    def add_changes(self, n):
        return [self.r.xadd(KEY, change(i)) for i in range(n)]


class Delivery(StreamCase):

    def test_ids_are_ordered_and_entries_round_trip(self):
        ids = self.add_changes(20)
        self.assertEqual(len(set(ids)), 20)
        self.assertEqual(ids, sorted(ids, key=lambda s: tuple(map(int, s.split("-")))))
        self.assertEqual(self.r.xlen(KEY), 20)
        got = self.r.xrange(KEY)
        self.assertEqual([e[0] for e in got], ids)
        self.assertEqual(got[7][1], change(7))
        self.assertEqual([e[0] for e in self.r.xrevrange(KEY, count=3)], ids[:-4:-1])
        self.assertEqual(self.r.type(KEY), "stream")
        self.assertEqual(self.r.object("encoding", KEY), "stream")

    def test_group_spreads_entries_between_workers(self):
        ids = self.add_changes(10)
        self.r.xgroup_create(KEY, "workers", id="0")
        a = self.r.xreadgroup("workers", "w1", {KEY: ">"}, count=4)
        b = self.r.xreadgroup("workers", "w2", {KEY: ">"}, count=100)
        got_a = [e[0] for e in a[0][1]]
        got_b = [e[0] for e in b[0][1]]
        self.assertEqual(got_a + got_b, ids)
        # nothing new: the null reply
        self.assertEqual(self.r.xreadgroup("workers", "w1", {KEY: ">"}), [])
        summary = self.r.xpending(KEY, "workers")
        self.assertEqual(summary["pending"], 10)
        self.assertEqual({c["name"]: c["pending"] for c in summary["consumers"]},
                         {"w1": 4, "w2": 6})
        self.assertEqual(self.r.xack(KEY, "workers", *got_a), 4)
        self.assertEqual(self.r.xack(KEY, "workers", *got_a), 0)
        # w1's history is empty now; w2's holds its six entries
        self.assertEqual(self.r.xreadgroup("workers", "w1", {KEY: "0"}), [[KEY, []]])
        hist = self.r.xreadgroup("workers", "w2", {KEY: "0"})
        self.assertEqual([e[0] for e in hist[0][1]], got_b)
        groups = self.r.xinfo_groups(KEY)
        self.assertEqual(groups[0]["pending"], 6)
        self.assertEqual(groups[0]["lag"], 0)
        self.assertEqual(groups[0]["entries-read"], 10)

    def test_noack_and_xread(self):
        ids = self.add_changes(3)
        self.r.xgroup_create(KEY, "g", id="$")
        self.assertEqual(self.r.xreadgroup("g", "c", {KEY: ">"}, noack=True), [])
        new = self.r.xadd(KEY, change(3))
        got = self.r.xreadgroup("g", "c", {KEY: ">"}, noack=True)
        self.assertEqual(got[0][1][0][0], new)
        self.assertEqual(self.r.xpending(KEY, "g")["pending"], 0)
        # a follower's read, with BLOCK and data already there
        got = self.r.xread({KEY: ids[0]}, block=1000)
        self.assertEqual([e[0] for e in got[0][1]], ids[1:] + [new])
        got = self.r.xread({KEY: "+"})
        self.assertEqual(got[0][1][0][0], new)


class Claiming(StreamCase):

    def test_dead_worker_entries_are_claimed_after_idle_time(self):
        ids = self.add_changes(6)
        self.r.xgroup_create(KEY, "workers", id="0")
        self.r.xreadgroup("workers", "dead", {KEY: ">"}, count=4)
        self.r.xreadgroup("workers", "alive", {KEY: ">"})
        self.r.xack(KEY, "workers", ids[4], ids[5])
        self.advance(10_000)
        pend = self.r.xpending_range(KEY, "workers", min="-", max="+", count=10)
        self.assertEqual([p["message_id"] for p in pend], ids[:4])
        self.assertTrue(all(p["time_since_delivered"] == 10_000 for p in pend))
        # not idle long enough: nothing moves
        self.assertEqual(self.r.xclaim(KEY, "workers", "alive", 20_000, [ids[0]]), [])
        got = self.r.xclaim(KEY, "workers", "alive", 5_000, [ids[0]])
        self.assertEqual(got[0][0], ids[0])
        self.assertEqual(got[0][1], change(0))
        pend = self.r.xpending_range(KEY, "workers", "-", "+", 10, consumername="alive")
        self.assertEqual(pend[0]["times_delivered"], 2)
        self.assertEqual(pend[0]["time_since_delivered"], 0)
        # XAUTOCLAIM takes the rest two at a time, then the cursor ends at 0-0
        nxt, claimed, deleted = self.r.xautoclaim(KEY, "workers", "alive", 5_000, "0-0",
                                                  count=2, justid=False)
        self.assertEqual([e[0] for e in claimed], ids[1:3])
        self.assertEqual(nxt, ids[3])
        self.r.xdel(KEY, ids[3])
        nxt, claimed, deleted = self.r.xautoclaim(KEY, "workers", "alive", 5_000, nxt)
        self.assertEqual((nxt, claimed, deleted), ("0-0", [], [ids[3]]))
        cons = {c["name"]: c for c in self.r.xinfo_consumers(KEY, "workers")}
        self.assertEqual(cons["dead"]["pending"], 0)
        self.assertEqual(cons["dead"]["idle"], 10_000)
        self.assertEqual(cons["alive"]["pending"], 3)
        self.assertEqual(cons["alive"]["idle"], 0)
        self.assertEqual(self.r.xgroup_delconsumer(KEY, "workers", "dead"), 0)
        self.assertEqual(self.r.xgroup_delconsumer(KEY, "workers", "alive"), 3)
        self.assertEqual(self.r.xpending(KEY, "workers")["pending"], 0)

    def test_trim_and_errors(self):
        for i in range(1, 301):
            self.r.xadd(KEY, change(i), id="%d-0" % i)
        self.assertEqual(self.r.xtrim(KEY, maxlen=150, approximate=True), 100)
        self.assertEqual(self.r.xtrim(KEY, maxlen=150, approximate=False), 50)
        self.assertEqual(self.r.xtrim(KEY, minid="290", approximate=False), 139)
        self.assertEqual(self.r.xlen(KEY), 11)
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.xadd(KEY, {"a": "1"}, id="5-0")
        self.assertIn("equal or smaller than the target stream top item", str(cm.exception))
        self.r.set("plain", "x")
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.xadd("plain", {"a": "1"})
        self.assertTrue(str(cm.exception).startswith("WRONGTYPE"))


class Resp3(StreamCase):

    def test_xread_is_a_map(self):
        self.r.xadd("s", {"a": "1"}, id="1-1")
        sock = self.server.connect()
        self.addCleanup(sock.close)
        sock.sendall(encode("HELLO", "3"))
        sock.recv(4096)
        sock.sendall(encode("XREAD", "STREAMS", "s", "0"))
        want = b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        self.assertEqual(recv_exactly(sock, len(want)), want)
        sock.sendall(encode("XREAD", "BLOCK", "10", "STREAMS", "s", "1-1"))
        self.assertEqual(recv_exactly(sock, 3), b"_\r\n")


if __name__ == "__main__":
    main()
