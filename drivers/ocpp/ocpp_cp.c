/* SPDX-License-Identifier: MIT */
/* One charge point: connection state, our CALLs in flight and the offer in force (ocpp_cp.h).
 * The CALLs it sends are answered in ocpp_msg.c. */
#include "drivers/ocpp/ocpp_cp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/base/log.h"
#include "drivers/ocpp/ocpp_internal.h"

#define MOD "ocpp"

/* Our profiles' ids and stack level: fixed, so each new one replaces the last of its purpose
 * (§3.13.2). Level 0 is what every charger seen accepts (ABB Terra AC refuses its maximum). */
#define PROFILE_ID_DEFAULT 9101
#define PROFILE_ID_TX      9102
#define STACK_LEVEL        0

void ocpp_time(time_t t, char buf[21])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ocpp_cp_init(struct ocpp_cp *cp, const char *id, int connector, const struct ocpp_cp_conf *c)
{
    memset(cp, 0, sizeof(*cp));
    snprintf(cp->id, sizeof(cp->id), "%s", id);
    cp->connector = connector;
    cp->conf = c;
    cp->energy_wh = -1;
    cp->target_ma = OCPP_OFFER_UNKNOWN;
    cp->default_ma = OCPP_OFFER_UNKNOWN;
    cp->tx_ma = OCPP_OFFER_UNKNOWN;
    cp->composite_ma = OCPP_OFFER_UNKNOWN;
}

static bool is_profile(enum ocpp_out_kind k)
{
    return k == OCPP_OUT_DEFAULT || k == OCPP_OUT_TX;
}

static int32_t max32(int32_t a, int32_t b)
{
    return a > b ? a : b;
}

/*
 * A profile whose answer will never come (the link dropped, or it timed out) may be in force or
 * not: from now on the higher of it and what was in force counts. A TxProfile is compared with
 * what was in force for the transaction, the TxDefaultProfile when no TxProfile was confirmed:
 * a first TxProfile that cuts is not known to be in force either.
 */
static void absorb(struct ocpp_cp *cp, const struct ocpp_out *o)
{
    if (o->kind == OCPP_OUT_DEFAULT) {
        cp->default_ma = max32(cp->default_ma, o->limit_ma);
    } else if (o->kind == OCPP_OUT_TX) {
        int32_t before = cp->tx_ma != OCPP_OFFER_UNKNOWN ? cp->tx_ma : cp->default_ma;
        cp->tx_ma = max32(before, o->limit_ma);
    }
}

void ocpp_cp_online(struct ocpp_cp *cp, uint64_t now_ms)
{
    (void)now_ms;
    cp->online = true;
    cp->booted = false;
    cp->config_done = false;
    memset(cp->out, 0, sizeof(cp->out));
}

void ocpp_cp_offline(struct ocpp_cp *cp, uint64_t now_ms)
{
    (void)now_ms;
    /* A profile in flight may have been applied before the link went: a raise counts from now
     * on; a cut is not known to be in force, so the confirmed (higher) offer stays. */
    for (size_t i = 0; i < OCPP_OUT_MAX; i++) {
        absorb(cp, &cp->out[i]);
    }
    memset(cp->out, 0, sizeof(cp->out));
    cp->online = false;
    cp->booted = false;
    log_warn(MOD, "%s: connection lost; counted at its last confirmed offer %d mA", cp->id,
             (int)ocpp_cp_offer_ma(cp));
}

int32_t ocpp_cp_confirmed_ma(const struct ocpp_cp *cp)
{
    if (cp->in_tx && cp->tx_ma != OCPP_OFFER_UNKNOWN) {
        return cp->tx_ma;
    }
    return cp->default_ma;
}

int32_t ocpp_cp_offer_ma(const struct ocpp_cp *cp)
{
    int32_t o = ocpp_cp_confirmed_ma(cp);
    if (o != OCPP_OFFER_UNKNOWN && cp->composite_ma != OCPP_OFFER_UNKNOWN) {
        o = max32(o, cp->composite_ma); /* the charger enforces more than we asked */
    }
    for (size_t i = 0; i < OCPP_OUT_MAX; i++) {
        if (is_profile(cp->out[i].kind) && o != OCPP_OFFER_UNKNOWN) {
            o = max32(o, cp->out[i].limit_ma);
        }
    }
    return o;
}

void ocpp_cp_set_target(struct ocpp_cp *cp, int32_t target_ma)
{
    cp->target_ma = target_ma < 0 ? 0 : target_ma;
}

void ocpp_cp_clear(struct ocpp_cp *cp)
{
    cp->clear_due = 2;
    cp->target_ma = OCPP_OFFER_UNKNOWN;
}

void ocpp_cp_stop(struct ocpp_cp *cp)
{
    if (!cp->stopping) {
        cp->stopping = true;
        cp->clear_tx_due = true;
    }
}

/* Our CALL of this kind in flight (0: of any kind), or NULL. */
static struct ocpp_out *in_flight(struct ocpp_cp *cp, enum ocpp_out_kind kind)
{
    for (size_t i = 0; i < OCPP_OUT_MAX; i++) {
        if (cp->out[i].kind != 0 && (kind == 0 || cp->out[i].kind == kind)) {
            return &cp->out[i];
        }
    }
    return NULL;
}

bool ocpp_cp_settled(const struct ocpp_cp *cp)
{
    for (size_t i = 0; i < OCPP_OUT_MAX; i++) {
        if (cp->out[i].kind) {
            return false;
        }
    }
    if (cp->stopping && (cp->clear_tx_due || cp->default_ma != cp->target_ma)) {
        return false;
    }
    return (cp->target_ma == OCPP_OFFER_UNKNOWN || ocpp_cp_confirmed_ma(cp) == cp->target_ma);
}

static struct ocpp_out *
new_out(struct ocpp_cp *cp, enum ocpp_out_kind kind, int32_t limit_ma, uint64_t now_ms)
{
    struct ocpp_out *o = NULL;
    for (size_t i = 0; !o && i < OCPP_OUT_MAX; i++) {
        if (cp->out[i].kind == 0) {
            o = &cp->out[i];
        }
    }
    if (!o) {
        return NULL;
    }
    o->kind = kind;
    o->limit_ma = limit_ma;
    o->at_ms = now_ms;
    snprintf(o->id, sizeof(o->id), "%u", ++cp->msg_seq);
    return o;
}

/* The limit as OCPP wants it: a multiple of 0.1 A, from integer deci-amps (rounded down). */
static json_t *limit_json(int32_t ma)
{
    return json_real((double)(ma / 100) / 10.0);
}

static json_t *profile(const struct ocpp_cp *cp, bool tx, int32_t ma, time_t wall_s)
{
    char t[21];
    ocpp_time(wall_s, t);
    json_t *period = json_pack("[{siso}]", "startPeriod", 0, "limit", limit_json(ma));
    json_t *sched = json_pack("{sssssO}", "startSchedule", t, "chargingRateUnit", "A",
                              "chargingSchedulePeriod", period);
    json_decref(period);
    json_t *p = !sched
                    ? NULL
                    : json_pack("{sisissssso}", "chargingProfileId",
                                tx ? PROFILE_ID_TX : PROFILE_ID_DEFAULT, "stackLevel", STACK_LEVEL,
                                "chargingProfilePurpose", tx ? "TxProfile" : "TxDefaultProfile",
                                "chargingProfileKind", "Absolute", "chargingSchedule", sched);
    if (tx && p) {
        json_object_set_new(p, "transactionId", json_integer(cp->tx_id));
    }
    return p ? json_pack("{siso}", "connectorId", cp->connector, "csChargingProfiles", p) : NULL;
}

static char *send(struct ocpp_cp *cp,
                  enum ocpp_out_kind kind,
                  int32_t limit_ma,
                  uint64_t now_ms,
                  const char *action,
                  json_t *payload)
{
    struct ocpp_out *o = payload ? new_out(cp, kind, limit_ma, now_ms) : NULL;
    if (!o) {
        json_decref(payload);
        return NULL;
    }
    char *s = ocpp_frame_call(o->id, action, payload);
    if (!s) {
        memset(o, 0, sizeof(*o));
    }
    return s;
}

/* ClearChargingProfile of one of ours, by id (the charger's own profiles stay). */
static char *send_clear(struct ocpp_cp *cp, int32_t profile_id, uint64_t now_ms)
{
    char *s = send(cp, OCPP_OUT_CLEAR, 0, now_ms, "ClearChargingProfile",
                   json_pack("{si}", "id", (int)profile_id));
    struct ocpp_out *o = s ? in_flight(cp, OCPP_OUT_CLEAR) : NULL;
    if (o) {
        o->profile_id = profile_id;
    }
    return s;
}

char *ocpp_cp_poll(struct ocpp_cp *cp, uint64_t now_ms, time_t wall_s)
{
    if (!cp->online) {
        return NULL;
    }
    for (size_t i = 0; i < OCPP_OUT_MAX; i++) {
        struct ocpp_out *o = &cp->out[i];
        if (o->kind && now_ms - o->at_ms >= cp->conf->call_timeout_ms) {
            log_warn(MOD, "%s: no answer to message %s in %u ms", cp->id, o->id,
                     cp->conf->call_timeout_ms);
            absorb(cp, o); /* it may be in force, as when the link drops */
            memset(o, 0, sizeof(*o));
        }
    }
    bool tx = cp->in_tx;
    enum ocpp_out_kind pk = tx ? OCPP_OUT_TX : OCPP_OUT_DEFAULT;
    int32_t confirmed = ocpp_cp_confirmed_ma(cp);
    struct ocpp_out *pending = in_flight(cp, pk);
    int32_t asked = pending ? pending->limit_ma : confirmed;
    /* A cut goes at once, even past a CALL in flight; everything else waits its turn (one
     * CALL at a time per connection, OCPP-J §4.1.1). */
    if (cp->target_ma != OCPP_OFFER_UNKNOWN && asked != cp->target_ma &&
        (asked == OCPP_OFFER_UNKNOWN || cp->target_ma < asked) && !cp->clear_due) {
        return send(cp, pk, cp->target_ma, now_ms, "SetChargingProfile",
                    profile(cp, tx, cp->target_ma, wall_s));
    }
    if (in_flight(cp, 0)) {
        return NULL;
    }
    if (cp->clear_due) {
        /* ours only, by id: the TxProfile first, then the default */
        int id = cp->clear_due == 2 ? PROFILE_ID_TX : PROFILE_ID_DEFAULT;
        cp->clear_due--;
        return send_clear(cp, id, now_ms);
    }
    if (!cp->config_done) {
        cp->config_done = true;
        return send(cp, OCPP_OUT_MEASURANDS, 0, now_ms, "ChangeConfiguration",
                    json_pack("{ssss}", "key", "MeterValuesSampledData", "value",
                              "Current.Import,Energy.Active.Import.Register,Power.Active.Import"));
    }
    if (cp->target_ma != OCPP_OFFER_UNKNOWN && confirmed != cp->target_ma) {
        return send(cp, pk, cp->target_ma, now_ms, "SetChargingProfile",
                    profile(cp, tx, cp->target_ma, wall_s));
    }
    if (cp->stopping && cp->target_ma != OCPP_OFFER_UNKNOWN) {
        /* the safe default first: only once it is in force does our TxProfile go */
        if (cp->clear_tx_due && cp->default_ma == cp->target_ma) {
            cp->clear_tx_due = false;
            return send_clear(cp, PROFILE_ID_TX, now_ms);
        }
        if (cp->default_ma != cp->target_ma) {
            return send(cp, OCPP_OUT_DEFAULT, cp->target_ma, now_ms, "SetChargingProfile",
                        profile(cp, false, cp->target_ma, wall_s));
        }
    }
    if (cp->interval_due) {
        char v[16];
        cp->interval_due = false;
        snprintf(v, sizeof(v), "%u", cp->conf->meter_interval_s);
        return send(cp, OCPP_OUT_INTERVAL, 0, now_ms, "ChangeConfiguration",
                    json_pack("{ssss}", "key", "MeterValueSampleInterval", "value", v));
    }
    if (cp->composite_due) {
        cp->composite_due = false;
        return send(cp, OCPP_OUT_COMPOSITE, 0, now_ms, "GetCompositeSchedule",
                    json_pack("{sisiss}", "connectorId", cp->connector, "duration", 60,
                              "chargingRateUnit", "A"));
    }
    return NULL;
}

static const char *status_of(const json_t *p)
{
    const char *s = json_string_value(json_object_get(p, "status"));
    return s ? s : "(none)";
}

/* GetCompositeSchedule.conf: the first period's limit is what the charger enforces now. */
static void take_composite(struct ocpp_cp *cp, const json_t *p)
{
    const json_t *per = json_array_get(
        json_object_get(json_object_get(p, "chargingSchedule"), "chargingSchedulePeriod"), 0);
    const json_t *lim = json_object_get(per, "limit");
    const char *unit = json_string_value(
        json_object_get(json_object_get(p, "chargingSchedule"), "chargingRateUnit"));
    if (strcmp(status_of(p), "Accepted") != 0 || !json_is_number(lim) || !unit ||
        strcmp(unit, "A") != 0 || json_number_value(lim) < 0 || json_number_value(lim) > 2000) {
        return;
    }
    cp->composite_ma = (int32_t)(json_number_value(lim) * 1000.0 + 0.5);
    if (cp->composite_ma != ocpp_cp_confirmed_ma(cp)) {
        log_warn(MOD, "%s: enforces %d mA, not the %d mA we set", cp->id, (int)cp->composite_ma,
                 (int)ocpp_cp_confirmed_ma(cp));
    }
}

int ocpp_cp_on_reply(struct ocpp_cp *cp, const struct ocpp_frame *f, uint64_t now_ms)
{
    (void)now_ms;
    struct ocpp_out *o = NULL;
    for (size_t i = 0; i < OCPP_OUT_MAX; i++) {
        if (cp->out[i].kind && strcmp(cp->out[i].id, f->id) == 0) {
            o = &cp->out[i];
        }
    }
    if (!o) {
        return -ENOENT;
    }
    struct ocpp_out done = *o;
    memset(o, 0, sizeof(*o));
    bool ok = f->type == OCPP_RESULT && strcmp(status_of(f->payload), "Accepted") == 0;
    switch (done.kind) {
    case OCPP_OUT_DEFAULT:
    case OCPP_OUT_TX:
        if (ok) {
            if (done.kind == OCPP_OUT_DEFAULT) {
                cp->default_ma = done.limit_ma;
            } else {
                cp->tx_ma = done.limit_ma;
            }
            cp->composite_ma = OCPP_OFFER_UNKNOWN;
            cp->composite_due = true;
        } else {
            /* refused: the old offer stays in force; the target goes out again next poll */
            cp->n_refused++;
            log_warn(MOD, "%s: charging profile of %d mA not accepted (%s)", cp->id,
                     (int)done.limit_ma, f->type == OCPP_RESULT ? status_of(f->payload) : f->code);
        }
        break;
    case OCPP_OUT_MEASURANDS:
    case OCPP_OUT_INTERVAL:
        if (!ok) {
            log_warn(MOD, "%s: meter value configuration not accepted (%s)", cp->id,
                     f->type == OCPP_RESULT ? status_of(f->payload) : f->code);
        }
        cp->interval_due = done.kind == OCPP_OUT_MEASURANDS;
        break;
    case OCPP_OUT_COMPOSITE:
        if (f->type == OCPP_RESULT) {
            take_composite(cp, f->payload);
        }
        break;
    case OCPP_OUT_CLEAR:
        /* Unknown: no such profile (the transaction had ended, or none was set) */
        if (f->type == OCPP_RESULT && (ok || strcmp(status_of(f->payload), "Unknown") == 0)) {
            if (done.profile_id == PROFILE_ID_TX) {
                cp->tx_ma = OCPP_OFFER_UNKNOWN;
            } else {
                cp->default_ma = OCPP_OFFER_UNKNOWN;
            }
            log_info(MOD, "%s: charging profile %d cleared", cp->id, (int)done.profile_id);
        } else {
            log_warn(MOD, "%s: clearing charging profile %d not accepted (%s)", cp->id,
                     (int)done.profile_id,
                     f->type == OCPP_RESULT ? status_of(f->payload) : f->code);
        }
        break;
    }
    return 0;
}
