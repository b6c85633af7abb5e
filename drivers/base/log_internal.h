/* SPDX-License-Identifier: MIT */
/* Shared between log.c and log_ratelimit.c. */
#ifndef AMP_LOG_INTERNAL_H
#define AMP_LOG_INTERNAL_H

#include "drivers/base/log.h"

#define LOG_LINE_MAX 512

/* Hands one formatted line to the sink (no level check). */
void log_emit_line(enum log_level lvl, const char *mod, const char *line);

#endif
