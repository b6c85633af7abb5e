/* SPDX-License-Identifier: MIT */
/*
 * The ACN reference algorithms as ampshare policies (policies/acn_abi.h over acn_core.h): on a
 * 20 A single-phase supply with two charging cars, A (plugged in first, leaving late, energy
 * unknown) and B (leaving in 1 h, 1 kWh), each algorithm's answer is worked out by hand from
 * acnportal's rules, rounded down to whole amps and to 0 below the 6 A minimum.
 */
#include <string.h>

#include <check.h>

#include "controller/engine/policy_loader.h"
#include "tests/support/amp_fleet.h"
#include "tests/support/check_main.h"

#define HOUR_MS 3600000ull
#define NOW_MS  (10 * HOUR_MS)

struct fleet {
    struct ampshare_policy_circuit c[1];
    struct ampshare_policy_evse e[2];
    struct ampshare_policy_input in;
    int32_t out[2];
    uint8_t why[2];
};

static void two_cars(struct fleet *f)
{
    memset(f, 0, sizeof(*f));
    f->c[0] = (struct ampshare_policy_circuit){
        .name = "supply",
        .parent = -1,
        .phases = AMPSHARE_PHASE_L1,
        .rating_ma = {20000, 0, 0},
        .limit_ma = {20000, 0, 0},
    };
    for (int i = 0; i < 2; i++) {
        f->e[i] = (struct ampshare_policy_evse){
            .name = i ? "B" : "A",
            .phases = AMPSHARE_PHASE_L1,
            .n_phases = 1,
            .state = AMPSHARE_EVSE_CHARGING,
            .min_ma = 6000,
            .max_ma = 32000,
            .step_ma = 1000,
            .connected_since_ms = i ? 2000 : 1000,
            .departure_ms = i ? NOW_MS + HOUR_MS : NOW_MS + 8 * HOUR_MS,
            .energy_wanted_wh = i ? 1000 : -1,
        };
    }
    f->in = (struct ampshare_policy_input){
        .struct_size = sizeof(f->in),
        .circuit_size = sizeof(f->c[0]),
        .evse_size = sizeof(f->e[0]),
        .now_ms = NOW_MS,
        .circuit = f->c,
        .n_circuit = 1,
        .evse = f->e,
        .n_evse = 2,
    };
}

static void run(const char *name, struct fleet *f, bool keeps_limits)
{
    const struct ampshare_policy *p = policy_builtin_find(name);
    ck_assert_ptr_nonnull(p);
    struct ampshare_policy_host host = {
        .struct_size = sizeof(host), .max_evse = 2, .max_circuit = 1};
    void *st;
    ck_assert_int_eq(p->init(&host, NULL, 0, &st), 0);
    struct ampshare_policy_output out = {
        .struct_size = sizeof(out), .target_ma = f->out, .why = f->why};
    ck_assert_int_eq(p->allocate(st, &f->in, &out), 0);
    p->destroy(st);
    char msg[160];
    ck_assert_int_eq(amp_check_limits(&f->in, f->out, msg, sizeof(msg)) == 0, keeps_limits);
}

START_TEST(test_each_algorithm_by_hand)
{
    struct fleet f;
    /* FCFS: A first; 32 A does not fit, the bisection on [0, 32] tries 16, 24, 20 (fits exactly)
     * and then only values above 20: A 20 A, B nothing */
    two_cars(&f);
    run("acn_fcfs", &f, true);
    ck_assert_int_eq(f.out[0], 20000);
    ck_assert_int_eq(f.out[1], 0);
    ck_assert_uint_eq(f.why[1], AMPSHARE_WHY_WAIT);
    /* EDF: B leaves first; its ceiling min(32, 1 kWh in 5 min at 230 V = 52 A) = 32 -> 20 A */
    two_cars(&f);
    run("acn_edf", &f, true);
    ck_assert_int_eq(f.out[1], 20000);
    ck_assert_int_eq(f.out[0], 0);
    /* LLF: an unknown energy counts as unlimited, so A's laxity is the least (hugely negative)
     * and A goes first: acnportal's rule, which is why ampshare's own llf puts unknown cars last */
    two_cars(&f);
    run("acn_llf", &f, true);
    ck_assert_int_eq(f.out[0], 20000);
    ck_assert_int_eq(f.out[1], 0);
    /* RR: both climb 0.1 A at a time to 10 A each */
    two_cars(&f);
    run("acn_rr", &f, true);
    ck_assert_int_eq(f.out[0], 10000);
    ck_assert_int_eq(f.out[1], 10000);
    /* Uncontrolled: each its maximum, 64 A on 20 A: the host's clamp must cut it */
    two_cars(&f);
    run("acn_uncontrolled", &f, false);
    ck_assert_int_eq(f.out[0], 32000);
    ck_assert_int_eq(f.out[1], 32000);
}

END_TEST

/* A car with nothing left is not a session: it gets 0 and the other takes all it may. */
START_TEST(test_done_car_is_not_a_session)
{
    struct fleet f;
    two_cars(&f);
    f.e[1].energy_wanted_wh = 0;
    run("acn_edf", &f, true);
    ck_assert_int_eq(f.out[1], 0);
    ck_assert_int_eq(f.out[0], 20000);
}

END_TEST

static Suite *acn_suite(void)
{
    Suite *s = suite_create("policy_acn");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_each_algorithm_by_hand);
    tcase_add_test(tc, test_done_car_is_not_a_session);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(acn_suite)
