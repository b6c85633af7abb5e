/* SPDX-License-Identifier: MIT */
/*
 * Logging for a daemon: the sd-daemon priority prefix and when it is used (the choice is a pure
 * function; the real stderr is checked through a pipe), and the rate limiters in virtual time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "drivers/base/log.h"
#include "tests/support/check_main.h"

#define MAX_LINES 80

struct lines {
    int n;
    enum log_level lvl[MAX_LINES];
    char text[MAX_LINES][256];
};

static void capture(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    struct lines *c = ctx;
    if (c->n < MAX_LINES) {
        c->lvl[c->n] = lvl;
        snprintf(c->text[c->n], sizeof(c->text[0]), "%s: %s", mod, line);
    }
    c->n++;
}

START_TEST(test_prefix_under_journal_or_when_not_a_terminal)
{
    /* systemd: JOURNAL_STREAM names exactly our stderr */
    ck_assert(log_stderr_wants_prefix(false, "8:12345", 8, 12345));
    /* a terminal whose environment still carries the parent's journal stream: no prefix */
    ck_assert(!log_stderr_wants_prefix(true, "8:12345", 136, 3));
    ck_assert(!log_stderr_wants_prefix(true, NULL, 136, 3));
    ck_assert(!log_stderr_wants_prefix(true, "garbage", 136, 3));
    /* a pipe or a file (journald through a plain pipe, syslog-style collectors): prefix */
    ck_assert(log_stderr_wants_prefix(false, NULL, 0, 0));
    ck_assert(log_stderr_wants_prefix(false, "8:1", 9, 9));
}

END_TEST

START_TEST(test_lines_carry_sd_daemon_priorities)
{
    char buf[128];
    log_format_line(buf, sizeof(buf), true, LOG_LEVEL_ERR, "twc", "bus lost");
    ck_assert_str_eq(buf, "<3>twc: bus lost");
    log_format_line(buf, sizeof(buf), true, LOG_LEVEL_WARN, "mb", "x");
    ck_assert_str_eq(buf, "<4>mb: x");
    log_format_line(buf, sizeof(buf), true, LOG_LEVEL_INFO, "ctl", "y");
    ck_assert_str_eq(buf, "<6>ctl: y");
    log_format_line(buf, sizeof(buf), true, LOG_LEVEL_DEBUG, "loop", "z");
    ck_assert_str_eq(buf, "<7>loop: z");
    log_format_line(buf, sizeof(buf), false, LOG_LEVEL_WARN, "mb", "x");
    ck_assert_str_eq(buf, "warning: mb: x");
}

END_TEST

/* The default sink on a real stderr that is a pipe: prefixed lines, one per message. */
START_TEST(test_default_sink_prefixes_on_a_pipe)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(p[1], STDERR_FILENO), 0);
    unsetenv("JOURNAL_STREAM");
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
    log_err("twc", "adapter %s gone", "/dev/ttyUSB0");
    log_info("ctl", "limit %d mA", 16000);
    log_debug("ctl", "not shown");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(p[1]);
    char buf[256] = {0};
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    ck_assert_int_gt(n, 0);
    ck_assert_str_eq(buf, "<3>twc: adapter /dev/ttyUSB0 gone\n<6>ctl: limit 16000 mA\n");
}

END_TEST

START_TEST(test_repeated_error_is_held_back_and_summarised_after_the_minute)
{
    struct lines c = {0};
    log_set_sink(capture, &c, LOG_LEVEL_INFO);
    struct log_ratelimit rl;
    log_ratelimit_init(&rl, 0, 0); /* one a minute */
    uint64_t t = 5000;
    for (int i = 0; i < 58; i++) {
        log_rl_msg(&rl, t + (uint64_t)i * 1000, LOG_LEVEL_ERR, "mb", "meter grid: timeout #%d", i);
    }
    ck_assert_int_eq(c.n, 1);
    ck_assert_str_eq(c.text[0], "mb: meter grid: timeout #0");
    /* the window is over: the summary, then the message itself */
    log_rl_msg(&rl, t + 60000, LOG_LEVEL_ERR, "mb", "meter grid: timeout #%d", 99);
    ck_assert_int_eq(c.n, 3);
    ck_assert_str_eq(c.text[1], "mb: meter grid: timeout #57 ... 57 more times in the last minute");
    ck_assert_int_eq(c.lvl[1], LOG_LEVEL_ERR);
    ck_assert_str_eq(c.text[2], "mb: meter grid: timeout #99");
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

END_TEST

START_TEST(test_flush_prints_the_count_when_the_message_stops)
{
    struct lines c = {0};
    log_set_sink(capture, &c, LOG_LEVEL_INFO);
    struct log_ratelimit rl;
    log_ratelimit_init(&rl, 10000, 2);
    for (int i = 0; i < 5; i++) {
        log_rl_msg(&rl, 100 + (uint64_t)i, LOG_LEVEL_WARN, "twc", "bad checksum");
    }
    ck_assert_int_eq(c.n, 2);                                                    /* burst 2 */
    ck_assert_uint_eq(log_ratelimit_flush(&rl, 5000, LOG_LEVEL_WARN, "twc"), 0); /* too early */
    ck_assert_uint_eq(log_ratelimit_flush(&rl, 10100, LOG_LEVEL_WARN, "twc"), 3);
    ck_assert_int_eq(c.n, 3);
    ck_assert_str_eq(c.text[2], "twc: bad checksum ... 3 more times in the last 10000 ms");
    ck_assert_uint_eq(log_ratelimit_flush(&rl, 20000, LOG_LEVEL_WARN, "twc"), 0); /* once */
    /* a message after the flush starts a new window without a second summary */
    log_rl_msg(&rl, 30000, LOG_LEVEL_WARN, "twc", "bad checksum");
    ck_assert_int_eq(c.n, 4);
    ck_assert_str_eq(c.text[3], "twc: bad checksum");
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

END_TEST

START_TEST(test_keyed_limiters_are_independent_per_call_site)
{
    struct lines c = {0};
    log_set_sink(capture, &c, LOG_LEVEL_INFO);
    for (int i = 0; i < 10; i++) {
        log_limited(LOG_RL_HERE, 1000 + (uint64_t)i, LOG_LEVEL_ERR, "a", "first site %d", i);
        log_limited(LOG_RL_HERE, 1000 + (uint64_t)i, LOG_LEVEL_ERR, "b", "second site %d", i);
        log_limited("meter:grid", 1000 + (uint64_t)i, LOG_LEVEL_WARN, "mb", "grid silent");
    }
    ck_assert_int_eq(c.n, 3);
    ck_assert_int_eq(log_limited_flush(30000), 0);
    ck_assert_int_eq(log_limited_flush(61009), 3);
    ck_assert_int_eq(c.n, 6);
    bool a = false, b = false, m = false;
    for (int i = 3; i < 6; i++) {
        a = a || strcmp(c.text[i], "a: first site 9 ... 9 more times in the last minute") == 0;
        b = b || strcmp(c.text[i], "b: second site 9 ... 9 more times in the last minute") == 0;
        m = m || (strcmp(c.text[i], "mb: grid silent ... 9 more times in the last minute") == 0 &&
                  c.lvl[i] == LOG_LEVEL_WARN);
    }
    ck_assert(a && b && m);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

END_TEST

START_TEST(test_keyed_table_full_evicts_the_oldest_without_losing_its_count)
{
    struct lines c = {0};
    log_set_sink(capture, &c, LOG_LEVEL_INFO);
    log_limited("old", 0, LOG_LEVEL_ERR, "x", "old one");
    log_limited("old", 1, LOG_LEVEL_ERR, "x", "old one");
    for (int i = 0; i < LOG_RL_KEYS; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        log_limited(key, 10 + (uint64_t)i, LOG_LEVEL_ERR, "x", "key %d", i);
    }
    ck_assert_int_eq(c.n, 2 + LOG_RL_KEYS);
    ck_assert_str_eq(c.text[LOG_RL_KEYS], "x: old one ... 1 more time in the last minute");
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

END_TEST

START_TEST(test_disabled_level_is_neither_printed_nor_counted)
{
    struct lines c = {0};
    log_set_sink(capture, &c, LOG_LEVEL_WARN);
    struct log_ratelimit rl;
    log_ratelimit_init(&rl, 0, 0);
    log_rl_msg(&rl, 0, LOG_LEVEL_DEBUG, "x", "noise");
    log_rl_msg(&rl, 1, LOG_LEVEL_DEBUG, "x", "noise");
    ck_assert_int_eq(c.n, 0);
    ck_assert_uint_eq(rl.held, 0);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
}

END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, test_prefix_under_journal_or_when_not_a_terminal);
    tcase_add_test(tc, test_lines_carry_sd_daemon_priorities);
    tcase_add_test(tc, test_default_sink_prefixes_on_a_pipe);
    tcase_add_test(tc, test_repeated_error_is_held_back_and_summarised_after_the_minute);
    tcase_add_test(tc, test_flush_prints_the_count_when_the_message_stops);
    tcase_add_test(tc, test_keyed_limiters_are_independent_per_call_site);
    tcase_add_test(tc, test_keyed_table_full_evicts_the_oldest_without_losing_its_count);
    tcase_add_test(tc, test_disabled_level_is_neither_printed_nor_counted);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(log_suite)
