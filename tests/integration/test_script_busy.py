# SPDX-License-Identifier: BSD-3-Clause
"""Long scripts, as Redis 7.4.1 runs them (compared with a real redis-server 7.4.1,
harness.redis74_path; skipped without it): past busy-reply-threshold (lua-time-limit)
other clients get -BUSY except for the commands 7.4 allows meanwhile, new connections
are accepted and answered, SCRIPT KILL stops a script that has not written (its caller
gets the kill error, a pcall cannot catch it), a script that wrote is UNKILLABLE and only
SHUTDOWN NOSAVE ends it, stopping the server; SIGTERM or SIGINT meanwhile is logged at
once and stops the server (status 0) only when the script is over, a second SIGINT exits
at once (status 1). Each scenario runs on both servers and their transcripts must be
equal; respite must also exit cleanly, without a sanitizer report, and log the signal as
Redis does.
"""
import os
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RedisServer, RespConn, RespError, Server, encode, main,  # noqa: E402
                     read_until_closed, redis74_path)

LOOP = "local i = 0 while true do i = i + 1 end"
BUSY_TIMEOUT = 10.0


def conn(port):
    s = socket.create_connection((HOST, port), timeout=10.0)
    return RespConn(s)


def wait_busy(port):
    """PING from a fresh connection until the server answers -BUSY (bounded)."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    c = conn(port)
    try:
        while time.monotonic() < deadline:
            r = c.cmd("PING")
            if isinstance(r, RespError) and str(r).startswith("BUSY"):
                return r
            time.sleep(0.02)
    finally:
        c.close()
    raise AssertionError("no BUSY within %.0fs" % BUSY_TIMEOUT)


def start_script(port, body, *extra):
    """A connection that sent EVAL body 0 (and extra commands after it), not read yet."""
    c = conn(port)
    c.send(encode("EVAL", body, 0) + b"".join(encode(*e) for e in extra))
    return c


def scenario_kill(port):
    """A read-only endless script: what the other clients get, then SCRIPT KILL."""
    out = []
    c = conn(port)
    out.append(c.cmd("CONFIG", "SET", "busy-reply-threshold", "100"))
    out.append(c.cmd("CONFIG", "GET", "lua-time-limit"))
    out.append(c.cmd("SET", "k", "v"))
    out.append(c.cmd("SCRIPT", "KILL"))  # NOTBUSY
    caller = start_script(port, LOOP, ("GET", "k"))
    out.append(wait_busy(port))
    # What an established client gets, one command at a time.
    for cmd in (("PING",), ("GET", "k"), ("CLIENT", "ID"), ("ECHO", "x"), ("FOO",),
                ("GET",), ("SCRIPT", "FLUSH"), ("EVAL", "return 1", 0),
                ("CONFIG", "SET", "busy-reply-threshold", "0"), ("SHUTDOWN",),
                ("SHUTDOWN", "NOW"), ("SHUTDOWN", "ABORT"), ("AUTH", "x"),
                ("WATCH", "k"), ("UNWATCH",), ("MULTI",), ("GET", "k"), ("EXEC",),
                ("MULTI",), ("DISCARD",)):
        out.append((cmd, c.cmd(*cmd)))
    # HELLO runs (its reply names the server's version and the client's id).
    out.append(isinstance(c.cmd("HELLO", "2", "SETNAME", "busy"), list))
    # A pipeline is answered in order; a new connection is served too.
    c.send(encode("PING") + encode("ECHO", "a") + encode("UNWATCH"))
    out.append([c.reply() for _ in range(3)])
    fresh = conn(port)
    out.append(fresh.cmd("PING"))
    out.append(fresh.cmd("SCRIPT", "KILL"))
    # The caller: the kill error, then its pipelined GET.
    out.append(caller.reply())
    out.append(caller.reply())
    out.append(c.cmd("PING"))
    out.append(c.cmd("SCRIPT", "KILL"))
    # pcall does not catch the kill.
    caller.close()
    caller = start_script(port, "while true do pcall(function() %s end) end" % LOOP)
    out.append(wait_busy(port))
    out.append(c.cmd("SCRIPT", "KILL"))
    out.append(caller.reply())
    # A script that calls redis.call in its loop (reads only) is killable.
    caller.close()
    caller = start_script(port, "while true do redis.call('GET', 'k') end")
    out.append(wait_busy(port))
    out.append(c.cmd("SCRIPT", "KILL"))
    out.append(caller.reply())
    out.append(c.cmd("GET", "k"))
    for x in (caller, fresh, c):
        x.close()
    return out


def scenario_unkillable(port):
    """A script that wrote first: UNKILLABLE, SHUTDOWN refused, SHUTDOWN NOSAVE stops the
    server, and its caller's connection closes."""
    out = []
    c = conn(port)
    out.append(c.cmd("CONFIG", "SET", "lua-time-limit", "100"))
    caller = start_script(port, "redis.call('SET', 'w', '1') " + LOOP)
    out.append(wait_busy(port))
    out.append(c.cmd("SCRIPT", "KILL"))
    out.append(c.cmd("SHUTDOWN"))
    out.append(c.cmd("SHUTDOWN", "SAVE"))
    c.send(encode("SHUTDOWN", "NOSAVE"))
    out.append(read_until_closed(c.sock, timeout=10))
    out.append(read_until_closed(caller.sock, timeout=10))
    c.close()
    caller.close()
    return out


def scenario_function(port):
    """An endless function: FUNCTION KILL stops it, SCRIPT KILL is refused; an endless
    EVAL: SCRIPT KILL stops it, FUNCTION KILL is refused; FUNCTION STATS meanwhile."""
    out = []
    c = conn(port)
    out.append(c.cmd("CONFIG", "SET", "busy-reply-threshold", "100"))
    out.append(c.cmd("FUNCTION", "LOAD", "REPLACE",
                     "#!lua name=spinlib\nredis.register_function('spin', function(k, a) %s end)"
                     % LOOP))
    out.append(c.cmd("FUNCTION", "KILL"))  # NOTBUSY
    caller = conn(port)
    caller.send(encode("FCALL", "spin", 1, "key", "arg"))
    out.append(wait_busy(port))
    out.append(c.cmd("SCRIPT", "KILL"))
    stats = c.cmd("FUNCTION", "STATS")
    running = dict(zip(stats[1][0::2], stats[1][1::2]))
    out.append((running[b"name"], running[b"command"], running[b"duration_ms"] >= 100))
    out.append(c.cmd("FUNCTION", "KILL"))
    out.append(caller.reply())
    out.append(c.cmd("FUNCTION", "STATS")[1])
    caller.close()
    caller = start_script(port, LOOP)
    out.append(wait_busy(port))
    out.append(c.cmd("FUNCTION", "KILL"))
    out.append(c.cmd("FUNCTION", "STATS"))
    out.append(c.cmd("SCRIPT", "KILL"))
    out.append(caller.reply())
    for x in (caller, c):
        x.close()
    return out


def scenario_config(port):
    """busy-reply-threshold and its alias lua-time-limit in CONFIG GET/SET."""
    c = conn(port)
    out = [c.cmd("CONFIG", "GET", "busy-reply-threshold"), c.cmd("CONFIG", "GET", "lua-time*")]
    for v in ("-1", "abc", "9223372036854775808", "0", "250"):
        out.append(c.cmd("CONFIG", "SET", "lua-time-limit", v))
        out.append(c.cmd("CONFIG", "SET", "busy-reply-threshold", v))
    out.append(c.cmd("CONFIG", "GET", "busy-reply-threshold"))
    out.append(c.cmd("CONFIG", "GET", "lua-time-limit"))
    c.close()
    return out


def scenario_no_threshold(port):
    """With busy-reply-threshold 0 a long script (60M iterations, a few hundred ms) is
    never BUSY: a PING sent meanwhile is answered PONG once the script is done."""
    c = conn(port)
    out = [c.cmd("CONFIG", "SET", "busy-reply-threshold", "0")]
    caller = start_script(port, "for i = 1, 60000000 do end return 1")
    time.sleep(0.1)
    out.append(c.cmd("PING"))
    out.append(caller.reply())
    caller.close()
    c.close()
    return out


def scenario_sigterm(port, pid):
    """SIGTERM while a script runs: still serving (-BUSY, new connections), SCRIPT KILL
    works, then the server stops by itself and every connection closes. (The caller's
    kill error: respite writes it before closing; Redis 7.4 writes it only if its cron
    is not due yet, which after a long script it always is -- so not compared.)"""
    out = []
    c = conn(port)
    out.append(c.cmd("CONFIG", "SET", "busy-reply-threshold", "100"))
    caller = start_script(port, LOOP)
    out.append(wait_busy(port))
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.3)
    out.append(c.cmd("PING"))
    fresh = conn(port)
    out.append(fresh.cmd("GET", "k"))
    # SCRIPT KILL's +OK too may be lost by Redis 7.4 (it writes replies at the start of
    # its next round of events, which the stop may come before): both outcomes accepted.
    c.send(encode("SCRIPT", "KILL"))
    data, closed = read_until_closed(c.sock, timeout=10)
    out.append((data in (b"", b"+OK\r\n"), closed))
    out.append(read_until_closed(caller.sock, timeout=10)[1])
    out.append(read_until_closed(fresh.sock, timeout=10))
    for x in (caller, fresh, c):
        x.close()
    return out


def scenario_sigint_twice(port, pid):
    """SIGINT during a script that wrote (UNKILLABLE): still serving; a second SIGINT
    exits at once."""
    out = []
    c = conn(port)
    out.append(c.cmd("CONFIG", "SET", "busy-reply-threshold", "100"))
    caller = start_script(port, "redis.call('SET', 'w', '1') " + LOOP)
    out.append(wait_busy(port))
    os.kill(pid, signal.SIGINT)
    time.sleep(0.3)
    out.append(c.cmd("PING"))
    out.append(c.cmd("SCRIPT", "KILL"))
    os.kill(pid, signal.SIGINT)
    out.append(read_until_closed(caller.sock, timeout=10))
    out.append(read_until_closed(c.sock, timeout=10))
    caller.close()
    c.close()
    return out


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class Signals(unittest.TestCase):

    def compare(self, scenario, status):
        redis = RedisServer(redis74_path()).start()
        try:
            want = scenario(redis.port, redis.proc.pid)
            self.assertEqual(redis.proc.wait(10), status)
        finally:
            redis.stop()
        respite = Server().start()
        try:
            got = scenario(respite.port, respite.pid)
        except BaseException:
            respite.kill()
            raise
        respite.wait_exit(status)
        self.assertEqual(got, want)
        return respite.stdout()

    def test_sigterm_waits_for_the_script(self):
        log = self.compare(scenario_sigterm, 0)
        self.assertRegex(log, r"\n\d+:signal-handler \(\d+\) Received SIGTERM scheduling "
                              r"shutdown\.\.\.\n\d+:M .* \* Lua script killed by user with "
                              r"SCRIPT KILL\.\n\d+:M .* \* User requested shutdown\.\.\.\n")

    def test_second_sigint_exits_at_once(self):
        log = self.compare(scenario_sigint_twice, 1)
        self.assertRegex(log, r"\n\d+:signal-handler \(\d+\) Received SIGINT scheduling "
                              r"shutdown\.\.\.\n\d+:signal-handler \(\d+\) You insist\.\.\. "
                              r"exiting now\.\n")


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class LongScripts(unittest.TestCase):

    def compare(self, scenario, stops=False):
        redis = RedisServer(redis74_path()).start()
        try:
            want = scenario(redis.port)
        finally:
            redis.stop()
        respite = Server().start()
        try:
            got = scenario(respite.port)
        except BaseException:
            respite.kill()
            raise
        if stops:
            respite.wait_exit(0)
        else:
            respite.stop()
        self.assertEqual(got, want)
        return respite

    def test_busy_then_script_kill(self):
        self.compare(scenario_kill)

    def test_unkillable_then_shutdown_nosave(self):
        self.compare(scenario_unkillable, stops=True)

    def test_function_kill_and_stats(self):
        self.compare(scenario_function)

    def test_config(self):
        self.compare(scenario_config)

    def test_no_threshold_no_busy(self):
        self.compare(scenario_no_threshold)


class Respite(unittest.TestCase):

    def test_config_file_and_log(self):
        srv = Server(config="port 0\nbind 127.0.0.1\nlua-time-limit 150\n").start()
        try:
            c = srv.conn()
            self.assertEqual(c.cmd("CONFIG", "GET", "busy-reply-threshold"),
                             [b"busy-reply-threshold", b"150"])
            caller = start_script(srv.port, LOOP)
            wait_busy(srv.port)
            self.assertEqual(c.cmd("SCRIPT", "KILL"), b"OK")
            self.assertTrue(str(caller.reply()).startswith("ERR Script killed by user"))
            caller.close()
            c.close()
            log = srv.stdout()
            self.assertRegex(log, r"# Slow script detected: still in execution after 1[5-9]\d "
                                  r"milliseconds. You can try killing the script using the "
                                  r"SCRIPT KILL command. Script name is: [0-9a-f]{40}\.")
            self.assertIn("* Lua script killed by user with SCRIPT KILL.", log)
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
