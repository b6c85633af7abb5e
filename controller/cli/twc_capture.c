/* SPDX-License-Identifier: MIT */
/* Capture lines with trailers (see twc_capture.h). */
#include "controller/cli/twc_capture.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "drivers/twc/twc_codec.h"

void twc_capture_init(struct twc_capture *c)
{
    memset(c, 0, sizeof(*c));
}

/* Drops the oldest n history bytes, and any pending frame that began in them. */
static void drop_oldest(struct twc_capture *c, size_t n)
{
    memmove(c->hist, c->hist + n, c->hist_len - n);
    c->hist_len -= n;
    c->hist_base += n;
    size_t keep = 0;
    for (size_t i = 0; i < c->npend; i++) {
        if (c->pend[i].open >= c->hist_base) {
            c->pend[keep++] = c->pend[i];
        } else {
            c->lost++;
        }
    }
    c->npend = keep;
}

void twc_capture_bytes(struct twc_capture *c, uint64_t now_ms, const uint8_t *buf, size_t len)
{
    c->last_rx_ms = now_ms;
    while (len > 0) {
        /* Keep only what a pending frame (or the frame being read) may still need. */
        if (c->hist_len + len > TWC_CAPTURE_HIST) {
            size_t need = c->hist_len + len - TWC_CAPTURE_HIST;
            drop_oldest(c, need < c->hist_len ? need : c->hist_len);
        }
        size_t take = len < TWC_CAPTURE_HIST - c->hist_len ? len : TWC_CAPTURE_HIST - c->hist_len;
        memcpy(c->hist + c->hist_len, buf, take);
        c->hist_len += take;
        buf += take;
        len -= take;
    }
}

void twc_capture_frame(struct twc_capture *c, uint64_t t_ms, uint64_t open)
{
    if (open < c->hist_base || c->npend >= TWC_CAPTURE_PENDING) {
        c->lost++;
        return;
    }
    c->pend[c->npend].t_ms = t_ms;
    c->pend[c->npend].open = open;
    c->npend++;
}

/* The byte at stream offset off, or -1 when it is not (yet) in the history. */
static int byte_at(const struct twc_capture *c, uint64_t off)
{
    if (off < c->hist_base || off - c->hist_base >= c->hist_len) {
        return -1;
    }
    return c->hist[off - c->hist_base];
}

int twc_capture_next_line(struct twc_capture *c, uint64_t now_ms, bool final, char *buf, size_t cap)
{
    if (c->npend == 0) {
        return 0;
    }
    const struct twc_capture_pending *p = &c->pend[0];
    /* The closing C0: the first C0 after the opening one (an escaped body holds none, §2.1). */
    uint64_t close = p->open + 1;
    int b;
    while ((b = byte_at(c, close)) >= 0 && b != TWC_END) {
        close++;
    }
    if (b < 0) {
        return 0; /* the frame was reported, so its closing C0 is in the history; be safe */
    }
    int after = byte_at(c, close + 1);
    int after2 = byte_at(c, close + 2);
    bool quiet = now_ms >= c->last_rx_ms + TWC_CAPTURE_TRAILER_WAIT_MS;
    bool trailer;
    if (after == TWC_END) {
        trailer = false; /* the next frame (or an empty one) starts at once */
    } else if (after >= 0 && after2 >= 0) {
        trailer = after2 == TWC_END; /* §2.2, §2.4: a lone byte between two delimiters */
    } else if (after >= 0 && (final || quiet)) {
        trailer = true; /* one byte, then silence */
    } else if (after < 0 && (final || quiet)) {
        trailer = false;
    } else {
        return 0; /* wait for the next byte */
    }
    uint64_t end = close + (trailer ? 1 : 0);
    size_t need = 21 + 1 + 3 * (size_t)(end - p->open + 1) + 1;
    if (cap < need) {
        return -EMSGSIZE;
    }
    int n = snprintf(buf, cap, "%" PRIu64 "\t", p->t_ms);
    for (uint64_t off = p->open; off <= end; off++) {
        n += snprintf(buf + n, cap - (size_t)n, "%s%02x", off == p->open ? "" : " ",
                      (unsigned)byte_at(c, off));
    }
    memmove(&c->pend[0], &c->pend[1], (c->npend - 1) * sizeof(c->pend[0]));
    c->npend--;
    return n;
}
