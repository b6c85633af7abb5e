/* SPDX-License-Identifier: MIT */
/* Helpers of the session log's tests: a scratch directory and a look at the file through the
 * test's own SQLite connection (never the module's reader). Failures are Check assertions. */
#ifndef AMP_SESS_TEST_H
#define AMP_SESS_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "controller/sessions.h"

#define SESS_TEST_NULL (-2) /* what sess_test_peek returns for an SQL NULL */
#define SESS_TEST_NONE (-1) /* ... and for no row */

/* A car charging at 16 A on one phase with 16 A offered: SESS_TEST_16A_W at the default 230 V. */
#define SESS_TEST_CHARGING_16A                                                                 \
    {                                                                                          \
        .connected = true, .charging = true, .current_ma = {16000, 0, 0}, .offered_ma = 16000, \
    }
#define SESS_TEST_16A_W 3680 /* 16 A x 230 V */

/* SESS_OPTS_DEFAULT with the file db and the n chargers names (both borrowed). */
struct sess_opts sess_test_opts(const char *db, const char *const *names, size_t n);

/* Makes a fresh directory /tmp/<prefix>_XXXXXX into dir, and db (dir/sessions.db). */
void sess_test_dir(const char *prefix, char *dir, size_t dir_cap, char *db, size_t db_cap);

/* Removes the directory and everything in it. */
void sess_test_rmdir(const char *dir);

/* The first column of the first row of sql, read-only: an integer, or SESS_TEST_NULL/NONE. */
int64_t sess_test_peek(const char *db, const char *sql);

/* The same as text into buf ("" for NULL or no row). Returns buf. */
char *sess_test_peek_text(const char *db, const char *sql, char *buf, size_t cap);

/* Runs sql on the file with a read-write connection of its own (hand-made files). */
void sess_test_exec(const char *db, const char *sql);

#endif
