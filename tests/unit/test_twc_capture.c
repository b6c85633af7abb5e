/* SPDX-License-Identifier: MIT */
/* Capture lines of `ampshare sniff --capture`: frame bytes plus the trailer (twc-gen2.md §2.2),
 * decided from the bytes that follow, from quiet, or at the final flush. */
#include <string.h>

#include <check.h>

#include "controller/cli/twc_capture.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

/* §8 row 1, with its FE trailer. */
#define ROW1 "c0 fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1 c0"

static void add(struct twc_capture *c, uint64_t t, const char *hex)
{
    uint8_t b[128];
    int n = amp_test_hex(hex, b, sizeof(b));
    ck_assert_int_ge(n, 0);
    twc_capture_bytes(c, t, b, (size_t)n);
}

static void expect_line(struct twc_capture *c, uint64_t now, bool final, const char *want)
{
    char line[TWC_CAPTURE_LINE_MAX];
    int n = twc_capture_next_line(c, now, final, line, sizeof(line));
    if (want == NULL) {
        ck_assert_int_eq(n, 0);
        return;
    }
    ck_assert_int_eq(n, (int)strlen(want));
    ck_assert_str_eq(line, want);
}

START_TEST(test_trailer_before_the_next_frame_is_kept)
{
    struct twc_capture c;
    twc_capture_init(&c);
    add(&c, 10, ROW1 " fe c0 fc");
    twc_capture_frame(&c, 10, 0);
    expect_line(&c, 10, false, "10\tc0 fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1 c0 fe");
}

END_TEST

START_TEST(test_back_to_back_frames_have_no_trailer)
{
    struct twc_capture c;
    twc_capture_init(&c);
    add(&c, 5, ROW1 " c0 fc");
    twc_capture_frame(&c, 5, 0);
    expect_line(&c, 5, false, "5\tc0 fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1 c0");
}

END_TEST

START_TEST(test_a_lone_last_byte_waits_for_quiet_or_the_end)
{
    struct twc_capture c;
    twc_capture_init(&c);
    add(&c, 1000, ROW1 " fe");
    twc_capture_frame(&c, 1000, 0);
    expect_line(&c, 1099, false, NULL);
    expect_line(&c, 1100, false, "1000\tc0 fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1 c0 fe");
    twc_capture_init(&c);
    add(&c, 7, ROW1);
    twc_capture_frame(&c, 7, 0);
    expect_line(&c, 7, false, NULL);
    expect_line(&c, 7, true, "7\tc0 fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1 c0");
}

END_TEST

START_TEST(test_garbage_after_a_frame_is_not_a_trailer)
{
    struct twc_capture c;
    twc_capture_init(&c);
    add(&c, 1, ROW1 " 7c 00 c0");
    twc_capture_frame(&c, 1, 0);
    expect_line(&c, 1, false, "1\tc0 fb e2 03 5d 5f 00 00 00 00 00 00 00 00 a1 c0");
}

END_TEST

START_TEST(test_frames_split_across_chunks_keep_their_offsets)
{
    struct twc_capture c;
    twc_capture_init(&c);
    add(&c, 1, "ff ff");
    add(&c, 2, "c0 fd b1 58 50 00 00 00 00 00 00");
    add(&c, 3, "00 00 00 00 00 59 c0 fe c0 fd b2 58 50 00 00 00 00 00 00 00 00 00 00 00 5a c0");
    twc_capture_frame(&c, 3, 2);
    twc_capture_frame(&c, 3, 21);
    /* §8 rows 14 and 15. */
    expect_line(&c, 3, false, "3\tc0 fd b1 58 50 00 00 00 00 00 00 00 00 00 00 00 59 c0 fe");
    expect_line(&c, 3, false, NULL);
    expect_line(&c, 3, true, "3\tc0 fd b2 58 50 00 00 00 00 00 00 00 00 00 00 00 5a c0");
}

END_TEST

static Suite *twc_capture_suite(void)
{
    Suite *s = suite_create("twc_capture");
    TCase *tc = tcase_create("capture");
    tcase_add_test(tc, test_trailer_before_the_next_frame_is_kept);
    tcase_add_test(tc, test_back_to_back_frames_have_no_trailer);
    tcase_add_test(tc, test_a_lone_last_byte_waits_for_quiet_or_the_end);
    tcase_add_test(tc, test_garbage_after_a_frame_is_not_a_trailer);
    tcase_add_test(tc, test_frames_split_across_chunks_keep_their_offsets);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_capture_suite)
