#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Dropping a tenant of N keys: respite's PROJECT DROP beside redis-server's FLUSHDB ASYNC.

respite keeps a tenant in a project (`project:t:k<j>` keys, with another tenant's 1,000
keys beside it in the same database) and drops it with `PROJECT DROP t`; Redis has no
such command, and the nearest thing that also frees in the background is a database of
the tenant's own emptied by `FLUSHDB ASYNC` (the other tenant in db 0). For each round
and each server (rounds alternate which goes first): start a fresh server, load the
keys (`SET <key> <20 bytes>`), start a client that PINGs about every millisecond, time
the drop's reply, wait until INFO's lazyfree_pending_objects is 0 (the background
freeing done), stop the PINGs. The table gives the median over the rounds of the
drop's reply, the freeing time and the longest and p99 PING while it ran.

Examples:
  benchmarks/vs_redis/project_drop.py --respite build/respite-server
  benchmarks/vs_redis/project_drop.py --respite build/respite-server --keys 100000 --rounds 1

A benchmark, not a test: nothing here passes or fails. Loopback only, bounded in time
(--timeout for every wait) and bytes (--keys); only the servers started here are
stopped, by PID. See benchmarks/README.md.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memory  # noqa: E402
import servers  # noqa: E402
from servers import log  # noqa: E402

OTHERS = 1000  # keys of the other tenant, kept


def plan(side, keys):
    def commands():
        for j in range(OTHERS):
            yield (b"SET", b"project:other:k%d" % j, b"v%019d" % j)
        if side == "redis":
            yield (b"SELECT", b"1")
        for j in range(keys):
            yield (b"SET", b"project:t:k%d" % j, b"v%019d" % j)
    return memory.Plan(OTHERS + keys, commands())


def pending(conn):
    text = conn.call("INFO", "memory")
    text = text.decode() if isinstance(text, (bytes, bytearray)) else str(text)
    for line in text.split("\r\n"):
        if line.startswith("lazyfree_pending_objects:"):
            return int(line.split(":", 1)[1])
    raise RuntimeError("no lazyfree_pending_objects in INFO memory")


def measure(side, path, extra, args, workdir):
    srv = servers.Server(side, path, extra, workdir).start()
    try:
        sent, _, _ = memory.load(srv, plan(side, args.keys), 1000, args.timeout)
        with servers.Conn(srv.port, timeout=args.timeout) as conn:
            if side == "redis":
                conn.call("SELECT", "1")
            probe = servers.Probe(srv.port)
            time.sleep(0.2)
            drop = ("PROJECT", "DROP", "t") if side == "respite" else ("FLUSHDB", "ASYNC")
            reply_ms, reply = servers.timed(conn, *drop)
            t0 = time.monotonic()
            while pending(conn) > 0:
                if time.monotonic() - t0 > args.timeout:
                    raise RuntimeError("%s: still freeing after %ss" % (side, args.timeout))
                time.sleep(0.001)
            free_ms = (time.monotonic() - t0) * 1000
            time.sleep(0.05)
            out = probe.stop()
            conn.call("SELECT", "0")
            left = conn.call("DBSIZE")
        out.update(reply_ms=reply_ms, free_ms=free_ms, reply=reply, left=left)
        log("  %-7s reply %s in %.2f ms, freed in %.0f ms, PING max %.2f ms p99 %.2f ms, %s keys left"
            % (side, reply, reply_ms, free_ms, out["ping_max_ms"], out["ping_p99_ms"], left))
        return out
    finally:
        srv.stop()


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--keys", type=int, default=1000000, help="keys of the dropped tenant")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0)
    args = servers.parse_pair_args(ap)
    res = servers.alternating_rounds(args, measure, "bench-drop-")
    rows = servers.median_rows(res, (("drop's reply, ms", "reply_ms", "%.2f"),
                                     ("background freeing, ms", "free_ms", "%.2f"),
                                     ("longest PING meanwhile, ms", "ping_max_ms", "%.2f"),
                                     ("p99 PING meanwhile, ms", "ping_p99_ms", "%.2f")))
    servers.print_table(
        ["Dropping a tenant of %d keys (another's %d kept), median of %d rounds;"
         % (args.keys, OTHERS, args.rounds),
         "respite %s, redis %s; %s" % (servers.git_describe(args.respite),
                                       servers.binary_version(args.redis),
                                       servers.machine_summary())],
        ["figure", "respite PROJECT DROP", "redis FLUSHDB ASYNC", "ratio"], rows, [],
        args.markdown)


if __name__ == "__main__":
    main()
