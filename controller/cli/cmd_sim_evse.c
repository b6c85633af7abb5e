/* SPDX-License-Identifier: MIT */
/*
 * `ampshare sim evse`: a simulated third-party Modbus EVSE (sim/sim_evse) whose car draws what
 * its setpoint allows and whose meter shows it, over Modbus TCP or on a pty (RTU). Runs until
 * SIGINT or SIGTERM.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/cli/cmd.h"
#include "controller/cli/cmd_util.h"
#include "drivers/base/amp_clock.h"
#include "drivers/base/amp_err.h"
#include "sim/sim_evse.h"

#define SIM_EVSE_TICK_MS 100

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare sim evse --model NAME --listen ADDR [options]\n"
            "\n"
            "Serves a simulated Modbus EVSE with the registers of an EVSE model (the table\n"
            "ampshare's controller writes through) and a car that draws what the setpoint and\n"
            "enable allow; a meter on its own unit shows the draw. Runs until SIGINT/SIGTERM.\n"
            "  --model NAME        an EVSE model (heidelberg-ec, phoenix-ev-eth, ...)\n"
            "  --listen ADDR       HOST:PORT or tcp://HOST:PORT (port 0 picks a free port), or\n"
            "                      pty:/PATH (Modbus RTU on a new pty linked at PATH)\n"
            "  --unit N            the EVSE's unit id (default: the model's)\n"
            "  --meter-map NAME    the meter's map (default eastron-sdm630; none: no meter)\n"
            "  --meter-unit N      the meter's unit id (default: the EVSE's + 1)\n"
            "  --car-a A           the most the car draws, whole amps (default 16)\n"
            "  --phases 1|3        conductors the car draws on (default 1)\n"
            "  --no-car            no car plugged in\n"
            "  --status-ms N       print setpoint, state and draw every N ms (default 0: never)\n"
            "Once serving, one line goes to stdout:\n"
            "  listening on ADDR; clients use CLIENT_ADDR\n");
}

struct evse_args {
    const char *model, *listen, *meter_map;
    long unit, meter_unit, car_a, phases, status_ms;
    bool no_car;
};

static int parse_args(int argc, char **argv, struct evse_args *a)
{
    *a = (struct evse_args){
        .unit = -1, .meter_unit = -1, .car_a = 16, .phases = 1, .meter_map = "eastron-sdm630"};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int rc = 0;
        if ((v = cmd_opt_value(argc, argv, &i, "--model"))) {
            a->model = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--listen"))) {
            a->listen = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--meter-map"))) {
            a->meter_map = v;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--unit"))) {
            rc = cmd_parse_long(v, 10, 0, 255, &a->unit);
        } else if ((v = cmd_opt_value(argc, argv, &i, "--meter-unit"))) {
            rc = cmd_parse_long(v, 10, 0, 255, &a->meter_unit);
        } else if ((v = cmd_opt_value(argc, argv, &i, "--car-a"))) {
            rc = cmd_parse_long(v, 10, 0, 80, &a->car_a);
        } else if ((v = cmd_opt_value(argc, argv, &i, "--phases"))) {
            rc = cmd_parse_long(v, 10, 1, 3, &a->phases);
            rc = rc == 0 && a->phases == 2 ? -EINVAL : rc;
        } else if ((v = cmd_opt_value(argc, argv, &i, "--status-ms"))) {
            rc = cmd_parse_long(v, 10, 0, 3600000, &a->status_ms);
        } else if (strcmp(argv[i], "--no-car") == 0) {
            a->no_car = true;
        } else {
            fprintf(stderr, "ampshare sim evse: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return CMD_EXIT_USAGE;
        }
        if (rc != 0) {
            fprintf(stderr, "ampshare sim evse: %s: bad value '%s'\n", argv[i - 1], v);
            return CMD_EXIT_USAGE;
        }
    }
    if (!a->model || !a->listen) {
        fprintf(stderr, "ampshare sim evse: --model and --listen are required\n");
        usage(stderr);
        return CMD_EXIT_USAGE;
    }
    return CMD_EXIT_OK;
}

/* Resolves the args into a sim_evse config; prints what is wrong. */
static int make_cfg(const struct evse_args *a, const struct tp_addr *addr, struct sim_evse_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->model = mb_evse_find(a->model);
    if (!c->model) {
        fprintf(stderr, "ampshare sim evse: unknown model '%s'; known:", a->model);
        for (size_t i = 0; i < mb_evse_count(); i++) {
            fprintf(stderr, " %s", mb_evse_at(i)->name);
        }
        fprintf(stderr, "\n");
        return CMD_EXIT_USAGE;
    }
    c->unit = (uint8_t)(a->unit >= 0 ? a->unit : c->model->default_unit);
    if (strcmp(a->meter_map, "none") != 0) {
        c->meter_map = mb_map_find(a->meter_map);
        if (!c->meter_map) {
            fprintf(stderr, "ampshare sim evse: unknown meter map '%s'\n", a->meter_map);
            return CMD_EXIT_USAGE;
        }
        c->meter_unit = (uint8_t)(a->meter_unit >= 0 ? a->meter_unit : (c->unit + 1) % 256);
        if (c->meter_unit == c->unit) {
            fprintf(stderr, "ampshare sim evse: the meter needs its own unit id\n");
            return CMD_EXIT_USAGE;
        }
    }
    if (addr->kind == TP_ADDR_PTY && (c->unit < 1 || c->unit > 247)) {
        fprintf(stderr, "ampshare sim evse: unit %u: a serial line has unit ids 1-247\n", c->unit);
        return CMD_EXIT_USAGE;
    }
    c->car = !a->no_car;
    c->car_max_ma = (int32_t)a->car_a * 1000;
    c->phases = (uint8_t)a->phases;
    return CMD_EXIT_OK;
}

int cmd_sim_evse(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    struct evse_args a;
    int ex = parse_args(argc, argv, &a);
    if (ex != CMD_EXIT_OK) {
        return ex;
    }
    char err[300];
    struct tp_addr addr;
    if (cmd_parse_listen(a.listen, &addr, err, sizeof(err)) != 0) {
        fprintf(stderr, "ampshare sim evse: --listen: %s\n", err);
        return CMD_EXIT_USAGE;
    }
    struct sim_evse_cfg cfg;
    ex = make_cfg(&a, &addr, &cfg);
    if (ex != CMD_EXIT_OK) {
        return ex;
    }
    sigset_t stop;
    cmd_block_stop_signals(&stop);

    struct sim_mbsrv *srv = NULL;
    struct sim_evse *ev = NULL;
    int rc = sim_mbsrv_new(&addr, &srv, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "ampshare sim evse: %s\n", err);
        return CMD_EXIT_FAIL;
    }
    rc = sim_evse_new(srv, &cfg, &ev);
    if (rc == 0) {
        rc = sim_mbsrv_start(srv);
    }
    if (rc < 0) {
        fprintf(stderr, "ampshare sim evse: model %s: %s\n", cfg.model->name, amp_strerror(rc));
        sim_evse_free(ev);
        sim_mbsrv_free(srv);
        return CMD_EXIT_FAIL;
    }
    cmd_print_listening(&addr, sim_mbsrv_client_addr(srv));
    printf("evse %s unit %u, meter %s unit %u\n", cfg.model->name, cfg.unit,
           cfg.meter_map ? cfg.meter_map->name : "none", cfg.meter_unit);
    fflush(stdout);

    uint64_t next_status = a.status_ms > 0 ? amp_clock_mono_ms() : UINT64_MAX;
    struct timespec tick = {0, SIM_EVSE_TICK_MS * 1000000L};
    for (;;) {
        uint64_t now = amp_clock_mono_ms();
        struct sim_evse_view v;
        if (sim_evse_tick(ev, now, &v) < 0) {
            fprintf(stderr, "ampshare sim evse: the meter cannot show %" PRId32 " mA\n", v.draw_ma);
        }
        if (now >= next_status) {
            printf("setpoint %" PRId32 " mA%s, state %s, draw %" PRId32 " mA%s\n", v.setpoint_ma,
                   v.enabled ? "" : " (disabled)", mb_evse_state_name(v.state), v.draw_ma,
                   v.watchdog_expired ? ", watchdog expired" : "");
            fflush(stdout);
            next_status = now + (uint64_t)a.status_ms;
        }
        if (sigtimedwait(&stop, NULL, &tick) > 0) {
            break;
        }
    }
    sim_mbsrv_free(srv);
    sim_evse_free(ev);
    return CMD_EXIT_OK;
}
