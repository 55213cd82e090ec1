# SPDX-License-Identifier: BSD-3-Clause
"""RDB snapshots as a process: the change counter (rdb_changes_since_last_save after each
write command, as Redis 7.4.1 counts it), BGSAVE [SCHEDULE] and its replies, INFO's
Persistence section (field names and order as 7.4), save points (defaults, config files,
CONFIG SET/GET, a save point firing), stop-writes-on-bgsave-error (-MISCONF for writes,
PING, MULTI and scripts after a failed BGSAVE, as 7.4), and SHUTDOWN / SIGTERM saving
(refused when the save fails, FORCE, NOSAVE). Replies are compared with Redis 7.4.1
(RESPITE_REDIS74) where it is there; those tests skip without it.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RespConn, Server, encode, free_port, main,  # noqa: E402
                     read_until_closed, recv_exactly, redis74_path)
import unittest  # noqa: E402

REDIS74 = redis74_path()
need74 = unittest.skipUnless(REDIS74, "Redis 7.4.1 not found (RESPITE_REDIS74)")


class Redis74:
    """Redis 7.4.1 started with the given config file text (None: no file) and args, in
    a directory of its own (self.dir), like respite's Server."""

    def __init__(self, config=None, args=()):
        self.dir = tempfile.mkdtemp(prefix="respite-it-r74-")
        self.port = free_port()
        argv = [REDIS74]
        if config is not None:
            path = os.path.join(self.dir, "redis.conf")
            with open(path, "w") as f:
                f.write(config)
            argv.append(path)
        argv += ["--port", str(self.port), "--bind", HOST, "--dir", self.dir,
                 "--logfile", os.path.join(self.dir, "log")] + list(args)
        self.proc = subprocess.Popen(argv, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection((HOST, self.port), timeout=1.0) as s:
                    s.sendall(b"PING\r\n")
                    if recv_exactly(s, 7, 1.0) == b"+PONG\r\n":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise AssertionError("Redis 7.4.1 did not start")
            time.sleep(0.05)

    def conn(self):
        return RespConn(socket.create_connection((HOST, self.port), timeout=20))

    def log(self):
        with open(os.path.join(self.dir, "log")) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(20)
        shutil.rmtree(self.dir, ignore_errors=True)


def persistence(c):
    """INFO persistence as a list of (field, value) in its order."""
    text = c.cmd("INFO", "persistence").decode()
    return [tuple(line.split(":", 1)) for line in text.split("\r\n")
            if line and not line.startswith("#")]


def field(c, name):
    return dict(persistence(c))[name]


def data_dir(test):
    """A directory for a server's files that outlives the server (its own temp dir goes
    with it), removed when the test ends."""
    d = tempfile.mkdtemp(prefix="respite-it-data-")
    test.addCleanup(shutil.rmtree, d, True)
    return d


def fill(c, n, size):
    """n keys key:<i> of size bytes each, by pipelined MSETs."""
    val = b"v" * size
    for start in range(0, n, 1000):
        args = ["MSET"]
        for i in range(start, min(n, start + 1000)):
            args += [b"key:%d" % i, val]
        c.send(encode(*args))
    for start in range(0, n, 1000):
        assert c.reply() == b"OK"


def wait_bgsave_done(c, timeout=60):
    deadline = time.monotonic() + timeout
    while field(c, "rdb_bgsave_in_progress") != "0":
        if time.monotonic() > deadline:
            raise AssertionError("BGSAVE still running after %ds" % timeout)
        time.sleep(0.05)


# Write commands respite and Redis 7.4 both have, with their effects on the change count
# (no-ops among them); run in order on an empty server.
DIRTY_CASES = """
SET|a|1
SET|a|1
SET|b|2|NX
SET|a|2|NX
SET|a|3|XX|GET
MSET|x|1|y|2|z|3
MSETNX|x|1|q|2
MSETNX|p|1|q|2
INCR|a
INCRBY|a|5
DECR|a
DECRBY|a|2
INCRBYFLOAT|a|1.5
APPEND|s|hello
APPEND|s|
SETRANGE|s|0|
SETRANGE|s|1|ab
SETRANGE|nokey|0|
GETDEL|s
GETDEL|s
GETEX|a
GETEX|a|EX|100
GETEX|a|PERSIST
GETEX|a|PERSIST
GETSET|a|9
SETEX|e|100|v
PSETEX|e|100|v
SETNX|e|v
SETNX|new|v
DEL|x|y|nosuch
UNLINK|z|nosuch
EXPIRE|a|100
EXPIRE|a|100|NX
EXPIRE|nosuch|100
PEXPIRE|a|100|GT
PERSIST|a
PERSIST|a
PEXPIRE|e|0
EXPIREAT|new|1
RENAME|a|a2
RENAME|a2|a2
RENAMENX|a2|p
COPY|a2|a3
MOVE|a3|1
SADD|st|a|b|c
SADD|st|a|d
SREM|st|a|zz|b
SPOP|st
SADD|st|a|b|c|d|e
SPOP|st|2
SPOP|st|10
SADD|s1|a|b
SADD|s2|b|c
SMOVE|s1|s2|a
SMOVE|s1|s2|nope
SMOVE|s2|s2|b
SINTERSTORE|s3|s1|s2
SUNIONSTORE|s3|s1|s2
SDIFFSTORE|s3|s2|s1
SINTERSTORE|s3|nosuch|s1
SINTERSTORE|s4|nosuch|s1
HSET|h|f1|v|f2|v
HSET|h|f1|v|f3|v
HSETNX|h|f1|v
HSETNX|h|f9|v
HMSET|h|f1|x
HDEL|h|f1|f2|nope
HINCRBY|h|n|1
HINCRBY|h|n|0
HINCRBYFLOAT|h|n|1.5
HEXPIRE|h|100|FIELDS|2|f3|f9
HEXPIRE|h|100|NX|FIELDS|2|f3|nope
HPERSIST|h|FIELDS|2|f3|f9
HPERSIST|h|FIELDS|1|f3
HPEXPIRE|h|0|FIELDS|1|f3
LPUSH|l|a|b|c
RPUSH|l|d
LPUSHX|l|e|f
RPUSHX|nol|e
LPOP|l
RPOP|l|2
LPOP|l|0
LSET|l|0|z
LINSERT|l|BEFORE|z|y
LINSERT|l|BEFORE|zz|y
LREM|l|0|y
LREM|l|0|zz
LTRIM|l|0|0
RPUSH|l|1|2|3|4|5
LTRIM|l|1|-2
LMOVE|l|l2|LEFT|RIGHT
RPOPLPUSH|l|l2
LMPOP|1|l|LEFT|COUNT|2
RPUSH|bl|a|b
BLPOP|bl|0
BLMPOP|0|1|bl|LEFT|COUNT|5
ZADD|zs|1|a|2|b
ZADD|zs|1|a|3|b|4|c
ZADD|zs|CH|5|a|3|b
ZADD|zs|NX|9|a
ZINCRBY|zs|1|a
ZREM|zs|a|nope
ZADD|zs|1|a|2|x|3|y
ZREMRANGEBYRANK|zs|0|1
ZREMRANGEBYSCORE|zs|0|3
ZREMRANGEBYSCORE|zs|100|200
ZADD|zs|1|a|2|b|3|c|4|d
ZPOPMIN|zs
ZPOPMAX|zs|2
ZREMRANGEBYLEX|zs|-|+
ZADD|za|1|a|2|b
ZUNIONSTORE|zu|1|za
ZINTERSTORE|zu|1|nosuch
ZINTERSTORE|zu|1|nosuch
ZRANGESTORE|zr|za|0|-1
ZMPOP|1|za|MIN|COUNT|5
ZADD|bz|1|a|2|b
BZPOPMIN|bz|0
BZMPOP|0|1|bz|MAX|COUNT|3
XADD|xs|1-1|f|v
XADD|xs|2-1|f|v
XADD|xs|3-1|f|v
XDEL|xs|1-1|9-9
XTRIM|xs|MAXLEN|1
XADD|xs|4-1|f|v
XGROUP|CREATE|xs|g|0
XGROUP|CREATECONSUMER|xs|g|c
XGROUP|CREATECONSUMER|xs|g|c
XREADGROUP|GROUP|g|c|STREAMS|xs|>
XREADGROUP|GROUP|g|c2|STREAMS|xs|>
XREADGROUP|GROUP|g|c|STREAMS|xs|0
XGROUP|SETID|xs|g|0
XREADGROUP|GROUP|g|c|NOACK|COUNT|1|STREAMS|xs|>
XACK|xs|g|3-1|9-9
XCLAIM|xs|g|c3|0|4-1
XAUTOCLAIM|xs|g|c4|0|0
XADD|xs|MAXLEN|0|5-1|f|v
XGROUP|DELCONSUMER|xs|g|nope
XGROUP|DELCONSUMER|xs|g|c
XSETID|xs|6-1
XGROUP|CREATE|xs2|g|$|MKSTREAM
XGROUP|DESTROY|xs|g
XGROUP|DESTROY|xs|g
FUNCTION|LOAD|#!lua name=lib\\nredis.register_function('f', function() return 1 end)
FUNCTION|DELETE|lib
FUNCTION|FLUSH
EVAL|redis.call('set','e1','1') redis.call('set','e2','1')|0
EVAL|return 1|0
SWAPDB|0|1
SWAPDB|0|0
FLUSHDB
SET|k1|1
SELECT|1
SET|k2|1
SELECT|0
FLUSHALL
FLUSHALL
""".strip().split("\n")


def respite_conf(text):
    """A config file for respite: text, on a free port of the loopback."""
    return "port %d\nbind %s\n%s" % (free_port(), HOST, text)


@need74
class ChangeCounter(unittest.TestCase):

    def test_changes_per_command_as_redis_74(self):
        ref = Redis74(args=["--save", ""])
        srv = Server(["--save", ""]).start()
        try:
            seen = {}
            for name, c in (("redis", ref.conn()), ("respite", srv.conn())):
                out = []
                for line in DIRTY_CASES:
                    args = line.replace("\\n", "\n").split("|")
                    before = int(field(c, "rdb_changes_since_last_save"))
                    c.cmd(*args)
                    out.append((line, int(field(c, "rdb_changes_since_last_save")) - before))
                seen[name] = out
            self.assertEqual(seen["respite"], seen["redis"])
        finally:
            ref.stop()
            srv.stop()

    def test_lazy_and_active_expiry_do_not_count(self):
        srv = Server(["--save", ""]).start()
        try:
            c = srv.conn()
            c.cmd("SET", "k1", "v", "PX", "1")
            c.cmd("SET", "k2", "v", "PX", "1")
            c.cmd("HSET", "h", "a", "1", "b", "2")
            c.cmd("HPEXPIRE", "h", "1", "FIELDS", "1", "a")
            n = int(field(c, "rdb_changes_since_last_save"))
            self.assertEqual(n, 5)
            time.sleep(0.3)                      # active expiry reclaims them
            self.assertEqual(c.cmd("GET", "k1"), None)
            self.assertEqual(c.cmd("HLEN", "h"), 1)
            self.assertEqual(int(field(c, "rdb_changes_since_last_save")), n)
        finally:
            srv.stop()


class Bgsave(unittest.TestCase):

    def test_bgsave_writes_a_file_that_loads_and_resets_the_count(self):
        d = data_dir(self)
        srv = Server(["--save", "", "--dir", d]).start()
        try:
            c = srv.conn()
            for i in range(2000):
                c.send(encode("SET", "k%d" % i, "v%d" % i))
            for i in range(2000):
                c.reply()
            c.cmd("HSET", "h", "f", "v")
            self.assertEqual(field(c, "rdb_changes_since_last_save"), "2001")
            self.assertEqual(c.cmd("BGSAVE"), b"Background saving started")
            wait_bgsave_done(c)
            info = dict(persistence(c))
            self.assertEqual(info["rdb_last_bgsave_status"], "ok")
            self.assertEqual(info["rdb_changes_since_last_save"], "0")
            self.assertEqual(info["rdb_saves"], "1")
            self.assertNotEqual(info["rdb_last_bgsave_time_sec"], "-1")
            self.assertEqual(c.cmd("LASTSAVE"), int(info["rdb_last_save_time"]))
            self.assertTrue(os.path.exists(os.path.join(d, "dump.rdb")))
            self.assertEqual([f for f in os.listdir(d) if f.startswith("temp-")], [])
            if REDIS74:       # the child's file, allocated from its arena, is Redis's format
                check = os.path.join(os.path.dirname(REDIS74), "redis-check-rdb")
                out = subprocess.run([check, os.path.join(d, "dump.rdb")],
                                     capture_output=True, text=True, timeout=60)
                self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
                self.assertIn("RDB looks OK", out.stdout)
            log = srv.stdout()
            self.assertRegex(log, r"Background saving started by pid \d+")
            self.assertIn("Background saving terminated with success", log)
            again = Server(["--save", "", "--dir", d]).start()
            try:
                a = again.conn()
                self.assertEqual(a.cmd("DBSIZE"), 2001)
                self.assertEqual(a.cmd("GET", "k1999"), b"v1999")
                self.assertEqual(field(a, "rdb_last_load_keys_loaded"), "2001")
            finally:
                again.stop()
        finally:
            srv.stop()

    def test_writes_during_bgsave_stay_counted(self):
        # A dataset big enough that the child is still writing when the SETs arrive.
        srv = Server(["--save", "", "--rdbcompression", "no"]).start()
        try:
            c = srv.conn()
            fill(c, 300000, 100)
            before = int(field(c, "rdb_changes_since_last_save"))
            self.assertEqual(c.cmd("BGSAVE"), b"Background saving started")
            if field(c, "rdb_bgsave_in_progress") != "1":
                self.skipTest("the child finished before the writes")
            c.cmd("SET", "during1", "x")
            c.cmd("SET", "during2", "x")
            wait_bgsave_done(c)
            self.assertEqual(int(field(c, "rdb_changes_since_last_save")), 2)
            self.assertGreaterEqual(before, 0)
        finally:
            srv.stop()

    def test_the_child_copies_no_page_of_an_idle_server(self):
        # The child only reads what it shares with the server: its walks of the project
        # tables and of the hash tables write nothing to them (a pause of each table copied
        # its page), and its own pages are a small write buffer. Nothing writes meanwhile,
        # so rdb_last_cow_size is the child's doing alone (20 MB before for this dataset).
        srv = Server(["--save", "", "--rdbcompression", "no"]).start()
        try:
            c = srv.conn()
            value = b"j" * 100  # past hash-max-listpack-value: the hashes are tables
            for p in range(0, 10000, 500):
                for q in range(p, p + 500):
                    for h in (b"a", b"b"):
                        c.send(encode("HSET", b"project:%d:%s" % (q, h), "f1", value,
                                      "f2", value, "f3", value))
                for _ in range(1000):
                    self.assertEqual(c.reply(), 3)
            self.assertEqual(c.cmd("OBJECT", "ENCODING", "project:7:a"), b"hashtable")
            self.assertEqual(c.cmd("BGSAVE"), b"Background saving started")
            wait_bgsave_done(c)
            self.assertEqual(field(c, "rdb_last_bgsave_status"), "ok")
            self.assertLess(int(field(c, "rdb_last_cow_size")), 1 << 20)
        finally:
            srv.stop()

    def test_the_child_holds_no_socket(self):
        # The child closes its copies of the listening socket and the connections: a
        # restarted server can bind while it runs, a client the server closes sees the
        # end at once.
        srv = Server(["--save", "", "--rdbcompression", "no"]).start()
        try:
            c = srv.conn()
            fill(c, 300000, 100)
            self.assertEqual(c.cmd("BGSAVE"), b"Background saving started")
            pid = int(re.findall(r"Background saving started by pid (\d+)", srv.stdout())[-1])
            # Once the child has its temporary file open, it has closed what it inherited.
            fds = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    links = [os.readlink("/proc/%d/fd/%s" % (pid, fd))
                             for fd in os.listdir("/proc/%d/fd" % pid)]
                except OSError:
                    break                   # the child is gone
                if any(l.endswith("temp-%d.rdb" % pid) for l in links):
                    fds = links
                    break
                time.sleep(0.001)
            wait_bgsave_done(c)
            if fds is None:
                self.skipTest("the child finished before the check")
            self.assertEqual([f for f in fds if f.startswith("socket:")], [])
        finally:
            srv.stop()

    def test_child_failure_sets_err_and_logs(self):
        srv = Server(["--save", ""]).start()
        gone = tempfile.mkdtemp(prefix="respite-it-gone-")
        try:
            c = srv.conn()
            self.assertEqual(c.cmd("CONFIG", "SET", "dir", gone), b"OK")
            os.rmdir(gone)
            c.cmd("SET", "k", "v")
            self.assertEqual(c.cmd("BGSAVE"), b"Background saving started")
            wait_bgsave_done(c)
            self.assertEqual(field(c, "rdb_last_bgsave_status"), "err")
            self.assertEqual(field(c, "rdb_changes_since_last_save"), "1")
            # save "" : no MISCONF
            self.assertEqual(c.cmd("SET", "k", "w"), b"OK")
            log = srv.stdout()
            self.assertIn("Failed opening the temp RDB file", log)
            self.assertIn("Background saving error", log)
            self.assertEqual(str(c.cmd("SAVE")), "ERR")
            self.assertEqual(field(c, "rdb_saves"), "2")
        finally:
            srv.stop()

    def test_shutdown_stops_a_running_child(self):
        d = data_dir(self)
        srv = Server(["--save", "", "--rdbcompression", "no", "--dir", d]).start()
        c = srv.conn()
        fill(c, 300000, 100)
        c.cmd("BGSAVE")
        c.send(encode("SHUTDOWN", "NOSAVE"))
        read_until_closed(c.sock, timeout=30)
        srv.wait_exit(0)
        self.assertEqual([f for f in os.listdir(d) if f.startswith("temp-")], [])


@need74
class AsRedis74(unittest.TestCase):
    """The same steps on Redis 7.4.1 and respite; replies and INFO fields compared."""

    def both(self, args=()):
        ref = Redis74(None, args)
        self.addCleanup(ref.stop)
        srv = Server(list(args)).start()
        self.addCleanup(srv.stop)
        return ref, srv

    def test_replies_of_save_and_bgsave(self):
        ref, srv = self.both(args=["--save", ""])
        out = []
        for c in (ref.conn(), srv.conn()):
            r = []
            r.append(c.cmd("SET", "k", "v"))
            r.append(c.cmd("BGSAVE", "foo"))
            r.append(c.cmd("BGSAVE", "SCHEDULE", "x"))
            r.append(c.cmd("BGSAVE"))
            r.append(c.cmd("BGSAVE"))     # the child is still running: a fork takes longer
            r.append(c.cmd("SAVE"))
            wait_bgsave_done(c)
            r.append(c.cmd("BGSAVE", "SCHEDULE"))
            wait_bgsave_done(c)
            c.send(encode("MULTI") + encode("BGSAVE") + encode("EXEC"))
            r += [c.reply(), c.reply(), c.reply()]
            time.sleep(1.2)               # the scheduled one runs from the timer
            wait_bgsave_done(c)
            r.append(c.cmd("SAVE"))
            r.append(field(c, "rdb_saves"))
            r.append(c.cmd("CONFIG", "RESETSTAT"))
            r.append(field(c, "rdb_saves"))
            r.append(c.cmd("MULTI"))
            r.append(c.cmd("SAVE"))
            r.append(c.cmd("EXEC"))
            out.append(r)
        self.assertEqual(out[1], out[0])

    def test_info_persistence_fields_and_order(self):
        ref, srv = self.both(args=["--save", ""])
        names = [[k for k, _ in persistence(c)] for c in (ref.conn(), srv.conn())]
        self.assertEqual(names[1], names[0])

    def test_save_defaults_without_a_file_and_with_a_file_without_save(self):
        for config in (None, "hz 10\n"):
            ref = Redis74(config)
            srv = Server(config=config and respite_conf(config), persist=True).start()
            try:
                want = ref.conn().cmd("CONFIG", "GET", "save")
                self.assertEqual(srv.conn().cmd("CONFIG", "GET", "save"), want)
                self.assertEqual(want[1], b"3600 1 300 100 60 10000")
                want = ref.conn().cmd("CONFIG", "GET", "stop-writes-on-bgsave-error")
                self.assertEqual(srv.conn().cmd("CONFIG", "GET", "stop-writes-on-bgsave-error"),
                                 want)
            finally:
                ref.stop()
                srv.stop()

    def test_save_lines_of_a_file_add_up(self):
        for config in ("save 900 1\nsave 300 10\n", "save \"\"\n", "save 900 1 300 10\n",
                       "save \"\"\nsave 60 5\n"):
            ref = Redis74(config)
            srv = Server(config=respite_conf(config), persist=True).start()
            try:
                self.assertEqual(srv.conn().cmd("CONFIG", "GET", "save"),
                                 ref.conn().cmd("CONFIG", "GET", "save"), config)
            finally:
                ref.stop()
                srv.stop()

    def test_config_set_save(self):
        ref, srv = self.both(args=["--save", ""])
        out = []
        for c in (ref.conn(), srv.conn()):
            r = []
            for v in ("100 1 60 5", "", "1 2 3", "abc 1", "0 1", "10 -1", "10 0", " 7  8 ", "7  8",
                      "7 8 ", "7 8"):
                r.append(c.cmd("CONFIG", "SET", "save", v))
                r.append(c.cmd("CONFIG", "GET", "save"))
            out.append(r)
        self.assertEqual(out[1], out[0])

    def test_misconf_after_a_failed_bgsave(self):
        out = []
        for start in (Redis74, None):
            gone = tempfile.mkdtemp(prefix="respite-it-gone-")
            args = ["--save", "3600 100", "--dir", gone]
            if start:
                s = start(args=args)
                c = s.conn()
            else:
                s = Server(args).start()
                c = s.conn()
            try:
                os.rmdir(gone)
                r = [c.cmd("SET", "k", "v"), c.cmd("BGSAVE")]
                wait_bgsave_done(c)
                r.append(field(c, "rdb_last_bgsave_status"))
                r += [c.cmd("SET", "k", "w"), c.cmd("PING"), c.cmd("GET", "k"),
                      c.cmd("DEL", "k"), c.cmd("ECHO", "x")]
                c.send(encode("MULTI") + encode("GET", "k") + encode("SET", "k", "1") +
                       encode("EXEC"))
                r += [c.reply() for _ in range(4)]
                c.send(encode("MULTI") + encode("GET", "k") + encode("EXEC"))
                r += [c.reply() for _ in range(3)]
                r.append(c.cmd("EVAL", "return redis.pcall('set','x','1')", "0"))
                r.append(c.cmd("EVAL", "return redis.call('get','x')", "0"))
                r.append(c.cmd("CONFIG", "SET", "stop-writes-on-bgsave-error", "no"))
                r.append(c.cmd("SET", "k", "w"))
                r.append(c.cmd("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"))
                r.append(c.cmd("SET", "k", "w"))
                r.append(c.cmd("CONFIG", "SET", "save", ""))
                r.append(c.cmd("SET", "k", "w"))
                r.append(c.cmd("CONFIG", "SET", "save", "3600 100"))
                r.append(c.cmd("SET", "k", "w"))
                out.append(r)
                if not start:
                    # The dir is back: a BGSAVE succeeds and writes resume. (Redis, which
                    # chdir'ed into the dir that went, still fails.)
                    os.mkdir(gone)
                    self.assertEqual(c.cmd("BGSAVE"), b"Background saving started")
                    wait_bgsave_done(c)
                    self.assertEqual(field(c, "rdb_last_bgsave_status"), "ok")
                    self.assertEqual(c.cmd("SET", "k", "w"), b"OK")
            finally:
                s.stop()
                shutil.rmtree(gone, ignore_errors=True)
        self.assertEqual(out[1], out[0])
        self.assertTrue(str(out[0][4]).startswith("MISCONF "))

    def test_a_save_point_starts_a_bgsave(self):
        d = data_dir(self)
        ref, srv = self.both(args=["--save", "1 2"])
        srv.conn().cmd("CONFIG", "SET", "dir", d)
        for where, c in ((ref.dir, ref.conn()), (d, srv.conn())):
            c.cmd("SET", "a", "1")
            time.sleep(1.5)
            self.assertEqual(field(c, "rdb_changes_since_last_save"), "1")  # 1 < 2 changes
            c.cmd("SET", "b", "1")
            deadline = time.monotonic() + 10
            while field(c, "rdb_changes_since_last_save") != "0":
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            self.assertEqual(field(c, "rdb_saves"), "1")
            self.assertTrue(os.path.exists(os.path.join(where, "dump.rdb")))
        self.assertIn("2 changes in 1 seconds. Saving...", srv.stdout())


class ChildProgress(unittest.TestCase):
    """INFO's current_* fields while a child runs, from what it reports through its pipe
    about once a second (Redis 7.4's meaning): the keys it wrote of those at the fork, their
    share, the pages copied since the fork (size, peak, age of the figure); all 0 once it is
    gone, as Redis resets them. rdb-key-save-delay slows the child (a debug aid, as Redis's)."""

    def check_child(self, c, start, in_progress):
        self.assertEqual(c.cmd("DEBUG", "POPULATE", 6000, "key", 10), b"OK")
        self.assertEqual(c.cmd("CONFIG", "SET", "rdb-key-save-delay", "400"), b"OK")
        c.cmd(*start)
        deadline = time.monotonic() + 30
        while True:
            info = dict(persistence(c))
            if int(info["current_save_keys_processed"]) > 0 or info[in_progress] == "0":
                break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.assertEqual(info[in_progress], "1")
        done, total = int(info["current_save_keys_processed"]), int(info["current_save_keys_total"])
        self.assertEqual(total, 6000)
        self.assertTrue(0 < done < total, info)
        self.assertEqual(info["current_fork_perc"], "%.2f" % (100.0 * done / total))
        self.assertGreater(int(info["current_cow_peak"]), 0)
        self.assertLessEqual(int(info["current_cow_size"]), int(info["current_cow_peak"]))
        self.assertLessEqual(int(info["current_cow_size_age"]), 2)
        c.cmd("CONFIG", "SET", "rdb-key-save-delay", "0")
        deadline = time.monotonic() + 60
        while field(c, in_progress) != "0":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        info = dict(persistence(c))
        for name in ("current_cow_peak", "current_cow_size", "current_cow_size_age",
                     "current_save_keys_processed", "current_save_keys_total"):
            self.assertEqual(info[name], "0", name)
        self.assertEqual(info["current_fork_perc"], "0.00")
        return info

    def test_bgsave(self):
        srv = Server(["--save", "", "--dir", data_dir(self), "--enable-debug-command", "yes"])
        srv.start()
        self.addCleanup(srv.stop)
        info = self.check_child(srv.conn(), ("BGSAVE",), "rdb_bgsave_in_progress")
        self.assertEqual(info["rdb_last_bgsave_status"], "ok")
        self.assertGreater(int(info["rdb_last_cow_size"]), 0)

    def test_bgrewriteaof_under_appendonly_no(self):
        srv = Server(["--save", "", "--dir", data_dir(self), "--enable-debug-command", "yes"])
        srv.start()
        self.addCleanup(srv.stop)
        info = self.check_child(srv.conn(), ("BGREWRITEAOF",), "aof_rewrite_in_progress")
        self.assertEqual((info["aof_last_bgrewrite_status"], info["aof_rewrites"]), ("ok", "1"))
        self.assertGreater(int(info["aof_last_cow_size"]), 0)


class LoadCounts(unittest.TestCase):
    """rdb_last_load_keys_loaded and rdb_last_load_keys_expired as Redis 7.4 counts them:
    the keys a load added and those it dropped as past their deadline (DEBUG RELOAD NOSAVE
    of a file saved before they expired)."""

    def counts(self, c):
        c.send(b"".join(encode("SET", "e%d" % i, "v", "PX", 400) for i in range(5)) +
               encode("SET", "p1", "v") + encode("SET", "p2", "v") + encode("SAVE"))
        for _ in range(8):
            c.reply()
        time.sleep(0.6)
        self.assertEqual(c.cmd("DEBUG", "RELOAD", "NOSAVE"), b"OK")
        info = dict(persistence(c))
        return info["rdb_last_load_keys_loaded"], info["rdb_last_load_keys_expired"]

    def test_as_redis_74(self):
        srv = Server(["--save", "", "--dir", data_dir(self), "--enable-debug-command", "yes"])
        srv.start()
        self.addCleanup(srv.stop)
        self.assertEqual(self.counts(srv.conn()), ("2", "5"))
        if REDIS74:
            ref = Redis74(None, ["--save", "", "--enable-debug-command", "yes"])
            self.addCleanup(ref.stop)
            self.assertEqual(self.counts(ref.conn()), ("2", "5"))


class Loading(unittest.TestCase):
    """A server started on a file of 200,000 keys, loading it slowly (key-load-delay, a
    debug aid as Redis's): the port is open meanwhile and clients get -LOADING."""

    def slow_start(self):
        d = data_dir(self)
        src = Server(["--save", "", "--dir", d]).start()
        fill(src.conn(), 200000, 10)
        self.assertEqual(src.conn().cmd("SAVE"), b"OK")
        src.stop()
        srv = Server(["--dir", d, "--key-load-delay", "50"])
        srv._wait_ready = lambda: None          # it answers -LOADING, not PONG, for a while
        srv.start()
        deadline = time.monotonic() + 20
        while True:
            m = re.search(r"port=(\d+)", srv.stdout())
            if m:
                srv.port = int(m.group(1))
                try:
                    return srv, srv.conn()
                except OSError:
                    pass
            self.assertLess(time.monotonic(), deadline, srv.output())
            time.sleep(0.02)

    def test_clients_get_loading_until_the_data_is_in(self):
        srv, c = self.slow_start()
        try:
            loading = "LOADING Redis is loading the dataset in memory"
            self.assertEqual(str(c.cmd("PING")), loading)
            self.assertEqual(str(c.cmd("GET", "key:1")), loading)
            self.assertEqual(str(c.cmd("DBSIZE")), loading)
            self.assertEqual(c.cmd("CONFIG", "GET", "save"), [b"save", b""])
            # what must wait for the data, as Redis 7.4: appendonly, dir
            self.assertEqual(str(c.cmd("CONFIG", "SET", "hz", "11", "appendonly", "yes")),
                             loading)
            self.assertEqual(str(c.cmd("CONFIG", "SET", "dir", ".")), loading)
            self.assertEqual(c.cmd("CONFIG", "SET", "hz", "11"), b"OK")
            info = persistence(c)
            names = [k for k, _ in info]
            self.assertEqual(names[:9], ["loading", "async_loading", "loading_start_time",
                                         "loading_total_bytes", "loading_rdb_used_mem",
                                         "loading_loaded_bytes", "loading_loaded_perc",
                                         "loading_eta_seconds", "current_cow_peak"])
            info = dict(info)
            self.assertEqual(info["loading"], "1")
            self.assertGreater(int(info["loading_total_bytes"]), 0)
            # the used-mem aux field of the file: the memory of the server that wrote it
            self.assertGreater(int(info["loading_rdb_used_mem"]), 200000 * 10)
            self.assertLess(int(info["loading_loaded_bytes"]), int(info["loading_total_bytes"]))
            deadline = time.monotonic() + 120
            while field(c, "loading") != "0":
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.1)
            self.assertEqual(c.cmd("PING"), b"PONG")
            self.assertEqual(c.cmd("DBSIZE"), 200000)
            self.assertEqual(field(c, "rdb_last_load_keys_loaded"), "200000")
            self.assertIn("DB loaded from disk", srv.stdout())
        finally:
            srv.stop()

    def test_shutdown_while_loading_stops_at_once_without_saving(self):
        srv, c = self.slow_start()
        d = srv.args[srv.args.index("--dir") + 1]
        before = os.path.getmtime(os.path.join(d, "dump.rdb"))
        c.send(encode("SHUTDOWN", "SAVE"))
        _, closed = read_until_closed(c.sock, timeout=30)
        self.assertTrue(closed)
        srv.wait_exit(0)
        self.assertEqual(os.path.getmtime(os.path.join(d, "dump.rdb")), before)
        self.assertNotIn("DB loaded from disk", srv.stdout())


class Shutdown(unittest.TestCase):

    def test_shutdown_saves_with_save_points_and_not_with_nosave(self):
        for args, how, saved in ((["--save", "3600 1"], ("SHUTDOWN",), True),
                                 (["--save", "3600 1"], ("SHUTDOWN", "NOSAVE"), False),
                                 (["--save", ""], ("SHUTDOWN",), False),
                                 (["--save", ""], ("SHUTDOWN", "SAVE"), True)):
            d = data_dir(self)
            srv = Server(args + ["--dir", d]).start()
            c = srv.conn()
            c.cmd("SET", "k", "v")
            c.send(encode(*how))
            _, closed = read_until_closed(c.sock, timeout=30)
            self.assertTrue(closed)
            srv.wait_exit(0)
            self.assertEqual(os.path.exists(os.path.join(d, "dump.rdb")), saved, (args, how))
            log = srv.stdout()
            self.assertIn("User requested shutdown...", log)
            self.assertEqual("Saving the final RDB snapshot before exiting." in log, saved)
            if saved:
                again = Server(["--save", "", "--dir", d]).start()
                self.assertEqual(again.conn().cmd("GET", "k"), b"v")
                again.stop()

    def test_sigterm_saves_with_save_points(self):
        d = data_dir(self)
        srv = Server(["--save", "3600 1", "--dir", d]).start()
        c = srv.conn()
        c.cmd("SET", "k", "v")
        srv.proc.send_signal(signal.SIGTERM)
        read_until_closed(c.sock, timeout=30)
        srv.wait_exit(0)
        self.assertTrue(os.path.exists(os.path.join(d, "dump.rdb")))
        self.assertIn("Saving the final RDB snapshot before exiting.", srv.stdout())

    def failing(self):
        gone = tempfile.mkdtemp(prefix="respite-it-gone-")
        srv = Server(["--save", "3600 1", "--dir", gone]).start()
        os.rmdir(gone)
        return srv, gone

    def test_a_failed_save_refuses_the_shutdown_unless_force(self):
        srv, gone = self.failing()
        try:
            c = srv.conn()
            c.cmd("SET", "k", "v")
            self.assertEqual(str(c.cmd("SHUTDOWN")), "ERR Errors trying to SHUTDOWN. Check logs.")
            self.assertEqual(c.cmd("GET", "k"), b"v")
            log = srv.stdout()
            self.assertIn("Error trying to save the DB, can't exit.", log)
            self.assertIn("Errors trying to shut down the server. Check the logs for more "
                          "information.", log)
            srv.proc.send_signal(signal.SIGTERM)
            said = ("SIGTERM received but errors trying to shut down the server, check the "
                    "logs for more information")
            deadline = time.monotonic() + 10  # the signal is handled in a loop turn
            while said not in srv.stdout():
                self.assertLess(time.monotonic(), deadline, srv.output())
                time.sleep(0.02)
            self.assertEqual(c.cmd("GET", "k"), b"v")   # still up
            c.send(encode("SHUTDOWN", "FORCE"))
            read_until_closed(c.sock, timeout=30)
            srv.wait_exit(0)
            self.assertIn("Error trying to save the DB. Exit anyway.", srv.stdout())
        finally:
            srv.kill()
            srv.cleanup()

    @need74
    def test_failed_shutdown_replies_as_redis_74(self):
        gone = tempfile.mkdtemp(prefix="respite-it-gone-")
        ref = Redis74(args=["--save", "3600 1", "--dir", gone])
        srv, _ = self.failing()
        os.rmdir(gone)
        try:
            out = []
            for c in (ref.conn(), srv.conn()):
                out.append([c.cmd("SET", "k", "v"), c.cmd("SHUTDOWN"), c.cmd("SHUTDOWN", "SAVE"),
                            c.cmd("SHUTDOWN", "ABORT"), c.cmd("SHUTDOWN", "NOSAVE", "SAVE")])
            self.assertEqual(out[1], out[0])
        finally:
            ref.stop()
            srv.kill()
            srv.cleanup()


if __name__ == "__main__":
    main()
