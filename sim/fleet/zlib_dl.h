/* SPDX-License-Identifier: MIT */
/*
 * zlib (gzipped replay data), opened when first needed (drivers/base/amp_dl.h): only `sim replay`
 * reads .gz files, so the daemon never maps it. Include this instead of <zlib.h>: each function
 * ampshare calls becomes a call through the table, so the code reads as if the library were
 * linked.
 */
#ifndef ZLIB_DL_H
#define ZLIB_DL_H

#include <zlib.h>

#include "drivers/base/amp_dl.h"

#define ZLIB_DL_SYMS(X) \
    X(gzclose)          \
    X(gzerror)          \
    X(gzopen)           \
    X(gzread)

enum zlib_dl_sym {
#define ZLIB_DL_ENUM(f) ZLIB_DL_##f,
    ZLIB_DL_SYMS(ZLIB_DL_ENUM)
#undef ZLIB_DL_ENUM
    ZLIB_DL_N
};

extern struct amp_dl zlib_dl;

#define gzclose ((__typeof__(gzclose) *)amp_dl_sym(&zlib_dl, ZLIB_DL_gzclose))
#define gzerror ((__typeof__(gzerror) *)amp_dl_sym(&zlib_dl, ZLIB_DL_gzerror))
#define gzopen  ((__typeof__(gzopen) *)amp_dl_sym(&zlib_dl, ZLIB_DL_gzopen))
#define gzread  ((__typeof__(gzread) *)amp_dl_sym(&zlib_dl, ZLIB_DL_gzread))

#endif
