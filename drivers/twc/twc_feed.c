/* SPDX-License-Identifier: MIT */
/* Bytes into a master (twc_feed.h). */
#include "drivers/twc/twc_feed.h"

#include "drivers/twc/twc_codec.h"

size_t twc_master_feed(struct twc_master *m,
                       struct twc_deframer *df,
                       uint64_t now_ms,
                       const uint8_t *buf,
                       size_t len)
{
    size_t frames = 0;
    while (len > 0) {
        size_t used = 0;
        struct twc_df_event ev;
        int rc = twc_deframer_push(df, buf, len, &used, &ev);
        buf += used;
        len -= used;
        if (rc != 1) {
            break;
        }
        struct twc_msg msg;
        if (ev.type == TWC_DF_FRAME && twc_decode(ev.body, ev.len, &msg) == 0) {
            twc_master_on_frame(m, now_ms, &msg);
            frames++;
        }
    }
    struct twc_master_event e;
    while (twc_master_next_event(m, &e) == 1) {
        /* a daemon logs these; the control loop reads the slave table */
    }
    return frames;
}
