/* SPDX-License-Identifier: MIT */
/* The daemon's insides, shared by daemon.c (the site on the loop) and daemon_status.c (its
 * snapshots). Nothing outside controller/daemon*.c includes this. */
#ifndef DAEMON_INTERNAL_H
#define DAEMON_INTERNAL_H

#include "controller/ctl_mb.h"
#include "controller/engine/command.h"
#include "controller/telemetry/http.h"
#include "controller/telemetry/mqtt.h"
#include "controller/ctl_twc.h"
#include "controller/daemon.h"
#include "controller/engine/config.h"
#include "controller/engine/policy_loader.h"
#include "controller/sessions.h"
#include "controller/status/status.h"
#include "controller/status/status_srv.h"
#include "drivers/transport/tp_link.h"
#include "drivers/twc/twc_bus.h"

struct dbus {
    struct daemon *d;
    char name[SITE_NAME_MAX];
    char transport[CFG_TEXT_MAX];
    struct tp_link *link;
    struct twc_bus bus;
    struct loop_fd io;
    struct loop_timer wake;
    uint64_t wake_due; /* when the armed wake-up is due (for its lateness) */
    bool clash_logged;
};

/* What one config load makes: the site and its policy. */
struct dsite {
    struct site *site;
    struct policy_handle ph;
    int32_t *logged_ma;               /* [n_evse]: the target last logged */
    int64_t *energy_wh;               /* [n_evse]: delivered since start (sessions' rises) */
    int64_t *sess_last_wh;            /* [n_evse]: the open session's energy at the last tick */
    char (*vin)[SESS_VIN_MAX];        /* [n_evse]: the VIN a Wall Connector reported, "" none */
    const char **names;               /* [n_evse]: charger names for the session log */
    char sess_db[CFG_TEXT_MAX];       /* [sessions] db */
    char status_socket[CFG_TEXT_MAX]; /* [site] status_socket ("" = the default rule) */
    uint32_t sess_flush_ms;           /* [sessions] flush_interval_ms */
    bool http_on, mqtt_on;            /* [http], [mqtt] present and valid */
    struct http_options http;         /* their options (hooks set when opened) */
    struct mqtt_options mqtt;
    struct cfg_ocpp ocpp;             /* [ocpp] */
};

struct daemon {
    struct daemon_opts o;
    char path[CFG_TEXT_MAX];
    char *ini_text;
    struct loop *loop;
    struct dsite cur;
    struct ctl *ctl;
    struct ctl_twc *twc;
    struct ctl_mb *mb;
    struct ctl_mb **mb_old; /* retired by reloads: their pollers finish in the background */
    size_t n_mb_old;
    struct ctl_ocpp *ocpp; /* NULL: no control = ocpp EVSE */
    struct dbus **bus; /* [cur.site->n_bus] */
    struct loop_timer tick, stop_check;
    uint64_t tick_due;
    bool stopping, stop_done, confirmed;
    uint64_t stop_deadline;
    uint64_t seed;
    struct sess_log *sess;
    struct status_srv *status;
    struct status_caps status_caps;
    struct command_table cmds; /* remote commands in force (MQTT), site order */
    struct http_srv *http;
    struct mqtt_client *mqtt;
    char policy_name[CFG_TEXT_MAX]; /* the policy running when a command switched it, else "" */
    struct policy_handle switched;   /* that policy, while it runs */
    char policies[256];              /* the built-ins, for the MQTT policy select (kept: borrowed) */
    uint64_t started_ms;
    bool sess_failing; /* the last session write failed (logged once until it works again) */
    struct daemon_stats stats;
};

/* What one EVSE looks like now (the demo's table and the status socket share it). */
void daemon_evse_status(const struct daemon *d,
                        size_t e,
                        uint64_t now,
                        struct daemon_evse_status *o);

/* The status socket's fill (status_fill_fn): the snapshot of docs/status.md. */
int daemon_status_fill(void *ctx, struct status_snapshot *snap);

/* [http] and [mqtt] (daemon_telemetry.c): read from the config by dsite_load, opened after
 * the status socket and again after a reload, closed with the daemon. Remote commands live in
 * d->cmds and are written into the engine's input before every step. */
int daemon_telemetry_load(const struct config *cfg, struct dsite *out, char *err, size_t errlen);
void daemon_telemetry_open(struct daemon *d);
void daemon_telemetry_close(struct daemon *d);
void daemon_commands_apply(struct daemon *d, uint64_t now);

#endif
