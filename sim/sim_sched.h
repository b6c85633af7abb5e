/* SPDX-License-Identifier: MIT */
/*
 * The simulator's virtual clock in event time: one list of parties (simulated slaves and
 * meters, ampshare's bus drivers, the control tick, a bus's wire), each a sans-I/O service that
 * does what is due at now_ms and says when it is due next. sim_sched_run jumps the clock from
 * one due time to the earliest next one instead of stepping every millisecond, so an hour of a
 * bus costs a few thousand services, not 3.6 million.
 *
 * Rules (the ones the old 1 ms stepping had, so both give the same bytes):
 *   - at each due time the parties due are serviced in list order, each at most once per
 *     millisecond: a party woken again at a time it was already serviced at runs 1 ms later;
 *   - a party added at start_ms is first serviced 1 ms later; a run services the times after
 *     the clock's (that time is done), so a party woken from outside for now runs at now + 1;
 *   - a party's reported next time is "at the latest": servicing it earlier must be harmless,
 *     so anything that may make a party due sooner (bytes for it, a new target) wakes it.
 * Lockstep mode services every party every millisecond, as the simulator did before event
 * time: tests run both and compare the bytes, which holds every party's next time honest.
 *
 * Pure: no clock, no sleeping; --realtime pacing is a hook the caller provides.
 */
#ifndef SIM_SCHED_H
#define SIM_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enough for a site: per bus its wire, the slaves and the master, plus the control tick. */
#define SIM_SCHED_PARTIES 64

#define SIM_SCHED_NEVER UINT64_MAX

/*
 * Does the work due at now_ms and sets *next_ms to when the party is due next at the latest
 * (SIM_SCHED_NEVER: only when woken). Returns 0, or a negative code that stops sim_sched_run.
 */
typedef int sim_sched_fn(void *ctx, uint64_t now_ms, uint64_t *next_ms);

/*
 * --realtime: called before the clock moves to at_ms (from the time it is at); sleeps until
 * the wall clock matches. Returns 0, or a negative code (e.g. -EINTR on Ctrl-C) that stops
 * sim_sched_run with that code.
 */
typedef int sim_sched_pace_fn(void *ctx, uint64_t from_ms, uint64_t at_ms);

struct sim_sched_party {
    const char *name; /* borrowed: for messages */
    sim_sched_fn *fn;
    void *ctx;
    uint64_t due_ms;   /* next service at the latest */
    uint64_t last_ms;  /* last service (start_ms before the first) */
    uint64_t at_ms;    /* when it runs next: due_ms, once per ms at most (every ms in lockstep) */
    uint64_t services; /* how often it ran: for the bench */
};

struct sim_sched_stats {
    uint64_t services; /* party services run */
    uint64_t turns;    /* distinct times the clock stopped at */
};

struct sim_sched {
    struct sim_sched_party party[SIM_SCHED_PARTIES];
    size_t n;
    uint64_t now_ms;
    bool lockstep;
    sim_sched_pace_fn *pace;
    void *pace_ctx;
    struct sim_sched_stats stats;
    size_t pass_i;     /* the party the current pass is at (SIZE_MAX between passes) */
    uint64_t woken_ms; /* the earliest due a wake-up gave a party the pass is past */
};

/* Empty list, clock at start_ms, event time. */
void sim_sched_init(struct sim_sched *s, uint64_t start_ms);

/* Services every party every millisecond (the old stepping), for tests that compare. */
void sim_sched_set_lockstep(struct sim_sched *s, bool on);

/* Sets (NULL: clears) the --realtime hook. */
void sim_sched_set_pace(struct sim_sched *s, sim_sched_pace_fn *fn, void *ctx);

/*
 * Appends a party (name and ctx borrowed; they must outlive s), first serviced at now + 1 ms.
 * Returns its index, or -ENOSPC.
 */
int sim_sched_add(struct sim_sched *s, const char *name, sim_sched_fn *fn, void *ctx);

/* Makes party i due at at_ms at the latest (earlier than it said: bytes for it, a new input). */
void sim_sched_wake(struct sim_sched *s, int i, uint64_t at_ms);

/* When the next service is due (SIM_SCHED_NEVER if none). */
uint64_t sim_sched_next_ms(const struct sim_sched *s);

/*
 * Services every party due up to until_ms, in time order, then leaves the clock at until_ms.
 * Returns 0, or the first negative code of a party or of the pacing hook (the clock then stays
 * at the time it stopped).
 */
int sim_sched_run(struct sim_sched *s, uint64_t until_ms);

#endif
