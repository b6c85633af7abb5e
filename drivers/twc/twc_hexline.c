/* SPDX-License-Identifier: MIT */
/* Hex text lines (sniffer prints, the vectors TSV, capture files) to bytes; see twc_hexline.h. */
#include "drivers/twc/twc_hexline.h"

#include <errno.h>
#include <string.h>

#include "drivers/twc/twc_codec.h"

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_sep(char c)
{
    return is_space(c) || c == ',' || c == ':' || c == ';' || c == '-' || c == '|';
}

static bool is_header_letter(char c)
{
    return ((c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') || c == '_');
}

/* Narrows [*b, *e) to its non-blank part. */
static void trim(const char *s, size_t *b, size_t *e)
{
    while (*b < *e && is_space(s[*b])) {
        (*b)++;
    }
    while (*e > *b && is_space(s[*e - 1])) {
        (*e)--;
    }
}

/* A first column of 1..19 decimal digits is a capture timestamp in ms (`ampshare sniff --capture`).
 */
static bool parse_t_ms(const char *s, size_t b, size_t e, uint64_t *t_ms)
{
    trim(s, &b, &e);
    if (e == b || e - b > 19) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = b; i < e; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *t_ms = v;
    return true;
}

/* TWCManager prints "Rx@<time>: (<ignored>) <body>" and "Tx@<time>: <bytes>" (TWCManager.py,
 * debug level 9; newer versions leave the time to the logger: "Rx@: () FD E2 ..."). Returns the
 * offset after the ": " that follows the marker, or 0 when the line has no such marker. */
static size_t after_twcmanager_prefix(const char *s, size_t b, size_t e)
{
    for (size_t i = b; i + 2 < e; i++) {
        if ((s[i] == 'R' || s[i] == 'T') && s[i + 1] == 'x' && s[i + 2] == '@') {
            for (size_t j = i + 3; j < e; j++) {
                if (s[j] == ':' && (j + 1 == e || is_space(s[j + 1]))) {
                    return j + 1;
                }
            }
            return e;
        }
    }
    return 0;
}

static int fail_at(struct twc_hexline *res, size_t col0)
{
    res->type = TWC_HEXLINE_SKIP;
    res->len = 0;
    res->err_col = col0 + 1;
    return -EINVAL;
}

int twc_hexline_parse(
    const char *line, size_t n, bool first_line, uint8_t *out, size_t cap, struct twc_hexline *res)
{
    if (res == NULL || (line == NULL && n > 0) || (out == NULL && cap > 0)) {
        return -EINVAL;
    }
    memset(res, 0, sizeof(*res));
    const char *hash = n ? memchr(line, '#', n) : NULL;
    size_t b = 0;
    size_t e = hash ? (size_t)(hash - line) : n;

    const char *tab = e ? memchr(line, '\t', e) : NULL;
    if (tab != NULL) {
        size_t t = (size_t)(tab - line);
        const char *tab2 = memchr(tab + 1, '\t', e - t - 1);
        size_t e2 = tab2 ? (size_t)(tab2 - line) : e;
        if (parse_t_ms(line, 0, t, &res->t_ms)) {
            res->has_t_ms = true;
            b = t + 1;
            e = e2;
        } else {
            e = t; /* the vectors TSV: hex_on_wire is the first column */
        }
    }
    trim(line, &b, &e);
    if (b == e) {
        return 0;
    }
    size_t p = after_twcmanager_prefix(line, b, e);
    if (p != 0) {
        b = p;
    } else if (first_line && is_header_letter(line[b])) {
        return 0; /* a header row such as "hex_on_wire\tdirection..." */
    }

    size_t len = 0;
    bool has_end = false;
    size_t i = b;
    while (i < e) {
        char c = line[i];
        if (is_sep(c)) {
            i++;
            continue;
        }
        if (c == '(') {
            /* TWCManager's "(FC)": bytes it ignored between frames, not part of the body. */
            const char *close = memchr(line + i, ')', e - i);
            if (close == NULL) {
                return fail_at(res, i);
            }
            i = (size_t)(close - line) + 1;
            continue;
        }
        if (c == '0' && i + 1 < e && (line[i + 1] == 'x' || line[i + 1] == 'X')) {
            i += 2;
            if (i >= e || hex_val(line[i]) < 0) {
                return fail_at(res, i < e ? i : i - 1);
            }
        }
        size_t run = i;
        while (i < e && hex_val(line[i]) >= 0) {
            i++;
        }
        if (i == run || (i < e && !is_sep(line[i]) && line[i] != '(')) {
            return fail_at(res, i); /* a character that is neither hex nor a separator */
        }
        if ((i - run) % 2 != 0) {
            return fail_at(res, run); /* an odd number of digits: half a byte */
        }
        for (size_t k = run; k < i; k += 2) {
            if (len >= cap) {
                res->len = 0;
                return -EMSGSIZE;
            }
            uint8_t v = (uint8_t)(hex_val(line[k]) << 4 | hex_val(line[k + 1]));
            has_end = has_end || v == TWC_END;
            out[len++] = v;
        }
    }
    res->len = len;
    if (len > 0) {
        res->type = has_end ? TWC_HEXLINE_WIRE : TWC_HEXLINE_BODY;
    }
    return 0;
}
