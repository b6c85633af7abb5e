/* SPDX-License-Identifier: MIT */
/* Rate-limited logging: per-limiter windows and the logger's keyed table (log.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "drivers/base/log.h"
#include "drivers/base/log_internal.h"

void log_ratelimit_init(struct log_ratelimit *rl, uint32_t interval_ms, uint32_t burst)
{
    memset(rl, 0, sizeof(*rl));
    rl->interval_ms = interval_ms ? interval_ms : LOG_RL_INTERVAL_MS;
    rl->burst = burst ? burst : LOG_RL_BURST;
}

static bool window_over(const struct log_ratelimit *rl, uint64_t now_ms)
{
    return !rl->started || now_ms >= rl->window_ms + rl->interval_ms;
}

/* "... 57 more times in the last minute" after the last held-back message. */
static void emit_summary(struct log_ratelimit *rl, enum log_level lvl, const char *mod)
{
    char span[32];
    if (rl->interval_ms == 60000) {
        snprintf(span, sizeof(span), "minute");
    } else if (rl->interval_ms % 60000 == 0) {
        snprintf(span, sizeof(span), "%" PRIu32 " minutes", rl->interval_ms / 60000);
    } else {
        snprintf(span, sizeof(span), "%" PRIu32 " ms", rl->interval_ms);
    }
    char line[LOG_LINE_MAX];
    snprintf(line, sizeof(line), "%s ... %" PRIu32 " more time%s in the last %s", rl->last,
             rl->held, rl->held == 1 ? "" : "s", span);
    log_emit_line(lvl, mod, line);
    rl->held = 0;
}

uint32_t
log_ratelimit_flush(struct log_ratelimit *rl, uint64_t now_ms, enum log_level lvl, const char *mod)
{
    uint32_t held = rl->held;
    if (held == 0 || !window_over(rl, now_ms) || !log_enabled(lvl)) {
        return 0;
    }
    emit_summary(rl, lvl, mod);
    return held;
}

__attribute__((format(printf, 5, 0))) static void rl_vmsg(struct log_ratelimit *rl,
                    uint64_t now_ms,
                    enum log_level lvl,
                    const char *mod,
                    const char *fmt,
                    va_list ap)
{
    if (!log_enabled(lvl)) {
        return;
    }
    if (window_over(rl, now_ms)) {
        if (rl->held > 0) {
            emit_summary(rl, lvl, mod);
        }
        rl->started = true;
        rl->window_ms = now_ms;
        rl->passed = 0;
    }
    if (rl->passed < rl->burst) {
        rl->passed++;
        char line[LOG_LINE_MAX];
        vsnprintf(line, sizeof(line), fmt, ap);
        log_emit_line(lvl, mod, line);
        return;
    }
    rl->held++;
    vsnprintf(rl->last, sizeof(rl->last), fmt, ap);
}

void log_rl_msg(struct log_ratelimit *rl,
                uint64_t now_ms,
                enum log_level lvl,
                const char *mod,
                const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    rl_vmsg(rl, now_ms, lvl, mod, fmt, ap);
    va_end(ap);
}

/* The keyed table: part of the logger's process-wide state, shared with the poller threads. */
struct keyed {
    bool used;
    char key[64];
    char mod[32];
    enum log_level lvl;
    uint64_t last_ms;
    struct log_ratelimit rl;
};

static struct {
    pthread_mutex_t lock;
    struct keyed k[LOG_RL_KEYS];
} keyed_state = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct keyed *keyed_find(const char *key, uint64_t now_ms)
{
    struct keyed *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < LOG_RL_KEYS; i++) {
        struct keyed *k = &keyed_state.k[i];
        if (!k->used) {
            free_slot = free_slot ? free_slot : k;
            continue;
        }
        if (strncmp(k->key, key, sizeof(k->key) - 1) == 0) {
            return k;
        }
        oldest = !oldest || k->last_ms < oldest->last_ms ? k : oldest;
    }
    struct keyed *k = free_slot ? free_slot : oldest;
    if (k->used && k->rl.held > 0) {
        emit_summary(&k->rl, k->lvl, k->mod); /* never lose a count, even when evicted */
    }
    memset(k, 0, sizeof(*k));
    k->used = true;
    snprintf(k->key, sizeof(k->key), "%s", key);
    log_ratelimit_init(&k->rl, 0, 0);
    k->last_ms = now_ms;
    return k;
}

void log_limited(
    const char *key, uint64_t now_ms, enum log_level lvl, const char *mod, const char *fmt, ...)
{
    if (!log_enabled(lvl)) {
        return;
    }
    pthread_mutex_lock(&keyed_state.lock);
    struct keyed *k = keyed_find(key, now_ms);
    k->last_ms = now_ms;
    k->lvl = lvl;
    snprintf(k->mod, sizeof(k->mod), "%s", mod);
    va_list ap;
    va_start(ap, fmt);
    rl_vmsg(&k->rl, now_ms, lvl, mod, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&keyed_state.lock);
}

int log_limited_flush(uint64_t now_ms)
{
    int lines = 0;
    pthread_mutex_lock(&keyed_state.lock);
    for (size_t i = 0; i < LOG_RL_KEYS; i++) {
        struct keyed *k = &keyed_state.k[i];
        if (k->used && log_ratelimit_flush(&k->rl, now_ms, k->lvl, k->mod) > 0) {
            lines++;
        }
    }
    pthread_mutex_unlock(&keyed_state.lock);
    return lines;
}
