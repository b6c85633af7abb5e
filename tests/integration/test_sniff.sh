#!/usr/bin/env bash
# ampshare sniff on a real pty pair (socat): the public vectors' wire bytes go into one end, sniff
# listens on the other with --capture. Every frame must be printed (39, as `ampshare decode`
# prints the vectors file), the capture must hold exactly the vectors' wire bytes, and both
# `ampshare decode` and `ampshare sniff` must read the capture back to the same frames and times.
# Nothing may come back out of the bus: sniff never transmits.
set -euo pipefail
: "${AMPSHARE_BIN:?}" "${AMPSHARE_VECTORS:?}"
PY=${PYTHON:-/usr/bin/python3}
command -v socat >/dev/null || { echo "socat missing"; exit 77; }
vec="$AMPSHARE_VECTORS/twc-frames-public.tsv"
# Each wait below looks every 50 ms, at most this often (a minute or more): generous, as it only
# ends a failing run, and a loaded machine must not fail the test.
looks=1200
tmp=$(mktemp -d)
socat_pid=
sniff_pid=
cleanup() {
    [ -n "$sniff_pid" ] && kill "$sniff_pid" 2>/dev/null || true
    [ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in "$tmp"/err "$tmp"/out; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
    exit 1
}

socat pty,raw,echo=0,link="$tmp/feed" pty,raw,echo=0,link="$tmp/bus" 2>"$tmp/socat.err" &
socat_pid=$!
for _ in $(seq "$looks"); do
    [ -e "$tmp/feed" ] && [ -e "$tmp/bus" ] && break
    sleep 0.05
done
[ -e "$tmp/bus" ] || fail "socat made no pty pair"

"$AMPSHARE_BIN" sniff "serial:$tmp/bus" --capture "$tmp/cap" --count 39 >"$tmp/out" 2>"$tmp/err" &
sniff_pid=$!
for _ in $(seq "$looks"); do
    grep -q "opened" "$tmp/err" && break
    kill -0 "$sniff_pid" 2>/dev/null || fail "sniff exited early"
    sleep 0.05
done
grep -q "opened" "$tmp/err" || fail "sniff did not open the pty"

# Feed every row's hex_on_wire, one write per row; then check nothing comes back.
"$PY" - "$tmp/feed" "$vec" <<'PYEOF' || fail "feeding the pty"
import os, select, sys, time, tty
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
rows = [l.split("\t")[0] for l in open(sys.argv[2]).read().splitlines()[1:] if l.strip()]
for hexline in rows:
    os.write(fd, bytes.fromhex(hexline))
    time.sleep(0.005)
r, _, _ = select.select([fd], [], [], 0.5)
if r:
    print("sniff transmitted: " + os.read(fd, 256).hex(" "))
    sys.exit(1)
PYEOF

for _ in $(seq "$looks"); do
    kill -0 "$sniff_pid" 2>/dev/null || break
    sleep 0.05
done
kill -0 "$sniff_pid" 2>/dev/null && fail "sniff did not stop after 39 frames"
wait "$sniff_pid" || fail "sniff exit status $?"
sniff_pid=

# 1. Every frame printed: 39 frame lines, the same text as `ampshare decode` of the vectors.
n=$(grep -c ' t=[0-9]*: ' "$tmp/out" || true)
[ "$n" -eq 39 ] || fail "sniff printed $n frames, want 39"
grep -qx '[0-9]* t=[0-9]*: slave_heartbeat v2 2019->7777 state=08(starting) limit=6.00A actual=5.28A checksum ok' \
    "$tmp/out" || fail "the 2019 heartbeat (vectors row 8) is missing or wrong"
grep -qx '[0-9]* t=[0-9]*: slave_linkready v2 4085 sign=1d max=32.00A checksum ok' "$tmp/out" ||
    fail "the 4085 linkready is missing or wrong"
[ "$(grep -c 'checksum BAD' "$tmp/out")" -eq 3 ] || fail "want 3 bad-checksum frames"
sed 's/^[^:]*: //' "$tmp/out" >"$tmp/sniff.txt"
"$AMPSHARE_BIN" decode "$vec" 2>/dev/null | sed 's/^[^:]*: //' >"$tmp/vec.txt"
diff "$tmp/vec.txt" "$tmp/sniff.txt" >/dev/null || fail "sniff frames differ from decode of the vectors"

# 2. The capture holds exactly the wire bytes of the vectors, trailers included.
grep -v '^#' "$tmp/cap" | cut -f2 >"$tmp/cap.wire"
tail -n +2 "$vec" | cut -f1 >"$tmp/vec.wire"
diff "$tmp/vec.wire" "$tmp/cap.wire" >/dev/null || fail "capture wire bytes differ from the vectors"

# 3. decode and sniff read the capture back to the same frames at the same times.
sed 's/^[0-9]* //' "$tmp/out" >"$tmp/sniff.t"
"$AMPSHARE_BIN" decode "$tmp/cap" 2>/dev/null | sed 's/^[0-9]* L[0-9]* //' >"$tmp/decode.t"
diff "$tmp/sniff.t" "$tmp/decode.t" >/dev/null || fail "decode of the capture differs"
"$AMPSHARE_BIN" sniff "$tmp/cap" 2>/dev/null | sed 's/^[0-9]* L[0-9]* //' >"$tmp/replay.t"
diff "$tmp/sniff.t" "$tmp/replay.t" >/dev/null || fail "sniff replay of the capture differs"

# 4. JSON Lines and the summary on replay.
"$AMPSHARE_BIN" sniff "$tmp/cap" --json --summary 2>/dev/null >"$tmp/json"
grep -q '"kind":"slave_heartbeat","code":"fde0","src":"2019","dst":"7777","proto":2,"checksum_ok":true' \
    "$tmp/json" || fail "JSON heartbeat keys"
grep -q '"state":8,"state_name":"starting","limit_a":6.00,"actual_a":5.28' "$tmp/json" ||
    fail "JSON heartbeat fields"
tail -1 "$tmp/json" | grep -q '{"id":"2019","role":"slave","proto":2,"state":8,"state_name":"starting","limit_a":6.00,"actual_a":5.28' ||
    fail "final JSON summary for 2019"

# 5. A capture that cannot be written (a full disk) is reported and fails the run; the frames
# are still printed.
rc=0
"$AMPSHARE_BIN" sniff "$tmp/cap" --capture /dev/full >"$tmp/full.out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "capture to a full disk: exit $rc, want 1"
grep -q -- '--capture /dev/full: No space left on device' "$tmp/err" ||
    fail "capture to a full disk: no error naming the file"
[ "$(grep -c ' t=[0-9]*: ' "$tmp/full.out")" -eq 39 ] || fail "frames not printed after the capture failed"
echo "sniff: ok"
