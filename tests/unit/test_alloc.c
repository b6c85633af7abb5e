/* SPDX-License-Identifier: MIT */
/*
 * The allocation engine, end to end from an INI site: view building (states, uncontrolled
 * loads, stale meters), the policy call and its fallback, the hold and the ramp, the reasons,
 * and the waking idle car. Expected values are worked out by hand beside each assertion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "controller/engine/alloc.h"
#include "controller/engine/policy_loader.h"
#include "tests/support/amp_fleet.h"
#include "tests/support/check_main.h"

struct rig {
    struct site *site;
    struct policy_handle h;
    struct alloc *a;
    struct site_state *st;
    struct alloc_result *r;
    bool echo; /* each EVSE reports the last target as in force on the next tick */
};

static void rig_start_with(struct rig *g, const char *ini, const struct ampshare_policy *p)
{
    memset(g, 0, sizeof(*g));
    g->site = amp_test_site(ini);
    char err[256];
    if (!p) {
        ck_assert_msg(policy_open(g->site->policy, &g->h, err, sizeof(err)) == 0, "%s", err);
        p = g->h.policy;
    }
    ck_assert_msg(alloc_new(g->site, p, &g->a, err, sizeof(err)) == 0, "%s", err);
    ck_assert_int_eq(site_state_new(g->site, &g->st), 0);
    ck_assert_int_eq(alloc_result_new(g->site, &g->r), 0);
    g->echo = true;
}

static void rig_start(struct rig *g, const char *ini)
{
    rig_start_with(g, ini, NULL);
}

static void rig_stop(struct rig *g)
{
    alloc_result_free(g->r);
    site_state_free(g->st);
    alloc_free(g->a);
    policy_close(&g->h);
    site_free(g->site);
}

static int idx(const struct rig *g, const char *name)
{
    int i = site_find_evse(g->site, name);
    ck_assert_msg(i >= 0, "no evse %s", name);
    return i;
}

/* What the EVSE's driver reports: a car or not, and its current on every conductor. */
static void car(struct rig *g, const char *name, bool connected, int32_t draw_ma, uint64_t at_ms)
{
    struct site_evse_input *in = &g->st->evse[idx(g, name)];
    in->connected = connected;
    for (int k = 0; k < 3; k++) {
        in->draw_ma[k] = draw_ma;
    }
    in->draw_at_ms = at_ms;
}

static void
meter(struct rig *g, const char *name, int32_t l1, int32_t l2, int32_t l3, uint64_t at_ms)
{
    int m = site_find_meter(g->site, name);
    ck_assert_int_ge(m, 0);
    g->st->meter[m] = (struct site_meter_input){.current_ma = {l1, l2, l3}, .at_ms = at_ms};
}

/* One tick; the clamped answer must keep every limit of the view the policy saw. */
static void tick(struct rig *g, uint64_t now)
{
    ck_assert_int_eq(alloc_tick(g->a, g->st, now, g->r), 0);
    const struct ampshare_policy_input *in = alloc_last_view(g->a);
    int32_t t[64];
    for (size_t v = 0; v < in->n_evse; v++) {
        t[v] = g->r->evse[g->site->controllable[v]].target_ma;
    }
    char msg[160];
    ck_assert_msg(amp_check_limits(in, t, msg, sizeof(msg)) == 0, "t = %llu: %s",
                  (unsigned long long)now, msg);
    if (g->echo) {
        for (size_t i = 0; i < g->site->n_evse; i++) {
            g->st->evse[i].offer_ma = g->r->evse[i].target_ma;
        }
    }
}

static int32_t target(const struct rig *g, const char *name)
{
    return g->r->evse[idx(g, name)].target_ma;
}

static const char *why(const struct rig *g, const char *name, uint64_t now, int64_t wall)
{
    static char buf[96]; /* test-only convenience */
    ck_assert_int_gt(
        alloc_why_format(g->site, &g->r->evse[idx(g, name)], now, wall, buf, sizeof(buf)), 0);
    return buf;
}

/* twc-gen2.md §7.3: one 40 A circuit, a Tesla and a BMW i3 on two 48 A Wall Connectors. */
static void seed_ini(char *buf, size_t cap, const char *policy, int oc_a)
{
    snprintf(buf, cap,
             "[site]\nsupply_limit_a = 40\nphases = 1\novercommit_a = %d\n"
             "[circuit garage]\nlimit_a = 40\novercommit_a = %d\n"
             "[bus rs485]\ntransport = serial:/dev/ttyUSB0\n"
             "[wallconnector tesla]\nbus = rs485\naddress = 1111\ncircuit = garage\n"
             "max_current_a = 48\n"
             "[wallconnector i3]\nbus = rs485\naddress = 2222\ncircuit = garage\n"
             "max_current_a = 48\n"
             "[policy]\nname = %s\n",
             oc_a, oc_a, policy);
}

START_TEST(test_native_seed_tesla_gets_34_of_40_with_an_idle_i3)
{
    char ini[1024];
    struct rig g;
    seed_ini(ini, sizeof(ini), "native", 0);
    rig_start(&g, ini);
    car(&g, "tesla", true, 38760, 1000); /* §5.3: 38.76 A actual at a 40 A limit */
    car(&g, "i3", true, 250, 1000);      /* §5.2: an idle unit reports 0.25 A */
    tick(&g, 1000);
    ck_assert_int_eq(target(&g, "tesla"), 34000);
    ck_assert_int_eq(target(&g, "i3"), 6000);
    ck_assert_str_eq(why(&g, "tesla", 1000, 0), "limited by circuit garage");
    ck_assert_str_eq(why(&g, "i3", 1000, 0), "idle for 0 s");
    /* wall clock: monotonic 1000 ms is 12:03:00 UTC */
    setenv("TZ", "UTC", 1);
    tzset();
    ck_assert_str_eq(why(&g, "i3", 1000, (12 * 3600 + 3 * 60) * 1000LL - 1000), "idle since 12:03");
    ck_assert_uint_eq(g.r->corrections, 0);
    rig_stop(&g);
}

END_TEST

START_TEST(test_idle_reclaim_seed_tesla_gets_40_once_the_i3_is_paused)
{
    char ini[1024];
    struct rig g;
    seed_ini(ini, sizeof(ini), "idle_reclaim", 0);
    rig_start(&g, ini);
    car(&g, "tesla", true, 38760, 1000);
    car(&g, "i3", true, 250, 1000);
    tick(&g, 1000); /* the i3 was just seen: its plug-in grace (probe_ms 30 s) */
    ck_assert_int_eq(target(&g, "tesla"), 34000);
    ck_assert_int_eq(target(&g, "i3"), 6000);
    ck_assert_str_eq(why(&g, "i3", 1000, 0), "probing: idle for 0 s");
    car(&g, "tesla", true, 32800, 31000);
    car(&g, "i3", true, 250, 31000);
    tick(&g, 31000); /* grace over, no overcommit: the i3 is paused; the raise waits a tick */
    ck_assert_int_eq(target(&g, "i3"), 0);
    ck_assert_int_eq(target(&g, "tesla"), 34000);
    ck_assert_str_eq(why(&g, "tesla", 31000, 0), "raise held until cuts elsewhere are in force");
    ck_assert_str_eq(why(&g, "i3", 31000, 0), "idle for 30 s");
    car(&g, "tesla", true, 32800, 32000);
    car(&g, "i3", true, 0, 32000);
    tick(&g, 32000);
    ck_assert_int_eq(target(&g, "tesla"), 40000);
    ck_assert_int_eq(target(&g, "i3"), 0);
    ck_assert_str_eq(why(&g, "tesla", 32000, 0), "at its maximum");
    rig_stop(&g);
}

END_TEST

START_TEST(test_idle_reclaim_seed_with_overcommit_tesla_gets_39_i3_kept_at_6)
{
    char ini[1024];
    struct rig g;
    seed_ini(ini, sizeof(ini), "idle_reclaim", 6);
    rig_start(&g, ini);
    for (uint64_t t = 1000; t <= 40000; t += 1000) {
        car(&g, "tesla", true, 37800, t);
        car(&g, "i3", true, 250, t);
        tick(&g, t);
        /* counted: Tesla + 0.25 A <= 40 -> 39 A; offers 39 + 6 = 45 <= 40 + 6 */
        ck_assert_int_eq(target(&g, "tesla"), 39000);
        ck_assert_int_eq(target(&g, "i3"), 6000);
    }
    ck_assert_str_eq(why(&g, "i3", 40000, 0), "idle for 39 s");
    rig_stop(&g);
}

END_TEST

/*
 * The waking idle car, bounded overcommit (docs/allocation.md): while the i3 sleeps the offers
 * add up to 45 A on a 40 A circuit. When it wakes it draws on top of the Tesla: at most the
 * overcommit (6 A) over the limit, and the very tick that measures the wake-up cuts the offers
 * back under 40 A.
 */
START_TEST(test_waking_car_is_cut_back_on_the_tick_that_measures_it)
{
    char ini[1024];
    struct rig g;
    seed_ini(ini, sizeof(ini), "idle_reclaim", 6);
    rig_start(&g, ini);
    car(&g, "tesla", true, 37800, 1000);
    car(&g, "i3", true, 250, 1000);
    tick(&g, 1000);
    ck_assert_int_eq(target(&g, "tesla") + target(&g, "i3"), 45000);
    /* between ticks the i3 wakes and takes its 6 A offer: it draws 5.2 A (§5.3, 6 A lock) */
    int32_t load = 37800 + 5200;
    ck_assert_int_le(load - 40000, 6000); /* over by 3 A, within the 6 A overcommit */
    car(&g, "tesla", true, 37800, 2000);
    car(&g, "i3", true, 5200, 2000);
    tick(&g, 2000);
    /* both charge: equal shares of 40 are 20 + 20; the Tesla's cut is immediate, the i3's raise
     * waits until the cut is in force */
    ck_assert_int_eq(target(&g, "tesla"), 20000);
    ck_assert_int_eq(target(&g, "i3"), 6000);
    ck_assert_int_le(target(&g, "tesla") + target(&g, "i3"), 40000);
    car(&g, "tesla", true, 19000, 3000);
    car(&g, "i3", true, 5200, 3000);
    tick(&g, 3000);
    ck_assert_int_eq(target(&g, "tesla"), 20000);
    ck_assert_int_eq(target(&g, "i3"), 20000);
    rig_stop(&g);
}

END_TEST

/* No overcommit: a paused car is only offered current again after the others' cut is in force,
 * so the offers in force never add up to more than the limit, not even for one tick. */
START_TEST(test_no_overcommit_probe_never_exceeds_the_limit)
{
    char ini[1024];
    struct rig g;
    seed_ini(ini, sizeof(ini), "idle_reclaim", 0);
    rig_start(&g, ini);
    int32_t prev_t = 0, prev_i = 0;
    int probes = 0;
    for (uint64_t t = 1000; t <= 700000; t += 1000) {
        car(&g, "tesla", true, 32800, t);
        car(&g, "i3", true, 0, t);
        tick(&g, t);
        int32_t tt = target(&g, "tesla"), ti = target(&g, "i3");
        /* worst moment: new targets reached one charger, old ones still at the other */
        ck_assert_int_le((tt > prev_t ? tt : prev_t) + (ti > prev_i ? ti : prev_i), 40000);
        probes += ti > 0 && prev_i == 0;
        prev_t = tt;
        prev_i = ti;
    }
    /* the plug-in grace (0..30 s), then a probe at the end of every 300 s after it: from 301 s
     * and from 601 s (each raise one tick after the Tesla's cut is in force) */
    ck_assert_int_eq(probes, 3);
    rig_stop(&g);
}

END_TEST

static const char meter_ini[] =
    "[site]\nsupply_limit_a = 63\n"
    "[circuit garage]\nlimit_a = 32\n"
    "[circuit carport]\nphases = 1\nphase = L1\nlimit_a = 20\n"
    "[bus b]\ntransport = serial:/dev/ttyUSB0\n"
    "[wallconnector w3]\nbus = b\naddress = 1111\ncircuit = garage\nmax_current_a = 32\n"
    "phases = 3\n"
    "[wallconnector wc]\nbus = b\naddress = 2222\ncircuit = carport\nmax_current_a = 32\n"
    "[evse guest]\ncontrol = none\nmeter = gm\ncircuit = carport\nmax_current_a = 16\n"
    "[meter garage-meter]\ntransport = tcp://127.0.0.1:1502\nmap = eastron-sdm630\n"
    "measures = circuit:garage\n"
    "[meter gm]\ntransport = tcp://127.0.0.1:1502\nunit_id = 2\nmap = eastron-sdm120\n"
    "measures = evse:guest\nstale_current_a = 10\n"
    "[policy]\nname = equal_share\n";

START_TEST(test_circuit_meter_load_beyond_our_chargers_lowers_the_budget)
{
    struct rig g;
    rig_start(&g, meter_ini);
    car(&g, "w3", true, 10000, 1000);
    car(&g, "wc", false, 0, 1000);
    meter(&g, "gm", 0, 0, 0, 1000);
    /* the garage meter sees 20/10/10 A; the Wall Connector draws 10 A per phase: 10 A on L1 is
     * someone else's, so L1 may carry 32 - 10 = 22 A of ours */
    meter(&g, "garage-meter", 20000, 10000, 10000, 1000);
    tick(&g, 1000);
    int garage = site_find_circuit(g.site, "garage");
    ck_assert_int_eq(g.r->circuit[garage].uncontrolled_ma[0], 10000);
    ck_assert_int_eq(g.r->circuit[garage].limit_ma[0], 22000);
    ck_assert_int_eq(g.r->circuit[garage].limit_ma[1], 32000);
    ck_assert_int_eq(target(&g, "w3"), 22000);
    ck_assert_str_eq(why(&g, "w3", 1000, 0), "limited by circuit garage");
    /* the meter goes silent: after 10 s it counts the whole rating as other load */
    car(&g, "w3", true, 10000, 12000);
    meter(&g, "gm", 0, 0, 0, 12000);
    tick(&g, 12000);
    ck_assert(g.r->circuit[garage].meter_stale);
    ck_assert_int_eq(g.r->circuit[garage].limit_ma[0], 0);
    ck_assert_int_eq(target(&g, "w3"), 0);
    rig_stop(&g);
}

END_TEST

START_TEST(test_uncontrolled_evse_is_a_load_and_its_stale_meter_a_fixed_one)
{
    struct rig g;
    rig_start(&g, meter_ini);
    car(&g, "w3", false, 0, 1000);
    car(&g, "wc", true, 5000, 1000);
    meter(&g, "garage-meter", 0, 0, 0, 1000);
    meter(&g, "gm", 12000, 0, 0, 1000); /* the guest charger draws 12 A on L1 */
    tick(&g, 1000);
    ck_assert_int_eq(target(&g, "wc"), 8000); /* carport 20 - 12 */
    ck_assert_str_eq(why(&g, "guest", 1000, 0), "metered only, not controlled");
    ck_assert_int_eq(g.r->evse[idx(&g, "guest")].target_ma, 0);
    /* its meter goes stale: its stale_current_a (10 A) is assumed */
    car(&g, "wc", true, 7000, 20000);
    meter(&g, "garage-meter", 0, 0, 0, 20000);
    tick(&g, 20000);
    ck_assert_int_eq(target(&g, "wc"), 10000);
    rig_stop(&g);
}

END_TEST

static const char stale_ini[] =
    "[site]\nsupply_limit_a = 40\nphases = 1\n"
    "[evse bay]\ncontrol = modbus\ncontrol_transport = tcp://127.0.0.1:1502\nmeter = bm\n"
    "circuit = supply\nmax_current_a = 16\n"
    "[meter bm]\ntransport = tcp://127.0.0.1:1502\nmap = eastron-sdm120\nmeasures = evse:bay\n"
    "stale_timeout_ms = 5000\n"
    "[meter grid]\ntransport = tcp://127.0.0.1:1502\nunit_id = 3\nmap = eastron-sdm120\n"
    "measures = grid\nstale_current_a = 30\n"
    "[policy]\nname = equal_share\n";

START_TEST(test_stale_evse_meter_keeps_its_offer_and_says_so)
{
    struct rig g;
    rig_start(&g, stale_ini);
    car(&g, "bay", true, 0, 0);
    meter(&g, "bm", 9000, 0, 0, 1000);
    meter(&g, "grid", 9000, 0, 0, 1000);
    tick(&g, 1000);
    ck_assert_int_eq(target(&g, "bay"), 16000);
    g.st->evse[idx(&g, "bay")].offer_ma = 10000; /* the charger reports 10 A in force */
    meter(&g, "grid", 9000, 0, 0, 7000);
    tick(&g, 7000); /* its meter: 6 s old > 5 s: assumed to draw its offer, which is frozen */
    ck_assert(g.r->evse[idx(&g, "bay")].stale);
    ck_assert_int_eq(g.r->evse[idx(&g, "bay")].draw_ma[0], 10000);
    ck_assert_int_eq(target(&g, "bay"), 10000);
    ck_assert_str_eq(why(&g, "bay", 7000, 0), "meter stale");
    rig_stop(&g);
}

END_TEST

START_TEST(test_stale_grid_meter_uses_its_configured_budget)
{
    struct rig g;
    rig_start(&g, stale_ini);
    car(&g, "bay", true, 0, 0);
    meter(&g, "bm", 9000, 0, 0, 20000);
    meter(&g, "grid", 9000, 0, 0, 1000);
    tick(&g, 20000); /* grid 19 s old: 30 A of other load assumed: 40 - 30 = 10 A left */
    ck_assert(g.r->circuit[0].meter_stale);
    ck_assert_int_eq(g.r->circuit[0].limit_ma[0], 10000);
    ck_assert_int_eq(target(&g, "bay"), 10000);
    rig_stop(&g);
}

END_TEST

START_TEST(test_ramp_limits_raises_but_allows_a_start)
{
    struct rig g;
    rig_start(&g, "[site]\nsupply_limit_a = 40\nphases = 1\nramp_up_a_per_s = 2\n"
                  "[bus b]\ntransport = serial:/dev/ttyUSB0\n"
                  "[wallconnector w]\nbus = b\naddress = 1111\ncircuit = supply\n"
                  "max_current_a = 32\n[policy]\nname = equal_share\n");
    car(&g, "w", true, 0, 1000);
    tick(&g, 1000); /* from 0: straight to the 6 A minimum */
    ck_assert_int_eq(target(&g, "w"), 6000);
    car(&g, "w", true, 5200, 2000);
    tick(&g, 2000); /* 1 s later: at most +2 A */
    ck_assert_int_eq(target(&g, "w"), 8000);
    ck_assert_str_eq(why(&g, "w", 2000, 0), "raise rate-limited");
    car(&g, "w", true, 7200, 7000);
    tick(&g, 7000); /* 5 s later: +10 A */
    ck_assert_int_eq(target(&g, "w"), 18000);
    ck_assert_uint_eq(g.r->held, 1);
    rig_stop(&g);
}

END_TEST

static int failing_init(const struct ampshare_policy_host *host,
                        const struct ampshare_policy_option *opt,
                        size_t n_opt,
                        void **state)
{
    (void)host, (void)opt, (void)n_opt;
    *state = NULL;
    return 0;
}

static int failing_allocate(void *state,
                            const struct ampshare_policy_input *in,
                            struct ampshare_policy_output *out)
{
    (void)state, (void)in;
    out->target_ma[0] = 99999; /* garbage before failing: must not leak through */
    return -EIO;
}

static int greedy_allocate(void *state,
                           const struct ampshare_policy_input *in,
                           struct ampshare_policy_output *out)
{
    (void)state;
    for (size_t i = 0; i < in->n_evse; i++) {
        out->target_ma[i] = 1000000; /* everything, everywhere */
    }
    return 0;
}

static void nothing(void *state)
{
    (void)state;
}

static const char two_ini[] = "[site]\nsupply_limit_a = 40\nphases = 1\n"
                              "[bus b]\ntransport = serial:/dev/ttyUSB0\n"
                              "[wallconnector a]\nbus = b\naddress = 1111\ncircuit = supply\n"
                              "max_current_a = 32\n"
                              "[wallconnector b]\nbus = b\naddress = 2222\ncircuit = supply\n"
                              "max_current_a = 32\n";

START_TEST(test_failing_policy_falls_back_to_equal_share)
{
    static const struct ampshare_policy failing = {
        .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
        .struct_size = sizeof(struct ampshare_policy),
        .name = "failing",
        .init = failing_init,
        .allocate = failing_allocate,
        .destroy = nothing,
    };
    struct rig g;
    rig_start_with(&g, two_ini, &failing);
    car(&g, "a", true, 20000, 1000);
    car(&g, "b", true, 20000, 1000);
    tick(&g, 1000);
    ck_assert_int_eq(g.r->policy_rc, -EIO);
    ck_assert_int_eq(target(&g, "a"), 20000);
    ck_assert_int_eq(target(&g, "b"), 20000);
    ck_assert_str_eq(why(&g, "a", 1000, 0), "policy failed: equal share");
    ck_assert_uint_eq(alloc_get_stats(g.a)->policy_errors, 1);
    rig_stop(&g);
}

END_TEST

START_TEST(test_greedy_policy_is_clamped_and_counted)
{
    static const struct ampshare_policy greedy = {
        .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
        .struct_size = sizeof(struct ampshare_policy),
        .name = "greedy",
        .init = failing_init,
        .allocate = greedy_allocate,
        .destroy = nothing,
    };
    struct rig g;
    rig_start_with(&g, two_ini, &greedy);
    car(&g, "a", true, 20000, 1000);
    car(&g, "b", false, 0, 1000);
    tick(&g, 1000);
    /* a: 1000 A -> its max 32 A; b has no car: 0 */
    ck_assert_int_eq(target(&g, "a"), 32000);
    ck_assert_int_eq(target(&g, "b"), 0);
    ck_assert_uint_eq(g.r->corrections, 2);
    ck_assert_uint_eq(g.r->evse[idx(&g, "a")].fix, ALLOC_FIX_MAX);
    ck_assert_uint_eq(g.r->evse[idx(&g, "b")].fix, ALLOC_FIX_UNPLUGGED);
    ck_assert_str_eq(why(&g, "b", 1000, 0), "no car");
    car(&g, "b", true, 20000, 2000);
    tick(&g, 2000);
    /* both at 32 = 64 > 40: x 40/64 = 20 A each; a's cut is immediate, b's raise waits while
     * a's 32 A is still in force (32 + 20 > 40) */
    ck_assert_int_eq(target(&g, "a"), 20000);
    ck_assert_int_eq(target(&g, "b"), 0);
    ck_assert_str_eq(why(&g, "a", 2000, 0), "limited by circuit supply");
    ck_assert_str_eq(why(&g, "b", 2000, 0), "raise held until cuts elsewhere are in force");
    ck_assert_uint_eq(alloc_get_stats(g.a)->fixes[ALLOC_FIX_CIRCUIT], 2);
    car(&g, "a", true, 19000, 3000);
    car(&g, "b", true, 0, 3000);
    tick(&g, 3000);
    ck_assert_int_eq(target(&g, "a"), 20000);
    ck_assert_int_eq(target(&g, "b"), 20000);
    ck_assert_uint_eq(alloc_get_stats(g.a)->fixes[ALLOC_FIX_CIRCUIT], 4);
    rig_stop(&g);
}

END_TEST

START_TEST(test_tick_refuses_a_state_of_another_site)
{
    struct rig g;
    rig_start(&g, "[site]\nsupply_limit_a = 40\n[policy]\nname = fifo\n");
    struct site_state other = {.n_evse = 3, .evse = g.st->evse, .n_meter = 0, .meter = NULL};
    ck_assert_int_eq(alloc_tick(g.a, &other, 1000, g.r), -EINVAL);
    ck_assert_int_eq(alloc_tick(g.a, g.st, 1000, g.r), 0);
    rig_stop(&g);
}

END_TEST

START_TEST(test_state_and_since_follow_the_measurements)
{
    struct rig g;
    rig_start(&g, two_ini);
    car(&g, "a", true, 0, 1000);
    car(&g, "b", false, 0, 1000);
    tick(&g, 1000);
    ck_assert_uint_eq(g.r->evse[idx(&g, "a")].state, AMPSHARE_EVSE_IDLE);
    ck_assert_uint_eq(g.r->evse[idx(&g, "b")].state, AMPSHARE_EVSE_UNPLUGGED);
    car(&g, "a", true, 999, 2000); /* below the 1 A threshold: still idle, since 1000 */
    tick(&g, 2000);
    ck_assert_uint_eq(g.r->evse[idx(&g, "a")].state, AMPSHARE_EVSE_IDLE);
    ck_assert_uint_eq(g.r->evse[idx(&g, "a")].since_ms, 1000);
    car(&g, "a", true, 1000, 3000);
    tick(&g, 3000);
    ck_assert_uint_eq(g.r->evse[idx(&g, "a")].state, AMPSHARE_EVSE_CHARGING);
    ck_assert_uint_eq(g.r->evse[idx(&g, "a")].since_ms, 3000);
    const struct ampshare_policy_input *in = alloc_last_view(g.a);
    ck_assert_uint_eq(in->evse[0].connected_since_ms, 1000);
    ck_assert_uint_eq(in->evse[0].state_since_ms, 3000);
    rig_stop(&g);
}

END_TEST

START_TEST(test_meters_never_read_are_stale_from_the_first_tick)
{
    /* On a monotonic clock the first ticks come long before any stale timeout (here 1 s after
     * boot, the timeouts are 5 s and 10 s): a meter that has not answered yet is no reading. */
    struct rig g;
    rig_start(&g, stale_ini);
    car(&g, "bay", true, 0, 0);
    tick(&g, 1000);
    ck_assert(g.r->circuit[0].meter_stale); /* the grid's 30 A stale load: 40 - 30 = 10 A */
    ck_assert_int_eq(g.r->circuit[0].limit_ma[0], 10000);
    ck_assert(g.r->evse[idx(&g, "bay")].stale);
    ck_assert_int_eq(target(&g, "bay"), 0); /* a stale EVSE meter freezes its offer: none yet */
    /* both answer: fresh at once */
    meter(&g, "bm", 0, 0, 0, 1500);
    meter(&g, "grid", 9000, 0, 0, 1500);
    tick(&g, 2000);
    ck_assert(!g.r->circuit[0].meter_stale);
    ck_assert(!g.r->evse[idx(&g, "bay")].stale);
    ck_assert_int_eq(g.r->circuit[0].limit_ma[0], 31000);
    ck_assert_int_gt(target(&g, "bay"), 0); /* a start (ramped) */
    rig_stop(&g);
}

END_TEST

/* ---- the §7.1 spike (alloc_spike.c) ---- */

/* The targets a test policy answers (test-only state: one rig at a time). */
static int32_t fixed_ma[2];

static int fixed_allocate(void *state,
                          const struct ampshare_policy_input *in,
                          struct ampshare_policy_output *out)
{
    (void)state;
    for (size_t i = 0; i < in->n_evse && i < 2; i++) {
        out->target_ma[i] = fixed_ma[i];
    }
    return 0;
}

static const struct ampshare_policy fixed_policy = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = "fixed",
    .init = failing_init,
    .allocate = fixed_allocate,
    .destroy = nothing,
};

static const char spike_ini[] = "[site]\nsupply_limit_a = 40\nphases = 1\novercommit_a = 6\n"
                                "[bus b]\ntransport = serial:/dev/ttyUSB0\n"
                                "[wallconnector a]\nbus = b\naddress = 1111\ncircuit = supply\n"
                                "max_current_a = 32\n"
                                "[wallconnector b]\nbus = b\naddress = 2222\ncircuit = supply\n"
                                "max_current_a = 32\n";

static void spike_rig(struct rig *g, int32_t a_ma, int32_t b_ma)
{
    rig_start_with(g, spike_ini, &fixed_policy);
    fixed_ma[0] = a_ma;
    fixed_ma[1] = b_ma;
    for (int i = 0; i < 2; i++) {
        g->st->evse[i].spike_ma = 21000; /* an 80 A unit's spike */
    }
}

/*
 * Proactive: a's raise from 6 to 10 A (below its 21 A spike) becomes 21 A while every circuit
 * has the room (21 + b's 10 <= 40), for 5 s from the tick whose echo shows it, then 10 A. While
 * it lasts it counts: b's raise to 25 A waits (21 + 25 > 40), and goes out once a's 21 A is no
 * longer in force.
 */
START_TEST(test_spike_proactive_is_a_counted_target_for_5_s)
{
    struct rig g;
    spike_rig(&g, 6000, 10000);
    car(&g, "a", true, 5200, 1000);
    car(&g, "b", true, 9200, 1000);
    tick(&g, 1000); /* a start, not a raise: no spike */
    ck_assert_int_eq(target(&g, "a"), 6000);
    fixed_ma[0] = 10000;
    car(&g, "a", true, 5200, 2000);
    car(&g, "b", true, 9200, 2000);
    tick(&g, 2000);
    ck_assert_int_eq(target(&g, "a"), 21000);
    ck_assert_str_eq(why(&g, "a", 2000, 0), "spike: cancels the car's 6 A lock");
    fixed_ma[1] = 25000;
    for (uint64_t t = 3000; t <= 7000; t += 1000) {
        car(&g, "a", true, 5200, t);
        car(&g, "b", true, 9200, t);
        tick(&g, t);
        ck_assert_msg(target(&g, "a") == 21000, "t %llu: a %d", (unsigned long long)t,
                      target(&g, "a"));
        ck_assert_int_eq(target(&g, "b"), 10000);
        ck_assert_str_eq(why(&g, "b", t, 0), "raise held until cuts elsewhere are in force");
    }
    car(&g, "a", true, 5200, 8000);
    car(&g, "b", true, 9200, 8000);
    tick(&g, 8000); /* 5 s after the echo showed it (3000) */
    ck_assert_int_eq(target(&g, "a"), 10000);
    ck_assert_int_eq(target(&g, "b"), 10000); /* a's 21 A still in force */
    tick(&g, 9000);
    ck_assert_int_eq(target(&g, "b"), 25000);
    rig_stop(&g);
}

END_TEST

/* No room, no spike: beside b's 25 A, a's 21 A would break 40 A. */
START_TEST(test_spike_needs_room_on_every_circuit)
{
    struct rig g;
    spike_rig(&g, 6000, 25000);
    car(&g, "a", true, 5200, 1000);
    car(&g, "b", true, 24200, 1000);
    tick(&g, 1000);
    fixed_ma[0] = 10000;
    tick(&g, 2000);
    ck_assert_int_eq(target(&g, "a"), 10000);
    ck_assert_int_eq(target(&g, "b"), 25000);
    /* nor for a unit without a spike current (not a Wall Connector master's slave) */
    rig_stop(&g);
    spike_rig(&g, 6000, 10000);
    g.st->evse[0].spike_ma = 0;
    car(&g, "a", true, 5200, 1000);
    car(&g, "b", true, 9200, 1000);
    tick(&g, 1000);
    fixed_ma[0] = 10000;
    tick(&g, 2000);
    ck_assert_int_eq(target(&g, "a"), 10000);
    rig_stop(&g);
}

END_TEST

/*
 * Reactive: a at 10 A draws 5.2 A (its 6 A step), more than 2 A short, under one offer: after
 * 10 s the spike. And a car offered the spike itself that stays 2 A short for 10 s is offered
 * spike - 2 A.
 */
START_TEST(test_spike_reactive_and_stuck_rules)
{
    struct rig g;
    spike_rig(&g, 10000, 10000);
    uint64_t spiked = 0;
    for (uint64_t t = 1000; t <= 15000 && !spiked; t += 1000) {
        car(&g, "a", true, 5200, t);
        car(&g, "b", true, 9200, t);
        tick(&g, t);
        spiked = target(&g, "a") == 21000 ? t : 0;
    }
    /* the offer 10 A is in force from the tick after 1000; short from then on */
    ck_assert_uint_eq(spiked, 12000);
    /* still short after it (a car that just takes less): the next ones back off, 20 s, 40 s */
    uint64_t starts[3] = {spiked, 0, 0};
    int n = 1;
    int32_t prev = 21000;
    for (uint64_t t = spiked + 1000; t <= 150000 && n < 3; t += 1000) {
        car(&g, "a", true, 5200, t);
        car(&g, "b", true, 9200, t);
        tick(&g, t);
        if (target(&g, "a") == 21000 && prev != 21000) {
            starts[n++] = t;
        }
        prev = target(&g, "a");
    }
    ck_assert_int_eq(n, 3);
    ck_assert_uint_ge(starts[1], starts[0] + 20000);
    ck_assert_uint_ge(starts[2], starts[1] + 40000);
    ck_assert_uint_le(starts[2], starts[1] + 45000);
    rig_stop(&g);

    spike_rig(&g, 21000, 10000);
    int32_t last = 0;
    uint64_t t = 1000;
    for (; t <= 15000 && last != 19000; t += 1000) {
        car(&g, "a", true, 5200, t);
        car(&g, "b", true, 9200, t);
        tick(&g, t);
        last = target(&g, "a");
    }
    ck_assert_int_eq(last, 19000);
    ck_assert_uint_eq(t - 1000, 12000);
    rig_stop(&g);
}

END_TEST

/*
 * A spike in force is dropped the tick its room goes: b, idle at 22 A (counted by its draw, 0;
 * 21 + 22 <= 40 + 6 overcommit), wakes, and now counts 22 A in full: 21 + 22 > 40.
 */
START_TEST(test_spike_is_cut_when_the_room_goes)
{
    struct rig g;
    spike_rig(&g, 6000, 22000);
    car(&g, "a", true, 5200, 1000);
    car(&g, "b", true, 0, 1000);
    tick(&g, 1000);
    ck_assert_int_eq(target(&g, "b"), 22000);
    fixed_ma[0] = 10000;
    car(&g, "a", true, 5200, 2000);
    tick(&g, 2000);
    ck_assert_int_eq(target(&g, "a"), 21000);
    car(&g, "a", true, 5200, 3000);
    car(&g, "b", true, 5000, 3000); /* b wakes */
    tick(&g, 3000);
    ck_assert_int_eq(target(&g, "a"), 10000);
    rig_stop(&g);
}

END_TEST

/* issue 17: a 40 A circuit, metered; an oven draws 30 A; the Wall Connector (32 A) reports
 * 655.35 A. Subtracted from the meter, that reading hid the oven and gave the car 32 A: 62 A
 * would flow. Refused, the reading counts as stale: the car keeps at most its offer, the oven
 * stays counted, and the reason names the value. */
static const char oven_ini[] =
    "[site]\nsupply_limit_a = 40\nphases = 1\n"
    "[circuit kitchen]\nlimit_a = 40\n"
    "[bus b]\ntransport = serial:/dev/ttyUSB0\n"
    "[wallconnector wc]\nbus = b\naddress = 1111\ncircuit = kitchen\nmax_current_a = 32\n"
    "[meter km]\ntransport = tcp://127.0.0.1:1502\nmap = eastron-sdm120\n"
    "measures = circuit:kitchen\n"
    "[policy]\nname = equal_share\n";

START_TEST(test_implausible_current_never_raises_a_budget)
{
    struct rig g;
    rig_start(&g, oven_ini);
    int kitchen = site_find_circuit(g.site, "kitchen");
    /* a sane start: the car draws 6 A, the meter sees 30 + 6 */
    g.st->evse[idx(&g, "wc")].offer_ma = 6000;
    car(&g, "wc", true, 6000, 1000);
    meter(&g, "km", 36000, 0, 0, 1000);
    tick(&g, 1000);
    ck_assert_int_eq(g.r->circuit[kitchen].uncontrolled_ma[0], 30000);
    ck_assert_int_eq(target(&g, "wc"), 10000); /* 40 - 30 */
    ck_assert_int_eq(g.r->evse[idx(&g, "wc")].implausible, ALLOC_IMPLAUSIBLE_NONE);
    /* the slave reports 655.35 A (0xFFFF centiamps) while the meter still sees 30 + 10 */
    car(&g, "wc", true, 655350, 2000);
    meter(&g, "km", 40000, 0, 0, 2000);
    tick(&g, 2000);
    ck_assert_int_eq(target(&g, "wc"), 0); /* believed, the reading gave it 32 A: 62 A flow */
    const struct alloc_evse_result *r = &g.r->evse[idx(&g, "wc")];
    ck_assert_int_eq(r->implausible, ALLOC_IMPLAUSIBLE_OWN_MAX);
    ck_assert(r->implausible_new);
    ck_assert_int_eq(r->implausible_ma, 655350);
    ck_assert(r->stale);
    ck_assert_uint_eq(g.r->implausible, 1);
    /* a stale draw is not subtracted: all 40 A the meter sees count as other load, so the
     * car is cut to 0 (its own fail-safe); with the reading believed it got 32 A */
    ck_assert_int_eq(g.r->circuit[kitchen].uncontrolled_ma[0], 40000);
    ck_assert_int_eq(target(&g, "wc"), 0);
    ck_assert_str_eq(why(&g, "wc", 2000, 0),
                     "implausible reading 655.35 A (above its own maximum): counted as stale");
    /* still refused on the next tick, but no longer new: the caller logs it once */
    car(&g, "wc", true, 655350, 3000);
    meter(&g, "km", 40000, 0, 0, 3000);
    tick(&g, 3000);
    ck_assert(!g.r->evse[idx(&g, "wc")].implausible_new);
    ck_assert_int_eq(target(&g, "wc"), 0);
    ck_assert_uint_eq(alloc_get_stats(g.a)->implausible, 2);
    rig_stop(&g);
}

END_TEST

/* The settle facts of the view (ABI minor 1), as alloc.c keeps them from the measurements. */
static const struct ampshare_policy_evse *view_of(const struct rig *g, const char *name)
{
    const struct ampshare_policy_input *in = alloc_last_view(g->a);
    for (size_t v = 0; v < in->n_evse; v++) {
        if (g->site->controllable[v] == idx(g, name)) {
            return ampshare_policy_evse_at(in, v);
        }
    }
    ck_abort_msg("no view of %s", name);
    return NULL;
}

START_TEST(test_view_keeps_the_settle_facts)
{
    struct rig g;
    rig_start_with(&g, spike_ini, &fixed_policy);
    fixed_ma[0] = 10000;
    fixed_ma[1] = 0;
    car(&g, "a", true, 9200, 1000); /* draws its offer (10 - 0.8) */
    tick(&g, 1000);
    tick(&g, 2000); /* the 10 A offer in force from here */
    const struct ampshare_policy_evse *ev = view_of(&g, "a");
    ck_assert_uint_eq(ev->offered_since_ms, 2000);
    ck_assert_uint_eq(ev->below_since_ms, 0);
    car(&g, "a", true, 5000, 3000); /* 5 A under 10: below */
    tick(&g, 3000);
    ck_assert_uint_eq(view_of(&g, "a")->below_since_ms, 3000);
    car(&g, "a", true, 5500, 4000); /* climbs less than 1 A: the same run */
    tick(&g, 4000);
    ck_assert_uint_eq(view_of(&g, "a")->below_since_ms, 3000);
    fixed_ma[0] = 8000; /* a cut: the same run */
    tick(&g, 5000);
    tick(&g, 6000);
    ev = view_of(&g, "a");
    ck_assert_uint_eq(ev->offered_since_ms, 6000);
    ck_assert_uint_eq(ev->below_since_ms, 3000);
    fixed_ma[0] = 20000; /* a raise: a new run */
    tick(&g, 7000);
    tick(&g, 8000);
    ev = view_of(&g, "a");
    ck_assert_uint_eq(ev->offered_since_ms, 8000);
    ck_assert_uint_eq(ev->below_since_ms, 8000);
    car(&g, "a", true, 7000, 9000); /* climbs 1.5 A: still following, a new run */
    tick(&g, 9000);
    ck_assert_uint_eq(view_of(&g, "a")->below_since_ms, 9000);
    car(&g, "a", true, 19200, 10000); /* takes its offer */
    tick(&g, 10000);
    ck_assert_uint_eq(view_of(&g, "a")->below_since_ms, 0);
    car(&g, "a", true, 5000, 11000);
    tick(&g, 11000);
    ck_assert_uint_eq(view_of(&g, "a")->below_since_ms, 11000);
    tick(&g, 30000); /* stale (10 s): assumed to draw its offer, so not below */
    ck_assert_uint_eq(view_of(&g, "a")->below_since_ms, 0);
    rig_stop(&g);
}

END_TEST

/* Within its own maximum, a reading can still be impossible: 30 A under a meter that sees 8 A
 * in all. Subtracted, it would turn the 8 A the meter sees into room for 32 A. */
START_TEST(test_draw_above_the_meter_over_it_is_refused)
{
    struct rig g;
    rig_start(&g, oven_ini);
    int kitchen = site_find_circuit(g.site, "kitchen");
    g.st->evse[idx(&g, "wc")].offer_ma = 32000;
    car(&g, "wc", true, 30000, 1000);
    meter(&g, "km", 8000, 0, 0, 1000);
    tick(&g, 1000);
    const struct alloc_evse_result *r = &g.r->evse[idx(&g, "wc")];
    ck_assert_int_eq(r->implausible, ALLOC_IMPLAUSIBLE_METER);
    ck_assert(r->stale);
    ck_assert_int_eq(g.r->circuit[kitchen].uncontrolled_ma[0], 8000);
    ck_assert_int_le(target(&g, "wc"), 32000); /* at most its offer, never raised */
    ck_assert_int_eq(r->why, ALLOC_WHY_IMPLAUSIBLE);
    /* a car ramping up between the two reads is not refused: 14 A beside a meter at 8 A */
    car(&g, "wc", true, 14000, 2000);
    meter(&g, "km", 8000, 0, 0, 2000);
    tick(&g, 2000);
    ck_assert_int_eq(g.r->evse[idx(&g, "wc")].implausible, ALLOC_IMPLAUSIBLE_NONE);
    rig_stop(&g);
}

END_TEST

/* A charger configured for 32 A on a 16 A circuit (its maximum is cut to 16 A) that reports
 * 30 A: within its own maximum, but more than the circuit could carry. No meter here, so the
 * reading would raise nothing; it is refused all the same, and says why. */
START_TEST(test_draw_above_the_circuit_rating_is_refused)
{
    struct rig g;
    rig_start(&g, "[site]\nsupply_limit_a = 40\nphases = 1\n"
                  "[circuit shed]\nlimit_a = 16\n"
                  "[bus b]\ntransport = serial:/dev/ttyUSB0\n"
                  "[wallconnector wc]\nbus = b\naddress = 1111\ncircuit = shed\n"
                  "max_current_a = 32\n"
                  "[policy]\nname = equal_share\n");
    g.st->evse[idx(&g, "wc")].offer_ma = 16000;
    car(&g, "wc", true, 30000, 1000);
    tick(&g, 1000);
    const struct alloc_evse_result *r = &g.r->evse[idx(&g, "wc")];
    ck_assert_int_eq(r->implausible, ALLOC_IMPLAUSIBLE_RATING);
    ck_assert_int_eq(r->implausible_ma, 30000);
    ck_assert_int_le(target(&g, "wc"), 16000);
    ck_assert_str_eq(why(&g, "wc", 1000, 0),
                     "implausible reading 30.00 A (above the rating of its circuit): counted as "
                     "stale");
    /* 16 A and a little more is what a car on it may draw */
    car(&g, "wc", true, 17000, 2000);
    tick(&g, 2000);
    ck_assert_int_eq(g.r->evse[idx(&g, "wc")].implausible, ALLOC_IMPLAUSIBLE_NONE);
    rig_stop(&g);
}

END_TEST

static Suite *alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("engine");
    tcase_add_test(tc, test_native_seed_tesla_gets_34_of_40_with_an_idle_i3);
    tcase_add_test(tc, test_idle_reclaim_seed_tesla_gets_40_once_the_i3_is_paused);
    tcase_add_test(tc, test_idle_reclaim_seed_with_overcommit_tesla_gets_39_i3_kept_at_6);
    tcase_add_test(tc, test_waking_car_is_cut_back_on_the_tick_that_measures_it);
    tcase_add_test(tc, test_no_overcommit_probe_never_exceeds_the_limit);
    tcase_add_test(tc, test_circuit_meter_load_beyond_our_chargers_lowers_the_budget);
    tcase_add_test(tc, test_uncontrolled_evse_is_a_load_and_its_stale_meter_a_fixed_one);
    tcase_add_test(tc, test_stale_evse_meter_keeps_its_offer_and_says_so);
    tcase_add_test(tc, test_stale_grid_meter_uses_its_configured_budget);
    tcase_add_test(tc, test_meters_never_read_are_stale_from_the_first_tick);
    tcase_add_test(tc, test_ramp_limits_raises_but_allows_a_start);
    tcase_add_test(tc, test_failing_policy_falls_back_to_equal_share);
    tcase_add_test(tc, test_greedy_policy_is_clamped_and_counted);
    tcase_add_test(tc, test_tick_refuses_a_state_of_another_site);
    tcase_add_test(tc, test_state_and_since_follow_the_measurements);
    tcase_add_test(tc, test_spike_proactive_is_a_counted_target_for_5_s);
    tcase_add_test(tc, test_spike_needs_room_on_every_circuit);
    tcase_add_test(tc, test_spike_reactive_and_stuck_rules);
    tcase_add_test(tc, test_spike_is_cut_when_the_room_goes);
    tcase_add_test(tc, test_view_keeps_the_settle_facts);
    tcase_add_test(tc, test_implausible_current_never_raises_a_budget);
    tcase_add_test(tc, test_draw_above_the_meter_over_it_is_refused);
    tcase_add_test(tc, test_draw_above_the_circuit_rating_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(alloc_suite)
