/* SPDX-License-Identifier: MIT */
/*
 * The replay's networks (acn-model.md §1.4): `single`, acnportal's simple_acn (every station at
 * 0 degrees under one aggregate limit of cap*1000/V A), and `caltech3`,
 * caltech_acn(basic_evse=True): 54 EVSEs in three line-to-line groups, two 80 A pods, three
 * secondary and three primary line currents of the 150 kW-class transformer scaled to the capacity.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fleet/replay.h"

#define ACN_BASIC_MAX_A 32.0

/* caltech_acn()'s registration order: AB (then its AV and CC pods), BC, CA. */
static const int caltech_ab[] = {308, 508, 303, 513, 310, 506, 316, 500, 318,
                                 498, 324, 325, 326, 327, 489, 490, 491, 492, /* AV pod */
                                 322, 493, 496, 320, 495, 321, 323, 494 /* CC pod */};
static const int caltech_bc[] = {304, 512, 305, 511, 313, 503, 311,
                                 505, 317, 499, 148, 149, 212, 213};
static const int caltech_ca[] = {307, 509, 309, 507, 306, 510, 315,
                                 501, 319, 497, 312, 504, 314, 502};
#define N_AB      (sizeof(caltech_ab) / sizeof(caltech_ab[0]))
#define N_BC      (sizeof(caltech_bc) / sizeof(caltech_bc[0]))
#define N_CA      (sizeof(caltech_ca) / sizeof(caltech_ca[0]))
#define N_CALTECH (N_AB + N_BC + N_CA)

int replay_net_station(const struct replay_net *rn, const char *station)
{
    for (size_t i = 0; i < rn->n_station; i++) {
        if (strcmp(rn->station[i], station) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int add_station(struct replay_net *rn, size_t cap, const char *name)
{
    if (rn->n_station == cap) {
        return -ENOSPC;
    }
    snprintf(rn->station[rn->n_station++], sizeof(rn->station[0]), "%.31s", name);
    return 0;
}

void replay_net_free(struct replay_net *rn)
{
    free(rn->station);
    free(rn->row_name);
    free(rn->limit);
    free(rn->max_pilot);
    free(rn->voltage);
    free(rn->term_start);
    free(rn->term);
    free(rn->sess_station);
    memset(rn, 0, sizeof(*rn));
}

/* Gives each session a station; where a data set has two cars on one station id at once (a
 * two-port unit), the second gets a port of its own, "<id>#2". */
static int assign_ports(struct replay_net *rn,
                        size_t cap,
                        const struct replay_data *d,
                        int64_t period_s,
                        int64_t *busy_until,
                        char *err,
                        size_t errlen)
{
    for (size_t k = 0; k < d->n; k++) { /* d is sorted by arrival */
        int64_t a = replay_period(d->s[k].arrival_s, period_s);
        int64_t dep = replay_period(d->s[k].departure_s, period_s);
        char name[40];
        snprintf(name, sizeof(name), "%s", d->s[k].station);
        for (int port = 2;; port++) {
            int i = replay_net_station(rn, name);
            if (i < 0) {
                if (add_station(rn, cap, name) != 0) {
                    snprintf(err, errlen, "too many stations");
                    return -ENOSPC;
                }
                i = (int)rn->n_station - 1;
                busy_until[i] = INT64_MIN;
            }
            if (busy_until[i] <= a) {
                busy_until[i] = dep > a ? dep : a + 1;
                rn->sess_station[k] = (size_t)i;
                break;
            }
            snprintf(name, sizeof(name), "%.20s#%d", d->s[k].station, port % 1000);
        }
    }
    return 0;
}

int replay_net_build(struct replay_net *rn,
                     enum replay_network kind,
                     double limit_kw,
                     double voltage,
                     int64_t period_s,
                     const struct replay_data *d,
                     char *err,
                     size_t errlen)
{
    memset(rn, 0, sizeof(*rn));
    size_t cap = N_CALTECH + 2 * d->n;
    rn->station = calloc(cap, sizeof(*rn->station));
    rn->sess_station = calloc(d->n ? d->n : 1, sizeof(*rn->sess_station));
    int64_t *busy = calloc(cap, sizeof(*busy));
    if (!rn->station || !rn->sess_station || !busy) {
        free(busy);
        replay_net_free(rn);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* The Caltech ids first when the data is Caltech's, so ties break as in acnportal. */
    bool is_caltech = d->n > 0 && strncmp(d->s[0].station, "CA-", 3) == 0;
    if (is_caltech || kind == REPLAY_NET_CALTECH3) {
        const int *grp[3] = {caltech_ab, caltech_bc, caltech_ca};
        size_t ng[3] = {N_AB, N_BC, N_CA};
        for (int g = 0; g < 3; g++) {
            for (size_t i = 0; i < ng[g]; i++) {
                char name[16];
                snprintf(name, sizeof(name), "CA-%d", grp[g][i]);
                add_station(rn, cap, name);
                busy[rn->n_station - 1] = INT64_MIN;
            }
        }
    }
    int rc = assign_ports(rn, cap, d, period_s, busy, err, errlen);
    free(busy);
    if (rc != 0) {
        replay_net_free(rn);
        return rc;
    }
    if (kind == REPLAY_NET_CALTECH3 && rn->n_station > N_CALTECH) {
        snprintf(err, errlen,
                 "station '%s' is not on the Caltech network (caltech3 needs the Caltech "
                 "ACN data; use --network single)",
                 rn->station[N_CALTECH]);
        replay_net_free(rn);
        return -EINVAL;
    }
    size_t n = rn->n_station;
    size_t n_row = kind == REPLAY_NET_SINGLE ? 1 : 8;
    rn->row_name = calloc(n_row, sizeof(*rn->row_name));
    rn->limit = calloc(n_row, sizeof(double));
    rn->max_pilot = calloc(n, sizeof(double));
    rn->voltage = calloc(n, sizeof(double));
    rn->term_start = calloc(n + 1, sizeof(size_t));
    rn->term = calloc(n * 6 + 1, sizeof(struct acn_term));
    if (!rn->row_name || !rn->limit || !rn->max_pilot || !rn->voltage || !rn->term_start ||
        !rn->term) {
        replay_net_free(rn);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        rn->max_pilot[i] = ACN_BASIC_MAX_A;
        rn->voltage[i] = voltage;
    }
    size_t nt = 0;
    if (kind == REPLAY_NET_SINGLE) {
        snprintf(rn->row_name[0], sizeof(rn->row_name[0]), "Aggregate Current");
        rn->limit[0] = (limit_kw / voltage) * 1000;
        for (size_t i = 0; i < n; i++) {
            rn->term_start[i] = nt;
            rn->term[nt++] = (struct acn_term){.row = 0, .re = 1.0, .im = 0.0};
        }
    } else {
        static const char *names[8] = {"CC Pod",      "AV Pod",    "Secondary A", "Secondary B",
                                       "Secondary C", "Primary A", "Primary B",   "Primary C"};
        double sec = limit_kw * 1000 / 3 / 120, pri = limit_kw * 1000 / 3 / 277;
        double lim[8] = {80, 80, sec, sec, sec, pri, pri, pri};
        for (int j = 0; j < 8; j++) {
            snprintf(rn->row_name[j], sizeof(rn->row_name[0]), "%s", names[j]);
            rn->limit[j] = lim[j];
        }
        /* Secondary: Ia = AB - CA, Ib = BC - AB, Ic = CA - BC. Primary: IA = (Ia - Ic)/4 =
         * (AB + BC - 2 CA)/4, IB = (Ib - Ia)/4 = (BC + CA - 2 AB)/4, IC = (Ic - Ib)/4 =
         * (CA + AB - 2 BC)/4. Coefficients per group AB, BC, CA: */
        static const double coef[6][3] = {{1, 0, -1},         {-1, 1, 0},
                                          {0, -1, 1},         {0.25, 0.25, -0.5},
                                          {-0.5, 0.25, 0.25}, {0.25, -0.5, 0.25}};
        for (size_t i = 0; i < n; i++) {
            int g = i < N_AB ? 0 : i < N_AB + N_BC ? 1 : 2;
            double deg = g == 0 ? 30 : g == 1 ? -90 : 150;
            double ph = deg * (M_PI / 180);
            double c = cos(ph), s = sin(ph);
            rn->term_start[i] = nt;
            if (g == 0 && i >= 10) { /* the AV pod (10..17), then the CC pod (18..25) */
                uint32_t pod = i < 18 ? 1 : 0;
                rn->term[nt++] = (struct acn_term){.row = pod, .re = c, .im = s};
            }
            for (int j = 0; j < 6; j++) {
                if (coef[j][g] != 0) {
                    rn->term[nt++] = (struct acn_term){
                        .row = (uint32_t)(2 + j), .re = coef[j][g] * c, .im = coef[j][g] * s};
                }
            }
        }
    }
    rn->term_start[n] = nt;
    rn->net = (struct acn_net){.n_station = n,
                               .n_row = n_row,
                               .limit = rn->limit,
                               .term_start = rn->term_start,
                               .term = rn->term,
                               .max_pilot = rn->max_pilot,
                               .voltage = rn->voltage};
    return 0;
}
