/* SPDX-License-Identifier: MIT */
/*
 * The transmit guard: the one function through which every frame the master sends is encoded.
 * It enforces the allow-list of twc-gen2.md §4.2 ("ampshare rule (safety)"): codes that wrote
 * flash, crashed or silenced a Wall Connector in cdragon's scan can never reach the wire. Pure.
 */
#ifndef TWC_TX_GUARD_H
#define TWC_TX_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/twc/twc_codec.h"

/*
 * Returns true when a frame with wire code (type << 8 | cmd) may be transmitted. The allow-list
 * is FC E1, FB E2, FB E0, FB EB, FB EC, FB ED, FB EE, FB EF, FB F1; FC B1 and FC B2 only when
 * fw_453_confirmed is true (the addressed slave reported firmware 4.5.3, §4.1, §7.1).
 */
bool twc_tx_code_allowed(uint16_t code, bool fw_453_confirmed);

/*
 * Encodes msg into a complete wire frame: checks the kind and code against the allow-list,
 * builds the body with the codec (twc_encode_body), re-checks the two code bytes of the built
 * body, then wraps it with escaping and one trailer byte when trailer is 0..255 (none when < 0,
 * §2.2, §9 #1).
 *
 * @param[in,out] msg     the frame to send; msg->body is filled by the codec
 * @param[in]     fw_453_confirmed  whether FC B1/FC B2 may pass for this destination
 * @param[in]     trailer  -1 for none, else the byte to append after the closing C0
 * @param[out]    wire     caller's buffer, at least TWC_WIRE_MAX bytes
 * @return the wire length, AMP_ERR_FORBIDDEN for any kind outside the allow-list (msg->code and
 *         the kind must also agree), -EINVAL for a bad length or trailer, -EMSGSIZE when cap is
 *         too small. Allocates nothing.
 */
int twc_tx_encode(
    struct twc_msg *msg, bool fw_453_confirmed, int trailer, uint8_t *wire, size_t cap);

#endif
