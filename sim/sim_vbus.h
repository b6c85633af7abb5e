/* SPDX-License-Identifier: MIT */
/*
 * A virtual-time RS485 bus: parties exchanging real bytes, each through its own in-memory port
 * (a tp_mem pair whose far end the bus holds), on the event-time clock of sim/sim_sched. Runs
 * hours of bus traffic in milliseconds of CPU.
 *
 * The wire: what a party writes goes out at the bus rate (9600 8N1 for Wall Connectors,
 * twc-gen2.md §1: 10 bits a byte, 1.04 ms), one transmission after another per party, and every
 * other party hears it when its last byte is through (whole, at the first millisecond after),
 * and is woken then. Two parties on the air at once are counted as a collision; their bytes are
 * not mixed (the masters under test avoid talking over the slaves; this counts when they fail
 * to). Baud 0 delivers at once, as the bus did before it had wire time.
 *
 * A party is either
 *   - a port party: any sans-I/O driver that reads and writes its port itself (twc_bus over a
 *     tp_link, as the gateway runs it); the caller owns the port; or
 *   - a bytes party: a pure state machine behind rx/tx callbacks (simulated slaves, the native
 *     master); the bus reads its port into rx and writes what tx returns.
 * The bus registers one party for the wire, then one per port, on the scheduler.
 */
#ifndef SIM_VBUS_H
#define SIM_VBUS_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/transport/tp.h"
#include "sim/sim_native_master.h"
#include "sim/sim_sched.h"
#include "sim/sim_twc_slaves.h"

#define SIM_VBUS_BAUD    9600 /* twc-gen2.md §1: 9600 8N1 */
#define SIM_VBUS_PORTS   8
#define SIM_VBUS_FLIGHTS 32  /* transmissions on the wire at once */
#define SIM_VBUS_CHUNK   512 /* bytes per transmission record: 3 slaves answering at once */

/* Bytes heard on the bus at now_ms. */
typedef void sim_vbus_rx_fn(void *ctx, uint64_t now_ms, const uint8_t *buf, size_t len);
/* A tap: a transmission of port `from`, heard by the others at at_ms (traces, tests). */
typedef void sim_vbus_tap_fn(void *ctx, uint64_t at_ms, int from, const uint8_t *buf, size_t len);
/* Bytes to transmit at now_ms (0 for none); *next_ms is when to call again at the latest. */
typedef size_t
sim_vbus_tx_fn(void *ctx, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms);

struct sim_vbus;

struct sim_vbus_port {
    struct sim_vbus *vb;
    char name[64];
    int party;        /* index in the scheduler */
    struct tp *wire;  /* the bus's end of the party's pair */
    struct tp *own;   /* a bytes party's end (the bus owns it); NULL for a port party */
    sim_sched_fn *fn; /* a port party's service */
    sim_vbus_rx_fn *rx;
    sim_vbus_tx_fn *tx;
    void *ctx;
    uint64_t tx_free_us; /* when its transmitter is idle again */
    uint64_t bytes_tx;
};

struct sim_vbus_flight {
    uint64_t at_ms; /* heard by the others then */
    uint16_t from;  /* port index */
    uint16_t len;
    uint8_t b[SIM_VBUS_CHUNK];
};

struct sim_vbus_stats {
    uint64_t collisions; /* transmissions that overlapped another party's */
    uint64_t overruns;   /* bytes lost: more transmissions in flight than records */
};

struct sim_vbus {
    struct sim_sched *sched; /* borrowed */
    char name[32];
    uint32_t baud;
    int wire_party;
    struct sim_vbus_port port[SIM_VBUS_PORTS];
    size_t n_port;
    struct sim_vbus_flight flight[SIM_VBUS_FLIGHTS];
    size_t n_flight;
    uint64_t air_until_us; /* the wire is busy until then ... */
    size_t air_from;       /* ... with this port's bytes */
    sim_vbus_tap_fn *tap;
    void *tap_ctx;
    struct sim_vbus_stats stats;
};

/*
 * Makes a bus named name on sched (borrowed; it must outlive the bus), at baud (0: bytes arrive
 * at once) and registers its wire as a party. Returns 0 or -ENOSPC (scheduler full).
 */
int sim_vbus_init(struct sim_vbus *vb, struct sim_sched *sched, const char *name, uint32_t baud);

/*
 * Adds a port party: fn(ctx, now, &next) does its own reads and writes on *port (owned by the
 * caller from here: tp_free it, or hand it to a tp_link). Returns the port index, -ENOSPC or
 * -ENOMEM.
 */
int sim_vbus_add_port(
    struct sim_vbus *vb, const char *name, sim_sched_fn *fn, void *ctx, struct tp **port);

/* Adds a bytes party (ctx borrowed). Returns the port index, -ENOSPC or -ENOMEM. */
int sim_vbus_add_bytes(
    struct sim_vbus *vb, const char *name, sim_vbus_rx_fn *rx, sim_vbus_tx_fn *tx, void *ctx);

/* Ready-made bytes parties: a slave set and the native master (borrowed). */
int sim_vbus_add_slaves(struct sim_vbus *vb, struct sim_twc_slaves *set);
int sim_vbus_add_native(struct sim_vbus *vb, struct sim_native_master *m);

/* Sets (NULL: clears) the tap, called for every transmission as it is heard. */
void sim_vbus_set_tap(struct sim_vbus *vb, sim_vbus_tap_fn *fn, void *ctx);

/* Port p's party is due at at_ms at the latest (its state changed from outside the bus). */
void sim_vbus_wake(struct sim_vbus *vb, int p, uint64_t at_ms);

/* Bytes port p has written so far. */
uint64_t sim_vbus_bytes_tx(const struct sim_vbus *vb, int p);

/* Frees the ports the bus holds. Safe on a zeroed struct. The scheduler keeps the parties:
 * free the bus only with (or after) the scheduler's last run. */
void sim_vbus_fini(struct sim_vbus *vb);

#endif
