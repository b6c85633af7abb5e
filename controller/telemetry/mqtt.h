/* SPDX-License-Identifier: MIT */
/*
 * MQTT for the daemon (libmosquitto, its network thread; docs/telemetry.md):
 *   <prefix>/status                          online / offline (the last will), retained
 *   <prefix>/charger/<name>/state            one JSON object per charger, retained
 *   <prefix>/circuit/<name>/state            load and limit per phase, retained
 *   <prefix>/site/state                      policy and health, retained
 *   <prefix>/charger/<name>/<command>/set    commands: charge_now, enabled, max_current,
 *                                            departure, energy_wanted
 *   <prefix>/site/policy/set                 switch the policy
 *   <prefix>/reply                           {"topic","ok","message"} for every command
 * plus Home Assistant discovery under <discovery_prefix>. States are published on change and
 * at least every interval; commands are validated, logged and answered, and only ever become
 * inputs the clamp bounds. The control loop never waits for the broker.
 */
#ifndef MQTT_H
#define MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/engine/command.h"
#include "controller/loop.h"
#include "controller/status/status.h"

#define MQTT_TOPIC_MAX   256
#define MQTT_PAYLOAD_MAX 128 /* a command payload; anything longer is refused */

/* Carries out a command (the daemon: command_set, or a policy switch); 0 or a negative errno
 * with a reason in why. */
typedef int mqtt_command_fn(void *ctx, const struct command *c, char *why, size_t cap);

struct mqtt_options {
    char host[128];     /* broker host, or a Unix socket path when port is 0 */
    int port;           /* 1883 / 8883; 0: host is a Unix socket */
    bool tls;           /* mqtts:// */
    char ca_file[256];
    char client_id[64];
    char username[64], password[128];
    char prefix[128];           /* ampshare/<site> */
    char discovery_prefix[64];  /* homeassistant; "" turns discovery off */
    int qos;                    /* 0 or 1 */
    int keepalive_s;
    uint32_t interval_ms;       /* republish period */
    bool commands;              /* accept commands at all */
    struct status_caps caps;
    status_fill_fn *fill;
    mqtt_command_fn *command;
    void *ctx;
    const char *version;
    const char *policies; /* "native,equal_share,..." for the policy select */
};

struct mqtt_client;

struct mqtt_stats {
    uint64_t connects, published, commands, refused;
    bool connected;
};

/* Starts the client on loop l (it connects in the background and keeps reconnecting with
 * back-off). 0 and *out, or a negative errno with a message in err. */
int mqtt_open(struct loop *l, const struct mqtt_options *o, struct mqtt_client **out, char *err,
              size_t errlen);

/* Publishes offline, disconnects, stops the thread, frees; NULL is allowed. */
void mqtt_close(struct mqtt_client *m);

/* Counters (read from the loop thread). */
struct mqtt_stats mqtt_get_stats(const struct mqtt_client *m);

/* Parses "mqtt://host[:port]", "mqtts://host[:port]" or "unix:/path" into o. 0 or -EINVAL. */
int mqtt_parse_url(const char *url, struct mqtt_options *o);

/* ---- pure parts ---- */

/*
 * Turns a message on a command topic into a command. topic is the whole topic; wall_ms is now
 * (for departure times). Returns 0, -ENOENT (not a command topic of prefix), or -EINVAL with a
 * reason in why (malformed payload).
 */
int mqtt_parse_command(const char *prefix, const char *topic, const char *payload, size_t len,
                       int64_t wall_ms, struct command *out, char *why, size_t cap);

/* A charger, circuit or site name as a topic or id word: [A-Za-z0-9_-], others become '_'. */
void mqtt_topic_word(const char *name, char *out, size_t cap);

/* Calls emit(ctx, topic, payload) for every Home Assistant discovery config of the site. */
typedef void mqtt_emit_fn(void *ctx, const char *topic, const char *payload);
int mqtt_discovery(const struct mqtt_options *o, const struct status_snapshot *snap,
                   mqtt_emit_fn *emit, void *ctx);

/* The state payloads (JSON) of a snapshot: calls emit for the site, every charger, every
 * circuit. */
int mqtt_states(const struct mqtt_options *o, const struct status_snapshot *snap,
                mqtt_emit_fn *emit, void *ctx);

#endif
