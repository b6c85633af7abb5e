/* SPDX-License-Identifier: MIT */
/* Checksum, SLIP wrapping of a body for the wire, and the one amps conversion of the codec. */
#include <errno.h>

#include "drivers/twc/twc_codec.h"

uint8_t twc_checksum(const uint8_t *body, size_t len)
{
    /* twc-gen2.md §3: the low byte of body[1] + ... + body[len-2]; the type byte body[0] and the
     * checksum byte itself are left out. */
    unsigned sum = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        sum += body[i];
    }
    return (uint8_t)sum;
}

int twc_frame_wrap(const uint8_t *body, size_t len, int trailer, uint8_t *out, size_t cap)
{
    if ((body == NULL && len > 0) || out == NULL || trailer > 0xFF || trailer == TWC_END) {
        return -EINVAL;
    }
    size_t n = 0;
    if (n >= cap) {
        return -EMSGSIZE;
    }
    out[n++] = TWC_END;
    for (size_t i = 0; i < len; i++) {
        /* §2.1: escaping covers every byte between the delimiters, checksum included. */
        uint8_t b = body[i];
        bool esc = b == TWC_END || b == TWC_ESC;
        if (n + (esc ? 2u : 1u) > cap) {
            return -EMSGSIZE;
        }
        if (esc) {
            out[n++] = TWC_ESC;
            out[n++] = b == TWC_END ? TWC_ESC_END : TWC_ESC_ESC;
        } else {
            out[n++] = b;
        }
    }
    if (n + (trailer >= 0 ? 2u : 1u) > cap) {
        return -EMSGSIZE;
    }
    out[n++] = TWC_END;
    if (trailer >= 0) {
        /* §2.2: a trailer is optional for senders; real TWCs send FE. */
        out[n++] = (uint8_t)trailer;
    }
    return (int)n;
}

int32_t twc_ca_to_ma(uint16_t ca)
{
    /* §5.3: the wire carries centi-amps; 1 cA = 10 mA, exact. */
    return (int32_t)ca * 10;
}

uint16_t twc_ma_to_ca(int32_t ma)
{
    /* Rounds down (it becomes a limit) and clamps to what 16 bits can carry. */
    if (ma <= 0) {
        return 0;
    }
    if (ma >= 655350) {
        return 0xFFFF;
    }
    return (uint16_t)(ma / 10);
}
