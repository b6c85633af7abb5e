/* SPDX-License-Identifier: MIT */
/* Controllable EVSE models: setpoint words (rounded down, range-checked), state decoding, the
 * generic model's keys. Pure parts only; tests/integration/test_mb_poller.c drives the I/O. */
#include <string.h>

#include <check.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_evse.h"
#include "tests/support/check_main.h"

struct word_case {
    const char *model;
    int32_t ma;
    int want_rc;
    uint16_t want_word;
};

/* Register values from modbus-maps.md §3.8: Heidelberg 0.1 A (0 or 60-160), Phoenix whole A. */
static const struct word_case word_cases[] = {
    {"heidelberg-ec", 16000, 0, 160},
    {"heidelberg-ec", 15990, 0, 159}, /* rounded down, never up */
    {"heidelberg-ec", 6000, 0, 60},
    {"heidelberg-ec", 0, 0, 0}, /* zero pauses this box */
    {"heidelberg-ec", 5999, -ERANGE, 0},
    {"heidelberg-ec", 16001, -ERANGE, 0},
    {"heidelberg-ec", -1, -ERANGE, 0},
    {"phoenix-ev-eth", 15999, 0, 15},
    {"phoenix-ev-eth", 80000, 0, 80},
    {"phoenix-ev-eth", 0, -ERANGE, 0}, /* paused through its enable coil, never by a zero */
    {"phoenix-ev-eth", 80001, -ERANGE, 0},
    {"phoenix-ev-eth-wallbe", 15990, 0, 159},
    {"phoenix-ev-ser", 32000, 0, 32},
    {"phoenix-ev-ser", 6999, 0, 6},
};

START_TEST(test_setpoint_word_is_rounded_down_and_range_checked)
{
    const struct word_case *c = &word_cases[_i];
    const struct mb_evse_model *m = mb_evse_find(c->model);
    ck_assert_ptr_nonnull(m);
    uint16_t w = 0xBEEF;
    int rc = mb_evse_current_word(m, c->ma, &w);
    ck_assert_msg(rc == c->want_rc, "%s %d mA: rc %d", c->model, c->ma, rc);
    ck_assert_uint_eq(w, c->want_rc == 0 ? c->want_word : 0xBEEF);
}

END_TEST

START_TEST(test_zero_is_accepted_where_the_model_can_pause)
{
    ck_assert_int_eq(mb_evse_check_current(mb_evse_find("phoenix-ev-eth"), 0), 0);
    ck_assert_int_eq(mb_evse_check_current(mb_evse_find("heidelberg-ec"), 0), 0);
    struct mb_evse_custom c;
    char err[128];
    mb_evse_generic_init(&c, "plain");
    ck_assert_int_eq(mb_evse_generic_set(&c, "current_reg", "1000", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_generic_finish(&c, err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_check_current(&c.model, 0), -ERANGE); /* no enable, no zero */
    ck_assert_int_eq(mb_evse_check_current(&c.model, 3000), -ERANGE);
}

END_TEST

struct state_case {
    const char *model;
    uint16_t word;
    enum mb_evse_state want;
};

static const struct state_case state_cases[] = {
    {"phoenix-ev-ser", 0x4300, MB_EVSE_STATE_C}, /* 'C' in the first (high) byte */
    {"phoenix-ev-ser", 0x0043, MB_EVSE_STATE_UNKNOWN},
    {"phoenix-ev-ser", 0x4600, MB_EVSE_STATE_F},
    {"phoenix-ev-eth", 0x0042, MB_EVSE_STATE_B}, /* 'B' in the low byte */
    {"phoenix-ev-eth", 0x4100, MB_EVSE_STATE_UNKNOWN},
    {"phoenix-ev-eth", 0x0047, MB_EVSE_STATE_UNKNOWN}, /* 'G' */
    {"heidelberg-ec", 2, MB_EVSE_STATE_A},
    {"heidelberg-ec", 3, MB_EVSE_STATE_A},
    {"heidelberg-ec", 4, MB_EVSE_STATE_B},
    {"heidelberg-ec", 5, MB_EVSE_STATE_B},
    {"heidelberg-ec", 6, MB_EVSE_STATE_C},
    {"heidelberg-ec", 7, MB_EVSE_STATE_C},
    {"heidelberg-ec", 8, MB_EVSE_STATE_D},
    {"heidelberg-ec", 9, MB_EVSE_STATE_E},
    {"heidelberg-ec", 10, MB_EVSE_STATE_F},
    {"heidelberg-ec", 11, MB_EVSE_STATE_UNKNOWN},
    {"heidelberg-ec", 0, MB_EVSE_STATE_UNKNOWN},
};

START_TEST(test_state_register_decodes_to_iec_state)
{
    const struct state_case *c = &state_cases[_i];
    ck_assert_int_eq(mb_evse_decode_state(mb_evse_find(c->model), c->word), c->want);
}

END_TEST

START_TEST(test_every_model_validates_and_is_cited)
{
    const struct mb_evse_model *m = mb_evse_at((size_t)_i);
    char err[200] = "";
    ck_assert_msg(mb_evse_validate(m, err, sizeof(err)) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(m->source, "modbus-maps.md §3.8"));
    ck_assert_ptr_eq(mb_evse_find(m->name), m);
    ck_assert_ptr_eq(m->ops, &mb_evse_register_ops);
}

END_TEST

START_TEST(test_state_names)
{
    ck_assert_str_eq(mb_evse_state_name(MB_EVSE_STATE_C), "C");
    ck_assert_str_eq(mb_evse_state_name(MB_EVSE_STATE_UNKNOWN), "?");
    ck_assert_str_eq(mb_evse_state_name((enum mb_evse_state)42), "?");
}

END_TEST

START_TEST(test_generic_evse_from_keys)
{
    static const char *const kv[][2] = {
        {"current_reg", "1000"},   {"current_unit", "0.1A"},     {"current_fc", "16"},
        {"min_current_a", "6"},    {"max_current_a", "20"},      {"enable_reg", "1004"},
        {"enable_on", "1"},        {"enable_off", "0"},          {"state_reg", "1002"},
        {"state_fc", "3"},         {"state_format", "evse-din"}, {"keepalive", "write"},
        {"keepalive_reg", "1010"}, {"keepalive_value", "1"},     {"keepalive_ms", "2000"},
        {"gap_ms", "100"},
    };
    struct mb_evse_custom c;
    char err[200] = "";
    mb_evse_generic_init(&c, "din");
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
        ck_assert_msg(mb_evse_generic_set(&c, kv[i][0], kv[i][1], err, sizeof(err)) == 0, "%s",
                      err);
    }
    ck_assert_msg(mb_evse_generic_finish(&c, err, sizeof(err)) == 0, "%s", err);
    uint16_t w;
    ck_assert_int_eq(mb_evse_current_word(&c.model, 12345, &w), 0);
    ck_assert_uint_eq(w, 123);
    ck_assert_int_eq(mb_evse_current_word(&c.model, 20100, &w), -ERANGE);
    ck_assert_int_eq(mb_evse_decode_state(&c.model, 3), MB_EVSE_STATE_C);
    ck_assert_int_eq(mb_evse_decode_state(&c.model, 5), MB_EVSE_STATE_F);
    ck_assert_uint_eq(c.model.gap_ms, 100);
}

END_TEST

START_TEST(test_generic_evse_errors_name_the_key)
{
    struct mb_evse_custom c;
    char err[200] = "";
    mb_evse_generic_init(&c, "bad");
    ck_assert_int_eq(mb_evse_generic_set(&c, "current_unit", "mA", err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "current_unit: 'mA' is not A, 0.1A or 0.01A"));
    ck_assert_int_eq(mb_evse_generic_set(&c, "current_fc", "3", err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(mb_evse_generic_set(&c, "colour", "red", err, sizeof(err)), -ENOENT);
    ck_assert_int_eq(mb_evse_generic_finish(&c, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "current_reg is required"));

    mb_evse_generic_init(&c, "ka");
    ck_assert_int_eq(mb_evse_generic_set(&c, "current_reg", "5", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_generic_set(&c, "keepalive", "write", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_generic_finish(&c, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "needs keepalive_ms"));

    mb_evse_generic_init(&c, "fs");
    ck_assert_int_eq(mb_evse_generic_set(&c, "current_reg", "5", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_generic_set(&c, "failsafe_reg", "6", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_generic_finish(&c, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "fail-safe current of 0 needs zero_pauses"));
    ck_assert_int_eq(mb_evse_generic_set(&c, "failsafe_current_a", "6", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_generic_finish(&c, err, sizeof(err)), 0);

    mb_evse_generic_init(&c, "range");
    ck_assert_int_eq(mb_evse_generic_set(&c, "current_reg", "5", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_generic_set(&c, "min_current_a", "20", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_generic_set(&c, "max_current_a", "10", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_evse_generic_finish(&c, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "current range"));
}

END_TEST

static Suite *mb_evse_suite(void)
{
    Suite *s = suite_create("mb_evse");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_setpoint_word_is_rounded_down_and_range_checked, 0,
                        (int)(sizeof(word_cases) / sizeof(word_cases[0])));
    tcase_add_test(tc, test_zero_is_accepted_where_the_model_can_pause);
    tcase_add_loop_test(tc, test_state_register_decodes_to_iec_state, 0,
                        (int)(sizeof(state_cases) / sizeof(state_cases[0])));
    tcase_add_loop_test(tc, test_every_model_validates_and_is_cited, 0, (int)mb_evse_count());
    tcase_add_test(tc, test_state_names);
    tcase_add_test(tc, test_generic_evse_from_keys);
    tcase_add_test(tc, test_generic_evse_errors_name_the_key);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(mb_evse_suite)
