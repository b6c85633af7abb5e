/* SPDX-License-Identifier: MIT */
/*
 * Replay of real charging sessions under acnportal's model (../shared/research/acn-model.md §1):
 * discrete periods, an ideal battery per session, continuous 0-32 A pilots, the network's
 * constraint rows, and a scheduling run every period. The loaders read the Caltech acnportal
 * JSON (gzip), its CSV twin and the workplace CSV (../shared/datasets/README.md).
 */
#ifndef AMPSHARE_SIM_REPLAY_H
#define AMPSHARE_SIM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "policies/acn_core.h"

struct replay_session {
    char id[64];
    char station[32];
    int64_t arrival_s;   /* seconds since the data set's start */
    int64_t departure_s; /* the car is unplugged at the start of the period holding this */
    int64_t est_departure_s;
    double energy_kwh;   /* requested (ACN-Data's kWhDelivered) */
    double max_power_kw; /* the battery's limit (6.6 in the ACN data) */
};

struct replay_data {
    struct replay_session *s;
    size_t n;
    int64_t start_unix; /* the wall-clock time of second 0, when known (else 0) */
    char format[16];    /* "acn-json", "caltech-csv", "workplace-csv" */
};

/* Reads FILE (format found from its content). 0, or a negative errno with err naming the place. */
int replay_load(const char *path, struct replay_data *d, char *err, size_t errlen);
void replay_data_free(struct replay_data *d);

enum replay_network {
    REPLAY_NET_SINGLE = 0,
    REPLAY_NET_CALTECH3
};

/* A network built for a data set and a period length (a station holding two cars in one period
 * gets a second port): its stations (Caltech's 54 in registration order, then any
 * other station the data names, in order of first appearance) and constraint rows. */
struct replay_net {
    struct acn_net net;
    char (*station)[32];
    size_t n_station;
    char (*row_name)[24];
    double *limit, *max_pilot, *voltage;
    size_t *term_start;
    struct acn_term *term;
    size_t *sess_station; /* [d->n]: the station (port) each session plugs into */
};

int replay_net_build(struct replay_net *rn,
                     enum replay_network kind,
                     double limit_kw,
                     double voltage,
                     int64_t period_s,
                     const struct replay_data *d,
                     char *err,
                     size_t errlen);
void replay_net_free(struct replay_net *rn);
/* The period holding second t (floor division). */
int64_t replay_period(int64_t t, int64_t period_s);

int replay_net_station(const struct replay_net *rn, const char *station);

struct replay_abi;

struct replay_cfg {
    enum acn_algo algo;
    struct replay_abi *abi; /* not NULL: this ampshare policy schedules instead of algo */
    double period_s;        /* 300 */
    /* Called after every simulated period with the currents drawn per station (may be NULL).
     * Periods with no car plugged in are skipped, and not reported. */
    void (*on_period)(void *ctx, int64_t period, const double *amps, size_t n_station);
    void *ctx;
};

/* The periods a replay spans: [*first, *end). */
void replay_span(const struct replay_data *d, int64_t period_s, int64_t *first, int64_t *end);

struct replay_result {
    double requested_kwh, delivered_kwh, delivered_pct;
    size_t sessions, served,
        unfinished;         /* served: remaining < 0.1 kWh (proportion_of_demands_met) */
    double peak_a, peak_kw; /* max over periods of the aggregate current / power */
    double over_limit_s,
        over_limit_as; /* drawn currents above any constraint row, beyond tolerance */
    double mean_time_to_full_s, p95_time_to_full_s; /* over the sessions served */
    double jain;                                    /* Jain's index over delivered / requested */
    double run_s;                                   /* CPU seconds the replay took */
    int64_t periods;
    double *station_kwh; /* [n_station], caller frees */
    double *station_mean_a, *station_max_a;
    double *station_oi_mean_a; /* mean while every other connected car is idle; NAN if never */
};

/* Runs one replay. Fills res (res->station_* allocated here). 0, or a negative errno. */
int replay_run(const struct replay_data *d,
               const struct replay_net *rn,
               const struct replay_cfg *cfg,
               struct replay_result *res,
               char *err,
               size_t errlen);
void replay_result_free(struct replay_result *res);

const char *replay_algo_name(enum acn_algo a);
int replay_algo_parse(const char *name, enum acn_algo *a);

#endif
