/* SPDX-License-Identifier: MIT */
/* Escaping of outside text for terminals, logs and JSON (amp_text.h). */
#include "drivers/base/amp_text.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

size_t amp_utf8_seq(const uint8_t *s, size_t n)
{
    if (n == 0) {
        return 0;
    }
    uint8_t c = s[0];
    if (c < 0x80) {
        return 1;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF; /* the allowed range of the second byte (RFC 3629 §4) */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlongs */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing past U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return len;
}

int amp_utf8_check(const uint8_t *s, size_t n, size_t *bad_off)
{
    for (size_t i = 0; i < n;) {
        size_t k = amp_utf8_seq(s + i, n - i);
        if (k == 0) {
            if (bad_off) {
                *bad_off = i;
            }
            return -EILSEQ;
        }
        i += k;
    }
    return 0;
}

/* A C1 control (U+0080..U+009F) is C2 80..C2 9F in UTF-8; terminals act on some of them. */
static int is_c1(const uint8_t *s, size_t k)
{
    return k == 2 && s[0] == 0xC2 && s[1] < 0xA0;
}

/* What stands for a byte that is not UTF-8, in JSON's escape and as UTF-8 itself. */
#define REPLACEMENT_JSON "\\ufffd"
#define REPLACEMENT_UTF8 "\xEF\xBF\xBD"

/* The JSON form of one character (k bytes at p; k == 0: an invalid byte) in out; its length. */
static size_t json_piece(const uint8_t *p, size_t k, char out[16])
{
    if (k == 0) {
        memcpy(out, REPLACEMENT_JSON, 6); /* not UTF-8: the replacement character, never the byte */
        return 6;
    }
    uint8_t c = p[0];
    if (c == '"' || c == '\\') {
        out[0] = '\\';
        out[1] = (char)c;
        return 2;
    }
    if (c < 0x20 || c == 0x7F) {
        return (size_t)snprintf(out, 16, "\\u%04x", c);
    }
    if (is_c1(p, k)) {
        return (size_t)snprintf(out, 16, "\\u%04x", p[1]);
    }
    memcpy(out, p, k);
    return k;
}

void amp_json_string_n(FILE *out, const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        size_t k = amp_utf8_seq(p + i, n - i);
        char piece[16];
        fwrite(piece, 1, json_piece(p + i, k, piece), out);
        i += k ? k : 1;
    }
    fputc('"', out);
}

/* The UTF-8 form of one character (k bytes at p; k == 0: an invalid byte) in out; its length. */
static size_t utf8_piece(const uint8_t *p, size_t k, char out[16])
{
    if (k == 0) {
        memcpy(out, REPLACEMENT_UTF8, 3);
        return 3;
    }
    memcpy(out, p, k);
    return k;
}

/* s[0..n) character by character through piece() into buf, cut at a whole piece. */
static char *put_pieces(const char *s,
                        size_t n,
                        size_t (*piece)(const uint8_t *p, size_t k, char out[16]),
                        char *buf,
                        size_t cap)
{
    if (cap == 0) {
        return buf;
    }
    const uint8_t *p = (const uint8_t *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = amp_utf8_seq(p + i, n - i);
        char one[16];
        size_t len = piece(p + i, k, one);
        if (o + len + 1 > cap) {
            break;
        }
        memcpy(buf + o, one, len);
        o += len;
        i += k ? k : 1;
    }
    buf[o] = '\0';
    return buf;
}

char *amp_json_escape_n(const char *s, size_t n, char *buf, size_t cap)
{
    return put_pieces(s, n, json_piece, buf, cap);
}

char *amp_text_utf8_n(const char *s, size_t n, char *buf, size_t cap)
{
    return put_pieces(s, n, utf8_piece, buf, cap);
}

void amp_json_string(FILE *out, const char *s)
{
    amp_json_string_n(out, s ? s : "", s ? strlen(s) : 0);
}

/* Appends the safe form of one character (k bytes at p, k == 0 for an invalid byte) at buf+o;
 * quoted also escapes '"' and '\\'. Returns the new length, or o when it does not fit. */
static size_t put_safe(const uint8_t *p, size_t k, bool quoted, char *buf, size_t cap, size_t o)
{
    char esc[12];
    const char *piece;
    size_t len;
    if (k == 0 || (k == 1 && (p[0] < 0x20 || p[0] == 0x7F))) {
        snprintf(esc, sizeof(esc), "\\x%02x", p[0]);
        piece = esc, len = 4;
    } else if (is_c1(p, k)) {
        snprintf(esc, sizeof(esc), "\\x%02x\\x%02x", p[0], p[1]);
        piece = esc, len = 8;
    } else if (quoted && k == 1 && (p[0] == '"' || p[0] == '\\')) {
        esc[0] = '\\';
        esc[1] = (char)p[0];
        piece = esc, len = 2;
    } else {
        piece = (const char *)p, len = k;
    }
    if (o + len + 1 > cap) {
        return o;
    }
    memcpy(buf + o, piece, len);
    return o + len;
}

static char *safe_n(const char *s, size_t n, bool quoted, char *buf, size_t cap)
{
    if (cap == 0) {
        return buf;
    }
    const uint8_t *p = (const uint8_t *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = amp_utf8_seq(p + i, n - i);
        size_t next = put_safe(p + i, k, quoted, buf, cap, o);
        if (next == o) {
            break; /* full: cut at a character boundary */
        }
        o = next;
        i += k ? k : 1;
    }
    buf[o] = '\0';
    return buf;
}

char *amp_text_quote_n(const char *s, size_t n, char *buf, size_t cap)
{
    return safe_n(s, n, true, buf, cap);
}

char *amp_text_safe_n(const char *s, size_t n, char *buf, size_t cap)
{
    return safe_n(s, n, false, buf, cap);
}

char *amp_text_safe(const char *s, char *buf, size_t cap)
{
    return amp_text_safe_n(s ? s : "", s ? strlen(s) : 0, buf, cap);
}

void amp_text_put(FILE *out, const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = amp_utf8_seq(p + i, n - i);
        char piece[16];
        size_t len = put_safe(p + i, k, false, piece, sizeof(piece), 0);
        fwrite(piece, 1, len, out);
        i += k ? k : 1;
    }
}
