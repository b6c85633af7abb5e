/* SPDX-License-Identifier: MIT */
/*
 * The master over a real byte transport: a thin driver around the pure twc_master. It reads the
 * link, deframes and decodes (twc_codec), feeds the master, transmits what the master returns
 * (already encoded by the transmit guard) only when the half-duplex line has been idle for a few
 * ms (twc-gen2.md §1, §6.6), logs, and hands the master's events to a callback.
 *
 * Loop contract: wait on twc_bus_poll_fd() (POLLIN) with a timeout until
 * twc_bus_next_wakeup_ms(), then call twc_bus_service() with the monotonic time.
 */
#ifndef TWC_BUS_H
#define TWC_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/transport/tp_link.h"
#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_master.h"

/* §1: one byte is 1.04 ms at 9600 8N1; 5 ms without a byte means no frame is on the wire. */
#define TWC_BUS_LINE_IDLE_MS 5
/* A frame the transport took only in part is retried this soon. */
#define TWC_BUS_TX_RETRY_MS 2
/* STYLE.md §2.4: bad frames are logged once, then summarised at most this often. */
#define TWC_BUS_BAD_LOG_MS 60000
/* A line with a byte at least every TWC_BUS_LINE_IDLE_MS this long keeps the master from
 * transmitting at all: slaves hear no heartbeat and stop their cars 25 s later (§6.4). Logged
 * once as an error when it starts, and once when the line is quiet again. */
#define TWC_BUS_BUSY_LOG_MS 3000
/* How many received bytes are kept to show in the log line of a bad frame or garbage. */
#define TWC_BUS_RAW_KEEP 512
/* At most this many of a bad stretch's bytes are logged (in hex). */
#define TWC_BUS_RAW_SHOW 24

/* Called for every master event, after the bus has logged it. ev is borrowed for the call. */
typedef void twc_bus_event_fn(void *ctx, const struct twc_master_event *ev);

struct twc_bus_config {
    struct twc_master_config master;
    uint32_t line_idle_ms;
    twc_bus_event_fn *on_event; /* may be NULL */
    void *on_event_ctx;
};

struct twc_bus_stats {
    uint64_t rx_bytes, tx_bytes;
    uint32_t frames_ok, bad_checksum, bad_length, garbage, bad_escape, overlong;
    uint32_t tx_frames;
    uint32_t tx_lost;   /* frames lost because the link was down */
    uint32_t line_busy; /* times the line stayed busy TWC_BUS_BUSY_LOG_MS */
};

struct twc_bus {
    struct twc_master master;
    struct tp_link *link; /* borrowed: the caller owns and frees it */
    struct twc_deframer df;
    uint32_t line_idle_ms;
    twc_bus_event_fn *on_event;
    void *on_event_ctx;
    uint64_t last_rx_ms;
    bool rx_seen;
    uint64_t master_next_ms;
    uint32_t master_seq; /* master.input_seq at the last twc_master_poll */
    /* a frame the transport took only in part (a full kernel buffer) */
    uint8_t tx[TWC_WIRE_MAX];
    size_t tx_len, tx_off;
    uint64_t tx_retry_ms;
    /* rate-limited logging of bad frames, with the last bytes received to show them */
    uint64_t bad_log_ms;
    uint32_t bad_unlogged;
    bool bad_logged;
    uint8_t raw[TWC_BUS_RAW_KEEP]; /* ring: byte at stream offset o is raw[o % size] */
    uint64_t raw_end;              /* stream offset after the newest byte in raw */
    /* a line that never goes quiet */
    uint64_t quiet_ms; /* the last service that found the line idle */
    bool busy_logged;
    struct twc_bus_stats stats;
};

/* Fills cfg with defaults (twc_master_config_init, TWC_BUS_LINE_IDLE_MS, no callback). */
void twc_bus_config_init(struct twc_bus_config *cfg);

/*
 * Initialises bus over link (borrowed; it must outlive the bus) at now_ms. The link is opened by
 * twc_bus_service(). Returns 0 or -EINVAL (bad master config, NULL link).
 */
int twc_bus_init(struct twc_bus *bus,
                 struct tp_link *link,
                 const struct twc_bus_config *cfg,
                 uint64_t now_ms);

/*
 * Does everything due at now_ms: keeps the link up, reads and handles every waiting byte,
 * transmits at most one frame, delivers events. Never blocks. Returns 0, or
 * AMP_ERR_MASTER_CLASH while another master is on the bus (the bus keeps listening and
 * resumes by itself; see twc_master_on_frame()).
 */
int twc_bus_service(struct twc_bus *bus, uint64_t now_ms);

/* The fd to wait on for input, or -1 (a mem transport, or the link is down). */
int twc_bus_poll_fd(const struct twc_bus *bus);

/*
 * When twc_bus_service wants to run next at the latest (UINT64_MAX: only on input). Ask again
 * after every twc_bus_service and after every target set on the master: a frame heard or a
 * changed target makes the answer "as soon as the master may send and the line is idle"
 * (twc_master_tx_floor_ms), not the time the master named before.
 */
uint64_t twc_bus_next_wakeup_ms(const struct twc_bus *bus);

/* The master inside (borrowed): setters and getters for the controller. */
struct twc_master *twc_bus_master(struct twc_bus *bus);

const struct twc_bus_stats *twc_bus_get_stats(const struct twc_bus *bus);

#endif
