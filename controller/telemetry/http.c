/* SPDX-License-Identifier: MIT */
/* The HTTP server: libmicrohttpd polled from the daemon's loop through its one epoll fd. */
#include "controller/telemetry/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include "controller/telemetry/mhd_dl.h"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "controller/telemetry/http_internal.h"
#include "drivers/base/log.h"

/* The page (controller/telemetry/page/index.html), embedded by CMake at build time. */
extern const unsigned char http_page_index[];
extern const size_t http_page_index_len;

struct http_srv {
    struct loop *loop;
    struct MHD_Daemon *mhd;
    struct loop_fd fd;
    struct loop_fd sess_fd; /* the sessions worker's wake-up */
    struct loop_timer run; /* MHD's own timeouts */
    struct loop_timer sample;
    struct http_options o;
    struct status_snapshot snap;
    struct http_history history;
    struct http_sess sess; /* /api/sessions' worker */
    uint16_t port;
};

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, const char *type,
                                 char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE) {
            free(body);
        }
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, json_t *doc)
{
    if (!doc) {
        static char oops[] = "{\"error\":\"out of memory\"}";
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json", oops,
                         strlen(oops), MHD_RESPMEM_PERSISTENT);
    }
    char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(doc);
    if (!text) {
        return MHD_NO;
    }
    return send_text(c, MHD_HTTP_OK, "application/json", text, strlen(text),
                     MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result error(struct MHD_Connection *c, unsigned code, const char *what)
{
    char *body = NULL;
    if (asprintf(&body, "{\"error\":\"%s\"}", what) < 0) {
        return MHD_NO;
    }
    return send_text(c, code, "application/json", body, strlen(body), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req)
{
    (void)version;
    struct http_srv *s = cls;
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 && s->o.token[0] && s->o.command) {
        return http_on_post(c, url, upload, upload_size, req, &s->o);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!r) {
            return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
                                s->o.token[0] && s->o.command ? "GET, HEAD, POST" : "GET, HEAD");
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (*upload_size) {
        *upload_size = 0; /* a body on a GET is ignored */
        return MHD_YES;
    }
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
        return send_text(c, MHD_HTTP_OK, "text/html; charset=utf-8",
                         (void *)(uintptr_t)http_page_index, http_page_index_len,
                         MHD_RESPMEM_PERSISTENT);
    }
    if (strcmp(url, "/api/sessions") == 0) {
        if (!s->o.sessions) {
            return error(c, MHD_HTTP_NOT_FOUND, "this daemon keeps no session log");
        }
        char *body = NULL;
        int rc;
        if (!*req) {
            /* the query runs on the worker; this connection waits, suspended, for its answer */
            const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
            const char *who = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "charger");
            rc = http_sess_submit(&s->sess, c, s->o.sessions, s->o.sessions_db, since, who, req);
            if (rc == 0) {
                return MHD_YES;
            }
        } else {
            rc = http_sess_take(&s->sess, req, &body);
        }
        if (rc == -EINVAL) {
            return error(c, MHD_HTTP_BAD_REQUEST, "bad since or charger");
        }
        if (rc != 0 || !body) {
            free(body);
            return error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the session log cannot be read");
        }
        return send_text(c, MHD_HTTP_OK, "application/json", body, strlen(body),
                         MHD_RESPMEM_MUST_FREE);
    }
    bool metrics = strcmp(url, "/metrics") == 0, status = strcmp(url, "/api/status") == 0,
         history = strcmp(url, "/api/history") == 0;
    if (!metrics && !status && !history) {
        return error(c, MHD_HTTP_NOT_FOUND, "no such page");
    }
    if (status_snapshot_take(&s->snap, s->o.fill, s->o.ctx) != 0) {
        return error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot");
    }
    if (status) {
        return send_json(c, status_to_json(&s->snap));
    }
    if (history) {
        return send_json(c, http_history_json(&s->history, &s->snap));
    }
    char *text = telemetry_metrics(&s->snap, s->o.version);
    if (!text) {
        return MHD_NO;
    }
    return send_text(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text,
                     strlen(text), MHD_RESPMEM_MUST_FREE);
}

/* After anything MHD did, ask it when it wants to run again. */
static void rearm(struct http_srv *s)
{
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(s->mhd, &ms) == MHD_YES) {
        loop_timer_arm_in(s->loop, &s->run, ms);
    } else {
        loop_timer_disarm(s->loop, &s->run);
    }
}

static void on_fd(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)l;
    (void)h;
    (void)fd;
    (void)revents;
    struct http_srv *s = ctx;
    MHD_run(s->mhd);
    rearm(s);
}

/* The sessions worker resumed a connection: MHD's own wake-up does not reach an external
 * epoll loop, so the worker rings this eventfd too. */
static void on_sess_fd(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)l;
    (void)h;
    (void)revents;
    struct http_srv *s = ctx;
    uint64_t n;
    if (read(fd, &n, sizeof(n)) < 0) {
        /* EAGAIN: nothing new; the runs below are harmless */
    }
    /* one run takes the resumed connection back, the next (next turn) serves it */
    MHD_run(s->mhd);
    loop_timer_arm_in(s->loop, &s->run, 0);
}

static void on_run(struct loop *l, struct loop_timer *t, uint64_t now_ms, void *ctx)
{
    (void)l;
    (void)t;
    (void)now_ms;
    struct http_srv *s = ctx;
    MHD_run(s->mhd);
    rearm(s);
}

static void on_sample(struct loop *l, struct loop_timer *t, uint64_t now_ms, void *ctx)
{
    (void)now_ms;
    struct http_srv *s = ctx;
    if (status_snapshot_take(&s->snap, s->o.fill, s->o.ctx) == 0) {
        http_history_add(&s->history, &s->snap);
    }
    loop_timer_arm_in(l, t, s->o.history_interval_ms);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[256];
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_msg(LOG_LEVEL_WARN, "http", "%s", line);
}

int http_srv_open(struct loop *l, const struct http_options *o, struct http_srv **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    int lrc = amp_dl_load(&mhd_dl, "[http]", err, errlen);
    if (lrc != 0) {
        return lrc;
    }
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (inet_pton(AF_INET, o->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(o->port);
        sl = sizeof(*in4);
    } else if (inet_pton(AF_INET6, o->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(o->port);
        sl = sizeof(*in6);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "http: listen address '%s' is not a numeric IPv4 or IPv6 address",
                 o->host);
        return -EINVAL;
    }
    (void)sl;
    struct http_srv *s = calloc(1, sizeof(*s));
    if (!s || status_snapshot_alloc(&s->snap, &o->caps) != 0 ||
        http_history_init(&s->history, o->caps.circuit, HTTP_HISTORY_SAMPLES,
                          o->history_interval_ms) != 0) {
        if (s) {
            status_snapshot_release(&s->snap);
        }
        free(s);
        snprintf(err, errlen, "http: out of memory");
        return -ENOMEM;
    }
    s->loop = l;
    s->o = *o;
    int sess_rc = http_sess_init(&s->sess);
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_NOTIFY_COMPLETED, http_post_done, NULL,
                              MHD_OPTION_CONNECTION_LIMIT, 32u,
                              MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16u,
                              MHD_OPTION_CONNECTION_TIMEOUT, 15u,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
                              MHD_OPTION_END);
    const union MHD_DaemonInfo *epoll_info =
        s->mhd ? MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    const union MHD_DaemonInfo *port_info =
        s->mhd ? MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!epoll_info || !port_info || sess_rc != 0) {
        int rc = sess_rc ? sess_rc : errno ? -errno : -EIO;
        snprintf(err, errlen, "http: cannot listen on %s:%u: %s", o->host, o->port,
                 strerror(-rc));
        if (s->mhd) {
            MHD_stop_daemon(s->mhd);
        }
        http_sess_fini(&s->sess);
        http_history_fini(&s->history);
        status_snapshot_release(&s->snap);
        free(s);
        return rc;
    }
    s->port = port_info->port;
    loop_fd_init(&s->fd, on_fd, s);
    loop_timer_init(&s->run, on_run, s);
    loop_timer_init(&s->sample, on_sample, s);
    loop_fd_init(&s->sess_fd, on_sess_fd, s);
    int rc = loop_fd_set(l, &s->fd, epoll_info->epoll_fd, LOOP_READ);
    if (rc == 0) {
        rc = loop_fd_set(l, &s->sess_fd, s->sess.efd, LOOP_READ);
    }
    if (rc != 0) {
        http_srv_close(s);
        snprintf(err, errlen, "http: out of memory");
        return rc;
    }
    loop_timer_arm_in(l, &s->sample, 0);
    rearm(s);
    *out = s;
    return 0;
}

uint16_t http_srv_port(const struct http_srv *s)
{
    return s->port;
}

void http_srv_close(struct http_srv *s)
{
    if (!s) {
        return;
    }
    loop_fd_del(s->loop, &s->fd);
    loop_fd_del(s->loop, &s->sess_fd);
    loop_timer_disarm(s->loop, &s->run);
    loop_timer_disarm(s->loop, &s->sample);
    http_sess_fini(&s->sess); /* waits for a query under way: a reload or the exit */
    MHD_stop_daemon(s->mhd);
    http_history_fini(&s->history);
    status_snapshot_release(&s->snap);
    free(s);
}
