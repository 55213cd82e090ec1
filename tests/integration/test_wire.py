# SPDX-License-Identifier: BSD-3-Clause
"""The RESP wire protocol over raw sockets, byte for byte as redis-server 7 speaks it.

Pipelining, every protocol error (exact text, the connection closed after it, the
commands before it in the same packet answered), inline commands with quotes, commands
split at every byte, the memory a declared but unsent huge bulk costs, proto-max-bulk-len,
client-query-buffer-limit and the RESP3 reply shapes after HELLO 3.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RespError, RespiteAndRedis, ServerTestCase, encode,  # noqa: E402
                     main, read_until_closed)

PROTO_ERR = b"-ERR Protocol error: "


class Pipelining(ServerTestCase):

    def test_1000_commands_in_one_send_get_1000_replies_in_order(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        c.cmd("DEL", "pipe:counter")
        blob = b"".join(encode("INCR", "pipe:counter") + encode("ECHO", "m%d" % i)
                        for i in range(500))
        c.send(blob)
        for i in range(500):
            self.assertEqual(c.reply(), i + 1)
            self.assertEqual(c.reply(), b"m%d" % i)

    def test_a_batch_finds_its_projects_again_after_a_command_in_it_frees_them(self):
        # A batch's keys are routed to their projects' shards before its
        # commands run; FLUSHALL, or DELs that empty half the projects (the
        # db compacts), free shards under the commands after them.
        c = self.server.conn()
        self.addCleanup(c.close)
        keys = ["project:wire%d:s" % i for i in range(8)]
        c.send(b"".join(encode("SADD", k, "m") for k in keys))
        for _ in keys:
            self.assertEqual(c.reply(), 1)
        c.send(b"".join(encode("SADD", k, "n") for k in keys[:4]) + encode("FLUSHALL") +
               b"".join(encode("SADD", k, "m") for k in keys[4:]) +
               b"".join(encode("SCARD", k) for k in keys))
        self.assertEqual([c.reply() for _ in range(4)], [1] * 4)
        self.assertEqual(c.reply(), b"OK")
        self.assertEqual([c.reply() for _ in range(4)], [1] * 4)
        self.assertEqual([c.reply() for _ in keys], [0] * 4 + [1] * 4)
        c.send(b"".join(encode("SADD", k, "m") for k in keys[:4]) +
               b"".join(encode("DEL", k) for k in keys[:6]) +
               b"".join(encode("SADD", k, "x") for k in keys) +
               b"".join(encode("SCARD", k) for k in keys))
        self.assertEqual([c.reply() for _ in range(10)], [1] * 10)
        self.assertEqual([c.reply() for _ in keys], [1] * 8)
        self.assertEqual([c.reply() for _ in keys], [1] * 6 + [2] * 2)

    def test_inline_and_multibulk_mixed_in_one_packet(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        c.send(b"SET mix v\r\n" + encode("GET", "mix") + b"GET mix\n" + encode("PING"))
        self.assertEqual(c.read_bytes(5 + 7 + 7 + 7), b"+OK\r\n$1\r\nv\r\n$1\r\nv\r\n+PONG\r\n")

    def test_a_batch_then_a_partial_command_completed_later(self):
        # The server parses up to a batch of commands before running them;
        # the command cut by the end of a read is finished by the next one.
        c = self.server.conn()
        self.addCleanup(c.close)
        last = encode("SET", "pipe:tail", "x" * 5000)
        c.send(b"".join(encode("SET", "pipe:%d" % i, str(i)) for i in range(40)) + last[:2600])
        for _ in range(40):
            self.assertEqual(c.reply(), b"OK")
        time.sleep(0.05)
        c.send(last[2600:] + encode("STRLEN", "pipe:tail") + encode("MGET", "pipe:0", "pipe:39"))
        self.assertEqual(c.reply(), b"OK")
        self.assertEqual(c.reply(), 5000)
        self.assertEqual(c.reply(), [b"0", b"39"])

    def test_commands_after_a_blocked_one_run_once_served_inline_and_multibulk(self):
        # Commands parsed with a blocking one that blocks are run, with the
        # same arguments, once it is served; inline ones are unescaped only once.
        for first, rest in ((encode("BLPOP", "pipe:q", "0"),
                             encode("SET", "pipe:a b", "c d") + encode("GET", "pipe:a b")),
                            (b"BLPOP pipe:q 0\r\n",
                             b'SET "pipe:a b" "c d"\r\nGET "pipe:a b"\r\n')):
            a = self.server.conn()
            self.addCleanup(a.close)
            b = self.server.conn()
            self.addCleanup(b.close)
            b.cmd("DEL", "pipe:a b")
            a.send(first + rest)
            deadline = time.monotonic() + 5
            while b"blocked_clients:1" not in b.cmd("INFO", "clients"):
                self.assertLess(time.monotonic(), deadline, "the BLPOP did not block")
                time.sleep(0.01)
            self.assertEqual(b.cmd("EXISTS", "pipe:a b"), 0, "a command after the blocked one ran")
            self.assertEqual(b.cmd("RPUSH", "pipe:q", "v"), 1)
            self.assertEqual(a.reply(), [b"pipe:q", b"v"])
            self.assertEqual(a.reply(), b"OK")
            self.assertEqual(a.reply(), b"c d")


class BatchCutThenParsedAgain(RespiteAndRedis):
    """One packet whose batch is cut at a blocking command (or at a command that changes
    the request limits) and parsed again later: the replies are redis-server's, byte for
    byte, and the commands between the cut and a protocol error run."""

    def exchange(self, srv, payload):
        s = socket.create_connection((HOST, srv.port), timeout=10)
        self.addCleanup(s.close)
        s.sendall(payload)
        data, closed = read_until_closed(s, timeout=10)
        self.assertTrue(closed, "the connection was left open after a protocol error")
        return data

    def on_both(self, payload, after=()):
        """The bytes payload gets and the replies of `after` (commands run next on a
        fresh connection), from redis-server and from respite; asserted equal."""
        got = []
        for srv in (self.reference, self.respite):
            data = self.exchange(srv, payload)
            c = srv.client()
            self.addCleanup(c.close)
            got.append((data, [c.execute_command(*cmd) for cmd in after]))
        self.assertEqual(got[1], got[0])
        return got[0]

    def test_command_between_a_blocking_one_and_a_protocol_error_runs(self):
        data, after = self.on_both(encode("BLPOP", "cut:q", "0.05") + encode("SET", "cut:a", "1") +
                                   b"*1\r\n$-5\r\n", after=[("GET", "cut:a"), ("DEL", "cut:a")])
        self.assertEqual(data, b"*-1\r\n+OK\r\n" + PROTO_ERR + b"invalid bulk length\r\n")
        self.assertEqual(after, [b"1", 1])

    def test_bulk_over_a_proto_max_bulk_len_lowered_in_the_same_batch(self):
        # The commands queued behind the blocked BLPOP form one batch when it is served.
        data, after = self.on_both(
            encode("BLPOP", "cut:q", "0.05") + encode("CONFIG", "SET", "proto-max-bulk-len", "1mb") +
            encode("SET", "cut:big", b"b" * (1536 * 1024)),
            after=[("CONFIG", "SET", "proto-max-bulk-len", "512mb"), ("EXISTS", "cut:big")])
        self.assertEqual(data, b"*-1\r\n+OK\r\n" + PROTO_ERR + b"invalid bulk length\r\n")
        self.assertEqual(after, [b"OK", 0])

    def test_reset_to_unauthenticated_applies_to_the_rest_of_the_batch(self):
        for srv in (self.reference, self.respite):
            c = srv.client()
            self.addCleanup(c.close)
            c.config_set("requirepass", "cutpw")
            self.addCleanup(lambda c=c: (c.execute_command("AUTH", "cutpw"),
                                         c.config_set("requirepass", "")))
        data, _ = self.on_both(encode("AUTH", "cutpw") + encode("BLPOP", "cut:q", "0.05") +
                               encode("RESET") + encode("MSET", *["cut:k"] * 12) + b"PING\r\n")
        self.assertEqual(data, b"+OK\r\n*-1\r\n+RESET\r\n" + PROTO_ERR +
                         b"unauthenticated multibulk length\r\n")


class Quit(ServerTestCase):

    def test_quit_replies_ok_closes_and_runs_nothing_after_it(self):
        s = self.server.connect()
        self.addCleanup(s.close)
        s.sendall(b"PING\r\n" + encode("QUIT") + encode("SET", "after-quit", "1"))
        data, closed = read_until_closed(s)
        self.assertEqual(data, b"+PONG\r\n+OK\r\n")
        self.assertTrue(closed)
        c = self.server.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("EXISTS", "after-quit"), 0)


class ProtocolErrors(ServerTestCase):
    """Each bad input follows two good commands in the same packet: both are answered,
    then comes the error, then the server closes the connection."""

    PREFIX = encode("SET", "before", "1") + b"PING\r\n"
    PREFIX_REPLY = b"+OK\r\n+PONG\r\n"

    def expect_protocol_error(self, bad, text):
        s = self.server.connect()
        self.addCleanup(s.close)
        s.sendall(self.PREFIX + bad)
        data, closed = read_until_closed(s, timeout=10)
        self.assertEqual(data, self.PREFIX_REPLY + PROTO_ERR + text + b"\r\n")
        self.assertTrue(closed, "connection left open after a protocol error")
        self.server.assert_alive()

    def test_invalid_multibulk_length_not_a_number(self):
        self.expect_protocol_error(b"*abc\r\n", b"invalid multibulk length")

    def test_invalid_multibulk_length_over_int_max(self):
        self.expect_protocol_error(b"*3000000000\r\n", b"invalid multibulk length")

    def test_invalid_bulk_length_not_a_number(self):
        self.expect_protocol_error(b"*2\r\n$abc\r\n", b"invalid bulk length")

    def test_invalid_bulk_length_negative(self):
        self.expect_protocol_error(b"*2\r\n$-1\r\n", b"invalid bulk length")

    def test_invalid_bulk_length_over_default_proto_max_bulk_len(self):
        self.expect_protocol_error(b"*2\r\n$3\r\nGET\r\n$536870913\r\n", b"invalid bulk length")

    def test_expected_dollar(self):
        self.expect_protocol_error(b"*2\r\nfoo\r\n", b"expected '$', got 'f'")

    def test_expected_dollar_on_second_argument(self):
        self.expect_protocol_error(b"*2\r\n$3\r\nGET\r\n:1\r\n", b"expected '$', got ':'")

    def test_unbalanced_quotes_inline(self):
        self.expect_protocol_error(b'SET "a b\r\n', b"unbalanced quotes in request")

    def test_closing_quote_followed_by_a_character_inline(self):
        self.expect_protocol_error(b'SET a "b"c\r\n', b"unbalanced quotes in request")

    def test_too_big_inline_request(self):
        self.expect_protocol_error(b"x" * (64 * 1024 + 100), b"too big inline request")

    def test_too_big_mbulk_count_string(self):
        self.expect_protocol_error(b"*" + b"1" * (64 * 1024 + 100), b"too big mbulk count string")

    def test_too_big_bulk_count_string(self):
        self.expect_protocol_error(b"*2\r\n$3\r\nGET\r\n$" + b"1" * (64 * 1024 + 100),
                                   b"too big bulk count string")


class UnauthenticatedLimits(ProtocolErrors):
    """With requirepass, Redis refuses big requests before AUTH: more than 10
    arguments or a bulk over 16384 bytes. After AUTH the usual limits apply."""

    server_args = ("--requirepass", "s3cret")
    PREFIX = encode("PING") + b"PING\r\n"
    PREFIX_REPLY = (b"-NOAUTH Authentication required.\r\n"
                    b"-NOAUTH Authentication required.\r\n")

    def test_eleven_arguments_before_auth(self):
        self.expect_protocol_error(encode(*["ECHO"] + ["a"] * 10),
                                   b"unauthenticated multibulk length")

    def test_bulk_over_16384_bytes_before_auth(self):
        self.expect_protocol_error(b"*2\r\n$4\r\nECHO\r\n$16385\r\n",
                                   b"unauthenticated bulk length")

    def test_after_auth_big_requests_pass(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("AUTH", "s3cret"), b"OK")
        self.assertEqual(c.cmd("ECHO", "x" * 20000), b"x" * 20000)
        self.assertEqual(c.cmd("DEL", *["k%d" % i for i in range(20)]), 0)


class InlineCommands(ServerTestCase):

    def test_quotes_and_escapes(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        c.send(b"SET 'a b' \"c\\x41\\n\\t\\\"d\"\r\n")
        self.assertEqual(c.reply(), b"OK")
        self.assertEqual(c.cmd("GET", "a b"), b'cA\n\t"d')
        c.send(b"SET empty \"\"\r\nSTRLEN empty\r\n")
        self.assertEqual(c.reply(), b"OK")
        self.assertEqual(c.reply(), 0)
        c.send(b"SET single 'it\\'s'\r\nGET single\r\n")
        self.assertEqual(c.reply(), b"OK")
        self.assertEqual(c.reply(), b"it's")

    def test_blank_lines_and_empty_multibulk_are_skipped(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        c.send(b"\r\n   \r\n\n*0\r\n*-1\r\nPING\r\n")
        self.assertEqual(c.read_bytes(7), b"+PONG\r\n")
        c.send(b"PING\r\n")   # nothing else was pending before it
        self.assertEqual(c.read_bytes(7), b"+PONG\r\n")


class SplitCommands(ServerTestCase):
    CMD = encode("SET", "split:key", "0123456789abcdef")

    def test_command_split_at_every_byte_position(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        for cut in range(1, len(self.CMD)):
            c.send(self.CMD[:cut])
            time.sleep(0.002)
            c.send(self.CMD[cut:] + encode("GET", "split:key"))
            self.assertEqual(c.reply(), b"OK", "cut at %d" % cut)
            self.assertEqual(c.reply(), b"0123456789abcdef")

    def test_command_sent_one_byte_at_a_time(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        data = encode("SET", "bytewise", "v" * 20) + b"GET 'bytewise'\r\n"
        for i in range(len(data)):
            c.send(data[i:i + 1])
            time.sleep(0.003)
        self.assertEqual(c.reply(), b"OK")
        self.assertEqual(c.reply(), b"v" * 20)


class LargeInput(ServerTestCase):

    def test_declared_512mb_bulk_costs_only_what_was_sent(self):
        before = self.server.rss_kb()
        s = self.server.connect()
        self.addCleanup(s.close)
        s.sendall(b"*2\r\n$3\r\nGET\r\n$536870912\r\n" + b"z" * 4096)
        time.sleep(0.5)
        grown_kb = self.server.rss_kb() - before
        self.assertLess(grown_kb, 8 * 1024, "RSS grew by %d kB for a 4 kB partial bulk" % grown_kb)
        self.server.assert_alive()

    def test_20mb_value_round_trip_and_pipelined_large_replies(self):
        c = self.server.conn(timeout=30)
        self.addCleanup(c.close)
        value = os.urandom(20 << 20)
        self.assertEqual(c.cmd("SET", "huge", value), b"OK")
        self.assertEqual(c.cmd("GET", "huge"), value)
        c.send(encode("GET", "huge") * 3 + encode("STRLEN", "huge"))
        for _ in range(3):
            self.assertEqual(c.reply(), value)
        self.assertEqual(c.reply(), 20 << 20)
        self.assertEqual(c.cmd("DEL", "huge"), 1)

    def test_declared_million_arguments_cost_only_what_was_sent(self):
        before = self.server.rss_kb()
        s = self.server.connect()
        self.addCleanup(s.close)
        s.sendall(b"*1000000\r\n$3\r\nSET\r\n$1\r\nk\r\n")
        time.sleep(0.5)
        grown_kb = self.server.rss_kb() - before
        self.assertLess(grown_kb, 8 * 1024,
                        "RSS grew by %d kB for 2 of 1000000 arguments" % grown_kb)
        self.server.assert_alive()

    def test_commands_with_100000_arguments(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        n = 50000
        self.assertEqual(c.cmd("MSET", *[x for i in range(n) for x in ("many:%d" % i, "v%d" % i)]),
                         b"OK")
        self.assertEqual(c.cmd("GET", "many:49999"), b"v49999")
        self.assertEqual(c.cmd("EXISTS", *["many:%d" % i for i in range(n)]), n)
        c.send(b"DEL " + b" ".join(b"many:%d" % i for i in range(5000)) + b"\r\n")
        self.assertEqual(c.reply(), 5000)
        self.assertEqual(c.cmd("DEL", *["many:%d" % i for i in range(n)]), n - 5000)

    def test_value_of_exactly_proto_max_bulk_len_passes_one_more_byte_fails(self):
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "SET", "proto-max-bulk-len", "1mb"), b"OK")
        self.assertEqual(c.cmd("SET", "big", b"b" * (1 << 20)), b"OK")
        self.assertEqual(c.cmd("STRLEN", "big"), 1 << 20)
        c.send(b"PING\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n" % ((1 << 20) + 1))
        data, closed = read_until_closed(c.sock)
        self.assertEqual(data, b"+PONG\r\n" + PROTO_ERR + b"invalid bulk length\r\n")
        self.assertTrue(closed)
        srv.assert_alive()

    def test_query_buffer_limit_closes_the_client_not_the_server(self):
        srv = self.spawn()
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "SET", "client-query-buffer-limit", "1mb"), b"OK")
        other = srv.conn()
        self.addCleanup(other.close)
        payload = b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$4000000\r\n" + b"q" * (1536 * 1024)
        try:
            c.send(payload)
        except OSError:
            pass   # the server may close while we are still sending: that is the point
        data, closed = read_until_closed(c.sock, timeout=10)
        self.assertTrue(closed, "client over client-query-buffer-limit was not closed")
        self.assertEqual(data, b"")
        self.assertEqual(other.cmd("PING"), b"PONG")
        self.assertEqual(other.cmd("EXISTS", "q"), 0)
        srv.assert_alive()


class Resp3(ServerTestCase):

    def hello3(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        c.send(b"HELLO 3\r\n")
        self.assertEqual(c.read_bytes(4), b"%7\r\n")
        hello = {}
        for _ in range(7):
            k = c.reply()
            hello[k] = c.reply()
        return c, hello

    def test_hello_3_map_and_null_shapes_then_hello_2(self):
        c, hello = self.hello3()
        self.assertEqual(set(hello), {b"server", b"version", b"proto", b"id", b"mode", b"role",
                                      b"modules"})
        self.assertEqual(hello[b"proto"], 3)
        self.assertEqual(hello[b"mode"], b"standalone")
        self.assertEqual(hello[b"role"], b"master")
        self.assertEqual(hello[b"modules"], [])
        self.assertIsInstance(hello[b"id"], int)

        c.send(encode("GET", "resp3:missing"))
        self.assertEqual(c.read_bytes(3), b"_\r\n")
        c.send(encode("CONFIG", "GET", "maxclients"))
        self.assertEqual(c.read_bytes(32), b"%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n")
        c.send(encode("MGET", "resp3:missing", "resp3:missing"))
        self.assertEqual(c.read_bytes(10), b"*2\r\n_\r\n_\r\n")
        # INCRBYFLOAT stays a bulk string in RESP3, as in Redis.
        c.send(encode("SET", "resp3:n", "1") + encode("INCRBYFLOAT", "resp3:n", "0.5"))
        self.assertEqual(c.read_bytes(14), b"+OK\r\n$3\r\n1.5\r\n")

        # HELLO 2 switches back to RESP2 shapes on the same connection.
        hello2 = c.cmd("HELLO", "2")
        self.assertEqual(hello2[hello2.index(b"proto") + 1], 2)
        c.send(encode("GET", "resp3:missing"))
        self.assertEqual(c.read_bytes(5), b"$-1\r\n")
        c.send(encode("CONFIG", "GET", "maxclients"))
        self.assertEqual(c.read_bytes(32), b"*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n")

    def test_double_shape_in_resp3_bulk_in_resp2(self):
        c, _ = self.hello3()
        c.send(encode("DEBUG", "PROTOCOL", "double"))
        self.assertEqual(c.read_bytes(8), b",3.141\r\n")
        c.cmd("HELLO", "2")
        c.send(encode("DEBUG", "PROTOCOL", "double"))
        self.assertEqual(c.read_bytes(11), b"$5\r\n3.141\r\n")

    def test_hello_unsupported_version(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("HELLO", "4"), RespError("NOPROTO unsupported protocol version"))
        self.assertEqual(c.cmd("HELLO", "x"),
                         RespError("ERR Protocol version is not an integer or out of range"))
        c.send(encode("GET", "resp3:missing"))
        self.assertEqual(c.read_bytes(5), b"$-1\r\n")


if __name__ == "__main__":
    main()
