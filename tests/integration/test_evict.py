# SPDX-License-Identifier: BSD-3-Clause
"""maxmemory and eviction, as Redis 7.4 does them.

Each policy takes the right kind of key: the volatile ones never a key without a TTL,
volatile-ttl the nearest deadlines, the LRU ones keep the keys read lately (the store
clock moved on with DEBUG CLOCK ADVANCE between the writes and the reads), the LFU ones
the keys read often. noeviction, or nothing left the policy may take, answers Redis's
-OOM to commands flagged denyoom. An eviction publishes `evicted` (class e), breaks a
WATCH, is logged to the AOF as DEL (UNLINK under lazyfree-lazy-eviction), and takes
from each project in proportion to the keys it holds. RESTORE and RDB files carry the
idle time under LRU and the counter under LFU.

A limit is set below the memory in use (INFO used_memory, which in respite counts keys,
values and project shards); the server then evicts before the next command and, past
maxmemory-eviction-tenacity's time, between commands (every loop turn, other clients
served between slices): settle() waits, bounded, until used_memory is back under the
limit.

With Redis 7.4.1 (RESPITE_REDIS74, skipped without it), the same sequences run on both
servers and their replies must be equal: -OOM in MULTI/EXEC, EVAL with and without
shebang flags, FCALL, OBJECT FREQ and IDLETIME under each kind of policy, RESTORE FREQ,
the configuration parameters' errors, and the order of the INFO fields.
"""
import os
import random
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RespConn, RespError, RespiteAndRedis, ServerTestCase,  # noqa: E402
                     info_fields, main, redis74_path)

OOM = "OOM command not allowed when used memory > 'maxmemory'."
SETTLE_TIMEOUT = 30.0
N = 400  # keys of the policy tests


class Evict(ServerTestCase):

    def setUp(self):
        self.c = self.server.conn()
        self.addCleanup(self.c.close)
        for k, v in (("maxmemory", "0"), ("maxmemory-policy", "noeviction"),
                     ("maxmemory-samples", "5"), ("lfu-log-factor", "10"),
                     ("notify-keyspace-events", "")):
            self.assertEqual(self.c.cmd("CONFIG", "SET", k, v), b"OK")
        self.assertEqual(self.c.cmd("FLUSHALL"), b"OK")
        self.assertEqual(self.c.cmd("DEBUG", "CLOCK", "REAL"), b"OK")
        self.assertEqual(self.c.cmd("CONFIG", "RESETSTAT"), b"OK")

    def info(self, section):
        return info_fields(self.c.cmd("INFO", section))

    def used(self):
        return int(self.info("memory")["used_memory"])

    def settle(self, limit):
        """Set maxmemory to limit and wait until used_memory is under it."""
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory", str(limit)), b"OK")
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while self.used() > limit:
            self.assertLess(time.monotonic(), deadline, "still over maxmemory")
            time.sleep(0.01)

    def fill(self, fmt, n, ttl=None):
        extra = ("EX", str(ttl)) if ttl else ()
        replies = self.c.pipeline([("SET", fmt % i, "v" * 40) + extra for i in range(n)])
        self.assertEqual(set(replies), {b"OK"})

    def present(self, fmt, n):
        found = self.c.pipeline([("EXISTS", fmt % i) for i in range(n)])
        return [i for i in range(n) if found[i]]

    def evict_fraction(self, policy, fraction):
        """Under policy, lower maxmemory so that about fraction of the memory goes."""
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory-policy", policy), b"OK")
        used = self.used()
        self.settle(int(used * (1 - fraction)))
        evicted = int(self.info("stats")["evicted_keys"])
        self.assertGreater(evicted, 0)
        return evicted

    def assert_hot_kept(self, hot):
        """Of the keys k:0..N-1, after 40% of the memory was evicted, those of hot are
        nearly all there and the others mostly gone."""
        left = set(self.present("k:%d", N))
        hot_left = sum(1 for i in hot if i in left)
        cold_left = len(left) - hot_left
        self.assertGreater(hot_left, len(hot) * 0.9, (hot_left, cold_left))
        self.assertLess(cold_left, (N - len(hot)) * 0.4, (hot_left, cold_left))

    # ---- which keys each policy takes ------------------------------------------------

    def test_volatile_policies_never_evict_keys_without_ttl(self):
        for policy in ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"):
            with self.subTest(policy=policy):
                self.setUp()
                self.fill("p:%d", N)
                self.fill("v:%d", N, ttl=1000)
                self.evict_fraction(policy, 0.25)
                self.assertEqual(len(self.present("p:%d", N)), N)
                self.assertLess(len(self.present("v:%d", N)), N)
                # Once nothing with a TTL is left to take (evictions go on between
                # commands), denyoom commands get -OOM and the others run.
                self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory", "1"), b"OK")
                deadline = time.monotonic() + SETTLE_TIMEOUT
                while self.present("v:%d", N):
                    self.assertLess(time.monotonic(), deadline, "keys with a TTL left")
                    time.sleep(0.01)
                self.assertEqual(self.c.cmd("SET", "x", "1"), RespError(OOM))
                self.assertEqual(self.c.cmd("GET", "p:0"), b"v" * 40)
                self.assertEqual(len(self.present("p:%d", N)), N)

    def test_allkeys_random_takes_both_kinds(self):
        self.fill("p:%d", N)
        self.fill("v:%d", N, ttl=1000)
        self.evict_fraction("allkeys-random", 0.5)
        self.assertLess(len(self.present("p:%d", N)), N * 0.8)
        self.assertLess(len(self.present("v:%d", N)), N * 0.8)

    def test_volatile_ttl_takes_the_nearest_deadlines(self):
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory-samples", "10"), b"OK")
        replies = self.c.pipeline([("SET", "t:%d" % i, "v" * 40, "EX", str(1000 + 10 * i))
                                   for i in range(N)])
        self.assertEqual(set(replies), {b"OK"})
        self.evict_fraction("volatile-ttl", 0.3)
        left = set(self.present("t:%d", N))
        gone = sorted(set(range(N)) - left)
        # the evicted are among the nearest deadlines: most of them in the first third
        early = sum(1 for i in gone if i < N // 3)
        self.assertGreater(early, len(gone) * 0.7, gone)

    def test_lru_keeps_the_keys_read_lately(self):
        self.fill("k:%d", N)
        self.assertEqual(self.c.cmd("DEBUG", "CLOCK", "ADVANCE", "100000"), b"OK")
        hot = range(0, N, 2)
        self.assertNotIn(None, self.c.pipeline([("GET", "k:%d" % i) for i in hot]))
        self.assertGreaterEqual(int(self.c.cmd("OBJECT", "IDLETIME", "k:1")), 100)
        self.assertLess(int(self.c.cmd("OBJECT", "IDLETIME", "k:0")), 100)
        self.evict_fraction("allkeys-lru", 0.4)
        self.assert_hot_kept(hot)

    def test_lfu_keeps_the_keys_read_often(self):
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), b"OK")
        self.fill("k:%d", N)
        hot = range(0, N, 2)
        for _ in range(8):
            self.assertNotIn(None, self.c.pipeline([("GET", "k:%d" % i) for i in hot]))
        self.assertGreater(int(self.c.cmd("OBJECT", "FREQ", "k:0")), 5)
        self.assertEqual(self.c.cmd("OBJECT", "FREQ", "k:1"), 5)  # a new key's counter
        self.evict_fraction("allkeys-lfu", 0.4)
        self.assert_hot_kept(hot)

    def test_lfu_counter_decays_with_idle_minutes(self):
        for k, v in (("maxmemory-policy", "allkeys-lfu"), ("lfu-log-factor", "0"),
                     ("lfu-decay-time", "2")):
            self.assertEqual(self.c.cmd("CONFIG", "SET", k, v), b"OK")
        self.assertEqual(self.c.cmd("SET", "k", "v"), b"OK")
        self.c.pipeline([("GET", "k")] * 20)
        self.assertEqual(self.c.cmd("OBJECT", "FREQ", "k"), 25)  # log factor 0: one a read
        self.assertEqual(self.c.cmd("DEBUG", "CLOCK", "ADVANCE", str(10 * 60000)), b"OK")
        self.assertEqual(self.c.cmd("OBJECT", "FREQ", "k"), 20)  # one a 2 minutes
        self.assertEqual(self.c.cmd("CONFIG", "SET", "lfu-decay-time", "0"), b"OK")
        self.assertEqual(self.c.cmd("OBJECT", "FREQ", "k"), 25)  # 0: never decays
        self.assertEqual(self.c.cmd("CONFIG", "SET", "lfu-decay-time", "1"), b"OK")

    def test_no_touch_client_leaves_the_access_time(self):
        self.assertEqual(self.c.cmd("SET", "k", "v"), b"OK")
        self.assertEqual(self.c.cmd("DEBUG", "CLOCK", "ADVANCE", "50000"), b"OK")
        self.assertEqual(self.c.cmd("CLIENT", "NO-TOUCH", "ON"), b"OK")
        self.assertEqual(self.c.cmd("GET", "k"), b"v")
        self.assertGreaterEqual(self.c.cmd("OBJECT", "IDLETIME", "k"), 50)
        self.assertEqual(self.c.cmd("TOUCH", "k"), 1)  # TOUCH touches all the same
        self.assertLess(self.c.cmd("OBJECT", "IDLETIME", "k"), 50)
        self.assertEqual(self.c.cmd("DEBUG", "CLOCK", "ADVANCE", "50000"), b"OK")
        self.assertEqual(self.c.cmd("CLIENT", "NO-TOUCH", "OFF"), b"OK")
        self.assertEqual(self.c.cmd("GET", "k"), b"v")
        self.assertLess(self.c.cmd("OBJECT", "IDLETIME", "k"), 50)

    def test_restore_applies_idletime_under_lru_and_freq_under_lfu(self):
        self.assertEqual(self.c.cmd("SET", "k", "v"), b"OK")
        payload = self.c.cmd("DUMP", "k")
        self.assertEqual(self.c.cmd("RESTORE", "a", "0", payload, "IDLETIME", "1000"), b"OK")
        self.assertGreaterEqual(self.c.cmd("OBJECT", "IDLETIME", "a"), 1000)
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), b"OK")
        self.assertEqual(self.c.cmd("RESTORE", "b", "0", payload, "FREQ", "100"), b"OK")
        self.assertEqual(self.c.cmd("OBJECT", "FREQ", "b"), 100)

    def test_rdb_keeps_idle_time_under_lru_and_counter_under_lfu(self):
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), b"OK")
        self.assertEqual(self.c.cmd("SET", "k", "v"), b"OK")
        self.assertEqual(self.c.cmd("DEBUG", "CLOCK", "ADVANCE", "100000"), b"OK")
        self.assertEqual(self.c.cmd("DEBUG", "RELOAD"), b"OK")
        self.assertGreaterEqual(self.c.cmd("OBJECT", "IDLETIME", "k"), 100)
        for k, v in (("maxmemory-policy", "allkeys-lfu"), ("lfu-log-factor", "0")):
            self.assertEqual(self.c.cmd("CONFIG", "SET", k, v), b"OK")
        self.assertEqual(self.c.cmd("SET", "f", "v"), b"OK")
        self.c.pipeline([("GET", "f")] * 10)
        self.assertEqual(self.c.cmd("DEBUG", "RELOAD"), b"OK")
        self.assertEqual(self.c.cmd("OBJECT", "FREQ", "f"), 15)

    # ---- refusals -------------------------------------------------------------------

    def test_noeviction_refuses_denyoom_commands(self):
        self.fill("k:%d", 10)
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory", "1"), b"OK")
        self.assertEqual(self.c.cmd("SET", "x", "1"), RespError(OOM))
        self.assertEqual(self.c.cmd("LPUSH", "l", "1"), RespError(OOM))
        self.assertEqual(self.c.cmd("GET", "k:1"), b"v" * 40)
        self.assertEqual(self.c.cmd("DEL", "k:1"), 1)  # not denyoom: frees memory
        self.assertEqual(self.info("stats")["evicted_keys"], "0")
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory", "0"), b"OK")
        self.assertEqual(self.c.cmd("SET", "x", "1"), b"OK")

    # ---- what an eviction tells ------------------------------------------------------

    def test_eviction_publishes_evicted_and_breaks_watch(self):
        self.assertEqual(self.c.cmd("CONFIG", "SET", "notify-keyspace-events", "Ee"), b"OK")
        self.assertEqual(self.c.cmd("CONFIG", "GET", "notify-keyspace-events"),
                         [b"notify-keyspace-events", b"eE"])
        sub = self.server.conn()
        self.addCleanup(sub.close)
        self.assertEqual(sub.cmd("SUBSCRIBE", "__keyevent@0__:evicted")[0], b"subscribe")
        w = self.server.conn()
        self.addCleanup(w.close)
        self.assertEqual(self.c.cmd("SET", "only", "v"), b"OK")
        self.assertEqual(w.cmd("WATCH", "only"), b"OK")
        self.assertEqual(w.cmd("MULTI"), b"OK")
        self.assertEqual(w.cmd("GET", "only"), b"QUEUED")
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), b"OK")
        self.settle(1)
        self.assertEqual(sub.reply(), [b"message", b"__keyevent@0__:evicted", b"only"])
        self.assertIsNone(w.cmd("EXEC"))
        self.assertEqual(self.info("stats")["evicted_keys"], "1")
        self.assertEqual(self.c.cmd("CONFIG", "RESETSTAT"), b"OK")
        self.assertEqual(self.info("stats")["evicted_keys"], "0")

    def test_a_lower_limit_evicts_without_another_command(self):
        """CONFIG SET maxmemory evicts between commands (Redis's eviction time proc): a
        subscriber hears every `evicted` while no client sends anything."""
        self.assertEqual(self.c.cmd("CONFIG", "SET", "notify-keyspace-events", "Ee"), b"OK")
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), b"OK")
        self.fill("k:%d", 200)
        sub = self.server.conn()
        self.addCleanup(sub.close)
        self.assertEqual(sub.cmd("SUBSCRIBE", "__keyevent@0__:evicted")[0], b"subscribe")
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory", "1"), b"OK")
        keys = {sub.reply()[2] for _ in range(200)}  # bounded by the socket timeout
        self.assertEqual(keys, {b"k:%d" % i for i in range(200)})

    def test_background_eviction_serves_clients_between_slices(self):
        """After a limit far below the memory in use, eviction goes on between commands
        in slices (maxmemory-eviction-tenacity's time, every loop turn) with the other
        clients served between them: PINGs are answered while the server is still over
        the limit, and it gets under it without further commands."""
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), b"OK")
        self.assertEqual(self.c.cmd("DEBUG", "POPULATE", "200000", "k", "50"), b"OK")
        limit = self.used() // 4
        probe = self.server.conn()
        self.addCleanup(probe.close)
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory", str(limit)), b"OK")
        answered_over = 0
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            self.assertEqual(probe.cmd("PING"), b"PONG")
            over = int(info_fields(probe.cmd("INFO", "memory"))["used_memory"]) > limit
            if not over:
                break
            answered_over += 1
            self.assertLess(time.monotonic(), deadline, "still over maxmemory")
        self.assertGreater(answered_over, 2)
        self.assertGreater(int(self.info("stats")["evicted_keys"]), 100000)

    def test_eviction_waits_while_clients_are_paused_and_is_a_latency_event(self):
        """CLIENT PAUSE stops eviction, as Redis's performEvictions (isPausedActions...
        PAUSE_ACTION_EVICT) until UNPAUSE; an eviction cycle that takes at least
        latency-monitor-threshold ms is a LATENCY sample `eviction-cycle`."""
        self.addCleanup(self.c.cmd, "CONFIG", "SET", "latency-monitor-threshold", "0",
                        "maxmemory-eviction-tenacity", "10")
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-random"), b"OK")
        self.fill("k:%d", 20000)
        self.assertEqual(self.c.cmd("CONFIG", "SET", "latency-monitor-threshold", "1",
                                    "maxmemory-eviction-tenacity", "100"), b"OK")
        self.assertEqual(self.c.cmd("CLIENT", "PAUSE", "20000", "WRITE"), b"OK")
        self.addCleanup(self.c.cmd, "CLIENT", "UNPAUSE")
        self.assertEqual(self.c.cmd("CONFIG", "SET", "maxmemory", "1"), b"OK")
        time.sleep(0.3)
        self.assertEqual(self.c.cmd("DBSIZE"), 20000)
        self.assertEqual(self.info("stats")["evicted_keys"], "0")
        self.assertEqual(self.c.cmd("CLIENT", "UNPAUSE"), b"OK")
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while self.c.cmd("DBSIZE") > 0:
            self.assertLess(time.monotonic(), deadline, "not evicted after UNPAUSE")
            time.sleep(0.01)
        events = [e[0] for e in self.c.cmd("LATENCY", "LATEST")]
        self.assertIn(b"eviction-cycle", events)

    def test_evictions_are_logged_to_the_aof_as_del_or_unlink(self):
        for lazy, verb in (("no", b"DEL"), ("yes", b"UNLINK")):
            with self.subTest(lazy=lazy):
                s = self.spawn("--appendonly", "yes", "--appendfsync", "always",
                               "--lazyfree-lazy-eviction", lazy,
                               "--maxmemory-policy", "allkeys-random")
                c = s.conn()
                self.addCleanup(c.close)
                replies = c.pipeline([("SET", "k:%d" % i, "v" * 40) for i in range(100)])
                self.assertEqual(set(replies), {b"OK"})
                limit = int(info_fields(c.cmd("INFO", "memory"))["used_memory"]) // 2
                self.assertEqual(c.cmd("CONFIG", "SET", "maxmemory", str(limit)), b"OK")
                deadline = time.monotonic() + SETTLE_TIMEOUT
                while int(info_fields(c.cmd("INFO", "memory"))["used_memory"]) > limit:
                    self.assertLess(time.monotonic(), deadline, "still over maxmemory")
                    time.sleep(0.01)
                evicted = int(info_fields(c.cmd("INFO", "stats"))["evicted_keys"])
                self.assertGreater(evicted, 0)
                self.assertEqual(c.cmd("PING"), b"PONG")  # after the file's last write
                d = os.path.join(s.dir, "appendonlydir")
                log = b"".join(open(os.path.join(d, f), "rb").read()
                               for f in sorted(os.listdir(d)) if f.endswith(".incr.aof"))
                self.assertEqual(log.count(b"$%d\r\n%s\r\n" % (len(verb), verb)), evicted)

    def test_projects_lose_keys_in_proportion_to_their_size(self):
        for policy in ("allkeys-random", "allkeys-lru", "volatile-random"):
            with self.subTest(policy=policy):
                self.setUp()
                # The projects' keys written interleaved, so that under LRU no
                # project's keys are all older than another's (a second may pass).
                keys = (["project:big:%d" % i for i in range(900)] +
                        ["project:small:%d" % i for i in range(100)] +
                        ["project:one%d:k" % i for i in range(50)])  # one-key projects
                random.Random(7).shuffle(keys)
                replies = self.c.pipeline([("SET", k, "v" * 40, "EX", "1000") for k in keys])
                self.assertEqual(set(replies), {b"OK"})
                evicted = self.evict_fraction(policy, 0.4)
                big = 900 - len(self.present("project:big:%d", 900))
                small = 100 - len(self.present("project:small:%d", 100))
                ones = 50 - len(self.present("project:one%d:k", 50))
                self.assertEqual(big + small + ones, evicted)
                # each loses about the same share of its keys
                for lost, n in ((big, 900), (small, 100)):
                    self.assertGreater(lost / n, 0.15, (big, small, ones))
                    self.assertLess(lost / n, 0.75, (big, small, ones))
                self.assertGreater(big, 4 * small, (big, small, ones))


class EvictVsRedis74(RespiteAndRedis):
    """The same sequences on respite and on Redis 7.4.1: equal replies."""

    reference_binary = redis74_path()

    @classmethod
    def setUpClass(cls):
        if cls.reference_binary is None:
            raise unittest.SkipTest("needs Redis 7.4 (RESPITE_REDIS74)")
        super().setUpClass()

    def conn(self, port):
        c = RespConn(socket.create_connection((HOST, port), timeout=10))
        self.addCleanup(c.close)
        return c

    def both(self, script):
        """Run script(a, b) -- two connections -- on each server; their replies."""
        out = []
        for port in (self.respite.port, self.reference.port):
            a, b = self.conn(port), self.conn(port)
            for k, v in (("maxmemory", "0"), ("maxmemory-policy", "noeviction")):
                a.cmd("CONFIG", "SET", k, v)
            a.cmd("FLUSHALL")
            a.cmd("SCRIPT", "FLUSH")
            a.cmd("FUNCTION", "FLUSH")
            try:
                out.append(script(a, b))
            finally:
                a.cmd("CONFIG", "SET", "maxmemory", "0")
        return out

    def assert_same(self, script):
        mine, theirs = self.both(script)
        self.assertEqual(mine, theirs)

    def test_oom_in_multi_and_exec(self):
        def script(a, b):
            r = [a.cmd("SET", "a", "1"), b.cmd("MULTI"), b.cmd("SET", "q", "1"),
                 a.cmd("MULTI"), a.cmd("GET", "a")]
            r.append(b.cmd("CONFIG", "SET", "maxmemory", "1"))  # b is queueing: QUEUED
            r.append(self.conn_same(a).cmd("CONFIG", "SET", "maxmemory", "1"))
            r += [b.cmd("EXEC"), a.cmd("EXEC")]
            r += [a.cmd("MULTI"), a.cmd("SET", "b", "1"), a.cmd("GET", "a"), a.cmd("EXEC")]
            r += [a.cmd("MULTI"), a.cmd("GET", "a"), a.cmd("PING"), a.cmd("EXEC")]
            r += [a.cmd("MULTI"), a.cmd("WATCH", "a"), a.cmd("MULTI"), a.cmd("DISCARD")]
            r += [a.cmd("SET", "k", "v"), a.cmd("INCR", "a"), a.cmd("DEL", "nope")]
            return r
        self.assert_same(script)

    def conn_same(self, c):
        return self.conn(c.sock.getpeername()[1])

    def test_oom_in_scripts_and_functions(self):
        lib = ("#!lua name=lib\n"
               "redis.register_function('f', function(k, a) return redis.call('set', 'y', '1') end)\n"
               "redis.register_function{function_name='g', callback=function(k, a) "
               "return redis.call('set', 'y', '1') end, flags={'allow-oom'}}\n"
               "redis.register_function{function_name='r', callback=function(k, a) "
               "return redis.call('get', 'a') end, flags={'no-writes'}}")

        def script(a, b):
            r = [a.cmd("SET", "a", "1"), a.cmd("FUNCTION", "LOAD", lib),
                 a.cmd("SCRIPT", "LOAD", "#!lua\nreturn redis.call('set','x','1')"),
                 a.cmd("CONFIG", "SET", "maxmemory", "1")]
            sha = r[2]
            for body in ("return redis.call('set','x','1')",
                         "return redis.pcall('set','x','1')",
                         "redis.call('del','zz'); return redis.call('set','x','1')",
                         "redis.call('del','a'); return redis.call('set','x','1')",
                         "#!lua\nreturn redis.call('set','x','1')",
                         "#!lua flags=allow-oom\nreturn redis.call('set','x','2')",
                         "#!lua flags=no-writes\nreturn redis.call('get','x')"):
                r.append(a.cmd("EVAL", body, "0"))
            r += [a.cmd("EVALSHA", sha, "0"), a.cmd("FCALL", "f", "0"), a.cmd("FCALL", "g", "0"),
                  a.cmd("FCALL_RO", "r", "0"), a.cmd("FCALL_RO", "f", "0")]
            r += [a.cmd("CONFIG", "SET", "maxmemory", "0"), a.cmd("MULTI"),
                  a.cmd("EVAL", "#!lua\nreturn 1", "0"), a.cmd("EVAL", "return 2", "0")]
            r += [b.cmd("CONFIG", "SET", "maxmemory", "1"), a.cmd("EXEC")]
            r += [b.cmd("CONFIG", "SET", "maxmemory", "0"), a.cmd("MULTI"),
                  a.cmd("EVAL", "return 2", "0"), a.cmd("FCALL", "g", "0"),
                  b.cmd("CONFIG", "SET", "maxmemory", "1"), a.cmd("EXEC")]
            return r
        self.assert_same(script)

    def test_object_freq_and_idletime(self):
        def script(a, b):
            # a limit far above the data: Redis shares no integers under it (INCR)
            a.cmd("CONFIG", "SET", "maxmemory", "1gb")
            r = [a.cmd("SET", "k", "v"), a.cmd("OBJECT", "FREQ", "k"),
                 a.cmd("OBJECT", "FREQ", "nokey"), a.cmd("OBJECT", "IDLETIME", "k") in (0, 1),
                 a.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
                 a.cmd("CONFIG", "SET", "lfu-log-factor", "0"),
                 a.cmd("OBJECT", "IDLETIME", "k"), a.cmd("SET", "n", "v"),
                 a.cmd("OBJECT", "FREQ", "n")]
            r += a.pipeline([("GET", "n")] * 7)
            r += [a.cmd("OBJECT", "FREQ", "n"), a.cmd("SET", "n", "w"),
                  a.cmd("OBJECT", "FREQ", "n"), a.cmd("INCR", "c"), a.cmd("INCR", "c"),
                  a.cmd("OBJECT", "FREQ", "c")]
            payload = a.cmd("DUMP", "n")
            r += [a.cmd("RESTORE", "m", "0", payload, "FREQ", "200"),
                  a.cmd("OBJECT", "FREQ", "m"),
                  a.cmd("RESTORE", "m2", "0", payload, "IDLETIME", "200"),
                  a.cmd("OBJECT", "FREQ", "m2"),
                  a.cmd("CONFIG", "SET", "maxmemory-policy", "volatile-lru"),
                  a.cmd("RESTORE", "m3", "0", payload, "IDLETIME", "200"),
                  a.cmd("OBJECT", "IDLETIME", "m3") in (200, 201),
                  a.cmd("CONFIG", "SET", "lfu-log-factor", "10")]
            return r
        self.assert_same(script)

    def test_config_parameters(self):
        def script(a, b):
            r = []
            for name, bad in (("maxmemory-samples", ("0", "65", "x")),
                              ("maxmemory-eviction-tenacity", ("-1", "101")),
                              ("maxmemory-policy", ("lru", "")),
                              ("maxmemory", ("-1", "1zb")),
                              ("lfu-log-factor", ("-1",)), ("lfu-decay-time", ("-1",)),
                              ("lazyfree-lazy-eviction", ("maybe",))):
                r.append(a.cmd("CONFIG", "GET", name))
                r += [a.cmd("CONFIG", "SET", name, v) for v in bad]
            for name, v in (("maxmemory-samples", "64"), ("maxmemory-eviction-tenacity", "100"),
                            ("maxmemory-policy", "VOLATILE-TTL"), ("maxmemory", "1gb"),
                            ("lfu-log-factor", "3"), ("lfu-decay-time", "0"),
                            ("lazyfree-lazy-eviction", "yes")):
                r += [a.cmd("CONFIG", "SET", name, v), a.cmd("CONFIG", "GET", name)]
            for name, v in (("maxmemory-samples", "5"), ("maxmemory-eviction-tenacity", "10"),
                            ("lfu-log-factor", "10"), ("lfu-decay-time", "1"),
                            ("lazyfree-lazy-eviction", "no")):
                a.cmd("CONFIG", "SET", name, v)
            return r
        self.assert_same(script)

    def test_info_fields_in_74s_order(self):
        """The maxmemory and eviction fields respite has are in 7.4's order among them."""
        names = ("maxmemory", "maxmemory_human", "maxmemory_policy", "mem_not_counted_for_evict",
                 "mem_allocator", "lazyfree_pending_objects", "expired_subkeys", "expired_keys",
                 "evicted_keys", "evicted_clients", "evicted_scripts",
                 "total_eviction_exceeded_time", "current_eviction_exceeded_time",
                 "keyspace_hits")

        def order(a, b):
            a.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
            text = a.cmd("INFO", "memory") + a.cmd("INFO", "stats")
            keys = [line.split(":", 1)[0] for line in text.decode().split("\r\n") if ":" in line]
            fields = info_fields(text)
            return [k for k in keys if k in names], fields["maxmemory_policy"]
        self.assert_same(order)


if __name__ == "__main__":
    main()
