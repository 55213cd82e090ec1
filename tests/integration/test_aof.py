# SPDX-License-Identifier: BSD-3-Clause
"""The append-only file: respite -> appendonlydir -> respite for every type, the commands
logged in the form that replays to the same state (relative TTLs, SPOP, XADD *, served
blocking pops, INCRBYFLOAT, scripts, MULTI/EXEC, expiries), CONFIG SET appendonly yes at run
time, BGREWRITEAOF, aof-timestamp-enabled, a torn last command cut at every byte (and a torn
MULTI block cut whole), and a crash test: a writer pipelining acknowledged writes under
appendfsync always while the server is SIGKILLed at random moments (RESPITE_AOF_KILLS,
default 50); after each restart no acknowledged write is lost and no MULTI is half-applied.
With Redis 7.4.1 (RESPITE_REDIS74): it loads respite's appendonlydir, its redis-check-aof
accepts it, and respite loads Redis 7.4's.
"""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RedisServer, RespConn, Server, ServerTestCase,  # noqa: E402
                     encode, main, redis74_path, wait_blocked)
from test_rdb import FAR, assert_same, load_dataset, snapshot  # noqa: E402

import redis  # noqa: E402

MANIFEST = "appendonly.aof.manifest"


def full_snapshot(r, field_ttls=True):
    """snapshot() and the streams (entries, groups with their PELs) of databases 0-1."""
    out, moved = {}, []
    for db in (0, 1):
        r.select(db)
        for key in r.keys("*"):
            if r.type(key) == b"stream":
                groups = []
                for g in r.xinfo_groups(key):
                    pel = r.xpending_range(key, g["name"], "-", "+", 1000)
                    consumers = sorted(c["name"] for c in r.xinfo_consumers(key, g["name"]))
                    groups.append((g["name"], g["last-delivered-id"], consumers,
                                   [(p["message_id"], p["consumer"], p["times_delivered"])
                                    for p in pel]))
                out[(db, key)] = (r.xrange(key), groups, r.pexpiretime(key))
                assert r.move(key, 10 + db)  # out of snapshot()'s way
                moved.append((db, key))
    r.select(0)
    snap = snapshot(r, field_ttls)
    for db, key in moved:
        r.select(10 + db)
        assert r.move(key, db)
    r.select(0)
    snap.update(out)
    return snap


def make_streams(r, full, empty, empty_db=None):
    """Stream full: entries, a deleted one, groups with PELs, a consumer without one;
    stream empty (in database empty_db, if given): emptied, keeping its IDs."""
    r.xadd(full, {"a": "1", "b": "2"}, id="5-1")
    r.xadd(full, {"a": "3"}, id="5-2")
    r.xadd(full, {"c": "4"}, id="7-0")
    r.xdel(full, "5-2")
    r.xgroup_create(full, "g1", id="0")
    r.xreadgroup("g1", "alice", {full: ">"}, count=1)
    r.xreadgroup("g1", "bob", {full: ">"})
    r.xgroup_createconsumer(full, "g1", "carol")
    r.xgroup_create(full, "g2", id="$")
    if empty_db is not None:
        r.execute_command("SELECT", empty_db)
    r.xadd(empty, {"x": "y"}, id="9-9")
    r.xdel(empty, "9-9")


def make_tmpdir(test):
    d = tempfile.mkdtemp(prefix="respite-aof-")
    test.addCleanup(shutil.rmtree, d, True)
    return d


def aof_dir(d):
    return os.path.join(d, "appendonlydir")


def manifest_lines(d):
    with open(os.path.join(aof_dir(d), MANIFEST)) as f:
        return f.read().splitlines()


def incr_path(d):
    """The last incremental file the manifest lists."""
    name = [ln for ln in manifest_lines(d) if ln.endswith("type i")][-1].split()[1]
    return os.path.join(aof_dir(d), name)


def check_aof(test, d):
    check = os.path.join(os.path.dirname(redis74_path()), "redis-check-aof")
    out = subprocess.run([check, os.path.join(aof_dir(d), MANIFEST)], capture_output=True,
                         text=True, timeout=60)
    test.assertEqual(out.returncode, 0, out.stdout + out.stderr)
    test.assertIn("All AOF files and manifest are valid", out.stdout)


# What after_two_rewrites sees on Redis 7.4.1 (checked by WithRedis74 as well).
REWRITES_UNDER_APPENDONLY_NO = (
    [True, True],
    ["appendonly.aof.2.base.rdb", MANIFEST],
    ["file appendonly.aof.2.base.rdb seq 2 type b"],
    {"aof_enabled": 0, "aof_rewrites": 2, "aof_last_bgrewrite_status": "ok",
     "aof_rewrites_consecutive_failures": 0, "aof_rewrite_in_progress": 0})


def after_two_rewrites(r, d):
    """Two BGREWRITEAOFs under appendonly no: their replies, the directory, the manifest,
    INFO's aof fields."""
    replies = []
    for _ in range(2):
        replies.append(r.bgrewriteaof())
        wait_rewrite(r)
    info = r.info("persistence")
    keys = REWRITES_UNDER_APPENDONLY_NO[3].keys()
    return (replies, sorted(os.listdir(aof_dir(d))), manifest_lines(d),
            {k: info[k] for k in keys})


def wait_rewrite(r):
    deadline = time.monotonic() + 30
    while r.info("persistence")["aof_rewrite_in_progress"]:
        assert time.monotonic() < deadline, "BGREWRITEAOF did not finish"
        time.sleep(0.05)


def wait_rewrites(r, n, timeout=30):
    """Until INFO counts n successful rewrites (a scheduled one started by the cron)."""
    deadline = time.monotonic() + timeout
    while r.info("persistence")["aof_rewrites"] < n:
        assert time.monotonic() < deadline, "no rewrite %d" % n
        time.sleep(0.05)
    wait_rewrite(r)


def replay_forms(r, extras=True):
    """Commands whose line would not replay to the same state: relative TTLs, random
    choices, generated ids, float results, blocking pops served later, scripts, MULTI.
    extras: also Redis 8.0's HSETEX and HGETEX and respite's set-member TTLs, which
    Redis 7.4 has not, and what Redis 7.4 logs in a form that loses state: HINCRBYFLOAT of
    a field with a TTL (an HSET, which drops the TTL; respite adds the HPEXPIREAT) and an
    XAUTOCLAIM that claims nothing (the consumer it creates is not logged)."""
    r.set("ex", "v", ex=1000)
    r.set("px", "v", px=500000)
    r.setex("setex", 1000, "v")
    r.psetex("psetex", 900000, "v")
    r.set("getex", "v")
    r.getex("getex", ex=800)
    r.set("persist", "v", ex=100)
    r.getex("persist", persist=True)
    r.set("expire", "v")
    r.expire("expire", 700)
    r.set("pexpire", "v")
    r.pexpire("pexpire", 600000)
    r.set("gone", "v")
    r.expire("gone", -1)  # deletes
    r.set("float", "1.1")
    r.incrbyfloat("float", "2.000000001")
    r.set("floatttl", "1", ex=1000)
    r.incrbyfloat("floatttl", 0.5)
    r.hset("hf", mapping={"a": "1.5", "b": 2})
    r.hincrbyfloat("hf", "a", 0.25)
    r.execute_command("HEXPIRE", "hf", 1000, "FIELDS", 1, "b")
    if extras:
        r.hincrbyfloat("hf", "b", 1.5)  # keeps b's TTL
    r.execute_command("HPEXPIRE", "hf", 900000, "NX", "FIELDS", 2, "a", "nope")
    if extras:
        r.execute_command("HSETEX", "hsx", "EX", 500, "FIELDS", 2, "f", "v", "g", "w")
        r.execute_command("HSETEX", "hsx", "KEEPTTL", "FIELDS", 1, "f", "v2")
        r.hset("hgx", mapping={"a": 1, "b": 2, "c": 3})
        r.execute_command("HGETEX", "hgx", "EX", 400, "FIELDS", 2, "a", "b")
        r.execute_command("HGETEX", "hgx", "PERSIST", "FIELDS", 1, "b")
        r.execute_command("SADDEX", "smt", "EX", 1000, "MEMBERS", 2, "m1", "m2")
        r.sadd("smt", "m3")
        r.execute_command("SEXPIRE", "smt", 500, "MEMBERS", 1, "m3")
        r.execute_command("SADDEX", "smt", "KEEPTTL", "MEMBERS", 2, "m1", "m4")
    r.sadd("sp", *range(50))
    r.spop("sp")
    r.spop("sp", 10)
    r.sadd("spall", "x", "y")
    r.spop("spall", 5)
    r.xadd("xs", {"f": "v"})
    r.xadd("xs", {"g": "w"})
    for i in range(30):
        r.xadd("xtrim", {"i": i}, maxlen=10, approximate=True)
    r.xgroup_create("xs", "grp", id="0")
    r.xreadgroup("grp", "alice", {"xs": ">"})
    time.sleep(0.1)
    # claims that depend on the idle time, which a replay does not share
    first = r.xpending_range("xs", "grp", "-", "+", 10)[0]["message_id"]
    r.xclaim("xs", "grp", "carol", 50, [first])
    if extras:
        r.xautoclaim("xs", "grp", "erin", 10 ** 9, "0-0")
    r.zadd("zs", {"a": 1, "b": 2, "c": 3})
    r.bzpopmin("zs", 1)
    r.rpush("ls", "a", "b", "c")
    r.blpop("ls", 1)
    r.blmove("ls", "ls2", 1, "RIGHT", "LEFT")
    r.lmpop(1, "ls", direction="LEFT")
    r.eval("redis.call('set', KEYS[1], ARGV[1]); redis.call('expire', KEYS[1], 300); "
           "redis.call('sadd', 'evalset', 'a', 'b'); return redis.call('spop', 'evalset')",
           1, "evalkey", "ev")
    p = r.pipeline(transaction=True)
    p.incr("mc").set("mex", "v", ex=300).spop("sp").execute()
    # main's writes: RESTORE's relative TTL becomes a deadline (ABSTTL); one already past
    # deletes the key it replaces; SORT is logged only with STORE; bit operations as given
    r.set("dumped", "payload", ex=1000)
    payload = r.dump("dumped")
    r.restore("restored", 900000, payload)
    r.restore("restored_abs", int(time.time() * 1000) + 800000, payload, absttl=True)
    r.set("restored_gone", "v")
    r.restore("restored_gone", 1, payload, replace=True, absttl=True)
    r.rpush("tosort", 3, 1, 2)
    r.sort("tosort")
    r.sort("tosort", desc=True, store="sorted")
    r.setbit("bits", 100, 1)
    r.bitop("NOT", "bitsnot", "bits")
    r.bitfield("bf").set("u8", 0, 200).incrby("i5", 8, 3).execute()
    r.select(3)
    r.set("db3", "x", px=700000)
    r.select(0)


def served_blocking_pops(server):
    """BLPOP, BLMOVE, BZPOPMIN and XREADGROUP that wait, then are served by a push."""
    waiters = []
    for cmd in (("BLPOP", "wl", 0), ("BLMOVE", "wm", "wm2", "LEFT", "RIGHT", 0),
                ("BZPOPMAX", "wz", 0), ("BLMPOP", 0, 1, "wl2", "RIGHT", "COUNT", 2)):
        c = RespConn(server.connect())
        c.send(encode(*cmd))
        waiters.append(c)
    r = server.client()
    r.xadd("wx", {"a": 1}, id="1-1")
    r.xgroup_create("wx", "g", id="$")
    xw = RespConn(server.connect())
    xw.send(encode("XREADGROUP", "GROUP", "g", "bob", "BLOCK", 0, "STREAMS", "wx", ">"))
    waiters.append(xw)
    ctl = RespConn(server.connect())
    wait_blocked(ctl, len(waiters))  # all wait before the pushes
    ctl.close()
    r.rpush("wl", "x", "y")
    r.rpush("wm", "m1", "m2")
    r.zadd("wz", {"lo": 1, "hi": 2})
    r.rpush("wl2", "p", "q", "s")
    r.xadd("wx", {"b": 2}, id="2-1")
    for c in waiters:
        assert c.reply() is not None
        c.close()


class RoundTrip(ServerTestCase):
    def tmpdir(self):
        return make_tmpdir(self)

    def test_every_type_and_replay_form_comes_back(self):
        for fsync in ("always", "everysec", "no"):
            with self.subTest(appendfsync=fsync):
                d = self.tmpdir()
                s = Server(["--dir", d, "--appendonly", "yes", "--appendfsync", fsync]).start()
                try:
                    r = s.client()
                    load_dataset(r)
                    r.execute_command("SADDEX", "set:ttl", "PXAT", FAR, "MEMBERS", 2, "m1", "m2")
                    replay_forms(r)
                    served_blocking_pops(s)
                    want = full_snapshot(r)
                    r.select(3)
                    want_db3 = (r.get("db3"), r.pexpiretime("db3"))
                    r.select(0)
                finally:
                    s.stop()
                self.assertEqual(manifest_lines(d), [
                    "file appendonly.aof.1.base.rdb seq 1 type b",
                    "file appendonly.aof.1.incr.aof seq 1 type i"])
                copy = self.spawn("--dir", d, "--appendonly", "yes").client()
                assert_same(self, full_snapshot(copy), want)
                copy.select(3)
                self.assertEqual((copy.get("db3"), copy.pexpiretime("db3")), want_db3)
                self.assertNotIn((0, b"gone"), want)

    def test_the_log_holds_absolute_forms(self):
        d = self.tmpdir()
        s = self.spawn("--dir", d, "--appendonly", "yes")
        r = s.client()
        r.set("k", "v", ex=100)
        r.expire("k", 200)
        r.sadd("s", "a", "b", "c")
        r.spop("s")
        r.xadd("x", {"f": "v"})
        r.incrbyfloat("f", 1.5)
        with open(incr_path(d), "rb") as f:
            log = f.read()
        self.assertIn(b"$4\r\nPXAT\r\n", log)
        self.assertIn(b"$9\r\nPEXPIREAT\r\n", log)
        self.assertIn(b"$4\r\nSREM\r\n", log)
        self.assertIn(b"$7\r\nKEEPTTL\r\n", log)
        self.assertNotIn(b"$1\r\n*\r\n", log)  # XADD's id, not "*"
        self.assertNotIn(b"SPOP", log.upper())
        self.assertNotIn(b"$6\r\nEXPIRE\r\n", log.upper())
        self.assertNotIn(b"INCRBYFLOAT", log.upper())

    def test_spop_with_a_count_is_logged_as_redis_74_logs_it(self):
        """SREM of up to 1024 members a command (in MULTI when there are several), DEL of a
        set taken whole, UNLINK under lazyfree-lazy-server-del."""
        d = self.tmpdir()
        s = self.spawn("--dir", d, "--appendonly", "yes")
        r = s.client()
        r.sadd("big", *range(1030))
        r.spop("big", 1029)
        r.sadd("two", "a", "b")
        r.spop("two", 2)
        r.config_set("lazyfree-lazy-server-del", "yes")
        r.sadd("two", "a", "b")
        r.spop("two", 3)
        with open(incr_path(d), "rb") as f:
            log = f.read()
        pops = log[log.index(b"*1\r\n$5\r\nMULTI\r\n*1026\r\n$4\r\nSREM\r\n"):]
        self.assertEqual(pops.count(b"$4\r\nSREM\r\n"), 2)
        self.assertIn(b"*7\r\n$4\r\nSREM\r\n$3\r\nbig\r\n", pops)
        self.assertIn(b"*2\r\n$3\r\nDEL\r\n$3\r\ntwo\r\n", pops)
        self.assertTrue(pops.endswith(b"*2\r\n$6\r\nUNLINK\r\n$3\r\ntwo\r\n"), pops[-60:])
        self.assertEqual(r.scard("big"), 1)

    def test_expiries_are_logged_as_deletions(self):
        d = self.tmpdir()
        s = self.spawn("--dir", d, "--appendonly", "yes")
        r = s.client()
        r.set("k", "v", px=50)
        r.hset("h", mapping={"a": 1, "b": 2})
        r.execute_command("HPEXPIRE", "h", 50, "FIELDS", 1, "a")
        r.sadd("s", "x", "y")
        r.execute_command("SPEXPIRE", "s", 50, "MEMBERS", 1, "x")
        # The active cycle takes them: waited for (10 s at most), with no command on them.
        deletions = [b"*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n",
                     b"*3\r\n$4\r\nHDEL\r\n$1\r\nh\r\n$1\r\na\r\n",
                     b"*3\r\n$4\r\nSREM\r\n$1\r\ns\r\n$1\r\nx\r\n"]
        deadline = time.monotonic() + 10
        while True:
            with open(incr_path(d), "rb") as f:
                log = f.read()
            if all(x in log for x in deletions) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        for x in deletions:
            self.assertIn(x, log)
        self.assertEqual(r.exists("k"), 0)

    def test_config_set_appendonly_writes_a_base_first(self):
        """As Redis 7.4: a rewrite child writes the first base while the commands go to
        temp-appendonly.aof.incr, which then becomes the first incremental file; SHUTDOWN
        is refused meanwhile (the files would not hold the data), DEBUG LOADAOF too."""
        d = self.tmpdir()
        s = Server(["--dir", d, "--enable-debug-command", "yes"]).start()
        try:
            r = s.client()
            r.set("before", "1")
            r.hset("h", "f", "v")
            with r.pipeline(transaction=False) as p:
                for i in range(3000):
                    p.set("k%d" % i, i)
                p.execute()
            self.assertEqual(r.info("persistence")["aof_enabled"], 0)
            r.config_set("rdb-key-save-delay", 1000)  # the child: 1 s each 1,024 keys
            self.assertTrue(r.config_set("appendonly", "yes"))
            info = r.info("persistence")
            self.assertEqual((info["aof_enabled"], info["aof_rewrite_in_progress"]), (1, 1))
            self.assertNotIn(MANIFEST, os.listdir(aof_dir(d)))
            self.assertIn("temp-appendonly.aof.incr", os.listdir(aof_dir(d)))
            for _ in range(10):
                r.incr("during")
            with self.assertRaisesRegex(redis.ResponseError, "Errors trying to SHUTDOWN"):
                r.execute_command("SHUTDOWN")
            with self.assertRaisesRegex(redis.ResponseError, "being created"):
                r.execute_command("DEBUG", "LOADAOF")
            r.config_set("rdb-key-save-delay", 0)
            wait_rewrite(r)
            self.assertEqual(manifest_lines(d), [
                "file appendonly.aof.1.base.rdb seq 1 type b",
                "file appendonly.aof.1.incr.aof seq 1 type i"])
            self.assertEqual(sorted(os.listdir(aof_dir(d))), [
                "appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", MANIFEST])
            with open(os.path.join(aof_dir(d), "appendonly.aof.1.incr.aof"), "rb") as f:
                self.assertEqual(f.read().count(b"INCR"), 10)
            r.set("after", "2")
            r.config_set("appendonly", "no")
            r.set("lost", "3")
            # a BGSAVE runs: the first rewrite waits for it (scheduled), as Redis
            r.config_set("rdb-key-save-delay", 200)
            self.assertEqual(r.bgsave(), True)
            r.config_set("appendonly", "yes")
            info = r.info("persistence")
            self.assertEqual((info["aof_rewrite_scheduled"], info["rdb_bgsave_in_progress"]),
                             (1, 1))
            r.config_set("rdb-key-save-delay", 0)
            r.set("last", "4")
            wait_rewrites(r, 2, 30)
            # a new base: the old files go
            self.assertEqual(sorted(os.listdir(aof_dir(d))), [
                "appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", MANIFEST])
            r.incr("during")
            want = snapshot(r)
        finally:
            s.stop()
        copy = self.spawn("--dir", d, "--appendonly", "yes").client()
        self.assertEqual(copy.mget("before", "after", "lost", "last", "during"),
                         [b"1", b"2", b"3", b"4", b"11"])
        self.assertEqual(copy.hget("h", "f"), b"v")
        assert_same(self, snapshot(copy), want)
        if redis74_path():
            check_aof(self, d)

    def test_config_set_appendonly_yes_inside_multi_schedules_the_rewrite(self):
        """Nothing forks between the commands of a transaction: the first rewrite is
        scheduled (and the block's own writes are logged once, after it)."""
        d = self.tmpdir()
        s = Server(["--dir", d]).start()
        try:
            r = s.client()
            r.set("n", 1)
            with r.pipeline(transaction=True) as p:
                p.incr("n")
                p.config_set("appendonly", "yes")
                p.incr("n")
                self.assertEqual(p.execute(), [2, True, 3])
            wait_rewrites(r, 1, 10)
            r.incr("n")
            self.assertIn("AOF was enabled during a transaction", s.output())
        finally:
            s.stop()
        copy = self.spawn("--dir", d, "--appendonly", "yes").client()
        self.assertEqual(copy.get("n"), b"4")

    def test_config_set_appendonly_no_while_the_first_base_is_written(self):
        """The child is stopped and the temporary file goes; the old files stay as they
        were (appendonly yes at start loads them)."""
        d = self.tmpdir()
        s = Server(["--dir", d]).start()
        try:
            r = s.client()
            r.set("a", "1")
            r.config_set("appendonly", "yes")
            wait_rewrite(r)
            r.set("b", "2")
            r.config_set("appendonly", "no")
            r.mset({"k%d" % i: i for i in range(3000)})
            r.config_set("rdb-key-save-delay", 1000)  # the child: 1 s each 1,024 keys
            r.config_set("appendonly", "yes")
            r.set("c", "3")
            self.assertEqual(r.info("persistence")["aof_rewrite_in_progress"], 1)
            r.config_set("appendonly", "no")
            time.sleep(0.3)  # three ticks of the cron: no rewrite starts again
            info = r.info("persistence")
            # aof_rewrites counts the rewrites started, the stopped one too (7.4.1: 2)
            self.assertEqual((info["aof_enabled"], info["aof_rewrite_in_progress"],
                              info["aof_rewrite_scheduled"], info["aof_rewrites"]), (0, 0, 0, 2))
            self.assertEqual(sorted(os.listdir(aof_dir(d))), [
                "appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", MANIFEST])
        finally:
            s.stop()
        copy = self.spawn("--dir", d, "--appendonly", "yes").client()
        self.assertEqual((copy.get("a"), copy.get("b"), copy.get("c")), (b"1", b"2", None))

    def test_bgrewriteaof_makes_a_new_base_and_drops_the_old_files(self):
        d = self.tmpdir()
        s = Server(["--dir", d, "--appendonly", "yes"]).start()
        try:
            r = s.client()
            load_dataset(r)
            for i in range(100):
                r.incr("counter")
            self.assertEqual(r.bgrewriteaof(), True)
            for i in range(50):
                r.incr("counter")
            wait_rewrite(r)
            info = r.info("persistence")
            self.assertEqual((info["aof_rewrites"], info["aof_last_bgrewrite_status"]), (1, "ok"))
            self.assertEqual(manifest_lines(d), [
                "file appendonly.aof.2.base.rdb seq 2 type b",
                "file appendonly.aof.2.incr.aof seq 2 type i"])
            self.assertEqual(sorted(os.listdir(aof_dir(d))), [
                "appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", MANIFEST])
            # Inside EXEC it is scheduled: the block's INCRs must not land in
            # both the new base and the new incremental file.
            c = RespConn(s.connect())
            c.send(encode("MULTI") + encode("INCR", "counter") + encode("BGREWRITEAOF") +
                   encode("INCR", "counter") + encode("EXEC"))
            for _ in range(4):
                c.reply()
            self.assertEqual(c.reply(),
                             [151, b"Background append only file rewriting scheduled", 152])
            c.close()
            wait_rewrites(r, 2, 10)
            r.incr("counter")
            want = snapshot(r)
            r.execute_command("DEBUG", "LOADAOF")
            assert_same(self, snapshot(r), want)
        finally:
            s.stop()
        # what a server killed mid-rewrite leaves: gone at the next start
        listed = sorted(os.listdir(aof_dir(d)))
        self.assertEqual(listed, ["appendonly.aof.3.base.rdb", "appendonly.aof.3.incr.aof",
                                  MANIFEST])
        for stray in ("appendonly.aof.9.base.rdb", "appendonly.aof.1.incr.aof",
                      "temp-rewriteaof-bg-1.aof", "temp-1.rdb"):
            with open(os.path.join(aof_dir(d), stray), "wb") as f:
                f.write(b"x")
        copy = self.spawn("--dir", d, "--appendonly", "yes").client()
        self.assertEqual(sorted(os.listdir(aof_dir(d))), listed)
        self.assertEqual(copy.get("counter"), b"153")
        assert_same(self, snapshot(copy), want)
        if redis74_path():
            check_aof(self, d)

    def test_bgrewriteaof_under_appendonly_no_writes_a_base_alone(self):
        """As Redis 7.4: a base in appendonlydir (seq 1, then the manifest's + 1), a manifest
        that lists it alone, the old base removed, counted in INFO; its RDB says aof-base 1
        (a SAVE's dump.rdb says 0); appendonly yes on that directory loads it."""
        d = self.tmpdir()
        s = Server(["--dir", d, "--save", ""]).start()
        try:
            r = s.client()
            load_dataset(r)
            want = snapshot(r)
            got = after_two_rewrites(r, d)
            self.assertEqual(got, REWRITES_UNDER_APPENDONLY_NO)
            with open(os.path.join(aof_dir(d), "appendonly.aof.2.base.rdb"), "rb") as f:
                self.assertIn(b"\xfa\x08aof-base\xc0\x01", f.read())
            r.save()
            with open(os.path.join(d, "dump.rdb"), "rb") as f:
                self.assertIn(b"\xfa\x08aof-base\xc0\x00", f.read())
        finally:
            s.stop()
        copy = self.spawn("--dir", d, "--appendonly", "yes").client()
        assert_same(self, snapshot(copy), want)
        self.assertEqual(manifest_lines(d), ["file appendonly.aof.2.base.rdb seq 2 type b",
                                             "file appendonly.aof.1.incr.aof seq 1 type i"])

    def test_a_resp_base_without_rdb_preamble(self):
        d = self.tmpdir()
        s = Server(["--dir", d, "--appendonly", "yes", "--aof-use-rdb-preamble", "no"]).start()
        try:
            r = s.client()
            load_dataset(r)
            make_streams(r, "aofstream:base", "aofstream:empty")
            r.pexpireat("aofstream:empty", int(FAR))
            r.execute_command("SADDEX", "set:ttl", "PXAT", FAR, "MEMBERS", 2, "m1", "m2")
            r.sadd("set:ttl", "m3")
            self.assertEqual(r.bgrewriteaof(), True)
            wait_rewrite(r)
            self.assertEqual(manifest_lines(d)[0], "file appendonly.aof.2.base.aof seq 2 type b")
            with open(os.path.join(aof_dir(d), "appendonly.aof.2.base.aof"), "rb") as f:
                base = f.read()
            self.assertTrue(base.startswith(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"))
            self.assertIn(b"$10\r\nHPEXPIREAT\r\n", base)
            self.assertIn(b"$10\r\nSPEXPIREAT\r\n", base)
            self.assertIn(b"$6\r\nXCLAIM\r\n", base)
            r.set("after", "1")
            want = full_snapshot(r)
            want_info = [r.xinfo_stream(k) for k in ("aofstream:base", "aofstream:empty")]
            want_ttl = r.execute_command("SPEXPIRETIME", "set:ttl", "MEMBERS", 3, "m1", "m2", "m3")
        finally:
            s.stop()
        copy = self.spawn("--dir", d, "--appendonly", "yes", "--aof-use-rdb-preamble",
                          "no").client()
        assert_same(self, full_snapshot(copy), want)
        for k, info in zip(("aofstream:base", "aofstream:empty"), want_info):
            got = copy.xinfo_stream(k)
            for field in ("length", "last-generated-id", "max-deleted-entry-id", "entries-added",
                          "groups", "recorded-first-entry-id"):
                self.assertEqual(got[field], info[field], (k, field))
        self.assertEqual(copy.execute_command("SPEXPIRETIME", "set:ttl", "MEMBERS", 3, "m1", "m2",
                                              "m3"), want_ttl)
        copy.delete("set:ttl")  # respite's own command, which Redis has not
        copy.bgrewriteaof()
        wait_rewrite(copy)
        self.assertEqual(manifest_lines(d)[0], "file appendonly.aof.3.base.aof seq 3 type b")
        if redis74_path():
            check_aof(self, d)

    def test_a_pre_70_appendonly_aof_is_moved_in_as_the_base(self):
        """Redis 7's upgrade: <dir>/appendonly.aof (commands alone, or an RDB preamble
        followed by commands) becomes appendonlydir/appendonly.aof, listed as the base
        (seq 1), the manifest written before the move; later rewrites replace it."""
        cmds = encode("SET", "tail", "1") + encode("RPUSH", "l", "a", "b")
        src = self.tmpdir()
        s = Server(["--dir", src, "--save", ""]).start()
        try:
            r = s.client()
            r.set("pre", "amble")
            r.hset("h", mapping={"f": "v"})
            r.save()
        finally:
            s.stop()
        with open(os.path.join(src, "dump.rdb"), "rb") as f:
            rdb = f.read()
        for name, content, want in (
                ("commands", cmds, {b"tail": b"1"}),
                ("rdb preamble", rdb + cmds, {b"tail": b"1", b"pre": b"amble"})):
            with self.subTest(name):
                d = self.tmpdir()
                with open(os.path.join(d, "appendonly.aof"), "wb") as f:
                    f.write(content)
                srv = self.spawn("--dir", d, "--appendonly", "yes")
                r = srv.client()
                for k, v in want.items():
                    self.assertEqual(r.get(k), v)
                self.assertEqual(r.lrange("l", 0, -1), [b"a", b"b"])
                self.assertFalse(os.path.exists(os.path.join(d, "appendonly.aof")))
                self.assertEqual(sorted(os.listdir(aof_dir(d))),
                                 ["appendonly.aof", "appendonly.aof.1.incr.aof", MANIFEST])
                self.assertEqual(manifest_lines(d), ["file appendonly.aof seq 1 type b",
                                                     "file appendonly.aof.1.incr.aof seq 1 type i"])
                self.assertIn("Successfully migrated an old-style AOF file (appendonly.aof) into "
                              "the AOF directory (appendonlydir).", srv.output())
                r.set("after", "x")
                r.bgrewriteaof()
                wait_rewrite(r)
                self.assertNotIn("appendonly.aof", os.listdir(aof_dir(d)))
                if redis74_path():
                    check_aof(self, d)
                srv.stop()
                again = self.spawn("--dir", d, "--appendonly", "yes").client()
                self.assertEqual(again.get("after"), b"x")
                self.assertEqual(again.lrange("l", 0, -1), [b"a", b"b"])

    def test_a_manifest_with_a_base_alone_gets_an_incremental_file_that_stays(self):
        """Redis writes a base without incremental files (BGREWRITEAOF under appendonly
        no); the incremental file respite opens for it at start is kept and listed, and
        the writes in it survive a restart."""
        d = self.tmpdir()
        os.mkdir(aof_dir(d))
        with open(os.path.join(aof_dir(d), "appendonly.aof.4.base.aof"), "wb") as f:
            f.write(encode("SET", "base", "1"))
        with open(os.path.join(aof_dir(d), MANIFEST), "w") as f:
            f.write("file appendonly.aof.4.base.aof seq 4 type b\n")
        srv = self.spawn("--dir", d, "--appendonly", "yes")
        srv.client().set("later", "2")
        self.assertEqual(manifest_lines(d), ["file appendonly.aof.4.base.aof seq 4 type b",
                                             "file appendonly.aof.1.incr.aof seq 1 type i"])
        srv.stop()
        again = self.spawn("--dir", d, "--appendonly", "yes").client()
        self.assertEqual(again.mget("base", "later"), [b"1", b"2"])

    def test_auto_rewrite_on_growth(self):
        d = self.tmpdir()
        s = self.spawn("--dir", d, "--appendonly", "yes", "--auto-aof-rewrite-min-size", "10kb",
                       "--auto-aof-rewrite-percentage", "100")
        r = s.client()
        for i in range(300):
            r.set("k%d" % i, "v" * 50)
        wait_rewrites(r, 1, 10)
        self.assertTrue(any(ln.endswith("type b") and ".2.base" in ln
                            for ln in manifest_lines(d)))

    def test_timestamp_annotations_load(self):
        d = self.tmpdir()
        s = Server(["--dir", d, "--appendonly", "yes", "--aof-timestamp-enabled", "yes"]).start()
        try:
            r = s.client()
            r.set("a", 1)
            time.sleep(1.1)
            r.set("b", 2)
        finally:
            s.stop()
        with open(incr_path(d), "rb") as f:
            self.assertEqual(f.read().count(b"#TS:"), 2)
        copy = self.spawn("--dir", d, "--appendonly", "yes").client()
        self.assertEqual(copy.mget("a", "b"), [b"1", b"2"])
        if redis74_path():
            check_aof(self, d)


class TornTail(unittest.TestCase):
    """A file cut inside its last command loads without it (and is cut back to the last
    whole command) under aof-load-truncated yes; a cut MULTI block goes whole."""

    def setUp(self):
        self.d = make_tmpdir(self)

    def make(self, last):
        s = Server(["--dir", self.d, "--appendonly", "yes"]).start()
        try:
            r = s.client()
            r.set("a", "1")
            r.rpush("l", "x")
            size = os.path.getsize(incr_path(self.d))
            last(r)
        finally:
            s.stop()
        with open(incr_path(self.d), "rb") as f:
            return f.read(), size

    def load_cut(self, data, cut, *args):
        with open(incr_path(self.d), "wb") as f:
            f.write(data[:cut])
        s = Server(["--dir", self.d, "--appendonly", "yes"] + list(args))
        try:
            s.start()
        except AssertionError as e:
            return None, str(e)
        try:
            r = s.client()
            return (r.get("a"), r.lrange("l", 0, -1), r.get("b"), r.get("c")), s.output()
        finally:
            s.stop()

    def test_a_torn_last_command_is_cut_at_every_byte(self):
        data, whole = self.make(lambda r: r.set("b", "2"))
        for cut in range(whole + 1, len(data)):
            got, log = self.load_cut(data, cut)
            self.assertEqual(got, (b"1", [b"x"], None, None), cut)
            self.assertIn("short read while loading the AOF file", log)
            self.assertEqual(os.path.getsize(incr_path(self.d)), whole)
        got, _ = self.load_cut(data, len(data))
        self.assertEqual(got, (b"1", [b"x"], b"2", None))

    def test_a_torn_multi_block_is_cut_whole(self):
        def block(r):
            p = r.pipeline(transaction=True)
            p.set("b", "2").set("c", "3").execute()
        data, whole = self.make(block)
        self.assertIn(b"MULTI", data[whole:])
        for cut in range(whole + 1, len(data)):
            got, _ = self.load_cut(data, cut)
            self.assertEqual(got, (b"1", [b"x"], None, None), cut)
            self.assertEqual(os.path.getsize(incr_path(self.d)), whole)
        got, _ = self.load_cut(data, len(data))
        self.assertEqual(got, (b"1", [b"x"], b"2", b"3"))

    def test_without_aof_load_truncated_the_start_stops(self):
        data, whole = self.make(lambda r: r.set("b", "2"))
        got, log = self.load_cut(data, whole + 5, "--aof-load-truncated", "no")
        self.assertIsNone(got)
        self.assertIn("Unexpected end of file reading the append only file", log)


def mount_small_fs(test, size):
    """A tmpfs of size bytes on a new temporary directory, unmounted at cleanup; skips the
    test where mounting is not allowed (not root, a container without the right)."""
    d = make_tmpdir(test)
    try:
        out = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "tmpfs", d],
                             capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise unittest.SkipTest("cannot mount a tmpfs: %s" % e)
    if out.returncode != 0:
        raise unittest.SkipTest("cannot mount a tmpfs: %s" % out.stderr.decode().strip())
    test.addCleanup(subprocess.run, ["umount", "-l", d], timeout=30)
    return d


class FullDisk(unittest.TestCase):
    """A full disk: writes are refused with Redis's -MISCONF while reads go on, INFO says
    aof_last_write_status:err, and once space returns the buffered bytes are written and
    writes are taken again; a restart then has every acknowledged write."""

    def test_writes_refused_until_space_returns(self):
        d = mount_small_fs(self, 1 << 20)
        filler = os.path.join(d, "filler")
        s = Server(["--dir", d, "--appendonly", "yes", "--aof-use-rdb-preamble", "yes"]).start()
        try:
            r = s.client()
            r.set("before", "1")
            with open(filler, "wb") as f:  # the rest of the disk, all but 8 KB
                try:
                    f.write(b"\0" * (1 << 20))
                except OSError:
                    pass
            acked, refused = [], None
            for i in range(200):
                try:
                    r.set("k%d" % i, "v" * 1000)
                    acked.append(i)
                except redis.ResponseError as e:
                    refused = str(e)
                    break
                time.sleep(0.002)
            self.assertIsNotNone(refused, "no write was refused on a full disk")
            self.assertTrue(refused.startswith("MISCONF Errors writing to the AOF file: No space"),
                            refused)
            self.assertEqual(r.get("before"), b"1")  # reads go on
            self.assertEqual(r.info("persistence")["aof_last_write_status"], "err")
            os.unlink(filler)
            deadline = time.monotonic() + 10
            while r.info("persistence")["aof_last_write_status"] != "ok":
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            r.set("after", "2")
        finally:
            s.stop()
        copy = self.spawn_in(d)
        self.assertEqual(copy.get("before"), b"1")
        self.assertEqual(copy.get("after"), b"2")
        for i in acked:
            self.assertEqual(copy.get("k%d" % i), b"v" * 1000, i)

    def test_a_first_rewrite_that_fails_is_tried_again(self):
        """CONFIG SET appendonly yes on a disk without room for the base: the child fails,
        appendonly stays on with the commands in the temporary file, and the rewrite is
        tried again (after Redis's backoff) until space returns; then nothing is lost."""
        d = mount_small_fs(self, 2 << 20)
        s = Server(["--dir", d]).start()
        try:
            r = s.client()
            rnd = random.Random(7)
            r.mset({"k%d" % i: rnd.randbytes(1000) for i in range(600)})  # 600 KB, incompressible
            with open(os.path.join(d, "filler"), "wb") as f:
                try:
                    f.write(b"\0" * ((2 << 20) - (300 << 10)))
                except OSError:
                    pass
            self.assertTrue(r.config_set("appendonly", "yes"))
            deadline = time.monotonic() + 30
            while r.info("persistence")["aof_last_bgrewrite_status"] != "err":
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            info = r.info("persistence")
            self.assertEqual(info["aof_enabled"], 1)
            r.set("during", "1")
            os.unlink(os.path.join(d, "filler"))
            while r.info("persistence")["aof_last_bgrewrite_status"] != "ok":
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            wait_rewrite(r)
            info = r.info("persistence")
            self.assertEqual((info["aof_last_bgrewrite_status"], info["aof_rewrite_scheduled"]),
                             ("ok", 0))
            r.set("after", "2")
            want = snapshot(r)
        finally:
            s.stop()
        copy = self.spawn_in(d)
        assert_same(self, snapshot(copy), want)
        self.assertEqual((copy.get("during"), copy.get("after")), (b"1", b"2"))

    def spawn_in(self, d):
        s = Server(["--dir", d, "--appendonly", "yes"]).start()
        self.addCleanup(s.stop)
        return s.client()


class CrashSafety(unittest.TestCase):
    """appendfsync always: a writer pipelines iterations i (RPUSH plog i, then MULTI RPUSH
    log i, SET last i, INCR n EXEC) and counts the acknowledged ones while the server is
    SIGKILLed at a random moment -- every fourth time after it started a BGREWRITEAOF, so
    kills also land during rewrites. After each restart log holds 0..m in order with m at
    least the last acknowledged i, last == m and n == m + 1 (no block half-applied), and
    plog holds log and at most the next i (whose block was not acknowledged)."""

    def test_no_acknowledged_write_lost_across_kills(self):
        kills = int(os.environ.get("RESPITE_AOF_KILLS", "50"))
        d = make_tmpdir(self)
        rng = random.Random(int(os.environ.get("RESPITE_AOF_SEED", "16")))
        args = ["--dir", d, "--appendonly", "yes", "--appendfsync", "always"]
        acked = -1
        for k in range(kills + 1):
            s = Server(args).start()
            try:
                r = s.client()
                m = r.llen("log") - 1
                where = "after kill %d" % k
                self.assertGreaterEqual(m, acked, where + ": acknowledged writes lost")
                self.assertEqual(r.lindex("log", -1), None if m < 0 else str(m).encode(), where)
                self.assertEqual(r.get("last"), None if m < 0 else str(m).encode(), where)
                self.assertEqual(int(r.get("n") or 0), m + 1, where)
                nplog = r.llen("plog")
                self.assertIn(nplog, (m + 1, m + 2), where)
                if k % 25 == 0 or k == kills:  # the whole lists, now and then (O(n))
                    self.assertEqual(r.lrange("log", 0, -1),
                                     [str(i).encode() for i in range(m + 1)], where)
                    self.assertEqual(r.lrange("plog", 0, m), r.lrange("log", 0, -1), where)
                if k == kills:
                    break
                if nplog == m + 2:  # its block was not acknowledged: redo the iteration
                    r.rpop("plog")
                if k % 4 == 0:
                    r.bgrewriteaof()
                start = m + 1
                done = threading.Event()
                result = {}
                t = threading.Thread(target=self.writer, args=(s.port, start, done, result))
                t.start()
                time.sleep(rng.uniform(0.02, 0.25))
                s.proc.kill()
                s.proc.wait(10)
                done.set()
                t.join(10)
                acked = result["acked"]
            finally:
                s.kill()
        self.assertGreater(acked, kills)  # the writer made progress

    @staticmethod
    def writer(port, start, done, result):
        result["acked"] = start - 1
        try:
            sock = socket.create_connection((HOST, port), timeout=5)
        except OSError:
            return
        try:
            c = RespConn(sock)
            i = start
            while not done.is_set():
                batch = b"".join(
                    encode("RPUSH", "plog", j) + encode("MULTI") + encode("RPUSH", "log", j) +
                    encode("SET", "last", j) + encode("INCR", "n") + encode("EXEC")
                    for j in range(i, i + 8))
                c.send(batch)
                for j in range(i, i + 8):
                    for _ in range(5):
                        c.reply()
                    exec_reply = c.reply()
                    assert isinstance(exec_reply, list) and len(exec_reply) == 3
                    result["acked"] = j
                i += 8
        except Exception:  # the kill ends the writer anywhere in a reply
            pass
        finally:
            sock.close()


class WithBgsave(unittest.TestCase):
    """BGSAVE and BGREWRITEAOF share one child process, with Redis 7.4.1's replies (checked
    by hand against it: its rdb-key-save-delay holds its child, SIGSTOP holds ours); the
    final flush of SHUTDOWN; main's writes in the log's replayable forms."""

    def tmpdir(self):
        return make_tmpdir(self)

    def slow_children(self, r):
        """Make s's children slow enough to be caught running (a fast machine finishes a
        small dataset before the test can stop the child): 2,048 keys more, and a 1 s sleep
        each 1,024 keys a save writes (rdb-key-save-delay)."""
        r.execute_command("DEBUG", "POPULATE", 2048, "slow:")
        r.config_set("rdb-key-save-delay", 1000)

    def child_of(self, s):
        with open("/proc/%d/task/%d/children" % (s.pid, s.pid)) as f:
            pids = f.read().split()
        self.assertEqual(len(pids), 1, pids)
        return int(pids[0])

    def wait(self, r, field, value):
        deadline = time.monotonic() + 30
        while r.info("persistence")[field] != value:
            self.assertLess(time.monotonic(), deadline, field)
            time.sleep(0.02)

    def test_appendonly_yes_stops_a_rewrite_that_appendonly_no_started(self):
        d = self.tmpdir()
        s = Server(["--dir", d, "--save", ""]).start()
        self.addCleanup(s.stop)
        r = s.client()
        r.set("before", "0")
        self.slow_children(r)
        r.bgrewriteaof()
        held = self.child_of(s)
        os.kill(held, signal.SIGSTOP)  # held: appendonly yes must not wait
        r.config_set("rdb-key-save-delay", 0)
        r.config_set("appendonly", "yes")  # the child goes: its base would list no incr file
        r.set("after", "1")
        self.assertNotEqual(self.child_of(s), held)  # the first rewrite's own child
        wait_rewrite(r)
        self.assertEqual(manifest_lines(d), ["file appendonly.aof.1.base.rdb seq 1 type b",
                                             "file appendonly.aof.1.incr.aof seq 1 type i"])
        r.execute_command("DEBUG", "LOADAOF")
        self.assertEqual(r.mget("before", "after"), [b"0", b"1"])

    def test_one_child_at_a_time(self):
        d = self.tmpdir()
        s = Server(["--dir", d, "--appendonly", "yes", "--save", ""]).start()
        self.addCleanup(s.stop)
        r = s.client()
        for cmd in ("BGSAVE", "BGREWRITEAOF", "SAVE"):  # the status lines, not True
            r.set_response_callback(cmd, lambda resp, **kw: resp)
        r.set("k", "v")
        self.slow_children(r)
        # a BGSAVE runs: the rewrite waits for it
        self.assertEqual(r.execute_command("BGSAVE"), b"Background saving started")
        child = self.child_of(s)
        os.kill(child, signal.SIGSTOP)
        self.assertEqual(r.execute_command("BGREWRITEAOF"),
                         b"Background append only file rewriting scheduled")
        with self.assertRaisesRegex(redis.ResponseError, "^Background save already in progress$"):
            r.execute_command("BGSAVE")
        info = r.info("persistence")
        self.assertEqual((info["rdb_bgsave_in_progress"], info["aof_rewrite_in_progress"],
                          info["aof_rewrite_scheduled"], info["aof_pending_rewrite"]),
                         (1, 0, 1, 1))
        os.kill(child, signal.SIGCONT)
        wait_rewrites(r, 1)
        self.assertEqual(r.info("persistence")["rdb_last_bgsave_status"], "ok")
        # a rewrite runs: BGSAVE is refused, or scheduled with SCHEDULE; SAVE runs beside it
        self.assertEqual(r.execute_command("BGREWRITEAOF"),
                         b"Background append only file rewriting started")
        child = self.child_of(s)
        os.kill(child, signal.SIGSTOP)
        with self.assertRaisesRegex(redis.ResponseError,
                                    r"^Another child process is active \(AOF\?\): can't BGSAVE "
                                    r"right now. Use BGSAVE SCHEDULE in order to schedule a "
                                    r"BGSAVE whenever possible.$"):
            r.execute_command("BGSAVE")
        with self.assertRaisesRegex(redis.ResponseError,
                                    "^Background append only file rewriting already in "
                                    "progress$"):
            r.execute_command("BGREWRITEAOF")
        self.assertEqual(r.execute_command("BGSAVE", "SCHEDULE"), b"Background saving scheduled")
        saves = r.info("persistence")["rdb_saves"]
        self.assertEqual(r.execute_command("SAVE"), b"OK")
        self.assertEqual(r.info("persistence")["rdb_saves"], saves + 1)
        os.kill(child, signal.SIGCONT)
        self.wait(r, "rdb_saves", saves + 2)  # the scheduled BGSAVE ran once the rewrite ended
        self.wait(r, "rdb_bgsave_in_progress", 0)
        info = r.info("persistence")
        self.assertEqual((info["aof_rewrites"], info["aof_last_bgrewrite_status"],
                          info["rdb_last_bgsave_status"]), (2, "ok", "ok"))

    @unittest.skipUnless(redis74_path(), "needs Redis 7.4 (RESPITE_REDIS74)")
    def test_a_failed_bgsave_refuses_writes_under_appendonly_as_redis_74(self):
        """One MISCONF check: the BGSAVE one comes first (the AOF, still writable in the
        removed directory, is not at fault), for writes, PING and a script's write."""
        out = []
        for make in (lambda a: RedisServer(redis74_path(), a), Server):
            gone = tempfile.mkdtemp(prefix="respite-aof-gone-")
            s = make(["--dir", gone, "--appendonly", "yes", "--save", "3600 100"]).start()
            try:
                r = s.client()
                r.set("k", "v")
                shutil.rmtree(gone)
                r.bgsave()
                deadline = time.monotonic() + 30
                while r.info("persistence")["rdb_bgsave_in_progress"]:
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.02)
                got = [r.info("persistence")["rdb_last_bgsave_status"],
                       r.info("persistence")["aof_last_write_status"], r.get("k")]
                for cmd in (("SET", "k", "w"), ("PING",),
                            ("EVAL", "return redis.pcall('set','x','1')", "0")):
                    try:
                        got.append(r.execute_command(*cmd))
                    except redis.ResponseError as e:
                        got.append(str(e))
                out.append(got)
                r.config_set("save", "")  # the final save would fail and refuse the stop
            finally:
                s.stop()
        self.assertEqual(out[1], out[0])
        self.assertTrue(out[0][3].startswith("MISCONF Redis is configured to save RDB"), out)

    def test_shutdown_flushes_the_aof_and_stops_a_rewrite(self):
        d = self.tmpdir()
        s = Server(["--dir", d, "--appendonly", "yes", "--appendfsync", "no",
                    "--save", ""]).start()
        r = s.client()
        r.set("k", "v")
        self.slow_children(r)
        r.bgrewriteaof()
        os.kill(self.child_of(s), signal.SIGSTOP)
        r.set("late", "1")
        try:
            r.shutdown(nosave=True)
        except redis.ConnectionError:
            pass
        s.wait_exit(0)
        out = s.output()
        self.assertIn("There is a child rewriting the AOF. Killing it!", out)
        self.assertIn("Calling fsync() on the AOF file.", out)
        copy = Server(["--dir", d, "--appendonly", "yes", "--save", ""]).start()
        self.addCleanup(copy.stop)
        self.assertEqual(copy.client().mget("k", "late"), [b"v", b"1"])
        # the killed rewrite's base is not listed; its temporary file is gone
        self.assertFalse([n for n in os.listdir(aof_dir(d)) if n.startswith("temp-")])

    def test_main_writes_in_replayable_forms(self):
        d = self.tmpdir()
        s = Server(["--dir", d, "--appendonly", "yes", "--save", ""]).start()
        self.addCleanup(s.stop)
        r = s.client()
        r.set("src", "v")
        payload = r.dump("src")
        r.restore("rel", 500000, payload)
        r.rpush("l", 2, 1)
        r.sort("l")
        r.sort("l", store="sl")
        r.xadd("stream", {"f": "v"}, id="1-1")
        r.xgroup_create("stream", "g", id="0")
        with open(incr_path(d), "rb") as f:
            log = f.read()
        deadline = r.pexpiretime("rel")
        self.assertIn(b"$7\r\nRESTORE\r\n$3\r\nrel\r\n$13\r\n%d\r\n" % deadline, log)
        self.assertIn(b"$6\r\nABSTTL\r\n", log)
        self.assertEqual(log.count(b"$4\r\nSORT\r\n"), 1)  # only the one with STORE
        # a stream now goes into the RDB base of a rewrite
        r.bgrewriteaof()
        wait_rewrite(r)
        self.assertEqual(manifest_lines(d)[0], "file appendonly.aof.2.base.rdb seq 2 type b")
        self.assertEqual(r.info("persistence")["aof_last_bgrewrite_status"], "ok")
        want = (r.xrange("stream"), r.xinfo_groups("stream")[0]["name"], r.pexpiretime("rel"))
        s.stop()
        copy = Server(["--dir", d, "--appendonly", "yes", "--save", ""]).start()
        self.addCleanup(copy.stop)
        c = copy.client()
        self.assertEqual((c.xrange("stream"), c.xinfo_groups("stream")[0]["name"],
                          c.pexpiretime("rel")), want)
        self.assertEqual(c.lrange("sl", 0, -1), [b"1", b"2"])


@unittest.skipUnless(redis74_path(), "needs Redis 7.4 (RESPITE_REDIS74)")
class WithRedis74(unittest.TestCase):
    def tmpdir(self):
        return make_tmpdir(self)

    def test_redis_loads_respites_appendonlydir(self):
        d = self.tmpdir()
        s = Server(["--dir", d, "--appendonly", "yes"]).start()
        try:
            r = s.client()
            load_dataset(r)
            replay_forms(r, extras=False)
            r.xadd("stream", {"f": "v"})
            want = full_snapshot(r)
        finally:
            s.stop()
        check_aof(self, d)
        ref = RedisServer(redis74_path(), ["--dir", d, "--appendonly", "yes"]).start()
        self.addCleanup(ref.stop)
        assert_same(self, full_snapshot(ref.client()), want)

    def test_the_log_is_byte_equal_to_redis_74s(self):
        """The same commands, without times or randomness in what they log, give the
        same incremental file: rewritten forms, MULTI blocks, scripts' effects, SELECT."""
        def run(r):
            r.set("a", "1")
            r.incr("n")
            r.incrbyfloat("f", "1.5")
            r.sadd("one", "m")
            r.spop("one")
            r.lpush("l", "x", "y")
            r.blpop("l", 1)
            r.rpush("l2", "a")
            r.blmove("l2", "l3", 1, "LEFT", "RIGHT")
            r.zadd("z", {"a": 1, "b": 2})
            r.bzpopmin("z", 1)
            r.zpopmax("z")
            r.pipeline().set("b", 2).incr("n").execute()
            r.pipeline().set("single", 1).execute()
            r.eval("redis.call('set','e1','1'); redis.call('set','e2','2')", 0)
            r.eval("redis.call('set','e3','1')", 0)
            r.select(2)
            r.set("d2", "x")
            r.select(0)
            r.set("d0", "y")
            r.hset("h", "f", "1.5")
            r.hincrbyfloat("h", "f", "1")
            r.getdel("a")
            r.xadd("s", {"f": "v"}, id="1-1")
            r.xgroup_create("s", "g", "0")
            r.function_load("#!lua name=lib\nredis.register_function('f', function() "
                            "return 1 end)")

        self.assert_same_log(run)

    def on_both(self, run, args, read):
        """run(client) on respite, then on Redis 7.4.1, each with args in a directory of
        its own; read(directory) of each after it stopped."""
        out = []
        for start in (lambda d: Server(["--dir", d] + args).start(),
                      lambda d: RedisServer(redis74_path(), ["--dir", d] + args).start()):
            d = make_tmpdir(self)
            s = start(d)
            try:
                run(s.client())
            finally:
                s.stop()
            out.append(read(d))
        return out

    def assert_same_log(self, run):
        """run(client) against respite and Redis 7.4.1 under appendonly yes gives the same
        incremental file."""
        def incr(d):
            with open(os.path.join(aof_dir(d), "appendonly.aof.1.incr.aof"), "rb") as f:
                return f.read()
        logs = self.on_both(run, ["--appendonly", "yes"], incr)
        self.maxDiff = None
        self.assertEqual(logs[0].split(b"\r\n*"), logs[1].split(b"\r\n*"))

    def test_no_op_writes_are_not_logged_as_redis_74(self):
        """A write that changed nothing is not logged (Redis propagates a command only when
        server.dirty moved); a FLUSHDB/FLUSHALL of nothing is (forced, as in Redis). Each
        no-op runs between two markers, so a stray line shows where it came from."""
        def run(r):
            x = r.execute_command
            r.set("s", "v")
            r.sadd("set", "a")
            r.sadd("set2", "z")
            r.hset("h", "f", "v")
            r.rpush("l", "a", "b")
            r.zadd("z", {"a": 1})
            r.xadd("x", {"f": "v"}, id="1-1")
            r.xgroup_create("x", "g", "0")
            x("SET", "ttl", "v", "PXAT", 4102444800000)
            noops = [
                ("SET", "s", "w", "NX"), ("SET", "missing", "w", "XX"), ("SETNX", "s", "w"),
                ("SET", "s", "w", "NX", "GET"), ("SET", "s", "w", "NX", "EX", 100),
                ("MSETNX", "s", "1", "new", "2"), ("DEL", "missing"),
                ("DEL", "missing", "missing2"), ("UNLINK", "missing"),
                ("GETDEL", "missing"), ("GETEX", "missing", "EX", 100), ("GETEX", "s"),
                ("SETRANGE", "s", 0, ""), ("SETRANGE", "missing", 3, ""),
                ("EXPIRE", "missing", 100), ("PEXPIRE", "missing", 100),
                ("EXPIREAT", "missing", 4102444800), ("PEXPIREAT", "missing", 4102444800000),
                ("EXPIRE", "ttl", 100, "NX"), ("EXPIRE", "s", 100, "XX"),
                ("EXPIRE", "s", 100, "GT"), ("EXPIRE", "ttl", 4102444800 * 2, "LT"),
                ("PERSIST", "s"), ("PERSIST", "missing"),
                ("RENAMENX", "s", "set"), ("MOVE", "missing", 1), ("COPY", "missing", "c"),
                ("COPY", "s", "set"),
                ("SADD", "set", "a"), ("SREM", "set", "nope"), ("SREM", "missing", "a"),
                ("SMOVE", "set", "set2", "nope"), ("SMOVE", "missing", "set2", "a"),
                ("SMOVE", "set", "set", "a"), ("SPOP", "missing"), ("SPOP", "missing", 3),
                ("SINTERSTORE", "newdst", "set", "set2"), ("SDIFFSTORE", "newdst", "missing"),
                ("SUNIONSTORE", "newdst", "missing"),
                ("HDEL", "h", "nope", "nope2"), ("HDEL", "missing", "f"),
                ("HSETNX", "h", "f", "w"),
                ("HEXPIRE", "h", 100, "FIELDS", 1, "nope"),
                ("HEXPIRE", "missing", 100, "FIELDS", 1, "f"),
                ("HPERSIST", "h", "FIELDS", 1, "f"), ("HPEXPIRE", "h", 100, "XX", "FIELDS", 1, "f"),
                ("LREM", "l", 0, "nope"), ("LREM", "missing", 0, "a"), ("LTRIM", "l", 0, -1),
                ("LTRIM", "missing", 0, 1), ("LPUSHX", "missing", "a"), ("RPUSHX", "missing", "a"),
                ("LINSERT", "l", "BEFORE", "nope", "x"), ("LINSERT", "missing", "BEFORE", "a", "x"),
                ("LPOP", "missing"), ("RPOP", "missing", 2), ("RPOPLPUSH", "missing", "l"),
                ("LMOVE", "missing", "l", "LEFT", "RIGHT"), ("LMPOP", 1, "missing", "LEFT"),
                ("ZREM", "z", "nope"), ("ZREM", "missing", "a"), ("ZADD", "z", "NX", 5, "a"),
                ("ZADD", "z", "XX", 5, "nope"), ("ZADD", "z", 1, "a"),
                ("ZADD", "z", "GT", 0, "a"),
                ("ZREMRANGEBYSCORE", "z", 10, 20), ("ZREMRANGEBYRANK", "z", 5, 10),
                ("ZREMRANGEBYLEX", "z", "[x", "[y"), ("ZPOPMIN", "missing"),
                ("ZMPOP", 1, "missing", "MIN"),
                ("ZUNIONSTORE", "newdst", 1, "missing"), ("ZINTERSTORE", "newdst", 2, "z", "missing"),
                ("ZRANGESTORE", "newdst", "z", 5, 10), ("ZDIFFSTORE", "newdst", 1, "missing"),
                ("XDEL", "x", "9-9"), ("XDEL", "missing", "1-1"), ("XTRIM", "x", "MAXLEN", 5),
                ("XACK", "x", "g", "1-1"), ("XADD", "missing", "NOMKSTREAM", "*", "f", "v"),
                ("XGROUP", "DELCONSUMER", "x", "g", "nobody"),
                ("XGROUP", "DESTROY", "x", "nogroup"),
                ("SORT", "missing", "STORE", "newdst"),
                ("BITOP", "AND", "newdst", "missing", "missing2"),
                ("BITFIELD", "missing", "GET", "u8", 0),
            ]
            for i, cmd in enumerate(noops):
                r.set("marker", i)
                try:
                    x(*cmd)
                except redis.ResponseError:
                    pass
            r.set("marker", "flush")
            r.select(5)
            x("FLUSHDB")
            r.select(0)
            x("SET", "marker", "end")
        self.assert_same_log(run)

    def test_every_write_that_changes_is_logged_as_redis_74(self):
        """The other side of the no-ops: one changing form of every write command (none with
        a relative TTL or a random choice, whose logged form depends on the moment) is logged
        as 7.4.1 logs it."""
        def run(r):
            x = r.execute_command
            payload = None
            for cmd in [
                ("SET", "s", "v"), ("SETNX", "s2", "v"), ("GETSET", "s", "w"), ("GETDEL", "s2"),
                ("MSET", "m1", "1", "m2", "2"), ("MSETNX", "m3", "1"), ("APPEND", "s", "x"),
                ("SETRANGE", "s", 1, "yy"), ("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", 5),
                ("DECRBY", "n", 2), ("SETBIT", "b", 7, 1), ("BITOP", "NOT", "bn", "b"),
                ("BITFIELD", "bf", "SET", "u8", 0, 200, "INCRBY", "u8", 0, 1),
                ("HSET", "h", "f", "1", "g", "2"), ("HSETNX", "h", "k", "3"),
                ("HMSET", "h", "f", "4"), ("HINCRBY", "h", "f", 2), ("HDEL", "h", "g"),
                ("HPEXPIREAT", "h", 4102444800000, "FIELDS", 1, "f"),
                ("HEXPIREAT", "h", 4102444801, "FIELDS", 1, "k"),
                ("HPERSIST", "h", "FIELDS", 1, "k"),
                ("DEL", "m1"), ("UNLINK", "m2"), ("RENAME", "m3", "m4"), ("RENAMENX", "m4", "m5"),
                ("COPY", "m5", "m6"), ("MOVE", "m6", 1),
                ("PEXPIREAT", "m5", 4102444800000), ("EXPIREAT", "n", 4102444800),
                ("PERSIST", "n"), ("SWAPDB", 0, 1), ("SWAPDB", 0, 1),
                ("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l", "d"), ("LPUSHX", "l", "e"),
                ("RPUSHX", "l", "f"), ("LPOP", "l"), ("RPOP", "l", 1), ("LSET", "l", 0, "z"),
                ("LINSERT", "l", "AFTER", "z", "y"), ("LREM", "l", 0, "y"), ("LTRIM", "l", 0, 1),
                ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("RPOPLPUSH", "l", "l2"),
                ("LMPOP", 1, "l2", "LEFT", "COUNT", 1), ("SORT", "l2", "ALPHA", "STORE", "sorted"),
                ("SADD", "st", "a", "b", "c"), ("SREM", "st", "c"), ("SMOVE", "st", "st2", "b"),
                ("SINTERSTORE", "si", "st", "st"), ("SUNIONSTORE", "su", "st", "st2"),
                ("SDIFFSTORE", "sd", "st", "st2"),
                ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d"), ("ZINCRBY", "z", 5, "a"),
                ("ZREM", "z", "b"), ("ZRANGESTORE", "zr", "z", 0, 0),
                ("ZREMRANGEBYRANK", "zr", 0, 0), ("ZREMRANGEBYSCORE", "z", 3, 3),
                ("ZADD", "zl", 0, "a", 0, "b"), ("ZREMRANGEBYLEX", "zl", "[a", "[a"),
                ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZADD", "z", 1, "q"),
                ("ZMPOP", 1, "z", "MIN"), ("ZUNIONSTORE", "zu", 1, "zl"),
                ("ZINTERSTORE", "zi", 1, "zl"), ("ZDIFFSTORE", "zd", 1, "zl"),
                ("XADD", "x", "1-1", "f", "v"), ("XADD", "x", "2-1", "f", "w"),
                ("XGROUP", "CREATE", "x", "g", "0"), ("XGROUP", "CREATECONSUMER", "x", "g", "c1"),
                ("XGROUP", "SETID", "x", "g", "1-1"), ("XACK", "x", "g", "1-1"),
                ("XDEL", "x", "1-1"), ("XTRIM", "x", "MAXLEN", 0), ("XSETID", "x", "5-5"),
                ("XGROUP", "DELCONSUMER", "x", "g", "c1"), ("XGROUP", "DESTROY", "x", "g"),
                ("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', "
                 "function() return 1 end)"),
                ("FUNCTION", "DELETE", "lib"), ("FUNCTION", "FLUSH"),
                ("RESTORE", "restored", 0, "DUMPED"), ("FLUSHDB",), ("FLUSHALL",),
            ]:
                if cmd[-1] == "DUMPED":
                    cmd = cmd[:-1] + (payload,)
                x(*cmd)
                if cmd[0] == "SET":
                    payload = r.dump("s")
        self.assert_same_log(run)

    def test_bgrewriteaof_under_appendonly_no_as_redis_74(self):
        d = self.tmpdir()
        ref = RedisServer(redis74_path(), ["--dir", d, "--save", ""]).start()
        self.addCleanup(ref.stop)
        r = ref.client()
        r.set("k", "v")
        self.assertEqual(after_two_rewrites(r, d), REWRITES_UNDER_APPENDONLY_NO)
        with open(os.path.join(aof_dir(d), "appendonly.aof.2.base.rdb"), "rb") as f:
            self.assertIn(b"\xfa\x08aof-base\xc0\x01", f.read())

    def test_a_resp_base_of_streams_is_byte_equal_to_redis_74s(self):
        """Under aof-use-rdb-preamble no, streams as 7.4's rewriteStreamObject writes
        them: XADDs, XSETID, XGROUP CREATE, XCLAIM ... JUSTID FORCE per pending entry,
        XGROUP CREATECONSUMER for a consumer without one, the XADD MAXLEN 0 of an emptied
        stream. The delivery times (TIME) differ between the servers and are masked."""
        def run(r):
            # one key a database: the order of keys is each server's own
            make_streams(r, "s", "e", empty_db=1)
            r.bgrewriteaof()
            wait_rewrite(r)

        def base(d):
            name = [ln for ln in manifest_lines(d) if ln.endswith("type b")][-1].split()[1]
            with open(os.path.join(aof_dir(d), name), "rb") as f:
                return re.sub(rb"TIME\r\n\$13\r\n\d{13}", b"TIME", f.read())
        bases = self.on_both(run, ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"], base)
        self.maxDiff = None
        self.assertIn(b"CREATECONSUMER", bases[1])
        self.assertEqual(bases[0].split(b"\r\n*"), bases[1].split(b"\r\n*"))

    def test_respite_loads_redis_74s_appendonlydir(self):
        d = self.tmpdir()
        ref = RedisServer(redis74_path(), ["--dir", d, "--appendonly", "yes"]).start()
        try:
            r = ref.client()
            r.set("in-the-base", "1")
            r.bgrewriteaof()
            time.sleep(0.2)
            wait_rewrite(r)
            load_dataset(r)
            replay_forms(r, extras=False)
            r.set("after", "x", ex=1000)
            r.spop("sp")
        finally:
            ref.stop()  # SIGTERM: Redis writes and fsyncs its AOF (its own dir goes, not d)
        self.assertIn("file appendonly.aof.2.base.rdb seq 2 type b", manifest_lines(d))
        # What Redis itself loads from these files: its memory can differ from its log (an
        # XREADGROUP of a consumer's history counts a delivery it does not log).
        again = os.path.join(self.tmpdir(), "again")
        shutil.copytree(d, again)
        ref = RedisServer(redis74_path(), ["--dir", again, "--appendonly", "yes"]).start()
        try:
            want = full_snapshot(ref.client())
        finally:
            ref.stop()
        copy = Server(["--dir", d, "--appendonly", "yes"]).start()
        try:
            assert_same(self, full_snapshot(copy.client()), want)
        finally:
            copy.stop()


if __name__ == "__main__":
    main()
