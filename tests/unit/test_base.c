/* SPDX-License-Identifier: MIT */
/* Error names and the logger sink. */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <modbus.h>

#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

START_TEST(test_strerror_names_errno_project_and_modbus_codes)
{
    ck_assert_str_eq(amp_strerror(-EINVAL), strerror(EINVAL));
    ck_assert_str_eq(amp_strerror(AMP_ERR_MASTER_CLASH),
                     "another master is transmitting on the bus");
    ck_assert_str_eq(amp_strerror(-EMBXILFUN), modbus_strerror(EMBXILFUN));
}

END_TEST

struct captured {
    int count;
    enum log_level lvl;
    char line[128];
};

static void capture_sink(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    struct captured *c = ctx;
    c->count++;
    c->lvl = lvl;
    snprintf(c->line, sizeof(c->line), "%s: %s", mod, line);
}

START_TEST(test_log_sink_receives_lines_at_or_above_level)
{
    struct captured c = {0};
    log_set_sink(capture_sink, &c, LOG_LEVEL_INFO);
    log_info("twc", "slave %04x linked", 0x2019);
    log_debug("twc", "not shown %d", 1);
    log_set_sink(NULL, NULL, LOG_LEVEL_INFO);
    ck_assert_int_eq(c.count, 1);
    ck_assert_int_eq(c.lvl, LOG_LEVEL_INFO);
    ck_assert_str_eq(c.line, "twc: slave 2019 linked");
}

END_TEST

START_TEST(test_hex_helper_parses_spaced_and_packed_text)
{
    uint8_t b[8];
    ck_assert_int_eq(amp_test_hex("c0 fb\te2", b, sizeof(b)), 3);
    ck_assert_uint_eq(b[2], 0xe2);
    ck_assert_int_eq(amp_test_hex("c0fbe", b, sizeof(b)), -EINVAL);
    ck_assert_int_eq(amp_test_hex("c0c0c0c0c0c0c0c0c0", b, sizeof(b)), -EMSGSIZE);
}

END_TEST

static Suite *base_suite(void)
{
    Suite *s = suite_create("base");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_strerror_names_errno_project_and_modbus_codes);
    tcase_add_test(tc, test_log_sink_receives_lines_at_or_above_level);
    tcase_add_test(tc, test_hex_helper_parses_spaced_and_packed_text);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(base_suite)
