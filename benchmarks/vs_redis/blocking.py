#!/usr/bin/env python3
"""Blocking pops side by side: N clients in BLPOP on distinct keys, one producer
LPUSHing to random keys; pushes delivered per second and server CPU per delivery,
for respite-server and redis-server, interleaved rounds, medians.

Each consumer connection sends `BLPOP bq:<i> 0` and, as soon as it is served,
sends it again. The producer pipelines `LPUSH bq:<random> x`, keeping at most
--backlog pushes not yet delivered, so most pushes find their consumer blocked
(the path under test) rather than a list already waiting. A round starts a fresh
server, blocks every consumer (INFO blocked_clients == N), then measures for
--seconds: deliveries counted by the consumers, server CPU from /proc/<pid>/stat.

The client is one Python process: with many deliveries per second it may be the
bottleneck, so the ops/s ratio can understate the faster server; server CPU per
delivery is the figure that shows each server's own cost. Loopback only, bounded
in time; only the servers started here are stopped, by PID.

Example:
  benchmarks/vs_redis/blocking.py --respite build-rel/respite-server --taskset
"""

import datetime
import random
import resource
import selectors
import shlex
import socket
import statistics
import sys
import tempfile
import time

import servers


def wait_blocked(port, n, timeout):
    """Wait until the server reports n blocked clients."""
    deadline = time.monotonic() + timeout
    with servers.Conn(port, timeout=5.0) as c:
        while time.monotonic() < deadline:
            info = c.call("INFO", "clients")
            for line in info.decode().splitlines() if isinstance(info, bytes) else []:
                if line.startswith("blocked_clients:") and int(line.split(":")[1]) >= n:
                    return
            time.sleep(0.05)
    raise RuntimeError("only some of %d clients blocked within %.0f s" % (n, timeout))


def measure(srv, args):
    """One round against a started server: (deliveries per second, CPU us per delivery)."""
    sel = selectors.DefaultSelector()
    consumers = []
    blpop = [servers.encode(["BLPOP", "bq:%d" % i, "0"]) for i in range(args.clients)]
    for i in range(args.clients):
        s = socket.create_connection((servers.HOST, srv.port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(blpop[i])
        s.setblocking(False)
        consumers.append(s)
        sel.register(s, selectors.EVENT_READ, (i, bytearray()))
    wait_blocked(srv.port, args.clients, 30.0)

    prod = socket.create_connection((servers.HOST, srv.port), timeout=10)
    prod.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    prod.setblocking(False)
    sel.register(prod, selectors.EVENT_READ, (-1, bytearray()))
    rng = random.Random(7)
    pushes = [servers.encode(["LPUSH", "bq:%d" % i, "x"]) for i in range(args.clients)]

    pushed = delivered = acked = 0
    t0 = time.monotonic()
    end = t0 + args.seconds
    ticks0 = srv.cpu_ticks()
    while True:
        now = time.monotonic()
        if now >= end:
            break
        room = args.backlog - (pushed - delivered)
        if room > 0 and pushed - acked < 4 * args.backlog:
            batch = b"".join(pushes[rng.randrange(args.clients)] for _ in range(room))
            prod.sendall(batch)
            pushed += room
        for key, _ in sel.select(timeout=0.01):
            i, buf = key.data
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                raise RuntimeError("the server closed a connection")
            buf += data
            pos = 0
            while True:
                r = servers.skip_reply(buf, pos)
                if r is None:
                    break
                pos = r[0]
                if i < 0:
                    acked += 1
                else:
                    delivered += 1
                    key.fileobj.sendall(blpop[i])
            del buf[:pos]
    elapsed = time.monotonic() - t0
    ticks = srv.cpu_ticks() - ticks0
    for s in consumers + [prod]:
        sel.unregister(s)
        s.close()
    sel.close()
    rate = delivered / elapsed
    cpu_us = ticks * 1e6 / servers.CLK_TCK / delivered if delivered else None
    return rate, cpu_us, ticks


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--clients", type=int, default=1000, help="blocked consumers (default 1000)")
    ap.add_argument("--seconds", type=float, default=5.0, help="measured seconds per round (default 5)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per server, interleaved (default 3)")
    ap.add_argument("--backlog", type=int, default=100,
                    help="most pushes not yet delivered at any time (default 100)")
    ap.add_argument("--taskset", action="store_true",
                    help="pin the server to CPU 0 (this client runs where the OS puts it)")
    ap.add_argument("--redis-args", default=servers.DEFAULT_SERVER_ARGS)
    ap.add_argument("--respite-args", default=servers.DEFAULT_SERVER_ARGS)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table for a README")
    args = ap.parse_args()
    servers.check_binaries(ap, args)
    if args.clients < 1 or args.rounds < 1 or args.backlog < 1 or args.seconds <= 0:
        ap.error("--clients, --rounds, --backlog and --seconds must be positive")

    # One descriptor per consumer here and in the server (which inherits it).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.clients + 256
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            ap.error("--clients %d needs %d file descriptors; the hard limit is %d"
                     % (args.clients, need, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

    servers.install_cleanup()
    workdir = tempfile.mkdtemp(prefix="respite-blocking-")
    # Each consumer is a file descriptor on both sides.
    extra = ["--maxclients", str(args.clients + 100)]
    sides = [("respite", args.respite, servers.split_args(args.respite_args) + extra),
             ("redis", args.redis, servers.split_args(args.redis_args) + extra)]
    results = {name: [] for name, _, _ in sides}
    for rnd in range(args.rounds):
        order = sides if rnd % 2 == 0 else list(reversed(sides))
        for name, path, flags in order:
            srv = servers.Server(name, path, flags, workdir, cpu=0 if args.taskset else None).start()
            try:
                rate, cpu_us, ticks = measure(srv, args)
            finally:
                srv.stop()
            servers.log("round %d %-7s %9.0f deliveries/s  %s us CPU/delivery  (%d ticks)"
                        % (rnd + 1, name, rate, "%.2f" % cpu_us if cpu_us else "-", ticks))
            results[name].append((rate, cpu_us))

    def med(name, k):
        vals = [r[k] for r in results[name] if r[k] is not None]
        return statistics.median(vals) if vals else None

    header_lines = [
        "BLPOP with %d blocked clients on distinct keys, a producer LPUSHing to random keys "
        "(at most %d undelivered), %d x %g s rounds, medians; %s; %s."
        % (args.clients, args.backlog, args.rounds, args.seconds, servers.machine_summary(),
           datetime.date.today().isoformat()),
        "Command: " + shlex.join(sys.argv),
    ]
    r_rate, p_rate = med("redis", 0), med("respite", 0)
    r_cpu, p_cpu = med("redis", 1), med("respite", 1)
    rows = [["deliveries/s", "%.0f" % p_rate, "%.0f" % r_rate, servers.fmt_ratio(p_rate, r_rate)],
            ["server CPU us/delivery", "%.2f" % p_cpu if p_cpu else "-",
             "%.2f" % r_cpu if r_cpu else "-", servers.fmt_ratio(p_cpu, r_cpu)]]
    servers.print_table(header_lines, ["", "respite", "redis-server", "respite/redis"], rows, [],
                        args.markdown)


if __name__ == "__main__":
    main()
