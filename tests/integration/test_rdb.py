# SPDX-License-Identifier: BSD-3-Clause
"""RDB files (SAVE, loading at start) between respite, Redis 7.4.1 and Debian's Redis 7.0.

A varied dataset -- strings of every encoding, hashes packed and in tables with and without
field TTLs, sets as intsets (16, 32 and 64-bit), packed and in tables, lists packed and in
many chunks, sorted sets packed and as skip lists, key TTLs, project keys, two databases --
is written by one server with SAVE and loaded by another started on the file; both must
then hold the same data: per key its type, encoding, deadline (PEXPIRETIME), value and
field deadlines (HPEXPIRETIME), and the function libraries. respite -> respite also carries set-member TTLs (respite's
own RDB type), which Redis 7.4 refuses. redis-check-rdb 7.4.1 checks respite's files.
The Redis legs skip without Redis 7.4 (RESPITE_REDIS74) or Debian's redis-server.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RedisServer, Server, ServerTestCase, main, redis74_path  # noqa: E402

import redis  # noqa: E402

FAR = int(time.time() * 1000) + 3600 * 1000  # deadlines an hour away, as absolute ms


LIBRARY = ("#!lua name=rdblib\nredis.register_function('rdbf', function(keys, args) "
           "return args[1] end)\n-- " + "padding " * 40)


def hpexpireat(r, key, when, field):
    r.execute_command("HPEXPIREAT", key, when, "FIELDS", 1, field)


def load_dataset(r, field_ttls=True):
    """The dataset, in databases 0 and 1 (field_ttls: HPEXPIREAT exists, Redis >= 7.4)."""
    p = r.pipeline(transaction=False)
    p.select(0)
    p.set("s:int", 42).set("s:neg", -7).set("s:int64", 1 << 40).set("s:emb", "hello")
    p.set("s:empty", "").set("s:long", "abc" * 200).set("s:rand", os.urandom(64))
    p.set("s:raw", "x").append("s:raw", "yz" * 10)
    p.set("s:ttl", "v").pexpireat("s:ttl", FAR)
    p.set("project:7:name", "seven").set("project:{8}:a", 1).set("project:8:b", 2)
    p.hset("h:small", mapping={"a": 1, "b": "two", "c": "-3"})
    p.hset("h:big", mapping={"f%d" % i: "v%d" % i for i in range(600)})
    p.hset("h:longval", mapping={"k": "v" * 100, "n": 5})
    p.hset("project:7:conn", mapping={"ws": "open", "since": 1700000000})
    p.sadd("set:i16", 1, 2, 3, -100)
    p.sadd("set:i32", 1, 70000, -70000)
    p.sadd("set:i64", 1, 1 << 40)
    p.sadd("set:pack", "a", "b", "c", 5)
    p.sadd("set:table", *["m%d" % i for i in range(200)])
    p.sadd("set:bigint", *range(600))
    p.rpush("l:small", "a", "b", 1, -2, "")
    p.rpush("l:big", *["element-%d" % i for i in range(5000)])
    # 16378 bytes: an element of 16383 bytes with its header, where the back length
    # takes 3 bytes in Redis listpacks
    p.rpush("l:long", "z" * 10000, "short", "w" * 16378)
    p.zadd("z:small", {"a": 1, "b": 2.5, "c": -3, "d": 1e20, "e": float("inf")})
    p.zadd("z:big", {"m%d" % i: i / 7 for i in range(300)})
    p.select(1)
    p.set("db1:s", "one").pexpireat("db1:s", FAR + 5)
    p.lpush("db1:l", "x", "y")
    p.execute()
    load_streams(r)
    r.function_load(LIBRARY, replace=True)
    if field_ttls:
        r.hset("h:ttl", mapping={"a": 1, "b": 2, "c": 3})
        hpexpireat(r, "h:ttl", FAR, "b")
        hpexpireat(r, "h:ttl", FAR + 10, "a")
        r.hset("h:bigttl", mapping={"f%d" % i: i for i in range(600)})
        for i in range(0, 600, 50):
            hpexpireat(r, "h:bigttl", FAR + i, "f%d" % i)
        r.hset("h:lvttl", mapping={"k": "v" * 100, "n": 5})
        hpexpireat(r, "h:lvttl", FAR + 1, "k")
    r.select(0)


def load_streams(r):
    """Streams in database 0: nodes full (100 entries) and closed by size, entries with their
    own fields, deleted ones and a trimmed head, an emptied stream, groups with pending
    entries, consumers with and without them."""
    p = r.pipeline(transaction=False)
    for i in range(250):
        p.xadd("x:st", {"f": i, "g": "v%d" % i}, id="%d-%d" % (1000 + i // 3, i % 3))
    p.xadd("x:st", {"other": 1, "n": -5}, id="2000-0")
    p.xadd("x:st", {"f": "x" * 3000}, id="2000-1")
    p.xadd("x:st", {"f": "y" * 3000}, id="2000-2")
    p.xdel("x:st", "1000-1", "1050-0", "2000-1")
    p.xadd("x:empty", {"a": 1}, id="5-1")
    p.xdel("x:empty", "5-1")
    p.xadd("x:trimmed", {"a": 1}, id="1-1").xadd("x:trimmed", {"a": 2}, id="1-2")
    p.xadd("x:trimmed", {"b": 3}, id="2-0")
    p.xtrim("x:trimmed", maxlen=1)
    p.xadd("project:7:changes", {"param": "zoom", "value": 3})
    p.execute()
    r.xgroup_create("x:st", "g1", id="0")
    r.xgroup_create("x:st", "g0", id="$")
    r.xgroup_create("x:empty", "lonely", id="0")
    r.xreadgroup("g1", "alice", {"x:st": ">"}, count=5)
    r.xreadgroup("g1", "bob", {"x:st": ">"}, count=3)
    r.xreadgroup("g1", "bob", {"x:st": "0"}, count=1)
    r.xack("x:st", "g1", "1000-0")
    r.xgroup_createconsumer("x:st", "g1", "carol")


def stream_info(r, key, active_time=True):
    """XINFO STREAM FULL of key, every entry (the radix tree's keys and nodes included);
    without the consumers' active-time for Redis 7.0."""
    info = r.execute_command("XINFO", "STREAM", key, "FULL", "COUNT", 0)
    info = dict(zip(info[::2], info[1::2]))
    if not active_time:
        for g in info[b"groups"]:
            for c in g[g.index(b"consumers") + 1]:
                if b"active-time" in c:
                    i = c.index(b"active-time")
                    del c[i:i + 2]
    return info


def snapshot(r, field_ttls=True):
    """{(db, key): (type, encoding, pexpiretime, value, field deadlines)} of databases 0-1,
    and the function libraries."""
    out = {}
    for db in (0, 1):
        r.select(db)
        for key in r.keys("*"):
            t = r.type(key).decode()
            if t == "string":
                val = r.get(key)
            elif t == "hash":
                val = sorted(r.hgetall(key).items())
            elif t == "set":
                val = sorted(r.smembers(key))
            elif t == "list":
                val = r.lrange(key, 0, -1)
            elif t == "zset":
                val = r.zrange(key, 0, -1, withscores=True)
            else:
                val = stream_info(r, key, active_time=field_ttls)
            fields = None
            if t == "hash" and field_ttls:
                names = sorted(r.hkeys(key))
                fields = r.execute_command("HPEXPIRETIME", key, "FIELDS", len(names), *names)
            enc = r.object("encoding", key)
            if enc == b"raw":
                enc = b"embstr"  # a loaded string is embedded while short, in Redis too
            out[(db, key)] = (t, enc, r.pexpiretime(key), val, fields)
    r.select(0)
    out["functions"] = [repr(lib) for lib in r.function_list(withcode=True)]
    return out


def save_to(r, directory):
    """SAVE with dir set to directory; the path of the file."""
    r.config_set("dir", directory)
    before = r.lastsave()
    time.sleep(1.05 if before.timestamp() >= time.time() - 1 else 0)
    assert r.save() is True
    assert r.lastsave() > before
    return os.path.join(directory, "dump.rdb")


def assert_same(test, got, want):
    """got == want, naming the keys that differ (the whole dataset is too long to diff)."""
    diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
            if got.get(k) != want.get(k)}
    test.assertEqual({k: repr(v)[:300] for k, v in diff.items()}, {})


class RespiteRoundTrip(ServerTestCase):
    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="respite-rdb-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def test_every_encoding_and_member_ttls_come_back(self):
        r = self.server.client()
        r.flushall()
        load_dataset(r)
        r.execute_command("SADDEX", "set:ttl", "PXAT", FAR, "MEMBERS", 2, "m1", "m2")
        r.sadd("set:ttl", "m3")
        r.execute_command("SADDEX", "set:bigttl", "PXAT", FAR + 7, "MEMBERS", 2, "x", "y")
        r.sadd("set:bigttl", *["m%d" % i for i in range(300)])
        members = ["m1", "m2", "m3"]
        want = snapshot(r)
        want_ttl = r.execute_command("SPEXPIRETIME", "set:ttl", "MEMBERS", 3, *members)
        want_big = r.execute_command("SPEXPIRETIME", "set:bigttl", "MEMBERS", 3, "x", "y", "m1")
        d = self.tmpdir()
        save_to(r, d)
        copy = self.spawn("--dir", d).client()
        assert_same(self, snapshot(copy), want)
        self.assertEqual(want_ttl, [FAR, FAR, -1])
        self.assertEqual(copy.execute_command("SPEXPIRETIME", "set:ttl", "MEMBERS", 3, *members),
                         want_ttl)
        self.assertEqual(copy.execute_command("SPEXPIRETIME", "set:bigttl", "MEMBERS", 3, "x",
                                              "y", "m1"), want_big)
        self.assertEqual(copy.object("encoding", "set:ttl"), b"listpackex")

    def test_options_change_the_file_not_the_data(self):
        sizes = {}
        for checksum in ("yes", "no"):
            # rdbchecksum is a start-up parameter (immutable, as in Redis 7.4)
            r = self.spawn("--rdbchecksum", checksum).client()
            load_dataset(r)
            want = snapshot(r)
            for compression in ("yes", "no"):
                r.config_set("rdbcompression", compression)
                d = self.tmpdir()
                path = save_to(r, d)
                with open(path, "rb") as f:
                    data = f.read()
                self.assertEqual(data[:9], b"REDIS0012")
                self.assertEqual(data[-8:] == b"\0" * 8, checksum == "no")
                sizes[compression] = len(data)
                assert_same(self, snapshot(self.spawn("--dir", d).client()), want)
        self.assertLess(sizes["yes"], sizes["no"])

    def test_a_corrupt_file_stops_the_start(self):
        r = self.server.client()
        r.flushall()
        load_dataset(r)
        d = self.tmpdir()
        path = save_to(r, d)
        with open(path, "r+b") as f:
            f.seek(100)
            b = f.read(1)
            f.seek(100)
            f.write(bytes([b[0] ^ 0x55]))
        s = Server(["--dir", d])
        with self.assertRaises(AssertionError) as ctx:
            s.start()
        s.cleanup()
        self.assertIn("Fatal error loading the DB", str(ctx.exception))
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        s = Server(["--dir", d])
        with self.assertRaises(AssertionError):
            s.start()
        s.cleanup()

    def test_dir_and_dbfilename(self):
        r = self.server.client()
        d = self.tmpdir()
        r.config_set("dir", d + "/.")
        self.assertEqual(r.config_get("dir"), {"dir": os.path.realpath(d)})
        with self.assertRaisesRegex(redis.ResponseError, "No such file or directory"):
            r.config_set("dir", d + "/missing")
        with self.assertRaisesRegex(redis.ResponseError, "can't be a path"):
            r.config_set("dbfilename", "a/b.rdb")
        r.config_set("dbfilename", "other.rdb")
        r.set("k", "v")
        self.assertTrue(r.save())
        r.config_set("dbfilename", "dump.rdb")
        self.assertTrue(os.path.exists(os.path.join(d, "other.rdb")))
        self.assertEqual(sorted(os.listdir(d)), ["other.rdb"])  # no temp file left
        copy = self.spawn("--dir", d, "--dbfilename", "other.rdb").client()
        self.assertEqual(copy.get("k"), b"v")


@unittest.skipUnless(redis74_path(), "needs Redis 7.4 (RESPITE_REDIS74)")
class WithRedis74(ServerTestCase):
    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="respite-rdb-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def redis_on(self, binary, directory):
        srv = RedisServer(binary, ["--dir", directory]).start()
        self.addCleanup(srv.stop)
        return srv.client()

    def test_redis_loads_what_respite_saves(self):
        r = self.server.client()
        r.flushall()
        load_dataset(r)
        want = snapshot(r)
        d = self.tmpdir()
        path = save_to(r, d)
        check = os.path.join(os.path.dirname(redis74_path()), "redis-check-rdb")
        out = subprocess.run([check, path], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("RDB looks OK", out.stdout)
        assert_same(self, snapshot(self.redis_on(redis74_path(), d)), want)

    def test_respite_loads_what_redis_saves(self):
        d = self.tmpdir()
        ref = self.redis_on(redis74_path(), d)
        load_dataset(ref)
        want = snapshot(ref)
        ref.save()
        assert_same(self, snapshot(self.spawn("--dir", d).client()), want)

    def test_nodes_of_any_size_load_whole(self):
        # Redis configured for 1,000-entry nodes (respite's default is 100): respite keeps
        # the file's node as it is, so XINFO (radix-tree keys and nodes included) is Redis's
        d = self.tmpdir()
        srv = RedisServer(redis74_path(), ["--dir", d, "--stream-node-max-entries", "1000",
                                           "--stream-node-max-bytes", "0"]).start()
        self.addCleanup(srv.stop)
        ref = srv.client()
        p = ref.pipeline(transaction=False)
        for i in range(450):
            p.xadd("big", {"n": i}, id="7-%d" % (i + 1))
        p.xdel("big", *["7-%d" % i for i in range(1, 450, 7)])
        p.execute()
        ref.xgroup_create("big", "g", id="0")
        ref.xreadgroup("g", "c", {"big": ">"}, count=20)
        want = stream_info(ref, "big")
        self.assertEqual(want[b"radix-tree-keys"], 1)
        ref.save()
        got = stream_info(self.spawn("--dir", d).client(), "big")
        self.assertEqual(got, want)

    def test_redis_refuses_member_ttls(self):
        r = self.server.client()
        r.flushall()
        r.execute_command("SADDEX", "s", "PXAT", FAR, "MEMBERS", 1, "m")
        d = self.tmpdir()
        path = save_to(r, d)
        check = os.path.join(os.path.dirname(redis74_path()), "redis-check-rdb")
        out = subprocess.run([check, path], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("Invalid object type: 200", out.stdout)


@unittest.skipUnless(shutil.which("redis-server"), "needs Debian's redis-server 7.0")
class FromRedis70(ServerTestCase):
    def test_respite_loads_what_redis_70_saves(self):
        d = tempfile.mkdtemp(prefix="respite-rdb-")
        self.addCleanup(shutil.rmtree, d, True)
        srv = RedisServer(None, ["--dir", d]).start()
        self.addCleanup(srv.stop)
        ref = srv.client()
        load_dataset(ref, field_ttls=False)
        want = snapshot(ref, field_ttls=False)
        ref.save()
        got = snapshot(self.spawn("--dir", d).client(), field_ttls=False)
        # Redis 7.0 has no listpack sets or lists: respite packs the small ones, as 7.4
        # does when it loads them
        for k, v in want.items():
            if k != "functions" and (v[0], v[1]) in (("set", b"hashtable"), ("list", b"quicklist")) and \
                    len(v[3]) <= 128 and got[k][1] == b"listpack":
                want[k] = (v[0], b"listpack") + v[2:]
        assert_same(self, got, want)


if __name__ == "__main__":
    main()
