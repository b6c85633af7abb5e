/* SPDX-License-Identifier: MIT */
/* The logger sink: the one process-wide setting the house style allows outside main. */
#include "drivers/base/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/base/log_internal.h"

static struct {
    log_sink_fn *sink;
    void *ctx;
    enum log_level max_level;
    bool decided; /* the default sink's prefix choice is made */
    bool prefix;
} log_state = {NULL, NULL, LOG_LEVEL_INFO, false, false};

bool log_stderr_wants_prefix(bool stderr_is_tty,
                             const char *journal_stream,
                             uint64_t stderr_dev,
                             uint64_t stderr_ino)
{
    /* systemd sets JOURNAL_STREAM=DEV:INODE when stderr goes to the journal; a child whose
     * stderr was redirected elsewhere inherits the variable, hence the comparison. */
    uint64_t dev = 0, ino = 0;
    if (journal_stream && sscanf(journal_stream, "%" SCNu64 ":%" SCNu64, &dev, &ino) == 2 &&
        dev == stderr_dev && ino == stderr_ino) {
        return true;
    }
    return !stderr_is_tty;
}

static void decide_prefix(void)
{
    struct stat st;
    bool ok = fstat(STDERR_FILENO, &st) == 0;
    log_state.prefix =
        log_stderr_wants_prefix(isatty(STDERR_FILENO) == 1, getenv("JOURNAL_STREAM"),
                                ok ? (uint64_t)st.st_dev : 0, ok ? (uint64_t)st.st_ino : 0);
    log_state.decided = true;
}

void log_set_sink(log_sink_fn *sink, void *ctx, enum log_level max_level)
{
    log_state.sink = sink;
    log_state.ctx = ctx;
    log_state.max_level = max_level;
    if (!sink) {
        decide_prefix();
    }
}

void log_sink_discard(void *ctx, enum log_level lvl, const char *mod, const char *line)
{
    (void)ctx;
    (void)lvl;
    (void)mod;
    (void)line;
}

int log_enabled(enum log_level lvl)
{
    return lvl <= log_state.max_level;
}

int log_format_line(
    char *buf, size_t cap, bool prefix, enum log_level lvl, const char *mod, const char *line)
{
    static const char *const names[] = {[LOG_LEVEL_ERR] = "error",
                                        [LOG_LEVEL_WARN] = "warning",
                                        [LOG_LEVEL_INFO] = "info",
                                        [LOG_LEVEL_DEBUG] = "debug"};
    const char *name =
        (unsigned)lvl < sizeof(names) / sizeof(names[0]) && names[lvl] ? names[lvl] : "log";
    if (prefix) {
        return snprintf(buf, cap, "<%d>%s: %s", (int)lvl, mod, line);
    }
    return snprintf(buf, cap, "%s: %s: %s", name, mod, line);
}

static void log_default_sink(enum log_level lvl, const char *mod, const char *line)
{
    if (!log_state.decided) {
        decide_prefix();
    }
    char out[LOG_LINE_MAX + 64];
    log_format_line(out, sizeof(out), log_state.prefix, lvl, mod, line);
    fprintf(stderr, "%s\n", out);
}

void log_emit_line(enum log_level lvl, const char *mod, const char *line)
{
    if (log_state.sink) {
        log_state.sink(log_state.ctx, lvl, mod, line);
    } else {
        log_default_sink(lvl, mod, line);
    }
}

void log_vmsg(enum log_level lvl, const char *mod, const char *fmt, va_list ap)
{
    if (!log_enabled(lvl)) {
        return;
    }
    char line[LOG_LINE_MAX];
    vsnprintf(line, sizeof(line), fmt, ap);
    log_emit_line(lvl, mod, line);
}

void log_msg(enum log_level lvl, const char *mod, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(lvl, mod, fmt, ap);
    va_end(ap);
}
