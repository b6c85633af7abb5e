/* SPDX-License-Identifier: MIT */
/*
 * A virtual-time RS485 bus: a master party and a slaves party exchanging real bytes over an
 * in-memory transport (tp_mem), stepped in virtual milliseconds. Runs minutes of bus traffic in
 * milliseconds of CPU. Each party is any pure sans-I/O state machine behind two callbacks.
 */
#ifndef SIM_VBUS_H
#define SIM_VBUS_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/transport/tp.h"
#include "sim/sim_native_master.h"
#include "sim/sim_twc_slaves.h"

/* Bytes heard on the bus at now_ms. */
typedef void sim_vbus_rx_fn(void *ctx, uint64_t now_ms, const uint8_t *buf, size_t len);
/* Bytes to transmit at now_ms (0 for none); *next_ms is when to call again at the latest. */
typedef size_t
sim_vbus_tx_fn(void *ctx, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms);

struct sim_vbus_party {
    sim_vbus_rx_fn *rx;
    sim_vbus_tx_fn *tx;
    void *ctx; /* borrowed; must outlive the bus */
};

enum {
    SIM_VBUS_MASTER = 0,
    SIM_VBUS_SLAVES = 1,
};

struct sim_vbus {
    struct tp_mem_bus *bus;
    struct tp *ep[2];
    struct sim_vbus_party party[2];
    uint64_t now_ms;
    uint64_t bytes_tx[2]; /* bytes each party wrote */
};

/* Makes the bus (allocates the tp_mem endpoints) with time starting at start_ms. Returns 0 or a
 * negative code; on failure nothing is left allocated. */
int sim_vbus_init(struct sim_vbus *vb,
                  const struct sim_vbus_party *master,
                  const struct sim_vbus_party *slaves,
                  uint64_t start_ms);

/* Runs both parties in steps of step_ms until now_ms reaches until_ms. Returns 0, or a negative
 * code from the transport. */
int sim_vbus_run(struct sim_vbus *vb, uint64_t until_ms, uint32_t step_ms);

/* Frees the endpoints and the bus. Safe on a zeroed or failed struct. */
void sim_vbus_fini(struct sim_vbus *vb);

/* Ready-made parties: a slave set and the native master (ctx is the object). */
void sim_vbus_party_slaves(struct sim_vbus_party *p, struct sim_twc_slaves *set);
void sim_vbus_party_native(struct sim_vbus_party *p, struct sim_native_master *m);

#endif
