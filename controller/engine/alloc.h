/* SPDX-License-Identifier: MIT */
/*
 * The allocation engine. Every tick it
 *   1. builds a view of every controllable EVSE and every circuit from the site and its live
 *      readings (state, since when, draw per phase, offer in force, staleness, uncontrolled
 *      metered loads, fail-safe budgets),
 *   2. asks the policy for targets (equal share if the policy fails),
 *   3. clamps the answer, whatever it is, against every limit (alloc_clamp),
 *   4. holds back increases until the cuts they depend on are in force, and rate-limits them,
 *   5. gives every EVSE a reason.
 * Pure: no I/O, no clock, no allocation per tick; time comes in as now_ms. docs/allocation.md
 * describes the rules and the waking-car worst case.
 */
#ifndef ALLOC_H
#define ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/engine/site.h"
#include "policies/ampshare_policy.h"

/* Why an EVSE has its target. The first six equal the policy ABI's AMPSHARE_WHY_*. */
enum alloc_why {
    ALLOC_WHY_POLICY = 0,        /* "policy" */
    ALLOC_WHY_DEMAND = 1,        /* "following its measured demand" */
    ALLOC_WHY_IDLE = 2,          /* "idle since 12:03" */
    ALLOC_WHY_PROBE = 3,         /* "probing: idle since 12:03" */
    ALLOC_WHY_SHED = 4,          /* "shed: not enough current" */
    ALLOC_WHY_WAIT = 5,          /* "waiting for its turn" */
    ALLOC_WHY_UNPLUGGED = 6,     /* "no car" */
    ALLOC_WHY_MAX = 7,           /* "at its maximum" */
    ALLOC_WHY_CIRCUIT = 8,       /* "limited by circuit garage-L2" */
    ALLOC_WHY_STALE = 9,         /* "meter stale" */
    ALLOC_WHY_HOLD = 10,         /* "raise held until cuts elsewhere are in force" */
    ALLOC_WHY_RAMP = 11,         /* "raise rate-limited" */
    ALLOC_WHY_FALLBACK = 12,     /* "policy failed: equal share" */
    ALLOC_WHY_UNCONTROLLED = 13, /* "metered only" */
    ALLOC_WHY_SPIKE = 14,        /* "spike: cancels the car's 6 A lock" (twc-gen2.md §7.1) */
    ALLOC_WHY_IMPLAUSIBLE = 15,  /* "implausible reading 655.35 A: counted as stale" */
    ALLOC_WHY_COUNT
};

/* What the clamp corrected in a policy's answer (each one is a policy fault). */
enum alloc_fix {
    ALLOC_FIX_NONE = 0,
    ALLOC_FIX_UNPLUGGED = 1, /* a target for an EVSE without a car */
    ALLOC_FIX_NEGATIVE = 2,  /* below 0 */
    ALLOC_FIX_MAX = 3,       /* above max_ma */
    ALLOC_FIX_STEP = 4,      /* not a multiple of step_ma (rounded down) */
    ALLOC_FIX_MIN = 5,       /* above 0 but below min_ma (made 0) */
    ALLOC_FIX_CIRCUIT = 6,   /* cut to fit a circuit */
    ALLOC_FIX_COUNT
};

/* Why a measured current was refused (alloc_plaus.c); such a reading counts as stale. */
enum alloc_implausible {
    ALLOC_IMPLAUSIBLE_NONE = 0,
    ALLOC_IMPLAUSIBLE_OWN_MAX = 1, /* above the EVSE's configured maximum plus a margin */
    ALLOC_IMPLAUSIBLE_RATING = 2,  /* above the rating of a circuit above it plus a margin */
    ALLOC_IMPLAUSIBLE_METER = 3,   /* above a fresh meter over it plus a slack */
};

/* "above its own maximum", ... */
const char *alloc_implausible_name(enum alloc_implausible why);

/* ---- the clamp (alloc_clamp.c) ---- */

/* Scratch for alloc_clamp: per-circuit sums and the tree order. */
struct alloc_clamp_scratch {
    size_t cap_circuit; /* circuits it can hold */
    size_t cap_evse;    /* EVSEs it can hold */
    int64_t (*pil)[3];  /* sum of targets below each circuit */
    int64_t (*nid)[3];  /* ... of EVSEs that count in full */
    int64_t (*idl)[3];  /* ... of what idle EVSEs count (their draw, at most their target) */
    uint32_t *size;     /* circuits in each subtree */
    uint32_t *pre;      /* depth-first position of each circuit */
    uint32_t *cursor;   /* scratch, cap_circuit + 1 */
    uint32_t *first;    /* by depth-first position: where its EVSEs start in order[] */
    uint32_t *order;    /* EVSE indices, by the depth-first position of their circuit */
};

/* Allocates scratch for max_circuit circuits and max_evse EVSEs. 0 or -ENOMEM. */
int alloc_clamp_scratch_init(struct alloc_clamp_scratch *s, size_t max_circuit, size_t max_evse);
void alloc_clamp_scratch_fini(struct alloc_clamp_scratch *s);

/*
 * The safety clamp: turns any policy answer raw[] into targets out[] that keep, for every EVSE
 * and every circuit and phase of the view in:
 *   - out = 0, or step_ma | out and min_ma <= out <= max_ma; 0 when UNPLUGGED;
 *   - the two rules of struct ampshare_policy_circuit (counted current <= limit_ma; sum of
 *     targets <= limit_ma + overcommit_ma).
 * Targets only ever go down. fix[i] / fix_circuit[i] (either may be NULL) receive the last
 * correction made to EVSE i (the one that set its final target) and, for ALLOC_FIX_CIRCUIT,
 * the circuit. Returns the number of EVSEs
 * corrected, or -EINVAL for a malformed view (then every out[i] is 0), -EMSGSIZE when the
 * scratch is too small (likewise). Pure; O(n + circuits) when nothing needs cutting, plus the
 * EVSEs below each cut circuit (so at most O(n x depth)).
 */
int alloc_clamp(const struct ampshare_policy_input *in,
                const int32_t *raw,
                int32_t *out,
                uint8_t *fix,
                int32_t *fix_circuit,
                struct alloc_clamp_scratch *s);

/* ---- the engine ---- */

struct alloc_evse_result {
    int32_t target_ma;      /* the offer to send now (0 for an uncontrolled EVSE) */
    int32_t policy_ma;      /* what the policy asked */
    int32_t offered_ma;     /* the offer in force before this tick */
    int32_t draw_ma[3];     /* per supply phase, as used (assumed when stale) */
    uint8_t state;          /* enum ampshare_evse_state */
    uint8_t why;            /* enum alloc_why */
    uint8_t fix;            /* enum alloc_fix: what the clamp corrected */
    bool stale;             /* no fresh plausible measurement: the fail-safe budget */
    uint8_t implausible;    /* enum alloc_implausible: its reading was refused this tick */
    bool implausible_new;   /* ... and it was not on the tick before: log it now, once */
    int32_t implausible_ma; /* the refused reading (mA), for the log line; else 0 */
    int32_t why_circuit;    /* the circuit for ALLOC_WHY_CIRCUIT, else -1 */
    uint64_t since_ms;      /* when the state began */
};

struct alloc_circuit_result {
    int32_t limit_ma[3];        /* what the EVSEs may count: rating - uncontrolled */
    int32_t uncontrolled_ma[3]; /* metered load nothing controls (assumed when stale) */
    int32_t offered_ma[3];      /* sum of targets below it */
    int32_t counted_ma[3];      /* sum of counted current below it (idle cars by draw) */
    bool meter_stale;
};

struct alloc_result {
    size_t n_evse;                  /* = site->n_evse */
    struct alloc_evse_result *evse; /* site order */
    size_t n_circuit;               /* = site->n_circuit */
    struct alloc_circuit_result *circuit;
    uint32_t corrections; /* EVSEs the clamp corrected this tick (policy faults) */
    uint32_t held;        /* raises held back this tick (hold or ramp) */
    uint32_t implausible; /* EVSEs whose reading was refused this tick (counted as stale) */
    int policy_rc;        /* 0, or the policy's error code (equal share was used instead) */
};

/* Cumulative counters since alloc_new. */
struct alloc_stats {
    uint64_t ticks;
    uint64_t policy_errors;
    uint64_t implausible;            /* EVSE-ticks with a refused reading */
    uint64_t fixes[ALLOC_FIX_COUNT]; /* EVSE-ticks corrected, by cause (fixes[0] stays 0) */
};

struct alloc;

/*
 * Makes an engine for site (borrowed: must outlive the engine) running policy (borrowed, e.g.
 * from policy_open) with the site's [policy] options. Allocates everything a tick needs. Returns
 * 0, -ENOMEM, or the policy's init error with a message in err.
 */
int alloc_new(const struct site *site,
              const struct ampshare_policy *policy,
              struct alloc **out,
              char *err,
              size_t errlen);

/* Destroys the policy instance and frees the engine; NULL is allowed. */
void alloc_free(struct alloc *a);

/* Allocates a result sized for site; alloc_result_free releases it (NULL allowed). */
int alloc_result_new(const struct site *site, struct alloc_result **out);
void alloc_result_free(struct alloc_result *r);

/*
 * One control tick at now_ms (monotonic, never going backwards) from the readings in st.
 * Writes every EVSE's target and reason into out. Returns 0, or -EINVAL when st or out does not
 * match the site. No allocation, no I/O.
 */
int alloc_tick(struct alloc *a,
               const struct site_state *st,
               uint64_t now_ms,
               struct alloc_result *out);

/* The view the policy saw on the last tick (borrowed; valid until the next alloc_tick). */
const struct ampshare_policy_input *alloc_last_view(const struct alloc *a);

const struct alloc_stats *alloc_get_stats(const struct alloc *a);

/* Short names: alloc_why_name(ALLOC_WHY_CIRCUIT) = "circuit"; alloc_fix_name(...) likewise. */
const char *alloc_why_name(enum alloc_why why);
const char *alloc_fix_name(enum alloc_fix fix);

/*
 * Writes the reason as people read it: "limited by circuit garage-L2", "idle since 12:03",
 * "meter stale". Times print as local wall-clock time when wall_offset_ms (wall-clock ms minus
 * monotonic ms) is not 0, else as a duration ("idle for 4 min"). Returns the length or
 * -EMSGSIZE.
 */
int alloc_why_format(const struct site *site,
                     const struct alloc_evse_result *r,
                     uint64_t now_ms,
                     int64_t wall_offset_ms,
                     char *buf,
                     size_t cap);

#endif
