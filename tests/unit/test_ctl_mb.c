/* SPDX-License-Identifier: MIT */
/*
 * The Modbus adapter (controller/ctl_mb) on an in-memory line: a device's readings reach the
 * controller's input only when its poller has something new (mb_poller_seq), so a step between
 * two reads copies nothing; a new reading or status is copied on the step it arrives; and a
 * meter that falls silent still goes stale on time (the age is the engine's, on now_ms).
 */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "controller/ctl.h"
#include "controller/ctl_mb.h"
#include "controller/engine/policy_loader.h"
#include "controller/engine/site_ini.h"
#include "sim/sim_evse.h"
#include "sim/sim_meter.h"
#include "tests/support/check_main.h"
#include "tests/support/mb_test.h"

/* [evse bay] and [meter grid] are mb_test_mem's devices (mb_test.h): their units and models. */
static const char SITE[] = "[site]\nsupply_limit_a = 32\nphases = 3\ncontrol_interval_ms = 1000\n"
                           "[circuit bay]\nlimit_a = 20\n"
                           "[evse bay]\ncontrol = modbus\ncontrol_transport = serial:/dev/null\n"
                           "control_unit_id = 1\ncontrol_map = heidelberg-ec\ncircuit = bay\n"
                           "max_current_a = 16\nphases = 3\n"
                           "[meter grid]\ntransport = serial:/dev/null\nunit_id = 3\n"
                           "map = eastron-sdm630\nmeasures = grid\nstale_timeout_ms = 5000\n"
                           "[policy]\nname = equal_share\n";

struct rig {
    struct site *site;
    struct policy_handle ph;
    struct ctl *c;
    struct ctl_mb *mb;
    struct mb_test_mem sim;
};

static int lines(void *ctx, const char *transport, struct ctl_mb_line *line)
{
    struct rig *g = ctx;
    (void)transport;
    line->mem = &sim_mbsrv_mem_ops;
    line->mem_ctx = g->sim.srv;
    return 0;
}

static void rig_start(struct rig *g)
{
    char err[256] = "";
    memset(g, 0, sizeof(*g));
    ck_assert_msg(site_new_from_ini(SITE, "t.ini", &g->site, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(policy_open(g->site->policy, &g->ph, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(ctl_new(g->site, g->ph.policy, &g->c, err, sizeof(err)) == 0, "%s", err);
    mb_test_mem_new(&g->sim);
    ck_assert_msg(ctl_mb_new_sim(g->site, NULL, lines, g, &g->mb, err, sizeof(err)) == 0, "%s",
                  err);
    ck_assert_int_eq(ctl_mb_attach(g->mb, g->c), 0);
}

static void rig_stop(struct rig *g)
{
    ctl_mb_free(g->mb);
    mb_test_mem_free(&g->sim);
    ctl_free(g->c);
    policy_close(&g->ph);
    site_free(g->site);
}

static void step(struct rig *g, uint64_t now)
{
    ck_assert_int_ge(ctl_step(g->c, now), 0);
    ck_assert_int_eq(sim_evse_tick(g->sim.evse, now, NULL), 0);
}

/* Scribbles over what the adapter copied: a copy on the next step overwrites it. */
static void scribble(struct rig *g)
{
    struct site_state *st = ctl_state(g->c);
    st->meter[0].current_ma[0] = 777;
    st->evse[0].offer_ma = 777;
}

START_TEST(unchanged_devices_are_not_copied_again)
{
    struct rig g;
    rig_start(&g);
    const int32_t cur[3] = {10000, 11000, 12000};
    ck_assert_int_eq(sim_meter_set_currents(g.sim.meter, cur), 0);
    for (uint64_t t = 0; t <= 3000; t += 100) {
        step(&g, t);
    }
    struct site_state *st = ctl_state(g.c);
    ck_assert_uint_eq(st->meter[0].at_ms, 3000);
    ck_assert_int_eq(st->meter[0].current_ma[1], 11000);
    ck_assert(st->evse[0].connected); /* its state, read back (no meter: its offer is the
                                          stale current, 0) */
    int32_t offer = st->evse[0].offer_ma;

    /* between two reads (every 1000 ms) nothing moved: nothing is copied */
    scribble(&g);
    for (uint64_t t = 3100; t <= 3900; t += 100) {
        step(&g, t);
        ck_assert_int_eq(st->meter[0].current_ma[0], 777);
        ck_assert_int_eq(st->evse[0].offer_ma, 777);
    }
    /* the next reads arrive: both are copied on that step */
    const int32_t cur2[3] = {5000, 6000, 7000};
    ck_assert_int_eq(sim_meter_set_currents(g.sim.meter, cur2), 0);
    step(&g, 4000);
    ck_assert_uint_eq(st->meter[0].at_ms, 4000);
    ck_assert_int_eq(st->meter[0].current_ma[0], 5000);
    ck_assert_int_eq(st->evse[0].offer_ma, offer);
    rig_stop(&g);
}

END_TEST

START_TEST(a_silent_meter_still_goes_stale_on_time)
{
    struct rig g;
    rig_start(&g);
    const int32_t cur[3] = {10000, 10000, 10000};
    ck_assert_int_eq(sim_meter_set_currents(g.sim.meter, cur), 0);
    for (uint64_t t = 0; t <= 2000; t += 100) {
        step(&g, t);
    }
    ck_assert(!ctl_result(g.c)->circuit[0].meter_stale);
    mb_test_mem_meter_fault(&g.sim, SIM_MB_FAULT_SILENT, 0);
    /* last good reading at 2000, stale_timeout_ms 5000: fresh through 7000, stale after */
    for (uint64_t t = 2100; t <= 7000; t += 100) {
        step(&g, t);
        ck_assert_msg(!ctl_result(g.c)->circuit[0].meter_stale, "stale early at %llu",
                      (unsigned long long)t);
    }
    ck_assert_uint_eq(ctl_state(g.c)->meter[0].at_ms, 2000);
    step(&g, 7100);
    step(&g, 8000); /* the next tick */
    ck_assert(ctl_result(g.c)->circuit[0].meter_stale);
    /* it answers again: fresh on the tick after its next read */
    mb_test_mem_meter_fault(&g.sim, SIM_MB_FAULT_NONE, 0);
    for (uint64_t t = 8100; t <= 20000; t += 100) {
        step(&g, t);
    }
    ck_assert(!ctl_result(g.c)->circuit[0].meter_stale);
    rig_stop(&g);
}

END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ctl_mb");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, unchanged_devices_are_not_copied_again);
    tcase_add_test(tc, a_silent_meter_still_goes_stale_on_time);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(suite)
