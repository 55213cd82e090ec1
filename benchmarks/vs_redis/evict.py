#!/usr/bin/python3
"""Eviction: hit ratio of allkeys-lru and allkeys-lfu on a Zipfian cache-aside workload,
and the longest command latency under eviction pressure, respite-server vs redis-server.

For each policy and each server (fresh, one at a time, alternating which goes first):
1. Calibrate. used_memory counts different things on the two servers (Redis: its
   allocator's view, with dict overhead, client buffers and a baseline of about 1 MB;
   respite: keys, values and project shards as the store accounts them), so one
   maxmemory in bytes would not hold the same number of keys on both. Each server is
   given the limit that holds the same fraction of the keyspace instead: --calibrate keys
   of the workload's shape are written, the bytes per key read from INFO used_memory,
   and maxmemory = used_memory when empty + fraction * keys * bytes per key.
2. Warm up with --warmup requests, then measure --requests requests: each is a GET of a
   key drawn from a Zipf distribution (exponent --zipf) over --keys keys, then on a miss
   a SET of a --value-size value (cache-aside), in pipelined batches of --batch GETs and
   then their misses' SETs. A probe connection PINGs about every millisecond all along.
3. Pressure: maxmemory is cut to half at once (CONFIG SET) while the workload runs on;
   the CONFIG SET's own latency and the probe's longest PING from then until the server
   is back under the limit show how long eviction holds the loop.
4. Idle cut: --idle-keys keys are written with no limit, then maxmemory set to hold
   half of them (the empty server's used_memory plus half of what they added) with
   no workload; the time until used_memory is within 1% of those keys' bytes of the
   limit is the pace of background eviction, the probe's longest PING meanwhile how
   well clients are served.

Reported per policy and server: hit ratio, keys held at the end as a fraction of the
keyspace (the calibration's check), evicted keys, server CPU per request, the probe's
p99 and max PING during the workload, and under pressure the CONFIG SET's latency, the
longest PING and the time to get back under the limit.

Example:
  benchmarks/vs_redis/evict.py --respite build/respite-server
  benchmarks/vs_redis/evict.py --respite build/respite-server --keys 500000 --markdown

A benchmark, not a test: nothing here is run by ctest. See benchmarks/README.md.
"""

import bisect
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from servers import log  # noqa: E402


def info(conn, section):
    text = conn.call("INFO", section).decode()
    out = {}
    for line in text.split("\r\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def used_memory(conn):
    return int(info(conn, "memory")["used_memory"])


def zipf_draws(n_keys, exponent, count, seed):
    """count key numbers in [0, n_keys), key i drawn with weight 1 / (rank + 1) ** exponent,
    ranks shuffled over the keys (the same draws for every server)."""
    rnd = random.Random(seed)
    cum, total = [], 0.0
    for r in range(n_keys):
        total += 1.0 / (r + 1) ** exponent
        cum.append(total)
    order = list(range(n_keys))
    rnd.shuffle(order)
    return [order[bisect.bisect_left(cum, rnd.random() * total)] for _ in range(count)]


class Workload:
    def __init__(self, args):
        self.args = args
        self.value = b"v" * args.value_size
        n = args.warmup + args.requests + args.pressure_requests
        self.draws = zipf_draws(args.keys, args.zipf, n, args.seed)

    def key(self, i):
        return b"key:%d" % i

    def run(self, conn, lo, hi, until=None):
        """Requests lo..hi of the draws on conn, cache-aside; (hits, gets). With until,
        stops early once until() is true (checked between batches)."""
        hits = gets = 0
        b = self.args.batch
        for start in range(lo, hi, b):
            keys = [self.key(k) for k in self.draws[start:min(hi, start + b)]]
            payload = b"".join(servers.encode(("GET", k)) for k in keys)
            conn.sock.sendall(payload)
            misses = []
            for k in keys:
                while True:
                    r = servers.skip_reply(conn.buf, conn.pos)
                    if r is not None:
                        break
                    conn._fill()
                conn.pos, v = r
                if v is None:
                    misses.append(k)
                else:
                    hits += 1
            conn._compact()
            gets += len(keys)
            if misses:
                sets = b"".join(servers.encode(("SET", k, self.value)) for k in misses)
                errors = conn.pipeline(sets, len(misses))
                if errors:
                    raise RuntimeError("SET failed: %s" % errors[0])
            if until and until():
                break
        return hits, gets


def calibrate(conn, args, value):
    """maxmemory holding args.fraction of the keyspace on this server (see the doc)."""
    conn.call("FLUSHALL")
    base = used_memory(conn)
    n = args.calibrate
    payload = b"".join(servers.encode(("SET", b"key:%d" % (args.keys + i), value))
                       for i in range(n))
    conn.pipeline(payload, n)
    per_key = (used_memory(conn) - base) / n
    conn.call("FLUSHALL")
    base = used_memory(conn)
    return int(base + args.fraction * args.keys * per_key), per_key


def one_run(label, path, extra, policy, args, wl, workdir):
    srv = servers.Server(label, path, extra, workdir).start()
    try:
        conn = servers.Conn(srv.port)
        limit, per_key = calibrate(conn, args, wl.value)
        for k, v in (("maxmemory-policy", policy), ("maxmemory", str(limit))):
            if conn.call("CONFIG", "SET", k, v) != "OK":
                raise RuntimeError("CONFIG SET %s failed" % k)
        wl.run(conn, 0, args.warmup)
        conn.call("CONFIG", "RESETSTAT")
        probe = servers.Probe(srv.port)
        t0 = srv.cpu_ticks()
        hits, gets = wl.run(conn, args.warmup, args.warmup + args.requests)
        cpu = (srv.cpu_ticks() - t0) / servers.CLK_TCK
        quiet = probe.stop()
        held = int(conn.call("DBSIZE"))
        evicted = int(info(conn, "stats")["evicted_keys"])
        # Pressure: half the limit at once, the workload running on.
        probe = servers.Probe(srv.port)
        ms, reply = servers.timed(conn, "CONFIG", "SET", "maxmemory", str(limit // 2))
        t_cut = time.perf_counter()
        lo = args.warmup + args.requests
        wl.run(conn, lo, lo + args.pressure_requests, until=lambda: used_memory(conn) <= limit // 2)
        back_ms = (time.perf_counter() - t_cut) * 1000
        pressure = probe.stop()
        # Idle cut: --idle-keys keys written with no limit, then a limit holding half
        # of them; background eviction alone (and the probe's PINGs) brings it down.
        conn.call("CONFIG", "SET", "maxmemory", "0")
        conn.call("FLUSHALL")
        base = used_memory(conn)
        for lo in range(0, args.idle_keys, 10000):
            hi = min(args.idle_keys, lo + 10000)
            conn.pipeline(b"".join(servers.encode(("SET", wl.key(i), wl.value))
                                   for i in range(lo, hi)), hi - lo)
        full = used_memory(conn)
        target = base + (full - base) // 2
        probe = servers.Probe(srv.port)
        servers.timed(conn, "CONFIG", "SET", "maxmemory", str(target))
        t_cut = time.perf_counter()
        # Done within 1% of the keys' bytes of the limit: used_memory, polled, counts
        # the polling connection's buffers on Redis, which may stay a few kB over for
        # ever (and INFO's current_eviction_exceeded_time says 0 under 1 ms).
        while used_memory(conn) > target + (full - base) // 100 and \
                time.perf_counter() - t_cut < 60:
            time.sleep(0.005)
        idle_ms = (time.perf_counter() - t_cut) * 1000
        idle = probe.stop()
        conn.close()
        return {
            "hit": hits / gets, "held": held / args.keys, "evicted": evicted,
            "cpu_us": cpu * 1e6 / (gets + (gets - hits)), "per_key": per_key,
            "ping_p99": quiet["ping_p99_ms"], "ping_max": quiet["ping_max_ms"],
            "cut_ms": ms, "cut_ping_max": pressure["ping_max_ms"], "back_ms": back_ms,
            "idle_ping_max": idle["ping_max_ms"], "idle_ms": idle_ms,
        }
    finally:
        srv.stop()


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--keys", type=int, default=200000, help="keyspace size (default 200000)")
    ap.add_argument("--fraction", type=float, default=0.2,
                    help="fraction of the keyspace maxmemory holds (default 0.2)")
    ap.add_argument("--zipf", type=float, default=0.99, help="Zipf exponent (default 0.99)")
    ap.add_argument("--requests", type=int, default=400000, help="measured GETs (default 400000)")
    ap.add_argument("--warmup", type=int, default=200000, help="GETs before (default 200000)")
    ap.add_argument("--pressure-requests", type=int, default=100000,
                    help="GETs at most after the limit is halved (default 100000)")
    ap.add_argument("--value-size", type=int, default=100, help="bytes a value (default 100)")
    ap.add_argument("--idle-keys", type=int, default=500000,
                    help="keys of the idle cut (default 500000)")
    ap.add_argument("--batch", type=int, default=50, help="GETs a pipelined batch (default 50)")
    ap.add_argument("--calibrate", type=int, default=20000,
                    help="keys written to measure the bytes a key (default 20000)")
    ap.add_argument("--rounds", type=int, default=1, help="runs per side and policy (default 1)")
    ap.add_argument("--policies", default="allkeys-lru,allkeys-lfu")
    ap.add_argument("--seed", type=int, default=1)
    args = servers.parse_pair_args(ap)
    redis_version, redis_short, rev, when, cmdline = servers.run_info(args)
    log("drawing Zipf(%.2f) keys over %d" % (args.zipf, args.keys))
    wl = Workload(args)
    sides = [("respite", args.respite, servers.split_args(args.respite_args)),
             ("redis", args.redis, servers.split_args(args.redis_args))]
    rows = []
    with tempfile.TemporaryDirectory(prefix="evict-bench-") as workdir:
        for policy in args.policies.split(","):
            res = {"respite": [], "redis": []}
            for rnd in range(args.rounds):
                order = sides if rnd % 2 == 0 else sides[::-1]
                for label, path, extra in order:
                    log("%s %s round %d" % (policy, label, rnd + 1))
                    res[label].append(one_run(label, path, extra, policy, args, wl, workdir))
            for label in ("respite", "redis"):
                m = {k: statistics.median(r[k] for r in res[label]) for k in res[label][0]}
                rows.append([policy + " " + label, "%.3f" % m["hit"], "%.3f" % m["held"],
                             "%d" % m["evicted"], "%.0f" % m["per_key"], "%.2f" % m["cpu_us"],
                             "%.2f" % m["ping_p99"], "%.2f" % m["ping_max"],
                             "%.2f" % m["cut_ms"], "%.2f" % m["cut_ping_max"],
                             "%.0f" % m["back_ms"], "%.2f" % m["idle_ping_max"],
                             "%.0f" % m["idle_ms"]])
    header = ["policy server", "hit ratio", "held/keys", "evicted", "B/key", "CPU us/req",
              "PING p99 ms", "PING max ms", "cut ms", "cut PING max ms", "back under ms", "idle cut PING max ms",
              "idle back under ms"]
    header_lines = [
        "Eviction, respite %s vs %s, %s, %s." % (rev or "?", redis_short, servers.machine_summary(),
                                                when.strftime("%Y-%m-%d %H:%M UTC")),
        "%d keys, Zipf %.2f, %d-byte values, maxmemory holding %.0f%% of the keys (calibrated per "
        "server), %d GETs measured after %d, batches of %d; medians of %d round(s)."
        % (args.keys, args.zipf, args.value_size, args.fraction * 100, args.requests, args.warmup,
           args.batch, args.rounds),
        "Command: %s" % cmdline]
    notes = ["B/key: used_memory per key as each server counts it (the calibration).",
             "cut: CONFIG SET maxmemory to half during the workload; cut ms is that command's "
             "latency, cut PING max the longest PING until used_memory is under the new limit "
             "(back under ms).",
             "idle cut: then %d keys written with no limit and maxmemory set to hold half "
             "of them, no workload: background eviction alone (and the probe's PINGs, one "
             "a millisecond) gets it back under (idle back under ms: until used_memory is "
             "within 1%% of the keys' bytes of the limit, polled every 5 ms)."
             % args.idle_keys]
    servers.print_table(header_lines, header, rows, notes, args.markdown)


if __name__ == "__main__":
    main()
