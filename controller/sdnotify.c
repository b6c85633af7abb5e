/* SPDX-License-Identifier: MIT */
/*
 * sd_notify(3) for the daemon (sdnotify.h), speaking the notification protocol itself: one
 * datagram of "KEY=value" lines to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name"
 * for the abstract namespace). systemd documents the protocol as a stable interface and gives a
 * standalone version of this function in sd_notify(3) for daemons that do not want libsystemd,
 * which is what this is: libsystemd would map libgcrypt, liblzma, libzstd, liblz4 and libcap
 * (1 MB of the daemon's RSS) for these two calls.
 */
#include "controller/sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Like sd_notify(0, state): 1 sent, 0 no NOTIFY_SOCKET, < 0 -errno. */
static int notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path) {
        return 0;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || n < 2 || n > sizeof(sa.sun_path)) {
        return -EINVAL; /* vsock: addresses are for virtual machines, not services */
    }
    memcpy(sa.sun_path, path, n);
    if (sa.sun_path[0] == '@') {
        sa.sun_path[0] = '\0';
    }
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    size_t want = strlen(state);
    ssize_t sent = sendto(fd, state, want, MSG_NOSIGNAL, (const struct sockaddr *)&sa, len);
    int rc = sent < 0 ? -errno : (size_t)sent == want ? 1 : -EPROTO;
    close(fd);
    return rc;
}

/* A whole decimal unsigned number, or -EINVAL. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9') {
        return -EINVAL;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

/* STATUS= is one line: a newline in it would start another assignment. */
static void one_line(char *s)
{
    for (; *s; s++) {
        *s = *s == '\n' ? ' ' : *s;
    }
}

static int notify_with_status(const char *what, const char *status)
{
    if (!status || !*status) {
        return notify(what);
    }
    char line[400];
    snprintf(line, sizeof(line), "%s", status);
    one_line(line);
    char msg[440];
    snprintf(msg, sizeof(msg), "%s\nSTATUS=%s", what, line);
    return notify(msg);
}

int sdnotify_ready(const char *status)
{
    return notify_with_status("READY=1", status);
}

int sdnotify_reloading(const char *status)
{
    return notify_with_status("RELOADING=1", status);
}

int sdnotify_stopping(const char *status)
{
    return notify_with_status("STOPPING=1", status);
}

int sdnotify_status(const char *fmt, ...)
{
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    one_line(line);
    char msg[420];
    snprintf(msg, sizeof(msg), "STATUS=%s", line);
    return notify(msg);
}

int sdnotify_watchdog(void)
{
    return notify("WATCHDOG=1");
}

int sdnotify_watchdog_timeout_ms(uint64_t *timeout_ms)
{
    /* sd_watchdog_enabled(3): WATCHDOG_USEC, for this process when WATCHDOG_PID is set */
    const char *us = getenv("WATCHDOG_USEC");
    if (!us) {
        return 0;
    }
    uint64_t usec = 0;
    if (parse_u64(us, &usec) != 0 || usec == 0 || usec == UINT64_MAX) {
        return -EINVAL;
    }
    const char *ps = getenv("WATCHDOG_PID");
    if (ps) {
        uint64_t pid = 0;
        if (parse_u64(ps, &pid) != 0 || pid == 0) {
            return -EINVAL;
        }
        if (pid != (uint64_t)getpid()) {
            return 0;
        }
    }
    *timeout_ms = usec / 1000u;
    return 1;
}

uint64_t sdnotify_watchdog_period_ms(uint64_t timeout_ms)
{
    uint64_t half = timeout_ms / 2;
    return half > 0 ? half : 1;
}
