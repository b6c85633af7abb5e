/* SPDX-License-Identifier: MIT */
/* The [http] and [mqtt] sections as server options; the daemon adds the hooks and sizes. */
#ifndef TELEMETRY_CONFIG_H
#define TELEMETRY_CONFIG_H

#include <stddef.h>

struct config;
struct http_options;
struct mqtt_options;

/* Address, port and history period from [http]. 0 or -EINVAL with a message naming file:line. */
int http_options_from_cfg(const struct config *cfg, struct http_options *o, char *err,
                          size_t errlen);

/* Broker, identity, topics and cadence from [mqtt] (credentials read from their file). */
int mqtt_options_from_cfg(const struct config *cfg, const char *site, struct mqtt_options *o,
                          char *err, size_t errlen);

#endif
