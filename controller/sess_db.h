/* SPDX-License-Identifier: MIT */
/*
 * The session log's file side (internal to controller/sessions*.c): the SQLite connection, the
 * rows it has written (a session's key -> its row id) and the records waiting to be committed.
 * It is what the writer thread (sess_writer.h) runs, or what sessions.c calls directly on an
 * inline log; one thread at a time owns it. No clock: the caller decides when to commit.
 *
 * A record is put under its session's key (the tracking side numbers sessions from 1); a newer
 * record of the same key replaces an older one not yet committed. A finished record (its
 * end_reason set) is committed once and then forgotten; at most SESS_PENDING_MAX of them wait
 * while the file cannot be written, beyond that the oldest is dropped and counted.
 */
#ifndef SESS_DB_H
#define SESS_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/sessions.h"

/* What the last commit did: the tracking side reads it (through the writer when threaded). */
struct sess_db_result {
    uint64_t seq;     /* commits tried so far: a new value is a new result */
    int rc;           /* 0 or the failed commit's code (-ENOSPC, -EROFS, -EIO, -EBUSY, ...) */
    bool writing;     /* the file is open and the last commit succeeded */
    size_t pending;   /* finished sessions not yet committed */
    uint64_t dropped; /* finished sessions dropped because more than SESS_PENDING_MAX waited */
    char err[SESS_ERR_MAX]; /* the failure's message; "" after a success */
};

struct sess_db;

/* Makes the writer for path (copied) without opening it. 0, -EINVAL or -ENOMEM. */
int sess_db_new(const char *path, struct sess_db **out);

/* Opens (creating, migrating, closing rows a crashed run left open) unless open. 0 or a code;
 * the result (seq, rc, err) records the outcome like a commit's. */
int sess_db_open(struct sess_db *db);

/* Queues rec as the latest state of session key (>= 1). 0 or -ENOMEM (rec not kept). */
int sess_db_put(struct sess_db *db, uint64_t key, const struct sess_record *rec);

/*
 * Opens the file if needed and commits every queued record in one transaction, with
 * synchronous = FULL when it inserts or ends a session. 0 or the failure's code (the records
 * stay queued). An idle call (nothing queued) only opens.
 */
int sess_db_commit(struct sess_db *db);

/* The row id of session key once its insert is committed, else 0. */
int64_t sess_db_row_id(const struct sess_db *db, uint64_t key);

/* The latest result, and how many finished sessions wait right now. */
const struct sess_db_result *sess_db_result(const struct sess_db *db);

/* Commits what is queued (best effort) and closes the file. Accepts NULL. */
void sess_db_free(struct sess_db *db);

#endif
