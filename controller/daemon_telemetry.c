/* SPDX-License-Identifier: MIT */
/*
 * The daemon's telemetry and remote control: the [http] server and the [mqtt] client on the
 * daemon's loop, both fed by the status snapshot, and the remote commands they carry, which
 * enter the engine as inputs before every step (docs/telemetry.md). A server that cannot start
 * is logged and the site runs without it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "controller/ctl.h"
#include "controller/daemon_internal.h"
#include "controller/sessions_cols.h"
#include "controller/telemetry/telemetry_config.h"
#include "drivers/base/log.h"

#define MOD "daemon"

int daemon_telemetry_load(const struct config *cfg, struct dsite *out, char *err, size_t errlen)
{
    out->http_on = cfg->http.line != 0;
    out->mqtt_on = cfg->mqtt.line != 0;
    if (out->http_on && http_options_from_cfg(cfg, &out->http, err, errlen) != 0) {
        return -EINVAL;
    }
    if (out->mqtt_on && mqtt_options_from_cfg(cfg, out->site->name, &out->mqtt, err, errlen) != 0) {
        return -EINVAL;
    }
    return 0;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void daemon_commands_apply(struct daemon *d, uint64_t now)
{
    if (d->cmds.evse && d->cmds.n_evse == d->cur.site->n_evse) {
        command_apply(&d->cmds, ctl_state(d->ctl), now, wall_ms());
    }
}

/* A policy switched by a command: the engine restarts on it with the site's [policy] options
 * (a policy that refuses them is refused here, and the running one stays). */
static int switch_policy(struct daemon *d, const char *name, char *why, size_t cap)
{
    char path[CFG_TEXT_MAX + 64], err[512];
    if (policy_resolve(name, NULL, path, sizeof(path)) != 0) {
        snprintf(why, cap, "no policy '%s' (a built-in or a plugin in the policy directory)", name);
        return -ENOENT;
    }
    struct policy_handle ph;
    int rc = policy_open(path, &ph, err, sizeof(err));
    if (rc == 0) {
        rc = ctl_reload(d->ctl, d->cur.site, ph.policy, err, sizeof(err));
        if (rc != 0) {
            policy_close(&ph);
        }
    }
    if (rc != 0) {
        snprintf(why, cap, "policy %s refused, the running one stays: %s", name, err);
        return rc;
    }
    policy_close(&d->switched); /* the one a previous command switched to, if any */
    d->switched = ph;
    snprintf(d->policy_name, sizeof(d->policy_name), "%s", name);
    snprintf(why, cap, "policy %s (until the next reload)", name);
    return 0;
}

/* /api/sessions: the session log's rows, as `ampshare sessions --json` prints them. */
static int sessions_json(const char *db, const char *since, const char *charger, char **out)
{
    struct sess_filter f = {.charger = charger && charger[0] ? charger : NULL};
    if (since && sess_parse_since(since, &f.since_s) != 0) {
        return -EINVAL;
    }
    char err[256];
    int rc = sess_json_array(db, &f, out, err, sizeof(err));
    if (rc != 0) {
        log_warn(MOD, "/api/sessions: %s", err);
    }
    return rc;
}

static int on_command(void *ctx, const struct command *c, char *why, size_t cap)
{
    struct daemon *d = ctx;
    if (d->stopping) {
        snprintf(why, cap, "stopping: no commands");
        return -EAGAIN;
    }
    if (c->kind == COMMAND_POLICY) {
        return switch_policy(d, c->text, why, cap);
    }
    return command_set(&d->cmds, d->cur.site, c, loop_now_ms(d->loop), wall_ms(), why, cap);
}

void daemon_telemetry_close(struct daemon *d)
{
    mqtt_close(d->mqtt);
    d->mqtt = NULL;
    http_srv_close(d->http);
    d->http = NULL;
    command_table_fini(&d->cmds);
}

void daemon_telemetry_open(struct daemon *d)
{
    /* A reload brings a new site (and its own policy): what commands held ends with the old. */
    bool had = d->cmds.evse != NULL;
    daemon_telemetry_close(d);
    /* the engine runs the reloaded site's own policy now: a switched one is no longer used */
    policy_close(&d->switched);
    d->policy_name[0] = '\0';
    if (had) {
        log_info(MOD, "remote commands cleared by the reload");
    }
    const struct site *site = d->cur.site;
    if (command_table_init(&d->cmds, site) != 0) {
        log_err(MOD, "remote commands: out of memory; none will be taken");
    }
    struct status_caps caps = {site->n_evse, site->n_circuit, site->n_bus, site->n_meter};
    char err[512];
    if (d->cur.http_on) {
        struct http_options o = d->cur.http;
        o.caps = caps;
        o.fill = daemon_status_fill;
        o.sessions = sessions_json; /* on the server's worker thread */
        snprintf(o.sessions_db, sizeof(o.sessions_db), "%s", d->cur.sess_db);
        o.command = on_command;
        o.ctx = d;
        o.version = AMPSHARE_VERSION_TEXT;
        if (http_srv_open(d->loop, &o, &d->http, err, sizeof(err)) != 0) {
            log_err(MOD, "%s; running without HTTP", err);
        } else {
            log_info(MOD, "http on %s:%u", o.host, (unsigned)http_srv_port(d->http));
        }
    }
    if (d->cur.mqtt_on) {
        struct mqtt_options o = d->cur.mqtt;
        policy_builtin_list(d->policies, sizeof(d->policies));
        o.caps = caps;
        o.fill = daemon_status_fill;
        o.command = on_command;
        o.ctx = d;
        o.version = AMPSHARE_VERSION_TEXT;
        o.policies = d->policies;
        if (mqtt_open(d->loop, &o, &d->mqtt, err, sizeof(err)) != 0) {
            log_err(MOD, "%s; running without MQTT", err);
        } else {
            log_info(MOD, "mqtt to %s%s%d, topics under %s", o.host, o.port ? ":" : "", o.port,
                     o.prefix);
        }
    }
}
