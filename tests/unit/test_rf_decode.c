/* SPDX-License-Identifier: MIT */
/*
 * drivers/rf decoding: the seed capture of issue 18 to its exact 50-bit message, pulse timings
 * with jitter, glitches and a chirped preamble, Flipper and sendook text, and malformed input
 * reported at its line and column. Expected values come from the issue and
 * research/chargeport.md, never from the module's own tables.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "drivers/rf/rf.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

/* The capture as issue 18 prints it (three lines of one capture). */
static const char seed_capture[] =
    "101010101010101010101010100010101100101100110010110011001100110011001011010011010010110101001"
    "010110100110100110\n"
    "010101011010010110001010110010110011001011001100110011001100101101001101001011010100101011010"
    "011010011001010101\n"
    "101001011000101011001011001100101100110011001100110010110100110100101101010010101101001101001"
    "100101010110100101\n";

static const char issue_message[] = "00010010100101010101001101100111000110110100001100";

static char *bits_str(const uint8_t *bits, size_t n, char *buf)
{
    for (size_t i = 0; i < n; i++) {
        buf[i] = bits[i] ? '1' : '0';
    }
    buf[n] = '\0';
    return buf;
}

/* Parses text, decodes it, returns the decode code; *res must be freed. */
static int decode_text(const char *text, enum rf_input in, struct rf_result **res)
{
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    *res = calloc(1, sizeof(**res));
    ck_assert_ptr_nonnull(*res);
    int rc = rf_parse_text(&c, text, strlen(text), in, &err);
    ck_assert_msg(rc == 0, "parse failed at %u:%llu: %s", err.loc.line,
                  (unsigned long long)err.loc.col, err.what ? err.what : "?");
    rc = rf_decode(&c, *res);
    rf_capture_fini(&c);
    return rc;
}

static void assert_all_chargeport(const struct rf_result *r, size_t tx)
{
    char b[RF_BLOCK_BITS_MAX + 1];
    ck_assert_int_eq(r->ntx, tx);
    ck_assert_int_eq(r->nblocks, 3 * tx);
    ck_assert_int_eq(r->violations, 3 * tx);
    ck_assert_int_eq(r->msg_bits, 50);
    ck_assert_str_eq(bits_str(r->msg, r->msg_bits, b), issue_message);
    ck_assert_int_eq(r->msg_count, 3 * tx);
    ck_assert_int_eq(r->chargeport_blocks, 3 * tx);
    ck_assert(r->is_chargeport);
    for (size_t i = 0; i < tx && i < RF_TX_KEPT; i++) {
        ck_assert_int_eq(r->tx[i].preamble_symbols, 24);
        ck_assert_int_eq(r->tx[i].blocks, 3);
    }
}

START_TEST(test_seed_capture_decodes_to_the_issue_message)
{
    struct rf_result *r;
    ck_assert_int_eq(decode_text(seed_capture, RF_INPUT_AUTO, &r), 0);
    ck_assert_int_eq(r->input, RF_INPUT_SYMBOLS);
    ck_assert_int_eq(r->nsymbols, 333);
    assert_all_chargeport(r, 1);
    ck_assert_int_eq(r->tx[0].start_symbol, 0);
    /* Blocks start after preamble + violation: 24 + 3, then every 103 symbols. */
    ck_assert_int_eq(r->blocks[0].start_symbol, 27);
    ck_assert_int_eq(r->blocks[1].start_symbol, 130);
    ck_assert_int_eq(r->blocks[2].start_symbol, 233);
    ck_assert_int_eq(r->blocks[1].loc.line, 2); /* symbol 130 sits on the second line */
    ck_assert_int_eq(r->nissues, 0);
    free(r);
}

END_TEST

START_TEST(test_symbols_with_any_spacing_and_comments)
{
    /* The same capture with spaces between groups, tabs and a comment line. */
    char text[2048] = "# captured symbols\n";
    size_t n = strlen(text);
    for (size_t i = 0; seed_capture[i]; i++) {
        text[n++] = seed_capture[i];
        if (i % 7 == 6) {
            text[n++] = (i % 2) ? ' ' : '\t';
        }
    }
    text[n] = '\0';
    struct rf_result *r;
    ck_assert_int_eq(decode_text(text, RF_INPUT_AUTO, &r), 0);
    assert_all_chargeport(r, 1);
    free(r);
}

END_TEST

/* One transmission from the research's 42-byte hex (MSB first), 336 symbols. */
static const char frame_hex[] =
    "AAAAAA8ACB32CCCCCB4D2D4AD34CAB4B1596659999969A5A95A69956962B2CCB33332D34B52B4D32AD28";

static size_t frame_from_hex(uint8_t *sym)
{
    uint8_t bytes[42];
    ck_assert_int_eq(amp_test_hex(frame_hex, bytes, sizeof(bytes)), 42);
    for (size_t i = 0; i < 336; i++) {
        sym[i] = (bytes[i / 8] >> (7 - i % 8)) & 1;
    }
    return 336;
}

/* The frame as runs: level and length in symbols. Returns the run count. */
static size_t frame_runs(uint8_t *level, size_t *len)
{
    uint8_t sym[336];
    size_t n = frame_from_hex(sym), i = 0, k = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && sym[j] == sym[i]) {
            j++;
        }
        level[k] = sym[i];
        len[k++] = j - i;
        i = j;
    }
    return k;
}

/* Appends the runs of the symbols, each duration scaled by t / 400 and jittered by up to
 * +-jitter_pct percent; lows of gap_us follow each copy but the last. */
static void add_jittered(struct rf_capture *c,
                         const uint8_t *sym,
                         size_t n,
                         unsigned copies,
                         double t,
                         unsigned gap_us,
                         unsigned jitter_pct,
                         uint64_t *rng)
{
    for (unsigned k = 0; k < copies; k++) {
        size_t i = 0;
        while (i < n) {
            size_t j = i;
            while (j < n && sym[j] == sym[i]) {
                j++;
            }
            double us = (double)(j - i) * t;
            if (k + 1 < copies && j == n) {
                us += gap_us;
            }
            if (jitter_pct) {
                double f = (double)(amp_test_rand(rng) % 2001) / 1000.0 - 1.0; /* -1 .. 1 */
                us *= 1.0 + f * jitter_pct / 100.0;
            }
            ck_assert_int_eq(
                rf_capture_add_run(c, sym[i], (uint32_t)(us + 0.5), (struct rf_loc){0}), 0);
            i = j;
        }
    }
}

START_TEST(test_jittered_timings_at_several_symbol_times)
{
    uint64_t rng = amp_test_seed();
    uint8_t sym[336];
    size_t n = frame_from_hex(sym);
    const double ts[] = {340.0, 400.0, 460.0};
    for (size_t k = 0; k < 3; k++) {
        for (int rep = 0; rep < 20; rep++) {
            struct rf_capture c;
            rf_capture_init(&c);
            add_jittered(&c, sym, n, 5, ts[k], 23000, 15, &rng);
            struct rf_result *r = calloc(1, sizeof(*r));
            ck_assert_int_eq(rf_decode(&c, r), 0);
            ck_assert_msg(r->symbol_us > ts[k] * 0.97 && r->symbol_us < ts[k] * 1.03,
                          "T %.1f for %.0f", r->symbol_us, ts[k]);
            assert_all_chargeport(r, 5);
            ck_assert_int_eq(r->tx[0].trailer, 1);
            ck_assert(r->tx[0].gap_after_us > 20000 && r->tx[0].gap_after_us < 30000);
            free(r);
            rf_capture_fini(&c);
        }
    }
}

END_TEST

START_TEST(test_back_to_back_copies_and_glitches)
{
    /* Ten copies with no silence (as the handle's own burst), with a 30 us spike in each. */
    uint8_t sym[336];
    size_t n = frame_from_hex(sym);
    uint64_t rng = 42;
    struct rf_capture c;
    rf_capture_init(&c);
    add_jittered(&c, sym, n, 10, 398.0, 0, 5, &rng);
    size_t every = c.nruns / 10;
    struct rf_capture g;
    rf_capture_init(&g);
    for (size_t i = 0; i < c.nruns; i++) {
        struct rf_run r = c.runs[i];
        if (i % every == every / 2) {
            /* split this run around a spike of the other level */
            ck_assert_int_eq(rf_capture_add_run(&g, r.on, r.us / 2, r.loc), 0);
            ck_assert_int_eq(rf_capture_add_run(&g, !r.on, 30, r.loc), 0);
            ck_assert_int_eq(rf_capture_add_run(&g, r.on, r.us - r.us / 2 - 30, r.loc), 0);
        } else {
            ck_assert_int_eq(rf_capture_add_run(&g, r.on, r.us, r.loc), 0);
        }
    }
    struct rf_result *r = calloc(1, sizeof(*r));
    ck_assert_int_eq(rf_decode(&g, r), 0);
    assert_all_chargeport(r, 10);
    free(r);
    rf_capture_fini(&c);
    rf_capture_fini(&g);
}

END_TEST

START_TEST(test_chirped_preamble)
{
    /* stefan73's capture: preamble highs from ~530 down to 400 us, lows from ~270 up to 400. */
    uint8_t sym[336];
    size_t n = frame_from_hex(sym);
    struct rf_capture c;
    rf_capture_init(&c);
    for (int k = 0; k < 12; k++) {
        ck_assert_int_eq(rf_capture_add_run(&c, 1, 530 - 11 * k, (struct rf_loc){0}), 0);
        ck_assert_int_eq(rf_capture_add_run(&c, 0, 270 + 11 * k, (struct rf_loc){0}), 0);
    }
    uint64_t rng = 7;
    add_jittered(&c, sym + 24, n - 24, 1, 400.0, 0, 0, &rng);
    struct rf_result *r = calloc(1, sizeof(*r));
    ck_assert_int_eq(rf_decode(&c, r), 0);
    assert_all_chargeport(r, 1);
    free(r);
    rf_capture_fini(&c);
}

END_TEST

START_TEST(test_timings_text_forms)
{
    /* rtl_433 .ook pulse text: ; headers, "pulse gap" pairs. */
    char ook[16384] = ";pulse data\n;version 1\n;timescale 1us\n;ook 118 pulses\n";
    uint8_t lv[336];
    size_t len[336], nr = frame_runs(lv, len);
    for (size_t k = 0; k < nr; k++) {
        char num[16];
        snprintf(num, sizeof(num), "%s%zu", lv[k] ? "" : " ", len[k] * 400 + (lv[k] ? 3 : 0));
        strcat(ook, num);
        if (!lv[k]) {
            strcat(ook, "\n");
        }
    }
    strcat(ook, ";end\n");
    struct rf_result *r;
    ck_assert_int_eq(decode_text(ook, RF_INPUT_AUTO, &r), 0);
    ck_assert_int_eq(r->input, RF_INPUT_TIMINGS);
    assert_all_chargeport(r, 1);
    free(r);
}

END_TEST

START_TEST(test_flipper_signed_values_merge)
{
    /* Same-sign neighbours merge (the capped 32700 values of real files), a leading negative is
     * silence, fractions are rounded. */
    char sub[16384] = "Filetype: Flipper SubGhz RAW File\nVersion: 1\nFrequency: 315000000\n"
                      "Preset: FuriHalSubGhzPresetOok650Async\nProtocol: RAW\nRAW_Data: -32700 "
                      "-5000";
    uint8_t lv[336];
    size_t len[336], nr = frame_runs(lv, len);
    for (size_t k = 0; k < nr; k++) {
        char num[32];
        if (lv[k] && len[k] == 2) {
            snprintf(num, sizeof(num), " 400 400"); /* one 800 us high written as two */
        } else {
            snprintf(num, sizeof(num), " %s%zu", lv[k] ? "" : "-", len[k] * 400);
        }
        strcat(sub, num);
    }
    strcat(sub, "\n");
    struct rf_result *r;
    ck_assert_int_eq(decode_text(sub, RF_INPUT_AUTO, &r), 0);
    ck_assert_int_eq(r->input, RF_INPUT_FLIPPER);
    assert_all_chargeport(r, 1);
    free(r);
}

END_TEST

START_TEST(test_other_message_and_other_rate_are_not_the_chargeport)
{
    char text[sizeof(seed_capture)];
    memcpy(text, seed_capture, sizeof(text));
    /* Flip one Manchester pair of the second block's... every block: bit 5 (symbols 37-38 of the
     * first block) in all three blocks, so the vote carries the changed message. */
    size_t pos[3] = {27 + 10, 130 + 10, 233 + 10};
    for (int k = 0; k < 3; k++) {
        size_t idx = pos[k] + pos[k] / 111; /* skip the newlines of the 111-symbol lines */
        char a = text[idx], b = text[idx + 1];
        ck_assert(a != b && a != '\n' && b != '\n');
        text[idx] = b;
        text[idx + 1] = a;
    }
    struct rf_result *r;
    ck_assert_int_eq(decode_text(text, RF_INPUT_AUTO, &r), 0);
    ck_assert_int_eq(r->nblocks, 3);
    ck_assert_int_eq(r->msg_count, 3);
    ck_assert_int_eq(r->chargeport_blocks, 0);
    ck_assert(!r->is_chargeport);
    free(r);

    /* The right bits at 1,000 us per symbol is another device. */
    char slow[8192] = "";
    uint8_t lv[336];
    size_t len[336], nr = frame_runs(lv, len);
    for (size_t k = 0; k < nr; k++) {
        char num[16];
        snprintf(num, sizeof(num), "%zu,", len[k] * 1000);
        strcat(slow, num);
    }
    ck_assert_int_eq(decode_text(slow, RF_INPUT_TIMINGS, &r), 0);
    ck_assert_int_eq(r->chargeport_blocks, 3);
    ck_assert(r->symbol_us > 990.0 && r->symbol_us < 1010.0);
    ck_assert(!r->is_chargeport);
    free(r);
}

END_TEST

START_TEST(test_damaged_block_is_reported_and_outvoted)
{
    char text[sizeof(seed_capture)];
    memcpy(text, seed_capture, sizeof(text));
    /* "11" inside the second block (symbol 150 and 151 both 1). */
    size_t idx = 150 + 1; /* line 2 starts at symbol 111 (+1 newline) */
    text[idx] = '1';
    text[idx + 1] = '1';
    struct rf_result *r;
    int rc = decode_text(text, RF_INPUT_SYMBOLS, &r);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_ge(r->nissues, 1);
    ck_assert_int_eq(r->issues[0].loc.line, 2);
    ck_assert(strstr(r->issues[0].what, "Manchester") != NULL);
    ck_assert_int_ge(r->chargeport_blocks, 1);
    char b[RF_BLOCK_BITS_MAX + 1];
    ck_assert_str_eq(bits_str(r->blocks[0].bits, r->blocks[0].nbits, b), issue_message);
    free(r);
}

END_TEST

/* Parses text expecting -EINVAL at line:col with a message containing what. */
static void
expect_error(const char *text, enum rf_input in, uint32_t line, uint64_t col, const char *what)
{
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_text(&c, text, strlen(text), in, &err), -EINVAL);
    ck_assert_msg(err.loc.line == line && err.loc.col == col,
                  "'%s': error at %u:%llu, want %u:%llu", text, err.loc.line,
                  (unsigned long long)err.loc.col, line, (unsigned long long)col);
    ck_assert_msg(strstr(err.what, what) != NULL, "'%s' lacks '%s'", err.what, what);
    rf_capture_fini(&c);
}

START_TEST(test_malformed_text_names_line_and_column)
{
    expect_error("1010\n10x0\n", RF_INPUT_SYMBOLS, 2, 3, "0 or 1");
    expect_error("400, 400\n400, 4o0\n", RF_INPUT_AUTO, 2, 6, "duration");
    expect_error("400 0 400\n", RF_INPUT_TIMINGS, 1, 5, "0 us");
    expect_error("400 99999999\n", RF_INPUT_TIMINGS, 1, 5, "60 s");
    expect_error("Filetype: Flipper SubGhz RAW File\nVersion: 1\nProtocol: Princeton\n",
                 RF_INPUT_AUTO, 3, 11, "not RAW");
    expect_error("Filetype: Flipper SubGhz Key File\n", RF_INPUT_AUTO, 1, 11, "RAW File");
    expect_error("Filetype: Flipper SubGhz RAW File\nProtocol: RAW\nRAW_Data: 400 -400 x\n",
                 RF_INPUT_AUTO, 3, 20, "duration");
    expect_error("Filetype: Flipper SubGhz RAW File\nProtocol: RAW\n", RF_INPUT_AUTO, 2, 1,
                 "no RAW_Data");
    expect_error("Filetype: Flipper SubGhz RAW File\nnonsense\n", RF_INPUT_AUTO, 2, 1,
                 "Key: value");
    expect_error("sudo sendook -m 1 -f 433.92M 1010\n", RF_INPUT_AUTO, 1, 17, "OOK");
    expect_error("sendook -0 400 10102\n", RF_INPUT_AUTO, 1, 20, "0 or 1");
    expect_error("sendook -f 433.92Q 1010\n", RF_INPUT_AUTO, 1, 12, "frequency");
    expect_error("sendook -0 5 1010\n", RF_INPUT_AUTO, 1, 12, "10 us");
    expect_error("sendook -r 3\n", RF_INPUT_AUTO, 1, 13, "bit string");
    expect_error("sendook -x 3 1010\n", RF_INPUT_AUTO, 1, 9, "not a sendook option");
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_text(&c,
                                   "1010\0"
                                   "10",
                                   7, RF_INPUT_AUTO, &err),
                     -EINVAL);
    ck_assert_int_eq(err.loc.line, 0);
    ck_assert_int_eq(err.loc.col, 4);
    rf_capture_fini(&c);
}

END_TEST

START_TEST(test_sendook_line_with_defaults_and_joined_values)
{
    /* sendook defaults to -r 3 and -p 1000; "-0400" is "-0 400" for its optparse. */
    char line[1024];
    uint8_t sym[336];
    size_t n = frame_from_hex(sym);
    int k = snprintf(line, sizeof(line), "./sendook -f 315M -0400 -1 400 -d ");
    for (size_t i = 0; i < n; i++) {
        line[k++] = sym[i] ? '1' : '0';
    }
    line[k] = '\0';
    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_text(&c, line, strlen(line), RF_INPUT_AUTO, &err), 0);
    ck_assert_int_eq(c.input, RF_INPUT_SENDOOK);
    ck_assert_uint_eq(c.freq_hz, 315000000u);
    struct rf_result *r = calloc(1, sizeof(*r));
    ck_assert_int_eq(rf_decode(&c, r), 0);
    assert_all_chargeport(r, 3);
    free(r);
    rf_capture_fini(&c);
}

END_TEST

START_TEST(test_no_preamble_and_no_time_base)
{
    struct rf_result *r;
    ck_assert_int_eq(decode_text("0110 1001 0110\n", RF_INPUT_SYMBOLS, &r), -ENODATA);
    ck_assert_int_eq(r->nissues, 1);
    ck_assert(strstr(r->issues[0].what, "preamble") != NULL);
    free(r);

    struct rf_capture c;
    rf_capture_init(&c);
    struct rf_err err = {0};
    ck_assert_int_eq(rf_parse_text(&c, "400 400 800\n", 12, RF_INPUT_TIMINGS, &err), 0);
    r = calloc(1, sizeof(*r));
    ck_assert_int_eq(rf_decode(&c, r), -ERANGE);
    free(r);
    rf_capture_fini(&c);
}

END_TEST

static Suite *rf_decode_suite(void)
{
    Suite *s = suite_create("rf_decode");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_seed_capture_decodes_to_the_issue_message);
    tcase_add_test(tc, test_symbols_with_any_spacing_and_comments);
    tcase_add_test(tc, test_jittered_timings_at_several_symbol_times);
    tcase_add_test(tc, test_back_to_back_copies_and_glitches);
    tcase_add_test(tc, test_chirped_preamble);
    tcase_add_test(tc, test_timings_text_forms);
    tcase_add_test(tc, test_flipper_signed_values_merge);
    tcase_add_test(tc, test_other_message_and_other_rate_are_not_the_chargeport);
    tcase_add_test(tc, test_damaged_block_is_reported_and_outvoted);
    tcase_add_test(tc, test_malformed_text_names_line_and_column);
    tcase_add_test(tc, test_sendook_line_with_defaults_and_joined_values);
    tcase_add_test(tc, test_no_preamble_and_no_time_base);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(rf_decode_suite)
