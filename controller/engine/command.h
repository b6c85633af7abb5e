/* SPDX-License-Identifier: MIT */
/*
 * Remote commands (MQTT today): charge now until a time, pause and resume, a lower maximum,
 * a car's departure and the energy it wants. Each is checked against the site here, kept in a
 * table, and written every tick into the engine's input (site_evse_input), where it is one more
 * input the clamp bounds: no command can push a current past a circuit or a charger's maximum.
 * Pure: time is passed in; no I/O. Switching the policy is the daemon's (it rebuilds the engine).
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/engine/site.h"

#define COMMAND_CHARGE_NOW_MAX_S (24 * 3600)
#define COMMAND_ENERGY_MAX_WH    200000             /* a 200 kWh battery */
#define COMMAND_DEPARTURE_MAX_MS (7 * 24 * 3600000LL) /* a week ahead */

enum command_kind {
    COMMAND_CHARGE_NOW = 0, /* value: seconds (0 ends it) */
    COMMAND_PAUSE,
    COMMAND_RESUME,
    COMMAND_MAX_CURRENT,   /* value: mA; the charger's own maximum clears the cap */
    COMMAND_DEPARTURE,     /* value: wall-clock ms since 1970; 0 clears it */
    COMMAND_ENERGY_WANTED, /* value: Wh; -1 clears it */
    COMMAND_POLICY,        /* text: a policy name; the daemon's to carry out */
    COMMAND_KIND_COUNT
};

struct command {
    enum command_kind kind;
    char charger[SITE_NAME_MAX];
    int64_t value;
    char text[CFG_TEXT_MAX];
};

/* What is in force for one EVSE. */
struct command_evse {
    bool paused;
    int32_t cap_ma;           /* -1: none */
    uint64_t charge_until_ms; /* monotonic; 0: not charging now */
    int64_t departure_wall_ms;
    int32_t energy_wanted_wh; /* -1: unknown */
};

struct command_table {
    size_t n_evse;
    struct command_evse *evse; /* site order */
};

/* Sized for site; nothing in force. 0 or -ENOMEM. */
int command_table_init(struct command_table *t, const struct site *site);
void command_table_fini(struct command_table *t);

/* "charge_now", "pause", ...: the kind's name in logs and replies. */
const char *command_kind_name(enum command_kind k);

/*
 * Checks c against site and puts it in force. Returns 0, or -ENOENT (no such charger), -EPERM
 * (a metered-only charger), -ERANGE (value out of range), -EOPNOTSUPP (COMMAND_POLICY: not
 * handled here), with a reason people read in why either way ("bay1: max current 45 A is above
 * its maximum of 32 A").
 */
int command_set(struct command_table *t, const struct site *site, const struct command *c,
                uint64_t now_ms, int64_t wall_ms, char *why, size_t cap);

/* Writes what is in force into st's EVSE inputs; an expired "charge now" ends here. */
void command_apply(struct command_table *t, struct site_state *st, uint64_t now_ms,
                   int64_t wall_ms);

#endif
