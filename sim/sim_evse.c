/* SPDX-License-Identifier: MIT */
/* Registers in, a car's draw out: a simulated Modbus EVSE (see sim_evse.h). */
#include "sim/sim_evse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_meter.h"

struct sim_evse {
    struct sim_mbsrv *srv;
    struct sim_evse_cfg cfg;
    struct sim_meter *meter;
    uint64_t last_req;    /* requests served, at the last tick */
    uint64_t last_req_ms; /* when the request count last moved */
};

int sim_evse_state_word(const struct mb_evse_model *m, enum mb_evse_state s, uint16_t *word)
{
    static const char letters[] = "?ABCDEF";
    static const uint16_t heidelberg[] = {0, 2, 4, 6, 8, 9, 10};
    static const uint16_t din[] = {0, 1, 2, 3, 4, 0, 5};
    if (s <= MB_EVSE_STATE_UNKNOWN || s > MB_EVSE_STATE_F) {
        return -EINVAL;
    }
    uint16_t w;
    switch (m->state_format) {
    case MB_EVSE_STATE_LETTER_HIGH:
        w = (uint16_t)(letters[s] << 8);
        break;
    case MB_EVSE_STATE_LETTER_LOW:
        w = (uint16_t)letters[s];
        break;
    case MB_EVSE_STATE_HEIDELBERG:
        w = heidelberg[s];
        break;
    case MB_EVSE_STATE_EVSE_DIN:
        w = din[s];
        break;
    default:
        return -EINVAL;
    }
    /* the client's own decoder must read it back as s: one table, no drift */
    if (mb_evse_decode_state(m, w) != s) {
        return -EINVAL;
    }
    *word = w;
    return 0;
}

/* The addresses one table holds: from the lowest the model names to the highest. */
struct span {
    int lo, hi; /* hi < lo: none */
};

static void span_add(struct span *s, int addr)
{
    s->lo = s->hi < s->lo || addr < s->lo ? addr : s->lo;
    s->hi = addr > s->hi ? addr : s->hi;
}

static unsigned span_n(const struct span *s)
{
    return s->hi < s->lo ? 0 : (unsigned)(s->hi - s->lo + 1);
}

static unsigned span_lo(const struct span *s)
{
    return s->hi < s->lo ? 0 : (unsigned)s->lo;
}

/* Cells by protocol address, wherever their table starts (a unit it shares with its own meter,
 * sim_mbsrv_share_unit, holds the meter's registers too). */
static uint16_t *hreg(modbus_mapping_t *mm, uint16_t addr)
{
    return &mm->tab_registers[addr - mm->start_registers];
}

static uint16_t *ireg(modbus_mapping_t *mm, uint16_t addr)
{
    return &mm->tab_input_registers[addr - mm->start_input_registers];
}

int sim_evse_new(struct sim_mbsrv *srv, const struct sim_evse_cfg *cfg, struct sim_evse **out)
{
    *out = NULL;
    const struct mb_evse_model *m = cfg->model;
    if (!m || mb_evse_validate(m, NULL, 0) != 0 ||
        (cfg->meter_map && cfg->meter_unit == cfg->unit)) {
        return -EINVAL;
    }
    /* every register the model names, in the table its function code reads, and no other */
    struct span hold = {0, -1}, input = {0, -1}, coils = {0, -1};
    span_add(&hold, m->current_reg);
    if (m->enable_kind == MB_EVSE_ENABLE_REGISTER) {
        span_add(&hold, m->enable_addr);
    } else if (m->enable_kind == MB_EVSE_ENABLE_COIL) {
        span_add(&coils, m->enable_addr);
    }
    if (m->keepalive_kind == MB_EVSE_KEEPALIVE_WRITE) {
        span_add(&hold, m->keepalive_reg);
    }
    if (m->has_watchdog) {
        span_add(&hold, m->watchdog_reg);
    }
    if (m->has_failsafe) {
        span_add(&hold, m->failsafe_reg);
    }
    for (size_t i = 0; i < m->n_setup && i < 2; i++) {
        span_add(&hold, m->setup_reg[i]);
    }
    if (m->state_format != MB_EVSE_STATE_NONE) {
        span_add(m->state_fc == 3 ? &hold : &input, m->state_reg);
    }
    struct sim_evse *e = calloc(1, sizeof(*e));
    if (!e) {
        return -ENOMEM;
    }
    e->srv = srv;
    e->cfg = *cfg;
    modbus_mapping_t *mm =
        modbus_mapping_new_start_address(span_lo(&coils), span_n(&coils), 0, 0, span_lo(&hold),
                                         span_n(&hold), span_lo(&input), span_n(&input));
    if (!mm) {
        free(e);
        return -ENOMEM;
    }
    int rc = sim_mbsrv_add_unit(srv, cfg->unit, mm);
    if (rc < 0) {
        free(e); /* the server freed the mapping */
        return rc;
    }
    if (cfg->meter_map) {
        rc = sim_meter_new(srv, cfg->meter_unit, cfg->meter_map, &e->meter);
        if (rc < 0) {
            free(e);
            return rc;
        }
    }
    *out = e;
    return sim_evse_tick(e, 0, NULL);
}

void sim_evse_free(struct sim_evse *e)
{
    if (!e) {
        return;
    }
    sim_meter_free(e->meter);
    free(e);
}

void sim_evse_set_car(struct sim_evse *e, bool car)
{
    e->cfg.car = car;
}

int sim_evse_tick(struct sim_evse *e, uint64_t now_ms, struct sim_evse_view *view)
{
    const struct mb_evse_model *m = e->cfg.model;
    struct sim_evse_view v = {.state = MB_EVSE_STATE_A};
    uint64_t req = sim_mbsrv_requests(e->srv);
    if (req != e->last_req || e->last_req_ms == 0) {
        e->last_req = req;
        e->last_req_ms = now_ms ? now_ms : 1;
    }
    sim_mbsrv_lock(e->srv);
    modbus_mapping_t *mm = sim_mbsrv_mapping(e->srv, e->cfg.unit);
    v.setpoint_ma = mb_evse_word_ma(m, *hreg(mm, m->current_reg));
    switch (m->enable_kind) {
    case MB_EVSE_ENABLE_COIL:
        v.enabled = mm->tab_bits[m->enable_addr - mm->start_bits] != 0;
        break;
    case MB_EVSE_ENABLE_REGISTER:
        v.enabled = *hreg(mm, m->enable_addr) == m->enable_on;
        break;
    default:
        v.enabled = true;
        break;
    }
    if (m->has_watchdog) {
        uint16_t wd = *hreg(mm, m->watchdog_reg);
        v.watchdog_expired = wd > 0 && now_ms > e->last_req_ms + wd;
        if (v.watchdog_expired) {
            v.setpoint_ma = m->has_failsafe ? mb_evse_word_ma(m, *hreg(mm, m->failsafe_reg)) : 0;
        }
    }
    int32_t allowed = v.enabled && v.setpoint_ma >= m->min_ma ? v.setpoint_ma : 0;
    if (allowed > m->max_ma) {
        allowed = m->max_ma;
    }
    if (e->cfg.car) {
        v.draw_ma = allowed < e->cfg.car_max_ma ? allowed : e->cfg.car_max_ma;
        v.state = v.draw_ma > 0 ? MB_EVSE_STATE_C : MB_EVSE_STATE_B;
    }
    uint16_t w;
    if (m->state_format != MB_EVSE_STATE_NONE && sim_evse_state_word(m, v.state, &w) == 0) {
        *(m->state_fc == 3 ? hreg(mm, m->state_reg) : ireg(mm, m->state_reg)) = w;
    }
    sim_mbsrv_unlock(e->srv);
    int rc = 0;
    if (e->meter) {
        int32_t cur[3] = {0, 0, 0};
        for (int k = 0; k < (e->cfg.phases >= 3 ? 3 : 1); k++) {
            cur[k] = v.draw_ma;
        }
        rc = sim_meter_set_currents(e->meter, cur);
    }
    if (view) {
        *view = v;
    }
    return rc;
}
