#!/usr/bin/python3
"""Instructions a DUMP and a RESTORE of packed values, counted by callgrind: respite vs Redis.

For each shape, starts SERVER under callgrind counting only inside the DUMP and RESTORE
commands (--toggle-collect on cmd_dump/cmd_restore, or dumpCommand/restoreCommand when
--redis), fills one key, DUMPs it, then sends --n pipelined `RESTORE k2 0 <payload>
REPLACE` (a dump of the counters is taken after them) and --n DUMPs of the key, and prints
the instructions per command of each. Deterministic where the rates of dump_restore.py
drown in a shared machine's noise.

Shapes (the packed encodings): hash (100 fields, listpack, as dump_restore.py's), list (600
elements, one listpack node), stream (100 entries, a group with 10 pending), set (100
members, listpack), intset (300 integers), zset (100 members, listpack, %.17g scores).

  benchmarks/vs_redis/dump_restore_cg.py build/respite-server
  benchmarks/vs_redis/dump_restore_cg.py --redis ../shared/tools/redis-7.4.1/redis-server

A benchmark, not a test: nothing here is run by ctest.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dump_restore  # noqa: E402
import servers  # noqa: E402

SHAPES = ("hash", "list", "stream", "set", "intset", "zset")


def fill(key, shape):
    """The commands that build key in the given shape."""
    if shape == "set":
        return [["SADD", key] + ["member-%d" % i for i in range(100)]]
    if shape == "intset":
        return [["SADD", key] + [str(i * 37) for i in range(300)]]
    if shape == "zset":
        return [["ZADD", key] + [x for i in range(100) for x in ("%.17g" % (i / 7), "m%d" % i)]]
    return dump_restore.fill(key, shape)


def total(path):
    """The instructions of a callgrind output file."""
    out = subprocess.run(["callgrind_annotate", path], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "PROGRAM TOTALS" in line:
            return int(line.split()[0].replace(",", ""))
    raise RuntimeError("no totals in %s" % path)


def measure(server, is_redis, shape, n, work):
    port = servers.free_port()
    out = os.path.join(work, shape + ".cg")
    fns = ("restoreCommand", "dumpCommand") if is_redis else ("cmd_restore", "cmd_dump")
    cmd = (["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] +
           ["--toggle-collect=" + f for f in fns] +
           [server, "--port", str(port), "--save", "", "--appendonly", "no"])
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=work, preexec_fn=servers.child_preexec)
    try:
        for _ in range(300):
            try:
                conn = servers.Conn(port, timeout=600)
                break
            except OSError:
                time.sleep(0.2)
        for payload, count in servers.batches(fill("k", shape), 1000):
            conn.pipeline(payload, count)
        data = conn.call("DUMP", "k")
        restores = [["RESTORE", "k2", "0", data, "REPLACE"]] * n
        for payload, count in servers.batches(restores, 1000):
            if conn.pipeline(payload, count):
                raise servers.ProtocolError("RESTORE failed")
        subprocess.run(["callgrind_control", "--dump=restore", str(proc.pid)],
                       capture_output=True, check=True)
        for payload, count in servers.batches([["DUMP", "k"]] * n, 1000):
            conn.pipeline(payload, count)
        conn.close()
    finally:
        proc.terminate()
        proc.wait()
    # the dump taken after the RESTOREs is out.1; what follows, counted at exit, is out
    return total(glob.glob(out + ".*")[0]) / n, total(out) / n, len(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("server", help="respite-server or redis-server binary")
    ap.add_argument("--redis", action="store_true", help="the server is redis-server")
    ap.add_argument("--n", type=int, default=500, help="commands of each kind (default 500)")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="respite-dump-cg-")
    print("| shape | payload bytes | RESTORE instructions | DUMP instructions |")
    print("|---|---:|---:|---:|")
    for shape in args.shapes.split(","):
        restore, dump, size = measure(os.path.abspath(args.server), args.redis, shape, args.n,
                                      work)
        print("| %s | %d | %.1fk | %.1fk |" % (shape, size, restore / 1000, dump / 1000),
              flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
