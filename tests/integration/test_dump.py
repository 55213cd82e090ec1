# SPDX-License-Identifier: BSD-3-Clause
"""DUMP and RESTORE between respite and Redis 7.4.1, reply for reply.

Payloads: for every value whose encoding keeps its order (all but hash tables), respite's
DUMP is byte-equal to Redis 7.4's for the same value; Redis's payloads restore in respite
and respite's in Redis, the data compared key by key (test_rdb's dataset: every type and
encoding, field TTLs, streams with groups, PELs and consumers). Replies of RESTORE's
options and errors, of corrupt payloads (with a good checksum, under Redis's
sanitize-dump-payload yes) and the restore/del events are compared byte for byte.
Stream payloads rewritten as Redis 7.0's and 5/6's types (19, 15) restore in both with
the same XINFO STREAM FULL. respite's own member TTLs round-trip through DUMP/RESTORE. DEBUG RELOAD brings back every
key, TTL, field and member TTL, with Redis's replies to its options; DEBUG OBJECT's
serializedlength is Redis's for every key of the dataset. Skips without Redis 7.4.
"""
import os
import shutil
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RedisServer, RespConn, RespiteAndRedis, ServerTestCase,  # noqa: E402
                     encode, main, redis74_path)
from test_rdb import FAR, load_dataset, snapshot, stream_info  # noqa: E402


def crc64(data):
    """Redis's CRC-64 (Jones polynomial, reflected), as its DUMP footer carries it."""
    poly = 0x95AC9329AC4BC9B5
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def payload(body, version=12):
    """body (type byte and value) with a DUMP footer whose checksum is right."""
    data = body + version.to_bytes(2, "little")
    return data + crc64(data).to_bytes(8, "little")


payload_footer = payload


def lp(*elems):
    """A Redis listpack of strings of up to 63 bytes and integers 0..127."""
    out = b""
    for e in elems:
        if isinstance(e, int):
            enc = bytes([e])
        else:
            enc = bytes([0x80 | len(e)]) + e
        out += enc + bytes([len(enc)])
    total = 6 + len(out) + 1
    return total.to_bytes(4, "little") + len(elems).to_bytes(2, "little") + out + b"\xff"


def rdb_str(b):
    if len(b) < 64:
        return bytes([len(b)]) + b
    assert len(b) < 16384
    return bytes([0x40 | len(b) >> 8, len(b) & 0xFF]) + b


def dataset_keys(ref, rs):
    """Load test_rdb's dataset into both servers (redis-py clients) and yield each of its
    keys, with both clients on the key's database."""
    load_dataset(ref)
    load_dataset(rs)
    for db in (0, 1):
        ref.select(db)
        rs.select(db)
        yield from ref.keys("*")
    ref.select(0)
    rs.select(0)


def rdb_len(b, i):
    """An RDB length at b[i]: (value, next index), or (("enc", code), next index) for a
    string encoding."""
    first = b[i]
    kind = first >> 6
    if kind == 0:
        return first & 63, i + 1
    if kind == 1:
        return (first & 63) << 8 | b[i + 1], i + 2
    if kind == 3:
        return ("enc", first & 63), i + 1
    n = 4 if first == 0x80 else 8
    return int.from_bytes(b[i + 1:i + 1 + n], "big"), i + 1 + n


def skip_str(b, i):
    v, i = rdb_len(b, i)
    if not isinstance(v, tuple):
        return i + v
    if v[1] < 3:
        return i + (1, 2, 4)[v[1]]
    clen, i = rdb_len(b, i)
    _, i = rdb_len(b, i)
    return i + clen


def older_stream(payload, rdb_type):
    """A STREAM_LISTPACKS_3 DUMP payload rewritten as type 19 (Redis 7.0: no consumer
    active times) or 15 (Redis 5 and 6: nor first and deleted IDs, entries added and
    read), with a good footer."""
    b = payload[:-10]
    assert b[0] == 21
    out, i = bytearray([rdb_type]), 1
    nodes, j = rdb_len(b, i)
    for _ in range(nodes):
        j = skip_str(b, skip_str(b, j))
    for _ in range(3):                      # length, last ID
        _, j = rdb_len(b, j)
    out += b[i:j]
    i = j
    for _ in range(5):                      # first ID, max deleted ID, entries added
        _, j = rdb_len(b, j)
    if rdb_type == 19:
        out += b[i:j]
    i = j
    groups, j = rdb_len(b, i)
    out += b[i:j]
    i = j
    for _ in range(groups):
        j = skip_str(b, i)
        for _ in range(2):
            _, j = rdb_len(b, j)
        out += b[i:j]
        i = j
        _, j = rdb_len(b, i)                # entries read
        if rdb_type == 19:
            out += b[i:j]
        i = j
        pel, j = rdb_len(b, i)
        for _ in range(pel):
            j += 16 + 8
            _, j = rdb_len(b, j)
        consumers, j = rdb_len(b, j)
        out += b[i:j]
        i = j
        for _ in range(consumers):
            j = skip_str(b, i) + 8          # name, seen time
            out += b[i:j]
            i = j + 8                       # active time: neither type has it
            pel, j = rdb_len(b, i)
            j += 16 * pel
            out += b[i:j]
            i = j
    assert i == len(b)
    return payload_footer(bytes(out))


class RawConn(RespConn):
    """RespConn that also keeps the raw bytes of the last reply."""

    raw = b""

    def _line(self):
        line = super()._line()
        self.raw += line + b"\r\n"
        return line

    def _bytes(self, n):
        data = super()._bytes(n)
        self.raw += data + b"\r\n"
        return data

    def raw_cmd(self, *args):
        self.raw = b""
        self.send(encode(*args))
        self.reply()
        return self.raw


# Corrupt values with a good footer: each is "Bad data format" in Redis 7.4 under
# sanitize-dump-payload yes, and in respite always.
CORRUPT = {
    "short string": b"\x00\x30ab",
    "unknown type": b"\x63\x01a",
    "empty hash listpack": b"\x10" + rdb_str(lp()),
    "odd hash listpack": b"\x10" + rdb_str(lp(b"f", b"v", b"g")),
    "duplicate hash field": b"\x10" + rdb_str(lp(b"f", b"v", b"f", b"w")),
    # past 16 fields repeats are found through a hash set, not pair by pair
    "duplicate hash field of 40": b"\x10" + rdb_str(lp(*[x for i in list(range(39)) + [7]
                                                         for x in (b"f%d" % i, b"v")])),
    "duplicate hash integer field of 40": b"\x10" + rdb_str(lp(*[x for i in range(39, -1, -1)
                                                                 for x in (i % 39, b"v")])),
    "duplicate hash table field": b"\x04\x02\x01f\x01v\x01f\x01w",
    "duplicate set member": b"\x14" + rdb_str(lp(b"a", b"a")),
    "duplicate set member of 40": b"\x14" + rdb_str(lp(*[b"m%d" % i
                                                         for i in list(range(39)) + [7]])),
    "duplicate set table member": b"\x02\x02\x01a\x01a",
    "unsorted intset": b"\x0b\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00\x01\x00",
    "repeated intset value": b"\x0b\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00\x05\x00",
    "intset of 8-byte values, unsorted": (b"\x0b\x18\x08\x00\x00\x00\x02\x00\x00\x00" +
                                          (2**40).to_bytes(8, "little") +
                                          (-2**40).to_bytes(8, "little", signed=True)),
    "duplicate zset member": b"\x11" + rdb_str(lp(b"a", 1, b"a", 2)),
    "duplicate zset member of 40": b"\x11" + rdb_str(lp(*[x for i in list(range(39)) + [7]
                                                          for x in (b"m%d" % i, i)])),
    "listpack count wrong": b"\x10" + rdb_str(lp(b"f", b"v")[:4] + b"\x03\x00" +
                                            lp(b"f", b"v")[6:]),
    "listpack back length wrong": b"\x10" + rdb_str(lp(b"f", b"v")[:8] + b"\x05" +
                                                  lp(b"f", b"v")[9:]),
    "stream node key short": b"\x15\x01\x02ab" + rdb_str(lp(1, 0, 1, b"f", 0)),
    # no nodes, length 0, IDs 0-0, no entries added; group g: last ID 0-0, entries read
    # 0, one pending entry (ID 0-1, delivered at 0, once), no consumers
    "stream pel without consumer": (
        b"\x15" + b"\x00" * 8 + b"\x01\x01g\x00\x00\x00\x01" + b"\x00" * 15 + b"\x01" +
        b"\x00" * 8 + b"\x01\x00"),
}


@unittest.skipUnless(redis74_path(), "needs Redis 7.4 (RESPITE_REDIS74)")
class DumpRestore(RespiteAndRedis):
    reference_binary = redis74_path()

    def conn(self, srv):
        c = RawConn(socket.create_connection((HOST, srv.port), timeout=30))
        self.addCleanup(c.close)
        return c

    def both(self):
        """Clients of Redis 7.4 and respite, flushed."""
        ref, rs = self.reference.client(), self.respite.client()
        ref.flushall()
        rs.flushall()
        return ref, rs

    def test_payloads_are_redis_bytes(self):
        ref, rs = self.both()
        compared = 0
        for key in dataset_keys(ref, rs):
            # hash tables have their own order; x:st holds delivery times, the project
            # stream an ID from the clock, s:rand random bytes
            if ref.object("encoding", key) == b"hashtable" or \
                    key in (b"x:st", b"project:7:changes", b"s:rand"):
                continue
            self.assertEqual(rs.dump(key), ref.dump(key), key)
            compared += 1
        self.assertGreater(compared, 25)

    def test_payloads_move_both_ways(self):
        ref, rs = self.both()
        load_dataset(ref)
        for src, dst in ((ref, rs), (rs, ref)):
            want = snapshot(src)
            for db in (0, 1):
                src.select(db)
                dst.select(db)
                dst.flushdb()
                for key in src.keys("*"):
                    data = src.dump(key)
                    when = src.pexpiretime(key)
                    dst.restore(key, max(when, 0), data, absttl=True)
                    if src.object("encoding", key) != b"hashtable":
                        self.assertEqual(dst.dump(key), data, key)
            src.select(0)
            dst.select(0)
            got = snapshot(dst)
            del want["functions"], got["functions"]
            self.assertEqual(got, want)
            self.assertGreater(len(want), 30)

    def test_older_stream_types_restore_as_in_redis(self):
        # Redis 7.4's DUMP of a stream with deleted entries, groups, pending entries and
        # consumers, rewritten as the types of Redis 7.0 (19) and 5/6 (15): both servers
        # fill in what those lack (entries read, active times...) the same way
        ref, rs = self.both()
        load_dataset(ref)
        ref.select(1)
        data = ref.dump("x:st")
        for rdb_type in (19, 15):
            older = older_stream(data, rdb_type)
            for r in (ref, rs):
                r.restore("old:%d" % rdb_type, 0, older, replace=True)
            self.assertEqual(stream_info(rs, "old:%d" % rdb_type),
                             stream_info(ref, "old:%d" % rdb_type), rdb_type)

    def test_member_ttls_come_back(self):
        rs = self.respite.client()
        rs.flushall()
        rs.execute_command("SADDEX", "s", "PXAT", FAR, "MEMBERS", 2, "a", "b")
        rs.sadd("s", "c")
        data = rs.dump("s")
        self.assertEqual(data[0], 200)
        rs.restore("s2", 0, data)
        self.assertEqual(rs.execute_command("SPEXPIRETIME", "s2", "MEMBERS", 3, "a", "b", "c"),
                         [FAR, FAR, -1])
        self.assertEqual(rs.dump("s2"), data)

    def test_intset_past_its_limit_restores_as_in_redis(self):
        # decoded at once into an intset up to set-max-intset-entries, past it member by
        # member into a table
        ref, rs = self.both()
        ref.sadd("s", *range(-3, 40, 3))
        data = ref.dump("s")
        try:
            for r in (ref, rs):
                r.config_set("set-max-intset-entries", 8)
                r.restore("big", 0, data)
                r.config_set("set-max-intset-entries", 512)
                r.restore("small", 0, data)
            self.assertEqual(rs.object("encoding", "small"), b"intset")
            for key in ("big", "small"):
                self.assertEqual(rs.object("encoding", key), ref.object("encoding", key), key)
                self.assertEqual(sorted(rs.smembers(key)), sorted(ref.smembers(key)), key)
        finally:
            for r in (ref, rs):
                r.config_set("set-max-intset-entries", 512)

    def test_unsorted_zset_listpack_restores_sorted(self):
        # pairs in order are appended, the first out of order inserted at its place and
        # every one after it too
        _, rs = self.both()
        rs.restore("z", 0, payload(b"\x11" + rdb_str(lp(b"a", 1, b"b", 2, b"c", b"1.5",
                                                        b"d", 3, b"e", b"-0.5"))))
        self.assertEqual(rs.zrange("z", 0, -1, withscores=True),
                         [(b"e", -0.5), (b"a", 1.0), (b"c", 1.5), (b"b", 2.0), (b"d", 3.0)])
        self.assertEqual(rs.zscore("z", "c"), 1.5)

    def test_replies_as_redis(self):
        ref, rs = self.both()
        for r in (ref, rs):
            r.rpush("list", "a", "b", 1)
            r.hset("h", mapping={"f": "v"})
        good = ref.dump("list")
        hgood = ref.dump("h")
        past = int(time.time() * 1000) - 10000
        commands = [
            ("DUMP", "missing"),
            ("RESTORE", "k", "0", good),
            ("RESTORE", "k", "0", good),
            ("RESTORE", "k", "0", good, "REPLACE"),
            ("LRANGE", "k", "0", "-1"),
            ("RESTORE", "k", "-1", good, "REPLACE"),
            ("RESTORE", "k", "x", good, "REPLACE"),
            ("RESTORE", "k", "0", good, "REPLACE", "IDLETIME", "-1"),
            ("RESTORE", "k", "0", good, "REPLACE", "IDLETIME", "x"),
            ("RESTORE", "k", "0", good, "REPLACE", "IDLETIME"),
            ("RESTORE", "k", "0", good, "REPLACE", "FREQ", "256"),
            ("RESTORE", "k", "0", good, "REPLACE", "FREQ", "-1"),
            ("RESTORE", "k", "0", good, "REPLACE", "FREQ", "5", "IDLETIME", "10"),
            ("RESTORE", "k", "0", good, "REPLACE", "IDLETIME", "10", "FREQ", "5"),
            ("RESTORE", "k", "0", good, "BOGUS"),
            ("RESTORE", "k", "0", good, "REPLACE", "IDLETIME", "1000"),
            ("OBJECT", "IDLETIME", "k"),
            ("RESTORE", "k2", "0", good, "FREQ", "100"),
            ("RESTORE", "k3", "0", b"garbage"),
            ("RESTORE", "k3", "0", b""),
            ("RESTORE", "k3", "0", good[:-10] + b"\x0d\x00" + good[-8:]),
            ("RESTORE", "k3", "0", good[:-1] + bytes([good[-1] ^ 1])),
            ("RESTORE", "k3", "100000", hgood),
            ("TTL", "k3"),
            ("RESTORE", "k4", str(FAR), hgood, "ABSTTL"),
            ("PEXPIRETIME", "k4"),
            ("RESTORE", "k5", str(past), hgood, "ABSTTL"),
            ("EXISTS", "k5"),
            ("RESTORE", "k4", str(past), hgood, "ABSTTL", "REPLACE"),
            ("EXISTS", "k4"),
            ("RESTORE", "list", "0", hgood),
            ("RESTORE", "list", "0", hgood, "REPLACE"),
            ("TYPE", "list"),
            ("DUMP", "list"),
        ]
        for name, body in CORRUPT.items():
            commands.append(("RESTORE", "bad:" + name, "0", payload(body)))
        commands.append(("KEYS", "bad:*"))
        ref.config_set("sanitize-dump-payload", "yes")
        want, got = self.conn(self.reference), self.conn(self.respite)
        for cmd in commands:
            self.assertEqual(got.raw_cmd(*cmd), want.raw_cmd(*cmd), cmd[:3])

    def test_restore_and_del_events(self):
        ref, rs = self.both()
        out = []
        for srv, r in ((self.reference, ref), (self.respite, rs)):
            r.config_set("notify-keyspace-events", "KEA")
            sub = self.conn(srv)
            sub.cmd("PSUBSCRIBE", "__key*__:*")
            r.set("src", "v")
            data = r.dump("src")
            r.restore("k", 0, data)
            r.restore("k", 0, data, replace=True)
            r.restore("k", int(time.time() * 1000) - 1000, data, replace=True, absttl=True)
            r.set("end", 1)
            msgs = []
            while not msgs or msgs[-1][2] != b"__keyevent@0__:set" or msgs[-1][3] != b"end":
                msgs.append(sub.reply())
            out.append(msgs)
            r.config_set("notify-keyspace-events", "")
        self.assertEqual(out[1], out[0])
        self.assertIn(b"restore", [m[3] for m in out[0]])


class SkipChecksum(ServerTestCase):
    """DEBUG SET-SKIP-CHECKSUM-VALIDATION (Redis's corrupt-dump tests use it): RESTORE and
    FUNCTION RESTORE take any CRC, a payload's version is still checked, its data still
    validated; DEBUG RELOAD reads an RDB file whatever its CRC. Redis 7.4.1's replies."""

    def error_of(self, fn, *args):
        """The text of the error fn(*args) answers (redis-py drops its ERR)."""
        with self.assertRaises(Exception) as raised:
            fn(*args)
        return str(raised.exception)

    def test_restore_and_reload_take_any_crc(self):
        srv = self.spawn("--enable-debug-command", "yes")
        r = srv.client()
        wrong = "DUMP payload version or checksum are wrong"
        good = payload(b"\x00\x05hello")
        bad_crc = good[:-8] + b"\x01" * 8
        self.assertEqual(self.error_of(r.restore, "a", 0, bad_crc), wrong)
        self.assertTrue(r.execute_command("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"))
        self.assertTrue(r.restore("a", 0, bad_crc))
        self.assertEqual(r.get("a"), b"hello")
        self.assertEqual(self.error_of(r.restore, "b", 0, good[:-10] + b"\xff\x00" + bytes(8)),
                         wrong)
        corrupt = b"\x00\x40hello" + good[-10:-8] + bytes(8)
        self.assertEqual(self.error_of(r.restore, "c", 0, corrupt), "Bad data format")
        self.assertEqual(self.error_of(r.execute_command, "FUNCTION", "RESTORE", bad_crc),
                         "given type is not a function")
        # an RDB file whose CRC is wrong
        self.assertTrue(r.save())
        path = os.path.join(srv.dir, "dump.rdb")
        with open(path, "rb") as f:
            rdb = f.read()
        with open(path, "wb") as f:
            f.write(rdb[:-8] + bytes(7) + b"\x01")
        self.assertTrue(r.execute_command("DEBUG", "RELOAD", "NOSAVE"))
        self.assertEqual(r.get("a"), b"hello")
        # "x" is atoi's 0: checked again
        self.assertTrue(r.execute_command("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "x"))
        self.assertEqual(self.error_of(r.restore, "d", 0, bad_crc), wrong)
        self.assertEqual(self.error_of(r.execute_command, "DEBUG", "RELOAD", "NOSAVE"),
                         "Error trying to load the RDB dump, check server logs.")


@unittest.skipUnless(redis74_path(), "needs Redis 7.4 (RESPITE_REDIS74)")
class Debug(ServerTestCase):
    def servers(self):
        """Redis 7.4 and a respite, both allowing DEBUG, each with an empty dir of its own;
        redis-py clients."""
        ref = RedisServer(redis74_path(), ["--enable-debug-command", "yes"]).start()
        self.addCleanup(ref.stop)
        d = tempfile.mkdtemp(prefix="respite-dump-")
        self.addCleanup(shutil.rmtree, d, True)
        rs = self.spawn("--dir", d, "--enable-debug-command", "yes")
        return ref, rs

    def test_serializedlength_as_redis(self):
        ref, rs = (s.client() for s in self.servers())
        n = 0
        for key in dataset_keys(ref, rs):
            want = ref.debug_object(key)["serializedlength"]
            self.assertEqual(rs.debug_object(key)["serializedlength"], want, key)
            n += 1
        self.assertGreater(n, 30)

    def test_reload_keeps_everything(self):
        ref, rs = self.servers()
        r = rs.client()
        load_dataset(r)
        r.execute_command("SADDEX", "set:mttl", "PXAT", FAR, "MEMBERS", 2, "a", "b")
        r.sadd("set:mttl", "c")
        want = snapshot(r)
        want_ttls = r.execute_command("SPEXPIRETIME", "set:mttl", "MEMBERS", 3, "a", "b", "c")
        self.assertEqual(r.execute_command("DEBUG", "RELOAD"), b"OK")
        self.assertEqual(snapshot(r), want)
        self.assertEqual(r.execute_command("SPEXPIRETIME", "set:mttl", "MEMBERS", 3, "a", "b", "c"),
                         want_ttls)
        commands = [
            ("FLUSHALL",),
            ("DEBUG", "RELOAD", "BOGUS"),
            ("SET", "a", "1"),
            ("DEBUG", "RELOAD"),
            ("SET", "b", "2"),
            ("DEBUG", "RELOAD", "NOSAVE"),
            ("KEYS", "*"),
            ("SET", "c", "3"),
            ("SET", "a", "changed"),
            ("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"),
            ("KEYS", "*"),
            ("GET", "a"),
        ]
        got = RawConn(socket.create_connection((HOST, rs.port), timeout=30))
        want = RawConn(socket.create_connection((HOST, ref.port), timeout=30))
        self.addCleanup(got.close)
        self.addCleanup(want.close)
        for cmd in commands:
            w, g = want.raw_cmd(*cmd), got.raw_cmd(*cmd)
            if cmd[0] == "KEYS":
                w, g = sorted(w.split(b"\r\n")), sorted(g.split(b"\r\n"))
            self.assertEqual(g, w, cmd)


if __name__ == "__main__":
    main()
