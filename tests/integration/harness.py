# SPDX-License-Identifier: BSD-3-Clause
"""Shared harness of the integration tests: start and stop respite-server, talk RESP.

Every test file runs with /usr/bin/python3 (Debian's interpreter, where python3-redis is
importable) and takes the server binary as `--server PATH` (what ctest passes) or from the
RESPITE_SERVER environment variable.

A Server is started on a free loopback port (`--port 0`; the port is read back from the
start log line) with `--enable-debug-command yes` and `--enable-protected-configs yes` (tests
move `dir` with CONFIG SET), in a fresh temporary directory that
holds its stdout and stderr. Stopping sends SIGTERM, waits a bounded time, then SIGKILLs;
a server that needed SIGKILL, exited with a status other than 0, or wrote a sanitizer
report fails the test. Every socket operation has a timeout, every wait loop a deadline,
and all traffic goes to 127.0.0.1.

A RedisServer is a real redis-server on a free loopback port, for the tests that compare
respite's outcome with Redis's: Debian's 7.0 by default, or a 7.4 (redis74_path()) where
7.0 differs from 7.4, the behaviour respite follows.
"""
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HOST = "127.0.0.1"
START_TIMEOUT = 15.0   # seconds until the server answers PING
STOP_TIMEOUT = 15.0    # seconds between SIGTERM and SIGKILL
SOCK_TIMEOUT = 10.0    # default timeout of every socket operation
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")


def server_path():
    """The respite-server binary under test."""
    path = os.environ.get("RESPITE_SERVER")
    if not path:
        raise RuntimeError("no server under test: pass --server PATH or set RESPITE_SERVER")
    return os.path.abspath(path)


def raise_nofile(want):
    """Raise this process's RLIMIT_NOFILE soft limit towards want (capped by the hard
    limit); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def free_port():
    """A loopback port that was free a moment ago, for the few tests that must name their
    port before starting (a config file). Everything else uses --port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def sanitizer_report(text):
    """The first line of text that belongs to a sanitizer report, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKERS):
            return line
    return None


class Server:
    """One respite-server process. args: extra command line arguments; config: text of a
    config file written to the temp dir and passed first, which then names the port and
    bind address itself (port: the one it names, or 0 to read it from the log);
    nofile: RLIMIT_NOFILE the server gets (raised in the child before exec); persist:
    keep respite-server's default save points (else `--save ""` comes first, as for the
    reference RedisServer: a test server writes no dump.rdb unless its test asks); env:
    environment variables for the server over this process's, None removing one."""

    def __init__(self, args=(), config=None, port=0, nofile=None, persist=False, env=None):
        self.args = list(args)
        self.env = dict(env or {})
        self.persist = persist
        self.config = config
        self.port = port
        self.nofile = nofile
        self.proc = None
        self.dir = None

    # ---- lifetime -------------------------------------------------------------------

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="respite-it-")
        argv = [server_path()]
        if self.config is not None:
            path = os.path.join(self.dir, "respite.conf")
            with open(path, "w") as f:
                f.write(self.config)
            argv.append(path)
        if self.config is None:
            argv += ["--port", str(self.port), "--bind", HOST]
        argv += ["--enable-debug-command", "yes", "--enable-protected-configs", "yes"]
        if not self.persist:
            argv += ["--save", ""]
        argv += self.args
        self.out_path = os.path.join(self.dir, "stdout.log")
        self.err_path = os.path.join(self.dir, "stderr.log")
        env = dict(os.environ)
        for k, v in self.env.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        nofile = self.nofile

        def preexec():
            if nofile:
                raise_nofile(nofile)

        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv, cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, env=env, preexec_fn=preexec)
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("respite-server exited with status %d during start-up:\n%s"
                                     % (self.proc.returncode, self.output()))
            if not self.port:
                m = re.search(r"port=(\d+)", self.stdout())
                if m:
                    self.port = int(m.group(1))
            if self.port and self._pings():
                return
            time.sleep(0.02)
        raise AssertionError("respite-server did not answer PING within %.0fs:\n%s"
                             % (START_TIMEOUT, self.output()))

    def _pings(self):
        try:
            with socket.create_connection((HOST, self.port), timeout=1.0) as s:
                s.sendall(b"PING\r\n")
                # A server with requirepass answers, but with NOAUTH.
                return recv_exactly(s, 7, 1.0) in (b"+PONG\r\n", b"-NOAUTH")
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM, expect_status=0):
        """Send sig and wait for the exit; assert a clean exit and no sanitizer report.
        Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait_exit(expect_status)

    def wait_exit(self, expect_status=0, timeout=STOP_TIMEOUT):
        """Wait (bounded) for the process to end on its own, then check it as stop() does."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("respite-server did not exit within %.0fs; killed:\n%s"
                                 % (timeout, self.output()))
        try:
            self.check_sanitizers()
            if expect_status is not None and status != expect_status:
                raise AssertionError("respite-server exited with status %d, expected %d:\n%s"
                                     % (status, expect_status, self.output()))
        finally:
            self.proc = None
            self.cleanup()
        return status

    def kill(self):
        """SIGKILL, for a test that already failed; no checks."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
        self.cleanup()

    def cleanup(self):
        if self.dir:
            # What the process wrote stays readable after its directory is gone.
            self._last = (self.stdout(), self.stderr())
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # ---- inspection -----------------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid

    def _read(self, path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stdout(self):
        return self._read(self.out_path) if self.dir else getattr(self, "_last", ("", ""))[0]

    def stderr(self):
        return self._read(self.err_path) if self.dir else getattr(self, "_last", ("", ""))[1]

    def output(self):
        return "--- stdout ---\n%s--- stderr ---\n%s" % (self.stdout()[-20000:],
                                                         self.stderr()[-20000:])

    def check_sanitizers(self):
        line = sanitizer_report(self.stderr()) or sanitizer_report(self.stdout())
        if line:
            raise AssertionError("sanitizer report from respite-server: %s\n%s"
                                 % (line, self.output()))

    def assert_alive(self):
        """The process runs, has no sanitizer report, and answers PING."""
        if self.proc.poll() is not None:
            raise AssertionError("respite-server died with status %d:\n%s"
                                 % (self.proc.returncode, self.output()))
        self.check_sanitizers()
        if not self._pings():
            raise AssertionError("respite-server does not answer PING:\n%s" % self.output())

    def rss_kb(self):
        """VmRSS of the server in kB, from /proc."""
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS for pid %d" % self.pid)

    # ---- clients --------------------------------------------------------------------

    def connect(self, timeout=SOCK_TIMEOUT, rcvbuf=None):
        """A raw socket to the server, with timeout set on every operation."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.connect((HOST, self.port))
        return s

    def conn(self, timeout=SOCK_TIMEOUT):
        return RespConn(self.connect(timeout))

    def client(self, **kw):
        """A redis-py client (Debian's python3-redis)."""
        import redis
        kw.setdefault("socket_timeout", SOCK_TIMEOUT)
        kw.setdefault("socket_connect_timeout", SOCK_TIMEOUT)
        return redis.Redis(host=HOST, port=self.port, **kw)


def redis74_path():
    """A Redis 7.4 redis-server for the tests that compare with 7.4 where 7.0 differs: the
    RESPITE_REDIS74 environment variable, else the reference next to a checkout
    (../shared/tools/redis-7.4.1/redis-server from the repository's root) when it is there;
    None when there is none (those tests skip, saying so)."""
    path = os.environ.get("RESPITE_REDIS74")
    if not path:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        path = os.path.join(os.path.dirname(root), "shared", "tools", "redis-7.4.1",
                            "redis-server")
    return path if os.access(path, os.X_OK) else None


class RedisServer:
    """A real redis-server (the reference the flow tests compare respite with) on a free
    loopback port, without persistence, in a temporary directory, with extra command line
    args (after config, the path of a config file, if given). start() waits (bounded)
    until it answers PING; stop() sends SIGTERM, then SIGKILL if it lingers."""

    def __init__(self, binary=None, args=(), config=None):
        self.binary = binary or shutil.which("redis-server")
        self.args = list(args)
        self.config = config
        self.proc = None
        self.dir = None
        self.port = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="respite-it-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [self.binary] + ([self.config] if self.config else []) +
            ["--port", str(self.port), "--bind", HOST, "--save", "",
             "--appendonly", "no", "--dir", self.dir] + self.args,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with socket.create_connection((HOST, self.port), timeout=1.0) as s:
                    s.sendall(b"PING\r\n")
                    # A server with requirepass answers, but with NOAUTH.
                    if recv_exactly(s, 7, 1.0) in (b"+PONG\r\n", b"-NOAUTH"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise AssertionError("redis-server did not answer PING on port %d"
                                     % self.port)
            time.sleep(0.05)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def client(self, **kw):
        """A redis-py client, with the same timeouts as Server.client()."""
        import redis
        kw.setdefault("socket_timeout", SOCK_TIMEOUT)
        kw.setdefault("socket_connect_timeout", SOCK_TIMEOUT)
        return redis.Redis(host=HOST, port=self.port, **kw)


# ---- raw RESP ------------------------------------------------------------------------

class RespError(Exception):
    """An error reply; str() is its text without '-' and CRLF."""

    def __eq__(self, other):
        return isinstance(other, RespError) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


def info_fields(text):
    """An INFO reply (bytes) as a dict of its fields, values as str."""
    out = {}
    for line in text.decode().split("\r\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def encode(*args):
    """A command as a RESP multibulk."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def recv_exactly(sock, n, timeout=SOCK_TIMEOUT):
    """n bytes from sock, or fewer if the peer closed first; bounded by timeout."""
    deadline = time.monotonic() + timeout
    saved = sock.gettimeout()
    buf = b""
    try:
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out after %r of %d bytes" % (buf[:80], n))
            sock.settimeout(left)
            chunk = sock.recv(n - len(buf))
            if not chunk:
                break
            buf += chunk
    finally:
        sock.settimeout(saved)
    return buf


def read_until_closed(sock, timeout=SOCK_TIMEOUT, limit=1 << 30):
    """Everything the peer sends until it closes (EOF or reset). Returns (data, closed):
    closed is False if timeout passed or limit bytes came first."""
    deadline = time.monotonic() + timeout
    chunks, total = [], 0
    sock.settimeout(timeout)  # the caller is done with this socket's normal timeout
    while total < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), False
        sock.settimeout(left)
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            return b"".join(chunks), False
        except (ConnectionResetError, BrokenPipeError):
            return b"".join(chunks), True
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks), False


def wait_for(pred, timeout=10.0):
    """Whether pred() came true within timeout seconds (asked every 10 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return False


def blocked_clients(conn):
    """INFO clients' blocked_clients of the server of conn: a RespConn or a redis-py
    client."""
    if isinstance(conn, RespConn):
        return int(info_fields(conn.cmd("INFO", "clients"))["blocked_clients"])
    return int(conn.info("clients")["blocked_clients"])


def wait_blocked(conn, n, timeout=SOCK_TIMEOUT):
    """Wait (bounded by timeout) until the server of conn (a RespConn or a redis-py
    client) counts n blocked clients (INFO clients), as a test must before it wakes them:
    a client's blocking command that was only sent may not have been read yet."""
    deadline = time.monotonic() + timeout
    while (got := blocked_clients(conn)) != n:
        if time.monotonic() > deadline:
            raise AssertionError("blocked_clients is %d, not %d after %.0f s"
                                 % (got, n, timeout))
        time.sleep(0.005)


class RespConn:
    """A socket with a small RESP2/RESP3 reply reader. Replies become Python values:
    simple and bulk strings bytes, integers int, nulls None, arrays and sets and pushes
    lists, maps dicts, doubles float, booleans bool, errors RespError instances."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, *args):
        """Send one command and return its reply."""
        self.send(encode(*args))
        return self.reply()

    def pipeline(self, cmds):
        """Send the commands (tuples of arguments) at once; their replies, in order."""
        self.send(b"".join(encode(*a) for a in cmds))
        return [self.reply() for _ in cmds]

    def read_bytes(self, n, timeout=SOCK_TIMEOUT):
        """Exactly n raw bytes (what the reader buffered first), bounded by timeout."""
        if len(self.buf) < n:
            self.buf += recv_exactly(self.sock, n - len(self.buf), timeout)
        data, self.buf = self.buf[:n], self.buf[n:]
        if len(data) < n:
            raise ConnectionError("connection closed after %r" % data[:80])
        return data

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            if len(self.buf) > 1 << 20:
                raise AssertionError("reply line longer than 1MB")
            self._fill()

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            return RespError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$" or t == b"=":
            n = int(rest)
            return None if n < 0 else self._bytes(n)
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        if t == b"%":
            n = int(rest)
            out = {}
            for _ in range(n):
                k = self.reply()
                out[k] = self.reply()
            return out
        if t == b"_":
            return None
        if t == b",":
            return float(rest)
        if t == b"#":
            return rest == b"t"
        if t == b"(":
            return int(rest)
        raise AssertionError("not a RESP reply: %r" % line[:100])


# ---- test cases ----------------------------------------------------------------------

class ServerTestCase(unittest.TestCase):
    """A test class sharing one server (server_args) across its tests; tests that change
    the server's configuration start their own with spawn(). A server that crashed,
    misbehaved on SIGTERM or printed a sanitizer report fails the test or class."""

    server_args = ()
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.server_args).start()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            server, cls.server = cls.server, None
            server.stop()

    def tearDown(self):
        if self.server is not None:
            self.server.assert_alive()

    def spawn(self, *args, **kw):
        """A server of this test only, stopped and checked when the test ends."""
        s = Server(args, **kw).start()
        self.addCleanup(s.stop)
        return s


class RespiteAndRedis(unittest.TestCase):
    """A test class whose tests run on a respite-server and on a real redis-server (the
    reference, `reference`: reference_binary, else Debian's, with reference_args), both
    shared across its tests. With respite_is_redis set, a second redis-server stands in
    for respite, to check the tests themselves."""

    respite_is_redis = False
    reference_binary = None
    reference_args = ()
    respite = None
    reference = None

    @classmethod
    def setUpClass(cls):
        cls.reference = RedisServer(cls.reference_binary, cls.reference_args).start()
        try:
            cls.respite = RedisServer().start() if cls.respite_is_redis else Server().start()
        except BaseException:
            cls.reference.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.respite.stop()
        finally:
            cls.reference.stop()

    def tearDown(self):
        if isinstance(self.respite, Server):
            self.respite.assert_alive()

    def on_both_flushed(self, fn):
        """[fn(conn) on the reference, fn(conn) on respite]: each on a new connection to
        its server, after FLUSHALL."""
        out = []
        for srv in (self.reference, self.respite):
            c = RespConn(socket.create_connection((HOST, srv.port), timeout=30))
            try:
                self.assertEqual(c.cmd("FLUSHALL"), b"OK")
                out.append(fn(c))
            finally:
                c.close()
        return out


def main():
    """unittest.main() after taking `--server PATH` out of the arguments."""
    argv = list(sys.argv)
    if "--server" in argv:
        i = argv.index("--server")
        os.environ["RESPITE_SERVER"] = os.path.abspath(argv[i + 1])
        del argv[i:i + 2]
    unittest.main(argv=argv, verbosity=2)
