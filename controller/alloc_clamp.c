/* SPDX-License-Identifier: MIT */
/*
 * The safety clamp: the only thing between a policy and the breaker. It trusts nothing in the
 * policy's answer and keeps to three moves, each of which only lowers targets:
 *   1. per EVSE: 0 without a car, [0, max], down to a multiple of the step, 0 below the minimum;
 *   2. per circuit and phase, children before parents: if the sum of targets exceeds
 *      limit + overcommit, scale every target below the circuit on that phase by
 *      (limit + overcommit) / sum, rounding down;
 *   3. then, if the counted current (idle cars by draw) exceeds the limit, scale the EVSEs that
 *      count in full by (limit - idle draws) / their sum; if the idle draws alone exceed it,
 *      everything below the circuit on that phase goes to 0.
 * Lowering a target never breaks a limit that already holds, so one pass over the circuits
 * leaves every limit held. Floor division keeps every scaled sum at or below its budget. The
 * sums are kept exact (each change is pushed to every circuit above the EVSE), in 64 bits.
 */
#include <errno.h>
#include <stdlib.h>

#include "controller/alloc.h"

int alloc_clamp_scratch_init(struct alloc_clamp_scratch *s, size_t max_circuit)
{
    size_t n = max_circuit ? max_circuit : 1;
    s->cap = n;
    s->pil = calloc(n, sizeof(*s->pil));
    s->nid = calloc(n, sizeof(*s->nid));
    s->idl = calloc(n, sizeof(*s->idl));
    if (!s->pil || !s->nid || !s->idl) {
        alloc_clamp_scratch_fini(s);
        return -ENOMEM;
    }
    return 0;
}

void alloc_clamp_scratch_fini(struct alloc_clamp_scratch *s)
{
    free(s->pil);
    free(s->nid);
    free(s->idl);
    s->pil = s->nid = s->idl = NULL;
    s->cap = 0;
}

static const struct ampshare_policy_evse *ev_at(const struct ampshare_policy_input *in, size_t i)
{
    return ampshare_policy_evse_at(in, i);
}

static const struct ampshare_policy_circuit *ci_at(const struct ampshare_policy_input *in,
                                                   size_t c)
{
    return ampshare_policy_circuit_at(in, c);
}

/* An idle car with a fresh measurement counts its draw (capped by its target); the rest count
 * their target in full. Unknown states count in full. */
static bool counts_by_draw(const struct ampshare_policy_evse *ev)
{
    return ev->state == AMPSHARE_EVSE_IDLE && !(ev->flags & AMPSHARE_EVSE_F_STALE);
}

static int64_t counted(const struct ampshare_policy_evse *ev, int32_t t, int p)
{
    if (!counts_by_draw(ev)) {
        return t;
    }
    int32_t d = ev->draw_ma[p] > 0 ? ev->draw_ma[p] : 0;
    return t < d ? t : d;
}

/* 0, or a multiple of the step within [min, max]: only ever lowers t. */
static int32_t sanitize(const struct ampshare_policy_evse *ev, int32_t t)
{
    int32_t step = ev->step_ma > 0 ? ev->step_ma : 1;
    if (t <= 0) {
        return 0;
    }
    if (t > ev->max_ma) {
        t = ev->max_ma > 0 ? ev->max_ma : 0;
    }
    t -= t % step;
    return t > 0 && t >= ev->min_ma ? t : 0;
}

/* Pushes EVSE i's change from old to new into the sums of every circuit above it. */
static void push(const struct ampshare_policy_input *in, struct alloc_clamp_scratch *s, size_t i,
                 int32_t old, int32_t new)
{
    const struct ampshare_policy_evse *ev = ev_at(in, i);
    bool by_draw = counts_by_draw(ev);
    for (int32_t c = ev->circuit; c >= 0; c = ci_at(in, (size_t)c)->parent) {
        for (int p = 0; p < 3; p++) {
            if (!((ev->phases >> p) & 1u)) {
                continue;
            }
            s->pil[c][p] += (int64_t) new - old;
            if (by_draw) {
                s->idl[c][p] += counted(ev, new, p) - counted(ev, old, p);
            } else {
                s->nid[c][p] += (int64_t) new - old;
            }
        }
    }
}

static bool is_below(const struct ampshare_policy_input *in, int32_t c, int32_t anc)
{
    for (; c >= 0; c = ci_at(in, (size_t)c)->parent) {
        if (c == anc) {
            return true;
        }
    }
    return false;
}

/* The last correction wins: it is the one that set the final target. */
static void note_fix(uint8_t *fix, int32_t *fix_circuit, size_t i, enum alloc_fix f, int32_t c)
{
    if (fix) {
        fix[i] = (uint8_t)f;
    }
    if (fix_circuit) {
        fix_circuit[i] = c;
    }
}

/*
 * Scales, by num/den (num < den), the targets of the EVSEs below circuit c that load phase p;
 * only_full restricts it to EVSEs that count in full. num == 0 makes them all 0.
 */
static void scale(const struct ampshare_policy_input *in, struct alloc_clamp_scratch *s,
                  int32_t *out, uint8_t *fix, int32_t *fix_circuit, int32_t c, int p, int64_t num,
                  int64_t den, bool only_full)
{
    for (size_t i = 0; i < in->n_evse; i++) {
        const struct ampshare_policy_evse *ev = ev_at(in, i);
        int32_t t = out[i];
        if (t == 0 || !((ev->phases >> p) & 1u) || (only_full && counts_by_draw(ev)) ||
            !is_below(in, ev->circuit, c)) {
            continue;
        }
        int32_t nt = 0;
        if (num > 0 && den > 0) {
            nt = sanitize(ev, (int32_t)((__int128)t * num / den));
        }
        if (nt != t) {
            push(in, s, i, t, nt);
            out[i] = nt;
            note_fix(fix, fix_circuit, i, ALLOC_FIX_CIRCUIT, c);
        }
    }
}

static int check_view(const struct ampshare_policy_input *in, const struct alloc_clamp_scratch *s)
{
    if (in->n_circuit == 0 || in->circuit_size < sizeof(struct ampshare_policy_circuit) ||
        in->evse_size < sizeof(struct ampshare_policy_evse)) {
        return -EINVAL;
    }
    if (in->n_circuit > s->cap) {
        return -EMSGSIZE;
    }
    for (size_t c = 0; c < in->n_circuit; c++) {
        int32_t parent = ci_at(in, c)->parent;
        if (c == 0 ? parent != -1 : (parent < 0 || (size_t)parent >= c)) {
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < in->n_evse; i++) {
        const struct ampshare_policy_evse *ev = ev_at(in, i);
        if (ev->circuit < 0 || (size_t)ev->circuit >= in->n_circuit ||
            (ev->phases & AMPSHARE_PHASE_ALL) == 0 || (ev->phases & ~AMPSHARE_PHASE_ALL)) {
            return -EINVAL;
        }
    }
    return 0;
}

int alloc_clamp(const struct ampshare_policy_input *in, const int32_t *raw, int32_t *out,
                uint8_t *fix, int32_t *fix_circuit, struct alloc_clamp_scratch *s)
{
    for (size_t i = 0; i < in->n_evse; i++) {
        out[i] = 0;
        if (fix) {
            fix[i] = ALLOC_FIX_NONE;
        }
        if (fix_circuit) {
            fix_circuit[i] = -1;
        }
    }
    int rc = check_view(in, s);
    if (rc != 0) {
        return rc;
    }
    for (size_t c = 0; c < in->n_circuit; c++) {
        for (int p = 0; p < 3; p++) {
            s->pil[c][p] = s->nid[c][p] = s->idl[c][p] = 0;
        }
    }
    /* 1. each EVSE on its own */
    for (size_t i = 0; i < in->n_evse; i++) {
        const struct ampshare_policy_evse *ev = ev_at(in, i);
        int32_t t = raw[i];
        if (ev->state == AMPSHARE_EVSE_UNPLUGGED && t != 0) {
            note_fix(fix, fix_circuit, i, ALLOC_FIX_UNPLUGGED, -1);
            t = 0;
        }
        if (t < 0) {
            note_fix(fix, fix_circuit, i, ALLOC_FIX_NEGATIVE, -1);
            t = 0;
        }
        if (t > ev->max_ma) {
            note_fix(fix, fix_circuit, i, ALLOC_FIX_MAX, -1);
            t = ev->max_ma > 0 ? ev->max_ma : 0;
        }
        int32_t step = ev->step_ma > 0 ? ev->step_ma : 1;
        if (t % step) {
            note_fix(fix, fix_circuit, i, ALLOC_FIX_STEP, -1);
            t -= t % step;
        }
        if (t > 0 && t < ev->min_ma) {
            note_fix(fix, fix_circuit, i, ALLOC_FIX_MIN, -1);
            t = 0;
        }
        out[i] = t;
        if (t) {
            push(in, s, i, 0, t);
        }
    }
    /* 2 and 3. every circuit and phase, children first (parents have smaller indices) */
    for (size_t cc = in->n_circuit; cc-- > 0;) {
        const struct ampshare_policy_circuit *ci = ci_at(in, cc);
        int32_t c = (int32_t)cc;
        int64_t oc = ci->overcommit_ma > 0 ? ci->overcommit_ma : 0;
        for (int p = 0; p < 3; p++) {
            int64_t cap1 = ci->limit_ma[p] > 0 ? ci->limit_ma[p] : 0;
            int64_t cap2 = (int64_t)ci->limit_ma[p] + oc;
            cap2 = cap2 > 0 ? cap2 : 0;
            if (s->pil[c][p] > cap2) {
                scale(in, s, out, fix, fix_circuit, c, p, cap2, s->pil[c][p], false);
            }
            if (s->nid[c][p] + s->idl[c][p] > cap1) {
                if (s->idl[c][p] > cap1) {
                    scale(in, s, out, fix, fix_circuit, c, p, 0, 1, false);
                } else {
                    scale(in, s, out, fix, fix_circuit, c, p, cap1 - s->idl[c][p], s->nid[c][p],
                          true);
                }
            }
        }
    }
    int corrected = 0;
    for (size_t i = 0; i < in->n_evse; i++) {
        corrected += out[i] != raw[i];
    }
    return corrected;
}
