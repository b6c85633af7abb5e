/* SPDX-License-Identifier: MIT */
/* Shared by the .c files of the Modbus module (maps, EVSE models, their config keys); not public.
 */
#ifndef MB_INTERNAL_H
#define MB_INTERNAL_H

#include <stddef.h>

/*
 * Writes a printf-style message into err (nothing when err is NULL or errlen 0) and returns
 * -EINVAL, for the validators' and config-key parsers' `return mb_fail(err, errlen, ...)`.
 */
int mb_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parses a whole decimal or 0x-hex number in [lo, hi] into *out. Returns 0 or -EINVAL. */
int mb_parse_long(const char *s, long lo, long hi, long *out);

#endif
