/* SPDX-License-Identifier: MIT */
/* libwebsockets on the loop, the handshake checks and the frames in and out (ocpp_srv.h). */
#include "controller/ocpp/ocpp_srv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "controller/engine/config.h"
#include "drivers/base/log.h"
#include "drivers/ocpp/ocpp_creds.h"

#define MOD       "ocpp"
#define PROTOCOL  "ocpp1.6"
#define PATH      "/ocpp/"
#define QUEUE_MAX 16 /* frames waiting for the socket, per connection */

struct sess;

struct srv_fd { /* one fd lws asked us to watch */
    struct loop_fd h;
    struct ocpp_srv *s;
    struct srv_fd *next;
};

struct ocpp_srv {
    struct loop *loop;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct loop_timer tick;
    struct srv_fd *fds;
    struct ocpp_cp_conf cp_conf;
    struct ocpp_creds creds;
    size_t n;
    struct ocpp_cp *cp;
    struct sess **live; /* [n]: the connection of each charge point, or NULL */
    uint32_t refused;
    int port;
    bool in_service;
};

struct sess { /* lws's per-session data: zeroed by lws */
    struct ocpp_srv *s;
    struct lws *wsi;
    int cp; /* index, -1 before the handshake is through */
    bool dead;
    char *rx;
    size_t rx_len;
    char *q[QUEUE_MAX];
    size_t q_head, q_n;
};

static void arm_tick(struct ocpp_srv *s);

/* ---- the fds lws watches, on the loop ---- */

static void on_fd(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)l;
    (void)h;
    struct srv_fd *f = ctx;
    struct ocpp_srv *s = f->s;
    struct lws_pollfd p = {.fd = fd, .events = h->events, .revents = revents};
    s->in_service = true;
    lws_service_fd(s->ctx, &p); /* may free f (DEL_POLL_FD) */
    s->in_service = false;
    arm_tick(s);
}

static struct srv_fd *find_fd(struct ocpp_srv *s, int fd, struct srv_fd ***link)
{
    for (struct srv_fd **pp = &s->fds; *pp; pp = &(*pp)->next) {
        if ((*pp)->h.fd == fd) {
            if (link) {
                *link = pp;
            }
            return *pp;
        }
    }
    return NULL;
}

static int poll_fd(struct ocpp_srv *s, enum lws_callback_reasons r, const struct lws_pollargs *a)
{
    struct srv_fd **link = NULL, *f = find_fd(s, a->fd, &link);
    switch (r) {
    case LWS_CALLBACK_ADD_POLL_FD:
        if (!f) {
            f = calloc(1, sizeof(*f));
            if (!f) {
                return 1;
            }
            f->s = s;
            loop_fd_init(&f->h, on_fd, f);
            f->next = s->fds;
            s->fds = f;
        }
        return loop_fd_set(s->loop, &f->h, a->fd, (short)a->events) ? 1 : 0;
    case LWS_CALLBACK_CHANGE_MODE_POLL_FD:
        return f ? (loop_fd_set(s->loop, &f->h, a->fd, (short)a->events) ? 1 : 0) : 0;
    case LWS_CALLBACK_DEL_POLL_FD:
        if (f) {
            loop_fd_del(s->loop, &f->h);
            *link = f->next;
            free(f);
        }
        return 0;
    default:
        return 0;
    }
}

/* lws's own timers: serviced from one loop timer, re-armed after each service. */
static void on_tick(struct loop *l, struct loop_timer *t, uint64_t now_ms, void *ctx)
{
    (void)l;
    (void)t;
    (void)now_ms;
    struct ocpp_srv *s = ctx;
    if (lws_service_adjust_timeout(s->ctx, 1, 0) == 0) {
        lws_service_tsi(s->ctx, -1, 0);
    }
    ocpp_srv_flush(s);
    arm_tick(s);
}

static void arm_tick(struct ocpp_srv *s)
{
    int ms = lws_service_adjust_timeout(s->ctx, 1000, 0);
    loop_timer_arm_in(s->loop, &s->tick, (uint64_t)(ms < 0 ? 1000 : ms));
}

/* ---- sending ---- */

static void enqueue(struct sess *x, char *frame)
{
    if (!frame) {
        log_err(MOD, "out of memory building a frame");
        return;
    }
    if (x->q_n == QUEUE_MAX) {
        log_warn(MOD, "%s: send queue full, frame dropped",
                 x->cp >= 0 ? x->s->cp[x->cp].id : "?");
        free(frame);
        return;
    }
    x->q[(x->q_head + x->q_n++) % QUEUE_MAX] = frame;
    lws_callback_on_writable(x->wsi);
}

static int write_one(struct sess *x)
{
    if (!x->q_n) {
        return 0;
    }
    char *f = x->q[x->q_head];
    x->q_head = (x->q_head + 1) % QUEUE_MAX;
    x->q_n--;
    size_t len = strlen(f);
    unsigned char *buf = malloc(LWS_PRE + len);
    int rc = -1;
    if (buf) {
        memcpy(buf + LWS_PRE, f, len);
        rc = lws_write(x->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len ? -1 : 0;
        free(buf);
    }
    free(f);
    if (x->q_n) {
        lws_callback_on_writable(x->wsi);
    }
    return rc;
}

static void drop_queue(struct sess *x)
{
    for (; x->q_n; x->q_n--, x->q_head = (x->q_head + 1) % QUEUE_MAX) {
        free(x->q[x->q_head]);
    }
    free(x->rx);
    x->rx = NULL;
    x->rx_len = 0;
}

void ocpp_srv_flush(struct ocpp_srv *s)
{
    uint64_t now = loop_now_ms(s->loop);
    time_t wall = time(NULL);
    for (size_t i = 0; i < s->n; i++) {
        struct sess *x = s->live[i];
        char *f;
        while (x && !x->dead && x->q_n < QUEUE_MAX && (f = ocpp_cp_poll(&s->cp[i], now, wall))) {
            enqueue(x, f);
        }
    }
}

/* ---- receiving ---- */

static void on_frame(struct sess *x, const char *text, size_t len)
{
    struct ocpp_srv *s = x->s;
    struct ocpp_cp *cp = &s->cp[x->cp];
    struct ocpp_frame f;
    const char *why = "";
    uint64_t now = loop_now_ms(s->loop);
    if (ocpp_frame_parse(text, len, &f, &why) != 0) {
        log_limited(cp->id, now, LOG_LEVEL_WARN, MOD, "%s: malformed frame: %s", cp->id, why);
        enqueue(x, ocpp_frame_error(f.id, "FormationViolation", why));
        return;
    }
    if (f.type == OCPP_CALL) {
        const char *code = NULL;
        char desc[128] = "";
        json_t *r = ocpp_cp_on_call(cp, f.action, f.payload, now, time(NULL), &code, desc,
                                    sizeof(desc));
        if (r) {
            enqueue(x, ocpp_frame_result(f.id, r));
        } else {
            log_limited(cp->id, now, LOG_LEVEL_WARN, MOD, "%s: %s refused: %s %s", cp->id,
                        f.action, code, desc);
            enqueue(x, ocpp_frame_error(f.id, code, desc));
        }
    } else if (ocpp_cp_on_reply(cp, &f, now) != 0) {
        log_debug(MOD, "%s: reply to no message of ours (%s)", cp->id, f.id);
    }
    ocpp_frame_clear(&f);
    ocpp_srv_flush(s);
}

static int on_rx(struct sess *x, const void *in, size_t len)
{
    if (x->rx_len + len > OCPP_FRAME_MAX) {
        log_warn(MOD, "%s: frame over %d bytes, connection closed", x->s->cp[x->cp].id,
                 OCPP_FRAME_MAX);
        return -1;
    }
    char *b = realloc(x->rx, x->rx_len + len + 1);
    if (!b) {
        return -1;
    }
    memcpy(b + x->rx_len, in, len);
    x->rx = b;
    x->rx_len += len;
    if (!lws_is_final_fragment(x->wsi) || lws_remaining_packet_payload(x->wsi)) {
        return 0;
    }
    if (lws_frame_is_binary(x->wsi)) {
        enqueue(x, ocpp_frame_error("-1", "FormationViolation", "binary frame"));
    } else if (x->rx_len) {
        on_frame(x, x->rx, x->rx_len);
    }
    free(x->rx);
    x->rx = NULL;
    x->rx_len = 0;
    return 0;
}

/* ---- the handshake ---- */

static int find_cp(const struct ocpp_srv *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->cp[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static bool offers_ocpp16(struct lws *wsi)
{
    char p[128] = "";
    if (lws_hdr_copy(wsi, p, sizeof(p), WSI_TOKEN_PROTOCOL) <= 0) {
        return false;
    }
    for (char *save = NULL, *t = strtok_r(p, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (strcmp(t, PROTOCOL) == 0) {
            return true;
        }
    }
    return false;
}

/* 0 and the charge point's index in *cp, or a reason for the log. */
static const char *check_handshake(struct ocpp_srv *s, struct lws *wsi, int *cp, char *id,
                                   size_t idlen)
{
    char uri[256] = "";
    if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
        strncmp(uri, PATH, strlen(PATH)) != 0) {
        snprintf(id, idlen, "?");
        return "path is not /ocpp/<id>";
    }
    const char *esc = uri + strlen(PATH);
    if (!*esc || strchr(esc, '/') || lws_urldecode(id, esc, (int)idlen) != 0) {
        snprintf(id, idlen, "?");
        return "bad charge point id in the path";
    }
    *cp = find_cp(s, id);
    if (*cp < 0) {
        return "unknown charge point id";
    }
    if (!offers_ocpp16(wsi)) {
        return "no ocpp1.6 subprotocol offered";
    }
    const char *pw = ocpp_creds_password(&s->creds, id);
    if (!pw) {
        return NULL; /* profile 0 */
    }
    char auth[512] = "";
    if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) <= 0) {
        return "no HTTP Basic credentials";
    }
    return ocpp_creds_check_basic(auth, id, pw) == 0 ? NULL : "wrong credentials";
}

static int on_filter(struct ocpp_srv *s, struct sess *x, struct lws *wsi)
{
    char id[OCPP_CP_ID_MAX] = "", peer[64] = "?";
    int cp = -1;
    const char *why = check_handshake(s, wsi, &cp, id, sizeof(id));
    lws_get_peer_simple(wsi, peer, sizeof(peer));
    if (why) {
        s->refused++;
        log_warn(MOD, "refused %s from %s: %s", id, peer, why);
        return 1;
    }
    x->s = s;
    x->wsi = wsi;
    x->cp = cp;
    if (s->live[cp]) { /* the charger came back before we saw the old link go */
        log_info(MOD, "%s: new connection replaces the old one", id);
        s->live[cp]->dead = true;
        lws_set_timeout(s->live[cp]->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        s->live[cp] = NULL;
        ocpp_cp_offline(&s->cp[cp], loop_now_ms(s->loop));
    }
    log_info(MOD, "%s: connected from %s", id, peer);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    struct ocpp_srv *s = ctx ? lws_context_user(ctx) : NULL;
    struct sess *x = user;
    switch (reason) {
    case LWS_CALLBACK_ADD_POLL_FD:
    case LWS_CALLBACK_DEL_POLL_FD:
    case LWS_CALLBACK_CHANGE_MODE_POLL_FD:
        return s ? poll_fd(s, reason, in) : 0;
    case LWS_CALLBACK_HTTP:
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
        return -1;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return on_filter(s, x, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        s->live[x->cp] = x;
        ocpp_cp_online(&s->cp[x->cp], loop_now_ms(s->loop));
        ocpp_srv_flush(s);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return x->dead ? -1 : on_rx(x, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return x->dead ? -1 : write_one(x);
    case LWS_CALLBACK_CLOSED:
        if (x->s && x->cp >= 0 && s->live[x->cp] == x) {
            s->live[x->cp] = NULL;
            log_warn(MOD, "%s: disconnected", s->cp[x->cp].id);
            ocpp_cp_offline(&s->cp[x->cp], loop_now_ms(s->loop));
        }
        drop_queue(x);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {PROTOCOL, callback, sizeof(struct sess), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_to_log(int level, const char *line)
{
    char t[256];
    snprintf(t, sizeof(t), "%s", line);
    t[strcspn(t, "\n")] = '\0';
    log_msg(level == LLL_ERR ? LOG_LEVEL_ERR : LOG_LEVEL_WARN, "lws", "%s", t);
}

int ocpp_srv_new(struct loop *l,
                 const struct ocpp_srv_conf *conf,
                 const struct ocpp_srv_point *points,
                 size_t n_points,
                 struct ocpp_srv **out,
                 char *err,
                 size_t errlen)
{
    *out = NULL;
    struct cfg_listen la;
    if (cfg_parse_listen(conf->listen, &la) != 0) {
        snprintf(err, errlen, "[ocpp] listen: %s is not ADDRESS:PORT", conf->listen);
        return -EINVAL;
    }
    struct ocpp_srv *s = calloc(1, sizeof(*s));
    if (!s || !(s->cp = calloc(n_points ? n_points : 1, sizeof(*s->cp))) ||
        !(s->live = calloc(n_points ? n_points : 1, sizeof(*s->live)))) {
        ocpp_srv_free(s);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->loop = l;
    s->n = n_points;
    s->cp_conf = conf->cp;
    loop_timer_init(&s->tick, on_tick, s);
    for (size_t i = 0; i < n_points; i++) {
        ocpp_cp_init(&s->cp[i], points[i].id, points[i].connector, &s->cp_conf);
    }
    int rc = ocpp_creds_load(&s->creds, conf->credentials, err, errlen);
    for (size_t i = 0; rc == 0 && i < s->creds.n; i++) {
        if (find_cp(s, s->creds.id[i]) < 0) {
            snprintf(err, errlen, "%s: %s is not the ocpp_id of any [evse]", conf->credentials,
                     s->creds.id[i]);
            rc = -EINVAL;
        }
    }
    if (rc != 0) {
        ocpp_srv_free(s);
        return rc;
    }
    for (size_t i = 0; i < n_points; i++) {
        if (!ocpp_creds_password(&s->creds, points[i].id)) {
            log_warn(MOD, "%s has no password: it connects without authentication "
                          "(security profile 0, for closed networks only)", points[i].id);
        }
    }

    lws_set_log_level(LLL_ERR | LLL_WARN, lws_to_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = la.port;
    info.iface = la.host;
    info.protocols = protocols;
    info.user = s;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(la.host, ':') == NULL);
    if (conf->certificate && conf->key) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = conf->certificate;
        info.ssl_private_key_filepath = conf->key;
    }
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        snprintf(err, errlen, "[ocpp] listen %s: cannot listen (address in use, or a bad "
                              "certificate or key)", conf->listen);
        ocpp_srv_free(s);
        return -EADDRINUSE;
    }
    s->vh = lws_get_vhost_by_name(s->ctx, "default");
    s->port = s->vh ? lws_get_vhost_listen_port(s->vh) : la.port;
    arm_tick(s);
    log_info(MOD, "central system on %s://%s:%d%s<id>", conf->certificate ? "wss" : "ws",
             la.host, s->port, PATH);
    *out = s;
    return 0;
}

void ocpp_srv_free(struct ocpp_srv *s)
{
    if (!s) {
        return;
    }
    if (s->ctx) {
        lws_context_destroy(s->ctx);
    }
    while (s->fds) { /* lws deleted its fds on destroy; any left are ours to drop */
        struct srv_fd *f = s->fds;
        s->fds = f->next;
        loop_fd_del(s->loop, &f->h);
        free(f);
    }
    if (s->loop) {
        loop_timer_disarm(s->loop, &s->tick);
    }
    ocpp_creds_free(&s->creds);
    free(s->live);
    free(s->cp);
    free(s);
}

int ocpp_srv_port(const struct ocpp_srv *s)
{
    return s->port;
}

size_t ocpp_srv_count(const struct ocpp_srv *s)
{
    return s->n;
}

struct ocpp_cp *ocpp_srv_cp(struct ocpp_srv *s, size_t i)
{
    return i < s->n ? &s->cp[i] : NULL;
}

void ocpp_srv_clear_all(struct ocpp_srv *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->cp[i].online) {
            ocpp_cp_clear(&s->cp[i]);
        }
    }
    ocpp_srv_flush(s);
}

uint32_t ocpp_srv_refused(const struct ocpp_srv *s)
{
    return s->refused;
}
