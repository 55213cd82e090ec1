# SPDX-License-Identifier: BSD-3-Clause
"""SORT over the wire, side by side with redis-server 7.4.1 (harness.redis74_path; skipped
without it): what SORT ... STORE does to other clients -- the keyspace events (`sortstore`,
`del` for an empty result, `new`, `keymiss` of BY and GET keys; the keyspace hits and misses
of their lookups), a WATCH of the destination failing EXEC (and not for a
destination that stays absent), a client blocked in BLPOP/BRPOP on the destination woken
with its first element (after EXEC inside MULTI) -- a set sorted by `BY nosort` inside a
script (ALPHA then, as Redis), and bad or extreme input: huge LIMITs, 10,000 GETs, long and
binary patterns and elements, 100,000-element lists with all weights equal. The server is
alive after each.
"""
import hashlib
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RespConn, RespError, RespiteAndRedis, encode, main,  # noqa: E402
                     redis74_path, wait_blocked)

MAX = "9223372036854775807"
MIN = "-9223372036854775808"


def conn(srv, timeout=30):
    return RespConn(socket.create_connection((HOST, srv.port), timeout=timeout))


def norm(reply):
    """A reply as comparable data: errors as their text."""
    if isinstance(reply, RespError):
        return "ERR:" + str(reply)
    if isinstance(reply, list):
        return [norm(r) for r in reply]
    return reply


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class SortOverTheWire(RespiteAndRedis):
    reference_binary = redis74_path()

    def on_both(self, fn):
        """fn(server) on redis-server 7.4, then on respite, each flushed first."""
        out = []
        for srv in (self.reference, self.respite):
            c = conn(srv)
            try:
                self.assertEqual(c.cmd("FLUSHALL"), b"OK")
            finally:
                c.close()
            out.append(fn(srv))
        return out

    def test_store_publishes_sortstore_del_and_new(self):
        def script(srv):
            c, sub = conn(srv), conn(srv)
            try:
                self.assertEqual(c.cmd("CONFIG", "SET", "notify-keyspace-events", "KEAnm"), b"OK")
                sub.cmd("PSUBSCRIBE", "__key*__:*")
                c.cmd("RPUSH", "src", "3", "1", "2")
                c.cmd("SORT", "src", "STORE", "dst")          # new, sortstore
                c.cmd("SORT", "src", "DESC", "STORE", "dst")  # sortstore over a list
                c.cmd("SET", "str", "x", "EX", "100")
                c.cmd("SORT", "src", "STORE", "str")          # over a string with a TTL
                c.cmd("SORT", "nosuch", "STORE", "dst")       # empty: del
                c.cmd("SORT", "nosuch", "STORE", "dst")       # nothing to delete: no event
                c.cmd("SORT", "src", "LIMIT", "0", "0", "STORE", "str")
                c.cmd("SORT", "src")                          # a read: no event
                c.cmd("SET", "w_1", "5")
                c.cmd("SORT", "src", "BY", "w_*", "GET", "w_*")  # keymiss of w_2, w_3
                c.cmd("PUBLISH", "__keyspace@0__:end", "end")
                events = []
                while True:
                    m = sub.reply()
                    if m[2] == b"__keyspace@0__:end":
                        break
                    events.append(m[2:])
                c.cmd("CONFIG", "SET", "notify-keyspace-events", "")
                # Every BY and GET lookup counts as a keyspace hit or miss.
                stats = c.cmd("INFO", "stats").decode().split("\r\n")
                counts = [x for x in stats if x.startswith(("keyspace_hits:", "keyspace_misses:"))]
                return events, counts
            finally:
                c.close()
                sub.close()
        want, got = self.on_both(script)
        self.assertEqual(got, want)
        self.assertIn([b"__keyevent@0__:sortstore", b"dst"], want[0])
        self.assertIn([b"__keyevent@0__:del", b"dst"], want[0])
        self.assertIn([b"__keyevent@0__:keymiss", b"w_2"], want[0])

    def test_store_fails_a_watch_of_its_destination(self):
        def script(srv):
            a, b = conn(srv), conn(srv)
            try:
                out = []
                b.cmd("RPUSH", "src", "2", "1")
                cases = [
                    (["SORT", "src", "STORE", "dst"], None),        # created
                    (["SORT", "src", "DESC", "STORE", "dst"], None),  # replaced
                    (["SORT", "nosuch", "STORE", "dst"], None),     # deleted
                    (["SORT", "nosuch", "STORE", "dst"], None),     # stays absent
                    (["SORT", "src"], None),                        # a read of src
                    (["SORT_RO", "src", "BY", "w_*", "GET", "dst"], None),
                ]
                for args, _ in cases:
                    a.cmd("WATCH", "dst", "src")
                    b.cmd(*args)
                    a.cmd("MULTI")
                    a.cmd("PING")
                    out.append((args, a.cmd("EXEC")))
                return out
            finally:
                a.close()
                b.close()
        want, got = self.on_both(script)
        self.assertEqual(got, want)
        self.assertIsNone(want[0][1])
        self.assertEqual(want[3][1], [b"PONG"])

    def test_store_wakes_a_client_blocked_on_the_destination(self):
        def script(srv):
            a, b, c = conn(srv), conn(srv), conn(srv)
            try:
                c.cmd("RPUSH", "src", "c", "a", "b")
                a.send(encode("BLPOP", "dst", "5"))
                wait_blocked(c, 1)
                b.send(encode("BRPOP", "dst", "5"))
                wait_blocked(c, 2)  # both blocked, in this order
                out = [c.cmd("SORT", "src", "ALPHA", "STORE", "dst"), a.reply(), b.reply(),
                       c.cmd("LRANGE", "dst", "0", "-1")]
                # Inside MULTI the waiter is served after EXEC, on the final list.
                a.send(encode("BLPOP", "dst2", "5"))
                wait_blocked(c, 1)
                c.cmd("MULTI")
                c.cmd("SORT", "src", "ALPHA", "STORE", "dst2")
                c.cmd("SORT", "src", "ALPHA", "DESC", "STORE", "dst2")
                out += [c.cmd("EXEC"), a.reply(), c.cmd("LRANGE", "dst2", "0", "-1")]
                return out
            finally:
                a.close()
                b.close()
                c.close()
        want, got = self.on_both(script)
        self.assertEqual(got, want)
        self.assertEqual(want[1], [b"dst", b"a"])
        self.assertEqual(want[5], [b"dst2", b"c"])

    def test_nosort_of_a_set_in_a_script_sorts_alpha(self):
        def script(srv):
            c = conn(srv)
            try:
                members = ["m%03d" % ((i * 37) % 300) for i in range(300)]  # a hash table
                c.cmd("SADD", "s", *members)
                body = "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'LIMIT', '5', '10')"
                return [c.cmd("EVAL", body, "1", "s"),
                        c.cmd("SORT", "s", "BY", "nosort", "STORE", "d"),
                        c.cmd("LRANGE", "d", "0", "4"),
                        len(c.cmd("SORT", "s", "BY", "nosort"))]
            finally:
                c.close()
        want, got = self.on_both(script)
        self.assertEqual(got, want)
        self.assertEqual(want[0][0], b"m005")

    def test_bad_and_extreme_input(self):
        def script(srv):
            c = conn(srv)
            try:
                out = []
                c.cmd("RPUSH", "l", *[str((i * 7919) % 1000) for i in range(1000)])
                c.cmd("MSET", *sum([["w_%d" % i, str(i % 3)] for i in range(0, 1000, 2)], []))
                for line in [
                        "SORT l LIMIT 0 " + MAX, "SORT l LIMIT " + MAX + " " + MAX,
                        "SORT l LIMIT " + MIN + " " + MIN, "SORT l LIMIT 990 " + MIN,
                        "SORT l BY w_* LIMIT 500 " + MAX, "SORT l BY w_* ALPHA LIMIT 3 7",
                        "SORT l BY w_* ALPHA DESC LIMIT 100 50", "SORT l BY nosort LIMIT -1 -1",
                        "SORT l LIMIT 1 99999999999999999999", "SORT l LIMIT 1.5 2",
                        "SORT l BY w_* LIMIT 0 10 LIMIT 5 5", "SORT l STORE", "SORT l BY",
                        "SORT l LIMIT 0", "SORT_RO l STORE x", "SORT l GET # GET",
                        "SORT l ALPHA DESC ASC LIMIT 0 3"]:
                    out.append((line, norm(c.cmd(*line.split()))))
                # 10,000 GETs of one element.
                c.cmd("RPUSH", "one", "x")
                c.cmd("SET", "k_x", "v")
                args = ["SORT", "one"] + ["GET", "k_*", "GET", "#"] * 5000
                out.append(norm(c.cmd(*args))[:4])
                # Long and binary patterns and elements.
                big = "e" * 100000
                c.cmd("RPUSH", "b", big, "a\x00b", "\xff\xfe")
                c.cmd("SET", "p_" + big, "3")
                c.cmd("SET", "p_a\x00b", "1")
                c.cmd("SET", "q\x00_a\x00b", "9")
                for args in (["SORT", "b", "BY", "p_*"], ["SORT", "b", "BY", "p_*", "GET", "p_*"],
                             ["SORT", "b", "ALPHA"], ["SORT", "b", "BY", "q\x00_*", "ALPHA"],
                             ["SORT", "b", "BY", "x" * 100000 + "*", "GET", "#", "GET",
                              "p_*->" + "f" * 1000]):
                    out.append(hashlib.sha1(repr(norm(c.cmd(*args))).encode()).hexdigest())
                # 100,000 elements, all weights equal, sorted with and without LIMIT.
                pipe = b"".join(encode("RPUSH", "h", *["x%d" % ((i * 7) % 100000)
                                                      for i in range(j, j + 10000)])
                                for j in range(0, 100000, 10000))
                c.send(pipe)
                for _ in range(10):
                    c.reply()
                for args in (["SORT", "h", "BY", "nothing_*", "ALPHA", "LIMIT", "50000", "10"],
                             ["SORT", "h", "BY", "nothing_*", "ALPHA"],
                             ["SORT", "h", "BY", "nothing_*"], ["SORT", "h", "ALPHA", "DESC"],
                             ["SORT", "h", "BY", "nothing_*", "ALPHA", "STORE", "hs"],
                             ["LRANGE", "hs", "49995", "50004"]):
                    out.append(hashlib.sha1(repr(norm(c.cmd(*args))).encode()).hexdigest())
                return out
            finally:
                c.close()
        want, got = self.on_both(script)
        for w, g in zip(want, got):
            self.assertEqual(g, w)
        self.assertEqual(len(got), len(want))


if __name__ == "__main__":
    main()
