/* SPDX-License-Identifier: MIT */
/*
 * Fast mode cost (issue 14): a 30-day, 100-charger site at 1-minute steps (goal under 1 s CPU):
 * 100 Modbus EVSEs (16 A, 3-phase) in 10 sub-panels of 100 A under a 400 A supply, 2,000 cars
 * from the seeded arrival generator, equal_share and idle_reclaim. Also i3-idle and shortage at
 * their 1 s ticks, and wire mode (real bytes at 9600 8N1 in event time, ampshare's twc_bus and
 * control loop) on i3-idle, shortage (3 buses) and one bus of 3 Wall Connectors for an hour
 * (goal >= 1e5 simulated s per CPU s), the last also as the wire engine alone, in event time and
 * in 1 ms lockstep (the simulator before event time), and the canonical office-day (meters and
 * Modbus EVSEs through ctl_mb in memory) and faults. Simulated seconds per CPU second, the best
 * of 3 runs (1 for lockstep); each wire engine alone also by party. Prints figures; never a
 * test.
 *   bench_fleet [SRC_DIR]   (default: the source tree it was built from)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/engine/policy_loader.h"
#include "drivers/base/log.h"
#include "sim/fleet/fleet.h"
#include "sim/fleet/fleet_wire.h"
#include "sim/sim_sched.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench(const char *path, const char *policy, bool wire)
{
    struct fleet_scenario sc;
    char err[512];
    if (fleet_scenario_load(path, &sc, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_fleet: %s\n", err);
        exit(1);
    }
    struct fleet_result r;
    double best = 1e9;
    for (int i = 0; i < 3; i++) {
        double t0 = cpu_now();
        int rc = wire ? fleet_run_wire(&sc, policy, &r, NULL, NULL, err, sizeof(err))
                      : fleet_run_fast(&sc, policy, &r, NULL, NULL, err, sizeof(err));
        if (rc != 0) {
            fprintf(stderr, "bench_fleet: %s\n", err);
            exit(1);
        }
        double t = cpu_now() - t0;
        best = t < best ? t : best;
        if (i < 2) {
            fleet_result_free(&r);
        }
    }
    double sim_s = (double)sc.duration_ms / 1000;
    printf("%-5s %-22s %-13s %4zu chargers %5zu cars %8.0f ticks: %8.3f s CPU, %.3g sim s / CPU s "
           "(%.1f %% delivered)\n",
           wire ? "wire" : "fast", sc.name, policy, sc.site->n_evse, sc.n_car,
           sim_s * 1000 / sc.tick_ms, best, sim_s / best, r.delivered_pct);
    fleet_result_free(&r);
    fleet_scenario_free(&sc);
}

/*
 * The wire engine alone (sim_sched, sim_vbus, sim_gw's twc_bus and control loop, the slaves and
 * their cars), without the fleet loop's metrics: the scenario's cars plugged in at their times,
 * run in 1 s steps for its duration. Event time, and lockstep (every party every millisecond:
 * what the simulator did before event time) beside it.
 */
static void bench_engine(const char *path, const char *policy, bool lockstep)
{
    struct fleet_scenario sc;
    char err[512] = "";
    struct policy_handle ph;
    if (fleet_scenario_load(path, &sc, err, sizeof(err)) != 0 ||
        policy_open(policy, &ph, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_fleet: %s\n", err);
        exit(1);
    }
    double best = 1e9;
    for (int round = 0; round < (lockstep ? 1 : 3); round++) { /* best of 3, as bench() */
        struct fleet_wire *w = NULL;
        if (fleet_wire_new(&sc, ph.policy, &w, err, sizeof(err)) != 0) {
            fprintf(stderr, "bench_fleet: %s\n", err);
            exit(1);
        }
        struct sim_sched *s = fleet_wire_sched(w);
        sim_sched_set_lockstep(s, lockstep);
        double t0 = cpu_now();
        for (uint64_t now = 0; now < sc.duration_ms; now += 1000) {
            for (size_t k = 0; k < sc.n_car; k++) {
                if (sc.car[k].arrive_ms == now) {
                    fleet_wire_plug(w, sc.car[k].charger, &sc.car[k], 50, now);
                }
            }
            if (fleet_wire_run(w, now) != 0) {
                fprintf(stderr, "bench_fleet: the wire engine failed\n");
                exit(1);
            }
        }
        double t = cpu_now() - t0;
        best = t < best ? t : best;
        if (round == (lockstep ? 0 : 2)) {
            double sim_s = (double)sc.duration_ms / 1000;
            printf("wire  %-22s %-13s engine alone, %-9s: %8.3f s CPU, %.3g sim s / CPU s "
                   "(%.1f services, %.1f clock stops per sim s; %llu collisions)\n",
                   sc.name, policy, lockstep ? "1 ms step" : "event", best, sim_s / best,
                   (double)s->stats.services / sim_s, (double)s->stats.turns / sim_s,
                   (unsigned long long)fleet_wire_collisions(w));
            for (size_t i = 0; i < s->n; i++) {
                printf("      %-20s %8.1f services per sim s\n", s->party[i].name,
                       (double)s->party[i].services / sim_s);
            }
        }
        fleet_wire_free(w);
    }
    policy_close(&ph);
    fleet_scenario_free(&sc);
}

/* One bus of three Wall Connectors (bus3.ini beside it): two Teslas and an i3 a minute apart. */
static void write_bus3(const char *path, const char *name, int duration_s)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "[scenario]\nname = %s\nsite = bus3.ini\nduration_s = %d\n", name, duration_s);
    for (int e = 0; e < 3; e++) {
        fprintf(f, "[car c%d]\ncharger = wc%d\nprofile = %s\narrive_s = %d\n", e, e,
                e == 1 ? "bmw-i3" : "tesla-model-s", e * 60);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    log_set_sink(NULL, NULL, LOG_LEVEL_WARN); /* the simulated gateway's journal is not a figure */
    const char *src = argc > 1 ? argv[1] : AMPSHARE_SRC_DIR;
    char dir[] = "/tmp/amp_bench_fleet_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char site[256], scen[256];
    snprintf(site, sizeof(site), "%s/site.ini", dir);
    snprintf(scen, sizeof(scen), "%s/month-100.ini", dir);
    FILE *f = fopen(site, "w");
    fprintf(f, "[site]\nname = month\nsupply_limit_a = 400\nphases = 3\nvoltage_v = 230\n"
               "[policy]\nname = equal_share\n");
    for (int p = 0; p < 10; p++) {
        fprintf(f, "[circuit panel%d]\nlimit_a = 100\n", p);
    }
    for (int e = 0; e < 100; e++) {
        fprintf(f,
                "[evse ev%03d]\ncontrol = modbus\ncontrol_transport = tcp://127.0.0.1:%d\n"
                "control_map = heidelberg-ec\ncircuit = panel%d\nmax_current_a = 16\nphases = 3\n"
                "phase_map = L1,L2,L3\n",
                e, 15020 + e, e / 10);
    }
    fclose(f);
    f = fopen(scen, "w");
    fprintf(f,
            "[scenario]\nsite = site.ini\nduration_s = %d\ntick_ms = 60000\nseed = 7\n"
            "[arrivals]\ncount = 2000\nfirst_s = 0\nspread_s = %d\ndwell_s = 28800\n"
            "dwell_spread_s = 14400\nsoc = 40\nsoc_spread = 25\ntarget_soc = 90\n"
            "profiles = tesla-model-3,renault-zoe,bmw-i3,tesla-model-s\n",
            30 * 86400, 29 * 86400);
    for (int e = 0; e < 100; e++) { /* ten to a line: inih's lines are short */
        fprintf(f, "%sev%03d%s", e % 10 ? "," : "chargers = ", e, e % 10 == 9 ? "\n" : "");
    }
    fclose(f);
    bench(scen, "equal_share", false);
    bench(scen, "idle_reclaim", false);
    char path[512];
    snprintf(path, sizeof(path), "%s/etc/scenarios/i3-idle.ini", src);
    bench(path, "idle_reclaim", false);
    bench(path, "idle_reclaim", true);
    snprintf(path, sizeof(path), "%s/etc/scenarios/shortage.ini", src);
    bench(path, "priority", false);
    bench(path, "priority", true);
    /* wire mode: one bus of three Wall Connectors, an hour */
    char site3[256], scen3[256];
    snprintf(site3, sizeof(site3), "%s/bus3.ini", dir);
    snprintf(scen3, sizeof(scen3), "%s/bus3-hour.ini", dir);
    f = fopen(site3, "w");
    fprintf(f,
            "[site]\nname = bus3\nsupply_limit_a = 63\nphases = 1\n[circuit garage]\nlimit_a = 63\n"
            "[bus rs485]\ntransport = pty:/tmp/ampshare-bench-bus3\nmaster_address = 7a7a\n");
    for (int e = 0; e < 3; e++) {
        fprintf(f,
                "[wallconnector wc%d]\nbus = rs485\naddress = %04x\ncircuit = "
                "garage\nmax_current_a = 32\n",
                e, 0x2001 + e);
    }
    fprintf(f, "[policy]\nname = equal_share\n");
    fclose(f);
    write_bus3(scen3, "bus3-hour", 3600);
    bench(scen3, "equal_share", true);
    bench(scen3, "equal_share", false);
    bench_engine(scen3, "equal_share", false);
    bench_engine(scen3, "equal_share", true); /* a day of this would take a minute */
    /* a whole day, the cars full by the afternoon: long enough to time well */
    char day3[256];
    snprintf(day3, sizeof(day3), "%s/bus3-day.ini", dir);
    write_bus3(day3, "bus3-day", 86400);
    bench(day3, "equal_share", true);
    bench_engine(day3, "equal_share", false);
    /* office-day: 8 Wall Connectors on 3 buses, a grid meter, three metered third-party EVSEs
     * (the Heidelberg written through ctl_mb in memory), 25 cars through a working day */
    snprintf(path, sizeof(path), "%s/etc/scenarios/office-day.ini", src);
    bench(path, "equal_share", true);
    bench(path, "equal_share", false);
    bench_engine(path, "equal_share", false);
    snprintf(path, sizeof(path), "%s/etc/scenarios/faults.ini", src);
    bench(path, "equal_share", true);
    unlink(site3);
    unlink(scen3);
    unlink(day3);
    unlink(site);
    unlink(scen);
    rmdir(dir);
    return 0;
}
