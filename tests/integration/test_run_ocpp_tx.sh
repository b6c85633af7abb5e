#!/usr/bin/env bash
# OCPP transactions in the session log and the OCPP shutdown, under `ampshare run`, against a
# charge point no one here wrote (ocpp_peer.js on ocpp-rpc in strict mode: every message
# ampshare sends is validated against the OCPP 1.6 schemas):
#  - a transaction the charger starts and stops (EVDisconnected) is a row of `ampshare sessions`
#    with its id tag, transaction id, meterStop - meterStart as its energy (source meter), the
#    peak current of its meter values and end reason unplugged;
#  - a transaction open when the daemon is killed (-9) is closed as controller_restart when it
#    starts again;
#  - on SIGTERM the charger gets the shutdown current as a TxDefaultProfile, then a
#    ClearChargingProfile of our TxProfile (after the default, never of the default), the open
#    transaction's row ends as shutdown, and the daemon exits 0 with every charger confirmed.
# Skipped (77) without node or ocpp-rpc (tests/deps.sh installs them).
set -euo pipefail
: "${AMPSHARE_BIN:?}"
npm_dir=/var/cache/ampshare-tests/npm/node_modules
if ! command -v node >/dev/null || [ ! -d "$npm_dir/ocpp-rpc" ]; then
    echo "skip: node or ocpp-rpc missing (tests/deps.sh installs them)"
    exit 77
fi
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" runocpptx
peer_js="$(dirname "${BASH_SOURCE[0]}")/ocpp_peer.js"

ocpp_site ocpptx 32 3 CP1 s3cret-tx
cat >>"$tmp/site.ini" <<INI
[evse abb]
control = ocpp
ocpp_id = CP1
circuit = garage
phases = 3
max_current_a = 32
INI

# peer SCENARIO OUT: the charge point in the background, sets $peer
peer() {
    NODE_PATH="$npm_dir" node "$peer_js" "ws://127.0.0.1:$port/ocpp" s3cret-tx "$1" 6 \
        >"$2" 2>&1 &
    peer=$!
    pids+=("$peer")
}

sessions_json() {
    "$AMPSHARE_BIN" sessions --db "$tmp/sessions.db" --json >"$tmp/sessions.json"
}

# 1. one transaction stopped by the car, a second one open when the daemon is killed
start_run_ocpp "$tmp/err1"
peer sessions "$tmp/peer1"
wait_line "$tmp/peer1" '"open"'
open_row() { sessions_json 2>/dev/null && grep -q '"TAG-B"' "$tmp/sessions.json"; }
until_ok open_row || true # the check below shows the rows
grep -q '"TAG-B"' "$tmp/sessions.json" || { cat "$tmp/sessions.json"; fail "no open row"; }
kill -9 "$run"
wait "$run" 2>/dev/null || true
rc=0
wait "$peer" || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/peer1"; fail "ocpp_peer.js sessions exited $rc"; }
closed=$(sed -n 's/.*"closed":\([0-9]*\).*"energy_wh":\([0-9]*\).*/\1 \2/p' "$tmp/peer1")
open=$(sed -n 's/.*"open":\([0-9]*\).*/\1/p' "$tmp/peer1")
[ -n "$closed" ] && [ -n "$open" ] || { cat "$tmp/peer1"; fail "peer did not report its ids"; }
read -r tx_a wh_a <<<"$closed"

# 2. restarted: the open one is closed as controller_restart
start_run_ocpp "$tmp/err2"
sessions_json
"$AMPSHARE_BIN" sessions --db "$tmp/sessions.db" --csv >"$tmp/sessions.csv"
cat >"$tmp/expect.json" <<JSON
[{"charger": "abb", "id_tag": "TAG-A", "transaction_id": $tx_a, "energy_wh": $wh_a,
  "energy_source": "meter", "end_reason": "unplugged", "peak_ma": 16000},
 {"charger": "abb", "id_tag": "TAG-B", "transaction_id": $open,
  "energy_source": "meter", "end_reason": "controller_restart"}]
JSON
/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/sessions_check.py" "$tmp/sessions.json" \
    "$tmp/sessions.csv" "$tmp/expect.json" ||
    { cat "$tmp/sessions.json" "$tmp/peer1"; fail "the session log after the restart"; }

# 3. SIGTERM with a transaction charging: the safe default, then our TxProfile cleared
peer shutdown "$tmp/peer3"
wait_line "$tmp/peer3" '"ready"'
kill -TERM "$run"
rc=0
wait "$run" || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/err2"; fail "ampshare run exited $rc"; }
rc=0
wait "$peer" || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/peer3" "$tmp/err2"; fail "ocpp_peer.js shutdown exited $rc"; }
grep -q 'every charger confirmed its shutdown current' "$tmp/err2" ||
    { cat "$tmp/err2"; fail "the shutdown current was not confirmed"; }
sessions_json
/usr/bin/python3 - "$tmp/sessions.json" <<'PY' || { cat "$tmp/sessions.json"; fail "shutdown row"; }
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 3, rows
assert rows[2]["id_tag"] == "TAG-C" and rows[2]["end_reason"] == "shutdown", rows[2]
PY
echo "PASS"
