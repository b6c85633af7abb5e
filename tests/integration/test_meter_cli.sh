#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The commissioning commands' contract: --help, usage errors (exit 2) that name the fault, a
# timeout from a server that accepts and never answers (exit 1), a Modbus exception code, the
# generic map from --set, and the map list.
set -euo pipefail

: "${AMPSHARE_BIN:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" metercli

# run WANT_EXIT PATTERN ARGS...: runs ampshare, checks the exit code and that stdout+stderr
# contain PATTERN.
run() {
    local want=$1 pattern=$2 rc=0
    shift 2
    "$AMPSHARE_BIN" "$@" >"$tmp/out" 2>&1 || rc=$?
    [ "$rc" -eq "$want" ] || fail "ampshare $*: exit $rc, want $want: $(cat "$tmp/out")"
    grep -q -- "$pattern" "$tmp/out" || fail "ampshare $*: no '$pattern' in: $(cat "$tmp/out")"
}

run 0 'usage: ampshare meter read' meter --help
run 0 'usage: ampshare meter read' meter read --help
run 0 'usage: ampshare sim meter' sim meter --help
run 2 'usage: ampshare meter' meter
run 2 'unknown action' meter write
run 2 '--transport, --unit and --map are required' meter read --map sdm630
run 2 "unknown map 'sdm999'; 'ampshare meter maps' lists them" \
    meter read --transport tcp://127.0.0.1:1502 --unit 1 --map sdm999
run 2 "address 'tcp://127.0.0.1': expected tcp://host:port" \
    meter read --transport tcp://127.0.0.1 --unit 1 --map sdm630
run 2 "a serial line has unit ids 1-247" \
    meter read --transport serial:/dev/null,9600,8N1 --unit 0 --map sdm630
run 2 "is not a unit id 0-255" meter read --transport tcp://127.0.0.1:1 --unit 300 --map sdm630
run 2 "current_regs: 'x' is not a list" \
    meter read --transport tcp://127.0.0.1:1 --unit 1 --map generic --set current_regs=x
run 2 "set current_regs" meter read --transport tcp://127.0.0.1:1 --unit 1 --map generic
run 2 "unknown map 'nope'" sim meter --map nope --listen 127.0.0.1:0
run 2 "--current-a: bad value 'ten'" sim meter --map sdm630 --listen 127.0.0.1:0 --current-a ten
run 1 "cannot reach serial:$tmp/none,9600,8N1: No such file or directory" \
    meter read --transport "serial:$tmp/none" --unit 1 --map sdm630

run 0 'eastron-sdm72d-m-v2' meter maps
for name in eastron-sdm630 eastron-sdm120 eastron-sdm72d-m abb-b23 carlo-gavazzi-em24 \
    carlo-gavazzi-em340 heidelberg-ec phoenix-ev-eth phoenix-ev-ser 'abb-b24 .*-> abb-b23' \
    'carlo-gavazzi-et340 .*-> carlo-gavazzi-em340'; do
    grep -q -- "$name" "$tmp/out" || fail "meter maps lacks $name"
done

# A server that accepts and never answers: the read times out, clearly, with no values.
"$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
print("ready", s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
' >"$tmp/mute.out" &
pids+=($!)
wait_line "$tmp/mute.out" '^ready'
mute=$(awk '/^ready/ {print $2}' "$tmp/mute.out")
run 1 "no answer from unit 1 on tcp://127.0.0.1:$mute within 200 ms: check the unit id and" \
    meter read --transport "tcp://127.0.0.1:$mute" --unit 1 --map sdm630 --timeout-ms 200
"$AMPSHARE_BIN" meter read --transport "tcp://127.0.0.1:$mute" --unit 1 --map sdm630 \
    --timeout-ms 200 --json >"$tmp/json" 2>/dev/null && fail "json read of a mute server"
grep -q '"valid":false,"current_ma":\[null,null,null\]' "$tmp/json" || fail "json: $(cat "$tmp/json")"
grep -q "\"code\":-110," "$tmp/json" || fail "json code: $(cat "$tmp/json")"

# The simulator serves the generic map built from the same keys the reader takes.
keys=(--set current_regs=0x10,0x12,0x14 --set type=int32 --set word_order=low-first
      --set current_scale=-2 --set fc=3 --set max_unused_registers=4)
"$AMPSHARE_BIN" sim meter --map generic "${keys[@]}" --listen 127.0.0.1:0 --current-a 1.25,-2,32 \
    >"$tmp/sim.out" 2>&1 &
pids+=($!)
wait_line "$tmp/sim.out" '^listening on'
addr=$(sed -n 's/.*clients use //p' "$tmp/sim.out")
run 0 'current        1.250 A         -2.000 A        32.000 A' \
    meter read --transport "$addr" --unit 1 --map generic "${keys[@]}"
# A map that reads input registers from a device with holding registers: exception 2.
run 1 "unit 1 answered with Modbus exception 2 (Illegal data address) reading 6 input registers" \
    meter read --transport "$addr" --unit 1 --map generic --set current_regs=0x10,0x12,0x14 \
    --set type=int32 --set max_unused_registers=4
echo "meter cli: ok"
