/* SPDX-License-Identifier: MIT */
/* The libmosquitto (the [mqtt] client) table (mosq_dl.h). */
#include "controller/telemetry/mosq_dl.h"

static const char *const names[] = {
#define MOSQ_DL_NAME(f) #f,
    MOSQ_DL_SYMS(MOSQ_DL_NAME)
#undef MOSQ_DL_NAME
};
static void *slots[MOSQ_DL_N];

struct amp_dl mosq_dl = AMP_DL_INIT(AMP_SONAME_MOSQUITTO, names, slots);
