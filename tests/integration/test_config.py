#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""CONFIG across its whole surface on a real respite-server: CONFIG SET of several
parameters is all or nothing (a later parameter failing, even when turning the append-only
file on fails after the values were taken, leaves the earlier ones as they were), CONFIG
REWRITE keeps the file's comments and order and a restart from the rewritten file gives the
same CONFIG GET *, the rewrite is Redis 7.4's for the same file and commands (when the
reference is there), and every parameter of Redis 7.4.1 is answered by CONFIG GET *.
"""
import os
import shutil
import tempfile
import unittest

from harness import RedisServer, Server, ServerTestCase, main, redis74_path

# CONFIG GET * of Redis 7.4.1 (names only), as its reference server answered it.
REDIS74_PARAMETERS = """
    acl-pubsub-default aclfile acllog-max-len active-defrag-cycle-max
    active-defrag-cycle-min active-defrag-ignore-bytes active-defrag-max-scan-fields
    active-defrag-threshold-lower active-defrag-threshold-upper active-expire-effort
    activedefrag activerehashing always-show-logo aof-load-truncated aof-rewrite-cpulist
    aof-rewrite-incremental-fsync aof-timestamp-enabled aof-use-rdb-preamble
    aof_rewrite_cpulist appenddirname appendfilename appendfsync appendonly
    auto-aof-rewrite-min-size auto-aof-rewrite-percentage bgsave-cpulist bgsave_cpulist bind
    bind-source-addr bio-cpulist bio_cpulist busy-reply-threshold client-output-buffer-limit
    client-query-buffer-limit cluster-allow-pubsubshard-when-down
    cluster-allow-reads-when-down cluster-allow-replica-migration cluster-announce-bus-port
    cluster-announce-hostname cluster-announce-human-nodename cluster-announce-ip
    cluster-announce-port cluster-announce-tls-port cluster-config-file cluster-enabled
    cluster-link-sendbuf-limit cluster-migration-barrier cluster-node-timeout cluster-port
    cluster-preferred-endpoint-type cluster-replica-no-failover
    cluster-replica-validity-factor cluster-require-full-coverage cluster-slave-no-failover
    cluster-slave-validity-factor crash-log-enabled crash-memcheck-enabled daemonize
    databases dbfilename dir disable-thp dynamic-hz enable-debug-command
    enable-module-command enable-protected-configs hash-max-listpack-entries
    hash-max-listpack-value hash-max-ziplist-entries hash-max-ziplist-value
    hide-user-data-from-log hll-sparse-max-bytes hz ignore-warnings io-threads
    io-threads-do-reads jemalloc-bg-thread latency-monitor-threshold latency-tracking
    latency-tracking-info-percentiles lazyfree-lazy-eviction lazyfree-lazy-expire
    lazyfree-lazy-server-del lazyfree-lazy-user-del lazyfree-lazy-user-flush lfu-decay-time
    lfu-log-factor list-compress-depth list-max-listpack-size list-max-ziplist-size
    locale-collate logfile loglevel lua-time-limit masterauth masteruser
    max-new-connections-per-cycle max-new-tls-connections-per-cycle maxclients maxmemory
    maxmemory-clients maxmemory-eviction-tenacity maxmemory-policy maxmemory-samples
    min-replicas-max-lag min-replicas-to-write min-slaves-max-lag min-slaves-to-write
    no-appendfsync-on-rewrite notify-keyspace-events oom-score-adj oom-score-adj-values
    pidfile port proc-title-template propagation-error-behavior protected-mode
    proto-max-bulk-len rdb-del-sync-files rdb-save-incremental-fsync rdbchecksum
    rdbcompression repl-backlog-size repl-backlog-ttl repl-disable-tcp-nodelay
    repl-diskless-load repl-diskless-sync repl-diskless-sync-delay
    repl-diskless-sync-max-replicas repl-ping-replica-period repl-ping-slave-period
    repl-timeout replica-announce-ip replica-announce-port replica-announced
    replica-ignore-disk-write-errors replica-ignore-maxmemory replica-lazy-flush
    replica-priority replica-read-only replica-serve-stale-data replicaof requirepass
    sanitize-dump-payload save server-cpulist server_cpulist set-max-intset-entries
    set-max-listpack-entries set-max-listpack-value set-proc-title shutdown-on-sigint
    shutdown-on-sigterm shutdown-timeout slave-announce-ip slave-announce-port
    slave-ignore-maxmemory slave-lazy-flush slave-priority slave-read-only
    slave-serve-stale-data slaveof slowlog-log-slower-than slowlog-max-len socket-mark-id
    stop-writes-on-bgsave-error stream-node-max-bytes stream-node-max-entries supervised
    syslog-enabled syslog-facility syslog-ident tcp-backlog tcp-keepalive timeout
    tls-auth-clients tls-ca-cert-dir tls-ca-cert-file tls-cert-file tls-ciphers
    tls-ciphersuites tls-client-cert-file tls-client-key-file tls-client-key-file-pass
    tls-cluster tls-dh-params-file tls-key-file tls-key-file-pass tls-port
    tls-prefer-server-ciphers tls-protocols tls-replication tls-session-cache-size
    tls-session-cache-timeout tls-session-caching tracking-table-max-keys unixsocket
    unixsocketperm zset-max-listpack-entries zset-max-listpack-value
    zset-max-ziplist-entries zset-max-ziplist-value
""".split()

# A configuration file both servers take: comments, blank lines, aliases (Redis 6 names),
# a parameter twice, several save lines, a quoted value, a line Redis 7.4 reads and ignores,
# an ACL user.
CONFIG_FILE = """# a configuration file
#   with an indented comment
lua-replicate-commands yes

bind 127.0.0.1
save 900 1
save 300 10
hash-max-ziplist-entries 100
lua-time-limit 3000
slave-priority 50
hz 10
hz 15
logfile ""
requirepass "sec ret"
user alice on >pw ~k* +get
client-output-buffer-limit pubsub 32mb 8mb 60
client-output-buffer-limit normal 1mb 0 0
tls-ciphers "A:B"
appendfsync everysec

# the end
"""

# What the test changes before CONFIG REWRITE: real, kept and refused-at-default parameters,
# an alias, values set back to their defaults (requirepass, tls-ciphers, slave-priority).
CHANGES = ["hz", "20", "maxmemory-clients", "5%", "activerehashing", "no",
           "hash-max-listpack-value", "2048", "requirepass", "", "slave-priority", "100",
           "repl-backlog-size", "2mb", "notify-keyspace-events", "KEA",
           "latency-tracking-info-percentiles", "50 99", "tls-ciphers", "",
           "proc-title-template", '{title} "x"', "timeout", "300"]


def error_of(fn, *args):
    try:
        fn(*args)
    except Exception as e:  # redis-py's ResponseError
        return str(e)
    raise AssertionError("no error from %r" % (args,))


def reference(test, *args, **kw):
    """A Redis 7.4 reference server stopped when the test ends; the test skips without one."""
    path = redis74_path()
    if path is None:
        test.skipTest("no Redis 7.4 reference (RESPITE_REDIS74)")
    ref = RedisServer(path, *args, **kw)
    test.addCleanup(ref.stop)
    return ref


def comparable(text, port):
    """A rewritten file with what differs between two servers by nature put aside: the
    port and dir lines, and the lines appended after the signature as a sorted list (Redis appends
    them in its hash table's order)."""
    lines = text.split("\n")
    lines = ["port <port>" if l == "port %d" % port else
             "dir <dir>" if l.startswith("dir ") else l for l in lines]
    if "# Generated by CONFIG REWRITE" in lines:
        i = lines.index("# Generated by CONFIG REWRITE")
        return lines[:i + 1], sorted(l for l in lines[i + 1:] if l)
    return lines, []


class ConfigSetTest(ServerTestCase):
    def test_every_redis74_parameter_is_answered(self):
        got = self.server.client().config_get("*")
        self.assertEqual(len(REDIS74_PARAMETERS), 202)
        missing = [n for n in REDIS74_PARAMETERS if n not in got]
        self.assertEqual(missing, [])
        self.assertEqual(sorted(got), sorted(REDIS74_PARAMETERS))

    def test_defaults_are_redis74s(self):
        want = reference(self).start().client(decode_responses=True).config_get("*")
        got = self.server.client(decode_responses=True).config_get("*")
        self.assertEqual(sorted(got), sorted(want))
        # what the two command lines and machines set apart
        skip = {"port", "dir", "save", "enable-debug-command", "enable-protected-configs"}
        self.assertEqual({k: v for k, v in got.items() if k not in skip},
                         {k: v for k, v in want.items() if k not in skip})

    def test_a_bad_value_applies_nothing(self):
        r = self.server.client(decode_responses=True)
        before = r.config_get("*")
        self.assertEqual(error_of(r.execute_command, "CONFIG", "SET", "hz", "33",
                                  "maxmemory-clients", "5%", "appendfsync", "bad"),
                         "CONFIG SET failed (possibly related to argument 'appendfsync') - "
                         "argument(s) must be one of the following: everysec, always, no")
        self.assertEqual(error_of(r.execute_command, "CONFIG", "SET", "lua-time-limit", "1",
                                  "hz", "1", "HZ", "2"),
                         "CONFIG SET failed (possibly related to argument 'HZ') - "
                         "duplicate parameter")
        self.assertEqual(error_of(r.execute_command, "CONFIG", "SET", "hz", "1",
                                  "nosuch", "1", "daemonize", "yes"),
                         "Unknown option or number of arguments for CONFIG SET - 'nosuch'")
        self.assertEqual(r.config_get("*"), before)

    def test_memory_values_are_read_as_redis_memtoull(self):
        """No digits are 0, digits past 2^64 - 1 saturate, the unit's product wraps; a signed
        parameter refuses what comes out negative, maxmemory and cluster-link-sendbuf-limit
        (unsigned in Redis) take it, and maxmemory-clients takes -1 as 1% (Redis 7.4.1's
        replies)."""
        r = self.server.client(decode_responses=True)
        huge = "99999999999999999999"
        self.assertEqual(error_of(r.config_set, "hll-sparse-max-bytes", huge),
                         "CONFIG SET failed (possibly related to argument "
                         "'hll-sparse-max-bytes') - argument must be between 0 and "
                         "9223372036854775807 inclusive")
        self.assertEqual(error_of(r.config_set, "hash-max-listpack-value", "9007199254740992kb"),
                         "CONFIG SET failed (possibly related to argument "
                         "'hash-max-listpack-value') - argument must be between 0 and "
                         "9223372036854775807 inclusive")
        self.assertEqual(error_of(r.config_set, "hash-max-listpack-value", "-5"),
                         "CONFIG SET failed (possibly related to argument "
                         "'hash-max-listpack-value') - argument must be a memory value")
        self.assertEqual(error_of(r.config_set, "hash-max-listpack-value", "0" * 128),
                         "CONFIG SET failed (possibly related to argument "
                         "'hash-max-listpack-value') - argument must be a memory value")
        for value, got in (("kb", "0"), ("36028797018963968kb", "0"), ("0" * 125 + "64", "64")):
            self.assertTrue(r.config_set("hash-max-listpack-value", value))
            self.assertEqual(r.config_get("hash-max-listpack-value"),
                             {"hash-max-listpack-value": got})
        self.assertTrue(r.config_set("hll-sparse-max-bytes", ""))
        self.assertEqual(r.config_get("hll-sparse-max-bytes"), {"hll-sparse-max-bytes": "0"})
        for name in ("maxmemory", "cluster-link-sendbuf-limit"):
            self.assertTrue(r.config_set(name, huge))
            self.assertEqual(r.config_get(name), {name: "18446744073709551615"})
            self.assertTrue(r.config_set(name, "0"))
        self.assertTrue(r.config_set("maxmemory-clients", huge))
        self.assertEqual(r.config_get("maxmemory-clients"), {"maxmemory-clients": "1%"})
        self.assertTrue(r.config_set("maxmemory-clients", "0"))
        self.assertTrue(r.config_set("client-output-buffer-limit", ""))
        self.assertTrue(r.config_set("client-output-buffer-limit",
                                     "pubsub %s 18446744073709551615kb 0" % huge))
        self.assertEqual(r.config_get("client-output-buffer-limit"),
                         {"client-output-buffer-limit":
                          "normal 0 0 0 slave 268435456 67108864 60 "
                          "pubsub 18446744073709551615 18446744073709550592 0"})
        self.assertTrue(r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60"))

    def test_locale_collate_takes_the_c_locales(self):
        """A locale the C library lacks is Redis's "Invalid locale name"; the C and POSIX
        locales (byte order, as respite compares) are taken and shown as set."""
        r = self.server.client(decode_responses=True)
        self.assertEqual(error_of(r.config_set, "locale-collate", "xx"),
                         "CONFIG SET failed (possibly related to argument 'locale-collate') - "
                         "Invalid locale name")
        for name in ("C", "POSIX", ""):
            self.assertTrue(r.config_set("locale-collate", name))
            self.assertEqual(r.config_get("locale-collate"), {"locale-collate": name})

    def test_hidden_parameters_answer_their_exact_names(self):
        """Redis 7.4's hidden test knobs: CONFIG GET of the exact name, never of a glob."""
        r = self.server.client(decode_responses=True)
        self.assertEqual(r.config_get("watchdog-period"), {"watchdog-period": "0"})
        self.assertEqual(r.config_get("loading-process-events-interval-bytes"),
                         {"loading-process-events-interval-bytes": "2097152"})
        self.assertEqual(r.config_get("watchdog*"), {})
        self.assertEqual(error_of(r.config_set, "loading-process-events-interval-bytes", "1023"),
                         "CONFIG SET failed (possibly related to argument "
                         "'loading-process-events-interval-bytes') - argument must be between "
                         "1024 and 2147483647 inclusive")
        self.assertTrue(r.config_set("watchdog-period", "200"))
        self.assertEqual(r.config_get("watchdog-period"), {"watchdog-period": "200"})
        self.assertTrue(r.config_set("watchdog-period", "0"))

    def check_failing_apply(self, r, directory):
        """appendonly yes fails (its directory is a file) after hz and timeout were taken:
        they come back as they were."""
        before = r.config_get("*")
        with open(os.path.join(directory, "appendonlydir"), "w") as f:
            f.write("not a directory")
        self.assertEqual(error_of(r.execute_command, "CONFIG", "SET", "hz", "50",
                                  "timeout", "77", "appendonly", "yes"),
                         "CONFIG SET failed (possibly related to argument 'appendonly') - "
                         "Unable to turn on AOF. Check server logs.")
        self.assertEqual(r.config_get("*"), before)

    def test_a_failing_apply_restores_every_parameter(self):
        srv = self.spawn()
        r = srv.client(decode_responses=True)
        self.check_failing_apply(r, srv.dir)
        self.assertEqual(r.execute_command("CONFIG", "SET", "hz", "50", "timeout", "77"),
                         "OK")
        self.assertEqual(r.config_get("hz", "timeout"), {"hz": "50", "timeout": "77"})

    def test_the_same_failing_apply_on_redis74(self):
        ref = reference(self).start()
        self.check_failing_apply(ref.client(decode_responses=True), ref.dir)

    def test_protected_configs(self):
        srv = self.spawn("--enable-protected-configs", "no")
        r = srv.client()
        self.assertEqual(error_of(r.config_set, "dir", srv.dir),
                         "CONFIG SET failed (possibly related to argument 'dir') - "
                         "can't set protected config")
        local = self.spawn("--enable-protected-configs", "local").client()
        self.assertTrue(local.config_set("dbfilename", "other.rdb"))

    def test_rewrite_without_a_file(self):
        self.assertEqual(error_of(self.server.client().execute_command, "CONFIG", "REWRITE"),
                         "The server is running without a config file")


class ConfigRewriteTest(unittest.TestCase):
    def rewrite(self, client, path):
        client.execute_command("CONFIG", "SET", *CHANGES)
        self.assertEqual(client.execute_command("CONFIG", "REWRITE"), "OK")
        with open(path) as f:
            return f.read()

    def test_rewrite_round_trip(self):
        d = tempfile.mkdtemp(prefix="respite-it-rewrite-")
        self.addCleanup(shutil.rmtree, d, True)
        # the port on the command line (it outlives the first server in the file)
        first = Server(["--port", "0"], config="dir %s\n%s" % (d, CONFIG_FILE)).start()
        try:
            path = os.path.join(first.dir, "respite.conf")
            r = first.client(decode_responses=True, password="sec ret")
            text = self.rewrite(r, path)
            got = r.config_get("*")
            # kept: comments (trimmed), blank lines, order; changed in place; the second hz
            # and the requirepass set back to "" gone; new ones after the signature
            lines = text.split("\n")
            self.assertEqual(lines[:5], ['dir "%s"' % d, "# a configuration file",
                                         "#   with an indented comment",
                                         "# ??? lua-replicate-commands yes", ""])
            self.assertIn("hash-max-listpack-entries 100", lines)
            self.assertIn("busy-reply-threshold 3000", lines)
            self.assertIn("replica-priority 100", lines)
            self.assertEqual(lines.count("hz 20"), 1)
            self.assertFalse([l for l in lines if l.startswith(("requirepass", "tls-ciphers"))])
            tail = lines[lines.index("# Generated by CONFIG REWRITE") + 1:]
            for line in ("timeout 300", "maxmemory-clients 5%", "activerehashing no",
                         "hash-max-listpack-value 2kb", 'notify-keyspace-events "AKE"',
                         "latency-tracking-info-percentiles 50 99", "repl-backlog-size 2mb",
                         'proc-title-template "{title} \\"x\\""', 'save ""'):
                self.assertIn(line, tail + lines)
            self.assertIn("# the end", lines)
            # the users as ACL LIST shows them, in place of the old user line
            users = r.execute_command("ACL", "LIST")
            self.assertEqual([l for l in lines if l.startswith("user ")], users)
            # restarted from the rewritten file: the same parameters
            again = Server(["--port", "0"], config=text).start()
            try:
                after = again.client(decode_responses=True).config_get("*")
                self.assertEqual(again.client(decode_responses=True).execute_command(
                    "ACL", "LIST"), users)
            finally:
                again.stop()
            self.assertEqual(len(after), len(got))
            diff = {k: (got[k], after[k]) for k in got if got[k] != after[k] and k != "port"}
            self.assertEqual(diff, {})
            # rewrites with nothing changed: the file's last line break becomes a blank
            # line the first time (Redis splits the file at each line break), then nothing
            for want in (text + "\n", text + "\n"):
                self.assertEqual(r.execute_command("CONFIG", "REWRITE"), "OK")
                with open(path) as f:
                    self.assertEqual(f.read(), want)
        finally:
            first.stop()

    def test_rewrite_is_redis74s(self):
        d = tempfile.mkdtemp(prefix="respite-it-rewrite-")
        self.addCleanup(shutil.rmtree, d, True)
        conf = os.path.join(d, "redis.conf")
        with open(conf, "w") as f:
            f.write(CONFIG_FILE)
        # the same options after the file: the harnesses' (--save "", a dir of its own...)
        # and respite's two enable-* for Redis
        ref = reference(self, ["--enable-debug-command", "yes",
                               "--enable-protected-configs", "yes"], config=conf)
        results = []
        for srv in (ref.start(), Server(["--port", "0", "--appendonly", "no"],
                                        config=CONFIG_FILE).start()):
            try:
                path = conf if srv is ref else os.path.join(srv.dir, "respite.conf")
                body = self.rewrite(srv.client(decode_responses=True, password="sec ret"),
                                    path)
                results.append(comparable(body, srv.port))
            finally:
                srv.stop()
        self.assertIn("timeout 300", results[0][1])
        self.assertIn("hash-max-listpack-entries 100", results[0][0])
        self.assertEqual(results[1], results[0])


if __name__ == "__main__":
    main()
