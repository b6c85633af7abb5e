/* SPDX-License-Identifier: MIT */
/*
 * Every built-in meter map: register words -> reading vectors written from datasheet values (the
 * scales and word orders of ../shared/research/modbus-maps.md §3), the reverse direction (encode
 * -> the same words), "not available" cases, read plans, and the generic map's INI keys.
 */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_maps.h"
#include "tests/support/check_main.h"

struct regw {
    uint16_t addr;
    uint16_t w[4];
};

#define ALL_FIELDS ((UINT32_C(1) << MB_FIELD_COUNT) - 1)
#define H(f)       MB_HAVE(MB_FIELD_##f)
#define I_ALL      (H(CURRENT_L1) | H(CURRENT_L2) | H(CURRENT_L3))
#define U_ALL      (H(VOLTAGE_L1) | H(VOLTAGE_L2) | H(VOLTAGE_L3))
#define P_ALL      (H(POWER_L1) | H(POWER_L2) | H(POWER_L3))

struct map_vec {
    const char *map;
    const char *what;
    struct regw regs[12];
    size_t n_regs;
    int want_rc;
    struct mb_reading want; /* at_ms stays 0 */
    int roundtrip;          /* encode(want) gives back exactly regs */
};

/* Floats: IEEE-754 binary32 of the value named in the comment. */
// clang-format off
#define SDM630_NOMINAL_REGS                                                                        \
    {0x0000, {0x4366, 0x0000}}, /* 230.0 V */                                                      \
    {0x0002, {0x4367, 0x8000}}, /* 231.5 V */                                                      \
    {0x0004, {0x4365, 0xCCCD}}, /* 229.8 V */                                                      \
    {0x0006, {0x4120, 0x0000}}, /* 10.0 A */                                                       \
    {0x0008, {0x417E, 0x6666}}, /* 15.9 A (magnitude) */                                           \
    {0x000A, {0x0000, 0x0000}}, /* 0 A */                                                          \
    {0x000C, {0x450F, 0xC000}}, /* 2300 W */                                                       \
    {0x000E, {0xC561, 0x0000}}, /* -3600 W: L2 exports, so its current is negative */              \
    {0x0010, {0x0000, 0x0000}}, /* 0 W */                                                          \
    {0x0034, {0xC4A2, 0x8000}}, /* -1300 W total */                                                \
    {0x0048, {0x4640, 0xE6AE}}  /* 12345.67 kWh import */

#define SDM630_NOMINAL_WANT                                                                        \
    .current_ma = {10000, -15900, 0}, .voltage_dv = {2300, 2315, 2298},                            \
    .power_w = {2300, -3600, 0}, .power_total_w = -1300, .import_wh = 12345670

static const struct map_vec vecs[] = {
    {"eastron-sdm630", "nominal; L2 exporting", {SDM630_NOMINAL_REGS}, 11, 0,
     {SDM630_NOMINAL_WANT, .have = ALL_FIELDS, .valid = true}, 1},
    {"eastron-sdm630", "NaN current L2 fails the reading",
     {SDM630_NOMINAL_REGS, {0x0008, {0x7FC0, 0x0000}}}, 12, AMP_ERR_NOT_AVAILABLE,
     {.current_ma = {10000, 0, 0}, .voltage_dv = {2300, 2315, 2298}, .power_w = {2300, -3600, 0},
      .power_total_w = -1300, .import_wh = 12345670,
      .have = ALL_FIELDS & ~H(CURRENT_L2), .valid = false}, 0},
    {"eastron-sdm630", "NaN voltage L3 leaves the reading valid",
     {SDM630_NOMINAL_REGS, {0x0004, {0xFFFF, 0xFFFF}}}, 12, 0,
     {.current_ma = {10000, -15900, 0}, .voltage_dv = {2300, 2315, 0},
      .power_w = {2300, -3600, 0}, .power_total_w = -1300, .import_wh = 12345670,
      .have = ALL_FIELDS & ~H(VOLTAGE_L3), .valid = true}, 0},
    {"eastron-sdm630", "infinite power L1: current keeps its magnitude",
     {SDM630_NOMINAL_REGS, {0x000C, {0xFF80, 0x0000}}}, 12, 0,
     {.current_ma = {10000, -15900, 0}, .voltage_dv = {2300, 2315, 2298},
      .power_w = {0, -3600, 0}, .power_total_w = -1300, .import_wh = 12345670,
      .have = ALL_FIELDS & ~H(POWER_L1), .valid = true}, 0},
    {"eastron-sdm120", "single phase exporting",
     {{0x0000, {0x4366, 0x0000}},  /* 230.0 V */
      {0x0006, {0x40B0, 0x0000}},  /* 5.5 A */
      {0x000C, {0xC49E, 0x2000}},  /* -1265 W */
      {0x0048, {0x3F00, 0x0000}}}, /* 0.5 kWh */
     4, 0,
     {.current_ma = {-5500}, .voltage_dv = {2300}, .power_w = {-1265}, .import_wh = 500,
      .have = H(CURRENT_L1) | H(VOLTAGE_L1) | H(POWER_L1) | H(IMPORT_ENERGY), .valid = true}, 1},
    {"eastron-sdm72d-m", "v1: total power only",
     {{0x0034, {0x45E6, 0x0000}},  /* 7360 W */
      {0x0048, {0x42C8, 0x0000}}}, /* 100 kWh */
     2, 0,
     {.power_total_w = 7360, .import_wh = 100000, .have = H(POWER_TOTAL) | H(IMPORT_ENERGY),
      .valid = true}, 1},
    {"eastron-sdm72d-m", "v1: NaN total power fails",
     {{0x0034, {0x7FC0, 0x0000}}, {0x0048, {0x42C8, 0x0000}}}, 2, AMP_ERR_NOT_AVAILABLE,
     {.import_wh = 100000, .have = H(IMPORT_ENERGY), .valid = false}, 0},
    {"eastron-sdm72d-m-v2", "the SDM630 layout", {SDM630_NOMINAL_REGS}, 11, 0,
     {SDM630_NOMINAL_WANT, .have = ALL_FIELDS, .valid = true}, 1},
    {"abb-b23", "nominal; L2 exporting",
     {{0x5B00, {0x0000, 0x08FD}},  /* 230.1 V in 0.1 V */
      {0x5B02, {0x0000, 0x08FD}},
      {0x5B04, {0x0000, 0x08FD}},
      {0x5B0C, {0x0000, 0x0636}},  /* 15.90 A in 0.01 A */
      {0x5B0E, {0x0000, 0x0064}},  /* 1.00 A (magnitude) */
      {0x5B10, {0x0000, 0x0000}},
      {0x5B14, {0xFFFA, 0x6A50}},  /* -3660.00 W in 0.01 W */
      {0x5B16, {0x0003, 0x8270}},  /* 2300.00 W */
      {0x5B18, {0xFFFA, 0x6A50}},  /* -3660.00 W */
      {0x5B1A, {0x0000, 0x0000}},
      {0x5000, {0x0000, 0x0000, 0x0001, 0xE240}}}, /* 1234.56 kWh in 0.01 kWh (UINT64) */
     11, 0,
     {.current_ma = {15900, -1000, 0}, .voltage_dv = {2301, 2301, 2301},
      .power_w = {2300, -3660, 0}, .power_total_w = -3660, .import_wh = 1234560,
      .have = ALL_FIELDS, .valid = true}, 1},
    {"abb-b23", "all-ones current L1 is not available",
     {{0x5B0C, {0xFFFF, 0xFFFF}}}, 1, AMP_ERR_NOT_AVAILABLE,
     {.have = (ALL_FIELDS & ~H(CURRENT_L1)), .valid = false}, 0},
    {"abb-b23", "0x7FFFFFFF power L3 is not available, reading stays valid",
     {{0x5B1A, {0x7FFF, 0xFFFF}}}, 1, 0,
     {.have = (ALL_FIELDS & ~H(POWER_L3)), .valid = true}, 0},
    {"carlo-gavazzi-em24", "INT32 low word first",
     {{0x0000, {0x08FC, 0x0000}},  /* 230.0 V in 0.1 V */
      {0x0002, {0x08FC, 0x0000}},
      {0x0004, {0x08FC, 0x0000}},
      {0x000C, {0x3E80, 0x0000}},  /* 16.000 A in mA */
      {0x000E, {0xEC78, 0xFFFF}},  /* -5.000 A: signed by the meter */
      {0x0010, {0x0000, 0x0000}},
      {0x0012, {0x8FC0, 0x0000}},  /* 3680.0 W in 0.1 W */
      {0x0014, {0xD314, 0xFFFF}},  /* -1150.0 W */
      {0x0016, {0x0000, 0x0000}},
      {0x0028, {0x62D4, 0x0000}},  /* 2530.0 W */
      {0x0042, {0xE240, 0x0001}}}, /* 12345.6 kWh in 0.1 kWh */
     11, 0,
     {.current_ma = {16000, -5000, 0}, .voltage_dv = {2300, 2300, 2300},
      .power_w = {3680, -1150, 0}, .power_total_w = 2530, .import_wh = 12345600,
      .have = ALL_FIELDS, .valid = true}, 1},
    {"carlo-gavazzi-em24", "0x7FFFFFFF (low word first) current is not available",
     {{0x000C, {0xFFFF, 0x7FFF}}}, 1, AMP_ERR_NOT_AVAILABLE,
     {.have = (ALL_FIELDS & ~H(CURRENT_L1)), .valid = false}, 0},
    {"carlo-gavazzi-em340", "import at 0x34",
     {{0x000C, {0x3E80, 0x0000}},  /* 16.000 A */
      {0x0034, {0xE240, 0x0001}}}, /* 12345.6 kWh */
     2, 0,
     {.current_ma = {16000}, .import_wh = 12345600, .have = ALL_FIELDS, .valid = true}, 0},
    {"heidelberg-ec", "16 A charging",
     {{6, {0x00A0}}, {7, {0x009E}}, {8, {0x0000}},  /* 16.0, 15.8, 0 A in 0.1 A */
      {10, {0x00E6}}, {11, {0x00E7}}, {12, {0x00E5}}, /* 230, 231, 229 V */
      {14, {0x2B20}},                                 /* 11040 W */
      {17, {0x0012, 0xD687}}},                        /* 1234567 Wh */
     8, 0,
     {.current_ma = {16000, 15800, 0}, .voltage_dv = {2300, 2310, 2290},
      .power_total_w = 11040, .import_wh = 1234567,
      .have = I_ALL | U_ALL | H(POWER_TOTAL) | H(IMPORT_ENERGY), .valid = true}, 1},
    {"heidelberg-ec", "all-ones current L2 is not available",
     {{7, {0xFFFF}}}, 1, AMP_ERR_NOT_AVAILABLE,
     {.have = (I_ALL | U_ALL | H(POWER_TOTAL) | H(IMPORT_ENERGY)) & ~H(CURRENT_L2),
      .valid = false}, 0},
};
// clang-format on

#define N_VECS (sizeof(vecs) / sizeof(vecs[0]))

/* The size of the field a map has at addr (1 when none starts there). */
static size_t words_at(const struct mb_map *map, uint16_t addr)
{
    for (int f = 0; f < MB_FIELD_COUNT; f++) {
        if (map->field[f].type != MB_TYPE_NONE && map->field[f].addr == addr) {
            return mb_type_words((enum mb_type)map->field[f].type);
        }
    }
    return 1;
}

/* Places each literal register into the words the plan reads; registers not given read 0. */
static void build_image(const struct mb_map *map,
                        const struct mb_plan *plan,
                        const struct regw *regs,
                        size_t n,
                        uint16_t *words)
{
    memset(words, 0, plan->n_words * sizeof(uint16_t));
    for (size_t r = 0; r < n; r++) {
        size_t off = 0;
        for (size_t b = 0; b < plan->n_block; b++) {
            const struct mb_block *bl = &plan->block[b];
            if (regs[r].addr >= bl->addr && regs[r].addr < bl->addr + bl->count) {
                size_t at = off + (regs[r].addr - bl->addr);
                size_t len = words_at(map, regs[r].addr);
                for (size_t k = 0; k < len && at + k < off + bl->count; k++) {
                    words[at + k] = regs[r].w[k];
                }
            }
            off += bl->count;
        }
    }
}

static void assert_reading_eq(const char *what,
                              const struct mb_reading *got,
                              const struct mb_reading *want,
                              bool values_too)
{
    ck_assert_msg(got->have == want->have, "%s: have 0x%x want 0x%x", what, got->have, want->have);
    ck_assert_msg(got->valid == want->valid, "%s: valid %d", what, got->valid);
    ck_assert_uint_eq(got->at_ms, 0);
    if (!values_too) {
        return;
    }
    for (int p = 0; p < 3; p++) {
        ck_assert_msg(got->current_ma[p] == want->current_ma[p], "%s: current L%d %d want %d", what,
                      p + 1, got->current_ma[p], want->current_ma[p]);
        ck_assert_msg(got->voltage_dv[p] == want->voltage_dv[p], "%s: voltage L%d %d want %d", what,
                      p + 1, got->voltage_dv[p], want->voltage_dv[p]);
        ck_assert_msg(got->power_w[p] == want->power_w[p], "%s: power L%d %d want %d", what, p + 1,
                      got->power_w[p], want->power_w[p]);
    }
    ck_assert_int_eq(got->power_total_w, want->power_total_w);
    ck_assert_int_eq(got->import_wh, want->import_wh);
}

START_TEST(test_map_vector_decodes_to_literal_reading)
{
    const struct map_vec *v = &vecs[_i];
    const struct mb_map *map = mb_map_find(v->map);
    ck_assert_ptr_nonnull(map);
    struct mb_plan plan;
    ck_assert_int_eq(mb_map_plan(map, &plan), 0);
    uint16_t words[MB_PLAN_WORDS_MAX];
    build_image(map, &plan, v->regs, v->n_regs, words);
    struct mb_reading got;
    int rc = mb_map_decode(map, &plan, words, plan.n_words, &got);
    ck_assert_msg(rc == v->want_rc, "%s %s: rc %d want %d", v->map, v->what, rc, v->want_rc);
    /* Vectors that give only a few registers check have/valid; full ones check every value. */
    bool full = v->n_regs >= 8 || v->roundtrip || strcmp(v->map, "eastron-sdm72d-m") == 0;
    assert_reading_eq(v->what, &got, &v->want, full);
}

END_TEST

START_TEST(test_map_vector_encodes_to_literal_words)
{
    const struct map_vec *v = &vecs[_i];
    if (!v->roundtrip) {
        return;
    }
    const struct mb_map *map = mb_map_find(v->map);
    uint16_t first, count;
    ck_assert_int_eq(mb_map_span(map, &first, &count), 0);
    static uint16_t image[65536];
    memset(image, 0, sizeof(image));
    const int64_t values[MB_FIELD_COUNT] = {
        v->want.current_ma[0], v->want.current_ma[1], v->want.current_ma[2], v->want.voltage_dv[0],
        v->want.voltage_dv[1], v->want.voltage_dv[2], v->want.power_w[0],    v->want.power_w[1],
        v->want.power_w[2],    v->want.power_total_w, v->want.import_wh,
    };
    for (int f = 0; f < MB_FIELD_COUNT; f++) {
        int rc =
            mb_map_encode_field(map, (enum mb_field_id)f, values[f], false, image, first, count);
        ck_assert_int_eq(rc, (v->want.have & MB_HAVE(f)) ? 0 : -ENOENT);
    }
    for (size_t r = 0; r < v->n_regs; r++) {
        const struct regw *rw = &v->regs[r];
        for (int f = 0; f < MB_FIELD_COUNT; f++) {
            if (map->field[f].type == MB_TYPE_NONE || map->field[f].addr != rw->addr) {
                continue;
            }
            size_t n = mb_type_words((enum mb_type)map->field[f].type);
            ck_assert_msg(memcmp(&image[rw->addr - first], rw->w, n * 2) == 0,
                          "%s: %s encodes to other words", v->map, mb_field_name(f));
        }
    }
}

END_TEST

START_TEST(test_every_builtin_map_is_valid_cited_and_plannable)
{
    const struct mb_map *map = mb_map_at((size_t)_i);
    char err[256] = "";
    ck_assert_int_eq(mb_map_validate(map, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(map->model);
    ck_assert_ptr_nonnull(strstr(map->source, "modbus-maps.md §"));
    ck_assert_ptr_eq(mb_map_find(map->name), map);
    struct mb_plan plan;
    ck_assert_int_eq(mb_map_plan(map, &plan), 0);
    ck_assert_uint_ge(plan.n_block, 1);
    size_t sum = 0;
    for (size_t b = 0; b < plan.n_block; b++) {
        ck_assert_uint_le(plan.block[b].count, map->max_regs);
        sum += plan.block[b].count;
    }
    ck_assert_uint_eq(sum, plan.n_words);
    for (size_t j = 0; j < mb_map_count(); j++) {
        if (j != (size_t)_i) {
            ck_assert_str_ne(mb_map_at(j)->name, map->name);
        }
    }
}

END_TEST

struct plan_case {
    const char *map;
    size_t n_block;
    struct mb_block block[4];
};

// clang-format off
static const struct plan_case plans[] = {
    {"eastron-sdm630", 1, {{0x0000, 0x4A}}},
    {"eastron-sdm120", 2, {{0x0000, 0x0E}, {0x0048, 2}}},
    {"eastron-sdm72d-m", 2, {{0x0034, 2}, {0x0048, 2}}},
    {"eastron-sdm72d-m-v2", 4, {{0x0000, 10}, {0x000A, 8}, {0x0034, 2}, {0x0048, 2}}},
    {"abb-b23", 2, {{0x5000, 4}, {0x5B00, 0x1C}}},
    {"carlo-gavazzi-em24", 2, {{0x0000, 0x18}, {0x0028, 0x1C}}},
    {"carlo-gavazzi-em340", 2, {{0x0000, 0x18}, {0x0028, 0x0E}}},
    {"heidelberg-ec", 1, {{6, 13}}},
};

// clang-format on

START_TEST(test_plan_groups_registers_into_literal_blocks)
{
    const struct plan_case *c = &plans[_i];
    struct mb_plan plan;
    ck_assert_int_eq(mb_map_plan(mb_map_find(c->map), &plan), 0);
    ck_assert_msg(plan.n_block == c->n_block, "%s: %zu blocks", c->map, plan.n_block);
    for (size_t b = 0; b < c->n_block; b++) {
        ck_assert_msg(
            plan.block[b].addr == c->block[b].addr && plan.block[b].count == c->block[b].count,
            "%s block %zu: 0x%04x+%u", c->map, b, plan.block[b].addr, plan.block[b].count);
    }
}

END_TEST

START_TEST(test_aliases_resolve_to_stable_names)
{
    ck_assert_str_eq(mb_map_find("sdm630")->name, "eastron-sdm630");
    ck_assert_str_eq(mb_map_find("abb-b24")->name, "abb-b23");
    ck_assert_str_eq(mb_map_find("carlo-gavazzi-et340")->name, "carlo-gavazzi-em340");
    ck_assert_ptr_null(mb_map_find("eastron-sdm999"));
    ck_assert_ptr_null(mb_map_find("generic"));
    ck_assert_ptr_null(mb_map_find(NULL));
    for (size_t i = 0; i < mb_map_alias_count(); i++) {
        const char *target;
        const char *alias = mb_map_alias_at(i, &target);
        ck_assert_ptr_nonnull(mb_map_find(alias));
        ck_assert_str_eq(mb_map_find(alias)->name, target);
    }
}

END_TEST

START_TEST(test_sdm72d_m_v1_is_refused_for_per_phase_use)
{
    char err[256] = "";
    const struct mb_map *v1 = mb_map_find("eastron-sdm72d-m");
    ck_assert_int_eq(mb_map_check_use(v1, MB_USE_PER_PHASE, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "eastron-sdm72d-m reports total power only"));
    ck_assert_ptr_nonnull(strstr(err, "eastron-sdm72d-m-v2"));
    ck_assert_int_eq(mb_map_check_use(v1, MB_USE_TOTAL, err, sizeof(err)), 0);
    ck_assert_int_eq(
        mb_map_check_use(mb_map_find("eastron-sdm72d-m-v2"), MB_USE_PER_PHASE, err, sizeof(err)),
        0);
}

END_TEST

START_TEST(test_decode_refuses_a_word_count_that_does_not_match_the_plan)
{
    const struct mb_map *map = mb_map_find("eastron-sdm630");
    struct mb_plan plan;
    ck_assert_int_eq(mb_map_plan(map, &plan), 0);
    uint16_t words[MB_PLAN_WORDS_MAX] = {0};
    struct mb_reading r;
    ck_assert_int_eq(mb_map_decode(map, &plan, words, plan.n_words - 1, &r), -EINVAL);
}

END_TEST

static int
set_all(struct mb_map_custom *c, const char *const (*kv)[2], size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        int rc = mb_map_generic_set(c, kv[i][0], kv[i][1], err, errlen);
        if (rc != 0) {
            return rc;
        }
    }
    return mb_map_generic_finish(c, err, errlen);
}

START_TEST(test_generic_map_from_keys_reads_like_the_sdm630)
{
    static const char *const kv[][2] = {
        {"current_regs", "0x0006, 0x0008, 0x000A"},
        {"voltage_regs", "0,2,4"},
        {"power_regs", "12,14,16"},
        {"power_total_reg", "0x34"},
        {"import_energy_reg", "0x48"},
        {"fc", "input"},
        {"type", "float32"},
        {"word_order", "high-first"},
        {"sign_current_by_power", "yes"},
        {"max_registers_per_read", "80"},
        {"max_unused_registers", "80"},
    };
    struct mb_map_custom c;
    char err[256] = "";
    mb_map_generic_init(&c, "my-meter");
    ck_assert_msg(set_all(&c, kv, sizeof(kv) / sizeof(kv[0]), err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(c.map.name, "my-meter");

    struct mb_plan plan;
    ck_assert_int_eq(mb_map_plan(&c.map, &plan), 0);
    ck_assert_uint_eq(plan.n_block, 1);
    uint16_t words[MB_PLAN_WORDS_MAX];
    build_image(&c.map, &plan, vecs[0].regs, vecs[0].n_regs, words);
    struct mb_reading got;
    ck_assert_int_eq(mb_map_decode(&c.map, &plan, words, plan.n_words, &got), 0);
    assert_reading_eq("generic sdm630", &got, &vecs[0].want, true);
}

END_TEST

START_TEST(test_generic_map_with_integer_types_and_scales)
{
    /* An EM24-like meter described by keys: INT32 low word first, mA, 0.1 V, 0.1 W, 0.1 kWh. */
    static const char *const kv[][2] = {
        {"current_regs", "0x0C"},      {"voltage_regs", "0x00"},  {"power_regs", "0x12"},
        {"import_energy_reg", "0x42"}, {"type", "int32"},         {"word_order", "lsw-first"},
        {"current_scale", "-3"},       {"voltage_scale", "-1"},   {"power_scale", "-1"},
        {"energy_scale", "-1"},        {"energy_type", "uint32"}, {"function", "4"},
    };
    struct mb_map_custom c;
    char err[256] = "";
    mb_map_generic_init(&c, "em24-like");
    ck_assert_msg(set_all(&c, kv, sizeof(kv) / sizeof(kv[0]), err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(c.map.phases, 1);
    struct mb_plan plan;
    ck_assert_int_eq(mb_map_plan(&c.map, &plan), 0);
    ck_assert_uint_eq(plan.n_block, 4); /* max_unused_registers defaults to 0 */
    const struct regw regs[] = {
        {0x00, {0x08FC, 0x0000}},
        {0x0C, {0xEC78, 0xFFFF}},
        {0x12, {0xD314, 0xFFFF}},
        {0x42, {0xE240, 0x0001}},
    };
    uint16_t words[MB_PLAN_WORDS_MAX];
    build_image(&c.map, &plan, regs, 4, words);
    struct mb_reading got;
    ck_assert_int_eq(mb_map_decode(&c.map, &plan, words, plan.n_words, &got), 0);
    ck_assert_int_eq(got.current_ma[0], -5000);
    ck_assert_int_eq(got.voltage_dv[0], 2300);
    ck_assert_int_eq(got.power_w[0], -1150);
    ck_assert_int_eq(got.import_wh, 12345600);
}

END_TEST

struct bad_key {
    const char *key, *value;
    int want_rc;
    const char *want_text;
};

static const struct bad_key bad_keys[] = {
    {"colour", "blue", -ENOENT, "unknown key 'colour'"},
    {"type", "float", -EINVAL, "type: 'float' is not int16"},
    {"current_regs", "1,2", -EINVAL, "1 or 3 register addresses"},
    {"current_regs", "0x10000", -EINVAL, "1 or 3 register addresses"},
    {"current_scale", "7", -EINVAL, "power of ten from -6 to 6"},
    {"word_order", "middle", -EINVAL, "not high-first or low-first"},
    {"fc", "6", -EINVAL, "not 3 (holding) or 4 (input)"},
    {"max_registers_per_read", "126", -EINVAL, "1-125"},
    {"sign_current_by_power", "maybe", -EINVAL, "not yes or no"},
    {"power_total_reg", "-1", -EINVAL, "not a register address"},
};

START_TEST(test_generic_bad_key_or_value_names_it)
{
    const struct bad_key *b = &bad_keys[_i];
    struct mb_map_custom c;
    char err[256] = "";
    mb_map_generic_init(&c, "g");
    ck_assert_int_eq(mb_map_generic_set(&c, b->key, b->value, err, sizeof(err)), b->want_rc);
    ck_assert_msg(strstr(err, b->want_text) != NULL, "message '%s'", err);
}

END_TEST

START_TEST(test_generic_inconsistent_maps_are_refused_at_finish)
{
    struct mb_map_custom c;
    char err[256] = "";

    mb_map_generic_init(&c, "empty");
    ck_assert_int_eq(mb_map_generic_finish(&c, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "set current_regs"));

    mb_map_generic_init(&c, "mismatch");
    ck_assert_int_eq(mb_map_generic_set(&c, "current_regs", "6,8,10", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_map_generic_set(&c, "voltage_regs", "0", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_map_generic_finish(&c, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "voltage_regs lists 1 registers"));

    mb_map_generic_init(&c, "overlap");
    ck_assert_int_eq(mb_map_generic_set(&c, "current_regs", "6,7,8", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_map_generic_finish(&c, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "overlaps"));

    mb_map_generic_init(&c, "unsigned-sign");
    ck_assert_int_eq(mb_map_generic_set(&c, "current_regs", "6", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_map_generic_set(&c, "sign_current_by_power", "yes", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_map_generic_finish(&c, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "needs power_l1"));

    mb_map_generic_init(&c, "total");
    ck_assert_int_eq(mb_map_generic_set(&c, "power_total_reg", "0x34", err, sizeof(err)), 0);
    ck_assert_int_eq(mb_map_generic_finish(&c, err, sizeof(err)), 0);
    ck_assert_int_eq(mb_map_check_use(&c.map, MB_USE_PER_PHASE, err, sizeof(err)), -EINVAL);
}

END_TEST

static Suite *mb_maps_suite(void)
{
    Suite *s = suite_create("mb_maps");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_map_vector_decodes_to_literal_reading, 0, (int)N_VECS);
    tcase_add_loop_test(tc, test_map_vector_encodes_to_literal_words, 0, (int)N_VECS);
    tcase_add_loop_test(tc, test_every_builtin_map_is_valid_cited_and_plannable, 0,
                        (int)mb_map_count());
    tcase_add_loop_test(tc, test_plan_groups_registers_into_literal_blocks, 0,
                        (int)(sizeof(plans) / sizeof(plans[0])));
    tcase_add_test(tc, test_aliases_resolve_to_stable_names);
    tcase_add_test(tc, test_sdm72d_m_v1_is_refused_for_per_phase_use);
    tcase_add_test(tc, test_decode_refuses_a_word_count_that_does_not_match_the_plan);
    tcase_add_test(tc, test_generic_map_from_keys_reads_like_the_sdm630);
    tcase_add_test(tc, test_generic_map_with_integer_types_and_scales);
    tcase_add_loop_test(tc, test_generic_bad_key_or_value_names_it, 0,
                        (int)(sizeof(bad_keys) / sizeof(bad_keys[0])));
    tcase_add_test(tc, test_generic_inconsistent_maps_are_refused_at_finish);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(mb_maps_suite)
