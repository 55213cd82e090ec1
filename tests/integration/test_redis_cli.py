# SPDX-License-Identifier: BSD-3-Clause
"""redis-cli against respite: one-shot commands (plain, --raw, --no-raw, -x), mass
insertion with --pipe, the key scans --bigkeys and --memkeys, and the interactive prompt with its argument hints, driven through
a private tmux server (its own -L socket under a temp dir, killed alone at the end).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ServerTestCase, main  # noqa: E402

CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
CLI_TIMEOUT = 60


class RedisCli(ServerTestCase):

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="respite-cli-")
        self.addCleanup(shutil.rmtree, self.home, True)
        # No history or rc file of the user's is read or written.
        self.env = dict(os.environ, HOME=self.home, TERM="xterm",
                        REDISCLI_HISTFILE=os.path.join(self.home, "history"),
                        REDISCLI_RCFILE=os.path.join(self.home, "rc"))

    def cli(self, *args, stdin=None):
        proc = subprocess.run([CLI, "-h", "127.0.0.1", "-p", str(self.server.port)] + list(args),
                              input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=self.env, timeout=CLI_TIMEOUT)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout.decode()

    def test_one_shot_commands(self):
        self.assertEqual(self.cli("SET", "cli:a", "b"), "OK\n")
        self.assertEqual(self.cli("GET", "cli:a"), "b\n")
        self.cli("DEL", "cli:n")
        self.assertEqual(self.cli("INCR", "cli:n"), "1\n")
        self.assertEqual(self.cli("--no-raw", "INCR", "cli:n"), "(integer) 2\n")
        self.assertEqual(self.cli("--no-raw", "GET", "cli:a"), '"b"\n')
        self.assertEqual(self.cli("--no-raw", "GET", "cli:missing"), "(nil)\n")
        self.assertEqual(self.cli("--raw", "GET", "cli:a"), "b\n")
        self.assertEqual(self.cli("--raw", "MGET", "cli:a", "cli:missing", "cli:n"), "b\n\n2\n")
        self.assertEqual(self.cli("INCR", "cli:a"),
                         "ERR value is not an integer or out of range\n\n")
        self.assertEqual(self.cli("--no-raw", "INCR", "cli:a"),
                         "(error) ERR value is not an integer or out of range\n")

    def test_stdin_as_last_argument_with_x(self):
        self.assertEqual(self.cli("-x", "SET", "cli:x", stdin=b"line one\nline two\n"), "OK\n")
        self.assertEqual(self.cli("--raw", "GET", "cli:x"), "line one\nline two\n\n")
        self.assertEqual(self.cli("STRLEN", "cli:x"), "18\n")

    def test_pipe_mass_insertion_of_100000_commands(self):
        self.cli("-n", "3", "FLUSHDB")
        n = 100000
        data = b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n" + b"".join(
            b"*3\r\n$3\r\nSET\r\n$%d\r\nmass:%d\r\n$%d\r\nvalue:%d\r\n"
            % (len(b"mass:%d" % i), i, len(b"value:%d" % i), i) for i in range(n - 1))
        out = self.cli("--pipe", stdin=data)
        self.assertIn("errors: 0, replies: %d" % n, out)
        self.assertEqual(self.cli("-n", "3", "DBSIZE"), "%d\n" % (n - 1))
        self.assertEqual(self.cli("-n", "3", "GET", "mass:77777"), "value:77777\n")

    def test_bigkeys_and_memkeys_scan_every_type(self):
        """--bigkeys (TYPE, then STRLEN/LLEN/HLEN/SCARD/ZCARD/XLEN) and --memkeys (MEMORY
        USAGE) over db 5: the biggest key of each type, with the sizes the commands give."""
        db = ("-n", "5")
        self.cli(*db, "FLUSHDB")
        self.cli(*db, "SET", "bk:s", "x" * 300)
        self.cli(*db, "SET", "bk:small", "1")
        self.cli(*db, "RPUSH", "bk:l", *["e%d" % i for i in range(500)])
        self.cli(*db, "HSET", "bk:h", "a", "1", "b", "2", "c", "3")
        self.cli(*db, "SADD", "bk:set", *[str(i) for i in range(40)])
        self.cli(*db, "ZADD", "bk:z", "1", "a", "2", "b")
        self.cli(*db, "XADD", "bk:x", "1-1", "f", "v")
        self.cli(*db, "SET", "project:cli:k", "v")
        big = self.cli(*db, "--bigkeys")
        self.assertIn("Sampled 8 keys in the keyspace!", big)
        for line in ("Biggest string found '\"bk:s\"' has 300 bytes",
                     "Biggest   list found '\"bk:l\"' has 500 items",
                     "Biggest   hash found '\"bk:h\"' has 3 fields",
                     "Biggest    set found '\"bk:set\"' has 40 members",
                     "Biggest   zset found '\"bk:z\"' has 2 members",
                     "Biggest stream found '\"bk:x\"' has 1 entries",
                     "3 strings with 302 bytes"):
            self.assertIn(line, big)
        mem = self.cli(*db, "--memkeys")
        self.assertIn("Sampled 8 keys in the keyspace!", mem)
        for kind, key in (("string", "bk:s"), ("list", "bk:l"), ("hash", "bk:h"),
                          ("set", "bk:set"), ("zset", "bk:z"), ("stream", "bk:x")):
            usage = int(self.cli(*db, "MEMORY", "USAGE", key))
            self.assertGreater(usage, 0)
            self.assertIn("Biggest %6s found '\"%s\"' has %d bytes" % (kind, key, usage), mem)


class InteractiveCli(ServerTestCase):
    """redis-cli in a terminal: hints for the arguments still to type, and replies."""

    def setUp(self):
        self.sock = "respite-it-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8])
        self.home = tempfile.mkdtemp(prefix="respite-cli-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.env = dict(os.environ, HOME=self.home, TERM="xterm",
                        REDISCLI_HISTFILE=os.path.join(self.home, "history"),
                        REDISCLI_RCFILE=os.path.join(self.home, "rc"))
        self.env.pop("TMUX", None)
        # The -L socket goes under the temp home, which is removed with it: tmux leaves
        # its socket file behind after kill-server.
        self.env["TMUX_TMPDIR"] = self.home
        self.tmux("new-session", "-d", "-s", "cli", "-x", "200", "-y", "50",
                  "%s -h 127.0.0.1 -p %d" % (CLI, self.server.port))
        self.addCleanup(self.tmux, "kill-server")
        self.prompt = "127.0.0.1:%d>" % self.server.port
        self.wait_screen(lambda s: self.prompt in s)

    def tmux(self, *args):
        proc = subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null"] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env,
                              timeout=20)
        return proc.stdout.decode(errors="replace")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "cli")

    def wait_screen(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            if pred(s) or time.monotonic() > deadline:
                return s
            time.sleep(0.05)

    def type(self, text, enter=False):
        self.tmux("send-keys", "-t", "cli", "-l", text)
        if enter:
            self.tmux("send-keys", "-t", "cli", "Enter")

    def test_hint_for_set_then_replies(self):
        self.type("SET k v ")
        screen = self.wait_screen(lambda s: "[NX|XX]" in s or "EX seconds" in s)
        self.assertTrue("[NX|XX]" in screen or "EX seconds" in screen, screen)
        self.type("", enter=True)
        screen = self.wait_screen(lambda s: "OK" in s)
        self.assertIn("OK", screen)
        self.type("GET k", enter=True)
        screen = self.wait_screen(lambda s: '"v"' in s)
        self.assertIn('"v"', screen)
        self.type("INCR counter:cli", enter=True)
        screen = self.wait_screen(lambda s: "(integer) 1" in s)
        self.assertIn("(integer) 1", screen)


if __name__ == "__main__":
    main()
