/* SPDX-License-Identifier: MIT */
/* Bytes into messages and into a master (twc_feed.h). */
#include "drivers/twc/twc_feed.h"

#include <errno.h>

#include "drivers/twc/twc_codec.h"

int twc_rx_next(struct twc_deframer *df, const uint8_t **buf, size_t *len, struct twc_rx *rx)
{
    while (*len > 0) {
        size_t used = 0;
        int rc = twc_deframer_push(df, *buf, *len, &used, &rx->ev);
        *buf += used;
        *len -= used;
        if (rc != 1) {
            break; /* -EAGAIN: every byte is used */
        }
        rx->rc =
            rx->ev.type == TWC_DF_FRAME ? twc_decode(rx->ev.body, rx->ev.len, &rx->msg) : -ENOMSG;
        return 1;
    }
    return 0;
}

size_t twc_master_feed(
    struct twc_master *m, struct twc_deframer *df, uint64_t now_ms, const uint8_t *buf, size_t len)
{
    size_t frames = 0;
    struct twc_rx rx;
    while (twc_rx_next(df, &buf, &len, &rx) == 1) {
        if (rx.rc == 0) {
            twc_master_on_frame(m, now_ms, &rx.msg);
            frames++;
        }
    }
    struct twc_master_event e;
    while (twc_master_next_event(m, &e) == 1) {
        /* a daemon logs these; the control loop reads the slave table */
    }
    return frames;
}
