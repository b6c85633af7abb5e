/* SPDX-License-Identifier: MIT */
/*
 * The daemon's web face (libmicrohttpd on the daemon's loop, external polling through one epoll
 * fd, so a slow browser never delays a heartbeat):
 *   GET /              the status page (compiled in: no files, no build step)
 *   GET /metrics       Prometheus text format 0.0.4 (telemetry_metrics.c)
 *   GET /api/status    the document of docs/status.md, as `ampshare status --json`
 *   GET /api/history   per-circuit load over the last hour, for the page's chart
 *   GET /api/sessions  the session log, when the daemon has one (docs/sessions.md)
 *   POST /api/charger/<name>/<command>, POST /api/site/policy
 *                      remote commands (the MQTT payloads), only with a token set
 *                      ("Authorization: Bearer <token>"); without one the server is read-only
 *                      and every other method gets 405. docs/telemetry.md.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "controller/engine/command.h"
#include "controller/loop.h"
#include "controller/status/status.h"

#define HTTP_HISTORY_SAMPLES 360 /* one hour at the default 10 s */

/* Writes the sessions document (a JSON array) of the session log db for ?since=...&charger=...
 * into *out (malloc'd, the server frees it); 0 or a negative errno (-EINVAL: bad arguments).
 * Runs on the server's worker thread, never on the loop: it may read nothing but its
 * arguments (db is the server's copy of http_options.sessions_db). */
typedef int http_sessions_fn(const char *db, const char *since, const char *charger, char **out);

#define HTTP_SESSIONS_DB_MAX 512

/* Carries out a command (the daemon's: the same as MQTT's); 0 or a negative errno, reason in why. */
typedef int http_command_fn(void *ctx, const struct command *c, char *why, size_t cap);

struct http_options {
    char host[64];                /* a numeric IPv4 or IPv6 address ("127.0.0.1") */
    uint16_t port;                /* 0: any free port (tests read it back: http_srv_port) */
    uint32_t history_interval_ms; /* chart sample period */
    struct status_caps caps;      /* the site's sizes, for the snapshots */
    status_fill_fn *fill;
    http_sessions_fn *sessions;   /* may be NULL */
    char sessions_db[HTTP_SESSIONS_DB_MAX]; /* the session log it reads */
    http_command_fn *command;     /* may be NULL: no write calls */
    char token[128];              /* "" = read-only; else the bearer token write calls need */
    void *ctx;                    /* for fill and command */
    const char *version;          /* for ampshare_build_info */
};

struct http_srv;

/* Starts listening on loop l. 0 and *out, or a negative errno with a message in err. */
int http_srv_open(struct loop *l, const struct http_options *o, struct http_srv **out, char *err,
                  size_t errlen);

/* The port it listens on (the one the kernel chose for port 0). */
uint16_t http_srv_port(const struct http_srv *s);

/* Stops the server and frees it; NULL is allowed. */
void http_srv_close(struct http_srv *s);

/* ---- pure parts, for the tests ---- */

/* One history sample per circuit: load per phase at one time. */
struct http_history {
    size_t n_circuit, cap, count, head; /* ring of cap samples per circuit */
    uint32_t interval_ms;
    int64_t *wall_ms;                   /* [cap] */
    int32_t (*load_ma)[3];              /* [cap * n_circuit] */
};

int http_history_init(struct http_history *h, size_t n_circuit, size_t cap, uint32_t interval_ms);
void http_history_fini(struct http_history *h);
void http_history_add(struct http_history *h, const struct status_snapshot *snap);
/* {"interval_s": .., "circuits": [{"name", "phases", "rating_a", "points": [[t_s, a...], ...]}]} */
json_t *http_history_json(const struct http_history *h, const struct status_snapshot *snap);

/* Parses a write call (POST path and body, the MQTT payload grammar) into a command. 0,
 * -ENOENT (no such write path) or -EINVAL with a reason in why. */
int http_parse_command(const char *url, const char *body, size_t len, int64_t wall_ms,
                       struct command *out, char *why, size_t cap);

/* The Prometheus exposition of a snapshot (malloc'd text, NULL on -ENOMEM). */
char *telemetry_metrics(const struct status_snapshot *snap, const char *version);

#endif
