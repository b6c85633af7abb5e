/* SPDX-License-Identifier: MIT */
/*
 * The site controller: the allocation engine, the live site state, the control tick, its
 * result, the safe stop and the reload, for every kind of EVSE at once. The daemon, `ampshare
 * sim seed` and the fleet simulator all run this.
 *
 * Drivers reach it through thin adapters (controller/ctl_twc for Wall Connector masters,
 * controller/ctl_mb for Modbus meters and EVSEs), each a few callbacks:
 *   service — (optional) what runs on every step, between ticks too;
 *   read    — report what the hardware said, through ctl_report_evse() / ctl_report_meter(),
 *             the one place that turns readings into the engine's input;
 *   apply   — hand ctl_target_ma() of each of its EVSEs to the hardware.
 *
 * Every ctl_step(now_ms) services every adapter; when a tick is due (the first call, then every
 * site->control_interval_ms) it reads every adapter, runs the engine and then has every adapter
 * apply the result.
 * After ctl_stop() no tick runs any more: every target is the shutdown current, applied on
 * every step.
 *
 * Pure: no I/O, no clock (time comes in as now_ms), no allocation after ctl_new and
 * ctl_reload. The site and the policy are borrowed. docs/control.md describes the mapping.
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/engine/alloc.h"
#include "controller/engine/site.h"
#include "policies/ampshare_policy.h"

#define CTL_ADAPTERS_MAX 4

struct ctl;

struct ctl_adapter_ops {
    const char *name;
    /* On every step, optional: what runs between ticks (the Modbus pollers' liveness, the
     * simulator's in-memory lines). */
    void (*service)(void *self, struct ctl *c, uint64_t now_ms);
    /* The adapter's readings into the controller: before each tick (and on every step once
     * stopping), so the engine decides on what is newest. */
    void (*read)(void *self, struct ctl *c, uint64_t now_ms);
    void (*apply)(void *self, struct ctl *c, uint64_t now_ms);
};

struct ctl_stats {
    uint64_t ticks;       /* control ticks run */
    uint64_t tick_errors; /* alloc_tick failures (every target was then 0) */
    uint32_t reloads;     /* successful ctl_reload calls */
};

/* What a driver knows of an EVSE, in the engine's units but before its rules are applied. */
struct ctl_evse_reading {
    bool car;            /* the driver's own state says a car is plugged in */
    uint8_t n_draw;      /* currents given: 1 (one for the unit: put on every conductor), 3 */
    int32_t draw_ma[3];  /* negative values (sensor offsets) count as 0 */
    uint64_t draw_at_ms; /* when measured; 0 = never */
    int32_t offer_ma;    /* the offer the EVSE reports in force, or SITE_OFFER_UNKNOWN */
    int32_t spike_ma;    /* a Wall Connector's §7.1 spike current (16 or 21 A); 0 = none */
};

/*
 * Makes a controller for site with policy (both borrowed; they must outlive it, or the next
 * ctl_reload). Allocates the engine, the live state and the result once. Returns 0, -ENOMEM, or
 * the policy's init error with a message in err.
 */
int ctl_new(const struct site *site,
            const struct ampshare_policy *policy,
            struct ctl **out,
            char *err,
            size_t errlen);

/* Frees the controller (not the site, the policy or the adapters); NULL is allowed. */
void ctl_free(struct ctl *c);

/* Registers an adapter (ops borrowed, self opaque). Returns 0 or -ENOSPC. */
int ctl_add_adapter(struct ctl *c, const struct ctl_adapter_ops *ops, void *self);

/* Unregisters the adapter registered with self; unknown self is ignored. */
void ctl_remove_adapter(struct ctl *c, const void *self);

/*
 * Services every adapter; when a tick is due, reads them, runs the engine and has every adapter
 * apply the targets (reads and applies on every step once stopping). now_ms never goes
 * backwards. Returns 1 when a tick ran, 0 when none was due, or a negative code from alloc_tick
 * (every target is then 0).
 */
int ctl_step(struct ctl *c, uint64_t now_ms);

/* When the next control tick is due (0 before the first). */
uint64_t ctl_next_ms(const struct ctl *c);

/* The one place readings become the engine's input: the site's charging threshold decides
 * whether a drawing unit has a car whatever its state said; the offer is kept as reported. */
void ctl_report_evse(struct ctl *c, size_t evse, const struct ctl_evse_reading *r);

/* Nothing is known of the EVSE any more (never heard, or gone long enough). */
void ctl_forget_evse(struct ctl *c, size_t evse);

/* A meter's reading: current per meter input, magnitudes (negatives are made positive). */
void ctl_report_meter(struct ctl *c, size_t meter, const int32_t current_ma[3], uint64_t at_ms);

/*
 * The current an adapter hands EVSE evse now: the last tick's clamped target, 0 when that tick
 * failed or before any; once stopping, the lesser of that target and the shutdown current (the
 * shutdown current alone when no good tick ran). Never negative.
 */
int32_t ctl_target_ma(const struct ctl *c, size_t evse);

/*
 * The shutdown current of an EVSE: [site] shutdown_current_a when given, otherwise what a
 * native master leaves each unit — an equal share of the circuit (twc-gen2.md §7.3) — and in
 * either case never more than an equal share of every circuit above it, so the sum of all
 * shutdown currents fits every circuit on every phase. Below the EVSE's minimum it is 0. Pure.
 */
int32_t ctl_shutdown_ma(const struct site *site, size_t evse);

/* Begins the safe stop: no more ticks; every target becomes its stop value (ctl_target_ma). */
void ctl_stop(struct ctl *c, uint64_t now_ms);
bool ctl_stopping(const struct ctl *c);

/*
 * Switches to site (and policy) at run time. The readings of EVSEs and meters whose names are
 * in both sites are carried over, the tick cadence is kept; adapters stay registered and must be
 * re-pointed by their owner (their EVSE indexes may have changed). On failure (message in err)
 * nothing changed. Returns 0, -ENOMEM or the policy's init error.
 */
int ctl_reload(struct ctl *c,
               const struct site *site,
               const struct ampshare_policy *policy,
               char *err,
               size_t errlen);

const struct site *ctl_site(const struct ctl *c);

/* The live readings the engine reads (borrowed). Tests and simulators may write them. */
struct site_state *ctl_state(struct ctl *c);

/* The last tick's result (borrowed; valid until the next step). Before the first tick every
 * target is 0. */
const struct alloc_result *ctl_result(const struct ctl *c);

/* The engine (borrowed), for alloc_last_view and alloc_get_stats. */
const struct alloc *ctl_alloc(const struct ctl *c);

/* The engine's reason for an EVSE's target as people read it (alloc_why_format). Returns the
 * length, -EMSGSIZE or -EINVAL. */
int ctl_why(const struct ctl *c, size_t evse, uint64_t now_ms, char *buf, size_t cap);

const struct ctl_stats *ctl_get_stats(const struct ctl *c);

#endif
