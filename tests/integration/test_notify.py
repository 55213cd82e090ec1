# SPDX-License-Identifier: BSD-3-Clause
"""Keyspace notifications, compared event for event with Redis 7.4.

Compatibility: a scripted sequence covering every command that publishes an event (strings,
keys, hashes with field TTLs, lists, sets, sorted sets, streams, lazy and active expiry of keys and hash
fields, two databases) runs on respite and on redis-server 7.4.1 (harness.redis74_path;
skipped without it) under several notify-keyspace-events flag sets, with a subscriber on
PSUBSCRIBE '__key*__:*'. After each command the commanding connection publishes a marker on
a channel the pattern matches, so the subscriber's stream splits exactly at each command:
every command's reply and the events it caused (channel, message, order, count) must be
equal. CONFIG GET/SET of the flags (parsing, printing, errors), a RESP3 client receiving its
own events after its replies, and the config-file option are compared too.

Then respite alone: the set-member TTL commands (sexpire, spersist, sexpired and del, class
s) and Redis 8.0's HSETEX / HGETEX / HGETDEL, a redis-py worker that deletes a session's data
on the `expired` event of its session key, and `expired` events arriving within a few ms of
the deadlines (a timer armed for the next one, not the hz tick).
"""
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RedisServer, RespConn, RespError, Server,  # noqa: E402
                     ServerTestCase, encode, main, redis74_path, wait_blocked)
from test_pubsub import split_line  # noqa: E402

PATTERN = b"__key*__:*"
MARK = b"__keymark__:"  # matched by PATTERN: splits the event stream at each command

# One command a line (words split on spaces, double quotes allowed); "sleep <s>" waits, so
# that a key or field expires and both servers' active expiry reclaims it (or, after DEBUG
# SET-ACTIVE-EXPIRE 0, the next access does). Replies are compared too, so that the
# sequence is known to do the same on both, but for lines marked "?" (random replies).
# "&<command>" sends a (blocking) command on a second connection without waiting; "@" reads
# its reply there.
SCRIPT = r"""
SET s1 v
SET s1 v2 EX 100
SET s1 v3 KEEPTTL
SET s1 x NX
SET s1 x XX GET
SETNX s2 a
SETNX s2 b
SETEX s3 100 v
PSETEX s3 100000 v
GETSET s3 w
MSET m1 1 m2 2
MSETNX m1 1 m3 3
MSETNX m4 1 m5 5
APPEND s2 xyz
APPEND s4 new
APPEND s4 ""
SETRANGE s5 3 abc
SETRANGE s5 0 ""
SETRANGE s6 0 ""
SETRANGE s5 1 zz
SETBIT b1 7 1
SETBIT b1 7 1
SETBIT b1 6 0
SETBIT b1 20 0
SETBIT b1 7 0
SETBIT s5 1 1
SETBIT s5 1 0
SETBIT b1 -1 1
GETBIT b1 7
BITCOUNT b1
BITPOS b1 1
BITOP OR b2 b1 s5
BITOP AND b2 b1 nokey
BITOP AND b2 nokey nokey2
BITOP NOT b3 nokey
BITOP NOT b3 b1
BITFIELD b4 SET u8 0 0
BITFIELD b4 SET u8 0 0
BITFIELD b4 INCRBY u8 0 1 INCRBY u8 0 -1
BITFIELD b4 OVERFLOW SAT INCRBY u8 0 -5
BITFIELD b4 OVERFLOW FAIL INCRBY u8 40 300
BITFIELD b4 SET u8 100 0
BITFIELD b5 OVERFLOW FAIL SET u8 0 300
BITFIELD b5 GET u8 0
BITFIELD_RO b4 GET u8 0
BITFIELD b1 SET u64 0 1
INCR n1
INCRBY n1 5
DECR n1
DECRBY n1 2
INCRBYFLOAT n1 1.5
INCRBYFLOAT n2 2
GETDEL n2
GETDEL n2
GETEX s1 PX 50000
GETEX s1 PERSIST
GETEX s1 PERSIST
GETEX s1
GETEX s1 EXAT 1
GET nokey
EXPIRE s2 100
PEXPIRE s2 100 NX
EXPIREAT s2 4000000000 GT
PEXPIREAT s2 1
EXPIRE nokey 10
EXPIRE m1 -1
PERSIST m2
EXPIRE m2 100
PERSIST m2
DEL m2 m3 nokey m4
UNLINK m5
RENAME s3 r3
RENAME r3 r3
SET r4 x
RENAME r3 r4
RENAMENX r4 s4
RENAMENX r4 r5
COPY r5 c1
COPY r5 c1
COPY r5 c1 REPLACE
COPY r5 c2 DB 1
MOVE c1 1
MOVE c2 1
SWAPDB 0 1
SWAPDB 0 1
SELECT 1
SET d1 x
INCR d1
DEL d1 c2
SELECT 0
TYPE nokey
EXISTS nokey
TTL nokey
OBJECT ENCODING nokey
LRANGE nokey 0 -1
HGETALL nokey
SMEMBERS nokey
XLEN nokey
HSET h1 f1 v1 f2 v2
HSET h1 f1 v1
HSETNX h1 f3 v3
HSETNX h1 f3 v3
HMSET h1 f4 4
HINCRBY h1 f4 2
HINCRBYFLOAT h1 f4 0.5
HDEL h1 f4 nofield
HDEL h1 nofield
HGET h1 nofield
HEXPIRE h1 100 FIELDS 2 f1 nofield
HEXPIRE h1 100 NX FIELDS 1 f1
HPEXPIRE h1 200000 FIELDS 1 f2
HEXPIREAT h1 1 FIELDS 1 f3
HPERSIST h1 FIELDS 2 f1 f3
HPERSIST h1 FIELDS 1 f1
HSET h2 a 1
HPEXPIREAT h2 1 FIELDS 1 a
HSET h3 a 1 b 2
HPEXPIRE h3 50 FIELDS 1 a
sleep 0.4
HGETALL h3
HPEXPIRE h3 50 FIELDS 1 b
sleep 0.4
EXISTS h3
HDEL h1 f1 f2
LPUSH l1 a b c
RPUSH l1 d e
LPUSHX l1 f
RPUSHX l1 g
LPUSHX nol x
RPUSHX nol x
LINSERT l1 BEFORE a x
LINSERT l1 BEFORE nothere x
LSET l1 0 y
LREM l1 1 y
LREM l1 1 nothere
LTRIM l1 0 5
LTRIM l1 0 -1
LPOP l1
RPOP l1 2
LPOP nol
LMOVE l1 l2 LEFT RIGHT
RPOPLPUSH l1 l2
LMOVE l2 l2 LEFT LEFT
LMPOP 2 nol l1 RIGHT COUNT 1
LPOP l1 10
RPUSH l3 a
LMOVE l3 l4 RIGHT LEFT
BLPOP l4 0.01
RPUSH l3 a b
BRPOP l3 0.01
BLMOVE l3 l5 LEFT RIGHT 0.01
BLMPOP 0.01 1 l5 LEFT
RPUSH l6 a b c
LTRIM l6 5 10
SADD st1 a b c
SADD st1 a
SADD st1 1 2 3
SREM st1 a nothere
SREM st1 nothere
SMOVE st1 st2 b
SMOVE st1 st1 c
SMOVE st1 st2 nothere
SMOVE st2 st1 b
SADD st3 x y z
?SPOP st3
?SPOP st3 1
SADD sa 1 2 3
SADD sb 2 3 4
SINTERSTORE si sa sb
SUNIONSTORE su sa sb
SDIFFSTORE sd sa sb
SINTERSTORE si sa nokey
SINTERSTORE si sa nokey
SDIFFSTORE sd sa sa
SUNIONSTORE su nokey
SADD sp 1
SPOP sp 5
SADD sp2 a
SPOP sp2
SADD sr x
SREM sr x
XADD x1 1-1 f v
XADD x1 2-1 f v
XADD x1 MAXLEN 1 3-1 f v
XADD x2 NOMKSTREAM 1-1 f v
XTRIM x1 MAXLEN 0
XTRIM x1 MAXLEN 0
XADD x1 4-1 f v
XADD x1 5-1 f v
XDEL x1 4-1 99-1
XDEL x1 99-1
XSETID x1 10-1
XGROUP CREATE x1 g1 0
XGROUP CREATE x3 g1 $ MKSTREAM
XGROUP CREATECONSUMER x1 g1 alice
XGROUP CREATECONSUMER x1 g1 alice
XGROUP SETID x1 g1 0
XREADGROUP GROUP g1 bob COUNT 1 STREAMS x1 >
XREADGROUP GROUP g1 bob COUNT 1 STREAMS x1 >
XACK x1 g1 5-1
XCLAIM x1 g1 carol 0 5-1
XCLAIM x1 g1 carol 0 5-1
XAUTOCLAIM x1 g1 dave 0 0
XAUTOCLAIM x1 g1 dave 0 0
XADD x1 11-1 f v
XREADGROUP GROUP g1 erin STREAMS x1 >
XDEL x1 11-1
XAUTOCLAIM x1 g1 frank 0 0
XCLAIM x1 g1 gina 0 11-1
XGROUP DELCONSUMER x1 g1 alice
XGROUP DELCONSUMER x1 g1 nobody
XGROUP DESTROY x1 g1
XGROUP DESTROY x1 g1
ZADD z1 1 a 2 b 3 c
ZADD z1 1 a
ZADD z1 XX CH 5 a 9 nope
ZADD z1 NX 7 a
ZADD z1 GT 0 b
ZADD z1 INCR 2 c
ZADD z1 INCR NX 2 c
ZINCRBY z1 1.5 b
ZREM z1 nope
ZREM z1 a
ZADD z2 1 x 2 y 3 z 4 w
ZREMRANGEBYRANK z2 0 0
ZREMRANGEBYRANK z2 10 20
ZREMRANGEBYSCORE z2 3 3
ZREMRANGEBYLEX z2 - +
ZADD z3 0 a 0 b 0 c
ZREMRANGEBYLEX z3 [a [b
ZPOPMIN z3
ZPOPMIN z3
ZPOPMAX z9
ZADD z4 1 p 2 q
ZMPOP 2 z9 z4 MAX COUNT 5
ZADD z5 1 a 2 b
ZADD z6 2 b 3 c
ZUNIONSTORE zu 2 z5 z6
ZINTERSTORE zi 2 z5 z6
ZDIFFSTORE zd 2 z5 z6
ZINTERSTORE zi 2 z5 nokey
ZDIFFSTORE zd 2 z5 z5
ZRANGESTORE zr z5 0 0
ZRANGESTORE zr z5 5 9
ZRANGESTORE zr z5 5 9
RENAME z6 z7
&BZPOPMIN bz 5
ZADD bz 1 m 2 n
@
&BZMPOP 5 1 bz2 MIN
ZADD bz2 1 m
@
MULTI
SET t1 1
INCR t1
LPUSH t2 a
RENAME t2 t3
EXEC
EVAL "redis.call('SET', KEYS[1], 'x') redis.call('EXPIRE', KEYS[1], 100) return redis.call('DEL', KEYS[1])" 1 lua1
&BLPOP bl 5
RPUSH bl a
@
&BLMOVE bl2 bl3 LEFT RIGHT 5
LPUSH bl2 a b
@
XADD x5 1-1 f v
XGROUP CREATE x5 g2 $
&XREADGROUP GROUP g2 newc BLOCK 5000 STREAMS x5 >
XADD x5 2-1 f v
@
SET e1 v PX 50
sleep 0.4
DEBUG SET-ACTIVE-EXPIRE 0
SET e2 v PX 1
HSET h4 a 1 b 2
HPEXPIRE h4 1 FIELDS 1 a
SADD e4 m
sleep 0.05
GET e2
HGET h4 a
HPEXPIRE h4 1 FIELDS 1 b
sleep 0.05
HGET h4 b
EXPIRE e4 1
PEXPIRE e4 1
sleep 0.05
SCARD e4
DEBUG SET-ACTIVE-EXPIRE 1
SET e3 v EX 100
SET e3 v
DEL e3
FLUSHDB
"""

FLAG_SETS = ["KEA", "KA", "EA", "Eg", "E$lshzxetdn", "Kxn", "Kz", "KEAm", "KEA"]


def run_script(port, flags, script):
    """[(line, reply, [(channel, message)...])] of script on the server at port, with
    notify-keyspace-events set to flags and a subscriber on PATTERN."""
    sub = RespConn(socket.create_connection((HOST, port), timeout=10))
    c = RespConn(socket.create_connection((HOST, port), timeout=10))
    blocked = RespConn(socket.create_connection((HOST, port), timeout=10))
    out = []
    try:
        assert sub.cmd(b"PSUBSCRIBE", PATTERN)[0] == b"psubscribe"
        assert c.cmd(b"FLUSHALL") == b"OK"
        assert c.cmd(b"CONFIG", b"SET", b"notify-keyspace-events", flags) == b"OK"
        in_multi = False
        for i, line in enumerate(script.strip().splitlines()):
            if line.startswith("sleep "):
                time.sleep(float(line.split()[1]))
                reply = None
            elif line.startswith("&"):
                blocked.send(encode(*split_line(line[1:])))
                wait_blocked(c, 1)  # it runs (and blocks) before the marker
                reply = None
            elif line == "@":
                reply = blocked.reply()
            else:
                reply = c.cmd(*split_line(line.lstrip("?")))
                if isinstance(reply, RespError):
                    reply = str(reply)
                if line.startswith("?"):
                    reply = "?"
            word = line.split(" ", 1)[0].upper()
            in_multi = (in_multi or word == "MULTI") and word != "EXEC"
            if in_multi:  # a marker would be queued too: EXEC's line gets the events
                out.append((line, reply, []))
                continue
            mark = MARK + str(i).encode()
            c.cmd(b"PUBLISH", mark, b"")
            events = []
            while True:
                kind, pat, chan, msg = sub.reply()
                assert kind == b"pmessage" and pat == PATTERN, (kind, pat)
                if chan == mark:
                    break
                events.append((chan, msg))
            out.append((line, reply, events))
        c.cmd(b"CONFIG", b"SET", b"notify-keyspace-events", b"")
    finally:
        sub.close()
        c.close()
        blocked.close()
    return out


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class CompatWithRedis74(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer(redis74_path(), ("--enable-debug-command", "yes")).start()
        try:
            cls.respite = Server().start()
        except BaseException:
            cls.redis.stop()  # tearDownClass does not run after a failed setUpClass
            raise

    @classmethod
    def tearDownClass(cls):
        cls.respite.stop()
        cls.redis.stop()

    def compare(self, flags, script=SCRIPT):
        want = run_script(self.redis.port, flags, script)
        got = run_script(self.respite.port, flags, script)
        self.assertEqual(len(got), len(want))
        nevents = 0
        for w, g in zip(want, got):
            self.assertEqual(g, w, "flags %r, after %r" % (flags, w[0]))
            nevents += len(w[2])
        self.respite.assert_alive()
        return nevents

    def test_every_command_under_every_flag_set(self):
        counts = {f: self.compare(f) for f in FLAG_SETS}
        self.assertGreater(counts["KEA"], 300)  # the script does publish
        self.assertEqual(counts["KEA"], 2 * counts["KA"])
        self.assertGreaterEqual(counts["Kz"], 24)  # the sorted-set commands publish

    def test_off_publishes_nothing(self):
        self.assertEqual(self.compare(""), 0)
        self.assertEqual(self.compare("A"), 0)  # classes without K or E go nowhere
        self.assertEqual(self.compare("KE"), 0)  # K and E without a class

    def test_config_parsing_and_printing(self):
        values = ["KEA", "g$lshzxetd", "g$lshzxet", "nxedtzhsl$g", "mEKnd", "AAn", "Ex", "",
                  "Q", "KEAq", "A K", "n", "dn", "$", "KE", "Kd"]
        out = {}
        for name, port in (("redis", self.redis.port), ("respite", self.respite.port)):
            c = RespConn(socket.create_connection((HOST, port), timeout=10))
            seen = []
            for v in values:
                r = c.cmd(b"CONFIG", b"SET", b"notify-keyspace-events", v.encode())
                seen.append((v, str(r) if isinstance(r, RespError) else r,
                             c.cmd(b"CONFIG", b"GET", b"notify-keyspace-events")))
            c.cmd(b"CONFIG", b"SET", b"notify-keyspace-events", b"")
            c.close()
            out[name] = seen
        self.assertEqual(out["respite"], out["redis"])

    def test_resp3_client_gets_its_own_events_after_its_replies(self):
        script = "SET k v\nLPUSH l a\nDEL k l\n"
        out = {}
        for name, port in (("redis", self.redis.port), ("respite", self.respite.port)):
            c = socket.create_connection((HOST, port), timeout=10)

            def until(end):
                """What c receives until it ends with end (waited for, not slept)."""
                got = b""
                while not got.endswith(end):
                    chunk = c.recv(1 << 16)
                    assert chunk, got
                    got += chunk
                return got

            c.sendall(encode(b"HELLO", b"3") + encode(b"CONFIG", b"SET",
                                                      b"notify-keyspace-events", b"KEA"))
            until(b"+OK\r\n")
            c.sendall(encode(b"PSUBSCRIBE", b"__keyspace@0__:*"))
            data = b""
            # Each line then a PING: its +PONG comes after all the line brought.
            for line in script.splitlines():
                c.sendall(encode(*split_line(line)) + encode(b"PING"))
                data += until(b"+PONG\r\n")[:-len(b"+PONG\r\n")]
            c.sendall(encode(b"CONFIG", b"SET", b"notify-keyspace-events", b""))
            c.close()
            out[name] = data
        self.assertIn(b">4\r\n$8\r\npmessage", out["redis"])
        self.assertEqual(out["respite"], out["redis"])

    def test_config_file_option(self):
        s = Server(config='port 0\nbind 127.0.0.1\nnotify-keyspace-events "Ex"\n').start()
        try:
            c = RespConn(s.connect())
            self.assertEqual(c.cmd(b"CONFIG", b"GET", b"notify-keyspace-events"),
                             [b"notify-keyspace-events", b"xE"])
            c.close()
        finally:
            s.stop()


# respite's own commands and Redis 8.0's hash commands, which Redis 7.4 lacks: the events
# README documents, after each line.
OWN_SCRIPT = [
    ("SADD s a b c", [b"sadd"]),
    ("SEXPIRE s 100 MEMBERS 2 a nothere", [b"sexpire"]),
    ("SEXPIRE s 100 NX MEMBERS 1 a", []),
    ("SPERSIST s MEMBERS 2 a b", [b"spersist"]),
    ("SPERSIST s MEMBERS 1 a", []),
    ("SPEXPIRE s 1 MEMBERS 1 b", [b"sexpire"]),
    ("sleep 0.2", [b"sexpired"]),
    ("SEXPIREAT s 1 MEMBERS 1 c", [b"srem"]),
    ("SPEXPIRE s 1 MEMBERS 1 a", [b"sexpire"]),
    ("sleep 0.2", [b"sexpired", b"del"]),
    ("SADDEX s2 EX 100 MEMBERS 2 x y", [b"sadd", b"sexpire"]),
    ("SADDEX s2 MNX MEMBERS 1 x", []),
    ("SADDEX s2 KEEPTTL MEMBERS 1 z", [b"sadd"]),
    ("SADDEX s2 PXAT 1 MEMBERS 2 x y", [b"srem"]),
    ("SADDEX s2 PXAT 1 MEMBERS 1 z", [b"srem", b"del"]),
    ("DEBUG SET-ACTIVE-EXPIRE 0", []),
    ("SADDEX s3 PX 1 MEMBERS 1 m", [b"sadd", b"sexpire"]),
    ("sleep 0.05", []),
    ("SCARD s3", [b"sexpired", b"del"]),
    ("DEBUG SET-ACTIVE-EXPIRE 1", []),
    ("HSETEX h EX 100 FIELDS 2 a 1 b 2", [b"hset", b"hexpire"]),
    ("HSETEX h FIELDS 1 c 3", [b"hset"]),
    ("HSETEX h FNX FIELDS 1 c 3", []),
    ("HGETEX h PERSIST FIELDS 1 a", [b"hpersist"]),
    ("HGETEX h PX 100000 FIELDS 1 a", [b"hexpire"]),
    ("HGETEX h PXAT 1 FIELDS 1 a", [b"hdel"]),
    ("HSETEX h PXAT 1 FIELDS 1 b 2", [b"hdel"]),
    ("HGETDEL h FIELDS 2 c nofield", [b"hdel", b"del"]),
]


class OwnCommands(ServerTestCase):
    def test_set_member_ttl_and_hash_field_commands(self):
        script = "\n".join(line for line, _ in OWN_SCRIPT)
        out = run_script(self.server.port, "KA", script)
        # A deadline of a millisecond may pass before the command's marker is
        # published (a loaded machine): its events are checked with those of
        # the sleep after it, as one.
        want_groups, got_groups = [], []
        for (line, want), (_, reply, events) in zip(OWN_SCRIPT, out):
            self.assertNotIsInstance(reply, str if line.startswith("sleep") else RespError)
            got = [msg for _, msg in events]
            if line.startswith("sleep") and want_groups:
                want_groups[-1][1].extend(want)
                got_groups[-1].extend(got)
            else:
                want_groups.append((line, list(want)))
                got_groups.append(got)
        for (line, want), got in zip(want_groups, got_groups):
            self.assertEqual(got, want, line)

    def test_classes_filter_the_set_events(self):
        script = "SADD s a\nSPEXPIRE s 1 MEMBERS 1 a\nsleep 0.2\nSADD s b\n"
        for flags, want in (("Kh", []), ("Kg", [b"del"]), ("Ks", [b"sadd", b"sexpire",
                                                                 b"sexpired", b"sadd"])):
            out = run_script(self.server.port, flags, script)
            self.assertEqual([m for _, _, ev in out for _, m in ev], want, flags)


class SessionCleanupWorker(ServerTestCase):
    """A redis-py worker that deletes a session's data when its key's `expired` event
    arrives, as a dashboard's worker does."""

    def test_worker_cleans_up_after_expired_sessions(self):
        r = self.server.client()
        r.config_set("notify-keyspace-events", "Ex")
        cleaned, done = [], threading.Event()
        nsessions = 20

        def worker():
            w = self.server.client()
            p = w.pubsub()
            p.psubscribe("__keyevent@0__:expired")
            p.get_message(timeout=5)  # the confirmation
            ready.set()
            while len(cleaned) < nsessions:
                m = p.get_message(timeout=5)
                if m is None:
                    break
                key = m["data"].decode()
                if key.startswith("session:") and key.count(":") == 1:
                    w.delete(key + ":data", key + ":cursor")
                    cleaned.append(key)
            p.close()
            done.set()

        ready = threading.Event()
        t = threading.Thread(target=worker, daemon=True)
        t.start()
        self.assertTrue(ready.wait(5))
        for i in range(nsessions):
            pipe = r.pipeline()
            pipe.set("session:%d" % i, "user:%d" % i, px=50 + 10 * i)
            pipe.hset("session:%d:data" % i, mapping={"step": 3, "doc": "d%d" % i})
            pipe.set("session:%d:cursor" % i, "12:40")
            pipe.execute()
        r.set("session:keep", "v")  # no TTL: never cleaned
        self.assertTrue(done.wait(10))
        t.join(5)
        self.assertEqual(sorted(cleaned), sorted("session:%d" % i for i in range(nsessions)))
        self.assertEqual(r.keys("session:*"), [b"session:keep"])

    def expired_event_delays(self):
        """The delays (ms, sorted) of the `expired` events of 40 keys past deadlines 7 ms
        apart, after their deadlines."""
        r = self.server.client()
        r.config_set("notify-keyspace-events", "Ex")
        p = self.server.client().pubsub()
        p.subscribe("__keyevent@0__:expired")
        p.get_message(timeout=5)
        start = time.time() * 1000
        deadlines = {}
        for i in range(40):
            when = int(start) + 200 + 7 * i
            r.set("k%d" % i, "v", pxat=when)
            deadlines[b"k%d" % i] = when
        delays = []
        while len(delays) < len(deadlines):
            m = p.get_message(timeout=5)
            self.assertIsNotNone(m, "only %d expired events" % len(delays))
            delays.append(time.time() * 1000 - deadlines[m["data"]])
        p.close()
        delays.sort()
        self.assertGreaterEqual(delays[0], 0)
        return delays

    def test_expired_events_leave_on_time(self):
        # Reclaimed at the deadline (a timer armed for it), not at the next hz tick
        # (100 ms apart, a median of 50 ms): a few ms even in the sanitizer build. Measured
        # again (three runs at most) when the median missed 30 ms: a loaded machine delays
        # a run now and then, a server that waits for the tick misses it every run.
        runs = []
        for _ in range(3):
            runs.append(self.expired_event_delays())
            if runs[-1][len(runs[-1]) // 2] < 30:
                return
        self.fail("median delay not under 30 ms in any run: %s" % runs)


if __name__ == "__main__":
    main()
