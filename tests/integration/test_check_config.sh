#!/usr/bin/env bash
# ampshare check-config against real files: the example config prints its tree, --json is JSON
# that python can read, a broken config prints every error with file:line and exits 1, plugins
# are loaded (and an ABI-mismatched one refused) exactly as the daemon would.
set -euo pipefail
bin=${AMPSHARE_BIN:?}
src=${AMPSHARE_SRC:?}
build=${AMPSHARE_BUILD:?}
py=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --help and usage errors
"$bin" check-config --help | grep -q '^usage: ampshare check-config FILE \[--json\]' || fail "--help"
set +e
"$bin" check-config >/dev/null 2>&1; [ $? -eq 2 ] || fail "no FILE must exit 2"
"$bin" check-config --frobnicate x.ini >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option must exit 2"
set -e

# the example: exit 0 and the tree, line for line where it matters
"$bin" check-config "$src/etc/ampshare.ini" >"$tmp/out" 2>"$tmp/err" || fail "example config: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || fail "example config printed messages: $(cat "$tmp/err")"
for want in \
    'supply  63 A  L1 L2 L3  meter grid-meter' \
    '`-- circuit main  50 A  L1 L2 L3' \
    '    |-- circuit garage  40 A  L1 L2 L3  overcommit 6 A  meter garage-meter' \
    '    |   |-- wallconnector bay1  6-32 A  1-phase L1  bus rs485 address auto' \
    '    |   `-- evse bay3  6-16 A  3-phase L2,L3,L1  control modbus  meter bay3-meter' \
    '    `-- circuit carport  20 A  L3' \
    '        `-- evse guest  6-16 A  1-phase L3  control none  meter guest-meter' \
    'policy: idle_reclaim (built-in); options: idle_after_ms = 2000, probe_every_ms = 300000'
do
    grep -qxF -- "$want" "$tmp/out" || { cat "$tmp/out"; fail "tree lacks: $want"; }
done

# --json parses and says what the tree says
"$bin" check-config --json "$src/etc/ampshare.ini" >"$tmp/json"
"$py" - "$tmp/json" <<'PY' || fail "json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is True and d["errors"] == [], d
s = d["site"]
assert [c["name"] for c in s["circuits"]] == ["supply", "main", "garage", "carport"], s["circuits"]
assert s["circuits"][2]["limit_a"] == [40, 40, 40] and s["circuits"][2]["overcommit_a"] == 6
bay3 = [e for e in s["evses"] if e["name"] == "bay3"][0]
assert bay3["phase_map"] == ["L2", "L3", "L1"] and bay3["max_a"] == 16, bay3
assert s["policy"]["name"] == "idle_reclaim" and s["policy"]["source"] == "built-in"
PY

# a broken config: every error, in file order, with file:line; exit 1
cat >"$tmp/bad.ini" <<'INI'
[site]
supply_limit_a = x
phases = 5
[circuit a]
parent = b
[wallconnector w]
bus = nobus
address = 1111
circuit = a
max_current_a = 48.5
[garage]
INI
set +e
"$bin" check-config "$tmp/bad.ini" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad config exit $rc"
cat >"$tmp/want" <<EOF2
$tmp/bad.ini:2: [site] supply_limit_a: 'x' is not a current in amps (up to 3 decimals)
$tmp/bad.ini:3: [site] phases: 5 is out of range 1..3
$tmp/bad.ini:4: [circuit a] limit_a is missing
$tmp/bad.ini:5: [circuit a] parent: no circuit 'b'
$tmp/bad.ini:7: [wallconnector w] bus: no bus 'nobus'
$tmp/bad.ini:10: [wallconnector w] max_current_a: 48.5 A is not a whole number of amps in 6..80 (twc-gen2.md §5.3)
$tmp/bad.ini:11: unknown section [garage] (expected site, policy, circuit, bus, wallconnector, meter or evse)
$tmp/bad.ini: 7 errors, 0 warnings
EOF2
diff "$tmp/want" "$tmp/err" || fail "messages differ"
[ ! -s "$tmp/out" ] || fail "an invalid config printed a tree"

# plugins: the docs example loads with its option; the ABI-mismatched one is refused
cat >"$tmp/plugin.ini" <<EOF2
[site]
supply_limit_a = 40
[bus b]
transport = serial:/dev/ttyUSB0
[wallconnector w]
bus = b
address = auto
circuit = supply
max_current_a = 32
[policy]
name = $build/policies/fair_cap.so
cap_a = 30
EOF2
"$bin" check-config "$tmp/plugin.ini" >"$tmp/out" || fail "fair_cap.so did not load"
grep -qxF "policy: $build/policies/fair_cap.so ($build/policies/fair_cap.so); options: cap_a = 30" "$tmp/out" \
    || { cat "$tmp/out"; fail "policy line"; }
sed -i 's/cap_a = 30/cap_a = plenty/' "$tmp/plugin.ini"
set +e
"$bin" check-config "$tmp/plugin.ini" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "a bad plugin option must fail"
grep -qxF "$tmp/plugin.ini:12: [policy] fair_cap: bad option 'cap_a = plenty'" "$tmp/err" || { cat "$tmp/err"; fail "bad option message"; }
sed -i "s|name = .*|name = $build/policies/test/abi_mismatch.so|; /cap_a/d" "$tmp/plugin.ini"
set +e
"$bin" check-config "$tmp/plugin.ini" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "an ABI-mismatched plugin must be refused"
grep -qF "built for policy ABI 2.0, this ampshare speaks ABI 1.0" "$tmp/err" || { cat "$tmp/err"; fail "mismatch message"; }
echo "check-config: ok"
