/* SPDX-License-Identifier: MIT */
/* The simulated native master: linking, heartbeats and the §7.3 allocation reading. */
#include "sim/sim_native_master.h"

#include <errno.h>
#include <string.h>

#include "sim/sim_twc_frames.h"

#define AMP_MA 1000 /* §5.3: whole amps only */

void sim_native_master_cfg_default(struct sim_native_master_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->id = 0x7E57;
    cfg->sign = 0x3A;
    cfg->circuit_ma = 40000;
    cfg->reserve_ma = 6000;    /* §4.1, §7.3: the v2 minimum, kept for every connected car */
    cfg->reserve_v1_ma = 5000; /* §4.1: the v1 minimum */
    cfg->drawing_ma = 1000;
    cfg->headroom_ma = 2000; /* §7.1: "more than 2 A short" is how TWCManager spots a car lagging */
    cfg->saturated_ms = 10000; /* longer than a raise takes to show (§7.2: 5-10 s) */
    cfg->probe_ms = 60000;
    cfg->hb_period_ms = 1000;      /* §6.3: about 1 heartbeat per second to each slave */
    cfg->hb_gap_ms = 100;          /* §1: one talker at a time; room for the reply */
    cfg->slave_timeout_ms = 26000; /* §6.4 */
    cfg->announce_count = 5;       /* §6.1: 5-7 FC E1, then exactly 5 FB E2 */
    cfg->announce_gap_ms = 200;
    cfg->trailer = 0xFE; /* §2.2 */
}

int sim_native_master_init(struct sim_native_master *m,
                           const struct sim_native_master_cfg *cfg,
                           uint64_t now_ms)
{
    if (cfg->id == 0 || cfg->circuit_ma <= 0 || cfg->reserve_ma < 0 || cfg->reserve_v1_ma < 0 ||
        cfg->hb_period_ms == 0 || cfg->trailer > 0xFF || cfg->headroom_ma < 0) {
        return -EINVAL;
    }
    memset(m, 0, sizeof(*m));
    m->cfg = *cfg;
    m->now_ms = now_ms;
    m->next_tx_ms = now_ms;
    twc_deframer_init(&m->df);
    return 0;
}

static int find_index(const struct sim_native_master *m, uint16_t id)
{
    for (size_t i = 0; i < SIM_NM_SLAVES_MAX; i++) {
        if (m->slave[i].used && m->slave[i].id == id) {
            return (int)i;
        }
    }
    return -1;
}

static struct sim_nm_slave *find(struct sim_native_master *m, uint16_t id)
{
    int i = find_index(m, id);
    return i < 0 ? NULL : &m->slave[i];
}

const struct sim_nm_slave *sim_native_master_slave(const struct sim_native_master *m, uint16_t id)
{
    int i = find_index(m, id);
    return i < 0 ? NULL : &m->slave[i];
}

static int32_t min_of(const struct sim_native_master *m, const struct sim_nm_slave *sl)
{
    return sl->proto == 1 ? m->cfg.reserve_v1_ma : m->cfg.reserve_ma;
}

/* §5.2: any state but 00 (ready, maybe nothing plugged in) and 02 (error) means a car is there. */
static bool car_connected(const struct sim_nm_slave *sl)
{
    return sl->replied && sl->state != 0x00 && sl->state != 0x02;
}

static void on_linkready(struct sim_native_master *m, uint64_t now, const struct twc_msg *msg)
{
    m->stats.linkreadies_rx++;
    if (msg->src == m->cfg.id) {
        /* §6.1, §6.6: a slave using our ID: repeat the burst so that it picks a new one. */
        m->announced = 0;
        return;
    }
    struct sim_nm_slave *sl = find(m, msg->src);
    if (!sl) {
        for (size_t i = 0; i < SIM_NM_SLAVES_MAX && !sl; i++) {
            sl = m->slave[i].used ? NULL : &m->slave[i];
        }
        if (!sl) {
            /* §6.3: a 4th slave gets error 5 blinks (§5.1 cmd 02, bit 1). */
            m->reject_pending = true;
            m->reject_id = msg->src;
            return;
        }
        memset(sl, 0, sizeof(*sl));
        sl->used = true;
        sl->id = msg->src;
    }
    /* §4.1: 14 bytes = v1, 16 = v2. */
    sl->proto = msg->body_len == TWC_BODY_V1 ? 1 : 2;
    sl->max_ma = twc_ca_to_ma(msg->u.linkready.max_ca);
    sl->last_rx_ms = now;
    sl->next_hb_ms = now; /* §6.2: the master answers at once */
    sl->hb_outstanding = false;
}

static void on_reply(struct sim_native_master *m, uint64_t now, const struct twc_msg *msg)
{
    struct sim_nm_slave *sl = find(m, msg->src);
    if (!sl || !msg->has_dst || msg->dst != m->cfg.id) {
        return;
    }
    m->stats.replies_rx++;
    sl->replied = true;
    sl->hb_outstanding = false;
    sl->last_rx_ms = now;
    sl->state = msg->u.shb.state;
    sl->echo_ma = twc_ca_to_ma(msg->u.shb.limit_ca);
    sl->actual_ma = twc_ca_to_ma(msg->u.shb.actual_ca);
    if (!car_connected(sl)) {
        sl->sent_ma = sl->echo_ma; /* §5.2: no car, no limit; a new car asks afresh */
    }
    bool drawing = car_connected(sl) && sl->actual_ma >= m->cfg.drawing_ma;
    if (drawing && sl->actual_ma + m->cfg.headroom_ma < sl->echo_ma) {
        if (sl->short_since_ms == 0) {
            sl->short_since_ms = now;
        }
        if (sl->cap_ma == 0 && now - sl->short_since_ms >= m->cfg.saturated_ms) {
            /* By measured current: the car takes less than offered; hand the rest on. */
            int32_t cap = sl->actual_ma + m->cfg.headroom_ma;
            sl->cap_ma = (cap + AMP_MA - 1) / AMP_MA * AMP_MA;
            sl->cap_until_ms = now + m->cfg.probe_ms;
        }
    } else {
        sl->short_since_ms = 0;
    }
}

void sim_native_master_on_bytes(struct sim_native_master *m,
                                uint64_t now_ms,
                                const uint8_t *buf,
                                size_t len)
{
    if (now_ms > m->now_ms) {
        m->now_ms = now_ms;
    }
    struct twc_msg msg;
    while (sim_twc_next_msg(&m->df, &buf, &len, &msg, &m->stats.bad_frames) == 1) {
        if (msg.kind == TWC_KIND_SLAVE_LINKREADY) {
            on_linkready(m, m->now_ms, &msg);
        } else if (msg.kind == TWC_KIND_SLAVE_HEARTBEAT) {
            on_reply(m, m->now_ms, &msg);
        }
    }
}

void sim_native_master_allocate(const struct sim_native_master *m,
                                uint64_t now_ms,
                                int32_t target_ma[SIM_NM_SLAVES_MAX])
{
    int32_t remaining = m->cfg.circuit_ma;
    int32_t cap[SIM_NM_SLAVES_MAX] = {0};
    /* §7.3 first half: the minimum for every connected car, drawing or not, while it fits. */
    for (size_t i = 0; i < SIM_NM_SLAVES_MAX; i++) {
        const struct sim_nm_slave *sl = &m->slave[i];
        target_ma[i] = 0;
        if (!sl->used || !car_connected(sl)) {
            continue;
        }
        int32_t r = min_of(m, sl);
        r = r > sl->max_ma ? sl->max_ma / AMP_MA * AMP_MA : r;
        if (r > remaining) {
            continue;
        }
        target_ma[i] = r;
        remaining -= r;
        bool drawing = sl->actual_ma >= m->cfg.drawing_ma;
        if (drawing) {
            bool capped = sl->cap_ma > 0 && now_ms < sl->cap_until_ms;
            cap[i] = capped && sl->cap_ma < sl->max_ma ? sl->cap_ma : sl->max_ma;
        }
    }
    /* §7.3 second half: the rest goes, one amp at a time, to the cars that draw. */
    bool gave = true;
    while (remaining >= AMP_MA && gave) {
        gave = false;
        for (size_t i = 0; i < SIM_NM_SLAVES_MAX && remaining >= AMP_MA; i++) {
            if (target_ma[i] > 0 && target_ma[i] + AMP_MA <= cap[i]) {
                target_ma[i] += AMP_MA;
                remaining -= AMP_MA;
                gave = true;
            }
        }
    }
}

/* Never commits more than the circuit: a raise waits until the others' cuts are echoed. */
static int32_t safe_offer(const struct sim_native_master *m, size_t i, int32_t target)
{
    int32_t others = 0;
    for (size_t j = 0; j < SIM_NM_SLAVES_MAX; j++) {
        const struct sim_nm_slave *o = &m->slave[j];
        if (j == i || !o->used) {
            continue;
        }
        /* A car may draw up to what it echoes or what it was last sent, whichever is more; a
         * slave without a car draws what it measures (nothing much). */
        int32_t committed = o->echo_ma > o->sent_ma ? o->echo_ma : o->sent_ma;
        others += car_connected(o) ? committed : o->actual_ma;
    }
    int32_t room = (m->cfg.circuit_ma - others) / AMP_MA * AMP_MA;
    const struct sim_nm_slave *sl = &m->slave[i];
    if (target <= room) {
        return target;
    }
    /* Not enough room yet: keep what the slave has if it fits, else nothing. */
    return sl->echo_ma <= room ? sl->echo_ma : (room >= min_of(m, sl) ? room : 0);
}

static size_t wrap(struct sim_native_master *m, struct twc_msg *msg, uint8_t *out, size_t cap)
{
    int w = sim_twc_frame(msg, m->cfg.trailer, out, cap);
    return w < 0 ? 0 : (size_t)w;
}

static size_t
heartbeat(struct sim_native_master *m, size_t i, uint64_t now, uint8_t *out, size_t cap)
{
    struct sim_nm_slave *sl = &m->slave[i];
    int32_t targets[SIM_NM_SLAVES_MAX];
    sim_native_master_allocate(m, now, targets);
    for (size_t j = 0; j < SIM_NM_SLAVES_MAX; j++) {
        m->slave[j].target_ma = targets[j];
    }
    int32_t offer = safe_offer(m, i, targets[i]);
    struct twc_msg msg;
    sim_twc_msg_start(&msg, TWC_KIND_MASTER_HEARTBEAT, sl->proto == 1 ? TWC_BODY_V1 : TWC_BODY_V2,
                      m->cfg.id);
    msg.has_dst = true;
    msg.dst = sl->id;
    /* §5.2 P1: once the slave echoes the limit the master says 00; otherwise it sets it,
     * 09 on v2 and 05 on v1 (§9 #8). The first heartbeat, before any report, is a plain 00
     * (§6.2: it only links the slave). */
    bool set = sl->replied && offer != sl->echo_ma;
    if (set) {
        msg.u.mhb.cmd = sl->proto == 1 ? TWC_CMD_SET_LIMIT_V1 : TWC_CMD_SET_LIMIT_V2;
        msg.u.mhb.amps_ca = twc_ma_to_ca(offer);
    }
    size_t n = wrap(m, &msg, out, cap);
    if (n == 0) {
        return 0;
    }
    if (set) {
        sl->sent_ma = offer;
        m->stats.limits_tx++;
    }
    m->stats.heartbeats_tx++;
    sl->hb_outstanding = true;
    sl->next_hb_ms = now + m->cfg.hb_period_ms;
    return n;
}

static size_t reject(struct sim_native_master *m, uint8_t *out, size_t cap)
{
    struct twc_msg msg;
    sim_twc_msg_start(&msg, TWC_KIND_MASTER_HEARTBEAT, TWC_BODY_V2, m->cfg.id);
    msg.has_dst = true;
    msg.dst = m->reject_id;
    msg.u.mhb.cmd = TWC_CMD_ERROR;
    msg.u.mhb.amps_ca = 0x0200; /* d1 = bitmap bit 1: more than 3 slaves (§5.1) */
    m->reject_pending = false;
    return wrap(m, &msg, out, cap);
}

static size_t announce(struct sim_native_master *m, uint8_t *out, size_t cap)
{
    /* §4.3: the only captured master linkreadies are 14 bytes with zeros after the sign. */
    struct twc_msg msg;
    bool first = m->announced < m->cfg.announce_count;
    sim_twc_msg_start(&msg, first ? TWC_KIND_MASTER_LINKREADY1 : TWC_KIND_MASTER_LINKREADY2,
                      TWC_BODY_V1, m->cfg.id);
    msg.u.linkready.sign = m->cfg.sign;
    m->announced++;
    return wrap(m, &msg, out, cap);
}

size_t sim_native_master_poll(
    struct sim_native_master *m, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms)
{
    if (now_ms > m->now_ms) {
        m->now_ms = now_ms;
    }
    uint64_t now = m->now_ms;
    for (size_t i = 0; i < SIM_NM_SLAVES_MAX; i++) {
        struct sim_nm_slave *sl = &m->slave[i];
        if (sl->used && now - sl->last_rx_ms >= m->cfg.slave_timeout_ms) {
            sl->used = false; /* §6.4: dropped; re-added on its next linkready */
            m->stats.slaves_dropped++;
        }
    }
    size_t due = SIM_NM_SLAVES_MAX;
    for (size_t i = 0; i < SIM_NM_SLAVES_MAX; i++) {
        const struct sim_nm_slave *sl = &m->slave[i];
        if (sl->used && sl->next_hb_ms <= now &&
            (due == SIM_NM_SLAVES_MAX || sl->next_hb_ms < m->slave[due].next_hb_ms)) {
            due = i;
        }
    }
    bool announcing = m->announced < 2 * m->cfg.announce_count;
    size_t n = 0;
    if (now >= m->next_tx_ms) {
        /* Heartbeats first (§6.3 starvation), then the 4th-slave error, then announcements. */
        if (due < SIM_NM_SLAVES_MAX) {
            n = heartbeat(m, due, now, out, cap);
        } else if (m->reject_pending) {
            n = reject(m, out, cap);
        } else if (announcing) {
            n = announce(m, out, cap);
        }
        if (n > 0) {
            uint32_t gap =
                due == SIM_NM_SLAVES_MAX && announcing ? m->cfg.announce_gap_ms : m->cfg.hb_gap_ms;
            m->next_tx_ms = now + gap;
        }
    }
    /* When the next frame could go. */
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < SIM_NM_SLAVES_MAX; i++) {
        const struct sim_nm_slave *sl = &m->slave[i];
        if (sl->used) {
            next = sl->next_hb_ms < next ? sl->next_hb_ms : next;
            uint64_t drop = sl->last_rx_ms + m->cfg.slave_timeout_ms;
            next = drop < next ? drop : next;
        }
    }
    if (m->reject_pending || m->announced < 2 * m->cfg.announce_count) {
        next = now;
    }
    if (next < m->next_tx_ms) {
        next = m->next_tx_ms;
    }
    if (next_ms) {
        *next_ms = next;
    }
    return n;
}
