# SPDX-License-Identifier: BSD-3-Clause
"""Streams over the wire with python3-redis: the dashboard's parameter-change
stream (project:{id}:parameter_changes, entries shaped as in
shared/seeds/000_fe5a8426e5df7159.txt), group delivery to two workers,
acknowledgement, a worker that dies and whose pending entries another one
claims with XCLAIM and XAUTOCLAIM once the server's test clock has moved
(DEBUG CLOCK ADVANCE), idle times, RESP3 shapes, and XREAD BLOCK on data
that is already there.

The dashboard's flow also runs against a real redis-server, when one is
installed, and must give the same outcome.

Blocking reads that would wait are not tested: respite cannot park clients
yet, and answers them as an expired timeout at once.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, SOCK_TIMEOUT, ServerTestCase, encode, free_port,  # noqa: E402
                     main, recv_exactly)

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


def dashboard_flow(r):
    """Sessions record changes, a follower reads them, two workers share them
    through a group, one dies and the other takes over its pending entries.
    Returns everything the clients saw. Explicit IDs and idle times set with
    XCLAIM IDLE keep it independent of either server's clock."""
    seen = []
    for i in range(1, 31):
        seen.append(r.xadd(KEY, change(i), id="1700000000000-%d" % i))
    seen.append(r.xread({KEY: "0"}, count=5, block=100))
    seen.append(r.xgroup_create(KEY, "workers", id="0"))
    for _ in range(3):
        for w in ("w1", "w2"):
            got = r.xreadgroup("workers", w, {KEY: ">"}, count=4)
            seen.append(got)
            if w == "w1":
                seen.append(r.xack(KEY, "workers", *[e[0] for e in got[0][1]]))
    seen.append(r.xpending(KEY, "workers"))
    # w2 dies: its entries are old enough for w1 to take over
    w2 = [p["message_id"] for p in
          r.xpending_range(KEY, "workers", "-", "+", 100, consumername="w2")]
    seen.append(r.xclaim(KEY, "workers", "w2", 0, w2, idle=60000, justid=True))
    cursor = "0-0"
    while True:
        cursor, claimed, deleted = r.xautoclaim(KEY, "workers", "w1", 30000, cursor, count=5)
        seen.append((claimed, deleted))
        seen.append(r.xack(KEY, "workers", *[e[0] for e in claimed]) if claimed else 0)
        if cursor == "0-0":
            break
    seen.append(r.xpending(KEY, "workers"))
    rest = r.xreadgroup("workers", "w1", {KEY: ">"})
    seen.append(rest)
    seen.append(r.xack(KEY, "workers", *[e[0] for e in rest[0][1]]))
    groups = r.xinfo_groups(KEY)
    seen.append([(g["name"], g["pending"], g["last-delivered-id"], g["entries-read"], g["lag"])
                 for g in groups])
    seen.append(r.xtrim(KEY, maxlen=10, approximate=False))
    seen.append(r.xrange(KEY, count=2))
    seen.append(r.xrevrange(KEY, count=2))
    seen.append(r.xlen(KEY))
    return seen


REDIS = shutil.which("redis-server")


@unittest.skipUnless(REDIS, "redis-server is not installed")
class SameAsRedis(StreamCase):

    def test_dashboard_flow_matches_redis(self):
        import redis
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        port = free_port()
        proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", HOST, "--save", "",
                                 "--appendonly", "no", "--dir", tmp],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def stop():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.addCleanup(stop)
        ref = redis.Redis(host=HOST, port=port, decode_responses=True,
                          socket_timeout=SOCK_TIMEOUT)
        self.addCleanup(ref.close)
        deadline = time.monotonic() + 10
        while True:
            try:
                ref.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.assertEqual(dashboard_flow(self.r), dashboard_flow(ref))


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
