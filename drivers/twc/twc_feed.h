/* SPDX-License-Identifier: MIT */
/*
 * Bytes heard on a bus into messages: the one deframe-then-decode loop. twc_rx_next() hands back
 * every deframer event with the frame's decoded message; twc_master_feed() runs it into a master.
 */
#ifndef TWC_FEED_H
#define TWC_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_master.h"

/* One thing the deframer reported, decoded when it is a frame. */
struct twc_rx {
    struct twc_df_event ev;
    int rc;             /* TWC_DF_FRAME: twc_decode()'s code; other events: -ENOMSG */
    struct twc_msg msg; /* valid when rc == 0 */
};

/*
 * Consumes bytes from *buf (advancing *buf and *len) until the deframer reports one event, and
 * returns 1 with *rx filled; returns 0 once the input is used up. Any chunking gives the same
 * events (twc_deframer_push()).
 */
int twc_rx_next(struct twc_deframer *df, const uint8_t **buf, size_t *len, struct twc_rx *rx);

/*
 * Feeds buf (any chunking) heard at now_ms into a master: twc_master_on_frame() for every frame
 * that decodes, then drains the master's events (a caller that logs them reads them itself
 * instead). Returns the frames handed to the master.
 */
size_t twc_master_feed(
    struct twc_master *m, struct twc_deframer *df, uint64_t now_ms, const uint8_t *buf, size_t len);

#endif
