/* SPDX-License-Identifier: MIT */
/*
 * The session state machine without SQLite: plug, charge, idle, unplug; a car that finishes
 * (full, inferred and reported); a VIN that arrives late, a bad one, another car's; a fault;
 * energy from a counter (with a reset and a gap) and integrated (per-phase voltages, a stalled
 * tick). Expected figures are worked out by hand beside each assertion.
 */
#include <string.h>

#include <check.h>

#include "controller/sess_track.h"
#include "tests/support/check_main.h"

#define T0_WALL 1764979200 /* 2025-12-06 00:00:00 UTC */
#define T0_MS   5000000    /* a monotonic clock that does not start at 0 */

static const struct sess_track_cfg cfg = {.full_after_ms = 300000, .nominal_voltage_v = 230};

struct rig {
    struct sess_track t;
    struct sess_record ended[8];
    int n_ended, n_started, n_vin;
    int64_t sec; /* seconds since T0 of the next sample */
};

static void rig_init(struct rig *g)
{
    memset(g, 0, sizeof(*g));
    sess_track_init(&g->t);
    strcpy(g->t.rec.charger, "bay1");
}

/* Feeds one sample at g->sec and advances a second. */
static int feed(struct rig *g, const struct sess_sample *s)
{
    struct sess_record end;
    int ev =
        sess_track_step(&g->t, &cfg, T0_WALL + g->sec, T0_MS + (uint64_t)g->sec * 1000, s, &end);
    if (ev & SESS_TRACK_ENDED) {
        ck_assert_int_lt(g->n_ended, 8);
        g->ended[g->n_ended++] = end;
    }
    g->n_started += (ev & SESS_TRACK_STARTED) != 0;
    g->n_vin += (ev & SESS_TRACK_VIN) != 0;
    g->sec++;
    return ev;
}

/* n one-second samples of s. */
static void feed_n(struct rig *g, const struct sess_sample *s, int n)
{
    for (int i = 0; i < n; i++) {
        feed(g, s);
    }
}

static struct sess_sample sample(bool connected, bool charging, int32_t ma, int32_t offered_ma)
{
    struct sess_sample s = {
        .connected = connected,
        .charging = charging,
        .current_ma = {ma, 0, 0},
        .offered_ma = offered_ma,
    };
    return s;
}

START_TEST(test_plug_charge_idle_unplug)
{
    struct rig g;
    rig_init(&g);
    struct sess_sample none = sample(false, false, 0, -1);
    feed_n(&g, &none, 5);
    ck_assert(!g.t.open);
    ck_assert_int_eq(g.n_started, 0);

    struct sess_sample plugged = sample(true, false, 0, 0);
    ck_assert_int_eq(feed(&g, &plugged), SESS_TRACK_STARTED); /* at sec 5 */
    feed_n(&g, &plugged, 59);                                 /* secs 6..64 */
    struct sess_sample charging = sample(true, true, 16000, 16000);
    feed_n(&g, &charging, 3600); /* secs 65..3664 */
    /* held at 0 A by the controller: idle, but not full */
    struct sess_sample held = sample(true, false, 0, 0);
    feed_n(&g, &held, 600); /* secs 3665..4264 */
    ck_assert(g.t.open);
    ck_assert_int_eq(feed(&g, &none), SESS_TRACK_ENDED); /* sec 4265 */
    ck_assert(!g.t.open);

    ck_assert_int_eq(g.n_started, 1);
    ck_assert_int_eq(g.n_ended, 1);
    const struct sess_record *r = &g.ended[0];
    ck_assert_str_eq(r->charger, "bay1");
    ck_assert_int_eq(r->start_s, T0_WALL + 5);
    ck_assert_int_eq(r->end_s, T0_WALL + 4265);
    ck_assert_int_eq(r->end_reason, SESS_END_UNPLUGGED);
    /* 16 A x 230 V for 3600 s = 3680 Wh */
    ck_assert_uint_eq(r->energy_wh, 3680);
    ck_assert_uint_eq(r->integrated_wh, 3680);
    ck_assert_int_eq(r->energy_source, SESS_ENERGY_INTEGRATED);
    ck_assert_int_eq(r->peak_ma, 16000);
    ck_assert_int_eq(r->mean_ma, 16000);
    ck_assert_uint_eq(r->charging_s, 3600);
    /* the last charging sample (sec 3664) was in force until sec 3665 */
    ck_assert_int_eq(r->charged_until_s, T0_WALL + 3665);
    ck_assert_str_eq(r->vin, "");
}

END_TEST

START_TEST(test_mean_is_over_charging_time_and_peak_is_highest_phase)
{
    struct rig g;
    rig_init(&g);
    struct sess_sample s = sample(true, true, 10000, 32000);
    s.current_ma[1] = 12000; /* the highest phase counts */
    s.current_ma[2] = -500;  /* a negative reading counts as 0 */
    feed_n(&g, &s, 100);
    s.current_ma[0] = s.current_ma[1] = 24000;
    feed_n(&g, &s, 100);
    struct sess_sample idle = sample(true, false, 0, 0);
    feed_n(&g, &idle, 200); /* idle time does not dilute the mean */
    struct sess_record r;
    ck_assert(sess_track_end(&g.t, &cfg, T0_WALL + g.sec, T0_MS + (uint64_t)g.sec * 1000,
                             SESS_END_SHUTDOWN, &r));
    ck_assert_int_eq(r.peak_ma, 24000);
    ck_assert_int_eq(r.mean_ma, 18000); /* (12 A x 100 s + 24 A x 100 s) / 200 s */
    ck_assert_uint_eq(r.charging_s, 200);
    ck_assert_int_eq(r.end_reason, SESS_END_SHUTDOWN);
    /* (10+12) A x 230 V x 100 s + 48 A x 230 V x 100 s = 506000 + 1104000 J = 447.2 Wh */
    ck_assert_uint_eq(r.energy_wh, 447);
    ck_assert(!sess_track_end(&g.t, &cfg, T0_WALL + g.sec, T0_MS, SESS_END_SHUTDOWN, &r));
}

END_TEST

START_TEST(test_full_inferred_from_an_idle_car_with_an_offer)
{
    struct rig g;
    rig_init(&g);
    struct sess_sample charging = sample(true, true, 16000, 16000);
    feed_n(&g, &charging, 1800);
    struct sess_sample done = sample(true, false, 200, 16000); /* offered, draws nothing */
    feed_n(&g, &done, 300); /* exactly full_after_ms at the unplug */
    struct sess_sample none = sample(false, false, 0, -1);
    feed(&g, &none);
    ck_assert_int_eq(g.n_ended, 1);
    ck_assert_int_eq(g.ended[0].end_reason, SESS_END_FULL);
    ck_assert_int_eq(g.ended[0].charged_until_s, T0_WALL + 1800);
    /* 1800 s at 3680 W = 1840 Wh, plus 0.2 A x 230 V x 300 s = 13800 J = 3.8 Wh */
    ck_assert_uint_eq(g.ended[0].energy_wh, 1843);

    /* idle with an offer for less than full_after_ms: the driver unplugged a waiting car */
    rig_init(&g);
    feed_n(&g, &charging, 60);
    feed_n(&g, &done, 299);
    feed(&g, &none);
    ck_assert_int_eq(g.ended[0].end_reason, SESS_END_UNPLUGGED);

    /* idle long enough, then charging again (a top-up): no longer full */
    rig_init(&g);
    feed_n(&g, &charging, 60);
    feed_n(&g, &done, 400);
    feed_n(&g, &charging, 10);
    feed(&g, &none);
    ck_assert_int_eq(g.ended[0].end_reason, SESS_END_UNPLUGGED);

    /* never charged: a car plugged in and taken away is not full, however long it waited */
    rig_init(&g);
    feed_n(&g, &done, 4000);
    feed(&g, &none);
    ck_assert_int_eq(g.ended[0].end_reason, SESS_END_UNPLUGGED);
    ck_assert_int_eq(g.ended[0].charged_until_s, 0);
}

END_TEST

START_TEST(test_full_reported_by_the_charger)
{
    struct rig g;
    rig_init(&g);
    struct sess_sample charging = sample(true, true, 16000, 16000);
    feed_n(&g, &charging, 60);
    struct sess_sample said = sample(true, false, 0, 0);
    said.full = true;
    feed(&g, &said);
    struct sess_sample quiet = sample(true, false, 0, 0); /* the flag need not repeat */
    feed_n(&g, &quiet, 5);
    struct sess_sample none = sample(false, false, 0, -1);
    feed(&g, &none);
    ck_assert_int_eq(g.ended[0].end_reason, SESS_END_FULL);
}

END_TEST

START_TEST(test_vin_arriving_late_bad_and_another_car)
{
    struct rig g;
    rig_init(&g);
    struct sess_sample s = sample(true, true, 16000, 16000);
    feed_n(&g, &s, 10);
    ck_assert_str_eq(g.t.rec.vin, "");
    s.vin = "";
    feed(&g, &s);
    s.vin = "5YJ3E1EA\x01KF00001"; /* a control byte: not a VIN */
    feed(&g, &s);
    s.vin = "5YJ3E1EA7KF0000012"; /* 18 characters: not a VIN */
    feed(&g, &s);
    ck_assert_str_eq(g.t.rec.vin, "");
    ck_assert_int_eq(g.n_vin, 0);
    s.vin = "5YJ3E1EA7KF000001";
    ck_assert_int_eq(feed(&g, &s), SESS_TRACK_VIN);
    ck_assert_str_eq(g.t.rec.vin, "5YJ3E1EA7KF000001");
    ck_assert_int_eq(feed(&g, &s), SESS_TRACK_NONE); /* reported once */
    s.vin = NULL;                                    /* a VIN that stops coming stays */
    feed(&g, &s);
    ck_assert_str_eq(g.t.rec.vin, "5YJ3E1EA7KF000001");
    ck_assert_int_eq(g.n_started, 1);

    /* a different VIN while connected: the first car left between two samples */
    s.vin = "WBY1Z21000V000002";
    ck_assert_int_eq(feed(&g, &s), SESS_TRACK_ENDED | SESS_TRACK_STARTED);
    ck_assert_str_eq(g.ended[0].vin, "5YJ3E1EA7KF000001");
    ck_assert_int_eq(g.ended[0].end_reason, SESS_END_UNPLUGGED);
    ck_assert_int_eq(g.ended[0].end_s, T0_WALL + 16);
    ck_assert_str_eq(g.t.rec.vin, "WBY1Z21000V000002");
    ck_assert_int_eq(g.t.rec.start_s, T0_WALL + 16);
    ck_assert_int_eq(g.n_vin, 1); /* the new session's VIN came with its first sample */
}

END_TEST

START_TEST(test_fault_ends_and_blocks_until_cleared)
{
    struct rig g;
    rig_init(&g);
    struct sess_sample s = sample(true, true, 16000, 16000);
    feed_n(&g, &s, 100);
    s.fault = true;
    ck_assert_int_eq(feed(&g, &s), SESS_TRACK_ENDED);
    ck_assert_int_eq(g.ended[0].end_reason, SESS_END_FAULT);
    ck_assert_uint_eq(g.ended[0].energy_wh, 102); /* 3680 W x 100 s = 102.2 Wh */
    feed_n(&g, &s, 30);
    ck_assert(!g.t.open);
    s.fault = false;
    ck_assert_int_eq(feed(&g, &s), SESS_TRACK_STARTED);
    ck_assert_int_eq(g.t.rec.start_s, T0_WALL + 131);
    ck_assert_uint_eq(g.t.rec.energy_wh, 0);
    ck_assert_int_eq(g.t.rec.peak_ma, 16000);
}

END_TEST

START_TEST(test_counter_energy_with_reset_and_gap)
{
    struct rig g;
    rig_init(&g);
    struct sess_sample s = sample(true, true, 16000, 16000);
    s.counter_source = SESS_ENERGY_TWC_COUNTER;
    s.counter_wh = 924000; /* 924 kWh on the unit, as in twc-gen2.md's vector 12 */
    feed(&g, &s);
    ck_assert_int_eq(g.t.rec.energy_source, SESS_ENERGY_TWC_COUNTER);
    s.counter_wh = 926000;
    feed_n(&g, &s, 10);
    ck_assert_uint_eq(g.t.rec.energy_wh, 2000); /* the counter, not the 10 s integrated */
    ck_assert_uint_eq(g.t.rec.integrated_wh, 10);

    /* the counter restarts from 0 (unit replaced): what it counted is kept */
    s.counter_wh = 0;
    feed(&g, &s);
    s.counter_wh = 1000;
    feed(&g, &s);
    ck_assert_uint_eq(g.t.rec.energy_wh, 3000);

    /* no reading for 1000 s: integration bridges the gap, 3680 W x 1000 s = 1022.2 Wh */
    s.counter_source = SESS_ENERGY_INTEGRATED;
    feed_n(&g, &s, 1000);
    ck_assert_uint_eq(g.t.rec.energy_wh, 3000 + 1022);
    /* the counter comes back lower than the bridged figure: energy never goes back */
    s.counter_source = SESS_ENERGY_TWC_COUNTER;
    s.counter_wh = 2000;
    feed(&g, &s);
    ck_assert_uint_eq(g.t.rec.energy_wh, 4022);
    s.counter_wh = 3500;
    feed(&g, &s);
    ck_assert_uint_eq(g.t.rec.energy_wh, 5500);
    /* another source's reading does not count for this session: that second is bridged
     * (3680 W x 1 s = 1.02 Wh) */
    s.counter_source = SESS_ENERGY_METER;
    s.counter_wh = 99999999;
    feed(&g, &s);
    ck_assert_uint_eq(g.t.rec.energy_wh, 5501);
    ck_assert_int_eq(g.t.rec.energy_source, SESS_ENERGY_TWC_COUNTER);
}

END_TEST

START_TEST(test_integration_per_phase_voltage_and_stalled_tick)
{
    struct rig g;
    rig_init(&g);
    struct sess_sample s = {
        .connected = true,
        .charging = true,
        .current_ma = {16000, 16000, 16000},
        .voltage_v = {240, 0, 220}, /* L2 unknown: the nominal 230 V */
        .offered_ma = 16000,
    };
    feed_n(&g, &s, 3601);
    /* 16 A x (240 + 230 + 220) V = 11040 W for 3600 s */
    ck_assert_uint_eq(g.t.rec.energy_wh, 11040);
    /* the next tick comes 10 minutes late: only SESS_TRACK_GAP_MS of it counts */
    g.sec += 599;
    feed(&g, &s);
    ck_assert_uint_eq(g.t.rec.energy_wh, 11040 + 92); /* 11040 W x 30 s = 92 Wh */
    ck_assert_uint_eq(g.t.rec.charging_s, 3630);
    /* a clock that goes back adds nothing */
    g.sec -= 100;
    feed(&g, &s);
    ck_assert_uint_eq(g.t.rec.energy_wh, 11132);
}

END_TEST

START_TEST(test_wall_clock_step_moves_the_session_with_it)
{
    /* a gateway without an RTC boots at 1970-01-01 plus a little; NTP steps the clock later */
    struct sess_track t;
    sess_track_init(&t);
    struct sess_sample s = sample(true, true, 16000, 16000);
    struct sess_record end;
    for (int sec = 0; sec < 300; sec++) {
        sess_track_step(&t, &cfg, 30 + sec, T0_MS + (uint64_t)sec * 1000, &s, &end);
    }
    ck_assert_int_eq(t.rec.start_s, 30);
    /* at 300 s the clock is stepped to T0_WALL: the session started 300 s before that */
    sess_track_step(&t, &cfg, T0_WALL, T0_MS + 300000, &s, &end);
    ck_assert_int_eq(t.rec.start_s, T0_WALL - 300);
    ck_assert_int_eq(t.rec.charged_until_s, T0_WALL);
    struct sess_sample none = sample(false, false, 0, -1);
    ck_assert_int_eq(sess_track_step(&t, &cfg, T0_WALL + 1, T0_MS + 301000, &none, &end),
                     SESS_TRACK_ENDED);
    ck_assert_int_eq(end.start_s, T0_WALL - 300);
    ck_assert_int_eq(end.end_s, T0_WALL + 1);
    ck_assert_int_eq(end.charged_until_s, T0_WALL + 1);
    ck_assert_uint_eq(end.charging_s, 301);
    /* a wall clock slewed by NTP (a second here and there) is left alone */
    sess_track_init(&t);
    for (int sec = 0; sec < 600; sec++) {
        sess_track_step(&t, &cfg, T0_WALL + sec + sec / 100, T0_MS + (uint64_t)sec * 1000, &s,
                        &end);
    }
    ck_assert_int_eq(t.rec.start_s, T0_WALL);
}

END_TEST

START_TEST(test_a_charger_that_ends_its_own_session)
{
    struct rig g;
    rig_init(&g);
    /* started with a tag, a transaction id and a meter register */
    struct sess_sample s = sample(true, true, 16000, 16000);
    s.id_tag = "04A2B3C4D5";
    s.tx_id = 77;
    s.counter_source = SESS_ENERGY_METER;
    s.counter_wh = 10000;
    feed(&g, &s);
    ck_assert_str_eq(g.t.rec.id_tag, "04A2B3C4D5");
    ck_assert_int_eq(g.t.rec.tx_id, 77);
    /* 1000 s with no register reading: integration bridges it (3680 W x 1000 s = 1022 Wh) */
    s.counter_source = SESS_ENERGY_INTEGRATED;
    feed_n(&g, &s, 1000);
    ck_assert_uint_eq(g.t.rec.energy_wh, 1022);
    /* the charger stops it: its final reading is the energy, even below the estimate */
    struct sess_sample stop = {.end_reason = SESS_END_FAULT,
                               .counter_source = SESS_ENERGY_METER,
                               .counter_wh = 10900,
                               .connected = true, /* ignored: a stop starts nothing */
                               .offered_ma = -1};
    ck_assert_int_eq(feed(&g, &stop), SESS_TRACK_ENDED);
    ck_assert_int_eq(g.n_ended, 1);
    ck_assert_uint_eq(g.ended[0].energy_wh, 900);
    ck_assert_int_eq(g.ended[0].energy_source, SESS_ENERGY_METER);
    ck_assert_int_eq(g.ended[0].end_reason, SESS_END_FAULT);
    ck_assert_str_eq(g.ended[0].id_tag, "04A2B3C4D5");
    ck_assert(!g.t.open);
    /* a stop with nothing open does nothing */
    ck_assert_int_eq(feed(&g, &stop), 0);
    ck_assert(!g.t.open);

    /* a car that finished on its own, then the charger says it was unplugged: full */
    s = sample(true, true, 16000, 16000);
    s.tx_id = 78;
    feed_n(&g, &s, 10);
    struct sess_sample idle = sample(true, false, 0, 16000);
    idle.tx_id = 78;
    feed_n(&g, &idle, 301);
    stop.end_reason = SESS_END_UNPLUGGED;
    stop.counter_source = SESS_ENERGY_INTEGRATED;
    feed(&g, &stop);
    ck_assert_int_eq(g.ended[1].end_reason, SESS_END_FULL);
    ck_assert_uint_eq(g.ended[1].energy_wh, 10); /* 10 s at 3680 W, integrated */

    /* another transaction while one is open (its stop was lost): unplugged, then the new one */
    s.tx_id = 79;
    s.id_tag = "A";
    feed(&g, &s);
    s.tx_id = 80;
    s.id_tag = "B";
    int ev = feed(&g, &s);
    ck_assert_int_eq(ev, SESS_TRACK_ENDED | SESS_TRACK_STARTED);
    ck_assert_int_eq(g.ended[2].end_reason, SESS_END_UNPLUGGED);
    ck_assert_int_eq(g.ended[2].tx_id, 79);
    ck_assert_str_eq(g.ended[2].id_tag, "A");
    ck_assert_int_eq(g.t.rec.tx_id, 80);
    ck_assert_str_eq(g.t.rec.id_tag, "B");
    /* a sample without a transaction id (a tick before the charger said) does not end it */
    s.tx_id = 0;
    ck_assert_int_eq(feed(&g, &s), 0);
    ck_assert_int_eq(g.t.rec.tx_id, 80);
}

END_TEST

START_TEST(test_tag_validity)
{
    ck_assert(sess_tag_is_valid("04A2B3C4D5"));
    ck_assert(sess_tag_is_valid("a tag with spaces"));
    ck_assert(sess_tag_is_valid("01234567890123456789"));
    ck_assert(!sess_tag_is_valid("012345678901234567890"));
    ck_assert(!sess_tag_is_valid(""));
    ck_assert(!sess_tag_is_valid(NULL));
    ck_assert(!sess_tag_is_valid("bad\x01"));
    ck_assert(!sess_tag_is_valid("caf\xc3\xa9"));
}

END_TEST

START_TEST(test_vin_validity)
{
    ck_assert(sess_vin_is_valid("5YJ3E1EA7KF000001"));
    ck_assert(sess_vin_is_valid("A"));
    ck_assert(!sess_vin_is_valid(NULL));
    ck_assert(!sess_vin_is_valid(""));
    ck_assert(!sess_vin_is_valid("5YJ3E1EA7KF00000 "));
    ck_assert(!sess_vin_is_valid("5YJ3E1EA7KF0000012"));
    ck_assert(!sess_vin_is_valid("5YJ3\xc3\xa9"));
}

END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sess_track");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_plug_charge_idle_unplug);
    tcase_add_test(tc, test_mean_is_over_charging_time_and_peak_is_highest_phase);
    tcase_add_test(tc, test_full_inferred_from_an_idle_car_with_an_offer);
    tcase_add_test(tc, test_full_reported_by_the_charger);
    tcase_add_test(tc, test_vin_arriving_late_bad_and_another_car);
    tcase_add_test(tc, test_fault_ends_and_blocks_until_cleared);
    tcase_add_test(tc, test_counter_energy_with_reset_and_gap);
    tcase_add_test(tc, test_integration_per_phase_voltage_and_stalled_tick);
    tcase_add_test(tc, test_wall_clock_step_moves_the_session_with_it);
    tcase_add_test(tc, test_vin_validity);
    tcase_add_test(tc, test_a_charger_that_ends_its_own_session);
    tcase_add_test(tc, test_tag_validity);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(suite)
