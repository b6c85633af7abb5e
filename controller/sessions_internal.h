/* SPDX-License-Identifier: MIT */
/* Shared by the session log's files (writer, schema, reader). Not part of its API. */
#ifndef SESS_SESSIONS_INTERNAL_H
#define SESS_SESSIONS_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>

#include "controller/sessions.h"

/* "AMPS": PRAGMA application_id marks the file as an ampshare session log. */
#define SESS_APPLICATION_ID 0x414d5053

/* The schema version this build writes (PRAGMA user_version); see sessions_schema.c. */
#define SESS_SCHEMA_VERSION 3

/* Milliseconds a statement waits for another connection's lock before it fails (-EBUSY). The
 * daemon writes on its own thread, but an inline log (tests, tools) writes inside its caller, so
 * it waits only long enough for a reader's momentary lock; another writer's (an admin's sqlite3
 * shell) makes the commit fail, and it is retried. */
#define SESS_BUSY_MS 20

/* The columns every reader selects, in sess_row_read's order. */
#define SESS_COLUMNS                                                                           \
    "id, charger, vin, start_s, end_s, updated_s, charged_until_s, energy_wh, energy_source, " \
    "integrated_wh, peak_ma, mean_ma, charging_s, end_reason, id_tag, tx_id"

/* Turns an SQLite result code into a negative errno-style code (SQLITE_FULL -> -ENOSPC, ...). */
int sess_sqlite_rc(sqlite3 *db, int src);

/* Formats "path: what: sqlite's message" into err. */
void sess_sqlite_msg(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen);

/*
 * Brings the file's schema to SESS_SCHEMA_VERSION, one transaction per step, after checking that
 * the file is ours (application_id) and not newer than this build. 0, or a negative code with a
 * message in err.
 */
int sess_schema_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);

/* Fills rec from a row selected with SESS_COLUMNS. */
void sess_row_read(sqlite3_stmt *st, struct sess_record *rec);

/* The enum value for a stored name; NONE / INTEGRATED when unknown. */
enum sess_end_reason sess_end_reason_parse(const char *s);
enum sess_energy_source sess_energy_source_parse(const char *s);

#endif
