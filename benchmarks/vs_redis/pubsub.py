#!/usr/bin/python3
"""Pub/Sub side by side: fan-out to 1,000 subscribers, and PUBLISH with no subscribers.

Fan-out: --subscribers connections (1,000) subscribe to one of --channels channels each
(`ch:<i % channels>`), and some of them also to one of --patterns patterns (see below).
One publisher
pipelines `PUBLISH ch:<random> <payload>`, keeping at most --backlog publishes
unanswered; the PUBLISH replies (receivers) are summed into deliveries. The subscribers
are drained by a second process (so the publisher is not starved), which only counts
bytes. Reported: deliveries per second, and server CPU per delivery (/proc/<pid>/stat
around the measured seconds), the figure that shows each server's own cost, split into
user and system time, and the server's write(2)-family calls per delivery (/proc/<pid>/io
syscw): what the kernel's share of the cost scales with.

Delivery latency: --probes subscribers (10) are read by a third process that does nothing
else, and every message carries the CLOCK_MONOTONIC time its publish was
sent (`T<19 digits>` at the start of the payload); the probe notes the time each message
arrives. Reported: p50 and p99 of publish-to-receive, under the saturating fan-out above,
and under paced loads: each rate of --paced (publishes a second) for --paced-seconds, each
publish sent alone and its reply awaited. A server writes the subscribers of a loop turn
in some order, so where a probe sits in it changes its latency: all subscribers connect and
subscribe one after the other from this process (the children inherit their sockets), and
the probes are spread through that order (subscribers 0, 101, 202, ... 909 by default: one
a channel, at places 1 to 10 of its subscribers).

Patterns: subscriber j < patterns * per_pattern holds `ch:<j % patterns>*`, with
per_pattern = subscribers / channels (10 by default), so each pattern has as many
subscribers as a channel and `ch:3*` matches ch:3 and ch:30..ch:39.

No subscribers: redis-benchmark -P 16 -c 50 sending `PUBLISH ch:nobody <payload>` (or
loadgen.c with --client loadgen: it spends less of its core a publish, so the load is
less often what limits a fast server; see benchmarks/README.md), pinned to CPU 1 with
--taskset: ops/s and server CPU per publish.

Memory per subscription: one connection subscribes to --mem-channels channels
(`sub:<i>`, 1,000 a command) and as many patterns (`pat:<i>*`); the server's RSS growth
divided by the subscriptions, each kind apart.

Rounds alternate which server goes first; medians are reported. Loopback only, bounded in
time; only the servers started here are stopped, by PID.

Example:
  benchmarks/vs_redis/pubsub.py --respite build/respite-server \\
      --redis ../shared/tools/redis-7.4.1/redis-server --taskset
"""

import datetime
import multiprocessing
import os
import random
import re
import resource
import selectors
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import servers


STAMP = re.compile(rb"T(\d{19})")


def subscribe(port, args):
    """Every subscriber, connected and subscribed in turn (non-blocking sockets):
    (the drained ones, the probes)."""
    per_pattern = max(1, args.subscribers // args.channels)
    every = args.subscribers // args.probes
    probes = {k * every + k % every for k in range(args.probes)}
    drained, probed = [], []
    for j in range(args.subscribers):
        s = socket.create_connection((servers.HOST, port), timeout=10)
        cmd = servers.encode(["SUBSCRIBE", "ch:%d" % (j % args.channels)])
        if j < args.patterns * per_pattern:
            cmd += servers.encode(["PSUBSCRIBE", "ch:%d*" % (j % args.patterns)])
        s.sendall(cmd)
        s.setblocking(False)
        (probed if j in probes else drained).append(s)
    return drained, probed


def selector(socks):
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ, bytearray())
    return sel


def drain_subscribers(socks, stop):
    """Child process: read the subscribers socks until told to stop."""
    sel = selector(socks)
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.05):
            try:
                if not key.fileobj.recv(1 << 20):
                    raise SystemExit("the server closed a subscriber")
            except BlockingIOError:
                pass


def probe_subscribers(socks, stop, phase, out):
    """Child process: read the probes socks until told to stop; sends out, for each phase
    (the value of `phase` when the message came, -1 for none), the sorted
    publish-to-receive delays in ms of the messages stamped by the publisher."""
    sel = selector(socks)
    lat = {}
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.05):
            try:
                data = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            now = time.monotonic_ns()
            if not data:
                raise SystemExit("the server closed a subscriber")
            buf = key.data
            buf += data
            end = 0
            got = lat.setdefault(phase.value, [])
            for m in STAMP.finditer(buf):
                got.append((now - int(m.group(1))) / 1e6)
                end = m.end()
            # A stamp cut by the read is found whole next time.
            del buf[:max(end, len(buf) - 20)]
    out.send({k: sorted(v) for k, v in lat.items()})


def wait_subscribed(port, want, timeout=60.0):
    deadline = time.monotonic() + timeout
    with servers.Conn(port, timeout=5.0) as c:
        while time.monotonic() < deadline:
            info = c.call("INFO", "clients")
            m = re.search(rb"pubsub_clients:(\d+)", info if isinstance(info, bytes) else b"")
            if m and int(m.group(1)) >= want:
                return
            time.sleep(0.05)
    raise RuntimeError("subscribers did not all subscribe within %.0f s" % timeout)


def proc_counters(pid):
    """(utime, stime in clock ticks, write syscalls) of the whole process."""
    user, system = servers.cpu_split(pid)
    with open("/proc/%d/io" % pid) as f:
        io = dict(line.split(": ") for line in f.read().splitlines())
    return user, system, int(io["syscw"])


class Publisher:
    """The publisher's connection; its publishes are stamped with the time they are
    sent, and their replies (receivers) summed into deliveries."""

    def __init__(self, port, args):
        self.sock = socket.create_connection((servers.HOST, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rng = random.Random(7)
        self.channels = args.channels
        # Everything of `PUBLISH ch:<i> <payload>` before the payload's stamp.
        self.heads = [b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\nch:%d\r\n$%d\r\n"
                      % (len(b"ch:%d" % i), i, args.payload) for i in range(args.channels)]
        self.pad = b"x" * (args.payload - 20) + b"\r\n"
        self.sent = self.answered = self.deliveries = 0
        self.buf = bytearray()

    def send(self, count):
        tail = b"T%019d" % time.monotonic_ns() + self.pad
        self.sock.sendall(b"".join(self.heads[self.rng.randrange(self.channels)] + tail
                                   for _ in range(count)))
        self.sent += count

    def read(self):
        self.buf += self.sock.recv(1 << 16)
        for m in re.finditer(rb":(\d+)\r\n", self.buf):
            self.deliveries += int(m.group(1))
            self.answered += 1
        del self.buf[:self.buf.rfind(b"\r\n") + 2]

    def read_all(self):
        while self.answered < self.sent:
            self.read()


def fanout(srv, args):
    """(deliveries per second, server CPU us per delivery, user us per delivery, system us
    per delivery, write syscalls per delivery, p50 and p99 ms publish-to-receive under the
    fan-out, then p50 and p99 ms under each paced load)."""
    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    phase = ctx.Value("i", -1, lock=False)
    got, sent_lat = ctx.Pipe(duplex=False)
    drained, probed = subscribe(srv.port, args)
    child = ctx.Process(target=drain_subscribers, args=(drained, stop))
    probe = ctx.Process(target=probe_subscribers, args=(probed, stop, phase, sent_lat))
    child.start()
    probe.start()
    for s in drained + probed:
        s.close()  # the children's now
    try:
        wait_subscribed(srv.port, args.subscribers)
        pub = Publisher(srv.port, args)
        phase.value = 0
        t0 = time.monotonic()
        end = t0 + args.seconds
        user0, sys0, writes0 = proc_counters(srv.proc.pid)
        while time.monotonic() < end:
            room = args.backlog - (pub.sent - pub.answered)
            if room > 0:
                pub.send(room)
            pub.read()
        elapsed = time.monotonic() - t0
        user1, sys1, writes1 = proc_counters(srv.proc.pid)
        deliveries = pub.deliveries
        pub.read_all()
        time.sleep(0.2)  # the last messages reach the probes
        for k, rate in enumerate(args.paced):
            phase.value = k + 1
            due = time.monotonic()
            for _ in range(int(rate * args.paced_seconds)):
                due += 1.0 / rate
                pub.send(1)
                pub.read_all()
                time.sleep(max(0.0, due - time.monotonic()))
            time.sleep(0.2)
        pub.sock.close()
    finally:
        stop.set()
        lat = got.recv() if got.poll(30) else {}
        for proc in (child, probe):
            proc.join(30)
            if proc.is_alive():
                proc.terminate()
    if child.exitcode not in (0, None) or probe.exitcode not in (0, None):
        raise RuntimeError("a subscriber was disconnected")
    us = 1e6 / servers.CLK_TCK / deliveries
    user, system = (user1 - user0) * us, (sys1 - sys0) * us
    out = [deliveries / elapsed, user + system, user, system, (writes1 - writes0) / deliveries]
    for k in range(len(args.paced) + 1):
        out += [servers.percentile(lat.get(k, []), 50), servers.percentile(lat.get(k, []), 99)]
    return tuple(out)


def subscription_memory(srv, args):
    """(RSS bytes per channel subscription, per pattern subscription)."""
    n = args.mem_channels
    out = []
    with socket.create_connection((servers.HOST, srv.port), timeout=60) as s:
        for verb, name in (("SUBSCRIBE", "sub:%d"), ("PSUBSCRIBE", "pat:%d*")):
            time.sleep(0.5)
            before = srv.rss_kib()
            for first in range(0, n, 1000):
                s.sendall(servers.encode([verb] + [name % i for i in range(first, min(n, first + 1000))]))
            want, got = b":%d\r\n" % (len(out) * n + n), bytearray()
            while not got.endswith(want):
                got += s.recv(1 << 20)
                del got[:max(0, len(got) - 64)]
            time.sleep(0.5)
            out.append((srv.rss_kib() - before) * 1024 / n)
    return tuple(out)


def no_subscribers(srv, args):
    """(publishes per second, server CPU us per publish) with -P 16 from the load client."""
    common = ["-h", servers.HOST, "-p", str(srv.port), "-c", "50", "-P", "16",
              "-n", str(args.requests)]
    publish = ["PUBLISH", "ch:nobody", "x" * args.payload]
    if args.client == "loadgen":
        cmd = [args.loadgen] + common + ["-t", "command", "--"] + publish
    else:
        cmd = [args.redis_benchmark] + common + ["-q", "--csv"] + publish
    if args.taskset:
        cmd = ["taskset", "-c", "1"] + cmd
    ticks0 = srv.cpu_ticks()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
    ticks = srv.cpu_ticks() - ticks0
    rps = float(out.strip().splitlines()[-1].split(",")[1].strip('"'))
    return rps, ticks * 1e6 / servers.CLK_TCK / args.requests


def main():
    ap = servers.arg_parser(__doc__)
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--channels", type=int, default=100)
    ap.add_argument("--patterns", type=int, default=10)
    ap.add_argument("--payload", type=int, default=32,
                    help="message bytes, 20 at least (default 32)")
    ap.add_argument("--probes", type=int, default=10,
                    help="subscribers whose delivery latency is measured (default 10)")
    ap.add_argument("--paced", default="1000,4000",
                    help="publishes a second of the paced loads, comma-separated (default "
                    "1000,4000)")
    ap.add_argument("--paced-seconds", type=float, default=2.0)
    ap.add_argument("--backlog", type=int, default=64, help="unanswered publishes at most")
    ap.add_argument("--seconds", type=float, default=5.0, help="measured seconds per round")
    ap.add_argument("--requests", type=int, default=2000000,
                    help="publishes of the no-subscriber run (default 2,000,000)")
    ap.add_argument("--mem-channels", type=int, default=100000,
                    help="channels and patterns one connection subscribes to (default 100,000)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--taskset", action="store_true", help="pin each server to CPU 0")
    ap.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark"))
    ap.add_argument("--client", choices=["redis-benchmark", "loadgen"], default="redis-benchmark",
                    help="the load of the no-subscriber run (default redis-benchmark)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"),
                    help="C compiler that builds loadgen.c (default: $CC or cc)")
    ap.add_argument("--redis-args", default=servers.DEFAULT_SERVER_ARGS)
    ap.add_argument("--respite-args", default=servers.DEFAULT_SERVER_ARGS)
    ap.add_argument("--fanout-only", action="store_true",
                    help="skip the no-subscriber and memory measures")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    args.paced = [float(r) for r in args.paced.split(",") if r]
    if args.payload < 20 or not 0 < args.probes < args.subscribers:
        ap.error("--payload must be 20 at least, --probes between 1 and --subscribers - 1")
    servers.check_binaries(ap, args)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.subscribers + 256
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    servers.install_cleanup()
    workdir = tempfile.mkdtemp(prefix="respite-pubsub-")
    if args.client == "loadgen" and not args.fanout_only:
        args.loadgen = servers.build_loadgen(args.cc, workdir)
    extra = ["--maxclients", str(args.subscribers + 100)]
    sides = [("respite", args.respite, servers.split_args(args.respite_args) + extra),
             ("redis", args.redis, servers.split_args(args.redis_args) + extra)]
    res = {name: {"fan": [], "none": [], "mem": []} for name, _, _ in sides}
    try:
        for rnd in range(args.rounds):
            for name, path, flags in (sides if rnd % 2 == 0 else sides[::-1]):
                srv = servers.Server(name, path, flags, workdir,
                                     cpu=0 if args.taskset else None).start()
                try:
                    fan = fanout(srv, args)
                    none = (0.0, 0.0) if args.fanout_only else no_subscribers(srv, args)
                    mem = (0.0, 0.0) if args.fanout_only else subscription_memory(srv, args)
                finally:
                    srv.stop()
                servers.log("round %d %-7s fan-out %9.0f deliveries/s %.3f us CPU/delivery (user "
                            "%.3f, system %.3f, %.3f writes), latency p50/p99 ms %s; no "
                            "subscribers %9.0f publishes/s %.3f us CPU/publish"
                            % ((rnd + 1, name) + fan[:5] + (
                                " ".join("%.2f/%.2f" % fan[i:i + 2] for i in range(5, len(fan), 2)),)
                               + none))
                res[name]["fan"].append(fan)
                res[name]["none"].append(none)
                res[name]["mem"].append(mem)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    def med(name, what, k):
        return statistics.median(r[k] for r in res[name][what])

    figures = [("fan-out deliveries/s", "fan", 0, "%.0f"),
               ("fan-out server CPU us/delivery", "fan", 1, "%.3f"),
               ("  of which user", "fan", 2, "%.3f"),
               ("  of which system", "fan", 3, "%.3f"),
               ("fan-out write syscalls/delivery", "fan", 4, "%.3f"),
               ("fan-out publish-to-receive p50 ms", "fan", 5, "%.2f"),
               ("fan-out publish-to-receive p99 ms", "fan", 6, "%.2f")]
    for k, rate in enumerate(args.paced):
        for j, q in enumerate(("p50", "p99")):
            figures.append(("%.0f publishes/s paced: publish-to-receive %s ms" % (rate, q),
                            "fan", 7 + 2 * k + j, "%.2f"))
    figures += [("PUBLISH, no subscribers, -P 16: ops/s", "none", 0, "%.0f"),
                ("PUBLISH, no subscribers: server CPU us/op", "none", 1, "%.3f"),
                ("RSS bytes per channel subscription", "mem", 0, "%.0f"),
                ("RSS bytes per pattern subscription", "mem", 1, "%.0f")]
    rows = []
    for label, what, k, fmt in figures:
        if args.fanout_only and what != "fan":
            continue
        p, r = med("respite", what, k), med("redis", what, k)
        rows.append([label, fmt % p, fmt % r, servers.fmt_ratio(p, r)])
    none_by = ("" if args.fanout_only else "; PUBLISH with no subscribers by %s -P 16 -c 50%s"
               % (args.client, " on CPU 1" if args.taskset else ""))
    header = [
        "Pub/Sub: %d subscribers over %d channels and %d patterns, 1 publisher (%d-byte "
        "messages, at most %d unanswered; paced loads: one publish at a time)%s%s; %d rounds, "
        "medians; %s; %s."
        % (args.subscribers, args.channels, args.patterns, args.payload, args.backlog, none_by,
           "; servers on CPU 0" if args.taskset else "",
           args.rounds, servers.machine_summary(), datetime.date.today().isoformat()),
        "Command: " + shlex.join(sys.argv),
    ]
    servers.print_table(header, ["", "respite", "redis-server", "respite/redis"], rows, [],
                        args.markdown)


if __name__ == "__main__":
    main()
