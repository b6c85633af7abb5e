#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `ampshare meter read` against a Modbus server no one here wrote: pymodbus (python3-pymodbus)
# serving an SDM630-like register block over TCP on loopback and over RTU on a socat pty pair.
# Checks the values (literals from pymodbus_server.py's floats, in ampshare units), the errors
# for a wrong map and a wrong unit id, and recovery when the server disappears and comes back.
set -euo pipefail

: "${AMPSHARE_BIN:?}" "${AMPSHARE_SRC:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
command -v socat >/dev/null || { echo "skip: socat missing"; exit 77; }
"$PYTHON" -c 'import pymodbus, serial_asyncio' 2>/dev/null || { echo "skip: pymodbus missing"; exit 77; }

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" pymodbus

server="$AMPSHARE_SRC/tests/integration/pymodbus_server.py"
want_json='{"valid": true, "current_ma": [10000, -15900, 500], "voltage_dv": [2300, 2315, 2298], "power_w": [2300, -3680, 115], "power_total_w": -1265, "import_wh": 12345670}'

# Compares the JSON reading on stdin with the literal expectation above.
check_json() {
    "$PYTHON" -c '
import json, sys
got = json.loads(sys.stdin.read())
want = json.loads(sys.argv[1])
bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
if bad:
    sys.exit("reading differs (got, want): %r" % bad)
' "$want_json"
}

# A read that must be answered waits long (a Python server on a loaded machine may be slow); one
# that must go unanswered (a wrong unit, a dead RTU server) waits briefly, since its timeout
# elapses in full every time.
read_meter() { "$AMPSHARE_BIN" meter read --timeout-ms 10000 "$@"; }
read_unanswered() { "$AMPSHARE_BIN" meter read --timeout-ms 300 "$@"; }

# ---- TCP ----
start_tcp() {
    : >"$tmp/tcp.out"
    "$PYTHON" "$server" --tcp "$1" >"$tmp/tcp.out" 2>"$tmp/tcp.err" &
    tcp_pid=$!
    pids+=("$tcp_pid")
    wait_line "$tmp/tcp.out" '^ready'
    port=$(awk '/^ready/ {print $2}' "$tmp/tcp.out")
}

start_tcp 0
tcp="tcp://127.0.0.1:$port"
read_meter --transport "$tcp" --unit 1 --map sdm630 --json | check_json || fail "tcp reading"
read_meter --transport "$tcp" --unit 1 --map eastron-sdm630 >"$tmp/human" || fail "tcp human"
grep -q -- 'current        10.000 A        -15.900 A       0.500 A' "$tmp/human" || fail "human text"
grep -q -- 'import         12345.670 kWh' "$tmp/human" || fail "human energy"

if read_meter --transport "$tcp" --unit 1 --map abb-b23 2>"$tmp/err"; then fail "wrong map read"; fi
grep -q 'exception 2 (Illegal data address) reading 4 holding registers at 0x5000' "$tmp/err" \
    || fail "wrong map message: $(cat "$tmp/err")"

if read_unanswered --transport "$tcp" --unit 9 --map sdm630 2>"$tmp/err"; then fail "wrong unit read"; fi
grep -q 'no answer from unit 9' "$tmp/err" || fail "wrong unit message: $(cat "$tmp/err")"

# The server disappears ... and its port stays held (bound, not listening: connects are refused)
# so that no other test takes it before the server comes back on it. The holder binds within a
# millisecond of the server's exit; the server re-binds with SO_REUSEADDR beside it.
"$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
while True:
    try:
        s.bind(("127.0.0.1", int(sys.argv[1])))
        break
    except OSError:
        time.sleep(0.001)
print("held", flush=True)
time.sleep(600)
' "$port" >"$tmp/hold.out" 2>&1 &
hold_pid=$!
pids+=("$hold_pid")
kill "$tcp_pid"
wait "$tcp_pid" 2>/dev/null || true
wait_line "$tmp/hold.out" '^held'
if read_meter --transport "$tcp" --unit 1 --map sdm630 --json >"$tmp/json" 2>"$tmp/err"; then
    fail "read from a dead server"
fi
grep -q 'Connection refused' "$tmp/err" || fail "dead server message: $(cat "$tmp/err")"
grep -q '"valid":false' "$tmp/json" || fail "dead server json"
grep -q '"current_ma":\[null,null,null\]' "$tmp/json" || fail "values reported from a dead server"
# ... and comes back on the same port.
start_tcp "${tcp#tcp://127.0.0.1:}"
kill "$hold_pid"
wait "$hold_pid" 2>/dev/null || true
read_meter --transport "$tcp" --unit 1 --map sdm630 --json | check_json || fail "tcp after restart"

# ---- RTU on a pty pair: pymodbus on one end, ampshare on the other ----
socat pty,raw,echo=0,link="$tmp/srv" pty,raw,echo=0,link="$tmp/cli" 2>"$tmp/socat.err" &
pids+=($!)
wait_path "$tmp/srv"
wait_path "$tmp/cli"

start_rtu() {
    : >"$tmp/rtu.out"
    "$PYTHON" "$server" --rtu "$tmp/srv" >"$tmp/rtu.out" 2>"$tmp/rtu.err" &
    rtu_pid=$!
    pids+=("$rtu_pid")
    wait_line "$tmp/rtu.out" '^ready'
}

start_rtu
rtu="serial:$tmp/cli,9600,8N1"
read_meter --transport "$rtu" --unit 1 --map sdm630 --json | check_json || fail "rtu reading"
if read_unanswered --transport "$rtu" --unit 2 --map sdm630 2>"$tmp/err"; then fail "rtu wrong unit"; fi
grep -q 'no answer from unit 2' "$tmp/err" || fail "rtu wrong unit message: $(cat "$tmp/err")"
if read_meter --transport "$rtu" --unit 1 --map abb-b23 2>"$tmp/err"; then fail "rtu wrong map"; fi
grep -q 'Illegal data address' "$tmp/err" || fail "rtu wrong map message: $(cat "$tmp/err")"

kill "$rtu_pid"
wait "$rtu_pid" 2>/dev/null || true
if read_unanswered --transport "$rtu" --unit 1 --map sdm630 2>"$tmp/err"; then fail "rtu dead server"; fi
grep -q 'no answer from unit 1' "$tmp/err" || fail "rtu dead message: $(cat "$tmp/err")"
start_rtu
read_meter --transport "$rtu" --unit 1 --map sdm630 --json | check_json || fail "rtu after restart"

echo "pymodbus: tcp and rtu readings, wrong map, wrong unit, restart: ok"
