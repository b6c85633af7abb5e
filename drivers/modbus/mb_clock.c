/* SPDX-License-Identifier: MIT */
/*
 * The real clock of the Modbus I/O layer. The poller thread and the commissioning command run on
 * it; the pure layers below (decode, maps, plans) never see a clock.
 */
#include "drivers/modbus/mb_clock.h"

#include <errno.h>
#include <time.h>

#include "drivers/base/amp_clock.h"

uint64_t mb_clock_monotonic_ms(void)
{
    return amp_clock_mono_ms();
}

static uint64_t mono_now(void *ctx)
{
    (void)ctx;
    return mb_clock_monotonic_ms();
}

static void mono_sleep(void *ctx, uint32_t ms)
{
    (void)ctx;
    struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
}

const struct mb_clock mb_clock_monotonic = {
    .now_ms = mono_now,
    .sleep_ms = mono_sleep,
    .ctx = NULL,
};
