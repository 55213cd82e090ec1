# SPDX-License-Identifier: BSD-3-Clause
"""Extreme integers in client-supplied arguments: no overflow, crash or hang.

ExtremeSweep: every command line of the compatibility corpora (tests/compat/cases and
cases_74) runs on the sanitizer build of respite-server, followed by variants with each
numeric argument replaced by an extreme value (0, +-1, LLONG_MAX/MIN and their
neighbours, 2^31, -2^31, 2^32, 2^63 and 2^64 overflowing, huge, infinite and NaN
doubles) and each stream ID by the largest IDs and parts one past them. Every
(command, argument position, value) is sent at least once; as the corpora repeat
commands, the further variants are sampled with a fixed seed (bounded time). The test fails on a sanitizer report, a crash or a reply that does not come
(a variant that blocks is unblocked with CLIENT UNBLOCK). The files of cases/ run on a
real redis-server 7.0 too and every variant whose reply is an error on one side and
not on the other is printed (not failed: where respite is right, Redis 7.0 differs
from 7.4); set RESPITE_REDIS74 to a 7.4 redis-server to compare cases_74 and cases_ref74
as well.
Every file starts on fresh connections after FLUSHALL, SELECT 0 and DEBUG CLOCK REAL;
a variant of CONFIG SET, SELECT, HELLO or DEBUG CLOCK is followed by what undoes it.

DebugClock: respite's DEBUG CLOCK (our extension) refuses to move the store clock
past STORE_CLOCK_MAX instead of wrapping it negative.
"""
import glob
import os
import random
import re
import select
import shutil
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
COMPAT = os.path.join(os.path.dirname(HERE), "compat")
sys.path.insert(0, HERE)
sys.path.insert(0, COMPAT)
import compat  # noqa: E402  (case files and the RESP2/RESP3 reader)
from harness import (RedisServer, RespError, Server, ServerTestCase,  # noqa: E402
                     main)

LLONG_MAX = 2**63 - 1
LLONG_MIN = -2**63
REPLY_TIMEOUT = 10.0   # a variant's reply; longer is a hang
CLOCK_MAX = LLONG_MAX // 2000      # store_int.h STORE_CLOCK_MAX
CLOCK_ERR = RespError("ERR the clock would pass its limit (about year 148000)")


class DebugClock(ServerTestCase):

    def tearDown(self):
        c = self.server.conn()
        c.cmd("DEBUG", "CLOCK", "REAL")
        c.close()
        super().tearDown()

    def test_an_advance_that_would_overflow_is_refused_and_keys_still_expire(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        before = c.cmd("DEBUG", "CLOCK", "GET")
        for ms in (LLONG_MAX, LLONG_MAX - 1, CLOCK_MAX):
            self.assertEqual(c.cmd("DEBUG", "CLOCK", "ADVANCE", str(ms)), CLOCK_ERR)
        self.assertLess(abs(c.cmd("DEBUG", "CLOCK", "GET") - before), 60000)
        self.assertEqual(c.cmd("SET", "clk:k", "v", "EX", "10"), b"OK")
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "ADVANCE", "11000"), b"OK")
        self.assertIsNone(c.cmd("GET", "clk:k"))

    def test_the_clock_may_be_moved_up_to_its_limit_and_no_further(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "SET", str(CLOCK_MAX + 1)), CLOCK_ERR)
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "SET", str(LLONG_MAX)), CLOCK_ERR)
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "SET", str(CLOCK_MAX - 1)), b"OK")
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "ADVANCE", "2"), CLOCK_ERR)
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "ADVANCE", "1"), b"OK")
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "GET"), CLOCK_MAX)
        secs, usecs = c.cmd("TIME")
        self.assertEqual(int(secs), CLOCK_MAX // 1000)
        self.assertEqual(c.cmd("SET", "clk:k2", "v", "EX", "10"), b"OK")
        self.assertEqual(c.cmd("TTL", "clk:k2"), 10)


# ---- the sweep ------------------------------------------------------------------------

NUMERIC = re.compile(rb"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?inf$", re.I)
EXTREMES = [b"%d" % v for v in (0, -1, 1, LLONG_MAX, LLONG_MIN, LLONG_MAX - 1, LLONG_MIN + 1,
                                2**31, -2**31, 2**32, 2**63, -2**63 - 1, 2**64 - 1, 2**64)]
EXTREMES += [b"1e308", b"-1e308", b"1e309", b"inf", b"-inf", b"nan", b"4.9e-324", b"0.5"]
# stream IDs (ms-seq, 64-bit unsigned parts): the largest, and parts one past it
STREAM_ID = re.compile(rb"^\d+-(\d+|\*)$")
ID_EXTREMES = [b"18446744073709551615-18446744073709551615", b"18446744073709551615-*",
               b"18446744073709551616-0", b"0-18446744073709551616", b"%d-0" % LLONG_MAX,
               b"0-0"]
SAMPLE_SEED = 20261206   # fixed: the same variants on every run
SAMPLE_RATE = 0.2        # of the variants beyond the first of each (command, argument, value)

# Commands whose variants could stop the sweep itself rather than find a defect:
# sleeping, (un)subscribing (several replies), killing or pausing clients.
SKIP_COMMANDS = {b"SUBSCRIBE", b"PSUBSCRIBE", b"SSUBSCRIBE", b"UNSUBSCRIBE", b"PUNSUBSCRIBE",
                 b"SUNSUBSCRIBE", b"MONITOR", b"SHUTDOWN", b"QUIT", b"RESET", b"REPLICAOF",
                 b"SLAVEOF", b"FAILOVER", b"SYNC", b"PSYNC"}
BLOCKING = {b"BLPOP", b"BRPOP", b"BLMOVE", b"BRPOPLPUSH", b"BLMPOP", b"BZPOPMIN", b"BZPOPMAX",
            b"BZMPOP", b"WAIT", b"WAITAOF"}
# Variants whose reply (or value) is as large as the number asks on Redis too: a negative
# count of a random pick, a bit offset of 256 MB.
HUGE_REPLY = {b"SRANDMEMBER", b"HRANDFIELD", b"ZRANDMEMBER"}
HUGE_OFFSET = {b"SETBIT", b"BITFIELD"}

BATCH = 64          # pipelined commands per write
BLOCK_WAIT = 0.15   # seconds before a variant that blocks is unblocked


def skip_variant(args, i, value):
    name = args[0].upper()
    sub = args[1].upper() if len(args) > 1 else b""
    if name in SKIP_COMMANDS or (name == b"DEBUG" and sub != b"CLOCK"):
        return True
    if name == b"CLIENT" and sub in (b"KILL", b"PAUSE"):
        return True
    if name in HUGE_REPLY and value.startswith(b"-") and len(value) > 6:
        return True
    return name in HUGE_OFFSET and value in (b"%d" % 2**31, b"%d" % 2**32)


def is_blocking(args):
    name = args[0].upper()
    return name in BLOCKING or (name in (b"XREAD", b"XREADGROUP") and
                                any(a.upper() == b"BLOCK" for a in args))


class Side:
    """One server of the sweep: a connection for the commands and one to unblock it."""

    def __init__(self, label, port, is_respite):
        self.label, self.port, self.is_respite = label, port, is_respite
        self.sock = self.ctl = None

    def connect(self):
        self.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=REPLY_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = compat.Reader(self.sock)
        self.ctl = socket.create_connection(("127.0.0.1", self.port), timeout=REPLY_TIMEOUT)
        self.ctl_reader = compat.Reader(self.ctl)
        self.id = int(self.call([b"CLIENT", b"ID"]).value)

    def close(self):
        for s in (self.sock, self.ctl):
            if s is not None:
                s.close()
        self.sock = self.ctl = None

    def call(self, args):
        return self.batch([args])[0]

    def batch(self, cmds):
        """The replies to cmds, pipelined; "closed" for those after the server closed the
        connection (then reconnected). A reply that does not come is a hang: raises."""
        self.sock.sendall(b"".join(compat.encode_command(a) for a in cmds))
        out = []
        for k, args in enumerate(cmds):
            try:
                out.append(self.reader.read(REPLY_TIMEOUT))
            except ConnectionError:
                out += ["closed"] * (len(cmds) - k)
                self.connect()
                break
            except socket.timeout:
                raise AssertionError("%s: no reply in %.0f s to %r" % (self.label, REPLY_TIMEOUT,
                                                                      args))
        return out

    def blocking(self, args):
        """The reply to args, which may block: unblocked (CLIENT UNBLOCK, a timeout reply)
        if it has not answered after BLOCK_WAIT."""
        self.sock.sendall(compat.encode_command(args))
        ready, _, _ = select.select([self.sock], [], [], BLOCK_WAIT)
        if not ready and not self.reader.pending():
            self.ctl.sendall(compat.encode_command([b"CLIENT", b"UNBLOCK", b"%d" % self.id]))
            self.ctl_reader.read(REPLY_TIMEOUT)
        try:
            return self.reader.read(REPLY_TIMEOUT)
        except ConnectionError:
            self.connect()
            return "closed"
        except socket.timeout:
            raise AssertionError("%s: no reply in %.0f s to %r (after CLIENT UNBLOCK)"
                                 % (self.label, REPLY_TIMEOUT, args))

    def reset(self):
        self.connect()
        cmds = [[b"FLUSHALL"], [b"SELECT", b"0"]]
        if self.is_respite:
            cmds.append([b"DEBUG", b"CLOCK", b"REAL"])
        self.batch(cmds)


def kind(reply):
    """What the sweep compares: an error (with its code) or a reply."""
    if isinstance(reply, str):
        return reply
    if reply.type == "-":
        return "-" + reply.value.split(b" ", 1)[0].decode("latin-1")
    return "ok"


def variants_of(args):
    """[(variant, position, value)] for every numeric argument or stream ID and every
    extreme value."""
    out = []
    for i in range(1, len(args)):
        values = (EXTREMES if NUMERIC.match(args[i]) else
                  ID_EXTREMES if STREAM_ID.match(args[i]) else ())
        for v in values:
            if v != args[i] and not skip_variant(args, i, v):
                out.append((args[:i] + [v] + args[i + 1:], i, v))
    return out


def restore_cmds(side, args):
    """Commands that undo a variant of args on side: CONFIG SET puts back each parameter
    as it was; SELECT, HELLO and DEBUG CLOCK run again as written."""
    name = args[0].upper()
    if name == b"CONFIG" and len(args) > 3 and args[1].upper() == b"SET":
        saved = []
        for p in args[2::2]:
            r = side.call([b"CONFIG", b"GET", p])
            if not isinstance(r, str) and r.children and len(r.children) == 2:
                saved += [p, r.children[1].value]
        return [[b"CONFIG", b"SET"] + saved] if saved else []
    if name in (b"SELECT", b"HELLO") or (name == b"DEBUG" and args[1:2] != []
                                          and args[1].upper() == b"CLOCK"):
        return [args]
    return []


class Sweep:
    """Runs case files with extreme variants on respite and, optionally, a reference."""

    def __init__(self, respite, reference=None):
        self.sides = [respite] + ([reference] if reference else [])
        self.ncommands = 0
        self.diffs = []
        self.covered = set()   # (command, argument position, value) sent
        self.rng = random.Random(SAMPLE_SEED)

    def sample(self, args, variants):
        """The first variant of each (command, position, value), and a fixed-seed sample
        of the rest: the corpora repeat commands many times."""
        out = []
        for v, i, value in variants:
            key = (args[0].upper(), i, value)
            if key not in self.covered or self.rng.random() < SAMPLE_RATE:
                self.covered.add(key)
                out.append(v)
        return out

    def run_file(self, path, compare):
        """Runs path's commands and their variants; a file whose `#! requires` names a
        command respite lacks is skipped, as compat.py does."""
        cases, requires = compat.parse_case_file(path)
        sides = self.sides if compare else self.sides[:1]
        for s in sides:
            s.reset()
        if requires:
            info = sides[0].call([b"COMMAND", b"INFO"] + [r.encode() for r in requires])
            if any(compat._is_null(r) for r in info.children):
                return
        for case in cases:
            if case.args is None or case.mode == "noreply":
                continue
            args = case.args
            name = args[0].upper()
            if name in SKIP_COMMANDS:
                continue
            cmds = [args] + self.sample(args, variants_of(args))
            replies = [self.run_cmds(s, args, cmds) for s in sides]
            self.ncommands += len(cmds) * len(sides)
            if compare:
                for k, (a, b) in enumerate(zip(*replies)):
                    # the reference runs without enable-debug-command
                    if kind(a) != kind(b) and name != b"DEBUG":
                        self.diffs.append((case.where(), cmds[k], a, b))

    def run_cmds(self, side, args, cmds):
        """Replies of side to cmds (the case's own command, then its variants), each
        variant followed by what restores the state it may have changed."""
        restore = restore_cmds(side, args)
        out = []
        if is_blocking(args):
            for c in cmds:
                out.append(side.blocking(c))
                if restore:
                    side.batch(restore)
            return out
        step = 1 + len(restore)
        for k in range(0, len(cmds), BATCH):
            chunk = []
            for c in cmds[k:k + BATCH]:
                chunk.append(c)
                chunk += restore
            out += side.batch(chunk)[::step]
        return out


class ExtremeSweep(unittest.TestCase):

    def test_every_numeric_argument_of_the_corpora_with_extreme_values(self):
        t0 = time.monotonic()
        respite = Server().start()
        self.addCleanup(respite.stop)
        ref = ref74 = None
        if shutil.which("redis-server"):
            ref = RedisServer().start()
            self.addCleanup(ref.stop)
        if os.environ.get("RESPITE_REDIS74"):
            ref74 = RedisServer(os.environ["RESPITE_REDIS74"]).start()
            self.addCleanup(ref74.stop)
        rs = Side("respite", respite.port, True)
        files = sorted(glob.glob(os.path.join(COMPAT, "cases", "*.txt")))
        files74 = sorted(glob.glob(os.path.join(COMPAT, "cases_74", "*.txt")) +
                         glob.glob(os.path.join(COMPAT, "cases_ref74", "*.txt")))
        ncommands, diffs, covered = 0, [], set()
        for group, reference in ((files, ref), (files74, ref74)):
            other = Side("redis", reference.port, False) if reference else None
            sweep = Sweep(rs, other)
            for path in group:
                try:
                    sweep.run_file(path, compare=other is not None)
                except Exception:
                    respite.assert_alive()   # a crash says why
                    raise
                respite.assert_alive()
            ncommands += sweep.ncommands
            diffs += sweep.diffs
            covered |= sweep.covered
        rs.close()
        for where, cmd, a, b in diffs:
            print("DIFF %s %s\n    respite: %s\n    redis:   %s"
                  % (where, b" ".join(cmd)[:200], _show(a), _show(b)))
        print("%d commands, %d differences in kind, %.1f s"
              % (ncommands, len(diffs), time.monotonic() - t0))
        # every extreme value reached some command
        self.assertEqual({v for _, _, v in covered}, set(EXTREMES) | set(ID_EXTREMES))


def _show(reply):
    return reply if isinstance(reply, str) else reply.raw[:160]


if __name__ == "__main__":
    main()
