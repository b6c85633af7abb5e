/* SPDX-License-Identifier: MIT */
/*
 * A simulated Wall Connector Gen 2 slave (rotary switch on F) that speaks real bytes through the
 * codec: linkready every 10 s until a master heartbeats it (§6.2), a heartbeat reply after a short
 * delay (§6.2), the limit echoed including 0 (§5.2), the car's actual current (§5.3), back to
 * linkready when heartbeats stop (§6.4), and a trailer byte after every frame (§2.2).
 * Pure sans-I/O state machine: bytes in with on_bytes, bytes out with poll, time passed in.
 */
#ifndef SIM_TWC_SLAVE_H
#define SIM_TWC_SLAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/twc/twc_codec.h"
#include "sim/sim_car.h"

enum sim_twc_proto {
    SIM_TWC_V1 = 1,  /* 2016 - early 2017 firmware: 14-byte frames */
    SIM_TWC_V2 = 2,  /* 2017+ firmware: 16-byte frames */
    SIM_TWC_EXT = 3, /* firmware 4.5.3: v2 plus the 20-byte queries and FC B1/B2 (§4.2) */
};

struct sim_twc_slave_cfg {
    uint16_t id;                    /* TWCID, big-endian on the wire (§4.1) */
    uint8_t sign;                   /* random per power-up (§4.1) */
    enum sim_twc_proto proto;       /* frame lengths and features */
    uint16_t max_ca;                /* linkready maximum: 3200 EU, 8000 US (§4.3) */
    int trailer;                    /* byte after every closing C0, or -1 for none (§2.2) */
    uint32_t reply_delay_ms;        /* heartbeat to reply (§6.2: about 0.2 s seen; 20-200) */
    uint32_t linkready_interval_ms; /* 10 s (§6.2) */
    uint32_t linkready_first_ms;    /* first linkready this long after init (stagger on a bus) */
    uint32_t hb_loss_ms;            /* no heartbeat this long: linkready again (§6.4: 10 s) */
    uint32_t car_stop_ms;         /* no heartbeat this long: the car stops (§6.4, §9 #12: 25 s) */
    uint16_t unplugged_actual_ca; /* "actual" with nothing plugged in: 0 or 25 (§5.2) */
    uint16_t noload_actual_ca;    /* "actual" while a plugged-in car draws nothing: 0 or 25
                                     (§5.2: some units show such an offset with no load) */
    uint32_t adjust_up_ms;        /* cmd 06: report 0A after this (§5.1: about 44 s) */
    uint32_t adjust_down_ms;      /* cmd 07: the 2 A come back after this (§5.1: 10 s) */
    uint32_t adjust_done_ms;      /* cmd 07: report 0A after this (§5.1: about 13 s) */
    uint8_t fw[4];                /* FD EC on 4.5.3: 4.5.3.2 */
    char tsn[12];                 /* FD ED: 11 ASCII characters (§4.2) */
    uint16_t voltage_v[3];        /* FD EB phase voltages, integer volts (§7.4) */
    uint32_t energy_kwh;          /* FD EB counter at start, kWh (§7.4) */
    uint64_t seed;                /* PRNG for a new ID and sign after an ID clash (§6.6) */
};

/* Counters for tests and the command line. */
struct sim_twc_slave_stats {
    uint32_t frames_rx;      /* good frames heard (any address) */
    uint32_t bad_frames;     /* bad checksum, bad escape, overlong */
    uint32_t linkreadies_tx; /* FD E2 sent */
    uint32_t replies_tx;     /* FD E0 sent */
    uint32_t queries_tx;     /* FD EB/EC/ED/EE/EF/F1 and FD B1/B2 sent */
    uint32_t dropped_tx;     /* replies dropped because the queue was full */
};

#define SIM_TWC_TXQ 4

struct sim_twc_tx {
    uint64_t due_ms;
    uint8_t len;
    uint8_t wire[TWC_WIRE_MAX];
};

struct sim_twc_slave {
    struct sim_twc_slave_cfg cfg;
    struct sim_car car;
    bool has_car;
    struct twc_deframer df;
    bool df_own; /* df restarted at a power-on: a set's shared one cannot stand in for it yet */
    uint64_t quiet_until_ms; /* its last poll's next_ms, until anything else moves it (0) */
    uint16_t id;             /* may change after an ID clash (§6.6) */
    uint8_t sign;

    bool linked;           /* heartbeats are flowing: no linkready */
    bool error_latched;    /* cmd 02 received: one state 02 reply, then silent (§5.1) */
    bool error_reported;   /* the one state 02 reply has been queued */
    bool car_stopped;      /* car_stop_ms passed without heartbeats */
    bool resume_08;        /* comms came back after a car stop: state 08 until a limit (§6.4) */
    bool limit_set;        /* the master set a limit since the car was plugged in */
    bool contactor_open;   /* FC B2 (§7.1) until FC B1 */
    uint16_t master_id;    /* who heartbeats us */
    uint16_t limit_ca;     /* last limit set, echoed in d1-d2 (§5.2) */
    uint8_t adjust_cmd;    /* 06 or 07 while an adjustment runs (§5.1), else 0 */
    bool adjust_restored;  /* cmd 07: the 2 A have come back */
    uint64_t adjust_t0_ms; /* when the 06/07 arrived */
    bool ever_linked;      /* a heartbeat has been heard since init */
    bool muted;            /* its transmitter is dead: it hears, acts and says nothing */
    bool powered_off;      /* no power: it hears nothing, says nothing, offers nothing */
    uint64_t last_hb_ms;   /* last heartbeat addressed to us */
    uint64_t next_linkready_ms;
    uint64_t now_ms; /* last time seen */
    uint64_t energy_base_mw_ms;
    uint64_t rng;
    struct sim_twc_tx txq[SIM_TWC_TXQ];
    size_t txq_len;
    struct sim_twc_slave_stats stats;
};

/* What a slave is reporting, for people and tests. */
struct sim_twc_slave_view {
    uint16_t id;
    bool linked;
    uint16_t master_id;
    uint8_t state;      /* enum twc_slave_state, as the next reply would say */
    uint16_t limit_ca;  /* as the next reply would say */
    uint16_t actual_ca; /* as the next reply would say */
    enum sim_car_phase car_phase;
};

/*
 * Fills cfg with defaults: v2 (or the given proto), EU 32 A, trailer FE, 50 ms reply delay, 10 s
 * linkready interval and loss timeout, 25 s car stop, firmware 4.5.3.2, a TSN ending in the ID's
 * four hex digits (§4.1), 230 V.
 */
void sim_twc_slave_cfg_default(struct sim_twc_slave_cfg *cfg,
                               uint16_t id,
                               enum sim_twc_proto proto);

/*
 * Sets the linkready maximum and the voltages FD EB reports to what a unit of that region and
 * wiring says (§4.3, §7.4): above 32 A a North American split-phase unit, 240 V on L1 only;
 * otherwise 230 V on each of the 1 or 3 phases it is wired to.
 */
void sim_twc_slave_cfg_region(struct sim_twc_slave_cfg *cfg, uint16_t max_ca, unsigned phases);

/*
 * Starts a slave at now_ms with a car plugged in (car not NULL) or none. Copies both configs.
 * Returns 0, or -EINVAL for a bad config (ID 0000, bad proto, trailer > 255, TSN not 11 chars).
 */
int sim_twc_slave_init(struct sim_twc_slave *s,
                       const struct sim_twc_slave_cfg *cfg,
                       const struct sim_car_cfg *car,
                       uint64_t now_ms);

/* Feeds bytes heard on the bus (any chunking). Replies are queued for poll. */
void sim_twc_slave_on_bytes(struct sim_twc_slave *s,
                            uint64_t now_ms,
                            const uint8_t *buf,
                            size_t len);

/* Its car (s->car) was changed from outside (plugged, unplugged, made full...): its next poll
 * runs, whenever its last one said it had nothing to do. */
void sim_twc_slave_car_changed(struct sim_twc_slave *s);

/*
 * What sim_twc_slaves decoded once for all its slaves: msg heard at now_ms (or none), and bad
 * bad frames. A powered-off slave hears nothing. The slave's timers run to now_ms only for a
 * message that concerns it (to it, or a master's linkready): what it ignores leaves its time
 * to its next poll (quiet_until_ms), as a real unit ignores what is not its own.
 */
void sim_twc_slave_hear(struct sim_twc_slave *s,
                        uint64_t now_ms,
                        const struct twc_msg *msg,
                        uint32_t bad);

/*
 * Advances time and copies every frame due at now_ms into out (whole frames only). Returns the
 * byte count (0 = nothing to send). *next_ms is set to when to call again at the latest (timers,
 * the car's next change); frames that did not fit stay queued with *next_ms = now_ms.
 */
size_t sim_twc_slave_poll(
    struct sim_twc_slave *s, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms);

/* Plugs a car in (replacing any; a NULL or "none" car unplugs) or unplugs it. plug returns 0 or
 * -EINVAL for a bad car config (then no car is plugged in). */
int sim_twc_slave_plug(struct sim_twc_slave *s, uint64_t now_ms, const struct sim_car_cfg *car);
void sim_twc_slave_unplug(struct sim_twc_slave *s, uint64_t now_ms);

/* Faults. mute: the transmitter dies (or comes back); the unit still hears the master and
 * keeps its car at the limit it holds. power: the unit loses power (its car loses the offer and
 * stops) or boots again: a fresh start with the car still plugged in (linkready, no limit). */
void sim_twc_slave_mute(struct sim_twc_slave *s, bool muted);
void sim_twc_slave_power(struct sim_twc_slave *s, uint64_t now_ms, bool on);

/* Holds the reset button about 4 s: clears a latched error (§5.1 cmd 02). */
void sim_twc_slave_reset_button(struct sim_twc_slave *s, uint64_t now_ms);

/* Fills v with what the slave would report at now_ms (advances the car to now_ms). */
void sim_twc_slave_view(struct sim_twc_slave *s, uint64_t now_ms, struct sim_twc_slave_view *v);

#endif
