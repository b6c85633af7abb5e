# SPDX-License-Identifier: MIT
# Sourced by the shell integration tests (ctest runs only test_*.sh, so this is not a test):
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh" NAME
# makes $tmp (a fresh /tmp/ampshare-NAME-XXXXXX, removed on exit) and $pids (background processes
# the test started, killed and reaped on exit), and the helpers below. Every wait is bounded:
# 200 looks 50 ms apart (10 s) for files and lines, 100 (5 s) for a simulator's pty link.

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

# wait_line FILE PATTERN: until FILE has a line matching PATTERN; on time-out shows FILE and fails.
wait_line() {
    for _ in $(seq 200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    cat "$1" >&2 || true
    fail "timed out waiting for '$2' in $1"
}

# wait_path PATH: until PATH exists.
wait_path() {
    for _ in $(seq 200); do
        [ -e "$1" ] && return 0
        sleep 0.05
    done
    fail "timed out waiting for $1"
}

# wait_link PATH PID LOG: until the simulator PID has made its pty link PATH; shows LOG and fails
# when it exits first or the link never comes.
wait_link() {
    for _ in $(seq 100); do
        [ -e "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || { cat "$3"; echo "FAIL: simulator exited"; exit 1; }
        sleep 0.05
    done
    cat "$3"
    echo "FAIL: no pty link at $1"
    exit 1
}
