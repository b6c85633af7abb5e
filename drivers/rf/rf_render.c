/* SPDX-License-Identifier: MIT */
/* Text renderings of a burst: rpitx sendook line, Flipper Zero .sub RAW file, plain timings. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/rf/rf.h"

#define RF_FLIPPER_LINE_MAX                                              \
    512u /* values per RAW_Data line (the Flipper recorder's flush size) \
          */

struct out {
    char *buf;
    size_t cap, len;
    bool full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = room ? vsnprintf(o->buf + o->len, room, fmt, ap) : -1;
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        o->full = true;
        o->len = o->cap;
        return;
    }
    o->len += (size_t)n;
}

static int done(const struct out *o)
{
    return o->full ? -EMSGSIZE : (int)o->len;
}

/* The runs of the burst (the caller frees *runs), with the count in *n. Returns 0 or -ERANGE /
 * -ENOMEM. */
static int burst(unsigned repeats, uint32_t gap_us, struct rf_run **runs, size_t *n)
{
    *runs = NULL;
    if (rf_burst_check(repeats, gap_us) < 0) {
        return -ERANGE;
    }
    size_t cap = (size_t)repeats * RF_FRAME_SYMBOLS; /* a run holds at least one symbol */
    *runs = malloc(cap * sizeof(**runs));
    if (*runs == NULL) {
        return -ENOMEM;
    }
    int rc = rf_burst_runs(repeats, gap_us, *runs, cap);
    if (rc < 0) {
        free(*runs);
        *runs = NULL;
        return rc;
    }
    *n = (size_t)rc;
    return 0;
}

int rf_render_sendook(uint64_t freq_hz, unsigned repeats, uint32_t gap_us, char *buf, size_t cap)
{
    if (rf_burst_check(repeats, gap_us) < 0) {
        return -ERANGE;
    }
    if (cap == 0) {
        return -EMSGSIZE;
    }
    uint8_t sym[RF_FRAME_SYMBOLS];
    int ns = rf_frame_symbols(sym, sizeof(sym));
    char mhz[32];
    rf_format_mhz(freq_hz, mhz, sizeof(mhz));
    struct out o = {buf, cap, 0, false};
    /* sendook: -0/-1 symbol times, -r transmissions, -p silence between them (not after the last),
     * the bits as plain 0/1 (it indexes them by position, so no spaces). */
    put(&o, "sendook -f %s -0 %u -1 %u -r %u -p %u ", mhz, RF_SYMBOL_US, RF_SYMBOL_US, repeats,
        gap_us);
    for (int i = 0; i < ns; i++) {
        put(&o, "%c", sym[i] ? '1' : '0');
    }
    put(&o, "\n");
    return done(&o);
}

/* The last run of a transmission: a low longer than the 3-symbol trailer (trailer + gap). */
static bool ends_transmission(const struct rf_run *r)
{
    return !r->on && r->us > RF_SYMBOL_US * 3;
}

/* Writes the burst as one line per transmission: Flipper RAW_Data lines (signed, at most 512
 * values a line) or comma-separated plain durations. */
static int render_lines(unsigned repeats, uint32_t gap_us, bool flipper, struct out *o)
{
    struct rf_run *runs;
    size_t n;
    int rc = burst(repeats, gap_us, &runs, &n);
    if (rc < 0) {
        return rc;
    }
    size_t on_line = 0;
    for (size_t i = 0; i < n; i++) {
        bool eol = ends_transmission(&runs[i]) || i + 1 == n ||
                   (flipper && on_line + 1 == RF_FLIPPER_LINE_MAX);
        if (flipper) {
            put(o, "%s %s%u", on_line == 0 ? "RAW_Data:" : "", runs[i].on ? "" : "-", runs[i].us);
        } else {
            put(o, "%u%s", runs[i].us, eol ? "" : ", ");
        }
        on_line = eol ? 0 : on_line + 1;
        if (eol) {
            put(o, "\n");
        }
    }
    free(runs);
    return 0;
}

int rf_render_flipper(uint64_t freq_hz, unsigned repeats, uint32_t gap_us, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, false};
    put(&o,
        "Filetype: Flipper SubGhz RAW File\nVersion: 1\nFrequency: %llu\n"
        "Preset: FuriHalSubGhzPresetOok650Async\nProtocol: RAW\n",
        (unsigned long long)freq_hz);
    int rc = render_lines(repeats, gap_us, true, &o);
    return rc < 0 ? rc : done(&o);
}

int rf_render_timings(uint64_t freq_hz, unsigned repeats, uint32_t gap_us, char *buf, size_t cap)
{
    char mhz[32];
    rf_format_mhz(freq_hz, mhz, sizeof(mhz));
    struct out o = {buf, cap, 0, false};
    put(&o,
        "# Tesla charge-port opener, %sHz OOK, %u transmissions %u us apart\n"
        "# alternating carrier-on / carrier-off durations in microseconds, starting on;\n"
        "# one transmission per line (its last value is the trailer plus the silence)\n",
        mhz, repeats, gap_us);
    int rc = render_lines(repeats, gap_us, false, &o);
    return rc < 0 ? rc : done(&o);
}
