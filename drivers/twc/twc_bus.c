/* SPDX-License-Identifier: MIT */
/* The master's bus driver: bytes to frames to the pure master, and its frames back (twc_bus.h). */
#include "drivers/twc/twc_bus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "drivers/base/amp_err.h"
#include "drivers/base/amp_text.h"
#include "drivers/base/log.h"
#include "drivers/twc/twc_feed.h"

#define MOD "twc"

void twc_bus_config_init(struct twc_bus_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    twc_master_config_init(&cfg->master);
    cfg->line_idle_ms = TWC_BUS_LINE_IDLE_MS;
}

int twc_bus_init(struct twc_bus *bus,
                 struct tp_link *link,
                 const struct twc_bus_config *cfg,
                 uint64_t now_ms)
{
    if (!bus || !link || !cfg) {
        return -EINVAL;
    }
    memset(bus, 0, sizeof(*bus));
    int rc = twc_master_init(&bus->master, &cfg->master, now_ms);
    if (rc < 0) {
        return rc;
    }
    bus->link = link;
    bus->line_idle_ms = cfg->line_idle_ms;
    bus->on_event = cfg->on_event;
    bus->on_event_ctx = cfg->on_event_ctx;
    bus->master_next_ms = now_ms;
    bus->quiet_ms = now_ms;
    twc_deframer_init(&bus->df);
    log_info(MOD, "master %04x (sign %02x) on %s", cfg->master.id, cfg->master.sign,
             tp_link_tp(link)->label);
    return 0;
}

static void hex_of(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 <= cap; i++) {
        o += (size_t)snprintf(out + o, cap - o, i ? " %02x" : "%02x", b[i]);
    }
    if (cap > 0) {
        out[o < cap ? o : cap - 1] = '\0';
    }
}

/* Up to TWC_BUS_RAW_SHOW of the len bytes at stream offset off, in hex, from the ring. */
static void raw_hex(const struct twc_bus *bus, uint64_t off, size_t len, char *out, size_t cap)
{
    uint64_t oldest = bus->raw_end > TWC_BUS_RAW_KEEP ? bus->raw_end - TWC_BUS_RAW_KEEP : 0;
    uint64_t from = off < oldest ? oldest : off;
    uint64_t to = off + len < bus->raw_end ? off + len : bus->raw_end;
    size_t n = to > from ? (size_t)(to - from) : 0;
    size_t show = n < TWC_BUS_RAW_SHOW ? n : TWC_BUS_RAW_SHOW;
    uint8_t b[TWC_BUS_RAW_SHOW] = {0};
    for (size_t i = 0; i < show; i++) {
        b[i] = bus->raw[(from + i) % TWC_BUS_RAW_KEEP];
    }
    hex_of(b, show, out, cap);
    size_t o = strlen(out);
    if (len > show && o < cap) {
        snprintf(out + o, cap - o, "%s... (%zu bytes)", show ? " " : "", len);
    }
}

/* §6.6: collisions and noise corrupt frames now and then; heartbeats repeat, so a bad frame
 * is a warning, logged once per minute with a count of the rest. */
static void log_bad(struct twc_bus *bus, uint64_t now, const char *what, const char *hex)
{
    if (bus->bad_logged && now < bus->bad_log_ms + TWC_BUS_BAD_LOG_MS) {
        bus->bad_unlogged++;
        return;
    }
    if (bus->bad_unlogged > 0) {
        log_warn(MOD, "%s on %s: %s (and %" PRIu32 " more bad frames since the last report)", what,
                 tp_link_tp(bus->link)->label, hex, bus->bad_unlogged);
    } else {
        log_warn(MOD, "%s on %s: %s", what, tp_link_tp(bus->link)->label, hex);
    }
    bus->bad_logged = true;
    bus->bad_log_ms = now;
    bus->bad_unlogged = 0;
}

/* A frame that deframed but did not decode, shown unescaped. */
static void
note_bad(struct twc_bus *bus, uint64_t now, const char *what, const uint8_t *b, size_t n)
{
    char hex[TWC_BODY_MAX * 3 + 1];
    hex_of(b, n, hex, sizeof(hex));
    log_bad(bus, now, what, hex);
}

/* A stretch the deframer skipped, shown with its raw bytes (escapes and all, §2.1). */
static void
note_skipped(struct twc_bus *bus, uint64_t now, const char *what, uint64_t off, size_t len)
{
    if (bus->bad_logged && now < bus->bad_log_ms + TWC_BUS_BAD_LOG_MS) {
        bus->bad_unlogged++; /* no need to format what is not logged */
        return;
    }
    char hex[TWC_BUS_RAW_SHOW * 3 + 32];
    raw_hex(bus, off, len, hex, sizeof(hex));
    log_bad(bus, now, what, hex);
}

static void handle_event(struct twc_bus *bus, const struct twc_rx *rx, uint64_t now)
{
    const struct twc_df_event *ev = &rx->ev;
    switch (ev->type) {
    case TWC_DF_FRAME:
        break;
    case TWC_DF_GARBAGE:
        bus->stats.garbage++;
        note_skipped(bus, now, "garbage", ev->offset, ev->len);
        return;
    case TWC_DF_BAD_ESCAPE:
        /* the event's offset is the opening C0; the raw bytes follow it */
        bus->stats.bad_escape++;
        note_skipped(bus, now, "bad escape (DB not followed by DC or DD)", ev->offset + 1, ev->len);
        return;
    case TWC_DF_OVERLONG:
        bus->stats.overlong++;
        note_skipped(bus, now, "overlong frame", ev->offset + 1, ev->len);
        return;
    }
    if (rx->rc == -EBADMSG) {
        bus->stats.bad_checksum++;
        note_bad(bus, now, "bad checksum", ev->body, ev->len);
        return;
    }
    if (rx->rc < 0) {
        bus->stats.bad_length++;
        note_bad(bus, now, "bad length", ev->body, ev->len);
        return;
    }
    bus->stats.frames_ok++;
    if (log_enabled(LOG_LEVEL_DEBUG)) {
        char hex[TWC_BODY_MAX * 3 + 1];
        hex_of(ev->body, ev->len, hex, sizeof(hex));
        log_debug(MOD, "rx %s %s", twc_kind_name(rx->msg.kind), hex);
    }
    (void)twc_master_on_frame(&bus->master, now, &rx->msg);
}

static bool line_idle(const struct twc_bus *bus, uint64_t now)
{
    return !bus->rx_seen || now >= bus->last_rx_ms + bus->line_idle_ms;
}

/* A line that never goes quiet keeps the master from ever transmitting: say so, once. */
static void watch_line(struct twc_bus *bus, uint64_t now, bool idle)
{
    if (idle) {
        if (bus->busy_logged) {
            log_info(MOD, "%s: line quiet again after %" PRIu64 " ms; transmitting again",
                     tp_link_tp(bus->link)->label, now - bus->quiet_ms);
            bus->busy_logged = false;
        }
        bus->quiet_ms = now;
        return;
    }
    if (!bus->busy_logged && now >= bus->quiet_ms + TWC_BUS_BUSY_LOG_MS) {
        bus->busy_logged = true;
        bus->stats.line_busy++;
        log_err(MOD,
                "%s: no %" PRIu32 " ms pause between received bytes for %" PRIu64
                " ms: the master cannot transmit and the slaves will stop their cars; look for "
                "a second talker, a wrong baud rate or a noisy line",
                tp_link_tp(bus->link)->label, bus->line_idle_ms, now - bus->quiet_ms);
    }
}

static void read_all(struct twc_bus *bus, uint64_t now)
{
    uint8_t buf[256];
    for (int rounds = 0; rounds < 64; rounds++) {
        ssize_t n = tp_link_read(bus->link, now, buf, sizeof(buf));
        if (n <= 0) {
            return; /* nothing waiting, or the link went down (tp_link logs it) */
        }
        bus->stats.rx_bytes += (uint64_t)n;
        /* the line paused before these bytes, whether or not a service saw the pause */
        watch_line(bus, now, line_idle(bus, now));
        bus->last_rx_ms = now;
        bus->rx_seen = true;
        /* keep the newest bytes, at their stream offsets, for the log lines of bad stretches */
        for (ssize_t i = 0; i < n; i++) {
            bus->raw[(bus->raw_end + (uint64_t)i) % TWC_BUS_RAW_KEEP] = buf[i];
        }
        bus->raw_end += (uint64_t)n;
        const uint8_t *p = buf;
        size_t left = (size_t)n;
        struct twc_rx rx;
        while (twc_rx_next(&bus->df, &p, &left, &rx) == 1) {
            handle_event(bus, &rx, now);
        }
    }
}

static void flush_tx(struct twc_bus *bus, uint64_t now)
{
    while (bus->tx_off < bus->tx_len) {
        ssize_t n = tp_link_write(bus->link, now, bus->tx + bus->tx_off, bus->tx_len - bus->tx_off);
        if (n < 0) {
            /* The link is down: this frame is lost; the master's reply timeout covers it. */
            bus->stats.tx_lost++;
            bus->tx_len = bus->tx_off = 0;
            return;
        }
        if (n == 0) {
            /* kernel buffer full: the rest goes out on a service soon */
            bus->tx_retry_ms = now + TWC_BUS_TX_RETRY_MS;
            return;
        }
        bus->tx_off += (size_t)n;
        bus->stats.tx_bytes += (uint64_t)n;
    }
    bus->tx_len = bus->tx_off = 0;
}

static const char *quoted(const void *text, char *buf, size_t cap)
{
    const char *t = text;
    return amp_text_quote_n(t, strnlen(t, 17), buf, cap);
}

static void log_event(const struct twc_bus *bus, const struct twc_master_event *ev)
{
    char q[17 * 8 + 1];
    switch (ev->type) {
    case TWC_MEV_SLAVE_LINKED:
        log_info(MOD, "slave %04x %s: v%u, max %" PRId32 " mA, sign %02x", ev->slave_id,
                 ev->u.link.relink ? "linked again" : "linked", ev->u.link.proto, ev->u.link.max_ma,
                 ev->u.link.sign);
        break;
    case TWC_MEV_SLAVE_DROPPED:
        log_warn(MOD, "slave %04x dropped: no reply for %" PRIu32 " ms", ev->slave_id,
                 bus->master.cfg.slave_timeout_ms);
        break;
    case TWC_MEV_STATE_CHANGED:
        if (ev->u.state.first) {
            /* the first reply since (re)linking: there is no old state to name */
            log_info(MOD, "slave %04x state %02x", ev->slave_id, ev->u.state.new_state);
        } else {
            log_info(MOD, "slave %04x state %02x -> %02x", ev->slave_id, ev->u.state.old_state,
                     ev->u.state.new_state);
        }
        break;
    case TWC_MEV_LIMIT_ECHOED:
        log_debug(MOD, "slave %04x reports limit %" PRId32 " mA", ev->slave_id,
                  ev->u.limit.limit_ma);
        break;
    case TWC_MEV_OFFER_CHANGED:
        log_info(MOD, "slave %04x limit %" PRId32 " -> %" PRId32 " mA (%s)", ev->slave_id,
                 ev->u.offer.old_ma, ev->u.offer.new_ma,
                 twc_master_offer_reason_name(ev->u.offer.reason));
        break;
    case TWC_MEV_VERSION:
        log_info(MOD, "slave %04x firmware %u.%u.%u.%u", ev->slave_id, ev->u.version.v[0],
                 ev->u.version.v[1], ev->u.version.v[2], ev->u.version.v[3]);
        break;
    case TWC_MEV_SERIAL:
        /* the slave's bytes: shown, never passed raw into the journal */
        log_info(MOD, "slave %04x serial \"%s\"", ev->slave_id, quoted(&ev->u.text, q, sizeof(q)));
        break;
    case TWC_MEV_VIN:
        if (ev->u.text.text[0]) {
            log_info(MOD, "slave %04x VIN \"%s\"", ev->slave_id, quoted(&ev->u.text, q, sizeof(q)));
        } else {
            log_info(MOD, "slave %04x VIN (none reported)", ev->slave_id);
        }
        break;
    case TWC_MEV_METER:
        log_debug(MOD, "slave %04x energy %" PRIu32 ", %u/%u/%u V", ev->slave_id,
                  ev->u.meter.energy_raw, ev->u.meter.voltage_v[0], ev->u.meter.voltage_v[1],
                  ev->u.meter.voltage_v[2]);
        break;
    case TWC_MEV_MASTER_CLASH:
        log_err(MOD,
                "another master (%04x, frame %04x) is on the bus: stopped transmitting; two "
                "masters fight. Set that unit's rotary switch to F (slave); ampshare resumes "
                "once it has been quiet for %d s",
                ev->slave_id, ev->u.clash.code, TWC_MASTER_CLASH_QUIET_MS / 1000);
        break;
    case TWC_MEV_MASTER_RESUMED:
        log_warn(MOD,
                 "no frame from the other master %04x for %d s: master again as %04x (sign "
                 "%02x, was %04x)",
                 ev->slave_id, TWC_MASTER_CLASH_QUIET_MS / 1000, ev->u.resumed.new_id,
                 ev->u.resumed.new_sign, ev->u.resumed.old_id);
        break;
    case TWC_MEV_TOO_MANY_SLAVES:
        log_warn(MOD, "slave %04x ignored: a bus takes at most %d slaves (twc-gen2.md §1)",
                 ev->slave_id, TWC_MASTER_SLAVES_MAX);
        break;
    case TWC_MEV_ID_COLLISION:
        log_warn(MOD, "a slave uses our ID %04x: announcing again so it picks another",
                 ev->slave_id);
        break;
    }
}

static void deliver_events(struct twc_bus *bus)
{
    struct twc_master_event ev;
    while (twc_master_next_event(&bus->master, &ev) == 1) {
        log_event(bus, &ev);
        if (bus->on_event) {
            bus->on_event(bus->on_event_ctx, &ev);
        }
    }
}

int twc_bus_service(struct twc_bus *bus, uint64_t now)
{
    (void)tp_link_service(bus->link, now);
    read_all(bus, now);
    flush_tx(bus, now);
    watch_line(bus, now, line_idle(bus, now));
    if (bus->tx_len == 0 && line_idle(bus, now)) {
        struct twc_master_out out;
        bus->master_seq = bus->master.input_seq;
        int rc = twc_master_poll(&bus->master, now, &out);
        if (rc < 0) {
            log_err(MOD, "transmit guard refused a frame: %s", amp_strerror(rc));
        }
        bus->master_next_ms = out.next_ms;
        if (rc == 1) {
            if (log_enabled(LOG_LEVEL_DEBUG)) {
                char hex[TWC_WIRE_MAX * 3 + 1];
                hex_of(out.wire, out.wire_len, hex, sizeof(hex));
                log_debug(MOD, "tx %s %s", twc_kind_name(out.msg.kind), hex);
            }
            memcpy(bus->tx, out.wire, out.wire_len);
            bus->tx_len = out.wire_len;
            bus->tx_off = 0;
            bus->stats.tx_frames++;
            flush_tx(bus, now);
        }
    }
    deliver_events(bus);
    return twc_master_clashed(&bus->master) ? AMP_ERR_MASTER_CLASH : 0;
}

int twc_bus_poll_fd(const struct twc_bus *bus)
{
    return tp_link_poll_fd(bus->link);
}

uint64_t twc_bus_next_wakeup_ms(const struct twc_bus *bus)
{
    uint64_t next = bus->master_next_ms;
    if (bus->master.input_seq != bus->master_seq && bus->tx_len == 0) {
        /* A frame heard (a linkready, a reply freeing the bus) or a new target since the last
         * poll: the master may want the line as soon as it may send, not at the time it named
         * before (its own timers still wake it then). */
        uint64_t floor = twc_master_tx_floor_ms(&bus->master);
        next = floor < next ? floor : next;
    }
    if (bus->rx_seen && next < bus->last_rx_ms + bus->line_idle_ms) {
        /* nothing is sent before the line is idle, so there is no point in waking earlier */
        next = bus->last_rx_ms + bus->line_idle_ms;
    }
    uint64_t link_next = tp_link_next_ms(bus->link);
    if (link_next < next) {
        next = link_next;
    }
    if (bus->tx_len > 0 && bus->tx_retry_ms < next) {
        next = bus->tx_retry_ms;
    }
    return next;
}

struct twc_master *twc_bus_master(struct twc_bus *bus)
{
    return &bus->master;
}

const struct twc_bus_stats *twc_bus_get_stats(const struct twc_bus *bus)
{
    return &bus->stats;
}
