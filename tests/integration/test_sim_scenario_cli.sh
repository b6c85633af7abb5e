#!/usr/bin/env bash
# `ampshare sim SCENARIO.ini --fast` end to end on etc/scenarios/i3-idle.ini: the JSON document
# read by Python (keys exactly as docs/scenarios.md names them, mode "fast", limit_kw null), the
# Tesla's 33.2 A under native and >= 39 A under idle_reclaim, byte-identical output on a second
# run but for run_s, the CSV's rows, the SVG's panels; wire mode's document, and a site it cannot
# simulate refused with a clear message.
set -euo pipefail
: "${AMPSHARE_BIN:?}" "${AMPSHARE_SRC:?}"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" scenario
py=${PYTHON:-/usr/bin/python3}
scen="$AMPSHARE_SRC/etc/scenarios/i3-idle.ini"

for n in 1 2; do
    "$AMPSHARE_BIN" sim "$scen" --fast --compare native,idle_reclaim --json \
        --csv "$tmp/t$n.csv" --svg "$tmp/t$n.svg" >"$tmp/t$n.json"
done
"$py" - "$tmp" <<'PY' || fail "scenario JSON, CSV or SVG"
import csv, json, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
a = json.load(open(d + "/t1.json")); b = json.load(open(d + "/t2.json"))
assert list(a) == ["scenario", "seed", "mode", "results"] and a["mode"] == "fast", a
assert a["scenario"] == "i3-idle" and a["seed"] == 1
keys = ["policy", "limit_kw", "energy_requested_kwh", "energy_delivered_kwh", "delivered_pct",
        "sessions", "sessions_served", "unfinished", "peak_kw", "over_limit_s", "over_limit_as",
        "idle_waste_ah", "jain", "reclaim_s", "run_s", "chargers"]
tesla = {}
for r in a["results"]:
    assert list(r) == keys, list(r)
    assert r["limit_kw"] is None and r["over_limit_s"] == 0
    for c in r["chargers"]:
        assert list(c) == ["name", "energy_kwh", "mean_a", "max_a", "mean_a_others_idle"]
    tesla[r["policy"]] = [c for c in r["chargers"] if "tesla" in c["name"]][0]
assert abs(tesla["native"]["max_a"] - 33.2) < 1e-9, tesla["native"]
assert tesla["idle_reclaim"]["max_a"] >= 39, tesla["idle_reclaim"]
for r in a["results"] + b["results"]:
    r.pop("run_s")
assert a == b, "two runs differ"
assert open(d + "/t1.csv").read() == open(d + "/t2.csv").read(), "CSV differs between runs"
rows = list(csv.DictReader(open(d + "/t1.csv")))
assert len(rows) == 2 * 1800, len(rows)
assert max(float(x["tesla_l1"]) + float(x["i3_l1"]) for x in rows) <= 40
svg = ET.parse(d + "/t1.svg").getroot()
texts = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
assert any(t.startswith("native:") for t in texts) and any(t.startswith("idle_reclaim:") for t in texts)
assert sum(t == "supply 40 A" for t in texts) == 2, texts
PY

# wire mode (the default): the same document with mode "wire", the Tesla's 33.2 A under native
"$AMPSHARE_BIN" sim "$scen" --policy native --json >"$tmp/w.json"
"$py" - "$tmp/w.json" <<'PY' || fail "wire JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["mode"] == "wire", d["mode"]
r = d["results"][0]
t = [c for c in r["chargers"] if c["name"] == "tesla"][0]
assert abs(t["max_a"] - 33.2) < 1e-9 and r["over_limit_s"] == 0, r
PY
# a real site file is simulated as it is: the example site in wire mode, its generic garage
# meter served from the table ampshare builds from its keys, the Heidelberg and its own meter
# answering as one unit; the Zoe on it charges through its setpoints, as in fast mode
cp "$AMPSHARE_SRC/etc/ampshare.ini" "$tmp/site.ini"
printf '[scenario]\nsite = site.ini\nduration_s = 600\n[car t]\ncharger = bay1\nprofile = tesla-model-3\n[car z]\ncharger = bay3\nprofile = renault-zoe\n' >"$tmp/example.ini"
"$AMPSHARE_BIN" sim "$tmp/example.ini" --json >"$tmp/ew.json" || fail "the example site in wire mode"
"$AMPSHARE_BIN" sim "$tmp/example.ini" --fast --json >"$tmp/ef.json" || fail "the example site in fast mode"
"$py" - "$tmp/ew.json" "$tmp/ef.json" <<'PY' || fail "example site: wire and fast"
import json, sys
w, f = (json.load(open(p)) for p in sys.argv[1:3])
assert w["mode"] == "wire" and f["mode"] == "fast"
cw = {c["name"]: c for c in w["results"][0]["chargers"]}
cf = {c["name"]: c for c in f["results"][0]["chargers"]}
for name in ("bay1", "bay3"):
    assert cw[name]["energy_kwh"] > 1, (name, cw[name])
    assert abs(cw[name]["energy_kwh"] - cf[name]["energy_kwh"]) <= 0.02 * cf[name]["energy_kwh"], (name, cw[name], cf[name])
    assert abs(cw[name]["max_a"] - cf[name]["max_a"]) <= 0.2, (name, cw[name], cf[name])
assert w["results"][0]["over_limit_s"] == 0
PY
# what wire mode does not simulate is refused, naming the way out
printf '[site]\nsupply_limit_a = 32\n[circuit c]\nlimit_a = 32\n[ocpp]\nlisten = 127.0.0.1:0\n[evse bay3]\ncontrol = ocpp\nocpp_id = bay3\ncircuit = c\nmax_current_a = 16\n' >"$tmp/site.ini"
printf '[scenario]\nsite = site.ini\nduration_s = 10\n' >"$tmp/ocpp.ini"
set +e
err=$("$AMPSHARE_BIN" sim "$tmp/ocpp.ini" 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "an OCPP charger in wire mode: exit $rc ($err)"
grep -q "\[evse bay3\]: control = ocpp is not simulated (Modbus EVSEs and Wall Connectors are); use --fast" <<<"$err" ||
    fail "wire message: $err"
err=$("$AMPSHARE_BIN" sim "$AMPSHARE_SRC/etc/scenarios/faults.ini" --fast --modbus-loopback 2>&1) &&
    fail "--modbus-loopback ran in fast mode"
grep -q "modbus-loopback is for wire mode" <<<"$err" || fail "loopback message: $err"
err=$("$AMPSHARE_BIN" sim "$tmp/none.ini" --fast 2>&1) && fail "a missing scenario ran"
grep -q "none.ini: cannot open" <<<"$err" || fail "missing file message: $err"
echo ok
