/* SPDX-License-Identifier: MIT */
/*
 * The simulated native master: its frames byte for byte, and the seed's allocation figures
 * (twc-gen2.md §7.3): a Tesla and an idle BMW i3 on a 40 A circuit leave the Tesla 34 A, drawing
 * 33.20 A (34 - 0.8, §5.3). Runs in virtual time over a tp_mem bus with simulated slaves.
 */
#include <string.h>

#include <check.h>

#include "sim/sim_native_master.h"
#include "sim/sim_twc_slaves.h"
#include "sim/sim_vbus.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

struct rig {
    struct sim_native_master nm;
    struct sim_twc_slaves set;
    struct sim_sched sched;
    struct sim_vbus vb;
};

/* US 80 A slaves (a 40 A circuit is a US rotary setting, §5.3), v2, staggered linkreadies. */
static void add_slave(struct rig *r, uint16_t id, const char *car, uint32_t first_ms)
{
    struct sim_twc_slave_cfg cfg;
    sim_twc_slave_cfg_default(&cfg, id, SIM_TWC_V2);
    cfg.max_ca = 8000;
    cfg.linkready_first_ms = first_ms;
    struct sim_car_cfg cc;
    ck_assert_int_eq(sim_car_cfg_preset(&cc, car), 0);
    ck_assert_int_ge(sim_twc_slaves_add(&r->set, &cfg, &cc, 0), 0);
}

static void rig_start(struct rig *r, int32_t circuit_ma)
{
    struct sim_native_master_cfg mc;
    sim_native_master_cfg_default(&mc);
    mc.circuit_ma = circuit_ma;
    ck_assert_int_eq(sim_native_master_init(&r->nm, &mc, 0), 0);
    sim_sched_init(&r->sched, 0);
    ck_assert_int_eq(sim_vbus_init(&r->vb, &r->sched, "rig", SIM_VBUS_BAUD), 0);
    ck_assert_int_ge(sim_vbus_add_native(&r->vb, &r->nm), 0);
    ck_assert_int_ge(sim_vbus_add_slaves(&r->vb, &r->set), 0);
}

static void view(struct rig *r, uint16_t id, struct sim_twc_slave_view *v)
{
    struct sim_twc_slave *s = sim_twc_slaves_find(&r->set, id);
    ck_assert_ptr_nonnull(s);
    sim_twc_slave_view(s, r->sched.now_ms, v);
}

START_TEST(test_tesla_and_idle_i3_on_40_a_leave_the_tesla_34_a)
{
    struct rig r;
    sim_twc_slaves_init(&r.set);
    add_slave(&r, 0x2019, "tesla", 0);
    add_slave(&r, 0x2431, "bmw-i3-idle", 300);
    rig_start(&r, 40000);
    ck_assert_int_eq(sim_sched_run(&r.sched, 60000), 0);

    const struct sim_nm_slave *t = sim_native_master_slave(&r.nm, 0x2019);
    const struct sim_nm_slave *i = sim_native_master_slave(&r.nm, 0x2431);
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_nonnull(i);
    /* §7.3: 6 A kept for the idle i3, 40 - 6 = 34 A for the Tesla. */
    ck_assert_int_eq(t->sent_ma, 34000);
    ck_assert_int_eq(i->sent_ma, 6000);
    struct sim_twc_slave_view tv, iv;
    view(&r, 0x2019, &tv);
    view(&r, 0x2431, &iv);
    ck_assert_uint_eq(tv.state, 0x01);
    ck_assert_uint_eq(tv.limit_ca, 3400);
    ck_assert_uint_eq(tv.actual_ca, 3320); /* 34.00 - 0.80 A */
    ck_assert_uint_eq(iv.state, 0x03);
    ck_assert_uint_eq(iv.limit_ca, 600);
    ck_assert_uint_eq(iv.actual_ca, 0);
    ck_assert_int_eq(t->actual_ma, 33200);
    sim_vbus_fini(&r.vb);
}

END_TEST

START_TEST(test_unplugging_the_i3_gives_the_tesla_all_40_a)
{
    struct rig r;
    sim_twc_slaves_init(&r.set);
    add_slave(&r, 0x2019, "tesla", 0);
    add_slave(&r, 0x2431, "bmw-i3-idle", 300);
    rig_start(&r, 40000);
    ck_assert_int_eq(sim_sched_run(&r.sched, 60000), 0);
    sim_twc_slave_unplug(sim_twc_slaves_find(&r.set, 0x2431), 60000);
    ck_assert_int_eq(sim_sched_run(&r.sched, 90000), 0);
    struct sim_twc_slave_view tv, iv;
    view(&r, 0x2019, &tv);
    view(&r, 0x2431, &iv);
    /* §7.3: "unplugging the i3 gave the Tesla all 40 A". */
    ck_assert_uint_eq(tv.limit_ca, 4000);
    ck_assert_uint_eq(tv.actual_ca, 3920);
    ck_assert_uint_eq(iv.state, 0x00);
    sim_vbus_fini(&r.vb);
}

END_TEST

START_TEST(test_32_a_circuit_one_drawing_one_idle_splits_26_6)
{
    struct rig r;
    sim_twc_slaves_init(&r.set);
    add_slave(&r, 0x2019, "tesla", 0);
    add_slave(&r, 0x2431, "bmw-i3-idle", 300);
    rig_start(&r, 32000);
    ck_assert_int_eq(sim_sched_run(&r.sched, 60000), 0);
    struct sim_twc_slave_view tv, iv;
    view(&r, 0x2019, &tv);
    view(&r, 0x2431, &iv);
    /* §7.3: the other user's 26 A / 6 A split. */
    ck_assert_uint_eq(tv.limit_ca, 2600);
    ck_assert_uint_eq(iv.limit_ca, 600);
    sim_vbus_fini(&r.vb);
}

END_TEST

START_TEST(test_two_charging_cars_share_20_20)
{
    struct rig r;
    sim_twc_slaves_init(&r.set);
    add_slave(&r, 0x2019, "tesla", 0);
    add_slave(&r, 0x2431, "bmw-i3", 300);
    rig_start(&r, 40000);
    ck_assert_int_eq(sim_sched_run(&r.sched, 60000), 0);
    struct sim_twc_slave_view tv, iv;
    view(&r, 0x2019, &tv);
    view(&r, 0x2431, &iv);
    ck_assert_uint_eq(tv.limit_ca, 2000);
    ck_assert_uint_eq(iv.limit_ca, 2000);
    ck_assert_uint_eq(tv.actual_ca, 1920);
    ck_assert_uint_eq(iv.actual_ca, 1920);
    sim_vbus_fini(&r.vb);
}

END_TEST

START_TEST(test_a_car_drawing_less_than_offered_is_capped_by_measured_current)
{
    struct rig r;
    sim_twc_slaves_init(&r.set);
    struct sim_twc_slave_cfg cfg;
    sim_twc_slave_cfg_default(&cfg, 0x2019, SIM_TWC_V2);
    cfg.max_ca = 8000;
    struct sim_car_cfg cc;
    ck_assert_int_eq(sim_car_cfg_preset(&cc, "tesla"), 0);
    cc.max_ma = 16000; /* the car's own setting is 16 A (§5.3: 22 A offered, 16.86 A drawn) */
    ck_assert_int_ge(sim_twc_slaves_add(&r.set, &cfg, &cc, 0), 0);
    add_slave(&r, 0x2431, "tesla", 300);
    rig_start(&r, 40000);
    /* Capped about 10 s after the car settles (at about 12 s), for 60 s (then it probes). */
    ck_assert_int_eq(sim_sched_run(&r.sched, 60000), 0);
    struct sim_twc_slave_view a, b;
    view(&r, 0x2019, &a);
    view(&r, 0x2431, &b);
    /* 16 A drawn + 2 A headroom = 18 A; the other car gets the remaining 22 A. */
    ck_assert_uint_eq(a.actual_ca, 1600);
    ck_assert_uint_eq(a.limit_ca, 1800);
    ck_assert_uint_eq(b.limit_ca, 2200);
    ck_assert_uint_eq(b.actual_ca, 2120);
    sim_vbus_fini(&r.vb);
}

END_TEST

/* Direct drive, byte for byte. */
static void expect_tx(struct sim_native_master *m, uint64_t t, const char *hex)
{
    uint8_t want[64], got[64];
    int n = amp_test_hex(hex, want, sizeof(want));
    ck_assert_int_ge(n, 0);
    size_t k = sim_native_master_poll(m, t, got, sizeof(got), NULL);
    ck_assert_uint_eq(k, (size_t)n);
    ck_assert_mem_eq(got, want, k);
}

static void feed(struct sim_native_master *m, uint64_t t, const char *hex)
{
    uint8_t b[64];
    int n = amp_test_hex(hex, b, sizeof(b));
    ck_assert_int_gt(n, 0);
    sim_native_master_on_bytes(m, t, b, (size_t)n);
}

START_TEST(test_start_up_burst_is_5_fc_e1_then_5_fb_e2)
{
    struct sim_native_master m;
    struct sim_native_master_cfg mc;
    sim_native_master_cfg_default(&mc);
    ck_assert_int_eq(sim_native_master_init(&m, &mc, 0), 0);
    for (uint64_t k = 0; k < 5; k++) {
        expect_tx(&m, k * 200, "c0 fc e1 7e 57 3a 00 00 00 00 00 00 00 00 f0 c0 fe");
        expect_tx(&m, k * 200 + 100, "");
    }
    for (uint64_t k = 5; k < 10; k++) {
        expect_tx(&m, k * 200, "c0 fb e2 7e 57 3a 00 00 00 00 00 00 00 00 f1 c0 fe");
    }
    expect_tx(&m, 60000, "");
}

END_TEST

START_TEST(test_links_with_00_then_sets_6_a_then_34_a_then_keeps_alive)
{
    struct sim_native_master m;
    struct sim_native_master_cfg mc;
    sim_native_master_cfg_default(&mc);
    mc.announce_count = 0;
    ck_assert_int_eq(sim_native_master_init(&m, &mc, 0), 0);
    /* Slave 2019 links (v2, 80 A). */
    feed(&m, 1000, "c0 fd e2 20 19 52 1f 40 00 00 00 00 00 00 00 00 cc c0 fe");
    expect_tx(&m, 1000, "c0 fb e0 7e 57 20 19 00 00 00 00 00 00 00 00 00 ee c0 fe");
    /* It asks: state 04, limit 0 (§5.2). The master keeps 6 A for it (§7.3). */
    feed(&m, 1050, "c0 fd e0 20 19 7e 57 04 00 00 00 00 00 00 00 00 f2 c0 fe");
    expect_tx(&m, 2000, "c0 fb e0 7e 57 20 19 09 02 58 00 00 00 00 00 00 51 c0 fe");
    /* It starts drawing (state 08, 1.30 A): the rest of the 40 A goes to it. */
    feed(&m, 2050, "c0 fd e0 20 19 7e 57 08 02 58 00 82 00 00 00 00 d2 c0 fe");
    expect_tx(&m, 3000, "c0 fb e0 7e 57 20 19 09 0f a0 00 00 00 00 00 00 a6 c0 fe");
    /* The echo matches: keep-alive 00 (§5.2 P1). */
    feed(&m, 3050, "c0 fd e0 20 19 7e 57 01 0f a0 00 82 00 00 00 00 20 c0 fe");
    expect_tx(&m, 4000, "c0 fb e0 7e 57 20 19 00 00 00 00 00 00 00 00 00 ee c0 fe");
}

END_TEST

START_TEST(test_fourth_slave_gets_error_bit_1)
{
    struct sim_native_master m;
    struct sim_native_master_cfg mc;
    sim_native_master_cfg_default(&mc);
    mc.announce_count = 0;
    ck_assert_int_eq(sim_native_master_init(&m, &mc, 0), 0);
    feed(&m, 0, "c0 fd e2 18 39 52 0c 80 00 00 00 00 00 00 00 00 11 c0");
    feed(&m, 0, "c0 fd e2 24 31 2d 0c 80 00 00 00 00 00 00 00 00 f0 c0");
    feed(&m, 0, "c0 fd e2 87 25 ae 0c 80 00 00 00 00 00 00 00 00 c8 c0");
    uint8_t out[64];
    for (uint64_t t = 0; t < 1000; t += 100) {
        sim_native_master_poll(&m, t, out, sizeof(out), NULL);
    }
    feed(&m, 1000, "c0 fd e2 40 85 1d 0c 80 00 00 00 00 00 00 00 00 50 c0");
    /* §5.1 cmd 02, d1 bit 1: "more than 3 slaves" (5 blinks, §6.3), once, after the heartbeats
     * due at the same time. */
    uint8_t want[64];
    int wn = amp_test_hex("c0 fb e0 7e 57 40 85 02 02 00 00 00 00 00 00 00 7e c0 fe", want,
                          sizeof(want));
    int seen = 0;
    for (uint64_t t = 1000; t < 2000; t += 100) {
        size_t k = sim_native_master_poll(&m, t, out, sizeof(out), NULL);
        seen += k == (size_t)wn && memcmp(out, want, k) == 0;
    }
    ck_assert_int_eq(seen, 1);
    ck_assert_ptr_null(sim_native_master_slave(&m, 0x4085));
}

END_TEST

START_TEST(test_silent_slave_is_dropped_after_26_s)
{
    struct sim_native_master m;
    struct sim_native_master_cfg mc;
    sim_native_master_cfg_default(&mc);
    mc.announce_count = 0;
    ck_assert_int_eq(sim_native_master_init(&m, &mc, 0), 0);
    feed(&m, 0, "c0 fd e2 40 85 1d 0c 80 00 00 00 00 00 00 00 00 50 c0");
    uint8_t out[64];
    for (uint64_t t = 0; t < 26000; t += 100) {
        sim_native_master_poll(&m, t, out, sizeof(out), NULL);
    }
    ck_assert_ptr_nonnull(sim_native_master_slave(&m, 0x4085));
    sim_native_master_poll(&m, 26000, out, sizeof(out), NULL);
    ck_assert_ptr_null(sim_native_master_slave(&m, 0x4085));
    ck_assert_uint_eq(m.stats.slaves_dropped, 1);
}

END_TEST

START_TEST(test_allocation_keeps_reserve_only_while_it_fits)
{
    struct sim_native_master m;
    struct sim_native_master_cfg mc;
    sim_native_master_cfg_default(&mc);
    mc.circuit_ma = 16000;
    ck_assert_int_eq(sim_native_master_init(&m, &mc, 0), 0);
    for (int i = 0; i < 3; i++) {
        m.slave[i].used = true;
        m.slave[i].id = (uint16_t)(0x1000 + i);
        m.slave[i].proto = 2;
        m.slave[i].max_ma = 32000;
        m.slave[i].replied = true;
        m.slave[i].state = 0x03;
    }
    int32_t tg[SIM_NM_SLAVES_MAX];
    sim_native_master_allocate(&m, 0, tg);
    /* 16 A: two 6 A reserves fit, the third does not; nobody draws, 4 A stay unused. */
    ck_assert_int_eq(tg[0], 6000);
    ck_assert_int_eq(tg[1], 6000);
    ck_assert_int_eq(tg[2], 0);
    m.slave[1].state = 0x01;
    m.slave[1].actual_ma = 5200;
    sim_native_master_allocate(&m, 0, tg);
    ck_assert_int_eq(tg[0], 6000);
    ck_assert_int_eq(tg[1], 10000);
    ck_assert_int_eq(tg[2], 0);
}

END_TEST

static Suite *sim_native_master_suite(void)
{
    Suite *s = suite_create("sim_native_master");
    TCase *tc = tcase_create("native");
    tcase_add_test(tc, test_tesla_and_idle_i3_on_40_a_leave_the_tesla_34_a);
    tcase_add_test(tc, test_unplugging_the_i3_gives_the_tesla_all_40_a);
    tcase_add_test(tc, test_32_a_circuit_one_drawing_one_idle_splits_26_6);
    tcase_add_test(tc, test_two_charging_cars_share_20_20);
    tcase_add_test(tc, test_a_car_drawing_less_than_offered_is_capped_by_measured_current);
    tcase_add_test(tc, test_start_up_burst_is_5_fc_e1_then_5_fb_e2);
    tcase_add_test(tc, test_links_with_00_then_sets_6_a_then_34_a_then_keeps_alive);
    tcase_add_test(tc, test_fourth_slave_gets_error_bit_1);
    tcase_add_test(tc, test_silent_slave_is_dropped_after_26_s);
    tcase_add_test(tc, test_allocation_keeps_reserve_only_while_it_fits);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(sim_native_master_suite)
