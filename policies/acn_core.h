/* SPDX-License-Identifier: MIT */
/*
 * acn_core.h: acnportal 0.3.3's scheduling algorithms (Uncontrolled, sorted FCFS / EDF / LLF and
 * RoundRobin), with its exact semantics (../shared/research/acn-model.md §1.5), as pure functions
 * over a network of constraint rows. One copy, header-only, so that a single-file policy plugin
 * (policies/acn_*.c, over the ABI's circuit tree) and the replay (sim/fleet/replay.c, over the
 * Caltech networks, in double precision) run the same code.
 *
 * A network is N stations and M constraint rows. Row j holds coefficients A_ji and a limit; station
 * i has a phase angle phi_i. A rate vector r is feasible when, for every row,
 *     | sum_i A_ji r_i e^{j phi_i} | <= limit_j + max(1e-5, 1e-7 limit_j)
 * (acnportal's infrastructure_constraints_feasible). Rows are stored per station as terms (row,
 * A cos phi, A sin phi), so changing one rate touches only that station's rows: the row sums are
 * kept incrementally and a check looks only at the rows the changed station loads (the others
 * were feasible before and did not move).
 *
 * No I/O, no clock, no allocation: the caller sizes struct acn_work.
 */
#ifndef AMPSHARE_ACN_CORE_H
#define AMPSHARE_ACN_CORE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum acn_algo {
    ACN_UNCONTROLLED = 0,
    ACN_FCFS,
    ACN_EDF,
    ACN_LLF,
    ACN_RR, /* RoundRobin in FCFS order, continuous_inc 0.1 A */
    ACN_ALGO_COUNT
};

/* One station's share of one constraint row. */
struct acn_term {
    uint32_t row;
    double re; /* A_ji cos(phi_i) */
    double im; /* A_ji sin(phi_i) */
};

struct acn_net {
    size_t n_station;
    size_t n_row;
    const double *limit; /* [n_row] A */
    const size_t
        *term_start; /* [n_station + 1]: station i's terms are term[start[i] .. start[i+1]) */
    const struct acn_term *term;
    const double *max_pilot; /* [n_station] A (32 for acnportal's BASIC EVSE) */
    const double *voltage;   /* [n_station] V */
};

/* An active session as the scheduler sees it (acnportal's SessionInfo). Pass them in station
 * registration order: that order breaks ties, as Python's stable sort does. */
struct acn_sess {
    size_t station;
    double remaining_kwh;
    double arrival;       /* any unit, only compared */
    double est_departure; /* periods, the same clock as now */
};

/* Scratch owned by the caller: every array has n_station elements (order and queue: the number of
 * sessions, at most n_station), re / im have n_row. */
struct acn_work {
    double *re, *im;
    size_t *order;
    size_t *queue;
    double *key;
    uint32_t *rung, *top;
};

#define ACN_RR_INC 0.1

static inline double acn_row_tol(double limit)
{
    double rel = 1e-7 * limit;
    return rel > 1e-5 ? rel : 1e-5;
}

/* Sets r[i] = v, updating the row sums. */
static inline void
acn_set(const struct acn_net *net, struct acn_work *w, double *r, size_t i, double v)
{
    double d = v - r[i];
    r[i] = v;
    for (size_t k = net->term_start[i]; k < net->term_start[i + 1]; k++) {
        const struct acn_term *t = &net->term[k];
        w->re[t->row] += t->re * d;
        w->im[t->row] += t->im * d;
    }
}

/* Feasible with station i's rows as they are now (the others are assumed feasible). */
static inline bool acn_rows_ok(const struct acn_net *net, const struct acn_work *w, size_t i)
{
    for (size_t k = net->term_start[i]; k < net->term_start[i + 1]; k++) {
        uint32_t j = net->term[k].row;
        double mag = sqrt(w->re[j] * w->re[j] + w->im[j] * w->im[j]);
        if (!(mag <= net->limit[j] + acn_row_tol(net->limit[j]))) {
            return false;
        }
    }
    return true;
}

/* Would r[i] = v be feasible? Leaves r[i] as it was. */
static inline bool
acn_try(const struct acn_net *net, struct acn_work *w, double *r, size_t i, double v)
{
    double old = r[i];
    acn_set(net, w, r, i, v);
    bool ok = acn_rows_ok(net, w, i);
    acn_set(net, w, r, i, old);
    return ok;
}

/* Every row from scratch (the initial check acnportal makes before allocating). */
static inline bool acn_all_ok(const struct acn_net *net, const struct acn_work *w)
{
    for (size_t j = 0; j < net->n_row; j++) {
        double mag = sqrt(w->re[j] * w->re[j] + w->im[j] * w->im[j]);
        if (!(mag <= net->limit[j] + acn_row_tol(net->limit[j]))) {
            return false;
        }
    }
    return true;
}

/* remaining kWh -> the current that delivers it in one period (Interface.remaining_amp_periods). */
static inline double acn_amp_periods(double kwh, double voltage, double period_min)
{
    return kwh * 1000 / voltage * 60 / period_min;
}

/* SortedSchedulingAlgo.max_feasible_rate: ub if feasible, else bisection on [lb, ub] to 0.01 A
 * keeping the feasible lower end. */
static inline double acn_max_feasible(
    const struct acn_net *net, struct acn_work *w, double *r, size_t i, double lb, double ub)
{
    if (acn_try(net, w, r, i, ub)) {
        return ub;
    }
    for (;;) {
        double mid = (ub + lb) / 2;
        if ((ub - lb) <= 0.01) {
            return lb;
        }
        if (acn_try(net, w, r, i, mid)) {
            lb = mid;
        } else {
            ub = mid;
        }
    }
}

/* Stable sort of idx[0..n) by key ascending (insertion sort: n is a car park, and the input is
 * nearly sorted from one period to the next). */
static inline void acn_stable_sort(size_t *idx, const double *key, size_t n)
{
    for (size_t a = 1; a < n; a++) {
        size_t v = idx[a];
        size_t b = a;
        while (b > 0 && key[idx[b - 1]] > key[v]) {
            idx[b] = idx[b - 1];
            b--;
        }
        idx[b] = v;
    }
}

/*
 * One scheduling run at period `now`: writes r[station] for every station (0 where no session).
 * Returns 0, or -1 if even all-zero is infeasible (acnportal raises ValueError there).
 */
static inline int acn_schedule(const struct acn_net *net,
                               enum acn_algo algo,
                               const struct acn_sess *s,
                               size_t n,
                               double now,
                               double period_min,
                               double *r,
                               struct acn_work *w)
{
    for (size_t i = 0; i < net->n_station; i++) {
        r[i] = 0;
    }
    for (size_t j = 0; j < net->n_row; j++) {
        w->re[j] = 0;
        w->im[j] = 0;
    }
    if (algo == ACN_UNCONTROLLED) {
        for (size_t k = 0; k < n; k++) {
            r[s[k].station] = net->max_pilot[s[k].station];
        }
        return 0;
    }
    /* preprocessing: remove_finished_sessions (threshold 0 for a BASIC EVSE: min pilot 0) */
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k].remaining_kwh > 0) {
            w->order[m++] = k;
        }
    }
    for (size_t q = 0; q < m; q++) {
        const struct acn_sess *x = &s[w->order[q]];
        size_t i = x->station;
        switch (algo) {
        case ACN_FCFS:
        case ACN_RR:
            w->key[w->order[q]] = x->arrival;
            break;
        case ACN_EDF:
            w->key[w->order[q]] = x->est_departure;
            break;
        default: /* LLF */
            w->key[w->order[q]] =
                (x->est_departure - now) -
                acn_amp_periods(x->remaining_kwh, net->voltage[i], period_min) / net->max_pilot[i];
            break;
        }
    }
    acn_stable_sort(w->order, w->key, m);
    if (!acn_all_ok(net, w)) {
        return -1;
    }
    if (algo != ACN_RR) {
        for (size_t q = 0; q < m; q++) {
            const struct acn_sess *x = &s[w->order[q]];
            size_t i = x->station;
            double ub = acn_amp_periods(x->remaining_kwh, net->voltage[i], period_min);
            if (net->max_pilot[i] < ub) {
                ub = net->max_pilot[i];
            }
            acn_set(net, w, r, i, acn_max_feasible(net, w, r, i, 0, ub));
        }
        return 0;
    }
    /* RoundRobin: each session climbs a ladder k*inc (numpy arange) up to min(max, amp periods) */
    size_t head = 0, tail = 0;
    for (size_t q = 0; q < m; q++) {
        const struct acn_sess *x = &s[w->order[q]];
        size_t i = x->station;
        double ub = acn_amp_periods(x->remaining_kwh, net->voltage[i], period_min);
        if (net->max_pilot[i] < ub) {
            ub = net->max_pilot[i];
        }
        /* arange(0, max + inc/2, inc) has ceil((max + inc/2) / inc) rungs */
        uint32_t len = (uint32_t)ceil((net->max_pilot[i] + ACN_RR_INC / 2) / ACN_RR_INC);
        uint32_t top = 0;
        while (top + 1 < len && (double)(top + 1) * ACN_RR_INC <= ub) {
            top++;
        }
        w->rung[i] = 0;
        w->top[i] = top;
        w->queue[tail++] = i;
    }
    size_t cap = m + 1;
    size_t count = m;
    tail %= cap;
    while (count > 0) {
        size_t i = w->queue[head];
        head = (head + 1) % cap;
        count--;
        if (w->rung[i] < w->top[i]) {
            double v = (double)(w->rung[i] + 1) * ACN_RR_INC;
            acn_set(net, w, r, i, v);
            if (acn_rows_ok(net, w, i)) {
                w->rung[i]++;
                w->queue[tail] = i;
                tail = (tail + 1) % cap;
                count++;
            } else {
                acn_set(net, w, r, i, (double)w->rung[i] * ACN_RR_INC);
            }
        }
    }
    return 0;
}

#endif
