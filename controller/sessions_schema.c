/* SPDX-License-Identifier: MIT */
/*
 * The session log's schema and its migrations. PRAGMA user_version holds the version; each step
 * runs in one transaction with the new number, so a file is at one version or the next, never
 * between. A file newer than this build, or not ours (application_id), is refused.
 *
 * Adding a version: append a step to `steps` (never edit a shipped one), bump
 * SESS_SCHEMA_VERSION, and add a test that migrates a hand-made file of the previous version.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "controller/sessions_internal.h"

struct step {
    int to;          /* the version the file has after this step */
    const char *sql; /* DDL and data changes, run inside the step's transaction */
};

/* clang-format off */
static const struct step steps[] = {
    /* 1: the first session table */
    {1, "CREATE TABLE sessions ("
        "  id INTEGER PRIMARY KEY,"
        "  charger TEXT NOT NULL,"
        "  vin TEXT,"
        "  start_s INTEGER NOT NULL,"
        "  end_s INTEGER,"
        "  updated_s INTEGER NOT NULL,"
        "  energy_wh INTEGER NOT NULL DEFAULT 0,"
        "  energy_source TEXT NOT NULL DEFAULT 'integrated',"
        "  peak_ma INTEGER NOT NULL DEFAULT 0,"
        "  mean_ma INTEGER NOT NULL DEFAULT 0,"
        "  end_reason TEXT);"
        "CREATE INDEX sessions_by_start ON sessions(start_s);"},
    /* 2: the integrated cross-check beside a counter, time spent charging and when the car last
     * drew current (what ACN-Data calls doneChargingTime); open rows are found by an index */
    {2, "ALTER TABLE sessions ADD COLUMN integrated_wh INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sessions ADD COLUMN charging_s INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sessions ADD COLUMN charged_until_s INTEGER;"
        "CREATE INDEX sessions_open ON sessions(end_s) WHERE end_s IS NULL;"},
    /* 3: chargers that run their own transactions (OCPP): who started it and its id */
    {3, "ALTER TABLE sessions ADD COLUMN id_tag TEXT;"
        "ALTER TABLE sessions ADD COLUMN tx_id INTEGER;"},
};
/* clang-format on */

_Static_assert(sizeof(steps) / sizeof(steps[0]) == SESS_SCHEMA_VERSION, "one step per version");

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            src = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return src;
}

static int run_step(sqlite3 *db, const struct step *s, char *err, size_t errlen, const char *path)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", s->to);
    int src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_exec(db, s->sql, NULL, NULL, NULL);
    }
    if (src == SQLITE_OK && s->to == 1) {
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = 1;",
                 SESS_APPLICATION_ID);
    }
    if (src == SQLITE_OK) {
        src = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    if (src == SQLITE_OK) {
        src = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    if (src == SQLITE_OK) {
        return 0;
    }
    char what[48];
    snprintf(what, sizeof(what), "migrating to schema %d", s->to);
    sess_sqlite_msg(db, path, what, err, errlen);
    int rc = sess_sqlite_rc(db, src);
    if (!sqlite3_get_autocommit(db)) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

int sess_schema_migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    int version = 0, app = 0;
    int src = pragma_int(db, "PRAGMA user_version", &version);
    if (src == SQLITE_OK) {
        src = pragma_int(db, "PRAGMA application_id", &app);
    }
    if (src != SQLITE_OK) {
        sess_sqlite_msg(db, path, "reading the schema version", err, errlen);
        return sess_sqlite_rc(db, src);
    }
    if (app != 0 && app != SESS_APPLICATION_ID) {
        snprintf(err, errlen, "%s: not an ampshare session log (application_id 0x%08x)", path,
                 (unsigned)app);
        return -EBADMSG;
    }
    if (version > SESS_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s: schema version %d is newer than this ampshare knows (%d); upgrade ampshare",
                 path, version, SESS_SCHEMA_VERSION);
        return -EPROTONOSUPPORT;
    }
    if (version == 0 && app == 0) {
        /* version 0 with tables in it is someone else's file */
        int tables = 0;
        src = pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables);
        if (src == SQLITE_OK && tables > 0) {
            snprintf(err, errlen, "%s: not an ampshare session log (has other tables)", path);
            return -EBADMSG;
        }
    }
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (steps[i].to > version) {
            int rc = run_step(db, &steps[i], err, errlen, path);
            if (rc) {
                return rc;
            }
        }
    }
    return 0;
}
