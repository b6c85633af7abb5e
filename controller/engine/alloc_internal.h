/* SPDX-License-Identifier: MIT */
/* State shared by the allocation engine's files (alloc.c, alloc_hold.c, alloc_why.c). */
#ifndef ALLOC_INTERNAL_H
#define ALLOC_INTERNAL_H

#include "controller/engine/alloc.h"
#include "policies/ampshare_policy_rules.h"

/* The lowest phase in mask m (m != 0): "for (m = phases; m; m &= m - 1)" visits only the
 * phases an EVSE loads (most load one), which keeps the per-EVSE loops short. */
static inline int alloc_low_phase(uint32_t m)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctz(m);
#else
    return (m & 1u) ? 0 : (m & 2u) ? 1 : 2;
#endif
}

/* t modulo step for t >= 0: the rules' own (policies/ampshare_policy_rules.h). */
static inline int32_t alloc_mod_step(int32_t t, int32_t step)
{
    return apr_mod(t, step);
}

/* What the view reads of each site EVSE every tick, copied once from struct site_evse, whose
 * names and transport texts put each EVSE's hot fields on a cache line of its own. */
struct alloc_evc {
    int32_t meter; /* its meter, or -1 */
    uint32_t stale_timeout_ms;
    int32_t circuit;
    int32_t view; /* index among the controllable EVSEs; -1 for a metered-only load */
    int32_t max_ma;
    int32_t step_ma;
    int32_t stale_current_ma;
    int32_t assumed_ma; /* metered only: what it is assumed to draw while stale */
    int32_t own_max_ma; /* as configured: the plausibility bound (alloc_plaus.c) */
    uint8_t phases;
    uint8_t n_phases;
    uint8_t phase_map[3];
    uint8_t flags; /* its view flags but AMPSHARE_EVSE_F_STALE (never read back from the view) */
};

/* Per controllable EVSE (view order): constants the reasons and the hold read every tick. */
struct alloc_vk {
    int32_t site; /* its index in the site: results and history */
    int32_t circuit;
    int32_t top_ma; /* its maximum rounded down to its step: "at its maximum" */
    uint8_t phases;
    uint8_t phase;   /* its one phase, or 3 when it loads several */
    bool whole_amps; /* step_ma == 1000 */
};

/* What the engine remembers of each EVSE between ticks (site order). */
struct alloc_hist {
    bool seen;
    bool connected;
    uint8_t state;
    uint64_t since_ms;
    uint64_t connected_since_ms;
    int32_t target_ma; /* last commanded */
    /* the settle facts of the view (ABI minor 1): see track_offer() in alloc.c */
    int32_t offer_ma;        /* the offer in force at the last tick */
    uint64_t offer_since_ms; /* when it took effect */
    uint64_t below_since_ms; /* since when the car draws below it; 0 = it does not */
    int32_t below_draw_ma;   /* its draw when that run began */
    /* the §7.1 spike (alloc_spike.c) */
    int32_t spike_ma;        /* the spike in force, or 0 */
    uint64_t spike_at_ms;    /* when it was granted */
    uint64_t spike_seen_ms;  /* when the echoed offer first showed it; 0 = not yet */
    uint64_t short_since_ms; /* since when it draws > 2 A short of its offer; 0 = it does not */
    int32_t short_draw_ma;   /* the lowest draw of that run */
    uint8_t spike_tries;     /* reactive spikes since it last drew its offer */
    uint64_t spike_next_ms;  /* no reactive spike before this (backing off) */
    bool implausible;  /* its reading was refused on the last tick */
};

struct alloc {
    const struct site *site;
    const struct ampshare_policy *policy;
    void *pstate;
    const struct ampshare_policy *fallback; /* equal_share: used when the policy fails */
    void *fstate;
    struct ampshare_policy_host host;

    /* the view, rebuilt every tick */
    struct ampshare_policy_circuit *vc; /* [n_circuit] */
    struct ampshare_policy_evse *ve;    /* [n_controllable] */
    struct ampshare_policy_input in;

    /* per controllable EVSE (view order) */
    int32_t *raw;     /* the policy's answer */
    uint8_t *hint;    /* the policy's why */
    int32_t *clamped; /* after alloc_clamp */
    uint8_t *fix;
    int32_t *fix_circuit;
    int32_t *final; /* after the hold and the ramp */
    uint8_t *held;  /* 0, ALLOC_WHY_HOLD or ALLOC_WHY_RAMP */

    struct alloc_clamp_scratch scratch;
    struct alloc_evc *evc;   /* [n_evse] */
    struct alloc_vk *vk;     /* [n_controllable] */
    struct alloc_hist *hist; /* [n_evse] */
    int32_t (*unc)[3];       /* [n_circuit]: uncontrolled load at or below */
    int32_t (*sub_draw)[3];  /* [n_circuit]: fresh draws of controllable EVSEs at or below */
    int64_t (*pil)[3];       /* [n_circuit]: hold / reason sums */
    int64_t (*cnt)[3];
    int32_t (*deep)[3];  /* [n_circuit]: the deepest circuit on the way up with < 1 A room */
    int32_t (*bound)[3]; /* [n_circuit]: the most a plausible EVSE draw below it may be */

    bool ticked;
    uint64_t last_now_ms;
    struct alloc_stats stats;
};

static inline bool alloc_is_stale(uint64_t at_ms, uint64_t now_ms, uint32_t timeout_ms)
{
    return at_ms == 0 || (now_ms > at_ms && now_ms - at_ms > timeout_ms);
}

/* ---- plausibility (alloc_plaus.c) ---- */

/* A reading may exceed a bound by this plus 1/8 of the bound (cars draw a little above their
 * offer; meters and EVSEs differ by a few per cent). */
#define ALLOC_PLAUS_MARGIN_MA 3000
/* An EVSE may exceed a fresh meter above it by this plus 1/4 of the reading: the two are read
 * at different moments, and a car ramps up between them. */
#define ALLOC_PLAUS_METER_SLACK_MA 6000

int32_t alloc_plaus_margin(int32_t ma);

/* a->bound for every circuit from the ratings and the fresh meter readings. Pure. */
void alloc_plaus_bounds(struct alloc *a, const struct site_state *st, uint64_t now);

/* Checks a fresh draw s[] (per supply phase, its largest dmax) of EVSE e against its bounds:
 * ALLOC_IMPLAUSIBLE_NONE, or why not with the refused value in *bad_ma. */
uint8_t alloc_plaus_check(const struct alloc *a,
                          const struct alloc_evc *e,
                          const int32_t s[3],
                          int32_t dmax,
                          int32_t *bad_ma);

/*
 * Holds back raises: first the ramp (at most ramp_ma_per_s per second above the offer in
 * force, but always allowing a start at the minimum), then the make-before-break rule: counting
 * every EVSE at max(target, offer in force), any circuit and phase over a limit holds every
 * raise below it at the offer in force. t[] only goes down. held[i] gets ALLOC_WHY_HOLD or
 * ALLOC_WHY_RAMP. Returns how many raises were held. Pure.
 */
int alloc_hold(struct alloc *a, int32_t *t, uint8_t *held, uint64_t dt_ms);

/* True when sums of targets pil and counted current cnt break circuit ci's rules on phase p. */
static inline bool
alloc_over(const struct ampshare_policy_circuit *ci, int64_t pil, int64_t cnt, int p)
{
    int64_t cap1 = ci->limit_ma[p] > 0 ? ci->limit_ma[p] : 0;
    int64_t cap2 = (int64_t)cap1 + (ci->overcommit_ma > 0 ? ci->overcommit_ma : 0);
    return pil > cap2 || cnt > cap1;
}

/*
 * The §7.1 spike that cancels a Tesla's "6 A lock", as targets: raises t[] (the clamped targets)
 * to a Wall Connector's spike current where a rule asks for it and every circuit above has the
 * room, counting every EVSE at max(target, offer in force); lowers a car stuck at the spike to
 * spike - 2 A. st gives each unit's spike current. held[v] gets ALLOC_WHY_SPIKE where a spike
 * is in t. Returns how many targets it changed. Run before alloc_hold, which then checks the spikes
 * like any raise; alloc_spike_after forgets the spikes the hold held back. Pure.
 */
int alloc_spike(struct alloc *a, const struct site_state *st, int32_t *t, uint64_t now_ms);
void alloc_spike_after(struct alloc *a, const int32_t *t, uint8_t *held);

/* Sums of targets (pil) and counted current (cnt) per circuit and phase for targets t. */
void alloc_sums(const struct ampshare_policy_input *in,
                const int32_t *t,
                int64_t (*pil)[3],
                int64_t (*cnt)[3]);

/* Fills the reasons and circuit totals of out from the engine's arrays, and records each final
 * target in a->hist; sums_valid says a->pil and a->cnt already hold the final targets' sums. */
void alloc_explain(struct alloc *a, struct alloc_result *out, bool sums_valid);

#endif
