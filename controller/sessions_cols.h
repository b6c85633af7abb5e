/* SPDX-License-Identifier: MIT */
/*
 * The session log's rows as columns: one table of keys and values that `ampshare sessions`
 * (JSON, CSV, text) and the daemon's /api/sessions share, so their keys cannot drift apart
 * (docs/sessions.md documents each).
 */
#ifndef SESSIONS_COLS_H
#define SESSIONS_COLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "controller/sessions.h"

enum sess_val_kind {
    SESS_VAL_NULL,
    SESS_VAL_INT,
    SESS_VAL_STR,
};

struct sess_val {
    enum sess_val_kind kind;
    int64_t i;
    const char *s;
    char buf[32];
};

enum sess_col {
    SESS_COL_ID,
    SESS_COL_CHARGER,
    SESS_COL_VIN,
    SESS_COL_START,
    SESS_COL_END,
    SESS_COL_DURATION,
    SESS_COL_ENERGY,
    SESS_COL_SOURCE,
    SESS_COL_INTEGRATED,
    SESS_COL_PEAK,
    SESS_COL_MEAN,
    SESS_COL_CHARGING,
    SESS_COL_CHARGED_UNTIL,
    SESS_COL_REASON,
    SESS_COL_UPDATED,
    SESS_COL_ID_TAG,
    SESS_COL_TX_ID,
    SESS_COL_COUNT
};

extern const char *const sess_col_key[SESS_COL_COUNT];

/* Column c of row r. */
void sess_col_get(const struct sess_record *r, enum sess_col c, struct sess_val *v);

/* The row is of a session still open. */
bool sess_record_is_open(const struct sess_record *r);

/* "2026-12-06T10:15:00Z" (iso) or "2026-12-06 10:15:00" of Unix seconds s, in buf. */
const char *sess_fmt_time(int64_t s, bool iso, char *buf, size_t cap);

/* DATE (UTC: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z], or @UNIX) into Unix seconds. 0 or -EINVAL. */
int sess_parse_since(const char *s, int64_t *out);

/* Writes row r as one JSON object of every column (valid UTF-8, on one line). */
void sess_json_row(FILE *out, const struct sess_record *r);

/* The rows of the log at path that pass f as a JSON array (malloc'd text in *out). 0, or a
 * negative errno with a message in err. */
int sess_json_array(
    const char *path, const struct sess_filter *f, char **out, char *err, size_t errlen);

#endif
