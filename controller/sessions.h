/* SPDX-License-Identifier: MIT */
/*
 * The session log: one row per charging session per charger in an SQLite file (WAL), written by
 * the daemon and read by `ampshare sessions`. docs/sessions.md describes the table, the keys of
 * the CLI's JSON and the durability rules.
 *
 * The daemon drives it with plain values, once per control tick and charger:
 *
 *   struct sess_opts o = SESS_OPTS_DEFAULT;
 *   o.path = cfg.sessions.db.line ? cfg.sessions.db.s : CFG_DEFAULT_SESSION_DB;
 *   o.charger = names;  o.n_charger = n;
 *   struct sess_log *log;
 *   if (sess_log_new(&o, now_wall_s, now_ms, &log) == -ENOMEM) ...;  // other codes: see below
 *   per tick, per charger i:
 *       struct sess_sample s = {.connected = ..., .charging = ..., .current_ma = {...}, ...};
 *       if (sess_update(log, now_wall_s, now_ms, i, &s) < 0) log_warn("sessions", "%s",
 *                                                                     sess_log_error(log));
 *   on SIGHUP with other chargers: sess_log_set_chargers(log, names, n, now_wall_s, now_ms);
 *   on SIGTERM: sess_close_all(log, now_wall_s, now_ms, SESS_END_SHUTDOWN); sess_log_free(log);
 *
 * Session boundaries are detected here (sess_track.h, a pure state machine per charger): a
 * session starts when a car is connected and ends when it is unplugged, when the charger
 * reports a fault, or at shutdown; an end after the car stopped drawing on its own while it was
 * offered current is recorded as "full". Energy comes from the source the caller has: the Wall
 * Connector's kWh counter, a meter's import register, else current x voltage integrated here.
 *
 * Writing: a session's row is inserted when it starts and updated when it ends (both committed
 * at once) and in between every flush_interval_ms (one transaction for every changed row).
 * With opts.threaded (the daemon) the SQLite writes and commits run on a writer thread: this
 * side hands plain records over through a bounded queue and never waits for the file, so a
 * commit's sync never delays the control loop; results (a full disk) come back on a later call.
 * Without it (tests, tools) every commit runs inside the call that makes it due.
 * A row still open when the log is opened again (kill -9, power loss) is closed first with
 * reason controller_restart, its end and energy as last committed. When the file cannot be
 * written (disk full, read-only, missing directory) the module keeps every session in memory,
 * returns the error from the call that failed, and retries every retry_interval_ms; nothing is
 * lost while it is running (finished sessions wait in a bounded queue, SESS_PENDING_MAX).
 *
 * Time is passed in: now_wall_s is UTC wall-clock seconds (what the rows store), now_ms a
 * monotonic clock in milliseconds (what durations and energy integration use). The module
 * never reads a clock. Not thread-safe: one thread owns a struct sess_log (its writer thread,
 * if any, is internal).
 */
#ifndef SESS_SESSIONS_H
#define SESS_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SESS_DEFAULT_FLUSH_MS  60000  /* progress committed at least once a minute */
#define SESS_DEFAULT_RETRY_MS  30000  /* after a failed write or open */
#define SESS_DEFAULT_FULL_MS   300000 /* idle with an offer this long before an unplug = full */
#define SESS_DEFAULT_VOLTAGE_V 230
#define SESS_NAME_MAX          32  /* a charger's name (config section names are shorter) */
#define SESS_VIN_MAX           18  /* 17 characters and the NUL */
#define SESS_TAG_MAX           21  /* an id tag (OCPP's idTag: CiString20) and the NUL */
#define SESS_PENDING_MAX       256 /* finished sessions kept while the file cannot be written */
#define SESS_ERR_MAX           256

/* Why a session ended; the text (sess_end_reason_name) is what the table stores. */
enum sess_end_reason {
    SESS_END_NONE = 0, /* still open */
    SESS_END_UNPLUGGED = 1,
    SESS_END_FULL = 2,
    SESS_END_CONTROLLER_RESTART = 3,
    SESS_END_FAULT = 4,
    SESS_END_SHUTDOWN = 5,
    SESS_END_COUNT
};

/* Where a session's energy comes from; the text (sess_energy_source_name) is stored. */
enum sess_energy_source {
    SESS_ENERGY_INTEGRATED = 0,  /* current x voltage, integrated here */
    SESS_ENERGY_TWC_COUNTER = 1, /* the Wall Connector's lifetime kWh counter (FD EB) */
    SESS_ENERGY_METER = 2,       /* an EVSE meter's import register */
    SESS_ENERGY_COUNT
};

/* What the caller knows about one charger at one tick. Zero-initialise, then fill in. */
struct sess_sample {
    bool connected; /* a car is plugged in */
    bool charging;  /* it draws current (the caller's threshold, e.g. charging_threshold_a) */
    bool fault;     /* the charger reports a fault: an open session ends with reason fault and no
                       new one starts until the fault clears */
    bool full;      /* the charger says the car finished (optional: the module also infers it
                       from an idle car that is offered current, see full_after_ms) */
    int32_t current_ma[3]; /* measured per phase (conductor); negative counts as 0 */
    int32_t offered_ma;    /* the offer in force; -1 when unknown */
    uint16_t voltage_v[3]; /* per phase; 0 = unknown (the nominal voltage is used) */
    /* An energy counter, if the charger has one: SESS_ENERGY_TWC_COUNTER or SESS_ENERGY_METER
     * with its reading in Wh (a Wall Connector's kWh x 1000). SESS_ENERGY_INTEGRATED: none. */
    enum sess_energy_source counter_source;
    uint64_t counter_wh;
    const char *vin; /* the vehicle's VIN when reported, else NULL or "" (borrowed, this call) */
    /* A charger that runs its own transactions (OCPP) says who started the session and which
     * transaction it is; a different tx_id while one is open ends it (as a different VIN does).
     * It may also end the session itself: end_reason != NONE takes this sample's counter
     * reading as the session's final one (the energy is then the counter's delta alone), ends
     * the session with that reason (UNPLUGGED becomes FULL by the rule of an unplug) and
     * starts nothing; its other fields do not count. */
    const char *id_tag; /* 1..20 printable ASCII characters, else NULL or "" (borrowed) */
    int64_t tx_id;      /* 0 = none */
    enum sess_end_reason end_reason;
};

/* One session as the table holds it (and as the CLI reads it back). */
struct sess_record {
    int64_t id; /* the row's id; 0 until it was first written */
    char charger[SESS_NAME_MAX];
    char vin[SESS_VIN_MAX];  /* "" when unknown */
    int64_t start_s;         /* UTC wall-clock seconds */
    int64_t end_s;           /* 0 while open */
    int64_t updated_s;       /* when its progress was last computed (and, in the file, committed) */
    int64_t charged_until_s; /* the last second the car drew current; 0 if it never did */
    uint64_t energy_wh;
    enum sess_energy_source energy_source;
    uint64_t integrated_wh; /* current x voltage, kept beside a counter as a cross-check */
    int32_t peak_ma;        /* highest phase current seen */
    int32_t mean_ma;        /* mean of the highest phase current over the time it drew current */
    uint32_t charging_s;    /* time it drew current */
    enum sess_end_reason end_reason;
    char id_tag[SESS_TAG_MAX]; /* "" when none (schema 3) */
    int64_t tx_id;             /* the charger's transaction id; 0 = none (schema 3) */
};

struct sess_opts {
    const char *path;           /* the SQLite file, required (the config default:
                                   CFG_DEFAULT_SESSION_DB); created with its tables if missing */
    const char *const *charger; /* names, indexed by the charger_index of sess_update */
    size_t n_charger;
    uint32_t flush_interval_ms; /* progress commit cadence (>= 1000) */
    uint32_t retry_interval_ms; /* after a failed open or write (>= 1000) */
    uint32_t full_after_ms;     /* idle with an offer >= SESS_FULL_OFFER_MA this long: full */
    uint16_t nominal_voltage_v; /* for phases whose voltage the sample does not give */
    bool threaded;              /* write on a writer thread (see above); false: inline */
};

#define SESS_FULL_OFFER_MA 6000 /* an offer a car can charge at (IEC 61851 minimum) */

#define SESS_OPTS_DEFAULT                                                                  \
    {                                                                                      \
        .path = NULL, .flush_interval_ms = SESS_DEFAULT_FLUSH_MS,                          \
        .retry_interval_ms = SESS_DEFAULT_RETRY_MS, .full_after_ms = SESS_DEFAULT_FULL_MS, \
        .nominal_voltage_v = SESS_DEFAULT_VOLTAGE_V,                                       \
    }

struct sess_log;

/*
 * Creates the log and opens (creating, migrating, recovering) its file. Charger names are
 * copied. On -ENOMEM or -EINVAL (bad options) *out is NULL. Any other negative code means the
 * file could not be used yet (message in sess_log_error): *out is still a working log that keeps
 * sessions in memory and retries; the caller logs the message and carries on. Returns 0 when
 * the file is open.
 */
int sess_log_new(const struct sess_opts *opts,
                 int64_t now_wall_s,
                 uint64_t now_ms,
                 struct sess_log **out);

/* Writes what is pending (best effort), ends nothing, closes the file; a threaded log's queue
 * is drained and its thread joined first (this blocks). Accepts NULL. */
void sess_log_free(struct sess_log *log);

/*
 * Feeds one charger's sample. Starts, updates or ends its session, and commits when a session
 * started or ended, or progress is due (flush_interval_ms since the last commit), or a retry is
 * due. Returns 0, -EINVAL (bad index or sample), or the negative code of a failed write
 * (-ENOSPC disk full, -EROFS read-only, -EIO, -EBUSY, ...; message in sess_log_error). After a
 * failure the session goes on in memory.
 */
int sess_update(struct sess_log *log,
                int64_t now_wall_s,
                uint64_t now_ms,
                size_t charger_index,
                const struct sess_sample *sample);

/*
 * Replaces the charger table (a config reload): a charger whose name is in both keeps its open
 * session under its new index; one no longer named has its session ended (reason shutdown: the
 * controller no longer manages it); a new name starts with none. Names are copied. Returns 0,
 * -EINVAL, -ENOMEM (the old table stays), or a write's code (the new table is in place).
 */
int sess_log_set_chargers(struct sess_log *log,
                          const char *const *charger,
                          size_t n_charger,
                          int64_t now_wall_s,
                          uint64_t now_ms);

/* Commits every changed session now (a reload, a test). Returns 0 or a write's error code. */
int sess_flush(struct sess_log *log, int64_t now_wall_s, uint64_t now_ms);

/* Waits until everything handed over is committed (or failed), handing over again what the
 * writer's full queue left owed: returns at once on an inline log, blocks on the writer thread of a
 * threaded one (shutdown, tests). Returns the last commit's code. */
int sess_log_sync(struct sess_log *log);

/* Ends every open session with reason (shutdown at SIGTERM), commits and waits for the commit
 * (sess_log_sync). 0 or a write's code. */
int sess_close_all(struct sess_log *log,
                   int64_t now_wall_s,
                   uint64_t now_ms,
                   enum sess_end_reason reason);

/* The message of the last failure ("sessions.db: database or disk is full"); "" if none.
 * Valid until the next call on log. */
const char *sess_log_error(const struct sess_log *log);

/* True while the file is open and the last write succeeded. */
bool sess_log_is_writing(const struct sess_log *log);

/* Finished sessions waiting for the file to be writable again, and how many were dropped
 * because more than SESS_PENDING_MAX waited. */
size_t sess_log_pending(const struct sess_log *log);
uint64_t sess_log_dropped(const struct sess_log *log);

/* The session open on a charger, as it would be written now; false when none is open (or
 * the index is bad). For the status socket ("session kWh"). Its id is the row's once the insert
 * is committed on an inline log; always 0 on a threaded one (the row ids are the writer's). */
bool sess_log_current(const struct sess_log *log, size_t charger_index, struct sess_record *out);

/* "unplugged", "full", "controller_restart", "fault", "shutdown"; NULL for NONE or a bad value. */
const char *sess_end_reason_name(enum sess_end_reason r);

/* "integrated", "twc_counter", "meter"; NULL for a bad value. */
const char *sess_energy_source_name(enum sess_energy_source s);

/* ---- reading (the CLI): a read-only connection that works while the daemon writes ---- */

struct sess_reader;

struct sess_filter {
    int64_t since_s;     /* sessions that started at or after this; 0 = all */
    const char *charger; /* only this charger; NULL = all */
};

/* Opens path read-only. 0, or a negative code with a message in err ("PATH: ..."). */
int sess_reader_open(const char *path, struct sess_reader **out, char *err, size_t errlen);

/*
 * Runs the query once (oldest first). Calls fn for each row in start order; a nonzero return
 * from fn stops and is returned. Returns 0, a negative code with a message in err, or fn's value.
 */
int sess_reader_each(struct sess_reader *r,
                     const struct sess_filter *f,
                     int (*fn)(void *ctx, const struct sess_record *rec),
                     void *ctx,
                     char *err,
                     size_t errlen);

void sess_reader_free(struct sess_reader *r);

#endif
