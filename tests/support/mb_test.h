/* SPDX-License-Identifier: MIT */
/* Helpers for the Modbus tests: simulated lines on loopback TCP and on a fresh pty. */
#ifndef MB_TEST_H
#define MB_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/modbus/mb_bus.h"
#include "sim/sim_mbsrv.h"

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

/* Polls cond(ctx) every few ms until it holds or timeout_ms passes. Returns cond's last value. */
bool mb_test_wait_for(bool (*cond)(void *ctx), void *ctx, uint32_t timeout_ms);

#endif
