/* SPDX-License-Identifier: MIT */
/* MQTT command topics and payloads, parsed strictly (pure). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/telemetry/mqtt.h"

void mqtt_topic_word(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    for (; *name && n + 1 < cap; name++) {
        unsigned char c = (unsigned char)*name;
        out[n++] = isalnum(c) || c == '-' || c == '_' ? (char)c : '_';
    }
    out[n] = '\0';
}

/* A decimal number with at most 3 decimals, as milli-units ("16", "16.5", "0.125"). */
static int parse_milli(const char *s, int64_t *out)
{
    int64_t whole = 0, frac = 0;
    int digits = 0, decimals = 0;
    bool neg = *s == '-';
    s += neg;
    for (; isdigit((unsigned char)*s) && digits < 9; s++, digits++) {
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; isdigit((unsigned char)*s) && decimals < 3; s++, decimals++) {
            frac = frac * 10 + (*s - '0');
        }
    }
    if (!digits || *s) {
        return -EINVAL;
    }
    for (; decimals < 3; decimals++) {
        frac *= 10;
    }
    *out = (neg ? -1 : 1) * (whole * 1000 + frac);
    return 0;
}

static bool is(const char *payload, const char *word)
{
    return strcasecmp(payload, word) == 0;
}

/* "2026-12-06T17:30:00Z", "2026-12-06T17:30Z" or Unix seconds; UTC. */
static int parse_time(const char *s, int64_t *wall_ms)
{
    int64_t unix_milli;
    if (parse_milli(s, &unix_milli) == 0 && unix_milli >= 0) {
        *wall_ms = unix_milli; /* seconds with up to 3 decimals, as ms */
        return 0;
    }
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
    if (end && *end == ':') {
        end = strptime(end, ":%S", &tm);
    }
    if (!end || strcmp(end, "Z") != 0) {
        return -EINVAL;
    }
    time_t t = timegm(&tm);
    if (t == (time_t)-1) {
        return -EINVAL;
    }
    *wall_ms = (int64_t)t * 1000;
    return 0;
}

static int payload_value(enum command_kind *kind, const char *cmd, const char *p, int64_t wall_ms,
                         int64_t *value, char *why, size_t cap)
{
    int64_t m;
    if (strcmp(cmd, "charge_now") == 0) {
        *kind = COMMAND_CHARGE_NOW;
        if (is(p, "ON")) {
            *value = 3600; /* an hour unless a time is given */
        } else if (is(p, "OFF")) {
            *value = 0;
        } else if (parse_milli(p, &m) == 0 && m >= 0 && m % 1000 == 0) {
            *value = m / 1000;
        } else {
            snprintf(why, cap, "charge_now takes ON, OFF or whole seconds");
            return -EINVAL;
        }
    } else if (strcmp(cmd, "enabled") == 0) {
        if (!is(p, "ON") && !is(p, "OFF")) {
            snprintf(why, cap, "enabled takes ON or OFF");
            return -EINVAL;
        }
        *kind = is(p, "ON") ? COMMAND_RESUME : COMMAND_PAUSE;
        *value = 0;
    } else if (strcmp(cmd, "max_current") == 0) {
        *kind = COMMAND_MAX_CURRENT;
        if (parse_milli(p, value) != 0 || *value < 0) {
            snprintf(why, cap, "max_current takes amps (up to 3 decimals)");
            return -EINVAL;
        }
    } else if (strcmp(cmd, "departure") == 0) {
        *kind = COMMAND_DEPARTURE;
        if (!*p || is(p, "none")) {
            *value = 0;
        } else if (parse_time(p, value) != 0) {
            snprintf(why, cap, "departure takes YYYY-MM-DDTHH:MM[:SS]Z, Unix seconds or none");
            return -EINVAL;
        }
        (void)wall_ms;
    } else if (strcmp(cmd, "energy_wanted") == 0) {
        *kind = COMMAND_ENERGY_WANTED;
        if (!*p || is(p, "none")) {
            *value = -1;
        } else if (parse_milli(p, &m) != 0 || m < 0) {
            snprintf(why, cap, "energy_wanted takes kWh (up to 3 decimals) or none");
            return -EINVAL;
        } else {
            *value = m; /* kWh in milli-units = Wh */
        }
    } else {
        snprintf(why, cap, "unknown command '%s' (charge_now, enabled, max_current, departure, "
                           "energy_wanted)",
                 cmd);
        return -EINVAL;
    }
    return 0;
}

int mqtt_parse_command(const char *prefix, const char *topic, const char *payload, size_t len,
                       int64_t wall_ms, struct command *out, char *why, size_t cap)
{
    size_t pl = strlen(prefix);
    if (strncmp(topic, prefix, pl) != 0 || topic[pl] != '/') {
        return -ENOENT;
    }
    const char *rest = topic + pl + 1;
    size_t rl = strlen(rest);
    if (rl < 4 || strcmp(rest + rl - 4, "/set") != 0) {
        return -ENOENT;
    }
    if (len > MQTT_PAYLOAD_MAX || memchr(payload, '\0', len)) {
        snprintf(why, cap, "payload longer than %d bytes or with a NUL", MQTT_PAYLOAD_MAX);
        return -EINVAL;
    }
    char p[MQTT_PAYLOAD_MAX + 1];
    memcpy(p, payload, len);
    p[len] = '\0';
    memset(out, 0, sizeof(*out));
    if (strcmp(rest, "site/policy/set") == 0) {
        out->kind = COMMAND_POLICY;
        if (!len || strlen(p) >= sizeof(out->text)) {
            snprintf(why, cap, "policy takes a policy name");
            return -EINVAL;
        }
        snprintf(out->text, sizeof(out->text), "%s", p);
        return 0;
    }
    char word[3][MQTT_TOPIC_MAX];
    const char *seg = rest;
    for (int i = 0; i < 3; i++) {
        const char *slash = strchr(seg, '/');
        if (!slash || (size_t)(slash - seg) >= sizeof(word[i]) || slash == seg) {
            snprintf(why, cap, "command topics are %s/charger/NAME/COMMAND/set", prefix);
            return -EINVAL;
        }
        memcpy(word[i], seg, (size_t)(slash - seg));
        word[i][slash - seg] = '\0';
        seg = slash + 1;
    }
    if (strcmp(word[0], "charger") != 0 || strcmp(seg, "set") != 0) {
        snprintf(why, cap, "command topics are %s/charger/NAME/COMMAND/set", prefix);
        return -EINVAL;
    }
    if (strlen(word[1]) >= sizeof(out->charger)) {
        snprintf(why, cap, "charger name too long");
        return -EINVAL;
    }
    memcpy(out->charger, word[1], strlen(word[1]) + 1); /* fits: checked above */
    return payload_value(&out->kind, word[2], p, wall_ms, &out->value, why, cap);
}
