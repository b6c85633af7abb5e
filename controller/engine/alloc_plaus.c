/* SPDX-License-Identifier: MIT */
/*
 * Plausibility of measured currents. An EVSE's fresh draw is subtracted from the meter above it
 * (the rest is load nothing controls), so a reading that is too high hides that load and raises
 * budgets: a Wall Connector reporting 655.35 A under a metered 40 A circuit where an oven draws
 * 30 A would otherwise get 32 A. A draw may be at most
 *   - the EVSE's own configured maximum (never a slave's linkready maximum) plus a margin,
 *   - the rating of its circuit and of every circuit above it, plus a margin,
 *   - what every fresh meter above it measures on that phase, plus a slack for readings taken
 *     at different moments (a car ramping up between the two reads).
 * A draw beyond any bound counts as stale: the fail-safe budget applies (docs/allocation.md).
 */
#include "controller/engine/alloc_internal.h"

/* Cars draw a little above their offer and meters differ by a few per cent. */
int32_t alloc_plaus_margin(int32_t ma)
{
    return ma <= 0 ? ALLOC_PLAUS_MARGIN_MA : ALLOC_PLAUS_MARGIN_MA + ma / 8;
}

static int32_t min32(int32_t a, int32_t b)
{
    return a < b ? a : b;
}

void alloc_plaus_bounds(struct alloc *a, const struct site_state *st, uint64_t now)
{
    const struct site *site = a->site;
    for (size_t c = 0; c < site->n_circuit; c++) {
        const struct site_circuit *sc = &site->circuit[c];
        int32_t *b = a->bound[c];
        for (int p = 0; p < 3; p++) {
            b[p] = sc->rating_ma[p] + alloc_plaus_margin(sc->rating_ma[p]);
            if (c > 0) {
                b[p] = min32(b[p], a->bound[sc->parent][p]);
            }
        }
        if (sc->meter < 0) {
            continue;
        }
        const struct site_meter *m = &site->meter[sc->meter];
        const struct site_meter_input *mi = &st->meter[sc->meter];
        if (alloc_is_stale(mi->at_ms, now, m->stale_timeout_ms)) {
            continue; /* a stale meter bounds nothing: it already counts its fail-safe load */
        }
        for (int k = 0; k < m->n_inputs; k++) {
            int p = m->phase_map[k];
            int32_t rd = mi->current_ma[k] > 0 ? mi->current_ma[k] : 0;
            int32_t slack = ALLOC_PLAUS_METER_SLACK_MA + rd / 4;
            b[p] = min32(b[p], rd > INT32_MAX - slack ? INT32_MAX : rd + slack);
        }
    }
}

uint8_t alloc_plaus_check(const struct alloc *a,
                          const struct alloc_evc *e,
                          const int32_t s[3],
                          int32_t dmax,
                          int32_t *bad_ma)
{
    if (dmax > e->own_max_ma + alloc_plaus_margin(e->own_max_ma)) {
        *bad_ma = dmax;
        return ALLOC_IMPLAUSIBLE_OWN_MAX;
    }
    const int32_t *b = a->bound[e->circuit];
    for (int p = 0; p < 3; p++) {
        if (((e->phases >> p) & 1u) && s[p] > b[p]) {
            *bad_ma = s[p];
            /* which bound it broke: the ratings alone, or a meter's reading */
            const struct site_circuit *sc = &a->site->circuit[e->circuit];
            bool rating = false;
            for (int32_t c = e->circuit; c >= 0 && !rating; c = a->site->circuit[c].parent) {
                sc = &a->site->circuit[c];
                rating = s[p] > sc->rating_ma[p] + alloc_plaus_margin(sc->rating_ma[p]);
            }
            return rating ? ALLOC_IMPLAUSIBLE_RATING : ALLOC_IMPLAUSIBLE_METER;
        }
    }
    *bad_ma = 0;
    return ALLOC_IMPLAUSIBLE_NONE;
}

const char *alloc_implausible_name(enum alloc_implausible why)
{
    switch (why) {
    case ALLOC_IMPLAUSIBLE_OWN_MAX:
        return "above its own maximum";
    case ALLOC_IMPLAUSIBLE_RATING:
        return "above the rating of its circuit";
    case ALLOC_IMPLAUSIBLE_METER:
        return "above what the meter over it measures";
    default:
        return "plausible";
    }
}
