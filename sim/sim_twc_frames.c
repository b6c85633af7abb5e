/* SPDX-License-Identifier: MIT */
/* Bytes to frames and fields to bytes for the simulated Wall Connectors (sim_twc_frames.h). */
#include "sim/sim_twc_frames.h"

#include <string.h>

#include "drivers/twc/twc_feed.h"

void sim_twc_msg_start(struct twc_msg *msg, enum twc_kind kind, int body_len, uint16_t src)
{
    memset(msg, 0, sizeof(*msg));
    msg->kind = kind;
    msg->code = twc_code_of_kind(kind);
    msg->body_len = (uint8_t)body_len;
    msg->has_src = true;
    msg->src = src;
}

int sim_twc_frame(struct twc_msg *msg, int trailer, uint8_t *out, size_t cap)
{
    uint8_t body[TWC_BODY_MAX];
    int n = twc_encode_body(msg, body, sizeof(body));
    if (n < 0) {
        return n;
    }
    return twc_frame_wrap(body, (size_t)n, trailer, out, cap);
}

int sim_twc_next_msg(
    struct twc_deframer *df, const uint8_t **buf, size_t *len, struct twc_msg *msg, uint32_t *bad)
{
    struct twc_rx rx;
    while (twc_rx_next(df, buf, len, &rx) == 1) {
        if (rx.rc == 0) {
            *msg = rx.msg;
            return 1;
        }
        *bad += rx.ev.type != TWC_DF_GARBAGE; /* garbage is the bus's noise, not a bad frame */
    }
    return 0;
}
