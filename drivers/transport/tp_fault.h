/* SPDX-License-Identifier: MIT */
/*
 * The fault-injecting transport (STYLE.md §2.6, §2.10 item 6): wraps any transport and damages
 * the byte stream in either direction (drop, corrupt, duplicate), fails the Nth write with -EIO,
 * or simulates an unplugged adapter. Random faults come from a PRNG seeded by the caller, so a
 * failing run replays exactly. Tests and the simulator use it; nothing else should.
 *
 * Everything is off after tp_fault_wrap: the wrapper then passes bytes through unchanged.
 */
#ifndef TP_FAULT_H
#define TP_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/transport/tp.h"

enum tp_fault_dir {
    TP_FAULT_RX = 0, /* bytes coming out of tp_read */
    TP_FAULT_TX = 1, /* bytes going into tp_write */
    TP_FAULT_DIR_COUNT,
};

/* Byte damage for one direction. Probabilities are per byte, in thousandths (0..1000). */
struct tp_fault_cfg {
    uint16_t drop_permille;    /* the byte vanishes */
    uint16_t corrupt_permille; /* one random bit of the byte flips */
    uint16_t dup_permille;     /* the byte arrives twice */
    uint64_t corrupt_at;       /* 1-based position in this direction's stream of a byte to XOR
                                  with 0xff (once); 0 = none */
};

struct tp_fault_stats {
    uint64_t dropped;
    uint64_t corrupted;
    uint64_t duplicated;
    uint64_t failed_writes;
    uint64_t open_calls; /* every tp_open reaching the wrapper, plugged or not */
};

/*
 * Wraps inner, taking ownership of it (tp_free on the wrapper frees inner too).
 * @param seed  PRNG seed for the random faults
 * @param[out] out  the wrapper, label "fault(<inner label>)"; NULL on failure (inner is then
 *                  freed too, so the caller never has to clean up after a failed wrap)
 * @return 0, -EINVAL, -ENOMEM
 */
int tp_fault_wrap(struct tp *inner, uint64_t seed, struct tp **out);

/* The following return -EINVAL when t is not a fault wrapper. */

/* Sets the byte damage for one direction (cfg NULL: none); -ERANGE for a permille > 1000. */
int tp_fault_set(struct tp *t, enum tp_fault_dir dir, const struct tp_fault_cfg *cfg);

/* The nth tp_write from now (1 = the next one) returns -EIO and passes nothing; 0 cancels. */
int tp_fault_fail_write(struct tp *t, uint32_t nth);

/*
 * Unplugged: tp_open, tp_read and tp_write return -ENODEV (the wrapped transport stays as it
 * is) until plugged again; like a USB adapter pulled out and put back.
 */
int tp_fault_set_unplugged(struct tp *t, bool unplugged);

/* Counts since the wrap. */
int tp_fault_get_stats(const struct tp *t, struct tp_fault_stats *out);

/* The wrapped transport (borrowed; lives as long as the wrapper), or NULL. */
struct tp *tp_fault_inner(struct tp *t);

#endif
