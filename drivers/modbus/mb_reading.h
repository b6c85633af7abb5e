/* SPDX-License-Identifier: MIT */
/* One meter reading in ampshare units, with its timestamp and which fields it holds. */
#ifndef MB_READING_H
#define MB_READING_H

#include <stdbool.h>
#include <stdint.h>

/* The quantities a meter map can carry; each has one bit in mb_reading.have. */
enum mb_field_id {
    MB_FIELD_CURRENT_L1 = 0, /* mA */
    MB_FIELD_CURRENT_L2 = 1,
    MB_FIELD_CURRENT_L3 = 2,
    MB_FIELD_VOLTAGE_L1 = 3, /* dV (0.1 V), line to neutral */
    MB_FIELD_VOLTAGE_L2 = 4,
    MB_FIELD_VOLTAGE_L3 = 5,
    MB_FIELD_POWER_L1 = 6, /* W, active, positive = import */
    MB_FIELD_POWER_L2 = 7,
    MB_FIELD_POWER_L3 = 8,
    MB_FIELD_POWER_TOTAL = 9,    /* W, as the meter reports it */
    MB_FIELD_IMPORT_ENERGY = 10, /* Wh, total active import */
    MB_FIELD_COUNT = 11,
};

#define MB_HAVE(field) (UINT32_C(1) << (field))

/* The quantity kinds; fields of one kind share a unit, a type and a scale in generic maps. */
enum mb_qty {
    MB_QTY_CURRENT = 0,
    MB_QTY_VOLTAGE = 1,
    MB_QTY_POWER = 2,
    MB_QTY_ENERGY = 3,
    MB_QTY_COUNT = 4,
};

struct mb_reading {
    int32_t current_ma[3]; /* signed with the phase power where the map says so */
    int32_t voltage_dv[3];
    int32_t power_w[3];
    int32_t power_total_w;
    int64_t import_wh;
    uint32_t have;  /* MB_HAVE(field) for every field that decoded to a number */
    uint64_t at_ms; /* monotonic ms when the read started (the caller's clock) */
    bool valid;     /* every field the controller needs is in have; see mb_map_decode() */
};

/* The kind of a field. */
enum mb_qty mb_field_qty(enum mb_field_id f);

/* Stable short name of a field ("current_l1"), or NULL when f is out of range. */
const char *mb_field_name(enum mb_field_id f);

#endif
