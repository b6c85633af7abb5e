/* SPDX-License-Identifier: MIT */
/* The logger sink: the one process-wide setting the house style allows outside main. */
#include <stdio.h>
#include <unistd.h>

#include "drivers/base/log.h"

static struct {
    log_sink_fn *sink;
    void *ctx;
    enum log_level max_level;
} log_state = {NULL, NULL, LOG_LEVEL_INFO};

void log_set_sink(log_sink_fn *sink, void *ctx, enum log_level max_level)
{
    log_state.sink = sink;
    log_state.ctx = ctx;
    log_state.max_level = max_level;
}

int log_enabled(enum log_level lvl)
{
    return lvl <= log_state.max_level;
}

static void log_default_sink(enum log_level lvl, const char *mod, const char *line)
{
    static const char *const names[] = {[LOG_LEVEL_ERR] = "error",
                                        [LOG_LEVEL_WARN] = "warning",
                                        [LOG_LEVEL_INFO] = "info",
                                        [LOG_LEVEL_DEBUG] = "debug"};
    /* Under systemd stderr is a pipe to journald, which reads the <N> priority prefix. */
    if (!isatty(STDERR_FILENO)) {
        fprintf(stderr, "<%d>%s: %s\n", (int)lvl, mod, line);
    } else {
        fprintf(stderr, "%s: %s: %s\n", names[lvl], mod, line);
    }
}

void log_vmsg(enum log_level lvl, const char *mod, const char *fmt, va_list ap)
{
    if (!log_enabled(lvl)) {
        return;
    }
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    if (log_state.sink) {
        log_state.sink(log_state.ctx, lvl, mod, line);
    } else {
        log_default_sink(lvl, mod, line);
    }
}

void log_msg(enum log_level lvl, const char *mod, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(lvl, mod, fmt, ap);
    va_end(ap);
}
