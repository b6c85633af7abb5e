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

#include "drivers/twc/twc_bus.h"
#include "sim/sim_sched.h"
#include "sim/sim_seed.h"
#include "sim/sim_vbus.h"
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

/* ---- issue 12: reclaim in seconds ---- */

/* When the Tesla's slave first holds or measures a level (centiamps), in ms; UINT64_MAX = never. */
struct marks {
    uint64_t lim34, lim39, lim40, act33, act39;
    uint64_t i3_idle;    /* cfg.i3_full_ms: first sample from then on with the i3 under 1 A */
    uint32_t max_act_ca; /* most the two drew at once */
    uint32_t max_lim_ca; /* most the two slaves held at once */
};

static void mark(uint64_t *m, uint64_t t, bool hit)
{
    if (hit && *m == UINT64_MAX) {
        *m = t;
    }
}

/* Runs the seed every 100 ms of virtual time (the physical draw is checked on every sample). */
static void marks_run(enum sim_seed_master which, const struct sim_seed_cfg *cfg, struct marks *m)
{
    struct sim_seed *s = NULL;
    char err[256] = "";
    ck_assert_msg(sim_seed_new(which, cfg, &s, err, sizeof(err)) == 0, "%s", err);
    memset(m, 0xff, sizeof(*m));
    m->max_act_ca = m->max_lim_ca = 0;
    for (uint64_t t = 0; t <= cfg->duration_ms; t += 100) {
        ck_assert_int_eq(sim_seed_advance(s, t), 0);
        struct sim_seed_unit a, b;
        ck_assert_int_eq(sim_seed_unit(s, SIM_SEED_TESLA_ID, &a), 0);
        ck_assert_int_eq(sim_seed_unit(s, SIM_SEED_I3_ID, &b), 0);
        uint32_t act = (uint32_t)a.actual_ca + b.actual_ca, lim = (uint32_t)a.limit_ca + b.limit_ca;
        m->max_act_ca = act > m->max_act_ca ? act : m->max_act_ca;
        m->max_lim_ca = lim > m->max_lim_ca ? lim : m->max_lim_ca;
        mark(&m->i3_idle, t, cfg->i3_full_ms && t >= cfg->i3_full_ms && b.actual_ca < 100);
        uint64_t from = cfg->i3_full_ms ? m->i3_idle : 0;
        if (from == UINT64_MAX) {
            continue; /* in the i3-full runs the marks count once its draw fell idle */
        }
        mark(&m->lim34, t, a.limit_ca >= 3400);
        mark(&m->lim39, t, a.limit_ca >= 3900);
        mark(&m->lim40, t, a.limit_ca >= 4000);
        mark(&m->act33, t, a.actual_ca >= 3300);
        mark(&m->act39, t, a.actual_ca >= 3900);
    }
    sim_seed_free(s);
}

/* The car's own ramp after a raise it can see: the next heartbeat (1 s), follow_delay (1 s),
 * raise_ms (5 s), and a heartbeat reply to measure it (1 s). */
#define CAR_RAMP_MS 8000

/*
 * Overcommit 0: the Tesla is offered 34 A no later than the native master offers it (+1 s), 40 A
 * once the i3's wake-up grace (probe_ms, 30 s) has passed, and draws 39 A within its ramp.
 */
START_TEST(test_reclaim_without_overcommit_is_as_fast_as_the_native_master)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 0);
    cfg.duration_ms = 60000;
    struct marks nat, amp;
    marks_run(SIM_SEED_NATIVE, &cfg, &nat);
    marks_run(SIM_SEED_AMPSHARE, &cfg, &amp);
    ck_assert_uint_ne(nat.lim34, UINT64_MAX);
    ck_assert_msg(amp.lim34 <= nat.lim34 + 1000, "34 A at %llu ms, native at %llu ms",
                  (unsigned long long)amp.lim34, (unsigned long long)nat.lim34);
    ck_assert_msg(amp.lim40 >= 30000 && amp.lim40 <= 34000, "40 A at %llu ms",
                  (unsigned long long)amp.lim40);
    ck_assert_msg(amp.act39 <= amp.lim40 + CAR_RAMP_MS, "39 A drawn at %llu ms",
                  (unsigned long long)amp.act39);
    ck_assert_uint_le(amp.max_act_ca, 4000);
    ck_assert_uint_le(amp.max_lim_ca, 4000);
}

END_TEST

/* Overcommit 6: the i3 keeps 6 A beside the Tesla, which is offered 39 A within 10 s. */
START_TEST(test_reclaim_with_overcommit_offers_39_a_within_10_s)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 6000);
    cfg.duration_ms = 30000;
    struct marks amp;
    marks_run(SIM_SEED_AMPSHARE, &cfg, &amp);
    ck_assert_msg(amp.lim39 <= 10000, "39 A at %llu ms", (unsigned long long)amp.lim39);
    ck_assert_uint_le(amp.max_act_ca, 4000);
}

END_TEST

static const char *const reclaimers[] = {"idle_reclaim", "round_robin"};

/*
 * --i3-full-s 120: the i3's share was in use. The Tesla is offered the freed amps (40 A) within
 * 5 s of the i3's draw falling idle and draws them within its ramp; the physical draw never
 * exceeds 40 A on any 100 ms sample.
 */
START_TEST(test_a_share_in_use_is_reclaimed_within_5_s)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, reclaimers[_i], 0);
    cfg.i3_full_ms = 120000;
    cfg.duration_ms = 150000;
    struct marks amp;
    marks_run(SIM_SEED_AMPSHARE, &cfg, &amp);
    ck_assert_uint_ne(amp.i3_idle, UINT64_MAX);
    ck_assert_msg(amp.lim40 <= amp.i3_idle + 5000, "%s: 40 A %llu ms after the i3 fell idle",
                  reclaimers[_i], (unsigned long long)(amp.lim40 - amp.i3_idle));
    ck_assert_msg(amp.act39 <= amp.lim40 + CAR_RAMP_MS, "%s: 39 A drawn %llu ms after the offer",
                  reclaimers[_i], (unsigned long long)(amp.act39 - amp.lim40));
    ck_assert_msg(amp.max_act_ca <= 4000, "%s: %u cA drawn", reclaimers[_i], amp.max_act_ca);
    ck_assert_msg(amp.max_lim_ca <= 4000, "%s: %u cA held", reclaimers[_i], amp.max_lim_ca);
}

END_TEST

/*
 * The waking-i3 bound with the faster ramp: the Tesla is at full current when the i3 wakes, and
 * the i3 either starts as cars do (1.3 A first, §5.2) or jumps straight to its whole offer. The
 * Tesla's slave holds a lower limit within 7 s of the i3 drawing 1 A, more than 40 A is drawn
 * for at most 12 s and never more than 46 A (40 + the 6 A overcommit).
 */
START_TEST(test_waking_i3_bound_holds_at_full_current_and_with_a_jump)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 6000);
    cfg.wake_i3_ms = 40000;
    cfg.i3_jump = _i == 1;
    struct sim_seed *s = NULL;
    char err[256] = "";
    ck_assert_msg(sim_seed_new(SIM_SEED_AMPSHARE, &cfg, &s, err, sizeof(err)) == 0, "%s", err);
    struct watch w = {0};
    watch_run(s, 39900, 4000, &w);
    struct sim_seed_unit a;
    sim_seed_unit(s, SIM_SEED_TESLA_ID, &a);
    ck_assert_uint_eq(a.limit_ca, 3900); /* at full current when the i3 wakes */
    ck_assert_uint_ge(a.actual_ca, 3800);
    uint64_t t_draw = first_when(s, 60000, i3_draws);
    uint64_t t_cut = first_when(s, t_draw + 10000, tesla_cut);
    ck_assert_msg(t_cut - t_draw <= 7000, "cut %llu ms after the wake-up was drawn",
                  (unsigned long long)(t_cut - t_draw));
    watch_run(s, 120000, 4000, &w);
    ck_assert_uint_le(w.max_limits_ca, 4600);
    ck_assert_uint_le(w.max_actuals_ca, 4600);
    ck_assert_uint_le(w.over_last_ms, t_draw + 12000);
    sim_seed_free(s);
}

END_TEST

/*
 * The 6 A lock (§7.1) on 26 A with a charging i3: the Tesla's raise to 13 A leaves it at 5.2 A,
 * and no spike fits beside the i3. Once the i3 is full and paused, the reactive rule offers the
 * 21 A spike (there is room for it now); the car leaves the lock and takes the circuit. The
 * physical draw and the held limits never exceed 26 A on any 100 ms sample.
 */
START_TEST(test_a_locked_tesla_leaves_the_lock_within_the_circuit)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 0);
    cfg.circuit_ma = 26000;
    cfg.tesla_lock = true;
    cfg.i3_full_ms = 60000;
    struct sim_seed *s = NULL;
    char err[256] = "";
    ck_assert_msg(sim_seed_new(SIM_SEED_AMPSHARE, &cfg, &s, err, sizeof(err)) == 0, "%s", err);
    struct watch w = {0};
    watch_run(s, 55000, 2600, &w);
    struct sim_seed_unit a;
    sim_seed_unit(s, SIM_SEED_TESLA_ID, &a);
    ck_assert_uint_eq(a.actual_ca, 520); /* locked at its 6 A step */
    watch_run(s, 120000, 2600, &w);
    sim_seed_unit(s, SIM_SEED_TESLA_ID, &a);
    ck_assert_uint_eq(a.limit_ca, 2600);
    ck_assert_uint_eq(a.actual_ca, 2520); /* out of the lock */
    ck_assert_uint_le(w.max_limits_ca, 2600);
    ck_assert_uint_le(w.max_actuals_ca, 2600);
    ck_assert_uint_eq(w.over_first_ms, 0);
    sim_seed_free(s);
}

END_TEST

/* The lock model is off by default: the same run without it shares 13 A / 13 A, the Tesla
 * drawing its 12.2 A from the start. */
START_TEST(test_without_the_lock_the_tesla_takes_its_half)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 0);
    cfg.circuit_ma = 26000;
    cfg.i3_full_ms = 60000;
    cfg.duration_ms = 60000;
    struct marks amp;
    marks_run(SIM_SEED_AMPSHARE, &cfg, &amp);
    ck_assert_uint_le(amp.max_act_ca, 2600);
    static struct sim_seed_result res;
    run_ok(SIM_SEED_AMPSHARE, &cfg, &res);
    ck_assert_uint_eq(res.tesla.limit_ca, 1300);
    ck_assert_uint_eq(res.tesla.actual_ca, 1220);
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

/* Every transmission on the bus, in order, with its time: FNV-1a over them. */
struct trace {
    uint64_t hash, frames;
};

static void trace_tap(void *ctx, uint64_t at_ms, int from, const uint8_t *buf, size_t len)
{
    struct trace *t = ctx;
    uint8_t head[9];
    memcpy(head, &at_ms, 8);
    head[8] = (uint8_t)from;
    for (size_t i = 0; i < sizeof(head) + len; i++) {
        t->hash = (t->hash ^ (i < sizeof(head) ? head[i] : buf[i - sizeof(head)])) * 1099511628211u;
    }
    t->frames++;
}

/* The seed with the i3 charging, full at 40 s and woken at 90 s, sampled every second. */
static void traced_run(enum sim_seed_master which,
                       bool lockstep,
                       struct trace *t,
                       struct sim_seed_unit (*units)[2])
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 0);
    cfg.i3_full_ms = 40000;
    cfg.wake_i3_ms = 90000;
    char err[256] = "";
    struct sim_seed *s = NULL;
    ck_assert_msg(sim_seed_new(which, &cfg, &s, err, sizeof(err)) == 0, "%s", err);
    sim_sched_set_lockstep(sim_seed_sched(s), lockstep);
    t->hash = 14695981039346656037u;
    t->frames = 0;
    sim_vbus_set_tap(sim_seed_vbus(s), trace_tap, t);
    for (uint64_t k = 0; k <= 150; k++) {
        ck_assert_int_eq(sim_seed_advance(s, k * 1000), 0);
        sim_seed_unit(s, SIM_SEED_TESLA_ID, &units[k][0]);
        sim_seed_unit(s, SIM_SEED_I3_ID, &units[k][1]);
    }
    sim_seed_free(s);
}

/* Event time is exact: every party names its next due time, so jumping there gives the very
 * bytes, at the very milliseconds, that servicing every party every millisecond gives. */
START_TEST(test_event_time_gives_the_bytes_of_1_ms_steps)
{
    static const enum sim_seed_master which[] = {SIM_SEED_AMPSHARE, SIM_SEED_NATIVE};

    for (size_t w = 0; w < 2; w++) {
        static struct sim_seed_unit ev[151][2], ls[151][2];
        struct trace te, tl;
        traced_run(which[w], false, &te, ev);
        traced_run(which[w], true, &tl, ls);
        ck_assert_uint_gt(te.frames, 300);
        ck_assert_uint_eq(te.frames, tl.frames);
        ck_assert_uint_eq(te.hash, tl.hash);
        for (size_t k = 0; k <= 150; k++) {
            for (size_t u = 0; u < 2; u++) {
                ck_assert_uint_eq(ev[k][u].state, ls[k][u].state);
                ck_assert_uint_eq(ev[k][u].limit_ca, ls[k][u].limit_ca);
                ck_assert_uint_eq(ev[k][u].actual_ca, ls[k][u].actual_ca);
                ck_assert_str_eq(ev[k][u].why, ls[k][u].why);
            }
        }
    }
}

END_TEST

/* What ampshare's port sent, when it started, against the slaves' last frame heard. */
struct idle_check {
    int master;
    bool heard; /* a slave frame yet */
    uint64_t slave_heard_ms;
    uint64_t master_frames, too_soon;
};

static void idle_tap(void *ctx, uint64_t at_ms, int from, const uint8_t *buf, size_t len)
{
    (void)buf;
    struct idle_check *c = ctx;
    if (from != c->master) {
        c->heard = true;
        c->slave_heard_ms = at_ms;
        return;
    }
    /* its transmitter was idle: it began len * 10 bits at 9600 bit/s before it was heard */
    uint64_t began = at_ms - (len * 10 * 1000000u / SIM_VBUS_BAUD + 999) / 1000;
    c->master_frames++;
    c->too_soon += c->heard && began < c->slave_heard_ms + TWC_BUS_LINE_IDLE_MS;
}

/* The ampshare half is the gateway's bus driver, not a copy: it waits for a quiet line after
 * every slave frame (twc_bus's 5 ms rule, twc-gen2.md §1), and nobody talks over anybody once
 * the slaves have linked. */
START_TEST(test_ampshare_transmits_only_on_a_quiet_line)
{
    struct sim_seed_cfg cfg;
    cfg_with(&cfg, "idle_reclaim", 0);
    char err[256] = "";
    struct sim_seed *s = NULL;
    ck_assert_msg(sim_seed_new(SIM_SEED_AMPSHARE, &cfg, &s, err, sizeof(err)) == 0, "%s", err);
    struct sim_vbus *vb = sim_seed_vbus(s);
    struct idle_check c = {.master = 0};
    ck_assert_str_eq(vb->port[0].name, "seed:ampshare");
    sim_vbus_set_tap(vb, idle_tap, &c);
    /* at 1 ms the first slave's first linkready and our first start-up frame both go out
     * (slaves do not listen before they talk, §6.1): the one collision, counted, not garbled */
    ck_assert_int_eq(sim_seed_advance(s, 1000), 0);
    ck_assert_uint_eq(vb->stats.collisions, 1);
    ck_assert_int_eq(sim_seed_advance(s, 120000), 0);
    ck_assert_uint_gt(c.master_frames, 200);
    ck_assert_uint_eq(c.too_soon, 0);
    ck_assert_uint_eq(vb->stats.collisions, 1);
    ck_assert_uint_eq(vb->stats.overruns, 0);
    sim_seed_free(s);
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
    tcase_add_test(tc, test_reclaim_without_overcommit_is_as_fast_as_the_native_master);
    tcase_add_test(tc, test_reclaim_with_overcommit_offers_39_a_within_10_s);
    tcase_add_loop_test(tc, test_a_share_in_use_is_reclaimed_within_5_s, 0,
                        (int)(sizeof(reclaimers) / sizeof(reclaimers[0])));
    tcase_add_loop_test(tc, test_waking_i3_bound_holds_at_full_current_and_with_a_jump, 0, 2);
    tcase_add_test(tc, test_a_locked_tesla_leaves_the_lock_within_the_circuit);
    tcase_add_test(tc, test_without_the_lock_the_tesla_takes_its_half);
    tcase_add_test(tc, test_event_time_gives_the_bytes_of_1_ms_steps);
    tcase_add_test(tc, test_ampshare_transmits_only_on_a_quiet_line);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(sim_seed_suite)
