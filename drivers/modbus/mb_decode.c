/* SPDX-License-Identifier: MIT */
/* Register words <-> scaled integers. The one place where a Modbus float32 becomes an integer. */
#include "drivers/modbus/mb_decode.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "drivers/base/amp_err.h"

static const int64_t pow10_i64[MB_EXP10_MAX + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

static const char *const type_names[MB_TYPE_COUNT] = {
    [MB_TYPE_INT16] = "int16",   [MB_TYPE_UINT16] = "uint16",   [MB_TYPE_INT32] = "int32",
    [MB_TYPE_UINT32] = "uint32", [MB_TYPE_FLOAT32] = "float32", [MB_TYPE_INT64] = "int64",
    [MB_TYPE_UINT64] = "uint64",
};

size_t mb_type_words(enum mb_type t)
{
    switch (t) {
    case MB_TYPE_INT16:
    case MB_TYPE_UINT16:
        return 1;
    case MB_TYPE_INT32:
    case MB_TYPE_UINT32:
    case MB_TYPE_FLOAT32:
        return 2;
    case MB_TYPE_INT64:
    case MB_TYPE_UINT64:
        return 4;
    default:
        return 0;
    }
}

const char *mb_type_name(enum mb_type t)
{
    if ((int)t <= MB_TYPE_NONE || t >= MB_TYPE_COUNT) {
        return NULL;
    }
    return type_names[t];
}

int mb_type_parse(const char *name, enum mb_type *out)
{
    for (int t = MB_TYPE_NONE + 1; t < MB_TYPE_COUNT; t++) {
        if (strcmp(name, type_names[t]) == 0) {
            *out = (enum mb_type)t;
            return 0;
        }
    }
    return -EINVAL;
}

static bool args_ok(enum mb_type t, enum mb_order o, int exp10)
{
    return mb_type_words(t) != 0 && (o == MB_ORDER_HIGH_FIRST || o == MB_ORDER_LOW_FIRST) &&
           exp10 >= -MB_EXP10_MAX && exp10 <= MB_EXP10_MAX;
}

/* Joins n words into one unsigned integer, most significant word first. */
static uint64_t join_words(const uint16_t *w, size_t n, enum mb_order o)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        size_t idx = o == MB_ORDER_HIGH_FIRST ? i : n - 1 - i;
        v = (v << 16) | w[idx];
    }
    return v;
}

static void split_words(uint64_t v, size_t n, enum mb_order o, uint16_t *w)
{
    for (size_t i = 0; i < n; i++) {
        /* i counts from the least significant word */
        size_t idx = o == MB_ORDER_HIGH_FIRST ? n - 1 - i : i;
        w[idx] = (uint16_t)(v & 0xFFFF);
        v >>= 16;
    }
}

/* x / d rounded to nearest, halves away from zero; d > 0. Exact in integers, no overflow. */
static int64_t div_round(int64_t x, int64_t d)
{
    int64_t q = x / d;
    int64_t r = x % d;
    if (r < 0) {
        r = -r;
    }
    if (r >= d - r) {
        q += x < 0 ? -1 : 1;
    }
    return q;
}

/* x * 10^exp10 for an integer x, rounding as div_round. */
static int scale_i64(int64_t x, int exp10, int64_t *out)
{
    if (exp10 >= 0) {
        int64_t r;
        if (__builtin_mul_overflow(x, pow10_i64[exp10], &r)) {
            return -ERANGE;
        }
        *out = r;
        return 0;
    }
    *out = div_round(x, pow10_i64[-exp10]);
    return 0;
}

/*
 * float32 -> integer, the only float conversion in ampshare. The float is widened to double
 * (exact), multiplied or divided by an exact power of ten, and rounded to the nearest integer,
 * halves away from zero. Nearest, not down: a float32 cannot hold most decimal readings exactly
 * (15.9 A is stored as 15.8999996 A), so truncating would turn a meter's 15.9 A into 15899 mA.
 * Measured values are facts, not limits; limits are rounded down where they are made (mb_evse.c).
 * The error is at most half a unit of the target (0.5 mA, 0.05 V, 0.5 W, 0.5 Wh), far inside any
 * meter's accuracy.
 */
static int scale_float(float f, int exp10, int64_t *out)
{
    if (!isfinite(f)) {
        return AMP_ERR_NOT_AVAILABLE;
    }
    double d = (double)f;
    if (exp10 >= 0) {
        d *= (double)pow10_i64[exp10];
    } else {
        d /= (double)pow10_i64[-exp10];
    }
    /* 2^63 is exactly representable; anything at or beyond it cannot be an int64_t. */
    if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) {
        return -ERANGE;
    }
    double r = round(d); /* halves away from zero */
    if (!(r > -9223372036854775808.0 && r < 9223372036854775808.0)) {
        return -ERANGE;
    }
    *out = (int64_t)r;
    return 0;
}

int mb_decode_scaled(const uint16_t *w, enum mb_type t, enum mb_order o, int exp10, int64_t *out)
{
    if (!args_ok(t, o, exp10)) {
        return -EINVAL;
    }
    size_t n = mb_type_words(t);
    uint64_t u = join_words(w, n, o);
    int64_t raw;

    /* "Not available" patterns: all ones for unsigned types, 0x7FFF... for signed ones (ABB,
     * modbus-maps.md §3.4), and 0x8000... for signed ones (the other common convention; no
     * meter reports the most negative value as a reading). */
    switch (t) {
    case MB_TYPE_UINT16:
        if (u == 0xFFFFu) {
            return AMP_ERR_NOT_AVAILABLE;
        }
        raw = (int64_t)u;
        break;
    case MB_TYPE_INT16:
        if (u == 0x7FFFu || u == 0x8000u) {
            return AMP_ERR_NOT_AVAILABLE;
        }
        raw = (int16_t)(uint16_t)u;
        break;
    case MB_TYPE_UINT32:
        if (u == 0xFFFFFFFFu) {
            return AMP_ERR_NOT_AVAILABLE;
        }
        raw = (int64_t)u;
        break;
    case MB_TYPE_INT32:
        if (u == 0x7FFFFFFFu || u == 0x80000000u) {
            return AMP_ERR_NOT_AVAILABLE;
        }
        raw = (int32_t)(uint32_t)u;
        break;
    case MB_TYPE_UINT64:
        if (u == UINT64_MAX) {
            return AMP_ERR_NOT_AVAILABLE;
        }
        if (u > (uint64_t)INT64_MAX) {
            return -ERANGE;
        }
        raw = (int64_t)u;
        break;
    case MB_TYPE_INT64:
        if (u == (uint64_t)INT64_MAX || u == (uint64_t)1 << 63) {
            return AMP_ERR_NOT_AVAILABLE;
        }
        raw = (int64_t)u; /* two's complement on every target we build for */
        break;
    case MB_TYPE_FLOAT32: {
        uint32_t bits = (uint32_t)u;
        float f;
        memcpy(&f, &bits, sizeof(f));
        return scale_float(f, exp10, out);
    }
    default:
        return -EINVAL;
    }
    return scale_i64(raw, exp10, out);
}

/* Range of raw values a type can carry as a reading (its "not available" patterns excluded). */
static void raw_range(enum mb_type t, int64_t *lo, int64_t *hi)
{
    switch (t) {
    case MB_TYPE_INT16:
        *lo = INT16_MIN + 1;
        *hi = INT16_MAX - 1;
        break;
    case MB_TYPE_UINT16:
        *lo = 0;
        *hi = UINT16_MAX - 1;
        break;
    case MB_TYPE_INT32:
        *lo = (int64_t)INT32_MIN + 1;
        *hi = (int64_t)INT32_MAX - 1;
        break;
    case MB_TYPE_UINT32:
        *lo = 0;
        *hi = (int64_t)UINT32_MAX - 1;
        break;
    case MB_TYPE_INT64:
        *lo = INT64_MIN + 1;
        *hi = INT64_MAX - 1;
        break;
    default: /* MB_TYPE_UINT64 */
        *lo = 0;
        *hi = INT64_MAX;
        break;
    }
}

int mb_encode_scaled(int64_t value, enum mb_type t, enum mb_order o, int exp10, uint16_t *w)
{
    if (!args_ok(t, o, exp10)) {
        return -EINVAL;
    }
    size_t n = mb_type_words(t);
    if (t == MB_TYPE_FLOAT32) {
        double d = (double)value;
        if (exp10 >= 0) {
            d /= (double)pow10_i64[exp10];
        } else {
            d *= (double)pow10_i64[-exp10];
        }
        float f = (float)d;
        if (!isfinite(f)) {
            return -ERANGE;
        }
        uint32_t bits;
        memcpy(&bits, &f, sizeof(bits));
        split_words(bits, n, o, w);
        return 0;
    }
    int64_t raw;
    if (scale_i64(value, -exp10, &raw) != 0) {
        return -ERANGE;
    }
    int64_t lo, hi;
    raw_range(t, &lo, &hi);
    if (raw < lo || raw > hi) {
        return -ERANGE;
    }
    split_words((uint64_t)raw, n, o, w);
    return 0;
}

int mb_encode_not_available(enum mb_type t, enum mb_order o, uint16_t *w)
{
    if (!args_ok(t, o, 0)) {
        return -EINVAL;
    }
    size_t n = mb_type_words(t);
    uint64_t v;
    switch (t) {
    case MB_TYPE_FLOAT32:
        v = 0x7FC00000u; /* the canonical quiet NaN */
        break;
    case MB_TYPE_INT16:
        v = 0x7FFFu;
        break;
    case MB_TYPE_INT32:
        v = 0x7FFFFFFFu;
        break;
    case MB_TYPE_INT64:
        v = (uint64_t)INT64_MAX;
        break;
    default: /* unsigned: all ones */
        v = n == 4 ? UINT64_MAX : ((uint64_t)1 << (16 * n)) - 1;
        break;
    }
    split_words(v, n, o, w);
    return 0;
}
