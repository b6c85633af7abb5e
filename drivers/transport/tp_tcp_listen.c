/* SPDX-License-Identifier: MIT */
/*
 * The TCP listener transport: waits for a master (TWCManager, ampshare) that reaches a simulated
 * bus over TCP, as it would reach a serial bridge. One client at a time; a new client REPLACES the
 * current one, because a master that restarted reconnects before anything tells us its old
 * connection is dead, and refusing it would lock it out until keep-alive gives up.
 *
 * The event loop waits on one fd: an epoll set holding the listening socket and the client, so a
 * new connection and client bytes both wake it; accept happens inside read() and write().
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"
#include "drivers/transport/tp.h"
#include "drivers/transport/tp_internal.h"

#define TP_TCP_LISTEN_BACKLOG 4

struct tp_tcp_listen {
    struct tp base;
    char host[128];
    uint16_t port; /* as configured; the bound port once opened with port 0 */
    int lfd;       /* listening socket */
    int cfd;       /* the client, or -1 */
    int efd;       /* epoll set of lfd and cfd: the fd the loop waits on */
    char peer[64]; /* the client's address, for log lines */
};

static void set_label(struct tp_tcp_listen *l)
{
    tp_tcp_set_label(&l->base, l->host, l->port, " (listen)");
}

static void drop_client(struct tp_tcp_listen *l)
{
    if (l->cfd >= 0) {
        epoll_ctl(l->efd, EPOLL_CTL_DEL, l->cfd, NULL);
        tp_fd_close(&l->cfd);
    }
}

static void name_peer(const struct sockaddr_storage *sa, socklen_t len, char *out, size_t cap)
{
    char host[48];
    char serv[8];
    if (getnameinfo((const struct sockaddr *)sa, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, cap, "?");
        return;
    }
    snprintf(out, cap, "%s:%s", host, serv);
}

/* Accepts every pending connection; the newest becomes the client. */
static void accept_pending(struct tp_tcp_listen *l)
{
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof(sa);
        int fd = accept4(l->lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            /* EAGAIN: none waiting. Others (ECONNABORTED, EMFILE) are per-connection: retry later.
             */
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                log_debug("tp", "%s: accept: %s", l->base.label, amp_strerror(-errno));
            }
            return;
        }
        char peer[sizeof(l->peer)];
        name_peer(&sa, len, peer, sizeof(peer));
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
        int rc = tp_tcp_tune_socket(fd);
        if (rc == 0 && epoll_ctl(l->efd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            rc = -errno;
        }
        if (rc < 0) {
            log_warn("tp", "%s: refusing client %s: %s", l->base.label, peer, amp_strerror(rc));
            close(fd);
            continue;
        }
        if (l->cfd >= 0) {
            log_info("tp", "%s: client %s replaced by %s", l->base.label, l->peer, peer);
            drop_client(l);
        } else {
            log_info("tp", "%s: client %s connected", l->base.label, peer);
        }
        l->cfd = fd;
        memcpy(l->peer, peer, sizeof(l->peer));
    }
}

static void listen_close(struct tp *t)
{
    struct tp_tcp_listen *l = TP_CONTAINER_OF(t, struct tp_tcp_listen, base);
    drop_client(l);
    tp_fd_close(&l->lfd);
    tp_fd_close(&l->efd);
}

static int bind_first(struct tp_tcp_listen *l)
{
    struct addrinfo *res;
    int rc = tp_tcp_resolve(l->host, l->port, true, -EADDRNOTAVAIL, &res);
    if (rc < 0) {
        return rc;
    }
    rc = -EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = tp_tcp_socket(ai);
        if (fd < 0) {
            rc = fd;
            continue;
        }
        /* Lets the listener come back on its port at once after it closed (TIME_WAIT). */
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, TP_TCP_LISTEN_BACKLOG) < 0) {
            rc = -errno;
            close(fd);
            continue;
        }
        l->lfd = fd;
        rc = 0;
        break;
    }
    freeaddrinfo(res);
    return rc;
}

static int listen_open(struct tp *t)
{
    struct tp_tcp_listen *l = TP_CONTAINER_OF(t, struct tp_tcp_listen, base);
    if (l->lfd >= 0) {
        return 0;
    }
    int rc = bind_first(l);
    if (rc < 0) {
        return rc;
    }
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    if (getsockname(l->lfd, (struct sockaddr *)&sa, &len) < 0) {
        rc = -errno;
        goto fail;
    }
    l->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                             : ((struct sockaddr_in *)&sa)->sin_port);
    set_label(l);
    l->efd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->lfd};
    if (l->efd < 0 || epoll_ctl(l->efd, EPOLL_CTL_ADD, l->lfd, &ev) < 0) {
        rc = -errno;
        goto fail;
    }
    log_info("tp", "%s: listening", t->label);
    return 0;

fail:
    listen_close(t);
    return rc;
}

static ssize_t listen_read(struct tp *t, uint8_t *buf, size_t cap)
{
    struct tp_tcp_listen *l = TP_CONTAINER_OF(t, struct tp_tcp_listen, base);
    if (l->lfd < 0) {
        return -ENOTCONN;
    }
    accept_pending(l);
    if (l->cfd < 0) {
        return 0;
    }
    /* A client leaving is not the listener failing: drop it and wait for the next. */
    ssize_t n = tp_fd_read(l->cfd, buf, cap, -ENOTCONN);
    if (n < 0) {
        if (n == -ENOTCONN) {
            log_info("tp", "%s: client %s left", t->label, l->peer);
        } else {
            log_info("tp", "%s: client %s lost: %s", t->label, l->peer, amp_strerror((int)n));
        }
        drop_client(l);
        return 0;
    }
    return n;
}

/* With no client, bytes are discarded and reported as taken: a bus with no one listening. */
static ssize_t listen_write(struct tp *t, const uint8_t *buf, size_t len)
{
    struct tp_tcp_listen *l = TP_CONTAINER_OF(t, struct tp_tcp_listen, base);
    if (l->lfd < 0) {
        return -ENOTCONN;
    }
    accept_pending(l);
    if (l->cfd < 0) {
        return (ssize_t)len;
    }
    ssize_t n = tp_fd_write(l->cfd, buf, len, 1);
    if (n < 0) {
        log_info("tp", "%s: client %s lost: %s", t->label, l->peer, amp_strerror((int)n));
        drop_client(l);
        return (ssize_t)len;
    }
    return n;
}

static int listen_poll_fd(const struct tp *t)
{
    const struct tp_tcp_listen *l = TP_CONTAINER_OF_CONST(t, struct tp_tcp_listen, base);
    return l->efd;
}

static const struct tp_ops listen_ops = {
    .name = "tcp-listen",
    .open = listen_open,
    .read = listen_read,
    .write = listen_write,
    .poll_fd = listen_poll_fd,
    .close = listen_close,
};

int tp_tcp_listen_new(const char *host, uint16_t port, struct tp **out)
{
    if (!out) {
        return -EINVAL;
    }
    *out = NULL;
    struct tp_tcp_listen *l = calloc(1, sizeof(*l));
    if (!l) {
        return -ENOMEM;
    }
    if (tp_tcp_host_copy(l->host, sizeof(l->host), host) < 0) {
        free(l);
        return -EINVAL;
    }
    l->port = port;
    l->lfd = -1;
    l->cfd = -1;
    l->efd = -1;
    l->base.ops = &listen_ops;
    set_label(l);
    *out = &l->base;
    return 0;
}

int tp_tcp_listen_port(const struct tp *t)
{
    if (!t || t->ops != &listen_ops) {
        return -EINVAL;
    }
    const struct tp_tcp_listen *l = TP_CONTAINER_OF_CONST(t, struct tp_tcp_listen, base);
    return l->port;
}

bool tp_tcp_listen_has_client(const struct tp *t)
{
    if (!t || t->ops != &listen_ops) {
        return false;
    }
    const struct tp_tcp_listen *l = TP_CONTAINER_OF_CONST(t, struct tp_tcp_listen, base);
    return l->cfd >= 0;
}
