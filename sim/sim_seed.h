/* SPDX-License-Identifier: MIT */
/*
 * The seed scenario (twc-gen2.md §7.3): a Tesla that wants more than the circuit and an idle
 * BMW i3 on a J1772 adapter share a 40 A circuit on two simulated slaves. Run once under the
 * simulated native master (the Tesla gets about 34 A) and once under ampshare's own master
 * (drivers/twc/twc_master) driven by the real allocation engine through controller/ctl_twc, in
 * virtual time, with real bytes over a tp_mem bus.
 */
#ifndef SIM_SEED_H
#define SIM_SEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/ctl_twc.h"
#include "sim/sim_twc_slaves.h"

enum sim_seed_master {
    SIM_SEED_NATIVE = 1,   /* sim_native_master: the §7.3 reading */
    SIM_SEED_AMPSHARE = 2, /* twc_master + ctl_twc: the allocation engine and a policy */
};

#define SIM_SEED_TESLA_ID 0x2019
#define SIM_SEED_I3_ID    0x2431
#define SIM_SEED_SAMPLES  64
#define SIM_SEED_WHY_MAX  64
#define SIM_SEED_INI_MAX  1024

struct sim_seed_cfg {
    int32_t circuit_ma;    /* 40000 */
    int32_t overcommit_ma; /* ampshare: the circuit's overcommit_a (0) */
    char policy[256];      /* ampshare: the [policy] name, a built-in or a .so path */
    uint64_t duration_ms;  /* virtual time to run: 150000 */
    uint32_t sample_ms;    /* one timeline row every sample_ms: 15000 */
    uint64_t wake_i3_ms;   /* the idle i3 wants energy again at this time; 0 = never */
    uint64_t i3_full_ms;   /* > 0: the i3 charges from the start and is full from this time on */
    bool i3_jump;          /* the i3 takes its whole offer at once when it starts (no 1.3 A step) */
    bool tesla_lock;       /* the Tesla has the "6 A lock" of twc-gen2.md §7.1 (sim_car lock_6a) */
};

struct sim_seed_unit {
    uint8_t state;              /* as the slave reports it (§5.2) */
    uint16_t limit_ca;          /* the limit the slave holds and echoes */
    uint16_t actual_ca;         /* measured current */
    char why[SIM_SEED_WHY_MAX]; /* ampshare: the engine's reason; "" under the native master */
};

struct sim_seed_sample {
    uint64_t t_ms;
    struct sim_seed_unit tesla, i3;
};

struct sim_seed_result {
    struct sim_seed_sample sample[SIM_SEED_SAMPLES];
    size_t n;                       /* rows filled */
    struct sim_seed_unit tesla, i3; /* at the end */
    uint64_t bytes_master, bytes_slaves;
};

/* The seed's two slaves (the Tesla at SIM_SEED_TESLA_ID, the i3 at SIM_SEED_I3_ID: US 80 A
 * units, firmware v2; cars as cfg says) into an empty set, at time 0. The demo site uses them
 * too. 0 or a code. */
int sim_seed_add_slaves(struct sim_twc_slaves *set, const struct sim_seed_cfg *cfg);

/* Fills cfg with the defaults above. */
void sim_seed_cfg_default(struct sim_seed_cfg *cfg);

/*
 * The site the ampshare half runs (INI text: one 40 A circuit "garage", the Tesla's Wall
 * Connector at address 2019, the i3's at `address = auto`, the policy and overcommit of cfg).
 * Returns the length, or -EMSGSIZE.
 */
int sim_seed_site_ini(const struct sim_seed_cfg *cfg, char *buf, size_t cap);

struct sim_seed;

/*
 * Sets the scenario up at virtual time 0 under one master. Allocates; the caller owns *out
 * (sim_seed_free). Returns 0, -EINVAL for a bad cfg (message in err), -ENOENT for an unknown
 * policy, -ENOMEM, or a transport code.
 */
int sim_seed_new(enum sim_seed_master which,
                 const struct sim_seed_cfg *cfg,
                 struct sim_seed **out,
                 char *err,
                 size_t errlen);

/* Frees it; NULL is allowed. */
void sim_seed_free(struct sim_seed *s);

/* Runs the bus in event time up to until_ms (waking the i3, or making it full, on the way when
 * cfg says so).
 * Returns 0 or a transport code. */
int sim_seed_advance(struct sim_seed *s, uint64_t until_ms);

/* Virtual time now. */
uint64_t sim_seed_now(const struct sim_seed *s);

/* What slave `id` reports now, with the engine's reason for its target (ampshare). 0 or
 * -ENOENT. */
int sim_seed_unit(struct sim_seed *s, uint16_t id, struct sim_seed_unit *u);

/* The car behind slave `id` wants energy again from now on (sim_car_want). 0 or -ENOENT. */
int sim_seed_wake(struct sim_seed *s, uint16_t id);

/* Bytes sent so far by the master and by the slaves. */
void sim_seed_bytes(const struct sim_seed *s, uint64_t *master, uint64_t *slaves);

struct sim_sched;
struct sim_vbus;

/* The clock and the bus (borrowed): a test may run the clock in lockstep, or tap the bus. */
struct sim_sched *sim_seed_sched(struct sim_seed *s);
struct sim_vbus *sim_seed_vbus(struct sim_seed *s);

/* The control loop of the ampshare half (borrowed), or NULL under the native master. */
const struct ctl *sim_seed_ctl(const struct sim_seed *s);

/*
 * Runs the whole scenario and samples it every cfg->sample_ms. Returns what sim_seed_new or
 * sim_seed_advance returns; err gets a message for a bad cfg or policy.
 */
int sim_seed_run(enum sim_seed_master which,
                 const struct sim_seed_cfg *cfg,
                 struct sim_seed_result *res,
                 char *err,
                 size_t errlen);

#endif
