/* SPDX-License-Identifier: MIT */
/*
 * Decoding: runs -> symbol time -> symbols -> preambles, code violations and Manchester blocks.
 * The symbol-time estimate and the thresholds follow research/chargeport.md §5: runs are whole
 * multiples of T (highs 1-2 T, lows 1-3 T inside a frame), so T is the mean over runs of their
 * duration per symbol, seeded from the shortest runs.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/rf/rf.h"

#define RF_GLITCH_US    100u   /* shorter runs are receiver noise: folded into their neighbour */
#define RF_T_RUN_MAX_US 20000u /* runs this long are gaps, not symbols, for the estimate */
#define RF_T_RUNS_MIN   8u     /* fewer runs give no trustworthy symbol time */
#define RF_T_MIN_US     20.0
#define RF_T_MAX_US     100000.0
#define RF_HIGH_MAX     8u /* longest high expanded; longer is one error, not a flood */

static void add_issue(struct rf_result *res, struct rf_loc loc, const char *what)
{
    if (res->nissues < RF_ISSUES_KEPT) {
        res->issues[res->nissues] = (struct rf_issue){.loc = loc, .what = what};
    }
    res->nissues++;
}

/* Folds runs shorter than RF_GLITCH_US into the run before them, then merges equal levels. */
static void fold_glitches(struct rf_capture *c)
{
    size_t out = 0;
    for (size_t i = 0; i < c->nruns; i++) {
        struct rf_run r = c->runs[i];
        if (out > 0 && (r.us < RF_GLITCH_US || c->runs[out - 1].on == r.on)) {
            uint64_t sum = (uint64_t)c->runs[out - 1].us + r.us;
            c->runs[out - 1].us = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
            continue;
        }
        c->runs[out++] = r;
    }
    c->nruns = out;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Symbol time in us, or 0 when the runs do not give one. */
static double estimate_t(const struct rf_run *runs, size_t n)
{
    uint32_t *d = malloc((n ? n : 1) * sizeof(*d));
    if (d == NULL) {
        return -1.0;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (runs[i].us < RF_T_RUN_MAX_US) {
            d[m++] = runs[i].us;
        }
    }
    double t = 0.0;
    if (m >= RF_T_RUNS_MIN) {
        qsort(d, m, sizeof(*d), cmp_u32);
        /* Seed: median of the runs near the 20th percentile, which are single symbols. */
        double p20 = d[m / 5];
        size_t short_n = 0;
        while (short_n < m && d[short_n] <= 1.5 * p20) {
            short_n++;
        }
        t = d[short_n / 2];
        /* Refine over every run of 1..3 symbols: T = total time / total symbols. */
        for (int pass = 0; pass < 3; pass++) {
            double sd = 0.0, sn = 0.0;
            for (size_t i = 0; i < m; i++) {
                double k = floor(d[i] / t + 0.5);
                if (k >= 1.0 && k <= 3.0) {
                    sd += d[i];
                    sn += k;
                }
            }
            if (sn > 0.0) {
                t = sd / sn;
            }
        }
    }
    free(d);
    return t;
}

static int expand_runs(struct rf_capture *c, struct rf_result *res)
{
    double t = res->symbol_us;
    for (size_t i = 0; i < c->nruns; i++) {
        const struct rf_run *r = &c->runs[i];
        double k = floor(r->us / t + 0.5);
        if (i == 0 && !r->on && k < 1.0) {
            continue; /* a receiver's first half-symbol of silence is not part of the signal */
        }
        size_t n = k < 1.0 ? 1 : k > 1e6 ? 1000000 : (size_t)k;
        int rc = 0;
        if (!r->on && n >= RF_GAP_SYMBOLS) {
            rc = rf_capture_add_sym(c, RF_SYM_GAP, r->us, r->loc);
        } else {
            if (r->on && n > 2) {
                add_issue(res, r->loc, "carrier on for more than 2 symbols (Manchester: 1 or 2)");
                n = n > RF_HIGH_MAX ? RF_HIGH_MAX : n;
            }
            for (size_t s = 0; s < n && rc == 0; s++) {
                rc = rf_capture_add_sym(c, r->on, 0, r->loc);
            }
        }
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* Symbols j and j+1 form a Manchester pair (10 or 01). */
static bool is_pair(const struct rf_sym *s, size_t n, size_t j)
{
    return j + 1 < n && s[j].v < 2 && s[j + 1].v < 2 && s[j].v != s[j + 1].v;
}

/* First index >= from where RF_PREAMBLE_MIN symbols alternate 1, 0, 1, ...; n when none. */
static size_t find_preamble(const struct rf_sym *s, size_t n, size_t from)
{
    for (size_t p = from; p + RF_PREAMBLE_MIN <= n; p++) {
        size_t k = 0;
        while (k < RF_PREAMBLE_MIN && s[p + k].v == ((k % 2) == 0 ? 1 : 0)) {
            k++;
        }
        if (k == RF_PREAMBLE_MIN) {
            return p;
        }
    }
    return n;
}

/* The violation 1 0 0 sits at j-2 .. j when the pairs before j ended with "10", s[j] and s[j+1]
 * are 0 and the next block starts with a pair at j+1. */
static bool violation_at(const struct rf_sym *s, size_t n, size_t start, size_t j)
{
    return j >= start + 4 && j + 1 < n && s[j - 2].v == 1 && s[j - 1].v == 0 && s[j].v == 0 &&
           s[j + 1].v == 0 && is_pair(s, n, j + 1);
}

static void record_block(struct rf_result *res, const struct rf_sym *s, size_t d, size_t e)
{
    size_t nbits = (e - d) / 2;
    if (nbits == 0) {
        return;
    }
    if (res->nblocks < RF_BLOCKS_KEPT) {
        struct rf_block *b = &res->blocks[res->nblocks];
        memset(b, 0, sizeof(*b));
        b->tx = res->ntx;
        b->start_symbol = d;
        b->nbits = nbits;
        b->loc = s[d].loc;
        for (size_t q = 0; q < nbits && q < RF_BLOCK_BITS_MAX; q++) {
            b->bits[q] = s[d + 2 * q].v; /* 10 = 1, 01 = 0: the first half is the bit */
        }
        if (nbits > RF_BLOCK_BITS_MAX) {
            add_issue(res, s[d].loc, "block longer than 128 bits (only the start is kept)");
        }
    }
    res->nblocks++;
}

/* How a transmission ended at symbol j: trailer, gap, end of input or a Manchester error. */
static void
finish_tx(struct rf_result *res, struct rf_tx *tx, const struct rf_sym *s, size_t n, size_t j)
{
    size_t zeros = 0;
    uint64_t gap = 0;
    size_t k = j;
    for (; k < n && s[k].v != 1; k++) {
        if (s[k].v == RF_SYM_GAP) {
            gap += s[k].gap_us;
            zeros += RF_GAP_SYMBOLS;
        } else {
            gap += (uint64_t)lrint(res->symbol_us);
            zeros++;
        }
    }
    tx->trailer = zeros >= 3;
    tx->gap_after_us = (k < n && res->symbol_us > 0.0) ? gap : 0;
    if (j + 1 < n && zeros == 0) {
        add_issue(res, s[j].loc, "Manchester error: two equal halves (11) inside a block");
    } else if (j < n && zeros < 3 && k < n) {
        add_issue(res, s[j].loc, "Manchester error: two equal halves (00) inside a block");
    }
}

/* Reads one transmission whose preamble starts at p. Returns the symbol where it ended. */
static size_t read_tx(struct rf_result *res, const struct rf_sym *s, size_t n, size_t p)
{
    struct rf_tx tx = {.start_symbol = p, .loc = s[p].loc};
    size_t k = p;
    while (k + 1 < n && s[k].v == 1 && s[k + 1].v == 0) {
        k += 2;
    }
    size_t blocks_before = res->nblocks;
    size_t j = k;
    if (k + 2 < n && s[k].v == 0 && s[k + 1].v == 0 && is_pair(s, n, k + 1)) {
        /* The last "10" of the greedy pairs is the violation's 1 0; the 0 at k ends it. */
        tx.preamble_symbols = k - 2 - p;
        tx.violations = 1;
        size_t d = k + 1;
        for (;;) {
            j = d;
            while (is_pair(s, n, j)) {
                j += 2;
            }
            if (violation_at(s, n, d, j)) {
                record_block(res, s, d, j - 2);
                tx.violations++;
                d = j + 1;
                continue;
            }
            record_block(res, s, d, j);
            break;
        }
        finish_tx(res, &tx, s, n, j);
    } else {
        tx.preamble_symbols = k - p;
        if (k < n) {
            add_issue(res, s[k].loc, "preamble not followed by the code violation 100");
        }
    }
    tx.blocks = res->nblocks - blocks_before;
    res->violations += tx.violations;
    if (res->ntx < RF_TX_KEPT) {
        res->tx[res->ntx] = tx;
    }
    res->ntx++;
    return j > p ? j : p + 1;
}

static void vote(struct rf_result *res)
{
    size_t kept = res->nblocks < RF_BLOCKS_KEPT ? res->nblocks : RF_BLOCKS_KEPT;
    size_t best = kept, best_count = 0;
    for (size_t a = 0; a < kept; a++) {
        size_t count = 0;
        for (size_t b = 0; b < kept; b++) {
            count += res->blocks[a].nbits == res->blocks[b].nbits &&
                     memcmp(res->blocks[a].bits, res->blocks[b].bits, RF_BLOCK_BITS_MAX) == 0;
        }
        if (count > best_count) {
            best = a;
            best_count = count;
        }
    }
    if (best == kept) {
        return;
    }
    const struct rf_block *m = &res->blocks[best];
    res->msg_bits = m->nbits > RF_BLOCK_BITS_MAX ? RF_BLOCK_BITS_MAX : m->nbits;
    memcpy(res->msg, m->bits, sizeof(res->msg));
    res->msg_count = best_count;
    for (size_t a = 0; a < kept; a++) {
        struct rf_block *b = &res->blocks[a];
        b->is_message = b->nbits == m->nbits && memcmp(b->bits, m->bits, RF_BLOCK_BITS_MAX) == 0;
        res->chargeport_blocks +=
            b->nbits == RF_MSG_BITS && memcmp(b->bits, rf_chargeport_bits, RF_MSG_BITS) == 0;
    }
    bool rate_ok = res->symbol_us == 0.0 || (res->symbol_us >= RF_CHARGEPORT_MIN_US &&
                                             res->symbol_us <= RF_CHARGEPORT_MAX_US);
    res->is_chargeport = rate_ok && res->msg_bits == RF_MSG_BITS &&
                         memcmp(res->msg, rf_chargeport_bits, RF_MSG_BITS) == 0;
}

int rf_decode(struct rf_capture *c, struct rf_result *res)
{
    memset(res, 0, sizeof(*res));
    res->input = c->input;
    if (c->nruns > 0 && c->nsyms == 0) {
        fold_glitches(c);
        res->nruns = c->nruns;
        double t = estimate_t(c->runs, c->nruns);
        if (t < 0.0) {
            return -ENOMEM;
        }
        if (t < RF_T_MIN_US || t > RF_T_MAX_US) {
            add_issue(res, c->nruns ? c->runs[0].loc : (struct rf_loc){0},
                      "no symbol time: too few pulses, or none between 20 us and 100 ms");
            return -ERANGE;
        }
        res->symbol_us = t;
        int rc = expand_runs(c, res);
        if (rc < 0) {
            return rc;
        }
    }
    const struct rf_sym *s = c->syms;
    size_t n = c->nsyms;
    res->nsymbols = n;
    size_t i = 0, p;
    while ((p = find_preamble(s, n, i)) < n) {
        for (size_t q = i; q < p; q++) {
            if (s[q].v == 1) {
                add_issue(res, s[q].loc, "symbols outside any frame (no preamble before them)");
                break;
            }
        }
        i = read_tx(res, s, n, p);
    }
    if (res->ntx == 0) {
        add_issue(res, n ? s[0].loc : (struct rf_loc){.line = 1, .col = 1},
                  "no preamble (16 or more symbols of 1010...)");
    }
    vote(res);
    return res->nblocks > 0 ? 0 : -ENODATA;
}
