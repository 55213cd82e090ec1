#!/usr/bin/python3
"""Expired events: the delay from a key's deadline to its `expired` keyspace event, on
respite-server and redis-server side by side.

For each server, one after the other, each in a fresh process on a free port of 127.0.0.1
started with `--notify-keyspace-events Ex`:

1. A subscriber process (a process, so that the loader's work adds no pauses to its
   timings) subscribes to `__keyevent@0__:expired` and stamps every chunk it reads with
   the wall clock (time.time(); the servers' key clock is the wall clock too).
2. The loader writes --keys keys `key:<i>` with `SET key:<i> v PXAT <deadline>`, the
   deadlines evenly spaced over --spread seconds in shuffled order, the first --lead
   seconds after the load is expected to end (estimated from a calibration batch).
3. The subscriber stops when every key's event arrived, or --grace seconds after the
   last deadline. delay = arrival - deadline, for each key whose event arrived.

Reported per server: events received, delay p50 / p99 / p99.9 / max in milliseconds.
A key is due once the clock passes its deadline (deadline + 1 ms for both servers).

Example:
  benchmarks/vs_redis/expired_events.py --respite build/respite-server \\
      --redis /path/to/redis-7.4.1/redis-server --markdown

A benchmark, not a test: nothing here is run by ctest. See benchmarks/README.md.
"""

import multiprocessing
import os
import random
import re
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from servers import log  # noqa: E402

CHANNEL = b"__keyevent@0__:expired"
MESSAGE = re.compile(rb"\*3\r\n\$7\r\nmessage\r\n\$22\r\n__keyevent@0__:expired\r\n"
                     rb"\$\d+\r\nkey:(\d+)\r\n")


def subscriber(port, nkeys, stop_at, conn):
    """Child process: collect (arrival wall time, key index) of expired events and send
    them back through conn as two lists."""
    s = socket.create_connection((servers.HOST, port))
    s.sendall(servers.encode(["SUBSCRIBE", CHANNEL]))
    buf = b""
    while b"\r\n:1\r\n" not in buf:
        buf += s.recv(4096)
    conn.send("ready")
    times, keys = [], []
    buf = b""
    s.settimeout(0.2)
    while len(keys) < nkeys and time.time() < stop_at:
        try:
            data = s.recv(1 << 20)
        except socket.timeout:
            continue
        if not data:
            break
        now = time.time()
        buf += data
        end = 0
        for m in MESSAGE.finditer(buf):  # whole messages; a split one waits for its rest
            times.append(now)
            keys.append(int(m.group(1)))
            end = m.end()
        buf = buf[end:]
    s.close()
    conn.send((times, keys))


def load(port, deadlines_at, nkeys, batch):
    """SET every key with its deadline (deadlines_at(i) in ms) in pipelined batches."""
    with servers.Conn(port, timeout=60) as c:
        for start in range(0, nkeys, batch):
            cmds = [("SET", "key:%d" % i, "v", "PXAT", str(deadlines_at(i)))
                    for i in range(start, min(nkeys, start + batch))]
            payload = b"".join(servers.encode(cmd) for cmd in cmds)
            errors = c.pipeline(payload, len(cmds))
            if errors:
                raise RuntimeError("SET failed: %s" % errors[0])


def percentile(ordered, q):
    return servers.percentile(ordered, q) if ordered else float("nan")


def measure(label, path, extra, args, workdir):
    srv = servers.Server(label, path, extra + ["--notify-keyspace-events", "Ex"], workdir)
    srv.start()
    try:
        n = args.keys
        order = list(range(n))
        random.Random(args.seed).shuffle(order)
        # Calibrate: time a batch of plain SETs to know how long the load takes.
        t0 = time.time()
        with servers.Conn(srv.port) as c:
            cmds = [("SET", "cal:%d" % i, "v") for i in range(min(n, args.batch))]
            c.pipeline(b"".join(servers.encode(x) for x in cmds), len(cmds))
            c.call("FLUSHALL")
        load_s = (time.time() - t0) * n / max(1, min(n, args.batch))
        first_ms = int((time.time() + load_s * 1.5 + args.lead) * 1000)
        step = args.spread * 1000.0 / n
        deadline = [first_ms + int(order[i] * step) for i in range(n)]
        last_s = max(deadline) / 1000.0

        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe()
        p = ctx.Process(target=subscriber, args=(srv.port, n, last_s + args.grace, child))
        p.start()
        if parent.recv() != "ready":
            raise RuntimeError("subscriber did not start")
        load(srv.port, deadline.__getitem__, n, args.batch)
        if time.time() * 1000 > first_ms:
            log("  %s: warning: the load ended after the first deadline" % label)
        times, keys = parent.recv()
        p.join(10)
        delays = sorted((t * 1000 - deadline[k]) for t, k in zip(times, keys))
        return {"events": len(delays), "p50": percentile(delays, 50),
                "p99": percentile(delays, 99), "p999": percentile(delays, 99.9),
                "max": delays[-1] if delays else float("nan")}
    finally:
        srv.stop()


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--keys", type=int, default=100_000, help="keys (default 100000)")
    ap.add_argument("--spread", type=float, default=10.0,
                    help="seconds over which the deadlines are spread (default 10)")
    ap.add_argument("--lead", type=float, default=2.0,
                    help="seconds between the expected end of the load and the first deadline")
    ap.add_argument("--grace", type=float, default=30.0,
                    help="seconds to wait for events after the last deadline (default 30)")
    ap.add_argument("--batch", type=int, default=10000, help="SETs per pipelined batch")
    ap.add_argument("--seed", default="expired-events", help="seed of the shuffle")
    ap.add_argument("--rounds", type=int, default=1, help="runs per server, interleaved")
    ap.add_argument("--redis-args", default=servers.DEFAULT_SERVER_ARGS)
    ap.add_argument("--respite-args", default=servers.DEFAULT_SERVER_ARGS)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    servers.check_binaries(ap, args)
    if args.keys < 1 or args.spread <= 0 or args.batch < 1 or args.rounds < 1:
        ap.error("--keys, --spread, --batch and --rounds must be positive")
    redis_version, redis_short, respite_rev, started, command_line = servers.run_info(args)

    servers.install_cleanup()
    workdir = tempfile.mkdtemp(prefix="respite-expired-events-")
    sides = {"respite": (args.respite, args.respite_args), "redis": (args.redis, args.redis_args)}
    runs = {"respite": [], "redis": []}
    try:
        for r in range(args.rounds):
            for label in ("respite", "redis"):
                path, extra = sides[label]
                log("%s round %d: %d keys expiring over %g s" % (label, r + 1, args.keys,
                                                                   args.spread))
                res = measure(label, path, servers.split_args(extra), args, workdir)
                log("  %s" % res)
                runs[label].append(res)
    finally:
        for s in list(servers._live):
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    def med(label, k):
        v = sorted(x[k] for x in runs[label])
        return v[len(v) // 2]

    rows = [["events received"] + ["%d / %d" % (med(l, "events"), args.keys)
                                   for l in ("respite", "redis")]]
    for k, name in (("p50", "delay p50"), ("p99", "delay p99"), ("p999", "delay p99.9"),
                    ("max", "delay max")):
        rows.append([name + " (ms)"] + ["%.1f" % med(l, k) for l in ("respite", "redis")])
    header_lines = [
        "respite%s vs %s, %s; %s." % (" " + respite_rev if respite_rev else "", redis_short,
                                      started.strftime("%Y-%m-%d %H:%M UTC"),
                                      servers.machine_summary()),
        "%d keys with deadlines evenly spread over %g s (shuffled), notify-keyspace-events Ex; "
        "delay from each deadline to the arrival of its expired event, median of %d round(s)."
        % (args.keys, args.spread, args.rounds),
        "Command: `%s`" % command_line,
    ]
    servers.print_table(header_lines, ["metric", "respite", "redis"], rows, [], args.markdown)


if __name__ == "__main__":
    main()
