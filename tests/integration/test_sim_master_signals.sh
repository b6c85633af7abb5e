#!/usr/bin/env bash
# SIGTERM and SIGINT reach `ampshare sim master` and `ampshare sim slaves` through the event
# loop's signalfd (controller/loop.h): the master sends every slave a zero limit, waits for the
# echo, and exits 0; the slaves stop cleanly with exit 0. No wall-clock assertions: every wait
# is bounded and only what happened is checked. One bus per signal (slaves stay loyal to a
# master for a while after it went quiet).
set -euo pipefail
: "${AMPSHARE_BIN:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" mastersig

for sig in TERM INT; do
    other=$([ "$sig" = TERM ] && echo INT || echo TERM)
    "$AMPSHARE_BIN" sim slaves --listen "pty:$tmp/twc.$sig" --count 2 --linkready-ms 1000 \
        2>"$tmp/slaves.$sig" &
    spid=$!
    pids+=("$spid")
    wait_link "$tmp/twc.$sig" "$spid" "$tmp/slaves.$sig"
    "$AMPSHARE_BIN" sim master --bus "serial:$tmp/twc.$sig" --limit-a 10 --status-ms 0 \
        --for-s 60 >"$tmp/out.$sig" 2>"$tmp/err.$sig" &
    mpid=$!
    pids+=("$mpid")
    for id in 2019 2431; do
        wait_line "$tmp/slaves.$sig" "slave $id: linked to .*limit 10.00 A"
    done
    lines_before=$(wc -l <"$tmp/slaves.$sig")
    kill -"$sig" "$mpid"
    rc=0
    wait "$mpid" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$tmp/err.$sig"; fail "master exit status $rc after SIG$sig"; }
    grep -q "ampshare sim master: stopped" "$tmp/err.$sig" || fail "no clean stop after SIG$sig"
    # both slaves heard the zero limit before the master went away
    tail -n +"$((lines_before + 1))" "$tmp/slaves.$sig" >"$tmp/after.$sig"
    for id in 2019 2431; do
        grep -q "slave $id: linked to .*limit 0.00 A" "$tmp/after.$sig" ||
            { cat "$tmp/err.$sig" "$tmp/after.$sig"; fail "$id never saw the zero limit (SIG$sig)"; }
    done
    kill -"$other" "$spid"
    rc=0
    wait "$spid" || rc=$?
    [ "$rc" -eq 0 ] || fail "slaves exit status $rc after SIG$other"
    grep -q "ampshare sim slaves: stopped" "$tmp/slaves.$sig" || fail "slaves did not stop"
    pids=()
done
echo "sim master and slaves stop safely on signals: ok"
