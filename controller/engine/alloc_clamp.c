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
 * leaves every limit held. Floor division keeps every scaled sum at or below its budget.
 *
 * Bookkeeping, for speed only: the sums are per subtree, in 64 bits; the EVSEs are ordered by
 * the depth-first position of their circuit, so the EVSEs below a circuit are one contiguous
 * run; a cut adds its change to the circuit and to every circuit above it, once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/engine/alloc_internal.h"

int alloc_clamp_scratch_init(struct alloc_clamp_scratch *s, size_t max_circuit, size_t max_evse)
{
    size_t nc = max_circuit ? max_circuit : 1, ne = max_evse ? max_evse : 1;
    s->cap_circuit = nc;
    s->cap_evse = ne;
    s->pil = calloc(nc, sizeof(*s->pil));
    s->nid = calloc(nc, sizeof(*s->nid));
    s->idl = calloc(nc, sizeof(*s->idl));
    s->size = calloc(nc, sizeof(*s->size));
    s->pre = calloc(nc, sizeof(*s->pre));
    s->cursor = calloc(nc + 1, sizeof(*s->cursor));
    s->first = calloc(nc + 1, sizeof(*s->first));
    s->order = calloc(ne, sizeof(*s->order));
    if (!s->pil || !s->nid || !s->idl || !s->size || !s->pre || !s->cursor || !s->first ||
        !s->order) {
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
    free(s->size);
    free(s->pre);
    free(s->cursor);
    free(s->first);
    free(s->order);
    *s = (struct alloc_clamp_scratch){0};
}

static const struct ampshare_policy_evse *ev_at(const struct ampshare_policy_input *in, size_t i)
{
    return ampshare_policy_evse_at(in, i);
}

static const struct ampshare_policy_circuit *ci_at(const struct ampshare_policy_input *in, size_t c)
{
    return ampshare_policy_circuit_at(in, c);
}

/* What an EVSE that counts by its draw counts at target t on phase p (apr_counted). */
static int64_t counted(const struct ampshare_policy_evse *ev, int32_t t, int p)
{
    return apr_counted(ev, t, p);
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

struct delta {
    int64_t pil[3], nid[3], idl[3];
};

/*
 * Scales, by num/den, the targets of the EVSEs below circuit c that load phase p; only_full
 * restricts it to EVSEs that count in full; num == 0 makes them 0. Then adds the change to the
 * sums of c and of every circuit above it.
 */
static void cut(const struct ampshare_policy_input *in,
                struct alloc_clamp_scratch *s,
                const int32_t *raw,
                int32_t *out,
                int *corrected,
                uint8_t *fix,
                int32_t *fix_circuit,
                int32_t c,
                int p,
                int64_t num,
                int64_t den,
                bool only_full)
{
    struct delta d = {0};
    uint32_t from = s->first[s->pre[c]], to = s->first[s->pre[c] + s->size[c]];
    for (uint32_t k = from; k < to; k++) {
        size_t i = s->order[k];
        const struct ampshare_policy_evse *ev = ev_at(in, i);
        int32_t t = out[i];
        bool by_draw = apr_counts_by_draw(ev);
        if (t == 0 || !((ev->phases >> p) & 1u) || (only_full && by_draw)) {
            continue;
        }
        int32_t nt = num > 0 && den > 0 ? apr_sanitize(ev, (int32_t)((__int128)t * num / den)) : 0;
        if (nt == t) {
            continue;
        }
        *corrected += t == raw[i];
        out[i] = nt;
        note_fix(fix, fix_circuit, i, ALLOC_FIX_CIRCUIT, c);
        for (int q = 0; q < 3; q++) {
            if ((ev->phases >> q) & 1u) {
                d.pil[q] += (int64_t)nt - t;
                if (by_draw) {
                    d.idl[q] += counted(ev, nt, q) - counted(ev, t, q);
                } else {
                    d.nid[q] += (int64_t)nt - t;
                }
            }
        }
    }
    for (int32_t a = c; a >= 0; a = ci_at(in, (size_t)a)->parent) {
        for (int q = 0; q < 3; q++) {
            s->pil[a][q] += d.pil[q];
            s->nid[a][q] += d.nid[q];
            s->idl[a][q] += d.idl[q];
        }
    }
}

static int check_view(const struct ampshare_policy_input *in, const struct alloc_clamp_scratch *s)
{
    if (in->n_circuit == 0 || in->circuit_size < sizeof(struct ampshare_policy_circuit) ||
        in->evse_size < sizeof(struct ampshare_policy_evse)) {
        return -EINVAL;
    }
    if (in->n_circuit > s->cap_circuit || in->n_evse > s->cap_evse) {
        return -EMSGSIZE;
    }
    for (size_t c = 0; c < in->n_circuit; c++) {
        int32_t parent = ci_at(in, c)->parent;
        if (c == 0 ? parent != -1 : (parent < 0 || (size_t)parent >= c)) {
            return -EINVAL;
        }
    }
    return 0;
}

static int refuse(const struct ampshare_policy_input *in,
                  int32_t *out,
                  uint8_t *fix,
                  int32_t *fix_circuit,
                  int rc)
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
    return rc;
}

/* Depth-first positions of the circuits (each subtree one run), and the EVSEs in that order. */
static void tree_order(const struct ampshare_policy_input *in, struct alloc_clamp_scratch *s)
{
    size_t nc = in->n_circuit;
    for (size_t c = 0; c < nc; c++) {
        s->size[c] = 1;
    }
    for (size_t c = nc; c-- > 1;) {
        s->size[ci_at(in, c)->parent] += s->size[c];
    }
    /* cursor[c]: the next free position inside c's run, for its next child */
    s->pre[0] = 0;
    s->cursor[0] = 1;
    for (size_t c = 1; c < nc; c++) {
        int32_t parent = ci_at(in, c)->parent;
        s->pre[c] = s->cursor[parent];
        s->cursor[parent] += s->size[c];
        s->cursor[c] = s->pre[c] + 1;
    }
    for (size_t k = 0; k <= nc; k++) {
        s->first[k] = 0;
    }
    for (size_t i = 0; i < in->n_evse; i++) {
        s->first[s->pre[ev_at(in, i)->circuit] + 1]++;
    }
    for (size_t k = 0; k < nc; k++) {
        s->first[k + 1] += s->first[k];
        s->cursor[k] = s->first[k];
    }
    for (size_t i = 0; i < in->n_evse; i++) {
        s->order[s->cursor[s->pre[ev_at(in, i)->circuit]]++] = (uint32_t)i;
    }
}

int alloc_clamp(const struct ampshare_policy_input *in,
                const int32_t *raw,
                int32_t *out,
                uint8_t *fix,
                int32_t *fix_circuit,
                struct alloc_clamp_scratch *s)
{
    int rc = check_view(in, s);
    if (rc != 0) {
        return refuse(in, out, fix, fix_circuit, rc);
    }
    bool ordered = false;
    int corrected = 0; /* EVSEs whose target differs from what the policy asked */
    /* the arrays in locals: the byte stores into fix[] may alias anything */
    const size_t n = in->n_evse, nc = in->n_circuit;
    int64_t(*pil)[3] = s->pil;
    int64_t(*nid)[3] = s->nid;
    int64_t(*idl)[3] = s->idl;
    memset(pil, 0, nc * sizeof(*pil));
    memset(nid, 0, nc * sizeof(*nid));
    memset(idl, 0, nc * sizeof(*idl));
    /* 1. each EVSE on its own; the last correction made is the one noted. The records are
     * stepped through by pointer (in->evse_size apart), and the common answer (0, or a valid
     * target) passes the tests without taking a branch. */
    const char *rec = (const char *)in->evse;
    const size_t esz = in->evse_size;
    for (size_t i = 0; i < n; i++, rec += esz) {
        const struct ampshare_policy_evse *ev =
            (const struct ampshare_policy_evse *)(const void *)rec;
        int32_t c = ev->circuit;
        uint8_t ph = ev->phases;
        /* evse_is_valid(): a circuit index in range and a phase mask within L1..L3 */
        if ((uint32_t)c >= nc || (uint8_t)(ph - 1u) > 6u) {
            return refuse(in, out, fix, fix_circuit, -EINVAL);
        }
        int32_t r = raw[i], t = r;
        uint8_t f = ALLOC_FIX_NONE;
        /* 0 is the most common answer, and no test applies to it unless max_ma < 0 */
        if (t != 0 || ev->max_ma < 0) {
            if (ev->state == AMPSHARE_EVSE_UNPLUGGED && t != 0) {
                f = ALLOC_FIX_UNPLUGGED;
                t = 0;
            }
            if (t < 0) {
                f = ALLOC_FIX_NEGATIVE;
                t = 0;
            }
            if (t > ev->max_ma) { /* 0 too, for a negative max: noted, though nothing changes */
                f = ALLOC_FIX_MAX;
                t = ev->max_ma > 0 ? ev->max_ma : 0;
            }
            int32_t rest = apr_mod(t, apr_step(ev));
            if (rest) {
                f = ALLOC_FIX_STEP;
                t -= rest;
            }
            if (t > 0 && t < ev->min_ma) {
                f = ALLOC_FIX_MIN;
                t = 0;
            }
        }
        if (fix) {
            fix[i] = f;
        }
        if (fix_circuit) {
            fix_circuit[i] = -1;
        }
        out[i] = t;
        corrected += t != r;
        if (t) {
            /* the direct sums of its own circuit */
            bool by_draw = apr_counts_by_draw(ev);
            for (uint32_t pm = ph; pm; pm &= pm - 1) {
                int p = alloc_low_phase(pm);
                pil[c][p] += t;
                if (by_draw) {
                    idl[c][p] += counted(ev, t, p);
                } else {
                    nid[c][p] += t;
                }
            }
        }
    }
    /* subtree sums: children hold larger indices, so each is complete before it is added */
    for (size_t c = nc; c-- > 1;) {
        int32_t parent = ci_at(in, c)->parent;
        for (int p = 0; p < 3; p++) {
            pil[parent][p] += pil[c][p];
            nid[parent][p] += nid[c][p];
            idl[parent][p] += idl[c][p];
        }
    }
    /* 2 and 3. every circuit and phase, children first */
    for (size_t cc = in->n_circuit; cc-- > 0;) {
        const struct ampshare_policy_circuit *ci = ci_at(in, cc);
        int32_t c = (int32_t)cc;
        int64_t oc = ci->overcommit_ma > 0 ? ci->overcommit_ma : 0;
        for (int p = 0; p < 3; p++) {
            int64_t cap1 = ci->limit_ma[p] > 0 ? ci->limit_ma[p] : 0;
            int64_t cap2 = (int64_t)ci->limit_ma[p] + oc;
            cap2 = cap2 > 0 ? cap2 : 0;
            if ((s->pil[c][p] > cap2 || s->nid[c][p] + s->idl[c][p] > cap1) && !ordered) {
                tree_order(in, s); /* only a cut needs it */
                ordered = true;
            }
            if (s->pil[c][p] > cap2) {
                cut(in, s, raw, out, &corrected, fix, fix_circuit, c, p, cap2, s->pil[c][p], false);
            }
            if (s->nid[c][p] + s->idl[c][p] > cap1) {
                if (s->idl[c][p] > cap1) {
                    cut(in, s, raw, out, &corrected, fix, fix_circuit, c, p, 0, 1, false);
                } else {
                    cut(in, s, raw, out, &corrected, fix, fix_circuit, c, p, cap1 - s->idl[c][p],
                        s->nid[c][p], true);
                }
            }
        }
    }
    return corrected;
}
