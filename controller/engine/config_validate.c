/* SPDX-License-Identifier: MIT */
/*
 * cfg_validate(): references, ranges and physical sense of a parsed config. Pure: it reads the
 * config and writes messages, nothing else. Every message names the file and the line of the
 * key (or of the section header when a key is missing).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/engine/config.h"
#include "controller/engine/config_internal.h"
#include "controller/engine/policy_loader.h"

void cfg_verr(struct cfg_vctx *v, int line, const char *fmt, ...)
{
    char msg[CFG_DIAG_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_diag_add(v->diag, false, v->cfg->file, line, "%s", msg);
}

void cfg_vwarn(struct cfg_vctx *v, int line, const char *fmt, ...)
{
    char msg[CFG_DIAG_TEXT];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_diag_add(v->diag, true, v->cfg->file, line, "%s", msg);
}

/* ---- derived values ---- */

int cfg_find_circuit(const struct config *cfg, const char *name)
{
    if (strcmp(name, "supply") == 0) {
        return -1;
    }
    for (size_t i = 0; i < cfg->n_circuit; i++) {
        if (strcmp(cfg->circuit[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -2;
}

uint8_t cfg_site_phase_mask(const struct config *cfg)
{
    return cfg->site.phases.line && cfg->site.phases.v == 1 ? 0x1 : 0x7;
}

uint8_t cfg_circuit_mask(const struct config *cfg, const uint8_t *mask, int idx)
{
    if (idx == -1) {
        return cfg_site_phase_mask(cfg);
    }
    return idx >= 0 && (size_t)idx < cfg->n_circuit ? mask[idx] : 0;
}

static uint8_t first_phase(uint8_t mask)
{
    for (uint8_t p = 0; p < 3; p++) {
        if (mask & (1u << p)) {
            return p;
        }
    }
    return 0;
}

/* The mask of circuit i given its parent's mask (0 when its phase keys do not fit). */
static uint8_t own_mask(const struct cfg_circuit *c, uint8_t pmask)
{
    uint32_t phases = c->phases.line ? c->phases.v : (pmask == 0x7 ? 3 : 1);
    if (phases == 3) {
        return pmask == 0x7 && !c->phase.line ? 0x7 : 0;
    }
    if (phases != 1) {
        return 0;
    }
    if (c->phase.line) {
        uint8_t m = (uint8_t)(1u << c->phase.ph[0]);
        return c->phase.n == 1 && (pmask & m) ? m : 0;
    }
    /* a 1-phase circuit under a 1-phase parent inherits its phase */
    return pmask == 0x7 ? 0 : pmask;
}

void cfg_circuit_tree(const struct config *cfg, int32_t *parent, uint8_t *mask)
{
    size_t n = cfg->n_circuit;
    for (size_t i = 0; i < n; i++) {
        const struct cfg_circuit *c = &cfg->circuit[i];
        parent[i] = c->parent.line ? cfg_find_circuit(cfg, c->parent.s) : -1;
        mask[i] = 0;
    }
    /* A parent chain longer than n circuits is a loop. */
    for (size_t i = 0; i < n; i++) {
        int32_t p = parent[i];
        size_t steps = 0;
        while (p >= 0 && steps <= n) {
            p = parent[p];
            steps++;
        }
        if (steps > n) {
            parent[i] = -3;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (parent[i] == -3) {
            parent[i] = -2;
        }
    }
    /* Masks top-down: repeat until nothing changes (depth passes at most). */
    for (size_t pass = 0; pass <= n; pass++) {
        bool changed = false;
        for (size_t i = 0; i < n; i++) {
            if (parent[i] < -1 || mask[i]) {
                continue;
            }
            uint8_t pm = parent[i] == -1 ? cfg_site_phase_mask(cfg) : mask[parent[i]];
            if (pm) {
                mask[i] = own_mask(&cfg->circuit[i], pm);
                changed = changed || mask[i];
            }
        }
        if (!changed) {
            break;
        }
    }
}

uint8_t
cfg_evse_phases(const struct cfg_pmap *given, uint32_t phases, uint8_t circuit_mask, uint8_t map[3])
{
    if (phases == 0) {
        phases = circuit_mask == 0x7 ? 3 : 1;
    }
    map[0] = map[1] = map[2] = 0xff;
    if (phases != 1 && phases != 3) {
        return 0;
    }
    uint8_t m = 0;
    if (given && given->line) {
        if (given->n != phases) {
            return 0;
        }
        for (uint32_t i = 0; i < phases; i++) {
            map[i] = given->ph[i];
            m |= (uint8_t)(1u << given->ph[i]);
        }
    } else if (phases == 3) {
        for (uint8_t i = 0; i < 3; i++) {
            map[i] = i;
        }
        m = 0x7;
    } else {
        map[0] = first_phase(circuit_mask);
        m = (uint8_t)(1u << map[0]);
    }
    return (m & circuit_mask) == m ? m : 0;
}

/* ---- checks ---- */

static int32_t mask_min_limit(const int32_t lim[3], uint8_t mask)
{
    int32_t m = INT32_MAX;
    for (int p = 0; p < 3; p++) {
        if ((mask >> p) & 1u) {
            m = lim[p] < m ? lim[p] : m;
        }
    }
    return m == INT32_MAX ? 0 : m;
}

static void circuit_limits(const struct cfg_vctx *v, int idx, int32_t out[3])
{
    const struct cfg_ma3 *l = idx == -1 ? &v->cfg->site.supply_limit : &v->cfg->circuit[idx].limit;
    for (int p = 0; p < 3; p++) {
        out[p] = l->line > 0 ? l->ma[p] : 0;
    }
}

/* The least positive limit on the phases in mask of circuit idx and every circuit above it up
 * to the supply; *at is the circuit that sets it. 0 when none is known. */
static int32_t chain_min_limit(const struct cfg_vctx *v, int idx, uint8_t mask, int *at)
{
    int32_t best = 0;
    for (size_t steps = 0; idx >= -1 && steps <= v->cfg->n_circuit + 1; steps++) {
        int32_t lim[3];
        circuit_limits(v, idx, lim);
        int32_t m = mask_min_limit(lim, mask);
        if (m > 0 && (best == 0 || m < best)) {
            best = m;
            *at = idx;
        }
        if (idx == -1) {
            break;
        }
        idx = v->parent[idx];
    }
    return best;
}

static const char *circuit_name(const struct config *cfg, int idx)
{
    return idx == -1 ? "supply" : cfg->circuit[idx].name;
}

static void check_site(struct cfg_vctx *v)
{
    const struct cfg_site *s = &v->cfg->site;
    char a[24], b[24];
    if (!s->line) {
        cfg_verr(v, 0, "the [site] section is missing");
        return;
    }
    if (s->phases.line && s->phases.v == 2) {
        cfg_verr(v, s->phases.line, "[site] phases: 2 is not supported (1 or 3)");
    }
    if (!s->supply_limit.line) {
        cfg_verr(v, s->line, "[site] supply_limit_a is missing");
    } else {
        if (cfg_site_phase_mask(v->cfg) == 0x1 && s->supply_limit.n == 3) {
            cfg_verr(v, s->supply_limit.line,
                     "[site] supply_limit_a: three values for a 1-phase site");
        }
        for (int p = 0; p < 3; p++) {
            if (s->supply_limit.ma[p] <= 0) {
                cfg_verr(v, s->supply_limit.line, "[site] supply_limit_a: must be above 0 A");
                break;
            }
        }
    }
    int32_t min = s->min_current.line ? s->min_current.ma : CFG_DEFAULT_MIN_MA;
    if (s->min_current.line && (min < 1000 || min > 80000)) {
        cfg_verr(v, s->min_current.line, "[site] min_current_a: %s A is outside 1..80 A",
                 cfg_fmt_amps(min, a, sizeof(a)));
    }
    int32_t thr = s->charging_threshold.line ? s->charging_threshold.ma : CFG_DEFAULT_THRESHOLD_MA;
    if (s->charging_threshold.line && (thr <= 0 || thr > min)) {
        cfg_verr(
            v, s->charging_threshold.line,
            "[site] charging_threshold_a: %s A must be above 0 and at most min_current_a (%s A)",
            cfg_fmt_amps(thr, a, sizeof(a)), cfg_fmt_amps(min, b, sizeof(b)));
    }
    if (s->overcommit.line > 0 && s->supply_limit.line > 0 &&
        s->overcommit.ma > mask_min_limit(s->supply_limit.ma, cfg_site_phase_mask(v->cfg))) {
        cfg_verr(v, s->overcommit.line, "[site] overcommit_a: above the supply limit");
    }
}

static void check_circuits(struct cfg_vctx *v)
{
    const struct config *cfg = v->cfg;
    char a[24], b[24];
    if (cfg->n_circuit > CFG_CIRCUIT_MAX) {
        cfg_verr(v, cfg->circuit[CFG_CIRCUIT_MAX].line, "more than %d circuits", CFG_CIRCUIT_MAX);
    }
    for (size_t i = 0; i < cfg->n_circuit; i++) {
        const struct cfg_circuit *c = &cfg->circuit[i];
        if (!c->limit.line) {
            cfg_verr(v, c->line, "[circuit %s] limit_a is missing", c->name);
        }
        int pidx = c->parent.line ? cfg_find_circuit(cfg, c->parent.s) : -1;
        if (pidx == -2) {
            cfg_verr(v, c->parent.line, "[circuit %s] parent: no circuit '%s'", c->name,
                     c->parent.s);
            continue;
        }
        if (v->parent[i] == -2) {
            cfg_verr(
                v, c->parent.line,
                "[circuit %s] parent: the chain through '%s' never reaches the supply (a loop)",
                c->name, c->parent.s);
            continue;
        }
        uint8_t pm = cfg_circuit_mask(cfg, v->mask, pidx);
        if (!pm) {
            continue; /* the parent's own error is enough */
        }
        if (c->phases.line && c->phases.v == 2) {
            cfg_verr(v, c->phases.line, "[circuit %s] phases: 2 is not supported (1 or 3)",
                     c->name);
            continue;
        }
        if (c->phases.line && c->phases.v == 3 && pm != 0x7) {
            cfg_verr(v, c->phases.line, "[circuit %s] phases: 3 under the 1-phase %s", c->name,
                     circuit_name(cfg, pidx));
            continue;
        }
        if (c->phase.line && c->phases.line && c->phases.v == 3) {
            cfg_verr(v, c->phase.line, "[circuit %s] phase: only for a 1-phase circuit", c->name);
            continue;
        }
        if (!v->mask[i]) {
            if (c->phase.line) {
                cfg_verr(v, c->phase.line, "[circuit %s] phase: must be one phase that %s carries",
                         c->name, circuit_name(cfg, pidx));
            } else {
                cfg_verr(
                    v, c->phases.line ? c->phases.line : c->line,
                    "[circuit %s] a 1-phase circuit under a 3-phase one needs phase = L1, L2 or "
                    "L3",
                    c->name);
            }
            continue;
        }
        if (!c->limit.line) {
            continue;
        }
        if (c->limit.n == 3 && v->mask[i] != 0x7) {
            cfg_verr(v, c->limit.line, "[circuit %s] limit_a: three values for a 1-phase circuit",
                     c->name);
        }
        int32_t plim[3];
        circuit_limits(v, pidx, plim);
        for (int p = 0; p < 3; p++) {
            if (!((v->mask[i] >> p) & 1u)) {
                continue;
            }
            if (c->limit.ma[p] <= 0) {
                cfg_verr(v, c->limit.line, "[circuit %s] limit_a: must be above 0 A", c->name);
                break;
            }
            if (c->limit.ma[p] > plim[p] && plim[p] > 0) {
                cfg_vwarn(
                    v, c->limit.line,
                    "[circuit %s] limit_a: %s A on L%d is above its parent %s's %s A (allowed; "
                    "the parent still limits)",
                    c->name, cfg_fmt_amps(c->limit.ma[p], a, sizeof(a)), p + 1,
                    circuit_name(cfg, pidx), cfg_fmt_amps(plim[p], b, sizeof(b)));
            }
        }
        /* an unparsable limit_a (negative line) was reported once; no overcommit error on top */
        if (c->overcommit.line > 0 && c->limit.line > 0 &&
            c->overcommit.ma > mask_min_limit(c->limit.ma, v->mask[i])) {
            cfg_verr(v, c->overcommit.line, "[circuit %s] overcommit_a: above the circuit's limit",
                     c->name);
        }
    }
}

static void check_buses(struct cfg_vctx *v)
{
    const struct config *cfg = v->cfg;
    if (cfg->n_bus > CFG_BUS_MAX) {
        cfg_verr(v, cfg->bus[CFG_BUS_MAX].line, "more than %d buses", CFG_BUS_MAX);
    }
    for (size_t i = 0; i < cfg->n_bus; i++) {
        const struct cfg_bus *b = &cfg->bus[i];
        if (!b->transport.line) {
            cfg_verr(v, b->line, "[bus %s] transport is missing", b->name);
        }
        const struct cfg_addr *ma = &b->master_address;
        if (ma->line > 0 && !ma->is_auto && (ma->v == 0x0000 || ma->v == 0xffff)) {
            cfg_verr(v, ma->line, "[bus %s] master_address: %04x is reserved", b->name, ma->v);
        } else if (ma->line > 0 && !ma->is_auto && ma->v == CFG_TWCMANAGER_ID) {
            /* twcmanager-peer.md: TWCManager's master always uses 7777; twc-gen2.md §6.6: two
             * masters on one bus fight, and equal IDs make each take the other's frames as
             * echoes of its own. */
            cfg_vwarn(v, ma->line,
                      "[bus %s] master_address: 7777 is TWCManager's fixed master ID; should it "
                      "ever run on this bus too, the two masters could not tell each other "
                      "apart: use auto or another ID",
                      b->name);
        }
        size_t n = 0;
        for (size_t w = 0; w < cfg->n_wc; w++) {
            if (cfg->wc[w].bus.line && strcmp(cfg->wc[w].bus.s, b->name) == 0 &&
                ++n == CFG_WC_PER_BUS + 1) {
                cfg_verr(
                    v, cfg->wc[w].bus.line,
                    "[wallconnector %s] bus: %s already has %d Wall Connectors, the most a Gen 2 "
                    "master serves (twc-gen2.md §6.3)",
                    cfg->wc[w].name, b->name, CFG_WC_PER_BUS);
            }
        }
    }
}

/* Checks shared by both EVSE kinds: circuit, currents, phases. Returns the circuit index or -2. */
struct evse_common {
    const char *kind, *name;
    int line;
    const struct cfg_name *circuit;
    const struct cfg_ma *max, *min, *stale;
    const struct cfg_u32 *phases;
    const struct cfg_pmap *map;
    int32_t step_ma;
    bool whole_amps;
};

static void check_evse_common(struct cfg_vctx *v, const struct evse_common *e)
{
    const struct config *cfg = v->cfg;
    char a[24], b[24];
    int ci = -2;
    if (!e->circuit->line) {
        cfg_verr(v, e->line, "[%s %s] circuit is missing", e->kind, e->name);
    } else if ((ci = cfg_find_circuit(cfg, e->circuit->s)) == -2) {
        cfg_verr(v, e->circuit->line, "[%s %s] circuit: no circuit '%s'", e->kind, e->name,
                 e->circuit->s);
    }
    /* A minimum inherited from [site] gets the same checks as one written in the section; the
     * message then names the section and where the value came from. */
    bool own_min = e->min->line != 0;
    bool site_min = !own_min && cfg->site.min_current.line > 0;
    int32_t min = own_min ? e->min->ma : site_min ? cfg->site.min_current.ma : CFG_DEFAULT_MIN_MA;
    int min_line = own_min ? e->min->line : e->line;
    char from[48] = "";
    if (site_min) {
        snprintf(from, sizeof(from), " (from [site] line %d)", cfg->site.min_current.line);
    }
    if (!e->max->line) {
        cfg_verr(v, e->line, "[%s %s] max_current_a is missing", e->kind, e->name);
        return;
    }
    int32_t max = e->max->ma;
    if (e->whole_amps) {
        /* twc-gen2.md §5.3: Wall Connectors take whole amps; 5 A is the v1 minimum, 80 A the
         * largest rotary setting */
        if (max % 1000 || max < 6000 || max > 80000) {
            cfg_verr(v, e->max->line,
                     "[%s %s] max_current_a: %s A is not a whole number of amps in "
                     "6..80 (twc-gen2.md §5.3)",
                     e->kind, e->name, cfg_fmt_amps(max, a, sizeof(a)));
        }
        if ((own_min || site_min) && (min % 1000 || min < 5000)) {
            cfg_verr(v, min_line,
                     "[%s %s] min_current_a: %s A%s is not a whole number of amps of "
                     "at least 5 (twc-gen2.md §5.3)",
                     e->kind, e->name, cfg_fmt_amps(min, a, sizeof(a)), from);
        }
    } else {
        if (max <= 0) {
            cfg_verr(v, e->max->line, "[%s %s] max_current_a: must be above 0 A", e->kind, e->name);
        }
        if (e->step_ma <= 0) {
            return; /* reported by the caller */
        }
        if (min % e->step_ma) {
            cfg_verr(v, min_line, "[%s %s] min_current_a: %s A%s is not a multiple of step_a",
                     e->kind, e->name, cfg_fmt_amps(min, a, sizeof(a)), from);
        }
    }
    if (e->min->line && e->min->ma <= 0) {
        cfg_verr(v, e->min->line, "[%s %s] min_current_a: must be above 0 A", e->kind, e->name);
    }
    if (min > max) {
        cfg_verr(v, own_min ? e->min->line : e->max->line,
                 "[%s %s] min_current_a %s A%s is above max_current_a %s A", e->kind, e->name,
                 cfg_fmt_amps(min, a, sizeof(a)), from, cfg_fmt_amps(max, b, sizeof(b)));
    }
    if (e->stale->line && e->stale->ma != 0 && (e->stale->ma < min || e->stale->ma > max)) {
        cfg_verr(v, e->stale->line, "[%s %s] stale_current_a: %s A is outside 0 or %s..%s A",
                 e->kind, e->name, cfg_fmt_amps(e->stale->ma, a, sizeof(a)),
                 cfg_fmt_amps(min, b, sizeof(b)), cfg_fmt_amps(max, a, sizeof(a)));
    }
    if (ci == -2) {
        return;
    }
    uint8_t cm = cfg_circuit_mask(cfg, v->mask, ci);
    if (!cm) {
        return; /* the circuit's own error is enough */
    }
    if (e->phases->line && e->phases->v == 2) {
        cfg_verr(v, e->phases->line, "[%s %s] phases: 2 is not supported (1 or 3)", e->kind,
                 e->name);
        return;
    }
    if (e->phases->line && e->phases->v == 3 && cm != 0x7) {
        cfg_verr(v, e->phases->line, "[%s %s] phases: 3 on the 1-phase circuit %s", e->kind,
                 e->name, circuit_name(cfg, ci));
        return;
    }
    uint8_t map[3];
    uint32_t phases = e->phases->line ? e->phases->v : 0;
    uint8_t em = cfg_evse_phases(e->map, phases, cm, map);
    if (!em) {
        cfg_verr(v, e->map->line ? e->map->line : e->line,
                 "[%s %s] phase_map: needs one phase per EVSE phase, all on phases %s carries",
                 e->kind, e->name, circuit_name(cfg, ci));
        return;
    }
    /* Every level above the charger limits it, not only its own circuit (a circuit's limit may
     * exceed its parent's): the least of them on the charger's phases is what could ever flow. */
    int at = ci;
    int32_t cmin = chain_min_limit(v, ci, em, &at);
    if (cmin > 0 && min > cmin) {
        cfg_verr(v, own_min ? e->min->line : e->max->line,
                 "[%s %s] min_current_a %s A%s is above circuit %s's %s A: it could never charge",
                 e->kind, e->name, cfg_fmt_amps(min, a, sizeof(a)), from, circuit_name(cfg, at),
                 cfg_fmt_amps(cmin, b, sizeof(b)));
    } else if (cmin > 0 && max > cmin) {
        cfg_vwarn(v, e->max->line,
                  "[%s %s] max_current_a %s A is above circuit %s's %s A; clamped to "
                  "%s A",
                  e->kind, e->name, cfg_fmt_amps(max, a, sizeof(a)), circuit_name(cfg, at),
                  cfg_fmt_amps(cmin, b, sizeof(b)), b);
    }
}

static void check_wallconnectors(struct cfg_vctx *v)
{
    const struct config *cfg = v->cfg;
    for (size_t i = 0; i < cfg->n_wc; i++) {
        const struct cfg_wc *w = &cfg->wc[i];
        const struct cfg_bus *bus = NULL;
        for (size_t b = 0; w->bus.line && b < cfg->n_bus; b++) {
            if (strcmp(cfg->bus[b].name, w->bus.s) == 0) {
                bus = &cfg->bus[b];
            }
        }
        if (!w->bus.line) {
            cfg_verr(v, w->line, "[wallconnector %s] bus is missing", w->name);
        } else if (!bus) {
            cfg_verr(v, w->bus.line, "[wallconnector %s] bus: no bus '%s'", w->name, w->bus.s);
        }
        if (!w->address.line) {
            cfg_verr(v, w->line, "[wallconnector %s] address is missing (4 hex digits or auto)",
                     w->name);
        } else if (w->address.line > 0 && !w->address.is_auto &&
                   (w->address.v == 0x0000 || w->address.v == 0xffff)) {
            /* twc-gen2.md §7.5: 0000 is what frames to nobody carry; FFFF is no unit either */
            cfg_verr(v, w->address.line, "[wallconnector %s] address: %04x is reserved", w->name,
                     w->address.v);
        } else if (!w->address.is_auto && bus) {
            /* an auto master ID is picked around the configured slave IDs (site.h) */
            const struct cfg_addr *master = &bus->master_address;
            if (master->line > 0 && !master->is_auto && w->address.v == master->v) {
                cfg_verr(v, w->address.line, "[wallconnector %s] address: %04x is the master's own",
                         w->name, w->address.v);
            }
            for (size_t j = 0; j < i; j++) {
                const struct cfg_wc *o = &cfg->wc[j];
                if (o->address.line && !o->address.is_auto && o->address.v == w->address.v &&
                    strcmp(o->bus.s, w->bus.s) == 0) {
                    cfg_verr(
                        v, w->address.line,
                        "[wallconnector %s] address: %04x is also [wallconnector %s] (line %d)",
                        w->name, w->address.v, o->name, o->line);
                }
            }
        }
        struct evse_common e = {
            .kind = "wallconnector",
            .name = w->name,
            .line = w->line,
            .circuit = &w->circuit,
            .max = &w->max_current,
            .min = &w->min_current,
            .stale = &w->stale_current,
            .phases = &w->phases,
            .map = &w->phase_map,
            .step_ma = 1000,
            .whole_amps = true,
        };
        check_evse_common(v, &e);
    }
}

static int find_meter(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_meter; i++) {
        if (strcmp(cfg->meter[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void cfg_check_evse_ocpp(struct cfg_vctx *v, size_t i);

static void check_evses(struct cfg_vctx *v)
{
    const struct config *cfg = v->cfg;
    char a[24];
    if (cfg->n_wc + cfg->n_evse > CFG_EVSE_MAX) {
        /* at the section that is one too many: both lists are in file order */
        size_t w = 0, e = 0;
        int line = 0;
        for (size_t k = 0; k <= CFG_EVSE_MAX; k++) {
            bool wc = e >= cfg->n_evse || (w < cfg->n_wc && cfg->wc[w].line < cfg->evse[e].line);
            line = wc ? cfg->wc[w++].line : cfg->evse[e++].line;
        }
        cfg_verr(v, line, "more than %d EVSEs (Wall Connectors and [evse] together)", CFG_EVSE_MAX);
    }
    for (size_t i = 0; i < cfg->n_evse; i++) {
        const struct cfg_evse *e = &cfg->evse[i];
        for (size_t w = 0; w < cfg->n_wc; w++) {
            if (strcmp(cfg->wc[w].name, e->name) == 0) {
                cfg_verr(v, e->line, "[evse %s]: the name is also [wallconnector %s] (line %d)",
                         e->name, e->name, cfg->wc[w].line);
            }
        }
        bool none = false;
        if (!e->control.line) {
            cfg_verr(v, e->line, "[evse %s] control is missing (none, modbus or ocpp)", e->name);
        } else if (strcmp(e->control.s, "none") == 0) {
            none = true;
        } else if (strcmp(e->control.s, "ocpp") == 0) {
            cfg_check_evse_ocpp(v, i);
        } else if (strcmp(e->control.s, "modbus") != 0) {
            cfg_verr(v, e->control.line, "[evse %s] control: '%s' is not none, modbus or ocpp",
                     e->name, e->control.s);
        }
        if ((e->ocpp_id.line || e->connector.line) &&
            (e->control.line <= 0 || strcmp(e->control.s, "ocpp") != 0)) {
            cfg_verr(v, e->ocpp_id.line ? e->ocpp_id.line : e->connector.line,
                     "[evse %s] ocpp_id and connector need control = ocpp", e->name);
        }
        if (none) {
            int line = e->control_transport.line ? e->control_transport.line
                       : e->control_unit_id.line ? e->control_unit_id.line
                       : e->control_map.line     ? e->control_map.line
                       : e->control_keys.n       ? e->control_keys.kv[0].line
                                                 : 0;
            if (line) {
                cfg_verr(v, line, "[evse %s] control_* keys need control = modbus", e->name);
            }
            if (!e->meter.line) {
                cfg_verr(v, e->line, "[evse %s] control = none needs a meter", e->name);
            }
        } else if (e->control.line > 0 && strcmp(e->control.s, "modbus") == 0) {
            if (!e->control_transport.line) {
                cfg_verr(v, e->line, "[evse %s] control = modbus needs control_transport", e->name);
            }
            cfg_check_evse_modbus(v, e);
        }
        if (e->meter.line) {
            int m = find_meter(cfg, e->meter.s);
            if (m < 0) {
                cfg_verr(v, e->meter.line, "[evse %s] meter: no meter '%s'", e->name, e->meter.s);
            } else if (cfg->meter[m].measures_kind != CFG_MEASURES_EVSE) {
                cfg_verr(v, e->meter.line,
                         "[evse %s] meter: %s does not measure an EVSE (measures = "
                         "%s)",
                         e->name, e->meter.s, cfg->meter[m].measures.s);
            }
            for (size_t j = 0; j < i; j++) {
                if (cfg->evse[j].meter.line && strcmp(cfg->evse[j].meter.s, e->meter.s) == 0) {
                    cfg_verr(v, e->meter.line, "[evse %s] meter: %s already measures [evse %s]",
                             e->name, e->meter.s, cfg->evse[j].name);
                }
            }
        }
        int32_t step = e->step.line ? e->step.ma : 1000;
        if (e->step.line && (step <= 0 || step > 10000)) {
            cfg_verr(v, e->step.line, "[evse %s] step_a: %s A is outside 0.001..10 A", e->name,
                     cfg_fmt_amps(step, a, sizeof(a)));
            step = 0;
        }
        struct evse_common c = {
            .kind = "evse",
            .name = e->name,
            .line = e->line,
            .circuit = &e->circuit,
            .max = &e->max_current,
            .min = &e->min_current,
            .stale = &e->stale_current,
            .phases = &e->phases,
            .map = &e->phase_map,
            .step_ma = step,
        };
        check_evse_common(v, &c);
    }
}

static uint8_t phase_count(uint8_t mask)
{
    return (uint8_t)((mask & 1u) + ((mask >> 1) & 1u) + ((mask >> 2) & 1u));
}

/* The phases an [evse] loads (1 or 3), or 0 when its own keys are in error. */
static uint8_t evse_phase_count(const struct cfg_vctx *v, const struct cfg_evse *e)
{
    if (e->phases.line > 0) {
        return e->phases.v == 1 || e->phases.v == 3 ? (uint8_t)e->phases.v : 0;
    }
    if (e->phases.line < 0 || e->circuit.line <= 0) {
        return 0;
    }
    uint8_t cm = cfg_circuit_mask(v->cfg, v->mask, cfg_find_circuit(v->cfg, e->circuit.s));
    return cm == 0 ? 0 : cm == 0x7 ? 3 : 1;
}

static void check_meters(struct cfg_vctx *v)
{
    const struct config *cfg = v->cfg;
    int grid_line = 0;
    if (cfg->n_meter > CFG_METER_MAX) {
        cfg_verr(v, cfg->meter[CFG_METER_MAX].line, "more than %d meters", CFG_METER_MAX);
    }
    for (size_t i = 0; i < cfg->n_meter; i++) {
        const struct cfg_meter *m = &cfg->meter[i];
        if (!m->transport.line) {
            cfg_verr(v, m->line, "[meter %s] transport is missing", m->name);
        }
        if (!m->map.line) {
            cfg_verr(v, m->line, "[meter %s] map is missing", m->name);
        }
        if (!m->measures.line) {
            cfg_verr(v, m->line, "[meter %s] measures is missing (grid, circuit:NAME or evse)",
                     m->name);
            cfg_check_meter_modbus(v, m, 0, "");
            continue;
        }
        uint8_t target_mask = 0;
        uint8_t evse_phases = 0;
        char target[CFG_NAME_MAX + 16] = "";
        switch (m->measures_kind) {
        case CFG_MEASURES_GRID:
            snprintf(target, sizeof(target), "the supply");
            if (grid_line) {
                cfg_verr(v, m->measures.line,
                         "[meter %s] measures: a grid meter is already given at "
                         "line %d",
                         m->name, grid_line);
            }
            grid_line = m->measures.line;
            target_mask = cfg_site_phase_mask(cfg);
            break;
        case CFG_MEASURES_CIRCUIT: {
            int ci = cfg_find_circuit(cfg, m->measures_target);
            if (ci < 0) {
                cfg_verr(v, m->measures.line, "[meter %s] measures: no circuit '%s'", m->name,
                         m->measures_target);
                break;
            }
            target_mask = v->mask[ci];
            snprintf(target, sizeof(target), "circuit %s", m->measures_target);
            for (size_t j = 0; j < i; j++) {
                if (cfg->meter[j].measures_kind == CFG_MEASURES_CIRCUIT &&
                    strcmp(cfg->meter[j].measures_target, m->measures_target) == 0) {
                    cfg_verr(v, m->measures.line,
                             "[meter %s] measures: circuit %s is already "
                             "measured by [meter %s]",
                             m->name, m->measures_target, cfg->meter[j].name);
                }
            }
            break;
        }
        case CFG_MEASURES_EVSE: {
            int owner = -1;
            for (size_t e = 0; e < cfg->n_evse; e++) {
                if (cfg->evse[e].meter.line && strcmp(cfg->evse[e].meter.s, m->name) == 0) {
                    owner = (int)e;
                }
            }
            if (owner < 0) {
                cfg_verr(v, m->measures.line,
                         "[meter %s] measures: evse, but no [evse] names this "
                         "meter",
                         m->name);
            } else if (m->measures_target[0] &&
                       strcmp(m->measures_target, cfg->evse[owner].name) != 0) {
                cfg_verr(v, m->measures.line,
                         "[meter %s] measures: evse:%s, but it is [evse %s] "
                         "that names this meter",
                         m->name, m->measures_target, cfg->evse[owner].name);
            }
            if (owner >= 0) {
                evse_phases = evse_phase_count(v, &cfg->evse[owner]);
                snprintf(target, sizeof(target), "evse %s", cfg->evse[owner].name);
            }
            if (m->phase_map.line) {
                cfg_verr(v, m->phase_map.line,
                         "[meter %s] phase_map: an EVSE meter follows its "
                         "EVSE's phase_map",
                         m->name);
            }
            break;
        }
        case CFG_MEASURES_NONE:
            break;
        }
        if (target_mask && m->phase_map.line) {
            for (uint8_t p = 0; p < m->phase_map.n; p++) {
                if (!((target_mask >> m->phase_map.ph[p]) & 1u)) {
                    cfg_verr(v, m->phase_map.line,
                             "[meter %s] phase_map: L%d is not a phase of what "
                             "it measures",
                             m->name, m->phase_map.ph[p] + 1);
                    break;
                }
            }
        }
        uint8_t inputs = evse_phases;
        if (target_mask) {
            inputs = m->phase_map.line > 0 ? m->phase_map.n : phase_count(target_mask);
        }
        cfg_check_meter_modbus(v, m, inputs, target);
        uint32_t poll = m->poll_interval.line ? m->poll_interval.v : CFG_DEFAULT_POLL_MS;
        uint32_t stale = m->stale_timeout.line ? m->stale_timeout.v : CFG_DEFAULT_STALE_MS;
        if (stale < 2 * poll) {
            cfg_verr(v, m->stale_timeout.line ? m->stale_timeout.line : m->poll_interval.line,
                     "[meter %s] stale_timeout_ms %u is shorter than two polls (%u ms)", m->name,
                     stale, 2 * poll);
        }
    }
}

static void check_policy(struct cfg_vctx *v)
{
    const struct cfg_policy *p = &v->cfg->policy;
    if (p->line && !p->name.line) {
        cfg_verr(v, p->line, "[policy] name is missing");
        return;
    }
    if (!p->name.line) {
        return;
    }
    const char *n = p->name.s;
    size_t len = strlen(n);
    bool path = strchr(n, '/') && len > 3 && strcmp(n + len - 3, ".so") == 0;
    char found[CFG_TEXT_MAX + 64];
    if (!path && policy_resolve(n, p->dir.s, found, sizeof(found)) != 0) {
        char list[160];
        policy_builtin_list(list, sizeof(list));
        cfg_verr(v, p->name.line,
                 "[policy] name: '%s' is neither a built-in (%s), nor a path to a .so, nor a "
                 "plugin %s/%s.so",
                 n, list, p->dir.line ? p->dir.s : AMPSHARE_POLICY_DIR, n);
    }
}

/* [http] and [mqtt]: what the daemon's telemetry needs before it starts. */
static void check_telemetry(struct cfg_vctx *v)
{
    const struct cfg_mqtt *m = &v->cfg->mqtt;
    if (m->line && !m->url.line) {
        cfg_verr(v, m->line, "[mqtt] url is missing (mqtt://HOST[:PORT], mqtts://... or unix:/PATH)");
    }
    const char *u = m->url.s;
    if (m->url.line && strncmp(u, "mqtt://", 7) != 0 && strncmp(u, "mqtts://", 8) != 0 &&
        strncmp(u, "unix:/", 6) != 0) {
        cfg_verr(v, m->url.line, "[mqtt] url: '%s' is not mqtt://HOST[:PORT], mqtts://... or unix:/PATH", u);
    }
    if (m->commands.line && strcmp(m->commands.s, "yes") != 0 && strcmp(m->commands.s, "no") != 0) {
        cfg_verr(v, m->commands.line, "[mqtt] commands: '%s' is not yes or no", m->commands.s);
    }
    const struct cfg_http *h = &v->cfg->http;
    struct cfg_listen l;
    if (h->listen.line && cfg_parse_listen(h->listen.s, &l) != 0) {
        cfg_verr(v, h->listen.line,
                 "[http] listen: '%s' is not ADDRESS:PORT with a numeric address (127.0.0.1:8080, [::1]:8080)",
                 h->listen.s);
    }
}

/* [evse] control = ocpp: an id, unique, and an [ocpp] section to serve it. */
static void cfg_check_evse_ocpp(struct cfg_vctx *v, size_t i)
{
    const struct config *cfg = v->cfg;
    const struct cfg_evse *e = &cfg->evse[i];
    if (!e->ocpp_id.line || !e->ocpp_id.s[0]) {
        cfg_verr(v, e->line, "[evse %s] control = ocpp needs ocpp_id", e->name);
    } else if (strlen(e->ocpp_id.s) >= 48 || strpbrk(e->ocpp_id.s, "/?#: ")) {
        cfg_verr(v, e->ocpp_id.line,
                 "[evse %s] ocpp_id: '%s' is not 1..47 characters without / ? # : or space",
                 e->name, e->ocpp_id.s);
    }
    for (size_t j = 0; j < i; j++) {
        if (cfg->evse[j].ocpp_id.line && e->ocpp_id.line &&
            strcmp(cfg->evse[j].ocpp_id.s, e->ocpp_id.s) == 0) {
            cfg_verr(v, e->ocpp_id.line, "[evse %s] ocpp_id: %s is already [evse %s]", e->name,
                     e->ocpp_id.s, cfg->evse[j].name);
        }
    }
    if (!cfg->ocpp.line) {
        cfg_verr(v, e->control.line, "[evse %s] control = ocpp needs an [ocpp] section",
                 e->name);
    }
    int line = e->control_transport.line ? e->control_transport.line
               : e->control_map.line     ? e->control_map.line
               : e->control_keys.n       ? e->control_keys.kv[0].line
                                         : 0;
    if (line) {
        cfg_verr(v, line, "[evse %s] control_* keys need control = modbus", e->name);
    }
}

static void cfg_check_ocpp(struct cfg_vctx *v)
{
    const struct cfg_ocpp *o = &v->cfg->ocpp;
    struct cfg_listen l;
    if (o->listen.line && cfg_parse_listen(o->listen.s, &l) != 0) {
        cfg_verr(v, o->listen.line,
                 "[ocpp] listen: '%s' is not ADDRESS:PORT with a numeric address (127.0.0.1:9000)",
                 o->listen.s);
    }
    if (!o->certificate.line != !o->key.line) {
        cfg_verr(v, o->certificate.line ? o->certificate.line : o->key.line,
                 "[ocpp] certificate and key go together (wss://)");
    }
}

int cfg_validate(const struct config *cfg, struct cfg_diag *diag)
{
    size_t before = diag->errors;
    size_t n = cfg->n_circuit ? cfg->n_circuit : 1;
    int32_t *parent = calloc(n, sizeof(*parent));
    uint8_t *mask = calloc(n, sizeof(*mask));
    if (!parent || !mask) {
        free(parent);
        free(mask);
        cfg_diag_add(diag, false, cfg->file, 0, "out of memory");
        return -ENOMEM;
    }
    struct cfg_vctx v = {.cfg = cfg, .diag = diag, .parent = parent, .mask = mask};
    cfg_circuit_tree(cfg, parent, mask);
    check_site(&v);
    check_circuits(&v);
    check_buses(&v);
    check_wallconnectors(&v);
    check_evses(&v);
    check_meters(&v);
    check_policy(&v);
    check_telemetry(&v);
    cfg_check_ocpp(&v);
    if (cfg->n_wc + cfg->n_evse == 0 && cfg->site.line) {
        cfg_vwarn(&v, cfg->site.line, "[site] no Wall Connector or EVSE is configured");
    }
    free(parent);
    free(mask);
    return diag->errors > before ? -EINVAL : 0;
}
