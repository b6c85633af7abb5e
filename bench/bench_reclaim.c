/* SPDX-License-Identifier: MIT */
/*
 * How fast the Tesla of `ampshare sim seed` gets its share (issue 12's table), at 1 ms
 * resolution of virtual time, under the simulated native master, under ampshare with
 * idle_reclaim and under ampshare with the native policy, in one run:
 *   - the seed: the Tesla beside an idle i3 on 40 A (overcommit 0, then 6 A);
 *   - --i3-full-s 120: the i3 charges from the start and is full from 120 s; the times are
 *     counted from the first millisecond its draw is under 1 A.
 * Each column is the first time the Tesla's slave held (offered) or measured (draws) that much;
 * "never" within the run; "most drawn" is the most both slaves measured at once (any ms). Prints
 * figures; never a test (tests/unit/test_sim_seed.c asserts the bounds).
 *
 *   bench_reclaim [DURATION_S]   (default 150)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/base/log.h"
#include "sim/sim_seed.h"

struct row {
    const char *name;
    enum sim_seed_master which;
    const char *policy;
};

static const struct row rows[] = {
    {"simulated native master", SIM_SEED_NATIVE, "idle_reclaim"},
    {"ampshare, idle_reclaim", SIM_SEED_AMPSHARE, "idle_reclaim"},
    {"ampshare, native policy", SIM_SEED_AMPSHARE, "native"},
};

/* offered >= 34 A, draws >= 33 A, offered 40 A, draws >= 39 A (in centiamps) */
static const uint16_t lim_ca[2] = {3400, 4000}, act_ca[2] = {3300, 3900};

static void cell(char *buf, size_t cap, uint64_t at, uint64_t from)
{
    if (at == UINT64_MAX) {
        snprintf(buf, cap, "never");
    } else {
        snprintf(buf, cap, "%.1f s", (double)(at - from) / 1000.0);
    }
}

/* Runs one row; from_full: count from the i3's draw falling idle. */
static int run(const struct row *r, const struct sim_seed_cfg *base, bool from_full)
{
    struct sim_seed_cfg cfg = *base;
    snprintf(cfg.policy, sizeof(cfg.policy), "%s", r->policy);
    struct sim_seed *s = NULL;
    char err[256] = "";
    if (sim_seed_new(r->which, &cfg, &s, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_reclaim: %s\n", err);
        return 1;
    }
    uint64_t lim_at[2] = {UINT64_MAX, UINT64_MAX}, act_at[2] = {UINT64_MAX, UINT64_MAX};
    uint64_t lim39_at = UINT64_MAX;
    uint64_t from = 0, max_sum = 0;
    bool counting = !from_full;
    for (uint64_t t = 0; t <= cfg.duration_ms; t++) {
        if (sim_seed_advance(s, t) != 0) {
            break;
        }
        struct sim_seed_unit a, b;
        sim_seed_unit(s, SIM_SEED_TESLA_ID, &a);
        sim_seed_unit(s, SIM_SEED_I3_ID, &b);
        uint64_t sum = (uint64_t)a.actual_ca + b.actual_ca;
        max_sum = sum > max_sum ? sum : max_sum;
        if (!counting) {
            if (t >= cfg.i3_full_ms && b.actual_ca < 100) {
                counting = true;
                from = t;
            }
            continue;
        }
        if (lim39_at == UINT64_MAX && a.limit_ca >= 3900) {
            lim39_at = t;
        }
        for (int k = 0; k < 2; k++) {
            if (lim_at[k] == UINT64_MAX && a.limit_ca >= lim_ca[k]) {
                lim_at[k] = t;
            }
            if (act_at[k] == UINT64_MAX && a.actual_ca >= act_ca[k]) {
                act_at[k] = t;
            }
        }
    }
    sim_seed_free(s);
    char c[5][24];
    cell(c[0], sizeof(c[0]), lim_at[0], from);
    cell(c[1], sizeof(c[1]), act_at[0], from);
    cell(c[2], sizeof(c[2]), lim_at[1], from);
    cell(c[3], sizeof(c[3]), act_at[1], from);
    cell(c[4], sizeof(c[4]), lim39_at, from);
    printf("| %s | %s | %s | %s | %s | %s | %.2f A |\n", r->name, c[0], c[1], c[2], c[3], c[4],
           (double)max_sum / 100.0);
    return 0;
}

static int table(const char *title, const struct sim_seed_cfg *cfg, bool from_full)
{
    printf("%s\n\n", title);
    printf("| | offered >= 34 A | draws >= 33 A | offered 40 A | draws >= 39 A | offered >= 39 A "
           "| most drawn |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (run(&rows[i], cfg, from_full) != 0) {
            return 1;
        }
    }
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    log_set_sink(NULL, NULL, LOG_LEVEL_WARN); /* the simulated gateway's journal is not a figure */
    long dur = argc > 1 ? strtol(argv[1], NULL, 10) : 150;
    if (dur < 10 || dur > 3600) {
        fprintf(stderr, "usage: bench_reclaim [DURATION_S: 10..3600]\n");
        return 2;
    }
    struct sim_seed_cfg cfg;
    sim_seed_cfg_default(&cfg);
    cfg.duration_ms = (uint64_t)dur * 1000;
    int rc = table("The seed (Tesla beside an idle i3, 40 A, no overcommit), from the start:", &cfg,
                   false);
    cfg.overcommit_ma = 6000;
    rc = rc ? rc
            : table(
                  "The seed with 6 A of overcommit (ampshare: the i3 kept at 6 A), from the start:",
                  &cfg, false);
    cfg.overcommit_ma = 0;
    cfg.i3_full_ms = 120000;
    cfg.duration_ms = (uint64_t)dur * 1000 + 120000;
    rc = rc ? rc
            : table("--i3-full-s 120 (the i3 charges, then is full), from its draw falling idle:",
                    &cfg, true);
    return rc;
}
