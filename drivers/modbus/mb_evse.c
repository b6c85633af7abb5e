/* SPDX-License-Identifier: MIT */
/*
 * Controllable EVSE models (modbus-maps.md §3.8 for every register below) and the
 * register-driven operations they share.
 */
#include "drivers/modbus/mb_evse.h"

#include <string.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_internal.h"

// clang-format off
static const struct mb_evse_model models[] = {
    {
        .name = "phoenix-ev-ser",
        .model = "Phoenix Contact EV-CC-AC1-M3 ... SER (Modbus RTU)",
        .source = "modbus-maps.md §3.8 (evcc charger/phoenix-ev-ser.go)",
        .ops = &mb_evse_register_ops,
        .default_unit = 1,
        .current_reg = 22000, .current_fc = 6, .current_exp10 = 0, /* holding 22000, whole A */
        .min_ma = 6000,   /* evcc refuses < 6 A; IEC 61851 minimum */
        .max_ma = 80000,  /* the PWM scale ends at 80 A (96 % duty, §3.8 J1772 table) */
        .enable_kind = MB_EVSE_ENABLE_COIL, .enable_addr = 20000,   /* coil 20000 */
        .state_format = MB_EVSE_STATE_LETTER_HIGH, .state_fc = 4, .state_reg = 24000,
    },
    {
        .name = "phoenix-ev-eth",
        .model = "Phoenix Contact EV-CC-AC1-M3-...-ETH (Modbus TCP, DIP switch 10 on)",
        .source = "modbus-maps.md §3.8 (evcc charger/phoenix-ev-eth.go)",
        .ops = &mb_evse_register_ops,
        .default_unit = 255,
        .current_reg = 528, .current_fc = 6, .current_exp10 = 0,   /* holding 528, whole A */
        .min_ma = 6000, .max_ma = 80000,
        .enable_kind = MB_EVSE_ENABLE_COIL, .enable_addr = 400,     /* coil 400 */
        .state_format = MB_EVSE_STATE_LETTER_LOW, .state_fc = 4, .state_reg = 100,
    },
    {
        .name = "phoenix-ev-eth-wallbe",
        .model = "Wallbe (Phoenix EV-ETH with Wallbe firmware: 0.1 A setpoints)",
        .source = "modbus-maps.md §3.8 (evcc charger/phoenix-ev-eth.go, Wallbe detection)",
        .ops = &mb_evse_register_ops,
        .default_unit = 255,
        .current_reg = 528, .current_fc = 6, .current_exp10 = -1,  /* holding 528, 0.1 A */
        .min_ma = 6000, .max_ma = 80000,
        .enable_kind = MB_EVSE_ENABLE_COIL, .enable_addr = 400,
        .state_format = MB_EVSE_STATE_LETTER_LOW, .state_fc = 4, .state_reg = 100,
    },
    {
        .name = "heidelberg-ec",
        .model = "Heidelberg Energy Control (Modbus RTU, 19200 8E1)",
        .source = "modbus-maps.md §3.8 (evcc charger/heidelberg-ec.go, issue #15437)",
        .ops = &mb_evse_register_ops,
        .default_unit = 1,
        .gap_ms = 100,                                  /* evcc: 100 ms between frames */
        .current_reg = 261, .current_fc = 16, .current_exp10 = -1, /* 0.1 A: 0 or 60-160 */
        .min_ma = 6000, .max_ma = 16000,
        .zero_pauses = true,
        .enable_kind = MB_EVSE_ENABLE_NONE,
        .state_format = MB_EVSE_STATE_HEIDELBERG, .state_fc = 4, .state_reg = 5,
        /* Any request resets the watchdog; evcc polls at timeout / 4 (§5.2). */
        .keepalive_kind = MB_EVSE_KEEPALIVE_TRAFFIC, .keepalive_ms = 15000 / 4,
        .has_watchdog = true, .watchdog_reg = 257, .watchdog_ms = 15000,
        /* When ampshare falls silent the box drops to this current: 0 cannot overload a
         * circuit whatever else happens. */
        .has_failsafe = true, .failsafe_reg = 262, .failsafe_ma = 0,
        .n_setup = 1, .setup_reg = {258}, .setup_value = {4}, /* standby off: keeps the bus up */
    },
};

// clang-format on

size_t mb_evse_count(void)
{
    return sizeof(models) / sizeof(models[0]);
}

const struct mb_evse_model *mb_evse_at(size_t i)
{
    return i < mb_evse_count() ? &models[i] : NULL;
}

const struct mb_evse_model *mb_evse_find(const char *name)
{
    for (size_t i = 0; name && i < mb_evse_count(); i++) {
        if (strcmp(name, models[i].name) == 0) {
            return &models[i];
        }
    }
    return NULL;
}

static int32_t step_ma(const struct mb_evse_model *m)
{
    return m->current_exp10 == 0 ? 1000 : m->current_exp10 == -1 ? 100 : 10;
}

int mb_evse_check_current(const struct mb_evse_model *m, int32_t ma)
{
    if (ma == 0) {
        return m->zero_pauses || m->enable_kind != MB_EVSE_ENABLE_NONE ? 0 : -ERANGE;
    }
    return ma >= m->min_ma && ma <= m->max_ma ? 0 : -ERANGE;
}

int mb_evse_current_word(const struct mb_evse_model *m, int32_t ma, uint16_t *word)
{
    if (ma == 0 && !m->zero_pauses) {
        return -ERANGE;
    }
    int rc = mb_evse_check_current(m, ma);
    if (rc < 0) {
        return rc;
    }
    /* Rounded down: the EVSE must never be told more than the controller allowed. */
    int32_t w = ma / step_ma(m);
    if (w > UINT16_MAX) {
        return -ERANGE;
    }
    *word = (uint16_t)w;
    return 0;
}

int32_t mb_evse_word_ma(const struct mb_evse_model *m, uint16_t word)
{
    return (int32_t)word * step_ma(m);
}

int mb_evse_read_offer(const struct mb_evse_model *m, struct mb_bus *bus, uint8_t unit, int32_t *ma)
{
    uint16_t w;
    int rc = mb_bus_read_regs(bus, unit, 3, m->current_reg, 1, &w);
    if (rc < 0) {
        return rc;
    }
    bool on = true;
    if (m->enable_kind == MB_EVSE_ENABLE_COIL) {
        uint8_t bit = 0;
        rc = mb_bus_read_coils(bus, unit, m->enable_addr, 1, &bit);
        on = bit != 0;
    } else if (m->enable_kind == MB_EVSE_ENABLE_REGISTER) {
        uint16_t e = 0;
        rc = mb_bus_read_regs(bus, unit, 3, m->enable_addr, 1, &e);
        on = e == m->enable_on;
    }
    if (rc == 0) {
        *ma = on ? mb_evse_word_ma(m, w) : 0;
    }
    return rc;
}

enum mb_evse_state mb_evse_decode_state(const struct mb_evse_model *m, uint16_t word)
{
    int c;
    switch (m->state_format) {
    case MB_EVSE_STATE_LETTER_HIGH:
    case MB_EVSE_STATE_LETTER_LOW:
        c = m->state_format == MB_EVSE_STATE_LETTER_HIGH ? word >> 8 : word & 0xFF;
        return c >= 'A' && c <= 'F' ? (enum mb_evse_state)(c - 'A' + 1) : MB_EVSE_STATE_UNKNOWN;
    case MB_EVSE_STATE_HEIDELBERG: /* evcc heidelberg-ec.go Status() */
        if (word >= 2 && word <= 7) {
            return (enum mb_evse_state)(word / 2);
        }
        return word == 8    ? MB_EVSE_STATE_D
               : word == 9  ? MB_EVSE_STATE_E
               : word == 10 ? MB_EVSE_STATE_F
                            : MB_EVSE_STATE_UNKNOWN;
    case MB_EVSE_STATE_EVSE_DIN: /* register 1002 */
        return word >= 1 && word <= 4 ? (enum mb_evse_state)word
               : word == 5            ? MB_EVSE_STATE_F
                                      : MB_EVSE_STATE_UNKNOWN;
    default:
        return MB_EVSE_STATE_UNKNOWN;
    }
}

const char *mb_evse_state_name(enum mb_evse_state s)
{
    static const char *const names[] = {"?", "A", "B", "C", "D", "E", "F"};
    return (int)s >= 0 && (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* ---- register-driven operations ---- */

static int write_one(struct mb_bus *bus, uint8_t unit, uint8_t fc, uint16_t reg, uint16_t value)
{
    return mb_bus_write_regs(bus, unit, fc, reg, 1, &value);
}

static int
reg_setup(const struct mb_evse_model *m, struct mb_bus *bus, uint8_t unit, int32_t failsafe_ma)
{
    int rc = 0;
    for (size_t i = 0; i < m->n_setup && rc == 0; i++) {
        rc = write_one(bus, unit, m->current_fc, m->setup_reg[i], m->setup_value[i]);
    }
    if (rc == 0 && m->has_watchdog) {
        rc = write_one(bus, unit, m->current_fc, m->watchdog_reg, m->watchdog_ms);
    }
    if (rc == 0 && m->has_failsafe) {
        uint16_t w;
        rc = mb_evse_current_word(m, failsafe_ma, &w);
        if (rc == 0) {
            rc = write_one(bus, unit, m->current_fc, m->failsafe_reg, w);
        }
    }
    return rc;
}

static int
reg_set_current(const struct mb_evse_model *m, struct mb_bus *bus, uint8_t unit, int32_t ma)
{
    uint16_t w;
    int rc = mb_evse_current_word(m, ma, &w);
    if (rc < 0) {
        return rc;
    }
    return write_one(bus, unit, m->current_fc, m->current_reg, w);
}

static int reg_enable(const struct mb_evse_model *m, struct mb_bus *bus, uint8_t unit, bool on)
{
    switch (m->enable_kind) {
    case MB_EVSE_ENABLE_COIL:
        return mb_bus_write_coil(bus, unit, m->enable_addr, on);
    case MB_EVSE_ENABLE_REGISTER:
        return write_one(bus, unit, 6, m->enable_addr, on ? m->enable_on : m->enable_off);
    default:
        return -ENOTSUP;
    }
}

static int reg_read_state(const struct mb_evse_model *m,
                          struct mb_bus *bus,
                          uint8_t unit,
                          enum mb_evse_state *out)
{
    if (m->state_format == MB_EVSE_STATE_NONE) {
        return -ENOTSUP;
    }
    uint16_t w;
    int rc = mb_bus_read_regs(bus, unit, m->state_fc, m->state_reg, 1, &w);
    if (rc == 0) {
        *out = mb_evse_decode_state(m, w);
    }
    return rc;
}

static int reg_keepalive(const struct mb_evse_model *m, struct mb_bus *bus, uint8_t unit)
{
    enum mb_evse_state s;
    switch (m->keepalive_kind) {
    case MB_EVSE_KEEPALIVE_TRAFFIC: {
        if (m->state_format != MB_EVSE_STATE_NONE) {
            return reg_read_state(m, bus, unit, &s);
        }
        uint16_t w;
        return mb_bus_read_regs(bus, unit, 3, m->current_reg, 1, &w);
    }
    case MB_EVSE_KEEPALIVE_WRITE:
        return write_one(bus, unit, m->current_fc, m->keepalive_reg, m->keepalive_value);
    default:
        return 0;
    }
}

const struct mb_evse_ops mb_evse_register_ops = {
    .setup = reg_setup,
    .set_current_ma = reg_set_current,
    .enable = reg_enable,
    .read_state = reg_read_state,
    .keepalive = reg_keepalive,
};

int mb_evse_apply(
    const struct mb_evse_model *m, struct mb_bus *bus, uint8_t unit, int32_t ma, bool *enabled)
{
    int rc = mb_evse_check_current(m, ma);
    if (rc < 0) {
        return rc;
    }
    bool has_enable = m->enable_kind != MB_EVSE_ENABLE_NONE && m->ops->enable;
    if (ma == 0 && has_enable) {
        rc = m->ops->enable(m, bus, unit, false);
        if (rc == 0 && enabled) {
            *enabled = false;
        }
        return rc;
    }
    /* The current first, then enable: the car never sees the old, higher current enabled. */
    rc = m->ops->set_current_ma(m, bus, unit, ma);
    if (rc == 0 && ma > 0 && has_enable && !(enabled && *enabled)) {
        rc = m->ops->enable(m, bus, unit, true);
        if (rc == 0 && enabled) {
            *enabled = true;
        }
    }
    return rc;
}

int mb_evse_validate(const struct mb_evse_model *m, char *err, size_t errlen)
{
    if (!m->name || !m->ops || !m->ops->set_current_ma) {
        return mb_fail(err, errlen, "evse model without a name or operations");
    }
    if (m->current_fc != 6 && m->current_fc != 16) {
        return mb_fail(err, errlen, "evse %s: current_fc %u (want 6 or 16)", m->name,
                       m->current_fc);
    }
    if (m->current_exp10 < -2 || m->current_exp10 > 0) {
        return mb_fail(err, errlen, "evse %s: current unit must be A, 0.1A or 0.01A", m->name);
    }
    if (m->min_ma <= 0 || m->min_ma > m->max_ma || m->max_ma / step_ma(m) > UINT16_MAX ||
        m->min_ma % step_ma(m) != 0) {
        return mb_fail(err, errlen, "evse %s: current range %d..%d mA does not fit its register",
                       m->name, m->min_ma, m->max_ma);
    }
    if (m->enable_kind > MB_EVSE_ENABLE_REGISTER || m->state_format > MB_EVSE_STATE_EVSE_DIN ||
        m->keepalive_kind > MB_EVSE_KEEPALIVE_WRITE) {
        return mb_fail(err, errlen, "evse %s: unknown enable, state or keepalive kind", m->name);
    }
    if (m->state_format != MB_EVSE_STATE_NONE && m->state_fc != 3 && m->state_fc != 4) {
        return mb_fail(err, errlen, "evse %s: state_fc must be 3 or 4", m->name);
    }
    if (m->keepalive_kind != MB_EVSE_KEEPALIVE_NONE && m->keepalive_ms == 0) {
        return mb_fail(err, errlen, "evse %s: a keepalive needs keepalive_ms", m->name);
    }
    if (m->has_failsafe && m->failsafe_ma == 0 && !m->zero_pauses) {
        return mb_fail(err, errlen, "evse %s: a fail-safe current of 0 needs zero_pauses", m->name);
    }
    if (m->has_failsafe && mb_evse_check_current(m, m->failsafe_ma) != 0) {
        return mb_fail(err, errlen, "evse %s: fail-safe current %d mA is outside its range",
                       m->name, m->failsafe_ma);
    }
    if (m->n_setup > 2) {
        return mb_fail(err, errlen, "evse %s: too many setup registers", m->name);
    }
    return 0;
}
