/* SPDX-License-Identifier: MIT */
/*
 * The MQTT client: libmosquitto's own network thread connects, reconnects with back-off and
 * reads; everything it hears is queued and handed to the daemon's loop through an eventfd, so
 * commands run on the loop thread and a broker that hangs or vanishes never holds a heartbeat.
 * The loop thread publishes (libmosquitto's publish is thread-safe and never blocks on the
 * network in threaded mode).
 */
#include "controller/telemetry/mqtt.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "controller/telemetry/mosq_dl.h"
#include "drivers/base/log.h"

#define MQTT_QUEUE 64 /* messages waiting for the loop; more are dropped (and counted) */

enum mqtt_event { EV_CONNECTED, EV_DISCONNECTED, EV_MESSAGE };

struct mqtt_item {
    enum mqtt_event ev;
    int rc;
    bool retain;
    size_t len;
    char topic[MQTT_TOPIC_MAX];
    char payload[MQTT_PAYLOAD_MAX + 1]; /* len may say more: then it was too long */
};

struct mqtt_client {
    struct loop *loop;
    struct mqtt_options o;
    struct mosquitto *mosq;
    int efd;
    struct loop_fd efd_h;
    struct loop_timer tick, rediscover;
    struct status_snapshot snap;
    bool connected, want_discovery;
    uint64_t last_full_ms;
    uint64_t *hash; /* of each state payload as last published, in emit order */
    size_t n_hash, i_hash;
    bool force;
    uint64_t rng;
    struct mqtt_stats stats;
    pthread_mutex_t mu; /* guards q, n_q, dropped: the network thread writes them */
    struct mqtt_item q[MQTT_QUEUE];
    size_t n_q;
    uint64_t dropped;
};

/* ---- the network thread's side: queue and wake the loop ---- */

static void enqueue(struct mqtt_client *m, enum mqtt_event ev, int rc,
                    const struct mosquitto_message *msg)
{
    pthread_mutex_lock(&m->mu);
    if (m->n_q == MQTT_QUEUE) {
        m->dropped++;
    } else {
        struct mqtt_item *it = &m->q[m->n_q++];
        it->ev = ev;
        it->rc = rc;
        it->retain = msg && msg->retain;
        it->len = msg ? (size_t)msg->payloadlen : 0;
        snprintf(it->topic, sizeof(it->topic), "%s", msg ? msg->topic : "");
        size_t n = it->len < MQTT_PAYLOAD_MAX ? it->len : MQTT_PAYLOAD_MAX;
        if (n) {
            memcpy(it->payload, msg->payload, n);
        }
        it->payload[n] = '\0';
    }
    pthread_mutex_unlock(&m->mu);
    uint64_t one = 1;
    ssize_t w = write(m->efd, &one, sizeof(one));
    (void)w; /* a full eventfd counter still wakes the loop */
}

static void on_connect(struct mosquitto *mosq, void *ctx, int rc)
{
    struct mqtt_client *m = ctx;
    if (rc == 0) {
        char t[MQTT_TOPIC_MAX];
        if (m->o.commands) {
            snprintf(t, sizeof(t), "%s/charger/+/+/set", m->o.prefix);
            mosquitto_subscribe(mosq, NULL, t, 1);
            snprintf(t, sizeof(t), "%s/site/policy/set", m->o.prefix);
            mosquitto_subscribe(mosq, NULL, t, 1);
        }
        if (m->o.discovery_prefix[0]) {
            snprintf(t, sizeof(t), "%s/status", m->o.discovery_prefix);
            mosquitto_subscribe(mosq, NULL, t, 0);
        }
    }
    enqueue(m, EV_CONNECTED, rc, NULL);
}

static void on_disconnect(struct mosquitto *mosq, void *ctx, int rc)
{
    (void)mosq;
    enqueue(ctx, EV_DISCONNECTED, rc, NULL);
}

static void on_message(struct mosquitto *mosq, void *ctx, const struct mosquitto_message *msg)
{
    (void)mosq;
    enqueue(ctx, EV_MESSAGE, 0, msg);
}

/* ---- the loop's side ---- */

static void publish(struct mqtt_client *m, const char *topic, const char *payload, bool retain)
{
    if (!m->connected) {
        return; /* QoS 1 would queue without bound while offline: the next state covers it */
    }
    int rc = mosquitto_publish(m->mosq, NULL, topic, (int)strlen(payload), payload, m->o.qos,
                               retain);
    if (rc == MOSQ_ERR_SUCCESS) {
        m->stats.published++;
    }
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

static void emit_retained(void *ctx, const char *topic, const char *payload)
{
    publish(ctx, topic, payload, true);
}

/* A state is sent when it changed, or when forced (every interval, after a reconnect). */
static void emit_state(void *ctx, const char *topic, const char *payload)
{
    struct mqtt_client *m = ctx;
    uint64_t h = fnv1a(payload);
    size_t i = m->i_hash++;
    if (i < m->n_hash && m->hash[i] == h && !m->force) {
        return;
    }
    if (i < m->n_hash) {
        m->hash[i] = h;
    }
    publish(m, topic, payload, true);
}

static void publish_all(struct mqtt_client *m, uint64_t now_ms)
{
    if (!m->connected || status_snapshot_take(&m->snap, m->o.fill, m->o.ctx) != 0) {
        return;
    }
    if (m->want_discovery) {
        mqtt_discovery(&m->o, &m->snap, emit_retained, m);
        m->want_discovery = false;
        m->force = true;
    }
    if (now_ms - m->last_full_ms >= m->o.interval_ms) {
        m->force = true;
    }
    m->i_hash = 0;
    mqtt_states(&m->o, &m->snap, emit_state, m);
    if (m->force) {
        m->last_full_ms = now_ms;
    }
    m->force = false;
}

static void reply(struct mqtt_client *m, const char *topic, bool ok, const char *message)
{
    char t[MQTT_TOPIC_MAX];
    snprintf(t, sizeof(t), "%s/reply", m->o.prefix);
    json_t *doc = json_pack("{s:s, s:b, s:o}", "topic", topic, "ok", ok, "message",
                            status_json_text(message)); /* may quote the payload */
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (text) {
        publish(m, t, text, false);
    }
    free(text);
    json_decref(doc);
}

/* The charger whose topic word is word (names with other characters are published as words). */
static bool charger_name(struct mqtt_client *m, const char *word, char *out, size_t cap)
{
    if (status_snapshot_take(&m->snap, m->o.fill, m->o.ctx) != 0) {
        return false;
    }
    for (size_t i = 0; i < m->snap.n_charger; i++) {
        char w[STATUS_NAME_MAX * 2];
        mqtt_topic_word(m->snap.charger[i].name, w, sizeof(w));
        if (strcmp(w, word) == 0) {
            snprintf(out, cap, "%s", m->snap.charger[i].name);
            return true;
        }
    }
    return false;
}

static void on_command(struct mqtt_client *m, const struct mqtt_item *it)
{
    struct command c;
    char why[256] = "";
    int rc = mqtt_parse_command(m->o.prefix, it->topic, it->payload, it->len,
                                (int64_t)time(NULL) * 1000, &c, why, sizeof(why));
    if (rc == -ENOENT || it->len == 0) {
        return; /* not ours, or the empty message that clears a retained command */
    }
    m->stats.commands++;
    if (rc == 0 && it->retain) {
        rc = -EPERM;
        snprintf(why, sizeof(why), "a retained command is ignored: publish commands without retain");
    } else if (rc == 0 && c.kind != COMMAND_POLICY &&
               !charger_name(m, c.charger, c.charger, sizeof(c.charger))) {
        rc = -ENOENT;
        snprintf(why, sizeof(why), "no charger '%s'", c.charger);
    } else if (rc == 0) {
        rc = m->o.command(m->o.ctx, &c, why, sizeof(why));
    }
    if (rc != 0) {
        m->stats.refused++;
        log_warn("mqtt", "command on %s refused: %s", it->topic, why);
    } else {
        log_info("mqtt", "command on %s: %s", it->topic, why);
        m->force = true;
    }
    reply(m, it->topic, rc == 0, why);
    /* A command sent with retain would be replayed at every reconnect: clear it (as evcc does). */
    if (m->connected) {
        mosquitto_publish(m->mosq, NULL, it->topic, 0, NULL, m->o.qos, true);
    }
    publish_all(m, loop_now_ms(m->loop)); /* the state shows the result at once */
}

static void on_items(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)h;
    (void)revents;
    struct mqtt_client *m = ctx;
    uint64_t n;
    ssize_t r = read(fd, &n, sizeof(n));
    (void)r;
    struct mqtt_item batch[MQTT_QUEUE];
    pthread_mutex_lock(&m->mu);
    size_t count = m->n_q;
    memcpy(batch, m->q, count * sizeof(batch[0]));
    m->n_q = 0;
    uint64_t dropped = m->dropped;
    m->dropped = 0;
    pthread_mutex_unlock(&m->mu);
    if (dropped) {
        log_warn("mqtt", "%llu messages dropped: more than %d arrived within one loop turn",
                 (unsigned long long)dropped, MQTT_QUEUE);
    }
    char ha_status[MQTT_TOPIC_MAX];
    snprintf(ha_status, sizeof(ha_status), "%s/status", m->o.discovery_prefix);
    for (size_t i = 0; i < count; i++) {
        const struct mqtt_item *it = &batch[i];
        if (it->ev == EV_CONNECTED) {
            if (it->rc != 0) {
                log_warn("mqtt", "broker refused the connection: %s",
                         mosquitto_connack_string(it->rc));
                continue;
            }
            m->connected = m->stats.connected = true;
            m->stats.connects++;
            log_info("mqtt", "connected to %s", m->o.host);
            char t[MQTT_TOPIC_MAX];
            snprintf(t, sizeof(t), "%s/status", m->o.prefix);
            publish(m, t, "online", true);
            m->want_discovery = true;
            publish_all(m, loop_now_ms(l));
        } else if (it->ev == EV_DISCONNECTED) {
            if (m->connected) {
                log_warn("mqtt", "lost the broker (%s); reconnecting with back-off",
                         mosquitto_strerror(it->rc));
            }
            m->connected = m->stats.connected = false;
        } else if (m->o.discovery_prefix[0] && strcmp(it->topic, ha_status) == 0) {
            if (it->len == 6 && strcmp(it->payload, "online") == 0) {
                /* Home Assistant restarted: rediscover after a random 0-5 s, as it asks */
                m->rng = m->rng * 6364136223846793005ull + 1442695040888963407ull;
                loop_timer_arm_in(l, &m->rediscover, (m->rng >> 33) % 5000);
            }
        } else {
            on_command(m, it);
        }
    }
}

static void on_rediscover(struct loop *l, struct loop_timer *t, uint64_t now_ms, void *ctx)
{
    (void)l;
    (void)t;
    struct mqtt_client *m = ctx;
    m->want_discovery = true;
    publish_all(m, now_ms);
}

static void on_tick(struct loop *l, struct loop_timer *t, uint64_t now_ms, void *ctx)
{
    publish_all(ctx, now_ms);
    loop_timer_arm_in(l, t, 1000);
}

int mqtt_parse_url(const char *url, struct mqtt_options *o)
{
    const char *rest;
    if (strncmp(url, "unix:", 5) == 0) {
        if (url[5] != '/' || strlen(url + 5) >= sizeof(o->host)) {
            return -EINVAL;
        }
        snprintf(o->host, sizeof(o->host), "%s", url + 5);
        o->port = 0;
        o->tls = false;
        return 0;
    }
    if (strncmp(url, "mqtt://", 7) == 0) {
        rest = url + 7;
        o->tls = false;
        o->port = 1883;
    } else if (strncmp(url, "mqtts://", 8) == 0) {
        rest = url + 8;
        o->tls = true;
        o->port = 8883;
    } else {
        return -EINVAL;
    }
    const char *colon = strrchr(rest, ':');
    size_t hl = colon ? (size_t)(colon - rest) : strlen(rest);
    if (!hl || hl >= sizeof(o->host) || strchr(rest, '/')) {
        return -EINVAL;
    }
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || p < 1 || p > 65535) {
            return -EINVAL;
        }
        o->port = (int)p;
    }
    memcpy(o->host, rest, hl);
    o->host[hl] = '\0';
    return 0;
}

int mqtt_open(struct loop *l, const struct mqtt_options *o, struct mqtt_client **out, char *err,
              size_t errlen)
{
    *out = NULL;
    int lrc = amp_dl_load(&mosq_dl, "[mqtt]", err, errlen);
    if (lrc != 0) {
        return lrc;
    }
    struct mqtt_client *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "mqtt: out of memory");
        return -ENOMEM;
    }
    m->loop = l;
    m->o = *o;
    m->efd = -1;
    m->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)m;
    m->n_hash = 1 + o->caps.charger + o->caps.circuit;
    m->hash = calloc(m->n_hash, sizeof(*m->hash));
    pthread_mutex_init(&m->mu, NULL);
    mosquitto_lib_init();
    int rc = -ENOMEM;
    if (!m->hash || status_snapshot_alloc(&m->snap, &o->caps) != 0) {
        snprintf(err, errlen, "mqtt: out of memory");
        goto fail;
    }
    m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    m->mosq = mosquitto_new(o->client_id[0] ? o->client_id : NULL, true, m);
    if (m->efd < 0 || !m->mosq) {
        snprintf(err, errlen, "mqtt: cannot create the client: %s", strerror(errno));
        rc = -errno;
        goto fail;
    }
    char will[MQTT_TOPIC_MAX];
    snprintf(will, sizeof(will), "%s/status", o->prefix);
    mosquitto_will_set(m->mosq, will, 7, "offline", 1, true);
    if (o->username[0]) {
        mosquitto_username_pw_set(m->mosq, o->username, o->password[0] ? o->password : NULL);
    }
    if (o->tls && mosquitto_tls_set(m->mosq, o->ca_file[0] ? o->ca_file : NULL,
                                    o->ca_file[0] ? NULL : "/etc/ssl/certs", NULL, NULL,
                                    NULL) != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "mqtt: cannot use CA file '%s'", o->ca_file);
        rc = -EINVAL;
        goto fail;
    }
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
    mosquitto_message_callback_set(m->mosq, on_message);
    mosquitto_reconnect_delay_set(m->mosq, 1, 30, true);
    loop_fd_init(&m->efd_h, on_items, m);
    loop_timer_init(&m->tick, on_tick, m);
    loop_timer_init(&m->rediscover, on_rediscover, m);
    if (loop_fd_set(l, &m->efd_h, m->efd, LOOP_READ) != 0) {
        snprintf(err, errlen, "mqtt: out of memory");
        goto fail;
    }
    /* A first connect that fails (broker down) is retried by the thread like any other. */
    int crc = mosquitto_connect_async(m->mosq, o->host, o->port, o->keepalive_s);
    if (crc != MOSQ_ERR_SUCCESS && crc != MOSQ_ERR_ERRNO) {
        snprintf(err, errlen, "mqtt: %s:%d: %s", o->host, o->port, mosquitto_strerror(crc));
        rc = -EINVAL;
        goto fail;
    }
    if (crc == MOSQ_ERR_ERRNO) {
        log_warn("mqtt", "%s:%d: %s; retrying in the background", o->host, o->port,
                 strerror(errno));
    }
    if (mosquitto_loop_start(m->mosq) != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "mqtt: cannot start its thread");
        rc = -EIO;
        goto fail;
    }
    loop_timer_arm_in(l, &m->tick, 1000);
    *out = m;
    return 0;
fail:
    loop_fd_del(l, &m->efd_h);
    if (m->mosq) {
        mosquitto_destroy(m->mosq);
    }
    if (m->efd >= 0) {
        close(m->efd);
    }
    status_snapshot_release(&m->snap);
    free(m->hash);
    pthread_mutex_destroy(&m->mu);
    free(m);
    return rc;
}

void mqtt_close(struct mqtt_client *m)
{
    if (!m) {
        return;
    }
    if (m->connected) {
        /* A clean DISCONNECT makes the broker drop the will: say offline ourselves. */
        char t[MQTT_TOPIC_MAX];
        snprintf(t, sizeof(t), "%s/status", m->o.prefix);
        mosquitto_publish(m->mosq, NULL, t, 7, "offline", 1, true);
    }
    mosquitto_disconnect(m->mosq);
    mosquitto_loop_stop(m->mosq, false);
    mosquitto_destroy(m->mosq);
    loop_fd_del(m->loop, &m->efd_h);
    loop_timer_disarm(m->loop, &m->tick);
    loop_timer_disarm(m->loop, &m->rediscover);
    close(m->efd);
    status_snapshot_release(&m->snap);
    free(m->hash);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

struct mqtt_stats mqtt_get_stats(const struct mqtt_client *m)
{
    return m->stats;
}
