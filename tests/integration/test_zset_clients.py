# SPDX-License-Identifier: BSD-3-Clause
"""Sorted-set flows of real clients, run against respite-server and a real redis-server
7.4.1 (harness.redis74_path; Debian's redis-server 7.0 without it, as in CI: these flows
answer the same on both) with the same results: a delayed-job
scheduler in the shape job queues use (jobs ZADDed at their due time; a poller that
WATCHes the delayed set, reads due jobs with ZRANGEBYSCORE ... LIMIT and moves them with
ZREM + ZADD in MULTI, one EXEC aborted by a concurrent producer and retried; a worker on
BZPOPMIN served at once, woken by a ZADD while blocked, and timing out) and a
sliding-window rate limiter (ZREMRANGEBYSCORE + ZADD + ZCARD + PEXPIRE in MULTI), with
redis-py here and with ioredis and node-redis (RESP2 and RESP3) in node/zset_flows.js
(skipped without node and the packages, installed as test_node_clients.py does). Times
are the client's, passed as scores, so both servers see the same.
"""
import json
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RespiteAndRedis, main, redis74_path  # noqa: E402
from test_node_clients import MODULES  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RATE_TIMES = (1000, 1100, 1200, 1300, 1999, 2000, 2101, 2150, 3500)  # ms; window 1000, limit 3


def poll(r, now, meddle=None):
    """Move up to 2 jobs due at `now` from q:delayed to q:ready (score: the poll's time);
    meddle() runs between the read and the MULTI, as a concurrent producer would.
    Returns [due jobs, EXEC's replies, or "aborted" when the WATCH fired]."""
    import redis
    with r.pipeline() as p:
        p.watch("q:delayed")
        due = p.zrangebyscore("q:delayed", "-inf", now, start=0, num=2)
        if not due:
            return [due, []]
        if meddle:
            meddle()
        p.multi()
        p.zrem("q:delayed", *due)
        p.zadd("q:ready", {j: now for j in due})
        try:
            return [due, p.execute()]
        except redis.WatchError:
            return [due, "aborted"]


def py_flows(server):
    r, producer, worker = server.client(), server.client(), server.client()
    out = []
    r.delete("q:delayed", "q:ready", "q:urgent", "q:empty", "rl:user:7")
    out.append(r.zadd("q:delayed", {"job1": 1000, "job2": 3000, "job3": 2000, "job4": 5000,
                                    "job5": 2000}))
    out.append(r.zadd("q:delayed", {"job2": 9999}, nx=True))
    out.append(poll(r, 500))
    out.append(poll(r, 2500))
    out.append(poll(r, 2500))
    out.append(poll(r, 3000, lambda: producer.zadd("q:delayed", {"job6": 100})))
    out.append(poll(r, 3000))
    out.append(r.zrange("q:delayed", 0, -1, withscores=True))
    out += [worker.bzpopmin("q:ready", 1) for _ in range(3)]
    got = []
    t = threading.Thread(target=lambda: got.append(worker.bzpopmin("q:urgent", 5)))
    t.start()
    time.sleep(0.1)  # the worker blocks first
    out.append(producer.zadd("q:urgent", {"job9": 7, "job8": 3}))
    t.join(10)
    out.append(got)
    out.append(worker.bzpopmin("q:empty", 0.05))
    out.append(r.zrange("q:urgent", 0, -1, withscores=True))
    for t in RATE_TIMES:
        with r.pipeline(transaction=True) as p:
            p.zremrangebyscore("rl:user:7", "-inf", t - 1000)
            p.zadd("rl:user:7", {"req:%d" % t: t})
            p.zcard("rl:user:7")
            p.pexpire("rl:user:7", 60000)
            res = p.execute()
        out.append([res, res[2] <= 3])
    out.append(r.zrange("rl:user:7", 0, -1, withscores=True))
    for c in (r, producer, worker):
        c.close()
    return out


def node_flows(port, lib, proto):
    env = dict(os.environ, NODE_PATH=MODULES)
    p = subprocess.run(["node", os.path.join(HERE, "node", "zset_flows.js"), str(port), lib,
                        str(proto)], capture_output=True, text=True, timeout=60, env=env)
    if p.returncode != 0:
        raise AssertionError(p.stdout + p.stderr)
    return json.loads(p.stdout)


class ZsetClients(RespiteAndRedis):
    reference_binary = redis74_path()

    def test_redis_py(self):
        want = py_flows(self.reference)
        got = py_flows(self.respite)
        self.assertEqual(got, want)
        self.assertEqual(want[3], [[b"job1", b"job3"], [2, 2]])
        self.assertEqual(want[5], [[b"job2"], "aborted"])
        self.assertEqual(want[12], [(b"q:urgent", b"job8", 3.0)])
        self.assertEqual([ok for _, ok in want[15:24]],
                         [True, True, True, False, False, False, False, False, True])

    def check_node(self, lib, proto):
        want = node_flows(self.reference.port, lib, proto)
        got = node_flows(self.respite.port, lib, proto)
        self.assertEqual(got, want)
        self.assertEqual(want[5], [["job2"], None])
        self.assertEqual([ok for _, ok in want[15:24]],
                         [True, True, True, False, False, False, False, False, True])

    @unittest.skipUnless(MODULES, "node, npm or the ioredis package are not available")
    def test_ioredis(self):
        self.check_node("ioredis", 2)

    @unittest.skipUnless(MODULES, "node, npm or the redis package are not available")
    def test_node_redis_resp2(self):
        self.check_node("node-redis", 2)

    @unittest.skipUnless(MODULES, "node, npm or the redis package are not available")
    def test_node_redis_resp3(self):
        self.check_node("node-redis", 3)


if __name__ == "__main__":
    main()
