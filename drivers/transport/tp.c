/* SPDX-License-Identifier: MIT */
/* The transport wrappers, the address-to-transport constructor and the shared fd helpers. */
#include "drivers/transport/tp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/base/amp_err.h"
#include "drivers/transport/tp_internal.h"

int tp_open(struct tp *t)
{
    if (!t) {
        return -EINVAL;
    }
    return t->ops->open(t);
}

ssize_t tp_read(struct tp *t, uint8_t *buf, size_t cap)
{
    if (!t || (!buf && cap)) {
        return -EINVAL;
    }
    return t->ops->read(t, buf, cap);
}

ssize_t tp_write(struct tp *t, const uint8_t *buf, size_t len)
{
    if (!t || (!buf && len)) {
        return -EINVAL;
    }
    return t->ops->write(t, buf, len);
}

int tp_poll_fd(const struct tp *t)
{
    if (!t || !t->ops->poll_fd) {
        return -1;
    }
    return t->ops->poll_fd(t);
}

void tp_close(struct tp *t)
{
    if (t) {
        t->ops->close(t);
    }
}

void tp_free(struct tp *t)
{
    if (!t) {
        return;
    }
    t->ops->close(t);
    if (t->ops->destroy) {
        t->ops->destroy(t);
    }
    free(t);
}

const char *tp_kind(const struct tp *t)
{
    return t ? t->ops->name : "";
}

int tp_new_from_addr(const struct tp_addr *addr, enum tp_role role, struct tp **out)
{
    if (!out) {
        return -EINVAL;
    }
    *out = NULL;
    if (!addr || (role != TP_ROLE_CONNECT && role != TP_ROLE_LISTEN)) {
        return -EINVAL;
    }
    switch (addr->kind) {
    case TP_ADDR_SERIAL:
        /* A serial device has no sides: simulated slaves on a real adapter just open it. */
        return tp_serial_new(addr, out);
    case TP_ADDR_TCP:
        if (role == TP_ROLE_LISTEN) {
            return tp_tcp_listen_new(addr->host, addr->port, out);
        }
        return tp_tcp_new(addr->host, addr->port, out);
    case TP_ADDR_PTY:
        if (role == TP_ROLE_LISTEN) {
            return tp_pty_new(addr->path, addr->baud, out);
        }
        /* Connecting to a pty someone else created is opening it as a serial device. */
        return tp_serial_new(addr, out);
    default:
        return -EINVAL;
    }
}

int tp_new_from_text(const char *text, enum tp_role role, struct tp **out, char *err, size_t errlen)
{
    struct tp_addr addr;
    if (out) {
        *out = NULL;
    }
    int rc = role == TP_ROLE_LISTEN ? tp_addr_parse_listen(text, &addr, err, errlen)
                                    : tp_addr_parse(text, &addr, err, errlen);
    if (rc < 0) {
        return rc;
    }
    return tp_new_from_addr(&addr, role, out);
}

void tp_set_label(struct tp *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->label, sizeof(t->label), fmt, ap);
    va_end(ap);
}

ssize_t tp_fd_read(int fd, uint8_t *buf, size_t cap, int eof_rc)
{
    if (fd < 0) {
        return -ENOTCONN;
    }
    if (cap == 0) {
        return 0;
    }
    ssize_t n = read(fd, buf, cap);
    if (n > 0) {
        return n;
    }
    if (n == 0) {
        return eof_rc;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return 0;
    }
    return -errno;
}

ssize_t tp_fd_write(int fd, const uint8_t *buf, size_t len, int is_socket)
{
    if (fd < 0) {
        return -ENOTCONN;
    }
    if (len == 0) {
        return 0;
    }
    /* MSG_NOSIGNAL: a bridge that hung up must give -EPIPE here, not kill us with SIGPIPE. */
    ssize_t n = is_socket ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
    if (n >= 0) {
        return n;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return 0;
    }
    return -errno;
}

void tp_fd_close(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}
