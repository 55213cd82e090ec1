#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds fuzz_resp_parser with clang in its own build directory and runs it
# for a bounded time on a scratch copy of the seed corpus (the corpus in the
# tree is never modified). Exits non-zero when the fuzzer finds a crash, a
# leak or a sanitizer report; the reproducer is left in the build directory.
#
#   tests/fuzz/run.sh [build-dir]     default: <repo>/build-fuzz
#   FUZZ_SECONDS=600 tests/fuzz/run.sh
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$root/build-fuzz"}
seconds=${FUZZ_SECONDS:-60}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRS_FUZZ=ON -DRS_TESTS=OFF
cmake --build "$build" --target fuzz_resp_parser -j "$(nproc)"

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$root"/tests/fuzz/corpus/* "$corpus"/

"$build/tests/fuzz/fuzz_resp_parser" -max_total_time="$seconds" -timeout=10 \
    -artifact_prefix="$build/" -print_final_stats=1 "$corpus"
