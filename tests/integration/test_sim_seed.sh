#!/usr/bin/env bash
# `ampshare sim seed` prints the seed's figures: 34 A of 40 A for the Tesla under the simulated
# native master (twc-gen2.md §7.3), all 40 A under ampshare's master.
set -euo pipefail
: "${AMPSHARE_BIN:?}"
out=$("$AMPSHARE_BIN" sim seed)
fail() {
    echo "$out"
    echo "FAIL: $*"
    exit 1
}
grep -qx 'result (native): Tesla offered 34.00A, drawing 33.20A; i3 offered 6.00A, drawing 0.00A (.*)' \
    <<<"$out" || fail "native result"
grep -qx 'result (ampshare): Tesla offered 40.00A, drawing 39.20A; i3 offered 0.00A, drawing 0.00A (.*)' \
    <<<"$out" || fail "ampshare result"
grep -q '^    60s  01 charging ' <<<"$out" || fail "timeline row at 60 s"
"$AMPSHARE_BIN" sim seed --circuit-a 32 --master native | grep -q 'Tesla offered 26.00A' ||
    fail "32 A circuit: want the 26 A / 6 A split"
rc=0
"$AMPSHARE_BIN" sim seed --circuit-a x 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "bad argument: exit $rc, want 2"
echo "sim seed: ok"
