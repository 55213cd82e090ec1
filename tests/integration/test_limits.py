# SPDX-License-Identifier: BSD-3-Clause
"""Server limits under load: maxclients, output buffer limits against a client that
never reads, a thousand idle connections, the idle timeout, and a slow sender. In every
case the other clients keep being served.
"""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ServerTestCase, encode, main, raise_nofile,  # noqa: E402
                     read_until_closed, recv_exactly)

VALUE_SIZE = 10 * 1024
NGETS = 10000
GET_REPLY = b"$%d\r\n" % VALUE_SIZE + b"v" * VALUE_SIZE + b"\r\n"


class MaxClients(ServerTestCase):

    def test_eleventh_client_is_refused_and_the_first_ten_still_work(self):
        srv = self.spawn("--maxclients", "10")
        first = [srv.conn() for _ in range(10)]
        for c in first:
            self.addCleanup(c.close)
            self.assertEqual(c.cmd("PING"), b"PONG")
        extra = srv.connect()
        self.addCleanup(extra.close)
        data, closed = read_until_closed(extra, timeout=10)
        self.assertEqual(data, b"-ERR max number of clients reached\r\n")
        self.assertTrue(closed)
        for i, c in enumerate(first):
            self.assertEqual(c.cmd("ECHO", "c%d" % i), b"c%d" % i)
        # A slot freed by a client that leaves is usable again.
        first[0].close()
        deadline = time.monotonic() + 5
        while True:
            again = srv.connect()
            self.addCleanup(again.close)
            try:
                again.sendall(b"PING\r\n")
                data = recv_exactly(again, 7)
            except OSError:   # refused and reset: the slot is not free yet
                data = b""
            if data == b"+PONG\r\n" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(data, b"+PONG\r\n")

    def test_maxclients_set_at_run_time(self):
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "SET", "maxclients", "3"), b"OK")
        more = [srv.connect() for _ in range(3)]
        try:
            more[0].sendall(b"PING\r\n")
            self.assertEqual(recv_exactly(more[0], 7), b"+PONG\r\n")
            data, closed = read_until_closed(more[2], timeout=10)
            self.assertEqual(data, b"-ERR max number of clients reached\r\n")
            self.assertTrue(closed)
        finally:
            for s in more:
                s.close()
        self.assertEqual(c.cmd("CONFIG", "SET", "maxclients", "10000"), b"OK")


class OutputBuffer(ServerTestCase):
    """A client pipelines 10,000 GETs of a 10 kB value (100 MB of replies) and never
    reads them."""

    def flood(self, srv):
        setup = srv.conn()
        self.addCleanup(setup.close)
        self.assertEqual(setup.cmd("SET", "big", b"v" * VALUE_SIZE), b"OK")
        reader_never = srv.connect(timeout=30, rcvbuf=64 * 1024)
        self.addCleanup(reader_never.close)
        sender = threading.Thread(target=self.send_quietly,
                                  args=(reader_never, encode("GET", "big") * NGETS))
        sender.daemon = True
        sender.start()
        self.addCleanup(sender.join, 35)
        return reader_never, sender

    @staticmethod
    def send_quietly(sock, data):
        try:
            sock.sendall(data)
        except OSError:
            pass   # closed by the server, or the test gave up: both are checked elsewhere

    def others_are_served(self, srv, seconds):
        other = srv.conn(timeout=5)
        self.addCleanup(other.close)
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            self.assertEqual(other.cmd("ECHO", "alive%d" % n), b"alive%d" % n)
            self.assertLess(time.monotonic() - t0, 2.0, "another client waited over 2s")
            n += 1
            time.sleep(0.05)

    def test_hard_limit_disconnects_the_non_reader_others_are_served(self):
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "SET", "client-output-buffer-limit",
                               "normal 1mb 512kb 1"), b"OK")
        flooder, sender = self.flood(srv)
        self.others_are_served(srv, 2.0)
        data, closed = read_until_closed(flooder, timeout=20)
        self.assertTrue(closed, "the client over the output limit was not disconnected")
        self.assertLess(len(data), NGETS * len(GET_REPLY))
        sender.join(10)
        self.assertIn("output buffer limits", srv.stdout())

    def test_soft_limit_disconnects_after_its_seconds(self):
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "SET", "client-output-buffer-limit",
                               "normal 0 256kb 1"), b"OK")
        flooder, sender = self.flood(srv)
        t0 = time.monotonic()
        self.others_are_served(srv, 2.0)
        data, closed = read_until_closed(flooder, timeout=20)
        self.assertTrue(closed, "the client over the soft limit was not disconnected")
        self.assertLess(len(data), NGETS * len(GET_REPLY))
        self.assertGreater(time.monotonic() - t0, 1.0)
        sender.join(10)

    def test_client_vanishing_mid_reply_is_cleaned_up(self):
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("SET", "big", b"v" * 100000), b"OK")
        for _ in range(20):
            s = srv.connect()
            s.sendall(encode("GET", "big") * 200)
            s.recv(1000)
            # Close with a reset while the server still has megabytes to write.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        self.assertEqual(c.cmd("PING"), b"PONG")
        srv.assert_alive()

    def test_no_limit_by_default_server_stays_up_and_serves_others(self):
        srv = self.spawn()
        flooder, sender = self.flood(srv)
        self.others_are_served(srv, 2.0)
        # Now read everything: every reply arrives, in full.
        want = NGETS * len(GET_REPLY)
        got = 0
        deadline = time.monotonic() + 60
        flooder.settimeout(10)
        while got < want and time.monotonic() < deadline:
            chunk = flooder.recv(1 << 20)
            if not chunk:
                break
            got += len(chunk)
        self.assertEqual(got, want)
        sender.join(10)
        srv.assert_alive()


class HugeReply(ServerTestCase):
    """A small command whose reply grows with an argument (SRANDMEMBER, HRANDFIELD with a
    huge negative count) from a client that never reads: the reply stops growing at the
    hard limit, the client is closed, the server's memory peak stays near the limit, and
    another client is answered meanwhile."""

    LIMIT_MB = 8

    def vm_hwm_kb(self, srv):
        with open("/proc/%d/status" % srv.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise AssertionError("no VmHWM")

    def limited_server(self):
        srv = self.spawn()
        c = srv.conn(timeout=10)
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "SET", "client-output-buffer-limit",
                               "normal %dmb 0 0" % self.LIMIT_MB), b"OK")
        self.assertEqual(c.cmd("SADD", "tiny", "a", "b", "c"), 3)
        self.assertEqual(c.cmd("HSET", "tinyh", "f1", "v1", "f2", "v2"), 2)
        return srv, c

    def closed_while_others_served(self, srv, c, payload):
        """Send payload from a client that never reads; return once it is gone (at most
        20 s), checking that c's PINGs answer meanwhile."""
        hwm0 = self.vm_hwm_kb(srv)
        never = srv.connect(rcvbuf=4096)
        self.addCleanup(never.close)
        never.sendall(payload)
        deadline = time.monotonic() + 20
        while True:
            t0 = time.monotonic()
            self.assertEqual(c.cmd("PING"), b"PONG")
            self.assertLess(time.monotonic() - t0, 2.0, "a PING waited over 2s")
            if c.cmd("CLIENT", "LIST").count(b"cmd=") == 1:
                break
            self.assertLess(time.monotonic(), deadline, "the non-reader was not closed")
            time.sleep(0.02)
        # Its replies stopped at the limit: the peak grew by about the limit, not by the
        # hundreds of megabytes the whole reply takes.
        self.assertLess(self.vm_hwm_kb(srv) - hwm0, (self.LIMIT_MB + 40) * 1024)
        self.assertIn("scheduled to be closed ASAP for overcoming of output buffer limits",
                      srv.stdout())

    def test_srandmember_huge_negative_count(self):
        srv, c = self.limited_server()
        self.closed_while_others_served(srv, c, encode("SRANDMEMBER", "tiny", "-50000000"))

    def test_hrandfield_huge_negative_count_withvalues(self):
        srv, c = self.limited_server()
        self.closed_while_others_served(
            srv, c, encode("HRANDFIELD", "tinyh", "-30000000", "WITHVALUES"))

    def test_inside_exec_the_reply_stops_and_the_writes_after_it_still_run(self):
        srv, c = self.limited_server()
        self.closed_while_others_served(
            srv, c, encode("MULTI") + encode("SRANDMEMBER", "tiny", "-50000000") +
            encode("SET", "after", "1") + encode("EXEC"))
        self.assertEqual(c.cmd("GET", "after"), b"1")

    def test_without_a_limit_the_whole_reply_arrives(self):
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        c.cmd("SADD", "tiny", "a")
        c.send(encode("SRANDMEMBER", "tiny", "-300000"))
        want = b"*300000\r\n" + b"$1\r\na\r\n" * 300000
        self.assertEqual(c.read_bytes(len(want), timeout=30), want)
        self.assertEqual(c.cmd("PING"), b"PONG")


class ManyConnections(ServerTestCase):

    def test_1000_idle_connections_and_the_server_keeps_answering(self):
        raise_nofile(4096)
        srv = self.spawn(nofile=4096)
        idle = []
        try:
            for _ in range(1000):
                idle.append(srv.connect(timeout=10))
            probe = srv.conn()
            self.addCleanup(probe.close)
            self.assertEqual(probe.cmd("PING"), b"PONG")
            for s in idle[::100]:
                s.sendall(b"PING\r\n")
                self.assertEqual(recv_exactly(s, 7), b"+PONG\r\n")
            self.assertEqual(probe.cmd("SET", "still", "here"), b"OK")
            self.assertEqual(probe.cmd("GET", "still"), b"here")
        finally:
            for s in idle:
                s.close()
        srv.assert_alive()


class IdleTimeout(ServerTestCase):

    def test_idle_client_closed_active_client_kept(self):
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "SET", "timeout", "1"), b"OK")
        idle = srv.connect()
        self.addCleanup(idle.close)
        idle.sendall(b"PING\r\n")
        self.assertEqual(recv_exactly(idle, 7), b"+PONG\r\n")
        t0 = time.monotonic()
        active = srv.conn()
        self.addCleanup(active.close)
        holder = {}

        def wait_idle():
            holder["result"] = read_until_closed(idle, timeout=6)
            holder["elapsed"] = time.monotonic() - t0

        waiter = threading.Thread(target=wait_idle)
        waiter.start()
        n = 0
        while time.monotonic() - t0 < 3.5:
            self.assertEqual(active.cmd("ECHO", "a%d" % n), b"a%d" % n)
            n += 1
            time.sleep(0.3)
        waiter.join(10)
        data, closed = holder["result"]
        self.assertTrue(closed, "idle client not closed after timeout 1")
        self.assertEqual(data, b"")
        self.assertGreaterEqual(holder["elapsed"], 0.9)
        self.assertLess(holder["elapsed"], 3.0)
        self.assertEqual(active.cmd("PING"), b"PONG")
        c.close()  # c idled through all this: it is gone too, which is fine


class SlowSender(ServerTestCase):

    def test_byte_by_byte_sender_does_not_hold_up_others(self):
        srv = self.server
        slow = srv.conn()
        self.addCleanup(slow.close)
        data = encode("SET", "slow:key", "s" * 150)
        done = threading.Event()

        def trickle():
            try:
                for i in range(len(data)):
                    if done.is_set():
                        return
                    slow.send(data[i:i + 1])
                    time.sleep(0.01)
            except OSError:
                pass

        t = threading.Thread(target=trickle)
        t.start()
        self.addCleanup(t.join, 10)
        self.addCleanup(done.set)
        fast = srv.conn(timeout=5)
        self.addCleanup(fast.close)
        fast.cmd("DEL", "fast:n")
        n = 0
        while t.is_alive() and n < 1000:
            t0 = time.monotonic()
            self.assertEqual(fast.cmd("INCR", "fast:n"), n + 1)
            self.assertLess(time.monotonic() - t0, 0.5)
            n += 1
            time.sleep(0.02)
        t.join(10)
        self.assertGreater(n, 20)
        self.assertEqual(slow.reply(), b"OK")
        self.assertEqual(fast.cmd("GET", "slow:key"), b"s" * 150)


if __name__ == "__main__":
    main()
