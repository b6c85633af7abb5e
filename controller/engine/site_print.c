/* SPDX-License-Identifier: MIT */
/* Describes a site model as a text tree or as JSON. */
#include "controller/engine/site_print.h"

#include <string.h>

#include "drivers/base/amp_text.h"

static void phase_list(char *buf, size_t cap, uint8_t mask)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int p = 0; p < 3; p++) {
        if ((mask >> p) & 1u) {
            n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, "%sL%d", n ? " " : "", p + 1);
        }
    }
}

static void map_list(char *buf, size_t cap, const uint8_t *map, int n)
{
    size_t w = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        w += (size_t)snprintf(buf + w, cap > w ? cap - w : 0, "%sL%d", i ? "," : "", map[i] + 1);
    }
}

/* "40 A" when every carried phase has the same limit, else "40/40/32 A" (L1/L2/L3). */
static void limits(char *buf, size_t cap, const int32_t ma[3], uint8_t mask)
{
    char a[3][24];
    int32_t first = -1;
    bool same = true;
    for (int p = 0; p < 3; p++) {
        cfg_fmt_amps(ma[p], a[p], sizeof(a[p]));
        if ((mask >> p) & 1u) {
            same = same && (first < 0 || first == ma[p]);
            first = first < 0 ? ma[p] : first;
        }
    }
    if (same) {
        char f[24];
        snprintf(buf, cap, "%s A", cfg_fmt_amps(first < 0 ? 0 : first, f, sizeof(f)));
    } else {
        snprintf(buf, cap, "%s/%s/%s A", a[0], a[1], a[2]);
    }
}

static void print_evse(
    FILE *out, const struct site *s, const struct site_evse *e, const char *prefix, bool last)
{
    char lo[24], hi[24], cfgmax[24], map[24];
    map_list(map, sizeof(map), e->phase_map, e->n_phases);
    fprintf(out, "%s%s %s %s  %s-%s A  %d-phase %s", prefix, last ? "`--" : "|--",
            e->kind == SITE_EVSE_WALL_CONNECTOR ? "wallconnector" : "evse", e->name,
            cfg_fmt_amps(e->min_ma, lo, sizeof(lo)), cfg_fmt_amps(e->max_ma, hi, sizeof(hi)),
            e->n_phases, map);
    if (e->max_ma != e->configured_max_ma) {
        fprintf(out, " (max_current_a %s A clamped)",
                cfg_fmt_amps(e->configured_max_ma, cfgmax, sizeof(cfgmax)));
    }
    if (e->kind == SITE_EVSE_WALL_CONNECTOR) {
        if (e->address_auto) {
            fprintf(out, "  bus %s address auto", s->bus[e->bus].name);
        } else {
            fprintf(out, "  bus %s address %04x", s->bus[e->bus].name, e->address);
        }
    } else {
        char t[256];
        fprintf(out, "  control %s", amp_text_safe(e->control, t, sizeof(t)));
        if (e->control_map[0]) {
            fprintf(out, " %s", amp_text_safe(e->control_map, t, sizeof(t)));
        }
    }
    if (e->meter >= 0) {
        fprintf(out, "  meter %s", s->meter[e->meter].name);
    }
    if (e->priority) {
        fprintf(out, "  priority %d", e->priority);
    }
    fprintf(out, "\n");
}

static void print_circuit(FILE *out, const struct site *s, int32_t c, const char *prefix, bool last)
{
    const struct site_circuit *sc = &s->circuit[c];
    char lim[96], ph[16], oc[24], sub[512];
    limits(lim, sizeof(lim), sc->rating_ma, sc->phases);
    phase_list(ph, sizeof(ph), sc->phases);
    if (c == 0) {
        fprintf(out, "supply  %s  %s", lim, ph);
        snprintf(sub, sizeof(sub), "%s", prefix);
    } else {
        fprintf(out, "%s%s circuit %s  %s  %s", prefix, last ? "`--" : "|--", sc->name, lim, ph);
        snprintf(sub, sizeof(sub), "%s%s", prefix, last ? "    " : "|   ");
    }
    if (sc->overcommit_ma) {
        fprintf(out, "  overcommit %s A", cfg_fmt_amps(sc->overcommit_ma, oc, sizeof(oc)));
    }
    if (sc->meter >= 0) {
        fprintf(out, "  meter %s", s->meter[sc->meter].name);
    }
    fprintf(out, "\n");
    /* children: EVSEs first, then sub-circuits; count them to know which is last */
    size_t kids = 0, k = 0;
    for (size_t e = 0; e < s->n_evse; e++) {
        kids += s->evse[e].circuit == c;
    }
    for (size_t d = (size_t)c + 1; d < s->n_circuit; d++) {
        kids += s->circuit[d].parent == c;
    }
    for (size_t e = 0; e < s->n_evse; e++) {
        if (s->evse[e].circuit == c) {
            print_evse(out, s, &s->evse[e], sub, ++k == kids);
        }
    }
    for (size_t d = (size_t)c + 1; d < s->n_circuit; d++) {
        if (s->circuit[d].parent == c) {
            print_circuit(out, s, (int32_t)d, sub, ++k == kids);
        }
    }
}

static const char *
measures_text(const struct site *s, const struct site_meter *m, char *buf, size_t cap)
{
    switch (m->measures) {
    case CFG_MEASURES_GRID:
        return "grid";
    case CFG_MEASURES_CIRCUIT:
        snprintf(buf, cap, "circuit %s", s->circuit[m->target].name);
        return buf;
    case CFG_MEASURES_EVSE:
        snprintf(buf, cap, "evse %s", m->target >= 0 ? s->evse[m->target].name : "?");
        return buf;
    default:
        return "?";
    }
}

void site_print_tree(FILE *out, const struct site *s, const char *policy_source)
{
    char ph[16], v[64], a[24];
    phase_list(ph, sizeof(ph), s->phases);
    fprintf(out, "site %s: %d-phase (%s), %u V, charging above %s A\n", s->name,
            s->phases == 0x7 ? 3 : 1, ph, s->voltage_v,
            cfg_fmt_amps(s->charging_threshold_ma, a, sizeof(a)));
    print_circuit(out, s, 0, "", true);
    if (s->n_meter) {
        fprintf(out, "meters:\n");
    }
    for (size_t i = 0; i < s->n_meter; i++) {
        const struct site_meter *m = &s->meter[i];
        map_list(ph, sizeof(ph), m->phase_map, m->n_inputs);
        char t1[256], t2[256];
        fprintf(out, "  %s  map %s  unit %u  %s  measures %s (%s)  poll %u ms, stale after %u ms",
                m->name, amp_text_safe(m->map, t1, sizeof(t1)), m->unit_id,
                amp_text_safe(m->transport, t2, sizeof(t2)), measures_text(s, m, v, sizeof(v)), ph,
                m->poll_interval_ms, m->stale_timeout_ms);
        if (m->stale_current_ma >= 0) {
            fprintf(out, ", then %s A", cfg_fmt_amps(m->stale_current_ma, a, sizeof(a)));
        }
        fprintf(out, "\n");
    }
    if (s->n_bus) {
        fprintf(out, "buses:\n");
    }
    for (size_t i = 0; i < s->n_bus; i++) {
        const struct site_bus *b = &s->bus[i];
        char id[8] = "auto";
        if (!b->master_auto) {
            snprintf(id, sizeof(id), "%04x", b->master_address);
        }
        char t[256];
        fprintf(out, "  %s  %s  master %s  stale after %u ms\n", b->name,
                amp_text_safe(b->transport, t, sizeof(t)), id, b->stale_timeout_ms);
    }
    /* the policy's name may be a path and its options are free text: shown, never obeyed */
    char t1[512], t2[512];
    fprintf(out, "policy: %s (%s)", amp_text_safe(s->policy, t1, sizeof(t1)),
            amp_text_safe(policy_source ? policy_source : "not loaded", t2, sizeof(t2)));
    for (size_t i = 0; i < s->n_policy_opt; i++) {
        fprintf(out, "%s%s = %s",
                i ? ", " : "; options: ", amp_text_safe(s->policy_opt[i].key, t1, sizeof(t1)),
                amp_text_safe(s->policy_opt[i].value, t2, sizeof(t2)));
    }
    fprintf(out, "\n");
}

static void json_amps(FILE *out, int32_t ma)
{
    char a[24];
    fputs(cfg_fmt_amps(ma, a, sizeof(a)), out);
}

static void json_phases(FILE *out, uint8_t mask)
{
    fputc('[', out);
    for (int p = 0, n = 0; p < 3; p++) {
        if ((mask >> p) & 1u) {
            fprintf(out, "%s\"L%d\"", n++ ? "," : "", p + 1);
        }
    }
    fputc(']', out);
}

static void json_site(FILE *out, const struct site *s, const char *policy_source)
{
    fprintf(out, "{\"name\":");
    amp_json_string(out, s->name);
    fprintf(out, ",\"phases\":%d,\"voltage_v\":%u,\"circuits\":[", s->phases == 0x7 ? 3 : 1,
            s->voltage_v);
    for (size_t c = 0; c < s->n_circuit; c++) {
        const struct site_circuit *sc = &s->circuit[c];
        fprintf(out, "%s{\"name\":", c ? "," : "");
        amp_json_string(out, sc->name);
        fprintf(out, ",\"parent\":");
        if (sc->parent < 0) {
            fprintf(out, "null");
        } else {
            amp_json_string(out, s->circuit[sc->parent].name);
        }
        fprintf(out, ",\"phases\":");
        json_phases(out, sc->phases);
        fprintf(out, ",\"limit_a\":[");
        for (int p = 0; p < 3; p++) {
            fprintf(out, "%s", p ? "," : "");
            json_amps(out, sc->rating_ma[p]);
        }
        fprintf(out, "],\"overcommit_a\":");
        json_amps(out, sc->overcommit_ma);
        fprintf(out, "}");
    }
    fprintf(out, "],\"evses\":[");
    for (size_t i = 0; i < s->n_evse; i++) {
        const struct site_evse *e = &s->evse[i];
        fprintf(out, "%s{\"name\":", i ? "," : "");
        amp_json_string(out, e->name);
        fprintf(out, ",\"kind\":\"%s\",\"circuit\":",
                e->kind == SITE_EVSE_WALL_CONNECTOR ? "wallconnector" : "evse");
        amp_json_string(out, s->circuit[e->circuit].name);
        fprintf(out, ",\"controllable\":%s,\"phases\":", e->controllable ? "true" : "false");
        json_phases(out, e->phases);
        fprintf(out, ",\"phase_map\":[");
        for (int k = 0; k < e->n_phases; k++) {
            fprintf(out, "%s\"L%d\"", k ? "," : "", e->phase_map[k] + 1);
        }
        fprintf(out, "],\"min_a\":");
        json_amps(out, e->min_ma);
        fprintf(out, ",\"max_a\":");
        json_amps(out, e->max_ma);
        fprintf(out, ",\"configured_max_a\":");
        json_amps(out, e->configured_max_ma);
        fprintf(out, ",\"control\":");
        amp_json_string(out, e->control);
        fprintf(out, ",\"control_map\":");
        if (e->control_map[0]) {
            amp_json_string(out, e->control_map);
        } else {
            fprintf(out, "null");
        }
        fprintf(out, ",\"priority\":%d,\"meter\":", e->priority);
        if (e->meter >= 0) {
            amp_json_string(out, s->meter[e->meter].name);
        } else {
            fprintf(out, "null");
        }
        fprintf(out, "}");
    }
    fprintf(out, "],\"meters\":[");
    for (size_t i = 0; i < s->n_meter; i++) {
        const struct site_meter *m = &s->meter[i];
        char v[64];
        fprintf(out, "%s{\"name\":", i ? "," : "");
        amp_json_string(out, m->name);
        fprintf(out, ",\"map\":");
        amp_json_string(out, m->map);
        fprintf(out, ",\"transport\":");
        amp_json_string(out, m->transport);
        fprintf(out, ",\"unit_id\":%u,\"measures\":", m->unit_id);
        amp_json_string(out, measures_text(s, m, v, sizeof(v)));
        fprintf(out, ",\"stale_timeout_ms\":%u}", m->stale_timeout_ms);
    }
    fprintf(out, "],\"buses\":[");
    for (size_t i = 0; i < s->n_bus; i++) {
        fprintf(out, "%s{\"name\":", i ? "," : "");
        amp_json_string(out, s->bus[i].name);
        fprintf(out, ",\"transport\":");
        amp_json_string(out, s->bus[i].transport);
        char id[8] = "auto";
        if (!s->bus[i].master_auto) {
            snprintf(id, sizeof(id), "%04x", s->bus[i].master_address);
        }
        fprintf(out, ",\"master_address\":\"%s\"}", id);
    }
    fprintf(out, "],\"policy\":{\"name\":");
    amp_json_string(out, s->policy);
    fprintf(out, ",\"source\":");
    amp_json_string(out, policy_source ? policy_source : "");
    fprintf(out, ",\"options\":{");
    for (size_t i = 0; i < s->n_policy_opt; i++) {
        fprintf(out, "%s", i ? "," : "");
        amp_json_string(out, s->policy_opt[i].key);
        fputc(':', out);
        amp_json_string(out, s->policy_opt[i].value);
    }
    fprintf(out, "}}}");
}

void site_print_json(FILE *out,
                     const char *file,
                     const struct cfg_diag *diag,
                     const struct site *site,
                     const char *policy_source)
{
    fprintf(out, "{\"file\":");
    amp_json_string(out, file);
    fprintf(out, ",\"valid\":%s", diag->errors == 0 && site ? "true" : "false");
    for (int w = 0; w < 2; w++) {
        fprintf(out, ",\"%s\":[", w ? "warnings" : "errors");
        for (size_t i = 0, n = 0; i < diag->n; i++) {
            if (diag->item[i].warning == (w == 1)) {
                fprintf(out, "%s", n++ ? "," : "");
                amp_json_string(out, diag->item[i].text);
            }
        }
        fprintf(out, "]");
    }
    fprintf(out, ",\"site\":");
    if (site) {
        json_site(out, site, policy_source);
    } else {
        fprintf(out, "null");
    }
    fprintf(out, "}\n");
}
