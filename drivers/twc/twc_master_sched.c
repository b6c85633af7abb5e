/* SPDX-License-Identifier: MIT */
/*
 * The master's transmit side: timers, and which frame goes out next on the half-duplex bus
 * (twc-gen2.md §6). One exchange at a time; priorities, highest first:
 *   1. the answer to a slave's linkready (§6.2: "at once");
 *   2. the start-up burst (§6.1); no heartbeats until it is over;
 *   3. a heartbeat carrying a cut (safety first);
 *   4. heartbeats due on the per-slave cadence (§6.3);
 *   5. one info query, only when no heartbeat is due and at most one per info_gap_ms (§6.3
 *      starvation), so a heartbeat is never late by more than one exchange.
 * Every frame is encoded by the transmit guard (twc_tx_guard.c, §4.2).
 */
#include <string.h>

#include "drivers/twc/twc_master_internal.h"
#include "drivers/twc/twc_tx_guard.h"

static void drop_slave(struct twc_master *m, struct twc_master_slave *s, uint64_t now)
{
    /* §6.4: TWCManager deletes a slave silent for 26 s and re-adds it on its next linkready.
     * Whatever it was offered is gone with it: it starts from 0 when it links again. */
    struct twc_master_event ev = {
        .type = TWC_MEV_OFFER_CHANGED,
        .at_ms = now,
        .slave_id = s->id,
    };
    if (s->offered_a > 0) {
        ev.u.offer.old_ma = s->offered_a * 1000;
        ev.u.offer.new_ma = 0;
        ev.u.offer.reason = TWC_OFFER_DROPPED;
        twc_master_emit(m, &ev);
    }
    memset(&ev.u, 0, sizeof(ev.u));
    ev.type = TWC_MEV_SLAVE_DROPPED;
    twc_master_emit(m, &ev);
    if (m->exch_active && m->exch_slave == (int)(s - m->slaves)) {
        m->exch_active = false;
    }
    memset(s, 0, sizeof(*s));
    m->change_seq++; /* the only change to the table a poll makes */
}

static void expire(struct twc_master *m, uint64_t now, uint64_t *wake)
{
    if (m->exch_active && now >= m->exch_deadline_ms) {
        /* No reply: the exchange is over; the timeout itself was the pause. */
        m->exch_active = false;
        m->stats.reply_timeouts++;
    }
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        struct twc_master_slave *s = &m->slaves[i];
        if (!s->used) {
            continue;
        }
        uint64_t dead_at = s->last_heard_ms + m->cfg.slave_timeout_ms;
        if (now >= dead_at) {
            drop_slave(m, s, now);
            continue;
        }
        twc_master_wake_at(wake, dead_at);
        twc_master_pace(m, s, now, wake);
    }
}

static int transmit(struct twc_master *m,
                    uint64_t now,
                    struct twc_master_out *out,
                    struct twc_msg *msg,
                    struct twc_master_slave *s)
{
    int n = twc_tx_encode(msg, s ? s->fw_453 : false, m->cfg.trailer, out->wire, sizeof(out->wire));
    if (n < 0) {
        m->stats.guard_refusals++;
        return n;
    }
    out->has_frame = true;
    out->wire_len = (size_t)n;
    out->msg = *msg;
    if (s) {
        m->exch_active = true;
        m->exch_slave = (int)(s - m->slaves);
        m->exch_deadline_ms = now + m->cfg.reply_timeout_ms;
    }
    return 1;
}

static void msg_to(struct twc_master *m,
                   struct twc_msg *msg,
                   enum twc_kind kind,
                   const struct twc_master_slave *s)
{
    memset(msg, 0, sizeof(*msg));
    msg->kind = kind;
    msg->has_src = true;
    msg->src = m->cfg.id;
    msg->has_dst = true;
    msg->dst = s->id;
    /* §9 #13, §9 #14: requests in the slave's own length (14 v1, 16 v2). */
    msg->body_len = s->hb_len;
}

static int send_heartbeat(struct twc_master *m,
                          uint64_t now,
                          struct twc_master_out *out,
                          struct twc_master_slave *s,
                          bool link_answer)
{
    struct twc_msg msg;
    msg_to(m, &msg, TWC_KIND_MASTER_HEARTBEAT, s);
    uint16_t offer_ca = (uint16_t)(s->offered_a * 100);
    /* Command 00 (keep-alive, limit unchanged) in two cases: the answer to a linkready, the
     * form TWCManager links with on real slaves (twcmanager-peer.md), the limit following on
     * the next heartbeat; and once the slave echoes a non-zero limit, as a native master does
     * (§5.1). Otherwise 05 sets the limit on v1, 09 on v2 (§9 #8); a zero limit goes out on
     * every heartbeat (§7.1 Stopping: falling back to 00 makes the relay chatter). */
    bool keep = link_answer || (s->offered_a > 0 && s->replied && s->limit_ca == offer_ca);
    msg.u.mhb.cmd =
        keep ? TWC_CMD_NONE : (s->proto == 1 ? TWC_CMD_SET_LIMIT_V1 : TWC_CMD_SET_LIMIT_V2);
    msg.u.mhb.amps_ca = keep ? 0 : offer_ca;
    int rc = transmit(m, now, out, &msg, s);
    if (rc < 0) {
        return rc;
    }
    m->stats.heartbeats_sent++;
    s->answer_now = false;
    s->urgent = false;
    s->next_hb_ms = now + m->cfg.hb_period_ms;
    return rc;
}

static int send_burst(struct twc_master *m, uint64_t now, struct twc_master_out *out)
{
    /* §4.3, §9 #3: TWCManager's 14-byte form, zeros after the sign, to v1 and v2 alike. */
    struct twc_msg msg;
    memset(&msg, 0, sizeof(msg));
    msg.kind = m->burst_sent < m->cfg.burst_fc_e1 ? TWC_KIND_MASTER_LINKREADY1
                                                  : TWC_KIND_MASTER_LINKREADY2;
    msg.has_src = true;
    msg.src = m->cfg.id;
    msg.body_len = TWC_BODY_V1;
    msg.u.linkready.sign = m->cfg.sign;
    int rc = transmit(m, now, out, &msg, NULL);
    if (rc < 0) {
        return rc;
    }
    m->stats.linkreadies_sent++;
    m->burst_sent++;
    m->burst_next_ms = now + m->cfg.burst_gap_ms;
    m->bus_free_ms = now + m->cfg.burst_gap_ms;
    return rc;
}

/* The info query due for s now, or TWC_KIND_UNKNOWN; lowers *wake to when one falls due. */
static enum twc_kind
info_due(const struct twc_master *m, const struct twc_master_slave *s, uint64_t now, uint64_t *wake)
{
    /* §4.2: v1 firmware predates every query; wait for the first reply before asking. */
    if (!s->replied || s->proto != 2) {
        return TWC_KIND_UNKNOWN;
    }

    static const enum twc_kind vin_kinds[3] = {
        TWC_KIND_VIN_QUERY_1,
        TWC_KIND_VIN_QUERY_2,
        TWC_KIND_VIN_QUERY_3,
    };

    if (m->cfg.query_info) {
        if (!s->fw_known && s->version_tries < TWC_MASTER_INFO_TRIES) {
            if (now >= s->next_version_ms) {
                return TWC_KIND_VERSION_QUERY;
            }
            twc_master_wake_at(wake, s->next_version_ms);
        }
        if (s->ext && !s->serial_known && s->serial_tries < TWC_MASTER_INFO_TRIES) {
            if (now >= s->next_serial_ms) {
                return TWC_KIND_SERIAL_QUERY;
            }
            twc_master_wake_at(wake, s->next_serial_ms);
        }
        if (s->ext && s->vin_part >= 1 && s->vin_part <= 3 && s->vin_fails < TWC_MASTER_VIN_TRIES) {
            if (now >= s->next_vin_ms) {
                return vin_kinds[s->vin_part - 1];
            }
            twc_master_wake_at(wake, s->next_vin_ms);
        }
    }
    if (m->cfg.meter_period_ms > 0) {
        if (now >= s->next_meter_ms) {
            return TWC_KIND_METER_QUERY;
        }
        twc_master_wake_at(wake, s->next_meter_ms);
    }
    return TWC_KIND_UNKNOWN;
}

static int send_info(struct twc_master *m,
                     uint64_t now,
                     struct twc_master_out *out,
                     struct twc_master_slave *s,
                     enum twc_kind kind)
{
    struct twc_msg msg;
    msg_to(m, &msg, kind, s);
    int rc = transmit(m, now, out, &msg, s);
    if (rc < 0) {
        return rc;
    }
    m->stats.queries_sent++;
    m->info_next_ms = now + m->cfg.info_gap_ms;
    switch (kind) {
    case TWC_KIND_VERSION_QUERY:
        s->version_tries++;
        s->next_version_ms = now + TWC_MASTER_INFO_RETRY_MS;
        break;
    case TWC_KIND_SERIAL_QUERY:
        s->serial_tries++;
        s->next_serial_ms = now + TWC_MASTER_INFO_RETRY_MS;
        break;
    case TWC_KIND_METER_QUERY:
        s->next_meter_ms = now + m->cfg.meter_period_ms;
        break;
    default:
        /* VIN part: the reply asks the next part at once; silence retries in 60 s (§6.3). */
        s->vin_fails++;
        s->next_vin_ms = now + TWC_MASTER_VIN_RETRY_MS;
        break;
    }
    return rc;
}

/* Builds the next frame when the bus is free: linkready answers, the burst, cuts, due
 * heartbeats, then one info query. Returns 1 with a frame, 0 for none, or a guard error. */
static int pick_frame(struct twc_master *m, uint64_t now, struct twc_master_out *out)
{
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        struct twc_master_slave *s = &m->slaves[i];
        if (s->used && s->answer_now) {
            return send_heartbeat(m, now, out, s, true);
        }
    }
    if (m->burst_sent < m->cfg.burst_fc_e1 + m->cfg.burst_fb_e2) {
        return now >= m->burst_next_ms ? send_burst(m, now, out) : 0;
    }
    struct twc_master_slave *due = NULL;
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        struct twc_master_slave *s = &m->slaves[i];
        if (s->used && s->urgent) {
            return send_heartbeat(m, now, out, s, false);
        }
        if (s->used && s->next_hb_ms <= now && (!due || s->next_hb_ms < due->next_hb_ms)) {
            due = s;
        }
    }
    if (due) {
        return send_heartbeat(m, now, out, due, false);
    }
    if (now < m->info_next_ms) {
        return 0;
    }
    for (size_t k = 0; k < TWC_MASTER_SLAVES_MAX; k++) {
        size_t i = (m->info_rr + k) % TWC_MASTER_SLAVES_MAX;
        struct twc_master_slave *s = &m->slaves[i];
        uint64_t ignored = UINT64_MAX;
        enum twc_kind kind = s->used ? info_due(m, s, now, &ignored) : TWC_KIND_UNKNOWN;
        if (kind != TWC_KIND_UNKNOWN) {
            m->info_rr = i + 1;
            return send_info(m, now, out, s, kind);
        }
    }
    return 0;
}

/* The earliest time some frame wants the bus (now if one is due already), UINT64_MAX if none. */
static uint64_t tx_due_at(const struct twc_master *m, uint64_t now)
{
    uint64_t due = UINT64_MAX;
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        if (m->slaves[i].used && m->slaves[i].answer_now) {
            return now;
        }
    }
    if (m->burst_sent < m->cfg.burst_fc_e1 + m->cfg.burst_fb_e2) {
        return m->burst_next_ms > now ? m->burst_next_ms : now;
    }
    uint64_t info = UINT64_MAX;
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        const struct twc_master_slave *s = &m->slaves[i];
        if (!s->used) {
            continue;
        }
        twc_master_wake_at(&due, s->urgent ? now : s->next_hb_ms);
        if (info_due(m, s, now, &info) != TWC_KIND_UNKNOWN) {
            info = now;
        }
    }
    if (info != UINT64_MAX) {
        twc_master_wake_at(&due, info > m->info_next_ms ? info : m->info_next_ms);
    }
    return due;
}

int twc_master_poll(struct twc_master *m, uint64_t now_ms, struct twc_master_out *out)
{
    uint64_t wake = UINT64_MAX;
    uint64_t now = now_ms < m->last_now_ms ? m->last_now_ms : now_ms;
    m->last_now_ms = now;
    out->has_frame = false;
    out->wire_len = 0;
    /* timers that act whatever the bus does: reply timeout, silence drop, pacing */
    expire(m, now, &wake);
    if (m->clash && now >= m->clash_last_ms + TWC_MASTER_CLASH_QUIET_MS) {
        twc_master_resume(m, now);
    }
    if (m->clash) {
        /* §6.6: silent while another master is on the bus. */
        twc_master_wake_at(&wake, m->clash_last_ms + TWC_MASTER_CLASH_QUIET_MS);
        out->next_ms = wake > now ? wake : now + 1;
        return 0;
    }
    int rc = 0;
    if (!m->exch_active && now >= m->bus_free_ms) {
        rc = pick_frame(m, now, out);
    }
    /* When the bus is next ours: at the reply timeout (a reply comes with a frame, and the
     * caller polls after every frame), or after the gap. Nothing wakes the caller earlier. */
    uint64_t avail = m->exch_active ? m->exch_deadline_ms : m->bus_free_ms;
    if (m->exch_active) {
        twc_master_wake_at(&wake, m->exch_deadline_ms);
    }
    uint64_t due = tx_due_at(m, now);
    if (due != UINT64_MAX) {
        twc_master_wake_at(&wake, due > avail ? due : avail);
    }
    /* Something due now on a free bus was just sent, so this only guards against a spin. */
    out->next_ms = wake > now ? wake : now + 1;
    return rc;
}
