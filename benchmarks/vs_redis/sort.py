#!/usr/bin/python3
"""SORT side by side: a 1,000-element list sorted by a field of 1,000 hashes, as a job
queue or a leaderboard sorts ids by a property kept in per-id hashes.

The list `ids` holds 1,000 ids (shuffled); hash `obj:<id>` holds `weight` (a random
integer, some equal) and `name`. Tests, each run by redis-benchmark with --clients
connections at -P 1:
  by-field:       SORT ids BY obj:*->weight LIMIT 0 10
  by-field-get:   SORT ids BY obj:*->weight LIMIT 0 10 GET # GET obj:*->name
  by-field-all:   SORT ids BY obj:*->weight GET obj:*->name     (all 1,000 names)
  alpha-by-field: SORT ids BY obj:*->name ALPHA LIMIT 0 10
Reported: ops/s (redis-benchmark's) and server CPU per call (/proc/<pid>/stat around the
run). Rounds alternate which server goes first; medians are reported. Loopback only; only
the servers started here are stopped, by PID.

Example:
  benchmarks/vs_redis/sort.py --respite build/respite-server \\
      --redis ../shared/tools/redis-7.4.1/redis-server --rounds 3
"""

import os
import random
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

TESTS = [
    ("by-field", ["SORT", "ids", "BY", "obj:*->weight", "LIMIT", "0", "10"]),
    ("by-field-get", ["SORT", "ids", "BY", "obj:*->weight", "LIMIT", "0", "10", "GET", "#",
                      "GET", "obj:*->name"]),
    ("by-field-all", ["SORT", "ids", "BY", "obj:*->weight", "GET", "obj:*->name"]),
    ("alpha-by-field", ["SORT", "ids", "BY", "obj:*->name", "ALPHA", "LIMIT", "0", "10"]),
]


def load(srv, n):
    rnd = random.Random(17)
    ids = list(range(n))
    rnd.shuffle(ids)
    with servers.Conn(srv.port) as c:
        c.call("RPUSH", "ids", *[str(i) for i in ids])
        for i in ids:
            c.call("HSET", "obj:%d" % i, "weight", str(rnd.randrange(n // 2)),
                   "name", "user-%06d" % rnd.randrange(10 ** 6))


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--elements", type=int, default=1000)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    servers.check_binaries(ap, args)
    servers.install_cleanup()
    work = tempfile.mkdtemp(prefix="respite-sort-bench-")
    extra = servers.split_args(servers.DEFAULT_SERVER_ARGS)
    sides = [servers.Server("respite", args.respite, extra, work),
             servers.Server("redis", args.redis, extra, work)]
    results = {}
    for rnd in range(args.rounds):
        order = sides if rnd % 2 == 0 else sides[::-1]
        for srv in order:
            srv.start()
            load(srv, args.elements)
            for name, command in TESTS:
                results.setdefault((name, srv.label), []).append(
                    servers.redis_benchmark(srv, command, args.requests, args.clients))
            srv.stop()
    rows = []
    for name, command in TESTS:
        a, b = results[(name, "respite")], results[(name, "redis")]
        ra, rb = statistics.median(x[0] for x in a), statistics.median(x[0] for x in b)
        ca, cb = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
        rows.append(["%s (`%s`)" % (name, " ".join(command)), "%.0f" % ra, "%.0f" % rb,
                     servers.fmt_ratio(ra, rb), "%.1f" % ca, "%.1f" % cb,
                     servers.fmt_ratio(ca, cb)])
    header = ["test", "respite ops/s", "redis ops/s", "ratio", "respite CPU us/call",
              "redis CPU us/call", "CPU ratio"]
    _, redis_short, rev, when, cmdline = servers.run_info(args)
    head = ["respite %s vs %s, %s, medians of %d rounds of %d calls, %d clients, %d elements:"
            % (rev or "?", redis_short, when.strftime("%Y-%m-%d"), args.rounds, args.requests,
               args.clients, args.elements), "`%s`" % cmdline]
    servers.print_table(head, header, rows, [], args.markdown)


if __name__ == "__main__":
    main()
