/* SPDX-License-Identifier: MIT */
/*
 * Session files for the replay: the Caltech acnportal JSON (an EventQueue serialised twice and
 * gzipped), its flattened CSV, and the workplace CSV (Asensio et al.). Read through zlib, which
 * passes plain files through unchanged, so any of them may be gzipped or not (opened on first use:
 * sim/fleet/zlib_dl.h).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/fleet/replay.h"
#include "sim/fleet/zlib_dl.h"

#define ACN_PERIOD_S 300 /* the Caltech files count 5-minute periods */

static int slurp(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    int lrc = amp_dl_load(&zlib_dl, "reading replay data", err, errlen);
    if (lrc != 0) {
        return lrc;
    }
    gzFile f = gzopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : ENOENT));
        return -ENOENT;
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            gzclose(f);
            snprintf(err, errlen, "%s: out of memory", path);
            return -ENOMEM;
        }
        int r = gzread(f, buf + n, (unsigned)(cap - n));
        if (r < 0) {
            int zerr;
            snprintf(err, errlen, "%s: %s", path, gzerror(f, &zerr));
            free(buf);
            gzclose(f);
            return -EIO;
        }
        n += (size_t)r;
        if (r == 0) {
            break;
        }
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
            }
            buf = nb;
        }
    }
    gzclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int push(struct replay_data *d, size_t *cap, const struct replay_session *s)
{
    if (d->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        struct replay_session *ns = realloc(d->s, nc * sizeof(*ns));
        if (!ns) {
            return -ENOMEM;
        }
        d->s = ns;
        *cap = nc;
    }
    d->s[d->n++] = *s;
    return 0;
}

static double num(const json_t *o, const char *key, bool *ok)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v)) {
        *ok = false;
        return 0;
    }
    return json_number_value(v);
}

static int load_acn_json(
    const char *path, const char *text, size_t len, struct replay_data *d, char *err, size_t errlen)
{
    json_error_t je;
    json_t *outer = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!outer) {
        snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return -EINVAL;
    }
    json_t *doc = outer;
    if (json_is_string(outer)) { /* acnportal's to_json() output, JSON-encoded a second time */
        doc = json_loadb(json_string_value(outer), json_string_length(outer), 0, &je);
        json_decref(outer);
        if (!doc) {
            snprintf(err, errlen, "%s: inner document, line %d column %d: %s", path, je.line,
                     je.column, je.text);
            return -EINVAL;
        }
    }
    json_t *ctx = json_object_get(doc, "context_dict");
    if (!json_is_object(ctx)) {
        snprintf(err, errlen, "%s: no \"context_dict\" (not an acnportal event queue)", path);
        json_decref(doc);
        return -EINVAL;
    }
    size_t cap = 0;
    const char *key;
    json_t *obj;
    int rc = 0;
    json_object_foreach(ctx, key, obj)
    {
        const char *cls = json_string_value(json_object_get(obj, "class"));
        if (!cls || strcmp(cls, "acnportal.acnsim.models.ev.EV") != 0) {
            continue;
        }
        const json_t *a = json_object_get(obj, "attributes");
        bool ok = true;
        struct replay_session s = {0};
        s.arrival_s = (int64_t)num(a, "_arrival", &ok) * ACN_PERIOD_S;
        s.departure_s = (int64_t)num(a, "_departure", &ok) * ACN_PERIOD_S;
        s.est_departure_s = (int64_t)num(a, "_estimated_departure", &ok) * ACN_PERIOD_S;
        s.energy_kwh = num(a, "_requested_energy", &ok);
        const char *st = json_string_value(json_object_get(a, "_station_id"));
        const char *sid = json_string_value(json_object_get(a, "_session_id"));
        const char *bat = json_string_value(json_object_get(a, "_battery"));
        const json_t *b = bat ? json_object_get(json_object_get(ctx, bat), "attributes") : NULL;
        s.max_power_kw = b ? num(b, "_max_power", &ok) : 0;
        if (!ok || !st || !sid || !b) {
            snprintf(err, errlen, "%s: EV object %s lacks a field the replay needs", path, key);
            rc = -EINVAL;
            break;
        }
        snprintf(s.station, sizeof(s.station), "%s", st);
        snprintf(s.id, sizeof(s.id), "%s", sid);
        if ((rc = push(d, &cap, &s)) != 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            break;
        }
    }
    json_decref(doc);
    snprintf(d->format, sizeof(d->format), "acn-json");
    d->start_unix = 0;
    return rc;
}

/* Splits a CSV line (no quoting in these files) in place; returns the field count. */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) {
            break;
        }
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static int col(char **hdr, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(hdr[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* "YYYY-MM-DD HH:MM:SS" or "...T...Z"; the workplace file writes 2015 as 0015. */
static int parse_time(const char *s, int64_t *out)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, se;
    if (sscanf(s, "%d-%d-%d%*c%d:%d:%d", &y, &mo, &d, &h, &mi, &se) != 6) {
        return -EINVAL;
    }
    if (y < 100) {
        y += 2000;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *out = (int64_t)timegm(&tm);
    return 0;
}

static int load_csv(const char *path, char *text, struct replay_data *d, char *err, size_t errlen)
{
    char *save = NULL;
    char *line = strtok_r(text, "\r\n", &save);
    char *hdr[40];
    size_t nh = line ? split(line, hdr, 40) : 0;
    int c_sid = col(hdr, nh, "session_id"), c_st = col(hdr, nh, "station_id");
    int c_a = col(hdr, nh, "arrival_period"), c_d = col(hdr, nh, "departure_period");
    int c_e = col(hdr, nh, "energy_kwh"), c_au = col(hdr, nh, "arrival_utc");
    bool caltech = c_sid >= 0 && c_st >= 0 && c_a >= 0 && c_d >= 0 && c_e >= 0;
    int w_sid = col(hdr, nh, "sessionId"), w_st = col(hdr, nh, "stationId");
    int w_c = col(hdr, nh, "created"), w_e = col(hdr, nh, "ended"), w_k = col(hdr, nh, "kwhTotal");
    bool work = w_sid >= 0 && w_st >= 0 && w_c >= 0 && w_e >= 0 && w_k >= 0;
    if (!caltech && !work) {
        snprintf(err, errlen,
                 "%s:1: not a session file this replay knows (want the Caltech CSV "
                 "or the workplace CSV header)",
                 path);
        return -EINVAL;
    }
    size_t cap = 0;
    int lineno = 1;
    int64_t t0 = INT64_MAX;
    while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
        lineno++;
        char *f[40];
        size_t n = split(line, f, 40);
        struct replay_session s = {.max_power_kw = 6.6};
        char *end;
        if (caltech) {
            if (n < nh) {
                snprintf(err, errlen, "%s:%d: %zu fields, the header has %zu", path, lineno, n, nh);
                return -EINVAL;
            }
            long a = strtol(f[c_a], &end, 10);
            long dp = strtol(f[c_d], &end, 10);
            s.energy_kwh = strtod(f[c_e], &end);
            if (*end || dp < a) {
                snprintf(err, errlen, "%s:%d: bad period or energy", path, lineno);
                return -EINVAL;
            }
            s.arrival_s = a * ACN_PERIOD_S;
            s.departure_s = s.est_departure_s = dp * ACN_PERIOD_S;
            snprintf(s.station, sizeof(s.station), "%s", f[c_st]);
            snprintf(s.id, sizeof(s.id), "%s", f[c_sid]);
            int64_t au;
            if (c_au >= 0 && d->n == 0 && parse_time(f[c_au], &au) == 0) {
                d->start_unix = au - s.arrival_s;
            }
        } else {
            if (n < nh) {
                snprintf(err, errlen, "%s:%d: %zu fields, the header has %zu", path, lineno, n, nh);
                return -EINVAL;
            }
            if (parse_time(f[w_c], &s.arrival_s) || parse_time(f[w_e], &s.departure_s)) {
                snprintf(err, errlen, "%s:%d: bad created/ended time", path, lineno);
                return -EINVAL;
            }
            s.est_departure_s = s.departure_s;
            s.energy_kwh = strtod(f[w_k], &end);
            if (*end || s.energy_kwh < 0) {
                snprintf(err, errlen, "%s:%d: bad kwhTotal '%s'", path, lineno, f[w_k]);
                return -EINVAL;
            }
            snprintf(s.station, sizeof(s.station), "%s", f[w_st]);
            snprintf(s.id, sizeof(s.id), "%s", f[w_sid]);
            if (s.arrival_s < t0) {
                t0 = s.arrival_s;
            }
        }
        if (push(d, &cap, &s) != 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            return -ENOMEM;
        }
    }
    if (work) { /* second 0 is midnight of the first day */
        int64_t day0 = d->n ? t0 - ((t0 % 86400) + 86400) % 86400 : 0;
        for (size_t i = 0; i < d->n; i++) {
            d->s[i].arrival_s -= day0;
            d->s[i].departure_s -= day0;
            d->s[i].est_departure_s -= day0;
        }
        d->start_unix = day0;
    }
    snprintf(d->format, sizeof(d->format), caltech ? "caltech-csv" : "workplace-csv");
    return 0;
}

static int by_arrival(const void *a, const void *b)
{
    const struct replay_session *x = a, *y = b;
    if (x->arrival_s != y->arrival_s) {
        return x->arrival_s < y->arrival_s ? -1 : 1;
    }
    return strcmp(x->id, y->id);
}

int replay_load(const char *path, struct replay_data *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    char *text;
    size_t len;
    int rc = slurp(path, &text, &len, err, errlen);
    if (rc != 0) {
        return rc;
    }
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
        p++;
    }
    if (*p == '"' || *p == '{') {
        rc = load_acn_json(path, p, len - (size_t)(p - text), d, err, errlen);
    } else {
        rc = load_csv(path, text, d, err, errlen);
    }
    free(text);
    if (rc == 0 && d->n == 0) {
        snprintf(err, errlen, "%s: no sessions", path);
        rc = -EINVAL;
    }
    if (rc != 0) {
        replay_data_free(d);
        return rc;
    }
    qsort(d->s, d->n, sizeof(*d->s), by_arrival);
    return 0;
}

void replay_data_free(struct replay_data *d)
{
    free(d->s);
    d->s = NULL;
    d->n = 0;
}
