/* SPDX-License-Identifier: MIT */
/* The libwebsockets (the [ocpp] server, sim ocpp) table (lws_dl.h). */
#include "drivers/ocpp/lws_dl.h"

static const char *const names[] = {
#define LWS_DL_NAME(f) #f,
    LWS_DL_SYMS(LWS_DL_NAME)
#undef LWS_DL_NAME
};
static void *slots[LWS_DL_N];

struct amp_dl lws_dl = AMP_DL_INIT(AMP_SONAME_LWS, names, slots);
