/* SPDX-License-Identifier: MIT */
/* The libmicrohttpd (the [http] server) table (mhd_dl.h). */
#include "controller/telemetry/mhd_dl.h"

static const char *const names[] = {
#define MHD_DL_NAME(f) #f,
    MHD_DL_SYMS(MHD_DL_NAME)
#undef MHD_DL_NAME
};
static void *slots[MHD_DL_N];

struct amp_dl mhd_dl = AMP_DL_INIT(AMP_SONAME_MHD, names, slots);
