/* SPDX-License-Identifier: MIT */
/*
 * The seed scenario (twc-gen2.md §7.3) end to end, real bytes over tp_mem in virtual time: the
 * simulated native master leaves the Tesla 34 A of 40 A (33.20 A drawn, §5.3) and keeps 6 A for
 * the idle i3; ampshare's master with the demo allocation gives the Tesla all 40 A (39.20 A).
 */
#include <errno.h>

#include <check.h>

#include "sim/sim_seed.h"
#include "tests/support/check_main.h"

START_TEST(test_native_master_leaves_the_tesla_34_a)
{
    struct sim_seed_cfg cfg;
    sim_seed_cfg_default(&cfg);
    static struct sim_seed_result res;
    ck_assert_int_eq(sim_seed_run(SIM_SEED_NATIVE, &cfg, &res), 0);
    ck_assert_uint_eq(res.tesla.state, 0x01);
    ck_assert_uint_eq(res.tesla.limit_ca, 3400);
    ck_assert_uint_eq(res.tesla.actual_ca, 3320);
    ck_assert_uint_eq(res.i3.state, 0x03);
    ck_assert_uint_eq(res.i3.limit_ca, 600);
    ck_assert_uint_eq(res.i3.actual_ca, 0);
    ck_assert_uint_eq(res.n, 13);
    ck_assert_uint_eq(res.sample[12].t_ms, 60000);
}

END_TEST

START_TEST(test_ampshare_master_gives_the_tesla_40_a)
{
    struct sim_seed_cfg cfg;
    sim_seed_cfg_default(&cfg);
    static struct sim_seed_result res;
    ck_assert_int_eq(sim_seed_run(SIM_SEED_AMPSHARE, &cfg, &res), 0);
    ck_assert_uint_eq(res.tesla.state, 0x01);
    ck_assert_uint_eq(res.tesla.limit_ca, 4000);
    ck_assert_uint_eq(res.tesla.actual_ca, 3920);
    ck_assert_uint_eq(res.i3.state, 0x03);
    ck_assert_uint_eq(res.i3.actual_ca, 0);
}

END_TEST

START_TEST(test_bad_config_is_refused)
{
    struct sim_seed_cfg cfg;
    sim_seed_cfg_default(&cfg);
    cfg.circuit_ma = 0;
    static struct sim_seed_result res;
    ck_assert_int_eq(sim_seed_run(SIM_SEED_NATIVE, &cfg, &res), -EINVAL);
}

END_TEST

static Suite *sim_seed_suite(void)
{
    Suite *s = suite_create("sim_seed");
    TCase *tc = tcase_create("seed");
    tcase_add_test(tc, test_native_master_leaves_the_tesla_34_a);
    tcase_add_test(tc, test_ampshare_master_gives_the_tesla_40_a);
    tcase_add_test(tc, test_bad_config_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(sim_seed_suite)
