/* SPDX-License-Identifier: MIT */
/* The test bus tap (amp_tap.h). */
#include "tests/support/amp_tap.h"

uint32_t amp_tap_read(struct tp *ep, struct twc_deframer *df, amp_tap_fn *fn, void *ctx)
{
    uint32_t bad = 0;
    uint8_t buf[512];
    ssize_t n;
    while ((n = tp_read(ep, buf, sizeof(buf))) > 0) {
        size_t off = 0;
        while (off < (size_t)n) {
            size_t used = 0;
            struct twc_df_event ev;
            int rc = twc_deframer_push(df, buf + off, (size_t)n - off, &used, &ev);
            off += used;
            if (rc != 1) {
                break;
            }
            if (ev.type != TWC_DF_FRAME) {
                continue;
            }
            struct twc_msg msg;
            if (twc_decode(ev.body, ev.len, &msg) != 0) {
                bad++;
                continue;
            }
            fn(ctx, &msg);
        }
    }
    return bad;
}
