#!/usr/bin/env bash
# Mutation testing: each tests/mutants/<name>.patch is a small deliberate bug. For each one this
# applies it to a scratch copy of the tree, rebuilds incrementally, runs the tests its
# "# tests:" line names (ctest -R) and takes the patch back out. A mutant must be KILLED (some
# named test fails). The run fails when any mutant SURVIVED (every named test passed), is STALE
# (the patch no longer applies: the tree moved, update the mutant), is BROKEN (it does not build)
# or names no test. See tests/mutants/README.md.
#
#   tests/mutants/run.sh                 every mutant
#   tests/mutants/run.sh NAME...         only these (NAME or NAME.patch)
#   tests/mutants/run.sh --list          names, tests and reasons; runs nothing
#
# Environment: MUTANTS_DIR  the scratch copy and its build (default: <repo>/build-mutants)
#              MUTANTS_JOBS parallel build and test jobs (default: nproc)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${MUTANTS_DIR:-$root/build-mutants}
src=$work/src
bld=$work/build
jobs=${MUTANTS_JOBS:-$(nproc)}
log=$work/log

die() { echo "mutants: $*" >&2; exit 2; }

# The "# tests:" and "# why:" lines of a patch.
field() { sed -n "s/^# $2: //p" "$1" | head -1; }

list=0
want=()
for a in "$@"; do
    case $a in
    --list) list=1 ;;
    -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) die "unknown option $a" ;;
    *) want+=("${a%.patch}") ;;
    esac
done

patches=()
if [ ${#want[@]} -gt 0 ]; then
    for n in "${want[@]}"; do
        [ -f "$here/$n.patch" ] || die "no mutant $n ($here/$n.patch)"
        patches+=("$here/$n.patch")
    done
else
    shopt -s nullglob
    patches=("$here"/*.patch)
    shopt -u nullglob
fi
[ ${#patches[@]} -gt 0 ] || die "no mutants in $here"

for p in "${patches[@]}"; do
    [ -n "$(field "$p" tests)" ] || die "$(basename "$p"): no '# tests: <ctest -R regex>' line"
    [ -n "$(field "$p" why)" ] || die "$(basename "$p"): no '# why: <one line>' line"
done

if [ $list -eq 1 ]; then
    for p in "${patches[@]}"; do
        printf '%-32s %-40s %s\n' "$(basename "$p" .patch)" "$(field "$p" tests)" "$(field "$p" why)"
    done
    exit 0
fi

start=$(date +%s)
mkdir -p "$src" "$bld" "$log"

# git apply must treat the scratch copy as a plain directory, not a subdirectory of this repo.
export GIT_CEILING_DIRECTORIES=$work

# Copies the tree (tracked and untracked, not ignored) into the scratch copy, touching only files
# that differ so the build there stays incremental; drops files the tree no longer has.
sync_tree() {
    local listing=$work/files
    (cd "$root" && git ls-files -z --cached --others --exclude-standard) >"$listing"
    local f
    while IFS= read -r -d '' f; do
        [ -f "$root/$f" ] || continue
        if ! cmp -s "$root/$f" "$src/$f"; then
            mkdir -p "$src/$(dirname "$f")"
            cp -p "$root/$f" "$src/$f"
        fi
    done <"$listing"
    (cd "$src" && find . -type f -printf '%P\0') | while IFS= read -r -d '' f; do
        [ -f "$root/$f" ] || rm -f "$src/$f"
    done
}

build() {
    cmake --build "$bld" -j"$jobs" >"$1" 2>&1
}

# The build targets behind the tests matching $1: each test's executable, or the ampshare binary
# (which builds the plugins too) for a shell test. Empty when one is not a target: build all.
targets_for() {
    local t out=""
    for t in $(ctest --test-dir "$bld" -R "$1" --show-only=json-v1 |
        /usr/bin/python3 -c 'import json, os, sys
for t in json.load(sys.stdin)["tests"]:
    exe = os.path.basename(t["command"][0])
    print("ampshare" if exe in ("bash", "sh") else exe)' | sort -u); do
        grep -qxF "$t" "$work/targets" || return 0
        out="$out $t"
    done
    echo "$out"
}

# Rebuilds what the tests matching $2 run (or everything); log to $1.
build_for() {
    local targets
    targets=$(targets_for "$2")
    if [ -n "$targets" ]; then
        # shellcheck disable=SC2086 # one word per target
        cmake --build "$bld" -j"$jobs" --target $targets >"$1" 2>&1
    else
        build "$1"
    fi
}

echo "mutants: ${#patches[@]} mutants; scratch copy in $work"
sync_tree
cmake -S "$src" -B "$bld" >"$log/configure.txt" 2>&1 || {
    cat "$log/configure.txt"
    die "cmake configure of the scratch copy failed"
}
build "$log/build-base.txt" || { tail -40 "$log/build-base.txt"; die "the unmutated tree does not build"; }
cmake --build "$bld" --target help | sed -n 's/^\.\.\. \([^ ]*\).*/\1/p' >"$work/targets"

# Every named test must pass on the unmutated tree, or a "kill" would mean nothing.
union=""
for p in "${patches[@]}"; do
    union="${union:+$union|}($(field "$p" tests))"
done
if ! ctest --test-dir "$bld" -R "$union" -j"$jobs" >"$log/baseline.txt" 2>&1; then
    grep -E "Failed|\*\*\*" "$log/baseline.txt" || true
    die "the tests the mutants name do not all pass on the unmutated tree ($log/baseline.txt)"
fi
base_s=$(($(date +%s) - start))
echo "mutants: baseline built and passed in ${base_s} s"

killed=0
failed=0
bad=()
for p in "${patches[@]}"; do
    name=$(basename "$p" .patch)
    re=$(field "$p" tests)
    t0=$(date +%s)
    if ! (cd "$src" && git apply --check "$p") >"$log/$name.txt" 2>&1; then
        echo "STALE    $name: the patch no longer applies ($(head -1 "$log/$name.txt"))"
        failed=$((failed + 1)); bad+=("$name"); continue
    fi
    (cd "$src" && git apply "$p")
    verdict=""
    n_tests=$(ctest --test-dir "$bld" -N -R "$re" | sed -n 's/^Total Tests: //p')
    if [ "${n_tests:-0}" -eq 0 ]; then
        verdict="NOTESTS"
    elif ! build_for "$log/$name.txt" "$re"; then
        verdict="BROKEN"
    elif ctest --test-dir "$bld" -R "$re" -j"$jobs" >>"$log/$name.txt" 2>&1; then
        verdict="SURVIVED"
    else
        verdict="KILLED"
    fi
    (cd "$src" && git apply -R "$p") || die "$name: could not take the patch back out of $src"
    dt=$(($(date +%s) - t0))
    case $verdict in
    KILLED)
        caught=$(grep -oE '[0-9]+ - [^ ]+ \((Failed|Timeout|SEGFAULT|Subprocess)' "$log/$name.txt" \
            | sed -E 's/^[0-9]+ - ([^ ]+).*/\1/' | sort -u | tr '\n' ' ')
        caught=${caught% }
        echo "KILLED   $name (${dt} s) by ${caught:-its tests}"
        killed=$((killed + 1)) ;;
    SURVIVED)
        echo "SURVIVED $name (${dt} s): every test matching '$re' passed; $(field "$p" why)"
        failed=$((failed + 1)); bad+=("$name") ;;
    BROKEN)
        echo "BROKEN   $name: it does not build ($log/$name.txt)"
        grep -m3 -E "error" "$log/$name.txt" | sed 's/^/         /' || true
        failed=$((failed + 1)); bad+=("$name") ;;
    NOTESTS)
        echo "NOTESTS  $name: no test matches '$re'"
        failed=$((failed + 1)); bad+=("$name") ;;
    esac
done

total=$((killed + failed))
elapsed=$(($(date +%s) - start))
echo "mutation score: $killed/$total ($((100 * killed / total)) %) in ${elapsed} s${bad[*]:+; not killed: ${bad[*]}}"
echo "mutants: $killed passed, $failed failed"
[ $failed -eq 0 ]
