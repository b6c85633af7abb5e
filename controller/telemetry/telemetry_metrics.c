/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition (format 0.0.4) of a status snapshot: base units (amperes,
 * joules, seconds), one family per name with its HELP and TYPE, bounded labels only (charger,
 * circuit, phase, bus, meter, kind; never a VIN). Built at scrape time from the snapshot.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/telemetry/http.h"

struct out {
    char *buf;
    size_t len, cap;
    bool nomem;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    for (int pass = 0; pass < 2 && !o->nomem; pass++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->nomem = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = (o->cap + (size_t)n + 1) * 2;
        char *grown = realloc(o->buf, cap);
        if (!grown) {
            o->nomem = true;
            return;
        }
        o->buf = grown;
        o->cap = cap;
    }
}

/* A label value, escaped as the format wants (backslash, quote, newline). */
static void label(struct out *o, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') {
            put(o, "\\%c", *v);
        } else if (*v == '\n') {
            put(o, "\\n");
        } else {
            put(o, "%c", *v);
        }
    }
}

static void family(struct out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{key="v"} value */
static void sample1(struct out *o, const char *name, const char *key, const char *v, double x)
{
    put(o, "%s{%s=\"", name, key);
    label(o, v);
    put(o, "\"} %.10g\n", x);
}

/* name{key="v",phase="L2"} value for each phase in mask. */
static void per_phase(struct out *o, const char *name, const char *key, const char *v,
                      const int32_t ma[3], uint8_t mask)
{
    for (int p = 0; p < 3; p++) {
        if (mask & (1u << p)) {
            put(o, "%s{%s=\"", name, key);
            label(o, v);
            put(o, "\",phase=\"L%d\"} %.10g\n", p + 1, ma[p] / 1000.0);
        }
    }
}

#define EACH(arr, n) for (size_t i = 0; i < (n); i++)

static void chargers(struct out *o, const struct status_snapshot *s)
{
    const struct status_charger *c = s->charger;
    family(o, "ampshare_evse_current_amperes", "gauge", "Measured current per supply phase.");
    EACH(c, s->n_charger) per_phase(o, "ampshare_evse_current_amperes", "charger", c[i].name,
                                    c[i].measured_ma, c[i].phases);
    family(o, "ampshare_evse_offer_amperes", "gauge", "The offer in force, as the charger reports it.");
    EACH(c, s->n_charger) sample1(o, "ampshare_evse_offer_amperes", "charger", c[i].name,
                                  c[i].offer_ma / 1000.0);
    family(o, "ampshare_evse_target_amperes", "gauge", "The target the engine set on the last tick.");
    EACH(c, s->n_charger) sample1(o, "ampshare_evse_target_amperes", "charger", c[i].name,
                                  c[i].target_ma / 1000.0);
    family(o, "ampshare_evse_max_amperes", "gauge", "The most the charger may be offered.");
    EACH(c, s->n_charger) sample1(o, "ampshare_evse_max_amperes", "charger", c[i].name,
                                  c[i].max_ma / 1000.0);
    family(o, "ampshare_evse_connected", "gauge", "1 when a car is connected.");
    EACH(c, s->n_charger) sample1(o, "ampshare_evse_connected", "charger", c[i].name,
                                  strcmp(c[i].state, "idle") == 0 ||
                                          strcmp(c[i].state, "charging") == 0
                                      ? 1
                                      : 0);
    family(o, "ampshare_evse_charging", "gauge", "1 when the connected car draws current.");
    EACH(c, s->n_charger) sample1(o, "ampshare_evse_charging", "charger", c[i].name,
                                  strcmp(c[i].state, "charging") == 0);
    family(o, "ampshare_evse_stale", "gauge", "1 when its measurement is stale (fail-safe budget).");
    EACH(c, s->n_charger) sample1(o, "ampshare_evse_stale", "charger", c[i].name,
                                  c[i].stale || c[i].implausible);
    family(o, "ampshare_evse_energy_joules_total", "counter",
           "Energy delivered since the daemon started.");
    EACH(c, s->n_charger) if (c[i].energy_wh >= 0) sample1(o, "ampshare_evse_energy_joules_total",
                                                          "charger", c[i].name,
                                                          (double)c[i].energy_wh * 3600.0);
    family(o, "ampshare_evse_session_energy_joules", "gauge",
           "Energy of the session in progress (0 without one).");
    EACH(c, s->n_charger) sample1(o, "ampshare_evse_session_energy_joules", "charger",
                                  c[i].name,
                                  c[i].session_wh < 0 ? 0 : (double)c[i].session_wh * 3600.0);
}

static void circuits(struct out *o, const struct status_snapshot *s)
{
    const struct status_circuit *c = s->circuit;
    family(o, "ampshare_circuit_rating_amperes", "gauge", "The circuit's configured limit.");
    EACH(c, s->n_circuit) per_phase(o, "ampshare_circuit_rating_amperes", "circuit", c[i].name,
                                    c[i].rating_ma, c[i].phases);
    family(o, "ampshare_circuit_limit_amperes", "gauge",
           "What its chargers may count: rating minus the uncontrolled load.");
    EACH(c, s->n_circuit) per_phase(o, "ampshare_circuit_limit_amperes", "circuit", c[i].name,
                                    c[i].limit_ma, c[i].phases);
    family(o, "ampshare_circuit_load_amperes", "gauge", "Counted load below the circuit.");
    EACH(c, s->n_circuit) per_phase(o, "ampshare_circuit_load_amperes", "circuit", c[i].name,
                                    c[i].load_ma, c[i].phases);
    family(o, "ampshare_circuit_uncontrolled_amperes", "gauge",
           "Metered load nothing controls.");
    EACH(c, s->n_circuit) per_phase(o, "ampshare_circuit_uncontrolled_amperes", "circuit",
                                    c[i].name, c[i].uncontrolled_ma, c[i].phases);
    family(o, "ampshare_circuit_meter_stale", "gauge", "1 when the circuit's meter is stale.");
    EACH(c, s->n_circuit) sample1(o, "ampshare_circuit_meter_stale", "circuit", c[i].name,
                                  c[i].meter_stale);
}

static void health(struct out *o, const struct status_snapshot *s)
{
    const struct status_bus *b = s->bus;
    family(o, "ampshare_bus_up", "gauge", "1 when the bus transport is open.");
    EACH(b, s->n_bus) sample1(o, "ampshare_bus_up", "bus", b[i].name, b[i].up);
    family(o, "ampshare_bus_slaves", "gauge", "Wall Connectors linked on the bus.");
    EACH(b, s->n_bus) sample1(o, "ampshare_bus_slaves", "bus", b[i].name, b[i].slaves);
    family(o, "ampshare_bus_reconnects_total", "counter", "Times the bus transport was reopened.");
    EACH(b, s->n_bus) sample1(o, "ampshare_bus_reconnects_total", "bus", b[i].name,
                              (double)b[i].reconnects);
    family(o, "ampshare_bus_bad_frames_total", "counter", "Frames dropped as corrupt.");
    EACH(b, s->n_bus) sample1(o, "ampshare_bus_bad_frames_total", "bus", b[i].name,
                              (double)b[i].bad_frames);
    const struct status_meter *m = s->meter;
    family(o, "ampshare_meter_stale", "gauge", "1 when the meter has no fresh reading.");
    EACH(m, s->n_meter) sample1(o, "ampshare_meter_stale", "meter", m[i].name, m[i].stale);
    family(o, "ampshare_meter_errors_total", "counter", "Failed meter reads.");
    EACH(m, s->n_meter) sample1(o, "ampshare_meter_errors_total", "meter", m[i].name,
                                (double)m[i].errors);
    family(o, "ampshare_errors_total", "counter", "Errors since start, by kind.");
    for (size_t i = 0; i < s->n_error; i++) {
        sample1(o, "ampshare_errors_total", "kind", s->error[i].kind, (double)s->error[i].n);
    }
    const struct status_loop *l = &s->loop;
    family(o, "ampshare_ticks_total", "counter", "Control ticks run.");
    put(o, "ampshare_ticks_total %llu\n", (unsigned long long)l->ticks);
    family(o, "ampshare_tick_duration_seconds", "gauge", "CPU time of the last control tick.");
    put(o, "ampshare_tick_duration_seconds %.6f\n", l->tick_us_last / 1e6);
    family(o, "ampshare_tick_duration_max_seconds", "gauge", "The longest control tick so far.");
    put(o, "ampshare_tick_duration_max_seconds %.6f\n", l->tick_us_max / 1e6);
    family(o, "ampshare_heartbeat_lateness_max_seconds", "gauge",
           "The worst lateness of a Wall Connector heartbeat since start.");
    put(o, "ampshare_heartbeat_lateness_max_seconds %.3f\n", l->heartbeat_late_worst_ms / 1e3);
    family(o, "ampshare_loop_lateness_max_seconds", "gauge",
           "The worst lateness of a loop timer since start.");
    put(o, "ampshare_loop_lateness_max_seconds %.3f\n", l->late_worst_ms / 1e3);
    family(o, "ampshare_uptime_seconds", "gauge", "Seconds since the daemon started.");
    put(o, "ampshare_uptime_seconds %llu\n", (unsigned long long)(l->uptime_ms / 1000));
}

char *telemetry_metrics(const struct status_snapshot *snap, const char *version)
{
    struct out o = {0};
    family(&o, "ampshare_build_info", "gauge", "Always 1; the labels say which ampshare runs.");
    put(&o, "ampshare_build_info{version=\"");
    label(&o, version ? version : "unknown");
    put(&o, "\",site=\"");
    label(&o, snap->site);
    put(&o, "\",policy=\"");
    label(&o, snap->policy);
    put(&o, "\"} 1\n");
    chargers(&o, snap);
    circuits(&o, snap);
    health(&o, snap);
    if (o.nomem) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}
