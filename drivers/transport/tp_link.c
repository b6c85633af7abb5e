/* SPDX-License-Identifier: MIT */
/*
 * Reconnect with back-off (semantics in tp_link.h). Serial-over-TCP bridges drop connections and
 * USB adapters disappear (twc-gen2.md §7.5; TWCManager had to add reconnects), so every link
 * returns by itself, without flooding the log while the device stays away.
 */
#include "drivers/transport/tp_link.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/base/amp_err.h"
#include "drivers/base/log.h"

enum tp_link_state {
    TP_LINK_DOWN = 0,
    TP_LINK_OPENING = 1,
    TP_LINK_UP = 2,
};

struct tp_link {
    struct tp *tp;
    enum tp_link_retry retry;
    enum tp_link_state state;
    bool reported;        /* the current outage has been logged */
    uint64_t next_try_ms; /* DOWN: when the next open is due */
    uint32_t backoff_ms;  /* the wait after the next failure */
    uint64_t opening_since_ms;
    uint64_t up_since_ms;
    uint64_t down_since_ms;
    uint64_t last_now_ms;
    uint32_t attempts; /* failed opens in the current outage */
    int last_rc;
    uint64_t losses;
};

int tp_link_new(struct tp *t, struct tp_link **out)
{
    if (!out) {
        tp_free(t);
        return -EINVAL;
    }
    *out = NULL;
    if (!t) {
        return -EINVAL;
    }
    struct tp_link *l = calloc(1, sizeof(*l));
    if (!l) {
        tp_free(t);
        return -ENOMEM;
    }
    l->tp = t;
    l->retry = tp_link_retry_for(tp_kind(t));
    l->backoff_ms = TP_LINK_BACKOFF_MIN_MS;
    l->last_rc = -ENOTCONN;
    *out = l;
    return 0;
}

int tp_link_new_from_text(
    const char *text, enum tp_role role, struct tp_link **out, char *err, size_t errlen)
{
    if (out) {
        *out = NULL;
    }
    struct tp *t;
    int rc = tp_new_from_text(text, role, &t, err, errlen);
    if (rc < 0) {
        return rc;
    }
    return tp_link_new(t, out);
}

enum tp_link_retry tp_link_retry_for(const char *kind)
{
    bool local = kind && (strcmp(kind, "serial") == 0 || strcmp(kind, "pty") == 0);
    return local ? TP_LINK_RETRY_FIXED : TP_LINK_RETRY_BACKOFF;
}

int tp_link_set_retry(struct tp_link *l, enum tp_link_retry retry)
{
    if (!l || (retry != TP_LINK_RETRY_BACKOFF && retry != TP_LINK_RETRY_FIXED)) {
        return -EINVAL;
    }
    l->retry = retry;
    return 0;
}

void tp_link_free(struct tp_link *l)
{
    if (l) {
        tp_free(l->tp);
        free(l);
    }
}

/* Schedules the next attempt; with back-off, doubles the wait after it, up to the maximum. */
static void schedule_retry(struct tp_link *l, uint64_t now_ms)
{
    l->state = TP_LINK_DOWN;
    if (l->retry == TP_LINK_RETRY_FIXED) {
        l->next_try_ms = now_ms + TP_LINK_LOCAL_RETRY_MS;
        return;
    }
    l->next_try_ms = now_ms + l->backoff_ms;
    l->backoff_ms =
        l->backoff_ms >= TP_LINK_BACKOFF_MAX_MS / 2 ? TP_LINK_BACKOFF_MAX_MS : l->backoff_ms * 2;
}

/* "with back-off" or "every 1000 ms", for the one log line of an outage. */
static const char *retry_words(const struct tp_link *l, char *buf, size_t cap)
{
    if (l->retry != TP_LINK_RETRY_FIXED) {
        return "with back-off";
    }
    snprintf(buf, cap, "every %u ms", TP_LINK_LOCAL_RETRY_MS);
    return buf;
}

static void open_failed(struct tp_link *l, uint64_t now_ms, int rc)
{
    tp_close(l->tp);
    l->attempts++;
    l->last_rc = rc;
    if (!l->reported) {
        char how[32];
        log_err("tp", "%s: cannot open: %s; retrying %s", l->tp->label, amp_strerror(rc),
                retry_words(l, how, sizeof(how)));
        l->reported = true;
        l->down_since_ms = l->state == TP_LINK_OPENING ? l->opening_since_ms : now_ms;
    }
    schedule_retry(l, now_ms);
}

static void went_up(struct tp_link *l, uint64_t now_ms)
{
    if (l->reported) {
        log_info("tp", "%s: back after %" PRIu64 " ms (attempt %" PRIu32 ")", l->tp->label,
                 now_ms - l->down_since_ms, l->attempts + 1);
    }
    l->state = TP_LINK_UP;
    l->reported = false;
    l->attempts = 0;
    l->last_rc = 0;
    l->up_since_ms = now_ms;
}

static void went_down(struct tp_link *l, uint64_t now_ms, int rc)
{
    tp_close(l->tp);
    l->losses++;
    l->last_rc = rc;
    l->down_since_ms = now_ms;
    char how[32];
    log_err("tp", "%s: lost: %s; reconnecting %s", l->tp->label, amp_strerror(rc),
            retry_words(l, how, sizeof(how)));
    l->reported = true;
    /* A link that stayed up a while starts again from the shortest wait; a flapping one does not.
     */
    if (now_ms - l->up_since_ms >= TP_LINK_STABLE_MS) {
        l->backoff_ms = TP_LINK_BACKOFF_MIN_MS;
    }
    schedule_retry(l, now_ms);
}

int tp_link_service(struct tp_link *l, uint64_t now_ms)
{
    if (!l) {
        return -EINVAL;
    }
    l->last_now_ms = now_ms;
    if (l->state == TP_LINK_UP) {
        return 0;
    }
    if (l->state == TP_LINK_DOWN && now_ms < l->next_try_ms) {
        return l->last_rc;
    }
    int rc = tp_open(l->tp);
    if (rc == 0) {
        went_up(l, now_ms);
        return 0;
    }
    if (rc == -EINPROGRESS) {
        if (l->state == TP_LINK_DOWN) {
            l->state = TP_LINK_OPENING;
            l->opening_since_ms = now_ms;
            return rc;
        }
        if (now_ms - l->opening_since_ms < TP_LINK_CONNECT_TIMEOUT_MS) {
            return rc;
        }
        rc = -ETIMEDOUT;
    }
    open_failed(l, now_ms, rc);
    return rc;
}

ssize_t tp_link_read(struct tp_link *l, uint64_t now_ms, uint8_t *buf, size_t cap)
{
    if (!l) {
        return -EINVAL;
    }
    if (l->state != TP_LINK_UP) {
        return -ENOTCONN;
    }
    ssize_t n = tp_read(l->tp, buf, cap);
    if (n < 0) {
        went_down(l, now_ms, (int)n);
    }
    return n;
}

ssize_t tp_link_write(struct tp_link *l, uint64_t now_ms, const uint8_t *buf, size_t len)
{
    if (!l) {
        return -EINVAL;
    }
    if (l->state != TP_LINK_UP) {
        return -ENOTCONN;
    }
    ssize_t n = tp_write(l->tp, buf, len);
    if (n < 0) {
        went_down(l, now_ms, (int)n);
    }
    return n;
}

int tp_link_poll_fd(const struct tp_link *l)
{
    if (!l || l->state == TP_LINK_DOWN) {
        return -1;
    }
    return tp_poll_fd(l->tp);
}

uint64_t tp_link_next_ms(const struct tp_link *l)
{
    if (!l || l->state == TP_LINK_UP) {
        return UINT64_MAX;
    }
    if (l->state == TP_LINK_OPENING) {
        return l->last_now_ms + TP_LINK_CONNECT_POLL_MS;
    }
    return l->next_try_ms;
}

bool tp_link_is_up(const struct tp_link *l)
{
    return l && l->state == TP_LINK_UP;
}

struct tp *tp_link_tp(struct tp_link *l)
{
    return l ? l->tp : NULL;
}

uint64_t tp_link_losses(const struct tp_link *l)
{
    return l ? l->losses : 0;
}
