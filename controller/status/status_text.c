/* SPDX-License-Identifier: MIT */
/* `ampshare status` as text: a compact table from the status document, whoever sent it. */
#include <errno.h>
#include <string.h>

#include "controller/status/status.h"
#include "drivers/base/amp_text.h"

/* Room for the strings of one output line, shown terminal-safe (the document may come from
 * anyone over the socket, and its text may hold controls). */
struct shown {
    char buf[6][4 * STATUS_TEXT_MAX];
    size_t n;
};

static const char *str(struct shown *t, const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s) {
        return "-";
    }
    char *b = t->buf[t->n++ % 6];
    return amp_text_safe(s, b, sizeof(t->buf[0]));
}

/* "16.0" or "-"; amps with one decimal, as a person reads a charger. */
static void amp_text(const json_t *v, char *buf, size_t cap)
{
    if (json_is_number(v)) {
        snprintf(buf, cap, "%.1f", json_number_value(v));
    } else {
        snprintf(buf, cap, "-");
    }
}

/* "12.3/0.0/4.5" of an array of amps. */
static void phases_text(const json_t *a, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < json_array_size(a) && n < cap; i++) {
        char one[24];
        amp_text(json_array_get(a, i), one, sizeof(one));
        int w = snprintf(buf + n, cap - n, "%s%s", i ? "/" : "", one);
        n += w > 0 ? (size_t)w : 0;
    }
    if (!buf[0]) {
        snprintf(buf, cap, "-");
    }
}

static void print_chargers(const json_t *list, FILE *out)
{
    struct shown sh = {.n = 0};
    fprintf(out, "%-16s %-9s %6s %6s %-17s %8s  %s\n", "CHARGER", "STATE", "OFFER", "TARGET",
            "DRAW A", "SESSION", "REASON");
    size_t i;
    const json_t *c;
    json_array_foreach(list, i, c)
    {
        char offer[16], target[16], draw[64], kwh[24] = "-";
        amp_text(json_object_get(c, "offer_a"), offer, sizeof(offer));
        amp_text(json_object_get(c, "target_a"), target, sizeof(target));
        phases_text(json_object_get(c, "measured_a"), draw, sizeof(draw));
        const json_t *e = json_object_get(c, "session_kwh");
        if (json_is_number(e)) {
            snprintf(kwh, sizeof(kwh), "%.2fkWh", json_number_value(e));
        }
        fprintf(out, "%-16s %-9s %6s %6s %-17s %8s  %s%s\n", str(&sh, c, "name"),
                str(&sh, c, "state"), offer, target, draw, kwh, str(&sh, c, "reason"),
                json_is_true(json_object_get(c, "stale")) ? " (stale)" : "");
    }
}

static void print_circuits(const json_t *list, FILE *out)
{
    struct shown sh = {.n = 0};
    fprintf(out, "\n%-16s %-17s %-17s %-17s\n", "CIRCUIT", "LOAD A", "LIMIT A", "RATING A");
    size_t i;
    const json_t *c;
    json_array_foreach(list, i, c)
    {
        char load[64], limit[64], rating[64];
        phases_text(json_object_get(c, "load_a"), load, sizeof(load));
        phases_text(json_object_get(c, "limit_a"), limit, sizeof(limit));
        phases_text(json_object_get(c, "rating_a"), rating, sizeof(rating));
        fprintf(out, "%-16s %-17s %-17s %-17s%s\n", str(&sh, c, "name"), load, limit, rating,
                json_is_true(json_object_get(c, "meter_stale")) ? " meter stale" : "");
    }
}

static void print_health(const json_t *doc, FILE *out)
{
    struct shown sh = {.n = 0};
    size_t i;
    const json_t *b;
    json_array_foreach(json_object_get(doc, "buses"), i, b)
    {
        fprintf(out, "%sbus %s %s: %s, %lld slaves, %lld reconnects%s%s\n", i ? "" : "\n",
                str(&sh, b, "name"), str(&sh, b, "transport"),
                json_is_true(json_object_get(b, "up")) ? "up" : "DOWN",
                (long long)json_integer_value(json_object_get(b, "slaves")),
                (long long)json_integer_value(json_object_get(b, "reconnects")),
                json_is_string(json_object_get(b, "last_error")) ? "; last error: " : "",
                json_is_string(json_object_get(b, "last_error")) ? str(&sh, b, "last_error") : "");
    }
    json_array_foreach(json_object_get(doc, "meters"), i, b)
    {
        fprintf(out, "meter %s (%s): %s%s%s\n", str(&sh, b, "name"), str(&sh, b, "measures"),
                json_is_true(json_object_get(b, "stale")) ? "STALE" : "fresh",
                json_is_string(json_object_get(b, "last_error")) ? "; last error: " : "",
                json_is_string(json_object_get(b, "last_error")) ? str(&sh, b, "last_error") : "");
    }
    const json_t *l = json_object_get(doc, "loop");
    fprintf(
        out,
        "loop: up %llds, %lld ticks, tick %lld us (worst %lld us), heartbeats worst %lld ms late, "
        "longest turn %lld us\n",
        (long long)json_integer_value(json_object_get(l, "uptime_s")),
        (long long)json_integer_value(json_object_get(l, "ticks")),
        (long long)json_integer_value(json_object_get(l, "tick_us_last")),
        (long long)json_integer_value(json_object_get(l, "tick_us_max")),
        (long long)json_integer_value(json_object_get(l, "heartbeat_late_worst_ms")),
        (long long)json_integer_value(json_object_get(l, "turn_us_max")));
}

int status_print_text(const json_t *doc, FILE *out)
{
    struct shown sh = {.n = 0};
    fprintf(out, "site %s, policy %s, %s\n\n", str(&sh, doc, "site"), str(&sh, doc, "policy"),
            str(&sh, doc, "time"));
    print_chargers(json_object_get(doc, "chargers"), out);
    print_circuits(json_object_get(doc, "circuits"), out);
    print_health(doc, out);
    return ferror(out) ? -EIO : 0;
}
