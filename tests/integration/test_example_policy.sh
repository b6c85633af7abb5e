#!/usr/bin/env bash
# The example plugin of docs/policy-abi.md builds outside the tree with its own CMakeLists.txt,
# exports only ampshare_policy_entry, and the real binary loads and starts it with its option.
set -euo pipefail
command -v cmake >/dev/null || { echo "cmake not found"; exit 77; }
bin=${AMPSHARE_BIN:?}
src=${AMPSHARE_SRC:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake -S "$src/docs/example-policy" -B "$tmp/build" >/dev/null
cmake --build "$tmp/build" >/dev/null
so="$tmp/build/fair_cap.so"
[ "$(nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }')" = ampshare_policy_entry ] \
    || { echo "fair_cap.so exports more than ampshare_policy_entry"; exit 1; }
cat >"$tmp/site.ini" <<EOF2
[site]
supply_limit_a = 63
[bus b]
transport = serial:/dev/ttyUSB0
[wallconnector w]
bus = b
address = auto
circuit = supply
max_current_a = 32
[policy]
name = $so
cap_a = 40
EOF2
"$bin" check-config "$tmp/site.ini" | grep -qxF "policy: $so ($so); options: cap_a = 40" \
    || { "$bin" check-config "$tmp/site.ini"; echo "the example plugin did not load"; exit 1; }
echo "example policy: ok"
