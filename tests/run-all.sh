#!/usr/bin/env bash
# Builds ampshare and runs every test: the normal build with -Werror, the libFuzzer smoke run,
# the mutants, then the whole suite again under ASan+UBSan. Installs missing Debian packages
# first. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh --with-clang
jobs=$(nproc)
t_start=$(date +%s)

# ctest, then: a skipped test is a failure. deps.sh installed every peer, so a skip here means a
# test that did not run and would otherwise count as passed (AMPSHARE_ALLOW_SKIP=1 to allow it
# on a machine that cannot have every peer).
run_ctest() {
    local out
    out=$(mktemp)
    local rc=0
    ctest "$@" 2>&1 | tee "$out" || rc=$?
    [ "$rc" -eq 0 ] || { rm -f "$out"; return "$rc"; }
    if grep -qE '\(Skipped\)$' "$out" && [ "${AMPSHARE_ALLOW_SKIP:-0}" != 1 ]; then
        echo "run-all: tests were skipped; every peer should be installed (tests/deps.sh):" >&2
        grep -E '\(Skipped\)$' "$out" >&2
        rm -f "$out"
        return 1
    fi
    rm -f "$out"
}

cmake -S . -B build -DAMPSHARE_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
run_ctest --test-dir build --output-on-failure -j"$jobs"


# libFuzzer smoke run: every fuzz target for a bounded time, clang + ASan/UBSan.
bash tests/fuzz-smoke.sh 60

# Mutation testing: every tests/mutants/*.patch must be caught by the tests it names
# (tests/mutants/README.md). About 8.5 minutes for 85 mutants on 2 cores, one build included;
# its last lines are the mutation score (with its time) and "mutants: N passed, M failed".
echo "run-all: build, suite and fuzzing took $(($(date +%s) - t_start)) s; now the mutants"
bash tests/mutants/run.sh

# Last, the whole suite again under ASan+UBSan, so the run ends with ctest's summary line.
cmake -S . -B build-asan -DAMPSHARE_WERROR=ON -DAMPSHARE_SANITIZE="address;undefined" \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
run_ctest --test-dir build-asan --output-on-failure -j"$jobs"
unset ASAN_OPTIONS UBSAN_OPTIONS
