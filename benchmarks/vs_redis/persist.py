#!/usr/bin/python3
"""Snapshots: BGSAVE and BGREWRITEAOF time, load time at start, file size and the longest
command latency of another client during BGSAVE, CONFIG SET appendonly yes and
BGREWRITEAOF, respite-server vs redis-server on the same data.

Both servers are started (--save '', each in a directory of its own) and filled with the
same dataset, then, for --rounds rounds, each in turn (the order alternating between
rounds): BGSAVE while a Probe connection PINGs about every millisecond, timed from the
BGSAVE reply until INFO says rdb_bgsave_in_progress:0 (polled every 5 ms; both servers
notice their child's end from a timer at hz 10, so both figures include up to ~100 ms of
that); the longest PING round trip meanwhile is the latency figure. Then appendonly is
turned on in both (CONFIG SET, once, with the same probe until its first base is in) and
the same is done with BGREWRITEAOF (aof_rewrite_in_progress; the base is an RDB preamble,
as both default to). Then, for --rounds rounds, each server's dump.rdb is loaded by a new process of the same binary and the
load time is the one it logs ("DB loaded from disk: <s> seconds", which both print).
Medians of the rounds are reported, with respite/redis ratios.

The dataset "dashboard" is the schema of shared/seeds: per project <p> of 100,000, eleven
keys -- a stream project:<p>:parameter_changes (3 entries of user_id, parameter_name,
old_value, new_value, timestamp), hashes
project:<p>:connections (5 fields), :active_sessions (5), :calc_cache (10 JSON values of
~100 bytes, EX 3600), :ai_context (3 of ~200 bytes, EX 1800), rate_limit:<p> (3, EX 600);
a set project:<p>:active_users (5 members); lists project:<p>:notifications:u1 (5
items), :undo:s1 (5), :redo:s1 (2); a string session:<p>:state (~150 bytes of JSON,
EX 3600): 1,100,000 keys in all. The dataset "strings" is memory.py's: 1,000,000 keys
key:<n> of 100-byte values, every other one with EX 3600.

Examples:
  benchmarks/vs_redis/persist.py --respite build/respite-server --redis /path/to/redis-server
  benchmarks/vs_redis/persist.py --respite build/respite-server --scale 0.1 --rounds 1

A benchmark, not a test: nothing here is run by ctest.
"""

import os
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from servers import log  # noqa: E402


def dashboard(nproj, streams=True):
    """The commands of the dashboard dataset for nproj projects (11 keys each; 10 without
    the stream, as before 3613ddf)."""
    def json(n, seed):
        body = b'{"id":%d,"v":"' % seed
        return body + b"x" * max(0, n - len(body) - 2) + b'"}'
    for p in range(nproj):
        pk = b"project:%d:" % p
        yield [b"HSET", pk + b"connections"] + sum(
            ([b"user:%d" % u, b"sock-%08x" % (p * 5 + u)] for u in range(5)), [])
        yield [b"HSET", pk + b"active_sessions"] + sum(
            ([b"sess:%d" % s, b"%d" % (1_700_000_000 + p + s)] for s in range(5)), [])
        yield [b"HSET", pk + b"calc_cache"] + sum(
            ([b"param:%08x" % (p * 10 + f), json(100, f)] for f in range(10)), [])
        yield [b"EXPIRE", pk + b"calc_cache", b"3600"]
        yield [b"HSET", pk + b"ai_context"] + sum(
            ([b"user:%d" % u, json(200, u)] for u in range(3)), [])
        yield [b"EXPIRE", pk + b"ai_context", b"1800"]
        yield [b"HSET", b"rate_limit:%d" % p, b"/api/calc", b"%d" % (p % 50),
               b"/api/save", b"3", b"/api/ai", b"%d" % (p % 7)]
        yield [b"EXPIRE", b"rate_limit:%d" % p, b"600"]
        yield [b"SADD", pk + b"active_users"] + [b"user:%d" % u for u in range(5)]
        yield [b"RPUSH", pk + b"notifications:u1"] + [json(80, i) for i in range(5)]
        yield [b"RPUSH", pk + b"undo:s1"] + [json(60, i) for i in range(5)]
        yield [b"RPUSH", pk + b"redo:s1"] + [json(60, i) for i in range(2)]
        yield [b"SET", b"session:%d:state" % p, json(150, p), b"EX", b"3600"]
        for e in range(3 if streams else 0):
            yield [b"XADD", pk + b"parameter_changes", b"*", b"user_id", b"user:%d" % e,
                   b"parameter_name", b"param:%08x" % (p * 3 + e), b"old_value", b"%d" % e,
                   b"new_value", b"%d" % (e + 1), b"timestamp", b"%d" % (1_700_000_000 + p)]


def strings(n):
    """memory.py's strings dataset, n keys."""
    tail = b"s" * 90
    for i in range(n):
        value = (b"%010d" % i) + tail
        yield [b"SET", b"key:%d" % i, value] + ([b"EX", b"3600"] if i % 2 == 0 else [])


DATASETS = {"dashboard": lambda scale: dashboard(max(1, int(100_000 * scale))),
            "strings": lambda scale: strings(max(1, int(1_000_000 * scale)))}


def info_field(conn, name):
    text = bytes(conn.call("INFO", "persistence")).decode()
    m = re.search(r"^%s:(\S+)" % re.escape(name), text, re.M)
    return m.group(1) if m else None


def background(srv, command, started, running, status):
    """One background job on srv with a PING probe: command (a tuple of its words) must
    reply `started`; (seconds from then until every INFO field of `running` is 0, max PING
    ms, p99 ms); raises unless INFO's `status` field then says ok."""
    with servers.Conn(srv.port, timeout=120) as c:
        probe = servers.Probe(srv.port)
        time.sleep(0.2)
        t0 = time.monotonic()
        reply = c.call(*command)
        if reply != started:
            probe.stop()
            raise RuntimeError("%s: %s replied %r" % (srv.label, " ".join(command), reply))
        while any(info_field(c, field) != "0" for field in running):
            time.sleep(0.005)
        secs = time.monotonic() - t0
        time.sleep(0.2)
        lat = probe.stop()
        if info_field(c, status) != "ok":
            raise RuntimeError("%s: %s %s" % (srv.label, status, info_field(c, status)))
    return secs, lat["ping_max_ms"], lat["ping_p99_ms"]


JOBS = {"bgsave": (("BGSAVE",), "Background saving started", ("rdb_bgsave_in_progress",),
                   "rdb_last_bgsave_status"),
        "aofrw": (("BGREWRITEAOF",), "Background append only file rewriting started",
                  ("aof_rewrite_in_progress",), "aof_last_bgrewrite_status")}
# CONFIG SET appendonly yes, until its first base is in (a rewrite, or one scheduled).
AOF_ON = (("CONFIG", "SET", "appendonly", "yes"), "OK",
          ("aof_rewrite_in_progress", "aof_rewrite_scheduled"), "aof_last_bgrewrite_status")


def load_time(label, path, extra, data_dir, workdir):
    """Start a server on data_dir's dump.rdb; the load seconds it logs, and its key count."""
    srv = servers.Server(label + "-load", path, extra + ["--dir", data_dir], workdir)
    srv.start(ready_timeout=300)
    try:
        with servers.Conn(srv.port, timeout=60) as c:
            keys = c.call("DBSIZE")
        with open(srv.log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        m = re.search(r"DB loaded from disk: ([0-9.]+) seconds", text)
        if not m:
            raise RuntimeError("%s logged no load time:\n%s" % (label, srv.log_tail()))
        return float(m.group(1)), keys
    finally:
        srv.stop()


def median(xs):
    return statistics.median(xs) if xs else None


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--dataset", default="dashboard", choices=sorted(DATASETS))
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the dataset's size (default 1.0: 100,000 projects, or "
                         "1,000,000 strings)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each measure (default 3)")
    ap.add_argument("--batch", type=int, default=10000, help="commands per pipelined write")
    ap.add_argument("--redis-args", default=servers.DEFAULT_SERVER_ARGS)
    ap.add_argument("--respite-args", default=servers.DEFAULT_SERVER_ARGS)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    servers.check_binaries(ap, args)
    redis_version, redis_short, respite_rev, started, command_line = servers.run_info(args)

    servers.install_cleanup()
    workdir = tempfile.mkdtemp(prefix="respite-persist-")
    sides = {}
    try:
        for label, path, extra in (("respite", args.respite, args.respite_args),
                                   ("redis", args.redis, args.redis_args)):
            d = os.path.join(workdir, label + "-data")
            os.mkdir(d)
            extra = servers.split_args(extra)
            srv = servers.Server(label, path, extra + ["--dir", d], workdir)
            srv.start()
            t0 = time.monotonic()
            with servers.Conn(srv.port, timeout=120) as c:
                for payload, count in servers.batches(DATASETS[args.dataset](args.scale), args.batch):
                    errors = c.pipeline(payload, count)
                    if errors:
                        raise RuntimeError("%s: %s" % (label, errors[0]))
                keys = c.call("DBSIZE")
            log("%-7s filled: %d keys in %.1f s, RSS %.0f MiB" % (
                label, keys, time.monotonic() - t0, srv.rss_kib() / 1024))
            sides[label] = {"srv": srv, "path": path, "extra": extra, "dir": d, "keys": keys,
                            "load": []}
        order = ["respite", "redis"]
        for job, (command, reply, running, status) in JOBS.items():
            if job == "aofrw":
                for label in order:
                    secs, mx, p99 = background(sides[label]["srv"], *AOF_ON)
                    s = sides[label]
                    s["aofon"], s["aofon_max"], s["aofon_p99"] = [secs], [mx], [p99]
                    log("  %-7s CONFIG SET appendonly yes %.2f s, PING max %.1f ms p99 %.1f ms"
                        % (label, secs, mx, p99))
            for r in range(args.rounds):
                for label in (order if r % 2 == 0 else order[::-1]):
                    s = sides[label]
                    secs, mx, p99 = background(s["srv"], command, reply, running, status)
                    for key, v in ((job, secs), (job + "_max", mx), (job + "_p99", p99)):
                        s.setdefault(key, []).append(v)
                    log("  round %d %-7s %s %.2f s, PING max %.1f ms p99 %.1f ms"
                        % (r + 1, label, command, secs, mx, p99))
        for label in order:
            s = sides[label]
            s["size"] = os.path.getsize(os.path.join(s["dir"], "dump.rdb"))
            s["srv"].stop()
        for r in range(args.rounds):
            for label in (order if r % 2 == 0 else order[::-1]):
                s = sides[label]
                secs, keys = load_time(label, s["path"], s["extra"], s["dir"], workdir)
                if keys != s["keys"]:
                    raise RuntimeError("%s loaded %d keys of %d" % (label, keys, s["keys"]))
                s["load"].append(secs)
                log("  round %d %-7s load %.3f s" % (r + 1, label, secs))
    finally:
        for srv in list(servers._live):
            srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    a, b = sides["respite"], sides["redis"]
    rows = []
    for name, key, fmt in (("BGSAVE, s (until INFO shows it done)", "bgsave", "%.2f"),
                           ("longest PING during BGSAVE, ms", "bgsave_max", "%.1f"),
                           ("p99 PING during BGSAVE, ms", "bgsave_p99", "%.1f"),
                           ("CONFIG SET appendonly yes, s (until the base is in)", "aofon",
                            "%.2f"),
                           ("longest PING during it, ms", "aofon_max", "%.1f"),
                           ("BGREWRITEAOF, s (RDB preamble)", "aofrw", "%.2f"),
                           ("longest PING during BGREWRITEAOF, ms", "aofrw_max", "%.1f"),
                           ("p99 PING during BGREWRITEAOF, ms", "aofrw_p99", "%.1f"),
                           ("load at start, s (as logged)", "load", "%.3f")):
        x, y = median(a[key]), median(b[key])
        rows.append([name, fmt % x, fmt % y, servers.fmt_ratio(x, y)])
    rows.append(["RDB file, MB", "%.1f" % (a["size"] / 1e6), "%.1f" % (b["size"] / 1e6),
                 servers.fmt_ratio(a["size"], b["size"])])
    header_lines = [
        "respite%s vs %s, %s; %s." % (" " + respite_rev if respite_rev else "", redis_short,
                                      started.strftime("%Y-%m-%d %H:%M UTC"),
                                      servers.machine_summary()),
        "Dataset %s, %d keys; medians of %d rounds, interleaved." % (args.dataset, a["keys"],
                                                                    args.rounds),
        "Command: %s" % command_line,
    ]
    servers.print_table(header_lines, ["measure", "respite", "redis", "ratio"], rows, [],
                        args.markdown)


if __name__ == "__main__":
    main()
