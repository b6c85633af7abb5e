/* SPDX-License-Identifier: MIT */
/*
 * Reading the session log (`ampshare sessions`): a read-only connection. In WAL mode a reader
 * sees the last committed state and never blocks the daemon's writes; it needs the -shm file,
 * which the writing daemon keeps (or read access to a directory where SQLite may create it).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/sessions_internal.h"

struct sess_reader {
    sqlite3 *db;
    char *path;
};

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", s ? (const char *)s : "");
}

void sess_row_read(sqlite3_stmt *st, struct sess_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, rec->charger, sizeof(rec->charger));
    copy_col(st, 2, rec->vin, sizeof(rec->vin));
    rec->start_s = sqlite3_column_int64(st, 3);
    rec->end_s = sqlite3_column_int64(st, 4);
    rec->updated_s = sqlite3_column_int64(st, 5);
    rec->charged_until_s = sqlite3_column_int64(st, 6);
    int64_t wh = sqlite3_column_int64(st, 7);
    rec->energy_wh = wh > 0 ? (uint64_t)wh : 0;
    rec->energy_source = sess_energy_source_parse((const char *)sqlite3_column_text(st, 8));
    wh = sqlite3_column_int64(st, 9);
    rec->integrated_wh = wh > 0 ? (uint64_t)wh : 0;
    rec->peak_ma = sqlite3_column_int(st, 10);
    rec->mean_ma = sqlite3_column_int(st, 11);
    int64_t cs = sqlite3_column_int64(st, 12);
    rec->charging_s = cs > 0 && cs <= UINT32_MAX ? (uint32_t)cs : 0;
    rec->end_reason = sess_end_reason_parse((const char *)sqlite3_column_text(st, 13));
    copy_col(st, 14, rec->id_tag, sizeof(rec->id_tag));
    rec->tx_id = sqlite3_column_int64(st, 15);
}

/* Opens path read-only; immutable: as a URI with immutable=1 (no locks, no -shm). */
static int open_ro(const char *path, bool immutable, sqlite3 **db)
{
    if (!immutable) {
        return sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    }
    size_t n = strlen(path);
    char *uri = malloc(n * 3 + 32);
    if (!uri) {
        return SQLITE_NOMEM;
    }
    char *u = uri + sprintf(uri, "file:");
    for (const char *p = path; *p; p++) {
        u += (*p == '%' || *p == '?' || *p == '#') ? sprintf(u, "%%%02X", (unsigned char)*p)
                                                   : sprintf(u, "%c", *p);
    }
    sprintf(u, "?immutable=1");
    int src = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                              NULL);
    free(uri);
    return src;
}

/* Reads user_version and application_id: the first read, which needs the WAL index. */
static int read_header(sqlite3 *db, int *version, int *app)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(db,
                                 "SELECT (SELECT user_version FROM pragma_user_version),"
                                 " (SELECT application_id FROM pragma_application_id)",
                                 -1, &st, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        *app = sqlite3_column_int(st, 1);
        src = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return src;
}

/* No -wal beside the file: nobody is writing it (a running daemon always has one). */
static bool has_no_wal(const char *path)
{
    char wal[PATH_MAX];
    return snprintf(wal, sizeof(wal), "%s-wal", path) < (int)sizeof(wal) &&
           access(wal, F_OK) != 0 && errno == ENOENT;
}

int sess_reader_open(const char *path, struct sess_reader **out, char *err, size_t errlen)
{
    *out = NULL;
    struct sess_reader *r = calloc(1, sizeof(*r));
    if (!r || !(r->path = strdup(path))) {
        free(r);
        snprintf(err, errlen, "%s: out of memory", path);
        return -ENOMEM;
    }
    int rc = 0, version = 0, app = 0;
    int src = open_ro(path, false, &r->db);
    if (src == SQLITE_OK) {
        sqlite3_busy_timeout(r->db, 2000);
        src = read_header(r->db, &version, &app);
        /* A WAL file closed cleanly, in a directory we cannot write (a read-only filesystem,
         * another user's state directory): SQLite cannot make the -shm it needs to read. With
         * no writer, the file cannot change under us, so it is read as immutable. */
        if ((src & 0xff) == SQLITE_CANTOPEN && has_no_wal(path)) {
            sqlite3_close(r->db);
            r->db = NULL;
            src = open_ro(path, true, &r->db);
            if (src == SQLITE_OK) {
                src = read_header(r->db, &version, &app);
            }
        }
    }
    if (src != SQLITE_OK) {
        sess_sqlite_msg(r->db, path, "opening read-only", err, errlen);
        rc = sess_sqlite_rc(r->db, src);
        goto fail;
    }
    /* a file this build cannot read is refused with the writer's own checks, without writing */
    if ((app != 0 && app != SESS_APPLICATION_ID) || version < 1) {
        snprintf(err, errlen, "%s: not an ampshare session log", path);
        rc = -EBADMSG;
        goto fail;
    }
    if (version != SESS_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s: schema version %d, this ampshare reads %d (the daemon migrates the file "
                 "when it starts)",
                 path, version, SESS_SCHEMA_VERSION);
        rc = -EPROTONOSUPPORT;
        goto fail;
    }
    *out = r;
    return 0;
fail:
    sess_reader_free(r);
    return rc;
}

int sess_reader_each(struct sess_reader *r,
                     const struct sess_filter *f,
                     int (*fn)(void *ctx, const struct sess_record *rec),
                     void *ctx,
                     char *err,
                     size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(r->db,
                                 "SELECT " SESS_COLUMNS " FROM sessions"
                                 " WHERE start_s >= ?1 AND (?2 IS NULL OR charger = ?2)"
                                 " ORDER BY start_s, id",
                                 -1, &st, NULL);
    if (src != SQLITE_OK) {
        sess_sqlite_msg(r->db, r->path, "querying", err, errlen);
        return sess_sqlite_rc(r->db, src);
    }
    sqlite3_bind_int64(st, 1, f ? f->since_s : 0);
    if (f && f->charger) {
        sqlite3_bind_text(st, 2, f->charger, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 2);
    }
    int rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        struct sess_record rec;
        sess_row_read(st, &rec);
        if ((rc = fn(ctx, &rec)) != 0) {
            break;
        }
    }
    if (rc == 0 && src != SQLITE_DONE) {
        sess_sqlite_msg(r->db, r->path, "reading a row", err, errlen);
        rc = sess_sqlite_rc(r->db, src);
    }
    sqlite3_finalize(st);
    return rc;
}

void sess_reader_free(struct sess_reader *r)
{
    if (r) {
        sqlite3_close(r->db);
        free(r->path);
        free(r);
    }
}
