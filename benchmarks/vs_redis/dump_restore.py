#!/usr/bin/python3
"""DUMP and RESTORE throughput and server CPU per command: respite-server vs redis-server.

Starts both servers on free ports of 127.0.0.1. For each value shape, fills --keys keys of
that shape on each server, then runs, --rounds times and alternating which side goes first:
  dump     --requests DUMPs over those keys, pipelined in batches of 1,000;
  restore  --requests RESTORE <key>:copy 0 <payload> REPLACE of the payloads each server
           DUMPed itself.
Reports the median commands/s of each side, the median server CPU time per command (from
/proc/<pid>/stat around each run), and the ratio respite/redis.

Shapes: string (1,000 random bytes), hash (100 fields, a listpack), bighash (1,000 fields,
a table), list (600 elements), zset (200 members, a skip list), stream (100 entries, one
group with 10 pending).

  benchmarks/vs_redis/dump_restore.py --respite build/respite-server

A benchmark, not a test: nothing here is run by ctest.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

BATCH = 1000


def fill(key, shape):
    """The commands that build key in the given shape."""
    if shape == "string":
        return [["SET", key, os.urandom(1000)]]
    if shape == "hash":
        return [["HSET", key] + [x for i in range(100) for x in ("field:%d" % i, "v%d" % i)]]
    if shape == "bighash":
        return [["HSET", key] + [x for i in range(1000) for x in ("field:%d" % i, "v%d" % i)]]
    if shape == "list":
        return [["RPUSH", key] + ["element-%d" % i for i in range(600)]]
    if shape == "zset":
        return [["ZADD", key] + [x for i in range(200) for x in (str(i / 7), "m%d" % i)]]
    return ([["XADD", key, "*", "f", str(i), "g", "value"] for i in range(100)] +
            [["XGROUP", "CREATE", key, "g", "0"],
             ["XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", key, ">"]])


def send(conn, commands):
    for payload, count in servers.batches(commands, BATCH):
        errors = conn.pipeline(payload, count)
        if errors:
            raise servers.ProtocolError("error reply: %s" % errors[0])


def run(srv, conn, commands):
    """(commands/s, server CPU µs per command) of sending commands pipelined."""
    encoded = list(servers.batches(commands, BATCH))
    ticks = servers.cpu_ticks(srv.pid)
    t = time.perf_counter()
    for payload, count in encoded:
        errors = conn.pipeline(payload, count)
        if errors:
            raise servers.ProtocolError("error reply: %s" % errors[0])
    elapsed = time.perf_counter() - t
    cpu = (servers.cpu_ticks(srv.pid) - ticks) / os.sysconf("SC_CLK_TCK")
    return len(commands) / elapsed, cpu * 1e6 / len(commands)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--respite", required=True, help="respite-server binary")
    ap.add_argument("--redis", default=shutil.which("redis-server"), help="redis-server binary")
    ap.add_argument("--keys", type=int, default=1000, help="keys of each shape (default 1000)")
    ap.add_argument("--requests", type=int, default=20000,
                    help="commands a run (default 20000)")
    ap.add_argument("--rounds", type=int, default=3, help="runs per side (default 3)")
    ap.add_argument("--shapes", default="string,hash,bighash,list,zset,stream")
    args = ap.parse_args()
    servers.install_cleanup()
    work = tempfile.mkdtemp(prefix="respite-dump-bench-")
    extra = servers.split_args(servers.DEFAULT_SERVER_ARGS)
    sides = [servers.Server("respite", args.respite, extra, work).start(),
             servers.Server("redis", args.redis, extra, work).start()]
    conns = [servers.Conn(s.port) for s in sides]
    print("| shape | op | respite ops/s | redis ops/s | ratio | respite CPU µs/op | "
          "redis CPU µs/op |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for shape in args.shapes.split(","):
        keys = ["%s:%d" % (shape, i) for i in range(args.keys)]
        payloads = []
        for conn in conns:
            send(conn, [["FLUSHALL"]] + [c for k in keys for c in fill(k, shape)])
            payloads.append([conn.call("DUMP", k) for k in keys])
        dumps = [["DUMP", keys[i % len(keys)]] for i in range(args.requests)]
        results = {}
        for op in ("dump", "restore"):
            per_side = [[], []]
            for rnd in range(args.rounds):
                order = (0, 1) if rnd % 2 == 0 else (1, 0)
                for side in order:
                    if op == "dump":
                        cmds = dumps
                    else:
                        p = payloads[side]
                        cmds = [["RESTORE", keys[i % len(keys)] + ":copy", "0",
                                 p[i % len(p)], "REPLACE"] for i in range(args.requests)]
                    per_side[side].append(run(sides[side], conns[side], cmds))
            results[op] = [(statistics.median(r[0] for r in runs),
                            statistics.median(r[1] for r in runs)) for runs in per_side]
            (rs_ops, rs_cpu), (rd_ops, rd_cpu) = results[op]
            print("| %s | %s | %.0f | %.0f | %.2f | %.1f | %.1f |"
                  % (shape, op, rs_ops, rd_ops, rs_ops / rd_ops, rs_cpu, rd_cpu), flush=True)
    for conn in conns:
        conn.close()
    for s in sides:
        s.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
