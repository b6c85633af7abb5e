/* SPDX-License-Identifier: MIT */
/*
 * drivers/rf renderings: the frame against the published 42-byte frame, the run statistics of
 * research/chargeport.md §1, each format's layout, the 5 s burst limit, and every format decoded
 * back to the same message (jittered timings, and .cs8 through the envelope detector with noise,
 * gain and a carrier offset).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "drivers/rf/rf.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

static const char frame_hex[] =
    "AAAAAA8ACB32CCCCCB4D2D4AD34CAB4B1596659999969A5A95A69956962B2CCB33332D34B52B4D32AD28";
static const char issue_message[] = "00010010100101010101001101100111000110110100001100";
#define TEXT_CAP (1u << 20)

static void frame_from_hex(uint8_t *sym)
{
    uint8_t bytes[42];
    ck_assert_int_eq(amp_test_hex(frame_hex, bytes, sizeof(bytes)), 42);
    for (size_t i = 0; i < 336; i++) {
        sym[i] = (bytes[i / 8] >> (7 - i % 8)) & 1;
    }
}

static void assert_message(const struct rf_result *r, size_t tx)
{
    char b[RF_BLOCK_BITS_MAX + 1];
    for (size_t i = 0; i < r->msg_bits; i++) {
        b[i] = r->msg[i] ? '1' : '0';
    }
    b[r->msg_bits] = '\0';
    ck_assert_str_eq(b, issue_message);
    ck_assert_int_eq(r->ntx, tx);
    ck_assert_int_eq(r->nblocks, 3 * tx);
    ck_assert_int_eq(r->chargeport_blocks, 3 * tx);
    ck_assert_int_eq(r->violations, 3 * tx);
    ck_assert(r->is_chargeport);
}

static void decode_capture(struct rf_capture *c, size_t tx)
{
    struct rf_result *r = calloc(1, sizeof(*r));
    ck_assert_int_eq(rf_decode(c, r), 0);
    assert_message(r, tx);
    free(r);
}

static void decode_rendered(const char *text, enum rf_input want, size_t tx)
{
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_text(&c, text, strlen(text), RF_INPUT_AUTO, &err), 0);
    ck_assert_int_eq(c.input, want);
    decode_capture(&c, tx);
    rf_capture_fini(&c);
}

START_TEST(test_frame_is_the_published_frame)
{
    uint8_t want[336], got[400];
    frame_from_hex(want);
    ck_assert_int_eq(rf_frame_symbols(got, sizeof(got)), 336);
    ck_assert_mem_eq(got, want, 336);
    ck_assert_int_eq(rf_frame_symbols(got, 335), -EMSGSIZE);
}

END_TEST

START_TEST(test_burst_runs_match_the_measured_statistics)
{
    struct rf_run runs[2000];
    int n = rf_burst_runs(1, RF_GAP_US_DEFAULT, runs, 2000);
    ck_assert_int_eq(n, 236);
    unsigned hi[4] = {0}, lo[4] = {0};
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(runs[i].us % 400, 0);
        unsigned k = runs[i].us / 400;
        ck_assert(k >= 1 && k <= 3);
        (runs[i].on ? hi : lo)[k]++;
    }
    ck_assert_uint_eq(hi[1], 71);
    ck_assert_uint_eq(hi[2], 47);
    ck_assert_uint_eq(hi[3], 0);
    ck_assert_uint_eq(lo[1], 69);
    ck_assert_uint_eq(lo[2], 45);
    ck_assert_uint_eq(lo[3], 4);
    n = rf_burst_runs(5, 23000, runs, 2000);
    ck_assert_int_eq(n, 5 * 236);
    ck_assert_uint_eq(runs[235].us, 1200 + 23000);
    ck_assert_uint_eq(runs[5 * 236 - 1].us, 1200);
    ck_assert_int_eq(rf_burst_runs(5, 23000, runs, 1000), -EMSGSIZE);
}

END_TEST

START_TEST(test_burst_stops_within_five_seconds)
{
    ck_assert_uint_eq(rf_burst_us(5, 23000), 5 * 134400 + 4 * 23000);
    ck_assert_int_eq(rf_burst_check(1, 0), 0);
    ck_assert_int_eq(rf_burst_check(31, 23000), 0);       /* 4.856 s */
    ck_assert_int_eq(rf_burst_check(32, 23000), -ERANGE); /* 5.014 s */
    ck_assert_int_eq(rf_burst_check(37, 0), 0);           /* 4.973 s */
    ck_assert_int_eq(rf_burst_check(38, 0), -ERANGE);
    ck_assert_int_eq(rf_burst_check(0, 0), -ERANGE);
    char buf[64];
    ck_assert_int_eq(rf_render_sendook(433920000u, 32, 23000, buf, sizeof(buf)), -ERANGE);
    struct rf_run runs[16];
    ck_assert_int_eq(rf_burst_runs(40, 0, runs, 16), -ERANGE);
}

END_TEST

START_TEST(test_sendook_line)
{
    char *buf = malloc(TEXT_CAP);
    int n = rf_render_sendook(rf_region_hz(RF_REGION_EU), 5, 23000, buf, TEXT_CAP);
    const char head[] = "sendook -f 433.92M -0 400 -1 400 -r 5 -p 23000 ";
    ck_assert_int_eq(n, (int)strlen(head) + 336 + 1);
    ck_assert_int_eq(strncmp(buf, head, strlen(head)), 0);
    uint8_t want[336];
    frame_from_hex(want);
    for (size_t i = 0; i < 336; i++) {
        ck_assert_int_eq(buf[strlen(head) + i], want[i] ? '1' : '0');
    }
    ck_assert_int_eq(buf[n - 1], '\n');
    decode_rendered(buf, RF_INPUT_SENDOOK, 5);
    n = rf_render_sendook(rf_region_hz(RF_REGION_US), 2, 23000, buf, TEXT_CAP);
    ck_assert_int_eq(strncmp(buf, "sendook -f 315M ", 16), 0);
    ck_assert_int_eq(rf_render_sendook(315000000u, 2, 23000, buf, 100), -EMSGSIZE);
    free(buf);
}

END_TEST

START_TEST(test_flipper_file_layout_and_round_trip)
{
    char *buf = malloc(TEXT_CAP);
    int n = rf_render_flipper(rf_region_hz(RF_REGION_US), 5, 23000, buf, TEXT_CAP);
    ck_assert_int_gt(n, 0);
    const char head[] = "Filetype: Flipper SubGhz RAW File\nVersion: 1\nFrequency: 315000000\n"
                        "Preset: FuriHalSubGhzPresetOok650Async\nProtocol: RAW\n";
    ck_assert_int_eq(strncmp(buf, head, strlen(head)), 0);
    /* Each RAW_Data line: signed, non-zero, alternating, starting positive, at most 512 values. */
    int lines = 0;
    for (char *l = strstr(buf, "RAW_Data:"); l; l = strstr(l + 1, "RAW_Data:")) {
        lines++;
        char *end = strchr(l, '\n');
        ck_assert_ptr_nonnull(end);
        char *p = l + 9;
        long prev = -1, count = 0;
        while (p < end) {
            char *q;
            long v = strtol(p, &q, 10);
            ck_assert(q > p);
            ck_assert(v != 0);
            ck_assert((v > 0) != (prev > 0));
            prev = v;
            count++;
            p = q;
        }
        ck_assert_int_le(count, 512);
        ck_assert_int_eq(count, 236);
        ck_assert_int_lt(prev, 0);
    }
    ck_assert_int_eq(lines, 5);
    decode_rendered(buf, RF_INPUT_FLIPPER, 5);
    free(buf);
}

END_TEST

START_TEST(test_flipper_lines_hold_at_most_512_values)
{
    /* Back to back (no gap): the transmissions run together, so lines split at 512 values. */
    char *buf = malloc(TEXT_CAP);
    ck_assert_int_gt(rf_render_flipper(433920000u, 3, 0, buf, TEXT_CAP), 0);
    char *l1 = strstr(buf, "RAW_Data:");
    ck_assert_ptr_nonnull(l1);
    char *l2 = strstr(l1 + 1, "RAW_Data:");
    ck_assert_ptr_nonnull(l2);
    ck_assert_ptr_null(strstr(l2 + 1, "RAW_Data:"));
    size_t values = 0;
    for (char *p = l1; p < l2; p++) {
        values += *p == ' ';
    }
    ck_assert_uint_eq(values, 512);
    decode_rendered(buf, RF_INPUT_FLIPPER, 3);
    free(buf);
}

END_TEST

START_TEST(test_timings_round_trip_with_jitter)
{
    char *buf = malloc(TEXT_CAP);
    int n = rf_render_timings(rf_region_hz(RF_REGION_EU), 5, 23000, buf, TEXT_CAP);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(buf[0], '#');
    decode_rendered(buf, RF_INPUT_TIMINGS, 5);
    /* Re-read, jitter every duration by up to +-15 %, decode again. */
    struct rf_capture c, j;
    rf_capture_init(&c);
    rf_capture_init(&j);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_text(&c, buf, (size_t)n, RF_INPUT_AUTO, &err), 0);
    ck_assert_int_eq(c.nruns, 5 * 236);
    uint64_t rng = amp_test_seed();
    for (int rep = 0; rep < 20; rep++) {
        for (size_t i = 0; i < c.nruns; i++) {
            double f = (double)(amp_test_rand(&rng) % 3001) / 10000.0 - 0.15;
            ck_assert_int_eq(rf_capture_add_run(&j, c.runs[i].on,
                                                (uint32_t)(c.runs[i].us * (1.0 + f)),
                                                c.runs[i].loc),
                             0);
        }
        decode_capture(&j, 5);
        rf_capture_fini(&j);
        rf_capture_init(&j);
    }
    rf_capture_fini(&c);
    free(buf);
}

END_TEST

static int8_t *render_cs8(unsigned repeats, uint32_t rate, size_t *len)
{
    struct rf_run runs[3000];
    int n = rf_burst_runs(repeats, 23000, runs, 3000);
    ck_assert_int_gt(n, 0);
    uint64_t size = rf_cs8_size(runs, (size_t)n, rate);
    int8_t *iq = malloc(size);
    ck_assert_int_eq(rf_render_cs8(runs, (size_t)n, rate, iq, size - 1), -EMSGSIZE);
    ck_assert_int_eq(rf_render_cs8(runs, (size_t)n, rate, iq, size), (int64_t)size);
    *len = size;
    return iq;
}

START_TEST(test_cs8_layout_and_envelope_round_trip)
{
    size_t len;
    int8_t *iq = render_cs8(5, 2000000, &len);
    /* 764 ms at 2 MS/s, two bytes a sample (research: ~3.06 MB). */
    ck_assert_uint_eq(len, 3056000u);
    ck_assert_int_eq(iq[0], 127);
    ck_assert_int_eq(iq[1], 0);
    ck_assert_int_eq(iq[2 * 799], 127); /* the first 400 us: 800 samples on */
    ck_assert_int_eq(iq[2 * 800], 0);   /* then off */
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_cs8(&c, iq, len, 2000000, &err), 0);
    struct rf_result *r = calloc(1, sizeof(*r));
    ck_assert_int_eq(rf_decode(&c, r), 0);
    assert_message(r, 5);
    ck_assert(fabs(r->symbol_us - 400.0) < 2.0);
    free(r);
    rf_capture_fini(&c);
    free(iq);
}

END_TEST

START_TEST(test_cs8_with_noise_gain_and_offset)
{
    size_t len;
    int8_t *iq = render_cs8(2, 2000000, &len);
    uint64_t rng = amp_test_seed();
    /* A weaker carrier 50 kHz off the tuned frequency, plus +-12 LSB of noise on I and Q. */
    for (size_t k = 0; k < len / 2; k++) {
        double a = iq[2 * k] ? 60.0 : 0.0, ph = 2.0 * M_PI * 50000.0 * (double)k / 2e6;
        double ni = (double)(amp_test_rand(&rng) % 25) - 12.0;
        double nq = (double)(amp_test_rand(&rng) % 25) - 12.0;
        iq[2 * k] = (int8_t)lrint(a * cos(ph) + ni);
        iq[2 * k + 1] = (int8_t)lrint(a * sin(ph) + nq);
    }
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_cs8(&c, iq, len, 2000000, &err), 0);
    decode_capture(&c, 2);
    rf_capture_fini(&c);
    free(iq);
}

END_TEST

START_TEST(test_cs8_errors)
{
    int8_t iq[64] = {0};
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_cs8(&c, iq, 63, 2000000, &err), -EINVAL);
    ck_assert_int_eq(err.loc.line, 0);
    ck_assert_int_eq(err.loc.col, 62);
    ck_assert_int_eq(rf_parse_cs8(&c, iq, 64, 2000000, &err), -EINVAL); /* too few samples */
    ck_assert_int_eq(rf_parse_cs8(&c, iq, 64, 50, &err), -EINVAL);
    int8_t *quiet = calloc(20000, 1);
    ck_assert_int_eq(rf_parse_cs8(&c, quiet, 20000, 2000000, &err), -EINVAL);
    ck_assert(strstr(err.what, "no carrier") != NULL);
    free(quiet);
    rf_capture_fini(&c);
}

END_TEST

START_TEST(test_rpitx_rf_records)
{
    struct rf_run runs[3000];
    int n = rf_burst_runs(3, 23000, runs, 3000);
    uint8_t *buf = malloc((size_t)n * RF_RPITX_RECORD);
    int64_t len = rf_render_rpitx_rf(runs, (size_t)n, buf, (size_t)n * RF_RPITX_RECORD);
    ck_assert_int_eq(len, (int64_t)n * 16);
    /* {double 1.0 Hz offset, uint32 400000 ns, 4 pad bytes}, little-endian; then {0.0, 400000}. */
    const uint8_t first[32] = {0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x80, 0x1a, 0x06, 0, 0, 0, 0, 0,
                               0, 0, 0, 0, 0, 0, 0,    0,    0x80, 0x1a, 0x06, 0, 0, 0, 0, 0};
    ck_assert_mem_eq(buf, first, 32);
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_rpitx_rf(&c, buf, (size_t)len, &err), 0);
    decode_capture(&c, 3);
    rf_capture_fini(&c);
    rf_capture_init(&c);
    ck_assert_int_eq(rf_parse_rpitx_rf(&c, buf, 40, &err), -EINVAL);
    ck_assert_int_eq(err.loc.col, 32);
    rf_capture_fini(&c);
    ck_assert_int_eq(rf_render_rpitx_rf(runs, (size_t)n, buf, 100), -EMSGSIZE);
    free(buf);
}

END_TEST

START_TEST(test_mhz_formatting)
{
    char b[32];
    rf_format_mhz(433920000u, b, sizeof(b));
    ck_assert_str_eq(b, "433.92M");
    rf_format_mhz(315000000u, b, sizeof(b));
    ck_assert_str_eq(b, "315M");
    rf_format_mhz(868000001u, b, sizeof(b));
    ck_assert_str_eq(b, "868.000001M");
}

END_TEST

static Suite *rf_emit_suite(void)
{
    Suite *s = suite_create("rf_emit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_frame_is_the_published_frame);
    tcase_add_test(tc, test_burst_runs_match_the_measured_statistics);
    tcase_add_test(tc, test_burst_stops_within_five_seconds);
    tcase_add_test(tc, test_sendook_line);
    tcase_add_test(tc, test_flipper_file_layout_and_round_trip);
    tcase_add_test(tc, test_flipper_lines_hold_at_most_512_values);
    tcase_add_test(tc, test_timings_round_trip_with_jitter);
    tcase_add_test(tc, test_cs8_layout_and_envelope_round_trip);
    tcase_add_test(tc, test_cs8_with_noise_gain_and_offset);
    tcase_add_test(tc, test_cs8_errors);
    tcase_add_test(tc, test_rpitx_rf_records);
    tcase_add_test(tc, test_mhz_formatting);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(rf_emit_suite)
