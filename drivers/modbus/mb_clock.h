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

/* Sleeps a virtual clock keeps (the oldest ones; the rest are only counted). */
#define MB_CLOCK_VIRTUAL_SLEEPS 32

/*
 * A virtual clock for runs faster than real time and for tests of timing rules: time stands
 * still until a sleep moves it (by exactly the time asked) or the owner moves it
 * (mb_clock_virtual_advance); every sleep is recorded with the time it began. One thread.
 */
struct mb_clock_virtual {
    struct mb_clock clock; /* pass &v->clock wherever a clock is wanted */
    uint64_t now_ms;
    uint32_t n_sleeps;

    struct {
        uint64_t at_ms; /* when the sleep began */
        uint32_t ms;    /* how long it was */
    } sleeps[MB_CLOCK_VIRTUAL_SLEEPS];
};

/* Starts v at start_ms with no sleeps recorded. */
void mb_clock_virtual_init(struct mb_clock_virtual *v, uint64_t start_ms);

/* Moves v forward by ms without recording a sleep (time spent elsewhere). */
void mb_clock_virtual_advance(struct mb_clock_virtual *v, uint64_t ms);

#endif
