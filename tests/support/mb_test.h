/* SPDX-License-Identifier: MIT */
/* Helpers for the Modbus tests: simulated lines on loopback TCP and on a fresh pty, and an
 * in-memory line with a meter and an EVSE on it. */
#ifndef MB_TEST_H
#define MB_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/modbus/mb_bus.h"
#include "sim/sim_mbsrv.h"

struct sim_meter;
struct sim_evse;

/* Which kind of line a looped test runs on. */
enum mb_test_line {
    MB_TEST_TCP = 0,
    MB_TEST_RTU = 1,
};

/* A started simulated line: TCP on 127.0.0.1 (free port), or a pty linked in a new temp dir.
 * Aborts the test on failure. */
struct sim_mbsrv *mb_test_line_new(enum mb_test_line kind);

/* Stops and frees the line and removes its temp dir. */
void mb_test_line_free(struct sim_mbsrv *srv);

/* A client bus for the line (timeout_ms per transaction). Aborts the test on failure. */
struct mb_bus *mb_test_bus_new(struct sim_mbsrv *srv, uint32_t timeout_ms);

/* The in-memory line "t" of the tests that step on virtual time, and its two devices: a meter
 * (MB_TEST_MEM_METER_MAP at MB_TEST_MEM_METER_UNIT) and an EVSE (MB_TEST_MEM_EVSE_MODEL at
 * MB_TEST_MEM_EVSE_UNIT) with a car plugged in that takes up to 32 A on 3 phases. */
#define MB_TEST_MEM_METER_UNIT 3
#define MB_TEST_MEM_METER_MAP  "eastron-sdm630"
#define MB_TEST_MEM_EVSE_UNIT  1
#define MB_TEST_MEM_EVSE_MODEL "heidelberg-ec"

struct mb_test_mem {
    struct sim_mbsrv *srv;
    struct sim_meter *meter;
    struct sim_evse *evse;
};

/* Makes the line and its devices into m. Aborts the test on failure. */
void mb_test_mem_new(struct mb_test_mem *m);

/* Frees the devices and the line. */
void mb_test_mem_free(struct mb_test_mem *m);

/* Sets the meter's fault (sim_mbsrv_set_unit_fault). Aborts the test on failure. */
void mb_test_mem_meter_fault(struct mb_test_mem *m, enum sim_mb_fault f, int arg);

/* Polls cond(ctx) every few ms until it holds or timeout_ms passes. Returns cond's last value. */
bool mb_test_wait_for(bool (*cond)(void *ctx), void *ctx, uint32_t timeout_ms);

#endif
