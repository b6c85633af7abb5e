/* SPDX-License-Identifier: MIT */
/*
 * The poller thread of one Modbus bus and its hand-off struct. The lock is held only to copy
 * values in or out, never across I/O, so the controller's calls cost a mutex and a memcpy.
 */
#include "drivers/modbus/mb_poller.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"
#include "drivers/modbus/mb_bus.h"
#include "drivers/modbus/mb_meter.h"

struct dev {
    /* configuration: fixed once the thread runs */
    char name[40];
    uint8_t unit;
    const struct mb_map *map;
    struct mb_plan plan;
    const struct mb_evse_model *evse;
    uint32_t interval_ms;
    int32_t failsafe_ma;

    /* the thread's own */
    uint64_t next_read;  /* monotonic ms */
    uint64_t next_write; /* earliest retry of a failed write */
    uint64_t next_setup;
    uint64_t next_keepalive;
    uint32_t fails;      /* meter reads failed in a row */
    uint32_t evse_fails; /* EVSE transactions failed in a row */
    bool setup_done;
    bool enabled;

    /* shared with the controller, under the lock */
    struct mb_reading latest;
    int latest_rc;
    struct mb_evse_status st;
    /* moved (under the lock) by every change of latest, latest_rc or st: the controller reads
     * it without the lock and copies only when it moved (mb_poller_seq) */
    _Atomic uint32_t seq;
};

struct mb_poller {
    struct mb_poller_opts opts;
    struct mb_bus *bus;
    struct mb_clock bus_clock;
    struct dev dev[MB_POLLER_DEVS_MAX];
    size_t n_dev;
    pthread_t thread;
    bool started;
    bool manual;         /* in-memory line: no thread, stepped by mb_poller_step */
    uint64_t manual_now; /* ... at this time */
    uint64_t manual_due; /* ... and no pass is needed before this (0: one is) */
    bool draining;       /* the thread's own: writing the last setpoints after a stop */

    bool silenced; /* the thread's own: EVSE traffic held (the loop is silent or not started) */
    bool lost;     /* ... since the loop fell silent after ticking (not merely not started) */

    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC: setpoints and stop wake the thread */
    bool stop;
    bool finished;        /* the thread wrote its last setpoints and returns */
    bool alive_ever;      /* mb_poller_alive() was called */
    uint64_t alive_at_ms; /* ... last at this time (opts.clock) */
};

static uint64_t mono_now(void *ctx)
{
    (void)ctx;
    return mb_clock_monotonic_ms();
}

/* The time the schedules run on: the monotonic clock, or the stepped time of a manual poller. */
static uint64_t sched_now(const struct mb_poller *p)
{
    return p->manual ? p->manual_now : mb_clock_monotonic_ms();
}

static uint64_t manual_now(void *ctx)
{
    return sched_now(ctx);
}

static void manual_sleep(void *ctx, uint32_t ms)
{
    (void)ctx; /* an in-memory line keeps no gaps (mb_bus_new_mem) */
    (void)ms;
}

/* Waits until the monotonic deadline, a wake-up, or stop. Call with the lock held. */
static void wait_until(struct mb_poller *p, uint64_t deadline_ms)
{
    struct timespec ts = {
        .tv_sec = (time_t)(deadline_ms / 1000u),
        .tv_nsec = (long)(deadline_ms % 1000u) * 1000000L,
    };
    pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

/* The bus's gap sleep: cut short by stop, so free() never waits for a gap. */
static void bus_sleep(void *ctx, uint32_t ms)
{
    struct mb_poller *p = ctx;
    if (p->draining) {
        /* The last setpoints still need the device's gap. */
        mb_clock_monotonic.sleep_ms(mb_clock_monotonic.ctx, ms);
        return;
    }
    uint64_t deadline = mb_clock_monotonic_ms() + ms;
    pthread_mutex_lock(&p->lock);
    while (!p->stop && mb_clock_monotonic_ms() < deadline) {
        wait_until(p, deadline);
    }
    pthread_mutex_unlock(&p->lock);
}

/* What the controller can copy of d changed. Call with the lock held. */
static void changed(struct dev *d)
{
    atomic_fetch_add_explicit(&d->seq, 1u, memory_order_release);
}

static uint64_t stamp(struct mb_poller *p)
{
    return p->manual ? p->manual_now : p->opts.clock->now_ms(p->opts.clock->ctx);
}

int mb_poller_new(const struct mb_poller_opts *opts, struct mb_poller **out)
{
    *out = NULL;
    struct mb_poller *p = calloc(1, sizeof(*p));
    if (!p) {
        return -ENOMEM;
    }
    p->opts = *opts;
    if (!p->opts.clock) {
        p->opts.clock = &mb_clock_monotonic;
    }
    if (!p->opts.backoff_ms) {
        p->opts.backoff_ms = MB_POLLER_BACKOFF_DEFAULT;
    }
    if (!p->opts.liveness_ms) {
        p->opts.liveness_ms = MB_POLLER_LIVENESS_DEFAULT;
    }
    p->silenced = p->opts.liveness_ms != MB_POLLER_LIVENESS_OFF; /* until the first tick */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&p->lock, NULL);
    p->manual = opts->mem != NULL;
    p->bus_clock = p->manual
                       ? (struct mb_clock){.now_ms = manual_now, .sleep_ms = manual_sleep, .ctx = p}
                       : (struct mb_clock){.now_ms = mono_now, .sleep_ms = bus_sleep, .ctx = p};
    struct mb_bus_opts bo = {
        .timeout_ms = opts->timeout_ms,
        .gap_ms = opts->gap_ms,
        .clock = &p->bus_clock,
    };
    int rc = p->manual ? mb_bus_new_mem(opts->mem, opts->mem_ctx, opts->mem_label, &bo, &p->bus)
                       : mb_bus_new(&opts->addr, &bo, &p->bus);
    if (rc < 0) {
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int mb_poller_add(struct mb_poller *p, const struct mb_poller_dev_cfg *cfg)
{
    if (p->started) {
        return -EBUSY;
    }
    if (p->n_dev >= MB_POLLER_DEVS_MAX) {
        return -ENOSPC;
    }
    if ((!cfg->map && !cfg->evse) ||
        (mb_bus_is_rtu(p->bus) && (cfg->unit < 1 || cfg->unit > 247))) {
        return -EINVAL;
    }
    struct dev *d = &p->dev[p->n_dev];
    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "%s", cfg->name ? cfg->name : "device");
    d->unit = cfg->unit;
    d->map = cfg->map;
    d->evse = cfg->evse;
    d->interval_ms = cfg->interval_ms ? cfg->interval_ms : MB_POLLER_INTERVAL_DEFAULT;
    d->latest_rc = -EAGAIN; /* no read yet */
    atomic_init(&d->seq, 0u);
    if (d->map) {
        if (mb_map_plan(d->map, &d->plan) != 0) {
            return -EINVAL;
        }
        mb_bus_raise_gap(p->bus, d->map->gap_ms);
    }
    if (d->evse) {
        if (mb_evse_validate(d->evse, NULL, 0) != 0) {
            return -EINVAL;
        }
        d->failsafe_ma = cfg->failsafe_ma >= 0 ? cfg->failsafe_ma : d->evse->failsafe_ma;
        if (d->evse->has_failsafe && (mb_evse_check_current(d->evse, d->failsafe_ma) != 0 ||
                                      (d->failsafe_ma == 0 && !d->evse->zero_pauses))) {
            return -EINVAL;
        }
        mb_bus_raise_gap(p->bus, d->evse->gap_ms);
        d->st.silenced = p->silenced;
        d->st.requested_ma = -1;
        d->st.applied_ma = -1;
        d->st.offer_ma = -1;
    }
    return (int)p->n_dev++;
}

/* ---- the thread ---- */

static bool stopping(struct mb_poller *p)
{
    pthread_mutex_lock(&p->lock);
    bool s = p->stop;
    pthread_mutex_unlock(&p->lock);
    return s;
}

static uint32_t retry_ms(struct mb_poller *p, const struct dev *d, uint32_t fails)
{
    return fails >= MB_POLLER_FAILS_FOR_BACKOFF && p->opts.backoff_ms > d->interval_ms
               ? p->opts.backoff_ms
               : d->interval_ms;
}

static void note_evse_result(struct mb_poller *p, struct dev *d, int rc)
{
    if (rc == 0) {
        if (d->evse_fails >= MB_POLLER_FAILS_FOR_BACKOFF) {
            log_info("mb", "evse %s (unit %u on %s) answers again after %u failures", d->name,
                     d->unit, mb_bus_label(p->bus), d->evse_fails);
        }
        d->evse_fails = 0;
        if (d->evse->keepalive_kind == MB_EVSE_KEEPALIVE_TRAFFIC) {
            d->next_keepalive = sched_now(p) + d->evse->keepalive_ms;
        }
        return;
    }
    if (d->evse_fails++ == 0) {
        log_warn("mb", "evse %s (unit %u on %s): %s", d->name, d->unit, mb_bus_label(p->bus),
                 amp_strerror(rc));
    }
    if (d->evse_fails == MB_POLLER_FAILS_FOR_BACKOFF) {
        /* Lost: it may come back restarted, with its own default current and enable. Redo the
         * setup (watchdog, fail-safe), then write the setpoint in force and the enable again:
         * the write before the loss no longer counts. */
        d->setup_done = false;
        d->enabled = false;
        pthread_mutex_lock(&p->lock);
        d->st.pending = d->st.requested_ma >= 0;
        changed(d);
        pthread_mutex_unlock(&p->lock);
    }
}

static void service_write(struct mb_poller *p, struct dev *d, uint64_t now)
{
    pthread_mutex_lock(&p->lock);
    bool pending = d->st.pending;
    int32_t target = d->st.requested_ma;
    pthread_mutex_unlock(&p->lock);
    if (!pending || now < d->next_write) {
        return;
    }
    int rc = mb_evse_apply(d->evse, p->bus, d->unit, target, &d->enabled);
    note_evse_result(p, d, rc);
    uint64_t at = stamp(p);
    pthread_mutex_lock(&p->lock);
    d->st.last_rc = rc;
    if (rc == 0) {
        d->st.applied_ma = target;
        d->st.applied_at_ms = at;
        d->st.pending = d->st.requested_ma != target; /* a newer setpoint may have come */
    }
    changed(d);
    pthread_mutex_unlock(&p->lock);
    if (rc < 0) {
        d->next_write = sched_now(p) + retry_ms(p, d, d->evse_fails);
    }
}

static void service_evse(struct mb_poller *p, struct dev *d, uint64_t now)
{
    const struct mb_evse_model *m = d->evse;
    if (!d->setup_done && now >= d->next_setup) {
        int rc = m->ops->setup ? m->ops->setup(m, p->bus, d->unit, d->failsafe_ma) : 0;
        note_evse_result(p, d, rc);
        if (rc < 0) {
            d->next_setup = sched_now(p) + retry_ms(p, d, d->evse_fails);
            pthread_mutex_lock(&p->lock);
            d->st.last_rc = rc;
            changed(d);
            pthread_mutex_unlock(&p->lock);
            return;
        }
        d->setup_done = true;
    }
    if (!d->setup_done) {
        return;
    }
    service_write(p, d, now);
    if (m->keepalive_kind != MB_EVSE_KEEPALIVE_NONE && m->ops->keepalive &&
        now >= d->next_keepalive) {
        int rc = m->ops->keepalive(m, p->bus, d->unit);
        note_evse_result(p, d, rc);
        if (rc < 0 || m->keepalive_kind == MB_EVSE_KEEPALIVE_WRITE) {
            d->next_keepalive =
                sched_now(p) + (rc < 0 ? retry_ms(p, d, d->evse_fails) : m->keepalive_ms);
        }
    }
}

static void read_evse_state(struct mb_poller *p, struct dev *d)
{
    if (d->evse->state_format == MB_EVSE_STATE_NONE || !d->evse->ops->read_state) {
        return;
    }
    enum mb_evse_state s = MB_EVSE_STATE_UNKNOWN;
    uint64_t at = stamp(p);
    int rc = d->evse->ops->read_state(d->evse, p->bus, d->unit, &s);
    note_evse_result(p, d, rc);
    /* what the EVSE has in force, not what was written: a box that reset or ignored a write
     * shows it here */
    int32_t offer = -1;
    uint64_t offer_at = stamp(p);
    int orc = rc == 0 ? mb_evse_read_offer(d->evse, p->bus, d->unit, &offer) : rc;
    if (rc == 0) {
        note_evse_result(p, d, orc);
    }
    pthread_mutex_lock(&p->lock);
    d->st.state = rc == 0 ? s : MB_EVSE_STATE_UNKNOWN;
    d->st.state_at_ms = at;
    d->st.offer_ma = orc == 0 ? offer : -1;
    d->st.offer_at_ms = offer_at;
    d->st.last_rc = rc == 0 ? orc : rc;
    changed(d);
    pthread_mutex_unlock(&p->lock);
}

static void read_meter(struct mb_poller *p, struct dev *d)
{
    struct mb_reading r;
    struct mb_block failed = {0, 0};
    uint64_t at = stamp(p);
    int rc = mb_meter_read(p->bus, d->unit, d->map, &d->plan, &r, &failed);
    r.at_ms = at;
    if (rc == 0) {
        if (d->fails >= MB_POLLER_FAILS_FOR_BACKOFF) {
            log_info("mb", "meter %s (unit %u on %s) answers again after %u failed reads", d->name,
                     d->unit, mb_bus_label(p->bus), d->fails);
        }
        d->fails = 0;
    } else if (d->fails++ == 0) {
        log_warn("mb", "meter %s (unit %u on %s, %s): read failed at register 0x%04x: %s", d->name,
                 d->unit, mb_bus_label(p->bus), d->map->name, failed.addr, amp_strerror(rc));
    }
    pthread_mutex_lock(&p->lock);
    d->latest = r;
    d->latest_rc = rc;
    changed(d);
    pthread_mutex_unlock(&p->lock);
}

/* Whether the control loop stamped its liveness recently enough (see mb_poller_opts). */
static bool loop_alive(struct mb_poller *p)
{
    if (p->opts.liveness_ms == MB_POLLER_LIVENESS_OFF) {
        return true;
    }
    pthread_mutex_lock(&p->lock);
    bool ever = p->alive_ever;
    uint64_t at = p->alive_at_ms;
    pthread_mutex_unlock(&p->lock);
    uint64_t now = stamp(p);
    return ever && (now <= at || now - at <= p->opts.liveness_ms);
}

/* Enters or leaves the silence (once per change, with a log line). Leaving it, every EVSE is
 * treated as one that came back: its fail-safe may be in force, so set-up and setpoint again. */
static void set_silenced(struct mb_poller *p, bool silent)
{
    if (silent == p->silenced) {
        return;
    }
    p->silenced = silent;
    bool any = false;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_dev; i++) {
        struct dev *d = &p->dev[i];
        if (d->evse) {
            any = true;
            d->st.silenced = silent;
            if (!silent) {
                d->setup_done = false;
                d->enabled = false;
                d->next_setup = 0;
                d->st.pending = d->st.requested_ma >= 0;
            }
            changed(d);
        }
    }
    pthread_mutex_unlock(&p->lock);
    bool was_lost = p->lost;
    p->lost = silent;
    if (!any || (!silent && !was_lost)) {
        return; /* the first tick after the start says nothing */
    }
    if (silent) {
        log_warn("mb",
                 "%s: the control loop is silent (no tick for %u ms): nothing more is sent "
                 "to its chargers, so their own watchdogs fall back to their fail-safe current",
                 mb_bus_label(p->bus), p->opts.liveness_ms);
    } else {
        log_info("mb", "%s: the control loop ticks again: chargers are set up and driven again",
                 mb_bus_label(p->bus));
    }
}

static void service(struct mb_poller *p, struct dev *d)
{
    uint64_t now = sched_now(p);
    if (d->evse && p->silenced) {
        return; /* not even a read: any transaction feeds a traffic watchdog (Heidelberg) */
    }
    if (d->evse) {
        service_evse(p, d, now);
    }
    if (now < d->next_read) {
        return;
    }
    if (d->map) {
        read_meter(p, d);
    }
    if (d->evse && d->setup_done) {
        read_evse_state(p, d);
    }
    uint32_t fails = d->map ? d->fails : d->evse_fails;
    d->next_read = now + retry_ms(p, d, fails);
}

/* The earliest monotonic time any device needs the thread. While silenced, EVSEs need it only
 * to notice the loop's return (mb_poller_alive also wakes it). */
static uint64_t next_due(struct mb_poller *p)
{
    uint64_t due = UINT64_MAX;
    for (size_t i = 0; i < p->n_dev; i++) {
        struct dev *d = &p->dev[i];
        if (d->evse && p->silenced) {
            uint64_t again = sched_now(p) + 200;
            due = again < due ? again : due;
            continue;
        }
        if (d->next_read < due) {
            due = d->next_read;
        }
        if (!d->evse) {
            continue;
        }
        if (!d->setup_done && d->next_setup < due) {
            due = d->next_setup;
        }
        if (d->setup_done && d->st.pending && d->next_write < due) {
            due = d->next_write;
        }
        if (d->setup_done && d->evse->keepalive_kind != MB_EVSE_KEEPALIVE_NONE &&
            d->next_keepalive < due) {
            due = d->next_keepalive;
        }
    }
    return due;
}

static void drain(struct mb_poller *p);

/* New work for the thread (or, in memory, for the next step). Call with the lock held. */
static void signal_work(struct mb_poller *p)
{
    p->manual_due = 0;
    pthread_cond_broadcast(&p->cond);
}

static void *run(void *arg)
{
    struct mb_poller *p = arg;
    while (!stopping(p)) {
        set_silenced(p, !loop_alive(p));
        for (size_t i = 0; i < p->n_dev && !stopping(p); i++) {
            service(p, &p->dev[i]);
        }
        pthread_mutex_lock(&p->lock);
        uint64_t due = next_due(p);
        if (!p->stop && due > mb_clock_monotonic_ms()) {
            wait_until(p, due == UINT64_MAX ? mb_clock_monotonic_ms() + 1000 : due);
        }
        pthread_mutex_unlock(&p->lock);
    }
    drain(p);
    return NULL;
}

int mb_poller_start(struct mb_poller *p)
{
    if (p->started) {
        return -EBUSY;
    }
    if (p->manual) {
        p->started = true;
        return 0;
    }
    int rc = pthread_create(&p->thread, NULL, run, p);
    if (rc != 0) {
        return -rc;
    }
    p->started = true;
    return 0;
}

/* Last words: setpoints queued before the stop (safe limits at shutdown) go out; then the
 * poller is finished (mb_poller_stopped). */
static void drain(struct mb_poller *p)
{
    p->draining = true;
    for (size_t i = 0; i < p->n_dev; i++) {
        struct dev *d = &p->dev[i];
        if (d->evse) {
            d->next_write = 0;
            service_write(p, d, sched_now(p));
        }
    }
    pthread_mutex_lock(&p->lock);
    p->finished = true;
    pthread_mutex_unlock(&p->lock);
}

int mb_poller_step(struct mb_poller *p, uint64_t now_ms)
{
    if (!p->manual) {
        return -EINVAL;
    }
    p->manual_now = now_ms > p->manual_now ? now_ms : p->manual_now;
    if (!p->started) {
        return 0;
    }
    bool silent = !loop_alive(p);
    if (silent == p->silenced && p->manual_now < p->manual_due) {
        return 0; /* nothing due: a pass would change nothing (the simulator steps often) */
    }
    set_silenced(p, silent);
    for (size_t i = 0; i < p->n_dev; i++) {
        service(p, &p->dev[i]);
    }
    pthread_mutex_lock(&p->lock);
    p->manual_due = next_due(p); /* until a wake-up says otherwise */
    pthread_mutex_unlock(&p->lock);
    return 0;
}

bool mb_poller_is_mem(const struct mb_poller *p)
{
    return p->manual;
}

void mb_poller_stop(struct mb_poller *p)
{
    if (p && p->started && p->manual) {
        if (!p->finished) {
            drain(p); /* no thread: the last setpoints go out now */
        }
        return;
    }
    if (p && p->started) {
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        signal_work(p);
        pthread_mutex_unlock(&p->lock);
    }
}

bool mb_poller_stopped(struct mb_poller *p)
{
    if (!p || !p->started) {
        return true;
    }
    pthread_mutex_lock(&p->lock);
    bool done = p->finished;
    pthread_mutex_unlock(&p->lock);
    return done;
}

void mb_poller_free(struct mb_poller *p)
{
    if (!p) {
        return;
    }
    mb_poller_stop(p);
    if (p->started && !p->manual) {
        pthread_join(p->thread, NULL);
    }
    mb_bus_free(p->bus);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static struct dev *dev_at(struct mb_poller *p, int dev)
{
    return dev >= 0 && (size_t)dev < p->n_dev ? &p->dev[dev] : NULL;
}

int mb_poller_latest(struct mb_poller *p, int dev, struct mb_reading *out)
{
    struct dev *d = dev_at(p, dev);
    if (!d || !d->map) {
        return -EINVAL;
    }
    pthread_mutex_lock(&p->lock);
    *out = d->latest;
    int rc = d->latest_rc;
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int mb_poller_set_current(struct mb_poller *p, int dev, int32_t ma)
{
    struct dev *d = dev_at(p, dev);
    if (!d) {
        return -EINVAL;
    }
    if (!d->evse) {
        return -ENOTSUP;
    }
    int rc = mb_evse_check_current(d->evse, ma);
    if (rc < 0) {
        return rc;
    }
    pthread_mutex_lock(&p->lock);
    if (d->st.requested_ma != ma || d->st.applied_ma != ma) {
        d->st.requested_ma = ma;
        d->st.pending = d->st.applied_ma != ma;
        changed(d);
        signal_work(p);
    }
    pthread_mutex_unlock(&p->lock);
    return 0;
}

void mb_poller_alive(struct mb_poller *p, uint64_t now_ms)
{
    pthread_mutex_lock(&p->lock);
    bool wake = !p->alive_ever || now_ms - p->alive_at_ms > p->opts.liveness_ms;
    p->alive_ever = true;
    p->alive_at_ms = now_ms > p->alive_at_ms ? now_ms : p->alive_at_ms;
    if (wake) {
        signal_work(p); /* a silenced bus talks again at once */
    }
    pthread_mutex_unlock(&p->lock);
}

uint32_t mb_poller_seq(struct mb_poller *p, int dev)
{
    struct dev *d = dev_at(p, dev);
    return d ? atomic_load_explicit(&d->seq, memory_order_acquire) : 0;
}

int mb_poller_evse_status(struct mb_poller *p, int dev, struct mb_evse_status *out)
{
    struct dev *d = dev_at(p, dev);
    if (!d) {
        return -EINVAL;
    }
    if (!d->evse) {
        return -ENOTSUP;
    }
    pthread_mutex_lock(&p->lock);
    *out = d->st;
    pthread_mutex_unlock(&p->lock);
    return 0;
}
