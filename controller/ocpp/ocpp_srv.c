/* SPDX-License-Identifier: MIT */
/* libwebsockets on the loop, the handshake checks and the frames in and out (ocpp_srv.h). */
#include "controller/ocpp/ocpp_srv.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "controller/engine/config.h"
#include "drivers/base/log.h"
#include "drivers/ocpp/ocpp_creds.h"
#include "drivers/ocpp/lws_dl.h"

#define MOD       "ocpp"
#define PROTOCOL  "ocpp1.6"
#define PATH      "/ocpp/"
#define QUEUE_MAX 16 /* frames waiting for the socket, per connection */

struct sess;

/* One accepted connection: we accept it and hand it to lws (lws_adopt_socket_vhost), so we know
 * its fd and watch it on the loop. Debian's lws has no external-poll hooks, so each wake-up runs
 * lws_service(ctx, -1): a poll of lws's own fds that never sleeps (the loop does the waiting). */
struct conn {
    struct loop_fd h;
    struct ocpp_srv *s;
    struct lws *wsi;
    struct conn *next;
};

struct ocpp_srv {
    struct loop *loop;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct loop_fd listen;
    int lfd;
    struct loop_timer tick;
    struct conn *conns;
    struct ocpp_cp_conf cp_conf;
    struct ocpp_creds creds;
    size_t n;
    struct ocpp_cp *cp;
    struct sess **live; /* [n]: the connection of each charge point, or NULL */
    uint32_t refused;
    int port;
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

/* ---- lws on the loop ---- */

/* Services whatever lws has ready, then re-asks each connection's events and lws's next timer. */
static void service(struct ocpp_srv *s)
{
    lws_service(s->ctx, -1);
    for (struct conn *c = s->conns; c; c = c->next) {
        const struct sess *x = lws_wsi_user(c->wsi);
        bool out = (x && x->q_n) || lws_partial_buffered(c->wsi);
        loop_fd_set(s->loop, &c->h, c->h.fd, (short)(LOOP_READ | (out ? LOOP_WRITE : 0)));
    }
    int ms = lws_service_adjust_timeout(s->ctx, 1000, 0);
    loop_timer_arm_in(s->loop, &s->tick, (uint64_t)(ms < 0 ? 1000 : ms > 1000 ? 1000 : ms));
}

static void on_conn(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)l;
    (void)h;
    (void)fd;
    (void)revents;
    struct conn *c = ctx;
    service(c->s); /* may free c (WSI_DESTROY) */
}

static void on_tick(struct loop *l, struct loop_timer *t, uint64_t now_ms, void *ctx)
{
    (void)l;
    (void)t;
    (void)now_ms;
    struct ocpp_srv *s = ctx;
    ocpp_srv_flush(s);
    service(s);
}

static void on_accept(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)l;
    (void)h;
    (void)revents;
    struct ocpp_srv *s = ctx;
    for (int i = 0; i < 16; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                log_limited("ocpp-accept", loop_now_ms(s->loop), LOG_LEVEL_WARN, MOD, "accept: %s",
                            strerror(errno));
            }
            break;
        }
        struct conn *c = calloc(1, sizeof(*c));
        if (!c) {
            close(cfd);
            break;
        }
        c->s = s;
        loop_fd_init(&c->h, on_conn, c);
        c->next = s->conns;
        s->conns = c;
        c->h.fd = cfd; /* found by fd in WSI_DESTROY should adoption fail */
        c->wsi = lws_adopt_socket_vhost(s->vh, cfd);
        if (!c->wsi) { /* lws closed cfd and freed what it made */
            s->conns = c->next;
            free(c);
            continue;
        }
        loop_fd_set(s->loop, &c->h, cfd, LOOP_READ);
    }
    service(s);
}

static void conn_gone(struct ocpp_srv *s, struct lws *wsi)
{
    for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
        if ((*pp)->wsi == wsi) {
            struct conn *c = *pp;
            *pp = c->next;
            loop_fd_del(s->loop, &c->h);
            free(c);
            return;
        }
    }
}

static int listen_on(const struct cfg_listen *la, int *port, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    char serv[8];
    snprintf(serv, sizeof(serv), "%u", la->port);
    int rc = getaddrinfo(la->host, serv, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "[ocpp] listen %s: %s", la->host, gai_strerror(rc));
        return -EINVAL;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
        int e = errno;
        snprintf(err, errlen, "[ocpp] listen %s:%u: %s", la->host, la->port, strerror(e));
        freeaddrinfo(ai);
        if (fd >= 0) {
            close(fd);
        }
        return -e;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                           : ((struct sockaddr_in *)&sa)->sin_port);
    return fd;
}

/* ---- sending ---- */

static void enqueue(struct sess *x, char *frame)
{
    if (!frame) {
        log_err(MOD, "out of memory building a frame");
        return;
    }
    if (x->q_n == QUEUE_MAX) {
        log_warn(MOD, "%s: send queue full, frame dropped", x->cp >= 0 ? x->s->cp[x->cp].id : "?");
        free(frame);
        return;
    }
    x->q[(x->q_head + x->q_n++) % QUEUE_MAX] = frame;
    lws_callback_on_writable(x->wsi);
    /* lws is serviced from the loop, never from here (this may run inside an lws callback) */
    loop_timer_arm_in(x->s->loop, &x->s->tick, 0);
}

static int write_one(struct sess *x)
{
    if (!x->q_n) {
        return 0;
    }
    char *f = x->q[x->q_head];
    log_debug(MOD, "%s: > %s", x->s->cp[x->cp].id, f);
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
        json_t *r =
            ocpp_cp_on_call(cp, f.action, f.payload, now, time(NULL), &code, desc, sizeof(desc));
        if (r) {
            enqueue(x, ocpp_frame_result(f.id, r));
        } else {
            log_limited(cp->id, now, LOG_LEVEL_WARN, MOD, "%s: %s refused: %s %s", cp->id, f.action,
                        code, desc);
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
static const char *
check_handshake(struct ocpp_srv *s, struct lws *wsi, int *cp, char *id, size_t idlen)
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

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    struct ocpp_srv *s = ctx ? lws_context_user(ctx) : NULL;
    struct sess *x = user;
    switch (reason) {
    case LWS_CALLBACK_WSI_DESTROY:
        if (s) {
            conn_gone(s, wsi);
        }
        return 0;
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
    int lrc = amp_dl_load(&lws_dl, "[ocpp]", err, errlen);
    if (lrc != 0) {
        return lrc;
    }
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
    s->lfd = -1;
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
            log_warn(MOD,
                     "%s has no password: it connects without authentication "
                     "(security profile 0, for closed networks only)",
                     points[i].id);
        }
    }

    lws_set_log_level(LLL_ERR | LLL_WARN, lws_to_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* we listen; lws adopts what we accept */
    info.protocols = protocols;
    info.user = s;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    info.vhost_name = "ocpp";
    if (conf->certificate && conf->key) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = conf->certificate;
        info.ssl_private_key_filepath = conf->key;
    }
    s->lfd = -1;
    s->ctx = lws_create_context(&info);
    s->vh = s->ctx ? lws_get_vhost_by_name(s->ctx, "ocpp") : NULL;
    if (!s->vh) {
        snprintf(err, errlen,
                 "[ocpp]: cannot start the WebSocket server (a bad certificate or "
                 "key?)");
        ocpp_srv_free(s);
        return -EINVAL;
    }
    s->lfd = listen_on(&la, &s->port, err, errlen);
    if (s->lfd < 0) {
        rc = s->lfd;
        ocpp_srv_free(s);
        return rc;
    }
    loop_fd_init(&s->listen, on_accept, s);
    if (loop_fd_set(l, &s->listen, s->lfd, LOOP_READ) != 0) {
        ocpp_srv_free(s);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    service(s);
    log_info(MOD, "central system on %s://%s:%d%s<id>", conf->certificate ? "wss" : "ws", la.host,
             s->port, PATH);
    *out = s;
    return 0;
}

void ocpp_srv_free(struct ocpp_srv *s)
{
    if (!s) {
        return;
    }
    if (s->ctx) {
        lws_context_destroy(s->ctx); /* closes every connection: WSI_DESTROY frees each conn */
    }
    while (s->conns) {
        struct conn *c = s->conns;
        s->conns = c->next;
        loop_fd_del(s->loop, &c->h);
        free(c);
    }
    if (s->loop) {
        loop_fd_del(s->loop, &s->listen);
        loop_timer_disarm(s->loop, &s->tick);
    }
    if (s->lfd >= 0) {
        close(s->lfd);
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
