/* SPDX-License-Identifier: MIT */
/*
 * Text and JSON Lines renderings of decoded Wall Connector frames and deframer events, shared by
 * `ampshare decode` and `ampshare sniff`. Pure: writes into the caller's buffer, no I/O. The
 * keys and words are documented in docs/decode.md.
 */
#ifndef TWC_FMT_H
#define TWC_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/twc/twc_codec.h"

/* A buffer that holds any one line these functions write. */
#define TWC_FMT_LINE_MAX 1024

/* Where a frame or event was found. */
struct twc_fmt_where {
    uint64_t offset;    /* byte offset in the input stream (ev->offset) */
    unsigned long line; /* 1-based input line for text input; 0 for raw input (printed as null) */
    bool has_t_ms;      /* the line carried a capture timestamp */
    uint64_t t_ms;
};

/*
 * Writes one line (no newline) for a frame: msg as filled by twc_decode() and rc its return code.
 * Text: "0000: slave_heartbeat v2 2019->7777 state=08(starting) limit=6.00A actual=5.28A checksum
 * ok". Returns the length written (NUL excluded), or -EMSGSIZE when buf is too small.
 */
int twc_fmt_frame_text(
    const struct twc_msg *msg, int rc, const struct twc_fmt_where *w, char *buf, size_t cap);
int twc_fmt_frame_json(
    const struct twc_msg *msg, int rc, const struct twc_fmt_where *w, char *buf, size_t cap);

/*
 * Writes one line for a deframer event other than a frame: garbage, bad escape, overlong. at_end
 * is true for the event twc_deframer_finish() returned (an incomplete frame or trailing garbage).
 * Returns the length written or -EMSGSIZE; -EINVAL for a TWC_DF_FRAME event.
 */
int twc_fmt_event_text(const struct twc_df_event *ev,
                       bool at_end,
                       const struct twc_fmt_where *w,
                       char *buf,
                       size_t cap);
int twc_fmt_event_json(const struct twc_df_event *ev,
                       bool at_end,
                       const struct twc_fmt_where *w,
                       char *buf,
                       size_t cap);

/* snake_case names of wire values (§5.1, §5.2, §4.2 FD B4); "unknown" for others. Static. */
const char *twc_fmt_state_name(uint8_t state);
const char *twc_fmt_cmd_name(uint8_t cmd);
const char *twc_fmt_plug_state_name(uint8_t plug_state);

#endif
