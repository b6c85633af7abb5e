/* SPDX-License-Identifier: MIT */
/*
 * What reaches a Modbus device, in order and in time, against a simulated server on loopback
 * TCP (and a pty for RTU) that logs every write it applies (sim_mbsrv_take_writes):
 *   - resuming a paused EVSE writes the current before the enable, so the car never sees the
 *     old, higher current enabled; pausing writes only the enable;
 *   - set-up writes the fail-safe current (register 262 on a Heidelberg, seeded here with a
 *     sentinel so an unwritten register cannot pass as a zero);
 *   - the bus keeps its quiet gap between transactions (docs/modbus.md: 100 ms for a
 *     Heidelberg, >= 3.5 character times on RTU), measured on a virtual clock that records
 *     every sleep.
 */
#include <string.h>

#include <check.h>

#include "drivers/modbus/mb_bus.h"
#include "drivers/modbus/mb_clock.h"
#include "drivers/modbus/mb_evse.h"
#include "sim/sim_mbsrv.h"
#include "tests/support/check_main.h"
#include "tests/support/mb_test.h"

#define SENTINEL 0xBEEF
#define LOG_MAX  SIM_MBSRV_WRITE_LOG

static void expect(const struct sim_mb_write *got, size_t i, uint8_t fc, uint16_t addr, uint16_t v)
{
    ck_assert_msg(got[i].fc == fc && got[i].addr == addr && got[i].value == v,
                  "write %zu: fc %u addr %u value %u, want fc %u addr %u value %u", i, got[i].fc,
                  got[i].addr, got[i].value, fc, addr, v);
}

static uint16_t holding(struct sim_mbsrv *srv, uint8_t unit, uint16_t addr)
{
    sim_mbsrv_lock(srv);
    modbus_mapping_t *mm = sim_mbsrv_mapping(srv, unit);
    uint16_t v = mm->tab_registers[addr - mm->start_registers];
    sim_mbsrv_unlock(srv);
    return v;
}

START_TEST(test_resume_writes_the_current_before_the_enable)
{
    /* Phoenix EV-ETH: current in holding 528 (whole A), enable on coil 400 (modbus-maps.md) */
    const struct mb_evse_model *m = mb_evse_find("phoenix-ev-eth");
    ck_assert_ptr_nonnull(m);
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_TCP);
    modbus_mapping_t *mm = modbus_mapping_new(401, 0, 529, 101);
    ck_assert_ptr_nonnull(mm);
    mm->tab_registers[528] = 32; /* the old, higher current */
    ck_assert_int_eq(sim_mbsrv_add_unit(srv, 255, mm), 0);
    struct mb_bus *bus = mb_test_bus_new(srv, 1000);
    struct sim_mb_write got[LOG_MAX];

    bool enabled = false; /* paused */
    ck_assert_int_eq(mb_evse_apply(m, bus, 255, 10000, &enabled), 0);
    ck_assert(enabled);
    ck_assert_uint_eq(sim_mbsrv_take_writes(srv, got, LOG_MAX), 2);
    expect(got, 0, 6, 528, 10);
    expect(got, 1, 5, 400, 1);

    /* a pause is the enable alone; the current stays as it was */
    ck_assert_int_eq(mb_evse_apply(m, bus, 255, 0, &enabled), 0);
    ck_assert(!enabled);
    ck_assert_uint_eq(sim_mbsrv_take_writes(srv, got, LOG_MAX), 1);
    expect(got, 0, 5, 400, 0);

    /* the enable state unknown (after a reconnect): still the current first */
    ck_assert_int_eq(mb_evse_apply(m, bus, 255, 16000, NULL), 0);
    ck_assert_uint_eq(sim_mbsrv_take_writes(srv, got, LOG_MAX), 2);
    expect(got, 0, 6, 528, 16);
    expect(got, 1, 5, 400, 1);

    mb_bus_free(bus);
    mb_test_line_free(srv);
}

END_TEST

START_TEST(test_setup_writes_the_fail_safe_current)
{
    /* Heidelberg Energy Control: holding 257-262 written with fc 16 (modbus-maps.md §3.8) */
    const struct mb_evse_model *m = mb_evse_find("heidelberg-ec");
    ck_assert_ptr_nonnull(m);
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_TCP);
    modbus_mapping_t *mm = modbus_mapping_new_start_address(0, 0, 0, 0, 257, 6, 5, 14);
    ck_assert_ptr_nonnull(mm);
    for (int i = 0; i < 6; i++) {
        mm->tab_registers[i] = SENTINEL;
    }
    ck_assert_int_eq(sim_mbsrv_add_unit(srv, 1, mm), 0);
    struct mb_bus *bus = mb_test_bus_new(srv, 1000);
    struct sim_mb_write got[LOG_MAX];

    ck_assert_int_eq(m->ops->setup(m, bus, 1, m->failsafe_ma), 0);
    ck_assert_uint_eq(sim_mbsrv_take_writes(srv, got, LOG_MAX), 3);
    expect(got, 0, 16, 258, 4);     /* standby off */
    expect(got, 1, 16, 257, 15000); /* watchdog 15 s */
    expect(got, 2, 16, 262, 0);     /* fail-safe 0 A */
    ck_assert_uint_eq(holding(srv, 1, 262), 0);

    /* a configured fail-safe current is the one written (0.1 A steps) */
    ck_assert_int_eq(m->ops->setup(m, bus, 1, 6000), 0);
    ck_assert_uint_eq(sim_mbsrv_take_writes(srv, got, LOG_MAX), 3);
    expect(got, 2, 16, 262, 60);
    ck_assert_uint_eq(holding(srv, 1, 262), 60);
    ck_assert_uint_eq(holding(srv, 1, 259), SENTINEL); /* nothing else was touched */

    mb_bus_free(bus);
    mb_test_line_free(srv);
}

END_TEST

/* A bus to srv on the virtual clock v, with gap_ms. */
static struct mb_bus *
bus_on_clock(struct sim_mbsrv *srv, struct mb_clock_virtual *v, uint32_t gap_ms)
{
    struct tp_addr a;
    char err[256] = "";
    ck_assert_msg(tp_addr_parse(sim_mbsrv_client_addr(srv), &a, err, sizeof(err)) == 0, "%s", err);
    struct mb_bus_opts o = {.timeout_ms = 1000, .gap_ms = gap_ms, .clock = &v->clock};
    struct mb_bus *bus;
    ck_assert_int_eq(mb_bus_new(&a, &o, &bus), 0);
    return bus;
}

START_TEST(test_bus_keeps_its_gap_between_transactions)
{
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_TCP);
    ck_assert_int_eq(sim_mbsrv_add_unit(srv, 1, modbus_mapping_new(0, 0, 10, 10)), 0);
    struct mb_clock_virtual v;
    mb_clock_virtual_init(&v, 1000);
    struct mb_bus *bus = bus_on_clock(srv, &v, 100);
    uint16_t r[2];

    /* the first transaction goes out at once */
    ck_assert_int_eq(mb_bus_read_regs(bus, 1, 3, 0, 2, r), 0);
    ck_assert_uint_eq(v.n_sleeps, 0);
    /* 30 ms later another is asked for: it waits the other 70 */
    mb_clock_virtual_advance(&v, 30);
    ck_assert_int_eq(mb_bus_read_regs(bus, 1, 4, 0, 2, r), 0);
    ck_assert_uint_eq(v.n_sleeps, 1);
    ck_assert_uint_eq(v.sleeps[0].at_ms, 1030);
    ck_assert_uint_eq(v.sleeps[0].ms, 70);
    /* back to back: a write waits the whole gap, as reads do */
    const uint16_t w = 7;
    ck_assert_int_eq(mb_bus_write_regs(bus, 1, 6, 3, 1, &w), 0);
    ck_assert_uint_eq(v.n_sleeps, 2);
    ck_assert_uint_eq(v.sleeps[1].ms, 100);
    /* after a long pause nothing waits */
    mb_clock_virtual_advance(&v, 5000);
    ck_assert_int_eq(mb_bus_read_regs(bus, 1, 3, 0, 2, r), 0);
    ck_assert_uint_eq(v.n_sleeps, 2);
    /* a device that needs more raises the gap for the whole line */
    mb_bus_raise_gap(bus, 250);
    ck_assert_int_eq(mb_bus_read_regs(bus, 1, 3, 0, 2, r), 0);
    ck_assert_uint_eq(v.n_sleeps, 3);
    ck_assert_uint_eq(v.sleeps[2].ms, 250);

    mb_bus_free(bus);
    mb_test_line_free(srv);
}

END_TEST

START_TEST(test_rtu_bus_waits_three_and_a_half_characters)
{
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_RTU);
    ck_assert_int_eq(sim_mbsrv_add_unit(srv, 1, modbus_mapping_new(0, 0, 10, 10)), 0);
    struct mb_clock_virtual v;
    mb_clock_virtual_init(&v, 1000);
    struct mb_bus *bus = bus_on_clock(srv, &v, 0); /* no gap asked: RTU's own minimum */
    uint16_t r[1];
    ck_assert_int_eq(mb_bus_read_regs(bus, 1, 3, 0, 1, r), 0);
    ck_assert_int_eq(mb_bus_read_regs(bus, 1, 3, 0, 1, r), 0);
    ck_assert_uint_eq(v.n_sleeps, 1);
    /* the simulated line runs at 9600 baud (sim_mbsrv_client_addr): 3.5 x 11 bits = 4.01 ms */
    ck_assert_str_eq(strstr(sim_mbsrv_client_addr(srv), ","), ",9600,8N1");
    ck_assert_uint_eq(v.sleeps[0].ms, 5);
    mb_bus_free(bus);
    mb_test_line_free(srv);
}

END_TEST

static Suite *mb_writes_suite(void)
{
    Suite *s = suite_create("mb_evse_writes");
    TCase *tc = tcase_create("order");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_resume_writes_the_current_before_the_enable);
    tcase_add_test(tc, test_setup_writes_the_fail_safe_current);
    tcase_add_test(tc, test_bus_keeps_its_gap_between_transactions);
    tcase_add_test(tc, test_rtu_bus_waits_three_and_a_half_characters);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(mb_writes_suite)
