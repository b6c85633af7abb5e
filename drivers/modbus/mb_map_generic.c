/* SPDX-License-Identifier: MIT */
/*
 * The generic meter map: registers, function code, type, word order and power-of-ten scales given
 * as INI keys (the knobs of SmartEVSE's "Custom" meter, modbus-maps.md §3.6). Keys: docs/modbus.md.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_internal.h"
#include "drivers/modbus/mb_maps.h"

#define GENERIC_SCALE_MAX 6

/* Shift from the key's unit (A, V, W, kWh) to ampshare's (mA, dV, W, Wh). */
static const int8_t qty_shift[MB_QTY_COUNT] = {
    [MB_QTY_CURRENT] = 3,
    [MB_QTY_VOLTAGE] = 1,
    [MB_QTY_POWER] = 0,
    [MB_QTY_ENERGY] = 3,
};

static const char *const qty_names[MB_QTY_COUNT] = {
    [MB_QTY_CURRENT] = "current",
    [MB_QTY_VOLTAGE] = "voltage",
    [MB_QTY_POWER] = "power",
    [MB_QTY_ENERGY] = "energy",
};

void mb_map_generic_init(struct mb_map_custom *c, const char *name)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name ? name : "generic");
    for (int f = 0; f < MB_FIELD_COUNT; f++) {
        c->reg[f] = -1;
    }
    c->type = MB_TYPE_FLOAT32;
    c->fc = 4;
    c->order = MB_ORDER_HIGH_FIRST;
    c->max_regs = 40;
    c->max_hole = 0; /* a generic device may not define the registers between two fields */
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* "0x0006, 0x0008,0x000A" -> up to 3 addresses. Returns the count or -EINVAL. */
static int parse_reg_list(const char *s, int32_t *regs, int max)
{
    int n = 0;
    char buf[96];
    if (strlen(s) >= sizeof(buf)) {
        return -EINVAL;
    }
    snprintf(buf, sizeof(buf), "%s", s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t') {
            tok++;
        }
        size_t len = strlen(tok);
        while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t')) {
            tok[--len] = '\0';
        }
        long v;
        if (n >= max || mb_parse_long(tok, 0, 65535, &v) != 0) {
            return -EINVAL;
        }
        regs[n++] = (int32_t)v;
    }
    return n > 0 ? n : -EINVAL;
}

static int find_qty(const char *key, const char *suffix, enum mb_qty *out)
{
    for (int q = 0; q < MB_QTY_COUNT; q++) {
        size_t n = strlen(qty_names[q]);
        if (strncmp(key, qty_names[q], n) == 0 && strcmp(key + n, suffix) == 0) {
            *out = (enum mb_qty)q;
            return 0;
        }
    }
    return -ENOENT;
}

static int set_list(struct mb_map_custom *c,
                    enum mb_field_id first,
                    enum mb_qty q,
                    const char *key,
                    const char *value,
                    char *err,
                    size_t errlen)
{
    int32_t regs[3];
    int n = parse_reg_list(value, regs, 3);
    if (n != 1 && n != 3) {
        return mb_fail(err, errlen, "%s: '%s' is not a list of 1 or 3 register addresses (0-65535)",
                       key, value);
    }
    for (int p = 0; p < 3; p++) {
        c->reg[first + p] = p < n ? regs[p] : -1;
    }
    c->n_regs[q] = (uint8_t)n;
    return 0;
}

static int
set_order(struct mb_map_custom *c, const char *key, const char *value, char *err, size_t errlen)
{
    static const char *const high[] = {"high-first", "msw-first", "be", "big"};
    static const char *const low[] = {"low-first", "lsw-first", "le", "little"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, high[i]) == 0) {
            c->order = MB_ORDER_HIGH_FIRST;
            return 0;
        }
        if (strcasecmp(value, low[i]) == 0) {
            c->order = MB_ORDER_LOW_FIRST;
            return 0;
        }
    }
    return mb_fail(err, errlen, "%s: '%s' is not high-first or low-first", key, value);
}

static int set_number_key(
    struct mb_map_custom *c, const char *key, const char *value, char *err, size_t errlen)
{
    long v;
    if (strcmp(key, "fc") == 0 || strcmp(key, "function") == 0) {
        if (strcasecmp(value, "holding") == 0 || strcmp(value, "3") == 0) {
            c->fc = 3;
        } else if (strcasecmp(value, "input") == 0 || strcmp(value, "4") == 0) {
            c->fc = 4;
        } else {
            return mb_fail(err, errlen, "%s: '%s' is not 3 (holding) or 4 (input)", key, value);
        }
        return 0;
    }
    if (strcmp(key, "max_registers_per_read") == 0) {
        if (mb_parse_long(value, 1, 125, &v) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not a number 1-125", key, value);
        }
        c->max_regs = (uint16_t)v;
        return 0;
    }
    if (strcmp(key, "max_unused_registers") == 0) {
        if (mb_parse_long(value, 0, 125, &v) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not a number 0-125", key, value);
        }
        c->max_hole = (uint16_t)v;
        return 0;
    }
    if (strcmp(key, "gap_ms") == 0) {
        if (mb_parse_long(value, 0, 10000, &v) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not a number 0-10000", key, value);
        }
        c->gap_ms = (uint16_t)v;
        return 0;
    }
    return -ENOENT;
}

int mb_map_generic_set(
    struct mb_map_custom *c, const char *key, const char *value, char *err, size_t errlen)
{
    enum mb_qty q;
    enum mb_type t;
    long v;

    int rc = set_number_key(c, key, value, err, errlen);
    if (rc != -ENOENT) {
        return rc;
    }
    if (strcmp(key, "type") == 0) {
        if (mb_type_parse(value, &t) != 0) {
            return mb_fail(err, errlen,
                           "%s: '%s' is not int16, uint16, int32, uint32, float32, int64 or "
                           "uint64",
                           key, value);
        }
        c->type = (uint8_t)t;
        return 0;
    }
    if (strcmp(key, "word_order") == 0) {
        return set_order(c, key, value, err, errlen);
    }
    if (strcmp(key, "sign_current_by_power") == 0) {
        if (parse_bool(value, &c->sign_by_power) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not yes or no", key, value);
        }
        return 0;
    }
    if (strcmp(key, "current_regs") == 0) {
        return set_list(c, MB_FIELD_CURRENT_L1, MB_QTY_CURRENT, key, value, err, errlen);
    }
    if (strcmp(key, "voltage_regs") == 0) {
        return set_list(c, MB_FIELD_VOLTAGE_L1, MB_QTY_VOLTAGE, key, value, err, errlen);
    }
    if (strcmp(key, "power_regs") == 0) {
        return set_list(c, MB_FIELD_POWER_L1, MB_QTY_POWER, key, value, err, errlen);
    }
    if (strcmp(key, "power_total_reg") == 0 || strcmp(key, "import_energy_reg") == 0) {
        if (mb_parse_long(value, 0, 65535, &v) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not a register address (0-65535)", key, value);
        }
        c->reg[key[0] == 'p' ? MB_FIELD_POWER_TOTAL : MB_FIELD_IMPORT_ENERGY] = (int32_t)v;
        return 0;
    }
    if (find_qty(key, "_type", &q) == 0) {
        if (mb_type_parse(value, &t) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not a register type", key, value);
        }
        c->qty_type[q] = (uint8_t)t;
        return 0;
    }
    if (find_qty(key, "_scale", &q) == 0) {
        if (mb_parse_long(value, -GENERIC_SCALE_MAX, GENERIC_SCALE_MAX, &v) != 0) {
            return mb_fail(err, errlen, "%s: '%s' is not a power of ten from -%d to %d", key, value,
                           GENERIC_SCALE_MAX, GENERIC_SCALE_MAX);
        }
        c->qty_scale[q] = (int8_t)v;
        return 0;
    }
    mb_fail(err, errlen, "unknown key '%s' for a generic meter", key);
    return -ENOENT;
}

int mb_map_generic_finish(struct mb_map_custom *c, char *err, size_t errlen)
{
    struct mb_map *m = &c->map;
    memset(m, 0, sizeof(*m));
    m->name = c->name;
    m->model = "generic Modbus meter (registers from the config)";
    m->source = "the site config";
    m->fc = c->fc;
    m->order = c->order;
    m->max_regs = c->max_regs;
    m->max_hole = c->max_hole;
    m->gap_ms = c->gap_ms;
    if (c->sign_by_power) {
        m->flags |= MB_MAP_SIGN_CURRENT_BY_POWER;
    }

    uint8_t phases = c->n_regs[MB_QTY_CURRENT];
    if (phases == 0) {
        if (c->reg[MB_FIELD_POWER_TOTAL] < 0) {
            return mb_fail(err, errlen,
                           "generic meter %s: set current_regs (1 or 3 registers), or at least "
                           "power_total_reg",
                           c->name);
        }
        m->flags |= MB_MAP_TOTAL_ONLY;
    }
    m->phases = phases;
    for (int q = MB_QTY_VOLTAGE; q <= MB_QTY_POWER; q++) {
        if (c->n_regs[q] != 0 && c->n_regs[q] != phases) {
            return mb_fail(err, errlen,
                           "generic meter %s: %s_regs lists %u registers but current_regs lists "
                           "%u",
                           c->name, qty_names[q], c->n_regs[q], phases);
        }
    }
    for (int f = 0; f < MB_FIELD_COUNT; f++) {
        if (c->reg[f] < 0) {
            continue;
        }
        enum mb_qty q = mb_field_qty((enum mb_field_id)f);
        m->field[f].addr = (uint16_t)c->reg[f];
        m->field[f].type = c->qty_type[q] != MB_TYPE_NONE ? c->qty_type[q] : c->type;
        m->field[f].exp10 = (int8_t)(c->qty_scale[q] + qty_shift[q]);
    }
    return mb_map_validate(m, err, errlen);
}
