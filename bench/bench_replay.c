/* SPDX-License-Identifier: MIT */
/*
 * Replay cost (issue 14): the Caltech March 2019 month (954 sessions, 10,731 five-minute periods)
 * under acn_edf at 10 kW on `single` (goal under 20 ms; acnportal takes about 18 s), each of the
 * five ACN algorithms on both networks at 10 kW, and the full sweep: 8 capacities x 5 algorithms
 * x 2 networks (goal under 2 s). CPU time (clock()), median and best of REPS runs. Prints
 * figures; never a test.
 *
 *   bench_replay [FILE]   default: $AMPSHARE_SHARED/datasets/<the Caltech JSON.gz>, else
 *                         ../shared/datasets/ beside the source tree
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/fleet/replay.h"

#define REPS    7
#define CALTECH "caltech_20190301T000000_20190401T000000_5m_208V_6.6kW.json.gz"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One replay including building its network; returns delivered %. */
static double one(const struct replay_data *d, enum replay_network kind, double kw, enum acn_algo a)
{
    struct replay_net rn;
    struct replay_result r;
    char err[256];
    struct replay_cfg cfg = {.algo = a, .period_s = 300};
    if (replay_net_build(&rn, kind, kw, 208, 300, d, err, sizeof(err)) != 0 ||
        replay_run(d, &rn, &cfg, &r, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_replay: %s\n", err);
        exit(1);
    }
    double pct = r.delivered_pct;
    replay_result_free(&r);
    replay_net_free(&rn);
    return pct;
}

static void timed(const char *label,
                  const struct replay_data *d,
                  enum replay_network kind,
                  double kw,
                  enum acn_algo a)
{
    double t[REPS], pct = 0;
    for (int i = 0; i < REPS; i++) {
        double t0 = cpu_now();
        pct = one(d, kind, kw, a);
        t[i] = cpu_now() - t0;
    }
    qsort(t, REPS, sizeof(double), cmp);
    printf("%-44s %9.2f ms median %9.2f ms best   (%.6f %% delivered)\n", label, t[REPS / 2] * 1e3,
           t[0] * 1e3, pct);
}

int main(int argc, char **argv)
{
    char path[1024];
    if (argc > 1) {
        snprintf(path, sizeof(path), "%s", argv[1]);
    } else if (getenv("AMPSHARE_SHARED")) {
        snprintf(path, sizeof(path), "%s/datasets/" CALTECH, getenv("AMPSHARE_SHARED"));
    } else {
        snprintf(path, sizeof(path), "%s", "../shared/datasets/" CALTECH);
    }
    struct replay_data d;
    char err[512];
    double t0 = cpu_now();
    if (replay_load(path, &d, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_replay: %s\n", err);
        return 1;
    }
    printf("load %s: %zu sessions in %.2f ms CPU\n\n", d.format, d.n, (cpu_now() - t0) * 1e3);
    timed("acn_edf, 10 kW, single (goal < 20 ms)", &d, REPLAY_NET_SINGLE, 10, ACN_EDF);
    static const char *nets[2] = {"single", "caltech3"};
    for (int n = 0; n < 2; n++) {
        for (int a = 0; a < ACN_ALGO_COUNT; a++) {
            char label[80];
            snprintf(label, sizeof(label), "%s, 10 kW, %s", replay_algo_name((enum acn_algo)a),
                     nets[n]);
            timed(label, &d, (enum replay_network)n, 10, (enum acn_algo)a);
        }
    }
    static const double caps[8] = {10, 20, 30, 40, 50, 60, 80, 100};
    double sweep[3];
    for (int r = 0; r < 3; r++) {
        double s0 = cpu_now();
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 8; c++) {
                for (int a = 0; a < ACN_ALGO_COUNT; a++) {
                    one(&d, (enum replay_network)n, caps[c], (enum acn_algo)a);
                }
            }
        }
        sweep[r] = cpu_now() - s0;
    }
    qsort(sweep, 3, sizeof(double), cmp);
    printf("\nfull sweep, 8 capacities x 5 algorithms x 2 networks (goal < 2 s): %.3f s median, "
           "%.3f s best\n",
           sweep[1], sweep[0]);
    replay_data_free(&d);
    return 0;
}
