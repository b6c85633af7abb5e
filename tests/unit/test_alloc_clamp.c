/* SPDX-License-Identifier: MIT */
/*
 * The safety clamp, table-driven: each case is a small tree, the policy's raw answer and the
 * targets worked out by hand (the arithmetic is in the comment of each row).
 */
#include <errno.h>
#include <string.h>

#include <check.h>

#include "controller/engine/alloc.h"
#include "tests/support/amp_fleet.h"
#include "tests/support/amp_test.h"
#include "tests/support/check_main.h"

#define L1  AMPSHARE_PHASE_L1
#define L2  AMPSHARE_PHASE_L2
#define L3  AMPSHARE_PHASE_L3
#define L3P AMPSHARE_PHASE_ALL
#define UNP AMPSHARE_EVSE_UNPLUGGED
#define IDL AMPSHARE_EVSE_IDLE
#define CHG AMPSHARE_EVSE_CHARGING

struct cc_circuit {
    int32_t parent;
    uint8_t phases;
    int32_t limit[3];
    int32_t oc;
};

struct cc_evse {
    int32_t circuit;
    uint8_t phases;
    uint8_t state;
    bool stale;
    int32_t min, max, step, draw; /* draw on each loaded phase */
    int32_t raw;
    int32_t want;
    uint8_t fix;
    int32_t fix_circuit;
};

struct clamp_case {
    const char *name;
    size_t nc;
    struct cc_circuit c[4];
    size_t ne;
    struct cc_evse e[4];
};

#define WC(circ, ph, st, draw, raw, want, fix, fc)                       \
    {                                                                    \
        circ, ph, st, false, 6000, 32000, 1000, draw, raw, want, fix, fc \
    }
/* a 48 A (North American) Wall Connector, for the 40 A circuit of twc-gen2.md §7.3 */
#define WC48(circ, ph, st, draw, raw, want, fix, fc)                     \
    {                                                                    \
        circ, ph, st, false, 6000, 48000, 1000, draw, raw, want, fix, fc \
    }

/* clang-format off */
static const struct clamp_case cases[] = {
    {"within limits: unchanged", 1, {{-1, L1, {32000, 0, 0}, 0}},
     1, {WC(0, L1, CHG, 15000, 16000, 16000, ALLOC_FIX_NONE, -1)}},
    {"above the EVSE max: max", 1, {{-1, L1, {80000, 0, 0}, 0}},
     1, {WC(0, L1, CHG, 15000, 40000, 32000, ALLOC_FIX_MAX, -1)}},
    {"fractional amps on a Wall Connector round down", 1, {{-1, L1, {32000, 0, 0}, 0}},
     1, {WC(0, L1, CHG, 15000, 16500, 16000, ALLOC_FIX_STEP, -1)}},
    {"below the minimum means 0", 1, {{-1, L1, {32000, 0, 0}, 0}},
     1, {WC(0, L1, CHG, 15000, 5000, 0, ALLOC_FIX_MIN, -1)}},
    {"negative means 0", 1, {{-1, L1, {32000, 0, 0}, 0}},
     1, {WC(0, L1, CHG, 15000, -7, 0, ALLOC_FIX_NEGATIVE, -1)}},
    {"no car means 0", 1, {{-1, L1, {32000, 0, 0}, 0}},
     1, {WC(0, L1, UNP, 0, 16000, 0, ALLOC_FIX_UNPLUGGED, -1)}},
    /* leaf 20 A on L1, 16+16 = 32 A: x 20/32 = 10 A each */
    {"leaf circuit over on its phase: scaled", 2,
     {{-1, L3P, {100000, 100000, 100000}, 0}, {0, L1, {20000, 0, 0}, 0}},
     2, {WC(1, L1, CHG, 15000, 16000, 10000, ALLOC_FIX_CIRCUIT, 1),
         WC(1, L1, CHG, 15000, 16000, 10000, ALLOC_FIX_CIRCUIT, 1)}},
    /* middle 30 A over a 40 A child (allowed): 3 x 12 = 36 A; x 30/36 = 10 A each */
    {"middle level over: scaled there", 3,
     {{-1, L3P, {100000, 100000, 100000}, 0}, {0, L3P, {30000, 30000, 30000}, 0},
      {1, L3P, {40000, 40000, 40000}, 0}},
     3, {WC(2, L1, CHG, 11000, 12000, 10000, ALLOC_FIX_CIRCUIT, 1),
         WC(2, L1, CHG, 11000, 12000, 10000, ALLOC_FIX_CIRCUIT, 1),
         WC(2, L1, CHG, 11000, 12000, 10000, ALLOC_FIX_CIRCUIT, 1)}},
    /* root L3 is 20 A: the 3-phase EVSE (16) + the L3 EVSE (16) = 32 on L3; x 20/32 = 10 A */
    {"root over on one phase only: both loads of that phase scaled", 1,
     {{-1, L3P, {32000, 32000, 20000}, 0}},
     2, {WC(0, L3P, CHG, 15000, 16000, 10000, ALLOC_FIX_CIRCUIT, 0),
         WC(0, L3, CHG, 15000, 16000, 10000, ALLOC_FIX_CIRCUIT, 0)}},
    /* a 1-phase charger loads only its phase: 20 on L1 and 20 on L2 of a 20 A supply */
    {"1-phase chargers on different phases do not add", 1,
     {{-1, L3P, {20000, 20000, 20000}, 0}},
     2, {WC(0, L1, CHG, 19000, 20000, 20000, ALLOC_FIX_NONE, -1),
         WC(0, L2, CHG, 19000, 20000, 20000, ALLOC_FIX_NONE, -1)}},
    /* the 3-phase one loads L2 too: 16 + 16 on L2 of 20 A; x 20/32 = 10 A */
    {"a 3-phase charger counts on every phase", 1,
     {{-1, L3P, {20000, 20000, 20000}, 0}},
     2, {WC(0, L3P, CHG, 15000, 16000, 10000, ALLOC_FIX_CIRCUIT, 0),
         WC(0, L2, CHG, 15000, 16000, 10000, ALLOC_FIX_CIRCUIT, 0)}},
    /* 10 A for 8 + 8: x 10/16 = 5 A, below 6 A: both 0 */
    {"scaled below the minimum: 0", 1, {{-1, L1, {10000, 0, 0}, 0}},
     2, {WC(0, L1, CHG, 7000, 8000, 0, ALLOC_FIX_CIRCUIT, 0),
         WC(0, L1, CHG, 7000, 8000, 0, ALLOC_FIX_CIRCUIT, 0)}},
    /* 40 A, overcommit 6: Tesla 39 + i3 idle 6 (draws 0.25): counted 39.25, offers 45 */
    {"idle car kept at its minimum within the overcommit", 1, {{-1, L1, {40000, 0, 0}, 6000}},
     2, {WC48(0, L1, CHG, 38000, 39000, 39000, ALLOC_FIX_NONE, -1),
         WC(0, L1, IDL, 250, 6000, 6000, ALLOC_FIX_NONE, -1)}},
    /* no overcommit: offers 46 > 40; x 40/46: 34.78 -> 34 A, 5.2 -> 0 */
    {"no overcommit: the idle car's offer counts in full", 1, {{-1, L1, {40000, 0, 0}, 0}},
     2, {WC48(0, L1, CHG, 38000, 40000, 34000, ALLOC_FIX_CIRCUIT, 0),
         WC(0, L1, IDL, 250, 6000, 0, ALLOC_FIX_CIRCUIT, 0)}},
    /* offers 46 = 40 + 6 fine; counted 40.25 > 40: the full counters x 39.75/40 -> 39 A */
    {"overcommit: counted current still bounded by the limit", 1,
     {{-1, L1, {40000, 0, 0}, 6000}},
     2, {WC48(0, L1, CHG, 38000, 40000, 39000, ALLOC_FIX_CIRCUIT, 0),
         WC(0, L1, IDL, 250, 6000, 6000, ALLOC_FIX_NONE, -1)}},
    /* two idle cars: offers 52 > 46; x 46/52: 35.38 -> 35 A; 5.3 -> 0 */
    {"overcommit is a bound on the sum of offers", 1, {{-1, L1, {40000, 0, 0}, 6000}},
     3, {WC48(0, L1, CHG, 38000, 40000, 35000, ALLOC_FIX_CIRCUIT, 0),
         WC(0, L1, IDL, 0, 6000, 0, ALLOC_FIX_CIRCUIT, 0),
         WC(0, L1, IDL, 0, 6000, 0, ALLOC_FIX_CIRCUIT, 0)}},
    /* the limit is used up by other loads: an idle car drawing 0.5 A still goes to 0 */
    {"idle draws alone above the limit: all 0", 1, {{-1, L1, {0, 0, 0}, 6000}},
     1, {WC(0, L1, IDL, 500, 6000, 0, ALLOC_FIX_CIRCUIT, 0)}},
    /* leaf 20: 16+16 -> 10+10; root 30: 10+10+16 = 36, x 30/36: 8.3 -> 8, 8, 13.3 -> 13 */
    {"two levels over: leaf first, then root (the last cut is named)", 2,
     {{-1, L1, {30000, 0, 0}, 0}, {0, L1, {20000, 0, 0}, 0}},
     3, {WC(1, L1, CHG, 15000, 16000, 8000, ALLOC_FIX_CIRCUIT, 0),
         WC(1, L1, CHG, 15000, 16000, 8000, ALLOC_FIX_CIRCUIT, 0),
         WC(0, L1, CHG, 15000, 16000, 13000, ALLOC_FIX_CIRCUIT, 0)}},
    /* 0.1 A steps, min 4 A: 10.05 -> 10.0; then 10 A for 8+8: x 10/16 = 5 A each */
    {"third-party step of 0.1 A", 1, {{-1, L1, {10000, 0, 0}, 0}},
     2, {{0, L1, CHG, false, 4000, 16000, 100, 7000, 8050, 5000, ALLOC_FIX_CIRCUIT, 0},
         {0, L1, CHG, false, 4000, 16000, 100, 7000, 8000, 5000, ALLOC_FIX_CIRCUIT, 0}}},
    /* an idle-but-stale EVSE counts in full: counted 46 > 40; x 40/46: 34, 0 */
    {"a stale EVSE is never discounted", 1, {{-1, L1, {40000, 0, 0}, 6000}},
     2, {WC48(0, L1, CHG, 38000, 40000, 34000, ALLOC_FIX_CIRCUIT, 0),
         {0, L1, IDL, true, 6000, 32000, 1000, 0, 6000, 0, ALLOC_FIX_CIRCUIT, 0}}},
};
/* clang-format on */

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

struct built {
    struct ampshare_policy_circuit c[4];
    struct ampshare_policy_evse e[4];
    struct ampshare_policy_input in;
    int32_t raw[4];
};

static void build(const struct clamp_case *k, struct built *b)
{
    memset(b, 0, sizeof(*b));
    for (size_t i = 0; i < k->nc; i++) {
        b->c[i].name = "c";
        b->c[i].parent = k->c[i].parent;
        b->c[i].phases = k->c[i].phases;
        memcpy(b->c[i].limit_ma, k->c[i].limit, sizeof(b->c[i].limit_ma));
        memcpy(b->c[i].rating_ma, k->c[i].limit, sizeof(b->c[i].rating_ma));
        b->c[i].overcommit_ma = k->c[i].oc;
    }
    for (size_t i = 0; i < k->ne; i++) {
        const struct cc_evse *x = &k->e[i];
        struct ampshare_policy_evse *e = &b->e[i];
        e->name = "e";
        e->circuit = x->circuit;
        e->phases = x->phases;
        e->n_phases = x->phases == L3P ? 3 : 1;
        e->state = x->state;
        e->flags = x->stale ? AMPSHARE_EVSE_F_STALE : 0;
        e->min_ma = x->min;
        e->max_ma = x->max;
        e->step_ma = x->step;
        for (int p = 0; p < 3; p++) {
            e->draw_ma[p] = ((x->phases >> p) & 1u) ? x->draw : 0;
        }
        b->raw[i] = x->raw;
    }
    b->in = (struct ampshare_policy_input){
        .struct_size = sizeof(b->in),
        .circuit_size = sizeof(b->c[0]),
        .evse_size = sizeof(b->e[0]),
        .circuit = b->c,
        .n_circuit = k->nc,
        .evse = b->e,
        .n_evse = k->ne,
    };
}

START_TEST(test_clamp_case_gives_hand_computed_targets)
{
    const struct clamp_case *k = &cases[_i];
    struct built b;
    build(k, &b);
    struct alloc_clamp_scratch s;
    ck_assert_int_eq(alloc_clamp_scratch_init(&s, 4, 4), 0);
    int32_t out[4];
    uint8_t fix[4];
    int32_t fixc[4];
    int n = alloc_clamp(&b.in, b.raw, out, fix, fixc, &s);
    int changed = 0;
    for (size_t i = 0; i < k->ne; i++) {
        ck_assert_msg(out[i] == k->e[i].want, "%s: evse %zu: got %d mA, want %d mA", k->name, i,
                      out[i], k->e[i].want);
        ck_assert_msg(fix[i] == k->e[i].fix, "%s: evse %zu: fix %s, want %s", k->name, i,
                      alloc_fix_name(fix[i]), alloc_fix_name(k->e[i].fix));
        ck_assert_msg(fixc[i] == k->e[i].fix_circuit, "%s: evse %zu: fix circuit %d, want %d",
                      k->name, i, fixc[i], k->e[i].fix_circuit);
        changed += k->e[i].want != k->e[i].raw;
    }
    ck_assert_int_eq(n, changed);
    char msg[160];
    ck_assert_msg(amp_check_limits(&b.in, out, msg, sizeof(msg)) == 0, "%s: %s", k->name, msg);
    alloc_clamp_scratch_fini(&s);
}

END_TEST

START_TEST(test_clamp_malformed_view_gives_all_zero_and_einval)
{
    struct built b;
    build(&cases[6], &b); /* two circuits, two EVSEs */
    struct alloc_clamp_scratch s;
    ck_assert_int_eq(alloc_clamp_scratch_init(&s, 4, 4), 0);
    int32_t out[4] = {1, 1, 1, 1};
    b.c[1].parent = 1; /* a parent must come before its child */
    ck_assert_int_eq(alloc_clamp(&b.in, b.raw, out, NULL, NULL, &s), -EINVAL);
    ck_assert_int_eq(out[0], 0);
    ck_assert_int_eq(out[1], 0);
    build(&cases[6], &b);
    b.e[1].circuit = 7;
    out[0] = out[1] = 1;
    ck_assert_int_eq(alloc_clamp(&b.in, b.raw, out, NULL, NULL, &s), -EINVAL);
    ck_assert_int_eq(out[0], 0);
    ck_assert_int_eq(out[1], 0);
    alloc_clamp_scratch_fini(&s);
    ck_assert_int_eq(alloc_clamp_scratch_init(&s, 1, 4), 0);
    build(&cases[6], &b);
    ck_assert_int_eq(alloc_clamp(&b.in, b.raw, out, NULL, NULL, &s), -EMSGSIZE);
    alloc_clamp_scratch_fini(&s);
}

END_TEST

/* Random fleets with random answers (any int32): the independent checker must find nothing. */
START_TEST(test_clamp_random_answers_never_break_a_limit)
{
    uint64_t rng = amp_test_seed() ^ 0xc1a3;
    struct amp_fleet f;
    struct alloc_clamp_scratch s;
    ck_assert_int_eq(alloc_clamp_scratch_init(&s, AMP_FLEET_CIRCUITS_MAX, AMP_FLEET_EVSE_MAX), 0);
    for (int round = 0; round < 2000; round++) {
        amp_fleet_random(&f, &rng, 24, 6, 1000000);
        int32_t raw[AMP_FLEET_EVSE_MAX], out[AMP_FLEET_EVSE_MAX];
        for (size_t i = 0; i < f.in.n_evse; i++) {
            uint64_t r = amp_test_rand(&rng);
            raw[i] = r % 4 == 0 ? (int32_t)(uint32_t)(r >> 32) : (int32_t)(r % 90000) - 5000;
        }
        ck_assert_int_ge(alloc_clamp(&f.in, raw, out, NULL, NULL, &s), 0);
        char msg[160];
        ck_assert_msg(amp_check_limits(&f.in, out, msg, sizeof(msg)) == 0, "round %d: %s", round,
                      msg);
        for (size_t i = 0; i < f.in.n_evse; i++) {
            ck_assert_msg(out[i] <= (raw[i] > 0 ? raw[i] : 0), "the clamp raised evse %zu", i);
        }
    }
    alloc_clamp_scratch_fini(&s);
}

END_TEST

static Suite *alloc_clamp_suite(void)
{
    Suite *s = suite_create("alloc_clamp");
    TCase *tc = tcase_create("clamp");
    tcase_add_loop_test(tc, test_clamp_case_gives_hand_computed_targets, 0, (int)N_CASES);
    tcase_add_test(tc, test_clamp_malformed_view_gives_all_zero_and_einval);
    tcase_add_test(tc, test_clamp_random_answers_never_break_a_limit);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(alloc_clamp_suite)
