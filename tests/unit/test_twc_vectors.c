/* SPDX-License-Identifier: MIT */
/*
 * Every captured frame of tests/vectors/twc-frames-public.tsv (twc-gen2.md §8), read at run time:
 * each decoded_fields key is checked against the decoder, good rows re-encode byte-exact from
 * their fields (body and wire), negative rows are rejected as expected_result says. A literal
 * table of the seed frames and a few captures keeps the test honest without the TSV.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "drivers/twc/twc_codec.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

#define TSV_PATH AMP_TEST_VECTORS_DIR "/twc-frames-public.tsv"
#define MAX_ROWS 128

struct row {
    int lineno;
    char hex[256];
    char proto[16];
    char name[64];
    char fields[1024];
};

static struct row rows[MAX_ROWS];
static int nrows;

/* Copies column col of a tab-separated line into out. */
static void column(const char *line, int col, char *out, size_t cap)
{
    const char *p = line;
    for (int c = 0; c < col; c++) {
        p = strchr(p, '\t');
        ck_assert_ptr_nonnull(p);
        p++;
    }
    size_t n = strcspn(p, "\t\r\n");
    ck_assert_uint_lt(n, cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

static void load_rows(void)
{
    FILE *f = fopen(TSV_PATH, "r");
    ck_assert_msg(f != NULL, "cannot open %s", TSV_PATH);
    char line[2048];
    int lineno = 0;
    nrows = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (lineno == 1) {
            static const char header[] = "hex_on_wire\tdirection\tprotocol_version\t"
                                         "message_name\tdecoded_fields\tsource";
            ck_assert_msg(strncmp(line, header, sizeof(header) - 1) == 0, "unexpected header: %s",
                          line);
            continue;
        }
        if (line[0] == '\n' || line[0] == '\0') {
            continue;
        }
        ck_assert_int_lt(nrows, MAX_ROWS);
        struct row *r = &rows[nrows++];
        r->lineno = lineno;
        column(line, 0, r->hex, sizeof(r->hex));
        column(line, 2, r->proto, sizeof(r->proto));
        column(line, 3, r->name, sizeof(r->name));
        column(line, 4, r->fields, sizeof(r->fields));
    }
    fclose(f);
}

/* "32.00" -> 3200: decimal amps with exactly two places, parsed without floats. */
static uint16_t centi(const char *s)
{
    const char *dot = strchr(s, '.');
    ck_assert_msg(dot != NULL && strlen(dot) == 3, "amps '%s' need two decimals", s);
    long whole = strtol(s, NULL, 10);
    long frac = strtol(dot + 1, NULL, 10);
    return (uint16_t)(whole * 100 + frac);
}

static unsigned long hexval(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 16);
    ck_assert_msg(*s != '\0' && *end == '\0', "'%s' is not hex", s);
    return v;
}

static unsigned long decval(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    ck_assert_msg(*s != '\0' && *end == '\0', "'%s' is not decimal", s);
    return v;
}

/* What one row decodes to, with everything the checks need. */
struct got {
    uint8_t wire[64];
    size_t wire_len;
    size_t close; /* index of the closing C0 */
    struct twc_df_event ev;
    struct twc_msg msg;
    int rc;
};

static void decode_row(const struct row *r, struct got *g)
{
    int n = amp_test_hex(r->hex, g->wire, sizeof(g->wire));
    ck_assert_int_gt(n, 0);
    g->wire_len = (size_t)n;
    struct twc_deframer d;
    twc_deframer_init(&d);
    size_t used = 0;
    ck_assert_msg(twc_deframer_push(&d, g->wire, g->wire_len, &used, &g->ev) == 1,
                  "line %d: no frame", r->lineno);
    ck_assert_int_eq(g->ev.type, TWC_DF_FRAME);
    g->close = used - 1;
    ck_assert_uint_eq(g->wire[g->close], 0xc0);
    struct twc_df_event more;
    ck_assert_int_eq(twc_deframer_push(&d, g->wire + used, g->wire_len - used, &used, &more),
                     -EAGAIN);
    g->rc = twc_decode(g->ev.body, g->ev.len, &g->msg);
}

static void check_key(const struct row *r, const struct got *g, const char *key, const char *val)
{
    const struct twc_msg *m = &g->msg;
    const uint8_t *b = g->ev.body;
    size_t len = g->ev.len;
    if (!strcmp(key, "origin") || !strcmp(key, "note") || !strcmp(key, "gap_byte_before") ||
        !strcmp(key, "wire_reconstructed")) {
        return; /* provenance and log notes, nothing on the wire */
    } else if (!strcmp(key, "len")) {
        ck_assert_uint_eq(len, decval(val));
    } else if (!strcmp(key, "src")) {
        if (!strcmp(val, "none")) {
            ck_assert(!m->has_src);
        } else {
            ck_assert(m->has_src);
            ck_assert_uint_eq(m->src, hexval(val));
        }
    } else if (!strcmp(key, "dst")) {
        ck_assert(m->has_dst);
        ck_assert_uint_eq(m->dst, hexval(val));
    } else if (!strcmp(key, "sign")) {
        ck_assert_uint_eq(m->u.linkready.sign, hexval(val));
    } else if (!strcmp(key, "max_a")) {
        ck_assert_int_eq(m->kind, TWC_KIND_SLAVE_LINKREADY);
        ck_assert_uint_eq(m->u.linkready.max_ca, centi(val));
    } else if (!strcmp(key, "bytes5_6")) {
        ck_assert_uint_eq(m->u.linkready.max_ca, hexval(val));
    } else if (!strcmp(key, "state")) {
        ck_assert_int_eq(m->kind, TWC_KIND_SLAVE_HEARTBEAT);
        ck_assert_uint_eq(m->u.shb.state, hexval(val));
    } else if (!strcmp(key, "limit_a")) {
        ck_assert_uint_eq(m->u.shb.limit_ca, centi(val));
    } else if (!strcmp(key, "actual_a")) {
        ck_assert_uint_eq(m->u.shb.actual_ca, centi(val));
    } else if (!strcmp(key, "cmd")) {
        ck_assert_int_eq(m->kind, TWC_KIND_MASTER_HEARTBEAT);
        ck_assert_uint_eq(m->u.mhb.cmd, hexval(val));
    } else if (!strcmp(key, "cmd_amps_a")) {
        ck_assert_uint_eq(m->u.mhb.amps_ca, centi(val));
    } else if (!strcmp(key, "master_plugged")) {
        ck_assert_uint_eq(m->u.mhb.master_plugged, decval(val));
    } else if (!strcmp(key, "energy_raw")) {
        ck_assert_int_eq(m->kind, TWC_KIND_METER_REPORT);
        ck_assert_uint_eq(m->u.meter.energy_raw, decval(val));
    } else if (!strncmp(key, "v_l", 3) && key[3] >= '1' && key[3] <= '3' && !key[4]) {
        ck_assert_uint_eq(m->u.meter.voltage_v[key[3] - '1'], decval(val));
    } else if (!strncmp(key, "i_l", 3) && key[3] >= '1' && key[3] <= '3' &&
               !strcmp(key + 4, "_raw")) {
        ck_assert(m->u.meter.has_currents);
        ck_assert_uint_eq(m->u.meter.current_half_a[key[3] - '1'], hexval(val));
    } else if (!strcmp(key, "pad")) {
        /* The two bytes after the current bytes of the 20-byte FD EB (§9 #4). */
        ck_assert_uint_eq(len, 20);
        ck_assert_uint_eq((unsigned long)(b[17] << 8 | b[18]), hexval(val));
        ck_assert(!m->pad_nonzero);
    } else if (!strcmp(key, "fw")) {
        char fw[32];
        snprintf(fw, sizeof(fw), "%u.%u.%u.%u", m->u.version.v[0], m->u.version.v[1],
                 m->u.version.v[2], m->u.version.v[3]);
        ck_assert_str_eq(fw, val);
    } else if (!strcmp(key, "data")) {
        ck_assert_str_eq(val, "all_zero");
        size_t from = m->has_dst ? 6 : m->has_src ? 4 : 2;
        for (size_t i = from; i + 1 < len; i++) {
            ck_assert_uint_eq(b[i], 0);
        }
        ck_assert(!m->pad_nonzero);
    } else if (!strcmp(key, "checksum")) {
        ck_assert_uint_eq(b[len - 1], hexval(val));
    } else if (!strcmp(key, "checksum_ok")) {
        bool ok = decval(val) == 1;
        ck_assert_int_eq(m->checksum_ok, ok);
        ck_assert_int_eq(g->rc == -EBADMSG, !ok);
    } else if (!strcmp(key, "checksum_expected")) {
        ck_assert_uint_eq(twc_checksum(b, len), hexval(val));
    } else if (!strcmp(key, "expected_result")) {
        ck_assert_int_eq(g->rc, -EBADMSG);
        enum twc_kind k = twc_kind_of_code(m->code);
        if (!strcmp(val, "reject_checksum")) {
            ck_assert(twc_kind_len_ok(k, len));
        } else {
            ck_assert_str_eq(val, "reject_length_and_checksum");
            ck_assert(!twc_kind_len_ok(k, len));
            ck_assert_int_eq(m->kind, TWC_KIND_UNKNOWN);
        }
    } else if (!strcmp(key, "trailer")) {
        if (!strcmp(val, "none")) {
            ck_assert_uint_eq(g->close + 1, g->wire_len);
        } else {
            ck_assert_uint_eq(g->close + 2, g->wire_len);
            ck_assert_uint_eq(g->wire[g->close + 1], hexval(val));
        }
    } else {
        ck_abort_msg("line %d: key '%s' is not checked by this test", r->lineno, key);
    }
}

START_TEST(test_tsv_has_the_39_rows_of_the_reference)
{
    load_rows();
    ck_assert_int_eq(nrows, 39);
    int good = 0;
    for (int i = 0; i < nrows; i++) {
        good += strstr(rows[i].fields, "checksum_ok=1") != NULL;
    }
    ck_assert_int_eq(good, 36); /* §0 item 4: 36 pass, 3 fail */
}

END_TEST

START_TEST(test_tsv_row_decodes_field_by_field)
{
    load_rows();
    ck_assert_int_lt(_i, nrows);
    const struct row *r = &rows[_i];
    struct got g;
    decode_row(r, &g);
    /* message_name is the kind; "corrupt" rows must not come out as a kind. */
    if (!strcmp(r->name, "corrupt")) {
        ck_assert_int_eq(g.msg.kind, TWC_KIND_UNKNOWN);
    } else {
        ck_assert_str_eq(twc_kind_name(g.msg.kind), r->name);
    }
    /* protocol_version: where the row names one, the frame length must say the same. */
    if (strcmp(r->proto, "unknown") != 0) {
        ck_assert_uint_eq(g.msg.proto, decval(r->proto));
    }
    char fields[1024];
    strcpy(fields, r->fields);
    int keys = 0;
    for (char *save = NULL, *kv = strtok_r(fields, ";", &save); kv;
         kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        ck_assert_msg(eq != NULL, "line %d: token '%s' has no key", r->lineno, kv);
        *eq = '\0';
        check_key(r, &g, kv, eq + 1);
        keys++;
    }
    ck_assert_int_ge(keys, 5); /* origin, len, checksum, checksum_ok, trailer at least */
}

END_TEST

START_TEST(test_tsv_good_row_reencodes_byte_exact_from_fields)
{
    load_rows();
    const struct row *r = &rows[_i];
    if (strstr(r->fields, "checksum_ok=1") == NULL) {
        return; /* negative rows: checked above */
    }
    struct got g;
    decode_row(r, &g);
    ck_assert_int_eq(g.rc, 0);
    ck_assert(!g.msg.pad_nonzero);
    struct twc_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = g.msg.kind;
    m.body_len = g.msg.body_len;
    m.src = g.msg.src;
    m.dst = g.msg.dst;
    m.u = g.msg.u;
    uint8_t body[TWC_BODY_MAX];
    ck_assert_int_eq(twc_encode_body(&m, body, sizeof(body)), (int)g.ev.len);
    ck_assert_mem_eq(body, g.ev.body, g.ev.len);
    /* The whole wire, trailer included, as captured. */
    int trailer = g.close + 2 == g.wire_len ? g.wire[g.close + 1] : -1;
    uint8_t wire[TWC_WIRE_MAX];
    int wn = twc_frame_wrap(body, g.ev.len, trailer, wire, sizeof(wire));
    ck_assert_int_eq(wn, (int)g.wire_len);
    ck_assert_mem_eq(wire, g.wire, g.wire_len);
}

END_TEST

/* Literal vectors: the wire as captured and the fields it must give, typed by hand. */
struct lit {
    const char *wire;
    enum twc_kind kind;
    uint8_t proto;
    int src, dst; /* -1: none */
    int a, b, c;  /* kind fields: see check_literal */
};

// clang-format off
static const struct lit lits[] = {
    /* The seed's three frames (§3). */
    {"c0 fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1 c0 fe", TWC_KIND_MASTER_LINKREADY2, 1, 0x035d, -1, 0x5f, 0, 0},
    {"c0 fc e1 03 5d 39 00 00 00 00 00 00 00 00 7a c0 fe", TWC_KIND_MASTER_LINKREADY1, 1, 0x035d, -1, 0x39, 0, 0},
    {"c0 fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d c0", TWC_KIND_MASTER_IDLE, 1, -1, -1, 0, 0, 0},
    /* §8 rows 4, 8, 9, 11: linkready 32.00 A; heartbeats state/limit/actual in centi-amps. */
    {"c0 fd e2 18 39 52 0c 80 00 00 00 00 00 00 00 00 11 c0", TWC_KIND_SLAVE_LINKREADY, 2, 0x1839, -1, 0x52, 3200, 0},
    {"c0 fd e0 20 19 77 77 08 02 58 02 10 00 00 00 00 7b c0", TWC_KIND_SLAVE_HEARTBEAT, 2, 0x2019, 0x7777, 0x08, 600, 528},
    {"c0 fd e0 02 2c 77 77 02 00 00 06 96 00 00 9a c0", TWC_KIND_SLAVE_HEARTBEAT, 1, 0x022c, 0x7777, 0x02, 0, 1686},
    {"c0 fd e0 24 33 77 77 08 07 d0 01 62 00 00 00 00 67 c0", TWC_KIND_SLAVE_HEARTBEAT, 2, 0x2433, 0x7777, 0x08, 2000, 354},
    /* §8: master heartbeat cmd 09 32.00 A; cmd 05 22.00 A. */
    {"c0 fb e0 77 77 40 85 09 0c 80 00 00 00 00 00 00 28 c0", TWC_KIND_MASTER_HEARTBEAT, 2, 0x7777, 0x4085, 0x09, 3200, 0},
    {"c0 fb e0 77 77 02 2c 05 08 98 00 00 00 00 00 00 a1 c0", TWC_KIND_MASTER_HEARTBEAT, 2, 0x7777, 0x022c, 0x05, 2200, 0},
    /* §8 row 12: energy 924, voltages 246/240/246. */
    {"c0 fd eb 25 87 00 00 03 9c 00 f6 00 f0 00 f6 00 00 00 00 00 12 c0", TWC_KIND_METER_REPORT, 2, 0x2587, -1, 924, 246, 240},
    /* §8 row 16: firmware 4.5.3.2 as 0x04050302. */
    {"c0 fd ec 60 90 04 05 03 02 00 00 00 00 00 00 00 ea c0", TWC_KIND_VERSION_REPORT, 2, 0x6090, -1, 0x04050302, 0, 0},
    /* §8: TWCManager's 15-byte VIN query. */
    {"c0 fb ee 77 77 20 19 00 00 00 00 00 00 00 00 15 c0", TWC_KIND_VIN_QUERY_1, 0, 0x7777, 0x2019, 0, 0, 0},
};

// clang-format on

static void check_literal(const struct lit *l, const struct twc_msg *m)
{
    ck_assert_int_eq(m->kind, l->kind);
    ck_assert_uint_eq(m->proto, l->proto);
    ck_assert_int_eq(m->has_src, l->src >= 0);
    ck_assert_int_eq(m->has_dst, l->dst >= 0);
    ck_assert_uint_eq(m->src, l->src >= 0 ? (unsigned)l->src : 0u);
    ck_assert_uint_eq(m->dst, l->dst >= 0 ? (unsigned)l->dst : 0u);
    switch (l->kind) {
    case TWC_KIND_MASTER_LINKREADY1:
    case TWC_KIND_MASTER_LINKREADY2:
    case TWC_KIND_SLAVE_LINKREADY:
        ck_assert_uint_eq(m->u.linkready.sign, (unsigned)l->a);
        ck_assert_uint_eq(m->u.linkready.max_ca, (unsigned)l->b);
        break;
    case TWC_KIND_SLAVE_HEARTBEAT:
        ck_assert_uint_eq(m->u.shb.state, (unsigned)l->a);
        ck_assert_uint_eq(m->u.shb.limit_ca, (unsigned)l->b);
        ck_assert_uint_eq(m->u.shb.actual_ca, (unsigned)l->c);
        ck_assert_int_eq(twc_ca_to_ma(m->u.shb.actual_ca), l->c * 10);
        break;
    case TWC_KIND_MASTER_HEARTBEAT:
        ck_assert_uint_eq(m->u.mhb.cmd, (unsigned)l->a);
        ck_assert_uint_eq(m->u.mhb.amps_ca, (unsigned)l->b);
        break;
    case TWC_KIND_METER_REPORT:
        ck_assert_uint_eq(m->u.meter.energy_raw, (unsigned)l->a);
        ck_assert_uint_eq(m->u.meter.voltage_v[0], (unsigned)l->b);
        ck_assert_uint_eq(m->u.meter.voltage_v[1], (unsigned)l->c);
        break;
    case TWC_KIND_VERSION_REPORT:
        ck_assert_uint_eq((unsigned)(m->u.version.v[0] << 24 | m->u.version.v[1] << 16 |
                                     m->u.version.v[2] << 8 | m->u.version.v[3]),
                          (unsigned)l->a);
        break;
    default:
        break;
    }
}

START_TEST(test_literal_vector_decodes_to_hand_typed_fields)
{
    const struct lit *l = &lits[_i];
    uint8_t wire[64];
    int n = amp_test_hex(l->wire, wire, sizeof(wire));
    ck_assert_int_gt(n, 0);
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct twc_df_event ev;
    size_t used = 0;
    ck_assert_int_eq(twc_deframer_push(&d, wire, (size_t)n, &used, &ev), 1);
    ck_assert_int_eq(ev.type, TWC_DF_FRAME);
    struct twc_msg m;
    ck_assert_int_eq(twc_decode(ev.body, ev.len, &m), 0);
    ck_assert(m.checksum_ok);
    check_literal(l, &m);
}

END_TEST

static Suite *twc_vectors_suite(void)
{
    Suite *s = suite_create("twc_vectors");
    TCase *tc = tcase_create("tsv");
    tcase_add_test(tc, test_tsv_has_the_39_rows_of_the_reference);
    /* One loop iteration per row; the count is checked by the test above. */
    tcase_add_loop_test(tc, test_tsv_row_decodes_field_by_field, 0, 39);
    tcase_add_loop_test(tc, test_tsv_good_row_reencodes_byte_exact_from_fields, 0, 39);
    suite_add_tcase(s, tc);
    tc = tcase_create("literal");
    tcase_add_loop_test(tc, test_literal_vector_decodes_to_hand_typed_fields, 0,
                        (int)(sizeof(lits) / sizeof(lits[0])));
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_vectors_suite)
