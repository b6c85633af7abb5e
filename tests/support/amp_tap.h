/* SPDX-License-Identifier: MIT */
/* A passive listener on a test bus: every byte an endpoint hears, deframed and decoded. */
#ifndef AMP_TAP_H
#define AMP_TAP_H

#include <stdint.h>

#include "drivers/transport/tp.h"
#include "drivers/twc/twc_codec.h"

/* Called for each checksum-valid frame; msg is borrowed for the call. */
typedef void amp_tap_fn(void *ctx, const struct twc_msg *msg);

/*
 * Reads everything waiting at ep through df (the caller's, kept across calls so a frame may
 * span reads) and calls fn for every frame that decodes. Returns the frames that did not.
 */
uint32_t amp_tap_read(struct tp *ep, struct twc_deframer *df, amp_tap_fn *fn, void *ctx);

#endif
