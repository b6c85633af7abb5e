/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: deframer + decoder + round trip + formatter over an arbitrary byte stream.
 * Invariants (any violation aborts):
 *   - chunking: the whole input at once and byte by byte give the same events (twc_codec.h);
 *   - every frame event holds 13..20 bytes; twc_decode returns 0, -EBADMSG or -EPROTO and keeps
 *     the body; an unknown kind means an unknown code or a refused length;
 *   - round trip: a good-checksum body of a known kind re-encodes from its fields to the same
 *     bytes. The one defined exception is pad_nonzero (bytes the layout defines as zero are not):
 *     then the re-encoded body decodes to the same fields with zero padding;
 *   - SLIP: wrapping any body and deframing it gives the body back;
 *   - the text and JSON lines fit TWC_FMT_LINE_MAX.
 * The input is also decoded directly as one body when its length allows.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/cli/twc_fmt.h"
#include "drivers/twc/twc_codec.h"
#include "tests/fuzz/fuzz_check.h"

struct feeder {
    struct twc_deframer d;
    const uint8_t *data;
    size_t size, pos, chunk;
    bool finished;
};

static void feeder_init(struct feeder *f, const uint8_t *data, size_t size, size_t chunk)
{
    twc_deframer_init(&f->d);
    f->data = data;
    f->size = size;
    f->pos = 0;
    f->chunk = chunk;
    f->finished = false;
}

/* The next event, or 0 when the input and finish() are done. at_end marks the finish() event. */
static int feeder_next(struct feeder *f, struct twc_df_event *ev, bool *at_end)
{
    *at_end = false;
    while (f->pos < f->size) {
        size_t len = f->size - f->pos < f->chunk ? f->size - f->pos : f->chunk;
        size_t used = 0;
        int rc = twc_deframer_push(&f->d, f->data + f->pos, len, &used, ev);
        CHECK(used <= len);
        f->pos += used;
        if (rc == 1) {
            return 1;
        }
        CHECK(rc == -EAGAIN && used == len);
    }
    if (!f->finished) {
        f->finished = true;
        *at_end = true;
        return twc_deframer_finish(&f->d, ev);
    }
    return 0;
}

static void same_event(const struct twc_df_event *a, const struct twc_df_event *b)
{
    CHECK(a->type == b->type && a->offset == b->offset && a->len == b->len);
    if (a->type == TWC_DF_FRAME) {
        CHECK(memcmp(a->body, b->body, a->len) == 0);
    }
}

static void same_fields(const struct twc_msg *a, const struct twc_msg *b)
{
    CHECK(a->kind == b->kind && a->code == b->code && a->body_len == b->body_len);
    CHECK(a->proto == b->proto && a->has_src == b->has_src && a->has_dst == b->has_dst);
    CHECK(a->src == b->src && a->dst == b->dst);
    switch (a->kind) {
    case TWC_KIND_MASTER_LINKREADY1:
    case TWC_KIND_MASTER_LINKREADY2:
    case TWC_KIND_SLAVE_LINKREADY:
        CHECK(a->u.linkready.sign == b->u.linkready.sign);
        CHECK(a->u.linkready.max_ca == b->u.linkready.max_ca);
        break;
    case TWC_KIND_MASTER_HEARTBEAT:
        CHECK(a->u.mhb.cmd == b->u.mhb.cmd && a->u.mhb.amps_ca == b->u.mhb.amps_ca);
        CHECK(a->u.mhb.master_plugged == b->u.mhb.master_plugged);
        break;
    case TWC_KIND_SLAVE_HEARTBEAT:
        CHECK(a->u.shb.state == b->u.shb.state && a->u.shb.limit_ca == b->u.shb.limit_ca);
        CHECK(a->u.shb.actual_ca == b->u.shb.actual_ca);
        break;
    case TWC_KIND_METER_REPORT:
        CHECK(a->u.meter.energy_raw == b->u.meter.energy_raw);
        CHECK(!memcmp(a->u.meter.voltage_v, b->u.meter.voltage_v, sizeof(a->u.meter.voltage_v)));
        CHECK(a->u.meter.has_currents == b->u.meter.has_currents);
        CHECK(!memcmp(a->u.meter.current_half_a, b->u.meter.current_half_a, 3));
        break;
    case TWC_KIND_VERSION_REPORT:
    case TWC_KIND_FW_REPORT_OLD:
        CHECK(!memcmp(a->u.version.v, b->u.version.v, 4));
        break;
    case TWC_KIND_SERIAL_REPORT:
    case TWC_KIND_VIN_REPORT_1:
    case TWC_KIND_VIN_REPORT_2:
    case TWC_KIND_VIN_REPORT_3:
    case TWC_KIND_TSN_REPORT_OLD:
    case TWC_KIND_MODEL_REPORT_OLD:
        CHECK(a->u.text.len == b->u.text.len);
        CHECK(!memcmp(a->u.text.text, b->u.text.text, a->u.text.len + 1u));
        break;
    case TWC_KIND_PLUG_STATE_REPORT:
        CHECK(a->u.plug_state == b->u.plug_state);
        break;
    default:
        break;
    }
}

static void round_trip(const struct twc_msg *m)
{
    struct twc_msg e;
    memset(&e, 0, sizeof(e));
    e.kind = m->kind;
    e.body_len = m->body_len;
    e.src = m->src;
    e.dst = m->dst;
    e.u = m->u;
    uint8_t out[TWC_BODY_MAX];
    CHECK(twc_encode_body(&e, out, sizeof(out)) == (int)m->body_len);
    if (!m->pad_nonzero) {
        CHECK(memcmp(out, m->body, m->body_len) == 0);
        return;
    }
    struct twc_msg again;
    CHECK(twc_decode(out, m->body_len, &again) == 0);
    CHECK(!again.pad_nonzero);
    same_fields(&again, m);
}

static void slip_round_trip(const uint8_t *body, size_t len)
{
    uint8_t wire[TWC_WIRE_MAX];
    int n = twc_frame_wrap(body, len, 0xFE, wire, sizeof(wire));
    CHECK(n > 0);
    struct twc_deframer d;
    twc_deframer_init(&d);
    struct twc_df_event ev;
    size_t used = 0;
    CHECK(twc_deframer_push(&d, wire, (size_t)n, &used, &ev) == 1);
    CHECK(ev.type == TWC_DF_FRAME && ev.len == len && memcmp(ev.body, body, len) == 0);
}

static void check_body(const uint8_t *body, size_t len, uint64_t offset)
{
    struct twc_msg m;
    int rc = twc_decode(body, len, &m);
    CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO);
    CHECK(m.body_len == len && memcmp(m.body, body, len) == 0);
    CHECK(m.checksum_ok == (rc != -EBADMSG));
    if (m.kind == TWC_KIND_UNKNOWN) {
        enum twc_kind k = twc_kind_of_code(m.code);
        CHECK(k == TWC_KIND_UNKNOWN || !twc_kind_len_ok(k, len));
        CHECK(!m.has_src && !m.has_dst);
    } else {
        CHECK(twc_code_of_kind(m.kind) == m.code && twc_kind_len_ok(m.kind, len));
        if (rc == 0) {
            round_trip(&m);
        }
    }
    slip_round_trip(body, len);
    char line[TWC_FMT_LINE_MAX];
    const struct twc_fmt_where w = {.offset = offset, .line = 1, .has_t_ms = true, .t_ms = 1};
    CHECK(twc_fmt_frame_text(&m, rc, &w, line, sizeof(line)) > 0);
    CHECK(twc_fmt_frame_json(&m, rc, &w, line, sizeof(line)) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= TWC_BODY_MIN && size <= TWC_BODY_MAX) {
        check_body(data, size, 0);
    }
    /* Chunk size for the second deframer from the first byte: 1 (byte by byte) up to 64. */
    size_t chunk = size ? 1 + (data[0] % 64u) : 1;
    struct feeder whole, bytes, some;
    feeder_init(&whole, data, size, size ? size : 1);
    feeder_init(&bytes, data, size, 1);
    feeder_init(&some, data, size, chunk);
    for (;;) {
        struct twc_df_event a, b, c;
        bool end_a, end_b, end_c;
        int ra = feeder_next(&whole, &a, &end_a);
        int rb = feeder_next(&bytes, &b, &end_b);
        int rc = feeder_next(&some, &c, &end_c);
        CHECK(ra == rb && ra == rc && end_a == end_b && end_a == end_c);
        if (ra == 0) {
            if (end_a) {
                continue; /* finish() had nothing to say; the next call ends the loop */
            }
            break;
        }
        same_event(&a, &b);
        same_event(&a, &c);
        CHECK(a.offset < size);
        char line[TWC_FMT_LINE_MAX];
        const struct twc_fmt_where w = {.offset = a.offset};
        if (a.type == TWC_DF_FRAME && !end_a) {
            CHECK(a.len >= TWC_BODY_MIN && a.len <= TWC_BODY_MAX);
            check_body(a.body, a.len, a.offset);
        } else {
            CHECK(a.len > 0 && a.offset + a.len <= size);
            CHECK(twc_fmt_event_text(&a, end_a, &w, line, sizeof(line)) > 0);
            CHECK(twc_fmt_event_json(&a, end_a, &w, line, sizeof(line)) > 0);
        }
    }
    CHECK(whole.d.stats.frames == bytes.d.stats.frames);
    CHECK(whole.d.stats.garbage_bytes == bytes.d.stats.garbage_bytes);
    return 0;
}
