/* SPDX-License-Identifier: MIT */
/*
 * `ampshare sim replay FILE --limit-kw KW ...`: real charging sessions replayed under acnportal's
 * model with the ACN reference algorithms (sim/fleet/replay.c), one policy, several side by side,
 * or a sweep over capacities; a table, or one JSON document (docs/scenarios.md names every key).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_table.h"
#include "sim/fleet/fleet_json.h"
#include "sim/fleet/fleet_svg.h"
#include "sim/fleet/replay.h"
#include "sim/fleet/replay_abi.h"

#define MAX_LIST 32

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ampshare sim replay FILE --limit-kw KW [--network single|caltech3]\n"
        "         [--period-s 300] [--voltage 208] [--policy P | --compare P1,P2,...]\n"
        "         [--sweep KW1,KW2,...] [--json] [--csv FILE] [--svg FILE]\n\n"
        "Replays real sessions (the Caltech acnportal JSON, gzipped or not, its CSV twin, or\n"
        "the workplace CSV) in periods of --period-s seconds under acnportal 0.3.3's model:\n"
        "ideal batteries, continuous 0-32 A pilots, a schedule every period.\n\n"
        "  --limit-kw KW     capacity: single = one aggregate limit of KW*1000/V A;\n"
        "                    caltech3 = the Caltech transformer and pods scaled to KW\n"
        "  --network N       single (default) or caltech3 (54 EVSEs, 8 constraints)\n"
        "  --policy P        acn_uncontrolled, acn_fcfs, acn_edf, acn_llf, acn_rr (acnportal's\n"
        "                    algorithms), or on single any ampshare policy (edf, llf,\n"
        "                    equal_share, ... or a .so) through the ABI and the clamp\n"
        "  --compare LIST    several, side by side (default: all five)\n"
        "  --sweep LIST      capacities in kW, each run with every policy\n"
        "  --json            one JSON document on stdout instead of the table\n"
        "  --csv FILE        per-period series: every station's current, each run\n"
        "  --svg FILE        a chart: current per charger, stacked, the limit drawn, one panel\n"
        "                    per run (each bucket the mean of the periods it spans)\n");
}

static int split_list(char *s, char **out, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == max) {
            return -1;
        }
        out[n++] = tok;
    }
    return (int)n;
}

static bool parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0' && isfinite(*v);
}

struct run {
    enum acn_algo algo;
    const char *name; /* the policy as given */
    double limit_kw;
    struct replay_result res;
};

#define SVG_BUCKETS 800

/* What a run's per-period callback writes to: the CSV rows and the chart's buckets. */
struct series {
    FILE *csv;
    const char *policy;
    double limit_kw, period_s, voltage;
    int64_t first, end;
    size_t n_bucket;
    double *sum;   /* [n_bucket][n_station] */
    double *count; /* [n_bucket] */
    size_t n_station;
};

static void on_period(void *ctx, int64_t t, const double *amps, size_t n)
{
    struct series *s = ctx;
    if (s->csv) {
        double tot = 0;
        for (size_t i = 0; i < n; i++) {
            tot += amps[i];
        }
        fprintf(s->csv, "%s,%g,%lld,%.0f,%.6f,%.6f", s->policy, s->limit_kw, (long long)t,
                (double)t * s->period_s, tot, tot * s->voltage / 1000);
        for (size_t i = 0; i < n; i++) {
            fprintf(s->csv, ",%.4f", amps[i]);
        }
        fputc('\n', s->csv);
    }
    if (s->sum && t >= s->first && t < s->end) {
        size_t b = (size_t)((t - s->first) * (int64_t)s->n_bucket / (s->end - s->first));
        for (size_t i = 0; i < n; i++) {
            s->sum[b * n + i] += amps[i];
        }
    }
}

/* One chart panel from a run's buckets: the stations that had a car, their mean current per
 * bucket; the limit drawn (single: the aggregate limit; caltech3: its transformer capacity as an
 * aggregate current, the constraints themselves being phasor line currents). */
static int add_panel(struct fleet_panel *p,
                     const struct series *ser,
                     const struct replay_net *rn,
                     const struct replay_data *d,
                     const char *network,
                     const struct run *r)
{
    bool *used = calloc(rn->n_station + 1, sizeof(bool));
    size_t n = 0;
    for (size_t k = 0; used && k < d->n; k++) {
        n += !used[rn->sess_station[k]];
        used[rn->sess_station[k]] = true;
    }
    char(*name)[32] = calloc(n + 1, sizeof(*name));
    double *val = calloc(ser->n_bucket * n + 1, sizeof(double));
    if (!used || !name || !val) {
        free(used);
        free(name);
        free(val);
        return -ENOMEM;
    }
    double per_bucket = (double)(ser->end - ser->first) / (double)ser->n_bucket;
    size_t j = 0;
    for (size_t i = 0; i < rn->n_station; i++) {
        if (!used[i]) {
            continue;
        }
        snprintf(name[j], sizeof(name[j]), "%s", rn->station[i]);
        for (size_t b = 0; b < ser->n_bucket; b++) {
            val[b * n + j] = ser->sum[b * rn->n_station + i] / per_bucket;
        }
        j++;
    }
    free(used);
    *p = (struct fleet_panel){.n_series = n,
                              .name = name,
                              .n_bucket = ser->n_bucket,
                              .val = val,
                              .t0_s = (double)ser->first * ser->period_s,
                              .t1_s = (double)ser->end * ser->period_s,
                              .n_limit = 1};
    snprintf(p->title, sizeof(p->title),
             "%s, %g kW on %s: %.2f %% of the energy delivered, peak %.2f kW", r->name, r->limit_kw,
             network, r->res.delivered_pct, r->res.peak_kw);
    p->limit_a[0] = r->limit_kw * 1000 / ser->voltage;
    snprintf(p->limit_label[0], sizeof(p->limit_label[0]), "%s %g kW = %.1f A",
             strcmp(network, "single") == 0 ? "limit" : "transformer", r->limit_kw, p->limit_a[0]);
    return 0;
}

static int write_svg(const char *path, const char *file, const struct fleet_panel *p, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "ampshare sim replay: --svg %s: %s\n", path, strerror(errno));
        return CMD_EXIT_FAIL;
    }
    const char *base = strrchr(file, '/');
    char title[256];
    snprintf(title, sizeof(title), "Current per charger (stacked, mean per bucket): %s",
             base ? base + 1 : file);
    int rc = fleet_svg_write(f, title, p, n);
    if (fclose(f) != 0 || rc != 0) {
        fprintf(stderr, "ampshare sim replay: --svg %s: write failed\n", path);
        return CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}

static json_t *
result_json(const struct run *r, const struct replay_net *rn, const struct replay_data *d)
{
    const struct replay_result *x = &r->res;
    struct fleet_charger_result *ch = calloc(rn->n_station + 1, sizeof(*ch));
    bool *used = calloc(rn->n_station + 1, sizeof(bool));
    size_t n = 0;
    for (size_t k = 0; used && k < d->n; k++) {
        used[rn->sess_station[k]] = true;
    }
    for (size_t i = 0; ch && used && i < rn->n_station; i++) {
        if (used[i]) {
            snprintf(ch[n].name, sizeof(ch[n].name), "%s", rn->station[i]);
            ch[n].energy_kwh = x->station_kwh[i];
            ch[n].mean_a = x->station_mean_a[i];
            ch[n].max_a = x->station_max_a[i];
            ch[n].mean_a_others_idle = x->station_oi_mean_a ? x->station_oi_mean_a[i] : NAN;
            n++;
        }
    }
    /* the ACN model offers nothing to a car that is full: no capacity idles behind one, and no
     * idle car ever holds current to reclaim */
    struct fleet_json_row row = {.policy = r->name,
                                 .limit_kw = r->limit_kw,
                                 .requested_kwh = x->requested_kwh,
                                 .delivered_kwh = x->delivered_kwh,
                                 .delivered_pct = x->delivered_pct,
                                 .sessions = x->sessions,
                                 .served = x->served,
                                 .unfinished = x->unfinished,
                                 .peak_kw = x->peak_kw,
                                 .over_limit_s = x->over_limit_s,
                                 .over_limit_as = x->over_limit_as,
                                 .idle_waste_ah = 0,
                                 .jain = x->jain,
                                 .reclaim_s = NAN,
                                 .run_s = x->run_s,
                                 .charger = ch,
                                 .n_charger = n};
    json_t *o = fleet_json_row(&row);
    free(ch);
    free(used);
    return o;
}

static const char *run_name(const void *col)
{
    return ((const struct run *)col)->name;
}

#define RES(f) (offsetof(struct run, res) + offsetof(struct replay_result, f))
static const struct cmd_table_row replay_rows[] = {
    CMD_TABLE_NUM("limit", "kW", 3, offsetof(struct run, limit_kw)),
    CMD_TABLE_NUM("requested", "kWh", 3, RES(requested_kwh)),
    CMD_TABLE_NUM("delivered", "kWh", 3, RES(delivered_kwh)),
    CMD_TABLE_NUM("delivered", "%", 6, RES(delivered_pct)),
    CMD_TABLE_COUNT("sessions", NULL, RES(sessions)),
    CMD_TABLE_COUNT("served", "<0.1 kWh left", RES(served)),
    CMD_TABLE_COUNT("unfinished", NULL, RES(unfinished)),
    CMD_TABLE_NUM("peak", "kW", 6, RES(peak_kw)),
    CMD_TABLE_NUM("peak", "A", 3, RES(peak_a)),
    CMD_TABLE_NUM("over limit", "s", 0, RES(over_limit_s)),
    CMD_TABLE_NUM("over limit", "A s", 1, RES(over_limit_as)),
    CMD_TABLE_SCALED("time to full mean", "h", 3, RES(mean_time_to_full_s), 3600),
    CMD_TABLE_SCALED("time to full p95", "h", 3, RES(p95_time_to_full_s), 3600),
    CMD_TABLE_NUM("Jain's fairness", NULL, 6, RES(jain)),
    CMD_TABLE_NUM("run", "CPU s", 4, RES(run_s)),
};
#undef RES

static void print_table(const struct run *runs, size_t n, const char *network)
{
    const struct cmd_table t = {
        .out = stdout, .label_width = 24, .col = runs, .stride = sizeof(*runs), .n_col = n};
    cmd_table_head(&t, network, run_name);
    cmd_table_rows(&t, replay_rows, sizeof(replay_rows) / sizeof(replay_rows[0]));
}

int cmd_sim_replay(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    const char *file = NULL, *network = "single";
    double limit_kw = NAN, period_s = 300, voltage = 208;
    char *policies[MAX_LIST];
    int n_pol = 0;
    double sweep[MAX_LIST];
    int n_sweep = 0;
    bool json = false;
    const char *csv_path = NULL, *svg_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = strcmp(a, "--limit-kw") == 0 || strcmp(a, "--network") == 0 ||
                     strcmp(a, "--period-s") == 0 || strcmp(a, "--voltage") == 0 ||
                     strcmp(a, "--policy") == 0 || strcmp(a, "--compare") == 0 ||
                     strcmp(a, "--sweep") == 0 || strcmp(a, "--csv") == 0 ||
                     strcmp(a, "--svg") == 0;
        if (takes && !v) {
            fprintf(stderr, "ampshare sim replay: %s needs a value\n", a);
            return CMD_EXIT_USAGE;
        }
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--csv") == 0) {
            csv_path = argv[++i];
        } else if (strcmp(a, "--svg") == 0) {
            svg_path = argv[++i];
        } else if (strcmp(a, "--limit-kw") == 0) {
            if (!parse_num(v, &limit_kw) || limit_kw <= 0) {
                fprintf(stderr, "ampshare sim replay: --limit-kw '%s': want a number above 0\n", v);
                return CMD_EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--network") == 0) {
            network = v;
            i++;
        } else if (strcmp(a, "--period-s") == 0 || strcmp(a, "--voltage") == 0) {
            double *dst = a[2] == 'p' ? &period_s : &voltage;
            if (!parse_num(v, dst) || *dst <= 0) {
                fprintf(stderr, "ampshare sim replay: %s '%s': want a number above 0\n", a, v);
                return CMD_EXIT_USAGE;
            }
            i++;
        } else if (strcmp(a, "--policy") == 0 || strcmp(a, "--compare") == 0) {
            if (n_pol > 0) {
                fprintf(stderr, "ampshare sim replay: give --policy or --compare once\n");
                return CMD_EXIT_USAGE;
            }
            n_pol = split_list(argv[++i], policies, a[2] == 'p' ? 1 : MAX_LIST);
            if (n_pol <= 0) {
                fprintf(stderr, "ampshare sim replay: %s '%s': bad list\n", a, v);
                return CMD_EXIT_USAGE;
            }
        } else if (strcmp(a, "--sweep") == 0) {
            char *kw[MAX_LIST];
            n_sweep = split_list(argv[++i], kw, MAX_LIST);
            for (int k = 0; k < n_sweep; k++) {
                if (!parse_num(kw[k], &sweep[k]) || sweep[k] <= 0) {
                    fprintf(stderr, "ampshare sim replay: --sweep '%s': want kW above 0\n", kw[k]);
                    return CMD_EXIT_USAGE;
                }
            }
            if (n_sweep <= 0) {
                fprintf(stderr, "ampshare sim replay: --sweep: bad list\n");
                return CMD_EXIT_USAGE;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "ampshare sim replay: unknown option '%s'\n", a);
            usage(stderr);
            return CMD_EXIT_USAGE;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "ampshare sim replay: one FILE only ('%s')\n", a);
            return CMD_EXIT_USAGE;
        }
    }
    if (!file || (isnan(limit_kw) && n_sweep == 0)) {
        fprintf(stderr, "ampshare sim replay: need FILE and --limit-kw (or --sweep)\n");
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    enum replay_network kind;
    if (strcmp(network, "single") == 0) {
        kind = REPLAY_NET_SINGLE;
    } else if (strcmp(network, "caltech3") == 0) {
        kind = REPLAY_NET_CALTECH3;
    } else {
        fprintf(stderr, "ampshare sim replay: --network '%s': want single or caltech3\n", network);
        return CMD_EXIT_USAGE;
    }
    enum acn_algo algos[MAX_LIST];
    static char *all[] = {"acn_uncontrolled", "acn_fcfs", "acn_edf", "acn_llf", "acn_rr"};
    if (n_pol == 0) {
        n_pol = 5;
        memcpy(policies, all, sizeof(all));
    }
    bool is_abi[MAX_LIST];
    for (int k = 0; k < n_pol; k++) {
        is_abi[k] = replay_algo_parse(policies[k], &algos[k]) != 0;
        if (is_abi[k] && kind != REPLAY_NET_SINGLE) {
            fprintf(stderr,
                    "ampshare sim replay: policy '%s': ampshare's policies replay on --network "
                    "single only (the policy ABI's circuit tree has no phasor constraints); on "
                    "caltech3 use acn_uncontrolled, acn_fcfs, acn_edf, acn_llf or acn_rr\n",
                    policies[k]);
            return CMD_EXIT_USAGE;
        }
    }
    if (n_sweep == 0) {
        sweep[0] = limit_kw;
        n_sweep = 1;
    }
    char err[512] = "";
    struct replay_data d;
    if (replay_load(file, &d, err, sizeof(err)) != 0) {
        fprintf(stderr, "ampshare sim replay: %s\n", err);
        return CMD_EXIT_FAIL;
    }
    size_t n_runs = (size_t)n_pol * (size_t)n_sweep;
    struct run *runs = calloc(n_runs, sizeof(*runs));
    struct replay_net rn = {0};
    int rc = CMD_EXIT_OK;
    json_t *results = json_array();
    bool tty = isatty(STDERR_FILENO);
    struct series ser = {.period_s = period_s, .voltage = voltage};
    replay_span(&d, (int64_t)period_s, &ser.first, &ser.end);
    struct fleet_panel *panels = svg_path ? calloc(n_runs, sizeof(*panels)) : NULL;
    size_t n_panels = 0;
    if (csv_path && !(ser.csv = fopen(csv_path, "w"))) {
        fprintf(stderr, "ampshare sim replay: --csv %s: %s\n", csv_path, strerror(errno));
        rc = CMD_EXIT_FAIL;
    }
    if (svg_path && !panels) {
        rc = CMD_EXIT_FAIL;
    }
    for (int s = 0; s < n_sweep && rc == CMD_EXIT_OK && runs; s++) {
        if (replay_net_build(&rn, kind, sweep[s], voltage, (int64_t)period_s, &d, err,
                             sizeof(err)) != 0) {
            fprintf(stderr, "ampshare sim replay: %s: %s\n", file, err);
            rc = CMD_EXIT_FAIL;
            break;
        }
        for (int k = 0; k < n_pol; k++) {
            struct run *r = &runs[(size_t)s * (size_t)n_pol + (size_t)k];
            r->algo = algos[k];
            r->name = policies[k];
            r->limit_kw = sweep[s];
            struct replay_cfg cfg = {.algo = algos[k], .period_s = period_s};
            struct replay_abi *abi = NULL;
            if (is_abi[k]) {
                if (replay_abi_new(policies[k], rn.n_station, rn.limit[0], voltage, &abi, err,
                                   sizeof(err)) != 0) {
                    fprintf(stderr, "ampshare sim replay: %s\n", err);
                    rc = CMD_EXIT_FAIL;
                    break;
                }
                cfg.abi = abi;
            }
            if (ser.csv && s == 0 && k == 0) {
                fprintf(ser.csv, "policy,limit_kw,period,t_s,total_a,total_kw");
                for (size_t i = 0; i < rn.n_station; i++) {
                    fprintf(ser.csv, ",%s", rn.station[i]);
                }
                fputc('\n', ser.csv);
            }
            ser.policy = policies[k];
            ser.limit_kw = sweep[s];
            ser.n_station = rn.n_station;
            ser.n_bucket = 0;
            if (panels) {
                int64_t span = ser.end - ser.first;
                ser.n_bucket = span < SVG_BUCKETS ? (size_t)span : SVG_BUCKETS;
                ser.sum = calloc(ser.n_bucket * rn.n_station + 1, sizeof(double));
            }
            if (ser.csv || ser.sum) {
                cfg.on_period = on_period;
                cfg.ctx = &ser;
            }
            if (tty && n_runs > 1) {
                size_t done = (size_t)s * (size_t)n_pol + (size_t)k;
                fprintf(stderr, "\r[%-30.*s] %zu/%zu %s %g kW   ", (int)(30 * done / n_runs),
                        "##############################", done, n_runs, policies[k], sweep[s]);
            }
            int rr = replay_run(&d, &rn, &cfg, &r->res, err, sizeof(err));
            replay_abi_free(abi);
            if (rr != 0) {
                fprintf(stderr, "ampshare sim replay: %s: %s\n", file, err);
                rc = CMD_EXIT_FAIL;
                break;
            }
            if (json) {
                json_array_append_new(results, result_json(r, &rn, &d));
            }
            if (ser.sum && add_panel(&panels[n_panels], &ser, &rn, &d, network, r) == 0) {
                n_panels++;
            }
            free(ser.sum);
            ser.sum = NULL;
        }
        if (rc == CMD_EXIT_OK && !json) {
            print_table(runs + (size_t)s * (size_t)n_pol, (size_t)n_pol, network);
            if (s + 1 < n_sweep) {
                printf("\n");
            }
        }
        replay_net_free(&rn);
    }
    if (ser.csv && fclose(ser.csv) != 0 && rc == CMD_EXIT_OK) {
        fprintf(stderr, "ampshare sim replay: --csv %s: %s\n", csv_path, strerror(errno));
        rc = CMD_EXIT_FAIL;
    }
    if (panels && rc == CMD_EXIT_OK) {
        rc = write_svg(svg_path, file, panels, n_panels);
    }
    for (size_t i = 0; i < n_panels; i++) {
        free(panels[i].name);
        free(panels[i].val);
    }
    free(panels);
    if (tty && n_runs > 1) {
        fprintf(stderr, "\r%60s\r", "");
    }
    if (!runs) {
        fprintf(stderr, "ampshare sim replay: out of memory\n");
        rc = CMD_EXIT_FAIL;
    }
    if (rc == CMD_EXIT_OK && json) {
        const char *base = strrchr(file, '/');
        json_t *doc = fleet_json_doc(base ? base + 1 : file, 0, "replay", results);
        fleet_json_print(doc);
        json_decref(doc);
    }
    json_decref(results);
    for (size_t i = 0; runs && i < n_runs; i++) {
        replay_result_free(&runs[i].res);
    }
    free(runs);
    replay_data_free(&d);
    return rc;
}
