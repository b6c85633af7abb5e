/* SPDX-License-Identifier: MIT */
/* Bytes to frames and fields to bytes for the simulated Wall Connectors (sim_twc_frames.h). */
#include "sim/sim_twc_frames.h"

#include <string.h>

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
    while (*len > 0) {
        size_t used = 0;
        struct twc_df_event ev;
        int rc = twc_deframer_push(df, *buf, *len, &used, &ev);
        *buf += used;
        *len -= used;
        if (rc != 1) {
            break;
        }
        if (ev.type != TWC_DF_FRAME) {
            *bad += ev.type != TWC_DF_GARBAGE;
            continue;
        }
        if (twc_decode(ev.body, ev.len, msg) != 0) {
            (*bad)++;
            continue;
        }
        return 1;
    }
    return 0;
}
