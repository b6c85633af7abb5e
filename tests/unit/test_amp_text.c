/* SPDX-License-Identifier: MIT */
/*
 * The one escaping rule for outside text (amp_text.h): the UTF-8 check against RFC 3629's edge
 * cases, the JSON form (always valid UTF-8, controls escaped) and the terminal form (no raw
 * control, escape or invalid byte). The integration tests feed the same through a real JSON
 * parser.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "drivers/base/amp_text.h"
#include "tests/support/check_main.h"

START_TEST(test_utf8_check_follows_rfc3629)
{
    static const struct {
        const char *s;
        int ok;
        size_t bad;
    } cases[] = {
        {"plain ascii", 1, 0},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x8c", 1, 0},
        {"\xef\xbf\xbf \xf4\x8f\xbf\xbf", 1, 0}, /* U+FFFF, U+10FFFF */
        {"caf\xe9", 0, 3},                       /* Latin-1 */
        {"a\xc0\xaf", 0, 1},                     /* overlong '/' */
        {"a\xc1\xbf", 0, 1},
        {"a\xe0\x80\xaf", 0, 1},     /* overlong, 3 bytes */
        {"a\xed\xa0\x80", 0, 1},     /* surrogate D800 */
        {"a\xf4\x90\x80\x80", 0, 1}, /* above U+10FFFF */
        {"a\xf5\x80\x80\x80", 0, 1},
        {"ab\xe2\x82", 0, 2}, /* cut short */
        {"\x80", 0, 0},       /* lone continuation */
        {"\xff", 0, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t bad = 99;
        int rc = amp_utf8_check((const uint8_t *)cases[i].s, strlen(cases[i].s), &bad);
        ck_assert_msg(rc == (cases[i].ok ? 0 : -EILSEQ), "case %zu", i);
        if (!cases[i].ok) {
            ck_assert_uint_eq(bad, cases[i].bad);
        }
    }
}

END_TEST

static char *json_of(const char *s, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    amp_json_string_n(f, s, n);
    fclose(f);
    return buf;
}

START_TEST(test_json_strings_are_valid_utf8_with_every_control_escaped)
{
    static const char in[] = "q\"b\\ \x1b[31m\x07\t\n\x7f \xc2\x9b C1 caf\xc3\xa9 \xe9\xff\0z";
    char *j = json_of(in, sizeof(in) - 1);
    ck_assert_str_eq(j, "\"q\\\"b\\\\ \\u001b[31m\\u0007\\u0009\\u000a\\u007f \\u009b C1 "
                        "caf\xc3\xa9 \\ufffd\\ufffd\\u0000z\"");
    ck_assert_int_eq(amp_utf8_check((const uint8_t *)j, strlen(j), NULL), 0);
    for (const char *p = j; *p; p++) {
        ck_assert((unsigned char)*p >= 0x20 && *p != 0x7f);
    }
    free(j);
    char buf[16];
    /* the buffer form is the same, cut at a whole escape */
    ck_assert_str_eq(amp_json_escape_n("\x1b\x1b\x1b", 3, buf, sizeof(buf)), "\\u001b\\u001b");
}

END_TEST

START_TEST(test_utf8_form_replaces_bad_bytes_and_keeps_the_rest)
{
    char buf[64];
    /* the same rule as the JSON string: U+FFFD for each byte that is not UTF-8 */
    ck_assert_str_eq(amp_text_utf8_n("a\x1b\xff caf\xc3\xa9 \xe2\x82", 12, buf, sizeof(buf)),
                     "a\x1b\xEF\xBF\xBD caf\xc3\xa9 \xEF\xBF\xBD\xEF\xBF\xBD");
    ck_assert_int_eq(amp_utf8_check((const uint8_t *)buf, strlen(buf), NULL), 0);
    /* cut at a character boundary */
    ck_assert_str_eq(amp_text_utf8_n("ab\xff", 3, buf, 5), "ab");
    ck_assert_str_eq(amp_text_utf8_n("a\xe2\x82\xac", 4, buf, 4), "a");
}

END_TEST

START_TEST(test_text_form_shows_controls_and_bad_bytes_as_hex)
{
    char buf[128];
    ck_assert_str_eq(amp_text_safe("ok caf\xc3\xa9 \xe2\x82\xac", buf, sizeof(buf)),
                     "ok caf\xc3\xa9 \xe2\x82\xac");
    ck_assert_str_eq(amp_text_safe("\x1b]0;x\x07 \xc2\x9b"
                                   "2J \xe9 \x7f",
                                   buf, sizeof(buf)),
                     "\\x1b]0;x\\x07 \\xc2\\x9b2J \\xe9 \\x7f");
    ck_assert_str_eq(amp_text_quote_n("a\"b\\c\x01", 6, buf, sizeof(buf)), "a\\\"b\\\\c\\x01");
    /* cut at a character boundary, never inside an escape or a sequence */
    ck_assert_str_eq(amp_text_safe("ab\x1b", buf, 6), "ab");
    ck_assert_str_eq(amp_text_safe("a\xe2\x82\xac", buf, 4), "a");
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    amp_text_put(f, "x\x1b[2Jy\xff");
    fclose(f);
    ck_assert_str_eq(out, "x\\x1b[2Jy\\xff");
    free(out);
}

END_TEST

static Suite *text_suite(void)
{
    Suite *s = suite_create("amp_text");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_utf8_check_follows_rfc3629);
    tcase_add_test(tc, test_json_strings_are_valid_utf8_with_every_control_escaped);
    tcase_add_test(tc, test_utf8_form_replaces_bad_bytes_and_keeps_the_rest);
    tcase_add_test(tc, test_text_form_shows_controls_and_bad_bytes_as_hex);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(text_suite)
