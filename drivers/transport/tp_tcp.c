/* SPDX-License-Identifier: MIT */
/*
 * The TCP client transport: a serial-over-TCP bridge (ser2net in raw mode, USR/Waveshare
 * converters, socat) carrying the RS485 bytes unchanged. Bridges drop connections and reboot
 * (twc-gen2.md §7.5), so the connect never blocks and keep-alive notices a bridge that vanished.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/base/log.h"
#include "drivers/transport/tp.h"
#include "drivers/transport/tp_internal.h"

/*
 * Keep-alive: first probe after 10 s of silence, then every 5 s, give up after 3 misses, so a
 * bridge that lost power is noticed within about 25 s even while we only listen. The user timeout
 * does the same for bytes we sent that are never acknowledged.
 */
#define TP_TCP_KEEPIDLE_S      10
#define TP_TCP_KEEPINTVL_S     5
#define TP_TCP_KEEPCNT_PROBES  3
#define TP_TCP_USER_TIMEOUT_MS 25000

enum tp_tcp_state {
    TP_TCP_CLOSED = 0,
    TP_TCP_CONNECTING = 1,
    TP_TCP_UP = 2,
};

struct tp_tcp {
    struct tp base;
    char host[128];
    uint16_t port;
    int fd;
    enum tp_tcp_state state;
};

int tp_tcp_tune_socket(int fd)
{
    static const struct {
        int level;
        int name;
        int value;
    } opts[] = {
        /* Frames are small and time-critical: send each write at once (no Nagle delay). */
        {IPPROTO_TCP, TCP_NODELAY, 1},
        {SOL_SOCKET, SO_KEEPALIVE, 1},
        {IPPROTO_TCP, TCP_KEEPIDLE, TP_TCP_KEEPIDLE_S},
        {IPPROTO_TCP, TCP_KEEPINTVL, TP_TCP_KEEPINTVL_S},
        {IPPROTO_TCP, TCP_KEEPCNT, TP_TCP_KEEPCNT_PROBES},
        {IPPROTO_TCP, TCP_USER_TIMEOUT, TP_TCP_USER_TIMEOUT_MS},
    };

    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        if (setsockopt(fd, opts[i].level, opts[i].name, &opts[i].value, sizeof(int)) < 0) {
            return -errno;
        }
    }
    return 0;
}

int tp_tcp_host_copy(char *dst, size_t cap, const char *host)
{
    if (!host || host[0] == '\0' || strlen(host) >= cap) {
        return -EINVAL;
    }
    memcpy(dst, host, strlen(host) + 1);
    return 0;
}

void tp_tcp_set_label(struct tp *t, const char *host, uint16_t port, const char *suffix)
{
    tp_set_label(t, strchr(host, ':') ? "tcp://[%s]:%u%s" : "tcp://%s:%u%s", host, (unsigned)port,
                 suffix);
}

int tp_tcp_resolve(
    const char *host, uint16_t port, bool passive, int unresolved_rc, struct addrinfo **res)
{
    char serv[8];
    snprintf(serv, sizeof(serv), "%u", (unsigned)port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0),
    };
    *res = NULL;
    int gai = getaddrinfo(host, serv, &hints, res);
    if (gai != 0) {
        return gai == EAI_SYSTEM ? -errno : unresolved_rc;
    }
    return 0;
}

int tp_tcp_socket(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    return fd < 0 ? -errno : fd;
}

/* Starts a non-blocking connect to each resolved address in turn until one is under way. */
static int tcp_start(struct tp_tcp *c)
{
    struct addrinfo *res;
    /* A host name blocks here while it resolves; configs should name bridges by address. */
    int rc = tp_tcp_resolve(c->host, c->port, false, -EHOSTUNREACH, &res);
    if (rc < 0) {
        return rc;
    }
    rc = -EHOSTUNREACH;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = tp_tcp_socket(ai);
        if (fd < 0) {
            rc = fd;
            continue;
        }
        rc = tp_tcp_tune_socket(fd);
        if (rc == 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            rc = -errno;
        }
        if (rc == 0 || rc == -EINPROGRESS) {
            c->fd = fd;
            c->state = rc == 0 ? TP_TCP_UP : TP_TCP_CONNECTING;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    return rc;
}

/* Checks a connect under way: 0 when up, -EINPROGRESS while pending, or why it failed. */
static int tcp_finish(struct tp_tcp *c)
{
    struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
    int n = poll(&pfd, 1, 0);
    if (n < 0) {
        return errno == EINTR ? -EINPROGRESS : -errno;
    }
    if (n == 0) {
        return -EINPROGRESS;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return -errno;
    }
    if (err != 0) {
        return -err;
    }
    c->state = TP_TCP_UP;
    return 0;
}

static void tcp_close(struct tp *t)
{
    struct tp_tcp *c = TP_CONTAINER_OF(t, struct tp_tcp, base);
    tp_fd_close(&c->fd);
    c->state = TP_TCP_CLOSED;
}

static int tcp_open(struct tp *t)
{
    struct tp_tcp *c = TP_CONTAINER_OF(t, struct tp_tcp, base);
    int rc;
    switch (c->state) {
    case TP_TCP_UP:
        return 0;
    case TP_TCP_CONNECTING:
        rc = tcp_finish(c);
        break;
    case TP_TCP_CLOSED:
    default:
        rc = tcp_start(c);
        break;
    }
    if (rc == 0) {
        log_info("tp", "%s: connected", t->label);
    } else if (rc != -EINPROGRESS) {
        tcp_close(t);
    }
    return rc;
}

static ssize_t tcp_read(struct tp *t, uint8_t *buf, size_t cap)
{
    struct tp_tcp *c = TP_CONTAINER_OF(t, struct tp_tcp, base);
    if (c->state == TP_TCP_CONNECTING) {
        return 0;
    }
    /* The bridge closing the connection is the bridge gone, as a reset is. */
    ssize_t n = tp_fd_read(c->fd, buf, cap, -ECONNRESET);
    return n == -EPIPE ? -ECONNRESET : n;
}

static ssize_t tcp_write(struct tp *t, const uint8_t *buf, size_t len)
{
    struct tp_tcp *c = TP_CONTAINER_OF(t, struct tp_tcp, base);
    if (c->state == TP_TCP_CONNECTING) {
        return 0;
    }
    ssize_t n = tp_fd_write(c->fd, buf, len, 1);
    return n == -EPIPE ? -ECONNRESET : n;
}

static int tcp_poll_fd(const struct tp *t)
{
    const struct tp_tcp *c = TP_CONTAINER_OF_CONST(t, struct tp_tcp, base);
    return c->fd;
}

static const struct tp_ops tcp_ops = {
    .name = "tcp",
    .open = tcp_open,
    .read = tcp_read,
    .write = tcp_write,
    .poll_fd = tcp_poll_fd,
    .close = tcp_close,
};

int tp_tcp_new(const char *host, uint16_t port, struct tp **out)
{
    if (!out) {
        return -EINVAL;
    }
    *out = NULL;
    if (port == 0) {
        return -EINVAL;
    }
    struct tp_tcp *c = calloc(1, sizeof(*c));
    if (!c) {
        return -ENOMEM;
    }
    if (tp_tcp_host_copy(c->host, sizeof(c->host), host) < 0) {
        free(c);
        return -EINVAL;
    }
    c->port = port;
    c->fd = -1;
    c->base.ops = &tcp_ops;
    tp_tcp_set_label(&c->base, host, port, "");
    *out = &c->base;
    return 0;
}
