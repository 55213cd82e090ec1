#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A noisy neighbour: tenant A writes at full speed while tenant B's latency is measured.

Tenant A (keys `project:A:<n>:<i>`) writes new keys of 1 KB values as fast as the
server takes them: --a-clients processes of one connection each, sending batches of
--a-pipeline SETs (a writer of our own: redis-benchmark stops at the first -OOM). Tenant B
(keys `project:B:k<j>`, 1,000 of them, 100-byte values) is one connection sending a
pipelined batch of --b-pipeline commands (SET and GET in turn) every --b-interval ms,
a modest rate; the time of each batch's round trip is kept. Over a window of --seconds
(after --warmup seconds of A alone) the table gives B's p50 and p99 batch latency and
its ops/s, A's ops/s (SET calls and refusals in INFO commandstats, less B's), and the
server's CPU time per command. Each round starts a fresh server per case, in an order
that turns with the rounds; the table gives the median of the rounds. The cases:

  redis        redis-server (--redis, e.g. the 7.4.1 reference): one tenant slows all
  respite      respite-server without quotas
  +MAXOPS      respite with PROJECT QUOTA A MAXOPS --maxops (A's commands held to it)
  +MAXMEMORY   respite with PROJECT QUOTA A MAXMEMORY --maxmemory (A's writes refused
               -OOM once over it)
  B alone      each server with no A, for reference (skipped with --no-alone)

Examples:
  benchmarks/vs_redis/noisy.py --respite build/respite-server \\
      --redis ../shared/tools/redis-7.4.1/redis-server --markdown
  benchmarks/vs_redis/noisy.py --respite build/respite-server --rounds 1 --seconds 2

A benchmark, not a test: nothing here passes or fails. Loopback only, bounded in time
(about rounds x cases x (seconds + warmup + 1) seconds) and in memory (A writes for
seconds + warmup at most); only the processes started here are stopped, by PID.
"""

import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from servers import log  # noqa: E402

B_KEYS = 1000


def commandstats_set(conn):
    """calls + rejected_calls of SET, from INFO commandstats."""
    text = conn.call("INFO", "commandstats")
    text = text.decode() if isinstance(text, (bytes, bytearray)) else str(text)
    for line in text.split("\r\n"):
        if line.startswith("cmdstat_set:"):
            f = dict(kv.split("=", 1) for kv in line.split(":", 1)[1].split(","))
            return int(f["calls"]) + int(f.get("rejected_calls", 0))
    return 0


class TenantB:
    """One connection sending a pipelined batch of SET/GET every interval, in a thread,
    keeping each batch's round trip (ms) while recording is on."""

    def __init__(self, port, pipeline, interval_ms):
        self.conn = servers.Conn(port, timeout=30.0)
        self.pipeline = pipeline
        self.interval = interval_ms / 1000.0
        self.lat = []
        self.ops = 0
        self.recording = False
        self.done = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _batch(self, j):
        cmds = []
        for i in range(self.pipeline):
            key = b"project:B:k%d" % ((j * self.pipeline + i) % B_KEYS)
            cmds.append((b"SET", key, b"v" * 100) if i % 2 == 0 else (b"GET", key))
        return b"".join(servers.encode(c) for c in cmds)

    def _run(self):
        j = 0
        nxt = time.perf_counter()
        try:
            while not self.done.is_set():
                payload = self._batch(j)
                t = time.perf_counter()
                errors = self.conn.pipeline(payload, self.pipeline)
                if errors:
                    raise RuntimeError("B got %s" % errors[0])
                if self.recording:
                    self.lat.append((time.perf_counter() - t) * 1000)
                    self.ops += self.pipeline
                j += 1
                nxt += self.interval
                now = time.perf_counter()
                if nxt > now:
                    time.sleep(nxt - now)
                else:
                    nxt = now  # late: no catch-up burst, the lost slots show in ops/s
        except Exception as e:  # reported by stop()
            self.error = e

    def stop(self):
        self.done.set()
        self.thread.join(35)
        self.conn.close()
        if self.error:
            raise self.error


def a_writer(port, pipeline, tag):
    """Tenant A's connection, in a process of its own: batches of pipeline SETs of new
    keys (1 KB values), each sent once the previous batch's replies are in, until
    terminated. Error replies (-OOM under MAXMEMORY) do not stop it: a client that
    goes on writing into a full quota is the neighbour to survive."""
    sock = socket.create_connection((servers.HOST, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    value = b"x" * 1024
    n = 0
    while True:
        batch = []
        for _ in range(pipeline):
            key = b"project:A:%d:%d" % (tag, n)
            n += 1
            batch.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1024\r\n%s\r\n"
                         % (len(key), key, value))
        sock.sendall(b"".join(batch))
        lines = 0
        while lines < pipeline:  # each reply is one line: +OK or -OOM ...
            data = sock.recv(1 << 16)
            if not data:
                return
            lines += data.count(b"\n")


def a_load(srv, args):
    """args.a_clients writer processes for tenant A, started."""
    procs = [multiprocessing.Process(target=a_writer, args=(srv.port, args.a_pipeline, i),
                                     daemon=True) for i in range(args.a_clients)]
    for p in procs:
        p.start()
    return procs


def measure(case, path, extra, quota, with_a, args, workdir):
    srv = servers.Server(case.replace(" ", "_"), path, extra, workdir).start()
    a = None
    try:
        with servers.Conn(srv.port, timeout=args.timeout) as conn:
            if quota:
                conn.call("PROJECT", "QUOTA", "A", *quota)
            payload = b"".join(servers.encode((b"SET", b"project:B:k%d" % j, b"v" * 100))
                               for j in range(B_KEYS))
            conn.pipeline(payload, B_KEYS)
            b = TenantB(srv.port, args.b_pipeline, args.b_interval)
            try:
                if with_a:
                    a = a_load(srv, args)
                time.sleep(args.warmup)
                set0, cpu0 = commandstats_set(conn), srv.cpu_ticks()
                b_ops0 = b.ops
                b.recording = True
                t0 = time.monotonic()
                time.sleep(args.seconds)
                b.recording = False
                secs = time.monotonic() - t0
                set1, cpu1 = commandstats_set(conn), srv.cpu_ticks()
            finally:
                for p in a or ():
                    p.terminate()  # our child, by PID
                    p.join(10)
                b.stop()
        b_ops = b.ops - b_ops0
        # B's SETs are half its commands; the rest of the SETs are A's
        a_ops = max(0, (set1 - set0) - (b_ops + 1) // 2)
        lat = sorted(b.lat)
        out = {"b_p50": servers.percentile(lat, 50), "b_p99": servers.percentile(lat, 99),
               "b_ops": b_ops / secs, "a_ops": a_ops / secs,
               "cpu_us": (cpu1 - cpu0) / servers.CLK_TCK * 1e6 / max(1, a_ops + b_ops)}
        log("  %-16s B p50 %.2f ms p99 %.2f ms %.0f ops/s; A %.0f ops/s; %.2f us CPU/op"
            % (case, out["b_p50"], out["b_p99"], out["b_ops"], out["a_ops"], out["cpu_us"]))
        return out
    finally:
        srv.stop()


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3.0, help="the measured window")
    ap.add_argument("--warmup", type=float, default=0.5, help="A alone before the window")
    ap.add_argument("--a-clients", type=int, default=2)
    ap.add_argument("--a-pipeline", type=int, default=64)
    ap.add_argument("--b-pipeline", type=int, default=10)
    ap.add_argument("--b-interval", type=float, default=5.0, help="ms between B's batches")
    ap.add_argument("--maxops", type=int, default=10000, help="A's MAXOPS in the +MAXOPS case")
    ap.add_argument("--maxmemory", type=int, default=16 << 20,
                    help="A's MAXMEMORY (bytes) in the +MAXMEMORY case")
    ap.add_argument("--no-alone", action="store_true", help="skip the B-alone cases")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = servers.parse_pair_args(ap)
    rs = (args.respite, servers.split_args(args.respite_args))
    rd = (args.redis, servers.split_args(args.redis_args))
    cases = [("redis", rd, None, True), ("respite", rs, None, True),
             ("respite +MAXOPS", rs, ("MAXOPS", str(args.maxops)), True),
             ("respite +MAXMEMORY", rs, ("MAXMEMORY", str(args.maxmemory)), True)]
    if not args.no_alone:
        cases += [("redis, B alone", rd, None, False), ("respite, B alone", rs, None, False)]
    res = {c[0]: [] for c in cases}
    with tempfile.TemporaryDirectory(prefix="bench-noisy-") as workdir:
        for r in range(args.rounds):
            log("round %d" % (r + 1))
            k = r % len(cases)
            for name, (path, extra), quota, with_a in cases[k:] + cases[:k]:
                res[name].append(measure(name, path, extra, quota, with_a, args, workdir))
    rows = []
    for name, *_ in cases:
        med = {k: statistics.median(o[k] for o in res[name]) for k in res[name][0]}
        rows.append([name, "%.2f" % med["b_p50"], "%.2f" % med["b_p99"], "%.0f" % med["b_ops"],
                     "%.0f" % med["a_ops"], "%.2f" % med["cpu_us"]])
    servers.print_table(
        ["Noisy neighbour: A writes new 1 KB keys (%d clients, -P %d) while B sends %d "
         "commands (SET/GET) every %.0f ms; medians of %d rounds of %.0f s;"
         % (args.a_clients, args.a_pipeline, args.b_pipeline, args.b_interval, args.rounds,
            args.seconds),
         "+MAXOPS = PROJECT QUOTA A MAXOPS %d, +MAXMEMORY = MAXMEMORY %d;"
         % (args.maxops, args.maxmemory),
         "respite %s, redis %s; %s" % (servers.git_describe(args.respite),
                                       servers.binary_version(args.redis),
                                       servers.machine_summary())],
        ["case", "B p50 ms", "B p99 ms", "B ops/s", "A ops/s", "server CPU us/op"], rows, [],
        args.markdown)


if __name__ == "__main__":
    main()
