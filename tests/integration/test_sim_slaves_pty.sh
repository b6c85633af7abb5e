#!/usr/bin/env bash
# `ampshare sim slaves` on a pty it creates and links at a path: the same Python master opens the
# path as a serial device (raw, 9600) and checks linkreadies and replies byte for byte.
set -euo pipefail
: "${AMPSHARE_BIN:?}" "${AMPSHARE_SRC:?}"
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

"$AMPSHARE_BIN" sim slaves --listen "pty:$tmp/twc" --count 3 \
    --car tesla,none,bmw-i3-idle --linkready-ms 1000 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
    [ -e "$tmp/twc" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/err"; echo "FAIL: simulator exited"; exit 1; }
    sleep 0.05
done
[ -e "$tmp/twc" ] || { cat "$tmp/err"; echo "FAIL: no pty link at $tmp/twc"; exit 1; }

if ! "$PY" "$AMPSHARE_SRC/tests/integration/sim_slaves_peer.py" pty "$tmp/twc"; then
    cat "$tmp/err"
    exit 1
fi
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || { cat "$tmp/err"; echo "FAIL: exit status $rc after SIGTERM"; exit 1; }
[ ! -e "$tmp/twc" ] || { echo "FAIL: pty link left behind"; exit 1; }
echo "sim slaves pty: ok"
