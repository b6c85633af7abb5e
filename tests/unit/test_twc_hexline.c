/* SPDX-License-Identifier: MIT */
/* Hex text lines to bytes: sniffer prints, the vectors TSV, capture files, TWCManager logs. */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "drivers/twc/twc_hexline.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

static int parse(const char *line, bool first, uint8_t *out, size_t cap, struct twc_hexline *res)
{
    return twc_hexline_parse(line, strlen(line), first, out, cap, res);
}

static void check_bytes(const uint8_t *got, size_t n, const char *want_hex)
{
    uint8_t want[64];
    int wn = amp_test_hex(want_hex, want, sizeof(want));
    ck_assert_int_ge(wn, 0);
    ck_assert_uint_eq(n, (size_t)wn);
    ck_assert_mem_eq(got, want, n);
}

START_TEST(test_spaced_lowercase_wire_line)
{
    uint8_t b[64];
    struct twc_hexline r;
    ck_assert_int_eq(
        parse("c0 fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1 c0 fe\n", true, b, sizeof(b), &r), 0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_WIRE);
    ck_assert(!r.has_t_ms);
    check_bytes(b, r.len, "c0 fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1 c0 fe");
}

END_TEST

START_TEST(test_packed_uppercase_and_prefixed_forms)
{
    uint8_t b[64];
    struct twc_hexline r;
    ck_assert_int_eq(parse("C0FCE1035D39C0FE", false, b, sizeof(b), &r), 0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_WIRE);
    check_bytes(b, r.len, "c0 fc e1 03 5d 39 c0 fe");
    ck_assert_int_eq(parse("0xC0, 0xfb,0x1d;0xc0", false, b, sizeof(b), &r), 0);
    check_bytes(b, r.len, "c0 fb 1d c0");
    ck_assert_int_eq(parse("c0:fb-e2|c0\r\n", false, b, sizeof(b), &r), 0);
    check_bytes(b, r.len, "c0 fb e2 c0");
}

END_TEST

START_TEST(test_line_without_c0_is_one_body)
{
    uint8_t b[64];
    struct twc_hexline r;
    ck_assert_int_eq(
        parse("fd e2 18 39 52 0c 80 00 00 00 00 00 00 00 00 11", false, b, sizeof(b), &r), 0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_BODY);
    check_bytes(b, r.len, "fd e2 18 39 52 0c 80 00 00 00 00 00 00 00 00 11");
}

END_TEST

START_TEST(test_vectors_tsv_row_takes_first_column_and_skips_header)
{
    uint8_t b[64];
    struct twc_hexline r;
    const char *header = "hex_on_wire\tdirection\tprotocol_version\tmessage_name\tdecoded_fields"
                         "\tsource\n";
    ck_assert_int_eq(parse(header, true, b, sizeof(b), &r), 0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_SKIP);
    /* Not on a later line: there it is an error naming the column. */
    ck_assert_int_eq(parse(header, false, b, sizeof(b), &r), -EINVAL);
    ck_assert_uint_eq(r.err_col, 1);
    ck_assert_int_eq(parse("c0 fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d c0\tmaster->slave\tunknown"
                           "\tmaster_idle\torigin=real_master;len=14\tngardiner/TWCManager x.py\n",
                           false, b, sizeof(b), &r),
                     0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_WIRE);
    ck_assert(!r.has_t_ms);
    check_bytes(b, r.len, "c0 fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d c0");
}

END_TEST

START_TEST(test_capture_line_gives_timestamp_and_wire)
{
    uint8_t b[64];
    struct twc_hexline r;
    ck_assert_int_eq(
        parse("123456\tc0 fd e0 02 2c 77 77 02 00 00 06 96 00 00 9a c0\n", false, b, sizeof(b), &r),
        0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_WIRE);
    ck_assert(r.has_t_ms);
    ck_assert_uint_eq(r.t_ms, 123456);
    check_bytes(b, r.len, "c0 fd e0 02 2c 77 77 02 00 00 06 96 00 00 9a c0");
    /* A capture header line on the first line is skipped. */
    ck_assert_int_eq(parse("t_ms\thex\n", true, b, sizeof(b), &r), 0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_SKIP);
}

END_TEST

START_TEST(test_twcmanager_rx_line_drops_ignored_bytes)
{
    /* TWCManager.py: "Rx@" + time + ": (" + ignored + ") " + body, body printed unescaped. */
    uint8_t b[64];
    struct twc_hexline r;
    ck_assert_int_eq(parse("Rx@14:43:19.540: (FC) FD E2 40 85 1D 0C 80 00 00 00 00 00 00 00 00 50",
                           true, b, sizeof(b), &r),
                     0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_BODY);
    check_bytes(b, r.len, "fd e2 40 85 1d 0c 80 00 00 00 00 00 00 00 00 50");
    ck_assert_int_eq(parse("2024-05-01 12:00:01 TWCManager 9 Rx@: () fd e0 24 33 77 77 03 02 58 "
                           "00 00 00 00 00 00 82",
                           false, b, sizeof(b), &r),
                     0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_BODY);
    check_bytes(b, r.len, "fd e0 24 33 77 77 03 02 58 00 00 00 00 00 00 82");
    ck_assert_int_eq(parse("Tx@: C0 FB E0 77 77 24 33 00 00 00 00 00 00 00 00 00 25 C0", false, b,
                           sizeof(b), &r),
                     0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_WIRE);
    ck_assert_uint_eq(r.len, 18);
}

END_TEST

START_TEST(test_comments_and_blank_lines_are_skipped)
{
    uint8_t b[64];
    struct twc_hexline r;
    ck_assert_int_eq(parse("# seed frames\n", true, b, sizeof(b), &r), 0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_SKIP);
    ck_assert_int_eq(parse("   \t \r\n", false, b, sizeof(b), &r), 0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_SKIP);
    ck_assert_int_eq(parse("", false, b, sizeof(b), &r), 0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_SKIP);
    ck_assert_int_eq(parse("c0 fe c0  # a trailer between delimiters", false, b, sizeof(b), &r), 0);
    check_bytes(b, r.len, "c0 fe c0");
}

END_TEST

START_TEST(test_bad_characters_name_their_column)
{
    uint8_t b[64];
    struct twc_hexline r;
    ck_assert_int_eq(parse("c0 zz c0", false, b, sizeof(b), &r), -EINVAL);
    ck_assert_uint_eq(r.err_col, 4);
    ck_assert_int_eq(r.type, TWC_HEXLINE_SKIP);
    ck_assert_uint_eq(r.len, 0);
    ck_assert_int_eq(parse("c0 fb e", false, b, sizeof(b), &r), -EINVAL); /* half a byte */
    ck_assert_uint_eq(r.err_col, 7);
    ck_assert_int_eq(parse("c0 fbx", false, b, sizeof(b), &r), -EINVAL);
    ck_assert_uint_eq(r.err_col, 6);
    ck_assert_int_eq(parse("c0 (fe", false, b, sizeof(b), &r), -EINVAL);
    ck_assert_uint_eq(r.err_col, 4);
    ck_assert_int_eq(parse("0x", false, b, sizeof(b), &r), -EINVAL);
    ck_assert_int_eq(parse("hex_on_wire", false, b, sizeof(b), &r), -EINVAL);
}

END_TEST

START_TEST(test_small_buffer_and_length_bound)
{
    uint8_t b[4];
    struct twc_hexline r;
    ck_assert_int_eq(parse("c0 fb e2 03 5d", false, b, sizeof(b), &r), -EMSGSIZE);
    /* Only line[0..n) is read: no NUL needed. */
    const char text[] = {'c', '0', ' ', 'f', 'b', 'Z'};
    ck_assert_int_eq(twc_hexline_parse(text, 5, false, b, sizeof(b), &r), 0);
    check_bytes(b, r.len, "c0 fb");
    ck_assert_int_eq(twc_hexline_parse(NULL, 0, false, b, sizeof(b), &r), 0);
    ck_assert_int_eq(r.type, TWC_HEXLINE_SKIP);
    ck_assert_int_eq(twc_hexline_parse("c0", 2, false, b, sizeof(b), NULL), -EINVAL);
}

END_TEST

static Suite *twc_hexline_suite(void)
{
    Suite *s = suite_create("twc_hexline");
    TCase *tc = tcase_create("hexline");
    tcase_add_test(tc, test_spaced_lowercase_wire_line);
    tcase_add_test(tc, test_packed_uppercase_and_prefixed_forms);
    tcase_add_test(tc, test_line_without_c0_is_one_body);
    tcase_add_test(tc, test_vectors_tsv_row_takes_first_column_and_skips_header);
    tcase_add_test(tc, test_capture_line_gives_timestamp_and_wire);
    tcase_add_test(tc, test_twcmanager_rx_line_drops_ignored_bytes);
    tcase_add_test(tc, test_comments_and_blank_lines_are_skipped);
    tcase_add_test(tc, test_bad_characters_name_their_column);
    tcase_add_test(tc, test_small_buffer_and_length_bound);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_hexline_suite)
