/* SPDX-License-Identifier: MIT */
/* Shared between the codec's files: the per-kind layout table (twc-gen2.md §4.2). */
#ifndef TWC_INTERNAL_H
#define TWC_INTERNAL_H

#include <stdint.h>

#include "drivers/twc/twc_codec.h"

/* Which IDs follow the two code bytes (§4.1). */
enum twc_ids {
    TWC_IDS_NONE = 0,    /* FC 1D, FB 19/1A, FD 19/1A/1B */
    TWC_IDS_SRC = 1,     /* replies and broadcasts: src at 2-3 */
    TWC_IDS_SRC_DST = 2, /* requests and heartbeats: src at 2-3, dst at 4-5 */
};

/* What sits between the IDs and the checksum; every byte not named here is zero padding. */
enum twc_layout {
    TWC_LAYOUT_ZEROS = 0,  /* nothing: requests, acks, idle */
    TWC_LAYOUT_LINKREADY,  /* sign(1) max_ca(2)  (§4.3) */
    TWC_LAYOUT_MASTER_HB,  /* cmd(1) amps_ca(2) master_plugged(1)  (§5.1) */
    TWC_LAYOUT_SLAVE_HB,   /* state(1) limit_ca(2) actual_ca(2)  (§5.2) */
    TWC_LAYOUT_METER,      /* energy(4) V1 V2 V3 (2 each) [I1 I2 I3 (1 each) at 20 B]  (§9 #4) */
    TWC_LAYOUT_VERSION4,   /* major minor patch build  (FD EC) */
    TWC_LAYOUT_VERSION3,   /* major minor patch  (FD 1B at offsets 2, 3, 4) */
    TWC_LAYOUT_TEXT,       /* ASCII, zero padded, text_width bytes (0: up to the checksum) */
    TWC_LAYOUT_PLUG_STATE, /* state(1)  (FD B4) */
};

/* Masks of allowed unescaped body lengths: bit n allows n bytes. */
#define TWC_LEN_BIT(n)       (1u << (n))
#define TWC_LENS_V1_V2       (TWC_LEN_BIT(14) | TWC_LEN_BIT(16))
#define TWC_LENS_ANY_FROM(n) ((TWC_LEN_BIT(TWC_BODY_MAX + 1) - 1u) & ~(TWC_LEN_BIT(n) - 1u))

struct twc_kind_desc {
    enum twc_kind kind;
    uint16_t code;
    const char *name;
    enum twc_ids ids;
    enum twc_layout layout;
    uint8_t text_width; /* TWC_LAYOUT_TEXT: characters; 0 = every byte up to the checksum */
    uint32_t lens;      /* TWC_LEN_BIT mask of valid body lengths */
};

/* Returns the table row of a known kind or code; NULL for unknown ones. Static storage. */
const struct twc_kind_desc *twc_desc_of_kind(enum twc_kind kind);
const struct twc_kind_desc *twc_desc_of_code(uint16_t code);

/* Offset of the first byte after the IDs. */
size_t twc_desc_data_offset(const struct twc_kind_desc *d);

#endif
