#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# respite-server under valgrind's memcheck, as the server of an integration suite:
#
#   cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=Debug && cmake --build build-vg --target respite-server
#   RESPITE_VG_SERVER=build-vg/respite-server RESPITE_SERVER=tests/valgrind/server.sh \
#       /usr/bin/python3 tests/integration/test_aof.py
#   grep -l "ERROR SUMMARY: [1-9]" /tmp/respite-vg/*.log
#
# (a build without RS_SANITIZE: ASan and valgrind do not mix.) Each server process writes
# its report to $RESPITE_VG_LOGS/vg.<pid>.log (default /tmp/respite-vg); leaks counted as
# errors are the definite ones. exec keeps the pid the harness knows. Timing-sensitive
# tests may fail under valgrind's slowdown; the reports are what this is for.
dir=$(cd "$(dirname "$0")" && pwd)
logs=${RESPITE_VG_LOGS:-/tmp/respite-vg}
mkdir -p "$logs"
exec valgrind --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite --child-silent-after-fork=yes \
    --suppressions="$dir/respite.supp" --log-file="$logs/vg.%p.log" \
    "${RESPITE_VG_SERVER:?set RESPITE_VG_SERVER to a respite-server built without sanitizers}" "$@"
