/* SPDX-License-Identifier: MIT */
/* One charger's session as a pure state machine (sess_track.h). */
#include "controller/sess_track.h"

#include <stdio.h>
#include <string.h>

#define UJ_PER_WH 3600000000ull /* 1 Wh = 3600 J */

void sess_track_init(struct sess_track *t)
{
    memset(t, 0, sizeof(*t));
}

/* 1..max printable ASCII characters, none below lo (0x21: no spaces either). */
static bool is_ascii_field(const char *s, size_t max, unsigned char lo)
{
    if (!s || !s[0]) {
        return false;
    }
    for (size_t n = 0; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= max || c < lo || c >= 0x7f) {
            return false;
        }
    }
    return true;
}

bool sess_vin_is_valid(const char *vin)
{
    return is_ascii_field(vin, SESS_VIN_MAX - 1, 0x21);
}

bool sess_tag_is_valid(const char *tag)
{
    return is_ascii_field(tag, SESS_TAG_MAX - 1, 0x20);
}

static int32_t clamp_ma(int32_t ma)
{
    return ma < 0 ? 0 : ma;
}

static int32_t max_phase(const int32_t ma[3])
{
    int32_t m = ma[0];
    for (int p = 1; p < 3; p++) {
        m = ma[p] > m ? ma[p] : m;
    }
    return m;
}

/* The last sample's power carried from t->last_ms to now_ms (a charging sample's time ends
 * at now: charged_until). */
static void integrate(struct sess_track *t,
                      const struct sess_track_cfg *cfg,
                      int64_t now_wall_s,
                      uint64_t now_ms)
{
    if (now_ms <= t->last_ms) {
        return;
    }
    uint64_t dt = now_ms - t->last_ms;
    dt = dt > SESS_TRACK_GAP_MS ? SESS_TRACK_GAP_MS : dt;
    uint64_t mw = 0;
    for (int p = 0; p < 3; p++) {
        uint64_t v = t->last_v[p] ? t->last_v[p] : cfg->nominal_voltage_v;
        mw += (uint64_t)t->last_ma[p] * v;
    }
    t->integrated_uj += mw * dt;
    if (t->last_charging) {
        t->rec.charged_until_s = now_wall_s;
        t->charging_ms += dt;
        t->charge_ma_ms += (uint64_t)max_phase(t->last_ma) * dt;
    }
    t->last_ms = now_ms;
}

/* Moves the session's wall times when the wall clock was stepped since it started. */
static void follow_clock_step(struct sess_track *t, int64_t now_wall_s, uint64_t now_ms)
{
    struct sess_record *r = &t->rec;
    if (now_ms < t->start_ms) {
        return;
    }
    int64_t start = now_wall_s - (int64_t)((now_ms - t->start_ms) / 1000);
    int64_t step = start - r->start_s;
    if (step > SESS_TRACK_CLOCK_STEP_S || step < -SESS_TRACK_CLOCK_STEP_S) {
        r->start_s += step;
        r->charged_until_s += r->charged_until_s ? step : 0;
    }
}

/* Recomputes the record's derived figures from the accumulators. */
static void refresh(struct sess_track *t, int64_t now_wall_s)
{
    struct sess_record *r = &t->rec;
    r->integrated_wh = t->integrated_uj / UJ_PER_WH;
    uint64_t wh = r->integrated_wh;
    if (r->energy_source != SESS_ENERGY_INTEGRATED) {
        /* the counter's delta, bridged by integration since its last reading */
        wh = t->counter_offset_wh + (t->counter_last_wh - t->counter_base_wh) +
             (t->integrated_uj - t->integrated_at_counter_uj) / UJ_PER_WH;
    }
    r->energy_wh = wh > r->energy_wh ? wh : r->energy_wh; /* never goes back */
    r->charging_s = (uint32_t)(t->charging_ms / 1000);
    r->mean_ma = t->charging_ms ? (int32_t)(t->charge_ma_ms / t->charging_ms) : 0;
    r->updated_s = now_wall_s;
}

static void take_counter(struct sess_track *t, const struct sess_sample *s, bool first)
{
    if (s->counter_source == SESS_ENERGY_INTEGRATED || s->counter_source >= SESS_ENERGY_COUNT) {
        return;
    }
    if (first) {
        t->rec.energy_source = s->counter_source;
        t->counter_base_wh = t->counter_last_wh = s->counter_wh;
    } else if (s->counter_source != t->rec.energy_source) {
        return; /* only the source the session started with counts */
    } else if (s->counter_wh < t->counter_last_wh) {
        /* a counter that went back was reset or replaced: keep what it had counted */
        t->counter_offset_wh += t->counter_last_wh - t->counter_base_wh;
        t->counter_base_wh = s->counter_wh;
    }
    t->counter_last_wh = s->counter_wh;
    t->integrated_at_counter_uj = t->integrated_uj;
}

static void start(struct sess_track *t, int64_t now_wall_s, uint64_t now_ms)
{
    struct sess_record keep = t->rec;
    memset(t, 0, sizeof(*t));
    t->open = true;
    memcpy(t->rec.charger, keep.charger, sizeof(t->rec.charger));
    t->rec.start_s = now_wall_s;
    t->rec.updated_s = now_wall_s;
    t->start_ms = now_ms;
    t->rec.energy_source = SESS_ENERGY_INTEGRATED;
    t->last_ms = now_ms;
}

/* Takes the sample as the one in force from now on. */
static int absorb(struct sess_track *t,
                  int64_t now_wall_s,
                  uint64_t now_ms,
                  const struct sess_sample *s,
                  bool first)
{
    int ev = 0;
    for (int p = 0; p < 3; p++) {
        t->last_ma[p] = clamp_ma(s->current_ma[p]);
        t->last_v[p] = s->voltage_v[p];
    }
    t->last_charging = s->charging;
    t->last_ms = now_ms;
    int32_t peak = max_phase(t->last_ma);
    t->rec.peak_ma = peak > t->rec.peak_ma ? peak : t->rec.peak_ma;
    if (s->charging) {
        t->has_charged = true;
        t->idle_offered = false;
        t->said_full = false;
        t->rec.charged_until_s = now_wall_s;
    } else {
        bool offered = s->offered_ma >= SESS_FULL_OFFER_MA;
        if (offered && !t->idle_offered) {
            t->idle_since_ms = now_ms;
        }
        t->idle_offered = offered;
        t->said_full = t->said_full || s->full;
    }
    if (!t->rec.vin[0] && sess_vin_is_valid(s->vin)) {
        snprintf(t->rec.vin, sizeof(t->rec.vin), "%s", s->vin);
        ev |= first ? 0 : SESS_TRACK_VIN;
    }
    if (!t->rec.id_tag[0] && sess_tag_is_valid(s->id_tag)) {
        snprintf(t->rec.id_tag, sizeof(t->rec.id_tag), "%s", s->id_tag);
    }
    t->rec.tx_id = t->rec.tx_id ? t->rec.tx_id : s->tx_id;
    take_counter(t, s, first);
    refresh(t, now_wall_s);
    return ev;
}

/* Whether an unplug now ends a session that finished charging on its own. */
static bool was_full(const struct sess_track *t, const struct sess_track_cfg *cfg, uint64_t now_ms)
{
    if (!t->has_charged || t->last_charging) {
        return false;
    }
    return t->said_full || (t->idle_offered && now_ms - t->idle_since_ms >= cfg->full_after_ms);
}

bool sess_track_end(struct sess_track *t,
                    const struct sess_track_cfg *cfg,
                    int64_t now_wall_s,
                    uint64_t now_ms,
                    enum sess_end_reason reason,
                    struct sess_record *ended)
{
    if (!t->open) {
        return false;
    }
    follow_clock_step(t, now_wall_s, now_ms);
    integrate(t, cfg, now_wall_s, now_ms);
    refresh(t, now_wall_s);
    t->rec.end_s = now_wall_s;
    t->rec.end_reason = reason;
    *ended = t->rec;
    t->open = false;
    t->rec.id = 0;
    return true;
}

int sess_track_step(struct sess_track *t,
                    const struct sess_track_cfg *cfg,
                    int64_t now_wall_s,
                    uint64_t now_ms,
                    const struct sess_sample *s,
                    struct sess_record *ended)
{
    int ev = 0;
    if (t->open) {
        follow_clock_step(t, now_wall_s, now_ms);
        enum sess_end_reason why = SESS_END_NONE;
        if (s->end_reason != SESS_END_NONE) {
            /* the charger ended it: its final counter reading is the session's energy */
            integrate(t, cfg, now_wall_s, now_ms);
            if (s->counter_source == t->rec.energy_source &&
                s->counter_source != SESS_ENERGY_INTEGRATED) {
                take_counter(t, s, false);
                t->rec.energy_wh = 0; /* the reading replaces the bridged estimate */
            }
            bool unplug = s->end_reason == SESS_END_UNPLUGGED;
            why = unplug && was_full(t, cfg, now_ms) ? SESS_END_FULL : s->end_reason;
        } else if (s->fault) {
            why = SESS_END_FAULT;
        } else if (!s->connected) {
            why = was_full(t, cfg, now_ms) ? SESS_END_FULL : SESS_END_UNPLUGGED;
        } else if ((t->rec.vin[0] && sess_vin_is_valid(s->vin) && strcmp(s->vin, t->rec.vin)) ||
                   (t->rec.tx_id && s->tx_id && s->tx_id != t->rec.tx_id)) {
            /* another car, or another transaction: this one ended between two samples */
            why = SESS_END_UNPLUGGED;
        }
        if (why != SESS_END_NONE) {
            sess_track_end(t, cfg, now_wall_s, now_ms, why, ended);
            ev |= SESS_TRACK_ENDED;
        } else {
            integrate(t, cfg, now_wall_s, now_ms);
            return ev | absorb(t, now_wall_s, now_ms, s, false);
        }
    }
    if (s->connected && !s->fault && s->end_reason == SESS_END_NONE) {
        start(t, now_wall_s, now_ms);
        absorb(t, now_wall_s, now_ms, s, true);
        ev |= SESS_TRACK_STARTED;
    }
    return ev;
}
