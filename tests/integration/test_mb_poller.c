/* SPDX-License-Identifier: MIT */
/*
 * The poller thread against simulated lines: readings reach the hand-off struct with the injected
 * clock's timestamps; failures publish invalid readings and recover; a dead unit on a shared bus
 * does not stop the others; setpoints, enables, watchdog set-up and keep-alives reach simulated
 * EVSE registers (Heidelberg on a pty, Phoenix EV-ETH and a generic EVSE over TCP); queued
 * setpoints are written before the poller exits.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <modbus.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_poller.h"
#include "sim/sim_meter.h"
#include "tests/support/check_main.h"
#include "tests/support/mb_test.h"

#define WAIT_MS 10000

/* The injected clock: a fixed, recognisable time the test moves by hand. */
static uint64_t fake_now_ms(void *ctx)
{
    return __atomic_load_n((uint64_t *)ctx, __ATOMIC_SEQ_CST);
}

static void fake_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    (void)ms;
}

static struct mb_poller *poller_for(struct sim_mbsrv *srv, const struct mb_clock *clock)
{
    /* no liveness gate here: these tests drive EVSEs by hand (the gate has its own test) */
    struct mb_poller_opts o = {.timeout_ms = 250,
                               .backoff_ms = 500,
                               .clock = clock,
                               .liveness_ms = MB_POLLER_LIVENESS_OFF};
    char err[200];
    ck_assert_int_eq(tp_addr_parse(sim_mbsrv_client_addr(srv), &o.addr, err, sizeof(err)), 0);
    struct mb_poller *p;
    ck_assert_int_eq(mb_poller_new(&o, &p), 0);
    return p;
}

struct want_reading {
    struct mb_poller *p;
    int dev;
    int32_t current_l1_ma; /* wanted current, or INT32_MIN for "an invalid reading" */
    uint64_t at_ms;        /* wanted timestamp, 0 = any */
    struct mb_reading last;
};

static bool reading_is(void *ctx)
{
    struct want_reading *w = ctx;
    int rc = mb_poller_latest(w->p, w->dev, &w->last);
    if (w->current_l1_ma == INT32_MIN) {
        return rc < 0 && !w->last.valid && w->last.have == 0 && w->last.at_ms != 0;
    }
    return rc == 0 && w->last.valid && w->last.current_ma[0] == w->current_l1_ma &&
           (w->at_ms == 0 || w->last.at_ms == w->at_ms);
}

START_TEST(test_readings_reach_the_hand_off_with_injected_timestamps_and_recover)
{
    struct sim_mbsrv *srv = mb_test_line_new((enum mb_test_line)_i);
    struct sim_meter *m;
    const struct mb_map *map = mb_map_find("sdm630");
    ck_assert_int_eq(sim_meter_new(srv, 1, map, &m), 0);
    const int32_t a[3] = {7000, 8000, 9000};
    ck_assert_int_eq(sim_meter_set_currents(m, a), 0);

    uint64_t fake = 424242;
    struct mb_clock clock = {.now_ms = fake_now_ms, .sleep_ms = fake_sleep, .ctx = &fake};
    struct mb_poller *p = poller_for(srv, &clock);
    struct mb_poller_dev_cfg cfg = {.name = "grid", .unit = 1, .map = map, .interval_ms = 20};
    int dev = mb_poller_add(p, &cfg);
    ck_assert_int_eq(dev, 0);

    struct mb_reading r;
    ck_assert_int_eq(mb_poller_latest(p, dev, &r), -EAGAIN); /* before the first read */
    ck_assert(!r.valid);
    ck_assert_uint_eq(r.at_ms, 0);

    ck_assert_int_eq(mb_poller_start(p), 0);
    struct want_reading w = {.p = p, .dev = dev, .current_l1_ma = 7000, .at_ms = 424242};
    ck_assert(mb_test_wait_for(reading_is, &w, WAIT_MS));
    ck_assert_int_eq(w.last.current_ma[2], 9000);

    /* New values and a new time both show up. */
    __atomic_store_n(&fake, 500000, __ATOMIC_SEQ_CST);
    const int32_t b[3] = {12000, 8000, 9000};
    ck_assert_int_eq(sim_meter_set_currents(m, b), 0);
    w.current_l1_ma = 12000;
    w.at_ms = 500000;
    ck_assert(mb_test_wait_for(reading_is, &w, WAIT_MS));

    /* The meter disappears: the hand-off holds an invalid reading with no values. */
    sim_mbsrv_stop(srv);
    w.current_l1_ma = INT32_MIN;
    ck_assert(mb_test_wait_for(reading_is, &w, WAIT_MS));
    ck_assert_int_eq(w.last.current_ma[0], 0);

    /* ... and comes back with other values. */
    const int32_t c[3] = {3000, 8000, 9000};
    ck_assert_int_eq(sim_meter_set_currents(m, c), 0);
    ck_assert_int_eq(sim_mbsrv_start(srv), 0);
    w.current_l1_ma = 3000;
    w.at_ms = 0;
    ck_assert(mb_test_wait_for(reading_is, &w, WAIT_MS));

    mb_poller_free(p);
    sim_meter_free(m);
    mb_test_line_free(srv);
}

END_TEST

START_TEST(test_dead_unit_on_a_shared_bus_does_not_stop_the_others)
{
    struct sim_mbsrv *srv = mb_test_line_new((enum mb_test_line)_i);
    struct sim_meter *m;
    const struct mb_map *map = mb_map_find("sdm630");
    ck_assert_int_eq(sim_meter_new(srv, 1, map, &m), 0);
    struct mb_poller *p = poller_for(srv, NULL);
    struct mb_poller_dev_cfg live = {.name = "live", .unit = 1, .map = map, .interval_ms = 20};
    struct mb_poller_dev_cfg dead = {.name = "dead", .unit = 9, .map = map, .interval_ms = 20};
    int d_dead = mb_poller_add(p, &dead);
    int d_live = mb_poller_add(p, &live);
    ck_assert_int_ge(d_dead, 0);
    ck_assert_int_ge(d_live, 0);
    ck_assert_int_eq(mb_poller_start(p), 0);

    struct want_reading wd = {.p = p, .dev = d_dead, .current_l1_ma = INT32_MIN, .at_ms = 0};
    ck_assert(mb_test_wait_for(reading_is, &wd, WAIT_MS));
    /* The live meter keeps following its currents while the dead one keeps failing. */
    for (int32_t ma = 1000; ma <= 3000; ma += 1000) {
        const int32_t cur[3] = {ma, 0, 0};
        ck_assert_int_eq(sim_meter_set_currents(m, cur), 0);
        struct want_reading wl = {.p = p, .dev = d_live, .current_l1_ma = ma, .at_ms = 0};
        ck_assert(mb_test_wait_for(reading_is, &wl, WAIT_MS));
    }
    struct mb_reading r;
    ck_assert_int_lt(mb_poller_latest(p, d_dead, &r), 0);
    ck_assert(!r.valid);
    mb_poller_free(p);
    sim_meter_free(m);
    mb_test_line_free(srv);
}

END_TEST

/* ---- EVSEs ---- */

struct reg_want {
    struct sim_mbsrv *srv;
    uint8_t unit;
    int table; /* 0 holding, 1 coil */
    uint16_t addr;
    uint16_t value;
};

static bool reg_is(void *ctx)
{
    struct reg_want *w = ctx;
    sim_mbsrv_lock(w->srv);
    modbus_mapping_t *mm = sim_mbsrv_mapping(w->srv, w->unit);
    uint16_t v = w->table == 0 ? mm->tab_registers[w->addr - mm->start_registers]
                               : mm->tab_bits[w->addr - mm->start_bits];
    sim_mbsrv_unlock(w->srv);
    return v == w->value;
}

static void set_input(struct sim_mbsrv *srv, uint8_t unit, uint16_t addr, uint16_t v)
{
    sim_mbsrv_lock(srv);
    modbus_mapping_t *mm = sim_mbsrv_mapping(srv, unit);
    mm->tab_input_registers[addr - mm->start_input_registers] = v;
    sim_mbsrv_unlock(srv);
}

struct status_want {
    struct mb_poller *p;
    int dev;
    int32_t applied_ma;
    enum mb_evse_state state;
};

static bool status_is(void *ctx)
{
    struct status_want *w = ctx;
    struct mb_evse_status st;
    mb_poller_evse_status(w->p, w->dev, &st);
    return st.applied_ma == w->applied_ma && !st.pending &&
           (w->state == MB_EVSE_STATE_UNKNOWN || st.state == w->state);
}

START_TEST(test_heidelberg_setup_setpoints_state_and_meter_on_rtu)
{
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_RTU);
    /* Heidelberg registers (modbus-maps.md §3.8): holding 257-262, input 5-18. */
    ck_assert_int_eq(
        sim_mbsrv_add_unit(srv, 1, modbus_mapping_new_start_address(0, 0, 0, 0, 257, 6, 5, 14)), 0);
    set_input(srv, 1, 5, 4);   /* B: vehicle connected */
    set_input(srv, 1, 6, 160); /* 16.0 A on L1 */
    set_input(srv, 1, 10, 230);
    /* a sentinel in the fail-safe register: the zero-filled table would pass unwritten */
    sim_mbsrv_lock(srv);
    sim_mbsrv_mapping(srv, 1)->tab_registers[262 - 257] = 0xBEEF;
    sim_mbsrv_unlock(srv);

    struct mb_poller *p = poller_for(srv, NULL);
    struct mb_poller_dev_cfg cfg = {
        .name = "bay1",
        .unit = 1,
        .map = mb_map_find("heidelberg-ec"),
        .evse = mb_evse_find("heidelberg-ec"),
        .interval_ms = 20,
        .failsafe_ma = -1,
    };
    int dev = mb_poller_add(p, &cfg);
    ck_assert_int_ge(dev, 0);
    ck_assert_int_eq(mb_poller_set_current(p, dev, 5000), -ERANGE);
    ck_assert_int_eq(mb_poller_set_current(p, dev, 15990), 0);
    ck_assert_int_eq(mb_poller_start(p), 0);

    struct reg_want standby = {srv, 1, 0, 258, 4}, watchdog = {srv, 1, 0, 257, 15000},
                    failsafe = {srv, 1, 0, 262, 0}, amps = {srv, 1, 0, 261, 159};
    ck_assert(mb_test_wait_for(reg_is, &amps, WAIT_MS));
    ck_assert(reg_is(&standby));
    ck_assert(reg_is(&watchdog));
    ck_assert(reg_is(&failsafe));
    struct status_want sw = {p, dev, 15990, MB_EVSE_STATE_B};
    ck_assert(mb_test_wait_for(status_is, &sw, WAIT_MS));

    struct want_reading wr = {.p = p, .dev = dev, .current_l1_ma = 16000, .at_ms = 0};
    ck_assert(mb_test_wait_for(reading_is, &wr, WAIT_MS));

    set_input(srv, 1, 5, 7); /* C2: charging */
    sw.state = MB_EVSE_STATE_C;
    ck_assert(mb_test_wait_for(status_is, &sw, WAIT_MS));

    ck_assert_int_eq(mb_poller_set_current(p, dev, 0), 0); /* pause: zero on this box */
    amps.value = 0;
    ck_assert(mb_test_wait_for(reg_is, &amps, WAIT_MS));

    /* A setpoint queued just before the poller is freed is still written. */
    ck_assert_int_eq(mb_poller_set_current(p, dev, 10000), 0);
    mb_poller_free(p);
    amps.value = 100;
    ck_assert(reg_is(&amps));
    mb_test_line_free(srv);
}

END_TEST

/* A Phoenix EV-ETH (unit 255, state B) on a new TCP line, added to a new poller (not started).
 * Registers: coil 400, holding 528, input 100 (modbus-maps.md §3.8). Returns the device index. */
static int phoenix_ev_eth_on_tcp(struct sim_mbsrv **srv, struct mb_poller **p)
{
    *srv = mb_test_line_new(MB_TEST_TCP);
    ck_assert_int_eq(sim_mbsrv_add_unit(
                         *srv, 255, modbus_mapping_new_start_address(400, 1, 0, 0, 528, 1, 100, 1)),
                     0);
    set_input(*srv, 255, 100, 'B');
    *p = poller_for(*srv, NULL);
    struct mb_poller_dev_cfg cfg = {
        .name = "wallbox",
        .unit = 255,
        .evse = mb_evse_find("phoenix-ev-eth"),
        .interval_ms = 20,
        .failsafe_ma = -1,
    };
    int dev = mb_poller_add(*p, &cfg);
    ck_assert_int_ge(dev, 0);
    return dev;
}

START_TEST(test_phoenix_ev_eth_enables_by_coil_over_tcp)
{
    struct sim_mbsrv *srv;
    struct mb_poller *p;
    int dev = phoenix_ev_eth_on_tcp(&srv, &p);
    struct mb_reading r;
    ck_assert_int_eq(mb_poller_latest(p, dev, &r), -EINVAL); /* not metered */
    ck_assert_int_eq(mb_poller_start(p), 0);

    ck_assert_int_eq(mb_poller_set_current(p, dev, 16500), 0);
    struct reg_want amps = {srv, 255, 0, 528, 16}, coil = {srv, 255, 1, 400, 1};
    struct status_want sw = {p, dev, 16500, MB_EVSE_STATE_B};
    ck_assert(mb_test_wait_for(status_is, &sw, WAIT_MS));
    ck_assert(reg_is(&amps));
    ck_assert(reg_is(&coil));

    ck_assert_int_eq(mb_poller_set_current(p, dev, 0), 0); /* pause: coil off, amps kept */
    coil.value = 0;
    ck_assert(mb_test_wait_for(reg_is, &coil, WAIT_MS));
    ck_assert(reg_is(&amps));
    sw.applied_ma = 0;
    ck_assert(mb_test_wait_for(status_is, &sw, WAIT_MS));

    ck_assert_int_eq(mb_poller_set_current(p, dev, 6000), 0); /* resume: amps, then coil on */
    amps.value = 6;
    coil.value = 1;
    ck_assert(mb_test_wait_for(reg_is, &coil, WAIT_MS));
    ck_assert(reg_is(&amps));
    mb_poller_free(p);
    mb_test_line_free(srv);
}

END_TEST

static bool poller_stopped(void *ctx)
{
    return mb_poller_stopped(ctx);
}

/* A reload retires the old pollers without waiting for them: mb_poller_stop returns at once,
 * the thread still writes the setpoint queued before the stop, and mb_poller_stopped says when
 * it is done (then mb_poller_free does not wait). */
START_TEST(test_a_stopped_poller_writes_its_queued_setpoint_in_the_background)
{
    struct sim_mbsrv *srv;
    struct mb_poller *p;
    int dev = phoenix_ev_eth_on_tcp(&srv, &p);
    ck_assert(mb_poller_stopped(p)); /* never started */
    ck_assert_int_eq(mb_poller_start(p), 0);
    ck_assert_int_eq(mb_poller_set_current(p, dev, 13000), 0);
    mb_poller_stop(p);
    mb_poller_stop(p); /* idempotent */
    ck_assert(mb_test_wait_for(poller_stopped, p, WAIT_MS));
    struct reg_want amps = {srv, 255, 0, 528, 13}, coil = {srv, 255, 1, 400, 1};
    ck_assert(reg_is(&amps));
    ck_assert(reg_is(&coil));
    struct mb_evse_status st;
    ck_assert_int_eq(mb_poller_evse_status(p, dev, &st), 0);
    ck_assert_int_eq(st.applied_ma, 13000);
    mb_poller_free(p);
    mb_test_line_free(srv);
}

END_TEST

struct offer_want {
    struct mb_poller *p;
    int dev;
    int32_t offer_ma;
};

static bool offer_is(void *ctx)
{
    struct offer_want *w = ctx;
    struct mb_evse_status st;
    mb_poller_evse_status(w->p, w->dev, &st);
    return st.offer_ma == w->offer_ma;
}

/* The offer in force is read back with the state: a box that lost its setpoint (a reset, a
 * write someone else made) shows what it really has, whatever was acknowledged. */
START_TEST(test_evse_offer_is_read_back_not_assumed)
{
    struct sim_mbsrv *srv;
    struct mb_poller *p;
    int dev = phoenix_ev_eth_on_tcp(&srv, &p);
    ck_assert_int_eq(mb_poller_start(p), 0);
    ck_assert_int_eq(mb_poller_set_current(p, dev, 16000), 0);
    struct offer_want ow = {p, dev, 16000};
    ck_assert(mb_test_wait_for(offer_is, &ow, WAIT_MS));
    /* the box falls back to 10 A on its own */
    sim_mbsrv_lock(srv);
    modbus_mapping_t *mm = sim_mbsrv_mapping(srv, 255);
    mm->tab_registers[528 - mm->start_registers] = 10;
    sim_mbsrv_unlock(srv);
    ow.offer_ma = 10000;
    ck_assert(mb_test_wait_for(offer_is, &ow, WAIT_MS));
    struct mb_evse_status st;
    mb_poller_evse_status(p, dev, &st);
    ck_assert_int_eq(st.applied_ma, 16000); /* what was acknowledged is still known */
    /* disabled by its coil: it offers nothing, whatever its current register says */
    sim_mbsrv_lock(srv);
    mm->tab_bits[400 - mm->start_bits] = 0;
    sim_mbsrv_unlock(srv);
    ow.offer_ma = 0;
    ck_assert(mb_test_wait_for(offer_is, &ow, WAIT_MS));
    mb_poller_free(p);
    mb_test_line_free(srv);
}

END_TEST

/* A generic EVSE at unit 3 of a new TCP line whose watchdog wants 4660 written to register 1010
 * every 30 ms; its setpoint goes to register 1000 in 0.1 A. */
static struct sim_mbsrv *keepalive_evse_on_tcp(struct mb_evse_custom *c)
{
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_TCP);
    ck_assert_int_eq(
        sim_mbsrv_add_unit(srv, 3, modbus_mapping_new_start_address(0, 0, 0, 0, 1000, 20, 0, 0)),
        0);
    char err[200] = "";
    mb_evse_generic_init(c, "generic");
    static const char *const kv[][2] = {
        {"current_reg", "1000"}, {"current_unit", "0.1A"},  {"zero_pauses", "yes"},
        {"keepalive", "write"},  {"keepalive_reg", "1010"}, {"keepalive_value", "4660"},
        {"keepalive_ms", "30"},
    };
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
        ck_assert_int_eq(mb_evse_generic_set(c, kv[i][0], kv[i][1], err, sizeof(err)), 0);
    }
    ck_assert_msg(mb_evse_generic_finish(c, err, sizeof(err)) == 0, "%s", err);
    return srv;
}

START_TEST(test_generic_evse_keepalive_write_reaches_the_register)
{
    struct mb_evse_custom c;
    struct sim_mbsrv *srv = keepalive_evse_on_tcp(&c);
    struct mb_poller *p = poller_for(srv, NULL);
    struct mb_poller_dev_cfg cfg = {.name = "g", .unit = 3, .evse = &c.model, .failsafe_ma = -1};
    int dev = mb_poller_add(p, &cfg);
    ck_assert_int_ge(dev, 0);
    ck_assert_int_eq(mb_poller_start(p), 0);
    struct reg_want ka = {srv, 3, 0, 1010, 4660};
    ck_assert(mb_test_wait_for(reg_is, &ka, WAIT_MS));
    /* The server clears it; the keep-alive writes it again. */
    sim_mbsrv_lock(srv);
    sim_mbsrv_mapping(srv, 3)->tab_registers[10] = 0;
    sim_mbsrv_unlock(srv);
    ck_assert(mb_test_wait_for(reg_is, &ka, WAIT_MS));
    ck_assert_int_eq(mb_poller_set_current(p, dev, 12300), 0);
    struct reg_want amps = {srv, 3, 0, 1000, 123};
    ck_assert(mb_test_wait_for(reg_is, &amps, WAIT_MS));
    mb_poller_free(p);
    mb_test_line_free(srv);
}

END_TEST

struct quiet_want {
    struct sim_mbsrv *srv;
    uint64_t requests;
};

/* The server counted a request since w->requests was taken. */
static bool server_heard_more(void *ctx)
{
    struct quiet_want *w = ctx;
    return sim_mbsrv_requests(w->srv) != w->requests;
}

/* issue 17: keep-alives are tied to the control loop's liveness. A generic EVSE whose watchdog
 * wants a write every 30 ms, on a real loopback Modbus server; the loop stamps its liveness on
 * an injected clock. While it ticks, keep-alives flow; once it has not ticked for liveness_ms,
 * nothing at all reaches the EVSE (so its own fail-safe takes over); when it ticks again, set-up,
 * setpoint and keep-alives resume. */
START_TEST(test_keepalives_stop_when_the_control_loop_stops_ticking)
{
    struct mb_evse_custom c;
    struct sim_mbsrv *srv = keepalive_evse_on_tcp(&c);
    uint64_t fake = 100000;
    struct mb_clock clock = {.now_ms = fake_now_ms, .sleep_ms = fake_sleep, .ctx = &fake};
    /* A reply timeout no loaded machine reaches: a request the poller gave up on could reach
     * the server after the silence began and count as traffic. Every transaction here is
     * answered, so the timeout never elapses in a passing run. */
    struct mb_poller_opts o = {.timeout_ms = WAIT_MS, .clock = &clock, .liveness_ms = 3000};
    char err[200];
    ck_assert_int_eq(tp_addr_parse(sim_mbsrv_client_addr(srv), &o.addr, err, sizeof(err)), 0);
    struct mb_poller *p;
    ck_assert_int_eq(mb_poller_new(&o, &p), 0);
    struct mb_poller_dev_cfg cfg = {.name = "g", .unit = 3, .evse = &c.model, .failsafe_ma = -1};
    int dev = mb_poller_add(p, &cfg);
    ck_assert_int_ge(dev, 0);
    ck_assert_int_eq(mb_poller_set_current(p, dev, 12300), 0);
    ck_assert_int_eq(mb_poller_start(p), 0);

    /* not ticked yet: the EVSE hears nothing */
    struct quiet_want q = {srv, sim_mbsrv_requests(srv)};
    ck_assert(!mb_test_wait_for(server_heard_more, &q, 300));
    ck_assert_uint_eq(q.requests, 0);
    struct mb_evse_status st;
    ck_assert_int_eq(mb_poller_evse_status(p, dev, &st), 0);
    ck_assert(st.silenced);

    /* the loop ticks: setpoint and keep-alives */
    mb_poller_alive(p, fake);
    struct reg_want ka = {srv, 3, 0, 1010, 4660}, amps = {srv, 3, 0, 1000, 123};
    ck_assert(mb_test_wait_for(reg_is, &amps, WAIT_MS));
    ck_assert(mb_test_wait_for(reg_is, &ka, WAIT_MS));
    sim_mbsrv_lock(srv);
    sim_mbsrv_mapping(srv, 3)->tab_registers[10] = 0;
    sim_mbsrv_unlock(srv);
    ck_assert(mb_test_wait_for(reg_is, &ka, WAIT_MS)); /* written again */

    /* 2.9 s of injected time later, still within liveness_ms: keep-alives go on */
    __atomic_store_n(&fake, fake + 2900, __ATOMIC_SEQ_CST);
    sim_mbsrv_lock(srv);
    sim_mbsrv_mapping(srv, 3)->tab_registers[10] = 0;
    sim_mbsrv_unlock(srv);
    ck_assert(mb_test_wait_for(reg_is, &ka, WAIT_MS));

    /* the loop hangs: 3.1 s without a tick. Once the thread has noticed, nothing is sent. */
    __atomic_store_n(&fake, fake + 200, __ATOMIC_SEQ_CST);
    for (int i = 0; i < WAIT_MS / 10; i++) {
        ck_assert_int_eq(mb_poller_evse_status(p, dev, &st), 0);
        if (st.silenced) {
            break;
        }
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    ck_assert(st.silenced);
    /* The thread notices between transactions, and the server counts a request before it
     * answers: every request sent before the silence is counted by now. */
    sim_mbsrv_lock(srv);
    sim_mbsrv_mapping(srv, 3)->tab_registers[10] = 0;
    sim_mbsrv_unlock(srv);
    q.requests = sim_mbsrv_requests(srv);
    /* ten keep-alive periods and more: no request at all */
    ck_assert(!mb_test_wait_for(server_heard_more, &q, 500));
    ka.value = 0;
    ck_assert(reg_is(&ka));

    /* it ticks again: the EVSE is set up and driven again */
    sim_mbsrv_lock(srv);
    sim_mbsrv_mapping(srv, 3)->tab_registers[0] = 60; /* its fail-safe took over: 6.0 A */
    sim_mbsrv_unlock(srv);
    mb_poller_alive(p, fake);
    ka.value = 4660;
    ck_assert(mb_test_wait_for(reg_is, &ka, WAIT_MS));
    ck_assert(mb_test_wait_for(reg_is, &amps, WAIT_MS)); /* the setpoint in force, written again */
    ck_assert_int_eq(mb_poller_evse_status(p, dev, &st), 0);
    ck_assert(!st.silenced);
    mb_poller_free(p);
    mb_test_line_free(srv);
}

END_TEST

/* Writes a holding register (table 0) or a coil (table 1) of the simulated device. */
static void set_reg(struct sim_mbsrv *srv, uint8_t unit, int table, uint16_t addr, uint16_t v)
{
    sim_mbsrv_lock(srv);
    modbus_mapping_t *mm = sim_mbsrv_mapping(srv, unit);
    if (table == 0) {
        mm->tab_registers[addr - mm->start_registers] = v;
    } else {
        mm->tab_bits[addr - mm->start_bits] = (uint8_t)v;
    }
    sim_mbsrv_unlock(srv);
}

struct requests_want {
    struct sim_mbsrv *srv;
    uint64_t n;
};

static bool requests_reached(void *ctx)
{
    struct requests_want *w = ctx;
    return sim_mbsrv_requests(w->srv) >= w->n;
}

/* The line goes silent until the poller has sent MB_POLLER_FAILS_FOR_BACKOFF requests into the
 * void: the EVSE is then lost (the last of them times out whatever happens next). */
static void lose_evse(struct sim_mbsrv *srv)
{
    sim_mbsrv_set_fault(srv, SIM_MB_FAULT_SILENT, 0);
    struct requests_want rw = {srv, sim_mbsrv_requests(srv) + MB_POLLER_FAILS_FOR_BACKOFF};
    ck_assert(mb_test_wait_for(requests_reached, &rw, WAIT_MS));
}

START_TEST(test_lost_evse_gets_its_setpoint_and_enable_again_when_it_returns)
{
    /* An EVSE that went away may have restarted with its own defaults: once it answers again, the
     * poller must write the setpoint in force (and enable) again, not trust the old write. */
    struct sim_mbsrv *srv;
    struct mb_poller *p;
    int dev = phoenix_ev_eth_on_tcp(&srv, &p);
    ck_assert_int_eq(mb_poller_set_current(p, dev, 10000), 0);
    ck_assert_int_eq(mb_poller_start(p), 0);
    struct reg_want amps = {srv, 255, 0, 528, 10}, coil = {srv, 255, 1, 400, 1};
    struct status_want sw = {p, dev, 10000, MB_EVSE_STATE_B};
    ck_assert(mb_test_wait_for(status_is, &sw, WAIT_MS));
    ck_assert(reg_is(&amps));
    ck_assert(reg_is(&coil));

    lose_evse(srv);
    set_reg(srv, 255, 0, 528, 32); /* power-on defaults: the DIP-switch maximum, disabled */
    set_reg(srv, 255, 1, 400, 0);
    sim_mbsrv_set_fault(srv, SIM_MB_FAULT_NONE, 0);

    ck_assert(mb_test_wait_for(reg_is, &amps, WAIT_MS));
    ck_assert(mb_test_wait_for(reg_is, &coil, WAIT_MS));
    ck_assert(mb_test_wait_for(status_is, &sw, WAIT_MS));
    mb_poller_free(p);
    mb_test_line_free(srv);
}

END_TEST

START_TEST(test_lost_heidelberg_is_set_up_and_limited_again_when_it_returns)
{
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_TCP);
    ck_assert_int_eq(
        sim_mbsrv_add_unit(srv, 1, modbus_mapping_new_start_address(0, 0, 0, 0, 257, 6, 5, 14)), 0);
    set_input(srv, 1, 5, 4); /* B */
    struct mb_poller *p = poller_for(srv, NULL);
    struct mb_poller_dev_cfg cfg = {
        .name = "bay1",
        .unit = 1,
        .evse = mb_evse_find("heidelberg-ec"),
        .interval_ms = 20,
        .failsafe_ma = -1,
    };
    int dev = mb_poller_add(p, &cfg);
    ck_assert_int_ge(dev, 0);
    ck_assert_int_eq(mb_poller_set_current(p, dev, 10000), 0);
    ck_assert_int_eq(mb_poller_start(p), 0);
    struct reg_want amps = {srv, 1, 0, 261, 100}, watchdog = {srv, 1, 0, 257, 15000};
    ck_assert(mb_test_wait_for(reg_is, &amps, WAIT_MS));
    ck_assert(reg_is(&watchdog));

    lose_evse(srv);
    set_reg(srv, 1, 0, 261, 160); /* power-on defaults: 16.0 A, no watchdog */
    set_reg(srv, 1, 0, 257, 0);
    sim_mbsrv_set_fault(srv, SIM_MB_FAULT_NONE, 0);

    ck_assert(mb_test_wait_for(reg_is, &watchdog, WAIT_MS)); /* set-up redone */
    ck_assert(mb_test_wait_for(reg_is, &amps, WAIT_MS));
    mb_poller_free(p);
    mb_test_line_free(srv);
}

END_TEST

START_TEST(test_add_refuses_bad_devices)
{
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_RTU);
    struct mb_poller *p = poller_for(srv, NULL);
    struct mb_poller_dev_cfg none = {.name = "x", .unit = 1};
    ck_assert_int_eq(mb_poller_add(p, &none), -EINVAL);
    struct mb_poller_dev_cfg badunit = {.name = "x", .unit = 0, .map = mb_map_find("sdm630")};
    ck_assert_int_eq(mb_poller_add(p, &badunit), -EINVAL);
    struct mb_poller_dev_cfg badfs = {
        .name = "x", .unit = 1, .evse = mb_evse_find("heidelberg-ec"), .failsafe_ma = 20000};
    ck_assert_int_eq(mb_poller_add(p, &badfs), -EINVAL);
    struct mb_poller_dev_cfg ok = {.name = "x", .unit = 1, .map = mb_map_find("sdm630")};
    int dev = mb_poller_add(p, &ok);
    ck_assert_int_eq(dev, 0);
    ck_assert_int_eq(mb_poller_set_current(p, dev, 6000), -ENOTSUP);
    ck_assert_int_eq(mb_poller_set_current(p, 5, 6000), -EINVAL);
    struct mb_evse_status st;
    ck_assert_int_eq(mb_poller_evse_status(p, dev, &st), -ENOTSUP);
    mb_poller_free(p);
    mb_test_line_free(srv);
}

END_TEST

static Suite *mb_poller_suite(void)
{
    Suite *s = suite_create("mb_poller");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_readings_reach_the_hand_off_with_injected_timestamps_and_recover,
                        0, 2);
    tcase_add_loop_test(tc, test_dead_unit_on_a_shared_bus_does_not_stop_the_others, 0, 2);
    tcase_add_test(tc, test_heidelberg_setup_setpoints_state_and_meter_on_rtu);
    tcase_add_test(tc, test_phoenix_ev_eth_enables_by_coil_over_tcp);
    tcase_add_test(tc, test_a_stopped_poller_writes_its_queued_setpoint_in_the_background);
    tcase_add_test(tc, test_evse_offer_is_read_back_not_assumed);
    tcase_add_test(tc, test_generic_evse_keepalive_write_reaches_the_register);
    tcase_add_test(tc, test_keepalives_stop_when_the_control_loop_stops_ticking);
    tcase_add_test(tc, test_lost_evse_gets_its_setpoint_and_enable_again_when_it_returns);
    tcase_add_test(tc, test_lost_heidelberg_is_set_up_and_limited_again_when_it_returns);
    tcase_add_test(tc, test_add_refuses_bad_devices);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(mb_poller_suite)
