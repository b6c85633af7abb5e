/* SPDX-License-Identifier: MIT */
/*
 * A transport that comes back by itself. The link owns one transport, opens it, and when a read
 * or write says the device is gone (a USB adapter pulled out, a bridge rebooted, a TCP reset,
 * socat ending) it closes it and retries the open. A network bridge is retried with exponential
 * back-off: 0.5 s, 1 s, 2 s, ... up to 30 s between attempts. A local serial device (or pty) is
 * retried every TP_LINK_LOCAL_RETRY_MS whatever happened before: trying to open a device node
 * costs nothing, and a slave stops its car 25 s after the master's last heartbeat (twc-gen2.md
 * §6.4), so a replugged adapter must not wait out a long back-off. The loss is logged once
 * (error, naming the transport and the reason) and the return once (info); the attempts in
 * between are silent.
 *
 * Time is passed in (now_ms, monotonic milliseconds); the link never reads a clock or sleeps. The
 * caller calls tp_link_service() at least by tp_link_next_ms(), and reads and writes through the
 * link so that a failure is seen. Sans-I/O callers (tests, the simulator) drive it in virtual time.
 */
#ifndef TP_LINK_H
#define TP_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "drivers/transport/tp.h"

#define TP_LINK_BACKOFF_MIN_MS     500u   /* first retry after a loss */
#define TP_LINK_BACKOFF_MAX_MS     30000u /* longest wait between attempts */
#define TP_LINK_STABLE_MS          30000u /* up this long: the next loss starts from the minimum */
#define TP_LINK_CONNECT_TIMEOUT_MS 5000u  /* an open still in progress this long has failed */
#define TP_LINK_CONNECT_POLL_MS    50u    /* service interval while an open is in progress */
#define TP_LINK_LOCAL_RETRY_MS     1000u  /* fixed retry interval for a local device */

/* How a lost link is retried. */
enum tp_link_retry {
    TP_LINK_RETRY_BACKOFF = 1, /* network bridges: 0.5 s doubling to 30 s */
    TP_LINK_RETRY_FIXED = 2,   /* local devices: every TP_LINK_LOCAL_RETRY_MS */
};

struct tp_link;

/*
 * Makes a link owning t (closed or open; tp_free'd with the link, or at once on failure). The
 * first tp_link_service() opens it. Serial and pty transports retry at a fixed interval, every
 * other kind with back-off (tp_link_retry_for()).
 * @param[out] out  the link, owned by the caller (tp_link_free); NULL on failure
 * @return 0, -EINVAL, -ENOMEM
 */
int tp_link_new(struct tp *t, struct tp_link **out);

/* Parses text (tp_addr.h syntax), makes the transport and the link; err as tp_new_from_text. */
int tp_link_new_from_text(
    const char *text, enum tp_role role, struct tp_link **out, char *err, size_t errlen);

/* The retry rule for a transport kind (tp_kind()): FIXED for "serial" and "pty". */
enum tp_link_retry tp_link_retry_for(const char *kind);

/* Overrides the retry rule (a wrapped transport, tests). Returns 0 or -EINVAL. */
int tp_link_set_retry(struct tp_link *l, enum tp_link_retry retry);

/* Frees the link and its transport. Accepts NULL. */
void tp_link_free(struct tp_link *l);

/*
 * Opens the transport when an attempt is due. Returns 0 while the link is up, -EINPROGRESS while
 * an open is under way, or the code of the last failed attempt (-ENOTCONN before the first).
 */
int tp_link_service(struct tp_link *l, uint64_t now_ms);

/*
 * Read and write through the link: as tp_read/tp_write while it is up. A negative code from the
 * transport takes the link down (it is returned once, logged once); while down they return
 * -ENOTCONN.
 */
ssize_t tp_link_read(struct tp_link *l, uint64_t now_ms, uint8_t *buf, size_t cap);
ssize_t tp_link_write(struct tp_link *l, uint64_t now_ms, const uint8_t *buf, size_t len);

/* The fd to wait on while up or opening, else -1. */
int tp_link_poll_fd(const struct tp_link *l);

/* When tp_link_service next wants to run: UINT64_MAX while up. */
uint64_t tp_link_next_ms(const struct tp_link *l);

bool tp_link_is_up(const struct tp_link *l);

/* The owned transport (borrowed; lives as long as the link). */
struct tp *tp_link_tp(struct tp_link *l);

/* How many times the link went down after being up. */
uint64_t tp_link_losses(const struct tp_link *l);

#endif
