/* SPDX-License-Identifier: MIT */
/*
 * ampshare_policy.h: the allocation policy plugin ABI. This is the only header a policy includes.
 *
 * A policy decides, every control tick, how many milliamps each EVSE (charger) may offer. The
 * host (the ampshare controller) then clamps whatever the policy answered against every limit it
 * knows, so a policy can never overload a circuit; a good policy needs no correction, because it
 * sees everything the clamp sees. docs/policy-abi.md is the manual, with a complete example.
 *
 * Versioning (SQLite's append-only rule):
 *   - AMPSHARE_POLICY_ABI_MAJOR changes only for an incompatible change; the host refuses any
 *     other major.
 *   - AMPSHARE_POLICY_ABI_MINOR grows when fields are appended at the END of a struct. Nothing is
 *     ever removed, reordered or retyped within a major.
 *   - Every struct that crosses the boundary carries its size (struct_size, evse_size,
 *     circuit_size). Read a field added in a later minor only when the size says it is there
 *     (AMPSHARE_POLICY_HAS_FIELD). Step through the EVSE and circuit arrays with the accessors
 *     below, never with plain indexing: the host's element may be larger than the one you
 *     compiled against.
 *
 * Rules a policy must keep (the contract suite tests them):
 *   - No global or static mutable data: all state hangs off the *state pointer made by init. Two
 *     instances with different options coexist in one process.
 *   - allocate() is deterministic for a given (state, input): no I/O, no clock (time is
 *     in->now_ms), no threads, no malloc. Size scratch space in init from host->max_evse and
 *     host->max_circuit. O(n) or O(n log n) per call.
 *   - Nothing is freed across the boundary: the host owns the input and the output arrays, the
 *     policy owns what hangs off its state.
 *
 * Units: currents are int32_t milliamps (*_ma), times are uint64_t monotonic milliseconds
 * (*_ms). Phases are the three supply phases L1, L2, L3, indexed 0, 1, 2.
 *
 * Self-contained: needs only <stdbool.h>, <stddef.h> and <stdint.h>.
 */
#ifndef AMPSHARE_POLICY_H
#define AMPSHARE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AMPSHARE_POLICY_ABI_MAJOR 1
#define AMPSHARE_POLICY_ABI_MINOR 1

#if defined(__GNUC__) || defined(__clang__)
#define AMPSHARE_POLICY_EXPORT       __attribute__((visibility("default")))
#define AMPSHARE_POLICY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AMPSHARE_POLICY_EXPORT
#define AMPSHARE_POLICY_PRINTF(f, a)
#endif

/* True when a struct of size `size` (as the other side reports it) contains `field`. */
#define AMPSHARE_POLICY_HAS_FIELD(size, type, field) \
    ((size) >= offsetof(type, field) + sizeof(((type *)0)->field))

/* Supply phase bits, for phase masks. */
#define AMPSHARE_PHASE_L1  0x1u
#define AMPSHARE_PHASE_L2  0x2u
#define AMPSHARE_PHASE_L3  0x4u
#define AMPSHARE_PHASE_ALL 0x7u

/* Log levels for host->log (the syslog numbers). */
#define AMPSHARE_LOG_ERR   3
#define AMPSHARE_LOG_WARN  4
#define AMPSHARE_LOG_INFO  6
#define AMPSHARE_LOG_DEBUG 7

/* Services the host lends to a policy. Valid from init until destroy. */
struct ampshare_policy_host {
    uint32_t struct_size; /* sizeof(struct ampshare_policy_host) in the host */
    uint32_t max_evse;    /* allocate() never sees more EVSEs than this */
    uint32_t max_circuit; /* ... nor more circuits than this */
    void *ctx;            /* pass back to log() */
    /* Logs one line (no newline needed). Use it in init and on rare events, never per EVSE per
     * tick. May be NULL. */
    void (*log)(void *ctx, int level, const char *fmt, ...) AMPSHARE_POLICY_PRINTF(3, 4);
};

/* One option from the [policy] section of the site config, e.g. {"probe_every_ms", "300000"}.
 * The strings are borrowed: valid only during init, copy what you keep. */
struct ampshare_policy_option {
    const char *key;
    const char *value;
};

/* Circuit flags. */
#define AMPSHARE_CIRCUIT_F_METER_STALE 0x1u /* its meter is stale: uncontrolled_ma is assumed */

/*
 * One node of the circuit tree. Circuit 0 is the supply (the root); every other circuit's parent
 * index is smaller than its own, so a forward loop visits parents before children and a backward
 * loop children before parents.
 *
 * The host enforces, for every circuit c and every phase p, over the EVSEs below c (c included)
 * that load p:
 *   (1) sum of counted current <= limit_ma[p], where an EVSE counts its target, except an IDLE
 *       EVSE, which counts min(target, draw_ma[p]): an idle car draws nothing until it wakes;
 *   (2) sum of targets <= limit_ma[p] + overcommit_ma.
 * With overcommit_ma == 0, (2) means an idle car's offer is counted in full. With overcommit_ma
 * > 0, idle cars may keep an offer the circuit could not supply if they all woke at once; the
 * host cuts the others back on the tick that measures a wake-up (docs/allocation.md).
 */
struct ampshare_policy_circuit {
    const char *name;
    int32_t parent;             /* index of the parent; -1 for circuit 0 */
    uint8_t phases;             /* AMPSHARE_PHASE_* mask of the supply phases it carries */
    uint8_t flags;              /* AMPSHARE_CIRCUIT_F_* */
    uint16_t reserved;          /* 0 */
    int32_t rating_ma[3];       /* configured limit per phase; 0 on phases it does not carry */
    int32_t uncontrolled_ma[3]; /* metered load nothing controls, per phase, at or below here */
    int32_t limit_ma[3];        /* rating - uncontrolled, at least 0: what the EVSEs may count */
    int32_t overcommit_ma;      /* see (2) above; 0 = none */
};

/* EVSE states, as the host classifies them from measurements. */
enum ampshare_evse_state {
    AMPSHARE_EVSE_UNPLUGGED = 0, /* no car: the host forces its target to 0 */
    AMPSHARE_EVSE_IDLE = 1,      /* a car is connected and draws (almost) nothing */
    AMPSHARE_EVSE_CHARGING = 2,  /* a car draws current, or its measurement is stale */
};

/* EVSE flags. */
#define AMPSHARE_EVSE_F_STALE          0x1u /* no fresh measurement: draw_ma is the assumed draw */
#define AMPSHARE_EVSE_F_WALL_CONNECTOR 0x2u /* a Tesla Wall Connector Gen 2 (step_ma is 1000) */

/*
 * One controllable EVSE. The index of an EVSE (and of a circuit) is stable for the life of a
 * policy instance, so per-EVSE state may be kept in arrays indexed by it.
 *
 * A target must be 0 or within [min_ma, max_ma] and a multiple of step_ma; anything else is
 * corrected by the host (rounded down, or 0 below the minimum) and counted as a policy fault.
 */
struct ampshare_policy_evse {
    const char *name;
    int32_t circuit;             /* index of the circuit it hangs from */
    uint8_t phases;              /* AMPSHARE_PHASE_* mask of the supply phases it loads */
    uint8_t n_phases;            /* 1 or 3 */
    uint8_t state;               /* enum ampshare_evse_state */
    uint8_t flags;               /* AMPSHARE_EVSE_F_* */
    int32_t priority;            /* from the config; higher is more important; default 0 */
    int32_t min_ma;              /* below this a car must get 0 (IEC 61851 / J1772: 6 A) */
    int32_t max_ma;              /* the most this EVSE may be offered now (already lowered to
                                    the stale-meter budget when F_STALE) */
    int32_t step_ma;             /* targets are multiples of this (1000: whole amps) */
    int32_t offered_ma;          /* the offer in force now, as last reported or commanded */
    int32_t draw_ma[3];          /* measured current per supply phase (0 where not loaded) */
    uint64_t state_since_ms;     /* when state last changed */
    uint64_t connected_since_ms; /* when the car was plugged in; 0 when unplugged */
    uint64_t departure_ms;       /* expected departure, 0 when unknown */
    int32_t energy_wanted_wh;    /* energy still wanted, -1 when unknown */
    int32_t reserved;            /* 0 */
    /* ABI minor >= 1: read only when AMPSHARE_POLICY_HAS_FIELD(in->evse_size, ...) says so
     * (ampshare_policy_settle_start() does). Kept by the host from the measurements. */
    uint64_t offered_since_ms; /* when offered_ma (the offer in force) took effect; 0 unknown */
    /* Since when the car has drawn below its offer without a break: its largest phase draw
     * more than AMPSHARE_POLICY_BELOW_MA under offered_ma. 0 while it draws its offer (or has
     * none). A raise of the offer starts a new run (the car must be given time to follow it),
     * and so does a draw that climbs 1 A above the lowest of the run (it is still following);
     * a cut does not (a car that drew below the higher offer draws below the lower one). */
    uint64_t below_since_ms;
};

/* How far under its offer a car must draw to count as drawing below it (below_since_ms). A
 * Wall Connector's car draws its offer less about 0.8 A when it takes all (twc-gen2.md §5.3). */
#define AMPSHARE_POLICY_BELOW_MA 1500

/* What allocate() sees. Read-only and valid only during the call. */
struct ampshare_policy_input {
    uint32_t struct_size;  /* sizeof(struct ampshare_policy_input) in the host */
    uint32_t circuit_size; /* size of one element of circuit[]: use ampshare_policy_circuit_at() */
    uint32_t evse_size;    /* size of one element of evse[]: use ampshare_policy_evse_at() */
    uint32_t reserved;     /* 0 */
    uint64_t now_ms;       /* monotonic time of this tick */
    const struct ampshare_policy_circuit *circuit;
    size_t n_circuit; /* >= 1; circuit 0 is the supply */
    const struct ampshare_policy_evse *evse;
    size_t n_evse;
};

/* Reasons a policy may give for a target, shown in status output and logs. */
enum ampshare_policy_why {
    AMPSHARE_WHY_POLICY = 0, /* no particular reason (the host's default) */
    AMPSHARE_WHY_DEMAND = 1, /* following the car's measured demand */
    AMPSHARE_WHY_IDLE = 2,   /* the car is idle: paused, or kept at its minimum */
    AMPSHARE_WHY_PROBE = 3,  /* an idle car is offered current to see whether it wakes */
    AMPSHARE_WHY_SHED = 4,   /* shed in a shortage (lower priority) */
    AMPSHARE_WHY_WAIT = 5,   /* waiting for its turn (queue or rotation) */
    AMPSHARE_WHY_COUNT
};

/* Where allocate() writes. The arrays are host-owned, n_evse long, and prefilled: target_ma with
 * 0 and why with AMPSHARE_WHY_POLICY. */
struct ampshare_policy_output {
    uint32_t struct_size; /* sizeof(struct ampshare_policy_output) in the host */
    uint32_t reserved;
    int32_t *target_ma;
    uint8_t *why; /* enum ampshare_policy_why */
};

/* The policy's description of itself, returned by ampshare_policy_entry(). Static const data. */
struct ampshare_policy {
    uint16_t abi_major;   /* AMPSHARE_POLICY_ABI_MAJOR the policy was built against */
    uint16_t abi_minor;   /* ... and the minor */
    uint32_t struct_size; /* sizeof(struct ampshare_policy) at build time */
    const char *name;     /* short, stable: "fair_share" */
    const char *version;  /* the policy's own version text */
    /*
     * Makes an instance. Parses opt (n_opt entries), allocates *state. Returns 0, or a negative
     * errno value (-EINVAL for a bad or unknown option, logged through host->log naming it;
     * -ENOMEM). On failure *state is not used and destroy is not called.
     */
    int (*init)(const struct ampshare_policy_host *host,
                const struct ampshare_policy_option *opt,
                size_t n_opt,
                void **state);
    /*
     * Decides this tick's targets: out->target_ma[i] for in->evse[i]. Returns 0, or a negative
     * errno value, in which case the host uses its fallback (equal share) for this tick.
     */
    int (*allocate)(void *state,
                    const struct ampshare_policy_input *in,
                    struct ampshare_policy_output *out);
    /* Frees the instance ("free" semantics; NULL is allowed). */
    void (*destroy)(void *state);
    /* ABI minor >= 1: new members go here, never in between. */
};

/* Element i of in->circuit[], whatever the host's element size. */
static inline const struct ampshare_policy_circuit *
ampshare_policy_circuit_at(const struct ampshare_policy_input *in, size_t i)
{
    return (const struct ampshare_policy_circuit *)(const void *)((const char *)in->circuit +
                                                                  i * in->circuit_size);
}

/* Element i of in->evse[], whatever the host's element size. */
static inline const struct ampshare_policy_evse *
ampshare_policy_evse_at(const struct ampshare_policy_input *in, size_t i)
{
    return (const struct ampshare_policy_evse *)(const void *)((const char *)in->evse +
                                                               i * in->evse_size);
}

/*
 * The one symbol a plugin exports. The host calls it with its own ABI version; return NULL when
 * you cannot serve that major. The returned struct must stay valid until the plugin is unloaded.
 */
AMPSHARE_POLICY_EXPORT const struct ampshare_policy *ampshare_policy_entry(uint16_t host_abi_major,
                                                                           uint16_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif
