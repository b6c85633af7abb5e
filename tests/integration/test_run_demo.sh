#!/usr/bin/env bash
# `ampshare run --demo`, stdout not a terminal: the demo site links both simulated Wall
# Connectors on its pty, drives the simulated Modbus EVSE (the Zoe charges at its 16 A circuit);
# on SIGTERM it stops safely, prints its summary and the native master's figure for the seed's
# case, exits 0 and leaves no temporary directory behind. It is stopped once all that was seen,
# not after a fixed time (--duration-s only bounds a run that never gets there). Without a config
# file `ampshare run` says loudly that it runs the demo.
set -euo pipefail
: "${AMPSHARE_BIN:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" rundemo

# its own TMPDIR, so another demo running beside this test cannot change the count
mkdir "$tmp/tmpdir"
TMPDIR="$tmp/tmpdir" "$AMPSHARE_BIN" run --demo --duration-s 300 >"$tmp/out" 2>"$tmp/err" &
demo=$!
pids+=("$demo")
for id in 2019 2431; do
    wait_line "$tmp/err" "slave $id linked"
done
wait_line "$tmp/err" 'daemon: zoe: .* -> 16000 mA'
wait_line "$tmp/out" 'zoe offer 16.0 A draw 16.0 A'
kill -TERM "$demo"
rc=0
wait "$demo" || rc=$?
pids=()
[ "$rc" -eq 0 ] || { cat "$tmp/out" "$tmp/err"; fail "exit status $rc"; }
grep -qE 'native Tesla master .*the Tesla draws 3[0-9]\.[0-9]{2} A' "$tmp/out" ||
    { cat "$tmp/out"; fail "no native figure"; }
grep -q 'ampshare, this run' "$tmp/out" || { cat "$tmp/out"; fail "no ampshare figure"; }
grep -q 'stopped: every charger confirmed' "$tmp/err" || { cat "$tmp/err"; fail "unconfirmed stop"; }
[ -z "$(ls -A "$tmp/tmpdir")" ] || { ls -l "$tmp/tmpdir"; fail "the demo left its temporary directory"; }

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
