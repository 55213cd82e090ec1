# SPDX-License-Identifier: BSD-3-Clause
"""Streams over the wire with python3-redis: the dashboard's parameter-change
stream (project:{id}:parameter_changes, entries shaped as in
shared/seeds/000_fe5a8426e5df7159.txt), group delivery to two workers,
acknowledgement, a worker that dies and whose pending entries another one
claims with XCLAIM and XAUTOCLAIM once the server's test clock has moved
(DEBUG CLOCK ADVANCE), idle times, RESP3 shapes, and XREAD / XREADGROUP
with BLOCK: on data that is already there, and blocked clients woken by
XADD, by the key's deletion or XGROUP DESTROY, by CLIENT UNBLOCK, or by
their timeout, plus a blocked reader that disconnects.

The dashboard's flow and the blocking flow (raw replies, byte for byte) also
run against a real redis-server, when one is installed, and must give the
same outcome. A reader blocked in XREADGROUP, woken by each way its key or
group can change (DEL, a new type, FLUSHDB, FLUSHALL, XGROUP DESTROY, the group
or key recreated, RENAME, SWAPDB, expiry...), answers as 7.4.1 does, when the
reference is there. Every block has a timeout under a second or is ended by the
test; every wait for the server's state has a deadline.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (HOST, SOCK_TIMEOUT, RedisServer, RespConn, RespError,  # noqa: E402
                     Server, ServerTestCase, encode, free_port, main, recv_exactly,
                     redis74_path)

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
REDIS74 = redis74_path()
# Steps where Redis 7.0 differs from 7.4, which respite follows: a blocked XREADGROUP whose
# key goes or changes type, or whose group is destroyed, runs again in 7.4 (NOGROUP,
# WRONGTYPE) where 7.0 answers -UNBLOCKED or its own NOGROUP text.
REDIS70_DIFFERS = {"DEL group reader", "SET group reader", "destroyed", "group reader"}


def without(steps, names):
    return [(step, v) for step, v in steps if step not in names]


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


# ---- blocking reads ---------------------------------------------------------------------

WAIT_LIMIT = 5.0  # seconds a test waits for the server to reach a state


class RawConn(RespConn):
    """A RespConn whose raw_cmd / raw_reply return the reply's exact bytes."""

    def __init__(self, sock):
        super().__init__(sock)
        self.raw = []

    def _line(self):
        line = super()._line()
        self.raw.append(line + b"\r\n")
        return line

    def _bytes(self, n):
        data = super()._bytes(n)
        self.raw.append(data + b"\r\n")
        return data

    def raw_reply(self):
        self.raw = []
        self.reply()
        return b"".join(self.raw)

    def raw_cmd(self, *args):
        self.send(encode(*args))
        return self.raw_reply()


def raw_conn(port):
    sock = socket.create_connection((HOST, port), timeout=SOCK_TIMEOUT)
    return RawConn(sock)


def wait_blocked(admin, n):
    """Wait (bounded) until the server reports n blocked clients."""
    harness.wait_blocked(admin, n, WAIT_LIMIT)


def blocking_flow(port):
    """Clients blocked in XREAD / XREADGROUP and what wakes them, with explicit IDs so
    that every reply is deterministic. Returns [(step, raw reply bytes)]."""
    seen = []
    conns = [raw_conn(port) for _ in range(4)]
    a, r1, r2, r3 = conns
    try:
        def log(step, data):
            seen.append((step, data))

        def block(conn, *args):
            conn.send(encode(*args))

        a.raw_cmd("FLUSHALL")
        # $ on a missing stream, woken by the XADD that creates it
        block(r1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        wait_blocked(a, 1)
        log("xadd new", a.raw_cmd("XADD", "s", "1-1", "a", "1"))
        log("$ woken", r1.raw_reply())
        # three readers, one of them on two keys, all get the one new entry
        block(r1, "XREAD", "BLOCK", "0", "STREAMS", "s", "1-1")
        block(r2, "XREAD", "BLOCK", "900", "STREAMS", "s", "$")
        block(r3, "XREAD", "COUNT", "5", "BLOCK", "0", "STREAMS", "t", "s", "$", "$")
        wait_blocked(a, 3)
        log("xadd existing", a.raw_cmd("XADD", "s", "2-1", "b", "2"))
        log("r1", r1.raw_reply())
        log("r2", r2.raw_reply())
        log("r3", r3.raw_reply())
        # an entry before the requested ID does not serve it
        block(r1, "XREAD", "BLOCK", "0", "STREAMS", "s", "5-0")
        wait_blocked(a, 1)
        a.raw_cmd("XADD", "s", "3-0", "c", "3")
        wait_blocked(a, 1)
        a.raw_cmd("XADD", "s", "6-0", "d", "4")
        log("after 5-0", r1.raw_reply())
        # the timeout
        log("timeout", r1.raw_cmd("XREAD", "BLOCK", "50", "STREAMS", "s", "$"))
        # group readers: the first blocked takes the entry, into its PEL
        a.raw_cmd("XGROUP", "CREATE", "s", "g", "$")
        block(r1, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(a, 1)
        block(r2, "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(a, 2)
        a.raw_cmd("XADD", "s", "7-0", "e", "5")
        log("group first", r1.raw_reply())
        wait_blocked(a, 1)
        log("pending", a.raw_cmd("XPENDING", "s", "g"))
        a.raw_cmd("XADD", "s", "8-0", "f", "6")
        log("group second", r2.raw_reply())
        # NOACK and COUNT: served as a normal read, nothing pending
        block(r1, "XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "NOACK", "BLOCK", "0",
              "STREAMS", "s", ">")
        wait_blocked(a, 1)
        a.raw_cmd("XADD", "s", "9-0", "g", "7")
        log("noack", r1.raw_reply())
        log("pending after noack", a.raw_cmd("XPENDING", "s", "g"))
        # a history read never blocks
        log("history", r1.raw_cmd("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0",
                                  "STREAMS", "s", "0"))
        # the key deleted, or turned into a string: the group reader runs again
        for kill in (("DEL", "s"), ("SET", "s", "x")):
            a.raw_cmd("DEL", "s")
            a.raw_cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
            block(r1, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
            block(r2, "XREAD", "BLOCK", "200", "STREAMS", "s", "$")
            wait_blocked(a, 2)
            a.raw_cmd(*kill)
            log(kill[0] + " group reader", r1.raw_reply())
            log(kill[0] + " plain reader", r2.raw_reply())
        a.raw_cmd("DEL", "s")
        a.raw_cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        block(r1, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(a, 1)
        log("destroy", a.raw_cmd("XGROUP", "DESTROY", "s", "g"))
        log("destroyed", r1.raw_reply())
        # inside MULTI nothing blocks
        a.raw_cmd("XGROUP", "CREATE", "s", "g", "$")
        r1.raw_cmd("MULTI")
        r1.raw_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        r1.raw_cmd("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
        log("multi", r1.raw_cmd("EXEC"))
        # CLIENT UNBLOCK: the timeout reply, or an error
        rid = r1.cmd("CLIENT", "ID")
        for how in ((), ("ERROR",)):
            block(r1, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
            wait_blocked(a, 1)
            log("unblock" + "".join(how), a.raw_cmd("CLIENT", "UNBLOCK", rid, *how))
            log("unblocked" + "".join(how), r1.raw_reply())
        # bad timeouts
        for t in ("abc", "-1", "1.5", "99999999999999999999"):
            log("timeout " + t, a.raw_cmd("XREAD", "BLOCK", t, "STREAMS", "s", "$"))
            log("group timeout " + t, a.raw_cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", t,
                                                "STREAMS", "s", ">"))
        # RESP3: the woken reply is a map, the timeout a null
        r2.cmd("HELLO", "3")
        block(r2, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        wait_blocked(a, 1)
        a.raw_cmd("XADD", "s", "10-0", "h", "8")
        log("resp3 woken", r2.raw_reply())
        log("resp3 timeout", r2.raw_cmd("XREAD", "BLOCK", "20", "STREAMS", "s", "$"))
        # a blocked reader that goes away leaves nothing behind
        block(r3, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        wait_blocked(a, 1)
        r3.close()
        wait_blocked(a, 0)
        log("after disconnect", a.raw_cmd("XADD", "s", "11-0", "i", "9"))
    finally:
        for c in conns:
            c.close()
    return seen


class Blocking(StreamCase):

    def test_blocking_flow(self):
        seen = dict(blocking_flow(self.server.port))
        def bulk(x):
            return b"$%d\r\n%s\r\n" % (len(x), x)

        def entry(eid, f, v):
            return b"*2\r\n" + bulk(eid) + b"*2\r\n" + bulk(f) + bulk(v)

        def one(key, eid, f, v):
            return b"*1\r\n*2\r\n" + bulk(key) + b"*1\r\n" + entry(eid, f, v)
        self.assertEqual(seen["$ woken"], one(b"s", b"1-1", b"a", b"1"))
        for r in ("r1", "r2", "r3"):
            self.assertEqual(seen[r], one(b"s", b"2-1", b"b", b"2"))
        self.assertEqual(seen["after 5-0"], one(b"s", b"6-0", b"d", b"4"))
        self.assertEqual(seen["timeout"], b"*-1\r\n")
        self.assertEqual(seen["group first"], one(b"s", b"7-0", b"e", b"5"))
        self.assertEqual(seen["group second"], one(b"s", b"8-0", b"f", b"6"))
        self.assertEqual(seen["pending"],
                         b"*4\r\n:1\r\n$3\r\n7-0\r\n$3\r\n7-0\r\n"
                         b"*1\r\n*2\r\n$2\r\nc1\r\n$1\r\n1\r\n")
        self.assertEqual(seen["noack"], one(b"s", b"9-0", b"g", b"7"))
        # 8-0 went to c2 before; the NOACK read added nothing
        self.assertEqual(seen["pending after noack"],
                         b"*4\r\n:2\r\n$3\r\n7-0\r\n$3\r\n8-0\r\n*2\r\n"
                         b"*2\r\n$2\r\nc1\r\n$1\r\n1\r\n*2\r\n$2\r\nc2\r\n$1\r\n1\r\n")
        nogroup = (b"-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP "
                   b"option\r\n")
        self.assertEqual(seen["DEL group reader"], nogroup)
        self.assertEqual(seen["SET group reader"],
                         b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
        for kill in ("DEL", "SET"):
            self.assertEqual(seen[kill + " plain reader"], b"*-1\r\n")
        self.assertEqual(seen["destroyed"], nogroup)
        self.assertEqual(seen["multi"], b"*2\r\n*-1\r\n*-1\r\n")
        self.assertEqual(seen["unblocked"], b"*-1\r\n")
        self.assertEqual(seen["unblockedERROR"],
                         b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
        self.assertEqual(seen["timeout abc"],
                         b"-ERR timeout is not an integer or out of range\r\n")
        self.assertEqual(seen["timeout -1"], b"-ERR timeout is negative\r\n")
        self.assertEqual(seen["resp3 woken"],
                         b"%1\r\n$1\r\ns\r\n*1\r\n" + entry(b"10-0", b"h", b"8"))
        self.assertEqual(seen["resp3 timeout"], b"_\r\n")
        self.assertEqual(seen["after disconnect"], b"$4\r\n11-0\r\n")
        self.assertEqual(self.r.info("clients")["blocked_clients"], 0)

    def test_consumer_is_created_when_it_blocks(self):
        self.r.xgroup_create("s", "g", id="$", mkstream=True)
        c = self.server.conn()
        self.addCleanup(c.close)
        c.send(encode("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"))
        admin = self.server.conn()
        self.addCleanup(admin.close)
        wait_blocked(admin, 1)
        cons = self.r.xinfo_consumers("s", "g")
        self.assertEqual([(x["name"], x["pending"]) for x in cons], [("alice", 0)])
        self.advance(1000)
        self.r.xadd("s", {"a": "1"}, id="1-0")
        self.assertEqual(c.reply(), [[b"s", [[b"1-0", [b"a", b"1"]]]]])
        cons = self.r.xinfo_consumers("s", "g")
        # seen and active again when the re-run served it
        self.assertEqual((cons[0]["idle"], cons[0]["inactive"], cons[0]["pending"]), (0, 0, 1))

    def test_timeout_past_the_clock_range(self):
        # 7.2+ (redis-server 7.0 blocks for ever instead)
        c = self.server.conn()
        self.addCleanup(c.close)
        for cmd in (("XREAD",), ("XREADGROUP", "GROUP", "g", "c")):
            self.assertEqual(c.cmd(*cmd, "BLOCK", "9223372036854775807", "STREAMS", "s", "0"),
                             RespError("ERR timeout is out of range"))

    def test_plus_does_not_block_on_entries(self):
        # 7.4's "+": the last entry, at once; on an empty stream it waits
        self.r.xadd("s", {"a": "1"}, id="1-0")
        self.r.xadd("s", {"b": "2"}, id="2-0")
        c, admin = self.server.conn(), self.server.conn()
        self.addCleanup(c.close)
        self.addCleanup(admin.close)
        self.assertEqual(c.cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "+"),
                         [[b"s", [[b"2-0", [b"b", b"2"]]]]])
        c.send(encode("XREAD", "BLOCK", "0", "STREAMS", "e", "+"))
        wait_blocked(admin, 1)
        self.r.xadd("e", {"c": "3"}, id="3-0")
        self.assertEqual(c.reply(), [[b"e", [[b"3-0", [b"c", b"3"]]]]])


@unittest.skipUnless(REDIS, "redis-server is not installed")
def expiry_flow(port):
    """Keys that waiters block on, reclaimed by active expiry while no client runs a
    command: a group reader hears at once that its stream is gone; a plain reader and a
    list pop keep waiting. Returns [(step, raw reply bytes or a check)]."""
    seen = []
    conns = [raw_conn(port) for _ in range(4)]
    a, r1, r2, r3 = conns
    try:
        a.raw_cmd("FLUSHALL")
        a.raw_cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        a.raw_cmd("XADD", "t", "1-1", "f", "v")
        a.raw_cmd("RPUSH", "l", "x")
        a.raw_cmd("LPOP", "l")
        r1.send(encode("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">"))
        r2.send(encode("XREAD", "BLOCK", "0", "STREAMS", "t", "$"))
        r3.send(encode("BLPOP", "l", "0"))
        wait_blocked(a, 3)
        for key in ("s", "t"):
            seen.append(("pexpire " + key, a.raw_cmd("PEXPIRE", key, "100")))
        t0 = time.monotonic()
        seen.append(("group reader", r1.raw_reply()))
        seen.append(("group reader in time", time.monotonic() - t0 < 1.5))
        deadline = time.monotonic() + WAIT_LIMIT
        while a.raw_cmd("EXISTS", "t") != b":0\r\n" and time.monotonic() < deadline:
            time.sleep(0.02)
        wait_blocked(a, 2)
        seen.append(("push", a.raw_cmd("RPUSH", "l", "y")))
        seen.append(("list pop", r3.raw_reply()))
        seen.append(("xadd", a.raw_cmd("XADD", "t", "2-1", "f", "w")))
        seen.append(("plain reader", r2.raw_reply()))
    finally:
        for c in conns:
            c.close()
    return seen


class ExpiryWakesSameAsRedis(unittest.TestCase):

    def test_active_expiry_wakes_a_group_reader_at_once(self):
        mine = Server().start()
        self.addCleanup(mine.stop)
        ref = RedisServer().start()
        self.addCleanup(ref.stop)
        got, want = expiry_flow(mine.port), expiry_flow(ref.port)
        # 7.0 answers -UNBLOCKED where 7.4 runs the command again (REDIS70_DIFFERS)
        self.assertEqual(without(got, REDIS70_DIFFERS), without(want, REDIS70_DIFFERS))
        self.assertIn(("group reader", b"-NOGROUP No such key 's' or consumer group 'g' in "
                                       b"XREADGROUP with GROUP option\r\n"), got)
        self.assertIn(("group reader in time", True), got)

    @unittest.skipUnless(REDIS74, "no Redis 7.4 (set RESPITE_REDIS74)")
    def test_active_expiry_wakes_a_group_reader_as_redis_74(self):
        mine = Server().start()
        self.addCleanup(mine.stop)
        ref = RedisServer(REDIS74).start()
        self.addCleanup(ref.stop)
        self.assertEqual(expiry_flow(mine.port), expiry_flow(ref.port))


class BlockingSameAsRedis(StreamCase):

    def check_same(self, ref, differs=()):
        mine, theirs = blocking_flow(self.server.port), blocking_flow(ref.port)
        self.assertEqual([s for s, _ in mine], [s for s, _ in theirs])
        for (step, a), (_, b) in zip(mine, theirs):
            if step not in differs:
                self.assertEqual(a, b, step)

    def test_blocking_flow_matches_redis(self):
        ref = RedisServer().start()
        self.addCleanup(ref.stop)
        self.check_same(ref, REDIS70_DIFFERS)

    @unittest.skipUnless(REDIS74, "no Redis 7.4 (set RESPITE_REDIS74)")
    def test_blocking_flow_matches_redis_74(self):
        ref = RedisServer(REDIS74).start()
        self.addCleanup(ref.stop)
        self.check_same(ref)


# A client blocked in XREADGROUP ... STREAMS s > when another client changes s or its group:
# 7.4 runs the command again (NOGROUP, WRONGTYPE, the entries, or blocking on), as respite.
WAKERS = {
    "DEL": [("DEL", "s")],
    "UNLINK": [("UNLINK", "s")],
    "DEL and SET": [("MULTI",), ("DEL", "s"), ("SET", "s", "x"), ("EXEC",)],
    "SET over": [("SET", "s", "x")],
    "a list in its place": [("MULTI",), ("DEL", "s"), ("RPUSH", "s", "a"), ("EXEC",)],
    "FLUSHDB": [("FLUSHDB",)],
    "FLUSHALL": [("FLUSHALL",)],
    "FLUSHALL ASYNC": [("FLUSHALL", "ASYNC")],
    "XGROUP DESTROY": [("XGROUP", "DESTROY", "s", "g")],
    "group recreated": [("MULTI",), ("XGROUP", "DESTROY", "s", "g"),
                        ("XGROUP", "CREATE", "s", "g", "0"), ("EXEC",)],
    "key and group recreated": [("MULTI",), ("DEL", "s"), ("XADD", "s", "2-1", "a", "b"),
                                ("XGROUP", "CREATE", "s", "g", "0"), ("EXEC",)],
    "XGROUP SETID": [("XGROUP", "SETID", "s", "g", "0")],
    "XGROUP DELCONSUMER": [("XGROUP", "DELCONSUMER", "s", "g", "c")],
    "XADD": [("XADD", "s", "2-2", "f", "v")],
    "RENAME": [("RENAME", "s", "t")],
    "SWAPDB": [("SWAPDB", "0", "1")],
    "expired": [("PEXPIRE", "s", "1"), ("DEBUG", "SLEEP", "0.02"), ("EXISTS", "s")],
}


@unittest.skipIf(REDIS74 is None, "no Redis 7.4.1 reference (RESPITE_REDIS74)")
class BlockedGroupReaderAs74(unittest.TestCase):
    """Each waker of WAKERS against respite and 7.4.1, in RESP2 and RESP3: the blocked
    reader's reply (or its timeout, 300 ms) and the waker's replies, byte for byte."""

    def outcome(self, port, wake, proto):
        admin = RespConn(socket.create_connection((HOST, port), timeout=SOCK_TIMEOUT))
        reader = RespConn(socket.create_connection((HOST, port), timeout=SOCK_TIMEOUT))
        try:
            admin.cmd("FLUSHALL")
            admin.cmd("XADD", "s", "1-1", "f", "v")
            admin.cmd("XGROUP", "CREATE", "s", "g", "$")
            if proto == 3:
                reader.cmd("HELLO", "3")
            reader.send(encode("XREADGROUP", "GROUP", "g", "c", "BLOCK", "300",
                               "STREAMS", "s", ">"))
            deadline = time.monotonic() + 5
            while b"blocked_clients:1" not in admin.cmd("INFO", "clients"):
                self.assertLess(time.monotonic(), deadline, "the reader never blocked")
                time.sleep(0.005)
            said = [admin.cmd(*cmd) for cmd in wake]
            return reader.reply(), said
        finally:
            admin.close()
            reader.close()

    def test_each_waker_as_74(self):
        ref = RedisServer(REDIS74, args=("--enable-debug-command", "yes")).start()
        self.addCleanup(ref.stop)
        ours = Server().start()
        self.addCleanup(ours.stop)
        for proto in (2, 3):
            for name, wake in WAKERS.items():
                with self.subTest(waker=name, proto=proto):
                    self.assertEqual(self.outcome(ours.port, wake, proto),
                                     self.outcome(ref.port, wake, proto))
        ours.assert_alive()


if __name__ == "__main__":
    main()
