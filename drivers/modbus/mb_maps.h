/* SPDX-License-Identifier: MIT */
/*
 * Meter register maps as data: one static const row per model, chosen by a stable name, plus the
 * pure work done with a map (block-read planning, decoding a reading, encoding registers for the
 * simulator). Adding a meter means adding a row in mb_maps.c and its vectors in test_mb_maps.c.
 */
#ifndef MB_MAPS_H
#define MB_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/modbus/mb_decode.h"
#include "drivers/modbus/mb_reading.h"

/* One register of a map. exp10 scales the raw value to the field's ampshare unit:
 * value_in_ampshare_unit = raw x 10^exp10 (so a 0.01 A register read into mA has exp10 = 1). */
struct mb_field {
    uint16_t addr; /* 0-based protocol address */
    uint8_t type;  /* enum mb_type; MB_TYPE_NONE = the map has no such register */
    int8_t exp10;
};

/* Map flags. */
#define MB_MAP_SIGN_CURRENT_BY_POWER \
    0x01u                       /* currents are magnitudes: give each its phase power's sign */
#define MB_MAP_TOTAL_ONLY 0x02u /* no per-phase values: usable as a total-power meter only */

struct mb_map {
    const char *name;   /* stable, used in config: "eastron-sdm630" */
    const char *model;  /* human name of the devices it covers */
    const char *source; /* where the registers were read from */
    uint8_t fc;         /* 3 = holding registers, 4 = input registers */
    uint8_t order;      /* enum mb_order, for every multi-register value */
    uint8_t phases;     /* 1 or 3; 0 for MB_MAP_TOTAL_ONLY maps */
    uint8_t flags;      /* MB_MAP_* */
    uint16_t max_regs;  /* registers per read request, at most MODBUS_MAX_READ_REGISTERS (125) */
    uint16_t max_hole;  /* unused registers a block read may span between two fields */
    uint16_t gap_ms;    /* quiet time the device wants between requests */
    struct mb_field field[MB_FIELD_COUNT];
};

/* Finds a map by stable name or alias ("sdm630", "abb-b24"). Returns NULL when unknown. */
const struct mb_map *mb_map_find(const char *name);

/* The built-in maps, for listing: i in 0..mb_map_count()-1. */
size_t mb_map_count(void);
const struct mb_map *mb_map_at(size_t i);

/* Aliases, for listing: i in 0..mb_map_alias_count()-1; *target receives the stable name. */
size_t mb_map_alias_count(void);
const char *mb_map_alias_at(size_t i, const char **target);

/* How the site uses a meter. */
enum mb_use {
    MB_USE_PER_PHASE = 1, /* per-phase currents feed per-phase balancing */
    MB_USE_TOTAL = 2,     /* total power only */
};

/*
 * Checks that map can serve use. Returns 0, or -EINVAL with a message naming the map in err
 * (e.g. "eastron-sdm72d-m reports total power only ..."). err may be NULL.
 */
int mb_map_check_use(const struct mb_map *map, enum mb_use use, char *err, size_t errlen);

/* Checks a map's internal consistency (types, exponents, phases, overlap, limits). Returns 0 or
 * -EINVAL with a message in err. Every built-in row passes (a unit test holds that). */
int mb_map_validate(const struct mb_map *map, char *err, size_t errlen);

/* ---- block-read plan ---- */

#define MB_PLAN_BLOCKS_MAX 11 /* one for each field at worst */
#define MB_PLAN_WORDS_MAX  (MB_PLAN_BLOCKS_MAX * 125)

struct mb_block {
    uint16_t addr;
    uint16_t count;
};

struct mb_plan {
    struct mb_block block[MB_PLAN_BLOCKS_MAX];
    size_t n_block;
    size_t n_words; /* sum of the counts: the words mb_map_decode() expects */
};

/*
 * Groups the map's registers into as few read requests as its max_regs and max_hole allow,
 * lowest address first. Pure. Returns 0, or -EINVAL for an invalid map.
 */
int mb_map_plan(const struct mb_map *map, struct mb_plan *plan);

/*
 * Decodes the words read for plan (the blocks' registers concatenated in plan order) into out.
 * at_ms is left 0 for the caller to set. A field that reads "not available" (NaN, all ones,
 * 0x7FFF...) or out of range is left out of out->have, never turned into a number.
 *
 * Currents are signed with their phase power when the map has MB_MAP_SIGN_CURRENT_BY_POWER and
 * both were read (modbus-maps.md §3.1: negative power means export).
 *
 * out->valid is true when every field the controller needs was decoded: the per-phase currents
 * (one or three), or the total power for a MB_MAP_TOTAL_ONLY map.
 *
 * @return 0 when valid; AMP_ERR_NOT_AVAILABLE (or -ERANGE) when a needed field was not available
 *         (out is still filled with what did decode); -EINVAL when n_words does not match plan.
 */
int mb_map_decode(const struct mb_map *map,
                  const struct mb_plan *plan,
                  const uint16_t *words,
                  size_t n_words,
                  struct mb_reading *out);

/*
 * Encodes one field's value (in its ampshare unit) into the registers of map->field[f], written
 * to regs[map->field[f].addr - base ...]. For simulators and tests. Returns 0, -ENOENT when the
 * map has no such field, -ERANGE when it cannot carry the value, -EINVAL for a bad base/cap.
 * With not_available set, writes the type's "not available" pattern instead of value. A map with
 * MB_MAP_SIGN_CURRENT_BY_POWER gets a current's magnitude, as the device would send it.
 */
int mb_map_encode_field(const struct mb_map *map,
                        enum mb_field_id f,
                        int64_t value,
                        bool not_available,
                        uint16_t *regs,
                        uint16_t base,
                        size_t cap);

/* The lowest register and the register count that cover every field of map (for a server's
 * register table). Returns 0 or -EINVAL. */
int mb_map_span(const struct mb_map *map, uint16_t *first, uint16_t *count);

/* ---- generic map built from config keys ---- */

struct mb_map_custom {
    struct mb_map map; /* valid after mb_map_generic_finish() */
    char name[48];
    /* settings as given; resolved into map by mb_map_generic_finish() */
    int32_t reg[MB_FIELD_COUNT];    /* -1 = not set */
    uint8_t n_regs[MB_QTY_COUNT];   /* how many registers each list key gave */
    uint8_t qty_type[MB_QTY_COUNT]; /* MB_TYPE_NONE = use .type */
    int8_t qty_scale[MB_QTY_COUNT]; /* power of ten to A, V, W, kWh */
    uint8_t type;                   /* default type */
    uint8_t fc, order;
    bool sign_by_power;
    uint16_t max_regs, max_hole, gap_ms;
};

/* Starts a generic map named name (copied; truncated to 47 bytes) with the defaults documented
 * in docs/modbus.md: fc 4, float32, high word first, scales 0, 40 registers per read. */
void mb_map_generic_init(struct mb_map_custom *c, const char *name);

/*
 * Applies one INI key (docs/modbus.md lists them). Returns 0; -ENOENT for an unknown key; -EINVAL
 * for a bad value. The message in err names the key and the value (the caller adds file:line).
 */
int mb_map_generic_set(
    struct mb_map_custom *c, const char *key, const char *value, char *err, size_t errlen);

/* Resolves the settings into c->map and validates it. Returns 0 or -EINVAL with a message. */
int mb_map_generic_finish(struct mb_map_custom *c, char *err, size_t errlen);

#endif
