# SPDX-License-Identifier: BSD-3-Clause
"""Server limits under load: maxclients, output buffer limits against a client that
never reads, a thousand idle connections, the idle timeout, and a slow sender. In every
case the other clients keep being served.
"""
import os
import re
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
        first = [srv.conn()]
        # The start-up check's PING connection counts until the server has read its close.
        deadline = time.monotonic() + 10
        while b"connected_clients:1\r\n" not in first[0].cmd("INFO", "clients"):
            self.assertLess(time.monotonic(), deadline, "the start-up connection lingers")
            time.sleep(0.01)
        first += [srv.conn() for _ in range(9)]
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


class QueryBuffer(ServerTestCase):

    def test_blocked_client_streaming_commands_is_closed_at_the_limit(self):
        # Its commands wait behind the BLPOP, so nothing runs them: the limit is what
        # bounds the query buffer, as in Redis ("reached max query buffer length").
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "SET", "client-query-buffer-limit", "1mb"), b"OK")
        rss0 = srv.rss_kb()
        flooder = srv.connect(timeout=10)
        self.addCleanup(flooder.close)
        flooder.sendall(encode("BLPOP", "nolist", "0"))
        chunk = encode("SET", "k", b"v" * 1000) * 1000   # 1 MB
        sent = 0
        try:
            for _ in range(20):
                flooder.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass   # closed while we send: the point
        data, closed = read_until_closed(flooder, timeout=10)
        self.assertTrue(closed, "a blocked client over client-query-buffer-limit was kept")
        self.assertEqual(data, b"")
        self.assertLess(srv.rss_kb() - rss0, 16 * 1024)
        self.assertEqual(c.cmd("EXISTS", "k"), 0)
        self.assertEqual(c.cmd("PING"), b"PONG")
        self.assertIn("max query buffer length", srv.stdout())

    def test_client_closing_after_a_reply_keeps_no_input(self):
        # After QUIT nothing more of the client runs: what it still sends is dropped
        # (no growth, no close before its replies), while its replies drain.
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "SET", "client-query-buffer-limit", "1mb"), b"OK")
        s = srv.connect(timeout=10)
        self.addCleanup(s.close)
        s.sendall(encode("QUIT"))
        try:
            for _ in range(3):
                s.sendall(encode("SET", "k", b"v" * 1000) * 1000)
        except OSError:
            pass
        data, closed = read_until_closed(s, timeout=10)
        self.assertTrue(closed)
        self.assertEqual(data, b"+OK\r\n")
        self.assertEqual(c.cmd("EXISTS", "k"), 0)


class HugeReply(ServerTestCase):
    """A small command whose reply grows with an argument (SRANDMEMBER, HRANDFIELD,
    ZRANDMEMBER with a huge negative count) from a client that never reads: the reply stops growing at the
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
        self.assertEqual(c.cmd("ZADD", "tinyz", "1", "a", "2.5", "b"), 2)
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

    def test_zrandmember_huge_negative_count(self):
        srv, c = self.limited_server()
        self.closed_while_others_served(srv, c, encode("ZRANDMEMBER", "tinyz", "-50000000"))

    def test_zrandmember_huge_negative_count_withscores(self):
        srv, c = self.limited_server()
        self.closed_while_others_served(
            srv, c, encode("ZRANDMEMBER", "tinyz", "-30000000", "WITHSCORES"))

    def test_sort_with_many_gets(self):
        srv, c = self.limited_server()
        c.cmd("RPUSH", "l", *[str(i) for i in range(1000)])
        self.closed_while_others_served(srv, c, encode("SORT", "l", *["GET", "#"] * 20000))

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


class NonReadingClient(ServerTestCase):
    """A client with a small receive buffer pipelines 3,000 GETs of a 10 kB value and
    never reads: megabytes of its replies wait, and a write is in flight."""

    def stuck_client(self, srv, rcvbuf=4096):
        setup = srv.conn()
        self.addCleanup(setup.close)
        self.assertEqual(setup.cmd("SET", "big", b"v" * VALUE_SIZE), b"OK")
        s = srv.connect(timeout=10, rcvbuf=rcvbuf)
        self.addCleanup(s.close)
        s.sendall(encode("CLIENT", "ID"))
        line = b""
        while not line.endswith(b"\r\n"):
            line += s.recv(1)
        cid = int(line[1:-2])
        s.sendall(encode("GET", "big") * 3000)
        deadline = time.monotonic() + 10
        while b" omem=0 " in self.entry(setup, cid) or b"events=rw" not in self.entry(setup, cid):
            self.assertLess(time.monotonic(), deadline, "its replies did not pile up")
            time.sleep(0.05)
        return setup, cid, s

    @staticmethod
    def entry(c, cid):
        for line in c.cmd("CLIENT", "LIST").splitlines():
            if line.startswith(b"id=%d " % cid):
                return line
        return b""

    def wait_gone(self, c, cid, seconds):
        t0 = time.monotonic()
        while self.entry(c, cid):
            self.assertLess(time.monotonic() - t0, seconds, "still listed: %r" % self.entry(c, cid))
            time.sleep(0.02)
        return time.monotonic() - t0

    def test_client_kill_closes_it_at_once_its_output_dropped(self):
        srv = self.spawn()
        c, cid, _ = self.stuck_client(srv)
        self.assertEqual(c.cmd("CLIENT", "KILL", "ID", str(cid)), 1)
        # At once: it never reads, so a kill that waited for its output would never end
        # (the bound is for a loaded machine).
        self.wait_gone(c, cid, 10)
        self.assertEqual(c.cmd("CLIENT", "KILL", "ID", str(cid)), 0)
        self.assertEqual(c.cmd("PING"), b"PONG")

    def test_idle_timeout_closes_it_though_output_is_pending(self):
        srv = self.spawn()
        c, cid, _ = self.stuck_client(srv)
        t0 = time.monotonic()
        self.assertEqual(c.cmd("CONFIG", "SET", "timeout", "2"), b"OK")
        # c itself stays active meanwhile. Gone 2 s after its last write went out, where a
        # server that waited for its output would keep it for ever (the bound is for a
        # loaded machine).
        while self.entry(c, cid):
            self.assertLess(time.monotonic() - t0, 15, "not timed out: %r" % self.entry(c, cid))
            time.sleep(0.1)
        self.assertEqual(c.cmd("PING"), b"PONG")

    def test_client_draining_slowly_is_not_idle(self):
        # Every write it takes counts as an interaction: reading about 6 MB/s (its 30 MB
        # of replies take ~5 s), it is still there after 2.5 s with timeout 1.
        srv = self.spawn()
        c, cid, sock = self.stuck_client(srv, rcvbuf=256 * 1024)
        self.assertEqual(c.cmd("CONFIG", "SET", "timeout", "1"), b"OK")
        t0 = last_check = time.monotonic()
        while time.monotonic() - t0 < 2.5:
            self.assertTrue(sock.recv(65536))
            time.sleep(0.01)
            if time.monotonic() - last_check > 0.25:
                self.assertTrue(self.entry(c, cid), "a client reading its replies timed out")
                last_check = time.monotonic()

class PipeliningNeighbour(ServerTestCase):

    @staticmethod
    def gets_run(c):
        info = c.cmd("INFO", "commandstats")
        m = re.search(rb"cmdstat_get:calls=(\d+)", info)
        return int(m.group(1)) if m else 0

    def test_a_client_pipelining_without_reading_does_not_stall_the_others(self):
        # 30,000 GETs of 10 kB in one send, never read. The server reads a bounded
        # slice of them per loop turn (16 kB, ~700 GETs) and serves the others in
        # between: between two replies to a client that sends its next command at once,
        # about one slice runs, not what the flooder's socket holds (~9,000 GETs and
        # hundreds of ms when a client's reads were run 32 at a time). Counted in GETs
        # rather than timed, and the median of the counts rather than the worst: a
        # client kept from a CPU on a loaded machine lets a few slices run now and then,
        # a server that runs what the socket holds does so between every two replies.
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("SET", "big", b"v" * VALUE_SIZE), b"OK")
        flooder = srv.connect(timeout=30)
        self.addCleanup(flooder.close)
        total = 30000
        sender = threading.Thread(target=OutputBuffer.send_quietly,
                                  args=(flooder, encode("GET", "big") * total))
        sender.daemon = True
        sender.start()
        self.addCleanup(sender.join, 35)
        between = []
        last = self.gets_run(c)
        deadline = time.monotonic() + 30
        while last < total:
            self.assertLess(time.monotonic(), deadline, "the pipeline was not run")
            now = self.gets_run(c)
            between.append(now - last)
            last = now
        between.sort()
        self.assertLess(between[len(between) // 2], 5000, "GETs of one client that ran "
                        "between two replies to another: %s" % between)


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
