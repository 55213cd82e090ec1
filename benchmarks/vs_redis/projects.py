#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Projects at scale: what the number of projects costs respite-server, beside redis-server (issue 11).

Shapes (--shapes): the same kind of key, `SET project:<p>:k<j> <20 bytes>`, spread over
few or many projects: 1 x 1,000,000, 100 x 10,000, 10,000 x 100 and 1,000,000 x 1
(projects x keys per project). For each shape, each round and each server (rounds
alternate which server goes first): start a fresh server, read its RSS, load the shape,
read its RSS again (as memory.py does), time DBSIZE, INFO, INFO keyspace and RANDOMKEY
(median of --calls calls), read the server's CPU time over --idle seconds with no client
at all, then PING it about every millisecond for --ping-seconds more. The table gives the
median over the rounds of each figure and the ratio respite/redis.

Churn (--churn CYCLES): both servers up side by side; in every cycle each creates
--churn-projects new projects of one key each and deletes them again; the table gives
each server's RSS at the start, full (cycle 1) and after every cycle.

Examples:
  benchmarks/vs_redis/projects.py --respite build/respite-server
  benchmarks/vs_redis/projects.py --respite build/respite-server --scale 0.01 --idle 2 --churn 2
  benchmarks/vs_redis/projects.py --respite build/respite-server --shapes 100000x10 --churn 0

A benchmark, not a test: nothing here passes or fails. Loopback only, bounded in time
(every batch has --timeout, every window its length) and bytes (the shapes above and the
churn); only the servers started here are stopped, by PID. See benchmarks/README.md.
"""

import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memory  # noqa: E402
import servers  # noqa: E402
from servers import log  # noqa: E402

DEFAULT_SHAPES = "1x1000000,100x10000,10000x100,1000000x1"
SIDES = ("respite", "redis")

# Commands whose cost the issue wants independent of the number of projects.
LATENCY = [("DBSIZE ms", ["DBSIZE"]), ("INFO ms", ["INFO"]),
           ("INFO keyspace ms", ["INFO", "keyspace"]), ("RANDOMKEY ms", ["RANDOMKEY"])]


def parse_shapes(text):
    """[(projects, keys per project)] from "1x1000000,100x10000"; [] for "" or "none"."""
    if text.strip() in ("", "none"):
        return []
    shapes = []
    for piece in text.split(","):
        p, _, k = piece.strip().lower().partition("x")
        if not (p.isdigit() and k.isdigit() and int(p) > 0 and int(k) > 0):
            raise ValueError("a shape is PROJECTSxKEYS with two positive integers, not %r" % piece)
        shapes.append((int(p), int(k)))
    return shapes


def scaled(shape, scale):
    """The shape with scale times its keys: both numbers multiplied by sqrt(scale), so that
    100 x 10,000 and 10,000 x 100 stay distinct, or only the larger one when the smaller
    would fall below 1 (1,000,000 x 1 at 0.01 is 10,000 x 1)."""
    p, k = shape
    total = max(1, round(p * k * scale))
    if p * scale ** 0.5 < 1:
        return 1, total
    if k * scale ** 0.5 < 1:
        return total, 1
    return round(p * scale ** 0.5), round(k * scale ** 0.5)


def value(n):
    """20 bytes, distinct per key, not an integer (neither server may store it as one)."""
    return b"v%019d" % n


def shape_plan(projects, keys):
    def commands():
        n = 0
        for p in range(projects):
            for j in range(keys):
                yield (b"SET", b"project:%d:k%d" % (p, j), value(n))
                n += 1
    return memory.Plan(projects * keys, commands())


def measure_shape(label, path, extra, shape, args, workdir):
    """Every figure of one shape on a fresh server: a dict, with "error" if a step failed
    (the figures measured before it stay)."""
    out = {}
    srv = servers.Server(label, path, extra, workdir).start()
    try:
        memory.fill(srv, shape_plan(*shape), args, out)
        out["rss_mib"] = memory.mib(out["rss_kib"])
        out["bytes_per_key"] = (out["rss_kib"] - out["baseline_kib"]) * 1024 / (shape[0] * shape[1])
        with servers.Conn(srv.port, timeout=args.timeout) as conn:
            for name, cmd in LATENCY:
                out[name] = statistics.median(servers.timed(conn, *cmd)[0] for _ in range(args.calls))
        # No connection at all in this window: the CPU is the server's timers alone.
        ticks = srv.cpu_ticks()
        time.sleep(args.idle)
        out["idle_cpu_s"] = (srv.cpu_ticks() - ticks) / servers.CLK_TCK
        probe = servers.Probe(srv.port)
        time.sleep(args.ping_seconds)
        out.update(probe.stop())
        out["ping_p50_ms"] = servers.percentile(probe.lat, 50)
        out["pings"] = len(probe.lat)
        log("  %-7s %d x %d: %.1f MiB, %.0f B/key, DBSIZE %.2f ms, INFO %.2f ms, RANDOMKEY %.2f ms, "
            "idle CPU %.2f s, PING p99 %.2f ms" % (
                label, shape[0], shape[1], out["rss_mib"], out["bytes_per_key"], out["DBSIZE ms"],
                out["INFO ms"], out["RANDOMKEY ms"], out["idle_cpu_s"], out["ping_p99_ms"] or 0))
    except (RuntimeError, OSError, servers.ProtocolError, servers.ServerError) as e:
        log("  %s: ERROR %s" % (label, e))
        out["error"] = str(e)
    finally:
        srv.stop()
    return out


def churn_commands(verb, first, count):
    for p in range(first, first + count):
        yield (verb, b"project:%d:k" % p) + ((value(p),) if verb == b"SET" else ())


def run_churn(args, paths, workdir):
    """Both servers up at once; each cycle creates and deletes new projects on one, then on
    the other (alternating which goes first). Returns {side: {...}} with RSS in KiB."""
    n = max(1, round(args.churn_projects * args.scale))
    srvs = {side: servers.Server(side, paths[side][0], paths[side][1], workdir).start()
            for side in SIDES}
    time.sleep(args.baseline_settle)
    res = {side: {"projects": n, "start_kib": srvs[side].rss_kib(), "after_kib": []} for side in SIDES}
    try:
        for cycle in range(args.churn):
            for side in (SIDES if cycle % 2 == 0 else SIDES[::-1]):
                srv, r = srvs[side], res[side]
                if "error" in r:
                    continue
                first = cycle * n       # new project ids every cycle, as a hosted service sees them
                try:
                    _, t_set, full = memory.load(srv, memory.Plan(n, churn_commands(b"SET", first, n)),
                                                 args.batch, args.timeout)
                    if cycle == 0:
                        r["full_kib"] = srv.rss_kib()
                    _, t_del, left = memory.load(srv, memory.Plan(0, churn_commands(b"DEL", first, n)),
                                                 args.batch, args.timeout)
                    if (full, left) != (n, 0):
                        raise RuntimeError("DBSIZE %r after the creation, %r after the deletion" % (full, left))
                    time.sleep(args.settle)
                    r["after_kib"].append(srv.rss_kib())
                    log("  churn %d %-7s created %d projects in %.1f s, deleted them in %.1f s; "
                        "RSS %.1f MiB" % (cycle + 1, side, n, t_set, t_del, memory.mib(r["after_kib"][-1])))
                except (RuntimeError, OSError, servers.ProtocolError) as e:
                    log("  churn %d %s: ERROR %s" % (cycle + 1, side, e))
                    r["error"] = "cycle %d: %s" % (cycle + 1, e)
    finally:
        for srv in srvs.values():
            srv.stop()
    return res


def fmt(v):
    if v is None:
        return "ERR"
    return "%.3g" % v if abs(v) < 100 else "{:,.0f}".format(v)


FIGURES = [("RSS MiB", "rss_mib"), ("bytes/key", "bytes_per_key")] + [(n, n) for n, _ in LATENCY] + [
    ("idle CPU s", "idle_cpu_s"), ("PING p50 ms", "ping_p50_ms"), ("PING p99 ms", "ping_p99_ms"),
    ("PING max ms", "ping_max_ms")]


def shape_rows(results, args):
    rows, notes = [], []
    for r in results:
        name = "{:,} x {:,}".format(*r["shape"])
        for side in SIDES:
            notes += ["%s, %s: %s" % (name, side, e) for e in r[side]["errors"]]
        for title, key in FIGURES:
            med = {}
            for side in SIDES:
                vals = [run[key] for run in r[side]["runs"] if run.get(key) is not None]
                med[side] = statistics.median(vals) if vals else None
            if key == "idle_cpu_s":
                title = "idle CPU s over %g s" % args.idle
            rows.append([name, title, fmt(med["respite"]), fmt(med["redis"]),
                         servers.fmt_ratio(med["respite"], med["redis"])])
    return rows, notes


def churn_rows(res):
    rows = []
    labels = [("empty server", lambda r: r["start_kib"]),
              ("full (cycle 1)", lambda r: r.get("full_kib"))]
    cycles = max(len(r["after_kib"]) for r in res.values())
    labels += [("after cycle %d" % (c + 1), lambda r, c=c: r["after_kib"][c] if c < len(r["after_kib"]) else None)
               for c in range(cycles)]
    for title, get in labels:
        s, d = get(res["respite"]), get(res["redis"])
        rows.append([title, "—" if s is None else "%.1f" % memory.mib(s),
                     "—" if d is None else "%.1f" % memory.mib(d), servers.fmt_ratio(s, d)])
    return rows, ["churn, %s: %s" % (side, res[side]["error"]) for side in SIDES if "error" in res[side]]


def main():
    ap = servers.arg_parser(__doc__, "See benchmarks/README.md.")
    ap.add_argument("--shapes", default=DEFAULT_SHAPES,
                    help="comma-separated PROJECTSxKEYS (default %(default)s; '' or none: no shapes)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the keys of every shape (both numbers by its square root, or the "
                         "larger one alone when the other is 1) and --churn-projects by this "
                         "(default 1; e.g. 0.01 for a quick check)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="fresh servers per shape and side, interleaved; medians (default 3)")
    ap.add_argument("--calls", type=int, default=5,
                    help="calls of DBSIZE, INFO, INFO keyspace, RANDOMKEY each; median (default 5)")
    ap.add_argument("--idle", type=float, default=10.0,
                    help="seconds of idle server CPU, no client connected (default 10)")
    ap.add_argument("--ping-seconds", type=float, default=5.0,
                    help="seconds of PING about every ms after the idle window (default 5)")
    ap.add_argument("--churn", type=int, default=5, metavar="CYCLES",
                    help="churn cycles after the shapes (default 5; 0: no churn)")
    ap.add_argument("--churn-projects", type=int, default=1_000_000,
                    help="projects of one key created and deleted per cycle (default 1000000)")
    memory.add_load_options(ap)
    args = ap.parse_args()
    servers.check_binaries(ap, args)
    try:
        shapes = [scaled(s, args.scale) for s in parse_shapes(args.shapes)]
    except ValueError as e:
        ap.error(str(e))
    if args.scale <= 0 or args.batch < 1 or args.rounds < 1 or args.calls < 1 or args.churn < 0:
        ap.error("--scale, --batch, --rounds and --calls must be positive, --churn not negative")
    if not shapes and not args.churn:
        ap.error("nothing to do: no shapes and --churn 0")
    redis_version, redis_short, respite_rev, started, command_line = servers.run_info(args)
    paths = {"respite": (args.respite, servers.split_args(args.respite_args)),
             "redis": (args.redis, servers.split_args(args.redis_args))}

    servers.install_cleanup()
    results, churn = [], None
    with tempfile.TemporaryDirectory(prefix="respite-projects-") as workdir:
        for shape in shapes:
            r = {"shape": shape, **{side: {"runs": [], "errors": []} for side in SIDES}}
            for rnd in range(args.rounds):
                for side in (SIDES if rnd % 2 == 0 else SIDES[::-1]):
                    log("%d x %d, round %d: %s" % (shape[0], shape[1], rnd + 1, side))
                    run = measure_shape(side, *paths[side], shape, args, workdir)
                    r[side]["runs"].append(run)
                    if "error" in run:
                        r[side]["errors"].append(run["error"])
            results.append(r)
        if args.churn:
            log("churn: %d cycles" % args.churn)
            churn = run_churn(args, paths, workdir)

    head = "respite%s vs %s, %s; %s." % (" " + respite_rev if respite_rev else "", redis_short,
                                         started.strftime("%Y-%m-%d %H:%M UTC"), servers.machine_summary())
    ratio_note = "ratio = respite/redis (lower is better for respite)."
    status = 0
    if results:
        rows, notes = shape_rows(results, args)
        servers.print_table([
            head,
            "`SET project:<p>:k<j> <20 bytes>` for projects x keys; median of %d interleaved round%s, "
            "a fresh server each. RSS: whole process; bytes/key: RSS growth / keys; latency: median "
            "of %d calls; idle CPU with no client; PING every ms for %g s after it."
            % (args.rounds, "" if args.rounds == 1 else "s", args.calls, args.ping_seconds),
            "Command: `%s`" % command_line], ["shape (projects x keys)", "figure", "respite", "redis",
                                             "ratio"], rows, notes, args.markdown, ratio_note)
        status |= bool(notes)
    if churn:
        if results:
            print()
        rows, notes = churn_rows(churn)
        servers.print_table([
            head,
            "Churn: each cycle creates {:,} new projects of one key (`SET project:<p>:k <20 bytes>`) "
            "and deletes them; RSS MiB {:g} s after the deletion.".format(churn["respite"]["projects"],
                                                                            args.settle),
            "Command: `%s`" % command_line], ["RSS MiB", "respite", "redis", "ratio"], rows, notes,
            args.markdown, ratio_note)
        status |= bool(notes)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": started.isoformat(), "command": command_line,
                       "redis_version": redis_version, "respite_rev": respite_rev,
                       "machine": servers.machine_summary(), "shapes": results, "churn": churn},
                      f, indent=1)
        log("wrote %s" % args.json)
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except servers.ServerError as e:
        log("projects.py: %s" % e)
        sys.exit(2)
