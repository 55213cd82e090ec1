# SPDX-License-Identifier: BSD-3-Clause
"""Blocking list pops over real connections, on respite and on a real redis-server.

BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP with several clients, each on its own raw
socket: immediate serves, blocking then waking by the pushes that create a key, the order
in which waiters are served, pushes inside MULTI/EXEC, BLMOVE chains, the blocking forms
inside MULTI, CLIENT UNBLOCK, INFO and CLIENT LIST while blocked, a blocked client's
disconnect and pipelined commands, many keys and many clients (and the server's CPU
while they wait), keys that appear through SWAPDB, MOVE, RENAME and COPY (and other
types that do not serve), BLMOVE cycles and wrong-type destinations, CLIENT KILL and
CLIENT REPLY OFF while blocked, and timeouts (bounds, deadline order, none after a
serve).

Sorted sets: BZPOPMIN, BZPOPMAX and BZMPOP waiters served in the order they blocked,
woken after EXEC (and not by a transaction that leaves no member), CLIENT UNBLOCK with
each reason, timeouts in RESP2 and RESP3, compared with redis-server 7.4
(harness.redis74_path; skipped without it).

Every scenario runs on redis-server (7.0, the reference, or 7.4 for sorted sets) and on
respite, each in a subTest, with the same expected outcome asserted on both. Timeouts are fractions of a
second; every read has a deadline (a blocked reply that must not come is checked by
waiting SILENCE seconds), so the whole file runs in a few seconds.

Differences from Redis found here are tests marked expectedFailure, each with a comment
starting "BUG (respite)" that names the commands and both replies.
"""
import os
import select
import shutil
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (HOST, RespConn, RespError, RespiteAndRedis, ServerTestCase,  # noqa: E402
                     encode, main, raise_nofile, read_until_closed, redis74_path)

REDIS = shutil.which("redis-server")
WAIT_LIMIT = 3.0   # seconds a wait for a state of the server may take at most
REPLY_LIMIT = 3.0  # seconds a reply that must come may take at most
SILENCE = 0.1      # seconds during which a client that stays blocked must get nothing
MANY_KEYS = 1000   # keys one client blocks on
MANY_CLIENTS = 200  # clients blocked at once on distinct keys
IDLE_CPU_MS = 50   # CPU the server may use in 1 s while MANY_CLIENTS wait

UNBLOCKED = RespError("UNBLOCKED client unblocked via CLIENT UNBLOCK")
NEGATIVE = RespError("ERR timeout is negative")
NOT_FLOAT = RespError("ERR timeout is not a float or out of range")
WRONGTYPE = RespError("WRONGTYPE Operation against a key holding the wrong kind of value")


def arity(name):
    return RespError("ERR wrong number of arguments for '%s' command" % name)


class Conn(RespConn):
    """A client connection whose every read has a deadline."""

    def __init__(self, port):
        s = socket.create_connection((HOST, port), timeout=REPLY_LIMIT)
        super().__init__(s)

    def post(self, *args):
        """Send a command without reading its reply."""
        self.sock.sendall(encode(*args))

    def get(self):
        """The next reply, which must come within REPLY_LIMIT."""
        self.sock.settimeout(REPLY_LIMIT)
        return self.reply()

    def raw(self, n):
        """The next n raw bytes of reply."""
        return self.read_bytes(n, REPLY_LIMIT)

    def silent(self, wait=SILENCE):
        """True if nothing arrives within wait seconds."""
        if self.buf:
            return False
        r, _, _ = select.select([self.sock], [], [], wait)
        return not r


class Target:
    """One server under test: its connections (closed by close()) and its process id."""

    def __init__(self, name, port, pid):
        self.name = name
        self.port = port
        self.pid = pid
        self.conns = []
        self.ctl = self.conn()

    def conn(self):
        c = Conn(self.port)
        self.conns.append(c)
        return c

    def blocked(self):
        return harness.blocked_clients(self.ctl)

    def wait_blocked(self, n):
        """Wait (bounded) until the server reports n blocked clients."""
        harness.wait_blocked(self.ctl, n, WAIT_LIMIT)

    def block(self, *args):
        """A new connection that sends a blocking command and is blocked by it."""
        c = self.conn()
        c.cmd_id = c.cmd("CLIENT", "ID")
        n = self.blocked()
        c.post(*args)
        self.wait_blocked(n + 1)
        return c

    def cpu_ms(self):
        """User plus system CPU time of the server process, in ms."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        return ticks * 1000.0 / os.sysconf("SC_CLK_TCK")

    def close(self):
        for c in self.conns:
            c.close()
        self.conns = []


class BothServers(RespiteAndRedis):
    """A base for scenarios run on redis-server, then on respite (see on_both)."""

    @classmethod
    def setUpClass(cls):
        raise_nofile(4 * MANY_CLIENTS + 64)
        super().setUpClass()

    def on_both(self, scenario):
        """scenario(t) on redis-server, then on respite, each flushed first; whatever it
        asserts must hold on both."""
        for name, srv in (("redis-server", self.reference), ("respite", self.respite)):
            with self.subTest(server=name):
                t = Target(name, srv.port, srv.proc.pid)
                try:
                    self.assertEqual(t.ctl.cmd("FLUSHALL"), b"OK")
                    scenario(t)
                finally:
                    t.close()
                    # the closed clients' waits are gone before the next scenario
                    t2 = Target(name, srv.port, srv.proc.pid)
                    try:
                        t2.wait_blocked(0)
                    finally:
                        t2.close()



@unittest.skipUnless(REDIS, "redis-server is not installed")
class Blocking(BothServers):
    """The list pops, each scenario on redis-server 7.0, then on respite."""

    # ---- immediate serves ------------------------------------------------------------

    def test_immediate_serve_first_nonempty_key(self):
        def scenario(t):
            c = t.ctl
            c.cmd("RPUSH", "b", "b1", "b2")
            c.cmd("RPUSH", "c", "c1")
            self.assertEqual(c.cmd("BLPOP", "a", "b", "c", "0"), [b"b", b"b1"])
            self.assertEqual(c.cmd("BRPOP", "a", "c", "b", "0"), [b"c", b"c1"])
            self.assertEqual(c.cmd("BRPOPLPUSH", "b", "d", "0"), b"b2")
            self.assertEqual(c.cmd("BLMOVE", "d", "e", "LEFT", "RIGHT", "0.1"), b"b2")
            c.cmd("RPUSH", "b", "1", "2", "3")
            self.assertEqual(c.cmd("BLMPOP", "0", "3", "a", "b", "e", "RIGHT", "COUNT", "2"),
                             [b"b", [b"3", b"2"]])
            self.assertEqual(c.cmd("BLMPOP", "0.1", "2", "a", "e", "LEFT", "COUNT", "9"),
                             [b"e", [b"b2"]])
            self.assertEqual(c.cmd("BLMPOP", "0.1", "1", "b", "LEFT"), [b"b", [b"1"]])
            self.assertEqual(c.cmd("EXISTS", "b", "c", "d", "e"), 0)
        self.on_both(scenario)

    # ---- waking ----------------------------------------------------------------------

    def test_woken_by_each_creating_push(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0")
            self.assertEqual(c.cmd("LPUSH", "k", "a"), 1)
            self.assertEqual(w.get(), [b"k", b"a"])
            w.post("BRPOP", "x", "k", "0")
            t.wait_blocked(1)
            self.assertEqual(c.cmd("RPUSH", "k", "b", "c"), 2)
            self.assertEqual(w.get(), [b"k", b"c"])
            self.assertEqual(c.cmd("LRANGE", "k", "0", "-1"), [b"b"])
            w.post("BLMOVE", "k2", "dst", "RIGHT", "LEFT", "0")
            t.wait_blocked(1)
            self.assertEqual(c.cmd("LMOVE", "k", "k2", "LEFT", "RIGHT"), b"b")
            self.assertEqual(w.get(), b"b")
            w.post("BRPOPLPUSH", "k3", "dst", "0")
            t.wait_blocked(1)
            self.assertEqual(c.cmd("RPOPLPUSH", "dst", "k3"), b"b")
            self.assertEqual(w.get(), b"b")
            self.assertEqual(c.cmd("LRANGE", "dst", "0", "-1"), [b"b"])
            self.assertEqual(c.cmd("EXISTS", "k", "k2", "k3"), 0)
            w.post("BLMPOP", "0", "2", "m1", "m2", "LEFT", "COUNT", "2")
            t.wait_blocked(1)
            self.assertEqual(c.cmd("RPUSH", "m2", "x", "y", "z"), 3)
            self.assertEqual(w.get(), [b"m2", [b"x", b"y"]])
            self.assertEqual(c.cmd("LRANGE", "m2", "0", "-1"), [b"z"])
        self.on_both(scenario)

    def test_commands_that_create_no_key_wake_nobody(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0")
            self.assertEqual(c.cmd("LINSERT", "k", "BEFORE", "p", "v"), 0)
            self.assertEqual(c.cmd("LPUSHX", "k", "v"), 0)
            self.assertEqual(c.cmd("RPUSHX", "k", "v"), 0)
            self.assertEqual(c.cmd("LMOVE", "none", "k", "LEFT", "LEFT"), None)
            self.assertTrue(w.silent())
            self.assertEqual(t.blocked(), 1)
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
            self.assertEqual(c.cmd("RPUSH", "k", "v"), 1)
            self.assertEqual(w.get(), [b"k", b"v"])
        self.on_both(scenario)

    def test_several_keys_woken_by_any(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "a", "b", "c", "0")
            c.cmd("RPUSH", "c", "z")
            self.assertEqual(w.get(), [b"c", b"z"])
            w.post("BRPOP", "a", "b", "c", "0")
            t.wait_blocked(1)
            c.cmd("RPUSH", "b", "1", "2")
            self.assertEqual(w.get(), [b"b", b"2"])
            self.assertEqual(c.cmd("LRANGE", "b", "0", "-1"), [b"1"])
        self.on_both(scenario)

    def test_woken_from_the_key_that_became_ready(self):
        """Two of the waited keys are created in one EXEC: the first created serves."""
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "a", "b", "0")
            c.cmd("MULTI")
            c.cmd("RPUSH", "b", "1")
            c.cmd("RPUSH", "a", "2")
            self.assertEqual(c.cmd("EXEC"), [1, 1])
            self.assertEqual(w.get(), [b"b", b"1"])
            self.assertEqual(c.cmd("LLEN", "a"), 1)
        self.on_both(scenario)

    def test_timeout_zero_waits_until_a_push(self):
        def scenario(t):
            w = t.block("BRPOP", "k", "0")
            self.assertTrue(w.silent(0.3))
            t.ctl.cmd("RPUSH", "k", "v")
            self.assertEqual(w.get(), [b"k", b"v"])
        self.on_both(scenario)

    # ---- timeouts --------------------------------------------------------------------

    def test_timeout_replies_resp2(self):
        def scenario(t):
            w = t.conn()
            for cmd in (("BLPOP", "k", "0.05"), ("BRPOP", "k", "j", "0.05"),
                        ("BLMPOP", "0.05", "1", "k", "LEFT"),
                        ("BLMOVE", "k", "d", "LEFT", "LEFT", "0.05"),
                        ("BRPOPLPUSH", "k", "d", "0.05")):
                w.post(*cmd)
                self.assertEqual(w.raw(5), b"*-1\r\n", cmd)
            self.assertEqual(w.cmd("PING"), b"PONG")
        self.on_both(scenario)

    def test_timeout_replies_resp3(self):
        def scenario(t):
            w = t.conn()
            self.assertIsInstance(w.cmd("HELLO", "3"), dict)
            for cmd in (("BLPOP", "k", "0.05"), ("BLMPOP", "0.05", "1", "k", "RIGHT"),
                        ("BLMOVE", "k", "d", "LEFT", "LEFT", "0.05"),
                        ("BRPOPLPUSH", "k", "d", "0.05")):
                w.post(*cmd)
                self.assertEqual(w.raw(3), b"_\r\n", cmd)
        self.on_both(scenario)

    def test_timeouts_expire_in_deadline_order(self):
        def scenario(t):
            c = t.ctl
            a = t.block("BLPOP", "k", "0.3")
            b = t.block("BLPOP", "k", "0.1")
            w = t.block("BLPOP", "k", "0")
            start = time.monotonic()
            self.assertIsNone(b.get())
            self.assertLess(time.monotonic() - start, 0.25)
            self.assertTrue(a.silent(0.05))
            self.assertIsNone(a.get())
            self.assertGreater(time.monotonic() - start, 0.15)
            self.assertEqual(t.blocked(), 1)
            c.cmd("RPUSH", "k", "v")
            self.assertEqual(w.get(), [b"k", b"v"])
        self.on_both(scenario)

    def test_served_client_gets_no_timeout_reply_later(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0.15")
            c.cmd("RPUSH", "k", "v")
            self.assertEqual(w.get(), [b"k", b"v"])
            w2 = t.block("BLPOP", "j", "0.15")
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", w2.cmd_id, "ERROR"), 1)
            self.assertEqual(w2.get(), UNBLOCKED)
            self.assertTrue(w.silent(0.25))
            self.assertTrue(w2.silent(0.01))
            self.assertEqual(w.cmd("PING"), b"PONG")
            self.assertEqual(w2.cmd("PING"), b"PONG")
        self.on_both(scenario)

    # A positive timeout under one millisecond is not 0 ("for ever"): Redis rounds the
    # milliseconds up (ceill), so the client times out after 1 ms with *-1.
    def test_sub_millisecond_timeout_is_not_forever(self):
        def scenario(t):
            w = t.conn()
            w.sock.settimeout(0.5)
            for cmd in (("BLPOP", "k", "0.0001"), ("BLPOP", "k", "1e-300"),
                        ("BLMOVE", "k", "d", "LEFT", "LEFT", "0.0005"),
                        ("BLMPOP", "0.0009", "1", "k", "LEFT")):
                w.post(*cmd)
                self.assertEqual(w.read_bytes(5, 0.5), b"*-1\r\n", cmd)
        self.on_both(scenario)

    def test_fractional_timeout_answers_in_time(self):
        def scenario(t):
            w = t.conn()
            for cmd in (("BLPOP", "k", "0.1"), ("BLMOVE", "k", "d", "LEFT", "LEFT", "0.1"),
                        ("BLMPOP", "0.1", "1", "k", "LEFT")):
                start = time.monotonic()
                w.post(*cmd)
                self.assertIsNone(w.get())
                took = time.monotonic() - start
                self.assertGreaterEqual(took, 0.1, cmd)
                self.assertLess(took, 0.5, cmd)
            self.assertEqual(t.blocked(), 0)
        self.on_both(scenario)

    # ---- errors ----------------------------------------------------------------------

    def test_errors(self):
        def scenario(t):
            c = t.ctl
            c.cmd("SET", "s", "x")
            c.cmd("RPUSH", "l", "v")
            cases = [
                (("BLPOP", "k", "-1"), NEGATIVE),
                (("BRPOP", "k", "-0.5"), NEGATIVE),
                (("BLPOP", "k", "abc"), NOT_FLOAT),
                (("BLPOP", "k", "1x"), NOT_FLOAT),
                (("BLPOP", "k", "nan"), NOT_FLOAT),
                (("BLPOP", "k", ""), NOT_FLOAT),
                (("BLMOVE", "k", "d", "LEFT", "LEFT", "-1"), NEGATIVE),
                (("BRPOPLPUSH", "k", "d", "x"), NOT_FLOAT),
                (("BLMPOP", "-1", "1", "k", "LEFT"), NEGATIVE),
                (("BLMPOP", "0.1", "0", "k", "LEFT"),
                 RespError("ERR numkeys should be greater than 0")),
                (("BLMPOP", "0.1", "1", "k", "LEFT", "COUNT", "0"),
                 RespError("ERR count should be greater than 0")),
                (("BLMPOP", "0.1", "1", "k", "UP"), RespError("ERR syntax error")),
                (("BLMPOP", "0.1", "2", "k", "LEFT"), RespError("ERR syntax error")),
                (("BLMOVE", "k", "d", "UP", "LEFT", "0"), RespError("ERR syntax error")),
                (("BLPOP", "s", "0"), WRONGTYPE),
                (("BLPOP", "k", "s", "0"), WRONGTYPE),
                (("BRPOP", "k", "s", "l", "0"), WRONGTYPE),
                (("BLPOP", "l", "s", "0"), [b"l", b"v"]),
                (("BLMOVE", "s", "d", "LEFT", "LEFT", "0"), WRONGTYPE),
                (("BRPOPLPUSH", "s", "d", "0"), WRONGTYPE),
                (("BLMPOP", "0", "2", "k", "s", "LEFT"), WRONGTYPE),
                (("BLPOP", "k"), arity("blpop")),
                (("BRPOP",), arity("brpop")),
                (("BLMOVE", "k", "d", "LEFT", "LEFT"), arity("blmove")),
                (("BRPOPLPUSH", "k", "d"), arity("brpoplpush")),
                (("BLMPOP", "0", "1", "k"), arity("blmpop")),
            ]
            for cmd, want in cases:
                self.assertEqual(c.cmd(*cmd), want, cmd)
            # the destination is checked when there is something to move
            c.cmd("RPUSH", "l", "v")
            self.assertEqual(c.cmd("BLMOVE", "l", "s", "LEFT", "LEFT", "0"), WRONGTYPE)
            self.assertEqual(c.cmd("LLEN", "l"), 1)
            self.assertEqual(c.cmd("BLMOVE", "k", "s", "LEFT", "LEFT", "0.01"), None)
            self.assertEqual(t.blocked(), 0)
        self.on_both(scenario)

    # BLMPOP parses numkeys, the direction and COUNT first and its timeout last
    # (blockingPopGenericCommand), so with two bad arguments the first one named is
    # not the one reported, e.g. BLMPOP -1 1 k UP: -ERR syntax error.
    def test_blmpop_checks_its_timeout_last(self):
        def scenario(t):
            c = t.ctl
            c.cmd("SET", "s", "x")
            for cmd, want in (
                    (("BLMPOP", "-1", "1", "k", "UP"), RespError("ERR syntax error")),
                    (("BLMPOP", "x", "0", "k", "LEFT"),
                     RespError("ERR numkeys should be greater than 0")),
                    (("BLMPOP", "abc", "1", "k", "LEFT", "COUNT", "0"),
                     RespError("ERR count should be greater than 0")),
                    (("BLMPOP", "-1", "1", "k", "LEFT", "COUNT", "1", "x"),
                     RespError("ERR syntax error")),
                    # ... but before the keys
                    (("BLMPOP", "-1", "1", "s", "LEFT"), NEGATIVE)):
                self.assertEqual(c.cmd(*cmd), want, cmd)
        self.on_both(scenario)

    # ---- order and visibility --------------------------------------------------------

    def test_served_in_the_order_they_blocked(self):
        def scenario(t):
            c = t.ctl
            ws = [t.block("BLPOP", "k", "0") for _ in range(3)]
            for i, w in enumerate(ws):
                self.assertEqual(c.cmd("RPUSH", "k", "v%d" % i), 1)
                self.assertEqual(w.get(), [b"k", b"v%d" % i])
                for other in ws[i + 1:]:
                    self.assertTrue(other.silent(0.02))
            ws = [t.block("BRPOP", "k", "0") for _ in range(3)]
            self.assertEqual(c.cmd("RPUSH", "k", "a", "b", "c"), 3)
            self.assertEqual([w.get() for w in ws], [[b"k", b"c"], [b"k", b"b"], [b"k", b"a"]])
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
            ws = [t.block("BLPOP", "k", "0") for _ in range(3)]
            self.assertEqual(c.cmd("LPUSH", "k", "a", "b"), 2)
            self.assertEqual([w.get() for w in ws[:2]], [[b"k", b"b"], [b"k", b"a"]])
            self.assertTrue(ws[2].silent())
            self.assertEqual(t.blocked(), 1)
        self.on_both(scenario)

    def test_push_that_serves_is_not_seen_by_others(self):
        def scenario(t):
            c = t.ctl
            w1 = t.block("BLPOP", "k", "0")
            w2 = t.block("BLPOP", "k", "0")
            self.assertEqual(c.cmd("LPUSH", "k", "a"), 1)
            self.assertEqual(w1.get(), [b"k", b"a"])
            self.assertTrue(w2.silent())
            self.assertEqual(c.cmd("LLEN", "k"), 0)
            self.assertEqual(t.blocked(), 1)
        self.on_both(scenario)

    def test_push_in_multi_wakes_after_exec(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0")
            self.assertEqual(c.cmd("MULTI"), b"OK")
            c.cmd("RPUSH", "k", "a")
            c.cmd("RPUSH", "k", "b")
            self.assertTrue(w.silent(0.02))
            c.cmd("LPOP", "k")
            self.assertEqual(c.cmd("EXEC"), [1, 2, b"a"])
            self.assertEqual(w.get(), [b"k", b"b"])
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
            w.post("BLPOP", "k", "0")
            t.wait_blocked(1)
            c.cmd("MULTI")
            c.cmd("RPUSH", "k", "x")
            c.cmd("DEL", "k")
            self.assertEqual(c.cmd("EXEC"), [1, 1])
            self.assertTrue(w.silent())
            self.assertEqual(t.blocked(), 1)
        self.on_both(scenario)

    def test_transaction_consumes_its_own_push(self):
        """MULTI; LPUSH k a; BLPOP k 0; EXEC: the transaction pops its own element, and
        the waiter, which sees only the final state, stays blocked."""
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0")
            c.cmd("MULTI")
            c.cmd("LPUSH", "k", "a")
            c.cmd("BLPOP", "k", "0")
            self.assertEqual(c.cmd("EXEC"), [1, [b"k", b"a"]])
            self.assertTrue(w.silent())
            c.cmd("MULTI")
            c.cmd("RPUSH", "k", "a")
            c.cmd("LTRIM", "k", "1", "0")
            self.assertEqual(c.cmd("EXEC"), [1, b"OK"])
            self.assertTrue(w.silent())
            self.assertEqual(t.blocked(), 1)
            c.cmd("MULTI")
            c.cmd("SELECT", "1")
            c.cmd("RPUSH", "k", "db1")
            c.cmd("SELECT", "0")
            c.cmd("RPUSH", "k", "db0")
            self.assertEqual(c.cmd("EXEC"), [b"OK", 1, b"OK", 1])
            self.assertEqual(w.get(), [b"k", b"db0"])
        self.on_both(scenario)

    def test_waiter_on_two_keys_served_once(self):
        """A waits on k1 and k2, B on k2; one EXEC creates k2 then k1: A gets k2's
        element, k1's stays, B stays blocked."""
        def scenario(t):
            c = t.ctl
            a = t.block("BLPOP", "k1", "k2", "0")
            b = t.block("BLPOP", "k2", "0")
            c.cmd("MULTI")
            c.cmd("RPUSH", "k2", "x")
            c.cmd("RPUSH", "k1", "y")
            self.assertEqual(c.cmd("EXEC"), [1, 1])
            self.assertEqual(a.get(), [b"k2", b"x"])
            self.assertTrue(b.silent())
            self.assertEqual(c.cmd("LRANGE", "k1", "0", "-1"), [b"y"])
            self.assertEqual(t.blocked(), 1)
        self.on_both(scenario)

    def test_blmpop_waiter_gets_what_there_is(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLMPOP", "0", "1", "k", "RIGHT", "COUNT", "3")
            self.assertEqual(c.cmd("LPUSH", "k", "a", "b"), 2)
            self.assertEqual(w.get(), [b"k", [b"a", b"b"]])
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
        self.on_both(scenario)

    # ---- BLMOVE chains ---------------------------------------------------------------

    def test_blmove_chain(self):
        def scenario(t):
            c = t.ctl
            a = t.block("BLMOVE", "k1", "k2", "LEFT", "LEFT", "0")
            b = t.block("BLPOP", "k2", "0")
            self.assertEqual(c.cmd("LPUSH", "k1", "x"), 1)
            self.assertEqual(a.get(), b"x")
            self.assertEqual(b.get(), [b"k2", b"x"])
            self.assertEqual(c.cmd("EXISTS", "k1", "k2"), 0)
            a.post("BRPOPLPUSH", "k1", "k2", "0")
            t.wait_blocked(1)
            b.post("BLMOVE", "k2", "k3", "RIGHT", "LEFT", "0")
            t.wait_blocked(2)
            self.assertEqual(c.cmd("RPUSH", "k1", "y", "z"), 2)
            self.assertEqual(a.get(), b"z")
            self.assertEqual(b.get(), b"z")
            self.assertEqual([c.cmd("LRANGE", k, "0", "-1") for k in ("k1", "k2", "k3")],
                             [[b"y"], [], [b"z"]])
        self.on_both(scenario)

    def test_blmove_onto_itself(self):
        def scenario(t):
            c = t.ctl
            a = t.block("BLMOVE", "k", "k", "RIGHT", "LEFT", "0")
            self.assertEqual(c.cmd("RPUSH", "k", "x"), 1)
            self.assertEqual(a.get(), b"x")
            self.assertEqual(c.cmd("LRANGE", "k", "0", "-1"), [b"x"])
            c.cmd("RPUSH", "k", "y")
            self.assertEqual(c.cmd("BLMOVE", "k", "k", "RIGHT", "LEFT", "0"), b"y")
            self.assertEqual(c.cmd("LRANGE", "k", "0", "-1"), [b"y", b"x"])
            self.assertEqual(t.blocked(), 0)
        self.on_both(scenario)

    def test_blmove_cycle(self):
        def scenario(t):
            c = t.ctl
            a = t.block("BLMOVE", "k1", "k2", "LEFT", "RIGHT", "0")
            b = t.block("BLMOVE", "k2", "k1", "LEFT", "RIGHT", "0")
            self.assertEqual(c.cmd("RPUSH", "k1", "x"), 1)
            self.assertEqual(a.get(), b"x")
            self.assertEqual(b.get(), b"x")
            self.assertEqual(c.cmd("LRANGE", "k1", "0", "-1"), [b"x"])
            self.assertEqual(c.cmd("EXISTS", "k2"), 0)
            self.assertEqual(t.blocked(), 0)
        self.on_both(scenario)

    def test_blmove_served_onto_a_wrong_type_destination(self):
        """The destination became a string while the client waited: it gets WRONGTYPE
        when served, and the element stays in the source."""
        def scenario(t):
            c = t.ctl
            a = t.block("BLMOVE", "k", "d", "LEFT", "LEFT", "0")
            b = t.block("BLPOP", "k", "0")
            c.cmd("SET", "d", "string")
            self.assertEqual(c.cmd("RPUSH", "k", "x"), 1)
            self.assertEqual(a.get(), WRONGTYPE)
            self.assertEqual(b.get(), [b"k", b"x"])
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
            self.assertEqual(c.cmd("GET", "d"), b"string")
            self.assertEqual(t.blocked(), 0)
        self.on_both(scenario)

    def test_same_key_twice(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "k", "0")
            self.assertEqual(c.cmd("RPUSH", "k", "a", "b"), 2)
            self.assertEqual(w.get(), [b"k", b"a"])
            self.assertTrue(w.silent())
            self.assertEqual(c.cmd("LRANGE", "k", "0", "-1"), [b"b"])
            w.post("BLMPOP", "0", "3", "j", "j", "j", "RIGHT", "COUNT", "5")
            t.wait_blocked(1)
            c.cmd("RPUSH", "j", "1", "2")
            self.assertEqual(w.get(), [b"j", [b"2", b"1"]])
            self.assertTrue(w.silent())
        self.on_both(scenario)

    def test_other_types_under_the_waited_key(self):
        """A string, hash or stream created under a waited key serves nobody; the
        waiter stays blocked until a list is there."""
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0")
            c.cmd("SET", "k", "s")
            c.cmd("DEL", "k")
            c.cmd("HSET", "k", "f", "v")
            c.cmd("DEL", "k")
            c.cmd("XADD", "k", "1-1", "f", "v")
            self.assertTrue(w.silent())
            self.assertEqual(t.blocked(), 1)
            c.cmd("DEL", "k")
            c.cmd("SET", "src", "s")
            self.assertEqual(c.cmd("COPY", "src", "k"), 1)
            self.assertTrue(w.silent())
            c.cmd("DEL", "k")
            c.cmd("RPUSH", "src2", "copied")
            self.assertEqual(c.cmd("COPY", "src2", "k"), 1)
            self.assertEqual(w.get(), [b"k", b"copied"])
            self.assertEqual(c.cmd("LRANGE", "src2", "0", "-1"), [b"copied"])
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
        self.on_both(scenario)

    def test_flush_while_blocked(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0")
            self.assertEqual(c.cmd("FLUSHALL"), b"OK")
            self.assertEqual(c.cmd("FLUSHDB"), b"OK")
            self.assertTrue(w.silent())
            self.assertEqual(t.blocked(), 1)
            c.cmd("RPUSH", "k", "v")
            self.assertEqual(w.get(), [b"k", b"v"])
        self.on_both(scenario)

    def test_client_kill_of_a_blocked_client(self):
        def scenario(t):
            c = t.ctl
            w = t.conn()
            wid = w.cmd("CLIENT", "ID")
            w.post("BLPOP", "k", "0")
            t.wait_blocked(1)
            self.assertEqual(c.cmd("CLIENT", "KILL", "ID", wid), 1)
            t.wait_blocked(0)
            self.assertEqual(c.cmd("RPUSH", "k", "v"), 1)
            self.assertEqual(c.cmd("LLEN", "k"), 1)
        self.on_both(scenario)

    def test_killed_in_exec_before_a_push_gets_nothing(self):
        """A blocked client killed by CLIENT KILL (any filter) inside an EXEC that then
        pushes to its key: the pushed element stays in the list and the killed client just
        sees its connection close."""
        def scenario(t):
            c = t.ctl
            for how in ("ID", "ADDR", "LADDR", "USER", "SKIPME"):
                w = t.block("BLPOP", "kq", "0")
                laddr = "%s:%d" % c.sock.getpeername()
                addr = "%s:%d" % w.sock.getsockname()
                kill = {"ID": ("ID", w.cmd_id), "ADDR": ("ADDR", addr),
                        "LADDR": ("LADDR", laddr), "USER": ("USER", "default"),
                        "SKIPME": ("SKIPME", "yes")}[how]
                self.assertEqual(c.cmd("MULTI"), b"OK")
                self.assertEqual(c.cmd("CLIENT", "KILL", *kill), b"QUEUED")
                self.assertEqual(c.cmd("RPUSH", "kq", "job1"), b"QUEUED")
                self.assertEqual(c.cmd("EXEC"), [1, 1], how)
                data, closed = read_until_closed(w.sock, timeout=REPLY_LIMIT)
                self.assertEqual((data, closed), (b"", True), how)
                self.assertEqual(c.cmd("LPOP", "kq"), b"job1", how)
                t.wait_blocked(0)
        self.on_both(scenario)

    def test_killed_in_a_pipeline_before_a_push_gets_nothing(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "kq", "0")
            c.sock.sendall(encode("CLIENT", "KILL", "ID", w.cmd_id) +
                           encode("RPUSH", "kq", "job1"))
            self.assertEqual(c.get(), 1)
            self.assertEqual(c.get(), 1)
            self.assertEqual(read_until_closed(w.sock, timeout=REPLY_LIMIT), (b"", True))
            self.assertEqual(c.cmd("LLEN", "kq"), 1)
        self.on_both(scenario)

    def test_killed_after_it_was_served_is_closed(self):
        """Served by a push, then killed by the next command of the same pipeline (while
        the server has it queued to run its next commands): its pending PING never runs
        and it is closed."""
        def scenario(t):
            c = t.ctl
            w = t.conn()
            w.cmd_id = w.cmd("CLIENT", "ID")
            w.post("BLPOP", "kq", "0")
            w.post("RPUSH", "seen", "x")
            t.wait_blocked(1)
            c.sock.sendall(encode("RPUSH", "kq", "job1") +
                           encode("CLIENT", "KILL", "ID", w.cmd_id))
            self.assertEqual(c.get(), 1)
            self.assertEqual(c.get(), 1)
            data, closed = read_until_closed(w.sock, timeout=REPLY_LIMIT)
            self.assertTrue(closed)
            self.assertIn(data, (b"", b"*2\r\n$2\r\nkq\r\n$4\r\njob1\r\n"))
            self.assertEqual(c.cmd("LLEN", "kq"), 0)
            self.assertEqual(c.cmd("EXISTS", "seen"), 0)
        self.on_both(scenario)

    def test_quit_and_reset_pipelined_after_a_blocking_command(self):
        def scenario(t):
            c = t.ctl
            for last, reply in (("QUIT", b"+OK\r\n"), ("RESET", b"+RESET\r\n")):
                w = t.conn()
                w.sock.sendall(encode("BLPOP", "kq", "0") + encode(last) + encode("PING"))
                t.wait_blocked(1)
                self.assertEqual(c.cmd("RPUSH", "kq", "job1", "job2"), 2)
                want = b"*2\r\n$2\r\nkq\r\n$4\r\njob1\r\n" + reply
                if last == "RESET":
                    want += b"+PONG\r\n"
                self.assertEqual(w.raw(len(want)), want, last)
                if last == "QUIT":
                    self.assertEqual(read_until_closed(w.sock, timeout=REPLY_LIMIT),
                                     (b"", True))
                self.assertEqual(c.cmd("LPOP", "kq"), b"job2")
        self.on_both(scenario)

    def test_blocked_with_client_reply_off(self):
        """A client that blocked with CLIENT REPLY OFF is served without a reply."""
        def scenario(t):
            c = t.ctl
            w = t.conn()
            w.post("CLIENT", "REPLY", "OFF")
            w.post("BLPOP", "k", "0")
            t.wait_blocked(1)
            c.cmd("RPUSH", "k", "a", "b")
            t.wait_blocked(0)
            self.assertEqual(c.cmd("LRANGE", "k", "0", "-1"), [b"b"])
            w.post("BLPOP", "j", "0.05")
            time.sleep(0.1)
            self.assertEqual(w.cmd("CLIENT", "REPLY", "ON"), b"OK")
            self.assertEqual(w.cmd("PING"), b"PONG")
        self.on_both(scenario)

    def test_served_reply_shapes_resp3(self):
        def scenario(t):
            c = t.ctl
            w = t.conn()
            self.assertIsInstance(w.cmd("HELLO", "3"), dict)
            w.post("BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "2")
            t.wait_blocked(1)
            c.cmd("RPUSH", "b", "1")
            want = b"*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n"
            self.assertEqual(w.raw(len(want)), want)
            w.post("BRPOP", "a", "0")
            t.wait_blocked(1)
            c.cmd("RPUSH", "a", "2")
            want = b"*2\r\n$1\r\na\r\n$1\r\n2\r\n"
            self.assertEqual(w.raw(len(want)), want)
        self.on_both(scenario)

    # ---- inside MULTI ----------------------------------------------------------------

    def test_blocking_forms_inside_multi(self):
        def scenario(t):
            c = t.ctl
            cmds = [("BLPOP", "k", "0"), ("BRPOP", "k", "0"),
                    ("BLMOVE", "k", "d", "LEFT", "LEFT", "0"),
                    ("BRPOPLPUSH", "k", "d", "0"), ("BLMPOP", "0", "1", "k", "LEFT"),
                    ("RPUSH", "k", "1", "2", "3", "4"),
                    ("BLPOP", "k", "0"), ("BRPOP", "k", "0"),
                    ("BLMOVE", "k", "d", "LEFT", "LEFT", "0"),
                    ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "5")]
            self.assertEqual(c.cmd("MULTI"), b"OK")
            for cmd in cmds:
                self.assertEqual(c.cmd(*cmd), b"QUEUED")
            c.post("EXEC")
            want = (b"*10\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n:4\r\n"
                    b"*2\r\n$1\r\nk\r\n$1\r\n1\r\n*2\r\n$1\r\nk\r\n$1\r\n4\r\n$1\r\n2\r\n"
                    b"*2\r\n$1\r\nk\r\n*1\r\n$1\r\n3\r\n")
            self.assertEqual(c.raw(len(want)), want)
            self.assertEqual(t.blocked(), 0)
            self.assertEqual(c.cmd("LRANGE", "d", "0", "-1"), [b"2"])
        self.on_both(scenario)

    # ---- CLIENT UNBLOCK --------------------------------------------------------------

    def test_client_unblock(self):
        def scenario(t):
            c = t.ctl
            w = t.conn()
            wid = w.cmd("CLIENT", "ID")
            for reason, reply in ((None, b"*-1\r\n"), ("TIMEOUT", b"*-1\r\n"),
                                  ("timeout", b"*-1\r\n"),
                                  ("ERROR", b"-" + str(UNBLOCKED).encode() + b"\r\n")):
                w.post("BLPOP", "k", "0")
                t.wait_blocked(1)
                args = ("CLIENT", "UNBLOCK", wid) + ((reason,) if reason else ())
                self.assertEqual(c.cmd(*args), 1, reason)
                self.assertEqual(w.raw(len(reply)), reply, reason)
                self.assertEqual(t.blocked(), 0)
            w.post("BLMOVE", "k", "d", "LEFT", "LEFT", "0")
            t.wait_blocked(1)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", wid, "TIMEOUT"), 1)
            self.assertEqual(w.raw(5), b"*-1\r\n")
            self.assertEqual(w.cmd("PING"), b"PONG")
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", wid), 0)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", c.cmd("CLIENT", "ID")), 0)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", "999999"), 0)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", wid, "FOO"),
                             RespError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"))
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", "abc"),
                             RespError("ERR value is not an integer or out of range"))
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", wid, "TIMEOUT", "x"),
                             RespError("ERR unknown subcommand or wrong number of arguments "
                                       "for 'UNBLOCK'. Try CLIENT HELP."))
            # a bad reason leaves a blocked client blocked
            w.post("BLPOP", "k", "0")
            t.wait_blocked(1)
            self.assertIsInstance(c.cmd("CLIENT", "UNBLOCK", wid, "FOO"), RespError)
            self.assertTrue(w.silent())
            c.cmd("RPUSH", "k", "v")
            self.assertEqual(w.get(), [b"k", b"v"])
        self.on_both(scenario)

    # ---- introspection ---------------------------------------------------------------

    def test_info_and_client_list(self):
        def scenario(t):
            c = t.ctl
            w = t.conn()
            wid = w.cmd("CLIENT", "ID")
            self.assertEqual(t.blocked(), 0)
            w.post("BLPOP", "k", "0")
            t.wait_blocked(1)
            line = c.cmd("CLIENT", "LIST", "ID", wid).decode()
            fields = dict(f.split("=", 1) for f in line.split())
            self.assertEqual(fields["id"], str(wid))
            self.assertEqual(fields["flags"], "b")
            self.assertEqual(fields["cmd"], "blpop")
            mine = dict(f.split("=", 1) for f in c.cmd("CLIENT", "INFO").decode().split())
            self.assertEqual(mine["flags"], "N")
            c.cmd("RPUSH", "k", "v")
            self.assertEqual(w.get(), [b"k", b"v"])
            self.assertEqual(t.blocked(), 0)
            line = c.cmd("CLIENT", "LIST", "ID", wid).decode()
            fields = dict(f.split("=", 1) for f in line.split())
            self.assertEqual(fields["flags"], "N")
            self.assertEqual(fields["cmd"], "blpop")
        self.on_both(scenario)

    def test_disconnect_while_blocked_leaves_nothing(self):
        def scenario(t):
            c = t.ctl
            for cmd in (("BLPOP", "k", "0"), ("BLMOVE", "k", "d", "LEFT", "LEFT", "0"),
                        ("BLMPOP", "5", "2", "j", "k", "RIGHT")):
                w = t.block(*cmd)
                w.close()
                t.conns.remove(w)
                t.wait_blocked(0)
                self.assertEqual(c.cmd("RPUSH", "k", "v"), 1)
                self.assertEqual(c.cmd("LLEN", "k"), 1)
                self.assertEqual(c.cmd("EXISTS", "d"), 0)
                self.assertEqual(c.cmd("DEL", "k"), 1)
            self.assertEqual(t.blocked(), 0)
        self.on_both(scenario)

    def test_pipelined_commands_run_after_the_serve(self):
        def scenario(t):
            c = t.ctl
            w = t.conn()
            w.sock.sendall(encode("BLPOP", "k", "0") + encode("PING") +
                           encode("RPUSH", "k", "mine") + encode("LLEN", "k"))
            t.wait_blocked(1)
            self.assertTrue(w.silent())
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
            c.cmd("RPUSH", "k", "v")
            self.assertEqual(w.get(), [b"k", b"v"])
            self.assertEqual(w.get(), b"PONG")
            self.assertEqual(w.get(), 1)
            self.assertEqual(w.get(), 1)
            # a blocked client's pipeline may hold another blocking command
            w.sock.sendall(encode("BLPOP", "j", "0") + encode("BRPOP", "k", "j", "0") +
                           encode("ECHO", "end"))
            t.wait_blocked(1)
            self.assertTrue(w.silent())
            c.cmd("RPUSH", "j", "1", "2")
            self.assertEqual(w.get(), [b"j", b"1"])
            self.assertEqual(w.get(), [b"k", b"mine"])
            self.assertEqual(w.get(), b"end")
            self.assertEqual(c.cmd("LRANGE", "j", "0", "-1"), [b"2"])
        self.on_both(scenario)

    def test_served_client_pipeline_wakes_the_next(self):
        """The served client's next command pushes to a key another client waits on."""
        def scenario(t):
            c = t.ctl
            w1 = t.conn()
            w1.sock.sendall(encode("BLPOP", "a", "0") + encode("RPUSH", "b", "x"))
            t.wait_blocked(1)
            w2 = t.block("BLPOP", "b", "0")
            c.cmd("RPUSH", "a", "v")
            self.assertEqual(w1.get(), [b"a", b"v"])
            self.assertEqual(w1.get(), 1)
            self.assertEqual(w2.get(), [b"b", b"x"])
            self.assertEqual(c.cmd("EXISTS", "a", "b"), 0)
        self.on_both(scenario)

    def test_quit_pipelined_after_a_blocking_command(self):
        def scenario(t):
            c = t.ctl
            w = t.conn()
            w.sock.sendall(encode("BLPOP", "k", "0") + encode("QUIT"))
            t.wait_blocked(1)
            c.cmd("RPUSH", "k", "a", "b")
            self.assertEqual(w.get(), [b"k", b"a"])
            self.assertEqual(w.get(), b"OK")
            data, closed = read_until_closed(w.sock, REPLY_LIMIT)
            self.assertEqual((data, closed), (b"", True))
            self.assertEqual(c.cmd("LRANGE", "k", "0", "-1"), [b"b"])
        self.on_both(scenario)

    def test_half_closed_blocked_client_is_dropped(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0")
            w.sock.shutdown(socket.SHUT_WR)
            t.wait_blocked(0)
            self.assertEqual(c.cmd("RPUSH", "k", "v"), 1)
            self.assertEqual(c.cmd("LLEN", "k"), 1)
        self.on_both(scenario)

    def test_flushall_inside_multi_between_pushes(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0")
            c.cmd("MULTI")
            c.cmd("RPUSH", "k", "a")
            c.cmd("FLUSHALL")
            c.cmd("RPUSH", "k", "b")
            self.assertEqual(c.cmd("EXEC"), [1, b"OK", 1])
            self.assertEqual(w.get(), [b"k", b"b"])
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
        self.on_both(scenario)

    def test_expired_list_is_not_served(self):
        def scenario(t):
            c = t.ctl
            c.cmd("RPUSH", "k", "old")
            c.cmd("PEXPIRE", "k", "30")
            time.sleep(0.08)
            w = t.conn()
            w.post("BLPOP", "k", "0.1")
            self.assertIsNone(w.get())
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
        self.on_both(scenario)

    def test_lists_and_streams_waiting_on_one_key(self):
        """A BLPOP and an XREAD BLOCK wait on the same key: a list serves the first
        only, a stream the second only."""
        def scenario(t):
            c = t.ctl
            lw = t.block("BLPOP", "k", "0")
            sw = t.block("XREAD", "BLOCK", "0", "STREAMS", "k", "$")
            c.cmd("RPUSH", "k", "v")
            self.assertEqual(lw.get(), [b"k", b"v"])
            self.assertTrue(sw.silent())
            lw.post("BLPOP", "k", "0")
            t.wait_blocked(2)
            c.cmd("XADD", "k", "1-1", "f", "v")
            self.assertEqual(sw.get(), [[b"k", [[b"1-1", [b"f", b"v"]]]]])
            self.assertTrue(lw.silent())
            self.assertEqual(t.blocked(), 1)
        self.on_both(scenario)

    def test_many_waiters_on_one_key(self):
        def scenario(t):
            c = t.ctl
            n = 50
            ws = [t.block("BRPOP", "k", "0") for _ in range(n)]
            values = ["v%d" % i for i in range(n + 1)]
            self.assertEqual(c.cmd("LPUSH", "k", *values), n + 1)
            # LPUSH puts v0 at the tail: BRPOP serves v0, v1, ... in blocking order
            self.assertEqual([w.get() for w in ws], [[b"k", v.encode()] for v in values[:n]])
            self.assertEqual(c.cmd("LRANGE", "k", "0", "-1"), [values[n].encode()])
        self.on_both(scenario)

    # ---- many ------------------------------------------------------------------------

    def test_one_client_on_many_keys(self):
        def scenario(t):
            c = t.ctl
            keys = ["key:%d" % i for i in range(MANY_KEYS)]
            w = t.block("BLPOP", *keys, "0")
            c.cmd("RPUSH", keys[MANY_KEYS // 2], "v")
            self.assertEqual(w.get(), [keys[MANY_KEYS // 2].encode(), b"v"])
            w.post("BRPOP", *keys, "0")
            t.wait_blocked(1)
            c.cmd("MULTI")
            for k in reversed(keys):
                c.cmd("RPUSH", k, "x")
            self.assertEqual(c.cmd("EXEC"), [1] * MANY_KEYS)
            self.assertEqual(w.get(), [keys[-1].encode(), b"x"])
            self.assertEqual(c.cmd("DBSIZE"), MANY_KEYS - 1)
            self.assertEqual(t.blocked(), 0)
        self.on_both(scenario)

    def test_many_clients_and_idle_cpu(self):
        def scenario(t):
            c = t.ctl
            ws = []
            for i in range(MANY_CLIENTS):
                w = t.conn()
                w.post("BLPOP", "q:%d" % i, "0")
                ws.append(w)
            t.wait_blocked(MANY_CLIENTS)
            time.sleep(0.1)
            before = t.cpu_ms()
            time.sleep(1.0)
            used = t.cpu_ms() - before
            sys.stderr.write("\n%s: %.0f ms CPU in 1 s with %d blocked clients\n"
                             % (t.name, used, MANY_CLIENTS))
            if t.name == "respite":
                self.assertLess(used, IDLE_CPU_MS)
            self.assertEqual(t.blocked(), MANY_CLIENTS)
            for i in reversed(range(MANY_CLIENTS)):
                self.assertEqual(c.cmd("RPUSH", "q:%d" % i, "v%d" % i), 1)
            for i, w in enumerate(ws):
                self.assertEqual(w.get(), [b"q:%d" % i, b"v%d" % i])
            self.assertEqual(t.blocked(), 0)
            self.assertEqual(c.cmd("DBSIZE"), 0)
        self.on_both(scenario)

    # ---- keys that appear without a push ---------------------------------------------

    def test_keys_appearing_by_swapdb_move_rename(self):
        """Redis 7.0 serves a waiter when SWAPDB, MOVE or RENAME make a list appear
        under its key (and RENAME of a string does not)."""
        def scenario(t):
            c = t.ctl
            w = t.block("BLPOP", "k", "0")
            c.cmd("SELECT", "1")
            c.cmd("RPUSH", "k", "from1")
            self.assertEqual(c.cmd("SWAPDB", "0", "1"), b"OK")
            self.assertEqual(w.get(), [b"k", b"from1"])
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
            c.cmd("SELECT", "0")
            self.assertEqual(c.cmd("EXISTS", "k"), 0)
            w.post("BLPOP", "k", "0")
            t.wait_blocked(1)
            c.cmd("SELECT", "1")
            c.cmd("RPUSH", "k", "moved")
            self.assertEqual(c.cmd("MOVE", "k", "0"), 1)
            self.assertEqual(w.get(), [b"k", b"moved"])
            c.cmd("SELECT", "0")
            w.post("BLPOP", "k", "0")
            t.wait_blocked(1)
            c.cmd("SET", "s", "string")
            self.assertEqual(c.cmd("RENAME", "s", "k"), b"OK")
            self.assertTrue(w.silent())
            c.cmd("DEL", "k")
            c.cmd("RPUSH", "src", "renamed")
            self.assertEqual(c.cmd("RENAME", "src", "k"), b"OK")
            self.assertEqual(w.get(), [b"k", b"renamed"])
            self.assertEqual(c.cmd("EXISTS", "k", "src"), 0)
            # a waiter in db 1: its db's key, not db 0's
            w.cmd("SELECT", "1")
            w.post("BLPOP", "k", "0")
            t.wait_blocked(1)
            c.cmd("RPUSH", "k", "db0")
            self.assertTrue(w.silent())
            self.assertEqual(c.cmd("SWAPDB", "0", "1"), b"OK")
            self.assertEqual(w.get(), [b"k", b"db0"])
        self.on_both(scenario)


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class ZsetBlocking(BothServers):
    """BZPOPMIN, BZPOPMAX and BZMPOP, each scenario on redis-server 7.4, then on respite."""

    reference_binary = redis74_path()

    def test_served_in_the_order_they_blocked(self):
        def scenario(t):
            c = t.ctl
            ws = [t.block("BZPOPMIN", "z", "0"), t.block("BZPOPMAX", "z", "0"),
                  t.block("BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"),
                  t.block("BZPOPMIN", "z", "0")]
            self.assertEqual(c.cmd("ZADD", "z", "5", "e"), 1)
            self.assertEqual(ws[0].get(), [b"z", b"e", b"5"])
            for w in ws[1:]:
                self.assertTrue(w.silent(0.02))
            self.assertEqual(c.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), 4)
            self.assertEqual(ws[1].get(), [b"z", b"d", b"4"])
            self.assertEqual(ws[2].get(), [b"z", [[b"a", b"1"], [b"b", b"2"]]])
            self.assertEqual(ws[3].get(), [b"z", b"c", b"3"])
            self.assertEqual(c.cmd("EXISTS", "z"), 0)
            self.assertEqual(t.blocked(), 0)
            # a waiter on two keys is served from the one that gets a member, once
            w = t.block("BZPOPMIN", "z1", "z2", "0")
            w2 = t.block("BZPOPMIN", "z2", "0")
            self.assertEqual(c.cmd("ZADD", "z2", "-inf", "m"), 1)
            self.assertEqual(w.get(), [b"z2", b"m", b"-inf"])
            self.assertTrue(w2.silent())
            self.assertEqual(t.blocked(), 1)
        self.on_both(scenario)

    def test_woken_after_exec(self):
        def scenario(t):
            c = t.ctl
            w = t.block("BZPOPMIN", "z", "0")
            self.assertEqual(c.cmd("MULTI"), b"OK")
            c.cmd("ZADD", "z", "1", "a", "2", "b")
            c.cmd("ZINCRBY", "z", "5", "a")
            self.assertTrue(w.silent(0.02))
            c.cmd("ZPOPMIN", "z")
            self.assertEqual(c.cmd("EXEC"), [2, b"6", [b"b", b"2"]])
            self.assertEqual(w.get(), [b"z", b"a", b"6"])
            self.assertEqual(c.cmd("EXISTS", "z"), 0)
            # a transaction that leaves no member wakes nobody
            w.post("BZPOPMAX", "z", "0")
            t.wait_blocked(1)
            c.cmd("MULTI")
            c.cmd("ZADD", "z", "1", "x")
            c.cmd("ZREM", "z", "x")
            self.assertEqual(c.cmd("EXEC"), [1, 1])
            self.assertTrue(w.silent())
            # a store command creating the key wakes it
            c.cmd("ZADD", "src", "3", "s")
            self.assertEqual(c.cmd("ZUNIONSTORE", "z", "1", "src", "WEIGHTS", "2"), 1)
            self.assertEqual(w.get(), [b"z", b"s", b"6"])
            # inside MULTI the blocking forms do not block
            self.assertEqual(c.cmd("MULTI"), b"OK")
            c.cmd("BZPOPMIN", "z", "0")
            c.cmd("BZMPOP", "0", "1", "z", "MAX")
            c.post("EXEC")
            self.assertEqual(c.raw(14), b"*2\r\n*-1\r\n*-1\r\n")
            self.assertEqual(t.blocked(), 0)
        self.on_both(scenario)

    def test_client_unblock(self):
        def scenario(t):
            c = t.ctl
            w = t.conn()
            wid = w.cmd("CLIENT", "ID")
            for cmd in (("BZPOPMIN", "z", "0"), ("BZPOPMAX", "z", "y", "0"),
                        ("BZMPOP", "0", "2", "z", "y", "MIN")):
                for reason, reply in ((None, b"*-1\r\n"), ("TIMEOUT", b"*-1\r\n"),
                                      ("ERROR", b"-" + str(UNBLOCKED).encode() + b"\r\n")):
                    w.post(*cmd)
                    t.wait_blocked(1)
                    args = ("CLIENT", "UNBLOCK", wid) + ((reason,) if reason else ())
                    self.assertEqual(c.cmd(*args), 1, (cmd, reason))
                    self.assertEqual(w.raw(len(reply)), reply, (cmd, reason))
                    self.assertEqual(t.blocked(), 0)
            # unblocked, it takes nothing from a later ZADD
            self.assertEqual(c.cmd("ZADD", "z", "1", "a"), 1)
            self.assertTrue(w.silent())
            self.assertEqual(c.cmd("ZCARD", "z"), 1)
            w.cmd("HELLO", "3")
            w.post("BZPOPMIN", "y", "0")
            t.wait_blocked(1)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", wid, "TIMEOUT"), 1)
            self.assertEqual(w.raw(3), b"_\r\n")
        self.on_both(scenario)

    def test_timeouts(self):
        def scenario(t):
            c = t.ctl
            w = t.conn()
            for cmd in (("BZPOPMIN", "z", "0.1"), ("BZPOPMAX", "z", "y", "0.1"),
                        ("BZMPOP", "0.1", "1", "z", "MAX", "COUNT", "3")):
                start = time.monotonic()
                w.post(*cmd)
                self.assertEqual(w.raw(5), b"*-1\r\n", cmd)
                took = time.monotonic() - start
                self.assertGreaterEqual(took, 0.1, cmd)
                self.assertLess(took, 0.5, cmd)
            a = t.block("BZPOPMIN", "z", "0.3")
            b = t.block("BZPOPMIN", "z", "0.1")
            keep = t.block("BZPOPMIN", "z", "0")
            self.assertIsNone(b.get())
            self.assertTrue(a.silent(0.05))
            self.assertIsNone(a.get())
            self.assertEqual(t.blocked(), 1)
            c.cmd("ZADD", "z", "1.5", "m")
            self.assertEqual(keep.get(), [b"z", b"m", b"1.5"])
            # served before its deadline, then no timeout reply
            w2 = t.block("BZPOPMAX", "z", "0.15")
            c.cmd("ZADD", "z", "2", "n")
            self.assertEqual(w2.get(), [b"z", b"n", b"2"])
            self.assertTrue(w2.silent(0.25))
            for bad in (("BZPOPMIN", "z", "-1"), ("BZPOPMIN", "z", "abc"),
                        ("BZMPOP", "0", "0", "z", "MIN"), ("BZMPOP", "0", "1", "z", "MID")):
                self.assertIsInstance(c.cmd(*bad), RespError, bad)
            w3 = t.conn()
            w3.cmd("HELLO", "3")
            w3.post("BZMPOP", "0.05", "1", "z", "MIN")
            self.assertEqual(w3.raw(3), b"_\r\n")
        self.on_both(scenario)


class RespiteOnly(ServerTestCase):
    """What only respite can show: its blocking timeouts run on the monotonic clock,
    not on the store clock that DEBUG CLOCK ADVANCE moves."""

    def test_store_clock_does_not_time_out_waiters(self):
        t = Target("respite", self.server.port, self.server.pid)
        try:
            w = t.block("BLPOP", "k", "0.5")
            self.assertEqual(t.ctl.cmd("DEBUG", "CLOCK", "ADVANCE", "3600000"), b"OK")
            self.assertTrue(w.silent(0.2))
            t.ctl.cmd("RPUSH", "k", "v")
            self.assertEqual(w.get(), [b"k", b"v"])
        finally:
            t.close()

    def test_waiters_vanishing_while_served(self):
        """Waiters reset their connection just as a push serves them (a BLMOVE chain on
        the way): the server stays well (the sanitizers watch) and keeps no wait."""
        t = Target("respite", self.server.port, self.server.pid)
        try:
            linger = struct.pack("ii", 1, 0)  # close() sends RST
            for i in range(40):
                a = t.block("BLMOVE", "k1", "k2", "LEFT", "LEFT", "0")
                b = t.block("BLPOP", "k2", "k3", "0")
                for s in (a, b)[i % 2:]:
                    s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                t.ctl.post("LPUSH", "k1", "x")
                for s in (a, b)[i % 2:]:
                    s.close()
                    t.conns.remove(s)
                self.assertEqual(t.ctl.get(), 1)
                t.close()
                t = Target("respite", self.server.port, self.server.pid)
                t.wait_blocked(0)
                t.ctl.cmd("FLUSHALL")
            self.server.assert_alive()
        finally:
            t.close()

    def test_stop_with_blocked_clients(self):
        """SIGTERM with clients blocked on many keys: a clean exit (status 0, no
        sanitizer report), which spawn's cleanup checks."""
        server = self.spawn()
        t = Target("respite", server.port, server.pid)
        try:
            for i in range(20):
                t.block("BLPOP", *["k%d:%d" % (i, j) for j in range(50)], "0")
                t.block("BLMOVE", "m%d" % i, "n", "LEFT", "LEFT", "100")
            self.assertEqual(server.stop(), 0)
        finally:
            t.close()


if __name__ == "__main__":
    main()
