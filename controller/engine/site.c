/* SPDX-License-Identifier: MIT */
/* Builds the site model from a validated config: allocated once, never resized. */
#include "controller/engine/site.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/engine/policy_loader.h"

static int32_t min_over(const int32_t v[3], uint8_t mask)
{
    int32_t m = INT32_MAX;
    for (int p = 0; p < 3; p++) {
        if (((mask >> p) & 1u) && v[p] < m) {
            m = v[p];
        }
    }
    return m;
}

/* Depth-first order of the circuit tree, children in file order. order[k] = cfg index (-1 is
 * the supply). Returns the count. */
static size_t
circuit_order(const struct config *cfg, const int32_t *parent, int32_t *order, int32_t *stack)
{
    size_t n = 0, top = 0;
    stack[top++] = -1;
    while (top) {
        int32_t c = stack[--top];
        order[n++] = c;
        /* push children in reverse so the first in the file comes out first */
        for (size_t i = cfg->n_circuit; i-- > 0;) {
            if (parent[i] == c) {
                stack[top++] = (int32_t)i;
            }
        }
    }
    return n;
}

static int build_circuits(const struct config *cfg, struct site *s, int32_t *map)
{
    size_t nc = cfg->n_circuit;
    int32_t *parent = calloc(nc + 1, sizeof(*parent));
    uint8_t *mask = calloc(nc + 1, 1);
    int32_t *order = calloc(nc + 1, sizeof(*order));
    int32_t *stack = calloc(nc + 1, sizeof(*stack));
    int rc = -ENOMEM;
    if (!parent || !mask || !order || !stack) {
        goto out;
    }
    cfg_circuit_tree(cfg, parent, mask);
    s->n_circuit = circuit_order(cfg, parent, order, stack);
    if (s->n_circuit != nc + 1) {
        rc = -EINVAL; /* cannot happen after cfg_validate */
        goto out;
    }
    for (size_t k = 0; k < s->n_circuit; k++) {
        map[order[k] + 1] = (int32_t)k;
    }
    for (size_t k = 0; k < s->n_circuit; k++) {
        struct site_circuit *sc = &s->circuit[k];
        int32_t ci = order[k];
        sc->meter = -1;
        if (ci < 0) {
            snprintf(sc->name, sizeof(sc->name), "supply");
            sc->parent = -1;
            sc->phases = cfg_site_phase_mask(cfg);
            sc->overcommit_ma = cfg->site.overcommit.line ? cfg->site.overcommit.ma : 0;
            for (int p = 0; p < 3; p++) {
                sc->rating_ma[p] = ((sc->phases >> p) & 1u) ? cfg->site.supply_limit.ma[p] : 0;
            }
            sc->cfg_line = cfg->site.line;
            continue;
        }
        const struct cfg_circuit *c = &cfg->circuit[ci];
        snprintf(sc->name, sizeof(sc->name), "%s", c->name);
        sc->parent = map[parent[ci] + 1];
        sc->depth = (uint8_t)(s->circuit[sc->parent].depth + 1);
        sc->phases = mask[ci];
        sc->overcommit_ma = c->overcommit.line ? c->overcommit.ma : 0;
        for (int p = 0; p < 3; p++) {
            sc->rating_ma[p] = ((sc->phases >> p) & 1u) ? c->limit.ma[p] : 0;
        }
        sc->cfg_line = c->line;
    }
    rc = 0;
out:
    free(parent);
    free(mask);
    free(order);
    free(stack);
    return rc;
}

static int find_bus(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_bus; i++) {
        if (strcmp(cfg->bus[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int find_cfg_meter(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_meter; i++) {
        if (strcmp(cfg->meter[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Fills the fields both EVSE kinds share. */
static void evse_common(const struct config *cfg,
                        struct site *s,
                        const int32_t *cmap,
                        struct site_evse *e,
                        const char *circuit,
                        const struct cfg_ma *min,
                        const struct cfg_ma *max,
                        const struct cfg_u32 *phases,
                        const struct cfg_pmap *pm,
                        const struct cfg_i32 *prio)
{
    const struct site_circuit *sc = &s->circuit[cmap[cfg_find_circuit(cfg, circuit) + 1]];
    e->circuit = (int32_t)(sc - s->circuit);
    e->phases = cfg_evse_phases(pm, phases->line ? phases->v : 0, sc->phases, e->phase_map);
    e->n_phases = (uint8_t)__builtin_popcount(e->phases);
    e->min_ma = min->line                    ? min->ma
                : cfg->site.min_current.line ? cfg->site.min_current.ma
                                             : CFG_DEFAULT_MIN_MA;
    e->configured_max_ma = max->ma;
    int32_t cap = min_over(sc->rating_ma, e->phases);
    int32_t m = max->ma < cap ? max->ma : cap;
    e->max_ma = m - m % e->step_ma; /* a limit rounds down */
    e->priority = prio->line ? prio->v : 0;
}

static void
build_evses(const struct config *cfg, struct site *s, const int32_t *cmap, size_t *kv_used)
{
    size_t iw = 0, ie = 0, k = 0;
    while (iw < cfg->n_wc || ie < cfg->n_evse) {
        bool take_wc =
            ie >= cfg->n_evse || (iw < cfg->n_wc && cfg->wc[iw].line < cfg->evse[ie].line);
        struct site_evse *e = &s->evse[k++];
        e->meter = -1;
        e->bus = -1;
        e->view = -1;
        if (take_wc) {
            const struct cfg_wc *w = &cfg->wc[iw++];
            snprintf(e->name, sizeof(e->name), "%s", w->name);
            e->kind = SITE_EVSE_WALL_CONNECTOR;
            e->controllable = true;
            e->step_ma = 1000; /* twc-gen2.md §5.3: whole amps only */
            evse_common(cfg, s, cmap, e, w->circuit.s, &w->min_current, &w->max_current, &w->phases,
                        &w->phase_map, &w->priority);
            e->stale_current_ma = w->stale_current.line ? w->stale_current.ma : -1;
            e->bus = find_bus(cfg, w->bus.s);
            e->address = w->address.v;
            e->address_auto = w->address.is_auto;
            const struct cfg_bus *b = &cfg->bus[e->bus];
            e->stale_timeout_ms = b->stale_timeout.line ? b->stale_timeout.v : CFG_DEFAULT_STALE_MS;
            snprintf(e->control, sizeof(e->control), "twc");
            e->cfg_line = w->line;
            continue;
        }
        const struct cfg_evse *c = &cfg->evse[ie++];
        snprintf(e->name, sizeof(e->name), "%s", c->name);
        e->kind = SITE_EVSE_THIRD_PARTY;
        e->controllable = strcmp(c->control.s, "none") != 0;
        e->step_ma = c->step.line ? c->step.ma : 1000;
        evse_common(cfg, s, cmap, e, c->circuit.s, &c->min_current, &c->max_current, &c->phases,
                    &c->phase_map, &c->priority);
        e->stale_timeout_ms = CFG_DEFAULT_STALE_MS;
        e->stale_current_ma = c->stale_current.line ? c->stale_current.ma : -1;
        if (c->meter.line) {
            int m = find_cfg_meter(cfg, c->meter.s);
            const struct cfg_meter *cm = &cfg->meter[m];
            e->meter = m;
            e->stale_timeout_ms =
                cm->stale_timeout.line ? cm->stale_timeout.v : CFG_DEFAULT_STALE_MS;
            if (!c->stale_current.line && cm->stale_current.line) {
                e->stale_current_ma = cm->stale_current.ma;
            }
        }
        snprintf(e->control, sizeof(e->control), "%.15s", c->control.s);
        snprintf(e->control_transport, sizeof(e->control_transport), "%s", c->control_transport.s);
        snprintf(e->control_map, sizeof(e->control_map), "%s", c->control_map.s);
        snprintf(e->ocpp_id, sizeof(e->ocpp_id), "%.47s", c->ocpp_id.s); /* validated */
        e->ocpp_connector = c->connector.line ? c->connector.v : 1;
        e->control_unit_id = c->control_unit_id.line ? c->control_unit_id.v
                             : c->unit_default        ? c->unit_default
                                                      : 1;
        /* the generic model's keys, as mb_evse_generic_set() names them */
        e->control_keys = s->kv + *kv_used;
        e->n_control_keys = c->control_keys.n;
        for (size_t j = 0; j < c->control_keys.n; j++) {
            struct cfg_kv *kv = &s->kv[(*kv_used)++];
            *kv = c->control_keys.kv[j];
            size_t skip = strncmp(kv->key, "control_", 8) == 0 ? 8 : 0;
            memmove(kv->key, kv->key + skip, strlen(kv->key + skip) + 1);
        }
        e->cfg_line = c->line;
    }
    s->n_evse = k;
    for (size_t i = 0; i < s->n_evse; i++) {
        if (s->evse[i].controllable) {
            s->evse[i].view = (int32_t)s->n_controllable;
            s->controllable[s->n_controllable++] = (int32_t)i;
        }
    }
}

static void
build_meters(const struct config *cfg, struct site *s, const int32_t *cmap, size_t *kv_used)
{
    for (size_t i = 0; i < cfg->n_meter; i++) {
        const struct cfg_meter *c = &cfg->meter[i];
        struct site_meter *m = &s->meter[i];
        snprintf(m->name, sizeof(m->name), "%s", c->name);
        m->measures = c->measures_kind;
        m->poll_interval_ms = c->poll_interval.line ? c->poll_interval.v : CFG_DEFAULT_POLL_MS;
        m->stale_timeout_ms = c->stale_timeout.line ? c->stale_timeout.v : CFG_DEFAULT_STALE_MS;
        m->stale_current_ma = c->stale_current.line ? c->stale_current.ma : -1;
        snprintf(m->transport, sizeof(m->transport), "%s", c->transport.s);
        m->unit_id = c->unit_id.line ? c->unit_id.v : 1;
        snprintf(m->map, sizeof(m->map), "%s", c->map_name[0] ? c->map_name : c->map.s);
        m->cfg_line = c->line;
        uint8_t target_mask = 0;
        if (m->measures == CFG_MEASURES_EVSE) {
            m->target = -1;
            for (size_t e = 0; e < s->n_evse; e++) {
                if (s->evse[e].meter == (int32_t)i) {
                    m->target = (int32_t)e;
                }
            }
            if (m->target >= 0) { /* always, after cfg_validate */
                const struct site_evse *e = &s->evse[m->target];
                m->n_inputs = e->n_phases;
                memcpy(m->phase_map, e->phase_map, sizeof(m->phase_map));
            }
        } else {
            m->target = m->measures == CFG_MEASURES_GRID
                            ? 0
                            : cmap[cfg_find_circuit(cfg, c->measures_target) + 1];
            s->circuit[m->target].meter = (int32_t)i;
            target_mask = s->circuit[m->target].phases;
            if (c->phase_map.line) {
                m->n_inputs = c->phase_map.n;
                memcpy(m->phase_map, c->phase_map.ph, sizeof(m->phase_map));
            } else {
                m->n_inputs = 0;
                for (uint8_t p = 0; p < 3; p++) {
                    if ((target_mask >> p) & 1u) {
                        m->phase_map[m->n_inputs++] = p;
                    }
                }
            }
        }
        m->map_keys = s->kv + *kv_used;
        m->n_map_keys = c->map_keys.n;
        if (c->map_keys.n) {
            memcpy(s->kv + *kv_used, c->map_keys.kv, c->map_keys.n * sizeof(*c->map_keys.kv));
        }
        *kv_used += c->map_keys.n;
    }
}

int site_new(const struct config *cfg, struct site **out, char *err, size_t errlen)
{
    *out = NULL;
    struct cfg_diag *diag = malloc(sizeof(*diag));
    if (!diag) {
        return -ENOMEM;
    }
    cfg_diag_init(diag);
    if (cfg_validate(cfg, diag) != 0) {
        for (size_t i = 0; i < diag->n; i++) {
            if (!diag->item[i].warning) {
                snprintf(err, errlen, "%s", diag->item[i].text);
                break;
            }
        }
        free(diag);
        return -EINVAL;
    }
    free(diag);
    size_t nkv = cfg->policy.options.n;
    for (size_t i = 0; i < cfg->n_meter; i++) {
        nkv += cfg->meter[i].map_keys.n;
    }
    for (size_t i = 0; i < cfg->n_evse; i++) {
        nkv += cfg->evse[i].control_keys.n;
    }
    size_t ne = cfg->n_wc + cfg->n_evse;
    struct site *s = calloc(1, sizeof(*s));
    int32_t *cmap = calloc(cfg->n_circuit + 1, sizeof(*cmap));
    int rc = -ENOMEM;
    if (!s || !cmap) {
        goto fail;
    }
    s->circuit = calloc(cfg->n_circuit + 1, sizeof(*s->circuit));
    s->evse = calloc(ne ? ne : 1, sizeof(*s->evse));
    s->controllable = calloc(ne ? ne : 1, sizeof(*s->controllable));
    s->meter = calloc(cfg->n_meter ? cfg->n_meter : 1, sizeof(*s->meter));
    s->bus = calloc(cfg->n_bus ? cfg->n_bus : 1, sizeof(*s->bus));
    s->kv = calloc(nkv ? nkv : 1, sizeof(*s->kv));
    s->policy_opt =
        calloc(cfg->policy.options.n ? cfg->policy.options.n : 1, sizeof(*s->policy_opt));
    if (!s->circuit || !s->evse || !s->controllable || !s->meter || !s->bus || !s->kv ||
        !s->policy_opt) {
        goto fail;
    }
    snprintf(s->name, sizeof(s->name), "%s", cfg->site.name.line ? cfg->site.name.s : "site");
    snprintf(s->file, sizeof(s->file), "%s", cfg->file);
    s->phases = cfg_site_phase_mask(cfg);
    s->voltage_v = cfg->site.voltage.line ? cfg->site.voltage.v : CFG_DEFAULT_VOLTAGE_V;
    s->charging_threshold_ma = cfg->site.charging_threshold.line ? cfg->site.charging_threshold.ma
                                                                 : CFG_DEFAULT_THRESHOLD_MA;
    s->ramp_up_ma_per_s = cfg->site.ramp_up.line ? cfg->site.ramp_up.ma : 0;
    s->control_interval_ms =
        cfg->site.control_interval.line ? cfg->site.control_interval.v : CFG_DEFAULT_INTERVAL_MS;
    s->shutdown_current_ma = cfg->site.shutdown_current.line ? cfg->site.shutdown_current.ma : -1;
    rc = build_circuits(cfg, s, cmap);
    if (rc != 0) {
        goto fail;
    }
    size_t kv_used = 0;
    build_evses(cfg, s, cmap, &kv_used);
    build_meters(cfg, s, cmap, &kv_used);
    s->n_meter = cfg->n_meter;
    for (size_t i = 0; i < cfg->n_bus; i++) {
        const struct cfg_bus *b = &cfg->bus[i];
        struct site_bus *sb = &s->bus[i];
        snprintf(sb->name, sizeof(sb->name), "%s", b->name);
        snprintf(sb->transport, sizeof(sb->transport), "%s", b->transport.s);
        sb->master_auto = !b->master_address.line || b->master_address.is_auto;
        sb->master_address = sb->master_auto ? 0 : b->master_address.v;
        sb->stale_timeout_ms = b->stale_timeout.line ? b->stale_timeout.v : CFG_DEFAULT_STALE_MS;
        sb->cfg_line = b->line;
    }
    s->n_bus = cfg->n_bus;
    const char *pname = cfg->policy.name.line ? cfg->policy.name.s : CFG_DEFAULT_POLICY;
    if (policy_resolve(pname, cfg->policy.dir.s, s->policy, sizeof(s->policy)) != 0) {
        /* cfg_validate has reported it; policy_open will say so again by name. */
        snprintf(s->policy, sizeof(s->policy), "%s", pname);
    }
    for (size_t i = 0; i < cfg->policy.options.n; i++) {
        struct cfg_kv *kv = &s->kv[kv_used++];
        *kv = cfg->policy.options.kv[i];
        s->policy_opt[i].key = kv->key;
        s->policy_opt[i].value = kv->value;
    }
    s->n_policy_opt = cfg->policy.options.n;
    s->policy_isolate = !cfg->policy.isolate.line || cfg->policy.isolate.v;
    s->policy_timeout_ms = cfg->policy.timeout.line ? cfg->policy.timeout.v : 0;
    s->n_kv = kv_used;
    free(cmap);
    *out = s;
    return 0;
fail:
    free(cmap);
    site_free(s);
    snprintf(err, errlen, "%s: %s", cfg->file, rc == -ENOMEM ? "out of memory" : "bad site");
    return rc;
}

void site_free(struct site *s)
{
    if (!s) {
        return;
    }
    free(s->circuit);
    free(s->evse);
    free(s->controllable);
    free(s->meter);
    free(s->bus);
    free(s->kv);
    free(s->policy_opt);
    free(s);
}

int site_find_evse(const struct site *s, const char *name)
{
    for (size_t i = 0; i < s->n_evse; i++) {
        if (strcmp(s->evse[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int site_find_circuit(const struct site *s, const char *name)
{
    for (size_t i = 0; i < s->n_circuit; i++) {
        if (strcmp(s->circuit[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int site_find_meter(const struct site *s, const char *name)
{
    for (size_t i = 0; i < s->n_meter; i++) {
        if (strcmp(s->meter[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

bool site_circuit_is_below(const struct site *s, int32_t c, int32_t anc)
{
    while (c >= 0 && (size_t)c < s->n_circuit) {
        if (c == anc) {
            return true;
        }
        c = s->circuit[c].parent;
    }
    return false;
}

int site_state_new(const struct site *site, struct site_state **out)
{
    *out = NULL;
    struct site_state *st = calloc(1, sizeof(*st));
    if (!st) {
        return -ENOMEM;
    }
    st->n_evse = site->n_evse;
    st->n_meter = site->n_meter;
    st->evse = calloc(site->n_evse ? site->n_evse : 1, sizeof(*st->evse));
    st->meter = calloc(site->n_meter ? site->n_meter : 1, sizeof(*st->meter));
    if (!st->evse || !st->meter) {
        site_state_free(st);
        return -ENOMEM;
    }
    for (size_t i = 0; i < site->n_evse; i++) {
        st->evse[i].offer_ma = SITE_OFFER_UNKNOWN;
        st->evse[i].energy_wanted_wh = -1;
    }
    *out = st;
    return 0;
}

void site_state_free(struct site_state *st)
{
    if (!st) {
        return;
    }
    free(st->evse);
    free(st->meter);
    free(st);
}
