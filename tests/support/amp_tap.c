/* SPDX-License-Identifier: MIT */
/* The test bus tap (amp_tap.h). */
#include "tests/support/amp_tap.h"

#include "drivers/twc/twc_feed.h"

uint32_t amp_tap_read(struct tp *ep, struct twc_deframer *df, amp_tap_fn *fn, void *ctx)
{
    uint32_t bad = 0;
    uint8_t buf[512];
    ssize_t n;
    while ((n = tp_read(ep, buf, sizeof(buf))) > 0) {
        const uint8_t *p = buf;
        size_t left = (size_t)n;
        struct twc_rx rx;
        while (twc_rx_next(df, &p, &left, &rx) == 1) {
            if (rx.ev.type != TWC_DF_FRAME) {
                continue;
            }
            if (rx.rc != 0) {
                bad++;
                continue;
            }
            fn(ctx, &rx.msg);
        }
    }
    return bad;
}
