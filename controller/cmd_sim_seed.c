/* SPDX-License-Identifier: MIT */
/* `ampshare sim seed`: the seed's 34 A of 40 A, then ampshare's master on the same bus. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cmd.h"
#include "controller/cmd_util.h"
#include "controller/twc_fmt.h"
#include "sim/sim_seed.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sim seed [--circuit-a N] [--duration-s N] [--master "
            "native|ampshare|both]\n"
            "\n"
            "The seed scenario (twc-gen2.md §7.3): a Tesla that wants 48 A and an idle BMW i3 on\n"
            "a J1772 adapter, each on a simulated Wall Connector slave (v2, 80 A), share a 40 A\n"
            "circuit. First under a simulated native master, which keeps about 6 A for every\n"
            "connected car, idle or not (the Tesla gets about 34 A); then under ampshare's own\n"
            "master, where the idle car's reserve goes to the Tesla. Virtual time, real bytes\n"
            "over an in-memory bus; prints a timeline and the result of each run.\n"
            "\n"
            "options:\n"
            "  --circuit-a N    circuit limit in whole amps (default 40)\n"
            "  --duration-s N   virtual seconds to run (default 60)\n"
            "  --master WHICH   native, ampshare or both (default both)\n"
            "  -h, --help       this help\n");
}

static void amps(char *buf, size_t cap, uint16_t ca)
{
    snprintf(buf, cap, "%u.%02uA", ca / 100u, ca % 100u);
}

static void print_unit(const struct sim_seed_unit *u)
{
    char lim[16], act[16];
    amps(lim, sizeof(lim), u->limit_ca);
    amps(act, sizeof(act), u->actual_ca);
    printf("  %02x %-15s %7s %7s", u->state, twc_fmt_state_name(u->state), lim, act);
}

static int run_one(enum sim_seed_master which, const struct sim_seed_cfg *cfg)
{
    struct sim_seed_result *res = calloc(1, sizeof(*res));
    if (res == NULL) {
        return -ENOMEM;
    }
    int rc = sim_seed_run(which, cfg, res);
    if (rc < 0) {
        free(res);
        return rc;
    }
    if (which == SIM_SEED_NATIVE) {
        printf("simulated native master (twc-gen2.md §7.3 reading: about 6 A kept for every\n"
               "connected car, idle or not; the rest handed out by measured current):\n");
    } else {
        printf("ampshare master (drivers/twc/twc_master; demo allocation in sim/sim_seed.c: a\n"
               "car in state 03 gets nothing, the cars that want current share the circuit):\n");
    }
    printf("  %5s  %-34s  %s\n", "t", "Tesla (slave 2019)", "BMW i3 (slave 2431)");
    printf("  %5s", "");
    for (int u = 0; u < 2; u++) {
        printf("  %-18s %7s %7s", "state", "limit", "actual");
    }
    printf("\n");
    for (size_t i = 0; i < res->n; i++) {
        printf("  %4llus", (unsigned long long)(res->sample[i].t_ms / 1000));
        print_unit(&res->sample[i].tesla);
        print_unit(&res->sample[i].i3);
        printf("\n");
    }
    char tl[16], ta[16], il[16], ia[16];
    amps(tl, sizeof(tl), res->tesla.limit_ca);
    amps(ta, sizeof(ta), res->tesla.actual_ca);
    amps(il, sizeof(il), res->i3.limit_ca);
    amps(ia, sizeof(ia), res->i3.actual_ca);
    printf("result (%s): Tesla offered %s, drawing %s; i3 offered %s, drawing %s "
           "(%llu bytes from the master, %llu from the slaves)\n\n",
           which == SIM_SEED_NATIVE ? "native" : "ampshare", tl, ta, il, ia,
           (unsigned long long)res->bytes_master, (unsigned long long)res->bytes_slaves);
    free(res);
    return 0;
}

int cmd_sim_seed(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    struct sim_seed_cfg cfg;
    sim_seed_cfg_default(&cfg);
    bool native = true, ampshare = true;
    /* Every option takes one value. */
    for (int i = 1; i < argc; i += 2) {
        long v = 0;
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--circuit-a") == 0 && val &&
            cmd_parse_long(val, 10, 1, 655, &v) == 0) {
            cfg.circuit_ma = (int32_t)v * 1000;
        } else if (strcmp(argv[i], "--duration-s") == 0 && val &&
                   cmd_parse_long(val, 10, 1, 86400, &v) == 0) {
            cfg.duration_ms = (uint64_t)v * 1000;
            cfg.sample_ms = cfg.duration_ms / 12 < 1000 ? 1000 : (uint32_t)(cfg.duration_ms / 12);
        } else if (strcmp(argv[i], "--master") == 0 && val &&
                   (strcmp(val, "native") == 0 || strcmp(val, "ampshare") == 0 ||
                    strcmp(val, "both") == 0)) {
            native = strcmp(val, "ampshare") != 0;
            ampshare = strcmp(val, "native") != 0;
        } else {
            fprintf(stderr, "ampshare sim seed: bad argument '%s'%s%s\n", argv[i],
                    val ? " with value " : "", val ? val : "");
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
    }
    printf("seed scenario: Tesla (wants 48 A) + idle BMW i3 (J1772 adapter) on a %ld A circuit,\n"
           "two simulated slaves, %llu s of virtual time\n\n",
           (long)(cfg.circuit_ma / 1000), (unsigned long long)(cfg.duration_ms / 1000));
    int rc = 0;
    if (native) {
        rc = run_one(SIM_SEED_NATIVE, &cfg);
    }
    if (rc == 0 && ampshare) {
        rc = run_one(SIM_SEED_AMPSHARE, &cfg);
    }
    if (rc < 0) {
        fprintf(stderr, "ampshare sim seed: %s\n", strerror(-rc));
        return CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}
