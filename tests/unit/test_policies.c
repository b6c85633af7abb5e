/* SPDX-License-Identifier: MIT */
/*
 * The built-in policies, each on small fleets whose answers are worked out by hand (the
 * arithmetic is beside each expected value). The policies are called directly, through the
 * same struct the host uses; the engine-level scenarios are in test_alloc.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "controller/engine/alloc.h"
#include "controller/engine/policy_loader.h"
#include "tests/support/amp_fleet.h"
#include "tests/support/check_main.h"

#define L1  AMPSHARE_PHASE_L1
#define L2  AMPSHARE_PHASE_L2
#define L3P AMPSHARE_PHASE_ALL
#define IDL AMPSHARE_EVSE_IDLE
#define CHG AMPSHARE_EVSE_CHARGING

struct fleet {
    struct ampshare_policy_circuit c[4];
    struct ampshare_policy_evse e[6];
    struct ampshare_policy_input in;
    int32_t out[6];
    uint8_t why[6];
};

static void fleet_init(struct fleet *f, uint64_t now_ms, int32_t supply_ma, int32_t oc_ma)
{
    memset(f, 0, sizeof(*f));
    f->c[0] = (struct ampshare_policy_circuit){
        .name = "supply",
        .parent = -1,
        .phases = L1,
        .rating_ma = {supply_ma, 0, 0},
        .limit_ma = {supply_ma, 0, 0},
        .overcommit_ma = oc_ma,
    };
    f->in = (struct ampshare_policy_input){
        .struct_size = sizeof(f->in),
        .circuit_size = sizeof(f->c[0]),
        .evse_size = sizeof(f->e[0]),
        .now_ms = now_ms,
        .circuit = f->c,
        .n_circuit = 1,
        .evse = f->e,
    };
}

/* Adds a 1-phase EVSE on L1 of circuit 0 (6 A minimum, whole amps). */
static struct ampshare_policy_evse *add(struct fleet *f,
                                        uint8_t state,
                                        int32_t max_ma,
                                        int32_t offered_ma,
                                        int32_t draw_ma,
                                        uint64_t connected_ms,
                                        uint64_t since_ms)
{
    struct ampshare_policy_evse *e = &f->e[f->in.n_evse++];
    *e = (struct ampshare_policy_evse){
        .name = "e",
        .phases = L1,
        .n_phases = 1,
        .state = state,
        .flags = AMPSHARE_EVSE_F_WALL_CONNECTOR,
        .min_ma = 6000,
        .max_ma = max_ma,
        .step_ma = 1000,
        .offered_ma = offered_ma,
        .draw_ma = {draw_ma, 0, 0},
        .connected_since_ms = connected_ms,
        .state_since_ms = since_ms,
        .energy_wanted_wh = -1,
        .offered_since_ms = since_ms,
        /* as the host keeps it: below its offer since its state began, when it is */
        .below_since_ms = draw_ma + AMPSHARE_POLICY_BELOW_MA < offered_ma ? since_ms : 0,
    };
    return e;
}

struct instance {
    const struct ampshare_policy *p;
    void *state;
};

static void
start(struct instance *x, const char *name, const struct ampshare_policy_option *opt, size_t n_opt)
{
    x->p = policy_builtin_find(name);
    ck_assert_ptr_nonnull(x->p);
    struct ampshare_policy_host host = {
        .struct_size = sizeof(host),
        .max_evse = 6,
        .max_circuit = 4,
    };
    ck_assert_int_eq(x->p->init(&host, opt, n_opt, &x->state), 0);
}

/* Runs the policy and checks its answer needs no clamping. */
static void run(struct instance *x, struct fleet *f)
{
    struct ampshare_policy_output out = {
        .struct_size = sizeof(out),
        .target_ma = f->out,
        .why = f->why,
    };
    ck_assert_int_eq(x->p->allocate(x->state, &f->in, &out), 0);
    char msg[160];
    ck_assert_msg(amp_check_limits(&f->in, f->out, msg, sizeof(msg)) == 0, "%s: %s", x->p->name,
                  msg);
}

static void stop(struct instance *x)
{
    x->p->destroy(x->state);
}

/* twc-gen2.md §7.3: 40 A, a Tesla charging (38.76 A at a 40 A offer, §5.3) and an idle i3. */
static void seed(struct fleet *f, int32_t oc_ma)
{
    fleet_init(f, 600000, 40000, oc_ma);
    add(f, CHG, 40000, 34000, 32760, 1000, 2000);
    add(f, IDL, 40000, 6000, 250, 1000, 1000);
}

START_TEST(test_native_keeps_6a_for_the_idle_i3_tesla_gets_34a)
{
    struct instance x;
    struct fleet f;
    start(&x, "native", NULL, 0);
    for (int32_t oc = 0; oc <= 6000; oc += 6000) {
        seed(&f, oc);
        run(&x, &f);
        ck_assert_int_eq(f.out[0], 34000); /* 40 - 6 reserved, overcommit or not */
        ck_assert_int_eq(f.out[1], 6000);
        ck_assert_uint_eq(f.why[1], AMPSHARE_WHY_IDLE);
    }
    stop(&x);
}

END_TEST

START_TEST(test_idle_reclaim_pauses_the_idle_i3_tesla_gets_40a)
{
    struct instance x;
    struct fleet f;
    start(&x, "idle_reclaim", NULL, 0);
    seed(&f, 0); /* no overcommit: the i3 (idle for 599 s, past its probes) is paused */
    run(&x, &f);
    ck_assert_int_eq(f.out[0], 40000);
    ck_assert_int_eq(f.out[1], 0);
    ck_assert_uint_eq(f.why[1], AMPSHARE_WHY_IDLE);
    stop(&x);
}

END_TEST

START_TEST(test_idle_reclaim_keeps_the_i3_at_6a_with_overcommit_tesla_gets_39a)
{
    struct instance x;
    struct fleet f;
    start(&x, "idle_reclaim", NULL, 0);
    seed(&f, 6000); /* counted: Tesla + 0.25 A of the i3 <= 40 -> 39 A; offers 45 <= 46 */
    run(&x, &f);
    ck_assert_int_eq(f.out[0], 39000);
    ck_assert_int_eq(f.out[1], 6000);
    ck_assert_uint_eq(f.why[1], AMPSHARE_WHY_IDLE);
    stop(&x);
}

END_TEST

START_TEST(test_idle_reclaim_probes_a_paused_car_on_schedule)
{
    struct instance x;
    struct fleet f;
    const struct ampshare_policy_option opt[] = {
        {"idle_after_ms", "2000"},
        {"probe_ms", "20000"},
        {"probe_every_ms", "100000"},
    };
    start(&x, "idle_reclaim", opt, 3);
    /* idle since t = 10 s (it charged before): grace ends at 12 s; probes during
     * [12 + 80, 12 + 100) s, [192, 212) s, ... */
    const uint64_t at[] = {11000, 13000, 91000, 92000, 111000, 112000, 192500};
    const int32_t i3[] = {6000, 0, 0, 6000, 6000, 0, 6000};
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
        fleet_init(&f, at[k], 40000, 0);
        add(&f, CHG, 40000, 34000, 32760, 1000, 2000);
        add(&f, IDL, 40000, 6000, 0, 1000, 10000);
        run(&x, &f);
        ck_assert_msg(f.out[1] == i3[k], "t = %llu ms: i3 %d mA, want %d mA",
                      (unsigned long long)at[k], f.out[1], i3[k]);
        ck_assert_int_eq(f.out[0], 40000 - i3[k]);
    }
    stop(&x);
}

END_TEST

START_TEST(test_idle_reclaim_new_car_gets_its_minimum_to_start)
{
    struct instance x;
    struct fleet f;
    start(&x, "idle_reclaim", NULL, 0);
    fleet_init(&f, 20000, 40000, 0);
    add(&f, CHG, 40000, 40000, 38760, 1000, 2000);
    add(&f, IDL, 40000, 0, 0, 15000, 15000); /* plugged in 5 s ago, never drew */
    run(&x, &f);
    ck_assert_int_eq(f.out[0], 34000);
    ck_assert_int_eq(f.out[1], 6000);
    ck_assert_uint_eq(f.why[1], AMPSHARE_WHY_PROBE);
    stop(&x);
}

END_TEST

START_TEST(test_idle_reclaim_hands_a_self_limited_cars_spare_to_the_other)
{
    struct instance x;
    struct fleet f;
    start(&x, "idle_reclaim", NULL, 0);
    fleet_init(&f, 60000, 40000, 0);
    add(&f, CHG, 32000, 20000, 16000, 1000, 2000); /* takes 16 of 20: ceiling 16 + 3 = 19 */
    add(&f, CHG, 32000, 20000, 19200, 1000, 2000); /* takes all it gets: ceiling 32 */
    run(&x, &f);
    ck_assert_int_eq(f.out[0], 19000);
    ck_assert_int_eq(f.out[1], 21000); /* 40 - 19 */
    ck_assert_uint_eq(f.why[0], AMPSHARE_WHY_DEMAND);
    stop(&x);
}

END_TEST

/*
 * The settle rule (issue 12): the same self-limited car 6 s after its offer was raised has not
 * settled (a car needs 5-10 s to follow a raise, twc-gen2.md §7.2), so it counts as taking all
 * it gets: 20 A each. With settle_ms = 5000 it has, and its spare goes to the other. A raise
 * starts the count again (below_since_ms is the raise), whatever the state's age.
 */
START_TEST(test_demand_waits_for_the_car_to_settle)
{
    static const char *const names[] = {"idle_reclaim", "native"};
    const struct ampshare_policy_option five[] = {{"settle_ms", "5000"}};
    for (int k = 0; k < 2; k++) {
        struct instance x;
        struct fleet f;
        start(&x, names[k], NULL, 0);
        fleet_init(&f, 8000, 40000, 0);
        add(&f, CHG, 32000, 20000, 16000, 1000, 2000); /* below its offer since 2 s: 6 s */
        add(&f, CHG, 32000, 20000, 19200, 1000, 2000);
        run(&x, &f);
        ck_assert_msg(f.out[0] == 20000 && f.out[1] == 20000, "%s: %d %d", names[k], f.out[0],
                      f.out[1]);
        ck_assert_uint_ne(f.why[0], AMPSHARE_WHY_DEMAND);
        stop(&x);
        start(&x, names[k], five, 1);
        run(&x, &f);
        ck_assert_msg(f.out[0] == 19000 && f.out[1] == 21000, "%s: %d %d", names[k], f.out[0],
                      f.out[1]);
        ck_assert_uint_eq(f.why[0], AMPSHARE_WHY_DEMAND);
        /* raised 1 s ago: not settled, though it has charged for 6 s */
        f.e[0].below_since_ms = 7000;
        run(&x, &f);
        ck_assert_int_eq(f.out[0], 20000);
        /* and a car that draws its offer (below_since_ms 0) is never capped */
        f.e[0].below_since_ms = 0;
        run(&x, &f);
        ck_assert_int_eq(f.out[0], 20000);
        stop(&x);
    }
}

END_TEST

START_TEST(test_settle_ms_option_is_checked)
{
    const struct ampshare_policy *p = policy_builtin_find("idle_reclaim");
    struct ampshare_policy_host host = {
        .struct_size = sizeof(host), .max_evse = 2, .max_circuit = 1};
    const struct ampshare_policy_option bad[] = {{"settle_ms", "-1"}};
    const struct ampshare_policy_option big[] = {{"settle_ms", "600001"}};
    void *st = NULL;
    ck_assert_int_eq(p->init(&host, bad, 1, &st), -EINVAL);
    ck_assert_int_eq(p->init(&host, big, 1, &st), -EINVAL);
    p = policy_builtin_find("native");
    ck_assert_int_eq(p->init(&host, bad, 1, &st), -EINVAL);
}

END_TEST

START_TEST(test_equal_share_water_fills_past_a_small_charger)
{
    struct instance x;
    struct fleet f;
    start(&x, "equal_share", NULL, 0);
    fleet_init(&f, 60000, 40000, 0);
    add(&f, CHG, 10000, 10000, 9000, 1000, 2000);
    add(&f, CHG, 32000, 16000, 15000, 1000, 2000);
    add(&f, CHG, 32000, 16000, 15000, 1000, 2000);
    run(&x, &f);
    /* 40 / 3 = 13.3: the 10 A one is capped at 10, the other two share 30: 15 + 15 */
    ck_assert_int_eq(f.out[0], 10000);
    ck_assert_int_eq(f.out[1], 15000);
    ck_assert_int_eq(f.out[2], 15000);
    stop(&x);
}

END_TEST

START_TEST(test_equal_share_seed_counts_the_idle_reserve_by_overcommit)
{
    struct instance x;
    struct fleet f;
    start(&x, "equal_share", NULL, 0);
    seed(&f, 0);
    run(&x, &f);
    ck_assert_int_eq(f.out[0], 34000); /* no overcommit: the i3's 6 A counts in full */
    ck_assert_int_eq(f.out[1], 6000);
    seed(&f, 6000);
    run(&x, &f);
    ck_assert_int_eq(f.out[0], 39000); /* overcommit: the i3 counts its 0.25 A draw */
    ck_assert_int_eq(f.out[1], 6000);
    stop(&x);
}

END_TEST

START_TEST(test_priority_sheds_the_lowest_tier_first_never_everyone)
{
    struct instance x;
    struct fleet f;
    start(&x, "priority", NULL, 0);
    fleet_init(&f, 60000, 14000, 0);
    add(&f, CHG, 32000, 6000, 5200, 1000, 2000)->priority = 0;
    add(&f, CHG, 32000, 6000, 5200, 1000, 2000)->priority = 2;
    add(&f, CHG, 32000, 6000, 5200, 1000, 2000)->priority = 1;
    run(&x, &f);
    /* minimums: tier 2 (6), tier 1 (6) = 12 of 14; tier 0 does not fit. Fill tier 2: +2 */
    ck_assert_int_eq(f.out[1], 8000);
    ck_assert_int_eq(f.out[2], 6000);
    ck_assert_int_eq(f.out[0], 0);
    ck_assert_uint_eq(f.why[0], AMPSHARE_WHY_SHED);
    fleet_init(&f, 60000, 7000, 0); /* room for one minimum: the top tier still charges */
    add(&f, CHG, 32000, 6000, 5200, 1000, 2000)->priority = 0;
    add(&f, CHG, 32000, 6000, 5200, 1000, 2000)->priority = 1;
    run(&x, &f);
    ck_assert_int_eq(f.out[0], 0);
    ck_assert_int_eq(f.out[1], 7000);
    stop(&x);
}

END_TEST

START_TEST(test_fifo_serves_the_first_plugged_in_first)
{
    struct instance x;
    struct fleet f;
    start(&x, "fifo", NULL, 0);
    fleet_init(&f, 60000, 40000, 0);
    add(&f, CHG, 32000, 6000, 5200, 3000, 4000);
    add(&f, CHG, 32000, 6000, 5200, 1000, 4000); /* first in */
    add(&f, CHG, 32000, 6000, 5200, 2000, 4000);
    run(&x, &f);
    /* minimums 6 + 6 + 6 = 18; the first in is raised by the other 22: 28 */
    ck_assert_int_eq(f.out[1], 28000);
    ck_assert_int_eq(f.out[2], 6000);
    ck_assert_int_eq(f.out[0], 6000);
    f.c[0].limit_ma[0] = f.c[0].rating_ma[0] = 14000; /* room for two minimums + 2 A */
    run(&x, &f);
    ck_assert_int_eq(f.out[1], 8000);
    ck_assert_int_eq(f.out[2], 6000);
    ck_assert_int_eq(f.out[0], 0);
    ck_assert_uint_eq(f.why[0], AMPSHARE_WHY_WAIT);
    stop(&x);
}

END_TEST

START_TEST(test_round_robin_rotates_after_the_hold)
{
    struct instance x;
    struct fleet f;
    const struct ampshare_policy_option opt[] = {{"hold_ms", "900000"}};
    start(&x, "round_robin", opt, 1);
    /* three charging cars, 14 A: two minimums fit; each pair shares 14 = 7 + 7 */
    const uint64_t at[] = {0, 899000, 900000, 1000000, 1800000, 2700000};
    const int32_t want[][3] = {
        {7000, 7000, 0}, {7000, 7000, 0}, {7000, 0, 7000},
        {7000, 0, 7000}, {0, 7000, 7000}, {7000, 7000, 0},
    };
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
        fleet_init(&f, at[k], 14000, 0);
        for (int i = 0; i < 3; i++) {
            add(&f, CHG, 32000, 7000, 6200, 1, 2);
        }
        run(&x, &f);
        for (int i = 0; i < 3; i++) {
            ck_assert_msg(f.out[i] == want[k][i], "t = %llu: evse %d got %d, want %d",
                          (unsigned long long)at[k], i, f.out[i], want[k][i]);
        }
        run(&x, &f); /* the same input again: the same answer */
        for (int i = 0; i < 3; i++) {
            ck_assert_int_eq(f.out[i], want[k][i]);
        }
    }
    stop(&x);
}

END_TEST

/* The last line a policy logged. */
struct said {
    char line[256];
};

static void said_log(void *ctx, int level, const char *fmt, ...) AMPSHARE_POLICY_PRINTF(3, 4);

static void said_log(void *ctx, int level, const char *fmt, ...)
{
    (void)level;
    struct said *s = ctx;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->line, sizeof(s->line), fmt, ap);
    va_end(ap);
}

START_TEST(test_policies_refuse_unknown_and_bad_options)
{
    struct said said;
    struct ampshare_policy_host host = {.struct_size = sizeof(host),
                                        .max_evse = 4,
                                        .max_circuit = 2,
                                        .ctx = &said,
                                        .log = said_log};
    const struct ampshare_policy_option junk[] = {{"no_such_option", "1"}};
    const struct ampshare_policy_option bad[] = {{"probe_ms", "soon"}};
    /* every built-in parses its options with the kit's one helper: the error names both */
    for (size_t i = 0; i < policy_builtin_count(); i++) {
        const struct ampshare_policy *p = policy_builtin_at(i);
        void *st = NULL;
        said.line[0] = '\0';
        ck_assert_msg(p->init(&host, junk, 1, &st) == -EINVAL, "%s accepted junk", p->name);
        ck_assert_msg(strstr(said.line, p->name) && strstr(said.line, "'no_such_option'"),
                      "%s said '%s'", p->name, said.line);
    }
    void *st = NULL;
    ck_assert_int_eq(policy_builtin_find("idle_reclaim")->init(&host, bad, 1, &st), -EINVAL);
    ck_assert_str_eq(said.line, "idle_reclaim: option probe_ms: 'soon' is not a number in "
                                "1000..3600000");
}

END_TEST

/* A phase-aware case: 3-phase supply with a weak L3; a 3-phase car and a 1-phase car on L3. */
START_TEST(test_equal_share_respects_each_phase)
{
    struct instance x;
    struct fleet f;
    start(&x, "equal_share", NULL, 0);
    fleet_init(&f, 60000, 0, 0);
    f.c[0].phases = L3P;
    const int32_t lim[3] = {32000, 32000, 20000};
    memcpy(f.c[0].limit_ma, lim, sizeof(lim));
    memcpy(f.c[0].rating_ma, lim, sizeof(lim));
    struct ampshare_policy_evse *a = add(&f, CHG, 32000, 16000, 15000, 1000, 2000);
    a->phases = L3P;
    a->n_phases = 3;
    a->draw_ma[1] = a->draw_ma[2] = 15000;
    struct ampshare_policy_evse *b = add(&f, CHG, 32000, 16000, 15000, 1000, 2000);
    b->phases = AMPSHARE_PHASE_L3;
    b->draw_ma[0] = 0;
    b->draw_ma[2] = 15000;
    run(&x, &f);
    /* L3 carries both: 20 / 2 = 10 each */
    ck_assert_int_eq(f.out[0], 10000);
    ck_assert_int_eq(f.out[1], 10000);
    stop(&x);
}

END_TEST

static Suite *policies_suite(void)
{
    Suite *s = suite_create("policies");
    TCase *tc = tcase_create("builtin");
    tcase_add_test(tc, test_native_keeps_6a_for_the_idle_i3_tesla_gets_34a);
    tcase_add_test(tc, test_idle_reclaim_pauses_the_idle_i3_tesla_gets_40a);
    tcase_add_test(tc, test_idle_reclaim_keeps_the_i3_at_6a_with_overcommit_tesla_gets_39a);
    tcase_add_test(tc, test_idle_reclaim_probes_a_paused_car_on_schedule);
    tcase_add_test(tc, test_idle_reclaim_new_car_gets_its_minimum_to_start);
    tcase_add_test(tc, test_idle_reclaim_hands_a_self_limited_cars_spare_to_the_other);
    tcase_add_test(tc, test_demand_waits_for_the_car_to_settle);
    tcase_add_test(tc, test_settle_ms_option_is_checked);
    tcase_add_test(tc, test_equal_share_water_fills_past_a_small_charger);
    tcase_add_test(tc, test_equal_share_seed_counts_the_idle_reserve_by_overcommit);
    tcase_add_test(tc, test_equal_share_respects_each_phase);
    tcase_add_test(tc, test_priority_sheds_the_lowest_tier_first_never_everyone);
    tcase_add_test(tc, test_fifo_serves_the_first_plugged_in_first);
    tcase_add_test(tc, test_round_robin_rotates_after_the_hold);
    tcase_add_test(tc, test_policies_refuse_unknown_and_bad_options);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(policies_suite)
