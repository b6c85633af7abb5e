/* SPDX-License-Identifier: MIT */
/* Shared inside drivers/ocpp only. */
#ifndef OCPP_INTERNAL_H
#define OCPP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "drivers/ocpp/ocpp_cp.h"

/* An integer to the OCPP schemas: a JSON integer, or a real with no fraction (300.0). */
bool ocpp_json_is_int(const json_t *v);
int64_t ocpp_json_int(const json_t *v);

/* Transactions (ocpp_tx.c); each leaves an event for ocpp_cp_tx_event. */

/* An accepted StartTransaction on our connector. */
void ocpp_tx_begin(struct ocpp_cp *cp,
                   int32_t id,
                   const char *tag,
                   int64_t meter_start_wh,
                   uint64_t now_ms,
                   time_t wall_s);

/* The open transaction ended (its StopTransaction, or the charger rebooted); else nothing. */
void ocpp_tx_end(
    struct ocpp_cp *cp, int64_t meter_stop_wh, const char *reason, uint64_t now_ms, time_t wall_s);

/* MeterValues of transaction id on our connector while none is open: one begun before a
 * restart of ours goes on (not one that ended here). */
void ocpp_tx_resume(struct ocpp_cp *cp, int32_t id, uint64_t now_ms, time_t wall_s);

#endif
