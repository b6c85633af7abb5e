/* SPDX-License-Identifier: MIT */
/* The transmit allow-list (twc-gen2.md §4.2): every one of the 65536 codes, both ways. */
#include <string.h>

#include <check.h>

#include "drivers/base/amp_err.h"
#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_tx_guard.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

/* §4.2 "ampshare rule (safety)", written out here independently of the guard's own table. */
static const uint16_t allowed_always[] = {
    0xFCE1, 0xFBE2, 0xFBE0, 0xFBEB, 0xFBEC, 0xFBED, 0xFBEE, 0xFBEF, 0xFBF1,
};
static const uint16_t allowed_453[] = {0xFCB1, 0xFCB2};

static bool in(const uint16_t *list, size_t n, uint16_t code)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] == code) {
            return true;
        }
    }
    return false;
}

#define IN_ALWAYS(c) in(allowed_always, sizeof(allowed_always) / sizeof(allowed_always[0]), (c))
#define IN_453(c)    in(allowed_453, sizeof(allowed_453) / sizeof(allowed_453[0]), (c))

START_TEST(test_code_allowed_matches_the_reference_list_for_all_65536_codes)
{
    unsigned n_plain = 0, n_fw = 0;
    for (uint32_t c = 0; c <= 0xFFFF; c++) {
        bool plain = twc_tx_code_allowed((uint16_t)c, false);
        bool fw = twc_tx_code_allowed((uint16_t)c, true);
        ck_assert_msg(plain == IN_ALWAYS(c), "code %04x without 4.5.3", c);
        ck_assert_msg(fw == (IN_ALWAYS(c) || IN_453(c)), "code %04x with 4.5.3", c);
        n_plain += plain;
        n_fw += fw;
    }
    ck_assert_uint_eq(n_plain, 9);
    ck_assert_uint_eq(n_fw, 11);
}

END_TEST

/* Builds a message for code at every length 13..20 and checks that nothing outside the list
 * ever encodes, and that what does encode carries exactly that code on the wire. */
static void check_code_through_encoder(uint16_t code, bool fw)
{
    bool allowed = IN_ALWAYS(code) || (fw && IN_453(code));
    bool any_ok = false;
    for (uint8_t len = 13; len <= 20; len++) {
        struct twc_msg msg;
        memset(&msg, 0, sizeof(msg));
        msg.kind = twc_kind_of_code(code);
        msg.code = code;
        msg.has_src = msg.has_dst = true;
        msg.src = 0x1234;
        msg.dst = 0x5678;
        msg.body_len = len;
        uint8_t wire[TWC_WIRE_MAX];
        int n = twc_tx_encode(&msg, fw, -1, wire, sizeof(wire));
        if (!allowed) {
            ck_assert_msg(n == AMP_ERR_FORBIDDEN, "code %04x len %u gave %d", code, len, n);
            continue;
        }
        if (n < 0) {
            ck_assert_int_eq(n, -EINVAL); /* a length the kind does not take */
            continue;
        }
        any_ok = true;
        ck_assert_uint_eq(wire[0], 0xC0);
        ck_assert_uint_eq(wire[1], code >> 8);
        ck_assert_uint_eq(wire[2], code & 0xFF);
        ck_assert_uint_eq(wire[n - 1], 0xC0);
    }
    ck_assert_msg(any_ok == allowed, "code %04x", code);
}

START_TEST(test_encoder_refuses_every_code_outside_the_list)
{
    for (uint32_t c = 0; c <= 0xFFFF; c++) {
        check_code_through_encoder((uint16_t)c, false);
        check_code_through_encoder((uint16_t)c, true);
    }
}

END_TEST

START_TEST(test_encoder_refuses_every_kind_outside_the_list_whatever_the_code_says)
{
    for (int k = 0; k < TWC_KIND_COUNT + 3; k++) {
        uint16_t code = twc_code_of_kind((enum twc_kind)k);
        bool allowed = code != 0 && (IN_ALWAYS(code) || IN_453(code));
        struct twc_msg msg;
        memset(&msg, 0, sizeof(msg));
        msg.kind = (enum twc_kind)k;
        msg.body_len = 16;
        uint8_t wire[TWC_WIRE_MAX];
        int n = twc_tx_encode(&msg, true, -1, wire, sizeof(wire));
        if (!allowed) {
            ck_assert_int_eq(n, AMP_ERR_FORBIDDEN);
        } else {
            ck_assert_int_gt(n, 0);
        }
    }
}

END_TEST

START_TEST(test_the_dangerous_codes_of_the_scan_are_refused)
{
    /* §4.2 "Never send": FC 19 (flash ID), FC 1A (flash model), FB E8 (crash), FC A1 (silent
     * 5 s), FC E5 (GPIO), FC E7; plus a heartbeat kind paired with the FC 19 code. */
    static const uint16_t bad[] = {0xFC19, 0xFC1A, 0xFBE8, 0xFCA1, 0xFCE5, 0xFCE7};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert(!twc_tx_code_allowed(bad[i], true));
        struct twc_msg msg;
        memset(&msg, 0, sizeof(msg));
        msg.kind = TWC_KIND_MASTER_HEARTBEAT;
        msg.code = bad[i];
        msg.body_len = 16;
        uint8_t wire[TWC_WIRE_MAX];
        ck_assert_int_eq(twc_tx_encode(&msg, true, -1, wire, sizeof(wire)), AMP_ERR_FORBIDDEN);
    }
}

END_TEST

static void expect_bytes(const uint8_t *got, int n, const char *hex)
{
    uint8_t want[64];
    int wn = amp_test_hex(hex, want, sizeof(want));
    ck_assert_int_gt(wn, 0);
    ck_assert_int_eq(n, wn);
    ck_assert_mem_eq(got, want, (size_t)wn);
}

START_TEST(test_heartbeat_encodes_to_the_captured_bytes)
{
    /* §8: TWCManager's "fb e0 77 77 40 85 09 0c 80 00x6 28" (cmd 09, 32 A) */
    struct twc_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.kind = TWC_KIND_MASTER_HEARTBEAT;
    msg.src = 0x7777;
    msg.dst = 0x4085;
    msg.body_len = 16;
    msg.u.mhb.cmd = 0x09;
    msg.u.mhb.amps_ca = 3200;
    uint8_t wire[TWC_WIRE_MAX];
    int n = twc_tx_encode(&msg, false, -1, wire, sizeof(wire));
    expect_bytes(wire, n, "c0 fb e0 77 77 40 85 09 0c 80 00 00 00 00 00 00 28 c0");
    /* With the optional FE trailer of §2.2. */
    n = twc_tx_encode(&msg, false, 0xFE, wire, sizeof(wire));
    expect_bytes(wire, n, "c0 fb e0 77 77 40 85 09 0c 80 00 00 00 00 00 00 28 c0 fe");
}

END_TEST

START_TEST(test_stop_charging_needs_confirmed_firmware)
{
    struct twc_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.kind = TWC_KIND_STOP_CHARGING;
    msg.src = 0x7777;
    msg.dst = 0x5850;
    msg.body_len = 16;
    uint8_t wire[TWC_WIRE_MAX];
    ck_assert_int_eq(twc_tx_encode(&msg, false, -1, wire, sizeof(wire)), AMP_ERR_FORBIDDEN);
    int n = twc_tx_encode(&msg, true, -1, wire, sizeof(wire));
    /* b2+77+77+58+50 = 0x248 -> 48 */
    expect_bytes(wire, n, "c0 fc b2 77 77 58 50 00 00 00 00 00 00 00 00 00 48 c0");
}

END_TEST

START_TEST(test_bad_trailer_and_small_buffer_are_refused)
{
    struct twc_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.kind = TWC_KIND_MASTER_LINKREADY1;
    msg.src = 0x7777;
    msg.body_len = 14;
    msg.u.linkready.sign = 0x77;
    uint8_t wire[TWC_WIRE_MAX];
    ck_assert_int_eq(twc_tx_encode(&msg, false, 0x100, wire, sizeof(wire)), -EINVAL);
    ck_assert_int_eq(twc_tx_encode(&msg, false, -1, wire, 10), -EMSGSIZE);
    ck_assert_int_eq(twc_tx_encode(NULL, false, -1, wire, sizeof(wire)), -EINVAL);
    int n = twc_tx_encode(&msg, false, -1, wire, sizeof(wire));
    /* §8 capture: TWCManager's linkready "c0 fc e1 77 77 77 00x8 46 c0" */
    expect_bytes(wire, n, "c0 fc e1 77 77 77 00 00 00 00 00 00 00 00 46 c0");
}

END_TEST

static Suite *tx_guard_suite(void)
{
    Suite *s = suite_create("twc_tx_guard");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_code_allowed_matches_the_reference_list_for_all_65536_codes);
    tcase_add_test(tc, test_encoder_refuses_every_code_outside_the_list);
    tcase_add_test(tc, test_encoder_refuses_every_kind_outside_the_list_whatever_the_code_says);
    tcase_add_test(tc, test_the_dangerous_codes_of_the_scan_are_refused);
    tcase_add_test(tc, test_heartbeat_encodes_to_the_captured_bytes);
    tcase_add_test(tc, test_stop_charging_needs_confirmed_firmware);
    tcase_add_test(tc, test_bad_trailer_and_small_buffer_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(tx_guard_suite)
