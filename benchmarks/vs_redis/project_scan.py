#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A tenant's SCAN on a server of many tenants: respite's project user beside Redis's user
confined to the same keys.

Both servers hold --projects projects of --keys keys each (`project:p<i>:k<j>`, 20-byte
values). On each, a user confined to one project (`~project:p7:*`) walks with
`SCAN <cursor> COUNT 10` until the cursor is 0. On respite it is a project user: the scan
visits that project's shard only and returns only its keys. Redis's SCAN is not
filtered by the user's patterns: it walks the whole keyspace and returns every key name,
the other tenants' included, so the tenant adds `MATCH project:p7:*` to find its own (it
still walks everything). The table gives, for each server, the SCAN calls, the time of
the whole walk (median of --rounds, servers alternating), the keys returned, and how many
other tenants' key names one `SCAN 0 COUNT 10` without MATCH shows the tenant.

Examples:
  benchmarks/vs_redis/project_scan.py --respite build/respite-server
  benchmarks/vs_redis/project_scan.py --respite build/respite-server --projects 10000 --rounds 5

A benchmark, not a test: nothing here passes or fails. Loopback only, bounded in time
(--timeout) and keys (--projects x --keys); only the servers started here are stopped,
by PID. See benchmarks/README.md.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memory  # noqa: E402
import redis  # noqa: E402  (Debian's python3-redis, under /usr/bin/python3)
import servers  # noqa: E402
from servers import log  # noqa: E402

MINE = b"project:p7:"


def plan(args):
    def commands():
        for p in range(args.projects):
            for k in range(args.keys):
                yield (b"SET", b"project:p%d:k%d" % (p, k), b"v%019d" % k)
    return memory.Plan(args.projects * args.keys, commands())


def walk(conn, match):
    """SCAN to the end: (calls, ms, keys returned)."""
    calls, keys, cursor = 0, [], 0
    t = time.perf_counter()
    while True:
        cursor, batch = conn.scan(cursor, match=MINE + b"*" if match else None, count=10)
        calls += 1
        keys += batch
        if cursor == 0:
            break
    return calls, (time.perf_counter() - t) * 1000, keys


def measure(side, path, extra, args, workdir):
    srv = servers.Server(side, path, extra, workdir).start()
    try:
        memory.load(srv, plan(args), 1000, args.timeout)
        with servers.Conn(srv.port, timeout=args.timeout) as admin:
            admin.call("ACL", "SETUSER", "t7", "on", ">pw", "~project:p7:*", "+@all")
        conn = redis.Redis(host=servers.HOST, port=srv.port, username="t7", password="pw")
        try:
            calls, ms, keys = walk(conn, match=side == "redis")
            _, first = conn.scan(0, count=10)
        finally:
            conn.close()
        others = sum(1 for k in first if not bytes(k).startswith(MINE))
        log("  %-7s %d calls, %.2f ms, %d keys; %d of other tenants without MATCH"
            % (side, calls, ms, len(keys), others))
        return {"calls": calls, "ms": ms, "keys": len(keys), "others": others}
    finally:
        srv.stop()


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--keys", type=int, default=100, help="keys per project")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0)
    args = servers.parse_pair_args(ap)
    res = servers.alternating_rounds(args, measure, "bench-pscan-")
    rows = servers.median_rows(res, (("SCAN calls to the end", "calls", "%d"),
                                     ("whole walk, ms", "ms", "%.2f"),
                                     ("keys returned", "keys", "%d"),
                                     ("others' keys in SCAN 0 COUNT 10, no MATCH", "others",
                                      "%d")))
    servers.print_table(
        ["One tenant's SCAN COUNT 10 among %d projects of %d keys, median of %d rounds;"
         % (args.projects, args.keys, args.rounds),
         "respite %s (project user), redis %s (user ~project:p7:*, MATCH project:p7:*); %s"
         % (servers.git_describe(args.respite), servers.binary_version(args.redis),
            servers.machine_summary())],
        ["figure", "respite", "redis", "ratio"], rows, [], args.markdown)


if __name__ == "__main__":
    main()
