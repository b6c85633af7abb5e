/* SPDX-License-Identifier: MIT */
/*
 * The simulated slave, byte for byte. Expected frames are captured vectors (twc-gen2.md §8, rows
 * noted) or built by hand with checksums summed by hand (§3); defaults: trailer FE, reply 50 ms.
 */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "sim/sim_twc_slave.h"
#include "sim/sim_twc_slaves.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

/* clang-format off */
/* §8 row 5: a real slave's linkready (4085, sign 1D, 32 A). */
#define LR_4085     "c0 fd e2 40 85 1d 0c 80 00 00 00 00 00 00 00 00 50 c0 fe"
/* §8 (TWCManager master rows): 09 32.00 A to 4085, and 00 keep-alives. */
#define HB_4085_32A "c0 fb e0 77 77 40 85 09 0c 80 00 00 00 00 00 00 28 c0"
#define HB_4085_00  "c0 fb e0 77 77 40 85 00 00 00 00 00 00 00 00 00 93 c0"
#define HB_4085_0A  "c0 fb e0 77 77 40 85 09 00 00 00 00 00 00 00 00 9c c0"
#define HB_4085_6A  "c0 fb e0 77 77 40 85 09 02 58 00 00 00 00 00 00 f6 c0"
#define HB_4085_05  "c0 fb e0 77 77 40 85 05 03 e8 00 00 00 00 00 00 83 c0"
#define HB_4085_06  "c0 fb e0 77 77 40 85 06 00 00 00 00 00 00 00 00 99 c0"
#define HB_4085_07  "c0 fb e0 77 77 40 85 07 00 00 00 00 00 00 00 00 9a c0"
#define HB_4085_ERR "c0 fb e0 77 77 40 85 02 01 00 00 00 00 00 00 00 96 c0"
/* Replies of 4085 to master 7777. */
#define RE_04_32A   "c0 fd e0 40 85 77 77 04 0c 80 00 00 00 00 00 00 23 c0 fe"
#define RE_01_32A   "c0 fd e0 40 85 77 77 01 0c 80 0c 30 00 00 00 00 5c c0 fe"
#define RE_03_0A    "c0 fd e0 40 85 77 77 03 00 00 00 00 00 00 00 00 96 c0 fe"
#define RE_03_6A    "c0 fd e0 40 85 77 77 03 02 58 00 00 00 00 00 00 f0 c0 fe"
#define RE_04_0A    "c0 fd e0 40 85 77 77 04 00 00 00 00 00 00 00 00 97 c0 fe"
#define RE_00       "c0 fd e0 40 85 77 77 00 00 00 00 00 00 00 00 00 93 c0 fe"
#define RE_08_0A    "c0 fd e0 40 85 77 77 08 00 00 00 00 00 00 00 00 9b c0 fe"
#define RE_02       "c0 fd e0 40 85 77 77 02 00 00 00 00 00 00 00 00 95 c0 fe"
#define RE_06_34A   "c0 fd e0 40 85 77 77 06 0d 48 0c 30 00 00 00 00 2a c0 fe"
#define RE_07_30A   "c0 fd e0 40 85 77 77 07 0b b8 0c 30 00 00 00 00 99 c0 fe"
#define RE_0A_32A   "c0 fd e0 40 85 77 77 0a 0c 80 0b b8 00 00 00 00 ec c0 fe"

/* clang-format on */

static void
make(struct sim_twc_slave *s, uint16_t id, uint8_t sign, enum sim_twc_proto proto, const char *car)
{
    struct sim_twc_slave_cfg cfg;
    sim_twc_slave_cfg_default(&cfg, id, proto);
    cfg.sign = sign;
    struct sim_car_cfg cc;
    ck_assert_int_eq(sim_car_cfg_preset(&cc, car), 0);
    ck_assert_int_eq(sim_twc_slave_init(s, &cfg, &cc, 0), 0);
}

static void feed(struct sim_twc_slave *s, uint64_t t, const char *hex)
{
    uint8_t b[128];
    int n = amp_test_hex(hex, b, sizeof(b));
    ck_assert_int_gt(n, 0);
    sim_twc_slave_on_bytes(s, t, b, (size_t)n);
}

/* Polls at t and requires exactly the frames in hex ("" for nothing). */
static void expect(struct sim_twc_slave *s, uint64_t t, const char *hex)
{
    uint8_t want[256], got[256];
    int n = amp_test_hex(hex, want, sizeof(want));
    ck_assert_int_ge(n, 0);
    uint64_t next = 0;
    size_t m = sim_twc_slave_poll(s, t, got, sizeof(got), &next);
    ck_assert_uint_eq(m, (size_t)n);
    ck_assert_mem_eq(got, want, m);
}

/* Heartbeats with keep-alives every second over [from, to), dropping the replies. */
static void keep_alive(struct sim_twc_slave *s, uint64_t from, uint64_t to)
{
    uint8_t out[256];
    for (uint64_t t = from; t < to; t += 1000) {
        feed(s, t, HB_4085_00);
        sim_twc_slave_poll(s, t + 50, out, sizeof(out), NULL);
    }
}

START_TEST(test_linkready_v2_is_the_captured_frame_every_10_s)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "none");
    uint64_t next = 0;
    uint8_t out[64];
    expect(&s, 0, LR_4085);
    sim_twc_slave_poll(&s, 0, out, sizeof(out), &next);
    ck_assert_uint_eq(next, 10000);
    expect(&s, 9999, "");
    expect(&s, 10000, LR_4085);
    expect(&s, 20000, LR_4085);
}

END_TEST

START_TEST(test_linkready_v1_is_14_bytes)
{
    struct sim_twc_slave s;
    make(&s, 0x022c, 0x61, SIM_TWC_V1, "none");
    expect(&s, 0, "c0 fd e2 02 2c 61 0c 80 00 00 00 00 00 00 fd c0 fe");
}

END_TEST

START_TEST(test_trailer_is_configurable)
{
    struct sim_twc_slave_cfg cfg;
    sim_twc_slave_cfg_default(&cfg, 0x4085, SIM_TWC_V2);
    cfg.sign = 0x1d;
    cfg.trailer = -1;
    struct sim_twc_slave s;
    ck_assert_int_eq(sim_twc_slave_init(&s, &cfg, NULL, 0), 0);
    expect(&s, 0, "c0 fd e2 40 85 1d 0c 80 00 00 00 00 00 00 00 00 50 c0");
    cfg.trailer = 0xfc;
    ck_assert_int_eq(sim_twc_slave_init(&s, &cfg, NULL, 0), 0);
    expect(&s, 0, "c0 fd e2 40 85 1d 0c 80 00 00 00 00 00 00 00 00 50 c0 fc");
    cfg.trailer = 0x100;
    ck_assert_int_eq(sim_twc_slave_init(&s, &cfg, NULL, 0), -EINVAL);
}

END_TEST

START_TEST(test_heartbeat_reply_comes_after_the_delay_and_echoes_the_limit)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_32A);
    expect(&s, 1049, "");
    expect(&s, 1050, RE_04_32A);
}

END_TEST

START_TEST(test_reply_is_the_same_when_fed_byte_by_byte)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    uint8_t b[64];
    int n = amp_test_hex(HB_4085_32A, b, sizeof(b));
    for (int i = 0; i < n; i++) {
        sim_twc_slave_on_bytes(&s, 1000, &b[i], 1);
    }
    expect(&s, 1050, RE_04_32A);
}

END_TEST

START_TEST(test_car_charges_to_limit_minus_0_8_a_and_no_linkready_while_linked)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_32A);
    expect(&s, 1050, RE_04_32A);
    uint32_t lr = s.stats.linkreadies_tx;
    keep_alive(&s, 2000, 30000);
    ck_assert_uint_eq(s.stats.linkreadies_tx, lr);
    feed(&s, 30000, HB_4085_00);
    /* 32.00 A offered, 31.20 A drawn (§5.3, TWCManager's model). */
    expect(&s, 30050, RE_01_32A);
}

END_TEST

START_TEST(test_zero_limit_is_echoed_and_the_car_stops)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_32A);
    keep_alive(&s, 2000, 30000);
    /* §5.2: 0 is echoed as 0 (unlike TWCManager's fake slave). The car ramps down at once but
     * reports 01 until the zero has lasted 3 s (one zero is no stop, twcmanager-peer.md); then
     * it has stopped (§7.1 P1). Checksum: e0+40+85+77+77+01+0c+30 = 0x2d0. */
    feed(&s, 30000, HB_4085_0A);
    expect(&s, 30050, "c0 fd e0 40 85 77 77 01 00 00 0c 30 00 00 00 00 d0 c0 fe");
    keep_alive(&s, 31000, 33000);
    feed(&s, 33000, HB_4085_00);
    expect(&s, 33050, RE_03_0A);
}

END_TEST

START_TEST(test_v1_slave_answers_a_16_byte_heartbeat_in_14_bytes)
{
    struct sim_twc_slave s;
    make(&s, 0x022c, 0x61, SIM_TWC_V1, "tesla");
    expect(&s, 0, "c0 fd e2 02 2c 61 0c 80 00 00 00 00 00 00 fd c0 fe");
    /* §8: TWCManager's 16-byte 05 22.00 A to the v1 slave 022C (§7.5). */
    feed(&s, 500, "c0 fb e0 77 77 02 2c 05 08 98 00 00 00 00 00 00 a1 c0");
    expect(&s, 550, "c0 fd e0 02 2c 77 77 04 08 98 00 00 00 00 a0 c0 fe");
}

END_TEST

START_TEST(test_slave_without_car_reports_00_and_limit_0)
{
    struct sim_twc_slave s;
    make(&s, 0x2431, 0x2d, SIM_TWC_V2, "none");
    /* §8 row 6. */
    expect(&s, 0, "c0 fd e2 24 31 2d 0c 80 00 00 00 00 00 00 00 00 f0 c0 fe");
    /* §8: TWCManager's keep-alive to 2431. */
    feed(&s, 100, "c0 fb e0 77 77 24 31 00 00 00 00 00 00 00 00 00 23 c0");
    expect(&s, 150, "c0 fd e0 24 31 77 77 00 00 00 00 00 00 00 00 00 23 c0 fe");
}

END_TEST

START_TEST(test_limit_reads_0_while_no_car_is_connected)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "none");
    expect(&s, 0, LR_4085);
    /* §5.2: d1-d2 is 0 while no vehicle is connected, whatever the master set. */
    feed(&s, 1000, HB_4085_32A);
    expect(&s, 1050, RE_00);
}

END_TEST

START_TEST(test_unplug_reports_00_and_a_new_car_asks_with_04_limit_0)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_32A);
    keep_alive(&s, 2000, 20000);
    sim_twc_slave_unplug(&s, 20000);
    feed(&s, 20000, HB_4085_00);
    expect(&s, 20050, RE_00);
    struct sim_car_cfg cc;
    ck_assert_int_eq(sim_car_cfg_preset(&cc, "tesla"), 0);
    ck_assert_int_eq(sim_twc_slave_plug(&s, 21000, &cc), 0);
    feed(&s, 21000, HB_4085_00);
    expect(&s, 21050, RE_04_0A);
    /* Plugging "none" in unplugs. */
    ck_assert_int_eq(sim_car_cfg_preset(&cc, "none"), 0);
    ck_assert_int_eq(sim_twc_slave_plug(&s, 22000, &cc), 0);
    feed(&s, 22000, HB_4085_00);
    expect(&s, 22050, RE_00);
}

END_TEST

/* §5.2: some units show a 0.25 A "actual" with no load; with noload_actual_ca the idle i3's
 * unit reports 00 19 (checksum e0+40+85+77+77+03+02+58+00+19 = 0x309 -> 09), and the real
 * draw once the car charges. */
START_TEST(test_noload_offset_is_reported_while_the_car_draws_nothing)
{
    struct sim_twc_slave s;
    struct sim_twc_slave_cfg cfg;
    sim_twc_slave_cfg_default(&cfg, 0x4085, SIM_TWC_V2);
    cfg.sign = 0x1d;
    cfg.noload_actual_ca = 25;
    struct sim_car_cfg cc;
    ck_assert_int_eq(sim_car_cfg_preset(&cc, "bmw-i3-idle"), 0);
    ck_assert_int_eq(sim_twc_slave_init(&s, &cfg, &cc, 0), 0);
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_6A);
    expect(&s, 1050, "c0 fd e0 40 85 77 77 03 02 58 00 19 00 00 00 00 09 c0 fe");
    /* the i3 wants energy (sim_car_want): 04 while waking, 08 ramping, then 01 at 5.20 A
     * (6 A - 0.8 A, §5.3): checksum e0+40+85+77+77+01+02+58+02+08 = 0x2f8 -> f8 */
    sim_car_want(&s.car, 2000, -1);
    keep_alive(&s, 2000, 20000);
    feed(&s, 20000, HB_4085_00);
    expect(&s, 20050, "c0 fd e0 40 85 77 77 01 02 58 02 08 00 00 00 00 f8 c0 fe");
}

END_TEST

START_TEST(test_idle_i3_reports_03_and_echoes_6_a)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "bmw-i3-idle");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_6A);
    expect(&s, 1050, RE_03_6A);
    keep_alive(&s, 2000, 30000);
    feed(&s, 30000, HB_4085_00);
    expect(&s, 30050, RE_03_6A);
}

END_TEST

START_TEST(test_other_ids_get_no_reply)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    feed(&s, 100, "c0 fb e0 77 77 24 31 00 00 00 00 00 00 00 00 00 23 c0");
    expect(&s, 5000, "");
    expect(&s, 10000, LR_4085);
}

END_TEST

START_TEST(test_idle_frame_is_ignored)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "none");
    expect(&s, 0, LR_4085);
    /* §8 row 3, §6.5. */
    feed(&s, 100, "c0 fc 1d 00 00 00 00 00 00 00 00 00 00 00 1d c0");
    ck_assert_uint_eq(s.stats.frames_rx, 1);
    expect(&s, 5000, "");
}

END_TEST

START_TEST(test_back_to_linkready_10_s_after_the_last_heartbeat)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_32A);
    expect(&s, 1050, RE_04_32A);
    expect(&s, 10999, "");
    expect(&s, 11000, LR_4085);
    expect(&s, 21000, LR_4085);
}

END_TEST

START_TEST(test_car_stops_25_s_after_the_last_heartbeat_and_resumes_through_08)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_32A);
    keep_alive(&s, 2000, 31000);
    /* Last heartbeat at 30000: the car still draws at 54999 and stops at 55000 (§6.4). */
    struct sim_twc_slave_view v;
    sim_twc_slave_view(&s, 54999, &v);
    ck_assert_uint_eq(v.actual_ca, 3120);
    sim_twc_slave_view(&s, 56000, &v);
    ck_assert_uint_eq(v.actual_ca, 0);
    uint8_t out[256];
    sim_twc_slave_poll(&s, 59000, out, sizeof(out), NULL);
    feed(&s, 60000, HB_4085_00);
    expect(&s, 60050, RE_08_0A);
    feed(&s, 61000, HB_4085_32A);
    expect(&s, 61050, RE_04_32A);
}

END_TEST

START_TEST(test_cmd_02_is_answered_once_then_silence_until_reset)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "none");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_ERR);
    expect(&s, 1050, RE_02);
    feed(&s, 2000, HB_4085_00);
    expect(&s, 2050, "");
    expect(&s, 60000, "");
    sim_twc_slave_reset_button(&s, 61000);
    expect(&s, 61000, LR_4085);
}

END_TEST

START_TEST(test_v2_ignores_05_while_charging_and_handles_06_07)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, HB_4085_32A);
    keep_alive(&s, 2000, 30000);
    /* §5.1: 05 is only the initial limit on v2; ignored once charging. */
    feed(&s, 30000, HB_4085_05);
    expect(&s, 30050, RE_01_32A);
    /* §5.1: 06 raises by 2 A and the reply echoes 06. */
    feed(&s, 31000, HB_4085_06);
    expect(&s, 31050, RE_06_34A);
    struct sim_twc_slave s2;
    make(&s2, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s2, 0, LR_4085);
    feed(&s2, 1000, HB_4085_32A);
    keep_alive(&s2, 2000, 30000);
    /* 07 lowers by 2 A for 10 s, then 0A "adjustment finished" at 13 s; the car is still
     * climbing back (29.20 A at 40 s, +1 s hold, 5 s ramp: 30.00 A at 43 s). */
    feed(&s2, 30000, HB_4085_07);
    expect(&s2, 30050, RE_07_30A);
    keep_alive(&s2, 31000, 43000);
    feed(&s2, 43000, HB_4085_00);
    expect(&s2, 43050, RE_0A_32A);
}

END_TEST

START_TEST(test_ext_answers_vin_queries_with_20_bytes)
{
    struct sim_twc_slave s;
    make(&s, 0x2019, 0x52, SIM_TWC_EXT, "tesla");
    uint8_t out[64];
    sim_twc_slave_poll(&s, 0, out, sizeof(out), NULL);
    /* §8: TWCManager's 15-byte VIN queries to 2019. */
    feed(&s, 100, "c0 fb ee 77 77 20 19 00 00 00 00 00 00 00 00 15 c0");
    expect(&s, 150, "c0 fd ee 20 19 35 59 4a 58 43 41 45 00 00 00 00 00 00 00 00 20 c0 fe");
    feed(&s, 200, "c0 fb f1 77 77 20 19 00 00 00 00 00 00 00 00 18 c0");
    expect(&s, 250, "c0 fd f1 20 19 30 30 31 00 00 00 00 00 00 00 00 00 00 00 00 bb c0 fe");
}

END_TEST

START_TEST(test_ext_vin_is_all_zero_for_a_non_tesla)
{
    struct sim_twc_slave s;
    make(&s, 0x8725, 0xae, SIM_TWC_EXT, "bmw-i3");
    uint8_t out[64];
    sim_twc_slave_poll(&s, 0, out, sizeof(out), NULL);
    /* §8: jnicolson's 13-byte VIN query to 8725 (§9 #13: 13-20 byte requests are answered). */
    feed(&s, 100, "c0 fb ee 32 ab 87 25 00 00 00 00 00 00 77 c0 ff");
    expect(&s, 150, "c0 fd ee 87 25 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 9a c0 fe");
}

END_TEST

START_TEST(test_v2_does_not_answer_4_5_3_queries)
{
    struct sim_twc_slave s;
    make(&s, 0x2019, 0x52, SIM_TWC_V2, "tesla");
    uint8_t out[64];
    sim_twc_slave_poll(&s, 0, out, sizeof(out), NULL);
    feed(&s, 100, "c0 fb ee 77 77 20 19 00 00 00 00 00 00 00 00 15 c0");
    expect(&s, 150, "");
    ck_assert_uint_eq(s.stats.frames_rx, 1);
}

END_TEST

START_TEST(test_ext_version_serial_and_meter)
{
    struct sim_twc_slave s;
    make(&s, 0x6090, 0x11, SIM_TWC_EXT, "none");
    uint8_t out[64];
    sim_twc_slave_poll(&s, 0, out, sizeof(out), NULL);
    feed(&s, 100, "c0 fb ec 77 77 60 90 00 00 00 00 00 00 00 00 00 ca c0");
    /* §8 row 16: firmware 4.5.3.2, a 16-byte frame. */
    expect(&s, 150, "c0 fd ec 60 90 04 05 03 02 00 00 00 00 00 00 00 ea c0 fe");
    feed(&s, 200, "c0 fb ed 77 77 60 90 00 00 00 00 00 00 00 00 00 cb c0");
    /* TSN "A18F0006090": the ID in characters 8-11 (§4.1). */
    expect(&s, 250, "c0 fd ed 60 90 41 31 38 46 30 30 30 36 30 39 30 00 00 00 00 2c c0 fe");
    feed(&s, 300, "c0 fb eb 77 77 60 90 00 00 00 00 00 00 00 00 c9 c0");
    /* 100 kWh, 230 V on three phases, no current (§4.2 20-byte FD EB). */
    expect(&s, 350, "c0 fd eb 60 90 00 00 00 64 00 e6 00 e6 00 e6 00 00 00 00 00 f1 c0 fe");
}

END_TEST

START_TEST(test_ext_acks_fc_b2_and_fc_b1)
{
    struct sim_twc_slave s;
    make(&s, 0x5850, 0x21, SIM_TWC_EXT, "bmw-i3");
    uint8_t out[64];
    sim_twc_slave_poll(&s, 0, out, sizeof(out), NULL);
    feed(&s, 100, "c0 fc b2 77 77 58 50 00 00 00 00 00 00 00 00 00 48 c0");
    /* §8 rows 15 and 14. */
    expect(&s, 150, "c0 fd b2 58 50 00 00 00 00 00 00 00 00 00 00 00 5a c0 fe");
    ck_assert(s.contactor_open);
    feed(&s, 200, "c0 fc b1 77 77 58 50 00 00 00 00 00 00 00 00 00 47 c0");
    expect(&s, 250, "c0 fd b1 58 50 00 00 00 00 00 00 00 00 00 00 00 59 c0 fe");
    ck_assert(!s.contactor_open);
}

END_TEST

START_TEST(test_master_using_our_id_makes_us_pick_another)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "none");
    expect(&s, 0, LR_4085);
    feed(&s, 100, "c0 fc e1 40 85 77 00 00 00 00 00 00 00 00 1d c0");
    ck_assert_uint_ne(s.id, 0x4085);
    ck_assert_uint_ne(s.id, 0);
    uint8_t out[64];
    size_t n = sim_twc_slave_poll(&s, 100, out, sizeof(out), NULL);
    ck_assert_uint_eq(n, 19);
    ck_assert_uint_eq(out[3], s.id >> 8);
    ck_assert_uint_eq(out[4], s.id & 0xff);
}

END_TEST

START_TEST(test_bad_checksum_is_not_answered)
{
    struct sim_twc_slave s;
    make(&s, 0x4085, 0x1d, SIM_TWC_V2, "tesla");
    expect(&s, 0, LR_4085);
    feed(&s, 1000, "c0 fb e0 77 77 40 85 09 0c 80 00 00 00 00 00 00 29 c0");
    expect(&s, 1050, "");
    ck_assert_uint_eq(s.stats.bad_frames, 1);
}

END_TEST

/* A master heartbeat (09: limit ca) to id from 7777, wire form; one byte flipped when corrupt. */
static size_t heartbeat_wire(uint16_t id, uint16_t ca, bool corrupt, uint64_t *rng, uint8_t *w)
{
    uint8_t body[16] = {
        0xFB,       0xE0, 0x77, 0x77, (uint8_t)(id >> 8), (uint8_t)id, 0x09, (uint8_t)(ca >> 8),
        (uint8_t)ca};
    body[15] = twc_checksum(body, sizeof(body));
    int n = twc_frame_wrap(body, sizeof(body), -1, w, TWC_WIRE_MAX);
    ck_assert_int_gt(n, 0);
    if (corrupt) {
        w[1 + amp_test_rand(rng) % (size_t)(n - 2)] ^= (uint8_t)(1 + amp_test_rand(rng) % 255);
    }
    return (size_t)n;
}

START_TEST(test_slaves_in_a_set_answer_as_slaves_fed_alone)
{
    /* sim_twc_slaves decodes each frame once for all its slaves: three slaves there and three
     * fed the same bytes alone give the same replies at the same times, through corrupt frames,
     * any chunking, and a slave powered off and on again in the middle of a frame. */
    static const char *const cars[] = {"tesla", "bmw-i3", "tesla"};
    struct sim_twc_slaves set;
    struct sim_twc_slave lone[3];
    sim_twc_slaves_init(&set);
    for (int k = 0; k < 3; k++) {
        struct sim_twc_slave_cfg cfg;
        sim_twc_slave_cfg_default(&cfg, (uint16_t)(0x4085 + k), SIM_TWC_V2);
        struct sim_car_cfg cc;
        ck_assert_int_eq(sim_car_cfg_preset(&cc, cars[k]), 0);
        ck_assert_int_eq(sim_twc_slaves_add(&set, &cfg, &cc, 0), k);
        ck_assert_int_eq(sim_twc_slave_init(&lone[k], &cfg, &cc, 0), 0);
    }
    uint64_t rng = amp_test_seed();
    size_t frames = 0, rebooted = 0;
    for (uint64_t t = 0; t < 240000; t += 50) {
        if (t % 400 == 0) {
            uint8_t w[TWC_WIRE_MAX];
            uint16_t ca =
                (uint16_t)(amp_test_rand(&rng) % 4 ? 600 + amp_test_rand(&rng) % 2600 : 0);
            size_t n = heartbeat_wire((uint16_t)(0x4085 + (t / 400) % 3), ca,
                                      amp_test_rand(&rng) % 8 == 0, &rng, w);
            size_t cut = 1 + (size_t)(amp_test_rand(&rng) % (n - 1));
            /* each minute one slave goes off for 10 s, both times in the middle of a frame */
            int power = t % 60000 == 20000 || t % 60000 == 30000 ? (int)(t / 60000 % 3) : -1;
            for (size_t at = 0; at < n; at = cut, cut = n) {
                if (at > 0 && power >= 0) {
                    bool on = t % 60000 == 30000;
                    sim_twc_slave_power(&set.slave[power], t, on);
                    sim_twc_slave_power(&lone[power], t, on);
                    rebooted += on && set.slave[power].df_own; /* on its own deframer a while */
                }
                sim_twc_slaves_on_bytes(&set, t, w + at, cut - at);
                for (int k = 0; k < 3; k++) {
                    sim_twc_slave_on_bytes(&lone[k], t, w + at, cut - at);
                }
            }
            frames++;
        }
        uint8_t got[512], want[512];
        size_t m = sim_twc_slaves_poll(&set, t, got, sizeof(got), NULL);
        size_t w = 0;
        for (int k = 0; k < 3; k++) {
            w += sim_twc_slave_poll(&lone[k], t, want + w, sizeof(want) - w, NULL);
        }
        ck_assert_uint_eq(m, w);
        ck_assert_mem_eq(got, want, m);
    }
    for (int k = 0; k < 3; k++) {
        ck_assert_uint_eq(set.slave[k].stats.frames_rx, lone[k].stats.frames_rx);
        ck_assert_uint_eq(set.slave[k].stats.bad_frames, lone[k].stats.bad_frames);
        ck_assert_uint_eq(set.slave[k].stats.replies_tx, lone[k].stats.replies_tx);
        ck_assert_uint_gt(lone[k].stats.replies_tx, 50);
        ck_assert_uint_gt(lone[k].stats.bad_frames, 0);
    }
    ck_assert_uint_eq(frames, 600);
    ck_assert_uint_gt(rebooted, 0);
}

END_TEST

static Suite *sim_twc_slave_suite(void)
{
    Suite *s = suite_create("sim_twc_slave");
    TCase *tc = tcase_create("slave");
    tcase_add_test(tc, test_linkready_v2_is_the_captured_frame_every_10_s);
    tcase_add_test(tc, test_linkready_v1_is_14_bytes);
    tcase_add_test(tc, test_trailer_is_configurable);
    tcase_add_test(tc, test_heartbeat_reply_comes_after_the_delay_and_echoes_the_limit);
    tcase_add_test(tc, test_reply_is_the_same_when_fed_byte_by_byte);
    tcase_add_test(tc, test_car_charges_to_limit_minus_0_8_a_and_no_linkready_while_linked);
    tcase_add_test(tc, test_zero_limit_is_echoed_and_the_car_stops);
    tcase_add_test(tc, test_v1_slave_answers_a_16_byte_heartbeat_in_14_bytes);
    tcase_add_test(tc, test_slave_without_car_reports_00_and_limit_0);
    tcase_add_test(tc, test_limit_reads_0_while_no_car_is_connected);
    tcase_add_test(tc, test_unplug_reports_00_and_a_new_car_asks_with_04_limit_0);
    tcase_add_test(tc, test_idle_i3_reports_03_and_echoes_6_a);
    tcase_add_test(tc, test_other_ids_get_no_reply);
    tcase_add_test(tc, test_idle_frame_is_ignored);
    tcase_add_test(tc, test_back_to_linkready_10_s_after_the_last_heartbeat);
    tcase_add_test(tc, test_car_stops_25_s_after_the_last_heartbeat_and_resumes_through_08);
    tcase_add_test(tc, test_cmd_02_is_answered_once_then_silence_until_reset);
    tcase_add_test(tc, test_v2_ignores_05_while_charging_and_handles_06_07);
    tcase_add_test(tc, test_ext_answers_vin_queries_with_20_bytes);
    tcase_add_test(tc, test_ext_vin_is_all_zero_for_a_non_tesla);
    tcase_add_test(tc, test_v2_does_not_answer_4_5_3_queries);
    tcase_add_test(tc, test_ext_version_serial_and_meter);
    tcase_add_test(tc, test_ext_acks_fc_b2_and_fc_b1);
    tcase_add_test(tc, test_master_using_our_id_makes_us_pick_another);
    tcase_add_test(tc, test_bad_checksum_is_not_answered);
    tcase_add_test(tc, test_noload_offset_is_reported_while_the_car_draws_nothing);
    tcase_add_test(tc, test_slaves_in_a_set_answer_as_slaves_fed_alone);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(sim_twc_slave_suite)
