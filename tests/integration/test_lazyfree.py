# SPDX-License-Identifier: BSD-3-Clause
"""Lazy freeing: UNLINK, FLUSHALL ASYNC and the lazyfree-lazy-* options of Redis 7.4.

A big value (more than 64 fields, members, list chunks or stream nodes, as Redis's
LAZYFREE_THRESHOLD) leaves the keyspace at once and is freed afterwards by the server's
background slices. What is checked is what a client can see, not how fast the machine
is: the deleting command's own reply and an INFO pipelined behind it (no background
slice can run between the two) show the value detached but not freed yet
(lazyfree_pending_objects 1, used_memory still holding it); then the pending count goes
to 0, lazyfreed_objects counts it, and used_memory comes back to exactly what it was
before the value was written. Small values are freed by the command itself.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ServerTestCase, encode, info_fields, main  # noqa: E402

N = 200000        # fields, members or elements of the big values
BATCH = 1000      # of them a command when filling
DRAIN_TIMEOUT = 30.0


class LazyFree(ServerTestCase):

    def setUp(self):
        self.c = self.server.conn()
        self.addCleanup(self.c.close)
        self.assertEqual(self.c.cmd("FLUSHALL"), b"OK")
        self.wait_drained()

    def mem(self):
        f = info_fields(self.c.cmd("INFO", "memory"))
        return (int(f["used_memory"]), int(f["lazyfree_pending_objects"]),
                int(f["lazyfreed_objects"]))

    def wait_drained(self):
        """used_memory and lazyfreed_objects once nothing is pending any more."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while True:
            used, pending, freed = self.mem()
            if pending == 0:
                return used, freed
            self.assertLess(time.monotonic(), deadline, "still %d pending" % pending)
            time.sleep(0.01)

    def fill(self, cmd, key, make, n=N):
        """Write n items to key, BATCH of them a command (make(i) -> the args of item i)."""
        data = []
        for start in range(0, n, BATCH):
            args = [cmd, key]
            for i in range(start, min(n, start + BATCH)):
                args.extend(make(i))
            data.append(encode(*args))
        self.c.send(b"".join(data))
        for _ in data:
            r = self.c.reply()
            self.assertIsInstance(r, int)

    def delete_pipelined(self, *cmd):
        """Run cmd and INFO memory in one write: the INFO runs right after the command,
        before any background slice. Returns cmd's reply and (used, pending, freed)."""
        self.c.send(encode(*cmd) + encode("INFO", "memory"))
        r = self.c.reply()
        f = info_fields(self.c.reply())
        return r, (int(f["used_memory"]), int(f["lazyfree_pending_objects"]),
                   int(f["lazyfreed_objects"]))

    def check_lazy(self, key, fill, delete=("UNLINK",)):
        base, freed0 = self.wait_drained()
        fill()
        full, _, _ = self.mem()
        self.assertGreater(full - base, N * 8)
        r, (used, pending, freed) = self.delete_pipelined(*delete, key)
        self.assertEqual(r, 1)
        # Detached but not freed yet: gone for readers, still in used_memory.
        self.assertEqual(pending, 1)
        self.assertEqual(freed, freed0)
        self.assertEqual(used, full)
        self.assertEqual(self.c.cmd("EXISTS", key), 0)
        after, freed1 = self.wait_drained()
        self.assertEqual(after, base)
        self.assertEqual(freed1, freed0 + 1)

    def test_unlink_of_a_big_hash_returns_before_freeing_it(self):
        self.check_lazy("h", lambda: self.fill("HSET", "h", lambda i: ("f%d" % i, "v")))

    def test_freeing_starts_at_once_not_at_the_next_cron_tick(self):
        # With hz 1 the periodic tick comes once a second. A key with a 1 ms TTL, which
        # only that tick's active expiry removes while nobody reads it, says when one
        # ran: the UNLINK right after it must not wait for the next.
        self.assertEqual(self.c.cmd("CONFIG", "SET", "hz", "1"), b"OK")
        base, _ = self.wait_drained()
        self.fill("HSET", "h", lambda i: ("f%d" % i, "v"))
        full, _, _ = self.mem()
        self.assertEqual(self.c.cmd("SET", "tick", "1", "PX", "1"), b"OK")
        deadline = time.monotonic() + 3
        while self.c.cmd("DBSIZE") == 2:
            self.assertLess(time.monotonic(), deadline, "no active expiry tick")
            time.sleep(0.005)
        self.assertEqual(self.c.cmd("UNLINK", "h"), 1)
        # The next tick is up to a second after the one just seen (less the polling
        # delay above): freeing done within 0.85 s cannot have waited for it.
        deadline = time.monotonic() + 0.85
        while self.mem()[0] >= full - (full - base) // 10:
            self.assertLess(time.monotonic(), deadline, "freeing waits for the next tick")
            time.sleep(0.01)

    def test_config_resetstat_zeroes_lazyfreed_objects(self):
        self.check_lazy("h", lambda: self.fill("HSET", "h", lambda i: ("f%d" % i, "v")))
        self.assertGreater(self.mem()[2], 0)
        self.assertEqual(self.c.cmd("CONFIG", "RESETSTAT"), b"OK")
        self.assertEqual(self.mem()[2], 0)

    def test_unlink_of_a_big_set_returns_before_freeing_it(self):
        self.check_lazy("s", lambda: self.fill("SADD", "s", lambda i: ("m%d" % i,)))

    def test_unlink_of_a_big_list_returns_before_freeing_it(self):
        self.check_lazy("l", lambda: self.fill("RPUSH", "l", lambda i: ("e%d" % i,)))

    def test_unlink_of_a_stream_with_pending_entries_returns_before_freeing_it(self):
        def fill():
            n = 20000  # 200 nodes and a pending list of 20000
            self.c.send(b"".join(encode("XADD", "st", "*", "f", "v") for _ in range(n)))
            for _ in range(n):
                self.c.reply()
            self.assertEqual(self.c.cmd("XGROUP", "CREATE", "st", "g", "0"), b"OK")
            self.c.cmd("XREADGROUP", "GROUP", "g", "alice", "COUNT", str(n), "STREAMS", "st", ">")
            self.assertEqual(self.c.cmd("XPENDING", "st", "g")[0], n)
        self.check_lazy("st", fill)

    def test_unlink_of_a_small_value_frees_it_at_once(self):
        base, freed0 = self.wait_drained()
        self.fill("HSET", "small", lambda i: ("f%d" % i, "v"), n=64)
        r, (used, pending, freed) = self.delete_pipelined("UNLINK", "small")
        self.assertEqual((r, used, pending, freed), (1, base, 0, freed0))

    def test_del_frees_at_once_unless_lazyfree_lazy_user_del(self):
        base, freed0 = self.wait_drained()
        self.fill("HSET", "h", lambda i: ("f%d" % i, "v"))
        r, (used, pending, freed) = self.delete_pipelined("DEL", "h")
        self.assertEqual((r, used, pending, freed), (1, base, 0, freed0))
        self.assertEqual(self.c.cmd("CONFIG", "SET", "lazyfree-lazy-user-del", "yes"), b"OK")
        self.addCleanup(self.c.cmd, "CONFIG", "SET", "lazyfree-lazy-user-del", "no")
        self.check_lazy("h", lambda: self.fill("HSET", "h", lambda i: ("f%d" % i, "v")),
                        delete=("DEL",))

    def test_overwrite_frees_in_the_background_under_lazyfree_lazy_server_del(self):
        self.assertEqual(self.c.cmd("CONFIG", "SET", "lazyfree-lazy-server-del", "yes"), b"OK")
        self.addCleanup(self.c.cmd, "CONFIG", "SET", "lazyfree-lazy-server-del", "no")
        base, freed0 = self.wait_drained()
        self.fill("HSET", "h", lambda i: ("f%d" % i, "v"))
        self.assertEqual(self.c.cmd("SET", "x", "1"), b"OK")
        r, (_, pending, _) = self.delete_pipelined("RENAME", "x", "h")
        self.assertEqual((r, pending), (b"OK", 1))
        self.assertEqual(self.c.cmd("GET", "h"), b"1")
        self.c.cmd("DEL", "h")
        self.assertEqual(self.wait_drained(), (base, freed0 + 1))

    def test_flushall_async_counts_every_key_and_frees_the_big_value_in_slices(self):
        base, freed0 = self.wait_drained()
        self.fill("HSET", "h", lambda i: ("f%d" % i, "v"))
        self.c.send(b"".join(encode("SET", "k%d" % i, "v") for i in range(99)))
        for _ in range(99):
            self.assertEqual(self.c.reply(), b"OK")
        full, _, _ = self.mem()
        r, (used, pending, freed) = self.delete_pipelined("FLUSHALL", "ASYNC")
        self.assertEqual((r, used, pending, freed), (b"OK", full, 100, freed0))
        self.assertEqual(self.c.cmd("DBSIZE"), 0)
        self.assertEqual(self.wait_drained(), (base, freed0 + 100))

    def test_flushall_follows_lazyfree_lazy_user_flush_and_sync_overrides_it(self):
        self.assertEqual(self.c.cmd("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"), b"OK")
        self.addCleanup(self.c.cmd, "CONFIG", "SET", "lazyfree-lazy-user-flush", "no")
        base, _ = self.wait_drained()
        self.fill("HSET", "h", lambda i: ("f%d" % i, "v"))
        _, (_, pending, _) = self.delete_pipelined("FLUSHDB")
        self.assertEqual(pending, 1)
        self.wait_drained()
        self.fill("HSET", "h", lambda i: ("f%d" % i, "v"))
        _, (used, pending, _) = self.delete_pipelined("FLUSHDB", "SYNC")
        self.assertEqual((used, pending), (base, 0))

    def test_expired_big_value_is_freed_in_the_background_under_lazyfree_lazy_expire(self):
        self.assertEqual(self.c.cmd("CONFIG", "SET", "lazyfree-lazy-expire", "yes"), b"OK")
        self.addCleanup(self.c.cmd, "CONFIG", "SET", "lazyfree-lazy-expire", "no")
        base, freed0 = self.wait_drained()
        self.fill("HSET", "h", lambda i: ("f%d" % i, "v"))
        r, (_, pending, _) = self.delete_pipelined("PEXPIRE", "h", "0")
        self.assertEqual((r, pending), (1, 1))
        self.assertEqual(self.wait_drained(), (base, freed0 + 1))

    def test_a_detached_value_leaves_its_project_at_once(self):
        self.fill("HSET", "project:7:h", lambda i: ("f%d" % i, "v"))
        self.assertEqual(self.c.cmd("SET", "project:7:k", "v"), b"OK")
        self.c.send(encode("UNLINK", "project:7:h") + encode("PROJECT", "INFO", "7") +
                    encode("INFO", "memory"))
        self.assertEqual(self.c.reply(), 1)
        info = self.c.reply()
        pending = int(info_fields(self.c.reply())["lazyfree_pending_objects"])
        self.assertEqual(pending, 1)
        got = dict(zip(info[::2], info[1::2]))
        self.assertEqual(got[b"keys"], 1)
        self.assertLess(got[b"bytes"], 200)  # the small string only

    def test_config_get_lists_the_lazyfree_options_of_redis_7_4(self):
        got = self.c.cmd("CONFIG", "GET", "*lazy*")
        got = dict(zip(got[::2], got[1::2]))
        self.assertEqual(got, {
            b"lazyfree-lazy-user-del": b"no", b"lazyfree-lazy-user-flush": b"no",
            b"lazyfree-lazy-expire": b"no", b"lazyfree-lazy-server-del": b"no",
            b"lazyfree-lazy-eviction": b"no", b"replica-lazy-flush": b"no",
            b"slave-lazy-flush": b"no"})

    def test_shutdown_frees_what_is_still_queued(self):
        # The server of this test stops with values queued; a leak would fail it
        # (LeakSanitizer in the test build).
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        data = [encode("HSET", "h", *[x for i in range(j, j + BATCH)
                                      for x in ("f%d" % i, "v")])
                for j in range(0, N, BATCH)]
        c.send(b"".join(data))
        for _ in data:
            c.reply()
        # Freeing 200000 fields takes the background many 1 ms slices: the SHUTDOWN
        # right behind the UNLINK finds most of them queued.
        self.assertEqual(c.cmd("UNLINK", "h"), 1)
        c.send(encode("SHUTDOWN", "NOSAVE"))
        srv.wait_exit(0)


if __name__ == "__main__":
    main()
