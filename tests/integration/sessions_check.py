#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks `ampshare sessions --json` and `--csv` output with Python's own parsers.

usage: sessions_check.py JSON_FILE CSV_FILE EXPECT_FILE

EXPECT_FILE is a JSON list of objects: for each row in order, the keys and values it must
have (a subset). The JSON must be strict UTF-8 and a list of objects with exactly the keys of
docs/sessions.md; the CSV (RFC 4180: CRLF records, quoted fields) must have the same keys as
its header and agree with the JSON field by field. Exits 0 when all holds, 1 with a message.
"""
import csv
import datetime
import io
import json
import sys

KEYS = ["id", "charger", "vin", "start", "end", "duration_s", "energy_wh", "energy_source",
        "integrated_wh", "peak_ma", "mean_ma", "charging_s", "charged_until", "end_reason",
        "updated", "id_tag", "transaction_id"]
TIMES = ["start", "end", "charged_until", "updated"]
INTS = ["id", "duration_s", "energy_wh", "integrated_wh", "peak_ma", "mean_ma", "charging_s"]
NULLABLE_INTS = ["transaction_id"]
SOURCES = {"integrated", "twc_counter", "meter"}
REASONS = {None, "unplugged", "full", "controller_restart", "fault", "shutdown"}


def fail(msg):
    print("sessions_check: " + msg)
    sys.exit(1)


def main():
    json_file, csv_file, expect_file = sys.argv[1:4]
    raw = open(json_file, "rb").read()
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        fail("JSON is not valid UTF-8: %s" % e)
    rows = json.loads(text)
    if not isinstance(rows, list):
        fail("JSON is not a list")
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or list(r.keys()) != KEYS:
            fail("row %d keys %s, expected %s" % (i, list(r.keys()), KEYS))
        for k in INTS:
            if type(r[k]) is not int:
                fail("row %d %s is %r, not an integer" % (i, k, r[k]))
        for k in NULLABLE_INTS:
            if r[k] is not None and type(r[k]) is not int:
                fail("row %d %s is %r, not an integer or null" % (i, k, r[k]))
        if r["id_tag"] is not None and type(r["id_tag"]) is not str:
            fail("row %d id_tag is %r" % (i, r["id_tag"]))
        for k in TIMES:
            if r[k] is not None:
                datetime.datetime.strptime(r[k], "%Y-%m-%dT%H:%M:%SZ")
        if r["energy_source"] not in SOURCES or r["end_reason"] not in REASONS:
            fail("row %d source or reason %r %r" % (i, r["energy_source"], r["end_reason"]))
        if (r["end"] is None) != (r["end_reason"] is None):
            fail("row %d: end and end_reason must be null together" % i)

    expect = json.load(open(expect_file, encoding="utf-8"))
    if len(rows) != len(expect):
        fail("%d rows, expected %d" % (len(rows), len(expect)))
    for i, (r, e) in enumerate(zip(rows, expect)):
        for k, v in e.items():
            if r[k] != v:
                fail("row %d %s = %r, expected %r" % (i, k, r[k], v))

    craw = open(csv_file, "rb").read()
    try:
        ctext = craw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        fail("CSV is not valid UTF-8: %s" % e)
    # RFC 4180: every record ends in CRLF (line breaks inside quoted fields are data)
    if not ctext.endswith("\r\n"):
        fail("CSV does not end with CRLF")
    records = list(csv.reader(io.StringIO(ctext, newline=""), strict=True))
    if records[0] != KEYS:
        fail("CSV header %s" % records[0])
    if len(records) - 1 != len(rows):
        fail("CSV has %d rows, JSON %d" % (len(records) - 1, len(rows)))
    for i, (rec, r) in enumerate(zip(records[1:], rows)):
        if len(rec) != len(KEYS):
            fail("CSV row %d has %d fields" % (i, len(rec)))
        for k, field in zip(KEYS, rec):
            want = "" if r[k] is None else str(r[k])
            if field != want:
                fail("CSV row %d %s = %r, JSON %r" % (i, k, field, want))
    print("sessions_check: %d rows agree in JSON and CSV" % len(rows))


main()
