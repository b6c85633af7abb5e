/* SPDX-License-Identifier: MIT */
/*
 * Frame plumbing shared by the simulated Wall Connectors (sim_twc_slave, sim_native_master, the
 * seed demo's ampshare side): received bytes to decoded frames, and fields to wire bytes with the
 * codec. ampshare's own master never builds frames here: it goes through its transmit guard
 * (drivers/twc/twc_tx_guard.h, twc-gen2.md §4.2), whose allow-list a slave's FD replies would fail.
 * Pure: no I/O, no clock, no allocation.
 */
#ifndef SIM_TWC_FRAMES_H
#define SIM_TWC_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/twc/twc_codec.h"

/* Starts msg as a kind sent by src in a body of body_len bytes; every other field zero. */
void sim_twc_msg_start(struct twc_msg *msg, enum twc_kind kind, int body_len, uint16_t src);

/*
 * Encodes msg (twc_encode_body) and wraps it in delimiters, plus the trailer byte when trailer
 * is 0..255 (§2.2). Returns the wire length written to out, or a negative code.
 */
int sim_twc_frame(struct twc_msg *msg, int trailer, uint8_t *out, size_t cap);

/*
 * Feeds bytes from *buf (*len of them) to the deframer until a frame decodes. Returns 1 with
 * *msg filled, or 0 once every byte is used; either way *buf and *len have moved past the bytes
 * consumed. Frames dropped on the way (bad escape, overlong, bad checksum or length) are counted
 * in *bad; bytes outside frames are not.
 */
int sim_twc_next_msg(
    struct twc_deframer *df, const uint8_t **buf, size_t *len, struct twc_msg *msg, uint32_t *bad);

#endif
