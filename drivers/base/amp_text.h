/* SPDX-License-Identifier: MIT */
/*
 * Text that came from outside (a config file, a capture, a device's serial number) on its way
 * to a terminal, a log or JSON. One copy of each rule:
 *   - amp_utf8_check: is it UTF-8 (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF)?
 *   - amp_json_string: an RFC 8259 string, always valid UTF-8: quotes, backslashes and controls
 *     escaped, each byte that is not part of valid UTF-8 replaced by U+FFFD; amp_text_utf8 is
 *     the same rule for a JSON library that escapes by itself (jansson wants valid UTF-8);
 *   - amp_text_safe: printable for a terminal or a log line: controls (C0, DEL, C1) and invalid
 *     bytes become \xNN, so no escape sequence of the file reaches the terminal raw.
 */
#ifndef AMP_TEXT_H
#define AMP_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Length (1-4) of the valid UTF-8 sequence at s[0..n), or 0 when s[0] starts none. */
size_t amp_utf8_seq(const uint8_t *s, size_t n);

/* 0 when s[0..n) is valid UTF-8; else -EILSEQ with *bad_off (may be NULL) the first bad byte. */
int amp_utf8_check(const uint8_t *s, size_t n, size_t *bad_off);

/*
 * Escapes s[0..n) as the inside of a JSON string (no quotes) into buf (cap bytes, always
 * terminated, cut at a character boundary). Returns buf.
 */
char *amp_json_escape_n(const char *s, size_t n, char *buf, size_t cap);

/*
 * Copies s[0..n) into buf (cap bytes, always terminated, cut at a character boundary) as valid
 * UTF-8: each byte that is not part of valid UTF-8 becomes U+FFFD, everything else is kept (the
 * JSON writer escapes quotes and controls). Returns buf.
 */
char *amp_text_utf8_n(const char *s, size_t n, char *buf, size_t cap);

/* Writes s[0..n) to out as a JSON string, quotes included. */
void amp_json_string_n(FILE *out, const char *s, size_t n);
/* The same for a NUL-terminated s (NULL writes ""). */
void amp_json_string(FILE *out, const char *s);

/*
 * Copies s[0..n) into buf (cap bytes, always terminated, cut at a character boundary) with
 * controls and invalid bytes as \xNN. Returns buf.
 */
char *amp_text_safe_n(const char *s, size_t n, char *buf, size_t cap);
/* As amp_text_safe_n, also escaping '"' and '\\' (for text shown between quotes). */
char *amp_text_quote_n(const char *s, size_t n, char *buf, size_t cap);

/* The same for a NUL-terminated s. */
char *amp_text_safe(const char *s, char *buf, size_t cap);

/* Writes s to out as amp_text_safe would, with no length limit. */
void amp_text_put(FILE *out, const char *s);

#endif
