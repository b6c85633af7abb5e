/* SPDX-License-Identifier: MIT */
/* Text captures: 0/1 symbols, pulse timings, Flipper .sub RAW files, rpitx sendook lines. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/rf/rf.h"

/* Longest single duration read from text: a minute of carrier or silence is no OOK frame. */
#define RF_TEXT_US_MAX 60000000u

struct line {
    const char *p;
    size_t n;
    uint32_t no;
};

/* Steps to the next line of text[0..len) from *off; a trailing CR is dropped. Returns false at the
 * end. */
static bool next_line(const char *text, size_t len, size_t *off, struct line *l)
{
    if (*off >= len) {
        return false;
    }
    const char *s = text + *off;
    const char *nl = memchr(s, '\n', len - *off);
    size_t n = nl ? (size_t)(nl - s) : len - *off;
    *off += n + (nl ? 1 : 0);
    l->p = s;
    l->n = (n > 0 && s[n - 1] == '\r') ? n - 1 : n;
    l->no++;
    return true;
}

static size_t skip_space(const struct line *l, size_t i)
{
    while (i < l->n && (l->p[i] == ' ' || l->p[i] == '\t')) {
        i++;
    }
    return i;
}

/* A line that holds nothing, or only a # or ; comment (rtl_433 .ook headers start with ;). */
static bool is_blank_or_comment(const struct line *l)
{
    size_t i = skip_space(l, 0);
    return i >= l->n || l->p[i] == '#' || l->p[i] == ';';
}

static int fail(struct rf_err *err, uint32_t line, size_t col0, const char *what)
{
    err->loc = (struct rf_loc){.line = line, .col = col0 + 1};
    err->what = what;
    return -EINVAL;
}

static bool starts_with(const struct line *l, size_t i, const char *word)
{
    size_t n = strlen(word);
    return l->n - i >= n && memcmp(l->p + i, word, n) == 0;
}

/* The word at i ends with "sendook" (a path to the program) or is "sudo". */
static bool names_sendook(const struct line *l, size_t i)
{
    size_t e = i;
    while (e < l->n && !isspace((unsigned char)l->p[e])) {
        e++;
    }
    size_t n = e - i;
    if (n == 4 && memcmp(l->p + i, "sudo", 4) == 0) {
        return true;
    }
    return n >= 7 && memcmp(l->p + e - 7, "sendook", 7) == 0 && (n == 7 || l->p[e - 8] == '/');
}

static enum rf_input detect(const char *text, size_t len)
{
    size_t off = 0;
    struct line l = {0};
    bool first = true, only_bits = true;
    while (next_line(text, len, &off, &l)) {
        size_t i = skip_space(&l, 0);
        if (starts_with(&l, i, "Filetype:") || starts_with(&l, i, "RAW_Data:")) {
            return RF_INPUT_FLIPPER;
        }
        if (is_blank_or_comment(&l)) {
            continue;
        }
        if (first && names_sendook(&l, i)) {
            return RF_INPUT_SENDOOK;
        }
        first = false;
        for (size_t k = i; k < l.n && l.p[k] != '#'; k++) {
            /* Durations need a digit other than 0 and 1, a sign, a point or a comma; text
             * without any of them is symbols (so a stray letter is reported as a bad symbol). */
            char ch = l.p[k];
            if ((ch >= '2' && ch <= '9') || ch == ',' || ch == '-' || ch == '+' || ch == '.') {
                only_bits = false;
            }
        }
    }
    return only_bits ? RF_INPUT_SYMBOLS : RF_INPUT_TIMINGS;
}

static int parse_symbols(struct rf_capture *c, const char *text, size_t len, struct rf_err *err)
{
    size_t off = 0;
    struct line l = {0};
    while (next_line(text, len, &off, &l)) {
        if (is_blank_or_comment(&l)) {
            continue;
        }
        for (size_t i = 0; i < l.n && l.p[i] != '#'; i++) {
            char ch = l.p[i];
            if (ch == ' ' || ch == '\t') {
                continue;
            }
            if (ch != '0' && ch != '1') {
                return fail(err, l.no, i, "not an OOK symbol (0 or 1)");
            }
            struct rf_loc loc = {.line = l.no, .col = i + 1};
            int rc = rf_capture_add_sym(c, (uint8_t)(ch - '0'), 0, loc);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

/*
 * Reads a duration at l->p[*i]: optional sign, digits, optional fraction (rounded). Sets *neg when
 * signed negative. Returns 0, or -EINVAL with the reason in *what.
 */
static int read_duration(
    const struct line *l, size_t *i, uint32_t *us, bool *neg, bool *sign, const char **what)
{
    size_t k = *i;
    *neg = *sign = false;
    if (k < l->n && (l->p[k] == '-' || l->p[k] == '+')) {
        *neg = l->p[k] == '-';
        *sign = true;
        k++;
    }
    if (k >= l->n || !isdigit((unsigned char)l->p[k])) {
        *what = "expected a duration in microseconds";
        return -EINVAL;
    }
    uint64_t v = 0;
    while (k < l->n && isdigit((unsigned char)l->p[k])) {
        v = v * 10 + (uint64_t)(l->p[k] - '0');
        if (v > RF_TEXT_US_MAX) {
            *what = "duration longer than 60 s";
            return -EINVAL;
        }
        k++;
    }
    if (k < l->n && l->p[k] == '.') {
        k++;
        if (k < l->n && isdigit((unsigned char)l->p[k]) && l->p[k] >= '5') {
            v++; /* round half up */
        }
        while (k < l->n && isdigit((unsigned char)l->p[k])) {
            k++;
        }
    }
    if (k < l->n && !isspace((unsigned char)l->p[k]) && l->p[k] != ',' && l->p[k] != '#') {
        *what = "expected a duration in microseconds";
        return -EINVAL;
    }
    if (v == 0) {
        *what = "a duration of 0 us";
        return -EINVAL;
    }
    *us = (uint32_t)v;
    *i = k;
    return 0;
}

/* Durations of one line from column i: unsigned values alternate levels, signed ones set it.
 * With all_signed (Flipper RAW_Data) an unsigned value is a positive one: carrier on. */
static int parse_duration_list(struct rf_capture *c,
                               const struct line *l,
                               size_t i,
                               bool all_signed,
                               uint8_t *next_on,
                               struct rf_err *err)
{
    for (;;) {
        while (i < l->n && (isspace((unsigned char)l->p[i]) || l->p[i] == ',')) {
            i++;
        }
        if (i >= l->n || l->p[i] == '#') {
            return 0;
        }
        size_t start = i;
        uint32_t us;
        bool neg, sign;
        const char *what;
        if (read_duration(l, &i, &us, &neg, &sign, &what) < 0) {
            return fail(err, l->no, start, what);
        }
        uint8_t on = (sign || all_signed) ? !neg : *next_on;
        int rc = rf_capture_add_run(c, on, us, (struct rf_loc){.line = l->no, .col = start + 1});
        if (rc < 0) {
            return rc;
        }
        *next_on = !on;
    }
}

static int parse_timings(struct rf_capture *c, const char *text, size_t len, struct rf_err *err)
{
    size_t off = 0;
    struct line l = {0};
    uint8_t next_on = 1;
    while (next_line(text, len, &off, &l)) {
        if (is_blank_or_comment(&l)) {
            continue;
        }
        int rc = parse_duration_list(c, &l, 0, false, &next_on, err);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* The value of a "Key: value" line, from its first non-space character to the end. */
static bool value_is(const struct line *l, size_t v, const char *want)
{
    size_t n = l->n;
    while (n > v && isspace((unsigned char)l->p[n - 1])) {
        n--;
    }
    return n - v == strlen(want) && memcmp(l->p + v, want, n - v) == 0;
}

static int parse_flipper(struct rf_capture *c, const char *text, size_t len, struct rf_err *err)
{
    size_t off = 0;
    struct line l = {0};
    uint8_t next_on = 1;
    bool any_raw = false;
    while (next_line(text, len, &off, &l)) {
        size_t i = skip_space(&l, 0);
        if (i >= l.n || l.p[i] == '#') {
            continue;
        }
        const char *colon = memchr(l.p + i, ':', l.n - i);
        if (colon == NULL) {
            return fail(err, l.no, i, "expected 'Key: value' (a Flipper .sub line)");
        }
        size_t k = (size_t)(colon - l.p);
        size_t v = skip_space(&l, k + 1);
        if (starts_with(&l, i, "RAW_Data:")) {
            any_raw = true;
            int rc = parse_duration_list(c, &l, v, true, &next_on, err);
            if (rc < 0) {
                return rc;
            }
        } else if (starts_with(&l, i, "Filetype:")) {
            if (!value_is(&l, v, "Flipper SubGhz RAW File")) {
                return fail(err, l.no, v,
                            "not a Flipper SubGhz RAW File (a key file holds no timings)");
            }
        } else if (starts_with(&l, i, "Protocol:")) {
            if (!value_is(&l, v, "RAW")) {
                return fail(err, l.no, v, "Protocol is not RAW: only RAW_Data timings are read");
            }
        } else if (starts_with(&l, i, "Frequency:")) {
            char *end = NULL;
            char num[24] = {0};
            memcpy(num, l.p + v, l.n - v < sizeof(num) - 1 ? l.n - v : sizeof(num) - 1);
            unsigned long long hz = strtoull(num, &end, 10);
            if (end == num || hz == 0) {
                return fail(err, l.no, v, "Frequency is not a whole number of Hz");
            }
            c->freq_hz = hz;
        }
    }
    if (!any_raw) {
        return fail(err, l.no ? l.no : 1, 0, "no RAW_Data lines in the Flipper file");
    }
    return 0;
}

struct word {
    const char *p;
    size_t n;
    struct rf_loc loc;
};

/* Splits the first non-comment line (and its backslash continuations) into words. */
static size_t split_words(const char *text, size_t len, struct word *w, size_t cap)
{
    size_t off = 0, n = 0;
    struct line l = {0};
    bool started = false;
    while (next_line(text, len, &off, &l)) {
        if (!started && is_blank_or_comment(&l)) {
            continue;
        }
        started = true;
        bool cont = false;
        for (size_t i = 0; i < l.n;) {
            if (isspace((unsigned char)l.p[i])) {
                i++;
                continue;
            }
            size_t s = i;
            while (i < l.n && !isspace((unsigned char)l.p[i])) {
                i++;
            }
            if (i - s == 1 && l.p[s] == '\\') {
                cont = true;
                continue;
            }
            if (n < cap) {
                w[n] = (struct word){l.p + s, i - s, {.line = l.no, .col = s + 1}};
            }
            n++;
        }
        if (!cont) {
            break;
        }
    }
    return n;
}

static bool word_is(const struct word *w, const char *s)
{
    return w->n == strlen(s) && memcmp(w->p, s, w->n) == 0;
}

/* A whole number of microseconds, 1 .. RF_TEXT_US_MAX, as sendook's atoi would read it. */
static int word_us(const struct word *w, size_t skip, uint32_t lo, uint32_t *out)
{
    uint64_t v = 0;
    if (w->n <= skip) {
        return -EINVAL;
    }
    for (size_t i = skip; i < w->n; i++) {
        if (!isdigit((unsigned char)w->p[i]) ||
            (v = v * 10 + (uint64_t)(w->p[i] - '0')) > RF_TEXT_US_MAX) {
            return -EINVAL;
        }
    }
    if (v < lo) {
        return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

/* sendook -f: Hz with an optional k/M/G suffix. */
static int word_hz(const struct word *w, size_t skip, uint64_t *out)
{
    char num[32] = {0};
    if (w->n <= skip || w->n - skip >= sizeof(num)) {
        return -EINVAL;
    }
    memcpy(num, w->p + skip, w->n - skip);
    char *end = NULL;
    double v = strtod(num, &end);
    double mul = *end == 'k' ? 1e3 : *end == 'M' ? 1e6 : *end == 'G' ? 1e9 : 1.0;
    if (end == num || (mul != 1.0 && end[1] != '\0') || (mul == 1.0 && *end != '\0') ||
        !(v > 0.0 && v * mul < 1e10)) {
        return -EINVAL;
    }
    *out = (uint64_t)(v * mul + 0.5);
    return 0;
}

struct sendook_args {
    uint32_t us0, us1, repeats, pause_us;
    const struct word *bits;
};

/* Reads sendook's options as its optparse does: "-0 400" or "-0400". */
static int sendook_options(struct rf_capture *c,
                           const struct word *w,
                           size_t n,
                           struct sendook_args *a,
                           struct rf_err *err)
{
    size_t i = 0;
    if (i < n && word_is(&w[i], "sudo")) {
        i++;
    }
    if (i >= n || w[i].n < 7 || memcmp(w[i].p + w[i].n - 7, "sendook", 7) != 0) {
        return fail(err, i < n ? w[i].loc.line : 1, i < n ? w[i].loc.col - 1 : 0,
                    "expected the sendook program name");
    }
    for (i++; i < n; i++) {
        const struct word *o = &w[i];
        if (o->n < 2 || o->p[0] != '-') {
            if (a->bits != NULL) {
                return fail(err, o->loc.line, o->loc.col - 1, "a second bit string");
            }
            a->bits = o;
            continue;
        }
        char opt = o->p[1];
        if (opt == 'd' || opt == 'v' || opt == 'h') {
            continue; /* dry run, verbosity, help: no effect on the signal */
        }
        if (opt == 'i') {
            return fail(err, o->loc.line, o->loc.col - 1, "sendook -i (file mode) is not read");
        }
        if (strchr("f01rpmg", opt) == NULL) {
            return fail(err, o->loc.line, o->loc.col - 1, "not a sendook option");
        }
        const struct word *val = o;
        size_t skip = 2;
        if (o->n == 2) {
            if (i + 1 >= n) {
                return fail(err, o->loc.line, o->loc.col - 1, "option without its value");
            }
            val = &w[++i];
            skip = 0;
        }
        uint32_t v = 0;
        int rc = opt == 'f' ? word_hz(val, skip, &c->freq_hz)
                 : opt == 'r' || opt == 'p' || opt == 'm' || opt == 'g'
                     ? word_us(val, skip, 0, &v)
                     : word_us(val, skip, 10, &v);
        if (rc < 0) {
            return fail(err, val->loc.line, val->loc.col - 1 + skip,
                        opt == 'f' ? "not a frequency (Hz, or with k/M/G)"
                                   : "not a whole number (durations: 10 us or more)");
        }
        if (opt == 'm' && v != 0) {
            return fail(err, val->loc.line, val->loc.col - 1 + skip,
                        "only OOK (-m 0) is read, not PWM or PPM");
        }
        if (opt == '0') {
            a->us0 = v;
        } else if (opt == '1') {
            a->us1 = v;
        } else if (opt == 'r') {
            a->repeats = v;
        } else if (opt == 'p') {
            a->pause_us = v;
        }
    }
    if (a->bits == NULL) {
        return fail(err, w[n - 1].loc.line, w[n - 1].loc.col - 1 + w[n - 1].n,
                    "sendook line without its bit string");
    }
    return 0;
}

static int parse_sendook(struct rf_capture *c, const char *text, size_t len, struct rf_err *err)
{
    struct word w[64];
    size_t n = split_words(text, len, w, sizeof(w) / sizeof(w[0]));
    if (n == 0) {
        return fail(err, 1, 0, "empty input");
    }
    if (n > sizeof(w) / sizeof(w[0])) {
        return fail(err, w[63].loc.line, w[63].loc.col - 1, "too many words for a sendook line");
    }
    /* sendook's defaults (src/ook/sendook.cpp). */
    struct sendook_args a = {.us0 = 500, .us1 = 500, .repeats = 3, .pause_us = 1000};
    int rc = sendook_options(c, w, n, &a, err);
    if (rc < 0) {
        return rc;
    }
    const struct word *b = a.bits;
    for (size_t k = 0; k < b->n; k++) {
        if (b->p[k] != '0' && b->p[k] != '1') {
            return fail(err, b->loc.line, b->loc.col - 1 + k, "not an OOK symbol (0 or 1)");
        }
    }
    if ((uint64_t)a.repeats * b->n > RF_ITEMS_MAX) {
        return fail(err, b->loc.line, b->loc.col - 1, "sendook -r times the bits is too long");
    }
    for (uint32_t r = 0; r < a.repeats; r++) {
        for (size_t k = 0; k < b->n; k++) {
            struct rf_loc loc = {.line = b->loc.line, .col = b->loc.col + k};
            uint8_t on = b->p[k] == '1';
            if ((rc = rf_capture_add_run(c, on, on ? a.us1 : a.us0, loc)) < 0) {
                return rc;
            }
        }
        if (r + 1 < a.repeats && a.pause_us > 0 &&
            (rc = rf_capture_add_run(c, 0, a.pause_us, b->loc)) < 0) {
            return rc;
        }
    }
    return 0;
}

int rf_parse_text(
    struct rf_capture *c, const char *text, size_t len, enum rf_input in, struct rf_err *err)
{
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        err->loc = (struct rf_loc){.line = 0, .col = (uint64_t)(nul - text)};
        err->what = "binary data in a text capture (for IQ or RF records, say --input)";
        return -EINVAL;
    }
    if (in == RF_INPUT_AUTO) {
        in = detect(text, len);
    }
    c->input = in;
    switch (in) {
    case RF_INPUT_SYMBOLS:
        return parse_symbols(c, text, len, err);
    case RF_INPUT_TIMINGS:
        return parse_timings(c, text, len, err);
    case RF_INPUT_FLIPPER:
        return parse_flipper(c, text, len, err);
    case RF_INPUT_SENDOOK:
        return parse_sendook(c, text, len, err);
    default:
        return fail(err, 1, 0, "not a text input");
    }
}
