/* SPDX-License-Identifier: MIT */
/* Remote commands: checked against the site, kept, and fed to the engine as inputs. */
#include "controller/engine/command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[COMMAND_KIND_COUNT] = {
    "charge_now", "pause", "resume", "max_current", "departure", "energy_wanted", "policy",
};

const char *command_kind_name(enum command_kind k)
{
    return (unsigned)k < COMMAND_KIND_COUNT ? names[k] : "unknown";
}

int command_table_init(struct command_table *t, const struct site *site)
{
    t->n_evse = site->n_evse;
    t->evse = calloc(site->n_evse ? site->n_evse : 1, sizeof(*t->evse));
    if (!t->evse) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < site->n_evse; i++) {
        t->evse[i].cap_ma = -1;
        t->evse[i].energy_wanted_wh = -1;
    }
    return 0;
}

void command_table_fini(struct command_table *t)
{
    free(t->evse);
    t->evse = NULL;
    t->n_evse = 0;
}

static int find(const struct site *site, const char *name)
{
    for (size_t i = 0; i < site->n_evse; i++) {
        if (strcmp(site->evse[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int command_set(struct command_table *t, const struct site *site, const struct command *c,
                uint64_t now_ms, int64_t wall_ms, char *why, size_t cap)
{
    if (c->kind == COMMAND_POLICY) {
        snprintf(why, cap, "policy: switched by the daemon, not per charger");
        return -EOPNOTSUPP;
    }
    int i = find(site, c->charger);
    if (i < 0 || (size_t)i >= t->n_evse) {
        snprintf(why, cap, "no charger '%.*s'", (int)sizeof(c->charger), c->charger);
        return -ENOENT;
    }
    const struct site_evse *e = &site->evse[i];
    struct command_evse *ce = &t->evse[i];
    if (!e->controllable) {
        snprintf(why, cap, "%s: metered only, nothing to command", e->name);
        return -EPERM;
    }
    switch (c->kind) {
    case COMMAND_CHARGE_NOW:
        if (c->value < 0 || c->value > COMMAND_CHARGE_NOW_MAX_S) {
            snprintf(why, cap, "%s: charge now for %lld s is not 0..%d s", e->name,
                     (long long)c->value, COMMAND_CHARGE_NOW_MAX_S);
            return -ERANGE;
        }
        ce->charge_until_ms = c->value ? now_ms + (uint64_t)c->value * 1000u : 0;
        if (c->value) {
            snprintf(why, cap, "%s: charge now for %lld s", e->name, (long long)c->value);
        } else {
            snprintf(why, cap, "%s: charge now ended", e->name);
        }
        return 0;
    case COMMAND_PAUSE:
    case COMMAND_RESUME:
        ce->paused = c->kind == COMMAND_PAUSE;
        snprintf(why, cap, "%s: %s", e->name, ce->paused ? "paused" : "resumed");
        return 0;
    case COMMAND_MAX_CURRENT:
        if (c->value < e->min_ma || c->value > e->max_ma) {
            snprintf(why, cap, "%s: max current %.3f A is not within %.3f..%.3f A", e->name,
                     c->value / 1000.0, e->min_ma / 1000.0, e->max_ma / 1000.0);
            return -ERANGE;
        }
        ce->cap_ma = c->value >= e->max_ma ? -1 : (int32_t)c->value;
        snprintf(why, cap, "%s: max current %.3f A", e->name, c->value / 1000.0);
        return 0;
    case COMMAND_DEPARTURE:
        if (c->value != 0 && (c->value <= wall_ms || c->value > wall_ms + COMMAND_DEPARTURE_MAX_MS)) {
            snprintf(why, cap, "%s: departure %lld s from now is not within the next 7 days",
                     e->name, (long long)((c->value - wall_ms) / 1000));
            return -ERANGE;
        }
        ce->departure_wall_ms = c->value;
        snprintf(why, cap, "%s: departure %s", e->name, c->value ? "set" : "cleared");
        return 0;
    case COMMAND_ENERGY_WANTED:
        if (c->value < -1 || c->value > COMMAND_ENERGY_MAX_WH) {
            snprintf(why, cap, "%s: energy wanted %.3f kWh is not 0..%d kWh", e->name,
                     c->value / 1000.0, COMMAND_ENERGY_MAX_WH / 1000);
            return -ERANGE;
        }
        ce->energy_wanted_wh = (int32_t)c->value;
        if (c->value < 0) {
            snprintf(why, cap, "%s: energy wanted cleared", e->name);
        } else {
            snprintf(why, cap, "%s: energy wanted %.3f kWh", e->name, c->value / 1000.0);
        }
        return 0;
    default:
        snprintf(why, cap, "%s: unknown command", e->name);
        return -EINVAL;
    }
}

void command_apply(struct command_table *t, struct site_state *st, uint64_t now_ms,
                   int64_t wall_ms)
{
    for (size_t i = 0; i < t->n_evse && i < st->n_evse; i++) {
        struct command_evse *ce = &t->evse[i];
        struct site_evse_input *in = &st->evse[i];
        if (ce->charge_until_ms && now_ms >= ce->charge_until_ms) {
            ce->charge_until_ms = 0;
        }
        in->command_paused = ce->paused;
        in->command_cap_ma = ce->cap_ma > 0 ? ce->cap_ma : 0;
        in->charge_now = ce->charge_until_ms != 0 && !ce->paused;
        if (ce->departure_wall_ms > wall_ms) {
            in->departure_ms = now_ms + (uint64_t)(ce->departure_wall_ms - wall_ms);
        } else {
            ce->departure_wall_ms = 0;
            in->departure_ms = 0;
        }
        in->energy_wanted_wh = ce->energy_wanted_wh;
    }
}
