#!/usr/bin/env bash
# `ampshare sim slaves` on a loopback TCP port: a Python master with literal bytes checks the
# linkreadies and heartbeat replies byte for byte, then SIGTERM stops the simulator cleanly.
set -euo pipefail
: "${AMPSHARE_BIN:?}" "${AMPSHARE_SRC:?}"
PY=${PYTHON:-/usr/bin/python3}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" slavestcp

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$AMPSHARE_BIN" sim slaves --listen "tcp://127.0.0.1:$port" --count 3 \
    --car tesla,none,bmw-i3-idle --linkready-ms 1000 2>"$tmp/err" &
pid=$!
pids+=("$pid")

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
