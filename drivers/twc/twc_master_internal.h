/* SPDX-License-Identifier: MIT */
/* State shared by the .c files of the master module (twc_master.c, _sched.c, _pace.c). */
#ifndef TWC_MASTER_INTERNAL_H
#define TWC_MASTER_INTERNAL_H

#include <stdint.h>

#include "drivers/twc/twc_master.h"

/* Lowers *wake to t. */
static inline void twc_master_wake_at(uint64_t *wake, uint64_t t)
{
    if (t < *wake) {
        *wake = t;
    }
}

/* Queues an event (the newest is lost and counted when the queue is full). */
void twc_master_emit(struct twc_master *m, const struct twc_master_event *ev);

/* Finds a linked slave by ID, or NULL. */
struct twc_master_slave *twc_master_slave_by_id(struct twc_master *m, uint16_t id);

/* Whole amps: the least a slave accepts (§5.3) and its linkready maximum (§4.3). */
int32_t twc_master_min_a(const struct twc_master_slave *s);
/* §4.3, §7.1, §9 #16: the spike this master offers slave s (21 A for 80 A units, else 16 A). */
int32_t twc_master_spike_a(const struct twc_master *m, const struct twc_master_slave *s);
int32_t twc_master_max_a(const struct twc_master_slave *s);

/* Converts the controller's milliamps to the whole amps we may offer s (round down, clamp to
 * the maximum, below the minimum becomes 0). */
int32_t twc_master_amps_for(const struct twc_master_slave *s, int32_t ma);

/* Recomputes target and ceiling in amps from the controller's last request (after a linkready
 * changed the slave's maximum or protocol). */
void twc_master_reclamp(struct twc_master_slave *s, int32_t target_ma, int32_t ceiling_ma);

/* Applies the §7.1 pacing rules to s at now; lowers *wake to the next time they change the
 * offer. Safety cuts (offer above the ceiling) happen here at once. */
void twc_master_pace(struct twc_master *m,
                     struct twc_master_slave *s,
                     uint64_t now_ms,
                     uint64_t *wake);

/* Ends a clash at now: picks a fresh ID and sign and restarts the §6.1 burst. */
void twc_master_resume(struct twc_master *m, uint64_t now_ms);

/* Starts a VIN query sequence for s (§6.3: when a car begins to draw >= 1 A on 4.5.3). */
void twc_master_vin_start(struct twc_master *m, struct twc_master_slave *s, uint64_t now_ms);

#endif
