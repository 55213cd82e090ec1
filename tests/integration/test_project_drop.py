# SPDX-License-Identifier: BSD-3-Clause
"""PROJECT DROP <id>: every key of a project, in every database, gone at once.

What a client can see: the reply (the keys dropped) comes at once however big the
project, and other clients' PINGs are answered while the server frees it in background
slices; DBSIZE, INFO keyspace, PROJECT LIST and INFO forget it at once; its keys' TTLs
and its hash fields' and set members' TTLs never fire later; a WATCH of one of its keys
fails the EXEC; a BLPOP on one of its keys keeps waiting (as after DEL) and is served by
a later LPUSH, a blocked XREADGROUP gets the error a DEL of its stream gives; tracking
clients are told as for a flush; one project_drop event; a SCAN in progress goes on;
the append-only file replays the drop, and an RDB file written after lacks the keys.
"""
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RespError, ServerTestCase, encode, info_fields, main, wait_blocked  # noqa: E402

DRAIN_TIMEOUT = 60.0
BIG = 100000
# Loose bounds, for the sanitizer build on a loaded 2-core machine (there, with a load
# average of 9, the longest PING while BIG keys were freed took 23 to 64 ms, the reply
# 0.4 to 6 ms). The release figures for 1,000,000 keys are in the README.
REPLY_MAX = 0.25   # s, the caller's reply to the drop of BIG keys
PING_MAX = 0.25    # s, the longest PING of another client while the keys are freed


class ProjectDrop(ServerTestCase):

    def setUp(self):
        self.c = self.server.conn()
        self.addCleanup(self.c.close)
        self.c.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        self.assertEqual(self.c.cmd("FLUSHALL"), b"OK")
        self.wait_drained()

    def info(self, section):
        return info_fields(self.c.cmd("INFO", section))

    def wait_drained(self):
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while int(self.info("memory")["lazyfree_pending_objects"]) > 0:
            self.assertLess(time.monotonic(), deadline, "still freeing")
            time.sleep(0.01)

    def fill(self, pid, n, first=0, batch=1000):
        """n keys project:<pid>:k<i>, MSET batch at a time, pipelined."""
        data = []
        for start in range(first, first + n, batch):
            args = ["MSET"]
            for i in range(start, min(first + n, start + batch)):
                args += ["project:%s:k%d" % (pid, i), "v%d" % i]
            data.append(encode(*args))
        self.c.send(b"".join(data))
        for _ in data:
            self.assertEqual(self.c.reply(), b"OK")

    def test_one_key_project_and_arguments(self):
        c = self.c
        self.assertEqual(c.cmd("SET", "project:a:k", "v"), b"OK")
        self.assertEqual(c.cmd("SET", "project:{b}:k", "v", "PX", "100000"), b"OK")
        self.assertEqual(c.cmd("SET", "g", "v"), b"OK")
        self.assertEqual(c.cmd("PROJECT", "DROP", "a"), 1)
        self.assertEqual(c.cmd("PROJECT", "DROP", "b"), 1)
        self.assertEqual(c.cmd("PROJECT", "DROP", "a"), 0)
        self.assertEqual(c.cmd("DBSIZE"), 1)
        self.assertEqual(self.info("keyspace")["db0"], "keys=1,expires=0,avg_ttl=0,subexpiry=0")
        self.assertEqual(c.cmd("PROJECT", "LIST"), [])
        err = RespError("ERR wrong number of arguments for 'project|drop' command")
        self.assertEqual(c.cmd("PROJECT", "DROP"), err)
        self.assertEqual(c.cmd("PROJECT", "DROP", "a", "b"), err)

    def test_big_project_reply_is_quick_and_others_are_served_while_it_is_freed(self):
        c = self.c
        self.fill("keep", 10)
        self.assertEqual(c.cmd("PEXPIRE", "project:keep:k0", "100000"), 1)
        self.fill("big", BIG)
        # TTLs of keys, hash fields and set members, due soon after the drop.
        self.c.send(b"".join(encode("PEXPIRE", "project:big:k%d" % i, "300")
                             for i in range(1000)))
        for _ in range(1000):
            self.assertEqual(c.reply(), 1)
        self.assertEqual(c.cmd("HSET", "project:big:h", "f", "v", "g", "v"), 2)
        self.assertEqual(c.cmd("HPEXPIRE", "project:big:h", "300", "FIELDS", "1", "f"), [1])
        self.assertEqual(c.cmd("SADD", "project:big:s", "m", "n"), 2)
        self.assertEqual(c.cmd("SEXPIRE", "project:big:s", "1", "MEMBERS", "1", "m"), [1])
        self.assertEqual(self.info("keyspace")["db0"].split(",")[:2], ["keys=100012", "expires=1001"])
        stats = self.info("stats")

        stop = threading.Event()
        pings = []

        def pinger():
            p = self.server.conn()
            try:
                while not stop.is_set():
                    t0 = time.monotonic()
                    assert p.cmd("PING") == b"PONG"
                    pings.append(time.monotonic() - t0)
            finally:
                p.close()

        t = threading.Thread(target=pinger)
        t.start()
        try:
            time.sleep(0.05)
            t0 = time.monotonic()
            c.send(encode("PROJECT", "DROP", "big") + encode("INFO", "memory"))
            self.assertEqual(c.reply(), BIG + 2)
            took = time.monotonic() - t0
            # Behind the reply, before any background slice: detached, not freed.
            self.assertGreater(int(info_fields(c.reply())["lazyfree_pending_objects"]), 0)
            self.wait_drained()
            time.sleep(0.02)
        finally:
            stop.set()
            t.join()
        print("drop of %d keys: reply %.2f ms, longest of %d PINGs %.2f ms"
              % (BIG + 2, took * 1000, len(pings), max(pings) * 1000), file=sys.stderr)
        self.assertLess(took, REPLY_MAX)
        self.assertLess(max(pings), PING_MAX)

        self.assertEqual(c.cmd("DBSIZE"), 10)
        self.assertEqual(self.info("keyspace")["db0"].split(",")[:2], ["keys=10", "expires=1"])
        self.assertEqual(c.cmd("PROJECT", "LIST"), [b"keep"])
        self.assertEqual(c.cmd("PROJECT", "INFO", "big"),
                         [b"keys", 0, b"bytes", 0, b"expiring_keys", 0, b"commands", 0,
                          b"total_keys", 0, b"total_bytes", 0, b"maxmemory", 0, b"maxkeys", 0,
                          b"maxops", 0, b"delayed_commands", 0, b"refused_commands", 0])
        # Past every deadline of the dropped keys: none fires.
        time.sleep(1.2)
        after = self.info("stats")
        self.assertEqual(after["expired_keys"], stats["expired_keys"])
        self.assertEqual(after.get("expired_subkeys"), stats.get("expired_subkeys"))
        self.assertEqual(c.cmd("EXISTS", "project:big:k0", "project:big:h", "project:big:s"), 0)

    def test_watch_of_a_dropped_key_fails_the_exec(self):
        self.fill("w", 3)
        self.fill("other", 3)
        a, b = self.server.conn(), self.server.conn()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        self.assertEqual(a.cmd("WATCH", "project:w:k1"), b"OK")
        self.assertEqual(b.cmd("WATCH", "project:other:k1"), b"OK")
        self.assertEqual(self.c.cmd("PROJECT", "DROP", "w"), 3)
        for conn, want in ((a, None), (b, [b"OK"])):
            self.assertEqual(conn.cmd("MULTI"), b"OK")
            self.assertEqual(conn.cmd("SET", "x", "1"), b"QUEUED")
            self.assertEqual(conn.cmd("EXEC"), want)

    def test_blpop_on_a_dropped_key_keeps_waiting(self):
        self.fill("b", 5)
        w = self.server.conn()
        self.addCleanup(w.close)
        w.send(encode("BLPOP", "project:b:list", "0"))
        wait_blocked(self.c, 1)
        self.assertEqual(self.c.cmd("PROJECT", "DROP", "b"), 5)
        w.sock.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            w.sock.recv(1)
        w.sock.settimeout(10)
        self.assertEqual(int(self.info("clients")["blocked_clients"]), 1)
        self.assertEqual(self.c.cmd("LPUSH", "project:b:list", "v"), 1)
        self.assertEqual(w.reply(), [b"project:b:list", b"v"])

    def xreadgroup_after(self, drop):
        """The reply of an XREADGROUP blocked on a project's stream once drop() ran."""
        self.c.cmd("XADD", "project:x:s", "1-1", "f", "v")
        self.assertEqual(self.c.cmd("XGROUP", "CREATE", "project:x:s", "g", "$"), b"OK")
        w = self.server.conn()
        self.addCleanup(w.close)
        w.send(encode("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "project:x:s", ">"))
        wait_blocked(self.c, 1)
        drop()
        return w.reply()

    def test_xreadgroup_on_a_dropped_stream_gets_the_error_of_a_deleted_one(self):
        deleted = self.xreadgroup_after(lambda: self.c.cmd("DEL", "project:x:s"))
        self.assertIsInstance(deleted, RespError)
        dropped = self.xreadgroup_after(lambda: self.c.cmd("PROJECT", "DROP", "x"))
        self.assertEqual(dropped, deleted)

    def test_tracking_clients_are_told_as_for_a_flush(self):
        t = self.server.conn()
        self.addCleanup(t.close)
        t.cmd("HELLO", "3")
        self.assertEqual(t.cmd("CLIENT", "TRACKING", "on"), b"OK")
        self.fill("t", 2)
        self.assertEqual(t.cmd("GET", "project:t:k0"), b"v0")
        self.assertEqual(self.c.cmd("PROJECT", "DROP", "t"), 2)
        self.assertEqual(t.reply(), [b"invalidate", None])

    def test_one_keyspace_event(self):
        self.fill("n", 50)
        self.assertEqual(self.c.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA"), b"OK")
        sub = self.server.conn()
        self.addCleanup(sub.close)
        self.assertEqual(sub.cmd("PSUBSCRIBE", "__key*__:*"), [b"psubscribe", b"__key*__:*", 1])
        self.assertEqual(self.c.cmd("PROJECT", "DROP", "n"), 50)
        self.assertEqual(self.c.cmd("SET", "after", "v"), b"OK")
        self.assertEqual(sub.reply(), [b"pmessage", b"__key*__:*", b"__keyevent@0__:project_drop", b"n"])
        # Then the SET's events: no event per dropped key came between.
        self.assertEqual(sub.reply()[2], b"__keyspace@0__:after")

    def test_every_database_and_dirty(self):
        self.fill("d", 20)
        self.c.cmd("SELECT", "3")
        self.fill("d", 5)
        self.assertEqual(self.c.cmd("SET", "project:dd:k", "v"), b"OK")
        dirty = int(self.info("persistence")["rdb_changes_since_last_save"])
        self.assertEqual(self.c.cmd("PROJECT", "DROP", "d"), 25)
        self.assertEqual(int(self.info("persistence")["rdb_changes_since_last_save"]), dirty + 25)
        self.assertEqual(self.c.cmd("DBSIZE"), 1)
        self.c.cmd("SELECT", "0")
        self.assertEqual(self.c.cmd("DBSIZE"), 0)

    def test_scan_goes_on_across_drops(self):
        for p in range(20):
            self.fill(str(p), 50)
        seen, cursor, calls = set(), b"0", 0
        while True:
            cursor, keys = self.c.cmd("SCAN", cursor, "COUNT", "20")
            seen.update(keys)
            calls += 1
            if calls % 3 == 0:  # the odd projects go, one every third call
                self.c.cmd("PROJECT", "DROP", str(calls // 3 * 2 - 1))
            if cursor == b"0":
                break
        kept = {b"project:%d:k%d" % (p, i) for p in range(0, 20, 2) for i in range(50)}
        self.assertEqual(kept - seen, set())

    def test_aof_replays_the_drop(self):
        d = tempfile.mkdtemp(prefix="respite-drop-")
        self.addCleanup(shutil.rmtree, d, True)
        s = self.spawn("--dir", d, "--appendonly", "yes")
        c = s.conn()
        self.addCleanup(c.close)
        for i in range(100):
            self.assertEqual(c.cmd("SET", "project:p:k%d" % i, "v"), b"OK")
        self.assertEqual(c.cmd("SET", "project:q:k", "v"), b"OK")
        self.assertEqual(c.cmd("PROJECT", "DROP", "p"), 100)
        self.assertEqual(c.cmd("SET", "project:p:again", "v"), b"OK")
        c.close()
        s.stop()
        aof = os.path.join(d, "appendonlydir")
        incr = b"".join(open(os.path.join(aof, f), "rb").read()
                        for f in os.listdir(aof) if f.endswith(".incr.aof"))
        self.assertIn(encode("PROJECT", "DROP", "p"), incr)
        r = self.spawn("--dir", d, "--appendonly", "yes").conn()
        self.addCleanup(r.close)
        self.assertEqual(r.cmd("DBSIZE"), 2)
        self.assertEqual(sorted(r.cmd("KEYS", "*")), [b"project:p:again", b"project:q:k"])
        self.assertEqual(sorted(r.cmd("PROJECT", "LIST")), [b"p", b"q"])

    def test_rdb_written_after_lacks_the_keys(self):
        d = tempfile.mkdtemp(prefix="respite-drop-")
        self.addCleanup(shutil.rmtree, d, True)
        s = self.spawn("--dir", d)
        c = s.conn()
        self.addCleanup(c.close)
        for i in range(100):
            self.assertEqual(c.cmd("SET", "project:p:k%d" % i, "v", "EX", "1000"), b"OK")
        self.assertEqual(c.cmd("SET", "project:q:k", "v"), b"OK")
        # Saved while the shard may still be freeing in the background.
        c.send(encode("PROJECT", "DROP", "p") + encode("SAVE"))
        self.assertEqual(c.reply(), 100)
        self.assertEqual(c.reply(), b"OK")
        c.close()
        s.stop()
        r = self.spawn("--dir", d).conn()
        self.addCleanup(r.close)
        self.assertEqual(r.cmd("KEYS", "*"), [b"project:q:k"])
        self.assertEqual(info_fields(r.cmd("INFO", "keyspace"))["db0"],
                         "keys=1,expires=0,avg_ttl=0,subexpiry=0")


if __name__ == "__main__":
    main()
