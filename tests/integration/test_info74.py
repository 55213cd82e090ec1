# SPDX-License-Identifier: BSD-3-Clause
"""INFO as Redis 7.4.1 gives it: its fields, in its order, with values that follow the server.

Fields: each section (alone, and in INFO, INFO all, INFO everything, in Redis's order of
sections) has the fields of an idle Redis 7.4.1, in its order, written here as checked
against 7.4.1 (and compared live with it when RESPITE_REDIS74 names one, or the reference
next to the checkout is there); respite's one extra field, respite_version, follows
redis_mode. The append-only file's fields follow in Persistence while it is on.

Values: a BGSAVE counts a fork and its time; the memory peak is at least what is used and
survives CONFIG RESETSTAT; the fragmentation and allocator ratios are the quotients of the
fields they come from; instantaneous_ops_per_sec, the input rate and the event loop rate
follow a client that sends commands for two seconds; read and write calls are counted;
the output buffer limits (pubsub and normal) and the query buffer limit count the clients
they close; reply buffers shrink and expand; RESTORE counts the packed parts of its
payloads as Redis's dump_payload_sanitizations under sanitize-dump-payload yes or
clients (7.4.1 counts a small hash, set or stream 1); ACL denials count by reason (AUTH, command,
key, channel) and survive CONFIG RESETSTAT and ACL LOG RESET, as in Redis;
clients_in_timeout_table counts the clients blocked with a timeout; config_file and
listener0 name the configuration file and the listening addresses.
"""
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOST, RedisServer, RespConn, RespError, Server,  # noqa: E402
                     ServerTestCase, free_port, info_fields, main, read_until_closed,
                     redis74_path, wait_blocked, wait_for)

# The fields of an idle Redis 7.4.1 (no keys, no scripts, aof off) by section, in order.
SECTIONS_74 = [
    ("Server", ["redis_version", "redis_git_sha1", "redis_git_dirty", "redis_build_id",
                "redis_mode", "os", "arch_bits", "monotonic_clock", "multiplexing_api",
                "atomicvar_api", "gcc_version", "process_id", "process_supervised", "run_id",
                "tcp_port", "server_time_usec", "uptime_in_seconds", "uptime_in_days", "hz",
                "configured_hz", "lru_clock", "executable", "config_file", "io_threads_active",
                "listener0"]),
    ("Clients", ["connected_clients", "cluster_connections", "maxclients",
                 "client_recent_max_input_buffer", "client_recent_max_output_buffer",
                 "blocked_clients", "tracking_clients", "pubsub_clients", "watching_clients",
                 "clients_in_timeout_table", "total_watched_keys", "total_blocking_keys",
                 "total_blocking_keys_on_nokey"]),
    ("Memory", ["used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human",
                "used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc",
                "used_memory_overhead", "used_memory_startup", "used_memory_dataset",
                "used_memory_dataset_perc", "allocator_allocated", "allocator_active",
                "allocator_resident", "allocator_muzzy", "total_system_memory",
                "total_system_memory_human", "used_memory_lua", "used_memory_vm_eval",
                "used_memory_lua_human", "used_memory_scripts_eval", "number_of_cached_scripts",
                "number_of_functions", "number_of_libraries", "used_memory_vm_functions",
                "used_memory_vm_total", "used_memory_vm_total_human", "used_memory_functions",
                "used_memory_scripts", "used_memory_scripts_human", "maxmemory",
                "maxmemory_human", "maxmemory_policy", "allocator_frag_ratio",
                "allocator_frag_bytes", "allocator_rss_ratio", "allocator_rss_bytes",
                "rss_overhead_ratio", "rss_overhead_bytes", "mem_fragmentation_ratio",
                "mem_fragmentation_bytes", "mem_not_counted_for_evict", "mem_replication_backlog",
                "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
                "mem_cluster_links", "mem_aof_buffer", "mem_allocator",
                "mem_overhead_db_hashtable_rehashing", "active_defrag_running",
                "lazyfree_pending_objects", "lazyfreed_objects"]),
    ("Persistence", ["loading", "async_loading", "current_cow_peak", "current_cow_size",
                     "current_cow_size_age", "current_fork_perc", "current_save_keys_processed",
                     "current_save_keys_total", "rdb_changes_since_last_save",
                     "rdb_bgsave_in_progress", "rdb_last_save_time", "rdb_last_bgsave_status",
                     "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec", "rdb_saves",
                     "rdb_last_cow_size", "rdb_last_load_keys_expired",
                     "rdb_last_load_keys_loaded", "aof_enabled", "aof_rewrite_in_progress",
                     "aof_rewrite_scheduled", "aof_last_rewrite_time_sec",
                     "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status", "aof_rewrites",
                     "aof_rewrites_consecutive_failures", "aof_last_write_status",
                     "aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size"]),
    ("Stats", ["total_connections_received", "total_commands_processed",
               "instantaneous_ops_per_sec", "total_net_input_bytes", "total_net_output_bytes",
               "total_net_repl_input_bytes", "total_net_repl_output_bytes",
               "instantaneous_input_kbps", "instantaneous_output_kbps",
               "instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps",
               "rejected_connections", "sync_full", "sync_partial_ok", "sync_partial_err",
               "expired_subkeys", "expired_keys", "expired_stale_perc",
               "expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys",
               "evicted_clients", "evicted_scripts", "total_eviction_exceeded_time",
               "current_eviction_exceeded_time", "keyspace_hits", "keyspace_misses",
               "pubsub_channels", "pubsub_patterns", "pubsubshard_channels", "latest_fork_usec",
               "total_forks", "migrate_cached_sockets", "slave_expires_tracked_keys",
               "active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits",
               "active_defrag_key_misses", "total_active_defrag_time",
               "current_active_defrag_time", "tracking_total_keys", "tracking_total_items",
               "tracking_total_prefixes", "unexpected_error_replies", "total_error_replies",
               "dump_payload_sanitizations", "total_reads_processed", "total_writes_processed",
               "io_threaded_reads_processed", "io_threaded_writes_processed",
               "client_query_buffer_limit_disconnections",
               "client_output_buffer_limit_disconnections", "reply_buffer_shrinks",
               "reply_buffer_expands", "eventloop_cycles", "eventloop_duration_sum",
               "eventloop_duration_cmd_sum", "instantaneous_eventloop_cycles_per_sec",
               "instantaneous_eventloop_duration_usec", "acl_access_denied_auth",
               "acl_access_denied_cmd", "acl_access_denied_key", "acl_access_denied_channel"]),
    ("Replication", ["role", "connected_slaves", "master_failover_state", "master_replid",
                     "master_replid2", "master_repl_offset", "second_repl_offset",
                     "repl_backlog_active", "repl_backlog_size",
                     "repl_backlog_first_byte_offset", "repl_backlog_histlen"]),
    ("CPU", ["used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
             "used_cpu_sys_main_thread", "used_cpu_user_main_thread"]),
    ("Modules", []),
    ("Commandstats", []),
    ("Errorstats", []),
    ("Latencystats", []),
    ("Cluster", ["cluster_enabled"]),
    ("Keyspace", []),
]

# Persistence's tail while appendonly is on (7.4.1).
AOF_ON_74 = ["aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length",
             "aof_pending_bio_fsync", "aof_delayed_fsync"]

# respite's own fields (README, INFO): where each follows.
RESPITE_EXTRA = {"Server": [("respite_version", "redis_mode")]}

DEFAULT = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
           "Errorstats", "Cluster", "Keyspace"]
ALL = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
       "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]


def with_extras(section, names):
    out = list(names)
    for extra, after in RESPITE_EXTRA.get(section, []):
        out.insert(out.index(after) + 1, extra)
    return out


def sections(text):
    """An INFO reply (bytes) as [(section, [field names in order])]; lines of the sections
    whose lines name things (commands, errors, databases) are left out."""
    out = []
    for line in text.decode().split("\r\n"):
        if line.startswith("# "):
            out.append((line[2:], []))
        elif ":" in line and out[-1][0] not in ("Commandstats", "Errorstats", "Latencystats",
                                                "Keyspace"):
            out[-1][1].append(line.split(":", 1)[0])
    return out



class Fields(ServerTestCase):
    def setUp(self):
        self.c = RespConn(socket.create_connection((HOST, self.server.port), timeout=30))
        self.addCleanup(self.c.close)

    def expected(self, names):
        want = dict(SECTIONS_74)
        return [(n, with_extras(n, want[n])) for n in names]

    def test_each_section_alone_has_7_4_fields_in_order(self):
        for name, fields in SECTIONS_74:
            got = sections(self.c.cmd("INFO", name.lower()))
            self.assertEqual(got, [(name, with_extras(name, fields))], name)

    def test_default_all_everything_have_sections_in_order(self):
        self.assertEqual(sections(self.c.cmd("INFO")), self.expected(DEFAULT))
        self.assertEqual(sections(self.c.cmd("INFO", "default")), self.expected(DEFAULT))
        self.assertEqual(sections(self.c.cmd("INFO", "all")), self.expected(ALL))
        self.assertEqual(sections(self.c.cmd("INFO", "everything")), self.expected(ALL))
        # Asked in any order, in Redis's.
        self.assertEqual(sections(self.c.cmd("INFO", "stats", "server")),
                         self.expected(["Server", "Stats"]))

    def test_aof_on_adds_its_fields_to_persistence(self):
        s = self.spawn("--appendonly", "yes")
        c = RespConn(socket.create_connection((HOST, s.port), timeout=30))
        self.addCleanup(c.close)
        want = dict(SECTIONS_74)["Persistence"] + AOF_ON_74
        self.assertEqual(sections(c.cmd("INFO", "persistence")), [("Persistence", want)])

    def test_server_names_listener_and_config_file(self):
        port = free_port()
        s = self.spawn(config="port %d\nbind 127.0.0.1\n" % port, port=port)
        c = RespConn(socket.create_connection((HOST, s.port), timeout=30))
        self.addCleanup(c.close)
        info = info_fields(c.cmd("INFO", "server"))
        self.assertEqual(info["listener0"], "name=tcp,bind=127.0.0.1,port=%d" % port)
        self.assertEqual(info["config_file"], os.path.join(s.dir, "respite.conf"))
        self.assertEqual(info["multiplexing_api"], "epoll")
        self.assertEqual(info["atomicvar_api"], "c11-builtin")
        self.assertRegex(info["redis_build_id"], r"^[0-9a-f]{16}$")
        # Without a file, as Redis: empty.
        self.assertEqual(info_fields(self.c.cmd("INFO", "server"))["config_file"], "")


class Values(ServerTestCase):
    def setUp(self):
        self.c = self.conn(self.server)

    def conn(self, server):
        c = RespConn(socket.create_connection((HOST, server.port), timeout=30))
        self.addCleanup(c.close)
        return c

    def info(self, section, c=None):
        return info_fields((c or self.c).cmd("INFO", section))

    def test_bgsave_counts_a_fork_and_its_time(self):
        s = self.spawn()
        c = self.conn(s)
        before = self.info("stats", c)
        self.assertEqual((before["total_forks"], before["latest_fork_usec"]), ("0", "0"))
        self.assertEqual(c.cmd("SET", "k", "v"), b"OK")
        self.assertEqual(c.cmd("BGSAVE"), b"Background saving started")
        self.assertTrue(wait_for(lambda: self.info("persistence", c)["rdb_bgsave_in_progress"]
                                 == "0"))
        after = self.info("stats", c)
        self.assertEqual(after["total_forks"], "1")
        self.assertGreater(int(after["latest_fork_usec"]), 0)
        # CONFIG RESETSTAT zeroes both, as Redis's resetServerStats.
        self.assertEqual(c.cmd("CONFIG", "RESETSTAT"), b"OK")
        reset = self.info("stats", c)
        self.assertEqual((reset["total_forks"], reset["latest_fork_usec"]), ("0", "0"))

    def test_memory_peak_and_ratios_follow_used_memory(self):
        s = self.spawn()
        c = self.conn(s)
        for i in range(200):
            c.cmd("SET", "key:%d" % i, "x" * 1000)
        full = self.info("memory", c)
        used, peak = int(full["used_memory"]), int(full["used_memory_peak"])
        self.assertGreaterEqual(peak, used)
        self.assertGreater(used, 200 * 1000)
        self.assertEqual(c.cmd("FLUSHALL"), b"OK")
        m = self.info("memory", c)
        used, peak = int(m["used_memory"]), int(m["used_memory_peak"])
        self.assertGreaterEqual(peak, int(full["used_memory"]))
        self.assertGreaterEqual(peak, used)
        # A peak survives CONFIG RESETSTAT, as in Redis.
        self.assertEqual(c.cmd("CONFIG", "RESETSTAT"), b"OK")
        self.assertEqual(self.info("memory", c)["used_memory_peak"], str(peak))
        c.cmd("SET", "k", "v")
        m = self.info("memory", c)
        used, peak, rss = int(m["used_memory"]), int(m["used_memory_peak"]), int(
            m["used_memory_rss"])
        self.assertAlmostEqual(float(m["used_memory_peak_perc"].rstrip("%")), used * 100 / peak,
                               delta=0.01)
        # Redis's quotients of the figures they come from, taken at once.
        self.assertGreater(rss, 0)
        alloc, active, resident = (int(m["allocator_allocated"]), int(m["allocator_active"]),
                                   int(m["allocator_resident"]))
        # The allocator's live bytes stand for Redis's used_memory (zmalloc's count).
        self.assertAlmostEqual(float(m["mem_fragmentation_ratio"]), rss / alloc,
                               delta=max(0.01, rss / alloc * 1e-6))
        self.assertEqual(int(m["mem_fragmentation_bytes"]), rss - alloc)
        self.assertAlmostEqual(float(m["allocator_rss_ratio"]), resident / active, delta=0.01)
        self.assertEqual(int(m["allocator_rss_bytes"]), resident - active)
        self.assertAlmostEqual(float(m["rss_overhead_ratio"]), rss / resident, delta=0.01)
        self.assertEqual(int(m["rss_overhead_bytes"]), rss - resident)
        self.assertAlmostEqual(float(m["allocator_frag_ratio"]),
                               int(m["allocator_frag_bytes"]) / alloc + 1, delta=0.01)
        if m["mem_allocator"].startswith("jemalloc"):
            self.assertGreater(alloc, 0)
            self.assertLessEqual(alloc, active)
            self.assertLessEqual(active, resident)
        else:  # Redis's stand-ins without an allocator that tells
            self.assertEqual(alloc, used)
            self.assertEqual(active, resident)
            self.assertEqual(m["allocator_frag_bytes"], "0")
        self.assertEqual(m["used_memory_startup"], "0")  # an empty store accounts nothing
        self.assertGreater(int(m["mem_clients_normal"]), 0)

    def test_instantaneous_rates_follow_a_busy_client(self):
        s = self.spawn()
        c = self.conn(s)
        busy = self.conn(s)
        stop = time.monotonic() + 2.5
        sent = [0]

        def run():
            while time.monotonic() < stop:
                busy.pipeline([("PING",)] * 10)
                sent[0] += 10

        t = threading.Thread(target=run)
        t.start()
        try:
            time.sleep(2.0)
            st = self.info("stats", c)
        finally:
            t.join()
        self.assertGreater(sent[0], 100)
        self.assertGreater(int(st["instantaneous_ops_per_sec"]), 0)
        self.assertGreater(float(st["instantaneous_input_kbps"]), 0)
        self.assertGreater(float(st["instantaneous_output_kbps"]), 0)
        self.assertGreater(int(st["instantaneous_eventloop_cycles_per_sec"]), 0)
        self.assertGreater(int(st["eventloop_cycles"]), 0)
        self.assertGreater(int(st["eventloop_duration_sum"]), 0)
        # Idle: the commands' rate goes back to 0 once the busy samples are out (1.6 s at
        # hz 10, later if the ticks are late); an INFO a second adds 10/16 a second, 0.
        time.sleep(2.0)
        for _ in range(10):
            ops = self.info("stats", c)["instantaneous_ops_per_sec"]
            if ops == "0":
                break
            time.sleep(1.0)
        self.assertEqual(ops, "0")

    def test_reads_writes_and_command_time_are_counted(self):
        before = self.info("stats")
        for _ in range(20):
            self.assertEqual(self.c.cmd("PING"), b"PONG")
        self.assertEqual(self.c.cmd("DEBUG", "SLEEP", "0.05"), b"OK")
        after = self.info("stats")
        for f in ("total_reads_processed", "total_writes_processed"):
            self.assertGreaterEqual(int(after[f]) - int(before[f]), 21, f)
        self.assertGreaterEqual(
            int(after["eventloop_duration_cmd_sum"]) - int(before["eventloop_duration_cmd_sum"]),
            50000)
        self.assertGreaterEqual(
            int(after["eventloop_duration_sum"]) - int(before["eventloop_duration_sum"]), 50000)

    def test_output_limit_closes_count_pubsub_and_normal(self):
        s = self.spawn("--client-output-buffer-limit", "pubsub 65536 0 0")
        c = self.conn(s)
        sub = socket.create_connection((HOST, s.port), timeout=30)
        self.addCleanup(sub.close)
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sub.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n")
        self.assertTrue(wait_for(lambda: self.info("clients", c)["pubsub_clients"] == "1"))
        big = "x" * 100000
        self.assertTrue(wait_for(lambda: c.cmd("PUBLISH", "ch", big) == 0))
        self.assertEqual(self.info("stats", c)["client_output_buffer_limit_disconnections"], "1")
        # A normal client under a small limit, one big reply.
        self.assertEqual(c.cmd("SET", "big", big), b"OK")
        self.assertEqual(c.cmd("CONFIG", "SET", "client-output-buffer-limit", "normal 1024 0 0"),
                         b"OK")
        victim = socket.create_connection((HOST, s.port), timeout=30)
        self.addCleanup(victim.close)
        victim.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n")
        self.assertLess(len(read_until_closed(victim)), len(big))
        self.assertEqual(c.cmd("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"),
                         b"OK")
        self.assertEqual(self.info("stats", c)["client_output_buffer_limit_disconnections"], "2")

    def test_query_buffer_limit_close_is_counted(self):
        s = self.spawn("--client-query-buffer-limit", "1mb")
        c = self.conn(s)
        victim = socket.create_connection((HOST, s.port), timeout=30)
        self.addCleanup(victim.close)
        try:  # a bulk that never ends: its bytes pile up past the limit
            victim.sendall(b"*2\r\n$3\r\nSET\r\n$4000000\r\n" + b"x" * (1200 * 1024))
        except OSError:
            pass
        read_until_closed(victim)
        self.assertTrue(wait_for(
            lambda: self.info("stats", c)["client_query_buffer_limit_disconnections"] == "1"))

    def test_reply_buffers_shrink_then_expand(self):
        s = self.spawn()
        c = self.conn(s)
        self.assertEqual(c.cmd("SET", "big", "x" * 40000), b"OK")
        # An idle client's 16 kB reply chunk halves at each cron tick (hz 10).
        self.assertTrue(wait_for(lambda: int(self.info("stats", c)["reply_buffer_shrinks"]) > 0))
        # Big replies fill its chunks: they grow again.
        self.assertTrue(wait_for(lambda: c.cmd("GET", "big") and
                                 int(self.info("stats", c)["reply_buffer_expands"]) > 0))

    def test_acl_denials_by_reason(self):
        s = self.spawn()
        c = self.conn(s)
        self.assertEqual(c.cmd("ACL", "SETUSER", "u", "on", "nopass", "~a*", "&ch", "+get",
                               "+subscribe"), b"OK")
        self.assertIsInstance(c.cmd("AUTH", "nobody", "pw"), RespError)
        u = self.conn(s)
        self.assertEqual(u.cmd("AUTH", "u", "x"), b"OK")
        self.assertIsInstance(u.cmd("GET", "b"), RespError)       # key
        self.assertIsInstance(u.cmd("SET", "a", "1"), RespError)  # command
        self.assertIsInstance(u.cmd("SUBSCRIBE", "zz"), RespError)  # channel
        want = {"acl_access_denied_auth": "1", "acl_access_denied_cmd": "1",
                "acl_access_denied_key": "1", "acl_access_denied_channel": "1"}
        got = lambda: {k: v for k, v in self.info("stats", c).items() if k in want}
        self.assertEqual(got(), want)
        # Neither CONFIG RESETSTAT nor ACL LOG RESET zeroes them (Redis's acl_info).
        self.assertEqual(c.cmd("CONFIG", "RESETSTAT"), b"OK")
        self.assertEqual(c.cmd("ACL", "LOG", "RESET"), b"OK")
        self.assertEqual(got(), want)

    def test_dump_payload_sanitizations_count_packed_parts_as_redis(self):
        s = self.spawn()
        c = self.conn(s)
        count = lambda: int(self.info("stats", c)["dump_payload_sanitizations"])
        self.assertEqual(c.cmd("HSET", "h", "a", "1", "b", "2"), 2)  # one listpack
        self.assertEqual(c.cmd("SADD", "s", "1", "2"), 2)             # one intset
        self.assertEqual(c.cmd("SET", "str", "v"), b"OK")              # none
        dumps = {k: c.cmd("DUMP", k) for k in ("h", "s", "str")}
        # Under sanitize-dump-payload no (the default) Redis counts none.
        self.assertEqual(c.cmd("RESTORE", "h2", "0", dumps["h"]), b"OK")
        self.assertEqual(count(), 0)
        for mode, key in (("yes", "h"), ("clients", "s")):
            self.assertEqual(c.cmd("CONFIG", "SET", "sanitize-dump-payload", mode), b"OK")
            self.assertEqual(c.cmd("RESTORE", key + mode, "0", dumps[key]), b"OK")
        self.assertEqual(c.cmd("RESTORE", "str2", "0", dumps["str"]), b"OK")
        self.assertEqual(count(), 2)
        self.assertEqual(c.cmd("CONFIG", "RESETSTAT"), b"OK")
        self.assertEqual(count(), 0)

    def test_clients_in_timeout_table_counts_blocked_with_timeout(self):
        s = self.spawn()
        c = self.conn(s)
        a, b = self.conn(s), self.conn(s)
        a.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$2\r\n30\r\n")
        b.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        wait_blocked(c, 2)
        self.assertEqual(self.info("clients", c)["clients_in_timeout_table"], "1")
        self.assertEqual(c.cmd("RPUSH", "q", "1", "2"), 2)
        self.assertEqual(a.reply(), [b"q", b"1"])
        self.assertEqual(b.reply(), [b"q", b"2"])
        self.assertEqual(self.info("clients", c)["clients_in_timeout_table"], "0")


@unittest.skipUnless(redis74_path(), "no Redis 7.4 reference (RESPITE_REDIS74)")
class AgainstRedis74(unittest.TestCase):
    """The field names of INFO everything, idle, and of Persistence with the append-only
    file on, on respite and on 7.4.1: the same, but for respite's own."""

    def names(self, port, *args):
        c = RespConn(socket.create_connection((HOST, port), timeout=30))
        try:
            return sections(c.cmd("INFO", *args))
        finally:
            c.close()

    def compare(self, respite_args, redis_args, *info_args):
        ref = RedisServer(redis74_path(), redis_args).start()
        try:
            want = self.names(ref.port, *info_args)
        finally:
            ref.stop()
        s = Server(respite_args).start()
        try:
            got = self.names(s.port, *info_args)
        finally:
            s.stop()
        self.assertEqual(got, [(n, with_extras(n, f)) for n, f in want])
        return want

    def test_everything_idle(self):
        want = self.compare((), (), "everything")
        # What this file writes down is what 7.4.1 gives.
        self.assertEqual(want, SECTIONS_74)

    def test_persistence_with_aof(self):
        self.compare(("--appendonly", "yes"), ("--appendonly", "yes"), "persistence")


if __name__ == "__main__":
    main()
