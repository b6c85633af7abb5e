/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the hex line parser of `ampshare decode` (drivers/twc/twc_hexline.h) on
 * arbitrary text, one call per line. Invariants: the result is 0, -EINVAL or -EMSGSIZE; n / 2 + 1
 * bytes of output always suffice; the type says whether the bytes hold a C0; a failure names a
 * column inside the line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/twc/twc_codec.h"
#include "drivers/twc/twc_hexline.h"
#include "tests/fuzz/fuzz_check.h"

static void check_line(const char *line, size_t n, bool first)
{
    size_t cap = n / 2 + 1;
    uint8_t *out = malloc(cap);
    CHECK(out != NULL);
    struct twc_hexline r;
    int rc = twc_hexline_parse(line, n, first, out, cap, &r);
    CHECK(rc == 0 || rc == -EINVAL);
    if (rc == 0) {
        CHECK(r.len <= n / 2);
        bool has_end = memchr(out, TWC_END, r.len) != NULL;
        CHECK(r.type == (r.len == 0 ? TWC_HEXLINE_SKIP
                         : has_end  ? TWC_HEXLINE_WIRE
                                    : TWC_HEXLINE_BODY));
    } else {
        CHECK(r.type == TWC_HEXLINE_SKIP && r.len == 0);
        CHECK(r.err_col >= 1 && r.err_col <= n);
    }
    /* A buffer one byte short of what was written must give -EMSGSIZE, never an overflow. */
    if (rc == 0 && r.len > 0) {
        struct twc_hexline r2;
        CHECK(twc_hexline_parse(line, n, first, out, r.len - 1, &r2) == -EMSGSIZE);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy, so a read past a line's end is a read past the allocation. */
    char *text = malloc(size ? size : 1);
    CHECK(text != NULL);
    memcpy(text, data, size);
    size_t start = 0;
    bool first = true;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || text[i] == '\n') {
            size_t n = i - start;
            char *line = malloc(n ? n : 1);
            CHECK(line != NULL);
            memcpy(line, text + start, n);
            check_line(line, n, first);
            free(line);
            first = false;
            start = i + 1;
        }
    }
    free(text);
    return 0;
}
