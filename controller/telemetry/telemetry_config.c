/* SPDX-License-Identifier: MIT */
/* [http] and [mqtt] of the config as the servers' options (defaults in docs/telemetry.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "controller/engine/config.h"
#include "controller/telemetry/http.h"
#include "controller/telemetry/mqtt.h"
#include "controller/telemetry/telemetry_config.h"

int http_options_from_cfg(const struct config *cfg, struct http_options *o, char *err,
                          size_t errlen)
{
    struct cfg_listen l = {.host = "127.0.0.1", .port = 8080};
    const struct cfg_http *h = &cfg->http;
    if (h->listen.line && cfg_parse_listen(h->listen.s, &l) != 0) {
        snprintf(err, errlen, "%s:%d: [http] listen: '%s' is not ADDRESS:PORT", cfg->file,
                 h->listen.line, h->listen.s);
        return -EINVAL;
    }
    snprintf(o->host, sizeof(o->host), "%s", l.host);
    o->port = l.port;
    o->history_interval_ms = h->history_interval.line ? h->history_interval.v : 10000;
    o->token[0] = '\0';
    if (h->token_file.line) {
        /* the write calls' token: the file's first line, at least 16 characters */
        FILE *f = fopen(h->token_file.s, "r");
        char line[sizeof(o->token) + 2] = "";
        bool got = f && fgets(line, sizeof(line), f);
        if (f) {
            fclose(f);
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (!got || strlen(line) < 16 || strlen(line) >= sizeof(o->token)) {
            snprintf(err, errlen, "%s:%d: [http] token_file %s: %s", cfg->file, h->token_file.line,
                     h->token_file.s,
                     !f ? strerror(errno) : "its first line must hold a token of 16 to 127 characters");
            return -EINVAL;
        }
        memcpy(o->token, line, strlen(line) + 1);
    }
    return 0;
}

/* "user:password" from the first line of path. */
static int read_credentials(const char *path, struct mqtt_options *o, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[256] = "";
    if (!f || !fgets(line, sizeof(line), f)) {
        snprintf(err, errlen, "[mqtt] credentials_file %s: %s", path,
                 f ? "empty" : strerror(errno));
        if (f) {
            fclose(f);
        }
        return -EINVAL;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    char *colon = strchr(line, ':');
    if (!colon || colon == line || strlen(line) >= sizeof(o->username) + sizeof(o->password)) {
        snprintf(err, errlen, "[mqtt] credentials_file %s: the first line is not user:password",
                 path);
        return -EINVAL;
    }
    *colon = '\0';
    size_t nu = strlen(line), np = strlen(colon + 1);
    if (nu >= sizeof(o->username) || np >= sizeof(o->password)) {
        snprintf(err, errlen, "[mqtt] credentials_file %s: the user or the password is too long",
                 path);
        return -EINVAL;
    }
    memcpy(o->username, line, nu + 1);
    memcpy(o->password, colon + 1, np + 1);
    return 0;
}

int mqtt_options_from_cfg(const struct config *cfg, const char *site, struct mqtt_options *o,
                          char *err, size_t errlen)
{
    const struct cfg_mqtt *m = &cfg->mqtt;
    if (mqtt_parse_url(m->url.s, o) != 0) {
        snprintf(err, errlen, "%s:%d: [mqtt] url: '%s' is not mqtt://HOST[:PORT], mqtts://... or "
                              "unix:/PATH",
                 cfg->file, m->url.line, m->url.s);
        return -EINVAL;
    }
    char word[96];
    mqtt_topic_word(site, word, sizeof(word));
    snprintf(o->ca_file, sizeof(o->ca_file), "%.*s", (int)sizeof(o->ca_file) - 1, m->ca_file.s);
    if (m->client_id.line) {
        snprintf(o->client_id, sizeof(o->client_id), "%.*s", (int)sizeof(o->client_id) - 1, m->client_id.s);
    } else {
        snprintf(o->client_id, sizeof(o->client_id), "ampshare-%.*s", (int)sizeof(o->client_id) - 10, word);
    }
    if (m->prefix.line) {
        snprintf(o->prefix, sizeof(o->prefix), "%.*s", (int)sizeof(o->prefix) - 1, m->prefix.s);
    } else {
        snprintf(o->prefix, sizeof(o->prefix), "ampshare/%s", word);
    }
    if (!m->discovery_prefix.line) {
        snprintf(o->discovery_prefix, sizeof(o->discovery_prefix), "homeassistant");
    } else if (strcmp(m->discovery_prefix.s, "off") != 0) {
        snprintf(o->discovery_prefix, sizeof(o->discovery_prefix), "%.*s",
                 (int)sizeof(o->discovery_prefix) - 1, m->discovery_prefix.s);
    }
    o->commands = !m->commands.line || strcmp(m->commands.s, "yes") == 0;
    o->qos = m->qos.line ? (int)m->qos.v : 1;
    o->keepalive_s = m->keepalive.line ? (int)m->keepalive.v : 60;
    o->interval_ms = (m->interval.line ? m->interval.v : 30) * 1000u;
    if (m->credentials_file.line) {
        return read_credentials(m->credentials_file.s, o, err, errlen);
    }
    return 0;
}
