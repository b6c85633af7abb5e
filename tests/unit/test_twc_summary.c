/* SPDX-License-Identifier: MIT */
/* The per-unit summary of `ampshare sniff --summary`, fed captured frames (twc-gen2.md §8). */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "controller/cli/twc_summary.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

static bool update(struct twc_summary *s, const char *body_hex)
{
    uint8_t b[32];
    int n = amp_test_hex(body_hex, b, sizeof(b));
    ck_assert_int_gt(n, 0);
    struct twc_msg msg;
    twc_decode(b, (size_t)n, &msg);
    return twc_summary_update(s, &msg);
}

START_TEST(test_summary_tracks_master_commands_and_slave_reports)
{
    struct twc_summary s;
    twc_summary_init(&s);
    /* §8 row 5: 4085 links (v2). */
    ck_assert(update(&s, "fd e2 40 85 1d 0c 80 00 00 00 00 00 00 00 00 50"));
    /* TWCManager's 09 32.00 A to 4085. */
    ck_assert(update(&s, "fb e0 77 77 40 85 09 0c 80 00 00 00 00 00 00 28"));
    /* 4085 answers: 01, 32.00 A, 31.20 A (hand-summed checksum). */
    ck_assert(update(&s, "fd e0 40 85 77 77 01 0c 80 0c 30 00 00 00 00 5c"));
    ck_assert(!update(&s, "fd e0 40 85 77 77 01 0c 80 0c 30 00 00 00 00 5c"));
    char line[512];
    int n = twc_summary_text(&s, true, 1234, line, sizeof(line));
    ck_assert_int_gt(n, 0);
    ck_assert_str_eq(line, "summary t=1234: 4085 slave v2 state=01(charging) limit=32.00A "
                           "actual=31.20A commanded=32.00A | 7777 master");
    n = twc_summary_json(&s, false, 0, line, sizeof(line));
    ck_assert_int_gt(n, 0);
    ck_assert_str_eq(line, "{\"event\":\"summary\",\"t_ms\":null,\"units\":["
                           "{\"id\":\"4085\",\"role\":\"slave\",\"proto\":2,\"state\":1,"
                           "\"state_name\":\"charging\",\"limit_a\":32.00,\"actual_a\":31.20,"
                           "\"commanded_a\":32.00,\"frames\":3},"
                           "{\"id\":\"7777\",\"role\":\"master\",\"proto\":null,\"frames\":1}]}");
    ck_assert_int_eq(twc_summary_text(&s, true, 1234, line, 20), -EMSGSIZE);
}

END_TEST

START_TEST(test_summary_ignores_bad_checksums)
{
    struct twc_summary s;
    twc_summary_init(&s);
    ck_assert(!update(&s, "fd e0 40 85 77 77 01 0c 80 0c 30 00 00 00 00 5d"));
    ck_assert_uint_eq(s.n, 0);
}

END_TEST

static Suite *twc_summary_suite(void)
{
    Suite *s = suite_create("twc_summary");
    TCase *tc = tcase_create("summary");
    tcase_add_test(tc, test_summary_tracks_master_commands_and_slave_reports);
    tcase_add_test(tc, test_summary_ignores_bad_checksums);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_summary_suite)
