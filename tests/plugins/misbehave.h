/* SPDX-License-Identifier: MIT */
/*
 * The body of the misbehaving test plugins (crash_segv.c, crash_abort.c, overrun.c, hang.c,
 * garbage.c): each defines MISBEHAVE and includes this. Until its option `after` (ticks,
 * default 0) has passed, a plugin answers every plugged-in EVSE with its minimum, a value the
 * fallback (equal share) never gives on the test sites; then it misbehaves on every tick.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policies/ampshare_policy.h"

#define MB_SEGV    1
#define MB_ABORT   2
#define MB_OVERRUN 3
#define MB_HANG    4
#define MB_GARBAGE 5

struct mb_state {
    long after;
    long ticks;
};

static int mb_init(const struct ampshare_policy_host *host,
                   const struct ampshare_policy_option *opt,
                   size_t n_opt,
                   void **state)
{
    (void)host;
    struct mb_state *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n_opt; i++) {
        if (strcmp(opt[i].key, "after") == 0) {
            s->after = strtol(opt[i].value, NULL, 10);
        } else {
            free(s);
            return -EINVAL;
        }
    }
    *state = s;
    return 0;
}

static void misbehave(const struct mb_state *s,
                      const struct ampshare_policy_input *in,
                      struct ampshare_policy_output *out)
{
    (void)s;
#if MISBEHAVE == MB_SEGV
    (void)in, (void)out;
    /* page zero, hidden from the optimiser (which drops a store it can prove invalid) */
    uintptr_t nowhere = 16;
    __asm__ volatile("" : "+r"(nowhere));
    *(volatile int *)nowhere = 1;
#elif MISBEHAVE == MB_ABORT
    (void)in, (void)out;
    abort();
#elif MISBEHAVE == MB_OVERRUN
    /* far past both arrays: the heap is wrecked long before the loop ends */
    for (size_t i = 0; i < in->n_evse + (64u << 20); i++) {
        ((volatile int32_t *)out->target_ma)[i] = 1 << 30;
        ((volatile uint8_t *)out->why)[i] = 0xff;
    }
#elif MISBEHAVE == MB_HANG
    (void)in, (void)out;
    for (volatile unsigned long spin = 0;; spin++) {
    }
#elif MISBEHAVE == MB_GARBAGE
    /* a plugin that finds the host's socket and writes into it */
    (void)in, (void)out;
    static const char junk[] = "\xde\xad\xbe\xef\x10\x00\x00\x00garbage garbage!";
    for (int fd = 3; fd < 64; fd++) {
        (void)!write(fd, junk, sizeof(junk) - 1);
    }
#endif
}

static int
mb_allocate(void *state, const struct ampshare_policy_input *in, struct ampshare_policy_output *out)
{
    struct mb_state *s = state;
    if (s->ticks++ >= s->after) {
        misbehave(s, in, out);
    }
    for (size_t i = 0; i < in->n_evse; i++) {
        const struct ampshare_policy_evse *e = ampshare_policy_evse_at(in, i);
        out->target_ma[i] = e->state == AMPSHARE_EVSE_UNPLUGGED ? 0 : e->min_ma;
    }
    return 0;
}

static void mb_destroy(void *state)
{
    free(state);
}

static const struct ampshare_policy mb_policy = {
    .abi_major = AMPSHARE_POLICY_ABI_MAJOR,
    .abi_minor = AMPSHARE_POLICY_ABI_MINOR,
    .struct_size = sizeof(struct ampshare_policy),
    .name = MISBEHAVE_NAME,
    .version = "1",
    .init = mb_init,
    .allocate = mb_allocate,
    .destroy = mb_destroy,
};

AMPSHARE_POLICY_EXPORT const struct ampshare_policy *ampshare_policy_entry(uint16_t major,
                                                                           uint16_t minor)
{
    (void)minor;
    return major == AMPSHARE_POLICY_ABI_MAJOR ? &mb_policy : NULL;
}
