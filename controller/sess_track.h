/* SPDX-License-Identifier: MIT */
/*
 * One charger's session as a pure state machine: samples in, session boundaries and the
 * session's figures out. No I/O, no clock, no allocation; the session log (sessions.c) owns one
 * per charger and writes what it reports.
 *
 * Rules (docs/sessions.md):
 * - a session starts at the first sample with a car connected and no fault;
 * - it ends when the car is unplugged (reason full when the car had stopped drawing on its own
 *   first, see sess_track_step), when the charger reports a fault (reason fault; the next
 *   session starts once the fault has cleared), when a different VIN is reported while
 *   connected (the car was swapped between two samples: unplugged, then a new session), or a
 *   different transaction id (the same), when the charger ends it itself (a sample with
 *   end_reason: OCPP's StopTransaction, its final counter reading taken first), or when the
 *   caller ends it (sess_track_end: shutdown);
 * - energy between two samples is the earlier sample's power over the time between them
 *   (what was measured was in force until the next measurement), at most SESS_TRACK_GAP_MS.
 */
#ifndef SESS_TRACK_H
#define SESS_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "controller/sessions.h"

/* Longest time one sample's power is carried forward: a tick that comes much later (a stalled
 * loop, a suspended process) does not invent energy that was never measured. */
#define SESS_TRACK_GAP_MS 30000

/* A wall clock that moved this far against the monotonic one during a session was stepped (a
 * Raspberry Pi has no RTC: it boots on a saved or 1970 time until NTP syncs): the session's
 * wall times are moved with it, so start and end stay as far apart as the time that passed. */
#define SESS_TRACK_CLOCK_STEP_S 120

/* What sess_track_step reports (a bit mask). */
enum sess_track_event {
    SESS_TRACK_NONE = 0,
    SESS_TRACK_STARTED = 1 << 0, /* a session opened with this sample */
    SESS_TRACK_ENDED = 1 << 1,   /* a session closed: the record went to *ended */
    SESS_TRACK_VIN = 1 << 2,     /* the open session learnt its VIN */
};

struct sess_track_cfg {
    uint32_t full_after_ms;
    uint16_t nominal_voltage_v;
};

struct sess_track {
    bool open;
    struct sess_record rec; /* the open session (id and charger are the caller's) */
    uint64_t start_ms;      /* monotonic time of rec.start_s */
    /* the previous sample, in force until this one */
    uint64_t last_ms;
    int32_t last_ma[3];
    uint16_t last_v[3];
    bool last_charging;
    /* integration */
    uint64_t integrated_uj; /* mA x V x ms = microjoules */
    uint64_t charge_ma_ms;  /* the highest phase current x time, while charging */
    uint64_t charging_ms;
    /* an energy counter */
    uint64_t counter_base_wh, counter_last_wh, counter_offset_wh;
    uint64_t integrated_at_counter_uj; /* integrated energy when the counter was last read */
    /* full: the car stopped drawing on its own */
    bool has_charged;
    bool idle_offered; /* idle with an offer since idle_since_ms */
    uint64_t idle_since_ms;
    bool said_full; /* the charger's own "full" since the car last drew */
};

/* Empties t (no session open). */
void sess_track_init(struct sess_track *t);

/*
 * Feeds one sample taken at (now_wall_s, now_ms). Returns a mask of enum sess_track_event;
 * when it has SESS_TRACK_ENDED, *ended holds the finished session (its id and charger copied
 * from t->rec). Both ENDED and STARTED are set when a different VIN appears while connected.
 */
int sess_track_step(struct sess_track *t,
                    const struct sess_track_cfg *cfg,
                    int64_t now_wall_s,
                    uint64_t now_ms,
                    const struct sess_sample *s,
                    struct sess_record *ended);

/*
 * Ends the open session at (now_wall_s, now_ms) with reason, the last sample's power counted up
 * to now. Returns true and fills *ended when a session was open.
 */
bool sess_track_end(struct sess_track *t,
                    const struct sess_track_cfg *cfg,
                    int64_t now_wall_s,
                    uint64_t now_ms,
                    enum sess_end_reason reason,
                    struct sess_record *ended);

/* True when s carries a usable VIN: 1..17 printable ASCII characters, no spaces. */
bool sess_vin_is_valid(const char *vin);

/* True when tag is a usable id tag: 1..20 printable ASCII characters. */
bool sess_tag_is_valid(const char *tag);

#endif
