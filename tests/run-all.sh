#!/usr/bin/env bash
# Builds ampshare and runs every test: the normal build with -Werror, then the whole suite again
# under ASan+UBSan. Installs missing Debian packages first. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh --with-clang
jobs=$(nproc)

cmake -S . -B build -DAMPSHARE_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

cmake -S . -B build-asan -DAMPSHARE_WERROR=ON -DAMPSHARE_SANITIZE="address;undefined" \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"

# libFuzzer smoke run: every fuzz target for a bounded time, clang + ASan/UBSan.
bash tests/fuzz-smoke.sh 60
