#!/usr/bin/env bash
# `--realtime` (issue 14): `ampshare sim seed` prints each row when its virtual time comes, and
# `ampshare sim SCENARIO.ini` (wire and fast mode) keeps to the wall clock; Ctrl-C (SIGINT) or
# SIGTERM stops either at once and cleanly: exit status 128 + the signal, a message naming where
# it stopped, no result printed as if the run had finished, the CSV closed with the ticks run.
# No wall-clock assertions: every wait is bounded and only what happened is checked (a 30-minute
# scenario cannot finish in real time within the test).
set -euo pipefail
: "${AMPSHARE_BIN:?}"
: "${AMPSHARE_SRC:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" realtime

# the seed: rows come one a second; stop it after the first
"$AMPSHARE_BIN" sim seed --realtime --master ampshare --duration-s 600 --sample-s 1 \
    >"$tmp/seed.out" 2>"$tmp/seed.err" &
pid=$!
pids+=("$pid")
wait_line "$tmp/seed.out" '^     1s  '
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
pids=()
[ "$rc" -eq 130 ] || { cat "$tmp/seed.err"; fail "sim seed --realtime: exit $rc after SIGINT, want 130"; }
grep -q '^ampshare sim seed: stopped at [0-9.]* s (interrupted)$' "$tmp/seed.err" ||
    { cat "$tmp/seed.err"; fail "sim seed --realtime: no clean stop message"; }
grep -q '^result' "$tmp/seed.out" && fail "sim seed --realtime printed a result after SIGINT"

# a scenario in each mode, stopped by each signal
scen="$AMPSHARE_SRC/etc/scenarios/i3-idle.ini"
for mode in wire fast; do
    for sig in INT TERM; do
        flag=$([ "$mode" = fast ] && echo --fast || true)
        # shellcheck disable=SC2086
        "$AMPSHARE_BIN" sim "$scen" $flag --realtime --csv "$tmp/$mode.$sig.csv" \
            >"$tmp/$mode.$sig.out" 2>"$tmp/$mode.$sig.err" &
        pid=$!
        pids+=("$pid")
        wait_path "$tmp/$mode.$sig.csv"
        sleep 1.2 # let a tick or two of virtual time pass; nothing below depends on how many
        kill -"$sig" "$pid"
        rc=0
        wait "$pid" || rc=$?
        pids=()
        want=$([ "$sig" = INT ] && echo 130 || echo 143)
        [ "$rc" -eq "$want" ] ||
            { cat "$tmp/$mode.$sig.err"; fail "$mode --realtime: exit $rc after SIG$sig, want $want"; }
        grep -q "policy idle_reclaim: stopped \(before\|at\) [0-9.]* s of 1800.000 s (interrupted)$" \
            "$tmp/$mode.$sig.err" || { cat "$tmp/$mode.$sig.err"; fail "$mode: no clean stop message"; }
        [ -s "$tmp/$mode.$sig.out" ] && { cat "$tmp/$mode.$sig.out"; fail "$mode: a table after SIG$sig"; }
        rows=$(($(wc -l <"$tmp/$mode.$sig.csv") - 1))
        head -1 "$tmp/$mode.$sig.csv" | grep -q '^policy,t_s,' || fail "$mode: CSV header missing"
        [ "$rows" -lt 1800 ] || fail "$mode: $rows CSV rows: the run was not stopped"
    done
done

# without --realtime the same scenario runs to its end at once
"$AMPSHARE_BIN" sim "$scen" --csv "$tmp/full.csv" >"$tmp/full.out"
[ "$(($(wc -l <"$tmp/full.csv") - 1))" -eq 1800 ] || fail "full run: want 1800 CSV rows"
grep -q '^scenario i3-idle (seed 1, 1800 s, wire mode)$' "$tmp/full.out" || fail "full run: table"
echo "sim --realtime keeps to the wall clock and stops cleanly on SIGINT and SIGTERM: ok"
