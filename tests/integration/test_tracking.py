# SPDX-License-Identifier: BSD-3-Clause
"""MONITOR and client-side caching (CLIENT TRACKING) over real connections, compared byte
for byte with Redis 7.4.

Compatibility: scripted sequences over several connections run on respite and on
redis-server 7.4.1 (harness.redis74_path; skipped without it). After each step,
everything each connection received is read until it stays quiet, and the bytes must be
equal once MONITOR's timestamps and client addresses and the client ids are normalized.
MONITOR: quoting of binary arguments, the commands of MULTI/EXEC, AUTH/HELLO redacted,
admin commands hidden, the keyspace refused to a monitor, RESET. TRACKING: the default
mode in RESP3 (push frames) and RESP2 (REDIRECT to a subscriber of __redis__:invalidate),
BCAST with prefixes, OPTIN / OPTOUT with CLIENT CACHING, NOLOOP, FLUSHALL/FLUSHDB, a
broken redirect, CLIENT TRACKINGINFO / GETREDIR and the errors of bad options.

Then respite alone: a monitor line names the client's real address; INFO's tracking
gauges; CLIENT LIST flags t/R/B/O and redir=; an expired key invalidates; 100,000 tracked
keys then a disconnect (the ASan build reports a leak at exit); node-redis v5's
client-side cache over RESP3 (tests/integration/node/client_cache.js; skipped without
node and npm).
"""
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RedisServer, RespConn, Server, ServerTestCase, encode,  # noqa: E402
                     main, redis74_path)
from test_node_clients import HERE, MODULES  # noqa: E402
from test_pubsub import drain, normalize, split_line  # noqa: E402
import subprocess  # noqa: E402

# Scripts as test_pubsub's: lines "<conn> <command words>". {id:x} stands for the client
# id of connection x (asked with CLIENT ID when x connects, before the script uses it);
# on a line marked "!", client ids in the replies (":N") read <id:x>.
SCRIPTS = {
    "monitor": r"""
m MONITOR
a SET k v
a GET k
a SET "a b" "\x00\xff\"\\\r\n\t"
a SELECT 3
a MULTI
a SET x 1
a INCR x
a EXEC
a AUTH a b c
a AUTH pw
a AUTH default pw
a HELLO 3 AUTH default pw SETNAME x
a HELLO 2 BAD AUTH u p
a CONFIG GET maxclients
a CLIENT LIST ID 0
a CLIENT SETNAME y
a NOSUCH x
a GET
a MULTI
a MONITOR
a EXEC
a EVAL "redis.call('set','s','1') return redis.call('incr','s')" 0
a EVAL "return 1" 5
a EVALSHA 0000000000000000000000000000000000000000 0
a SCRIPT LOAD "return redis.call('get','s')"
a EVALSHA_RO e2d750f75168e84b89f0e74ab0912ed4eedc7f19 0
a FUNCTION LOAD REPLACE "#!lua name=mon\nredis.register_function('fset', function(keys, args) redis.call('set', keys[1], args[1]) return redis.call('get', keys[1]) end)\nredis.register_function{function_name='fget', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"
a FCALL fset 1 fk fv
a FCALL_RO fget 1 fk
a FCALL nosuch 0
a FCALL fget x
b BLPOP q 0
a RPUSH q x
m GET k
m SET k v
m PING
m CLIENT GETNAME
m MONITOR
m MULTI
m PING
m EXEC
a PING
m RESET
a PING
m GET k
a QUIT
""",
    "monitor_resp3": r"""
m HELLO 3
m MONITOR
a HELLO 3
a PING x
m SUBSCRIBE c
a PUBLISH c hi
m PING
""",
    "tracking_resp3": r"""
a HELLO 3
a CLIENT TRACKING ON
a GET k
a MGET k2 k3 k2
a HGET h f
b SET k v
b MSET k2 1 k3 2
b HSET h f v
a GET k
a SET k mine
a GET k
b DEL k
b SET k x
!a CLIENT TRACKINGINFO
!a CLIENT GETREDIR
a GET k
a MULTI
a GET k
a SET k y
a EXEC
a GET k
a GET "bin\x00\xff"
b SET "bin\x00\xff" 1
b SELECT 1
b SET k other-db
a GET k
b FLUSHALL
a GET k
b FLUSHDB
a FLUSHDB
a EVAL "return redis.call('get','sk')" 0
b SET sk 1
a EVAL_RO "return redis.call('mget','sk','sk2')" 0
b MSET sk 2 sk2 3
a FUNCTION LOAD REPLACE "#!lua name=trk\nredis.register_function{function_name='tget', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"
a FCALL_RO tget 1 fk
b SET fk 1
a FCALL tget 1 fk2
b SET fk2 1
a CLIENT TRACKING OFF
b SET k z
a CLIENT TRACKINGINFO
a CLIENT GETREDIR
""",
    "tracking_resp2_redirect": r"""
r SUBSCRIBE __redis__:invalidate
q PING
!a CLIENT TRACKING ON REDIRECT {id:r}
a GET k
a GET k2
b SET k 1
!a CLIENT GETREDIR
!a CLIENT TRACKINGINFO
a SET k2 2
b FLUSHALL
a CLIENT TRACKING ON REDIRECT {id:q}
a GET k
b SET k 3
t HELLO 3
a CLIENT TRACKING ON REDIRECT {id:t}
a GET k
b SET k 4
a CLIENT TRACKING OFF
a HELLO 3
a CLIENT TRACKING ON REDIRECT {id:r}
a GET k
b SET k 5
b FLUSHALL
""",
    "tracking_broken_redirect": r"""
x HELLO 3
y PING
x CLIENT TRACKING ON REDIRECT {id:y}
x GET k
!x CLIENT TRACKINGINFO
y QUIT
!b SET k 1
!x CLIENT TRACKINGINFO
x GET k
!b SET k 2
z CLIENT TRACKING ON REDIRECT {id:y}
""",
    "tracking_errors": r"""
a CLIENT TRACKING
a CLIENT TRACKING MAYBE
a CLIENT TRACKING ON FOO
a CLIENT TRACKING ON PREFIX a
a CLIENT TRACKING ON REDIRECT 99999
a CLIENT TRACKING ON REDIRECT x
a CLIENT TRACKING ON REDIRECT
a CLIENT TRACKING ON BCAST OPTIN
a CLIENT TRACKING ON OPTIN OPTOUT
a CLIENT TRACKING ON REDIRECT {id:b} REDIRECT {id:b}
a CLIENT CACHING YES
a CLIENT TRACKING ON OPTIN
a CLIENT CACHING NO
a CLIENT CACHING maybe
a CLIENT TRACKING ON OPTOUT
a CLIENT TRACKING ON BCAST
a CLIENT TRACKING OFF
a CLIENT TRACKING ON BCAST PREFIX ab PREFIX a
a CLIENT TRACKING ON BCAST PREFIX x PREFIX ab PREFIX a
a CLIENT TRACKINGINFO
a CLIENT TRACKING ON BCAST PREFIX abc
a CLIENT TRACKING ON BCAST PREFIX q PREFIX "\x00z"
a CLIENT TRACKINGINFO
a CLIENT TRACKING ON
a CLIENT CACHING
a CLIENT GETREDIR x
a CLIENT TRACKINGINFO x
a CLIENT TRACKING off
a CLIENT TRACKING OFF BCAST
a CLIENT TRACKINGINFO
""",
    "tracking_bcast": r"""
a HELLO 3
a CLIENT TRACKING ON BCAST PREFIX user: PREFIX obj:
n HELLO 3
n CLIENT TRACKING ON BCAST NOLOOP
r SUBSCRIBE x
o CLIENT TRACKING ON BCAST PREFIX user REDIRECT {id:r}
b SET user:1 x
b SET other y
b MSET obj:2 a user:0 b user:1 c
n SET n1 1
n MSET user:5 1 n2 2
a SET user:9 z
b MULTI
b SET user:3 a
b SET user:2 b
b SET user:3 c
b DEL user:2 nokey
b EXEC
b FLUSHALL
a CLIENT TRACKINGINFO
n CLIENT TRACKINGINFO
a CLIENT TRACKING OFF
b SET user:1 again
""",
    "tracking_optin_optout_noloop": r"""
a HELLO 3
a CLIENT TRACKING ON OPTIN
a GET k1
a CLIENT CACHING YES
a CLIENT TRACKINGINFO
a GET k2
a GET k3
b MSET k1 1 k2 2 k3 3
a CLIENT CACHING YES
!a CLIENT ID
a GET k1
a CLIENT CACHING YES
a MULTI
a GET k3
a GET k4
a EXEC
a GET k5
b MSET k1 1 k3 3 k4 4 k5 5
a CLIENT TRACKING OFF
c HELLO 3
c CLIENT TRACKING ON OPTOUT NOLOOP
c GET o1
c CLIENT CACHING NO
c CLIENT TRACKINGINFO
c GET o2
c SET o1 x
c GET o1
b MSET o1 1 o2 2
c GET o3
c FLUSHALL
""",
}

TS_ADDR = re.compile(rb"\+\d+\.\d{6} \[(\d+) (?:127\.0\.0\.1:\d+|(lua))\]")


def run_script(port, script):
    """[(line, {conn: bytes received})] for each line of script on the server at port."""
    conns, ids, out = {}, {}, []
    try:
        for line in script.strip().splitlines():
            who, rest = line.lstrip("!").split(" ", 1)
            if who not in conns:
                conns[who] = socket.create_connection((HOST, port), timeout=5)
                conns[who].sendall(encode(b"CLIENT", b"ID"))
                ids[who] = int(drain(conns[who], answer=True)[1:-2])
            for k, v in ids.items():
                rest = rest.replace("{id:%s}" % k, str(v))
            conns[who].sendall(encode(*split_line(rest)))
            got = {}
            # The sender first: every command has a reply (QUIT's +OK too), and what it
            # makes the server send the others leaves in the same flush.
            for name in [who] + sorted(set(conns) - {who}):
                data = drain(conns[name], answer=name == who)
                if data:
                    data = TS_ADDR.sub(lambda m: b"+<ts> [%s %s]" % (m.group(1), m.group(2) or b"<addr>"), data)
                    for k, v in ids.items() if line.startswith("!") else ():
                        data = data.replace(b":%d\r\n" % v, b":<id:%s>\r\n" % k.encode())
                    got[name] = normalize(data)
            out.append((line, got))
    finally:
        for s in conns.values():
            s.close()
    return out


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class CompatWithRedis74(unittest.TestCase):
    """Each script on a fresh pair of servers, so client ids start alike."""

    def check(self, name):
        redis, respite = RedisServer(redis74_path()).start(), Server().start()
        try:
            want = run_script(redis.port, SCRIPTS[name])
            got = run_script(respite.port, SCRIPTS[name])
            for (line, w), (_, g) in zip(want, got):
                self.assertEqual(g, w, "%s: after %r" % (name, line))
            respite.assert_alive()
        finally:
            respite.stop()
            redis.stop()

    def test_monitor(self):
        self.check("monitor")

    def test_monitor_resp3(self):
        self.check("monitor_resp3")

    def test_tracking_resp3(self):
        self.check("tracking_resp3")

    def test_tracking_resp2_redirect(self):
        self.check("tracking_resp2_redirect")

    def test_tracking_broken_redirect(self):
        self.check("tracking_broken_redirect")

    def test_tracking_errors(self):
        self.check("tracking_errors")

    def test_tracking_bcast(self):
        self.check("tracking_bcast")

    def test_tracking_optin_optout_noloop(self):
        self.check("tracking_optin_optout_noloop")


class MonitorTest(ServerTestCase):
    def test_line_names_the_client_address_and_db(self):
        m = socket.create_connection((HOST, self.server.port), timeout=5)
        m.sendall(encode(b"MONITOR"))
        self.assertEqual(drain(m, answer=True), b"+OK\r\n")
        a = RespConn(socket.create_connection((HOST, self.server.port), timeout=5))
        info = a.cmd("CLIENT", "INFO")
        addr = re.search(rb"addr=(\S+)", info).group(1)
        a.cmd("SELECT", "2")
        a.cmd("SET", "k", "v")
        lines = drain(m, answer=True).split(b"\r\n")
        self.assertIn(b'[2 ' + addr + b'] "SET" "k" "v"', lines[-2])
        self.assertRegex(lines[-2], rb"^\+\d{10}\.\d{6} ")
        now = time.time()
        self.assertLess(abs(float(lines[-2][1:18]) - now), 5)
        info = a.cmd("CLIENT", "LIST")
        self.assertRegex(info, rb"flags=O ")


def info(conn):
    text = conn.cmd("INFO", "everything").decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


class TrackingTest(ServerTestCase):
    def setUp(self):
        self.conn().cmd("FLUSHALL")  # forgets the keys other tests tracked

    def conn(self):
        c = RespConn(socket.create_connection((HOST, self.server.port), timeout=10))
        self.addCleanup(c.close)
        return c

    def test_info_and_client_list(self):
        a, b, r = self.conn(), self.conn(), self.conn()
        a.cmd("HELLO", "3")
        a.cmd("CLIENT", "TRACKING", "ON")
        a.cmd("MGET", "k1", "k2")
        rid = r.cmd("CLIENT", "ID")
        b.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p:", "PREFIX", "q:", "REDIRECT",
              str(rid))
        i = info(r)
        self.assertEqual((i["tracking_clients"], i["tracking_total_keys"],
                          i["tracking_total_items"], i["tracking_total_prefixes"]),
                         ("2", "2", "2", "2"))
        self.assertRegex(a.cmd("CLIENT", "INFO"), rb"flags=t .* redir=0 ")
        self.assertRegex(b.cmd("CLIENT", "INFO"), rb"flags=tB .* redir=%d " % rid)
        r.close()
        deadline = time.monotonic() + 5  # until the server has seen it go (bounded)
        while b"id=%d " % rid in b.cmd("CLIENT", "LIST") and time.monotonic() < deadline:
            time.sleep(0.01)
        b.cmd("SET", "p:1", "x")  # the redirect client is gone: broken at the next message
        time.sleep(0.1)
        self.assertRegex(b.cmd("CLIENT", "INFO"), rb"flags=tRB ")
        b.cmd("CLIENT", "TRACKING", "OFF")
        self.assertEqual(info(a)["tracking_total_prefixes"], "0")

    def test_expired_key_invalidates(self):
        a, b = self.conn(), self.conn()
        a.cmd("HELLO", "3")
        a.cmd("CLIENT", "TRACKING", "ON")
        b.cmd("SET", "session:42", "x", "PX", "100")
        self.assertEqual(a.cmd("GET", "session:42"), b"x")
        # Active expiry reclaims it on time, unread: the push comes unasked (waited for up
        # to 10 s, as a loaded machine may take longer than the 0.4 s it takes when quiet).
        self.assertEqual(drain(a.sock, answer=True),
                         b">2\r\n$10\r\ninvalidate\r\n*1\r\n$10\r\nsession:42\r\n")

    def test_100k_tracked_keys_then_disconnect(self):
        a, b = self.conn(), self.conn()
        a.cmd("HELLO", "3")
        a.cmd("CLIENT", "TRACKING", "ON")
        for i in range(0, 100000, 1000):
            a.send(encode(b"MGET", *[b"key:%d" % j for j in range(i, i + 1000)]))
        for i in range(100):
            a.reply()
        self.assertEqual(info(b)["tracking_total_keys"], "100000")
        a.close()
        deadline = time.monotonic() + 5
        while info(b)["tracking_clients"] != "0" and time.monotonic() < deadline:
            time.sleep(0.01)
        # As Redis: the keys of a client gone stay until they change or a flush.
        i = info(b)
        self.assertEqual((i["tracking_clients"], i["tracking_total_items"]), ("0", "100000"))
        b.cmd("SET", "key:7", "x")
        self.assertEqual(info(b)["tracking_total_keys"], "99999")
        b.cmd("FLUSHALL")
        i = info(b)
        self.assertEqual((i["tracking_total_keys"], i["tracking_total_items"]), ("0", "0"))
        # the ASan build reports any leak when the server stops


def limit_flow(port):
    """tracking-table-max-keys on the server at port, as observed by a RESP3 tracking
    client: [what it got for each step], each an ordered list of "reply" tokens and the
    sets of keys invalidated in between (which keys: random, so only their number and
    the partition of all the keys read are compared)."""
    a = RespConn(socket.create_connection((HOST, port), timeout=10))
    b = RespConn(socket.create_connection((HOST, port), timeout=10))
    try:
        a.cmd("HELLO", "3")
        b.cmd("CONFIG", "SET", "tracking-table-max-keys", "10")
        a.cmd("CLIENT", "TRACKING", "ON")

        def collect(nreplies):
            """Replies and pushes until nreplies replies came: [n invalidated, "reply"...]
            and every key invalidated."""
            shape, keys, n = [], [], 0
            while nreplies:
                r = a.reply()
                if isinstance(r, list) and r and r[0] == b"invalidate":
                    keys += r[1]
                    n += 1
                    continue
                if n:
                    shape.append(n)
                    n = 0
                shape.append("reply")
                nreplies -= 1
            return shape, keys

        steps = []
        # One packet, so no cron runs in between: each PING first takes the table back
        # towards 10 keys, 100 keys at most, 100 more at each call that ended over it.
        keys = [b"k%d" % i for i in range(500)]
        a.send(encode(b"MGET", *keys) + encode(b"PING") * 4)
        shape, evicted = collect(5)
        steps.append(shape)
        steps.append(len(set(evicted)) == len(evicted) and set(evicted) < set(keys))
        steps.append(info(b)["tracking_total_keys"])
        # The 10 left are invalidated when written, and only they.
        b.cmd("MSET", *[x for k in keys for x in (k, b"v")])
        a.send(encode(b"PING"))
        shape, written = collect(1)
        steps.append((shape, sorted(set(written) | set(evicted)) == sorted(keys),
                      len(written)))
        # Lowered while nobody sends anything: the server's cron applies it.
        a.send(encode(b"MGET", *[b"j%d" % i for i in range(8)]))
        steps.append(collect(1)[0])
        b.cmd("CONFIG", "SET", "tracking-table-max-keys", "3")
        deadline = time.monotonic() + 5
        got = []
        while len(got) < 5 and time.monotonic() < deadline:
            got += re.findall(rb">2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$2\r\n(j\d)\r\n",
                              drain(a.sock))
        steps.append((len(got), info(b)["tracking_total_keys"]))
        # 0: no limit.
        b.cmd("CONFIG", "SET", "tracking-table-max-keys", "0")
        a.send(encode(b"MGET", *[b"z%d" % i for i in range(300)]) + encode(b"PING"))
        steps.append(collect(2)[0])
        steps.append(info(b)["tracking_total_keys"])
        return steps
    finally:
        a.close()
        b.close()


class TrackingTableLimit(unittest.TestCase):
    WANT = [["reply", 100, "reply", 200, "reply", 190, "reply", "reply"], True, "10",
            ([10, "reply"], True, 10), ["reply"], (5, "3"), ["reply", "reply"], "303"]

    def test_respite_evicts_as_redis_does(self):
        respite = Server(["--tracking-table-max-keys", "5"]).start()
        try:
            c = RespConn(socket.create_connection((HOST, respite.port), timeout=10))
            self.assertEqual(c.cmd("CONFIG", "GET", "tracking-table-max-keys"),
                             [b"tracking-table-max-keys", b"5"])
            c.close()
            self.assertEqual(limit_flow(respite.port), self.WANT)
            respite.assert_alive()
        finally:
            respite.stop()

    @unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
    def test_redis74_evicts_so(self):
        redis = RedisServer(redis74_path()).start()
        try:
            self.assertEqual(limit_flow(redis.port), self.WANT)
        finally:
            redis.stop()


@unittest.skipUnless(MODULES, "node, npm or the redis package are not available")
class NodeRedisClientSideCache(ServerTestCase):
    def test_node_redis_client_side_cache_resp3(self):
        env = dict(os.environ, NODE_PATH=MODULES)
        p = subprocess.run(["node", os.path.join(HERE, "node", "client_cache.js"),
                            str(self.server.port)],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("ok "), p.stdout)


if __name__ == "__main__":
    main()
