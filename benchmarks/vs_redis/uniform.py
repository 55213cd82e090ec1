#!/usr/bin/python3
"""How uniform the random picks of table-encoded values are, side by side: the chi-square
of the members (fields, keys) drawn, against the uniform expectation.

Shapes (issue 17), each value a hash table (set-max-listpack-entries and
hash-max-listpack-entries 1):
  sets10:     20 sets of 10 members, SRANDMEMBER s -1000 on each: the smallest and largest
              of the 20 chi-squares (9 degrees of freedom: uniform is about 9; 33.7 is
              the bound a uniform pick passes with probability 0.9999)
  set100:     a set of 100 members, 100 x SRANDMEMBER s -10000 (1,000,000 picks; 99
              degrees of freedom: uniform about 99, bound 160.1)
  hash100:    the same with HRANDFIELD h -10000
  spop100:    SPOP s 50 then SADD back, 20,000 times (1,000,000 picks)
  randomkey:  100 keys of one project, 100,000 RANDOMKEY
Loopback only; only the servers started here are stopped, by PID.

Example:
  benchmarks/vs_redis/uniform.py --respite build/respite-server \\
      --redis ../shared/tools/redis-7.4.1/redis-server
"""

import os
import sys
import tempfile

import redis  # python3-redis: replies as values

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402


def chi_square(counts, n):
    total = sum(counts.get(i, 0) for i in range(n))
    want = total / n
    return sum((counts.get(i, 0) - want) ** 2 / want for i in range(n))


def count(replies, counts):
    for r in replies:
        for m in (r if isinstance(r, list) else [r]):
            k = int(m.split(b":")[-1][1:])
            counts[k] = counts.get(k, 0) + 1


def pipeline(c, commands):
    """Run commands in batches of 1,000, returning their replies."""
    out = []
    for i in range(0, len(commands), 1000):
        p = c.pipeline(transaction=False)
        for cmd in commands[i:i + 1000]:
            p.execute_command(*cmd)
        out += p.execute()
    return out


def measure(srv):
    res = {}
    c = redis.Redis(port=srv.port, socket_timeout=300)
    with c:
        c.call = c.execute_command
        c.call("CONFIG", "SET", "set-max-listpack-entries", "1")
        c.call("CONFIG", "SET", "hash-max-listpack-entries", "1")
        chis = []
        for s in range(20):
            key = "s10:%d" % s
            c.call("SADD", key, *["m%d" % i for i in range(10)])
            counts = {}
            count([c.call("SRANDMEMBER", key, "-1000")], counts)
            chis.append(chi_square(counts, 10))
        res["sets10"] = "%.1f - %.1f" % (min(chis), max(chis))
        c.call("SADD", "s", *["m%d" % i for i in range(100)])
        counts = {}
        count(pipeline(c, [["SRANDMEMBER", "s", "-10000"]] * 100), counts)
        res["set100"] = "%.0f" % chi_square(counts, 100)
        c.call("HSET", "h", *[x for i in range(100) for x in ("m%d" % i, "v")])
        counts = {}
        count(pipeline(c, [["HRANDFIELD", "h", "-10000"]] * 100), counts)
        res["hash100"] = "%.0f" % chi_square(counts, 100)
        counts = {}
        refill = ["SADD", "s"] + ["m%d" % i for i in range(100)]
        replies = pipeline(c, [["SPOP", "s", "50"], refill] * 20000)
        count(replies[0::2], counts)
        res["spop100"] = "%.0f" % chi_square(counts, 100)
        c.call("FLUSHALL")
        c.call("MSET", *[x for i in range(100) for x in ("project:7:k%d" % i, "v")])
        counts = {}
        count(pipeline(c, [["RANDOMKEY"]] * 100000), counts)
        res["randomkey"] = "%.0f" % chi_square(counts, 100)
    return res


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    servers.check_binaries(ap, args)
    servers.install_cleanup()
    work = tempfile.mkdtemp(prefix="respite-uniform-")
    extra = servers.split_args(servers.DEFAULT_SERVER_ARGS)
    results = {}
    for label, path in (("respite", args.respite), ("redis", args.redis)):
        srv = servers.Server(label, path, extra, work)
        srv.start()
        results[label] = measure(srv)
        srv.stop()
    rows = [[shape, results["respite"][shape], results["redis"][shape]]
            for shape in ("sets10", "set100", "hash100", "spop100", "randomkey")]
    _, redis_short, rev, when, cmdline = servers.run_info(args)
    head = ["respite %s vs %s, %s (chi-square of the picks):"
            % (rev or "?", redis_short, when.strftime("%Y-%m-%d")), "`%s`" % cmdline]
    servers.print_table(head, ["shape", "respite", "redis"], rows, [], args.markdown)


if __name__ == "__main__":
    main()
