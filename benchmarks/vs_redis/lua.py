#!/usr/bin/python3
"""Lua scripts side by side: a rate limiter and a read-only 10-HGET script, each run as a
script (EVALSHA) and as a function (FCALL).

rate-limiter: INCR a key, PTTL it, PEXPIRE it when it has no TTL, answer whether the count
is under the limit (the fixed-window limiter of Node and Python rate-limit libraries);
redis-benchmark's __rand_int__ spreads the calls over --keys keys.
hget10: a read-only script (#!lua flags=no-writes) doing 10 HGETs on a 10-field hash.

Each is loaded with SCRIPT LOAD and run by redis-benchmark (EVALSHA), and as a function of
one library (FUNCTION LOAD, then FCALL), at -P 1 and -P 16 with --clients connections. Reported: ops/s (redis-benchmark's) and server CPU per call
(/proc/<pid>/stat around the run). Rounds alternate which server goes first; medians are
reported. Loopback only; only the servers started here are stopped, by PID.

Example:
  benchmarks/vs_redis/lua.py --respite build/respite-server \\
      --redis ../shared/tools/redis-7.4.1/redis-server --rounds 3

`lua.py --load PORT` only fills hget10's hash and loads the library and the
two scripts into the server at PORT (callgrind.sh's SETUP; EVALSHA names a
script by the SHA1 of its text).
"""

import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

RATE_LIMITER = """local c = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if c > tonumber(ARGV[2]) then return 0 end
return c"""

HGET10 = """#!lua flags=no-writes
local r = {}
for i = 1, 10 do r[i] = redis.call('HGET', KEYS[1], 'f' .. i) end
return r"""

# The same two as functions of one library.
LIBRARY = """#!lua name=bench
local function rate_limiter(keys, args)
  local c = redis.call('INCR', keys[1])
  local ttl = redis.call('PTTL', keys[1])
  if ttl < 0 then redis.call('PEXPIRE', keys[1], args[1]) end
  if c > tonumber(args[2]) then return 0 end
  return c
end
local function hget10(keys)
  local r = {}
  for i = 1, 10 do r[i] = redis.call('HGET', keys[1], 'f' .. i) end
  return r
end
redis.register_function('rate_limiter', rate_limiter)
redis.register_function{function_name='hget10', callback=hget10, flags={'no-writes'}}"""


def bench(srv, args, call, tail, pipeline):
    """redis-benchmark of call (the command and its words up to numkeys) + tail."""
    return servers.redis_benchmark(srv, call + tail, args.requests, args.clients, pipeline,
                                   ["-r", str(args.keys)])


def load(c):
    """Fill hget10's hash, load LIBRARY and the two scripts; their SHA1s."""
    c.call("HSET", "h", *[x for i in range(1, 11) for x in ("f%d" % i, "v%d" % i)])
    c.call("FUNCTION", "LOAD", "REPLACE", LIBRARY)
    return {body: c.call("SCRIPT", "LOAD", body) for body in (RATE_LIMITER, HGET10)}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--load":
        with servers.Conn(int(sys.argv[2]), timeout=120) as c:
            load(c)
        return
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=300000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    servers.check_binaries(ap, args)
    servers.install_cleanup()
    work = tempfile.mkdtemp(prefix="respite-lua-bench-")
    extra = servers.split_args(servers.DEFAULT_SERVER_ARGS)
    sides = [servers.Server("respite", args.respite, extra, work),
             servers.Server("redis", args.redis, extra, work)]
    # (name, script body or None for a function of LIBRARY, function name, tail)
    tests = [("rate-limiter", RATE_LIMITER, None, ["rl:__rand_int__", "60000", "100"]),
             ("hget10", HGET10, None, ["h"]),
             ("FCALL rate-limiter", None, "rate_limiter", ["rl:__rand_int__", "60000", "100"]),
             ("FCALL hget10", None, "hget10", ["h"])]
    results = {}
    for rnd in range(args.rounds):
        order = sides if rnd % 2 == 0 else sides[::-1]
        for srv in order:
            srv.start()
            with servers.Conn(srv.port) as c:
                shas = load(c)
            calls = [["EVALSHA", shas[body], "1"] if body else ["FCALL", fn, "1"]
                     for _, body, fn, _ in tests]
            for (name, _, _, tail), call in zip(tests, calls):
                for p in (1, 16):
                    results.setdefault((name, p, srv.label), []).append(
                        bench(srv, args, call, tail, p))
            srv.stop()
    rows = []
    for name, _, _, _ in tests:
        for p in (1, 16):
            a = results[(name, p, "respite")]
            b = results[(name, p, "redis")]
            ra, rb = statistics.median(x[0] for x in a), statistics.median(x[0] for x in b)
            ca, cb = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
            rows.append(["%s -P %d" % (name, p), "%.0f" % ra, "%.0f" % rb,
                         servers.fmt_ratio(ra, rb), "%.2f" % ca, "%.2f" % cb,
                         servers.fmt_ratio(ca, cb)])
    header = ["test", "respite ops/s", "redis ops/s", "ratio", "respite CPU us/call",
              "redis CPU us/call", "CPU ratio"]
    _, redis_short, rev, when, cmdline = servers.run_info(args)
    head = ["respite %s vs %s, %s, medians of %d rounds of %d calls, %d clients:"
            % (rev or "?", redis_short, when.strftime("%Y-%m-%d"), args.rounds, args.requests,
               args.clients), "`%s`" % cmdline]
    servers.print_table(head, header, rows, [], args.markdown)


if __name__ == "__main__":
    main()
