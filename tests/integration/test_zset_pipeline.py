# SPDX-License-Identifier: BSD-3-Clause
"""Pipelined one-member ZADDs on a sorted set in its large form (a B+ tree,
store/ds/ztree.c), as redis-benchmark sends them, compared reply for reply with
redis-server. Between them run the writes that move, free and re-create members: other
ZADDs and ZINCRBYs that move members near and far (in place within a leaf, or out of it),
ZREM and ZPOPMIN, ZREMRANGEBYRANK, and DEL of the set followed by its re-creation in the
same pipeline. The set's order and scores are compared after each pipeline.

Pipelined pops likewise: each pop from an end hashes the members the next pops there take
(store/keyspace/zset.c, prefetch_next_pops), and between the pops run ZREM and ZADD of
those very members, pops from the other end and DEL with re-creation, which leave those
hints stale.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RespiteAndRedis, encode, main  # noqa: E402

ROUNDS = 40
PIPELINE = 120   # commands a round, sent in one write: several batches of 16
NAMES = 600      # member names: ZADD adds new ones and moves present ones
SCORES = 50      # few scores: ties, settled by the members


def member(rng):
    # an occasional member too long to pack (65 bytes) makes a new set large at once
    n = rng.randrange(NAMES)
    return ("m%d" % n).ljust(65, "x") if n % 97 == 0 else "m%d" % n


def round_commands(rng):
    cmds = []
    for _ in range(PIPELINE):
        x = rng.random()
        if x < 0.80:
            cmds.append(["ZADD", "z", str(rng.randrange(SCORES)), member(rng)])
        elif x < 0.85:
            cmds.append(["ZINCRBY", "z", str(rng.randrange(-3, 4)), member(rng)])
        elif x < 0.90:
            cmds.append(["ZREM", "z", member(rng)])
        elif x < 0.94:
            cmds.append(["ZPOPMIN", "z"])
        elif x < 0.96:
            cmds.append(["ZREMRANGEBYRANK", "z", "10", "12"])
        elif x < 0.98:
            # a new set in its large form at once, where the old one was freed
            cmds.append(["DEL", "z"])
            pairs = []
            for i in range(200):
                pairs += [str(rng.randrange(SCORES)), "m%d" % rng.randrange(NAMES)]
            cmds.append(["ZADD", "z"] + pairs)
        else:
            cmds.append(["ZADD", "z", "GT", "CH", str(rng.randrange(SCORES)), member(rng)])
    return cmds


class ZsetPipeline(RespiteAndRedis):

    def compare_rounds(self, seed, rounds):
        """ZADD seed (a set in its large form), then each round of commands in one write, on
        both servers: every reply and the set after each round alike."""
        def script(c):
            out = [c.cmd("ZADD", "z", *seed), c.cmd("OBJECT", "ENCODING", "z")]
            for cmds in rounds:
                c.send(b"".join(encode(*a) for a in cmds))
                out.append([c.reply() for _ in cmds])
                out.append(c.cmd("ZRANGE", "z", "0", "-1", "WITHSCORES"))
            return out
        want, got = self.on_both_flushed(script)
        self.assertEqual(want[1], b"skiplist")
        for i, (w, g) in enumerate(zip(want, got)):
            self.assertEqual(g, w, "step %d" % i)
        self.assertEqual(len(got), len(want))

    def test_pipelined_zadds_between_moves_and_frees(self):
        rng = random.Random(15)
        seed = []
        for i in range(300):
            seed += [str(rng.randrange(SCORES)), "m%d" % i]
        rounds = [round_commands(rng) for _ in range(ROUNDS)]
        self.assertTrue(any(a[0] == "DEL" for cmds in rounds for a in cmds))

        self.compare_rounds(seed, rounds)

    def test_pipelined_pops_between_changes_at_the_ends(self):
        rng = random.Random(17)
        seed = []
        for i in range(400):
            seed += [str(i), "m%d" % i]

        def pop_round():
            cmds = []
            for _ in range(PIPELINE):
                x = rng.random()
                end = rng.choice(["ZPOPMIN", "ZPOPMAX"])
                if x < 0.60:
                    cmds.append([end, "z"] + ([str(rng.choice([1, 2, 3]))] if x < 0.15 else []))
                elif x < 0.75:
                    # the member an end's next pop was to take, or the one after it
                    rank = rng.choice(["0", "1", "-1", "-2"])
                    cmds.append(["EVAL", "local m = redis.call('ZRANGE', KEYS[1], ARGV[1], "
                                 "ARGV[1]) if m[1] then return redis.call('ZREM', KEYS[1], m[1]) "
                                 "end return 0", "1", "z", rank])
                elif x < 0.90:
                    # a new member at an end, before the one a pop hashed
                    cmds.append(["ZADD", "z", str(rng.choice([-1, 1000]) * rng.randrange(1, 9)),
                                 "n%d" % rng.randrange(NAMES)])
                elif x < 0.93:
                    cmds.append(["DEL", "z"])
                    cmds.append(["ZADD", "z"] + seed[:300])
                else:
                    cmds.append(["ZREMRANGEBYRANK", "z", "0", "1"])
            return cmds
        rounds = [pop_round() for _ in range(ROUNDS)]

        self.compare_rounds(seed, rounds)

    def test_sets_added_in_order_then_cut_at_their_ends(self):
        """Members added in ascending (descending) order fill the tree's nodes and split its
        inner nodes at the right (left) end of each level; the members there then go by
        ZPOPMAX (ZPOPMIN), ZREM, ZINCRBY and ZREMRANGEBYRANK, and the set is read whole."""
        for n in (931, 961, 28831):
            for sign in (1, -1):
                adds = [["ZADD", "z"] + [x for i in range(lo, min(lo + 100, n))
                                         for x in (str(sign * i), "k%06d" % i)]
                        for lo in range(0, n, 100)]
                top, pop = ("-1", "ZPOPMAX") if sign > 0 else ("0", "ZPOPMIN")
                end = "k%06d" % (n - 1)
                cuts = [[pop, "z"], ["ZREM", "z", "k%06d" % (n - 2)],
                        ["ZINCRBY", "z", str(-sign * 2 * n), "k%06d" % (n - 3)],
                        ["ZREMRANGEBYRANK", "z", top, top], ["ZADD", "z", "0", end],
                        ["ZRANGE", "z", "-3", "-1", "WITHSCORES"],
                        ["ZRANGE", "z", "0", "2", "WITHSCORES"],
                        ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "5", "3"],
                        ["ZREVRANK", "z", "k%06d" % (n - 4)], ["ZCARD", "z"]]

                def script(c):
                    c.send(b"".join(encode(*a) for a in adds + cuts))
                    out = [c.reply() for _ in adds + cuts]
                    out.append(c.cmd("ZRANGE", "z", "0", "-1", "WITHSCORES"))
                    return out
                want, got = self.on_both_flushed(script)
                self.assertEqual(got, want, (n, sign))

    def test_limit_walks(self):
        """LIMIT offset count (both >= 0) walks from the range's first member, or its last
        with REV (store/keyspace/zset.c, zset_range_limit): offsets and counts within, at
        and past the range and the set, bounds inclusive, exclusive and infinite, by score on
        a set of varied scores and by lex on one of equal scores, and ZRANGESTORE."""
        rng = random.Random(19)
        seed = []
        for i in range(300):
            seed += [str(rng.randrange(SCORES)), "m%d" % i]
        lex = []
        for i in range(300):
            lex += ["0", "k%03d" % i]

        def bound(lo):
            x = rng.random()
            if x < 0.1:
                return "-inf" if lo else "+inf"
            return ("(" if x < 0.4 else "") + str(rng.randrange(-2, SCORES + 2))

        def lex_bound(lo):
            x = rng.random()
            if x < 0.1:
                return "-" if lo else "+"
            return ("(" if x < 0.5 else "[") + "k%03d" % rng.randrange(-5, 305)

        def limit():
            return ["LIMIT", str(rng.choice([0, 0, 1, 3, 17, 150, 299, 300, 1000])),
                    str(rng.choice([1, 2, 10, 100, 500]))]

        def limit_round():
            cmds = []
            for _ in range(PIPELINE):
                x = rng.random()
                lo, hi = bound(True), bound(False)
                scores = ["WITHSCORES"] if rng.random() < 0.3 else []
                if x < 0.35:
                    cmds.append(["ZRANGEBYSCORE", "z", lo, hi] + limit() + scores)
                elif x < 0.6:
                    cmds.append(["ZREVRANGEBYSCORE", "z", hi, lo] + scores + limit())
                elif x < 0.7:
                    cmds.append(["ZRANGE", "z", hi, lo, "BYSCORE", "REV"] + limit())
                elif x < 0.8:
                    cmds.append(["ZRANGEBYLEX", "lex", lex_bound(True), lex_bound(False)] +
                                limit())
                elif x < 0.9:
                    cmds.append(["ZREVRANGEBYLEX", "lex", lex_bound(False), lex_bound(True)] +
                                limit())
                elif x < 0.95:
                    cmds.append(["ZRANGESTORE", "dst", "z", lo, hi, "BYSCORE"] + limit())
                    cmds.append(["ZRANGE", "dst", "0", "-1", "WITHSCORES"])
                else:
                    cmds.append(["ZADD", "z", str(rng.randrange(SCORES)), "m%d" % rng.randrange(400)])
            return cmds
        rounds = [[["ZADD", "lex"] + lex]] + [limit_round() for _ in range(ROUNDS // 4)]
        self.compare_rounds(seed, rounds)


if __name__ == "__main__":
    main()
