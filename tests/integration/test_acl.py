# SPDX-License-Identifier: BSD-3-Clause
"""Access control over real connections: AUTH flows (requirepass, users, HELLO AUTH,
RESET), -NOPERM for commands, keys (read and write patterns) and channels, MULTI at
queue time and at EXEC, scripts (redis.call, redis.pcall, redis.acl_check_cmd), ACL LOG
entries with Redis 7.4's fields, ACL DELUSER closing the user's connections, users from
the config file, ACL SAVE and ACL LOAD with an aclfile (and a start refused for a broken
one), and redis-py connecting with a username and password.

The replies and error texts themselves are checked byte for byte against Redis 7.4 by
tests/compat/cases_acl; these tests check what needs several connections, files or
restarts.
"""
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, SOCK_TIMEOUT, RespError, Server, ServerTestCase,  # noqa: E402
                     main, read_until_closed)

import redis  # noqa: E402  (Debian's python3-redis, under /usr/bin/python3)

NOPERM_KEY = RespError("NOPERM No permissions to access a key")
NOPERM_CHANNEL = RespError("NOPERM No permissions to access a channel")
WRONGPASS = RespError("WRONGPASS invalid username-password pair or user is disabled.")
LOG_FIELDS = [b"count", b"reason", b"context", b"object", b"username", b"age-seconds",
              b"client-info", b"entry-id", b"timestamp-created", b"timestamp-last-updated"]


def noperm_cmd(user, cmd):
    return RespError("NOPERM User %s has no permissions to run the '%s' command" % (user, cmd))


def log_entries(conn, count=10):
    """ACL LOG as a list of dicts (RESP2 flat arrays turned into maps)."""
    out = []
    for e in conn.cmd("ACL", "LOG", str(count)):
        assert [e[i] for i in range(0, len(e), 2)] == LOG_FIELDS, e
        out.append({e[i]: e[i + 1] for i in range(0, len(e), 2)})
    return out


class AclTest(ServerTestCase):

    def setUp(self):
        self.admin = self.server.conn()
        self.addCleanup(self.admin.close)
        users = [u for u in self.admin.cmd("ACL", "USERS") if u != b"default"]
        if users:
            self.admin.cmd("ACL", "DELUSER", *users)
        self.assertEqual(self.admin.cmd("ACL", "LOG", "RESET"), b"OK")

    def user_conn(self, name=b"u", password=b"pw"):
        c = self.server.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("AUTH", name, password), b"OK")
        return c

    def test_auth_flows(self):
        a = self.admin
        self.assertEqual(a.cmd("ACL", "SETUSER", "u", "on", ">pw", ">pw2", "allkeys", "+@all"),
                         b"OK")
        c = self.server.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("AUTH", "u", "bad"), WRONGPASS)
        self.assertEqual(c.cmd("ACL", "WHOAMI"), b"default")
        self.assertEqual(c.cmd("AUTH", "u", "pw2"), b"OK")
        self.assertEqual(c.cmd("ACL", "WHOAMI"), b"u")
        # HELLO AUTH switches user and protocol together.
        hello = c.cmd("HELLO", "3", "AUTH", "u", "pw")
        self.assertEqual(hello[b"proto"], 3)
        self.assertEqual(c.cmd("HELLO", "2", "AUTH", "u", "nope"), WRONGPASS)
        # RESET: back to the default user.
        self.assertEqual(c.cmd("RESET"), b"RESET")
        self.assertEqual(c.cmd("ACL", "WHOAMI"), b"default")
        # A user switched off cannot log in; its sessions stay (as 7.4).
        d = self.user_conn()
        self.assertEqual(a.cmd("ACL", "SETUSER", "u", "off"), b"OK")
        self.assertEqual(c.cmd("AUTH", "u", "pw"), WRONGPASS)
        self.assertEqual(d.cmd("ACL", "WHOAMI"), b"u")
        # The failed logins are in the log, as reason auth.
        auths = [e for e in log_entries(a) if e[b"reason"] == b"auth"]
        self.assertEqual(auths[0][b"object"], b"AUTH")
        self.assertEqual(auths[0][b"username"], b"u")
        self.assertEqual(sum(e[b"count"] for e in auths), 3)

    def test_requirepass_is_the_default_users_password(self):
        s = Server(["--requirepass", "sec"]).start()
        self.addCleanup(s.stop)
        c = s.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("GET", "k"), RespError("NOAUTH Authentication required."))
        self.assertEqual(c.cmd("AUTH", "wrong"), WRONGPASS)
        self.assertEqual(c.cmd("AUTH", "sec"), b"OK")
        self.assertEqual(c.cmd("AUTH", "default", "sec"), b"OK")
        listed = c.cmd("ACL", "LIST")
        self.assertEqual(len(listed), 1)
        self.assertTrue(listed[0].startswith(b"user default on sanitize-payload #"), listed)
        # Dropping requirepass makes the default user nopass again: new clients run at once.
        self.assertEqual(c.cmd("CONFIG", "SET", "requirepass", ""), b"OK")
        n = s.conn()
        self.addCleanup(n.close)
        self.assertEqual(n.cmd("PING"), b"PONG")
        self.assertEqual(n.cmd("AUTH", "x"), RespError(
            "ERR AUTH <password> called without any password configured for the default "
            "user. Are you sure your configuration is correct?"))

    def test_noperm_commands_keys_channels(self):
        a = self.admin
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "~k*", "%R~r*", "%W~w*", "&c*", "-@all",
              "+get", "+set", "+mget", "+publish", "+subscribe", "+psubscribe", "+copy")
        c = self.user_conn()
        self.assertEqual(c.cmd("DEL", "k"), noperm_cmd("u", "del"))
        self.assertEqual(c.cmd("CONFIG", "GET", "x"), noperm_cmd("u", "config|get"))
        self.assertEqual(c.cmd("SET", "k1", "v"), b"OK")
        self.assertEqual(c.cmd("GET", "k1"), b"v")
        self.assertEqual(c.cmd("GET", "x"), NOPERM_KEY)
        self.assertEqual(c.cmd("GET", "r1"), None)  # read pattern
        self.assertEqual(c.cmd("SET", "r1", "v"), NOPERM_KEY)
        self.assertEqual(c.cmd("SET", "w1", "v"), b"OK")  # write pattern
        self.assertEqual(c.cmd("GET", "w1"), NOPERM_KEY)
        # COPY reads its source and writes its destination.
        self.assertEqual(c.cmd("COPY", "r1", "w2"), 0)
        self.assertEqual(c.cmd("COPY", "w1", "r2"), NOPERM_KEY)
        self.assertEqual(c.cmd("MGET", "k1", "r1", "x"), NOPERM_KEY)
        self.assertEqual(c.cmd("PUBLISH", "x", "m"), NOPERM_CHANNEL)
        self.assertEqual(c.cmd("PUBLISH", "c1", "m"), 0)
        self.assertEqual(c.cmd("PSUBSCRIBE", "c1*"), NOPERM_CHANNEL)  # a pattern must be equal
        self.assertEqual(c.cmd("SUBSCRIBE", "c1", "x"), NOPERM_CHANNEL)
        self.assertEqual(c.cmd("SUBSCRIBE", "c1"), [b"subscribe", b"c1", 1])
        log = log_entries(a)
        # Like entries within a minute are one, counted, moved to the head.
        self.assertEqual([(e[b"reason"], e[b"object"], e[b"count"]) for e in log[:4]],
                         [(b"channel", b"x", 2), (b"channel", b"c1*", 1), (b"key", b"x", 2),
                          (b"key", b"w1", 2)])
        self.assertTrue(all(e[b"context"] == b"toplevel" and e[b"username"] == b"u"
                            for e in log))
        self.assertIn(b" user=", log[0][b"client-info"])
        cmds = [e for e in log if e[b"reason"] == b"command"]
        self.assertEqual([e[b"object"] for e in cmds], [b"config|get", b"del"])

    def test_blocked_command_checked_again_when_served(self):
        a = self.admin
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "~bk", "-@all", "+blpop")
        c = self.user_conn()
        a.cmd("DEL", "bk")
        c.send(b"*3\r\n$5\r\nBLPOP\r\n$2\r\nbk\r\n$1\r\n0\r\n")
        deadline = time.monotonic() + SOCK_TIMEOUT
        while b"cmd=blpop" not in a.cmd("CLIENT", "LIST") and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(a.cmd("ACL", "SETUSER", "u", "resetkeys"), b"OK")
        self.assertEqual(a.cmd("LPUSH", "bk", "v"), 1)
        self.assertEqual(c.reply(), NOPERM_KEY)
        self.assertEqual(a.cmd("LLEN", "bk"), 1)  # nothing popped
        log = log_entries(a, 1)
        self.assertEqual((log[0][b"reason"], log[0][b"object"], log[0][b"context"]),
                         (b"key", b"bk", b"toplevel"))

    def test_selectors(self):
        a = self.admin
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "-@all", "+get", "~a*", "(+set ~b*)")
        c = self.user_conn()
        self.assertEqual(c.cmd("GET", "a1"), None)
        self.assertEqual(c.cmd("SET", "b1", "v"), b"OK")
        self.assertEqual(c.cmd("GET", "b1"), NOPERM_KEY)
        self.assertEqual(c.cmd("SET", "a1", "v"), NOPERM_KEY)
        self.assertEqual(c.cmd("DEL", "a1"), noperm_cmd("u", "del"))

    def test_rules_changed_by_another_client_apply_to_the_next_command(self):
        """A user's quick verdicts (acl.c), found on each command's first run,
        follow the rules an admin changes from another connection, and a user
        made again under the same name starts from none."""
        a = self.admin
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "~project:42:*", "&*", "+@all")
        c = self.user_conn()
        self.assertEqual(c.cmd("SET", "project:42:a", "v"), b"OK")
        self.assertEqual(c.cmd("GET", "project:42:a"), b"v")
        self.assertEqual(c.cmd("GET", "project:43:a"), NOPERM_KEY)
        a.cmd("ACL", "SETUSER", "u", "resetkeys", "%R~project:42:*")
        self.assertEqual(c.cmd("GET", "project:42:a"), b"v")
        self.assertEqual(c.cmd("SET", "project:42:a", "w"), NOPERM_KEY)
        a.cmd("ACL", "SETUSER", "u", "resetkeys", "~project:4[23]:*")
        self.assertEqual(c.cmd("SET", "project:43:a", "w"), b"OK")
        self.assertEqual(c.cmd("GET", "project:44:a"), NOPERM_KEY)
        a.cmd("ACL", "SETUSER", "u", "-get")
        self.assertEqual(c.cmd("GET", "project:42:a"), noperm_cmd("u", "get"))
        self.assertEqual(a.cmd("ACL", "DELUSER", "u"), 1)
        self.assertTrue(read_until_closed(c.sock)[1])
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "~other:*", "+@all")
        d = self.user_conn()
        self.assertEqual(d.cmd("GET", "project:42:a"), NOPERM_KEY)
        self.assertEqual(d.cmd("GET", "other:a"), None)
        log = log_entries(a, 1)
        self.assertEqual((log[0][b"reason"], log[0][b"object"], log[0][b"username"]),
                         (b"key", b"project:42:a", b"u"))

    def test_multi_exec(self):
        a = self.admin
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "~k*", "-@all", "+multi", "+exec", "+get",
              "+set")
        c = self.user_conn()
        # Refused at queue time: EXEC aborts.
        self.assertEqual(c.cmd("MULTI"), b"OK")
        self.assertEqual(c.cmd("GET", "x"), NOPERM_KEY)
        self.assertEqual(c.cmd("EXEC"), RespError(
            "EXECABORT Transaction discarded because of previous errors."))
        # Allowed when queued, refused at EXEC after the rules changed.
        self.assertEqual(c.cmd("MULTI"), b"OK")
        self.assertEqual(c.cmd("SET", "k", "1"), b"QUEUED")
        self.assertEqual(c.cmd("GET", "k"), b"QUEUED")
        self.assertEqual(a.cmd("ACL", "SETUSER", "u", "-set"), b"OK")
        self.assertEqual(c.cmd("EXEC"), [RespError(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated "
            "and the EXEC call. This command is no longer allowed for the following reason: "
            "no permission to execute the command or subcommand"), None])
        log = log_entries(a)
        self.assertEqual((log[0][b"reason"], log[0][b"context"], log[0][b"object"]),
                         (b"command", b"multi", b"set"))
        self.assertIn(b" cmd=exec ", log[0][b"client-info"])
        self.assertEqual((log[1][b"reason"], log[1][b"context"]), (b"key", b"multi"))

    def test_scripts(self):
        a = self.admin
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "~k*", "-@all", "+eval", "+get")
        c = self.user_conn()
        r = c.cmd("EVAL", "return redis.call('get','x')", "0")
        self.assertTrue(str(r).startswith(
            "ERR ACL failure in script: No permissions to access a key script: "), r)
        r = c.cmd("EVAL", "return redis.call('set','k','v')", "0")
        self.assertTrue(str(r).startswith(
            "ERR ACL failure in script: User u has no permissions to run the 'set' command"), r)
        self.assertEqual(c.cmd("EVAL", "return redis.pcall('get','x')", "0"),
                         RespError("ERR ACL failure in script: No permissions to access a key"))
        self.assertEqual(c.cmd("EVAL", "return redis.acl_check_cmd('get','k1')", "0"), 1)
        self.assertEqual(c.cmd("EVAL", "return redis.acl_check_cmd('set','k1','v')", "0"), None)
        self.assertEqual(c.cmd("SET", "k1", "v"), noperm_cmd("u", "set"))
        self.assertEqual(c.cmd("EVAL", "return redis.call('get','k-none')", "0"), None)
        log = log_entries(a)
        self.assertEqual([(e[b"reason"], e[b"context"], e[b"count"]) for e in log],
                         [(b"command", b"toplevel", 1), (b"key", b"lua", 2),
                          (b"command", b"lua", 1)])
        self.assertIn(b" cmd=eval ", log[2][b"client-info"])

    def test_log_max_len_and_grouping(self):
        a = self.admin
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "-@all", "+get", "~k")
        c = self.user_conn()
        self.assertEqual(a.cmd("CONFIG", "SET", "acllog-max-len", "3"), b"OK")
        self.addCleanup(a.cmd, "CONFIG", "SET", "acllog-max-len", "128")
        for key in ["a", "b", "a", "c", "d"]:
            self.assertEqual(c.cmd("GET", key), NOPERM_KEY)
        log = log_entries(a)
        self.assertEqual([e[b"object"] for e in log], [b"d", b"c", b"a"])
        self.assertEqual(log[2][b"count"], 2)
        ids = [e[b"entry-id"] for e in log]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertGreaterEqual(log[2][b"timestamp-last-updated"],
                                log[2][b"timestamp-created"])
        self.assertEqual(len(log_entries(a, 1)), 1)

    def test_deluser_closes_its_connections(self):
        a = self.admin
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*")
        c = self.user_conn()
        other = self.user_conn()
        self.assertEqual(other.cmd("DEL", "nokey"), 0)
        self.assertEqual(c.cmd("ACL", "DELUSER", "u"), 1)
        read_until_closed(c.sock)
        read_until_closed(other.sock)
        self.assertEqual(a.cmd("ACL", "USERS"), [b"default"])
        self.assertEqual(a.cmd("PING"), b"PONG")

    def test_setuser_closes_subscribers_of_channels_taken_away(self):
        a = self.admin
        a.cmd("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*", "resetchannels", "&c*", "&d")
        sub = self.user_conn()
        psub = self.user_conn()
        self.assertEqual(sub.cmd("SUBSCRIBE", "c1"), [b"subscribe", b"c1", 1])
        self.assertEqual(psub.cmd("PSUBSCRIBE", "c*"), [b"psubscribe", b"c*", 1])
        # Every pattern kept (one added): nobody is closed.
        self.assertEqual(a.cmd("ACL", "SETUSER", "u", "&e"), b"OK")
        self.assertEqual(a.cmd("PUBLISH", "c1", "m"), 2)
        # c* gone, c1 still allowed by c1*: only the pattern subscriber goes.
        self.assertEqual(a.cmd("ACL", "SETUSER", "u", "resetchannels", "&c1*"), b"OK")
        read_until_closed(psub.sock)
        self.assertEqual(a.cmd("PUBLISH", "c1", "m"), 1)
        self.assertEqual(sub.reply(), [b"message", b"c1", b"m"])
        self.assertEqual(a.cmd("ACL", "SETUSER", "u", "resetchannels"), b"OK")
        read_until_closed(sub.sock)
        self.assertEqual(a.cmd("PUBLISH", "c1", "m"), 0)

    def test_redis_py_username_password(self):
        a = self.admin
        a.cmd("ACL", "SETUSER", "app", "on", ">s3cret", "~app:*", "+@all", "-@dangerous")
        r = redis.Redis(host=HOST, port=self.server.port, username="app", password="s3cret",
                        socket_timeout=SOCK_TIMEOUT)
        self.addCleanup(r.close)
        self.assertTrue(r.set("app:1", "v"))
        self.assertEqual(r.get("app:1"), b"v")
        self.assertEqual(r.acl_whoami(), "app")
        with self.assertRaises(redis.exceptions.NoPermissionError):
            r.get("other")
        with self.assertRaises(redis.exceptions.NoPermissionError):
            r.flushall()
        bad = redis.Redis(host=HOST, port=self.server.port, username="app", password="no",
                          socket_timeout=SOCK_TIMEOUT)
        self.addCleanup(bad.close)
        with self.assertRaisesRegex(redis.exceptions.ResponseError, "^WRONGPASS"):
            bad.ping()


class AclFileTest(unittest.TestCase):

    def test_users_in_the_config_file(self):
        s = Server(config="port 0\nbind %s\nuser alice on >pw ~a* +get\n"
                   "user default on nopass ~* &* +@all\n" % HOST).start()
        self.addCleanup(s.stop)
        c = s.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("ACL", "LIST"), [
            b"user alice on sanitize-payload #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b"
            b"2d4fee46e26170c4 ~a* resetchannels -@all +get",
            b"user default on nopass sanitize-payload ~* &* +@all"])
        self.assertEqual(c.cmd("AUTH", "alice", "pw"), b"OK")
        self.assertEqual(c.cmd("GET", "b"), NOPERM_KEY)

    def aclfile(self, text):
        d = tempfile.mkdtemp(prefix="respite-acl-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "users.acl")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_save_and_load(self):
        path = self.aclfile("user bob on >pw ~b* +get\n")
        s = Server(["--aclfile", path]).start()
        self.addCleanup(s.stop)
        c = s.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("ACL", "USERS"), [b"bob", b"default"])
        self.assertEqual(c.cmd("ACL", "SETUSER", "carol", "on", "nopass", "&x", "+ping"), b"OK")
        self.assertEqual(c.cmd("ACL", "SAVE"), b"OK")
        with open(path) as f:
            saved = f.read()
        self.assertEqual(saved, "".join(x.decode() + "\n" for x in c.cmd("ACL", "LIST")))
        # LOAD brings back the file: users made since are gone, their sessions closed.
        b = s.conn()
        self.addCleanup(b.close)
        self.assertEqual(b.cmd("AUTH", "bob", "pw"), b"OK")
        self.assertEqual(c.cmd("ACL", "SETUSER", "dave", "on"), b"OK")
        self.assertEqual(c.cmd("ACL", "LOAD"), b"OK")
        self.assertEqual(c.cmd("ACL", "USERS"), [b"bob", b"carol", b"default"])
        read_until_closed(b.sock)
        # A broken file changes nothing.
        with open(path, "a") as f:
            f.write("user eve +nosuchcommand\nnot a user line\n")
        r = c.cmd("ACL", "LOAD")
        self.assertIsInstance(r, RespError)
        self.assertIn("Error in applying operation '+nosuchcommand'", str(r))
        self.assertTrue(str(r).endswith("WARNING: ACL errors detected, no change to the "
                                        "previously active ACL rules was performed"), r)
        self.assertEqual(c.cmd("ACL", "USERS"), [b"bob", b"carol", b"default"])

    def test_config_rewrite_leaves_users_to_the_aclfile(self):
        """With an aclfile, CONFIG REWRITE writes no user lines (Redis
        rewriteConfigUserOption); without one it writes ACL LIST's lines (test_config)."""
        path = self.aclfile("user bob on >pw ~b* +get\n")
        s = Server(config="port 0\nbind %s\naclfile %s\n" % (HOST, path)).start()
        self.addCleanup(s.stop)
        c = s.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CONFIG", "REWRITE"), b"OK")
        with open(os.path.join(s.dir, "respite.conf")) as f:
            lines = f.read().split("\n")
        self.assertIn('aclfile "%s"' % path, lines)
        self.assertEqual([l for l in lines if l.startswith("user")], [])

    def test_start_refused_for_a_broken_aclfile(self):
        path = self.aclfile("user x ~a +nosuch\n")
        bad = Server(["--aclfile", path])
        with self.assertRaises(Exception):
            bad.start()
        self.assertIn("Aborting Redis startup because of ACL errors", bad.stderr())
        self.assertEqual(bad.proc.returncode, 1)

    def test_without_aclfile_save_and_load_refuse(self):
        s = Server().start()
        self.addCleanup(s.stop)
        c = s.conn()
        self.addCleanup(c.close)
        for sub in ("SAVE", "LOAD"):
            self.assertTrue(str(c.cmd("ACL", sub)).startswith(
                "ERR This Redis instance is not configured to use an ACL file."))


if __name__ == "__main__":
    main()
