/* SPDX-License-Identifier: MIT */
/* The simulated slave: protocol state machine over the codec (twc-gen2.md §4-§6). */
#include "sim/sim_twc_slave.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim_twc_frames.h"

/* §5.1: commands 06 and 07 move the limit by 2 A. */
#define ADJUST_STEP_CA 200
/* How long the 0A "adjustment finished" report lasts; the reference gives no figure (§5.2). */
#define ADJUST_DONE_SHOW_MS 3000

static uint64_t slave_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sim_twc_slave_cfg_default(struct sim_twc_slave_cfg *cfg, uint16_t id, enum sim_twc_proto proto)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->id = id;
    cfg->sign = (uint8_t)(0x50 + (id & 0x0F)); /* opaque per power-up (§4.1, §9 #17) */
    cfg->proto = proto;
    cfg->max_ca = 3200;                 /* §4.3: 0C 80 on EU units */
    cfg->trailer = 0xFE;                /* §2.2: what cdragon and the TMC captures show */
    cfg->reply_delay_ms = 50;           /* §6.2 */
    cfg->linkready_interval_ms = 10000; /* §6.2 */
    cfg->linkready_first_ms = 0;
    cfg->hb_loss_ms = 10000;  /* §6.4 */
    cfg->car_stop_ms = 25000; /* §6.4, §9 #12 */
    cfg->unplugged_actual_ca = 0;
    cfg->noload_actual_ca = 0;
    cfg->adjust_up_ms = 44000;   /* §5.1 */
    cfg->adjust_down_ms = 10000; /* §5.1 */
    cfg->adjust_done_ms = 13000; /* §5.1 */
    cfg->fw[0] = 4;              /* §4.2: 04 05 03 02 = 4.5.3.2 */
    cfg->fw[1] = 5;
    cfg->fw[2] = 3;
    cfg->fw[3] = 2;
    /* §4.1: on newer units the ID reads like TSN characters 8-11. */
    snprintf(cfg->tsn, sizeof(cfg->tsn), "A18F000%04X", (unsigned)id);
    cfg->voltage_v[0] = 230;
    cfg->voltage_v[1] = 230;
    cfg->voltage_v[2] = 230;
    cfg->energy_kwh = 100;
    cfg->seed = id;
}

void sim_twc_slave_cfg_region(struct sim_twc_slave_cfg *cfg, uint16_t max_ca, unsigned phases)
{
    cfg->max_ca = max_ca;
    bool us = max_ca > 3200; /* §4.3: 80 A (or 48 A) units are North American */
    uint16_t v = us ? 240 : 230;
    for (unsigned i = 0; i < 3; i++) {
        /* §7.4: a split-phase US unit fills only L1 (e.g. 241, 0, 0) */
        cfg->voltage_v[i] = i == 0 || (!us && phases == 3) ? v : 0;
    }
}

static int body_len_of(const struct sim_twc_slave *s)
{
    return s->cfg.proto == SIM_TWC_V1 ? TWC_BODY_V1 : TWC_BODY_V2;
}

static bool car_present(const struct sim_twc_slave *s)
{
    return s->has_car && s->car.phase != SIM_CAR_UNPLUGGED;
}

/* The limit the car sees: nothing with the contactor open or after a comm loss (§6.4, §7.1). */
static void offer_car(struct sim_twc_slave *s, uint64_t now)
{
    if (!s->has_car) {
        return;
    }
    int32_t offer = 0;
    if (s->limit_set && !s->contactor_open && !s->car_stopped) {
        offer = (int32_t)s->limit_ca * 10;
    }
    sim_car_set_offer(&s->car, now, offer);
}

int sim_twc_slave_init(struct sim_twc_slave *s,
                       const struct sim_twc_slave_cfg *cfg,
                       const struct sim_car_cfg *car,
                       uint64_t now_ms)
{
    if (cfg->id == 0 || cfg->proto < SIM_TWC_V1 || cfg->proto > SIM_TWC_EXT ||
        cfg->trailer > 0xFF || strnlen(cfg->tsn, sizeof(cfg->tsn)) != 11 ||
        cfg->linkready_interval_ms == 0) {
        return -EINVAL;
    }
    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    s->id = cfg->id;
    s->sign = cfg->sign;
    s->rng = cfg->seed;
    s->now_ms = now_ms;
    s->next_linkready_ms = now_ms + cfg->linkready_first_ms;
    twc_deframer_init(&s->df);
    if (car && car->kind) {
        int rc = sim_car_init(&s->car, car, now_ms);
        if (rc < 0) {
            return rc;
        }
        s->has_car = true;
    }
    return 0;
}

static void queue_msg(struct sim_twc_slave *s, uint64_t due, struct twc_msg *msg)
{
    if (s->txq_len >= SIM_TWC_TXQ) {
        s->stats.dropped_tx++;
        return;
    }
    struct sim_twc_tx *tx = &s->txq[s->txq_len];
    int w = sim_twc_frame(msg, s->cfg.trailer, tx->wire, sizeof(tx->wire));
    if (w < 0) {
        s->stats.dropped_tx++;
        return;
    }
    tx->len = (uint8_t)w;
    tx->due_ms = due;
    s->txq_len++;
}

static void queue_linkready(struct sim_twc_slave *s, uint64_t now)
{
    struct twc_msg msg;
    sim_twc_msg_start(&msg, TWC_KIND_SLAVE_LINKREADY, body_len_of(s), s->id);
    msg.u.linkready.sign = s->sign;
    msg.u.linkready.max_ca = s->cfg.max_ca;
    queue_msg(s, now, &msg);
    s->stats.linkreadies_tx++;
}

/* State, limit and actual as the next reply says them (§5.2). */
static void report(struct sim_twc_slave *s, uint64_t now, struct twc_slave_hb *hb)
{
    if (s->has_car) {
        sim_car_step(&s->car, now);
    }
    hb->limit_ca = s->limit_ca;
    hb->actual_ca = 0;
    if (car_present(s)) {
        int32_t draw = sim_car_draw_ma(&s->car);
        hb->actual_ca = draw >= 655350 ? 0xFFFF : (uint16_t)(draw / 10);
        if (draw == 0) {
            hb->actual_ca = s->cfg.noload_actual_ca;
        }
    }
    if (s->error_latched) {
        hb->state = TWC_STATE_ERROR;
        return;
    }
    if (!car_present(s)) {
        /* §5.2: state 00, limit 0 while no vehicle is connected, a small "actual" offset. */
        hb->state = TWC_STATE_READY;
        hb->limit_ca = 0;
        hb->actual_ca = s->cfg.unplugged_actual_ca;
        return;
    }
    if (s->adjust_cmd) {
        uint64_t t = now - s->adjust_t0_ms;
        uint32_t end =
            s->adjust_cmd == TWC_CMD_RAISE_2A ? s->cfg.adjust_up_ms : s->cfg.adjust_done_ms;
        if (t < end) {
            hb->state = s->adjust_cmd; /* §5.2: 06 / 07 echo the command */
            return;
        }
        if (t < end + ADJUST_DONE_SHOW_MS) {
            hb->state = TWC_STATE_ADJUST_DONE;
            return;
        }
    }
    enum sim_car_phase ph = s->car.phase;
    if (s->resume_08 && ph != SIM_CAR_FULL && ph != SIM_CAR_FAULTED) {
        /* §6.4: when heartbeats come back after a stop the slave shows 08 and asks (limit 0). */
        hb->state = TWC_STATE_STARTING;
        hb->limit_ca = 0;
        return;
    }
    switch (ph) {
    case SIM_CAR_WAITING:
        /* §5.2: 04 with limit 0 asks for a limit; under an explicit limit below the car's
         * minimum (05 00 00 on P1) the slave reports 03. */
        hb->state = s->limit_set ? TWC_STATE_DO_NOT_CHARGE : TWC_STATE_READY_TO_CHARGE;
        break;
    case SIM_CAR_WAKING:
        hb->state = TWC_STATE_READY_TO_CHARGE;
        break;
    case SIM_CAR_STARTING:
        hb->state = TWC_STATE_STARTING;
        break;
    case SIM_CAR_CHARGING:
        hb->state = TWC_STATE_CHARGING;
        break;
    case SIM_CAR_FULL:
        /* §5.2: a full car flips 03 -> 00 when woken (seen on Teslas). */
        hb->state = (s->car.cfg.kind == SIM_CAR_TESLA && sim_car_is_awake_full(&s->car, now))
                        ? TWC_STATE_READY
                        : TWC_STATE_DO_NOT_CHARGE;
        break;
    default:
        hb->state = TWC_STATE_DO_NOT_CHARGE;
        break;
    }
}

static void queue_reply(struct sim_twc_slave *s, uint64_t now)
{
    struct twc_msg msg;
    sim_twc_msg_start(&msg, TWC_KIND_SLAVE_HEARTBEAT, body_len_of(s), s->id);
    msg.has_dst = true;
    msg.dst = s->master_id;
    report(s, now, &msg.u.shb);
    queue_msg(s, now + s->cfg.reply_delay_ms, &msg);
    s->stats.replies_tx++;
}

static void set_limit(struct sim_twc_slave *s, uint64_t now, uint16_t ca)
{
    /* §5.2: the slave copies any value, 0 included, with no clamping. */
    s->limit_ca = ca;
    s->limit_set = true;
    s->resume_08 = false;
    s->adjust_cmd = 0;
    offer_car(s, now);
}

static bool car_is_charging(const struct sim_twc_slave *s)
{
    return car_present(s) && (s->car.phase == SIM_CAR_CHARGING || s->car.phase == SIM_CAR_STARTING);
}

static void adjust(struct sim_twc_slave *s, uint64_t now, uint8_t cmd)
{
    /* §5.1: 06 raises by 2 A for good; 07 lowers by 2 A for about 10 s. */
    uint32_t ca = s->limit_ca;
    if (cmd == TWC_CMD_RAISE_2A) {
        ca = ca + ADJUST_STEP_CA > 0xFFFF ? 0xFFFF : ca + ADJUST_STEP_CA;
    } else {
        ca = ca < ADJUST_STEP_CA ? 0 : ca - ADJUST_STEP_CA;
    }
    s->limit_ca = (uint16_t)ca;
    s->adjust_cmd = cmd;
    s->adjust_t0_ms = now;
    s->adjust_restored = false;
    offer_car(s, now);
}

static void on_heartbeat(struct sim_twc_slave *s, uint64_t now, const struct twc_msg *msg)
{
    /* §7.5, §9 #13/#14: a heartbeat's length is per frame; take 14 and 16 from anyone. */
    if (msg->body_len != TWC_BODY_V1 && msg->body_len != TWC_BODY_V2) {
        return;
    }
    if (s->error_latched && s->error_reported) {
        return; /* §5.1 cmd 02: silent until the reset button */
    }
    s->last_hb_ms = now;
    s->master_id = msg->src;
    s->ever_linked = true;
    s->linked = true;
    if (s->car_stopped) {
        s->car_stopped = false;
        s->resume_08 = true;
    }
    const struct twc_master_hb *hb = &msg->u.mhb;
    bool v1 = s->cfg.proto == SIM_TWC_V1;
    switch (hb->cmd) {
    case TWC_CMD_ERROR:
        s->error_latched = true;
        break;
    case TWC_CMD_SET_LIMIT_V1:
        /* §5.1: on v2, 05 sets the initial limit and is ignored once the car charges. */
        if (v1 || !car_is_charging(s)) {
            set_limit(s, now, hb->amps_ca);
        }
        break;
    case TWC_CMD_ACK_START:
        set_limit(s, now, hb->amps_ca);
        break;
    case TWC_CMD_SET_LIMIT_V2:
        if (!v1) {
            set_limit(s, now, hb->amps_ca);
        }
        break;
    case TWC_CMD_RAISE_2A:
    case TWC_CMD_LOWER_2A:
        if (!v1) {
            adjust(s, now, hb->cmd);
        }
        break;
    default:
        break; /* 00 keep-alive and anything unknown: limit unchanged (§9 #7) */
    }
    queue_reply(s, now);
    if (s->error_latched) {
        s->error_reported = true; /* that reply said 02; nothing more until the reset button */
    }
}

static void queue_meter(struct sim_twc_slave *s, uint64_t now, int body_len)
{
    struct twc_msg msg;
    sim_twc_msg_start(&msg, TWC_KIND_METER_REPORT, body_len, s->id);
    uint64_t mw_ms = s->energy_base_mw_ms + (s->has_car ? s->car.delivered_mw_ms : 0);
    msg.u.meter.energy_raw = s->cfg.energy_kwh + (uint32_t)(mw_ms / 3600000000000ULL);
    for (int i = 0; i < 3; i++) {
        msg.u.meter.voltage_v[i] = s->cfg.voltage_v[i];
    }
    if (body_len == TWC_BODY_EXT) {
        /* §4.2: three current bytes in 0.5 A steps, one per phase the car loads. */
        msg.u.meter.has_currents = true;
        int32_t draw = car_present(s) ? sim_car_draw_ma(&s->car) : 0;
        uint32_t phases = car_present(s) ? s->car.cfg.phases : 0;
        uint32_t half = (uint32_t)draw / 500;
        for (uint32_t i = 0; i < 3; i++) {
            msg.u.meter.current_half_a[i] = (uint8_t)(i < phases ? (half > 255 ? 255 : half) : 0);
        }
    }
    queue_msg(s, now + s->cfg.reply_delay_ms, &msg);
}

static void
queue_text(struct sim_twc_slave *s, uint64_t now, enum twc_kind kind, const char *text, size_t len)
{
    struct twc_msg msg;
    sim_twc_msg_start(&msg, kind, TWC_BODY_EXT, s->id);
    memcpy(msg.u.text.text, text, len);
    msg.u.text.len = (uint8_t)len;
    queue_msg(s, now + s->cfg.reply_delay_ms, &msg);
}

static void queue_vin(struct sim_twc_slave *s, uint64_t now, enum twc_kind kind, size_t part)
{
    /* §4.2, §7.4: VIN chars 1-7 / 8-14 / 15-17; all zero without a Tesla on the cable. */
    static const size_t start[3] = {0, 7, 14};
    static const size_t count[3] = {7, 7, 3};
    if (!car_present(s) || s->car.cfg.kind != SIM_CAR_TESLA) {
        queue_text(s, now, kind, "", 0);
        return;
    }
    const char *vin = s->car.cfg.vin;
    size_t have = strnlen(vin, SIM_CAR_VIN_LEN);
    size_t n = have > start[part] ? have - start[part] : 0;
    queue_text(s, now, kind, vin + start[part], n < count[part] ? n : count[part]);
}

static void on_query(struct sim_twc_slave *s, uint64_t now, const struct twc_msg *msg)
{
    bool ext = s->cfg.proto == SIM_TWC_EXT;
    struct twc_msg ack;
    switch (msg->kind) {
    case TWC_KIND_METER_QUERY:
        /* §4.2: 20 bytes on 4.5.3; some plain v2 units answer in 16; v1 never. */
        if (s->cfg.proto != SIM_TWC_V1) {
            queue_meter(s, now, ext ? TWC_BODY_EXT : TWC_BODY_V2);
            s->stats.queries_tx++;
        }
        return;
    case TWC_KIND_START_CHARGING:
    case TWC_KIND_STOP_CHARGING:
        if (!ext) {
            return;
        }
        if (msg->kind == TWC_KIND_STOP_CHARGING) {
            s->contactor_open = true;
            if (s->has_car) {
                sim_car_contactor_opened(&s->car, now);
            }
        } else {
            s->contactor_open = false;
            offer_car(s, now);
        }
        /* §4.2: FD B1/B2 src(2) then zeros, 16 bytes. */
        sim_twc_msg_start(&ack,
                          msg->kind == TWC_KIND_STOP_CHARGING ? TWC_KIND_STOP_CHARGING_ACK
                                                              : TWC_KIND_START_CHARGING_ACK,
                          TWC_BODY_V2, s->id);
        queue_msg(s, now + s->cfg.reply_delay_ms, &ack);
        s->stats.queries_tx++;
        return;
    default:
        break;
    }
    if (!ext) {
        return; /* §7.4: older firmware never answers the 4.5.3 queries */
    }
    switch (msg->kind) {
    case TWC_KIND_VERSION_QUERY:
        /* §2.3, §4.2: FD EC is a 16-byte frame even on 4.5.3 (vector row 16). */
        sim_twc_msg_start(&ack, TWC_KIND_VERSION_REPORT, TWC_BODY_V2, s->id);
        memcpy(ack.u.version.v, s->cfg.fw, 4);
        queue_msg(s, now + s->cfg.reply_delay_ms, &ack);
        break;
    case TWC_KIND_SERIAL_QUERY:
        queue_text(s, now, TWC_KIND_SERIAL_REPORT, s->cfg.tsn, 11);
        break;
    case TWC_KIND_VIN_QUERY_1:
        queue_vin(s, now, TWC_KIND_VIN_REPORT_1, 0);
        break;
    case TWC_KIND_VIN_QUERY_2:
        queue_vin(s, now, TWC_KIND_VIN_REPORT_2, 1);
        break;
    case TWC_KIND_VIN_QUERY_3:
        queue_vin(s, now, TWC_KIND_VIN_REPORT_3, 2);
        break;
    default:
        return;
    }
    s->stats.queries_tx++;
}

/* §6.6: a master using our ID makes the slave pick a new random ID and sign. */
static void new_identity(struct sim_twc_slave *s, uint16_t taken)
{
    uint16_t id;
    do {
        id = (uint16_t)slave_rand(&s->rng);
    } while (id == 0 || id == taken || id == s->id);
    s->id = id;
    s->sign = (uint8_t)slave_rand(&s->rng);
    s->linked = false;
    s->next_linkready_ms = s->now_ms;
}

static void on_msg(struct sim_twc_slave *s, uint64_t now, const struct twc_msg *msg)
{
    s->stats.frames_rx++;
    if (msg->kind == TWC_KIND_MASTER_LINKREADY1 || msg->kind == TWC_KIND_MASTER_LINKREADY2) {
        /* No direct answer (§9 #11); only an ID clash matters. */
        if (msg->has_src && msg->src == s->id) {
            new_identity(s, msg->src);
        }
        return;
    }
    if (!msg->has_dst || msg->dst != s->id || (msg->has_src && msg->src == s->id)) {
        return; /* not for us, or our own ID on someone else's frame (echo) */
    }
    if (s->error_latched && s->error_reported) {
        return;
    }
    if (msg->kind == TWC_KIND_MASTER_HEARTBEAT) {
        on_heartbeat(s, now, msg);
    } else {
        /* §2.3, §9 #13: requests of 13-20 bytes all get answers. */
        on_query(s, now, msg);
    }
}

static void advance(struct sim_twc_slave *s, uint64_t now);

void sim_twc_slave_on_bytes(struct sim_twc_slave *s,
                            uint64_t now_ms,
                            const uint8_t *buf,
                            size_t len)
{
    advance(s, now_ms);
    if (s->powered_off) {
        return;
    }
    struct twc_msg msg;
    while (sim_twc_next_msg(&s->df, &buf, &len, &msg, &s->stats.bad_frames) == 1) {
        on_msg(s, now_ms, &msg);
    }
}

void sim_twc_slave_hear(struct sim_twc_slave *s,
                        uint64_t now_ms,
                        const struct twc_msg *msg,
                        uint32_t bad)
{
    if (s->powered_off) {
        return;
    }
    s->stats.bad_frames += bad;
    if (!msg) {
        return;
    }
    bool linkready =
        msg->kind == TWC_KIND_MASTER_LINKREADY1 || msg->kind == TWC_KIND_MASTER_LINKREADY2;
    if (linkready || (msg->has_dst && msg->dst == s->id)) {
        advance(s, now_ms);
    }
    on_msg(s, now_ms, msg);
}

/* Timers: adjustments, loss of master, the car stopping, linkready. */
static void advance(struct sim_twc_slave *s, uint64_t now)
{
    s->quiet_until_ms = 0; /* its time moves: its next poll may have work */
    if (now < s->now_ms) {
        now = s->now_ms;
    }
    s->now_ms = now;
    /* Timed events run at their own time, so the car sees them when they happened. */
    uint64_t restore_at = s->adjust_t0_ms + s->cfg.adjust_down_ms;
    if (s->adjust_cmd == TWC_CMD_LOWER_2A && !s->adjust_restored && now >= restore_at) {
        uint32_t ca = (uint32_t)s->limit_ca + ADJUST_STEP_CA;
        s->limit_ca = (uint16_t)(ca > 0xFFFF ? 0xFFFF : ca);
        s->adjust_restored = true;
        offer_car(s, restore_at);
    }
    uint64_t stop_at = s->last_hb_ms + s->cfg.car_stop_ms;
    if (s->ever_linked && !s->car_stopped && now >= stop_at) {
        /* §6.4: the car stops; it resumes through 08 once a limit is sent again. */
        s->car_stopped = true;
        s->limit_set = false;
        s->limit_ca = 0;
        s->adjust_cmd = 0;
        if (car_present(s)) {
            sim_car_comm_lost(&s->car, stop_at);
        }
    }
    if (s->has_car) {
        sim_car_step(&s->car, now);
    }
    if (s->linked && now - s->last_hb_ms >= s->cfg.hb_loss_ms) {
        /* §6.4: back to linkready every 10 s, from the moment the loss is due. */
        s->linked = false;
        s->next_linkready_ms = s->last_hb_ms + s->cfg.hb_loss_ms;
    }
    bool silent = s->error_latched && s->error_reported;
    if (!s->linked && !silent && now >= s->next_linkready_ms) {
        queue_linkready(s, now);
        s->next_linkready_ms += s->cfg.linkready_interval_ms;
        if (s->next_linkready_ms <= now) {
            s->next_linkready_ms = now + s->cfg.linkready_interval_ms;
        }
    }
}

static void min_next(uint64_t *next, uint64_t t, uint64_t now)
{
    if (t > now && t < *next) {
        *next = t;
    }
}

void sim_twc_slave_car_changed(struct sim_twc_slave *s)
{
    s->quiet_until_ms = 0;
}

void sim_twc_slave_mute(struct sim_twc_slave *s, bool muted)
{
    s->muted = muted;
    s->quiet_until_ms = 0;
}

void sim_twc_slave_power(struct sim_twc_slave *s, uint64_t now_ms, bool on)
{
    advance(s, now_ms);
    if (!on) {
        s->powered_off = true;
        if (s->has_car) {
            sim_car_set_offer(&s->car, s->now_ms, 0);
        }
        return;
    }
    if (!s->powered_off) {
        return;
    }
    struct sim_car car = s->car;
    bool has_car = s->has_car;
    struct sim_twc_slave_cfg cfg = s->cfg;
    struct sim_twc_slave_stats stats = s->stats;
    uint64_t now = s->now_ms;
    if (sim_twc_slave_init(s, &cfg, NULL, now) == 0) {
        s->car = car;
        s->has_car = has_car;
        s->stats = stats;
        s->df_own = true; /* it listens from scratch, as a booting unit does */
    }
}

size_t sim_twc_slave_poll(
    struct sim_twc_slave *s, uint64_t now_ms, uint8_t *out, size_t cap, uint64_t *next_ms)
{
    if (s->powered_off) {
        if (s->has_car) {
            sim_car_step(&s->car, now_ms > s->now_ms ? now_ms : s->now_ms);
        }
        s->now_ms = now_ms > s->now_ms ? now_ms : s->now_ms;
        s->txq_len = 0;
        if (next_ms) {
            *next_ms = s->has_car ? sim_car_next_ms(&s->car, s->now_ms) : UINT64_MAX;
        }
        return 0;
    }
    advance(s, now_ms);
    now_ms = s->now_ms;
    size_t n = 0, keep = 0;
    bool full = false;
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < s->txq_len; i++) {
        struct sim_twc_tx *tx = &s->txq[i];
        full = full || (tx->due_ms <= now_ms && n + tx->len > cap);
        if (tx->due_ms <= now_ms && !full) {
            memcpy(out + n, tx->wire, tx->len);
            n += tx->len;
            continue;
        }
        next = tx->due_ms <= now_ms ? now_ms : (tx->due_ms < next ? tx->due_ms : next);
        s->txq[keep++] = *tx;
    }
    s->txq_len = keep;
    bool silent = s->error_latched && s->error_reported;
    if (!s->linked && !silent) {
        min_next(&next, s->next_linkready_ms, now_ms);
    }
    if (s->linked) {
        min_next(&next, s->last_hb_ms + s->cfg.hb_loss_ms, now_ms);
    }
    if (s->ever_linked && !s->car_stopped) {
        min_next(&next, s->last_hb_ms + s->cfg.car_stop_ms, now_ms);
    }
    if (s->adjust_cmd) {
        min_next(&next, s->adjust_t0_ms + s->cfg.adjust_down_ms, now_ms);
        min_next(&next, s->adjust_t0_ms + s->cfg.adjust_done_ms, now_ms);
        min_next(&next, s->adjust_t0_ms + s->cfg.adjust_up_ms, now_ms);
    }
    if (s->has_car) {
        min_next(&next, sim_car_next_ms(&s->car, now_ms), now_ms);
    }
    if (next_ms) {
        *next_ms = next;
    }
    s->quiet_until_ms = next; /* nothing moves it before then unless something reaches it */
    return s->muted ? 0 : n;  /* a dead transmitter: the frames go nowhere */
}

int sim_twc_slave_plug(struct sim_twc_slave *s, uint64_t now_ms, const struct sim_car_cfg *car)
{
    if (car == NULL || car->kind == 0) {
        sim_twc_slave_unplug(s, now_ms); /* the "none" preset */
        return 0;
    }
    advance(s, now_ms);
    if (s->has_car) {
        s->energy_base_mw_ms += s->car.delivered_mw_ms;
    }
    int rc = sim_car_init(&s->car, car, now_ms);
    if (rc < 0) {
        s->has_car = false;
        return rc;
    }
    s->has_car = true;
    /* §5.2: a new car asks for its limit (04 with limit 0) until the master sets one. */
    s->limit_set = false;
    s->limit_ca = 0;
    s->resume_08 = false;
    s->contactor_open = false;
    return 0;
}

void sim_twc_slave_unplug(struct sim_twc_slave *s, uint64_t now_ms)
{
    advance(s, now_ms);
    if (!s->has_car) {
        return;
    }
    sim_car_unplug(&s->car, now_ms);
    s->energy_base_mw_ms += s->car.delivered_mw_ms;
    s->car.delivered_mw_ms = 0;
    s->limit_set = false;
    s->limit_ca = 0;
    s->resume_08 = false;
    s->contactor_open = false;
}

void sim_twc_slave_reset_button(struct sim_twc_slave *s, uint64_t now_ms)
{
    advance(s, now_ms);
    s->error_latched = false;
    s->error_reported = false;
    s->linked = false;
    s->next_linkready_ms = s->now_ms;
}

void sim_twc_slave_view(struct sim_twc_slave *s, uint64_t now_ms, struct sim_twc_slave_view *v)
{
    advance(s, now_ms);
    struct twc_slave_hb hb;
    report(s, s->now_ms, &hb);
    memset(v, 0, sizeof(*v));
    v->id = s->id;
    v->linked = s->linked;
    v->master_id = s->master_id;
    v->state = hb.state;
    v->limit_ca = hb.limit_ca;
    v->actual_ca = hb.actual_ca;
    v->car_phase = s->has_car ? s->car.phase : SIM_CAR_UNPLUGGED;
}
