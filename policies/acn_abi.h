/* SPDX-License-Identifier: MIT */
/*
 * acn_abi.h: acnportal's reference algorithms (policies/acn_core.h) as ampshare policies, the
 * baseline ampshare's own policies must beat. Each policy file names its algorithm
 * (ACN_POLICY(acn_edf, ACN_EDF)).
 *
 * The circuit tree becomes acnportal's constraint rows: one row per circuit and phase, limit
 * limit_ma (the host's rule (1)), every EVSE below the circuit that loads the phase at
 * coefficient 1 and angle 0. A session is a plugged-in car that still wants energy
 * (energy_wanted_wh, unknown = unlimited), arriving at connected_since_ms and leaving at
 * departure_ms (unknown = never); its ceiling is max_ma. The algorithm runs in amps as acnportal
 * does; each answer is then rounded down to the EVSE's step, and one below the EVSE's minimum
 * becomes 0 (acnportal's BASIC EVSE is continuous from 0 A; a real one is not).
 * Options: period_s (default 300: the horizon of "the current that finishes the demand this
 * period") and voltage (V line to neutral, default 230; a 3-phase car counts 3 x V).
 */
#ifndef AMPSHARE_POLICY_ACN_ABI_H
#define AMPSHARE_POLICY_ACN_ABI_H

#include "policies/acn_core.h"
#include "policies/ampshare_policy_kit.h"

struct acn_pol {
    enum acn_algo algo;
    int64_t period_s, voltage;
    size_t max_evse, max_circuit;
    double *limit, *max_pilot, *volt, *rate, *re, *im, *key;
    size_t *term_start, *order, *queue;
    struct acn_term *term;
    struct acn_sess *sess;
    uint32_t *rung, *top;
};

static inline void acn_pol_destroy(void *state)
{
    struct acn_pol *s = state;
    if (!s) {
        return;
    }
    free(s->limit);
    free(s->max_pilot);
    free(s->volt);
    free(s->rate);
    free(s->re);
    free(s->im);
    free(s->key);
    free(s->term_start);
    free(s->order);
    free(s->queue);
    free(s->term);
    free(s->sess);
    free(s->rung);
    free(s->top);
    free(s);
}

static inline int acn_pol_init(const struct ampshare_policy_host *host,
                               const struct ampshare_policy_option *opt,
                               size_t n_opt,
                               void **state,
                               const char *name,
                               enum acn_algo algo)
{
    int64_t period_s = 300, voltage = 230;
    const struct apk_optdef defs[] = {{"period_s", APK_OPT_INT, 1, 86400, &period_s},
                                      {"voltage", APK_OPT_INT, 90, 480, &voltage}};
    int rc = apk_options(host, name, opt, n_opt, defs, 2);
    if (rc != 0) {
        return rc;
    }
    struct acn_pol *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    size_t ne = host->max_evse + 1, nr = (size_t)host->max_circuit * 3 + 1;
    s->algo = algo;
    s->period_s = period_s;
    s->voltage = voltage;
    s->max_evse = host->max_evse;
    s->max_circuit = host->max_circuit;
    s->limit = calloc(nr, sizeof(double));
    s->re = calloc(nr, sizeof(double));
    s->im = calloc(nr, sizeof(double));
    s->max_pilot = calloc(ne, sizeof(double));
    s->volt = calloc(ne, sizeof(double));
    s->rate = calloc(ne, sizeof(double));
    s->key = calloc(ne, sizeof(double));
    s->term_start = calloc(ne + 1, sizeof(size_t));
    s->order = calloc(ne, sizeof(size_t));
    s->queue = calloc(ne + 1, sizeof(size_t));
    s->term = calloc(ne * nr, sizeof(struct acn_term)); /* at most every row per EVSE */
    s->sess = calloc(ne, sizeof(struct acn_sess));
    s->rung = calloc(ne, sizeof(uint32_t));
    s->top = calloc(ne, sizeof(uint32_t));
    if (!s->limit || !s->re || !s->im || !s->max_pilot || !s->volt || !s->rate || !s->key ||
        !s->term_start || !s->order || !s->queue || !s->term || !s->sess || !s->rung || !s->top) {
        acn_pol_destroy(s);
        return -ENOMEM;
    }
    *state = s;
    return 0;
}

static inline int acn_pol_allocate(void *state,
                                   const struct ampshare_policy_input *in,
                                   struct ampshare_policy_output *out)
{
    struct acn_pol *s = state;
    if (in->n_evse > s->max_evse || in->n_circuit > s->max_circuit) {
        return -E2BIG;
    }
    size_t nr = in->n_circuit * 3;
    for (size_t c = 0; c < in->n_circuit; c++) {
        const struct ampshare_policy_circuit *ci = ampshare_policy_circuit_at(in, c);
        for (int p = 0; p < 3; p++) {
            int32_t l = (ci->phases >> p) & 1u ? ci->limit_ma[p] : 0;
            s->limit[c * 3 + (size_t)p] = l > 0 ? l / 1000.0 : 0;
        }
    }
    size_t nt = 0, n = 0;
    double period_ms = (double)s->period_s * 1000;
    for (size_t e = 0; e < in->n_evse; e++) {
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, e);
        s->term_start[e] = nt;
        uint32_t ph = ev->phases & AMPSHARE_PHASE_ALL;
        for (int32_t c = ev->circuit; c >= 0 && (size_t)c < in->n_circuit;
             c = ampshare_policy_circuit_at(in, (size_t)c)->parent) {
            const struct ampshare_policy_circuit *ci = ampshare_policy_circuit_at(in, (size_t)c);
            for (uint32_t p = 0; p < 3; p++) {
                if ((ph >> p) & (ci->phases >> p) & 1u) {
                    s->term[nt++] = (struct acn_term){.row = (uint32_t)c * 3 + p, .re = 1, .im = 0};
                }
            }
            if (ci->parent >= c) {
                break; /* parents come first; anything else is not a tree */
            }
        }
        s->max_pilot[e] = ev->max_ma > 0 ? ev->max_ma / 1000.0 : 0;
        s->volt[e] = (double)s->voltage * (ev->n_phases == 3 ? 3 : 1);
        if (ev->state == AMPSHARE_EVSE_UNPLUGGED || ev->max_ma < ev->min_ma || ev->max_ma <= 0 ||
            ev->energy_wanted_wh == 0) {
            continue;
        }
        s->sess[n++] = (struct acn_sess){
            .station = e,
            .remaining_kwh = ev->energy_wanted_wh < 0 ? 1e9 : ev->energy_wanted_wh / 1000.0,
            .arrival = (double)ev->connected_since_ms,
            .est_departure = ev->departure_ms ? (double)ev->departure_ms / period_ms : 1e300,
        };
    }
    s->term_start[in->n_evse] = nt;
    struct acn_net net = {.n_station = in->n_evse,
                          .n_row = nr,
                          .limit = s->limit,
                          .term_start = s->term_start,
                          .term = s->term,
                          .max_pilot = s->max_pilot,
                          .voltage = s->volt};
    struct acn_work w = {.re = s->re,
                         .im = s->im,
                         .order = s->order,
                         .queue = s->queue,
                         .key = s->key,
                         .rung = s->rung,
                         .top = s->top};
    if (acn_schedule(&net, s->algo, s->sess, n, (double)in->now_ms / period_ms,
                     (double)s->period_s / 60, s->rate, &w) != 0) {
        return -ERANGE; /* even all at 0 breaks a limit: the host's fallback decides */
    }
    for (size_t k = 0; k < n; k++) {
        size_t e = s->sess[k].station;
        const struct ampshare_policy_evse *ev = ampshare_policy_evse_at(in, e);
        int32_t step = ev->step_ma > 0 ? ev->step_ma : 1;
        double ma = s->rate[e] * 1000;
        int32_t t = ma >= (double)ev->max_ma ? ev->max_ma : (int32_t)ma;
        t -= t % step;
        if (t < ev->min_ma) {
            t = 0;
            out->why[e] = AMPSHARE_WHY_WAIT;
        }
        out->target_ma[e] = t;
    }
    return 0;
}

#define ACN_POLICY(ident, algo)                                                                   \
    static int ident##_init(const struct ampshare_policy_host *host,                              \
                            const struct ampshare_policy_option *opt, size_t n_opt, void **state) \
    {                                                                                             \
        return acn_pol_init(host, opt, n_opt, state, #ident, algo);                               \
    }                                                                                             \
    static const struct ampshare_policy ident##_policy = {                                        \
        .abi_major = AMPSHARE_POLICY_ABI_MAJOR,                                                   \
        .abi_minor = AMPSHARE_POLICY_ABI_MINOR,                                                   \
        .struct_size = sizeof(struct ampshare_policy),                                            \
        .name = #ident,                                                                           \
        .version = "acnportal-0.3.3",                                                             \
        .init = ident##_init,                                                                     \
        .allocate = acn_pol_allocate,                                                             \
        .destroy = acn_pol_destroy,                                                               \
    };                                                                                            \
    APK_POLICY(ident, ident##_policy)

#endif
