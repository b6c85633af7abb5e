/* SPDX-License-Identifier: MIT */
/* The session log's rows as columns, DATE parsing, and the rows as JSON. */
#include "controller/sessions_cols.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/base/amp_text.h"

/* ---- DATE ---- */

static bool take_num(const char **p, int digits, int lo, int hi, int *out)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *p += digits;
    *out = v;
    return v >= lo && v <= hi;
}

static bool take_char(const char **p, char c)
{
    if (**p != c) {
        return false;
    }
    (*p)++;
    return true;
}

/* Parses DATE (UTC) into Unix seconds. 0 or -EINVAL. */
int sess_parse_since(const char *s, int64_t *out)
{
    if (s[0] == '@') {
        char *end;
        errno = 0;
        long long v = strtoll(s + 1, &end, 10);
        if (!s[1] || *end || errno || v < 0 || v > INT32_MAX) {
            return -EINVAL;
        }
        *out = v;
        return 0;
    }
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, se = 0;
    const char *p = s;
    if (!take_num(&p, 4, 1970, 9999, &y) || !take_char(&p, '-') || !take_num(&p, 2, 1, 12, &mo) ||
        !take_char(&p, '-') || !take_num(&p, 2, 1, 31, &d)) {
        return -EINVAL;
    }
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!take_num(&p, 2, 0, 23, &h) || !take_char(&p, ':') || !take_num(&p, 2, 0, 59, &mi)) {
            return -EINVAL;
        }
        if (take_char(&p, ':') && !take_num(&p, 2, 0, 60, &se)) {
            return -EINVAL;
        }
        (void)take_char(&p, 'Z');
    }
    if (*p) {
        return -EINVAL;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) {
        return -EINVAL; /* 2026-02-30 normalised into March */
    }
    *out = (int64_t)t;
    return 0;
}

const char *sess_fmt_time(int64_t s, bool iso, char *buf, size_t cap)
{
    time_t t = (time_t)s;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, cap, "?");
    } else {
        strftime(buf, cap, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);
    }
    return buf;
}

/* ---- the columns of JSON and CSV ---- */

const char *const sess_col_key[SESS_COL_COUNT] = {
    [SESS_COL_ID] = "id",
    [SESS_COL_CHARGER] = "charger",
    [SESS_COL_VIN] = "vin",
    [SESS_COL_START] = "start",
    [SESS_COL_END] = "end",
    [SESS_COL_DURATION] = "duration_s",
    [SESS_COL_ENERGY] = "energy_wh",
    [SESS_COL_SOURCE] = "energy_source",
    [SESS_COL_INTEGRATED] = "integrated_wh",
    [SESS_COL_PEAK] = "peak_ma",
    [SESS_COL_MEAN] = "mean_ma",
    [SESS_COL_CHARGING] = "charging_s",
    [SESS_COL_CHARGED_UNTIL] = "charged_until",
    [SESS_COL_REASON] = "end_reason",
    [SESS_COL_UPDATED] = "updated",
    [SESS_COL_ID_TAG] = "id_tag",
    [SESS_COL_TX_ID] = "transaction_id",
};

bool sess_record_is_open(const struct sess_record *r)
{
    return r->end_reason == SESS_END_NONE;
}

static void time_val(struct sess_val *v, int64_t s)
{
    if (s) {
        v->kind = SESS_VAL_STR;
        v->s = sess_fmt_time(s, true, v->buf, sizeof(v->buf));
    }
}

void sess_col_get(const struct sess_record *r, enum sess_col c, struct sess_val *v)
{
    v->kind = SESS_VAL_INT;
    switch (c) {
    case SESS_COL_ID:
        v->i = r->id;
        break;
    case SESS_COL_CHARGER:
        v->kind = SESS_VAL_STR, v->s = r->charger;
        break;
    case SESS_COL_VIN:
        v->kind = r->vin[0] ? SESS_VAL_STR : SESS_VAL_NULL, v->s = r->vin;
        break;
    case SESS_COL_START:
        v->kind = SESS_VAL_NULL;
        time_val(v, r->start_s);
        break;
    case SESS_COL_END:
        v->kind = SESS_VAL_NULL;
        time_val(v, sess_record_is_open(r) ? 0 : r->end_s);
        break;
    case SESS_COL_DURATION:
        v->i = (sess_record_is_open(r) ? r->updated_s : r->end_s) - r->start_s;
        v->i = v->i < 0 ? 0 : v->i;
        break;
    case SESS_COL_ENERGY:
        v->i = (int64_t)r->energy_wh;
        break;
    case SESS_COL_SOURCE:
        v->kind = SESS_VAL_STR, v->s = sess_energy_source_name(r->energy_source);
        break;
    case SESS_COL_INTEGRATED:
        v->i = (int64_t)r->integrated_wh;
        break;
    case SESS_COL_PEAK:
        v->i = r->peak_ma;
        break;
    case SESS_COL_MEAN:
        v->i = r->mean_ma;
        break;
    case SESS_COL_CHARGING:
        v->i = r->charging_s;
        break;
    case SESS_COL_CHARGED_UNTIL:
        v->kind = SESS_VAL_NULL;
        time_val(v, r->charged_until_s);
        break;
    case SESS_COL_REASON:
        v->s = sess_end_reason_name(r->end_reason);
        v->kind = v->s ? SESS_VAL_STR : SESS_VAL_NULL;
        break;
    case SESS_COL_UPDATED:
        v->kind = SESS_VAL_NULL;
        time_val(v, r->updated_s);
        break;
    case SESS_COL_ID_TAG:
        v->kind = r->id_tag[0] ? SESS_VAL_STR : SESS_VAL_NULL, v->s = r->id_tag;
        break;
    case SESS_COL_TX_ID:
        v->kind = r->tx_id ? SESS_VAL_INT : SESS_VAL_NULL, v->i = r->tx_id;
        break;
    case SESS_COL_COUNT:
        v->kind = SESS_VAL_NULL;
        break;
    }
}

void sess_json_row(FILE *out, const struct sess_record *r)
{
    fputc('{', out);
    for (int c = 0; c < SESS_COL_COUNT; c++) {
        struct sess_val v;
        sess_col_get(r, (enum sess_col)c, &v);
        fprintf(out, "%s\"%s\": ", c ? ", " : "", sess_col_key[c]);
        if (v.kind == SESS_VAL_INT) {
            fprintf(out, "%" PRId64, v.i);
        } else if (v.kind == SESS_VAL_STR) {
            amp_json_string(out, v.s);
        } else {
            fputs("null", out);
        }
    }
    fputc('}', out);
}

struct json_rows {
    FILE *out;
    size_t n;
};

static int json_row(void *ctx, const struct sess_record *r)
{
    struct json_rows *j = ctx;
    fputs(j->n++ ? ",\n  " : "  ", j->out);
    sess_json_row(j->out, r);
    return 0;
}

int sess_json_array(
    const char *path, const struct sess_filter *f, char **out, char *err, size_t errlen)
{
    *out = NULL;
    struct sess_reader *r;
    int rc = sess_reader_open(path, &r, err, errlen);
    if (rc != 0) {
        return rc;
    }
    size_t len = 0;
    struct json_rows j = {.out = open_memstream(out, &len)};
    if (!j.out) {
        sess_reader_free(r);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    fputs("[\n", j.out);
    rc = sess_reader_each(r, f, json_row, &j, err, errlen);
    fputs(j.n ? "\n]\n" : "]\n", j.out);
    fclose(j.out);
    sess_reader_free(r);
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}
