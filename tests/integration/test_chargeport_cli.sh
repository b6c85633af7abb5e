#!/usr/bin/env bash
# ampshare chargeport end to end: the issue's seed capture decodes to the 50-bit message (text and
# --json, checked with python3's json module on strict UTF-8); every emit format decodes back to it
# (cs8 through the envelope detector); rtl_433, a decoder no one here wrote, reads our .cs8 and its
# pulse output decodes with ours; malformed input names FILE:LINE:COL; the 5 s burst limit and
# --help. Needs AMPSHARE_BIN and PYTHON (set by ctest); the rtl_433 part runs when it is installed.
set -euo pipefail
: "${AMPSHARE_BIN:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || { echo "skip: no $PYTHON"; exit 77; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" chargeport
B=$AMPSHARE_BIN
msg=00010010100101010101001101100111000110110100001100

cat >"$tmp/seed.txt" <<'EOF'
101010101010101010101010100010101100101100110010110011001100110011001011010011010010110101001010110100110100110
010101011010010110001010110010110011001011001100110011001100101101001101001011010100101011010011010011001010101
101001011000101011001011001100101100110011001100110010110100110100101101010010101101001101001100101010110100101
EOF

# check_json FILE BLOCKS TX: one object, strict UTF-8, the charge-port message in every block.
check_json() {
    "$PYTHON" - "$1" "$2" "$3" "$msg" <<'PY'
import json, sys
path, blocks, tx, msg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
raw = open(path, "rb").read()
o = json.loads(raw.decode("utf-8", errors="strict"))
for k in ("input", "runs", "symbols", "symbol_us", "symbol_rate", "transmissions",
          "transmissions_total", "violations", "blocks", "blocks_total", "message",
          "message_bits", "message_hex", "repeats", "chargeport_blocks", "is_chargeport",
          "issues", "issues_total"):
    assert k in o, (path, k)
assert o["message"] == msg, (path, o["message"])
assert o["message_hex"] == "129553671b4300", o["message_hex"]
assert o["is_chargeport"] is True, path
assert o["blocks_total"] == blocks and o["repeats"] == blocks, (path, o["blocks_total"])
assert o["transmissions_total"] == tx == len(o["transmissions"]), path
assert o["violations"] == 3 * tx, path
for t in o["transmissions"]:
    assert t["preamble_symbols"] == 24 and t["preamble_ones"] == 12, (path, t)
    assert t["blocks"] == 3 and t["violations"] == 3, (path, t)
for b in o["blocks"]:
    assert b["bits"] == msg and b["nbits"] == 50 and b["is_message"], (path, b)
if o["symbol_us"] is not None:
    assert 395 <= o["symbol_us"] <= 405, (path, o["symbol_us"])
    assert abs(o["symbol_rate"] - 1e6 / o["symbol_us"]) < 1, path
PY
}

# 1. The seed capture, from stdin, text and JSON.
"$B" chargeport decode <"$tmp/seed.txt" >"$tmp/seed.out"
grep -q "^message: $msg (50 bits" "$tmp/seed.out" || { cat "$tmp/seed.out"; fail "seed message"; }
grep -q "^charge-port message: yes$" "$tmp/seed.out" || fail "seed verdict"
"$B" chargeport decode --json - <"$tmp/seed.txt" >"$tmp/seed.json"
check_json "$tmp/seed.json" 3 1
"$PYTHON" -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["symbol_us"] is None and o["input"]=="symbols"' "$tmp/seed.json"

# 2. Every format, both regions, decodes back.
for region in eu us; do
    for f in sendook flipper timings; do
        "$B" chargeport emit --format $f --region $region --out "$tmp/e.$f" 2>"$tmp/e.err"
        grep -q "never transmits" "$tmp/e.err" || fail "$f: no notice on stderr"
        "$B" chargeport decode --json "$tmp/e.$f" >"$tmp/e.$f.json"
        check_json "$tmp/e.$f.json" 15 5
    done
    hz=$([ $region = us ] && echo 315000000 || echo 433920000)
    grep -qx "Frequency: $hz" "$tmp/e.flipper" || fail "flipper frequency for $region"
    grep -qx "Protocol: RAW" "$tmp/e.flipper" || fail "flipper protocol"
    mhz=$([ $region = us ] && echo 315M || echo 433.92M)
    grep -q "^sendook -f $mhz -0 400 -1 400 -r 5 -p 23000 [01]\{336\}$" "$tmp/e.sendook" ||
        fail "sendook line for $region"
    "$B" chargeport emit --format cs8 --region $region --sample-rate 2000000 \
        --out "$tmp/e_$region.cs8" 2>"$tmp/cs8.err"
    grep -q "^hackrf_transfer -t $tmp/e_$region.cs8 -f $hz -s 2000000 -x 0$" "$tmp/cs8.err" ||
        { cat "$tmp/cs8.err"; fail "hackrf_transfer command for $region"; }
    "$B" chargeport decode --json --sample-rate 2000000 "$tmp/e_$region.cs8" >"$tmp/cs8.json"
    check_json "$tmp/cs8.json" 15 5
    "$B" chargeport emit --format rpitx-rf --region $region --repeats 3 --out "$tmp/e.rf" \
        2>"$tmp/rf.err"
    grep -q "^sudo rpitx -m RF -i $tmp/e.rf -f " "$tmp/rf.err" || fail "rpitx command"
    "$B" chargeport decode --json "$tmp/e.rf" >"$tmp/rf.json"
    check_json "$tmp/rf.json" 9 3
done
# Piped text output and --repeats.
"$B" chargeport emit --format timings --repeats 2 --gap-ms 50 2>/dev/null |
    "$B" chargeport decode --json >"$tmp/pipe.json"
check_json "$tmp/pipe.json" 6 2
"$PYTHON" -c 'import json,sys; t=json.load(open(sys.argv[1]))["transmissions"][0]; assert 50000 < t["gap_after_us"] < 52000, t' "$tmp/pipe.json"

# 3. A decoder no one here wrote: rtl_433 reads our .cs8 (flex spec from research §5), and its
#    pulse output decodes with ours.
if command -v rtl_433 >/dev/null; then
    cp "$tmp/e_eu.cs8" "$tmp/t_433.92M_2000k.cs8"
    timeout 120 rtl_433 -R 0 -r "$tmp/t_433.92M_2000k.cs8" -F json \
        -X 'n=tesla,m=OOK_MC_ZEROBIT,s=400,l=800,r=5000,t=150,match=094aa9b38da19' \
        >"$tmp/rtl.json" 2>"$tmp/rtl.err" || true
    n=$(grep -c '"data" : "094aa9b38da19"' "$tmp/rtl.json" || true)
    [ "$n" -eq 5 ] || { cat "$tmp/rtl.err" "$tmp/rtl.json"; fail "rtl_433 decoded $n transmissions"; }
    [ "$(grep -o '"data" : "094aa9b38da19"' "$tmp/rtl.json" | wc -l)" -eq 10 ] || fail "rtl_433 rows"
    timeout 120 rtl_433 -R 0 -r "$tmp/t_433.92M_2000k.cs8" -w OOK:- >"$tmp/peer.ook" 2>/dev/null ||
        true
    "$B" chargeport decode --json "$tmp/peer.ook" >"$tmp/peer.json"
    check_json "$tmp/peer.json" 15 5
else
    echo "note: rtl_433 not installed; peer check skipped"
fi

# 4. Malformed input names the place; JSON mode prints an error object as well.
printf '1010\n10x0\n' >"$tmp/bad.txt"
if "$B" chargeport decode "$tmp/bad.txt" >/dev/null 2>"$tmp/bad.err"; then fail "bad symbols accepted"; fi
grep -q "^$tmp/bad.txt:2:3: error: not an OOK symbol" "$tmp/bad.err" || { cat "$tmp/bad.err"; fail "bad symbol place"; }
printf 'Filetype: Flipper SubGhz RAW File\nProtocol: RAW\nRAW_Data: 400 -400 0 -400\n' >"$tmp/bad.sub"
rc=0
"$B" chargeport decode --json "$tmp/bad.sub" >"$tmp/bad.json" 2>"$tmp/bad.err" || rc=$?
[ $rc -eq 1 ] || fail "bad .sub exit $rc"
grep -q "bad.sub:3:20: error: a duration of 0 us" "$tmp/bad.err" || { cat "$tmp/bad.err"; fail "zero place"; }
"$PYTHON" -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["line"]==3 and o["col"]==20 and "0 us" in o["error"], o' "$tmp/bad.json"
head -c 33 "$tmp/e_eu.cs8" >"$tmp/odd.cs8"
if "$B" chargeport decode "$tmp/odd.cs8" 2>"$tmp/odd.err" >/dev/null; then fail "odd cs8 accepted"; fi
grep -q "odd.cs8: byte 32: error: odd byte count" "$tmp/odd.err" || { cat "$tmp/odd.err"; fail "odd cs8 place"; }
echo "0110 1001" | { "$B" chargeport decode >"$tmp/none.out" 2>"$tmp/none.err" && fail "no frame accepted"; } || true
grep -q "no preamble" "$tmp/none.out" || fail "no-preamble warning"

# 5. The burst must end within 5 s (47 CFR 15.231(a)); arguments; --help everywhere.
rc=0
"$B" chargeport emit --format sendook --repeats 32 >/dev/null 2>"$tmp/rep.err" || rc=$?
[ $rc -eq 2 ] || fail "--repeats 32 exit $rc"
grep -q "at most 31 with --gap-ms 23" "$tmp/rep.err" || { cat "$tmp/rep.err"; fail "repeat limit message"; }
"$B" chargeport emit --format sendook --repeats 31 >/dev/null 2>&1 || fail "--repeats 31 refused"
rc=0; "$B" chargeport emit --format wav >/dev/null 2>&1 || rc=$?; [ $rc -eq 2 ] || fail "bad format"
rc=0; "$B" chargeport emit --format flipper --region jp >/dev/null 2>&1 || rc=$?; [ $rc -eq 2 ] || fail "bad region"
rc=0; "$B" chargeport emit --format cs8 --sample-rate 1000 >/dev/null 2>&1 || rc=$?; [ $rc -eq 2 ] || fail "bad rate"
for args in "chargeport --help" "chargeport decode --help" "chargeport emit --help"; do
    # shellcheck disable=SC2086
    "$B" $args | grep -q "^usage: ampshare chargeport" || fail "$args"
done
"$B" --help | grep -q "^  chargeport " || fail "not in the command list"
echo "chargeport CLI: ok"
