/* SPDX-License-Identifier: MIT */
/*
 * ampshare's deadline-aware policies, edf and llf (policies/deadline.h), on small fleets worked
 * out by hand: a known car gets the current that meets its departure before the rest is shared,
 * unknown cars share fairly, the shortage order is the deadline (edf) or the laxity (llf), and
 * every answer keeps the circuit limits (checked by the tests' own checker, not the kit).
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
    struct ampshare_policy_evse e[4];
    struct ampshare_policy_input in;
    int32_t out[4];
    uint8_t why[4];
};

static void fleet_init(struct fleet *f, int32_t supply_ma)
{
    memset(f, 0, sizeof(*f));
    f->c[0] = (struct ampshare_policy_circuit){
        .name = "supply",
        .parent = -1,
        .phases = AMPSHARE_PHASE_L1,
        .rating_ma = {supply_ma, 0, 0},
        .limit_ma = {supply_ma, 0, 0},
    };
    f->in = (struct ampshare_policy_input){
        .struct_size = sizeof(f->in),
        .circuit_size = sizeof(f->c[0]),
        .evse_size = sizeof(f->e[0]),
        .now_ms = NOW_MS,
        .circuit = f->c,
        .n_circuit = 1,
        .evse = f->e,
    };
}

/* A charging car on a 32 A single-phase EVSE; departure_h 0 = unknown, wh -1 = unknown. */
static void car(struct fleet *f, uint64_t plugged_ms, double departure_h, int32_t wh)
{
    struct ampshare_policy_evse *e = &f->e[f->in.n_evse++];
    *e = (struct ampshare_policy_evse){
        .name = "e",
        .phases = AMPSHARE_PHASE_L1,
        .n_phases = 1,
        .state = AMPSHARE_EVSE_CHARGING,
        .min_ma = 6000,
        .max_ma = 32000,
        .step_ma = 1000,
        .offered_ma = 6000,
        .draw_ma = {6000, 0, 0},
        .connected_since_ms = plugged_ms,
        .state_since_ms = plugged_ms,
        .departure_ms = departure_h > 0 ? NOW_MS + (uint64_t)(departure_h * HOUR_MS) : 0,
        .energy_wanted_wh = wh,
    };
}

static void run(const char *name, struct fleet *f)
{
    const struct ampshare_policy *p = policy_builtin_find(name);
    ck_assert_ptr_nonnull(p);
    struct ampshare_policy_host host = {
        .struct_size = sizeof(host), .max_evse = 4, .max_circuit = 1};
    void *st;
    ck_assert_int_eq(p->init(&host, NULL, 0, &st), 0);
    struct ampshare_policy_output out = {
        .struct_size = sizeof(out), .target_ma = f->out, .why = f->why};
    ck_assert_int_eq(p->allocate(st, &f->in, &out), 0);
    p->destroy(st);
    char msg[160];
    ck_assert_msg(amp_check_limits(&f->in, f->out, msg, sizeof(msg)) == 0, "%s: %s", name, msg);
}

/* 32 A: A must take 4.6 kWh in 1 h = 4600 W / 230 V = 20 A; B and C are unknown. A is raised to
 * its 20 A first; B and C keep their 6 A minimums (20 + 6 + 6 = 32). */
START_TEST(test_known_car_gets_its_deadline_rate_first)
{
    const char *names[2] = {"edf", "llf"};
    for (int i = 0; i < 2; i++) {
        struct fleet f;
        fleet_init(&f, 32000);
        car(&f, 1000, 0, -1);
        car(&f, 2000, 0, -1);
        car(&f, 3000, 1.0, 4600);
        run(names[i], &f);
        ck_assert_int_eq(f.out[2], 20000);
        ck_assert_int_eq(f.out[0], 6000);
        ck_assert_int_eq(f.out[1], 6000);
        ck_assert_uint_eq(f.why[2], AMPSHARE_WHY_DEMAND);
    }
}

END_TEST

/* 50 A: after A's 20 A and the two minimums (32 A), 18 A are shared equally: 6 A more each, so
 * A 26 A and the unknown cars 12 A each (fair where unknown, never a leftover). */
START_TEST(test_rest_shared_equally)
{
    struct fleet f;
    fleet_init(&f, 50000);
    car(&f, 1000, 0, -1);
    car(&f, 2000, 0, -1);
    car(&f, 3000, 1.0, 4600);
    run("edf", &f);
    ck_assert_int_eq(f.out[0], 12000);
    ck_assert_int_eq(f.out[1], 12000);
    ck_assert_int_eq(f.out[2], 26000);
}

END_TEST

/* Room for one minimum only (6 A). X: 10 kWh by 2 h: laxity 2 h - 10000 / (32 x 230) h = 0.64 h.
 * Y: 1 kWh by 1 h: laxity 1 h - 0.14 h = 0.86 h. EDF serves Y (earlier), LLF serves X (less
 * laxity); the unknown car Z comes last under both. */
START_TEST(test_shortage_order_deadline_or_laxity)
{
    struct fleet f;
    fleet_init(&f, 6000);
    car(&f, 1000, 0, -1);      /* Z */
    car(&f, 2000, 2.0, 10000); /* X */
    car(&f, 3000, 1.0, 1000);  /* Y */
    run("edf", &f);
    ck_assert_int_eq(f.out[2], 6000);
    ck_assert_int_eq(f.out[1], 0);
    ck_assert_int_eq(f.out[0], 0);
    ck_assert_uint_eq(f.why[0], AMPSHARE_WHY_SHED);
    run("llf", &f);
    ck_assert_int_eq(f.out[1], 6000);
    ck_assert_int_eq(f.out[2], 0);
    ck_assert_int_eq(f.out[0], 0);
}

END_TEST

/* A known car with nothing left keeps its minimum; the other takes the rest. */
START_TEST(test_done_car_not_raised)
{
    struct fleet f;
    fleet_init(&f, 40000);
    car(&f, 1000, 2.0, 0);
    car(&f, 2000, 0, -1);
    run("edf", &f);
    ck_assert_int_eq(f.out[0], 6000);
    ck_assert_int_eq(f.out[1], 32000);
}

END_TEST

static Suite *deadline_suite(void)
{
    Suite *s = suite_create("policy_deadline");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_known_car_gets_its_deadline_rate_first);
    tcase_add_test(tc, test_rest_shared_equally);
    tcase_add_test(tc, test_shortage_order_deadline_or_laxity);
    tcase_add_test(tc, test_done_car_not_raised);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(deadline_suite)
