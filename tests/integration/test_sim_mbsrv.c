/* SPDX-License-Identifier: MIT */
/*
 * The simulated Modbus line's pty endpoint and the path it is told to link: it makes a symlink
 * there and removes it again, but never deletes a file it did not make, and never removes a link
 * that someone else has put in its place since (the rule of the pty transport, tp_pty.c). Its
 * write log keeps every applied write in order, and nothing the server refused.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "drivers/modbus/mb_bus.h"
#include "drivers/modbus/mb_evse.h"
#include "drivers/modbus/mb_maps.h"
#include "sim/sim_evse.h"
#include "sim/sim_mbsrv.h"
#include "sim/sim_meter.h"
#include "tests/support/check_main.h"
#include "tests/support/mb_test.h"

struct pty_dir {
    char dir[64];
    char link[96];
    struct tp_addr addr;
};

static void pty_dir_init(struct pty_dir *d)
{
    snprintf(d->dir, sizeof(d->dir), "/tmp/ampshare-mbsrv-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d->dir));
    snprintf(d->link, sizeof(d->link), "%s/link", d->dir);
    memset(&d->addr, 0, sizeof(d->addr));
    d->addr.kind = TP_ADDR_PTY;
    snprintf(d->addr.path, sizeof(d->addr.path), "%s", d->link);
}

static void pty_dir_fini(struct pty_dir *d)
{
    unlink(d->link);
    ck_assert_int_eq(rmdir(d->dir), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_pty_line_never_deletes_a_file_at_its_link_path)
{
    struct pty_dir d;
    pty_dir_init(&d);
    write_file(d.link, "not ours\n");
    struct sim_mbsrv *srv = NULL;
    char err[256] = "";
    ck_assert_int_eq(sim_mbsrv_new(&d.addr, &srv, err, sizeof(err)), -EEXIST);
    ck_assert_ptr_null(srv);
    ck_assert_msg(strstr(err, d.link) != NULL, "the message names the path: %s", err);
    char buf[32] = "";
    FILE *f = fopen(d.link, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    ck_assert_str_eq(buf, "not ours\n");
    pty_dir_fini(&d);
}

END_TEST

START_TEST(test_pty_line_replaces_a_stale_link_and_removes_its_own)
{
    struct pty_dir d;
    pty_dir_init(&d);
    ck_assert_int_eq(symlink("/nonexistent/pts/99", d.link), 0);
    struct sim_mbsrv *srv = NULL;
    char err[256] = "";
    ck_assert_msg(sim_mbsrv_new(&d.addr, &srv, err, sizeof(err)) == 0, "%s", err);
    char target[PATH_MAX];
    ssize_t n = readlink(d.link, target, sizeof(target) - 1);
    ck_assert_int_gt(n, 0);
    target[n] = '\0';
    ck_assert_msg(strncmp(target, "/dev/pts/", 9) == 0, "link points at %s", target);
    ck_assert_int_eq(sim_mbsrv_start(srv), 0);
    sim_mbsrv_free(srv);
    struct stat st;
    ck_assert_int_eq(lstat(d.link, &st), -1);
    ck_assert_int_eq(errno, ENOENT);
    pty_dir_fini(&d);
}

END_TEST

START_TEST(test_pty_line_leaves_a_link_someone_else_put_there)
{
    struct pty_dir d;
    pty_dir_init(&d);
    struct sim_mbsrv *srv = NULL;
    char err[256] = "";
    ck_assert_msg(sim_mbsrv_new(&d.addr, &srv, err, sizeof(err)) == 0, "%s", err);
    /* Another simulator takes the path over while this one still runs. */
    ck_assert_int_eq(unlink(d.link), 0);
    ck_assert_int_eq(symlink("/dev/null", d.link), 0);
    sim_mbsrv_free(srv);
    char target[PATH_MAX];
    ssize_t n = readlink(d.link, target, sizeof(target) - 1);
    ck_assert_int_eq(n, 9);
    target[n] = '\0';
    ck_assert_str_eq(target, "/dev/null");
    pty_dir_fini(&d);
}

END_TEST

START_TEST(test_write_log_keeps_applied_writes_in_order)
{
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_TCP);
    ck_assert_int_eq(sim_mbsrv_add_unit(srv, 4, modbus_mapping_new(10, 0, 10, 0)), 0);
    struct mb_bus *bus = mb_test_bus_new(srv, 1000);
    const uint16_t two[2] = {0x1234, 0x5678};
    ck_assert_int_eq(mb_bus_write_coil(bus, 4, 7, true), 0);
    ck_assert_int_eq(mb_bus_write_regs(bus, 4, 6, 3, 1, &two[1]), 0);
    ck_assert_int_eq(mb_bus_write_regs(bus, 4, 16, 8, 2, two), 0);
    ck_assert_int_lt(mb_bus_write_regs(bus, 4, 6, 10, 1, two), 0); /* past the table: refused */
    ck_assert_int_eq(mb_bus_write_coil(bus, 4, 7, false), 0);
    struct sim_mb_write w[SIM_MBSRV_WRITE_LOG];
    ck_assert_uint_eq(sim_mbsrv_take_writes(srv, w, SIM_MBSRV_WRITE_LOG), 4);
    const struct sim_mb_write want[4] = {
        {.unit = 4, .fc = 5, .addr = 7, .n = 1, .value = 1},
        {.unit = 4, .fc = 6, .addr = 3, .n = 1, .value = 0x5678},
        {.unit = 4, .fc = 16, .addr = 8, .n = 2, .value = 0x1234},
        {.unit = 4, .fc = 5, .addr = 7, .n = 1, .value = 0},
    };
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(w[i].unit, want[i].unit);
        ck_assert_uint_eq(w[i].fc, want[i].fc);
        ck_assert_uint_eq(w[i].addr, want[i].addr);
        ck_assert_uint_eq(w[i].n, want[i].n);
        ck_assert_uint_eq(w[i].value, want[i].value);
    }
    ck_assert_uint_eq(sim_mbsrv_take_writes(srv, w, SIM_MBSRV_WRITE_LOG), 0); /* taken */
    mb_bus_free(bus);
    mb_test_line_free(srv);
}

END_TEST

/* A wallbox and its own meter answer as one unit (sim_mbsrv_share_unit): each device's tables,
 * with their values, side by side; a register both would define is refused (-EEXIST), and an
 * unshared unit is never merged. */
START_TEST(test_shared_unit_holds_both_devices_tables)
{
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_TCP);
    modbus_mapping_t *box = modbus_mapping_new(0, 0, 263, 6); /* holding 0-262, input 0-5 */
    box->tab_registers[261] = 160;
    box->tab_input_registers[5] = 4;
    modbus_mapping_t *meter = modbus_mapping_new_start_address(0, 0, 0, 0, 0, 0, 6, 13);
    meter->tab_input_registers[0] = 0x4141;  /* input register 6 */
    meter->tab_input_registers[12] = 0x1818; /* input register 18 */
    ck_assert_int_eq(sim_mbsrv_add_unit(srv, 1, box), 0);
    ck_assert_int_eq(sim_mbsrv_add_unit(srv, 1, modbus_mapping_new(0, 0, 1, 0)), -EEXIST);
    sim_mbsrv_share_unit(srv, 1);
    ck_assert_int_eq(sim_mbsrv_add_unit(srv, 1, meter), 0);
    /* a second meter on the same input registers: whose would they be? */
    ck_assert_int_eq(
        sim_mbsrv_add_unit(srv, 1, modbus_mapping_new_start_address(0, 0, 0, 0, 0, 0, 10, 2)),
        -EEXIST);
    struct mb_bus *bus = mb_test_bus_new(srv, 1000);
    uint16_t in[19], hold[1];
    ck_assert_int_eq(mb_bus_read_regs(bus, 1, 4, 0, 19, in), 0);
    ck_assert_uint_eq(in[5], 4);
    ck_assert_uint_eq(in[6], 0x4141);
    ck_assert_uint_eq(in[18], 0x1818);
    ck_assert_int_eq(mb_bus_read_regs(bus, 1, 3, 261, 1, hold), 0);
    ck_assert_uint_eq(hold[0], 160);
    ck_assert_int_lt(mb_bus_read_regs(bus, 1, 4, 0, 20, in), 0); /* past both: refused */
    mb_bus_free(bus);
    mb_test_line_free(srv);
}

END_TEST

/* A wallbox whose state is a holding register, sharing its unit with an SDM630 (input registers
 * from 0): the wallbox claims only the registers its model names, so both fit; the client reads
 * each device's values from the one unit. */
START_TEST(test_wallbox_and_meter_share_a_unit_without_overlap)
{
    struct mb_evse_custom g;
    char err[160];
    mb_evse_generic_init(&g, "box");
    static const char *const kv[][2] = {
        {"current_reg", "1000"}, {"state_reg", "1001"}, {"state_fc", "3"}};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_msg(mb_evse_generic_set(&g, kv[i][0], kv[i][1], err, sizeof(err)) == 0, "%s",
                      err);
    }
    ck_assert_msg(mb_evse_generic_finish(&g, err, sizeof(err)) == 0, "%s", err);
    struct sim_mbsrv *srv = mb_test_line_new(MB_TEST_TCP);
    sim_mbsrv_share_unit(srv, 3);
    struct sim_meter *meter = NULL;
    ck_assert_int_eq(sim_meter_new(srv, 3, mb_map_find("eastron-sdm630"), &meter), 0);
    struct sim_evse_cfg cfg = {
        .model = &g.model, .unit = 3, .car = true, .car_max_ma = 16000, .phases = 1};
    struct sim_evse *box = NULL;
    ck_assert_int_eq(sim_evse_new(srv, &cfg, &box), 0);
    int32_t ma[3] = {7000, 0, 0};
    ck_assert_int_eq(sim_meter_set_currents(meter, ma), 0);
    struct mb_bus *bus = mb_test_bus_new(srv, 1000);
    uint16_t w[2], st;
    ck_assert_int_eq(mb_bus_write_regs(bus, 3, 6, 1000, 1, (const uint16_t[]){10}), 0);
    ck_assert_int_eq(sim_evse_tick(box, 1000, NULL), 0);
    ck_assert_int_eq(mb_bus_read_regs(bus, 3, 3, 1001, 1, &st), 0);
    ck_assert_int_eq(mb_evse_decode_state(&g.model, st), MB_EVSE_STATE_C); /* charging at 10 A */
    ck_assert_int_eq(mb_bus_read_regs(bus, 3, 4, 0x0006, 2, w), 0);        /* L1 current, float */
    float f;
    uint32_t bits = (uint32_t)w[0] << 16 | w[1];
    memcpy(&f, &bits, sizeof(f));
    ck_assert_float_eq_tol(f, 7.0f, 1e-3f);
    mb_bus_free(bus);
    sim_evse_free(box);
    sim_meter_free(meter);
    mb_test_line_free(srv);
}

END_TEST

static Suite *sim_mbsrv_suite(void)
{
    Suite *s = suite_create("sim_mbsrv");
    TCase *tc = tcase_create("pty");
    tcase_add_test(tc, test_pty_line_never_deletes_a_file_at_its_link_path);
    tcase_add_test(tc, test_pty_line_replaces_a_stale_link_and_removes_its_own);
    tcase_add_test(tc, test_pty_line_leaves_a_link_someone_else_put_there);
    tcase_add_test(tc, test_write_log_keeps_applied_writes_in_order);
    tcase_add_test(tc, test_shared_unit_holds_both_devices_tables);
    tcase_add_test(tc, test_wallbox_and_meter_share_a_unit_without_overlap);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(sim_mbsrv_suite)
