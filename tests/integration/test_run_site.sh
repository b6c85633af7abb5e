#!/usr/bin/env bash
# `ampshare run` as a process on a test site, every peer a real process: two simulated Wall
# Connector slaves on a pty (`ampshare sim slaves`), a simulated Modbus EVSE with its meter and a
# grid meter on Modbus TCP loopback (port 0, read back). Checks the limits the slaves and the EVSE
# receive, then: SIGHUP with a broken config (keeps running, errors with file:line), SIGHUP with
# a changed limit (applied), the grid meter going silent (the fail-safe budget, then recovery),
# the adapter vanishing and returning, kill -9 mid-session and a restart (the session log intact,
# the open sessions closed with controller_restart), and SIGTERM (safe limits sent and
# confirmed, sessions closed with shutdown, exit 0).
set -euo pipefail
: "${AMPSHARE_BIN:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" runsite

start_slaves

"$AMPSHARE_BIN" sim evse --model heidelberg-ec --listen 127.0.0.1:0 --car-a 16 --status-ms 200 \
    >"$tmp/evse" 2>&1 &
pids+=($!)
"$AMPSHARE_BIN" sim meter --map eastron-sdm630 --listen 127.0.0.1:0 --current-a 5 \
    >"$tmp/grid" 2>&1 &
grid=$!
pids+=("$grid")
evse_port=$(sim_port "$tmp/evse")
grid_port=$(sim_port "$tmp/grid")

# write_site BAY_A [SERIAL_SUFFIX]: the site with the third-party EVSE's circuit at BAY_A amps
# (and the bus's transport text with SERIAL_SUFFIX, e.g. ",9600,8N1": the same port written
# another way, which the daemon must treat as a changed transport).
write_site() {
    cat >"$tmp/site.ini.new" <<INI
[sessions]
db = $tmp/sessions.db
[site]
name = test
supply_limit_a = 63
phases = 1
shutdown_current_a = 8
status_socket = $tmp/status.sock
[circuit garage]
limit_a = 40
[circuit bay]
limit_a = $1
[bus rs485]
transport = serial:$tmp/twc${2:-}
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
[meter grid]
transport = tcp://127.0.0.1:$grid_port
unit_id = 1
map = eastron-sdm630
measures = grid
poll_interval_ms = 500
stale_timeout_ms = 2000
stale_current_a = 40
[meter bay-meter]
transport = tcp://127.0.0.1:$evse_port
unit_id = 2
map = eastron-sdm630
measures = evse:bay
[evse bay]
meter = bay-meter
control = modbus
control_transport = tcp://127.0.0.1:$evse_port
control_map = heidelberg-ec
circuit = bay
max_current_a = $1
INI
    mv "$tmp/site.ini.new" "$tmp/site.ini"
}
write_site 16

# systemd's side of Type=notify and WatchdogSec=2: a datagram socket socat reads
have_socat=
if command -v socat >/dev/null; then
    socat -u "UNIX-RECV:$tmp/notify.sock" - >"$tmp/notify" 2>/dev/null &
    pids+=($!)
    wait_path "$tmp/notify.sock"
    have_socat=1
fi
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=2000000 \
    "$AMPSHARE_BIN" run --config "$tmp/site.ini" >"$tmp/out" 2>"$tmp/err" &
run=$!
pids+=("$run")
if [ -n "$have_socat" ]; then
    wait_line "$tmp/notify" 'READY=1'
    wait_line "$tmp/notify" 'WATCHDOG=1'
fi

# The limits the chargers receive: both slaves are offered the v2 minimum first, the EVSE its
# circuit's 16 A (the car takes 16 A).
wait_line "$tmp/slaves" 'slave 2019: linked to .*limit 6.00 A'
wait_line "$tmp/slaves" 'slave 2431: linked to .*limit 6.00 A'
wait_line "$tmp/evse" 'setpoint 16000 mA, state C, draw 16000 mA'

# The status socket answers with the daemon's snapshot (docs/status.md).
"$AMPSHARE_BIN" status --socket "$tmp/status.sock" --json >"$tmp/status.json" ||
    { cat "$tmp/err"; fail "no status from the daemon"; }
/usr/bin/python3 - "$tmp/status.json" <<'PY' || { cat "$tmp/status.json"; fail "status document"; }
import json, sys
doc = json.load(open(sys.argv[1]))
doc = doc.get("status", doc)
ch = {c["name"]: c for c in doc["chargers"]}
assert set(ch) == {"tesla", "i3", "bay"}, ch.keys()
assert ch["bay"]["kind"] == "evse" and ch["tesla"]["kind"] == "wallconnector"
assert ch["bay"]["state"] == "charging", ch["bay"]
assert {c["name"] for c in doc["circuits"]} >= {"garage", "bay"}
assert [b["name"] for b in doc["buses"]] == ["rs485"] and doc["buses"][0]["up"]
PY

# A broken file: refused with file:line, the old config keeps running.
cp "$tmp/site.ini" "$tmp/good.ini"
printf '[circuit extra]\nlimit_a = lots\n' >>"$tmp/site.ini"
kill -HUP "$run"
wait_line "$tmp/err" "reload of $tmp/site.ini refused"
grep -q "$tmp/site.ini:[0-9]*: .*limit_a" "$tmp/err" || { cat "$tmp/err"; fail "no file:line"; }
kill -0 "$run" || fail "the daemon died on a broken config"

# A changed limit: applied at the EVSE.
write_site 10
kill -HUP "$run"
wait_line "$tmp/err" "reloaded $tmp/site.ini"
[ -z "$have_socat" ] || wait_line "$tmp/notify" 'RELOADING=1'
wait_line "$tmp/evse" 'setpoint 10000 mA, state C, draw 10000 mA'
# an unchanged bus keeps its master and link across a reload
if grep -q 'closed (gone or its transport changed)' "$tmp/err"; then
    cat "$tmp/err"
    fail "a reload reopened a bus whose transport did not change"
fi

# the bus's transport changed: that bus alone is reopened, and its slaves are served again
write_site 10 ,9600,8N1
kill -HUP "$run"
wait_line "$tmp/err" '\[bus rs485\] closed (gone or its transport changed)'
wait_line "$tmp/err" "\\[bus rs485\\] on serial:$tmp/twc,9600,8N1"
n=$(grep -c 'twc: slave 2019 limit' "$tmp/err")
more_limits() { [ "$(grep -c 'twc: slave 2019 limit' "$tmp/err")" -gt "$n" ]; }
until_ok more_limits || { cat "$tmp/err"; fail "no limit for the Tesla after its bus was reopened"; }

# The grid meter goes silent: after its stale timeout the load nothing controls is taken as
# 40 A, leaving 23 A of the 63 A supply for the chargers; their targets must fit it.
sum_targets() {
    awk '/daemon: [a-z0-9-]+: [0-9]+ -> [0-9]+ mA/ {
             split($0, a, "daemon: "); split(a[2], b, ":"); n = b[1]
             match(a[2], /-> [0-9]+/); v[n] = substr(a[2], RSTART + 3, RLENGTH - 3)
         } END { s = 0; for (k in v) s += v[k]; print s }' "$tmp/err"
}
kill -STOP "$grid"
wait_line "$tmp/err" 'meter grid .*read failed'
fits_without_grid() { [ "$(sum_targets)" -le 23000 ] && grep -q 'meter stale\|limited by circuit' "$tmp/err"; }
until_ok fits_without_grid ||
    { cat "$tmp/err"; fail "targets sum to $(sum_targets) mA with the grid meter silent"; }
kill -CONT "$grid"
wait_line "$tmp/err" 'meter grid .*answers again'

# The adapter vanishes (the pty and its link go away) and returns: logged once, relinked; the
# Modbus EVSE is served all along.
kill "$slaves"
wait "$slaves" 2>/dev/null || true
wait_line "$tmp/err" 'serial:.*twc.*lost'
: >"$tmp/evse"
wait_line "$tmp/evse" 'setpoint 10000 mA'
mv "$tmp/slaves" "$tmp/slaves.before"
start_slaves
# the master still lists both slaves (it drops one only after 26 s): it heartbeats them again
wait_line "$tmp/slaves" 'slave 2019: linked to'
wait_line "$tmp/slaves" 'slave 2431: linked to'
[ "$(grep -c 'twc.*lost' "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "the loss was not logged once"; }

# (the notify socket of the first daemon is not given to the second)
# kill -9 mid-session (the EVSE's car is charging), then a restart on the same file.
wait_line "$tmp/err" 'session log '
kill -KILL "$run"
wait "$run" 2>/dev/null || true
"$AMPSHARE_BIN" sessions --db "$tmp/sessions.db" --csv >"$tmp/sessions.crash" ||
    fail "the session log cannot be read after kill -9"
grep -q '^[0-9]*,bay,' "$tmp/sessions.crash" || { cat "$tmp/sessions.crash"; fail "no bay session"; }
mv "$tmp/err" "$tmp/err.before"
"$AMPSHARE_BIN" run --config "$tmp/site.ini" >"$tmp/out" 2>"$tmp/err" &
run=$!
pids+=("$run")
wait_line "$tmp/err" 'daemon: bay: [0-9]* -> 10000 mA'
# the slaves follow the new master (a fresh ID) once they stop hearing the old one
id=$(sed -n 's/.*our master ID \([0-9a-f]*\).*/\1/p' "$tmp/err" | head -1)
# (a slave gives up on a silent master after about 10 s, well within wait_line's bound)
wait_line "$tmp/slaves" "slave 2019: linked to $id"
wait_line "$tmp/slaves" "slave 2431: linked to $id"
"$AMPSHARE_BIN" sessions --db "$tmp/sessions.db" --csv --charger bay >"$tmp/sessions.after"
grep -q 'controller_restart' "$tmp/sessions.after" ||
    { cat "$tmp/sessions.after"; fail "the session open at kill -9 was not closed as controller_restart"; }

# SIGTERM: every charger to at most [site] shutdown_current_a (8 A), confirmed, exit 0.
kill -TERM "$run"
rc=0
wait "$run" || rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/err"; fail "exit status $rc on SIGTERM"; }
grep -q 'stopped: every charger confirmed its shutdown current' "$tmp/err" ||
    { cat "$tmp/err"; fail "the stop was not confirmed"; }
grep -q 'stop: bay to 8000 mA' "$tmp/err" || { cat "$tmp/err"; fail "bay not stopped at 8 A"; }
wait_line "$tmp/evse" 'setpoint 8000 mA'
tail -n 4 "$tmp/slaves" | grep -q 'slave 2019: linked to .*limit [0-8]\.00 A' ||
    { tail "$tmp/slaves"; fail "the Tesla did not get its shutdown limit"; }
"$AMPSHARE_BIN" sessions --db "$tmp/sessions.db" --csv --charger bay >"$tmp/sessions.end"
grep -q ',shutdown' "$tmp/sessions.end" || { cat "$tmp/sessions.end"; fail "no session closed at shutdown"; }
echo "ampshare run on a simulated site: ok"
