/* SPDX-License-Identifier: MIT */
/* Logging: one sink for the whole process, set once in main (or by a test that captures it). */
#ifndef AMP_LOG_H
#define AMP_LOG_H

#include <stdarg.h>

enum log_level {
    LOG_LEVEL_ERR = 3,
    LOG_LEVEL_WARN = 4,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
};

/* A sink receives one formatted line (no trailing newline) with its level and module. */
typedef void log_sink_fn(void *ctx, enum log_level lvl, const char *mod, const char *line);

/*
 * Sets the process-wide sink and the most verbose level that is emitted. A NULL sink restores the
 * default: stderr, with a journald priority prefix ("<4>") when stderr is not a terminal.
 */
void log_set_sink(log_sink_fn *sink, void *ctx, enum log_level max_level);

/* Returns true when lvl would be emitted; lets callers skip building expensive arguments. */
int log_enabled(enum log_level lvl);

void log_msg(enum log_level lvl, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level lvl, const char *mod, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define log_err(mod, ...)  log_msg(LOG_LEVEL_ERR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_LEVEL_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(LOG_LEVEL_INFO, mod, __VA_ARGS__)
/* Checks the level before its arguments are evaluated. */
#define log_debug(mod, ...)                                                                        \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_DEBUG)) {                                                        \
            log_msg(LOG_LEVEL_DEBUG, mod, __VA_ARGS__);                                            \
        }                                                                                          \
    } while (0)

#endif
