# SPDX-License-Identifier: BSD-3-Clause
"""Debian's python3-redis (redis-py) against respite: the string commands, expiry driven
by the server's test clock (DEBUG CLOCK ADVANCE), key commands across project shards,
pipelines, connection and server commands, and the dashboard's own flows from
shared/seeds/000_fe5a8426e5df7159.txt (session state strings with a TTL, the
connection-pool settings).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ServerTestCase, main  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis, under /usr/bin/python3)


class RedisPyCase(ServerTestCase):

    def setUp(self):
        self.r = self.server.client(decode_responses=True)
        self.addCleanup(self.r.close)
        self.r.flushall()

    def advance(self, ms):
        """Move the server's clock forward by ms milliseconds."""
        self.assertEqual(self.r.execute_command("DEBUG", "CLOCK", "ADVANCE", ms), "OK")


class Strings(RedisPyCase):

    def test_set_get_and_options(self):
        r = self.r
        self.assertTrue(r.set("s:a", "hello"))
        self.assertEqual(r.get("s:a"), "hello")
        self.assertIsNone(r.get("s:missing"))
        self.assertIsNone(r.set("s:a", "x", nx=True))
        self.assertTrue(r.set("s:a", "world", xx=True))
        self.assertEqual(r.set("s:a", "again", get=True), "world")
        self.assertTrue(r.set("s:bin", b"\x00\xff\r\n"))
        raw = self.server.client()
        self.addCleanup(raw.close)
        self.assertEqual(raw.get("s:bin"), b"\x00\xff\r\n")

    def test_counters(self):
        r = self.r
        self.assertEqual(r.incr("s:n"), 1)
        self.assertEqual(r.incrby("s:n", 41), 42)
        self.assertEqual(r.decr("s:n"), 41)
        self.assertEqual(r.incrbyfloat("s:f", 10.5), 10.5)
        self.assertAlmostEqual(r.incrbyfloat("s:f", 0.1), 10.6)
        self.assertEqual(r.get("s:f"), "10.6")
        r.set("s:text", "abc")
        with self.assertRaisesRegex(redis.ResponseError, "value is not an integer or out of range"):
            r.incr("s:text")

    def test_mset_mget(self):
        r = self.r
        self.assertTrue(r.mset({"m:1": "one", "project:7:m": "seven", "project:{8}:m": "eight"}))
        self.assertEqual(r.mget("m:1", "m:missing", "project:7:m", "project:{8}:m"),
                         ["one", None, "seven", "eight"])

    def test_getex_getdel(self):
        r = self.r
        r.set("g:k", "v")
        self.assertEqual(r.getex("g:k", ex=100), "v")
        self.assertEqual(r.ttl("g:k"), 100)
        self.assertEqual(r.getex("g:k", persist=True), "v")
        self.assertEqual(r.ttl("g:k"), -1)
        self.assertEqual(r.getdel("g:k"), "v")
        self.assertIsNone(r.getdel("g:k"))
        self.assertEqual(r.exists("g:k"), 0)

    def test_append_setrange_getrange(self):
        r = self.r
        self.assertEqual(r.append("a:k", "Hello"), 5)
        self.assertEqual(r.append("a:k", " World"), 11)
        self.assertEqual(r.setrange("a:k", 6, "Redis"), 11)
        self.assertEqual(r.get("a:k"), "Hello Redis")
        self.assertEqual(r.getrange("a:k", 0, 4), "Hello")
        self.assertEqual(r.getrange("a:k", -5, -1), "Redis")
        self.assertEqual(r.setrange("a:pad", 3, "x"), 4)
        self.assertEqual(r.get("a:pad"), "\x00\x00\x00x")
        self.assertEqual(r.strlen("a:k"), 11)

    def test_lcs(self):
        r = self.r
        r.mset({"lcs:1": "ohmytext", "lcs:2": "mynewtext"})
        self.assertEqual(r.lcs("lcs:1", "lcs:2"), "mytext")
        self.assertEqual(r.lcs("lcs:1", "lcs:2", len=True), 6)
        self.assertEqual(r.lcs("lcs:1", "lcs:2", idx=True),
                         ["matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6])


class Expiry(RedisPyCase):

    def test_one_hour_ttl_expires_when_the_clock_moves(self):
        r = self.r
        r.set("x:hour", "v", ex=3600)
        self.assertEqual(r.ttl("x:hour"), 3600)
        self.advance(3599 * 1000)
        self.assertEqual(r.ttl("x:hour"), 1)
        self.assertEqual(r.get("x:hour"), "v")
        self.advance(1001)  # one millisecond past the deadline: expired once now > it
        self.assertIsNone(r.get("x:hour"))
        self.assertEqual(r.ttl("x:hour"), -2)
        self.assertEqual(r.exists("x:hour"), 0)

    def test_expired_keys_leave_keys_scan_and_dbsize(self):
        r = self.r
        r.set("x:short", "v", px=1500)
        r.set("project:3:x", "v", ex=10)
        r.set("x:forever", "v")
        self.advance(3600 * 1000)
        self.assertEqual(sorted(r.keys("*")), ["x:forever"])
        self.assertEqual(sorted(r.scan_iter()), ["x:forever"])
        self.assertEqual(r.dbsize(), 1)


class Keys(RedisPyCase):
    PROJECTS = 20
    PER_PROJECT = 50

    @staticmethod
    def key(p, i):
        # Both spellings of a project key route to the project's shard.
        return ("project:%d:item:%d" if p % 2 else "project:{%d}:item:%d") % (p, i)

    def fill(self):
        pipe = self.r.pipeline(transaction=False)
        keys = set()
        for p in range(self.PROJECTS):
            for i in range(self.PER_PROJECT):
                k = self.key(p, i)
                keys.add(k)
                pipe.set(k, "%d/%d" % (p, i))
        pipe.execute()
        return keys

    def test_scan_iter_returns_all_1000_keys_across_20_projects(self):
        keys = self.fill()
        self.assertEqual(len(keys), 1000)
        self.assertEqual(self.r.dbsize(), 1000)
        self.assertEqual(set(self.r.scan_iter(count=37)), keys)
        self.assertEqual(set(self.r.scan_iter()), keys)
        self.assertEqual(set(self.r.scan_iter(_type="string")), keys)
        self.assertEqual(set(self.r.scan_iter(match="project:7:*")),
                         {self.key(7, i) for i in range(self.PER_PROJECT)})
        self.assertEqual(set(self.r.scan_iter(match="project:{4}:*", count=10)),
                         {self.key(4, i) for i in range(self.PER_PROJECT)})
        self.assertEqual(list(self.r.scan_iter(match="nothing:*")), [])

    def test_keys(self):
        keys = self.fill()
        self.assertEqual(set(self.r.keys()), keys)
        self.assertEqual(set(self.r.keys("project:1?:item:4?")),
                         {self.key(p, i) for p in range(11, 20, 2) for i in range(40, 50)})
        self.assertEqual(self.r.keys("project:99:*"), [])

    def test_type_rename(self):
        r = self.r
        r.set("k:str", "v")
        self.assertEqual(r.type("k:str"), "string")
        self.assertEqual(r.type("k:missing"), "none")
        self.assertTrue(r.rename("k:str", "project:5:renamed"))
        self.assertEqual(r.get("project:5:renamed"), "v")
        self.assertEqual(r.exists("k:str"), 0)
        with self.assertRaisesRegex(redis.ResponseError, "no such key"):
            r.rename("k:missing", "k:other")

    def test_expire_ttl_persist(self):
        r = self.r
        r.set("t:k", "v")
        self.assertEqual(r.ttl("t:k"), -1)
        self.assertTrue(r.expire("t:k", 100))
        self.assertEqual(r.ttl("t:k"), 100)
        self.assertTrue(100000 - 1000 < r.pttl("t:k") <= 100000)
        self.assertTrue(r.persist("t:k"))
        self.assertEqual(r.ttl("t:k"), -1)
        self.assertFalse(r.persist("t:k"))
        self.assertFalse(r.expire("t:missing", 100))
        self.assertEqual(r.ttl("t:missing"), -2)
        self.assertTrue(r.expire("t:k", 5))
        self.advance(5001)  # one millisecond past the deadline: expired once now > it
        self.assertEqual(r.ttl("t:k"), -2)


class Pipelines(RedisPyCase):

    def test_pipeline_without_transaction(self):
        pipe = self.r.pipeline(transaction=False)
        for i in range(100):
            pipe.set("p:%d" % i, i)
            pipe.incr("p:%d" % i)
            pipe.get("p:%d" % i)
        results = pipe.execute()
        expected = []
        for i in range(100):
            expected += [True, i + 1, str(i + 1)]
        self.assertEqual(results, expected)

    def test_pipeline_error_in_the_middle(self):
        pipe = self.r.pipeline(transaction=False)
        pipe.set("p:s", "x")
        pipe.incr("p:s")
        pipe.get("p:s")
        results = pipe.execute(raise_on_error=False)
        self.assertEqual(results[0], True)
        self.assertIsInstance(results[1], redis.ResponseError)
        self.assertEqual(results[2], "x")


class ConnectionAndServer(RedisPyCase):

    def test_client_setname_getname(self):
        r = self.r
        self.assertIsNone(r.client_getname())
        self.assertTrue(r.client_setname("dashboard-worker-1"))
        self.assertEqual(r.client_getname(), "dashboard-worker-1")
        self.assertIsInstance(r.client_id(), int)
        with self.assertRaises(redis.ResponseError):
            r.client_setname("has space")

    def test_info_parsed_as_a_dict(self):
        r = self.r
        r.set("i:k", "v")
        r.set("i:e", "v", ex=100)
        info = r.info()
        self.assertIsInstance(info, dict)
        for field in ("redis_version", "tcp_port", "connected_clients", "used_memory",
                      "total_commands_processed", "uptime_in_seconds"):
            self.assertIn(field, info)
        self.assertEqual(info["tcp_port"], self.server.port)
        self.assertGreaterEqual(info["connected_clients"], 1)
        self.assertEqual(info["db0"]["keys"], 2)
        self.assertEqual(info["db0"]["expires"], 1)
        server = r.info("server")
        self.assertIn("redis_version", server)
        self.assertNotIn("used_memory", server)

    def test_config_get_set(self):
        r = self.r
        self.assertEqual(r.config_get("maxclients"), {"maxclients": "10000"})
        self.assertTrue(r.config_set("timeout", 300))
        self.assertEqual(r.config_get("timeout"), {"timeout": "300"})
        self.assertTrue(r.config_set("timeout", 0))

    def test_ping_echo_select(self):
        r = self.r
        self.assertTrue(r.ping())
        self.assertEqual(r.echo("hi"), "hi")
        r9 = self.server.client(db=9, decode_responses=True)
        self.addCleanup(r9.close)
        r9.set("db9:k", "nine")
        self.assertIsNone(r.get("db9:k"))
        self.assertEqual(r9.get("db9:k"), "nine")


class DashboardFlows(RedisPyCase):
    """The key shapes of shared/seeds/000_fe5a8426e5df7159.txt."""

    def test_session_state_json_with_expiry(self):
        r = self.r
        sessions = {}
        for n in range(5):
            sid = "s%04d" % n
            state = {"user_id": "u%d" % n, "project_id": n % 2, "step": n,
                     "params": {"rate": 0.05 * n, "label": "réglage %d" % n}}
            sessions[sid] = state
            self.assertTrue(r.set("session:%s:state" % sid, json.dumps(state), ex=1800))
        for sid, state in sessions.items():
            self.assertEqual(json.loads(r.get("session:%s:state" % sid)), state)
            self.assertEqual(r.ttl("session:%s:state" % sid), 1800)
        self.assertEqual(set(r.scan_iter(match="session:*:state")),
                         {"session:%s:state" % sid for sid in sessions})
        # Activity slides the window of one session; the others lapse after 30 minutes.
        self.advance(1000 * 1000)
        self.assertTrue(r.expire("session:s0000:state", 1800))
        self.advance(801 * 1000)
        self.assertEqual(r.keys("session:*"), ["session:s0000:state"])
        self.assertEqual(r.ttl("session:s0000:state"), 999)
        self.assertEqual(json.loads(r.get("session:s0000:state")), sessions["s0000"])

    def test_connection_pool_settings(self):
        r = self.r
        # "SET connection_pool:max_size 100" and "SET connection_pool:timeout 30" (seed).
        self.assertTrue(r.set("connection_pool:max_size", 100))
        self.assertTrue(r.set("connection_pool:timeout", 30))
        self.assertEqual(r.mget("connection_pool:max_size", "connection_pool:timeout"),
                         ["100", "30"])
        self.assertEqual(int(r.get("connection_pool:max_size")), 100)
        self.assertEqual(r.type("connection_pool:timeout"), "string")
        self.assertEqual(r.incrby("connection_pool:max_size", 20), 120)
        self.assertEqual(sorted(r.keys("connection_pool:*")),
                         ["connection_pool:max_size", "connection_pool:timeout"])


if __name__ == "__main__":
    main()
