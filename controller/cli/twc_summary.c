/* SPDX-License-Identifier: MIT */
/* The per-unit summary of a sniffed bus (see twc_summary.h). */
#include "controller/cli/twc_summary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "controller/cli/twc_fmt.h"

void twc_summary_init(struct twc_summary *s)
{
    memset(s, 0, sizeof(*s));
}

static struct twc_summary_unit *unit(struct twc_summary *s, uint16_t id, bool *added)
{
    *added = false;
    for (size_t i = 0; i < s->n; i++) {
        if (s->unit[i].id == id) {
            return &s->unit[i];
        }
    }
    if (s->n >= TWC_SUMMARY_UNITS) {
        s->dropped++;
        return NULL;
    }
    struct twc_summary_unit *u = &s->unit[s->n++];
    memset(u, 0, sizeof(*u));
    u->id = id;
    *added = true;
    return u;
}

bool twc_summary_update(struct twc_summary *s, const struct twc_msg *msg)
{
    if (!msg->checksum_ok || !msg->has_src) {
        return false;
    }
    bool added = false;
    struct twc_summary_unit *u = unit(s, msg->src, &added);
    if (!u) {
        return false;
    }
    u->frames++;
    switch (msg->kind) {
    case TWC_KIND_MASTER_LINKREADY1:
    case TWC_KIND_MASTER_LINKREADY2:
        u->master = true;
        break;
    case TWC_KIND_SLAVE_LINKREADY:
        u->proto = msg->proto;
        break;
    case TWC_KIND_MASTER_HEARTBEAT: {
        u->master = true;
        uint8_t cmd = msg->u.mhb.cmd;
        bool sets =
            cmd == TWC_CMD_SET_LIMIT_V1 || cmd == TWC_CMD_SET_LIMIT_V2 || cmd == TWC_CMD_ACK_START;
        bool dst_added = false;
        struct twc_summary_unit *d = sets && msg->has_dst ? unit(s, msg->dst, &dst_added) : NULL;
        if (d) {
            d->has_cmd = true;
            d->commanded_ca = msg->u.mhb.amps_ca;
        }
        return added || dst_added;
    }
    case TWC_KIND_SLAVE_HEARTBEAT: {
        const struct twc_slave_hb *hb = &msg->u.shb;
        bool changed = !u->has_hb || u->state != hb->state || u->limit_ca != hb->limit_ca ||
                       u->actual_ca != hb->actual_ca;
        u->has_hb = true;
        u->proto = msg->proto ? msg->proto : u->proto;
        u->state = hb->state;
        u->limit_ca = hb->limit_ca;
        u->actual_ca = hb->actual_ca;
        return added || changed;
    }
    default:
        break;
    }
    return added;
}

struct sbuf {
    char *buf;
    size_t cap, len;
    bool overflow;
};

__attribute__((format(printf, 2, 3))) static void put(struct sbuf *b, const char *fmt, ...)
{
    if (b->overflow) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->overflow = true;
        return;
    }
    b->len += (size_t)n;
}

static int finish(struct sbuf *b)
{
    if (b->overflow) {
        if (b->cap) {
            b->buf[0] = '\0';
        }
        return -EMSGSIZE;
    }
    return (int)b->len;
}

int twc_summary_text(const struct twc_summary *s, bool has_t, uint64_t t_ms, char *buf, size_t cap)
{
    struct sbuf b = {buf, cap, 0, cap == 0};
    put(&b, "summary");
    if (has_t) {
        put(&b, " t=%" PRIu64, t_ms);
    }
    put(&b, ":");
    for (size_t i = 0; i < s->n; i++) {
        const struct twc_summary_unit *u = &s->unit[i];
        put(&b, "%s %04x %s", i ? " |" : "", u->id, u->master ? "master" : "slave");
        if (u->proto) {
            put(&b, " v%u", u->proto);
        }
        if (u->has_hb) {
            put(&b, " state=%02x(%s) limit=%u.%02uA actual=%u.%02uA", u->state,
                twc_fmt_state_name(u->state), u->limit_ca / 100u, u->limit_ca % 100u,
                u->actual_ca / 100u, u->actual_ca % 100u);
        }
        if (u->has_cmd) {
            put(&b, " commanded=%u.%02uA", u->commanded_ca / 100u, u->commanded_ca % 100u);
        }
    }
    return finish(&b);
}

int twc_summary_json(const struct twc_summary *s, bool has_t, uint64_t t_ms, char *buf, size_t cap)
{
    struct sbuf b = {buf, cap, 0, cap == 0};
    put(&b, "{\"event\":\"summary\",\"t_ms\":");
    if (has_t) {
        put(&b, "%" PRIu64, t_ms);
    } else {
        put(&b, "null");
    }
    put(&b, ",\"units\":[");
    for (size_t i = 0; i < s->n; i++) {
        const struct twc_summary_unit *u = &s->unit[i];
        put(&b, "%s{\"id\":\"%04x\",\"role\":\"%s\",\"proto\":", i ? "," : "", u->id,
            u->master ? "master" : "slave");
        if (u->proto) {
            put(&b, "%u", u->proto);
        } else {
            put(&b, "null");
        }
        if (u->has_hb) {
            put(&b, ",\"state\":%u,\"state_name\":\"%s\",\"limit_a\":%u.%02u,\"actual_a\":%u.%02u",
                u->state, twc_fmt_state_name(u->state), u->limit_ca / 100u, u->limit_ca % 100u,
                u->actual_ca / 100u, u->actual_ca % 100u);
        }
        if (u->has_cmd) {
            put(&b, ",\"commanded_a\":%u.%02u", u->commanded_ca / 100u, u->commanded_ca % 100u);
        }
        put(&b, ",\"frames\":%" PRIu32 "}", u->frames);
    }
    put(&b, "]}");
    return finish(&b);
}
