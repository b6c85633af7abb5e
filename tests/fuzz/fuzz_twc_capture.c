/* SPDX-License-Identifier: MIT */
/*
 * Capture lines for arbitrary bus bytes, in arbitrary chunks: every frame the deframer reports
 * must come out as exactly one line, and that line, read back through the hex-line parser and a
 * fresh deframer, must give the same body again (what `ampshare decode` does with a capture).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/twc_capture.h"
#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_hexline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 512

struct seen {
    uint8_t body[TWC_BODY_MAX];
    size_t len;
};

static size_t nlines;

static void check_line(const char *line, int n, const struct seen *want)
{
    uint8_t bytes[TWC_CAPTURE_LINE_MAX];
    struct twc_hexline hl;
    if (twc_hexline_parse(line, (size_t)n, false, bytes, sizeof(bytes), &hl) != 0 ||
        hl.type != TWC_HEXLINE_WIRE || !hl.has_t_ms) {
        abort();
    }
    struct twc_deframer df;
    twc_deframer_init(&df);
    size_t off = 0, frames = 0;
    while (off < hl.len) {
        size_t used = 0;
        struct twc_df_event ev;
        int rc = twc_deframer_push(&df, bytes + off, hl.len - off, &used, &ev);
        off += used;
        if (rc != 1) {
            break;
        }
        if (ev.type == TWC_DF_FRAME) {
            if (ev.len != want->len || memcmp(ev.body, want->body, ev.len) != 0) {
                abort();
            }
            frames++;
        }
    }
    if (frames != 1) {
        abort();
    }
    nlines++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct twc_capture cap;
    static struct seen seen[MAX_FRAMES];
    struct twc_deframer df;
    twc_deframer_init(&df);
    twc_capture_init(&cap);
    size_t nseen = 0;
    nlines = 0;
    char line[TWC_CAPTURE_LINE_MAX];
    uint64_t t = 0;
    for (size_t i = 0; i < size;) {
        size_t chunk = 1 + data[i] % 64; /* the first byte of each chunk also sets its size */
        chunk = chunk > size - i ? size - i : chunk;
        twc_capture_bytes(&cap, t, data + i, chunk);
        size_t off = 0;
        while (off < chunk) {
            size_t used = 0;
            struct twc_df_event ev;
            int rc = twc_deframer_push(&df, data + i + off, chunk - off, &used, &ev);
            off += used;
            if (rc != 1) {
                break;
            }
            if (ev.type == TWC_DF_FRAME && nseen < MAX_FRAMES) {
                memcpy(seen[nseen].body, ev.body, ev.len);
                seen[nseen].len = ev.len;
                nseen++;
                twc_capture_frame(&cap, t, ev.offset);
            }
        }
        int n;
        while ((n = twc_capture_next_line(&cap, t, false, line, sizeof(line))) > 0) {
            check_line(line, n, &seen[nlines]);
        }
        i += chunk;
        t += 3;
    }
    int n;
    while ((n = twc_capture_next_line(&cap, t, true, line, sizeof(line))) > 0) {
        check_line(line, n, &seen[nlines]);
    }
    if (nlines + cap.lost != nseen) {
        abort();
    }
    return 0;
}
