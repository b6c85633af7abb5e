#!/usr/bin/env bash
# `ampshare sim replay` end to end: the JSON document read by Python's json module (not ours),
# with exactly the keys docs/scenarios.md names and the published caltech3 10 kW figures; the
# same output twice but for run_s (deterministic); --csv rows add up to the JSON's energy; --svg
# parses as XML with one panel per policy and the limit line; bad arguments name the problem.
set -euo pipefail
: "${AMPSHARE_BIN:?}" "${AMPSHARE_SHARED:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" replay
data="$AMPSHARE_SHARED/datasets"
[ -r "$data/caltech_2019-03_sessions.csv" ] || { echo "no data set"; exit 77; }
py=${PYTHON:-/usr/bin/python3}

"$AMPSHARE_BIN" sim replay "$data/caltech_20190301T000000_20190401T000000_5m_208V_6.6kW.json.gz" \
    --limit-kw 10 --network caltech3 --json >"$tmp/a.json"
"$AMPSHARE_BIN" sim replay "$data/caltech_20190301T000000_20190401T000000_5m_208V_6.6kW.json.gz" \
    --limit-kw 10 --network caltech3 --json >"$tmp/b.json"
"$py" - "$tmp/a.json" "$tmp/b.json" <<'PY' || fail "JSON document"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert list(a) == ["scenario", "seed", "mode", "results"], list(a)
assert a["mode"] == "replay" and a["seed"] == 0
keys = ["policy", "limit_kw", "energy_requested_kwh", "energy_delivered_kwh", "delivered_pct",
        "sessions", "sessions_served", "unfinished", "peak_kw", "over_limit_s", "over_limit_as",
        "idle_waste_ah", "jain", "reclaim_s", "run_s", "chargers"]
want = {"acn_uncontrolled": (99.883681, 99.0), "acn_fcfs": (34.653411, 9.880750),
        "acn_edf": (36.937452, 9.991125), "acn_llf": (36.816079, 9.991125),
        "acn_rr": (43.846730, 9.984000)}
assert [r["policy"] for r in a["results"]] == list(want)
for r in a["results"]:
    assert list(r) == keys, list(r)
    pct, peak = want[r["policy"]]
    assert abs(r["delivered_pct"] - pct) < 1e-4, (r["policy"], r["delivered_pct"])
    assert abs(r["peak_kw"] - peak) < 1e-6, (r["policy"], r["peak_kw"])
    assert r["sessions"] == 954 and r["sessions_served"] + r["unfinished"] == 954
    assert (r["over_limit_s"] > 0) == (r["policy"] == "acn_uncontrolled"), r["policy"]
    assert abs(sum(c["energy_kwh"] for c in r["chargers"]) - r["energy_delivered_kwh"]) < 1e-6
    assert len(r["chargers"]) == 47
    for c in r["chargers"]:
        assert list(c) == ["name", "energy_kwh", "mean_a", "max_a", "mean_a_others_idle"], list(c)
        assert c["max_a"] <= 32
for r in a["results"] + b["results"]:
    r.pop("run_s")
assert a == b, "two runs differ"
PY

"$AMPSHARE_BIN" sim replay "$data/caltech_2019-03_sessions.csv" --limit-kw 20 \
    --compare acn_edf,acn_rr --csv "$tmp/s.csv" --svg "$tmp/s.svg" --json >"$tmp/c.json"
"$py" - "$tmp/c.json" "$tmp/s.csv" "$tmp/s.svg" <<'PY' || fail "CSV or SVG"
import csv, json, sys, xml.etree.ElementTree as ET
doc = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
for r in doc["results"]:
    mine = [x for x in rows if x["policy"] == r["policy"]]
    kwh = sum(float(x["total_kw"]) for x in mine) * 5 / 60
    assert abs(kwh - r["energy_delivered_kwh"]) < 0.01, (r["policy"], kwh)
    assert max(float(x["total_kw"]) for x in mine) <= 20 + 1e-3
svg = ET.parse(sys.argv[3]).getroot()
ns = "{http://www.w3.org/2000/svg}"
texts = ["".join(t.itertext()) for t in svg.iter(ns + "text")]
assert sum(t.startswith("acn_edf, 20 kW") for t in texts) == 1, texts[:5]
assert sum(t.startswith("acn_rr, 20 kW") for t in texts) == 1
assert sum("limit 20 kW = 96.2 A" in t for t in texts) == 2
assert len(list(svg.iter(ns + "path"))) == 2 * 47
PY

err=$("$AMPSHARE_BIN" sim replay "$data/station_data_dataverse.csv" --limit-kw 10 --network caltech3 2>&1) &&
    fail "caltech3 accepted the workplace data"
grep -q "not on the Caltech network" <<<"$err" || fail "caltech3 message: $err"
err=$("$AMPSHARE_BIN" sim replay "$data/caltech_2019-03_sessions.csv" --limit-kw 10 --policy cheapest 2>&1) &&
    fail "unknown policy accepted"
grep -q "policy 'cheapest'" <<<"$err" || fail "policy message: $err"
"$AMPSHARE_BIN" sim replay --help | grep -q -- "--sweep" || fail "--help"
echo "ok"
