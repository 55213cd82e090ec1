#!/usr/bin/python3
"""Throughput and server CPU per operation: respite-server vs redis-server.

Starts both servers on free ports of 127.0.0.1, then for each test and each
pipeline depth runs redis-benchmark against them alternately, `--rounds` times,
alternating which side goes first in each round (R1: respite, redis;
R2: redis, respite; ...). Reports the median ops/s of each side and the median
server CPU time per request, read from /proc/<pid>/stat around each run.

Examples:
  benchmarks/vs_redis/bench.py --respite build/respite-server
  benchmarks/vs_redis/bench.py --respite build/respite-server --taskset --markdown
  benchmarks/vs_redis/bench.py --respite build/respite-server \\
      --tests 'ping,hset=HSET h:__rand_int__ f v' --pipeline 1

A benchmark, not a test: nothing here is run by ctest. Needs redis-benchmark,
taskset (util-linux) for --taskset, and a C compiler for the multi,
xreadgroup and bitmap tests (run by loadgen.c). See benchmarks/README.md.
"""

import csv
import io
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from servers import log  # noqa: E402

# Named tests: redis-benchmark arguments for each (before the common -r/-d/-P/...).
BUILTIN = {
    "ping": ["-t", "ping_mbulk"],
    "set": ["-t", "set"],
    "get": ["-t", "get"],
    "incr": ["-t", "incr"],
    "mset": ["-t", "mset"],            # one request = one MSET of 10 keys
    "setex": ["SET", "key:__rand_int__", "xxx", "EX", "100"],
    # Hashes and sets (issue 3). The read tests use the keys the write tests
    # before them filled (redis-benchmark's hset/sadd: one hash "myhash" of
    # element:N fields, one set "myset").
    "hget": ["HGET", "myhash", "element:__rand_int__"],
    "hincrby": ["HINCRBY", "myhash", "counter:__rand_int__", "1"],
    "sismember": ["SISMEMBER", "myset", "element:__rand_int__"],
    # respite only: field and member TTLs, in the dashboard's shapes
    "hexpire": ["HEXPIRE", "myhash", "3600", "FIELDS", "1", "element:__rand_int__"],
    "saddex": ["SADDEX", "project:__rand_int__:active_users", "EX", "300", "MEMBERS", "1",
               "user:__rand_int__"],
    # Lists (issue 4). The LRANGE tests send exactly what redis-benchmark's
    # lrange_100/lrange_600 send, but without the LPUSH run redis-benchmark puts
    # in front of them (a second CSV row); they read the list `lpush` filled, and
    # PREPARE makes sure it holds 600 elements. LMOVE rotates that same list
    # (tail to head), so every request moves an element and the length stays put.
    "lrange_100": ["LRANGE", "mylist", "0", "99"],
    "lrange_600": ["LRANGE", "mylist", "0", "599"],
    "lmove": ["LMOVE", "mylist", "mylist", "RIGHT", "LEFT"],
    # Streams (issue 5). xadd_maxlen writes its own stream so that its trimming
    # does not start with the whole stream xadd built.
    "xadd": ["XADD", "mystream", "*", "f", "v"],
    "xadd_maxlen": ["XADD", "mystream:capped", "MAXLEN", "~", "1000", "*", "f", "v"],
    "xrange_10": ["XRANGE", "mystream", "-", "+", "COUNT", "10"],
    "xrange_100": ["XRANGE", "mystream", "-", "+", "COUNT", "100"],
    # Projects at scale (issue 11): a dashboard's writes, each to a random one of -r
    # projects (redis-benchmark draws every __rand_int__ of a command on its own, so the
    # member of proj_sadd is independent of its project). The stream is not capped: at
    # -r 100000 a project gets a few dozen entries per run, which MAXLEN ~ 1000 would
    # never trim.
    "proj_hset": ["HSET", "project:__rand_int__:calc_cache", "f", "v"],
    "proj_xadd": ["XADD", "project:__rand_int__:parameter_changes", "*", "f", "v"],
    "proj_sadd": ["SADD", "project:__rand_int__:active_users", "user:__rand_int__"],
    "proj_lpush": ["LPUSH", "project:__rand_int__:notifications:1", "x"],
    # Sorted sets (issue 15), on redis-benchmark's own set `myzset` (its zadd: `ZADD myzset
    # __rand_int__ element:__rand_int__`), which PREPARE fills to -r members first. The
    # LIMIT range starts at a random score, as a delayed-job poller's does.
    "zincrby": ["ZINCRBY", "myzset", "1", "element:__rand_int__"],
    "zscore": ["ZSCORE", "myzset", "element:__rand_int__"],
    "zrange_100": ["ZRANGE", "myzset", "0", "99", "WITHSCORES"],
    "zrangebyscore_limit": ["ZRANGEBYSCORE", "myzset", "__rand_int__", "+inf", "LIMIT", "0", "10"],
}
# What redis-benchmark sends for the `-t` tests that --client loadgen runs through
# loadgen.c instead (its --pad 1 writes __rand_int__ as redis-benchmark does; DATA is
# -d bytes of "x", as redis-benchmark's values). Any raw command test runs there too.
LOADGEN_EQUIV = {
    "ping": ["PING"],
    "set": ["SET", "key:__rand_int__", "DATA"],
    "get": ["GET", "key:__rand_int__"],
    "incr": ["INCR", "counter:__rand_int__"],
    "lpush": ["LPUSH", "mylist", "DATA"],
    "rpush": ["RPUSH", "mylist", "DATA"],
    "lpop": ["LPOP", "mylist"],
    "rpop": ["RPOP", "mylist"],
    "sadd": ["SADD", "myset", "element:__rand_int__"],
    "hset": ["HSET", "myhash", "element:__rand_int__", "DATA"],
    "spop": ["SPOP", "myset"],
    "zadd": ["ZADD", "myzset", "__rand_int__", "element:__rand_int__"],
    "zpopmin": ["ZPOPMIN", "myzset"],
}
# Tests run by loadgen.c instead of redis-benchmark: one request there is more
# than one command (a MULTI block; an XREADGROUP and the XACK of what it read).
LOADGEN = {"multi", "xreadgroup"}
# Single commands run by loadgen.c's command mode, because their random part is an
# integer argument, which redis-benchmark's __rand_int__ (12 zero-padded digits) is not
# to Redis; loadgen writes it plain, uniform in [0, -r).
# Bitmaps (issue 17): one presence bitmap `mybitmap` of -r bits (PREPARE gives it its
# full length, every other bit set, so reads see a real bitmap whatever ran before),
# bit n standing for user n. BITPOS looks for the next active user after a random one
# (a BIT range, so both masked edge bytes are searched); BITCOUNT counts the whole map
# (-r / 8 bytes). BITFIELD bumps one of -r 16-bit counters packed in `mycounters`.
LOADGEN_COMMANDS = {
    "setbit": ["SETBIT", "mybitmap", "__rand_int__", "1"],
    "getbit": ["GETBIT", "mybitmap", "__rand_int__"],
    "bitcount": ["BITCOUNT", "mybitmap"],
    "bitpos": ["BITPOS", "mybitmap", "1", "__rand_int__", "-1", "BIT"],
    "bitfield": ["BITFIELD", "mycounters", "INCRBY", "u16", "#__rand_int__", "1"],
}
# The issue-3 set: `--tests hset,hget,hincrby,sadd,sismember,spop --extra-respite-only hexpire,saddex`
# The issue-4 set: `--tests lpush,lrange_100,lrange_600,lmove,rpop,multi`
# The issue-5 set: `--tests xadd,xadd_maxlen,xrange_10,xrange_100,xreadgroup`
# The issue-11 set: `--tests set,get,proj_hset,proj_xadd,proj_sadd,proj_lpush --pipeline 16`
# The issue-15 set: `--tests zadd,zincrby,zscore,zrange_100,zrangebyscore_limit,zpopmin`
# The issue-17 bitmap set: `--tests setbit,getbit,bitcount,bitpos,bitfield --pipeline 16`
# redis-benchmark's own tests that produce exactly one result row; usable by name too.
PASSTHROUGH = ["ping_inline", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop",
               "zadd", "zpopmin"]
DEFAULT_TESTS = "ping,set,get,incr,mset,setex"


def prepare_list(conn, _args):
    """mylist holds at least the 600 elements lrange_600 reads (lpush usually filled it)."""
    if conn.call("LLEN", "mylist") < 600:
        send_all(conn, [["RPUSH", "mylist"] + ["xxx"] * 600])


def prepare_stream(conn, _args):
    """mystream holds at least the 100 entries xrange_100 reads (xadd usually filled it)."""
    if conn.call("XLEN", "mystream") < 100:
        send_all(conn, [["XADD", "mystream", "*", "f", "v"]] * 100)


def add_members(conn, members):
    """ZADD myzset every (score, name) of members, 100 a command."""
    send_all(conn, [["ZADD", "myzset"] + [str(x) for pair in members[k:k + 100] for x in pair]
                    for k in range(0, len(members), 100)])


def prepare_zset(conn, args):
    """myzset holds at least -r members: element:<n> with score n, the names zadd writes."""
    if conn.call("ZCARD", "myzset") < args.keyspace:
        add_members(conn, [(n, "element:%012d" % n) for n in range(args.keyspace)])


def prepare_zpopmin(conn, args):
    """Beside the -r members, one member per request scored below them all, so that every
    ZPOPMIN of the run pops one (and the run leaves the -r members for the next test)."""
    prepare_zset(conn, args)
    add_members(conn, [(-1 - n, "pop:%d" % n) for n in range(args.requests)])


def prepare_bitmap(conn, args):
    """mybitmap is -r bits long (its last bit set), a 0x55 pattern unless setbit wrote it."""
    if conn.call("STRLEN", "mybitmap") < (args.keyspace + 7) // 8:
        send_all(conn, [["SET", "mybitmap", "U" * ((args.keyspace + 7) // 8)],
                        ["SETBIT", "mybitmap", str(args.keyspace - 1), "1"]])


def prepare_group(conn, args):
    """A fresh stream s:group of --requests unread entries and its group g: one run's reads."""
    send_all(conn, [["DEL", "s:group"]] + [["XADD", "s:group", "*", "f", "v"]] * args.requests
             + [["XGROUP", "CREATE", "s:group", "g", "0"]])


def send_all(conn, commands):
    for payload, count in servers.batches(commands, 10000):
        errors = conn.pipeline(payload, count)
        if errors:
            raise servers.ProtocolError("error reply while preparing: %s" % errors[0])


# Run before every run of the test, outside the measured window (no server CPU counted).
PREPARE = {"lrange_100": prepare_list, "lrange_600": prepare_list, "lmove": prepare_list,
           "xrange_10": prepare_stream, "xrange_100": prepare_stream, "xreadgroup": prepare_group,
           "zincrby": prepare_zset, "zscore": prepare_zset, "zrange_100": prepare_zset,
           "zrangebyscore_limit": prepare_zset, "zpopmin": prepare_zpopmin,
           "setbit": prepare_bitmap, "getbit": prepare_bitmap, "bitcount": prepare_bitmap,
           "bitpos": prepare_bitmap}
RESTARTS = []        # notes about servers restarted after dying
COARSE_TICKS = 100   # below this, one tick of /proc accounting is > 1% of the measurement
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class Test:
    def __init__(self, name, bench_args, spec, respite_only=False):
        self.name = name
        self.bench_args = bench_args
        self.spec = spec
        self.respite_only = respite_only
        self.prepare = PREPARE.get(name) if spec == name else None
        self.is_loadgen = spec == name and (name in LOADGEN or name in LOADGEN_COMMANDS)

    def loadgen_args(self, args):
        """loadgen.c's arguments for this test, or None when redis-benchmark runs it: the
        tests only loadgen can run, and with --client loadgen every test that is one
        command (a raw one, or a `-t` test of LOADGEN_EQUIV)."""
        if self.is_loadgen:
            return self.bench_args
        if args.client != "loadgen":
            return None
        argv = self.bench_args
        if argv[0] == "-t":
            argv = LOADGEN_EQUIV.get(self.name if self.spec == self.name else "")
            if argv is None:
                return None
            # DATA: redis-benchmark's -d value, in LOADGEN_EQUIV's commands only (a raw
            # command's words go as written, as redis-benchmark sends them)
            argv = ["x" * args.datasize if w == "DATA" else w for w in argv]
        return ["-t", "command", "--pad", "1", "--"] + argv


def parse_tests(texts, respite_only=False):
    """Parse comma-separated test specs: builtin names or `name=RAW COMMAND`.

    A piece after a comma that is neither a known name nor `name=...` is glued
    back to the previous piece, so a raw command may contain commas."""
    pieces = []
    for text in texts:
        for piece in text.split(","):
            stripped = piece.strip()
            known = (stripped in BUILTIN or stripped in PASSTHROUGH or stripped in LOADGEN
                     or stripped in LOADGEN_COMMANDS)
            custom = "=" in stripped and NAME_RE.match(stripped.split("=", 1)[0].strip())
            if pieces and not known and not custom and stripped:
                pieces[-1] += "," + piece
            elif stripped:
                pieces.append(stripped)
    tests = []
    for p in pieces:
        if "=" in p and NAME_RE.match(p.split("=", 1)[0].strip()):
            name, raw = p.split("=", 1)
            name = name.strip()
            argv = shlex.split(raw)
            if not argv:
                raise SystemExit("bench.py: test %r has an empty command" % name)
            tests.append(Test(name, argv, p, respite_only))
        elif p in BUILTIN:
            tests.append(Test(p, list(BUILTIN[p]), p, respite_only))
        elif p in PASSTHROUGH or p in LOADGEN:
            tests.append(Test(p, ["-t", p], p, respite_only))
        elif p in LOADGEN_COMMANDS:
            tests.append(Test(p, ["-t", "command", "--"] + LOADGEN_COMMANDS[p], p, respite_only))
        else:
            raise SystemExit("bench.py: unknown test %r (known: %s, %s, %s, %s; or name=RAW COMMAND)"
                             % (p, ", ".join(BUILTIN), ", ".join(PASSTHROUGH),
                                ", ".join(sorted(LOADGEN)), ", ".join(LOADGEN_COMMANDS)))
    return tests


def parse_rps(stdout):
    rows = [r for r in csv.reader(io.StringIO(stdout)) if r]
    if rows and rows[0] and rows[0][0] == "test":
        rows = rows[1:]
    if len(rows) != 1:
        raise ValueError("expected one CSV result row from redis-benchmark, got %d" % len(rows))
    return float(rows[0][1])


def run_one(args, server, test, pipeline):
    """One redis-benchmark run against `server`. Returns a result dict (with 'error' on failure)."""
    if not server.alive():
        log("  !! %s is not running (exit status %s); restarting it with an empty dataset\n%s"
            % (server.label, server.proc.returncode, server.log_tail(8)))
        server.stop()
        try:
            server.start()
        except servers.ServerError as e:
            return {"error": "could not restart %s: %s" % (server.label, str(e).splitlines()[0])}
        RESTARTS.append("%s was restarted (empty dataset) after it died, before %s P=%d"
                        % (server.label, test.name, pipeline))
    if test.prepare:
        try:
            with servers.Conn(server.port, timeout=args.timeout) as conn:
                test.prepare(conn, args)
        except (OSError, servers.ProtocolError) as e:
            return {"error": "preparing %s failed: %s" % (test.name, e)}
    cmd = []
    if args.bench_cpu is not None:
        cmd += ["taskset", "-c", str(args.bench_cpu)]
    common = ["-h", servers.HOST, "-p", str(server.port), "-c", str(args.clients),
              "-n", str(args.requests), "-P", str(pipeline), "-r", str(args.keyspace)]
    loadgen = test.loadgen_args(args)
    tool = "loadgen" if loadgen else "redis-benchmark"
    if loadgen:
        cmd += [args.loadgen] + common + ["--timeout", str(args.timeout)] + loadgen
    else:
        cmd += [args.redis_benchmark] + common + ["-d", str(args.datasize), "--csv"]
        cmd += test.bench_args
    split0 = server.cpu_split()
    t0 = time.monotonic()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                             stdin=subprocess.DEVNULL, preexec_fn=servers.child_preexec)
    except subprocess.TimeoutExpired:
        return {"error": "%s timed out after %d s" % (tool, args.timeout)}
    wall = time.monotonic() - t0
    if not server.alive():
        return {"error": "%s exited during the run (status %s)" % (server.label, server.proc.returncode)}
    split1 = server.cpu_split()
    if out.returncode != 0:
        msg = (out.stderr.strip() or out.stdout.strip() or "no output").splitlines()[0]
        return {"error": "%s exit %d: %s" % (tool, out.returncode, msg)}
    try:
        ops = parse_rps(out.stdout)
    except (ValueError, IndexError) as e:
        return {"error": "%s; output: %r" % (e, out.stdout[:200])}
    user, system = split1[0] - split0[0], split1[1] - split0[1]
    per_op = 1e6 / servers.CLK_TCK / args.requests
    return {"ops": ops, "cpu_ticks": user + system, "wall_s": round(wall, 3),
            "cpu_us_per_op": (user + system) * per_op,
            "user_us_per_op": user * per_op, "sys_us_per_op": system * per_op}


def median_or_none(values):
    return statistics.median(values) if values else None


def fmt_ops(v):
    return "—" if v is None else "{:,.0f}".format(v)


def fmt_us(v):
    return "—" if v is None else "%.2f" % v


def table_rows(results, split=False):
    """The table's header, rows and notes; split adds each side's user and system CPU per
    request (its own code against the kernel's work on its behalf) and their ratios."""
    header = ["test", "pipeline", "respite ops/s", "redis ops/s", "ratio",
              "respite µs CPU/op", "redis µs CPU/op", "CPU ratio"]
    if split:
        header += ["respite user/sys µs", "redis user/sys µs", "user ratio", "sys ratio"]
    rows = []
    notes = []
    coarse = False
    for r in results:
        s, d = r["respite"], r["redis"]
        cells = [r["test"], str(r["pipeline"]),
                 fmt_ops(s["median_ops"]), fmt_ops(d["median_ops"]),
                 servers.fmt_ratio(s["median_ops"], d["median_ops"]),
                 fmt_us(s["median_cpu_us"]), fmt_us(d["median_cpu_us"]),
                 servers.fmt_ratio(s["median_cpu_us"], d["median_cpu_us"])]
        for side, col in (("respite", 5), ("redis", 6)):
            ticks = [x["cpu_ticks"] for x in r[side]["runs"] if "error" not in x]
            if ticks and min(ticks) < COARSE_TICKS:
                cells[col] += "*"
                coarse = True
        for side, col in (("respite", 2), ("redis", 3)):
            err = r[side]["error"]
            if err:
                notes.append("%s P=%s %s: %s" % (r["test"], r["pipeline"], side, err))
                if r[side]["median_ops"] is None:
                    cells[col] = "ERR"
        if r["respite_only"]:
            cells[3] = "n/a"
        if split:
            cells += ["%s / %s" % (fmt_us(s["median_user_us"]), fmt_us(s["median_sys_us"])),
                      "%s / %s" % (fmt_us(d["median_user_us"]), fmt_us(d["median_sys_us"])),
                      servers.fmt_ratio(s["median_user_us"], d["median_user_us"]),
                      servers.fmt_ratio(s["median_sys_us"], d["median_sys_us"])]
        rows.append(cells)
    if coarse:
        notes.insert(0, "* CPU/op measured from fewer than %d clock ticks of %d ms in some run: "
                        "coarse (raise --requests for better resolution)."
                     % (COARSE_TICKS, 1000 // servers.CLK_TCK))
    return header, rows, notes


def main():
    ap = servers.arg_parser(__doc__, "See benchmarks/README.md.")
    ap.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "redis-benchmark",
                    help="path of redis-benchmark (default: from PATH)")
    ap.add_argument("--rounds", type=int, default=3, help="runs per side per test and depth (default 3)")
    ap.add_argument("--requests", type=int, default=200000, help="redis-benchmark -n (default 200000)")
    ap.add_argument("--clients", type=int, default=50, help="redis-benchmark -c (default 50)")
    ap.add_argument("--pipeline", default="1,16", help="comma-separated -P depths (default 1,16)")
    ap.add_argument("--tests", action="append", default=None,
                    help="comma-separated tests: %s, any of %s, %s, %s (run by loadgen.c), "
                         "or name=RAW COMMAND (default %s; may be repeated)"
                         % (", ".join(BUILTIN), ", ".join(PASSTHROUGH), ", ".join(sorted(LOADGEN)),
                            ", ".join(LOADGEN_COMMANDS), DEFAULT_TESTS))
    ap.add_argument("--extra-respite-only", action="append", default=[], metavar="TESTS",
                    help="more tests, same syntax, run against respite only")
    ap.add_argument("--keyspace", type=int, default=100000, help="redis-benchmark -r (default 100000)")
    ap.add_argument("--datasize", type=int, default=3, help="redis-benchmark -d (default 3)")
    ap.add_argument("--taskset", nargs="?", const="0,1", default=None, metavar="SERVER_CPU,BENCH_CPU",
                    help="pin both servers to one CPU and redis-benchmark to another "
                         "(default when given: 0,1)")
    ap.add_argument("--redis-args", default=servers.DEFAULT_SERVER_ARGS,
                    help="extra redis-server flags (default: %(default)s)")
    ap.add_argument("--respite-args", default=servers.DEFAULT_SERVER_ARGS,
                    help="extra respite-server flags (default: %(default)s)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"),
                    help="C compiler that builds loadgen.c for the multi, xreadgroup and bitmap tests "
                         "(default: $CC or cc)")
    ap.add_argument("--timeout", type=int, default=300,
                    help="seconds allowed per redis-benchmark or loadgen run")
    ap.add_argument("--client", choices=["redis-benchmark", "loadgen"], default="redis-benchmark",
                    help="the load of the tests that are one command: redis-benchmark (default), "
                         "or loadgen.c, which spends less of its core a request, so that a fast "
                         "server is measured nearer its own limit (the other tests keep theirs)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table for a README")
    ap.add_argument("--split", action="store_true",
                    help="also report user and system CPU per request apart (the kernel's share)")
    ap.add_argument("--json", metavar="FILE", help="also write every run's raw numbers to FILE")
    args = ap.parse_args()

    servers.check_binaries(ap, args)
    if not shutil.which(args.redis_benchmark):
        ap.error("redis-benchmark not found; give --redis-benchmark")
    if args.rounds < 1 or args.requests < 1 or args.clients < 1:
        ap.error("--rounds, --requests and --clients must be positive")
    try:
        pipelines = [int(x) for x in args.pipeline.split(",") if x.strip()]
    except ValueError:
        ap.error("--pipeline takes comma-separated integers")
    if not pipelines or min(pipelines) < 1:
        ap.error("--pipeline needs depths >= 1")
    server_cpu = args.bench_cpu = None
    if args.taskset is not None:
        if not shutil.which("taskset"):
            ap.error("--taskset needs taskset (util-linux)")
        try:
            server_cpu, args.bench_cpu = [int(x) for x in args.taskset.split(",")]
        except ValueError:
            ap.error("--taskset takes SERVER_CPU,BENCH_CPU, e.g. 0,1")
    tests = parse_tests(args.tests or [DEFAULT_TESTS])
    tests += parse_tests(args.extra_respite_only, respite_only=True)
    names = [t.name for t in tests]
    if len(set(names)) != len(names):
        ap.error("test names must be unique: %s" % ", ".join(names))

    redis_version, redis_short, respite_rev, started, command_line = servers.run_info(args)

    servers.install_cleanup()
    workdir = tempfile.mkdtemp(prefix="respite-bench-")
    try:
        if any(t.loadgen_args(args) for t in tests):
            args.loadgen = servers.build_loadgen(args.cc, workdir)
        sides = {
            "respite": servers.Server("respite", args.respite, servers.split_args(args.respite_args),
                                      workdir, server_cpu),
            "redis": servers.Server("redis", args.redis, servers.split_args(args.redis_args),
                                    workdir, server_cpu),
        }
        for s in sides.values():
            s.start()
            log("started %s (pid %d, port %d): %s" % (s.label, s.pid, s.port, shlex.join(s.command())))

        results = []
        total_runs = sum(len(pipelines) * args.rounds * (1 if t.respite_only else 2) for t in tests)
        done = 0
        for test in tests:
            for pipeline in pipelines:
                order = ["respite"] if test.respite_only else ["respite", "redis"]
                runs = {k: [] for k in order}
                errors = {k: None for k in order}
                for rnd in range(args.rounds):
                    for side in (order if rnd % 2 == 0 else order[::-1]):
                        done += 1
                        if errors[side]:
                            continue   # it failed once: don't spend the time again
                        res = run_one(args, sides[side], test, pipeline)
                        res["round"] = rnd + 1
                        runs[side].append(res)
                        if "error" in res:
                            errors[side] = res["error"]
                            log("[%d/%d] %s P=%d round %d %s: ERROR %s"
                                % (done, total_runs, test.name, pipeline, rnd + 1, side, res["error"]))
                        else:
                            log("[%d/%d] %s P=%d round %d %-7s %12s ops/s  %6.2f µs CPU/op (%d ticks, %.1f s)"
                                % (done, total_runs, test.name, pipeline, rnd + 1, side,
                                   fmt_ops(res["ops"]), res["cpu_us_per_op"], res["cpu_ticks"],
                                   res["wall_s"]))
                row = {"test": test.name, "spec": test.spec, "pipeline": pipeline,
                       "respite_only": test.respite_only}
                for side in ("respite", "redis"):
                    good = [r for r in runs.get(side, []) if "error" not in r]
                    row[side] = {
                        "median_ops": median_or_none([r["ops"] for r in good]),
                        "median_cpu_us": median_or_none([r["cpu_us_per_op"] for r in good]),
                        "median_user_us": median_or_none([r["user_us_per_op"] for r in good]),
                        "median_sys_us": median_or_none([r["sys_us_per_op"] for r in good]),
                        "runs": runs.get(side, []),
                        "error": errors.get(side),
                    }
                results.append(row)
    finally:
        for s in list(servers._live):
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    load = "loadgen.c where it can" if args.client == "loadgen" else "redis-benchmark"
    pin = ("servers pinned to CPU %d, the load (%s) to CPU %d" % (server_cpu, load, args.bench_cpu)
           if server_cpu is not None else "not pinned, the load from %s" % load)
    header_lines = [
        "respite%s vs %s, %s." % (" " + respite_rev if respite_rev else "", redis_short,
                                  started.strftime("%Y-%m-%d %H:%M UTC")),
        "Median of %d round%s, %d requests, %d clients, -r %d, -d %d, %s; %s." % (
            args.rounds, "" if args.rounds == 1 else "s", args.requests, args.clients,
            args.keyspace, args.datasize, pin, servers.machine_summary()),
        "Command: `%s`" % command_line,
    ]
    header, rows, notes = table_rows(results, args.split)
    notes += RESTARTS
    servers.print_table(header_lines, header, rows, notes, args.markdown,
                        "ratio = respite/redis ops/s (higher is better for respite); "
                        "CPU ratio = respite/redis server CPU per request "
                        "(lower is better for respite).")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": started.isoformat(), "command": command_line,
                       "redis_version": redis_version, "respite_rev": respite_rev,
                       "machine": servers.machine_summary(), "clk_tck": servers.CLK_TCK,
                       "rounds": args.rounds, "requests": args.requests, "clients": args.clients,
                       "keyspace": args.keyspace, "datasize": args.datasize, "pinning": pin,
                       "results": results}, f, indent=1, ensure_ascii=False)
        log("wrote %s" % args.json)
    failed = any(r[s]["error"] for r in results for s in ("respite", "redis"))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except servers.ServerError as e:
        log("bench.py: %s" % e)
        sys.exit(2)
