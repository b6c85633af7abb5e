/* SPDX-License-Identifier: MIT */
/* Streaming deframer: bytes in any chunking, unescaped bodies out (twc-gen2.md §2.1, §2.4). */
#include <errno.h>
#include <string.h>

#include "drivers/twc/twc_codec.h"

void twc_deframer_init(struct twc_deframer *d)
{
    memset(d, 0, sizeof(*d));
}

/* The C0 at the current offset opens a new candidate frame. */
static void open_frame(struct twc_deframer *d)
{
    d->in_frame = true;
    d->len = 0;
    d->raw_len = 0;
    d->escaped = false;
    d->overflow = false;
    d->bad_escape = false;
    d->frame_offset = d->byte_offset;
}

static void add_byte(struct twc_deframer *d, uint8_t c)
{
    d->raw_len++;
    uint8_t v = c;
    if (d->escaped) {
        /* §2.1: DB DC is a data C0, DB DD a data DB; anything else is a broken escape. */
        d->escaped = false;
        if (c == TWC_ESC_END) {
            v = TWC_END;
        } else if (c == TWC_ESC_ESC) {
            v = TWC_ESC;
        } else {
            d->bad_escape = true;
        }
    } else if (c == TWC_ESC) {
        d->escaped = true;
        return;
    }
    if (d->len < TWC_BODY_MAX) {
        d->buf[d->len++] = v;
    } else {
        d->overflow = true;
    }
}

static void
set_skip(struct twc_df_event *ev, enum twc_df_event_type type, uint64_t offset, size_t len)
{
    ev->type = type;
    ev->offset = offset;
    ev->len = len;
}

/*
 * A C0 ends the candidate frame. §2.4: every C0 is a possible end and start, so "C0 C0" is an
 * empty frame, and a body shorter than 13 bytes is noise (a lone byte is the trailer of §2.2).
 * Returns true when *ev was filled.
 */
static bool close_frame(struct twc_deframer *d, struct twc_df_event *ev)
{
    if (d->raw_len == 0) {
        return false;
    }
    if (d->escaped) {
        d->bad_escape = true; /* DB right before the delimiter */
    }
    if (d->overflow) {
        d->stats.overlong++;
        set_skip(ev, TWC_DF_OVERLONG, d->frame_offset, d->raw_len);
        return true;
    }
    if (d->len < TWC_BODY_MIN) {
        d->stats.short_noise++;
        d->stats.garbage_bytes += (uint32_t)d->raw_len;
        if (d->raw_len == 1) {
            return false;
        }
        set_skip(ev, TWC_DF_GARBAGE, d->frame_offset + 1, d->raw_len);
        return true;
    }
    if (d->bad_escape) {
        d->stats.bad_escape++;
        set_skip(ev, TWC_DF_BAD_ESCAPE, d->frame_offset, d->raw_len);
        return true;
    }
    d->stats.frames++;
    ev->type = TWC_DF_FRAME;
    ev->offset = d->frame_offset;
    ev->len = d->len;
    memcpy(ev->body, d->buf, d->len);
    return true;
}

/* Bytes before the first C0 of the stream, reported once the C0 (or the end) arrives. */
static bool flush_garbage(struct twc_deframer *d, struct twc_df_event *ev)
{
    if (d->garbage_len == 0) {
        return false;
    }
    d->stats.garbage_bytes += (uint32_t)d->garbage_len;
    set_skip(ev, TWC_DF_GARBAGE, d->garbage_offset, d->garbage_len);
    d->garbage_len = 0;
    return true;
}

int twc_deframer_push(struct twc_deframer *d,
                      const uint8_t *data,
                      size_t len,
                      size_t *consumed,
                      struct twc_df_event *ev)
{
    if (consumed != NULL) {
        *consumed = 0;
    }
    if (d == NULL || (data == NULL && len > 0) || consumed == NULL || ev == NULL) {
        return -EINVAL;
    }
    size_t i = 0;
    while (i < len) {
        if (d->in_frame && !d->escaped) {
            /* the body's plain bytes in one run: what add_byte does to each, without the tests */
            size_t run = i;
            while (run < len && d->len + (run - i) < TWC_BODY_MAX && data[run] != TWC_END &&
                   data[run] != TWC_ESC) {
                run++;
            }
            memcpy(d->buf + d->len, data + i, run - i);
            d->len += run - i;
            d->raw_len += run - i;
            d->byte_offset += run - i;
            i = run;
            if (i == len) {
                break;
            }
        }
        uint8_t c = data[i++];
        bool have = false;
        if (c == TWC_END) {
            /* A delimiter always wins, even after DB: a frame never swallows the next one. */
            have = d->in_frame ? close_frame(d, ev) : flush_garbage(d, ev);
            open_frame(d);
        } else if (d->in_frame) {
            add_byte(d, c);
        } else {
            if (d->garbage_len == 0) {
                d->garbage_offset = d->byte_offset;
            }
            d->garbage_len++;
        }
        d->byte_offset++;
        if (have) {
            *consumed = i;
            return 1;
        }
    }
    *consumed = i;
    return -EAGAIN;
}

int twc_deframer_finish(struct twc_deframer *d, struct twc_df_event *ev)
{
    if (d == NULL || ev == NULL) {
        return -EINVAL;
    }
    if (!d->in_frame) {
        return flush_garbage(d, ev) ? 1 : 0;
    }
    size_t raw = d->raw_len;
    uint64_t at = d->frame_offset + 1;
    d->in_frame = false;
    d->len = 0;
    d->raw_len = 0;
    d->escaped = d->overflow = d->bad_escape = false;
    if (raw == 0) {
        return 0;
    }
    d->stats.garbage_bytes += (uint32_t)raw;
    if (raw == 1) {
        return 0; /* the trailer after the last frame (§2.2) */
    }
    set_skip(ev, TWC_DF_GARBAGE, at, raw);
    return 1;
}

bool twc_deframer_same(const struct twc_deframer *a, const struct twc_deframer *b)
{
    if (!a->in_frame || !b->in_frame) {
        return a->in_frame == b->in_frame; /* outside a frame only the next C0 counts */
    }
    /* raw_len decides only between a lone trailer and reported noise: neither is a frame */
    return a->len == b->len && a->escaped == b->escaped && a->overflow == b->overflow &&
           a->bad_escape == b->bad_escape && memcmp(a->buf, b->buf, a->len) == 0;
}
