/* SPDX-License-Identifier: MIT */
/* The generic controllable EVSE: its registers and units from INI keys (docs/modbus.md). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_evse.h"
#include "drivers/modbus/mb_internal.h"

void mb_evse_generic_init(struct mb_evse_custom *c, const char *name)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name ? name : "generic");
    struct mb_evse_model *m = &c->model;
    m->name = c->name;
    m->model = "generic Modbus EVSE (registers from the config)";
    m->source = "the site config";
    m->ops = &mb_evse_register_ops;
    m->default_unit = 1;
    m->current_fc = 6;
    m->current_exp10 = 0;
    m->min_ma = 6000; /* IEC 61851: no EV charges below 6 A */
    m->max_ma = 32000;
    m->enable_on = 1;
    m->enable_off = 0;
    m->state_fc = 4;
}

static int parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0) {
        *out = false;
        return 0;
    }
    return -EINVAL;
}

struct named {
    const char *name;
    int value;
};

static int parse_named(const char *s, const struct named *t, size_t n, int *out)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(s, t[i].name) == 0) {
            *out = t[i].value;
            return 0;
        }
    }
    return -EINVAL;
}

static const struct named units[] = {{"A", 0}, {"0.1A", -1}, {"0.01A", -2}};
static const struct named state_formats[] = {
    {"none", MB_EVSE_STATE_NONE},
    {"letter-high", MB_EVSE_STATE_LETTER_HIGH},
    {"letter-low", MB_EVSE_STATE_LETTER_LOW},
    {"heidelberg", MB_EVSE_STATE_HEIDELBERG},
    {"evse-din", MB_EVSE_STATE_EVSE_DIN},
};
static const struct named keepalives[] = {
    {"none", MB_EVSE_KEEPALIVE_NONE},
    {"traffic", MB_EVSE_KEEPALIVE_TRAFFIC},
    {"write", MB_EVSE_KEEPALIVE_WRITE},
};

#define N_OF(t) (sizeof(t) / sizeof((t)[0]))

/* Keys whose value is a register address or a 16-bit value. */
static int set_u16_key(struct mb_evse_custom *c, const char *key, long v)
{
    struct mb_evse_model *m = &c->model;
    if (strcmp(key, "current_reg") == 0) {
        m->current_reg = (uint16_t)v;
        c->have_current_reg = true;
    } else if (strcmp(key, "enable_coil") == 0) {
        m->enable_kind = MB_EVSE_ENABLE_COIL;
        m->enable_addr = (uint16_t)v;
    } else if (strcmp(key, "enable_reg") == 0) {
        m->enable_kind = MB_EVSE_ENABLE_REGISTER;
        m->enable_addr = (uint16_t)v;
    } else if (strcmp(key, "enable_on") == 0) {
        m->enable_on = (uint16_t)v;
    } else if (strcmp(key, "enable_off") == 0) {
        m->enable_off = (uint16_t)v;
    } else if (strcmp(key, "state_reg") == 0) {
        m->state_reg = (uint16_t)v;
        if (m->state_format == MB_EVSE_STATE_NONE) {
            m->state_format = MB_EVSE_STATE_LETTER_HIGH;
        }
    } else if (strcmp(key, "keepalive_reg") == 0) {
        m->keepalive_reg = (uint16_t)v;
    } else if (strcmp(key, "keepalive_value") == 0) {
        m->keepalive_value = (uint16_t)v;
    } else if (strcmp(key, "watchdog_reg") == 0) {
        m->has_watchdog = true;
        m->watchdog_reg = (uint16_t)v;
    } else if (strcmp(key, "watchdog_ms") == 0) {
        m->watchdog_ms = (uint16_t)v;
    } else if (strcmp(key, "failsafe_reg") == 0) {
        m->has_failsafe = true;
        m->failsafe_reg = (uint16_t)v;
    } else {
        return -ENOENT;
    }
    return 0;
}

int mb_evse_generic_set(
    struct mb_evse_custom *c, const char *key, const char *value, char *err, size_t errlen)
{
    struct mb_evse_model *m = &c->model;
    long v;
    int e;
    static const char *const u16_keys[] = {
        "current_reg",  "enable_coil", "enable_reg",    "enable_on",
        "enable_off",   "state_reg",   "keepalive_reg", "keepalive_value",
        "watchdog_reg", "watchdog_ms", "failsafe_reg",
    };
    for (size_t i = 0; i < N_OF(u16_keys); i++) {
        if (strcmp(key, u16_keys[i]) == 0) {
            if (mb_parse_long(value, 0, 65535, &v) != 0) {
                return mb_fail(err, errlen, "%s: '%s' is not a number 0-65535", key, value);
            }
            return set_u16_key(c, key, v);
        }
    }
    if (strcmp(key, "current_fc") == 0 || strcmp(key, "state_fc") == 0) {
        bool cur = key[0] == 'c';
        if (mb_parse_long(value, 0, 255, &v) != 0 || (cur ? v != 6 && v != 16 : v != 3 && v != 4)) {
            return mb_fail(err, errlen, "%s: '%s' is not %s", key, value,
                           cur ? "6 or 16" : "3 or 4");
        }
        *(cur ? &m->current_fc : &m->state_fc) = (uint8_t)v;
        return 0;
    }
    if (strcmp(key, "current_unit") == 0) {
        if (parse_named(value, units, N_OF(units), &e) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not A, 0.1A or 0.01A", key, value);
        }
        m->current_exp10 = (int8_t)e;
        return 0;
    }
    if (strcmp(key, "min_current_a") == 0 || strcmp(key, "max_current_a") == 0 ||
        strcmp(key, "failsafe_current_a") == 0) {
        if (mb_parse_long(value, 0, 500, &v) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not whole amps 0-500", key, value);
        }
        int32_t *dst = strcmp(key, "min_current_a") == 0   ? &m->min_ma
                       : strcmp(key, "max_current_a") == 0 ? &m->max_ma
                                                           : &m->failsafe_ma;
        *dst = (int32_t)v * 1000;
        return 0;
    }
    if (strcmp(key, "zero_pauses") == 0) {
        if (parse_bool(value, &m->zero_pauses) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not yes or no", key, value);
        }
        return 0;
    }
    if (strcmp(key, "state_format") == 0) {
        if (parse_named(value, state_formats, N_OF(state_formats), &e) != 0) {
            return mb_fail(err, errlen,
                           "%s: '%s' is not none, letter-high, letter-low, heidelberg or "
                           "evse-din",
                           key, value);
        }
        m->state_format = (uint8_t)e;
        return 0;
    }
    if (strcmp(key, "keepalive") == 0) {
        if (parse_named(value, keepalives, N_OF(keepalives), &e) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not none, traffic or write", key, value);
        }
        m->keepalive_kind = (uint8_t)e;
        return 0;
    }
    if (strcmp(key, "keepalive_ms") == 0 || strcmp(key, "gap_ms") == 0) {
        if (mb_parse_long(value, 0, 60000, &v) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not a number 0-60000", key, value);
        }
        if (key[0] == 'k') {
            m->keepalive_ms = (uint32_t)v;
        } else {
            m->gap_ms = (uint16_t)v;
        }
        return 0;
    }
    mb_fail(err, errlen, "unknown key '%s' for a generic EVSE", key);
    return -ENOENT;
}

int mb_evse_generic_finish(struct mb_evse_custom *c, char *err, size_t errlen)
{
    struct mb_evse_model *m = &c->model;
    if (!c->have_current_reg) {
        return mb_fail(err, errlen, "generic EVSE %s: current_reg is required", c->name);
    }
    if (m->keepalive_kind == MB_EVSE_KEEPALIVE_WRITE && m->keepalive_ms == 0) {
        return mb_fail(err, errlen, "generic EVSE %s: keepalive = write needs keepalive_ms",
                       c->name);
    }
    if (m->has_watchdog && m->watchdog_ms == 0) {
        return mb_fail(err, errlen, "generic EVSE %s: watchdog_reg needs watchdog_ms", c->name);
    }
    return mb_evse_validate(m, err, errlen);
}
