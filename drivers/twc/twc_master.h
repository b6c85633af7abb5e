/* SPDX-License-Identifier: MIT */
/*
 * The Wall Connector master as a pure state machine (twc-gen2.md §4–§7): frames and time in,
 * at most one frame to send and a queue of events out. No I/O, no clock, no allocation; the
 * caller owns struct twc_master. drivers/twc/twc_bus.h runs it over a byte transport.
 *
 * Loop contract: feed every decoded frame with twc_master_on_frame(), call twc_master_poll()
 * whenever the line has been idle a few ms and at out->next_ms at the latest, transmit what it
 * returns at once, and drain twc_master_next_event(). See docs/master.md.
 */
#ifndef TWC_MASTER_H
#define TWC_MASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/twc/twc_codec.h"

/* §1, §6.3: at most 4 units share a circuit, 1 master and 3 slaves; a 4th slave is refused
 * (native masters flash error 5) and reported as TWC_MEV_TOO_MANY_SLAVES. */
#define TWC_MASTER_SLAVES_MAX 3

/* §6.1: TWCManager's start-up burst is 5 x FC E1 then 5 x FB E2, 100 ms apart (native masters
 * send 5-7 FC E1 then exactly 5 FB E2). */
#define TWC_MASTER_BURST_FC_E1  5
#define TWC_MASTER_BURST_FB_E2  5
#define TWC_MASTER_BURST_GAP_MS 100
/* §6.3: a native master heartbeats each slave about once a second. */
#define TWC_MASTER_HB_PERIOD_MS 1000
/* §6.2: slaves answered after about 0.2 s in a TWCManager log, 6-25 ms on a pty; §1: TWCManager
 * waits 100 ms. 300 ms covers the slow case and still fits three silent slaves in a period. */
#define TWC_MASTER_REPLY_TIMEOUT_MS 300
/* §1 half duplex, §6.6: a short pause after each exchange lets the slave release the line. */
#define TWC_MASTER_TX_GAP_MS 50
/* §6.4: a master drops a slave after about 26 s without replies (TWCManager slaveTimeout). */
#define TWC_MASTER_SLAVE_TIMEOUT_MS 26000
/* §6.3, §7.4: TWCManager polls FB EB about once a minute. */
#define TWC_MASTER_METER_PERIOD_MS 60000
/* §6.3 starvation (ngardiner #453): at least this long between two info queries, and an info
 * query is sent only when no heartbeat is due (Wired-Square: 500 ms after a heartbeat). */
#define TWC_MASTER_INFO_GAP_MS 500
/* §6.3: VIN queries start when the car draws >= 1 A, retried every 60 s, at most 5 times
 * (§7.4: PR #434 capped TWCManager's endless retries). */
#define TWC_MASTER_VIN_TRIGGER_MA 1000
#define TWC_MASTER_VIN_RETRY_MS   60000
#define TWC_MASTER_VIN_TRIES      5
/* Ours: FB EC / FB ED are asked at most this often and this many times (pre-4.5.3 firmware
 * never answers them, §4.2). */
#define TWC_MASTER_INFO_RETRY_MS 60000
#define TWC_MASTER_INFO_TRIES    3
/* §4.1, §5.3, §9 #15: the least limit a slave accepts; below it means 0 (stop). */
#define TWC_MASTER_MIN_A_V1 5
#define TWC_MASTER_MIN_A_V2 6
/* §7.1, §9 #16: the spike that cancels the car's "6 A lock": 21 A for 80 A (US) slaves, 16 A
 * for others; §4.3: TWCManager picks by the linkready maximum (>= 80.00 A). */
#define TWC_MASTER_SPIKE_A      16
#define TWC_MASTER_SPIKE_A_80   21
#define TWC_MASTER_SPIKE_MAX_CA 8000
/* §7.1: hold the spike >= 5 s (3 s was not enough); at most one reduction per 5 s. */
#define TWC_MASTER_CUT_INTERVAL_MS 5000
/* §7.1: keep a started charge on >= 60 s and a stopped one off >= 60 s (startStopDelay). */
#define TWC_MASTER_START_STOP_HOLD_MS 60000
/* Ours: repeat the too-many-slaves warning for one ID at most once a minute. */
#define TWC_MASTER_WARN_REPEAT_MS 60000
/* §6.6, §3: the checksum leaves out the type byte, so one flipped bit turns a slave's FD E0 into
 * a master's FB E0. Another master is present only on consistent evidence: a second frame of a
 * master kind from the same ID, not a linked slave's, within this window (a native master sends
 * its burst 100 ms apart and heartbeats each slave about once a second, §6.1, §6.3). */
#define TWC_MASTER_CLASH_WINDOW_MS 5000
/* Ours: once no master frame from another ID has been heard for this long, the other master is
 * gone (switched to F, powered off); ampshare resumes with a fresh ID and sign and announces
 * itself again (§6.1). A native master heartbeats every second, so a present one is never quiet
 * this long while it has slaves. */
#define TWC_MASTER_CLASH_QUIET_MS 60000
/* Fixed event queue (oldest events are kept; overflow is counted). */
#define TWC_MASTER_EVENTS_MAX 32

struct twc_master_config {
    uint16_t id;  /* our TWCID; never 0000 (§7.5); twc_master_pick_id also avoids 7777 */
    uint8_t sign; /* our sign byte (§4.1), opaque */
    int trailer;  /* byte sent after the closing C0, or -1 for none (§2.2, §9 #1) */
    uint32_t burst_fc_e1, burst_fb_e2, burst_gap_ms;
    uint32_t hb_period_ms;
    uint32_t reply_timeout_ms;
    uint32_t tx_gap_ms;
    uint32_t slave_timeout_ms;
    uint32_t meter_period_ms; /* 0 disables FB EB */
    uint32_t info_gap_ms;
    bool query_info; /* FB EC / FB ED / VIN queries */
    int32_t spike_a, spike_a_80;
    uint32_t cut_interval_ms;
    uint32_t start_stop_hold_ms;
};

/* Why the offer to a slave changed (TWC_MEV_OFFER_CHANGED). */
enum twc_offer_reason {
    TWC_OFFER_TARGET = 1, /* the controller's target, at once */
    TWC_OFFER_SAFETY,     /* cut at once: the offer was above the controller's ceiling */
    TWC_OFFER_SPIKE,      /* §7.1 proactive spike on a raise below the spike current */
    TWC_OFFER_PACED,      /* a comfort reduction or start released after its §7.1 hold */
    TWC_OFFER_DROPPED,    /* the slave went silent */
};

enum twc_master_event_type {
    TWC_MEV_SLAVE_LINKED = 1, /* linkready heard and answered; u.link */
    TWC_MEV_SLAVE_DROPPED,    /* silent for slave_timeout_ms (§6.4) */
    TWC_MEV_STATE_CHANGED,    /* heartbeat state code changed; u.state */
    TWC_MEV_LIMIT_ECHOED,     /* the limit the slave reports changed; u.limit */
    TWC_MEV_OFFER_CHANGED,    /* the limit we command changed; u.offer */
    TWC_MEV_VERSION,          /* FD EC; u.version */
    TWC_MEV_SERIAL,           /* FD ED; u.text */
    TWC_MEV_VIN,              /* all three VIN parts in; u.text ("" when the car gave none) */
    TWC_MEV_METER,            /* FD EB; u.meter */
    TWC_MEV_MASTER_CLASH,     /* another master heard: we stopped transmitting; u.clash */
    TWC_MEV_MASTER_RESUMED,   /* the other master was quiet long enough: we announce again
                                 under a fresh ID; u.resumed */
    TWC_MEV_TOO_MANY_SLAVES,  /* a linkready beyond TWC_MASTER_SLAVES_MAX, not answered */
    TWC_MEV_ID_COLLISION,     /* a slave uses our ID: burst repeated (§6.6) */
};

struct twc_master_event {
    enum twc_master_event_type type;
    uint64_t at_ms;
    uint16_t slave_id;

    union {
        struct {
            uint8_t proto; /* 1 or 2, from the linkready length (§4.1) */
            uint8_t sign;
            int32_t max_ma;
            bool relink; /* the slave was already in the table */
        } link;

        struct {
            uint8_t old_state, new_state;
            bool first;
        } state;

        struct {
            int32_t limit_ma;
        } limit;

        struct {
            int32_t old_ma, new_ma;
            enum twc_offer_reason reason;
        } offer;
        struct twc_version version;
        struct twc_meter meter;

        struct {
            char text[18];
        } text;

        struct {
            uint16_t code; /* the foreign master's frame code */
        } clash;

        struct {
            uint16_t old_id, new_id; /* slave_id is the master that clashed */
            uint8_t new_sign;
        } resumed;
    } u;
};

/* Per-slave view for the controller (copied out; nothing borrowed). */
struct twc_master_slave_info {
    uint16_t id;
    uint8_t sign;
    uint8_t proto;                 /* 1 or 2 */
    int32_t max_ma;                /* linkready hardware maximum (§4.3) */
    bool replied;                  /* at least one heartbeat answered since linking */
    uint8_t state;                 /* last heartbeat state code (§5.2), valid when replied */
    int32_t limit_ma;              /* the limit the slave echoes (§5.2) */
    int32_t actual_ma;             /* measured current it reports */
    int32_t target_ma, ceiling_ma; /* as last set by the controller, after rounding/clamping */
    int32_t offered_ma;            /* what we command now (§7.1 pacing applied) */
    int32_t spike_ma;              /* the §7.1 spike it gets when the ceiling allows (16/21 A) */
    uint64_t linked_ms, last_heard_ms;
    bool fw_known;
    struct twc_version fw;
    bool ext; /* firmware 4.5.3 features seen (§4.1) */
    bool serial_known, vin_known, meter_known;
    char serial[18];
    char vin[18];
    struct twc_meter meter;
};

/* The few fields a controller reads every step (twc_master_briefs): cheap to copy. */
struct twc_master_brief {
    uint16_t id;
    bool replied;      /* at least one heartbeat answered since linking */
    uint8_t state;     /* last heartbeat state code (§5.2), valid when replied */
    int32_t limit_ma;  /* the limit the slave echoes */
    int32_t actual_ma; /* measured current it reports */
    int32_t target_ma; /* as last set by the controller */
    int32_t spike_ma;  /* the §7.1 spike it gets when the ceiling allows (16/21 A) */
    uint64_t linked_ms, last_heard_ms;
};

struct twc_master_stats {
    uint32_t frames_in, echoes, replies, reply_timeouts, unknown_src, foreign_dst;
    uint32_t heartbeats_sent, linkreadies_sent, queries_sent, guard_refusals;
    uint32_t clash_frames, idle_frames, events_lost;
    uint32_t clash_suspects; /* a master-kind frame not (yet) taken as another master */
    uint32_t clash_resumes;
};

/* Internal per-slave record; read it through twc_master_slave_at()/_find(). */
struct twc_master_slave {
    bool used, replied, answer_now, urgent;
    uint16_t id;
    uint8_t sign, proto, hb_len;
    uint16_t max_ca;
    uint8_t state;
    uint16_t limit_ca, actual_ca;
    uint64_t linked_ms, last_heard_ms, next_hb_ms;
    /* §7.1 pacing: the controller's request (mA) and its whole-amp form */
    int32_t req_target_ma, req_ceiling_ma;
    int32_t target_a, ceiling_a, offered_a;
    uint64_t changed_ms, started_ms, stopped_ms;
    bool has_stopped;
    /* info queries */
    bool fw_known, ext, fw_453, serial_known, vin_known, meter_known;
    struct twc_version fw;
    struct twc_meter meter;
    char serial[18];
    char vin[18];
    char vin_parts[3][8];
    uint8_t version_tries, serial_tries, vin_part, vin_fails;
    uint64_t next_version_ms, next_serial_ms, next_meter_ms, next_vin_ms;
};

struct twc_master {
    struct twc_master_config cfg;
    struct twc_master_slave slaves[TWC_MASTER_SLAVES_MAX];
    uint64_t last_now_ms;
    /* Counts inputs that may make a frame due sooner than the last poll's next_ms said (a frame
     * heard, a changed target; a repeated one is not counted): a driver that sees it change
     * polls again once the master may send (twc_master_tx_floor_ms) and the line is idle. */
    uint32_t input_seq;
    /* Bumped by every call that may change what twc_master_briefs() returns (a frame, a poll, a
     * new target): a reader that finds it unchanged may keep what it read last. */
    uint32_t change_seq;
    bool clash;
    uint16_t clash_src;
    uint64_t clash_last_ms; /* last master frame from another ID while clashed */
    /* evidence for a clash: the last master-kind frame from an unlinked foreign ID */
    bool suspect;
    uint16_t suspect_src;
    uint64_t suspect_ms;
    /* start-up burst (§6.1) */
    uint32_t burst_sent;
    uint64_t burst_next_ms;
    /* the one exchange in flight on the half-duplex bus */
    bool exch_active;
    int exch_slave;
    uint64_t exch_deadline_ms;
    uint64_t bus_free_ms;
    uint64_t info_next_ms;
    size_t info_rr;
    uint16_t warned_id;
    uint64_t warned_ms;
    bool warned;
    struct twc_master_event events[TWC_MASTER_EVENTS_MAX];
    size_t ev_head, ev_count;
    struct twc_master_stats stats;
};

/* What twc_master_poll() hands out. */
struct twc_master_out {
    bool has_frame;
    size_t wire_len;
    uint8_t wire[TWC_WIRE_MAX]; /* complete frame, escaped, from the transmit guard */
    struct twc_msg msg;         /* the same frame as fields, for logs */
    uint64_t next_ms;           /* poll again at this time at the latest (UINT64_MAX: never) */
};

/* Fills cfg with the defaults above; cfg->id and cfg->sign are left 0 for the caller to set. */
void twc_master_config_init(struct twc_master_config *cfg);

/*
 * Derives an ID and sign from seed (any random 64-bit value; the pure core has no RNG). The ID
 * avoids 0000, FFFF, 7777 (TWCManager's) and bytes that would need escaping (C0, DB).
 */
void twc_master_pick_id(uint64_t seed, uint16_t *id, uint8_t *sign);

/*
 * Initialises m for a start at now_ms (the start-up burst begins at once). Returns 0, or -EINVAL
 * for a bad config (ID 0000, zero periods, reply timeout not shorter than the heartbeat period,
 * trailer outside -1..255).
 */
int twc_master_init(struct twc_master *m, const struct twc_master_config *cfg, uint64_t now_ms);

/*
 * Feeds one decoded, checksum-valid frame heard at now_ms (our own echo included: it is
 * dropped here, §1). Returns 0, or AMP_ERR_MASTER_CLASH while another master is on the bus: the
 * second master-kind frame from one unlinked ID within TWC_MASTER_CLASH_WINDOW_MS silences the
 * master until no such frame has been heard for TWC_MASTER_CLASH_QUIET_MS; it then resumes
 * under a fresh ID (see twc_master_clashed(), TWC_MEV_MASTER_RESUMED).
 */
int twc_master_on_frame(struct twc_master *m, uint64_t now_ms, const struct twc_msg *msg);

/*
 * Advances timers to now_ms and, when the bus is free, builds the next frame to transmit.
 * Call it only when the line has been idle (no byte arriving) and send out->wire at once.
 * Returns 1 with out->has_frame set, 0 when nothing is due, or a negative code when the guard
 * refused a frame (a bug; counted in stats.guard_refusals). out->next_ms is always set.
 */
int twc_master_poll(struct twc_master *m, uint64_t now_ms, struct twc_master_out *out);

/*
 * The earliest time a poll may hand out a frame, as things stand: the end of the exchange under
 * way, or of the pause after the last one. No input brings it forward (the reply that ends an
 * exchange sets it anew), so a driver told of an input (input_seq) need not poll before it.
 */
uint64_t twc_master_tx_floor_ms(const struct twc_master *m);

/*
 * Sets what the controller allows a slave (milliamps). The master rounds down to whole amps,
 * turns anything below the minimum (5 A v1, 6 A v2) into 0 = stop, and clamps to the slave's
 * maximum. ceiling_ma (>= target_ma) is the most the slave may be offered *transiently* without
 * endangering the circuit: the §7.1 comfort rules (spike, one cut per 5 s, 60 s start hold) act
 * only between target and ceiling. Whenever the offer is above the ceiling it is cut to the
 * target at once, and the next frame on the bus carries the cut. With ceiling_ma == target_ma
 * every reduction is immediate and no spike is offered.
 * Returns 0, -ENOENT for an unknown slave, -ERANGE for a negative current.
 */
int twc_master_set_target_ceiling(struct twc_master *m,
                                  uint64_t now_ms,
                                  uint16_t slave_id,
                                  int32_t target_ma,
                                  int32_t ceiling_ma);

/* twc_master_set_target_ceiling() with ceiling_ma = target_ma (reductions always immediate). */
int twc_master_set_target(struct twc_master *m,
                          uint64_t now_ms,
                          uint16_t slave_id,
                          int32_t target_ma);

/* Pops the oldest event into *ev. Returns 1, or 0 when the queue is empty. */
int twc_master_next_event(struct twc_master *m, struct twc_master_event *ev);

/* Number of linked slaves, and a copy of the idx-th (0-based, table order). -ENOENT past the end.
 */
size_t twc_master_slave_count(const struct twc_master *m);
int twc_master_slave_at(const struct twc_master *m, size_t idx, struct twc_master_slave_info *out);
int twc_master_slave_find(const struct twc_master *m,
                          uint16_t slave_id,
                          struct twc_master_slave_info *out);

/* Copies every linked slave's brief into out (table order). Returns how many. */
size_t twc_master_briefs(const struct twc_master *m,
                         struct twc_master_brief out[TWC_MASTER_SLAVES_MAX]);

/* True while another master is on the bus; the master transmits nothing then (§6.6). */
bool twc_master_clashed(const struct twc_master *m);

/* Our ID now (the configured one, or the fresh one picked after a clash ended). */
uint16_t twc_master_id(const struct twc_master *m);

/* Counters since init. Borrowed; valid while m lives. */
const struct twc_master_stats *twc_master_get_stats(const struct twc_master *m);

/* Returns a static name for an event type ("slave_linked"). */
const char *twc_master_event_name(enum twc_master_event_type type);

/* Returns a static name for an offer change reason ("safety cut"). */
const char *twc_master_offer_reason_name(enum twc_offer_reason reason);

#endif
