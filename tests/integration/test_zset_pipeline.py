# SPDX-License-Identifier: BSD-3-Clause
"""Pipelined one-member ZADDs on a sorted set in skip-list form, as redis-benchmark sends
them, compared reply for reply with redis-server: the server walks a batch's ZADDs to
their places before running them and each takes its walks' paths while they still hold
(store/ds/zskip.c). Between them run the writes that make paths stale: other ZADDs and
ZINCRBYs that move the nodes on them, ZREM and ZPOPMIN that free nodes, ZREMRANGEBYRANK,
and DEL of the set followed by its re-creation in the same pipeline (a new list where the
old one was, whose walks must not be taken: under ASan a freed node read fails the
server). The set's order and scores are compared after each pipeline.
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
    # an occasional member too long to pack (65 bytes) makes a new set a skip list at once
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
            # a new set in skip-list form at once, where the old one was freed
            cmds.append(["DEL", "z"])
            pairs = []
            for i in range(200):
                pairs += [str(rng.randrange(SCORES)), "m%d" % rng.randrange(NAMES)]
            cmds.append(["ZADD", "z"] + pairs)
        else:
            cmds.append(["ZADD", "z", "GT", "CH", str(rng.randrange(SCORES)), member(rng)])
    return cmds


class ZsetPipeline(RespiteAndRedis):

    def test_pipelined_zadds_between_moves_and_frees(self):
        rng = random.Random(15)
        seed = []
        for i in range(300):
            seed += [str(rng.randrange(SCORES)), "m%d" % i]
        rounds = [round_commands(rng) for _ in range(ROUNDS)]
        self.assertTrue(any(a[0] == "DEL" for cmds in rounds for a in cmds))

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


if __name__ == "__main__":
    main()
