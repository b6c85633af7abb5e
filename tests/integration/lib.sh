# SPDX-License-Identifier: MIT
# Sourced by the shell integration tests (ctest runs only test_*.sh, so this is not a test):
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh" NAME
# makes $tmp (a fresh /tmp/ampshare-NAME-XXXXXX, removed on exit) and $pids (background processes
# the test started, killed and reaped on exit), and the helpers below. Every wait is for an event,
# bounded by real time: wait_s seconds (AMP_WAIT_S, 60 by default), looking every 50 ms. The bound
# is generous because it only ends a failing run: a loaded CI machine must never fail a test.

tmp=$(mktemp -d "/tmp/ampshare-${1:-test}-XXXXXX")
pids=()
lib_cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap lib_cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

wait_s=${AMP_WAIT_S:-60}

# until_ok CMD...: runs CMD every 50 ms until it succeeds (status 0), or status 1 after wait_s.
until_ok() {
    local end=$((SECONDS + wait_s))
    while :; do
        "$@" && return 0
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}

# wait_line FILE PATTERN: until FILE has a line matching PATTERN; on time-out shows FILE and fails.
wait_line() {
    until_ok grep -qs "$2" "$1" && return 0
    cat "$1" >&2 || true
    fail "timed out waiting for '$2' in $1"
}

# wait_path PATH: until PATH exists.
wait_path() {
    until_ok test -e "$1" || fail "timed out waiting for $1"
}

# link_or_exit PATH PID LOG: 0 once PATH exists; shows LOG and fails when PID has exited.
link_or_exit() {
    [ -e "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3"; echo "FAIL: simulator exited"; exit 1; }
    return 1
}

# wait_link PATH PID LOG: until the simulator PID has made its pty link PATH; shows LOG and fails
# when it exits first or the link never comes.
wait_link() {
    until_ok link_or_exit "$@" && return 0
    cat "$3"
    echo "FAIL: no pty link at $1"
    exit 1
}

# start_slaves: two simulated Wall Connector slaves (a Tesla and an idle i3, 80 A each) on a pty
# linked at $tmp/twc, their log appended to $tmp/slaves; sets $slaves (in $pids) once linked.
start_slaves() {
    "$AMPSHARE_BIN" sim slaves --listen "pty:$tmp/twc" --count 2 --car tesla,bmw-i3-idle \
        --max-a 80 --linkready-ms 1000 2>>"$tmp/slaves" &
    slaves=$!
    pids+=("$slaves")
    wait_link "$tmp/twc" "$slaves" "$tmp/slaves"
}

# sim_port LOG: the port of a simulator on loopback TCP (`ampshare sim evse|meter --listen
# 127.0.0.1:0`), once it has logged "clients use tcp://127.0.0.1:PORT" to LOG.
sim_port() {
    wait_line "$1" 'clients use'
    sed -n 's/.*clients use tcp:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$1" | head -1
}

# ocpp_site NAME LIMIT_A PHASES ID PASSWORD: $tmp/site.ini for a site with an OCPP central system,
# without its chargers (the test appends them): the session log and the status socket in $tmp, one
# circuit "garage" of LIMIT_A, the central system on a free port with the one login ID:PASSWORD
# ($tmp/ocpp.credentials), meter values every second, a 6 A shutdown current.
ocpp_site() {
    printf '# test\n%s:%s\n' "$4" "$5" >"$tmp/ocpp.credentials"
    cat >"$tmp/site.ini" <<INI
[sessions]
db = $tmp/sessions.db
[site]
name = $1
supply_limit_a = $2
phases = $3
shutdown_current_a = 6
status_socket = $tmp/status.sock
[circuit garage]
limit_a = $2
[ocpp]
listen = 127.0.0.1:0
credentials_file = $tmp/ocpp.credentials
meter_interval_s = 1
INI
}

# start_run_ocpp LOG: `ampshare run` on $tmp/site.ini in the background (stdout appended to
# $tmp/out, stderr to LOG) until its OCPP central system listens; sets $run (in $pids) and $port.
start_run_ocpp() {
    "$AMPSHARE_BIN" run --config "$tmp/site.ini" >>"$tmp/out" 2>"$1" &
    run=$!
    pids+=("$run")
    wait_line "$1" 'central system on ws://127.0.0.1:'
    port=$(sed -n 's/.*central system on ws:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$1" | head -1)
    [ -n "$port" ] || fail "no OCPP port in $1"
}
