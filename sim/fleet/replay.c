/* SPDX-License-Identifier: MIT */
/*
 * The replay loop, acnportal's Simulator.run (acn-model.md §1.1): each period, unplug the cars
 * whose departure has come, plug in the arrivals, schedule the active sessions (plugged in with
 * more than 1e-3 kWh still wanted, in station registration order), apply the pilots, charge every
 * car for one period through its ideal battery, record the currents. Stretches with no car plugged
 * in are skipped: nothing charges there and acnportal records zeros.
 */
#include "sim/fleet/replay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/fleet/replay_abi.h"

static const char *const algo_names[ACN_ALGO_COUNT] = {
    [ACN_UNCONTROLLED] = "acn_uncontrolled",
    [ACN_FCFS] = "acn_fcfs",
    [ACN_EDF] = "acn_edf",
    [ACN_LLF] = "acn_llf",
    [ACN_RR] = "acn_rr",
};

const char *replay_algo_name(enum acn_algo a)
{
    return (unsigned)a < ACN_ALGO_COUNT ? algo_names[a] : "?";
}

int replay_algo_parse(const char *name, enum acn_algo *a)
{
    for (int i = 0; i < ACN_ALGO_COUNT; i++) {
        if (strcmp(name, algo_names[i]) == 0) {
            *a = (enum acn_algo)i;
            return 0;
        }
    }
    return -ENOENT;
}

void replay_result_free(struct replay_result *res)
{
    free(res->station_kwh);
    free(res->station_mean_a);
    free(res->station_max_a);
    free(res->station_oi_mean_a);
    res->station_kwh = res->station_mean_a = res->station_max_a = res->station_oi_mean_a = NULL;
}

void replay_span(const struct replay_data *d, int64_t period_s, int64_t *first, int64_t *end)
{
    *first = d->n ? INT64_MAX : 0;
    *end = 0;
    for (size_t k = 0; k < d->n; k++) {
        int64_t a = replay_period(d->s[k].arrival_s, period_s);
        int64_t e = replay_period(d->s[k].departure_s, period_s);
        e = e > a ? e : a + 1;
        *first = a < *first ? a : *first;
        *end = e > *end ? e : *end;
    }
}

struct ev {
    int64_t a, d, est; /* periods */
    double requested, delivered, charge, cap, max_power;
    int64_t full_at; /* the period at whose end it was first fully charged; -1 */
};

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

struct replay_mem {
    struct ev *ev;
    long *occ; /* station -> session, -1 */
    struct acn_sess *sess;
    double *rate, *cur, *re, *im, *key, *plugged_periods, *sum_a, *oi_sum, *oi_n, *ttf;
    size_t *order, *queue;
    uint32_t *rung, *top;
    struct replay_abi_station *abi_st;
};

static void mem_free(struct replay_mem *m)
{
    free(m->ev);
    free(m->occ);
    free(m->sess);
    free(m->rate);
    free(m->cur);
    free(m->re);
    free(m->im);
    free(m->key);
    free(m->plugged_periods);
    free(m->sum_a);
    free(m->oi_sum);
    free(m->oi_n);
    free(m->ttf);
    free(m->order);
    free(m->queue);
    free(m->rung);
    free(m->top);
    free(m->abi_st);
}

static int mem_alloc(struct replay_mem *m, size_t n_sess, size_t n_st, size_t n_row)
{
    memset(m, 0, sizeof(*m));
    size_t ns = n_st + 1;
    m->ev = calloc(n_sess + 1, sizeof(*m->ev));
    m->occ = malloc(ns * sizeof(*m->occ));
    m->sess = calloc(ns, sizeof(*m->sess));
    m->rate = calloc(ns, sizeof(double));
    m->cur = calloc(ns, sizeof(double));
    m->re = calloc(n_row, sizeof(double));
    m->im = calloc(n_row, sizeof(double));
    m->key = calloc(ns, sizeof(double));
    m->plugged_periods = calloc(ns, sizeof(double));
    m->sum_a = calloc(ns, sizeof(double));
    m->oi_sum = calloc(ns, sizeof(double));
    m->oi_n = calloc(ns, sizeof(double));
    m->ttf = calloc(n_sess + 1, sizeof(double));
    m->order = calloc(ns, sizeof(size_t));
    m->queue = calloc(ns + 1, sizeof(size_t));
    m->rung = calloc(ns, sizeof(uint32_t));
    m->top = calloc(ns, sizeof(uint32_t));
    m->abi_st = calloc(ns, sizeof(*m->abi_st));
    if (!m->ev || !m->occ || !m->sess || !m->rate || !m->cur || !m->re || !m->im || !m->key ||
        !m->plugged_periods || !m->sum_a || !m->oi_sum || !m->oi_n || !m->ttf || !m->order ||
        !m->queue || !m->rung || !m->top || !m->abi_st) {
        mem_free(m);
        return -ENOMEM;
    }
    for (size_t i = 0; i < ns; i++) {
        m->occ[i] = -1;
    }
    return 0;
}

int64_t replay_period(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* acnportal's Battery.charge + EV.charge: returns the current drawn (A). */
static double ev_charge(struct ev *e, double pilot, double voltage, double period_min)
{
    double rate_to_full = (e->cap - e->charge) / (period_min / 60);
    double p = pilot * voltage / 1000;
    if (e->max_power < p) {
        p = e->max_power;
    }
    if (rate_to_full < p) {
        p = rate_to_full;
    }
    e->charge += p * (period_min / 60);
    double amps = p * 1000 / voltage;
    e->delivered += (amps * voltage) / 1000 * (period_min / 60);
    return amps;
}

/* Excess of the drawn currents over each constraint row (A, summed over rows). */
static double over_limit(const struct acn_net *net, const double *cur, double *re, double *im)
{
    for (size_t j = 0; j < net->n_row; j++) {
        re[j] = im[j] = 0;
    }
    for (size_t i = 0; i < net->n_station; i++) {
        if (cur[i] == 0) {
            continue;
        }
        for (size_t k = net->term_start[i]; k < net->term_start[i + 1]; k++) {
            re[net->term[k].row] += net->term[k].re * cur[i];
            im[net->term[k].row] += net->term[k].im * cur[i];
        }
    }
    double over = 0;
    for (size_t j = 0; j < net->n_row; j++) {
        double mag = sqrt(re[j] * re[j] + im[j] * im[j]);
        double x = mag - (net->limit[j] + acn_row_tol(net->limit[j]));
        if (x > 0) {
            over += x;
        }
    }
    return over;
}

int replay_run(const struct replay_data *d,
               const struct replay_net *rn,
               const struct replay_cfg *cfg,
               struct replay_result *res,
               char *err,
               size_t errlen)
{
    memset(res, 0, sizeof(*res));
    clock_t c0 = clock();
    const struct acn_net *net = &rn->net;
    size_t ns = net->n_station;
    int64_t p = (int64_t)cfg->period_s;
    if (p <= 0 || (double)p != cfg->period_s) {
        snprintf(err, errlen, "period %g s: want a whole number of seconds above 0", cfg->period_s);
        return -EINVAL;
    }
    double period_min = cfg->period_s / 60;
    struct replay_mem m;
    if (mem_alloc(&m, d->n, ns, net->n_row) != 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    res->station_kwh = calloc(ns + 1, sizeof(double));
    res->station_mean_a = calloc(ns + 1, sizeof(double));
    res->station_max_a = calloc(ns + 1, sizeof(double));
    if (!res->station_kwh || !res->station_mean_a || !res->station_max_a) {
        mem_free(&m);
        replay_result_free(res);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int64_t t_end = INT64_MIN;
    for (size_t k = 0; k < d->n; k++) {
        struct ev *e = &m.ev[k];
        e->a = replay_period(d->s[k].arrival_s, p);
        e->d = replay_period(d->s[k].departure_s, p);
        if (e->d <=
            e->a) { /* the unplug event is queued at plug-in, so it is seen a period later */
            e->d = e->a + 1;
        }
        e->est = replay_period(d->s[k].est_departure_s, p);
        e->requested = d->s[k].energy_kwh;
        e->cap = d->s[k].energy_kwh;
        e->max_power = d->s[k].max_power_kw;
        e->full_at = -1;
        res->requested_kwh += e->requested;
        if (e->d > t_end) {
            t_end = e->d;
        }
    }
    struct acn_work w = {.re = m.re,
                         .im = m.im,
                         .order = m.order,
                         .queue = m.queue,
                         .key = m.key,
                         .rung = m.rung,
                         .top = m.top};
    size_t next = 0, plugged = 0;
    int rc = 0;
    int64_t t = d->n ? m.ev[0].a : 0;
    while (t < t_end) {
        if (plugged == 0 && next < d->n && m.ev[next].a > t) {
            t = m.ev[next].a; /* nobody plugged in: jump to the next arrival */
        }
        /* 1. unplug first (precedence 0), then plug in (10) */
        for (size_t i = 0; i < ns; i++) {
            if (m.occ[i] >= 0 && m.ev[m.occ[i]].d <= t) {
                m.occ[i] = -1;
                plugged--;
            }
        }
        for (; next < d->n && m.ev[next].a <= t; next++) {
            size_t st = rn->sess_station[next];
            if (m.occ[st] >= 0) {
                snprintf(err, errlen, "session %s: station %s is occupied", d->s[next].id,
                         rn->station[st]);
                rc = -EINVAL;
                goto out;
            }
            m.occ[st] = (long)next;
            plugged++;
        }
        /* 2. schedule the active sessions */
        size_t n_act = 0, n_plugged_active = 0;
        for (size_t i = 0; i < ns; i++) {
            long k = m.occ[i];
            if (k < 0) {
                continue;
            }
            struct ev *e = &m.ev[k];
            double rem = e->requested - e->delivered;
            if (rem > 1e-3) {
                m.sess[n_act++] = (struct acn_sess){.station = i,
                                                    .remaining_kwh = rem,
                                                    .arrival = (double)e->a,
                                                    .est_departure = (double)e->est};
            }
        }
        n_plugged_active = n_act;
        if (cfg->abi) {
            for (size_t i = 0; i < ns; i++) {
                long k = m.occ[i];
                struct replay_abi_station *x = &m.abi_st[i];
                x->plugged = k >= 0;
                x->last_a = m.cur[i];
                if (k >= 0) {
                    x->arrival_ms = (uint64_t)(m.ev[k].a * p + 1) * 1000;
                    x->departure_ms = (uint64_t)(m.ev[k].est * p) * 1000;
                    x->remaining_kwh = m.ev[k].requested - m.ev[k].delivered;
                }
            }
            if (replay_abi_schedule(cfg->abi, (uint64_t)(t * p + 1) * 1000, m.abi_st, m.rate) !=
                0) {
                snprintf(err, errlen, "period %lld: the clamp refused the view", (long long)t);
                rc = -EINVAL;
                goto out;
            }
        } else if (acn_schedule(net, cfg->algo, m.sess, n_act, (double)t, period_min, m.rate, &w) !=
                   0) {
            snprintf(err, errlen, "period %lld: every car at 0 A is already infeasible",
                     (long long)t);
            rc = -EINVAL;
            goto out;
        }
        /* 3-4. pilots (0 where nothing was scheduled) and one period of charging */
        double agg_a = 0, agg_kw = 0;
        for (size_t i = 0; i < ns; i++) {
            long k = m.occ[i];
            m.cur[i] = 0;
            if (k < 0) {
                continue;
            }
            struct ev *e = &m.ev[k];
            bool was_full = !(e->requested - e->delivered > 1e-3);
            double pilot = was_full ? 0 : m.rate[i];
            m.cur[i] = ev_charge(e, pilot, net->voltage[i], period_min);
            if (!was_full && !(e->requested - e->delivered > 1e-3) && e->full_at < 0) {
                e->full_at = t;
            }
            agg_a += m.cur[i];
            agg_kw += net->voltage[i] * m.cur[i] / 1000;
            m.plugged_periods[i] += 1;
            m.sum_a[i] += m.cur[i];
            if (m.cur[i] > res->station_max_a[i]) {
                res->station_max_a[i] = m.cur[i];
            }
            res->station_kwh[i] += m.cur[i] * net->voltage[i] / 1000 * (period_min / 60);
        }
        /* a charger's current while every other connected car is idle (fully charged) */
        if (n_plugged_active == 1 && plugged > 1) {
            size_t i = m.sess[0].station;
            m.oi_sum[i] += m.cur[i];
            m.oi_n[i] += 1;
        }
        /* 5. record */
        if (agg_a > res->peak_a) {
            res->peak_a = agg_a;
        }
        if (agg_kw > res->peak_kw) {
            res->peak_kw = agg_kw;
        }
        double over = over_limit(net, m.cur, m.re, m.im);
        if (over > 0) {
            res->over_limit_s += cfg->period_s;
            res->over_limit_as += over * cfg->period_s;
        }
        if (cfg->on_period) {
            cfg->on_period(cfg->ctx, t, m.cur, ns);
        }
        res->periods++;
        t++;
    }
    double sum_x = 0, sum_x2 = 0;
    size_t n_x = 0, n_ttf = 0;
    for (size_t k = 0; k < d->n; k++) {
        struct ev *e = &m.ev[k];
        res->delivered_kwh += e->delivered;
        double rem = e->requested - e->delivered;
        if (rem < 0.1) {
            res->served++;
        } else {
            res->unfinished++;
        }
        if (e->full_at >= 0) {
            m.ttf[n_ttf++] = (double)(e->full_at + 1 - e->a) * cfg->period_s;
        }
        if (e->requested > 0) {
            double x = e->delivered / e->requested;
            sum_x += x;
            sum_x2 += x * x;
            n_x++;
        }
    }
    res->sessions = d->n;
    res->delivered_pct = res->requested_kwh > 0 ? 100 * res->delivered_kwh / res->requested_kwh : 0;
    res->jain = sum_x2 > 0 ? sum_x * sum_x / ((double)n_x * sum_x2) : 1;
    if (n_ttf > 0) {
        double s = 0;
        for (size_t k = 0; k < n_ttf; k++) {
            s += m.ttf[k];
        }
        res->mean_time_to_full_s = s / (double)n_ttf;
        qsort(m.ttf, n_ttf, sizeof(double), cmp_double);
        size_t idx = (size_t)ceil(0.95 * (double)n_ttf) - 1; /* nearest rank */
        res->p95_time_to_full_s = m.ttf[idx];
    }
    for (size_t i = 0; i < ns; i++) {
        res->station_mean_a[i] = m.plugged_periods[i] > 0 ? m.sum_a[i] / m.plugged_periods[i] : 0;
    }
    res->station_oi_mean_a = calloc(ns + 1, sizeof(double));
    if (res->station_oi_mean_a) {
        for (size_t i = 0; i < ns; i++) {
            res->station_oi_mean_a[i] = m.oi_n[i] > 0 ? m.oi_sum[i] / m.oi_n[i] : NAN;
        }
    }
out:
    mem_free(&m);
    res->run_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (rc != 0) {
        replay_result_free(res);
    }
    return rc;
}
