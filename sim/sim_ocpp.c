/* SPDX-License-Identifier: MIT */
/* The simulated charge point's protocol and car (sim_ocpp.h). */
#include "sim/sim_ocpp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/ocpp/ocpp_cp.h"

enum step {
    ST_BOOT,
    ST_STATUS0,
    ST_PREPARING,
    ST_START,
    ST_CHARGING,
    ST_RUN
};

void sim_ocpp_init(struct sim_ocpp *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->id_tag, sizeof(s->id_tag), "SIMTAG");
    s->car_ma = 16000;
    s->phases = 3;
    s->meter_s = 10;
    s->limit_ma = s->default_ma = s->tx_ma = -1;
    s->tx_id = -1;
}

/* The limit in force: a TxProfile overrides the default during its transaction. */
static void apply_profiles(struct sim_ocpp *s)
{
    s->limit_ma = s->tx_id >= 0 && s->tx_ma >= 0 ? s->tx_ma : s->default_ma;
}

void sim_ocpp_connected(struct sim_ocpp *s, uint64_t now_ms)
{
    s->out_id[0] = '\0';
    s->last_ms = s->last_ms ? s->last_ms : now_ms;
    /* a charger that did not reboot does not boot again (OCPP-J §5.4): it reports its state */
    s->step = s->booted ? ST_CHARGING : ST_BOOT;
    s->next_meter_ms = now_ms;
}

int32_t sim_ocpp_draw_ma(const struct sim_ocpp *s)
{
    if (s->tx_id < 0) {
        return 0;
    }
    int32_t a = s->limit_ma < 0 || s->limit_ma > s->car_ma ? s->car_ma : s->limit_ma;
    return a < 6000 ? 0 : a; /* below 6 A a car stops (IEC 61851) */
}

static void advance(struct sim_ocpp *s, uint64_t now_ms)
{
    if (now_ms > s->last_ms) {
        s->energy_wh += sim_ocpp_draw_ma(s) / 1000.0 * 230.0 * s->phases *
                        (double)(now_ms - s->last_ms) / 3600000.0;
    }
    s->last_ms = now_ms;
}

static char *reply_status(const char *id, const char *status)
{
    return ocpp_frame_result(id, json_pack("{ss}", "status", status));
}

static char *on_call(struct sim_ocpp *s, const struct ocpp_frame *f, uint64_t now_ms)
{
    const json_t *p = f->payload;
    if (strcmp(f->action, "SetChargingProfile") == 0) {
        const json_t *cs = json_object_get(p, "csChargingProfiles");
        const json_t *sch = json_object_get(cs, "chargingSchedule");
        const json_t *lim = json_object_get(
            json_array_get(json_object_get(sch, "chargingSchedulePeriod"), 0), "limit");
        const char *unit = json_string_value(json_object_get(sch, "chargingRateUnit"));
        if (!json_is_number(lim) || !unit || strcmp(unit, "A") != 0 || json_number_value(lim) < 0) {
            return reply_status(f->id, "Rejected");
        }
        advance(s, now_ms);
        const char *purpose = json_string_value(json_object_get(cs, "chargingProfilePurpose"));
        bool tx = purpose && strcmp(purpose, "TxProfile") == 0;
        int64_t pid = json_integer_value(json_object_get(cs, "chargingProfileId"));
        *(tx ? &s->tx_ma : &s->default_ma) = (int32_t)lround(json_number_value(lim) * 1000.0);
        *(tx ? &s->tx_pid : &s->default_pid) = pid;
        apply_profiles(s);
        s->n_profiles++;
        printf("profile %.1f A (%s)\n", (tx ? s->tx_ma : s->default_ma) / 1000.0,
               purpose ? purpose : "?");
        fflush(stdout);
        s->next_meter_ms = now_ms; /* report the new current at once */
        return reply_status(f->id, "Accepted");
    }
    if (strcmp(f->action, "ClearChargingProfile") == 0) {
        /* by id, or every profile when none is given */
        const json_t *id = json_object_get(p, "id");
        bool tx = s->tx_ma >= 0 && (!id || json_integer_value(id) == s->tx_pid);
        bool def = s->default_ma >= 0 && (!id || json_integer_value(id) == s->default_pid);
        s->tx_ma = tx ? -1 : s->tx_ma;
        s->default_ma = def ? -1 : s->default_ma;
        apply_profiles(s);
        printf("cleared%s%s\n", tx ? " TxProfile" : "", def ? " TxDefaultProfile" : "");
        fflush(stdout);
        return reply_status(f->id, tx || def ? "Accepted" : "Unknown");
    }
    if (strcmp(f->action, "ChangeConfiguration") == 0) {
        const char *k = json_string_value(json_object_get(p, "key"));
        const char *v = json_string_value(json_object_get(p, "value"));
        if (k && v && strcmp(k, "MeterValueSampleInterval") == 0) {
            long n = strtol(v, NULL, 10);
            if (n <= 0 || n > 3600) {
                return reply_status(f->id, "Rejected");
            }
            s->meter_s = (uint32_t)n;
        }
        return reply_status(f->id, "Accepted");
    }
    if (strcmp(f->action, "GetCompositeSchedule") == 0) {
        json_t *r = json_pack("{ssso}", "status", "Accepted", "connectorId",
                              json_incref(json_object_get(p, "connectorId")));
        if (r && s->limit_ma >= 0) {
            json_object_set_new(r, "chargingSchedule",
                                json_pack("{sss[{sisf}]}", "chargingRateUnit", "A",
                                          "chargingSchedulePeriod", "startPeriod", 0, "limit",
                                          (s->limit_ma / 100) / 10.0));
        }
        return ocpp_frame_result(f->id, r);
    }
    return ocpp_frame_error(f->id, "NotImplemented", "not simulated");
}

char *sim_ocpp_on_frame(struct sim_ocpp *s, const char *text, size_t len, uint64_t now_ms)
{
    struct ocpp_frame f;
    const char *why;
    if (ocpp_frame_parse(text, len, &f, &why) != 0) {
        return ocpp_frame_error(f.id, "FormationViolation", why);
    }
    char *out = NULL;
    if (f.type == OCPP_CALL) {
        out = on_call(s, &f, now_ms);
    } else if (s->out_id[0] && strcmp(f.id, s->out_id) == 0) {
        s->out_id[0] = '\0';
        const json_t *p = f.payload;
        if (f.type == OCPP_ERROR) {
            fprintf(stderr, "sim ocpp: CALLERROR %s\n", f.code);
        } else if (s->step == ST_BOOT) {
            const char *st = json_string_value(json_object_get(p, "status"));
            if (st && strcmp(st, "Accepted") == 0) {
                s->booted = true;
                s->step = ST_STATUS0;
            }
        } else if (s->step == ST_START) {
            s->tx_id = (int32_t)json_integer_value(json_object_get(p, "transactionId"));
            apply_profiles(s);
            printf("transaction %d\n", (int)s->tx_id);
            fflush(stdout);
            s->step = ST_CHARGING;
        } else if (s->step < ST_RUN) {
            s->step++;
        }
    }
    ocpp_frame_clear(&f);
    return out;
}

static char *call(struct sim_ocpp *s, const char *action, json_t *payload)
{
    snprintf(s->out_id, sizeof(s->out_id), "sim-%u", ++s->seq);
    return ocpp_frame_call(s->out_id, action, payload);
}

static json_t *status(const char *st, int connector)
{
    return json_pack("{siss ss}", "connectorId", connector, "errorCode", "NoError", "status", st);
}

char *sim_ocpp_poll(struct sim_ocpp *s, uint64_t now_ms, time_t wall_s)
{
    if (s->out_id[0]) {
        return NULL;
    }
    advance(s, now_ms);
    char t[21];
    ocpp_time(wall_s, t);
    switch (s->step) {
    case ST_BOOT:
        return call(
            s, "BootNotification",
            json_pack("{ssss}", "chargePointVendor", "ampshare", "chargePointModel", "sim ocpp"));
    case ST_STATUS0:
        return call(s, "StatusNotification", status("Available", 0));
    case ST_PREPARING:
        return call(s, "StatusNotification", status("Preparing", 1));
    case ST_START:
        if (s->tx_id >= 0) {
            s->step = ST_CHARGING;
            return NULL;
        }
        return call(s, "StartTransaction",
                    json_pack("{sisssiss}", "connectorId", 1, "idTag", s->id_tag, "meterStart",
                              (int)s->energy_wh, "timestamp", t));
    case ST_CHARGING:
        return call(s, "StatusNotification",
                    status(sim_ocpp_draw_ma(s) > 0 ? "Charging" : "SuspendedEVSE", 1));
    default:
        break;
    }
    if (now_ms < s->next_meter_ms) {
        return NULL;
    }
    s->next_meter_ms = now_ms + s->meter_s * 1000ull;
    static const char *const ph[] = {"L1", "L2", "L3"};
    json_t *sv = json_array();
    char v[32];
    snprintf(v, sizeof(v), "%d.%d", (int)(sim_ocpp_draw_ma(s) / 1000),
             (int)(sim_ocpp_draw_ma(s) % 1000 / 100));
    for (int i = 0; i < s->phases; i++) {
        json_array_append_new(sv, json_pack("{ssssssss}", "value", v, "measurand", "Current.Import",
                                            "phase", ph[i], "unit", "A"));
    }
    char e[32];
    snprintf(e, sizeof(e), "%lld", (long long)s->energy_wh);
    json_array_append_new(sv, json_pack("{ssssss}", "value", e, "measurand",
                                        "Energy.Active.Import.Register", "unit", "Wh"));
    return call(s, "MeterValues",
                json_pack("{sisis[{ssso}]}", "connectorId", 1, "transactionId", (int)s->tx_id,
                          "meterValue", "timestamp", t, "sampledValue", sv));
}
