# SPDX-License-Identifier: BSD-3-Clause
"""Transactions over real connections: MULTI/EXEC/DISCARD and WATCH with several clients.

Every scenario below runs against respite and, when redis-server is installed, against a
real redis-server, and must give the expected result on both: WATCH broken by another
client's write, by this client's own write before MULTI, by expiry, by FLUSHALL, FLUSHDB
and SWAPDB, by MOVE, RENAME and COPY, by a TTL set on the key; WATCH left alone by
commands that change nothing (SET NX of a present key, SADD of a present member, ...);
disconnect cleanup; redis-py's pipeline(transaction=True) and its transaction() helper
(WATCH, optimistic retry).

Time: respite's clock is moved with DEBUG CLOCK ADVANCE; redis-server has no such
command, so there the scenario sleeps the same few milliseconds instead.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, SOCK_TIMEOUT, ServerTestCase, free_port, main  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis, under /usr/bin/python3)

TTL_MS = 100  # a TTL that runs out within a scenario (slept for on redis-server)


class Target:
    """A server under test: clients with their own connection, and a clock."""

    def __init__(self, port, is_redis):
        self.port = port
        self.is_redis = is_redis
        self.clients = []

    def client(self, db=0):
        c = redis.Redis(host=HOST, port=self.port, db=db, decode_responses=True,
                        single_connection_client=True, socket_timeout=SOCK_TIMEOUT,
                        socket_connect_timeout=SOCK_TIMEOUT)
        self.clients.append(c)
        return c

    def advance(self, ms):
        """Let ms milliseconds pass on the server's clock."""
        if self.is_redis:
            time.sleep(ms / 1000.0 + 0.02)
        else:
            self.clients[0].execute_command("DEBUG", "CLOCK", "ADVANCE", ms)

    def close(self):
        for c in self.clients:
            c.close()
        self.clients = []


def raw(c, *args):
    """One command on c's own connection, its reply as parsed, without redis-py's
    per-command conversions (which would misread +QUEUED); an error reply is returned
    as its text, inside an array too."""
    c.connection.send_command(*args)
    try:
        reply = c.connection.read_response()
    except redis.ResponseError as e:
        return "ERR: " + str(e)
    if isinstance(reply, list):
        return ["ERR: " + str(x) if isinstance(x, redis.ResponseError) else x for x in reply]
    return reply


def exec_after(a, *cmds):
    """MULTI, the commands, EXEC on client a; EXEC's reply (None for a null array)."""
    assert raw(a, "MULTI") == "OK"
    for cmd in cmds:
        queued = raw(a, *cmd)
        assert queued == "QUEUED", queued
    return raw(a, "EXEC")


# ---- scenarios: each returns what it observed -------------------------------------------
# A scenario gets a fresh, flushed target; t.client() opens a connection of its own.

def other_client_write(t):
    a, b = t.client(), t.client()
    a.set("k", "0")
    raw(a, "WATCH", "k")
    b.set("k", "1")
    return exec_after(a, ("SET", "k", "2")), a.get("k")


def watch_miss(t):
    a, b = t.client(), t.client()
    raw(a, "WATCH", "k", "project:p1:k")
    b.set("other", "1")
    b.set("project:p2:k", "1")
    return exec_after(a, ("SET", "k", "2"), ("INCR", "project:p1:k")), a.get("k")


def own_write_before_multi(t):
    a = t.client()
    raw(a, "WATCH", "k")
    a.set("k", "mine")
    return exec_after(a, ("GET", "k"))


def delete_present_and_absent(t):
    a, b = t.client(), t.client()
    a.set("k", "v")
    raw(a, "WATCH", "k")
    b.delete("k")
    first = exec_after(a, ("PING",))
    raw(a, "WATCH", "gone")
    b.delete("gone")  # nothing deleted: no change
    return first, exec_after(a, ("PING",))


def expiry_after_watch(t):
    a = t.client()
    a.set("k", "v", px=TTL_MS)
    raw(a, "WATCH", "k")
    t.advance(2 * TTL_MS)
    return exec_after(a, ("PING",))


def expiry_reclaimed_by_reader(t):
    a, b = t.client(), t.client()
    a.set("k", "v", px=TTL_MS)
    raw(a, "WATCH", "k")
    t.advance(2 * TTL_MS)
    b.get("k")
    return exec_after(a, ("PING",))


def watched_while_expired(t):
    # Redis 7: a key already expired when watched may be reclaimed without breaking
    # the WATCH; writing it afterwards does break it.
    a, b = t.client(), t.client()
    a.set("k", "v", px=TTL_MS)
    t.advance(2 * TTL_MS)
    raw(a, "WATCH", "k")
    b.get("k")
    first = exec_after(a, ("PING",))
    a.set("k2", "v", px=TTL_MS)
    t.advance(2 * TTL_MS)
    raw(a, "WATCH", "k2")
    b.set("k2", "new")
    return first, exec_after(a, ("PING",))


def flushall(t):
    a, b = t.client(), t.client()
    a.set("k", "v")
    raw(a, "WATCH", "k")
    b.flushall()
    first = exec_after(a, ("PING",))
    raw(a, "WATCH", "absent")
    b.flushall()
    return first, exec_after(a, ("PING",))


def flushdb(t):
    a, b, b1 = t.client(), t.client(), t.client(db=1)
    a.set("k", "v")
    raw(a, "WATCH", "k")
    b1.set("k", "in db 1")
    b1.flushdb()  # another database
    first = exec_after(a, ("PING",))
    raw(a, "WATCH", "k")
    b.flushdb()
    return first, exec_after(a, ("PING",))


def swapdb(t):
    a, b1 = t.client(), t.client(db=1)
    raw(a, "WATCH", "k")
    b1.set("k", "v")  # only in db 1: SWAPDB brings it to db 0
    a.swapdb(0, 1)
    first = exec_after(a, ("GET", "k"))
    a.flushall()
    raw(a, "WATCH", "k")
    a.swapdb(0, 1)  # k in neither
    return first, exec_after(a, ("GET", "k"))


def survivals(a, cases):
    """For each (key, op): WATCH key on a, run op (an error reply is ignored), then
    whether a's EXEC still ran (False: the WATCH was broken)."""
    out = []
    for key, op in cases:
        raw(a, "WATCH", key)
        try:
            op()
        except redis.ResponseError:
            pass
        out.append(exec_after(a, ("PING",)) is not None)
    return out


def move_rename_copy(t):
    a, b = t.client(), t.client()
    a.set("k", "v")
    return survivals(a, [
        ("k", lambda: b.move("k", 1)),
        ("k", lambda: b.set("src", "v") and b.rename("src", "k")),
        ("k", lambda: b.rename("k", "elsewhere")),
        ("k", lambda: b.set("src", "v") and b.copy("src", "k")),
        ("src", lambda: b.copy("src", "k", replace=True)),  # src only read
    ])


def ttl_changes(t):
    a, b = t.client(), t.client()
    a.set("k", "v")
    return survivals(a, [
        ("k", lambda: b.expire("k", 100)),
        ("k", lambda: b.expire("k", 200, nx=True)),  # has a TTL: nothing set
        ("k", lambda: b.persist("k")),
        ("k", lambda: b.persist("k")),  # no TTL left: no change
        ("k", lambda: b.getex("k", persist=True)),  # no change
        ("k", lambda: b.getex("k", ex=100)),
    ])


def no_op_writes(t):
    """Commands that change nothing leave a WATCH alone; those that do break it."""
    a, b = t.client(), t.client()
    b.set("s", "v")
    b.sadd("set", "m")
    b.hset("h", "f", "v")
    return survivals(a, [
        ("s", lambda: b.set("s", "x", nx=True)),
        ("s", lambda: b.set("s", "v")),          # same value: still a write
        ("absent", lambda: b.set("absent", "x", xx=True)),
        ("set", lambda: b.sadd("set", "m")),
        ("set", lambda: b.sadd("set", "n")),
        ("set", lambda: b.srem("set", "nope")),
        ("set", lambda: b.srem("set", "n")),
        ("h", lambda: b.hdel("h", "nope")),
        ("h", lambda: b.hsetnx("h", "f", "other")),
        ("h", lambda: b.hset("h", "f", "v")),
        ("s", lambda: b.append("s", "")),
        ("s", lambda: b.setrange("s", 0, "")),
        ("s", lambda: b.setrange("s", 0, "V")),
        ("n", lambda: b.incr("n")),
        ("s", lambda: b.execute_command("INCR", "s")),  # an error: no change
        ("h", lambda: b.execute_command("SADD", "h", "x")),  # WRONGTYPE
        ("s", lambda: b.rename("s", "s")),
        ("set", lambda: b.smove("set", "set2", "nope")),
        ("set", lambda: b.smove("set", "set", "m")),
        ("nokey", lambda: b.spop("nokey")),
        ("nokey", lambda: b.delete("nokey")),
        ("nokey", lambda: b.getdel("nokey")),
        ("dst", lambda: b.sinterstore("dst", ["set", "nokey"])),  # empty, dst absent
        ("set", lambda: b.sinterstore("set", ["set", "nokey"])),  # empties dst
        ("s", lambda: b.msetnx({"s": "1", "fresh": "2"})),
        ("s", lambda: b.setnx("s", "1")),
        ("s", lambda: b.getset("s", "g")),
        ("s", lambda: b.incrbyfloat("s", 1)),  # not a number: error
        ("n", lambda: b.incrbyfloat("n", 1.5)),
        ("h", lambda: b.hincrby("h", "f", 1)),  # not an integer: error
        ("h", lambda: b.hincrbyfloat("h", "g", 1)),
        ("n", lambda: b.expire("n", 100, gt=True)),  # no TTL: GT fails
        ("n", lambda: b.pexpireat("n", 1)),  # in the past: deleted
        ("h", lambda: b.copy("n2", "h")),  # no source
        ("h", lambda: b.set("n2", "1") and b.copy("n2", "h")),  # h exists, no REPLACE
        ("h", lambda: b.renamenx("n2", "h")),  # h exists
        ("n2", lambda: b.renamenx("n2", "h")),
        ("h", lambda: b.unlink("h")),
    ])


def smove_sides(t):
    a, b, c = t.client(), t.client(), t.client()
    b.sadd("src", "m", "x")
    b.sadd("dst", "m")
    raw(a, "WATCH", "src")
    raw(c, "WATCH", "dst")
    b.smove("src", "dst", "m")  # dst already has m: only src changes
    return exec_after(a, ("PING",)), exec_after(c, ("PING",))


def several_watchers(t):
    a, b, c = t.client(), t.client(), t.client()
    raw(a, "WATCH", "k")
    raw(c, "WATCH", "k", "j")
    b.set("k", "v")
    return exec_after(a, ("PING",)), exec_after(c, ("PING",))


def other_database(t):
    a, b = t.client(), t.client()
    raw(a, "WATCH", "k")
    b.execute_command("SELECT", 1)
    b.set("k", "v")
    return exec_after(a, ("PING",))


def unwatch_and_discard(t):
    a, b = t.client(), t.client()
    raw(a, "WATCH", "k")
    b.set("k", "1")
    raw(a, "UNWATCH")
    first = exec_after(a, ("GET", "k"))
    raw(a, "WATCH", "k")
    raw(a, "MULTI")
    raw(a, "SET", "k", "2")
    discarded = raw(a, "DISCARD")
    b.set("k", "3")  # the WATCH went with DISCARD
    second = exec_after(a, ("GET", "k"))
    return first, discarded, second


def runtime_errors(t):
    a = t.client()
    a.set("str", "text")
    return exec_after(a, ("INCR", "str"), ("SET", "x", "1"), ("HSET", "str", "f", "v"),
                      ("GET", "x")), a.get("x")


def queued_errors_abort(t):
    a = t.client()
    out = [raw(a, "MULTI"), raw(a, "SET", "x", "1"), raw(a, "SET", "x"), raw(a, "NOSUCH", "x"),
           raw(a, "MULTI"), raw(a, "WATCH", "x"), raw(a, "EXEC"), raw(a, "EXEC")]
    return out, a.get("x")


def disconnect_cleanup(t):
    a, b = t.client(), t.client()
    raw(a, "WATCH", "k", "project:p1:k")
    raw(a, "MULTI")
    raw(a, "SET", "k", "from a")
    a.close()
    b.set("k", "from b")  # touching keys of a gone watcher
    b.set("project:p1:k", "v")
    return b.get("k"), b.get("project:p1:k")


def project_shards(t):
    """A transaction over three projects' shards and the global one; a WATCH on a
    project key broken by a change in that project's shard."""
    a, b = t.client(), t.client()
    raw(a, "WATCH", "project:{p1}:h")
    res = exec_after(a, ("HSET", "project:{p1}:h", "f", "1"), ("SADD", "project:p2:s", "m"),
                     ("SET", "project:p3:n", "5"), ("INCR", "global"),
                     ("DEL", "project:p3:n"), ("EXISTS", "project:p3:n"))
    raw(a, "WATCH", "project:{p1}:h")
    b.hdel("project:{p1}:h", "f")  # the shard empties
    return res, exec_after(a, ("HSET", "project:{p1}:h", "g", "2"))


def expiry_inside_exec(t):
    """Every command of one EXEC sees the same time: a key alive at EXEC is alive
    for all its commands."""
    a = t.client()
    a.set("k", "v", px=TTL_MS)
    return exec_after(a, ("GET", "k"), ("PTTL", "k"), ("EXISTS", "k"))[0::2]


def pipeline_transaction(t):
    a = t.client()
    with a.pipeline(transaction=True) as p:
        p.set("counter", "10")
        p.incr("counter")
        p.sadd("members", "x", "y")
        p.hset("project:{p9}:h", mapping={"f": "1", "g": "2"})
        p.get("counter")
        return p.execute()


def optimistic_transaction(t):
    """redis-py's transaction(): WATCH, read, MULTI, write, EXEC, retried after a
    WATCH failure. Another client changes the key during the first attempt."""
    a, b = t.client(), t.client()
    a.set("balance", "100")
    attempts = []

    def debit(pipe):
        value = int(pipe.get("balance"))
        attempts.append(value)
        if len(attempts) == 1:
            b.incrby("balance", 5)  # the concurrent change: the first EXEC fails
        pipe.multi()
        pipe.set("balance", value - 30)

    result = a.transaction(debit, "balance")
    return result, attempts, a.get("balance")


SCENARIOS = [
    (other_client_write, (None, "1")),
    (watch_miss, (["OK", 1], "2")),
    (own_write_before_multi, None),
    (delete_present_and_absent, (None, ["PONG"])),
    (expiry_after_watch, None),
    (expiry_reclaimed_by_reader, None),
    (watched_while_expired, (["PONG"], None)),
    (flushall, (None, ["PONG"])),
    (flushdb, (["PONG"], None)),
    (swapdb, (None, [None])),
    (move_rename_copy, [False, False, False, False, True]),
    (ttl_changes, [False, True, False, True, True, False]),
    (no_op_writes, [True, False, True, True, False, True, False, True, True, False, False,
                    True, False, False, True, True, True, True, True, True, True, True, True,
                    False, True, True, False, True, False, True, False, True, False, True, True,
                    True, True, False]),
    (smove_sides, (None, ["PONG"])),
    (several_watchers, (None, None)),
    (other_database, ["PONG"]),
    (unwatch_and_discard, (["1"], "OK", ["3"])),
    (runtime_errors, (["ERR: value is not an integer or out of range", "OK",
                       "ERR: WRONGTYPE Operation against a key holding the wrong kind of value",
                       "1"], "1")),
    (queued_errors_abort, (["OK", "QUEUED", "ERR: wrong number of arguments for 'set' command",
                            "ERR: unknown command 'NOSUCH', with args beginning with: 'x' ",
                            "ERR: MULTI calls can not be nested",
                            "ERR: WATCH inside MULTI is not allowed",
                            "ERR: Transaction discarded because of previous errors.",
                            "ERR: EXEC without MULTI"], None)),
    (disconnect_cleanup, ("from b", "v")),
    (project_shards, ([1, 1, "OK", 1, 1, 0], None)),
    (expiry_inside_exec, ["v", 1]),
    (pipeline_transaction, [True, 11, 2, 2, "11"]),
    (optimistic_transaction, ([True], [100, 105], "75")),
]


def run_scenarios(case, target):
    for fn, expected in SCENARIOS:
        with case.subTest(scenario=fn.__name__):
            target.client().flushall()
            try:
                got = fn(target)
            finally:
                target.close()
            case.assertEqual(got, expected)


class Respite(ServerTestCase):

    def test_scenarios(self):
        run_scenarios(self, Target(self.server.port, is_redis=False))

    def test_client_list_fields(self):
        a = Target(self.server.port, is_redis=False)
        self.addCleanup(a.close)
        c, b = a.client(), a.client()
        cid = str(c.client_id())

        def line():
            return [x for x in b.client_list() if x["id"] == cid][0]
        raw(c, "WATCH", "k1", "k2", "k1")
        raw(c, "MULTI")
        raw(c, "SET", "k1", "v")
        raw(c, "GET", "k1")
        x = line()
        self.assertEqual((x["flags"], x["multi"], x["watch"]), ("x", "2", "2"))
        # SET k1 v, GET k1: argument bytes plus a pointer per argument, as Redis counts
        self.assertEqual(x["multi-mem"], str(3 + 2 + 1 + 3 + 2 + 5 * 8))
        b.set("k2", "touched")
        x = line()
        self.assertEqual((x["flags"], x["watch"]), ("xd", "0"))  # dropped once broken
        self.assertIsNone(raw(c, "EXEC"))
        x = line()
        self.assertEqual((x["flags"], x["multi"], x["watch"]), ("N", "-1", "0"))

    def test_reset_clears_state(self):
        a = Target(self.server.port, is_redis=False)
        self.addCleanup(a.close)
        c, b = a.client(), a.client()
        raw(c, "WATCH", "k")
        raw(c, "MULTI")
        raw(c, "SET", "k", "1")
        self.assertEqual(raw(c, "RESET"), "RESET")
        b.set("k", "2")
        self.assertEqual(raw(c, "EXEC"), "ERR: EXEC without MULTI")
        self.assertEqual(c.get("k"), "2")

    def test_many_watches_released(self):
        """Thousands of watches by many clients, then disconnects: the server must stay
        clean (ASan reports leaks at exit) and unaffected."""
        t = Target(self.server.port, is_redis=False)
        self.addCleanup(t.close)
        clients = [t.client() for _ in range(20)]
        for i, c in enumerate(clients):
            raw(c, "WATCH", *["k%d" % j for j in range(i, i + 200)])
        clients[0].set("k100", "x")  # breaks the watchers of k100
        for c in clients[::2]:
            c.close()
        broken = [exec_after(c, ("PING",)) for c in clients[1::2]]
        self.assertEqual(broken[:10], [None if 100 in range(i, i + 200) else ["PONG"]
                                       for i in range(1, 20, 2)])


def redis_server_binary():
    return shutil.which("redis-server")


@unittest.skipIf(redis_server_binary() is None, "redis-server is not installed")
class RealRedis(unittest.TestCase):
    """The same scenarios against a real redis-server: the same results."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="respite-multi-redis-")
        cls.port = free_port()
        cls.proc = subprocess.Popen(
            [redis_server_binary(), "--port", str(cls.port), "--bind", HOST, "--save", "",
             "--appendonly", "no", "--dir", cls.dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(host=HOST, port=cls.port, socket_timeout=1).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or cls.proc.poll() is not None:
                    cls.tearDownClass()
                    raise
                time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                cls.proc.wait(10)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_scenarios(self):
        run_scenarios(self, Target(self.port, is_redis=True))


if __name__ == "__main__":
    main()
