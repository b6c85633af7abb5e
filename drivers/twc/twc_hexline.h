/* SPDX-License-Identifier: MIT */
/*
 * One line of hex text, as sniffers, logs and our own files print frames, turned into bytes for
 * the deframer. Pure: no I/O, no allocation. Accepted forms (docs/decode.md):
 *   - hex with any spacing, packed or spaced, "0x" prefixes, separators , : ; - |
 *   - the vectors TSV: the first tab column (a first line starting with a letter g-z is a header)
 *   - the capture format of `ampshare sniff --capture`: "<t_ms>\t<hex on wire>"
 *   - TWCManager's "Rx@...: (FC) FD E2 ..." / "Tx@...: ..." lines; "(..)" groups are the bytes it
 *     ignored between frames and are left out
 *   - "#" starts a comment
 */
#ifndef TWC_HEXLINE_H
#define TWC_HEXLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum twc_hexline_type {
    TWC_HEXLINE_SKIP = 0, /* empty, comment or header line: no bytes */
    TWC_HEXLINE_WIRE = 1, /* holds a C0: wire bytes, to be fed to the deframer as they are */
    TWC_HEXLINE_BODY = 2, /* no C0 at all: one unescaped body as logs print it (TWCManager's Rx@
                             prints bodies after unescaping), to be wrapped with twc_frame_wrap */
};

struct twc_hexline {
    enum twc_hexline_type type;
    bool has_t_ms; /* the line began with a decimal timestamp column (capture format) */
    uint64_t t_ms;
    size_t len;     /* bytes written to out */
    size_t err_col; /* on -EINVAL: 1-based column of the first character that is not hex */
};

/*
 * Parses line[0..n) (no need for a NUL; a trailing CR/LF is ignored). first_line is true for the
 * first line of a file, where a header row is skipped. Writes the bytes to out[0..cap) (n / 2
 * bytes always suffice). Returns 0 with *res filled; -EINVAL when a character is neither hex nor
 * a separator (res->err_col names it; res->type is SKIP); -EMSGSIZE when cap is too small.
 */
int twc_hexline_parse(
    const char *line, size_t n, bool first_line, uint8_t *out, size_t cap, struct twc_hexline *res);

#endif
