/* SPDX-License-Identifier: MIT */
/*
 * What ampshare publishes: the state documents and Home Assistant's discovery configs (one per
 * entity, the form every HA version understands; shared/research/telemetry.md §1). Pure: JSON
 * in, (topic, payload) pairs out through emit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/telemetry/mqtt.h"

static void emit_json(mqtt_emit_fn *emit, void *ctx, const char *topic, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10))
                     : NULL;
    if (text) {
        emit(ctx, topic, text);
    }
    free(text);
    json_decref(doc);
}

static json_t *amps(int32_t ma)
{
    return json_real(ma / 1000.0);
}

static json_t *charger_state(const struct status_charger *c)
{
    json_t *d = json_object();
    json_object_set_new(d, "state", status_json_text(c->state));
    json_object_set_new(d, "offer_a", amps(c->offer_ma));
    json_object_set_new(d, "target_a", amps(c->target_ma));
    json_object_set_new(d, "max_current_a",
                        amps(c->command_max_ma >= 0 ? c->command_max_ma : c->max_ma));
    static const char *const keys[3] = {"current_l1_a", "current_l2_a", "current_l3_a"};
    for (int p = 0; p < 3; p++) {
        json_object_set_new(d, keys[p], (c->phases & (1u << p)) ? amps(c->measured_ma[p])
                                                                : json_null());
    }
    json_object_set_new(d, "reason", status_json_text(c->reason));
    json_object_set_new(d, "session_kwh",
                        json_real(c->session_wh < 0 ? 0.0 : c->session_wh / 1000.0));
    json_object_set_new(d, "energy_kwh",
                        c->energy_wh < 0 ? json_null() : json_real(c->energy_wh / 1000.0));
    json_object_set_new(d, "vin", c->vin[0] ? status_json_text(c->vin) : json_null());
    json_object_set_new(d, "enabled", json_string(c->paused ? "OFF" : "ON"));
    json_object_set_new(d, "charge_now", json_string(c->charge_now ? "ON" : "OFF"));
    json_object_set_new(d, "stale", json_boolean(c->stale || c->implausible));
    return d;
}

static json_t *circuit_state(const struct status_circuit *c)
{
    json_t *d = json_object();
    for (int p = 0; p < 3; p++) {
        char k[24];
        snprintf(k, sizeof(k), "load_l%d_a", p + 1);
        json_object_set_new(d, k, (c->phases & (1u << p)) ? amps(c->load_ma[p]) : json_null());
        snprintf(k, sizeof(k), "limit_l%d_a", p + 1);
        json_object_set_new(d, k, (c->phases & (1u << p)) ? amps(c->limit_ma[p]) : json_null());
    }
    json_object_set_new(d, "meter_stale", json_boolean(c->meter_stale));
    return d;
}

static json_t *site_state(const struct status_snapshot *s)
{
    bool meter_stale = false, bus_down = false;
    for (size_t i = 0; i < s->n_meter; i++) {
        meter_stale |= s->meter[i].stale;
    }
    for (size_t i = 0; i < s->n_bus; i++) {
        bus_down |= !s->bus[i].up;
    }
    return json_pack("{s:o, s:s, s:s, s:I, s:I}", "policy", status_json_text(s->policy), "meter_stale",
                     meter_stale ? "ON" : "OFF", "bus_down", bus_down ? "ON" : "OFF",
                     "loop_late_ms", (json_int_t)s->loop.late_worst_ms, "heartbeat_late_ms",
                     (json_int_t)s->loop.heartbeat_late_worst_ms);
}

int mqtt_states(const struct mqtt_options *o, const struct status_snapshot *snap,
                mqtt_emit_fn *emit, void *ctx)
{
    char topic[MQTT_TOPIC_MAX], word[STATUS_NAME_MAX * 2];
    snprintf(topic, sizeof(topic), "%s/site/state", o->prefix);
    emit_json(emit, ctx, topic, site_state(snap));
    for (size_t i = 0; i < snap->n_charger; i++) {
        mqtt_topic_word(snap->charger[i].name, word, sizeof(word));
        snprintf(topic, sizeof(topic), "%s/charger/%s/state", o->prefix, word);
        emit_json(emit, ctx, topic, charger_state(&snap->charger[i]));
    }
    for (size_t i = 0; i < snap->n_circuit; i++) {
        mqtt_topic_word(snap->circuit[i].name, word, sizeof(word));
        snprintf(topic, sizeof(topic), "%s/circuit/%s/state", o->prefix, word);
        emit_json(emit, ctx, topic, circuit_state(&snap->circuit[i]));
    }
    return 0;
}

/* ---- discovery ---- */

struct disc {
    const struct mqtt_options *o;
    mqtt_emit_fn *emit;
    void *ctx;
    char site[STATUS_NAME_MAX * 2]; /* the site as a topic word */
};

/* The parts every config shares: availability, origin, the device, the state topic. */
static json_t *base(const struct disc *d, json_t *device, const char *state_topic,
                    const char *uid, const char *name)
{
    char avty[MQTT_TOPIC_MAX];
    snprintf(avty, sizeof(avty), "%s/status", d->o->prefix);
    return json_pack("{s:s, s:s, s:s, s:s, s:O, s:{s:s, s:s}, s:I}", "name", name,
                     "unique_id", uid, "state_topic", state_topic, "availability_topic", avty,
                     "device", device, "origin", "name", "ampshare", "sw_version",
                     d->o->version ? d->o->version : "unknown", "expire_after",
                     (json_int_t)(3 * d->o->interval_ms / 1000 + 5));
}

static void publish(const struct disc *d, const char *component, const char *uid, json_t *cfg)
{
    char topic[MQTT_TOPIC_MAX];
    snprintf(topic, sizeof(topic), "%s/%s/%s/config", d->o->discovery_prefix, component, uid);
    if (strcmp(component, "sensor") != 0 && strcmp(component, "binary_sensor") != 0) {
        json_object_del(cfg, "expire_after"); /* only sensors know it */
    }
    emit_json(d->emit, d->ctx, topic, cfg);
}

struct entity {
    const char *component, *key, *name, *value, *unit, *device_class, *state_class, *category;
};

static void entity(const struct disc *d, json_t *device, const char *state_topic,
                   const char *owner, const struct entity *e, json_t *extra)
{
    char uid[160], tpl[96];
    snprintf(uid, sizeof(uid), "ampshare_%s_%s_%s", d->site, owner, e->key);
    json_t *cfg = base(d, device, state_topic, uid, e->name);
    if (!cfg) {
        json_decref(extra);
        return;
    }
    snprintf(tpl, sizeof(tpl), "{{ value_json.%s }}", e->value);
    json_object_set_new(cfg, "value_template", json_string(tpl));
    if (e->unit) {
        json_object_set_new(cfg, "unit_of_measurement", json_string(e->unit));
    }
    if (e->device_class) {
        json_object_set_new(cfg, "device_class", json_string(e->device_class));
    }
    if (e->state_class) {
        json_object_set_new(cfg, "state_class", json_string(e->state_class));
    }
    if (e->category) {
        json_object_set_new(cfg, "entity_category", json_string(e->category));
    }
    if (extra) {
        json_object_update(cfg, extra);
        json_decref(extra);
    }
    publish(d, e->component, uid, cfg);
}

static void charger_entities(const struct disc *d, const struct status_charger *c)
{
    char word[STATUS_NAME_MAX * 2], ids[160], via[96], st[MQTT_TOPIC_MAX], cmd[MQTT_TOPIC_MAX];
    mqtt_topic_word(c->name, word, sizeof(word));
    snprintf(ids, sizeof(ids), "ampshare_%s_%s", d->site, word);
    snprintf(via, sizeof(via), "ampshare_%s", d->site);
    snprintf(st, sizeof(st), "%s/charger/%s/state", d->o->prefix, word);
    json_t *dev = json_pack("{s:[s], s:s, s:s, s:s, s:s}", "identifiers", ids, "name", c->name,
                            "manufacturer",
                            strcmp(c->kind, "wallconnector") == 0 ? "Tesla" : "third party",
                            "model",
                            strcmp(c->kind, "wallconnector") == 0 ? "Wall Connector Gen 2"
                                                                   : "EVSE",
                            "via_device", via);
    static const struct entity sensors[] = {
        {"sensor", "state", "State", "state", NULL, "enum", NULL, NULL},
        {"sensor", "offer", "Offer", "offer_a", "A", "current", "measurement", NULL},
        {"sensor", "session_energy", "Session energy", "session_kwh", "kWh", "energy",
         "total_increasing", NULL},
        {"sensor", "energy", "Energy", "energy_kwh", "kWh", "energy", "total_increasing", NULL},
        {"sensor", "reason", "Reason", "reason", NULL, NULL, NULL, "diagnostic"},
        {"sensor", "vin", "VIN", "vin", NULL, NULL, NULL, "diagnostic"},
        {"binary_sensor", "stale", "Measurement stale", "stale", NULL, "problem", NULL,
         "diagnostic"},
    };
    for (size_t i = 0; i < sizeof(sensors) / sizeof(sensors[0]); i++) {
        json_t *extra = NULL;
        if (strcmp(sensors[i].key, "state") == 0) {
            extra = json_pack("{s:[s,s,s,s]}", "options", "no_car", "idle", "charging", "offline");
        } else if (strcmp(sensors[i].key, "stale") == 0) {
            extra = json_pack("{s:s}", "value_template",
                              "{{ 'ON' if value_json.stale else 'OFF' }}");
        }
        entity(d, dev, st, word, &sensors[i], extra);
    }
    for (int p = 0; p < 3; p++) {
        if (!(c->phases & (1u << p))) {
            continue;
        }
        char key[16], name[24], value[24];
        snprintf(key, sizeof(key), "current_l%d", p + 1);
        snprintf(name, sizeof(name), "Current L%d", p + 1);
        snprintf(value, sizeof(value), "current_l%d_a", p + 1);
        struct entity e = {"sensor", key, name, value, "A", "current", "measurement", NULL};
        entity(d, dev, st, word, &e, NULL);
    }
    if (c->controllable && d->o->commands) {
        snprintf(cmd, sizeof(cmd), "%s/charger/%s/max_current/set", d->o->prefix, word);
        struct entity num = {"number", "max_current", "Max current", "max_current_a", "A",
                             "current", NULL, "config"};
        entity(d, dev, st, word, &num,
               json_pack("{s:s, s:f, s:f, s:f, s:s}", "command_topic", cmd, "min",
                         c->min_ma / 1000.0, "max", c->max_ma / 1000.0, "step", 1.0, "mode",
                         "box"));
        static const struct entity switches[] = {
            {"switch", "enabled", "Charging enabled", "enabled", NULL, NULL, NULL, NULL},
            {"switch", "charge_now", "Charge now", "charge_now", NULL, NULL, NULL, NULL},
        };
        for (size_t i = 0; i < 2; i++) {
            snprintf(cmd, sizeof(cmd), "%s/charger/%s/%s/set", d->o->prefix, word,
                     switches[i].key);
            entity(d, dev, st, word, &switches[i], json_pack("{s:s}", "command_topic", cmd));
        }
    }
    json_decref(dev);
}

static void site_entities(const struct disc *d, const struct status_snapshot *s)
{
    char ids[96], st[MQTT_TOPIC_MAX];
    snprintf(ids, sizeof(ids), "ampshare_%s", d->site);
    snprintf(st, sizeof(st), "%s/site/state", d->o->prefix);
    char name[80];
    snprintf(name, sizeof(name), "ampshare %s", s->site);
    json_t *dev = json_pack("{s:[s], s:s, s:s, s:s, s:s}", "identifiers", ids, "name", name,
                            "manufacturer", "ampshare", "model", "load balancer", "sw_version",
                            d->o->version ? d->o->version : "unknown");
    static const struct entity ents[] = {
        {"sensor", "policy", "Policy", "policy", NULL, NULL, NULL, "diagnostic"},
        {"binary_sensor", "meter_stale", "Meter stale", "meter_stale", NULL, "problem", NULL,
         "diagnostic"},
        {"binary_sensor", "bus_down", "Bus down", "bus_down", NULL, "problem", NULL, "diagnostic"},
        {"sensor", "heartbeat_late", "Heartbeat lateness", "heartbeat_late_ms", "ms", "duration",
         "measurement", "diagnostic"},
    };
    for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
        json_t *extra = NULL;
        if (strcmp(ents[i].component, "binary_sensor") == 0) {
            extra = json_pack("{s:s, s:s}", "payload_on", "ON", "payload_off", "OFF");
        }
        entity(d, dev, st, "site", &ents[i], extra);
    }
    if (d->o->commands && d->o->policies && d->o->policies[0]) {
        json_t *options = json_array();
        char list[512];
        snprintf(list, sizeof(list), "%s", d->o->policies);
        for (char *save = NULL, *t = strtok_r(list, ", ", &save); t;
             t = strtok_r(NULL, ", ", &save)) {
            json_array_append_new(options, json_string(t));
        }
        char cmd[MQTT_TOPIC_MAX];
        snprintf(cmd, sizeof(cmd), "%s/site/policy/set", d->o->prefix);
        struct entity sel = {"select", "policy_select", "Policy", "policy", NULL, NULL, NULL,
                             "config"};
        entity(d, dev, st, "site", &sel,
               json_pack("{s:s, s:o}", "command_topic", cmd, "options", options));
    }
    for (size_t c = 0; c < s->n_circuit; c++) {
        char word[STATUS_NAME_MAX * 2], cst[MQTT_TOPIC_MAX], owner[STATUS_NAME_MAX * 2 + 8];
        mqtt_topic_word(s->circuit[c].name, word, sizeof(word));
        snprintf(cst, sizeof(cst), "%s/circuit/%s/state", d->o->prefix, word);
        snprintf(owner, sizeof(owner), "circuit_%s", word);
        for (int p = 0; p < 3; p++) {
            if (!(s->circuit[c].phases & (1u << p))) {
                continue;
            }
            char key[16], nm[80], value[24];
            snprintf(key, sizeof(key), "load_l%d", p + 1);
            snprintf(nm, sizeof(nm), "%s load L%d", s->circuit[c].name, p + 1);
            snprintf(value, sizeof(value), "load_l%d_a", p + 1);
            struct entity e = {"sensor", key, nm, value, "A", "current", "measurement", NULL};
            entity(d, dev, cst, owner, &e, NULL);
            snprintf(key, sizeof(key), "limit_l%d", p + 1);
            snprintf(nm, sizeof(nm), "%s limit L%d", s->circuit[c].name, p + 1);
            snprintf(value, sizeof(value), "limit_l%d_a", p + 1);
            struct entity f = {"sensor", key, nm, value, "A", "current", "measurement",
                               "diagnostic"};
            entity(d, dev, cst, owner, &f, NULL);
        }
    }
    json_decref(dev);
}

int mqtt_discovery(const struct mqtt_options *o, const struct status_snapshot *snap,
                   mqtt_emit_fn *emit, void *ctx)
{
    if (!o->discovery_prefix[0]) {
        return 0;
    }
    struct disc d = {.o = o, .emit = emit, .ctx = ctx};
    mqtt_topic_word(snap->site, d.site, sizeof(d.site));
    site_entities(&d, snap);
    for (size_t i = 0; i < snap->n_charger; i++) {
        charger_entities(&d, &snap->charger[i]);
    }
    return 0;
}
