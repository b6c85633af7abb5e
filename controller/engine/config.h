/* SPDX-License-Identifier: MIT */
/*
 * The site config: an INI file (inih) parsed into plain structs with no side effects, then
 * checked by cfg_validate(), a pure function. Every value remembers the line it came from, so
 * every message names file:line. The keys are documented in docs/config.md.
 *
 *   struct cfg_diag diag;
 *   struct config cfg;
 *   cfg_init(&cfg);
 *   if (cfg_parse_file(path, &cfg, &diag) == 0 && cfg_validate(&cfg, &diag) == 0) { ... }
 *   cfg_free(&cfg);
 */
#ifndef CFG_CONFIG_H
#define CFG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_NAME_MAX     32  /* section names: [circuit garage] */
#define CFG_TEXT_MAX     256 /* free text values: transports, paths */
#define CFG_KEY_MAX      48
#define CFG_DIAG_MAX     64   /* messages kept; more are counted in cfg_diag.dropped */
#define CFG_DIAG_TEXT    512  /* a message may list every meter map by name */
#define CFG_SECTIONS_MAX 4096 /* sections of all kinds in one file */

/* Capacity of one site (the model is allocated once to these bounds). */
#define CFG_CIRCUIT_MAX 255  /* plus the supply */
#define CFG_EVSE_MAX    1024 /* Wall Connectors and third-party EVSEs together */
#define CFG_METER_MAX   2048
#define CFG_BUS_MAX     512
#define CFG_WC_PER_BUS  3 /* a Gen 2 master serves at most 3 slaves: twc-gen2.md §6.3 */

/* Every value carries the line of its key; line 0 means the key was not given, a negative line
 * -N that the key on line N was given but could not be parsed (already reported). */
struct cfg_u32 {
    uint32_t v;
    int line;
};

struct cfg_i32 {
    int32_t v;
    int line;
};

struct cfg_ma { /* a current, written in amps with up to 3 decimals, kept in mA */
    int32_t ma;
    int line;
};

struct cfg_ma3 { /* "32" (every phase) or "32,32,25" (L1,L2,L3) */
    int32_t ma[3];
    uint8_t n;
    int line;
};

struct cfg_pmap { /* "L1" or "L2,L3,L1": supply phase (0..2) of each conductor */
    uint8_t ph[3];
    uint8_t n;
    int line;
};

struct cfg_name {
    char s[CFG_NAME_MAX];
    int line;
};

struct cfg_text {
    char s[CFG_TEXT_MAX];
    int line;
};

struct cfg_addr { /* a TWC ID, 4 hex digits, or "auto" */
    uint16_t v;
    bool is_auto;
    int line;
};

struct cfg_kv {
    char key[CFG_KEY_MAX];
    char value[CFG_TEXT_MAX];
    int line;
};

struct cfg_kvlist {
    struct cfg_kv *kv;
    size_t n, cap;
};

struct cfg_site {
    int line; /* of the [site] header; 0 when absent */
    struct cfg_name name;
    struct cfg_ma3 supply_limit;      /* supply_limit_a */
    struct cfg_u32 phases;            /* 1 or 3 (default 3) */
    struct cfg_u32 voltage;           /* voltage_v, nominal, phase to neutral */
    struct cfg_ma min_current;        /* min_current_a: default EVSE minimum (6 A) */
    struct cfg_ma charging_threshold; /* charging_threshold_a: below it a car is idle (1 A) */
    struct cfg_ma overcommit;         /* overcommit_a on the supply itself (0) */
    struct cfg_ma ramp_up;            /* ramp_up_a_per_s: increase limit (0 = none) */
    struct cfg_u32 control_interval;  /* control_interval_ms: one allocation tick (1000) */
    struct cfg_ma shutdown_current;   /* shutdown_current_a: every offer on a clean stop
                                       * (default: an equal share of each circuit, see ctl.h) */
    struct cfg_text status_socket;    /* the daemon's status socket (status_socket_path) */
};

/* [http]: the daemon's read-only web status and Prometheus metrics (docs/telemetry.md). */
struct cfg_http {
    int line; /* of the [http] header; 0 when absent (then no HTTP server runs) */
    struct cfg_text listen;            /* host:port, default 127.0.0.1:8080 */
    struct cfg_text token_file;        /* a file holding the bearer token for write calls */
    struct cfg_u32 history_interval;   /* history_interval_ms: chart sample period (10000) */
};

/* [mqtt]: states, Home Assistant discovery and commands over MQTT (docs/telemetry.md). */
struct cfg_mqtt {
    int line; /* of the [mqtt] header; 0 when absent (then no MQTT) */
    struct cfg_text url;              /* mqtt://host[:port], mqtts://host[:port], unix:/path */
    struct cfg_text ca_file;          /* for mqtts:// (default: the system's CAs) */
    struct cfg_text client_id;        /* default ampshare-<site> */
    struct cfg_text credentials_file; /* "user:password" on its first line */
    struct cfg_text prefix;           /* default ampshare/<site name> */
    struct cfg_text discovery_prefix; /* default homeassistant; "off" turns discovery off */
    struct cfg_text commands;         /* yes (default) or no */
    struct cfg_u32 qos;               /* 0 or 1 (1) */
    struct cfg_u32 keepalive;         /* keepalive_s (60) */
    struct cfg_u32 interval;          /* interval_s: republish period (30) */
};

/* [ocpp]: the OCPP 1.6J central system for [evse] control = ocpp (docs/ocpp.md). */
struct cfg_ocpp {
    int line;                         /* of the [ocpp] header; 0 when absent */
    struct cfg_text listen;           /* host:port, default 127.0.0.1:9000 */
    struct cfg_text certificate;      /* PEM; with key, the server speaks wss:// */
    struct cfg_text key;
    struct cfg_text credentials_file; /* "<id>:<password>" lines (HTTP Basic) */
    struct cfg_text id_tags;          /* allow-list, comma-separated; absent = accept all */
    struct cfg_u32 heartbeat;         /* heartbeat_s (300) */
    struct cfg_u32 meter_interval;    /* meter_interval_s: MeterValueSampleInterval (10) */
};

struct cfg_circuit {
    int line;
    char name[CFG_NAME_MAX];
    struct cfg_name parent;   /* default: the supply */
    struct cfg_ma3 limit;     /* limit_a */
    struct cfg_u32 phases;    /* 1 or 3; default: the parent's */
    struct cfg_pmap phase;    /* phase = L2: which phase a 1-phase circuit is on */
    struct cfg_ma overcommit; /* overcommit_a (0) */
};

struct cfg_bus {
    int line;
    char name[CFG_NAME_MAX];
    struct cfg_text transport;
    struct cfg_addr
        master_address;           /* our TWC ID, or auto (the default): see ctl_twc_pick_master */
    struct cfg_u32 stale_timeout; /* stale_timeout_ms (10000) */
};

struct cfg_wc { /* [wallconnector NAME] */
    int line;
    char name[CFG_NAME_MAX];
    struct cfg_name bus;
    struct cfg_addr address;
    struct cfg_name circuit;
    struct cfg_ma max_current;
    struct cfg_ma min_current;
    struct cfg_u32 phases;
    struct cfg_pmap phase_map;
    struct cfg_i32 priority;
    struct cfg_ma stale_current; /* stale_current_a: offer while its reports are stale */
};

enum cfg_measures {
    CFG_MEASURES_NONE = 0,
    CFG_MEASURES_GRID = 1,    /* measures = grid: the supply connection */
    CFG_MEASURES_CIRCUIT = 2, /* measures = circuit:NAME */
    CFG_MEASURES_EVSE = 3,    /* measures = evse or evse:NAME */
};

struct cfg_meter {
    int line;
    char name[CFG_NAME_MAX];
    struct cfg_text transport;
    struct cfg_u32 unit_id;
    struct cfg_text map;
    struct cfg_text measures; /* as written; parsed into the two fields below */
    enum cfg_measures measures_kind;
    char measures_target[CFG_NAME_MAX];
    struct cfg_pmap phase_map;    /* grid and circuit meters: input i is supply phase ph[i] */
    struct cfg_u32 poll_interval; /* poll_interval_ms (1000) */
    struct cfg_u32 stale_timeout; /* stale_timeout_ms (10000) */
    struct cfg_ma stale_current;  /* stale_current_a: assumed load while stale */
    struct cfg_kvlist map_keys;   /* every other key, as written: for map = generic, the
                                   * keys of mb_map_generic_set(); otherwise each is an error */
    char map_name[CFG_TEXT_MAX];  /* resolved by the parser: the map's stable name (an alias
                                   * resolved), else map as written */
};

struct cfg_evse { /* [evse NAME]: a third-party EVSE */
    int line;
    char name[CFG_NAME_MAX];
    struct cfg_name meter;
    struct cfg_text control; /* none | modbus | ocpp */
    struct cfg_text control_transport;
    struct cfg_u32 control_unit_id;
    struct cfg_text control_map;    /* a model of mb_evse_find(), or generic */
    struct cfg_text ocpp_id;        /* control = ocpp: the charge point identity */
    struct cfg_u32 connector;       /* control = ocpp: its connector (1) */
    struct cfg_kvlist control_keys; /* the other control_* keys, as written: for control_map =
                                     * generic, mb_evse_generic_set() keys with control_ ahead */
    uint32_t unit_default;          /* resolved by the parser: the model's default unit, else 1 */
    struct cfg_name circuit;
    struct cfg_ma max_current;
    struct cfg_ma min_current;
    struct cfg_ma step; /* step_a (1) */
    struct cfg_u32 phases;
    struct cfg_pmap phase_map;
    struct cfg_i32 priority;
    struct cfg_ma stale_current;
};

struct cfg_sessions { /* [sessions]: the session log (controller/sessions.h) */
    int line;
    struct cfg_text db;            /* the SQLite file; absent: CFG_DEFAULT_SESSION_DB */
    struct cfg_u32 flush_interval; /* flush_interval_ms; absent: SESS_DEFAULT_FLUSH_MS (the
                                    * session log's own default, controller/sessions.h) */
};

struct cfg_policy {
    int line;
    struct cfg_text
        name; /* a built-in name, a path to a .so, or a plugin in dir; default idle_reclaim */
    struct cfg_text
        dir; /* where plugins named without a path are found; default AMPSHARE_POLICY_DIR */
    struct cfg_u32 isolate;    /* isolate = yes|no: a plugin in a child process (yes) */
    struct cfg_u32 timeout;    /* timeout_ms: an isolated plugin's budget per tick (250) */
    struct cfg_kvlist options; /* everything else, for the policy */
};

struct config {
    char file[CFG_TEXT_MAX]; /* as given to the parser: prefixes every message */
    struct cfg_site site;
    struct cfg_policy policy;
    struct cfg_http http;
    struct cfg_mqtt mqtt;
    struct cfg_ocpp ocpp;
    struct cfg_sessions sessions;
    struct cfg_circuit *circuit;
    size_t n_circuit, cap_circuit;
    struct cfg_bus *bus;
    size_t n_bus, cap_bus;
    struct cfg_wc *wc;
    size_t n_wc, cap_wc;
    struct cfg_meter *meter;
    size_t n_meter, cap_meter;
    struct cfg_evse *evse;
    size_t n_evse, cap_evse;
};

/* Messages: errors and warnings, each "file:line: [section] key: what is wrong". */
struct cfg_diag_item {
    bool warning;
    int line;
    char text[CFG_DIAG_TEXT];
};

struct cfg_diag {
    struct cfg_diag_item item[CFG_DIAG_MAX];
    size_t n;        /* items kept */
    size_t errors;   /* errors seen (kept or not) */
    size_t warnings; /* warnings seen */
    size_t dropped;  /* items not kept once item[] was full */
};

/* Defaults that validation and the site builder share. */
#define CFG_DEFAULT_MIN_MA       6000 /* IEC 61851 / J1772 minimum; twc-gen2.md §5.3 (v2) */
#define CFG_DEFAULT_THRESHOLD_MA 1000 /* below 1 A a car counts as idle (anchors.md 2.4) */
#define CFG_DEFAULT_INTERVAL_MS  1000
#define CFG_DEFAULT_STALE_MS     10000
#define CFG_DEFAULT_POLL_MS      1000
#define CFG_DEFAULT_VOLTAGE_V    230
#define CFG_TWCMANAGER_ID        0x7777 /* TWCManager's fixed fake-master ID (twcmanager-peer.md) */
#define CFG_DEFAULT_POLICY       "idle_reclaim"
#define CFG_DEFAULT_SESSION_DB   "/var/lib/ampshare/sessions.db" /* [sessions] db */

/* Empties cfg (no allocation). */
void cfg_init(struct config *cfg);

/* Releases what cfg holds and empties it. Accepts an emptied cfg. */
void cfg_free(struct config *cfg);

/* Empties diag. */
void cfg_diag_init(struct cfg_diag *diag);

/*
 * Parses INI text into cfg (which must be empty). file names the text in messages. Every syntax
 * error, unknown section or key, duplicate and unparsable value is recorded in diag. Returns 0,
 * -EINVAL when any error was recorded, or -ENOMEM. cfg holds what could be parsed either way;
 * release it with cfg_free().
 */
int cfg_parse_string(const char *text, const char *file, struct config *cfg, struct cfg_diag *diag);

/* As cfg_parse_string, for len bytes that may hold anything: a NUL byte or invalid UTF-8 is an
 * error naming its line and column (the line is then ignored), never the end of the text. */
int cfg_parse_bytes(
    const char *text, size_t len, const char *file, struct config *cfg, struct cfg_diag *diag);

/* As cfg_parse_bytes, reading path (which also names it in messages). Only a regular file is
 * read: a directory gives -EISDIR, a FIFO, socket or device -ENOTSUP (a FIFO would block).
 * -errno if unreadable. */
int cfg_parse_file(const char *path, struct config *cfg, struct cfg_diag *diag);

/*
 * Checks references, ranges and physical sense. Pure: reads cfg, writes only diag. Returns 0
 * when there is no error (warnings allowed), -EINVAL otherwise.
 */
int cfg_validate(const struct config *cfg, struct cfg_diag *diag);

/*
 * Parses and validates path; on failure copies the first error into err (if not NULL).
 * Returns 0, -EINVAL or -errno. On success the caller owns cfg (cfg_free).
 */
int cfg_load(const char *path, struct config *cfg, char *err, size_t errlen);

/* Records a message "file:line: text" (line 0: "file: text"; a negative line, which names a
 * value already reported as unparsable, drops the message). Used by the parser, the validator
 * and the site builder. */
void cfg_diag_add(
    struct cfg_diag *diag, bool warning, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Parses amps ("32", "6.5", "0.125") into mA. 0, or -EINVAL (not a number, more than 3
 * decimals), -ERANGE (above 1000 A). Pure. */
int cfg_parse_amps(const char *text, int32_t *out_ma);

/* A listening address as plain values. */
struct cfg_listen {
    char host[64]; /* numeric IPv4 or IPv6, without brackets */
    uint16_t port; /* 0: any free port */
};

/* Parses "127.0.0.1:8080" or "[::1]:8080" (numeric addresses only: no name lookup at start).
 * 0 or -EINVAL. Pure. */
int cfg_parse_listen(const char *text, struct cfg_listen *out);

/* ---- derived values, shared by the validator and the site builder ---- */

/* The circuit named name: its index, -1 for the supply ("supply"), -2 when there is none. */
int cfg_find_circuit(const struct config *cfg, const char *name);

/* The site's phases as a mask (bit p = supply phase Lp+1): 0x1 or 0x7. */
uint8_t cfg_site_phase_mask(const struct config *cfg);

/*
 * Resolves the circuit tree: parent[i] (-1 = the supply) and the phase mask of every circuit.
 * A circuit whose parent is missing, or which sits in a loop, gets parent -2 and mask 0.
 * Arrays are cfg->n_circuit long. Pure.
 */
void cfg_circuit_tree(const struct config *cfg, int32_t *parent, uint8_t *mask);

/* The phase mask of a circuit index as cfg_circuit_tree gives it (-1 = the supply). */
uint8_t cfg_circuit_mask(const struct config *cfg, const uint8_t *mask, int idx);

/*
 * The supply phase of each EVSE conductor: the given phase_map when it has `phases` entries,
 * otherwise the circuit's phases in order (L1,L2,L3 for a 3-phase circuit). Returns the phase
 * mask the EVSE loads, 0 when the map does not fit the circuit.
 */
uint8_t cfg_evse_phases(const struct cfg_pmap *given,
                        uint32_t phases,
                        uint8_t circuit_mask,
                        uint8_t map[3]);

/* Finds a value in a key/value list; NULL when absent. */
const struct cfg_kv *cfg_kv_find(const struct cfg_kvlist *list, const char *key);

/* Writes amps from mA without trailing zeros: 32000 -> "32", 6500 -> "6.5". Returns buf. */
const char *cfg_fmt_amps(int32_t ma, char *buf, size_t cap);

#endif
