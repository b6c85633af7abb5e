/* SPDX-License-Identifier: MIT */
/*
 * Modbus polling off the controller's loop: one thread per bus behind one mutex-protected
 * hand-off struct. The thread polls every meter and EVSE on its bus, keeps watchdogs alive and
 * writes queued setpoints; the controller only copies readings out and queues setpoints, which
 * never wait for I/O. A dead meter therefore delays nothing but its own bus (docs/modbus.md
 * gives the measured worst case).
 *
 * Readings carry the time the read started (from the injected clock) and a validity flag; a
 * failed read publishes an invalid reading with no values. Staleness is the controller's call.
 */
#ifndef MB_POLLER_H
#define MB_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/modbus/mb_clock.h"
#include "drivers/modbus/mb_evse.h"
#include "drivers/modbus/mb_maps.h"
#include "drivers/transport/tp_addr.h"

#define MB_POLLER_DEVS_MAX          16
#define MB_POLLER_INTERVAL_DEFAULT  1000u /* ms between two reads of one device */
#define MB_POLLER_BACKOFF_DEFAULT   5000u /* ms between tries of a device that keeps failing */
#define MB_POLLER_FAILS_FOR_BACKOFF 3
#define MB_POLLER_LIVENESS_DEFAULT  5000u      /* ms without mb_poller_alive(): EVSEs unheard */
#define MB_POLLER_LIVENESS_OFF      UINT32_MAX /* no gate: tools driving a charger by hand */

struct mb_poller_opts {
    struct tp_addr addr;
    uint32_t timeout_ms;          /* per transaction; 0 = MB_BUS_TIMEOUT_DEFAULT_MS */
    uint32_t gap_ms;              /* quiet time between transactions (devices may raise it) */
    uint32_t backoff_ms;          /* 0 = MB_POLLER_BACKOFF_DEFAULT */
    const struct mb_clock *clock; /* timestamps; NULL = mb_clock_monotonic. Borrowed. */
    /* The control loop's liveness: when mb_poller_alive() has not been called for this long
     * (on `clock`), and before its first call, the thread sends nothing at all to the EVSEs on
     * this bus (no keep-alive, no setpoint, no read: any traffic feeds some watchdogs), so each
     * EVSE's own fail-safe takes over from a hung controller. Meters are still read.
     * 0 = MB_POLLER_LIVENESS_DEFAULT; MB_POLLER_LIVENESS_OFF for no gate. */
    uint32_t liveness_ms;
    /* An in-memory line (mb_bus_new_mem over mem, borrowed) instead of addr: the simulator's.
     * Such a poller has no thread: its owner runs it with mb_poller_step(), and every time it
     * reads (schedules, stamps, liveness) is the now_ms of those calls: deterministic. */
    const struct mb_bus_mem_ops *mem;
    void *mem_ctx;
    const char *mem_label;
};

struct mb_poller_dev_cfg {
    const char *name; /* for log lines; copied */
    uint8_t unit;
    const struct mb_map *map;         /* NULL: not metered. Borrowed, must outlive the poller */
    const struct mb_evse_model *evse; /* NULL: not controllable. Borrowed, likewise */
    uint32_t interval_ms;             /* 0 = MB_POLLER_INTERVAL_DEFAULT */
    int32_t failsafe_ma;              /* current the EVSE falls back to if ampshare falls
                                         silent (models with a watchdog); -1 = model default */
};

/* What the controller can see of a controllable EVSE. */
struct mb_evse_status {
    enum mb_evse_state state; /* last state read (UNKNOWN when none or the read failed) */
    uint64_t state_at_ms;
    int32_t requested_ma; /* last setpoint queued, -1 before any */
    int32_t applied_ma;   /* last setpoint the EVSE acknowledged, -1 before any */
    uint64_t applied_at_ms;
    bool pending;         /* requested_ma not yet acknowledged */
    int last_rc;          /* result of the last EVSE transaction */
    bool silenced;        /* the control loop is not alive: nothing is sent to it */
    int32_t offer_ma;     /* the offer the EVSE reports in force (read back with its state;
                             mb_evse_read_offer), -1 when unknown or the read failed */
    uint64_t offer_at_ms; /* when it was read */
};

struct mb_poller;

/* Creates a poller for one bus (not started). Allocates. Returns 0, -EINVAL, -ENOMEM. */
int mb_poller_new(const struct mb_poller_opts *opts, struct mb_poller **out);

/*
 * Adds a device before mb_poller_start(). Returns its index (>= 0), or -EINVAL (no map and no
 * model, bad unit, invalid map/model, fail-safe current out of range), -ENOSPC, -EBUSY (started).
 */
int mb_poller_add(struct mb_poller *p, const struct mb_poller_dev_cfg *cfg);

/* Starts the thread (an in-memory poller has none: it only marks it started). Returns 0 or a
 * negative code. */
int mb_poller_start(struct mb_poller *p);

/* In-memory pollers only: runs every device that is due at now_ms (never backwards), as one
 * pass of the thread would; when none is due (and the liveness gate holds) it does nothing, so
 * calling it often costs little. Returns 0, or -EINVAL for a threaded poller. */
int mb_poller_step(struct mb_poller *p, uint64_t now_ms);

/* True for an in-memory poller (mb_poller_opts.mem). */
bool mb_poller_is_mem(const struct mb_poller *p);

/*
 * Asks the thread to stop without waiting (a reload retiring the old pollers): it writes the
 * setpoints still queued, then ends; mb_poller_stopped says when. Accepts NULL; idempotent.
 */
void mb_poller_stop(struct mb_poller *p);

/* True once a stopped thread has written its last setpoints (or it never started): then
 * mb_poller_free does not wait. Never waits for I/O. */
bool mb_poller_stopped(struct mb_poller *p);

/*
 * Stops the thread and frees; accepts NULL. Setpoints still queued are written first (each
 * bounded by the transaction timeout), so a caller can queue safe limits and then free.
 */
void mb_poller_free(struct mb_poller *p);

/*
 * Copies the latest reading of device dev (invalid, with no values, when the latest read failed;
 * all zero with at_ms 0 before the first read). Never waits for I/O.
 * @return the latest read's code (0 when valid; -EAGAIN before the first read), or -EINVAL for a
 *         bad index / a device without a map
 */
int mb_poller_latest(struct mb_poller *p, int dev, struct mb_reading *out);

/*
 * Queues a setpoint (mA; 0 = pause) for device dev; a newer one replaces one not yet written.
 * Never waits for I/O. Returns 0; -ERANGE outside the model's range (nothing is queued);
 * -ENOTSUP when the device is not controllable; -EINVAL for a bad index.
 */
int mb_poller_set_current(struct mb_poller *p, int dev, int32_t ma);

/*
 * The control loop is alive at now_ms (on opts.clock): call it every tick. EVSE traffic runs
 * only while the last call is at most opts.liveness_ms old. Never waits for I/O.
 */
void mb_poller_alive(struct mb_poller *p, uint64_t now_ms);

/*
 * A counter of dev's changes: it moves (with the copy under the lock) whenever what
 * mb_poller_latest or mb_poller_evse_status would return for dev may have changed (a read, a
 * failure, a write's result, a setpoint queued, the liveness gate). Never waits: read it first,
 * then copy only when it moved since the last copy. 0 for a bad index.
 */
uint32_t mb_poller_seq(struct mb_poller *p, int dev);

/* Copies the EVSE status of dev. Returns 0, -ENOTSUP (not controllable) or -EINVAL. */
int mb_poller_evse_status(struct mb_poller *p, int dev, struct mb_evse_status *out);

#endif
