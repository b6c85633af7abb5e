/* SPDX-License-Identifier: MIT */
/*
 * A simulated native Gen 2 master (a real Wall Connector with its rotary switch on a circuit
 * setting), speaking real bytes to slaves. It reproduces the behaviour the seed observed
 * (twc-gen2.md §7.3): about 6 A kept offered to every slave with a car connected, drawing or not,
 * and the rest of the circuit handed out by measured current. The exact native rule is an open
 * question (§9); docs/simulator.md gives this model's reading and where it is a guess.
 * Pure sans-I/O: bytes in with on_bytes, bytes out with poll, time passed in.
 */
#ifndef SIM_NATIVE_MASTER_H
#define SIM_NATIVE_MASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/twc/twc_codec.h"

/* A native master serves at most 3 slaves (§1, §6.3). */
#define SIM_NM_SLAVES_MAX 3

struct sim_native_master_cfg {
    uint16_t id;
    uint8_t sign;
    int32_t circuit_ma;    /* the rotary switch setting (§5.3), e.g. 40000 */
    int32_t reserve_ma;    /* kept for every connected car: the v2 minimum, 6000 (§4.1, §7.3) */
    int32_t reserve_v1_ma; /* the same for a v1 slave: 5000 (§4.1) */
    int32_t drawing_ma;    /* measured current at or above which a car counts as drawing */
    int32_t headroom_ma;   /* a car drawing this far below its offer is capped at draw + this */
    uint32_t saturated_ms; /* ... once it has drawn that little for this long */
    uint32_t probe_ms;     /* ... and the cap is lifted after this, to look for more */
    uint32_t hb_period_ms; /* one heartbeat per second to each slave (§6.3) */
    uint32_t hb_gap_ms;    /* minimum gap between two frames sent */
    uint32_t slave_timeout_ms; /* drop a slave silent this long (§6.4: about 26 s) */
    uint32_t announce_count;   /* FC E1 and then FB E2 frames at start-up (§6.1: 5 + 5) */
    uint32_t announce_gap_ms;  /* gap between them */
    int trailer;               /* byte after every closing C0, or -1 (§2.2) */
};

/* What the master knows about one slave. */
struct sim_nm_slave {
    bool used;
    uint16_t id;
    uint8_t proto;           /* 1 or 2, from the linkready's length (§4.1) */
    int32_t max_ma;          /* linkready maximum */
    bool replied;            /* at least one FD E0 heard */
    uint8_t state;           /* last reported state (§5.2) */
    int32_t echo_ma;         /* last echoed limit */
    int32_t actual_ma;       /* last measured current */
    int32_t target_ma;       /* what the allocation wants this slave to have */
    int32_t sent_ma;         /* last limit sent with 05/09 */
    uint64_t last_rx_ms;     /* last frame from it */
    uint64_t next_hb_ms;     /* next heartbeat due */
    uint64_t short_since_ms; /* drawing well below its offer since; 0 = not */
    int32_t cap_ma;          /* measured-current cap after a long shortfall; 0 = none */
    uint64_t cap_until_ms;   /* the cap is lifted then, to probe for more */
    bool hb_outstanding;     /* sent a heartbeat, no reply yet */
};

struct sim_native_master_stats {
    uint32_t heartbeats_tx;
    uint32_t limits_tx; /* heartbeats carrying 05/09 */
    uint32_t replies_rx;
    uint32_t linkreadies_rx;
    uint32_t slaves_dropped;
    uint32_t bad_frames;
};

struct sim_native_master {
    struct sim_native_master_cfg cfg;
    struct twc_deframer df;
    struct sim_nm_slave slave[SIM_NM_SLAVES_MAX];
    uint32_t announced;  /* announce frames sent so far */
    bool reject_pending; /* a 4th slave gets error 02, bit 1: "more than 3 slaves" (§5.1) */
    uint16_t reject_id;
    uint64_t next_tx_ms; /* earliest time for the next frame (hb_gap_ms) */
    uint64_t now_ms;
    struct sim_native_master_stats stats;
};

/* Defaults: ID 7E57, sign 3A, 40 A circuit, 6 A reserve (5 A on v1), 1 A "drawing", 2 A
 * headroom after 10 s (lifted after 60 s), 1 s per slave, 26 s timeout, 5 + 5 announcements 200 ms
 * apart, trailer FE.
 */
void sim_native_master_cfg_default(struct sim_native_master_cfg *cfg);

/* Starts the master at now_ms. Returns 0, or -EINVAL for a bad config. */
int sim_native_master_init(struct sim_native_master *m,
                           const struct sim_native_master_cfg *cfg,
                           uint64_t now_ms);

/* Feeds bytes heard on the bus (any chunking). */
void sim_native_master_on_bytes(struct sim_native_master *m,
                                uint64_t now_ms,
                                const uint8_t *buf,
                                size_t len);

/*
 * Advances time, reallocates, and copies the frame due at now_ms (at most one: half duplex) into
 * out. Returns its byte count or 0. *next_ms is when to call again at the latest.
 */
size_t sim_native_master_poll(
    struct sim_native_master *m, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms);

/* Returns the slave entry for this ID, or NULL. Borrowed; valid until the next call. */
const struct sim_nm_slave *sim_native_master_slave(const struct sim_native_master *m, uint16_t id);

/*
 * The allocation on its own (pure, exposed for tests): fills target_ma[i] for the used slaves of
 * m from their last reports, the §7.3 reading. Slots not in use get 0.
 */
void sim_native_master_allocate(const struct sim_native_master *m,
                                uint64_t now_ms,
                                int32_t target_ma[SIM_NM_SLAVES_MAX]);

#endif
