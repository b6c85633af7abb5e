/* SPDX-License-Identifier: MIT */
/* Simulated Modbus lines for tests. */
#include "tests/support/mb_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_clock.h"
#include "sim/sim_evse.h"
#include "sim/sim_meter.h"

struct sim_mbsrv *mb_test_line_new(enum mb_test_line kind)
{
    struct tp_addr a;
    memset(&a, 0, sizeof(a));
    if (kind == MB_TEST_TCP) {
        a.kind = TP_ADDR_TCP;
        snprintf(a.host, sizeof(a.host), "127.0.0.1");
        a.port = 0;
    } else {
        char dir[] = "/tmp/ampshare-mbtest-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        a.kind = TP_ADDR_PTY;
        snprintf(a.path, sizeof(a.path), "%s/link", dir);
    }
    struct sim_mbsrv *srv;
    char err[256] = "";
    int rc = sim_mbsrv_new(&a, &srv, err, sizeof(err));
    ck_assert_msg(rc == 0, "sim line: %s", err);
    ck_assert_int_eq(sim_mbsrv_start(srv), 0);
    return srv;
}

void mb_test_line_free(struct sim_mbsrv *srv)
{
    if (!srv) {
        return;
    }
    char dir[300] = "";
    const char *ca = sim_mbsrv_client_addr(srv);
    if (strncmp(ca, "serial:", 7) == 0) {
        snprintf(dir, sizeof(dir), "%s", ca + 7);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
        }
    }
    sim_mbsrv_free(srv);
    if (dir[0]) {
        rmdir(dir);
    }
}

struct mb_bus *mb_test_bus_new(struct sim_mbsrv *srv, uint32_t timeout_ms)
{
    struct tp_addr a;
    char err[256] = "";
    ck_assert_msg(tp_addr_parse(sim_mbsrv_client_addr(srv), &a, err, sizeof(err)) == 0, "%s", err);
    struct mb_bus_opts o = {.timeout_ms = timeout_ms};
    struct mb_bus *bus;
    ck_assert_int_eq(mb_bus_new(&a, &o, &bus), 0);
    return bus;
}

void mb_test_mem_new(struct mb_test_mem *m)
{
    memset(m, 0, sizeof(*m));
    ck_assert_int_eq(sim_mbsrv_new_mem("t", &m->srv), 0);
    ck_assert_int_eq(sim_meter_new(m->srv, MB_TEST_MEM_METER_UNIT,
                                   mb_map_find(MB_TEST_MEM_METER_MAP), &m->meter),
                     0);
    struct sim_evse_cfg ec = {
        .model = mb_evse_find(MB_TEST_MEM_EVSE_MODEL),
        .unit = MB_TEST_MEM_EVSE_UNIT,
        .car = true,
        .car_max_ma = 32000,
        .phases = 3,
    };
    ck_assert_int_eq(sim_evse_new(m->srv, &ec, &m->evse), 0);
}

void mb_test_mem_free(struct mb_test_mem *m)
{
    sim_evse_free(m->evse);
    sim_meter_free(m->meter);
    sim_mbsrv_free(m->srv);
}

void mb_test_mem_meter_fault(struct mb_test_mem *m, enum sim_mb_fault f, int arg)
{
    ck_assert_int_eq(sim_mbsrv_set_unit_fault(m->srv, MB_TEST_MEM_METER_UNIT, f, arg), 0);
}

bool mb_test_wait_for(bool (*cond)(void *ctx), void *ctx, uint32_t timeout_ms)
{
    uint64_t end = mb_clock_monotonic_ms() + timeout_ms;
    for (;;) {
        if (cond(ctx)) {
            return true;
        }
        if (mb_clock_monotonic_ms() >= end) {
            return cond(ctx);
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
