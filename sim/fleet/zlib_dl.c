/* SPDX-License-Identifier: MIT */
/* The zlib table (zlib_dl.h). */
#include "sim/fleet/zlib_dl.h"

static const char *const names[] = {
#define ZLIB_DL_NAME(f) #f,
    ZLIB_DL_SYMS(ZLIB_DL_NAME)
#undef ZLIB_DL_NAME
};
static void *slots[ZLIB_DL_N];

struct amp_dl zlib_dl = AMP_DL_INIT(AMP_SONAME_ZLIB, names, slots);
