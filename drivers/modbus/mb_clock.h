/* SPDX-License-Identifier: MIT */
/*
 * The clock the Modbus I/O layer runs on: monotonic milliseconds for reading timestamps, and a
 * sleep for inter-frame gaps. Injected, so tests and the poller can substitute their own.
 */
#ifndef MB_CLOCK_H
#define MB_CLOCK_H

#include <stdint.h>

struct mb_clock {
    uint64_t (*now_ms)(void *ctx);            /* monotonic ms */
    void (*sleep_ms)(void *ctx, uint32_t ms); /* may return early (e.g. on shutdown) */
    void *ctx;
};

/* CLOCK_MONOTONIC and clock_nanosleep(). */
extern const struct mb_clock mb_clock_monotonic;

/* Reads CLOCK_MONOTONIC in ms (for callers building their own clock). */
uint64_t mb_clock_monotonic_ms(void);

#endif
