#!/usr/bin/env bash
# `ampshare sim slaves` on a pty it creates and links at a path: the same Python master opens the
# path as a serial device (raw, 9600) and checks linkreadies and replies byte for byte.
set -euo pipefail
: "${AMPSHARE_BIN:?}" "${AMPSHARE_SRC:?}"
PY=${PYTHON:-/usr/bin/python3}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" slavespty

"$AMPSHARE_BIN" sim slaves --listen "pty:$tmp/twc" --count 3 \
    --car tesla,none,bmw-i3-idle --linkready-ms 1000 2>"$tmp/err" &
pid=$!
pids+=("$pid")
wait_link "$tmp/twc" "$pid" "$tmp/err"

if ! "$PY" "$AMPSHARE_SRC/tests/integration/sim_slaves_peer.py" pty "$tmp/twc"; then
    cat "$tmp/err"
    exit 1
fi
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pids=()
[ "$rc" -eq 0 ] || { cat "$tmp/err"; echo "FAIL: exit status $rc after SIGTERM"; exit 1; }
[ ! -e "$tmp/twc" ] || { echo "FAIL: pty link left behind"; exit 1; }
echo "sim slaves pty: ok"
