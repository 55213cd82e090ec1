#!/usr/bin/python3
"""Active expiry: how fast respite-server and redis-server reclaim keys that expire, and how
long other commands wait meanwhile.

For each server, one after the other, each in a fresh process on a free port of 127.0.0.1:

1. Load --keys keys `key:<i>` with distinct 100-byte values, each with
   `SET key:<i> <value> PXAT <deadline>`. The deadlines are evenly spaced over
   --spread seconds; the first is --lead seconds after the expected end of the
   load (estimated from a timed calibration batch sent first). They are absolute
   times computed once from the load start, so the spread is exact however long
   the load takes. By default the deadlines are shuffled over the keys
   (--order shuffled), so keys do not expire in the order they were written.
2. From the end of the load until DBSIZE reaches 0, plus --tail seconds (at most
   until --grace seconds after the last deadline), sample every --interval
   seconds: DBSIZE, the number of keys that should still exist (from the known
   deadlines), VmRSS of the server, and used_memory from INFO memory if the
   server has it.
3. Meanwhile a second process sends PING back to back on its own connection and
   times every round trip with time.perf_counter. (A separate process, not a
   thread: Python's GIL would add its own pauses to the timings.) Around each
   round trip it also reads /proc/<pid>/schedstat of the server's main thread
   and of itself, so that a slow PING can be told apart: server CPU time (the
   server was busy, e.g. expiring keys) or run-queue time (a process waited
   for a CPU that something else on the machine held).

Reported per server: PING latency (max, p99.9, p99) from the first deadline to
the end of sampling, the most server CPU time spent during one PING, and the
same before the first deadline as a control; the largest lag of reclamation
behind the deadlines, in seconds (excess keys / expiry rate, where excess =
DBSIZE - keys that should exist and the rate is keys/spread); the time from the
last deadline until DBSIZE was 0; RSS at the first deadline, when DBSIZE
reached 0 and at the end.

Examples:
  benchmarks/vs_redis/expiry.py --respite build/respite-server
  benchmarks/vs_redis/expiry.py --respite build/respite-server --keys 200000 --spread 20

A benchmark, not a test: nothing here is run by ctest. See benchmarks/README.md.
"""

import array
import bisect
import gc
import heapq
import json
import math
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from servers import log  # noqa: E402

PING = b"*1\r\n$4\r\nPING\r\n"
PONG = b"+PONG\r\n"
VALUE_TAIL = (b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" * 2)[:90]


# --------------------------------------------------------------------------- PING process

def percentile(sorted_values, p):
    """Nearest-rank percentile (p in 0..100) of an ascending sequence; None if empty."""
    if not sorted_values:
        return None
    k = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[k - 1]


def latency_stats(values, seconds):
    """Summary of round-trip times in seconds, reported in milliseconds; `seconds` is the
    length of the period they were measured in."""
    s = sorted(values)
    ms = lambda v: None if v is None else round(v * 1000.0, 3)
    over = lambda limit: len(s) - bisect.bisect_right(s, limit)
    return {"count": len(s), "seconds": round(seconds, 2), "max_ms": ms(s[-1] if s else None),
            "p99_9_ms": ms(percentile(s, 99.9)), "p99_ms": ms(percentile(s, 99)),
            "p50_ms": ms(percentile(s, 50)), "over_1ms": over(0.001), "over_2ms": over(0.002)}


class Sched:
    """Reads /proc/<pid>/schedstat of the server's main thread: nanoseconds on a CPU and
    nanoseconds waiting on a run queue, both cumulative. Differences over one PING tell
    whether a slow round trip was the server working (CPU time) or the server waiting
    for a CPU that other processes held (run-queue time). None where unavailable."""

    def __init__(self, pid):
        try:
            self.fd = os.open("/proc/%d/schedstat" % pid, os.O_RDONLY)
            self.read()
        except (OSError, ValueError, IndexError):
            self.fd = None

    def read(self):
        f = os.pread(self.fd, 128, 0).split()
        return int(f[0]), int(f[1])


def pinger(port, server_pid, window_start, hard_end, ctl):
    """Child process: PING back to back until told to stop (a message on ctl) or until
    perf_counter reaches hard_end. Round trips that start before window_start (a
    perf_counter value) are the control sample, the others the expiry window.
    Sends back a dict of statistics (with "error" if the connection failed)."""
    # Ctrl-C reaches the whole process group: let the parent stop us by message instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.disable()    # no collector pauses inside the timed loop
    # Per round trip: latency, and the server main thread's CPU and run-queue time (s)
    # during it; start times only for the expiry window.
    phases = {name: (array.array("d"), array.array("d"), array.array("d"))
              for name in ("before", "during")}
    own_waits = array.array("d")     # our own run-queue time, expiry window only
    starts = array.array("d")
    first_start = last_start = None
    error = None
    sched, own = Sched(server_pid), Sched(os.getpid())
    has_sched = sched.fd is not None and own.fd is not None
    try:
        sock = socket.create_connection((servers.HOST, port), timeout=10.0)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        clock, send, recv = time.perf_counter, sock.sendall, sock.recv
        n = 0
        while True:
            # Read the server's counters right before sending and right after the reply,
            # so that only the round trip is covered, not our own gap between PINGs.
            cpu0, wait0 = sched.read() if has_sched else (0, 0)
            own0 = own.read()[1] if has_sched else 0
            t0 = clock()
            send(PING)
            reply = recv(16)
            while len(reply) < len(PONG):
                more = recv(16)
                if not more:
                    raise ConnectionError("server closed the connection")
                reply += more
            t1 = clock()
            if reply != PONG:
                raise servers.ProtocolError("unexpected reply to PING: %r" % reply)
            cpu, wait = sched.read() if has_sched else (0, 0)
            own1 = own.read()[1] if has_sched else 0
            if first_start is None:
                first_start = t0
            last_start = t0
            lat, cpus, waits = phases["before" if t0 < window_start else "during"]
            lat.append(t1 - t0)
            cpus.append((cpu - cpu0) * 1e-9)
            waits.append((wait - wait0) * 1e-9)
            if t0 >= window_start:
                starts.append(t0 - window_start)
                own_waits.append((own1 - own0) * 1e-9)
            n += 1
            if (n & 63) == 0 and (t1 >= hard_end or ctl.poll()):
                break
        sock.close()
    except Exception as e:  # reported to the parent, which shows it in the table notes
        error = "PING connection: %s: %s" % (type(e).__name__, e)
    if first_start is None:
        first_start = last_start = window_start
    spans = {"before": max(0.0, min(last_start, window_start) - first_start),
             "during": max(0.0, last_start - window_start)}
    result = {}
    for name, (lat, cpus, waits) in phases.items():
        r = result[name] = latency_stats(lat, spans[name])
        if has_sched:
            r["server_cpu_max_ms"] = round(max(cpus, default=0.0) * 1000.0, 3)
            r["server_cpu_over_2ms"] = sum(1 for v in cpus if v > 0.002)
            r["server_cpu_over_ms"] = {str(ms): sum(1 for v in cpus if v > ms / 1000.0)
                                       for ms in (0.5, 1, 2, 5, 10)}
            r["server_wait_max_ms"] = round(max(waits, default=0.0) * 1000.0, 3)
    # The slowest round trips and those with the most server CPU time, with start time (s
    # after the first deadline), latency, server CPU and run-queue ms; and the worst round
    # trip of every second.
    lat, cpus, waits = phases["during"]
    row = lambda i: [round(starts[i], 3), round(lat[i] * 1000.0, 3), round(cpus[i] * 1000.0, 3),
                     round(waits[i] * 1000.0, 3), round(own_waits[i] * 1000.0, 3)]
    result["worst_fields"] = ["t_s_after_first_deadline", "latency_ms", "server_cpu_ms",
                              "server_runqueue_ms", "client_runqueue_ms"]
    result["worst"] = [row(i) for i in heapq.nlargest(10, range(len(lat)), key=lat.__getitem__)]
    if has_sched:
        result["busiest"] = [row(i) for i in heapq.nlargest(10, range(len(cpus)),
                                                             key=cpus.__getitem__)]
    per_sec = {}
    for t, v in zip(starts, lat):
        s = int(t)
        if v > per_sec.get(s, 0.0):
            per_sec[s] = v
    result["max_ms_per_second"] = [[s, round(v * 1000.0, 3)] for s, v in sorted(per_sec.items())]
    if error:
        result["error"] = error
    ctl.send(result)
    ctl.close()


# --------------------------------------------------------------------------- one server

class Schedule:
    """The keys' deadlines: offsets (ms after the first deadline) evenly spaced over the
    spread, ascending, and slot[i] = which offset key i gets."""

    def __init__(self, keys, spread_s, order, seed):
        spread_ms = int(round(spread_s * 1000))
        self.keys = keys
        self.offsets = [k * spread_ms // keys for k in range(keys)]
        self.slot = list(range(keys))
        if order == "shuffled":
            random.Random(seed).shuffle(self.slot)

    def alive(self, first_ms, now_ms):
        """Keys that should still exist at now_ms: deadline > now (a key expires once the
        clock passes its deadline: Redis tests now > when)."""
        return self.keys - bisect.bisect_right(self.offsets, now_ms - first_ms)


def info_used_memory(conn):
    """used_memory from INFO memory, or None if the server has no such field."""
    reply = conn.call("INFO", "memory")
    if not isinstance(reply, bytes) or isinstance(reply, servers.Error):
        return None
    m = re.search(rb"^used_memory:(\d+)", reply, re.M)
    return int(m.group(1)) if m else None


def load(srv, sched, args, out):
    """Calibrate, then load every key with its deadline. Returns first deadline (ms)."""
    n = sched.keys
    calib = min(n, max(args.batch, n // 50))
    with servers.Conn(srv.port, timeout=args.timeout) as conn:
        # Calibration: the first keys without a TTL, timed; the load below overwrites them
        # (SET replaces the value and sets the deadline), so the key count is unaffected.
        t0 = time.monotonic()
        cmds = ((b"SET", b"key:%d" % i, (b"%010d" % i) + VALUE_TAIL) for i in range(calib))
        for payload, count in servers.batches(cmds, args.batch):
            errors = conn.pipeline(payload, count)
            if errors:
                raise RuntimeError("calibration: error replies, e.g. %s" % errors[0])
        rate = calib / max(time.monotonic() - t0, 1e-6)

        load_start = time.time()
        expected = n / rate * 1.5 + 0.5   # the first keys load faster than the rest
        first_ms = int((load_start + expected + args.lead) * 1000)
        offsets, slot = sched.offsets, sched.slot

        def commands():
            for i in range(n):
                yield (b"SET", b"key:%d" % i, (b"%010d" % i) + VALUE_TAIL,
                       b"PXAT", b"%d" % (first_ms + offsets[slot[i]]))
        sent = 0
        for payload, count in servers.batches(commands(), args.batch):
            errors = conn.pipeline(payload, count)
            if errors:
                raise RuntimeError("error replies after ~%d commands, e.g.: %s"
                                   % (sent, "; ".join(dict.fromkeys(errors))))
            sent += count
            if not srv.alive():
                raise RuntimeError("%s exited during the load" % srv.label)
        load_end = time.time()
        dbsize = conn.call("DBSIZE")
    out.update({"calibration_keys": calib, "load_s": round(load_end - load_start, 2),
                "load_rate": round(n / (load_end - load_start)),
                "lead_s": round(first_ms / 1000.0 - load_end, 2)})
    log("  %-7s pid %d: loaded %d keys in %.1f s; first deadline %.1f s after the load"
        % (srv.label, srv.pid, n, load_end - load_start, first_ms / 1000.0 - load_end))
    if first_ms / 1000.0 < load_end:
        out["warning"] = ("the load ended %.1f s after the first deadline: some keys expired "
                          "during the load" % (load_end - first_ms / 1000.0))
    if not isinstance(dbsize, int):
        raise RuntimeError("DBSIZE is needed for this benchmark (got %r)" % (dbsize,))
    should = sched.alive(first_ms, int(time.time() * 1000))
    if dbsize < should:
        raise RuntimeError("%d keys after the load, expected at least %d" % (dbsize, should))
    return first_ms


def measure(label, path, extra, sched, args, workdir, out):
    """Fill `out` with the numbers of one server; raises (leaving what was measured) on failure."""
    srv = servers.Server(label, path, extra, workdir)
    srv.start()
    pinger_proc = None
    ctl = None
    try:
        time.sleep(0.5)
        out["baseline_kib"] = srv.rss_kib()
        first_ms = load(srv, sched, args, out)
        last_ms = first_ms + sched.offsets[-1]
        first_s = first_ms / 1000.0
        hard_end = first_s + args.spread + args.grace

        # The PING process, in the perf_counter time base (CLOCK_MONOTONIC, shared by
        # processes), which is the clock it times with.
        pc_offset = time.perf_counter() - time.time()
        ctx = multiprocessing.get_context("fork")
        ctl, child_end = ctx.Pipe()
        pinger_proc = ctx.Process(target=pinger, args=(srv.port, srv.pid, first_s + pc_offset,
                                                       hard_end + args.tail + 10 + pc_offset,
                                                       child_end), daemon=True)
        pinger_proc.start()
        child_end.close()

        samples = []
        zero_at = None
        with servers.Conn(srv.port, timeout=args.timeout) as conn:
            has_info = info_used_memory(conn) is not None
            next_t = time.time()
            while True:
                dbsize = conn.call("DBSIZE")
                t = time.time()
                used = info_used_memory(conn) if has_info else None
                rss = srv.rss_kib()
                should = sched.alive(first_ms, int(t * 1000))
                samples.append((round(t - first_s, 3), dbsize, should, rss, used))
                if dbsize == 0 and zero_at is None:
                    zero_at = t
                if zero_at is not None and t >= zero_at + args.tail:
                    break
                if t >= hard_end:
                    break
                if not srv.alive():
                    raise RuntimeError("%s exited during the measurement" % label)
                next_t += args.interval
                time.sleep(max(0.0, next_t - time.time()))

        try:
            ctl.send("stop")
            if not ctl.poll(60):
                raise RuntimeError("the PING process did not report within 60 s")
            pings = ctl.recv()
        except (EOFError, BrokenPipeError):
            raise RuntimeError("the PING process exited without a report (status %s)"
                               % pinger_proc.exitcode)
        pinger_proc.join(10)
        out["ping"] = pings
        if "error" in pings:
            raise RuntimeError(pings["error"])

        rate = sched.keys / args.spread
        excess = [(s[1] - s[2], s[0]) for s in samples]
        worst_excess, worst_at = max(excess)
        before = [s for s in samples if s[0] < 0]
        at_first = before[-1] if before else samples[0]
        zero_sample = next((s for s in samples if s[1] == 0), None)
        out.update({
            "first_deadline_unix_ms": first_ms,
            "last_deadline_s": round((last_ms - first_ms) / 1000.0, 3),
            "max_excess_keys": max(worst_excess, 0),
            "max_lag_s": round(max(worst_excess, 0) / rate, 3),
            "max_lag_at_s": worst_at,
            "zero_after_last_deadline_s": (round(zero_at - last_ms / 1000.0, 2)
                                           if zero_at is not None else None),
            "keys_left": samples[-1][1],
            "rss_kib_first_deadline": at_first[3],
            "rss_kib_zero": zero_sample[3] if zero_sample else None,
            "rss_kib_end": samples[-1][3],
            "used_memory_first_deadline": at_first[4],
            "used_memory_end": samples[-1][4],
            "samples": [list(s) for s in samples],
            "sample_fields": ["t_s_after_first_deadline", "dbsize", "should_exist", "rss_kib",
                              "used_memory"],
        })
        p = pings["during"]
        show = lambda w: ("%.1f s: %.1f ms (server CPU %.1f, server run queue %.1f, "
                          "client run queue %.1f)" % tuple(w))
        log("  %-7s PING max %s ms p99.9 %s ms (%d pings, %d over 2 ms); max lag %.3f s "
            "(%d keys) at %.1f s; DBSIZE 0 %s s after the last deadline"
            % (label, p["max_ms"], p["p99_9_ms"], p["count"], p["over_2ms"], out["max_lag_s"],
               out["max_excess_keys"], worst_at, out["zero_after_last_deadline_s"]))
        log("  %-7s slowest PINGs: %s" % (label, "; ".join(show(w) for w in pings["worst"][:3])))
        if pings.get("busiest"):
            log("  %-7s most server CPU: %s"
                % (label, "; ".join(show(w) for w in pings["busiest"][:3])))
        if zero_at is None:
            raise RuntimeError("%d keys still there %g s after the last deadline"
                               % (samples[-1][1], args.grace))
    finally:
        if pinger_proc is not None and pinger_proc.is_alive():
            pinger_proc.terminate()       # our own child, by PID
            pinger_proc.join(10)
        if ctl is not None:
            ctl.close()
        srv.stop()


# --------------------------------------------------------------------------- report

def fmt_num(v, digits):
    return "—" if v is None else "%.*f" % (digits, v)


def fmt_mib_kib(kib):
    return "—" if kib is None else "%.1f" % (kib / 1024.0)


def fmt_mib_bytes(b):
    return "—" if b is None else "%.1f" % (b / 1048576.0)


def count_over(stats):
    if not stats:
        return "—"
    return "%d / %.0f s / %d" % (stats["count"], stats["seconds"], stats["over_2ms"])


def table_rows(results, sides):
    def get(side, *path):
        v = results[side]
        for p in path:
            if not isinstance(v, dict) or p not in v:
                return None
            v = v[p]
        return v

    def row(name, fn):
        return [name] + [fn(side) for side in sides]

    return [
        row("PING max ms", lambda s: fmt_num(get(s, "ping", "during", "max_ms"), 2)),
        row("PING p99.9 ms", lambda s: fmt_num(get(s, "ping", "during", "p99_9_ms"), 3)),
        row("PING p99 ms", lambda s: fmt_num(get(s, "ping", "during", "p99_ms"), 3)),
        row("PINGs timed / in seconds / over 2 ms", lambda s: count_over(get(s, "ping", "during"))),
        row("server CPU during one PING, max ms",
            lambda s: fmt_num(get(s, "ping", "during", "server_cpu_max_ms"), 2)),
        row("PINGs with over 2 ms of server CPU",
            lambda s: fmt_num(get(s, "ping", "during", "server_cpu_over_2ms"), 0)),
        row("control before the first deadline: PING max ms",
            lambda s: fmt_num(get(s, "ping", "before", "max_ms"), 2)),
        row("control: PING p99.9 ms", lambda s: fmt_num(get(s, "ping", "before", "p99_9_ms"), 3)),
        row("control: PINGs / seconds / over 2 ms", lambda s: count_over(get(s, "ping", "before"))),
        row("control: server CPU during one PING, max ms",
            lambda s: fmt_num(get(s, "ping", "before", "server_cpu_max_ms"), 2)),
        row("max lag behind the deadlines, s", lambda s: fmt_num(get(s, "max_lag_s"), 3)),
        row("max excess keys (DBSIZE - should exist)",
            lambda s: fmt_num(get(s, "max_excess_keys"), 0)),
        row("DBSIZE 0 after the last deadline, s",
            lambda s: fmt_num(get(s, "zero_after_last_deadline_s"), 2)),
        row("RSS MiB, empty server", lambda s: fmt_mib_kib(get(s, "baseline_kib"))),
        row("RSS MiB at the first deadline",
            lambda s: fmt_mib_kib(get(s, "rss_kib_first_deadline"))),
        row("RSS MiB when DBSIZE reached 0", lambda s: fmt_mib_kib(get(s, "rss_kib_zero"))),
        row("RSS MiB at the end", lambda s: fmt_mib_kib(get(s, "rss_kib_end"))),
        row("used_memory MiB at the first deadline / end",
            lambda s: "—" if get(s, "used_memory_first_deadline") is None else "%s / %s" % (
                fmt_mib_bytes(get(s, "used_memory_first_deadline")),
                fmt_mib_bytes(get(s, "used_memory_end")))),
        row("load: s (keys/s)", lambda s: "—" if get(s, "load_s") is None else "%.1f (%d)" % (
            get(s, "load_s"), get(s, "load_rate"))),
    ]


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--keys", type=int, default=1_000_000, help="keys to load (default 1000000)")
    ap.add_argument("--spread", type=float, default=60.0,
                    help="seconds over which the deadlines are spread (default 60)")
    ap.add_argument("--lead", type=float, default=5.0,
                    help="seconds from the expected end of the load to the first deadline "
                    "(default 5); PINGs in this time are the control sample")
    ap.add_argument("--order", choices=("shuffled", "sequential"), default="shuffled",
                    help="shuffled: deadlines in random order over the keys (default); "
                    "sequential: key:<i> expires before key:<i+1>")
    ap.add_argument("--interval", type=float, default=0.1,
                    help="seconds between samples (default 0.1)")
    ap.add_argument("--tail", type=float, default=10.0,
                    help="seconds to keep sampling after DBSIZE reaches 0 (default 10)")
    ap.add_argument("--grace", type=float, default=30.0,
                    help="give up this many seconds after the last deadline (default 30)")
    ap.add_argument("--batch", type=int, default=10000,
                    help="commands per pipelined write (default 10000)")
    ap.add_argument("--seed", default="expiry", help="seed of the shuffle (default 'expiry')")
    ap.add_argument("--redis-args", default=servers.DEFAULT_SERVER_ARGS,
                    help="extra redis-server flags (default: %(default)s)")
    ap.add_argument("--respite-args", default=servers.DEFAULT_SERVER_ARGS,
                    help="extra respite-server flags (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds allowed without progress on a load batch (default 60)")
    ap.add_argument("--servers", default="respite,redis",
                    help="which servers to measure, in order (default respite,redis)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table for a README")
    ap.add_argument("--json", metavar="FILE", help="also write the raw numbers and samples to FILE")
    args = ap.parse_args()

    servers.check_binaries(ap, args)
    if args.keys < 1 or args.spread <= 0 or args.interval <= 0 or args.batch < 1:
        ap.error("--keys, --spread, --interval and --batch must be positive")
    wanted = [w.strip() for w in args.servers.split(",") if w.strip()]
    if not wanted or any(w not in ("respite", "redis") for w in wanted):
        ap.error("--servers takes respite, redis or both")
    if args.lead < 0 or args.tail < 0 or args.grace < args.tail:
        ap.error("--lead and --tail must be >= 0 and --grace >= --tail")

    redis_version, redis_short, respite_rev, started, command_line = servers.run_info(args)

    sched = Schedule(args.keys, args.spread, args.order, args.seed)
    servers.install_cleanup()
    workdir = tempfile.mkdtemp(prefix="respite-expiry-")
    results = {}
    notes = []
    try:
        sides = {"respite": (args.respite, args.respite_args),
                 "redis": (args.redis, args.redis_args)}
        for label in wanted:
            path, extra = sides[label]
            log("%s: %d keys expiring over %g s" % (label, args.keys, args.spread))
            results[label] = {}
            try:
                measure(label, path, servers.split_args(extra), sched, args, workdir,
                        results[label])
            except (RuntimeError, OSError, servers.ProtocolError, servers.ServerError) as e:
                log("  %s: ERROR %s" % (label, e))
                results[label]["error"] = str(e)
                notes.append("%s: %s" % (label, e))
            if "warning" in results[label]:
                notes.append("%s: %s" % (label, results[label]["warning"]))
    finally:
        for s in list(servers._live):
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    header = ["metric"] + wanted
    rows = table_rows(results, wanted)
    header_lines = [
        "respite%s vs %s, %s; %s." % (" " + respite_rev if respite_rev else "", redis_short,
                                      started.strftime("%Y-%m-%d %H:%M UTC"),
                                      servers.machine_summary()),
        "%d keys of 100 bytes, deadlines evenly spread over %g s (%s order), sampled every %g s; "
        "PING latency from the first deadline until %g s after DBSIZE reached 0." % (
            args.keys, args.spread, args.order, args.interval, args.tail),
        "Command: `%s`" % command_line,
    ]
    servers.print_table(header_lines, header, rows, notes, args.markdown)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": started.isoformat(), "command": command_line,
                       "redis_version": redis_version, "respite_rev": respite_rev,
                       "machine": servers.machine_summary(), "keys": args.keys,
                       "spread_s": args.spread, "order": args.order, "interval_s": args.interval,
                       "results": results}, f, indent=1, ensure_ascii=False)
        log("wrote %s" % args.json)
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except servers.ServerError as e:
        log("expiry.py: %s" % e)
        sys.exit(2)
