/* SPDX-License-Identifier: MIT */
/*
 * Meters and third-party EVSEs checked against the Modbus driver's own tables, so a config that
 * passes names only maps and models the driver has, and a generic map or model the driver can
 * build: the same functions (mb_map_find, mb_map_generic_*, mb_map_check_use, mb_evse_find,
 * mb_evse_generic_*) the daemon will call. All of them are pure; nothing here does I/O.
 * The keys are documented in docs/config.md and docs/modbus.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "controller/engine/config.h"
#include "controller/engine/config_internal.h"
#include "drivers/modbus/mb_evse.h"
#include "drivers/modbus/mb_maps.h"

#define GENERIC        "generic"
#define CONTROL_PREFIX "control_" /* generic EVSE keys in [evse]: control_current_reg = 261 */
#define NAME_CAND_MAX  64
#define DRV_MSG_MAX    320

/* ---- "did you mean": the closest known name ---- */

/* Levenshtein distance, case-insensitive, of names up to 47 characters (longer: far). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[48];
    if (la > 47 || lb > 47) {
        return SIZE_MAX;
    }
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub =
                diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* The candidate nearest to given, or NULL when none is near enough to be a typo of it. */
static const char *closest(const char *given, const char *const *cand, size_t n)
{
    size_t limit = strlen(given) / 3 > 2 ? strlen(given) / 3 : 2;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(given, cand[i]);
        if (d < best_d) {
            best_d = d;
            best = cand[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

/* "; did you mean 'x'?" or "". */
static const char *
suggestion(const char *given, const char *const *cand, size_t n, char *buf, size_t cap)
{
    const char *near = closest(given, cand, n);
    if (near) {
        snprintf(buf, cap, "; did you mean '%s'?", near);
    } else {
        buf[0] = '\0';
    }
    return buf;
}

/* "a, b, c or d" from the first n_listed candidates. */
static const char *join_names(const char *const *cand, size_t n_listed, char *buf, size_t cap)
{
    size_t w = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n_listed && w < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n_listed ? " or " : ", ";
        int k = snprintf(buf + w, cap - w, "%s%s", sep, cand[i]);
        w += k > 0 ? (size_t)k : 0;
    }
    return buf;
}

/* ---- driver messages in config terms ---- */

/* The driver names the generic map or model in its messages ("generic meter generic: ...",
 * "map generic: ..."); the config message names the section already, so that head goes. */
static const char *drop_name_head(const char *msg)
{
    static const char pat[] = " " GENERIC ": ";
    const char *p = strstr(msg, pat);
    return p && p - msg <= 16 ? p + strlen(pat) : msg;
}

typedef bool key_known_fn(const char *key);

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * Copies msg to out, writing prefix before every word that is a driver key (so the generic EVSE's
 * "current_reg" reads "control_current_reg", as the user writes it), and finds the line of the
 * first such word the section gives (fallback when it gives none).
 */
static int rewrite_keys(const char *msg,
                        const char *prefix,
                        key_known_fn *known,
                        const struct cfg_kvlist *keys,
                        int fallback,
                        char *out,
                        size_t cap)
{
    size_t w = 0, plen = strlen(prefix);
    int line = 0;
    out[0] = '\0';
    for (const char *p = msg; *p && w + 1 < cap;) {
        size_t n = 0;
        while (is_word_char(p[n])) {
            n++;
        }
        bool at_start = p == msg || !is_word_char(p[-1]);
        if (n == 0 || !at_start || n >= CFG_KEY_MAX) {
            out[w++] = *p++;
            continue;
        }
        char word[CFG_KEY_MAX];
        snprintf(word, sizeof(word), "%.*s", (int)n, p);
        if (known(word)) {
            char written[CFG_KEY_MAX + 16];
            snprintf(written, sizeof(written), "%s%s", prefix, word);
            const struct cfg_kv *kv = cfg_kv_find(keys, written);
            if (kv && !line) {
                line = kv->line;
            }
            if (w + plen < cap) {
                memcpy(out + w, prefix, plen);
                w += plen;
            }
        }
        size_t k = n < cap - 1 - w ? n : cap - 1 - w;
        memcpy(out + w, p, k);
        w += k;
        p += n;
    }
    out[w] = '\0';
    return line ? line : fallback;
}

/* The driver's message for one key, which starts with the key it was given ("current_regs:
 * 'x' is not ..."), with the key as written in the section. */
static void
key_error(struct cfg_vctx *v, const char *label, const struct cfg_kv *kv, size_t skip, char *msg)
{
    const char *dkey = kv->key + skip;
    size_t n = strlen(dkey);
    if (strncmp(msg, dkey, n) == 0 && msg[n] == ':') {
        cfg_verr(v, kv->line, "%s %s%s", label, kv->key, msg + n);
    } else {
        cfg_verr(v, kv->line, "%s %s: %s", label, kv->key, msg);
    }
}

/* ---- meters ---- */

static bool is_generic_map_key(const char *key)
{
    struct mb_map_custom probe;
    mb_map_generic_init(&probe, GENERIC);
    return mb_map_generic_set(&probe, key, "", NULL, 0) != -ENOENT;
}

static size_t map_names(const char **cand, size_t *n_stable)
{
    size_t n = 0;
    for (size_t i = 0; i < mb_map_count() && n < NAME_CAND_MAX - 1; i++) {
        cand[n++] = mb_map_at(i)->name;
    }
    cand[n++] = GENERIC;
    *n_stable = n;
    for (size_t i = 0; i < mb_map_alias_count() && n < NAME_CAND_MAX; i++) {
        const char *target;
        cand[n++] = mb_map_alias_at(i, &target);
    }
    return n;
}

static void unknown_map(struct cfg_vctx *v, const struct cfg_meter *m)
{
    const char *cand[NAME_CAND_MAX];
    size_t n_stable;
    size_t n = map_names(cand, &n_stable);
    char near[80], list[320];
    cfg_verr(v, m->map.line,
             "[meter %s] map: unknown map '%s'%s (known: %s; 'ampshare meter maps' lists aliases)",
             m->name, m->map.s, suggestion(m->map.s, cand, n, near, sizeof(near)),
             join_names(cand, n_stable, list, sizeof(list)));
}

/* Builds the generic map from the section's keys into c; NULL after reporting any error. */
static const struct mb_map *
generic_map(struct cfg_vctx *v, const struct cfg_meter *m, struct mb_map_custom *c)
{
    char label[CFG_NAME_MAX + 16], msg[DRV_MSG_MAX], out[DRV_MSG_MAX];
    snprintf(label, sizeof(label), "[meter %s]", m->name);
    mb_map_generic_init(c, GENERIC);
    bool ok = true;
    for (size_t i = 0; i < m->map_keys.n; i++) {
        const struct cfg_kv *kv = &m->map_keys.kv[i];
        int rc = mb_map_generic_set(c, kv->key, kv->value, msg, sizeof(msg));
        if (rc == -ENOENT) {
            cfg_verr(v, kv->line, "%s: unknown key '%s'", label, kv->key);
        } else if (rc != 0) {
            key_error(v, label, kv, 0, msg);
        }
        ok = ok && rc == 0;
    }
    if (!ok) {
        return NULL;
    }
    if (mb_map_generic_finish(c, msg, sizeof(msg)) != 0) {
        int line = rewrite_keys(drop_name_head(msg), "", is_generic_map_key, &m->map_keys,
                                m->map.line, out, sizeof(out));
        cfg_verr(v, line, "%s map = generic: %s", label, out);
        return NULL;
    }
    return &c->map;
}

void cfg_check_meter_modbus(struct cfg_vctx *v,
                            const struct cfg_meter *m,
                            uint8_t inputs,
                            const char *target)
{
    if (m->map.line <= 0) {
        return; /* missing (reported) or unparsable: which keys are right is unknown */
    }
    struct mb_map_custom custom;
    const struct mb_map *map;
    if (strcmp(m->map.s, GENERIC) == 0) {
        map = generic_map(v, m, &custom);
    } else {
        map = mb_map_find(m->map.s);
        if (!map) {
            unknown_map(v, m);
            return;
        }
        for (size_t i = 0; i < m->map_keys.n; i++) {
            const struct cfg_kv *kv = &m->map_keys.kv[i];
            if (is_generic_map_key(kv->key)) {
                cfg_verr(v, kv->line, "[meter %s] %s: only for map = generic (this map is %s)",
                         m->name, kv->key, map->name);
            } else {
                cfg_verr(v, kv->line, "[meter %s]: unknown key '%s'", m->name, kv->key);
            }
        }
    }
    if (!map) {
        return;
    }
    /* docs/allocation.md: every meter feeds per-phase currents into the per-phase budget, so a
     * total-power map (eastron-sdm72d-m v1, modbus-maps.md §3.3) cannot serve any target. */
    char msg[DRV_MSG_MAX];
    if (mb_map_check_use(map, MB_USE_PER_PHASE, msg, sizeof(msg)) != 0) {
        cfg_verr(v, m->map.line, "[meter %s] map: %s", m->name, msg);
        return;
    }
    if (inputs > map->phases) {
        cfg_verr(v, m->map.line, "[meter %s] map: %s reads %u phase current%s, but %s needs %u",
                 m->name, map->name, map->phases, map->phases == 1 ? "" : "s", target, inputs);
    }
}

/* ---- EVSEs ---- */

static bool is_generic_evse_key(const char *key)
{
    struct mb_evse_custom probe;
    mb_evse_generic_init(&probe, GENERIC);
    return mb_evse_generic_set(&probe, key, "", NULL, 0) != -ENOENT;
}

static size_t model_names(const char **cand)
{
    size_t n = 0;
    for (size_t i = 0; i < mb_evse_count() && n < NAME_CAND_MAX - 1; i++) {
        cand[n++] = mb_evse_at(i)->name;
    }
    cand[n++] = GENERIC;
    return n;
}

static const struct mb_evse_model *
generic_model(struct cfg_vctx *v, const struct cfg_evse *e, struct mb_evse_custom *c)
{
    const size_t skip = strlen(CONTROL_PREFIX);
    char label[CFG_NAME_MAX + 16], msg[DRV_MSG_MAX], out[DRV_MSG_MAX];
    snprintf(label, sizeof(label), "[evse %s]", e->name);
    mb_evse_generic_init(c, GENERIC);
    bool ok = true;
    for (size_t i = 0; i < e->control_keys.n; i++) {
        const struct cfg_kv *kv = &e->control_keys.kv[i];
        int rc = mb_evse_generic_set(c, kv->key + skip, kv->value, msg, sizeof(msg));
        if (rc == -ENOENT) {
            cfg_verr(v, kv->line, "%s: unknown key '%s'", label, kv->key);
        } else if (rc != 0) {
            key_error(v, label, kv, skip, msg);
        }
        ok = ok && rc == 0;
    }
    if (!ok) {
        return NULL;
    }
    if (mb_evse_generic_finish(c, msg, sizeof(msg)) != 0) {
        int line = rewrite_keys(drop_name_head(msg), CONTROL_PREFIX, is_generic_evse_key,
                                &e->control_keys, e->control_map.line, out, sizeof(out));
        cfg_verr(v, line, "%s control_map = generic: %s", label, out);
        return NULL;
    }
    return &c->model;
}

/* control_* keys beside a built-in model, or without any: none of them applies. */
static void refuse_control_keys(struct cfg_vctx *v, const struct cfg_evse *e, const char *why)
{
    for (size_t i = 0; i < e->control_keys.n; i++) {
        const struct cfg_kv *kv = &e->control_keys.kv[i];
        if (is_generic_evse_key(kv->key + strlen(CONTROL_PREFIX))) {
            cfg_verr(v, kv->line, "[evse %s] %s: only for control_map = generic (%s)", e->name,
                     kv->key, why);
        } else {
            cfg_verr(v, kv->line, "[evse %s]: unknown key '%s'", e->name, kv->key);
        }
    }
}

static const struct mb_evse_model *
find_model(struct cfg_vctx *v, const struct cfg_evse *e, struct mb_evse_custom *custom)
{
    const char *cand[NAME_CAND_MAX];
    size_t n = model_names(cand);
    char near[80], list[320], why[96];
    if (!e->control_map.line) {
        /* Nothing could set its current. A warning, not yet an error: configs elsewhere in
         * the tree (the allocation tests and benchmark) still write control = modbus alone. */
        cfg_vwarn(v, e->line,
                  "[evse %s] control = modbus without control_map: nothing can set its current "
                  "until it names its model: %s",
                  e->name, join_names(cand, n, list, sizeof(list)));
        refuse_control_keys(v, e, "no control_map is given");
        return NULL;
    }
    if (e->control_map.line < 0) {
        return NULL;
    }
    if (strcmp(e->control_map.s, GENERIC) == 0) {
        return generic_model(v, e, custom);
    }
    const struct mb_evse_model *model = mb_evse_find(e->control_map.s);
    if (!model) {
        cfg_verr(v, e->control_map.line,
                 "[evse %s] control_map: unknown EVSE model '%s'%s (known: %s)", e->name,
                 e->control_map.s, suggestion(e->control_map.s, cand, n, near, sizeof(near)),
                 join_names(cand, n, list, sizeof(list)));
        return NULL;
    }
    snprintf(why, sizeof(why), "this model is %s", model->name);
    refuse_control_keys(v, e, why);
    return model;
}

/* One register step of the model in mA (docs/modbus.md: A, 0.1 A or 0.01 A). */
static int32_t model_step_ma(const struct mb_evse_model *m)
{
    return m->current_exp10 == 0 ? 1000 : m->current_exp10 == -1 ? 100 : 10;
}

void cfg_check_evse_modbus(struct cfg_vctx *v, const struct cfg_evse *e)
{
    const struct config *cfg = v->cfg;
    struct mb_evse_custom custom;
    const struct mb_evse_model *model = find_model(v, e, &custom);
    if (!model) {
        return;
    }
    /* the generic model's limits are its control_* keys: the message names them */
    bool generic = model == &custom.model;
    const char *mname = generic ? "the generic model" : model->name;
    char a[24], b[24];
    /* The engine gives 0 A to a car it cannot serve (docs/allocation.md); an EVSE that can
     * neither be disabled nor told 0 A would keep charging over the circuit's budget. */
    if (mb_evse_check_current(model, 0) != 0) {
        cfg_verr(v, e->control_map.line,
                 "[evse %s] control_map: %s can neither be disabled nor take 0 A, so a charge "
                 "could not be stopped: set control_enable_coil, control_enable_reg or "
                 "control_zero_pauses = yes",
                 e->name, mname);
    }
    /* Offers are min..max in step_a steps; the model refuses what is outside its range
     * (mb_evse_check_current) and rounds down what falls between its register steps. */
    if (e->max_current.line > 0 && e->max_current.ma > model->max_ma) {
        cfg_verr(v, e->max_current.line,
                 "[evse %s] max_current_a: %s A is above the %s A that %s takes%s", e->name,
                 cfg_fmt_amps(e->max_current.ma, a, sizeof(a)),
                 cfg_fmt_amps(model->max_ma, b, sizeof(b)), mname,
                 generic ? " (control_max_current_a)" : "");
    }
    int32_t min = e->min_current.line > 0          ? e->min_current.ma
                  : cfg->site.min_current.line > 0 ? cfg->site.min_current.ma
                                                   : CFG_DEFAULT_MIN_MA;
    if (e->min_current.line >= 0 && min > 0 && min < model->min_ma) {
        cfg_verr(v, e->min_current.line ? e->min_current.line : e->line,
                 "[evse %s] min_current_a: %s A is below the %s A that %s takes%s", e->name,
                 cfg_fmt_amps(min, a, sizeof(a)), cfg_fmt_amps(model->min_ma, b, sizeof(b)), mname,
                 generic ? " (control_min_current_a)" : "");
    }
    int32_t step = model_step_ma(model);
    if (e->step.line > 0 && e->step.ma > 0 && e->step.ma % step != 0) {
        cfg_verr(v, e->step.line,
                 "[evse %s] step_a: %s A is not a whole number of the %s A steps that %s takes%s",
                 e->name, cfg_fmt_amps(e->step.ma, a, sizeof(a)), cfg_fmt_amps(step, b, sizeof(b)),
                 mname, generic ? " (control_current_unit)" : "");
    }
}

void cfg_resolve_modbus(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_meter; i++) {
        struct cfg_meter *m = &cfg->meter[i];
        const struct mb_map *map = mb_map_find(m->map.s);
        snprintf(m->map_name, sizeof(m->map_name), "%s", map ? map->name : m->map.s);
    }
    for (size_t i = 0; i < cfg->n_evse; i++) {
        struct cfg_evse *e = &cfg->evse[i];
        const struct mb_evse_model *model = mb_evse_find(e->control_map.s);
        e->unit_default = model ? model->default_unit : 1;
    }
}
