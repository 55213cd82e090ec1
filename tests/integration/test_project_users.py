# SPDX-License-Identifier: BSD-3-Clause
"""Project users over real connections: a user whose key patterns all lie inside projects
(~project:alpha:*, ~project:{alpha}:*) sees only what it may read, and learns nothing of
another project.

The isolation matrix: every command line of the compatibility cases (tests/compat) that
names keys is run by the user of project alpha with its keys moved into project bravo
(COMMAND GETKEYS finds them) and must be refused with -NOPERM, leaving bravo's data as it
was; every line that names no key is run by that user too, and no reply may hold bravo's
id. Then, one by one, what a project user sees of the server: KEYS, SCAN (its shards
only, also among 1,000 projects), RANDOMKEY, DBSIZE, INFO keyspace and projects, PROJECT,
PUBSUB's listings, keyspace events, broadcast tracking, scripts, the commands it is
refused unless granted by name, which users are project users, and a project user read
back from an ACL file after a restart.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "compat"))
from harness import RespError, Server, ServerTestCase, encode, main  # noqa: E402
import compat  # noqa: E402
from test_node_clients import MODULES  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis, under /usr/bin/python3)

ALPHA = ("on >pa ~project:alpha:* ~project:{alpha}:* &project:alpha:* "
         "+@all").split()
NOPERM_PROJECT = RespError("NOPERM No permissions to access a project")


def noperm_cmd(user, cmd):
    return RespError("NOPERM User %s has no permissions to run the '%s' command" % (user, cmd))


def flat(reply):
    """Every bytes value in a reply, nested, for searching."""
    if isinstance(reply, bytes):
        yield reply
    elif isinstance(reply, RespError):
        yield str(reply).encode()
    elif isinstance(reply, list):
        for x in reply:
            yield from flat(x)
    elif isinstance(reply, dict):
        for k, v in reply.items():
            yield from flat(k)
            yield from flat(v)


def mentions(reply, word=b"bravo"):
    return any(word in x for x in flat(reply))


class ProjectUserTest(ServerTestCase):

    def setUp(self):
        self.admin = self.server.conn()
        self.addCleanup(self.admin.close)
        a = self.admin
        users = [u for u in a.cmd("ACL", "USERS") if u != b"default"]
        if users:
            a.cmd("ACL", "DELUSER", *users)
        for setting in (("notify-keyspace-events", ""),):
            a.cmd("CONFIG", "SET", *setting)
        self.assertEqual(a.cmd("FLUSHALL"), b"OK")
        self.assertEqual(a.cmd("ACL", "SETUSER", "alpha", *ALPHA), b"OK")
        self.fill("alpha")
        self.fill("bravo")
        a.cmd("SET", "globalkey", "bravo-secret")

    def fill(self, p):
        a = self.admin
        a.cmd("SET", "project:%s:str" % p, "%s-value" % p)
        a.cmd("SET", "project:%s:ttl" % p, "v", "EX", "1000")
        a.cmd("HSET", "project:%s:hash" % p, "f", "%s-field" % p)
        a.cmd("RPUSH", "project:%s:list" % p, "a", "b")
        a.cmd("SADD", "project:%s:set" % p, "m")
        a.cmd("ZADD", "project:%s:zset" % p, "1", "m")
        a.cmd("XADD", "project:%s:stream" % p, "1-1", "f", "v")
        a.cmd("SET", "project:{%s}:braced" % p, "v")

    def user(self, name="alpha", password="pa"):
        c = self.server.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("AUTH", name, password), b"OK")
        return c

    def snapshot(self, pattern=b"project:*bravo*"):
        a = self.admin
        keys = sorted(a.cmd("KEYS", pattern))
        return {k: (a.cmd("DUMP", k), a.cmd("PTTL", k) > 0) for k in keys}

    # ---- the matrix -----------------------------------------------------------------

    def case_lines(self):
        root = os.path.join(HERE, "..", "compat")
        for path in sorted(glob.glob(os.path.join(root, "cases*", "*.txt"))):
            cases, _ = compat.parse_case_file(path)
            for c in cases:
                if c.args:
                    yield c

    def test_matrix_every_command_line_on_bravo_keys_is_refused(self):
        a = self.admin
        before = self.snapshot()
        keyed, names = 0, set()
        for case in self.case_lines():
            keys = a.cmd("COMMAND", "GETKEYS", *case.args)
            if isinstance(keys, RespError) or not keys:
                continue
            moved = [b"project:bravo:" + x if x in keys else x for x in case.args]
            c = self.user()
            got = c.cmd(*moved)
            c.close()
            self.assertIsInstance(got, RespError, "%s: %r" % (case.where(), moved))
            self.assertTrue(str(got).startswith("NOPERM"), "%s: %r -> %s"
                            % (case.where(), moved, got))
            keyed += 1
            names.add(case.name())
        # The cases name a key of (nearly) every command that has keys.
        self.assertGreater(keyed, 500)
        self.assertGreater(len(names), 120, sorted(names))
        self.assertEqual(self.snapshot(), before)

    def test_matrix_keyless_command_lines_tell_nothing_of_bravo(self):
        a = self.admin
        # bravo's clients are there to be seen: a subscriber, a pattern, a tracker.
        sub = self.server.conn()
        self.addCleanup(sub.close)
        sub.cmd("SUBSCRIBE", "project:bravo:chan", "__keyspace@0__:project:bravo:str")
        sub.cmd("PSUBSCRIBE", "project:bravo:*")
        a.cmd("CLIENT", "SETNAME", "bravo-admin")
        ran = 0
        for case in self.case_lines():
            keys = a.cmd("COMMAND", "GETKEYS", *case.args)
            # WAIT and WAITAOF block on no key (WAIT 1 0: for ever, without replicas)
            if (not isinstance(keys, RespError)
                    or case.name() in ("quit", "shutdown", "wait", "waitaof")
                    or case.mode == "noreply"):
                continue
            c = self.user()
            try:
                got = c.cmd(*case.args)
            except ConnectionError:
                continue
            except TimeoutError:
                self.fail("%s: %r" % (case.where(), case.args))
            finally:
                c.close()
            self.assertFalse(mentions(got), "%s: %r -> %r" % (case.where(), case.args, got))
            ran += 1
        self.assertGreater(ran, 200)
        self.assertEqual(a.cmd("PING"), b"PONG")

    # ---- what it sees ---------------------------------------------------------------

    def alpha_keys(self):
        return sorted(k for k in self.admin.cmd("KEYS", "*") if b"alpha" in k)

    def test_keys_scan_randomkey_dbsize(self):
        c = self.user()
        mine = self.alpha_keys()
        self.assertEqual(len(mine), 8)
        self.assertEqual(sorted(c.cmd("KEYS", "*")), mine)
        self.assertEqual(c.cmd("KEYS", "project:bravo:*"), [])
        self.assertEqual(c.cmd("KEYS", "global*"), [])
        self.assertEqual(c.cmd("DBSIZE"), 8)
        self.assertEqual(self.admin.cmd("DBSIZE"), 17)
        seen, cursor = [], b"0"
        while True:
            cursor, batch = c.cmd("SCAN", cursor, "COUNT", "3")
            seen += batch
            if cursor == b"0":
                break
        self.assertEqual(sorted(set(seen)), mine)
        self.assertEqual(c.cmd("SCAN", "0", "MATCH", "project:bravo:*", "COUNT", "100"),
                         [b"0", []])
        self.assertEqual(sorted(c.cmd("SCAN", "0", "TYPE", "hash", "COUNT", "100")[1]),
                         [b"project:alpha:hash"])
        for _ in range(50):
            self.assertIn(c.cmd("RANDOMKEY"), mine)
        # Narrower patterns: only the keys they match, counted by a walk.
        self.admin.cmd("ACL", "SETUSER", "narrow", "on", ">pn", "~project:alpha:s*",
                       "+@all")
        n = self.user("narrow", "pn")
        self.assertEqual(sorted(n.cmd("KEYS", "*")),
                         [b"project:alpha:set", b"project:alpha:str", b"project:alpha:stream"])
        self.assertEqual(n.cmd("DBSIZE"), 3)
        for _ in range(20):
            self.assertIn(n.cmd("RANDOMKEY"), [b"project:alpha:set", b"project:alpha:str",
                                               b"project:alpha:stream"])
        # A project without keys: nothing, and a null RANDOMKEY.
        self.admin.cmd("ACL", "SETUSER", "empty", "on", ">pe", "~project:none:*", "+@all")
        e = self.user("empty", "pe")
        self.assertEqual((e.cmd("KEYS", "*"), e.cmd("DBSIZE"), e.cmd("RANDOMKEY")),
                         ([], 0, None))

    def test_which_users_are_project_users(self):
        a = self.admin
        total = len(a.cmd("KEYS", "*"))
        cases = [
            (["~project:alpha:*", "%R~project:{alpha}:*"], 8),
            (["~project:alpha:*", "(~project:{alpha}:* +get)"], 8),
            (["~project:alpha:str", "~project:bravo:str"], 2),
            # Patterns reaching beyond a project: an ordinary user, as in Redis.
            (["~project:alpha:*", "~global*"], total),
            (["~project:a*"], total),
            (["~project:*:str"], total),
            (["allkeys"], total),
            (["~project:alpha:*", "(~* +get)"], total),
        ]
        for rules, want in cases:
            a.cmd("ACL", "SETUSER", "u", "reset", "on", ">pu", "+@all", *rules)
            c = self.user("u", "pu")
            self.assertEqual(len(c.cmd("KEYS", "*")), want, rules)
            c.close()

    def test_info_and_project_commands(self):
        c = self.user()
        ks = c.cmd("INFO", "keyspace")
        self.assertIn(b"db0:keys=8,expires=1,avg_ttl=0,subexpiry=0", ks)
        projects = c.cmd("INFO", "projects")
        self.assertIn(b"project_alpha:db=0,keys=8", projects)
        self.assertNotIn(b"bravo", projects)
        self.assertEqual(c.cmd("PROJECT", "LIST"), [b"alpha"])
        self.assertEqual(c.cmd("PROJECT", "INFO", "alpha")[:2], [b"keys", 8])
        self.assertEqual(c.cmd("PROJECT", "INFO", "bravo"), NOPERM_PROJECT)
        self.assertEqual(c.cmd("PROJECT", "INFO", "nosuch"), NOPERM_PROJECT)
        self.assertEqual(c.cmd("PROJECT", "DROP", "bravo"), noperm_cmd("alpha", "project|drop"))

    def test_server_wide_commands_refused_unless_named(self):
        c = self.user()
        for args, name in ((("FLUSHALL",), "flushall"), (("FLUSHDB",), "flushdb"),
                           (("SWAPDB", "0", "1"), "swapdb"), (("MONITOR",), "monitor"),
                           (("CONFIG", "GET", "port"), "config|get"),
                           (("DEBUG", "SLEEP", "0"), "debug"),
                           (("CLIENT", "LIST"), "client|list"),
                           (("MEMORY", "STATS"), "memory|stats"),
                           (("FUNCTION", "LIST"), "function|list"),
                           (("SCRIPT", "FLUSH"), "script|flush"),
                           (("SLOWLOG", "GET"), "slowlog|get"),
                           (("ACL", "LIST"), "acl|list"),
                           (("SHUTDOWN",), "shutdown")):
            self.assertEqual(c.cmd(*args), noperm_cmd("alpha", name), args)
        self.assertEqual(self.admin.cmd("DBSIZE"), 17)
        # Granted by name, they run as for anyone; categories do not grant them.
        self.admin.cmd("ACL", "SETUSER", "alpha", "+@admin", "+@dangerous")
        self.assertEqual(c.cmd("CONFIG", "GET", "port"), noperm_cmd("alpha", "config|get"))
        self.admin.cmd("ACL", "SETUSER", "alpha", "+config|get", "+project|drop")
        self.assertEqual(c.cmd("CONFIG", "GET", "maxmemory-samples"),
                         [b"maxmemory-samples", b"5"])
        self.assertEqual(c.cmd("PROJECT", "DROP", "bravo"), NOPERM_PROJECT)
        self.assertEqual(c.cmd("PROJECT", "DROP", "alpha"), 8)
        self.assertEqual(self.admin.cmd("DBSIZE"), 9)

    def test_pubsub_listings(self):
        sub = self.server.conn()
        self.addCleanup(sub.close)
        sub.cmd("SUBSCRIBE", "project:bravo:chan", "project:alpha:chan",
                "__keyspace@0__:project:bravo:str", "__keyspace@0__:project:alpha:str")
        sub.cmd("PSUBSCRIBE", "project:bravo:*", "project:alpha:*")
        c = self.user()
        self.assertEqual(c.cmd("PUBSUB", "CHANNELS"), [b"project:alpha:chan"])
        self.assertEqual(c.cmd("PUBSUB", "NUMSUB", "project:bravo:chan", "project:alpha:chan"),
                         [b"project:bravo:chan", 0, b"project:alpha:chan", 1])
        self.assertEqual(c.cmd("PUBSUB", "NUMPAT"), 1)
        self.assertEqual(self.admin.cmd("PUBSUB", "NUMPAT"), 2)
        # With every channel allowed, keyspace channels still follow the keys.
        self.admin.cmd("ACL", "SETUSER", "alpha", "allchannels")
        self.assertEqual(sorted(c.cmd("PUBSUB", "CHANNELS", "__keyspace*")),
                         [b"__keyspace@0__:project:alpha:str"])
        self.assertEqual(c.cmd("PUBSUB", "NUMSUB", "__keyspace@0__:project:bravo:str"),
                         [b"__keyspace@0__:project:bravo:str", 0])

    def test_keyspace_events_only_of_its_keys(self):
        self.admin.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
        self.admin.cmd("ACL", "SETUSER", "alpha", "allchannels")
        c = self.user()
        self.assertEqual(c.cmd("PSUBSCRIBE", "__key*__:*"), [b"psubscribe", b"__key*__:*", 1])
        self.admin.cmd("SET", "project:bravo:str", "x")
        self.admin.cmd("DEL", "project:bravo:hash")
        self.admin.cmd("PROJECT", "DROP", "bravo")
        self.admin.cmd("SET", "project:alpha:str", "y")
        got = [c.reply() for _ in range(2)]
        self.assertEqual(got, [
            [b"pmessage", b"__key*__:*", b"__keyspace@0__:project:alpha:str", b"set"],
            [b"pmessage", b"__key*__:*", b"__keyevent@0__:set", b"project:alpha:str"]])
        # Its own project's drop is told; nothing of bravo's was queued.
        self.admin.cmd("PROJECT", "DROP", "alpha")
        self.assertEqual(c.reply(), [b"pmessage", b"__key*__:*",
                                     b"__keyevent@0__:project_drop", b"alpha"])
        self.assertEqual(c.cmd("PING"), [b"pong", b""])

    def test_broadcast_tracking_only_of_its_keys(self):
        c = self.user()
        self.assertEqual(c.cmd("HELLO", "3")[b"proto"], 3)
        self.assertEqual(c.cmd("CLIENT", "TRACKING", "ON", "BCAST"), b"OK")
        self.admin.cmd("SET", "project:bravo:str", "x")
        self.admin.cmd("SET", "project:alpha:str", "y")
        self.assertEqual(c.reply(), [b"invalidate", [b"project:alpha:str"]])
        self.assertEqual(c.cmd("PING"), b"PONG")

    # ---- real client libraries ------------------------------------------------------

    OWN = sorted(["project:alpha:%s" % k for k in
                  ("str", "ttl", "hash", "list", "set", "zset", "stream", "new")]
                 + ["project:{alpha}:braced"])
    NOPERM = "No permissions to access a key"

    def test_redis_py(self):
        self.admin.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
        self.admin.cmd("ACL", "SETUSER", "alpha", "allchannels")
        r = redis.Redis(host="127.0.0.1", port=self.server.port, username="alpha",
                        password="pa", decode_responses=True)
        self.addCleanup(r.close)
        p = r.pubsub()
        self.addCleanup(p.close)
        p.psubscribe("__keyspace@0__:*")
        self.assertEqual(p.get_message(timeout=2)["type"], "psubscribe")
        self.assertTrue(r.set("project:alpha:new", "x"))
        msg = p.get_message(timeout=2)
        self.assertEqual((msg["channel"], msg["data"]), ("__keyspace@0__:project:alpha:new", "set"))
        self.assertEqual(sorted(r.keys("*")), self.OWN)
        self.assertEqual(sorted(set(r.scan_iter(count=2))), self.OWN)
        self.assertEqual(sorted(set(r.scan_iter(_type="hash"))), ["project:alpha:hash"])
        self.assertEqual(r.dbsize(), 9)
        self.assertIn(r.randomkey(), self.OWN)
        with self.assertRaises(redis.exceptions.NoPermissionError) as e:
            r.get("project:bravo:str")
        self.assertIn(self.NOPERM, str(e.exception))
        with self.assertRaises(redis.exceptions.NoPermissionError):
            r.flushall()
        self.assertEqual(sorted(r.eval("return redis.call('KEYS', '*')", 0)), self.OWN)
        # bravo's write is not heard; alpha's is.
        self.admin.cmd("SET", "project:bravo:str", "z")
        self.admin.cmd("SET", "project:alpha:str", "z")
        msg = p.get_message(timeout=2)
        self.assertEqual((msg["channel"], msg["data"]), ("__keyspace@0__:project:alpha:str", "set"))
        self.assertIsNone(p.get_message(timeout=0.2))

    def node_flows(self, lib, proto=2):
        env = dict(os.environ, NODE_PATH=MODULES)
        p = subprocess.run(["node", os.path.join(HERE, "node", "project_user_flows.js"),
                            str(self.server.port), lib, str(proto)],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out[:5], ["OK", "x", self.OWN, self.OWN, 9])
        for refused in out[5:7]:
            self.assertTrue(refused.startswith("error: NOPERM") and self.NOPERM in refused,
                            refused)
        self.assertEqual(out[7], self.OWN)

    @unittest.skipUnless(MODULES, "node, npm or the ioredis package are not available")
    def test_ioredis(self):
        self.node_flows("ioredis")

    @unittest.skipUnless(MODULES, "node, npm or the redis package are not available")
    def test_node_redis_resp2(self):
        self.node_flows("node-redis", 2)

    @unittest.skipUnless(MODULES, "node, npm or the redis package are not available")
    def test_node_redis_resp3(self):
        self.node_flows("node-redis", 3)

    def test_scripts_see_what_the_caller_sees(self):
        c = self.user()
        self.assertEqual(sorted(c.cmd("EVAL", "return redis.call('KEYS', '*')", "0")),
                         self.alpha_keys())
        self.assertEqual(c.cmd("EVAL", "return redis.call('DBSIZE')", "0"), 8)
        got = c.cmd("EVAL", "return redis.call('GET', 'project:bravo:str')", "0")
        self.assertIsInstance(got, RespError)
        self.assertIn("No permissions to access a key", str(got))
        got = c.cmd("EVAL", "return redis.call('FLUSHALL')", "0")
        self.assertIn("has no permissions to run the 'flushall' command", str(got))

    def test_scan_among_1000_projects_visits_only_its_shards(self):
        a = self.admin
        a.cmd("FLUSHALL")
        for p in range(1000):
            a.send(b"".join(encode("SET", "project:p%d:k%d" % (p, i), "v") for i in range(3)))
        for _ in range(3000):
            a.reply()
        a.cmd("ACL", "SETUSER", "p7", "on", ">pp", "~project:p7:*", "+@all")
        c = self.user("p7", "pp")
        # One call, cursor 0: its one shard, not 1,000 (COUNT 10 samples ~10 keys).
        cursor, keys = c.cmd("SCAN", "0", "COUNT", "10")
        self.assertEqual((cursor, sorted(keys)),
                         (b"0", [b"project:p7:k0", b"project:p7:k1", b"project:p7:k2"]))
        calls, cursor = 0, b"0"
        while True:
            cursor, _ = a.cmd("SCAN", cursor, "COUNT", "10")
            calls += 1
            if cursor == b"0":
                break
        self.assertGreater(calls, 100)

    def test_project_user_from_the_aclfile_after_a_restart(self):
        d = tempfile.mkdtemp()
        path = os.path.join(d, "users.acl")
        with open(path, "w") as f:
            f.write("user alpha on >pa ~project:alpha:* +@all\n")
        s = Server(["--aclfile", path, "--dir", d, "--save", "60 1"]).start()
        a = s.conn()
        a.cmd("SET", "project:alpha:k", "1")
        a.cmd("SET", "project:bravo:k", "2")
        self.assertEqual(a.cmd("ACL", "SETUSER", "bravo", "on", ">pb", "~project:bravo:*",
                               "+@all"), b"OK")
        self.assertEqual(a.cmd("ACL", "SAVE"), b"OK")
        self.assertEqual(a.cmd("SAVE"), b"OK")
        a.close()
        s.stop()
        s = Server(["--aclfile", path, "--dir", d]).start()
        self.addCleanup(s.stop)
        for user, pw, key in (("alpha", "pa", b"project:alpha:k"),
                              ("bravo", "pb", b"project:bravo:k")):
            c = s.conn()
            self.assertEqual(c.cmd("AUTH", user, pw), b"OK")
            self.assertEqual(c.cmd("KEYS", "*"), [key])
            c.close()


if __name__ == "__main__":
    main()
