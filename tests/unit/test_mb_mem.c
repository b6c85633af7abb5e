/* SPDX-License-Identifier: MIT */
/*
 * The in-memory Modbus line (mb_bus_new_mem over sim_mbsrv_new_mem) and the threadless poller
 * (mb_poller_step): a simulated meter's registers are decoded by the real map, a simulated
 * EVSE's registers are written by the real model, every timestamp is the stepped virtual time,
 * faults read as a real line's (silence, exceptions), and two identical runs agree exactly.
 */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_poller.h"
#include "sim/sim_evse.h"
#include "sim/sim_meter.h"
#include "tests/support/check_main.h"
#include "tests/support/mb_test.h"

struct rig {
    struct mb_test_mem sim;
    struct mb_poller *p;
    int dm, de;
};

static void rig_init(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    mb_test_mem_new(&r->sim);
    struct mb_poller_opts o = {
        .mem = &sim_mbsrv_mem_ops, .mem_ctx = r->sim.srv, .mem_label = "mem:t"};
    ck_assert_int_eq(mb_poller_new(&o, &r->p), 0);
    ck_assert(mb_poller_is_mem(r->p));
    struct mb_poller_dev_cfg dm = {.name = "grid",
                                   .unit = MB_TEST_MEM_METER_UNIT,
                                   .map = mb_map_find(MB_TEST_MEM_METER_MAP),
                                   .failsafe_ma = -1};
    struct mb_poller_dev_cfg de = {.name = "bay",
                                   .unit = MB_TEST_MEM_EVSE_UNIT,
                                   .evse = mb_evse_find(MB_TEST_MEM_EVSE_MODEL),
                                   .failsafe_ma = -1};
    r->dm = mb_poller_add(r->p, &dm);
    r->de = mb_poller_add(r->p, &de);
    ck_assert_int_ge(r->dm, 0);
    ck_assert_int_ge(r->de, 0);
    ck_assert_int_eq(mb_poller_start(r->p), 0);
}

static void rig_fini(struct rig *r)
{
    mb_poller_free(r->p);
    mb_test_mem_free(&r->sim);
}

/* One virtual step: the loop is alive, the poller runs, the EVSE follows its registers. */
static void step(struct rig *r, uint64_t now, struct sim_evse_view *v)
{
    mb_poller_alive(r->p, now);
    ck_assert_int_eq(mb_poller_step(r->p, now), 0);
    ck_assert_int_eq(sim_evse_tick(r->sim.evse, now, v), 0);
}

START_TEST(meter_read_on_virtual_time)
{
    struct rig r;
    rig_init(&r);
    const int32_t cur[3] = {10000, 20500, 31000};
    ck_assert_int_eq(sim_meter_set_currents(r.sim.meter, cur), 0);
    struct mb_reading rd;
    ck_assert_int_eq(mb_poller_latest(r.p, r.dm, &rd), -EAGAIN);
    step(&r, 5000, NULL);
    ck_assert_int_eq(mb_poller_latest(r.p, r.dm, &rd), 0);
    ck_assert(rd.valid);
    ck_assert_uint_eq(rd.at_ms, 5000);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(rd.current_ma[k], cur[k]);
    }
    /* the next read is due a poll interval later on the virtual clock, not the wall's */
    const int32_t cur2[3] = {1000, 1000, 1000};
    ck_assert_int_eq(sim_meter_set_currents(r.sim.meter, cur2), 0);
    step(&r, 5999, NULL);
    ck_assert_int_eq(mb_poller_latest(r.p, r.dm, &rd), 0);
    ck_assert_int_eq(rd.current_ma[0], 10000);
    step(&r, 6000, NULL);
    ck_assert_int_eq(mb_poller_latest(r.p, r.dm, &rd), 0);
    ck_assert_uint_eq(rd.at_ms, 6000);
    ck_assert_int_eq(rd.current_ma[0], 1000);
    rig_fini(&r);
}

END_TEST

START_TEST(evse_setpoint_through_the_model)
{
    struct rig r;
    rig_init(&r);
    struct sim_evse_view v;
    step(&r, 1000, &v); /* set-up: watchdog, fail-safe */
    ck_assert_int_eq(v.draw_ma, 0);
    ck_assert_int_eq(mb_poller_set_current(r.p, r.de, 12300), 0);
    step(&r, 1001, &v);
    ck_assert_int_eq(v.setpoint_ma, 12300);
    ck_assert_int_eq(v.draw_ma, 12300);
    ck_assert_int_eq(v.state, MB_EVSE_STATE_C);
    step(&r, 2001, &v); /* the state and offer read back */
    struct mb_evse_status st;
    ck_assert_int_eq(mb_poller_evse_status(r.p, r.de, &st), 0);
    ck_assert_int_eq(st.applied_ma, 12300);
    ck_assert_int_eq(st.offer_ma, 12300);
    ck_assert_int_eq(st.state, MB_EVSE_STATE_C);
    ck_assert_uint_eq(st.state_at_ms, 2001);
    /* a paused setpoint reaches the box: zero pauses on this model */
    ck_assert_int_eq(mb_poller_set_current(r.p, r.de, 0), 0);
    step(&r, 2002, &v);
    ck_assert_int_eq(v.draw_ma, 0);
    ck_assert_int_eq(v.state, MB_EVSE_STATE_B);
    rig_fini(&r);
}

END_TEST

START_TEST(faults_read_as_a_real_line)
{
    struct rig r;
    rig_init(&r);
    step(&r, 0, NULL);
    mb_test_mem_meter_fault(&r.sim, SIM_MB_FAULT_SILENT, 0);
    step(&r, 1000, NULL);
    struct mb_reading rd;
    ck_assert_int_eq(mb_poller_latest(r.p, r.dm, &rd), -ETIMEDOUT);
    ck_assert(!rd.valid);
    /* the EVSE on the same line still answers: the fault is the meter's own */
    struct mb_evse_status st;
    ck_assert_int_eq(mb_poller_evse_status(r.p, r.de, &st), 0);
    ck_assert_int_eq(st.last_rc, 0);
    mb_test_mem_meter_fault(&r.sim, SIM_MB_FAULT_EXCEPTION, 4);
    step(&r, 2000, NULL);
    ck_assert_int_eq(mb_poller_latest(r.p, r.dm, &rd), -EMBXSFAIL);
    mb_test_mem_meter_fault(&r.sim, SIM_MB_FAULT_NONE, 0);
    step(&r, 3000, NULL);
    ck_assert_int_eq(mb_poller_latest(r.p, r.dm, &rd), 0);
    ck_assert(rd.valid);
    /* a stopped line is silence for every unit, until it starts again */
    sim_mbsrv_stop(r.sim.srv);
    step(&r, 4000, NULL);
    ck_assert_int_eq(mb_poller_latest(r.p, r.dm, &rd), -ETIMEDOUT);
    ck_assert_int_eq(sim_mbsrv_start(r.sim.srv), 0);
    step(&r, 5000, NULL);
    ck_assert_int_eq(mb_poller_latest(r.p, r.dm, &rd), 0);
    ck_assert_int_eq(sim_mbsrv_set_unit_fault(r.sim.srv, 9, SIM_MB_FAULT_SILENT, 0), -ENOENT);
    rig_fini(&r);
}

END_TEST

/* The change counter moves with what the controller copies (a read, a setpoint queued, its
 * write's result) and stands still between reads; a step with nothing due sends nothing. */
START_TEST(seq_moves_only_on_change)
{
    struct rig r;
    rig_init(&r);
    ck_assert_uint_eq(mb_poller_seq(r.p, 99), 0);
    step(&r, 1000, NULL); /* first read, EVSE set-up and read-back */
    uint32_t m = mb_poller_seq(r.p, r.dm), e = mb_poller_seq(r.p, r.de);
    ck_assert_uint_gt(m, 0);
    ck_assert_uint_gt(e, 0);
    (void)sim_mbsrv_take_writes(r.sim.srv, (struct sim_mb_write[SIM_MBSRV_WRITE_LOG]){0},
                                SIM_MBSRV_WRITE_LOG);
    for (uint64_t t = 1001; t < 2000; t += 37) {
        step(&r, t, NULL);
        ck_assert_uint_eq(mb_poller_seq(r.p, r.dm), m);
        ck_assert_uint_eq(mb_poller_seq(r.p, r.de), e);
    }
    ck_assert_uint_eq(sim_mbsrv_take_writes(r.sim.srv,
                                            (struct sim_mb_write[SIM_MBSRV_WRITE_LOG]){0},
                                            SIM_MBSRV_WRITE_LOG),
                      0);
    ck_assert_int_eq(mb_poller_set_current(r.p, r.de, 10000), 0); /* queued: pending */
    uint32_t queued = mb_poller_seq(r.p, r.de);
    ck_assert_uint_ne(queued, e);
    step(&r, 1999, NULL); /* written at once although no read is due */
    ck_assert_uint_ne(mb_poller_seq(r.p, r.de), queued);
    ck_assert_uint_eq(mb_poller_seq(r.p, r.dm), m);
    struct mb_evse_status st;
    ck_assert_int_eq(mb_poller_evse_status(r.p, r.de, &st), 0);
    ck_assert_int_eq(st.applied_ma, 10000);
    step(&r, 2000, NULL); /* the next reads */
    ck_assert_uint_ne(mb_poller_seq(r.p, r.dm), m);
    /* a failed read moves it too: the failure is news */
    m = mb_poller_seq(r.p, r.dm);
    mb_test_mem_meter_fault(&r.sim, SIM_MB_FAULT_SILENT, 0);
    step(&r, 3000, NULL);
    ck_assert_uint_ne(mb_poller_seq(r.p, r.dm), m);
    rig_fini(&r);
}

END_TEST

/* The same steps give the same writes, in the same order. */
START_TEST(deterministic)
{
    struct sim_mb_write w[2][SIM_MBSRV_WRITE_LOG];
    size_t n[2];
    for (int run = 0; run < 2; run++) {
        struct rig r;
        rig_init(&r);
        for (uint64_t t = 0; t < 20000; t += 250) {
            (void)mb_poller_set_current(r.p, r.de, t < 10000 ? 16000 : 6000);
            step(&r, t, NULL);
        }
        n[run] = sim_mbsrv_take_writes(r.sim.srv, w[run], SIM_MBSRV_WRITE_LOG);
        rig_fini(&r);
    }
    ck_assert_uint_eq(n[0], n[1]);
    ck_assert_uint_ge(n[0], 3);
    ck_assert_mem_eq(w[0], w[1],
                     (n[0] < SIM_MBSRV_WRITE_LOG ? n[0] : SIM_MBSRV_WRITE_LOG) * sizeof(w[0][0]));
}

END_TEST

/* A setpoint queued last (a safe limit at shutdown) is written when the poller is freed, as the
 * threaded poller's last words are. */
START_TEST(free_writes_queued_setpoints)
{
    struct rig r;
    rig_init(&r);
    step(&r, 0, NULL); /* set-up */
    (void)sim_mbsrv_take_writes(r.sim.srv, (struct sim_mb_write[SIM_MBSRV_WRITE_LOG]){0},
                                SIM_MBSRV_WRITE_LOG);
    ck_assert_int_eq(mb_poller_set_current(r.p, r.de, 6000), 0);
    mb_poller_free(r.p);
    r.p = NULL;
    struct sim_mb_write w[SIM_MBSRV_WRITE_LOG];
    size_t n = sim_mbsrv_take_writes(r.sim.srv, w, SIM_MBSRV_WRITE_LOG);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(w[0].addr, 261);
    ck_assert_uint_eq(w[0].value, 60); /* 0.1 A steps */
    rig_fini(&r);
}

END_TEST

START_TEST(threaded_poller_cannot_be_stepped)
{
    struct mb_poller_opts o = {0};
    char err[100];
    ck_assert_int_eq(tp_addr_parse("tcp://127.0.0.1:1", &o.addr, err, sizeof(err)), 0);
    struct mb_poller *p;
    ck_assert_int_eq(mb_poller_new(&o, &p), 0);
    ck_assert(!mb_poller_is_mem(p));
    ck_assert_int_eq(mb_poller_step(p, 0), -EINVAL);
    mb_poller_free(p);
}

END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mb_mem");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, meter_read_on_virtual_time);
    tcase_add_test(tc, evse_setpoint_through_the_model);
    tcase_add_test(tc, faults_read_as_a_real_line);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, seq_moves_only_on_change);
    tcase_add_test(tc, free_writes_queued_setpoints);
    tcase_add_test(tc, threaded_poller_cannot_be_stepped);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(suite)
