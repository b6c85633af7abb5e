/* SPDX-License-Identifier: MIT */
/*
 * How much a dead meter delays the controller. A controller-style loop ticks every 10 ms, sends a
 * "heartbeat" each second (the Wall Connector master's deadline, twc-gen2.md: ~1 s per slave),
 * copies meter readings out of the poller and queues an EVSE setpoint, while the meter is:
 *   - an unused loopback port (connection refused),
 *   - a server that accepts and never answers (every request times out),
 *   - a dead unit on a shared RTU bus (pty) next to a live meter.
 * For comparison it also runs the rejected design: one synchronous meter read per loop turn.
 *
 * Prints, per scenario: turns, the worst time spent in the Modbus calls of one turn, the worst
 * loop delay (the end of a turn's work minus its scheduled tick, OS wake-up jitter included), the
 * worst heartbeat lateness, and how many fresh readings the live meter delivered.
 * Usage: bench_mb_dead_meter [seconds-per-scenario]   (default 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/base/log.h"
#include "drivers/modbus/mb_bus.h"
#include "drivers/modbus/mb_clock.h"
#include "drivers/modbus/mb_meter.h"
#include "drivers/modbus/mb_poller.h"
#include "sim/sim_mbsrv.h"
#include "sim/sim_meter.h"

#define TICK_MS      10u
#define HEARTBEAT_MS 1000u
#define TIMEOUT_MS   300u

struct result {
    unsigned turns;
    uint64_t worst_turn_us; /* end of the turn's work minus its scheduled tick */
    uint64_t worst_work_us; /* time inside the Modbus calls alone */
    uint64_t worst_heartbeat_us;
    unsigned live_readings;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_until_us(uint64_t t)
{
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000u), .tv_nsec = (long)(t % 1000000u) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

/* What one loop turn does with Modbus: either copy out of the poller, or read synchronously. */
struct turn_ctx {
    struct mb_poller *poller;
    int dead_dev, live_dev, evse_dev;
    struct mb_bus *sync_bus; /* the rejected design */
    const struct mb_map *map;
    struct mb_plan plan;
    uint64_t last_live_at;
    unsigned live_readings;
};

static void turn(struct turn_ctx *c, unsigned n)
{
    struct mb_reading r;
    if (c->sync_bus) {
        mb_meter_read(c->sync_bus, 1, c->map, &c->plan, &r, NULL);
        return;
    }
    mb_poller_latest(c->poller, c->dead_dev, &r);
    mb_poller_alive(c->poller, mb_clock_monotonic_ms()); /* the loop ticks: EVSEs are driven */
    if (c->live_dev >= 0 && mb_poller_latest(c->poller, c->live_dev, &r) == 0 &&
        r.at_ms != c->last_live_at) {
        c->last_live_at = r.at_ms;
        c->live_readings++;
    }
    if (c->evse_dev >= 0) {
        mb_poller_set_current(c->poller, c->evse_dev, (int32_t)(6000 + (n % 10) * 1000));
    }
}

static struct result run_loop(struct turn_ctx *c, unsigned seconds)
{
    struct result res = {0};
    uint64_t start = now_us();
    uint64_t end = start + (uint64_t)seconds * 1000000u;
    uint64_t next_tick = start + TICK_MS * 1000u;
    uint64_t next_heartbeat = start + HEARTBEAT_MS * 1000u;
    for (unsigned n = 0; next_tick < end; n++) {
        sleep_until_us(next_tick);
        uint64_t begin = now_us();
        turn(c, n);
        uint64_t done = now_us();
        if (done - begin > res.worst_work_us) {
            res.worst_work_us = done - begin;
        }
        if (done >= next_heartbeat) {
            /* The heartbeat is sent at the end of the turn in which it fell due. */
            uint64_t late = done - next_heartbeat;
            if (late > res.worst_heartbeat_us) {
                res.worst_heartbeat_us = late;
            }
            next_heartbeat += HEARTBEAT_MS * 1000u;
        }
        if (done - next_tick > res.worst_turn_us) {
            res.worst_turn_us = done - next_tick;
        }
        res.turns++;
        next_tick += TICK_MS * 1000u;
        while (next_tick < done) { /* a blocked turn skips the ticks it missed */
            next_tick += TICK_MS * 1000u;
        }
    }
    res.live_readings = c->live_readings;
    return res;
}

static void report(const char *name, const struct result *r)
{
    printf("%-46s %6u %9.3f ms %9.3f ms %9.3f ms %8u\n", name, r->turns, r->worst_work_us / 1000.0,
           r->worst_turn_us / 1000.0, r->worst_heartbeat_us / 1000.0, r->live_readings);
}

static struct mb_poller *make_poller(const char *addr_text)
{
    struct mb_poller_opts o = {.timeout_ms = TIMEOUT_MS};
    if (tp_addr_parse(addr_text, &o.addr, NULL, 0) != 0) {
        return NULL;
    }
    struct mb_poller *p;
    return mb_poller_new(&o, &p) == 0 ? p : NULL;
}

static struct sim_mbsrv *make_line(const char *text)
{
    struct tp_addr a;
    memset(&a, 0, sizeof(a));
    if (strncmp(text, "pty:", 4) == 0) {
        a.kind = TP_ADDR_PTY;
        snprintf(a.path, sizeof(a.path), "%s", text + 4);
    } else {
        a.kind = TP_ADDR_TCP;
        snprintf(a.host, sizeof(a.host), "127.0.0.1");
    }
    struct sim_mbsrv *srv;
    if (sim_mbsrv_new(&a, &srv, NULL, 0) != 0 || sim_mbsrv_start(srv) != 0) {
        return NULL;
    }
    return srv;
}

int main(int argc, char **argv)
{
    unsigned seconds = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
    if (seconds == 0) {
        seconds = 5;
    }
    log_set_sink(NULL, NULL, LOG_LEVEL_ERR); /* the dead meter's warnings are expected */
    const struct mb_map *map = mb_map_find("eastron-sdm630");
    struct mb_poller_dev_cfg meter = {.name = "m", .unit = 1, .map = map, .interval_ms = 100};
    struct result r;

    printf("dead meter vs. a %u ms controller loop, %u s per scenario, %u ms Modbus timeout\n",
           TICK_MS, seconds, TIMEOUT_MS);
    printf("%-46s %6s %12s %12s %12s %8s\n", "scenario", "turns", "modbus work", "loop delay",
           "hb late", "live rd");
    printf("(all worst cases; loop delay = end of a turn minus its scheduled tick, so it includes "
           "the OS's wake-up jitter)\n");

    /* 1: nothing listens on the port. */
    {
        struct sim_mbsrv *probe = make_line("tcp");
        char addr[64];
        snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%u", sim_mbsrv_port(probe));
        sim_mbsrv_free(probe); /* the port is now unused */
        struct turn_ctx c = {.dead_dev = 0, .live_dev = -1, .evse_dev = -1};
        c.poller = make_poller(addr);
        mb_poller_add(c.poller, &meter);
        mb_poller_start(c.poller);
        r = run_loop(&c, seconds);
        report("poller thread, unused port (refused)", &r);
        mb_poller_free(c.poller);
    }

    /* 2: a server that accepts and never answers, plus a controllable EVSE on it. */
    struct sim_mbsrv *mute = make_line("tcp");
    struct sim_meter *mute_meter;
    sim_meter_new(mute, 1, map, &mute_meter);
    sim_mbsrv_add_unit(mute, 255, modbus_mapping_new_start_address(400, 1, 0, 0, 528, 1, 100, 1));
    sim_mbsrv_set_fault(mute, SIM_MB_FAULT_SILENT, 0);
    {
        struct turn_ctx c = {.live_dev = -1};
        c.poller = make_poller(sim_mbsrv_client_addr(mute));
        c.dead_dev = mb_poller_add(c.poller, &meter);
        struct mb_poller_dev_cfg evse = {.name = "e",
                                         .unit = 255,
                                         .evse = mb_evse_find("phoenix-ev-eth"),
                                         .interval_ms = 100,
                                         .failsafe_ma = -1};
        c.evse_dev = mb_poller_add(c.poller, &evse);
        mb_poller_start(c.poller);
        r = run_loop(&c, seconds);
        report("poller thread, silent server (+ silent EVSE)", &r);
        mb_poller_free(c.poller);
    }

    /* 3: a shared RTU bus: a live meter (unit 1) and a dead unit (9). */
    {
        char dir[] = "/tmp/ampshare-bench-XXXXXX";
        if (!mkdtemp(dir)) {
            return 1;
        }
        char pty[300], client[320];
        snprintf(pty, sizeof(pty), "pty:%s/link", dir);
        struct sim_mbsrv *line = make_line(pty);
        struct sim_meter *live;
        sim_meter_new(line, 1, map, &live);
        snprintf(client, sizeof(client), "%s", sim_mbsrv_client_addr(line));
        struct turn_ctx c = {.evse_dev = -1};
        c.poller = make_poller(client);
        struct mb_poller_dev_cfg dead = meter;
        dead.unit = 9;
        c.dead_dev = mb_poller_add(c.poller, &dead);
        c.live_dev = mb_poller_add(c.poller, &meter);
        mb_poller_start(c.poller);
        r = run_loop(&c, seconds);
        report("poller thread, rtu bus: dead unit + live meter", &r);
        mb_poller_free(c.poller);
        sim_meter_free(live);
        sim_mbsrv_free(line);
        snprintf(pty, sizeof(pty), "%s", dir);
        remove(pty);
    }

    /* 4: the rejected design, one synchronous transaction per turn, against the silent server. */
    {
        struct turn_ctx c = {.dead_dev = -1, .live_dev = -1, .evse_dev = -1, .map = map};
        struct tp_addr a;
        tp_addr_parse(sim_mbsrv_client_addr(mute), &a, NULL, 0);
        struct mb_bus_opts bo = {.timeout_ms = TIMEOUT_MS};
        mb_bus_new(&a, &bo, &c.sync_bus);
        mb_map_plan(map, &c.plan);
        r = run_loop(&c, seconds);
        report("in-loop read (rejected), silent server", &r);
        mb_bus_free(c.sync_bus);
    }
    sim_meter_free(mute_meter);
    sim_mbsrv_free(mute);
    return 0;
}
