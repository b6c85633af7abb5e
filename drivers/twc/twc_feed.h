/* SPDX-License-Identifier: MIT */
/*
 * Bytes heard on a bus into a master: deframe, decode, twc_master_on_frame() every frame, and
 * drain the master's events (a caller that logs them reads them itself instead). One copy of the
 * loop the simulators run around ampshare's master.
 */
#ifndef TWC_FEED_H
#define TWC_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_master.h"

/* Feeds buf (any chunking) heard at now_ms. Returns the frames handed to the master. */
size_t twc_master_feed(struct twc_master *m,
                       struct twc_deframer *df,
                       uint64_t now_ms,
                       const uint8_t *buf,
                       size_t len);

#endif
