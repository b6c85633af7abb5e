/* SPDX-License-Identifier: MIT */
/*
 * The meter reader against simulated meters on loopback TCP and on a real pty (RTU): values,
 * several unit ids on one bus, and faults: silence, exceptions, garbage, late replies, a device
 * that disappears and comes back. A failed read never carries a value; recovery gives fresh ones.
 * Each test runs on both lines (loop index 0 = TCP, 1 = RTU).
 */
#include <stdint.h>
#include <string.h>

#include <check.h>
#include <modbus.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_meter.h"
#include "sim/sim_meter.h"
#include "tests/support/check_main.h"
#include "tests/support/mb_test.h"

/* A bus has one response timeout for all its reads. Where every read is answered it is the largest
 * a bus allows: a passing run never waits it out, so a loaded machine does not reach it. Where a
 * read must time out (silence, a late reply) the test waits all of it, so it is short, and the
 * answered reads on that bus have the same bound (a second, not the 250 ms it once was). A late
 * reply comes long after the reader gave up, so a reader woken late still finds nothing. A wait for
 * an event only bounds a failing run. */
#define REPLY_MS   MB_BUS_TIMEOUT_MAX_MS
#define SILENCE_MS 1000
#define LATE_MS    (3 * SILENCE_MS)
#define WAIT_MS    60000

struct rig {
    struct sim_mbsrv *srv;
    struct sim_meter *meter;
    struct mb_bus *bus;
    const struct mb_map *map;
    struct mb_plan plan;
};

/* A meter of map_name at unit 1 on a fresh line, read with a response timeout of timeout_ms. */
static void rig_up(struct rig *r, enum mb_test_line line, const char *map_name, uint32_t timeout_ms)
{
    memset(r, 0, sizeof(*r));
    r->srv = mb_test_line_new(line);
    r->map = mb_map_find(map_name);
    ck_assert_ptr_nonnull(r->map);
    ck_assert_int_eq(sim_meter_new(r->srv, 1, r->map, &r->meter), 0);
    ck_assert_int_eq(mb_map_plan(r->map, &r->plan), 0);
    r->bus = mb_test_bus_new(r->srv, timeout_ms);
}

static void rig_down(struct rig *r)
{
    mb_bus_free(r->bus);
    sim_meter_free(r->meter);
    mb_test_line_free(r->srv);
}

static int read_meter(struct rig *r, struct mb_reading *out)
{
    return mb_meter_read(r->bus, 1, r->map, &r->plan, out, NULL);
}

static void assert_failed_without_values(int rc, const struct mb_reading *got)
{
    ck_assert_int_lt(rc, 0);
    ck_assert(!got->valid);
    ck_assert_uint_eq(got->have, 0);
    ck_assert_int_eq(got->current_ma[0], 0);
    ck_assert_int_eq(got->current_ma[1], 0);
    ck_assert_int_eq(got->import_wh, 0);
}

START_TEST(test_sdm630_reads_the_currents_that_were_set)
{
    struct rig r;
    rig_up(&r, (enum mb_test_line)_i, "eastron-sdm630", REPLY_MS);
    const int32_t cur[3] = {10000, -15900, 0};
    const int32_t volt[3] = {2300, 2315, 2298};
    ck_assert_int_eq(sim_meter_set_voltages(r.meter, volt), 0);
    ck_assert_int_eq(sim_meter_set_currents(r.meter, cur), 0);
    ck_assert_int_eq(sim_meter_set_import_wh(r.meter, 12345670), 0);

    struct mb_reading got;
    ck_assert_int_eq(read_meter(&r, &got), 0);
    ck_assert(got.valid);
    ck_assert_uint_eq(got.have, (1u << MB_FIELD_COUNT) - 1);
    ck_assert_int_eq(got.current_ma[0], 10000);
    ck_assert_int_eq(got.current_ma[1], -15900); /* magnitude on the wire, signed by power */
    ck_assert_int_eq(got.current_ma[2], 0);
    ck_assert_int_eq(got.voltage_dv[1], 2315);
    ck_assert_int_eq(got.power_w[0], 2300);  /* 230.0 V x 10.0 A */
    ck_assert_int_eq(got.power_w[1], -3681); /* 231.5 V x -15.9 A = -3680.85 W */
    ck_assert_int_eq(got.power_total_w, -1381);
    ck_assert_int_eq(got.import_wh, 12345670);
    rig_down(&r);
}

END_TEST

START_TEST(test_every_builtin_map_round_trips_through_the_server)
{
    enum mb_test_line line = (enum mb_test_line)(_i % 2);
    const struct mb_map *map = mb_map_at((size_t)(_i / 2));
    struct rig r;
    rig_up(&r, line, map->name, REPLY_MS);
    const int32_t cur[3] = {16000, 8000, 4500};
    ck_assert_int_eq(sim_meter_set_currents(r.meter, cur), 0);
    ck_assert_int_eq(sim_meter_set_import_wh(r.meter, 2000000), 0);
    struct mb_reading got;
    ck_assert_msg(read_meter(&r, &got) == 0, "%s", map->name);
    ck_assert(got.valid);
    ck_assert_int_eq(got.import_wh, 2000000);
    if (map->flags & MB_MAP_TOTAL_ONLY) {
        ck_assert_int_eq(got.power_total_w, 3680 + 1840 + 1035); /* 230 V x (16 + 8 + 4.5) A */
    } else {
        for (int p = 0; p < map->phases; p++) {
            ck_assert_int_eq(got.current_ma[p], cur[p]);
        }
    }
    rig_down(&r);
}

END_TEST

START_TEST(test_two_meters_on_one_bus_answer_by_unit_id)
{
    struct sim_mbsrv *srv = mb_test_line_new((enum mb_test_line)_i);
    struct sim_meter *a, *b;
    const struct mb_map *sdm = mb_map_find("sdm630"), *abb = mb_map_find("abb-b23");
    ck_assert_int_eq(sim_meter_new(srv, 1, sdm, &a), 0);
    ck_assert_int_eq(sim_meter_new(srv, 7, abb, &b), 0);
    const int32_t ca[3] = {1000, 2000, 3000}, cb[3] = {-4000, 5000, 6000};
    ck_assert_int_eq(sim_meter_set_currents(a, ca), 0);
    ck_assert_int_eq(sim_meter_set_currents(b, cb), 0);
    /* the unit nobody answers for below is silence on a serial line: a read that times out */
    struct mb_bus *bus = mb_test_bus_new(srv, _i == MB_TEST_RTU ? SILENCE_MS : REPLY_MS);
    struct mb_plan pa, pb;
    mb_map_plan(sdm, &pa);
    mb_map_plan(abb, &pb);
    struct mb_reading ra, rb, rc3;
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(mb_meter_read(bus, 1, sdm, &pa, &ra, NULL), 0);
        ck_assert_int_eq(mb_meter_read(bus, 7, abb, &pb, &rb, NULL), 0);
        ck_assert_int_eq(ra.current_ma[2], 3000);
        ck_assert_int_eq(rb.current_ma[0], -4000);
        ck_assert_int_eq(rb.current_ma[2], 6000);
    }
    /* A unit nobody answers for: silence on a serial line, exception 0x0B from a TCP gateway. */
    int rc = mb_meter_read(bus, 3, sdm, &pa, &rc3, NULL);
    ck_assert_int_eq(rc, _i == MB_TEST_RTU ? -ETIMEDOUT : -EMBXGTAR);
    assert_failed_without_values(rc, &rc3);
    /* ... and the bus still serves the others. */
    ck_assert_int_eq(mb_meter_read(bus, 1, sdm, &pa, &ra, NULL), 0);
    ck_assert_int_eq(ra.current_ma[0], 1000);
    mb_bus_free(bus);
    sim_meter_free(a);
    sim_meter_free(b);
    mb_test_line_free(srv);
}

END_TEST

START_TEST(test_not_available_field_over_the_wire_fails_the_reading)
{
    struct rig r;
    rig_up(&r, (enum mb_test_line)_i, "abb-b23", REPLY_MS);
    const int32_t cur[3] = {1000, 2000, 3000};
    ck_assert_int_eq(sim_meter_set_currents(r.meter, cur), 0);
    ck_assert_int_eq(sim_meter_set_not_available(r.meter, MB_FIELD_CURRENT_L2, true), 0);
    struct mb_reading got;
    ck_assert_int_eq(read_meter(&r, &got), AMP_ERR_NOT_AVAILABLE);
    ck_assert(!got.valid);
    ck_assert_uint_eq(got.have & MB_HAVE(MB_FIELD_CURRENT_L2), 0);
    ck_assert_int_eq(got.current_ma[1], 0);
    ck_assert_int_eq(sim_meter_set_not_available(r.meter, MB_FIELD_CURRENT_L2, false), 0);
    ck_assert_int_eq(read_meter(&r, &got), 0);
    ck_assert_int_eq(got.current_ma[1], 2000);
    rig_down(&r);
}

END_TEST

START_TEST(test_wrong_map_gets_illegal_data_address)
{
    struct rig r;
    rig_up(&r, (enum mb_test_line)_i, "abb-b23", REPLY_MS); /* holding registers at 0x5000.. */
    const struct mb_map *wrong = mb_map_find("eastron-sdm630");
    struct mb_plan plan;
    mb_map_plan(wrong, &plan);
    struct mb_reading got;
    struct mb_block failed = {0, 0};
    int rc = mb_meter_read(r.bus, 1, wrong, &plan, &got, &failed);
    ck_assert_int_eq(rc, -EMBXILADD);
    ck_assert_str_eq(amp_strerror(rc), "Illegal data address");
    ck_assert_uint_eq(failed.addr, 0x0000);
    ck_assert_uint_eq(failed.count, 0x4A);
    assert_failed_without_values(rc, &got);
    rig_down(&r);
}

END_TEST

static const int32_t first_ma[3] = {6000, 7000, 8000};
static const int32_t second_ma[3] = {16000, 17000, 18000};

/* After a fault: the next good read must carry the values set after the fault, never old ones. */
static void assert_recovers_with_new_values(struct rig *r)
{
    ck_assert_int_eq(sim_meter_set_currents(r->meter, second_ma), 0);
    struct mb_reading got;
    int rc = read_meter(r, &got);
    ck_assert_msg(rc == 0, "recovery read: %s", amp_strerror(rc));
    ck_assert(got.valid);
    ck_assert_int_eq(got.current_ma[0], 16000);
    ck_assert_int_eq(got.current_ma[2], 18000);
}

START_TEST(test_silent_meter_times_out_then_recovers)
{
    struct rig r;
    rig_up(&r, (enum mb_test_line)_i, "sdm630", SILENCE_MS);
    ck_assert_int_eq(sim_meter_set_currents(r.meter, first_ma), 0);
    struct mb_reading got;
    ck_assert_int_eq(read_meter(&r, &got), 0);
    sim_mbsrv_set_fault(r.srv, SIM_MB_FAULT_SILENT, 0);
    for (int k = 0; k < 2; k++) {
        int rc = read_meter(&r, &got);
        ck_assert_int_eq(rc, -ETIMEDOUT);
        assert_failed_without_values(rc, &got);
    }
    sim_mbsrv_set_fault(r.srv, SIM_MB_FAULT_NONE, 0);
    assert_recovers_with_new_values(&r);
    rig_down(&r);
}

END_TEST

START_TEST(test_exception_reply_is_reported_by_code_then_recovers)
{
    struct rig r;
    rig_up(&r, (enum mb_test_line)_i, "sdm630", REPLY_MS);
    ck_assert_int_eq(sim_meter_set_currents(r.meter, first_ma), 0);
    sim_mbsrv_set_fault(r.srv, SIM_MB_FAULT_EXCEPTION, MODBUS_EXCEPTION_SLAVE_OR_SERVER_BUSY);
    struct mb_reading got;
    int rc = read_meter(&r, &got);
    ck_assert_int_eq(rc, -EMBXSBUSY);
    ck_assert_str_eq(amp_strerror(rc), modbus_strerror(EMBXSBUSY));
    assert_failed_without_values(rc, &got);
    sim_mbsrv_set_fault(r.srv, SIM_MB_FAULT_NONE, 0);
    assert_recovers_with_new_values(&r);
    rig_down(&r);
}

END_TEST

START_TEST(test_garbage_reply_is_reported_then_recovers)
{
    struct rig r;
    rig_up(&r, (enum mb_test_line)_i, "sdm630", REPLY_MS);
    ck_assert_int_eq(sim_meter_set_currents(r.meter, first_ma), 0);
    sim_mbsrv_set_fault(r.srv, SIM_MB_FAULT_GARBAGE, 0);
    struct mb_reading got;
    int rc = read_meter(&r, &got);
    ck_assert_int_eq(rc, _i == MB_TEST_RTU ? -EMBBADCRC : -EMBBADDATA);
    assert_failed_without_values(rc, &got);
    sim_mbsrv_set_fault(r.srv, SIM_MB_FAULT_NONE, 0);
    assert_recovers_with_new_values(&r);
    rig_down(&r);
}

END_TEST

struct replies_wait {
    struct sim_mbsrv *srv;
    uint64_t above;
};

static bool replies_above(void *ctx)
{
    struct replies_wait *w = ctx;
    return sim_mbsrv_replies(w->srv) > w->above;
}

START_TEST(test_late_reply_is_never_taken_for_the_next_one)
{
    struct rig r;
    rig_up(&r, (enum mb_test_line)_i, "sdm630", SILENCE_MS);
    ck_assert_int_eq(sim_meter_set_currents(r.meter, first_ma), 0);
    struct replies_wait w = {r.srv, sim_mbsrv_replies(r.srv)};
    sim_mbsrv_set_fault(r.srv, SIM_MB_FAULT_LATE, LATE_MS);
    struct mb_reading got;
    int rc = read_meter(&r, &got);
    ck_assert_int_eq(rc, -ETIMEDOUT);
    assert_failed_without_values(rc, &got);
    /* The late answer (first_ma) goes out after the reader gave up; then the values change. */
    ck_assert(mb_test_wait_for(replies_above, &w, WAIT_MS));
    sim_mbsrv_set_fault(r.srv, SIM_MB_FAULT_NONE, 0);
    assert_recovers_with_new_values(&r);
    rig_down(&r);
}

END_TEST

START_TEST(test_meter_that_disappears_fails_then_comes_back)
{
    struct rig r;
    rig_up(&r, (enum mb_test_line)_i, "sdm630", REPLY_MS);
    ck_assert_int_eq(sim_meter_set_currents(r.meter, first_ma), 0);
    struct mb_reading got;
    ck_assert_int_eq(read_meter(&r, &got), 0);
    sim_mbsrv_stop(r.srv);
    for (int k = 0; k < 2; k++) {
        int rc = read_meter(&r, &got);
        assert_failed_without_values(rc, &got);
    }
    ck_assert_int_eq(sim_mbsrv_start(r.srv), 0);
    /* A reader may lose one more attempt to find out the link is new; then it must recover. */
    ck_assert_int_eq(sim_meter_set_currents(r.meter, second_ma), 0);
    int rc = read_meter(&r, &got);
    if (rc != 0) {
        rc = read_meter(&r, &got);
    }
    ck_assert_msg(rc == 0, "after restart: %s", amp_strerror(rc));
    ck_assert_int_eq(got.current_ma[1], 17000);
    rig_down(&r);
}

END_TEST

static Suite *mb_meter_suite(void)
{
    Suite *s = suite_create("mb_meter");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_sdm630_reads_the_currents_that_were_set, 0, 2);
    tcase_add_loop_test(tc, test_every_builtin_map_round_trips_through_the_server, 0,
                        (int)(2 * mb_map_count()));
    tcase_add_loop_test(tc, test_two_meters_on_one_bus_answer_by_unit_id, 0, 2);
    tcase_add_loop_test(tc, test_not_available_field_over_the_wire_fails_the_reading, 0, 2);
    tcase_add_loop_test(tc, test_wrong_map_gets_illegal_data_address, 0, 2);
    tcase_add_loop_test(tc, test_silent_meter_times_out_then_recovers, 0, 2);
    tcase_add_loop_test(tc, test_exception_reply_is_reported_by_code_then_recovers, 0, 2);
    tcase_add_loop_test(tc, test_garbage_reply_is_reported_then_recovers, 0, 2);
    tcase_add_loop_test(tc, test_late_reply_is_never_taken_for_the_next_one, 0, 2);
    tcase_add_loop_test(tc, test_meter_that_disappears_fails_then_comes_back, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(mb_meter_suite)
