/* SPDX-License-Identifier: MIT */
/* The simulated car: draws, ramps and phases against hand-calculated figures (twc-gen2.md §5.3,
 * §7.1, §7.2). Defaults: start delay 2 s, 08 ramp 3 s to 1.3 A, raise hold 1 s + 5 s, cut 1 s,
 * draw = offer - 0.8 A. */
#include <errno.h>

#include <check.h>

#include "sim/sim_car.h"
#include "tests/support/check_main.h"

static struct sim_car tesla_at(uint64_t now)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "tesla"), 0);
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, now), 0);
    return car;
}

static int32_t draw_at(struct sim_car *car, uint64_t t)
{
    sim_car_step(car, t);
    return sim_car_draw_ma(car);
}

START_TEST(test_car_start_runs_through_08_ramp_then_follows_offer)
{
    struct sim_car car = tesla_at(0);
    ck_assert_int_eq(car.phase, SIM_CAR_WAITING);
    sim_car_set_offer(&car, 0, 32000);
    ck_assert_int_eq(car.phase, SIM_CAR_WAKING);
    ck_assert_int_eq(draw_at(&car, 1999), 0);
    ck_assert_int_eq(car.phase, SIM_CAR_WAKING);
    /* 08 from 2000 ms: 0 -> 1300 mA over 3000 ms; halfway is 650 mA. */
    ck_assert_int_eq(draw_at(&car, 3500), 650);
    ck_assert_int_eq(car.phase, SIM_CAR_STARTING);
    /* 01 from 5000 ms: 1300 -> 31200 mA over 5000 ms; halfway is 16250 mA. */
    ck_assert_int_eq(draw_at(&car, 7500), 16250);
    ck_assert_int_eq(car.phase, SIM_CAR_CHARGING);
    ck_assert_int_eq(draw_at(&car, 10000), 31200);
    ck_assert_int_eq(draw_at(&car, 15000), 31200);
}

END_TEST

START_TEST(test_car_follows_cut_within_a_second_and_raise_after_delay)
{
    struct sim_car car = tesla_at(0);
    sim_car_set_offer(&car, 0, 32000);
    ck_assert_int_eq(draw_at(&car, 20000), 31200);
    sim_car_set_offer(&car, 20000, 16000);
    ck_assert_int_eq(draw_at(&car, 20500), 23200);
    ck_assert_int_eq(draw_at(&car, 21000), 15200);
    sim_car_set_offer(&car, 30000, 40000);
    ck_assert_int_eq(draw_at(&car, 31000), 15200);
    ck_assert_int_eq(draw_at(&car, 33500), 27200);
    ck_assert_int_eq(draw_at(&car, 36000), 39200);
}

END_TEST

/*
 * The §7.1 "6 A lock" (cfg.lock_6a, off by default): a raise drops the car to its 6 A step
 * (5.2 A) whatever it is offered; an offer of 16 A or more for 5 s without a break clears it,
 * and the car then follows its offer. An offer under 16 A never clears it.
 */
START_TEST(test_car_6a_lock_is_left_only_after_5_s_at_the_spike)
{
    struct sim_car car = tesla_at(0);
    ck_assert(!car.cfg.lock_6a); /* off by default */
    car.cfg.lock_6a = true;
    sim_car_set_offer(&car, 0, 6000);
    ck_assert_int_eq(draw_at(&car, 20000), 5200);
    sim_car_set_offer(&car, 20000, 10000); /* a raise below the spike: locked for good */
    ck_assert(sim_car_is_locked(&car));
    ck_assert_int_eq(draw_at(&car, 60000), 5200);
    sim_car_set_offer(&car, 60000, 21000); /* the spike ... */
    ck_assert_int_eq(draw_at(&car, 62000), 5200);
    sim_car_set_offer(&car, 62000, 15000); /* ... cut after 2 s: not enough */
    ck_assert_int_eq(draw_at(&car, 70000), 5200);
    ck_assert(sim_car_is_locked(&car));
    sim_car_set_offer(&car, 70000, 21000);
    ck_assert_int_eq(draw_at(&car, 74999), 5200);
    ck_assert_uint_eq(sim_car_next_ms(&car, 74999), 75000);
    draw_at(&car, 75000);
    ck_assert(!sim_car_is_locked(&car));
    sim_car_set_offer(&car, 75000, 10000); /* a cut: no lock; follows it */
    ck_assert_int_eq(draw_at(&car, 90000), 9200);
    ck_assert(!sim_car_is_locked(&car));
}

END_TEST

/* sim_car_full: a charging car ramps down and reports full; an idle one just is full. */
START_TEST(test_car_made_full_stops_drawing)
{
    struct sim_car car = tesla_at(0);
    sim_car_set_offer(&car, 0, 32000);
    ck_assert_int_eq(draw_at(&car, 20000), 31200);
    sim_car_full(&car, 20000);
    ck_assert_int_eq(draw_at(&car, 22000), 0);
    ck_assert_int_eq(car.phase, SIM_CAR_FULL);
    struct sim_car idle = tesla_at(0);
    sim_car_full(&idle, 1000);
    ck_assert_int_eq(idle.phase, SIM_CAR_FULL);
}

END_TEST

START_TEST(test_car_never_draws_above_its_charger)
{
    struct sim_car car = tesla_at(0);
    sim_car_set_offer(&car, 0, 65535);
    ck_assert_int_eq(draw_at(&car, 60000), 48000);
}

END_TEST

START_TEST(test_car_stops_when_offer_falls_below_5a)
{
    struct sim_car car = tesla_at(0);
    sim_car_set_offer(&car, 0, 20000);
    ck_assert_int_eq(draw_at(&car, 20000), 19200);
    sim_car_set_offer(&car, 20000, 4990);
    ck_assert_int_eq(car.phase, SIM_CAR_CHARGING);
    ck_assert_int_eq(draw_at(&car, 20500), 9600);
    ck_assert_int_eq(draw_at(&car, 21000), 0);
    /* Held below the minimum for 3 s (stop_confirm_ms): a clean stop, state 03 (§7.1 P1). */
    sim_car_step(&car, 22999);
    ck_assert_int_eq(car.phase, SIM_CAR_CHARGING);
    sim_car_step(&car, 23000);
    ck_assert_int_eq(car.phase, SIM_CAR_STOPPED);
    /* 5.00 A is usable again: the car restarts and draws 4.2 A (§5.3: 5 A -> about 4.2 A). */
    sim_car_set_offer(&car, 30000, 5000);
    ck_assert_int_eq(car.phase, SIM_CAR_WAKING);
    ck_assert_int_eq(draw_at(&car, 60000), 4200);
}

END_TEST

START_TEST(test_one_off_zero_offer_pauses_but_does_not_stop)
{
    /* twcmanager-peer.md: TWCManager sends 09 00 00 once right after its first offer; the
     * simulated car must come back when the offer returns within stop_confirm_ms. */
    struct sim_car car = tesla_at(0);
    sim_car_set_offer(&car, 0, 20000);
    ck_assert_int_eq(draw_at(&car, 20000), 19200);
    sim_car_set_offer(&car, 20000, 0);
    ck_assert_int_eq(draw_at(&car, 21000), 0);
    sim_car_set_offer(&car, 21000, 20000);
    ck_assert_int_eq(car.phase, SIM_CAR_CHARGING);
    sim_car_step(&car, 30000);
    ck_assert_int_eq(car.phase, SIM_CAR_CHARGING);
    ck_assert_int_eq(draw_at(&car, 30000), 19200);
}

END_TEST

START_TEST(test_idle_i3_stays_full_and_draws_nothing)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "bmw-i3-idle"), 0);
    ck_assert_int_eq(cfg.kind, SIM_CAR_OTHER);
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), 0);
    ck_assert_int_eq(car.phase, SIM_CAR_FULL);
    sim_car_set_offer(&car, 1000, 6000);
    ck_assert_int_eq(draw_at(&car, 60000), 0);
    ck_assert_int_eq(car.phase, SIM_CAR_FULL);
}

END_TEST

/* A full car that wants energy again (a charge timer): with a usable offer already in place it
 * starts like a plugged-in one (2 s, then the 3 s 08 ramp, then the 5 s raise to 6 - 0.8 A). */
START_TEST(test_full_car_that_wants_energy_starts_on_its_offer)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "bmw-i3-idle"), 0);
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), 0);
    sim_car_set_offer(&car, 1000, 6000);
    ck_assert_int_eq(draw_at(&car, 10000), 0);
    sim_car_want(&car, 10000, 0); /* 0: no change */
    ck_assert_int_eq(car.phase, SIM_CAR_FULL);
    sim_car_want(&car, 10000, -1);
    ck_assert_int_eq(car.phase, SIM_CAR_WAKING);
    ck_assert_int_eq(draw_at(&car, 11999), 0);
    /* 08 from 12000 ms: 0 -> 1300 mA over 3000 ms */
    ck_assert_int_eq(draw_at(&car, 13500), 650);
    ck_assert_int_eq(car.phase, SIM_CAR_STARTING);
    /* 01 from 15000 ms: 1300 -> 5200 mA over 5000 ms */
    ck_assert_int_eq(draw_at(&car, 20000), 5200);
    ck_assert_int_eq(car.phase, SIM_CAR_CHARGING);
}

END_TEST

/* Without a usable offer it only waits (the seed's paused i3, docs/allocation.md). */
START_TEST(test_full_car_that_wants_energy_waits_without_an_offer)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "bmw-i3-idle"), 0);
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), 0);
    sim_car_want(&car, 5000, 10000);
    ck_assert_int_eq(car.phase, SIM_CAR_WAITING);
    ck_assert_int_eq(draw_at(&car, 60000), 0);
    sim_car_set_offer(&car, 60000, 16000);
    ck_assert_int_eq(car.phase, SIM_CAR_WAKING);
}

END_TEST

START_TEST(test_car_turns_full_when_energy_is_delivered)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "tesla"), 0);
    cfg.energy_wanted_wh = 10;
    cfg.start_delay_ms = 0;
    cfg.start_ramp_ms = 0;
    cfg.raise_ms = 0;
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), 0);
    sim_car_set_offer(&car, 0, 10800);
    ck_assert_int_eq(sim_car_draw_ma(&car), 10000);
    /* 10.0 A x 230 V = 2300 W: 15 s give 9.58 Wh, 16 s give 10.22 Wh. */
    sim_car_step(&car, 15000);
    ck_assert_int_eq(sim_car_delivered_wh(&car), 9);
    ck_assert_int_eq(car.phase, SIM_CAR_CHARGING);
    sim_car_step(&car, 16000);
    ck_assert_int_eq(sim_car_delivered_wh(&car), 10);
    ck_assert_int_eq(car.phase, SIM_CAR_FULL);
    ck_assert_int_eq(draw_at(&car, 17000), 0);
}

END_TEST

START_TEST(test_asleep_car_takes_wake_time)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "tesla"), 0);
    cfg.asleep = true;
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), 0);
    sim_car_set_offer(&car, 0, 16000);
    sim_car_step(&car, 29999);
    ck_assert_int_eq(car.phase, SIM_CAR_WAKING);
    sim_car_step(&car, 30000);
    ck_assert_int_eq(car.phase, SIM_CAR_STARTING);
}

END_TEST

START_TEST(test_full_tesla_is_awake_for_a_while_after_an_offer)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "tesla-idle"), 0);
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), 0);
    ck_assert(!sim_car_is_awake_full(&car, 0));
    sim_car_set_offer(&car, 1000, 6000);
    ck_assert(sim_car_is_awake_full(&car, 60999));
    ck_assert(!sim_car_is_awake_full(&car, 61000));
}

END_TEST

START_TEST(test_tesla_refuses_after_third_comm_loss_until_replugged)
{
    struct sim_car car = tesla_at(0);
    sim_car_set_offer(&car, 0, 16000);
    sim_car_comm_lost(&car, 20000);
    ck_assert_int_eq(car.phase, SIM_CAR_STOPPED);
    sim_car_comm_lost(&car, 40000);
    ck_assert_int_eq(car.phase, SIM_CAR_STOPPED);
    sim_car_comm_lost(&car, 60000);
    ck_assert_int_eq(car.phase, SIM_CAR_FAULTED);
    sim_car_set_offer(&car, 70000, 16000);
    ck_assert_int_eq(car.phase, SIM_CAR_FAULTED);
    ck_assert_int_eq(draw_at(&car, 90000), 0);
    sim_car_unplug(&car, 91000);
    ck_assert_int_eq(car.phase, SIM_CAR_UNPLUGGED);
    sim_car_plug(&car, 92000);
    ck_assert_int_eq(car.phase, SIM_CAR_WAITING);
}

END_TEST

START_TEST(test_contactor_open_faults_a_charging_tesla_not_an_i3)
{
    struct sim_car car = tesla_at(0);
    sim_car_set_offer(&car, 0, 16000);
    sim_car_step(&car, 20000);
    sim_car_contactor_opened(&car, 20000);
    ck_assert_int_eq(car.phase, SIM_CAR_FAULTED);
    ck_assert_int_eq(sim_car_draw_ma(&car), 0);

    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "bmw-i3"), 0);
    struct sim_car i3;
    ck_assert_int_eq(sim_car_init(&i3, &cfg, 0), 0);
    sim_car_set_offer(&i3, 0, 16000);
    sim_car_step(&i3, 20000);
    ck_assert_int_eq(sim_car_draw_ma(&i3), 15200);
    sim_car_contactor_opened(&i3, 20000);
    ck_assert_int_eq(i3.phase, SIM_CAR_STOPPED);
    sim_car_set_offer(&i3, 21000, 16000);
    ck_assert_int_eq(i3.phase, SIM_CAR_WAKING);
}

END_TEST

START_TEST(test_jitter_is_bounded_and_reproducible)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "tesla"), 0);
    cfg.noise_ma = 100;
    cfg.seed = 42;
    struct sim_car a, b;
    ck_assert_int_eq(sim_car_init(&a, &cfg, 0), 0);
    ck_assert_int_eq(sim_car_init(&b, &cfg, 0), 0);
    sim_car_set_offer(&a, 0, 32000);
    sim_car_set_offer(&b, 0, 32000);
    int differs = 0;
    for (uint64_t t = 20000; t < 30000; t += 100) {
        int32_t da = draw_at(&a, t), db = draw_at(&b, t);
        ck_assert_int_eq(da, db);
        ck_assert_int_ge(da, 31100);
        ck_assert_int_le(da, 31300);
        differs += da != 31200;
    }
    ck_assert_int_gt(differs, 0);
}

END_TEST

START_TEST(test_unknown_preset_and_bad_cfg_are_refused)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "zoe"), -ENOENT);
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "none"), 0);
    ck_assert_int_eq(cfg.kind, 0);
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), -EINVAL);
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "tesla"), 0);
    cfg.max_ma = 0;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), -EINVAL);
}

END_TEST

/* A Tesla (48 A charger) with a 10 kWh battery at 80 %, its taper from 80 % to 6 A at 100 %. */
static struct sim_car tapering_at(uint64_t now)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "tesla"), 0);
    cfg.battery_kwh = 10;
    cfg.soc0 = 0.8;
    cfg.taper_soc = 0.8;
    cfg.taper_end_ma = 6000;
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, now), 0);
    return car;
}

/* The profile's rule, written out: 48 A up to 80 %, then a straight line to 6 A at 100 %. */
static double line_ma(double soc)
{
    return soc <= 0.8 ? 48000 : 48000 - (soc - 0.8) / 0.2 * 42000;
}

START_TEST(test_car_draw_tapers_linearly_to_its_end_current)
{
    struct sim_car car = tapering_at(0);
    sim_car_set_offer(&car, 0, 40000);
    ck_assert_int_eq(draw_at(&car, 15000), 39200); /* 80 %: the offer is the limit */
    int checked = 0;
    for (uint64_t g = 600000; g <= 4 * 3600000ULL; g += 600000) {
        sim_car_step(&car, g); /* a taper step: the limit at the SoC now */
        double soc = sim_car_soc(&car);
        ck_assert(soc > 0.8 && soc <= 1);
        double want = line_ma(soc) < 39200 ? line_ma(soc) : 39200;
        /* followed as a cut, within cut_ms */
        int32_t d = draw_at(&car, g + car.cfg.cut_ms);
        ck_assert_msg(d >= want - 60 && d <= want + 1, "at %.4f SoC %d mA, the line %.0f mA", soc,
                      d, want);
        checked += line_ma(soc) < 39200;
    }
    ck_assert_int_ge(checked, 5);
    /* full: 6 A, the end current */
    ck_assert_double_eq_tol(sim_car_soc(&car), 1, 1e-9);
    ck_assert_int_eq(draw_at(&car, 5 * 3600000ULL), 6000);
    /* while it charges it reports its next taper step, for an event-time caller */
    ck_assert_uint_eq(sim_car_next_ms(&car, 5 * 3600000ULL + 1), 5 * 3600000ULL + 10000);
}

END_TEST

/* The taper is re-read on a fixed grid: stepped every 777 ms or once, the car draws the same and
 * has the same energy in, to rounding (event time and lockstep agree). */
START_TEST(test_taper_does_not_depend_on_when_the_car_is_stepped)
{
    struct sim_car a = tapering_at(0), b = tapering_at(0);
    sim_car_set_offer(&a, 0, 40000);
    sim_car_set_offer(&b, 0, 40000);
    for (uint64_t t = 0; t < 3600000; t += 777) {
        sim_car_step(&a, t);
    }
    sim_car_step(&a, 3600000);
    sim_car_step(&b, 3600000);
    ck_assert_int_lt(sim_car_draw_ma(&a), 39200);
    ck_assert_int_eq(sim_car_draw_ma(&a), sim_car_draw_ma(&b));
    /* the energy only within integer rounding (split at other points): 0.01 Wh */
    uint64_t da = a.delivered_mw_ms, db = b.delivered_mw_ms;
    ck_assert_uint_lt(da > db ? da - db : db - da, 36000000);
}

END_TEST

/* Without a battery (the seed's cars) the car never tapers and reports no taper steps. */
START_TEST(test_car_without_battery_never_tapers)
{
    struct sim_car car = tesla_at(0);
    sim_car_set_offer(&car, 0, 40000);
    ck_assert_int_eq(draw_at(&car, 15000), 39200);
    ck_assert_uint_eq(sim_car_next_ms(&car, 15000), UINT64_MAX);
    ck_assert_int_eq(draw_at(&car, 10 * 3600000ULL), 39200);
    ck_assert_uint_eq(sim_car_next_ms(&car, 10 * 3600000ULL), UINT64_MAX);
    /* a bad battery is refused */
    struct sim_car_cfg cfg = car.cfg;
    cfg.battery_kwh = 10;
    cfg.taper_soc = 1;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), -EINVAL);
}

END_TEST

/* A full car's scheduled wake-up (cfg.full_wake_*): nothing before it, then min(offer - 0.8 A,
 * wake current) after the raise delay and ramp, following the offer; nothing after it, and not
 * again until re-plugged, when it comes once more. */
START_TEST(test_full_car_wakes_once_at_its_time_for_its_while)
{
    struct sim_car_cfg cfg;
    ck_assert_int_eq(sim_car_cfg_preset(&cfg, "bmw-i3"), 0);
    cfg.energy_wanted_wh = 0; /* full from the start */
    cfg.full_wake_at_ms = 60000;
    cfg.full_wake_ma = 8000;
    cfg.full_wake_for_ms = 120000;
    struct sim_car car;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), 0);
    sim_car_set_offer(&car, 0, 16000);
    ck_assert_int_eq(car.phase, SIM_CAR_FULL);
    ck_assert_int_eq(draw_at(&car, 59999), 0);
    ck_assert_uint_eq(sim_car_next_ms(&car, 59999), 60000); /* a stepping caller comes then */
    ck_assert_int_eq(draw_at(&car, 100000), 8000);
    sim_car_set_offer(&car, 100000, 6000); /* a cut: 6 - 0.8 A */
    ck_assert_int_eq(draw_at(&car, 110000), 5200);
    ck_assert_int_eq(car.phase, SIM_CAR_FULL);
    ck_assert_int_eq(draw_at(&car, 181000), 0); /* over at 180 s */
    ck_assert_int_eq(draw_at(&car, 400000), 0); /* once */
    sim_car_unplug(&car, 400000);
    sim_car_plug(&car, 401000);
    sim_car_set_offer(&car, 401000, 16000);
    ck_assert_int_eq(draw_at(&car, 420000), 8000); /* full at plug-in, past its time: wakes */
    ck_assert_int_eq(draw_at(&car, 530000), 0);
    /* asked for energy in its wake-up: it charges; full again, it stays asleep whatever it is
     * offered (the wake-up ended when it left full) */
    sim_car_unplug(&car, 600000);
    sim_car_plug(&car, 601000);
    sim_car_set_offer(&car, 601000, 16000);
    ck_assert_int_eq(draw_at(&car, 620000), 8000);
    sim_car_want(&car, 620000, 1);
    ck_assert_int_ne(car.phase, SIM_CAR_FULL);
    sim_car_full(&car, 640000);
    ck_assert_int_eq(draw_at(&car, 660000), 0);
    sim_car_set_offer(&car, 660000, 10000);
    ck_assert_int_eq(draw_at(&car, 700000), 0);
    /* a wake-up of no length (wake_s left out) is none, as in fast mode */
    cfg.full_wake_for_ms = 0;
    ck_assert_int_eq(sim_car_init(&car, &cfg, 0), 0);
    sim_car_set_offer(&car, 0, 16000);
    ck_assert_int_eq(draw_at(&car, 100000), 0);
    ck_assert_int_eq(draw_at(&car, 4000000), 0);
}

END_TEST

static Suite *sim_car_suite(void)
{
    Suite *s = suite_create("sim_car");
    TCase *tc = tcase_create("car");
    tcase_add_test(tc, test_car_start_runs_through_08_ramp_then_follows_offer);
    tcase_add_test(tc, test_car_follows_cut_within_a_second_and_raise_after_delay);
    tcase_add_test(tc, test_car_never_draws_above_its_charger);
    tcase_add_test(tc, test_car_6a_lock_is_left_only_after_5_s_at_the_spike);
    tcase_add_test(tc, test_car_made_full_stops_drawing);
    tcase_add_test(tc, test_car_stops_when_offer_falls_below_5a);
    tcase_add_test(tc, test_one_off_zero_offer_pauses_but_does_not_stop);
    tcase_add_test(tc, test_idle_i3_stays_full_and_draws_nothing);
    tcase_add_test(tc, test_car_turns_full_when_energy_is_delivered);
    tcase_add_test(tc, test_full_car_that_wants_energy_starts_on_its_offer);
    tcase_add_test(tc, test_full_car_that_wants_energy_waits_without_an_offer);
    tcase_add_test(tc, test_asleep_car_takes_wake_time);
    tcase_add_test(tc, test_full_tesla_is_awake_for_a_while_after_an_offer);
    tcase_add_test(tc, test_tesla_refuses_after_third_comm_loss_until_replugged);
    tcase_add_test(tc, test_contactor_open_faults_a_charging_tesla_not_an_i3);
    tcase_add_test(tc, test_jitter_is_bounded_and_reproducible);
    tcase_add_test(tc, test_unknown_preset_and_bad_cfg_are_refused);
    tcase_add_test(tc, test_car_draw_tapers_linearly_to_its_end_current);
    tcase_add_test(tc, test_taper_does_not_depend_on_when_the_car_is_stepped);
    tcase_add_test(tc, test_car_without_battery_never_tapers);
    tcase_add_test(tc, test_full_car_wakes_once_at_its_time_for_its_while);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(sim_car_suite)
