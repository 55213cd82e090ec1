#!/usr/bin/python3
"""Where a dataset's bytes go: the allocator's bytes a project by kind of key, respite beside redis-server.

For each server, one at a time: start it on a free port of 127.0.0.1, then load
persist.py's dashboard dataset (memory.py's `dashboard`) one kind of key after
the other (the `session:<p>:state` strings of every project, then every
`rate_limit:<p>` hash, then every `connections` hash...), and after each kind
read jemalloc's allocated bytes (MEMORY MALLOC-STATS' `Allocated:`, which both
servers answer when they link jemalloc) and its small-size bins' live regions.
Each kind's figure is what its keys added, divided by the projects: its values,
its keys, and whatever its keys made the keyspace grow (a project's shard comes
with its second key, `active_sessions`; a table's bucket array doubles now and
then, so a figure moves by a few bytes with the count). `--bins` also prints,
per kind, the regions a project added in each size class (size:count), which
shows each block a key costs.

Examples:
  benchmarks/vs_redis/memory_kinds.py --respite build/respite-server \\
      --redis ../shared/tools/redis-7.4.1/redis-server
  benchmarks/vs_redis/memory_kinds.py --respite build/respite-server --projects 5000 --bins

A benchmark, not a test: nothing here is run by ctest. See benchmarks/README.md.
"""

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import persist  # noqa: E402
import servers  # noqa: E402

# In load order; a key is of the first kind (longest names first) its name holds.
KINDS = ["session", "rate_limit", "connections", "active_sessions", "calc_cache", "ai_context",
         "active_users", "notifications", "undo", "redo", "parameter_changes"]
MATCH = sorted(KINDS, key=len, reverse=True)


def kind_of(key):
    return next(k for k in MATCH if k.encode() in key)


def malloc_stats(conn):
    """(allocated bytes, {size class: live regions}) from MEMORY MALLOC-STATS."""
    text = bytes(conn.call("MEMORY", "MALLOC-STATS")).decode()
    m = re.search(r"Allocated: (\d+)", text)
    if not m:
        raise RuntimeError("MEMORY MALLOC-STATS has no jemalloc figures")
    bins, on = {}, False
    for line in text.splitlines():
        if line.startswith("bins:"):
            on = True
            continue
        f = line.split()
        if on and f and f[0].isdigit():
            bins[int(f[0])] = int(f[10])   # size ind allocated nmalloc (#/s) ndalloc (#/s) nreq (#/s) nshards curregs
        elif on:
            break
    return int(m.group(1)), bins


def measure(label, path, nproj, workdir):
    groups = {k: [] for k in KINDS}
    for cmd in persist.dashboard(nproj):
        groups[kind_of(cmd[1])].append(cmd)
    srv = servers.Server(label, path, ["--save", "", "--appendonly", "no"], workdir).start()
    out = {}
    try:
        with servers.Conn(srv.port, timeout=120) as c:
            alloc0, bins0 = malloc_stats(c)
            prev, pbins = alloc0, bins0
            for k in KINDS:
                cmds = groups[k]
                errors = c.pipeline(b"".join(servers.encode(x) for x in cmds), len(cmds))
                if errors:
                    raise RuntimeError("%s: %r" % (label, errors[0]))
                alloc, bins = malloc_stats(c)
                out[k] = ((alloc - prev) / nproj,
                          {sz: (bins.get(sz, 0) - pbins.get(sz, 0)) / nproj for sz in bins})
                prev, pbins = alloc, bins
            out["total"] = ((prev - alloc0) / nproj, {})
    finally:
        srv.stop()
    return out


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--projects", type=int, default=20000, help="projects loaded (default 20000)")
    ap.add_argument("--bins", action="store_true", help="also the regions a project added by size class")
    args = ap.parse_args()
    servers.install_cleanup()
    res = {}
    with tempfile.TemporaryDirectory() as wd:
        for label, path in (("respite", args.respite), ("redis", args.redis)):
            res[label] = measure(label, path, args.projects, wd)
    print("allocated bytes a project, %d projects (respite %s vs %s)"
          % (args.projects, servers.git_describe(args.respite), servers.binary_version(args.redis)))
    print("%-16s %10s %10s %8s" % ("kind", "respite", "redis", "diff"))
    for k in KINDS + ["total"]:
        a, b = res["respite"][k][0], res["redis"][k][0]
        print("%-16s %10.1f %10.1f %+8.1f" % (k, a, b, a - b))
    if args.bins:
        for k in KINDS:
            for label in ("respite", "redis"):
                regions = res[label][k][1]
                print("%-16s %-8s %s" % (k, label, " ".join(
                    "%d:%.2f" % (sz, n) for sz, n in sorted(regions.items()) if abs(n) >= 0.05)))


if __name__ == "__main__":
    main()
