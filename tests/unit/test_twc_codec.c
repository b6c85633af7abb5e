/* SPDX-License-Identifier: MIT */
/*
 * The TWC codec: checksum, kind table, decode and encode of every kind of twc-gen2.md §4.2 from
 * literal vectors (captures from §8 and hand-made bodies whose checksums were summed by hand),
 * SLIP escaping of limits that need it, lengths, and error codes.
 */
#include <string.h>

#include <check.h>

#include "drivers/base/amp_err.h"
#include "drivers/twc/twc_codec.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

static size_t hex(const char *text, uint8_t *out, size_t cap)
{
    int n = amp_test_hex(text, out, cap);
    ck_assert_int_ge(n, 0);
    return (size_t)n;
}

START_TEST(test_checksum_of_seed_frames_matches_capture)
{
    /* §3: the three frames of the seed. */
    uint8_t b[TWC_BODY_MAX];
    size_t n = hex("fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1", b, sizeof(b));
    ck_assert_uint_eq(twc_checksum(b, n), 0xa1);
    n = hex("fc e1 03 5d 39 00 00 00 00 00 00 00 00 7a", b, sizeof(b));
    ck_assert_uint_eq(twc_checksum(b, n), 0x7a);
    n = hex("fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d", b, sizeof(b));
    ck_assert_uint_eq(twc_checksum(b, n), 0x1d);
}

END_TEST

START_TEST(test_checksum_leaves_out_type_byte_and_itself)
{
    /* Type byte FF and checksum byte FF change nothing; 01+02 = 03. */
    const uint8_t b[] = {0xff, 0x01, 0x02, 0xff};
    ck_assert_uint_eq(twc_checksum(b, sizeof(b)), 0x03);
    /* The sum wraps: 80 + 80 + 01 = 0x101 -> 01. */
    const uint8_t c[] = {0x00, 0x80, 0x80, 0x01, 0x55};
    ck_assert_uint_eq(twc_checksum(c, sizeof(c)), 0x01);
}

END_TEST

struct kind_row {
    enum twc_kind kind;
    uint16_t code;
    const char *name;
};

// clang-format off
static const struct kind_row kind_rows[] = {
    {TWC_KIND_MASTER_LINKREADY1, 0xFCE1, "master_linkready1"},
    {TWC_KIND_MASTER_LINKREADY2, 0xFBE2, "master_linkready2"},
    {TWC_KIND_SLAVE_LINKREADY, 0xFDE2, "slave_linkready"},
    {TWC_KIND_MASTER_HEARTBEAT, 0xFBE0, "master_heartbeat"},
    {TWC_KIND_SLAVE_HEARTBEAT, 0xFDE0, "slave_heartbeat"},
    {TWC_KIND_MASTER_IDLE, 0xFC1D, "master_idle"},
    {TWC_KIND_METER_QUERY, 0xFBEB, "meter_query"},
    {TWC_KIND_METER_REPORT, 0xFDEB, "meter_report"},
    {TWC_KIND_VERSION_QUERY, 0xFBEC, "version_query"},
    {TWC_KIND_VERSION_REPORT, 0xFDEC, "version_report"},
    {TWC_KIND_SERIAL_QUERY, 0xFBED, "serial_query"},
    {TWC_KIND_SERIAL_REPORT, 0xFDED, "serial_report"},
    {TWC_KIND_VIN_QUERY_1, 0xFBEE, "vin_query_1"},
    {TWC_KIND_VIN_QUERY_2, 0xFBEF, "vin_query_2"},
    {TWC_KIND_VIN_QUERY_3, 0xFBF1, "vin_query_3"},
    {TWC_KIND_VIN_REPORT_1, 0xFDEE, "vin_report_1"},
    {TWC_KIND_VIN_REPORT_2, 0xFDEF, "vin_report_2"},
    {TWC_KIND_VIN_REPORT_3, 0xFDF1, "vin_report_3"},
    {TWC_KIND_START_CHARGING, 0xFCB1, "start_charging"},
    {TWC_KIND_STOP_CHARGING, 0xFCB2, "stop_charging"},
    {TWC_KIND_START_CHARGING_ACK, 0xFDB1, "start_charging_ack"},
    {TWC_KIND_STOP_CHARGING_ACK, 0xFDB2, "stop_charging_ack"},
    {TWC_KIND_PLUG_STATE_QUERY, 0xFBB4, "plug_state_query"},
    {TWC_KIND_PLUG_STATE_REPORT, 0xFDB4, "plug_state_report"},
    {TWC_KIND_TSN_QUERY_OLD, 0xFB19, "tsn_query_old"},
    {TWC_KIND_TSN_REPORT_OLD, 0xFD19, "tsn_report_old"},
    {TWC_KIND_MODEL_QUERY_OLD, 0xFB1A, "model_query_old"},
    {TWC_KIND_MODEL_REPORT_OLD, 0xFD1A, "model_report_old"},
    {TWC_KIND_FW_QUERY_OLD, 0xFB1B, "fw_query_old"},
    {TWC_KIND_FW_REPORT_OLD, 0xFD1B, "fw_report_old"},
};

// clang-format on

START_TEST(test_kind_table_maps_codes_names_both_ways)
{
    const struct kind_row *r = &kind_rows[_i];
    ck_assert_int_eq(twc_kind_of_code(r->code), r->kind);
    ck_assert_uint_eq(twc_code_of_kind(r->kind), r->code);
    ck_assert_str_eq(twc_kind_name(r->kind), r->name);
}

END_TEST

START_TEST(test_kind_table_unknown_codes_and_kinds)
{
    ck_assert_int_eq((int)(sizeof(kind_rows) / sizeof(kind_rows[0])), TWC_KIND_COUNT - 1);
    ck_assert_int_eq(twc_kind_of_code(0xFBA4), TWC_KIND_UNKNOWN); /* §4.2: not decoded */
    ck_assert_int_eq(twc_kind_of_code(0xFC19), TWC_KIND_UNKNOWN); /* §4.2 never send */
    ck_assert_int_eq(twc_kind_of_code(0x0000), TWC_KIND_UNKNOWN);
    ck_assert_uint_eq(twc_code_of_kind(TWC_KIND_UNKNOWN), 0);
    ck_assert_uint_eq(twc_code_of_kind(TWC_KIND_COUNT), 0);
    ck_assert_str_eq(twc_kind_name(TWC_KIND_UNKNOWN), "unknown");
    ck_assert_str_eq(twc_kind_name(TWC_KIND_COUNT), "unknown");
}

END_TEST

/* One vector: a body and the fields it decodes to (literals). */
struct vec {
    const char *what;
    const char *body;
    struct twc_msg want; /* kind, code, body_len, proto, IDs, u; checksum_ok is implied */
};

#define LR(s, ca)         .u.linkready = {.sign = (s), .max_ca = (ca)}
#define MHB(c, ca, p)     .u.mhb = {.cmd = (c), .amps_ca = (ca), .master_plugged = (p)}
#define SHB(st, lim, act) .u.shb = {.state = (st), .limit_ca = (lim), .actual_ca = (act)}
#define IDS2(s, d)        .has_src = true, .has_dst = true, .src = (s), .dst = (d)
#define IDS1(s)           .has_src = true, .src = (s)
#define TXT(str)          .u.text = {.text = str, .len = sizeof(str) - 1}
#define K(k, c, n, p)     .kind = (k), .code = (c), .body_len = (n), .proto = (p)

// clang-format off
static const struct vec vecs[] = {
    /* §8 row 2 (seed): master linkready1 v1, real master 035D. */
    {"seed fc e1", "fc e1 03 5d 39 00 00 00 00 00 00 00 00 7a",
     {K(TWC_KIND_MASTER_LINKREADY1, 0xFCE1, 14, 1), IDS1(0x035d), LR(0x39, 0)}},
    /* §8 row 1 (seed): master linkready2 v1. */
    {"seed fb e2", "fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1",
     {K(TWC_KIND_MASTER_LINKREADY2, 0xFBE2, 14, 1), IDS1(0x035d), LR(0x5f, 0)}},
    /* §8: ESP32 16-byte linkready1 with bytes 5-6 = 40 06 as sent. */
    {"esp32 fc e1 16", "fc e1 32 ab 77 40 06 00 00 00 00 00 00 00 00 7b",
     {K(TWC_KIND_MASTER_LINKREADY1, 0xFCE1, 16, 2), IDS1(0x32ab), LR(0x77, 0x4006)}},
    /* Hand-made v1 slave linkready, 32.00 A (0c 80, §4.3). */
    {"slave lr v1", "fd e2 03 2e 52 0c 80 00 00 00 00 00 00 f1",
     {K(TWC_KIND_SLAVE_LINKREADY, 0xFDE2, 14, 1), IDS1(0x032e), LR(0x52, 3200)}},
    /* §8 row 4: slave linkready v2, 1839, sign 52, 32.00 A. */
    {"slave lr v2", "fd e2 18 39 52 0c 80 00 00 00 00 00 00 00 00 11",
     {K(TWC_KIND_SLAVE_LINKREADY, 0xFDE2, 16, 2), IDS1(0x1839), LR(0x52, 3200)}},
    /* §8 row 3 (seed): idle frame, no IDs. */
    {"seed idle", "fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d",
     {K(TWC_KIND_MASTER_IDLE, 0xFC1D, 14, 1)}},
    /* P1 data 05 0f a0 (§8): master heartbeat v1, 40.00 A. */
    {"mhb v1 40A", "fb e0 77 77 03 5d 05 0f a0 00 00 00 00 e2",
     {K(TWC_KIND_MASTER_HEARTBEAT, 0xFBE0, 14, 1), IDS2(0x7777, 0x035d), MHB(0x05, 4000, 0)}},
    /* P1 data 05 07 d0 01: 20.00 A, master plugged in. */
    {"mhb v1 plugged", "fb e0 77 77 03 5d 05 07 d0 01 00 00 00 0b",
     {K(TWC_KIND_MASTER_HEARTBEAT, 0xFBE0, 14, 1), IDS2(0x7777, 0x035d), MHB(0x05, 2000, 1)}},
    /* P1 data 02 04: error, bitmap 04 in d1. */
    {"mhb v1 error", "fb e0 77 77 03 5d 02 04 00 00 00 00 00 34",
     {K(TWC_KIND_MASTER_HEARTBEAT, 0xFBE0, 14, 1), IDS2(0x7777, 0x035d), MHB(0x02, 0x0400, 0)}},
    /* §8: TWCManager cmd 09, 32.00 A, v2. */
    {"mhb v2 09 32A", "fb e0 77 77 40 85 09 0c 80 00 00 00 00 00 00 28",
     {K(TWC_KIND_MASTER_HEARTBEAT, 0xFBE0, 16, 2), IDS2(0x7777, 0x4085), MHB(0x09, 3200, 0)}},
    /* §8: cmd 05, 22.00 A in a 16-byte frame. */
    {"mhb v2 05 22A", "fb e0 77 77 02 2c 05 08 98 00 00 00 00 00 00 a1",
     {K(TWC_KIND_MASTER_HEARTBEAT, 0xFBE0, 16, 2), IDS2(0x7777, 0x022c), MHB(0x05, 2200, 0)}},
    /* §5.1 P1 table: 08 12 c0 = 48.00 A, needs escaping on the wire. */
    {"mhb v2 08 48A", "fb e0 77 77 20 19 08 12 c0 00 00 00 00 00 00 e1",
     {K(TWC_KIND_MASTER_HEARTBEAT, 0xFBE0, 16, 2), IDS2(0x7777, 0x2019), MHB(0x08, 4800, 0)}},
    /* §8 row 9: slave heartbeat v1, state 02, limit 0, actual 16.86 A. */
    {"shb v1", "fd e0 02 2c 77 77 02 00 00 06 96 00 00 9a",
     {K(TWC_KIND_SLAVE_HEARTBEAT, 0xFDE0, 14, 1), IDS2(0x022c, 0x7777), SHB(0x02, 0, 1686)}},
    /* §5.2: idle slave data 00 00 00 00 19 00 00 (0.25 A offset). */
    {"shb v1 idle", "fd e0 03 5d 77 77 00 00 00 00 19 00 00 47",
     {K(TWC_KIND_SLAVE_HEARTBEAT, 0xFDE0, 14, 1), IDS2(0x035d, 0x7777), SHB(0x00, 0, 25)}},
    /* §8 row 8: state 08, limit 6.00 A, actual 5.28 A. */
    {"shb v2", "fd e0 20 19 77 77 08 02 58 02 10 00 00 00 00 7b",
     {K(TWC_KIND_SLAVE_HEARTBEAT, 0xFDE0, 16, 2), IDS2(0x2019, 0x7777), SHB(0x08, 600, 528)}},
    /* Hand-made 16-byte FB EB and TWCManager's 15-byte form (§7.5). */
    {"meter query 16", "fb eb 77 77 25 87 00 00 00 00 00 00 00 00 00 85",
     {K(TWC_KIND_METER_QUERY, 0xFBEB, 16, 2), IDS2(0x7777, 0x2587)}},
    {"meter query 15", "fb eb 77 77 25 87 00 00 00 00 00 00 00 00 85",
     {K(TWC_KIND_METER_QUERY, 0xFBEB, 15, 0), IDS2(0x7777, 0x2587)}},
    /* §8 row 12: 20-byte FD EB, 924, 246/240/246 V, currents 0. */
    {"meter report 20", "fd eb 25 87 00 00 03 9c 00 f6 00 f0 00 f6 00 00 00 00 00 12",
     {K(TWC_KIND_METER_REPORT, 0xFDEB, 20, 2), IDS1(0x2587),
      .u.meter = {.energy_raw = 924, .voltage_v = {246, 240, 246}, .has_currents = true}}},
    /* Hand-made: the same with currents 16.0, 16.5, 0.5 A (0x20, 0x21, 0x01 half-amps). */
    {"meter report 20 i", "fd eb 25 87 00 00 03 9c 00 f6 00 f0 00 f6 20 21 01 00 00 54",
     {K(TWC_KIND_METER_REPORT, 0xFDEB, 20, 2), IDS1(0x2587),
      .u.meter = {.energy_raw = 924, .voltage_v = {246, 240, 246}, .has_currents = true,
                  .current_half_a = {0x20, 0x21, 0x01}}}},
    /* Hand-made 16-byte form: voltages then one zero (§9 #4). */
    {"meter report 16", "fd eb 25 87 00 00 03 9c 00 f6 00 f0 00 f6 00 12",
     {K(TWC_KIND_METER_REPORT, 0xFDEB, 16, 2), IDS1(0x2587),
      .u.meter = {.energy_raw = 924, .voltage_v = {246, 240, 246}}}},
    /* §8 row 18: master 6061, raw energy 10,690,796, 241 V. */
    {"meter report 6061", "fd eb 60 61 00 a3 20 ec 00 f1 00 00 00 00 00 00 00 00 00 4c",
     {K(TWC_KIND_METER_REPORT, 0xFDEB, 20, 2), IDS1(0x6061),
      .u.meter = {.energy_raw = 10690796, .voltage_v = {241, 0, 0}, .has_currents = true}}},
    {"version query", "fb ec 77 77 60 90 00 00 00 00 00 00 00 00 00 ca",
     {K(TWC_KIND_VERSION_QUERY, 0xFBEC, 16, 2), IDS2(0x7777, 0x6090)}},
    /* §8 row 16: firmware 4.5.3.2. */
    {"version report", "fd ec 60 90 04 05 03 02 00 00 00 00 00 00 00 ea",
     {K(TWC_KIND_VERSION_REPORT, 0xFDEC, 16, 2), IDS1(0x6090), .u.version = {{4, 5, 3, 2}}}},
    {"serial query", "fb ed 77 77 60 90 00 00 00 00 00 00 00 00 00 cb",
     {K(TWC_KIND_SERIAL_QUERY, 0xFBED, 16, 2), IDS2(0x7777, 0x6090)}},
    {"serial report", "fd ed 60 90 41 31 38 46 31 32 33 34 35 36 37 00 00 00 00 39",
     {K(TWC_KIND_SERIAL_REPORT, 0xFDED, 20, 2), IDS1(0x6090), TXT("A18F1234567")}},
    /* §8: TWCManager's 15-byte VIN queries and jnicolson's 13-byte one. */
    {"vin query 1 (15)", "fb ee 77 77 20 19 00 00 00 00 00 00 00 00 15",
     {K(TWC_KIND_VIN_QUERY_1, 0xFBEE, 15, 0), IDS2(0x7777, 0x2019)}},
    {"vin query 2 (15)", "fb ef 77 77 20 19 00 00 00 00 00 00 00 00 16",
     {K(TWC_KIND_VIN_QUERY_2, 0xFBEF, 15, 0), IDS2(0x7777, 0x2019)}},
    {"vin query 3 (15)", "fb f1 77 77 20 19 00 00 00 00 00 00 00 00 18",
     {K(TWC_KIND_VIN_QUERY_3, 0xFBF1, 15, 0), IDS2(0x7777, 0x2019)}},
    {"vin query 1 (13)", "fb ee 32 ab 87 25 00 00 00 00 00 00 77",
     {K(TWC_KIND_VIN_QUERY_1, 0xFBEE, 13, 0), IDS2(0x32ab, 0x8725)}},
    {"vin query 1 (16)", "fb ee 77 77 60 90 00 00 00 00 00 00 00 00 00 cc",
     {K(TWC_KIND_VIN_QUERY_1, 0xFBEE, 16, 2), IDS2(0x7777, 0x6090)}},
    /* §8 row 17: empty VIN part 1 from a native master. */
    {"vin report 1 empty", "fd ee 60 90 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 de",
     {K(TWC_KIND_VIN_REPORT_1, 0xFDEE, 20, 2), IDS1(0x6090)}},
    {"vin report 1", "fd ee 60 90 35 59 4a 33 45 31 45 00 00 00 00 00 00 00 00 a4",
     {K(TWC_KIND_VIN_REPORT_1, 0xFDEE, 20, 2), IDS1(0x6090), TXT("5YJ3E1E")}},
    {"vin report 2", "fd ef 60 90 41 37 4b 46 31 32 33 00 00 00 00 00 00 00 00 7e",
     {K(TWC_KIND_VIN_REPORT_2, 0xFDEF, 20, 2), IDS1(0x6090), TXT("A7KF123")}},
    {"vin report 3", "fd f1 60 90 34 35 36 00 00 00 00 00 00 00 00 00 00 00 00 80",
     {K(TWC_KIND_VIN_REPORT_3, 0xFDF1, 20, 2), IDS1(0x6090), TXT("456")}},
    {"start charging", "fc b1 77 77 58 50 00 00 00 00 00 00 00 00 00 47",
     {K(TWC_KIND_START_CHARGING, 0xFCB1, 16, 2), IDS2(0x7777, 0x5850)}},
    {"stop charging", "fc b2 77 77 58 50 00 00 00 00 00 00 00 00 00 48",
     {K(TWC_KIND_STOP_CHARGING, 0xFCB2, 16, 2), IDS2(0x7777, 0x5850)}},
    /* §8 rows 14-15: acks from 5850. */
    {"start ack", "fd b1 58 50 00 00 00 00 00 00 00 00 00 00 00 59",
     {K(TWC_KIND_START_CHARGING_ACK, 0xFDB1, 16, 2), IDS1(0x5850)}},
    {"stop ack", "fd b2 58 50 00 00 00 00 00 00 00 00 00 00 00 5a",
     {K(TWC_KIND_STOP_CHARGING_ACK, 0xFDB2, 16, 2), IDS1(0x5850)}},
    /* §4.2: FB B4 with IDs 0000/0000 (craigpeacock). */
    {"plug state query", "fb b4 00 00 00 00 00 00 00 00 00 00 00 00 00 b4",
     {K(TWC_KIND_PLUG_STATE_QUERY, 0xFBB4, 16, 2), IDS2(0, 0)}},
    {"plug state report", "fd b4 58 50 01 00 00 00 00 00 00 00 00 00 00 5d",
     {K(TWC_KIND_PLUG_STATE_REPORT, 0xFDB4, 16, 2), IDS1(0x5850), .u.plug_state = 1}},
    {"tsn query old", "fb 19 00 00 00 00 00 00 00 00 00 00 00 19",
     {K(TWC_KIND_TSN_QUERY_OLD, 0xFB19, 14, 1)}},
    {"tsn report old", "fd 19 41 31 38 46 31 32 33 34 35 36 37 75",
     {K(TWC_KIND_TSN_REPORT_OLD, 0xFD19, 14, 1), TXT("A18F1234567")}},
    {"model query old", "fb 1a 00 00 00 00 00 00 00 00 00 00 00 1a",
     {K(TWC_KIND_MODEL_QUERY_OLD, 0xFB1A, 14, 1)}},
    {"model report old", "fd 1a 31 30 30 34 37 31 36 00 00 00 00 7d",
     {K(TWC_KIND_MODEL_REPORT_OLD, 0xFD1A, 14, 1), TXT("1004716")}},
    {"fw query old", "fb 1b 77 77 58 50 00 00 00 00 00 00 00 b1",
     {K(TWC_KIND_FW_QUERY_OLD, 0xFB1B, 14, 1), IDS2(0x7777, 0x5850)}},
    {"fw report old", "fd 1b 04 05 03 00 00 00 00 00 00 00 00 27",
     {K(TWC_KIND_FW_REPORT_OLD, 0xFD1B, 14, 1), .u.version = {{4, 5, 3, 0}}}},
};

// clang-format on

static void check_fields(const struct twc_msg *got, const struct twc_msg *want)
{
    ck_assert_int_eq(got->kind, want->kind);
    ck_assert_uint_eq(got->code, want->code);
    ck_assert_uint_eq(got->body_len, want->body_len);
    ck_assert_uint_eq(got->proto, want->proto);
    ck_assert_int_eq(got->has_src, want->has_src);
    ck_assert_int_eq(got->has_dst, want->has_dst);
    ck_assert_uint_eq(got->src, want->src);
    ck_assert_uint_eq(got->dst, want->dst);
    switch (want->kind) {
    case TWC_KIND_MASTER_LINKREADY1:
    case TWC_KIND_MASTER_LINKREADY2:
    case TWC_KIND_SLAVE_LINKREADY:
        ck_assert_uint_eq(got->u.linkready.sign, want->u.linkready.sign);
        ck_assert_uint_eq(got->u.linkready.max_ca, want->u.linkready.max_ca);
        break;
    case TWC_KIND_MASTER_HEARTBEAT:
        ck_assert_uint_eq(got->u.mhb.cmd, want->u.mhb.cmd);
        ck_assert_uint_eq(got->u.mhb.amps_ca, want->u.mhb.amps_ca);
        ck_assert_uint_eq(got->u.mhb.master_plugged, want->u.mhb.master_plugged);
        break;
    case TWC_KIND_SLAVE_HEARTBEAT:
        ck_assert_uint_eq(got->u.shb.state, want->u.shb.state);
        ck_assert_uint_eq(got->u.shb.limit_ca, want->u.shb.limit_ca);
        ck_assert_uint_eq(got->u.shb.actual_ca, want->u.shb.actual_ca);
        break;
    case TWC_KIND_METER_REPORT:
        ck_assert_uint_eq(got->u.meter.energy_raw, want->u.meter.energy_raw);
        ck_assert_mem_eq(got->u.meter.voltage_v, want->u.meter.voltage_v,
                         sizeof(want->u.meter.voltage_v));
        ck_assert_int_eq(got->u.meter.has_currents, want->u.meter.has_currents);
        ck_assert_mem_eq(got->u.meter.current_half_a, want->u.meter.current_half_a, 3);
        break;
    case TWC_KIND_VERSION_REPORT:
    case TWC_KIND_FW_REPORT_OLD:
        ck_assert_mem_eq(got->u.version.v, want->u.version.v, 4);
        break;
    case TWC_KIND_SERIAL_REPORT:
    case TWC_KIND_VIN_REPORT_1:
    case TWC_KIND_VIN_REPORT_2:
    case TWC_KIND_VIN_REPORT_3:
    case TWC_KIND_TSN_REPORT_OLD:
    case TWC_KIND_MODEL_REPORT_OLD:
        ck_assert_uint_eq(got->u.text.len, want->u.text.len);
        ck_assert_str_eq(got->u.text.text, want->u.text.text);
        break;
    case TWC_KIND_PLUG_STATE_REPORT:
        ck_assert_uint_eq(got->u.plug_state, want->u.plug_state);
        break;
    default:
        break;
    }
}

START_TEST(test_decode_vector_gives_literal_fields)
{
    const struct vec *v = &vecs[_i];
    uint8_t b[TWC_BODY_MAX];
    size_t n = hex(v->body, b, sizeof(b));
    struct twc_msg m;
    ck_assert_msg(twc_decode(b, n, &m) == 0, "%s", v->what);
    check_fields(&m, &v->want);
    ck_assert(m.checksum_ok);
    ck_assert(!m.pad_nonzero);
    ck_assert_mem_eq(m.body, b, n);
}

END_TEST

START_TEST(test_encode_vector_from_fields_is_byte_exact)
{
    const struct vec *v = &vecs[_i];
    uint8_t want[TWC_BODY_MAX];
    size_t n = hex(v->body, want, sizeof(want));
    /* Only the kind, length and fields go in; code, flags and the checksum come out. */
    struct twc_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = v->want.kind;
    m.body_len = v->want.body_len;
    m.src = v->want.src;
    m.dst = v->want.dst;
    m.u = v->want.u;
    uint8_t out[TWC_BODY_MAX];
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), (int)n);
    ck_assert_mem_eq(out, want, n);
    ck_assert_mem_eq(m.body, want, n);
    check_fields(&m, &v->want);
    ck_assert(m.checksum_ok);
}

END_TEST

/* Encodes a master heartbeat and wraps it with a FE trailer. */
static size_t heartbeat_wire(uint16_t dst, uint8_t cmd, uint16_t amps_ca, size_t len, uint8_t *wire)
{
    struct twc_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = TWC_KIND_MASTER_HEARTBEAT;
    m.body_len = (uint8_t)len;
    m.src = 0x7777;
    m.dst = dst;
    m.u.mhb.cmd = cmd;
    m.u.mhb.amps_ca = amps_ca;
    uint8_t body[TWC_BODY_MAX];
    ck_assert_int_eq(twc_encode_body(&m, body, sizeof(body)), (int)len);
    int w = twc_frame_wrap(body, len, 0xFE, wire, TWC_WIRE_MAX);
    ck_assert_int_gt(w, 0);
    return (size_t)w;
}

/* Deframes wire in one go; expects exactly one frame whose body is want. */
static void check_deframes_to(const uint8_t *wire, size_t n, const char *want_body)
{
    uint8_t want[TWC_BODY_MAX];
    size_t wn = hex(want_body, want, sizeof(want));
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct twc_df_event ev;
    size_t used = 0;
    ck_assert_int_eq(twc_deframer_push(&d, wire, n, &used, &ev), 1);
    ck_assert_int_eq(ev.type, TWC_DF_FRAME);
    ck_assert_uint_eq(ev.len, wn);
    ck_assert_mem_eq(ev.body, want, wn);
    ck_assert_int_eq(twc_deframer_push(&d, wire + used, n - used, &used, &ev), -EAGAIN);
}

START_TEST(test_limit_48a_goes_on_wire_as_12_db_dc)
{
    /* §2.1: 48.00 A = 12 C0; cdragon's "05 12 c0" reaches the wire as 05 12 DB DC. */
    uint8_t wire[TWC_WIRE_MAX];
    size_t n = heartbeat_wire(0x035d, 0x05, 4800, TWC_BODY_V1, wire);
    uint8_t want[TWC_WIRE_MAX];
    size_t wn = hex("c0 fb e0 77 77 03 5d 05 12 db dc 00 00 00 00 05 c0 fe", want, sizeof(want));
    ck_assert_uint_eq(n, wn);
    ck_assert_mem_eq(wire, want, wn);
    check_deframes_to(wire, n, "fb e0 77 77 03 5d 05 12 c0 00 00 00 00 05");
}

END_TEST

START_TEST(test_limit_40_59a_goes_on_wire_as_0f_db_dd)
{
    /* §2.1: 40.59 A = 0F DB; the data DB becomes DB DD. */
    uint8_t wire[TWC_WIRE_MAX];
    size_t n = heartbeat_wire(0x4085, 0x09, 4059, TWC_BODY_V2, wire);
    uint8_t want[TWC_WIRE_MAX];
    size_t wn =
        hex("c0 fb e0 77 77 40 85 09 0f db dd 00 00 00 00 00 00 86 c0 fe", want, sizeof(want));
    ck_assert_uint_eq(n, wn);
    ck_assert_mem_eq(wire, want, wn);
    check_deframes_to(wire, n, "fb e0 77 77 40 85 09 0f db 00 00 00 00 00 00 86");
}

END_TEST

START_TEST(test_checksum_byte_c0_is_escaped_too)
{
    /* §2.1: escaping covers the checksum. e0+77+77+40+85+09+0c+18 = 0x2c0 -> checksum C0. */
    uint8_t wire[TWC_WIRE_MAX];
    size_t n = heartbeat_wire(0x4085, 0x09, 0x0c18, TWC_BODY_V2, wire);
    uint8_t want[TWC_WIRE_MAX];
    size_t wn =
        hex("c0 fb e0 77 77 40 85 09 0c 18 00 00 00 00 00 00 db dc c0 fe", want, sizeof(want));
    ck_assert_uint_eq(n, wn);
    ck_assert_mem_eq(wire, want, wn);
    check_deframes_to(wire, n, "fb e0 77 77 40 85 09 0c 18 00 00 00 00 00 00 c0");
}

END_TEST

START_TEST(test_worst_case_escaped_frame_fits_wire_max)
{
    /* §2.4: 20 bytes that all need escaping + 2 delimiters + trailer = 43 = TWC_WIRE_MAX. */
    uint8_t body[TWC_BODY_MAX];
    memset(body, TWC_END, sizeof(body));
    uint8_t wire[TWC_WIRE_MAX];
    ck_assert_int_eq(twc_frame_wrap(body, sizeof(body), 0xFE, wire, sizeof(wire)), 43);
    ck_assert_int_eq(twc_frame_wrap(body, sizeof(body), 0xFE, wire, 42), -EMSGSIZE);
    ck_assert_int_eq(twc_frame_wrap(body, sizeof(body), -1, wire, 42), 42);
    ck_assert_int_eq(twc_frame_wrap(body, sizeof(body), 0xC0, wire, sizeof(wire)), -EINVAL);
    ck_assert_int_eq(twc_frame_wrap(body, sizeof(body), 0x100, wire, sizeof(wire)), -EINVAL);
}

END_TEST

START_TEST(test_frame_wrap_without_escapes_adds_delimiters_and_trailer)
{
    const uint8_t body[] = {0xfc, 0x1d, 0x00};
    uint8_t wire[8];
    ck_assert_int_eq(twc_frame_wrap(body, sizeof(body), -1, wire, sizeof(wire)), 5);
    const uint8_t want[] = {0xc0, 0xfc, 0x1d, 0x00, 0xc0};
    ck_assert_mem_eq(wire, want, sizeof(want));
    ck_assert_int_eq(twc_frame_wrap(body, sizeof(body), 0xFF, wire, sizeof(wire)), 6);
    ck_assert_uint_eq(wire[5], 0xff);
}

END_TEST

START_TEST(test_heartbeat_v1_14_v2_16_and_other_lengths)
{
    /* §4.1: 14 bytes = v1, 16 = v2; heartbeats exist only at those lengths. */
    uint8_t b[TWC_BODY_MAX];
    struct twc_msg m;
    size_t n = hex("fd e0 02 2c 77 77 02 00 00 06 96 00 00 9a", b, sizeof(b));
    ck_assert_int_eq(twc_decode(b, n, &m), 0);
    ck_assert_uint_eq(m.proto, 1);
    n = hex("fd e0 20 19 77 77 08 02 58 02 10 00 00 00 00 7b", b, sizeof(b));
    ck_assert_int_eq(twc_decode(b, n, &m), 0);
    ck_assert_uint_eq(m.proto, 2);
    /* A 15-byte FD E0 with a good checksum (e0+20+19+77+77+08+02+58+02+10 = 0x27b): kept raw. */
    n = hex("fd e0 20 19 77 77 08 02 58 02 10 00 00 00 7b", b, sizeof(b));
    ck_assert_int_eq(twc_decode(b, n, &m), -EPROTO);
    ck_assert_int_eq(m.kind, TWC_KIND_UNKNOWN);
    ck_assert_uint_eq(m.code, 0xFDE0);
    ck_assert(!m.has_src);
    ck_assert(m.checksum_ok);
    ck_assert_mem_eq(m.body, b, n);
    ck_assert_uint_eq(twc_proto_of_len(13), 0);
    ck_assert_uint_eq(twc_proto_of_len(14), 1);
    ck_assert_uint_eq(twc_proto_of_len(15), 0);
    ck_assert_uint_eq(twc_proto_of_len(16), 2);
    ck_assert_uint_eq(twc_proto_of_len(20), 2);
    ck_assert_uint_eq(twc_proto_of_len(17), 0);
}

END_TEST

START_TEST(test_kind_len_ok_follows_reference_lengths)
{
    ck_assert(twc_kind_len_ok(TWC_KIND_SLAVE_HEARTBEAT, 14));
    ck_assert(twc_kind_len_ok(TWC_KIND_SLAVE_HEARTBEAT, 16));
    ck_assert(!twc_kind_len_ok(TWC_KIND_SLAVE_HEARTBEAT, 15));
    ck_assert(!twc_kind_len_ok(TWC_KIND_SLAVE_HEARTBEAT, 20));
    ck_assert(twc_kind_len_ok(TWC_KIND_MASTER_IDLE, 14));
    ck_assert(!twc_kind_len_ok(TWC_KIND_MASTER_IDLE, 16));
    ck_assert(twc_kind_len_ok(TWC_KIND_METER_REPORT, 16));
    ck_assert(twc_kind_len_ok(TWC_KIND_METER_REPORT, 20));
    ck_assert(!twc_kind_len_ok(TWC_KIND_METER_REPORT, 18));
    ck_assert(twc_kind_len_ok(TWC_KIND_VIN_QUERY_1, 13));
    ck_assert(twc_kind_len_ok(TWC_KIND_VIN_QUERY_1, 15));
    ck_assert(twc_kind_len_ok(TWC_KIND_VIN_QUERY_1, 20));
    ck_assert(!twc_kind_len_ok(TWC_KIND_VIN_QUERY_1, 12));
    ck_assert(!twc_kind_len_ok(TWC_KIND_VIN_QUERY_1, 21));
    ck_assert(!twc_kind_len_ok(TWC_KIND_SERIAL_REPORT, 15)); /* 11 chars need 16 bytes */
    ck_assert(twc_kind_len_ok(TWC_KIND_SERIAL_REPORT, 16));
    ck_assert(!twc_kind_len_ok(TWC_KIND_UNKNOWN, 16));
}

END_TEST

START_TEST(test_decode_refuses_lengths_outside_13_to_20)
{
    uint8_t b[32] = {0xfd, 0xe0};
    struct twc_msg m;
    ck_assert_int_eq(twc_decode(b, 12, &m), -EMSGSIZE);
    ck_assert_int_eq(twc_decode(b, 21, &m), -EMSGSIZE);
    ck_assert_int_eq(twc_decode(b, 0, &m), -EMSGSIZE);
    ck_assert_int_eq(twc_decode(NULL, 14, &m), -EINVAL);
    ck_assert_int_eq(twc_decode(b, 14, NULL), -EINVAL);
}

END_TEST

START_TEST(test_decode_bad_checksum_still_fills_fields)
{
    /* §8 negative vector: the jnicolson linkready logged with checksum ba instead of 7b. */
    uint8_t b[TWC_BODY_MAX];
    size_t n = hex("fc e1 32 ab 77 40 06 00 00 00 00 00 00 00 00 ba", b, sizeof(b));
    struct twc_msg m;
    ck_assert_int_eq(twc_decode(b, n, &m), -EBADMSG);
    ck_assert(!m.checksum_ok);
    ck_assert_int_eq(m.kind, TWC_KIND_MASTER_LINKREADY1);
    ck_assert_uint_eq(m.src, 0x32ab);
    ck_assert_uint_eq(m.u.linkready.max_ca, 0x4006);
    ck_assert_uint_eq(twc_checksum(b, n), 0x7b);
}

END_TEST

START_TEST(test_corrupt_15_byte_linkready_is_rejected_for_length_and_checksum)
{
    /* §8 row 19: expected_result=reject_length_and_checksum. */
    uint8_t b[TWC_BODY_MAX];
    size_t n = hex("fd e2 00 f2 8b 3f 47 46 f6 ff ff ff ff ff ff", b, sizeof(b));
    struct twc_msg m;
    ck_assert_int_eq(twc_decode(b, n, &m), -EBADMSG);
    ck_assert_int_eq(m.kind, TWC_KIND_UNKNOWN);
    ck_assert(!twc_kind_len_ok(TWC_KIND_SLAVE_LINKREADY, n));
    ck_assert_uint_eq(twc_checksum(b, n), 0x1c);
}

END_TEST

START_TEST(test_unknown_code_is_kept_raw_not_dropped)
{
    /* §4.2: FB A4 (20 bytes on 4.5.3, not decoded). Hand-made data, checksum 0c. */
    uint8_t b[TWC_BODY_MAX];
    size_t n = hex("fb a4 60 90 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 0c", b, sizeof(b));
    struct twc_msg m;
    ck_assert_int_eq(twc_decode(b, n, &m), 0);
    ck_assert_int_eq(m.kind, TWC_KIND_UNKNOWN);
    ck_assert_uint_eq(m.code, 0xFBA4);
    ck_assert_uint_eq(m.body_len, 20);
    ck_assert_uint_eq(m.proto, 2);
    ck_assert(m.checksum_ok);
    ck_assert(!m.has_src);
    ck_assert(!m.has_dst);
    ck_assert_mem_eq(m.body, b, n);
    /* Raw bytes are never re-encoded from fields. */
    uint8_t out[TWC_BODY_MAX];
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), AMP_ERR_FORBIDDEN);
    /* FC 19 (never send, §4.2) is unknown too. */
    n = hex("fc 19 77 77 58 50 00 00 00 00 00 00 00 00 00 af", b, sizeof(b));
    ck_assert_int_eq(twc_decode(b, n, &m), 0);
    ck_assert_int_eq(m.kind, TWC_KIND_UNKNOWN);
    ck_assert_uint_eq(m.code, 0xFC19);
}

END_TEST

START_TEST(test_encode_refuses_bad_kind_length_and_small_buffer)
{
    struct twc_msg m;
    memset(&m, 0, sizeof(m));
    uint8_t out[TWC_BODY_MAX];
    m.kind = TWC_KIND_SLAVE_HEARTBEAT;
    m.body_len = 15;
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), -EINVAL);
    m.body_len = 0;
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), -EINVAL);
    m.body_len = 21;
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), -EINVAL);
    m.body_len = 16;
    ck_assert_int_eq(twc_encode_body(&m, out, 15), -EMSGSIZE);
    ck_assert_int_eq(twc_encode_body(&m, out, 16), 16);
    m.kind = TWC_KIND_COUNT;
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), -EINVAL);
    ck_assert_int_eq(twc_encode_body(NULL, out, sizeof(out)), -EINVAL);
}

END_TEST

START_TEST(test_encode_refuses_fields_the_length_cannot_hold)
{
    struct twc_msg m;
    memset(&m, 0, sizeof(m));
    uint8_t out[TWC_BODY_MAX];
    /* Currents exist only in the 20-byte FD EB (§9 #4). */
    m.kind = TWC_KIND_METER_REPORT;
    m.body_len = 16;
    m.u.meter.has_currents = true;
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), -EINVAL);
    /* VIN part 3 holds 3 characters, part 1 seven. */
    memset(&m, 0, sizeof(m));
    m.kind = TWC_KIND_VIN_REPORT_3;
    m.body_len = 20;
    strcpy(m.u.text.text, "4567");
    m.u.text.len = 4;
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), -EINVAL);
    m.kind = TWC_KIND_VIN_REPORT_1;
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), 20);
    /* A zero inside the declared length would not decode back. */
    m.u.text.text[1] = '\0';
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), -EINVAL);
    /* FD 1B has no build number. */
    memset(&m, 0, sizeof(m));
    m.kind = TWC_KIND_FW_REPORT_OLD;
    m.body_len = 14;
    m.u.version.v[3] = 1;
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), -EINVAL);
}

END_TEST

START_TEST(test_encode_ignores_ids_the_kind_does_not_carry)
{
    struct twc_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = TWC_KIND_MASTER_IDLE;
    m.body_len = 14;
    m.src = 0x1234;
    m.dst = 0x5678;
    uint8_t out[TWC_BODY_MAX];
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), 14);
    uint8_t want[TWC_BODY_MAX];
    size_t n = hex("fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d", want, sizeof(want));
    ck_assert_mem_eq(out, want, n);
    ck_assert(!m.has_src);
    ck_assert_uint_eq(m.src, 0);
    ck_assert_uint_eq(m.dst, 0);
}

END_TEST

START_TEST(test_encode_meter_20_without_currents_writes_zero_currents)
{
    struct twc_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = TWC_KIND_METER_REPORT;
    m.body_len = 20;
    m.src = 0x2587;
    m.u.meter.energy_raw = 924;
    m.u.meter.voltage_v[0] = 246;
    m.u.meter.voltage_v[1] = 240;
    m.u.meter.voltage_v[2] = 246;
    m.u.meter.current_half_a[0] = 7; /* ignored: has_currents is false */
    uint8_t out[TWC_BODY_MAX];
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), 20);
    uint8_t want[TWC_BODY_MAX];
    size_t n =
        hex("fd eb 25 87 00 00 03 9c 00 f6 00 f0 00 f6 00 00 00 00 00 12", want, sizeof(want));
    ck_assert_mem_eq(out, want, n);
    ck_assert(m.u.meter.has_currents);
    ck_assert_uint_eq(m.u.meter.current_half_a[0], 0);
}

END_TEST

START_TEST(test_nonzero_padding_is_flagged_and_kept_in_body)
{
    /* Slave state 02 with a byte where the padding is (the error bytes are undocumented, §5.2).
     * Hand-made: e0+20+19+77+77+02+04 = 0x20d -> 0d. */
    uint8_t b[TWC_BODY_MAX];
    size_t n = hex("fd e0 20 19 77 77 02 00 00 00 00 00 00 04 00 0d", b, sizeof(b));
    struct twc_msg m;
    ck_assert_int_eq(twc_decode(b, n, &m), 0);
    ck_assert_int_eq(m.kind, TWC_KIND_SLAVE_HEARTBEAT);
    ck_assert(m.pad_nonzero);
    ck_assert_uint_eq(m.u.shb.state, 0x02);
    ck_assert_mem_eq(m.body, b, n);
    /* Encoding from fields writes zero padding, with its own checksum: e0+20+19+77+77+02. */
    uint8_t out[TWC_BODY_MAX];
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), 16);
    uint8_t want[TWC_BODY_MAX];
    hex("fd e0 20 19 77 77 02 00 00 00 00 00 00 00 00 09", want, sizeof(want));
    ck_assert_mem_eq(out, want, n);
    ck_assert(!m.pad_nonzero);
}

END_TEST

START_TEST(test_text_after_its_first_zero_is_padding)
{
    /* VIN part 1 "A", a zero, then "B": the text is "A"; the B is nonzero padding. */
    uint8_t b[TWC_BODY_MAX];
    size_t n = hex("fd ee 60 90 41 00 42 00 00 00 00 00 00 00 00 00 00 00 00 61", b, sizeof(b));
    struct twc_msg m;
    ck_assert_int_eq(twc_decode(b, n, &m), 0);
    ck_assert_str_eq(m.u.text.text, "A");
    ck_assert_uint_eq(m.u.text.len, 1);
    ck_assert(m.pad_nonzero);
}

END_TEST

START_TEST(test_text_keeps_non_ascii_bytes)
{
    /* Model text 0xff 0x01 (hand-made; 1a+ff+01 = 0x11a -> 1a): bytes kept as they are. */
    uint8_t b[TWC_BODY_MAX];
    size_t n = hex("fd 1a ff 01 00 00 00 00 00 00 00 00 00 1a", b, sizeof(b));
    struct twc_msg m;
    ck_assert_int_eq(twc_decode(b, n, &m), 0);
    ck_assert_uint_eq(m.u.text.len, 2);
    ck_assert_uint_eq((uint8_t)m.u.text.text[0], 0xff);
    ck_assert_uint_eq((uint8_t)m.u.text.text[1], 0x01);
    uint8_t out[TWC_BODY_MAX];
    ck_assert_int_eq(twc_encode_body(&m, out, sizeof(out)), 14);
    ck_assert_mem_eq(out, b, n);
}

END_TEST

START_TEST(test_milliamps_conversion_is_exact_and_rounds_down)
{
    ck_assert_int_eq(twc_ca_to_ma(600), 6000);
    ck_assert_int_eq(twc_ca_to_ma(528), 5280);
    ck_assert_int_eq(twc_ca_to_ma(0xFFFF), 655350);
    ck_assert_uint_eq(twc_ma_to_ca(6000), 600);
    ck_assert_uint_eq(twc_ma_to_ca(32009), 3200); /* down, never up: it becomes a limit */
    ck_assert_uint_eq(twc_ma_to_ca(9), 0);
    ck_assert_uint_eq(twc_ma_to_ca(-5000), 0);
    ck_assert_uint_eq(twc_ma_to_ca(655350), 0xFFFF);
    ck_assert_uint_eq(twc_ma_to_ca(10000000), 0xFFFF);
}

END_TEST

static Suite *twc_codec_suite(void)
{
    Suite *s = suite_create("twc_codec");
    TCase *tc = tcase_create("checksum");
    tcase_add_test(tc, test_checksum_of_seed_frames_matches_capture);
    tcase_add_test(tc, test_checksum_leaves_out_type_byte_and_itself);
    suite_add_tcase(s, tc);

    tc = tcase_create("kinds");
    tcase_add_loop_test(tc, test_kind_table_maps_codes_names_both_ways, 0,
                        (int)(sizeof(kind_rows) / sizeof(kind_rows[0])));
    tcase_add_test(tc, test_kind_table_unknown_codes_and_kinds);
    tcase_add_test(tc, test_kind_len_ok_follows_reference_lengths);
    suite_add_tcase(s, tc);

    tc = tcase_create("vectors");
    int nv = (int)(sizeof(vecs) / sizeof(vecs[0]));
    tcase_add_loop_test(tc, test_decode_vector_gives_literal_fields, 0, nv);
    tcase_add_loop_test(tc, test_encode_vector_from_fields_is_byte_exact, 0, nv);
    suite_add_tcase(s, tc);

    tc = tcase_create("escaping");
    tcase_add_test(tc, test_limit_48a_goes_on_wire_as_12_db_dc);
    tcase_add_test(tc, test_limit_40_59a_goes_on_wire_as_0f_db_dd);
    tcase_add_test(tc, test_checksum_byte_c0_is_escaped_too);
    tcase_add_test(tc, test_worst_case_escaped_frame_fits_wire_max);
    tcase_add_test(tc, test_frame_wrap_without_escapes_adds_delimiters_and_trailer);
    suite_add_tcase(s, tc);

    tc = tcase_create("lengths_and_errors");
    tcase_add_test(tc, test_heartbeat_v1_14_v2_16_and_other_lengths);
    tcase_add_test(tc, test_decode_refuses_lengths_outside_13_to_20);
    tcase_add_test(tc, test_decode_bad_checksum_still_fills_fields);
    tcase_add_test(tc, test_corrupt_15_byte_linkready_is_rejected_for_length_and_checksum);
    tcase_add_test(tc, test_unknown_code_is_kept_raw_not_dropped);
    tcase_add_test(tc, test_encode_refuses_bad_kind_length_and_small_buffer);
    tcase_add_test(tc, test_encode_refuses_fields_the_length_cannot_hold);
    tcase_add_test(tc, test_encode_ignores_ids_the_kind_does_not_carry);
    tcase_add_test(tc, test_encode_meter_20_without_currents_writes_zero_currents);
    tcase_add_test(tc, test_nonzero_padding_is_flagged_and_kept_in_body);
    tcase_add_test(tc, test_text_after_its_first_zero_is_padding);
    tcase_add_test(tc, test_text_keeps_non_ascii_bytes);
    tcase_add_test(tc, test_milliamps_conversion_is_exact_and_rounds_down);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_codec_suite)
