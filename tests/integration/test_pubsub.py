# SPDX-License-Identifier: BSD-3-Clause
"""Pub/Sub over real connections, compared byte for byte with Redis 7.4.

Compatibility: scripted sequences over several connections (RESP2 and RESP3: subscribe
and unsubscribe confirmations with their counts, message / pmessage / smessage, pushes
interleaved with ordinary replies on the same connection, UNSUBSCRIBE without arguments,
the RESP2 subscribed-mode errors, PING while subscribed, RESET, MULTI/EXEC with SUBSCRIBE,
PUBSUB and its subcommands) run on respite and on redis-server 7.4.1 (harness.redis74_path;
skipped without it). After each step, everything each connection received is read until
the connection stays quiet, and the bytes must be equal.

Then respite alone: CLIENT LIST / CLIENT INFO fields (sub= psub= ssub=, flag P), INFO's
pubsub gauges, CLIENT LIST TYPE pubsub and CLIENT KILL TYPE pubsub, the pubsub output
class (a subscriber that never reads while 10,000 messages of 4 kB are published is
closed at the limit; the publisher and another subscriber are unaffected), the idle
timeout that spares subscribers, 100,000 subscriptions on one connection then a
disconnect (the ASan build would report a leak at exit), pathological glob patterns, and
delivery while the server is busy with another client's pipeline (what a transport that
coalesced a subscriber's pushes over loop turns would have to keep): a message on an idle or
busy server arrives within milliseconds, a killed subscriber is closed at once, and pushes
(messages, keyspace events) keep their order with a RESP3 client's own replies.
"""
import os
import re
import select
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, SOCK_TIMEOUT, RedisServer, RespConn, Server,  # noqa: E402
                     ServerTestCase, encode, main, read_until_closed, redis74_path)

QUIET = 0.05  # a connection that sends nothing for this long has said everything


def drain(sock, quiet=QUIET, limit=5.0, answer=False):
    """Bytes the peer sends until it is quiet for `quiet` s (bounded by `limit`). With
    answer (the peer owes a reply), the quiet period starts only once the first bytes came
    (waited for up to SOCK_TIMEOUT): a loaded server may take longer than `quiet` to
    answer at all."""
    data = b""
    if answer:
        select.select([sock], [], [], SOCK_TIMEOUT)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], quiet)
        if not r:
            break
        chunk = sock.recv(1 << 16)
        if not chunk:
            data += b"<closed>"
            break
        data += chunk
    return data


# Each script: lines "<conn> <command words>"; conn is a letter (a new connection on first
# use). Every line's output, on every connection, is compared. A line marked "~" is an
# UNSUBSCRIBE without arguments of several names, which Redis leaves in its (seeded) hash
# order: its confirmations are compared as a multiset of names and a sequence of counts.
SCRIPTS = {
    "resp2_basics": """
a SUBSCRIBE c1 c2 c1
a PING
a PING hi
a GET x
a ECHO x
a MULTI
a CLIENT INFO
a HELLO 3
a PUBSUB NUMSUB
~a UNSUBSCRIBE
a UNSUBSCRIBE
a PUNSUBSCRIBE
a SUNSUBSCRIBE
a SUBSCRIBE
a PSUBSCRIBE p* q? p*
b PUBLISH c1 m
b PUBLISH pz m2
b PUBLISH qq m3
b PUBLISH nomatch m4
a PUNSUBSCRIBE x p*
a GET x
a SUBSCRIBE c3
b PUBLISH c3 both
a PUNSUBSCRIBE
a UNSUBSCRIBE c3 c3
a GET x
""",
    "resp2_reset_and_multi": """
a SUBSCRIBE c1
a PSUBSCRIBE c*
a SSUBSCRIBE s1
b PUBSUB NUMPAT
a RESET
b PUBSUB NUMPAT
b PUBSUB NUMSUB c1
b PUBLISH c1 gone
a GET x
a MULTI
a SUBSCRIBE x
a PSUBSCRIBE x
a PUBLISH x y
a EXEC
a MULTI
a SSUBSCRIBE x
a EXEC
a MULTI
a SUBSCRIBE
a EXEC
a RESET
a MULTI
a SUNSUBSCRIBE x
a EXEC
""",
    "resp2_shard": """
a SSUBSCRIBE s1 s2 s1
a SUBSCRIBE c1
b SPUBLISH s1 hello
b SPUBLISH c1 nobody
b PUBLISH s1 nobody
b PUBSUB SHARDNUMSUB s1 s2 s3 c1
b PUBSUB SHARDCHANNELS s1
b PUBSUB SHARDCHANNELS x*
a SUNSUBSCRIBE s1
a SUNSUBSCRIBE
a SUNSUBSCRIBE
a UNSUBSCRIBE
""",
    "resp3": """
a HELLO 3
a SUBSCRIBE c1 c2
a PING
a PING x
a GET x
a PUBLISH c1 self
a PSUBSCRIBE c*
a PUBLISH c1 self2
b PUBLISH c2 other
a SET k v
a GET k
~a UNSUBSCRIBE
a PUNSUBSCRIBE
a UNSUBSCRIBE
a MULTI
a SUBSCRIBE z
a PUBLISH z inexec
a EXEC
a SSUBSCRIBE s1 s2
a SPUBLISH s1 toself
a RESET
a SSUBSCRIBE s1
a GET x
""",
    "resp3_subscriber_and_resp2_publisher": """
a HELLO 3
b SUBSCRIBE news
a SUBSCRIBE news
c PSUBSCRIBE n*
a PUBLISH news "hello world"
c PUBLISH news x
b PING
c PING
a PING
""",
    "pubsub_introspection": """
a PUBSUB
a PUBSUB HELP
a PUBSUB FOO
a PUBSUB NUMPAT x
a PUBSUB CHANNELS a b
a PUBSUB SHARDCHANNELS a b
a PUBSUB NUMSUB
a PUBSUB SHARDNUMSUB
a PUBSUB CHANNELS
b SUBSCRIBE news.1
c SUBSCRIBE news.1
a PUBSUB CHANNELS news.*
a PUBSUB CHANNELS [a-z]ews.1
a PUBSUB CHANNELS other*
a PUBSUB NUMSUB news.1 news.2
a PUBLISH
a PUBLISH a b c
a SPUBLISH a
a HELLO 3
a PUBSUB NUMSUB news.1
a PUBSUB CHANNELS
""",
    "binary_and_empty": """
a SUBSCRIBE "" "a\\x00b" "\\r\\n"
a PSUBSCRIBE "a\\x00*"
b PUBLISH "" empty
b PUBLISH "a\\x00b" "\\x00\\xff"
b PUBLISH "\\r\\n" ""
a UNSUBSCRIBE "a\\x00b"
a PUNSUBSCRIBE "a\\x00*"
""",
}


def split_line(line):
    """Words of a script line: double quotes with \\xHH \\r \\n \\\\ escapes."""
    out, i, n = [], 0, len(line)
    while i < n:
        if line[i] == " ":
            i += 1
            continue
        cur = bytearray()
        if line[i] == '"':
            i += 1
            while line[i] != '"':
                if line[i] == "\\":
                    e = line[i + 1]
                    if e == "x":
                        cur.append(int(line[i + 2:i + 4], 16))
                        i += 4
                        continue
                    cur += {"r": b"\r", "n": b"\n"}.get(e, e.encode())
                    i += 2
                    continue
                cur += line[i].encode()
                i += 1
            i += 1
        else:
            while i < n and line[i] != " ":
                cur += line[i].encode()
                i += 1
        out.append(bytes(cur))
    return out


def run_script(port, script):
    """[(line, {conn: bytes received})] for each line of script on the server at port."""
    conns, out = {}, []
    try:
        for line in script.strip().splitlines():
            who, rest = line.lstrip("~").split(" ", 1)
            if who not in conns:
                conns[who] = socket.create_connection((HOST, port), timeout=5)
            conns[who].sendall(encode(*split_line(rest)))
            got = {}
            # The sender first: every command has a reply, and the pushes it causes
            # leave in the same flush.
            for name in [who] + sorted(set(conns) - {who}):
                data = drain(conns[name], answer=name == who)
                if data:
                    got[name] = data
            out.append((line, got))
    finally:
        for s in conns.values():
            s.close()
    return out


# The HELLO reply holds the client id and server version: compared without them.
HELLO_ID = re.compile(rb"\$2\r\nid\r\n:\d+\r\n")
VERSION = re.compile(rb"\$7\r\nversion\r\n\$\d+\r\n[0-9.]+\r\n")


CONFIRM = re.compile(rb"[*>]3\r\n\$\d+\r\n(\w+)\r\n(?:\$\d+\r\n(.*?)|\$-1|_)\r\n:(\d+)\r\n",
                     re.S)


def unordered(data):
    frames = CONFIRM.findall(data)
    assert b"".join(m.group(0) for m in CONFIRM.finditer(data)) == data, data
    return sorted((w, n) for w, n, _ in frames), [c for _, _, c in frames]


def normalize(data):
    return VERSION.sub(b"<version>", HELLO_ID.sub(b"<id>", data))


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class CompatWithRedis74(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer(redis74_path()).start()
        try:
            cls.respite = Server().start()
        except BaseException:
            cls.redis.stop()  # tearDownClass does not run after a failed setUpClass
            raise

    @classmethod
    def tearDownClass(cls):
        cls.respite.stop()
        cls.redis.stop()

    def check(self, name):
        want = run_script(self.redis.port, SCRIPTS[name])
        got = run_script(self.respite.port, SCRIPTS[name])
        for (line, w), (_, g) in zip(want, got):
            norm = unordered if line.startswith("~") else normalize
            w = {k: norm(v) for k, v in w.items()}
            g = {k: norm(v) for k, v in g.items()}
            self.assertEqual(g, w, "%s: after %r" % (name, line))
        self.respite.assert_alive()

    def test_resp2_basics(self):
        self.check("resp2_basics")

    def test_resp2_reset_and_multi(self):
        self.check("resp2_reset_and_multi")

    def test_resp2_shard(self):
        self.check("resp2_shard")

    def test_resp3(self):
        self.check("resp3")

    def test_resp3_subscriber_and_resp2_publisher(self):
        self.check("resp3_subscriber_and_resp2_publisher")

    def test_pubsub_introspection(self):
        self.check("pubsub_introspection")

    def test_binary_and_empty(self):
        self.check("binary_and_empty")

    def test_command_info(self):
        # PUBSUB's own entry lists its subcommands in Redis's (seeded) hash order: each
        # subcommand is compared on its own.
        cmd = [b"COMMAND", b"INFO"] + COMMANDS
        out = []
        for port in (self.redis.port, self.respite.port):
            with socket.create_connection((HOST, port), timeout=5) as s:
                s.sendall(encode(*cmd))
                out.append(drain(s, quiet=0.2, answer=True))
        self.assertEqual(out[1], out[0])


COMMANDS = [b"subscribe", b"unsubscribe", b"psubscribe", b"punsubscribe", b"ssubscribe",
            b"sunsubscribe", b"publish", b"spublish", b"pubsub|channels", b"pubsub|numsub",
            b"pubsub|numpat", b"pubsub|shardchannels", b"pubsub|shardnumsub", b"pubsub|help"]


def without_display_text(v):
    if isinstance(v, dict):
        return {k: without_display_text(x) for k, x in v.items() if k != b"display_text"}
    if isinstance(v, list):
        return [without_display_text(x) for x in v]
    return v


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class CommandDocs(unittest.TestCase):
    """COMMAND DOCS of the pub/sub commands equals Redis 7.4's but for display_text, which
    respite's generator gives no command (as Redis 7.0)."""

    def test_command_docs(self):
        ref, srv = RedisServer(redis74_path()).start(), Server().start()
        try:
            for name in COMMANDS:
                out = []
                for port in (ref.port, srv.port):
                    c = RespConn(socket.create_connection((HOST, port), timeout=5))
                    c.cmd("HELLO", "3")
                    out.append(without_display_text(c.cmd("COMMAND", "DOCS", name)))
                    c.close()
                self.assertEqual(out[1], out[0], name)
        finally:
            srv.stop()
            ref.stop()


class RespiteOnly(ServerTestCase):
    server_args = ("--timeout", "1")

    def conn(self):
        return self.server.conn()

    def test_client_list_and_info_fields(self):
        a, b = self.conn(), self.conn()
        a.send(encode("SUBSCRIBE", "c1", "c2"))
        a.reply(), a.reply()
        a.send(encode("PSUBSCRIBE", "p*"))
        a.reply()
        a.send(encode("SSUBSCRIBE", "s1"))
        a.reply()
        a.send(encode("CLIENT", "INFO"))
        self.assertIn(b"only (P|S)SUBSCRIBE", str(a.reply()).encode())
        line = [ln for ln in b.cmd("CLIENT", "LIST").split(b"\n") if b"sub=2" in ln]
        self.assertEqual(len(line), 1)
        self.assertIn(b" flags=P ", line[0])
        self.assertIn(b" sub=2 psub=1 ssub=1 ", line[0])
        self.assertIn(b"flags=N", b.cmd("CLIENT", "INFO"))
        typed = b.cmd("CLIENT", "LIST", "TYPE", "pubsub")
        self.assertEqual(typed.count(b"\n"), 1)
        self.assertIn(b"sub=2 psub=1 ssub=1", typed)
        self.assertNotIn(b"cmd=client|list", typed)
        info = b.cmd("INFO")
        for field in (b"pubsub_channels:2", b"pubsub_patterns:1",
                      b"pubsubshard_channels:1", b"pubsub_clients:1"):
            self.assertIn(field + b"\r\n", info)
        # A RESP3 subscriber runs CLIENT INFO itself.
        c = self.conn()
        c.cmd("HELLO", "3")
        c.send(encode("SUBSCRIBE", "x"))
        c.reply()
        mine = c.cmd("CLIENT", "INFO")
        self.assertIn(b"flags=P ", mine)
        self.assertIn(b"sub=1 psub=0 ssub=0", mine)
        self.assertEqual(b.cmd("CLIENT", "KILL", "TYPE", "pubsub"), 2)
        info = b.cmd("INFO")
        self.assertIn(b"pubsub_clients:0\r\n", info)
        self.assertIn(b"pubsub_channels:0\r\n", info)
        for x in (a, b, c):
            x.close()

    def test_subscriber_is_exempt_from_idle_timeout(self):
        sub, idle = self.conn(), self.conn()
        sub.send(encode("SUBSCRIBE", "quiet"))
        sub.reply()
        idle.cmd("PING")
        # timeout 1 s, checked hz times a second (a loaded machine may take longer). sub,
        # idle since before idle's PING, would have gone in the same check or before.
        self.assertEqual(read_until_closed(idle.sock, timeout=20), (b"", True))
        pub = self.conn()
        self.assertEqual(pub.cmd("PUBLISH", "quiet", "still here"), 1)
        self.assertEqual(sub.reply(), [b"message", b"quiet", b"still here"])
        sub.close()
        pub.close()

    def test_pathological_patterns_are_bounded(self):
        a, b = self.conn(), self.conn()
        pats = ["*a" * 200 + "b", "a*" * 500, "*" * 5000 + "?", "[" * 1000, "[a-" * 300 + "*"]
        a.send(encode("PSUBSCRIBE", *pats))
        for _ in pats:
            a.reply()
        t0 = time.monotonic()
        for _ in range(50):
            b.cmd("PUBLISH", "a" * 1000, "x")
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assertEqual(b.cmd("PUBSUB", "NUMPAT"), len(pats))
        a.close()
        b.close()


class RedisPyFlows(ServerTestCase):
    """redis-py (Debian's python3-redis, RESP2): two web servers broadcasting to each other
    on project 42's channel, a worker on `project:42:*`, a PubSub object's
    subscribe/unsubscribe bookkeeping and its PING health check."""

    N = 300

    def web_server(self):
        r = self.server.client()
        ps = r.pubsub(ignore_subscribe_messages=True)
        ps.subscribe("project:42:events")
        return r, ps

    def collect(self, ps, want, timeout=10):
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            m = ps.get_message(timeout=0.5)
            if m:
                got.append(m)
        return got

    def test_two_web_servers_and_a_pattern_worker(self):
        a, a_sub = self.web_server()
        b, b_sub = self.web_server()
        worker = self.server.client().pubsub(ignore_subscribe_messages=True)
        worker.psubscribe("project:42:*")
        for i in range(self.N):
            self.assertEqual(a.publish("project:42:events", "a:%d" % i), 3)
            self.assertEqual(b.publish("project:42:events", "b:%d" % i), 3)
        self.assertEqual(a.publish("project:42:cursor", "x=1"), 1)
        self.assertEqual(a.publish("project:43:events", "elsewhere"), 0)
        for sub in (a_sub, b_sub):
            got = self.collect(sub, 2 * self.N)
            data = [m["data"] for m in got]
            self.assertEqual([d for d in data if d.startswith(b"a:")],
                             [b"a:%d" % i for i in range(self.N)])
            self.assertEqual([d for d in data if d.startswith(b"b:")],
                             [b"b:%d" % i for i in range(self.N)])
            self.assertTrue(all(m["type"] == "message" for m in got))
        got = self.collect(worker, 2 * self.N + 1)
        self.assertEqual(len(got), 2 * self.N + 1)
        self.assertTrue(all(m["type"] == "pmessage" and m["pattern"] == b"project:42:*"
                            for m in got))
        self.assertEqual(got[-1]["channel"], b"project:42:cursor")
        self.assertEqual(a.pubsub_numsub("project:42:events"), [(b"project:42:events", 2)])
        self.assertEqual(a.pubsub_numpat(), 1)
        b_sub.unsubscribe("project:42:events")
        deadline = time.monotonic() + 10
        while b_sub.pending_unsubscribe_channels:  # until the confirmation is read
            self.assertLess(time.monotonic(), deadline, "no unsubscribe confirmation")
            self.assertIsNone(b_sub.get_message(timeout=0.1))
        self.assertEqual(a.publish("project:42:events", "late"), 2)
        a_sub.ping()  # RESP2 subscribed-mode PING: ["pong", ""]
        got = self.collect(a_sub, 2)
        self.assertEqual([m["type"] for m in got], ["message", "pong"])
        for x in (a_sub, b_sub, worker):
            x.close()
        self.assertEqual(a.pubsub_channels(), [])


class Busy:
    """A connection that keeps the server's input ready: PINGs pipelined 2,000 at a time
    from one thread, their replies read by another, until stop()."""

    def __init__(self, srv):
        self.send_sock = srv.connect()
        self.stopped = threading.Event()
        batch = encode("PING") * 2000
        self.threads = [threading.Thread(target=self._send, args=(batch,)),
                        threading.Thread(target=self._read)]
        for t in self.threads:
            t.start()

    def _send(self, batch):
        while not self.stopped.is_set():
            self.send_sock.sendall(batch)

    def _read(self):
        while not self.stopped.is_set():
            if not self.send_sock.recv(1 << 20):
                break

    def stop(self):
        self.stopped.set()
        for t in self.threads:
            t.join(SOCK_TIMEOUT)
        self.send_sock.close()


class DeliveryUnderLoad(ServerTestCase):
    """Pushes leave promptly and in order whether the server is idle or busy: a change that
    made them wait for later loop turns (to write several turns' messages at once) must
    keep this."""

    server_args = ("--notify-keyspace-events", "K$")

    def delays(self, count=20, busy=False):
        """The medians (s) of the publish-to-receive delays of count messages published one
        at a time, and of a PING's round trip on the publisher's connection just before
        each: what the server and the machine take for a reply, then and there."""
        sub, pub = self.server.conn(), self.server.conn()
        sub.send(encode("SUBSCRIBE", "feed"))
        sub.reply()
        load = Busy(self.server) if busy else None
        try:
            delays, rtts = [], []
            for i in range(count):
                time.sleep(0.01)
                t0 = time.monotonic()
                self.assertEqual(pub.cmd("PING"), b"PONG")
                t1 = time.monotonic()
                self.assertEqual(pub.cmd("PUBLISH", "feed", str(i)), 1)
                self.assertEqual(sub.reply(), [b"message", b"feed", str(i).encode()])
                delays.append(time.monotonic() - t1)
                rtts.append(t1 - t0)
        finally:
            if load:
                load.stop()
        sub.close()
        pub.close()
        return sorted(delays)[count // 2], sorted(rtts)[count // 2]

    def assert_median_delay_under(self, bound, busy=False, attempts=3):
        """The median delay is under bound past the median round trip of the same run (a
        message leaves in the same flush as PUBLISH's reply; a loaded machine slows every
        reply, and the bound is what a message may take beyond them), in one of at most
        `attempts` runs: a burst of load slows a run now and then, a server that holds
        messages for later loop turns slows every run."""
        runs = []
        for _ in range(attempts):
            runs.append(self.delays(busy=busy))
            if runs[-1][0] < runs[-1][1] + bound:
                return
        self.fail("median delay not under %.3f s past the median round trip in %d runs: %s"
                  % (bound, attempts, ", ".join("%.4f (rtt %.4f)" % r for r in runs)))

    def test_idle_server_delivers_at_once(self):
        # A message left for some later event (the cron, 100 ms) would show here.
        self.assert_median_delay_under(0.01)

    def test_busy_server_delivers_within_the_bound(self):
        # One held for as long as input is ready would never arrive (the reply times out).
        self.assert_median_delay_under(0.02, busy=True)

    def test_busy_server_kills_a_subscriber_at_once(self):
        sub, pub = self.server.conn(), self.server.conn()
        sub.send(encode("SUBSCRIBE", "feed"))
        sub.reply()
        sid = pub.cmd("CLIENT", "LIST", "TYPE", "pubsub").split(b"id=")[1].split(b" ")[0]
        load = Busy(self.server)
        try:
            for _ in range(100):
                pub.cmd("PUBLISH", "feed", "x" * 100)
            self.assertEqual(pub.cmd("CLIENT", "KILL", "ID", sid), 1)
            # Closed while the load runs, not when the input ends (never, here); a loaded
            # machine may take a while.
            self.assertTrue(read_until_closed(sub.sock, timeout=20)[1])
        finally:
            load.stop()
        pub.close()

    def test_subscribers_are_written_before_the_publisher(self):
        """A turn's writes go out in the order the connections were listed, and the publisher
        is listed after its subscribers: once its reply is read, every subscriber's message is
        already in that subscriber's socket (loopback delivers within the server's write). A
        publisher that sends its next batch on its replies then does not queue it behind the
        turn's writes to subscribers (benchmarks/vs_redis/pubsub.py: publish-to-receive p50
        halved under a saturating fan-out)."""
        subs = [self.server.conn() for _ in range(20)]
        for s in subs:
            s.send(encode("SUBSCRIBE", "order"))
            s.reply()
        pub = self.server.conn()
        for i in range(50):
            self.assertEqual(pub.cmd("PUBLISH", "order", str(i)), len(subs))
            ready, _, _ = select.select([s.sock for s in subs], [], [], 0)
            self.assertEqual(len(ready), len(subs), "publish %d" % i)
            for s in subs:
                self.assertEqual(s.reply(), [b"message", b"order", str(i).encode()])
        for c in subs + [pub]:
            c.close()

    def test_order_of_pushes_and_replies(self):
        """A script increments seq and publishes its value (a keyspace event, then the
        message); a RESP3 subscriber's GET seq must come after every message up to the value
        it reads, and a RESP2 subscriber gets every message once, in order."""
        resp3, resp2, pub = self.server.conn(), self.server.conn(), self.server.conn()
        self.assertEqual(pub.cmd("DEL", "seq"), 0)
        resp3.cmd("HELLO", "3")
        resp3.send(encode("SUBSCRIBE", "seqs", "__keyspace@0__:seq"))
        resp3.reply(), resp3.reply()
        resp2.send(encode("SUBSCRIBE", "seqs"))
        resp2.reply()
        script = ("local n = redis.call('INCR', KEYS[1]) "
                  "redis.call('PUBLISH', 'seqs', n) return n")
        batch = 50
        load = Busy(self.server)
        try:
            seen = 0  # the messages resp3 received, all in order
            event_first = False
            for rnd in range(40):
                pub.send(encode("EVAL", script, "1", "seq") * batch)
                resp3.send(encode("GET", "seq"))
                while True:
                    got = resp3.reply()
                    if not isinstance(got, list):
                        # GET's reply: every message it counts came before it.
                        self.assertEqual(int(got or 0), seen)
                        break
                    if got[1] == b"__keyspace@0__:seq":
                        self.assertEqual(got, [b"message", b"__keyspace@0__:seq", b"incrby"])
                        self.assertFalse(event_first)
                        event_first = True
                    else:
                        self.assertTrue(event_first)
                        event_first = False
                        seen += 1
                        self.assertEqual(got, [b"message", b"seqs", str(seen).encode()])
                for i in range(batch):
                    self.assertEqual(pub.reply(), rnd * batch + i + 1)
        finally:
            load.stop()
        for i in range(40 * batch):
            self.assertEqual(resp2.reply(), [b"message", b"seqs", str(i + 1).encode()])
        for c in (resp3, resp2, pub):
            c.close()


class OutputLimit(unittest.TestCase):
    """A subscriber that stops reading is closed at the pubsub class's limit (made 1 MB
    hard, 256 kB soft over 60 s here, so the test is short); the publisher and a reading
    subscriber lose nothing, and the publisher's p99 round trip stays under 50 ms (a run
    that a loaded machine slowed is made again with a new slow subscriber, at most three
    runs: a publisher held up by the slow subscriber is slow in every run)."""

    def slow_subscriber_run(self, srv, fast, pub):
        """A subscriber that never reads joins fast on `feed`, 10,000 messages of 4 kB are
        published; every one reaches fast, the slow one is gone at the end. Returns the
        p99 of PUBLISH's round trip (s)."""
        slow = srv.connect(rcvbuf=4096)
        try:
            slow.sendall(encode("SUBSCRIBE", "feed"))
            deadline = time.monotonic() + 10
            while pub.cmd("PUBSUB", "NUMSUB", "feed") != [b"feed", 2]:
                self.assertLess(time.monotonic(), deadline, "the slow subscriber never joined")
                time.sleep(0.01)
            payload = "x" * 4096
            got = 0
            lat = []
            for i in range(10000):
                t0 = time.monotonic()
                n = pub.cmd("PUBLISH", "feed", payload)
                lat.append(time.monotonic() - t0)
                self.assertIn(n, (1, 2))
                # the reader keeps up
                while fast.buf or select.select([fast.sock], [], [], 0)[0]:
                    msg = fast.reply()
                    self.assertEqual(msg[2], payload.encode())
                    got += 1
                    if not fast.buf:
                        break
            while got < 10000:
                self.assertEqual(fast.reply()[2], payload.encode())
                got += 1
            self.assertEqual(pub.cmd("PUBSUB", "NUMSUB", "feed"), [b"feed", 1])
        finally:
            slow.close()
        lat.sort()
        return lat[int(len(lat) * 0.99)]

    def test_slow_subscriber_is_closed_others_unaffected(self):
        srv = Server(("--client-output-buffer-limit", "pubsub 1mb 256kb 60")).start()
        try:
            fast = srv.conn()
            fast.send(encode("SUBSCRIBE", "feed"))
            fast.reply()
            pub = srv.conn()
            p99s = []
            for _ in range(3):
                p99s.append(self.slow_subscriber_run(srv, fast, pub))
                if p99s[-1] < 0.05:
                    break
            self.assertLess(min(p99s), 0.05, "p99 of each run: %s" % p99s)
            self.assertIn("overcoming of output buffer limits", srv.output())
            srv.assert_alive()
        finally:
            srv.stop()


class ManySubscriptions(unittest.TestCase):
    def test_100k_subscriptions_then_disconnect(self):
        srv = Server().start()
        try:
            a = srv.conn(timeout=60)
            n = 100000
            chans = ["chan:%d" % i for i in range(n)]
            for i in range(0, n, 1000):
                a.send(encode("SUBSCRIBE", *chans[i:i + 1000]))
            for i in range(n):
                r = a.reply()
            self.assertEqual(r, [b"subscribe", chans[-1].encode(), n])
            a.send(encode("PSUBSCRIBE", *["p:%d:*" % i for i in range(1000)]))
            for i in range(1000):
                r = a.reply()
            self.assertEqual(r[2], n + 1000)
            b = srv.conn()
            info = b.cmd("INFO", "stats")
            self.assertIn(b"pubsub_channels:%d\r\n" % n, info)
            self.assertEqual(b.cmd("PUBLISH", "chan:77", "m"), 1)
            self.assertEqual(a.reply(), [b"message", b"chan:77", b"m"])
            # half by name, the rest by UNSUBSCRIBE without arguments, then a disconnect
            a.send(encode("UNSUBSCRIBE", *chans[:n // 2]))
            for i in range(n // 2):
                a.reply()
            a.send(encode("UNSUBSCRIBE"))
            for i in range(n // 2):
                r = a.reply()
            self.assertEqual(r[0], b"unsubscribe")
            self.assertEqual(r[2], 1000)
            a.send(encode("SUBSCRIBE", *chans[:n // 2]))
            for i in range(n // 2):
                a.reply()
            a.close()
            deadline = time.monotonic() + 10
            while b"pubsub_channels:0\r\n" not in b.cmd("INFO", "stats"):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            self.assertIn(b"pubsub_patterns:0\r\n", b.cmd("INFO", "stats"))
            b.close()
        finally:
            srv.stop()  # fails on a LeakSanitizer report


if __name__ == "__main__":
    main()
