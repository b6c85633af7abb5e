#!/usr/bin/env bash
# Builds every fuzz target with clang + libFuzzer + ASan/UBSan and fuzzes each for a short,
# bounded time from a scratch copy of its seed corpus (the committed corpus is never written).
# A target's tests/fuzz/<target>.options holds extra libFuzzer flags, one a line (fuzz_ctl_twc:
# its scripts need no more than 384 bytes, and libFuzzer's entropic bookkeeping took 78% of its
# time). Usage: tests/fuzz-smoke.sh [seconds-per-target]
# (default 60: ten targets, about 10 minutes of CI's 90)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
command -v clang >/dev/null || { echo "fuzz-smoke: clang missing (tests/deps.sh --with-clang)"; exit 1; }
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DAMPSHARE_FUZZ=ON -DAMPSHARE_WERROR=ON \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0 passed=0
for bin in build-fuzz/tests/fuzz/fuzz_*; do
    name=$(basename "$bin")
    target=${name#fuzz_}
    mkdir -p "$scratch/$target"
    cp -r tests/fuzz/corpus/"$target"/. "$scratch/$target"/
    dict=()
    [ -f tests/fuzz/"$target".dict ] && dict=(-dict=tests/fuzz/"$target".dict)
    opts=()
    [ -f tests/fuzz/"$target".options ] && mapfile -t opts < tests/fuzz/"$target".options
    if "$bin" "${dict[@]}" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 \
            -artifact_prefix="$scratch/" "$scratch/$target" >"$scratch/$target.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$target.log" | grep -o '[0-9]*$')
        echo "fuzz $target: ${runs:-?} runs in ${secs}s, no crash"
        passed=$((passed + 1))
    else
        echo "fuzz $target: FAILED"; tail -40 "$scratch/$target.log"
        failed=$((failed + 1))
    fi
done
echo "fuzz-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
