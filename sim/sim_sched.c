/* SPDX-License-Identifier: MIT */
/* The event-time clock (sim_sched.h). */
#include "sim/sim_sched.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* Once per millisecond at most: a party woken for a time it has already run at runs next ms. */
static uint64_t due_of(const struct sim_sched *s, const struct sim_sched_party *p)
{
    uint64_t soonest = p->last_ms + 1;
    if (s->lockstep) {
        return soonest;
    }
    return p->due_ms > soonest ? p->due_ms : soonest;
}

/* The party's next service time, kept with it (at_ms) whenever what it depends on changes. */
static void settle(const struct sim_sched *s, struct sim_sched_party *p)
{
    p->at_ms = due_of(s, p);
}

void sim_sched_init(struct sim_sched *s, uint64_t start_ms)
{
    memset(s, 0, sizeof(*s));
    s->now_ms = start_ms;
    s->pass_i = SIZE_MAX;
}

void sim_sched_set_lockstep(struct sim_sched *s, bool on)
{
    s->lockstep = on;
    for (size_t i = 0; i < s->n; i++) {
        settle(s, &s->party[i]);
    }
}

void sim_sched_set_pace(struct sim_sched *s, sim_sched_pace_fn *fn, void *ctx)
{
    s->pace = fn;
    s->pace_ctx = ctx;
}

int sim_sched_add(struct sim_sched *s, const char *name, sim_sched_fn *fn, void *ctx)
{
    if (s->n >= SIM_SCHED_PARTIES) {
        return -ENOSPC;
    }
    struct sim_sched_party *p = &s->party[s->n];
    p->name = name;
    p->fn = fn;
    p->ctx = ctx;
    p->due_ms = 0;
    p->last_ms = s->now_ms; /* as if serviced now: the first service is 1 ms later */
    settle(s, p);
    return (int)s->n++;
}

void sim_sched_wake(struct sim_sched *s, int i, uint64_t at_ms)
{
    if (i >= 0 && (size_t)i < s->n && at_ms < s->party[i].due_ms) {
        struct sim_sched_party *p = &s->party[i];
        p->due_ms = at_ms;
        settle(s, p);
        if ((size_t)i < s->pass_i) { /* passed already in this pass (or no pass runs) */
            s->woken_ms = p->at_ms < s->woken_ms ? p->at_ms : s->woken_ms;
        }
    }
}

uint64_t sim_sched_next_ms(const struct sim_sched *s)
{
    uint64_t next = SIM_SCHED_NEVER;
    for (size_t i = 0; i < s->n; i++) {
        next = s->party[i].at_ms < next ? s->party[i].at_ms : next;
    }
    return next;
}

/* Moves the clock to t, paced to the wall clock under --realtime. */
static int move_to(struct sim_sched *s, uint64_t t)
{
    if (s->pace && t > s->now_ms) {
        int rc = s->pace(s->pace_ctx, s->now_ms, t);
        if (rc < 0) {
            return rc;
        }
    }
    s->now_ms = t;
    return 0;
}

int sim_sched_run(struct sim_sched *s, uint64_t until_ms)
{
    uint64_t t = sim_sched_next_ms(s);
    for (;;) {
        /* the time the clock is at is done: what is woken for it now runs 1 ms later */
        t = t > s->now_ms ? t : s->now_ms + 1;
        if (t > until_ms) {
            break;
        }
        int rc = move_to(s, t);
        if (rc < 0) {
            return rc;
        }
        s->stats.turns++;
        /* in list order; a party may wake a later one for this very time. The next stop is
         * found on the way: the parties' dues after this pass, and any wake-up of one passed. */
        uint64_t next = SIM_SCHED_NEVER;
        s->woken_ms = SIM_SCHED_NEVER;
        for (size_t i = 0; i < s->n; i++) {
            struct sim_sched_party *p = &s->party[i];
            s->pass_i = i;
            if (p->at_ms <= t) {
                p->last_ms = t;
                p->due_ms = SIM_SCHED_NEVER; /* a wake during its own service is kept */
                uint64_t nx = SIM_SCHED_NEVER;
                rc = p->fn(p->ctx, t, &nx);
                s->stats.services++;
                p->services++;
                p->due_ms = nx < p->due_ms ? nx : p->due_ms;
                settle(s, p);
                if (rc < 0) {
                    return rc;
                }
            }
            next = p->at_ms < next ? p->at_ms : next;
        }
        s->pass_i = SIZE_MAX;
        t = s->woken_ms < next ? s->woken_ms : next;
    }
    return until_ms > s->now_ms ? move_to(s, until_ms) : 0;
}
