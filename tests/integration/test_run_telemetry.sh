#!/usr/bin/env bash
# `ampshare run` with [http] and [mqtt]: two simulated Wall Connector slaves on a pty, a real
# mosquitto broker on a Unix socket, the HTTP server on port 0 (read back from the log). The
# daemon's own /api/status, /metrics (promtool) and page; its retained MQTT states and Home
# Assistant discovery; an MQTT command that lowers the Tesla's maximum reaching the slave's
# limit, a refused one with its reason on the reply topic, a pause, a policy switch.
set -euo pipefail
: "${AMPSHARE_BIN:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" runtelemetry
for tool in mosquitto mosquitto_sub mosquitto_pub curl; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

printf 'listener 0 %s/broker.sock\nallow_anonymous true\npersistence false\n%s' "$tmp" \
    "$([ "$(id -u)" = 0 ] && echo 'user root')" >"$tmp/mosquitto.conf"
mosquitto -c "$tmp/mosquitto.conf" >"$tmp/broker.log" 2>&1 &
pids+=($!)
wait_path "$tmp/broker.sock"

start_slaves

echo "s3cret-token-for-the-test" >"$tmp/token"
cat >"$tmp/site.ini" <<INI
[sessions]
db = $tmp/sessions.db
[site]
name = office
supply_limit_a = 40
phases = 1
status_socket = $tmp/status.sock
[bus rs485]
transport = serial:$tmp/twc
[wallconnector tesla]
bus = rs485
address = 2019
circuit = supply
max_current_a = 40
[wallconnector i3]
bus = rs485
address = auto
circuit = supply
max_current_a = 40
[http]
listen = 127.0.0.1:0
history_interval_ms = 500
token_file = $tmp/token
[mqtt]
url = unix:$tmp/broker.sock
prefix = ampshare/office
interval_s = 2
INI
"$AMPSHARE_BIN" run --config "$tmp/site.ini" >"$tmp/out" 2>"$tmp/err" &
run=$!
pids+=("$run")
wait_line "$tmp/err" 'http on 127.0.0.1:[0-9]'
port=$(sed -n 's/.*http on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/err" | head -1)
wait_line "$tmp/err" 'mqtt: connected'
wait_line "$tmp/slaves" 'slave 2019: linked to'

# HTTP: the daemon's own status and metrics.
curl -sS --max-time 10 "http://127.0.0.1:$port/api/status" >"$tmp/status.json"
/usr/bin/python3 - "$tmp/status.json" <<'PY' || { cat "$tmp/status.json"; fail "/api/status"; }
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["site"] == "office", doc["site"]
assert {c["name"] for c in doc["chargers"]} == {"tesla", "i3"}
PY
curl -sS --max-time 10 "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
grep -q '^ampshare_evse_offer_amperes{charger="tesla"} ' "$tmp/metrics" || fail "/metrics"
promtool=/var/cache/ampshare-tests/promtool
if [ -x "$promtool" ]; then
    "$promtool" check metrics <"$tmp/metrics" || fail "promtool check metrics"
fi
grep -q '^ampshare_errors_total{kind="policy"} 0$' "$tmp/metrics" || fail "errors by kind"
grep -q '^ampshare_evse_energy_joules_total{charger="tesla"} [0-9]' "$tmp/metrics" || fail "energy counter"
# the Tesla's session row appears once its car is seen connected
tesla_row() {
    curl -sS --max-time 10 "http://127.0.0.1:$port/api/sessions?charger=tesla" >"$tmp/sessions.json" &&
        grep -q '"charger": "tesla"' "$tmp/sessions.json"
}
until_ok tesla_row || true # the check below says what is wrong
/usr/bin/python3 - "$tmp/sessions.json" <<'PY' || { cat "$tmp/sessions.json"; fail "/api/sessions"; }
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows and all(r["charger"] == "tesla" for r in rows), rows
assert rows[-1]["end"] is None and rows[-1]["end_reason"] is None, rows[-1]
PY
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/sessions?since=yesterday")
[ "$code" = 400 ] || fail "a bad since must be 400, not $code"
curl -sS --max-time 10 "http://127.0.0.1:$port/" >"$tmp/page.html"
grep -q '<title>ampshare</title>' "$tmp/page.html" || fail "page"

# MQTT: retained states and discovery of the daemon's own site, read again until all are there
# (the daemon publishes them once it has connected and taken its first snapshot).
retained() {
    mosquitto_sub --unix "$tmp/broker.sock" -t 'ampshare/#' -t 'homeassistant/#' -v \
        --retained-only -W 2 >"$tmp/retained" 2>/dev/null || true
    grep -q '^ampshare/office/status online$' "$tmp/retained" &&
        grep -q '^ampshare/office/charger/tesla/state {' "$tmp/retained" &&
        grep -q '^homeassistant/number/ampshare_office_tesla_max_current/config {' "$tmp/retained"
}
until_ok retained || true # the checks below say which is missing
grep -q '^ampshare/office/status online$' "$tmp/retained" || { cat "$tmp/retained"; fail "status"; }
grep -q '^ampshare/office/charger/tesla/state {' "$tmp/retained" || fail "tesla state"
grep -q '^homeassistant/number/ampshare_office_tesla_max_current/config {' "$tmp/retained" ||
    fail "discovery of the max current number"

# ask TOPIC PAYLOAD: publishes a command and prints the daemon's reply. The subscriber also takes
# the retained status: once that has come, its subscription to the reply topic is in place too
# (one SUBSCRIBE for both), so the reply cannot be published before anyone listens.
ask() {
    : >"$tmp/reply"
    mosquitto_sub --unix "$tmp/broker.sock" -t ampshare/office/status -t ampshare/office/reply -v \
        -W "$wait_s" >"$tmp/reply" 2>/dev/null &
    local sub=$!
    pids+=("$sub")
    wait_line "$tmp/reply" '^ampshare/office/status '
    mosquitto_pub --unix "$tmp/broker.sock" -t "$1" -m "$2" -q 1
    wait_line "$tmp/reply" '^ampshare/office/reply '
    kill "$sub" 2>/dev/null || true
    wait "$sub" 2>/dev/null || true
    sed -n 's|^ampshare/office/reply ||p' "$tmp/reply"
}
# A lower maximum reaches the Tesla's Wall Connector as its limit.
ask ampshare/office/charger/tesla/max_current/set 10 >"$tmp/r1"
grep -q '"ok":true' "$tmp/r1" || { cat "$tmp/r1"; fail "max_current 10"; }
wait_line "$tmp/slaves" 'slave 2019: linked to .*limit 10.00 A'
"$AMPSHARE_BIN" status --socket "$tmp/status.sock" --json >"$tmp/status2.json"
/usr/bin/python3 - "$tmp/status2.json" <<'PY' || { cat "$tmp/status2.json"; fail "command in status"; }
import json, sys
doc = json.load(open(sys.argv[1]))
t = next(c for c in doc["chargers"] if c["name"] == "tesla")
assert t["command_max_a"] == 10 and t["target_a"] <= 10, t
PY
# Out of range: refused with a reason; the limit stays.
ask ampshare/office/charger/tesla/max_current/set 55 >"$tmp/r2"
grep -q '"ok":false.*not within' "$tmp/r2" || { cat "$tmp/r2"; fail "max_current 55 must be refused"; }
# Pause: offered 0.
ask ampshare/office/charger/tesla/enabled/set OFF >"$tmp/r3"
grep -q '"ok":true' "$tmp/r3" || { cat "$tmp/r3"; fail "pause"; }
wait_line "$tmp/slaves" 'slave 2019: linked to .*limit 0.00 A'
# Switch the policy, then one that does not exist.
ask ampshare/office/site/policy/set equal_share >"$tmp/r4"
grep -q '"ok":true' "$tmp/r4" || { cat "$tmp/r4"; fail "policy switch"; }
ask ampshare/office/site/policy/set nonsense >"$tmp/r5"
grep -q '"ok":false.*no policy' "$tmp/r5" || { cat "$tmp/r5"; fail "unknown policy must be refused"; }
"$AMPSHARE_BIN" status --socket "$tmp/status.sock" --json >"$tmp/status3.json"
grep -q '"policy": "equal_share"' "$tmp/status3.json" || fail "status shows the switched policy"

# HTTP write calls: the same commands, only with the token.
post() { curl -s -o "$tmp/post.json" -w '%{http_code}' -X POST --data-binary "$2" "${@:3}" \
    "http://127.0.0.1:$port$1"; }
[ "$(post /api/charger/tesla/enabled ON)" = 401 ] || fail "a write call without the token"
[ "$(post /api/charger/tesla/enabled ON -H 'Authorization: Bearer wrong-token-0000000')" = 401 ] ||
    fail "a write call with a wrong token"
auth=(-H 'Authorization: Bearer s3cret-token-for-the-test')
[ "$(post /api/charger/tesla/enabled ON "${auth[@]}")" = 200 ] || { cat "$tmp/post.json"; fail "resume"; }
[ "$(post /api/charger/tesla/max_current 12 "${auth[@]}")" = 200 ] || fail "max 12 over HTTP"
"$AMPSHARE_BIN" status --socket "$tmp/status.sock" --json >"$tmp/status4.json"
/usr/bin/python3 - "$tmp/status4.json" <<'PY' || { cat "$tmp/status4.json"; fail "HTTP commands in status"; }
import json, sys
doc = json.load(open(sys.argv[1]))
t = next(c for c in doc["chargers"] if c["name"] == "tesla")
assert t["paused"] is False and t["command_max_a"] == 12 and t["target_a"] <= 12, t
PY
[ "$(post /api/charger/tesla/max_current 99 "${auth[@]}")" = 409 ] || fail "max 99 must be refused"
grep -q 'not within' "$tmp/post.json" || fail "refusal reason"
[ "$(post /api/charger/tesla/max_current abc "${auth[@]}")" = 400 ] || fail "malformed"
[ "$(post /api/nothing x "${auth[@]}")" = 404 ] || fail "unknown write path"

kill -TERM "$run"
wait "$run" || fail "ampshare run did not exit 0"
echo "run telemetry: ok"
