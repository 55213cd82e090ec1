#!/usr/bin/python3
"""Memory footprint: RSS of respite-server vs redis-server holding the same data.

For each dataset and each server, one at a time: start a fresh server on a free
port of 127.0.0.1, read its baseline RSS, load the dataset over a raw socket in
big pipelined batches, close the connection, wait for the load to settle, read
VmRSS from /proc/<pid>/status twice (--settle seconds apart) and keep the later
reading, then stop the server. Nothing is subtracted: the figure is the whole
process RSS, baseline included.

Examples:
  benchmarks/vs_redis/memory.py --respite build/respite-server
  benchmarks/vs_redis/memory.py --respite build/respite-server --dataset strings --markdown

A benchmark, not a test: nothing here is run by ctest. See benchmarks/README.md.

Adding a dataset: write a function decorated with @dataset("name", "description")
that takes `scale` (1.0 = full size) and returns Plan(keys, commands), where
`commands` is an iterable of commands (each a list/tuple of bytes or str) and
`keys` is the number of keys the server should hold afterwards (checked with
DBSIZE when the server has it). See dataset_strings below.
"""

import json
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from servers import log  # noqa: E402


class Plan:
    def __init__(self, keys, commands):
        self.keys = keys
        self.commands = commands


DATASETS = {}


def dataset(name, description):
    def register(fn):
        DATASETS[name] = (fn, description)
        return fn
    return register


def _filler(length, seed):
    """Fixed pseudo-random printable bytes, the same on every run."""
    rnd = random.Random(seed)
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return bytes(rnd.choice(alphabet) for _ in range(length))


@dataset("strings", "1,000,000 keys key:<n> with 100-byte values; even n with SET ... EX 3600, odd n plain SET")
def dataset_strings(scale):
    n = max(1, int(1_000_000 * scale))
    tail = _filler(90, "strings")

    def commands():
        for i in range(n):
            key = b"key:%d" % i
            value = (b"%010d" % i) + tail               # 100 bytes, distinct per key
            if i % 2 == 0:
                yield (b"SET", key, value, b"EX", b"3600")
            else:
                yield (b"SET", key, value)
    return Plan(n, commands())


@dataset("projects", "1,000 projects, each a calc_cache hash of 50 fields with 200-byte values "
                     "and an active_users set of 20 members (issue 3's dashboard load)")
def dataset_projects(scale):
    n = max(1, int(1_000 * scale))
    tail = _filler(190, "projects")

    def commands():
        for p in range(n):
            cache = b"project:%d:calc_cache" % p
            for f in range(50):
                yield (b"HSET", cache, b"param:%08x" % (p * 50 + f), (b"%010d" % f) + tail)
            users = b"project:%d:active_users" % p
            yield (b"SADD", users) + tuple(b"user:%d" % (p * 20 + u) for u in range(20))
    return Plan(2 * n, commands())


@dataset("streams", "1,000 project streams of 1,000 parameter changes each "
                    "{user_id, parameter_name, old_value, new_value, timestamp} (issue 5's load)")
def dataset_streams(scale):
    n = max(1, int(1_000 * scale))
    base = 1_700_000_000_000

    def commands():
        for p in range(n):
            key = b"project:{%d}:parameter_changes" % p
            for i in range(1000):
                ms = base + i * 1500 + p
                yield (b"XADD", key, b"%d-0" % ms,
                       b"user_id", b"user:%d" % ((p * 7 + i) % 40),
                       b"parameter_name", b"param:%04x" % ((p * 31 + i * 17) % 500),
                       b"old_value", b"%d.%02d" % (i % 997, i % 100),
                       b"new_value", b"%d.%02d" % ((i + 1) % 997, (i * 3) % 100),
                       b"timestamp", b"%d" % ms)
    return Plan(n, commands())


@dataset("lists", "1,000 project notification queues of 1,000 messages each "
                  "(60 to 120 bytes, LPUSH; quicklists of 8 KB listpack nodes)")
def dataset_lists(scale):
    n = max(1, int(1_000 * scale))
    tail = _filler(110, "lists")

    def commands():
        for p in range(n):
            key = b"project:{%d}:notifications" % p
            for i in range(0, 1000, 10):
                yield (b"LPUSH", key) + tuple(
                    (b"%d:%d:" % (p, i + k)) + tail[:50 + (i + k) % 60] for k in range(10))
    return Plan(n, commands())


def _many_projects(nproj, nkeys):
    value = _filler(20, "many-projects")

    def commands():
        for p in range(nproj):
            for k in range(nkeys):
                yield (b"SET", b"project:%d:k%d" % (p, k), value)
    return Plan(nproj * nkeys, commands())


@dataset("projects-1m-x1", "1,000,000 projects of 1 key each, SET project:<p>:k0 <20 bytes> "
                           "(issue 11: a project's fixed cost)")
def dataset_projects_1m_x1(scale):
    return _many_projects(max(1, int(1_000_000 * scale)), 1)


@dataset("projects-100k-x10", "100,000 projects of 10 keys each, SET project:<p>:k<j> <20 bytes> "
                              "(issue 11)")
def dataset_projects_100k_x10(scale):
    return _many_projects(max(1, int(100_000 * scale)), 10)


def _zsets(nsets, nmembers, per_command=100):
    """nsets sorted sets queue:<s> of nmembers jobs each, `job:<s>:<n>` scored by a due time
    in ms with a fraction (as a job queue's delayed set holds), ZADDed per_command at a time."""
    base = 1_700_000_000_000

    def commands():
        for s in range(nsets):
            key = b"queue:%d" % s
            for lo in range(0, nmembers, per_command):
                args = [b"ZADD", key]
                for n in range(lo, min(lo + per_command, nmembers)):
                    args += [b"%d.%d" % (base + (n * 7919 + s) % 86_400_000, n % 10),
                             b"job:%d:%d" % (s, n)]
                yield args
    return Plan(nsets, commands())


@dataset("zsets", "1,000 sorted sets of 1,000 members job:<s>:<n> scored by due times "
                  "(issue 15: delayed-job sets, skip-list form)")
def dataset_zsets(scale):
    return _zsets(max(1, int(1_000 * scale)), 1000)


@dataset("zset-10m", "one sorted set of 10,000,000 members job:0:<n> scored by due times "
                     "(issue 15: bytes per member of a huge set)")
def dataset_zset_10m(scale):
    return _zsets(1, max(1, int(10_000_000 * scale)))


@dataset("dashboard", "100,000 projects of 11 keys each: persist.py's dashboard (small hashes of "
                      "3-10 fields, a 5-member set, lists of 5, 5 and 2 items, a string, "
                      "a stream of 3 entries)")
def dataset_dashboard(scale):
    import persist  # its builder, so both benchmarks load the same data
    nproj = max(1, int(100_000 * scale))
    return Plan(nproj * 11, persist.dashboard(nproj))


@dataset("dashboard-10", "the dashboard without its streams: 100,000 projects of 10 keys, "
                         "as before persist.py added them (3613ddf)")
def dataset_dashboard_10(scale):
    import persist
    nproj = max(1, int(100_000 * scale))
    return Plan(nproj * 10, persist.dashboard(nproj, streams=False))


def load(server, plan, batch_size, timeout):
    """Send every command of the plan; returns (commands sent, seconds). Raises on error replies."""
    t0 = time.monotonic()
    sent = 0
    with servers.Conn(server.port, timeout=timeout) as conn:
        for payload, count in servers.batches(plan.commands, batch_size):
            errors = conn.pipeline(payload, count)
            if errors:
                raise RuntimeError("%s replied with errors after ~%d commands, e.g.: %s"
                                   % (server.label, sent, "; ".join(dict.fromkeys(errors))))
            sent += count
            if not server.alive():
                raise RuntimeError("%s exited during the load" % server.label)
        try:
            dbsize = conn.call("DBSIZE")
        except (OSError, servers.ProtocolError):
            dbsize = None
    return sent, time.monotonic() - t0, dbsize


def mib(kib):
    return kib / 1024.0


def measure(label, path, extra, plan_fn, args, workdir, out):
    """Fill `out` with the numbers of one server; raises (leaving what was measured) on failure."""
    srv = servers.Server(label, path, extra, workdir)
    srv.start()
    try:
        fill(srv, plan_fn(args.scale), args, out)
    finally:
        srv.stop()


def fill(srv, plan, args, out):
    """On a server just started: read its baseline RSS after args.baseline_settle s, load
    the plan (batches of args.batch commands, args.timeout s without progress at most),
    check DBSIZE, then read VmRSS twice args.settle s apart. Fills out with baseline_kib,
    rss_kib (the later reading), rss_kib_first, commands, load_s and keys; raises
    RuntimeError on an error reply or a wrong key count (leaving what was measured)."""
    time.sleep(args.baseline_settle)
    baseline = out["baseline_kib"] = srv.rss_kib()
    sent, secs, dbsize = load(srv, plan, args.batch, args.timeout)
    if isinstance(dbsize, int) and dbsize != plan.keys:
        raise RuntimeError("%s holds %d keys after the load, expected %d" % (srv.label, dbsize, plan.keys))
    if not isinstance(dbsize, int):
        log("  (%s: DBSIZE not available (%r); key count not checked)" % (srv.label, dbsize))
    time.sleep(args.settle)
    first = srv.rss_kib()
    time.sleep(args.settle)
    loaded = srv.rss_kib()
    log("  %-7s pid %d: baseline %.1f MiB; loaded %d commands in %.1f s (%.0f/s); "
        "RSS %.1f then %.1f MiB" % (srv.label, srv.pid, mib(baseline), sent, secs, sent / secs,
                                    mib(first), mib(loaded)))
    out.update({"rss_kib_first": first, "rss_kib": loaded,
                "commands": sent, "load_s": round(secs, 2), "keys": dbsize})


def add_load_options(ap):
    """The options of fill() and of the results (--batch, --settle, --baseline-settle,
    --timeout, --redis-args, --respite-args, --markdown, --json), shared with projects.py."""
    ap.add_argument("--batch", type=int, default=10000, help="commands per pipelined write (default 10000)")
    ap.add_argument("--settle", type=float, default=2.0,
                    help="seconds to wait before each of the two RSS readings (default 2)")
    ap.add_argument("--baseline-settle", type=float, default=0.5,
                    help="seconds to wait after start-up before the baseline reading (default 0.5)")
    ap.add_argument("--redis-args", default=servers.DEFAULT_SERVER_ARGS,
                    help="extra redis-server flags (default: %(default)s)")
    ap.add_argument("--respite-args", default=servers.DEFAULT_SERVER_ARGS,
                    help="extra respite-server flags (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds allowed without progress on a batch (default 60)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table for a README")
    ap.add_argument("--json", metavar="FILE", help="also write the raw numbers to FILE")


def fmt_mib(kib):
    return "—" if kib is None else "%.1f" % mib(kib)


def main():
    ap = servers.arg_parser(__doc__, "Datasets:\n" + "\n".join("  %-10s %s" % (k, d) for k, (_, d)
                                                                 in DATASETS.items()))
    ap.add_argument("--dataset", default="strings",
                    help="comma-separated datasets (default strings; known: %s)" % ", ".join(DATASETS))
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every dataset's size (default 1.0; e.g. 0.1 for a quick check)")
    add_load_options(ap)
    args = ap.parse_args()

    servers.check_binaries(ap, args)
    names = [d.strip() for d in args.dataset.split(",") if d.strip()]
    for d in names:
        if d not in DATASETS:
            ap.error("unknown dataset %r (known: %s)" % (d, ", ".join(DATASETS)))
    if args.scale <= 0 or args.batch < 1:
        ap.error("--scale and --batch must be positive")

    redis_version, redis_short, respite_rev, started, command_line = servers.run_info(args)

    servers.install_cleanup()
    workdir = tempfile.mkdtemp(prefix="respite-memory-")
    results = []
    try:
        for name in names:
            fn, desc = DATASETS[name]
            log("dataset %s%s: %s" % (name, "" if args.scale == 1 else " (scale %g)" % args.scale, desc))
            row = {"dataset": name, "description": desc, "scale": args.scale}
            for label, path, extra in (("respite", args.respite, args.respite_args),
                                       ("redis", args.redis, args.redis_args)):
                row[label] = {}
                try:
                    measure(label, path, servers.split_args(extra), fn, args, workdir, row[label])
                except (RuntimeError, OSError, servers.ProtocolError, servers.ServerError) as e:
                    log("  %s: ERROR %s" % (label, e))
                    row[label]["error"] = str(e)
            results.append(row)
    finally:
        for s in list(servers._live):
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    header = ["dataset", "respite RSS MiB", "redis RSS MiB", "ratio"]
    rows, notes = [], []
    first = results[0]
    rows.append(["empty server (baseline)",
                 fmt_mib(first["respite"].get("baseline_kib")), fmt_mib(first["redis"].get("baseline_kib")),
                 servers.fmt_ratio(first["respite"].get("baseline_kib"), first["redis"].get("baseline_kib"))])
    for r in results:
        label = r["dataset"] + ("" if r["scale"] == 1 else " ×%g" % r["scale"])
        s, d = r["respite"].get("rss_kib"), r["redis"].get("rss_kib")
        rows.append([label, fmt_mib(s) if s else "ERR", fmt_mib(d) if d else "ERR", servers.fmt_ratio(s, d)])
        for side in ("respite", "redis"):
            if "error" in r[side]:
                notes.append("%s, %s: %s" % (r["dataset"], side, r[side]["error"]))
    header_lines = [
        "respite%s vs %s, %s; %s." % (" " + respite_rev if respite_rev else "", redis_short,
                                      started.strftime("%Y-%m-%d %H:%M UTC"), servers.machine_summary()),
        "Whole-process VmRSS after loading (nothing subtracted), later of two readings %g s apart." % args.settle,
        "Datasets: " + "; ".join("%s = %s" % (r["dataset"], r["description"]) for r in results) + ".",
        "Command: `%s`" % command_line,
    ]
    ratio_note = "ratio = respite/redis RSS (lower is better for respite)."
    servers.print_table(header_lines, header, rows, notes, args.markdown, ratio_note)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": started.isoformat(), "command": command_line,
                       "redis_version": redis_version, "respite_rev": respite_rev,
                       "machine": servers.machine_summary(), "settle_s": args.settle,
                       "results": results}, f, indent=1, ensure_ascii=False)
        log("wrote %s" % args.json)
    return 1 if notes else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except servers.ServerError as e:
        log("memory.py: %s" % e)
        sys.exit(2)
