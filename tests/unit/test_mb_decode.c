/* SPDX-License-Identifier: MIT */
/* Register words <-> scaled integers: every type, both word orders, rounding, "not available". */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "drivers/base/amp_err.h"
#include "drivers/modbus/mb_decode.h"
#include "tests/support/check_main.h"

#define HI MB_ORDER_HIGH_FIRST
#define LO MB_ORDER_LOW_FIRST
#define NA AMP_ERR_NOT_AVAILABLE

struct vec {
    const char *what;
    enum mb_type type;
    enum mb_order order;
    int exp10;
    uint16_t w[4];
    int want_rc;
    int64_t want;
    int roundtrip; /* encode(want) must give back exactly w */
};

/* Float bit patterns from IEEE-754 binary32 (checked with Python's struct.pack('>f', v)). */
// clang-format off
static const struct vec vecs[] = {
    {"uint16 plain", MB_TYPE_UINT16, HI, 0, {0x1234}, 0, 4660, 1},
    {"uint16 0.1 A -> mA", MB_TYPE_UINT16, HI, 2, {0x00A0}, 0, 16000, 1},
    {"int16 negative", MB_TYPE_INT16, HI, 0, {0xFF38}, 0, -200, 1},
    {"int16 0x7FFF is n/a", MB_TYPE_INT16, HI, 0, {0x7FFF}, NA, 0, 0},
    {"int16 0x8000 is n/a", MB_TYPE_INT16, HI, 0, {0x8000}, NA, 0, 0},
    {"uint16 all ones is n/a", MB_TYPE_UINT16, HI, 0, {0xFFFF}, NA, 0, 0},
    {"uint32 high first", MB_TYPE_UINT32, HI, 0, {0x0001, 0x86A0}, 0, 100000, 1},
    {"uint32 low first", MB_TYPE_UINT32, LO, 0, {0x86A0, 0x0001}, 0, 100000, 1},
    {"int32 low first negative", MB_TYPE_INT32, LO, 0, {0xFF38, 0xFFFF}, 0, -200, 1},
    {"int32 high first negative", MB_TYPE_INT32, HI, 0, {0xFFFA, 0x6A50}, 0, -366000, 1},
    {"int32 0x7FFFFFFF is n/a", MB_TYPE_INT32, HI, 0, {0x7FFF, 0xFFFF}, NA, 0, 0},
    {"int32 0x7FFFFFFF low first is n/a", MB_TYPE_INT32, LO, 0, {0xFFFF, 0x7FFF}, NA, 0, 0},
    {"int32 0x80000000 is n/a", MB_TYPE_INT32, HI, 0, {0x8000, 0x0000}, NA, 0, 0},
    {"uint32 all ones is n/a", MB_TYPE_UINT32, LO, 0, {0xFFFF, 0xFFFF}, NA, 0, 0},
    {"uint32 0.01 A -> mA (ABB)", MB_TYPE_UINT32, HI, 1, {0x0000, 0x0636}, 0, 15900, 1},
    {"uint64 0.01 kWh -> Wh (ABB)", MB_TYPE_UINT64, HI, 1, {0x0000, 0x0000, 0x0001, 0xE240}, 0,
     1234560, 1},
    {"uint64 low first", MB_TYPE_UINT64, LO, 0, {0xE240, 0x0001, 0x0000, 0x0000}, 0, 123456, 1},
    {"uint64 all ones is n/a", MB_TYPE_UINT64, HI, 0, {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF}, NA, 0, 0},
    {"uint64 above int64 is out of range", MB_TYPE_UINT64, HI, 0, {0x8000, 0, 0, 0}, -ERANGE, 0,
     0},
    {"int64 minus one", MB_TYPE_INT64, HI, 0, {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF}, 0, -1, 1},
    {"int64 0x7FFF... is n/a", MB_TYPE_INT64, HI, 0, {0x7FFF, 0xFFFF, 0xFFFF, 0xFFFF}, NA, 0, 0},
    {"int64 0x8000... is n/a", MB_TYPE_INT64, LO, 0, {0x0000, 0x0000, 0x0000, 0x8000}, NA, 0, 0},
    {"int64 x10 overflows", MB_TYPE_INT64, HI, 1, {0x7FFF, 0xFFFF, 0xFFFF, 0xFFFE}, -ERANGE, 0, 0},
    {"float32 230.0 V -> dV", MB_TYPE_FLOAT32, HI, 1, {0x4366, 0x0000}, 0, 2300, 1},
    {"float32 230.0 V low first", MB_TYPE_FLOAT32, LO, 1, {0x0000, 0x4366}, 0, 2300, 1},
    {"float32 229.8 V rounds to 2298 dV", MB_TYPE_FLOAT32, HI, 1, {0x4365, 0xCCCD}, 0, 2298, 1},
    {"float32 15.9 A rounds to 15900 mA", MB_TYPE_FLOAT32, HI, 3, {0x417E, 0x6666}, 0, 15900, 1},
    {"float32 -2300 W", MB_TYPE_FLOAT32, HI, 0, {0xC50F, 0xC000}, 0, -2300, 1},
    {"float32 12345.67 kWh -> Wh", MB_TYPE_FLOAT32, HI, 3, {0x4640, 0xE6AE}, 0, 12345670, 1},
    {"float32 0.5 rounds away from zero", MB_TYPE_FLOAT32, HI, 0, {0x3F00, 0x0000}, 0, 1, 0},
    {"float32 -0.5 rounds away from zero", MB_TYPE_FLOAT32, HI, 0, {0xBF00, 0x0000}, 0, -1, 0},
    {"float32 2.5 rounds to 3", MB_TYPE_FLOAT32, HI, 0, {0x4020, 0x0000}, 0, 3, 0},
    {"float32 1000 W / 10", MB_TYPE_FLOAT32, HI, -1, {0x447A, 0x0000}, 0, 100, 1},
    {"float32 quiet NaN is n/a", MB_TYPE_FLOAT32, HI, 3, {0x7FC0, 0x0000}, NA, 0, 0},
    {"float32 all ones (NaN) is n/a", MB_TYPE_FLOAT32, HI, 3, {0xFFFF, 0xFFFF}, NA, 0, 0},
    {"float32 +inf is n/a", MB_TYPE_FLOAT32, HI, 0, {0x7F80, 0x0000}, NA, 0, 0},
    {"float32 -inf is n/a", MB_TYPE_FLOAT32, LO, 0, {0x0000, 0xFF80}, NA, 0, 0},
    {"float32 1e30 x1000 is out of range", MB_TYPE_FLOAT32, HI, 3, {0x7149, 0xF2CA}, -ERANGE, 0, 0},
    {"int32 0.1 W halves round away (1234.5)", MB_TYPE_INT32, LO, -1, {0x3039, 0x0000}, 0, 1235, 0},
    {"int32 0.1 W halves round away (-1234.5)", MB_TYPE_INT32, LO, -1, {0xCFC7, 0xFFFF}, 0, -1235,
     0},
    {"int32 0.1 W 1234.4 rounds down", MB_TYPE_INT32, LO, -1, {0x3038, 0x0000}, 0, 1234, 0},
    {"bad type", MB_TYPE_NONE, HI, 0, {0}, -EINVAL, 0, 0},
    {"exponent too large", MB_TYPE_UINT16, HI, 10, {1}, -EINVAL, 0, 0},
    {"bad order", MB_TYPE_UINT32, (enum mb_order)2, 0, {1, 2}, -EINVAL, 0, 0},
};
// clang-format on

#define N_VECS (sizeof(vecs) / sizeof(vecs[0]))

START_TEST(test_decode_vector_gives_literal_value)
{
    const struct vec *v = &vecs[_i];
    int64_t got = 0x5A5A5A5A;
    int rc = mb_decode_scaled(v->w, v->type, v->order, v->exp10, &got);
    ck_assert_msg(rc == v->want_rc, "%s: rc %d, want %d", v->what, rc, v->want_rc);
    if (v->want_rc == 0) {
        ck_assert_msg(got == v->want, "%s: got %lld, want %lld", v->what, (long long)got,
                      (long long)v->want);
    } else {
        ck_assert_msg(got == 0x5A5A5A5A, "%s: output written on failure", v->what);
    }
}

END_TEST

START_TEST(test_encode_vector_gives_literal_words)
{
    const struct vec *v = &vecs[_i];
    if (!v->roundtrip) {
        return;
    }
    uint16_t w[4] = {0xAAAA, 0xAAAA, 0xAAAA, 0xAAAA};
    ck_assert_int_eq(mb_encode_scaled(v->want, v->type, v->order, v->exp10, w), 0);
    ck_assert_msg(memcmp(w, v->w, mb_type_words(v->type) * 2) == 0, "%s: words differ", v->what);
}

END_TEST

START_TEST(test_not_available_pattern_decodes_as_not_available)
{
    enum mb_type t = (enum mb_type)(_i + 1);
    uint16_t w[4];
    int64_t got;
    for (int o = 0; o < MB_ORDER_COUNT; o++) {
        ck_assert_int_eq(mb_encode_not_available(t, (enum mb_order)o, w), 0);
        ck_assert_int_eq(mb_decode_scaled(w, t, (enum mb_order)o, 0, &got), NA);
    }
}

END_TEST

START_TEST(test_encode_refuses_values_the_type_cannot_carry)
{
    uint16_t w[4];
    ck_assert_int_eq(mb_encode_scaled(-1, MB_TYPE_UINT16, HI, 0, w), -ERANGE);
    ck_assert_int_eq(mb_encode_scaled(65535, MB_TYPE_UINT16, HI, 0, w), -ERANGE); /* = n/a */
    ck_assert_int_eq(mb_encode_scaled(65534, MB_TYPE_UINT16, HI, 0, w), 0);
    ck_assert_int_eq(mb_encode_scaled(32767, MB_TYPE_INT16, HI, 0, w), -ERANGE);
    ck_assert_int_eq(mb_encode_scaled(70000, MB_TYPE_INT16, HI, 0, w), -ERANGE);
    ck_assert_int_eq(mb_encode_scaled(INT64_MAX, MB_TYPE_INT64, HI, -1, w), -ERANGE);
}

END_TEST

START_TEST(test_type_names_round_trip_and_word_counts)
{
    static const size_t words[MB_TYPE_COUNT] = {0, 1, 1, 2, 2, 2, 4, 4};
    for (int t = 1; t < MB_TYPE_COUNT; t++) {
        enum mb_type back;
        ck_assert_ptr_nonnull(mb_type_name((enum mb_type)t));
        ck_assert_int_eq(mb_type_parse(mb_type_name((enum mb_type)t), &back), 0);
        ck_assert_int_eq(back, t);
        ck_assert_uint_eq(mb_type_words((enum mb_type)t), words[t]);
    }
    enum mb_type t;
    ck_assert_int_eq(mb_type_parse("float", &t), -EINVAL);
    ck_assert_ptr_null(mb_type_name(MB_TYPE_NONE));
    ck_assert_str_eq(mb_type_name(MB_TYPE_FLOAT32), "float32");
}

END_TEST

static Suite *mb_decode_suite(void)
{
    Suite *s = suite_create("mb_decode");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_decode_vector_gives_literal_value, 0, (int)N_VECS);
    tcase_add_loop_test(tc, test_encode_vector_gives_literal_words, 0, (int)N_VECS);
    tcase_add_loop_test(tc, test_not_available_pattern_decodes_as_not_available, 0,
                        MB_TYPE_COUNT - 1);
    tcase_add_test(tc, test_encode_refuses_values_the_type_cannot_carry);
    tcase_add_test(tc, test_type_names_round_trip_and_word_counts);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(mb_decode_suite)
