/* SPDX-License-Identifier: MIT */
/*
 * The master state machine: set-up, what it learns from received frames (twc-gen2.md §4–§6),
 * events and getters. The transmit side is in twc_master_sched.c, pacing in twc_master_pace.c.
 */
#include <errno.h>
#include <string.h>

#include "drivers/base/amp_err.h"
#include "drivers/twc/twc_master_internal.h"

void twc_master_config_init(struct twc_master_config *cfg)
{
    *cfg = (struct twc_master_config){
        .id = 0,
        .sign = 0,
        .trailer = -1, /* §9 #1: send none; TWCManager's Python master sends none */
        .burst_fc_e1 = TWC_MASTER_BURST_FC_E1,
        .burst_fb_e2 = TWC_MASTER_BURST_FB_E2,
        .burst_gap_ms = TWC_MASTER_BURST_GAP_MS,
        .hb_period_ms = TWC_MASTER_HB_PERIOD_MS,
        .reply_timeout_ms = TWC_MASTER_REPLY_TIMEOUT_MS,
        .tx_gap_ms = TWC_MASTER_TX_GAP_MS,
        .slave_timeout_ms = TWC_MASTER_SLAVE_TIMEOUT_MS,
        .meter_period_ms = TWC_MASTER_METER_PERIOD_MS,
        .info_gap_ms = TWC_MASTER_INFO_GAP_MS,
        .query_info = true,
        .spike_a = TWC_MASTER_SPIKE_A,
        .spike_a_80 = TWC_MASTER_SPIKE_A_80,
        .cut_interval_ms = TWC_MASTER_CUT_INTERVAL_MS,
        .start_stop_hold_ms = TWC_MASTER_START_STOP_HOLD_MS,
    };
}

static bool id_byte_ok(uint8_t b)
{
    /* Not wrong on the wire (§2.1 escapes them), but IDs without escapes keep every frame of
     * ours the same length and easy to read in captures. */
    return b != TWC_END && b != TWC_ESC;
}

void twc_master_pick_id(uint64_t seed, uint16_t *id, uint8_t *sign)
{
    uint64_t x = seed;
    for (;;) {
        /* splitmix64 step: any seed maps to a well-mixed value */
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        uint16_t cand = (uint16_t)z;
        uint8_t sg = (uint8_t)(z >> 16);
        /* §7.5: receiver 0000 is noise; 7777 is TWCManager's fixed ID (twcmanager-peer.md). */
        if (cand == 0x0000 || cand == 0xFFFF || cand == 0x7777) {
            continue;
        }
        if (!id_byte_ok((uint8_t)(cand >> 8)) || !id_byte_ok((uint8_t)cand) || !id_byte_ok(sg)) {
            continue;
        }
        *id = cand;
        *sign = sg;
        return;
    }
}

int twc_master_init(struct twc_master *m, const struct twc_master_config *cfg, uint64_t now_ms)
{
    if (!m || !cfg) {
        return -EINVAL;
    }
    if (cfg->id == 0x0000 || cfg->hb_period_ms == 0 || cfg->reply_timeout_ms == 0 ||
        cfg->reply_timeout_ms >= cfg->hb_period_ms || cfg->slave_timeout_ms <= cfg->hb_period_ms ||
        cfg->trailer < -1 || cfg->trailer > 0xFF || cfg->spike_a < 0 || cfg->spike_a_80 < 0 ||
        cfg->burst_fc_e1 > 20 || cfg->burst_fb_e2 > 20) {
        return -EINVAL;
    }
    memset(m, 0, sizeof(*m));
    m->cfg = *cfg;
    m->last_now_ms = now_ms;
    m->burst_next_ms = now_ms;
    m->bus_free_ms = now_ms;
    m->info_next_ms = now_ms;
    return 0;
}

void twc_master_emit(struct twc_master *m, const struct twc_master_event *ev)
{
    if (m->ev_count == TWC_MASTER_EVENTS_MAX) {
        m->stats.events_lost++;
        return;
    }
    m->events[(m->ev_head + m->ev_count) % TWC_MASTER_EVENTS_MAX] = *ev;
    m->ev_count++;
}

int twc_master_next_event(struct twc_master *m, struct twc_master_event *ev)
{
    if (m->ev_count == 0) {
        return 0;
    }
    *ev = m->events[m->ev_head];
    m->ev_head = (m->ev_head + 1) % TWC_MASTER_EVENTS_MAX;
    m->ev_count--;
    return 1;
}

struct twc_master_slave *twc_master_slave_by_id(struct twc_master *m, uint16_t id)
{
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        if (m->slaves[i].used && m->slaves[i].id == id) {
            return &m->slaves[i];
        }
    }
    return NULL;
}

static uint64_t advance(struct twc_master *m, uint64_t now)
{
    /* A clock that steps back must not re-arm timers in the past; time only moves forward. */
    if (now < m->last_now_ms) {
        return m->last_now_ms;
    }
    m->last_now_ms = now;
    return now;
}

static void
ev_init(struct twc_master_event *ev, enum twc_master_event_type type, uint64_t now, uint16_t id)
{
    memset(ev, 0, sizeof(*ev));
    ev->type = type;
    ev->at_ms = now;
    ev->slave_id = id;
}

static int on_clash(struct twc_master *m, uint64_t now, const struct twc_msg *msg)
{
    /* §3: the checksum leaves out the type byte, so a slave's FD E0/FD E2 with one flipped bit
     * reads as a master's FB E0/FB E2. A linked slave's ID in a master frame is that, not a
     * master; one frame from an unknown ID is only a suspect. */
    m->stats.clash_frames++;
    if (twc_master_slave_by_id(m, msg->src)) {
        m->stats.clash_suspects++;
        return 0;
    }
    if (m->clash) {
        m->clash_last_ms = now;
        return AMP_ERR_MASTER_CLASH;
    }
    bool confirmed = m->suspect && m->suspect_src == msg->src &&
                     now - m->suspect_ms <= TWC_MASTER_CLASH_WINDOW_MS;
    if (!confirmed) {
        m->suspect = true;
        m->suspect_src = msg->src;
        m->suspect_ms = now;
        m->stats.clash_suspects++;
        return 0;
    }
    /* §6.6: two masters on one bus fight (both flash red); never fight a native master. Stop
     * transmitting until the other one has been quiet for TWC_MASTER_CLASH_QUIET_MS. */
    m->suspect = false;
    m->clash = true;
    m->clash_src = msg->src;
    m->clash_last_ms = now;
    m->exch_active = false;
    struct twc_master_event ev;
    ev_init(&ev, TWC_MEV_MASTER_CLASH, now, msg->src);
    ev.u.clash.code = msg->code;
    twc_master_emit(m, &ev);
    return AMP_ERR_MASTER_CLASH;
}

void twc_master_resume(struct twc_master *m, uint64_t now)
{
    /* A fresh ID and sign: nothing on the bus may still address the old one, and the other
     * master may have taken it. The seed mixes what differs between runs and buses. */
    uint16_t old = m->cfg.id;
    uint64_t seed = (uint64_t)old << 48 ^ (uint64_t)m->clash_src << 32 ^
                    (uint64_t)m->cfg.sign << 24 ^ now ^ (uint64_t)m->stats.clash_resumes << 40;
    uint16_t id;
    uint8_t sign;
    do {
        twc_master_pick_id(seed++, &id, &sign);
    } while (id == old || id == m->clash_src || twc_master_slave_by_id(m, id));
    m->cfg.id = id;
    m->cfg.sign = sign;
    m->clash = false;
    m->stats.clash_resumes++;
    /* §6.1: announce ourselves again as after power-on. */
    m->burst_sent = 0;
    m->burst_next_ms = now;
    m->bus_free_ms = now;
    struct twc_master_event ev;
    ev_init(&ev, TWC_MEV_MASTER_RESUMED, now, m->clash_src);
    ev.u.resumed.old_id = old;
    ev.u.resumed.new_id = id;
    ev.u.resumed.new_sign = sign;
    twc_master_emit(m, &ev);
}

static void warn_too_many(struct twc_master *m, uint64_t now, uint16_t id)
{
    if (m->warned && m->warned_id == id && now < m->warned_ms + TWC_MASTER_WARN_REPEAT_MS) {
        return;
    }
    m->warned = true;
    m->warned_id = id;
    m->warned_ms = now;
    struct twc_master_event ev;
    ev_init(&ev, TWC_MEV_TOO_MANY_SLAVES, now, id);
    twc_master_emit(m, &ev);
}

static void on_linkready(struct twc_master *m, uint64_t now, const struct twc_msg *msg)
{
    struct twc_master_event ev;
    if (msg->src == m->cfg.id) {
        /* §6.1, §6.6: a slave with our ID; a native master repeats its burst so the slave picks
         * a new random ID and sign. */
        ev_init(&ev, TWC_MEV_ID_COLLISION, now, msg->src);
        twc_master_emit(m, &ev);
        m->burst_sent = 0;
        m->burst_next_ms = now;
        return;
    }
    struct twc_master_slave *s = twc_master_slave_by_id(m, msg->src);
    bool relink = s != NULL;
    if (!s) {
        for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX && !s; i++) {
            if (!m->slaves[i].used) {
                s = &m->slaves[i];
            }
        }
        if (!s) {
            warn_too_many(m, now, msg->src);
            return;
        }
        memset(s, 0, sizeof(*s));
        s->used = true;
        s->id = msg->src;
        s->linked_ms = now;
        s->next_version_ms = now;
        s->next_serial_ms = now;
        s->next_meter_ms = now;
    }
    /* §4.1: the linkready's length tells the version: 14 bytes v1, 16 bytes v2. Heartbeats to
     * it use the same length (§9 #14: a v1 slave fed 16-byte heartbeats reported an error). */
    s->proto = msg->body_len >= TWC_BODY_V2 ? 2 : 1;
    s->hb_len = s->proto == 2 ? TWC_BODY_V2 : TWC_BODY_V1;
    s->sign = msg->u.linkready.sign;
    s->max_ca = msg->u.linkready.max_ca;
    s->last_heard_ms = now;
    /* §6.2: the master answers a linkready at once. */
    s->answer_now = true;
    twc_master_reclamp(s, s->req_target_ma, s->req_ceiling_ma);
    ev_init(&ev, TWC_MEV_SLAVE_LINKED, now, s->id);
    ev.u.link.proto = s->proto;
    ev.u.link.sign = s->sign;
    ev.u.link.max_ma = twc_ca_to_ma(s->max_ca);
    ev.u.link.relink = relink;
    twc_master_emit(m, &ev);
}

void twc_master_vin_start(struct twc_master *m, struct twc_master_slave *s, uint64_t now)
{
    if (!m->cfg.query_info || !s->ext) {
        return; /* §7.4: only firmware 4.5.3 answers VIN queries */
    }
    s->vin_part = 1;
    s->vin_fails = 0;
    s->next_vin_ms = now;
}

static void on_heartbeat(struct twc_master *m,
                         uint64_t now,
                         struct twc_master_slave *s,
                         const struct twc_msg *msg)
{
    struct twc_master_event ev;
    bool first = !s->replied;
    s->replied = true;
    s->last_heard_ms = now;
    const struct twc_slave_hb *hb = &msg->u.shb;
    if (first || hb->state != s->state) {
        ev_init(&ev, TWC_MEV_STATE_CHANGED, now, s->id);
        ev.u.state.old_state = s->state;
        ev.u.state.new_state = hb->state;
        ev.u.state.first = first;
        twc_master_emit(m, &ev);
    }
    if (first || hb->limit_ca != s->limit_ca) {
        ev_init(&ev, TWC_MEV_LIMIT_ECHOED, now, s->id);
        ev.u.limit.limit_ma = twc_ca_to_ma(hb->limit_ca);
        twc_master_emit(m, &ev);
    }
    uint16_t trigger_ca = TWC_MASTER_VIN_TRIGGER_MA / 10;
    bool starts = hb->actual_ca >= trigger_ca && (first || s->actual_ca < trigger_ca);
    s->state = hb->state;
    s->limit_ca = hb->limit_ca;
    s->actual_ca = hb->actual_ca;
    if (starts) {
        /* §6.3: TWCManager asks for the VIN when a car starts drawing >= 1 A. */
        twc_master_vin_start(m, s, now);
    }
}

static void set_ext(struct twc_master *m, struct twc_master_slave *s, uint64_t now)
{
    /* §4.1: 20-byte replies or an FD EC version show firmware 4.5.3 features. */
    if (s->ext) {
        return;
    }
    s->ext = true;
    if (s->actual_ca >= TWC_MASTER_VIN_TRIGGER_MA / 10) {
        twc_master_vin_start(m, s, now);
    }
}

static void copy_text(char *dst, size_t cap, const struct twc_text *t)
{
    size_t n = t->len < cap - 1 ? t->len : cap - 1;
    memcpy(dst, t->text, n);
    dst[n] = '\0';
}

static void on_vin_part(struct twc_master *m,
                        uint64_t now,
                        struct twc_master_slave *s,
                        int part,
                        const struct twc_msg *msg)
{
    /* §4.2: parts hold VIN characters 1-7, 8-14 and 15-17, zero padded. */
    copy_text(s->vin_parts[part - 1], sizeof(s->vin_parts[0]), &msg->u.text);
    if (part != s->vin_part) {
        return; /* unasked (a native master's broadcast would not reach here) or a repeat */
    }
    s->vin_fails = 0;
    if (part < 3) {
        s->vin_part = (uint8_t)(part + 1);
        s->next_vin_ms = now;
        return;
    }
    s->vin_part = 0;
    s->vin_known = true;
    s->vin[0] = '\0';
    for (int i = 0; i < 3; i++) {
        strncat(s->vin, s->vin_parts[i], sizeof(s->vin) - strlen(s->vin) - 1);
    }
    struct twc_master_event ev;
    ev_init(&ev, TWC_MEV_VIN, now, s->id);
    memcpy(ev.u.text.text, s->vin, sizeof(s->vin));
    twc_master_emit(m, &ev);
}

static void
on_info(struct twc_master *m, uint64_t now, struct twc_master_slave *s, const struct twc_msg *msg)
{
    struct twc_master_event ev;
    s->last_heard_ms = now;
    if (msg->body_len == TWC_BODY_EXT) {
        set_ext(m, s, now);
    }
    switch (msg->kind) {
    case TWC_KIND_METER_REPORT:
        s->meter = msg->u.meter;
        s->meter_known = true;
        ev_init(&ev, TWC_MEV_METER, now, s->id);
        ev.u.meter = msg->u.meter;
        twc_master_emit(m, &ev);
        break;
    case TWC_KIND_VERSION_REPORT: {
        const uint8_t *v = msg->u.version.v;
        s->fw = msg->u.version;
        s->fw_known = true;
        /* §4.2: FC B1/FC B2 need firmware 4.5.3 exactly; the ext queries need at least it. */
        s->fw_453 = v[0] == 4 && v[1] == 5 && v[2] == 3;
        if (v[0] > 4 || (v[0] == 4 && (v[1] > 5 || (v[1] == 5 && v[2] >= 3)))) {
            set_ext(m, s, now);
        }
        ev_init(&ev, TWC_MEV_VERSION, now, s->id);
        ev.u.version = msg->u.version;
        twc_master_emit(m, &ev);
        break;
    }
    case TWC_KIND_SERIAL_REPORT:
        copy_text(s->serial, sizeof(s->serial), &msg->u.text);
        s->serial_known = true;
        ev_init(&ev, TWC_MEV_SERIAL, now, s->id);
        memcpy(ev.u.text.text, s->serial, sizeof(s->serial));
        twc_master_emit(m, &ev);
        break;
    case TWC_KIND_VIN_REPORT_1:
        on_vin_part(m, now, s, 1, msg);
        break;
    case TWC_KIND_VIN_REPORT_2:
        on_vin_part(m, now, s, 2, msg);
        break;
    case TWC_KIND_VIN_REPORT_3:
        on_vin_part(m, now, s, 3, msg);
        break;
    default:
        break;
    }
}

int twc_master_on_frame(struct twc_master *m, uint64_t now_ms, const struct twc_msg *msg)
{
    if (!m || !msg) {
        return -EINVAL;
    }
    uint64_t now = advance(m, now_ms);
    m->input_seq++;
    m->change_seq++;
    m->stats.frames_in++;
    uint8_t type = (uint8_t)(msg->code >> 8);
    if (msg->has_src && msg->src == m->cfg.id && type != 0xFD) {
        /* §1, §7.5: some adapters echo our own frames; drop anything from our ID. */
        m->stats.echoes++;
        return 0;
    }
    switch (msg->kind) {
    case TWC_KIND_MASTER_LINKREADY1:
    case TWC_KIND_MASTER_LINKREADY2:
    case TWC_KIND_MASTER_HEARTBEAT:
        return on_clash(m, now, msg);
    case TWC_KIND_MASTER_IDLE:
        /* §6.5: decode only; it carries no ID. */
        m->stats.idle_frames++;
        return 0;
    default:
        break;
    }
    if (type != 0xFD || !msg->has_src) {
        return 0;
    }
    if (msg->kind == TWC_KIND_SLAVE_LINKREADY) {
        on_linkready(m, now, msg);
        return 0;
    }
    if (msg->has_dst && msg->dst != m->cfg.id) {
        /* A reply to some other master, or §7.5's receiver 0000: noise to us. */
        m->stats.foreign_dst++;
        return 0;
    }
    struct twc_master_slave *s = twc_master_slave_by_id(m, msg->src);
    if (!s) {
        /* A dropped slave's late reply, or a native master's unsolicited FD broadcast (§4.1). */
        m->stats.unknown_src++;
        return 0;
    }
    if (m->exch_active && m->exch_slave == (int)(s - m->slaves)) {
        /* The reply ends the exchange; the line is ours again after a short gap (§1). */
        m->exch_active = false;
        m->bus_free_ms = now + m->cfg.tx_gap_ms;
        m->stats.replies++;
    }
    if (msg->kind == TWC_KIND_SLAVE_HEARTBEAT) {
        on_heartbeat(m, now, s, msg);
    } else {
        on_info(m, now, s, msg);
    }
    return 0;
}

int twc_master_set_target_ceiling(
    struct twc_master *m, uint64_t now_ms, uint16_t slave_id, int32_t target_ma, int32_t ceiling_ma)
{
    if (!m || target_ma < 0 || ceiling_ma < 0) {
        return m ? -ERANGE : -EINVAL;
    }
    struct twc_master_slave *s = twc_master_slave_by_id(m, slave_id);
    if (!s) {
        return -ENOENT;
    }
    uint64_t now = advance(m, now_ms);
    int32_t ceiling = ceiling_ma > target_ma ? ceiling_ma : target_ma;
    bool same = s->req_target_ma == target_ma && s->req_ceiling_ma == ceiling;
    int32_t offered = s->offered_a;
    s->req_target_ma = target_ma;
    s->req_ceiling_ma = ceiling;
    twc_master_reclamp(s, s->req_target_ma, s->req_ceiling_ma);
    uint64_t wake = UINT64_MAX;
    twc_master_pace(m, s, now, &wake);
    if (!same || s->offered_a != offered) {
        /* the controller repeats every target every tick: only a change is news to the bus (a
         * frame may be due sooner) and to a reader */
        m->input_seq++;
        m->change_seq++;
    }
    return 0;
}

int twc_master_set_target(struct twc_master *m,
                          uint64_t now_ms,
                          uint16_t slave_id,
                          int32_t target_ma)
{
    return twc_master_set_target_ceiling(m, now_ms, slave_id, target_ma, target_ma);
}

uint64_t twc_master_tx_floor_ms(const struct twc_master *m)
{
    return m->exch_active ? m->exch_deadline_ms : m->bus_free_ms;
}

size_t twc_master_slave_count(const struct twc_master *m)
{
    size_t n = 0;
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        n += m->slaves[i].used ? 1 : 0;
    }
    return n;
}

static void fill_info(const struct twc_master *m,
                      const struct twc_master_slave *s,
                      struct twc_master_slave_info *out)
{
    memset(out, 0, sizeof(*out));
    out->id = s->id;
    out->sign = s->sign;
    out->proto = s->proto;
    out->max_ma = twc_ca_to_ma(s->max_ca);
    out->replied = s->replied;
    out->state = s->state;
    out->limit_ma = twc_ca_to_ma(s->limit_ca);
    out->actual_ma = twc_ca_to_ma(s->actual_ca);
    out->target_ma = s->target_a * 1000;
    out->ceiling_ma = s->ceiling_a * 1000;
    out->offered_ma = s->offered_a * 1000;
    out->spike_ma = twc_master_spike_a(m, s) * 1000;
    out->linked_ms = s->linked_ms;
    out->last_heard_ms = s->last_heard_ms;
    out->fw_known = s->fw_known;
    out->fw = s->fw;
    out->ext = s->ext;
    out->serial_known = s->serial_known;
    out->vin_known = s->vin_known;
    out->meter_known = s->meter_known;
    memcpy(out->serial, s->serial, sizeof(out->serial));
    memcpy(out->vin, s->vin, sizeof(out->vin));
    out->meter = s->meter;
}

int twc_master_slave_at(const struct twc_master *m, size_t idx, struct twc_master_slave_info *out)
{
    size_t n = 0;
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        if (!m->slaves[i].used) {
            continue;
        }
        if (n++ == idx) {
            fill_info(m, &m->slaves[i], out);
            return 0;
        }
    }
    return -ENOENT;
}

int twc_master_slave_find(const struct twc_master *m,
                          uint16_t slave_id,
                          struct twc_master_slave_info *out)
{
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        if (m->slaves[i].used && m->slaves[i].id == slave_id) {
            fill_info(m, &m->slaves[i], out);
            return 0;
        }
    }
    return -ENOENT;
}

size_t twc_master_briefs(const struct twc_master *m,
                         struct twc_master_brief out[TWC_MASTER_SLAVES_MAX])
{
    size_t n = 0;
    for (size_t i = 0; i < TWC_MASTER_SLAVES_MAX; i++) {
        const struct twc_master_slave *s = &m->slaves[i];
        if (!s->used) {
            continue;
        }
        out[n++] = (struct twc_master_brief){
            .id = s->id,
            .replied = s->replied,
            .state = s->state,
            .limit_ma = twc_ca_to_ma(s->limit_ca),
            .actual_ma = twc_ca_to_ma(s->actual_ca),
            .target_ma = s->target_a * 1000,
            .spike_ma = twc_master_spike_a(m, s) * 1000,
            .linked_ms = s->linked_ms,
            .last_heard_ms = s->last_heard_ms,
        };
    }
    return n;
}

bool twc_master_clashed(const struct twc_master *m)
{
    return m->clash;
}

uint16_t twc_master_id(const struct twc_master *m)
{
    return m->cfg.id;
}

const struct twc_master_stats *twc_master_get_stats(const struct twc_master *m)
{
    return &m->stats;
}

const char *twc_master_event_name(enum twc_master_event_type type)
{
    switch (type) {
    case TWC_MEV_SLAVE_LINKED:
        return "slave_linked";
    case TWC_MEV_SLAVE_DROPPED:
        return "slave_dropped";
    case TWC_MEV_STATE_CHANGED:
        return "state_changed";
    case TWC_MEV_LIMIT_ECHOED:
        return "limit_echoed";
    case TWC_MEV_OFFER_CHANGED:
        return "offer_changed";
    case TWC_MEV_VERSION:
        return "version";
    case TWC_MEV_SERIAL:
        return "serial";
    case TWC_MEV_VIN:
        return "vin";
    case TWC_MEV_METER:
        return "meter";
    case TWC_MEV_MASTER_CLASH:
        return "master_clash";
    case TWC_MEV_MASTER_RESUMED:
        return "master_resumed";
    case TWC_MEV_TOO_MANY_SLAVES:
        return "too_many_slaves";
    case TWC_MEV_ID_COLLISION:
        return "id_collision";
    }
    return "unknown";
}

const char *twc_master_offer_reason_name(enum twc_offer_reason reason)
{
    switch (reason) {
    case TWC_OFFER_TARGET:
        return "target";
    case TWC_OFFER_SAFETY:
        return "safety cut";
    case TWC_OFFER_SPIKE:
        return "spike";
    case TWC_OFFER_PACED:
        return "paced";
    case TWC_OFFER_DROPPED:
        return "slave dropped";
    }
    return "unknown";
}
