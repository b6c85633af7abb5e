/* SPDX-License-Identifier: MIT */
/*
 * The session log's writer thread (internal to controller/sessions*.c): it owns a sess_db, so
 * the SQLite writes and their syncs run off the control loop. The loop hands over plain records
 * through a bounded queue behind one mutex (as the Modbus pollers hand readings over, see
 * drivers/modbus/mb_poller.h); the thread takes everything queued at once, puts it into the
 * sess_db and commits when a commit was asked for, so one transaction covers a whole batch.
 * Its results come back the same way (sess_writer_result). The loop never waits for I/O: the
 * mutex is held only to copy records; only sess_writer_sync and sess_writer_free wait for the
 * thread (shutdown, tests). The thread's stack is SESS_WRITER_STACK, not the 8 MiB default.
 */
#ifndef SESS_WRITER_H
#define SESS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/sess_db.h"

#define SESS_WRITER_STACK (128u * 1024u) /* SQLite needs tens of KiB; measured in the report */
#define SESS_WRITER_QUEUE 64u            /* records (and commit marks) handed over, not taken */

struct sess_writer;

/* Starts the thread on db, which it owns from now on (also on failure: then freed).
 * 0, -ENOMEM or a pthread code. */
int sess_writer_new(struct sess_db *db, struct sess_writer **out);

/* Hands over the latest record of session key. 0, or -EAGAIN when the queue is full (nothing
 * was queued: try again later). Never waits for I/O. */
int sess_writer_put(struct sess_writer *w, uint64_t key, const struct sess_record *rec);

/* Asks for a commit of everything handed over so far. 0 or -EAGAIN (queue full). */
int sess_writer_commit(struct sess_writer *w);

/* Copies the latest result (sess_db_result) and the number of queued finished records the
 * thread has not taken yet into out->pending. Never waits for I/O. */
void sess_writer_result(struct sess_writer *w, struct sess_db_result *out);

/* Waits until the thread has done everything handed over (commits included). Blocks: for
 * shutdown and tests. Returns the last result's code. */
int sess_writer_sync(struct sess_writer *w);

/* Takes what is queued, commits it (best effort), stops the thread, joins it and frees the
 * sess_db. Blocks until then. Accepts NULL. */
void sess_writer_free(struct sess_writer *w);

#endif
