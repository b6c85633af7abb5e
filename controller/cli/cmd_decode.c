/* SPDX-License-Identifier: MIT */
/* ampshare decode: Wall Connector frames from hex text or raw bytes, one line per frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/cmd.h"
#include "controller/cli/twc_fmt.h"
#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_feed.h"
#include "drivers/twc/twc_hexline.h"

/* Start offsets of the most recent input lines, so an event can name the line it began on. */
#define DEC_LINES_KEPT 64

struct dec_line {
    uint64_t offset;
    struct twc_fmt_where where;
};

struct dec {
    bool json;
    struct twc_deframer df;
    struct dec_line lines[DEC_LINES_KEPT];
    size_t nlines; /* lines recorded so far (the ring holds the last DEC_LINES_KEPT) */
    unsigned long frames, bad_frames, errors;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ampshare decode [--raw] [--json] [FILE | -]\n"
            "\n"
            "Decodes Tesla Wall Connector Gen 2 RS485 frames and prints one line per frame:\n"
            "offset, kind, protocol version, source->destination, the fields with units, and\n"
            "whether the checksum is ok. Garbage, bad escapes, overlong and incomplete frames\n"
            "are reported inline and decoding goes on. Reads FILE, or stdin when FILE is - or\n"
            "missing.\n"
            "\n"
            "Input (default: hex text): any spacing, one or many frames per line, frames with\n"
            "or without C0 delimiters (a line without C0 is one unescaped body), the vectors\n"
            "TSV (first column), capture files (\"<t_ms>\\t<hex>\"), TWCManager Rx@/Tx@ lines.\n"
            "\n"
            "options:\n"
            "  --raw     the input is raw bytes as read from the bus\n"
            "  --json    JSON Lines: one object per frame or error (keys: docs/decode.md)\n"
            "  -h, --help  this help\n"
            "\n"
            "Exit status: 0 when the input was read (bad frames included), 1 when it could\n"
            "not be read, 2 on wrong arguments.\n");
}

static void remember_line(struct dec *d, unsigned long line, const struct twc_hexline *hl)
{
    struct dec_line *l = &d->lines[d->nlines % DEC_LINES_KEPT];
    l->offset = d->df.byte_offset;
    l->where.line = line;
    l->where.has_t_ms = hl->has_t_ms;
    l->where.t_ms = hl->t_ms;
    d->nlines++;
}

/* The line a stream offset came from: the latest line that started at or before it. */
static void locate(const struct dec *d, uint64_t offset, struct twc_fmt_where *w)
{
    memset(w, 0, sizeof(*w));
    w->offset = offset;
    size_t kept = d->nlines < DEC_LINES_KEPT ? d->nlines : DEC_LINES_KEPT;
    const struct dec_line *best = NULL;
    for (size_t k = 0; k < kept; k++) {
        const struct dec_line *l = &d->lines[(d->nlines - 1 - k) % DEC_LINES_KEPT];
        best = l; /* the oldest kept line when offset is older than all of them */
        if (l->offset <= offset) {
            break;
        }
    }
    if (best != NULL) {
        *w = best->where;
        w->offset = offset;
    }
}

/* One deframer event: a frame (decoded, rx->rc its code) or a stretch the deframer skipped. */
static void emit(struct dec *d, const struct twc_rx *rx, bool at_end)
{
    const struct twc_df_event *ev = &rx->ev;
    char line[TWC_FMT_LINE_MAX];
    struct twc_fmt_where w;
    locate(d, ev->offset, &w);
    int n;
    if (ev->type == TWC_DF_FRAME && !at_end) {
        d->frames++;
        if (rx->rc == -EBADMSG) {
            d->bad_frames++;
        }
        n = d->json ? twc_fmt_frame_json(&rx->msg, rx->rc, &w, line, sizeof(line))
                    : twc_fmt_frame_text(&rx->msg, rx->rc, &w, line, sizeof(line));
    } else {
        d->errors++;
        n = d->json ? twc_fmt_event_json(ev, at_end, &w, line, sizeof(line))
                    : twc_fmt_event_text(ev, at_end, &w, line, sizeof(line));
    }
    if (n >= 0) {
        puts(line);
    }
}

static void feed(struct dec *d, const uint8_t *data, size_t len)
{
    struct twc_rx rx;
    while (twc_rx_next(&d->df, &data, &len, &rx) == 1) {
        emit(d, &rx, false);
    }
}

static void finish(struct dec *d)
{
    struct twc_rx rx = {.rc = -ENOMSG};
    if (twc_deframer_finish(&d->df, &rx.ev) == 1) {
        emit(d, &rx, true);
    }
}

static int decode_raw(struct dec *d, FILE *in)
{
    uint8_t buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        feed(d, buf, n);
    }
    return ferror(in) ? -EIO : 0;
}

static void report_bad_hex(struct dec *d, unsigned long lineno, const struct twc_hexline *hl)
{
    d->errors++;
    if (d->json) {
        printf("{\"event\":\"bad_hex\",\"offset\":null,\"line\":%lu,\"t_ms\":null,\"col\":%zu}\n",
               lineno, hl->err_col);
    } else {
        printf("L%lu: error: column %zu is not hex; line skipped\n", lineno, hl->err_col);
    }
}

static int decode_text(struct dec *d, FILE *in)
{
    char *line = NULL;
    size_t line_cap = 0;
    uint8_t *bytes = NULL;
    uint8_t *wire = NULL;
    size_t bytes_cap = 0;
    unsigned long lineno = 0;
    ssize_t got;
    int rc = 0;
    while ((got = getline(&line, &line_cap, in)) >= 0) {
        lineno++;
        size_t need = (size_t)got / 2 + 1;
        if (need > bytes_cap) {
            uint8_t *nb = realloc(bytes, need);
            uint8_t *nw = nb ? realloc(wire, 2 * need + 2) : NULL;
            if (nb) {
                bytes = nb;
            }
            if (nw == NULL) {
                rc = -ENOMEM;
                break;
            }
            wire = nw;
            bytes_cap = need;
        }
        struct twc_hexline hl;
        if (twc_hexline_parse(line, (size_t)got, lineno == 1, bytes, bytes_cap, &hl) < 0) {
            report_bad_hex(d, lineno, &hl);
            continue;
        }
        if (hl.type == TWC_HEXLINE_SKIP) {
            continue;
        }
        remember_line(d, lineno, &hl);
        if (hl.type == TWC_HEXLINE_WIRE) {
            feed(d, bytes, hl.len);
        } else {
            /* A body printed without delimiters (TWCManager's Rx@ prints it unescaped). */
            int n = twc_frame_wrap(bytes, hl.len, -1, wire, 2 * bytes_cap + 2);
            if (n > 0) {
                feed(d, wire, (size_t)n);
            }
        }
    }
    if (rc == 0 && ferror(in)) {
        rc = -EIO;
    }
    free(line);
    free(bytes);
    free(wire);
    return rc;
}

int cmd_decode(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_EXIT_OK;
    }
    struct dec d;
    memset(&d, 0, sizeof(d));
    bool raw = false;
    const char *path = NULL;
    bool opts = true;
    for (int i = 1; i < argc; i++) {
        if (opts && strcmp(argv[i], "--") == 0) {
            opts = false;
        } else if (opts && strcmp(argv[i], "--raw") == 0) {
            raw = true;
        } else if (opts && strcmp(argv[i], "--json") == 0) {
            d.json = true;
        } else if (opts && argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "ampshare decode: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CMD_EXIT_USAGE;
        } else if (path == NULL) {
            path = argv[i];
        } else {
            fprintf(stderr, "ampshare decode: one input only ('%s' and '%s')\n", path, argv[i]);
            return CMD_EXIT_USAGE;
        }
    }
    FILE *in = stdin;
    if (path != NULL && strcmp(path, "-") != 0) {
        in = fopen(path, raw ? "rb" : "r");
        if (in == NULL) {
            fprintf(stderr, "ampshare decode: %s: %s\n", path, strerror(errno));
            return CMD_EXIT_FAIL;
        }
    }
    twc_deframer_init(&d.df);
    int rc = raw ? decode_raw(&d, in) : decode_text(&d, in);
    finish(&d);
    if (in != stdin) {
        fclose(in);
    }
    fflush(stdout);
    if (rc < 0) {
        fprintf(stderr, "ampshare decode: %s: %s\n", path ? path : "stdin", strerror(-rc));
        return CMD_EXIT_FAIL;
    }
    fprintf(stderr, "ampshare decode: %lu frames (%lu with a bad checksum), %lu errors\n", d.frames,
            d.bad_frames, d.errors);
    return CMD_EXIT_OK;
}
