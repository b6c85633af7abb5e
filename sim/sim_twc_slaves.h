/* SPDX-License-Identifier: MIT */
/*
 * Several simulated slaves sharing one bus endpoint: every slave hears every byte the master
 * sends, and their frames go out one after another (half duplex, §1). Pure: glue it to any byte
 * transport (tp_mem, a TCP listener, a pty) with a few lines.
 */
#ifndef SIM_TWC_SLAVES_H
#define SIM_TWC_SLAVES_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim_twc_slave.h"

/* A real bus holds 1 master and at most 3 slaves (§1); more are allowed for tests of a 4th. */
#define SIM_TWC_SLAVES_MAX 8

struct sim_twc_slaves {
    struct sim_twc_slave slave[SIM_TWC_SLAVES_MAX];
    size_t n;
    struct twc_deframer df; /* what every slave hears, decoded once (df_own: one decodes its own) */
    const bool *poll_all;   /* when set and true (a clock in lockstep): every slave every poll */
};

void sim_twc_slaves_init(struct sim_twc_slaves *set);

/* Adds a slave (see sim_twc_slave_init). Returns its index, -ENOSPC when full, or -EINVAL. */
int sim_twc_slaves_add(struct sim_twc_slaves *set,
                       const struct sim_twc_slave_cfg *cfg,
                       const struct sim_car_cfg *car,
                       uint64_t now_ms);

/* Feeds bytes from the bus to every slave; frames are decoded once for all that share them. */
void sim_twc_slaves_on_bytes(struct sim_twc_slaves *set,
                             uint64_t now_ms,
                             const uint8_t *buf,
                             size_t len);

/* Collects every frame due at now_ms from all slaves, in slave order (see sim_twc_slave_poll). */
size_t sim_twc_slaves_poll(
    struct sim_twc_slaves *set, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms);

/* Returns the slave with this TWCID, or NULL. Borrowed from set. */
struct sim_twc_slave *sim_twc_slaves_find(struct sim_twc_slaves *set, uint16_t id);

#endif
