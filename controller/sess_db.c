/* SPDX-License-Identifier: MIT */
/*
 * The session s's SQLite side (sess_db.h): opening, migrating and recovering the file, and the
 * transaction that commits what the tracking side handed over. docs/sessions.md explains the
 * durability choices.
 */
#include "controller/sess_db.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "controller/sessions_internal.h"

/* One session the file knows or is about to: its latest record and its row once inserted. */
struct sess_db_row {
    uint64_t key;
    int64_t row_id; /* 0 until its insert is committed */
    int64_t new_id; /* the id its insert got in the transaction under way */
    bool dirty;     /* rec changed since it was last committed */
    struct sess_record rec;
};

struct sess_db {
    char *path;
    sqlite3 *db;
    sqlite3_stmt *st_insert, *st_update, *st_progress;
    bool recovered;          /* the file's rows left open by an earlier run were closed */
    struct sess_db_row *row; /* open sessions, then finished ones waiting, in put order */
    size_t n_row, cap_row;
    struct sess_db_result res;
};

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

static void close_db(struct sess_db *s)
{
    sqlite3_finalize(s->st_insert);
    sqlite3_finalize(s->st_update);
    sqlite3_finalize(s->st_progress);
    s->st_insert = s->st_update = s->st_progress = NULL;
    sqlite3_close(s->db); /* the last close checkpoints and removes -wal and -shm */
    s->db = NULL;
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

static int exec_checked(struct sess_db *s, const char *sql, const char *what)
{
    int src = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        sess_sqlite_msg(s->db, s->path, what, s->res.err, sizeof(s->res.err));
        return sess_sqlite_rc(s->db, src);
    }
    return 0;
}

/* Sets WAL (which the file keeps) and synchronous = NORMAL (which the connection must set). */
static int set_wal(struct sess_db *s)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        src = mode && strcmp(mode, "wal") == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_OK) {
        sess_sqlite_msg(s->db, s->path, "switching to WAL", s->res.err, sizeof(s->res.err));
        return sess_sqlite_rc(s->db, src);
    }
    return exec_checked(s, "PRAGMA synchronous = NORMAL", "setting synchronous");
}

/* Closes the rows an earlier run left open (it was killed or lost power): they end when their
 * progress was last committed, with the energy counted so far. */
static int recover(struct sess_db *s)
{
    return exec_checked(s,
                        "BEGIN IMMEDIATE;"
                        "UPDATE sessions SET end_s = updated_s, end_reason = 'controller_restart'"
                        " WHERE end_s IS NULL;"
                        "COMMIT;",
                        "closing sessions left open");
}

static int open_db(struct sess_db *s)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int src = sqlite3_open_v2(s->path, &s->db, flags, NULL);
    if (src == SQLITE_CANTOPEN) {
        sqlite3_close(s->db);
        s->db = NULL;
        make_parent(s->path);
        src = sqlite3_open_v2(s->path, &s->db, flags, NULL);
    }
    int rc = 0;
    if (src != SQLITE_OK) {
        sess_sqlite_msg(s->db, s->path, "opening", s->res.err, sizeof(s->res.err));
        rc = sess_sqlite_rc(s->db, src);
        goto fail;
    }
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        /* SQLite fell back to read-only (a read-only file or filesystem): never writable */
        snprintf(s->res.err, sizeof(s->res.err),
                 "%s: opening: the file or its filesystem is read-only", s->path);
        rc = -EROFS;
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, SESS_BUSY_MS);
    if ((rc = set_wal(s)) != 0 ||
        (rc = sess_schema_migrate(s->db, s->path, s->res.err, sizeof(s->res.err))) != 0) {
        goto fail;
    }
    if (!s->recovered && (rc = recover(s)) != 0) {
        goto fail;
    }
    s->recovered = true;
    if (sqlite3_prepare_v3(s->db, sql_insert, -1, SQLITE_PREPARE_PERSISTENT, &s->st_insert, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v3(s->db, sql_update, -1, SQLITE_PREPARE_PERSISTENT, &s->st_update, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v3(s->db, sql_progress, -1, SQLITE_PREPARE_PERSISTENT, &s->st_progress,
                           NULL) != SQLITE_OK) {
        sess_sqlite_msg(s->db, s->path, "preparing", s->res.err, sizeof(s->res.err));
        rc = sess_sqlite_rc(s->db, sqlite3_errcode(s->db));
        goto fail;
    }
    return 0;
fail:
    close_db(s);
    return rc ? rc : -EIO;
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
static int write_row(struct sess_db *s, const struct sess_record *r, int64_t *new_id)
{
    sqlite3_stmt *st = !r->id                           ? s->st_insert
                       : r->end_reason == SESS_END_NONE ? s->st_progress
                                                        : s->st_update;
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
        *new_id = sqlite3_last_insert_rowid(s->db);
    }
    return SQLITE_OK;
}

int sess_db_new(const char *path, struct sess_db **out)
{
    *out = NULL;
    if (!path || !path[0]) {
        return -EINVAL;
    }
    struct sess_db *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return -ENOMEM;
    }
    *out = s;
    return 0;
}

static int result(struct sess_db *s, int rc)
{
    s->res.seq++;
    s->res.rc = rc;
    s->res.writing = s->db && rc == 0;
    if (rc == 0) {
        s->res.err[0] = '\0';
    }
    return rc;
}

int sess_db_open(struct sess_db *s)
{
    return result(s, s->db ? 0 : open_db(s));
}

static struct sess_db_row *find(const struct sess_db *s, uint64_t key)
{
    for (size_t i = 0; i < s->n_row; i++) {
        if (s->row[i].key == key) {
            return &s->row[i];
        }
    }
    return NULL;
}

int64_t sess_db_row_id(const struct sess_db *s, uint64_t key)
{
    const struct sess_db_row *r = find(s, key);
    return r ? r->row_id : 0;
}

static void drop_row(struct sess_db *s, size_t i)
{
    memmove(&s->row[i], &s->row[i + 1], (s->n_row - i - 1) * sizeof(*s->row));
    s->n_row--;
}

int sess_db_put(struct sess_db *s, uint64_t key, const struct sess_record *rec)
{
    struct sess_db_row *r = find(s, key);
    if (!r) {
        if (s->n_row == s->cap_row) {
            size_t cap = s->cap_row ? 2 * s->cap_row : 16;
            struct sess_db_row *row = realloc(s->row, cap * sizeof(*row));
            if (!row) {
                return -ENOMEM;
            }
            s->row = row;
            s->cap_row = cap;
        }
        r = &s->row[s->n_row++];
        *r = (struct sess_db_row){.key = key};
    }
    r->rec = *rec;
    r->dirty = true;
    if (rec->end_reason == SESS_END_NONE) {
        return 0;
    }
    if (++s->res.pending > SESS_PENDING_MAX) {
        /* the file has been unwritable for a long time: keep the newest */
        for (size_t i = 0; i < s->n_row; i++) {
            if (s->row[i].rec.end_reason != SESS_END_NONE) {
                drop_row(s, i);
                s->res.pending--;
                s->res.dropped++;
                break;
            }
        }
    }
    return 0;
}

/* Writes every dirty row inside one transaction; the SQLite code, and what failed in *what. */
static int write_dirty(struct sess_db *s, const char **what)
{
    int src = SQLITE_OK;
    for (size_t i = 0; src == SQLITE_OK && i < s->n_row; i++) {
        struct sess_db_row *r = &s->row[i];
        if (r->dirty) {
            *what = r->rec.end_reason != SESS_END_NONE ? "writing a finished session"
                                                       : "writing a session's progress";
            struct sess_record rec = r->rec;
            rec.id = r->row_id;
            r->new_id = 0;
            src = write_row(s, &rec, &r->new_id);
        }
    }
    return src;
}

/* After a commit: new rows get their ids (only now: a rolled-back insert has none), finished
 * ones are forgotten. */
static void committed(struct sess_db *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n_row; i++) {
        struct sess_db_row r = s->row[i];
        if (r.dirty && !r.row_id) {
            r.row_id = r.new_id;
        }
        r.dirty = false;
        if (r.rec.end_reason == SESS_END_NONE) {
            s->row[k++] = r;
        }
    }
    s->n_row = k;
    s->res.pending = 0;
}

int sess_db_commit(struct sess_db *s)
{
    if (!s->db) {
        int rc = open_db(s);
        if (rc) {
            return result(s, rc);
        }
    }
    bool boundary = false, changed = false;
    for (size_t i = 0; i < s->n_row; i++) {
        const struct sess_db_row *r = &s->row[i];
        boundary |= r->dirty && (!r->row_id || r->rec.end_reason != SESS_END_NONE);
        changed |= r->dirty;
    }
    if (!changed) {
        return result(s, 0); /* no empty transaction every minute on an idle site */
    }
    const char *what = "beginning a transaction";
    int src = sqlite3_exec(s->db, boundary ? "PRAGMA synchronous = FULL" : "", NULL, NULL, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    }
    if (src == SQLITE_OK) {
        src = write_dirty(s, &what);
    }
    if (src == SQLITE_OK) {
        what = "committing";
        src = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    }
    int rc = 0;
    if (src != SQLITE_OK) {
        sess_sqlite_msg(s->db, s->path, what, s->res.err, sizeof(s->res.err));
        rc = sess_sqlite_rc(s->db, src);
        if (!sqlite3_get_autocommit(s->db)) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
    } else {
        committed(s);
    }
    if (boundary) {
        sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    }
    if (rc != 0 && rc != -EBUSY) {
        /* the retry reopens: the file may have been replaced, remounted or repaired */
        close_db(s);
    }
    return result(s, rc);
}

const struct sess_db_result *sess_db_result(const struct sess_db *s)
{
    return &s->res;
}

void sess_db_free(struct sess_db *s)
{
    if (!s) {
        return;
    }
    if (s->db) {
        (void)sess_db_commit(s);
    }
    close_db(s);
    free(s->row);
    free(s->path);
    free(s);
}
