/* SPDX-License-Identifier: MIT */
/*
 * Fleet scenarios (docs/scenarios.md): a site file (the same schema as `ampshare run`), cars with
 * vehicle profiles, their arrivals, a duration and a seed, run in fast mode: the allocation engine
 * (alloc_tick: the same engine, policy and clamp as the gateway) on a fleet model, without bytes,
 * on a virtual clock. Same scenario + seed + policy = the same output.
 */
#ifndef AMPSHARE_SIM_FLEET_H
#define AMPSHARE_SIM_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/engine/site.h"
#include "sim/sim_sched.h"

#define FLEET_NAME_MAX 48

/* A vehicle model (fleet_profiles.c, sources noted there). */
struct fleet_profile {
    const char *name;
    const char *label;
    int32_t max_ma;       /* the on-board charger's most, per phase */
    uint8_t phases;       /* 1 or 3 */
    double battery_kwh;   /* usable */
    double taper_soc;     /* above this SoC the current falls linearly ... */
    int32_t taper_end_ma; /* ... to this at 100 % */
    int32_t gap_ma;       /* draws this much under the offer (twc-gen2.md §5.3: 0.8 A) */
    uint32_t start_ms;    /* from a usable offer to drawing (wake-up, contactor) */
    uint32_t follow_ms;   /* from an offer change to the draw following it */
    int32_t noload_ma;    /* what its EVSE reads while it draws nothing */
};

const struct fleet_profile *fleet_profile_find(const char *name);
/* Every profile, for --help and docs: NULL-terminated. */
const struct fleet_profile *fleet_profile_at(size_t i);

struct fleet_car {
    char name[FLEET_NAME_MAX];
    int charger; /* site EVSE index */
    const struct fleet_profile *p;
    uint64_t arrive_ms, depart_ms; /* depart 0: stays to the end */
    double soc0, soc_target;       /* 0..1 */
    bool tell;                     /* the driver gives departure and energy to ampshare */
    /* behaviour when full or paused */
    uint64_t wake_at_ms; /* 0: never; else draws wake_ma for wake_ms once full */
    int32_t wake_ma;
    uint32_t wake_ms;
    bool no_resume; /* does not resume after a pause until re-plugged */
    int priority;   /* unused by the model; kept for reports */
};

struct fleet_load { /* an uncontrolled load (building) on a circuit, amps per phase */
    int circuit;
    int32_t ma[3];
    uint64_t from_ms, to_ms; /* to 0: to the end */
    uint64_t ramp_ms;        /* rises linearly from 0 over this after from_ms (0: a step) */
};

/* What load ld draws on supply phase p at now_ms (0 on phases its circuit does not carry). */
int32_t fleet_load_ma(const struct site *site, const struct fleet_load *ld, uint64_t now_ms, int p);

/* Timed faults (docs/scenarios.md, [fault NAME]). */
enum fleet_fault_kind {
    FLEET_FAULT_METER_SILENT = 1,  /* a [meter] stops answering: its reading goes stale */
    FLEET_FAULT_EVSE_SILENT = 2,   /* a Modbus [evse] stops answering */
    FLEET_FAULT_SLAVE_SILENT = 3,  /* a Wall Connector's transmitter dies: it hears, keeps its
                                      car at the last limit, and says nothing */
    FLEET_FAULT_SLAVE_REBOOT = 4,  /* a Wall Connector loses power (its car stops) and boots
                                      again when the fault ends */
    FLEET_FAULT_SECOND_MASTER = 5, /* another master joins a [bus] */
};

struct fleet_fault {
    char name[FLEET_NAME_MAX];
    enum fleet_fault_kind kind;
    int target;             /* meter, EVSE or bus index per kind */
    uint64_t at_ms, for_ms; /* for 0: to the end */
};

/* True while fault f is in force at now_ms. */
bool fleet_fault_active(const struct fleet_fault *f, uint64_t now_ms);

struct fleet_scenario {
    char name[FLEET_NAME_MAX];
    char site_file[512];
    struct config *cfg;
    struct site *site;
    uint64_t duration_ms;
    uint32_t tick_ms;
    uint64_t seed;
    struct fleet_car *car;
    size_t n_car;
    struct fleet_load load[16];
    size_t n_load;
    struct fleet_fault fault[16];
    size_t n_fault;
    bool modbus_loopback; /* a run option (--modbus-loopback), not from the file: wire mode's
                             Modbus devices on libmodbus TCP servers on loopback, in real time */
};

/* Loads SCENARIO.ini (and the site file it names, relative to it). 0, or a negative errno with
 * err naming the file, line and key. */
int fleet_scenario_load(const char *path, struct fleet_scenario *sc, char *err, size_t errlen);
void fleet_scenario_free(struct fleet_scenario *sc);

struct fleet_charger_result {
    char name[FLEET_NAME_MAX];
    double energy_kwh, mean_a, max_a;
    double mean_a_others_idle; /* NAN when never */
};

struct fleet_result {
    char policy[256];
    double requested_kwh, delivered_kwh, delivered_pct;
    size_t sessions, served, unfinished;
    double peak_kw;
    double over_limit_s, over_limit_as;
    double max_over_a; /* the largest excess over any circuit's rating on any phase, one tick */
    double idle_waste_ah;
    double jain;
    double reclaim_s; /* NAN when no idle car ever freed current */
    double run_s;
    double mean_time_to_full_s, p95_time_to_full_s;
    int32_t *peak_ma; /* [n_circuit][3]: the highest physical current per circuit and phase */
    size_t n_circuit;
    struct fleet_charger_result *charger; /* [n_charger] */
    size_t n_charger;
};

/* Per-tick callback: the physical current (mA) of each site EVSE on each supply phase. */
typedef void (*fleet_tick_fn)(void *ctx, uint64_t now_ms, const int32_t (*evse_ma)[3], size_t n);

/* Runs the scenario in fast mode under policy (a built-in name or a .so path). */
int fleet_run_fast(const struct fleet_scenario *sc,
                   const char *policy,
                   struct fleet_result *res,
                   fleet_tick_fn on_tick,
                   void *ctx,
                   char *err,
                   size_t errlen);
/* The same in wire mode (sim/fleet/fleet_wire.h): real bytes between ampshare's master and
 * simulated Wall Connectors, whose cars (sim_car) are the physics. */
int fleet_run_wire(const struct fleet_scenario *sc,
                   const char *policy,
                   struct fleet_result *res,
                   fleet_tick_fn on_tick,
                   void *ctx,
                   char *err,
                   size_t errlen);

/* --realtime: fn returns once the wall clock has reached virtual time at_ms (sim_sched.h); a
 * negative code (-EINTR: Ctrl-C) stops the run with it and a message naming the time. */
struct fleet_pace {
    sim_sched_pace_fn *fn;
    void *ctx;
};

/* Either mode (wire: true) with pace (NULL: as fast as the CPU allows). Wire mode is paced at
 * every bus event, fast mode at every tick. */
int fleet_run_paced(const struct fleet_scenario *sc,
                    const char *policy,
                    bool wire,
                    struct fleet_result *res,
                    fleet_tick_fn on_tick,
                    void *ctx,
                    const struct fleet_pace *pace,
                    char *err,
                    size_t errlen);
void fleet_result_free(struct fleet_result *res);

#endif
