/* SPDX-License-Identifier: MIT */
/* Shared inside drivers/ocpp only. */
#ifndef OCPP_INTERNAL_H
#define OCPP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* An integer to the OCPP schemas: a JSON integer, or a real with no fraction (300.0). */
bool ocpp_json_is_int(const json_t *v);
int64_t ocpp_json_int(const json_t *v);

#endif
