/* SPDX-License-Identifier: MIT */
/* Shared inside drivers/ocpp only. */
#ifndef OCPP_INTERNAL_H
#define OCPP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "drivers/ocpp/ocpp_cp.h"

/* An integer to the OCPP schemas: a JSON integer, or a real with no fraction (300.0). */
bool ocpp_json_is_int(const json_t *v);
int64_t ocpp_json_int(const json_t *v);

/* Queues a transaction event for ocpp_cp_tx_event (the oldest is dropped when full). */
void ocpp_cp_tx_push(struct ocpp_cp *cp, const struct ocpp_tx_event *ev);

#endif
