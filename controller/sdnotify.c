/* SPDX-License-Identifier: MIT */
/* sd_notify(3) for the daemon (sdnotify.h). */
#include "controller/sdnotify.h"

#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

/* sd_notify: > 0 sent, 0 no NOTIFY_SOCKET, < 0 -errno; ours says 1 for "sent". */
static int notify(const char *state)
{
    int rc = sd_notify(0, state);
    return rc > 0 ? 1 : rc;
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
    uint64_t usec = 0;
    int rc = sd_watchdog_enabled(0, &usec);
    if (rc <= 0) {
        return rc;
    }
    *timeout_ms = usec / 1000u;
    return 1;
}

uint64_t sdnotify_watchdog_period_ms(uint64_t timeout_ms)
{
    uint64_t half = timeout_ms / 2;
    return half > 0 ? half : 1;
}
