#!/usr/bin/env bash
# `ampshare sim slaves` on a loopback TCP port: a Python master with literal bytes checks the
# linkreadies and heartbeat replies byte for byte, then SIGTERM stops the simulator cleanly.
set -euo pipefail
: "${AMPSHARE_BIN:?}" "${AMPSHARE_SRC:?}"
PY=${PYTHON:-/usr/bin/python3}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" slavestcp

# Port 0: the simulator binds a free port and prints it, so parallel runs never race for one
# (a port picked by bind-and-release may be taken by someone else before it is bound again).
"$AMPSHARE_BIN" sim slaves --listen "tcp://127.0.0.1:0" --count 3 \
    --car tesla,none,bmw-i3-idle --linkready-ms 1000 2>"$tmp/err" &
pid=$!
pids+=("$pid")
wait_line "$tmp/err" 'listening on port [0-9]'
port=$(sed -n 's/.*listening on port \([0-9]*\)$/\1/p' "$tmp/err")
[ -n "$port" ] && [ "$port" -gt 0 ] || { cat "$tmp/err"; echo "FAIL: no bound port"; exit 1; }

if ! "$PY" "$AMPSHARE_SRC/tests/integration/sim_slaves_peer.py" tcp 127.0.0.1 "$port"; then
    cat "$tmp/err"
    exit 1
fi
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pids=()
grep -q "stopped" "$tmp/err" || { cat "$tmp/err"; echo "FAIL: no clean stop"; exit 1; }
[ "$rc" -eq 0 ] || { echo "FAIL: exit status $rc after SIGTERM"; exit 1; }
grep -q "slave 2019: linked to 7777" "$tmp/err" || { cat "$tmp/err"; echo "FAIL: no link line"; exit 1; }
echo "sim slaves tcp: ok"
