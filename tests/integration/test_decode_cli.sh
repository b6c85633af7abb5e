#!/usr/bin/env bash
# ampshare decode end to end: --json on the vectors file must reproduce every decoded_fields key of
# the TSV (checked with python3's json module), plus text mode, --raw, stdin, capture lines and
# inline errors. Needs AMPSHARE_BIN, AMPSHARE_VECTORS and PYTHON (set by ctest).
set -euo pipefail
: "${AMPSHARE_BIN:?}" "${AMPSHARE_VECTORS:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || { echo "skip: no $PYTHON"; exit 77; }
tsv="$AMPSHARE_VECTORS/twc-frames-public.tsv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. --json on the vectors file, compared key by key with the TSV.
"$AMPSHARE_BIN" decode --json "$tsv" >"$tmp/out.jsonl" 2>"$tmp/err"
"$PYTHON" - "$tsv" "$tmp/out.jsonl" <<'PY'
import json, sys
tsv, out = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(tsv)][1:]
objs = [json.loads(l) for l in open(out)]
assert len(rows) == 39, len(rows)
assert len(objs) == len(rows), (len(objs), len(rows))
raw_lines = open(out).read().splitlines()
def hx(v): return int(v, 16)
for i, (row, o, raw) in enumerate(zip(rows, objs, raw_lines)):
    where = "TSV line %d" % (i + 2)
    hexw, _direction, proto, name, fields = row[0], row[1], row[2], row[3], row[4]
    assert o["event"] == "frame", (where, o)
    assert o["line"] == i + 2, (where, o["line"])
    for key in ("kind", "code", "src", "dst", "proto", "checksum_ok"):
        assert key in o, (where, key)
    assert o["kind"] == ("unknown" if name == "corrupt" else name), (where, o["kind"], name)
    body = hexw.split()
    assert o["code"] == body[1] + body[2], (where, o["code"])
    if proto in ("1", "2"):
        assert o["proto"] == int(proto), (where, o["proto"], proto)
    kv = dict(t.split("=", 1) for t in fields.split(";"))
    for k, v in kv.items():
        if k in ("origin", "note", "gap_byte_before", "wire_reconstructed", "trailer", "data",
                 "pad", "expected_result"):
            continue
        if k == "len": assert o["len"] == int(v), (where, k)
        elif k in ("src", "dst"):
            assert o[k] == (None if v == "none" else v), (where, k, o[k], v)
        elif k == "sign": assert o["sign"] == v, (where, k)
        elif k == "bytes5_6": assert o["bytes5_6"] == v, (where, k)
        elif k in ("state", "cmd"): assert o[k] == hx(v), (where, k, o[k], v)
        elif k in ("max_a", "limit_a", "actual_a", "cmd_amps_a"):
            assert o[k] == float(v), (where, k, o[k], v)
            assert ('"%s":%s' % (k, v)) in raw, (where, k, "not printed with 2 decimals")
        elif k == "master_plugged": assert o[k] == int(v), (where, k)
        elif k in ("energy_raw", "v_l1", "v_l2", "v_l3"): assert o[k] == int(v), (where, k)
        elif k in ("i_l1_raw", "i_l2_raw", "i_l3_raw"): assert o[k] == hx(v), (where, k)
        elif k == "fw": assert o["fw"] == v, (where, k)
        elif k == "checksum": assert o["checksum"] == v, (where, k)
        elif k == "checksum_ok": assert o["checksum_ok"] is (v == "1"), (where, k)
        elif k == "checksum_expected": assert o["checksum_expected"] == v, (where, k)
        else: raise AssertionError("%s: key %s not checked" % (where, k))
    if name in ("slave_heartbeat",):
        assert isinstance(o["state"], int) and "limit_a" in o and "actual_a" in o, where
    if kv.get("expected_result") == "reject_length_and_checksum":
        assert o["checksum_ok"] is False and o["length_ok"] is False, where
    if kv.get("expected_result") == "reject_checksum":
        assert o["checksum_ok"] is False and o["length_ok"] is True, where
print("json: %d frames match the TSV" % len(objs))
PY
grep -q "39 frames (3 with a bad checksum), 0 errors" "$tmp/err" || fail "summary: $(cat "$tmp/err")"

# 2. Text mode: one line per frame, the reference example line among them.
"$AMPSHARE_BIN" decode "$tsv" >"$tmp/out.txt" 2>/dev/null
[ "$(wc -l <"$tmp/out.txt")" -eq 39 ] || fail "text: $(wc -l <"$tmp/out.txt") lines"
grep -qxF "0122 L9: slave_heartbeat v2 2019->7777 state=08(starting) limit=6.00A actual=5.28A checksum ok" \
    "$tmp/out.txt" || fail "text: heartbeat line missing"
grep -qxF "0647 L38: master_linkready1 v2 32ab sign=77 bytes5_6=4006 checksum BAD (got ba, want 7b)" \
    "$tmp/out.txt" || fail "text: bad checksum line missing"

# 3. stdin, as "-" and with no file, gives the same output.
"$AMPSHARE_BIN" decode - <"$tsv" 2>/dev/null | cmp -s - "$tmp/out.txt" || fail "stdin '-' differs"
"$AMPSHARE_BIN" decode <"$tsv" 2>/dev/null | cmp -s - "$tmp/out.txt" || fail "stdin differs"

# 4. --raw: the wire bytes of every row with garbage in between, as a sniffer would read them.
"$PYTHON" - "$tsv" "$tmp/raw.bin" <<'PY'
import sys
rows = [l.split("\t")[0] for l in open(sys.argv[1])][1:]
out = bytearray(b"\x11\x22")
for i, r in enumerate(rows):
    out += bytes.fromhex(r.replace(" ", ""))
    out += bytes([0x55, 0xaa, 0xdb])[: i % 4]
open(sys.argv[2], "wb").write(out)
PY
"$AMPSHARE_BIN" decode --raw --json "$tmp/raw.bin" >"$tmp/raw.jsonl" 2>/dev/null
"$PYTHON" - "$tmp/raw.jsonl" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
frames = [o for o in objs if o["event"] == "frame"]
assert len(frames) == 39, len(frames)
assert all(o["line"] is None and o["t_ms"] is None for o in objs)
assert objs[0] == {"event": "garbage", "offset": 0, "line": None, "t_ms": None, "len": 2}, objs[0]
assert frames[0]["offset"] == 2 and frames[0]["kind"] == "master_linkready2", frames[0]
assert sum(o["checksum_ok"] for o in frames) == 36
assert [o["offset"] for o in frames] == sorted(o["offset"] for o in frames)
print("raw: %d frames, %d other events" % (len(frames), len(objs) - len(frames)))
PY
# Into a file first: piped into head, decode would die of SIGPIPE (a pipefail failure) as soon
# as its output outgrew the pipe buffer.
"$AMPSHARE_BIN" decode --raw "$tmp/raw.bin" >"$tmp/raw.txt" 2>/dev/null
head -1 "$tmp/raw.txt" | grep -qxF "0000: error: garbage skipped (2 bytes)" || fail "raw text: first line"

# 5. Inline errors: decoding goes on after each of them; capture lines carry their time. Offsets
#    by hand: line 3 is bytes 0-18 (C0 at 2 and 18), line 4 opens with its own C0 at 19 and closes
#    at 41, line 5 is 42-60 (trailer FE at 60), line 6 gets delimiters added at 61 and 78, line 7
#    opens at 79 and its 4 bytes from 80 never see a closing C0.
cat >"$tmp/bad.txt" <<'EOF2'
# bad hex, garbage, bad escape, overlong, a good frame, then a frame cut off at the end
c0 zz
11 22 c0 fb e0 77 77 03 5d 05 12 db 00 00 00 00 00 05 c0
c0 fd ee 60 90 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 de 00 c0
1234	c0 fd e2 18 39 52 0c 80 00 00 00 00 00 00 00 00 11 c0 fe
fd e0 20 19 77 77 08 02 58 02 10 00 00 00 00 7b
c0 fb e2 03 5d
EOF2
"$AMPSHARE_BIN" decode "$tmp/bad.txt" >"$tmp/bad.out" 2>/dev/null
cat >"$tmp/bad.want" <<'EOF2'
L2: error: column 4 is not hex; line skipped
0000 L3: error: garbage skipped (2 bytes)
0002 L3: error: bad escape (DB not followed by DC or DD), frame dropped (15 bytes)
0019 L4: error: overlong frame (more than 20 bytes) dropped (21 bytes)
0042 L5 t=1234: slave_linkready v2 1839 sign=52 max=32.00A checksum ok
0061 L6: slave_heartbeat v2 2019->7777 state=08(starting) limit=6.00A actual=5.28A checksum ok
0080 L7: error: incomplete frame or garbage at end of input (4 bytes)
EOF2
diff -u "$tmp/bad.want" "$tmp/bad.out" || fail "inline errors"
"$AMPSHARE_BIN" decode --json "$tmp/bad.txt" 2>/dev/null | "$PYTHON" -c '
import json, sys
ev = [json.loads(l)["event"] for l in sys.stdin]
assert ev == ["bad_hex", "garbage", "bad_escape", "overlong", "frame", "frame", "incomplete"], ev
'

# 5b. Hostile text fields (issue 17): a serial report whose bytes are a terminal escape, a C1
# CSI, invalid UTF-8, a quote, a backslash and BEL. Text output shows them as \xNN and never
# raw; --json is strict JSON and valid UTF-8 (RFC 8259).
hostile=$("$PYTHON" -c '
b = bytes([0xfd, 0xed, 0x20, 0x19]) + b"\x1b[2J\xc2\x9b\xff\"\\\x07A" + bytes(4)
print((b + bytes([sum(b[1:]) & 0xff])).hex(" "))')
echo "$hostile" | "$AMPSHARE_BIN" decode >"$tmp/h.out" 2>/dev/null
"$PYTHON" - "$tmp/h.out" <<'PY' || fail "hostile text output"
import sys
b = open(sys.argv[1], "rb").read()
b.decode("utf-8")
bad = [c for c in b if (c < 0x20 and c != 0x0a) or c == 0x7f]
assert not bad, ("raw control bytes", b)
assert b"\x9b" not in b.replace(b"\\x", b""), b
want = b'tsn="\\x1b[2J\\xc2\\x9b\\xff\\"\\\\\\x07A"'
assert want in b, (want, b)
PY
echo "$hostile" | "$AMPSHARE_BIN" decode --json 2>/dev/null | "$PYTHON" -c '
import json, sys
raw = sys.stdin.buffer.read()
text = raw.decode("utf-8")  # strict: invalid UTF-8 raises
d = json.loads(text)         # strict: raw control characters raise
assert d["tsn"] == "\x1b[2J\x9b\ufffd\"\\\x07A", repr(d["tsn"])
' || fail "hostile --json"

# 6. Arguments.
"$AMPSHARE_BIN" decode --help | grep -q "usage: ampshare decode" || fail "--help"
set +e
"$AMPSHARE_BIN" decode --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option exit"
"$AMPSHARE_BIN" decode "$tmp/missing" >/dev/null 2>"$tmp/e"; [ $? -eq 1 ] || fail "missing file exit"
set -e
grep -q "missing: No such file" "$tmp/e" || fail "missing file message"
echo "decode cli: ok"
