/* SPDX-License-Identifier: MIT */
/*
 * The running per-unit summary of `ampshare sniff --summary`: for every TWCID heard, what it is
 * (master or slave, protocol version), and for slaves the last state, echoed limit and actual
 * current (twc-gen2.md §5.2) and the limit the master last commanded (§5.1). Pure: frames in,
 * text or JSON out; no I/O, no allocation.
 */
#ifndef TWC_SUMMARY_H
#define TWC_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/twc/twc_codec.h"

#define TWC_SUMMARY_UNITS 8 /* 1 master + 3 slaves on a real bus (§1), room for strays */

struct twc_summary_unit {
    uint16_t id;
    bool master;           /* sent FC E1 / FB E2 / FB E0 */
    uint8_t proto;         /* 1 or 2 from its last linkready or heartbeat length, 0 unknown */
    bool has_hb;           /* a slave heartbeat was heard: state/limit/actual are valid */
    uint8_t state;         /* §5.2 */
    uint16_t limit_ca;     /* echoed limit */
    uint16_t actual_ca;    /* measured current */
    bool has_cmd;          /* a master heartbeat addressed to it set a limit (05/08/09) */
    uint16_t commanded_ca; /* that limit */
    uint32_t frames;       /* frames sent by this unit */
};

struct twc_summary {
    struct twc_summary_unit unit[TWC_SUMMARY_UNITS];
    size_t n;
    uint32_t dropped; /* frames from IDs beyond TWC_SUMMARY_UNITS */
};

void twc_summary_init(struct twc_summary *s);

/*
 * Takes one decoded frame with a good checksum (others are ignored). Returns true when a slave's
 * state, limit or actual current changed, or a unit appeared: a moment to print the summary.
 */
bool twc_summary_update(struct twc_summary *s, const struct twc_msg *msg);

/*
 * One line: "summary t=1234: 2019 slave v2 state=01(charging) limit=34.00A actual=33.20A
 * commanded=34.00A | 7e57 master v1". JSON: {"event":"summary","t_ms":1234,"units":[...]}.
 * has_t selects whether t is printed. Returns the length or -EMSGSIZE.
 */
int twc_summary_text(const struct twc_summary *s, bool has_t, uint64_t t_ms, char *buf, size_t cap);
int twc_summary_json(const struct twc_summary *s, bool has_t, uint64_t t_ms, char *buf, size_t cap);

#endif
