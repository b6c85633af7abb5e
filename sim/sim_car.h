/* SPDX-License-Identifier: MIT */
/*
 * A simulated electric car behind a Wall Connector: what it draws for a given offer, and when.
 * Pure and deterministic: time comes in as now_ms, randomness from a PRNG kept in the struct.
 * Figures come from twc-gen2.md §5.2, §5.3, §6.4, §7.1 and §7.2; docs/simulator.md explains them.
 */
#ifndef SIM_CAR_H
#define SIM_CAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_car_kind {
    SIM_CAR_TESLA = 1, /* talks CAN to the TWC: a VIN on 4.5.3 (§7.4) */
    SIM_CAR_OTHER = 2, /* a non-Tesla on a J1772 adapter (e.g. a BMW i3): no VIN, zeros (§4.2) */
};

/* What the car is doing. The slave turns this into a state code (§5.2). */
enum sim_car_phase {
    SIM_CAR_UNPLUGGED = 0,
    SIM_CAR_WAITING = 1,  /* plugged in, wants energy, no usable offer yet */
    SIM_CAR_WAKING = 2,   /* usable offer seen; starts after start_delay_ms or wake_ms (§7.1) */
    SIM_CAR_STARTING = 3, /* contactor closed, ramping 0 -> about 1.3 A (state 08, §5.2) */
    SIM_CAR_CHARGING = 4, /* following the offer (state 01) */
    SIM_CAR_FULL = 5,     /* wants nothing more, draws 0 (state 03, or 00 just after a wake) */
    SIM_CAR_STOPPED = 6,  /* offer cut below its minimum: stopped cleanly, state 03 (§7.1 P1) */
    SIM_CAR_FAULTED = 7,  /* refuses to charge until re-plugged (§6.4, §7.1 FC B2): state 03 */
};

#define SIM_CAR_VIN_LEN 17

struct sim_car_cfg {
    enum sim_car_kind kind;
    char name[24];                 /* for people: "tesla", "bmw-i3" */
    char vin[SIM_CAR_VIN_LEN + 1]; /* Teslas only; ignored (all zero on the wire) for others */
    int32_t max_ma;                /* on-board charger limit: the car never draws more */
    int32_t min_ma;                /* below this offer the car stops (5 A, §5.3) */
    int32_t offset_ma;             /* draws offer - offset: 800 mA (§5.3, TWCManager's model) */
    int32_t noise_ma;              /* +- uniform jitter on the draw; 0 = exact */
    int64_t energy_wanted_wh;      /* energy until full; 0 = full/idle now; < 0 = never full */
    uint32_t voltage_v;            /* per phase, for the energy count */
    uint32_t phases;               /* 1 or 3 */
    uint32_t start_delay_ms;  /* awake car: usable offer -> contactor (§7.1 "within about 10 s") */
    uint32_t wake_ms;         /* asleep car: the same (§7.1 Waking: up to about 15 min) */
    uint32_t start_ramp_ms;   /* state 08: 0 -> start_draw_ma (§5.2, §7.2) */
    int32_t start_draw_ma;    /* about 1300 mA (§5.2) */
    uint32_t follow_delay_ms; /* a raise starts to show after this (§7.2) */
    uint32_t raise_ms;        /* then ramps to the new draw over this: 5-10 s in all (§7.2) */
    uint32_t cut_ms;          /* a cut is followed within this (§7.2 "faster") */
    uint32_t
        stop_confirm_ms; /* a zero offer stops the car only if it lasts this long; 0 = at once */
    uint32_t awake_ms;   /* a full Tesla woken by an offer shows 00 this long (§5.2) */
    uint32_t sleep_after_ms; /* a car idle this long falls asleep; 0 = never */
    bool asleep;             /* asleep when plugged in */
    uint32_t max_comm_drops; /* Teslas refuse to resume after this many comm losses (§6.4) */
    /* §7.1 "6 A lock" (off by default): any raise while charging drops the car to its 6 A step
     * (6 A - offset, 5.2 A) whatever it is offered, until it has been offered at least
     * lock_clear_ma for lock_clear_ms without a break (TWCManager's spike: 16 A works on every
     * unit, 21 A is what it sends to 80 A units; 5 s, 3 s was not enough). */
    bool lock_6a;
    int32_t lock_clear_ma;
    uint32_t lock_clear_ms;
    /* The battery (battery_kwh 0: none modelled, the car never tapers, as the seed's cars): its
     * usable kWh, its state of charge at plug-in (0..1) and its taper: above taper_soc the most it
     * takes falls linearly to taper_end_ma at 100 % (sim_car_taper_ma). The limit is re-read
     * every SIM_CAR_TAPER_STEP_MS of virtual time while it charges. */
    double battery_kwh;
    double soc0;
    double taper_soc; /* < 1 */
    int32_t taper_end_ma;
    /* A scheduled wake-up once full (a pre-conditioning run, a timer): from full_wake_at_ms
     * (virtual time; 0: never), or when it is full after that, it draws min(offer - offset,
     * full_wake_ma) for full_wake_for_ms, once per plug-in. */
    uint64_t full_wake_at_ms;
    int32_t full_wake_ma;
    uint32_t full_wake_for_ms;
    uint64_t seed; /* PRNG seed for the jitter */
};

/* The taper's limit is re-read at every multiple of this (absolute virtual time), so that the
 * draw does not depend on when a caller steps the car (event time and lockstep agree). */
#define SIM_CAR_TAPER_STEP_MS 10000u

struct sim_car {
    struct sim_car_cfg cfg;
    enum sim_car_phase phase;
    bool asleep;
    int32_t offer_ma;     /* last offer seen (the slave's limit, 0 with the contactor open) */
    int32_t draw_ma;      /* current draw, jitter included, as of last_ms */
    int32_t ramp_from_ma; /* draw ramps linearly from ramp_from_ma at ramp_t0 ... */
    int32_t ramp_to_ma;   /* ... to ramp_to_ma at ramp_t1 (jitter excluded) */
    uint64_t ramp_t0, ramp_t1;
    uint64_t phase_until_ms; /* end of WAKING / STARTING, and of the "awake" window when FULL */
    bool pausing;            /* charging, offer below minimum, not yet confirmed as a stop */
    uint64_t pause_until_ms; /* when a pause becomes a stop */
    uint64_t idle_since_ms;  /* for sleep_after_ms */
    uint64_t last_ms;
    uint64_t delivered_mw_ms; /* energy delivered since plug-in, milliwatt-milliseconds */
    uint32_t comm_drops;      /* comm losses in this plug session */
    bool locked;              /* in the 6 A lock (cfg.lock_6a) */
    uint64_t clear_since_ms;  /* locked: since when the offer is >= lock_clear_ma; 0 = it is not */
    int32_t taper_ma;         /* the taper's limit as of the last taper step; INT32_MAX: none */
    uint64_t rng;
    uint64_t settled_ms; /* stepped to this time with no change since (SIM_CAR_UNSETTLED: none) */
    bool woke;           /* its scheduled wake-up has begun (cfg.full_wake_at_ms) ... */
    uint64_t woke_until_ms; /* ... and lasts until this */
};

#define SIM_CAR_UNSETTLED UINT64_MAX

/* The most a battery at soc (0..1) takes: max_ma up to taper_soc (< 1), then falling linearly to
 * end_ma at 100 %. The one copy of the taper: fast mode's fleet model calls it too. */
int32_t sim_car_taper_ma(int32_t max_ma, double taper_soc, int32_t end_ma, double soc);

/* State of charge (0..1) from soc0 and the energy delivered since plug-in; cfg.soc0 without a
 * battery. */
double sim_car_soc(const struct sim_car *car);

/* Fills cfg with defaults for a named car ("tesla", "bmw-i3", "none"). Returns 0, or -ENOENT for an
 * unknown name. "none" returns 0 with cfg->kind = 0: no car plugged in. */
int sim_car_cfg_preset(struct sim_car_cfg *cfg, const char *name);

/* Starts a car, plugged in at now_ms. Copies cfg. Returns 0, or -EINVAL for a bad cfg. */
int sim_car_init(struct sim_car *car, const struct sim_car_cfg *cfg, uint64_t now_ms);

/* Advances the car to now_ms (draw, energy, phase timers). now_ms earlier than the last call is
 * treated as the last call's time. */
void sim_car_step(struct sim_car *car, uint64_t now_ms);

/* The offer changed (the limit the Wall Connector passes on, mA; 0 = none or contactor open). */
void sim_car_set_offer(struct sim_car *car, uint64_t now_ms, int32_t offer_ma);

void sim_car_plug(struct sim_car *car, uint64_t now_ms);
void sim_car_unplug(struct sim_car *car, uint64_t now_ms);

/*
 * The car wants energy again (a charge timer, preconditioning, the owner pressed "charge"):
 * energy_wh more from now, or < 0 for "never full". A full car then waits for a usable offer like
 * a newly plugged-in one, and starts after start_delay_ms (wake_ms if asleep) when its present
 * offer is already usable (§7.1 Waking). Does nothing without a car, for a faulted one, or with
 * energy_wh = 0.
 */
void sim_car_want(struct sim_car *car, uint64_t now_ms, int64_t energy_wh);

/* The car is full from now on: it stops drawing and stays plugged in (state 03). Does nothing
 * without a car or for a faulted one. */
void sim_car_full(struct sim_car *car, uint64_t now_ms);

/* True while the car is in the 6 A lock (cfg.lock_6a). */
bool sim_car_is_locked(const struct sim_car *car);

/* The Wall Connector lost its master for long enough that the car stopped (§6.4): it waits for a
 * new offer, and a Tesla refuses to resume after max_comm_drops of these in one plug session. */
void sim_car_comm_lost(struct sim_car *car, uint64_t now_ms);

/* The contactor was opened under load by FC B2 (§7.1): a Tesla refuses until re-plugged; other
 * cars wait for the next offer. */
void sim_car_contactor_opened(struct sim_car *car, uint64_t now_ms);

/* Draw in mA as of the last step. */
int32_t sim_car_draw_ma(const struct sim_car *car);

/* Returns true while a full car counts as just woken (a Tesla shows state 00, §5.2). */
bool sim_car_is_awake_full(const struct sim_car *car, uint64_t now_ms);

/* Delivered energy since plug-in, Wh (rounded down). */
int64_t sim_car_delivered_wh(const struct sim_car *car);

/* The earliest time after now_ms when the car changes without new input (a phase ends, a ramp
 * ends, its taper is re-read), or UINT64_MAX. */
uint64_t sim_car_next_ms(const struct sim_car *car, uint64_t now_ms);

/* "unplugged", "waiting", ... Static storage. */
const char *sim_car_phase_name(enum sim_car_phase phase);

#endif
