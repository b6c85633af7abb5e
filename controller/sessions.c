/* SPDX-License-Identifier: MIT */
/*
 * The session log's writer: one sess_track per charger, the SQLite file, and the flush that
 * commits what changed. docs/sessions.md explains the durability choices.
 */
#include "controller/sessions.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "controller/sess_track.h"
#include "controller/sessions_internal.h"

struct sess_charger {
    struct sess_track track;
    bool dirty;     /* its open session changed since the last commit */
    int64_t new_id; /* the row id its insert got in the transaction under way */
};

struct sess_log {
    char *path;
    struct sess_track_cfg tcfg;
    uint32_t flush_ms, retry_ms;
    struct sess_charger *chg;
    size_t n_chg;
    struct sess_record *pending; /* finished sessions not yet committed, oldest first */
    size_t n_pending;
    uint64_t dropped;
    sqlite3 *db;
    sqlite3_stmt *st_insert, *st_update, *st_progress;
    bool recovered; /* the file's rows left open by an earlier run were closed */
    bool failing;   /* the last open or write failed: wait until retry_at_ms */
    uint64_t retry_at_ms;
    uint64_t flushed_ms; /* when progress was last committed */
    char err[SESS_ERR_MAX];
};

static const char *const reason_names[SESS_END_COUNT] = {
    [SESS_END_UNPLUGGED] = "unplugged",
    [SESS_END_FULL] = "full",
    [SESS_END_CONTROLLER_RESTART] = "controller_restart",
    [SESS_END_FAULT] = "fault",
    [SESS_END_SHUTDOWN] = "shutdown",
};

static const char *const source_names[SESS_ENERGY_COUNT] = {
    [SESS_ENERGY_INTEGRATED] = "integrated",
    [SESS_ENERGY_TWC_COUNTER] = "twc_counter",
    [SESS_ENERGY_METER] = "meter",
};

const char *sess_end_reason_name(enum sess_end_reason r)
{
    return (unsigned)r < SESS_END_COUNT ? reason_names[r] : NULL;
}

const char *sess_energy_source_name(enum sess_energy_source s)
{
    return (unsigned)s < SESS_ENERGY_COUNT ? source_names[s] : NULL;
}

enum sess_end_reason sess_end_reason_parse(const char *s)
{
    for (int r = 1; s && r < SESS_END_COUNT; r++) {
        if (strcmp(s, reason_names[r]) == 0) {
            return (enum sess_end_reason)r;
        }
    }
    return SESS_END_NONE;
}

enum sess_energy_source sess_energy_source_parse(const char *s)
{
    for (int i = 0; s && i < SESS_ENERGY_COUNT; i++) {
        if (strcmp(s, source_names[i]) == 0) {
            return (enum sess_energy_source)i;
        }
    }
    return SESS_ENERGY_INTEGRATED;
}

int sess_sqlite_rc(sqlite3 *db, int src)
{
    int sys = db ? sqlite3_system_errno(db) : 0;
    switch (src & 0xff) {
    case SQLITE_OK:
        return 0;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_READONLY:
        return -EROFS;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return -EBADMSG;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
        return sys > 0 ? -sys : -EIO;
    default:
        return -EIO;
    }
}

void sess_sqlite_msg(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen)
{
    int sys = db ? sqlite3_system_errno(db) : 0;
    const char *msg = db ? sqlite3_errmsg(db) : "out of memory";
    if (sys > 0) {
        snprintf(err, errlen, "%s: %s: %s (%s)", path, what, msg, strerror(sys));
    } else {
        snprintf(err, errlen, "%s: %s: %s", path, what, msg);
    }
}

static const char sql_insert[] =
    "INSERT INTO sessions (charger, vin, start_s, end_s, updated_s, charged_until_s, energy_wh,"
    " energy_source, integrated_wh, peak_ma, mean_ma, charging_s, end_reason, id_tag, tx_id)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?15, ?16)";
static const char sql_update[] =
    "UPDATE sessions SET charger = ?1, vin = ?2, start_s = ?3, end_s = ?4, updated_s = ?5,"
    " charged_until_s = ?6, energy_wh = ?7, energy_source = ?8, integrated_wh = ?9,"
    " peak_ma = ?10, mean_ma = ?11, charging_s = ?12, end_reason = ?13, id_tag = ?15,"
    " tx_id = ?16 WHERE id = ?14";

/* An open session's progress: the indexed columns (start_s, end_s) stay out of the SET list, so
 * SQLite rewrites only the row's page, not the index pages too (a third of the WAL bytes). */
static const char sql_progress[] =
    "UPDATE sessions SET vin = ?2, updated_s = ?5, charged_until_s = ?6, energy_wh = ?7,"
    " energy_source = ?8, integrated_wh = ?9, peak_ma = ?10, mean_ma = ?11, charging_s = ?12,"
    " id_tag = ?15, tx_id = ?16 WHERE id = ?14";

static void close_db(struct sess_log *log)
{
    sqlite3_finalize(log->st_insert);
    sqlite3_finalize(log->st_update);
    sqlite3_finalize(log->st_progress);
    log->st_insert = log->st_update = log->st_progress = NULL;
    sqlite3_close(log->db); /* the last close checkpoints and removes -wal and -shm */
    log->db = NULL;
}

static int fail(struct sess_log *log, int rc, uint64_t now_ms)
{
    log->failing = true;
    log->retry_at_ms = now_ms + log->retry_ms;
    return rc;
}

/* The directory that holds path: created (one level, 0750) when missing, as systemd's
 * StateDirectory= would. */
static void make_parent(const char *path)
{
    char *copy = strdup(path);
    if (copy) {
        (void)mkdir(dirname(copy), 0750);
        free(copy);
    }
}

static int exec_checked(struct sess_log *log, const char *sql, const char *what)
{
    int src = sqlite3_exec(log->db, sql, NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        sess_sqlite_msg(log->db, log->path, what, log->err, sizeof(log->err));
        return sess_sqlite_rc(log->db, src);
    }
    return 0;
}

/* Sets WAL (which the file keeps) and synchronous = NORMAL (which the connection must set). */
static int set_wal(struct sess_log *log)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(log->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        src = mode && strcmp(mode, "wal") == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_OK) {
        sess_sqlite_msg(log->db, log->path, "switching to WAL", log->err, sizeof(log->err));
        return sess_sqlite_rc(log->db, src);
    }
    return exec_checked(log, "PRAGMA synchronous = NORMAL", "setting synchronous");
}

/* Closes the rows an earlier run left open (it was killed or lost power): they end when their
 * progress was last committed, with the energy counted so far. */
static int recover(struct sess_log *log)
{
    return exec_checked(log,
                        "BEGIN IMMEDIATE;"
                        "UPDATE sessions SET end_s = updated_s, end_reason = 'controller_restart'"
                        " WHERE end_s IS NULL;"
                        "COMMIT;",
                        "closing sessions left open");
}

static int open_db(struct sess_log *log, uint64_t now_ms)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int src = sqlite3_open_v2(log->path, &log->db, flags, NULL);
    if (src == SQLITE_CANTOPEN) {
        sqlite3_close(log->db);
        log->db = NULL;
        make_parent(log->path);
        src = sqlite3_open_v2(log->path, &log->db, flags, NULL);
    }
    int rc = 0;
    if (src != SQLITE_OK) {
        sess_sqlite_msg(log->db, log->path, "opening", log->err, sizeof(log->err));
        rc = sess_sqlite_rc(log->db, src);
        goto fail;
    }
    if (sqlite3_db_readonly(log->db, "main") == 1) {
        /* SQLite fell back to read-only (a read-only file or filesystem): never writable */
        snprintf(log->err, sizeof(log->err), "%s: opening: the file or its filesystem is read-only",
                 log->path);
        rc = -EROFS;
        goto fail;
    }
    sqlite3_extended_result_codes(log->db, 1);
    sqlite3_busy_timeout(log->db, SESS_BUSY_MS);
    if ((rc = set_wal(log)) != 0 ||
        (rc = sess_schema_migrate(log->db, log->path, log->err, sizeof(log->err))) != 0) {
        goto fail;
    }
    if (!log->recovered && (rc = recover(log)) != 0) {
        goto fail;
    }
    log->recovered = true;
    if (sqlite3_prepare_v3(log->db, sql_insert, -1, SQLITE_PREPARE_PERSISTENT, &log->st_insert,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(log->db, sql_update, -1, SQLITE_PREPARE_PERSISTENT, &log->st_update,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(log->db, sql_progress, -1, SQLITE_PREPARE_PERSISTENT, &log->st_progress,
                           NULL) != SQLITE_OK) {
        sess_sqlite_msg(log->db, log->path, "preparing", log->err, sizeof(log->err));
        rc = sess_sqlite_rc(log->db, sqlite3_errcode(log->db));
        goto fail;
    }
    return 0;
fail:
    close_db(log);
    return fail(log, rc ? rc : -EIO, now_ms);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && s[0]) {
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, i);
    }
}

static void bind_i64_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v) {
        sqlite3_bind_int64(st, i, v);
    } else {
        sqlite3_bind_null(st, i);
    }
}

/* Inserts (id 0) or updates one row; a new row's id goes to *new_id. Returns an SQLite code. */
static int write_row(struct sess_log *log, const struct sess_record *r, int64_t *new_id)
{
    sqlite3_stmt *st = !r->id                           ? log->st_insert
                       : r->end_reason == SESS_END_NONE ? log->st_progress
                                                        : log->st_update;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, r->charger, -1, SQLITE_STATIC);
    bind_text_or_null(st, 2, r->vin);
    sqlite3_bind_int64(st, 3, r->start_s);
    bind_i64_or_null(st, 4, r->end_reason != SESS_END_NONE ? r->end_s : 0);
    sqlite3_bind_int64(st, 5, r->updated_s);
    bind_i64_or_null(st, 6, r->charged_until_s);
    sqlite3_bind_int64(st, 7, (int64_t)r->energy_wh);
    sqlite3_bind_text(st, 8, sess_energy_source_name(r->energy_source), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, (int64_t)r->integrated_wh);
    sqlite3_bind_int(st, 10, r->peak_ma);
    sqlite3_bind_int(st, 11, r->mean_ma);
    sqlite3_bind_int64(st, 12, r->charging_s);
    bind_text_or_null(st, 13, sess_end_reason_name(r->end_reason));
    if (r->id) {
        sqlite3_bind_int64(st, 14, r->id);
    }
    bind_text_or_null(st, 15, r->id_tag);
    bind_i64_or_null(st, 16, r->tx_id);
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src != SQLITE_DONE) {
        return src;
    }
    if (!r->id) {
        *new_id = sqlite3_last_insert_rowid(log->db);
    }
    return SQLITE_OK;
}

/*
 * Commits every finished session and every changed open one in one transaction. A batch that
 * starts or ends a session is committed with synchronous = FULL (one more sync of the WAL, which
 * also makes the earlier NORMAL commits durable); progress alone stays NORMAL.
 */
static int flush(struct sess_log *log, uint64_t now_ms)
{
    if (!log->db) {
        int rc = open_db(log, now_ms);
        if (rc) {
            return rc;
        }
    }
    bool boundary = log->n_pending > 0, changed = boundary;
    for (size_t i = 0; i < log->n_chg; i++) {
        const struct sess_charger *c = &log->chg[i];
        boundary |= c->dirty && c->track.open && !c->track.rec.id;
        changed |= c->dirty && c->track.open;
    }
    if (!changed) {
        log->flushed_ms = now_ms; /* no empty transaction every minute on an idle site */
        return 0;
    }
    const char *what = "beginning a transaction";
    int src = sqlite3_exec(log->db, boundary ? "PRAGMA synchronous = FULL" : "", NULL, NULL, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_exec(log->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    }
    for (size_t i = 0; src == SQLITE_OK && i < log->n_pending; i++) {
        int64_t unused;
        what = "writing a finished session";
        src = write_row(log, &log->pending[i], &unused);
    }
    for (size_t i = 0; src == SQLITE_OK && i < log->n_chg; i++) {
        struct sess_charger *c = &log->chg[i];
        if (c->dirty && c->track.open) {
            what = "writing a session's progress";
            c->new_id = 0;
            src = write_row(log, &c->track.rec, &c->new_id);
        }
    }
    if (src == SQLITE_OK) {
        what = "committing";
        src = sqlite3_exec(log->db, "COMMIT", NULL, NULL, NULL);
    }
    int rc = 0;
    if (src != SQLITE_OK) {
        sess_sqlite_msg(log->db, log->path, what, log->err, sizeof(log->err));
        rc = fail(log, sess_sqlite_rc(log->db, src), now_ms);
        if (!sqlite3_get_autocommit(log->db)) {
            sqlite3_exec(log->db, "ROLLBACK", NULL, NULL, NULL);
        }
        if (rc != -EBUSY) {
            /* the retry reopens: the file may have been replaced, remounted or repaired */
            close_db(log);
        }
    } else {
        /* ids become ours only once their rows are committed */
        for (size_t i = 0; i < log->n_chg; i++) {
            struct sess_charger *c = &log->chg[i];
            if (c->dirty && c->track.open && !c->track.rec.id) {
                c->track.rec.id = c->new_id;
            }
            c->dirty = false;
        }
        log->n_pending = 0;
        log->failing = false;
        log->flushed_ms = now_ms;
        log->err[0] = '\0';
    }
    if (boundary && log->db) {
        sqlite3_exec(log->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    }
    return rc;
}

/* Flushes when something is due and a retry, if one is waiting, is due too. */
static int flush_if_due(struct sess_log *log, uint64_t now_ms, bool boundary)
{
    if (log->failing) {
        return now_ms >= log->retry_at_ms ? flush(log, now_ms) : 0;
    }
    if (boundary || now_ms - log->flushed_ms >= log->flush_ms) {
        return flush(log, now_ms);
    }
    return 0;
}

static void queue_finished(struct sess_log *log, const struct sess_record *r)
{
    if (log->n_pending == SESS_PENDING_MAX) {
        /* the file has been unwritable for a long time: keep the newest */
        memmove(log->pending, log->pending + 1, (SESS_PENDING_MAX - 1) * sizeof(*log->pending));
        log->n_pending--;
        log->dropped++;
    }
    log->pending[log->n_pending++] = *r;
}

static bool names_are_valid(const char *const *name, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!name || !name[i] || strlen(name[i]) >= SESS_NAME_MAX) {
            return false;
        }
    }
    return true;
}

int sess_log_new(const struct sess_opts *o,
                 int64_t now_wall_s,
                 uint64_t now_ms,
                 struct sess_log **out)
{
    (void)now_wall_s;
    *out = NULL;
    if (!o || !o->path || !o->path[0] || !names_are_valid(o->charger, o->n_charger) ||
        o->flush_interval_ms < 1000 || o->retry_interval_ms < 1000) {
        return -EINVAL;
    }
    struct sess_log *log = calloc(1, sizeof(*log));
    if (!log) {
        return -ENOMEM;
    }
    log->path = strdup(o->path);
    log->chg = calloc(o->n_charger ? o->n_charger : 1, sizeof(*log->chg));
    log->pending = calloc(SESS_PENDING_MAX, sizeof(*log->pending));
    if (!log->path || !log->chg || !log->pending) {
        sess_log_free(log);
        return -ENOMEM;
    }
    log->n_chg = o->n_charger;
    log->tcfg.full_after_ms = o->full_after_ms;
    log->tcfg.nominal_voltage_v =
        o->nominal_voltage_v ? o->nominal_voltage_v : SESS_DEFAULT_VOLTAGE_V;
    log->flush_ms = o->flush_interval_ms;
    log->retry_ms = o->retry_interval_ms;
    log->flushed_ms = now_ms;
    for (size_t i = 0; i < log->n_chg; i++) {
        sess_track_init(&log->chg[i].track);
        snprintf(log->chg[i].track.rec.charger, SESS_NAME_MAX, "%s", o->charger[i]);
    }
    *out = log;
    return open_db(log, now_ms);
}

void sess_log_free(struct sess_log *log)
{
    if (!log) {
        return;
    }
    if (log->db) {
        (void)flush(log, log->flushed_ms);
    }
    close_db(log);
    free(log->pending);
    free(log->chg);
    free(log->path);
    free(log);
}

int sess_update(struct sess_log *log,
                int64_t now_wall_s,
                uint64_t now_ms,
                size_t charger_index,
                const struct sess_sample *s)
{
    if (!log || !s || charger_index >= log->n_chg || (unsigned)s->end_reason >= SESS_END_COUNT) {
        return -EINVAL;
    }
    struct sess_charger *c = &log->chg[charger_index];
    struct sess_record ended;
    int ev = sess_track_step(&c->track, &log->tcfg, now_wall_s, now_ms, s, &ended);
    if (ev & SESS_TRACK_ENDED) {
        queue_finished(log, &ended);
    }
    c->dirty = c->track.open;
    return flush_if_due(log, now_ms, ev != 0);
}

int sess_log_set_chargers(
    struct sess_log *log, const char *const *name, size_t n, int64_t now_wall_s, uint64_t now_ms)
{
    if (!log || !names_are_valid(name, n)) {
        return -EINVAL;
    }
    struct sess_charger *chg = calloc(n ? n : 1, sizeof(*chg));
    bool *kept = calloc(log->n_chg ? log->n_chg : 1, sizeof(*kept));
    if (!chg || !kept) {
        free(chg);
        free(kept);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        sess_track_init(&chg[i].track);
        snprintf(chg[i].track.rec.charger, SESS_NAME_MAX, "%s", name[i]);
        for (size_t j = 0; j < log->n_chg; j++) {
            if (!kept[j] && strcmp(log->chg[j].track.rec.charger, name[i]) == 0) {
                chg[i] = log->chg[j];
                kept[j] = true;
                break;
            }
        }
    }
    bool ended = false;
    for (size_t j = 0; j < log->n_chg; j++) {
        struct sess_record rec;
        if (!kept[j] && sess_track_end(&log->chg[j].track, &log->tcfg, now_wall_s, now_ms,
                                       SESS_END_SHUTDOWN, &rec)) {
            queue_finished(log, &rec);
            ended = true;
        }
    }
    free(kept);
    free(log->chg);
    log->chg = chg;
    log->n_chg = n;
    return flush_if_due(log, now_ms, ended);
}

int sess_flush(struct sess_log *log, int64_t now_wall_s, uint64_t now_ms)
{
    (void)now_wall_s;
    return log ? flush(log, now_ms) : -EINVAL;
}

int sess_close_all(struct sess_log *log,
                   int64_t now_wall_s,
                   uint64_t now_ms,
                   enum sess_end_reason reason)
{
    if (!log || !sess_end_reason_name(reason)) {
        return -EINVAL;
    }
    for (size_t i = 0; i < log->n_chg; i++) {
        struct sess_record ended;
        if (sess_track_end(&log->chg[i].track, &log->tcfg, now_wall_s, now_ms, reason, &ended)) {
            queue_finished(log, &ended);
        }
        log->chg[i].dirty = false;
    }
    return flush(log, now_ms);
}

const char *sess_log_error(const struct sess_log *log)
{
    return log ? log->err : "";
}

bool sess_log_is_writing(const struct sess_log *log)
{
    return log && log->db && !log->failing;
}

size_t sess_log_pending(const struct sess_log *log)
{
    return log ? log->n_pending : 0;
}

uint64_t sess_log_dropped(const struct sess_log *log)
{
    return log ? log->dropped : 0;
}

bool sess_log_current(const struct sess_log *log, size_t charger_index, struct sess_record *out)
{
    if (!log || charger_index >= log->n_chg || !log->chg[charger_index].track.open) {
        return false;
    }
    *out = log->chg[charger_index].track.rec;
    return true;
}
