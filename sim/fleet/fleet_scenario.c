/* SPDX-License-Identifier: MIT */
/* Scenario files (docs/scenarios.md): [scenario], [car NAME], [load NAME], [fault NAME],
 * [arrivals]. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "controller/engine/config.h"
#include "sim/fleet/fleet.h"
#include "sim/fleet/replay.h"

struct pending_car {
    struct fleet_car c;
    char charger[FLEET_NAME_MAX];
    double energy_kwh; /* < 0: from soc */
};

struct arrivals {
    bool on;
    long count;
    char chargers[4096];
    char profiles[512];
    double first_s, spread_s, dwell_s, dwell_spread_s, soc, soc_spread, target_soc;
    bool tell;
    char sessions[512]; /* a sessions file instead of the generator */
    double offset_s;    /* the file's time that is the scenario's 0 */
};

struct parse {
    struct fleet_scenario *sc;
    const char *path;
    struct pending_car *pc;
    size_t n_pc, cap_pc;
    struct arrivals arr;
    char load_circuit[16][FLEET_NAME_MAX];
    char *err;
    size_t errlen;
    bool failed;
};

static int bad(struct parse *p, const char *section, const char *key, const char *why)
{
    if (!p->failed) {
        snprintf(p->err, p->errlen, "%s: [%s] %s: %s", p->path, section, key, why);
        p->failed = true;
    }
    return 0;
}

static bool num(const char *v, double *out)
{
    char *end;
    *out = strtod(v, &end);
    return end != v && *end == '\0';
}

static bool yes(const char *v, bool *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) {
        *out = true;
    } else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) {
        *out = false;
    } else {
        return false;
    }
    return true;
}

static struct pending_car *car_named(struct parse *p, const char *name)
{
    for (size_t i = 0; i < p->n_pc; i++) {
        if (strcmp(p->pc[i].c.name, name) == 0) {
            return &p->pc[i];
        }
    }
    if (p->n_pc == p->cap_pc) {
        size_t nc = p->cap_pc ? p->cap_pc * 2 : 16;
        struct pending_car *n = realloc(p->pc, nc * sizeof(*n));
        if (!n) {
            return NULL;
        }
        p->pc = n;
        p->cap_pc = nc;
    }
    struct pending_car *c = &p->pc[p->n_pc++];
    memset(c, 0, sizeof(*c));
    snprintf(c->c.name, sizeof(c->c.name), "%s", name);
    c->c.soc0 = 0.2;
    c->c.soc_target = 0.9;
    c->energy_kwh = -1;
    return c;
}

static int on_car(struct parse *p, const char *sec, const char *name, const char *k, const char *v)
{
    struct pending_car *pc = car_named(p, name);
    if (!pc) {
        return bad(p, sec, k, "out of memory");
    }
    struct fleet_car *c = &pc->c;
    double d;
    if (!strcmp(k, "charger")) {
        snprintf(pc->charger, sizeof(pc->charger), "%s", v);
    } else if (!strcmp(k, "profile")) {
        if (!(c->p = fleet_profile_find(v))) {
            return bad(p, sec, k,
                       "unknown profile (tesla-model-3, tesla-model-s, bmw-i3, renault-zoe)");
        }
    } else if (!strcmp(k, "tell")) {
        if (!yes(v, &c->tell)) {
            return bad(p, sec, k, "want yes or no");
        }
    } else if (!strcmp(k, "resume_after_pause")) {
        bool r;
        if (!yes(v, &r)) {
            return bad(p, sec, k, "want yes or no");
        }
        c->no_resume = !r;
    } else if (!num(v, &d) || d < 0) {
        return bad(p, sec, k, "want a number, 0 or more");
    } else if (!strcmp(k, "arrive_s")) {
        c->arrive_ms = (uint64_t)(d * 1000);
    } else if (!strcmp(k, "depart_s")) {
        c->depart_ms = (uint64_t)(d * 1000);
    } else if (!strcmp(k, "soc")) {
        c->soc0 = d / 100;
    } else if (!strcmp(k, "target_soc")) {
        c->soc_target = d / 100;
    } else if (!strcmp(k, "energy_kwh")) {
        pc->energy_kwh = d;
    } else if (!strcmp(k, "wake_at_s")) {
        c->wake_at_ms = (uint64_t)(d * 1000);
    } else if (!strcmp(k, "wake_a")) {
        c->wake_ma = (int32_t)(d * 1000);
    } else if (!strcmp(k, "wake_s")) {
        c->wake_ms = (uint32_t)(d * 1000);
    } else {
        return bad(p, sec, k, "unknown key");
    }
    return 1;
}

int32_t fleet_load_ma(const struct site *site, const struct fleet_load *ld, uint64_t now_ms, int p)
{
    if (now_ms < ld->from_ms || (ld->to_ms && now_ms >= ld->to_ms) ||
        !((site->circuit[ld->circuit].phases >> p) & 1)) {
        return 0;
    }
    uint64_t t = now_ms - ld->from_ms;
    if (ld->ramp_ms && t < ld->ramp_ms) {
        return (int32_t)((int64_t)ld->ma[p] * (int64_t)t / (int64_t)ld->ramp_ms);
    }
    return ld->ma[p];
}

bool fleet_fault_active(const struct fleet_fault *f, uint64_t now_ms)
{
    return now_ms >= f->at_ms && (!f->for_ms || now_ms < f->at_ms + f->for_ms);
}

static const char *const fault_kinds[] = {
    [FLEET_FAULT_METER_SILENT] = "meter_silent",   [FLEET_FAULT_EVSE_SILENT] = "evse_silent",
    [FLEET_FAULT_SLAVE_SILENT] = "slave_silent",   [FLEET_FAULT_SLAVE_REBOOT] = "slave_reboot",
    [FLEET_FAULT_SECOND_MASTER] = "second_master",
};

/* The index kind's target names, or -1. */
static int fault_target(const struct site *site, enum fleet_fault_kind kind, const char *v)
{
    int i;
    switch (kind) {
    case FLEET_FAULT_METER_SILENT:
        return site_find_meter(site, v);
    case FLEET_FAULT_EVSE_SILENT:
        i = site_find_evse(site, v);
        return i >= 0 && site->evse[i].kind == SITE_EVSE_THIRD_PARTY && site->evse[i].controllable
                   ? i
                   : -1;
    case FLEET_FAULT_SLAVE_SILENT:
    case FLEET_FAULT_SLAVE_REBOOT:
        i = site_find_evse(site, v);
        return i >= 0 && site->evse[i].kind == SITE_EVSE_WALL_CONNECTOR ? i : -1;
    case FLEET_FAULT_SECOND_MASTER:
        for (size_t b = 0; b < site->n_bus; b++) {
            if (!strcmp(site->bus[b].name, v)) {
                return (int)b;
            }
        }
        return -1;
    }
    return -1;
}

static int on_fault(struct parse *p, const char *sec, const char *k, const char *v)
{
    struct fleet_scenario *sc = p->sc;
    const char *name = sec + 6;
    if (sc->n_fault == 0 || strcmp(sc->fault[sc->n_fault - 1].name, name) != 0) {
        if (sc->n_fault == 16) {
            return bad(p, sec, k, "at most 16 faults");
        }
        struct fleet_fault *f = &sc->fault[sc->n_fault++];
        memset(f, 0, sizeof(*f));
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->target = -1;
    }
    struct fleet_fault *f = &sc->fault[sc->n_fault - 1];
    double d;
    if (!strcmp(k, "kind")) {
        for (size_t i = 1; i < sizeof(fault_kinds) / sizeof(fault_kinds[0]); i++) {
            if (!strcmp(v, fault_kinds[i])) {
                f->kind = (enum fleet_fault_kind)i;
                return 1;
            }
        }
        return bad(p, sec, k,
                   "want meter_silent, evse_silent, slave_silent, slave_reboot or second_master");
    }
    if (!strcmp(k, "target")) {
        if (!f->kind) {
            return bad(p, sec, k, "give kind first");
        }
        f->target = fault_target(sc->site, f->kind, v);
        if (f->target < 0) {
            return bad(
                p, sec, k,
                f->kind == FLEET_FAULT_METER_SILENT    ? "no such [meter] in the site"
                : f->kind == FLEET_FAULT_EVSE_SILENT   ? "not a controllable [evse] of the site"
                : f->kind == FLEET_FAULT_SECOND_MASTER ? "no such [bus] in the site"
                                                       : "not a [wallconnector] of the site");
        }
        return 1;
    }
    if (!num(v, &d) || d < 0) {
        return bad(p, sec, k, "want a number, 0 or more");
    }
    if (!strcmp(k, "at_s")) {
        f->at_ms = (uint64_t)(d * 1000);
    } else if (!strcmp(k, "for_s")) {
        f->for_ms = (uint64_t)(d * 1000);
    } else {
        return bad(p, sec, k, "unknown key");
    }
    return 1;
}

static int handler(void *user, const char *section, const char *k, const char *v)
{
    struct parse *p = user;
    struct fleet_scenario *sc = p->sc;
    double d;
    if (p->failed) {
        return 0;
    }
    if (!strcmp(section, "scenario")) {
        if (!strcmp(k, "name")) {
            snprintf(sc->name, sizeof(sc->name), "%s", v);
        } else if (!strcmp(k, "site")) {
            snprintf(sc->site_file, sizeof(sc->site_file), "%s", v);
        } else if (!num(v, &d) || d < 0) {
            return bad(p, section, k, "want a number, 0 or more");
        } else if (!strcmp(k, "duration_s")) {
            sc->duration_ms = (uint64_t)(d * 1000);
        } else if (!strcmp(k, "tick_ms")) {
            sc->tick_ms = (uint32_t)d;
        } else if (!strcmp(k, "seed")) {
            sc->seed = (uint64_t)d;
        } else {
            return bad(p, section, k, "unknown key");
        }
        return 1;
    }
    if (!strncmp(section, "car ", 4)) {
        return on_car(p, section, section + 4, k, v);
    }
    if (!strncmp(section, "fault ", 6)) {
        return on_fault(p, section, k, v);
    }
    if (!strncmp(section, "load ", 5)) {
        size_t i = sc->n_load;
        if (i == 0 || strcmp(p->load_circuit[i - 1], section + 5) != 0) {
            if (i == 16) {
                return bad(p, section, k, "at most 16 loads");
            }
            memset(&sc->load[i], 0, sizeof(sc->load[i]));
            snprintf(p->load_circuit[i], sizeof(p->load_circuit[i]), "%s", section + 5);
            sc->load[i].circuit = -1;
            sc->n_load++;
        }
        struct fleet_load *l = &sc->load[sc->n_load - 1];
        if (!strcmp(k, "circuit")) {
            int c = site_find_circuit(sc->site, v);
            if (!sc->site || c < 0) {
                return bad(p, section, k, "no such circuit in the site (name the site first)");
            }
            l->circuit = c;
        } else if (!strcmp(k, "current_a")) {
            double a[3];
            int n = sscanf(v, "%lf,%lf,%lf", &a[0], &a[1], &a[2]);
            if (n != 1 && n != 3) {
                return bad(p, section, k, "want A or A,A,A");
            }
            for (int ph = 0; ph < 3; ph++) {
                l->ma[ph] = (int32_t)((n == 1 ? a[0] : a[ph]) * 1000);
            }
        } else if (!num(v, &d) || d < 0) {
            return bad(p, section, k, "want a number, 0 or more");
        } else if (!strcmp(k, "from_s")) {
            l->from_ms = (uint64_t)(d * 1000);
        } else if (!strcmp(k, "to_s")) {
            l->to_ms = (uint64_t)(d * 1000);
        } else if (!strcmp(k, "ramp_s")) {
            l->ramp_ms = (uint64_t)(d * 1000);
        } else {
            return bad(p, section, k, "unknown key");
        }
        return 1;
    }
    if (!strcmp(section, "arrivals")) {
        struct arrivals *a = &p->arr;
        a->on = true;
        if (!strcmp(k, "chargers")) { /* may be given on several lines: they add up */
            size_t l = strlen(a->chargers);
            if (l + strlen(v) + 2 > sizeof(a->chargers)) {
                return bad(p, section, k, "too many chargers");
            }
            snprintf(a->chargers + l, sizeof(a->chargers) - l, "%s%s", l ? "," : "", v);
        } else if (!strcmp(k, "profiles")) {
            snprintf(a->profiles, sizeof(a->profiles), "%s", v);
        } else if (!strcmp(k, "tell")) {
            if (!yes(v, &a->tell)) {
                return bad(p, section, k, "want yes or no");
            }
        } else if (!strcmp(k, "sessions")) {
            snprintf(a->sessions, sizeof(a->sessions), "%s", v);
        } else if (!num(v, &d) || d < 0) {
            return bad(p, section, k, "want a number, 0 or more");
        } else if (!strcmp(k, "offset_s")) {
            a->offset_s = d;
        } else if (!strcmp(k, "count")) {
            a->count = (long)d;
        } else if (!strcmp(k, "first_s")) {
            a->first_s = d;
        } else if (!strcmp(k, "spread_s")) {
            a->spread_s = d;
        } else if (!strcmp(k, "dwell_s")) {
            a->dwell_s = d;
        } else if (!strcmp(k, "dwell_spread_s")) {
            a->dwell_spread_s = d;
        } else if (!strcmp(k, "soc")) {
            a->soc = d / 100;
        } else if (!strcmp(k, "soc_spread")) {
            a->soc_spread = d / 100;
        } else if (!strcmp(k, "target_soc")) {
            a->target_soc = d / 100;
        } else {
            return bad(p, section, k, "unknown key");
        }
        return 1;
    }
    return bad(p, section, k, "unknown section");
}

/* The site must be loaded before [load] names a circuit: a first pass reads [scenario] only. */
static int pass_site(void *user, const char *section, const char *k, const char *v)
{
    struct fleet_scenario *sc = user;
    if (!strcmp(section, "scenario") && !strcmp(k, "site")) {
        snprintf(sc->site_file, sizeof(sc->site_file), "%s", v);
    }
    return 1;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uni(uint64_t *s)
{
    return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0);
}

static size_t split(char *s, char **out, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(s, ", ", &save); t && n < max;
         t = strtok_r(NULL, ", ", &save)) {
        out[n++] = t;
    }
    return n;
}

/* The seeded generator: arrival uniform over [first, first + spread], dwell uniform around its
 * mean, arrival SoC around its mean; each car takes the first listed charger free at its arrival.
 */
/* Takes the first listed charger free at the arrival; "" when none is. */
static void pick_charger(struct pending_car *pc, char **ch, size_t nch, uint64_t *busy)
{
    pc->charger[0] = '\0';
    for (size_t k = 0; k < nch; k++) {
        if (busy[k] <= pc->c.arrive_ms) {
            busy[k] = pc->c.depart_ms;
            snprintf(pc->charger, sizeof(pc->charger), "%s", ch[k]);
            break;
        }
    }
}

/* Arrivals from a sessions file (the replay's loaders): each session that arrives within the
 * scenario (after offset_s of the file's clock) is a car wanting the session's energy, on the
 * first listed charger free, with the listed profiles in turn. */
static int
from_sessions(struct parse *p, char **ch, size_t nch, char **pr, size_t npr, uint64_t *busy)
{
    struct fleet_scenario *sc = p->sc;
    struct arrivals *a = &p->arr;
    char path[1024];
    const char *base = strrchr(p->path, '/');
    if (a->sessions[0] == '/' || !base) {
        snprintf(path, sizeof(path), "%s", a->sessions);
    } else {
        snprintf(path, sizeof(path), "%.*s%s", (int)(base - p->path + 1), p->path, a->sessions);
    }
    struct replay_data d;
    char e2[512];
    if (replay_load(path, &d, e2, sizeof(e2)) != 0) {
        snprintf(p->err, p->errlen, "%s: [arrivals] sessions: %s", p->path, e2);
        return -EINVAL;
    }
    int rc = 0;
    size_t made = 0;
    for (size_t i = 0; i < d.n && rc == 0; i++) {
        double at = (double)d.s[i].arrival_s - a->offset_s;
        if (at < 0 || at * 1000 >= (double)sc->duration_ms) {
            continue;
        }
        char name[FLEET_NAME_MAX];
        snprintf(name, sizeof(name), "s%05zu-%.20s", i % 100000, d.s[i].id);
        struct pending_car *pc = car_named(p, name);
        if (!pc) {
            rc = -ENOMEM;
            break;
        }
        pc->c.arrive_ms = (uint64_t)(at * 1000);
        pc->c.depart_ms = (uint64_t)(((double)d.s[i].departure_s - a->offset_s) * 1000);
        pc->c.p = fleet_profile_find(pr[made % npr]);
        pc->c.soc_target = a->target_soc > 0 ? a->target_soc : 0.9;
        pc->energy_kwh = d.s[i].energy_kwh;
        pc->c.tell = a->tell;
        made++;
        if (!pc->c.p) {
            snprintf(p->err, p->errlen, "%s: [arrivals] profiles: unknown profile", p->path);
            rc = -EINVAL;
        }
        pick_charger(pc, ch, nch, busy);
        if (!pc->charger[0]) {
            p->n_pc--;
        }
    }
    replay_data_free(&d);
    return rc;
}

static int generate(struct parse *p)
{
    struct fleet_scenario *sc = p->sc;
    struct arrivals *a = &p->arr;
    char chs[4096], prs[512];
    snprintf(chs, sizeof(chs), "%s", a->chargers);
    snprintf(prs, sizeof(prs), "%s", a->profiles[0] ? a->profiles : "tesla-model-3");
    char *ch[512], *pr[16];
    size_t nch = split(chs, ch, 512), npr = split(prs, pr, 16);
    if (nch == 0) {
        snprintf(p->err, p->errlen, "%s: [arrivals] chargers: none listed", p->path);
        return -EINVAL;
    }
    uint64_t rng = sc->seed * 0x2545F4914F6CDD1DULL + 1;
    uint64_t *busy = calloc(nch, sizeof(uint64_t));
    if (!busy) {
        return -ENOMEM;
    }
    if (a->sessions[0]) {
        int src = from_sessions(p, ch, nch, pr, npr, busy);
        free(busy);
        return src;
    }
    /* arrival times first, sorted, so the charger pick is in time order */
    double *at = calloc((size_t)a->count + 1, sizeof(double));
    if (!at) {
        free(busy);
        return -ENOMEM;
    }
    for (long i = 0; i < a->count; i++) {
        at[i] = a->first_s + uni(&rng) * a->spread_s;
    }
    for (long i = 1; i < a->count; i++) { /* insertion sort: deterministic */
        double v = at[i];
        long j = i;
        while (j > 0 && at[j - 1] > v) {
            at[j] = at[j - 1];
            j--;
        }
        at[j] = v;
    }
    int rc = 0;
    for (long i = 0; i < a->count && rc == 0; i++) {
        char name[FLEET_NAME_MAX];
        snprintf(name, sizeof(name), "car%03ld", i + 1);
        struct pending_car *pc = car_named(p, name);
        if (!pc) {
            rc = -ENOMEM;
            break;
        }
        double dwell = a->dwell_s + (uni(&rng) * 2 - 1) * a->dwell_spread_s;
        pc->c.arrive_ms = (uint64_t)(at[i] * 1000);
        pc->c.depart_ms = pc->c.arrive_ms + (uint64_t)((dwell > 600 ? dwell : 600) * 1000);
        pc->c.p = fleet_profile_find(pr[(size_t)(rnd(&rng) % npr)]);
        double soc = a->soc + (uni(&rng) * 2 - 1) * a->soc_spread;
        pc->c.soc0 = soc < 0.05 ? 0.05 : soc > 0.95 ? 0.95 : soc;
        pc->c.soc_target = a->target_soc > 0 ? a->target_soc : 0.9;
        pc->c.tell = a->tell;
        pick_charger(pc, ch, nch, busy);
        if (!pc->c.p) {
            snprintf(p->err, p->errlen, "%s: [arrivals] profiles: unknown profile", p->path);
            rc = -EINVAL;
        }
        if (!pc->charger[0]) {
            p->n_pc--; /* every charger busy: this driver goes elsewhere */
        }
    }
    free(at);
    free(busy);
    return rc;
}

int fleet_scenario_load(const char *path, struct fleet_scenario *sc, char *err, size_t errlen)
{
    memset(sc, 0, sizeof(*sc));
    sc->tick_ms = 1000;
    sc->seed = 1;
    const char *base = strrchr(path, '/');
    snprintf(sc->name, sizeof(sc->name), "%.*s", (int)strcspn(base ? base + 1 : path, "."),
             base ? base + 1 : path);
    int line = ini_parse(path, pass_site, sc);
    if (line < 0) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -ENOENT;
    }
    if (!sc->site_file[0]) {
        snprintf(err, errlen, "%s: [scenario] site: missing (the site file to simulate)", path);
        return -EINVAL;
    }
    char site_path[1024];
    if (sc->site_file[0] == '/') {
        snprintf(site_path, sizeof(site_path), "%s", sc->site_file);
    } else {
        snprintf(site_path, sizeof(site_path), "%.*s%s", base ? (int)(base - path + 1) : 0, path,
                 sc->site_file);
    }
    sc->cfg = calloc(1, sizeof(*sc->cfg));
    if (!sc->cfg) {
        return -ENOMEM;
    }
    int rc = cfg_load(site_path, sc->cfg, err, errlen);
    if (rc == 0) {
        rc = site_new(sc->cfg, &sc->site, err, errlen);
    }
    if (rc != 0) {
        fleet_scenario_free(sc);
        return rc;
    }
    struct parse p = {.sc = sc, .path = path, .err = err, .errlen = errlen};
    line = ini_parse(path, handler, &p);
    if (line > 0 && !p.failed) {
        snprintf(err, errlen, "%s:%d: not INI", path, line);
        p.failed = true;
    }
    rc = p.failed ? -EINVAL : 0;
    if (rc == 0 && p.arr.on) {
        rc = generate(&p);
    }
    if (rc == 0 && sc->duration_ms == 0) {
        snprintf(err, errlen, "%s: [scenario] duration_s: missing", path);
        rc = -EINVAL;
    }
    for (size_t i = 0; rc == 0 && i < sc->n_load; i++) {
        if (sc->load[i].circuit < 0) {
            snprintf(err, errlen, "%s: [load %s] circuit: missing", path, p.load_circuit[i]);
            rc = -EINVAL;
        }
    }
    for (size_t i = 0; rc == 0 && i < sc->n_fault; i++) {
        if (sc->fault[i].target < 0) {
            snprintf(err, errlen, "%s: [fault %s] %s: missing", path, sc->fault[i].name,
                     sc->fault[i].kind ? "target" : "kind");
            rc = -EINVAL;
        }
    }
    sc->car = calloc(p.n_pc + 1, sizeof(*sc->car));
    if (rc == 0 && !sc->car) {
        rc = -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < p.n_pc; i++) {
        struct pending_car *pc = &p.pc[i];
        int e = site_find_evse(sc->site, pc->charger);
        if (e < 0) {
            snprintf(err, errlen, "%s: [car %s] charger: '%s' is not a charger of %s", path,
                     pc->c.name, pc->charger, site_path);
            rc = -EINVAL;
            break;
        }
        if (!pc->c.p) {
            snprintf(err, errlen, "%s: [car %s] profile: missing", path, pc->c.name);
            rc = -EINVAL;
            break;
        }
        pc->c.charger = e;
        if (pc->energy_kwh >= 0) { /* an energy wanted sets where it starts */
            double s0 = pc->c.soc_target - pc->energy_kwh / pc->c.p->battery_kwh;
            pc->c.soc0 = s0 < 0 ? 0 : s0;
        }
        sc->car[sc->n_car++] = pc->c;
    }
    free(p.pc);
    if (rc != 0) {
        fleet_scenario_free(sc);
    }
    return rc;
}

void fleet_scenario_free(struct fleet_scenario *sc)
{
    site_free(sc->site);
    if (sc->cfg) {
        cfg_free(sc->cfg);
        free(sc->cfg);
    }
    free(sc->car);
    memset(sc, 0, sizeof(*sc));
}
