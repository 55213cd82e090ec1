"""Shared helpers for the respite-vs-redis benchmark scripts (stdlib only).

- Server: start a redis-compatible server binary on a free 127.0.0.1 port,
  wait until it answers PING, read its CPU time and RSS from /proc, stop it.
  Only processes started here are ever signalled, by PID.
- encode()/Conn: a minimal RESP client over a raw socket, good enough for
  readiness checks and for loading data with large pipelines.
- timed()/Probe: the latency of one command, and a thread that PINGs about
  every millisecond and keeps every round trip.

Not a test helper: nothing here is run by ctest.
"""

import argparse
import atexit
import datetime
import os
import re
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Flags passed to both servers unless overridden on the command line.
DEFAULT_SERVER_ARGS = "--save '' --appendonly no"

_live = []  # Server objects with a running process, for cleanup at exit


def _cleanup():
    for srv in list(_live):
        srv.stop()


def install_cleanup():
    """Stop our servers on normal exit, on exceptions and on SIGTERM/SIGHUP/SIGINT."""
    atexit.register(_cleanup)

    def on_signal(signum, _frame):
        # Raising unwinds through subprocess.run (which kills its own child)
        # and then runs the atexit handler above.
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)


def _set_pdeathsig():
    """In the child before exec: get SIGTERM if the harness dies (even by SIGKILL)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass


def child_preexec():
    _set_pdeathsig()


def free_port():
    """A port that was free on 127.0.0.1 a moment ago (the server start verifies it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def split_args(text):
    return shlex.split(text) if text else []


def cpu_split(pid):
    """(utime, stime) of the whole process (all its threads) in clock ticks (1/CLK_TCK s),
    from /proc/<pid>/stat: its own code's time and the kernel's on its behalf."""
    with open("/proc/%d/stat" % pid, "rb") as f:
        data = f.read()
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = data[data.rindex(b")") + 2:].split()
    return int(fields[11]), int(fields[12])        # utime, stime: fields 14 and 15 of proc(5)


def cpu_ticks(pid):
    """utime+stime of the whole process in clock ticks."""
    return sum(cpu_split(pid))


def rss_kib(pid):
    """VmRSS of the process in KiB, from /proc/<pid>/status."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/%d/status" % pid)


def binary_version(path):
    """First line of `PATH --version` for redis-server; None if it fails.

    Only call this for a binary known to understand --version (redis-server):
    an unknown binary might start listening instead."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5,
                             stdin=subprocess.DEVNULL)
        line = out.stdout.strip().splitlines()[0] if out.stdout.strip() else ""
        return line or None
    except Exception:
        return None


def git_describe(path):
    """Short commit of the git work tree a binary lives in (e.g. build/respite-server), or None."""
    d = os.path.dirname(os.path.realpath(path))
    try:
        out = subprocess.run(["git", "-C", d, "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except Exception:
        pass
    return None


def run_info(args):
    """What a results header says about a run: (redis-server's --version line, its short
    form "redis-server 7.0.15 (jemalloc-5.3.0)", respite's git revision or None, the start
    time in UTC, the command line)."""
    redis_version = binary_version(args.redis) or "unknown version"
    m = re.search(r"v=(\S+).*?malloc=(\S+)", redis_version)
    redis_short = ("redis-server %s (%s)" % m.groups()) if m else redis_version
    return (redis_version, redis_short, git_describe(args.respite),
            datetime.datetime.now(datetime.timezone.utc), shlex.join(sys.argv))


def machine_summary():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d CPUs, Linux %s" % (model, os.cpu_count() or 0, os.uname().release)


# --------------------------------------------------------------------------- RESP

def encode(args):
    """One command as a RESP array of bulk strings. args: bytes or str items."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def batches(commands, size):
    """Encode commands into (payload, count) batches of `size` commands, for Conn.pipeline."""
    buf, count = [], 0
    for cmd in commands:
        buf.append(encode(cmd))
        count += 1
        if count == size:
            yield b"".join(buf), count
            buf, count = [], 0
    if count:
        yield b"".join(buf), count


def skip_reply(buf, pos):
    """Parse one reply at buf[pos:]. Returns (end, value) or None if incomplete.

    value is the decoded top-level reply for simple types (str for +, int for :,
    bytes for $, an Error for - and !); None for aggregates and nulls."""
    if pos >= len(buf):
        return None
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    t = buf[pos]
    line = buf[pos + 1:nl]
    if t == 43:                                      # + simple string
        return nl + 2, bytes(line).decode("latin-1")
    if t == 45:                                      # - error
        return nl + 2, Error(bytes(line).decode("latin-1"))
    if t == 58:                                      # : integer
        return nl + 2, int(line)
    if t in (44, 35, 95, 40):                        # , # _ ( (RESP3 scalars)
        return nl + 2, bytes(line).decode("latin-1")
    if t in (36, 61, 33):                            # $ bulk, = verbatim, ! blob error
        n = int(line)
        if n < 0:
            return nl + 2, None
        end = nl + 2 + n + 2
        if end > len(buf):
            return None
        body = bytes(buf[nl + 2:nl + 2 + n])
        return end, (Error(body.decode("latin-1")) if t == 33 else body)
    if t in (42, 126, 62, 37, 124):                  # * array, ~ set, > push, % map, | attr
        n = int(line)
        if t in (37, 124):
            n *= 2
        p = nl + 2
        for _ in range(max(n, 0)):
            r = skip_reply(buf, p)
            if r is None:
                return None
            p = r[0]
        return p, None
    raise ProtocolError("unexpected reply type byte %r at offset %d" % (chr(t), pos))


class Error(str):
    """An error reply from the server."""


class ProtocolError(Exception):
    pass


class Conn:
    """Blocking-with-timeout RESP connection with a pipelined batch runner."""

    def __init__(self, port, timeout=30.0):
        self.timeout = timeout
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def _compact(self):
        if self.pos > (1 << 20):
            del self.buf[:self.pos]
            self.pos = 0

    def call(self, *args):
        """Send one command and return its (simple) reply value."""
        self.sock.sendall(encode(args))
        while True:
            r = skip_reply(self.buf, self.pos)
            if r is not None:
                self.pos, value = r
                self._compact()
                return value
            self._fill()

    def pipeline(self, payload, count, max_errors=5):
        """Write `payload` (count encoded commands) while reading replies as they come.

        Writing and reading are interleaved with select() so that neither side can
        block the other however big the batch is. Returns a list of at most
        max_errors error replies (an empty list when all commands succeeded)."""
        errors = []
        view = memoryview(payload)
        sent, got = 0, 0
        sock = self.sock
        sock.setblocking(False)
        deadline = time.monotonic() + self.timeout
        try:
            while got < count:
                # A complete reply may already be buffered.
                while got < count:
                    r = skip_reply(self.buf, self.pos)
                    if r is None:
                        break
                    self.pos, value = r
                    got += 1
                    if isinstance(value, Error) and len(errors) < max_errors:
                        errors.append(value)
                if got >= count:
                    break
                want_write = [sock] if sent < len(view) else []
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no complete reply batch within %.0f s (%d/%d replies)"
                                       % (self.timeout, got, count))
                rl, wl, _ = select.select([sock], want_write, [], left)
                if wl:
                    try:
                        sent += sock.send(view[sent:sent + (1 << 18)])
                    except BlockingIOError:
                        pass
                if rl:
                    try:
                        data = sock.recv(1 << 20)
                    except BlockingIOError:
                        data = None
                    if data is not None:
                        if not data:
                            raise ConnectionError("server closed the connection after %d/%d replies"
                                                  % (got, count))
                        self.buf += data
                        deadline = time.monotonic() + self.timeout
                self._compact()
        finally:
            sock.settimeout(self.timeout)
        if sent < len(view):
            raise ProtocolError("server replied to %d commands before receiving all of them" % count)
        return errors


# --------------------------------------------------------------------------- probes

def timed(conn, *args):
    """Send one command on conn and wait for its reply: (milliseconds, reply value)."""
    t = time.perf_counter()
    conn.sock.sendall(encode(args))
    while True:
        r = skip_reply(conn.buf, conn.pos)
        if r is not None:
            conn.pos = r[0]
            return (time.perf_counter() - t) * 1000, r[1]
        conn._fill()


class Probe:
    """A connection that PINGs about every millisecond in a thread and keeps each round
    trip's latency in ms, until stop()."""

    def __init__(self, port):
        self.conn = Conn(port, timeout=30.0)
        self.lat = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            t = time.perf_counter()
            try:
                self.conn.call("PING")
            except (OSError, ProtocolError):
                break
            self.lat.append((time.perf_counter() - t) * 1000)
            time.sleep(0.001)

    def stop(self):
        """Stop pinging; returns the maximum and p99 round trip in ms (None without any),
        and leaves every round trip, sorted, in self.lat."""
        self.done.set()
        self.thread.join(35)
        self.conn.close()
        self.lat.sort()
        return {"ping_max_ms": percentile(self.lat, 100), "ping_p99_ms": percentile(self.lat, 99)}


def percentile(ordered, q):
    """The q-th percentile (0 < q <= 100) of a sorted list, nearest rank; None if it is empty."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


# --------------------------------------------------------------------------- Server

class ServerError(Exception):
    pass


class Server:
    """One server process on a free port of 127.0.0.1.

    path: the binary (respite-server or redis-server); extra: list of extra flags;
    cpu: CPU number to pin it to with taskset, or None; workdir: its cwd and log dir."""

    def __init__(self, label, path, extra, workdir, cpu=None):
        self.label = label
        self.path = os.path.abspath(path)   # the server runs in workdir: a relative path would break
        self.extra = list(extra)
        self.workdir = workdir
        self.cpu = cpu
        self.proc = None
        self.port = None
        self.starts = 0
        self.log_path = None

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def command(self):
        cmd = []
        if self.cpu is not None:
            cmd += ["taskset", "-c", str(self.cpu)]   # taskset execs: same PID as the server
        return cmd + [self.path, "--port", str(self.port), "--bind", HOST] + self.extra

    def start(self, ready_timeout=15.0):
        last = None
        for _attempt in range(3):   # the free port may be taken in between: retry on a new one
            self.port = free_port()
            self.starts += 1
            self.log_path = os.path.join(self.workdir, "%s.%d.log" % (self.label, self.starts))
            log = open(self.log_path, "wb")
            try:
                self.proc = subprocess.Popen(self.command(), cwd=self.workdir, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT,
                                             start_new_session=True, preexec_fn=child_preexec)
            except OSError as e:
                raise ServerError("%s: cannot run %s: %s" % (self.label, self.path, e))
            finally:
                log.close()
            _live.append(self)
            try:
                self._wait_ready(ready_timeout)
                return self
            except ServerError as e:
                last = e
                self.stop()
                if "in use" not in self.log_tail():   # only a lost port race is worth a retry
                    break
        raise last

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("%s exited with status %s during start-up:\n%s"
                                  % (self.label, self.proc.returncode, self.log_tail()))
            try:
                with Conn(self.port, timeout=2.0) as c:
                    if c.call("PING") == "PONG":
                        return
            except (OSError, ProtocolError, ValueError):
                pass
            time.sleep(0.05)
        raise ServerError("%s did not answer PING on port %d within %.0f s:\n%s"
                          % (self.label, self.port, timeout, self.log_tail()))

    def log_tail(self, lines=15):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            return "\n".join("    | " + l for l in text.splitlines()[-lines:]) or "    | (empty log)"
        except OSError:
            return "    | (no log)"

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.terminate()          # our own child, by PID
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self in _live:
            _live.remove(self)

    def cpu_ticks(self):
        return cpu_ticks(self.proc.pid)

    def cpu_split(self):
        return cpu_split(self.proc.pid)

    def rss_kib(self):
        return rss_kib(self.proc.pid)


def build_loadgen(compiler, workdir):
    """Compile loadgen.c (next to this script) into workdir; returns the binary's path."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loadgen.c")
    out = os.path.join(workdir, "loadgen")
    try:
        res = subprocess.run([compiler, "-O2", "-std=c11", "-o", out, src], capture_output=True,
                             text=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ServerError("cannot build loadgen.c with %s: %s" % (compiler, e))
    if res.returncode != 0:
        raise ServerError("building loadgen.c failed:\n%s" % res.stderr.strip())
    log("built %s" % out)
    return out


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def arg_parser(doc, epilog=None):
    """The argument parser every script starts from: its description (the first
    paragraph of doc) and --respite / --redis."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0], epilog=epilog,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--respite", required=True, help="path of the respite-server binary")
    ap.add_argument("--redis", default=shutil.which("redis-server"),
                    help="path of redis-server (default: from PATH)")
    return ap


def parse_pair_args(ap):
    """The arguments of a script that runs respite beside redis-server: ap's own plus
    --respite-args, --redis-args (extra flags of each server) and --markdown; parsed,
    the binaries checked (check_binaries) and install_cleanup() done."""
    ap.add_argument("--respite-args", default=DEFAULT_SERVER_ARGS)
    ap.add_argument("--redis-args", default=DEFAULT_SERVER_ARGS)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    check_binaries(ap, args)
    install_cleanup()
    return args


def alternating_rounds(args, measure, prefix):
    """args.rounds rounds of measure(side, path, extra_args, args, workdir) on each of
    respite and redis-server, the first of each round alternating, in one temporary
    working directory: {"respite": [results...], "redis": [...]}."""
    paths = {"respite": (args.respite, split_args(args.respite_args)),
             "redis": (args.redis, split_args(args.redis_args))}
    res = {"respite": [], "redis": []}
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        for r in range(args.rounds):
            order = ("respite", "redis") if r % 2 == 0 else ("redis", "respite")
            for side in order:
                res[side].append(measure(side, paths[side][0], paths[side][1], args, workdir))
    return res


def median_rows(res, figures):
    """Table rows [name, respite, redis, ratio] of alternating_rounds' results: for each
    (name, key, fmt) of figures, the medians of o[key] over each side's rounds."""
    rows = []
    for name, key, fmt in figures:
        med = {s: statistics.median(o[key] for o in res[s]) for s in res}
        rows.append([name, fmt % med["respite"], fmt % med["redis"],
                     fmt_ratio(med["respite"], med["redis"]) if med["redis"] else "-"])
    return rows


def check_binaries(ap, args):
    """argparse error unless --respite and --redis name executable files."""
    if not args.redis:
        ap.error("redis-server not found on PATH; give --redis")
    for p, what in ((args.respite, "--respite"), (args.redis, "--redis")):
        if not (os.path.isfile(p) and os.access(p, os.X_OK)):
            ap.error("%s %s is not an executable file" % (what, p))


def redis_benchmark(srv, command, requests, clients, pipeline=1, extra=()):
    """redis-benchmark of command (a list of words) on srv: (its ops/s, srv's CPU
    microseconds per request, from /proc/<pid>/stat around the run)."""
    cmd = ["redis-benchmark", "-p", str(srv.port), "-n", str(requests), "-c", str(clients),
           "-P", str(pipeline), *extra, "--csv"] + list(command)
    t0 = srv.cpu_ticks()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    cpu = (srv.cpu_ticks() - t0) / CLK_TCK
    rps = float(re.findall(r'"([0-9.]+)"', out.splitlines()[-1])[0])
    return rps, cpu * 1e6 / requests


def fmt_ratio(a, b):
    return "\u2014" if a is None or b is None or b == 0 else "%.2f" % (a / b)


def _md(text):
    return text.replace("|", "\\|").replace("*", "\\*")


def print_table(header_lines, header, rows, notes, markdown, ratio_note=None):
    """The results table of every script: a Markdown table with its header
    paragraph (markdown), or aligned plain text with '#' header lines. The
    first column is left-aligned, the others right-aligned."""
    if markdown:
        print(" ".join(header_lines))
        print()
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|")
        for r in rows:
            print("| " + " | ".join(_md(c) for c in r) + " |")
        if ratio_note:
            print()
            print(ratio_note)
        for n in notes:
            print()
            print("Note: " + _md(n))
    else:
        for line in header_lines:
            print("# " + line)
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
                  for i, h in enumerate(header)]
        for cells in [header, ["-" * w for w in widths]] + list(rows):
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                            for i, (c, w) in enumerate(zip(cells, widths))))
        if ratio_note:
            print(ratio_note)
        for n in notes:
            print("note: " + n)
    sys.stdout.flush()
