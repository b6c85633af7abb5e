/* SPDX-License-Identifier: MIT */
/*
 * EVSEs whose charging current ampshare can set over Modbus. A model is data (registers, units,
 * range, enable, state, watchdog) plus a small vtable; every built-in model uses the
 * register-driven operations, and a model that needs code (a duty-cycle EVSE, say) brings its own.
 *
 * An EVSE that is only metered (no model here) is a load the controller subtracts, not a knob.
 */
#ifndef MB_EVSE_H
#define MB_EVSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/modbus/mb_bus.h"

/* IEC 61851-1 control pilot states. */
enum mb_evse_state {
    MB_EVSE_STATE_UNKNOWN = 0,
    MB_EVSE_STATE_A = 1, /* no vehicle */
    MB_EVSE_STATE_B = 2, /* vehicle connected, not charging */
    MB_EVSE_STATE_C = 3, /* charging */
    MB_EVSE_STATE_D = 4, /* charging, ventilation required */
    MB_EVSE_STATE_E = 5, /* no power / short circuit */
    MB_EVSE_STATE_F = 6, /* EVSE not available / fault */
};

enum mb_evse_enable_kind {
    MB_EVSE_ENABLE_NONE = 0,     /* no enable: pausing needs a zero setpoint */
    MB_EVSE_ENABLE_COIL = 1,     /* fc 5 */
    MB_EVSE_ENABLE_REGISTER = 2, /* fc 6, with on/off values */
};

enum mb_evse_state_format {
    MB_EVSE_STATE_NONE = 0,
    MB_EVSE_STATE_LETTER_HIGH = 1, /* ASCII 'A'..'F' in the high byte (Phoenix EV-SER) */
    MB_EVSE_STATE_LETTER_LOW = 2,  /* ASCII 'A'..'F' in the low byte (Phoenix EV-ETH) */
    MB_EVSE_STATE_HEIDELBERG = 3,  /* 2-3 A, 4-5 B, 6-7 C, 8 D, 9 E, 10 F */
    MB_EVSE_STATE_EVSE_DIN = 4,    /* 1 ready (A), 2 EV present (B), 3 charging (C),
                                      4 ventilation (D), 5 failure (F) */
};

enum mb_evse_keepalive_kind {
    MB_EVSE_KEEPALIVE_NONE = 0,
    MB_EVSE_KEEPALIVE_TRAFFIC = 1, /* any transaction resets the watchdog (Heidelberg) */
    MB_EVSE_KEEPALIVE_WRITE = 2,   /* write keepalive_value to keepalive_reg */
};

struct mb_evse_model;

/* Operations. Each does I/O on bus for unit and returns 0 or a negative code. */
struct mb_evse_ops {
    /* One-time configuration after (re)connecting: watchdog, fail-safe current. May be NULL. */
    int (*setup)(const struct mb_evse_model *m,
                 struct mb_bus *bus,
                 uint8_t unit,
                 int32_t failsafe_ma);
    /* Writes a setpoint that mb_evse_check_current() accepted (0 only where zero pauses). */
    int (*set_current_ma)(const struct mb_evse_model *m,
                          struct mb_bus *bus,
                          uint8_t unit,
                          int32_t ma);
    /* -ENOTSUP when the model has no enable. */
    int (*enable)(const struct mb_evse_model *m, struct mb_bus *bus, uint8_t unit, bool on);
    /* -ENOTSUP when the model has no state register. */
    int (*read_state)(const struct mb_evse_model *m,
                      struct mb_bus *bus,
                      uint8_t unit,
                      enum mb_evse_state *out);
    /* Keeps a watchdog alive; 0 when the model has none. */
    int (*keepalive)(const struct mb_evse_model *m, struct mb_bus *bus, uint8_t unit);
};

struct mb_evse_model {
    const char *name;   /* stable, used in config: "heidelberg-ec" */
    const char *model;  /* human name */
    const char *source; /* where the registers come from */
    const struct mb_evse_ops *ops;
    uint8_t default_unit;
    uint16_t gap_ms; /* quiet time the device wants between frames */

    uint16_t current_reg;
    uint8_t current_fc;   /* 6 or 16 */
    int8_t current_exp10; /* one register step is 10^exp10 A: 0 = 1 A, -1 = 0.1 A */
    int32_t min_ma, max_ma;
    bool zero_pauses; /* a zero setpoint is accepted and stops charging */

    uint8_t enable_kind; /* enum mb_evse_enable_kind */
    uint16_t enable_addr;
    uint16_t enable_on, enable_off; /* register values for MB_EVSE_ENABLE_REGISTER */

    uint8_t state_format; /* enum mb_evse_state_format */
    uint8_t state_fc;     /* 3 or 4 */
    uint16_t state_reg;

    uint8_t keepalive_kind; /* enum mb_evse_keepalive_kind */
    uint32_t keepalive_ms;  /* period; 0 = none */
    uint16_t keepalive_reg, keepalive_value;

    bool has_watchdog; /* a watchdog timeout register, written at setup: */
    uint16_t watchdog_reg;
    uint16_t watchdog_ms; /* the timeout written (ms) */
    bool has_failsafe;    /* a register holding the current applied when the watchdog expires */
    uint16_t failsafe_reg;
    int32_t failsafe_ma; /* its default (mA), written at setup */
    uint8_t n_setup;     /* other registers written once at setup */
    uint16_t setup_reg[2];
    uint16_t setup_value[2];
};

/* The register-driven operations every built-in model uses. */
extern const struct mb_evse_ops mb_evse_register_ops;

/* Finds a built-in model by stable name. NULL when unknown. */
const struct mb_evse_model *mb_evse_find(const char *name);
size_t mb_evse_count(void);
const struct mb_evse_model *mb_evse_at(size_t i);

/* Checks a setpoint against the model: 0, or -ERANGE when ma is outside min..max (and not a
 * zero the model can apply, by a zero setpoint or by its enable). Pure. */
int mb_evse_check_current(const struct mb_evse_model *m, int32_t ma);

/*
 * The register value for a setpoint: whole register steps, rounded DOWN (a limit must never be
 * exceeded: 15.99 A becomes 15 A on a 1 A model, 15.9 A on a 0.1 A model). Pure.
 * @return 0 and *word; -ERANGE as mb_evse_check_current(), or when zero cannot be written.
 */
int mb_evse_current_word(const struct mb_evse_model *m, int32_t ma, uint16_t *word);

/* The setpoint a current register value means (the inverse of mb_evse_current_word). Pure. */
int32_t mb_evse_word_ma(const struct mb_evse_model *m, uint16_t word);

/*
 * Reads back the offer the EVSE has in force: its current register (fc 3) and, for a model with
 * an enable, the enable (a disabled EVSE offers 0). Returns 0 and *ma, or the read's code.
 */
int mb_evse_read_offer(const struct mb_evse_model *m,
                       struct mb_bus *bus,
                       uint8_t unit,
                       int32_t *ma);

/* The state a register value means for the model. Pure. */
enum mb_evse_state mb_evse_decode_state(const struct mb_evse_model *m, uint16_t word);

/* "A".."F", or "?" for unknown. */
const char *mb_evse_state_name(enum mb_evse_state s);

/*
 * Applies a setpoint the way the model allows: ma > 0 writes the current and then enables;
 * ma == 0 disables when the model has an enable, or writes zero where that pauses.
 * @param[in,out] enabled  the enable state last written (NULL = unknown: always write it)
 */
int mb_evse_apply(
    const struct mb_evse_model *m, struct mb_bus *bus, uint8_t unit, int32_t ma, bool *enabled);

/* Checks a model's consistency. Returns 0 or -EINVAL with a message in err. */
int mb_evse_validate(const struct mb_evse_model *m, char *err, size_t errlen);

/* ---- generic model built from config keys (docs/modbus.md) ---- */

struct mb_evse_custom {
    struct mb_evse_model model;
    char name[48];
    bool have_current_reg;
};

void mb_evse_generic_init(struct mb_evse_custom *c, const char *name);

/* Applies one INI key. Returns 0, -ENOENT for an unknown key, -EINVAL with a message in err. */
int mb_evse_generic_set(
    struct mb_evse_custom *c, const char *key, const char *value, char *err, size_t errlen);

/* Validates the whole model. Returns 0 or -EINVAL with a message. */
int mb_evse_generic_finish(struct mb_evse_custom *c, char *err, size_t errlen);

#endif
