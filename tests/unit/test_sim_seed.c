/* SPDX-License-Identifier: MIT */
/*
 * The seed scenario (twc-gen2.md §7.3) end to end, real bytes over tp_mem in virtual time.
 * The simulated native master leaves the Tesla 34 A of 40 A (33.20 A drawn, §5.3) and keeps
 * 6 A for the idle i3. ampshare's master, driven by the allocation engine through ctl_twc, gives
 * the Tesla 40 A with idle_reclaim (the i3 paused), 39 A with 6 A of overcommit (the i3 kept at
 * its 6 A minimum; its unit's 0.25 A no-load reading counts, so 39 + 0.25 <= 40), and 34 A with
 * the native policy. The limits the slaves hold are sampled every 100 ms of virtual time and
 * checked against the circuit here, not by the code under test.
 */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "sim/sim_seed.h"
#include "tests/support/check_main.h"

static void cfg_with(struct sim_seed_cfg *cfg, const char *policy, int32_t oc_ma)
{
    sim_seed_cfg_default(cfg);
    strcpy(cfg->policy, policy);
    cfg->overcommit_ma = oc_ma;
}

static void
run_ok(enum sim_seed_master which, const struct sim_seed_cfg *cfg, struct sim_seed_result *res)
{
    char err[256] = "";
    ck_assert_msg(sim_seed_run(which, cfg, res, err, sizeof(err)) == 0, "%s", err);
}

START_TEST(test_native_master_leaves_the_tesla_34_a)
{
    struct sim_seed_cfg cfg;
    sim_seed_cfg_default(&cfg);
    static struct sim_seed_result res;
    run_ok(SIM_SEED_NATIVE, &cfg, &res);
    ck_assert_uint_eq(res.tesla.state, 0x01);
    ck_assert_uint_eq(res.tesla.limit_ca, 3400);
    ck_assert_uint_eq(res.tesla.actual_ca, 3320);
    ck_assert_uint_eq(res.i3.state, 0x03);
    ck_assert_uint_eq(res.i3.limit_ca, 600);
    ck_assert_uint_eq(res.i3.actual_ca, 25); /* the unit's no-load reading, §5.2 */
    ck_assert_str_eq(res.tesla.why, "");
    /* 0, 15, ..., 150 s */
    ck_assert_uint_eq(res.n, 11);
    ck_assert_uint_eq(res.sample[10].t_ms, 150000);
}

END_TEST

START_TEST(test_idle_reclaim_gives_the_tesla_40_a_and_pauses_the_i3)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 0);
    static struct sim_seed_result res;
    run_ok(SIM_SEED_AMPSHARE, &cfg, &res);
    ck_assert_uint_eq(res.tesla.state, 0x01);
    ck_assert_uint_eq(res.tesla.limit_ca, 4000);
    ck_assert_uint_eq(res.tesla.actual_ca, 3920);
    ck_assert_uint_eq(res.i3.state, 0x03);
    ck_assert_uint_eq(res.i3.limit_ca, 0);
    ck_assert_uint_eq(res.i3.actual_ca, 25);
    ck_assert_str_eq(res.tesla.why, "at its maximum");
    ck_assert_str_eq(res.i3.why, "idle for 2 min");
    /* before anything links, and the i3's plug-in grace: its 6 A minimum (probe_ms 30 s) */
    ck_assert_str_eq(res.sample[0].i3.why, "not linked yet");
    ck_assert_uint_eq(res.sample[1].i3.limit_ca, 600);
    ck_assert_str_eq(res.sample[1].i3.why, "probing: idle for 13 s");
}

END_TEST

START_TEST(test_idle_reclaim_with_overcommit_gives_39_a_and_keeps_the_i3_at_6)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 6000);
    static struct sim_seed_result res;
    run_ok(SIM_SEED_AMPSHARE, &cfg, &res);
    ck_assert_uint_eq(res.tesla.limit_ca, 3900);
    ck_assert_uint_eq(res.tesla.actual_ca, 3820);
    ck_assert_uint_eq(res.i3.state, 0x03);
    ck_assert_uint_eq(res.i3.limit_ca, 600);
    ck_assert_uint_eq(res.i3.actual_ca, 25);
    ck_assert_str_eq(res.tesla.why, "limited by circuit garage");
    ck_assert_str_eq(res.i3.why, "idle for 2 min");
}

END_TEST

START_TEST(test_native_policy_through_ampshare_gives_34_a)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "native", 0);
    static struct sim_seed_result res;
    run_ok(SIM_SEED_AMPSHARE, &cfg, &res);
    ck_assert_uint_eq(res.tesla.limit_ca, 3400);
    ck_assert_uint_eq(res.tesla.actual_ca, 3320);
    ck_assert_uint_eq(res.i3.limit_ca, 600);
    ck_assert_str_eq(res.tesla.why, "limited by circuit garage");
    ck_assert_str_eq(res.i3.why, "idle for 2 min");
}

END_TEST

struct watch {
    uint32_t max_limits_ca;  /* most the two slaves held at once */
    uint32_t max_actuals_ca; /* most they measured at once */
    uint64_t over_first_ms;  /* first sample with more than the circuit drawn, or 0 */
    uint64_t over_last_ms;   /* last such sample */
};

/* Advances to until_ms in 100 ms steps, watching the sums on the wire. */
static void watch_run(struct sim_seed *s, uint64_t until_ms, uint32_t circuit_ca, struct watch *w)
{
    for (uint64_t t = sim_seed_now(s) + 100; t <= until_ms; t += 100) {
        ck_assert_int_eq(sim_seed_advance(s, t), 0);
        struct sim_seed_unit a, b;
        ck_assert_int_eq(sim_seed_unit(s, SIM_SEED_TESLA_ID, &a), 0);
        ck_assert_int_eq(sim_seed_unit(s, SIM_SEED_I3_ID, &b), 0);
        uint32_t lim = (uint32_t)a.limit_ca + b.limit_ca;
        uint32_t act = (uint32_t)a.actual_ca + b.actual_ca;
        w->max_limits_ca = lim > w->max_limits_ca ? lim : w->max_limits_ca;
        w->max_actuals_ca = act > w->max_actuals_ca ? act : w->max_actuals_ca;
        if (act > circuit_ca) {
            w->over_first_ms = w->over_first_ms ? w->over_first_ms : t;
            w->over_last_ms = t;
        }
    }
}

static const char *const policies[] = {"idle_reclaim", "native", "equal_share", "fifo"};

/* No overcommit: what the slaves hold never adds up to more than 40 A, not for 100 ms. */
START_TEST(test_the_clamp_holds_every_100_ms)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, policies[_i], 0);
    struct sim_seed *s = NULL;
    char err[256] = "";
    ck_assert_msg(sim_seed_new(SIM_SEED_AMPSHARE, &cfg, &s, err, sizeof(err)) == 0, "%s", err);
    struct watch w = {0};
    watch_run(s, 150000, 4000, &w);
    ck_assert_msg(w.max_limits_ca <= 4000, "%s: %u", policies[_i], w.max_limits_ca);
    ck_assert_msg(w.max_actuals_ca <= 4000, "%s: %u", policies[_i], w.max_actuals_ca);
    ck_assert_uint_eq(w.over_first_ms, 0);
    sim_seed_free(s);
}

END_TEST

/* First sample time from now on (100 ms steps, up to until_ms) when slave id's field passes. */
static uint64_t
first_when(struct sim_seed *s, uint64_t until_ms, bool (*ok)(const struct sim_seed_unit *u))
{
    for (uint64_t t = sim_seed_now(s); t <= until_ms; t += 100) {
        ck_assert_int_eq(sim_seed_advance(s, t), 0);
        struct sim_seed_unit a, b;
        sim_seed_unit(s, SIM_SEED_TESLA_ID, &a);
        sim_seed_unit(s, SIM_SEED_I3_ID, &b);
        struct sim_seed_unit both[2] = {a, b};
        if (ok(both)) {
            return t;
        }
    }
    ck_abort_msg("never");
    return 0;
}

static bool i3_draws(const struct sim_seed_unit *u)
{
    return u[1].actual_ca >= 100; /* 1 A: charging_threshold_a */
}

static bool tesla_cut(const struct sim_seed_unit *u)
{
    return u[0].limit_ca < 3900;
}

/*
 * docs/allocation.md, bounded overcommit (6 A): the i3 kept at 6 A wakes at 130 s and draws on
 * top of the Tesla's 39 A. The Tesla's slave holds a lower limit within 7 s of the i3 drawing
 * 1 A (heartbeat reply <= 3 s + control tick <= 1 s + cut on the wire <= 3 s), more than 40 A
 * is drawn for at most 12 s and never more than 46 A, and the two end at 20 A each.
 */
START_TEST(test_waking_i3_gets_current_and_the_tesla_is_cut_within_the_bound)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 6000);
    cfg.wake_i3_ms = 130000;
    struct sim_seed *s = NULL;
    char err[256] = "";
    ck_assert_msg(sim_seed_new(SIM_SEED_AMPSHARE, &cfg, &s, err, sizeof(err)) == 0, "%s", err);
    struct watch w = {0};
    watch_run(s, 129900, 4000, &w);
    ck_assert_uint_eq(w.max_limits_ca, 4500); /* 39 + 6 while the i3 sleeps */
    uint64_t t_draw = first_when(s, 150000, i3_draws);
    uint64_t t_cut = first_when(s, t_draw + 10000, tesla_cut);
    ck_assert_msg(t_cut - t_draw <= 7000, "cut %llu ms after the wake-up was drawn",
                  (unsigned long long)(t_cut - t_draw));
    watch_run(s, 240000, 4000, &w);
    ck_assert_uint_le(w.max_limits_ca, 4600);
    ck_assert_uint_le(w.max_actuals_ca, 4600);
    ck_assert_uint_le(w.over_last_ms, t_draw + 12000); /* 0 when never over */
    struct sim_seed_unit a, b;
    sim_seed_unit(s, SIM_SEED_TESLA_ID, &a);
    sim_seed_unit(s, SIM_SEED_I3_ID, &b);
    ck_assert_uint_eq(a.limit_ca, 2000);
    ck_assert_uint_eq(a.actual_ca, 1920);
    ck_assert_uint_eq(b.state, 0x01);
    ck_assert_uint_eq(b.limit_ca, 2000);
    ck_assert_uint_eq(b.actual_ca, 1920);
    sim_seed_free(s);
}

END_TEST

/*
 * No overcommit: the paused i3 wakes at 130 s but can draw nothing until idle_reclaim probes it
 * (its minimum for probe_ms at the end of every probe_every_ms: from about 300 s of idling,
 * docs/allocation.md); then it charges and the two share 40 A, never more than 40 A held.
 */
START_TEST(test_waking_paused_i3_gets_current_at_the_next_probe)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 0);
    cfg.wake_i3_ms = 130000;
    struct sim_seed *s = NULL;
    char err[256] = "";
    ck_assert_msg(sim_seed_new(SIM_SEED_AMPSHARE, &cfg, &s, err, sizeof(err)) == 0, "%s", err);
    struct watch w = {0};
    watch_run(s, 290000, 4000, &w);
    struct sim_seed_unit a, b;
    sim_seed_unit(s, SIM_SEED_I3_ID, &b);
    ck_assert_uint_eq(b.limit_ca, 0); /* still paused, waiting for its probe */
    watch_run(s, 420000, 4000, &w);
    ck_assert_uint_eq(w.max_limits_ca, 4000);
    ck_assert_uint_le(w.max_actuals_ca, 4000);
    sim_seed_unit(s, SIM_SEED_TESLA_ID, &a);
    sim_seed_unit(s, SIM_SEED_I3_ID, &b);
    ck_assert_uint_eq(a.limit_ca, 2000);
    ck_assert_uint_eq(b.state, 0x01);
    ck_assert_uint_eq(b.limit_ca, 2000);
    ck_assert_uint_eq(b.actual_ca, 1920);
    sim_seed_free(s);
}

END_TEST

START_TEST(test_bad_config_and_unknown_policy_are_refused)
{
    struct sim_seed_cfg cfg;
    sim_seed_cfg_default(&cfg);
    cfg.circuit_ma = 0;
    static struct sim_seed_result res;
    char err[256] = "";
    ck_assert_int_eq(sim_seed_run(SIM_SEED_NATIVE, &cfg, &res, err, sizeof(err)), -EINVAL);
    cfg_with(&cfg, "nosuch", 0);
    ck_assert_int_eq(sim_seed_run(SIM_SEED_AMPSHARE, &cfg, &res, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, "nosuch") != NULL, "%s", err);
}

END_TEST

static Suite *sim_seed_suite(void)
{
    Suite *s = suite_create("sim_seed");
    TCase *tc = tcase_create("seed");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_native_master_leaves_the_tesla_34_a);
    tcase_add_test(tc, test_idle_reclaim_gives_the_tesla_40_a_and_pauses_the_i3);
    tcase_add_test(tc, test_idle_reclaim_with_overcommit_gives_39_a_and_keeps_the_i3_at_6);
    tcase_add_test(tc, test_native_policy_through_ampshare_gives_34_a);
    tcase_add_loop_test(tc, test_the_clamp_holds_every_100_ms, 0,
                        (int)(sizeof(policies) / sizeof(policies[0])));
    tcase_add_test(tc, test_waking_i3_gets_current_and_the_tesla_is_cut_within_the_bound);
    tcase_add_test(tc, test_waking_paused_i3_gets_current_at_the_next_probe);
    tcase_add_test(tc, test_bad_config_and_unknown_policy_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(sim_seed_suite)
