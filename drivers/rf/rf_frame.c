/* SPDX-License-Identifier: MIT */
/* The charge-port frame and burst (docs/chargeport.md "Anatomy"), and the capture container. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/rf/rf.h"

/* 00010010 10010101 01010011 01100111 00011011 01000011 00 (research/chargeport.md §1). */
const uint8_t rf_chargeport_bits[RF_MSG_BITS] = {
    0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0,
    1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0,
};

static const char *const input_names[] = {
    [RF_INPUT_AUTO] = "auto",         [RF_INPUT_SYMBOLS] = "symbols",
    [RF_INPUT_TIMINGS] = "timings",   [RF_INPUT_FLIPPER] = "flipper",
    [RF_INPUT_SENDOOK] = "sendook",   [RF_INPUT_CS8] = "cs8",
    [RF_INPUT_RPITX_RF] = "rpitx-rf",
};

uint32_t rf_region_hz(enum rf_region r)
{
    return r == RF_REGION_US ? 315000000u : 433920000u;
}

const char *rf_input_name(enum rf_input in)
{
    if ((size_t)in < sizeof(input_names) / sizeof(input_names[0])) {
        return input_names[in];
    }
    return "unknown";
}

int rf_input_parse(const char *name, enum rf_input *out)
{
    for (size_t i = 0; i < sizeof(input_names) / sizeof(input_names[0]); i++) {
        if (strcmp(name, input_names[i]) == 0) {
            *out = (enum rf_input)i;
            return 0;
        }
    }
    return -EINVAL;
}

void rf_capture_init(struct rf_capture *c)
{
    memset(c, 0, sizeof(*c));
}

void rf_capture_fini(struct rf_capture *c)
{
    if (c == NULL) {
        return;
    }
    free(c->runs);
    free(c->syms);
    memset(c, 0, sizeof(*c));
}

/* Grows an array of elem-sized items to hold one more; *cap doubles. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) {
        return 0;
    }
    if (n >= RF_ITEMS_MAX) {
        return -EFBIG;
    }
    size_t ncap = *cap ? *cap * 2 : 256;
    void *p = realloc(*arr, ncap * elem);
    if (p == NULL) {
        return -ENOMEM;
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

int rf_capture_add_run(struct rf_capture *c, uint8_t on, uint32_t us, struct rf_loc loc)
{
    on = on ? 1 : 0;
    if (c->nruns > 0 && c->runs[c->nruns - 1].on == on) {
        struct rf_run *last = &c->runs[c->nruns - 1];
        last->us = (UINT32_MAX - last->us < us) ? UINT32_MAX : last->us + us;
        return 0;
    }
    int rc = grow((void **)&c->runs, &c->cap_runs, c->nruns, sizeof(*c->runs));
    if (rc < 0) {
        return rc;
    }
    c->runs[c->nruns++] = (struct rf_run){.us = us, .on = on, .loc = loc};
    return 0;
}

int rf_capture_add_sym(struct rf_capture *c, uint8_t v, uint32_t gap_us, struct rf_loc loc)
{
    int rc = grow((void **)&c->syms, &c->cap_syms, c->nsyms, sizeof(*c->syms));
    if (rc < 0) {
        return rc;
    }
    c->syms[c->nsyms++] = (struct rf_sym){.v = v, .gap_us = gap_us, .loc = loc};
    return 0;
}

int rf_frame_symbols(uint8_t *out, size_t cap)
{
    if (cap < RF_FRAME_SYMBOLS) {
        return -EMSGSIZE;
    }
    size_t n = 0;
    for (unsigned i = 0; i < RF_PREAMBLE_PAIRS; i++) {
        out[n++] = 1;
        out[n++] = 0;
    }
    for (unsigned b = 0; b < RF_BLOCKS_PER_TX; b++) {
        /* The violation: a 1 and two 0s break the pairing before every copy. */
        out[n++] = 1;
        out[n++] = 0;
        out[n++] = 0;
        for (unsigned i = 0; i < RF_MSG_BITS; i++) {
            /* Carrier-on half first means 1 (rtl_433's OOK_MC_ZEROBIT convention). */
            out[n++] = rf_chargeport_bits[i] ? 1 : 0;
            out[n++] = rf_chargeport_bits[i] ? 0 : 1;
        }
    }
    out[n++] = 0;
    out[n++] = 0;
    out[n++] = 0;
    return (int)n;
}

uint64_t rf_burst_us(unsigned repeats, uint32_t gap_us)
{
    if (repeats == 0) {
        return 0;
    }
    return (uint64_t)repeats * RF_FRAME_SYMBOLS * RF_SYMBOL_US + (uint64_t)(repeats - 1) * gap_us;
}

int rf_burst_check(unsigned repeats, uint32_t gap_us)
{
    if (repeats == 0 || rf_burst_us(repeats, gap_us) > RF_BURST_MAX_US) {
        return -ERANGE;
    }
    return 0;
}

int rf_burst_runs(unsigned repeats, uint32_t gap_us, struct rf_run *out, size_t cap)
{
    if (rf_burst_check(repeats, gap_us) < 0) {
        return -ERANGE;
    }
    uint8_t sym[RF_FRAME_SYMBOLS];
    int ns = rf_frame_symbols(sym, sizeof(sym));
    size_t n = 0;
    for (unsigned r = 0; r < repeats; r++) {
        for (int i = 0; i < ns; i++) {
            if (n > 0 && out[n - 1].on == sym[i]) {
                out[n - 1].us += RF_SYMBOL_US;
                continue;
            }
            if (n >= cap) {
                return -EMSGSIZE;
            }
            out[n++] = (struct rf_run){.us = RF_SYMBOL_US, .on = sym[i]};
        }
        if (r + 1 < repeats) {
            out[n - 1].us += gap_us; /* the frame ends low: the trailer */
        }
    }
    return (int)n;
}

void rf_format_mhz(uint64_t hz, char *buf, size_t cap)
{
    /* Exact decimal: integer MHz and up to six fraction digits, trailing zeros dropped. */
    char frac[8];
    snprintf(frac, sizeof(frac), "%06u", (unsigned)(hz % 1000000u));
    size_t k = strlen(frac);
    while (k > 0 && frac[k - 1] == '0') {
        frac[--k] = '\0';
    }
    snprintf(buf, cap, "%llu%s%sM", (unsigned long long)(hz / 1000000u), k ? "." : "", frac);
}
