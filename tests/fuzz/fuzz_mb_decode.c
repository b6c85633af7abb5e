/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: Modbus register decoding for every meter map, and the scalar decoder.
 *
 * Input: byte 0 picks a map (the built-in maps in order, then one generic map whose type, word
 * order and scales come from bytes 1-4); the rest are register words (big-endian byte pairs)
 * for the map's read plan, zero-padded. Invariants checked (abort on violation):
 *  - mb_map_decode() returns 0, AMP_ERR_NOT_AVAILABLE or -ERANGE, and valid == (rc == 0);
 *  - have only names fields the map has, and a valid reading has every field it needs;
 *  - a zero-padded register image decodes the same twice (no hidden state);
 *  - integer types scaled up (exp10 >= 0) encode back to the very same words.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
    if (!cond) {
        abort();
    }
}

static const struct mb_map *
pick_map(const uint8_t *data, size_t size, struct mb_map_custom *c, size_t *used)
{
    size_t n = mb_map_count();
    size_t i = size > 0 ? data[0] % (n + 1) : 0;
    *used = 1;
    if (i < n) {
        return mb_map_at(i);
    }
    static const char *const types[] = {"int16",   "uint16", "int32", "uint32",
                                        "float32", "int64",  "uint64"};
    char scale[8];
    mb_map_generic_init(c, "fuzz");
    uint8_t b[4] = {0};
    for (size_t k = 0; k < 4 && 1 + k < size; k++) {
        b[k] = data[1 + k];
    }
    *used = 5;
    mb_map_generic_set(c, "current_regs", (b[0] & 1) ? "0,4,8" : "0", NULL, 0);
    mb_map_generic_set(c, "voltage_regs", (b[0] & 1) ? "12,16,20" : "12", NULL, 0);
    mb_map_generic_set(c, "power_regs", (b[0] & 1) ? "24,28,32" : "24", NULL, 0);
    mb_map_generic_set(c, "import_energy_reg", "36", NULL, 0);
    mb_map_generic_set(c, "type", types[b[1] % 7], NULL, 0);
    mb_map_generic_set(c, "word_order", (b[0] & 2) ? "low-first" : "high-first", NULL, 0);
    mb_map_generic_set(c, "sign_current_by_power", (b[0] & 4) ? "yes" : "no", NULL, 0);
    mb_map_generic_set(c, "max_unused_registers", "4", NULL, 0);
    snprintf(scale, sizeof(scale), "%d", (int)(b[2] % 13) - 6);
    mb_map_generic_set(c, "current_scale", scale, NULL, 0);
    snprintf(scale, sizeof(scale), "%d", (int)(b[3] % 13) - 6);
    mb_map_generic_set(c, "energy_scale", scale, NULL, 0);
    check(mb_map_generic_finish(c, NULL, 0) == 0);
    return &c->map;
}

static void check_fields(const struct mb_map *map, const struct mb_reading *r, int rc)
{
    check(rc == 0 || rc == AMP_ERR_NOT_AVAILABLE || rc == -ERANGE);
    check(r->valid == (rc == 0));
    for (int f = 0; f < MB_FIELD_COUNT; f++) {
        if (map->field[f].type == MB_TYPE_NONE) {
            check(!(r->have & MB_HAVE(f)));
        }
    }
    if (r->valid) {
        if (map->flags & MB_MAP_TOTAL_ONLY) {
            check(r->have & MB_HAVE(MB_FIELD_POWER_TOTAL));
        } else {
            for (int p = 0; p < map->phases; p++) {
                check(r->have & MB_HAVE(MB_FIELD_CURRENT_L1 + p));
            }
        }
    }
}

/* Integer fields scaled up are exact: encoding the decoded value gives back the words. */
static void
check_round_trip(const struct mb_map *map, const struct mb_plan *plan, const uint16_t *words)
{
    size_t off = 0;
    for (size_t b = 0; b < plan->n_block; b++) {
        for (int f = 0; f < MB_FIELD_COUNT; f++) {
            const struct mb_field *fd = &map->field[f];
            size_t n = mb_type_words((enum mb_type)fd->type);
            if (n == 0 || fd->type == MB_TYPE_FLOAT32 || fd->exp10 < 0 ||
                fd->addr < plan->block[b].addr ||
                fd->addr + n > (size_t)plan->block[b].addr + plan->block[b].count) {
                continue;
            }
            const uint16_t *w = words + off + (fd->addr - plan->block[b].addr);
            int64_t v;
            if (mb_decode_scaled(w, (enum mb_type)fd->type, (enum mb_order)map->order, fd->exp10,
                                 &v) != 0) {
                continue;
            }
            uint16_t back[4];
            check(mb_encode_scaled(v, (enum mb_type)fd->type, (enum mb_order)map->order, fd->exp10,
                                   back) == 0);
            check(memcmp(back, w, n * sizeof(uint16_t)) == 0);
        }
        off += plan->block[b].count;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mb_map_custom custom;
    size_t used;
    const struct mb_map *map = pick_map(data, size, &custom, &used);
    struct mb_plan plan;
    check(mb_map_plan(map, &plan) == 0);
    check(plan.n_words <= MB_PLAN_WORDS_MAX);

    uint16_t words[MB_PLAN_WORDS_MAX];
    memset(words, 0, sizeof(words));
    for (size_t i = 0; i < plan.n_words && used + 2 * i + 1 < size; i++) {
        words[i] = (uint16_t)(data[used + 2 * i] << 8 | data[used + 2 * i + 1]);
    }
    struct mb_reading r1, r2;
    int rc1 = mb_map_decode(map, &plan, words, plan.n_words, &r1);
    int rc2 = mb_map_decode(map, &plan, words, plan.n_words, &r2);
    check_fields(map, &r1, rc1);
    check(rc1 == rc2 && memcmp(&r1, &r2, sizeof(r1)) == 0);
    check(mb_map_decode(map, &plan, words, plan.n_words + 1, &r2) == -EINVAL);
    check_round_trip(map, &plan, words);

    /* The scalar decoder on the first words, with every type, order and exponent. */
    if (size >= 3) {
        enum mb_type t = (enum mb_type)(data[size - 1] % (MB_TYPE_COUNT + 1));
        enum mb_order o = (enum mb_order)(data[size - 2] % 3);
        int e = (int)(data[size - 3] % 23) - 11;
        int64_t v;
        int rc = mb_decode_scaled(words, t, o, e, &v);
        check(rc == 0 || rc == AMP_ERR_NOT_AVAILABLE || rc == -ERANGE || rc == -EINVAL);
    }
    return 0;
}
