/* SPDX-License-Identifier: MIT */
/*
 * The real clock of the Modbus I/O layer. The poller thread and the commissioning command run on
 * it; the pure layers below (decode, maps, plans) never see a clock.
 */
#include "drivers/modbus/mb_clock.h"

#include <errno.h>
#include <string.h>
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

static uint64_t virtual_now(void *ctx)
{
    const struct mb_clock_virtual *v = ctx;
    return v->now_ms;
}

static void virtual_sleep(void *ctx, uint32_t ms)
{
    struct mb_clock_virtual *v = ctx;
    if (v->n_sleeps < MB_CLOCK_VIRTUAL_SLEEPS) {
        v->sleeps[v->n_sleeps].at_ms = v->now_ms;
        v->sleeps[v->n_sleeps].ms = ms;
    }
    v->n_sleeps++;
    v->now_ms += ms;
}

void mb_clock_virtual_init(struct mb_clock_virtual *v, uint64_t start_ms)
{
    memset(v, 0, sizeof(*v));
    v->clock.now_ms = virtual_now;
    v->clock.sleep_ms = virtual_sleep;
    v->clock.ctx = v;
    v->now_ms = start_ms;
}

void mb_clock_virtual_advance(struct mb_clock_virtual *v, uint64_t ms)
{
    v->now_ms += ms;
}
