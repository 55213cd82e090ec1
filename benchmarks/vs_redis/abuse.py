#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Abusive clients and costly commands, respite-server beside redis-server: issue 10's figures.

Each scenario starts a fresh server of each kind, drives it the way a careless or hostile
client would, and reports what the server did: how far a blocked client's query buffer
grew, how long a killed or idle non-reading client stays, the memory and the stall a huge
reply to a non-reading client costs, the PING latency next to a client that pipelines
without reading, and how long some commands take that Redis bounds (SDIFF against many
sets, HRANDFIELD with a small count, UNLINK and FLUSHALL ASYNC of a big value, SINTERCARD
with LIMIT). Latencies are measured by a probe connection that sends PING about every
millisecond while the abuse runs; memory is the server's peak RSS (VmHWM) above what it
held before the scenario.

Every scenario is bounded in bytes and seconds, talks to 127.0.0.1 only and stops the
servers it started. A benchmark, not a test: nothing here passes or fails.
"""

import os
import select
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from servers import Conn, Probe, encode, log, timed  # noqa: E402


def vm_hwm_kib(pid):
    """Peak RSS of the process in KiB (VmHWM)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def reset_hwm(pid):
    """Reset the peak RSS to the current RSS (Linux: write 5 to clear_refs); False if not
    allowed, in which case peaks are measured from the server's start."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def load(port, commands, batch=1000):
    with Conn(port, timeout=120.0) as c:
        for payload, count in servers.batches(commands, batch):
            errs = c.pipeline(payload, count)
            if errs:
                raise RuntimeError("loading: %s" % errs[0])


def client_ids(conn):
    """{id: fields} of CLIENT LIST."""
    conn.sock.sendall(encode(["CLIENT", "LIST"]))
    while True:
        r = servers.skip_reply(conn.buf, conn.pos)
        if r is not None:
            conn.pos, text = r
            break
        conn._fill()
    out = {}
    for line in text.decode().splitlines():
        f = dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)
        out[int(f["id"])] = f
    return out


def own_id(conn):
    return conn.call("CLIENT", "ID")


def nonreader(port, rcvbuf=4096):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((servers.HOST, port))
    return s


def send_some(sock, payload, seconds):
    """Write payload without blocking for at most `seconds`; returns the bytes written and
    whether the peer closed the connection."""
    sock.setblocking(False)
    view, sent = memoryview(payload), 0
    end = time.monotonic() + seconds
    while sent < len(view) and time.monotonic() < end:
        _, wl, _ = select.select([], [sock], [], 0.05)
        if not wl:
            continue
        try:
            sent += sock.send(view[sent:sent + (1 << 16)])
        except BlockingIOError:
            pass
        except OSError:
            return sent, True
    return sent, False


def wait_gone(ctl, cid, seconds):
    """Seconds until client cid leaves CLIENT LIST, None if it is still there after seconds."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if cid not in client_ids(ctl):
            return time.monotonic() - t0
        time.sleep(0.02)
    return None


# --------------------------------------------------------------------------- scenarios

def sc_blocked_flood(srv, ctl):
    """A client blocked in BLPOP streams SET commands (client-query-buffer-limit 1mb)."""
    ctl.call("CONFIG", "SET", "client-query-buffer-limit", "1mb")
    s = socket.create_connection((servers.HOST, srv.port))
    s.sendall(encode(["BLPOP", "nolist", "0"]))
    time.sleep(0.1)
    one = encode(["SET", "k", "x" * 1000])
    payload = one * (64 * 1024 * 1024 // len(one))
    base = srv.rss_kib()
    sent, closed = send_some(s, payload, 10)
    peak = vm_hwm_kib(srv.pid)
    s.close()
    return {"sent_mb": sent / 1e6, "closed": closed, "rss_growth_mb": (peak - base) / 1024}


def sc_kill_nonreader(srv, ctl):
    """A client that stopped reading (10 KB replies) is killed with CLIENT KILL ID."""
    ctl.call("SET", "big", "v" * 10240)
    cid, _ = _stuck_reader(srv, ctl)
    ctl.call("CLIENT", "KILL", "ID", str(cid))
    gone = wait_gone(ctl, cid, 5)
    return {"gone_after_s": gone}


def sc_timeout_nonreader(srv, ctl):
    """timeout 2: how long a non-reading client with pending output stays."""
    ctl.call("SET", "big", "v" * 10240)
    ctl.call("CONFIG", "SET", "timeout", "2")
    cid, sent_at = _stuck_reader(srv, ctl)
    gone = wait_gone(ctl, cid, 8)
    return {"closed_after_s": None if gone is None else time.monotonic() - sent_at}


def _stuck_reader(srv, ctl):
    """Connect a client that sends GET big 3,000 times and never reads; returns its id and
    when it last sent."""
    before = set(client_ids(ctl))
    s = nonreader(srv.port)
    srv._stuck = s  # keep it open
    send_some(s, encode(["GET", "big"]) * 3000, 2)
    sent_at = time.monotonic()
    time.sleep(0.3)
    new = [i for i in client_ids(ctl) if i not in before]
    return new[0], sent_at


def _huge_reply(srv, ctl, setup, cmd):
    ctl.call("CONFIG", "SET", "client-output-buffer-limit", "normal 64mb 0 0")
    ctl.call(*setup)
    reset_hwm(srv.pid)
    base = srv.rss_kib()
    probe = Probe(srv.port)
    time.sleep(0.05)
    s = nonreader(srv.port)
    s.sendall(encode(cmd))
    time.sleep(3)
    out = probe.stop()
    out["rss_growth_mb"] = (vm_hwm_kib(srv.pid) - base) / 1024
    s.close()
    return out


def sc_srandmember_huge(srv, ctl):
    """SRANDMEMBER tiny -50000000 to a non-reading client (hard limit 64mb)."""
    return _huge_reply(srv, ctl, ["SADD", "tiny", "a", "b", "c"], ["SRANDMEMBER", "tiny", "-50000000"])


def sc_hrandfield_huge(srv, ctl):
    """HRANDFIELD tinyh -30000000 to a non-reading client (hard limit 64mb)."""
    return _huge_reply(srv, ctl, ["HSET", "tinyh", "f", "v"], ["HRANDFIELD", "tinyh", "-30000000"])


def sc_pipeline_fairness(srv, ctl):
    """50,000 pipelined GET of a 10 KB value, never read, next to a PING probe."""
    ctl.call("SET", "big", "v" * 10240)
    probe = Probe(srv.port)
    time.sleep(0.2)
    s = nonreader(srv.port, rcvbuf=1 << 20)
    send_some(s, encode(["GET", "big"]) * 50000, 3)
    time.sleep(0.5)
    out = probe.stop()
    s.close()
    return out


def sc_sdiff(srv, ctl):
    """SDIFF of a 200,000-member set against 3,000 sets of 5 members."""
    load(srv.port, (["SADD", "big"] + ["m%d" % j for j in range(i, i + 1000)]
                    for i in range(0, 200000, 1000)))
    load(srv.port, (["SADD", "s%d" % i] + ["m%d" % (i * 5 + j) for j in range(5)]
                    for i in range(3000)))
    ms, _ = timed(ctl, "SDIFF", "big", *["s%d" % i for i in range(3000)])
    return {"ms": ms}


def sc_hrandfield_one(srv, ctl):
    """HRANDFIELD bigh 1 on a 1,000,000-field hash (median of 5)."""
    load(srv.port, (["HSET", "bigh"] + [x for j in range(i, i + 500) for x in ("f%d" % j, "v")]
                    for i in range(0, 1000000, 500)))
    return {"ms": statistics.median(timed(ctl, "HRANDFIELD", "bigh", "1")[0] for _ in range(5))}


def _free_big(srv, ctl, cmd):
    load(srv.port, (["HSET", "bigh"] + [x for j in range(i, i + 500) for x in ("f%d" % j, "v")]
                    for i in range(0, 1000000, 500)))
    probe = Probe(srv.port)
    time.sleep(0.2)
    ms, _ = timed(ctl, *cmd)
    time.sleep(1.0)
    out = probe.stop()
    out["ms"] = ms
    return out


def sc_unlink_big(srv, ctl):
    """UNLINK of a 1,000,000-field hash: the command's time and the PING stall around it."""
    return _free_big(srv, ctl, ["UNLINK", "bigh"])


def sc_flushall_async(srv, ctl):
    """FLUSHALL ASYNC with one 1,000,000-field hash."""
    return _free_big(srv, ctl, ["FLUSHALL", "ASYNC"])


def sc_sintercard_limit(srv, ctl):
    """SINTERCARD 2 a b LIMIT 1 on two 200,000-member sets (median of 5)."""
    for k in ("a", "b"):
        load(srv.port, (["SADD", k] + ["m%d" % j for j in range(i, i + 1000)]
                        for i in range(0, 200000, 1000)))
    return {"ms": statistics.median(timed(ctl, "SINTERCARD", "2", "a", "b", "LIMIT", "1")[0]
                                    for _ in range(5))}


SCENARIOS = [
    ("blocked_flood", sc_blocked_flood),
    ("kill_nonreader", sc_kill_nonreader),
    ("timeout_nonreader", sc_timeout_nonreader),
    ("srandmember_huge", sc_srandmember_huge),
    ("hrandfield_huge", sc_hrandfield_huge),
    ("pipeline_fairness", sc_pipeline_fairness),
    ("sdiff", sc_sdiff),
    ("hrandfield_one", sc_hrandfield_one),
    ("unlink_big", sc_unlink_big),
    ("flushall_async", sc_flushall_async),
    ("sintercard_limit", sc_sintercard_limit),
]


def median(values):
    """The median of a figure's rounds; "ERR" when no round gave one. A figure that is
    "never" (None) in some rounds counts as the largest."""
    if not values:
        return "ERR"
    if isinstance(values[0], bool):
        return sorted(values)[len(values) // 2]
    ordered = sorted(values, key=lambda v: (v is None, v or 0))
    return ordered[len(ordered) // 2]


def fmt(v):
    if v == "ERR":
        return v
    if v is None:
        return "never"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return "%.3g" % v if abs(v) < 10 else "%.0f" % v
    return str(v)


def main():
    ap = servers.arg_parser(__doc__, "Scenarios:\n" + "\n".join(
        "  %-18s %s" % (n, f.__doc__) for n, f in SCENARIOS))
    ap.add_argument("--redis74", help="path of a Redis 7.4 redis-server, measured as a third column")
    ap.add_argument("--only", help="comma-separated scenario names (default: all)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each scenario (default 3)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    servers.check_binaries(ap, args)
    servers.install_cleanup()
    sides = [("respite", args.respite), ("redis", args.redis)]
    if args.redis74:
        sides.append(("redis74", args.redis74))
    only = set(args.only.split(",")) if args.only else None
    rows = []
    with tempfile.TemporaryDirectory(prefix="abuse-") as workdir:
        for name, fn in SCENARIOS:
            if only and name not in only:
                continue
            # results[label][figure]: one value a round; the rounds interleave the servers
            results = {label: {} for label, _ in sides}
            for rnd in range(args.rounds):
                for label, path in sides:
                    log("%s: %s, round %d" % (name, label, rnd + 1))
                    srv = servers.Server(label, path,
                                         servers.split_args(servers.DEFAULT_SERVER_ARGS),
                                         workdir).start()
                    try:
                        with Conn(srv.port, timeout=60.0) as ctl:
                            for m, v in fn(srv, ctl).items():
                                results[label].setdefault(m, []).append(v)
                    except Exception as e:  # a failed scenario is reported, the rest go on
                        log("  %s failed: %s" % (label, e))
                    finally:
                        s = getattr(srv, "_stuck", None)
                        if s:
                            s.close()
                        srv.stop()
            metrics = []
            for r in results.values():
                metrics += [m for m in r if m not in metrics]
            for m in metrics:
                rows.append([name, m] + [fmt(median(results[label].get(m)))
                                         for label, _ in sides])
    header = ["scenario", "figure"] + [label for label, _ in sides]
    header_lines = ["respite vs redis-server under abusive clients (benchmarks/vs_redis/abuse.py),",
                    "median of %d interleaved rounds," % args.rounds, servers.machine_summary()]
    servers.print_table(header_lines, header, rows, [], args.markdown)


if __name__ == "__main__":
    main()
