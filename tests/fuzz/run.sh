#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds the fuzz targets with clang in their own build directory and runs
# each for a bounded time on a scratch copy of its seed corpus (the corpora
# in the tree are never modified): fuzz_resp_parser (corpus/) and
# fuzz_restore (corpus_restore/: RESTORE payload bodies, from Redis 7.4's
# DUMP). Exits non-zero when a fuzzer finds a crash, a leak or a sanitizer
# report; the reproducer is left in the build directory.
#
#   tests/fuzz/run.sh [build-dir]     default: <repo>/build-fuzz
#   FUZZ_SECONDS=600 tests/fuzz/run.sh       seconds for each target (60)
#   FUZZ_TARGETS=fuzz_restore tests/fuzz/run.sh
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$root/build-fuzz"}
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"fuzz_resp_parser fuzz_restore"}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRS_FUZZ=ON -DRS_TESTS=OFF
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for target in $targets; do
    case $target in
    fuzz_resp_parser) seeds=corpus ;;
    fuzz_restore) seeds=corpus_restore ;;
    *) echo "unknown fuzz target $target" >&2; exit 2 ;;
    esac
    cmake --build "$build" --target "$target" -j 2
    rm -rf "${corpus:?}"/*
    cp "$root/tests/fuzz/$seeds"/* "$corpus"/
    "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
        -artifact_prefix="$build/$target-" -print_final_stats=1 "$corpus"
done
