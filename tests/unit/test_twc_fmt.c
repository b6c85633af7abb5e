/* SPDX-License-Identifier: MIT */
/* Text and JSON lines of `ampshare decode` (docs/decode.md), compared with literal lines. */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "controller/cli/twc_fmt.h"
#include "drivers/twc/twc_codec.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

static int decode_hex(const char *text, struct twc_msg *m)
{
    uint8_t b[TWC_BODY_MAX];
    int n = amp_test_hex(text, b, sizeof(b));
    ck_assert_int_ge(n, 0);
    return twc_decode(b, (size_t)n, m);
}

static void check_text(const char *body, const struct twc_fmt_where *w, const char *want)
{
    struct twc_msg m;
    int rc = decode_hex(body, &m);
    char line[TWC_FMT_LINE_MAX];
    ck_assert_int_eq(twc_fmt_frame_text(&m, rc, w, line, sizeof(line)), (int)strlen(want));
    ck_assert_str_eq(line, want);
}

static void check_json(const char *body, const struct twc_fmt_where *w, const char *want)
{
    struct twc_msg m;
    int rc = decode_hex(body, &m);
    char line[TWC_FMT_LINE_MAX];
    ck_assert_int_eq(twc_fmt_frame_json(&m, rc, w, line, sizeof(line)), (int)strlen(want));
    ck_assert_str_eq(line, want);
}

static const struct twc_fmt_where at0 = {0};

START_TEST(test_text_slave_heartbeat_line)
{
    check_text("fd e0 20 19 77 77 08 02 58 02 10 00 00 00 00 7b", &at0,
               "0000: slave_heartbeat v2 2019->7777 state=08(starting) limit=6.00A actual=5.28A "
               "checksum ok");
}

END_TEST

START_TEST(test_text_lines_for_each_field_shape)
{
    const struct twc_fmt_where w = {.offset = 17, .line = 3, .has_t_ms = true, .t_ms = 1500};
    check_text("fb e0 77 77 40 85 09 0c 80 00 00 00 00 00 00 28", &w,
               "0017 L3 t=1500: master_heartbeat v2 7777->4085 cmd=09(set_limit_v2) amps=32.00A "
               "plugged=0 checksum ok");
    check_text("fb e0 77 77 03 5d 02 04 00 00 00 00 00 34", &at0,
               "0000: master_heartbeat v1 7777->035d cmd=02(error) error_bitmap=04 plugged=0 "
               "checksum ok");
    check_text("fd e2 18 39 52 0c 80 00 00 00 00 00 00 00 00 11", &at0,
               "0000: slave_linkready v2 1839 sign=52 max=32.00A checksum ok");
    check_text("fc e1 32 ab 77 40 06 00 00 00 00 00 00 00 00 7b", &at0,
               "0000: master_linkready1 v2 32ab sign=77 bytes5_6=4006 checksum ok");
    check_text("fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d", &at0,
               "0000: master_idle v1 checksum ok");
    check_text("fd eb 60 61 00 a3 20 ec 00 f1 00 00 00 00 00 00 00 00 00 4c", &at0,
               "0000: meter_report ext 6061 energy_raw=10690796(unit_unclear) v=241/0/0V "
               "i=0.00/0.00/0.00A checksum ok");
    check_text("fd eb 25 87 00 00 03 9c 00 f6 00 f0 00 f6 20 21 01 00 00 54", &at0,
               "0000: meter_report ext 2587 energy_raw=924 v=246/240/246V i=16.00/16.50/0.50A "
               "checksum ok");
    check_text("fd ec 60 90 04 05 03 02 00 00 00 00 00 00 00 ea", &at0,
               "0000: version_report v2 6090 fw=4.5.3.2 checksum ok");
    check_text("fd ee 60 90 35 59 4a 33 45 31 45 00 00 00 00 00 00 00 00 a4", &at0,
               "0000: vin_report_1 ext 6090 vin=\"5YJ3E1E\" checksum ok");
    check_text("fb ee 32 ab 87 25 00 00 00 00 00 00 77", &at0,
               "0000: vin_query_1 len13 32ab->8725 checksum ok");
    check_text("fd b4 58 50 01 00 00 00 00 00 00 00 00 00 00 5d", &at0,
               "0000: plug_state_report v2 5850 plug_state=01(charging) checksum ok");
    check_text("fd 1a ff 22 00 00 00 00 00 00 00 00 00 3b", &at0,
               "0000: model_report_old v1 model=\"\\xff\\\"\" checksum ok");
}

END_TEST

START_TEST(test_text_bad_checksum_unknown_and_padding)
{
    check_text("fc e1 32 ab 77 40 06 00 00 00 00 00 00 00 00 ba", &at0,
               "0000: master_linkready1 v2 32ab sign=77 bytes5_6=4006 checksum BAD (got ba, want "
               "7b)");
    check_text("fd e2 00 f2 8b 3f 47 46 f6 ff ff ff ff ff ff", &at0,
               "0000: unknown len15 code=fde2 bad_length_for=slave_linkready body=fd e2 00 f2 8b "
               "3f 47 46 f6 ff ff ff ff ff ff checksum BAD (got ff, want 1c)");
    check_text("fb a4 60 90 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 0c", &at0,
               "0000: unknown ext code=fba4 body=fb a4 60 90 01 02 03 04 05 06 07 08 09 0a 0b 0c "
               "0d 0e 0f 0c checksum ok");
    check_text("fd e0 20 19 77 77 02 00 00 00 00 00 00 04 00 0d", &at0,
               "0000: slave_heartbeat v2 2019->7777 state=02(error) limit=0.00A actual=0.00A "
               "nonzero_padding body=fd e0 20 19 77 77 02 00 00 00 00 00 00 04 00 0d checksum ok");
}

END_TEST

START_TEST(test_json_heartbeats_carry_required_keys)
{
    const struct twc_fmt_where w = {.offset = 122, .line = 9};
    check_json("fd e0 20 19 77 77 08 02 58 02 10 00 00 00 00 7b", &w,
               "{\"event\":\"frame\",\"offset\":122,\"line\":9,\"t_ms\":null,\"len\":16,"
               "\"kind\":\"slave_heartbeat\",\"code\":\"fde0\",\"src\":\"2019\",\"dst\":\"7777\","
               "\"proto\":2,\"checksum_ok\":true,\"checksum\":\"7b\",\"checksum_expected\":\"7b\","
               "\"length_ok\":true,\"pad_nonzero\":false,"
               "\"body\":\"fde0201977770802580210000000007b\","
               "\"state\":8,\"state_name\":\"starting\",\"limit_a\":6.00,\"actual_a\":5.28}");
    check_json("fb e0 77 77 03 5d 05 12 c0 00 00 00 00 05", &at0,
               "{\"event\":\"frame\",\"offset\":0,\"line\":null,\"t_ms\":null,\"len\":14,"
               "\"kind\":\"master_heartbeat\",\"code\":\"fbe0\",\"src\":\"7777\",\"dst\":\"035d\","
               "\"proto\":1,\"checksum_ok\":true,\"checksum\":\"05\",\"checksum_expected\":\"05\","
               "\"length_ok\":true,\"pad_nonzero\":false,\"body\":\"fbe07777035d0512c00000000005\","
               "\"cmd\":5,\"cmd_name\":\"set_limit_v1\",\"cmd_amps_a\":48.00,"
               "\"master_plugged\":0}");
}

END_TEST

START_TEST(test_json_ids_proto_null_and_kind_fields)
{
    const struct twc_fmt_where w = {.offset = 5, .has_t_ms = true, .t_ms = 99};
    check_json("fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d", &w,
               "{\"event\":\"frame\",\"offset\":5,\"line\":null,\"t_ms\":99,\"len\":14,"
               "\"kind\":\"master_idle\",\"code\":\"fc1d\",\"src\":null,\"dst\":null,\"proto\":1,"
               "\"checksum_ok\":true,\"checksum\":\"1d\",\"checksum_expected\":\"1d\","
               "\"length_ok\":true,\"pad_nonzero\":false,"
               "\"body\":\"fc1d00000000000000000000001d\"}");
    check_json("fd e2 00 f2 8b 3f 47 46 f6 ff ff ff ff ff ff", &at0,
               "{\"event\":\"frame\",\"offset\":0,\"line\":null,\"t_ms\":null,\"len\":15,"
               "\"kind\":\"unknown\",\"code\":\"fde2\",\"src\":null,\"dst\":null,\"proto\":null,"
               "\"checksum_ok\":false,\"checksum\":\"ff\",\"checksum_expected\":\"1c\","
               "\"length_ok\":false,\"pad_nonzero\":false,"
               "\"body\":\"fde200f28b3f4746f6ffffffffffff\"}");
    check_json("fd eb 25 87 00 00 03 9c 00 f6 00 f0 00 f6 20 21 01 00 00 54", &at0,
               "{\"event\":\"frame\",\"offset\":0,\"line\":null,\"t_ms\":null,\"len\":20,"
               "\"kind\":\"meter_report\",\"code\":\"fdeb\",\"src\":\"2587\",\"dst\":null,"
               "\"proto\":2,\"checksum_ok\":true,\"checksum\":\"54\",\"checksum_expected\":\"54\","
               "\"length_ok\":true,\"pad_nonzero\":false,"
               "\"body\":\"fdeb25870000039c00f600f000f62021010000"
               "54\",\"energy_raw\":924,\"energy_raw_large\":false,\"v_l1\":246,\"v_l2\":240,"
               "\"v_l3\":246,\"i_l1_raw\":32,\"i_l1_a\":16.00,\"i_l2_raw\":33,\"i_l2_a\":16.50,"
               "\"i_l3_raw\":1,\"i_l3_a\":0.50}");
    check_json("fd 1b 04 05 03 00 00 00 00 00 00 00 00 27", &at0,
               "{\"event\":\"frame\",\"offset\":0,\"line\":null,\"t_ms\":null,\"len\":14,"
               "\"kind\":\"fw_report_old\",\"code\":\"fd1b\",\"src\":null,\"dst\":null,"
               "\"proto\":1,\"checksum_ok\":true,\"checksum\":\"27\",\"checksum_expected\":\"27\","
               "\"length_ok\":true,\"pad_nonzero\":false,"
               "\"body\":\"fd1b0405030000000000000000"
               "27\",\"fw\":\"4.5.3\"}");
    check_json("fd 1a ff 22 00 00 00 00 00 00 00 00 00 3b", &at0,
               "{\"event\":\"frame\",\"offset\":0,\"line\":null,\"t_ms\":null,\"len\":14,"
               "\"kind\":\"model_report_old\",\"code\":\"fd1a\",\"src\":null,\"dst\":null,"
               "\"proto\":1,\"checksum_ok\":true,\"checksum\":\"3b\",\"checksum_expected\":\"3b\","
               "\"length_ok\":true,\"pad_nonzero\":false,"
               "\"body\":\"fd1aff220000000000000000003b\",\"model\":\"\\ufffd\\\"\"}");
}

END_TEST

START_TEST(test_event_lines_name_the_error)
{
    struct twc_df_event ev = {.type = TWC_DF_GARBAGE, .offset = 19, .len = 3};
    const struct twc_fmt_where w = {.offset = 19, .line = 4};
    char line[TWC_FMT_LINE_MAX];
    ck_assert_int_gt(twc_fmt_event_text(&ev, false, &w, line, sizeof(line)), 0);
    ck_assert_str_eq(line, "0019 L4: error: garbage skipped (3 bytes)");
    ck_assert_int_gt(twc_fmt_event_json(&ev, false, &w, line, sizeof(line)), 0);
    ck_assert_str_eq(line,
                     "{\"event\":\"garbage\",\"offset\":19,\"line\":4,\"t_ms\":null,\"len\":3}");
    ev.type = TWC_DF_OVERLONG;
    ck_assert_int_gt(twc_fmt_event_json(&ev, false, &w, line, sizeof(line)), 0);
    ck_assert_str_eq(line,
                     "{\"event\":\"overlong\",\"offset\":19,\"line\":4,\"t_ms\":null,\"len\":3}");
    ev.type = TWC_DF_BAD_ESCAPE;
    ck_assert_int_gt(twc_fmt_event_text(&ev, false, &w, line, sizeof(line)), 0);
    ck_assert_str_eq(line,
                     "0019 L4: error: bad escape (DB not followed by DC or DD), frame dropped (3 "
                     "bytes)");
    ev.type = TWC_DF_GARBAGE;
    ck_assert_int_gt(twc_fmt_event_json(&ev, true, &w, line, sizeof(line)), 0);
    ck_assert_str_eq(line,
                     "{\"event\":\"incomplete\",\"offset\":19,\"line\":4,\"t_ms\":null,\"len\":3}");
    ev.type = TWC_DF_FRAME;
    ck_assert_int_eq(twc_fmt_event_text(&ev, false, &w, line, sizeof(line)), -EINVAL);
}

END_TEST

START_TEST(test_small_buffer_gives_emsgsize_and_empty_string)
{
    struct twc_msg m;
    decode_hex("fd e0 20 19 77 77 08 02 58 02 10 00 00 00 00 7b", &m);
    char line[16];
    ck_assert_int_eq(twc_fmt_frame_text(&m, 0, &at0, line, sizeof(line)), -EMSGSIZE);
    ck_assert_str_eq(line, "");
    ck_assert_int_eq(twc_fmt_frame_json(&m, 0, &at0, line, 0), -EMSGSIZE);
}

END_TEST

START_TEST(test_name_tables)
{
    ck_assert_str_eq(twc_fmt_state_name(0x00), "ready");
    ck_assert_str_eq(twc_fmt_state_name(0x03), "do_not_charge");
    ck_assert_str_eq(twc_fmt_state_name(0x0A), "adjust_done");
    ck_assert_str_eq(twc_fmt_state_name(0x0F), "unknown");
    ck_assert_str_eq(twc_fmt_cmd_name(0x00), "no_change");
    ck_assert_str_eq(twc_fmt_cmd_name(0x09), "set_limit_v2");
    ck_assert_str_eq(twc_fmt_cmd_name(0x01), "unknown");
    ck_assert_str_eq(twc_fmt_plug_state_name(3), "plugged_not_charging");
    ck_assert_str_eq(twc_fmt_plug_state_name(2), "unknown");
}

END_TEST

static Suite *twc_fmt_suite(void)
{
    Suite *s = suite_create("twc_fmt");
    TCase *tc = tcase_create("fmt");
    tcase_add_test(tc, test_text_slave_heartbeat_line);
    tcase_add_test(tc, test_text_lines_for_each_field_shape);
    tcase_add_test(tc, test_text_bad_checksum_unknown_and_padding);
    tcase_add_test(tc, test_json_heartbeats_carry_required_keys);
    tcase_add_test(tc, test_json_ids_proto_null_and_kind_fields);
    tcase_add_test(tc, test_event_lines_name_the_error);
    tcase_add_test(tc, test_small_buffer_gives_emsgsize_and_empty_string);
    tcase_add_test(tc, test_name_tables);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(twc_fmt_suite)
