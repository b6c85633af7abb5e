/* SPDX-License-Identifier: MIT */
/* Text renderings of a burst: rpitx sendook line, Flipper Zero .sub RAW file, plain timings. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/rf/rf.h"

#define RF_FLIPPER_LINE_MAX 512u /* values per RAW_Data line (the Flipper recorder's flush size) \
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

int rf_render_flipper(uint64_t freq_hz, unsigned repeats, uint32_t gap_us, char *buf, size_t cap)
{
    struct rf_run *runs;
    size_t n;
    int rc = burst(repeats, gap_us, &runs, &n);
    if (rc < 0) {
        return rc;
    }
    struct out o = {buf, cap, 0, false};
    put(&o,
        "Filetype: Flipper SubGhz RAW File\nVersion: 1\nFrequency: %llu\n"
        "Preset: FuriHalSubGhzPresetOok650Async\nProtocol: RAW\n",
        (unsigned long long)freq_hz);
    /* One transmission per line, as the published files do; a line never exceeds 512 values. */
    size_t on_line = 0;
    for (size_t i = 0; i < n; i++) {
        if (on_line == 0) {
            put(&o, "RAW_Data:");
        }
        put(&o, " %s%u", runs[i].on ? "" : "-", runs[i].us);
        on_line++;
        bool tx_end = !runs[i].on && runs[i].us > RF_SYMBOL_US * 3;
        if (tx_end || on_line == RF_FLIPPER_LINE_MAX || i + 1 == n) {
            put(&o, "\n");
            on_line = 0;
        }
    }
    free(runs);
    return done(&o);
}

int rf_render_timings(uint64_t freq_hz, unsigned repeats, uint32_t gap_us, char *buf, size_t cap)
{
    struct rf_run *runs;
    size_t n;
    int rc = burst(repeats, gap_us, &runs, &n);
    if (rc < 0) {
        return rc;
    }
    char mhz[32];
    rf_format_mhz(freq_hz, mhz, sizeof(mhz));
    struct out o = {buf, cap, 0, false};
    put(&o,
        "# Tesla charge-port opener, %sHz OOK, %u transmissions %u us apart\n"
        "# alternating carrier-on / carrier-off durations in microseconds, starting on;\n"
        "# one transmission per line (its last value is the trailer plus the silence)\n",
        mhz, repeats, gap_us);
    for (size_t i = 0; i < n; i++) {
        bool tx_end = !runs[i].on && runs[i].us > RF_SYMBOL_US * 3;
        put(&o, "%u%s", runs[i].us, (tx_end || i + 1 == n) ? "\n" : ", ");
    }
    free(runs);
    return done(&o);
}
