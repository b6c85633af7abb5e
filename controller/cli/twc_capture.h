/* SPDX-License-Identifier: MIT */
/*
 * Capture lines for `ampshare sniff --capture`: one line per frame, "<t_ms>\t<hex on wire>", the
 * wire bytes from the opening C0 to the closing C0 plus the trailer byte when there is one
 * (twc-gen2.md §2.2). `ampshare decode` and `ampshare sniff FILE` read the format back
 * (drivers/twc/twc_hexline.h). Pure: bytes and time in, lines out; no I/O, no allocation.
 *
 * Use: append every byte received with twc_capture_bytes() before handing it to the deframer;
 * report every TWC_DF_FRAME event with twc_capture_frame(); then pull finished lines with
 * twc_capture_next_line(). A frame's line waits until the byte after its closing C0 tells
 * whether a trailer follows (a lone byte before the next C0), at most
 * TWC_CAPTURE_TRAILER_WAIT_MS of quiet, or the final flush.
 */
#ifndef TWC_CAPTURE_H
#define TWC_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TWC_CAPTURE_HIST            2048 /* bytes of history kept; reads must be smaller */
#define TWC_CAPTURE_PENDING         32   /* frames waiting for their line */
#define TWC_CAPTURE_TRAILER_WAIT_MS 100  /* a trailer comes 1 ms after the C0 at 9600 baud (§1) */
#define TWC_CAPTURE_LINE_MAX        160  /* "<t_ms>\t" + 3 x TWC_WIRE_MAX hex + NUL fits */

struct twc_capture_pending {
    uint64_t t_ms;
    uint64_t open; /* stream offset of the opening C0 */
};

struct twc_capture {
    uint8_t hist[TWC_CAPTURE_HIST];
    uint64_t hist_base; /* stream offset of hist[0] */
    size_t hist_len;
    struct twc_capture_pending pend[TWC_CAPTURE_PENDING];
    size_t npend;
    uint64_t last_rx_ms;
    uint32_t lost; /* frames whose bytes fell out of the history before their line was pulled */
};

void twc_capture_init(struct twc_capture *c);

/* Records bytes received at now_ms (stream offsets continue from the previous call). */
void twc_capture_bytes(struct twc_capture *c, uint64_t now_ms, const uint8_t *buf, size_t len);

/* A frame the deframer reported, seen at t_ms, whose opening C0 is at stream offset open. */
void twc_capture_frame(struct twc_capture *c, uint64_t t_ms, uint64_t open);

/*
 * Writes the oldest finished line (without newline) into buf. A line is finished when the bytes
 * after its frame are known, when TWC_CAPTURE_TRAILER_WAIT_MS passed since the last byte, or
 * always when final is true. Returns the length, 0 when no line is ready, -EMSGSIZE when cap is
 * too small (the line stays pending).
 */
int twc_capture_next_line(
    struct twc_capture *c, uint64_t now_ms, bool final, char *buf, size_t cap);

#endif
