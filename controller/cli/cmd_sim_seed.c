/* SPDX-License-Identifier: MIT */
/* `ampshare sim seed`: the seed's 34 A of 40 A, then ampshare's master and engine on the same bus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "controller/cli/twc_fmt.h"
#include "controller/engine/config.h"
#include "drivers/base/amp_text.h"
#include "sim/sim_sched.h"
#include "sim/sim_seed.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ampshare sim seed [--circuit-a N] [--duration-s N] [--master "
        "native|ampshare|both]\n"
        "                         [--policy NAME] [--overcommit-a N] [--wake-i3-s N]\n"
        "                         [--i3-full-s N] [--sample-s N] [--json] [--tesla-lock]\n"
        "                         [--realtime]\n"
        "\n"
        "The seed scenario (twc-gen2.md §7.3): a Tesla that wants 48 A and an idle BMW i3 on\n"
        "a J1772 adapter, each on a simulated Wall Connector slave (v2, 80 A), share a 40 A\n"
        "circuit. First under a simulated native master, which keeps about 6 A for every\n"
        "connected car, idle or not (the Tesla gets about 34 A); then under ampshare's own\n"
        "master driven by the allocation engine (policy, safety clamp), as `ampshare run`\n"
        "drives it: with idle_reclaim the idle car's reserve goes to the Tesla. Virtual time,\n"
        "real bytes over an in-memory bus; prints a timeline, the engine's reasons and the\n"
        "result of each run.\n"
        "\n"
        "options:\n"
        "  --circuit-a N     circuit limit in whole amps (default 40)\n"
        "  --duration-s N    virtual seconds to run (default 150)\n"
        "  --master WHICH    native, ampshare or both (default both)\n"
        "  --policy NAME     the ampshare half's policy: a built-in (idle_reclaim, native,\n"
        "                    equal_share, priority, fifo, round_robin) or a .so path\n"
        "                    (default idle_reclaim)\n"
        "  --overcommit-a N  the circuit's overcommit_a: amps an idle car may keep beyond\n"
        "                    the limit (default 0; docs/allocation.md)\n"
        "  --wake-i3-s N     the i3 wants to charge from N s of virtual time on (default never)\n"
        "  --i3-full-s N     the i3 charges from the start and is full (plugged in, drawing\n"
        "                    nothing) from N s on, so the reclaim of a share in use shows\n"
        "  --sample-s N      one row every N s of virtual time (decimals allowed, down to\n"
        "                    0.001; default: a tenth of the duration, at least 1 s)\n"
        "  --json            JSON Lines instead of the text: one object per sample and master,\n"
        "                    {\"master\", \"t_s\", \"tesla\": {\"state\", \"limit_a\",\n"
        "                    \"actual_a\", \"why\"}, \"i3\": {...}}\n"
        "  --tesla-lock      the Tesla has the \"6 A lock\" (twc-gen2.md §7.1): any raise drops\n"
        "                    it to 5.2 A until it is offered 16 A or more for 5 s\n"
        "  --realtime        for demos: the virtual clock keeps to the wall clock, each row\n"
        "                    printed when its time comes; Ctrl-C stops the run\n"
        "  -h, --help        this help\n");
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

static void print_title(enum sim_seed_master which, const struct sim_seed_cfg *cfg)
{
    if (which == SIM_SEED_NATIVE) {
        printf("simulated native master (twc-gen2.md §7.3 reading: about 6 A kept for every\n"
               "connected car, idle or not; the rest handed out by measured current):\n");
        return;
    }
    char a[16], oc[24];
    snprintf(oc, sizeof(oc), "%s A", cfg_fmt_amps(cfg->overcommit_ma, a, sizeof(a)));
    printf("ampshare master (drivers/twc/twc_master) driven by the allocation engine through\n"
           "controller/ctl_twc, policy %s, %s%s; under each row, the engine's reason\n"
           "for each target:\n",
           cfg->policy, cfg->overcommit_ma > 0 ? "overcommit " : "no overcommit",
           cfg->overcommit_ma > 0 ? oc : "");
}

static void print_result(enum sim_seed_master which, const struct sim_seed_result *res)
{
    char tl[16], ta[16], il[16], ia[16];
    amps(tl, sizeof(tl), res->tesla.limit_ca);
    amps(ta, sizeof(ta), res->tesla.actual_ca);
    amps(il, sizeof(il), res->i3.limit_ca);
    amps(ia, sizeof(ia), res->i3.actual_ca);
    printf("result (%s): Tesla offered %s, drawing %s; i3 offered %s, drawing %s "
           "(%llu bytes from the master, %llu from the slaves)\n\n",
           which == SIM_SEED_NATIVE ? "native" : "ampshare", tl, ta, il, ia,
           (unsigned long long)res->bytes_master, (unsigned long long)res->bytes_slaves);
}

/* One JSON Lines object: a sample of both units under one master. */
static void json_unit(const char *key, const struct sim_seed_unit *u)
{
    printf("\"%s\": {\"state\": %u, \"limit_a\": %u.%02u, \"actual_a\": %u.%02u, \"why\": ", key,
           u->state, u->limit_ca / 100u, u->limit_ca % 100u, u->actual_ca / 100u,
           u->actual_ca % 100u);
    amp_json_string(stdout, u->why);
    printf("}");
}

static void json_row(enum sim_seed_master which, const struct sim_seed_sample *row)
{
    printf("{\"master\": \"%s\", \"t_s\": %llu.%03llu, ",
           which == SIM_SEED_NATIVE ? "native" : "ampshare", (unsigned long long)(row->t_ms / 1000),
           (unsigned long long)(row->t_ms % 1000));
    json_unit("tesla", &row->tesla);
    printf(", ");
    json_unit("i3", &row->i3);
    printf("}\n");
}

static void text_row(enum sim_seed_master which, const struct sim_seed_sample *row)
{
    if (row->t_ms % 1000) {
        printf("  %4.1fs", (double)row->t_ms / 1000.0);
    } else {
        printf("  %4llus", (unsigned long long)(row->t_ms / 1000));
    }
    print_unit(&row->tesla);
    print_unit(&row->i3);
    printf("\n");
    if (which == SIM_SEED_AMPSHARE) {
        printf("         Tesla: %s; i3: %s\n", row->tesla.why, row->i3.why);
    }
}

/* Runs one master, printing every sample as it is taken. */
static int run_one(enum sim_seed_master which,
                   const struct sim_seed_cfg *cfg,
                   bool json,
                   struct cmd_realtime *rt)
{
    struct sim_seed_result *res = calloc(1, sizeof(*res));
    if (res == NULL) {
        return -ENOMEM;
    }
    char err[256] = "";
    struct sim_seed *s = NULL;
    int rc = sim_seed_new(which, cfg, &s, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "ampshare sim seed: %s\n", err[0] ? err : strerror(-rc));
        free(res);
        return rc;
    }
    if (!json) {
        print_title(which, cfg);
        printf("  %5s  %-34s  %s\n", "t", "Tesla (slave 2019)", "BMW i3 (slave 2431)");
        printf("  %5s", "");
        for (int u = 0; u < 2; u++) {
            printf("  %-18s %7s %7s", "state", "limit", "actual");
        }
        printf("\n");
    }
    if (rt) {
        rt->started = false; /* each master's run from its own 0 s */
        sim_sched_set_pace(sim_seed_sched(s), cmd_realtime_pace, rt);
    }
    for (uint64_t t = 0; rc == 0 && t <= cfg->duration_ms; t += cfg->sample_ms) {
        if (rt) {
            fflush(stdout); /* each row as it happens */
        }
        rc = sim_seed_advance(s, t);
        struct sim_seed_sample row = {.t_ms = t};
        sim_seed_unit(s, SIM_SEED_TESLA_ID, &row.tesla);
        sim_seed_unit(s, SIM_SEED_I3_ID, &row.i3);
        if (rc == 0 && json) {
            json_row(which, &row);
        } else if (rc == 0) {
            text_row(which, &row);
        }
    }
    if (rc == 0 && !json) {
        sim_seed_unit(s, SIM_SEED_TESLA_ID, &res->tesla);
        sim_seed_unit(s, SIM_SEED_I3_ID, &res->i3);
        sim_seed_bytes(s, &res->bytes_master, &res->bytes_slaves);
        print_result(which, res);
    }
    if (rc < 0 && rt && rt->signo) {
        fprintf(stderr, "ampshare sim seed: stopped at %.3f s (interrupted)\n",
                (double)sim_seed_now(s) / 1000);
    } else if (rc < 0) {
        fprintf(stderr, "ampshare sim seed: %s\n", strerror(-rc));
    }
    sim_seed_free(s);
    free(res);
    return rc;
}

static int parse_num(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max) {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

/* Seconds with up to 3 decimals ("0.1", "15") as milliseconds, in [1, max_ms]. */
static int parse_ms(const char *s, uint64_t max_ms, uint64_t *out)
{
    uint64_t whole = 0, frac = 0;
    int digits = 0, decimals = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        whole = whole * 10 + (uint64_t)(*s - '0');
        if (whole > max_ms) {
            return -EINVAL;
        }
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, decimals++) {
            if (decimals == 3) {
                return -EINVAL;
            }
            frac = frac * 10 + (uint64_t)(*s - '0');
        }
    }
    for (int d = decimals; d < 3; d++) {
        frac *= 10;
    }
    uint64_t ms = whole * 1000 + frac;
    if (*s || (digits == 0 && decimals == 0) || ms == 0 || ms > max_ms) {
        return -EINVAL;
    }
    *out = ms;
    return 0;
}

struct seed_args {
    struct sim_seed_cfg cfg;
    bool native, ampshare, json, realtime;
    uint64_t sample_ms; /* --sample-s, or 0 */
};

/* One option and its value; false when either is bad. */
static bool parse_opt(struct seed_args *a, const char *opt, const char *val)
{
    struct sim_seed_cfg *cfg = &a->cfg;
    long v = 0;
    if (!val) {
        return false;
    }
    if (strcmp(opt, "--circuit-a") == 0 && parse_num(val, 1, 655, &v) == 0) {
        cfg->circuit_ma = (int32_t)v * 1000;
    } else if (strcmp(opt, "--duration-s") == 0 && parse_num(val, 1, 86400, &v) == 0) {
        cfg->duration_ms = (uint64_t)v * 1000;
        cfg->sample_ms = cfg->duration_ms / 10 < 1000 ? 1000 : (uint32_t)(cfg->duration_ms / 10);
    } else if (strcmp(opt, "--master") == 0 &&
               (strcmp(val, "native") == 0 || strcmp(val, "ampshare") == 0 ||
                strcmp(val, "both") == 0)) {
        a->native = strcmp(val, "ampshare") != 0;
        a->ampshare = strcmp(val, "native") != 0;
    } else if (strcmp(opt, "--policy") == 0 && val[0] && strlen(val) < sizeof(cfg->policy) &&
               !strpbrk(val, "\n;#[]=")) {
        snprintf(cfg->policy, sizeof(cfg->policy), "%s", val);
    } else if (strcmp(opt, "--overcommit-a") == 0 && parse_num(val, 0, 100, &v) == 0) {
        cfg->overcommit_ma = (int32_t)v * 1000;
    } else if (strcmp(opt, "--wake-i3-s") == 0 && parse_num(val, 1, 86400, &v) == 0) {
        cfg->wake_i3_ms = (uint64_t)v * 1000;
    } else if (strcmp(opt, "--i3-full-s") == 0 && parse_num(val, 1, 86400, &v) == 0) {
        cfg->i3_full_ms = (uint64_t)v * 1000;
    } else if (strcmp(opt, "--sample-s") == 0 && parse_ms(val, 86400000, &a->sample_ms) == 0) {
    } else {
        return false;
    }
    return true;
}

int cmd_sim_seed(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    struct seed_args a = {.native = true, .ampshare = true};
    sim_seed_cfg_default(&a.cfg);
    /* Every option takes one value but the flags. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            a.json = true;
            continue;
        }
        if (strcmp(argv[i], "--tesla-lock") == 0) {
            a.cfg.tesla_lock = true;
            continue;
        }
        if (strcmp(argv[i], "--realtime") == 0) {
            a.realtime = true;
            continue;
        }
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!parse_opt(&a, argv[i], val)) {
            fprintf(stderr, "ampshare sim seed: bad argument '%s'%s%s\n", argv[i],
                    val ? " with value " : "", val ? val : "");
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
        i++;
    }
    struct sim_seed_cfg cfg = a.cfg;
    if (a.sample_ms) {
        cfg.sample_ms = (uint32_t)a.sample_ms;
    }
    if (!a.json) {
        printf("seed scenario: Tesla (wants 48 A) + %s BMW i3 (J1772 adapter) on a %ld A "
               "circuit,\ntwo simulated slaves, %llu s of virtual time",
               cfg.i3_full_ms ? "a charging" : "idle", (long)(cfg.circuit_ma / 1000),
               (unsigned long long)(cfg.duration_ms / 1000));
        if (cfg.i3_full_ms) {
            printf("; the i3 is full from %llu s", (unsigned long long)(cfg.i3_full_ms / 1000));
        }
        if (cfg.wake_i3_ms) {
            printf("; the i3 wants to charge from %llu s",
                   (unsigned long long)(cfg.wake_i3_ms / 1000));
        }
        printf("%s\n\n", cfg.tesla_lock ? "; the Tesla has the 6 A lock" : "");
    }
    cmd_sim_quiet_log();
    struct cmd_realtime rt;
    if (a.realtime) {
        cmd_realtime_init(&rt);
    }
    int rc = 0;
    if (a.native) {
        rc = run_one(SIM_SEED_NATIVE, &cfg, a.json, a.realtime ? &rt : NULL);
    }
    if (rc == 0 && a.ampshare) {
        rc = run_one(SIM_SEED_AMPSHARE, &cfg, a.json, a.realtime ? &rt : NULL);
    }
    if (a.realtime && rt.signo) {
        return 128 + rt.signo;
    }
    return rc < 0 ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}
