# SPDX-License-Identifier: BSD-3-Clause
"""Sorted sets given bad or extreme input over the wire, compared reply for reply with
redis-server 7.4.1 (harness.redis74_path; skipped without it), the server alive after
each: ZRANGE (by rank, score and lex, REV) with huge, inverted and out-of-range bounds,
LIMIT with negative and huge offsets and counts, ZRANDMEMBER with huge counts (the
lengths of random replies are compared), ZPOPMIN/ZMPOP counts, bad numkeys, and
ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE/ZUNION of 1,000 keys. The huge negative ZRANDMEMBER
whose reply has no bound is in test_limits.py (HugeReply): Redis's normal clients have no
output limit by default, so it is checked on respite with one.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RespError, RespiteAndRedis, encode, main, redis74_path  # noqa: E402

MAX = "9223372036854775807"
MIN = "-9223372036854775808"
NKEYS = 1000       # keys of the ZUNIONSTORE family
NMEMBERS = 100     # members of each, drawn from 3 * NMEMBERS names

# One command a line; a line starting with "#" compares only the reply's length (random
# replies).
COMMANDS = [
    "ZRANGE z 0 " + MAX, "ZRANGE z " + MIN + " " + MAX, "ZRANGE z " + MAX + " " + MIN,
    "ZRANGE z 5 1", "ZRANGE z -1 -100", "ZRANGE z -100 -50", "ZRANGE z 0 " + MAX + " REV",
    "ZRANGE z " + MIN + " -1 REV WITHSCORES", "ZRANGE z 0 99999999999999999999",
    "ZRANGE z +inf -inf BYSCORE", "ZRANGE z (5 (5 BYSCORE", "ZRANGE z -inf +inf BYSCORE REV",
    "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 3", "ZRANGE z + - BYLEX", "ZRANGE z + - BYLEX REV",
    "ZRANGE z [z [a BYLEX", "ZRANGE z - + BYLEX LIMIT 0 -1", "ZRANGE z - + BYLEX LIMIT -1 5",
    "ZRANGE z -inf +inf BYSCORE LIMIT 0 -1", "ZRANGE z -inf +inf BYSCORE LIMIT 0 -5",
    "ZRANGE z -inf +inf BYSCORE LIMIT -5 -1", "ZRANGE z -inf +inf BYSCORE LIMIT 0 " + MIN,
    "ZRANGE z -inf +inf BYSCORE LIMIT " + MAX + " 1", "ZRANGE z -inf +inf BYSCORE LIMIT 3 0",
    "ZRANGE z -inf +inf BYSCORE LIMIT 2 " + MAX + " WITHSCORES",
    "ZRANGE z -inf +inf BYSCORE LIMIT 0 99999999999999999999",
    "ZRANGE z 0 -1 LIMIT 0 1", "ZRANGE z nan 5 BYSCORE", "ZRANGE z 1 [5 BYSCORE",
    "ZRANGEBYSCORE z -inf +inf LIMIT 0 -1", "ZRANGEBYSCORE z -inf +inf LIMIT " + MIN + " 2",
    "ZREVRANGEBYSCORE z +inf -inf LIMIT 1 -1 WITHSCORES", "ZRANGEBYLEX z - + LIMIT 5 -3",
    "ZREVRANGEBYLEX z + - LIMIT 0 2", "ZREVRANGE z " + MIN + " " + MAX,
    "ZRANGESTORE dst z -inf +inf BYSCORE LIMIT 0 -1", "ZRANGESTORE dst z 5 1",
    "ZRANGESTORE dst z " + MIN + " " + MAX, "ZRANGE dst 0 -1 WITHSCORES",
    "ZREMRANGEBYRANK zc 5 1", "ZREMRANGEBYRANK zc " + MAX + " " + MIN,
    "ZREMRANGEBYSCORE zc +inf -inf", "ZREMRANGEBYLEX zc + -", "ZCOUNT z +inf -inf",
    "ZLEXCOUNT z + -", "ZCARD zc",
    "#ZRANDMEMBER z " + MAX, "#ZRANDMEMBER z " + MAX + " WITHSCORES", "#ZRANDMEMBER z -1000",
    "#ZRANDMEMBER z -1000 WITHSCORES", "ZRANDMEMBER z " + MIN,
    "ZRANDMEMBER z -9223372036854775807 WITHSCORES", "ZRANDMEMBER z -4611686018427387904 WITHSCORES",
    "ZRANDMEMBER z 99999999999999999999", "ZRANDMEMBER missing -5", "ZRANDMEMBER z 0",
    "ZPOPMIN zp -1", "ZPOPMIN zp " + MAX, "ZPOPMAX zp 0", "ZMPOP 1 zp MIN COUNT 0",
    "ZMPOP 1 zp MIN COUNT -1", "ZMPOP 1 zq MAX COUNT " + MAX, "ZMPOP 0 zp MIN",
    "ZMPOP " + MAX + " zp MIN", "ZMPOP -1 zp MIN", "ZUNIONSTORE d 0 z", "ZUNIONSTORE d -1 z",
    "ZUNIONSTORE d 999999999 z", "ZUNIONSTORE d " + MAX + " z", "ZUNION 2 z", "ZINTERCARD 0 z",
    "ZINTERCARD 1 z LIMIT -1", "ZINTERCARD 1 z LIMIT " + MAX, "ZINTERCARD 2147483648 z",
    "ZDIFF 3 z z", "ZUNIONSTORE d 1 z WEIGHTS", "ZUNIONSTORE d 1 z WEIGHTS nan",
    "ZUNIONSTORE d 2 z z WEIGHTS inf -inf", "ZRANGE d 0 -1 WITHSCORES",
    "ZADD z 1e400 x", "ZADD z nan x", "ZINCRBY z inf a", "ZINCRBY z -inf a",
    "ZADD z INCR 1 2 x", "ZADD z GT LT 1 x", "ZADD z NX XX 1 x", "ZSCORE z a",
]


def run(r, line):
    reply = r.cmd(*line.lstrip("#").split())
    if isinstance(reply, RespError):
        return str(reply)
    return len(reply) if line.startswith("#") else reply


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class ZsetBadInput(RespiteAndRedis):
    reference_binary = redis74_path()

    def test_extreme_ranges_limits_and_counts(self):
        def script(c):
            members = []
            for i in range(20):
                members += [str(i % 7), "m%02d" % i]
            c.cmd("ZADD", "z", *members)
            c.cmd("ZADD", "zc", *members)
            c.cmd("ZADD", "zp", "1", "a", "2", "b")
            c.cmd("ZADD", "zq", "1", "a", "2", "b")
            return [(line, run(c, line)) for line in COMMANDS]
        want, got = self.on_both_flushed(script)
        for w, g in zip(want, got):
            self.assertEqual(g, w)
        self.assertEqual(len(got), len(want))
        replies = dict(want)
        self.assertEqual(replies["ZRANGE z 0 " + MAX][:2], [b"m00", b"m07"])
        self.assertTrue(replies["ZRANDMEMBER z " + MIN].startswith("ERR value is out of range"))

    def test_store_commands_over_1000_keys(self):
        keys = ["k%d" % i for i in range(NKEYS)]

        def script(c):
            pipe = b""
            for i, k in enumerate(keys):
                args = []
                for j in range(NMEMBERS):
                    args += [str((i * j) % 97), "m%d" % ((i * 7 + j * 13) % (3 * NMEMBERS))]
                pipe += encode("ZADD", k, *args)
            c.send(pipe)
            self.assertEqual([c.reply() for _ in keys], [NMEMBERS] * NKEYS)
            weights = [str(i % 5) for i in range(NKEYS)]
            out = [
                c.cmd("ZUNIONSTORE", "u", str(NKEYS), *keys),
                c.cmd("ZUNIONSTORE", "uw", str(NKEYS), *keys, "WEIGHTS", *weights,
                      "AGGREGATE", "MAX"),
                c.cmd("ZINTERSTORE", "i", str(NKEYS), *keys, "AGGREGATE", "MIN"),
                c.cmd("ZINTERSTORE", "i2", "2", "k1", "k2"),
                c.cmd("ZDIFFSTORE", "d", str(NKEYS), *keys),
                c.cmd("ZDIFFSTORE", "d2", str(NKEYS - 1), *keys[1:], "k0"),
                c.cmd("ZINTERCARD", str(NKEYS), *keys, "LIMIT", "10"),
                c.cmd("ZUNION", str(NKEYS), *keys, "WITHSCORES"),
                c.cmd("ZUNIONSTORE", "u", str(NKEYS + 1), *keys),
            ]
            for k in ("u", "uw", "i", "i2", "d", "d2"):
                out.append(c.cmd("ZRANGE", k, "0", "-1", "WITHSCORES"))
            return out
        want, got = self.on_both_flushed(script)
        self.assertEqual(got, want)
        self.assertEqual(want[0], 3 * NMEMBERS)


if __name__ == "__main__":
    main()
