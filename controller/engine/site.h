/* SPDX-License-Identifier: MIT */
/*
 * The site model: the circuit tree, the EVSEs, the meters and the buses of one site, as plain
 * structs built once from a validated config (site_new) and never resized. The live readings
 * that change every tick go in a separate struct site_state, which the daemon or the simulator
 * fills and the allocation engine reads.
 *
 * Circuit 0 is the supply (the [site] section). Circuits are in depth-first order, so every
 * parent index is smaller than its children's. EVSEs keep the order of the config file.
 */
#ifndef SITE_H
#define SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/engine/config.h"
#include "policies/ampshare_policy.h"

#define SITE_NAME_MAX CFG_NAME_MAX

enum site_evse_kind {
    SITE_EVSE_WALL_CONNECTOR = 1, /* [wallconnector]: a TWC Gen 2 slave on one of our buses */
    SITE_EVSE_THIRD_PARTY = 2,    /* [evse] */
};

struct site_circuit {
    char name[SITE_NAME_MAX];
    int32_t parent;       /* -1 for circuit 0 */
    uint8_t phases;       /* AMPSHARE_PHASE_* mask */
    uint8_t depth;        /* 0 for the supply */
    int32_t rating_ma[3]; /* per supply phase; 0 on phases it does not carry */
    int32_t overcommit_ma;
    int32_t meter; /* the meter measuring it, or -1 */
    int cfg_line;
};

struct site_evse {
    /* what every tick reads comes first, in one cache line; names and addresses after */
    enum site_evse_kind kind;
    bool controllable; /* false for [evse] control = none: a metered load only */
    int32_t circuit;
    uint8_t phases;       /* mask of supply phases it loads */
    uint8_t n_phases;     /* 1 or 3 */
    uint8_t phase_map[3]; /* supply phase (0..2) of conductor i; 0xff when unused */
    int32_t min_ma;
    int32_t max_ma;            /* after clamping to its circuit */
    int32_t configured_max_ma; /* as written */
    int32_t step_ma;           /* 1000 for Wall Connectors (twc-gen2.md §5.3) */
    int32_t priority;
    int32_t stale_current_ma;  /* offer while its measurement is stale; -1: keep its offer */
    uint32_t stale_timeout_ms; /* from its meter, its bus, or the default */
    int32_t meter;             /* the meter measuring it, or -1 (then the EVSE reports) */
    int32_t bus;               /* Wall Connectors: its bus */
    uint16_t address;          /* Wall Connectors: TWC ID */
    bool address_auto;
    int32_t view; /* index among the controllable EVSEs, -1 if not controllable */
    char name[SITE_NAME_MAX];
    char control[16]; /* "modbus" / "none" / "twc" / "ocpp" */
    char ocpp_id[48];        /* control = ocpp: the charge point identity */
    uint32_t ocpp_connector; /* control = ocpp: its connector (1) */
    char control_transport[CFG_TEXT_MAX];
    uint32_t control_unit_id;       /* as given, else the model's default unit (mb_evse_model) */
    char control_map[CFG_TEXT_MAX]; /* an mb_evse_find() model, or "generic" */
    size_t n_control_keys;          /* control_map = generic: the keys for mb_evse_generic_set(), */
    const struct cfg_kv *control_keys; /* control_ taken off; borrowed from the site's copy */
    int cfg_line;
};

struct site_meter {
    char name[SITE_NAME_MAX];
    enum cfg_measures measures;
    int32_t target;       /* circuit index (0 = grid), or EVSE index */
    uint8_t n_inputs;     /* phases it reports */
    uint8_t phase_map[3]; /* supply phase of input i */
    uint32_t poll_interval_ms;
    uint32_t stale_timeout_ms;
    int32_t stale_current_ma; /* assumed load while stale; -1: the default (see alloc.h) */
    char transport[CFG_TEXT_MAX];
    uint32_t unit_id;
    char map[CFG_TEXT_MAX];        /* the map's stable name (an alias resolved), or "generic" */
    size_t n_map_keys;             /* map = generic: the keys for mb_map_generic_set(), */
    const struct cfg_kv *map_keys; /* borrowed from the site's own copy */
    int cfg_line;
};

struct site_bus {
    char name[SITE_NAME_MAX];
    char transport[CFG_TEXT_MAX];
    bool master_auto;        /* master_address = auto (the default): see ctl_twc_pick_master */
    uint16_t master_address; /* our TWC ID when not master_auto */
    uint32_t stale_timeout_ms;
    int cfg_line;
};

struct site {
    char name[SITE_NAME_MAX];
    char file[CFG_TEXT_MAX];
    uint8_t phases; /* mask */
    uint32_t voltage_v;
    int32_t charging_threshold_ma;
    int32_t ramp_up_ma_per_s; /* 0 = increases are not rate-limited */
    uint32_t control_interval_ms;
    int32_t shutdown_current_ma; /* [site] shutdown_current_a; -1: an equal share (ctl.h) */

    struct site_circuit *circuit;
    size_t n_circuit; /* >= 1 */
    struct site_evse *evse;
    size_t n_evse;
    struct site_meter *meter;
    size_t n_meter;
    struct site_bus *bus;
    size_t n_bus;

    size_t n_controllable;
    int32_t *controllable; /* site EVSE index of each controllable EVSE, in order */

    char policy[CFG_TEXT_MAX];  /* a built-in name or a .so path */
    bool policy_isolate;        /* [policy] isolate: a plugin runs in a child process */
    uint32_t policy_timeout_ms; /* [policy] timeout_ms: its budget per tick; 0 = default */
    struct ampshare_policy_option *policy_opt;
    size_t n_policy_opt;

    struct cfg_kv *kv; /* the site's own copies of policy options and generic map/model keys */
    size_t n_kv;
};

/*
 * Builds the model from cfg, which must pass cfg_validate() (site_new runs it and refuses with
 * -EINVAL and the first error in err otherwise). Allocates everything once; the caller owns
 * *out (site_free). Returns 0, -EINVAL or -ENOMEM.
 */
int site_new(const struct config *cfg, struct site **out, char *err, size_t errlen);

/* Frees a site; NULL is allowed. */
void site_free(struct site *site);

/* Index of the EVSE / circuit / meter called name, or -1. */
int site_find_evse(const struct site *site, const char *name);
int site_find_circuit(const struct site *site, const char *name);
int site_find_meter(const struct site *site, const char *name);

/* True when circuit c is circuit anc or below it. */
bool site_circuit_is_below(const struct site *site, int32_t c, int32_t anc);

/* ---- live readings ---- */

#define SITE_OFFER_UNKNOWN (-1)

/* What the EVSE's driver reports. For a Wall Connector: the heartbeat reply (twc-gen2.md §5.2:
 * the echoed limit and the actual current); for a third-party EVSE: its control driver. */
struct site_evse_input {
    bool connected;           /* a car is plugged in */
    int32_t draw_ma[3];       /* measured current per EVSE conductor (1, 2, 3); used when the
                                 EVSE has no meter. A Wall Connector reports one current: put
                                 it on each of its conductors. */
    uint64_t draw_at_ms;      /* when draw_ma was measured; 0 = never */
    int32_t offer_ma;         /* the offer the EVSE reports in force, or SITE_OFFER_UNKNOWN */
    uint64_t departure_ms;    /* expected departure, 0 if unknown */
    int32_t energy_wanted_wh; /* -1 if unknown */
    int32_t command_cap_ma;   /* a remote command's lower maximum; 0: none (zeroed = no command) */
    bool command_paused;      /* a remote command paused it: offered 0 */
    bool charge_now;          /* a remote "charge now": ask its maximum, whatever the policy */
    int32_t spike_ma;         /* a Wall Connector's §7.1 spike current (16 or 21 A); 0 = none */
};

/* What a meter reports: current per meter input (its L1, L2, L3), unsigned magnitude. */
struct site_meter_input {
    int32_t current_ma[3];
    uint64_t at_ms; /* when read; 0 = never */
};

struct site_state {
    size_t n_evse;
    struct site_evse_input *evse; /* [n_evse], site order */
    size_t n_meter;
    struct site_meter_input *meter; /* [n_meter] */
};

/* Allocates a zeroed state for site (nothing connected, nothing measured, offers unknown). */
int site_state_new(const struct site *site, struct site_state **out);

/* Frees a state; NULL is allowed. */
void site_state_free(struct site_state *st);

#endif
