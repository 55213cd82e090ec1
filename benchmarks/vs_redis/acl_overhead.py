#!/usr/bin/python3
"""The cost of the ACL check on the hot path (issue 18): GET and SET at -P 16
for the default user (which runs no check) beside a user confined to one
project (ACL SETUSER aclbench on >pw ~project:42:* &* +@all), on the same
server, keys project:42:__rand_int__.

Wall clock: one server per binary (respite, and redis-server with --redis for
reference); per test, --rounds runs of redis-benchmark for each user, the order
alternating from round to round (R1: default, confined; R2: confined, default;
...). Reports the median ops/s and the median server CPU time per request of
each user, read from /proc/<pid>/stat around each run, and their ratios. On a
shared machine these move by several percent from run to run: the figure that
decides is --callgrind N, instructions per request counted by callgrind
(callgrind.sh, N requests per run, one run per binary, test and user).

Examples:
  benchmarks/vs_redis/acl_overhead.py --respite build/respite-server
  benchmarks/vs_redis/acl_overhead.py --respite build/respite-server \\
      --redis /usr/bin/redis-server --callgrind 100000 --markdown

A benchmark, not a test: nothing here is run by ctest. Needs redis-benchmark,
and valgrind for --callgrind.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import servers  # noqa: E402
from servers import log  # noqa: E402

USER, PASSWORD = "aclbench", "pw"
RULES = ["on", ">" + PASSWORD, "~project:42:*", "&*", "+@all"]
TESTS = {  # SET first: GET then finds the keys
    "set": ["SET", "project:42:__rand_int__", "xxx"],
    "get": ["GET", "project:42:__rand_int__"],
}
AUTH = {"default": [], "confined": ["--user", USER, "-a", PASSWORD]}


def run(args, server, test, who):
    cmd = [args.redis_benchmark, "-h", servers.HOST, "-p", str(server.port), "-c", "50",
           "-n", str(args.requests), "-P", str(args.pipeline), "-r", "100000", "--csv"]
    cmd += AUTH[who] + TESTS[test]
    ticks0 = server.cpu_ticks()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                         stdin=subprocess.DEVNULL, preexec_fn=servers.child_preexec)
    ticks = server.cpu_ticks() - ticks0
    if out.returncode != 0:
        raise SystemExit("redis-benchmark failed: %s" % (out.stderr or out.stdout).strip())
    return bench.parse_rps(out.stdout), ticks / servers.CLK_TCK / args.requests * 1e6


def wall_clock(args, label, path, workdir):
    srv = servers.Server(label, path, servers.split_args(servers.DEFAULT_SERVER_ARGS), workdir)
    srv.start()
    try:
        with servers.Conn(srv.port) as c:
            if c.call("ACL", "SETUSER", USER, *RULES) != "OK":
                raise SystemExit("%s refused ACL SETUSER" % label)
        rows = []
        for test in TESTS:
            got = {"default": [], "confined": []}
            for r in range(args.rounds):
                for who in (("default", "confined") if r % 2 == 0 else ("confined", "default")):
                    got[who].append(run(args, srv, test, who))
            med = {w: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v))
                   for w, v in got.items()}
            rows.append([label, test.upper(), "{:,.0f}".format(med["default"][0]),
                         "{:,.0f}".format(med["confined"][0]),
                         servers.fmt_ratio(med["confined"][0], med["default"][0]),
                         "%.3f" % med["default"][1], "%.3f" % med["confined"][1],
                         servers.fmt_ratio(med["confined"][1], med["default"][1])])
            log("%s %s: %s" % (label, test, rows[-1][2:]))
        return rows
    finally:
        srv.stop()


def callgrind(args, label, path, workdir):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callgrind.sh")
    rows = []
    for test in TESTS:
        ir = {}
        for who in AUTH:
            env = dict(os.environ, ZSET="no", P=str(args.pipeline),
                       SERVER_ARGS=" ".join(["--user", USER] + RULES))
            out = subprocess.run([script, path, str(servers.free_port()), str(args.callgrind),
                                  os.path.join(workdir, "%s-%s-%s.cg" % (label, test, who))]
                                 + AUTH[who] + TESTS[test], capture_output=True, text=True,
                                 env=env, timeout=1800, stdin=subprocess.DEVNULL)
            if out.returncode != 0:
                raise SystemExit("callgrind.sh failed: %s" % (out.stderr or out.stdout).strip())
            ir[who] = int(out.stdout.split(" instructions")[0].split()[-1]) / args.callgrind
        rows.append([label, test.upper(), "%.0f" % ir["default"], "%.0f" % ir["confined"],
                     "%+.1f %%" % (100 * (ir["confined"] / ir["default"] - 1))])
        log("%s %s callgrind: %s" % (label, test, rows[-1][2:]))
    return rows


def table(header, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
        lines = ["  ".join(str(x).rjust(w) for x, w in zip(r, widths)) for r in [header] + rows]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--respite", required=True, help="respite-server binary")
    ap.add_argument("--redis", help="redis-server binary, measured the same way for reference")
    ap.add_argument("--redis-benchmark",
                    default=shutil.which("redis-benchmark") or "redis-benchmark")
    ap.add_argument("--rounds", type=int, default=5, help="runs per user and test (default 5)")
    ap.add_argument("--requests", type=int, default=1000000,
                    help="redis-benchmark -n (default 1000000)")
    ap.add_argument("--pipeline", type=int, default=16, help="redis-benchmark -P (default 16)")
    ap.add_argument("--callgrind", type=int, metavar="N", default=0,
                    help="also count instructions per request under callgrind, N requests a run")
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables for a README")
    args = ap.parse_args()
    servers.install_cleanup()
    sides = [("respite", args.respite)] + ([("redis", args.redis)] if args.redis else [])
    with tempfile.TemporaryDirectory(prefix="acl_overhead.") as workdir:
        wall = [row for label, path in sides for row in wall_clock(args, label, path, workdir)]
        print(servers.machine_summary())
        print("-P %d, 50 clients, -n %d, %d rounds, medians" % (args.pipeline, args.requests,
                                                                  args.rounds))
        header = ["server", "test", "default ops/s", "confined ops/s", "ratio",
                  "default µs CPU/op", "confined µs CPU/op", "CPU ratio"]
        print(table(header, wall, args.markdown))
        if args.callgrind:
            cg = [row for label, path in sides for row in callgrind(args, label, path, workdir)]
            print("\ninstructions per request (callgrind, -n %d)" % args.callgrind)
            print(table(["server", "test", "default", "confined", "overhead"], cg, args.markdown))


if __name__ == "__main__":
    main()
