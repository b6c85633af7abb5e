/* SPDX-License-Identifier: MIT */
/* The status socket's server: accept, read lines, answer, write back; all non-blocking. */
#include "controller/status/status_srv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct status_client {
    struct status_srv *srv;
    struct loop_fd h;
    char in[STATUS_SRV_LINE_MAX + 1];
    size_t n_in;
    char *out; /* queued replies, malloc'd */
    size_t n_out, off_out;
    bool closing; /* close once out is written */
};

struct status_srv {
    struct loop *loop;
    struct loop_fd listen;
    int listen_fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    status_fill_fn *fill;
    void *ctx;
    struct status_snapshot snap;
    struct status_client *client[STATUS_SRV_CLIENTS];
    struct status_srv_stats stats;
};

static void client_free(struct status_client *c)
{
    struct status_srv *s = c->srv;
    loop_fd_del(s->loop, &c->h);
    close(c->h.fd);
    free(c->out);
    for (size_t i = 0; i < STATUS_SRV_CLIENTS; i++) {
        if (s->client[i] == c) {
            s->client[i] = NULL;
        }
    }
    free(c);
    /* A slot is free again: accept waiting connections. */
    loop_fd_set(s->loop, &s->listen, s->listen_fd, LOOP_READ);
}

/* Queues text and a newline; false when out of memory (the client is then dropped). */
static bool queue(struct status_client *c, const char *text)
{
    size_t len = strlen(text);
    char *grown = realloc(c->out, c->n_out + len + 1);
    if (!grown) {
        return false;
    }
    c->out = grown;
    memcpy(c->out + c->n_out, text, len);
    c->out[c->n_out + len] = '\n';
    c->n_out += len + 1;
    return true;
}

static bool reply(struct status_client *c, json_t *id, json_t *msg)
{
    if (!msg) {
        return false;
    }
    if (id) {
        json_object_set(msg, "id", id);
    }
    char *text = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(msg);
    bool ok = text && queue(c, text);
    free(text);
    return ok;
}

static bool refuse(struct status_client *c, json_t *id, const char *why)
{
    c->srv->stats.refused++;
    return reply(c, id, json_pack("{s:b, s:s}", "ok", 0, "error", why));
}

static bool answer_status(struct status_client *c, json_t *id)
{
    struct status_srv *s = c->srv;
    int rc = status_snapshot_take(&s->snap, s->fill, s->ctx);
    if (rc != 0) {
        return refuse(c, id, "the daemon could not take a snapshot");
    }
    json_t *doc = status_to_json(&s->snap);
    if (!doc) {
        return false;
    }
    s->stats.requests++;
    return reply(c, id, json_pack("{s:b, s:o}", "ok", 1, "status", doc));
}

/* Answers one complete line; false when the client must be dropped. */
static bool handle_line(struct status_client *c, const char *line, size_t len)
{
    json_error_t jerr;
    json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req || !json_is_object(req)) {
        json_decref(req);
        return refuse(c, NULL, "a request is one JSON object per line, e.g. {\"cmd\":\"status\"}");
    }
    json_t *id = json_object_get(req, "id");
    const char *cmd = json_string_value(json_object_get(req, "cmd"));
    bool ok;
    if (cmd && strcmp(cmd, "status") == 0) {
        ok = answer_status(c, id);
    } else if (cmd && strcmp(cmd, "ping") == 0) {
        c->srv->stats.requests++;
        ok = reply(c, id, json_pack("{s:b}", "ok", 1));
    } else {
        ok = refuse(c, id, cmd ? "unknown cmd (known: status, ping)" : "no \"cmd\" string");
    }
    json_decref(req);
    return ok;
}

static void want_events(struct status_client *c)
{
    short ev = (c->n_out > c->off_out ? LOOP_WRITE : 0) | (c->closing ? 0 : LOOP_READ);
    loop_fd_set(c->srv->loop, &c->h, c->h.fd, ev);
}

static bool read_lines(struct status_client *c)
{
    for (;;) {
        ssize_t n = read(c->h.fd, c->in + c->n_in, STATUS_SRV_LINE_MAX - c->n_in);
        if (n == 0) {
            c->closing = true; /* EOF: finish writing what was asked, then close */
            return c->n_out > c->off_out;
        }
        if (n < 0) {
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        }
        c->n_in += (size_t)n;
        char *nl;
        while ((nl = memchr(c->in, '\n', c->n_in)) != NULL) {
            size_t len = (size_t)(nl - c->in);
            if (len > 0 && !handle_line(c, c->in, len)) {
                return false;
            }
            c->n_in -= len + 1;
            memmove(c->in, nl + 1, c->n_in);
        }
        if (c->n_in == STATUS_SRV_LINE_MAX) {
            c->closing = true;
            return refuse(c, NULL, "request line too long");
        }
    }
}

static bool write_out(struct status_client *c)
{
    while (c->off_out < c->n_out) {
        ssize_t n = send(c->h.fd, c->out + c->off_out, c->n_out - c->off_out, MSG_NOSIGNAL);
        if (n < 0) {
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        }
        c->off_out += (size_t)n;
    }
    c->n_out = c->off_out = 0;
    return !c->closing;
}

static void on_client(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)l;
    (void)h;
    (void)fd;
    struct status_client *c = ctx;
    bool keep = true;
    if (revents & LOOP_READ) {
        keep = read_lines(c);
    } else if (revents & (POLLERR | POLLNVAL)) {
        keep = false;
    }
    if (keep && (revents & LOOP_WRITE || c->n_out > c->off_out)) {
        keep = write_out(c);
    }
    if (keep && (revents & POLLHUP) && !(revents & LOOP_READ)) {
        keep = false;
    }
    if (!keep) {
        client_free(c);
        return;
    }
    want_events(c);
}

static void on_listen(struct loop *l, struct loop_fd *h, int fd, short revents, void *ctx)
{
    (void)h;
    (void)revents;
    struct status_srv *s = ctx;
    for (;;) {
        size_t slot = 0;
        while (slot < STATUS_SRV_CLIENTS && s->client[slot]) {
            slot++;
        }
        if (slot == STATUS_SRV_CLIENTS) {
            loop_fd_set(l, &s->listen, fd, 0); /* full: they wait in the backlog */
            return;
        }
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            /* EAGAIN: none left; EMFILE and the like: try again on the next turn. */
            return;
        }
        struct status_client *c = calloc(1, sizeof(*c));
        if (!c) {
            close(cfd);
            return;
        }
        c->srv = s;
        loop_fd_init(&c->h, on_client, c);
        if (loop_fd_set(l, &c->h, cfd, LOOP_READ) != 0) {
            close(cfd);
            free(c);
            return;
        }
        s->client[slot] = c;
        s->stats.clients++;
    }
}

/* true when something answers at path (a running daemon). */
static bool someone_listens(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    bool yes = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
    close(fd);
    return yes;
}

int status_srv_open(struct loop *l, const char *path, const struct status_caps *caps,
                    status_fill_fn *fill, void *ctx, struct status_srv **out, char *err,
                    size_t errlen)
{
    *out = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "status socket %s: path too long (at most %zu bytes)", path,
                 sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    struct status_srv *s = calloc(1, sizeof(*s));
    if (!s || status_snapshot_alloc(&s->snap, caps) != 0) {
        if (s) {
            status_snapshot_release(&s->snap);
        }
        free(s);
        snprintf(err, errlen, "status socket %s: out of memory", path);
        return -ENOMEM;
    }
    s->loop = l;
    s->fill = fill;
    s->ctx = ctx;
    snprintf(s->path, sizeof(s->path), "%s", path);
    s->listen_fd = -1;
    int rc = 0;
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            rc = -EEXIST;
            snprintf(err, errlen, "status socket %s: exists and is not a socket", path);
        } else if (someone_listens(&sa)) {
            rc = -EADDRINUSE;
            snprintf(err, errlen, "status socket %s: another ampshare is running there", path);
        } else {
            unlink(path);
        }
    }
    if (rc == 0) {
        s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
            chmod(path, 0660) != 0 || listen(s->listen_fd, 8) != 0) {
            rc = -errno;
            snprintf(err, errlen, "status socket %s: %s", path, strerror(errno));
        }
    }
    if (rc == 0) {
        loop_fd_init(&s->listen, on_listen, s);
        rc = loop_fd_set(l, &s->listen, s->listen_fd, LOOP_READ);
    }
    if (rc != 0) {
        if (s->listen_fd >= 0) {
            close(s->listen_fd);
            if (rc != -EADDRINUSE && rc != -EEXIST) {
                unlink(path);
            }
        }
        status_snapshot_release(&s->snap);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void status_srv_close(struct status_srv *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < STATUS_SRV_CLIENTS; i++) {
        if (s->client[i]) {
            client_free(s->client[i]);
        }
    }
    loop_fd_del(s->loop, &s->listen);
    close(s->listen_fd);
    unlink(s->path);
    status_snapshot_release(&s->snap);
    free(s);
}

const struct status_srv_stats *status_srv_get_stats(const struct status_srv *s)
{
    return &s->stats;
}
