#!/usr/bin/env bash
# `ampshare run --demo` for a few seconds, stdout not a terminal: the demo site links both
# simulated Wall Connectors on its pty, drives the simulated Modbus EVSE (the Zoe charges at its
# 16 A circuit), prints its summary and the native master's figure for the seed's case, exits 0
# and leaves no temporary directory behind. Without a config file `ampshare run` says loudly that
# it runs the demo.
set -euo pipefail
: "${AMPSHARE_BIN:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" rundemo

before=$(find /tmp -maxdepth 1 -name 'ampshare-demo-*' | wc -l)
rc=0
"$AMPSHARE_BIN" run --demo --duration-s 8 >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/out" "$tmp/err"; fail "exit status $rc"; }
for id in 2019 2431; do
    grep -q "slave $id linked" "$tmp/err" || { cat "$tmp/err"; fail "slave $id not linked"; }
done
grep -q 'daemon: zoe: .* -> 16000 mA' "$tmp/err" || { cat "$tmp/err"; fail "the EVSE never got 16 A"; }
grep -q 'zoe offer 16.0 A draw 16.0 A' "$tmp/out" || { cat "$tmp/out"; fail "no summary line"; }
grep -qE 'native Tesla master .*the Tesla draws 3[0-9]\.[0-9]{2} A' "$tmp/out" ||
    { cat "$tmp/out"; fail "no native figure"; }
grep -q 'ampshare, this run' "$tmp/out" || { cat "$tmp/out"; fail "no ampshare figure"; }
grep -q 'stopped: every charger confirmed' "$tmp/err" || { cat "$tmp/err"; fail "unconfirmed stop"; }
after=$(find /tmp -maxdepth 1 -name 'ampshare-demo-*' | wc -l)
[ "$after" -le "$before" ] || fail "the demo left its temporary directory"

if [ ! -e /etc/ampshare/ampshare.ini ]; then
    "$AMPSHARE_BIN" run --duration-s 2 >"$tmp/out2" 2>"$tmp/err2" || fail "no-config demo failed"
    grep -q 'no config at /etc/ampshare/ampshare.ini: RUNNING THE BUILT-IN DEMO SITE' "$tmp/err2" ||
        { cat "$tmp/err2"; fail "the fallback to the demo was not announced"; }
fi
# an explicit --config that does not exist is an error, not the demo
rc=0
"$AMPSHARE_BIN" run --config "$tmp/missing.ini" >"$tmp/out3" 2>"$tmp/err3" || rc=$?
[ "$rc" -eq 1 ] || { cat "$tmp/err3"; fail "a missing --config gave status $rc"; }
grep -q "missing.ini" "$tmp/err3" || { cat "$tmp/err3"; fail "the missing file is not named"; }
echo "ampshare run --demo: ok"
