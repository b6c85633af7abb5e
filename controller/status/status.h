/* SPDX-License-Identifier: MIT */
/*
 * The daemon's status: a plain snapshot the control loop fills (status_fill_fn), the one JSON
 * document made from it (docs/status.md documents every key; `ampshare status --json`, the
 * status socket and, later, /api/status all print exactly this), and the socket's path rules.
 * Currents are milliamps here and amps (3 decimals) in the JSON.
 */
#ifndef STATUS_H
#define STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STATUS_NAME_MAX   32
#define STATUS_TEXT_MAX   128
#define STATUS_SOCKET     "/run/ampshare/ampshare.sock" /* default, as `ampshare run` uses it */
#define STATUS_SOCKET_DIR "/run/ampshare"

struct status_charger {
    char name[STATUS_NAME_MAX];
    char kind[16];                /* "wallconnector" or "evse" */
    char circuit[STATUS_NAME_MAX];
    char state[16];               /* "no_car", "idle", "charging", "offline" */
    bool controllable;
    bool stale;                   /* no fresh measurement: measured_ma is assumed */
    bool implausible;             /* its last reading failed the plausibility check */
    int32_t offer_ma;             /* the offer in force, as the charger reports it */
    int32_t target_ma;            /* what the engine set this tick */
    int32_t min_ma, max_ma;
    int32_t measured_ma[3];       /* per supply phase L1..L3 */
    uint8_t phases;               /* mask of supply phases it loads */
    int64_t session_wh;           /* energy of the session in progress; -1: no session */
    int64_t energy_wh;            /* delivered since the daemon started (only ever grows) */
    bool paused;                  /* by a remote command */
    bool charge_now;              /* a remote "charge now" is in force */
    int32_t command_max_ma;       /* a remote command's lower maximum; -1: none */
    char vin[24];                 /* "" when unknown */
    char why[16];                 /* the reason's short code (alloc_why_name) */
    char reason[STATUS_TEXT_MAX]; /* as people read it */
};

struct status_circuit {
    char name[STATUS_NAME_MAX];
    char parent[STATUS_NAME_MAX]; /* "" for the supply */
    uint8_t phases;               /* mask */
    int32_t rating_ma[3];         /* its configured limit per phase */
    int32_t limit_ma[3];          /* what its chargers may count: rating minus uncontrolled */
    int32_t load_ma[3];           /* counted current of its chargers plus uncontrolled load */
    int32_t uncontrolled_ma[3];
    int32_t offered_ma[3];        /* sum of the targets below it */
    bool meter_stale;
};

struct status_bus {
    char name[STATUS_NAME_MAX];
    char transport[STATUS_TEXT_MAX];
    bool up;
    uint32_t slaves;               /* Wall Connectors linked */
    uint64_t reconnects;
    uint64_t bad_frames;
    int32_t heartbeat_late_worst_ms;
    char last_error[STATUS_TEXT_MAX];
};

struct status_meter {
    char name[STATUS_NAME_MAX];
    char measures[48];             /* "grid", "circuit garage", "evse bay3" */
    bool stale;
    int64_t age_ms;                /* since the last good reading; -1: never read */
    uint64_t errors;
    char last_error[STATUS_TEXT_MAX];
};

#define STATUS_TURN_BUCKETS 6

struct status_loop {
    uint64_t uptime_ms;
    uint64_t ticks;
    uint32_t tick_us_last, tick_us_max;
    int32_t heartbeat_late_worst_ms; /* over every bus since start */
    int32_t late_worst_ms;           /* how late the loop ran a timer, worst since start */
    uint32_t turn_us_max;            /* the longest loop turn's work (any handler), us */
    uint32_t turn_cpu_us_max;        /* the most CPU time one turn used, us */
    /* turns that worked at least turn_over_ms[i] (the filler sets both; bound 0 = unused) */
    uint32_t turn_over_ms[STATUS_TURN_BUCKETS];
    uint64_t turns_over[STATUS_TURN_BUCKETS];
};

#define STATUS_ERRORS_MAX 16

/* A count of one kind of error since start ("policy", "clamp", "meter_read", "bad_frame"...). */
struct status_count {
    char kind[24];
    uint64_t n;
};

/* A snapshot: the arrays are the filler's (caps set by whoever asks, counts by the filler). */
struct status_snapshot {
    char site[STATUS_NAME_MAX];
    char policy[256]; /* as long as a config path (CFG_TEXT_MAX) */
    int64_t wall_ms; /* wall-clock time of the snapshot, ms since 1970 */
    struct status_charger *charger;
    size_t n_charger, cap_charger;
    struct status_circuit *circuit;
    size_t n_circuit, cap_circuit;
    struct status_bus *bus;
    size_t n_bus, cap_bus;
    struct status_meter *meter;
    size_t n_meter, cap_meter;
    struct status_loop loop;
    struct status_count error[STATUS_ERRORS_MAX];
    size_t n_error;
};

/* Fills snap (arrays sized by cap_*) from the running site; 0 or a negative errno. */
typedef int status_fill_fn(void *ctx, struct status_snapshot *snap);

/* How many records a snapshot may hold (the site's sizes). */
struct status_caps {
    size_t charger, circuit, bus, meter;
};

/* Allocates snap's arrays for caps (counts 0); 0 or -ENOMEM. Release frees them. */
int status_snapshot_alloc(struct status_snapshot *snap, const struct status_caps *caps);
void status_snapshot_release(struct status_snapshot *snap);

/* Empties snap's records (keeps its arrays) and has fill write them. */
int status_snapshot_take(struct status_snapshot *snap, status_fill_fn *fill, void *ctx);


/* Text from the wire or a file may hold any byte: a JSON string of it under amp_text's one rule
 * (valid UTF-8, each byte that is not UTF-8 as U+FFFD; jansson escapes quotes and controls). New
 * reference; NULL on -ENOMEM. Status, MQTT and HTTP all use this one. */
json_t *status_json_text(const char *s);

/* The JSON document of docs/status.md (new reference; NULL on -ENOMEM). */
json_t *status_to_json(const struct status_snapshot *snap);

/*
 * Prints a status document (as status_to_json made it, possibly received over the socket) as
 * the compact text `ampshare status` shows. Unknown or missing keys print as "-". Returns 0
 * or -EIO.
 */
int status_print_text(const json_t *doc, FILE *out);

/*
 * The socket path: configured (non-empty) as it is; else STATUS_SOCKET when its directory
 * exists and is writable, or creatable (for_server) or present (client); else
 * $XDG_RUNTIME_DIR/ampshare.sock; else /tmp/ampshare-<uid>.sock. The daemon and
 * `ampshare status` both call this, so they agree. 0 or -ENAMETOOLONG.
 */
int status_socket_path(const char *configured, bool for_server, char *out, size_t cap);

#endif
