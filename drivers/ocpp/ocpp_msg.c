/* SPDX-License-Identifier: MIT */
/* The CALLs a charge point sends, checked against the OCPP 1.6 schemas' types, lengths and
 * required fields, and answered (ocpp_cp.h). Extra properties are tolerated: real chargers
 * send vendor fields. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/base/log.h"
#include "drivers/ocpp/ocpp_cp.h"
#include "drivers/ocpp/ocpp_internal.h"

#define MOD "ocpp"

struct field {
    const char *name;
    int type; /* JSON_STRING, JSON_INTEGER, JSON_OBJECT, JSON_ARRAY */
    bool req;
    size_t max; /* strings: maximum length; 0 = any */
};

struct check {
    const char **code;
    char *why;
    size_t whylen;
};

/* why = "<name> <what>" */
static bool bad(struct check *c, const char *code, const char *what, const char *name)
{
    *c->code = code;
    snprintf(c->why, c->whylen, "%s %s", name, what);
    return false;
}

/* Checks obj against fields; false with the CALLERROR set. */
static bool check_fields(const json_t *obj, const struct field *f, size_t n, struct check *c)
{
    if (!json_is_object(obj)) {
        return bad(c, "TypeConstraintViolation", "is not an object", "payload");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(obj, f[i].name);
        if (!v) {
            if (f[i].req) {
                return bad(c, "OccurenceConstraintViolation", "is missing", f[i].name);
            }
            continue;
        }
        bool ok =
            f[i].type == JSON_INTEGER ? ocpp_json_is_int(v) : (int)json_typeof(v) == f[i].type;
        if (!ok) {
            return bad(c, "TypeConstraintViolation", "has the wrong type", f[i].name);
        }
        if (f[i].type == JSON_STRING && f[i].max && json_string_length(v) > f[i].max) {
            return bad(c, "FormationViolation", "is too long", f[i].name);
        }
    }
    return true;
}

bool ocpp_json_is_int(const json_t *v)
{
    if (json_is_integer(v)) {
        return true;
    }
    /* a JSON 300.0 is an integer to the schemas */
    double d = json_is_real(v) ? json_real_value(v) : NAN;
    return isfinite(d) && d == floor(d) && fabs(d) < 2147483648.0;
}

int64_t ocpp_json_int(const json_t *v)
{
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)json_real_value(v);
}

#define CHECK_FIELDS(obj, tab, c) check_fields(obj, tab, sizeof(tab) / sizeof(tab[0]), c)

static json_t *id_tag_info(const struct ocpp_cp *cp, const char *tag)
{
    bool ok = cp->conf->id_tags == NULL;
    for (size_t i = 0; !ok && i < cp->conf->n_id_tags; i++) {
        ok = strcmp(cp->conf->id_tags[i], tag) == 0;
    }
    return json_pack("{ss}", "status", ok ? "Accepted" : "Invalid");
}

static json_t *now_obj(time_t wall_s)
{
    char t[21];
    ocpp_time(wall_s, t);
    return json_pack("{ss}", "currentTime", t);
}

static json_t *
on_boot(struct ocpp_cp *cp, const json_t *p, uint64_t now_ms, time_t wall_s, struct check *c)
{
    static const struct field f[] = {
        {"chargePointVendor", JSON_STRING, true, 20},
        {"chargePointModel", JSON_STRING, true, 20},
        {"chargePointSerialNumber", JSON_STRING, false, 25},
        {"chargeBoxSerialNumber", JSON_STRING, false, 25},
        {"firmwareVersion", JSON_STRING, false, 50},
        {"iccid", JSON_STRING, false, 20},
        {"imsi", JSON_STRING, false, 20},
        {"meterType", JSON_STRING, false, 25},
        {"meterSerialNumber", JSON_STRING, false, 25},
    };
    if (!CHECK_FIELDS(p, f, c)) {
        return NULL;
    }
    snprintf(cp->vendor, sizeof(cp->vendor), "%s",
             json_string_value(json_object_get(p, "chargePointVendor")));
    snprintf(cp->model, sizeof(cp->model), "%s",
             json_string_value(json_object_get(p, "chargePointModel")));
    /* a reboot ends any transaction (for the session log, at its last meter reading: the
     * StopTransaction that may follow is for a transaction that is over); the profiles persist
     * (OCPP 1.6 §3.13) */
    cp->booted = true;
    ocpp_tx_end(cp, cp->tx_meter_wh, "Reboot", now_ms, wall_s);
    log_info(MOD, "%s: booted (%s %s)", cp->id, cp->vendor, cp->model);
    char t[21];
    ocpp_time(wall_s, t);
    return json_pack("{sssssi}", "status", "Accepted", "currentTime", t, "interval",
                     (int)cp->conf->heartbeat_s);
}

static bool status_connected(const char *s)
{
    static const char *const yes[] = {"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE",
                                      "Finishing"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(s, yes[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, set[i]) == 0) {
            return true;
        }
    }
    return false;
}

static json_t *on_status(struct ocpp_cp *cp, const json_t *p, struct check *c)
{
    static const struct field f[] = {
        {"connectorId", JSON_INTEGER, true, 0},
        {"errorCode", JSON_STRING, true, 0},
        {"status", JSON_STRING, true, 0},
        {"timestamp", JSON_STRING, false, 0},
        {"info", JSON_STRING, false, 50},
        {"vendorId", JSON_STRING, false, 255},
        {"vendorErrorCode", JSON_STRING, false, 50},
    };
    static const char *const statuses[] = {"Available",     "Preparing",   "Charging",
                                           "SuspendedEVSE", "SuspendedEV", "Finishing",
                                           "Reserved",      "Unavailable", "Faulted"};
    if (!CHECK_FIELDS(p, f, c)) {
        return NULL;
    }
    const char *st = json_string_value(json_object_get(p, "status"));
    if (!one_of(st, statuses, sizeof(statuses) / sizeof(statuses[0]))) {
        bad(c, "FormationViolation", "is not a ChargePointStatus", "status");
        return NULL;
    }
    int64_t conn = ocpp_json_int(json_object_get(p, "connectorId"));
    if (conn == cp->connector) {
        if (strcmp(cp->status, st) != 0) {
            log_info(MOD, "%s: connector %d %s", cp->id, cp->connector, st);
        }
        snprintf(cp->status, sizeof(cp->status), "%s", st);
        cp->car_connected = status_connected(st);
        cp->charging = strcmp(st, "Charging") == 0;
    }
    const char *err = json_string_value(json_object_get(p, "errorCode"));
    if (strcmp(err, "NoError") != 0) {
        log_warn(MOD, "%s: connector %lld reports %s (%s)", cp->id, (long long)conn, err, st);
    }
    return json_object();
}

/* A sampled value's number, scaled by its unit to the base unit (A, Wh, W); NAN if bad. */
static double sample_value(const json_t *sv)
{
    const char *v = json_string_value(json_object_get(sv, "value"));
    const char *unit = json_string_value(json_object_get(sv, "unit"));
    if (!v || !*v) {
        return NAN;
    }
    char *end;
    double d = strtod(v, &end);
    if (*end || !isfinite(d) || d < 0) {
        return NAN;
    }
    if (unit && (strcmp(unit, "kWh") == 0 || strcmp(unit, "kW") == 0)) {
        d *= 1000.0;
    }
    return d;
}

static void take_sample(struct ocpp_cp *cp, const json_t *sv, uint64_t now_ms)
{
    const char *meas = json_string_value(json_object_get(sv, "measurand"));
    const char *phase = json_string_value(json_object_get(sv, "phase"));
    const char *fmt = json_string_value(json_object_get(sv, "format"));
    if (!meas) {
        meas = "Energy.Active.Import.Register";
    }
    if (fmt && strcmp(fmt, "Raw") != 0) {
        return;
    }
    double d = sample_value(sv);
    if (isnan(d)) {
        log_limited(cp->id, now_ms, LOG_LEVEL_WARN, MOD, "%s: unreadable %s value", cp->id, meas);
        return;
    }
    if (strcmp(meas, "Current.Import") == 0 && d < 2000.0) {
        int32_t ma = (int32_t)lround(d * 1000.0);
        int ph = !phase                         ? -1
                 : strncmp(phase, "L1", 2) == 0 ? 0
                 : strncmp(phase, "L2", 2) == 0 ? 1
                 : strncmp(phase, "L3", 2) == 0 ? 2
                                                : -2;
        if (ph == -1) { /* an overall value: on every conductor not given by phase */
            for (int i = 0; i < 3; i++) {
                cp->draw_ma[i] = ma;
            }
        } else if (ph >= 0) {
            cp->draw_ma[ph] = ma;
        }
        if (ph != -2) {
            cp->draw_at_ms = now_ms;
        }
    } else if (strcmp(meas, "Energy.Active.Import.Register") == 0 && d < 9e15) {
        cp->energy_wh = (int64_t)llround(d);
        if (cp->in_tx) {
            cp->tx_meter_wh = cp->energy_wh; /* the transaction's energy so far (sessions) */
        }
    } else if (strcmp(meas, "Power.Active.Import") == 0 && !phase && d < 2e9) {
        cp->power_w = (int32_t)lround(d);
    }
}

/* MeterValues' and StopTransaction's meterValue arrays: [{timestamp, sampledValue[]}]. */
static bool
take_meter_values(struct ocpp_cp *cp, const json_t *arr, bool use, uint64_t now_ms, struct check *c)
{
    static const struct field mv[] = {
        {"timestamp", JSON_STRING, true, 0},
        {"sampledValue", JSON_ARRAY, true, 0},
    };
    static const struct field sv[] = {
        {"value", JSON_STRING, true, 0},   {"context", JSON_STRING, false, 0},
        {"format", JSON_STRING, false, 0}, {"measurand", JSON_STRING, false, 0},
        {"phase", JSON_STRING, false, 0},  {"location", JSON_STRING, false, 0},
        {"unit", JSON_STRING, false, 0},
    };
    size_t i, j;
    const json_t *m, *s;
    json_array_foreach(arr, i, m)
    {
        if (!CHECK_FIELDS(m, mv, c)) {
            return false;
        }
        json_array_foreach(json_object_get(m, "sampledValue"), j, s)
        {
            if (!CHECK_FIELDS(s, sv, c)) {
                return false;
            }
        }
    }
    json_array_foreach(arr, i, m)
    {
        json_array_foreach(json_object_get(m, "sampledValue"), j, s)
        {
            if (use) {
                take_sample(cp, s, now_ms);
            }
        }
    }
    return true;
}

static json_t *on_meter_values(
    struct ocpp_cp *cp, const json_t *p, uint64_t now_ms, time_t wall_s, struct check *c)
{
    static const struct field f[] = {
        {"connectorId", JSON_INTEGER, true, 0},
        {"transactionId", JSON_INTEGER, false, 0},
        {"meterValue", JSON_ARRAY, true, 0},
    };
    if (!CHECK_FIELDS(p, f, c)) {
        return NULL;
    }
    bool ours = ocpp_json_int(json_object_get(p, "connectorId")) == cp->connector;
    if (!take_meter_values(cp, json_object_get(p, "meterValue"), ours, now_ms, c)) {
        return NULL;
    }
    const json_t *tx = json_object_get(p, "transactionId");
    if (ours && tx) {
        ocpp_tx_resume(cp, (int32_t)ocpp_json_int(tx), now_ms, wall_s);
    }
    return json_object();
}

static json_t *on_authorize(struct ocpp_cp *cp, const json_t *p, struct check *c)
{
    static const struct field f[] = {{"idTag", JSON_STRING, true, OCPP_TAG_MAX}};
    if (!CHECK_FIELDS(p, f, c)) {
        return NULL;
    }
    return json_pack("{so}", "idTagInfo",
                     id_tag_info(cp, json_string_value(json_object_get(p, "idTag"))));
}

static json_t *
on_start(struct ocpp_cp *cp, const json_t *p, uint64_t now_ms, time_t wall_s, struct check *c)
{
    static const struct field f[] = {
        {"connectorId", JSON_INTEGER, true, 0},    {"idTag", JSON_STRING, true, OCPP_TAG_MAX},
        {"meterStart", JSON_INTEGER, true, 0},     {"timestamp", JSON_STRING, true, 0},
        {"reservationId", JSON_INTEGER, false, 0},
    };
    if (!CHECK_FIELDS(p, f, c)) {
        return NULL;
    }
    const char *tag = json_string_value(json_object_get(p, "idTag"));
    json_t *info = id_tag_info(cp, tag);
    bool ok = strcmp(json_string_value(json_object_get(info, "status")), "Accepted") == 0;
    int32_t id = (*cp->conf->next_tx_id)++;
    if (*cp->conf->next_tx_id <= 0) {
        *cp->conf->next_tx_id = 1;
    }
    int64_t conn = ocpp_json_int(json_object_get(p, "connectorId"));
    if (ok && conn == cp->connector) {
        ocpp_tx_begin(cp, id, tag, ocpp_json_int(json_object_get(p, "meterStart")), now_ms, wall_s);
    } else if (conn == cp->connector) {
        cp->tx_ended = id; /* refused: its meter values do not make it ours */
    }
    log_info(MOD, "%s: transaction %d on connector %lld for %s: %s", cp->id, (int)id,
             (long long)conn, tag, ok ? "accepted" : "refused (not in id_tags)");
    return json_pack("{sosi}", "idTagInfo", info, "transactionId", (int)id);
}

static json_t *
on_stop(struct ocpp_cp *cp, const json_t *p, uint64_t now_ms, time_t wall_s, struct check *c)
{
    static const struct field f[] = {
        {"transactionId", JSON_INTEGER, true, 0}, {"meterStop", JSON_INTEGER, true, 0},
        {"timestamp", JSON_STRING, true, 0},      {"idTag", JSON_STRING, false, OCPP_TAG_MAX},
        {"reason", JSON_STRING, false, 0},        {"transactionData", JSON_ARRAY, false, 0},
    };
    static const char *const reasons[] = {
        "EmergencyStop", "EVDisconnected", "HardReset", "Local",         "Other",       "PowerLoss",
        "Reboot",        "Remote",         "SoftReset", "UnlockCommand", "DeAuthorized"};
    if (!CHECK_FIELDS(p, f, c)) {
        return NULL;
    }
    const char *reason = json_string_value(json_object_get(p, "reason"));
    if (reason && !one_of(reason, reasons, sizeof(reasons) / sizeof(reasons[0]))) {
        bad(c, "FormationViolation", "is not a Reason", "reason");
        return NULL;
    }
    const json_t *td = json_object_get(p, "transactionData");
    if (td && !take_meter_values(cp, td, false, now_ms, c)) {
        return NULL;
    }
    int64_t id = ocpp_json_int(json_object_get(p, "transactionId"));
    int64_t stop = ocpp_json_int(json_object_get(p, "meterStop"));
    if (cp->in_tx && id == cp->tx_id) {
        log_info(MOD, "%s: transaction %d stopped, %lld Wh", cp->id, (int)id,
                 (long long)(stop - cp->tx_meter_start_wh));
        ocpp_tx_end(cp, stop, reason, now_ms, wall_s);
    }
    /* a stop always gets a CALLRESULT, or the charger retries it (§3.7.1) */
    const json_t *tag = json_object_get(p, "idTag");
    if (tag) {
        return json_pack("{so}", "idTagInfo", id_tag_info(cp, json_string_value(tag)));
    }
    return json_object();
}

static json_t *on_data_transfer(const json_t *p, struct check *c)
{
    static const struct field f[] = {
        {"vendorId", JSON_STRING, true, 255},
        {"messageId", JSON_STRING, false, 50},
        {"data", JSON_STRING, false, 0},
    };
    if (!CHECK_FIELDS(p, f, c)) {
        return NULL;
    }
    return json_pack("{ss}", "status", "UnknownVendorId");
}

json_t *ocpp_cp_on_call(struct ocpp_cp *cp,
                        const char *action,
                        const json_t *payload,
                        uint64_t now_ms,
                        time_t wall_s,
                        const char **code,
                        char *why,
                        size_t whylen)
{
    struct check c = {code, why, whylen};
    if (strcmp(action, "BootNotification") == 0) {
        return on_boot(cp, payload, now_ms, wall_s, &c);
    }
    if (strcmp(action, "Heartbeat") == 0) {
        return json_is_object(payload)
                   ? now_obj(wall_s)
                   : (bad(&c, "TypeConstraintViolation", "is not an object", "payload"), NULL);
    }
    if (strcmp(action, "StatusNotification") == 0) {
        return on_status(cp, payload, &c);
    }
    if (strcmp(action, "MeterValues") == 0) {
        return on_meter_values(cp, payload, now_ms, wall_s, &c);
    }
    if (strcmp(action, "Authorize") == 0) {
        return on_authorize(cp, payload, &c);
    }
    if (strcmp(action, "StartTransaction") == 0) {
        return on_start(cp, payload, now_ms, wall_s, &c);
    }
    if (strcmp(action, "StopTransaction") == 0) {
        return on_stop(cp, payload, now_ms, wall_s, &c);
    }
    if (strcmp(action, "DataTransfer") == 0) {
        return on_data_transfer(payload, &c);
    }
    if (strcmp(action, "DiagnosticsStatusNotification") == 0 ||
        strcmp(action, "FirmwareStatusNotification") == 0) {
        static const struct field f[] = {{"status", JSON_STRING, true, 0}};
        return CHECK_FIELDS(payload, f, &c) ? json_object() : NULL;
    }
    *code = "NotImplemented";
    snprintf(why, whylen, "unknown action %s", action);
    return NULL;
}
