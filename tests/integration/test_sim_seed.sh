#!/usr/bin/env bash
# `ampshare sim seed` prints the seed's figures: 34 A of 40 A for the Tesla under the simulated
# native master (twc-gen2.md §7.3); under ampshare's master and allocation engine 40 A with
# idle_reclaim (the i3 paused), 39 A with 6 A of overcommit (the i3 kept at 6 A) and 34 A with
# the native policy; a waking i3 gets its share back (20 A each). --json, --sample-s,
# --i3-full-s and --tesla-lock (issue 12).
set -euo pipefail
: "${AMPSHARE_BIN:?}"
out=$("$AMPSHARE_BIN" sim seed)
fail() {
    echo "$out"
    echo "FAIL: $*"
    exit 1
}
grep -qx 'result (native): Tesla offered 34.00A, drawing 33.20A; i3 offered 6.00A, drawing 0.25A (.*)' \
    <<<"$out" || fail "native result"
grep -qx 'result (ampshare): Tesla offered 40.00A, drawing 39.20A; i3 offered 0.00A, drawing 0.25A (.*)' \
    <<<"$out" || fail "ampshare result"
grep -q '^   150s  01 charging ' <<<"$out" || fail "timeline row at 150 s"
grep -qx '         Tesla: at its maximum; i3: idle for 2 min' <<<"$out" || fail "reasons at 150 s"
grep -q 'policy idle_reclaim, no overcommit' <<<"$out" || fail "ampshare title"

out=$("$AMPSHARE_BIN" sim seed --master ampshare --overcommit-a 6)
grep -qx 'result (ampshare): Tesla offered 39.00A, drawing 38.20A; i3 offered 6.00A, drawing 0.25A (.*)' \
    <<<"$out" || fail "overcommit 6 A: want 39 A / 6 A"
grep -q 'result (native)' <<<"$out" && fail "--master ampshare ran the native master too"

out=$("$AMPSHARE_BIN" sim seed --master ampshare --policy native)
grep -qx 'result (ampshare): Tesla offered 34.00A, drawing 33.20A; i3 offered 6.00A, drawing 0.25A (.*)' \
    <<<"$out" || fail "native policy through ampshare: want 34 A / 6 A"
grep -qx '         Tesla: limited by circuit garage; i3: idle for 2 min' <<<"$out" ||
    fail "native policy reasons"

out=$("$AMPSHARE_BIN" sim seed --master ampshare --overcommit-a 6 --wake-i3-s 130 --duration-s 240)
grep -qx 'result (ampshare): Tesla offered 20.00A, drawing 19.20A; i3 offered 20.00A, drawing 19.20A (.*)' \
    <<<"$out" || fail "waking i3: want 20 A each"

out=$("$AMPSHARE_BIN" sim seed --circuit-a 32 --master native)
grep -q 'Tesla offered 26.00A' <<<"$out" || fail "32 A circuit: want the 26 A / 6 A split"

# --json: JSON Lines, one object per sample and master, with the keys the issue spells
out=$("$AMPSHARE_BIN" sim seed --duration-s 40 --sample-s 0.5 --json)
/usr/bin/python3 - "$out" <<'PY' || fail "--json lines"
import json, sys
lines = sys.argv[1].splitlines()
rows = [json.loads(l) for l in lines]
assert len(rows) == 2 * 81, len(rows)  # 0, 0.5, ..., 40 s under each master
for r in rows:
    assert set(r) == {"master", "t_s", "tesla", "i3"}, r
    assert r["master"] in ("native", "ampshare"), r
    for u in ("tesla", "i3"):
        assert set(r[u]) == {"state", "limit_a", "actual_a", "why"}, r[u]
        assert isinstance(r[u]["state"], int) and isinstance(r[u]["why"], str)
        assert isinstance(r[u]["limit_a"], (int, float)) and isinstance(r[u]["actual_a"], (int, float))
    assert r["tesla"]["actual_a"] + r["i3"]["actual_a"] <= 40.0, r
amp = [r for r in rows if r["master"] == "ampshare"]
nat = [r for r in rows if r["master"] == "native"]
assert [r["t_s"] for r in amp][:3] == [0, 0.5, 1.0]
first = lambda rs, ok: next(r["t_s"] for r in rs if ok(r))
# the Tesla offered 34 A no later than under the native master (+1 s), 40 A by 34 s
assert first(amp, lambda r: r["tesla"]["limit_a"] >= 34) <= first(nat, lambda r: r["tesla"]["limit_a"] >= 34) + 1
assert first(amp, lambda r: r["tesla"]["limit_a"] >= 40) <= 34
assert amp[-1]["tesla"]["why"] == "at its maximum", amp[-1]
PY

# --i3-full-s: the i3 charges, then is full; its share goes back to the Tesla
out=$("$AMPSHARE_BIN" sim seed --master ampshare --i3-full-s 60 --duration-s 80)
grep -qx 'result (ampshare): Tesla offered 40.00A, drawing 39.20A; i3 offered 0.00A, drawing 0.25A (.*)' \
    <<<"$out" || fail "--i3-full-s 60: want 40 A / 0 A"
grep -q 'the i3 is full from 60 s' <<<"$out" || fail "--i3-full-s title"
grep -q '^    40s  01 charging         20.00A  19.20A  01 charging         20.00A  19.20A' <<<"$out" ||
    fail "--i3-full-s: 20 A each while both charge"

# --tesla-lock: the 6 A lock, left through the accounted spike
out=$("$AMPSHARE_BIN" sim seed --master ampshare --circuit-a 26 --i3-full-s 60 --duration-s 120 \
    --tesla-lock --sample-s 1)
grep -q "spike: cancels the car's 6 A lock" <<<"$out" || fail "--tesla-lock: no spike"
grep -qx 'result (ampshare): Tesla offered 26.00A, drawing 25.20A; i3 offered 0.00A, drawing 0.25A (.*)' \
    <<<"$out" || fail "--tesla-lock: the Tesla left the lock"

# issue 17: a plugin that crashes, aborts, hangs or answers garbage on every tick runs in a child
# process; the fallback (equal share: 34 A / 6 A here) decides, and the output is all there.
: "${AMPSHARE_BUILD:?}"
for bad in crash_segv crash_abort overrun hang garbage; do
    rc=0
    out=$("$AMPSHARE_BIN" sim seed --master ampshare --policy "$AMPSHARE_BUILD/policies/test/$bad.so" \
        2>"${TMPDIR:-/tmp}/seed-$$.err") || rc=$?
    err=$(cat "${TMPDIR:-/tmp}/seed-$$.err")
    rm -f "${TMPDIR:-/tmp}/seed-$$.err"
    [ "$rc" -eq 0 ] || fail "$bad: exit $rc ($err)"
    grep -qx 'result (ampshare): Tesla offered 34.00A, drawing 33.20A; i3 offered 6.00A, drawing 0.25A (.*)' \
        <<<"$out" || fail "$bad: want the fallback's 34 A / 6 A"
    grep -q '^   150s  ' <<<"$out" || fail "$bad: timeline cut short"
    grep -q "policy failed: equal share" <<<"$out" || fail "$bad: reasons do not say fallback"
    grep -q "$bad.so .* on the tick at" <<<"$err" || fail "$bad: no log line ($err)"
done

out=$("$AMPSHARE_BIN" sim seed --help)
grep -q -- '--policy NAME' <<<"$out" || fail "--help names --policy"
for o in --i3-full-s --sample-s --json --tesla-lock; do
    grep -q -- "$o" <<<"$out" || fail "--help names $o"
done

rc=0
out=$("$AMPSHARE_BIN" sim seed --master ampshare --policy nosuch 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "unknown policy: exit $rc, want 1"
grep -q "\[policy\] name: 'nosuch'" <<<"$out" || fail "unknown policy: message"
for bad in "--circuit-a x" "--overcommit-a -1" "--wake-i3-s 0" "--policy" "--master other" \
    "--sample-s 0" "--sample-s 0.0001" "--sample-s x" "--i3-full-s 0" "--i3-full-s"; do
    rc=0
    # shellcheck disable=SC2086 # word splitting wanted: option and value
    "$AMPSHARE_BIN" sim seed $bad >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || fail "bad argument '$bad': exit $rc, want 2"
done
echo "sim seed: ok"
