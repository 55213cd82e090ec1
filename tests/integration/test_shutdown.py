# SPDX-License-Identifier: BSD-3-Clause
"""Start-up and shutdown of respite-server: SIGTERM, SIGINT and SHUTDOWN end it with
status 0 and a log line; bad options and bad config files stop it at start with Redis's
"FATAL CONFIG FILE ERROR" report and a non-zero status; a config file is honoured and
the command line overrides it; the start log names the version, the port and the pid.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Server, encode, free_port, main, read_until_closed,  # noqa: E402
                     sanitizer_report, server_path)
import unittest  # noqa: E402


def first_read(sock, timeout=15):
    """What the first read returns: b"" when the server closed without replying, else the
    start of its reply (so a refused command fails the test at once)."""
    sock.settimeout(timeout)
    try:
        return sock.recv(4096)
    except ConnectionResetError:
        return b""


class Stopping(unittest.TestCase):

    def stop_with(self, sig, line):
        srv = Server().start()
        c = srv.conn()
        self.assertEqual(c.cmd("SET", "k", "v"), b"OK")
        srv.proc.send_signal(sig)
        data, closed = read_until_closed(c.sock, timeout=15)
        self.assertTrue(closed)
        c.close()
        srv.wait_exit(0)
        log = srv.stdout()
        self.assertIn(line, log)
        self.assertIn("ready to exit, bye bye", log)

    def test_sigterm_exits_0_and_logs(self):
        self.stop_with(signal.SIGTERM, "Received SIGTERM scheduling shutdown...")

    def test_sigint_exits_0_and_logs(self):
        self.stop_with(signal.SIGINT, "Received SIGINT scheduling shutdown...")

    def test_sigterm_with_busy_clients_exits_0(self):
        srv = Server().start()
        try:
            c = srv.conn()
            self.assertEqual(c.cmd("SET", "big", b"v" * 100000), b"OK")
            idle = [srv.connect() for _ in range(50)]
            flooder = srv.connect(rcvbuf=32 * 1024)
            flooder.sendall(encode("GET", "big") * 300)   # 30 MB it never reads
            partial = srv.connect()
            partial.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc")
            self.assertEqual(c.cmd("PING"), b"PONG")
            srv.stop()   # asserts status 0 and no sanitizer report
            for s in idle + [flooder, partial, c.sock]:
                s.close()
        finally:
            srv.kill()

    def shutdown_command(self, *args):
        srv = Server().start()
        try:
            c = srv.conn()
            c.send(encode("SHUTDOWN", *args))
            data = first_read(c.sock)
            c.close()
            # On success SHUTDOWN does not reply: the server just goes away.
            self.assertEqual(data, b"")
            srv.wait_exit(0)
        finally:
            srv.kill()
        self.assertIn("User requested shutdown...", srv.stdout())

    def test_shutdown_command_exits_0(self):
        self.shutdown_command()

    def test_shutdown_nosave_exits_0(self):
        self.shutdown_command("NOSAVE")

    def test_shutdown_with_other_clients_connected(self):
        srv = Server().start()
        try:
            others = [srv.conn() for _ in range(5)]
            for o in others:
                self.assertEqual(o.cmd("PING"), b"PONG")
            c = srv.conn()
            c.send(encode("SHUTDOWN"))
            for o in [c] + others:
                self.assertEqual(first_read(o.sock), b"")
                o.close()
            srv.wait_exit(0)
        finally:
            srv.kill()


class BadStartup(unittest.TestCase):

    def run_server(self, *args):
        with tempfile.TemporaryDirectory(prefix="respite-it-") as d:
            proc = subprocess.run([server_path()] + list(args), cwd=d, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        self.assertIsNone(sanitizer_report(err), err)
        return proc.returncode, out, err

    def expect_fatal(self, *args, line=None, message=None):
        status, out, err = self.run_server(*args)
        self.assertNotEqual(status, 0, out + err)
        self.assertIn("FATAL CONFIG FILE ERROR", err)
        if line:
            self.assertIn(">>> '%s'" % line, err)
        if message:
            self.assertIn(message, err)
        return err

    def test_port_not_a_number(self):
        err = self.expect_fatal("--port", "abc", line='port "abc"',
                                message="argument couldn't be parsed into an integer")
        # Options are numbered as redis-server numbers them: after the (absent) file
        # and one more newline.
        self.assertIn("at line 2\n", err)

    def test_port_out_of_range(self):
        self.expect_fatal("--port", "70000", line='port "70000"')

    def test_unknown_option(self):
        err = self.expect_fatal("--port", str(free_port()), "--no-such-option", "1",
                                line='no-such-option "1"',
                                message="Bad directive or wrong number of arguments")
        self.assertIn("at line 3\n", err)

    def test_bad_option_after_a_config_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("port %d\nmaxclients 5\n" % free_port())
            f.flush()
            err = self.expect_fatal(f.name, "--save", "", "--bogus", "1", line='bogus "1"',
                                    message="Bad directive or wrong number of arguments")
        self.assertIn("at line 5\n", err)

    def test_config_file_with_a_bad_line(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("# respite test\nport %d\nbogus line here\nmaxclients 5\n" % free_port())
            f.flush()
            err = self.expect_fatal(f.name, line="bogus line here",
                                    message="Bad directive or wrong number of arguments")
        self.assertIn("at line 3", err)

    def test_config_file_with_unbalanced_quotes(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write('port %d\nbind "127.0.0.1\n' % free_port())
            f.flush()
            err = self.expect_fatal(f.name, line='bind "127.0.0.1')
        self.assertIn("at line 2", err)

    def test_missing_config_file(self):
        status, out, err = self.run_server("/nonexistent/respite.conf")
        self.assertNotEqual(status, 0)
        self.assertIn("/nonexistent/respite.conf", err)


class Config(unittest.TestCase):

    def start(self, config, *args, port=0):
        srv = Server(args, config=config, port=port).start()
        self.addCleanup(srv.stop)
        return srv

    def test_config_file_is_honoured(self):
        port = free_port()
        srv = self.start("# written by test_shutdown.py\n\n"
                         "port %d\n"
                         "bind 127.0.0.1\n"
                         "   maxclients 7\n"
                         "timeout \"0\"\n" % port, port=port)
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "GET", "port"), [b"port", b"%d" % port])
        self.assertEqual(c.cmd("CONFIG", "GET", "bind"), [b"bind", b"127.0.0.1"])
        self.assertEqual(c.cmd("CONFIG", "GET", "maxclients"), [b"maxclients", b"7"])
        more = [srv.connect() for _ in range(7)]
        try:
            data, closed = read_until_closed(more[-1], timeout=10)
            self.assertEqual(data, b"-ERR max number of clients reached\r\n")
        finally:
            for s in more:
                s.close()

    def test_command_line_overrides_config_file(self):
        srv = self.start("port 0\nbind 127.0.0.1\nmaxclients 7\n", "--maxclients", "8")
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "GET", "maxclients"), [b"maxclients", b"8"])

    def test_port_0_picks_a_free_port_and_reports_it(self):
        srv = Server().start()   # the harness starts every server with --port 0
        self.addCleanup(srv.stop)
        c = srv.conn()
        self.addCleanup(c.close)
        self.assertNotEqual(srv.port, 0)
        self.assertEqual(c.cmd("CONFIG", "GET", "port"), [b"port", b"%d" % srv.port])

    def test_start_log_has_version_port_and_pid(self):
        version = subprocess.run([server_path(), "--version"], stdout=subprocess.PIPE,
                                 timeout=30).stdout.decode()
        m = re.search(r"v=(\d+\.\d+\.\d+)", version)
        self.assertIsNotNone(m, version)
        srv = Server().start()
        self.addCleanup(srv.stop)
        log = srv.stdout()
        self.assertRegex(log, r"version=%s\b" % re.escape(m.group(1)))
        self.assertRegex(log, r"\bpid=%d\b" % srv.pid)
        self.assertRegex(log, r"\bport=%d\b" % srv.port)
        self.assertIn("Ready to accept connections", log)


if __name__ == "__main__":
    main()
