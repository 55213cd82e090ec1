# SPDX-License-Identifier: BSD-3-Clause
"""WAIT and WAITAOF over real connections, as Redis answers them on a master without
replicas (respite does not replicate).

WAIT, each scenario on Debian's redis-server (7.0, where it answers as 7.4) and then on
respite: 0 at once when asked for no replica, 0 after the timeout otherwise (the time
bounded loosely both ways), a WAIT 1 0 that waits for ever -- INFO blocked_clients and
CLIENT LIST flags=b cmd=wait meanwhile -- until CLIENT UNBLOCK (TIMEOUT: 0, ERROR:
-UNBLOCKED) or its disconnect, after which the server is healthy and counts no blocked
client; MULTI, where it does not block; redis-py's wait().

WAITAOF (7.2+, which Debian's 7.0 lacks) and the replication offset (INFO
master_repl_offset, ROLE) with the replies written here, as Redis 7.4.1 gave them; each
scenario runs on respite and, when there (harness.redis74_path), on 7.4.1 too: under
appendonly no (nothing local, numlocal 1 refused), under appendonly yes with appendfsync
always, everysec and no (the local count is 1 once the AOF is fsynced up to the client's
last write, which a blocked WAITAOF 1 0 0 waits for; under no it never is, until
appendfsync changes), appendonly turned off under a blocked WAITAOF, CLIENT UNBLOCK,
MULTI, a disconnect, and redis-py's waitaof() when it has one.

Every read has a deadline (a reply that must not come is checked by waiting test_blocking's SILENCE
seconds), so the file runs in a few seconds.
"""
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (RedisServer, RespError, RespiteAndRedis, Server, info_fields,  # noqa: E402
                     main, redis74_path)
from test_blocking import REDIS, UNBLOCKED, Target  # noqa: E402

NOT_INT = RespError("ERR value is not an integer or out of range")
NO_AOF = RespError("ERR WAITAOF cannot be used when numlocal is set but appendonly is "
                   "disabled.")
LATE = 2.0  # seconds a timed reply may come after its timeout, at most (a loaded machine)


def elapsed(fn):
    """fn()'s value and the seconds it took."""
    t0 = time.monotonic()
    out = fn()
    return out, time.monotonic() - t0


def repl_offset(t):
    """INFO master_repl_offset of t's server, checked against ROLE's (asked in one read:
    the offset may move between loop turns)."""
    info, role = t.ctl.pipeline([("INFO", "replication"), ("ROLE",)])
    off = int(info_fields(info)["master_repl_offset"])
    assert role == [b"master", off, []], role
    return off


def unblocked_errors(t):
    """[total_error_replies, errorstat_UNBLOCKED's count, WAIT's failed_calls] of t."""
    stats = info_fields(t.ctl.cmd("INFO", "stats"))
    errors = info_fields(t.ctl.cmd("INFO", "errorstats"))
    wait = info_fields(t.ctl.cmd("INFO", "commandstats")).get("cmdstat_wait", "failed_calls=0")
    return [int(stats["total_error_replies"]),
            int(errors.get("errorstat_UNBLOCKED", "count=0").split("=")[1]),
            int(wait.rsplit("failed_calls=", 1)[1])]


def run_on(test, servers, scenario, after):
    """scenario(Target) on each (name, server) of servers, in a subTest of its own; then,
    even when it failed, after(name, server)."""
    for name, srv in servers:
        with test.subTest(server=name):
            t = Target(name, srv.port, srv.proc.pid)
            try:
                scenario(t)
            finally:
                t.close()
                after(name, srv)


@unittest.skipUnless(REDIS, "redis-server is not installed")
class Wait(RespiteAndRedis):
    """WAIT, each scenario on redis-server 7.0, then on respite."""

    def on_both(self, scenario):
        def after(name, srv):
            t2 = Target(name, srv.port, srv.proc.pid)
            try:
                t2.wait_blocked(0)  # the closed clients' waits are gone
            finally:
                t2.close()
        run_on(self, (("redis-server", self.reference), ("respite", self.respite)), scenario,
               after)

    def test_at_once_and_errors(self):
        def scenario(t):
            c = t.ctl
            self.assertEqual(c.cmd("SET", "k", "v"), b"OK")
            for n in ("0", "-1", "-9223372036854775808"):
                self.assertEqual(c.cmd("WAIT", n, "0"), 0)
            self.assertEqual(c.cmd("WAIT", "x", "0"), NOT_INT)
            self.assertEqual(c.cmd("WAIT", "0", "-1"), RespError("ERR timeout is negative"))
            self.assertEqual(c.cmd("WAIT", "0", "1.5"),
                             RespError("ERR timeout is not an integer or out of range"))
            self.assertEqual(c.cmd("WAIT", "0"),
                             RespError("ERR wrong number of arguments for 'wait' command"))
            self.assertEqual(t.blocked(), 0)
        self.on_both(scenario)

    def test_timeout_in_milliseconds(self):
        def scenario(t):
            got, secs = elapsed(lambda: t.ctl.cmd("WAIT", "1", "100"))
            self.assertEqual(got, 0)
            self.assertGreaterEqual(secs, 0.09)
            self.assertLess(secs, 0.1 + LATE)
            # pipelined: each waits its own time, in order
            got, secs = elapsed(lambda: t.ctl.pipeline([("WAIT", "2", "50"), ("PING",),
                                                        ("WAIT", "1", "50")]))
            self.assertEqual(got, [0, b"PONG", 0])
            self.assertGreaterEqual(secs, 0.09)
        self.on_both(scenario)

    def test_waits_for_ever_until_client_unblock(self):
        def scenario(t):
            w = t.block("WAIT", "1", "0")
            w.post("PING")  # runs once WAIT answers
            self.assertTrue(w.silent(0.3))
            line = [ln for ln in t.ctl.cmd("CLIENT", "LIST").split(b"\n")
                    if b"id=%d " % w.cmd_id in ln][0]
            self.assertIn(b" flags=b ", line)
            self.assertIn(b" cmd=wait ", line)
            self.assertEqual(t.ctl.cmd("CLIENT", "UNBLOCK", w.cmd_id, "TIMEOUT"), 1)
            self.assertEqual(w.get(), 0)
            self.assertEqual(w.get(), b"PONG")
            self.assertEqual(t.blocked(), 0)
            w.post("WAIT", "3", "0")
            t.wait_blocked(1)
            before = unblocked_errors(t)
            self.assertEqual(t.ctl.cmd("CLIENT", "UNBLOCK", w.cmd_id, "ERROR"), 1)
            self.assertEqual(w.get(), UNBLOCKED)
            # counted as an error reply: total_error_replies, errorstats, failed_calls
            self.assertEqual(unblocked_errors(t), [n + 1 for n in before])
            self.assertEqual(t.ctl.cmd("CLIENT", "UNBLOCK", w.cmd_id), 0)
            self.assertEqual(w.cmd("WAIT", "0", "0"), 0)
        self.on_both(scenario)

    def test_disconnect_while_blocked(self):
        def scenario(t):
            waiters = [t.block("WAIT", "1", "0"), t.block("WAIT", "1", "100000")]
            self.assertEqual(t.blocked(), 2)
            for w in waiters:
                w.close()
            t.wait_blocked(0)
            self.assertEqual(t.ctl.cmd("PING"), b"PONG")
            self.assertEqual(t.ctl.cmd("WAIT", "1", "10"), 0)
        self.on_both(scenario)

    def test_inside_multi_it_does_not_block(self):
        def scenario(t):
            c = t.ctl
            self.assertEqual(c.cmd("MULTI"), b"OK")
            for args in (("WAIT", "1", "0"), ("SET", "k", "v"), ("WAIT", "5", "100000")):
                self.assertEqual(c.cmd(*args), b"QUEUED")
            (got, secs) = elapsed(lambda: c.cmd("EXEC"))
            self.assertEqual(got, [0, b"OK", 0])
            self.assertLess(secs, LATE)
        self.on_both(scenario)

    def test_redis_py_wait(self):
        for name, srv in (("redis-server", self.reference), ("respite", self.respite)):
            with self.subTest(server=name):
                r = srv.client()
                r.set("k", "v")
                self.assertEqual(r.wait(0, 0), 0)
                self.assertEqual(r.wait(1, 20), 0)
                r.close()


class WaitAof(unittest.TestCase):
    """WAITAOF and the replication offset, with the replies 7.4.1 gives, on respite and on
    7.4.1 when there."""

    def servers(self, *args):
        """(name, server) for respite, then 7.4.1 if there, started with args and stopped
        when the test ends."""
        d = tempfile.mkdtemp(prefix="respite-wait-")
        self.addCleanup(shutil.rmtree, d, True)
        out = [("respite", Server(["--dir", d] + list(args)).start())]
        if redis74_path():
            out.append(("redis-7.4.1", RedisServer(redis74_path(), args).start()))
        for _, s in out:
            self.addCleanup(s.stop)
        return out

    def on_each(self, args, scenario):
        def after(_name, srv):
            if isinstance(srv, Server):
                srv.assert_alive()
        run_on(self, self.servers(*args), scenario, after)

    def test_appendonly_no(self):
        def scenario(t):
            c = t.ctl
            self.assertEqual(c.cmd("WAITAOF", "0", "0", "0"), [0, 0])
            self.assertEqual(c.cmd("SET", "k", "v"), b"OK")
            self.assertEqual(c.cmd("WAITAOF", "0", "0", "0"), [0, 0])
            self.assertEqual(c.cmd("WAITAOF", "1", "0", "0"), NO_AOF)
            self.assertEqual(c.cmd("WAITAOF", "2", "0", "0"),
                             RespError("ERR value is out of range, value must between 0 and 1"))
            self.assertEqual(c.cmd("WAITAOF", "0", "-1", "0"),
                             RespError("ERR value is out of range, must be positive"))
            got, secs = elapsed(lambda: c.cmd("WAITAOF", "0", "1", "100"))
            self.assertEqual(got, [0, 0])
            self.assertGreaterEqual(secs, 0.09)
            self.assertLess(secs, 0.1 + LATE)
            self.assertEqual(c.cmd("MULTI"), b"OK")
            self.assertEqual(c.cmd("WAITAOF", "0", "1", "0"), b"QUEUED")
            self.assertEqual(c.cmd("EXEC"), [[0, 0]])
            self.assertEqual(c.cmd("EVAL", "return redis.call('waitaof', 0, 3, 0)", "0"), [0, 0])
        self.on_each(["--appendonly", "no"], scenario)

    def test_appendonly_yes_always(self):
        def scenario(t):
            c = t.ctl
            self.assertEqual(c.cmd("WAITAOF", "1", "0", "0"), [1, 0])
            self.assertEqual(c.cmd("SET", "k", "v"), b"OK")
            self.assertEqual(c.cmd("WAITAOF", "1", "0", "0"), [1, 0])
            # in one read: WAITAOF runs before the turn's write and fsync, which answer it
            self.assertEqual(c.pipeline([("SET", "k", "v2"), ("WAITAOF", "1", "0", "0"),
                                         ("GET", "k")]), [b"OK", [1, 0], b"v2"])
            got, secs = elapsed(lambda: c.cmd("WAITAOF", "1", "1", "100"))
            self.assertEqual(got, [1, 0])
            self.assertGreaterEqual(secs, 0.09)
            self.assertEqual(c.cmd("MULTI"), b"OK")
            self.assertEqual(c.cmd("SET", "k", "v3"), b"QUEUED")
            self.assertEqual(c.cmd("WAITAOF", "1", "1", "0"), b"QUEUED")
            self.assertEqual(c.cmd("EXEC"), [b"OK", [1, 0]])
            w = t.block("WAITAOF", "0", "1", "0")
            self.assertTrue(w.silent())
            line = [ln for ln in c.cmd("CLIENT", "LIST").split(b"\n")
                    if b"id=%d " % w.cmd_id in ln][0]
            self.assertIn(b" flags=b ", line)
            self.assertIn(b" cmd=waitaof ", line)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", w.cmd_id, "TIMEOUT"), 1)
            self.assertEqual(w.get(), [1, 0])
            w.post("WAITAOF", "1", "2", "0")
            t.wait_blocked(1)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", w.cmd_id, "ERROR"), 1)
            self.assertEqual(w.get(), UNBLOCKED)
            t.block("WAITAOF", "1", "1", "0").close()  # gone while blocked
            t.wait_blocked(0)
            self.assertEqual(c.cmd("PING"), b"PONG")
        self.on_each(["--appendonly", "yes", "--appendfsync", "always"], scenario)

    def test_appendfsync_everysec_and_no(self):
        def scenario(t):
            c, w = t.ctl, t.conn()
            # no: what the client wrote is never counted as fsynced...
            self.assertEqual(w.cmd("SET", "k", "v"), b"OK")
            self.assertEqual(w.cmd("WAITAOF", "1", "0", "50"), [0, 0])
            self.assertEqual(w.cmd("WAITAOF", "0", "0", "0"), [0, 0])
            self.assertEqual(t.conn().cmd("WAITAOF", "1", "0", "0"), [1, 0])  # wrote nothing
            self.assertEqual(w.cmd("EVAL", "return redis.call('waitaof', 1, 0, 0)", "0"), [1, 0])
            # ... until appendfsync always fsyncs what no left
            w.post("WAITAOF", "1", "0", "0")
            t.wait_blocked(1)
            self.assertTrue(w.silent())
            self.assertEqual(c.cmd("CONFIG", "SET", "appendfsync", "always"), b"OK")
            self.assertEqual(w.get(), [1, 0])
            # everysec: within about a second of the write
            self.assertEqual(c.cmd("CONFIG", "SET", "appendfsync", "everysec"), b"OK")
            self.assertEqual(w.cmd("SET", "k", "v2"), b"OK")
            got, secs = elapsed(lambda: w.cmd("WAITAOF", "1", "0", "0"))
            self.assertEqual(got, [1, 0])
            self.assertLess(secs, 1.0 + LATE)
        self.on_each(["--appendonly", "yes", "--appendfsync", "no"], scenario)

    def test_appendonly_turned_off_refuses_waiting_numlocal(self):
        def scenario(t):
            c = t.ctl
            local = t.conn()
            self.assertEqual(local.cmd("SET", "k", "v"), b"OK")
            local.post("WAITAOF", "1", "0", "0")  # never fsynced under no
            local.post("PING")
            t.wait_blocked(1)
            remote = t.block("WAITAOF", "0", "1", "0")
            self.assertEqual(c.cmd("CONFIG", "SET", "appendonly", "no"), b"OK")
            self.assertEqual(local.get(), NO_AOF)
            self.assertEqual(local.get(), b"PONG")
            self.assertTrue(remote.silent())  # asked for no local fsync: it waits on
            self.assertEqual(t.blocked(), 1)
            self.assertEqual(c.cmd("CLIENT", "UNBLOCK", remote.cmd_id), 1)
            self.assertEqual(remote.get(), [0, 0])
            errors = info_fields(c.cmd("INFO", "errorstats"))
            self.assertEqual(errors["errorstat_ERR"], "count=1")
        self.on_each(["--appendonly", "yes", "--appendfsync", "no"], scenario)

    def test_replication_offset(self):
        """master_repl_offset (and ROLE's): one per command propagated to the AOF, MULTI
        and EXEC around several, not SELECT; and one per loop turn in which a WAIT or
        WAITAOF blocked, AOF or not, not before a CLIENT PAUSE ends."""
        def with_aof(t):
            c = t.conn()
            steps = [(("SET", "a", "1"), 1), (("GET", "a"), 1), (("DEL", "none"), 1),
                     (("MULTI",), 1), (("SET", "a", "2"), 1), (("INCR", "n"), 1),
                     (("EXEC",), 5),
                     (("EVAL", "redis.call('set','x',1) redis.call('set','y',2)", "0"), 9),
                     (("SELECT", "1"), 9), (("SET", "b", "1"), 10), (("SELECT", "0"), 10),
                     (("WAIT", "0", "0"), 10), (("WAIT", "1", "10"), 11),
                     (("WAITAOF", "0", "1", "10"), 12),
                     (("SADD", "s", "a", "b", "c"), 13), (("SPOP", "s", "2"), 14),
                     (("EVAL", "for i = 1, 1030 do redis.call('sadd', 'big', i) end", "0"),
                      1046),
                     (("SPOP", "big", "1029"), 1050)]  # MULTI, SREM 1024, SREM 5, EXEC
            self.assertEqual(repl_offset(t), 0)
            for args, want in steps:
                c.cmd(*args)
                self.assertEqual(repl_offset(t), want, args)

        def without_aof(t):
            c = t.conn()
            for args in (("SET", "a", "1"), ("WAIT", "0", "0"), ("MULTI",), ("WAIT", "1", "0"),
                         ("EXEC",)):
                c.cmd(*args)
            self.assertEqual(repl_offset(t), 0)
            self.assertEqual(c.cmd("WAIT", "1", "10"), 0)
            self.assertEqual(repl_offset(t), 1)
            self.assertEqual(c.cmd("CLIENT", "PAUSE", "300", "WRITE"), b"OK")
            self.assertEqual(c.cmd("WAIT", "1", "10"), 0)
            self.assertEqual(repl_offset(t), 1)
            self.assertTrue(harness.wait_for(lambda: repl_offset(t) == 2, 3.0))
        self.on_each(["--appendonly", "yes"], with_aof)
        self.on_each(["--appendonly", "no"], without_aof)

    def test_redis_py_waitaof(self):
        import redis
        if not hasattr(redis.Redis, "waitaof"):
            self.skipTest("redis-py %s has no waitaof()" % redis.__version__)
        for name, srv in self.servers("--appendonly", "yes"):
            with self.subTest(server=name):
                r = srv.client()
                r.set("k", "v")
                self.assertEqual(r.waitaof(1, 0, 0), [1, 0])
                r.close()


if __name__ == "__main__":
    main()
