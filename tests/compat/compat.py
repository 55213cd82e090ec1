#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""respite compatibility suite: replay the same commands against respite-server
and a reference redis-server (7.0.15) and compare the replies byte for byte.

Usage
-----
    compat.py --respite PATH --redis PATH [--with-74] [--dump] [--max-time S]
              [case files...]

Without case files, runs every tests/compat/cases/*.txt (and, with --with-74,
every tests/compat/cases_74/*.txt).  Both servers are started on free loopback
ports, in a temporary working directory, and killed at the end (only the PIDs
started here).  To validate the suite itself without respite, pass
`--respite redis-server`: every case must pass redis-vs-redis.

Each case file runs on a fresh connection to each server, after FLUSHALL and
SELECT 0 (and HELLO 2, only if the file itself uses HELLO).  Every command is
sent as a RESP multibulk array (binary safe), never inline, except `raw` lines.
Replies are read with a RESP2/RESP3 reader that knows reply boundaries and
keeps the raw bytes of each reply.  Every socket read has a 5 s timeout.  The
last line printed is exactly `N passed, N failed` (N = commands compared), or
`N passed, N failed, N skipped` when any file of the run has a `requires`
directive (see below); the exit status is 1 when anything failed (skipped
files never count), 2 for a bad case file, and 77 (a ctest skip) when the
reference redis-server is not installed.  A run-wide budget
(--max-time, 240 s) counts whatever is left as failed, so the summary is
printed before ctest's 300 s timeout; after 3 consecutive 5 s timeouts on one
side the rest of that file is counted as failed too.  The servers get
PR_SET_PDEATHSIG, so they die with the runner even if it is SIGKILLed.

Case file format (cases/*.txt)
------------------------------
One command per line, written with redis-cli's inline quoting:
  * words are separated by spaces or tabs;
  * "double quoted" words understand \\xHH \\n \\r \\t \\b \\a \\" \\\\ escapes;
  * 'single quoted' words only understand \\' ;
  * a closing quote must be followed by a space or the end of the line.
Empty lines are ignored; a line whose first non-blank character is `#` is a
comment, except a `#!` directive.

Directive (before the file's first command):
  #! requires CMD [CMD ...]
                   the file needs these commands (e.g. RPUSH to build a list
                   for a WRONGTYPE check).  Before the file runs, respite is
                   asked `COMMAND INFO CMD ...` (a null element = absent; if
                   COMMAND INFO itself answers an error, each CMD is sent
                   bare, without arguments, and `-ERR unknown command` means
                   absent, so list only commands that are harmless that way).
                   If any is absent, the whole file is skipped: the runner
                   prints `SKIP <file>: respite lacks CMD ...` and counts its
                   commands as skipped.  If respite cannot be asked (no
                   answer), the file runs, so a crash is not hidden.  Several
                   requires lines add up.

A line may start with one or more markers, each followed by a space:
  unordered        the reply is an array/set/map whose elements are compared as
                   a multiset (a map as a multiset of key/value pairs); for a
                   SCAN-shaped reply [cursor, array] the inner array's elements
                   are compared and the cursor is ignored.
  unordered-pairs  like unordered, for a flat RESP2 array of key, value, key,
                   value... (CONFIG GET with a glob): compared as a multiset of
                   pairs.
  approx N         integers, doubles, and bulk strings that parse as numbers
                   may differ by at most N (recursively, inside aggregates of
                   equal shape); everything else must be byte-equal.
  shape            only the reply's type and, for an aggregate, its length are
                   compared.
  noreply-compare  send and read the reply, but do not compare it (setup whose
                   reply depends on time); not counted.
  noreply          the command must produce no reply at all (CLIENT REPLY
                   OFF/SKIP): nothing may arrive within 100 ms.
  raw BYTES        send BYTES exactly (not a multibulk), then compare all the
                   bytes each side sends until 300 ms of silence, and whether
                   it closed the connection (once both sides have sent the
                   same bytes and they are complete RESP replies, 30 ms of
                   silence suffice; late extra bytes would still show up as a
                   mismatch on the next line).  BYTES is a sequence of quoted or
                   bare words, concatenated without separators; a word may be
                   followed directly by *N to repeat it N times ("a"*70000).
                   If either side closed the connection (protocol error), both
                   are reconnected (fresh connection: RESP2, db 0) before the
                   next line.
After QUIT the connections are reopened too.

Expected-bytes files (cases_74/*.txt)
-------------------------------------
For behaviour newer than the reference (Redis 7.4), a command line (markers
allowed, except raw/noreply) is followed by a line
    => "EXPECTED"
with the exact reply bytes in the double-quoted escape syntax above.  These
commands are sent to respite only and compared with EXPECTED.
"""

import argparse
import collections
import ctypes
import glob
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

READ_TIMEOUT = 5.0       # every socket read
START_TIMEOUT = 10.0     # until PING answers
RAW_IDLE = 0.3           # raw lines: silence that ends a reply
RAW_SETTLE = 0.03        # ... once both sides sent the same complete replies
NOREPLY_WAIT = 0.1       # noreply lines: nothing may arrive in this time
MAX_TIMEOUTS = 3         # consecutive timeouts before a file is abandoned
MAX_TIME = 240.0         # whole run; past it the remaining commands fail

HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------
# Case file parsing
# --------------------------------------------------------------------------

class CaseError(Exception):
    pass


def _is_hex(c):
    return c in "0123456789abcdefABCDEF"


def split_args(line, allow_repeat=False):
    """Split a line like redis-cli / sdssplitargs does.  Returns a list of
    bytes.  With allow_repeat, a word may be followed by *N (repeat)."""
    out = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in " \t\r\n\v\f":
            i += 1
        if i >= n:
            return out
        cur = bytearray()
        inq = insq = False
        done = False
        while not done:
            if inq:
                if i >= n:
                    raise CaseError("unbalanced quotes")
                c = line[i]
                if c == "\\" and i + 3 < n and line[i + 1] == "x" and \
                        _is_hex(line[i + 2]) and _is_hex(line[i + 3]):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == "\\" and i + 1 < n:
                    i += 1
                    e = line[i]
                    cur += {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b",
                            "a": b"\a"}.get(e, e.encode("utf-8"))
                elif c == '"':
                    if i + 1 < n and line[i + 1] not in " \t\r\n\v\f":
                        if not (allow_repeat and line[i + 1] == "*"):
                            raise CaseError("closing quote must be followed by a space")
                    done = True
                else:
                    cur += c.encode("utf-8")
            elif insq:
                if i >= n:
                    raise CaseError("unbalanced quotes")
                c = line[i]
                if c == "\\" and i + 1 < n and line[i + 1] == "'":
                    i += 1
                    cur += b"'"
                elif c == "'":
                    if i + 1 < n and line[i + 1] not in " \t\r\n\v\f":
                        if not (allow_repeat and line[i + 1] == "*"):
                            raise CaseError("closing quote must be followed by a space")
                    done = True
                else:
                    cur += c.encode("utf-8")
            else:
                if i >= n:
                    break
                c = line[i]
                if c in " \t\r\n\v\f":
                    done = True
                elif c == '"':
                    inq = True
                elif c == "'":
                    insq = True
                elif c == "*" and allow_repeat and cur:
                    break
                else:
                    cur += c.encode("utf-8")
            i += 1
        word = bytes(cur)
        if allow_repeat and i < n and line[i] == "*":
            j = i + 1
            while j < n and line[j].isdigit():
                j += 1
            if j == i + 1:
                raise CaseError("*N needs a number")
            word = word * int(line[i + 1:j])
            i = j
        out.append(word)


MARKERS = ("unordered", "unordered-pairs", "approx", "shape",
           "noreply-compare", "noreply", "raw")


def display_path(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


class Case:
    __slots__ = ("path", "lineno", "text", "args", "mode", "tol", "raw",
                 "expected")

    def __init__(self, path, lineno, text):
        self.path, self.lineno, self.text = path, lineno, text
        self.args = None      # list of bytes (multibulk)
        self.mode = "exact"   # exact unordered pairs approx shape skip noreply raw
        self.tol = 0.0
        self.raw = None       # bytes for raw lines
        self.expected = None  # bytes for expected-bytes files

    def where(self):
        return "%s:%d" % (display_path(self.path), self.lineno)

    def name(self):
        return self.args[0].decode("latin-1").lower() if self.args else ""


def parse_case_file(path):
    """Returns (cases, requires): the file's commands and the lower-case
    command names its `#! requires` directives list."""
    cases = []
    requires = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for idx, line in enumerate(lines, 1):
        s = line.strip()
        if s.startswith("#!"):
            words = s[2:].split()
            if not words or words[0] != "requires" or len(words) < 2:
                raise CaseError("%s:%d: unknown directive (expected "
                                "'#! requires CMD [CMD ...]')" % (path, idx))
            if cases:
                raise CaseError("%s:%d: '#! requires' must come before the "
                                "first command" % (path, idx))
            for w in words[1:]:
                if w.lower() not in requires:
                    requires.append(w.lower())
            continue
        if not s or s.startswith("#"):
            continue
        try:
            if s.startswith("=>"):
                if not cases or cases[-1].expected is not None:
                    raise CaseError("'=>' without a command before it")
                cases[-1].expected = b"".join(split_args(s[2:]))
                continue
            c = Case(path, idx, s)
            rest = s
            while True:
                word, _, tail = rest.partition(" ")
                if word not in MARKERS:
                    break
                if word == "raw":
                    c.mode = "raw"
                    c.raw = b"".join(split_args(tail, allow_repeat=True))
                    rest = None
                    break
                if word == "approx":
                    num, _, tail = tail.strip().partition(" ")
                    c.tol = float(num)
                    c.mode = "approx"
                else:
                    c.mode = {"unordered": "unordered",
                              "unordered-pairs": "pairs",
                              "shape": "shape",
                              "noreply-compare": "skip",
                              "noreply": "noreply"}[word]
                rest = tail.strip()
            if rest is not None:
                c.args = split_args(rest)
                if not c.args:
                    raise CaseError("no command after the markers")
            cases.append(c)
        except (CaseError, ValueError) as e:
            raise CaseError("%s:%d: %s" % (path, idx, e))
    for c in cases:
        if c.expected is None and any(x.expected is not None for x in cases):
            raise CaseError("%s:%d: command without '=> expected' in an "
                            "expected-bytes file" % (path, c.lineno))
    return cases, requires


def encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# --------------------------------------------------------------------------
# RESP2/RESP3 reader
# --------------------------------------------------------------------------

class ProtocolMismatch(Exception):
    pass


class Reply:
    """One reply: its type byte, its raw bytes, its scalar payload (bytes) or
    its children (for aggregates)."""
    __slots__ = ("type", "raw", "value", "children")

    def __init__(self, type_, raw, value=None, children=None):
        self.type, self.raw, self.value, self.children = type_, raw, value, children

    def is_aggregate(self):
        return self.children is not None

    def __repr__(self):
        return repr(self.raw)


LINE_TYPES = b"+-:,(#_"
BLOB_TYPES = b"$=!"
AGG_TYPES = b"*~>"
MAP_TYPES = b"%|"


class Reader:
    """Buffered RESP reader over a socket (or over fixed bytes)."""

    def __init__(self, sock=None, data=b""):
        self.sock = sock
        self.buf = bytearray(data)
        self.pos = 0
        self.eof = False

    def _fill(self, deadline):
        if self.sock is None:
            raise ProtocolMismatch("truncated reply")
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("read timed out")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            raise ConnectionError("connection closed by server")
        if self.pos > 65536:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += chunk

    def _line(self, deadline):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            self._fill(deadline)

    def _exact(self, n, deadline):
        while len(self.buf) - self.pos < n:
            self._fill(deadline)
        data = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return data

    def read(self, timeout=READ_TIMEOUT):
        deadline = time.monotonic() + timeout
        start = self.pos
        reply = self._read(deadline, start)
        return reply

    def _read(self, deadline, _start=None):
        start = self.pos
        line = self._line(deadline)
        if not line:
            raise ProtocolMismatch("empty reply line")
        t, body = line[0], line[1:]
        if t in LINE_TYPES:
            return Reply(chr(t), bytes(self.buf[start:self.pos]), value=body)
        if t in BLOB_TYPES:
            n = int(body)
            if n < 0:
                return Reply(chr(t), bytes(self.buf[start:self.pos]), value=None)
            data = self._exact(n + 2, deadline)
            if data[-2:] != b"\r\n":
                raise ProtocolMismatch("bulk not terminated by CRLF")
            return Reply(chr(t), bytes(self.buf[start:self.pos]), value=data[:-2])
        if t in AGG_TYPES or t in MAP_TYPES:
            n = int(body)
            if n < 0:
                return Reply(chr(t), bytes(self.buf[start:self.pos]), value=None)
            count = n * 2 if t in MAP_TYPES else n
            children = []
            for _ in range(count):
                children.append(self._read(deadline))
            if t == ord("|"):
                # attribute: belongs to the reply that follows it
                nxt = self._read(deadline)
                return Reply(nxt.type, bytes(self.buf[start:self.pos]),
                             value=nxt.value, children=nxt.children)
            return Reply(chr(t), bytes(self.buf[start:self.pos]), children=children)
        raise ProtocolMismatch("unknown reply type %r" % chr(t))

    def pending(self):
        return bytes(self.buf[self.pos:])


def parse_expected(data):
    r = Reader(data=data)
    reply = r.read()
    if r.pending():
        raise CaseError("expected bytes hold more than one reply: %r" % data)
    return reply


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------

def _num(reply):
    if reply.type in ":,(" or (reply.type == "$" and reply.value is not None):
        try:
            return float(reply.value)
        except ValueError:
            return None
    return None


def approx_equal(a, b, tol):
    if a.raw == b.raw:
        return True
    if a.type != b.type:
        return False
    if a.is_aggregate() or b.is_aggregate():
        if not (a.is_aggregate() and b.is_aggregate()):
            return False
        if len(a.children) != len(b.children):
            return False
        return all(approx_equal(x, y, tol) for x, y in zip(a.children, b.children))
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return False
    return abs(x - y) <= tol


def _multiset(children, pairs):
    if pairs:
        items = [(children[i].raw, children[i + 1].raw)
                 for i in range(0, len(children) - 1, 2)]
        if len(children) % 2:
            items.append((children[-1].raw, None))
    else:
        items = [c.raw for c in children]
    return collections.Counter(items)


def unordered_equal(a, b, pairs):
    if a.raw == b.raw:
        return True
    if a.type != b.type or not a.is_aggregate() or not b.is_aggregate():
        return False
    if len(a.children) != len(b.children):
        return False
    if a.type in "%":
        pairs = True
    # SCAN-shaped: [cursor, [elements...]]: ignore the cursor
    if not pairs and len(a.children) == 2 and all(
            r.children is not None and len(r.children) == 2 and
            r.children[0].type == "$" and r.children[1].is_aggregate()
            for r in (a, b)):
        return unordered_equal(a.children[1], b.children[1], False)
    return _multiset(a.children, pairs) == _multiset(b.children, pairs)


def shape_equal(a, b):
    if a.type != b.type:
        return False
    if a.is_aggregate() != b.is_aggregate():
        return False
    if a.is_aggregate():
        return len(a.children) == len(b.children)
    # null bulk vs non-null bulk of the same type byte are different shapes
    return (a.value is None) == (b.value is None)


def compare(case, a, b):
    if case.mode == "unordered":
        return unordered_equal(a, b, False)
    if case.mode == "pairs":
        return unordered_equal(a, b, True)
    if case.mode == "approx":
        return approx_equal(a, b, case.tol)
    if case.mode == "shape":
        return shape_equal(a, b)
    return a.raw == b.raw


# --------------------------------------------------------------------------
# Servers and connections
# --------------------------------------------------------------------------

def _pdeathsig():
    # Let the kernel kill the server if this runner dies (even by SIGKILL).
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class Server:
    def __init__(self, label, path, is_redis, workdir):
        self.label, self.path, self.is_redis = label, path, is_redis
        self.workdir = os.path.join(workdir, label)
        os.makedirs(self.workdir, exist_ok=True)
        self.proc = None
        self.port = None
        self.logpath = os.path.join(self.workdir, "server.log")

    def argv(self, port):
        argv = [self.path, "--port", str(port), "--bind", "127.0.0.1"]
        if self.is_redis:
            argv += ["--save", "", "--appendonly", "no"]
        argv += ["--enable-debug-command", "yes"]
        return argv

    def start(self):
        last_err = "?"
        for _attempt in range(5):
            port = free_port()
            log = open(self.logpath, "ab")
            try:
                self.proc = subprocess.Popen(
                    self.argv(port), cwd=self.workdir, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, preexec_fn=_pdeathsig)
            except OSError as e:
                raise RuntimeError("%s: cannot start %s: %s" % (self.label, self.path, e))
            finally:
                log.close()
            self.port = port
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_err = "exited with status %s" % self.proc.returncode
                    break
                if self._ping():
                    return
                time.sleep(0.05)
            else:
                self.stop()
                raise RuntimeError("%s: no PING answer within %.0f s on port %d\n%s"
                                   % (self.label, START_TIMEOUT, port, self.log_tail()))
            self.proc = None  # exited (port collision?): try another port
        raise RuntimeError("%s: could not start (%s)\n%s" % (self.label, last_err, self.log_tail()))

    def _ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.settimeout(0.5)
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                r = Reader(s).read(timeout=0.5)
                return r.raw == b"+PONG\r\n"
        except (OSError, ConnectionError, ProtocolMismatch, ValueError):
            return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=20):
        try:
            with open(self.logpath, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join("    | " + l for l in lines[-n:])
        except OSError:
            return ""

    def stop(self):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(signal.SIGKILL)  # this PID only; no save on exit
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


class Conn:
    def __init__(self, server):
        self.server = server
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = Reader(self.sock)

    def send(self, data):
        self.sock.settimeout(READ_TIMEOUT)
        self.sock.sendall(data)

    def call(self, args):
        self.send(encode_command(args))
        return self.reader.read()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def complete_replies(data):
    """True if data is a non-empty sequence of complete RESP replies."""
    if not data:
        return False
    r = Reader(data=data)
    try:
        while r.pending():
            r.read()
    except (ProtocolMismatch, ValueError, IndexError):
        return False
    return True


def _drain(conns, idle, total=READ_TIMEOUT, settle=None):
    """Read whatever each connection sends until `idle` seconds pass without
    data or it closes.  With `settle`, once every side has sent the same bytes
    and they are complete RESP replies, `settle` seconds of silence suffice.
    Returns a list of (bytes, closed)."""
    data = [bytearray(c.reader.pending()) for c in conns]
    for c in conns:
        c.reader.pos = len(c.reader.buf)
    closed = [False] * len(conns)
    last = [time.monotonic()] * len(conns)
    hard = time.monotonic() + total
    cur_idle = idle
    while True:
        now = time.monotonic()
        if settle is not None and all(d == data[0] for d in data) and \
                complete_replies(bytes(data[0])):
            cur_idle = settle
        else:
            cur_idle = idle
        open_ = [i for i in range(len(conns))
                 if not closed[i] and now - last[i] < cur_idle and now < hard]
        if not open_:
            break
        wait = min(cur_idle - (now - last[i]) for i in open_)
        wait = max(0.0, min(wait, hard - now))
        ready, _, _ = select.select([conns[i].sock for i in open_], [], [], wait)
        for i in open_:
            if conns[i].sock in ready:
                try:
                    chunk = conns[i].sock.recv(65536)
                except (ConnectionResetError, OSError):
                    chunk = b""
                if chunk:
                    data[i] += chunk
                    last[i] = time.monotonic()
                else:
                    closed[i] = True
    return [(bytes(d), cl) for d, cl in zip(data, closed)]


# --------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------

class Side:
    """One server and the current connection to it."""

    def __init__(self, server):
        self.server = server
        self.conn = None
        self.timeouts = 0

    def reconnect(self):
        if self.conn:
            self.conn.close()
        self.conn = None
        if not self.server.alive():
            print("!! %s is not running (%s); restarting it" %
                  (self.server.label, self.server.proc and self.server.proc.returncode))
            print(self.server.log_tail())
            self.server.start()
        self.conn = Conn(self.server)

    def call(self, args):
        """Returns (Reply or None, error text or None)."""
        try:
            if self.conn is None:
                self.reconnect()
            r = self.conn.call(args)
            self.timeouts = 0
            return r, None
        except socket.timeout:
            self.timeouts += 1
            self._drop()
            return None, "<timeout after %.0f s>" % READ_TIMEOUT
        except (OSError, ConnectionError) as e:
            self._drop()
            return None, "<connection error: %s>" % e
        except (ProtocolMismatch, ValueError) as e:
            self._drop()
            return None, "<unparsable reply: %s>" % e

    def _drop(self):
        if self.conn:
            self.conn.close()
        self.conn = None


class Stats:
    def __init__(self, max_time=MAX_TIME):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.deadline = time.monotonic() + max_time

    def out_of_time(self, case, remaining):
        """True (and the remaining commands counted as failed) once the run's
        time budget is spent, so the summary line is printed before an outer
        timeout kills the run."""
        if time.monotonic() < self.deadline:
            return False
        left = len([c for c in remaining if c.mode != "skip"])
        print("FAIL %s: the run's time budget is spent; %d commands of this "
              "file not run" % (case.where(), left))
        self.failed += left
        return True


def _is_null(reply):
    return reply.type == "_" or (reply.value is None and reply.children is None)


def _is_unknown_command(reply):
    return reply.type == "-" and reply.value.startswith(b"ERR unknown command")


def lacking_commands(server, names, known):
    """The commands of `names` (lower case) that `server` does not implement.
    `known` caches the answers (name -> implemented) across files.  When the
    server cannot be asked, nothing is reported as lacking, so the file runs
    and whatever is wrong with the server shows up as failures."""
    ask = [n for n in names if n not in known]
    if ask:
        conn = None
        try:
            conn = Conn(server)
            r = conn.call([b"COMMAND", b"INFO"] + [n.encode() for n in ask])
            if r.type == "-":
                # no COMMAND INFO: a bare command answers an arity error
                # when it exists
                for n in ask:
                    known[n] = not _is_unknown_command(conn.call([n.encode()]))
            elif r.is_aggregate() and len(r.children) == len(ask):
                for n, info in zip(ask, r.children):
                    known[n] = not _is_null(info)
            else:
                print("!! %s: unexpected COMMAND INFO reply %r; assuming it has %s"
                      % (server.label, r.raw[:200], " ".join(ask)))
        except (OSError, ConnectionError, ProtocolMismatch, ValueError) as e:
            print("!! %s: cannot ask whether it has %s (%s); running the file"
                  % (server.label, " ".join(ask), str(e) or type(e).__name__))
        finally:
            if conn:
                conn.close()
    return [n for n in names if known.get(n) is False]


def show(x):
    if isinstance(x, Reply):
        return repr(x.raw)
    return str(x)


def report_failure(stats, case, label_a, a, label_b, b, why=""):
    stats.failed += 1
    print("FAIL %s: %s%s" % (case.where(), case.text, (" (" + why + ")") if why else ""))
    print("    %-8s %s" % (label_a + ":", show(a)))
    print("    %-8s %s" % (label_b + ":", show(b)))


def file_uses_hello(cases):
    return any(c.args and c.name() == "hello" for c in cases) or \
        any(c.raw and b"hello" in c.raw.lower() for c in cases)


def reset_side(side, use_hello):
    side.reconnect()
    setup = [[b"FLUSHALL"], [b"SELECT", b"0"]]
    if use_hello:
        setup.append([b"HELLO", b"2"])
    for args in setup:
        r, err = side.call(args)
        if err or r.type == "-":
            print("!! %s: setup %s failed: %s" % (side.server.label,
                  b" ".join(args).decode(), err or r.raw))
        if err:
            break  # no point in waiting for the rest


def run_compare_file(path, cases, sides, stats, dump):
    a, b = sides
    use_hello = file_uses_hello(cases)
    for s in sides:
        s.timeouts = 0
        reset_side(s, use_hello)
    for i, case in enumerate(cases):
        if stats.out_of_time(case, cases[i:]):
            return
        if a.timeouts >= MAX_TIMEOUTS or b.timeouts >= MAX_TIMEOUTS:
            left = len([c for c in cases[i:] if c.mode != "skip"])
            print("FAIL %s: %d consecutive timeouts; skipping the %d remaining "
                  "commands of this file" % (case.where(), MAX_TIMEOUTS, left))
            stats.failed += left
            return
        if case.mode == "raw":
            run_raw(case, sides, stats, dump)
            continue
        if case.mode == "noreply":
            run_noreply(case, sides, stats, dump)
            continue
        ra, ea = a.call(case.args)
        rb, eb = b.call(case.args)
        if dump:
            print("%s: %s\n    -> %s" % (case.where(), case.text, show(rb if rb else eb)))
        if case.name() == "quit":
            a._drop()
            b._drop()
        if case.mode == "skip":
            continue
        if ea or eb:
            report_failure(stats, case, a.server.label, ra or ea, b.server.label, rb or eb)
            continue
        if compare(case, ra, rb):
            stats.passed += 1
        else:
            report_failure(stats, case, a.server.label, ra, b.server.label, rb,
                           "" if case.mode == "exact" else case.mode)


def _ensure(sides):
    for s in sides:
        if s.conn is None:
            try:
                s.reconnect()
            except (OSError, RuntimeError) as e:
                print("!! %s: reconnect failed: %s" % (s.server.label, e))


def run_raw(case, sides, stats, dump):
    _ensure(sides)
    conns = [s.conn for s in sides if s.conn]
    if len(conns) != len(sides):
        report_failure(stats, case, sides[0].server.label, "<no connection>",
                       sides[1].server.label, "<no connection>")
        return
    for c in conns:
        try:
            c.send(case.raw)
        except OSError:
            pass
    res = _drain(conns, RAW_IDLE, settle=RAW_SETTLE)
    if dump:
        print("%s: %s\n    -> %r" % (case.where(), case.text[:100], res[-1]))
    if any(closed for _, closed in res) or \
            any(b"Protocol error" in d for d, _ in res):
        for s in sides:
            s._drop()
    if res[0] == res[1]:
        stats.passed += 1
    else:
        fmt = lambda r: "%r%s" % (r[0], " <closed>" if r[1] else "")
        report_failure(stats, case, sides[0].server.label, fmt(res[0]),
                       sides[1].server.label, fmt(res[1]), "raw")


def run_noreply(case, sides, stats, dump):
    _ensure(sides)
    conns = [s.conn for s in sides if s.conn]
    if len(conns) != len(sides):
        report_failure(stats, case, sides[0].server.label, "<no connection>",
                       sides[1].server.label, "<no connection>")
        return
    for c in conns:
        try:
            c.send(encode_command(case.args))
        except OSError:
            pass
    res = _drain(conns, NOREPLY_WAIT, total=NOREPLY_WAIT)
    if dump:
        print("%s: %s\n    -> %r" % (case.where(), case.text, res[-1]))
    if all(d == b"" and not cl for d, cl in res):
        stats.passed += 1
    else:
        for s in sides:
            s._drop()
        fmt = lambda r: "%r%s" % (r[0], " <closed>" if r[1] else "")
        report_failure(stats, case, sides[0].server.label, fmt(res[0]),
                       sides[1].server.label, fmt(res[1]), "expected no reply")


def run_expected_file(path, cases, side, stats, dump):
    side.timeouts = 0
    reset_side(side, file_uses_hello(cases))
    for i, case in enumerate(cases):
        if stats.out_of_time(case, cases[i:]):
            return
        if side.timeouts >= MAX_TIMEOUTS:
            print("FAIL %s: %d consecutive timeouts; skipping the rest of this file"
                  % (case.where(), MAX_TIMEOUTS))
            stats.failed += 1
            return
        if case.mode in ("raw", "noreply"):
            raise CaseError("%s: raw/noreply lines are not allowed in expected-bytes files"
                            % case.where())
        r, err = side.call(case.args)
        if dump:
            print("%s: %s\n    -> %s" % (case.where(), case.text, show(r if r else err)))
        if case.name() == "quit":
            side._drop()
        if case.mode == "skip":
            continue
        exp = parse_expected(case.expected)
        if err:
            report_failure(stats, case, side.server.label, err, "expected", exp)
        elif compare(case, r, exp):
            stats.passed += 1
        else:
            report_failure(stats, case, side.server.label, r, "expected", exp,
                           "" if case.mode == "exact" else case.mode)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--respite", required=True, help="respite-server binary")
    ap.add_argument("--redis", required=True, help="reference redis-server binary")
    ap.add_argument("--with-74", action="store_true",
                    help="also run cases_74/*.txt (expected bytes, respite only)")
    ap.add_argument("--dump", action="store_true",
                    help="print every command and the reference reply")
    ap.add_argument("--max-time", type=float, default=MAX_TIME,
                    help="time budget of the whole run in seconds (default %(default)s)")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)

    files = args.files or sorted(glob.glob(os.path.join(HERE, "cases", "*.txt")))
    if args.with_74 and not args.files:
        files += sorted(glob.glob(os.path.join(HERE, "cases_74", "*.txt")))
    if not files:
        print("no case files")
        return 2
    parsed = []
    for f in files:
        try:
            parsed.append((f,) + parse_case_file(f))
        except (OSError, CaseError) as e:
            print("error: %s" % e)
            return 2

    def resolve(p):
        if os.sep in p:
            return os.path.abspath(p)
        return shutil.which(p) or p

    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    respite_path = resolve(args.respite)
    redis_path = resolve(args.redis)
    need_redis = any(all(c.expected is None for c in cases) for _, cases, _ in parsed)
    if need_redis and not (os.path.isfile(redis_path) and os.access(redis_path, os.X_OK)):
        # ctest reports this as skipped (SKIP_RETURN_CODE 77)
        print("skipped: reference server %r not found (install redis-server)" % args.redis)
        return 77
    workdir = tempfile.mkdtemp(prefix="respite-compat-")
    servers = [Server("respite", respite_path, False, workdir)]
    if need_redis:
        servers.append(Server("redis", redis_path, True, workdir))
    stats = Stats(args.max_time)
    t0 = time.monotonic()
    try:
        for s in servers:
            s.start()
        sides = [Side(s) for s in servers]
        if len(sides) == 1:
            sides.append(None)
        known = {}
        for path, cases, requires in parsed:
            lacks = lacking_commands(servers[0], requires, known)
            if lacks:
                print("SKIP %s: respite lacks %s" % (display_path(path), " ".join(lacks)))
                stats.skipped += len([c for c in cases if c.mode != "skip"])
                continue
            if any(c.expected is not None for c in cases):
                run_expected_file(path, cases, sides[0], stats, args.dump)
            else:
                run_compare_file(path, cases, sides, stats, args.dump)
        for s in sides:
            if s:
                s._drop()
    except RuntimeError as e:
        print("error: %s" % e)
        stats.failed += 1
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("(%.1f s)" % (time.monotonic() - t0))
    if any(requires for _, _, requires in parsed):
        print("%d passed, %d failed, %d skipped" % (stats.passed, stats.failed, stats.skipped))
    else:
        print("%d passed, %d failed" % (stats.passed, stats.failed))
    return 1 if stats.failed else 0


if __name__ == "__main__":
    sys.exit(main())
