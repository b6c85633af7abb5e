/* SPDX-License-Identifier: MIT */
/*
 * `ampshare sim meter`: a simulated Modbus energy meter a person (or a test) can read with any
 * Modbus client, over TCP or on a pty (RTU). Runs until SIGINT or SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_maps.h"
#include "drivers/transport/tp_addr.h"
#include "sim/sim_mbsrv.h"
#include "sim/sim_meter.h"

#define SIM_METER_SETS_MAX 24

static void sim_meter_usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sim meter --map NAME --listen ADDR [--unit N]\n"
            "                          [--current-a L1,L2,L3] [--voltage-v L1,L2,L3]\n"
            "                          [--energy-kwh KWH] [--set KEY=VALUE]...\n"
            "\n"
            "Serves a simulated energy meter with the registers of a meter map (the same table\n"
            "'ampshare meter read' decodes with) until SIGINT or SIGTERM.\n"
            "  --map NAME          a map from 'ampshare meter maps', or generic with --set\n"
            "  --listen ADDR       HOST:PORT or tcp://HOST:PORT (Modbus TCP; port 0 picks a free\n"
            "                      port), or pty:/PATH (Modbus RTU on a new pty linked at PATH;\n"
            "                      clients open serial:/PATH)\n"
            "  --unit N            unit id to answer as (default 1)\n"
            "  --current-a I1,I2,I3  per-phase currents in A, negative = export (default 0)\n"
            "  --voltage-v V1,V2,V3  per-phase voltages in V (default 230)\n"
            "  --energy-kwh KWH    import energy counter (default 0)\n"
            "Power is V x I per phase (power factor 1). Once serving, one line goes to stdout:\n"
            "  listening on ADDR; clients use CLIENT_ADDR\n");
}

/*
 * Parses a decimal like "-12.5" into an integer scaled by 10^decimals (no floats). Refuses more
 * digits after the point than decimals.
 */
static bool parse_fixed(const char *s, int decimals, int64_t lim, int64_t *out)
{
    bool neg = *s == '-';
    if (neg || *s == '+') {
        s++;
    }
    int64_t v = 0;
    int frac = -1;
    bool digits = false;
    for (; *s; s++) {
        if (*s == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || frac >= decimals) {
            return false;
        }
        v = v * 10 + (*s - '0');
        digits = true;
        if (frac >= 0) {
            frac++;
        }
        if (v > lim * 1000) {
            return false;
        }
    }
    for (int f = frac < 0 ? 0 : frac; f < decimals; f++) {
        v *= 10;
    }
    if (!digits || v > lim) {
        return false;
    }
    *out = neg ? -v : v;
    return true;
}

/* "a,b,c" (or one value for all phases) into three scaled values. */
static bool parse_triplet(const char *s, int decimals, int64_t lim, int32_t out[3])
{
    char buf[96];
    if (strlen(s) >= sizeof(buf)) {
        return false;
    }
    snprintf(buf, sizeof(buf), "%s", s);
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int64_t v;
        if (n >= 3 || !parse_fixed(t, decimals, lim, &v)) {
            return false;
        }
        out[n++] = (int32_t)v;
    }
    if (n == 1) {
        out[1] = out[2] = out[0];
        return true;
    }
    return n == 3;
}

struct sim_args {
    const char *map, *listen;
    long unit;
    int32_t current_ma[3], voltage_dv[3];
    int64_t import_wh;
    const char *set[SIM_METER_SETS_MAX];
    size_t n_set;
};

static int parse_sim_args(int argc, char **argv, struct sim_args *a)
{
    memset(a, 0, sizeof(*a));
    a->unit = 1;
    for (int p = 0; p < 3; p++) {
        a->voltage_dv[p] = 2300;
    }
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *v = NULL;
        int64_t x = 0;
        bool ok = true;
        if ((v = cmd_opt_value(argc, argv, &i, "--map"))) {
            a->map = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--listen"))) {
            a->listen = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--unit"))) {
            ok = parse_fixed(v, 0, 255, &x);
            a->unit = (long)x;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--current-a"))) {
            ok = parse_triplet(v, 3, 2000000, a->current_ma);
        } else if ((v = cmd_opt_value(argc, argv, &i, "--voltage-v"))) {
            ok = parse_triplet(v, 1, 10000, a->voltage_dv);
        } else if ((v = cmd_opt_value(argc, argv, &i, "--energy-kwh"))) {
            ok = parse_fixed(v, 3, INT64_C(1000000000000), &a->import_wh) && a->import_wh >= 0;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--set"))) {
            ok = a->n_set < SIM_METER_SETS_MAX && strchr(v, '=');
            if (ok) {
                a->set[a->n_set++] = v;
            }
        } else {
            fprintf(stderr, "ampshare sim meter: unknown or incomplete option '%s'\n", argv[i]);
            sim_meter_usage(stderr);
            return CMD_EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "ampshare sim meter: %s: bad value '%s'\n", opt, v);
            return CMD_EXIT_USAGE;
        }
    }
    if (!a->map || !a->listen) {
        fprintf(stderr, "ampshare sim meter: --map and --listen are required\n");
        sim_meter_usage(stderr);
        return CMD_EXIT_USAGE;
    }
    return CMD_EXIT_OK;
}

static int
resolve_map(const struct sim_args *a, struct mb_map_custom *custom, const struct mb_map **out)
{
    if (strcmp(a->map, "generic") != 0) {
        *out = mb_map_find(a->map);
        if (!*out) {
            fprintf(stderr,
                    "ampshare sim meter: unknown map '%s'; 'ampshare meter maps' lists them\n",
                    a->map);
            return CMD_EXIT_USAGE;
        }
        return CMD_EXIT_OK;
    }
    int ex = cmd_generic_map("ampshare sim meter", a->set, a->n_set, custom);
    if (ex != CMD_EXIT_OK) {
        return ex;
    }
    *out = &custom->map;
    return CMD_EXIT_OK;
}

int cmd_sim_meter(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        sim_meter_usage(stdout);
        return CMD_EXIT_OK;
    }
    struct sim_args a;
    int ex = parse_sim_args(argc, argv, &a);
    if (ex != CMD_EXIT_OK) {
        return ex;
    }
    struct mb_map_custom custom;
    const struct mb_map *map;
    ex = resolve_map(&a, &custom, &map);
    if (ex != CMD_EXIT_OK) {
        return ex;
    }
    char err[300];
    struct tp_addr addr;
    if (cmd_parse_listen(a.listen, &addr, err, sizeof(err)) != 0) {
        fprintf(stderr, "ampshare sim meter: --listen: %s\n", err);
        return CMD_EXIT_USAGE;
    }
    if (addr.kind == TP_ADDR_PTY && (a.unit < 1 || a.unit > 247)) {
        fprintf(stderr, "ampshare sim meter: --unit %ld: a serial line has unit ids 1-247\n",
                a.unit);
        return CMD_EXIT_USAGE;
    }

    sigset_t stop;
    cmd_block_stop_signals(&stop);

    struct sim_mbsrv *srv = NULL;
    struct sim_meter *meter = NULL;
    int rc = sim_mbsrv_new(&addr, &srv, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "ampshare sim meter: %s\n", err);
        return CMD_EXIT_FAIL;
    }
    rc = sim_meter_new(srv, (uint8_t)a.unit, map, &meter);
    if (rc == 0) {
        rc = sim_meter_set_voltages(meter, a.voltage_dv);
    }
    if (rc == 0) {
        rc = sim_meter_set_currents(meter, a.current_ma);
    }
    if (rc == 0) {
        rc = sim_meter_set_import_wh(meter, a.import_wh);
    }
    if (rc == 0) {
        rc = sim_mbsrv_start(srv);
    }
    if (rc < 0) {
        fprintf(stderr, "ampshare sim meter: map %s: %s\n", map->name, amp_strerror(rc));
        sim_meter_free(meter);
        sim_mbsrv_free(srv);
        return CMD_EXIT_FAIL;
    }
    cmd_print_listening(&addr, sim_mbsrv_client_addr(srv));
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    sim_meter_free(meter);
    sim_mbsrv_free(srv);
    return CMD_EXIT_OK;
}
