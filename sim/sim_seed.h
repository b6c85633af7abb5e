/* SPDX-License-Identifier: MIT */
/*
 * The seed scenario (twc-gen2.md §7.3): a Tesla that wants more than the circuit and an idle
 * BMW i3 on a J1772 adapter share a 40 A circuit on two simulated slaves. Run once under the
 * simulated native master (the Tesla gets about 34 A) and once under ampshare's own master
 * (drivers/twc/twc_master), in virtual time, with real bytes over a tp_mem bus.
 */
#ifndef SIM_SEED_H
#define SIM_SEED_H

#include <stddef.h>
#include <stdint.h>

enum sim_seed_master {
    SIM_SEED_NATIVE = 1,   /* sim_native_master: the §7.3 reading */
    SIM_SEED_AMPSHARE = 2, /* twc_master, with the demo allocation of sim_seed.c */
};

#define SIM_SEED_TESLA_ID 0x2019
#define SIM_SEED_I3_ID    0x2431
#define SIM_SEED_SAMPLES  64

struct sim_seed_cfg {
    int32_t circuit_ma;   /* 40000 */
    uint64_t duration_ms; /* virtual time to run: 60000 */
    uint32_t sample_ms;   /* one timeline row every sample_ms: 5000 */
};

struct sim_seed_unit {
    uint8_t state;      /* as the slave reports it (§5.2) */
    uint16_t limit_ca;  /* the limit echo */
    uint16_t actual_ca; /* measured current */
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

void sim_seed_cfg_default(struct sim_seed_cfg *cfg);

/* Runs the scenario under one master. Returns 0, -EINVAL for a bad cfg, or a transport code. */
int sim_seed_run(enum sim_seed_master which,
                 const struct sim_seed_cfg *cfg,
                 struct sim_seed_result *res);

#endif
