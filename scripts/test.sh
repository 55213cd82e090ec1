#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what is missing (Debian 12), build respite in build-test/ as a Debug build with
# ASan/UBSan and -Werror, run every ctest test (unit, integration, compat), then fuzz the
# RESP parser for about a minute (FUZZ_SECONDS) when tests/fuzz/run.sh exists.
# Exits non-zero if anything failed; every stage runs even when an earlier test failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh

ensure_packages "${TEST_PACKAGES[@]}"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DRS_SANITIZE=ON -DRS_WERROR=ON -DRS_TESTS=ON
cmake --build build-test -j"$(nproc)"

failed=()
if ! ctest --test-dir build-test --output-on-failure -j2; then
    failed+=(ctest)
fi
if [[ -f tests/fuzz/run.sh ]]; then
    if ! FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash tests/fuzz/run.sh; then
        failed+=(fuzz)
    fi
fi

if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "all tests passed"
