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
    /* §6.4: TWCManager deletes a slave silent for 26 s and re-adds it on its next linkready. */
    struct twc_master_event ev = {
        .type = TWC_MEV_SLAVE_DROPPED,
        .at_ms = now,
        .slave_id = s->id,
    };
    twc_master_emit(m, &ev);
    if (m->exch_active && m->exch_slave == (int)(s - m->slaves)) {
        m->exch_active = false;
    }
    memset(s, 0, sizeof(*s));
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
    if (link_answer) {
        /* twcmanager-peer.md: TWCManager links with a command-00 heartbeat, proven on real
         * slaves; the limit follows on the next one. */
        msg.u.mhb.cmd = TWC_CMD_NONE;
    } else if (s->offered_a == 0 || !s->replied || s->limit_ca != offer_ca) {
        /* §5.1, §9 #8: 05 sets the limit on v1, 09 on v2. §7.1 Stopping: a zero limit is sent
         * on every heartbeat (falling back to 00 makes the relay chatter between 01 and 03). */
        msg.u.mhb.cmd = s->proto == 1 ? TWC_CMD_SET_LIMIT_V1 : TWC_CMD_SET_LIMIT_V2;
        msg.u.mhb.amps_ca = offer_ca;
    } else {
        /* §5.1: a native master sends 00 once the slave echoes the limit. */
        msg.u.mhb.cmd = TWC_CMD_NONE;
    }
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

static int
pick_slave_frame(struct twc_master *m, uint64_t now, struct twc_master_out *out, uint64_t *wake)
{
    struct twc_master_slave *due = NULL;
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        struct twc_master_slave *s = &m->slaves[i];
        if (s->used && s->urgent) {
            return send_heartbeat(m, now, out, s, false);
        }
    }
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        struct twc_master_slave *s = &m->slaves[i];
        if (!s->used) {
            continue;
        }
        if (s->next_hb_ms <= now && (!due || s->next_hb_ms < due->next_hb_ms)) {
            due = s;
        }
        twc_master_wake_at(wake, s->next_hb_ms);
    }
    if (due) {
        return send_heartbeat(m, now, out, due, false);
    }
    if (now < m->info_next_ms) {
        twc_master_wake_at(wake, m->info_next_ms);
        return 0;
    }
    for (size_t k = 0; k < TWC_MASTER_SLAVES_MAX; k++) {
        size_t i = (m->info_rr + k) % TWC_MASTER_SLAVES_MAX;
        struct twc_master_slave *s = &m->slaves[i];
        if (!s->used) {
            continue;
        }
        enum twc_kind kind = info_due(m, s, now, wake);
        if (kind != TWC_KIND_UNKNOWN) {
            m->info_rr = i + 1;
            return send_info(m, now, out, s, kind);
        }
    }
    return 0;
}

int twc_master_poll(struct twc_master *m, uint64_t now_ms, struct twc_master_out *out)
{
    uint64_t wake = UINT64_MAX;
    uint64_t now = now_ms < m->last_now_ms ? m->last_now_ms : now_ms;
    m->last_now_ms = now;
    out->has_frame = false;
    out->wire_len = 0;
    int rc = 0;
    expire(m, now, &wake);
    if (m->clash) {
        /* §6.6: silent for good once another master was heard. */
        out->next_ms = UINT64_MAX;
        return 0;
    }
    if (m->exch_active) {
        twc_master_wake_at(&wake, m->exch_deadline_ms);
        goto done;
    }
    if (now < m->bus_free_ms) {
        twc_master_wake_at(&wake, m->bus_free_ms);
        goto done;
    }
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        struct twc_master_slave *s = &m->slaves[i];
        if (s->used && s->answer_now) {
            rc = send_heartbeat(m, now, out, s, true);
            goto done;
        }
    }
    if (m->burst_sent < m->cfg.burst_fc_e1 + m->cfg.burst_fb_e2) {
        if (now >= m->burst_next_ms) {
            rc = send_burst(m, now, out);
        } else {
            twc_master_wake_at(&wake, m->burst_next_ms);
        }
        goto done;
    }
    rc = pick_slave_frame(m, now, out, &wake);
done:
    if (m->exch_active) {
        twc_master_wake_at(&wake, m->exch_deadline_ms);
    }
    if (out->has_frame && !m->exch_active && m->bus_free_ms > now) {
        twc_master_wake_at(&wake, m->bus_free_ms);
    }
    out->next_ms = wake;
    return rc;
}
