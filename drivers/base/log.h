/* SPDX-License-Identifier: MIT */
/*
 * Logging: one sink for the whole process, set once in main (or by a test that captures it).
 *
 * The default sink writes one line per message to stderr. Under systemd (JOURNAL_STREAM names
 * our stderr) and whenever stderr is not a terminal, each line starts with the sd-daemon
 * priority prefix ("<3>twc: ..."), so journald files it at that priority (sd-daemon(3)); in a
 * terminal it reads "error: twc: ...". docs/logging.md has the rules.
 *
 * A message that can repeat (a bad frame, a meter that stopped answering) goes through a rate
 * limiter: the first ones of a window print, the rest are counted, and the next line after the
 * window says "... 57 more times in the last minute". Time is passed in.
 */
#ifndef AMP_LOG_H
#define AMP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * default: stderr, with a journald priority prefix ("<4>") when log_stderr_wants_prefix() says
 * so for the stderr of this moment (looked at here, not per line).
 */
void log_set_sink(log_sink_fn *sink, void *ctx, enum log_level max_level);

/* A sink that drops every line (tests, benches, fuzzers that want a quiet run). */
void log_sink_discard(void *ctx, enum log_level lvl, const char *mod, const char *line);

/*
 * The default sink's choice (pure): prefixes when journal_stream ("DEV:INODE", may be NULL)
 * names the stream stderr is (stderr_dev, stderr_ino), or when stderr is not a terminal.
 */
bool log_stderr_wants_prefix(bool stderr_is_tty,
                             const char *journal_stream,
                             uint64_t stderr_dev,
                             uint64_t stderr_ino);

/*
 * Formats a line as the default sink writes it (without newline) into buf. Returns the length
 * snprintf would have written.
 */
int log_format_line(
    char *buf, size_t cap, bool prefix, enum log_level lvl, const char *mod, const char *line);

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
#define log_debug(mod, ...)                             \
    do {                                                \
        if (log_enabled(LOG_LEVEL_DEBUG)) {             \
            log_msg(LOG_LEVEL_DEBUG, mod, __VA_ARGS__); \
        }                                               \
    } while (0)

/*
 * Rate limiting ---------------------------------------------------------------------------------
 * A limiter lets `burst` messages through per window of `interval_ms` and counts the rest. The
 * first message after a window in which some were held back is preceded by a summary line at
 * the same level: "<last held-back message> ... 57 more times in the last minute". Held-back
 * counts are never lost: log_ratelimit_flush() prints the summary once the window is over
 * even if the message never comes back (call it from a timer).
 *
 * Two ways to key it:
 *   - caller-owned: a struct log_ratelimit in the context that logs (one per kind of message);
 *   - by key: log_limited(key, ...) keeps a small table inside the logger, keyed by the string
 *     key (LOG_RL_HERE keys by call site); thread-safe; the oldest key is reused when full.
 */
#define LOG_RL_TEXT_MAX    160
#define LOG_RL_INTERVAL_MS 60000 /* "in the last minute" */
#define LOG_RL_BURST       1
#define LOG_RL_KEYS        64

struct log_ratelimit {
    uint32_t interval_ms, burst;
    uint64_t window_ms; /* start of the current window */
    uint32_t passed;    /* messages printed in this window */
    uint32_t held;      /* messages held back in this window */
    bool started;
    char last[LOG_RL_TEXT_MAX]; /* the last held-back message, for the summary */
};

/* interval_ms 0 / burst 0 take LOG_RL_INTERVAL_MS / LOG_RL_BURST. */
void log_ratelimit_init(struct log_ratelimit *rl, uint32_t interval_ms, uint32_t burst);

/* Logs through rl at now_ms (monotonic). */
void log_rl_msg(struct log_ratelimit *rl,
                uint64_t now_ms,
                enum log_level lvl,
                const char *mod,
                const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

/* Prints rl's summary if its window is over and messages were held back. Returns how many. */
uint32_t
log_ratelimit_flush(struct log_ratelimit *rl, uint64_t now_ms, enum log_level lvl, const char *mod);

/* Logs through the logger's limiter for key (copied; up to 63 chars), one minute, burst 1. */
void log_limited(
    const char *key, uint64_t now_ms, enum log_level lvl, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Flushes every keyed limiter whose window is over (from a timer). Returns the lines printed. */
int log_limited_flush(uint64_t now_ms);

#define LOG_RL_STR2(x) #x
#define LOG_RL_STR(x)  LOG_RL_STR2(x)
/* A key naming the call site: log_limited(LOG_RL_HERE, now, ...). */
#define LOG_RL_HERE __FILE__ ":" LOG_RL_STR(__LINE__)

#endif
