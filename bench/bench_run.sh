#!/usr/bin/env bash
# The daemon's footprint (issue 13): `ampshare run` on a site of 6 Wall Connectors (two buses of
# three simulated slaves on ptys) and 4 Modbus meters (simulated, Modbus TCP loopback), all in
# real time. Prints the daemon's CPU share of one core, its RSS (now and peak) and the worst
# lateness of a bus wake-up (each heartbeat goes out on one) and of a control tick, as the daemon
# measured them. Goals: RSS < 4 MB, CPU < 0.5 %, heartbeats never more than 50 ms late.
#
#   bench/bench_run.sh [--duration-s N] [--bin PATH] [--nice N]
#   (default 600 s, build/ampshare; --nice -5 runs the daemon as etc/ampshare.service does: root)
set -euo pipefail
duration=600
nice_n=0
bin="$(cd "$(dirname "$0")/.." && pwd)/build/ampshare"
while [ $# -gt 0 ]; do
    case "$1" in
    --duration-s) duration=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --nice) nice_n=$2; shift 2 ;;
    *) echo "usage: $0 [--duration-s N] [--bin PATH] [--nice N]" >&2; exit 2 ;;
    esac
done
tmp=$(mktemp -d /tmp/ampshare-bench-run-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

for b in 1 2; do
    "$bin" sim slaves --listen "pty:$tmp/twc$b" --count 3 --car tesla,tesla,bmw-i3 --max-a 32 \
        --quiet 2>"$tmp/slaves$b" &
    pids+=($!)
done
ports=()
for m in 1 2 3 4; do
    "$bin" sim meter --map eastron-sdm630 --listen 127.0.0.1:0 --current-a 4 >"$tmp/meter$m" 2>&1 &
    pids+=($!)
done
for m in 1 2 3 4; do
    for _ in $(seq 200); do grep -q 'clients use' "$tmp/meter$m" 2>/dev/null && break; sleep 0.05; done
    ports+=("$(sed -n 's/.*clients use tcp:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/meter$m")")
done
for b in 1 2; do
    for _ in $(seq 200); do [ -e "$tmp/twc$b" ] && break; sleep 0.05; done
done

{
    printf '[sessions]\ndb = %s/sessions.db\n' "$tmp"
    printf '[site]\nname = bench\nsupply_limit_a = 100\nphases = 1\n'
    for c in 1 2 3; do printf '[circuit c%s]\nlimit_a = 48\n' "$c"; done
    for b in 1 2; do printf '[bus b%s]\ntransport = serial:%s/twc%s\n' "$b" "$tmp" "$b"; done
    n=0
    for b in 1 2; do
        for k in 1 2 3; do
            n=$((n + 1))
            printf '[wallconnector wc%s]\nbus = b%s\naddress = auto\ncircuit = c%s\nmax_current_a = 32\n' \
                "$n" "$b" "$b"
        done
    done
    printf '[meter grid]\ntransport = tcp://127.0.0.1:%s\nmap = eastron-sdm630\nmeasures = grid\n' "${ports[0]}"
    for c in 1 2 3; do
        printf '[meter m%s]\ntransport = tcp://127.0.0.1:%s\nmap = eastron-sdm630\nmeasures = circuit:c%s\n' \
            "$c" "${ports[$c]}" "$c"
    done
} >"$tmp/site.ini"

nice -n "$nice_n" "$bin" run --config "$tmp/site.ini" 2>"$tmp/err" >/dev/null &
run=$!
pids+=("$run")
sleep 5 # start-up: links, first reads
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$run/stat"; }
c0=$(cpu)
t0=$(date +%s.%N)
sleep "$duration"
c1=$(cpu)
t1=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$run/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$run/status")
# RSS counts every resident page of the shared libraries (libc, libsqlite3, libm...) that
# other processes share; PSS divides those by their users, and the private pages are ours alone
pss=$(awk '/^Pss:/ {print $2}' "/proc/$run/smaps_rollup")
priv=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$run/smaps_rollup")
anon=$(awk '/^Anonymous:/ {print $2}' "/proc/$run/smaps_rollup")
# where the RSS is: each mapped file (the binary, every library) and the anonymous kinds (heap,
# main stack, other: thread stacks, malloc arenas), largest first
where=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { k = $6; sub(/.*\//, "", k); if (k == "") k = "anon" }
    /^Rss:/ { s[k] += $2 }
    END { for (k in s) if (s[k] > 0) printf "%d %s\n", s[k], k }' "/proc/$run/smaps" |
    sort -rn | awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1 } END { print "" }')
kill -TERM "$run"
wait "$run" || true
linked=$(grep -c 'linked:' "$tmp/err" || true)
late=$(sed -n 's/.*worst lateness: bus wake-up \([0-9]*\) ms, control tick \([0-9]*\) ms; longest tick \([0-9]*\) ms.*/\1 \2 \3/p' "$tmp/err")
turn=$(sed -n 's/.*longest loop turn \([0-9]*\) us (most CPU in a turn \([0-9]*\) us), turns over 5\/10\/20\/50 ms: \([0-9/]*\).*/\1 \2 \3/p' "$tmp/err")
awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v tck="$tck" -v rss="$rss" -v hwm="$hwm" -v pss="$pss" -v priv="$priv" -v anon="$anon" \
    -v late="$late" -v turn="$turn" -v linked="$linked" -v dur="$duration" -v where="$where" -v nice_n="$nice_n" 'BEGIN {
    split(late, l, " ")
    printf "ampshare run, 6 Wall Connectors (%d linked) on 2 pty buses + 4 Modbus TCP meters, %d s:\n", linked, dur
    printf "  CPU        %.3f %% of one core (goal < 0.5 %%)\n", 100 * (c1 - c0) / tck / (t1 - t0)
    printf "  RSS        %.2f MB now, %.2f MB peak (goal < 4 MB)\n", rss / 1024, hwm / 1024
    printf "  memory     PSS %.2f MB, private %.2f MB, anonymous (heap, stacks) %.2f MB\n", pss / 1024, priv / 1024, anon / 1024
    printf "  RSS by map (kB) %s\n", where
    printf "  lateness   worst bus wake-up %d ms (heartbeats; goal <= 50 ms), worst control tick %d ms\n", l[1], l[2]
    printf "  work       longest control tick (engine + session log) %d ms\n", l[3]
    split(turn, u, " ")
    printf "  loop turns longest %.1f ms (any handler; most CPU in one turn %.1f ms); turns over 5/10/20/50 ms: %s\n", u[1] / 1000, u[2] / 1000, u[3]
    "nproc" | getline n; "cat /proc/loadavg" | getline la
    printf "  machine    %s cores, load average %s; daemon at nice %d\n", n, la, nice_n
}'
