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
    '    |   `-- evse bay3  6-16 A  3-phase L2,L3,L1  control modbus heidelberg-ec  meter bay3-meter' \
    '    `-- circuit carport  20 A  L3' \
    '        `-- evse guest  6-16 A  1-phase L3  control none  meter guest-meter' \
    '  garage-meter  map generic  unit 2  tcp://192.0.2.10:502  measures circuit garage (L1,L2,L3)  poll 1000 ms, stale after 10000 ms' \
    '  rs485  serial:/dev/ttyUSB0,9600,8N1  master auto  stale after 10000 ms' \
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
assert bay3["control"] == "modbus" and bay3["control_map"] == "heidelberg-ec", bay3
assert [m["map"] for m in s["meters"]] == ["eastron-sdm630", "generic", "heidelberg-ec", "eastron-sdm120"]
assert s["buses"][0]["master_address"] == "auto", s["buses"]
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
$tmp/bad.ini:11: unknown section [garage] (expected site, policy, circuit, bus, wallconnector, meter, evse, http, mqtt, sessions or ocpp)
$tmp/bad.ini: 7 errors, 0 warnings
EOF2
diff "$tmp/want" "$tmp/err" || fail "messages differ"
[ ! -s "$tmp/out" ] || fail "an invalid config printed a tree"

# meters and EVSEs against the Modbus driver's tables: every error with file:line, in file
# order, in text and in JSON; TWCManager's master ID is a warning only
cat >"$tmp/mb.ini" <<'INI'
[site]
supply_limit_a = 40
[bus b]
transport = serial:/dev/ttyUSB0
master_address = 7777
[meter grid]
transport = tcp://127.0.0.1:502
map = sdm63
measures = grid
[meter evm]
transport = tcp://127.0.0.1:502
map = generic
measures = evse:e
current_regs = 1,2
[evse e]
control = modbus
control_transport = tcp://127.0.0.1:502
control_map = heidelberg-ec
meter = evm
circuit = supply
max_current_a = 32
INI
set +e
"$bin" check-config "$tmp/mb.ini" >"$tmp/out" 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "modbus config exit $rc"
cat >"$tmp/want" <<EOF2
$tmp/mb.ini:5: warning: [bus b] master_address: 7777 is TWCManager's fixed master ID; should it ever run on this bus too, the two masters could not tell each other apart: use auto or another ID
$tmp/mb.ini:8: [meter grid] map: unknown map 'sdm63'; did you mean 'sdm630'? (known: eastron-sdm630, eastron-sdm120, eastron-sdm72d-m, eastron-sdm72d-m-v2, abb-b23, carlo-gavazzi-em24, carlo-gavazzi-em340, heidelberg-ec or generic; 'ampshare meter maps' lists aliases)
$tmp/mb.ini:14: [meter evm] current_regs: '1,2' is not a list of 1 or 3 register addresses (0-65535)
$tmp/mb.ini:21: [evse e] max_current_a: 32 A is above the 16 A that heidelberg-ec takes
$tmp/mb.ini: 3 errors, 1 warning
EOF2
diff "$tmp/want" "$tmp/err" || fail "modbus messages differ"
set +e
"$bin" check-config --json "$tmp/mb.ini" >"$tmp/json"; rc=$?
set -e
[ $rc -eq 1 ] || fail "modbus config --json exit $rc"
"$py" - "$tmp/json" "$tmp/mb.ini" <<'PY' || fail "modbus json"
import json, sys
d, f = json.load(open(sys.argv[1])), sys.argv[2]
assert d["valid"] is False and d["site"] is None, d
lines = [e.split(":")[1] for e in d["errors"]]
assert sorted(lines, key=int) == ["8", "14", "21"], d["errors"]
assert all(e.startswith(f + ":") for e in d["errors"] + d["warnings"]), d
assert d["warnings"] == [f + ":5: warning: [bus b] master_address: 7777 is TWCManager's fixed master ID; should it ever run on this bus too, the two masters could not tell each other apart: use auto or another ID"], d["warnings"]
PY
sed -i 's/^master_address = 7777$/master_address = auto/; s/^map = sdm63$/map = sdm630/; s/^current_regs = 1,2$/current_regs = 0, 2, 4/; s/^max_current_a = 32$/max_current_a = 16/' "$tmp/mb.ini"
"$bin" check-config "$tmp/mb.ini" >"$tmp/out" 2>"$tmp/err" || fail "fixed modbus config: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || fail "fixed modbus config printed messages: $(cat "$tmp/err")"
grep -qxF '  grid  map eastron-sdm630  unit 1  tcp://127.0.0.1:502  measures grid (L1,L2,L3)  poll 1000 ms, stale after 10000 ms' "$tmp/out" \
    || { cat "$tmp/out"; fail "alias not resolved in the tree"; }

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
grep -qF "built for policy ABI 2.0, this ampshare speaks ABI 1.1" "$tmp/err" || { cat "$tmp/err"; fail "mismatch message"; }
# a plugin calling a function nothing defines is refused now, not at its first tick (RTLD_NOW)
sed -i "s|name = .*|name = $build/policies/test/undefined_symbol.so|" "$tmp/plugin.ini"
set +e
"$bin" check-config "$tmp/plugin.ini" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "a plugin with an undefined symbol must be refused"
grep -qF "undefined symbol: ampshare_test_undefined_function" "$tmp/err" || { cat "$tmp/err"; fail "undefined symbol message"; }

# a plugin named without a path is found in the policy directory ([policy] dir), nowhere else
sed -i "s|^name = .*|name = fair_cap\ndir = $build/policies|" "$tmp/plugin.ini"
"$bin" check-config "$tmp/plugin.ini" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; fail "plugin by name in dir"; }
grep -qF "policy: $build/policies/fair_cap.so (" "$tmp/out" || { cat "$tmp/out"; fail "plugin by name: policy line"; }
for bad in no_such_policy ../policies/fair_cap fair_cap.so; do
    sed -i "s|^name = .*|name = $bad|" "$tmp/plugin.ini"
    set +e
    "$bin" check-config "$tmp/plugin.ini" >/dev/null 2>"$tmp/err"; rc=$?
    set -e
    [ $rc -eq 1 ] || fail "policy name '$bad' must be refused"
done
sed -i "s|^name = .*|name = no_such_policy|" "$tmp/plugin.ini"
"$bin" check-config "$tmp/plugin.ini" >/dev/null 2>"$tmp/err" || true
grep -qF "nor a plugin $build/policies/no_such_policy.so" "$tmp/err" || { cat "$tmp/err"; fail "unknown name message"; }

# issue 17: the configured policy runs on generated fleets; a plugin that crashes, hangs, answers
# garbage or needs the clamp's corrections is an error naming what it did, at its [policy] line.
for bad in "crash_segv:crashed on a generated fleet" "hang:did not answer in time on a generated fleet" \
    "garbage:answered garbage on a generated fleet" \
    "hostile:answered a target the safety clamp had to correct on a generated fleet"; do
    plugin=${bad%%:*} want=${bad#*:}
    sed -n '1,/^\[policy\]/p' "$src/etc/ampshare.ini" >"$tmp/trial.ini"
    echo "name = $build/policies/test/$plugin.so" >>"$tmp/trial.ini"
    line=$(grep -n '^name = ' "$tmp/trial.ini" | tail -1 | cut -d: -f1)
    rc=0
    "$bin" check-config "$tmp/trial.ini" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$plugin: exit $rc, want 1"
    grep -q "^$tmp/trial.ini:$line: \[policy\] .*$plugin.so $want" "$tmp/err" ||
        { cat "$tmp/err"; fail "$plugin: no '$want' at line $line"; }
done

# values (issue 17): a three-digit address, a 2 A site minimum inherited by a Wall Connector,
# a minimum the grandparent circuit could never supply, an unparsable limit without an
# overcommit error on top
cat >"$tmp/values.ini" <<'INI'
[site]
supply_limit_a = 63
min_current_a = 2
[bus b]
transport = serial:/dev/ttyUSB0
[circuit garage]
limit_a = 40
[circuit sub]
parent = garage
limit_a = 50
[circuit broken]
limit_a = lots
overcommit_a = 3
[wallconnector w]
bus = b
address = 1e3
circuit = sub
max_current_a = 48
[evse e]
control = modbus
control_transport = tcp://127.0.0.1:502
circuit = sub
max_current_a = 48
min_current_a = 45
INI
set +e
"$bin" check-config "$tmp/values.ini" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "values config exit $rc"
for want in \
    "$tmp/values.ini:12: [circuit broken] limit_a: 'lots' is not a current in amps (up to 3 decimals)" \
    "$tmp/values.ini:16: [wallconnector w] address: '1e3' is not a Wall Connector ID (4 hex digits or auto)"
do
    grep -qxF -- "$want" "$tmp/err" || { cat "$tmp/err"; fail "values lack: $want"; }
done
! grep -q overcommit "$tmp/err" || { cat "$tmp/err"; fail "an unparsable limit_a also gave an overcommit error"; }
sed -i 's/^address = 1e3$/address = 01e3/; s/^limit_a = lots$/limit_a = 30/' "$tmp/values.ini"
set +e
"$bin" check-config "$tmp/values.ini" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "values config (2) exit $rc"
for want in \
    "$tmp/values.ini:14: [wallconnector w] min_current_a: 2 A (from [site] line 3) is not a whole number of amps of at least 5 (twc-gen2.md §5.3)" \
    "$tmp/values.ini:24: [evse e] min_current_a 45 A is above circuit garage's 40 A: it could never charge"
do
    grep -qxF -- "$want" "$tmp/err" || { cat "$tmp/err"; fail "values lack: $want"; }
done

# config files as bytes: one NUL in a comment is an error naming its line (it used to end the
# file there, dropping the grid meter below it); so is invalid UTF-8; only regular files are read
printf '[site]\nsupply_limit_a = 40\n; note \0 old\n[meter grid]\ntransport = tcp://127.0.0.1:502\nmeasures = grid\n' >"$tmp/nul.ini"
set +e
"$bin" check-config "$tmp/nul.ini" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "a NUL byte must fail check-config (exit $rc)"
grep -qxF "$tmp/nul.ini:3: NUL byte at column 8: a config file is text" "$tmp/err" || { cat "$tmp/err"; fail "NUL message"; }
printf '[site]\nsupply_limit_a = 40\n[policy]\nnote = caf\xe9\n' >"$tmp/latin1.ini"
set +e
"$bin" check-config "$tmp/latin1.ini" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "invalid UTF-8 must fail check-config (exit $rc)"
grep -qxF "$tmp/latin1.ini:4: invalid UTF-8 at column 11 (byte 0xe9)" "$tmp/err" || { cat "$tmp/err"; fail "UTF-8 message"; }
mkfifo "$tmp/fifo.ini"
set +e
timeout 20 "$bin" check-config "$tmp/fifo.ini" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "a FIFO must be refused at once (exit $rc)"
grep -qxF "$tmp/fifo.ini: cannot read: not a regular file (a FIFO, socket or device)" "$tmp/err" || { cat "$tmp/err"; fail "FIFO message"; }
mkdir "$tmp/dir.ini"
set +e
"$bin" check-config "$tmp/dir.ini" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "a directory must fail (exit $rc)"
grep -qxF "$tmp/dir.ini: cannot read: Is a directory" "$tmp/err" || { cat "$tmp/err"; fail "directory message"; }

# hostile text (issue 17): terminal escapes and C1 controls in keys, values, a transport and a
# policy path are shown as \xNN in text; --json is strict JSON and valid UTF-8 (RFC 8259)
printf '[site]\nsupply_limit_a = 40\n\033]0;pwned\007key = 1\n[bus b]\ntransport = serial:/dev/tty\033[2J\n[wallconnector w]\nbus = b\naddress = auto\ncircuit = supply\nmax_current_a = 32\n[policy]\nname = /nonexistent/\033[31m\302\233x.so\n' >"$tmp/hostile.ini"
printf '[site]\nsupply_limit_a = 40\n[bus b]\ntransport = serial:/dev/tty\033[2J\302\233\n[wallconnector w]\nbus = b\naddress = auto\ncircuit = supply\nmax_current_a = 32\n[policy]\nname = idle_reclaim\nidle_after_ms = 2000\n' >"$tmp/hostile-ok.ini"
set +e
"$bin" check-config "$tmp/hostile.ini" >"$tmp/h.out" 2>"$tmp/h.err"; rc=$?
"$bin" check-config --json "$tmp/hostile.ini" >"$tmp/h.json" 2>/dev/null
"$bin" check-config "$tmp/hostile-ok.ini" >"$tmp/hok.out" 2>"$tmp/hok.err"; rcok=$?
"$bin" check-config --json "$tmp/hostile-ok.ini" >"$tmp/hok.json" 2>/dev/null
set -e
[ $rc -eq 1 ] || fail "hostile config exit $rc"
[ $rcok -eq 0 ] || { cat "$tmp/hok.err"; fail "hostile-but-valid config exit $rcok"; }
"$py" - "$tmp/h.out" "$tmp/h.err" "$tmp/hok.out" "$tmp/hok.err" <<'PY' || fail "hostile text output"
import sys
for f in sys.argv[1:]:
    b = open(f, "rb").read()
    b.decode("utf-8")
    bad = [c for c in b if (c < 0x20 and c != 0x0a) or c == 0x7f]
    assert not bad, (f, "raw control bytes", b)
    assert b"\xc2\x9b" not in b, (f, "raw C1 CSI", b)
err = open(sys.argv[2], "rb").read().decode()
assert "unknown key '\\x1b]0;pwned\\x07key'" in err, err
out = open(sys.argv[3], "rb").read().decode()
assert "serial:/dev/tty\\x1b[2J\\xc2\\x9b  master auto" in out, out
PY
"$py" - "$tmp/h.json" "$tmp/hok.json" <<'PY' || fail "hostile --json"
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
assert d["valid"] is False
assert any("unknown key" in e for e in d["errors"]), d
ok = json.loads(open(sys.argv[2], "rb").read().decode("utf-8"))
assert ok["valid"] is True, ok
assert ok["site"]["buses"][0]["transport"] == "serial:/dev/tty\x1b[2J\x9b", ok["site"]["buses"]
PY

echo "check-config: ok"
