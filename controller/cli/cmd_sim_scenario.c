/* SPDX-License-Identifier: MIT */
/*
 * `ampshare sim SCENARIO.ini [--policy P | --compare P1,P2,...] [--fast] [--json] [--csv FILE]
 * [--svg FILE]`: a fleet scenario (docs/scenarios.md) under one policy or several side by side.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_table.h"
#include "controller/cli/cmd_util.h"
#include "sim/fleet/fleet.h"
#include "sim/fleet/fleet_json.h"
#include "sim/fleet/fleet_svg.h"

#define MAX_POL     16
#define SVG_BUCKETS 800

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sim SCENARIO.ini [--fast] [--policy P | --compare P1,P2,...]\n"
            "                    [--json] [--csv FILE] [--svg FILE] [--realtime]\n"
            "                    [--modbus-loopback]\n\n"
            "Runs a fleet scenario (docs/scenarios.md): the site file it names, its cars and\n"
            "arrivals, under each policy (a built-in name or a .so path), on a virtual clock.\n"
            "By default in wire mode: simulated Wall Connectors answer ampshare's real master\n"
            "with real bytes, simulated meters and Modbus EVSEs serve their real registers to\n"
            "ampshare's own Modbus adapter (in memory), and the site's control loop sets every\n"
            "limit.\n\n"
            "  --fast            the allocation engine and policy on the fleet model, no bytes\n"
            "                    (any site: meters, third-party EVSEs, building loads)\n"
            "  --policy P        one policy (default: the site file's [policy] name)\n"
            "  --compare LIST    several, side by side\n"
            "  --json            one JSON document on stdout instead of the table\n"
            "  --csv FILE        per-tick series: every charger's current per phase\n"
            "  --svg FILE        a chart: current per charger, stacked, the supply limit drawn,\n"
            "                    one panel per policy\n"
            "  --realtime        for demos: the virtual clock keeps to the wall clock (one\n"
            "                    simulated second a second); Ctrl-C stops the run\n"
            "  --modbus-loopback wire mode: the simulated meters and Modbus EVSEs are libmodbus\n"
            "                    TCP servers on 127.0.0.1 and ampshare's pollers are the\n"
            "                    daemon's threads; the run keeps to the wall clock\n");
}

struct tick_out {
    FILE *csv;
    const char *policy;
    const struct site *site;
    uint64_t duration_ms;
    size_t n_bucket;
    double *sum; /* [n_bucket][n_evse] A */
    double *cnt; /* [n_bucket] */
};

static void on_tick(void *ctx, uint64_t now, const int32_t (*ma)[3], size_t n)
{
    struct tick_out *o = ctx;
    if (o->csv) {
        fprintf(o->csv, "%s,%.3f", o->policy, (double)now / 1000);
        for (size_t e = 0; e < n; e++) {
            fprintf(o->csv, ",%.3f,%.3f,%.3f", ma[e][0] / 1000.0, ma[e][1] / 1000.0,
                    ma[e][2] / 1000.0);
        }
        fputc('\n', o->csv);
    }
    if (o->sum) {
        size_t b = (size_t)(now * o->n_bucket / o->duration_ms);
        for (size_t e = 0; e < n; e++) {
            o->sum[b * n + e] += (ma[e][0] + ma[e][1] + ma[e][2]) / 1000.0;
        }
        o->cnt[b] += 1;
    }
}

static const char *result_policy(const void *col)
{
    return ((const struct fleet_result *)col)->policy;
}

/* never (NAN) shows as -1 */
static double reclaim_s(const void *col, size_t arg)
{
    (void)arg;
    double s = ((const struct fleet_result *)col)->reclaim_s;
    return isnan(s) ? -1.0 : s;
}

static double peak_a(const void *col, size_t k)
{
    return ((const struct fleet_result *)col)->peak_ma[k] / 1000.0;
}

static void charger_mean_max(const void *col, size_t e, char *buf, size_t cap)
{
    const struct fleet_charger_result *c = &((const struct fleet_result *)col)->charger[e];
    snprintf(buf, cap, "%.1f / %.1f", c->mean_a, c->max_a);
}

#define RES(f) offsetof(struct fleet_result, f)
static const struct cmd_table_row scenario_rows[] = {
    CMD_TABLE_NUM("requested", "kWh", 3, RES(requested_kwh)),
    CMD_TABLE_NUM("delivered", "kWh", 3, RES(delivered_kwh)),
    CMD_TABLE_NUM("delivered", "%", 3, RES(delivered_pct)),
    CMD_TABLE_COUNT("sessions", NULL, RES(sessions)),
    CMD_TABLE_COUNT("served", NULL, RES(served)),
    CMD_TABLE_COUNT("unfinished", NULL, RES(unfinished)),
    CMD_TABLE_SCALED("time to full mean", "min", 1, RES(mean_time_to_full_s), 60),
    CMD_TABLE_SCALED("time to full p95", "min", 1, RES(p95_time_to_full_s), 60),
    CMD_TABLE_NUM("peak", "kW", 3, RES(peak_kw)),
    CMD_TABLE_NUM("over a limit", "s", 0, RES(over_limit_s)),
    CMD_TABLE_NUM("over a limit", "A s", 1, RES(over_limit_as)),
    CMD_TABLE_NUM("largest excess", "A", 2, RES(max_over_a)),
    CMD_TABLE_NUM("idle capacity wasted", "Ah", 3, RES(idle_waste_ah)),
    CMD_TABLE_NUM("Jain's fairness", NULL, 4, RES(jain)),
    {.label = "reclaim", .unit = "s", .decimals = 0, .value = reclaim_s},
    CMD_TABLE_NUM("run", "CPU s", 4, RES(run_s)),
};
#undef RES

static void print_table(const struct fleet_result *r, size_t n, const struct site *site)
{
    const struct cmd_table t = {
        .out = stdout, .label_width = 26, .col = r, .stride = sizeof(*r), .n_col = n};
    cmd_table_head(&t, "", result_policy);
    cmd_table_rows(&t, scenario_rows, sizeof(scenario_rows) / sizeof(scenario_rows[0]));
    for (size_t c = 0; c < site->n_circuit; c++) {
        for (int p = 0; p < 3; p++) {
            if (site->circuit[c].rating_ma[p] <= 0) {
                continue;
            }
            char label[64];
            snprintf(label, sizeof(label), "peak %.14s L%d (A of %g)", site->circuit[c].name, p + 1,
                     site->circuit[c].rating_ma[p] / 1000.0);
            const struct cmd_table_row row = {
                .label = label, .decimals = 2, .value = peak_a, .arg = c * 3 + (size_t)p};
            cmd_table_rows(&t, &row, 1);
        }
    }
    for (size_t e = 0; e < site->n_evse; e++) {
        char label[64];
        snprintf(label, sizeof(label), "%.16s mean / max (A)", site->evse[e].name);
        const struct cmd_table_row row = {.label = label, .text = charger_mean_max, .arg = e};
        cmd_table_rows(&t, &row, 1);
    }
}

int cmd_sim_scenario(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    const char *file = argv[0], *csv_path = NULL, *svg_path = NULL;
    char pol_buf[2048] = "";
    bool json = false, fast = false, realtime = false, loopback = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool takes = !strcmp(a, "--policy") || !strcmp(a, "--compare") || !strcmp(a, "--csv") ||
                     !strcmp(a, "--svg");
        if (takes && i + 1 >= argc) {
            fprintf(stderr, "ampshare sim: %s needs a value\n", a);
            return CMD_EXIT_USAGE;
        }
        if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--fast")) {
            fast = true;
        } else if (!strcmp(a, "--realtime")) {
            realtime = true;
        } else if (!strcmp(a, "--modbus-loopback")) {
            loopback = true;
        } else if (!strcmp(a, "--policy") || !strcmp(a, "--compare")) {
            if (pol_buf[0] || (a[2] == 'p' && strchr(argv[i + 1], ','))) {
                fprintf(stderr, "ampshare sim: give one --policy or one --compare list\n");
                return CMD_EXIT_USAGE;
            }
            snprintf(pol_buf, sizeof(pol_buf), "%s", argv[++i]);
        } else if (!strcmp(a, "--csv")) {
            csv_path = argv[++i];
        } else if (!strcmp(a, "--svg")) {
            svg_path = argv[++i];
        } else {
            fprintf(stderr, "ampshare sim: unknown option '%s'\n", a);
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    if (fast && loopback) {
        fprintf(stderr, "ampshare sim: --modbus-loopback is for wire mode (fast mode has no "
                        "Modbus devices)\n");
        return CMD_EXIT_USAGE;
    }
    cmd_sim_quiet_log();
    struct cmd_realtime rt;
    struct fleet_pace pace = {.fn = cmd_realtime_pace, .ctx = &rt};
    if (realtime) {
        cmd_realtime_init(&rt); /* before any thread: Ctrl-C ends a wait, not the process */
    }
    char err[512] = "";
    struct fleet_scenario sc;
    if (fleet_scenario_load(file, &sc, err, sizeof(err)) != 0) {
        fprintf(stderr, "ampshare sim: %s\n", err);
        return CMD_EXIT_FAIL;
    }
    sc.modbus_loopback = loopback;
    char *pol[MAX_POL];
    size_t n_pol = 0;
    if (!pol_buf[0]) {
        snprintf(pol_buf, sizeof(pol_buf), "%s", sc.site->policy);
    }
    for (char *save = NULL, *t = strtok_r(pol_buf, ",", &save); t && n_pol < MAX_POL;
         t = strtok_r(NULL, ",", &save)) {
        pol[n_pol++] = t;
    }
    struct fleet_result *res = calloc(n_pol + 1, sizeof(*res));
    struct fleet_panel *panels = svg_path ? calloc(n_pol + 1, sizeof(*panels)) : NULL;
    size_t ne = sc.site->n_evse;
    struct tick_out to = {.site = sc.site, .duration_ms = sc.duration_ms};
    int rc = res && (!svg_path || panels) ? CMD_EXIT_OK : CMD_EXIT_FAIL;
    if (rc == CMD_EXIT_OK && csv_path) {
        if (!(to.csv = fopen(csv_path, "w"))) {
            fprintf(stderr, "ampshare sim: --csv %s: %s\n", csv_path, strerror(errno));
            rc = CMD_EXIT_FAIL;
        } else {
            fprintf(to.csv, "policy,t_s");
            for (size_t e = 0; e < ne; e++) {
                fprintf(to.csv, ",%s_l1,%s_l2,%s_l3", sc.site->evse[e].name, sc.site->evse[e].name,
                        sc.site->evse[e].name);
            }
            fputc('\n', to.csv);
        }
    }
    json_t *results = json_array();
    size_t done = 0;
    for (size_t i = 0; i < n_pol && rc == CMD_EXIT_OK; i++) {
        to.policy = pol[i];
        uint64_t ticks = sc.duration_ms / (sc.tick_ms ? sc.tick_ms : 1);
        to.n_bucket = panels ? (ticks < SVG_BUCKETS ? (size_t)ticks : SVG_BUCKETS) : 0;
        if (to.n_bucket == 0 && panels) {
            to.n_bucket = 1;
        }
        to.sum = panels ? calloc(to.n_bucket * ne + 1, sizeof(double)) : NULL;
        to.cnt = panels ? calloc(to.n_bucket + 1, sizeof(double)) : NULL;
        if (fleet_run_paced(&sc, pol[i], !fast, &res[i], to.csv || to.sum ? on_tick : NULL, &to,
                            realtime ? &pace : NULL, err, sizeof(err)) != 0) {
            bool stopped = realtime && rt.signo;
            fprintf(stderr, "ampshare sim: %s: policy %s: %s%s\n", file, pol[i], err,
                    stopped ? " (interrupted)" : "");
            rc = stopped ? 128 + rt.signo : CMD_EXIT_FAIL;
        } else {
            done++;
            const struct fleet_result *x = &res[i];
            struct fleet_json_row row = {.policy = pol[i],
                                         .limit_kw = NAN,
                                         .requested_kwh = x->requested_kwh,
                                         .delivered_kwh = x->delivered_kwh,
                                         .delivered_pct = x->delivered_pct,
                                         .sessions = x->sessions,
                                         .served = x->served,
                                         .unfinished = x->unfinished,
                                         .peak_kw = x->peak_kw,
                                         .over_limit_s = x->over_limit_s,
                                         .over_limit_as = x->over_limit_as,
                                         .idle_waste_ah = x->idle_waste_ah,
                                         .jain = x->jain,
                                         .reclaim_s = x->reclaim_s,
                                         .run_s = x->run_s,
                                         .charger = x->charger,
                                         .n_charger = x->n_charger};
            json_array_append_new(results, fleet_json_row(&row));
            if (panels && to.sum && to.cnt) {
                struct fleet_panel *p = &panels[i];
                p->n_series = ne;
                p->name = calloc(ne + 1, sizeof(*p->name));
                p->val = to.sum;
                to.sum = NULL;
                for (size_t e = 0; p->name && e < ne; e++) {
                    snprintf(p->name[e], sizeof(p->name[e]), "%.31s", sc.site->evse[e].name);
                }
                for (size_t b = 0; b < to.n_bucket; b++) {
                    for (size_t e = 0; e < ne; e++) {
                        p->val[b * ne + e] /= to.cnt[b] > 0 ? to.cnt[b] : 1;
                    }
                }
                p->n_bucket = to.n_bucket;
                p->t0_s = 0;
                p->t1_s = (double)sc.duration_ms / 1000;
                snprintf(p->title, sizeof(p->title),
                         "%.40s: %.1f %% delivered, %.0f s over a limit", pol[i], x->delivered_pct,
                         x->over_limit_s);
                /* the supply's rating, summed over its phases: the stack is the sum too */
                double lim = 0;
                for (int ph = 0; ph < 3; ph++) {
                    lim += sc.site->circuit[0].rating_ma[ph] / 1000.0;
                }
                p->n_limit = 1;
                p->limit_a[0] = lim;
                snprintf(p->limit_label[0], sizeof(p->limit_label[0]), "supply %.0f A", lim);
                for (size_t c = 1; c < sc.site->n_circuit && p->n_limit < FLEET_SVG_MAX_LIMITS;
                     c++) {
                    double cl = 0;
                    for (int ph = 0; ph < 3; ph++) {
                        cl += sc.site->circuit[c].rating_ma[ph] / 1000.0;
                    }
                    p->limit_a[p->n_limit] = cl;
                    snprintf(p->limit_label[p->n_limit], sizeof(p->limit_label[0]),
                             "circuit %.20s %.0f A", sc.site->circuit[c].name, cl);
                    p->n_limit++;
                }
            }
        }
        free(to.sum);
        free(to.cnt);
        to.sum = to.cnt = NULL;
    }
    if (to.csv && fclose(to.csv) != 0 && rc == CMD_EXIT_OK) {
        fprintf(stderr, "ampshare sim: --csv %s: write failed\n", csv_path);
        rc = CMD_EXIT_FAIL;
    }
    if (rc == CMD_EXIT_OK && panels) {
        FILE *f = fopen(svg_path, "w");
        char title[160];
        snprintf(title, sizeof(title), "Current per charger (stacked, all phases): %s, seed %llu",
                 sc.name, (unsigned long long)sc.seed);
        if (!f || fleet_svg_write(f, title, panels, n_pol) != 0 || fclose(f) != 0) {
            fprintf(stderr, "ampshare sim: --svg %s: write failed\n", svg_path);
            rc = CMD_EXIT_FAIL;
        }
    }
    if (rc == CMD_EXIT_OK) {
        if (json) {
            json_t *doc = fleet_json_doc(sc.name, sc.seed, fast ? "fast" : "wire", results);
            fleet_json_print(doc);
            json_decref(doc);
        } else {
            printf("scenario %s (seed %llu, %.0f s, %s mode)\n", sc.name,
                   (unsigned long long)sc.seed, (double)sc.duration_ms / 1000,
                   fast ? "fast" : "wire");
            print_table(res, n_pol, sc.site);
        }
    }
    json_decref(results);
    for (size_t i = 0; i < done; i++) {
        fleet_result_free(&res[i]);
    }
    for (size_t i = 0; panels && i < n_pol; i++) {
        free(panels[i].name);
        free(panels[i].val);
    }
    free(panels);
    free(res);
    fleet_scenario_free(&sc);
    return rc;
}
