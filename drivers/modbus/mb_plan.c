/* SPDX-License-Identifier: MIT */
/* Pure work over a map: which blocks to read, and register words <-> one reading. */
#include <string.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_maps.h"

struct span {
    uint16_t addr;
    uint16_t words;
};

/* The map's fields as (addr, words), sorted by address. Returns how many. */
static size_t sorted_fields(const struct mb_map *map, struct span *out)
{
    size_t n = 0;
    for (int f = 0; f < MB_FIELD_COUNT; f++) {
        size_t w = mb_type_words((enum mb_type)map->field[f].type);
        if (w == 0) {
            continue;
        }
        struct span s = {map->field[f].addr, (uint16_t)w};
        size_t i = n++;
        while (i > 0 && out[i - 1].addr > s.addr) {
            out[i] = out[i - 1];
            i--;
        }
        out[i] = s;
    }
    return n;
}

int mb_map_plan(const struct mb_map *map, struct mb_plan *plan)
{
    if (mb_map_validate(map, NULL, 0) != 0) {
        return -EINVAL;
    }
    struct span s[MB_FIELD_COUNT];
    size_t n = sorted_fields(map, s);
    memset(plan, 0, sizeof(*plan));
    for (size_t i = 0; i < n; i++) {
        uint32_t end = (uint32_t)s[i].addr + s[i].words;
        if (plan->n_block > 0) {
            struct mb_block *b = &plan->block[plan->n_block - 1];
            uint32_t b_end = (uint32_t)b->addr + b->count;
            if (s[i].addr - b_end <= map->max_hole && end - b->addr <= map->max_regs) {
                plan->n_words += end - b_end;
                b->count = (uint16_t)(end - b->addr);
                continue;
            }
        }
        plan->block[plan->n_block].addr = s[i].addr;
        plan->block[plan->n_block].count = s[i].words;
        plan->n_block++;
        plan->n_words += s[i].words;
    }
    return 0;
}

/* Where field f's words sit in the concatenated block words, or -1. */
static long field_offset(const struct mb_plan *plan, const struct mb_field *fd, size_t words)
{
    size_t off = 0;
    for (size_t b = 0; b < plan->n_block; b++) {
        const struct mb_block *bl = &plan->block[b];
        if (fd->addr >= bl->addr && (size_t)fd->addr + words <= (size_t)bl->addr + bl->count) {
            return (long)(off + (fd->addr - bl->addr));
        }
        off += bl->count;
    }
    return -1;
}

static void store_field(struct mb_reading *out, int f, int64_t v)
{
    if (f <= MB_FIELD_CURRENT_L3) {
        out->current_ma[f - MB_FIELD_CURRENT_L1] = (int32_t)v;
    } else if (f <= MB_FIELD_VOLTAGE_L3) {
        out->voltage_dv[f - MB_FIELD_VOLTAGE_L1] = (int32_t)v;
    } else if (f <= MB_FIELD_POWER_L3) {
        out->power_w[f - MB_FIELD_POWER_L1] = (int32_t)v;
    } else if (f == MB_FIELD_POWER_TOTAL) {
        out->power_total_w = (int32_t)v;
    } else {
        out->import_wh = v;
    }
}

int mb_map_decode(const struct mb_map *map,
                  const struct mb_plan *plan,
                  const uint16_t *words,
                  size_t n_words,
                  struct mb_reading *out)
{
    if (n_words != plan->n_words || plan->n_block > MB_PLAN_BLOCKS_MAX) {
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    int worst = 0; /* the first failure of a needed field */

    for (int f = 0; f < MB_FIELD_COUNT; f++) {
        const struct mb_field *fd = &map->field[f];
        size_t n = mb_type_words((enum mb_type)fd->type);
        if (n == 0) {
            continue;
        }
        long off = field_offset(plan, fd, n);
        if (off < 0 || (size_t)off + n > n_words) {
            return -EINVAL;
        }
        int64_t v;
        int rc = mb_decode_scaled(words + off, (enum mb_type)fd->type, (enum mb_order)map->order,
                                  fd->exp10, &v);
        /* Energy is 64-bit in the reading; every other field must fit int32 (and be negatable). */
        if (rc == 0 && f != MB_FIELD_IMPORT_ENERGY && (v <= INT32_MIN || v > INT32_MAX)) {
            rc = -ERANGE;
        }
        if (rc == 0) {
            store_field(out, f, v);
            out->have |= MB_HAVE(f);
        } else {
            bool needed = (map->flags & MB_MAP_TOTAL_ONLY) ? f == MB_FIELD_POWER_TOTAL
                                                           : f < MB_FIELD_CURRENT_L1 + map->phases;
            if (needed && worst == 0) {
                worst = rc;
            }
        }
    }

    /* modbus-maps.md §3.1/§3.4: these meters report current as a magnitude; the phase's active
     * power carries the direction. Without a power reading the magnitude stays (it over-states
     * the load, which is the safe side). */
    if (map->flags & MB_MAP_SIGN_CURRENT_BY_POWER) {
        for (int p = 0; p < 3; p++) {
            uint32_t both = MB_HAVE(MB_FIELD_CURRENT_L1 + p) | MB_HAVE(MB_FIELD_POWER_L1 + p);
            if ((out->have & both) == both) {
                int32_t mag = out->current_ma[p] < 0 ? -out->current_ma[p] : out->current_ma[p];
                out->current_ma[p] = out->power_w[p] < 0 ? -mag : mag;
            }
        }
    }
    out->valid = worst == 0;
    return worst;
}

int mb_map_span(const struct mb_map *map, uint16_t *first, uint16_t *count)
{
    uint32_t lo = 65536, hi = 0;
    for (int f = 0; f < MB_FIELD_COUNT; f++) {
        size_t n = mb_type_words((enum mb_type)map->field[f].type);
        if (n == 0) {
            continue;
        }
        if (map->field[f].addr < lo) {
            lo = map->field[f].addr;
        }
        if (map->field[f].addr + n > hi) {
            hi = (uint32_t)(map->field[f].addr + n);
        }
    }
    if (hi == 0 || hi - lo > UINT16_MAX) {
        return -EINVAL;
    }
    *first = (uint16_t)lo;
    *count = (uint16_t)(hi - lo);
    return 0;
}

int mb_map_encode_field(const struct mb_map *map,
                        enum mb_field_id f,
                        int64_t value,
                        bool not_available,
                        uint16_t *regs,
                        uint16_t base,
                        size_t cap)
{
    if ((int)f < 0 || f >= MB_FIELD_COUNT) {
        return -EINVAL;
    }
    const struct mb_field *fd = &map->field[f];
    size_t n = mb_type_words((enum mb_type)fd->type);
    if (n == 0) {
        return -ENOENT;
    }
    if (fd->addr < base || (size_t)(fd->addr - base) + n > cap) {
        return -EINVAL;
    }
    uint16_t *w = regs + (fd->addr - base);
    /* The device sends a magnitude where the decoder signs currents by power (§3.1, §3.4). */
    if ((map->flags & MB_MAP_SIGN_CURRENT_BY_POWER) && f <= MB_FIELD_CURRENT_L3 && value < 0 &&
        value > INT64_MIN) {
        value = -value;
    }
    if (not_available) {
        return mb_encode_not_available((enum mb_type)fd->type, (enum mb_order)map->order, w);
    }
    return mb_encode_scaled(value, (enum mb_type)fd->type, (enum mb_order)map->order, fd->exp10, w);
}
