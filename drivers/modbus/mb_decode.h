/* SPDX-License-Identifier: MIT */
/*
 * Modbus register words to integers and back: word order, data type, power-of-ten scaling and the
 * vendors' "not available" encodings. Pure: no I/O, no allocation, no logging.
 *
 * Words are register values as libmodbus returns them (the two bytes of each register already
 * joined big-endian, as every Modbus device sends them). Only the order of the words inside a
 * 32- or 64-bit value varies between vendors (modbus-maps.md, conventions).
 */
#ifndef MB_DECODE_H
#define MB_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Register data types. The values are stable (they appear in logs and fuzz inputs). */
enum mb_type {
    MB_TYPE_NONE = 0, /* no register: the field is absent from a map */
    MB_TYPE_INT16 = 1,
    MB_TYPE_UINT16 = 2,
    MB_TYPE_INT32 = 3,
    MB_TYPE_UINT32 = 4,
    MB_TYPE_FLOAT32 = 5, /* IEEE-754 binary32 */
    MB_TYPE_INT64 = 6,
    MB_TYPE_UINT64 = 7,
    MB_TYPE_COUNT = 8,
};

/* Order of the 16-bit words inside a multi-register value. */
enum mb_order {
    MB_ORDER_HIGH_FIRST = 0, /* "BE": most significant word at the lowest address */
    MB_ORDER_LOW_FIRST = 1,  /* "LSW-first": Carlo Gavazzi, Phoenix Contact */
    MB_ORDER_COUNT = 2,
};

/* Largest |exp10| the scaling functions accept. */
#define MB_EXP10_MAX 9

/* Number of registers a value of type t occupies (1, 2 or 4), or 0 for MB_TYPE_NONE/unknown. */
size_t mb_type_words(enum mb_type t);

/* Stable lower-case name of t ("float32"), or NULL for an unknown type. */
const char *mb_type_name(enum mb_type t);

/* Parses a type name as mb_type_name() prints it. Returns 0, or -EINVAL. */
int mb_type_parse(const char *name, enum mb_type *out);

/*
 * Decodes one value and scales it: *out = value(words) x 10^exp10, as an integer.
 *
 * @param[in]  w      mb_type_words(t) registers, lowest address first (borrowed)
 * @param[in]  t      data type
 * @param[in]  o      word order (ignored for 16-bit types)
 * @param[in]  exp10  power of ten, -MB_EXP10_MAX..MB_EXP10_MAX
 * @param[out] out    the scaled value; written only on success
 *
 * Rounding: to the nearest integer, halves away from zero (see mb_decode.c for why).
 *
 * @return 0; AMP_ERR_NOT_AVAILABLE for a NaN or infinite float32 or an integer that carries the
 *         "not available" pattern (all ones for unsigned types, 0x7FFF... or 0x8000... for signed
 *         ones); -ERANGE when the scaled value does not fit an int64_t; -EINVAL for a bad type,
 *         order or exponent.
 */
int mb_decode_scaled(const uint16_t *w, enum mb_type t, enum mb_order o, int exp10, int64_t *out);

/*
 * The inverse of mb_decode_scaled(), for simulators and tests: writes the registers that decode to
 * value (raw = value x 10^-exp10, rounded to nearest, halves away from zero).
 *
 * @return 0; -ERANGE when the raw value does not fit the type or would read as "not available";
 *         -EINVAL for a bad type, order or exponent.
 */
int mb_encode_scaled(int64_t value, enum mb_type t, enum mb_order o, int exp10, uint16_t *w);

/*
 * Writes the "not available" pattern of type t: a quiet NaN for float32, all ones for unsigned
 * types, 0x7FFF... for signed ones (ABB, modbus-maps.md §3.4). Returns 0 or -EINVAL.
 */
int mb_encode_not_available(enum mb_type t, enum mb_order o, uint16_t *w);

#endif
