/* SPDX-License-Identifier: MIT */
/*
 * The built-in meter register maps. Every row cites where its registers come from; the facts are
 * collected in ../shared/research/modbus-maps.md (section numbers below refer to it). Addresses
 * are 0-based protocol addresses.
 */
#include "drivers/modbus/mb_maps.h"

#include <string.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_internal.h"

// clang-format off
/* Field builders: the datasheet's unit and scale on the left, ampshare's unit in the result.
 * s is the power of ten of one raw step in the named unit (0.01 A -> s = -2). */
#define MAP_I(addr, t, s)     {(addr), (t), (s) + 3} /* A x 10^s -> mA */
#define MAP_U(addr, t, s)     {(addr), (t), (s) + 1} /* V x 10^s -> dV */
#define MAP_P(addr, t, s)     {(addr), (t), (s)}     /* W x 10^s -> W */
#define MAP_E_KWH(addr, t, s) {(addr), (t), (s) + 3} /* kWh x 10^s -> Wh */
#define MAP_E_WH(addr, t, s)  {(addr), (t), (s)}     /* Wh x 10^s -> Wh */

#define F32 MB_TYPE_FLOAT32
#define U16 MB_TYPE_UINT16
#define I32 MB_TYPE_INT32
#define U32 MB_TYPE_UINT32
#define U64 MB_TYPE_UINT64

static const struct mb_map maps[] = {
    {
        .name = "eastron-sdm630",
        .model = "Eastron SDM630 (v1, v2), three-phase",
        .source = "modbus-maps.md §3.1 (mbmd meters/rs485/sdm.go, SmartEVSE meter.cpp EMConfig[], "
                  "openWB modules/common/sdm.py)",
        .fc = 4, .order = MB_ORDER_HIGH_FIRST, .phases = 3,
        .flags = MB_MAP_SIGN_CURRENT_BY_POWER,
        .max_regs = 80,  /* SmartEVSE reads at most 80 registers per request (§3.1) */
        .max_hole = 80,  /* 0x0000-0x004B are all defined: one request covers every field */
        .gap_ms = 100,   /* openWB waits 100 ms between requests on RS485 (§5.2) */
        .field = {
            [MB_FIELD_VOLTAGE_L1] = MAP_U(0x0000, F32, 0),
            [MB_FIELD_VOLTAGE_L2] = MAP_U(0x0002, F32, 0),
            [MB_FIELD_VOLTAGE_L3] = MAP_U(0x0004, F32, 0),
            [MB_FIELD_CURRENT_L1] = MAP_I(0x0006, F32, 0),   /* unsigned magnitude */
            [MB_FIELD_CURRENT_L2] = MAP_I(0x0008, F32, 0),
            [MB_FIELD_CURRENT_L3] = MAP_I(0x000A, F32, 0),
            [MB_FIELD_POWER_L1] = MAP_P(0x000C, F32, 0),
            [MB_FIELD_POWER_L2] = MAP_P(0x000E, F32, 0),
            [MB_FIELD_POWER_L3] = MAP_P(0x0010, F32, 0),
            [MB_FIELD_POWER_TOTAL] = MAP_P(0x0034, F32, 0),
            [MB_FIELD_IMPORT_ENERGY] = MAP_E_KWH(0x0048, F32, 0),
        },
    },
    {
        .name = "eastron-sdm120",
        .model = "Eastron SDM120, single-phase",
        .source = "modbus-maps.md §3.2 (mbmd meters/rs485/sdm.go, SmartEVSE \"Eastron1P\", "
                  "openWB modules/common/sdm.py)",
        .fc = 4, .order = MB_ORDER_HIGH_FIRST, .phases = 1,
        .flags = MB_MAP_SIGN_CURRENT_BY_POWER,
        .max_regs = 20,  /* openWB limits SDM120 bulk reads to 20 registers (§3.1 notes) */
        .max_hole = 20,
        .gap_ms = 100,
        .field = {
            [MB_FIELD_VOLTAGE_L1] = MAP_U(0x0000, F32, 0),
            [MB_FIELD_CURRENT_L1] = MAP_I(0x0006, F32, 0),
            [MB_FIELD_POWER_L1] = MAP_P(0x000C, F32, 0),
            [MB_FIELD_IMPORT_ENERGY] = MAP_E_KWH(0x0048, F32, 0),
        },
    },
    {
        .name = "eastron-sdm72d-m",
        .model = "Eastron SDM72D-M (v1): total power and energy only",
        .source = "modbus-maps.md §3.3 (Eastron SDM72D-M protocol sheet; mbmd has no probe for it)",
        .fc = 4, .order = MB_ORDER_HIGH_FIRST, .phases = 0,
        .flags = MB_MAP_TOTAL_ONLY,
        .max_regs = 10,  /* openWB: some SDM72 units answer only about 10 registers (§3.1) */
        .max_hole = 0,   /* the v1 defines few registers: never read across a gap */
        .gap_ms = 100,
        .field = {
            [MB_FIELD_POWER_TOTAL] = MAP_P(0x0034, F32, 0),
            [MB_FIELD_IMPORT_ENERGY] = MAP_E_KWH(0x0048, F32, 0),
        },
    },
    {
        .name = "eastron-sdm72d-m-v2",
        .model = "Eastron SDM72D-M v2, three-phase",
        .source = "modbus-maps.md §3.3 (same layout as the SDM630 for 0x0000-0x0022)",
        .fc = 4, .order = MB_ORDER_HIGH_FIRST, .phases = 3,
        .flags = MB_MAP_SIGN_CURRENT_BY_POWER,
        .max_regs = 10,
        .max_hole = 0,
        .gap_ms = 100,
        .field = {
            [MB_FIELD_VOLTAGE_L1] = MAP_U(0x0000, F32, 0),
            [MB_FIELD_VOLTAGE_L2] = MAP_U(0x0002, F32, 0),
            [MB_FIELD_VOLTAGE_L3] = MAP_U(0x0004, F32, 0),
            [MB_FIELD_CURRENT_L1] = MAP_I(0x0006, F32, 0),
            [MB_FIELD_CURRENT_L2] = MAP_I(0x0008, F32, 0),
            [MB_FIELD_CURRENT_L3] = MAP_I(0x000A, F32, 0),
            [MB_FIELD_POWER_L1] = MAP_P(0x000C, F32, 0),
            [MB_FIELD_POWER_L2] = MAP_P(0x000E, F32, 0),
            [MB_FIELD_POWER_L3] = MAP_P(0x0010, F32, 0),
            [MB_FIELD_POWER_TOTAL] = MAP_P(0x0034, F32, 0),
            [MB_FIELD_IMPORT_ENERGY] = MAP_E_KWH(0x0048, F32, 0),
        },
    },
    {
        .name = "abb-b23",
        .model = "ABB B23 / B24 (also A43 / A44), three-phase",
        .source = "modbus-maps.md §3.4 (SmartEVSE meter.cpp, evcc, openWB modules/common/b23.py)",
        .fc = 3, .order = MB_ORDER_HIGH_FIRST, .phases = 3,
        .flags = MB_MAP_SIGN_CURRENT_BY_POWER,
        .max_regs = 125, /* SmartEVSE allows up to 125 registers per read (§3.4) */
        .max_hole = 8,   /* 0x5B00-0x5B1B is one defined block */
        .gap_ms = 100,
        .field = {
            [MB_FIELD_VOLTAGE_L1] = MAP_U(0x5B00, U32, -1),
            [MB_FIELD_VOLTAGE_L2] = MAP_U(0x5B02, U32, -1),
            [MB_FIELD_VOLTAGE_L3] = MAP_U(0x5B04, U32, -1),
            [MB_FIELD_CURRENT_L1] = MAP_I(0x5B0C, U32, -2),   /* unsigned magnitude */
            [MB_FIELD_CURRENT_L2] = MAP_I(0x5B0E, U32, -2),
            [MB_FIELD_CURRENT_L3] = MAP_I(0x5B10, U32, -2),
            [MB_FIELD_POWER_TOTAL] = MAP_P(0x5B14, I32, -2),
            [MB_FIELD_POWER_L1] = MAP_P(0x5B16, I32, -2),
            [MB_FIELD_POWER_L2] = MAP_P(0x5B18, I32, -2),
            [MB_FIELD_POWER_L3] = MAP_P(0x5B1A, I32, -2),
            [MB_FIELD_IMPORT_ENERGY] = MAP_E_KWH(0x5000, U64, -2),
        },
    },
    {
        .name = "carlo-gavazzi-em24",
        .model = "Carlo Gavazzi EM24 (RS-485 version; not the Ethernet EM24_E1)",
        .source = "modbus-maps.md §3.5 (SmartEVSE meter.cpp, evcc)",
        .fc = 4, .order = MB_ORDER_LOW_FIRST, .phases = 3,
        .flags = 0,      /* INT32 currents carry their own sign */
        .max_regs = 40,  /* no limit is documented in the notes; short requests are safe */
        .max_hole = 40,  /* 0x00-0x43 are all defined */
        .gap_ms = 0,
        .field = {
            [MB_FIELD_VOLTAGE_L1] = MAP_U(0x0000, I32, -1),
            [MB_FIELD_VOLTAGE_L2] = MAP_U(0x0002, I32, -1),
            [MB_FIELD_VOLTAGE_L3] = MAP_U(0x0004, I32, -1),
            [MB_FIELD_CURRENT_L1] = MAP_I(0x000C, I32, -3),
            [MB_FIELD_CURRENT_L2] = MAP_I(0x000E, I32, -3),
            [MB_FIELD_CURRENT_L3] = MAP_I(0x0010, I32, -3),
            [MB_FIELD_POWER_L1] = MAP_P(0x0012, I32, -1),
            [MB_FIELD_POWER_L2] = MAP_P(0x0014, I32, -1),
            [MB_FIELD_POWER_L3] = MAP_P(0x0016, I32, -1),
            [MB_FIELD_POWER_TOTAL] = MAP_P(0x0028, I32, -1),
            [MB_FIELD_IMPORT_ENERGY] = MAP_E_KWH(0x0042, I32, -1),
        },
    },
    {
        .name = "carlo-gavazzi-em340",
        .model = "Carlo Gavazzi EM340 / ET340 (also EM330 / ET330)",
        .source = "modbus-maps.md §3.5 (SmartEVSE meter.cpp, evcc)",
        .fc = 4, .order = MB_ORDER_LOW_FIRST, .phases = 3,
        .flags = 0,
        .max_regs = 40,
        .max_hole = 40,
        .gap_ms = 0,
        .field = {
            [MB_FIELD_VOLTAGE_L1] = MAP_U(0x0000, I32, -1),
            [MB_FIELD_VOLTAGE_L2] = MAP_U(0x0002, I32, -1),
            [MB_FIELD_VOLTAGE_L3] = MAP_U(0x0004, I32, -1),
            [MB_FIELD_CURRENT_L1] = MAP_I(0x000C, I32, -3),
            [MB_FIELD_CURRENT_L2] = MAP_I(0x000E, I32, -3),
            [MB_FIELD_CURRENT_L3] = MAP_I(0x0010, I32, -3),
            [MB_FIELD_POWER_L1] = MAP_P(0x0012, I32, -1),
            [MB_FIELD_POWER_L2] = MAP_P(0x0014, I32, -1),
            [MB_FIELD_POWER_L3] = MAP_P(0x0016, I32, -1),
            [MB_FIELD_POWER_TOTAL] = MAP_P(0x0028, I32, -1),
            [MB_FIELD_IMPORT_ENERGY] = MAP_E_KWH(0x0034, I32, -1),
        },
    },
    {
        .name = "heidelberg-ec",
        .model = "Heidelberg Energy Control wallbox, its built-in meter",
        .source = "modbus-maps.md §3.8 (evcc charger/heidelberg-ec.go)",
        .fc = 4, .order = MB_ORDER_HIGH_FIRST, .phases = 3,
        .flags = 0,      /* currents are magnitudes and there is no per-phase power to sign them */
        .max_regs = 13,
        .max_hole = 2,   /* 9 = temperature, 13, 15-16 = energy since power-on: all defined */
        .gap_ms = 100,   /* evcc inserts 100 ms between frames (issue #15437; §5.2) */
        .field = {
            [MB_FIELD_CURRENT_L1] = MAP_I(6, U16, -1),
            [MB_FIELD_CURRENT_L2] = MAP_I(7, U16, -1),
            [MB_FIELD_CURRENT_L3] = MAP_I(8, U16, -1),
            [MB_FIELD_VOLTAGE_L1] = MAP_U(10, U16, 0),
            [MB_FIELD_VOLTAGE_L2] = MAP_U(11, U16, 0),
            [MB_FIELD_VOLTAGE_L3] = MAP_U(12, U16, 0),
            [MB_FIELD_POWER_TOTAL] = MAP_P(14, U16, 0),
            [MB_FIELD_IMPORT_ENERGY] = MAP_E_WH(17, U32, 0), /* energy since installation */
        },
    },
};

static const struct {
    const char *alias;
    const char *name;
} aliases[] = {
    {"sdm630", "eastron-sdm630"},
    {"sdm120", "eastron-sdm120"},
    {"sdm72d-m", "eastron-sdm72d-m"},
    {"eastron-sdm72d-m-v1", "eastron-sdm72d-m"},
    {"sdm72d-m-v2", "eastron-sdm72d-m-v2"},
    {"abb-b24", "abb-b23"},
    {"b23", "abb-b23"},
    {"b24", "abb-b23"},
    {"em24", "carlo-gavazzi-em24"},
    {"em340", "carlo-gavazzi-em340"},
    {"carlo-gavazzi-et340", "carlo-gavazzi-em340"},
    {"et340", "carlo-gavazzi-em340"},
    {"heidelberg", "heidelberg-ec"},
};

// clang-format on

static const char *const field_names[MB_FIELD_COUNT] = {
    "current_l1", "current_l2", "current_l3", "voltage_l1",  "voltage_l2",    "voltage_l3",
    "power_l1",   "power_l2",   "power_l3",   "power_total", "import_energy",
};

enum mb_qty mb_field_qty(enum mb_field_id f)
{
    if (f <= MB_FIELD_CURRENT_L3) {
        return MB_QTY_CURRENT;
    }
    if (f <= MB_FIELD_VOLTAGE_L3) {
        return MB_QTY_VOLTAGE;
    }
    if (f <= MB_FIELD_POWER_TOTAL) {
        return MB_QTY_POWER;
    }
    return MB_QTY_ENERGY;
}

const char *mb_field_name(enum mb_field_id f)
{
    if ((int)f < 0 || f >= MB_FIELD_COUNT) {
        return NULL;
    }
    return field_names[f];
}

size_t mb_map_count(void)
{
    return sizeof(maps) / sizeof(maps[0]);
}

const struct mb_map *mb_map_at(size_t i)
{
    return i < mb_map_count() ? &maps[i] : NULL;
}

size_t mb_map_alias_count(void)
{
    return sizeof(aliases) / sizeof(aliases[0]);
}

const char *mb_map_alias_at(size_t i, const char **target)
{
    if (i >= mb_map_alias_count()) {
        return NULL;
    }
    *target = aliases[i].name;
    return aliases[i].alias;
}

const struct mb_map *mb_map_find(const char *name)
{
    if (!name) {
        return NULL;
    }
    for (size_t i = 0; i < mb_map_alias_count(); i++) {
        if (strcmp(name, aliases[i].alias) == 0) {
            name = aliases[i].name;
            break;
        }
    }
    for (size_t i = 0; i < mb_map_count(); i++) {
        if (strcmp(name, maps[i].name) == 0) {
            return &maps[i];
        }
    }
    return NULL;
}

int mb_map_check_use(const struct mb_map *map, enum mb_use use, char *err, size_t errlen)
{
    if (use == MB_USE_PER_PHASE && (map->flags & MB_MAP_TOTAL_ONLY)) {
        return mb_fail(err, errlen,
                       "meter map %s reports total power only (no per-phase currents or "
                       "voltages), so it cannot feed per-phase balancing; use it as a total-power "
                       "meter, or choose a per-phase map (eastron-sdm72d-m-v2 for the v2 model)",
                       map->name);
    }
    if (use != MB_USE_PER_PHASE && use != MB_USE_TOTAL) {
        return mb_fail(err, errlen, "meter map %s: unknown use %d", map->name, (int)use);
    }
    return 0;
}

static bool field_present(const struct mb_map *map, int f)
{
    return map->field[f].type != MB_TYPE_NONE;
}

/* Per-phase fields must exist exactly for phases 1..phases. */
static int validate_phases(const struct mb_map *map, char *err, size_t errlen)
{
    static const int first[] = {MB_FIELD_CURRENT_L1, MB_FIELD_VOLTAGE_L1, MB_FIELD_POWER_L1};
    bool total_only = map->flags & MB_MAP_TOTAL_ONLY;

    if (total_only ? map->phases != 0 : map->phases != 1 && map->phases != 3) {
        return mb_fail(err, errlen, "map %s: phases %u does not fit its flags", map->name,
                       map->phases);
    }
    if (total_only && !field_present(map, MB_FIELD_POWER_TOTAL)) {
        return mb_fail(err, errlen, "map %s: a total-power-only map needs a total power register",
                       map->name);
    }
    for (size_t q = 0; q < 3; q++) {
        for (int p = 0; p < 3; p++) {
            int f = first[q] + p;
            if (p >= map->phases && field_present(map, f)) {
                return mb_fail(err, errlen, "map %s: %s given for a %u-phase meter", map->name,
                               field_names[f], map->phases);
            }
            if (q == 0 && p < map->phases && !field_present(map, f)) {
                return mb_fail(err, errlen, "map %s: %s missing", map->name, field_names[f]);
            }
            if (q == 2 && p < map->phases && (map->flags & MB_MAP_SIGN_CURRENT_BY_POWER) &&
                !field_present(map, f)) {
                return mb_fail(err, errlen, "map %s: signing currents by power needs %s", map->name,
                               field_names[f]);
            }
        }
    }
    return 0;
}

int mb_map_validate(const struct mb_map *map, char *err, size_t errlen)
{
    if (!map || !map->name || !map->name[0]) {
        return mb_fail(err, errlen, "map without a name");
    }
    if (map->fc != 3 && map->fc != 4) {
        return mb_fail(err, errlen, "map %s: function code %u (want 3 or 4)", map->name, map->fc);
    }
    if (map->order >= MB_ORDER_COUNT) {
        return mb_fail(err, errlen, "map %s: bad word order", map->name);
    }
    if (map->flags & ~(MB_MAP_SIGN_CURRENT_BY_POWER | MB_MAP_TOTAL_ONLY)) {
        return mb_fail(err, errlen, "map %s: unknown flags", map->name);
    }
    if (map->max_regs < 1 || map->max_regs > 125 || map->max_hole > map->max_regs) {
        return mb_fail(err, errlen, "map %s: registers per read %u, gap %u out of range", map->name,
                       map->max_regs, map->max_hole);
    }
    for (int f = 0; f < MB_FIELD_COUNT; f++) {
        const struct mb_field *fd = &map->field[f];
        if (fd->type == MB_TYPE_NONE) {
            continue;
        }
        size_t n = mb_type_words((enum mb_type)fd->type);
        if (n == 0) {
            return mb_fail(err, errlen, "map %s: %s has an unknown type", map->name,
                           field_names[f]);
        }
        if (fd->exp10 < -MB_EXP10_MAX || fd->exp10 > MB_EXP10_MAX) {
            return mb_fail(err, errlen, "map %s: %s scale out of range", map->name, field_names[f]);
        }
        if ((size_t)fd->addr + n > 65536 || n > map->max_regs) {
            return mb_fail(err, errlen, "map %s: %s at 0x%04x does not fit", map->name,
                           field_names[f], fd->addr);
        }
        for (int g = 0; g < f; g++) {
            const struct mb_field *gd = &map->field[g];
            size_t m = mb_type_words((enum mb_type)gd->type);
            if (m && fd->addr < gd->addr + m && gd->addr < fd->addr + n) {
                return mb_fail(err, errlen, "map %s: %s overlaps %s at 0x%04x", map->name,
                               field_names[f], field_names[g], fd->addr);
            }
        }
    }
    return validate_phases(map, err, errlen);
}
