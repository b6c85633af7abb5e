/* SPDX-License-Identifier: MIT */
/*
 * `ampshare sim slaves`: simulated Wall Connector slaves on a TCP port or a pty, for a person to
 * point ampshare or another master (TWCManager) at. Real time, real bytes; runs until SIGINT or
 * SIGTERM. The slaves themselves are the pure sim/ state machines; this file only moves bytes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "controller/cli/twc_fmt.h"
#include "controller/loop.h"
#include "drivers/transport/tp.h"
#include "sim/sim_twc_port.h"
#include "sim/sim_twc_slaves.h"

/* IDs seen in public captures (twc-gen2.md §4.1, §8): decimal-looking, like recent TSNs. */
static const uint16_t default_ids[SIM_TWC_SLAVES_MAX] = {
    0x2019, 0x2431, 0x4085, 0x8725, 0x1839, 0x2433, 0x5850, 0x6090,
};

/* How often the loop looks at the slaves when nothing is due: state-change reports. */
#define SLAVES_IDLE_WAKE_MS 100

struct slaves_opts {
    const char *listen;
    int count;
    enum sim_twc_proto proto;
    const char *cars;
    int max_a;
    int trailer;
    uint32_t reply_ms;
    uint32_t linkready_ms;
    int32_t noise_ma;
    int phases;   /* 0: the region's default (3 in the EU, split-phase in the US) */
    int volts[3]; /* --voltage, or -1: what the region and phases say */
    bool quiet;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sim slaves --listen ADDR [--count N] [--proto 1|2|ext]\n"
            "                           [--car LIST] [--max-a 32|80] [options]\n"
            "\n"
            "Runs N simulated Tesla Wall Connector Gen 2 slaves (rotary switch on F) on one\n"
            "bus and waits for a master: ampshare, TWCManager or any other. Each slave sends a\n"
            "linkready every 10 s until heartbeats come, answers each heartbeat after a short\n"
            "delay with its state, the limit echoed and the car's current, and follows a\n"
            "simulated car. State changes are printed on stderr. Runs until SIGINT/SIGTERM.\n"
            "\n"
            "  --listen ADDR     tcp://127.0.0.1:PORT (one master at a time; PORT 0: any free\n"
            "                    port, printed as 'listening on port N') or pty:PATH (a\n"
            "                    pseudo-terminal linked at PATH; point the master at PATH)\n"
            "  --count N         slaves, 1..%d (default 1; a real bus holds at most 3)\n"
            "  --proto P         1 (14-byte frames), 2 (16-byte, default) or ext (firmware\n"
            "                    4.5.3: also VIN, serial, version, meter and FC B1/B2)\n"
            "  --car LIST        comma list, one per slave, the last repeated: tesla,\n"
            "                    tesla-idle, bmw-i3, bmw-i3-idle, none (default tesla)\n"
            "  --max-a A         linkready maximum: 32 (EU, default) or 80 (US)\n"
            "  --phases 1|3      how an EU unit is wired (default 3); the FD EB voltages follow:\n"
            "                    230 V per wired phase, a US unit 240 V on L1 only\n"
            "  --voltage V[,V,V] the FD EB voltages instead (L1[,L2,L3], volts)\n"
            "  --trailer XX      byte after each frame, hex, or none (default fe)\n"
            "  --reply-ms N      heartbeat reply delay (default 50)\n"
            "  --linkready-ms N  linkready interval (default 10000)\n"
            "  --noise-ma N      jitter on the cars' current (default 0)\n"
            "  --quiet           no state-change lines\n"
            "  -h, --help        this help\n"
            "\n"
            "Slave IDs: 2019, 2431, 4085, 8725, 1839, 2433, 5850, 6090 in that order.\n",
            SIM_TWC_SLAVES_MAX);
}

static int parse_opt(struct slaves_opts *o, const char *name, const char *val)
{
    long v = 0;
    if (strcmp(name, "--listen") == 0) {
        o->listen = val;
    } else if (strcmp(name, "--count") == 0) {
        if (cmd_parse_long(val, 0, 1, SIM_TWC_SLAVES_MAX, &v) < 0) {
            return -EINVAL;
        }
        o->count = (int)v;
    } else if (strcmp(name, "--proto") == 0) {
        if (strcmp(val, "1") == 0) {
            o->proto = SIM_TWC_V1;
        } else if (strcmp(val, "2") == 0) {
            o->proto = SIM_TWC_V2;
        } else if (strcmp(val, "ext") == 0) {
            o->proto = SIM_TWC_EXT;
        } else {
            return -EINVAL;
        }
    } else if (strcmp(name, "--car") == 0) {
        o->cars = val;
    } else if (strcmp(name, "--max-a") == 0) {
        if (cmd_parse_long(val, 0, 1, 655, &v) < 0) {
            return -EINVAL;
        }
        o->max_a = (int)v;
    } else if (strcmp(name, "--trailer") == 0) {
        if (strcmp(val, "none") == 0) {
            o->trailer = -1;
        } else {
            char *end = NULL;
            unsigned long t = strtoul(val, &end, 16);
            if (end == val || *end != '\0' || t > 0xFF) {
                return -EINVAL;
            }
            o->trailer = (int)t;
        }
    } else if (strcmp(name, "--reply-ms") == 0) {
        if (cmd_parse_long(val, 0, 0, 5000, &v) < 0) {
            return -EINVAL;
        }
        o->reply_ms = (uint32_t)v;
    } else if (strcmp(name, "--linkready-ms") == 0) {
        if (cmd_parse_long(val, 0, 100, 600000, &v) < 0) {
            return -EINVAL;
        }
        o->linkready_ms = (uint32_t)v;
    } else if (strcmp(name, "--phases") == 0) {
        if (strcmp(val, "1") != 0 && strcmp(val, "3") != 0) {
            return -EINVAL;
        }
        o->phases = val[0] - '0';
    } else if (strcmp(name, "--voltage") == 0) {
        int n = sscanf(val, "%d,%d,%d", &o->volts[0], &o->volts[1], &o->volts[2]);
        if (n < 1) {
            return -EINVAL;
        }
        for (int i = 0; i < 3; i++) {
            if (i >= n) {
                o->volts[i] = 0;
            }
            if (o->volts[i] < 0 || o->volts[i] > 65535) {
                return -EINVAL;
            }
        }
    } else if (strcmp(name, "--noise-ma") == 0) {
        if (cmd_parse_long(val, 0, 0, 10000, &v) < 0) {
            return -EINVAL;
        }
        o->noise_ma = (int32_t)v;
    } else {
        return -ENOENT;
    }
    return 0;
}

/* The idx-th name of a comma list, the last one repeated. */
static void car_name(const char *list, int idx, char *out, size_t cap)
{
    const char *p = list;
    for (int i = 0; i < idx; i++) {
        const char *comma = strchr(p, ',');
        if (!comma) {
            break;
        }
        p = comma + 1;
    }
    size_t n = strcspn(p, ",");
    n = n < cap - 1 ? n : cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static int build_slaves(const struct slaves_opts *o, struct sim_twc_slaves *set, uint64_t now)
{
    sim_twc_slaves_init(set);
    for (int i = 0; i < o->count; i++) {
        struct sim_twc_slave_cfg cfg;
        sim_twc_slave_cfg_default(&cfg, default_ids[i], o->proto);
        sim_twc_slave_cfg_region(&cfg, (uint16_t)(o->max_a * 100),
                                 o->phases ? (unsigned)o->phases : 3);
        for (int v = 0; v < 3 && o->volts[0] >= 0; v++) {
            cfg.voltage_v[v] = (uint16_t)o->volts[v];
        }
        cfg.trailer = o->trailer;
        cfg.reply_delay_ms = o->reply_ms;
        cfg.linkready_interval_ms = o->linkready_ms;
        cfg.linkready_first_ms = (uint32_t)i * 250; /* not all at once on a half-duplex bus */
        char name[24];
        car_name(o->cars, i, name, sizeof(name));
        struct sim_car_cfg car;
        if (sim_car_cfg_preset(&car, name) < 0) {
            fprintf(stderr, "ampshare sim slaves: --car: unknown car '%s'\n", name);
            return -EINVAL;
        }
        car.noise_ma = o->noise_ma;
        car.seed = cfg.id;
        int rc = sim_twc_slaves_add(set, &cfg, &car, now);
        if (rc < 0) {
            fprintf(stderr, "ampshare sim slaves: slave %04x: %s\n", cfg.id, strerror(-rc));
            return rc;
        }
    }
    return 0;
}

/* Prints a line for each slave whose link, state or limit changed since the last call. */
static void report_changes(struct sim_twc_slaves *set,
                           struct sim_twc_slave_view *last,
                           bool primed,
                           uint64_t now,
                           bool quiet)
{
    for (size_t i = 0; i < set->n; i++) {
        struct sim_twc_slave_view v;
        sim_twc_slave_view(&set->slave[i], now, &v);
        struct sim_twc_slave_view *l = &last[i];
        bool changed = !primed || v.linked != l->linked || v.state != l->state ||
                       v.limit_ca != l->limit_ca || v.car_phase != l->car_phase || v.id != l->id;
        if (changed && !quiet) {
            fprintf(stderr,
                    "[%7llu.%03u] slave %04x: %s%04x, state %02x %s, limit %u.%02u A, actual "
                    "%u.%02u A, car %s\n",
                    (unsigned long long)(now / 1000), (unsigned)(now % 1000), v.id,
                    v.linked ? "linked to " : "unlinked, last master ", v.master_id, v.state,
                    twc_fmt_state_name(v.state), v.limit_ca / 100u, v.limit_ca % 100u,
                    v.actual_ca / 100u, v.actual_ca % 100u, sim_car_phase_name(v.car_phase));
        }
        *l = v;
    }
}

struct slaves_run {
    struct sim_twc_port port;
    bool quiet, primed;
    struct sim_twc_slave_view last[SIM_TWC_SLAVES_MAX];
    struct loop *loop;
    struct loop_timer report;
};

static void on_step(void *ctx, uint64_t now)
{
    struct slaves_run *r = ctx;
    report_changes(r->port.set, r->last, r->primed, now, r->quiet);
    r->primed = true;
}

/* The cars change state on their own time: look at them a few times a second for the report. */
static void on_report(struct loop *l, struct loop_timer *t, uint64_t now, void *ctx)
{
    (void)now;
    struct slaves_run *r = ctx;
    if (r->port.rc < 0) {
        loop_stop(l); /* the transport failed */
        return;
    }
    loop_timer_arm_in(l, t, SLAVES_IDLE_WAKE_MS);
    sim_twc_port_step(&r->port);
}

static void on_signal(struct loop *l, int signo, void *ctx)
{
    (void)signo;
    (void)ctx;
    loop_stop(l);
}

static int run_loop(struct slaves_run *r, struct tp *t, struct sim_twc_slaves *set)
{
    loop_timer_init(&r->report, on_report, r);
    loop_timer_arm_in(r->loop, &r->report, SLAVES_IDLE_WAKE_MS);
    int rc = sim_twc_port_start(&r->port, r->loop, t, set, on_step, r);
    if (rc == 0) {
        rc = loop_run(r->loop);
    }
    sim_twc_port_stop(&r->port);
    loop_timer_disarm(r->loop, &r->report);
    return r->port.rc < 0 ? r->port.rc : rc;
}

int cmd_sim_slaves(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    struct slaves_opts o = {
        .count = 1,
        .proto = SIM_TWC_V2,
        .cars = "tesla",
        .max_a = 32,
        .volts = {-1, -1, -1},
        .trailer = 0xFE,
        .reply_ms = 50,
        .linkready_ms = 10000,
    };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0) {
            o.quiet = true;
            continue;
        }
        int rc = i + 1 < argc ? parse_opt(&o, argv[i], argv[i + 1]) : -ENOENT;
        if (rc < 0) {
            fprintf(stderr, "ampshare sim slaves: %s '%s'%s%s\n",
                    rc == -ENOENT ? "unknown option or missing value" : "bad value for", argv[i],
                    rc == -ENOENT ? "" : ": ", rc == -ENOENT ? "" : argv[i + 1]);
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
        i++;
    }
    if (!o.listen) {
        fprintf(stderr, "ampshare sim slaves: --listen ADDR is required\n");
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    char err[256];
    struct tp *t = NULL;
    if (tp_new_from_text(o.listen, TP_ROLE_LISTEN, &t, err, sizeof(err)) < 0) {
        fprintf(stderr, "ampshare sim slaves: %s\n", err);
        return CMD_EXIT_USAGE;
    }
    int rc = tp_open(t);
    if (rc < 0) {
        fprintf(stderr, "ampshare sim slaves: %s: %s\n", t->label, strerror(-rc));
        tp_free(t);
        return CMD_EXIT_FAIL;
    }
    struct sim_twc_slaves *set = calloc(1, sizeof(*set));
    struct slaves_run *r = calloc(1, sizeof(*r));
    int exit_code =
        !set || !r ? CMD_EXIT_FAIL : (build_slaves(&o, set, 0) < 0 ? CMD_EXIT_USAGE : 0);
    if (exit_code == 0) {
        *r = (struct slaves_run){.quiet = o.quiet};
        rc = loop_new(NULL, &r->loop);
        rc = rc < 0 ? rc : loop_signals_catch(r->loop, cmd_stop_signals, 2, on_signal, r);
        if (rc < 0) {
            fprintf(stderr, "ampshare sim slaves: %s\n", strerror(-rc));
            exit_code = CMD_EXIT_FAIL;
        }
    }
    if (exit_code != 0) {
        if (r) {
            loop_free(r->loop);
        }
        free(r);
        free(set);
        tp_free(t);
        return exit_code;
    }
    const char *pts = tp_pty_name(t);
    fprintf(stderr, "ampshare sim slaves: %d slave%s (v%s, %d A) on %s%s%s\n", o.count,
            o.count == 1 ? "" : "s",
            o.proto == SIM_TWC_EXT ? "2 + 4.5.3" : (o.proto == SIM_TWC_V1 ? "1" : "2"), o.max_a,
            t->label, pts ? " = " : "", pts ? pts : "");
    if (o.count > 3) {
        fprintf(stderr, "ampshare sim slaves: note: a real bus holds at most 3 slaves (§1)\n");
    }
    if (strcmp(tp_kind(t), "tcp-listen") == 0) {
        /* with port 0 the kernel picked one: tell whoever connects (tests take ports this way) */
        fprintf(stderr, "ampshare sim slaves: listening on port %d\n", tp_tcp_listen_port(t));
    }
    rc = run_loop(r, t, set);
    fprintf(stderr, "ampshare sim slaves: stopped\n");
    loop_free(r->loop);
    free(r);
    free(set);
    tp_free(t);
    return rc < 0 ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}
