/* SPDX-License-Identifier: MIT */
/* The transmit allow-list of twc-gen2.md §4.2: every outgoing frame is encoded here. */
#include "drivers/twc/twc_tx_guard.h"

#include <errno.h>

#include "drivers/base/amp_err.h"

/*
 * twc-gen2.md §4.2 "ampshare rule (safety)": an allow-list, not a blocklist. cdragon's scan of
 * every code found FC 19 and FC 1A writing flash, FB E8 crashing the unit, FC A1 silencing it
 * and more codes doing things nobody understands; anything not listed here stays off the wire.
 */
static const uint16_t twc_tx_allowed[] = {
    0xFCE1, /* master_linkready1 (§4.2, §6.1) */
    0xFBE2, /* master_linkready2 */
    0xFBE0, /* master_heartbeat (§5.1) */
    0xFBEB, /* meter_query (§7.4) */
    0xFBEC, /* version_query */
    0xFBED, /* serial_query */
    0xFBEE, /* vin_query_1 */
    0xFBEF, /* vin_query_2 */
    0xFBF1, /* vin_query_3 */
};

/* §4.2, §7.1: start/stop charging exist only on firmware 4.5.3; a Tesla stopped by FC B2 may
 * refuse to restart until re-plugged, so these need the slave's version confirmed first. */
static const uint16_t twc_tx_allowed_453[] = {
    0xFCB1, /* start_charging */
    0xFCB2, /* stop_charging */
};

bool twc_tx_code_allowed(uint16_t code, bool fw_453_confirmed)
{
    for (size_t i = 0; i < sizeof(twc_tx_allowed) / sizeof(twc_tx_allowed[0]); i++) {
        if (twc_tx_allowed[i] == code) {
            return true;
        }
    }
    if (!fw_453_confirmed) {
        return false;
    }
    for (size_t i = 0; i < sizeof(twc_tx_allowed_453) / sizeof(twc_tx_allowed_453[0]); i++) {
        if (twc_tx_allowed_453[i] == code) {
            return true;
        }
    }
    return false;
}

int twc_tx_encode(
    struct twc_msg *msg, bool fw_453_confirmed, int trailer, uint8_t *wire, size_t cap)
{
    if (!msg || !wire) {
        return -EINVAL;
    }
    if (trailer > 0xFF) {
        return -EINVAL;
    }
    /* The kind decides what the codec builds; the code a caller may have filled in must name
     * the same kind, so a mismatched pair cannot smuggle another code through. */
    uint16_t code = twc_code_of_kind(msg->kind);
    if (code == 0 || !twc_tx_code_allowed(code, fw_453_confirmed)) {
        return AMP_ERR_FORBIDDEN;
    }
    if (msg->code != 0 && msg->code != code) {
        return AMP_ERR_FORBIDDEN;
    }
    uint8_t body[TWC_BODY_MAX];
    int n = twc_encode_body(msg, body, sizeof(body));
    if (n < 0) {
        return n;
    }
    /* Defence in depth: the bytes that will reach the wire carry an allowed code. */
    if (n < 2 || !twc_tx_code_allowed((uint16_t)(body[0] << 8 | body[1]), fw_453_confirmed)) {
        return AMP_ERR_FORBIDDEN;
    }
    return twc_frame_wrap(body, (size_t)n, trailer < 0 ? -1 : trailer, wire, cap);
}
