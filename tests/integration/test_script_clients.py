# SPDX-License-Identifier: BSD-3-Clause
"""Lua flows of real clients, run against respite-server and a real redis-server 7.4.1
(harness.redis74_path; Debian's redis-server 7.0 without it, as in CI: these flows answer
the same on both) with the same results: redis-py's
register_script (EVALSHA, SCRIPT LOAD and a retry on NOSCRIPT, scripts in a pipeline)
and ioredis's defineCommand (EVALSHA, EVAL on NOSCRIPT; node/script_flows.js, skipped
without node and the ioredis package, installed as test_node_clients.py does) running a
fixed-window rate limiter, a sliding-window rate limiter on a sorted set of request times
and a lock with safe release and
extension, the scripts of lua/. Times are the client's, passed as arguments, so both
servers see the same.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RespiteAndRedis, main, redis74_path  # noqa: E402
from test_node_clients import MODULES  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def lua(name):
    with open(os.path.join(HERE, "lua", name + ".lua")) as f:
        return f.read()


def py_flows(r):
    out = []
    fixed = r.register_script(lua("fixed_window"))
    sliding = r.register_script(lua("sliding_window"))
    release = r.register_script(lua("lock_release"))
    extend = r.register_script(lua("lock_extend"))
    r.flushall()
    for _ in range(7):
        out.append(fixed(keys=["rl:fixed:a"], args=[5, 60000]))
    r.script_flush()
    out.append(fixed(keys=["rl:fixed:b"], args=[5, 60000]))  # NOSCRIPT, load, retry
    out.append(r.script_exists(fixed.sha, sliding.sha))
    for t in (1000, 1100, 1200, 1300, 1999, 2000, 2101, 2150, 3500):
        out.append(sliding(keys=["rl:slide:a"], args=[t, 1000, 3]))
    out.append(r.zrange("rl:slide:a", 0, -1))
    out.append(r.set("lock:report", "tok-1", px=10000, nx=True))
    out.append(r.set("lock:report", "tok-2", px=10000, nx=True))
    out.append(release(keys=["lock:report"], args=["tok-2"]))
    out.append(extend(keys=["lock:report"], args=["tok-2", 20000]))
    out.append(extend(keys=["lock:report"], args=["tok-1", 20000]))
    out.append(r.pttl("lock:report") > 10000)
    out.append(release(keys=["lock:report"], args=["tok-1"]))
    out.append(release(keys=["lock:report"], args=["tok-1"]))
    r.script_flush()
    with r.pipeline() as p:  # loads what SCRIPT EXISTS does not find, then EVALSHA
        fixed(keys=["rl:fixed:a"], args=[5, 60000], client=p)
        sliding(keys=["rl:slide:a"], args=[3600, 1000, 3], client=p)
        release(keys=["lock:report"], args=["tok-1"], client=p)
        out.append(p.execute())
    return out


def node_flows(port):
    env = dict(os.environ, NODE_PATH=MODULES)
    p = subprocess.run(["node", os.path.join(HERE, "node", "script_flows.js"), str(port)],
                       capture_output=True, text=True, timeout=60, env=env)
    if p.returncode != 0:
        raise AssertionError(p.stdout + p.stderr)
    return json.loads(p.stdout)


class ScriptClients(RespiteAndRedis):
    reference_binary = redis74_path()

    def test_redis_py_register_script(self):
        want = py_flows(self.reference.client())
        got = py_flows(self.respite.client())
        self.assertEqual(got, want)
        self.assertEqual(want[:8], [[1, 1, 1], [1, 2, 1], [1, 3, 1], [1, 4, 1], [1, 5, 1],
                                    [0, 6, 1], [0, 7, 1], [1, 1, 1]])

    @unittest.skipUnless(MODULES, "node, npm or the ioredis package are not available")
    def test_ioredis_define_command(self):
        want = node_flows(self.reference.port)
        got = node_flows(self.respite.port)
        self.assertEqual(got, want)
        self.assertEqual(want[7], [1, 1, 1])


if __name__ == "__main__":
    main()
