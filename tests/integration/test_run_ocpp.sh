#!/usr/bin/env bash
# A mixed site under `ampshare run`, every peer a real process: two simulated Wall Connector
# slaves on a pty, a simulated Modbus EVSE (Modbus TCP) and a simulated OCPP 1.6J charger
# (`ampshare sim ocpp`, HTTP Basic) on one 40 A circuit. Checks the OCPP charger is offered a
# profile by the engine, that the offers in force never add up to more than the circuit, that a
# wrong password is refused, and that SIGTERM sends the shutdown current and exits 0 with every
# charger (the OCPP one too) confirming it: the OCPP one as its TxDefaultProfile, then its
# TxProfile cleared.
set -euo pipefail
: "${AMPSHARE_BIN:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" runocpp

start_slaves
"$AMPSHARE_BIN" sim evse --model heidelberg-ec --listen 127.0.0.1:0 --car-a 16 --status-ms 200 \
    >"$tmp/evse" 2>&1 &
pids+=($!)
evse_port=$(sim_port "$tmp/evse")

ocpp_site mixed 40 1 CP7 s3cret
cat >>"$tmp/site.ini" <<INI
[bus rs485]
transport = serial:$tmp/twc
[wallconnector tesla]
bus = rs485
address = 2019
circuit = garage
max_current_a = 40
[wallconnector i3]
bus = rs485
address = auto
circuit = garage
max_current_a = 40
[evse bay]
control = modbus
control_transport = tcp://127.0.0.1:$evse_port
control_map = heidelberg-ec
circuit = garage
max_current_a = 16
[evse abb]
control = ocpp
ocpp_id = CP7
circuit = garage
max_current_a = 32
INI
start_run_ocpp "$tmp/err"

"$AMPSHARE_BIN" sim ocpp --id CP7 --url "ws://127.0.0.1:$port/ocpp" --password wrong \
    >"$tmp/bad" 2>&1 &
bad=$!
pids+=("$bad")
"$AMPSHARE_BIN" sim ocpp --id CP7 --url "ws://127.0.0.1:$port/ocpp" --password s3cret \
    --phases 1 --car-a 16 >"$tmp/ocpp" 2>&1 &
ocpp=$!
pids+=("$ocpp")
wait_line "$tmp/err" 'refused CP7 from 127.0.0.1: wrong credentials'
kill "$bad"
wait_line "$tmp/ocpp" 'transaction'
wait_line "$tmp/ocpp" 'profile [1-9][0-9]*\.[0-9] A (TxProfile)'

# Steady state: the OCPP charger charging at the engine's target, the circuit never over-offered (offers in force and
# targets, each within 40 A), the OCPP charger at the engine's target.
steady() {
    "$AMPSHARE_BIN" status --socket "$tmp/status.sock" --json >"$tmp/status.json" 2>/dev/null ||
        true
    /usr/bin/python3 - "$tmp/status.json" <<'PY' 2>"$tmp/why"
import json, sys
doc = json.load(open(sys.argv[1]))
doc = doc.get("status", doc)
ch = {c["name"]: c for c in doc["chargers"]}
assert set(ch) == {"tesla", "i3", "bay", "abb"}, ch.keys()
offers = sum((c.get("offer_a") or 0) for c in ch.values())
targets = sum((c.get("target_a") or 0) for c in ch.values())
assert offers <= 40.0 + 1e-6 and targets <= 40.0 + 1e-6, (offers, targets)
assert ch["abb"]["state"] == "charging", ch["abb"]
assert ch["abb"]["target_a"] >= 6 and abs(ch["abb"]["offer_a"] - ch["abb"]["target_a"]) < 0.1, ch["abb"]
assert ch["tesla"]["target_a"] > 0, ch
PY
}
until_ok steady || true # $tmp/why says what is wrong
[ -s "$tmp/why" ] && { cat "$tmp/status.json" "$tmp/why"; fail "steady state"; }

# SIGTERM: the shutdown current to everyone, confirmed by the OCPP charger too, exit 0.
kill -TERM "$run"
rc=0
wait "$run" || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/err"; fail "ampshare run exited $rc"; }
grep -q 'every charger confirmed its shutdown current' "$tmp/err" ||
    { cat "$tmp/err"; fail "the shutdown current was not confirmed by every charger"; }
grep -q 'profile 6\.0 A' "$tmp/ocpp" || { cat "$tmp/ocpp"; fail "the OCPP charger never got 6 A"; }
# the shutdown current as the default that stays, then our TxProfile cleared (after it)
safe=$(grep -n 'profile 6\.0 A (TxDefaultProfile)' "$tmp/ocpp" | tail -1 | cut -d: -f1)
clear=$(grep -n 'cleared TxProfile' "$tmp/ocpp" | tail -1 | cut -d: -f1)
[ -n "$safe" ] && [ -n "$clear" ] && [ "$safe" -lt "$clear" ] ||
    { cat "$tmp/ocpp"; fail "no 6 A TxDefaultProfile before the TxProfile was cleared"; }
! grep -q 'cleared.*TxDefaultProfile' "$tmp/ocpp" ||
    { cat "$tmp/ocpp"; fail "the safe TxDefaultProfile was cleared"; }
echo "PASS"
