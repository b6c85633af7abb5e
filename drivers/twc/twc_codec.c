/* SPDX-License-Identifier: MIT */
/* Decode and encode of one unescaped body for every kind of twc-gen2.md §4.2 (layouts in
 * twc_kinds.c). */
#include <errno.h>
#include <string.h>

#include "drivers/base/amp_err.h"
#include "drivers/twc/twc_internal.h"

/* §4.1, §5.3: every multi-byte field is big-endian on the wire; never copy structs. */
static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

/* Characters a text field holds in a body of len bytes starting at offset o. */
static size_t text_width(const struct twc_kind_desc *d, size_t len, size_t o)
{
    return d->text_width ? d->text_width : len - 1 - o;
}

static bool any_nonzero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0) {
            return true;
        }
    }
    return false;
}

/* Reads the fields after the IDs; returns the offset of the first padding byte. */
static size_t
decode_fields(const struct twc_kind_desc *d, const uint8_t *b, size_t len, struct twc_msg *m)
{
    size_t o = twc_desc_data_offset(d);
    switch (d->layout) {
    case TWC_LAYOUT_LINKREADY: /* §4.3: sign, then max (slave) or bytes 5-6 as sent (master) */
        m->u.linkready.sign = b[o];
        m->u.linkready.max_ca = get_be16(b + o + 1);
        return o + 3;
    case TWC_LAYOUT_MASTER_HB: /* §5.1: d0 cmd, d1-d2 centi-amps, d3 master plugged */
        m->u.mhb.cmd = b[o];
        m->u.mhb.amps_ca = get_be16(b + o + 1);
        m->u.mhb.master_plugged = b[o + 3];
        return o + 4;
    case TWC_LAYOUT_SLAVE_HB: /* §5.2: d0 state, d1-d2 limit echo, d3-d4 actual */
        m->u.shb.state = b[o];
        m->u.shb.limit_ca = get_be16(b + o + 1);
        m->u.shb.actual_ca = get_be16(b + o + 3);
        return o + 5;
    case TWC_LAYOUT_METER: /* §4.2, §9 #4: current bytes only in the 20-byte form */
        m->u.meter.energy_raw = get_be32(b + o);
        for (size_t i = 0; i < 3; i++) {
            m->u.meter.voltage_v[i] = get_be16(b + o + 4 + 2 * i);
        }
        if (len != TWC_BODY_EXT) {
            return o + 10;
        }
        m->u.meter.has_currents = true;
        memcpy(m->u.meter.current_half_a, b + o + 10, 3);
        return o + 13;
    case TWC_LAYOUT_VERSION4:
        memcpy(m->u.version.v, b + o, 4);
        return o + 4;
    case TWC_LAYOUT_VERSION3: /* §4.2: FD 1B major, minor, patch at offsets 2, 3, 4 */
        memcpy(m->u.version.v, b + o, 3);
        return o + 3;
    case TWC_LAYOUT_TEXT: {
        /* §4.2: ASCII, zero padded. Bytes after the first zero are padding. */
        size_t w = text_width(d, len, o);
        size_t n = 0;
        while (n < w && b[o + n] != 0) {
            n++;
        }
        memcpy(m->u.text.text, b + o, n);
        m->u.text.text[n] = '\0';
        m->u.text.len = (uint8_t)n;
        if (any_nonzero(b + o + n, w - n)) {
            m->pad_nonzero = true;
        }
        return o + w;
    }
    case TWC_LAYOUT_PLUG_STATE:
        m->u.plug_state = b[o];
        return o + 1;
    case TWC_LAYOUT_ZEROS:
        break;
    }
    return o;
}

int twc_decode(const uint8_t *body, size_t len, struct twc_msg *msg)
{
    if (body == NULL || msg == NULL) {
        return -EINVAL;
    }
    memset(msg, 0, sizeof(*msg));
    if (len < TWC_BODY_MIN || len > TWC_BODY_MAX) {
        return -EMSGSIZE;
    }
    memcpy(msg->body, body, len);
    msg->body_len = (uint8_t)len;
    msg->code = get_be16(body);
    msg->proto = twc_proto_of_len(len);
    msg->checksum_ok = twc_checksum(body, len) == body[len - 1];

    int rc = 0;
    const struct twc_kind_desc *d = twc_desc_of_code(msg->code);
    if (d != NULL && twc_kind_len_ok(d->kind, len)) {
        msg->kind = d->kind;
        msg->has_src = d->ids >= TWC_IDS_SRC;
        msg->has_dst = d->ids >= TWC_IDS_SRC_DST;
        msg->src = msg->has_src ? get_be16(body + 2) : 0;
        msg->dst = msg->has_dst ? get_be16(body + 4) : 0;
        size_t pad = decode_fields(d, body, len, msg);
        if (any_nonzero(body + pad, len - 1 - pad)) {
            msg->pad_nonzero = true;
        }
    } else if (d != NULL) {
        /* A known code at a length its layout does not have (e.g. the 15-byte corrupt FD E2
         * frames of §8): kept raw, like an unknown code. */
        rc = -EPROTO;
    }
    return msg->checksum_ok ? rc : -EBADMSG;
}

/* Writes the fields after the IDs into b (zeroed, len bytes); -EINVAL when they do not fit. */
static int
encode_fields(const struct twc_kind_desc *d, const struct twc_msg *m, uint8_t *b, size_t len)
{
    size_t o = twc_desc_data_offset(d);
    switch (d->layout) {
    case TWC_LAYOUT_LINKREADY:
        b[o] = m->u.linkready.sign;
        put_be16(b + o + 1, m->u.linkready.max_ca);
        break;
    case TWC_LAYOUT_MASTER_HB:
        b[o] = m->u.mhb.cmd;
        put_be16(b + o + 1, m->u.mhb.amps_ca);
        b[o + 3] = m->u.mhb.master_plugged;
        break;
    case TWC_LAYOUT_SLAVE_HB:
        b[o] = m->u.shb.state;
        put_be16(b + o + 1, m->u.shb.limit_ca);
        put_be16(b + o + 3, m->u.shb.actual_ca);
        break;
    case TWC_LAYOUT_METER:
        put_be32(b + o, m->u.meter.energy_raw);
        for (size_t i = 0; i < 3; i++) {
            put_be16(b + o + 4 + 2 * i, m->u.meter.voltage_v[i]);
        }
        if (len == TWC_BODY_EXT) {
            if (m->u.meter.has_currents) {
                memcpy(b + o + 10, m->u.meter.current_half_a, 3);
            }
        } else if (m->u.meter.has_currents) {
            return -EINVAL; /* only the 20-byte form carries currents (§9 #4) */
        }
        break;
    case TWC_LAYOUT_VERSION4:
        memcpy(b + o, m->u.version.v, 4);
        break;
    case TWC_LAYOUT_VERSION3:
        if (m->u.version.v[3] != 0) {
            return -EINVAL; /* FD 1B has no build number */
        }
        memcpy(b + o, m->u.version.v, 3);
        break;
    case TWC_LAYOUT_TEXT: {
        size_t n = m->u.text.len;
        if (n > text_width(d, len, o) || n >= sizeof(m->u.text.text) ||
            memchr(m->u.text.text, '\0', n) != NULL) {
            return -EINVAL;
        }
        memcpy(b + o, m->u.text.text, n);
        break;
    }
    case TWC_LAYOUT_PLUG_STATE:
        b[o] = m->u.plug_state;
        break;
    case TWC_LAYOUT_ZEROS:
        break;
    }
    return 0;
}

int twc_encode_body(struct twc_msg *msg, uint8_t *out, size_t cap)
{
    if (msg == NULL) {
        return -EINVAL;
    }
    if (msg->kind == TWC_KIND_UNKNOWN) {
        return AMP_ERR_FORBIDDEN;
    }
    const struct twc_kind_desc *d = twc_desc_of_kind(msg->kind);
    size_t len = msg->body_len;
    if (d == NULL || !twc_kind_len_ok(msg->kind, len)) {
        return -EINVAL;
    }
    if (out != NULL && cap < len) {
        return -EMSGSIZE;
    }
    uint8_t b[TWC_BODY_MAX] = {0};
    put_be16(b, d->code);
    if (d->ids >= TWC_IDS_SRC) {
        put_be16(b + 2, msg->src);
    }
    if (d->ids >= TWC_IDS_SRC_DST) {
        put_be16(b + 4, msg->dst);
    }
    int rc = encode_fields(d, msg, b, len);
    if (rc < 0) {
        return rc;
    }
    b[len - 1] = twc_checksum(b, len);

    msg->code = d->code;
    msg->proto = twc_proto_of_len(len);
    msg->has_src = d->ids >= TWC_IDS_SRC;
    msg->has_dst = d->ids >= TWC_IDS_SRC_DST;
    if (!msg->has_src) {
        msg->src = 0;
    }
    if (!msg->has_dst) {
        msg->dst = 0;
    }
    if (d->layout == TWC_LAYOUT_METER && len == TWC_BODY_EXT && !msg->u.meter.has_currents) {
        /* Written as zeros above; make the fields say what was built. */
        memset(msg->u.meter.current_half_a, 0, sizeof(msg->u.meter.current_half_a));
        msg->u.meter.has_currents = true;
    }
    msg->checksum_ok = true;
    msg->pad_nonzero = false;
    memcpy(msg->body, b, len);
    if (out != NULL) {
        memcpy(out, b, len);
    }
    return (int)len;
}
