#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what is missing (Debian 12), build respite in build-test/ as a Debug build with
# ASan/UBSan and -Werror, run every ctest test (unit, integration, compat), then fuzz the
# RESP parser and RESTORE payloads for about a minute each (FUZZ_SECONDS) when
# tests/fuzz/run.sh exists.
# Exits non-zero if anything failed; every stage runs even when an earlier test failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh

ensure_packages "${TEST_PACKAGES[@]}"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DRS_SANITIZE=ON -DRS_WERROR=ON -DRS_TESTS=ON
cmake --build build-test -j"$(nproc)"

failed=()
ctest_log=build-test/ctest.log
if ! ctest --test-dir build-test --output-on-failure -j2 2>&1 | tee "$ctest_log"; then
    failed+=(ctest)
fi
# "N% tests passed, F tests failed out of T"
summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$ctest_log" | tail -n 1 || true)
total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
nfail=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
if [[ -z "$summary" ]]; then
    total=0 nfail=1
    failed+=(ctest)
fi
npass=$((total - nfail))
if [[ -f tests/fuzz/run.sh ]]; then
    # The fuzzer's progress goes to a log; its last lines are shown either way.
    fuzz_log=build-test/fuzz.log
    if FUZZ_SECONDS="${FUZZ_SECONDS:-60}" bash tests/fuzz/run.sh >"$fuzz_log" 2>&1; then
        npass=$((npass + 1))
        tail -n 3 "$fuzz_log"
    else
        nfail=$((nfail + 1))
        failed+=(fuzz)
        tail -n 40 "$fuzz_log"
    fi
fi

if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}" >&2
fi
echo "tests: $npass passed, $nfail failed"
((${#failed[@]} == 0))
