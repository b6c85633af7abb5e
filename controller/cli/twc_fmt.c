/* SPDX-License-Identifier: MIT */
/* Text and JSON lines for decoded frames and deframer events (docs/decode.md). */
#include "controller/cli/twc_fmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drivers/base/amp_text.h"

struct out {
    char *p;
    size_t cap, n;
    bool over;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    if (o->over) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= o->cap - o->n) {
        o->over = true;
        return;
    }
    o->n += (size_t)k;
}

static int finish(struct out *o)
{
    if (o->over) {
        if (o->cap > 0) {
            o->p[0] = '\0';
        }
        return -EMSGSIZE;
    }
    return (int)o->n;
}

const char *twc_fmt_state_name(uint8_t state)
{
    /* §5.2, TWCManager's meanings (§9 #6). */
    static const char *const names[] = {
        "ready",      "charging",   "error",    "do_not_charge", "ready_to_charge", "busy",
        "raise_echo", "lower_echo", "starting", "limit_echo",    "adjust_done",
    };
    return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

const char *twc_fmt_cmd_name(uint8_t cmd)
{
    /* §5.1 */
    switch (cmd) {
    case TWC_CMD_NONE:
        return "no_change";
    case TWC_CMD_ERROR:
        return "error";
    case TWC_CMD_SET_LIMIT_V1:
        return "set_limit_v1";
    case TWC_CMD_RAISE_2A:
        return "raise_2a";
    case TWC_CMD_LOWER_2A:
        return "lower_2a";
    case TWC_CMD_ACK_START:
        return "ack_start";
    case TWC_CMD_SET_LIMIT_V2:
        return "set_limit_v2";
    default:
        return "unknown";
    }
}

const char *twc_fmt_plug_state_name(uint8_t plug_state)
{
    /* §4.2, FD B4 per craigpeacock [S]; 02 is not known. */
    switch (plug_state) {
    case 0:
        return "unplugged";
    case 1:
        return "charging";
    case 3:
        return "plugged_not_charging";
    default:
        return "unknown";
    }
}

/* Centi-amps as amps with two decimals, exact (no floats). */
static void put_amps(struct out *o, uint16_t ca)
{
    put(o, "%u.%02u", ca / 100u, ca % 100u);
}

/* 0.5 A steps as amps with two decimals (§4.2 FD EB). */
static void put_half_amps(struct out *o, uint8_t half)
{
    put(o, "%u.%s", half / 2u, half % 2u ? "50" : "00");
}

static void put_hex_bytes(struct out *o, const uint8_t *b, size_t n, const char *sep)
{
    for (size_t i = 0; i < n; i++) {
        put(o, "%s%02x", i ? sep : "", b[i]);
    }
}

/* A text field from the wire (§4.2: ASCII by spec, but any byte may come): quoted, escaped by
 * the one rule for outside text (amp_text.h). */
static void put_text(struct out *o, const struct twc_text *t, bool json)
{
    char esc[sizeof(t->text) * 8 + 1];
    if (json) {
        amp_json_escape_n((const char *)t->text, t->len, esc, sizeof(esc));
    } else {
        amp_text_quote_n((const char *)t->text, t->len, esc, sizeof(esc));
    }
    put(o, "\"%s\"", esc);
}

static const char *version_word(size_t len)
{
    switch (len) {
    case TWC_BODY_V1:
        return "v1";
    case TWC_BODY_V2:
        return "v2";
    case TWC_BODY_EXT:
        return "ext";
    default:
        return NULL;
    }
}

/* The key of a kind that carries text (§4.2: VIN parts, serial numbers, the model), or NULL. */
static const char *text_key(enum twc_kind kind)
{
    switch (kind) {
    case TWC_KIND_VIN_REPORT_1:
    case TWC_KIND_VIN_REPORT_2:
    case TWC_KIND_VIN_REPORT_3:
        return "vin";
    case TWC_KIND_MODEL_REPORT_OLD:
        return "model";
    case TWC_KIND_SERIAL_REPORT:
    case TWC_KIND_TSN_REPORT_OLD:
        return "tsn";
    default:
        return NULL;
    }
}

/* §4.2: FD EC carries major, minor, patch and build ("4.5.3.2"), FD 1B the first three. */
static void put_version(struct out *o, const struct twc_msg *m)
{
    const uint8_t *v = m->u.version.v;
    put(o, "%u.%u.%u", v[0], v[1], v[2]);
    if (m->kind == TWC_KIND_VERSION_REPORT) {
        put(o, ".%u", v[3]);
    }
}

static void put_where_text(struct out *o, const struct twc_fmt_where *w)
{
    put(o, "%04" PRIu64, w->offset);
    if (w->line) {
        put(o, " L%lu", w->line);
    }
    if (w->has_t_ms) {
        put(o, " t=%" PRIu64, w->t_ms);
    }
    put(o, ": ");
}

static void put_where_json(struct out *o, const struct twc_fmt_where *w)
{
    put(o, "\"offset\":%" PRIu64 ",", w->offset);
    if (w->line) {
        put(o, "\"line\":%lu,", w->line);
    } else {
        put(o, "\"line\":null,");
    }
    if (w->has_t_ms) {
        put(o, "\"t_ms\":%" PRIu64, w->t_ms);
    } else {
        put(o, "\"t_ms\":null");
    }
}

/* The kind's own fields, text form: " key=value" each. */
static void fields_text(struct out *o, const struct twc_msg *m)
{
    switch (m->kind) {
    case TWC_KIND_MASTER_LINKREADY1:
    case TWC_KIND_MASTER_LINKREADY2:
        put(o, " sign=%02x", m->u.linkready.sign);
        if (m->u.linkready.max_ca != 0) {
            put(o, " bytes5_6=%04x", m->u.linkready.max_ca);
        }
        break;
    case TWC_KIND_SLAVE_LINKREADY:
        put(o, " sign=%02x max=", m->u.linkready.sign);
        put_amps(o, m->u.linkready.max_ca);
        put(o, "A");
        break;
    case TWC_KIND_MASTER_HEARTBEAT:
        put(o, " cmd=%02x(%s)", m->u.mhb.cmd, twc_fmt_cmd_name(m->u.mhb.cmd));
        if (m->u.mhb.cmd == TWC_CMD_ERROR) {
            put(o, " error_bitmap=%02x", m->u.mhb.amps_ca >> 8);
        } else {
            put(o, " amps=");
            put_amps(o, m->u.mhb.amps_ca);
            put(o, "A");
        }
        put(o, " plugged=%u", m->u.mhb.master_plugged);
        break;
    case TWC_KIND_SLAVE_HEARTBEAT:
        put(o, " state=%02x(%s) limit=", m->u.shb.state, twc_fmt_state_name(m->u.shb.state));
        put_amps(o, m->u.shb.limit_ca);
        put(o, "A actual=");
        put_amps(o, m->u.shb.actual_ca);
        put(o, "A");
        break;
    case TWC_KIND_METER_REPORT: {
        const struct twc_meter *mt = &m->u.meter;
        put(o, " energy_raw=%" PRIu32 "%s v=%u/%u/%uV", mt->energy_raw,
            mt->energy_raw > 1000000u ? "(unit_unclear)" : "", mt->voltage_v[0], mt->voltage_v[1],
            mt->voltage_v[2]);
        if (mt->has_currents) {
            put(o, " i=");
            for (size_t i = 0; i < 3; i++) {
                put(o, "%s", i ? "/" : "");
                put_half_amps(o, mt->current_half_a[i]);
            }
            put(o, "A");
        }
        break;
    }
    case TWC_KIND_VERSION_REPORT:
    case TWC_KIND_FW_REPORT_OLD:
        put(o, " fw=");
        put_version(o, m);
        break;
    case TWC_KIND_PLUG_STATE_REPORT:
        put(o, " plug_state=%02x(%s)", m->u.plug_state, twc_fmt_plug_state_name(m->u.plug_state));
        break;
    default:
        if (text_key(m->kind)) {
            put(o, " %s=", text_key(m->kind));
            put_text(o, &m->u.text, false);
        }
        break;
    }
}

int twc_fmt_frame_text(
    const struct twc_msg *m, int rc, const struct twc_fmt_where *w, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, cap == 0};
    put_where_text(&o, w);
    put(&o, "%s", twc_kind_name(m->kind));
    const char *ver = version_word(m->body_len);
    if (ver) {
        put(&o, " %s", ver);
    } else {
        put(&o, " len%u", m->body_len);
    }
    if (m->has_src && m->has_dst) {
        put(&o, " %04x->%04x", m->src, m->dst);
    } else if (m->has_src) {
        put(&o, " %04x", m->src);
    }
    if (m->kind == TWC_KIND_UNKNOWN) {
        put(&o, " code=%04x", m->code);
        enum twc_kind known = twc_kind_of_code(m->code);
        if (known != TWC_KIND_UNKNOWN) {
            put(&o, " bad_length_for=%s", twc_kind_name(known));
        }
        put(&o, " body=");
        put_hex_bytes(&o, m->body, m->body_len, " ");
    } else {
        fields_text(&o, m);
        if (m->pad_nonzero) {
            put(&o, " nonzero_padding body=");
            put_hex_bytes(&o, m->body, m->body_len, " ");
        }
    }
    if (rc == -EBADMSG) {
        put(&o, " checksum BAD (got %02x, want %02x)", m->body[m->body_len - 1],
            twc_checksum(m->body, m->body_len));
    } else {
        put(&o, " checksum ok");
    }
    return finish(&o);
}

/* The kind's own fields, JSON form: ",\"key\":value" each. */
static void fields_json(struct out *o, const struct twc_msg *m)
{
    switch (m->kind) {
    case TWC_KIND_MASTER_LINKREADY1:
    case TWC_KIND_MASTER_LINKREADY2:
        put(o, ",\"sign\":\"%02x\",\"bytes5_6\":\"%04x\"", m->u.linkready.sign,
            m->u.linkready.max_ca);
        break;
    case TWC_KIND_SLAVE_LINKREADY:
        put(o, ",\"sign\":\"%02x\",\"max_a\":", m->u.linkready.sign);
        put_amps(o, m->u.linkready.max_ca);
        break;
    case TWC_KIND_MASTER_HEARTBEAT:
        put(o, ",\"cmd\":%u,\"cmd_name\":\"%s\",\"cmd_amps_a\":", m->u.mhb.cmd,
            twc_fmt_cmd_name(m->u.mhb.cmd));
        put_amps(o, m->u.mhb.amps_ca);
        if (m->u.mhb.cmd == TWC_CMD_ERROR) {
            put(o, ",\"error_bitmap\":%u", m->u.mhb.amps_ca >> 8);
        }
        put(o, ",\"master_plugged\":%u", m->u.mhb.master_plugged);
        break;
    case TWC_KIND_SLAVE_HEARTBEAT:
        put(o, ",\"state\":%u,\"state_name\":\"%s\",\"limit_a\":", m->u.shb.state,
            twc_fmt_state_name(m->u.shb.state));
        put_amps(o, m->u.shb.limit_ca);
        put(o, ",\"actual_a\":");
        put_amps(o, m->u.shb.actual_ca);
        break;
    case TWC_KIND_METER_REPORT: {
        const struct twc_meter *mt = &m->u.meter;
        put(o, ",\"energy_raw\":%" PRIu32 ",\"energy_raw_large\":%s", mt->energy_raw,
            mt->energy_raw > 1000000u ? "true" : "false");
        for (size_t i = 0; i < 3; i++) {
            put(o, ",\"v_l%zu\":%u", i + 1, mt->voltage_v[i]);
        }
        if (mt->has_currents) {
            for (size_t i = 0; i < 3; i++) {
                put(o, ",\"i_l%zu_raw\":%u,\"i_l%zu_a\":", i + 1, mt->current_half_a[i], i + 1);
                put_half_amps(o, mt->current_half_a[i]);
            }
        }
        break;
    }
    case TWC_KIND_VERSION_REPORT:
    case TWC_KIND_FW_REPORT_OLD:
        put(o, ",\"fw\":\"");
        put_version(o, m);
        put(o, "\"");
        break;
    case TWC_KIND_PLUG_STATE_REPORT:
        put(o, ",\"plug_state\":%u,\"plug_state_name\":\"%s\"", m->u.plug_state,
            twc_fmt_plug_state_name(m->u.plug_state));
        break;
    default:
        if (text_key(m->kind)) {
            put(o, ",\"%s\":", text_key(m->kind));
            put_text(o, &m->u.text, true);
        }
        break;
    }
}

static void put_id_json(struct out *o, const char *key, bool has, uint16_t id)
{
    if (has) {
        put(o, ",\"%s\":\"%04x\"", key, id);
    } else {
        put(o, ",\"%s\":null", key);
    }
}

int twc_fmt_frame_json(
    const struct twc_msg *m, int rc, const struct twc_fmt_where *w, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, cap == 0};
    bool len_refused = m->kind == TWC_KIND_UNKNOWN && twc_kind_of_code(m->code) != 0;
    put(&o, "{\"event\":\"frame\",");
    put_where_json(&o, w);
    put(&o, ",\"len\":%u,\"kind\":\"%s\",\"code\":\"%04x\"", m->body_len, twc_kind_name(m->kind),
        m->code);
    put_id_json(&o, "src", m->has_src, m->src);
    put_id_json(&o, "dst", m->has_dst, m->dst);
    if (m->proto) {
        put(&o, ",\"proto\":%u", m->proto);
    } else {
        put(&o, ",\"proto\":null");
    }
    put(&o, ",\"checksum_ok\":%s,\"checksum\":\"%02x\",\"checksum_expected\":\"%02x\"",
        rc == -EBADMSG ? "false" : "true", m->body[m->body_len - 1],
        twc_checksum(m->body, m->body_len));
    put(&o, ",\"length_ok\":%s,\"pad_nonzero\":%s,\"body\":\"", len_refused ? "false" : "true",
        m->pad_nonzero ? "true" : "false");
    put_hex_bytes(&o, m->body, m->body_len, "");
    put(&o, "\"");
    fields_json(&o, m);
    put(&o, "}");
    return finish(&o);
}

static const char *event_word(const struct twc_df_event *ev, bool at_end, bool json)
{
    if (at_end) {
        return json ? "incomplete" : "incomplete frame or garbage at end of input";
    }
    switch (ev->type) {
    case TWC_DF_GARBAGE:
        return json ? "garbage" : "garbage skipped";
    case TWC_DF_BAD_ESCAPE:
        return json ? "bad_escape" : "bad escape (DB not followed by DC or DD), frame dropped";
    case TWC_DF_OVERLONG:
        return json ? "overlong" : "overlong frame (more than 20 bytes) dropped";
    default:
        return NULL;
    }
}

int twc_fmt_event_text(const struct twc_df_event *ev,
                       bool at_end,
                       const struct twc_fmt_where *w,
                       char *buf,
                       size_t cap)
{
    const char *word = event_word(ev, at_end, false);
    if (word == NULL) {
        return -EINVAL;
    }
    struct out o = {buf, cap, 0, cap == 0};
    put_where_text(&o, w);
    put(&o, "error: %s (%zu bytes)", word, ev->len);
    return finish(&o);
}

int twc_fmt_event_json(const struct twc_df_event *ev,
                       bool at_end,
                       const struct twc_fmt_where *w,
                       char *buf,
                       size_t cap)
{
    const char *word = event_word(ev, at_end, true);
    if (word == NULL) {
        return -EINVAL;
    }
    struct out o = {buf, cap, 0, cap == 0};
    put(&o, "{\"event\":\"%s\",", word);
    put_where_json(&o, w);
    put(&o, ",\"len\":%zu}", ev->len);
    return finish(&o);
}
