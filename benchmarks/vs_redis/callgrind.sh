#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions a request, counted by callgrind: deterministic where wall-clock
# and CPU-time figures drown in a shared machine's noise. Starts SERVER (any
# redis-server compatible binary) under callgrind with instrumentation off
# and its slow log off (under callgrind any command may pass its threshold,
# and an entry costs thousands of instructions: noise), fills `myzset` with
# 100,000 members as bench.py's sorted-set tests do (unless ZSET=no),
# counts only a redis-benchmark load (50 clients, -r $RANGE, default 100000,
# -P $P, default 16) of N requests, and prints the server's instructions per
# request. The profile stays in OUT (callgrind_annotate OUT) for the hot
# functions.
# Misses in the caches cost most of a big sorted set's time and are not in
# this count: with CALLGRIND="--cache-sim=yes" the totals have them too.
#
#   benchmarks/vs_redis/callgrind.sh SERVER PORT N OUT redis-benchmark-args...
#   benchmarks/vs_redis/callgrind.sh build/respite-server 25001 5000 /tmp/zr.cg \
#       ZRANGE myzset 0 99 WITHSCORES
#   benchmarks/vs_redis/callgrind.sh /usr/bin/redis-server 25002 50000 /tmp/za.cg -t zadd
#
# SERVER_ARGS adds server arguments (not glob-expanded), e.g. a confined
# default user: SERVER_ARGS="--user default on nopass ~key:* ~myzset &* +@all".
# acl_overhead.py runs it for the ACL check's cost (a user of its own, with
# --user and -a among the redis-benchmark arguments).
#
# SETUP is a command run with the server's port as its last argument after
# the fill and before the count, e.g. lua.py's library and scripts for FCALL
# (and EVALSHA) over lua.py's 10,000 keys:
#   SETUP="benchmarks/vs_redis/lua.py --load" RANGE=10000 \
#       benchmarks/vs_redis/callgrind.sh build/respite-server 25001 50000 \
#       /tmp/fcall.cg FCALL rate_limiter 1 'rl:__rand_int__' 60000 100
#
# A benchmark, not a test: nothing here is run by ctest.
set -eu
[ $# -ge 5 ] || { sed -n '3,33p' "$0"; exit 2; }
server=$1 port=$2 n=$3 out=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)

set -f # SERVER_ARGS may hold patterns (~key:*)
# shellcheck disable=SC2086  # CALLGRIND and SERVER_ARGS hold options
valgrind --tool=callgrind ${CALLGRIND:-} --instr-atstart=no --callgrind-out-file="$out" \
    "$server" --port "$port" --save '' --appendonly no --slowlog-log-slower-than -1 \
    ${SERVER_ARGS:-} >"$out.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 200 ] || { echo "server did not start: $out.log" >&2; exit 1; }
    sleep 0.3
done
[ "${ZSET:-yes}" = no ] || /usr/bin/python3 - "$here" "$port" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import bench, servers
class A: keyspace = 100000
with servers.Conn(int(sys.argv[2]), timeout=120) as c:
    bench.prepare_zset(c, A)
PY
[ -z "${SETUP:-}" ] || $SETUP "$port" >/dev/null
callgrind_control -i on $pid >/dev/null 2>&1
redis-benchmark -p "$port" -c 50 -n "$n" -P "${P:-16}" -r "${RANGE:-100000}" --csv "$@" >/dev/null
callgrind_control -i off $pid >/dev/null 2>&1
kill $pid
wait $pid 2>/dev/null || true
trap - EXIT
ir=$(callgrind_annotate "$out" | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | head -1 | tr -d ,)
echo "$(basename "$server") $*: $ir instructions, $((ir / n)) a request"
